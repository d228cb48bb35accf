//! WIT value types and function types, as the host sees them at run time.
//!
//! [`ValueType`] describes every value kind [`Value`] can hold; aggregates
//! share their parts behind an [`Arc`], so cloning a type is cheap.
//! [`ValueType::from_wit`] builds one from `wit-parser`'s model of a
//! component's WIT; [`ValueType::check`] tells whether a value has the type.
//! Types print as WAVE type syntax (`record { a: u8 }`, `list<string>`).

use super::value::Value;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use wit_parser::{Handle, Resolve, Type, TypeDefKind, TypeId};

/// Deepest nesting of types, and so of values, featherlight accepts.
/// The guest runtime decodes values up to the same depth.
pub const MAX_DEPTH: usize = 100;

/// Largest type accepted, counted in parts (one per type node, shared parts
/// counted every time they appear). WIT types can share parts, so a small
/// component can describe a type whose printed form is exponentially large;
/// this bounds the work of printing, hashing and checking it.
const MAX_TYPE_SIZE: usize = 100_000;

/// Bound on `from_wit`'s recursion, which also follows type aliases (they do
/// not add value nesting but do add stack frames).
const MAX_RECURSION: usize = 4 * MAX_DEPTH;

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
        }
    }

    /// Converts a WIT type from `resolve`, following type aliases. Resource
    /// handles, futures, streams, `error-context`, maps and fixed-length
    /// lists are refused as not supported yet.
    pub fn from_wit(resolve: &Resolve, ty: &Type) -> Result<ValueType, TypeError> {
        TypeConverter::new(resolve).convert(ty)
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
        // WAVE's type syntax, so messages read like the values users type.
        fmt::Display::fmt(&wasm_wave::wasm::DisplayType(self), f)
    }
}

impl FuncType {
    /// Converts a WIT function, refusing async functions and types that
    /// [`ValueType::from_wit`] refuses.
    pub fn from_wit(resolve: &Resolve, function: &wit_parser::Function) -> Result<Self, TypeError> {
        TypeConverter::new(resolve).function(function)
    }

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

/// Converts WIT types, remembering each named type once so types that share
/// parts share them here too (and are measured once).
pub(crate) struct TypeConverter<'r> {
    resolve: &'r Resolve,
    /// Converted type, its size in parts and its nesting height.
    memo: HashMap<TypeId, (ValueType, usize, usize)>,
}

impl<'r> TypeConverter<'r> {
    pub(crate) fn new(resolve: &'r Resolve) -> Self {
        Self { resolve, memo: HashMap::new() }
    }

    pub(crate) fn convert(&mut self, ty: &Type) -> Result<ValueType, TypeError> {
        self.walk(ty, 0).map(|(ty, _, _)| ty)
    }

    pub(crate) fn function(&mut self, function: &wit_parser::Function) -> Result<FuncType, TypeError> {
        if function.kind.is_async() {
            return Err(TypeError::Unsupported { what: "async functions".to_string() });
        }
        let params = function
            .params
            .iter()
            .map(|p| Ok((p.name.clone(), self.convert(&p.ty)?)))
            .collect::<Result<_, TypeError>>()?;
        let results = function.result.iter().map(|ty| self.convert(ty)).collect::<Result<_, _>>()?;
        Ok(FuncType { params, results })
    }

    /// Returns the type, its size in parts and its nesting height.
    fn walk(&mut self, ty: &Type, level: usize) -> Result<(ValueType, usize, usize), TypeError> {
        if level > MAX_RECURSION {
            return Err(TypeError::TooDeep);
        }
        let simple = match ty {
            Type::Bool => ValueType::Bool,
            Type::U8 => ValueType::U8,
            Type::U16 => ValueType::U16,
            Type::U32 => ValueType::U32,
            Type::U64 => ValueType::U64,
            Type::S8 => ValueType::S8,
            Type::S16 => ValueType::S16,
            Type::S32 => ValueType::S32,
            Type::S64 => ValueType::S64,
            Type::F32 => ValueType::Float32,
            Type::F64 => ValueType::Float64,
            Type::Char => ValueType::Char,
            Type::String => ValueType::String,
            Type::ErrorContext => return Err(TypeError::Unsupported { what: "`error-context`".to_string() }),
            Type::Id(id) => return self.walk_id(*id, level),
        };
        Ok((simple, 1, 0))
    }

