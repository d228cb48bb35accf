//! `featherlight serve`: serves a `wasi:http/proxy` component over HTTP/1.1 like
//! `wasmtime serve`, every request in a micro-VM restored to the component's warm state.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use featherlight::http::{AllowedHost, OutgoingPolicy, Proxy, ProxyConfig, ServeOptions};
use featherlight::{Component, Linker, Snapshot, WasiConfig};

use crate::options::Session;
use crate::report::errln;
use crate::wasmtime_flags::{Group, GroupParser, Setting, Settings};

/// `featherlight serve [OPTIONS] COMPONENT`
#[derive(Debug, Args)]
#[command(after_help = "\
Every request runs in its own VM, restored to the component's state after
instantiation: nothing one request leaves behind reaches the next.

Examples:
  featherlight serve proxy.wasm
  featherlight serve --addr 127.0.0.1:3000 -W timeout=5s proxy.wasm
  featherlight serve --allow-http api.example.com --allow-http 127.0.0.1:9000 proxy.wasm")]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, value_name = "SOCKADDR", default_value = "0.0.0.0:8080")]
    pub addr: SocketAddr,

    /// Give the guest environment variable NAME set to VAL, or (`--env NAME`) this
    /// process's value of NAME.
    #[arg(long = "env", value_name = "NAME[=VAL]", value_parser = crate::run::parse_env_var)]
    pub env: Vec<(String, Option<String>)>,

    /// Let the component's outgoing requests (wasi:http/outgoing-handler) reach HOST
    /// (any port) or HOST:PORT; `*` allows every destination. Repeatable. Without it every
    /// outgoing request fails with `HTTP-request-denied`.
    #[arg(long = "allow-http", value_name = "HOST[:PORT]")]
    pub allow_http: Vec<AllowedHost>,

    /// Requests running at once, each in its own VM [default: 2 per CPU].
    #[arg(long, value_name = "N")]
    pub max_concurrent: Option<usize>,

    /// Requests waiting for a VM beyond those; more are answered 503.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    pub max_queued: usize,

    /// The largest request body, like 10M or 1G; larger ones are answered 413.
    #[arg(long, value_name = "SIZE", value_parser = crate::size::parse_size, default_value = "1G")]
    pub max_body_size: u64,

    /// The largest request head (request line and headers), like 64K; larger ones are
    /// answered 431 [default: hyper's, about 400K].
    #[arg(long, value_name = "SIZE", value_parser = crate::size::parse_size)]
    pub max_header_size: Option<u64>,

    /// How long one request may run, like 5s or 500ms (also `-W timeout=`); past it the
    /// request is answered 504. `0` means no limit [default: 60s].
    #[arg(long, value_name = "DURATION", value_parser = crate::wasmtime_flags::parse_duration)]
    pub request_timeout: Option<Duration>,

    /// wasmtime's Wasm options: `-W timeout=DURATION` (per request), `-W max-memory-size=N`,
    /// `-W max-wasm-stack=N`. `-W help` lists them.
    #[arg(short = 'W', long = "wasm", value_name = "KEY[=VAL[,..]]", value_parser = GroupParser(Group::Wasm))]
    pub wasm: Vec<Settings>,

    /// wasmtime's WASI options: `-S cli` (accepted: the cli interfaces are always linked,
    /// with nothing granted), `-S inherit-env`. `-S help` lists them.
    #[arg(short = 'S', long = "wasi", value_name = "KEY[=VAL[,..]]", value_parser = GroupParser(Group::Wasi))]
    pub wasi: Vec<Settings>,

    /// The component: a `wasi:http/proxy` component (`.wasm`, or `.cwasm` from `featherlight
    /// compile`).
    #[arg(value_name = "COMPONENT")]
    pub component: PathBuf,
}

impl ServeArgs {
    fn settings(&self) -> impl Iterator<Item = Setting> + '_ {
        self.wasm.iter().chain(&self.wasi).flat_map(|settings| settings.0.iter().copied())
    }

    fn wasi(&self) -> WasiConfig {
        crate::run::with_guest_env(WasiConfig::new(), self.settings(), &self.env)
    }

    fn request_timeout(&self) -> Option<Duration> {
        let from_w = self.settings().filter_map(|s| if let Setting::Timeout(t) = s { Some(t) } else { None }).last();
        match self.request_timeout.or(from_w) {
            Some(timeout) if timeout.is_zero() => None,
            Some(timeout) => Some(timeout),
            None => ProxyConfig::default().request_timeout,
        }
    }
}

/// Runs `featherlight serve` until SIGINT or SIGTERM, then finishes the requests in
/// flight and returns.
pub fn serve(args: &ServeArgs, session: &Session) -> anyhow::Result<()> {
    crate::run::refuse_core_module(&args.component)?;
    let engine = session.engine_with(|config| {
        for setting in args.settings() {
            match setting {
                Setting::MaxMemorySize(bytes) => config.memory.max_wasm_memory = Some(bytes),
                Setting::MaxWasmStack(bytes) => config.memory.max_wasm_stack = bytes,
                Setting::Timeout(_) | Setting::UnknownImportsTrap(_) | Setting::Cache(_) | Setting::Cli => {}
                Setting::InheritEnv(_) => {}
            }
        }
    })?;
    let component = Component::from_file(&engine, &args.component)?;
    if !component.world().exports_http_handler() {
        bail!(
            "`{}` is not a wasi:http proxy: it does not export `wasi:http/incoming-handler@0.2.x` \
             (build it with the `wasip2` crate's `http::proxy::export!`, or run a command with \
             `featherlight run`)",
            args.component.display()
        );
    }
    let wasi = args.wasi();
    let warm_key = wasi.warm_state_key();
    let mut linker = Linker::new();
    linker.wasi(wasi);
    let outgoing = args.allow_http.iter().cloned().fold(OutgoingPolicy::deny_all(), OutgoingPolicy::allow);
    let config = ProxyConfig {
        max_concurrent: args.max_concurrent.unwrap_or(ProxyConfig::default().max_concurrent).max(1),
        max_queued: args.max_queued,
        request_timeout: args.request_timeout(),
        max_body_size: Some(args.max_body_size),
        outgoing,
        prefix_output: true,
    };
    let options = ServeOptions {
        max_header_size: args.max_header_size.map(|size| usize::try_from(size).unwrap_or(usize::MAX)),
        ..ServeOptions::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the server's tokio runtime")?;
    runtime.block_on(async {
        // The warm snapshot is ready before the first connection is accepted: from the
        // cache when an earlier process saved it there, else made (and saved) now.
        let proxy = tokio::task::block_in_place(|| {
            let snapshot = Snapshot::load_or_make(&component, &linker, &warm_key)?;
            Proxy::from_snapshot(snapshot, &linker, config)
        })
        .with_context(|| format!("cannot prepare `{}`", args.component.display()))?;
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("cannot listen on {}", args.addr))?;
        let address = listener.local_addr().context("cannot read the listening address")?;
        errln!("Serving HTTP on http://{address}/");
        featherlight::http::serve(listener, proxy, options, shutdown_signal()).await.context("the server failed")
    })?;
    Ok(())
}

/// Completes at the first SIGINT or SIGTERM.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut interrupt), Ok(mut terminate)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate()))
    else {
        errln!("warning: cannot watch for SIGINT/SIGTERM; stop the server with SIGKILL");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
    tracing::info!("shutting down: finishing the requests in flight");
}
