//! The Wasm side of the host: the engine and compiled components, values and
//! their types, WAVE text, the wire codec for values, and what a component's
//! WIT world contains, and
//! the WASI an embedder grants.

pub mod cache;
pub(crate) mod codec;
pub mod component;
pub mod engine;
pub mod types;
pub mod value;
pub mod wasi;
pub mod wave;
pub mod world;
