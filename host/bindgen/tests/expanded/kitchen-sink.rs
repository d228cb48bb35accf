#[allow(clippy::all)]
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub name: ::std::string::String,
    pub shape_count: u32,
}

#[allow(clippy::all)]
impl ::featherlight::ComponentType for Config {
    fn value_type() -> ::featherlight::ValueType {
        ::featherlight::ValueType::record(::std::vec::Vec::<(&str, ::featherlight::ValueType)>::from([
            ("name", <::std::string::String as ::featherlight::ComponentType>::value_type()),
            ("shape-count", <u32 as ::featherlight::ComponentType>::value_type()),
        ]))
    }

    fn to_value(&self) -> ::featherlight::Value {
        ::featherlight::Value::Record(::std::vec![
            ("name".to_string(), ::featherlight::ComponentType::to_value(&self.name)),
            ("shape-count".to_string(), ::featherlight::ComponentType::to_value(&self.shape_count)),
        ])
    }

    fn from_value(value: &::featherlight::Value) -> ::std::result::Result<Self, ::featherlight::typed::support::TypeError> {
        let fields = ::featherlight::typed::support::record(value, "config")?;
        ::std::result::Result::Ok(Self {
            name: ::featherlight::typed::support::field(fields, "name")?,
            shape_count: ::featherlight::typed::support::field(fields, "shape-count")?,
        })
    }
}

/// What the host implements for the functions world `sink` imports itself.
#[allow(clippy::all)]
pub trait SinkImports {
    fn configure(&mut self, c: Config) -> ::std::result::Result<::std::option::Option<Config>, ::featherlight::HostError>;

    fn nine_in(&mut self, a: u32, b: u32, c: u32, d: u32, e: u32, f: u32, g: u32, h: u32, i: u32) -> ::std::result::Result<(), ::featherlight::HostError>;
}

/// Typed bindings of world `sink`: checks a component against it, links the host's
/// implementation of its imports and calls its exports.
#[allow(clippy::all)]
#[derive(Debug, Clone)]
pub struct Sink {
    test_sink_inner_api: exports::test::sink::inner_api::Guest,
    start: usize,
    nine_out: usize,
}

#[allow(clippy::all)]
impl Sink {
    /// Checks that `component` fits world `sink`; the error names the first
    /// missing or mistyped import or export.
    pub fn new(component: &::featherlight::Component) -> ::std::result::Result<Self, ::featherlight::Error> {
        let mut imports: ::std::vec::Vec<::featherlight::typed::support::Function> = ::std::vec::Vec::new();
        imports.extend(test::sink::inner_api::__functions());
        imports.push(::featherlight::typed::support::Function::new(::std::option::Option::None, "configure", ::std::vec![("c", <Config as ::featherlight::ComponentType>::value_type())], ::std::vec![<::std::option::Option<Config> as ::featherlight::ComponentType>::value_type()]));
        imports.push(::featherlight::typed::support::Function::new(::std::option::Option::None, "nine-in", ::std::vec![("a", <u32 as ::featherlight::ComponentType>::value_type()), ("b", <u32 as ::featherlight::ComponentType>::value_type()), ("c", <u32 as ::featherlight::ComponentType>::value_type()), ("d", <u32 as ::featherlight::ComponentType>::value_type()), ("e", <u32 as ::featherlight::ComponentType>::value_type()), ("f", <u32 as ::featherlight::ComponentType>::value_type()), ("g", <u32 as ::featherlight::ComponentType>::value_type()), ("h", <u32 as ::featherlight::ComponentType>::value_type()), ("i", <u32 as ::featherlight::ComponentType>::value_type())], ::std::vec::Vec::new()));
        let mut exports: ::std::vec::Vec<::featherlight::typed::support::Function> = ::std::vec::Vec::new();
        exports.extend(exports::test::sink::inner_api::Guest::__functions());
        exports.push(::featherlight::typed::support::Function::new(::std::option::Option::None, "start", ::std::vec![("c", <Config as ::featherlight::ComponentType>::value_type()), ("names", <::std::vec::Vec<::std::string::String> as ::featherlight::ComponentType>::value_type()), ("flag", <bool as ::featherlight::ComponentType>::value_type())], ::std::vec::Vec::new()));
        exports.push(::featherlight::typed::support::Function::new(::std::option::Option::None, "nine-out", ::std::vec![("a", <u32 as ::featherlight::ComponentType>::value_type()), ("b", <u32 as ::featherlight::ComponentType>::value_type()), ("c", <u32 as ::featherlight::ComponentType>::value_type()), ("d", <u32 as ::featherlight::ComponentType>::value_type()), ("e", <u32 as ::featherlight::ComponentType>::value_type()), ("f", <u32 as ::featherlight::ComponentType>::value_type()), ("g", <u32 as ::featherlight::ComponentType>::value_type()), ("h", <u32 as ::featherlight::ComponentType>::value_type()), ("i", <u32 as ::featherlight::ComponentType>::value_type())], ::std::vec![<u32 as ::featherlight::ComponentType>::value_type()]));
        let mut indices = ::featherlight::typed::support::check_world(component, &imports, &exports)?.into_iter();
        ::std::result::Result::Ok(Self {
            test_sink_inner_api: exports::test::sink::inner_api::Guest::__new(&mut indices),
            start: indices.next().unwrap_or(usize::MAX),
            nine_out: indices.next().unwrap_or(usize::MAX),
        })
    }

