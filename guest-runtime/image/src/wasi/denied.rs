//! `wasi:sockets` (and any interface defined from its types alone): it links
//! so components that import it run, but nothing is granted. A list result
//! is empty; a call that can fail with an error code fails with `access` /
//! `access-denied`; anything else traps with a "not granted" error.

use crate::import_failure::ImportFailure;
use crate::store::Host;
use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use featherlight_abi::fb;
use wasmtime::component::types::{ComponentFunc, ComponentItem, Type};
use wasmtime::component::{LinkerInstance, Val};

/// How a denied function answers.
enum Answer {
    /// An empty list (`get-directories`: nothing is preopened).
    Empty,
    /// `none` (`filesystem-error-code`: no error code to tell).
    None,
    /// `err(case)` of the function's error-code enum.
    Denied(String),
    /// A trap naming the function and the capability.
    NotGranted(String),
}

/// Defines every function of the imported instance `name` (of type `ty`).
pub fn define(
    instance: &mut LinkerInstance<'_, Host>,
    name: &str,
    ty: &ComponentItem,
    engine: &wasmtime::Engine,
) -> wasmtime::Result<()> {
    let ComponentItem::ComponentInstance(instance_ty) = ty else { return Ok(()) };
    let capability = if name.starts_with("wasi:filesystem") { "filesystem access" } else { "network access" };
    let functions: Vec<(String, ComponentFunc)> = instance_ty
        .exports(engine)
        .filter_map(|(func_name, item)| match item.ty {
            ComponentItem::ComponentFunc(func) => Some((func_name.to_string(), func)),
            _ => None,
        })
        .collect();
    for (func_name, func) in functions {
        let answer = answer(&func).unwrap_or_else(|| {
            Answer::NotGranted(alloc::format!(
                "`{name}#{func_name}`: {capability} is not granted to this sandbox (featherlight grants no \
                 filesystem or network access)"
            ))
        });
        instance.func_new(&func_name, move |_, _, _, results: &mut [Val]| {
            let value = match &answer {
                Answer::Empty => Val::List(Vec::new()),
                Answer::None => Val::Option(None),
                Answer::Denied(case) => Val::Result(Err(Some(Box::new(Val::Enum(case.clone()))))),
                Answer::NotGranted(message) => {
                    return Err(wasmtime::Error::new(ImportFailure {
                        sizes: None,
                        kind: fb::ErrorKind::NotGranted,
                        message: message.clone(),
                    }));
                }
            };
            if let Some(slot) = results.first_mut() {
                *slot = value;
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// The answer a function's result type allows without granting anything.
fn answer(func: &ComponentFunc) -> Option<Answer> {
    let mut results = func.results();
    let result = results.next()?;
    if results.next().is_some() {
        return None;
    }
    match result {
        Type::List(_) => Some(Answer::Empty),
        Type::Option(_) => Some(Answer::None),
        Type::Result(result) => match result.err()? {
            Type::Enum(codes) => codes
                .names()
                .find(|case| *case == "access" || *case == "access-denied")
                .map(|case| Answer::Denied(case.to_string())),
            _ => None,
        },
        _ => None,
    }
}
