//! Writes the seed corpus of the fuzz targets in `fuzz/`:
//! `cargo run -p featherlight-wire --example fuzz_seeds -- fuzz/corpus`.

use featherlight_wire::guest::EXCEPTION_FRAME_SIZE;
use featherlight_wire::seeds;
use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let root = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "fuzz/corpus".into()));
    let write = |target: &str, name: &str, bytes: &[u8]| {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(name), bytes)
    };
    // What the host finds in the output buffer: one framed message.
    for (name, bytes) in seeds::messages() {
        write("guest_message", &name, &bytes)?;
    }
    // The types to decode against, then a message carrying values of them.
    for (i, (types, values)) in seeds::samples().iter().enumerate() {
        let mut bytes = seeds::type_bytes(types);
        bytes.extend(seeds::values_message(values, types, None));
        write("values", &format!("sample-{i}"), &bytes)?;
    }
    // A page fault frame as the exception stub pushes it.
    let frame: Vec<u8> = [14u64, 2, 0x1234, 0x23, 0x202, 0x7000, 0x1b].iter().flat_map(|w| w.to_le_bytes()).collect();
    assert_eq!(frame.len(), EXCEPTION_FRAME_SIZE);
    write("exception_frame", "page-fault", &frame)?;
    // Guest-CoW page tables, fresh and after two copies.
    for (name, bytes) in seeds::page_tables() {
        write("page_tables", &name, &bytes)?;
    }
    // A snapshot file's length, then its header.
    let header = featherlight_wire::snapshot_file::sample_header();
    let file_len = u64::from_le_bytes(header[24..32].try_into().expect("the fixed header holds the length"));
    write("snapshot_file", "sample", &[&file_len.to_le_bytes()[..], &header].concat())?;
    Ok(())
}
