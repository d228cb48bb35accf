//! `featherlight bench --serve`: requests per second and latency of `featherlight serve`
//! (the library's `Proxy` behind `featherlight::http::serve`) against wasmtime-wasi-http in
//! process, both on loopback with an in-process load generator over keep-alive
//! connections, with a raw KVM exit and a restore as baselines.

use anyhow::Context;
use bytes::Bytes;
use featherlight::http::{Proxy, ProxyConfig, ServeOptions};
use featherlight::{Component, Engine, Linker};
use featherlight_bench::http::{LoadResult, WasmtimeProxy, load};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;

use crate::report::{out, outln};

/// The `wasi:http/proxy` component the rows serve.
const HTTP_PROXY_WASM: &[u8] = include_bytes!(env!("FEATHERLIGHT_CLI_HTTP_PROXY_WASM"));

/// One workload: a route, its body and the reply it must get.
struct Workload {
    name: &'static str,
    method: &'static str,
    path: &'static str,
    body: Bytes,
    expect: Bytes,
    /// Requests per connection (after as many again to warm up).
    requests_each: usize,
}

/// One row of the report.
#[derive(Debug, Clone)]
struct ServeRow {
    name: String,
    server: &'static str,
    concurrency: usize,
    result: LoadResult,
    /// VM exits per request (featherlight only).
    exits_per_request: Option<f64>,
}

/// Runs the serve benchmark and prints its rows (JSON lines with `json`).
pub(super) fn run(engine: &Engine, scale: u32, json: bool, progress: &dyn Fn(&str)) -> anyhow::Result<()> {
    let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    progress("raw-exit and restore-16MiB-dirty-10 baselines");
    let raw_exit = super::calls::raw_exit(scale.min(20_000))?.median();
    let restore = super::restore::restore_16mib_dirty_10(engine.config().cache_dir.clone(), scale.min(2_000))?.median();

    progress("compiling the http-proxy component for featherlight and wasmtime");
    let component = Component::new(engine, HTTP_PROXY_WASM).context("cannot load the http-proxy component")?;
    let proxy =
        Proxy::new(&component, &Linker::new(), ProxyConfig { max_concurrent: 2 * cpus, ..ProxyConfig::default() })?;
    let wasmtime = WasmtimeProxy::new(HTTP_PROXY_WASM)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;

    let mib = Bytes::from(vec![b'x'; 1 << 20]);
    // The default --iterations (100 000) runs each workload's full count.
    let per_connection = |n: usize| (n * scale as usize / 100_000).max(10);
    let workloads = [
        Workload {
            name: "hello",
            method: "GET",
            path: "/hello",
            body: Bytes::new(),
            expect: Bytes::from_static(b"hello, world\n"),
            requests_each: per_connection(2000),
        },
        Workload {
            name: "echo-1MiB",
            method: "POST",
            path: "/echo",
            body: mib.clone(),
            expect: mib,
            requests_each: per_connection(100),
        },
    ];

    let rows = runtime.block_on(async {
        let ours = listen().await?;
        let theirs = listen().await?;
        let (ours_addr, theirs_addr) = (ours.local_addr()?, theirs.local_addr()?);
        let (stop_ours, stopped_ours) = tokio::sync::oneshot::channel::<()>();
        let (stop_theirs, stopped_theirs) = tokio::sync::oneshot::channel::<()>();
        let served = tokio::spawn(featherlight::http::serve(ours, proxy.clone(), ServeOptions::default(), async {
            let _ = stopped_ours.await;
        }));
        tokio::spawn(wasmtime.serve(theirs, async {
            let _ = stopped_theirs.await;
        }));
        let mut rows = Vec::new();
        for workload in &workloads {
            for concurrency in [1, 2 * cpus] {
                for (server, addr) in [("featherlight", ours_addr), ("wasmtime", theirs_addr)] {
                    progress(&format!("{} at concurrency {concurrency} on {server}", workload.name));
                    // Warm-up: VMs made, instances pooled, connections open.
                    measure(addr, workload, concurrency).await?;
                    let before = proxy.stats();
                    let result = measure(addr, workload, concurrency).await?;
                    let after = proxy.stats();
                    let exits_per_request = (server == "featherlight").then(|| {
                        (after.vm_exits - before.vm_exits) as f64 / (after.requests - before.requests).max(1) as f64
                    });
                    rows.push(ServeRow {
                        name: format!("serve-{}-c{concurrency}", workload.name),
                        server,
                        concurrency,
                        result,
                        exits_per_request,
                    });
                }
            }
        }
        let _ = stop_ours.send(());
        let _ = stop_theirs.send(());
        served.await??;
        anyhow::Ok(rows)
    })?;
    report(&rows, raw_exit, restore, 2 * cpus, json);
    Ok(())
}

