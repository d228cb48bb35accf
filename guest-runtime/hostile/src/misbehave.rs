//! Every way this guest breaks the protocol or the machine, by export name.
//! Each either exits in a way the host must reject (and never resumes past)
//! or returns a reply the host must reject.

use crate::State;
use crate::fpu;
use crate::messages::{self, Reply};
use alloc::vec::Vec;
use featherlight_abi::layout::{COW_MAGIC, IMAGE_BASE, PAGE_SIZE};
use featherlight_abi::paging::{self, HUGE_PAGE_SIZE, PageTableMemory};
use featherlight_abi::{fb, message, ports};
use featherlight_guest::cow::IdentityTables;
use featherlight_guest::{exceptions, host};

/// Where `jump-unmapped` jumps: canonical, far above all guest memory.
pub const UNMAPPED: u64 = 0x0000_7000_0000_0000;
/// Where `jump-non-canonical` jumps.
pub const NON_CANONICAL: u64 = 0x8000_0000_0000_0000;
/// The host's IDT (`host/src/mem/descriptors.rs`): mapped read-only.
pub const IDT_ADDRESS: u64 = 2 * PAGE_SIZE;
/// A port inside the range the I/O bitmap opens but that means nothing.
pub const UNKNOWN_PORT: u16 = ports::LAST_OPEN;

/// Runs instructions that fault; the `ud2` after them makes sure. The
/// exception stub reports the fault and the host never resumes the guest.
macro_rules! fault {
    ($instructions:literal) => {
        core::arch::asm!($instructions, "ud2", options(noreturn))
    };
}