    /// Registers the host's implementation of every import in `linker`; each call
    /// locks `state`.
    pub fn add_to_linker<T: test::sink::inner_api::Host + SinkImports + ::std::marker::Send + 'static>(linker: &mut ::featherlight::Linker, state: &::std::sync::Arc<::std::sync::Mutex<T>>) {
        test::sink::inner_api::add_to_linker(linker, state);
        {
            let state = ::std::sync::Arc::clone(state);
            linker.func("", "configure", move |args| {
                let mut host = ::featherlight::typed::support::lock(&state);
                let result = T::configure(&mut *host, ::featherlight::typed::support::arg(args, 0)?)?;
                ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
            });
        }
        {
            let state = ::std::sync::Arc::clone(state);
            linker.func("", "nine-in", move |args| {
                let mut host = ::featherlight::typed::support::lock(&state);
                T::nine_in(&mut *host, ::featherlight::typed::support::arg(args, 0)?, ::featherlight::typed::support::arg(args, 1)?, ::featherlight::typed::support::arg(args, 2)?, ::featherlight::typed::support::arg(args, 3)?, ::featherlight::typed::support::arg(args, 4)?, ::featherlight::typed::support::arg(args, 5)?, ::featherlight::typed::support::arg(args, 6)?, ::featherlight::typed::support::arg(args, 7)?, ::featherlight::typed::support::arg(args, 8)?)?;
                ::std::result::Result::Ok(::std::vec::Vec::new())
            });
        }
    }

    /// Checks `component` against the world, then starts a sandbox of it with the
    /// host functions of `linker` plus the host's implementation of the world's imports.
    pub fn instantiate<T: test::sink::inner_api::Host + SinkImports + ::std::marker::Send + 'static>(component: &::featherlight::Component, linker: &::featherlight::Linker, state: &::std::sync::Arc<::std::sync::Mutex<T>>) -> ::std::result::Result<(Self, ::featherlight::Sandbox), ::featherlight::Error> {
        let bindings = Self::new(component)?;
        let mut linker = linker.clone();
        Self::add_to_linker(&mut linker, state);
        let sandbox = ::featherlight::Sandbox::new(component, &linker)?;
        ::std::result::Result::Ok((bindings, sandbox))
    }

    /// Typed calls of export `test:sink/inner-api`.
    pub fn test_sink_inner_api(&self) -> &exports::test::sink::inner_api::Guest {
        &self.test_sink_inner_api
    }

    pub fn call_start(&self, sandbox: &mut ::featherlight::Sandbox, c: &Config, names: &[::std::string::String], flag: bool) -> ::std::result::Result<(), ::featherlight::Error> {
        let results = ::featherlight::typed::support::call(sandbox, self.start, ::std::option::Option::None, "start", &[::featherlight::Lower::to_value(c), ::featherlight::Lower::to_value(names), ::featherlight::Lower::to_value(&flag)])?;
        ::featherlight::typed::support::no_result(results)
    }

    pub fn call_nine_out(&self, sandbox: &mut ::featherlight::Sandbox, a: u32, b: u32, c: u32, d: u32, e: u32, f: u32, g: u32, h: u32, i: u32) -> ::std::result::Result<u32, ::featherlight::Error> {
        let results = ::featherlight::typed::support::call(sandbox, self.nine_out, ::std::option::Option::None, "nine-out", &[::featherlight::Lower::to_value(&a), ::featherlight::Lower::to_value(&b), ::featherlight::Lower::to_value(&c), ::featherlight::Lower::to_value(&d), ::featherlight::Lower::to_value(&e), ::featherlight::Lower::to_value(&f), ::featherlight::Lower::to_value(&g), ::featherlight::Lower::to_value(&h), ::featherlight::Lower::to_value(&i)])?;
        ::featherlight::typed::support::result(results)
    }
}

