//! Snapshots in files ([`Snapshot::save`], [`Snapshot::load`]): a warm
//! sandbox's state that a later process starts sandboxes from, with nothing
//! booted or instantiated.
//!
//! The format is `featherlight_wire::snapshot_file` (its header parser is
//! fuzzed). Sandboxes map the file's pages copy-on-write, so every process
//! using one file shares its page cache and a sandbox's private memory is
//! what it dirties. A file is used only if its digest holds and it was taken
//! under this guest image, engine, component and memory layout; anything
//! else is a typed [`SnapshotFileError`] that says what to do. Writes go to
//! a temporary file renamed into place, so concurrent writers of one path
//! leave one whole file.

use super::Sandbox;
use super::handles::HandleTable;
use super::host_functions::Linker;
use super::snapshot::Snapshot;
use crate::error::Error;
use crate::hypervisor::Registers;
use crate::mem::region::FileRange;
use crate::mem::scratch_image::ScratchImage;
use crate::mem::{PAGE, host_usize};
use crate::wasm::cache::{CompileCache, snapshot_path};
use crate::wasm::component::Component;
use featherlight_abi::layout::MESSAGE_EXIT_LEN;
use featherlight_abi::linear_memory::RESERVATION;
use featherlight_wire::snapshot_file::{self as format, Extent, Identity, Metadata, Part, SnapshotFileError};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Bytes hashed at a time when checking a file's digest.
const CHUNK: usize = 1 << 20;

impl Snapshot {
    /// Writes this snapshot to `path` (atomically: a temporary file beside
    /// it, renamed into place), for [`Snapshot::load`] in any process of the
    /// same featherlight build, engine configuration and component.
    ///
    /// A snapshot whose guest holds host-resource handles cannot be saved
    /// ([`Error::SnapshotHandles`]): their objects belong to this process.
    #[tracing::instrument(skip_all, fields(path = %path.as_ref().display()))]
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        let path = path.as_ref();
        let (generations, free) =
            self.handles.to_free_slots().ok_or(Error::SnapshotHandles { live: self.handles.live() })?;
        let io = |source| Error::Io { path: path.to_path_buf(), source };
        let mut metadata = Metadata {
            identity: identity(&self.component)?,
            registers: registers_to_file(&self.regs),
            registered: self.registered.clone(),
            area_committed: self.area_committed.clone(),
            handle_generations: generations,
            handle_free: free,
            scratch: Part::default(),
            area: Part::default(),
        };
        let (scratch_ranges, scratch_prepared) = self.scratch.stored_ranges().map_err(io)?;
        let (area_ranges, area_prepared) = self.area.stored_ranges().map_err(io)?;
        // Counts fix the metadata's length, and so where the data starts.
        metadata.scratch = part(&self.scratch, &scratch_ranges, &scratch_prepared, 0);
        metadata.area = part(&self.area, &area_ranges, &area_prepared, 0);
        let data = format::data_offset(format::metadata_len(&metadata));
        let scratch_bytes: usize = scratch_ranges.iter().map(|r| r.end - r.start).sum();
        metadata.scratch = part(&self.scratch, &scratch_ranges, &scratch_prepared, data);
        metadata.area = part(&self.area, &area_ranges, &area_prepared, data + scratch_bytes as u64);
        let area_bytes: usize = area_ranges.iter().map(|r| r.end - r.start).sum();
        let file_len = data + (scratch_bytes + area_bytes) as u64;
        let mut header = format::encode_header(&metadata, file_len);

