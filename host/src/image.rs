//! The embedded guest image: parsed once with goblin.

use featherlight_abi::layout::{
    COW_RESUME_SYMBOL, EXCEPTION_STUBS_SYMBOL, IMAGE_BASE, MESSAGE_EXIT_SYMBOL, PAGE_FAULT_ENTRY_SYMBOL, PAGE_SIZE,
    SCRATCH_BASE,
};
use std::sync::OnceLock;

/// The guest binary built by `build.rs` for x86_64-unknown-none.
static GUEST_ELF: &[u8] = include_bytes!(env!("FEATHERLIGHT_GUEST_IMAGE"));

/// A loadable segment of the image.
#[derive(Debug, Clone)]
pub(crate) struct Segment {
    /// Link (and guest-virtual) address of the first byte.
    pub address: u64,
    /// Bytes from the file; the rest up to `memory_size` is zero.
    pub data: Vec<u8>,
    pub memory_size: u64,
    pub writable: bool,
}

/// What the host needs from the guest image.
#[derive(Debug)]
pub(crate) struct GuestImage {
    pub entry: u64,
    pub exception_stubs: u64,
    /// The CPL0 page-fault entry of guest copy-on-write, and its CPL0
    /// return stub.
    pub page_fault_entry: u64,
    pub cow_resume: u64,
    /// The message exit's `out` instruction.
    pub message_exit: u64,
    pub segments: Vec<Segment>,
    /// Page-aligned end of the highest segment.
    pub end: u64,
    /// Hash of the image bytes, part of compile-cache keys.
    pub digest: [u8; 32],
}

/// Why the embedded image is unusable (a build problem, not a guest one).
#[derive(Debug, Clone, thiserror::Error)]
#[error("the embedded guest image is unusable: {0}; rebuild featherlight")]
pub struct ImageError(String);

/// The parsed image, parsed on first use.
pub(crate) fn guest_image() -> Result<&'static GuestImage, ImageError> {
    static IMAGE: OnceLock<Result<GuestImage, String>> = OnceLock::new();
    IMAGE.get_or_init(|| parse(GUEST_ELF, Some(GUEST_ELF_SHA256))).as_ref().map_err(|e| ImageError(e.clone()))
}

/// Another guest image than the embedded one (the tests' hostile guest):
/// `bytes` of the ELF file at `path` (named in errors).
pub(crate) fn parse_guest_image(bytes: &[u8], path: &std::path::Path) -> Result<GuestImage, ImageError> {
    parse(bytes, None).map_err(|e| ImageError(format!("{}: {e}", path.display())))
}

/// The embedded image's SHA-256, computed by `build.rs` (hashing 7 MB took
/// ~4 ms of every process start).
const GUEST_ELF_SHA256: [u8; 32] = {
    let hex = env!("FEATHERLIGHT_GUEST_IMAGE_SHA256").as_bytes();
    let mut digest = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        digest[i] = (hex_value(hex[2 * i]) << 4) | hex_value(hex[2 * i + 1]);
        i += 1;
    }
    digest
};

const fn hex_value(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => panic!("FEATHERLIGHT_GUEST_IMAGE_SHA256 is not lowercase hex"),
    }
}

/// Parses `bytes`, whose SHA-256 is `digest` if known (else computed).
fn parse(bytes: &[u8], digest: Option<[u8; 32]>) -> Result<GuestImage, String> {
    use goblin::elf::{
        Elf,
        header::ET_EXEC,
        program_header::{PF_W, PT_LOAD},
    };
    let elf = Elf::parse(bytes).map_err(|e| e.to_string())?;
    if elf.header.e_type != ET_EXEC || !elf.dynrelas.is_empty() {
        return Err("not a static, non-relocatable executable".into());
    }
    let mut segments = Vec::new();
    let mut end = 0;
    for ph in elf.program_headers.iter().filter(|ph| ph.p_type == PT_LOAD) {
        let range = ph.file_range();
        let data = bytes.get(range).ok_or("segment outside the file")?.to_vec();
        let seg_end = ph.p_vaddr.checked_add(ph.p_memsz).ok_or("segment wraps")?;
        if ph.p_vaddr < IMAGE_BASE || seg_end > SCRATCH_BASE {
            return Err(format!("segment at {:#x} outside the image area", ph.p_vaddr));
        }
        end = end.max(seg_end.next_multiple_of(PAGE_SIZE));
        segments.push(Segment { address: ph.p_vaddr, data, memory_size: ph.p_memsz, writable: ph.p_flags & PF_W != 0 });
    }
    let symbol = |name: &str| {
        elf.syms
            .iter()
            .find(|sym| elf.strtab.get_at(sym.st_name) == Some(name))
            .map(|sym| sym.st_value)
            .ok_or(format!("no `{name}` symbol"))
    };
    let exception_stubs = symbol(EXCEPTION_STUBS_SYMBOL)?;
    let message_exit = symbol(MESSAGE_EXIT_SYMBOL)?;
    let page_fault_entry = symbol(PAGE_FAULT_ENTRY_SYMBOL)?;
    let cow_resume = symbol(COW_RESUME_SYMBOL)?;
    use sha2::Digest;
    Ok(GuestImage {
        entry: elf.entry,
        exception_stubs,
        page_fault_entry,
        cow_resume,
        message_exit,
        segments,
        end,
        digest: digest.unwrap_or_else(|| sha2::Sha256::digest(bytes).into()),
    })
}

#[cfg(test)]
mod digest_tests {
    use super::{GUEST_ELF, GUEST_ELF_SHA256};
    use sha2::Digest;

    #[test]
    fn the_build_time_digest_is_the_images() {
        assert_eq!(GUEST_ELF_SHA256, <[u8; 32]>::from(sha2::Sha256::digest(GUEST_ELF)));
    }
}
