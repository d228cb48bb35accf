/// What the host implements for the functions world `plugin` imports itself.
#[allow(clippy::all)]
pub trait PluginImports {
    fn log(&mut self, message: ::std::string::String) -> ::std::result::Result<(), ::featherlight::HostError>;
}

/// Typed bindings of world `plugin`: checks a component against it, links the host's
/// implementation of its imports and calls its exports.
#[allow(clippy::all)]
#[derive(Debug, Clone)]
pub struct Plugin {
    example_kv_api: exports::example::kv::api::Guest,
    version: usize,
}

#[allow(clippy::all)]
impl Plugin {
    /// Checks that `component` fits world `plugin`; the error names the first
    /// missing or mistyped import or export.
    pub fn new(component: &::featherlight::Component) -> ::std::result::Result<Self, ::featherlight::Error> {
        let mut imports: ::std::vec::Vec<::featherlight::typed::support::Function> = ::std::vec::Vec::new();
        imports.extend(example::kv::store::__functions());
        imports.push(::featherlight::typed::support::Function::new(::std::option::Option::None, "log", ::std::vec![("message", <::std::string::String as ::featherlight::ComponentType>::value_type())], ::std::vec::Vec::new()));
        let mut exports: ::std::vec::Vec<::featherlight::typed::support::Function> = ::std::vec::Vec::new();
        exports.extend(exports::example::kv::api::Guest::__functions());
        exports.push(::featherlight::typed::support::Function::new(::std::option::Option::None, "version", ::std::vec![], ::std::vec![<::std::string::String as ::featherlight::ComponentType>::value_type()]));
        let mut indices = ::featherlight::typed::support::check_world(component, &imports, &exports)?.into_iter();
        ::std::result::Result::Ok(Self {
            example_kv_api: exports::example::kv::api::Guest::__new(&mut indices),
            version: indices.next().unwrap_or(usize::MAX),
        })
    }

    /// Registers the host's implementation of every import in `linker`; each call
    /// locks `state`.
    pub fn add_to_linker<T: example::kv::store::Host + PluginImports + ::std::marker::Send + 'static>(linker: &mut ::featherlight::Linker, state: &::std::sync::Arc<::std::sync::Mutex<T>>) {
        example::kv::store::add_to_linker(linker, state);
        {
            let state = ::std::sync::Arc::clone(state);
            linker.func("", "log", move |args| {
                let mut host = ::featherlight::typed::support::lock(&state);
                T::log(&mut *host, ::featherlight::typed::support::arg(args, 0)?)?;
                ::std::result::Result::Ok(::std::vec::Vec::new())
            });
        }
    }

    /// Checks `component` against the world, then starts a sandbox of it with the
    /// host functions of `linker` plus the host's implementation of the world's imports.
    pub fn instantiate<T: example::kv::store::Host + PluginImports + ::std::marker::Send + 'static>(component: &::featherlight::Component, linker: &::featherlight::Linker, state: &::std::sync::Arc<::std::sync::Mutex<T>>) -> ::std::result::Result<(Self, ::featherlight::Sandbox), ::featherlight::Error> {
        let bindings = Self::new(component)?;
        let mut linker = linker.clone();
        Self::add_to_linker(&mut linker, state);
        let sandbox = ::featherlight::Sandbox::new(component, &linker)?;
        ::std::result::Result::Ok((bindings, sandbox))
    }

    /// Typed calls of export `example:kv/api@0.1.0`.
    pub fn example_kv_api(&self) -> &exports::example::kv::api::Guest {
        &self.example_kv_api
    }

    pub fn call_version(&self, sandbox: &mut ::featherlight::Sandbox) -> ::std::result::Result<::std::string::String, ::featherlight::Error> {
        let results = ::featherlight::typed::support::call(sandbox, self.version, ::std::option::Option::None, "version", &[])?;
        ::featherlight::typed::support::result(results)
    }
}

#[allow(clippy::all)]
pub mod example {

    pub mod kv {

        pub mod store {
            //! A key-value store the host provides.

            /// Why a store operation failed.
            #[derive(Debug, Clone, PartialEq)]
            pub enum StoreError {
                /// The key is not valid.
                InvalidKey(::std::string::String),
                /// The store is full.
                Full,
            }

            impl ::featherlight::ComponentType for StoreError {
                fn value_type() -> ::featherlight::ValueType {
                    ::featherlight::ValueType::variant(::std::vec::Vec::<(&str, ::std::option::Option<::featherlight::ValueType>)>::from([
                        ("invalid-key", ::std::option::Option::Some(<::std::string::String as ::featherlight::ComponentType>::value_type())),
                        ("full", ::std::option::Option::None),
                    ]))
                }

                fn to_value(&self) -> ::featherlight::Value {
                    match self {
                        Self::InvalidKey(payload) => ::featherlight::Value::Variant("invalid-key".to_string(), ::std::option::Option::Some(::std::boxed::Box::new(::featherlight::ComponentType::to_value(payload)))),
                        Self::Full => ::featherlight::Value::Variant("full".to_string(), ::std::option::Option::None),
                    }
                }

                fn from_value(value: &::featherlight::Value) -> ::std::result::Result<Self, ::featherlight::typed::support::TypeError> {
                    let (case, payload) = ::featherlight::typed::support::variant(value, "store-error")?;
                    match case {
                        "invalid-key" => <::std::string::String as ::featherlight::Payload>::from_payload(payload, "invalid-key").map(Self::InvalidKey),
                        "full" => <() as ::featherlight::Payload>::from_payload(payload, "full").map(|()| Self::Full),
                        other => ::std::result::Result::Err(::featherlight::typed::support::unknown_case("store-error", other)),
                    }
                }
            }

