//! What the process holds, read from `/proc`: shared by the load test
//! ([`crate::load`]) and the idle-memory measurement ([`crate::memory`]).

use featherlight::Error;
use std::path::PathBuf;

/// What the process holds: open file descriptors and resident memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessUsage {
    /// Entries of `/proc/self/fd`.
    pub open_fds: usize,
    /// `VmRSS` of `/proc/self/status`, in KiB.
    pub rss_kib: u64,
}

impl ProcessUsage {
    /// Reads the current usage from `/proc/self`.
    pub fn now() -> Result<Self, Error> {
        let io = |path: &'static str| move |source| Error::Io { path: PathBuf::from(path), source };
        let open_fds = std::fs::read_dir("/proc/self/fd").map_err(io("/proc/self/fd"))?.count();
        let status = std::fs::read_to_string("/proc/self/status").map_err(io("/proc/self/status"))?;
        let rss_kib = kib_field(&status, "VmRSS").unwrap_or(0);
        Ok(Self { open_fds, rss_kib })
    }
}

/// The value of a `Name:   123 kB` line of a `/proc` file, in KiB.
pub(crate) fn kib_field(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The text of the `/proc` file at `path`.
pub(crate) fn read(path: &'static str) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::Io { path: PathBuf::from(path), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kib_fields() {
        let text = "Rss:        1712 kB\nPrivate_Clean:   60 kB\nPrivate_Dirty:  112 kB\nVmPTE:\t  88 kB\n";
        assert_eq!(kib_field(text, "Private_Clean"), Some(60));
        assert_eq!(kib_field(text, "Private_Dirty"), Some(112));
        assert_eq!(kib_field(text, "VmPTE"), Some(88));
        // A prefix of another field's name is not that field.
        assert_eq!(kib_field(text, "Private"), None);
        assert_eq!(kib_field(text, "Pss"), None);
    }
}
