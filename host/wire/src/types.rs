//! WIT value types and function types, as the host sees them at run time.
//!
//! [`ValueType`] describes every value kind [`Value`] can hold; aggregates
//! share their parts behind an [`Arc`], so cloning a type is cheap.
//! The host builds them from a component's WIT (`featherlight::wasm::types`);
//! [`ValueType::check`] tells whether a value has the type.
//! Types print as WAVE type syntax (`record { a: u8 }`, `list<string>`).

use crate::value::Value;
use std::fmt;
use std::sync::Arc;

/// Deepest nesting of types, and so of values, featherlight accepts.
/// The guest runtime decodes values up to the same depth.
pub const MAX_DEPTH: usize = 100;

/// Largest type accepted, counted in parts (one per type node, shared parts
/// counted every time they appear). WIT types can share parts, so a small
/// component can describe a type whose printed form is exponentially large;
/// this bounds the work of printing, hashing and checking it.
pub const MAX_TYPE_SIZE: usize = 100_000;

/// The type of a [`Value`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// `bool`
    Bool,
    /// `s8`
    S8,
    /// `u8`
    U8,
    /// `s16`
    S16,
    /// `u16`
    U16,
    /// `s32`
    S32,
    /// `u32`
    U32,
    /// `s64`
    S64,
    /// `u64`
    U64,
    /// `f32`
    Float32,
    /// `f64`
    Float64,
    /// `char`
    Char,
    /// `string`
    String,
    /// `list<T>`: the element type.
    List(Arc<ValueType>),
    /// `record`: field names and types in declaration order.
    Record(Arc<[(String, ValueType)]>),
    /// `tuple<...>`: element types in order.
    Tuple(Arc<[ValueType]>),
    /// `variant`: case names and optional payload types in declaration order.
    Variant(Arc<[(String, Option<ValueType>)]>),
    /// `enum`: case names in declaration order.
    Enum(Arc<[String]>),
    /// `option<T>`: the `some` type.
    Option(Arc<ValueType>),
    /// `result<T, E>`: the optional `ok` and `err` types.
    Result(Arc<ResultType>),
    /// `flags`: flag names in declaration order.
    Flags(Arc<[String]>),
    /// `own<R>`: an owned handle to resource `R`.
    Own(ResourceType),
    /// `borrow<R>`: a borrowed handle to resource `R`.
    Borrow(ResourceType),
}

/// A resource type: which resource a handle refers to, and which side
/// defines it (the host's objects, or the guest's).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResourceType {
    /// `interface#resource` (or just `resource` for a world-level one).
    pub name: Arc<str>,
    /// Whether the host defines it (the component imports it); `false` for a
    /// resource the component exports.
    pub host: bool,
}

/// The two sides of a `result` type; `None` for a side without a payload.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResultType {
    /// The `ok` payload type.
    pub ok: Option<ValueType>,
    /// The `err` payload type.
    pub err: Option<ValueType>,
}

/// The type of a function of a component's world: named parameters and zero
/// or one result (WIT functions have at most one).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FuncType {
    /// Parameter names and types in order.
    pub params: Vec<(String, ValueType)>,
    /// Result types (empty or one).
    pub results: Vec<ValueType>,
}

/// Why a type cannot be used or a value does not have a type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TypeError {
    /// The WIT uses a type featherlight cannot carry yet.
    #[error("{what}: not supported yet by featherlight")]
    Unsupported {
        /// The type, in words (for example "resource handle `own<file>`").
        what: String,
    },
    /// The WIT refers to a type its own model does not contain.
    #[error("the component's WIT refers to an undefined type ({0}); the component is malformed")]
    UnknownType(String),
    /// The type nests deeper than [`MAX_DEPTH`].
    #[error("the WIT type nests deeper than {MAX_DEPTH} levels, which featherlight does not accept")]
    TooDeep,
    /// The type expands to too many parts.
    #[error("the WIT type expands to more than {MAX_TYPE_SIZE} parts, which featherlight does not accept")]
    TooLarge,
    /// A value does not have the type it is used for.
    #[error("value does not match its type{}: {message}", at(path))]
    Mismatch {
        /// Where in the value, like `.point.x` or `[3]`; empty at the top.
        path: String,
        /// What does not match.
        message: String,
    },
}

