//! `featherlight run`: runs a WASI command (its `wasi:cli/run` export) like `wasmtime run`,
//! or calls one export and prints its results the way `wasmtime run --invoke` does.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use clap::Args;
use featherlight::wasm::command::WASI_RUN;
use featherlight::wasm::wave::{display_results, parse_invoke};
use featherlight::{Component, ComponentWorld, FsPerms, Linker, Sandbox, Snapshot, WasiConfig, WorldFunction};

use crate::options::Session;
use crate::report::{errln, outln};
use crate::wasmtime_flags::{Group, GroupParser, Refused, Setting, Settings};

/// The status `wasmtime run` exits with when the guest traps (128 + SIGABRT).
const TRAP_STATUS: i32 = 134;

/// How much of a long `--invoke` call an error quotes.
const QUOTED_CALL_CHARS: usize = 80;

/// The WASI 0.2 interfaces the guest runtime implements (under any `wasi:*@0.2.x`
/// version; `guest-runtime/image/src/wasi/mod.rs`; outgoing HTTP is denied outside
/// `featherlight serve`), besides `filesystem/*` (granted by
/// `--dir`) and `sockets/*`, which links without granting anything. The terminal interfaces only
/// define resources. A test checks this list against the guest runtime's source.
const LINKED_WASI: &[&str] = &[
    "io/error",
    "io/poll",
    "io/streams",
    "cli/environment",
    "cli/exit",
    "cli/stdin",
    "cli/stdout",
    "cli/stderr",
    "cli/terminal-input",
    "cli/terminal-output",
    "cli/terminal-stdin",
    "cli/terminal-stdout",
    "cli/terminal-stderr",
    "clocks/wall-clock",
    "clocks/monotonic-clock",
    "random/random",
    "random/insecure",
    "random/insecure-seed",
    "http/types",
    "http/outgoing-handler",
];

/// `featherlight run [OPTIONS] COMPONENT [ARGS]...`
#[derive(Debug, Args)]
#[command(
    override_usage = "featherlight run [OPTIONS] <COMPONENT> [ARGS]...\n       featherlight [OPTIONS] <COMPONENT> [ARGS]...",
    after_help = "\
Options go before COMPONENT; everything after it is an argument for the guest.
`featherlight app.wasm ...` is short for `featherlight run app.wasm ...`, as with wasmtime.
wasmtime's other options (--preload, --profile, -O, -D, and the -W/-S/-C keys
not listed by `-W help`, `-S help`, `-C help`) are refused by name.

Examples:
  featherlight run app.wasm arg1 arg2
  featherlight run --env NAME=value --env HOME app.wasm
  featherlight run --dir . --dir-ro /srv/data::/data app.wasm
  featherlight run -W timeout=5s,max-memory-size=16777216 app.wasm
  featherlight run --invoke 'add(1, 2)' --trap-unknown-imports calculator.wasm
  featherlight run --invoke 'my:pkg/iface.add@1.0.0(1, 2)' component.cwasm"
)]
pub struct RunArgs {
    /// Call this export and print its results, in WAVE syntax: `add(1, 2)`, or qualified by
    /// its interface: `my:pkg/iface.add(1, 2)`, `my:pkg/iface.add@1.0.0(1, 2)`. Without it,
    /// the component must be a WASI command (export `wasi:cli/run`), which is run.
    #[arg(long, value_name = "CALL")]
    pub invoke: Option<String>,

    /// Give the guest environment variable NAME set to VAL, or (`--env NAME`) this process's
    /// value of NAME, if set. Nothing else of this process's environment reaches the guest
    /// (unless `-S inherit-env`).
    #[arg(long = "env", value_name = "NAME[=VAL]", value_parser = parse_env_var)]
    pub env: Vec<(String, Option<String>)>,

    /// Instantiate even if the component imports functions nothing provides (featherlight
    /// provides WASI 0.2 only); calling one traps. Without it, such a component is refused
    /// before it runs, as `wasmtime run` refuses it. Also `-W unknown-imports-trap`.
    #[arg(long)]
    pub trap_unknown_imports: bool,

    /// The guest's first argument [default: the component's file name, as with wasmtime run].
    #[arg(long, value_name = "NAME")]
    pub argv0: Option<String>,

