//! The snapshot file format: a warm sandbox's state on disk
//! (`host/src/sandbox/snapshot_file.rs` writes and maps it).
//!
//! A file is a fixed header, metadata, then page-aligned data that sandboxes
//! map copy-on-write straight from the file:
//!
//! ```text
//! 0   magic "FLSNAPSH"           8
//! 8   format version (u32)       4
//! 12  metadata length (u32)      4
//! 16  data offset (u64)          8   page-aligned, after the metadata
//! 24  file length (u64)          8
//! 32  digest                     32  SHA-256 of the metadata and the data
//! 64  metadata                       see `Metadata`
//! ```
//!
//! All integers are little-endian. The parser here checks the structure
//! against the file's real length (every count, extent and offset is
//! bounded) without trusting any of it; the host checks the digest and
//! that the identity ([`Identity`]) is its own before using anything.

use std::ops::Range;

/// The file's first bytes.
pub const MAGIC: &[u8; 8] = b"FLSNAPSH";
/// The format this build writes and reads.
pub const VERSION: u32 = 1;
/// Bytes before the metadata.
pub const FIXED_HEADER: usize = 64;
/// Where the digest is in the fixed header.
pub const DIGEST_RANGE: Range<usize> = 32..64;
/// Pages in the file and in guest memory.
pub const PAGE: u64 = 4096;
/// Most extents one part may have (the host writes at most 256).
pub const MAX_EXTENTS: usize = 4096;
/// Most entries of any other list.
pub const MAX_ENTRIES: usize = 1 << 20;
/// Most bytes of metadata (far more than any real snapshot's).
pub const MAX_METADATA: usize = 64 << 20;
/// RFLAGS bits a snapshot never holds: TF, IOPL, NT, VM.
pub const FORBIDDEN_FLAGS: u64 = 0x100 | 0x3000 | 0x4000 | 0x2_0000;
/// Registers saved (rax..r15, rip, rflags).
pub const REGISTERS: usize = 18;

/// Why a snapshot file cannot be used. Each says what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotFileError {
    /// Not a featherlight snapshot file at all.
    #[error("not a featherlight snapshot file (bad magic); pass a file written by Snapshot::save")]
    NotASnapshot,
    /// Written in a format this build does not read.
    #[error(
        "snapshot format version {found}, but this featherlight reads version {supported}; \
         save the snapshot again with this featherlight"
    )]
    Version {
        /// The file's version.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// Shorter than its header says (cut off while copied, or not written out).
    #[error("the snapshot file is truncated ({len} bytes, {needed} expected); save it again")]
    Truncated {
        /// Bytes the file has.
        len: u64,
        /// Bytes its header asks for.
        needed: u64,
    },
    /// The metadata or data do not match the file's digest.
    #[error("the snapshot file is corrupted (digest mismatch); save it again")]
    Corrupted,
    /// The header is inconsistent.
    #[error("the snapshot file's header is malformed ({0}); save it again")]
    Malformed(&'static str),
    /// Taken under another build of the guest runtime image.
    #[error("the snapshot was taken under another build of the guest image; save it again with this featherlight")]
    OtherGuestImage,
    /// Taken with another wasmtime build or engine configuration.
    #[error(
        "the snapshot was taken with another wasmtime build or engine configuration; \
         save it again with this featherlight and Config"
    )]
    OtherEngine,
    /// Taken from a sandbox of another component.
    #[error("the snapshot was taken from another component; load it with the component it was saved from")]
    OtherComponent,
    /// Taken under another memory configuration (sizes, dirty-page mode).
    #[error(
        "the snapshot was taken under another memory configuration (MemoryConfig or dirty-page mode); \
         load it with the Config it was saved under, or save it again"
    )]
    OtherLayout,
}

/// What a snapshot was taken under: each must match the loader's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Identity {
    /// SHA-256 of the guest runtime image.
    pub guest_image: [u8; 32],
    /// Digest of wasmtime's compatibility hash and the engine settings.
    pub engine: [u8; 32],
    /// SHA-256 of the component's bytes.
    pub component: [u8; 32],
    /// Digest of the guest memory layout and dirty-page mode.
    pub layout: [u8; 32],
}

