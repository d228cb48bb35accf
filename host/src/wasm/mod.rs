//! The Wasm side of the host: the engine and compiled components, values and
//! their types, WAVE text, what a component's WIT world contains, and the
//! WASI an embedder grants.

pub mod cache;
pub mod command;
pub mod component;
pub mod engine;
pub mod types;
pub mod value;
pub mod wasi;
pub mod wave;
pub mod world;
