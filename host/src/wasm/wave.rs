//! WAVE text for values, types and `--invoke` calls, through wasm-wave's own
//! parser and writer so text reads and prints exactly as
//! `wasmtime run --invoke` does.
//!
//! [`Value`] implements wasm-wave's `WasmValue` and [`ValueType`](crate::ValueType) its
//! `WasmType` in `featherlight-wire`, next to the types; [`Value::to_wave`]
//! and [`Value::from_wave`] live there too. Everything else here is glue.

use super::value::Value;
use super::world::{ComponentWorld, WorldError};
pub use featherlight_wire::wave::WaveValueError;
use wasm_wave::untyped::UntypedFuncCall;
use wasm_wave::wasm::DisplayFuncResults;

/// Why WAVE text could not be turned into values.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WaveError {
    /// The text is not a WAVE value of the expected type.
    #[error(transparent)]
    Value(#[from] WaveValueError),
    /// The text is not a function call.
    #[error(
        "cannot read `{text}` as a function call: {message}; write `name(arg, ...)`, \
         for example `add(1, 2)` or `my:pkg/iface.add(1, 2)`"
    )]
    Call {
        /// The text.
        text: String,
        /// wasm-wave's explanation.
        message: String,
    },
    /// The call's arguments do not fit the function's parameters.
    #[error("the arguments of `{text}` do not fit `{function}: {ty}`: {message}")]
    Arguments {
        /// The call's text.
        text: String,
        /// The function called.
        function: String,
        /// Its type.
        ty: String,
        /// wasm-wave's explanation.
        message: String,
    },
    /// The function named is not an export of the component.
    #[error(transparent)]
    World(#[from] WorldError),
}

/// Parses `call` (`add(1, 2)`, `my:pkg/iface.add(1, 2)`, versioned
/// `my:pkg/iface.add@1.0.0(1, 2)`) against `world`'s exports: returns the
/// export's index in [`ComponentWorld::exports`] and its arguments. As with
/// wasmtime, trailing `option` arguments may be left out (they are `none`).
pub fn parse_invoke(call: &str, world: &ComponentWorld) -> Result<(usize, Vec<Value>), WaveError> {
    let parsed =
        UntypedFuncCall::parse(call).map_err(|e| WaveError::Call { text: call.to_string(), message: e.to_string() })?;
    let index = world.find_export(parsed.name())?;
    let export = world.exports().get(index).ok_or_else(|| WorldError::NoExport { name: parsed.name().to_string() })?;
    let args = parsed.to_wasm_params::<Value>(export.ty.param_types()).map_err(|e| WaveError::Arguments {
        text: call.to_string(),
        function: export.item_name(),
        ty: export.ty.to_string(),
        message: e.to_string(),
    })?;
    Ok((index, args))
}

