//! A hostile guest (`guest-runtime/hostile`: the real kernel and protocol,
//! no Wasm) breaks the protocol and the machine in every way it can. Each
//! misbehaviour must end the call with its own typed error and poison the
//! sandbox, and restoring a snapshot must make the sandbox work again: the
//! host keeps running and loses nothing.

use std::time::Duration;

use featherlight::testing::guest_copied_pages;
use featherlight::{
    Component, Config, DirtyPageMode, Engine, Error, GuestViolation, HandleProblem, InvalidFlatbuffer, Linker,
    Malformed, MemoryConfig, PageTableViolation, Sandbox, Side, Value,
};
use featherlight_tests::{HOSTILE_GUEST, TempDir};

/// Mirrors `guest-runtime/hostile/src/misbehave.rs`.
const UNMAPPED: u64 = 0x0000_7000_0000_0000;
const IDT_ADDRESS: u64 = 0x2000;
/// Where the image starts (`featherlight_abi::layout::IMAGE_BASE`).
const IMAGE_BASE: u64 = 0x20_0000;

#[path = "support/hostile.rs"]
mod support;
use support::{Hostile, WORLD, component_bytes, engine_with_timeout};

#[track_caller]
fn check(name: &str, expected: impl Fn(&Error) -> bool) -> Error {
    Hostile::new().misbehave(name, expected)
}

/// The default `max_message_size`, which the hostile guest is told.
fn message_limit() -> u64 {
    MemoryConfig::default().max_message_size
}

#[test]
fn corrupt_size_prefix() {
    check(
        "corrupt-size-prefix",
        |e| matches!(e, Error::Malformed(Malformed::OverLimit { len: 0x1_0000_0000, limit }) if *limit == message_limit()),
    );
}

#[test]
fn a_message_announced_past_the_limit_is_refused_before_it_travels() {
    check(
        "announce-over-limit",
        |e| matches!(e, Error::Malformed(Malformed::OverLimit { len, limit }) if *limit == message_limit() && *len == *limit + 1),
    );
}

#[test]
fn a_chunked_message_out_of_sequence_is_refused() {
    let cases: [(&str, u32); 3] =
        [("chunk-then-new-message", 0), ("unannounced-continuation", 1), ("unprompted-input-request", 2)];
    let mut hostile = Hostile::new();
    for (name, code) in cases {
        hostile.misbehave(
            name,
            |e| matches!(e, Error::Malformed(Malformed::OutOfSequence { value, .. }) if *value == code),
        );
    }
}

#[test]
fn a_chunked_message_of_garbage_fails_verification() {
    check("chunked-garbage", |e| matches!(e, Error::Malformed(Malformed::Flatbuffer(_))));
}

#[test]
fn a_guest_that_stops_sending_its_chunks_meets_the_deadline() {
    let mut hostile = Hostile::new();
    hostile.sandbox.set_call_timeout(Some(Duration::from_millis(200)));
    hostile.misbehave("chunk-then-spin", |e| matches!(e, Error::DeadlineExceeded { .. }));
}

#[test]
fn short_size_prefix() {
    check("short-size-prefix", |e| matches!(e, Error::Malformed(Malformed::Flatbuffer(_))));
}

#[test]
fn lying_root_offset() {
    check("lie-offset", |e| matches!(e, Error::Malformed(Malformed::Flatbuffer(_))));
}

#[test]
fn lying_vector_length() {
    check("lie-vector-length", |e| {
        matches!(e, Error::Malformed(Malformed::Flatbuffer(InvalidFlatbuffer::RangeOutOfBounds { .. })))
    });
}

#[test]
fn nesting_deeper_than_the_verifier_allows() {
    check("deep-nesting", |e| {
        matches!(e, Error::Malformed(Malformed::Flatbuffer(InvalidFlatbuffer::DepthLimitReached)))
    });
}

#[test]
fn garbage_flatbuffer() {
    check("garbage-flatbuffer", |e| matches!(e, Error::Malformed(Malformed::Flatbuffer(_))));
}

#[test]
fn empty_message() {
    check("empty-message", |e| matches!(e, Error::Malformed(Malformed::Flatbuffer(_))));
}

#[test]
fn unknown_message_body() {
    check("unknown-body", |e| matches!(e, Error::Malformed(Malformed::NoBody)));
}

#[test]
fn wrong_result_type() {
    check("wrong-result-type", |e| matches!(e, Error::Malformed(Malformed::WrongKind { expected: "u32", .. })));
}

#[test]
fn wrong_result_count() {
    check("wrong-result-count", |e| matches!(e, Error::Malformed(Malformed::ValueCount { values: 2, types: 1 })));
}

