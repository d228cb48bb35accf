#[allow(clippy::all)]
pub type Blob = test::resources::store::Blob;

/// Typed bindings of world `resources`: checks a component against it, links the host's
/// implementation of its imports and calls its exports.
#[allow(clippy::all)]
#[derive(Debug, Clone)]
pub struct Resources {
    test_resources_counters: exports::test::resources::counters::Guest,
    churn: usize,
    measure: usize,
    consume: usize,
    make: usize,
    merge_kept: usize,
}

#[allow(clippy::all)]
impl Resources {
    /// Checks that `component` fits world `resources`; the error names the first
    /// missing or mistyped import or export.
    pub fn new(component: &::featherlight::Component) -> ::std::result::Result<Self, ::featherlight::Error> {
        let mut imports: ::std::vec::Vec<::featherlight::typed::support::Function> = ::std::vec::Vec::new();
        imports.extend(test::resources::store::__functions());
        let mut exports: ::std::vec::Vec<::featherlight::typed::support::Function> = ::std::vec::Vec::new();
        exports.extend(exports::test::resources::counters::Guest::__functions());
        exports.push(::featherlight::typed::support::Function::new(::std::option::Option::None, "churn", ::std::vec![("n", <u32 as ::featherlight::ComponentType>::value_type())], ::std::vec![<u32 as ::featherlight::ComponentType>::value_type()]));
        exports.push(::featherlight::typed::support::Function::new(::std::option::Option::None, "measure", ::std::vec![("b", <::featherlight::Borrow<Blob> as ::featherlight::ComponentType>::value_type())], ::std::vec![<u32 as ::featherlight::ComponentType>::value_type()]));
        exports.push(::featherlight::typed::support::Function::new(::std::option::Option::None, "consume", ::std::vec![("b", <::featherlight::Own<Blob> as ::featherlight::ComponentType>::value_type())], ::std::vec![<u32 as ::featherlight::ComponentType>::value_type()]));
        exports.push(::featherlight::typed::support::Function::new(::std::option::Option::None, "make", ::std::vec![("init", <::std::vec::Vec<u8> as ::featherlight::ComponentType>::value_type())], ::std::vec![<::featherlight::Own<Blob> as ::featherlight::ComponentType>::value_type()]));
        exports.push(::featherlight::typed::support::Function::new(::std::option::Option::None, "merge-kept", ::std::vec![], ::std::vec![<u32 as ::featherlight::ComponentType>::value_type()]));
        let mut indices = ::featherlight::typed::support::check_world(component, &imports, &exports)?.into_iter();
        ::std::result::Result::Ok(Self {
            test_resources_counters: exports::test::resources::counters::Guest::__new(&mut indices),
            churn: indices.next().unwrap_or(usize::MAX),
            measure: indices.next().unwrap_or(usize::MAX),
            consume: indices.next().unwrap_or(usize::MAX),
            make: indices.next().unwrap_or(usize::MAX),
            merge_kept: indices.next().unwrap_or(usize::MAX),
        })
    }

