//! `featherlight run`: loads a component and calls one of its exports, printing the
//! results the way `wasmtime run --invoke` does.

use std::ffi::OsString;
use std::path::Path;

use anyhow::{Context, bail};
use clap::Args;
use featherlight::wasm::wave::{display_results, parse_invoke};
use featherlight::{Component, ComponentWorld, Linker, Sandbox};

use crate::options::Session;

/// The interface a WASI command exports; running it is not supported yet.
const WASI_RUN: &str = "wasi:cli/run";

/// `featherlight run [OPTIONS] COMPONENT [ARGS]...`
#[derive(Debug, Args)]
#[command(
    override_usage = "featherlight run [OPTIONS] <COMPONENT> [ARGS]...",
    after_help = "\
Options go before COMPONENT; everything after it is an argument for the guest.

Examples:
  featherlight run --invoke 'add(1, 2)' calculator.wasm
  featherlight run --invoke 'my:pkg/iface.add@1.0.0(1, 2)' component.cwasm"
)]
pub struct RunArgs {
    /// Call this export and print its results, in WAVE syntax: `add(1, 2)`, or qualified by
    /// its interface: `my:pkg/iface.add(1, 2)`, `my:pkg/iface.add@1.0.0(1, 2)`. Required
    /// for now: running WASI commands (`wasi:cli/run`) is not supported yet.
    #[arg(long, value_name = "CALL")]
    pub invoke: Option<String>,

    /// The component (a `.wasm` component, or a `.cwasm` file written by `featherlight
    /// compile`), then arguments for the guest: everything after the component is the
    /// guest's, even what looks like an option. Guest arguments are accepted for
    /// compatibility with `wasmtime run` but not used yet: they will reach the guest with
    /// WASI support.
    #[arg(
        value_name = "COMPONENT [ARGS]",
        required = true,
        num_args = 1..,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub component_and_args: Vec<OsString>,
}

impl RunArgs {
    /// The component's path.
    fn component(&self) -> &Path {
        // clap requires at least one value.
        self.component_and_args.first().map_or_else(|| Path::new(""), Path::new)
    }

    /// The arguments for the guest.
    fn guest_args(&self) -> &[OsString] {
        self.component_and_args.get(1..).unwrap_or_default()
    }
}

/// Runs `featherlight run`.
pub fn run(args: &RunArgs, session: &Session) -> anyhow::Result<()> {
    invoke(args, session).with_context(|| format!("failed to run main module `{}`", args.component().display()))
}

/// Loads the component, makes a sandbox with no host functions and makes the call.
fn invoke(args: &RunArgs, session: &Session) -> anyhow::Result<()> {
    let engine = session.engine()?;
    let component = Component::from_file(&engine, args.component())?;
    let world = component.world();
    let Some(call) = &args.invoke else {
        bail!(no_invoke_message(args.component(), world));
    };
    if !args.guest_args().is_empty() {
        tracing::warn!(
            args = ?args.guest_args(),
            "guest arguments are not passed to the guest yet (no WASI support)"
        );
    }
    let (index, params) = parse_invoke(call, world)?;
    let name = world.exports().get(index).map_or_else(|| call.clone(), |export| export.item_name());
    let mut sandbox = Sandbox::new(&component, &Linker::new())?;
    let results = sandbox.call_index(index, &params).with_context(|| format!("failed to invoke `{name}`"))?;
    println!("{}", display_results(&results));
    Ok(())
}

/// Why `run` without `--invoke` cannot go on, and what to do instead.
fn no_invoke_message(path: &Path, world: &ComponentWorld) -> String {
    let is_command = world.exports().iter().any(|export| export.interface.as_deref().is_some_and(is_wasi_run));
    let exports: Vec<String> = world.exports().iter().map(|e| e.item_name()).collect();
    let exports = if exports.is_empty() {
        "it exports no function featherlight can call".to_owned()
    } else {
        format!("its exports: {}", exports.join(", "))
    };
    if is_command {
        format!(
            "`{}` is a WASI command (it exports `{WASI_RUN}`), but running commands is not \
             supported yet (WASI support comes later); pass --invoke 'CALL' to call an \
             export instead ({exports})",
            path.display()
        )
    } else {
        format!(
            "`{}` exports no `{WASI_RUN}` to run; pass --invoke 'CALL' to call an export, \
             for example --invoke 'name(arg, ...)' ({exports})",
            path.display()
        )
    }
}

/// Whether `interface` is `wasi:cli/run`, of any version.
fn is_wasi_run(interface: &str) -> bool {
    interface.split('@').next() == Some(WASI_RUN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_wasi_run_of_any_version() {
        assert!(is_wasi_run("wasi:cli/run"));
        assert!(is_wasi_run("wasi:cli/run@0.2.6"));
        assert!(!is_wasi_run("wasi:cli/runner"));
        assert!(!is_wasi_run("wasi:cli/environment@0.2.6"));
    }
}
