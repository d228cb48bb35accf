//! Sizes in bytes as people write and read them (`--cache-max-size 500M`).

/// The units sizes may be written in, largest first.
const UNITS: [(&str, u64); 4] = [("T", 1 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)];

/// Parses a size in bytes: a number with an optional binary unit (`K`, `M`, `G`, `T`, also
/// written `KiB` … or `KB` …, any case), or `unlimited`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    if trimmed.eq_ignore_ascii_case("unlimited") {
        return Ok(u64::MAX);
    }
    let digits = trimmed.find(|c: char| !c.is_ascii_digit()).unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(digits);
    let bad = || format!("`{text}` is not a size (such as 1G, 500M, 4096 or unlimited)");
    let number: u64 = number.parse().map_err(|_| bad())?;
    let unit = unit.trim().to_ascii_uppercase();
    let unit = unit.strip_suffix("IB").or_else(|| unit.strip_suffix('B')).unwrap_or(&unit);
    let scale = match unit {
        "" => 1,
        _ => UNITS.iter().find(|(name, _)| *name == unit).map(|(_, scale)| *scale).ok_or_else(bad)?,
    };
    number.checked_mul(scale).ok_or_else(|| format!("`{text}` is too large"))
}

/// `bytes` for people: `1.5 MiB`.
pub fn size(bytes: u64) -> String {
    if bytes == u64::MAX {
        return "unlimited".to_owned();
    }
    match UNITS.iter().find(|(_, scale)| bytes >= *scale) {
        #[allow(clippy::cast_precision_loss, reason = "one decimal is shown")]
        Some((name, scale)) => format!("{:.1} {name}iB", bytes as f64 / *scale as f64),
        None => format!("{bytes} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("500m"), Ok(500 << 20));
        assert_eq!(parse_size("2 GiB"), Ok(2 << 30));
        assert_eq!(parse_size("64KB"), Ok(64 << 10));
        assert_eq!(parse_size("unlimited"), Ok(u64::MAX));
        for bad in ["", "G", "1X", "-1", "1.5G", "99999999999T"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
        assert_eq!(size(1 << 30), "1.0 GiB");
        assert_eq!(size(1536 << 10), "1.5 MiB");
        assert_eq!(size(12), "12 bytes");
        assert_eq!(size(u64::MAX), "unlimited");
    }
}