#[test]
fn swallowed_host_function_failure() {
    check("swallow-host-failure", |e| match e {
        Error::HostFunction { function, message, .. } => function.ends_with("#fail") && message == "fail always fails",
        _ => false,
    });
}

#[test]
fn host_call_after_a_host_function_failure() {
    check(
        "call-after-host-failure",
        |e| matches!(e, Error::HostFunction { function, .. } if function.ends_with("#fail")),
    );
}

#[test]
fn import_call_with_wrong_arguments() {
    check("import-wrong-args", |e| matches!(e, Error::Malformed(Malformed::ValueCount { values: 1, types: 0 })));
}

#[test]
fn forged_resource_handle() {
    check("forge-handle", |e| {
        matches!(e, Error::InvalidHandle { handle: 12345, reason: HandleProblem::NeverIssued, from: Side::Guest, .. })
    });
}

#[test]
fn resource_handle_dropped_twice() {
    check("drop-twice", |e| {
        matches!(e, Error::InvalidHandle { reason: HandleProblem::Dropped, from: Side::Guest, .. })
    });
}

#[test]
fn call_of_unregistered_import() {
    check(
        "call-unregistered",
        |e| matches!(e, Error::Malformed(Malformed::UnregisteredImport { import, .. }) if import == "test:hostile/host#unregistered"),
    );
}

#[test]
fn host_function_reply_larger_than_the_input_buffer_travels_in_chunks() {
    // The 2 MiB reply fills the 1 MiB input buffer three times; the guest
    // asks for each chunk and the call ends normally.
    let mut hostile = Hostile::new();
    hostile.sandbox.call("call-big", &[]).expect("a chunked reply");
    assert!(!hostile.sandbox.is_poisoned());
    hostile.assert_works();
}

#[test]
fn call_of_unknown_import() {
    check("unknown-import", |e| matches!(e, Error::Malformed(Malformed::NoSuchImport { index: 9999 })));
}

#[test]
fn invented_host_function_failure() {
    check(
        "fake-host-failure",
        |e| matches!(e, Error::Malformed(Malformed::InventedHostFailure { message }) if message == "no host function failed"),
    );
}

#[test]
fn unknown_port() {
    check("unknown-port", |e| matches!(e, Error::GuestMisbehaved(GuestViolation::UnknownPort { port: 0xe6 })));
}

#[test]
fn linear_memory_request_outside_the_area() {
    check("linear-memory-outside", |e| {
        matches!(e, Error::GuestMisbehaved(GuestViolation::LinearMemoryRequest { value: u32::MAX, .. }))
    });
}

#[test]
fn closed_port() {
    check("closed-port", |e| matches!(e, Error::GuestException { vector: 13, .. }));
}

#[test]
fn exception_port_without_frame() {
    check("exception-port-lie", |e| {
        matches!(e, Error::GuestMisbehaved(GuestViolation::ExceptionFrameOutOfBounds { vector: 13, rsp: 8, .. }))
    });
}

#[test]
fn privileged_instructions() {
    let mut hostile = Hostile::new();
    for name in ["hlt", "wrmsr", "mov-cr3"] {
        hostile.misbehave(name, |e| matches!(e, Error::GuestException { vector: 13, .. }));
    }
}

/// Whether an error is a CPU exception with one of `vectors`.
fn vector_in(vectors: &'static [u8]) -> impl Fn(&Error) -> bool {
    move |e| matches!(e, Error::GuestException { vector, .. } if vectors.contains(vector))
}

/// Some of these differ between hardware KVM and kvm_pvm (where the guest's
/// "ring 0" is emulated): each must still end in a CPU exception or, for
/// the port input, a crash naming it.
#[test]
fn more_instructions() {
    let mut hostile = Hostile::new();
    // #UD without SYSCALL enabled; kvm_pvm enters the (null) LSTAR: #PF.
    hostile.misbehave("syscall", vector_in(&[6, 14]));
    hostile.misbehave("sysenter", vector_in(&[6, 13]));
    // No IDT gate for 0x80 (#GP/#NP); kvm_pvm returns and the `ud2` after it faults.
    hostile.misbehave("int-0x80", vector_in(&[6, 11, 13]));
    // KVM answers a CPL3 `vmcall` with an error and resumes: the `ud2` after it.
    hostile.misbehave("vmcall", vector_in(&[6, 13]));
    // VMMCALL is AMD's: on an Intel host KVM rewrites it into VMCALL in guest
    // memory (kernels differ in whether kvm_pvm gets that far), and the write
    // to read-only code is a #PF at the instruction itself.
    hostile.misbehave("vmmcall", |e| {
        vector_in(&[6, 13])(e) || matches!(e, Error::GuestException { vector: 14, rip, cr2, error_code, .. } if rip == cr2 && error_code & 0x2 != 0)
    });
    for name in ["rdmsr", "lgdt", "cli", "invlpg", "xsetbv"] {
        hostile.misbehave(name, vector_in(&[13]));
    }
    // KVM leaves an `in` half done until the next entry: restore must not
    // let it complete over the restored registers (`misbehave` checks).
    hostile.misbehave("in-port", |e| matches!(e, Error::GuestMisbehaved(GuestViolation::PortInput { port: 0xe0 })));
}