    /// The largest message between host and guest — a call's arguments or results, such as
    /// a long `--invoke` list — like 64M or 1G; larger ones are refused [default: 256M].
    #[arg(long, value_name = "SIZE", value_parser = crate::size::parse_size)]
    pub max_message_size: Option<u64>,

    /// wasmtime's Wasm options: featherlight accepts `-W max-memory-size=N` (bytes each
    /// linear memory may grow to), `-W max-wasm-stack=N`, `-W timeout=DURATION` (`5s`,
    /// `100ms`, `1m`; a plain number is seconds: the run or call fails past it, like a
    /// trap) and `-W unknown-imports-trap`. Comma-separated; `-W help` lists them.
    #[arg(short = 'W', long = "wasm", value_name = "KEY[=VAL[,..]]", value_parser = GroupParser(Group::Wasm))]
    pub wasm: Vec<Settings>,

    /// wasmtime's WASI options: featherlight accepts `-S inherit-env` (give the guest this
    /// process's whole environment; `--env` still overrides) and `-S cli` (WASI is always
    /// linked). `-S help` lists them.
    #[arg(short = 'S', long = "wasi", value_name = "KEY[=VAL[,..]]", value_parser = GroupParser(Group::Wasi))]
    pub wasi: Vec<Settings>,

    /// Accepted for wasmtime's sake: featherlight always runs files from `featherlight
    /// compile` (they carry a digest it checks).
    #[arg(long, hide = true)]
    pub allow_precompiled: bool,

    /// wasmtime's -O, -D, -R groups: no key has a meaning in featherlight; each is refused
    /// by name.
    #[arg(short = 'O', long = "optimize", hide = true, value_parser = GroupParser(Group::Optimize))]
    pub optimize: Vec<Settings>,
    #[arg(short = 'D', long = "debug", hide = true, value_parser = GroupParser(Group::Debug))]
    #[doc(hidden)]
    pub debug: Vec<Settings>,
    #[arg(short = 'R', long = "record", hide = true, value_parser = GroupParser(Group::Record))]
    #[doc(hidden)]
    pub record: Vec<Settings>,

    /// Grant the guest the host directory HOST as GUEST (default: HOST as written), as
    /// `wasmtime run --dir`: the guest reads and writes beneath it and nowhere else (paths
    /// are resolved by the kernel beneath the directory; `..`, absolute paths and symlinks
    /// cannot leave it). Repeatable; `--dir .` grants the current directory as `.`.
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    pub dir: Vec<String>,

    /// Like `--dir`, read-only: every change beneath it (writing, truncating, creating,
    /// removing, renaming) fails with `not-permitted`, as wasmtime-wasi's read-only grants.
    #[arg(long = "dir-ro", value_name = "HOST[::GUEST]")]
    pub dir_ro: Vec<String>,

    /// wasmtime run's options featherlight has no meaning for, refused by name.
    #[arg(long = "preload", hide = true, value_parser = Refused {
        option: "--preload",
        why: "featherlight runs one component; it links no other modules",
    })]
    #[doc(hidden)]
    pub preload: Vec<String>,
    #[arg(long = "profile", hide = true, value_parser = Refused {
        option: "--profile",
        why: "guest code runs inside a VM, out of reach of host profilers",
    })]
    #[doc(hidden)]
    pub profile: Vec<String>,
    #[arg(long = "target", hide = true, value_parser = Refused {
        option: "--target",
        why: "the guest's target is fixed (x86_64, the VM's CPU features)",
    })]
    #[doc(hidden)]
    pub target: Vec<String>,
    #[arg(long = "config", hide = true, value_parser = Refused {
        option: "--config",
        why: "give its settings as options (-W, -S, -C)",
    })]
    #[doc(hidden)]
    pub config: Vec<String>,

    /// Start from this warm snapshot file, written by `featherlight compile --snapshot`
    /// for the same component: nothing boots or instantiates. The guest's arguments and
    /// environment are those the file was made with (the component's file name, nothing
    /// else), so guest arguments, `--env`, `--argv0`, `--dir` and `-S inherit-env` are
    /// refused with it.
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,

    /// The component (a `.wasm` component, or a `.cwasm` file written by `featherlight
    /// compile`), then arguments for the guest: everything after the component is the
    /// guest's, even what looks like an option. The guest's first argument is the
    /// component's file name (not its path), as with wasmtime run.
    #[arg(value_name = "COMPONENT [ARGS]", required = true, num_args = 1.., trailing_var_arg = true)]
    pub component_and_args: Vec<OsString>,
}

