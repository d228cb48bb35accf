//! `featherlight::http::serve` under bad clients and bad luck, on real KVM
//! and loopback sockets: malformed requests, a stalled client, huge headers,
//! clients that leave mid-body, bodies over the limit, deadlines, sustained
//! keep-alive load and gigabyte bodies, with the server serving on and
//! nothing leaking.

#[path = "support/http.rs"]
mod support;

use bytes::Bytes;
use featherlight::http::{ProxyConfig, ServeOptions};
use featherlight_tests::{HTTP_PROXY_WASM, rss_bytes};
use http::StatusCode;
use http_body_util::{BodyExt, Full};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use support::{Featherlight, get, request, runtime, send};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Every test here holds it: the fd and RSS checks count the whole process,
/// which the other tests' servers and VMs would move.
static ALONE: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn alone() -> std::sync::MutexGuard<'static, ()> {
    ALONE.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map(Iterator::count).unwrap_or(0)
}

/// Writes `raw` on a new connection and returns what the server answers
/// until it closes (or 5 s pass).
async fn raw_exchange(addr: SocketAddr, raw: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(raw).await.unwrap();
    let mut reply = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut reply)).await;
    String::from_utf8_lossy(&reply).into_owned()
}

async fn assert_serving(addr: SocketAddr) {
    let reply = get(addr, "/hello").await;
    assert_eq!((reply.status, reply.body.unwrap()), (StatusCode::OK, Bytes::from_static(b"hello, world\n")));
}

#[test]
fn malformed_requests_get_400_and_the_server_serves_on() {
    let _alone = alone();
    let featherlight = Featherlight::new(HTTP_PROXY_WASM, ProxyConfig::default());
    runtime().block_on(async {
        let server = featherlight.serve(ServeOptions::default()).await;
        for raw in [
            &b"GARBAGE\r\n\r\n"[..],
            b"GET / HTTP/1.1\r\nHost: x\r\nbad header line\r\n\r\n",
            b"GET / HTTP/9.9\r\n\r\n",
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n",
            b"\x00\x01\x02\x03\r\n\r\n",
        ] {
            let reply = raw_exchange(server.addr, raw).await;
            assert!(
                reply.is_empty() || reply.starts_with("HTTP/1.1 4"),
                "{raw:?} got {:?}",
                &reply[..reply.len().min(200)]
            );
        }
        assert_serving(server.addr).await;
        server.stop().await;
    });
}

#[test]
fn a_stalled_client_does_not_hold_up_the_others() {
    let _alone = alone();
    let featherlight = Featherlight::new(HTTP_PROXY_WASM, ProxyConfig::default());
    runtime().block_on(async {
        let server = featherlight.serve(ServeOptions::default()).await;
        let mut stalled = TcpStream::connect(server.addr).await.unwrap();
        stalled.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\npartial").await.unwrap();
        for _ in 0..20 {
            assert_serving(server.addr).await;
        }
        // The stalled client leaves: its VM is freed and serves again.
        drop(stalled);
        for _ in 0..20 {
            assert_serving(server.addr).await;
        }
        server.stop().await;
    });
}

