//! A private containerd for one test, and `ctr` against it.

#![allow(dead_code, reason = "each test binary uses part of it")]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// The runtime name the shim serves.
pub const RUNTIME: &str = "io.containerd.featherlight.v1";

/// The namespace the tests' containers live in.
const NAMESPACE: &str = "featherlight-test";

/// How long containerd may take to answer on its socket.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// The shim binary of this build.
pub fn shim() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_containerd-shim-featherlight-v1"))
}

/// The `featherlight` CLI of this build, next to the shim (`cargo test --workspace` builds
/// both; alone, `cargo build -p featherlight-cli` first).
pub fn featherlight_cli() -> PathBuf {
    let cli = shim().with_file_name("featherlight");
    assert!(cli.exists(), "{} is missing: build it first with `cargo build -p featherlight-cli`", cli.display());
    cli
}

/// A running containerd, stopped (and its directory removed) when dropped.
pub struct Containerd {
    dir: PathBuf,
    socket: PathBuf,
    process: Child,
}

impl Containerd {
    /// Starts containerd for the test `name`, or returns `None` after printing why it
    /// cannot run here. Its containers share the test run's compile cache.
    pub fn start(name: &str) -> Option<Self> {
        Self::start_with_cache(name, &Path::new(env!("CARGO_TARGET_TMPDIR")).join("featherlight-cache"))
    }