    /// Registers the host's implementation of every import in `linker`; each call
    /// locks `state`.
    pub fn add_to_linker<T: test::resources::store::Host + ::std::marker::Send + 'static>(linker: &mut ::featherlight::Linker, state: &::std::sync::Arc<::std::sync::Mutex<T>>) {
        test::resources::store::add_to_linker(linker, state);
    }

    /// Checks `component` against the world, then starts a sandbox of it with the
    /// host functions of `linker` plus the host's implementation of the world's imports.
    pub fn instantiate<T: test::resources::store::Host + ::std::marker::Send + 'static>(component: &::featherlight::Component, linker: &::featherlight::Linker, state: &::std::sync::Arc<::std::sync::Mutex<T>>) -> ::std::result::Result<(Self, ::featherlight::Sandbox), ::featherlight::Error> {
        let bindings = Self::new(component)?;
        let mut linker = linker.clone();
        Self::add_to_linker(&mut linker, state);
        let sandbox = ::featherlight::Sandbox::new(component, &linker)?;
        ::std::result::Result::Ok((bindings, sandbox))
    }

    /// Typed calls of export `test:resources/counters`.
    pub fn test_resources_counters(&self) -> &exports::test::resources::counters::Guest {
        &self.test_resources_counters
    }

    /// Creates and drops `n` blobs; returns the sum of their lengths.
    pub fn call_churn(&self, sandbox: &mut ::featherlight::Sandbox, n: u32) -> ::std::result::Result<u32, ::featherlight::Error> {
        let results = ::featherlight::typed::support::call(sandbox, self.churn, ::std::option::Option::None, "churn", &[::featherlight::Lower::to_value(&n)])?;
        ::featherlight::typed::support::result(results)
    }

    /// Length of a blob the host lends.
    pub fn call_measure(&self, sandbox: &mut ::featherlight::Sandbox, b: ::featherlight::Borrow<Blob>) -> ::std::result::Result<u32, ::featherlight::Error> {
        let results = ::featherlight::typed::support::call(sandbox, self.measure, ::std::option::Option::None, "measure", &[::featherlight::Lower::to_value(&b)])?;
        ::featherlight::typed::support::result(results)
    }

    /// Takes a blob from the host, appends to it, returns its length; drops it.
    pub fn call_consume(&self, sandbox: &mut ::featherlight::Sandbox, b: ::featherlight::Own<Blob>) -> ::std::result::Result<u32, ::featherlight::Error> {
        let results = ::featherlight::typed::support::call(sandbox, self.consume, ::std::option::Option::None, "consume", &[::featherlight::Lower::to_value(&b)])?;
        ::featherlight::typed::support::result(results)
    }

    /// Makes a blob and gives it to the host.
    pub fn call_make(&self, sandbox: &mut ::featherlight::Sandbox, init: &[u8]) -> ::std::result::Result<::featherlight::Own<Blob>, ::featherlight::Error> {
        let results = ::featherlight::typed::support::call(sandbox, self.make, ::std::option::Option::None, "make", &[::featherlight::Lower::to_value(init)])?;
        ::featherlight::typed::support::result(results)
    }

    /// Merges two new blobs in the host, keeps all three until the next call.
    pub fn call_merge_kept(&self, sandbox: &mut ::featherlight::Sandbox) -> ::std::result::Result<u32, ::featherlight::Error> {
        let results = ::featherlight::typed::support::call(sandbox, self.merge_kept, ::std::option::Option::None, "merge-kept", &[])?;
        ::featherlight::typed::support::result(results)
    }
}

#[allow(clippy::all)]
pub mod exports {

    pub mod test {

        pub mod resources {

            pub mod counters {
                //! The component's own objects, used by the host.

                pub type Blob = super::super::super::super::test::resources::store::Blob;

                /// Resource `counter` (the component's): handles are `Own<Counter>` and `Borrow<Counter>`.
                #[derive(Debug)]
                pub struct Counter;

                impl ::featherlight::Resource for Counter {
                    const NAME: &'static str = "test:resources/counters#counter";
                    const HOST: bool = false;
                }

                /// Typed calls of the component's `test:resources/counters` export.
                #[derive(Debug, Clone)]
                pub struct Guest {
                    counter_new: usize,
                    counter_get: usize,
                    counter_add: usize,
                    counter_zero: usize,
                    counter_of_blob: usize,
                    counter_drop: usize,
                }

                impl Guest {
                    #[doc(hidden)]
                    pub fn __functions() -> ::std::vec::Vec<::featherlight::typed::support::Function> {
                        ::std::vec![
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:resources/counters"), "[constructor]counter", ::std::vec![("start", <u32 as ::featherlight::ComponentType>::value_type())], ::std::vec![<::featherlight::Own<super::super::super::super::exports::test::resources::counters::Counter> as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:resources/counters"), "[method]counter.get", ::std::vec![("self", <::featherlight::Borrow<super::super::super::super::exports::test::resources::counters::Counter> as ::featherlight::ComponentType>::value_type())], ::std::vec![<u32 as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:resources/counters"), "[method]counter.add", ::std::vec![("self", <::featherlight::Borrow<super::super::super::super::exports::test::resources::counters::Counter> as ::featherlight::ComponentType>::value_type()), ("n", <u32 as ::featherlight::ComponentType>::value_type())], ::std::vec::Vec::new()),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:resources/counters"), "[static]counter.zero", ::std::vec![], ::std::vec![<::featherlight::Own<super::super::super::super::exports::test::resources::counters::Counter> as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:resources/counters"), "[static]counter.of-blob", ::std::vec![("b", <::featherlight::Borrow<super::super::super::super::exports::test::resources::counters::Blob> as ::featherlight::ComponentType>::value_type())], ::std::vec![<::featherlight::Own<super::super::super::super::exports::test::resources::counters::Counter> as ::featherlight::ComponentType>::value_type()]),
                            ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:resources/counters"), "[resource-drop]counter", ::std::vec![("self", <::featherlight::Own<super::super::super::super::exports::test::resources::counters::Counter> as ::featherlight::ComponentType>::value_type())], ::std::vec::Vec::new()),
                        ]
                    }

