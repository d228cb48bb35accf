//! Guest-CoW page tables as a hostile guest may leave them: the host walks
//! them for every snapshot page to find the pages the guest copied
//! (`page_tables::copied_pages`, over the tables' bytes).
#![no_main]

use featherlight_wire::page_tables::{TableBytes, copied_pages};
use featherlight_wire::seeds::{self, FUZZ_TABLES_BASE};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((run, root, copies)) = seeds::page_tables_geometry(data) else { return };
    let tables = TableBytes { base: FUZZ_TABLES_BASE, bytes: &data[1..] };
    if let Ok(copied) = copied_pages(&tables, root, &[run], copies.clone()) {
        // Every copy is a page for copies, every original a page of the run.
        for page in copied {
            assert!(copies.contains(&page.copy) && page.copy.is_multiple_of(4096));
            assert!(page.phys >= run.phys && page.phys < run.phys + run.size);
        }
    }
});
