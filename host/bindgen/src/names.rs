//! WIT names (kebab-case) as Rust identifiers.

/// Rust keywords, strict and reserved; WIT names equal to one get a `_`.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "abstract", "become", "box", "break", "const", "continue", "crate", "do", "dyn", "else",
    "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro", "match", "mod",
    "move", "mut", "override", "priv", "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait",
    "true", "try", "type", "typeof", "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

fn escape(name: String) -> String {
    if KEYWORDS.contains(&name.as_str()) { format!("{name}_") } else { name }
}

/// `echo-bool` → `echo_bool`; `type` → `type_`.
pub fn snake(name: &str) -> String {
    escape(name.split('-').map(str::to_lowercase).collect::<Vec<_>>().join("_"))
}

/// `http-client` and `HTTP-client` → `HttpClient`.
pub fn camel(name: &str) -> String {
    let camel: String = name
        .split('-')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars.flat_map(char::to_lowercase)).collect(),
                None => String::new(),
            }
        })
        .collect();
    escape(camel)
}

/// A Rust string literal holding `text`.
pub fn literal(text: &str) -> String {
    format!("{text:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_kebab_names() {
        assert_eq!(snake("echo-bool"), "echo_bool");
        assert_eq!(snake("type"), "type_");
        assert_eq!(snake("HTTP-client"), "http_client");
        assert_eq!(camel("http-client"), "HttpClient");
        assert_eq!(camel("HTTP-client"), "HttpClient");
        assert_eq!(camel("self"), "Self_");
        assert_eq!(literal("a\"b"), "\"a\\\"b\"");
    }
}
