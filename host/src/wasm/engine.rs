//! The engine: configuration plus the Cranelift compiler that builds
//! components for the guest.

use super::cache::DEFAULT_CACHE_MAX_SIZE;
use crate::error::Error;
use crate::hypervisor::HypervisorChoice;
use crate::hypervisor::cpu::{CPU_FEATURES, CpuFeatures};
use crate::image::{GuestImage, ImageError, guest_image, parse_guest_image};
use crate::mem::{DirtyPageMode, MemoryConfig};
use featherlight_abi::engine::{SHARED_SETTINGS, SharedSettings};
use std::path::PathBuf;
use std::sync::Arc;

/// Engine settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Sizes of each sandbox's memory.
    pub memory: MemoryConfig,
    /// Where compiled components are cached; `None` disables the cache.
    /// Defaults to `$XDG_CACHE_HOME/featherlight` or `~/.cache/featherlight`.
    pub cache_dir: Option<PathBuf>,
    /// The most the cache's compiled components may take together, in bytes
    /// (default [`DEFAULT_CACHE_MAX_SIZE`], 1 GiB). After writing one, the
    /// engine removes the least recently used until the rest fit; a component
    /// compiled to more than this is not cached. `u64::MAX`: no bound. See
    /// [`CompileCache`](crate::CompileCache).
    pub cache_max_size: u64,
    /// Most verbose guest log level forwarded as `tracing` events
    /// (0 = errors … 4 = trace). Each record costs a VM exit.
    pub guest_log_level: u32,
    /// How long one call may run, and how long booting and instantiating a
    /// new sandbox may take (a component's start function runs then).
    /// `None`: no limit. Per sandbox: [`Sandbox::set_call_timeout`](crate::Sandbox::set_call_timeout).
    pub call_timeout: Option<std::time::Duration>,
    /// Which CPU features compiled code uses: by default every one this
    /// host's CPU has ([`CpuFeatures::Host`], as wasmtime compiles for its
    /// host); [`CpuFeatures::Baseline`] pins the baseline, for code and
    /// snapshots that move between machines. A sandbox on a CPU without the
    /// features is refused (`HypervisorError::MissingCpuFeatures`).
    pub cpu_features: CpuFeatures,
    /// Which hypervisor runs the sandboxes: by default the first that exists
    /// (`/dev/kvm`, then `/dev/mshv` in builds with the `mshv` feature).
    pub hypervisor: HypervisorChoice,
    /// How many VMs of dropped sandboxes each [`Snapshot`](crate::Snapshot)
    /// keeps for [`Sandbox::from_snapshot`](crate::Sandbox::from_snapshot)
    /// to reuse. A dropped sandbox that came from a snapshot (or was last
    /// restored to one) and is not poisoned is restored to it and parked;
    /// a sandbox made from a spare skips creating a VM, and its first call
    /// finds its pages already mapped. Each spare keeps a VM (two file
    /// descriptors and the hypervisor's memory for it) and the pages its
    /// sandbox wrote, holding the snapshot's bytes again. 0 turns this off:
    /// every dropped sandbox's VM is destroyed.
    pub spare_vms: usize,
    /// Test hook: boot this guest image (an `x86_64-unknown-none` ELF built
    /// on `guest-runtime/kernel`) instead of the embedded guest runtime.
    #[doc(hidden)]
    pub guest_image: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        let cache_dir = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
            .map(|base| base.join("featherlight"));
        Self {
            memory: MemoryConfig::default(),
            cache_dir,
            cache_max_size: DEFAULT_CACHE_MAX_SIZE,
            guest_log_level: 2,
            call_timeout: None,
            cpu_features: CpuFeatures::Host,
            hypervisor: HypervisorChoice::Auto,
            spare_vms: 8,
            guest_image: None,
        }
    }
}

/// Compiles components for the guest and holds the settings every sandbox
/// shares. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<EngineInner>,
}