#[allow(clippy::all)]
pub mod exports {

    pub mod test {

        pub mod sink {

            pub mod inner_api {
                pub type AllScalars = super::super::super::super::test::sink::types::AllScalars;

                pub type Shape = super::super::super::super::test::sink::types::Shape;

                pub type Pair = super::super::super::super::test::sink::types::Pair;

                pub type Result = super::super::super::super::test::sink::types::Result;

                pub type Option = super::super::super::super::test::sink::types::Option;

                pub type String = super::super::super::super::test::sink::types::String;

                /// Typed calls of the component's `test:sink/inner-api` export.
                #[derive(Debug, Clone)]
                pub struct Guest {
                    round_trip: usize,
                    clash: usize,
                    no_args: usize,
                    self_: usize,
                    nine: usize,
                }

                impl Guest {
                    #[doc(hidden)]
                    pub fn __functions() -> ::std::vec::Vec<::featherlight::typed::support::Function> {
                        ::std::vec![
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:sink/inner-api"), "round-trip", ::std::vec![("x", <super::super::super::super::test::sink::inner_api::AllScalars as ::featherlight::ComponentType>::value_type()), ("s", <super::super::super::super::test::sink::inner_api::Shape as ::featherlight::ComponentType>::value_type()), ("p", <super::super::super::super::test::sink::inner_api::Pair as ::featherlight::ComponentType>::value_type())], ::std::vec![<::std::result::Result<(super::super::super::super::test::sink::inner_api::AllScalars, super::super::super::super::test::sink::inner_api::Shape), ()> as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:sink/inner-api"), "clash", ::std::vec![("r", <super::super::super::super::test::sink::inner_api::Result as ::featherlight::ComponentType>::value_type()), ("o", <super::super::super::super::test::sink::inner_api::Option as ::featherlight::ComponentType>::value_type()), ("s", <super::super::super::super::test::sink::inner_api::String as ::featherlight::ComponentType>::value_type())], ::std::vec![<::std::result::Result<super::super::super::super::test::sink::inner_api::Result, super::super::super::super::test::sink::inner_api::String> as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:sink/inner-api"), "no-args", ::std::vec![], ::std::vec::Vec::new()),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:sink/inner-api"), "self", ::std::vec![("sandbox", <u32 as ::featherlight::ComponentType>::value_type()), ("type", <::std::string::String as ::featherlight::ComponentType>::value_type())], ::std::vec![<::std::vec::Vec<::std::vec::Vec<::std::string::String>> as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:sink/inner-api"), "nine", ::std::vec![("a", <u8 as ::featherlight::ComponentType>::value_type()), ("b", <u16 as ::featherlight::ComponentType>::value_type()), ("c", <u32 as ::featherlight::ComponentType>::value_type()), ("d", <u64 as ::featherlight::ComponentType>::value_type()), ("e", <i8 as ::featherlight::ComponentType>::value_type()), ("f", <i16 as ::featherlight::ComponentType>::value_type()), ("g", <i32 as ::featherlight::ComponentType>::value_type()), ("h", <i64 as ::featherlight::ComponentType>::value_type()), ("i", <::std::string::String as ::featherlight::ComponentType>::value_type())], ::std::vec![<u64 as ::featherlight::ComponentType>::value_type()]),
                        ]
                    }

                    #[doc(hidden)]
                    pub fn __new(indices: &mut impl ::std::iter::Iterator<Item = usize>) -> Self {
                        Self {
                            round_trip: indices.next().unwrap_or(usize::MAX),
                            clash: indices.next().unwrap_or(usize::MAX),
                            no_args: indices.next().unwrap_or(usize::MAX),
                            self_: indices.next().unwrap_or(usize::MAX),
                            nine: indices.next().unwrap_or(usize::MAX),
                        }
                    }

