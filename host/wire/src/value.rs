//! Dynamic component values: what an export takes and returns, and what a
//! host function receives and answers, when no typed bindings are at hand.
//!
//! [`Value`] mirrors wasmtime's `component::Val` case for case so code
//! written against wasmtime reads the same here. Its type is described by a
//! [`ValueType`](crate::types::ValueType); [`ValueType::check`](crate::types::ValueType::check)
//! tells whether a value fits one. Values print and parse as WAVE text
//! ([`Value::to_wave`], [`Value::from_wave`]), the syntax
//! `wasmtime run --invoke` uses.

/// A component-model value of any WIT type.
///
/// Aggregates hold their parts by name where WIT names them (record fields,
/// variant and enum cases, flags), exactly like wasmtime's `Val`: names never
/// travel to the guest, the codec turns them into positions.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A `bool`.
    Bool(bool),
    /// An `s8`.
    S8(i8),
    /// A `u8`.
    U8(u8),
    /// An `s16`.
    S16(i16),
    /// A `u16`.
    U16(u16),
    /// An `s32`.
    S32(i32),
    /// A `u32`.
    U32(u32),
    /// An `s64`.
    S64(i64),
    /// A `u64`.
    U64(u64),
    /// An `f32`; NaN payload bits and the sign of zero are kept as given.
    Float32(f32),
    /// An `f64`; NaN payload bits and the sign of zero are kept as given.
    Float64(f64),
    /// A `char` (a Unicode scalar value).
    Char(char),
    /// A `string`.
    String(String),
    /// A `list<T>`, including `list<u8>` (one [`Value::U8`] per byte).
    List(Vec<Value>),
    /// A `record`: every field, named, in the record type's order.
    Record(Vec<(String, Value)>),
    /// A `tuple<...>`: every element in order.
    Tuple(Vec<Value>),
    /// A `variant`: the case name and its payload, if the case has one.
    Variant(String, Option<Box<Value>>),
    /// An `enum`: the case name.
    Enum(String),
    /// An `option<T>`: `None` is `none`.
    Option(Option<Box<Value>>),
    /// A `result<T, E>`: `Ok` or `Err`, each with a payload when the result
    /// type declares one for that side.
    Result(Result<Option<Box<Value>>, Option<Box<Value>>>),
    /// A `flags` value: the names of the flags that are set.
    Flags(Vec<String>),
    /// An `own<R>` handle. For a resource the host defines, the number is the
    /// application's own representation of the object (the guest sees
    /// another number, checked by the sandbox's handle table); for a
    /// resource the guest exports, it is the guest's handle.
    Own(u32),
    /// A `borrow<R>` handle, numbered like [`Value::Own`].
    Borrow(u32),
}

impl Value {
    /// The WIT name of this value's kind (`"u8"`, `"record"`, ...), for
    /// messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Self::Bool(_) => "bool",
            Self::S8(_) => "s8",
            Self::U8(_) => "u8",
            Self::S16(_) => "s16",
            Self::U16(_) => "u16",
            Self::S32(_) => "s32",
            Self::U32(_) => "u32",
            Self::S64(_) => "s64",
            Self::U64(_) => "u64",
            Self::Float32(_) => "f32",
            Self::Float64(_) => "f64",
            Self::Char(_) => "char",
            Self::String(_) => "string",
            Self::List(_) => "list",
            Self::Record(_) => "record",
            Self::Tuple(_) => "tuple",
            Self::Variant(..) => "variant",
            Self::Enum(_) => "enum",
            Self::Option(_) => "option",
            Self::Result(_) => "result",
            Self::Flags(_) => "flags",
            Self::Own(_) => "own",
            Self::Borrow(_) => "borrow",
        }
    }
}

impl Value {
    /// Whether this value is or holds a resource handle.
    pub fn contains_handle(&self) -> bool {
        match self {
            Self::Own(_) | Self::Borrow(_) => true,
            Self::List(items) | Self::Tuple(items) => items.iter().any(Value::contains_handle),
            Self::Record(fields) => fields.iter().any(|(_, v)| v.contains_handle()),
            Self::Variant(_, Some(v)) | Self::Option(Some(v)) | Self::Result(Ok(Some(v)) | Err(Some(v))) => {
                v.contains_handle()
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_are_wit_names() {
        assert_eq!(Value::Float32(1.0).kind_name(), "f32");
        assert_eq!(Value::Result(Ok(None)).kind_name(), "result");
        assert_eq!(Value::Variant("a".into(), None).kind_name(), "variant");
    }

    #[test]
    fn equality_is_structural() {
        let a = Value::Record(vec![("x".into(), Value::Option(Some(Box::new(Value::U8(1)))))]);
        assert_eq!(a.clone(), a);
        assert_ne!(a, Value::Record(vec![("x".into(), Value::Option(None))]));
    }
}