                    #[doc(hidden)]
                    pub fn __new(indices: &mut impl ::std::iter::Iterator<Item = usize>) -> Self {
                        Self {
                            counter_new: indices.next().unwrap_or(usize::MAX),
                            counter_get: indices.next().unwrap_or(usize::MAX),
                            counter_add: indices.next().unwrap_or(usize::MAX),
                            counter_zero: indices.next().unwrap_or(usize::MAX),
                            counter_of_blob: indices.next().unwrap_or(usize::MAX),
                            counter_drop: indices.next().unwrap_or(usize::MAX),
                        }
                    }

                    pub fn call_counter_new(&self, sandbox: &mut ::featherlight::Sandbox, start: u32) -> ::std::result::Result<::featherlight::Own<super::super::super::super::exports::test::resources::counters::Counter>, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.counter_new, ::std::option::Option::Some("test:resources/counters"), "[constructor]counter", &[::featherlight::Lower::to_value(&start)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_counter_get(&self, sandbox: &mut ::featherlight::Sandbox, self_: ::featherlight::Borrow<super::super::super::super::exports::test::resources::counters::Counter>) -> ::std::result::Result<u32, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.counter_get, ::std::option::Option::Some("test:resources/counters"), "[method]counter.get", &[::featherlight::Lower::to_value(&self_)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    pub fn call_counter_add(&self, sandbox: &mut ::featherlight::Sandbox, self_: ::featherlight::Borrow<super::super::super::super::exports::test::resources::counters::Counter>, n: u32) -> ::std::result::Result<(), ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.counter_add, ::std::option::Option::Some("test:resources/counters"), "[method]counter.add", &[::featherlight::Lower::to_value(&self_), ::featherlight::Lower::to_value(&n)])?;
                        ::featherlight::typed::support::no_result(results)
                    }

                    pub fn call_counter_zero(&self, sandbox: &mut ::featherlight::Sandbox) -> ::std::result::Result<::featherlight::Own<super::super::super::super::exports::test::resources::counters::Counter>, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.counter_zero, ::std::option::Option::Some("test:resources/counters"), "[static]counter.zero", &[])?;
                        ::featherlight::typed::support::result(results)
                    }

                    /// A counter starting at the blob's length.
                    pub fn call_counter_of_blob(&self, sandbox: &mut ::featherlight::Sandbox, b: ::featherlight::Borrow<super::super::super::super::exports::test::resources::counters::Blob>) -> ::std::result::Result<::featherlight::Own<super::super::super::super::exports::test::resources::counters::Counter>, ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.counter_of_blob, ::std::option::Option::Some("test:resources/counters"), "[static]counter.of-blob", &[::featherlight::Lower::to_value(&b)])?;
                        ::featherlight::typed::support::result(results)
                    }

                    /// Drops the component's `counter` behind `handle`.
                    pub fn call_counter_drop(&self, sandbox: &mut ::featherlight::Sandbox, handle: ::featherlight::Own<super::super::super::super::exports::test::resources::counters::Counter>) -> ::std::result::Result<(), ::featherlight::Error> {
                        let results = ::featherlight::typed::support::call(sandbox, self.counter_drop, ::std::option::Option::Some("test:resources/counters"), "[resource-drop]counter", &[::featherlight::ComponentType::to_value(&handle)])?;
                        ::featherlight::typed::support::no_result(results)
                    }
                }
            }
        }
    }
}

#[allow(clippy::all)]
pub mod test {

    pub mod resources {

        pub mod store {
            //! Host objects: byte blobs the host keeps.

            /// Resource `blob` (the host's): handles are `Own<Blob>` and `Borrow<Blob>`.
            #[derive(Debug)]
            pub struct Blob;

            impl ::featherlight::Resource for Blob {
                const NAME: &'static str = "test:resources/store#blob";
                const HOST: bool = true;
            }

            /// What the host implements for resource `blob` of `test:resources/store`.
            pub trait HostBlob {
                fn new(&mut self, init: ::std::vec::Vec<u8>) -> ::std::result::Result<::featherlight::Own<super::super::super::test::resources::store::Blob>, ::featherlight::HostError>;

                fn len(&mut self, self_: ::featherlight::Borrow<super::super::super::test::resources::store::Blob>) -> ::std::result::Result<u32, ::featherlight::HostError>;

