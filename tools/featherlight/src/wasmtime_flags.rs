//! wasmtime's option spellings: the `-W`, `-S`, `-C`, `-O`, `-D` and `-R` groups of
//! `KEY[=VAL]` settings (comma-separated, as `wasmtime run` takes them: `-W
//! timeout=5s,max-memory-size=1048576`), and the long options of `wasmtime run` that
//! featherlight has no meaning for.
//!
//! featherlight accepts a key when it has the key's meaning (see [`Setting`]); any
//! other key of wasmtime 48 fails with a one-line error naming it as not supported by
//! featherlight, and a key wasmtime does not know either fails as wasmtime fails it
//! (`unknown -W / --wasm option: KEY`). The README's "How featherlight maps wasmtime's
//! options" lists both.

use std::ffi::OsStr;
use std::time::Duration;

use clap::builder::TypedValueParser;
use clap::error::{Error, ErrorKind};

/// One of wasmtime's option groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// `-O` / `--optimize`: code generation tuning.
    Optimize,
    /// `-C` / `--codegen`: compiler and cache.
    Codegen,
    /// `-D` / `--debug`: debugging aids.
    Debug,
    /// `-W` / `--wasm`: Wasm semantics and limits.
    Wasm,
    /// `-S` / `--wasi`: WASI proposals and their settings.
    Wasi,
    /// `-R` / `--record`: execution recording.
    Record,
}

impl Group {
    /// The short option.
    pub fn short(self) -> char {
        match self {
            Group::Optimize => 'O',
            Group::Codegen => 'C',
            Group::Debug => 'D',
            Group::Wasm => 'W',
            Group::Wasi => 'S',
            Group::Record => 'R',
        }
    }

    /// The long option.
    pub fn long(self) -> &'static str {
        match self {
            Group::Optimize => "optimize",
            Group::Codegen => "codegen",
            Group::Debug => "debug",
            Group::Wasm => "wasm",
            Group::Wasi => "wasi",
            Group::Record => "record",
        }
    }

    /// The keys featherlight accepts, with the form of their value.
    pub fn accepted(self) -> &'static [&'static str] {
        match self {
            Group::Wasm => &["max-memory-size=N", "max-wasm-stack=N", "timeout=DURATION", "unknown-imports-trap[=y|n]"],
            Group::Codegen => &["cache[=y|n]"],
            Group::Wasi => &["cli[=y]", "inherit-env[=y|n]"],
            Group::Optimize | Group::Debug | Group::Record => &[],
        }
    }

    /// wasmtime 48's keys of this group (only to tell a key featherlight lacks from a
    /// typo).
    fn wasmtime_keys(self) -> &'static [&'static str] {
        match self {
            Group::Optimize => &[
                "opt-level",
                "regalloc-algorithm",
                "memory-may-move",
                "memory-reservation",
                "memory-reservation-for-growth",
                "memory-guard-size",
                "guard-before-linear-memory",
                "table-lazy-init",
                "pooling-allocator",
                "pooling-decommit-batch-size",
                "pooling-memory-keep-resident",
                "pooling-table-keep-resident",
                "pooling-memory-protection-keys",
                "pooling-max-memory-protection-keys",
                "memory-init-cow",
                "memory-guaranteed-dense-image-size",
                "pooling-total-core-instances",
                "pooling-total-component-instances",
                "pooling-total-memories",
                "pooling-total-tables",
                "pooling-total-stacks",
                "pooling-max-memory-size",
                "pooling-table-elements",
                "pooling-max-core-instance-size",
                "pooling-max-unused-warm-slots",
                "pooling-async-stack-keep-resident",
                "pooling-max-component-instance-size",
                "pooling-max-core-instances-per-component",
                "pooling-max-memories-per-component",
                "pooling-max-tables-per-component",
                "pooling-max-tables-per-module",
                "pooling-max-memories-per-module",
                "pooling-total-gc-heaps",
                "signals-based-traps",
                "dynamic-memory-guard-size",
                "static-memory-guard-size",
                "static-memory-forced",
                "static-memory-maximum-size",
                "dynamic-memory-reserved-for-growth",
                "pooling-pagemap-scan",
            ],
            Group::Codegen => &[
                "compiler",
                "collector",
                "cranelift-debug-verifier",
                "cache",
                "cache-config",
                "parallel-compilation",
                "pcc",
                "native-unwind-info",
                "inlining",
            ],
            Group::Debug => &["debug-info", "guest-debug", "address-map", "logging", "log-to-files", "coredump"],
            Group::Wasm => &[
                "nan-canonicalization",
                "fuel",
                "epoch-interruption",
                "max-wasm-stack",
                "async-stack-size",
                "async-stack-zeroing",
                "unknown-exports-allow",
                "unknown-imports-trap",
                "unknown-imports-default",
                "wmemcheck",
                "max-memory-size",
                "max-table-elements",
                "max-instances",
                "max-tables",
                "max-memories",
                "trap-on-grow-failure",
                "timeout",
                "all-proposals",
                "bulk-memory",
                "multi-memory",
                "multi-value",
                "reference-types",
                "simd",
                "relaxed-simd",
                "relaxed-simd-deterministic",
                "tail-call",
                "threads",
                "shared-memory",
                "shared-everything-threads",
                "memory64",
                "component-model",
                "component-model-async",
                "component-model-async-builtins",
                "component-model-async-stackful",
                "component-model-threading",
                "component-model-error-context",
                "component-model-gc",
                "function-references",
                "stack-switching",
                "gc",
                "custom-page-sizes",
                "wide-arithmetic",
                "extended-const",
                "exceptions",
                "gc-support",
                "component-model-fixed-length-lists",
                "concurrency-support",
            ],
            Group::Wasi => &[
                "cli",
                "cli-exit-with-code",
                "common",
                "nn",
                "threads",
                "http",
                "http-outgoing-body-buffer-chunks",
                "http-outgoing-body-chunk-size",
                "config",
                "keyvalue",
                "listenfd",
                "tcplisten",
                "tls",
                "preview2",
                "nn-graph",
                "inherit-network",
                "allow-ip-name-lookup",
                "tcp",
                "udp",
                "network-error-code",
                "preview0",
                "inherit-env",
                "config-var",
                "keyvalue-in-memory-data",
                "p3",
                "max-resources",
                "hostcall-fuel",
                "max-random-size",
                "max-http-fields-size",
            ],
            Group::Record => &["path", "validation-metadata", "event-window-size"],
        }
    }

    /// Whether wasmtime knows `key` in this group (`-C cranelift-*` is a prefix).
    fn wasmtime_knows(self, key: &str) -> bool {
        self.wasmtime_keys().contains(&key) || (self == Group::Codegen && key.starts_with("cranelift-"))
    }
}