    fn walk_id(&mut self, id: TypeId, level: usize) -> Result<(ValueType, usize, usize), TypeError> {
        if let Some(known) = self.memo.get(&id) {
            return Ok(known.clone());
        }
        let resolve = self.resolve;
        let def = resolve.types.get(id).ok_or_else(|| TypeError::UnknownType(format!("{id:?}")))?;
        let named = |kind: &str| match &def.name {
            Some(name) => format!("{kind} `{name}`"),
            None => kind.to_string(),
        };
        // Parts are gathered as (type, size, height) and assembled below.
        let mut parts = Parts::default();
        let built = match &def.kind {
            TypeDefKind::Type(aliased) => {
                // An alias adds no nesting: take the aliased type as it is.
                let found = self.walk(aliased, level + 1)?;
                self.memo.insert(id, found.clone());
                return Ok(found);
            }
            TypeDefKind::Record(record) => {
                let mut fields = Vec::with_capacity(record.fields.len());
                for field in &record.fields {
                    fields.push((field.name.clone(), parts.add(self.walk(&field.ty, level + 1)?)));
                }
                ValueType::Record(fields.into())
            }
            TypeDefKind::Tuple(tuple) => {
                let mut types = Vec::with_capacity(tuple.types.len());
                for ty in &tuple.types {
                    types.push(parts.add(self.walk(ty, level + 1)?));
                }
                ValueType::Tuple(types.into())
            }
            TypeDefKind::Variant(variant) => {
                let mut cases = Vec::with_capacity(variant.cases.len());
                for case in &variant.cases {
                    let payload = match &case.ty {
                        Some(ty) => Some(parts.add(self.walk(ty, level + 1)?)),
                        None => None,
                    };
                    cases.push((case.name.clone(), payload));
                }
                ValueType::Variant(cases.into())
            }
            TypeDefKind::Enum(e) => ValueType::Enum(e.cases.iter().map(|c| c.name.clone()).collect()),
            TypeDefKind::Flags(flags) => ValueType::Flags(flags.flags.iter().map(|f| f.name.clone()).collect()),
            TypeDefKind::Option(some) => ValueType::option(parts.add(self.walk(some, level + 1)?)),
            TypeDefKind::Result(result) => {
                let ok = match &result.ok {
                    Some(ty) => Some(parts.add(self.walk(ty, level + 1)?)),
                    None => None,
                };
                let err = match &result.err {
                    Some(ty) => Some(parts.add(self.walk(ty, level + 1)?)),
                    None => None,
                };
                ValueType::result(ok, err)
            }
            TypeDefKind::List(element) => ValueType::list(parts.add(self.walk(element, level + 1)?)),
            TypeDefKind::Resource => {
                return Err(TypeError::Unsupported { what: named("resource") });
            }
            TypeDefKind::Handle(handle) => {
                let (kind, resource) = match handle {
                    Handle::Own(r) => ("own", r),
                    Handle::Borrow(r) => ("borrow", r),
                };
                let resource = resolve.types.get(*resource).and_then(|r| r.name.as_deref()).unwrap_or("?");
                return Err(TypeError::Unsupported { what: format!("resource handle `{kind}<{resource}>`") });
            }
            TypeDefKind::Future(_) => return Err(TypeError::Unsupported { what: named("`future` type") }),
            TypeDefKind::Stream(_) => return Err(TypeError::Unsupported { what: named("`stream` type") }),
            TypeDefKind::Map(..) => return Err(TypeError::Unsupported { what: named("`map` type") }),
            TypeDefKind::FixedLengthList(..) => {
                return Err(TypeError::Unsupported { what: named("fixed-length list") });
            }
            TypeDefKind::Unknown => return Err(TypeError::UnknownType(named("type"))),
        };
        let found = (built, parts.size, parts.height);
        if found.1 > MAX_TYPE_SIZE {
            return Err(TypeError::TooLarge);
        }
        if found.2 > MAX_DEPTH {
            return Err(TypeError::TooDeep);
        }
        self.memo.insert(id, found.clone());
        Ok(found)
    }
}

/// Size and height of an aggregate, gathered from its parts.
struct Parts {
    size: usize,
    height: usize,
}

impl Default for Parts {
    fn default() -> Self {
        // The aggregate itself: one part, one level above its parts.
        Self { size: 1, height: 1 }
    }
}