impl Identity {
    /// `Ok` if `self` (the file's) is `own`, else the first difference, in
    /// the order that best says what to do.
    pub fn check(&self, own: &Identity) -> Result<(), SnapshotFileError> {
        if self.guest_image != own.guest_image {
            return Err(SnapshotFileError::OtherGuestImage);
        }
        if self.engine != own.engine {
            return Err(SnapshotFileError::OtherEngine);
        }
        if self.component != own.component {
            return Err(SnapshotFileError::OtherComponent);
        }
        if self.layout != own.layout {
            return Err(SnapshotFileError::OtherLayout);
        }
        Ok(())
    }
}

/// A run of guest memory stored in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extent {
    /// Offsets in the part (page-aligned).
    pub range: Range<u64>,
    /// Where its bytes start in the file (page-aligned).
    pub file_offset: u64,
}

/// One captured memory (scratch, or the linear-memory area).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Part {
    /// Its size in bytes (page multiple).
    pub size: u64,
    /// Pages that held data when captured.
    pub stored_pages: u64,
    /// Its stored runs, sorted and disjoint; everything else is zero.
    pub extents: Vec<Extent>,
    /// Pages a new sandbox makes private up front, sorted and disjoint.
    pub prepared: Vec<Range<u64>>,
}

/// Everything in a snapshot besides its memory.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Metadata {
    /// What it was taken under.
    pub identity: Identity,
    /// Where the guest resumes (rax..r15, rip, rflags).
    pub registers: [u64; REGISTERS],
    /// Which imports had a host function.
    pub registered: Vec<bool>,
    /// Bytes of each linear-memory reservation the guest had committed.
    pub area_committed: Vec<u64>,
    /// The host-handle table's slot generations (all slots free).
    pub handle_generations: Vec<u32>,
    /// Its free list.
    pub handle_free: Vec<u32>,
    /// Scratch.
    pub scratch: Part,
    /// The linear-memory area.
    pub area: Part,
}

/// A parsed header: the metadata and where the data lies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The digest stored in the file.
    pub digest: [u8; 32],
    /// Bytes of metadata after the fixed header.
    pub metadata_len: usize,
    /// First byte of data (page-aligned).
    pub data_offset: u64,
    /// The file's length.
    pub file_len: u64,
    /// The metadata.
    pub metadata: Metadata,
}

