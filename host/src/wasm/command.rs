//! Running a WASI command (a component exporting `wasi:cli/run`) the way
//! `wasmtime run` does, for every embedder that runs commands: the CLI and
//! the containerd shim.

use crate::Sandbox;
use crate::error::Error;
use crate::wasm::value::Value;
use crate::wasm::world::ComponentWorld;

/// The interface a WASI command exports.
pub const WASI_RUN: &str = "wasi:cli/run";

/// Whether `interface` is `wasi:cli/run`, of any version.
pub fn is_wasi_run(interface: &str) -> bool {
    interface.split('@').next() == Some(WASI_RUN)
}

impl ComponentWorld {
    /// The index of the component's `wasi:cli/run#run` export, if it is a
    /// WASI command.
    pub fn wasi_run_export(&self) -> Option<usize> {
        self.exports()
            .iter()
            .position(|export| export.name == "run" && export.interface.as_deref().is_some_and(is_wasi_run))
    }
}

impl Sandbox {
    /// Runs the WASI command's `run` export at `index` (from
    /// [`ComponentWorld::wasi_run_export`]) and returns its exit status, as
    /// `wasmtime run` exits: 0 when `run` returns `ok`, 1 when it returns
    /// `err`, and the status the component passed to `wasi:cli/exit`. Other
    /// failures (a trap, an interrupt, a deadline) are errors.
    pub fn run_wasi_command(&mut self, index: usize) -> Result<i32, Error> {
        match self.call_index(index, &[]) {
            Ok(results) if matches!(results.as_slice(), [Value::Result(Err(_))]) => Ok(1),
            Ok(_) => Ok(0),
            Err(Error::Exit { code }) => Ok(code),
            Err(error) => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_wasi_run_of_any_version() {
        assert!(is_wasi_run("wasi:cli/run"));
        assert!(is_wasi_run("wasi:cli/run@0.2.6"));
        assert!(!is_wasi_run("wasi:cli/runner"));
        assert!(!is_wasi_run("wasi:cli/environment@0.2.6"));
    }
}
