//! The CLI's own output: what it prints on stdout (results, reports) and stderr (errors,
//! progress), written so that a closed or full stream never panics.
//!
//! `println!` and `eprintln!` panic when the write fails, so with stderr a closed pipe
//! (`featherlight ... 2>&- `, or a reader that went away) the CLI would die with exit
//! status 101 while reporting an error. These macros drop such write errors instead:
//! there is nobody left to tell.

use std::fmt;
use std::io::Write;

/// Writes `args` to stdout, ignoring write errors.
pub fn stdout(args: fmt::Arguments<'_>) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_fmt(args);
    let _ = stdout.flush();
}

/// Writes `args` to stderr, ignoring write errors.
pub fn stderr(args: fmt::Arguments<'_>) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_fmt(args);
    let _ = stderr.flush();
}

/// `print!` that never panics.
macro_rules! out {
    ($($arg:tt)*) => { $crate::report::stdout(format_args!($($arg)*)) };
}

/// `println!` that never panics.
macro_rules! outln {
    ($($arg:tt)*) => { $crate::report::stdout(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `eprintln!` that never panics.
macro_rules! errln {
    ($($arg:tt)*) => { $crate::report::stderr(format_args!("{}\n", format_args!($($arg)*))) };
}

pub(crate) use {errln, out, outln};
