//! A hostile guest for featherlight's tests: a second guest image on the
//! same kernel, without Wasm. It boots and answers `Init` like the real
//! runtime, then serves each call by the called export's name: `echo`
//! behaves (returns its `u32` argument), every other name misbehaves in its
//! own way (see [`misbehave`]). The host's tests check that each misbehaviour
//! ends in a typed error and that restoring a snapshot makes the sandbox
//! usable again.
#![no_std]
#![no_main]

extern crate alloc;

mod filesystem;
mod fpu;
mod http;
mod messages;
mod misbehave;

use alloc::string::String;
use alloc::vec::Vec;
use featherlight_abi::fb;
use featherlight_abi::layout::BootParams;
use featherlight_guest::host;

/// What `Init` told us.
#[derive(Debug, Default)]
pub struct State {
    /// Export names (without interface), in the host's numbering.
    pub exports: Vec<String>,
    /// Import names (without interface), in the host's numbering.
    pub imports: Vec<String>,
    /// One past the last byte of the compiled component in guest memory.
    pub artifact_end: u64,
}

/// Called by the kernel's `_start` with the host's boot parameters.
///
/// # Safety
/// Only the kernel's entry code calls this, once, with the host-provided
/// boot parameter address.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn featherlight_entry(params: *const BootParams) -> ! {
    // SAFETY: first thing on the only vCPU, with the host's pointer.
    unsafe { featherlight_guest::init(params) };
    let mut state = State::default();
    // The first message out tells the host the guest booted.
    let mut reply = messages::result(None);
    loop {
        if host::send(&reply).is_err() {
            featherlight_guest::exceptions::fatal();
        }
        reply = handle(&mut state);
    }
}

/// Reads the host's message and builds the reply.
pub(crate) fn handle(state: &mut State) -> Vec<u8> {
    let received = host::receive();
    let message = match received.as_ref().ok().and_then(|r| r.open().ok()) {
        Some(message) => message,
        None => return messages::error(fb::ErrorKind::Malformed, "cannot read the host's message"),
    };
    if let Some(init) = message.body_as_init() {
        let names = |list: Option<flatbuffers::Vector<'_, flatbuffers::ForwardsUOffset<fb::FunctionName<'_>>>>| {
            list.iter().flatten().map(|name| String::from(name.name().unwrap_or(""))).collect()
        };
        state.exports = names(init.exports());
        state.imports = names(init.imports());
        state.artifact_end = init.artifact_address().saturating_add(init.artifact_length());
        // An export named `at-init-<name>` makes the guest misbehave as
        // `<name>` right away, while the host instantiates.
        let at_init = state.exports.iter().find_map(|export| export.strip_prefix("at-init-")).map(String::from);
        if let Some(name) = at_init {
            return misbehave::run(&name, state);
        }
        return messages::result(None);
    }
    if let Some(call) = message.body_as_function_call() {
        let name = usize::try_from(call.function()).ok().and_then(|i| state.exports.get(i)).cloned();
        return match name.as_deref() {
            Some("echo") => echo(&call),
            Some(name) => misbehave::run(name, state),
            None => messages::error(fb::ErrorKind::Malformed, "no such export"),
        };
    }
    if let Some(request) = message.body_as_http_request() {
        let path = String::from(request.path_with_query().unwrap_or(""));
        return http::misbehave(&path);
    }
    messages::error(fb::ErrorKind::Malformed, "unexpected message from the host")
}

/// The one well-behaved export: `echo: func(x: u32) -> u32`.
fn echo(call: &fb::FunctionCall<'_>) -> Vec<u8> {
    let x = call.args().and_then(|args| args.iter().next()).and_then(|v| v.kind_as_u32_val()).map(|v| v.value());
    match x {
        Some(x) => messages::result(Some(messages::Reply::U32(x))),
        None => messages::error(fb::ErrorKind::Malformed, "echo takes one u32"),
    }
}