/// `wasi` with the guest's environment: this process's whole environment if the last
/// `-S inherit-env` among `settings` says so, then each `--env` (`NAME=VAL`, or `NAME`
/// for this process's value).
pub(crate) fn with_guest_env(
    mut wasi: WasiConfig,
    settings: impl Iterator<Item = Setting>,
    env: &[(String, Option<String>)],
) -> WasiConfig {
    let inherit_env = settings.filter_map(|s| if let Setting::InheritEnv(on) = s { Some(on) } else { None });
    if inherit_env.last() == Some(true) {
        for (name, value) in std::env::vars_os() {
            if let (Some(name), Some(value)) = (name.to_str(), value.to_str()) {
                wasi = wasi.env(name, value);
            }
        }
    }
    for (name, value) in env {
        wasi = match value {
            Some(value) => wasi.env(name, value),
            None => wasi.inherit_env(name),
        };
    }
    wasi
}

/// `--env`'s `NAME[=VAL]`: the name must not be empty.
pub(crate) fn parse_env_var(text: &str) -> Result<(String, Option<String>), String> {
    let (name, value) = match text.split_once('=') {
        Some((name, value)) => (name, Some(value.to_owned())),
        None => (text, None),
    };
    if name.is_empty() {
        return Err("the variable's name is empty; write NAME=VALUE, or NAME to pass this process's value".to_owned());
    }
    Ok((name.to_owned(), value))
}

impl RunArgs {
    /// The component's path.
    fn component(&self) -> &Path {
        // clap requires at least one value.
        self.component_and_args.first().map_or_else(|| Path::new(""), Path::new)
    }

    /// With `--snapshot`, the guest's arguments and environment are the snapshot's: fails
    /// if any option or argument would give it others.
    fn refuse_state_with_snapshot(&self) -> anyhow::Result<()> {
        let inherit_env = self.settings().any(|s| matches!(s, Setting::InheritEnv(true)));
        let given = [
            (!self.guest_args().is_empty(), "guest arguments"),
            (!self.env.is_empty(), "--env"),
            (self.argv0.is_some(), "--argv0"),
            (!self.dir.is_empty() || !self.dir_ro.is_empty(), "--dir"),
            (inherit_env, "-S inherit-env"),
        ];
        if let Some((_, what)) = given.iter().find(|(given, _)| *given) {
            bail!(
                "{what} cannot be given with --snapshot: a snapshot file holds the guest's arguments and \
                 environment as they were when it was made (run without --snapshot to give others)"
            );
        }
        Ok(())
    }

    /// The arguments after the component.
    fn guest_args(&self) -> &[OsString] {
        self.component_and_args.get(1..).unwrap_or_default()
    }

    /// The `-W` and `-S` settings, in order.
    fn settings(&self) -> impl Iterator<Item = Setting> + '_ {
        self.wasm.iter().chain(&self.wasi).flat_map(|settings| settings.0.iter().copied())
    }

    /// Whether imports nothing provides may trap when called rather than refuse the
    /// component: `--trap-unknown-imports`, or a last `-W unknown-imports-trap` saying so.
    fn trap_unknown_imports(&self) -> bool {
        let last =
            self.settings().filter_map(|s| if let Setting::UnknownImportsTrap(on) = s { Some(on) } else { None });
        self.trap_unknown_imports || last.last() == Some(true)
    }

    /// What the guest gets through WASI: its argv[0] (the component's file name, as
    /// `wasmtime run` passes it, so host paths do not leak) and the arguments after the
    /// component, the `--env` variables (after `-S inherit-env`'s); stdin, stdout and
    /// stderr are this process's (stdin read as the guest reads it, a terminal too).
    fn wasi(&self) -> anyhow::Result<WasiConfig> {
        let argv0 = match &self.argv0 {
            Some(argv0) => argv0.clone(),
            None => {
                let path = self.component();
                let name = path.file_name().unwrap_or(path.as_os_str());
                name.to_str().with_context(|| format!("the component's file name {name:?} is not UTF-8"))?.to_owned()
            }
        };
        let args = self
            .guest_args()
            .iter()
            .map(|arg| arg.to_str().map(str::to_owned).with_context(|| format!("argument {arg:?} is not UTF-8")))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mut wasi = with_guest_env(WasiConfig::new().arg(argv0).args(args), self.settings(), &self.env);
        for (grants, perms) in [(&self.dir, FsPerms::ReadWrite), (&self.dir_ro, FsPerms::ReadOnly)] {
            for grant in grants {
                let (host, guest) = grant.split_once("::").unwrap_or((grant, grant));
                wasi = wasi
                    .preopened_dir(host, guest, perms)
                    .with_context(|| format!("cannot grant `{grant}` (--dir HOST[::GUEST])"))?;
            }
        }
        Ok(wasi.inherit_stdin())
    }
}