                    pub fn call_round_trip(&self, sandbox: &mut ::featherlight::Sandbox, x: &super::super::super::super::test::sink::inner_api::AllScalars, s: &super::super::super::super::test::sink::inner_api::Shape, p: &super::super::super::super::test::sink::inner_api::Pair) -> ::std::result::Result<::std::result::Result<(super::super::super::super::test::sink::inner_api::AllScalars, super::super::super::super::test::sink::inner_api::Shape), ()>, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.round_trip, ::std::option::Option::Some("test:sink/inner-api"), "round-trip", &[::featherlight::Lower::to_value(x), ::featherlight::Lower::to_value(s), ::featherlight::Lower::to_value(p)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_clash(&self, sandbox: &mut ::featherlight::Sandbox, r: &super::super::super::super::test::sink::inner_api::Result, o: &super::super::super::super::test::sink::inner_api::Option, s: &super::super::super::super::test::sink::inner_api::String) -> ::std::result::Result<::std::result::Result<super::super::super::super::test::sink::inner_api::Result, super::super::super::super::test::sink::inner_api::String>, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.clash, ::std::option::Option::Some("test:sink/inner-api"), "clash", &[::featherlight::Lower::to_value(r), ::featherlight::Lower::to_value(o), ::featherlight::Lower::to_value(s)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_no_args(&self, sandbox: &mut ::featherlight::Sandbox) -> ::std::result::Result<(), ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.no_args, ::std::option::Option::Some("test:sink/inner-api"), "no-args", &[])?;
                        ::featherlight::typed::support::no_result(results)
                    }

                    pub fn call_self_(&self, sandbox: &mut ::featherlight::Sandbox, sandbox_: u32, type_: &str) -> ::std::result::Result<::std::vec::Vec<::std::vec::Vec<::std::string::String>>, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.self_, ::std::option::Option::Some("test:sink/inner-api"), "self", &[::featherlight::Lower::to_value(&sandbox_), ::featherlight::Lower::to_value(type_)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    /// Nine parameters: more than clippy's `too_many_arguments` allows.
                    pub fn call_nine(&self, sandbox: &mut ::featherlight::Sandbox, a: u8, b: u16, c: u32, d: u64, e: i8, f: i16, g: i32, h: i64, i: &str) -> ::std::result::Result<u64, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.nine, ::std::option::Option::Some("test:sink/inner-api"), "nine", &[::featherlight::Lower::to_value(&a), ::featherlight::Lower::to_value(&b), ::featherlight::Lower::to_value(&c), ::featherlight::Lower::to_value(&d), ::featherlight::Lower::to_value(&e), ::featherlight::Lower::to_value(&f), ::featherlight::Lower::to_value(&g), ::featherlight::Lower::to_value(&h), ::featherlight::Lower::to_value(i)])?;
                        ::featherlight::typed::support::result(results)
                    }
                }
            }
        }
    }
}

#[allow(clippy::all)]
pub mod test {

    pub mod sink {

        pub mod inner_api {
            pub type AllScalars = super::super::super::test::sink::types::AllScalars;

            pub type Shape = super::super::super::test::sink::types::Shape;

            pub type Pair = super::super::super::test::sink::types::Pair;

            pub type Result = super::super::super::test::sink::types::Result;

            pub type Option = super::super::super::test::sink::types::Option;

            pub type String = super::super::super::test::sink::types::String;

            /// What the host implements for `test:sink/inner-api`.
            pub trait Host {
                fn round_trip(&mut self, x: super::super::super::test::sink::inner_api::AllScalars, s: super::super::super::test::sink::inner_api::Shape, p: super::super::super::test::sink::inner_api::Pair) -> ::std::result::Result<::std::result::Result<(super::super::super::test::sink::inner_api::AllScalars, super::super::super::test::sink::inner_api::Shape), ()>, ::featherlight::HostError>;

                fn clash(&mut self, r: super::super::super::test::sink::inner_api::Result, o: super::super::super::test::sink::inner_api::Option, s: super::super::super::test::sink::inner_api::String) -> ::std::result::Result<::std::result::Result<super::super::super::test::sink::inner_api::Result, super::super::super::test::sink::inner_api::String>, ::featherlight::HostError>;

                fn no_args(&mut self) -> ::std::result::Result<(), ::featherlight::HostError>;

                fn self_(&mut self, sandbox_: u32, type_: ::std::string::String) -> ::std::result::Result<::std::vec::Vec<::std::vec::Vec<::std::string::String>>, ::featherlight::HostError>;

                /// Nine parameters: more than clippy's `too_many_arguments` allows.
                fn nine(&mut self, a: u8, b: u16, c: u32, d: u64, e: i8, f: i16, g: i32, h: i64, i: ::std::string::String) -> ::std::result::Result<u64, ::featherlight::HostError>;
            }