fn at(path: &str) -> String {
    if path.is_empty() { String::new() } else { format!(" at `{path}`") }
}

impl ValueType {
    /// `list<element>`.
    pub fn list(element: ValueType) -> Self {
        Self::List(Arc::new(element))
    }

    /// A record with `fields` (name, type) in order.
    pub fn record<N: Into<String>>(fields: impl IntoIterator<Item = (N, ValueType)>) -> Self {
        Self::Record(fields.into_iter().map(|(n, t)| (n.into(), t)).collect())
    }

    /// `tuple<elements...>`.
    pub fn tuple(elements: impl IntoIterator<Item = ValueType>) -> Self {
        Self::Tuple(elements.into_iter().collect())
    }

    /// A variant with `cases` (name, optional payload type) in order.
    pub fn variant<N: Into<String>>(cases: impl IntoIterator<Item = (N, Option<ValueType>)>) -> Self {
        Self::Variant(cases.into_iter().map(|(n, t)| (n.into(), t)).collect())
    }

    /// An enum with `cases` in order.
    pub fn enumeration<N: Into<String>>(cases: impl IntoIterator<Item = N>) -> Self {
        Self::Enum(cases.into_iter().map(Into::into).collect())
    }

    /// `option<some>`.
    pub fn option(some: ValueType) -> Self {
        Self::Option(Arc::new(some))
    }

    /// `result<ok, err>`, either side optional.
    pub fn result(ok: Option<ValueType>, err: Option<ValueType>) -> Self {
        Self::Result(Arc::new(ResultType { ok, err }))
    }

    /// A flags type with `names` in order.
    pub fn flags<N: Into<String>>(names: impl IntoIterator<Item = N>) -> Self {
        Self::Flags(names.into_iter().map(Into::into).collect())
    }

    /// Whether values of this type can hold resource handles.
    pub fn has_handles(&self) -> bool {
        match self {
            Self::Own(_) | Self::Borrow(_) => true,
            Self::List(element) | Self::Option(element) => element.has_handles(),
            Self::Tuple(types) => types.iter().any(Self::has_handles),
            Self::Record(fields) => fields.iter().any(|(_, ty)| ty.has_handles()),
            Self::Variant(cases) => cases.iter().any(|(_, ty)| ty.as_ref().is_some_and(Self::has_handles)),
            Self::Result(types) => {
                types.ok.as_ref().is_some_and(Self::has_handles) || types.err.as_ref().is_some_and(Self::has_handles)
            }
            _ => false,
        }
    }