/// Misbehaves as `name` says; returns the reply for the host, if any.
pub fn run(name: &str, state: &mut State) -> Vec<u8> {
    match name {
        // Framing and flatbuffer lies.
        "corrupt-size-prefix" => {
            let mut message = messages::result(None);
            message[..4].copy_from_slice(&(u32::MAX - 3).to_le_bytes());
            deliver(&message)
        }
        "short-size-prefix" => {
            let mut message = messages::log("a message longer than its size prefix says it is");
            let short = u32::try_from(message.len() / 2).unwrap_or(0);
            message[..4].copy_from_slice(&short.to_le_bytes());
            deliver(&message)
        }
        "lie-offset" => {
            let mut message = messages::result(None);
            // The root table's offset, right after the size prefix.
            message[4..8].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
            deliver(&message)
        }
        "lie-vector-length" => {
            const MARK: &[u8] = b"LENGTHLIE";
            let mut message = messages::result(Some(Reply::String("LENGTHLIE")));
            // The string's bytes are a vector: its length comes right before.
            if let Some(at) = message.windows(MARK.len()).position(|w| w == MARK) {
                message[at - 4..at].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
            }
            deliver(&message)
        }
        // Chunked messages (`featherlight_abi::message`).
        "announce-over-limit" => {
            // A size prefix one byte past the sandbox's limit.
            let limit = featherlight_guest::host::max_message_size();
            let mut message = messages::result(None);
            let announced = u32::try_from(limit.saturating_sub(message::SIZE_PREFIX - 1)).unwrap_or(u32::MAX);
            message[..4].copy_from_slice(&announced.to_le_bytes());
            deliver(&message)
        }
        "chunk-then-spin" => {
            announce_chunked(2);
            loop {
                core::hint::spin_loop();
            }
        }
        "chunk-then-new-message" => {
            // A fresh message where the next chunk belongs.
            announce_chunked(2);
            deliver(&messages::result(None))
        }
        "chunked-garbage" => {
            // Every chunk of a three-buffer message, none of it a flatbuffer.
            let garbage = [0xab; 4096];
            let capacity = usize::try_from(featherlight_guest::boot_params().output.size).unwrap_or(0);
            let announced = u32::try_from((capacity * 3).saturating_sub(message::SIZE_PREFIX)).unwrap_or(u32::MAX);
            let mut first = garbage;
            first[..4].copy_from_slice(&announced.to_le_bytes());
            deliver_and_continue(&first);
            for _ in 0..2 {
                for at in (0..capacity).step_by(garbage.len()) {
                    let output = featherlight_guest::boot_params().output.address + at as u64;
                    // SAFETY: inside the output buffer, which only this guest writes.
                    unsafe { core::ptr::copy_nonoverlapping(garbage.as_ptr(), output as *mut u8, garbage.len()) };
                }
                host::exit(ports::MESSAGE, message::exit_value::CONTINUED);
            }
            exceptions::fatal()
        }
        "unannounced-continuation" => {
            let output = featherlight_guest::boot_params().output;
            let result = messages::result(None);
            // SAFETY: as in `deliver_and_continue`.
            unsafe { core::ptr::copy_nonoverlapping(result.as_ptr(), output.address as *mut u8, result.len()) };
            host::exit(ports::MESSAGE, message::exit_value::CONTINUED);
            exceptions::fatal()
        }
        "unprompted-input-request" => {
            host::exit(ports::MESSAGE, message::exit_value::MORE_INPUT);
            exceptions::fatal()
        }
        "deep-nesting" => messages::result(Some(Reply::Nested(200))),
        // Filesystem requests: forged ones answered with error codes, an
        // unknown operation malformed.
        "fs-forged" => crate::filesystem::forged(),
        "fs-unknown-op" => deliver(&crate::filesystem::unknown_op()),
        "garbage-flatbuffer" => {
            let mut message = alloc::vec![0u8; 4096];
            message[..4].copy_from_slice(&4092u32.to_le_bytes());
            let mut x = 0x9e37_79b9_7f4a_7c15u64;
            for byte in &mut message[4..] {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *byte = x.to_le_bytes()[0];
            }
            deliver(&message)
        }
        "empty-message" => deliver(&[0, 0, 0, 0]),
        "unknown-body" => {
            let mut fbb = flatbuffers::FlatBufferBuilder::new();
            let body = fb::Abort::create(&mut fbb, &fb::AbortArgs { message: None });
            deliver(&messages::finish(fbb, fb::GuestBody(200), body.as_union_value()))
        }
        // Well-framed messages that lie about the call.
        "wrong-result-type" => messages::result(Some(Reply::String("not a u32"))),
        "wrong-result-count" => messages::result(Some(Reply::TwoU32(1, 2))),
        "unknown-import" => deliver(&messages::call(9999, &[])),
        // Host functions: `fail` always fails, `ok` returns a u32.
        "swallow-host-failure" => {
            call_import(state, "fail", &[]);
            messages::result(None)
        }
        "call-after-host-failure" => {
            call_import(state, "fail", &[]);
            call_import(state, "ok", &[]);
            messages::result(None)
        }
        "import-wrong-args" => {
            call_import(state, "ok", &[1]);
            messages::result(None)
        }
        "call-big" => {
            call_import(state, "big", &[]);
            messages::result(None)
        }
        "call-unregistered" => {
            call_import(state, "unregistered", &[]);
            messages::result(None)
        }
        // Resource handles: one never issued, one dropped twice.
        "forge-handle" => {
            call_with_handle(state, "[method]thing.poke", 12345, false);
            messages::result(None)
        }
        "drop-twice" => {
            let handle = call_for_handle(state, "make");
            call_with_handle(state, "[resource-drop]thing", handle, true);
            call_with_handle(state, "[resource-drop]thing", handle, true);
            messages::result(None)
        }
        "fake-host-failure" => messages::error(fb::ErrorKind::HostFunction, "no host function failed"),
        "flood-log" => {
            let record = messages::log(&"flood ".repeat(10_000));
            loop {
                deliver_and_continue(&record);
            }
        }
        "log-burst" => {
            // More records than the host forwards per call, at a level it
            // does not want (it must drop those), then a normal return.
            let record = messages::log("burst");
            for _ in 0..10_050 {
                deliver_and_continue(&record);
            }
            let verbose = messages::log_at(fb::LogLevel::Trace, "too verbose");
            for _ in 0..10 {
                deliver_and_continue(&verbose);
            }
            messages::result(None)
        }
        "dirty-fpu" => {
            fpu::dirty();
            messages::result(None)
        }
        "dirty-fpu-rogue" => {
            // Resumes in our own code, skipping the kernel's reset.
            fpu::dirty();
            rogue_deliver(&messages::result(None));
            crate::handle(state)
        }
        "read-fpu" => messages::result(Some(Reply::U32(fpu::leftovers()))),
        "rogue-exit" => {
            // A good result, delivered through an `out` of our own instead
            // of the kernel's message exit: the call works, but the guest is
            // not stopped where snapshots resume.
            rogue_deliver(&messages::result(None));
            crate::handle(state)
        }
        "huge-abort" => {
            // As large as the output buffer allows, with multi-byte
            // characters so a cut must find a character boundary.
            let capacity = usize::try_from(featherlight_guest::boot_params().output.size).unwrap_or(0);
            deliver(&messages::abort(&"a\u{e9}".repeat(capacity.saturating_sub(64) / 3)))
        }
        // Ports.
        "unknown-port" => {
            // One byte wide: a wider access would reach past the open ports
            // and fault instead of exiting.
            // SAFETY: exits to the host, which never resumes us.
            unsafe { core::arch::asm!("out dx, al", "ud2", in("dx") UNKNOWN_PORT, in("al") 0u8, options(noreturn)) }
        }
        "linear-memory-outside" => {
            // Asks to commit linear memory far past the area's end.
            featherlight_guest::host::exit(ports::LINEAR_MEMORY, u32::MAX);
            messages::result(None)
        }
        // SAFETY: faults (#GP: port 0x80 is closed in the I/O bitmap).
        "closed-port" => unsafe { fault!("out 0x80, al") },
        "exception-port-lie" => {
            // SAFETY: exits through the exception port with a stack pointer
            // at no exception frame; the host never resumes us.
            unsafe {
                core::arch::asm!(
                    "mov rsp, 8",
                    "2: out {port}, eax",
                    "jmp 2b",
                    port = const ports::EXCEPTION,
                    in("eax") 13u32,
                    options(noreturn)
                )
            }
        }
        // Privileged instructions at CPL3: #GP.
        // SAFETY: faults (#GP at CPL3).
        "hlt" => unsafe { fault!("hlt") },
        // SAFETY: faults (#GP at CPL3).
        "wrmsr" => unsafe { fault!("xor ecx, ecx; xor eax, eax; xor edx, edx; wrmsr") },
        // SAFETY: faults (#GP at CPL3).
        "mov-cr3" => unsafe { fault!("xor eax, eax; mov cr3, rax") },
        // More instructions a CPL3 guest may not use, or that leave the VM.
        // SAFETY: faults, or returns to the `ud2` (#UD).
        "syscall" => unsafe { fault!("syscall") },
        // SAFETY: as above.
        "sysenter" => unsafe { fault!("sysenter") },
        // SAFETY: as above (vector 0x80 has no IDT gate).
        "int-0x80" => unsafe { fault!("int 0x80") },
        // SAFETY: as above.
        "vmcall" => unsafe { fault!("vmcall") },
        // SAFETY: as above.
        "vmmcall" => unsafe { fault!("vmmcall") },
        // SAFETY: as above (an `in` from an open port: the host never serves one).
        "in-port" => unsafe { fault!("in al, 0xe0") },
        // SAFETY: as above.
        "rdmsr" => unsafe { fault!("xor ecx, ecx; rdmsr") },
        // SAFETY: as above.
        "lgdt" => unsafe { fault!("lgdt [rsp]") },
        // SAFETY: as above.
        "cli" => unsafe { fault!("cli") },
        // SAFETY: as above.
        "invlpg" => unsafe { fault!("invlpg [rsp]") },
        // SAFETY: as above.
        "xsetbv" => unsafe { fault!("xor ecx, ecx; xor eax, eax; xor edx, edx; xsetbv") },
        // Jumps to nowhere.
        // SAFETY: faults (#PF: nothing is mapped there).
        "jump-unmapped" => unsafe { jump(UNMAPPED) },
        // SAFETY: faults (#GP: not a canonical address).
        "jump-non-canonical" => unsafe { jump(NON_CANONICAL) },
        "jump-writable" => {
            // Code written to the heap: `ud2` would run if writable memory
            // were executable; instead the fetch faults (#PF).
            let code = alloc::vec![0x0fu8, 0x0b, 0x0f, 0x0b].leak();
            // SAFETY: faults (#PF: writable pages are not executable).
            unsafe { jump(code.as_ptr() as u64) }
        }
        "triple-fault" => {
            // The classic recipe: fault with no usable stack, so delivering
            // the fault faults, and so on. The host's IDT delivers every
            // exception on its own stack (IST1), which defeats it.
            // SAFETY: faults; the host never resumes us.
            unsafe { fault!("xor esp, esp; ud2") }
        }
        "spin" => loop {
            core::hint::spin_loop();
        },
        "exhaust-scratch" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                // Touch every page so the memory is really used.
                hoard.push(alloc::vec![1u8; 1 << 20]);
            }
        }
        // Write to the page tables (after the artifact, not mapped for the
        // guest) and to the IDT (mapped read-only): #PF either way.
        "corrupt-page-tables" => {
            let tables = state.artifact_end.next_multiple_of(PAGE_SIZE);
            // SAFETY: deliberately faults; the host never resumes us.
            unsafe { write(tables) }
        }
        // SAFETY: deliberately faults; the host never resumes us.
        "corrupt-idt" => unsafe { write(IDT_ADDRESS) },
        "rewire-page-table" => rewire_page_table(),
        _ => messages::error(fb::ErrorKind::Other, "the hostile guest knows no such misbehaviour"),
    }
}

