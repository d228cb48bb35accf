//! The code generator behind `featherlight::bindgen!`: reads a WIT world
//! with `wit-parser` and writes Rust source for typed bindings over
//! featherlight's dynamic `Value` path.
//!
//! What it writes, for a world `plugin`:
//!
//! - a module per interface (`my::pkg::kv`, `exports::my::pkg::api`) with
//!   its types: records and flags as structs, variants and enums as enums,
//!   all implementing `featherlight::ComponentType`;
//! - for an imported interface, a `Host` trait (one method per function,
//!   each returning `Result<_, featherlight::HostError>`) and
//!   `add_to_linker`;
//! - for an exported interface, a `Guest` struct with a typed `call_*`
//!   method per function;
//! - a world struct `Plugin` that checks a component against the world
//!   (`Plugin::new`), links host state (`Plugin::add_to_linker`,
//!   `Plugin::instantiate`) and calls the exports (`plugin.my_pkg_api()`,
//!   `plugin.call_*` for functions the world exports itself).
//!
//! The output is plain source text; the proc-macro parses it into tokens,
//! and the golden tests compare it with files under `tests/expanded`.

mod emit;
mod names;
mod out;
mod types;

use std::path::{Path, PathBuf};
use wit_parser::{Resolve, WorldId};

/// Why bindings cannot be generated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BindgenError {
    /// The WIT files cannot be read or are invalid.
    #[error("cannot read the WIT at {}: {message}", path.display())]
    Parse {
        /// The file or directory.
        path: PathBuf,
        /// `wit-parser`'s explanation.
        message: String,
    },
    /// The world asked for does not exist or none was named among several.
    #[error("cannot select the world: {0}")]
    World(String),
    /// The world uses something the bindings cannot carry yet.
    #[error("{what} is not supported by featherlight::bindgen! yet")]
    Unsupported {
        /// What, naming where it is used.
        what: String,
    },
}

/// Bindings as Rust source, with the files they were made from.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The Rust source.
    pub code: String,
    /// Every WIT file read (for rebuilds when one changes).
    pub files: Vec<PathBuf>,
    /// The world's name.
    pub world: String,
}

/// Generates bindings for `world` (or the only world) of the WIT package at
/// `path`, a directory (with an optional `deps/`) or a single file.
pub fn generate(path: &Path, world: Option<&str>) -> Result<Generated, BindgenError> {
    let mut resolve = Resolve::default();
    let (package, sources) = resolve
        .push_path(path)
        .map_err(|e| BindgenError::Parse { path: path.to_path_buf(), message: format!("{e:#}") })?;
    let world = resolve.select_world(&[package], world).map_err(|e| BindgenError::World(format!("{e:#}")))?;
    let code = generate_world(&resolve, world)?;
    Ok(Generated {
        code,
        files: sources.paths().map(Path::to_path_buf).collect(),
        world: resolve.worlds[world].name.clone(),
    })
}

/// Writes `generated` to `<dir>/<world>.rs` (what `FEATHERLIGHT_BINDGEN_DUMP`
/// asks for); returns the file.
pub fn dump(generated: &Generated, dir: &Path) -> std::io::Result<PathBuf> {
    let file = dir.join(format!("{}.rs", generated.world));
    std::fs::write(&file, &generated.code)?;
    Ok(file)
}

/// Generates bindings for `world` of `resolve`.
pub fn generate_world(resolve: &Resolve, world: WorldId) -> Result<String, BindgenError> {
    emit::World::new(resolve, world)?.emit()
}
