//! `featherlight serve` as a process: it prints where it listens, answers on a real
//! socket, prefixes each request's output like `wasmtime serve`, refuses what is not a
//! proxy, and on SIGTERM finishes the requests in flight and exits 0.

mod common;

use common::{FEATHERLIGHT, HTTP_PROXY, WASI_APP, assert_fails_with, drain, featherlight, scratch};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `featherlight serve` on an ephemeral loopback port.
struct Server {
    child: Child,
    addr: SocketAddr,
    stdout: Option<std::thread::JoinHandle<String>>,
}

impl Server {
    fn start(test: &str, extra: &[&str]) -> Self {
        let dir = scratch(test);
        let mut child = Command::new(FEATHERLIGHT)
            .arg("--cache-dir")
            .arg(dir.join("cache"))
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .arg(HTTP_PROXY)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start featherlight serve");
        let mut stderr = BufReader::new(child.stderr.take().expect("piped stderr"));
        let mut line = String::new();
        stderr.read_line(&mut line).expect("read the first line");
        let addr = line
            .trim()
            .strip_prefix("Serving HTTP on http://")
            .and_then(|rest| rest.strip_suffix('/'))
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .parse()
            .expect("an address");
        // The rest of stderr must not fill its pipe.
        drain(stderr);
        let stdout = Some(drain(child.stdout.take().expect("piped stdout")));
        Self { child, addr, stdout }
    }

    fn terminate(&mut self) {
        // SAFETY: kill(2) on our own child's pid with a valid signal number.
        let sent = unsafe { libc::kill(i32::try_from(self.child.id()).unwrap(), libc::SIGTERM) };
        assert_eq!(sent, 0);
    }

    fn wait(&mut self, within: Duration) -> std::process::ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(started.elapsed() < within, "serve did not exit within {within:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stdout(&mut self) -> String {
        self.stdout.take().map(|h| h.join().unwrap()).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET path` on a new connection; the whole reply as text.
fn get(addr: SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    reply
}

#[test]
fn serve_answers_and_prefixes_each_requests_output() {
    let mut server = Server::start("serve-answers", &[]);
    let reply = get(server.addr, "/hello");
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
    assert!(reply.contains("hello, world\n"), "{reply}");
    let reply = get(server.addr, "/stdout");
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
    let reply = get(server.addr, "/trap");
    assert!(reply.starts_with("HTTP/1.1 500 Internal Server Error\r\n"), "{reply}");
    assert!(get(server.addr, "/hello").contains("hello, world\n"));
    server.terminate();
    assert!(server.wait(Duration::from_secs(30)).success());
    let stdout = server.stdout();
    // Requests are numbered from 0 as they arrive: /stdout was the second.
    assert!(stdout.contains("stdout [1] :: a line on stdout\n"), "{stdout:?}");
}

#[test]
fn sigterm_finishes_requests_in_flight_then_exits_0() {
    let mut server = Server::start("serve-sigterm", &[]);
    let addr = server.addr;
    let in_flight = std::thread::spawn(move || get(addr, "/sleep?ms=1500"));
    std::thread::sleep(Duration::from_millis(400));
    server.terminate();
    let reply = in_flight.join().unwrap();
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
    assert!(reply.contains("slept 1500 ms"), "{reply}");
    let status = server.wait(Duration::from_secs(30));
    assert_eq!(status.code(), Some(0));
    // Nothing listens any more.
    assert!(TcpStream::connect(addr).is_err());
}

#[test]
fn a_request_timeout_answers_504() {
    let mut server = Server::start("serve-timeout", &["-W", "timeout=300ms"]);
    let reply = get(server.addr, "/sleep?ms=10000");
    assert!(reply.starts_with("HTTP/1.1 504 Gateway Timeout\r\n"), "{reply}");
    assert!(get(server.addr, "/hello").contains("hello, world\n"));
    server.terminate();
    assert!(server.wait(Duration::from_secs(30)).success());
}

#[test]
fn a_command_component_is_refused_with_advice() {
    let dir = scratch("serve-command");
    let outcome = featherlight(&dir, &["serve", "--addr", "127.0.0.1:0", WASI_APP]);
    assert_fails_with(&outcome, &["is not a wasi:http proxy", "wasi:http/incoming-handler", "featherlight run"]);
}
