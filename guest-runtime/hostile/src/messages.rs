//! Building guest -> host messages, well-formed ones included (the raw
//! material for lies).

use alloc::vec::Vec;
use featherlight_abi::fb;
use flatbuffers::{FlatBufferBuilder, UnionWIPOffset, WIPOffset};

/// A single result value to return.
#[derive(Debug, Clone, Copy)]
pub enum Reply<'a> {
    U32(u32),
    String(&'a str),
    /// Two `u32` results where one is declared.
    TwoU32(u32, u32),
    /// `option<option<...<u32>>>`, this deep.
    Nested(usize),
}

/// A size-prefixed `GuestMessage` with `body`.
pub fn finish(mut fbb: FlatBufferBuilder<'_>, body_type: fb::GuestBody, body: WIPOffset<UnionWIPOffset>) -> Vec<u8> {
    let root = fb::GuestMessage::create(&mut fbb, &fb::GuestMessageArgs { body_type, body: Some(body) });
    fbb.finish_size_prefixed(root, None);
    fbb.finished_data().to_vec()
}

fn u32_value<'a>(fbb: &mut FlatBufferBuilder<'a>, value: u32) -> WIPOffset<fb::Value<'a>> {
    let kind = fb::U32Val::create(fbb, &fb::U32ValArgs { value }).as_union_value();
    fb::Value::create(fbb, &fb::ValueArgs { kind_type: fb::ValueKind::U32Val, kind: Some(kind) })
}

/// A call of import `function` with one resource handle.
pub fn call_handle(function: u32, handle: u32, owned: bool) -> Vec<u8> {
    let mut fbb = FlatBufferBuilder::new();
    let kind = fb::ResourceVal::create(&mut fbb, &fb::ResourceValArgs { handle, owned }).as_union_value();
    let value = fb::Value::create(&mut fbb, &fb::ValueArgs { kind_type: fb::ValueKind::ResourceVal, kind: Some(kind) });
    let args = fbb.create_vector(&[value]);
    let body = fb::FunctionCall::create(&mut fbb, &fb::FunctionCallArgs { function, args: Some(args), context: None });
    finish(fbb, fb::GuestBody::FunctionCall, body.as_union_value())
}

/// A `FunctionCallResult` with `reply` as its results (none if `None`).
pub fn result(reply: Option<Reply<'_>>) -> Vec<u8> {
    let mut fbb = FlatBufferBuilder::new();
    let values = match reply {
        None => Vec::new(),
        Some(Reply::U32(x)) => alloc::vec![u32_value(&mut fbb, x)],
        Some(Reply::TwoU32(a, b)) => alloc::vec![u32_value(&mut fbb, a), u32_value(&mut fbb, b)],
        Some(Reply::Nested(depth)) => {
            let mut value = u32_value(&mut fbb, 0);
            for _ in 0..depth {
                let kind = fb::OptionVal::create(&mut fbb, &fb::OptionValArgs { value: Some(value) }).as_union_value();
                value = fb::Value::create(
                    &mut fbb,
                    &fb::ValueArgs { kind_type: fb::ValueKind::OptionVal, kind: Some(kind) },
                );
            }
            alloc::vec![value]
        }
        Some(Reply::String(s)) => {
            let bytes = fbb.create_vector(s.as_bytes());
            let kind = fb::StringVal::create(&mut fbb, &fb::StringValArgs { value: Some(bytes) }).as_union_value();
            alloc::vec![fb::Value::create(
                &mut fbb,
                &fb::ValueArgs { kind_type: fb::ValueKind::StringVal, kind: Some(kind) }
            )]
        }
    };
    let results = reply.map(|_| fbb.create_vector(&values));
    let body = fb::FunctionCallResult::create(
        &mut fbb,
        &fb::FunctionCallResultArgs { results, error: None, http_response: None },
    );
    finish(fbb, fb::GuestBody::FunctionCallResult, body.as_union_value())
}

/// A `FunctionCallResult` reporting an error.
pub fn error(kind: fb::ErrorKind, text: &str) -> Vec<u8> {
    let mut fbb = FlatBufferBuilder::new();
    let message = fbb.create_string(text);
    let error =
        fb::CallError::create(&mut fbb, &fb::CallErrorArgs { kind, message: Some(message), ..Default::default() });
    let body = fb::FunctionCallResult::create(
        &mut fbb,
        &fb::FunctionCallResultArgs { results: None, error: Some(error), http_response: None },
    );
    finish(fbb, fb::GuestBody::FunctionCallResult, body.as_union_value())
}

/// A `LogRecord` at error level.
pub fn log(text: &str) -> Vec<u8> {
    log_at(fb::LogLevel::Error, text)
}

/// A `LogRecord` at `level`.
pub fn log_at(level: fb::LogLevel, text: &str) -> Vec<u8> {
    let mut fbb = FlatBufferBuilder::new();
    let target = fbb.create_string("hostile");
    let message = fbb.create_string(text);
    let body =
        fb::LogRecord::create(&mut fbb, &fb::LogRecordArgs { level, target: Some(target), message: Some(message) });
    finish(fbb, fb::GuestBody::LogRecord, body.as_union_value())
}

/// An `Abort` with `text`.
pub fn abort(text: &str) -> Vec<u8> {
    let mut fbb = FlatBufferBuilder::with_capacity(text.len() + 64);
    let message = fbb.create_string(text);
    let body = fb::Abort::create(&mut fbb, &fb::AbortArgs { message: Some(message) });
    finish(fbb, fb::GuestBody::Abort, body.as_union_value())
}

/// A `FunctionCall` of import `function` with `args` (`u32`s).
pub fn call(function: u32, args: &[u32]) -> Vec<u8> {
    let mut fbb = FlatBufferBuilder::new();
    let args: Vec<_> = args.iter().map(|&x| u32_value(&mut fbb, x)).collect();
    let args = fbb.create_vector(&args);
    let body = fb::FunctionCall::create(&mut fbb, &fb::FunctionCallArgs { function, args: Some(args), context: None });
    finish(fbb, fb::GuestBody::FunctionCall, body.as_union_value())
}