/// The guest ended with this exit status: the CLI exits with it, silently.
#[derive(Debug)]
struct GuestExit(i32);

impl std::fmt::Display for GuestExit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the component exited with status {}", self.0)
    }
}

impl std::error::Error for GuestExit {}

/// Runs `featherlight run`. The guest's exit status (`std::process::exit`, `wasi:cli/exit`,
/// 1 when `run` returns an error) becomes this process's, silently; a trap, or running past
/// `-W timeout`, exits with 134 like `wasmtime run`.
pub fn run(args: &RunArgs, session: &Session) -> anyhow::Result<()> {
    let outcome = invoke(args, session);
    let Err(error) = outcome else { return Ok(()) };
    let _ = std::io::stdout().flush();
    let main_module = format!("failed to run main module `{}`", args.component().display());
    if let Some(GuestExit(code)) = error.downcast_ref::<GuestExit>() {
        std::process::exit(*code);
    }
    match error.downcast_ref::<featherlight::Error>() {
        Some(featherlight::Error::Exit { code }) => std::process::exit(*code),
        Some(featherlight::Error::Trap { .. }) => {
            errln!("Error: {:?}", error.context(main_module));
            std::process::exit(TRAP_STATUS)
        }
        Some(featherlight::Error::DeadlineExceeded { after }) => {
            // wasmtime reports its timeout as the trap `interrupt`.
            let error = anyhow!("wasm trap: interrupt")
                .context(format!("the guest ran past `-W timeout` ({after:?})"))
                .context(main_module);
            errln!("Error: {error:?}");
            std::process::exit(TRAP_STATUS)
        }
        _ => Err(error.context(main_module)),
    }
}

/// Loads the component, makes a sandbox with WASI and no other host functions and runs it
/// or makes the call.
fn invoke(args: &RunArgs, session: &Session) -> anyhow::Result<()> {
    let path = args.component();
    refuse_core_module(path)?;
    if args.snapshot.is_some() {
        args.refuse_state_with_snapshot()?;
    }
    let engine = session.engine_with(|config| {
        if let Some(size) = args.max_message_size {
            config.memory.max_message_size = size;
        }
        for setting in args.settings() {
            match setting {
                Setting::MaxMemorySize(bytes) => config.memory.max_wasm_memory = Some(bytes),
                Setting::MaxWasmStack(bytes) => config.memory.max_wasm_stack = bytes,
                Setting::Timeout(after) => config.call_timeout = Some(after),
                Setting::UnknownImportsTrap(_) | Setting::Cache(_) | Setting::Cli | Setting::InheritEnv(_) => {}
            }
        }
    })?;
    let component = Component::from_file(&engine, path)?;
    let world = component.world();
    if !args.trap_unknown_imports() {
        check_imports(world)?;
    }
    let wasi = args.wasi()?;
    let warm_key = wasi.warm_state_key();
    let mut linker = Linker::new();
    linker.wasi(wasi);
    let warm_sandbox = || match &args.snapshot {
        Some(file) => {
            let snapshot = Snapshot::load(&component, file)
                .with_context(|| format!("cannot start from the snapshot `{}`", file.display()))?;
            Ok(Sandbox::from_snapshot(&snapshot, &linker)?)
        }
        None => warm_sandbox(&component, &linker, &warm_key),
    };
    let Some(call) = &args.invoke else {
        let Some(index) = world.wasi_run_export() else {
            bail!(no_invoke_message(path, world, args.guest_args()));
        };
        let mut sandbox = warm_sandbox()?;
        // `wasmtime run` exits with the command's status, silently.
        return match sandbox.run_wasi_command(index)? {
            0 => Ok(()),
            code => Err(GuestExit(code).into()),
        };
    };
    let (index, params) = parse_invoke(call, world).map_err(|e| anyhow!(quote_briefly(&e.to_string(), call)))?;
    let name = world.exports().get(index).map_or_else(|| excerpt(call), |export| export.item_name());
    let mut sandbox = warm_sandbox()?;
    let results = sandbox.call_index(index, &params).with_context(|| format!("failed to invoke `{name}`"))?;
    outln!("{}", display_results(&results));
    Ok(())
}