/// Prints a call's results the way `wasmtime run --invoke` does: one result
/// as its WAVE value, none or several as a parenthesized list. No newline.
pub fn display_results(results: &[Value]) -> String {
    DisplayFuncResults(results).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wasm::types::ValueType;
    use crate::wasm::world::tests::component;

    fn some(v: Value) -> Value {
        Value::Option(Some(Box::new(v)))
    }

    #[test]
    fn display_matches_wasmtime() {
        // Expected strings are what `wasmtime run --invoke` 48 prints for
        // the same `Val`s: both go through wasm-wave's writer.
        let record = Value::Record(vec![
            ("a".into(), Value::U32(1)),
            ("b".into(), Value::Option(None)),
            ("c".into(), some(Value::String("x".into()))),
        ]);
        for (value, text) in [
            (record, r#"{a: 1, c: some("x")}"#),
            (Value::Record(vec![("b".into(), Value::Option(None))]), "{:}"),
            (Value::Float64(1.5), "1.5"),
            (Value::Float64(-0.0), "-0"),
            (Value::Float32(f32::from_bits(0x7fc0_1234)), "nan"),
            (Value::Float64(f64::NEG_INFINITY), "-inf"),
            (Value::Float64(1e21), "1000000000000000000000"),
            (Value::Float32(1e-7), "0.0000001"),
            (Value::Variant("true".into(), None), "%true"),
            (Value::Variant("some".into(), Some(Box::new(Value::U8(1)))), "%some(1)"),
            (Value::Enum("inf".into()), "%inf"),
            (Value::Enum("red".into()), "red"),
            (Value::Char('\''), r"'\''"),
            (Value::String("a\"b\n\u{7}é".into()), r#""a\"b\n\u{7}é""#),
            (Value::List(vec![Value::U8(1), Value::U8(2)]), "[1, 2]"),
            (Value::Tuple(vec![Value::S8(-1), Value::Bool(true)]), "(-1, true)"),
            (Value::Result(Ok(None)), "ok"),
            (Value::Result(Err(Some(Box::new(Value::String("no".into()))))), r#"err("no")"#),
            (Value::Flags(vec!["read".into(), "write".into()]), "{read, write}"),
            (Value::Flags(vec![]), "{}"),
        ] {
            assert_eq!(value.to_wave(), text, "{value:?}");
        }
        assert_eq!(display_results(&[]), "()");
        assert_eq!(display_results(&[Value::S32(3)]), "3");
        assert_eq!(display_results(&[Value::S32(3), Value::Bool(false)]), "(3, false)");
    }

    #[test]
    fn from_wave_types_the_text() {
        let point = ValueType::record([("x", ValueType::S32), ("y", ValueType::option(ValueType::U8))]);
        let value = Value::from_wave(&point, "{y: some(2), x: -1}").unwrap();
        assert_eq!(value, Value::Record(vec![("x".into(), Value::S32(-1)), ("y".into(), some(Value::U8(2)))]));
        // Missing option fields are `none`, as in WAVE.
        assert_eq!(
            Value::from_wave(&point, "{x: 1}").unwrap(),
            Value::Record(vec![("x".into(), Value::S32(1)), ("y".into(), Value::Option(None))])
        );
        let flags = ValueType::flags(["a", "b", "c"]);
        assert_eq!(Value::from_wave(&flags, "{c, a}").unwrap(), Value::Flags(vec!["a".into(), "c".into()]));
        let keyword = ValueType::variant([("true", None), ("x", Some(ValueType::Float32))]);
        assert_eq!(Value::from_wave(&keyword, "%true").unwrap(), Value::Variant("true".into(), None));
        let Value::Variant(_, Some(nan)) = Value::from_wave(&keyword, "x(nan)").unwrap() else { panic!() };
        assert!(matches!(*nan, Value::Float32(f) if f.is_nan()));
        let bytes = ValueType::list(ValueType::U8);
        assert_eq!(Value::from_wave(&bytes, "[]").unwrap(), Value::List(vec![]));

        // Like wasmtime (both use wasm-wave's reader), unknown record fields
        // are ignored rather than rejected.
        assert!(Value::from_wave(&point, "{x: 1, z: 2}").is_ok());
        for (ty, text) in
            [(&point, "{y: none}"), (&flags, "{d}"), (&bytes, "[256]"), (&keyword, "x"), (&ValueType::Char, "'ab'")]
        {
            let error = Value::from_wave(ty, text).unwrap_err();
            assert!(error.to_string().starts_with(&format!("cannot read `{text}` as a `{ty}`")), "{error}");
        }
    }

    #[test]
    fn wave_round_trips() {
        let ty = ValueType::tuple([
            ValueType::list(ValueType::String),
            ValueType::result(Some(ValueType::Char), Some(ValueType::enumeration(["none", "x"]))),
            ValueType::Float64,
        ]);
        let value = Value::Tuple(vec![
            Value::List(vec![Value::String("é\u{0}".into())]),
            Value::Result(Err(Some(Box::new(Value::Enum("none".into()))))),
            Value::Float64(-2.5e-300),
        ]);
        assert_eq!(Value::from_wave(&ty, &value.to_wave()).unwrap(), value);
    }

    #[test]
    fn parse_invoke_finds_the_export_and_types_arguments() {
        let world = ComponentWorld::from_component(&component()).unwrap();
        let (index, args) = parse_invoke("add(1, 2)", &world).unwrap();
        assert_eq!(world.exports()[index].name, "add");
        assert_eq!(args, vec![Value::S32(1), Value::S32(2)]);

        let (index, args) = parse_invoke("t:demo/shapes.area({w: 1.5, h: 2})", &world).unwrap();
        assert_eq!(world.exports()[index].interface.as_deref(), Some("t:demo/shapes@1.2.0"));
        assert_eq!(
            args,
            vec![Value::Record(vec![("w".into(), Value::Float64(1.5)), ("h".into(), Value::Float64(2.0))])]
        );
        let (versioned, _) = parse_invoke("t:demo/shapes.area@1.2.0({w: 1.5, h: 2})", &world).unwrap();
        assert_eq!(versioned, index);

        // A trailing option argument may be left out.
        let (_, args) = parse_invoke("greet(\"bob\")", &world).unwrap();
        assert_eq!(args, vec![Value::String("bob".into()), Value::Option(None)]);

        assert!(matches!(parse_invoke("add(1, 2", &world), Err(WaveError::Call { .. })));
        assert!(matches!(parse_invoke("nope()", &world), Err(WaveError::World(WorldError::NoExport { .. }))));
        let error = parse_invoke("add(1, \"x\")", &world).unwrap_err();
        assert!(matches!(error, WaveError::Arguments { .. }), "{error}");
        assert!(error.to_string().contains("`add: func(a: s32, b: s32) -> s32`"), "{error}");
        assert!(parse_invoke("add(1)", &world).unwrap_err().to_string().contains("missing required param"));
    }
}