/// Guest-CoW mode only: points the page-table entry of the heap's first
/// page (a snapshot page) at the image instead of at its own page or a copy,
/// then returns normally. The call works; the host must refuse to snapshot
/// such tables, and a restore must rewrite them.
fn rewire_page_table() -> Vec<u8> {
    let heap = featherlight_guest::boot_params().heap;
    // The CoW memory starts at the first 2 MiB boundary after scratch, whose
    // last region is the heap: the root table, then the header.
    let root = (heap.address + heap.size).next_multiple_of(HUGE_PAGE_SIZE);
    // SAFETY: in guest-CoW mode the header page is identity-mapped; in
    // host-CoW mode nothing is mapped there and the read faults (an error
    // for the host, not a crash of ours to worry about).
    let magic = unsafe { core::ptr::read_volatile((root + PAGE_SIZE) as *const u64) };
    if magic != COW_MAGIC {
        return messages::error(fb::ErrorKind::Other, "not in guest-CoW mode");
    }
    let mut tables = IdentityTables;
    let Some((table, index, _)) = paging::leaf_entry(&tables, root, heap.address) else {
        return messages::error(fb::ErrorKind::Other, "the heap is not mapped");
    };
    let _ = tables.write_entry(table, index, IMAGE_BASE | paging::PRESENT | paging::USER);
    messages::result(None)
}

