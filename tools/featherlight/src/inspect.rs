//! `featherlight inspect`: prints a component's WIT world, or with `--host`
//! what this host offers featherlight.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use featherlight::{Component, ComponentWorld};

use crate::options::Session;
use crate::report::out;

/// `featherlight inspect COMPONENT` or `featherlight inspect --host`
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The component: a `.wasm` component or a `.cwasm` file from `featherlight compile`.
    #[arg(value_name = "COMPONENT", required_unless_present = "host", conflicts_with = "host")]
    pub component: Option<PathBuf>,

    /// Report the host instead: the hypervisor featherlight would use, each
    /// hypervisor's relevant capabilities, and the CPU features compiled code targets.
    #[arg(long)]
    pub host: bool,
}

/// The first bytes of every Wasm binary, component or module.
const WASM_MAGIC: &[u8] = b"\0asm";

/// Runs `featherlight inspect`: prints the world as WIT, as `wasm-tools component wit`
/// does.
pub fn inspect(args: &InspectArgs, session: &Session) -> anyhow::Result<()> {
    let Some(path) = &args.component else {
        let report = featherlight::probe_host(session.hypervisor());
        out!("{report}");
        return Ok(());
    };
    let world = world(path, session).with_context(|| format!("failed to inspect `{}`", path.display()))?;
    let wit = world.wit();
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(wit.as_bytes())?;
    if !wit.ends_with('\n') {
        stdout.write_all(b"\n")?;
    }
    stdout.flush()?;
    Ok(())
}

/// The component's world: read straight from a `.wasm` (no compiling), or from a
/// precompiled file through the engine, which checks it.
fn world(path: &Path, session: &Session) -> anyhow::Result<ComponentWorld> {
    // A core module decodes as an empty world; refuse it as `run` does.
    crate::run::refuse_core_module(path)?;
    let bytes = std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    if bytes.starts_with(WASM_MAGIC) {
        return Ok(ComponentWorld::from_component(&bytes)?);
    }
    let engine = session.engine()?;
    let component = Component::from_file(&engine, path)?;
    Ok(component.world().clone())
}
