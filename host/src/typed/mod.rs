//! Typed values: Rust types that stand for WIT types, converted to and from
//! the dynamic [`Value`] model at the boundary.
//!
//! [`bindgen!`](crate::bindgen) generates Rust types for a world's records,
//! variants, enums and flags and implements [`ComponentType`] for them; this
//! module implements it for the types WIT's built-in types map to
//! (`bool`, integers, floats, `char`, `String`, `Vec<T>`, `Option<T>`,
//! `Result<T, E>`, tuples). Typed bindings are built on the dynamic path, not
//! beside it: every typed call becomes a [`Value`] call.

mod check;
mod resource;
#[doc(hidden)]
pub mod support;

pub use check::WorldMismatch;
pub use resource::{Borrow, Own, Resource};

use crate::wasm::types::TypeError;
use crate::{Value, ValueType};

/// A Rust type that stands for a WIT type.
pub trait ComponentType: Sized {
    /// The WIT type, for checking a component's world against bindings.
    fn value_type() -> ValueType;
    /// This value as a dynamic [`Value`].
    fn to_value(&self) -> Value;
    /// The Rust value of a dynamic [`Value`], or why it does not fit.
    fn from_value(value: &Value) -> Result<Self, TypeError>;
}

/// What can be passed where a WIT value is expected: every
/// [`ComponentType`], plus `str` for `string` and slices for `list<T>`, so
/// typed calls take `&str` and `&[T]` like wasmtime's.
pub trait Lower {
    /// This value as a dynamic [`Value`].
    fn to_value(&self) -> Value;
}

impl<T: ComponentType> Lower for T {
    fn to_value(&self) -> Value {
        ComponentType::to_value(self)
    }
}

impl Lower for str {
    fn to_value(&self) -> Value {
        Value::String(self.to_string())
    }
}

impl<T: Lower> Lower for [T] {
    fn to_value(&self) -> Value {
        Value::List(self.iter().map(Lower::to_value).collect())
    }
}

/// A side of a `result` (or a variant case): a type, or `()` for no payload.
pub trait Payload: Sized {
    /// The payload's type, `None` for `()`.
    fn payload_type() -> Option<ValueType>;
    /// The payload as a value, `None` for `()`.
    fn to_payload(&self) -> Option<Box<Value>>;
    /// The Rust value of a payload; `case` names it in errors.
    fn from_payload(payload: Option<&Value>, case: &str) -> Result<Self, TypeError>;
}

impl<T: ComponentType> Payload for T {
    fn payload_type() -> Option<ValueType> {
        Some(T::value_type())
    }

    fn to_payload(&self) -> Option<Box<Value>> {
        Some(Box::new(self.to_value()))
    }

    fn from_payload(payload: Option<&Value>, case: &str) -> Result<Self, TypeError> {
        match payload {
            Some(value) => support::within(T::from_value(value), &format!(".{case}")),
            None => Err(support::mismatch(&format!("`{case}` takes a payload but none was given"))),
        }
    }
}

impl Payload for () {
    fn payload_type() -> Option<ValueType> {
        None
    }

    fn to_payload(&self) -> Option<Box<Value>> {
        None
    }

    fn from_payload(payload: Option<&Value>, case: &str) -> Result<Self, TypeError> {
        match payload {
            None => Ok(()),
            Some(_) => Err(support::mismatch(&format!("`{case}` takes no payload but one was given"))),
        }
    }
}

macro_rules! primitive {
    ($($rust:ty => $case:ident),* $(,)?) => {$(
        impl ComponentType for $rust {
            fn value_type() -> ValueType {
                ValueType::$case
            }

            fn to_value(&self) -> Value {
                Value::$case(self.clone())
            }

            fn from_value(value: &Value) -> Result<Self, TypeError> {
                match value {
                    Value::$case(v) => Ok(v.clone()),
                    other => Err(support::expected(stringify!($rust), other)),
                }
            }
        }
    )*};
}

primitive! {
    bool => Bool, i8 => S8, u8 => U8, i16 => S16, u16 => U16, i32 => S32, u32 => U32, i64 => S64, u64 => U64,
    f32 => Float32, f64 => Float64, char => Char, String => String,
}

impl<T: ComponentType> ComponentType for Vec<T> {
    fn value_type() -> ValueType {
        ValueType::list(T::value_type())
    }

    fn to_value(&self) -> Value {
        Value::List(self.iter().map(ComponentType::to_value).collect())
    }