    /// The WIT name of this type's kind (`"u8"`, `"record"`, ...).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Self::Bool => "bool",
            Self::S8 => "s8",
            Self::U8 => "u8",
            Self::S16 => "s16",
            Self::U16 => "u16",
            Self::S32 => "s32",
            Self::U32 => "u32",
            Self::S64 => "s64",
            Self::U64 => "u64",
            Self::Float32 => "f32",
            Self::Float64 => "f64",
            Self::Char => "char",
            Self::String => "string",
            Self::List(_) => "list",
            Self::Record(_) => "record",
            Self::Tuple(_) => "tuple",
            Self::Variant(_) => "variant",
            Self::Enum(_) => "enum",
            Self::Option(_) => "option",
            Self::Result(_) => "result",
            Self::Flags(_) => "flags",
            Self::Own(_) => "own",
            Self::Borrow(_) => "borrow",
        }
    }

    /// Whether `value` has this type: same kind all the way down, record
    /// fields all present by name in declaration order, tuples of the right
    /// length, known variant/enum cases with payloads exactly where the type
    /// has them, known flags each given at most once.
    pub fn check(&self, value: &Value) -> Result<(), TypeError> {
        self.check_at(value, 0).map_err(|m| {
            let path: String = m.path.iter().rev().map(String::as_str).collect();
            TypeError::Mismatch { path, message: m.message }
        })
    }

    fn check_at(&self, value: &Value, depth: usize) -> Result<(), Mismatch> {
        if depth > MAX_DEPTH {
            return Err(Mismatch::new(format!("values nest deeper than {MAX_DEPTH} levels")));
        }
        let inner = |ty: &ValueType, v: &Value, segment: &dyn Fn() -> String| {
            ty.check_at(v, depth + 1).map_err(|mut m| {
                m.path.push(segment());
                m
            })
        };
        match (self, value) {
            (Self::Bool, Value::Bool(_))
            | (Self::S8, Value::S8(_))
            | (Self::U8, Value::U8(_))
            | (Self::S16, Value::S16(_))
            | (Self::U16, Value::U16(_))
            | (Self::S32, Value::S32(_))
            | (Self::U32, Value::U32(_))
            | (Self::S64, Value::S64(_))
            | (Self::U64, Value::U64(_))
            | (Self::Float32, Value::Float32(_))
            | (Self::Float64, Value::Float64(_))
            | (Self::Char, Value::Char(_))
            | (Self::String, Value::String(_)) => Ok(()),
            (Self::List(element), Value::List(items)) => {
                for (i, item) in items.iter().enumerate() {
                    inner(element, item, &|| format!("[{i}]"))?;
                }
                Ok(())
            }
            (Self::Record(fields), Value::Record(values)) => {
                if fields.len() != values.len() {
                    return Err(Mismatch::new(format!(
                        "the record has {} fields but {} were given",
                        fields.len(),
                        values.len()
                    )));
                }
                for ((name, ty), (given, v)) in fields.iter().zip(values) {
                    if name != given {
                        return Err(Mismatch::new(format!(
                            "expected field `{name}` here, found `{given}` (fields go in declaration order)"
                        )));
                    }
                    inner(ty, v, &|| format!(".{name}"))?;
                }
                Ok(())
            }
            (Self::Tuple(types), Value::Tuple(values)) => {
                if types.len() != values.len() {
                    return Err(Mismatch::new(format!(
                        "the tuple has {} elements but {} were given",
                        types.len(),
                        values.len()
                    )));
                }
                for (i, (ty, v)) in types.iter().zip(values).enumerate() {
                    inner(ty, v, &|| format!(".{i}"))?;
                }
                Ok(())
            }
            (Self::Variant(cases), Value::Variant(case, payload)) => {
                let ty = cases
                    .iter()
                    .find(|(name, _)| name == case)
                    .map(|(_, ty)| ty)
                    .ok_or_else(|| Mismatch::new(format!("`{case}` is not a case of `{self}`")))?;
                check_payload(case, ty.as_ref(), payload.as_deref(), &inner)
            }
            (Self::Enum(cases), Value::Enum(case)) => {
                if cases.iter().any(|c| c == case) {
                    Ok(())
                } else {
                    Err(Mismatch::new(format!("`{case}` is not a case of `{self}`")))
                }
            }
            (Self::Option(some), Value::Option(v)) => match v {
                Some(v) => inner(some, v, &|| ".some".to_string()),
                None => Ok(()),
            },
            (Self::Result(types), Value::Result(v)) => match v {
                Ok(p) => check_payload("ok", types.ok.as_ref(), p.as_deref(), &inner),
                Err(p) => check_payload("err", types.err.as_ref(), p.as_deref(), &inner),
            },
            (Self::Own(_), Value::Own(_)) | (Self::Borrow(_), Value::Borrow(_)) => Ok(()),
            (Self::Flags(names), Value::Flags(set)) => {
                for (i, flag) in set.iter().enumerate() {
                    if !names.contains(flag) {
                        return Err(Mismatch::new(format!("`{flag}` is not a flag of `{self}`")));
                    }
                    if set.get(..i).is_some_and(|before| before.contains(flag)) {
                        return Err(Mismatch::new(format!("flag `{flag}` is given twice")));
                    }
                }
                Ok(())
            }
            _ => Err(Mismatch::new(format!("expected a `{self}`, found a `{}` value", value.kind_name()))),
        }
    }
}

/// Checks a value against a type; the last argument says where it is.
type CheckFn<'a> = dyn Fn(&ValueType, &Value, &dyn Fn() -> String) -> Result<(), Mismatch> + 'a;

/// Checks a variant case's or result side's payload against its type.
fn check_payload(
    case: &str,
    ty: Option<&ValueType>,
    payload: Option<&Value>,
    inner: &CheckFn<'_>,
) -> Result<(), Mismatch> {
    match (ty, payload) {
        (Some(ty), Some(v)) => inner(ty, v, &|| format!(".{case}")),
        (None, None) => Ok(()),
        (Some(ty), None) => Err(Mismatch::new(format!("`{case}` takes a `{ty}` payload but none was given"))),
        (None, Some(_)) => Err(Mismatch::new(format!("`{case}` takes no payload but one was given"))),
    }
}

