//! comrak as a command: reads Markdown from stdin, writes HTML to stdout,
//! with GitHub's extensions (tables, strikethrough, autolinks, task lists).

use std::io::{Read, Write};

fn main() {
    let mut input = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut input) {
        eprintln!("cannot read stdin: {e}");
        std::process::exit(1);
    }
    let mut options = comrak::Options::default();
    options.extension.table = true;
    options.extension.strikethrough = true;
    options.extension.autolink = true;
    options.extension.tasklist = true;
    let html = comrak::markdown_to_html(&input, &options);
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(html.as_bytes()).and_then(|()| stdout.flush()) {
        eprintln!("cannot write stdout: {e}");
        std::process::exit(1);
    }
}