            /// Registers `test:sink/inner-api`'s functions in `linker`, each calling `state`.
            pub fn add_to_linker<T: Host + ::std::marker::Send + 'static>(linker: &mut ::featherlight::Linker, state: &::std::sync::Arc<::std::sync::Mutex<T>>) {
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:sink/inner-api", "round-trip", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        let result = T::round_trip(&mut *host, ::featherlight::typed::support::arg(args, 0)?, ::featherlight::typed::support::arg(args, 1)?, ::featherlight::typed::support::arg(args, 2)?)?;
                        ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
                    });
                }
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:sink/inner-api", "clash", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        let result = T::clash(&mut *host, ::featherlight::typed::support::arg(args, 0)?, ::featherlight::typed::support::arg(args, 1)?, ::featherlight::typed::support::arg(args, 2)?)?;
                        ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
                    });
                }
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:sink/inner-api", "no-args", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        T::no_args(&mut *host)?;
                        ::std::result::Result::Ok(::std::vec::Vec::new())
                    });
                }
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:sink/inner-api", "self", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        let result = T::self_(&mut *host, ::featherlight::typed::support::arg(args, 0)?, ::featherlight::typed::support::arg(args, 1)?)?;
                        ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
                    });
                }
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:sink/inner-api", "nine", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        let result = T::nine(&mut *host, ::featherlight::typed::support::arg(args, 0)?, ::featherlight::typed::support::arg(args, 1)?, ::featherlight::typed::support::arg(args, 2)?, ::featherlight::typed::support::arg(args, 3)?, ::featherlight::typed::support::arg(args, 4)?, ::featherlight::typed::support::arg(args, 5)?, ::featherlight::typed::support::arg(args, 6)?, ::featherlight::typed::support::arg(args, 7)?, ::featherlight::typed::support::arg(args, 8)?)?;
                        ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
                    });
                }
            }

            #[doc(hidden)]
            pub fn __functions() -> ::std::vec::Vec<::featherlight::typed::support::Function> {
                ::std::vec![
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:sink/inner-api"), "round-trip", ::std::vec![("x", <super::super::super::test::sink::inner_api::AllScalars as ::featherlight::ComponentType>::value_type()), ("s", <super::super::super::test::sink::inner_api::Shape as ::featherlight::ComponentType>::value_type()), ("p", <super::super::super::test::sink::inner_api::Pair as ::featherlight::ComponentType>::value_type())], ::std::vec![<::std::result::Result<(super::super::super::test::sink::inner_api::AllScalars, super::super::super::test::sink::inner_api::Shape), ()> as ::featherlight::ComponentType>::value_type()]),
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:sink/inner-api"), "clash", ::std::vec![("r", <super::super::super::test::sink::inner_api::Result as ::featherlight::ComponentType>::value_type()), ("o", <super::super::super::test::sink::inner_api::Option as ::featherlight::ComponentType>::value_type()), ("s", <super::super::super::test::sink::inner_api::String as ::featherlight::ComponentType>::value_type())], ::std::vec![<::std::result::Result<super::super::super::test::sink::inner_api::Result, super::super::super::test::sink::inner_api::String> as ::featherlight::ComponentType>::value_type()]),
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:sink/inner-api"), "no-args", ::std::vec![], ::std::vec::Vec::new()),
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:sink/inner-api"), "self", ::std::vec![("sandbox", <u32 as ::featherlight::ComponentType>::value_type()), ("type", <::std::string::String as ::featherlight::ComponentType>::value_type())], ::std::vec![<::std::vec::Vec<::std::vec::Vec<::std::string::String>> as ::featherlight::ComponentType>::value_type()]),
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:sink/inner-api"), "nine", ::std::vec![("a", <u8 as ::featherlight::ComponentType>::value_type()), ("b", <u16 as ::featherlight::ComponentType>::value_type()), ("c", <u32 as ::featherlight::ComponentType>::value_type()), ("d", <u64 as ::featherlight::ComponentType>::value_type()), ("e", <i8 as ::featherlight::ComponentType>::value_type()), ("f", <i16 as ::featherlight::ComponentType>::value_type()), ("g", <i32 as ::featherlight::ComponentType>::value_type()), ("h", <i64 as ::featherlight::ComponentType>::value_type()), ("i", <::std::string::String as ::featherlight::ComponentType>::value_type())], ::std::vec![<u64 as ::featherlight::ComponentType>::value_type()]),
                ]
            }
        }

        pub mod types {
            #[derive(Debug, Clone, PartialEq)]
            pub struct AllScalars {
                pub a: bool,
                pub b: i8,
                pub c: u8,
                pub d: i16,
                pub e: u16,
                pub f: i32,
                pub g: u32,
                pub h: i64,
                pub i: u64,
                pub j: f32,
                pub k: f64,
                pub l: char,
                pub m: ::std::string::String,
            }

            impl ::featherlight::ComponentType for AllScalars {
                fn value_type() -> ::featherlight::ValueType {
                    ::featherlight::ValueType::record(::std::vec::Vec::<(&str, ::featherlight::ValueType)>::from([
                        ("a", <bool as ::featherlight::ComponentType>::value_type()),
                        ("b", <i8 as ::featherlight::ComponentType>::value_type()),
                        ("c", <u8 as ::featherlight::ComponentType>::value_type()),
                        ("d", <i16 as ::featherlight::ComponentType>::value_type()),
                        ("e", <u16 as ::featherlight::ComponentType>::value_type()),
                        ("f", <i32 as ::featherlight::ComponentType>::value_type()),
                        ("g", <u32 as ::featherlight::ComponentType>::value_type()),
                        ("h", <i64 as ::featherlight::ComponentType>::value_type()),
                        ("i", <u64 as ::featherlight::ComponentType>::value_type()),
                        ("j", <f32 as ::featherlight::ComponentType>::value_type()),
                        ("k", <f64 as ::featherlight::ComponentType>::value_type()),
                        ("l", <char as ::featherlight::ComponentType>::value_type()),
                        ("m", <::std::string::String as ::featherlight::ComponentType>::value_type()),
                    ]))
                }

                fn to_value(&self) -> ::featherlight::Value {
                    ::featherlight::Value::Record(::std::vec![
                        ("a".to_string(), ::featherlight::ComponentType::to_value(&self.a)),
                        ("b".to_string(), ::featherlight::ComponentType::to_value(&self.b)),
                        ("c".to_string(), ::featherlight::ComponentType::to_value(&self.c)),
                        ("d".to_string(), ::featherlight::ComponentType::to_value(&self.d)),
                        ("e".to_string(), ::featherlight::ComponentType::to_value(&self.e)),
                        ("f".to_string(), ::featherlight::ComponentType::to_value(&self.f)),
                        ("g".to_string(), ::featherlight::ComponentType::to_value(&self.g)),
                        ("h".to_string(), ::featherlight::ComponentType::to_value(&self.h)),
                        ("i".to_string(), ::featherlight::ComponentType::to_value(&self.i)),
                        ("j".to_string(), ::featherlight::ComponentType::to_value(&self.j)),
                        ("k".to_string(), ::featherlight::ComponentType::to_value(&self.k)),
                        ("l".to_string(), ::featherlight::ComponentType::to_value(&self.l)),
                        ("m".to_string(), ::featherlight::ComponentType::to_value(&self.m)),
                    ])
                }

                fn from_value(value: &::featherlight::Value) -> ::std::result::Result<Self, ::featherlight::typed::support::TypeError> {
                    let fields = ::featherlight::typed::support::record(value, "all-scalars")?;
                    ::std::result::Result::Ok(Self {
                        a: ::featherlight::typed::support::field(fields, "a")?,
                        b: ::featherlight::typed::support::field(fields, "b")?,
                        c: ::featherlight::typed::support::field(fields, "c")?,
                        d: ::featherlight::typed::support::field(fields, "d")?,
                        e: ::featherlight::typed::support::field(fields, "e")?,
                        f: ::featherlight::typed::support::field(fields, "f")?,
                        g: ::featherlight::typed::support::field(fields, "g")?,
                        h: ::featherlight::typed::support::field(fields, "h")?,
                        i: ::featherlight::typed::support::field(fields, "i")?,
                        j: ::featherlight::typed::support::field(fields, "j")?,
                        k: ::featherlight::typed::support::field(fields, "k")?,
                        l: ::featherlight::typed::support::field(fields, "l")?,
                        m: ::featherlight::typed::support::field(fields, "m")?,
                    })
                }
            }

            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
            pub enum Color {
                Red,
                Green,
                Type,
            }

            impl ::featherlight::ComponentType for Color {
                fn value_type() -> ::featherlight::ValueType {
                    ::featherlight::ValueType::enumeration(["red", "green", "type"])
                }

                fn to_value(&self) -> ::featherlight::Value {
                    let case = match self {
                        Self::Red => "red",
                        Self::Green => "green",
                        Self::Type => "type",
                    };
                    ::featherlight::Value::Enum(case.to_string())
                }

                fn from_value(value: &::featherlight::Value) -> ::std::result::Result<Self, ::featherlight::typed::support::TypeError> {
                    match ::featherlight::typed::support::enum_case(value, "color")? {
                        "red" => ::std::result::Result::Ok(Self::Red),
                        "green" => ::std::result::Result::Ok(Self::Green),
                        "type" => ::std::result::Result::Ok(Self::Type),
                        other => ::std::result::Result::Err(::featherlight::typed::support::unknown_case("color", other)),
                    }
                }
            }

            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
            pub struct Access {
                pub read: bool,
                pub write: bool,
                pub http_admin: bool,
            }

            impl ::featherlight::ComponentType for Access {
                fn value_type() -> ::featherlight::ValueType {
                    ::featherlight::ValueType::flags(::std::vec::Vec::<&str>::from(["read", "write", "HTTP-admin"]))
                }

                fn to_value(&self) -> ::featherlight::Value {
                    let mut set = ::std::vec::Vec::new();
                    if self.read {
                        set.push("read".to_string());
                    }
                    if self.write {
                        set.push("write".to_string());
                    }
                    if self.http_admin {
                        set.push("HTTP-admin".to_string());
                    }
                    ::featherlight::Value::Flags(set)
                }

                fn from_value(value: &::featherlight::Value) -> ::std::result::Result<Self, ::featherlight::typed::support::TypeError> {
                    let set = ::featherlight::typed::support::flags(value, "access", &["read", "write", "HTTP-admin"])?;
                    ::std::result::Result::Ok(Self {
                        read: set.iter().any(|flag| flag == "read"),
                        write: set.iter().any(|flag| flag == "write"),
                        http_admin: set.iter().any(|flag| flag == "HTTP-admin"),
                    })
                }
            }

            #[derive(Debug, Clone, PartialEq)]
            pub enum Shape {
                None,
                Circle(f64),
                Poly(::std::vec::Vec<(f64, f64)>),
                Nested(::std::option::Option<::std::result::Result<super::super::super::test::sink::types::Color, ::std::string::String>>),
            }

            impl ::featherlight::ComponentType for Shape {
                fn value_type() -> ::featherlight::ValueType {
                    ::featherlight::ValueType::variant(::std::vec::Vec::<(&str, ::std::option::Option<::featherlight::ValueType>)>::from([
                        ("none", ::std::option::Option::None),
                        ("circle", ::std::option::Option::Some(<f64 as ::featherlight::ComponentType>::value_type())),
                        ("poly", ::std::option::Option::Some(<::std::vec::Vec<(f64, f64)> as ::featherlight::ComponentType>::value_type())),
                        ("nested", ::std::option::Option::Some(<::std::option::Option<::std::result::Result<super::super::super::test::sink::types::Color, ::std::string::String>> as ::featherlight::ComponentType>::value_type())),
                    ]))
                }

                fn to_value(&self) -> ::featherlight::Value {
                    match self {
                        Self::None => ::featherlight::Value::Variant("none".to_string(), ::std::option::Option::None),
                        Self::Circle(payload) => ::featherlight::Value::Variant("circle".to_string(), ::std::option::Option::Some(::std::boxed::Box::new(::featherlight::ComponentType::to_value(payload)))),
                        Self::Poly(payload) => ::featherlight::Value::Variant("poly".to_string(), ::std::option::Option::Some(::std::boxed::Box::new(::featherlight::ComponentType::to_value(payload)))),
                        Self::Nested(payload) => ::featherlight::Value::Variant("nested".to_string(), ::std::option::Option::Some(::std::boxed::Box::new(::featherlight::ComponentType::to_value(payload)))),
                    }
                }

                fn from_value(value: &::featherlight::Value) -> ::std::result::Result<Self, ::featherlight::typed::support::TypeError> {
                    let (case, payload) = ::featherlight::typed::support::variant(value, "shape")?;
                    match case {
                        "none" => <() as ::featherlight::Payload>::from_payload(payload, "none").map(|()| Self::None),
                        "circle" => <f64 as ::featherlight::Payload>::from_payload(payload, "circle").map(Self::Circle),
                        "poly" => <::std::vec::Vec<(f64, f64)> as ::featherlight::Payload>::from_payload(payload, "poly").map(Self::Poly),
                        "nested" => <::std::option::Option<::std::result::Result<super::super::super::test::sink::types::Color, ::std::string::String>> as ::featherlight::Payload>::from_payload(payload, "nested").map(Self::Nested),
                        other => ::std::result::Result::Err(::featherlight::typed::support::unknown_case("shape", other)),
                    }
                }
            }

            pub type Bytes = ::std::vec::Vec<u8>;

            pub type Pair = (super::super::super::test::sink::types::Bytes, super::super::super::test::sink::types::Access);

            /// Names that clash with Rust's prelude and std types.
            #[derive(Debug, Clone, PartialEq)]
            pub struct Result {
                pub ok: bool,
                pub err: ::std::option::Option<::std::string::String>,
            }

            impl ::featherlight::ComponentType for Result {
                fn value_type() -> ::featherlight::ValueType {
                    ::featherlight::ValueType::record(::std::vec::Vec::<(&str, ::featherlight::ValueType)>::from([
                        ("ok", <bool as ::featherlight::ComponentType>::value_type()),
                        ("err", <::std::option::Option<::std::string::String> as ::featherlight::ComponentType>::value_type()),
                    ]))
                }

                fn to_value(&self) -> ::featherlight::Value {
                    ::featherlight::Value::Record(::std::vec![
                        ("ok".to_string(), ::featherlight::ComponentType::to_value(&self.ok)),
                        ("err".to_string(), ::featherlight::ComponentType::to_value(&self.err)),
                    ])
                }

                fn from_value(value: &::featherlight::Value) -> ::std::result::Result<Self, ::featherlight::typed::support::TypeError> {
                    let fields = ::featherlight::typed::support::record(value, "result")?;
                    ::std::result::Result::Ok(Self {
                        ok: ::featherlight::typed::support::field(fields, "ok")?,
                        err: ::featherlight::typed::support::field(fields, "err")?,
                    })
                }
            }

            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
            pub enum Option {
                Some,
                None,
            }

            impl ::featherlight::ComponentType for Option {
                fn value_type() -> ::featherlight::ValueType {
                    ::featherlight::ValueType::enumeration(["some", "none"])
                }

                fn to_value(&self) -> ::featherlight::Value {
                    let case = match self {
                        Self::Some => "some",
                        Self::None => "none",
                    };
                    ::featherlight::Value::Enum(case.to_string())
                }

                fn from_value(value: &::featherlight::Value) -> ::std::result::Result<Self, ::featherlight::typed::support::TypeError> {
                    match ::featherlight::typed::support::enum_case(value, "option")? {
                        "some" => ::std::result::Result::Ok(Self::Some),
                        "none" => ::std::result::Result::Ok(Self::None),
                        other => ::std::result::Result::Err(::featherlight::typed::support::unknown_case("option", other)),
                    }
                }
            }

            #[derive(Debug, Clone, PartialEq)]
            pub enum String {
                Vec(::std::vec::Vec<u8>),
                Box,
            }

            impl ::featherlight::ComponentType for String {
                fn value_type() -> ::featherlight::ValueType {
                    ::featherlight::ValueType::variant(::std::vec::Vec::<(&str, ::std::option::Option<::featherlight::ValueType>)>::from([
                        ("vec", ::std::option::Option::Some(<::std::vec::Vec<u8> as ::featherlight::ComponentType>::value_type())),
                        ("box", ::std::option::Option::None),
                    ]))
                }

                fn to_value(&self) -> ::featherlight::Value {
                    match self {
                        Self::Vec(payload) => ::featherlight::Value::Variant("vec".to_string(), ::std::option::Option::Some(::std::boxed::Box::new(::featherlight::ComponentType::to_value(payload)))),
                        Self::Box => ::featherlight::Value::Variant("box".to_string(), ::std::option::Option::None),
                    }
                }

                fn from_value(value: &::featherlight::Value) -> ::std::result::Result<Self, ::featherlight::typed::support::TypeError> {
                    let (case, payload) = ::featherlight::typed::support::variant(value, "string")?;
                    match case {
                        "vec" => <::std::vec::Vec<u8> as ::featherlight::Payload>::from_payload(payload, "vec").map(Self::Vec),
                        "box" => <() as ::featherlight::Payload>::from_payload(payload, "box").map(|()| Self::Box),
                        other => ::std::result::Result::Err(::featherlight::typed::support::unknown_case("string", other)),
                    }
                }
            }

        }
    }
}