impl Parts {
    fn add(&mut self, (ty, size, height): (ValueType, usize, usize)) -> ValueType {
        self.size = self.size.saturating_add(size);
        self.height = self.height.max(height.saturating_add(1));
        ty
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(wit: &str) -> (Resolve, wit_parser::InterfaceId) {
        let mut resolve = Resolve::default();
        let package = resolve.push_source("test.wit", wit).unwrap();
        let interface = resolve.packages[package].interfaces["i"];
        (resolve, interface)
    }

    fn named(resolve: &Resolve, interface: wit_parser::InterfaceId, name: &str) -> Result<ValueType, TypeError> {
        let id = resolve.interfaces[interface].types[name];
        ValueType::from_wit(resolve, &Type::Id(id))
    }

    const WIT: &str = r#"
        package t:t;
        interface i {
            record point { x: s32, y: s32 }
            type alias = point;
            type alias2 = alias;
            variant shape { circle(f64), square(point), empty }
            enum color { red, green }
            flags perms { read, write, exec }
            type many = tuple<u8, string, list<u8>, option<char>, result<bool>, result<_, string>, result>;
            resource file;
            type handle = own<file>;
            record with-handle { f: borrow<file> }
            type fut = future<u8>;
            f: func(a: point, b: option<alias2>) -> shape;
            g: async func();
        }
    "#;

    #[test]
    fn from_wit_converts_every_kind_and_follows_aliases() {
        let (resolve, i) = resolve(WIT);
        let point = ValueType::record([("x", ValueType::S32), ("y", ValueType::S32)]);
        assert_eq!(named(&resolve, i, "point").unwrap(), point);
        assert_eq!(named(&resolve, i, "alias2").unwrap(), point);
        assert_eq!(
            named(&resolve, i, "shape").unwrap(),
            ValueType::variant([
                ("circle", Some(ValueType::Float64)),
                ("square", Some(point.clone())),
                ("empty", None)
            ])
        );
        assert_eq!(named(&resolve, i, "color").unwrap(), ValueType::enumeration(["red", "green"]));
        assert_eq!(named(&resolve, i, "perms").unwrap(), ValueType::flags(["read", "write", "exec"]));
        assert_eq!(
            named(&resolve, i, "many").unwrap(),
            ValueType::tuple([
                ValueType::U8,
                ValueType::String,
                ValueType::list(ValueType::U8),
                ValueType::option(ValueType::Char),
                ValueType::result(Some(ValueType::Bool), None),
                ValueType::result(None, Some(ValueType::String)),
                ValueType::result(None, None),
            ])
        );
        let f = &resolve.interfaces[i].functions["f"];
        let ty = FuncType::from_wit(&resolve, f).unwrap();
        assert_eq!(ty.params[1], ("b".to_string(), ValueType::option(point)));
        assert_eq!(ty.results.len(), 1);
        assert_eq!(
            ty.to_string(),
            "func(a: record { x: s32, y: s32 }, b: option<record { x: s32, y: s32 }>) -> variant { circle(f64), square(record { x: s32, y: s32 }), empty }"
        );
    }

    #[test]
    fn from_wit_refuses_what_is_not_supported_yet() {
        let (resolve, i) = resolve(WIT);
        for (name, words) in [
            ("handle", "resource handle `own<file>`"),
            ("with-handle", "resource handle `borrow<file>`"),
            ("fut", "`future` type"),
            ("file", "resource `file`"),
        ] {
            let error = named(&resolve, i, name).unwrap_err();
            assert!(matches!(&error, TypeError::Unsupported { .. }), "{name}: {error}");
            let message = error.to_string();
            assert!(message.contains(words) && message.contains("not supported yet"), "{message}");
        }
        let g = &resolve.interfaces[i].functions["g"];
        assert!(FuncType::from_wit(&resolve, g).unwrap_err().to_string().contains("async functions"));
        assert!(matches!(ValueType::from_wit(&resolve, &Type::ErrorContext), Err(TypeError::Unsupported { .. })));
    }

    #[test]
    fn from_wit_bounds_exponential_types() {
        // Each level doubles the printed size; sharing keeps memory linear but
        // the size bound must still refuse it.
        let mut wit = String::from("package t:t;\ninterface i {\n type t0 = u8;\n");
        for level in 1..=30 {
            wit.push_str(&format!(" type t{level} = tuple<t{0}, t{0}>;\n", level - 1));
        }
        wit.push_str("}\n");
        let (resolve, i) = resolve(&wit);
        assert_eq!(named(&resolve, i, "t30").unwrap_err(), TypeError::TooLarge);
        assert!(named(&resolve, i, "t10").is_ok());
    }

    #[test]
    fn from_wit_bounds_depth() {
        let mut wit = String::from("package t:t;\ninterface i {\n type t0 = u8;\n");
        for level in 1..=(MAX_DEPTH + 1) {
            wit.push_str(&format!(" type t{level} = option<t{}>;\n", level - 1));
        }
        wit.push_str("}\n");
        let (resolve, i) = resolve(&wit);
        assert!(named(&resolve, i, &format!("t{MAX_DEPTH}")).is_ok());
        assert_eq!(named(&resolve, i, &format!("t{}", MAX_DEPTH + 1)).unwrap_err(), TypeError::TooDeep);
    }

    fn mismatch(ty: &ValueType, value: &Value) -> String {
        ty.check(value).unwrap_err().to_string()
    }

    #[test]
    fn check_accepts_matching_values() {
        let ty = ValueType::record([
            ("a", ValueType::list(ValueType::option(ValueType::Char))),
            ("b", ValueType::result(Some(ValueType::U8), None)),
            ("c", ValueType::flags(["x", "y"])),
            ("d", ValueType::variant([("n", None), ("s", Some(ValueType::String))])),
            ("e", ValueType::tuple([ValueType::Float32, ValueType::Float64])),
            ("f", ValueType::enumeration(["p", "q"])),
        ]);
        let value = Value::Record(vec![
            ("a".into(), Value::List(vec![Value::Option(Some(Box::new(Value::Char('z')))), Value::Option(None)])),
            ("b".into(), Value::Result(Err(None))),
            ("c".into(), Value::Flags(vec!["y".into(), "x".into()])),
            ("d".into(), Value::Variant("s".into(), Some(Box::new(Value::String("hi".into()))))),
            ("e".into(), Value::Tuple(vec![Value::Float32(f32::NAN), Value::Float64(-0.0)])),
            ("f".into(), Value::Enum("q".into())),
        ]);
        ty.check(&value).unwrap();
    }

    #[test]
    fn check_says_what_and_where() {
        let point = ValueType::record([("x", ValueType::S32), ("y", ValueType::S32)]);
        let list = ValueType::list(point.clone());
        let bad = Value::List(vec![
            Value::Record(vec![("x".into(), Value::S32(1)), ("y".into(), Value::S32(2))]),
            Value::Record(vec![("x".into(), Value::S32(1)), ("y".into(), Value::String("2".into()))]),
        ]);
        assert_eq!(
            mismatch(&list, &bad),
            "value does not match its type at `[1].y`: expected a `s32`, found a `string` value"
        );
        let swapped = Value::Record(vec![("y".into(), Value::S32(1)), ("x".into(), Value::S32(2))]);
        assert!(mismatch(&point, &swapped).contains("expected field `x` here, found `y`"));
        assert!(mismatch(&point, &Value::Record(vec![])).contains("has 2 fields but 0 were given"));
        let tuple = ValueType::tuple([ValueType::U8]);
        assert!(mismatch(&tuple, &Value::Tuple(vec![])).contains("1 elements but 0"));
        let variant = ValueType::variant([("a", Some(ValueType::U8)), ("b", None)]);
        assert!(mismatch(&variant, &Value::Variant("c".into(), None)).contains("`c` is not a case"));
        assert!(mismatch(&variant, &Value::Variant("a".into(), None)).contains("takes a `u8` payload"));
        assert!(
            mismatch(&variant, &Value::Variant("b".into(), Some(Box::new(Value::U8(1))))).contains("takes no payload")
        );
        assert!(mismatch(&ValueType::enumeration(["a"]), &Value::Enum("b".into())).contains("`b` is not a case"));
        let result = ValueType::result(None, Some(ValueType::String));
        assert!(mismatch(&result, &Value::Result(Ok(Some(Box::new(Value::U8(1)))))).contains("`ok` takes no payload"));
        let flags = ValueType::flags(["r", "w"]);
        assert!(mismatch(&flags, &Value::Flags(vec!["x".into()])).contains("`x` is not a flag"));
        assert!(mismatch(&flags, &Value::Flags(vec!["r".into(), "r".into()])).contains("given twice"));
        let nested = ValueType::option(ValueType::variant([("v", Some(ValueType::Char))]));
        let bad = Value::Option(Some(Box::new(Value::Variant("v".into(), Some(Box::new(Value::U8(1)))))));
        assert!(mismatch(&nested, &bad).contains("at `.some.v`"));
    }

    #[test]
    fn check_bounds_depth() {
        let (mut ty, mut value) = (ValueType::U8, Value::U8(0));
        for _ in 0..=MAX_DEPTH + 1 {
            ty = ValueType::option(ty);
            value = Value::Option(Some(Box::new(value)));
        }
        assert!(mismatch(&ty, &value).contains("nest deeper"));
    }

    #[test]
    fn func_type_checks_counts_and_positions() {
        let ty =
            FuncType { params: vec![("a".into(), ValueType::U8), ("b".into(), ValueType::String)], results: vec![] };
        ty.check_params(&[Value::U8(1), Value::String("x".into())]).unwrap();
        assert!(ty.check_params(&[Value::U8(1)]).unwrap_err().to_string().contains("expected 2 arguments, found 1"));
        assert!(ty.check_params(&[Value::U8(1), Value::U8(2)]).unwrap_err().to_string().contains("at `#1`"));
        assert!(ty.check_results(&[Value::U8(1)]).is_err());
        assert_eq!(ty.to_string(), "func(a: u8, b: string)");
    }
}
