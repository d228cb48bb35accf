//! Compiled components on disk: the precompiled file format (also written
//! by `featherlight compile`) and the cache keyed by what shaped the code.
//!
//! A file carries the key it was compiled under (engine settings, wasmtime's
//! compatibility hash and the guest image) and a digest of its payload; a
//! file whose key or digest does not match is rejected, never loaded.
//!
//! The cache directory ([`CompileCache`]) holds one `<digest>.cwasm` file per
//! compiled component, and one `<digest>.flsnap` per warm snapshot
//! (`Snapshot::load_or_make`), evicted alike. Each is written to a temporary file
//! `<digest>.tmp<pid>-<n>` first and renamed into place, so readers never see
//! a partial file. After each write the cache removes temporary files their
//! writer left behind (killed mid-write) and, while the entries together
//! exceed the bound ([`Config::cache_max_size`](crate::Config::cache_max_size)),
//! the least recently used ones; a hit marks its entry used (its modification
//! time). Files named otherwise are never touched.

use crate::error::Error;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

const MAGIC: &[u8; 8] = b"FLTHCWSM";
const VERSION: u32 = 1;
const HEADER: usize = 8 + 4 + 32 + 8 + 8 + 32;

/// A component's original bytes and its compiled artifact.
#[derive(Debug)]
pub(crate) struct Precompiled {
    pub component: Vec<u8>,
    pub artifact: Vec<u8>,
}

/// Why a precompiled file was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CacheError {
    /// Not a featherlight precompiled file.
    #[error("not a featherlight precompiled component (bad header)")]
    NotPrecompiled,
    /// Compiled by another featherlight build or with other settings.
    #[error(
        "compiled by a different featherlight build or engine configuration; \
         recompile it with `featherlight compile`"
    )]
    Stale,
    /// The payload does not match its digest.
    #[error("the file is corrupted (digest mismatch); recompile it")]
    Corrupted,
}

/// The key compiled code depends on.
pub(crate) fn engine_key(settings: &str, image_digest: &[u8; 32]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(settings.as_bytes());
    hasher.update(image_digest);
    hasher.finalize().into()
}

fn payload_digest(component: &[u8], artifact: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update((component.len() as u64).to_le_bytes());
    hasher.update(component);
    hasher.update(artifact);
    hasher.finalize().into()
}

/// Serializes `precompiled` under `key`.
pub(crate) fn encode(key: &[u8; 32], component: &[u8], artifact: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + component.len() + artifact.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(&(component.len() as u64).to_le_bytes());
    out.extend_from_slice(&(artifact.len() as u64).to_le_bytes());
    out.extend_from_slice(&payload_digest(component, artifact));
    out.extend_from_slice(component);
    out.extend_from_slice(artifact);
    out
}

/// Whether `bytes` looks like a precompiled file (magic only).
pub(crate) fn is_precompiled(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// Parses and checks a precompiled file against `key`.
pub(crate) fn decode(bytes: &[u8], key: &[u8; 32]) -> Result<Precompiled, CacheError> {
    let header = bytes.get(..HEADER).ok_or(CacheError::NotPrecompiled)?;
    if &header[..8] != MAGIC {
        return Err(CacheError::NotPrecompiled);
    }
    let u64_at = |at: usize| u64::from_le_bytes(header[at..at + 8].try_into().unwrap_or_default());
    if header[8..12] != VERSION.to_le_bytes() || &header[12..44] != key {
        return Err(CacheError::Stale);
    }
    let component_len = usize::try_from(u64_at(44)).map_err(|_| CacheError::Corrupted)?;
    let artifact_len = usize::try_from(u64_at(52)).map_err(|_| CacheError::Corrupted)?;
    let payload = &bytes[HEADER..];
    if Some(payload.len()) != component_len.checked_add(artifact_len) {
        return Err(CacheError::Corrupted);
    }
    let (component, artifact) = payload.split_at(component_len);
    if header[60..92] != payload_digest(component, artifact) {
        return Err(CacheError::Corrupted);
    }
    Ok(Precompiled { component: component.to_vec(), artifact: artifact.to_vec() })
}

/// Where the compiled form of `component` lives in `dir`.
pub(crate) fn cache_path(dir: &Path, key: &[u8; 32], component: &[u8]) -> PathBuf {
    let mut hasher = Sha256::new();
    hasher.update(key);
    hasher.update(component);
    let name: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!("{name}{ENTRY_SUFFIX}"))
}