    fn from_value(value: &Value) -> Result<Self, TypeError> {
        match value {
            Value::List(items) => {
                items.iter().enumerate().map(|(i, v)| support::within(T::from_value(v), &format!("[{i}]"))).collect()
            }
            other => Err(support::expected("list", other)),
        }
    }
}

impl<T: ComponentType> ComponentType for Option<T> {
    fn value_type() -> ValueType {
        ValueType::option(T::value_type())
    }

    fn to_value(&self) -> Value {
        Value::Option(self.as_ref().map(|v| Box::new(v.to_value())))
    }

    fn from_value(value: &Value) -> Result<Self, TypeError> {
        match value {
            Value::Option(None) => Ok(None),
            Value::Option(Some(v)) => support::within(T::from_value(v), ".some").map(Some),
            other => Err(support::expected("option", other)),
        }
    }
}

impl<T: Payload, E: Payload> ComponentType for Result<T, E> {
    fn value_type() -> ValueType {
        ValueType::result(T::payload_type(), E::payload_type())
    }

    fn to_value(&self) -> Value {
        Value::Result(match self {
            Ok(v) => Ok(v.to_payload()),
            Err(e) => Err(e.to_payload()),
        })
    }

    fn from_value(value: &Value) -> Result<Self, TypeError> {
        match value {
            Value::Result(Ok(v)) => T::from_payload(v.as_deref(), "ok").map(Ok),
            Value::Result(Err(e)) => E::from_payload(e.as_deref(), "err").map(Err),
            other => Err(support::expected("result", other)),
        }
    }
}

macro_rules! tuple {
    ($(($($name:ident $index:tt),+))*) => {$(
        impl<$($name: ComponentType),+> ComponentType for ($($name,)+) {
            fn value_type() -> ValueType {
                ValueType::tuple([$($name::value_type()),+])
            }

            fn to_value(&self) -> Value {
                Value::Tuple(vec![$(self.$index.to_value()),+])
            }

            fn from_value(value: &Value) -> Result<Self, TypeError> {
                const LEN: usize = [$(stringify!($name)),+].len();
                match value {
                    Value::Tuple(items) if items.len() == LEN => Ok(($(
                        support::within($name::from_value(&items[$index]), concat!(".", stringify!($index)))?,
                    )+)),
                    Value::Tuple(items) => {
                        Err(support::mismatch(&format!("expected a {LEN}-tuple, found {} elements", items.len())))
                    }
                    other => Err(support::expected("tuple", other)),
                }
            }
        }
    )*};
}

tuple! {
    (A 0)
    (A 0, B 1)
    (A 0, B 1, C 2)
    (A 0, B 1, C 2, D 3)
    (A 0, B 1, C 2, D 3, E 4)
    (A 0, B 1, C 2, D 3, E 4, F 5)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: ComponentType + PartialEq + std::fmt::Debug>(value: T) {
        let dynamic = ComponentType::to_value(&value);
        T::value_type().check(&dynamic).expect("the value has its type");
        assert_eq!(T::from_value(&dynamic).unwrap(), value);
    }

    #[test]
    fn built_in_types_round_trip() {
        round_trip(true);
        round_trip(-5i8);
        round_trip(u64::MAX);
        round_trip(f32::NEG_INFINITY);
        round_trip('😀');
        round_trip("text".to_string());
        round_trip(vec![vec![1u8, 2], vec![]]);
        round_trip(Some(Some(3u32)));
        round_trip(Ok::<(), String>(()));
        round_trip(Err::<u8, ()>(()));
        round_trip((1u8, "x".to_string(), 2.5f64));
    }

    #[test]
    fn mismatches_say_where() {
        let value = Value::List(vec![Value::U8(1), Value::String("no".into())]);
        let e = Vec::<u8>::from_value(&value).unwrap_err();
        assert!(matches!(&e, TypeError::Mismatch { path, .. } if path == "[1]"), "{e}");
        let e = <(u8, u8)>::from_value(&Value::Tuple(vec![Value::U8(1)])).unwrap_err();
        assert!(e.to_string().contains("2-tuple"), "{e}");
        let e = Result::<(), u8>::from_value(&Value::Result(Ok(Some(Box::new(Value::U8(1)))))).unwrap_err();
        assert!(e.to_string().contains("`ok` takes no payload"), "{e}");
    }

    #[test]
    fn slices_and_strs_lower_like_owned_values() {
        assert_eq!(Lower::to_value("a"), ComponentType::to_value(&"a".to_string()));
        assert_eq!(Lower::to_value(&[1u16, 2][..]), ComponentType::to_value(&vec![1u16, 2]));
    }
}
