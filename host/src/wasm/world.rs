//! What a component's WIT world contains: its exported and imported
//! functions with their types, in the order both sides of the VM number
//! them, and the world printed as WIT.
//!
//! Resource constructors, methods and statics are listed like any function,
//! plus a `[resource-drop]R` entry per resource an interface defines.
//! Functions whose types featherlight cannot carry yet (async, futures)
//! are left out of the tables: an import among them still links in the guest
//! and traps when called, an export among them cannot be called.

use super::types::{FuncType, TypeConverter, TypeError, qualified_name};
use wit_parser::{Resolve, WorldId, WorldItem, WorldKey};

/// One function of a component's world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorldFunction {
    /// The interface's full name (`my:pkg/iface@1.0.0`, or an inline
    /// interface's kebab name), `None` for a function of the world itself.
    pub interface: Option<String>,
    /// The function's name.
    pub name: String,
    /// Its parameters and results.
    pub ty: FuncType,
}

impl WorldFunction {
    /// `interface#name`, the way wasmtime names it in errors.
    pub(crate) fn qualified_name(&self) -> String {
        qualified_name(self.interface.as_deref(), &self.name)
    }

    /// The name `--invoke` uses: `add` for a world function,
    /// `my:pkg/iface.add@1.0.0` for an interface's.
    pub fn item_name(&self) -> String {
        match &self.interface {
            None => self.name.clone(),
            Some(interface) => match interface.split_once('@') {
                Some((base, version)) => format!("{base}.{}@{version}", self.name),
                None => format!("{interface}.{}", self.name),
            },
        }
    }
}

/// A function left out of the world's tables, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedFunction {
    /// The function as `--invoke` names it.
    pub name: String,
    /// Why featherlight cannot call it.
    pub reason: TypeError,
}

/// Why a world cannot be read, or a name is not one of its exports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WorldError {
    /// The bytes are not a component with WIT type information.
    #[error("not a WebAssembly component: {0}")]
    NotAComponent(String),
    /// No export has this name.
    #[error("the component exports no function `{name}`; `featherlight inspect` lists its exports")]
    NoExport {
        /// The name asked for.
        name: String,
    },
    /// An unqualified name matches functions of several interfaces.
    #[error("`{name}` is ambiguous, it matches {candidates}; qualify it")]
    Ambiguous {
        /// The name asked for.
        name: String,
        /// The qualified names it matches.
        candidates: String,
    },
    /// The export exists but uses a type featherlight cannot carry yet.
    #[error("export `{name}` cannot be called: {reason}")]
    Unsupported {
        /// The export.
        name: String,
        /// Why.
        reason: TypeError,
    },
}

/// The exports and imports of a component's world.
#[derive(Debug, Clone)]
pub struct ComponentWorld {
    exports: Vec<WorldFunction>,
    imports: Vec<WorldFunction>,
    skipped_exports: Vec<SkippedFunction>,
    wit: String,
}

impl ComponentWorld {
    /// Reads the world a component's bytes declare.
    pub fn from_component(bytes: &[u8]) -> Result<Self, WorldError> {
        let decoded = wit_component::decode(bytes).map_err(|e| WorldError::NotAComponent(format!("{e:#}")))?;
        let wit_parser::decoding::DecodedWasm::Component(resolve, world) = &decoded else {
            return Err(WorldError::NotAComponent("it is a WIT package, not a component".to_string()));
        };
        let mut converter = TypeConverter::for_world(resolve, *world);
        let mut skipped_exports = Vec::new();
        let exports = functions(resolve, *world, false, &mut converter, &mut skipped_exports);
        let imports = functions(resolve, *world, true, &mut converter, &mut Vec::new());
        Ok(Self { exports, imports, skipped_exports, wit: print_wit(resolve, decoded.package()) })
    }

    /// Exported functions, in the order calls name them by index.
    pub fn exports(&self) -> &[WorldFunction] {
        &self.exports
    }

