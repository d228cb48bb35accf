//! Support for the fuzz targets in `fuzz/` (not part of the API): sample
//! types and values, a compact byte form of value types so a fuzzer can
//! choose the types it decodes against, and well-formed guest messages to
//! seed each target's corpus with (`examples/fuzz_seeds.rs` writes them).

use crate::codec::encode_values;
use crate::types::ValueType;
use crate::value::Value;
use featherlight_abi::fb;
use flatbuffers::{FlatBufferBuilder, UnionWIPOffset, WIPOffset};

/// Nesting bound for types read by [`types_from_bytes`]; deep enough to
/// reach every code path, shallow enough to keep each run fast.
const FUZZ_TYPE_DEPTH: usize = 12;

/// Type lists (of at most three types) paired with values of those types,
/// covering every kind.
pub fn samples() -> Vec<(Vec<ValueType>, Vec<Value>)> {
    let some = |v: Value| Value::Option(Some(Box::new(v)));
    vec![
        (vec![], vec![]),
        (vec![ValueType::U32], vec![Value::U32(7)]),
        (
            vec![ValueType::Bool, ValueType::S8, ValueType::S16],
            vec![Value::Bool(true), Value::S8(-1), Value::S16(-300)],
        ),
        (
            vec![ValueType::S64, ValueType::U16, ValueType::U64],
            vec![Value::S64(i64::MIN), Value::U16(9), Value::U64(1)],
        ),
        (vec![ValueType::String, ValueType::Char], vec![Value::String("héllo".into()), Value::Char('ß')]),
        (vec![ValueType::Float32, ValueType::Float64], vec![Value::Float32(1.5), Value::Float64(-0.0)]),
        (vec![ValueType::list(ValueType::U8)], vec![Value::List(vec![Value::U8(1), Value::U8(255)])]),
        (
            vec![ValueType::list(ValueType::list(ValueType::S32))],
            vec![Value::List(vec![Value::List(vec![Value::S32(-5)]), Value::List(vec![])])],
        ),
        (
            vec![
                ValueType::list(ValueType::Bool),
                ValueType::list(ValueType::Char),
                ValueType::list(ValueType::Float64),
            ],
            vec![
                Value::List(vec![Value::Bool(true), Value::Bool(false)]),
                Value::List(vec![Value::Char('a'), Value::Char('😀')]),
                Value::List(vec![Value::Float64(-0.0), Value::Float64(f64::MAX)]),
            ],
        ),
        (
            vec![ValueType::record([("x", ValueType::S32), ("y", ValueType::option(ValueType::String))])],
            vec![Value::Record(vec![("x".into(), Value::S32(3)), ("y".into(), some(Value::String("z".into())))])],
        ),
        (
            vec![
                ValueType::variant([("none", None), ("some", Some(ValueType::U8))]),
                ValueType::enumeration(["a", "b"]),
            ],
            vec![Value::Variant("some".into(), Some(Box::new(Value::U8(2)))), Value::Enum("b".into())],
        ),
        (
            vec![ValueType::result(Some(ValueType::U8), Some(ValueType::String)), ValueType::result(None, None)],
            vec![Value::Result(Err(Some(Box::new(Value::String("no".into()))))), Value::Result(Ok(None))],
        ),
        (
            vec![
                ValueType::flags((0..40).map(|i| format!("f{i}"))),
                ValueType::tuple([ValueType::U8, ValueType::Char]),
            ],
            vec![Value::Flags(vec!["f1".into(), "f39".into()]), Value::Tuple(vec![Value::U8(0), Value::Char('x')])],
        ),
    ]
}

/// Reads up to three value types from the front of `data` (see
/// [`type_bytes`] for the form), advancing it past them. Never fails: when
/// bytes run out, the remaining types are `u8`.
pub fn types_from_bytes(data: &mut &[u8]) -> Vec<ValueType> {
    let count = next(data) % 4;
    (0..count).map(|_| type_from_bytes(data, 0)).collect()
}

fn next(data: &mut &[u8]) -> usize {
    let (first, rest) = data.split_first().map_or((2, &[][..]), |(b, rest)| (usize::from(*b), rest));
    *data = rest;
    first
}

const PRIMITIVES: [ValueType; 13] = [
    ValueType::Bool,
    ValueType::S8,
    ValueType::U8,
    ValueType::S16,
    ValueType::U16,
    ValueType::S32,
    ValueType::U32,
    ValueType::S64,
    ValueType::U64,
    ValueType::Float32,
    ValueType::Float64,
    ValueType::Char,
    ValueType::String,
];