#[test]
fn header_limits_answer_431_and_large_headers_within_them_pass() {
    let _alone = alone();
    let featherlight = Featherlight::new(HTTP_PROXY_WASM, ProxyConfig::default());
    runtime().block_on(async {
        let big = "v".repeat(100 * 1024);
        let roomy = featherlight.serve(ServeOptions::default()).await;
        let reply = send(
            roomy.addr,
            request("GET", roomy.addr, "/headers").header("x-big", &big).body(Full::new(Bytes::new())).unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(reply.status, StatusCode::OK);
        assert!(String::from_utf8_lossy(&reply.body.unwrap()).contains(&big));
        let strict =
            featherlight.serve(ServeOptions { max_header_size: Some(64 * 1024), ..ServeOptions::default() }).await;
        let raw = format!("GET /headers HTTP/1.1\r\nHost: x\r\nx-big: {big}\r\n\r\n");
        let reply = raw_exchange(strict.addr, raw.as_bytes()).await;
        assert!(reply.starts_with("HTTP/1.1 431"), "{:?}", &reply[..reply.len().min(200)]);
        assert_serving(strict.addr).await;
        roomy.stop().await;
        strict.stop().await;
    });
}

#[test]
fn a_client_leaving_mid_body_frees_its_vm_and_leaks_nothing() {
    let _alone = alone();
    let featherlight = Featherlight::new(HTTP_PROXY_WASM, ProxyConfig { max_concurrent: 2, ..ProxyConfig::default() });
    runtime().block_on(async {
        let server = featherlight.serve(ServeOptions::default()).await;
        let round = || async {
            for _ in 0..6 {
                let mut stream = TcpStream::connect(server.addr).await.unwrap();
                stream.write_all(b"GET /download?bytes=268435456 HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
                let mut first = vec![0; 1 << 20];
                stream.read_exact(&mut first).await.unwrap();
                drop(stream);
            }
            // Each of the 2 VMs was freed by a departed client, else this waits.
            let started = Instant::now();
            for _ in 0..10 {
                assert_serving(server.addr).await;
            }
            assert!(started.elapsed() < Duration::from_secs(30));
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        // The first round makes both VMs (their descriptors stay, as spares).
        round().await;
        let fds = open_fds();
        round().await;
        round().await;
        assert!(open_fds() <= fds + 2, "descriptors grew from {fds} to {}", open_fds());
        server.stop().await;
    });
}

#[test]
fn bodies_over_the_limit_get_413() {
    let _alone = alone();
    let featherlight =
        Featherlight::new(HTTP_PROXY_WASM, ProxyConfig { max_body_size: Some(1 << 20), ..ProxyConfig::default() });
    runtime().block_on(async {
        let server = featherlight.serve(ServeOptions::default()).await;
        let over = Bytes::from(vec![1u8; (1 << 20) + 1]);
        let reply = send(server.addr, request("POST", server.addr, "/echo").body(Full::new(over)).unwrap()).await;
        assert_eq!(reply.unwrap().status, StatusCode::PAYLOAD_TOO_LARGE);
        let at_limit = Bytes::from(vec![1u8; 1 << 20]);
        let reply =
            send(server.addr, request("POST", server.addr, "/echo").body(Full::new(at_limit.clone())).unwrap()).await;
        assert_eq!(reply.unwrap().body.unwrap(), at_limit);
        // Without a length the body is counted as it comes: the echo has
        // answered already, so its body is cut, never completed.
        let body = Generated { frame: Bytes::from(vec![2u8; 600_000]), count: 3 };
        let request = request("POST", server.addr, "/echo").body(body).unwrap();
        let stream = TcpStream::connect(server.addr).await.unwrap();
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.unwrap();
        tokio::spawn(connection);
        let complete = match sender.send_request(request).await {
            Ok(response) => response.into_body().collect().await.is_ok(),
            Err(_) => false,
        };
        assert!(!complete, "a body over the limit came back whole");
        assert_serving(server.addr).await;
        server.stop().await;
    });
}

/// A request body of `count` frames of `frame` made as they are sent, with
/// no length announced (chunked).
struct Generated {
    frame: Bytes,
    count: usize,
}

impl hyper::body::Body for Generated {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        if self.count == 0 {
            return std::task::Poll::Ready(None);
        }
        self.count -= 1;
        std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(self.frame.clone()))))
    }
}

#[test]
fn a_request_past_its_deadline_gets_504_and_the_server_serves_on() {
    let _alone = alone();
    let featherlight = Featherlight::new(
        HTTP_PROXY_WASM,
        ProxyConfig { request_timeout: Some(Duration::from_millis(300)), ..ProxyConfig::default() },
    );
    runtime().block_on(async {
        let server = featherlight.serve(ServeOptions::default()).await;
        let started = Instant::now();
        let reply = get(server.addr, "/sleep?ms=10000").await;
        assert_eq!(reply.status, StatusCode::GATEWAY_TIMEOUT);
        assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
        assert_serving(server.addr).await;
        server.stop().await;
    });
}