        let (temporary, file) = create_temporary(path).map_err(io)?;
        let written = (|| {
            let mut hasher = Sha256::new();
            hasher.update(&header[format::FIXED_HEADER..]);
            file.set_len(file_len)?;
            let mut at = data;
            let mut page = vec![0u8; PAGE];
            for (image, ranges) in [(&self.scratch, &scratch_ranges), (&self.area, &area_ranges)] {
                for range in ranges {
                    for offset in range.clone().step_by(PAGE) {
                        image.view().read(offset as u64, &mut page).map_err(io::Error::other)?;
                        hasher.update(&page);
                        // All-zero pages stay holes.
                        if page.iter().any(|b| *b != 0) {
                            file.write_all_at(&page, at)?;
                        }
                        at += PAGE as u64;
                    }
                }
            }
            let digest: [u8; 32] = hasher.finalize().into();
            header[format::DIGEST_RANGE].copy_from_slice(&digest);
            file.write_all_at(&header, 0)?;
            drop(file);
            std::fs::rename(&temporary, path)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        written.map_err(io)
    }

    /// Loads the snapshot file at `path`, saved from a sandbox of
    /// `component` under the same featherlight build and configuration. The
    /// file is checked whole (digest, identity, every offset) and then
    /// mapped, not read: sandboxes made from it share its pages with every
    /// process that uses it.
    #[tracing::instrument(skip_all, fields(path = %path.as_ref().display()))]
    pub fn load(component: &Component, path: impl AsRef<Path>) -> Result<Arc<Self>, Error> {
        let path = path.as_ref();
        let io = |source| Error::Io { path: path.to_path_buf(), source };
        let refuse = |error| Error::SnapshotFile { path: path.to_path_buf(), error };
        let mut file = File::open(path).map_err(io)?;
        let file_len = file.metadata().map_err(io)?.len();
        let header = read_header(&mut file, file_len).map_err(io)?.map_err(refuse)?;
        if header.digest != digest_of(&mut file, &header).map_err(io)? {
            return Err(refuse(SnapshotFileError::Corrupted));
        }
        let metadata = header.metadata;
        // Before the boot image, which another guest image may not build.
        if metadata.identity.guest_image != component.engine().guest_image()?.digest {
            return Err(refuse(SnapshotFileError::OtherGuestImage));
        }
        metadata.identity.check(&identity(component)?).map_err(refuse)?;
        let boot = component.boot_image()?;
        let regs = registers_from_file(&metadata.registers);
        let area_size = boot.layout.linear_memory.size;
        let consistent = metadata.scratch.size == boot.layout.size
            && metadata.area.size == area_size
            && regs.rip == boot.message_exit + MESSAGE_EXIT_LEN
            && metadata.registered.len() == component.world().imports().len()
            && metadata.area_committed.len() as u64 == area_size / RESERVATION;
        if !consistent {
            return Err(refuse(SnapshotFileError::Malformed("it does not fit this component's memory layout")));
        }
        let image = |part: &Part, overlay: Option<usize>| {
            let ranges = part
                .extents
                .iter()
                .map(|e| FileRange {
                    range: host_usize(e.range.start)..host_usize(e.range.end),
                    file_offset: e.file_offset,
                })
                .collect();
            let prepared = part.prepared.iter().map(|r| host_usize(r.start)..host_usize(r.end)).collect();
            let file = file.try_clone()?;
            ScratchImage::from_file(
                file,
                host_usize(part.size),
                host_usize(part.stored_pages),
                ranges,
                prepared,
                overlay,
            )
        };
        let scratch = image(&metadata.scratch, None).map_err(Error::Memory)?;
        let area = image(&metadata.area, Some(host_usize(RESERVATION))).map_err(Error::Memory)?;
        Ok(Arc::new(Snapshot {
            component: component.clone(),
            boot,
            scratch,
            area,
            area_committed: metadata.area_committed,
            regs,
            registered: metadata.registered,
            handles: HandleTable::from_free_slots(&metadata.handle_generations, &metadata.handle_free),
            spares: Mutex::new(Vec::new()),
        }))
    }
}

impl Snapshot {
    /// A warm snapshot of `component` with `linker`'s host functions: a
    /// sandbox as [`Sandbox::new`] leaves it (booted, instantiated),
    /// loaded from the engine's cache directory
    /// ([`Config::cache_dir`](crate::Config::cache_dir)) when an earlier
    /// process saved it there, else made and saved there (without a cache,
    /// only made). The entry is keyed by the component, the engine, which
    /// imports have host functions, and `key`: the caller names with it
    /// whatever else shapes the state after instantiation — the WASI
    /// arguments, environment and output sinks of `linker`'s
    /// [`WasiConfig`](crate::WasiConfig) ([`WasiConfig::warm_state_key`](crate::WasiConfig::warm_state_key)).
    /// A cached file that cannot be used (another build, corrupted) is
    /// replaced.
    #[tracing::instrument(skip_all)]
    pub fn load_or_make(component: &Component, linker: &Linker, key: &[u8]) -> Result<Arc<Self>, Error> {
        let config = component.engine().config();
        let Some(cache) = CompileCache::for_config(config) else {
            return Sandbox::new(component, linker)?.snapshot();
        };
        let path = cache_path(cache.dir(), component, linker, key)?;
        match Self::load(component, &path) {
            Ok(snapshot) => {
                CompileCache::touch(&path);
                tracing::debug!(path = %path.display(), "warm snapshot from the cache");
                return Ok(snapshot);
            }
            Err(Error::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(path = %path.display(), "cannot use the cached snapshot ({e}); making it again"),
        }
        let snapshot = Sandbox::new(component, linker)?.snapshot()?;
        let stored = std::fs::create_dir_all(cache.dir())
            .map_err(|source| Error::Io { path: cache.dir().to_path_buf(), source })
            .and_then(|()| snapshot.save(&path))
            .and_then(|()| {
                // As the compile cache: an entry larger than the bound is not kept.
                let len = std::fs::metadata(&path).map_or(0, |m| m.len());
                if len > cache.max_size() {
                    let _ = std::fs::remove_file(&path);
                    return Ok(());
                }
                cache.written(&path)
            });
        // Failures only cost a warm-up later: logged, not returned.
        if let Err(e) = stored {
            tracing::warn!(path = %path.display(), "cannot write the snapshot to the cache: {e}");
        }
        Ok(snapshot)
    }
}

/// Where [`Snapshot::load_or_make`] keeps `component`'s warm snapshot.
fn cache_path(dir: &Path, component: &Component, linker: &Linker, key: &[u8]) -> Result<PathBuf, Error> {
    let identity = identity(component)?;
    let mut hasher = Sha256::new();
    hasher.update(b"featherlight warm snapshot");
    for part in [&identity.guest_image, &identity.engine, &identity.component, &identity.layout] {
        hasher.update(part);
    }
    let registered: Vec<u8> = Sandbox::registered_imports(component, linker).into_iter().map(u8::from).collect();
    hasher.update((registered.len() as u64).to_le_bytes());
    hasher.update(&registered);
    hasher.update(key);
    Ok(snapshot_path(dir, &hasher.finalize().into()))
}

/// What a snapshot of `component`'s sandboxes is taken under, here.
pub(crate) fn identity(component: &Component) -> Result<Identity, Error> {
    let engine = component.engine();
    let boot = component.boot_image()?;
    // The boot image's layout and everything the boot parameters carry.
    let layout = format!(
        "{:?} {:?} {:?} {:#x} {:#x} {:#x} {:?} {} {:#x}",
        boot.layout,
        engine.dirty_page_mode(),
        boot.artifact,
        boot.page_table_root,
        boot.entry,
        boot.message_exit,
        engine.config().memory,
        engine.config().guest_log_level,
        engine.cpu_features(),
    );
    Ok(Identity {
        guest_image: engine.guest_image()?.digest,
        engine: Sha256::digest(engine.inner.settings.as_bytes()).into(),
        component: component.digest(),
        layout: Sha256::digest(layout.as_bytes()).into(),
    })
}

/// `image`'s part of the file, its `ranges` stored one after the other from
/// `file_offset`.
fn part(image: &ScratchImage, ranges: &[Range<usize>], prepared: &[Range<usize>], mut file_offset: u64) -> Part {
    let extents = ranges
        .iter()
        .map(|range| {
            let extent = Extent { range: range.start as u64..range.end as u64, file_offset };
            file_offset += (range.end - range.start) as u64;
            extent
        })
        .collect();
    Part {
        size: image.size() as u64,
        stored_pages: image.stored_pages() as u64,
        extents,
        prepared: prepared.iter().map(|r| r.start as u64..r.end as u64).collect(),
    }
}

/// Reads and parses the header (fixed part, then as much metadata as it
/// announces, bounded by the file).
fn read_header(file: &mut File, file_len: u64) -> io::Result<Result<format::Header, SnapshotFileError>> {
    let mut bytes = vec![0u8; format::FIXED_HEADER.min(host_usize(file_len))];
    file.read_exact_at(&mut bytes, 0)?;
    if bytes.len() == format::FIXED_HEADER {
        // Bounded before anything is allocated; the parser names a longer one.
        let metadata_len = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]) as u64;
        let end = (format::FIXED_HEADER + format::MAX_METADATA) as u64;
        let end = (format::FIXED_HEADER as u64 + metadata_len).min(file_len).min(end);
        bytes.resize(host_usize(end), 0);
        file.read_exact_at(&mut bytes[format::FIXED_HEADER..], format::FIXED_HEADER as u64)?;
    }
    Ok(format::decode_header(&bytes, file_len))
}

