//! A panic in the guest runtime ends the guest: the message goes to the host
//! as an `Abort`, which poisons the sandbox; the host never resumes it.

use alloc::string::String;
use core::fmt::Write;
use featherlight_abi::fb;

use core::sync::atomic::{AtomicBool, Ordering};

static PANICKING: AtomicBool = AtomicBool::new(false);

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    // A panic while reporting a panic (say, the heap is exhausted) must not
    // recurse: stop through the exception port instead.
    if PANICKING.swap(true, Ordering::Relaxed) {
        crate::exceptions::fatal();
    }
    // Out of heap: reporting needs memory there is none of.
    if crate::heap::exhausted() {
        crate::exceptions::stop(featherlight_abi::ports::stop::OUT_OF_MEMORY);
    }
    let mut text = String::new();
    let _ = write!(text, "{info}");
    let mut fbb = flatbuffers::FlatBufferBuilder::new();
    let message = fbb.create_string(&text);
    let body = fb::Abort::create(&mut fbb, &fb::AbortArgs { message: Some(message) });
    let root = fb::GuestMessage::create(
        &mut fbb,
        &fb::GuestMessageArgs { body_type: fb::GuestBody::Abort, body: Some(body.as_union_value()) },
    );
    fbb.finish_size_prefixed(root, None);
    let _ = crate::host::send(fbb.finished_data());
    crate::exceptions::fatal()
}
