//! What can be wrong with a message the guest wrote: [`Malformed`].

use featherlight_abi::fb;

/// Why the host refused a message the guest wrote: what was wrong with it,
/// and where. Every variant is the guest's doing (a guest runtime that
/// follows the protocol never sends one); the sandbox is poisoned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Malformed {
    /// The length prefix announces more than the sandbox's message size
    /// limit, which the guest was told and keeps to.
    #[error("the guest announced a {len}-byte message, past the sandbox's {limit}-byte message size limit")]
    OverLimit {
        /// The length the prefix announces, prefix included.
        len: u64,
        /// `max_message_size`.
        limit: u64,
    },
    /// An exit that is not the next chunk of the message being gathered,
    /// or a chunk or request for input when none is under way.
    #[error("the guest exited with message code {value} where {expected}")]
    OutOfSequence {
        /// The code in `eax` at the message exit.
        value: u32,
        /// What the host expected instead.
        expected: &'static str,
    },
    /// A packed list whose length is not a whole number of elements.
    #[error("a packed list of {len} bytes is not a whole number of {width}-byte elements")]
    RaggedList {
        /// The vector's length in bytes.
        len: usize,
        /// The element width.
        width: usize,
    },
    /// A packed `bool` that is neither 0 nor 1.
    #[error("{value} is not a bool (0 or 1)")]
    NotABool {
        /// The byte on the wire.
        value: u8,
    },
    /// The message is not a `GuestMessage` flatbuffer: verification failed
    /// (an offset or length out of bounds, nesting too deep, bad UTF-8...).
    #[error("the message is not a valid flatbuffer: {0}")]
    Flatbuffer(flatbuffers::InvalidFlatbuffer),
    /// A filesystem request names an operation this host does not know.
    #[error("unknown filesystem operation {op}")]
    UnknownFsOp {
        /// The operation's number on the wire.
        op: u8,
    },
    /// The message has no body, or one of a type this host does not know.
    #[error("a message without a body (or with a body of an unknown type)")]
    NoBody,
    /// A call's results, a host call's arguments (or values to encode) do
    /// not match their types in number.
    #[error("expected {types} values, got {values}")]
    ValueCount {
        /// Values on the wire.
        values: usize,
        /// Types they should have.
        types: usize,
    },
    /// A record or tuple has another number of fields than its type.
    #[error("a {composite} has {parts} parts where its type has {expected}")]
    PartCount {
        /// Which kind of value.
        composite: Composite,
        /// Parts on the wire.
        parts: usize,
        /// Parts its type has.
        expected: usize,
    },
    /// A value of another kind than its type.
    #[error("expected a `{expected}` value, got {got:?}")]
    WrongKind {
        /// The kind of the expected type (`u32`, `list`, ...).
        expected: &'static str,
        /// The kind on the wire.
        got: fb::ValueKind,
    },
    /// A `char` that is not a Unicode scalar value.
    #[error("{code:#x} is not a Unicode scalar value")]
    NotAChar {
        /// The code point on the wire.
        code: u32,
    },
    /// A string that is not UTF-8.
    #[error("a string is not UTF-8: {0}")]
    NotUtf8(std::str::Utf8Error),
    /// A variant or enum case index past the type's cases.
    #[error("{composite} case {index} does not exist (the type has {cases})")]
    NoSuchCase {
        /// [`Composite::Variant`] or [`Composite::Enum`].
        composite: Composite,
        /// The case index on the wire.
        index: u32,
        /// Cases the type has.
        cases: usize,
    },
    /// A payload for a variant case or result side that has none.
    #[error("case `{case}` has a payload its type does not declare")]
    UnexpectedPayload {
        /// The case (`ok` or `err` for a result).
        case: String,
    },
    /// No payload for a variant case or result side that has one.
    #[error("case `{case}` lacks its payload")]
    MissingPayload {
        /// The case (`ok` or `err` for a result).
        case: String,
    },
    /// An owned handle where a borrowed one is expected, or the reverse.
    #[error("expected {} handle, got the other kind", if *.owned { "an `own`" } else { "a `borrow`" })]
    HandleKind {
        /// Whether the type expects an owned handle.
        owned: bool,
    },
    /// More flag words than the flags type needs.
    #[error("{words} flag words for {flags} flags")]
    FlagWords {
        /// Words on the wire.
        words: usize,
        /// Flags the type has.
        flags: usize,
    },
    /// A flags value with a bit set past the type's flags.
    #[error("a flags value sets undefined flag {bit} (the type has {flags})")]
    UndefinedFlag {
        /// The first such bit.
        bit: usize,
        /// Flags the type has.
        flags: usize,
    },
    /// A guest message that is not a call result where only one can be.
    #[error("the guest answered with a message that is not a call result")]
    NotAResult,
    /// A host call of an import index past the world's imports.
    #[error("the guest called unknown import #{index}")]
    NoSuchImport {
        /// The index on the wire.
        index: u32,
    },
    /// A host call of an import no host function is registered for (the
    /// guest runtime only forwards registered ones).
    #[error("the guest called unregistered import `{import}` (#{index})")]
    UnregisteredImport {
        /// The import's index.
        index: u32,
        /// The import, as `interface#function`.
        import: String,
    },
    /// The guest reported a host function failure, but no host function
    /// failed.
    #[error("the guest reported a host function failure that did not happen: {message}")]
    InventedHostFailure {
        /// The guest's text.
        message: String,
    },
    /// The guest refused a call over a handle to one of the component's
    /// resources that the host did not send.
    #[error("the guest refused handle {handle}, which the host did not send")]
    UnsentHandle {
        /// The handle the guest named.
        handle: u32,
        /// Whether it claimed a handle of another type (rather than one
        /// it never gave or that was dropped).
        wrong_type: bool,
    },
    /// An HTTP field (header or trailer) the guest sent is not valid HTTP.
    #[error("the guest sent an invalid HTTP {what}: {detail}")]
    HttpField {
        /// `header name`, `header value`, `status code`, `method`, `URI`.
        what: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// The guest sent an HTTP message at a point of the exchange where it
    /// does not belong (a second response head, a body part after the end,
    /// a body read of a stream that does not exist).
    #[error("the guest broke the HTTP exchange: {0}")]
    HttpSequence(&'static str),
    /// The guest runtime itself reported a message it could not read or
    /// write (its `Malformed` error kind), in its words.
    #[error("the guest runtime reported: {message}")]
    ReportedByGuest {
        /// The guest's text.
        message: String,
    },
}

/// Kinds of composite values, for [`Malformed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Composite {
    /// A `list`.
    List,
    /// A `record`.
    Record,
    /// A `tuple`.
    Tuple,
    /// A `variant`.
    Variant,
    /// An `enum`.
    Enum,
}

impl std::fmt::Display for Composite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::List => "list",
            Self::Record => "record",
            Self::Tuple => "tuple",
            Self::Variant => "variant",
            Self::Enum => "enum",
        })
    }
}
