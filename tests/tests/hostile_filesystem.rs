//! The hostile guest's forged `wasi:filesystem` requests on real KVM:
//! descriptors never issued, NUL and non-UTF-8 paths, escapes, huge lengths
//! and offsets get error codes (or bounded results) and leave the sandbox
//! usable and the host tree unchanged; an unknown operation is malformed.

use featherlight::{Error, FsPerms, Malformed, Sandbox, Value, WasiConfig};
use featherlight_abi::fs::ErrorCode;
use featherlight_tests::TempDir;

#[path = "support/hostile.rs"]
#[allow(dead_code, reason = "the shared fixture has more than these tests use")]
mod support;

fn grant() -> (TempDir, std::path::PathBuf) {
    let root = TempDir::new();
    std::fs::write(root.path().join("secret.txt"), "secret").expect("secret");
    let grant = root.path().join("grant");
    std::fs::create_dir(&grant).expect("grant");
    std::fs::write(grant.join("f.txt"), vec![7u8; 100_000]).expect("file");
    (root, grant)
}

fn e(code: ErrorCode) -> String {
    format!("e{}", code.to_wire())
}

#[test]
fn forged_requests_get_error_codes_and_leave_the_sandbox_usable() {
    let (root, grant) = grant();
    let mut linker = support::linker();
    linker.wasi(WasiConfig::new().preopened_dir(&grant, "/g", FsPerms::ReadOnly).expect("grant"));
    let mut sandbox = Sandbox::new(support::component(), &linker).expect("boot");
    let results = sandbox.call("fs-forged", &[]).expect("forged requests are answered, not fatal");
    let [Value::String(answers)] = results.as_slice() else { panic!("{results:?}") };
    let answers: Vec<&str> = answers.split(' ').collect();
    let expected = [
        e(ErrorCode::BadDescriptor),       // stat of a descriptor never issued
        e(ErrorCode::BadDescriptor),       // read of a directory
        e(ErrorCode::Invalid),             // NUL in a path
        e(ErrorCode::IllegalByteSequence), // not UTF-8
        e(ErrorCode::NotPermitted),        // ../ out of the grant
        e(ErrorCode::NotPermitted),        // absolute path
        e(ErrorCode::BadDescriptor),       // rename to a forged descriptor
        e(ErrorCode::BadDescriptor),       // write to u32::MAX
        "ok".into(),                       // closing a preopen: it stays
        "ok".into(),                       // closing what was never open
        "ok".into(),                       // the preopen still works
        "n1".into(),                       // one preopen
        e(ErrorCode::NotPermitted),        // read-only grant
        e(ErrorCode::BadDescriptor),       // advise on a directory
        "b100000".into(),                  // all of the file (reads are capped at 960 KiB)
        e(ErrorCode::Invalid),             // at an offset past i64::MAX
        e(ErrorCode::NotPermitted),        // write under a read-only grant
        e(ErrorCode::NotPermitted),        // set-size under a read-only grant
        "ok".into(),                       // close
        e(ErrorCode::BadDescriptor),       // and it is gone
    ];
    assert_eq!(answers, expected.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!sandbox.is_poisoned());
    assert_eq!(sandbox.open_files(), 0);
    assert_eq!(sandbox.call("echo", &[Value::U32(5)]).expect("still usable"), [Value::U32(5)]);
    assert_eq!(std::fs::read(root.path().join("secret.txt")).expect("secret"), b"secret");
    assert_eq!(std::fs::read_dir(&grant).expect("grant").count(), 1, "nothing created");
}

#[test]
fn an_unknown_filesystem_operation_is_malformed() {
    let mut hostile = support::Hostile::new();
    hostile.misbehave("fs-unknown-op", |e| matches!(e, Error::Malformed(Malformed::UnknownFsOp { op: 200 })));
}