/// The default bound of a cache directory's entries: 1 GiB.
pub const DEFAULT_CACHE_MAX_SIZE: u64 = 1 << 30;

/// How long a temporary file whose writer still runs (or whose process id has
/// been reused) is left alone: writing one takes seconds.
const STALE_AFTER: Duration = Duration::from_secs(10 * 60);

/// The suffix of a cache entry's file name.
const ENTRY_SUFFIX: &str = ".cwasm";

/// The suffix of a warm snapshot's file name (`Snapshot::load_or_make`).
const SNAPSHOT_SUFFIX: &str = ".flsnap";

/// Where the warm snapshot keyed by `key` lives in `dir`.
pub(crate) fn snapshot_path(dir: &Path, key: &[u8; 32]) -> PathBuf {
    let name: String = key.iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!("{name}{SNAPSHOT_SUFFIX}"))
}

/// A file in a cache directory, by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CacheFile {
    /// `<digest>.cwasm`: a compiled component.
    Entry,
    /// `<digest>.tmp<pid>` or `<digest>.tmp<pid>-<n>`: an entry being written
    /// by process `pid` (or left behind by it).
    Temporary {
        /// The writer's process id.
        pid: u32,
    },
}

impl CacheFile {
    /// What `name` is, or `None` for a file the cache does not own.
    fn classify(name: &str) -> Option<Self> {
        fn is_digest(stem: &str) -> bool {
            stem.len() == 64 && stem.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        }
        if let Some(stem) = name.strip_suffix(ENTRY_SUFFIX).or_else(|| name.strip_suffix(SNAPSHOT_SUFFIX)) {
            return is_digest(stem).then_some(Self::Entry);
        }
        let (stem, rest) = name.split_once(".tmp")?;
        if !is_digest(stem) {
            return None;
        }
        let (pid, sequence) = rest.split_once('-').unwrap_or((rest, "0"));
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(pid) || !all_digits(sequence) {
            return None;
        }
        Some(Self::Temporary { pid: pid.parse().ok()? })
    }
}

/// Whether process `pid` (of this PID namespace) still runs. Assumed to when
/// `/proc` cannot tell.
fn process_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

/// How much a cache directory holds, or what an operation removed from it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheUsage {
    /// Compiled components (entries).
    pub entries: usize,
    /// Their total size in bytes.
    pub bytes: u64,
}

/// The directory compiled components are cached in, with its size bound.
///
/// An [`Engine`](crate::Engine) keeps its cache in
/// [`Config::cache_dir`](crate::Config::cache_dir) (`None`: no cache), bounded
/// by [`Config::cache_max_size`](crate::Config::cache_max_size); this type
/// inspects, trims and clears such a directory. Only files the cache wrote
/// (`<64 hex digits>.cwasm` and their temporary files) are ever removed, so
/// other files in the directory are safe. Several processes may share one
/// directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileCache {
    dir: PathBuf,
    max_size: u64,
}

/// One entry found in the directory.
struct Found {
    path: PathBuf,
    bytes: u64,
    used: SystemTime,
}

impl CompileCache {
    /// The cache in `dir`, bounded to `max_size` bytes of entries.
    pub fn new(dir: impl Into<PathBuf>, max_size: u64) -> Self {
        Self { dir: dir.into(), max_size }
    }