/// A mismatch found by `check`, with its path collected innermost first
/// while the recursion unwinds (cheaper than building paths on success).
struct Mismatch {
    path: Vec<String>,
    message: String,
}

impl Mismatch {
    fn new(message: String) -> Self {
        Self { path: Vec::new(), message }
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // WAVE's type syntax, so messages read like the values users type
        // (WAVE has no handles: they print as WIT does).
        match self {
            Self::Own(r) => return write!(f, "own<{}>", r.name),
            Self::Borrow(r) => return write!(f, "borrow<{}>", r.name),
            _ => {}
        }
        fmt::Display::fmt(&wasm_wave::wasm::DisplayType(self), f)
    }
}

impl FuncType {
    /// The parameter types in order.
    pub fn param_types(&self) -> impl ExactSizeIterator<Item = &ValueType> {
        self.params.iter().map(|(_, ty)| ty)
    }

    /// Checks `args` against the parameters: count and types.
    pub fn check_params(&self, args: &[Value]) -> Result<(), TypeError> {
        check_all(self.param_types(), args, "arguments")
    }

    /// Checks `results` against the result types: count and types.
    pub fn check_results(&self, results: &[Value]) -> Result<(), TypeError> {
        check_all(self.results.iter(), results, "results")
    }
}

fn check_all<'t>(
    types: impl ExactSizeIterator<Item = &'t ValueType>,
    values: &[Value],
    what: &str,
) -> Result<(), TypeError> {
    if types.len() != values.len() {
        return Err(TypeError::Mismatch {
            path: String::new(),
            message: format!("expected {} {what}, found {}", types.len(), values.len()),
        });
    }
    for (i, (ty, value)) in types.zip(values).enumerate() {
        ty.check(value).map_err(|e| match e {
            TypeError::Mismatch { path, message } => TypeError::Mismatch { path: format!("#{i}{path}"), message },
            other => other,
        })?;
    }
    Ok(())
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&wasm_wave::wasm::DisplayFunc(self.clone()), f)
    }
}

/// Calls `f` on every handle in `value` (of type `ty`, already checked
/// against it) with the handle's number, whether it is owned, and its
/// resource type; `f` may renumber the handle. Stops at `f`'s first error.
pub fn for_each_handle<E>(
    value: &mut Value,
    ty: &ValueType,
    f: &mut dyn FnMut(&mut u32, bool, &ResourceType) -> Result<(), E>,
) -> Result<(), E> {
    // A million-element list of numbers need not be walked.
    if !ty.has_handles() {
        return Ok(());
    }
    match (value, ty) {
        (Value::Own(handle), ValueType::Own(resource)) => f(handle, true, resource),
        (Value::Borrow(handle), ValueType::Borrow(resource)) => f(handle, false, resource),
        (Value::List(items), ValueType::List(element)) => {
            items.iter_mut().try_for_each(|item| for_each_handle(item, element, f))
        }
        (Value::Tuple(items), ValueType::Tuple(types)) => {
            items.iter_mut().zip(types.iter()).try_for_each(|(item, ty)| for_each_handle(item, ty, f))
        }
        (Value::Record(fields), ValueType::Record(types)) => {
            fields.iter_mut().zip(types.iter()).try_for_each(|((_, v), (_, ty))| for_each_handle(v, ty, f))
        }
        (Value::Variant(case, Some(payload)), ValueType::Variant(cases)) => {
            match cases.iter().find(|(name, _)| name == case).and_then(|(_, ty)| ty.as_ref()) {
                Some(ty) => for_each_handle(payload, ty, f),
                None => Ok(()),
            }
        }
        (Value::Option(Some(v)), ValueType::Option(some)) => for_each_handle(v, some, f),
        (Value::Result(Ok(Some(v))), ValueType::Result(types)) => match &types.ok {
            Some(ty) => for_each_handle(v, ty, f),
            None => Ok(()),
        },
        (Value::Result(Err(Some(v))), ValueType::Result(types)) => match &types.err {
            Some(ty) => for_each_handle(v, ty, f),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}
