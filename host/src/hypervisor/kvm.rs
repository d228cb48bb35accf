//! KVM through kvm-ioctls.

use super::cpu::check_host_cpu;
use super::regs::{EntryState, FPU_CONTROL_WORD, MXCSR, Registers};
use super::report::{Capability, DeviceReport, DeviceStatus};
use super::{Exit, ExitFailure, Hypervisor, HypervisorError, MemorySlot, StopFlag, VirtualMachine, open_advice};
use kvm_bindings::{
    KVM_MAX_CPUID_ENTRIES, KVM_MEM_READONLY, kvm_dtable, kvm_fpu, kvm_regs, kvm_segment, kvm_userspace_memory_region,
    kvm_xcr, kvm_xcrs,
};
use kvm_ioctls::{Cap, Kvm, MsrFilterDefaultAction, MsrFilterRange, MsrFilterRangeFlags, VcpuFd, VmFd};
use std::sync::OnceLock;

/// CR4.OSXSAVE: XSAVE-managed state (AVX) enabled for the guest.
const CR4_OSXSAVE: u64 = 1 << 18;

/// The device KVM is driven through.
pub(crate) const DEVICE: &str = "/dev/kvm";

fn os_error(error: kvm_ioctls::Error) -> std::io::Error {
    std::io::Error::from_raw_os_error(error.errno())
}

fn ioctl(operation: &'static str) -> impl FnOnce(kvm_ioctls::Error) -> HypervisorError {
    move |source| HypervisorError::Ioctl { hypervisor: Hypervisor::Kvm, operation, source: os_error(source) }
}

fn unsupported(what: &'static str) -> HypervisorError {
    HypervisorError::Unsupported { hypervisor: Hypervisor::Kvm, what }
}

/// The process-wide `/dev/kvm` handle and what it supports, opened once.
pub(crate) struct System {
    pub kvm: Kvm,
    pub cpuid: kvm_bindings::CpuId,
}

pub(crate) fn system() -> Result<&'static System, HypervisorError> {
    static SYSTEM: OnceLock<Result<System, i32>> = OnceLock::new();
    let opened = SYSTEM.get_or_init(|| {
        let kvm = Kvm::new().map_err(|e| e.errno())?;
        let cpuid = kvm.get_supported_cpuid(KVM_MAX_CPUID_ENTRIES).map_err(|e| e.errno())?;
        Ok(System { kvm, cpuid })
    });
    // The first failure is remembered, so every caller gets the same answer.
    opened.as_ref().map_err(|&errno| HypervisorError::Open {
        device: DEVICE,
        advice: open_advice(DEVICE, errno),
        source: std::io::Error::from_raw_os_error(errno),
    })
}

/// ECX of CPUID leaf 1 as the guest will see it: where SSE3 … POPCNT live.
pub(crate) fn guest_cpuid_leaf1_ecx(system: &System) -> u32 {
    system.cpuid.as_slice().iter().find(|entry| entry.function == 1 && entry.index == 0).map_or(0, |entry| entry.ecx)
}

/// What `/dev/kvm` offers, for the host report.
pub(crate) fn probe() -> DeviceReport {
    let system = match system() {
        Ok(system) => system,
        Err(e) => {
            return DeviceReport {
                hypervisor: Hypervisor::Kvm,
                status: DeviceStatus::from_open_error(&e, DEVICE),
                capabilities: Vec::new(),
                guest_cpuid_leaf1_ecx: None,
            };
        }
    };
    let has = |cap| system.kvm.check_extension(cap);
    let capabilities = vec![
        Capability::new("user memory slots", has(Cap::UserMemory), true),
        Capability::new("read-only memory slots (the shared snapshot)", has(Cap::ReadonlyMem), true),
        Capability::new("sync regs (registers set without an ioctl)", has(Cap::SyncRegs), false),
        Capability::new("MSR filter (deny the guest every MSR)", has(Cap::X86MsrFilter), false),
        // Part of KVM's base API, with every memory slot.
        Capability::new("dirty page log", true, false),
        Capability::new("dirty log ring", has(Cap::DirtyLogRing), false),
    ];
    DeviceReport {
        hypervisor: Hypervisor::Kvm,
        status: DeviceStatus::Usable,
        capabilities,
        guest_cpuid_leaf1_ecx: Some(guest_cpuid_leaf1_ecx(system)),
    }
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
    /// KVM's own `kvm_run.immediate_exit`, checked inside `KVM_RUN` after
    /// signals are unblocked, so one signal always suffices.
    stop: StopFlag,
    /// Whether XCR0 enables AVX state (so the entry sets CR4.OSXSAVE).
    avx_state: bool,
}

impl Drop for KvmVm {
    fn drop(&mut self) {
        // Before `vcpu` unmaps the run area the flag points into.
        self.stop.revoke();
    }
}