/// Encodes `metadata` as the header of a `file_len`-byte file whose data
/// starts at the first page boundary after it ([`data_offset`], which the
/// extents' file offsets already count from). The digest is left zero, for
/// the writer to fill in at [`DIGEST_RANGE`].
pub fn encode_header(metadata: &Metadata, file_len: u64) -> Vec<u8> {
    let meta = encode_metadata(metadata);
    let mut out = Vec::with_capacity(FIXED_HEADER + meta.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&u32::try_from(meta.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(&data_offset(meta.len()).to_le_bytes());
    out.extend_from_slice(&file_len.to_le_bytes());
    out.extend_from_slice(&[0; 32]);
    out.extend_from_slice(&meta);
    out
}

/// Where data starts after `metadata_len` bytes of metadata.
pub fn data_offset(metadata_len: usize) -> u64 {
    ((FIXED_HEADER + metadata_len) as u64).next_multiple_of(PAGE)
}

/// The metadata's encoded length (to place the data before encoding).
pub fn metadata_len(metadata: &Metadata) -> usize {
    encode_metadata(metadata).len()
}

fn encode_metadata(m: &Metadata) -> Vec<u8> {
    let mut out = Vec::new();
    for digest in [&m.identity.guest_image, &m.identity.engine, &m.identity.component, &m.identity.layout] {
        out.extend_from_slice(digest);
    }
    for register in m.registers {
        out.extend_from_slice(&register.to_le_bytes());
    }
    put_len(&mut out, m.registered.len());
    out.extend(m.registered.iter().map(|r| u8::from(*r)));
    put_len(&mut out, m.area_committed.len());
    m.area_committed.iter().for_each(|c| out.extend_from_slice(&c.to_le_bytes()));
    put_len(&mut out, m.handle_generations.len());
    m.handle_generations.iter().for_each(|g| out.extend_from_slice(&g.to_le_bytes()));
    put_len(&mut out, m.handle_free.len());
    m.handle_free.iter().for_each(|f| out.extend_from_slice(&f.to_le_bytes()));
    for part in [&m.scratch, &m.area] {
        out.extend_from_slice(&part.size.to_le_bytes());
        out.extend_from_slice(&part.stored_pages.to_le_bytes());
        put_len(&mut out, part.extents.len());
        for extent in &part.extents {
            for n in [extent.range.start, extent.range.end, extent.file_offset] {
                out.extend_from_slice(&n.to_le_bytes());
            }
        }
        put_len(&mut out, part.prepared.len());
        for range in &part.prepared {
            out.extend_from_slice(&range.start.to_le_bytes());
            out.extend_from_slice(&range.end.to_le_bytes());
        }
    }
    out
}

fn put_len(out: &mut Vec<u8>, len: usize) {
    out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_le_bytes());
}

/// Parses the header at the start of a file of `file_len` bytes; `bytes`
/// is at least the fixed header and the metadata (a shorter slice is
/// [`SnapshotFileError::Truncated`]). Checks the magic and version first,
/// so a newer format is named as such, then every length and offset.
pub fn decode_header(bytes: &[u8], file_len: u64) -> Result<Header, SnapshotFileError> {
    let truncated = |needed: u64| SnapshotFileError::Truncated { len: file_len.min(bytes.len() as u64), needed };
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(if bytes.len() < MAGIC.len() && MAGIC.starts_with(bytes) {
            truncated(FIXED_HEADER as u64)
        } else {
            SnapshotFileError::NotASnapshot
        });
    }
    let fixed = bytes.get(..FIXED_HEADER).ok_or_else(|| truncated(FIXED_HEADER as u64))?;
    let mut reader = Reader { bytes: &fixed[8..] };
    let version = reader.u32()?;
    if version != VERSION {
        return Err(SnapshotFileError::Version { found: version, supported: VERSION });
    }
    let metadata_len = reader.u32()? as usize;
    if metadata_len > MAX_METADATA {
        return Err(SnapshotFileError::Malformed("metadata length"));
    }
    let data_start = reader.u64()?;
    let stated_len = reader.u64()?;
    let digest: [u8; 32] = reader.take(32)?.try_into().map_err(|_| SnapshotFileError::Malformed("digest"))?;
    if stated_len > file_len {
        return Err(SnapshotFileError::Truncated { len: file_len, needed: stated_len });
    }
    if stated_len < file_len {
        return Err(SnapshotFileError::Malformed("the file is longer than its header says"));
    }
    if data_start != data_offset(metadata_len) {
        return Err(SnapshotFileError::Malformed("data offset"));
    }
    if data_start > file_len {
        return Err(SnapshotFileError::Truncated { len: file_len, needed: data_start });
    }
    let meta = bytes
        .get(FIXED_HEADER..FIXED_HEADER + metadata_len)
        .ok_or_else(|| truncated((FIXED_HEADER + metadata_len) as u64))?;
    let mut reader = Reader { bytes: meta };
    let metadata = read_metadata(&mut reader, data_start, file_len)?;
    if !reader.bytes.is_empty() {
        return Err(SnapshotFileError::Malformed("bytes after the metadata"));
    }
    Ok(Header { digest, metadata_len, data_offset: data_start, file_len, metadata })
}