#[test]
fn keep_alive_load_loses_nothing_and_leaks_nothing() {
    let _alone = alone();
    const CLIENTS: usize = 8;
    const REQUESTS: usize = 50;
    let featherlight = Featherlight::new(HTTP_PROXY_WASM, ProxyConfig::default());
    runtime().block_on(async {
        let server = featherlight.serve(ServeOptions::default()).await;
        let round = || async {
            let clients = (0..CLIENTS).map(|client| {
                let addr = server.addr;
                tokio::spawn(async move {
                    let stream = TcpStream::connect(addr).await.unwrap();
                    let (mut sender, connection) =
                        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.unwrap();
                    tokio::spawn(connection);
                    let mut answered = 0;
                    for i in 0..REQUESTS {
                        let body = Bytes::from(format!("client {client} request {i}"));
                        let request = request("POST", addr, "/echo").body(Full::new(body.clone())).unwrap();
                        // hyper's client takes the next request only once the connection is idle.
                        sender.ready().await.unwrap();
                        let response = sender.send_request(request).await.unwrap();
                        assert_eq!(response.into_body().collect().await.unwrap().to_bytes(), body);
                        answered += 1;
                    }
                    answered
                })
            });
            let mut answered = 0;
            for client in clients {
                answered += client.await.unwrap();
            }
            answered
        };
        assert_eq!(round().await, CLIENTS * REQUESTS);
        let (fds, rss) = (open_fds(), rss_bytes());
        for _ in 0..3 {
            assert_eq!(round().await, CLIENTS * REQUESTS);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(open_fds() <= fds + 2, "descriptors grew from {fds} to {}", open_fds());
        let grown = rss_bytes().saturating_sub(rss);
        assert!(grown < 64 << 20, "RSS grew by {} MiB over 1200 requests", grown >> 20);
        server.stop().await;
    });
}

#[test]
fn a_gigabyte_streams_both_ways_in_bounded_memory() {
    let _alone = alone();
    const GIB: u64 = 1 << 30;
    let featherlight =
        Featherlight::new(HTTP_PROXY_WASM, ProxyConfig { max_body_size: None, ..ProxyConfig::default() });
    runtime().block_on(async {
        let server = featherlight.serve(ServeOptions::default()).await;
        assert_serving(server.addr).await;
        let rss = rss_bytes();
        // Download: the component writes 1 GiB; the client counts it.
        let stream = TcpStream::connect(server.addr).await.unwrap();
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.unwrap();
        tokio::spawn(connection);
        let download =
            request("GET", server.addr, &format!("/download?bytes={GIB}")).body(Full::new(Bytes::new())).unwrap();
        let mut body = sender.send_request(download).await.unwrap().into_body();
        let mut received = 0u64;
        let mut peak = 0u64;
        while let Some(frame) = body.frame().await {
            received += frame.unwrap().into_data().map_or(0, |d| d.len() as u64);
            if received % (64 << 20) < 65536 {
                peak = peak.max(rss_bytes());
            }
        }
        assert_eq!(received, GIB);
        // Upload: 1 GiB of 1 MiB frames echoed back.
        let body = Generated { frame: Bytes::from(vec![3u8; 1 << 20]), count: 1024 };
        let upload = request("POST", server.addr, "/echo").body(body).unwrap();
        let stream = TcpStream::connect(server.addr).await.unwrap();
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.unwrap();
        tokio::spawn(connection);
        let mut body = sender.send_request(upload).await.unwrap().into_body();
        let mut echoed = 0u64;
        while let Some(frame) = body.frame().await {
            echoed += frame.unwrap().into_data().map_or(0, |d| d.len() as u64);
            if echoed % (64 << 20) < 65536 {
                peak = peak.max(rss_bytes());
            }
        }
        assert_eq!(echoed, GIB);
        let grown = peak.saturating_sub(rss);
        assert!(grown < 256 << 20, "RSS grew by {} MiB while 2 GiB streamed", grown >> 20);
        server.stop().await;
    });
}