/// A sandbox of `component` ready for its first call: from the warm snapshot in the
/// cache (saved there by an earlier run with the same component, engine and WASI
/// arguments, environment and output sinks), so nothing boots or instantiates; without a
/// cache, booted and instantiated here.
fn warm_sandbox(component: &Component, linker: &Linker, key: &[u8]) -> anyhow::Result<Sandbox> {
    if component.engine().config().cache_dir.is_none() {
        return Ok(Sandbox::new(component, linker)?);
    }
    let snapshot = Snapshot::load_or_make(component, linker, key)?;
    Ok(Sandbox::from_snapshot(&snapshot, linker)?)
}

/// Fails if `path` holds a core Wasm module rather than a component: featherlight runs
/// components only. (A file that cannot be read is left for the loader to report.)
pub fn refuse_core_module(path: &Path) -> anyhow::Result<()> {
    let mut header = [0u8; 8];
    let Ok(mut file) = std::fs::File::open(path) else { return Ok(()) };
    if file.read_exact(&mut header).is_err() {
        return Ok(());
    }
    // `\0asm`, then version 1 and layer 0: a core module (a component has layer 1).
    if header == *b"\0asm\x01\0\0\0" {
        bail!(
            "`{}` is a core WebAssembly module, not a component; featherlight runs components \
             (`wasm-tools component new` makes one from a module)",
            path.display()
        );
    }
    Ok(())
}

/// Refuses a component importing functions nothing provides, naming the first, in
/// wasmtime's words: the CLI links WASI 0.2 (in the guest runtime) and nothing else.
fn check_imports(world: &ComponentWorld) -> anyhow::Result<()> {
    let Some(missing) = world.imports().iter().find(|import| !linked(import)) else { return Ok(()) };
    // `[resource-drop]R`, `[constructor]R`, `[method]R.f`, `[static]R.f` belong to resource R.
    let resource = missing.name.strip_prefix('[').and_then(|rest| rest.split_once(']')).map(|(_, rest)| {
        let resource = rest.split_once('.').map_or(rest, |(resource, _)| resource);
        resource.to_owned()
    });
    let (item, missing_what) = match &resource {
        Some(resource) => (resource.as_str(), "resource implementation is missing"),
        None => (missing.name.as_str(), "function implementation is missing"),
    };
    let missing_what = format!(
        "{missing_what} (featherlight links WASI 0.2 only; with --trap-unknown-imports the component \
         runs, and calling the import traps)"
    );
    let error = match &missing.interface {
        Some(interface) => {
            anyhow!(missing_what).context(format!("instance export `{item}` has the wrong type")).context(format!(
                "component imports instance `{interface}`, but a matching implementation was not found in the linker"
            ))
        }
        None => {
            let kind = if resource.is_some() { "resource" } else { "func" };
            anyhow!(missing_what).context(format!(
                "component imports {kind} `{item}`, but a matching implementation was not found in the linker"
            ))
        }
    };
    Err(error)
}

/// Whether the guest runtime links `import`: WASI 0.2 interfaces it implements.
fn linked(import: &WorldFunction) -> bool {
    import.interface.as_deref().is_some_and(is_linked_wasi)
}

/// Whether `interface` (`wasi:cli/stdout@0.2.6`) is one the guest runtime implements.
fn is_linked_wasi(interface: &str) -> bool {
    let Some((name, version)) = interface.strip_prefix("wasi:").and_then(|rest| rest.split_once('@')) else {
        return false;
    };
    version.starts_with("0.2.")
        && (LINKED_WASI.contains(&name) || name.starts_with("filesystem/") || name.starts_with("sockets/"))
}

