//! Rust source being written: indented lines, and the lint attribute the
//! generated items carry.

/// The attribute on each item at the root of the output (its modules
/// included): generated code must not trip clippy in the user's crate (a WIT
/// function with many parameters is `too_many_arguments` in Rust), as
/// wasmtime's `bindgen!` output does not.
pub const ALLOW_LINTS: &str = "#[allow(clippy::all)]";

/// Indented lines of Rust.
#[derive(Default)]
pub struct Out {
    pub(crate) lines: Vec<String>,
    indent: usize,
}

impl Out {
    pub fn line(&mut self, text: &str) {
        self.lines.push(format!("{}{text}", "    ".repeat(self.indent)));
    }

    /// A line that opens a block.
    pub fn open(&mut self, text: &str) {
        self.line(text);
        self.indent += 1;
    }

    /// A line that closes a block.
    pub fn close(&mut self, text: &str) {
        self.indent = self.indent.saturating_sub(1);
        self.line(text);
    }

    pub fn blank(&mut self) {
        if self.lines.last().is_some_and(|l| !l.is_empty()) {
            self.lines.push(String::new());
        }
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}
