//! Whether a component fits the world typed bindings were generated for.
//!
//! Every function the bindings export must be exported by the component with
//! the same types. Every function the component imports from an interface
//! the bindings import (or from the world itself) must be one the bindings
//! provide, with the same types. Imports of other interfaces (WASI, say)
//! are left to other host functions in the linker, as on the dynamic path.

use crate::ValueType;
use crate::wasm::types::{FuncType, qualified_name};
use crate::wasm::world::{ComponentWorld, WorldFunction};

/// One function of the world bindings were generated for.
#[derive(Debug, Clone)]
pub struct ExpectedFunction {
    interface: Option<&'static str>,
    name: &'static str,
    ty: FuncType,
}

impl ExpectedFunction {
    /// Function `name` of `interface` (`None`: of the world) with
    /// parameters `params` and zero or one `results`.
    pub fn new(
        interface: Option<&'static str>,
        name: &'static str,
        params: Vec<(&'static str, ValueType)>,
        results: Vec<ValueType>,
    ) -> Self {
        let params = params.into_iter().map(|(n, t)| (n.to_string(), t)).collect();
        Self { interface, name, ty: FuncType { params, results } }
    }

    fn qualified(&self) -> String {
        qualified_name(self.interface, self.name)
    }

    fn is(&self, function: &WorldFunction) -> bool {
        function.interface.as_deref() == self.interface && function.name == self.name
    }

    /// Same parameter and result types (parameter names aside).
    fn same_type(&self, ty: &FuncType) -> bool {
        self.ty.param_types().eq(ty.param_types()) && self.ty.results == ty.results
    }
}

/// `my:pkg/iface` of `my:pkg/iface@1.0.0`.
fn unversioned(interface: &str) -> &str {
    interface.split_once('@').map_or(interface, |(base, _)| base)
}

/// How a component differs from the world its bindings were made for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WorldMismatch {
    /// The component lacks an export the bindings call.
    #[error(
        "the component does not export `{name}: {expected}` that the bindings expect; build it against the same WIT world"
    )]
    MissingExport {
        /// The export, as `interface#function`.
        name: String,
        /// Its type in the bindings.
        expected: String,
    },
    /// An export has other types than the bindings expect.
    #[error(
        "the component exports `{name}` as `{found}` but the bindings expect `{expected}`; build it against the same WIT world"
    )]
    MistypedExport {
        /// The export, as `interface#function`.
        name: String,
        /// Its type in the bindings.
        expected: String,
        /// Its type in the component.
        found: String,
    },
    /// The component imports a function of a bound interface the bindings
    /// do not provide.
    #[error(
        "the component imports `{name}: {found}`, which the bindings' world does not provide; build it against the same WIT world"
    )]
    UnknownImport {
        /// The import, as `interface#function`.
        name: String,
        /// Its type in the component.
        found: String,
    },
    /// An import has other types than the bindings provide.
    #[error(
        "the component imports `{name}` as `{found}` but the bindings provide `{expected}`; build it against the same WIT world"
    )]
    MistypedImport {
        /// The import, as `interface#function`.
        name: String,
        /// Its type in the bindings.
        expected: String,
        /// Its type in the component.
        found: String,
    },
}

/// Checks `world` against the bindings' functions; returns the index in
/// `world.exports()` of each of `exports`.
pub(crate) fn check(
    world: &ComponentWorld,
    imports: &[ExpectedFunction],
    exports: &[ExpectedFunction],
) -> Result<Vec<usize>, WorldMismatch> {
    for import in world.imports() {
        // Another version of a bound interface is a mismatch too: the
        // bindings' host functions would not be linked to it.
        let bound =
            imports.iter().any(|e| e.interface.map(unversioned) == import.interface.as_deref().map(unversioned));
        if !bound {
            continue;
        }
        let name = import.qualified_name();
        match imports.iter().find(|e| e.is(import)) {
            None => return Err(WorldMismatch::UnknownImport { name, found: import.ty.to_string() }),
            Some(expected) if !expected.same_type(&import.ty) => {
                return Err(WorldMismatch::MistypedImport {
                    name,
                    expected: expected.ty.to_string(),
                    found: import.ty.to_string(),
                });
            }
            Some(_) => {}
        }
    }
    let mut indices = Vec::with_capacity(exports.len());
    for expected in exports {
        let Some(index) = world.exports().iter().position(|f| expected.is(f)) else {
            return Err(WorldMismatch::MissingExport { name: expected.qualified(), expected: expected.ty.to_string() });
        };
        let found = &world.exports()[index].ty;
        if !expected.same_type(found) {
            return Err(WorldMismatch::MistypedExport {
                name: expected.qualified(),
                expected: expected.ty.to_string(),
                found: found.to_string(),
            });
        }
        indices.push(index);
    }
    Ok(indices)
}