/// Why `run` without `--invoke` cannot go on, and what to do instead.
///
/// An `--invoke` written after the component is an argument for the guest, as with
/// wasmtime; when the component is no WASI command (nothing would read the argument),
/// that was surely meant as the option, and the message says options go before the
/// component.
fn no_invoke_message(path: &Path, world: &ComponentWorld, guest_args: &[OsString]) -> String {
    let misplaced = guest_args
        .iter()
        .position(|arg| arg.to_str().is_some_and(|arg| arg == "--invoke" || arg.starts_with("--invoke=")));
    if let Some(at) = misplaced {
        let call = match guest_args[at].to_str().and_then(|arg| arg.strip_prefix("--invoke=")) {
            Some(call) => Some(call.to_owned()),
            None => guest_args.get(at + 1).map(|call| call.to_string_lossy().into_owned()),
        };
        let call = call.map_or_else(|| "CALL".to_owned(), |call| excerpt(&call));
        return format!(
            "`--invoke` comes after the component, so it is an argument for the component, \
             which is not a WASI command; options go before the component: \
             featherlight run --invoke '{call}' {}",
            path.display()
        );
    }
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

/// `call` if short, else its first [`QUOTED_CALL_CHARS`] characters, `…` and its length.
fn excerpt(call: &str) -> String {
    match call.char_indices().nth(QUOTED_CALL_CHARS) {
        None => call.to_owned(),
        Some((end, _)) => format!("{}… ({} bytes in all)", &call[..end], call.len()),
    }
}

/// `message` about `call`, quoting at most an excerpt of a long call, and at most a few
/// hundred characters of whatever else it quotes.
fn quote_briefly(message: &str, call: &str) -> String {
    const LIMIT: usize = 400;
    let message = if call.chars().count() > QUOTED_CALL_CHARS {
        message.replace(call, &excerpt(call))
    } else {
        message.to_owned()
    };
    match message.char_indices().nth(LIMIT) {
        None => message,
        Some((end, _)) => format!("{}…", &message[..end]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wasi_0_2_interfaces_the_guest_implements_are_linked() {
        assert!(is_linked_wasi("wasi:cli/stdout@0.2.0"));
        assert!(is_linked_wasi("wasi:io/streams@0.2.6"));
        assert!(is_linked_wasi("wasi:filesystem/preopens@0.2.3"));
        assert!(is_linked_wasi("wasi:sockets/tcp@0.2.0"));
        // Linked for commands too: outside a served request it answers HTTP-request-denied.
        assert!(is_linked_wasi("wasi:http/outgoing-handler@0.2.0"));
        assert!(!is_linked_wasi("wasi:http/incoming-handler@0.2.0"));
        assert!(!is_linked_wasi("wasi:cli/stdout@0.3.0"));
        assert!(!is_linked_wasi("wasi:cli/stdout"));
        assert!(!is_linked_wasi("my:pkg/host"));
    }

    /// Every interface listed as linked is one the guest runtime defines.
    #[test]
    fn linked_wasi_matches_the_guest_runtime() {
        let source = include_str!("../../../guest-runtime/image/src/wasi/mod.rs");
        for name in LINKED_WASI {
            // The terminal interfaces define resources only (through `define_resources`).
            if name.starts_with("cli/terminal-input") || name.starts_with("cli/terminal-output") {
                continue;
            }
            assert!(source.contains(&format!("\"{name}\" =>")), "the guest runtime does not define {name}");
        }
    }

    #[test]
    fn env_names_must_not_be_empty() {
        assert_eq!(parse_env_var("A=1"), Ok(("A".to_owned(), Some("1".to_owned()))));
        assert_eq!(parse_env_var("A="), Ok(("A".to_owned(), Some(String::new()))));
        assert_eq!(parse_env_var("HOME"), Ok(("HOME".to_owned(), None)));
        assert!(parse_env_var("=x").is_err());
        assert!(parse_env_var("").is_err());
    }

    #[test]
    fn long_calls_are_quoted_briefly() {
        let call = format!("sum([{}])", vec!["1"; 30_000].join(", "));
        let message = quote_briefly(&format!("cannot read `{call}` as a function call: oops"), &call);
        assert!(message.len() < 500, "{message}");
        assert!(message.starts_with("cannot read `sum([1, 1"), "{message}");
        assert!(message.contains(&format!("… ({} bytes in all)", call.len())), "{message}");
        assert_eq!(quote_briefly("short `add(1,`", "add(1,"), "short `add(1,`");
        assert_eq!(excerpt("é".repeat(100).as_str()).chars().filter(|c| *c == 'é').count(), 80);
    }
}
