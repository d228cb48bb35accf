//! The Wasm side of the host: the engine and compiled components, values and
//! their types, WAVE text, and what a component's
//! WIT world contains.

pub mod cache;
pub mod component;
pub mod engine;
pub mod types;
pub mod value;
pub mod wave;
pub mod world;
