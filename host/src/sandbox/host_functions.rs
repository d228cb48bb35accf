//! Host functions: what the application lets a component call.

use crate::Value;
use crate::wasm::wasi::WasiConfig;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// The error a host function returns; the guest traps on it and the call
/// fails with [`Error::HostFunction`](crate::Error::HostFunction), which
/// carries it: made with [`HostError::new`], the original error can be
/// downcast from there ([`Error::host_error`](crate::Error::host_error)).
#[derive(Debug, Clone)]
pub struct HostError {
    message: String,
    error: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl HostError {
    /// A host error carrying `error`, which the caller can downcast.
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self { message: error.to_string(), error: Some(Arc::new(error)) }
    }

    /// A host error that is just a message.
    pub fn msg(message: impl Into<String>) -> Self {
        Self { message: message.into(), error: None }
    }

    /// What went wrong.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The error this was made from with [`HostError::new`], if it is an `E`.
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        self.error.as_deref()?.downcast_ref()
    }
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HostError {
    // Transparent: the message is the wrapped error's, so its cause comes
    // next in the chain (not the wrapped error again).
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.as_deref()?.source()
    }
}

impl From<String> for HostError {
    fn from(message: String) -> Self {
        Self::msg(message)
    }
}

impl From<&str> for HostError {
    fn from(message: &str) -> Self {
        Self::msg(message)
    }
}

/// A host function over dynamic values: arguments in, results out.
pub type HostFunction = dyn Fn(&[Value]) -> Result<Vec<Value>, HostError> + Send + Sync;

/// Host functions by interface and name: the imports a sandbox provides.
///
/// Like wasmtime's `Linker`, but over dynamic [`Value`]s. An import the
/// component declares but nobody registered still instantiates; calling it
/// traps with an error naming it.
///
/// It also holds the [`WasiConfig`]: what the component gets through WASI
/// (by default nothing of the host: no arguments, no environment).
#[derive(Clone, Default)]
pub struct Linker {
    functions: HashMap<(String, String), Arc<HostFunction>>,
    wasi: WasiConfig,
}

impl fmt::Debug for Linker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.functions.keys()).finish()
    }
}

impl Linker {
    /// No host functions.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `function` for import `name` of `interface`.
    ///
    /// `interface` is the imported interface as the component names it, for
    /// example `my:pkg/host` or `wasi:cli/environment@0.2.6`; without a
    /// version it matches any version the component imports. Use `""` for a
    /// function imported directly by the world.
    pub fn func(
        &mut self,
        interface: &str,
        name: &str,
        function: impl Fn(&[Value]) -> Result<Vec<Value>, HostError> + Send + Sync + 'static,
    ) -> &mut Self {
        self.functions.insert((interface.to_string(), name.to_string()), Arc::new(function));
        self
    }

    /// Sets what sandboxes made with this linker give their component
    /// through WASI: arguments, environment, stdin, where stdout and stderr
    /// go, clocks and randomness.
    ///
    /// Arguments, environment, stdin and a seed reach the guest when the
    /// sandbox instantiates the component: a sandbox made from a snapshot
    /// ([`Sandbox::from_snapshot`](crate::Sandbox::from_snapshot)) keeps the
    /// snapshot's; sinks, clocks and fresh randomness are this linker's.
    pub fn wasi(&mut self, config: WasiConfig) -> &mut Self {
        self.wasi = config;
        self
    }

    /// The WASI settings.
    pub(crate) fn wasi_config(&self) -> &WasiConfig {
        &self.wasi
    }

    /// The function registered for `interface`'s `name`, if any.
    pub(crate) fn resolve(&self, interface: Option<&str>, name: &str) -> Option<Arc<HostFunction>> {
        let interface = interface.unwrap_or("");
        let exact = self.functions.get(&(interface.to_string(), name.to_string()));
        let unversioned = || {
            let (base, _version) = interface.split_once('@')?;
            self.functions.get(&(base.to_string(), name.to_string()))
        };
        exact.or_else(unversioned).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_exact_and_unversioned_names() {
        let mut linker = Linker::new();
        linker.func("my:pkg/host", "log", |_| Ok(vec![]));
        linker.func("", "root-fn", |_| Ok(vec![Value::U32(7)]));
        assert!(linker.resolve(Some("my:pkg/host@1.2.0"), "log").is_some());
        assert!(linker.resolve(Some("my:pkg/host"), "log").is_some());
        assert!(linker.resolve(Some("my:pkg/other"), "log").is_none());
        let f = linker.resolve(None, "root-fn").unwrap();
        assert_eq!(f(&[]).unwrap(), vec![Value::U32(7)]);
    }

    #[test]
    fn host_errors_keep_the_original_error() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such key");
        let error = HostError::new(io);
        assert_eq!(error.message(), "no such key");
        assert_eq!(error.downcast_ref::<std::io::Error>().unwrap().kind(), std::io::ErrorKind::NotFound);
        // The message is not repeated down the error chain.
        assert!(std::error::Error::source(&error).is_none());
        let plain = HostError::from("plain");
        assert!(plain.downcast_ref::<std::io::Error>().is_none());
        assert_eq!(plain.to_string(), "plain");
    }
}
