/// Typed bindings of world `values`: checks a component against it, links the host's
/// implementation of its imports and calls its exports.
#[allow(clippy::all)]
#[derive(Debug, Clone)]
pub struct Values {
    test_values_echo: exports::test::values::echo::Guest,
    test_values_math: exports::test::values::math::Guest,
}

#[allow(clippy::all)]
impl Values {
    /// Checks that `component` fits world `values`; the error names the first
    /// missing or mistyped import or export.
    pub fn new(component: &::featherlight::Component) -> ::std::result::Result<Self, ::featherlight::Error> {
        let mut imports: ::std::vec::Vec<::featherlight::typed::support::Function> = ::std::vec::Vec::new();
        imports.extend(test::values::host::__functions());
        let mut exports: ::std::vec::Vec<::featherlight::typed::support::Function> = ::std::vec::Vec::new();
        exports.extend(exports::test::values::echo::Guest::__functions());
        exports.extend(exports::test::values::math::Guest::__functions());
        let mut indices = ::featherlight::typed::support::check_world(component, &imports, &exports)?.into_iter();
        ::std::result::Result::Ok(Self {
            test_values_echo: exports::test::values::echo::Guest::__new(&mut indices),
            test_values_math: exports::test::values::math::Guest::__new(&mut indices),
        })
    }

    /// Registers the host's implementation of every import in `linker`; each call
    /// locks `state`.
    pub fn add_to_linker<T: test::values::host::Host + ::std::marker::Send + 'static>(linker: &mut ::featherlight::Linker, state: &::std::sync::Arc<::std::sync::Mutex<T>>) {
        test::values::host::add_to_linker(linker, state);
    }

    /// Checks `component` against the world, then starts a sandbox of it with the
    /// host functions of `linker` plus the host's implementation of the world's imports.
    pub fn instantiate<T: test::values::host::Host + ::std::marker::Send + 'static>(component: &::featherlight::Component, linker: &::featherlight::Linker, state: &::std::sync::Arc<::std::sync::Mutex<T>>) -> ::std::result::Result<(Self, ::featherlight::Sandbox), ::featherlight::Error> {
        let bindings = Self::new(component)?;
        let mut linker = linker.clone();
        Self::add_to_linker(&mut linker, state);
        let sandbox = ::featherlight::Sandbox::new(component, &linker)?;
        ::std::result::Result::Ok((bindings, sandbox))
    }

    /// Typed calls of export `test:values/echo`.
    pub fn test_values_echo(&self) -> &exports::test::values::echo::Guest {
        &self.test_values_echo
    }

    /// Typed calls of export `test:values/math`.
    pub fn test_values_math(&self) -> &exports::test::values::math::Guest {
        &self.test_values_math
    }
}

#[allow(clippy::all)]
pub mod exports {

    pub mod test {

        pub mod values {

            pub mod echo {
                //! `echo-<type>` returns its argument; `via-host-<type>` passes its argument
                //! to the host's `echo-<type>` and returns what the host returned.

                pub type Point = super::super::super::super::test::values::types::Point;

                pub type Shape = super::super::super::super::test::values::types::Shape;

                pub type Color = super::super::super::super::test::values::types::Color;

                pub type Permissions = super::super::super::super::test::values::types::Permissions;

                /// Typed calls of the component's `test:values/echo` export.
                #[derive(Debug, Clone)]
                pub struct Guest {
                    echo_bool: usize,
                    echo_s8: usize,
                    echo_u8: usize,
                    echo_s16: usize,
                    echo_u16: usize,
                    echo_s32: usize,
                    echo_u32: usize,
                    echo_s64: usize,
                    echo_u64: usize,
                    echo_f32: usize,
                    echo_f64: usize,
                    echo_char: usize,
                    echo_string: usize,
                    echo_bytes: usize,
                    echo_strings: usize,
                    echo_record: usize,
                    echo_tuple: usize,
                    echo_variant: usize,
                    echo_enum: usize,
                    echo_option: usize,
                    echo_result: usize,
                    echo_flags: usize,
                    via_host_bool: usize,
                    via_host_s8: usize,
                    via_host_u8: usize,
                    via_host_s16: usize,
                    via_host_u16: usize,
                    via_host_s32: usize,
                    via_host_u32: usize,
                    via_host_s64: usize,
                    via_host_u64: usize,
                    via_host_f32: usize,
                    via_host_f64: usize,
                    via_host_char: usize,
                    via_host_string: usize,
                    via_host_bytes: usize,
                    via_host_strings: usize,
                    via_host_record: usize,
                    via_host_tuple: usize,
                    via_host_variant: usize,
                    via_host_enum: usize,
                    via_host_option: usize,
                    via_host_result: usize,
                    via_host_flags: usize,
                }