fn type_from_bytes(data: &mut &[u8], depth: usize) -> ValueType {
    let code = next(data) % 21;
    if code < PRIMITIVES.len() || depth >= FUZZ_TYPE_DEPTH {
        return PRIMITIVES[code % PRIMITIVES.len()].clone();
    }
    let inner = |data: &mut &[u8]| type_from_bytes(data, depth + 1);
    match code {
        13 => ValueType::list(inner(data)),
        14 => ValueType::option(inner(data)),
        15 => {
            let n = next(data) % 4;
            ValueType::record((0..n).map(|i| (format!("f{i}"), inner(data))).collect::<Vec<_>>())
        }
        16 => {
            let n = next(data) % 4;
            ValueType::tuple((0..n).map(|_| inner(data)).collect::<Vec<_>>())
        }
        17 => {
            let n = next(data) % 4 + 1;
            let cases: Vec<_> = (0..n).map(|i| (format!("c{i}"), (next(data) % 2 == 1).then(|| inner(data)))).collect();
            ValueType::variant(cases)
        }
        18 => ValueType::enumeration((0..next(data) % 4 + 1).map(|i| format!("c{i}"))),
        19 => {
            let sides = next(data);
            let ok = (sides & 1 != 0).then(|| inner(data));
            let err = (sides & 2 != 0).then(|| inner(data));
            ValueType::result(ok, err)
        }
        _ => ValueType::flags((0..next(data) % 70).map(|i| format!("f{i}"))),
    }
}

/// The byte form [`types_from_bytes`] reads, for up to three types whose
/// names are those it generates (`f0`, `c1`, ...); used to write seeds.
pub fn type_bytes(types: &[ValueType]) -> Vec<u8> {
    let mut out = vec![u8::try_from(types.len()).unwrap_or(0)];
    for ty in types {
        write_type(ty, &mut out);
    }
    out
}

fn write_type(ty: &ValueType, out: &mut Vec<u8>) {
    let small = |n: usize| u8::try_from(n).unwrap_or(u8::MAX);
    if let Some(code) = PRIMITIVES.iter().position(|p| p == ty) {
        out.push(small(code));
        return;
    }
    match ty {
        ValueType::List(element) => {
            out.push(13);
            write_type(element, out);
        }
        ValueType::Option(some) => {
            out.push(14);
            write_type(some, out);
        }
        ValueType::Record(fields) => {
            out.extend([15, small(fields.len())]);
            fields.iter().for_each(|(_, t)| write_type(t, out));
        }
        ValueType::Tuple(types) => {
            out.extend([16, small(types.len())]);
            types.iter().for_each(|t| write_type(t, out));
        }
        ValueType::Variant(cases) => {
            out.extend([17, small(cases.len().saturating_sub(1))]);
            for (_, payload) in cases.iter() {
                out.push(u8::from(payload.is_some()));
                payload.iter().for_each(|t| write_type(t, out));
            }
        }
        ValueType::Enum(cases) => out.extend([18, small(cases.len().saturating_sub(1))]),
        ValueType::Result(r) => {
            out.extend([19, u8::from(r.ok.is_some()) | (u8::from(r.err.is_some()) << 1)]);
            r.ok.iter().chain(&r.err).for_each(|t| write_type(t, out));
        }
        ValueType::Flags(names) => out.extend([20, small(names.len())]),
        _ => out.push(0),
    }
}

