//! `featherlight bench`'s report of timed measurements: its rows with their
//! targets, as a table or as JSON lines.

/// The most a measurement's median should be (not enforced).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Target {
    /// The budget in nanoseconds.
    pub ns: f64,
    /// What it is, as printed after `<=`: a ratio to the baseline, or its
    /// value and how it is computed from other rows.
    pub rule: String,
}

impl Target {
    /// Whether a median of `ns` nanoseconds meets it.
    pub(super) fn met(&self, ns: f64) -> bool {
        ns <= self.ns
    }
}

/// One line of the report.
#[derive(Debug)]
pub(super) struct Row {
    pub name: &'static str,
    pub median_ns: f64,
    pub min_ns: f64,
    pub iterations: u32,
    pub baseline: &'static str,
    pub ratio: f64,
    pub targets: Vec<Target>,
}

/// A row as one line of JSON, keys in a fixed order; nanoseconds are rounded to whole
/// numbers.
pub(super) fn json_line(row: &Row) -> String {
    let (target_ns, target_met, target_rule) = match row.targets.iter().map(|t| t.ns).reduce(f64::min) {
        Some(ns) => (
            json_number(ns.round()),
            format!("{}", row.targets.iter().all(|t| t.met(row.median_ns))),
            format!("\"{}\"", row.targets.iter().map(|t| t.rule.as_str()).collect::<Vec<_>>().join("; ")),
        ),
        None => ("null".to_owned(), "null".to_owned(), "null".to_owned()),
    };
    format!(
        "{{\"name\":\"{}\",\"median_ns\":{},\"min_ns\":{},\"iterations\":{},\
         \"baseline\":\"{}\",\"ratio\":{},\"target_ns\":{target_ns},\"target_met\":{target_met},\
         \"target_rule\":{target_rule}}}",
        row.name,
        json_number(row.median_ns.round()),
        json_number(row.min_ns.round()),
        row.iterations,
        row.baseline,
        json_number((row.ratio * 1e4).round() / 1e4),
    )
}

/// A float as a JSON number (`null` if it is not finite, which JSON cannot carry).
fn json_number(value: f64) -> String {
    if value.is_finite() { format!("{value}") } else { "null".to_owned() }
}

/// The rows as a table with a header, and the targets alongside.
pub(super) fn table(rows: &[Row]) -> String {
    let mut out = format!(
        "{:<34} {:>12} {:>12} {:>10}  {:<14} {:>7}  {}\n",
        "name", "median", "min", "iterations", "baseline", "ratio", "target"
    );
    for row in rows {
        let target = row
            .targets
            .iter()
            .map(|t| {
                let outcome = if t.met(row.median_ns) { "met" } else { "missed" };
                format!("<= {} ({outcome})", t.rule)
            })
            .collect::<Vec<_>>()
            .join("; ");
        let line = format!(
            "{:<34} {:>12} {:>12} {:>10}  {:<14} {:>7.3}  {}",
            row.name,
            duration(row.median_ns),
            duration(row.min_ns),
            row.iterations,
            row.baseline,
            row.ratio,
            target
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Nanoseconds in a readable unit.
pub(super) fn duration(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}
