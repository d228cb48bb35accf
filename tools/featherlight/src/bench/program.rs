//! A real program from crates.io as a WASI command, in a sandbox and with wasmtime and
//! wasmtime-wasi in this process, in one run: comrak (`tests/components/markdown`)
//! rendering ~1 MB of Markdown from stdin to HTML on stdout.
//!
//! | name                   | one iteration                                                   |
//! |------------------------|-----------------------------------------------------------------|
//! | `comrak-1MB-vm`        | `Sandbox::new` with the input as stdin, then `wasi:cli/run` (what `featherlight run` does, minus process start and compiling: the artifact is cached) |
//! | `comrak-1MB-wasmtime`  | a new `Store` with wasmtime-wasi and the input as stdin, instantiate, `run` (what `wasmtime run` does after compiling) |

use super::measure::{Measurement, nanos};
use anyhow::{Context, ensure};
use featherlight::{CapturedOutput, Component, Engine, Linker, OutputSink, Sandbox, Value, WasiConfig};
use std::time::Instant;
use wasmtime_wasi::p2::bindings::sync::Command;
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::{ResourceTable, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

/// The comrak command (`tests/components/markdown`), built by `build.rs`.
pub(super) const MARKDOWN_WASM: &[u8] = include_bytes!(env!("FEATHERLIGHT_CLI_MARKDOWN_WASM"));

/// About 1 MB of Markdown: headings, paragraphs with emphasis and links, lists, task
/// lists, tables and code blocks, each section numbered so none repeats exactly.
pub(super) fn markdown_input() -> String {
    let mut text = String::new();
    let mut section = 0;
    while text.len() < 1_000_000 {
        section += 1;
        text.push_str(&format!(
            "## Section {section}\n\n\
             Some *emphasis*, some **strong text** and `inline code` in paragraph {section}, \
             with a [link](https://example.com/{section}) and an autolink https://example.org/{section}. \
             ~~Struck~~ words and more prose to make the paragraph long enough to wrap: \
             the quick brown fox jumps over the lazy dog {section} times.\n\n\
             - item one of {section}\n- item two with _emphasis_\n  - nested item\n\
             - [x] done task\n- [ ] open task\n\n\
             | name | value | note |\n|------|------:|:----:|\n\
             | alpha | {section} | first |\n| beta | {} | second |\n\n\
             ```rust\nfn section_{section}() -> u32 {{ {section} }}\n```\n\n\
             > A quote in section {section}, with a line break  \n> and a second line.\n\n",
            section * 2
        ));
    }
    text
}

/// Measures `iterations` runs on each side, alternating.
pub(super) fn measure(engine: &Engine, iterations: u32, progress: &dyn Fn(&str)) -> anyhow::Result<Vec<Measurement>> {
    progress("comrak-1MB-vm");
    let input = markdown_input();
    let component = Component::new(engine, MARKDOWN_WASM).context("cannot load the comrak component")?;
    let index = component
        .world()
        .exports()
        .iter()
        .position(|export| export.interface.as_deref().is_some_and(|i| i.starts_with("wasi:cli/run")))
        .context("the comrak component has no wasi:cli/run export")?;
    let in_vm = |input: &str| -> anyhow::Result<Vec<u8>> {
        let stdout = CapturedOutput::new();
        let mut linker = Linker::new();
        linker
            .wasi(WasiConfig::new().arg("comrak").stdin(input.as_bytes()).stdout(OutputSink::Capture(stdout.clone())));
        let mut sandbox = Sandbox::new(&component, &linker)?;
        let results = sandbox.call_index(index, &[])?;
        ensure!(matches!(results.as_slice(), [Value::Result(Ok(_))]), "comrak failed in the VM: {results:?}");
        Ok(stdout.take())
    };
    let wasmtime = InProcess::new()?;
    let (vm_html, host_html) = (in_vm(&input)?, wasmtime.run(&input)?);
    ensure!(vm_html == host_html, "comrak's output differs between the VM and wasmtime");
    ensure!(vm_html.len() > input.len(), "comrak wrote {} bytes of HTML", vm_html.len());
    let (mut vm_samples, mut host_samples) = (Vec::new(), Vec::new());
    for _ in 0..iterations {
        let start = Instant::now();
        in_vm(&input)?;
        vm_samples.push(nanos(start));
        let start = Instant::now();
        wasmtime.run(&input)?;
        host_samples.push(nanos(start));
    }
    Ok(vec![
        Measurement { name: "comrak-1MB-vm", baseline: "comrak-1MB-wasmtime", iterations, samples: vm_samples },
        Measurement { name: "comrak-1MB-wasmtime", baseline: "comrak-1MB-wasmtime", iterations, samples: host_samples },
    ])
}

/// The comrak component compiled by wasmtime in this process, default configuration.
struct InProcess {
    engine: wasmtime::Engine,
    component: wasmtime::component::Component,
    linker: wasmtime::component::Linker<Host>,
}

/// The store's data: WASI's context and resources.
struct Host {
    ctx: WasiCtx,
    table: ResourceTable,
}

impl WasiView for Host {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.ctx, table: &mut self.table }
    }
}

impl InProcess {
    fn new() -> anyhow::Result<Self> {
        let engine = wasmtime::Engine::default();
        let component = wasmtime::component::Component::new(&engine, MARKDOWN_WASM)
            .map_err(from_wasmtime)
            .context("wasmtime cannot compile the comrak component")?;
        let mut linker = wasmtime::component::Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(from_wasmtime)?;
        Ok(Self { engine, component, linker })
    }

    /// Runs the command on a fresh instance with `input` as stdin; returns its stdout.
    fn run(&self, input: &str) -> anyhow::Result<Vec<u8>> {
        let stdout = MemoryOutputPipe::new(64 << 20);
        let ctx = WasiCtxBuilder::new()
            .arg("comrak")
            .stdin(MemoryInputPipe::new(input.to_owned()))
            .stdout(stdout.clone())
            .build();
        let mut store = wasmtime::Store::new(&self.engine, Host { ctx, table: ResourceTable::new() });
        let command = Command::instantiate(&mut store, &self.component, &self.linker).map_err(from_wasmtime)?;
        let outcome = command.wasi_cli_run().call_run(&mut store).map_err(from_wasmtime)?;
        ensure!(outcome.is_ok(), "comrak failed in wasmtime");
        Ok(stdout.contents().to_vec())
    }
}

/// wasmtime's error (built without its `anyhow` feature) as an [`anyhow::Error`].
fn from_wasmtime(error: wasmtime::Error) -> anyhow::Error {
    anyhow::Error::from_boxed(error.into())
}