#[test]
fn jump_to_unmapped_memory() {
    check("jump-unmapped", |e| matches!(e, Error::GuestException { vector: 14, rip: UNMAPPED, cr2: UNMAPPED, .. }));
}

#[test]
fn jump_to_non_canonical_address() {
    check("jump-non-canonical", |e| matches!(e, Error::GuestException { vector: 13, .. }));
}

#[test]
fn jump_to_writable_memory() {
    // A #PF on the instruction fetch itself (error code bit 4), at the jump
    // target: writable memory is never executable.
    check("jump-writable", |e| match e {
        Error::GuestException { vector: 14, rip, cr2, error_code, .. } => rip == cr2 && error_code & 0x10 != 0,
        _ => false,
    });
}

#[test]
fn triple_fault_recipe() {
    check("triple-fault", |e| {
        matches!(e, Error::GuestException { .. } | Error::GuestMisbehaved(GuestViolation::TripleFault))
    });
}

#[test]
fn corrupt_page_tables() {
    check("corrupt-page-tables", |e| matches!(e, Error::GuestException { vector: 14, .. }));
}

#[test]
fn corrupt_idt() {
    check("corrupt-idt", |e| matches!(e, Error::GuestException { vector: 14, cr2: IDT_ADDRESS, .. }));
}

#[test]
fn exhaust_scratch() {
    check("exhaust-scratch", |e| matches!(e, Error::GuestOutOfMemory { .. }));
}

#[test]
fn spin_forever() {
    let mut hostile = Hostile::new();
    hostile.sandbox.set_call_timeout(Some(Duration::from_millis(200)));
    hostile.misbehave("spin", |e| matches!(e, Error::DeadlineExceeded { .. }));
}

#[test]
fn flood_the_log() {
    let mut hostile = Hostile::new();
    hostile.sandbox.set_call_timeout(Some(Duration::from_millis(300)));
    hostile.misbehave("flood-log", |e| matches!(e, Error::DeadlineExceeded { .. }));
}

#[test]
fn huge_abort_message_is_cut() {
    // Nearly the whole 1 MiB output buffer, cut to 64 KiB by the host.
    let error = check("huge-abort", |e| match e {
        Error::GuestPanic(m) => m.len() < 66 * 1024 && m.starts_with("a\u{e9}a") && m.ends_with("more bytes cut)"),
        _ => false,
    });
    assert!(error.to_string().len() < 66 * 1024);
}

#[test]
fn misbehaviour_while_instantiating() {
    type Expected = fn(&Error) -> bool;
    let cases: [(&str, Expected); 4] = [
        (
            "garbage-flatbuffer",
            // Found by the host, not reported by the guest: not an
            // instantiation failure of the component's.
            |e| matches!(e, Error::Malformed(Malformed::Flatbuffer(_))),
        ),
        ("spin", |e| matches!(e, Error::DeadlineExceeded { .. })),
        ("exhaust-scratch", |e| matches!(e, Error::GuestOutOfMemory { .. })),
        ("hlt", |e| matches!(e, Error::GuestException { vector: 13, .. })),
    ];
    for (name, expected) in cases {
        let world = format!(
            "package test:hostile;\n\
             world hostile {{ export echo: func(x: u32) -> u32; export at-init-{name}: func(); }}"
        );
        // Only `spin` should meet its deadline; the others get one a loaded
        // machine cannot reach (filling 32 MiB of scratch takes ~7 000
        // shadow-paging faults).
        let deadline = if name == "spin" { Duration::from_millis(300) } else { Duration::from_secs(20) };
        let engine = engine_with_timeout(deadline);
        let component = Component::new(&engine, &component_bytes(&world)).expect("compile");
        let error = Sandbox::new(&component, &Linker::new()).expect_err(name);
        assert!(expected(&error), "{name} at instantiation: unexpected error {error:?}");
    }
    // The host is unharmed: a well-behaved sandbox still works.
    Hostile::new();
}