fn read_metadata(r: &mut Reader<'_>, data_start: u64, file_len: u64) -> Result<Metadata, SnapshotFileError> {
    let mut identity = Identity::default();
    for digest in [&mut identity.guest_image, &mut identity.engine, &mut identity.component, &mut identity.layout] {
        digest.copy_from_slice(r.take(32)?);
    }
    let mut registers = [0u64; REGISTERS];
    for register in &mut registers {
        *register = r.u64()?;
    }
    // The guest at CPL3 cannot set these itself (I/O privilege, nested
    // task, virtual-8086 mode) or never has them set at a message exit (trap).
    if registers[REGISTERS - 1] & FORBIDDEN_FLAGS != 0 {
        return Err(SnapshotFileError::Malformed("flags register"));
    }
    let count = r.count(MAX_ENTRIES, 1)?;
    let registered = r.take(count)?;
    if registered.iter().any(|b| *b > 1) {
        return Err(SnapshotFileError::Malformed("registered imports"));
    }
    let registered = registered.iter().map(|b| *b == 1).collect();
    let count = r.count(MAX_ENTRIES, 8)?;
    let area_committed = (0..count).map(|_| r.u64()).collect::<Result<_, _>>()?;
    let count = r.count(MAX_ENTRIES, 4)?;
    let handle_generations: Vec<u32> = (0..count).map(|_| r.u32()).collect::<Result<_, _>>()?;
    let count = r.count(MAX_ENTRIES, 4)?;
    let handle_free: Vec<u32> = (0..count).map(|_| r.u32()).collect::<Result<_, _>>()?;
    // Every slot free, each listed once.
    let mut listed = vec![false; handle_generations.len()];
    for slot in &handle_free {
        match listed.get_mut(*slot as usize) {
            Some(seen) if !*seen => *seen = true,
            _ => return Err(SnapshotFileError::Malformed("handle table")),
        }
    }
    if handle_free.len() != handle_generations.len() {
        return Err(SnapshotFileError::Malformed("handle table"));
    }
    let mut file_next = data_start;
    let scratch = read_part(r, &mut file_next, file_len)?;
    let area = read_part(r, &mut file_next, file_len)?;
    Ok(Metadata { identity, registers, registered, area_committed, handle_generations, handle_free, scratch, area })
}

