//! HTTP containers: a `wasi:http/proxy` component served on a TCP port, every request in a
//! VM restored to the component's warm snapshot, as `featherlight serve` does.
//!
//! The address comes from the annotation [`ADDR_ANNOTATION`], else the container's
//! environment variable [`ADDR_ENV`], else [`DEFAULT_ADDR`]. The socket is bound in the
//! network namespace the spec names (a pod's, under Kubernetes); a spec that names none
//! (`ctr run --net-host`) binds in the node's.

use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsRawFd;
use std::path::Path;

use anyhow::{Context, bail};
use featherlight::http::{Proxy, ServeOptions};
use oci_spec::runtime::{LinuxNamespaceType, Spec};
use tokio::sync::watch;

/// The annotation naming the address an HTTP container listens on (`HOST:PORT`).
pub const ADDR_ANNOTATION: &str = "io.featherlight.http.addr";
/// The container environment variable naming it, when the annotation does not.
pub const ADDR_ENV: &str = "FEATHERLIGHT_HTTP_ADDR";
/// The address otherwise: `featherlight serve`'s and `wasmtime serve`'s default.
pub const DEFAULT_ADDR: &str = "0.0.0.0:8080";

/// How far a kill has gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Serving.
    No,
    /// Stop accepting, let the requests in flight finish (SIGTERM, SIGINT).
    Gracefully,
    /// Stop now (SIGKILL and every other signal).
    Now,
}

impl Stop {
    /// What a kill with `signal` asks for.
    pub fn for_signal(signal: u32) -> Self {
        if signal == libc::SIGTERM as u32 || signal == libc::SIGINT as u32 { Stop::Gracefully } else { Stop::Now }
    }
}

/// The address the container listens on, from its annotations and environment.
pub fn address(spec: &Spec, env: &[(String, String)]) -> anyhow::Result<SocketAddr> {
    let annotation = spec.annotations().as_ref().and_then(|a| a.get(ADDR_ANNOTATION)).map(|v| (ADDR_ANNOTATION, v));
    let variable = env.iter().find(|(name, _)| name == ADDR_ENV).map(|(_, v)| (ADDR_ENV, v));
    let Some((source, value)) = annotation.or(variable) else {
        return Ok(DEFAULT_ADDR.parse().expect("the default address parses"));
    };
    value.parse().with_context(|| format!("{source}={value:?} is not an address like 0.0.0.0:8080"))
}

/// Binds `addr` in the spec's network namespace, if it names one by path.
pub fn listen(spec: &Spec, addr: SocketAddr) -> anyhow::Result<TcpListener> {
    let namespace = spec
        .linux()
        .as_ref()
        .and_then(|linux| linux.namespaces().as_ref())
        .into_iter()
        .flatten()
        .find(|namespace| namespace.typ() == LinuxNamespaceType::Network)
        .and_then(|namespace| namespace.path().clone());
    let listener = match namespace {
        None => bind(addr)?,
        // On a thread of its own, which enters the namespace and ends: the socket stays in
        // the namespace it was made in, the shim's other threads stay in theirs.
        Some(path) => {
            std::thread::scope(|scope| scope.spawn(|| enter_network_namespace(&path).and_then(|()| bind(addr))).join())
                .unwrap_or_else(|_| bail!("binding {addr} in the network namespace {} panicked", path.display()))?
        }
    };
    listener.set_nonblocking(true).context("cannot make the listening socket non-blocking")?;
    Ok(listener)
}

fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr} (set {ADDR_ENV} or {ADDR_ANNOTATION})"))
}

fn enter_network_namespace(path: &Path) -> anyhow::Result<()> {
    let file = File::open(path).with_context(|| format!("cannot open the network namespace {}", path.display()))?;
    // SAFETY: `file` is an open namespace file for the duration of the call; setns moves
    // only the calling thread, which binds one socket and ends.
    if unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        return Err(std::io::Error::last_os_error())
            .with_context(|| format!("cannot enter the network namespace {}", path.display()));
    }
    Ok(())
}

/// Serves `proxy` on `listener` until `stop` says so; returns once the server has stopped.
pub fn serve(proxy: Proxy, listener: TcpListener, mut stop: watch::Receiver<Stop>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the HTTP server's tokio runtime")?;
    let mut graceful = stop.clone();
    let served = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener).context("cannot serve on the socket")?;
        let shutdown = async move {
            let _ = graceful.wait_for(|stop| *stop != Stop::No).await;
        };
        let server = featherlight::http::serve(listener, proxy, ServeOptions::default(), shutdown);
        tokio::select! {
            served = server => served.context("the HTTP server failed"),
            _ = stop.wait_for(|stop| *stop == Stop::Now) => Ok(()),
        }
    });
    // Requests still in their VMs end at their deadlines; nothing waits for them.
    runtime.shutdown_background();
    served
}
