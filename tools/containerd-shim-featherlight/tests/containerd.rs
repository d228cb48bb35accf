//! The shim under a real containerd: each test starts a private containerd (its own root,
//! state, socket and config in a temporary directory, the `native` snapshotter, no CRI),
//! with this build's shim on its PATH, imports an image made by `featherlight image
//! build` and runs containers with `ctr`. Where containerd is not installed or cannot
//! start, a test says why and passes without running (`.ci/run` installs containerd).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{Containerd, RUNTIME};

#[test]
fn hello_prints_and_exits_zero() {
    let Some(containerd) = Containerd::start("hello") else { return };
    let image = containerd.import_wasi_app();
    let output = containerd.ctr(&["run", "--rm", "--runtime", RUNTIME, &image, "hello", "/app.wasm", "hello"]);
    assert_eq!(output.status.code(), Some(0), "{}", common::describe(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "hello from wasm32-wasip2\n");
    assert_eq!(String::from_utf8_lossy(&output.stderr), "and hello to stderr\n");
}

#[test]
fn the_guests_exit_status_is_the_tasks() {
    let Some(containerd) = Containerd::start("status") else { return };
    let image = containerd.import_wasi_app();
    // wasm32-wasip2's libc reports exit(3) as `exit(err)`: status 1, as under wasmtime.
    let output = containerd.ctr(&["run", "--rm", "--runtime", RUNTIME, &image, "exit3", "/app.wasm", "exit"]);
    assert_eq!(output.status.code(), Some(1), "{}", common::describe(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "exiting with 3\n");
    // A panic traps: 134, as `featherlight run` and `wasmtime run` exit.
    let output = containerd.ctr(&["run", "--rm", "--runtime", RUNTIME, &image, "panic", "/app.wasm", "panic"]);
    assert_eq!(output.status.code(), Some(134), "{}", common::describe(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "about to panic\n");
}

#[test]
fn args_and_env_come_from_the_spec() {
    let Some(containerd) = Containerd::start("args") else { return };
    let image = containerd.import_wasi_app();
    let run = ["run", "--rm", "--runtime", RUNTIME];
    let output = containerd.ctr(&[&run[..], &[&image, "args", "/app.wasm", "args", "one", "two words"]].concat());
    assert_eq!(output.status.code(), Some(0), "{}", common::describe(&output));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "arg 0: /app.wasm\narg 1: args\narg 2: one\narg 3: two words\n"
    );
    let output =
        containerd.ctr(&[&run[..], &["--env", "GREETING=hi there", &image, "env", "/app.wasm", "env"]].concat());
    assert_eq!(output.status.code(), Some(0), "{}", common::describe(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.lines().any(|line| line == "GREETING=hi there"), "{stdout}");
    // ctr's default PATH reaches the guest like any other variable of the spec.
    assert!(stdout.lines().any(|line| line.starts_with("PATH=")), "{stdout}");
}

#[test]
fn kill_stops_a_spinning_guest_at_once() {
    let Some(containerd) = Containerd::start("kill") else { return };
    let image = containerd.import_wasi_app();
    for (signal, status) in [("SIGTERM", 143), ("SIGKILL", 137)] {
        let id = format!("spin-{}", signal.to_lowercase());
        let mut run = containerd.ctr_child(&["run", "--rm", "--runtime", RUNTIME, &image, &id, "/app.wasm", "spin"]);
        containerd.wait_for_task(&id, "RUNNING");
        // `ctr task ls` and `ps` show the task with the shim's pid.
        let ps = containerd.ctr(&["task", "ps", &id]);
        assert!(ps.status.success(), "{}", common::describe(&ps));
        let killed = Instant::now();
        let kill = containerd.ctr(&["task", "kill", "--signal", signal, &id]);
        assert!(kill.status.success(), "{}", common::describe(&kill));
        let exit = common::wait_child(&mut run, Duration::from_secs(10));
        let took = killed.elapsed();
        assert_eq!(exit.code(), Some(status), "{signal}");
        // ctr then deletes the task and container too; the guest itself stops in far less.
        assert!(took < Duration::from_secs(1), "the guest took {took:?} to stop after {signal}");
    }
}

#[test]
fn twenty_containers_run_at_once() {
    let Some(containerd) = Containerd::start("parallel") else { return };
    let image = containerd.import_wasi_app();
    // One run first, so the twenty find the component compiled in the cache.
    let first = containerd.ctr(&["run", "--rm", "--runtime", RUNTIME, &image, "first", "/app.wasm", "hello"]);
    assert_eq!(first.status.code(), Some(0), "{}", common::describe(&first));
    let runs: Vec<_> = (0..20)
        .map(|i| {
            let id = format!("parallel-{i}");
            containerd.ctr_child(&["run", "--rm", "--runtime", RUNTIME, &image, &id, "/app.wasm", "args", &id])
        })
        .collect();
    for (i, run) in runs.into_iter().enumerate() {
        let output = run.wait_with_output().expect("ctr runs");
        assert_eq!(output.status.code(), Some(0), "container {i}: {}", common::describe(&output));
        assert!(
            String::from_utf8_lossy(&output.stdout).contains(&format!("arg 2: parallel-{i}\n")),
            "container {i}: {}",
            common::describe(&output)
        );
    }
}

#[test]
fn delete_leaves_nothing_behind() {
    let Some(containerd) = Containerd::start("delete") else { return };
    let image = containerd.import_wasi_app();
    let run = |id: &str| {
        let output = containerd.ctr(&["run", "--rm", "--runtime", RUNTIME, &image, id, "/app.wasm", "hello"]);
        assert_eq!(output.status.code(), Some(0), "{}", common::describe(&output));
    };
    run("warm-up");
    let fds_before = containerd.open_fds();
    for i in 0..5 {
        run(&format!("again-{i}"));
    }
    // A detached container, deleted by hand.
    let create = containerd.ctr(&["container", "create", "--runtime", RUNTIME, &image, "idle", "/app.wasm", "hello"]);
    assert!(create.status.success(), "{}", common::describe(&create));
    let mut start = containerd.ctr_child(&["task", "start", "--detach", "idle"]);
    assert!(common::wait_child(&mut start, Duration::from_secs(30)).success());
    let delete = containerd.ctr(&["task", "delete", "--force", "idle"]);
    assert!(delete.status.success(), "{}", common::describe(&delete));
    let delete = containerd.ctr(&["container", "delete", "idle"]);
    assert!(delete.status.success(), "{}", common::describe(&delete));

    assert_eq!(containerd.shim_processes(), Vec::<u32>::new(), "shim processes outlived their containers");
    assert_eq!(containerd.leftover_task_dirs(), Vec::<String>::new(), "containerd still has task bundles");
    let tasks = containerd.ctr(&["task", "ls", "--quiet"]);
    assert_eq!(String::from_utf8_lossy(&tasks.stdout).trim(), "");
    let containers = containerd.ctr(&["container", "ls", "--quiet"]);
    assert_eq!(String::from_utf8_lossy(&containers.stdout).trim(), "");
    let fds_after = containerd.open_fds();
    assert!(fds_after <= fds_before + 2, "containerd's open files grew from {fds_before} to {fds_after}");
    assert!(!containerd.has_mounts(), "a mount under the test's directory is left");
}

#[test]
fn mounts_are_granted_and_memory_is_capped() {
    let Some(containerd) = Containerd::start("grants") else { return };
    let image = containerd.import_wasi_app();
    let etc = containerd.dir().join("etc");
    std::fs::create_dir_all(&etc).expect("create the mount's source");
    std::fs::write(etc.join("hostname"), "featherlight-node\n").expect("write a file to read");
    let mount = format!("type=bind,src={},dst=/etc,options=rbind:ro", etc.display());
    let run = ["run", "--rm", "--runtime", RUNTIME];
    let output = containerd.ctr(&[&run[..], &["--mount", &mount, &image, "mounted", "/app.wasm", "fs"]].concat());
    assert_eq!(output.status.code(), Some(0), "{}", common::describe(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "read 18 bytes\n");
    // Without the mount the component sees no file system at all.
    let output = containerd.ctr(&[&run[..], &[&image, "unmounted", "/app.wasm", "fs"]].concat());
    assert_eq!(output.status.code(), Some(0), "{}", common::describe(&output));
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("error: "), "{}", common::describe(&output));

    // 32 MiB of memory: 8 MiB fits, 64 MiB does not (the allocation fails: a trap).
    let limit = (32u64 << 20).to_string();
    let output =
        containerd.ctr(&[&run[..], &["--memory-limit", &limit, &image, "small", "/app.wasm", "alloc", "8"]].concat());
    assert_eq!(output.status.code(), Some(0), "{}", common::describe(&output));
    let output =
        containerd.ctr(&[&run[..], &["--memory-limit", &limit, &image, "large", "/app.wasm", "alloc", "64"]].concat());
    assert_eq!(output.status.code(), Some(134), "{}", common::describe(&output));
    // The same without a limit fits.
    let output = containerd.ctr(&[&run[..], &[&image, "unlimited", "/app.wasm", "alloc", "64"]].concat());
    assert_eq!(output.status.code(), Some(0), "{}", common::describe(&output));
}

#[test]
fn an_http_component_is_served_on_its_port() {
    let Some(containerd) = Containerd::start("http") else { return };
    let image = "featherlight.test/http-proxy:1";
    containerd.import(Path::new(env!("FEATHERLIGHT_SHIM_HTTP_PROXY_WASM")), image, &[]);
    let addr = common::free_loopback_addr();
    let env = format!("FEATHERLIGHT_HTTP_ADDR={addr}");
    // The image's entrypoint is /app.wasm; --net-host: the spec names no network namespace
    // of its own, so the shim listens in the node's.
    let mut run =
        containerd.ctr_child(&["run", "--rm", "--net-host", "--runtime", RUNTIME, "--env", &env, image, "web"]);
    containerd.wait_for_task("web", "RUNNING");
    let hello = common::http_get(addr, "/hello");
    assert!(hello.head.starts_with("HTTP/1.1 200 OK\r\n"), "{hello:?}");
    assert_eq!(hello.body, "hello, world\n");
    // Every request in a VM restored to the warm state; a trap answers 500 and the server
    // serves on.
    for _ in 0..3 {
        assert_eq!(common::http_get(addr, "/counter").body, "1\n");
    }
    let trap = common::http_get(addr, "/trap");
    assert!(trap.head.starts_with("HTTP/1.1 500 "), "{trap:?}");
    assert_eq!(common::http_get(addr, "/counter").body, "1\n");

    let kill = containerd.ctr(&["task", "kill", "--signal", "SIGTERM", "web"]);
    assert!(kill.status.success(), "{}", common::describe(&kill));
    let exit = common::wait_child(&mut run, Duration::from_secs(10));
    assert_eq!(exit.code(), Some(143));
    assert!(std::net::TcpStream::connect(addr).is_err(), "{addr} still accepts connections after the kill");
    assert_eq!(containerd.shim_processes(), Vec::<u32>::new(), "the shim outlived its container");
}