/// Delivers a (small) message through an `out` of our own instead of the
/// kernel's message exit, and returns when the host resumes us.
fn rogue_deliver(message: &[u8]) {
    let output = featherlight_guest::boot_params().output;
    let len = message.len().min(usize::try_from(output.size).unwrap_or(0));
    // SAFETY: as in `deliver_and_continue`.
    unsafe { core::ptr::copy_nonoverlapping(message.as_ptr(), output.address as *mut u8, len) };
    // SAFETY: exits to the host and returns when it resumes us; the default
    // options make it a compiler barrier for memory.
    unsafe { core::arch::asm!("out dx, eax", in("dx") ports::MESSAGE, in("eax") 0u32) };
}

/// Calls import `name` with `args` and ignores the host's answer.
fn call_import(state: &State, name: &str, args: &[u32]) {
    let index = state.imports.iter().position(|import| import == name).unwrap_or(usize::MAX);
    if host::send(&messages::call(u32::try_from(index).unwrap_or(u32::MAX), args)).is_err() {
        exceptions::fatal();
    }
    // Read (and so verify) the reply, as the real runtime would.
    let _ = host::receive().map(|r| r.open().is_ok());
}

fn import_index(state: &State, name: &str) -> u32 {
    let index = state.imports.iter().position(|import| import == name).unwrap_or(usize::MAX);
    u32::try_from(index).unwrap_or(u32::MAX)
}