    /// The cache an engine with `config` uses, if any.
    pub fn for_config(config: &crate::Config) -> Option<Self> {
        config.cache_dir.as_ref().map(|dir| Self::new(dir, config.cache_max_size))
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The bound on the entries' total size, in bytes.
    pub fn max_size(&self) -> u64 {
        self.max_size
    }

    /// The cache's files: `(path, kind, metadata)`. A missing directory is an
    /// empty cache.
    fn files(&self) -> Result<Vec<(PathBuf, CacheFile, std::fs::Metadata)>, Error> {
        let io = |source| Error::Io { path: self.dir.clone(), source };
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(e)),
        };
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io)?;
            let Some(kind) = entry.file_name().to_str().and_then(CacheFile::classify) else {
                continue;
            };
            // Gone since the listing (another process trimmed it): skip it.
            let Ok(metadata) = entry.metadata() else {
                continue;
            };
            if metadata.is_file() {
                files.push((entry.path(), kind, metadata));
            }
        }
        Ok(files)
    }

    /// The entries, least recently used first.
    fn entries(&self) -> Result<Vec<Found>, Error> {
        let mut found: Vec<Found> = self
            .files()?
            .into_iter()
            .filter(|(_, kind, _)| *kind == CacheFile::Entry)
            .map(|(path, _, metadata)| Found {
                path,
                bytes: metadata.len(),
                used: metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            })
            .collect();
        found.sort_by(|a, b| a.used.cmp(&b.used).then_with(|| a.path.cmp(&b.path)));
        Ok(found)
    }

    /// How many entries the cache holds and their total size.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the directory cannot be read.
    pub fn usage(&self) -> Result<CacheUsage, Error> {
        Ok(self.entries()?.iter().fold(CacheUsage::default(), |usage, e| CacheUsage {
            entries: usage.entries + 1,
            bytes: usage.bytes + e.bytes,
        }))
    }

    /// Removes temporary files whose writer is gone (its process has ended)
    /// or that are older than ten minutes; returns how many.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the directory cannot be read or a file not removed.
    pub fn remove_stale_temporaries(&self) -> Result<usize, Error> {
        let now = SystemTime::now();
        let own = std::process::id();
        let mut removed = 0;
        for (path, kind, metadata) in self.files()? {
            let CacheFile::Temporary { pid } = kind else {
                continue;
            };
            let age = metadata.modified().ok().and_then(|t| now.duration_since(t).ok()).unwrap_or_default();
            let writer_gone = pid != own && !process_alive(pid);
            if (writer_gone || age > STALE_AFTER) && remove(&path)? {
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Removes the least recently used entries until the rest fit the bound;
    /// returns what it removed. `keep` (the entry just written) is never removed.
    fn trim_keeping(&self, keep: Option<&Path>) -> Result<CacheUsage, Error> {
        let entries = self.entries()?;
        let mut total: u64 = entries.iter().map(|e| e.bytes).sum();
        let mut removed = CacheUsage::default();
        for entry in entries {
            if total <= self.max_size {
                break;
            }
            if Some(entry.path.as_path()) == keep {
                continue;
            }
            if remove(&entry.path)? {
                removed.entries += 1;
                removed.bytes += entry.bytes;
            }
            total -= entry.bytes;
        }
        Ok(removed)
    }

    /// Removes the least recently used entries until the rest fit the bound
    /// ([`max_size`](Self::max_size)); returns what it removed.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the directory cannot be read or an entry not removed.
    pub fn trim(&self) -> Result<CacheUsage, Error> {
        self.trim_keeping(None)
    }

    /// Removes every entry and every stale temporary file (see
    /// [`remove_stale_temporaries`](Self::remove_stale_temporaries)); an entry
    /// another process is writing right now still appears. Returns the entries
    /// removed.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the directory cannot be read or a file not removed.
    pub fn clear(&self) -> Result<CacheUsage, Error> {
        let mut removed = CacheUsage::default();
        for entry in self.entries()? {
            if remove(&entry.path)? {
                removed.entries += 1;
                removed.bytes += entry.bytes;
            }
        }
        self.remove_stale_temporaries()?;
        Ok(removed)
    }

    /// After an entry was written to `path` in this directory (by its own
    /// temporary file and rename): removes stale temporary files and trims
    /// the cache to its bound, keeping this entry.
    pub(crate) fn written(&self, path: &Path) -> Result<(), Error> {
        self.remove_stale_temporaries()?;
        self.trim_keeping(Some(path))?;
        Ok(())
    }

    /// Marks the entry at `path` used (for eviction). Best effort: a
    /// read-only cache still serves.
    pub(crate) fn touch(path: &Path) {
        if let Ok(file) = std::fs::File::options().write(true).open(path) {
            let _ = file.set_modified(SystemTime::now());
        }
    }

    /// Reads the entry at `path`, marking it used. `Ok(None)` if there is none.
    pub(crate) fn load(&self, path: &Path) -> std::io::Result<Option<Vec<u8>>> {
        let mut file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut bytes)?;
        Self::touch(path);
        Ok(Some(bytes))
    }

    /// Writes the entry at `path` (in this cache's directory) so readers never
    /// see a partial file, even with other threads and processes writing the
    /// same entry; then removes stale temporary files and trims the cache to
    /// its bound, keeping this entry. An entry larger than the bound is not
    /// written. Public for tests only.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the entry cannot be written or the cache not trimmed.
    #[doc(hidden)]
    pub fn store(&self, path: &Path, contents: &[u8]) -> Result<(), Error> {
        static SEQUENCE: AtomicU64 = AtomicU64::new(0);
        if u64::try_from(contents.len()).unwrap_or(u64::MAX) > self.max_size {
            tracing::debug!(path = %path.display(), len = contents.len(), max = self.max_size, "entry exceeds the cache bound; not cached");
            return Ok(());
        }
        std::fs::create_dir_all(&self.dir).map_err(|source| Error::Io { path: self.dir.clone(), source })?;
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("entry");
        // Unique per process and per write: two threads writing the same entry
        // each rename a complete file of their own.
        let sequence = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        let temporary = self.dir.join(format!("{stem}.tmp{}-{sequence}", std::process::id()));
        let written = std::fs::write(&temporary, contents).and_then(|()| std::fs::rename(&temporary, path));
        if let Err(source) = written {
            let _ = std::fs::remove_file(&temporary);
            return Err(Error::Io { path: path.to_path_buf(), source });
        }
        self.remove_stale_temporaries()?;
        self.trim_keeping(Some(path))?;
        Ok(())
    }
}

/// Removes `path`; `Ok(false)` if it was gone already (another process
/// removed it first).
fn remove(path: &Path) -> Result<bool, Error> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(Error::Io { path: path.to_path_buf(), source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejections() {
        let key = [7; 32];
        let file = encode(&key, b"component", b"artifact");
        let back = decode(&file, &key).unwrap();
        assert_eq!((back.component.as_slice(), back.artifact.as_slice()), (&b"component"[..], &b"artifact"[..]));
        assert_eq!(decode(&file, &[8; 32]).unwrap_err(), CacheError::Stale);
        let mut flipped = file.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(decode(&flipped, &key).unwrap_err(), CacheError::Corrupted);
        assert_eq!(decode(&file[..file.len() - 1], &key).unwrap_err(), CacheError::Corrupted);
        assert_eq!(decode(b"\\0asm", &key).unwrap_err(), CacheError::NotPrecompiled);
    }

    #[test]
    fn file_names() {
        let digest = "0123456789abcdef".repeat(4);
        let classify = |suffix: &str| CacheFile::classify(&format!("{digest}{suffix}"));
        assert_eq!(classify(".cwasm"), Some(CacheFile::Entry));
        assert_eq!(classify(".flsnap"), Some(CacheFile::Entry));
        assert_eq!(classify(".tmp1234"), Some(CacheFile::Temporary { pid: 1234 }));
        assert_eq!(classify(".tmp1234-7"), Some(CacheFile::Temporary { pid: 1234 }));
        for foreign in [".cwasm.bak", ".tmp", ".tmp-7", ".tmp12-", ".tmp12x", ".tmp99999999999", ".wasm", ""] {
            assert_eq!(classify(foreign), None, "{foreign}");
        }
        assert_eq!(CacheFile::classify("values.cwasm"), None);
        assert_eq!(CacheFile::classify(&format!("{}.cwasm", "A".repeat(64))), None);
        let path = cache_path(Path::new("/c"), &[1; 32], b"component");
        let name = path.file_name().unwrap().to_str().unwrap();
        assert_eq!(CacheFile::classify(name), Some(CacheFile::Entry));
    }

    #[test]
    fn liveness() {
        assert!(process_alive(std::process::id()));
        assert!(process_alive(1));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(!process_alive(pid));
    }
}
