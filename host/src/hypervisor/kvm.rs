//! KVM through kvm-ioctls.

use super::{Exit, HypervisorError};
use kvm_bindings::{
    KVM_MAX_CPUID_ENTRIES, KVM_MEM_READONLY, kvm_fpu, kvm_regs, kvm_sregs, kvm_userspace_memory_region,
};
use kvm_ioctls::{Cap, Kvm, VcpuFd, VmFd};
use std::sync::OnceLock;

fn ioctl(operation: &'static str) -> impl FnOnce(kvm_ioctls::Error) -> HypervisorError {
    move |source| HypervisorError::Ioctl { operation, source }
}

/// The process-wide `/dev/kvm` handle and what it supports, opened once.
struct System {
    kvm: Kvm,
    cpuid: kvm_bindings::CpuId,
}

fn system() -> Result<&'static System, HypervisorError> {
    static SYSTEM: OnceLock<Result<System, String>> = OnceLock::new();
    let opened = SYSTEM.get_or_init(|| {
        let kvm = Kvm::new().map_err(|e| e.to_string())?;
        let cpuid = kvm.get_supported_cpuid(KVM_MAX_CPUID_ENTRIES).map_err(|e| e.to_string())?;
        Ok(System { kvm, cpuid })
    });
    match opened {
        Ok(system) => Ok(system),
        // The first failure is remembered; reopen to get a typed error now.
        Err(_) => Err(HypervisorError::Open(Kvm::new().err().unwrap_or_else(|| kvm_ioctls::Error::new(libc::ENODEV)))),
    }
}

/// A memory slot to map into the VM.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MemorySlot {
    pub guest_address: u64,
    pub host_address: u64,
    pub size: u64,
    pub read_only: bool,
}

/// One VM with one vCPU.
#[derive(Debug)]
pub(crate) struct KvmVm {
    // Field order matters: the vCPU must close before its VM.
    vcpu: VcpuFd,
    vm: VmFd,
    /// Size of the vCPU's kvm_run mapping, to bound exit data.
    mmap_size: usize,
    /// Whether registers can be set through the run area.
    sync_regs: bool,
    /// Registers set through the run area that KVM has not taken yet.
    regs_pending: bool,
}

impl KvmVm {
    /// Creates a VM with one vCPU whose CPUID is what KVM supports.
    pub(crate) fn new() -> Result<Self, HypervisorError> {
        let system = system()?;
        if !system.kvm.check_extension(Cap::UserMemory) {
            return Err(HypervisorError::Unsupported("user memory slots"));
        }
        // The shared snapshot is mapped read-only to every guest.
        if !system.kvm.check_extension(Cap::ReadonlyMem) {
            return Err(HypervisorError::Unsupported("read-only memory slots"));
        }
        let vm = system.kvm.create_vm().map_err(ioctl("create VM"))?;
        let vcpu = vm.create_vcpu(0).map_err(ioctl("create vCPU"))?;
        vcpu.set_cpuid2(&system.cpuid).map_err(ioctl("set CPUID"))?;
        let mmap_size = system.kvm.get_vcpu_mmap_size().map_err(ioctl("query the vCPU run area size"))?;
        let sync_regs = system.kvm.check_extension(Cap::SyncRegs);
        Ok(Self { vcpu, vm, mmap_size, sync_regs, regs_pending: false })
    }

    /// Maps `slot` as memory slot number `index`.
    ///
    /// # Safety
    /// `slot.host_address .. + slot.size` must stay mapped in this process
    /// for as long as the VM exists (KVM reads and writes it on the guest's
    /// behalf).
    pub(crate) unsafe fn map(&self, index: u32, slot: MemorySlot) -> Result<(), HypervisorError> {
        let region = kvm_userspace_memory_region {
            slot: index,
            flags: if slot.read_only { KVM_MEM_READONLY } else { 0 },
            guest_phys_addr: slot.guest_address,
            memory_size: slot.size,
            userspace_addr: slot.host_address,
        };
        // SAFETY: the caller keeps the host range mapped for the VM's life.
        unsafe { self.vm.set_user_memory_region(region) }.map_err(ioctl("map guest memory"))
    }

    /// Sets every register for the guest's first instruction.
    pub(crate) fn set_entry_state(
        &self,
        regs: &kvm_regs,
        sregs: impl FnOnce(&mut kvm_sregs),
    ) -> Result<(), HypervisorError> {
        let mut current = self.vcpu.get_sregs().map_err(ioctl("read special registers"))?;
        sregs(&mut current);
        self.vcpu.set_sregs(&current).map_err(ioctl("set special registers"))?;
        self.vcpu.set_regs(regs).map_err(ioctl("set registers"))?;
        // x87 control word and MXCSR at their reset defaults: all exceptions
        // masked, round to nearest.
        let fpu = kvm_fpu { fcw: 0x37f, mxcsr: 0x1f80, ..Default::default() };
        self.vcpu.set_fpu(&fpu).map_err(ioctl("set FPU state"))
    }

