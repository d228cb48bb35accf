//! `featherlight`: run WebAssembly components inside KVM micro-VMs from the command line.
//!
//! - `featherlight run app.wasm args...` runs a WASI command (`wasi:cli/run`), like
//!   `wasmtime run`, and exits with the guest's status;
//! - `featherlight run --invoke 'add(1, 2)' component.wasm` calls an export, like
//!   `wasmtime run --invoke`;
//! - `featherlight serve proxy.wasm` serves a `wasi:http/proxy` component, like
//!   `wasmtime serve`, every request in a VM restored to the warm state;
//! - `featherlight compile component.wasm` writes a precompiled `component.cwasm`;
//! - `featherlight inspect component.wasm` prints the component's WIT world;
//! - `featherlight bench` measures call costs against a raw KVM exit and against wasmtime;
//! - `featherlight cache dir|info|clear` shows or clears the compile cache;
//! - `featherlight image build app.wasm --tag app:1.0 -o app.tar` writes an OCI image.
//!
//! Each subcommand lives in its own module; [`options`] holds what they share.

mod bench;
mod cache;
mod compile;
mod image;
mod inspect;
mod options;
mod report;
mod run;
mod serve;
mod size;
mod wasmtime_flags;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::report::errln;

/// Run WebAssembly components inside KVM micro-VMs.
#[derive(Debug, Parser)]
#[command(
    name = "featherlight",
    version,
    after_help = "`featherlight app.wasm [ARGS]...` is short for `featherlight run app.wasm [ARGS]...`, \
                  as with wasmtime."
)]
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
    Run(Box<run::RunArgs>),
    /// Serves a wasi:http proxy component over HTTP, every request in its own micro-VM.
    Serve(Box<serve::ServeArgs>),
    /// Compiles a component ahead of time into a file `run` loads without compiling.
    Compile(compile::CompileArgs),
    /// Prints a component's WIT world: what it imports and exports.
    Inspect(inspect::InspectArgs),
    /// Measures the cost of calls into a sandbox against a raw KVM exit and wasmtime.
    Bench(bench::BenchArgs),
    /// Shows where compiled components are cached and how much they take, or clears them.
    Cache(cache::CacheArgs),
    /// Builds an OCI image of a component, for containerd and Kubernetes.
    Image(image::ImageArgs),
}

/// The subcommand names (and clap's `help`).
const SUBCOMMANDS: &[&str] = &["run", "serve", "compile", "inspect", "bench", "cache", "image", "help"];

/// `args` with `run` inserted where a command line names no subcommand but a component
/// or one of `run`'s options (`featherlight app.wasm`, `featherlight --invoke 'f()'
/// app.wasm`), as `wasmtime app.wasm` means `wasmtime run app.wasm`. Global options before
/// it are skipped; `--help`, `--version` and an empty command line are left alone.
fn with_run_shorthand(mut args: Vec<OsString>) -> Vec<OsString> {
    let mut at = 1;
    while let Some(arg) = args.get(at) {
        let Some(text) = arg.to_str() else { break };
        let takes_value = matches!(text, "--cache-dir" | "--cache-max-size" | "--hypervisor" | "-C" | "--codegen");
        let is_global = takes_value
            || matches!(text, "--no-cache" | "--verbose")
            || text.starts_with("--cache-dir=")
            || text.starts_with("--cache-max-size=")
            || text.starts_with("--hypervisor=")
            || text.starts_with("--codegen=")
            || (text.starts_with("-C") && text.len() > 2)
            || (text.len() > 1 && text.starts_with('-') && text[1..].bytes().all(|b| b == b'v'));
        if matches!(text, "-h" | "--help" | "-V" | "--version" | "--") || SUBCOMMANDS.contains(&text) {
            return args;
        }
        if !is_global {
            break;
        }
        at += if takes_value { 2 } else { 1 };
    }
    if at < args.len() {
        args.insert(at, OsString::from("run"));
    }
    args
}

fn main() -> ExitCode {
    let cli = Cli::parse_from(with_run_shorthand(std::env::args_os().collect()));
    let session = options::Session::start(cli.global);
    let outcome = match cli.command {
        Command::Run(args) => run::run(&args, &session),
        Command::Serve(args) => serve::serve(&args, &session),
        Command::Compile(args) => compile::compile(&args, &session),
        Command::Inspect(args) => inspect::inspect(&args, &session),
        Command::Bench(args) => bench::bench(&args, &session),
        Command::Cache(args) => cache::cache(&args, &session),
        Command::Image(args) => image::image(&args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // What `fn main() -> anyhow::Result<()>` prints, without panicking when stderr
            // is closed.
            errln!("Error: {error:?}");
            ExitCode::FAILURE
        }
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

    fn shorthand(args: &[&str]) -> Vec<String> {
        let args = args.iter().map(OsString::from).collect();
        with_run_shorthand(args).into_iter().map(|arg| arg.into_string().expect("UTF-8")).collect()
    }

    #[test]
    fn a_component_without_subcommand_is_run() {
        assert_eq!(shorthand(&["fl", "app.wasm", "x"]), ["fl", "run", "app.wasm", "x"]);
        assert_eq!(shorthand(&["fl", "--invoke", "f()", "c.wasm"]), ["fl", "run", "--invoke", "f()", "c.wasm"]);
        assert_eq!(
            shorthand(&["fl", "-vv", "--cache-dir", "d", "-C", "cache=n", "--no-cache", "app.wasm"]),
            ["fl", "-vv", "--cache-dir", "d", "-C", "cache=n", "--no-cache", "run", "app.wasm"]
        );
        assert_eq!(
            shorthand(&["fl", "--hypervisor=kvm", "-Ccache=n", "a.wasm"]),
            ["fl", "--hypervisor=kvm", "-Ccache=n", "run", "a.wasm"]
        );
        for unchanged in [
            &["fl"][..],
            &["fl", "run", "app.wasm"],
            &["fl", "-v", "inspect", "--host"],
            &["fl", "--help"],
            &["fl", "--version"],
            &["fl", "help", "run"],
            &["fl", "--cache-dir", "run"],
        ] {
            assert_eq!(shorthand(unchanged), unchanged);
        }
        // Parsed as a run.
        let cli = Cli::try_parse_from(with_run_shorthand(["fl", "app.wasm", "--x"].map(OsString::from).to_vec()))
            .expect("parses");
        assert!(matches!(cli.command, Command::Run(_)));
    }
}