    /// Like [`Containerd::start`], with the compile cache in `cache_dir`.
    pub fn start_with_cache(name: &str, cache_dir: &Path) -> Option<Self> {
        if !on_path("containerd") || !on_path("ctr") {
            eprintln!("SKIPPED: containerd and ctr are not installed (apt-get install containerd)");
            return None;
        }
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("containerd-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the test's directory");
        let socket = dir.join("containerd.sock");
        let config = dir.join("config.toml");
        std::fs::write(
            &config,
            format!(
                "version = 2\nroot = \"{root}\"\nstate = \"{state}\"\n\
                 disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n\
                 [grpc]\n  address = \"{socket}\"\n\
                 [ttrpc]\n  address = \"{socket}.ttrpc\"\n",
                root = dir.join("root").display(),
                state = dir.join("state").display(),
                socket = socket.display(),
            ),
        )
        .expect("write containerd's config");
        let log = std::fs::File::create(dir.join("containerd.log")).expect("create containerd's log");
        let shim_dir = shim().parent().expect("the shim is in a directory").to_owned();
        let path = std::env::join_paths(
            std::iter::once(shim_dir).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
        )
        .expect("PATH joins");
        let process = Command::new("containerd")
            .arg("--config")
            .arg(&config)
            .env("PATH", path)
            .env("FEATHERLIGHT_CACHE_DIR", cache_dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone the log"))
            .stderr(log)
            .spawn()
            .expect("spawn containerd");
        let containerd = Self { dir, socket, process };
        let started = Instant::now();
        loop {
            if containerd.ctr(&["version"]).status.success() {
                return Some(containerd);
            }
            if started.elapsed() > START_TIMEOUT {
                eprintln!("SKIPPED: containerd did not start within {START_TIMEOUT:?}; its log:\n{}", containerd.log());
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// containerd's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("containerd.log")).unwrap_or_default()
    }

    fn ctr_command(&self, args: &[&str]) -> Command {
        let mut command = Command::new("ctr");
        command.arg("--address").arg(&self.socket).arg("--namespace").arg(NAMESPACE).args(args);
        command.stdin(Stdio::null());
        command
    }

    /// Runs `ctr ARGS...` to its end.
    pub fn ctr(&self, args: &[&str]) -> Output {
        self.ctr_command(args).output().expect("run ctr")
    }

    /// Starts `ctr ARGS...`, its output piped.
    pub fn ctr_child(&self, args: &[&str]) -> Child {
        self.ctr_command(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("run ctr")
    }

    /// The test's own directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Builds the wasi-app test component's image with `featherlight image build`, imports
    /// it and returns its name.
    pub fn import_wasi_app(&self) -> String {
        let image = "featherlight.test/wasi-app:1";
        self.import(Path::new(env!("FEATHERLIGHT_SHIM_WASI_APP_WASM")), image, &[]);
        image.to_owned()
    }

    /// Builds an image of `file` named `image` with `featherlight image build ... EXTRA`
    /// and imports it.
    pub fn import(&self, file: &Path, image: &str, extra: &[&str]) {
        let tar = self.dir.join("image.tar");
        let build = Command::new(featherlight_cli())
            .args(["image", "build"])
            .arg(file)
            .args(["--tag", image, "-o"])
            .arg(&tar)
            .args(extra)
            .output()
            .expect("run featherlight image build");
        assert!(build.status.success(), "{}", describe(&build));
        let import = self.ctr(&["images", "import", tar.to_str().expect("UTF-8 path")]);
        assert!(import.status.success(), "{}", describe(&import));
        let images = self.ctr(&["images", "ls", "--quiet"]);
        assert!(String::from_utf8_lossy(&images.stdout).lines().any(|line| line == image), "{}", describe(&images));
    }

    /// Waits (up to 30 s) until `ctr task ls` shows task `id` in `status`.
    pub fn wait_for_task(&self, id: &str, status: &str) {
        let started = Instant::now();
        loop {
            let tasks = self.ctr(&["task", "ls"]);
            let listed = String::from_utf8_lossy(&tasks.stdout).into_owned();
            if listed.lines().any(|line| line.split_whitespace().next() == Some(id) && line.contains(status)) {
                return;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "task {id} never was {status}:\n{listed}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// How many files containerd holds open.
    pub fn open_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.process.id())).map_or(0, Iterator::count)
    }

    /// Shim processes started by this containerd (their command line names its socket).
    pub fn shim_processes(&self) -> Vec<u32> {
        let socket = self.socket.to_string_lossy().into_owned();
        let mut found = Vec::new();
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
            let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else { continue };
            let cmdline = String::from_utf8_lossy(&cmdline);
            if cmdline.contains("containerd-shim-featherlight-v1") && cmdline.contains(&socket) {
                found.push(pid);
            }
        }
        found
    }

    /// Task bundles containerd's runtime still has in its state directory.
    pub fn leftover_task_dirs(&self) -> Vec<String> {
        let tasks = self.dir.join("state/io.containerd.runtime.v2.task").join(NAMESPACE);
        std::fs::read_dir(tasks)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into())
            .collect()
    }

    /// Whether anything is mounted beneath the test's directory.
    pub fn has_mounts(&self) -> bool {
        let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let dir = self.dir.to_string_lossy().into_owned();
        mounts.lines().any(|line| line.contains(&dir))
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        // Containers a failed test left running, then containerd itself.
        for task in String::from_utf8_lossy(&self.ctr(&["task", "ls", "--quiet"]).stdout).lines() {
            let _ = self.ctr(&["task", "delete", "--force", task]);
        }
        // SAFETY: sends SIGTERM to the child this fixture spawned, which it has not reaped.
        unsafe { libc::kill(self.process.id().cast_signed(), libc::SIGTERM) };
        let _ = wait_child(&mut self.process, Duration::from_secs(10));
        for pid in self.shim_processes() {
            // SAFETY: a stray shim of this test's containerd; killing it harms nothing else.
            unsafe { libc::kill(pid.cast_signed(), libc::SIGKILL) };
        }
        if !self.has_mounts() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Whether `program` is on PATH.
fn on_path(program: &str) -> bool {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).any(|dir| dir.join(program).is_file())
}

/// Waits for `child` to end, killing it after `timeout`.
pub fn wait_child(child: &mut Child, timeout: Duration) -> ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            return status;
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            panic!("{:?} did not end within {timeout:?}", child.id());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A command's status and output, for assertion messages.
pub fn describe(output: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A loopback address with a port free a moment ago.
pub fn free_loopback_addr() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("the listener's address")
}

/// A response read off the wire: its head (status line and fields) and its body.
#[derive(Debug)]
pub struct HttpResponse {
    pub head: String,
    pub body: String,
}

/// `GET path` over HTTP/1.1 on a new connection to `addr`, read to its end (a chunked body
/// is decoded). Retries the connection for up to 10 s while the server starts.
pub fn http_get(addr: std::net::SocketAddr, path: &str) -> HttpResponse {
    use std::io::{Read, Write};
    let started = Instant::now();
    let mut stream = loop {
        match std::net::TcpStream::connect(addr) {
            Ok(stream) => break stream,
            Err(_) if started.elapsed() < Duration::from_secs(10) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("cannot connect to {addr}: {e}"),
        }
    };
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("set a read timeout");
    write!(stream, "GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n").expect("send the request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read the response");
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no end of head: {response:?}"));
    let chunked = head.lines().any(|line| line.eq_ignore_ascii_case("transfer-encoding: chunked"));
    let body = if chunked { dechunk(body) } else { body.to_owned() };
    HttpResponse { head: head.to_owned(), body }
}

/// A chunked body's contents.
fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    loop {
        let (size, after) = rest.split_once("\r\n").unwrap_or_else(|| panic!("no chunk size: {rest:?}"));
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or_else(|_| panic!("bad chunk size {size:?}"));
        if size == 0 {
            return body;
        }
        body.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
}