impl KvmVm {
    /// Creates a VM with one vCPU whose CPUID is what KVM supports, and an
    /// MSR filter that denies the guest every MSR.
    pub(crate) fn new() -> Result<Self, HypervisorError> {
        let system = system()?;
        if !system.kvm.check_extension(Cap::UserMemory) {
            return Err(unsupported("user memory slots"));
        }
        // The shared snapshot is mapped read-only to every guest.
        if !system.kvm.check_extension(Cap::ReadonlyMem) {
            return Err(unsupported("read-only memory slots"));
        }
        check_host_cpu(Hypervisor::Kvm)?;
        let vm = system.kvm.create_vm().map_err(ioctl("create VM"))?;
        // The guest runs at CPL3, where RDMSR/WRMSR fault anyway; the filter
        // keeps every MSR out of reach should it ever get to CPL0. (The
        // host's own register ioctls are not filtered.)
        if system.kvm.check_extension(Cap::X86MsrFilter) {
            // KVM rejects a deny-by-default filter without ranges; one range
            // whose bitmap allows nothing denies the same.
            let nothing = MsrFilterRange {
                flags: MsrFilterRangeFlags::READ | MsrFilterRangeFlags::WRITE,
                base: 0,
                msr_count: 8,
                bitmap: &[0],
            };
            vm.set_msr_filter(MsrFilterDefaultAction::DENY, &[nothing]).map_err(ioctl("install the MSR filter"))?;
        }
        let vcpu = vm.create_vcpu(0).map_err(ioctl("create vCPU"))?;
        vcpu.set_cpuid2(&system.cpuid).map_err(ioctl("set CPUID"))?;
        let avx_state = enable_avx_state(system, &vcpu)?;
        let mmap_size = system.kvm.get_vcpu_mmap_size().map_err(ioctl("query the vCPU run area size"))?;
        let sync_regs = system.kvm.check_extension(Cap::SyncRegs);
        let mut vcpu = vcpu;
        let immediate_exit: *mut u8 = &mut vcpu.get_kvm_run().immediate_exit;
        // SAFETY: the run area is mapped as long as `vcpu` lives, which this
        // VM owns and drops only after revoking the flag (`Drop`).
        let stop = unsafe { StopFlag::new(immediate_exit, true) };
        Ok(Self { vcpu, vm, mmap_size, sync_regs, regs_pending: false, stop, avx_state })
    }
}

/// CPUID.1:ECX bits: XSAVE, and AVX (whose state XSAVE manages).
const XSAVE: u32 = 1 << 26;
const AVX: u32 = 1 << 28;
/// XCR0: x87, SSE and AVX (YMM) state enabled.
const XCR0_X87_SSE_AVX: u64 = 0b111;

/// Lets guest code use AVX where the hypervisor enforces the guest's XCR0
/// (hardware KVM): when the VM's CPUID offers XSAVE and AVX, sets XCR0 to
/// x87 + SSE + AVX; the entry state then sets CR4.OSXSAVE. Returns whether
/// it did. kvm_pvm offers neither in CPUID (guest code at CPL3 runs under
/// the host's XCR0 there, so AVX works without this).
fn enable_avx_state(system: &System, vcpu: &VcpuFd) -> Result<bool, HypervisorError> {
    let leaf1 = guest_cpuid_leaf1_ecx(system);
    if leaf1 & (XSAVE | AVX) != (XSAVE | AVX) || !system.kvm.check_extension(Cap::Xcrs) {
        return Ok(false);
    }
    let mut xcrs = kvm_xcrs { nr_xcrs: 1, ..Default::default() };
    xcrs.xcrs[0] = kvm_xcr { xcr: 0, value: XCR0_X87_SSE_AVX, ..Default::default() };
    vcpu.set_xcrs(&xcrs).map_err(ioctl("set XCR0"))?;
    Ok(true)
}