            /// What the host implements for `example:kv/store@0.1.0`.
            pub trait Host {
                fn get(&mut self, key: ::std::string::String) -> ::std::result::Result<::std::result::Result<::std::option::Option<::std::vec::Vec<u8>>, super::super::super::example::kv::store::StoreError>, ::featherlight::HostError>;

                fn set(&mut self, key: ::std::string::String, value: ::std::vec::Vec<u8>) -> ::std::result::Result<::std::result::Result<(), super::super::super::example::kv::store::StoreError>, ::featherlight::HostError>;

                fn delete(&mut self, key: ::std::string::String) -> ::std::result::Result<(), ::featherlight::HostError>;
            }

            /// Registers `example:kv/store@0.1.0`'s functions in `linker`, each calling `state`.
            pub fn add_to_linker<T: Host + ::std::marker::Send + 'static>(linker: &mut ::featherlight::Linker, state: &::std::sync::Arc<::std::sync::Mutex<T>>) {
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("example:kv/store@0.1.0", "get", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        let result = T::get(&mut *host, ::featherlight::typed::support::arg(args, 0)?)?;
                        ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
                    });
                }
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("example:kv/store@0.1.0", "set", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        let result = T::set(&mut *host, ::featherlight::typed::support::arg(args, 0)?, ::featherlight::typed::support::arg(args, 1)?)?;
                        ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
                    });
                }
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("example:kv/store@0.1.0", "delete", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        T::delete(&mut *host, ::featherlight::typed::support::arg(args, 0)?)?;
                        ::std::result::Result::Ok(::std::vec::Vec::new())
                    });
                }
            }

            #[doc(hidden)]
            pub fn __functions() -> ::std::vec::Vec<::featherlight::typed::support::Function> {
                ::std::vec![
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("example:kv/store@0.1.0"), "get", ::std::vec![("key", <::std::string::String as ::featherlight::ComponentType>::value_type())], ::std::vec![<::std::result::Result<::std::option::Option<::std::vec::Vec<u8>>, super::super::super::example::kv::store::StoreError> as ::featherlight::ComponentType>::value_type()]),
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("example:kv/store@0.1.0"), "set", ::std::vec![("key", <::std::string::String as ::featherlight::ComponentType>::value_type()), ("value", <::std::vec::Vec<u8> as ::featherlight::ComponentType>::value_type())], ::std::vec![<::std::result::Result<(), super::super::super::example::kv::store::StoreError> as ::featherlight::ComponentType>::value_type()]),
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("example:kv/store@0.1.0"), "delete", ::std::vec![("key", <::std::string::String as ::featherlight::ComponentType>::value_type())], ::std::vec::Vec::new()),
                ]
            }
        }
    }
}

#[allow(clippy::all)]
pub mod exports {

    pub mod example {

        pub mod kv {

            pub mod api {
                //! What the guest offers.

                #[derive(Debug, Clone, PartialEq)]
                pub struct Request {
                    pub method: ::std::string::String,
                    pub path: ::std::string::String,
                    pub body: ::std::option::Option<::std::vec::Vec<u8>>,
                }

                impl ::featherlight::ComponentType for Request {
                    fn value_type() -> ::featherlight::ValueType {
                        ::featherlight::ValueType::record(::std::vec::Vec::<(&str, ::featherlight::ValueType)>::from([
                            ("method", <::std::string::String as ::featherlight::ComponentType>::value_type()),
                            ("path", <::std::string::String as ::featherlight::ComponentType>::value_type()),
                            ("body", <::std::option::Option<::std::vec::Vec<u8>> as ::featherlight::ComponentType>::value_type()),
                        ]))
                    }

                    fn to_value(&self) -> ::featherlight::Value {
                        ::featherlight::Value::Record(::std::vec![
                            ("method".to_string(), ::featherlight::ComponentType::to_value(&self.method)),
                            ("path".to_string(), ::featherlight::ComponentType::to_value(&self.path)),
                            ("body".to_string(), ::featherlight::ComponentType::to_value(&self.body)),
                        ])
                    }

                    fn from_value(value: &::featherlight::Value) -> ::std::result::Result<Self, ::featherlight::typed::support::TypeError> {
                        let fields = ::featherlight::typed::support::record(value, "request")?;
                        ::std::result::Result::Ok(Self {
                            method: ::featherlight::typed::support::field(fields, "method")?,
                            path: ::featherlight::typed::support::field(fields, "path")?,
                            body: ::featherlight::typed::support::field(fields, "body")?,
                        })
                    }
                }

                /// Typed calls of the component's `example:kv/api@0.1.0` export.
                #[derive(Debug, Clone)]
                pub struct Guest {
                    handle: usize,
                }

                impl Guest {
                    #[doc(hidden)]
                    pub fn __functions() -> ::std::vec::Vec<::featherlight::typed::support::Function> {
                        ::std::vec![
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("example:kv/api@0.1.0"), "handle", ::std::vec![("request", <super::super::super::super::exports::example::kv::api::Request as ::featherlight::ComponentType>::value_type())], ::std::vec![<(u16, ::std::string::String) as ::featherlight::ComponentType>::value_type()]),
                        ]
                    }

                    #[doc(hidden)]
                    pub fn __new(indices: &mut impl ::std::iter::Iterator<Item = usize>) -> Self {
                        Self {
                            handle: indices.next().unwrap_or(usize::MAX),
                        }
                    }

                    pub fn call_handle(&self, sandbox: &mut ::featherlight::Sandbox, request: &super::super::super::super::exports::example::kv::api::Request) -> ::std::result::Result<(u16, ::std::string::String), ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.handle, ::std::option::Option::Some("example:kv/api@0.1.0"), "handle", &[::featherlight::Lower::to_value(request)])?;
                        ::featherlight::typed::support::result(results)
                    }
                }
            }
        }
    }
}