/// A setting featherlight has the meaning of, from one `KEY[=VAL]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// `-W max-memory-size=N`: the largest each linear memory may grow to, in bytes
    /// (`MemoryConfig::max_wasm_memory`).
    MaxMemorySize(u64),
    /// `-W max-wasm-stack=N`: the largest stack Wasm code may use, in bytes
    /// (`MemoryConfig::max_wasm_stack`).
    MaxWasmStack(u64),
    /// `-W timeout=DURATION`: the deadline of the run or call (`Config::call_timeout`).
    Timeout(Duration),
    /// `-W unknown-imports-trap[=y|n]`: same as `--trap-unknown-imports`.
    UnknownImportsTrap(bool),
    /// `-C cache[=y|n]`: `n` is `--no-cache`.
    Cache(bool),
    /// `-S cli[=y]`: WASI is linked (always, in featherlight).
    Cli,
    /// `-S inherit-env[=y|n]`: give the guest this process's whole environment.
    InheritEnv(bool),
}

/// The settings of one `-W KEY[=VAL][,KEY[=VAL]...]` (or other group).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings(pub Vec<Setting>);

/// Parses one group's comma-separated `KEY[=VAL]` list, failing (with a one-line
/// message, like wasmtime's) on a key featherlight does not accept.
#[derive(Debug, Clone, Copy)]
pub struct GroupParser(pub Group);

impl TypedValueParser for GroupParser {
    type Value = Settings;