impl VirtualMachine for KvmVm {
    unsafe fn map(&mut self, index: u32, slot: MemorySlot) -> Result<(), HypervisorError> {
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

    fn unmap(&mut self, index: u32, slot: MemorySlot) -> Result<(), HypervisorError> {
        // A size of zero deletes the slot.
        let region = kvm_userspace_memory_region {
            slot: index,
            flags: if slot.read_only { KVM_MEM_READONLY } else { 0 },
            guest_phys_addr: slot.guest_address,
            memory_size: 0,
            userspace_addr: slot.host_address,
        };
        // SAFETY: deleting a slot makes KVM forget the host range; nothing
        // is accessed through it afterwards.
        unsafe { self.vm.set_user_memory_region(region) }.map_err(ioctl("unmap guest memory"))
    }

    fn set_entry_state(&mut self, regs: &Registers, entry: &EntryState) -> Result<(), HypervisorError> {
        let mut sregs = self.vcpu.get_sregs().map_err(ioctl("read special registers"))?;
        apply_entry_state(&mut sregs, entry);
        if self.avx_state {
            sregs.cr4 |= CR4_OSXSAVE;
        }
        self.vcpu.set_sregs(&sregs).map_err(ioctl("set special registers"))?;
        self.regs_pending = false;
        self.vcpu.set_regs(&to_kvm(regs)).map_err(ioctl("set registers"))?;
        let fpu = kvm_fpu { fcw: FPU_CONTROL_WORD, mxcsr: MXCSR, ..Default::default() };
        self.vcpu.set_fpu(&fpu).map_err(ioctl("set FPU state"))
    }

    /// Through the shared run area when KVM supports `KVM_CAP_SYNC_REGS`
    /// (applied by the next `KVM_RUN`, no ioctl of its own), else with one
    /// `KVM_SET_REGS`.
    fn set_regs(&mut self, regs: &Registers) -> Result<(), HypervisorError> {
        if self.sync_regs {
            self.vcpu.sync_regs_mut().regs = to_kvm(regs);
            self.vcpu.set_sync_dirty_reg(kvm_ioctls::SyncReg::Register);
            self.regs_pending = true;
            return Ok(());
        }
        self.vcpu.set_regs(&to_kvm(regs)).map_err(ioctl("set registers"))
    }

    fn regs(&self) -> Result<Registers, HypervisorError> {
        if self.regs_pending {
            return Ok(from_kvm(&self.vcpu.sync_regs().regs));
        }
        self.vcpu.get_regs().map(|regs| from_kvm(&regs)).map_err(ioctl("read registers"))
    }

    fn fault_address(&self) -> Result<u64, HypervisorError> {
        self.vcpu.get_sregs().map(|sregs| sregs.cr2).map_err(ioctl("read special registers"))
    }

    fn stop_flag(&self) -> StopFlag {
        self.stop.clone()
    }

    fn run(&mut self) -> Result<Exit<'_>, HypervisorError> {
        self.regs_pending = false;
        let timed = run_time::start();
        let ran = self.vcpu.run();
        run_time::stop(timed);
        // (Matched with a throwaway borrow so the returned exit can borrow.)
        match ran {
            // A signal (or `immediate_exit`) stopped KVM_RUN: the caller
            // decides whether that was a stop request.
            Err(e) if e.errno() == libc::EINTR || e.errno() == libc::EAGAIN => return Ok(Exit::Interrupted),
            Err(e) => return Err(ioctl("run vCPU")(e)),
            Ok(_) => {}
        }
        let run = self.vcpu.get_kvm_run();
        Ok(match run.exit_reason {
            kvm_bindings::KVM_EXIT_IO => {
                // SAFETY: KVM filled the `io` member for this exit reason.
                let io = unsafe { run.__bindgen_anon_1.io };
                if u32::from(io.direction) != kvm_bindings::KVM_EXIT_IO_OUT {
                    return Ok(Exit::IoIn { port: io.port });
                }
                let len = usize::from(io.size) * io.count as usize;
                let base = run as *mut kvm_bindings::kvm_run as *const u8;
                let mmap_size = self.mmap_size;
                let start = usize::try_from(io.data_offset).unwrap_or(usize::MAX);
                if start.checked_add(len).is_none_or(|end| end > mmap_size) {
                    return Ok(Exit::Failed(ExitFailure::IoDataOutsideRunArea { offset: io.data_offset, len }));
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
                Exit::Failed(ExitFailure::Unemulated { suberror })
            }
            kvm_bindings::KVM_EXIT_FAIL_ENTRY => {
                // SAFETY: KVM filled the `fail_entry` member for this exit.
                let reason = unsafe { run.__bindgen_anon_1.fail_entry.hardware_entry_failure_reason };
                Exit::Failed(ExitFailure::EntryFailed { reason })
            }
            reason => Exit::Failed(ExitFailure::Unexpected { hypervisor: Hypervisor::Kvm, reason }),
        })
    }
}

super::regs::entry_state_conversion!(kvm_bindings::kvm_sregs, kvm_segment, kvm_dtable);
super::regs::register_conversions!(kvm_regs, to_kvm, from_kvm);

/// Time this thread spent inside `KVM_RUN`, when asked for
/// (`featherlight::testing::RunTime`): `featherlight bench` splits a call's
/// time into the host's own work and the rest (the guest and the exits).
pub(crate) mod run_time {
    use std::cell::Cell;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Instant;

    /// Whether runs are timed (off: one relaxed load per run).
    static ON: AtomicBool = AtomicBool::new(false);

    thread_local! {
        /// Nanoseconds inside `KVM_RUN` and runs, since the last `take`.
        static SPENT: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
    }

    pub(crate) fn start() -> Option<Instant> {
        ON.load(Ordering::Relaxed).then(Instant::now)
    }

    pub(crate) fn stop(started: Option<Instant>) {
        if let Some(started) = started {
            let ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
            SPENT.with(|spent| {
                let (total, runs) = spent.get();
                spent.set((total.saturating_add(ns), runs + 1));
            });
        }
    }

    /// Turns timing on or off for every thread.
    pub(crate) fn enable(on: bool) {
        ON.store(on, Ordering::Relaxed);
    }

    /// This thread's nanoseconds inside `KVM_RUN` and runs since the last
    /// call, reset.
    pub(crate) fn take() -> (u64, u64) {
        SPENT.with(|spent| spent.replace((0, 0)))
    }
}
