//! The read-only snapshot region: descriptor tables, the guest image's
//! read-only segments, the compiled component, and the page tables that map
//! all of guest memory. Built once per component and memory configuration
//! and shared (one sealed memfd) by every sandbox made from it.

use super::descriptors::{GDT_ADDRESS, IDT_ADDRESS, gdt_page, idt_page};
use super::layout::ScratchLayout;
use super::region::HostMapping;
use super::{PAGE, host_usize};
use crate::image::GuestImage;
use featherlight_abi::layout::{PAGE_SIZE, Region, SCRATCH_BASE};
use featherlight_abi::paging::{self, ACCESSED, DIRTY, NO_EXECUTE, PageTableMemory, USER, WRITABLE};

/// Read-only pages: Accessed and Dirty are preset so neither the CPU nor a
/// shadow MMU ever writes a page-table entry.
pub(crate) const READ_ONLY: u64 = USER | ACCESSED | DIRTY;
/// Writable pages are never executable: code runs only from the read-only
/// snapshot (the image's text, the compiled component), so a guest cannot
/// write itself new code.
const READ_WRITE: u64 = READ_ONLY | WRITABLE | NO_EXECUTE;

/// The read-only snapshot region a sandbox boots from, plus what it needs
/// to start: the image and artifact before anything ran.
#[derive(Debug)]
pub(crate) struct BootImage {
    pub memory: HostMapping,
    pub page_table_root: u64,
    pub entry: u64,
    /// The image's message exit (see `layout::MESSAGE_EXIT_SYMBOL`).
    pub message_exit: u64,
    pub artifact: Region,
    pub layout: ScratchLayout,
    /// Initial bytes of the image's writable pages, copied to scratch
    /// (`layout.image_data`) when a sandbox starts.
    pub image_data: Vec<u8>,
}

/// Why a snapshot could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// Guest memory layout problem.
    #[error("the guest memory layout does not fit: {0}")]
    Layout(String),
    /// The host could not allocate the snapshot.
    #[error("cannot allocate the snapshot memory: {0}")]
    Memory(#[from] std::io::Error),
}

/// Page tables in a growing buffer at guest-physical `base`.
pub(crate) struct TableArena {
    base: u64,
    bytes: Vec<u8>,
}

impl TableArena {
    /// No tables yet; the first goes at `base`.
    pub(crate) fn new(base: u64) -> Self {
        Self { base, bytes: Vec::new() }
    }

    /// The tables' bytes, to place at `base`.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    fn slot(&self, table: u64, index: usize) -> Option<usize> {
        let offset = usize::try_from(table.checked_sub(self.base)?).ok()?;
        let at = offset.checked_add(index.checked_mul(8)?)?;
        (index < 512 && at + 8 <= self.bytes.len()).then_some(at)
    }
}

impl PageTableMemory for TableArena {
    fn read_entry(&self, table: u64, index: usize) -> Option<u64> {
        let at = self.slot(table, index)?;
        Some(u64::from_le_bytes(self.bytes[at..at + 8].try_into().ok()?))
    }
    fn write_entry(&mut self, table: u64, index: usize, entry: u64) -> Option<()> {
        let at = self.slot(table, index)?;
        self.bytes[at..at + 8].copy_from_slice(&entry.to_le_bytes());
        Some(())
    }
    fn allocate_table(&mut self) -> Option<u64> {
        let address = self.base + self.bytes.len() as u64;
        if address + PAGE_SIZE > SCRATCH_BASE {
            return None;
        }
        self.bytes.resize(self.bytes.len() + PAGE, 0);
        Some(address)
    }
}

fn put(buffer: &mut Vec<u8>, address: u64, data: &[u8]) {
    let start = host_usize(address);
    if buffer.len() < start + data.len() {
        buffer.resize(start + data.len(), 0);
    }
    buffer[start..start + data.len()].copy_from_slice(data);
}