/// A framed (size-prefixed) guest message with `body`.
pub fn guest_message(
    build: impl FnOnce(&mut FlatBufferBuilder<'static>) -> (fb::GuestBody, WIPOffset<UnionWIPOffset>),
) -> Vec<u8> {
    let mut fbb = FlatBufferBuilder::new();
    let (body_type, body) = build(&mut fbb);
    let root = fb::GuestMessage::create(&mut fbb, &fb::GuestMessageArgs { body_type, body: Some(body) });
    fbb.finish_size_prefixed(root, None);
    fbb.finished_data().to_vec()
}

/// A call's results (or a host call's arguments, `call` set) as a framed
/// guest message.
pub fn values_message(values: &[Value], types: &[ValueType], call: Option<u32>) -> Vec<u8> {
    guest_message(|fbb| {
        // Samples are well-typed; an encoding failure would be a bug here.
        let encoded = encode_values(fbb, values, types).ok();
        match call {
            Some(function) => {
                let args = fb::FunctionCallArgs { function, args: encoded, context: None };
                (fb::GuestBody::FunctionCall, fb::FunctionCall::create(fbb, &args).as_union_value())
            }
            None => {
                let args = fb::FunctionCallResultArgs { results: encoded, error: None, http_response: None };
                (fb::GuestBody::FunctionCallResult, fb::FunctionCallResult::create(fbb, &args).as_union_value())
            }
        }
    })
}

/// Well-formed framed messages of every kind the guest sends, named.
pub fn messages() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for (i, (types, values)) in samples().iter().enumerate() {
        out.push((format!("result-{i}"), values_message(values, types, None)));
        out.push((format!("call-{i}"), values_message(values, types, u32::try_from(i).ok())));
    }
    for kind in [
        fb::ErrorKind::StackOverflow,
        fb::ErrorKind::HostFunction,
        fb::ErrorKind::Instantiate,
        fb::ErrorKind::Exit,
        fb::ErrorKind::NotGranted,
        fb::ErrorKind::InvalidHandle,
    ] {
        let message = guest_message(|fbb| {
            let message = Some(fbb.create_string("it failed"));
            let exit_code = if kind == fb::ErrorKind::Exit { 3 } else { 0 };
            let handle = if kind == fb::ErrorKind::InvalidHandle { 0x10_0001 } else { 0 };
            let error = Some(fb::CallError::create(
                fbb,
                &fb::CallErrorArgs { kind, message, exit_code, handle, ..Default::default() },
            ));
            let args = fb::FunctionCallResultArgs { results: None, error, http_response: None };
            (fb::GuestBody::FunctionCallResult, fb::FunctionCallResult::create(fbb, &args).as_union_value())
        });
        out.push((format!("error-{}", kind.0), message));
    }
    out.push((
        "log".into(),
        guest_message(|fbb| {
            let target = Some(fbb.create_string("guest::kernel"));
            let message = Some(fbb.create_string("instantiated"));
            let args = fb::LogRecordArgs { level: fb::LogLevel::Debug, target, message };
            (fb::GuestBody::LogRecord, fb::LogRecord::create(fbb, &args).as_union_value())
        }),
    ));
    out.push((
        "output".into(),
        guest_message(|fbb| {
            let chunks: Vec<_> = [(fb::OutputStream::Stdout, &b"hello\n"[..]), (fb::OutputStream::Stderr, b"oops\n")]
                .into_iter()
                .map(|(stream, text)| {
                    let bytes = Some(fbb.create_vector(text));
                    fb::OutputChunk::create(fbb, &fb::OutputChunkArgs { stream, bytes })
                })
                .collect();
            let chunks = Some(fbb.create_vector(&chunks));
            (fb::GuestBody::Output, fb::Output::create(fbb, &fb::OutputArgs { chunks }).as_union_value())
        }),
    ));
    out.push((
        "stdin-read".into(),
        guest_message(|fbb| {
            let args = fb::StdinReadArgs { max_len: 8192, wait_ns: u64::MAX, position: 12 };
            (fb::GuestBody::StdinRead, fb::StdinRead::create(fbb, &args).as_union_value())
        }),
    ));
    out.push((
        "fs-request".into(),
        guest_message(|fbb| {
            let path = Some(fbb.create_vector(b"dir/file.txt"));
            let path2 = Some(fbb.create_vector(b"../elsewhere"));
            let data = Some(fbb.create_vector(b"contents"));
            let args = fb::FsRequestArgs {
                op: fb::FsOp::RenameAt,
                fd: 3,
                fd2: 65_536,
                path,
                path2,
                flags: 1,
                flags2: 9,
                offset: 4096,
                len: 65_536,
                data,
            };
            (fb::GuestBody::FsRequest, fb::FsRequest::create(fbb, &args).as_union_value())
        }),
    ));
    out.push((
        "body-read".into(),
        guest_message(|fbb| {
            let args = fb::BodyReadArgs { stream: 0, max_len: 65_536, wait_ns: 1_000_000 };
            (fb::GuestBody::BodyRead, fb::BodyRead::create(fbb, &args).as_union_value())
        }),
    ));
    out.push((
        "http-response".into(),
        guest_message(|fbb| {
            let name = Some(fbb.create_string("content-type"));
            let value = Some(fbb.create_vector(b"text/plain"));
            let field = fb::HttpField::create(fbb, &fb::HttpFieldArgs { name, value });
            let headers = Some(fbb.create_vector(&[field]));
            let head = Some(fb::HttpResponseHead::create(fbb, &fb::HttpResponseHeadArgs { status: 200, headers }));
            let body = Some(fbb.create_vector(b"hello, world\n"));
            let args = fb::HttpResponseArgs { head, body, end: false, trailers: None, error: None };
            (fb::GuestBody::HttpResponse, fb::HttpResponse::create(fbb, &args).as_union_value())
        }),
    ));
    out.push((
        "http-outgoing".into(),
        guest_message(|fbb| {
            let method = Some(fbb.create_string("GET"));
            let scheme = Some(fbb.create_string("https"));
            let authority = Some(fbb.create_string("example.com"));
            let path_with_query = Some(fbb.create_string("/?q=1"));
            let request = Some(fb::HttpRequest::create(
                fbb,
                &fb::HttpRequestArgs {
                    method,
                    scheme,
                    authority,
                    path_with_query,
                    body_end: true,
                    ..Default::default()
                },
            ));
            let args = fb::HttpOutgoingRequestArgs { id: 1, request, ..Default::default() };
            (fb::GuestBody::HttpOutgoingRequest, fb::HttpOutgoingRequest::create(fbb, &args).as_union_value())
        }),
    ));
    out.push((
        "abort".into(),
        guest_message(|fbb| {
            let message = Some(fbb.create_string("panicked at kernel/src/heap.rs"));
            (fb::GuestBody::Abort, fb::Abort::create(fbb, &fb::AbortArgs { message }).as_union_value())
        }),
    ));
    out
}