    fn parse_ref(&self, cmd: &clap::Command, _arg: Option<&clap::Arg>, value: &OsStr) -> Result<Settings, Error> {
        let group = self.0;
        let text = value.to_str().ok_or_else(|| {
            Error::raw(ErrorKind::InvalidUtf8, format!("-{} option is not UTF-8: {value:?}\n", group.short()))
                .with_cmd(cmd)
        })?;
        if text == "help" || text == "help-long" {
            // What `wasmtime run -W help` does, but with what featherlight accepts.
            crate::report::outln!("Available {} options featherlight accepts:\n", group.long());
            for key in group.accepted() {
                crate::report::outln!("  -{} {key}", group.short());
            }
            std::process::exit(0);
        }
        let settings = text
            .split(',')
            .map(|item| parse_setting(group, item))
            .collect::<Result<Vec<_>, String>>()
            .map_err(|message| Error::raw(ErrorKind::InvalidValue, format!("{message}\n")).with_cmd(cmd))?;
        Ok(Settings(settings))
    }
}

/// One `KEY[=VAL]` of `group`, or the one-line message saying why not.
fn parse_setting(group: Group, item: &str) -> Result<Setting, String> {
    let (key, value) = match item.split_once('=') {
        Some((key, value)) => (key, Some(value)),
        None => (item, None),
    };
    let (short, long) = (group.short(), group.long());
    let invalid = |why: String| format!("failed to parse -{short} option `{item}`: {why}");
    let setting = match (group, key) {
        (Group::Wasm, "max-memory-size") => Setting::MaxMemorySize(number(value).map_err(invalid)?),
        (Group::Wasm, "max-wasm-stack") => Setting::MaxWasmStack(number(value).map_err(invalid)?),
        (Group::Wasm, "timeout") => {
            Setting::Timeout(parse_duration(value.ok_or_else(value_required).map_err(invalid)?).map_err(invalid)?)
        }
        (Group::Wasm, "unknown-imports-trap") => Setting::UnknownImportsTrap(boolean(value).map_err(invalid)?),
        (Group::Codegen, "cache") => Setting::Cache(boolean(value).map_err(invalid)?),
        (Group::Wasi, "inherit-env") => Setting::InheritEnv(boolean(value).map_err(invalid)?),
        (Group::Wasi, "cli") => {
            if !boolean(value).map_err(invalid)? {
                return Err(format!("-{short} cli=n is not supported by featherlight: WASI is always linked"));
            }
            Setting::Cli
        }
        _ if group.wasmtime_knows(key) => {
            let accepted = match group.accepted() {
                [] => format!("featherlight accepts no -{short} option"),
                keys => format!("featherlight accepts -{short} {}", keys.join(", ")),
            };
            return Err(format!("-{short} {key} is not supported by featherlight ({accepted})"));
        }
        _ => return Err(format!("unknown -{short} / --{long} option: {key}")),
    };
    Ok(setting)
}

/// What wasmtime says when a key needs a value.
fn value_required() -> String {
    "value must be specified with `key=val` syntax".to_owned()
}

/// A number as wasmtime reads one: decimal, or hexadecimal after `0x`.
fn number(value: Option<&str>) -> Result<u64, String> {
    let value = value.ok_or_else(value_required)?;
    let parsed = match value.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => value.parse(),
    };
    parsed.map_err(|e| e.to_string())
}

/// A boolean as wasmtime reads one: nothing, `y`, `yes`, `true`, `n`, `no`, `false`.
fn boolean(value: Option<&str>) -> Result<bool, String> {
    match value {
        None | Some("y" | "yes" | "true") => Ok(true),
        Some("n" | "no" | "false") => Ok(false),
        Some(other) => Err(format!("unknown boolean flag `{other}`, only yes,no,<nothing> accepted")),
    }
}

