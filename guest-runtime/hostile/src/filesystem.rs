//! Forged `wasi:filesystem` requests: descriptors never issued, paths with
//! NUL or not UTF-8, escapes, huge lengths and offsets. The host must answer
//! each with an error code (or a bounded result) and stay usable; an unknown
//! operation is malformed.

use crate::messages;
use alloc::string::String;
use alloc::vec::Vec;
use featherlight_abi::fb;
use featherlight_guest::host;

/// One request; the fields the host reads, all chosen here.
#[derive(Default)]
struct Forged<'a> {
    op: fb::FsOp,
    fd: u32,
    fd2: u32,
    path: &'a [u8],
    flags: u32,
    flags2: u32,
    offset: u64,
    len: u64,
    data: &'a [u8],
}

fn message(request: &Forged<'_>) -> Vec<u8> {
    let mut fbb = flatbuffers::FlatBufferBuilder::new();
    let path = fbb.create_vector(request.path);
    let data = fbb.create_vector(request.data);
    let body = fb::FsRequest::create(
        &mut fbb,
        &fb::FsRequestArgs {
            op: request.op,
            fd: request.fd,
            fd2: request.fd2,
            path: Some(path),
            path2: None,
            flags: request.flags,
            flags2: request.flags2,
            offset: request.offset,
            len: request.len,
            data: Some(data),
        },
    );
    messages::finish(fbb, fb::GuestBody::FsRequest, body.as_union_value())
}

/// Sends `request`; the answer as text: `e<code>` for an error, else
/// `fd<n>`, `b<bytes>` or `ok`.
fn ask(request: &Forged<'_>) -> String {
    if host::send(&message(request)).is_err() {
        return String::from("send failed");
    }
    let received = host::receive().ok();
    let reply = received.as_ref().and_then(|r| r.open().ok());
    match reply.as_ref().and_then(|r| r.body_as_fs_reply()) {
        None => String::from("no reply"),
        Some(r) if r.error() != 0 => alloc::format!("e{}", r.error()),
        Some(r) if r.fd() != 0 => String::from("fd"),
        Some(r) if r.bytes().is_some() => alloc::format!("b{}", r.bytes().map_or(0, |b| b.len())),
        Some(r) if r.entries().is_some() => alloc::format!("n{}", r.entries().map_or(0, |e| e.len())),
        Some(_) => String::from("ok"),
    }
}

/// Every forged request in turn; the answers, space-separated.
pub fn forged() -> Vec<u8> {
    use fb::FsOp as Op;
    let mut answers: Vec<String> = Vec::new();
    let open = |path: &'static [u8]| Forged { op: Op::OpenAt, path, flags: 1 << 8, ..Forged::default() };
    for request in [
        Forged { op: Op::Stat, fd: 12_345, ..Forged::default() },
        Forged { op: Op::Read, fd: 0, len: 10, ..Forged::default() },
        Forged { op: Op::StatAt, path: b"a\0b", ..Forged::default() },
        Forged { op: Op::StatAt, path: b"\xff\xfe", ..Forged::default() },
        open(b"../secret.txt"),
        open(b"/etc/passwd"),
        Forged { op: Op::RenameAt, fd2: 999_999, path: b"f.txt", ..Forged::default() },
        Forged { op: Op::Write, fd: u32::MAX, data: b"x", ..Forged::default() },
        Forged { op: Op::Close, fd: 0, ..Forged::default() },
        Forged { op: Op::Close, fd: 777_777, ..Forged::default() },
        Forged { op: Op::Stat, fd: 0, ..Forged::default() },
        Forged { op: Op::Preopens, fd: u32::MAX, ..Forged::default() },
        Forged { op: Op::CreateDirectoryAt, path: b"newdir", ..Forged::default() },
        Forged { op: Op::Advise, fd: 0, flags2: u32::MAX, len: u64::MAX, ..Forged::default() },
    ] {
        answers.push(ask(&request));
    }
    // A real file: reads are capped whatever is asked, at any offset.
    let opened = message(&open(b"f.txt"));
    let fd = if host::send(&opened).is_ok() {
        let received = host::receive().ok();
        let reply = received.as_ref().and_then(|r| r.open().ok());
        reply.as_ref().and_then(|r| r.body_as_fs_reply()).map_or(0, |r| r.fd())
    } else {
        0
    };
    answers.push(ask(&Forged { op: Op::Read, fd, len: u64::MAX, ..Forged::default() }));
    answers.push(ask(&Forged { op: Op::Read, fd, len: u64::MAX, offset: u64::MAX, ..Forged::default() }));
    answers.push(ask(&Forged { op: Op::Write, fd, data: &[0; 4096], ..Forged::default() }));
    answers.push(ask(&Forged { op: Op::SetSize, fd, len: u64::MAX, ..Forged::default() }));
    answers.push(ask(&Forged { op: Op::Close, fd, ..Forged::default() }));
    answers.push(ask(&Forged { op: Op::Stat, fd, ..Forged::default() }));
    let text = answers.join(" ");
    messages::result(Some(messages::Reply::String(&text)))
}

/// A request naming an operation the host does not know.
pub fn unknown_op() -> Vec<u8> {
    message(&Forged { op: fb::FsOp(200), ..Forged::default() })
}
