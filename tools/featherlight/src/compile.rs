//! `featherlight compile`: compiles a component ahead of time into a file that
//! `featherlight run` (and `Component::from_file`) load without compiling; with
//! `--snapshot`, also boots and instantiates it and writes its warm snapshot, which
//! `featherlight run --snapshot` (and `Snapshot::load`) start from.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use featherlight::{Component, Linker, Sandbox, WasiConfig};

use crate::options::Session;

/// `featherlight compile IN [-o OUT]`
#[derive(Debug, Args)]
pub struct CompileArgs {
    /// The component to compile (`.wasm`).
    #[arg(value_name = "IN")]
    pub input: PathBuf,

    /// Where to write the precompiled component [default: IN with the extension `.cwasm`,
    /// or `.snapshot` with `--snapshot`]. It loads only with the same featherlight build
    /// and engine configuration.
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,

    /// Write the component's warm snapshot instead: its state right after instantiation
    /// (WASI arguments: IN's file name; no environment), mapped by `featherlight run
    /// --snapshot OUT IN` and `Snapshot::load` so that no sandbox boots or instantiates.
    /// (The component itself is compiled into the cache.)
    #[arg(long)]
    pub snapshot: bool,
}

/// Runs `featherlight compile`.
pub fn compile(args: &CompileArgs, session: &Session) -> anyhow::Result<()> {
    let extension = if args.snapshot { "snapshot" } else { "cwasm" };
    let output = args.output.clone().unwrap_or_else(|| args.input.with_extension(extension));
    let engine = session.engine()?;
    let component = Component::from_file(&engine, &args.input)
        .with_context(|| format!("failed to compile `{}`", args.input.display()))?;
    if args.snapshot {
        // The WASI state `featherlight run IN` gives, less what a run adds (arguments,
        // environment): argv0 is the file name, as with wasmtime.
        let name = args.input.file_name().unwrap_or(args.input.as_os_str());
        let name = name.to_str().with_context(|| format!("the component's file name {name:?} is not UTF-8"))?;
        let mut linker = Linker::new();
        linker.wasi(WasiConfig::new().arg(name).inherit_stdin());
        let snapshot = Sandbox::new(&component, &linker)
            .and_then(|mut sandbox| sandbox.snapshot())
            .with_context(|| format!("failed to instantiate `{}`", args.input.display()))?;
        snapshot.save(&output).with_context(|| format!("failed to write `{}`", output.display()))?;
        tracing::info!(output = %output.display(), "wrote the warm snapshot");
        return Ok(());
    }
    let bytes = component.serialize()?;
    std::fs::write(&output, bytes).with_context(|| format!("failed to write `{}`", output.display()))?;
    tracing::info!(output = %output.display(), "wrote the precompiled component");
    Ok(())
}
