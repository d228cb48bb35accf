//! A host program embedding featherlight: it runs the calculator component
//! (`examples/components/calculator`) in a micro-VM, provides the host
//! function the component imports, and calls a few exports.
//!
//! `cargo run -p featherlight-examples`

use anyhow::Context;
use featherlight::{Component, Config, Engine, Linker, Sandbox, Value};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

fn main() -> anyhow::Result<()> {
    let engine = Engine::new(Config::default())?;
    let component = Component::from_file(&engine, env!("CALCULATOR_WASM")).context("loading the calculator")?;

    // The one capability the calculator gets: a host function that counts
    // its calls and answers with the number it was given.
    let calls = Arc::new(AtomicU32::new(0));
    let mut linker = Linker::new();
    let counter = calls.clone();
    linker.func("featherlight:calculator/host", "record-call", move |args| {
        counter.fetch_add(1, Ordering::Relaxed);
        Ok(args.to_vec())
    });

    let mut sandbox = Sandbox::new(&component, &linker)?;
    let sum = sandbox.call("add", &[Value::U32(40), Value::U32(2)])?;
    println!("add(40, 2) = {}", featherlight::wasm::wave::display_results(&sum));
    let root = sandbox.call("sqrt", &[Value::Float64(2.0)])?;
    println!("sqrt(2) = {}", featherlight::wasm::wave::display_results(&root));
    let answer = sandbox.call("call-host", &[Value::U32(41)])?;
    println!(
        "call-host(41) = {} after {} host call(s)",
        featherlight::wasm::wave::display_results(&answer),
        calls.load(Ordering::Relaxed)
    );
    Ok(())
}
