//! `featherlight run` with this process's stdio as shells connect it, on real KVM: stdin
//! streamed from an endless pipe, a slow writer and a terminal; stdout into `head -1`,
//! `/dev/full` and a closed pipe. What the guest sees is what wasmtime-wasi's stdio gives
//! it (EPIPE: `closed`, which wasm32-wasip2's libc reports as EPIPE; other failures:
//! `last-operation-failed`, reported as EIO), and a panic ends the run with 134 as under
//! `wasmtime run`.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const FEATHERLIGHT: &str = env!("CARGO_BIN_EXE_featherlight");
/// `tests/components/wasi-app`; its first argument picks what it does.
const WASI_APP: &str = env!("FEATHERLIGHT_CLI_WASI_APP_WASM");
/// How long one run may take before the test gives up on it.
const TIMEOUT: Duration = Duration::from_secs(180);

/// `featherlight --cache-dir <scratch>/cache run <wasi-app> <args>`, not yet spawned.
fn run_wasi_app(test: &str, args: &[&str]) -> Command {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("featherlight-stdio-{test}"));
    std::fs::create_dir_all(&dir).expect("create the scratch directory");
    let mut command = Command::new(FEATHERLIGHT);
    command
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .args(["run", WASI_APP])
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE");
    command
}

/// Reads all of `pipe` on its own thread.
fn drain(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Waits for `child` (killing it after [`TIMEOUT`]); its exit code and peak resident
/// memory in KiB (`wait4`'s `ru_maxrss`, of this child alone).
fn wait(child: &mut Child) -> (Option<i32>, i64) {
    let pid = libc::pid_t::try_from(child.id()).expect("a pid");
    let started = Instant::now();
    loop {
        let mut status = 0;
        // SAFETY: `rusage` is plain data that wait4 fills in; all-zero bytes are a valid
        // value of it.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `status` and `usage` are live, writable locals; `pid` is our own child,
        // not yet reaped (WNOHANG: this only polls).
        let reaped = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if reaped == pid {
            let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
            return (code, usage.ru_maxrss);
        }
        assert!(reaped == 0, "wait4: {}", std::io::Error::last_os_error());
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            panic!("featherlight did not finish within {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn an_endless_stdin_pipe_starts_the_guest_at_once_in_bounded_memory() {
    // `yes | featherlight run wasi-app.wasm read-line`: one line read, then exit 0.
    let mut yes = Command::new("yes").stdout(Stdio::piped()).spawn().expect("start yes");
    let mut child = run_wasi_app("yes", &["read-line"])
        .stdin(yes.stdout.take().expect("yes's stdout"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start featherlight");
    let (stdout, stderr) = (drain(child.stdout.take().unwrap()), drain(child.stderr.take().unwrap()));
    let (code, peak_kib) = wait(&mut child);
    let _ = yes.kill();
    let _ = yes.wait();
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    assert_eq!((code, stdout.as_str()), (Some(0), "read 2 bytes: y\n"), "{stderr}");
    // The whole run (engine, VM, guest memory) in well under 1 GiB; reading all of an
    // endless stdin first would never end at all.
    assert!(peak_kib < 1024 * 1024, "peak RSS {peak_kib} KiB");
    eprintln!("yes | featherlight run: peak RSS {} MiB", peak_kib / 1024);
}

/// Reads `pipe` until what was read ends with `text` (or fails after a minute).
fn read_until(pipe: &mut impl Read, text: &str) -> String {
    let mut seen = Vec::new();
    let started = Instant::now();
    while !seen.ends_with(text.as_bytes()) {
        assert!(started.elapsed() < Duration::from_secs(60), "{:?}", String::from_utf8_lossy(&seen));
        let mut byte = [0u8; 1];
        match pipe.read(&mut byte) {
            Ok(1) => seen.push(byte[0]),
            other => panic!("stdout ended ({other:?}) after {:?}", String::from_utf8_lossy(&seen)),
        }
    }
    String::from_utf8_lossy(&seen).into_owned()
}

#[test]
fn a_slow_writer_gets_each_answer_before_it_writes_the_next_line() {
    let mut child = run_wasi_app("slow-writer", &["repl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start featherlight");
    let mut stdin = child.stdin.take().expect("piped stdin");
    let mut stdout = child.stdout.take().expect("piped stdout");
    // The prompt comes before any input exists; each answer before the next line.
    assert_eq!(read_until(&mut stdout, "> "), "> ");
    stdin.write_all(b"first\n").expect("write a line");
    assert_eq!(read_until(&mut stdout, "> "), "FIRST\n> ");
    stdin.write_all(b"second\n").expect("write a line");
    assert_eq!(read_until(&mut stdout, "> "), "SECOND\n> ");
    drop(stdin);
    assert_eq!(read_until(&mut stdout, "bye\n"), "bye\n");
    assert_eq!(wait(&mut child).0, Some(0));
}

#[test]
fn a_terminal_on_stdin_serves_prompts_line_by_line() {
    let (mut master, slave) = open_pty();
    let mut child = run_wasi_app("terminal", &["repl"])
        .stdin(slave)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start featherlight");
    let mut stdout = child.stdout.take().expect("piped stdout");
    assert_eq!(read_until(&mut stdout, "> "), "> ");
    master.write_all(b"typed\n").expect("type a line");
    assert_eq!(read_until(&mut stdout, "> "), "TYPED\n> ");
    // Ctrl-D at the start of a line: the end of input.
    master.write_all(&[4]).expect("type Ctrl-D");
    assert_eq!(read_until(&mut stdout, "bye\n"), "bye\n");
    assert_eq!(wait(&mut child).0, Some(0));
}

/// A pseudo-terminal: the master side (what a terminal emulator holds) and the slave
/// (the program's stdin), in canonical mode with echo, as a shell leaves it.
fn open_pty() -> (File, OwnedFd) {
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: `master` and `slave` are writable locals; null name, termios and window
    // size are allowed and mean the defaults.
    let opened =
        unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), std::ptr::null()) };
    assert_eq!(opened, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: openpty returned two new descriptors that nothing else owns.
    unsafe { (File::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
}

#[test]
fn head_stops_an_endless_producer_as_under_wasmtime() {
    // `featherlight run wasi-app.wasm lines 1000000000 | head -1`
    let mut child = run_wasi_app("head", &["lines", "1000000000"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start featherlight");
    let head = Command::new("head")
        .arg("-1")
        .stdin(child.stdout.take().expect("piped stdout"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("start head");
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let (code, _) = wait(&mut child);
    let head = head.wait_with_output().expect("head's output");
    let stderr = stderr.join().unwrap();
    assert_eq!(String::from_utf8_lossy(&head.stdout), "line 0\n");
    // The guest's println! got EPIPE and panicked: a trap, 134.
    assert_eq!(code, Some(134), "{stderr}");
    assert!(stderr.contains("failed printing to stdout: Broken pipe (os error 64)"), "{stderr}");
}

#[test]
fn a_closed_stdout_fails_the_guests_first_write() {
    let mut child = run_wasi_app("closed-stdout", &["try-write"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start featherlight");
    drop(child.stdout.take());
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let (code, _) = wait(&mut child);
    let stderr = stderr.join().unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stderr, "write 1: Broken pipe (os error 64)\nwrite 2: Broken pipe (os error 64)\n");
}

#[test]
fn a_full_disk_fails_every_write_with_eio() {
    let full = || File::create("/dev/full").expect("open /dev/full");
    let mut child = run_wasi_app("dev-full", &["try-write"])
        .stdin(Stdio::null())
        .stdout(full())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start featherlight");
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let (code, _) = wait(&mut child);
    let stderr = stderr.join().unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    // wasmtime-wasi: ENOSPC is `last-operation-failed`, which the guest's libc makes EIO.
    assert_eq!(stderr, "write 1: I/O error (os error 29)\nwrite 2: I/O error (os error 29)\n");
    // println! panics on it, as under wasmtime.
    let mut child = run_wasi_app("dev-full", &["hello"])
        .stdin(Stdio::null())
        .stdout(full())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start featherlight");
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let (code, _) = wait(&mut child);
    let stderr = stderr.join().unwrap();
    assert_eq!(code, Some(134), "{stderr}");
    assert!(stderr.contains("failed printing to stdout: I/O error (os error 29)"), "{stderr}");
}