                impl Guest {
                    #[doc(hidden)]
                    pub fn __functions() -> ::std::vec::Vec<::featherlight::typed::support::Function> {
                        ::std::vec![
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "echo-bool", ::std::vec![("x", <bool as ::featherlight::ComponentType>::value_type())], ::std::vec![<bool as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "echo-s8", ::std::vec![("x", <i8 as ::featherlight::ComponentType>::value_type())], ::std::vec![<i8 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "echo-u8", ::std::vec![("x", <u8 as ::featherlight::ComponentType>::value_type())], ::std::vec![<u8 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "echo-s16", ::std::vec![("x", <i16 as ::featherlight::ComponentType>::value_type())], ::std::vec![<i16 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "echo-u16", ::std::vec![("x", <u16 as ::featherlight::ComponentType>::value_type())], ::std::vec![<u16 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "echo-s32", ::std::vec![("x", <i32 as ::featherlight::ComponentType>::value_type())], ::std::vec![<i32 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "echo-u32", ::std::vec![("x", <u32 as ::featherlight::ComponentType>::value_type())], ::std::vec![<u32 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "echo-s64", ::std::vec![("x", <i64 as ::featherlight::ComponentType>::value_type())], ::std::vec![<i64 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "echo-u64", ::std::vec![("x", <u64 as ::featherlight::ComponentType>::value_type())], ::std::vec![<u64 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "echo-f32", ::std::vec![("x", <f32 as ::featherlight::ComponentType>::value_type())], ::std::vec![<f32 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "echo-f64", ::std::vec![("x", <f64 as ::featherlight::ComponentType>::value_type())], ::std::vec![<f64 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "echo-char", ::std::vec![("x", <char as ::featherlight::ComponentType>::value_type())], ::std::vec![<char as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "echo-string", ::std::vec![("x", <::std::string::String as ::featherlight::ComponentType>::value_type())], ::std::vec![<::std::string::String as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "echo-bytes", ::std::vec![("x", <::std::vec::Vec<u8> as ::featherlight::ComponentType>::value_type())], ::std::vec![<::std::vec::Vec<u8> as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "echo-strings", ::std::vec![("x", <::std::vec::Vec<::std::string::String> as ::featherlight::ComponentType>::value_type())], ::std::vec![<::std::vec::Vec<::std::string::String> as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "echo-record", ::std::vec![("x", <super::super::super::super::exports::test::values::echo::Point as ::featherlight::ComponentType>::value_type())], ::std::vec![<super::super::super::super::exports::test::values::echo::Point as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "echo-tuple", ::std::vec![("x", <(u32, ::std::string::String, f64) as ::featherlight::ComponentType>::value_type())], ::std::vec![<(u32, ::std::string::String, f64) as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "echo-variant", ::std::vec![("x", <super::super::super::super::exports::test::values::echo::Shape as ::featherlight::ComponentType>::value_type())], ::std::vec![<super::super::super::super::exports::test::values::echo::Shape as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "echo-enum", ::std::vec![("x", <super::super::super::super::exports::test::values::echo::Color as ::featherlight::ComponentType>::value_type())], ::std::vec![<super::super::super::super::exports::test::values::echo::Color as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "echo-option", ::std::vec![("x", <::std::option::Option<u32> as ::featherlight::ComponentType>::value_type())], ::std::vec![<::std::option::Option<u32> as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "echo-result", ::std::vec![("x", <::std::result::Result<::std::string::String, u32> as ::featherlight::ComponentType>::value_type())], ::std::vec![<::std::result::Result<::std::string::String, u32> as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "echo-flags", ::std::vec![("x", <super::super::super::super::exports::test::values::echo::Permissions as ::featherlight::ComponentType>::value_type())], ::std::vec![<super::super::super::super::exports::test::values::echo::Permissions as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "via-host-bool", ::std::vec![("x", <bool as ::featherlight::ComponentType>::value_type())], ::std::vec![<bool as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "via-host-s8", ::std::vec![("x", <i8 as ::featherlight::ComponentType>::value_type())], ::std::vec![<i8 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "via-host-u8", ::std::vec![("x", <u8 as ::featherlight::ComponentType>::value_type())], ::std::vec![<u8 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "via-host-s16", ::std::vec![("x", <i16 as ::featherlight::ComponentType>::value_type())], ::std::vec![<i16 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "via-host-u16", ::std::vec![("x", <u16 as ::featherlight::ComponentType>::value_type())], ::std::vec![<u16 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "via-host-s32", ::std::vec![("x", <i32 as ::featherlight::ComponentType>::value_type())], ::std::vec![<i32 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "via-host-u32", ::std::vec![("x", <u32 as ::featherlight::ComponentType>::value_type())], ::std::vec![<u32 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "via-host-s64", ::std::vec![("x", <i64 as ::featherlight::ComponentType>::value_type())], ::std::vec![<i64 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "via-host-u64", ::std::vec![("x", <u64 as ::featherlight::ComponentType>::value_type())], ::std::vec![<u64 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "via-host-f32", ::std::vec![("x", <f32 as ::featherlight::ComponentType>::value_type())], ::std::vec![<f32 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "via-host-f64", ::std::vec![("x", <f64 as ::featherlight::ComponentType>::value_type())], ::std::vec![<f64 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "via-host-char", ::std::vec![("x", <char as ::featherlight::ComponentType>::value_type())], ::std::vec![<char as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "via-host-string", ::std::vec![("x", <::std::string::String as ::featherlight::ComponentType>::value_type())], ::std::vec![<::std::string::String as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "via-host-bytes", ::std::vec![("x", <::std::vec::Vec<u8> as ::featherlight::ComponentType>::value_type())], ::std::vec![<::std::vec::Vec<u8> as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "via-host-strings", ::std::vec![("x", <::std::vec::Vec<::std::string::String> as ::featherlight::ComponentType>::value_type())], ::std::vec![<::std::vec::Vec<::std::string::String> as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "via-host-record", ::std::vec![("x", <super::super::super::super::exports::test::values::echo::Point as ::featherlight::ComponentType>::value_type())], ::std::vec![<super::super::super::super::exports::test::values::echo::Point as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "via-host-tuple", ::std::vec![("x", <(u32, ::std::string::String, f64) as ::featherlight::ComponentType>::value_type())], ::std::vec![<(u32, ::std::string::String, f64) as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "via-host-variant", ::std::vec![("x", <super::super::super::super::exports::test::values::echo::Shape as ::featherlight::ComponentType>::value_type())], ::std::vec![<super::super::super::super::exports::test::values::echo::Shape as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "via-host-enum", ::std::vec![("x", <super::super::super::super::exports::test::values::echo::Color as ::featherlight::ComponentType>::value_type())], ::std::vec![<super::super::super::super::exports::test::values::echo::Color as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "via-host-option", ::std::vec![("x", <::std::option::Option<u32> as ::featherlight::ComponentType>::value_type())], ::std::vec![<::std::option::Option<u32> as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "via-host-result", ::std::vec![("x", <::std::result::Result<::std::string::String, u32> as ::featherlight::ComponentType>::value_type())], ::std::vec![<::std::result::Result<::std::string::String, u32> as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/echo"), "via-host-flags", ::std::vec![("x", <super::super::super::super::exports::test::values::echo::Permissions as ::featherlight::ComponentType>::value_type())], ::std::vec![<super::super::super::super::exports::test::values::echo::Permissions as ::featherlight::ComponentType>::value_type()]),
                        ]
                    }

                    #[doc(hidden)]
                    pub fn __new(indices: &mut impl ::std::iter::Iterator<Item = usize>) -> Self {
                        Self {
                            echo_bool: indices.next().unwrap_or(usize::MAX),
                            echo_s8: indices.next().unwrap_or(usize::MAX),
                            echo_u8: indices.next().unwrap_or(usize::MAX),
                            echo_s16: indices.next().unwrap_or(usize::MAX),
                            echo_u16: indices.next().unwrap_or(usize::MAX),
                            echo_s32: indices.next().unwrap_or(usize::MAX),
                            echo_u32: indices.next().unwrap_or(usize::MAX),
                            echo_s64: indices.next().unwrap_or(usize::MAX),
                            echo_u64: indices.next().unwrap_or(usize::MAX),
                            echo_f32: indices.next().unwrap_or(usize::MAX),
                            echo_f64: indices.next().unwrap_or(usize::MAX),
                            echo_char: indices.next().unwrap_or(usize::MAX),
                            echo_string: indices.next().unwrap_or(usize::MAX),
                            echo_bytes: indices.next().unwrap_or(usize::MAX),
                            echo_strings: indices.next().unwrap_or(usize::MAX),
                            echo_record: indices.next().unwrap_or(usize::MAX),
                            echo_tuple: indices.next().unwrap_or(usize::MAX),
                            echo_variant: indices.next().unwrap_or(usize::MAX),
                            echo_enum: indices.next().unwrap_or(usize::MAX),
                            echo_option: indices.next().unwrap_or(usize::MAX),
                            echo_result: indices.next().unwrap_or(usize::MAX),
                            echo_flags: indices.next().unwrap_or(usize::MAX),
                            via_host_bool: indices.next().unwrap_or(usize::MAX),
                            via_host_s8: indices.next().unwrap_or(usize::MAX),
                            via_host_u8: indices.next().unwrap_or(usize::MAX),
                            via_host_s16: indices.next().unwrap_or(usize::MAX),
                            via_host_u16: indices.next().unwrap_or(usize::MAX),
                            via_host_s32: indices.next().unwrap_or(usize::MAX),
                            via_host_u32: indices.next().unwrap_or(usize::MAX),
                            via_host_s64: indices.next().unwrap_or(usize::MAX),
                            via_host_u64: indices.next().unwrap_or(usize::MAX),
                            via_host_f32: indices.next().unwrap_or(usize::MAX),
                            via_host_f64: indices.next().unwrap_or(usize::MAX),
                            via_host_char: indices.next().unwrap_or(usize::MAX),
                            via_host_string: indices.next().unwrap_or(usize::MAX),
                            via_host_bytes: indices.next().unwrap_or(usize::MAX),
                            via_host_strings: indices.next().unwrap_or(usize::MAX),
                            via_host_record: indices.next().unwrap_or(usize::MAX),
                            via_host_tuple: indices.next().unwrap_or(usize::MAX),
                            via_host_variant: indices.next().unwrap_or(usize::MAX),
                            via_host_enum: indices.next().unwrap_or(usize::MAX),
                            via_host_option: indices.next().unwrap_or(usize::MAX),
                            via_host_result: indices.next().unwrap_or(usize::MAX),
                            via_host_flags: indices.next().unwrap_or(usize::MAX),
                        }
                    }

                    pub fn call_echo_bool(&self, sandbox: &mut ::featherlight::Sandbox, x: bool) -> ::std::result::Result<bool, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.echo_bool, ::std::option::Option::Some("test:values/echo"), "echo-bool", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_echo_s8(&self, sandbox: &mut ::featherlight::Sandbox, x: i8) -> ::std::result::Result<i8, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.echo_s8, ::std::option::Option::Some("test:values/echo"), "echo-s8", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_echo_u8(&self, sandbox: &mut ::featherlight::Sandbox, x: u8) -> ::std::result::Result<u8, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.echo_u8, ::std::option::Option::Some("test:values/echo"), "echo-u8", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_echo_s16(&self, sandbox: &mut ::featherlight::Sandbox, x: i16) -> ::std::result::Result<i16, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.echo_s16, ::std::option::Option::Some("test:values/echo"), "echo-s16", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_echo_u16(&self, sandbox: &mut ::featherlight::Sandbox, x: u16) -> ::std::result::Result<u16, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.echo_u16, ::std::option::Option::Some("test:values/echo"), "echo-u16", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_echo_s32(&self, sandbox: &mut ::featherlight::Sandbox, x: i32) -> ::std::result::Result<i32, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.echo_s32, ::std::option::Option::Some("test:values/echo"), "echo-s32", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_echo_u32(&self, sandbox: &mut ::featherlight::Sandbox, x: u32) -> ::std::result::Result<u32, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.echo_u32, ::std::option::Option::Some("test:values/echo"), "echo-u32", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_echo_s64(&self, sandbox: &mut ::featherlight::Sandbox, x: i64) -> ::std::result::Result<i64, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.echo_s64, ::std::option::Option::Some("test:values/echo"), "echo-s64", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_echo_u64(&self, sandbox: &mut ::featherlight::Sandbox, x: u64) -> ::std::result::Result<u64, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.echo_u64, ::std::option::Option::Some("test:values/echo"), "echo-u64", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_echo_f32(&self, sandbox: &mut ::featherlight::Sandbox, x: f32) -> ::std::result::Result<f32, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.echo_f32, ::std::option::Option::Some("test:values/echo"), "echo-f32", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_echo_f64(&self, sandbox: &mut ::featherlight::Sandbox, x: f64) -> ::std::result::Result<f64, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.echo_f64, ::std::option::Option::Some("test:values/echo"), "echo-f64", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_echo_char(&self, sandbox: &mut ::featherlight::Sandbox, x: char) -> ::std::result::Result<char, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.echo_char, ::std::option::Option::Some("test:values/echo"), "echo-char", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_echo_string(&self, sandbox: &mut ::featherlight::Sandbox, x: &str) -> ::std::result::Result<::std::string::String, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.echo_string, ::std::option::Option::Some("test:values/echo"), "echo-string", &[::featherlight::Lower::to_value(x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_echo_bytes(&self, sandbox: &mut ::featherlight::Sandbox, x: &[u8]) -> ::std::result::Result<::std::vec::Vec<u8>, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.echo_bytes, ::std::option::Option::Some("test:values/echo"), "echo-bytes", &[::featherlight::Lower::to_value(x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_echo_strings(&self, sandbox: &mut ::featherlight::Sandbox, x: &[::std::string::String]) -> ::std::result::Result<::std::vec::Vec<::std::string::String>, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.echo_strings, ::std::option::Option::Some("test:values/echo"), "echo-strings", &[::featherlight::Lower::to_value(x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_echo_record(&self, sandbox: &mut ::featherlight::Sandbox, x: &super::super::super::super::exports::test::values::echo::Point) -> ::std::result::Result<super::super::super::super::exports::test::values::echo::Point, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.echo_record, ::std::option::Option::Some("test:values/echo"), "echo-record", &[::featherlight::Lower::to_value(x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_echo_tuple(&self, sandbox: &mut ::featherlight::Sandbox, x: &(u32, ::std::string::String, f64)) -> ::std::result::Result<(u32, ::std::string::String, f64), ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.echo_tuple, ::std::option::Option::Some("test:values/echo"), "echo-tuple", &[::featherlight::Lower::to_value(x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_echo_variant(&self, sandbox: &mut ::featherlight::Sandbox, x: &super::super::super::super::exports::test::values::echo::Shape) -> ::std::result::Result<super::super::super::super::exports::test::values::echo::Shape, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.echo_variant, ::std::option::Option::Some("test:values/echo"), "echo-variant", &[::featherlight::Lower::to_value(x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_echo_enum(&self, sandbox: &mut ::featherlight::Sandbox, x: &super::super::super::super::exports::test::values::echo::Color) -> ::std::result::Result<super::super::super::super::exports::test::values::echo::Color, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.echo_enum, ::std::option::Option::Some("test:values/echo"), "echo-enum", &[::featherlight::Lower::to_value(x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_echo_option(&self, sandbox: &mut ::featherlight::Sandbox, x: &::std::option::Option<u32>) -> ::std::result::Result<::std::option::Option<u32>, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.echo_option, ::std::option::Option::Some("test:values/echo"), "echo-option", &[::featherlight::Lower::to_value(x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_echo_result(&self, sandbox: &mut ::featherlight::Sandbox, x: &::std::result::Result<::std::string::String, u32>) -> ::std::result::Result<::std::result::Result<::std::string::String, u32>, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.echo_result, ::std::option::Option::Some("test:values/echo"), "echo-result", &[::featherlight::Lower::to_value(x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_echo_flags(&self, sandbox: &mut ::featherlight::Sandbox, x: &super::super::super::super::exports::test::values::echo::Permissions) -> ::std::result::Result<super::super::super::super::exports::test::values::echo::Permissions, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.echo_flags, ::std::option::Option::Some("test:values/echo"), "echo-flags", &[::featherlight::Lower::to_value(x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_via_host_bool(&self, sandbox: &mut ::featherlight::Sandbox, x: bool) -> ::std::result::Result<bool, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.via_host_bool, ::std::option::Option::Some("test:values/echo"), "via-host-bool", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_via_host_s8(&self, sandbox: &mut ::featherlight::Sandbox, x: i8) -> ::std::result::Result<i8, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.via_host_s8, ::std::option::Option::Some("test:values/echo"), "via-host-s8", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_via_host_u8(&self, sandbox: &mut ::featherlight::Sandbox, x: u8) -> ::std::result::Result<u8, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.via_host_u8, ::std::option::Option::Some("test:values/echo"), "via-host-u8", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_via_host_s16(&self, sandbox: &mut ::featherlight::Sandbox, x: i16) -> ::std::result::Result<i16, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.via_host_s16, ::std::option::Option::Some("test:values/echo"), "via-host-s16", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_via_host_u16(&self, sandbox: &mut ::featherlight::Sandbox, x: u16) -> ::std::result::Result<u16, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.via_host_u16, ::std::option::Option::Some("test:values/echo"), "via-host-u16", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_via_host_s32(&self, sandbox: &mut ::featherlight::Sandbox, x: i32) -> ::std::result::Result<i32, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.via_host_s32, ::std::option::Option::Some("test:values/echo"), "via-host-s32", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_via_host_u32(&self, sandbox: &mut ::featherlight::Sandbox, x: u32) -> ::std::result::Result<u32, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.via_host_u32, ::std::option::Option::Some("test:values/echo"), "via-host-u32", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_via_host_s64(&self, sandbox: &mut ::featherlight::Sandbox, x: i64) -> ::std::result::Result<i64, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.via_host_s64, ::std::option::Option::Some("test:values/echo"), "via-host-s64", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_via_host_u64(&self, sandbox: &mut ::featherlight::Sandbox, x: u64) -> ::std::result::Result<u64, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.via_host_u64, ::std::option::Option::Some("test:values/echo"), "via-host-u64", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_via_host_f32(&self, sandbox: &mut ::featherlight::Sandbox, x: f32) -> ::std::result::Result<f32, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.via_host_f32, ::std::option::Option::Some("test:values/echo"), "via-host-f32", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_via_host_f64(&self, sandbox: &mut ::featherlight::Sandbox, x: f64) -> ::std::result::Result<f64, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.via_host_f64, ::std::option::Option::Some("test:values/echo"), "via-host-f64", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_via_host_char(&self, sandbox: &mut ::featherlight::Sandbox, x: char) -> ::std::result::Result<char, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.via_host_char, ::std::option::Option::Some("test:values/echo"), "via-host-char", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_via_host_string(&self, sandbox: &mut ::featherlight::Sandbox, x: &str) -> ::std::result::Result<::std::string::String, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.via_host_string, ::std::option::Option::Some("test:values/echo"), "via-host-string", &[::featherlight::Lower::to_value(x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_via_host_bytes(&self, sandbox: &mut ::featherlight::Sandbox, x: &[u8]) -> ::std::result::Result<::std::vec::Vec<u8>, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.via_host_bytes, ::std::option::Option::Some("test:values/echo"), "via-host-bytes", &[::featherlight::Lower::to_value(x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_via_host_strings(&self, sandbox: &mut ::featherlight::Sandbox, x: &[::std::string::String]) -> ::std::result::Result<::std::vec::Vec<::std::string::String>, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.via_host_strings, ::std::option::Option::Some("test:values/echo"), "via-host-strings", &[::featherlight::Lower::to_value(x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_via_host_record(&self, sandbox: &mut ::featherlight::Sandbox, x: &super::super::super::super::exports::test::values::echo::Point) -> ::std::result::Result<super::super::super::super::exports::test::values::echo::Point, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.via_host_record, ::std::option::Option::Some("test:values/echo"), "via-host-record", &[::featherlight::Lower::to_value(x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_via_host_tuple(&self, sandbox: &mut ::featherlight::Sandbox, x: &(u32, ::std::string::String, f64)) -> ::std::result::Result<(u32, ::std::string::String, f64), ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.via_host_tuple, ::std::option::Option::Some("test:values/echo"), "via-host-tuple", &[::featherlight::Lower::to_value(x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_via_host_variant(&self, sandbox: &mut ::featherlight::Sandbox, x: &super::super::super::super::exports::test::values::echo::Shape) -> ::std::result::Result<super::super::super::super::exports::test::values::echo::Shape, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.via_host_variant, ::std::option::Option::Some("test:values/echo"), "via-host-variant", &[::featherlight::Lower::to_value(x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_via_host_enum(&self, sandbox: &mut ::featherlight::Sandbox, x: &super::super::super::super::exports::test::values::echo::Color) -> ::std::result::Result<super::super::super::super::exports::test::values::echo::Color, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.via_host_enum, ::std::option::Option::Some("test:values/echo"), "via-host-enum", &[::featherlight::Lower::to_value(x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_via_host_option(&self, sandbox: &mut ::featherlight::Sandbox, x: &::std::option::Option<u32>) -> ::std::result::Result<::std::option::Option<u32>, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.via_host_option, ::std::option::Option::Some("test:values/echo"), "via-host-option", &[::featherlight::Lower::to_value(x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_via_host_result(&self, sandbox: &mut ::featherlight::Sandbox, x: &::std::result::Result<::std::string::String, u32>) -> ::std::result::Result<::std::result::Result<::std::string::String, u32>, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.via_host_result, ::std::option::Option::Some("test:values/echo"), "via-host-result", &[::featherlight::Lower::to_value(x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_via_host_flags(&self, sandbox: &mut ::featherlight::Sandbox, x: &super::super::super::super::exports::test::values::echo::Permissions) -> ::std::result::Result<super::super::super::super::exports::test::values::echo::Permissions, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.via_host_flags, ::std::option::Option::Some("test:values/echo"), "via-host-flags", &[::featherlight::Lower::to_value(x)])?;
                        ::featherlight::typed::support::result(results)
                    }
                }
            }

            pub mod math {
                //! Float arithmetic done by Wasm code, to compare bit for bit with the host's.

                /// Typed calls of the component's `test:values/math` export.
                #[derive(Debug, Clone)]
                pub struct Guest {
                    sqrt: usize,
                    sqrt_f32: usize,
                    floor: usize,
                    ceil: usize,
                    nearest: usize,
                    trunc: usize,
                    min: usize,
                    max: usize,
                    mul_add: usize,
                    div: usize,
                    demote: usize,
                    promote: usize,
                    to_s64: usize,
                    to_u32: usize,
                    negative_zero: usize,
                    nan_with_payload: usize,
                    nan_with_payload_f32: usize,
                    bits_of: usize,
                    from_bits: usize,
                }

                impl Guest {
                    #[doc(hidden)]
                    pub fn __functions() -> ::std::vec::Vec<::featherlight::typed::support::Function> {
                        ::std::vec![
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/math"), "sqrt", ::std::vec![("x", <f64 as ::featherlight::ComponentType>::value_type())], ::std::vec![<f64 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/math"), "sqrt-f32", ::std::vec![("x", <f32 as ::featherlight::ComponentType>::value_type())], ::std::vec![<f32 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/math"), "floor", ::std::vec![("x", <f64 as ::featherlight::ComponentType>::value_type())], ::std::vec![<f64 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/math"), "ceil", ::std::vec![("x", <f64 as ::featherlight::ComponentType>::value_type())], ::std::vec![<f64 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/math"), "nearest", ::std::vec![("x", <f64 as ::featherlight::ComponentType>::value_type())], ::std::vec![<f64 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/math"), "trunc", ::std::vec![("x", <f64 as ::featherlight::ComponentType>::value_type())], ::std::vec![<f64 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/math"), "min", ::std::vec![("a", <f64 as ::featherlight::ComponentType>::value_type()), ("b", <f64 as ::featherlight::ComponentType>::value_type())], ::std::vec![<f64 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/math"), "max", ::std::vec![("a", <f64 as ::featherlight::ComponentType>::value_type()), ("b", <f64 as ::featherlight::ComponentType>::value_type())], ::std::vec![<f64 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/math"), "mul-add", ::std::vec![("a", <f64 as ::featherlight::ComponentType>::value_type()), ("b", <f64 as ::featherlight::ComponentType>::value_type()), ("c", <f64 as ::featherlight::ComponentType>::value_type())], ::std::vec![<f64 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/math"), "div", ::std::vec![("a", <f64 as ::featherlight::ComponentType>::value_type()), ("b", <f64 as ::featherlight::ComponentType>::value_type())], ::std::vec![<f64 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/math"), "demote", ::std::vec![("x", <f64 as ::featherlight::ComponentType>::value_type())], ::std::vec![<f32 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/math"), "promote", ::std::vec![("x", <f32 as ::featherlight::ComponentType>::value_type())], ::std::vec![<f64 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/math"), "to-s64", ::std::vec![("x", <f64 as ::featherlight::ComponentType>::value_type())], ::std::vec![<i64 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/math"), "to-u32", ::std::vec![("x", <f64 as ::featherlight::ComponentType>::value_type())], ::std::vec![<u32 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/math"), "negative-zero", ::std::vec![], ::std::vec![<f64 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/math"), "nan-with-payload", ::std::vec![], ::std::vec![<f64 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/math"), "nan-with-payload-f32", ::std::vec![], ::std::vec![<f32 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/math"), "bits-of", ::std::vec![("x", <f64 as ::featherlight::ComponentType>::value_type())], ::std::vec![<u64 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/math"), "from-bits", ::std::vec![("bits", <u64 as ::featherlight::ComponentType>::value_type())], ::std::vec![<f64 as ::featherlight::ComponentType>::value_type()]),
                        ]
                    }

                    #[doc(hidden)]
                    pub fn __new(indices: &mut impl ::std::iter::Iterator<Item = usize>) -> Self {
                        Self {
                            sqrt: indices.next().unwrap_or(usize::MAX),
                            sqrt_f32: indices.next().unwrap_or(usize::MAX),
                            floor: indices.next().unwrap_or(usize::MAX),
                            ceil: indices.next().unwrap_or(usize::MAX),
                            nearest: indices.next().unwrap_or(usize::MAX),
                            trunc: indices.next().unwrap_or(usize::MAX),
                            min: indices.next().unwrap_or(usize::MAX),
                            max: indices.next().unwrap_or(usize::MAX),
                            mul_add: indices.next().unwrap_or(usize::MAX),
                            div: indices.next().unwrap_or(usize::MAX),
                            demote: indices.next().unwrap_or(usize::MAX),
                            promote: indices.next().unwrap_or(usize::MAX),
                            to_s64: indices.next().unwrap_or(usize::MAX),
                            to_u32: indices.next().unwrap_or(usize::MAX),
                            negative_zero: indices.next().unwrap_or(usize::MAX),
                            nan_with_payload: indices.next().unwrap_or(usize::MAX),
                            nan_with_payload_f32: indices.next().unwrap_or(usize::MAX),
                            bits_of: indices.next().unwrap_or(usize::MAX),
                            from_bits: indices.next().unwrap_or(usize::MAX),
                        }
                    }

                    pub fn call_sqrt(&self, sandbox: &mut ::featherlight::Sandbox, x: f64) -> ::std::result::Result<f64, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.sqrt, ::std::option::Option::Some("test:values/math"), "sqrt", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_sqrt_f32(&self, sandbox: &mut ::featherlight::Sandbox, x: f32) -> ::std::result::Result<f32, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.sqrt_f32, ::std::option::Option::Some("test:values/math"), "sqrt-f32", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_floor(&self, sandbox: &mut ::featherlight::Sandbox, x: f64) -> ::std::result::Result<f64, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.floor, ::std::option::Option::Some("test:values/math"), "floor", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_ceil(&self, sandbox: &mut ::featherlight::Sandbox, x: f64) -> ::std::result::Result<f64, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.ceil, ::std::option::Option::Some("test:values/math"), "ceil", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    /// Rounds half to even (`f64.nearest`).
                    pub fn call_nearest(&self, sandbox: &mut ::featherlight::Sandbox, x: f64) -> ::std::result::Result<f64, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.nearest, ::std::option::Option::Some("test:values/math"), "nearest", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_trunc(&self, sandbox: &mut ::featherlight::Sandbox, x: f64) -> ::std::result::Result<f64, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.trunc, ::std::option::Option::Some("test:values/math"), "trunc", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_min(&self, sandbox: &mut ::featherlight::Sandbox, a: f64, b: f64) -> ::std::result::Result<f64, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.min, ::std::option::Option::Some("test:values/math"), "min", &[::featherlight::Lower::to_value(&a), ::featherlight::Lower::to_value(&b)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_max(&self, sandbox: &mut ::featherlight::Sandbox, a: f64, b: f64) -> ::std::result::Result<f64, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.max, ::std::option::Option::Some("test:values/math"), "max", &[::featherlight::Lower::to_value(&a), ::featherlight::Lower::to_value(&b)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_mul_add(&self, sandbox: &mut ::featherlight::Sandbox, a: f64, b: f64, c: f64) -> ::std::result::Result<f64, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.mul_add, ::std::option::Option::Some("test:values/math"), "mul-add", &[::featherlight::Lower::to_value(&a), ::featherlight::Lower::to_value(&b), ::featherlight::Lower::to_value(&c)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_div(&self, sandbox: &mut ::featherlight::Sandbox, a: f64, b: f64) -> ::std::result::Result<f64, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.div, ::std::option::Option::Some("test:values/math"), "div", &[::featherlight::Lower::to_value(&a), ::featherlight::Lower::to_value(&b)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    /// `f64` to `f32`, rounding to nearest.
                    pub fn call_demote(&self, sandbox: &mut ::featherlight::Sandbox, x: f64) -> ::std::result::Result<f32, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.demote, ::std::option::Option::Some("test:values/math"), "demote", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    /// `f32` to `f64`, exactly.
                    pub fn call_promote(&self, sandbox: &mut ::featherlight::Sandbox, x: f32) -> ::std::result::Result<f64, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.promote, ::std::option::Option::Some("test:values/math"), "promote", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    /// `f64` to `s64`, saturating (`NaN` is 0).
                    pub fn call_to_s64(&self, sandbox: &mut ::featherlight::Sandbox, x: f64) -> ::std::result::Result<i64, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.to_s64, ::std::option::Option::Some("test:values/math"), "to-s64", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    /// `f64` to `u32`, saturating (`NaN` is 0).
                    pub fn call_to_u32(&self, sandbox: &mut ::featherlight::Sandbox, x: f64) -> ::std::result::Result<u32, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.to_u32, ::std::option::Option::Some("test:values/math"), "to-u32", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    /// `-0.0`.
                    pub fn call_negative_zero(&self, sandbox: &mut ::featherlight::Sandbox) -> ::std::result::Result<f64, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.negative_zero, ::std::option::Option::Some("test:values/math"), "negative-zero", &[])?;
                        ::featherlight::typed::support::result(results)
                    }

                    /// A quiet NaN with payload `0xdead_beef`: bits `0x7ff8_0000_dead_beef`.
                    pub fn call_nan_with_payload(&self, sandbox: &mut ::featherlight::Sandbox) -> ::std::result::Result<f64, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.nan_with_payload, ::std::option::Option::Some("test:values/math"), "nan-with-payload", &[])?;
                        ::featherlight::typed::support::result(results)
                    }

                    /// A quiet NaN with payload `0x1234`: bits `0x7fc0_1234`.
                    pub fn call_nan_with_payload_f32(&self, sandbox: &mut ::featherlight::Sandbox) -> ::std::result::Result<f32, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.nan_with_payload_f32, ::std::option::Option::Some("test:values/math"), "nan-with-payload-f32", &[])?;
                        ::featherlight::typed::support::result(results)
                    }

                    /// The bits of `x` (what the Wasm code sees).
                    pub fn call_bits_of(&self, sandbox: &mut ::featherlight::Sandbox, x: f64) -> ::std::result::Result<u64, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.bits_of, ::std::option::Option::Some("test:values/math"), "bits-of", &[::featherlight::Lower::to_value(&x)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    /// The `f64` with these bits.
                    pub fn call_from_bits(&self, sandbox: &mut ::featherlight::Sandbox, bits: u64) -> ::std::result::Result<f64, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.from_bits, ::std::option::Option::Some("test:values/math"), "from-bits", &[::featherlight::Lower::to_value(&bits)])?;
                        ::featherlight::typed::support::result(results)
                    }
                }
            }
        }
    }
}

#[allow(clippy::all)]
pub mod test {

    pub mod values {

        pub mod host {
            //! Host functions: each returns what the host decides, which the tests make
            //! their argument.

            pub type Point = super::super::super::test::values::types::Point;

            pub type Shape = super::super::super::test::values::types::Shape;

            pub type Color = super::super::super::test::values::types::Color;

            pub type Permissions = super::super::super::test::values::types::Permissions;

            /// What the host implements for `test:values/host`.
            pub trait Host {
                fn echo_bool(&mut self, x: bool) -> ::std::result::Result<bool, ::featherlight::HostError>;

                fn echo_s8(&mut self, x: i8) -> ::std::result::Result<i8, ::featherlight::HostError>;

                fn echo_u8(&mut self, x: u8) -> ::std::result::Result<u8, ::featherlight::HostError>;

                fn echo_s16(&mut self, x: i16) -> ::std::result::Result<i16, ::featherlight::HostError>;

                fn echo_u16(&mut self, x: u16) -> ::std::result::Result<u16, ::featherlight::HostError>;

                fn echo_s32(&mut self, x: i32) -> ::std::result::Result<i32, ::featherlight::HostError>;

                fn echo_u32(&mut self, x: u32) -> ::std::result::Result<u32, ::featherlight::HostError>;

                fn echo_s64(&mut self, x: i64) -> ::std::result::Result<i64, ::featherlight::HostError>;

                fn echo_u64(&mut self, x: u64) -> ::std::result::Result<u64, ::featherlight::HostError>;

                fn echo_f32(&mut self, x: f32) -> ::std::result::Result<f32, ::featherlight::HostError>;

                fn echo_f64(&mut self, x: f64) -> ::std::result::Result<f64, ::featherlight::HostError>;

                fn echo_char(&mut self, x: char) -> ::std::result::Result<char, ::featherlight::HostError>;

                fn echo_string(&mut self, x: ::std::string::String) -> ::std::result::Result<::std::string::String, ::featherlight::HostError>;

                fn echo_bytes(&mut self, x: ::std::vec::Vec<u8>) -> ::std::result::Result<::std::vec::Vec<u8>, ::featherlight::HostError>;

                fn echo_strings(&mut self, x: ::std::vec::Vec<::std::string::String>) -> ::std::result::Result<::std::vec::Vec<::std::string::String>, ::featherlight::HostError>;

                fn echo_record(&mut self, x: super::super::super::test::values::host::Point) -> ::std::result::Result<super::super::super::test::values::host::Point, ::featherlight::HostError>;

                fn echo_tuple(&mut self, x: (u32, ::std::string::String, f64)) -> ::std::result::Result<(u32, ::std::string::String, f64), ::featherlight::HostError>;

                fn echo_variant(&mut self, x: super::super::super::test::values::host::Shape) -> ::std::result::Result<super::super::super::test::values::host::Shape, ::featherlight::HostError>;

                fn echo_enum(&mut self, x: super::super::super::test::values::host::Color) -> ::std::result::Result<super::super::super::test::values::host::Color, ::featherlight::HostError>;

                fn echo_option(&mut self, x: ::std::option::Option<u32>) -> ::std::result::Result<::std::option::Option<u32>, ::featherlight::HostError>;

                fn echo_result(&mut self, x: ::std::result::Result<::std::string::String, u32>) -> ::std::result::Result<::std::result::Result<::std::string::String, u32>, ::featherlight::HostError>;

                fn echo_flags(&mut self, x: super::super::super::test::values::host::Permissions) -> ::std::result::Result<super::super::super::test::values::host::Permissions, ::featherlight::HostError>;
            }

            /// Registers `test:values/host`'s functions in `linker`, each calling `state`.
            pub fn add_to_linker<T: Host + ::std::marker::Send + 'static>(linker: &mut ::featherlight::Linker, state: &::std::sync::Arc<::std::sync::Mutex<T>>) {
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:values/host", "echo-bool", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        let result = T::echo_bool(&mut *host, ::featherlight::typed::support::arg(args, 0)?)?;
                        ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
                    });
                }
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:values/host", "echo-s8", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        let result = T::echo_s8(&mut *host, ::featherlight::typed::support::arg(args, 0)?)?;
                        ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
                    });
                }
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:values/host", "echo-u8", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        let result = T::echo_u8(&mut *host, ::featherlight::typed::support::arg(args, 0)?)?;
                        ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
                    });
                }
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:values/host", "echo-s16", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        let result = T::echo_s16(&mut *host, ::featherlight::typed::support::arg(args, 0)?)?;
                        ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
                    });
                }
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:values/host", "echo-u16", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        let result = T::echo_u16(&mut *host, ::featherlight::typed::support::arg(args, 0)?)?;
                        ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
                    });
                }
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:values/host", "echo-s32", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        let result = T::echo_s32(&mut *host, ::featherlight::typed::support::arg(args, 0)?)?;
                        ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
                    });
                }
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:values/host", "echo-u32", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        let result = T::echo_u32(&mut *host, ::featherlight::typed::support::arg(args, 0)?)?;
                        ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
                    });
                }
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:values/host", "echo-s64", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        let result = T::echo_s64(&mut *host, ::featherlight::typed::support::arg(args, 0)?)?;
                        ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
                    });
                }
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:values/host", "echo-u64", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        let result = T::echo_u64(&mut *host, ::featherlight::typed::support::arg(args, 0)?)?;
                        ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
                    });
                }
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:values/host", "echo-f32", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        let result = T::echo_f32(&mut *host, ::featherlight::typed::support::arg(args, 0)?)?;
                        ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
                    });
                }
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:values/host", "echo-f64", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        let result = T::echo_f64(&mut *host, ::featherlight::typed::support::arg(args, 0)?)?;
                        ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
                    });
                }
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:values/host", "echo-char", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        let result = T::echo_char(&mut *host, ::featherlight::typed::support::arg(args, 0)?)?;
                        ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
                    });
                }
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:values/host", "echo-string", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        let result = T::echo_string(&mut *host, ::featherlight::typed::support::arg(args, 0)?)?;
                        ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
                    });
                }
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:values/host", "echo-bytes", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        let result = T::echo_bytes(&mut *host, ::featherlight::typed::support::arg(args, 0)?)?;
                        ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
                    });
                }
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:values/host", "echo-strings", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        let result = T::echo_strings(&mut *host, ::featherlight::typed::support::arg(args, 0)?)?;
                        ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
                    });
                }
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:values/host", "echo-record", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        let result = T::echo_record(&mut *host, ::featherlight::typed::support::arg(args, 0)?)?;
                        ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
                    });
                }
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:values/host", "echo-tuple", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        let result = T::echo_tuple(&mut *host, ::featherlight::typed::support::arg(args, 0)?)?;
                        ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
                    });
                }
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:values/host", "echo-variant", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        let result = T::echo_variant(&mut *host, ::featherlight::typed::support::arg(args, 0)?)?;
                        ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
                    });
                }
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:values/host", "echo-enum", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        let result = T::echo_enum(&mut *host, ::featherlight::typed::support::arg(args, 0)?)?;
                        ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
                    });
                }
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:values/host", "echo-option", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        let result = T::echo_option(&mut *host, ::featherlight::typed::support::arg(args, 0)?)?;
                        ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
                    });
                }
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:values/host", "echo-result", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        let result = T::echo_result(&mut *host, ::featherlight::typed::support::arg(args, 0)?)?;
                        ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
                    });
                }
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:values/host", "echo-flags", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        let result = T::echo_flags(&mut *host, ::featherlight::typed::support::arg(args, 0)?)?;
                        ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
                    });
                }
            }

            #[doc(hidden)]
            pub fn __functions() -> ::std::vec::Vec<::featherlight::typed::support::Function> {
                ::std::vec![
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/host"), "echo-bool", ::std::vec![("x", <bool as ::featherlight::ComponentType>::value_type())], ::std::vec![<bool as ::featherlight::ComponentType>::value_type()]),
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/host"), "echo-s8", ::std::vec![("x", <i8 as ::featherlight::ComponentType>::value_type())], ::std::vec![<i8 as ::featherlight::ComponentType>::value_type()]),
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/host"), "echo-u8", ::std::vec![("x", <u8 as ::featherlight::ComponentType>::value_type())], ::std::vec![<u8 as ::featherlight::ComponentType>::value_type()]),
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/host"), "echo-s16", ::std::vec![("x", <i16 as ::featherlight::ComponentType>::value_type())], ::std::vec![<i16 as ::featherlight::ComponentType>::value_type()]),
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/host"), "echo-u16", ::std::vec![("x", <u16 as ::featherlight::ComponentType>::value_type())], ::std::vec![<u16 as ::featherlight::ComponentType>::value_type()]),
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/host"), "echo-s32", ::std::vec![("x", <i32 as ::featherlight::ComponentType>::value_type())], ::std::vec![<i32 as ::featherlight::ComponentType>::value_type()]),
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/host"), "echo-u32", ::std::vec![("x", <u32 as ::featherlight::ComponentType>::value_type())], ::std::vec![<u32 as ::featherlight::ComponentType>::value_type()]),
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/host"), "echo-s64", ::std::vec![("x", <i64 as ::featherlight::ComponentType>::value_type())], ::std::vec![<i64 as ::featherlight::ComponentType>::value_type()]),
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/host"), "echo-u64", ::std::vec![("x", <u64 as ::featherlight::ComponentType>::value_type())], ::std::vec![<u64 as ::featherlight::ComponentType>::value_type()]),
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/host"), "echo-f32", ::std::vec![("x", <f32 as ::featherlight::ComponentType>::value_type())], ::std::vec![<f32 as ::featherlight::ComponentType>::value_type()]),
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/host"), "echo-f64", ::std::vec![("x", <f64 as ::featherlight::ComponentType>::value_type())], ::std::vec![<f64 as ::featherlight::ComponentType>::value_type()]),
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/host"), "echo-char", ::std::vec![("x", <char as ::featherlight::ComponentType>::value_type())], ::std::vec![<char as ::featherlight::ComponentType>::value_type()]),
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/host"), "echo-string", ::std::vec![("x", <::std::string::String as ::featherlight::ComponentType>::value_type())], ::std::vec![<::std::string::String as ::featherlight::ComponentType>::value_type()]),
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/host"), "echo-bytes", ::std::vec![("x", <::std::vec::Vec<u8> as ::featherlight::ComponentType>::value_type())], ::std::vec![<::std::vec::Vec<u8> as ::featherlight::ComponentType>::value_type()]),
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/host"), "echo-strings", ::std::vec![("x", <::std::vec::Vec<::std::string::String> as ::featherlight::ComponentType>::value_type())], ::std::vec![<::std::vec::Vec<::std::string::String> as ::featherlight::ComponentType>::value_type()]),
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/host"), "echo-record", ::std::vec![("x", <super::super::super::test::values::host::Point as ::featherlight::ComponentType>::value_type())], ::std::vec![<super::super::super::test::values::host::Point as ::featherlight::ComponentType>::value_type()]),
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/host"), "echo-tuple", ::std::vec![("x", <(u32, ::std::string::String, f64) as ::featherlight::ComponentType>::value_type())], ::std::vec![<(u32, ::std::string::String, f64) as ::featherlight::ComponentType>::value_type()]),
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/host"), "echo-variant", ::std::vec![("x", <super::super::super::test::values::host::Shape as ::featherlight::ComponentType>::value_type())], ::std::vec![<super::super::super::test::values::host::Shape as ::featherlight::ComponentType>::value_type()]),
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/host"), "echo-enum", ::std::vec![("x", <super::super::super::test::values::host::Color as ::featherlight::ComponentType>::value_type())], ::std::vec![<super::super::super::test::values::host::Color as ::featherlight::ComponentType>::value_type()]),
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/host"), "echo-option", ::std::vec![("x", <::std::option::Option<u32> as ::featherlight::ComponentType>::value_type())], ::std::vec![<::std::option::Option<u32> as ::featherlight::ComponentType>::value_type()]),
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/host"), "echo-result", ::std::vec![("x", <::std::result::Result<::std::string::String, u32> as ::featherlight::ComponentType>::value_type())], ::std::vec![<::std::result::Result<::std::string::String, u32> as ::featherlight::ComponentType>::value_type()]),
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:values/host"), "echo-flags", ::std::vec![("x", <super::super::super::test::values::host::Permissions as ::featherlight::ComponentType>::value_type())], ::std::vec![<super::super::super::test::values::host::Permissions as ::featherlight::ComponentType>::value_type()]),
                ]
            }
        }

        pub mod types {
            //! The aggregate types the echo functions carry.

            /// A record with an optional field.
            #[derive(Debug, Clone, PartialEq)]
            pub struct Point {
                pub x: i32,
                pub y: i32,
                pub label: ::std::option::Option<::std::string::String>,
            }

            impl ::featherlight::ComponentType for Point {
                fn value_type() -> ::featherlight::ValueType {
                    ::featherlight::ValueType::record(::std::vec::Vec::<(&str, ::featherlight::ValueType)>::from([
                        ("x", <i32 as ::featherlight::ComponentType>::value_type()),
                        ("y", <i32 as ::featherlight::ComponentType>::value_type()),
                        ("label", <::std::option::Option<::std::string::String> as ::featherlight::ComponentType>::value_type()),
                    ]))
                }

                fn to_value(&self) -> ::featherlight::Value {
                    ::featherlight::Value::Record(::std::vec![
                        ("x".to_string(), ::featherlight::ComponentType::to_value(&self.x)),
                        ("y".to_string(), ::featherlight::ComponentType::to_value(&self.y)),
                        ("label".to_string(), ::featherlight::ComponentType::to_value(&self.label)),
                    ])
                }

                fn from_value(value: &::featherlight::Value) -> ::std::result::Result<Self, ::featherlight::typed::support::TypeError> {
                    let fields = ::featherlight::typed::support::record(value, "point")?;
                    ::std::result::Result::Ok(Self {
                        x: ::featherlight::typed::support::field(fields, "x")?,
                        y: ::featherlight::typed::support::field(fields, "y")?,
                        label: ::featherlight::typed::support::field(fields, "label")?,
                    })
                }
            }

            /// A variant with cases without payload, with a primitive payload and with
            /// aggregate payloads.
            #[derive(Debug, Clone, PartialEq)]
            pub enum Shape {
                Empty,
                Circle(f64),
                Rect(super::super::super::test::values::types::Point),
                Named(::std::string::String),
            }

            impl ::featherlight::ComponentType for Shape {
                fn value_type() -> ::featherlight::ValueType {
                    ::featherlight::ValueType::variant(::std::vec::Vec::<(&str, ::std::option::Option<::featherlight::ValueType>)>::from([
                        ("empty", ::std::option::Option::None),
                        ("circle", ::std::option::Option::Some(<f64 as ::featherlight::ComponentType>::value_type())),
                        ("rect", ::std::option::Option::Some(<super::super::super::test::values::types::Point as ::featherlight::ComponentType>::value_type())),
                        ("named", ::std::option::Option::Some(<::std::string::String as ::featherlight::ComponentType>::value_type())),
                    ]))
                }

                fn to_value(&self) -> ::featherlight::Value {
                    match self {
                        Self::Empty => ::featherlight::Value::Variant("empty".to_string(), ::std::option::Option::None),
                        Self::Circle(payload) => ::featherlight::Value::Variant("circle".to_string(), ::std::option::Option::Some(::std::boxed::Box::new(::featherlight::ComponentType::to_value(payload)))),
                        Self::Rect(payload) => ::featherlight::Value::Variant("rect".to_string(), ::std::option::Option::Some(::std::boxed::Box::new(::featherlight::ComponentType::to_value(payload)))),
                        Self::Named(payload) => ::featherlight::Value::Variant("named".to_string(), ::std::option::Option::Some(::std::boxed::Box::new(::featherlight::ComponentType::to_value(payload)))),
                    }
                }

                fn from_value(value: &::featherlight::Value) -> ::std::result::Result<Self, ::featherlight::typed::support::TypeError> {
                    let (case, payload) = ::featherlight::typed::support::variant(value, "shape")?;
                    match case {
                        "empty" => <() as ::featherlight::Payload>::from_payload(payload, "empty").map(|()| Self::Empty),
                        "circle" => <f64 as ::featherlight::Payload>::from_payload(payload, "circle").map(Self::Circle),
                        "rect" => <super::super::super::test::values::types::Point as ::featherlight::Payload>::from_payload(payload, "rect").map(Self::Rect),
                        "named" => <::std::string::String as ::featherlight::Payload>::from_payload(payload, "named").map(Self::Named),
                        other => ::std::result::Result::Err(::featherlight::typed::support::unknown_case("shape", other)),
                    }
                }
            }

            /// An enum with a case named like a WIT keyword.
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
            pub enum Color {
                Red,
                Green,
                Blue,
                Type,
            }

            impl ::featherlight::ComponentType for Color {
                fn value_type() -> ::featherlight::ValueType {
                    ::featherlight::ValueType::enumeration(["red", "green", "blue", "type"])
                }

                fn to_value(&self) -> ::featherlight::Value {
                    let case = match self {
                        Self::Red => "red",
                        Self::Green => "green",
                        Self::Blue => "blue",
                        Self::Type => "type",
                    };
                    ::featherlight::Value::Enum(case.to_string())
                }

                fn from_value(value: &::featherlight::Value) -> ::std::result::Result<Self, ::featherlight::typed::support::TypeError> {
                    match ::featherlight::typed::support::enum_case(value, "color")? {
                        "red" => ::std::result::Result::Ok(Self::Red),
                        "green" => ::std::result::Result::Ok(Self::Green),
                        "blue" => ::std::result::Result::Ok(Self::Blue),
                        "type" => ::std::result::Result::Ok(Self::Type),
                        other => ::std::result::Result::Err(::featherlight::typed::support::unknown_case("color", other)),
                    }
                }
            }

            /// Flags: a set of names.
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
            pub struct Permissions {
                pub read: bool,
                pub write: bool,
                pub exec: bool,
                pub admin: bool,
            }

            impl ::featherlight::ComponentType for Permissions {
                fn value_type() -> ::featherlight::ValueType {
                    ::featherlight::ValueType::flags(::std::vec::Vec::<&str>::from(["read", "write", "exec", "admin"]))
                }

                fn to_value(&self) -> ::featherlight::Value {
                    let mut set = ::std::vec::Vec::new();
                    if self.read {
                        set.push("read".to_string());
                    }
                    if self.write {
                        set.push("write".to_string());
                    }
                    if self.exec {
                        set.push("exec".to_string());
                    }
                    if self.admin {
                        set.push("admin".to_string());
                    }
                    ::featherlight::Value::Flags(set)
                }

                fn from_value(value: &::featherlight::Value) -> ::std::result::Result<Self, ::featherlight::typed::support::TypeError> {
                    let set = ::featherlight::typed::support::flags(value, "permissions", &["read", "write", "exec", "admin"])?;
                    ::std::result::Result::Ok(Self {
                        read: set.iter().any(|flag| flag == "read"),
                        write: set.iter().any(|flag| flag == "write"),
                        exec: set.iter().any(|flag| flag == "exec"),
                        admin: set.iter().any(|flag| flag == "admin"),
                    })
                }
            }

        }
    }
}