pub(crate) struct EngineInner {
    pub config: Config,
    pub compiler: wasmtime::Engine,
    /// Every setting that changes compiled code, for cache keys.
    pub settings: String,
    /// The guest image of [`Config::guest_image`], if set.
    image_override: Option<GuestImage>,
    /// `config.memory.dirty_pages` resolved for this host.
    pub dirty_pages: DirtyPageMode,
    /// Boot-parameter bits of the CPU features code is compiled for.
    pub cpu_features: u64,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine with `config`.
    pub fn new(config: Config) -> Result<Self, Error> {
        // Validate sizes now rather than at the first sandbox.
        config.memory.layout(0)?;
        let mut wasm = wasmtime::Config::new();
        wasm.target("x86_64-unknown-none").map_err(|e| Error::Compile(format!("{e:?}")))?;
        // What the guest runtime sets too (guest-runtime/image/src/runtime.rs):
        // one copy, in the ABI crate.
        let SharedSettings {
            wasm_component_model,
            signals_based_traps,
            memory_reservation,
            memory_guard_size,
            memory_reservation_for_growth,
            x86_float_abi_ok,
        } = SHARED_SETTINGS;
        wasm.wasm_component_model(wasm_component_model);
        wasm.signals_based_traps(signals_based_traps);
        wasm.memory_reservation(memory_reservation);
        wasm.memory_guard_size(memory_guard_size);
        wasm.memory_reservation_for_growth(memory_reservation_for_growth);
        // Host only: the guest has no copy-on-write images of its own.
        wasm.memory_init_cow(false);
        wasm.max_wasm_stack(usize::try_from(config.memory.max_wasm_stack).unwrap_or(usize::MAX));
        let cpu_features = config.cpu_features.bits();
        // The guest enables exactly these CPU features (CPUID and boot
        // parameters; a sandbox is refused on a CPU without them).
        // SAFETY: as just said; and its soft-float runtime exchanges floats
        // with Cranelift code through memory, which x86_float_abi_ok vouches for.
        unsafe {
            for feature in CPU_FEATURES.iter().filter(|f| cpu_features & f.boot_bit != 0) {
                wasm.cranelift_flag_enable(feature.cranelift_flag);
            }
            wasm.x86_float_abi_ok(x86_float_abi_ok);
        }
        let compiler = wasmtime::Engine::new(&wasm).map_err(|e| Error::Compile(format!("{e:?}")))?;
        // wasmtime's own digest of its version and every compile setting.
        let mut hasher = std::hash::DefaultHasher::new();
        std::hash::Hash::hash(&compiler.precompile_compatibility_hash(), &mut hasher);
        let settings = format!("wasmtime settings {:016x}", std::hash::Hasher::finish(&hasher));
        let image_override = match config.guest_image.as_deref() {
            Some(path) => {
                let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
                Some(parse_guest_image(&bytes, path)?)
            }
            None => None,
        };
        let dirty_pages = config.memory.dirty_pages.resolve(config.hypervisor);
        tracing::debug!(?dirty_pages, "dirty-page mode");
        Ok(Self {
            inner: Arc::new(EngineInner { config, compiler, settings, image_override, dirty_pages, cpu_features }),
        })
    }

    /// The guest image sandboxes boot: the embedded one unless the
    /// configuration names another.
    pub(crate) fn guest_image(&self) -> Result<&GuestImage, ImageError> {
        match &self.inner.image_override {
            Some(image) => Ok(image),
            None => guest_image(),
        }
    }

    /// The dirty-page mode sandboxes of this engine use:
    /// [`MemoryConfig::dirty_pages`] resolved for this host (never `Auto`).
    pub fn dirty_page_mode(&self) -> DirtyPageMode {
        self.inner.dirty_pages
    }

    /// The engine's configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Bits of the CPU features compiled code needs.
    pub(crate) fn cpu_features(&self) -> u64 {
        self.inner.cpu_features
    }
}