fn call_with_handle(state: &State, name: &str, handle: u32, owned: bool) {
    if host::send(&messages::call_handle(import_index(state, name), handle, owned)).is_err() {
        exceptions::fatal();
    }
    let _ = host::receive().map(|r| r.open().is_ok());
}

/// Calls import `name` (no arguments) and returns the handle it answers.
fn call_for_handle(state: &State, name: &str) -> u32 {
    if host::send(&messages::call(import_index(state, name), &[])).is_err() {
        exceptions::fatal();
    }
    let received = host::receive().ok();
    let reply = received.as_ref().and_then(|r| r.open().ok());
    let result = reply.as_ref().and_then(|r| r.body_as_function_call_result());
    let first = result.and_then(|r| r.results()).filter(|v| !v.is_empty()).map(|v| v.get(0));
    first.and_then(|v| v.kind_as_resource_val()).map_or(0, |h| h.handle())
}

/// Sends the first chunk of a message `buffers` output buffers long: a
/// result header whose size prefix announces the whole length.
fn announce_chunked(buffers: usize) {
    let capacity = usize::try_from(featherlight_guest::boot_params().output.size).unwrap_or(0);
    let mut first = messages::result(None);
    let announced = u32::try_from((capacity * buffers).saturating_sub(message::SIZE_PREFIX)).unwrap_or(u32::MAX);
    first[..4].copy_from_slice(&announced.to_le_bytes());
    deliver_and_continue(&first);
}

/// Puts `bytes` (framed or not) at the start of the output buffer, as much
/// as fits, and exits through the message port.
fn deliver_and_continue(bytes: &[u8]) {
    let output = featherlight_guest::boot_params().output;
    let len = bytes.len().min(usize::try_from(output.size).unwrap_or(0));
    // SAFETY: the output buffer is `output.size` bytes of mapped scratch that
    // only this guest writes, and `len` fits it.
    unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), output.address as *mut u8, len) };
    host::exit(ports::MESSAGE, 0);
}

/// [`deliver_and_continue`] for a message the host must reject: it never
/// resumes the guest, and if it did the guest would give up.
fn deliver(bytes: &[u8]) -> ! {
    deliver_and_continue(bytes);
    exceptions::fatal()
}

/// Jumps to `address`.
///
/// # Safety
/// Nothing may be mapped executable at `address`.
unsafe fn jump(address: u64) -> ! {
    // SAFETY: the caller promises the jump faults.
    unsafe { core::arch::asm!("jmp {0}", in(reg) address, options(noreturn)) }
}

/// Writes to `address`.
///
/// # Safety
/// `address` must not be writable for the guest (the write faults).
unsafe fn write(address: u64) -> ! {
    // SAFETY: the caller promises the write faults.
    unsafe { core::ptr::write_volatile(address as *mut u64, 0xdead_beef) };
    exceptions::fatal()
}
