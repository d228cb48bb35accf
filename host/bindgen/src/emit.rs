//! Writes the bindings of a world: interface modules, host traits, export
//! accessors and the world struct.

use crate::BindgenError;
use crate::names::{camel, literal, snake};
use crate::out::{ALLOW_LINTS, Out};
use crate::types::{CT, Param, SUPPORT, Types, docs, unsupported};
use std::collections::{BTreeMap, HashMap};
use wit_parser::{Function, FunctionKind, InterfaceId, Resolve, WorldId, WorldItem, WorldKey};

/// A module of the output and its submodules.
#[derive(Default)]
struct Module {
    body: Out,
    children: BTreeMap<String, Module>,
}

impl Module {
    fn at(&mut self, path: &[String]) -> &mut Module {
        match path.split_first() {
            None => self,
            Some((first, rest)) => self.children.entry(first.clone()).or_default().at(rest),
        }
    }

    /// Writes the module's body and its submodules; `root` for the output's
    /// root, whose submodules carry [`ALLOW_LINTS`] for everything in them.
    fn write(&self, out: &mut Out, root: bool) {
        for line in &self.body.lines {
            if line.is_empty() {
                out.lines.push(String::new());
            } else {
                out.line(line);
            }
        }
        for (name, child) in &self.children {
            out.blank();
            if root {
                out.line(ALLOW_LINTS);
            }
            out.open(&format!("pub mod {name} {{"));
            child.write(out, false);
            out.close("}");
        }
    }
}

/// An interface of the world: its id, the name components give it, its
/// module and the name of its accessor.
struct Interface {
    id: InterfaceId,
    name: String,
    module: Vec<String>,
    accessor: String,
}

pub struct World<'r> {
    types: Types<'r>,
    world: WorldId,
    imports: Vec<Interface>,
    exports: Vec<Interface>,
}

impl<'r> World<'r> {
    pub fn new(resolve: &'r Resolve, world: WorldId) -> Result<Self, BindgenError> {
        let mut modules = HashMap::new();
        let mut interfaces = |exported: bool| {
            let items = if exported { &resolve.worlds[world].exports } else { &resolve.worlds[world].imports };
            let mut found = Vec::new();
            for (key, item) in items {
                let WorldItem::Interface { id, .. } = item else { continue };
                let (name, mut module) = match key {
                    WorldKey::Name(name) => (name.clone(), vec![snake(name)]),
                    WorldKey::Interface(id) => {
                        let interface = &resolve.interfaces[*id];
                        let package = interface.package.map(|p| &resolve.packages[p].name);
                        let mut module: Vec<String> =
                            package.map(|p| vec![snake(&p.namespace), snake(&p.name)]).unwrap_or_default();
                        module.push(snake(interface.name.as_deref().unwrap_or("interface")));
                        (resolve.id_of(*id).unwrap_or_default(), module)
                    }
                };
                let accessor = module.join("_");
                if exported {
                    module.insert(0, "exports".to_string());
                }
                modules.entry(*id).or_insert_with(|| module.clone());
                found.push(Interface { id: *id, name, module, accessor });
            }
            found
        };
        let imports = interfaces(false);
        let exports = interfaces(true);
        let exported = exports.iter().map(|i| i.id).collect();
        Ok(Self { types: Types { resolve, modules, exported }, world, imports, exports })
    }

    pub fn emit(&self) -> Result<String, BindgenError> {
        let mut root = Module::default();
        let resolve = self.types.resolve;
        let world = &resolve.worlds[self.world];
        for (_, item) in &world.imports {
            if let WorldItem::Type { id, .. } = item {
                self.types.define(*id, &[], &mut root.body)?;
                root.body.blank();
            }
        }
        for interface in &self.imports {
            let out = &mut root.at(&interface.module).body;
            self.interface_types(interface, out)?;
            self.host_trait(interface, out)?;
        }
        for interface in &self.exports {
            let out = &mut root.at(&interface.module).body;
            self.interface_types(interface, out)?;
            self.guest_struct(interface, out)?;
        }
        self.world_struct(&mut root.body)?;
        let mut out = Out::default();
        root.write(&mut out, true);
        let mut code = out.lines.join("\n");
        code.push('\n');
        Ok(code)
    }