impl BootImage {
    /// Lays out and builds the snapshot for `image` running `artifact`.
    pub(crate) fn build(image: &GuestImage, artifact: &[u8], layout: ScratchLayout) -> Result<Self, SnapshotError> {
        let layout_error = |e: paging::MapError| SnapshotError::Layout(format!("{e:?}"));
        let mut contents = Vec::new();
        put(&mut contents, GDT_ADDRESS, &gdt_page(layout.exception_stack.end().unwrap_or(0)));
        put(&mut contents, IDT_ADDRESS, &idt_page(image.exception_stubs));

        // Image pages: a page any writable segment touches lives in scratch.
        let first_page = image.segments.iter().map(|s| s.address / PAGE_SIZE * PAGE_SIZE).min().unwrap_or(0);
        let writable_page = |page: u64| {
            image
                .segments
                .iter()
                .any(|s| s.writable && s.address < page + PAGE_SIZE && s.address + s.memory_size > page)
        };
        let mut image_data = vec![0u8; host_usize(layout.image_data.size)];
        let mut writable_pages = Vec::new();
        let mut page = first_page;
        while page < image.end {
            if writable_page(page) {
                writable_pages.push(page);
            }
            page += PAGE_SIZE;
        }
        if writable_pages.len() as u64 * PAGE_SIZE > layout.image_data.size {
            return Err(SnapshotError::Layout("the image's writable pages outgrow their scratch area".into()));
        }
        for segment in &image.segments {
            // Copy page by page: each piece goes to the snapshot or to the
            // scratch page backing a writable image page.
            let end = segment.address + segment.data.len() as u64;
            let mut address = segment.address;
            while address < end {
                let page = address / PAGE_SIZE * PAGE_SIZE;
                let piece_end = end.min(page + PAGE_SIZE);
                let piece =
                    &segment.data[host_usize(address - segment.address)..host_usize(piece_end - segment.address)];
                match writable_pages.iter().position(|p| *p == page) {
                    Some(n) => {
                        let at = n * PAGE + host_usize(address - page);
                        image_data[at..at + piece.len()].copy_from_slice(piece);
                    }
                    None => put(&mut contents, address, piece),
                }
                address = piece_end;
            }
        }

        // The artifact after the image and a guard page, page aligned.
        let artifact_address = image.end + PAGE_SIZE;
        put(&mut contents, artifact_address, artifact);
        let artifact_region = Region { address: artifact_address, size: artifact.len() as u64 };
        let tables_base = (artifact_address + artifact.len() as u64).next_multiple_of(PAGE_SIZE);
        contents.resize(host_usize(tables_base), 0);

        let mut tables = TableArena::new(tables_base);
        let root = tables.allocate_table().ok_or_else(|| SnapshotError::Layout("no room for page tables".into()))?;
        let mut map = |virt: u64, phys: u64, size: u64, flags: u64| {
            paging::map_range(&mut tables, root, virt, phys, size, flags).map_err(layout_error)
        };
        map(GDT_ADDRESS, GDT_ADDRESS, PAGE_SIZE, READ_ONLY)?;
        map(IDT_ADDRESS, IDT_ADDRESS, PAGE_SIZE, READ_ONLY)?;
        let mut page = first_page;
        while page < image.end {
            match writable_pages.iter().position(|p| *p == page) {
                Some(n) => map(page, layout.image_data.address + n as u64 * PAGE_SIZE, PAGE_SIZE, READ_WRITE)?,
                None => map(page, page, PAGE_SIZE, READ_ONLY)?,
            }
            page += PAGE_SIZE;
        }
        map(artifact_address, artifact_address, artifact.len() as u64, READ_ONLY)?;
        for region in layout.identity_mapped() {
            map(region.address, region.address, region.size, READ_WRITE)?;
        }
        contents.extend_from_slice(&tables.bytes);
        let size = contents.len().next_multiple_of(PAGE);
        let memory = HostMapping::sealed_file(&contents, size, "snapshot")?;
        Ok(Self {
            memory,
            page_table_root: root,
            entry: image.entry,
            message_exit: image.message_exit,
            artifact: artifact_region,
            layout,
            image_data,
        })
    }
}