    /// Sets the general registers: through the shared run area when KVM
    /// supports `KVM_CAP_SYNC_REGS` (applied by the next `KVM_RUN`, no ioctl
    /// of its own), else with one `KVM_SET_REGS`.
    pub(crate) fn set_regs(&mut self, regs: &kvm_regs) -> Result<(), HypervisorError> {
        if self.sync_regs {
            self.vcpu.sync_regs_mut().regs = *regs;
            self.vcpu.set_sync_dirty_reg(kvm_ioctls::SyncReg::Register);
            self.regs_pending = true;
            return Ok(());
        }
        self.vcpu.set_regs(regs).map_err(ioctl("set registers"))
    }

    /// General registers (rare paths only: an ioctl costs ~6 µs on PVM).
    pub(crate) fn regs(&self) -> Result<kvm_regs, HypervisorError> {
        if self.regs_pending {
            return Ok(self.vcpu.sync_regs().regs);
        }
        self.vcpu.get_regs().map_err(ioctl("read registers"))
    }

    /// The vCPU's `kvm_run.immediate_exit` byte, mapped as long as the vCPU
    /// exists: setting it makes the next `KVM_RUN` return at once.
    pub(crate) fn immediate_exit(&mut self) -> *mut u8 {
        &mut self.vcpu.get_kvm_run().immediate_exit
    }

    /// Special registers (rare paths only).
    pub(crate) fn sregs(&self) -> Result<kvm_sregs, HypervisorError> {
        self.vcpu.get_sregs().map_err(ioctl("read special registers"))
    }

    /// Runs the vCPU until the guest exits to us.
    pub(crate) fn run(&mut self) -> Result<Exit<'_>, HypervisorError> {
        self.regs_pending = false;
        // (Matched with a throwaway borrow so the returned exit can borrow.)
        match self.vcpu.run() {
            // A signal (or `immediate_exit`) stopped KVM_RUN: the caller
            // decides whether that was a stop request.
            Err(e) if e.errno() == libc::EINTR || e.errno() == libc::EAGAIN => return Ok(Exit::Interrupted),
            Err(e) => return Err(HypervisorError::Ioctl { operation: "run vCPU", source: e }),
            Ok(_) => {}
        }
        let run = self.vcpu.get_kvm_run();
        Ok(match run.exit_reason {
            kvm_bindings::KVM_EXIT_IO => {
                // SAFETY: KVM filled the `io` member for this exit reason.
                let io = unsafe { run.__bindgen_anon_1.io };
                if u32::from(io.direction) != kvm_bindings::KVM_EXIT_IO_OUT {
                    return Ok(Exit::Failed { reason: format!("port input from {:#x}", io.port) });
                }
                let len = usize::from(io.size) * io.count as usize;
                let base = run as *mut kvm_bindings::kvm_run as *const u8;
                let mmap_size = self.mmap_size;
                let start = usize::try_from(io.data_offset).unwrap_or(usize::MAX);
                if start.checked_add(len).is_none_or(|end| end > mmap_size) {
                    return Ok(Exit::Failed { reason: "port output data outside the run page".into() });
                }
                // SAFETY: KVM placed `len` bytes of output at `data_offset`
                // inside the mmap'd kvm_run area (bounds checked above); the
                // slice lives as long as our borrow of the vCPU.
                let data = unsafe { std::slice::from_raw_parts(base.add(start), len) };
                Exit::IoOut { port: io.port, data }
            }
            kvm_bindings::KVM_EXIT_SHUTDOWN => Exit::Shutdown,
            kvm_bindings::KVM_EXIT_MMIO => {
                // SAFETY: KVM filled the `mmio` member for this exit reason.
                let mmio = unsafe { run.__bindgen_anon_1.mmio };
                if mmio.is_write != 0 {
                    Exit::MmioWrite { address: mmio.phys_addr }
                } else {
                    Exit::MmioRead { address: mmio.phys_addr }
                }
            }
            kvm_bindings::KVM_EXIT_INTERNAL_ERROR => {
                // SAFETY: KVM filled the `internal` member for this exit.
                let suberror = unsafe { run.__bindgen_anon_1.internal.suberror };
                Exit::Failed {
                    reason: format!(
                        "KVM internal error (suberror {suberror}): the guest ran something KVM cannot emulate"
                    ),
                }
            }
            kvm_bindings::KVM_EXIT_FAIL_ENTRY => {
                Exit::Failed { reason: "KVM failed to enter the guest (bad vCPU state)".into() }
            }
            other => Exit::Failed { reason: format!("unexpected KVM exit reason {other}") },
        })
    }
}
