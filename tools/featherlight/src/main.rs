//! `featherlight`: run WebAssembly components inside KVM micro-VMs from the command line.
//!
//! - `featherlight run app.wasm args...` runs a WASI command (`wasi:cli/run`), like
//!   `wasmtime run`, and exits with the guest's status;
//! - `featherlight run --invoke 'add(1, 2)' component.wasm` calls an export, like
//!   `wasmtime run --invoke`;
//! - `featherlight compile component.wasm` writes a precompiled `component.cwasm`;
//! - `featherlight inspect component.wasm` prints the component's WIT world;
//! - `featherlight bench` measures call costs against a raw KVM exit and against wasmtime;
//! - `featherlight cache dir|info|clear` shows or clears the compile cache.
//!
//! Each subcommand lives in its own module; [`options`] holds what they share.

mod bench;
mod cache;
mod compile;
mod inspect;
mod options;
mod run;

use clap::{Parser, Subcommand};

/// Run WebAssembly components inside KVM micro-VMs.
#[derive(Debug, Parser)]
#[command(name = "featherlight", version)]
struct Cli {
    #[command(flatten)]
    global: options::GlobalOptions,
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Runs a WASI command component, or calls one of its exports with `--invoke`.
    Run(run::RunArgs),
    /// Compiles a component ahead of time into a file `run` loads without compiling.
    Compile(compile::CompileArgs),
    /// Prints a component's WIT world: what it imports and exports.
    Inspect(inspect::InspectArgs),
    /// Measures the cost of calls into a sandbox against a raw KVM exit and wasmtime.
    Bench(bench::BenchArgs),
    /// Shows where compiled components are cached and how much they take, or clears them.
    Cache(cache::CacheArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let session = options::Session::start(cli.global);
    match cli.command {
        Command::Run(args) => run::run(&args, &session),
        Command::Compile(args) => compile::compile(&args, &session),
        Command::Inspect(args) => inspect::inspect(&args, &session),
        Command::Bench(args) => bench::bench(&args, &session),
        Command::Cache(args) => cache::cache(&args, &session),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