                fn append(&mut self, self_: ::featherlight::Borrow<super::super::super::test::resources::store::Blob>, more: ::std::vec::Vec<u8>) -> ::std::result::Result<(), ::featherlight::HostError>;

                fn merge(&mut self, a: ::featherlight::Borrow<super::super::super::test::resources::store::Blob>, b: ::featherlight::Borrow<super::super::super::test::resources::store::Blob>) -> ::std::result::Result<::featherlight::Own<super::super::super::test::resources::store::Blob>, ::featherlight::HostError>;

                /// The guest dropped its handle to `blob` `rep`.
                fn drop(&mut self, rep: ::featherlight::Own<super::super::super::test::resources::store::Blob>) -> ::std::result::Result<(), ::featherlight::HostError>;
            }

            /// What the host implements for `test:resources/store`.
            pub trait Host: HostBlob {
            }

            /// Registers `test:resources/store`'s functions in `linker`, each calling `state`.
            pub fn add_to_linker<T: Host + ::std::marker::Send + 'static>(linker: &mut ::featherlight::Linker, state: &::std::sync::Arc<::std::sync::Mutex<T>>) {
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:resources/store", "[constructor]blob", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        let result = <T as HostBlob>::new(&mut *host, ::featherlight::typed::support::arg(args, 0)?)?;
                        ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
                    });
                }
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:resources/store", "[method]blob.len", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        let result = <T as HostBlob>::len(&mut *host, ::featherlight::typed::support::arg(args, 0)?)?;
                        ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
                    });
                }
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:resources/store", "[method]blob.append", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        <T as HostBlob>::append(&mut *host, ::featherlight::typed::support::arg(args, 0)?, ::featherlight::typed::support::arg(args, 1)?)?;
                        ::std::result::Result::Ok(::std::vec::Vec::new())
                    });
                }
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:resources/store", "[static]blob.merge", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        let result = <T as HostBlob>::merge(&mut *host, ::featherlight::typed::support::arg(args, 0)?, ::featherlight::typed::support::arg(args, 1)?)?;
                        ::std::result::Result::Ok(::std::vec![::featherlight::ComponentType::to_value(&result)])
                    });
                }
                {
                    let state = ::std::sync::Arc::clone(state);
                    linker.func("test:resources/store", "[resource-drop]blob", move |args| {
                        let mut host = ::featherlight::typed::support::lock(&state);
                        <T as HostBlob>::drop(&mut *host, ::featherlight::typed::support::arg(args, 0)?)?;
                        ::std::result::Result::Ok(::std::vec::Vec::new())
                    });
                }
            }

            #[doc(hidden)]
            pub fn __functions() -> ::std::vec::Vec<::featherlight::typed::support::Function> {
                ::std::vec![
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:resources/store"), "[constructor]blob", ::std::vec![("init", <::std::vec::Vec<u8> as ::featherlight::ComponentType>::value_type())], ::std::vec![<::featherlight::Own<super::super::super::test::resources::store::Blob> as ::featherlight::ComponentType>::value_type()]),
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:resources/store"), "[method]blob.len", ::std::vec![("self", <::featherlight::Borrow<super::super::super::test::resources::store::Blob> as ::featherlight::ComponentType>::value_type())], ::std::vec![<u32 as ::featherlight::ComponentType>::value_type()]),
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:resources/store"), "[method]blob.append", ::std::vec![("self", <::featherlight::Borrow<super::super::super::test::resources::store::Blob> as ::featherlight::ComponentType>::value_type()), ("more", <::std::vec::Vec<u8> as ::featherlight::ComponentType>::value_type())], ::std::vec::Vec::new()),
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:resources/store"), "[static]blob.merge", ::std::vec![("a", <::featherlight::Borrow<super::super::super::test::resources::store::Blob> as ::featherlight::ComponentType>::value_type()), ("b", <::featherlight::Borrow<super::super::super::test::resources::store::Blob> as ::featherlight::ComponentType>::value_type())], ::std::vec![<::featherlight::Own<super::super::super::test::resources::store::Blob> as ::featherlight::ComponentType>::value_type()]),
                    ::featherlight::typed::support::Function::new(::std::option::Option::Some("test:resources/store"), "[resource-drop]blob", ::std::vec![("self", <::featherlight::Own<super::super::super::test::resources::store::Blob> as ::featherlight::ComponentType>::value_type())], ::std::vec::Vec::new()),
                ]
            }
        }
    }
}
