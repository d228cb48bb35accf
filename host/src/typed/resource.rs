//! Typed resource handles: `own<R>` as [`Own<R>`], `borrow<R>` as
//! [`Borrow<R>`], where `R` is a marker type the bindings generate per
//! resource ([`Resource`]).
//!
//! For a resource the host defines, the number inside is the application's
//! own representation of the object (its *rep*: an index into its own
//! table, say); the sandbox maps it to the handle the guest sees and checks
//! every handle that comes back. For a resource the component exports, it
//! is the guest's handle, opaque to the host.

use super::ComponentType;
use crate::wasm::types::{ResourceType, TypeError};
use crate::{Value, ValueType};
use std::fmt;
use std::marker::PhantomData;

/// A WIT resource, as the bindings name it.
pub trait Resource: 'static {
    /// `interface#resource`, as the component's world names it.
    const NAME: &'static str;
    /// Whether the host defines it (the component imports it).
    const HOST: bool;
}

fn resource_type<R: Resource>() -> ResourceType {
    ResourceType { name: R::NAME.into(), host: R::HOST }
}

macro_rules! handle {
    ($name:ident, $variant:ident, $doc:literal) => {
        #[doc = $doc]
        pub struct $name<R> {
            rep: u32,
            resource: PhantomData<fn() -> R>,
        }

        impl<R> $name<R> {
            /// A handle with number `rep`.
            pub fn new(rep: u32) -> Self {
                Self { rep, resource: PhantomData }
            }

            /// The handle's number.
            pub fn rep(&self) -> u32 {
                self.rep
            }
        }

        // By hand: derives would require `R` to implement them too.
        impl<R> Clone for $name<R> {
            fn clone(&self) -> Self {
                Self::new(self.rep)
            }
        }

        impl<R> PartialEq for $name<R> {
            fn eq(&self, other: &Self) -> bool {
                self.rep == other.rep
            }
        }

        impl<R> fmt::Debug for $name<R> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.rep)
            }
        }

        impl<R: Resource> ComponentType for $name<R> {
            fn value_type() -> ValueType {
                ValueType::$variant(resource_type::<R>())
            }

            fn to_value(&self) -> Value {
                Value::$variant(self.rep)
            }

            fn from_value(value: &Value) -> Result<Self, TypeError> {
                match value {
                    Value::$variant(rep) => Ok(Self::new(*rep)),
                    other => Err(super::support::mismatch(&format!(
                        "expected a `{}` handle to `{}`, found a `{}` value",
                        stringify!($variant).to_lowercase(),
                        R::NAME,
                        other.kind_name()
                    ))),
                }
            }
        }
    };
}

handle!(Own, Own, "An owned handle, `own<R>`.");
handle!(Borrow, Borrow, "A borrowed handle, `borrow<R>`.");

#[cfg(test)]
mod tests {
    use super::*;

    struct Blob;
    impl Resource for Blob {
        const NAME: &'static str = "t:t/i#blob";
        const HOST: bool = true;
    }

    #[test]
    fn handles_convert_and_check_their_kind() {
        let own = Own::<Blob>::new(7);
        assert_eq!(own.to_value(), Value::Own(7));
        assert_eq!(Own::<Blob>::from_value(&Value::Own(7)).unwrap(), own);
        assert!(Own::<Blob>::from_value(&Value::Borrow(7)).is_err());
        assert_eq!(Borrow::<Blob>::value_type().to_string(), "borrow<t:t/i#blob>");
        assert_eq!(format!("{:?}", Borrow::<Blob>::new(3)), "Borrow(3)");
    }
}