    fn interface_types(&self, interface: &Interface, out: &mut Out) -> Result<(), BindgenError> {
        let here = &interface.module;
        docs(out, &self.types.resolve.interfaces[interface.id].docs);
        if !out.is_empty() {
            // Interface docs document the module.
            let lines: Vec<String> = out.lines.drain(..).map(|l| l.replacen("///", "//!", 1)).collect();
            out.lines.extend(lines);
            out.blank();
        }
        for id in self.types.resolve.interfaces[interface.id].types.values() {
            self.types.define(*id, here, out)?;
            out.blank();
        }
        Ok(())
    }

    /// The interface's functions (refusing async ones) and the drop of each
    /// resource it defines, in the order the world lists them.
    fn functions(&self, interface: &Interface) -> Result<Vec<Entry<'r>>, BindgenError> {
        let resolve = self.types.resolve;
        let mut entries: Vec<Entry<'r>> = resolve.interfaces[interface.id]
            .functions
            .values()
            .map(|f| check_function(f, &interface.name).map(Entry::Function))
            .collect::<Result<_, _>>()?;
        for (name, id) in &resolve.interfaces[interface.id].types {
            if matches!(resolve.types[*id].kind, wit_parser::TypeDefKind::Resource) {
                entries.push(Entry::Drop { resource: *id, name: name.clone() });
            }
        }
        Ok(entries)
    }

    /// The Rust type of `own<resource>` as seen from `here`.
    fn own(&self, resource: wit_parser::TypeId, here: &[String]) -> Result<String, BindgenError> {
        let name = &self.types.resolve.types[resource].name;
        let path: Vec<String> = std::iter::repeat_n("super".to_string(), here.len())
            .chain(self.module_of(resource))
            .chain(name.as_deref().map(camel))
            .collect();
        Ok(format!("::featherlight::Own<{}>", path.join("::")))
    }

    fn module_of(&self, resource: wit_parser::TypeId) -> Vec<String> {
        match self.types.resolve.types[resource].owner {
            wit_parser::TypeOwner::Interface(i) => self.types.modules.get(&i).cloned().unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// Expected-function constructor of a resource's drop entry.
    fn expected_drop(
        &self,
        interface: &str,
        name: &str,
        resource: wit_parser::TypeId,
        here: &[String],
    ) -> Result<String, BindgenError> {
        Ok(format!(
            "{SUPPORT}::Function::new(::std::option::Option::Some({}), {}, ::std::vec![(\"self\", <{} as {CT}>::value_type())], ::std::vec::Vec::new()),",
            literal(interface),
            literal(&format!("[resource-drop]{name}")),
            self.own(resource, here)?
        ))
    }

    fn expected_entry(&self, interface: &str, entry: &Entry<'r>, here: &[String]) -> Result<String, BindgenError> {
        match entry {
            Entry::Function(f) => self.expected(Some(interface), f, here),
            Entry::Drop { resource, name } => self.expected_drop(interface, name, *resource, here),
        }
    }

    /// Expected-function constructors for the world check.
    fn expected(&self, interface: Option<&str>, function: &Function, here: &[String]) -> Result<String, BindgenError> {
        let mut params = Vec::new();
        for param in &function.params {
            let ty = self.types.rust(&param.ty, here)?;
            params.push(format!("({}, <{ty} as {CT}>::value_type())", literal(&param.name)));
        }
        let results = match &function.result {
            Some(ty) => format!("::std::vec![<{} as {CT}>::value_type()]", self.types.rust(ty, here)?),
            None => "::std::vec::Vec::new()".to_string(),
        };
        let interface = match interface {
            Some(name) => format!("::std::option::Option::Some({})", literal(name)),
            None => "::std::option::Option::None".to_string(),
        };
        Ok(format!(
            "{SUPPORT}::Function::new({interface}, {}, ::std::vec![{}], {results}),",
            literal(&function.name),
            params.join(", ")
        ))
    }

    /// The host trait method of `function`.
    fn host_method(&self, function: &Function, here: &[String], out: &mut Out) -> Result<(), BindgenError> {
        self.host_method_named(function, &snake(&method_name(function)), here, out)
    }

    fn host_method_named(
        &self,
        function: &Function,
        method: &str,
        here: &[String],
        out: &mut Out,
    ) -> Result<(), BindgenError> {
        let mut params = vec!["&mut self".to_string()];
        for param in &function.params {
            params.push(format!("{}: {}", param_name(&param.name), self.types.rust(&param.ty, here)?));
        }
        let result = match &function.result {
            Some(ty) => self.types.rust(ty, here)?,
            None => "()".to_string(),
        };
        docs(out, &function.docs);
        out.line(&format!(
            "fn {method}({}) -> ::std::result::Result<{result}, ::featherlight::HostError>;",
            params.join(", ")
        ));
        Ok(())
    }

    /// Registers `function` with `linker`, calling `T::method` on the state.
    fn register(interface: &str, function: &Function, out: &mut Out) {
        Self::register_as(interface, function, &format!("T::{}", snake(&function.name)), out);
    }

    fn register_as(interface: &str, function: &Function, call_path: &str, out: &mut Out) {
        out.open("{");
        out.line("let state = ::std::sync::Arc::clone(state);");
        out.open(&format!("linker.func({}, {}, move |args| {{", literal(interface), literal(&function.name)));
        out.line(&format!("let mut host = {SUPPORT}::lock(&state);"));
        let mut args = vec!["&mut *host".to_string()];
        args.extend((0..function.params.len()).map(|i| format!("{SUPPORT}::arg(args, {i})?")));
        let call = format!("{call_path}({})?", args.join(", "));
        if function.result.is_some() {
            out.line(&format!("let result = {call};"));
            out.line(&format!("::std::result::Result::Ok(::std::vec![{CT}::to_value(&result)])"));
        } else {
            out.line(&format!("{call};"));
            out.line("::std::result::Result::Ok(::std::vec::Vec::new())");
        }
        out.close("});");
        out.close("}");
    }

    fn host_trait(&self, interface: &Interface, out: &mut Out) -> Result<(), BindgenError> {
        let entries = self.functions(interface)?;
        if entries.is_empty() {
            return Ok(());
        }
        let here = &interface.module;
        let resource_of = |f: &Function| match f.kind {
            FunctionKind::Constructor(r) | FunctionKind::Method(r) | FunctionKind::Static(r) => Some(r),
            _ => None,
        };
        // One trait per resource: its constructor, methods, statics and drop.
        let mut supertraits = Vec::new();
        for entry in &entries {
            let Entry::Drop { resource, name } = entry else { continue };
            let trait_name = format!("Host{}", camel(name));
            out.line(&format!("/// What the host implements for resource `{name}` of `{}`.", interface.name));
            out.open(&format!("pub trait {trait_name} {{"));
            for entry in &entries {
                if let Entry::Function(f) = entry
                    && resource_of(f) == Some(*resource)
                {
                    self.host_method(f, here, out)?;
                    out.blank();
                }
            }
            out.line(&format!("/// The guest dropped its handle to `{name}` `rep`."));
            out.line(&format!(
                "fn drop(&mut self, rep: {}) -> ::std::result::Result<(), ::featherlight::HostError>;",
                self.own(*resource, here)?
            ));
            out.close("}");
            out.blank();
            supertraits.push((trait_name, *resource, name.clone()));
        }
        let bound = if supertraits.is_empty() {
            String::new()
        } else {
            format!(": {}", supertraits.iter().map(|(t, ..)| t.as_str()).collect::<Vec<_>>().join(" + "))
        };
        out.line(&format!("/// What the host implements for `{}`.", interface.name));
        out.open(&format!("pub trait Host{bound} {{"));
        let mut first = true;
        for entry in &entries {
            if let Entry::Function(f) = entry
                && resource_of(f).is_none()
            {
                if !first {
                    out.blank();
                }
                first = false;
                self.host_method(f, here, out)?;
            }
        }
        out.close("}");
        out.blank();
        out.line(&format!("/// Registers `{}`'s functions in `linker`, each calling `state`.", interface.name));
        out.open(
            "pub fn add_to_linker<T: Host + ::std::marker::Send + 'static>(linker: &mut ::featherlight::Linker, \
             state: &::std::sync::Arc<::std::sync::Mutex<T>>) {",
        );
        for entry in &entries {
            match entry {
                Entry::Function(f) => match resource_of(f).and_then(|r| supertraits.iter().find(|(_, id, _)| *id == r))
                {
                    Some((trait_name, ..)) => {
                        let path = format!("<T as {trait_name}>::{}", snake(&method_name(f)));
                        Self::register_as(&interface.name, f, &path, out);
                    }
                    None => Self::register(&interface.name, f, out),
                },
                Entry::Drop { name, .. } => {
                    out.open("{");
                    out.line("let state = ::std::sync::Arc::clone(state);");
                    out.open(&format!(
                        "linker.func({}, {}, move |args| {{",
                        literal(&interface.name),
                        literal(&format!("[resource-drop]{name}"))
                    ));
                    out.line(&format!("let mut host = {SUPPORT}::lock(&state);"));
                    out.line(&format!("<T as Host{}>::drop(&mut *host, {SUPPORT}::arg(args, 0)?)?;", camel(name)));
                    out.line("::std::result::Result::Ok(::std::vec::Vec::new())");
                    out.close("});");
                    out.close("}");
                }
            }
        }
        out.close("}");
        out.blank();
        out.line("#[doc(hidden)]");
        out.open(&format!("pub fn __functions() -> ::std::vec::Vec<{SUPPORT}::Function> {{"));
        out.open("::std::vec![");
        for entry in &entries {
            out.line(&self.expected_entry(&interface.name, entry, here)?);
        }
        out.close("]");
        out.close("}");
        Ok(())
    }

    /// A typed `call_*` method for export `function`.
    fn call_method(
        &self,
        interface: Option<&str>,
        function: &Function,
        field: &str,
        here: &[String],
        out: &mut Out,
    ) -> Result<(), BindgenError> {
        let mut params = vec!["&self".to_string(), "sandbox: &mut ::featherlight::Sandbox".to_string()];
        let mut args = Vec::new();
        for param in &function.params {
            let name = param_name(&param.name);
            match self.types.param(&param.ty, here)? {
                Param::Value(ty) => {
                    params.push(format!("{name}: {ty}"));
                    args.push(format!("::featherlight::Lower::to_value(&{name})"));
                }
                Param::Borrowed(ty) => {
                    params.push(format!("{name}: {ty}"));
                    args.push(format!("::featherlight::Lower::to_value({name})"));
                }
            }
        }
        let (result, convert) = match &function.result {
            Some(ty) => (self.types.rust(ty, here)?, "result"),
            None => ("()".to_string(), "no_result"),
        };
        let interface = match interface {
            Some(name) => format!("::std::option::Option::Some({})", literal(name)),
            None => "::std::option::Option::None".to_string(),
        };
        docs(out, &function.docs);
        out.open(&format!(
            "pub fn call_{field}({}) -> ::std::result::Result<{result}, ::featherlight::Error> {{",
            params.join(", ")
        ));
        out.line(&format!(
            "let results = {SUPPORT}::call(sandbox, self.{field}, {interface}, {}, &[{}])?;",
            literal(&function.name),
            args.join(", ")
        ));
        out.line(&format!("{SUPPORT}::{convert}(results)"));
        out.close("}");
        Ok(())
    }

    fn guest_struct(&self, interface: &Interface, out: &mut Out) -> Result<(), BindgenError> {
        let entries = self.functions(interface)?;
        let here = &interface.module;
        let fields: Vec<String> = entries.iter().map(Entry::field).collect();
        out.line(&format!("/// Typed calls of the component's `{}` export.", interface.name));
        out.line("#[derive(Debug, Clone)]");
        out.open("pub struct Guest {");
        for field in &fields {
            out.line(&format!("{field}: usize,"));
        }
        out.close("}");
        out.blank();
        out.open("impl Guest {");
        out.line("#[doc(hidden)]");
        out.open(&format!("pub fn __functions() -> ::std::vec::Vec<{SUPPORT}::Function> {{"));
        out.open("::std::vec![");
        for entry in &entries {
            out.line(&self.expected_entry(&interface.name, entry, here)?);
        }
        out.close("]");
        out.close("}");
        out.blank();
        out.line("#[doc(hidden)]");
        let indices = if entries.is_empty() { "_indices" } else { "indices" };
        out.open(&format!("pub fn __new({indices}: &mut impl ::std::iter::Iterator<Item = usize>) -> Self {{"));
        out.open("Self {");
        for field in &fields {
            out.line(&format!("{field}: indices.next().unwrap_or(usize::MAX),"));
        }
        out.close("}");
        out.close("}");
        for (entry, field) in entries.iter().zip(&fields) {
            out.blank();
            match entry {
                Entry::Function(f) => self.call_method(Some(&interface.name), f, field, here, out)?,
                Entry::Drop { resource, name } => {
                    out.line(&format!("/// Drops the component's `{name}` behind `handle`."));
                    out.open(&format!(
                        "pub fn call_{field}(&self, sandbox: &mut ::featherlight::Sandbox, handle: {}) -> \
                         ::std::result::Result<(), ::featherlight::Error> {{",
                        self.own(*resource, here)?
                    ));
                    out.line(&format!(
                        "let results = {SUPPORT}::call(sandbox, self.{field}, ::std::option::Option::Some({}), {}, &[{CT}::to_value(&handle)])?;",
                        literal(&interface.name),
                        literal(&format!("[resource-drop]{name}"))
                    ));
                    out.line(&format!("{SUPPORT}::no_result(results)"));
                    out.close("}");
                }
            }
        }
        out.close("}");
        Ok(())
    }

    /// The world's own functions (not in interfaces), imported or exported.
    fn world_functions(&self, exported: bool) -> Result<Vec<&'r Function>, BindgenError> {
        // World-level functions are freestanding (resources live in interfaces).
        let world = &self.types.resolve.worlds[self.world];
        let items = if exported { &world.exports } else { &world.imports };
        items
            .values()
            .filter_map(|item| match item {
                WorldItem::Function(f) => Some(check_function(f, &world.name)),
                _ => None,
            })
            .collect()
    }

    fn world_struct(&self, out: &mut Out) -> Result<(), BindgenError> {
        let world = &self.types.resolve.worlds[self.world];
        let name = camel(&world.name);
        let imported = self.world_functions(false)?;
        let exported = self.world_functions(true)?;
        let imports_trait = format!("{name}Imports");
        if !imported.is_empty() {
            out.blank();
            out.line(&format!("/// What the host implements for the functions world `{}` imports itself.", world.name));
            out.line(ALLOW_LINTS);
            out.open(&format!("pub trait {imports_trait} {{"));
            for (i, function) in imported.iter().enumerate() {
                if i > 0 {
                    out.blank();
                }
                self.host_method(function, &[], out)?;
            }
            out.close("}");
        }
        let hosts: Vec<&Interface> =
            self.imports.iter().filter(|i| !self.functions(i).is_ok_and(|f| f.is_empty())).collect();
        let mut bound: Vec<String> = hosts.iter().map(|i| format!("{}::Host", i.module.join("::"))).collect();
        if !imported.is_empty() {
            bound.push(imports_trait.clone());
        }
        bound.push("::std::marker::Send".to_string());
        bound.push("'static".to_string());
        let bound = bound.join(" + ");

        out.blank();
        docs(out, &world.docs);
        out.line(&format!(
            "/// Typed bindings of world `{}`: checks a component against it, links the host's",
            world.name
        ));
        out.line("/// implementation of its imports and calls its exports.");
        out.line(ALLOW_LINTS);
        out.line("#[derive(Debug, Clone)]");
        out.open(&format!("pub struct {name} {{"));
        for interface in &self.exports {
            out.line(&format!("{}: {}::Guest,", interface.accessor, interface.module.join("::")));
        }
        for function in &exported {
            out.line(&format!("{}: usize,", snake(&function.name)));
        }
        out.close("}");
        out.blank();
        out.line(ALLOW_LINTS);
        out.open(&format!("impl {name} {{"));

        out.line(&format!("/// Checks that `component` fits world `{}`; the error names the first", world.name));
        out.line("/// missing or mistyped import or export.");
        out.open(
            "pub fn new(component: &::featherlight::Component) -> ::std::result::Result<Self, ::featherlight::Error> {",
        );
        let function_vec = format!("::std::vec::Vec<{SUPPORT}::Function>");
        if hosts.is_empty() && imported.is_empty() {
            out.line(&format!("let imports: {function_vec} = ::std::vec::Vec::new();"));
        } else {
            out.line(&format!("let mut imports: {function_vec} = ::std::vec::Vec::new();"));
            for interface in &hosts {
                out.line(&format!("imports.extend({}::__functions());", interface.module.join("::")));
            }
            for function in &imported {
                let expected = self.expected(None, function, &[])?;
                out.line(&format!("imports.push({});", expected.trim_end_matches(',')));
            }
        }
        if self.exports.is_empty() && exported.is_empty() {
            out.line(&format!("let exports: {function_vec} = ::std::vec::Vec::new();"));
        } else {
            out.line(&format!("let mut exports: {function_vec} = ::std::vec::Vec::new();"));
            for interface in &self.exports {
                out.line(&format!("exports.extend({}::Guest::__functions());", interface.module.join("::")));
            }
            for function in &exported {
                let expected = self.expected(None, function, &[])?;
                out.line(&format!("exports.push({});", expected.trim_end_matches(',')));
            }
        }
        let indices = if self.exports.is_empty() && exported.is_empty() { "_indices" } else { "mut indices" };
        out.line(&format!("let {indices} = {SUPPORT}::check_world(component, &imports, &exports)?.into_iter();"));
        out.open("::std::result::Result::Ok(Self {");
        for interface in &self.exports {
            out.line(&format!("{}: {}::Guest::__new(&mut indices),", interface.accessor, interface.module.join("::")));
        }
        for function in &exported {
            out.line(&format!("{}: indices.next().unwrap_or(usize::MAX),", snake(&function.name)));
        }
        out.close("})");
        out.close("}");

        out.blank();
        out.line("/// Registers the host's implementation of every import in `linker`; each call");
        out.line("/// locks `state`.");
        let (linker, state) =
            if hosts.is_empty() && imported.is_empty() { ("_linker", "_state") } else { ("linker", "state") };
        out.open(&format!(
            "pub fn add_to_linker<T: {bound}>({linker}: &mut ::featherlight::Linker, \
             {state}: &::std::sync::Arc<::std::sync::Mutex<T>>) {{"
        ));
        for interface in &hosts {
            out.line(&format!("{}::add_to_linker(linker, state);", interface.module.join("::")));
        }
        for function in &imported {
            Self::register("", function, out);
        }
        out.close("}");

        out.blank();
        out.line("/// Checks `component` against the world, then starts a sandbox of it with the");
        out.line("/// host functions of `linker` plus the host's implementation of the world's imports.");
        out.open(&format!(
            "pub fn instantiate<T: {bound}>(component: &::featherlight::Component, linker: &::featherlight::Linker, \
             state: &::std::sync::Arc<::std::sync::Mutex<T>>) -> ::std::result::Result<(Self, ::featherlight::Sandbox), \
             ::featherlight::Error> {{"
        ));
        out.line("let bindings = Self::new(component)?;");
        out.line("let mut linker = linker.clone();");
        out.line("Self::add_to_linker(&mut linker, state);");
        out.line("let sandbox = ::featherlight::Sandbox::new(component, &linker)?;");
        out.line("::std::result::Result::Ok((bindings, sandbox))");
        out.close("}");

        for interface in &self.exports {
            out.blank();
            out.line(&format!("/// Typed calls of export `{}`.", interface.name));
            out.open(&format!("pub fn {}(&self) -> &{}::Guest {{", interface.accessor, interface.module.join("::")));
            out.line(&format!("&self.{}", interface.accessor));
            out.close("}");
        }
        for function in &exported {
            out.blank();
            self.call_method(None, function, &snake(&function.name), &[], out)?;
        }
        out.close("}");
        Ok(())
    }
}