/// Where the `page_tables` fuzz target places its tables (guest-physical).
pub const FUZZ_TABLES_BASE: u64 = 0x20_0000;
/// Guest-virtual address of the snapshot pages it maps copy-on-write.
pub const FUZZ_COW_VIRT: u64 = 0x4000_0000;
/// Guest-physical address of those pages' snapshot copies.
pub const FUZZ_SNAPSHOT_PHYS: u64 = 0x40_0000;
/// Pages for copies behind the tables.
const FUZZ_COPY_PAGES: u64 = 64;

/// The `page_tables` fuzz target's input: one byte choosing how many
/// snapshot pages are mapped (1 to 64), then the tables, root first, at
/// [`FUZZ_TABLES_BASE`]; copies may go in the 64 pages right after them.
/// Returns the run, the root and the range for copies.
pub fn page_tables_geometry(data: &[u8]) -> Option<(crate::page_tables::CowRun, u64, std::ops::Range<u64>)> {
    use featherlight_abi::layout::PAGE_SIZE;
    let (&pages, tables) = data.split_first()?;
    let run = crate::page_tables::CowRun {
        virt: FUZZ_COW_VIRT,
        phys: FUZZ_SNAPSHOT_PHYS,
        size: (u64::from(pages) % 64 + 1) * PAGE_SIZE,
    };
    let copies = (FUZZ_TABLES_BASE + tables.len() as u64).next_multiple_of(PAGE_SIZE);
    Some((run, FUZZ_TABLES_BASE, copies..copies + FUZZ_COPY_PAGES * PAGE_SIZE))
}

