//! The boot image: the read-only region every sandbox of a component
//! boots from (descriptor tables, the guest image's read-only segments, the
//! compiled component, and the page tables that map all of guest memory).
//! Built once per component and memory configuration and shared by every
//! sandbox made from it.

use super::guest_cow::CowTables;
use super::layout::ScratchLayout;
use super::page_tables::{Access, Mapping, TableArena, build_tables};
use super::region::HostMapping;
use super::{BootImageError, DirtyPageMode, PAGE, host_usize};
use crate::hypervisor::descriptors::{CowEntries, GDT_ADDRESS, IDT_ADDRESS, gdt_page, idt_page};
use crate::image::GuestImage;
use featherlight_abi::layout::{PAGE_SIZE, Region, SCRATCH_BASE};
use featherlight_abi::paging::HUGE_PAGE_SIZE;

/// The read-only region a sandbox boots from, plus what it needs
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
    /// Guest-CoW page tables and their memory, in guest-CoW mode.
    pub cow: Option<CowTables>,
    /// Initial bytes of the image's writable pages, copied to scratch
    /// (`layout.image_data`) when a sandbox starts.
    pub image_data: Vec<u8>,
}

fn put(buffer: &mut Vec<u8>, address: u64, data: &[u8]) {
    let start = host_usize(address);
    if buffer.len() < start + data.len() {
        buffer.resize(start + data.len(), 0);
    }
    buffer[start..start + data.len()].copy_from_slice(data);
}

impl BootImage {
    /// Lays out and builds the boot image for `image` running `artifact`, with
    /// page tables for `mode` (host or guest copy-on-write, never `Auto`).
    pub(crate) fn build(
        image: &GuestImage,
        artifact: &[u8],
        layout: ScratchLayout,
        mode: DirtyPageMode,
    ) -> Result<Self, BootImageError> {
        let guest_cow = mode == DirtyPageMode::GuestCow;
        let mut contents = Vec::new();
        put(&mut contents, GDT_ADDRESS, &gdt_page(layout.exception_stack));
        let cow_entries = CowEntries { page_fault: image.page_fault_entry, resume: image.cow_resume };
        put(&mut contents, IDT_ADDRESS, &idt_page(image.exception_stubs, guest_cow.then_some(cow_entries)));

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
            return Err(BootImageError::Layout("the image's writable pages outgrow their scratch area".into()));
        }
        for segment in &image.segments {
            // Copy page by page: each piece goes to the boot image or to the
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

        // The artifact after the image and a guard page, on a 2 MiB boundary
        // and padded to whole 2 MiB: its code and data are then mapped with
        // 2 MiB pages (see `page_tables::add_mappings`), so a new VM takes one
        // fault per 2 MiB of it rather than one per 4 KiB page touched
        // (comrak's first run: 235 of 768 guest page-table walks were its
        // artifact's pages).
        let artifact_address = (image.end + PAGE_SIZE).next_multiple_of(HUGE_PAGE_SIZE);
        put(&mut contents, artifact_address, artifact);
        let artifact_region = Region { address: artifact_address, size: artifact.len() as u64 };
        let artifact_mapped = (artifact.len() as u64).next_multiple_of(HUGE_PAGE_SIZE);
        let tables_base = artifact_address + artifact_mapped;
        contents.resize(host_usize(tables_base), 0);

        let mut mappings = Vec::new();
        let mut map = |virt: u64, phys: u64, size: u64, access: Access| {
            mappings.push(Mapping { virt, phys, size, access });
        };
        map(GDT_ADDRESS, GDT_ADDRESS, PAGE_SIZE, Access::ReadOnly);
        map(IDT_ADDRESS, IDT_ADDRESS, PAGE_SIZE, Access::ReadOnly);
        let mut page = first_page;
        while page < image.end {
            match writable_pages.iter().position(|p| *p == page) {
                Some(n) => map(page, layout.image_data.address + n as u64 * PAGE_SIZE, PAGE_SIZE, Access::Snapshot),
                None => map(page, page, PAGE_SIZE, Access::ReadOnly),
            }
            page += PAGE_SIZE;
        }
        map(artifact_address, artifact_address, artifact_mapped, Access::ReadOnly);
        for region in [layout.boot_params, layout.input, layout.output, layout.exception_stack] {
            map(region.address, region.address, region.size, Access::ReadWrite);
        }
        for region in [layout.stack, layout.heap] {
            map(region.address, region.address, region.size, Access::Snapshot);
        }
        let area = layout.linear_memory;
        map(area.address, area.address, area.size, Access::LinearMemory);
        let mut tables = TableArena::new(tables_base, SCRATCH_BASE);
        let root = build_tables(&mut tables, &mappings, DirtyPageMode::HostCow)?;
        contents.extend_from_slice(tables.bytes());
        let memory = HostMapping::huge_read_only(&contents, "boot image")?;
        let cow = if guest_cow { Some(CowTables::build(&layout, &mappings)?) } else { None };
        Ok(Self {
            memory,
            page_table_root: root,
            entry: image.entry,
            message_exit: image.message_exit,
            artifact: artifact_region,
            layout,
            cow,
            image_data,
        })
    }
}
