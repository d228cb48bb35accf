//! Which hypervisor runs the sandboxes: chosen in the config or found at
//! run time.

use super::{HypervisorError, Vm, kvm, mshv};
use std::path::Path;
use std::sync::OnceLock;

/// A hypervisor featherlight can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hypervisor {
    /// Linux KVM, through `/dev/kvm`.
    Kvm,
    /// Microsoft's hypervisor on Linux, through `/dev/mshv` (the `mshv`
    /// feature).
    Mshv,
}

impl Hypervisor {
    /// Every hypervisor, in the order [`HypervisorChoice::Auto`] tries them.
    pub const ALL: [Hypervisor; 2] = [Hypervisor::Kvm, Hypervisor::Mshv];

    /// The device it is driven through.
    pub fn device(self) -> &'static str {
        match self {
            Hypervisor::Kvm => kvm::DEVICE,
            Hypervisor::Mshv => mshv::DEVICE,
        }
    }

    /// Whether this build contains its backend.
    pub fn compiled_in(self) -> bool {
        match self {
            Hypervisor::Kvm => true,
            Hypervisor::Mshv => mshv::COMPILED_IN,
        }
    }
}

impl std::fmt::Display for Hypervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Hypervisor::Kvm => "KVM",
            Hypervisor::Mshv => "MSHV",
        })
    }
}

/// Which hypervisor to use ([`Config::hypervisor`](crate::Config::hypervisor)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum HypervisorChoice {
    /// The first whose device exists: `/dev/kvm`, then `/dev/mshv` (if this
    /// build has the `mshv` feature).
    #[default]
    Auto,
    /// This one, or an error saying why it cannot be used.
    Only(Hypervisor),
}

impl HypervisorChoice {
    /// The hypervisor this choice means on this host, without opening it.
    pub fn resolve(self) -> Result<Hypervisor, HypervisorError> {
        match self {
            HypervisorChoice::Only(hypervisor) if !hypervisor.compiled_in() => {
                Err(HypervisorError::NotCompiledIn("MSHV", "mshv"))
            }
            HypervisorChoice::Only(hypervisor) => Ok(hypervisor),
            HypervisorChoice::Auto => {
                let found = Hypervisor::ALL.into_iter().find(|h| h.compiled_in() && Path::new(h.device()).exists());
                found.ok_or_else(|| HypervisorError::NoneUsable(absent_reason()))
            }
        }
    }
}

/// Why [`HypervisorChoice::Auto`] found nothing.
fn absent_reason() -> String {
    let mshv_note = if mshv::COMPILED_IN {
        format!("neither {} nor {} exists", kvm::DEVICE, mshv::DEVICE)
    } else if Path::new(mshv::DEVICE).exists() {
        format!(
            "{} does not exist, and {} does but this build lacks the `mshv` feature (rebuild with `--features mshv`)",
            kvm::DEVICE,
            mshv::DEVICE
        )
    } else {
        format!("{} does not exist", kvm::DEVICE)
    };
    format!(
        "{mshv_note}; featherlight needs hardware virtualization: load the kvm module (kvm_intel or kvm_amd), or run \
         on a host or VM with (nested) virtualization enabled"
    )
}

/// A new VM on the hypervisor `choice` names. Says once, at info level,
/// which hypervisor the process uses.
pub(crate) fn create(choice: HypervisorChoice) -> Result<Vm, HypervisorError> {
    let hypervisor = choice.resolve()?;
    static ANNOUNCED: OnceLock<()> = OnceLock::new();
    ANNOUNCED.get_or_init(|| tracing::info!("featherlight runs sandboxes on {hypervisor} ({})", hypervisor.device()));
    match hypervisor {
        Hypervisor::Kvm => Ok(Box::new(kvm::KvmVm::new()?)),
        Hypervisor::Mshv => mshv::create(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_choices_resolve_to_themselves_or_say_what_is_missing() {
        assert_eq!(HypervisorChoice::Only(Hypervisor::Kvm).resolve().ok(), Some(Hypervisor::Kvm));
        let mshv = HypervisorChoice::Only(Hypervisor::Mshv).resolve();
        match (Hypervisor::Mshv.compiled_in(), mshv) {
            (true, Ok(hypervisor)) => assert_eq!(hypervisor, Hypervisor::Mshv),
            (false, Err(e)) => assert!(e.to_string().contains("--features mshv"), "{e}"),
            (compiled_in, other) => panic!("MSHV compiled in: {compiled_in}, resolved to {other:?}"),
        }
    }

    #[test]
    fn auto_picks_kvm_when_its_device_exists() {
        let resolved = HypervisorChoice::Auto.resolve();
        if Path::new(kvm::DEVICE).exists() {
            assert_eq!(resolved.ok(), Some(Hypervisor::Kvm));
        } else {
            assert!(resolved.is_err());
        }
    }
}