/// A duration as wasmtime reads one: a plain number of seconds (`5`), or numbers with
/// units (`100ms`, `5s`, `1m`, `1h 30m`, `2min`): `ns`, `us`/`µs`, `ms`, `s`, `m`, `h`,
/// `d` and their long forms (`nsec`, `usec`, `msec`, `sec`, `second(s)`, `min`,
/// `minute(s)`, `hr`, `hour(s)`, `day(s)`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err("value was empty".to_owned());
    }
    let mut total = Duration::ZERO;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!("expected a number at `{rest}` in `{text}`"));
        }
        let count: u64 = rest[..digits].parse().map_err(|_| format!("number too large in `{text}`"))?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c.is_whitespace()).unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = rest[unit_len..].trim_start();
        let nanos_per: u64 = match unit {
            "ns" | "nsec" | "nanos" => 1,
            "us" | "µs" | "usec" | "micros" => 1_000,
            "ms" | "msec" | "millis" => 1_000_000,
            "s" | "sec" | "secs" | "second" | "seconds" => 1_000_000_000,
            "m" | "min" | "mins" | "minute" | "minutes" => 60 * 1_000_000_000,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3_600 * 1_000_000_000,
            "d" | "day" | "days" => 86_400 * 1_000_000_000,
            "" => return Err(format!("time unit needed after `{count}` in `{text}`, for example `{count}s`")),
            other => return Err(format!("unknown time unit `{other}` in `{text}`")),
        };
        let nanos = count.checked_mul(nanos_per).ok_or_else(|| format!("duration `{text}` is too long"))?;
        total =
            total.checked_add(Duration::from_nanos(nanos)).ok_or_else(|| format!("duration `{text}` is too long"))?;
    }
    Ok(total)
}

/// A long option of `wasmtime run` featherlight has no meaning for: parsing any value of
/// it fails with a one-line error naming it.
#[derive(Debug, Clone, Copy)]
pub struct Refused {
    /// The option, `--dir`.
    pub option: &'static str,
    /// Why, or what to do instead.
    pub why: &'static str,
}

impl TypedValueParser for Refused {
    type Value = String;

    fn parse_ref(&self, cmd: &clap::Command, _arg: Option<&clap::Arg>, _value: &OsStr) -> Result<String, Error> {
        Err(Error::raw(
            ErrorKind::UnknownArgument,
            format!("option `{}` is not supported by featherlight: {}\n", self.option, self.why),
        )
        .with_cmd(cmd))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_wasmtime_reads_them() {
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("100ms"), Ok(Duration::from_millis(100)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("2min"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1s500ms"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("250us"), Ok(Duration::from_micros(250)));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("1.5s").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
    }

    #[test]
    fn accepted_keys_parse_and_others_are_refused_by_name() {
        assert_eq!(parse_setting(Group::Wasm, "max-memory-size=0x10000"), Ok(Setting::MaxMemorySize(65536)));
        assert_eq!(parse_setting(Group::Wasm, "max-wasm-stack=1048576"), Ok(Setting::MaxWasmStack(1 << 20)));
        assert_eq!(parse_setting(Group::Wasm, "timeout=5s"), Ok(Setting::Timeout(Duration::from_secs(5))));
        assert_eq!(parse_setting(Group::Wasm, "unknown-imports-trap"), Ok(Setting::UnknownImportsTrap(true)));
        assert_eq!(parse_setting(Group::Codegen, "cache=n"), Ok(Setting::Cache(false)));
        assert_eq!(parse_setting(Group::Codegen, "cache=yes"), Ok(Setting::Cache(true)));
        assert_eq!(parse_setting(Group::Wasi, "inherit-env"), Ok(Setting::InheritEnv(true)));
        assert_eq!(parse_setting(Group::Wasi, "cli=y"), Ok(Setting::Cli));

        let fuel = parse_setting(Group::Wasm, "fuel=1000").unwrap_err();
        assert!(fuel.starts_with("-W fuel is not supported by featherlight"), "{fuel}");
        let http = parse_setting(Group::Wasi, "http").unwrap_err();
        assert!(http.starts_with("-S http is not supported by featherlight"), "{http}");
        let opt = parse_setting(Group::Optimize, "opt-level=2").unwrap_err();
        assert!(opt.contains("featherlight accepts no -O option"), "{opt}");
        let cranelift = parse_setting(Group::Codegen, "cranelift-opt-level=none").unwrap_err();
        assert!(cranelift.contains("not supported by featherlight"), "{cranelift}");
        assert!(parse_setting(Group::Wasi, "cli=n").unwrap_err().contains("always linked"));
        assert_eq!(parse_setting(Group::Wasm, "fule=1").unwrap_err(), "unknown -W / --wasm option: fule");
        assert!(parse_setting(Group::Wasm, "timeout").unwrap_err().contains("key=val"));
        assert!(parse_setting(Group::Wasm, "max-memory-size=lots").unwrap_err().contains("invalid digit"));
        assert!(parse_setting(Group::Codegen, "cache=maybe").unwrap_err().contains("unknown boolean flag `maybe`"));
    }
}
