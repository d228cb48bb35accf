//! `featherlight compile`: compiles a component ahead of time into a file that
//! `featherlight run` (and `Component::from_file`) load without compiling.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use featherlight::Component;

use crate::options::Session;

/// `featherlight compile IN [-o OUT]`
#[derive(Debug, Args)]
pub struct CompileArgs {
    /// The component to compile (`.wasm`).
    #[arg(value_name = "IN")]
    pub input: PathBuf,

    /// Where to write the precompiled component [default: IN with the extension `.cwasm`].
    /// It loads only with the same featherlight build and engine configuration.
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
}

/// Runs `featherlight compile`.
pub fn compile(args: &CompileArgs, session: &Session) -> anyhow::Result<()> {
    let output = args.output.clone().unwrap_or_else(|| args.input.with_extension("cwasm"));
    let engine = session.engine()?;
    let component = Component::from_file(&engine, &args.input)
        .with_context(|| format!("failed to compile `{}`", args.input.display()))?;
    let bytes = component.serialize()?;
    std::fs::write(&output, bytes).with_context(|| format!("failed to write `{}`", output.display()))?;
    tracing::info!(output = %output.display(), "wrote the precompiled component");
    Ok(())
}