/// Seeds for the `page_tables` target, named: guest-CoW tables as the host
/// builds them for four pages, and the same after the guest copied two.
pub fn page_tables() -> Vec<(String, Vec<u8>)> {
    use featherlight_abi::layout::PAGE_SIZE;
    use featherlight_abi::paging::{self, COW, PRESENT, PageTableMemory, USER, WRITABLE};
    struct Arena(Vec<u8>);
    impl PageTableMemory for Arena {
        fn read_entry(&self, table: u64, index: usize) -> Option<u64> {
            crate::page_tables::TableBytes { base: FUZZ_TABLES_BASE, bytes: &self.0 }.read_entry(table, index)
        }
        fn write_entry(&mut self, table: u64, index: usize, entry: u64) -> Option<()> {
            let at = usize::try_from(table.checked_sub(FUZZ_TABLES_BASE)?).ok()?.checked_add(index * 8)?;
            self.0.get_mut(at..at + 8)?.copy_from_slice(&entry.to_le_bytes());
            Some(())
        }
        fn allocate_table(&mut self) -> Option<u64> {
            let at = self.0.len() as u64;
            self.0.resize(self.0.len() + usize::try_from(PAGE_SIZE).ok()?, 0);
            Some(FUZZ_TABLES_BASE + at)
        }
    }
    const PAGES: u8 = 4;
    let mut arena = Arena(Vec::new());
    let mut out = Vec::new();
    let built = arena.allocate_table().and_then(|root| {
        let size = u64::from(PAGES) * PAGE_SIZE;
        paging::map_range(&mut arena, root, FUZZ_COW_VIRT, FUZZ_SNAPSHOT_PHYS, size, USER | COW).ok()
    });
    if built.is_none() {
        return out;
    }
    let input = |arena: &Arena| [&[PAGES - 1][..], &arena.0].concat();
    out.push(("fresh".to_string(), input(&arena)));
    let copies = FUZZ_TABLES_BASE + arena.0.len() as u64;
    for (page, copy) in [(1u64, copies), (3, copies + PAGE_SIZE)] {
        let leaf = paging::leaf_entry(&arena, FUZZ_TABLES_BASE, FUZZ_COW_VIRT + page * PAGE_SIZE);
        if let Some((table, index, _)) = leaf {
            arena.write_entry(table, index, copy | PRESENT | USER | WRITABLE);
        }
    }
    out.push(("copied".to_string(), input(&arena)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::decode_values;
    use crate::guest::{GuestMessage, StdinRequest, decode_message};

    #[test]
    fn type_bytes_read_back() {
        for (types, _) in samples() {
            // Names differ from the generated ones; compare the shapes.
            let bytes = type_bytes(&types);
            let back = types_from_bytes(&mut &bytes[..]);
            assert_eq!(type_bytes(&back), bytes, "{types:?}");
        }
    }

    #[test]
    fn page_table_seeds_read_back() {
        use crate::page_tables::{CopiedPage, TableBytes, copied_pages};
        let seeds = page_tables();
        assert_eq!(seeds.len(), 2);
        let mut found = Vec::new();
        for (name, data) in &seeds {
            let (run, root, copies) = page_tables_geometry(data).unwrap();
            assert_eq!(run.size, 4 * 4096, "{name}");
            let tables = TableBytes { base: FUZZ_TABLES_BASE, bytes: &data[1..] };
            found.push(copied_pages(&tables, root, &[run], copies.clone()).unwrap());
            assert_eq!(copies.start, FUZZ_TABLES_BASE + data.len() as u64 - 1, "{name}");
        }
        let copies = FUZZ_TABLES_BASE + seeds[1].1.len() as u64 - 1;
        assert_eq!(found[0], []);
        assert_eq!(
            found[1],
            [
                CopiedPage { phys: FUZZ_SNAPSHOT_PHYS + 4096, copy: copies },
                CopiedPage { phys: FUZZ_SNAPSHOT_PHYS + 3 * 4096, copy: copies + 4096 },
            ]
        );
    }

    #[test]
    fn every_seed_decodes() {
        let samples = samples();
        for (name, bytes) in messages() {
            let decoded = decode_message(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            let index: usize = name.rsplit('-').next().and_then(|i| i.parse().ok()).unwrap_or(0);
            match decoded {
                GuestMessage::Finished(values) => {
                    assert_eq!(decode_values(values, &samples[index].0).unwrap(), samples[index].1, "{name}")
                }
                GuestMessage::HostCall(call) => {
                    assert_eq!(call.function as usize, index);
                    assert_eq!(decode_values(call.args, &samples[index].0).unwrap(), samples[index].1, "{name}")
                }
                GuestMessage::Failed(failure) => assert_eq!(failure.message, "it failed"),
                GuestMessage::Log(record) => assert_eq!(record.message, "instantiated"),
                GuestMessage::Abort(message) => assert!(message.starts_with("panicked")),
                GuestMessage::Output(output) => {
                    let chunks: Vec<_> =
                        output.chunks().iter().flatten().map(|c| c.bytes().map(|b| b.bytes())).collect();
                    assert_eq!(chunks, [Some(&b"hello\n"[..]), Some(b"oops\n")], "{name}");
                }
                GuestMessage::StdinRead(read) => {
                    assert_eq!(read, StdinRequest { max_len: 8192, wait_ns: u64::MAX, position: 12 }, "{name}");
                }
                GuestMessage::BodyRead(read) => {
                    assert_eq!((read.stream, read.max_len), (0, 65_536), "{name}");
                }
                GuestMessage::HttpResponse(part) => {
                    assert_eq!(part.head().map(|head| head.status()), Some(200), "{name}");
                    assert_eq!(part.body().map(|body| body.bytes()), Some(&b"hello, world\n"[..]), "{name}");
                }
                GuestMessage::HttpOutgoing(request) => {
                    assert_eq!(request.id(), 1, "{name}");
                    assert_eq!(request.request().and_then(|r| r.authority()), Some("example.com"), "{name}");
                }
                GuestMessage::Fs(request) => {
                    assert_eq!(request.op, crate::filesystem::FsOp::RenameAt, "{name}");
                    assert_eq!(
                        (request.fd, request.fd2, request.path, request.path2),
                        (3, 65_536, &b"dir/file.txt"[..], &b"../elsewhere"[..])
                    );
                    assert_eq!(
                        (request.flags, request.flags2, request.offset, request.len, request.data),
                        (1, 9, 4096, 65_536, &b"contents"[..])
                    );
                }
            }
        }
    }
}
