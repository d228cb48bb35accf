//! WIT types as Rust types, and the Rust definitions of a world's named
//! types with their `ComponentType` implementations.

use crate::BindgenError;
use crate::names::{camel, literal, snake};
use crate::out::{ALLOW_LINTS, Out};
use std::collections::{HashMap, HashSet};
use wit_parser::{Docs, Handle, InterfaceId, Resolve, Type, TypeDefKind, TypeId, TypeOwner};

/// `::featherlight::ComponentType`, spelled out once.
pub const CT: &str = "::featherlight::ComponentType";
/// Helpers of generated code.
pub const SUPPORT: &str = "::featherlight::typed::support";

/// Maps WIT types to Rust type paths as seen from a module of the output.
pub struct Types<'r> {
    pub resolve: &'r Resolve,
    /// The module of each interface in the world, as path segments.
    pub modules: HashMap<InterfaceId, Vec<String>>,
    /// Interfaces the world exports: their resources are the component's.
    pub exported: HashSet<InterfaceId>,
}

/// How a typed export call takes a parameter.
pub enum Param {
    /// By value (scalars).
    Value(String),
    /// By reference (`&str`, `&[T]`, `&T`).
    Borrowed(String),
}

impl Types<'_> {
    /// The owned Rust type of `ty`, as written
    /// below the root of the output.
    pub fn rust(&self, ty: &Type, here: &[String]) -> Result<String, BindgenError> {
        Ok(match ty {
            Type::Bool => "bool".into(),
            Type::U8 => "u8".into(),
            Type::U16 => "u16".into(),
            Type::U32 => "u32".into(),
            Type::U64 => "u64".into(),
            Type::S8 => "i8".into(),
            Type::S16 => "i16".into(),
            Type::S32 => "i32".into(),
            Type::S64 => "i64".into(),
            Type::F32 => "f32".into(),
            Type::F64 => "f64".into(),
            Type::Char => "char".into(),
            Type::String => "::std::string::String".into(),
            Type::ErrorContext => return Err(unsupported("`error-context`")),
            Type::Id(id) => self.rust_id(*id, here)?,
        })
    }

    fn rust_id(&self, id: TypeId, here: &[String]) -> Result<String, BindgenError> {
        let def = &self.resolve.types[id];
        if let Some(name) = &def.name {
            let module = match def.owner {
                TypeOwner::Interface(interface) => self
                    .modules
                    .get(&interface)
                    .ok_or_else(|| unsupported(&format!("type `{name}` of an interface outside the world")))?
                    .clone(),
                TypeOwner::World(_) | TypeOwner::None => Vec::new(),
            };
            let mut path: Vec<String> = std::iter::repeat_n("super".to_string(), here.len()).collect();
            path.extend(module);
            path.push(camel(name));
            return Ok(path.join("::"));
        }
        self.anonymous(&def.kind, here)
    }

    /// The Rust type of an unnamed type (`list<T>`, `option<T>`, ...).
    fn anonymous(&self, kind: &TypeDefKind, here: &[String]) -> Result<String, BindgenError> {
        Ok(match kind {
            TypeDefKind::List(t) => format!("::std::vec::Vec<{}>", self.rust(t, here)?),
            TypeDefKind::Option(t) => format!("::std::option::Option<{}>", self.rust(t, here)?),
            TypeDefKind::Result(r) => format!(
                "::std::result::Result<{}, {}>",
                self.payload(r.ok.as_ref(), here)?,
                self.payload(r.err.as_ref(), here)?
            ),
            TypeDefKind::Tuple(t) => {
                if t.types.len() > 12 {
                    return Err(unsupported("a tuple of more than 12 elements"));
                }
                let parts: Vec<String> = t.types.iter().map(|t| self.rust(t, here)).collect::<Result<_, _>>()?;
                match parts.as_slice() {
                    [one] => format!("({one},)"),
                    _ => format!("({})", parts.join(", ")),
                }
            }
            TypeDefKind::Type(t) => self.rust(t, here)?,
            TypeDefKind::Handle(Handle::Own(r)) => format!("::featherlight::Own<{}>", self.rust_id(*r, here)?),
            TypeDefKind::Handle(Handle::Borrow(r)) => format!("::featherlight::Borrow<{}>", self.rust_id(*r, here)?),
            other => return Err(unsupported(&format!("`{}` types", other.as_str()))),
        })
    }

    fn payload(&self, ty: Option<&Type>, here: &[String]) -> Result<String, BindgenError> {
        ty.map_or(Ok("()".to_string()), |t| self.rust(t, here))
    }

    /// How a typed call takes a parameter of type `ty`.
    pub fn param(&self, ty: &Type, here: &[String]) -> Result<Param, BindgenError> {
        if let Type::Id(id) = ty {
            let def = &self.resolve.types[*id];
            match &def.kind {
                TypeDefKind::List(element) if def.name.is_none() => {
                    return Ok(Param::Borrowed(format!("&[{}]", self.rust(element, here)?)));
                }
                TypeDefKind::Type(inner) if def.name.is_none() => return self.param(inner, here),
                TypeDefKind::Handle(_) => return Ok(Param::Value(self.rust(ty, here)?)),
                _ => return Ok(Param::Borrowed(format!("&{}", self.rust(ty, here)?))),
            }
        }
        Ok(match ty {
            Type::String => Param::Borrowed("&str".into()),
            scalar => Param::Value(self.rust(scalar, here)?),
        })
    }

    /// Writes the Rust definition of named type `id`, as seen from a module
    /// `here`, to `out`.
    pub fn define(&self, id: TypeId, here: &[String], out: &mut Out) -> Result<(), BindgenError> {
        let def = &self.resolve.types[id];
        let Some(wit_name) = &def.name else { return Ok(()) };
        let name = camel(wit_name);
        let value_type = "::featherlight::ValueType";
        docs(out, &def.docs);
        // Items at the root of the output have no module to carry the allow.
        let allow = |out: &mut Out| {
            if here.is_empty() {
                out.line(ALLOW_LINTS);
            }
        };
        match &def.kind {
            TypeDefKind::Record(record) => {
                let fields: Vec<(String, &str, String)> = record
                    .fields
                    .iter()
                    .map(|f| Ok((snake(&f.name), f.name.as_str(), self.rust(&f.ty, here)?)))
                    .collect::<Result<_, BindgenError>>()?;
                allow(out);
                out.line("#[derive(Debug, Clone, PartialEq)]");
                out.open(&format!("pub struct {name} {{"));
                for ((field, _, ty), wit) in fields.iter().zip(&record.fields) {
                    docs(out, &wit.docs);
                    out.line(&format!("pub {field}: {ty},"));
                }
                out.close("}");
                self.component_type(
                    out,
                    &name,
                    here,
                    |out| {
                        out.open(&format!("{value_type}::record(::std::vec::Vec::<(&str, {value_type})>::from(["));
                        for (_, wit, ty) in &fields {
                            out.line(&format!("({}, <{ty} as {CT}>::value_type()),", literal(wit)));
                        }
                        out.close("]))");
                    },
                    |out| {
                        out.open("::featherlight::Value::Record(::std::vec![");
                        for (field, wit, _) in &fields {
                            out.line(&format!("({}.to_string(), {CT}::to_value(&self.{field})),", literal(wit)));
                        }
                        out.close("])");
                    },
                    |out| {
                        out.line(&format!("let fields = {SUPPORT}::record(value, {})?;", literal(wit_name)));
                        out.open("::std::result::Result::Ok(Self {");
                        for (field, wit, _) in &fields {
                            out.line(&format!("{field}: {SUPPORT}::field(fields, {})?,", literal(wit)));
                        }
                        out.close("})");
                    },
                );
            }
            TypeDefKind::Variant(variant) => {
                let cases: Vec<(String, &str, Option<String>)> = variant
                    .cases
                    .iter()
                    .map(|c| {
                        Ok((camel(&c.name), c.name.as_str(), c.ty.as_ref().map(|t| self.rust(t, here)).transpose()?))
                    })
                    .collect::<Result<_, BindgenError>>()?;
                allow(out);
                out.line("#[derive(Debug, Clone, PartialEq)]");
                out.open(&format!("pub enum {name} {{"));
                for ((case, _, ty), wit) in cases.iter().zip(&variant.cases) {
                    docs(out, &wit.docs);
                    match ty {
                        Some(ty) => out.line(&format!("{case}({ty}),")),
                        None => out.line(&format!("{case},")),
                    }
                }
                out.close("}");
                self.component_type(out, &name, here, |out| {
                    out.open(&format!(
                        "{value_type}::variant(::std::vec::Vec::<(&str, ::std::option::Option<{value_type}>)>::from(["
                    ));
                    for (_, wit, ty) in &cases {
                        let payload = match ty {
                            Some(ty) => format!("::std::option::Option::Some(<{ty} as {CT}>::value_type())"),
                            None => "::std::option::Option::None".to_string(),
                        };
                        out.line(&format!("({}, {payload}),", literal(wit)));
                    }
                    out.close("]))");
                }, |out| {
                    out.open("match self {");
                    for (case, wit, ty) in &cases {
                        let (pattern, payload) = match ty {
                            Some(_) => (
                                format!("Self::{case}(payload)"),
                                format!("::std::option::Option::Some(::std::boxed::Box::new({CT}::to_value(payload)))"),
                            ),
                            None => (format!("Self::{case}"), "::std::option::Option::None".to_string()),
                        };
                        out.line(&format!(
                            "{pattern} => ::featherlight::Value::Variant({}.to_string(), {payload}),",
                            literal(wit)
                        ));
                    }
                    out.close("}");
                }, |out| {
                    out.line(&format!("let (case, payload) = {SUPPORT}::variant(value, {})?;", literal(wit_name)));
                    out.open("match case {");
                    for (case, wit, ty) in &cases {
                        let (payload, constructor) = match ty {
                            Some(ty) => (ty.as_str(), format!("Self::{case}")),
                            None => ("()", format!("|()| Self::{case}")),
                        };
                        out.line(&format!(
                            "{w} => <{payload} as ::featherlight::Payload>::from_payload(payload, {w}).map({constructor}),",
                            w = literal(wit)
                        ));
                    }
                    out.line(&format!("other => ::std::result::Result::Err({SUPPORT}::unknown_case({}, other)),", literal(wit_name)));
                    out.close("}");
                });
            }
            TypeDefKind::Enum(enumeration) => {
                let cases: Vec<(String, &str)> =
                    enumeration.cases.iter().map(|c| (camel(&c.name), c.name.as_str())).collect();
                allow(out);
                out.line("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]");
                out.open(&format!("pub enum {name} {{"));
                for ((case, _), wit) in cases.iter().zip(&enumeration.cases) {
                    docs(out, &wit.docs);
                    out.line(&format!("{case},"));
                }
                out.close("}");
                self.component_type(
                    out,
                    &name,
                    here,
                    |out| {
                        let names: Vec<String> = cases.iter().map(|(_, w)| literal(w)).collect();
                        out.line(&format!("{value_type}::enumeration([{}])", names.join(", ")));
                    },
                    |out| {
                        out.open("let case = match self {");
                        for (case, wit) in &cases {
                            out.line(&format!("Self::{case} => {},", literal(wit)));
                        }
                        out.close("};");
                        out.line("::featherlight::Value::Enum(case.to_string())");
                    },
                    |out| {
                        out.open(&format!("match {SUPPORT}::enum_case(value, {})? {{", literal(wit_name)));
                        for (case, wit) in &cases {
                            out.line(&format!("{} => ::std::result::Result::Ok(Self::{case}),", literal(wit)));
                        }
                        out.line(&format!(
                            "other => ::std::result::Result::Err({SUPPORT}::unknown_case({}, other)),",
                            literal(wit_name)
                        ));
                        out.close("}");
                    },
                );
            }
            TypeDefKind::Flags(flags) => {
                let names: Vec<(String, &str)> =
                    flags.flags.iter().map(|f| (snake(&f.name), f.name.as_str())).collect();
                let literals: Vec<String> = names.iter().map(|(_, w)| literal(w)).collect();
                allow(out);
                out.line("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]");
                out.open(&format!("pub struct {name} {{"));
                for ((flag, _), wit) in names.iter().zip(&flags.flags) {
                    docs(out, &wit.docs);
                    out.line(&format!("pub {flag}: bool,"));
                }
                out.close("}");
                self.component_type(
                    out,
                    &name,
                    here,
                    |out| {
                        out.line(&format!(
                            "{value_type}::flags(::std::vec::Vec::<&str>::from([{}]))",
                            literals.join(", ")
                        ));
                    },
                    |out| {
                        out.line("let mut set = ::std::vec::Vec::new();");
                        for (flag, wit) in &names {
                            out.open(&format!("if self.{flag} {{"));
                            out.line(&format!("set.push({}.to_string());", literal(wit)));
                            out.close("}");
                        }
                        out.line("::featherlight::Value::Flags(set)");
                    },
                    |out| {
                        out.line(&format!(
                            "let set = {SUPPORT}::flags(value, {}, &[{}])?;",
                            literal(wit_name),
                            literals.join(", ")
                        ));
                        out.open("::std::result::Result::Ok(Self {");
                        for (flag, wit) in &names {
                            out.line(&format!("{flag}: set.iter().any(|flag| flag == {}),", literal(wit)));
                        }
                        out.close("})");
                    },
                );
            }
            TypeDefKind::Resource => {
                let (interface, host) = match def.owner {
                    TypeOwner::Interface(i) => {
                        let interface = self.resolve.interfaces[i].name.clone().unwrap_or_default();
                        (self.resolve.id_of(i).unwrap_or(interface), !self.exported.contains(&i))
                    }
                    TypeOwner::World(_) | TypeOwner::None => {
                        return Err(unsupported(&format!("world-level resource `{wit_name}`")));
                    }
                };
                let side = if host { "the host's" } else { "the component's" };
                out.line(&format!(
                    "/// Resource `{wit_name}` ({side}): handles are `Own<{name}>` and `Borrow<{name}>`."
                ));
                allow(out);
                out.line("#[derive(Debug)]");
                out.line(&format!("pub struct {name};"));
                out.blank();
                allow(out);
                out.open(&format!("impl ::featherlight::Resource for {name} {{"));
                out.line(&format!("const NAME: &'static str = {};", literal(&format!("{interface}#{wit_name}"))));
                out.line(&format!("const HOST: bool = {host};"));
                out.close("}");
            }
            TypeDefKind::Type(_)
            | TypeDefKind::List(_)
            | TypeDefKind::Option(_)
            | TypeDefKind::Result(_)
            | TypeDefKind::Tuple(_) => {
                allow(out);
                out.line(&format!("pub type {name} = {};", self.anonymous(&def.kind, here)?));
            }
            other => return Err(unsupported(&format!("`{}` type `{wit_name}`", other.as_str()))),
        }
        Ok(())
    }

    /// Writes `impl ComponentType for name` with the three bodies, as seen
    /// from module `here`.
    fn component_type(
        &self,
        out: &mut Out,
        name: &str,
        here: &[String],
        value_type: impl FnOnce(&mut Out),
        to_value: impl FnOnce(&mut Out),
        from_value: impl FnOnce(&mut Out),
    ) {
        out.blank();
        if here.is_empty() {
            out.line(ALLOW_LINTS);
        }
        out.open(&format!("impl {CT} for {name} {{"));
        out.open("fn value_type() -> ::featherlight::ValueType {");
        value_type(out);
        out.close("}");
        out.blank();
        out.open("fn to_value(&self) -> ::featherlight::Value {");
        to_value(out);
        out.close("}");
        out.blank();
        out.open(&format!(
            "fn from_value(value: &::featherlight::Value) -> ::std::result::Result<Self, {SUPPORT}::TypeError> {{"
        ));
        from_value(out);
        out.close("}");
        out.close("}");
    }
}

/// Writes WIT doc comments as Rust doc comments.
pub fn docs(out: &mut Out, docs: &Docs) {
    if let Some(contents) = &docs.contents {
        for line in contents.trim().lines() {
            out.line(format!("/// {}", line.trim_end()).trim_end());
        }
    }
}

pub fn unsupported(what: &str) -> BindgenError {
    BindgenError::Unsupported { what: what.to_string() }
}
