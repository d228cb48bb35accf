//! Forwards `log` records to the host, which re-emits them as `tracing`
//! events. Each record costs a VM exit, so the host chooses the most verbose
//! level worth that (boot parameter `max_log_level`).

use alloc::string::String;
use core::fmt::Write;
use featherlight_abi::fb;

struct HostLogger;

static LOGGER: HostLogger = HostLogger;

pub(crate) fn init(max_level: u32) {
    let filter = match max_level {
        0 => log::LevelFilter::Error,
        1 => log::LevelFilter::Warn,
        2 => log::LevelFilter::Info,
        3 => log::LevelFilter::Debug,
        _ => log::LevelFilter::Trace,
    };
    // A second init would fail harmlessly; there is none.
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(filter);
}

impl log::Log for HostLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let mut text = String::new();
        let _ = write!(text, "{}", record.args());
        let level = match record.level() {
            log::Level::Error => fb::LogLevel::Error,
            log::Level::Warn => fb::LogLevel::Warn,
            log::Level::Info => fb::LogLevel::Info,
            log::Level::Debug => fb::LogLevel::Debug,
            log::Level::Trace => fb::LogLevel::Trace,
        };
        let mut fbb = flatbuffers::FlatBufferBuilder::new();
        let target = fbb.create_string(record.target());
        let message = fbb.create_string(&text);
        let body =
            fb::LogRecord::create(&mut fbb, &fb::LogRecordArgs { level, target: Some(target), message: Some(message) });
        let root = fb::GuestMessage::create(
            &mut fbb,
            &fb::GuestMessageArgs { body_type: fb::GuestBody::LogRecord, body: Some(body.as_union_value()) },
        );
        fbb.finish_size_prefixed(root, None);
        // A record too large for the output buffer is dropped, not fatal.
        let _ = crate::host::send(fbb.finished_data());
    }

    fn flush(&self) {}
}
