//! `featherlight run`: runs a WASI command (its `wasi:cli/run` export) like `wasmtime run`,
//! or calls one export and prints its results the way `wasmtime run --invoke` does.

use std::ffi::OsString;
use std::io::{IsTerminal, Read, Write};
use std::path::Path;

use anyhow::{Context, bail};
use clap::Args;
use featherlight::wasm::wave::{display_results, parse_invoke};
use featherlight::{Component, ComponentWorld, Linker, Sandbox, Value, WasiConfig};

use crate::options::Session;

/// The interface a WASI command exports.
const WASI_RUN: &str = "wasi:cli/run";

/// The status `wasmtime run` exits with when the guest traps (128 + SIGABRT).
const TRAP_STATUS: i32 = 134;

/// `featherlight run [OPTIONS] COMPONENT [ARGS]...`
#[derive(Debug, Args)]
#[command(
    override_usage = "featherlight run [OPTIONS] <COMPONENT> [ARGS]...",
    after_help = "\
Options go before COMPONENT; everything after it is an argument for the guest.

Examples:
  featherlight run app.wasm arg1 arg2
  featherlight run --env NAME=value --env HOME app.wasm
  featherlight run --invoke 'add(1, 2)' calculator.wasm
  featherlight run --invoke 'my:pkg/iface.add@1.0.0(1, 2)' component.cwasm"
)]
pub struct RunArgs {
    /// Call this export and print its results, in WAVE syntax: `add(1, 2)`, or qualified by
    /// its interface: `my:pkg/iface.add(1, 2)`, `my:pkg/iface.add@1.0.0(1, 2)`. Without it,
    /// the component must be a WASI command (export `wasi:cli/run`), which is run.
    #[arg(long, value_name = "CALL")]
    pub invoke: Option<String>,

    /// Give the guest environment variable NAME set to VAL, or (`--env NAME`) this process's
    /// value of NAME. Nothing else of this process's environment reaches the guest.
    #[arg(long = "env", value_name = "NAME[=VAL]")]
    pub env: Vec<String>,

    /// The component (a `.wasm` component, or a `.cwasm` file written by `featherlight
    /// compile`), then arguments for the guest: everything after the component is the
    /// guest's, even what looks like an option. The guest sees the component's path as its
    /// first argument, as with `wasmtime run`.
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

    /// What the guest gets through WASI: the component's path and the arguments after it,
    /// the `--env` variables, this process's stdin unless it is a terminal; stdout and stderr
    /// are this process's.
    fn wasi(&self) -> anyhow::Result<WasiConfig> {
        let args = self
            .component_and_args
            .iter()
            .map(|arg| arg.to_str().map(str::to_owned).with_context(|| format!("argument {arg:?} is not UTF-8")))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mut wasi = WasiConfig::new().args(args);
        for var in &self.env {
            wasi = match var.split_once('=') {
                Some((name, value)) => wasi.env(name, value),
                None => wasi.inherit_env(var),
            };
        }
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            let mut bytes = Vec::new();
            stdin.lock().read_to_end(&mut bytes).context("cannot read stdin for the guest")?;
            wasi = wasi.stdin(bytes);
        }
        Ok(wasi)
    }
}

/// Runs `featherlight run`. The guest's exit status (`std::process::exit`, `wasi:cli/exit`)
/// becomes this process's; a trap exits with 134 like `wasmtime run`.
pub fn run(args: &RunArgs, session: &Session) -> anyhow::Result<()> {
    let outcome = invoke(args, session);
    let Err(error) = outcome else { return Ok(()) };
    let _ = std::io::stdout().flush();
    match error.downcast_ref::<featherlight::Error>() {
        Some(featherlight::Error::Exit { code }) => std::process::exit(*code),
        Some(featherlight::Error::Trap { .. }) => {
            let error = error.context(format!("failed to run main module `{}`", args.component().display()));
            eprintln!("Error: {error:?}");
            std::process::exit(TRAP_STATUS)
        }
        _ => Err(error.context(format!("failed to run main module `{}`", args.component().display()))),
    }
}

/// Loads the component, makes a sandbox with WASI and no other host functions and runs it
/// or makes the call.
fn invoke(args: &RunArgs, session: &Session) -> anyhow::Result<()> {
    let engine = session.engine()?;
    let component = Component::from_file(&engine, args.component())?;
    let world = component.world();
    let mut linker = Linker::new();
    linker.wasi(args.wasi()?);
    let Some(call) = &args.invoke else {
        let Some(index) = wasi_run_export(world) else {
            bail!(no_invoke_message(args.component(), world));
        };
        let mut sandbox = Sandbox::new(&component, &linker)?;
        let results = sandbox.call_index(index, &[])?;
        if let [Value::Result(Err(_))] = results.as_slice() {
            // What `wasmtime run` does when `run` returns an error.
            bail!("the component's `{WASI_RUN}#run` returned an error");
        }
        return Ok(());
    };
    let (index, params) = parse_invoke(call, world)?;
    let name = world.exports().get(index).map_or_else(|| call.clone(), |export| export.item_name());
    let mut sandbox = Sandbox::new(&component, &linker)?;
    let results = sandbox.call_index(index, &params).with_context(|| format!("failed to invoke `{name}`"))?;
    println!("{}", display_results(&results));
    Ok(())
}

/// The index of the component's `wasi:cli/run#run` export, if it is a WASI command.
fn wasi_run_export(world: &ComponentWorld) -> Option<usize> {
    world
        .exports()
        .iter()
        .position(|export| export.name == "run" && export.interface.as_deref().is_some_and(is_wasi_run))
}

/// Why `run` without `--invoke` cannot go on, and what to do instead.
fn no_invoke_message(path: &Path, world: &ComponentWorld) -> String {
    let exports: Vec<String> = world.exports().iter().map(|e| e.item_name()).collect();
    let exports = if exports.is_empty() {
        "it exports no function featherlight can call".to_owned()
    } else {
        format!("its exports: {}", exports.join(", "))
    };
    format!(
        "`{}` exports no `{WASI_RUN}` to run; pass --invoke 'CALL' to call an export, \
         for example --invoke 'name(arg, ...)' ({exports})",
        path.display()
    )
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