/// The digest of a parsed file's metadata and data, as written.
fn digest_of(file: &mut File, header: &format::Header) -> io::Result<[u8; 32]> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; CHUNK];
    file.seek(SeekFrom::Start(format::FIXED_HEADER as u64))?;
    let mut metadata = vec![0u8; header.metadata_len];
    file.read_exact(&mut metadata)?;
    hasher.update(&metadata);
    file.seek(SeekFrom::Start(header.data_offset))?;
    let mut left = header.file_len - header.data_offset;
    while left > 0 {
        let n = host_usize(left.min(CHUNK as u64));
        file.read_exact(&mut buffer[..n])?;
        hasher.update(&buffer[..n]);
        left -= n as u64;
    }
    Ok(hasher.finalize().into())
}

/// A new file beside `path`, named for this writer (`<stem>.tmp<pid>-<n>`).
fn create_temporary(path: &Path) -> io::Result<(PathBuf, File)> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    // From the stem, as the compile cache names its temporary files (so it
    // removes those of killed writers).
    let mut name = path.file_stem().ok_or_else(|| io::Error::other("the path names no file"))?.to_os_string();
    name.push(format!(".tmp{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)));
    let temporary = path.with_file_name(name);
    let file = std::fs::OpenOptions::new().write(true).create_new(true).open(&temporary)?;
    Ok((temporary, file))
}

fn registers_to_file(r: &Registers) -> [u64; format::REGISTERS] {
    [
        r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rsp, r.rbp, r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15,
        r.rip, r.rflags,
    ]
}

fn registers_from_file(r: &[u64; format::REGISTERS]) -> Registers {
    let [rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp, r8, r9, r10, r11, r12, r13, r14, r15, rip, rflags] = *r;
    Registers { rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp, r8, r9, r10, r11, r12, r13, r14, r15, rip, rflags }
}
