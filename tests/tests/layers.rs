//! The module structure stays a set of layers: no two modules (files) of a
//! crate import each other, directly or through others, and the host
//! library's bottom layers never import the ones above them.
//!
//! Imports are read from the sources (`crate::` and `super::` paths, test
//! modules left out); a path to a parent or child module does not count (a
//! `mod.rs` re-exports its children, children use what it re-exports).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path (`mem::page_tables`) → the modules it imports.
type Graph = BTreeMap<String, BTreeSet<String>>;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `a/b.rs` → `a::b`; `a/mod.rs` → `a`; `lib.rs` → ``.
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).expect("under src").with_extension("");
    let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts.join("::")
}

/// The source without comments and without its test module.
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    text.lines().filter(|line| !line.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

/// Every path that follows `prefix` (`crate::` or `super::`) in `code`,
/// with `{a::b, c}` groups expanded one level (`a::b`, `c`).
fn paths_after(code: &str, prefix: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for (at, _) in code.match_indices(prefix) {
        if code[..at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
            continue; // `super::super::` or a longer path: counted from its start
        }
        let rest = &code[at + prefix.len()..];
        let head: String = rest.chars().take_while(|c| is_path_char(*c)).collect();
        let head = head.trim_end_matches(':').to_string();
        let after = &rest[head.len()..].trim_start_matches(':');
        if after.starts_with('{') {
            let mut depth = 0;
            let mut item = String::new();
            for c in after.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        if depth == 1 {
                            continue;
                        }
                    }
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => {
                        paths.push(join(&head, &item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                if depth == 1 && is_path_char(c) {
                    item.push(c);
                } else if depth == 1 {
                    item.push(' ');
                }
            }
            paths.push(join(&head, &item));
        } else {
            paths.push(head);
        }
    }
    paths
}

fn join(head: &str, item: &str) -> String {
    let item = item.split_whitespace().next().unwrap_or("").trim_end_matches(':');
    match (head.is_empty(), item.is_empty()) {
        (_, true) => head.to_string(),
        (true, false) => item.to_string(),
        (false, false) => format!("{head}::{item}"),
    }
}

fn parent(module: &str) -> &str {
    module.rsplit_once("::").map_or("", |(parent, _)| parent)
}

/// The modules of the crate whose sources are under `src`, and what each
/// imports from the others.
fn graph(src: &Path) -> Graph {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(src, f)).collect();
    let resolve = |path: &str| -> Option<String> {
        let parts: Vec<&str> = path.split("::").filter(|p| !p.is_empty()).collect();
        (1..=parts.len()).rev().map(|n| parts[..n].join("::")).find(|m| modules.contains(m))
    };
    let mut graph = Graph::new();
    for file in &files {
        let module = module_of(src, file);
        let code = code_of(&std::fs::read_to_string(file).expect("readable source"));
        let mut imported: Vec<String> = paths_after(&code, "crate::");
        imported.extend(paths_after(&code, "super::").into_iter().map(|p| join(parent(&module), &p)));
        let related = |a: &str, b: &str| a == b || b.starts_with(&format!("{a}::")) || a.starts_with(&format!("{b}::"));
        let edges = graph.entry(module.clone()).or_default();
        for target in imported.iter().filter_map(|p| resolve(p)) {
            if !module.is_empty() && !target.is_empty() && !related(&module, &target) {
                edges.insert(target);
            }
        }
    }
    graph
}

/// A cycle in `graph`, as the modules along it, if there is one.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(node: &str, graph: &Graph, path: &mut Vec<String>, done: &mut BTreeSet<String>) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|m| m == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_crate_has_a_module_cycle() {
    let root = workspace();
    let mut cycles = Vec::new();
    for src in [
        "host/src",
        "host/wire/src",
        "host/bindgen/src",
        "tools/featherlight/src",
        "tools/bench-support/src",
        "tools/build-support/src",
        "guest-runtime/abi/src",
        "guest-runtime/kernel/src",
        "guest-runtime/image/src",
    ] {
        let graph = graph(&root.join(src));
        assert!(graph.len() > 1, "{src}: no modules found");
        if let Some(cycle) = find_cycle(&graph) {
            cycles.push(format!("{src}: {}", cycle.join(" -> ")));
        }
    }
    assert!(cycles.is_empty(), "modules import each other in a circle:\n{}", cycles.join("\n"));
}

#[test]
fn the_host_librarys_bottom_layers_point_only_down() {
    let graph = graph(&workspace().join("host/src"));
    // Each layer and the top-level modules it may import (besides its own
    // and the crate root's items).
    let allowed: &[(&str, &[&str])] = &[
        ("hypervisor", &[]),
        ("image", &[]),
        ("mem", &["hypervisor", "image"]),
        ("wasm", &["hypervisor", "image", "mem", "error"]),
    ];
    for (module, imports) in &graph {
        let top = module.split("::").next().unwrap_or_default();
        let Some((_, may)) = allowed.iter().find(|(layer, _)| *layer == top) else { continue };
        for import in imports {
            let target = import.split("::").next().unwrap_or_default();
            assert!(
                target == top || may.contains(&target),
                "`{module}` imports `{import}`, a layer above it (it may import only {may:?})"
            );
        }
    }
}

#[test]
fn the_checker_sees_imports_and_cycles() {
    let code = "use crate::mem::{page_tables::{A, B}, region::HostMapping};\nuse super::{kvm, regs::X};\n\
                fn f() { crate::host_usize(1); }";
    let crate_paths = paths_after(code, "crate::");
    assert_eq!(crate_paths, ["mem::page_tables", "mem::region::HostMapping", "host_usize"]);
    assert_eq!(paths_after(code, "super::"), ["kvm", "regs::X"]);
    let mut graph = Graph::new();
    graph.entry("a".into()).or_default().insert("b".into());
    graph.entry("b".into()).or_default().insert("c".into());
    assert_eq!(find_cycle(&graph), None);
    graph.entry("c".into()).or_default().insert("a".into());
    assert_eq!(find_cycle(&graph), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
}
