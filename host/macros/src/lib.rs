//! `featherlight::bindgen!`: a thin proc-macro over `featherlight-bindgen`.
//!
//! ```ignore
//! featherlight::bindgen!({ path: "wit", world: "plugin" });
//! ```
//!
//! `path` (default `"wit"`) is relative to the crate's `Cargo.toml`; `world`
//! may be left out when the package has one world. Set
//! `FEATHERLIGHT_BINDGEN_DUMP` to a directory to get the generated code
//! written there as `<world>.rs`.

use proc_macro::{Delimiter, Literal, TokenStream, TokenTree};
use std::path::PathBuf;

/// Generates typed bindings for a WIT world; see the `featherlight` crate.
#[proc_macro]
pub fn bindgen(input: TokenStream) -> TokenStream {
    match expand(input) {
        Ok(tokens) => tokens,
        Err(message) => compile_error(&message),
    }
}

fn expand(input: TokenStream) -> Result<TokenStream, String> {
    let options = Options::parse(input)?;
    let root = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from).unwrap_or_default();
    let path = root.join(&options.path);
    let generated = featherlight_bindgen::generate(&path, options.world.as_deref()).map_err(|e| e.to_string())?;
    if let Some(dir) = std::env::var_os("FEATHERLIGHT_BINDGEN_DUMP") {
        let dir = PathBuf::from(dir);
        featherlight_bindgen::dump(&generated, &dir)
            .map_err(|e| format!("FEATHERLIGHT_BINDGEN_DUMP: cannot write to {}: {e}", dir.display()))?;
    }
    let mut code = generated.code;
    // Rebuild when a WIT file changes.
    for file in &generated.files {
        code.push_str(&format!("const _: &[u8] = include_bytes!({:?});\n", file.display().to_string()));
    }
    code.parse().map_err(|e| format!("featherlight::bindgen! generated invalid Rust ({e:?}); please report this"))
}

/// The macro's arguments.
struct Options {
    path: String,
    world: Option<String>,
}

impl Options {
    /// Parses `{ path: "...", world: "..." }` (braces optional).
    fn parse(input: TokenStream) -> Result<Self, String> {
        let mut tokens: Vec<TokenTree> = input.into_iter().collect();
        if let [TokenTree::Group(group)] = tokens.as_slice()
            && group.delimiter() == Delimiter::Brace
        {
            tokens = group.stream().into_iter().collect();
        }
        let mut options = Options { path: "wit".to_string(), world: None };
        let mut rest = tokens.as_slice();
        while !rest.is_empty() {
            let (key, value, tail) = match rest {
                [TokenTree::Ident(key), TokenTree::Punct(colon), TokenTree::Literal(value), tail @ ..]
                    if colon.as_char() == ':' =>
                {
                    (key.to_string(), string(value)?, tail)
                }
                _ => return Err("expected `key: \"value\"` (keys: path, world)".to_string()),
            };
            match key.as_str() {
                "path" => options.path = value,
                "world" => options.world = Some(value),
                other => return Err(format!("unknown option `{other}` (known: path, world)")),
            }
            rest = match tail {
                [TokenTree::Punct(comma), tail @ ..] if comma.as_char() == ',' => tail,
                [] => tail,
                _ => return Err("expected `,` between options".to_string()),
            };
        }
        Ok(options)
    }
}

/// The contents of a plain string literal.
fn string(literal: &Literal) -> Result<String, String> {
    let text = literal.to_string();
    match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) if !inner.contains('\\') => Ok(inner.to_string()),
        _ => Err(format!("expected a plain string literal, found {text}")),
    }
}

fn compile_error(message: &str) -> TokenStream {
    format!("::core::compile_error!({message:?});").parse().unwrap_or_default()
}
