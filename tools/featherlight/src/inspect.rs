//! `featherlight inspect`: prints a component's WIT world.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use featherlight::{Component, ComponentWorld};

use crate::options::Session;

/// `featherlight inspect COMPONENT`
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The component: a `.wasm` component or a `.cwasm` file from `featherlight compile`.
    #[arg(value_name = "COMPONENT")]
    pub component: PathBuf,
}

/// The first bytes of every Wasm binary, component or module.
const WASM_MAGIC: &[u8] = b"\0asm";

/// Runs `featherlight inspect`: prints the world as WIT, as `wasm-tools component wit`
/// does.
pub fn inspect(args: &InspectArgs, session: &Session) -> anyhow::Result<()> {
    let world = world(args, session).with_context(|| format!("failed to inspect `{}`", args.component.display()))?;
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
fn world(args: &InspectArgs, session: &Session) -> anyhow::Result<ComponentWorld> {
    let path = &args.component;
    let bytes = std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    if bytes.starts_with(WASM_MAGIC) {
        return Ok(ComponentWorld::from_component(&bytes)?);
    }
    let engine = session.engine()?;
    let component = Component::from_file(&engine, path)?;
    Ok(component.world().clone())
}
