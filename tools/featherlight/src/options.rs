//! What every subcommand shares: the global options, logging, and the engine they
//! configure ([`Session`]).

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use featherlight::{Config, CpuFeatures, Engine, Hypervisor, HypervisorChoice};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

use crate::wasmtime_flags::{Group, GroupParser, Setting, Settings};

/// Options accepted before or after any subcommand (but before a component's own
/// arguments in `run`).
#[derive(Debug, Args)]
pub struct GlobalOptions {
    /// Cache compiled components in DIR [default: $XDG_CACHE_HOME/featherlight or
    /// ~/.cache/featherlight].
    #[arg(long, value_name = "DIR", global = true)]
    pub cache_dir: Option<PathBuf>,

    /// Compile components every time; read and write no cache (wasmtime's `-C cache=n`).
    #[arg(long, global = true, conflicts_with = "cache_dir")]
    pub no_cache: bool,

    /// wasmtime's codegen options: featherlight accepts `-C cache=y|n` (`n` is
    /// `--no-cache`); `-C help` lists them.
    #[arg(
        short = 'C',
        long = "codegen",
        value_name = "KEY[=VAL[,..]]",
        global = true,
        value_parser = GroupParser(Group::Codegen)
    )]
    pub codegen: Vec<Settings>,
    /// Keep the cache within SIZE (such as 1G, 500M or unlimited), removing the least
    /// recently used components beyond it [default: $FEATHERLIGHT_CACHE_MAX_SIZE, or 1G].
    #[arg(long, value_name = "SIZE", global = true, value_parser = crate::size::parse_size)]
    pub cache_max_size: Option<u64>,

    /// Log to stderr: -v warnings, -vv info, -vvv debug, -vvvv trace. `RUST_LOG`
    /// (for example `RUST_LOG=featherlight=debug`) replaces the level when set.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Which hypervisor runs sandboxes: `auto` picks /dev/kvm, then /dev/mshv (in
    /// builds with the `mshv` feature).
    #[arg(long, value_enum, default_value_t = HypervisorOption::Auto, global = true)]
    pub hypervisor: HypervisorOption,

    /// Which CPU features compiled code uses: `host` all this CPU has (AVX2, BMI2, …),
    /// `baseline` only SSE4.2 and POPCNT, for code that runs on any x86-64 server.
    #[arg(long, value_enum, default_value_t = CpuFeaturesOption::Host, global = true)]
    pub cpu_features: CpuFeaturesOption,
}

/// `--cpu-features`' values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CpuFeaturesOption {
    /// Everything the host CPU has.
    Host,
    /// The baseline.
    Baseline,
}

/// `--hypervisor`'s values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HypervisorOption {
    /// The first that exists.
    Auto,
    /// KVM (/dev/kvm).
    Kvm,
    /// Microsoft's hypervisor (/dev/mshv).
    Mshv,
}

/// The global options once logging is set up: what subcommands make engines from.
#[derive(Debug)]
pub struct Session {
    options: GlobalOptions,
    /// The most verbose guest log level worth forwarding (see [`init_logging`]).
    guest_log_level: u32,
}

impl Session {
    /// Sets up logging as `options` ask ([`init_logging`]).
    pub fn start(options: GlobalOptions) -> Self {
        let guest_log_level = init_logging(options.verbose);
        Self { options, guest_log_level }
    }

    /// The hypervisor the global options choose.
    pub fn hypervisor(&self) -> HypervisorChoice {
        match self.options.hypervisor {
            HypervisorOption::Auto => HypervisorChoice::Auto,
            HypervisorOption::Kvm => HypervisorChoice::Only(Hypervisor::Kvm),
            HypervisorOption::Mshv => HypervisorChoice::Only(Hypervisor::Mshv),
        }
    }

    /// An engine configured by the global options.
    pub fn engine(&self) -> anyhow::Result<Engine> {
        self.engine_with(|_| {})
    }

    /// Whether the compile cache is off: `--no-cache`, or a last `-C cache` saying `n`.
    fn no_cache(&self) -> bool {
        let last_cache =
            self.options.codegen.iter().flat_map(|settings| &settings.0).rev().find_map(|setting| match setting {
                Setting::Cache(on) => Some(*on),
                _ => None,
            });
        self.options.no_cache || last_cache == Some(false)
    }

    /// The engine configuration the global options ask for.
    pub fn config(&self) -> anyhow::Result<Config> {
        let cpu_features = match self.options.cpu_features {
            CpuFeaturesOption::Host => CpuFeatures::Host,
            CpuFeaturesOption::Baseline => CpuFeatures::Baseline,
        };
        let mut config = Config {
            guest_log_level: self.guest_log_level,
            hypervisor: self.hypervisor(),
            cpu_features,
            ..Config::default()
        };
        if self.no_cache() {
            config.cache_dir = None;
        } else if let Some(dir) = &self.options.cache_dir {
            config.cache_dir = Some(dir.clone());
        }
        if let Some(max) = self.options.cache_max_size {
            config.cache_max_size = max;
        } else if let Some(max) = std::env::var_os("FEATHERLIGHT_CACHE_MAX_SIZE") {
            config.cache_max_size = crate::size::parse_size(&max.to_string_lossy())
                .map_err(|e| anyhow::anyhow!(e))
                .context("invalid FEATHERLIGHT_CACHE_MAX_SIZE")?;
        }
        Ok(config)
    }

    /// An engine configured by the global options, then by `adjust`.
    pub fn engine_with(&self, adjust: impl FnOnce(&mut Config)) -> anyhow::Result<Engine> {
        let mut config = self.config()?;
        adjust(&mut config);
        Engine::new(config).context("cannot create the featherlight engine")
    }
}

/// Installs a `tracing` subscriber logging to stderr if `verbose` > 0, and returns the
/// most verbose guest log level worth forwarding (0 = errors … 4 = trace): each guest
/// record costs a VM exit, so the guest sends only what the filter can show.
///
/// Without `-v` nothing is logged. With it, `RUST_LOG` decides if it is set and valid;
/// otherwise the level follows the number of `-v`s, from `warn`. Colours only when stderr
/// is a terminal.
fn init_logging(verbose: u8) -> u32 {
    if verbose == 0 {
        return 0;
    }
    let default = match verbose {
        1 => LevelFilter::WARN,
        2 => LevelFilter::INFO,
        3 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    };
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::default().add_directive(default.into()));
    let guest_log_level = guest_log_level(filter.max_level_hint());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    guest_log_level
}

/// The guest log level (0 = errors … 4 = trace) matching the most verbose level a filter
/// enables; no hint means anything may be enabled.
fn guest_log_level(hint: Option<LevelFilter>) -> u32 {
    match hint {
        None => 4,
        Some(level) if level == LevelFilter::TRACE => 4,
        Some(level) if level == LevelFilter::DEBUG => 3,
        Some(level) if level == LevelFilter::INFO => 2,
        Some(level) if level == LevelFilter::WARN => 1,
        Some(_) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_levels_follow_the_filter() {
        assert_eq!(guest_log_level(Some(LevelFilter::OFF)), 0);
        assert_eq!(guest_log_level(Some(LevelFilter::ERROR)), 0);
        assert_eq!(guest_log_level(Some(LevelFilter::WARN)), 1);
        assert_eq!(guest_log_level(Some(LevelFilter::INFO)), 2);
        assert_eq!(guest_log_level(Some(LevelFilter::DEBUG)), 3);
        assert_eq!(guest_log_level(Some(LevelFilter::TRACE)), 4);
        assert_eq!(guest_log_level(None), 4);
    }
}