/// One part; its extents' file bytes must follow `file_next` in order.
fn read_part(r: &mut Reader<'_>, file_next: &mut u64, file_len: u64) -> Result<Part, SnapshotFileError> {
    let size = r.u64()?;
    let stored_pages = r.u64()?;
    if !size.is_multiple_of(PAGE) || stored_pages > size / PAGE {
        return Err(SnapshotFileError::Malformed("part size"));
    }
    let count = r.count(MAX_EXTENTS, 24)?;
    let mut extents: Vec<Extent> = Vec::with_capacity(count);
    for _ in 0..count {
        let (start, end, file_offset) = (r.u64()?, r.u64()?, r.u64()?);
        let aligned = [start, end, file_offset].iter().all(|n| n.is_multiple_of(PAGE));
        let after_previous = extents.last().is_none_or(|last| last.range.end <= start);
        if !aligned || start >= end || end > size || !after_previous || file_offset < *file_next {
            return Err(SnapshotFileError::Malformed("extent"));
        }
        let file_end = file_offset.checked_add(end - start).ok_or(SnapshotFileError::Malformed("extent"))?;
        if file_end > file_len {
            return Err(SnapshotFileError::Truncated { len: file_len, needed: file_end });
        }
        *file_next = file_end;
        extents.push(Extent { range: start..end, file_offset });
    }
    let count = r.count(MAX_EXTENTS, 16)?;
    let mut prepared: Vec<Range<u64>> = Vec::with_capacity(count);
    for _ in 0..count {
        let (start, end) = (r.u64()?, r.u64()?);
        let after_previous = prepared.last().is_none_or(|last| last.end <= start);
        if !start.is_multiple_of(PAGE) || !end.is_multiple_of(PAGE) || start >= end || end > size || !after_previous {
            return Err(SnapshotFileError::Malformed("prepared pages"));
        }
        prepared.push(start..end);
    }
    Ok(Part { size, stored_pages, extents, prepared })
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SnapshotFileError> {
        if n > self.bytes.len() {
            return Err(SnapshotFileError::Malformed("metadata ends early"));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn u32(&mut self) -> Result<u32, SnapshotFileError> {
        let bytes = self.take(4)?;
        Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    fn u64(&mut self) -> Result<u64, SnapshotFileError> {
        Ok(u64::from(self.u32()?) | (u64::from(self.u32()?) << 32))
    }

    /// A count of at most `max` items of `item_size` bytes that the rest of
    /// the metadata can hold (so nothing is allocated for a lie).
    fn count(&mut self, max: usize, item_size: usize) -> Result<usize, SnapshotFileError> {
        let count = self.u32()? as usize;
        if count > max || count.saturating_mul(item_size) > self.bytes.len() {
            return Err(SnapshotFileError::Malformed("a count exceeds the metadata"));
        }
        Ok(count)
    }
}

/// A small valid file's header (fuzz seed and tests): two extents of
/// scratch, one of the area, data after the header.
pub fn sample_header() -> Vec<u8> {
    let mut metadata = Metadata {
        registers: [0x202; REGISTERS],
        registered: vec![true, false],
        area_committed: vec![32 << 20, 0],
        handle_generations: vec![1, 2],
        handle_free: vec![1, 0],
        ..Metadata::default()
    };
    metadata.identity.component = [3; 32];
    let data = data_offset(metadata_len(&metadata));
    metadata.scratch = Part {
        size: 64 * PAGE,
        stored_pages: 3,
        extents: vec![
            Extent { range: 0..2 * PAGE, file_offset: data },
            Extent { range: 8 * PAGE..9 * PAGE, file_offset: data + 2 * PAGE },
        ],
        prepared: std::iter::once(0..PAGE).collect(),
    };
    metadata.area = Part {
        size: 1 << 32,
        stored_pages: 1,
        extents: vec![Extent { range: 0..PAGE, file_offset: data + 3 * PAGE }],
        prepared: vec![],
    };
    encode_header(&metadata, data + 4 * PAGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Vec<u8>, u64) {
        let bytes = sample_header();
        let file_len = u64::from_le_bytes(bytes[24..32].try_into().expect("8 bytes"));
        (bytes, file_len)
    }

    #[test]
    fn a_header_reads_back() {
        let (bytes, file_len) = sample();
        let header = decode_header(&bytes, file_len).expect("valid");
        assert_eq!(header.metadata.registered, vec![true, false]);
        assert_eq!(header.metadata.scratch.extents.len(), 2);
        assert_eq!(header.metadata.area.extents[0].range, 0..PAGE);
        assert_eq!(header.data_offset, data_offset(header.metadata_len));
        assert_eq!(header.metadata.identity.component, [3; 32]);
    }

    #[test]
    fn every_cut_is_refused() {
        let (bytes, file_len) = sample();
        for cut in 0..bytes.len() {
            let error = decode_header(&bytes[..cut], file_len).expect_err("cut header");
            assert!(matches!(error, SnapshotFileError::Truncated { .. } | SnapshotFileError::Malformed(_)), "{error}");
        }
        let error = decode_header(&bytes, file_len - 1).expect_err("short file");
        assert!(matches!(error, SnapshotFileError::Truncated { .. }), "{error}");
    }

    #[test]
    fn magic_version_and_extents_are_checked() {
        let (bytes, file_len) = sample();
        let mut other = bytes.clone();
        other[0] = b'X';
        assert_eq!(decode_header(&other, file_len), Err(SnapshotFileError::NotASnapshot));
        let mut newer = bytes.clone();
        newer[8] = 2;
        assert_eq!(decode_header(&newer, file_len), Err(SnapshotFileError::Version { found: 2, supported: VERSION }));
        // The second scratch extent moved before the first: refused.
        let meta = FIXED_HEADER + 4 * 32 + REGISTERS * 8 + (4 + 2) + (4 + 16) + (4 + 8) + (4 + 8) + 16 + 4 + 24;
        let mut unsorted = bytes.clone();
        unsorted[meta..meta + 8].copy_from_slice(&0u64.to_le_bytes());
        assert_eq!(decode_header(&unsorted, file_len), Err(SnapshotFileError::Malformed("extent")));
    }

    #[test]
    fn identity_differences_are_named() {
        let own = Identity { guest_image: [1; 32], engine: [2; 32], component: [3; 32], layout: [4; 32] };
        assert_eq!(own.check(&own), Ok(()));
        let mut other = own;
        other.layout = [0; 32];
        assert_eq!(other.check(&own), Err(SnapshotFileError::OtherLayout));
        other.guest_image = [0; 32];
        assert_eq!(other.check(&own), Err(SnapshotFileError::OtherGuestImage));
    }
}