async fn listen() -> anyhow::Result<TcpListener> {
    TcpListener::bind("127.0.0.1:0").await.context("cannot listen on loopback")
}

async fn measure(addr: SocketAddr, workload: &Workload, concurrency: usize) -> anyhow::Result<LoadResult> {
    let result = load(
        addr,
        workload.method,
        workload.path,
        workload.body.clone(),
        workload.expect.clone(),
        concurrency,
        workload.requests_each,
    )
    .await?;
    Ok(result)
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

/// Prints the rows, the targets and the cost split of a hello request.
fn report(rows: &[ServeRow], raw_exit_ns: f64, restore_ns: f64, high: usize, json: bool) {
    let find = |name: &str, server: &str| rows.iter().find(|r| r.name == name && r.server == server);
    let wasmtime_rate = |row: &ServeRow| find(&row.name, "wasmtime").map_or(f64::NAN, |w| w.result.per_second());
    if json {
        for row in rows {
            outln!(
                "{{\"name\":\"{}\",\"server\":\"{}\",\"concurrency\":{},\"requests\":{},\"requests_per_s\":{:.1},\
                 \"p50_us\":{:.1},\"p99_us\":{:.1},\"vm_exits_per_request\":{},\"rate_ratio_to_wasmtime\":{:.3}}}",
                row.name,
                row.server,
                row.concurrency,
                row.result.requests,
                row.result.per_second(),
                micros(row.result.percentile(50)),
                micros(row.result.percentile(99)),
                row.exits_per_request.map_or("null".to_owned(), |e| format!("{e:.2}")),
                row.result.per_second() / wasmtime_rate(row),
            );
        }
    } else {
        out!(
            "{:<22} {:<13} {:>12} {:>10} {:>10} {:>10} {:>12}\n",
            "name",
            "server",
            "requests/s",
            "p50",
            "p99",
            "exits/req",
            "rate ratio"
        );
        for row in rows {
            out!(
                "{:<22} {:<13} {:>12.0} {:>8.0}µs {:>8.0}µs {:>10} {:>12.3}\n",
                row.name,
                row.server,
                row.result.per_second(),
                micros(row.result.percentile(50)),
                micros(row.result.percentile(99)),
                row.exits_per_request.map_or("-".to_owned(), |e| format!("{e:.2}")),
                row.result.per_second() / wasmtime_rate(row),
            );
        }
    }
    // Targets: a hello takes one exit; its p50 at concurrency 1 stays within
    // 1.3 x (raw exit + restore + wasmtime's p50); at 2 x cores featherlight
    // serves at least half wasmtime's rate.
    let (Some(ours), Some(theirs)) = (find("serve-hello-c1", "featherlight"), find("serve-hello-c1", "wasmtime"))
    else {
        return;
    };
    let p50 = micros(ours.result.percentile(50));
    let budget = 1.3 * (raw_exit_ns / 1e3 + restore_ns / 1e3 + micros(theirs.result.percentile(50)));
    let exits = ours.exits_per_request.unwrap_or(f64::NAN);
    let high_name = format!("serve-hello-c{high}");
    let rate = find(&high_name, "featherlight").map_or(f64::NAN, |r| r.result.per_second() / wasmtime_rate(r));
    let met = |ok: bool| if ok { "met" } else { "missed" };
    let lines = [
        format!("baseline raw-exit {:.1}µs, restore-16MiB-dirty-10 {:.1}µs", raw_exit_ns / 1e3, restore_ns / 1e3),
        format!("target hello exits/request = 1: {exits:.2} ({})", met(exits <= 1.0)),
        format!(
            "target hello p50 at c1 <= 1.3 x (raw-exit + restore + wasmtime p50) = {budget:.0}µs: {p50:.0}µs ({})",
            met(p50 <= budget)
        ),
        format!("target hello rate at c{high} >= 0.5 x wasmtime: {rate:.3} ({})", met(rate >= 0.5)),
        format!(
            "hello at c1, per request: exits {:.0}µs, featherlight + hyper CPU {:.0}µs (restore {:.0}µs runs after the reply)",
            exits * raw_exit_ns / 1e3,
            (p50 - exits * raw_exit_ns / 1e3).max(0.0),
            restore_ns / 1e3
        ),
    ];
    for line in lines {
        if json {
            outln!("{{\"note\":\"{line}\"}}");
        } else {
            outln!("{line}");
        }
    }
}