/// Refuses what typed bindings cannot carry yet.
fn check_function<'f>(function: &'f Function, owner: &str) -> Result<&'f Function, BindgenError> {
    if function.kind.is_async() {
        return Err(unsupported(&format!("async function `{}` of `{owner}`", function.name)));
    }
    Ok(function)
}

/// What an interface's bindings are made of: its functions, and the drop of
/// each resource it defines.
enum Entry<'r> {
    Function(&'r Function),
    Drop { resource: wit_parser::TypeId, name: String },
}

impl Entry<'_> {
    /// The field holding the export index, and the `call_*` suffix:
    /// `get`, `blob_new`, `blob_len` (a method or static), `blob_drop`.
    fn field(&self) -> String {
        match self {
            Entry::Function(f) => match &f.kind {
                FunctionKind::Constructor(_) | FunctionKind::Method(_) | FunctionKind::Static(_) => {
                    let resource = f.name.split(']').nth(1).unwrap_or("").split('.').next().unwrap_or("");
                    snake(&format!("{resource}-{}", method_name(f)))
                }
                _ => snake(&f.name),
            },
            Entry::Drop { name, .. } => snake(&format!("{name}-drop")),
        }
    }
}

/// A function's Rust method name in its trait: the function's name, `new`
/// for a constructor, the part after the resource for a method or static.
fn method_name(function: &Function) -> String {
    match function.kind {
        FunctionKind::Constructor(_) => "new".to_string(),
        FunctionKind::Method(_) | FunctionKind::Static(_) => {
            function.name.rsplit_once('.').map_or(function.name.clone(), |(_, m)| m.to_string())
        }
        _ => function.name.clone(),
    }
}

/// A parameter's Rust name; `sandbox` is taken by the typed calls.
fn param_name(name: &str) -> String {
    match snake(name).as_str() {
        "sandbox" => "sandbox_".to_string(),
        "self" => "self_".to_string(),
        other => other.to_string(),
    }
}
