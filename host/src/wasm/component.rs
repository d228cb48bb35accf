//! A component compiled for the guest, with its WIT world.

use super::cache::{self, CacheError, CompileCache};
use super::engine::Engine;
use super::world::ComponentWorld;
use crate::error::Error;
use crate::mem::boot_image::BootImage;
use sha2::Digest;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

/// A component ready to run: compiled ahead of time (with Cranelift, for the
/// guest) and cached on disk. Cheap to clone; sandboxes made from it share
/// one read-only snapshot of guest memory.
#[derive(Clone)]
pub struct Component {
    pub(crate) inner: Arc<ComponentInner>,
}

pub(crate) struct ComponentInner {
    pub engine: Engine,
    pub world: ComponentWorld,
    pub bytes: Vec<u8>,
    pub artifact: Vec<u8>,
    boot_image: Mutex<Option<Arc<BootImage>>>,
    digest: OnceLock<[u8; 32]>,
}

impl std::fmt::Debug for Component {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Component")
            .field("bytes", &self.inner.bytes.len())
            .field("artifact", &self.inner.artifact.len())
            .finish_non_exhaustive()
    }
}

fn compile_error(e: impl std::fmt::Debug) -> Error {
    Error::Compile(format!("{e:?}"))
}

impl Component {
    /// Loads a component (`.wasm`) or a file written by
    /// [`Component::serialize`] / `featherlight compile`.
    #[tracing::instrument(skip(engine), fields(path = %path.as_ref().display()))]
    pub fn from_file(engine: &Engine, path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
        if cache::is_precompiled(&bytes) {
            let precompiled = cache::decode(&bytes, &engine_key(engine)?)
                .map_err(|e| Error::Compile(format!("{}: {e}", path.display())))?;
            return Self::assemble(engine, precompiled.component, precompiled.artifact);
        }
        Self::new(engine, &bytes)
    }

    /// Compiles component `bytes`, or takes them from the cache.
    #[tracing::instrument(skip_all, fields(len = bytes.len()))]
    pub fn new(engine: &Engine, bytes: &[u8]) -> Result<Self, Error> {
        let key = engine_key(engine)?;
        let cache = CompileCache::for_config(engine.config());
        let cached = cache.as_ref().map(|cache| (cache, cache::cache_path(cache.dir(), &key, bytes)));
        if let Some((cache, path)) = &cached {
            match cache.load(path) {
                Ok(Some(file)) => match cache::decode(&file, &key) {
                    Ok(hit) if hit.component == bytes => {
                        tracing::debug!(path = %path.display(), "compiled component from cache");
                        return Self::assemble(engine, hit.component, hit.artifact);
                    }
                    Ok(_) => tracing::warn!(path = %path.display(), "cache file holds another component; recompiling"),
                    Err(e) => tracing::warn!(path = %path.display(), "rejected cache file ({e}); recompiling"),
                },
                Ok(None) => {}
                Err(e) => tracing::warn!(path = %path.display(), "cannot read cache file ({e}); recompiling"),
            }
        }
        let artifact = Self::compile(engine, bytes)?;
        if let Some((cache, path)) = &cached {
            // Failures only cost a recompile later: logged, not returned.
            if let Err(e) = cache.store(path, &cache::encode(&key, bytes, &artifact)) {
                tracing::warn!(path = %path.display(), "cannot write the compile cache: {e}");
            }
        }
        Self::assemble(engine, bytes.to_vec(), artifact)
    }

    fn compile(engine: &Engine, bytes: &[u8]) -> Result<Vec<u8>, Error> {
        let _span = tracing::info_span!("compile").entered();
        engine.inner.compiler.precompile_component(bytes).map_err(compile_error)
    }

    fn assemble(engine: &Engine, bytes: Vec<u8>, artifact: Vec<u8>) -> Result<Self, Error> {
        let world = ComponentWorld::from_component(&bytes)?;
        Ok(Self {
            inner: Arc::new(ComponentInner {
                engine: engine.clone(),
                world,
                bytes,
                artifact,
                boot_image: Mutex::new(None),
                digest: OnceLock::new(),
            }),
        })
    }

    /// The compiled component as a file `from_file` accepts (on any host
    /// with the same featherlight build and engine configuration).
    pub fn serialize(&self) -> Result<Vec<u8>, Error> {
        Ok(cache::encode(&engine_key(&self.inner.engine)?, &self.inner.bytes, &self.inner.artifact))
    }

    /// The component's WIT world: its exports and imports.
    pub fn world(&self) -> &ComponentWorld {
        &self.inner.world
    }

    /// SHA-256 of the component's bytes, computed once.
    pub fn digest(&self) -> [u8; 32] {
        *self.inner.digest.get_or_init(|| sha2::Sha256::digest(&self.inner.bytes).into())
    }

    /// The engine this component was compiled by.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The shared read-only snapshot, built on first use.
    pub(crate) fn boot_image(&self) -> Result<Arc<BootImage>, Error> {
        let mut slot = self.inner.boot_image.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(snapshot) = slot.as_ref() {
            return Ok(snapshot.clone());
        }
        let image = self.inner.engine.guest_image()?;
        let writable_pages = image
            .segments
            .iter()
            .filter(|s| s.writable)
            .map(|s| {
                (s.address % featherlight_abi::layout::PAGE_SIZE + s.memory_size)
                    .div_ceil(featherlight_abi::layout::PAGE_SIZE)
            })
            .sum();
        let layout = self.inner.engine.config().memory.layout(writable_pages)?;
        let mode = self.inner.engine.dirty_page_mode();
        let snapshot = Arc::new(BootImage::build(image, &self.inner.artifact, layout, mode)?);
        *slot = Some(snapshot.clone());
        Ok(snapshot)
    }
}

fn engine_key(engine: &Engine) -> Result<[u8; 32], Error> {
    // The image the artifact will run under, so artifacts of different
    // guest images never mix.
    Ok(cache::engine_key(&engine.inner.settings, &engine.guest_image()?.digest))
}

impl From<CacheError> for Error {
    fn from(e: CacheError) -> Self {
        Error::Compile(e.to_string())
    }
}