    /// Whether the component is a `wasi:http` proxy: it exports
    /// `wasi:http/incoming-handler@0.2.x`'s `handle`.
    pub fn exports_http_handler(&self) -> bool {
        self.exports.iter().any(|export| {
            export.name == "handle"
                && export.interface.as_deref().is_some_and(|i| i.starts_with("wasi:http/incoming-handler@0.2."))
        })
    }

    /// Imported functions, in the order the guest names them by index.
    pub fn imports(&self) -> &[WorldFunction] {
        &self.imports
    }

    /// The world as WIT text, as `wasm-tools component wit` prints it.
    pub fn wit(&self) -> &str {
        &self.wit
    }

    /// Finds export `name`: `add` (a world function, or the only function of
    /// that name in any exported interface), `my:pkg/iface.add` (any version)
    /// or `my:pkg/iface.add@1.0.0`.
    pub fn find_export(&self, name: &str) -> Result<usize, WorldError> {
        let (interface, function) = match name.split_once('.') {
            Some((interface, rest)) => {
                let (function, version) = match rest.split_once('@') {
                    Some((function, version)) => (function, Some(version)),
                    None => (rest, None),
                };
                (Some((interface, version)), function)
            }
            None => (None, name),
        };
        let matches = |export: &WorldFunction| {
            if export.name != function {
                return false;
            }
            match (&interface, &export.interface) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some((wanted, version)), Some(actual)) => {
                    let (base, actual_version) = match actual.split_once('@') {
                        Some((base, v)) => (base, Some(v)),
                        None => (actual.as_str(), None),
                    };
                    base == *wanted && version.is_none_or(|v| Some(v) == actual_version)
                }
            }
        };
        let found: Vec<usize> = (0..self.exports.len()).filter(|&i| matches(&self.exports[i])).collect();
        // A world-level function wins over interface functions of that name.
        if let Some(&world_level) = found.iter().find(|&&i| self.exports[i].interface.is_none()) {
            return Ok(world_level);
        }
        match found.as_slice() {
            [one] => Ok(*one),
            [] => match self.skipped_exports.iter().find(|s| s.name == name || s.name.ends_with(&format!(".{name}"))) {
                Some(skipped) => {
                    Err(WorldError::Unsupported { name: skipped.name.clone(), reason: skipped.reason.clone() })
                }
                None => Err(WorldError::NoExport { name: name.to_string() }),
            },
            many => Err(WorldError::Ambiguous {
                name: name.to_string(),
                candidates: many
                    .iter()
                    .map(|&i| format!("`{}`", self.exports[i].item_name()))
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }
}

/// The functions a world imports (`imports`) or exports, in WIT order.
fn functions(
    resolve: &Resolve,
    world: WorldId,
    imports: bool,
    converter: &mut TypeConverter<'_>,
    skipped: &mut Vec<SkippedFunction>,
) -> Vec<WorldFunction> {
    let world = &resolve.worlds[world];
    let items = if imports { &world.imports } else { &world.exports };
    let mut out = Vec::new();
    let mut add = |out: &mut Vec<WorldFunction>,
                   converter: &mut TypeConverter<'_>,
                   interface: Option<String>,
                   function: &wit_parser::Function| {
        let named = WorldFunction { interface, name: function.name.clone(), ty: FuncType::default() };
        match converter.function(function) {
            Ok(ty) => out.push(WorldFunction { ty, ..named }),
            Err(reason) => skipped.push(SkippedFunction { name: named.item_name(), reason }),
        }
    };
    for (key, item) in items {
        match item {
            WorldItem::Function(function) => add(&mut out, converter, None, function),
            WorldItem::Interface { id, .. } => {
                let name = match key {
                    WorldKey::Name(name) => name.clone(),
                    WorldKey::Interface(id) => resolve.id_of(*id).unwrap_or_default(),
                };
                for function in resolve.interfaces[*id].functions.values() {
                    add(&mut out, converter, Some(name.clone()), function);
                }
                for (resource, ty) in &resolve.interfaces[*id].types {
                    if matches!(resolve.types[*ty].kind, wit_parser::TypeDefKind::Resource) {
                        out.push(resource_drop(Some(name.clone()), resource, converter.resource(*ty)));
                    }
                }
            }
            WorldItem::Type { .. } => {}
        }
    }
    out
}

/// The `[resource-drop]R` entry of resource `R`: how a drop crosses the VM
/// (the guest dropping a host object, or the host dropping a guest's).
fn resource_drop(interface: Option<String>, resource: &str, ty: super::types::ResourceType) -> WorldFunction {
    WorldFunction {
        interface,
        name: format!("[resource-drop]{resource}"),
        ty: FuncType { params: vec![("self".to_string(), super::types::ValueType::Own(ty))], results: vec![] },
    }
}

/// The component's package (holding its world) plus every package it uses.
fn print_wit(resolve: &Resolve, package: wit_parser::PackageId) -> String {
    let nested: Vec<_> = resolve.packages.iter().map(|(id, _)| id).filter(|id| *id != package).collect();
    let mut printer = wit_component::WitPrinter::default();
    match printer.print(resolve, package, &nested) {
        Ok(()) => printer.output.to_string(),
        Err(e) => format!("// cannot print the component's WIT: {e:#}\n"),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small component (a dummy core module under real WIT) for tests of
    /// world reading and WAVE.
    pub(crate) fn component() -> Vec<u8> {
        let wit = r#"
            package t:demo@1.2.0;
            interface shapes {
                record rect { w: f64, h: f64 }
                area: func(r: rect) -> f64;
                add: func(a: s32, b: s32) -> s32;
            }
            interface log {
                write: func(message: string);
            }
            world demo {
                import log;
                export add: func(a: s32, b: s32) -> s32;
                export greet: func(name: string, title: option<string>) -> string;
                export shapes;
            }
        "#;
        let mut resolve = Resolve::default();
        let package = resolve.push_str("demo.wit", wit).expect("test WIT parses");
        let world = resolve.select_world(&[package], Some("demo")).expect("world");
        let mut module = wit_component::dummy_module(&resolve, world, wit_parser::ManglingAndAbi::Standard32);
        wit_component::embed_component_metadata(&mut module, &resolve, world, wit_component::StringEncoding::UTF8)
            .expect("embed");
        wit_component::ComponentEncoder::default()
            .module(&module)
            .expect("module")
            .validate(true)
            .encode()
            .expect("encode")
    }

    #[test]
    fn reads_exports_and_imports_in_order() {
        let world = ComponentWorld::from_component(&component()).unwrap();
        let names: Vec<_> = world.exports().iter().map(WorldFunction::item_name).collect();
        assert_eq!(names, ["add", "greet", "t:demo/shapes.area@1.2.0", "t:demo/shapes.add@1.2.0"]);
        assert_eq!(world.imports().len(), 1);
        assert_eq!(world.imports()[0].interface.as_deref(), Some("t:demo/log@1.2.0"));
        assert!(
            world.wit().contains("export greet: func(name: string, title: option<string>) -> string;"),
            "{}",
            world.wit()
        );
    }

    #[test]
    fn finds_exports_by_short_and_qualified_names() {
        let world = ComponentWorld::from_component(&component()).unwrap();
        assert_eq!(world.find_export("add").unwrap(), 0);
        assert_eq!(world.find_export("area").unwrap(), 2);
        assert_eq!(world.find_export("t:demo/shapes.add").unwrap(), 3);
        assert_eq!(world.find_export("t:demo/shapes.add@1.2.0").unwrap(), 3);
        assert!(matches!(world.find_export("t:demo/shapes.add@9.9.9"), Err(WorldError::NoExport { .. })));
        assert!(matches!(world.find_export("nope"), Err(WorldError::NoExport { .. })));
        assert!(matches!(ComponentWorld::from_component(b"\0asm"), Err(WorldError::NotAComponent(_))));
    }
}