/// In guest-CoW mode the guest can write its page tables: one that points a
/// snapshot page's entry elsewhere than its page or a copy still finishes its
/// call, but the host refuses to snapshot those tables (naming the page and
/// where it points), and a restore rewrites them.
#[test]
fn page_tables_rewired_in_guest_cow_mode() {
    let memory =
        MemoryConfig { scratch_size: 32 << 20, dirty_pages: DirtyPageMode::GuestCow, ..MemoryConfig::default() };
    let config = Config {
        memory,
        cache_dir: None,
        guest_image: Some(HOSTILE_GUEST.into()),
        call_timeout: Some(Duration::from_secs(20)),
        ..Config::default()
    };
    let component = Component::new(&Engine::new(config).expect("engine"), &component_bytes(WORLD)).expect("compile");
    let booted = Sandbox::new(&component, &support::linker()).expect("the hostile guest boots").snapshot();
    let snapshot = booted.expect("snapshot");
    // Made from a snapshot, the sandbox runs on guest-CoW tables.
    let mut sandbox = Sandbox::from_snapshot(&snapshot, &support::linker()).expect("sandbox from the snapshot");
    assert_eq!(guest_copied_pages(&sandbox).expect("tables"), Some(0));
    sandbox.call("rewire-page-table", &[]).expect("the call itself finishes");
    let error = sandbox.snapshot().expect_err("no snapshot of rewired tables");
    assert!(
        matches!(
            error,
            Error::GuestMisbehaved(GuestViolation::PageTables(PageTableViolation::Redirected {
                target: IMAGE_BASE,
                ..
            }))
        ),
        "{error:?}"
    );
    sandbox.restore(&snapshot).expect("restore");
    assert_eq!(guest_copied_pages(&sandbox).expect("tables after the restore"), Some(0));
    assert_eq!(sandbox.call("echo", &[Value::U32(5)]).expect("echo"), [Value::U32(5)]);
    sandbox.snapshot().expect("snapshot after the restore");
}

#[test]
fn fpu_state_does_not_survive_restore() {
    let mut hostile = Hostile::new();
    let leftovers = |hostile: &mut Hostile| hostile.sandbox.call("read-fpu", &[]).expect("read-fpu");
    assert_eq!(leftovers(&mut hostile), [Value::U32(0)], "a fresh guest has the default x87/SSE state");
    // Through the kernel's message exit, the next call starts clean.
    hostile.sandbox.call("dirty-fpu", &[]).expect("dirty-fpu");
    assert_eq!(leftovers(&mut hostile), [Value::U32(0)], "x87/SSE state survived a message exit");
    // A guest that skips the kernel's exit keeps MXCSR, the x87 control word
    // and the XMM registers for its next call (this test can see them)...
    hostile.sandbox.call("dirty-fpu-rogue", &[]).expect("dirty-fpu-rogue");
    assert_eq!(leftovers(&mut hostile), [Value::U32(0b111)]);
    // ...but not across a restore: another request must not see them.
    hostile.sandbox.call("dirty-fpu-rogue", &[]).expect("dirty-fpu-rogue");
    hostile.sandbox.restore(&hostile.snapshot).expect("restore");
    assert_eq!(leftovers(&mut hostile), [Value::U32(0)], "x87/SSE state survived the restore");
}

#[test]
fn result_delivered_outside_the_message_exit() {
    let mut hostile = Hostile::new();
    assert_eq!(hostile.sandbox.call("rogue-exit", &[]).expect("the result itself is fine"), []);
    let error = hostile.sandbox.snapshot().expect_err("no snapshot of a guest stopped elsewhere");
    assert!(matches!(&error, Error::GuestMisbehaved(GuestViolation::NotAtMessageExit { .. })), "{error:?}");
    // The guest still serves calls, and the old snapshot still restores.
    hostile.assert_works();
    hostile.sandbox.restore(&hostile.snapshot).expect("restore");
    hostile.assert_works();
    hostile.sandbox.snapshot().expect("snapshot after restore");
}

#[test]
fn the_guest_image_is_part_of_the_cache_key() {
    let cache = TempDir::new();
    let engine = |guest_image: Option<&str>| {
        let config = Config {
            cache_dir: Some(cache.path().to_path_buf()),
            guest_image: guest_image.map(Into::into),
            ..Config::default()
        };
        Engine::new(config).expect("engine")
    };
    let bytes = component_bytes(WORLD);
    Component::new(&engine(Some(HOSTILE_GUEST)), &bytes).expect("compile for the hostile guest");
    Component::new(&engine(None), &bytes).expect("compile for the embedded guest");
    let files = std::fs::read_dir(cache.path()).expect("cache directory").count();
    assert_eq!(files, 2, "one cache file per guest image");
}

#[test]
fn a_missing_guest_image_is_an_io_error() {
    let config = Config { guest_image: Some("/nonexistent/guest".into()), cache_dir: None, ..Config::default() };
    assert!(matches!(Engine::new(config), Err(Error::Io { .. })));
}
