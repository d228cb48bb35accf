//! WIT value types and function types, as the host sees them at run time.
//!
//! The types themselves ([`ValueType`], [`FuncType`], [`TypeError`]) live in
//! `featherlight-wire` with the wire codec, so the decoders of guest data
//! build (and fuzz) without wasmtime; this module converts them from
//! `wit-parser`'s model of a component's WIT ([`FromWit`]).

pub use featherlight_wire::types::{
    FuncType, MAX_DEPTH, MAX_TYPE_SIZE, ResourceType, ResultType, TypeError, ValueType,
};
use std::collections::HashMap;
use std::collections::HashSet;
use wit_parser::{Handle, Resolve, Type, TypeDefKind, TypeId};

/// Bound on `from_wit`'s recursion, which also follows type aliases (they do
/// not add value nesting but do add stack frames).
const MAX_RECURSION: usize = 4 * MAX_DEPTH;

/// Conversion from a WIT type or function (`S`) in a [`Resolve`].
pub trait FromWit<S: ?Sized>: Sized {
    /// Converts `source` from `resolve`, following type aliases. Resource
    /// handles, futures, streams, `error-context`, maps, fixed-length lists
    /// and async functions are refused as not supported yet.
    fn from_wit(resolve: &Resolve, source: &S) -> Result<Self, TypeError>;
}

impl FromWit<Type> for ValueType {
    fn from_wit(resolve: &Resolve, ty: &Type) -> Result<ValueType, TypeError> {
        TypeConverter::new(resolve).convert(ty)
    }
}

impl FromWit<wit_parser::Function> for FuncType {
    fn from_wit(resolve: &Resolve, function: &wit_parser::Function) -> Result<Self, TypeError> {
        TypeConverter::new(resolve).function(function)
    }
}

/// Converts WIT types, remembering each named type once so types that share
/// parts share them here too (and are measured once).
pub(crate) struct TypeConverter<'r> {
    resolve: &'r Resolve,
    /// Converted type, its size in parts and its nesting height.
    memo: HashMap<TypeId, (ValueType, usize, usize)>,
    /// Interfaces the component exports: their resources are the guest's.
    exported: HashSet<wit_parser::InterfaceId>,
}

impl<'r> TypeConverter<'r> {
    pub(crate) fn new(resolve: &'r Resolve) -> Self {
        Self { resolve, memo: HashMap::new(), exported: HashSet::new() }
    }

    /// A converter for a world: resources of the interfaces it exports are
    /// the guest's, every other resource is the host's.
    pub(crate) fn for_world(resolve: &'r Resolve, world: wit_parser::WorldId) -> Self {
        let exported = resolve.worlds[world]
            .exports
            .values()
            .filter_map(|item| match item {
                wit_parser::WorldItem::Interface { id, .. } => Some(*id),
                _ => None,
            })
            .collect();
        Self { resolve, memo: HashMap::new(), exported }
    }

    /// The resource type of resource `id`, named `interface#resource`.
    pub(crate) fn resource(&self, id: TypeId) -> ResourceType {
        let resolve = self.resolve;
        let mut id = id;
        // A `use`d resource is an alias of the defining one.
        for _ in 0..MAX_RECURSION {
            match resolve.types.get(id).map(|t| &t.kind) {
                Some(TypeDefKind::Type(Type::Id(next))) => id = *next,
                _ => break,
            }
        }
        let def = resolve.types.get(id);
        let name = def.and_then(|d| d.name.as_deref()).unwrap_or("?");
        let (full, host) = match def.map(|d| d.owner) {
            Some(wit_parser::TypeOwner::Interface(i)) => {
                let interface = resolve
                    .id_of(i)
                    .or_else(|| resolve.interfaces.get(i).and_then(|x| x.name.clone()))
                    .unwrap_or_default();
                (qualified_name(Some(&interface), name), !self.exported.contains(&i))
            }
            _ => (name.to_string(), true),
        };
        ResourceType { name: full.into(), host }
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
            TypeDefKind::Handle(handle) => match handle {
                Handle::Own(r) => ValueType::Own(self.resource(*r)),
                Handle::Borrow(r) => ValueType::Borrow(self.resource(*r)),
            },
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

/// `interface#name`, the way wasmtime names an interface's function or
/// resource in errors (just `name` for one of the world itself).
pub(crate) fn qualified_name(interface: Option<&str>, name: &str) -> String {
    match interface {
        Some(interface) => format!("{interface}#{name}"),
        None => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wasm::value::Value;

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
    fn from_wit_converts_handles_and_refuses_what_is_not_supported_yet() {
        let (resolve, i) = resolve(WIT);
        let file = ResourceType { name: "t:t/i#file".into(), host: true };
        assert_eq!(named(&resolve, i, "handle").unwrap(), ValueType::Own(file.clone()));
        assert_eq!(named(&resolve, i, "with-handle").unwrap(), ValueType::record([("f", ValueType::Borrow(file))]));
        assert_eq!(named(&resolve, i, "handle").unwrap().to_string(), "own<t:t/i#file>");
        for (name, words) in [("fut", "`future` type"), ("file", "resource `file`")] {
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
