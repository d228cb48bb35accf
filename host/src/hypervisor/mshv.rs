//! Microsoft's hypervisor through mshv-ioctls (`/dev/mshv`).
//!
//! Differences from KVM that shape this backend: an I/O intercept stops the
//! vCPU *at* the `out`, so the run loop moves RIP past it before returning
//! (as KVM on kvm_pvm does by itself); the written value arrives in RAX, not
//! in a shared page; and there is no `immediate_exit`, so a stop flag is
//! checked before each run and the interrupter repeats its signal until the
//! call ends (one signal can land just before the run starts).

use super::cpu::{check_host_cpu, host_cpuid_leaf1_ecx};
use super::regs::{EntryState, FPU_CONTROL_WORD, MXCSR, Registers};
use super::report::{Capability, DeviceReport, DeviceStatus};
use super::{Exit, ExitFailure, Hypervisor, HypervisorError, MemorySlot, StopFlag, VirtualMachine, Vm, open_advice};
use mshv_bindings::{
    FloatingPointUnit, MSHV_SET_MEM_BIT_EXECUTABLE, MSHV_SET_MEM_BIT_WRITABLE, SegmentRegister, StandardRegisters,
    TableRegister, hv_message_type_HVMSG_GPA_INTERCEPT, hv_message_type_HVMSG_UNMAPPED_GPA,
    hv_message_type_HVMSG_UNRECOVERABLE_EXCEPTION, hv_message_type_HVMSG_X64_HALT,
    hv_message_type_HVMSG_X64_IO_PORT_INTERCEPT, hv_register_assoc, hv_register_name_HV_X64_REGISTER_RIP,
    hv_register_value, mshv_user_mem_region,
};
use mshv_ioctls::{Mshv, MshvError, VcpuFd, VmFd};

/// The device MSHV is driven through.
pub(crate) const DEVICE: &str = "/dev/mshv";

/// This build has the MSHV backend.
pub(crate) const COMPILED_IN: bool = true;

/// Hyper-V's access type for a write in an intercept header.
const WRITE_ACCESS: u8 = 1;

/// Keeps a failed hypercall's status text; plain errnos stay OS errors.
fn os_error(error: MshvError) -> std::io::Error {
    match error {
        MshvError::Errno(errno) => std::io::Error::from_raw_os_error(errno.errno()),
        other => std::io::Error::other(other.to_string()),
    }
}

fn ioctl(operation: &'static str) -> impl FnOnce(MshvError) -> HypervisorError {
    move |source| HypervisorError::Ioctl { hypervisor: Hypervisor::Mshv, operation, source: os_error(source) }
}

fn open() -> Result<Mshv, HypervisorError> {
    Mshv::new().map_err(|e| {
        let errno = e.errno();
        HypervisorError::Open {
            device: DEVICE,
            advice: open_advice(DEVICE, errno),
            source: std::io::Error::from_raw_os_error(errno),
        }
    })
}

pub(crate) fn create() -> Result<Vm, HypervisorError> {
    Ok(Box::new(MshvVm::new()?))
}

/// What `/dev/mshv` offers, for the host report.
pub(crate) fn probe() -> DeviceReport {
    let status = match open() {
        Ok(_) => DeviceStatus::Usable,
        Err(e) => DeviceStatus::from_open_error(&e, DEVICE),
    };
    let usable = matches!(status, DeviceStatus::Usable);
    // The partition's CPUID mirrors the host's.
    let leaf1 = host_cpuid_leaf1_ecx();
    let capabilities = if usable {
        vec![
            Capability::new("read-only memory mappings", true, true),
            Capability::new("register page (registers set without a hypercall)", true, false),
            Capability::new("MSR intercepts (the guest runs at CPL3, where MSRs fault)", true, false),
            Capability::new("dirty page tracking", true, false),
        ]
    } else {
        Vec::new()
    };
    DeviceReport { hypervisor: Hypervisor::Mshv, status, capabilities, guest_cpuid_leaf1_ecx: usable.then_some(leaf1) }
}

/// One partition with one virtual processor.
#[derive(Debug)]
pub(crate) struct MshvVm {
    // Field order matters: the vCPU must close before its partition.
    vcpu: VcpuFd,
    vm: VmFd,
    /// The value the last `out` wrote (little-endian), borrowed by its exit.
    io_data: [u8; 8],
    /// The byte `stop` points at (MSHV has no flag of its own), checked
    /// before each run. Boxed so its address stays put when the VM moves;
    /// only ever accessed through `stop`.
    _stop_byte: Box<u8>,
    stop: StopFlag,
}

impl Drop for MshvVm {
    fn drop(&mut self) {
        // Before `_stop_byte` is freed.
        self.stop.revoke();
    }
}

// SAFETY: the vCPU's register page is a mapping owned by `vcpu`, used only
// through `&mut self` or `&self` of this VM, never from two threads at once;
// MSHV ties a virtual processor to its fd, not to the thread that made it.
unsafe impl Send for MshvVm {}

impl MshvVm {
    fn new() -> Result<Self, HypervisorError> {
        check_host_cpu(Hypervisor::Mshv)?;
        let mshv = open()?;
        let vm = mshv.create_vm().map_err(ioctl("create partition"))?;
        vm.initialize().map_err(ioctl("initialize partition"))?;
        let vcpu = vm.create_vcpu(0).map_err(ioctl("create virtual processor"))?;
        let mut stop_byte = Box::new(0u8);
        // SAFETY: the box lives as long as this VM, which revokes the flag
        // before freeing it (`Drop`).
        let stop = unsafe { StopFlag::new(&mut *stop_byte, false) };
        Ok(Self { vcpu, vm, io_data: [0; 8], _stop_byte: stop_byte, stop })
    }

    /// Moves RIP past the instruction that caused an intercept.
    fn skip_instruction(&self, rip: u64, length: u8) -> Result<(), HypervisorError> {
        let next = hv_register_assoc {
            name: hv_register_name_HV_X64_REGISTER_RIP,
            value: hv_register_value { reg64: rip.wrapping_add(u64::from(length)) },
            ..Default::default()
        };
        self.vcpu.set_reg(&[next]).map_err(ioctl("advance the instruction pointer"))
    }
}

/// The MSHV region for `slot` (executable; writable unless read-only).
fn user_region(slot: MemorySlot) -> mshv_user_mem_region {
    let executable = 1u8 << MSHV_SET_MEM_BIT_EXECUTABLE;
    let writable = if slot.read_only { 0 } else { 1u8 << MSHV_SET_MEM_BIT_WRITABLE };
    mshv_user_mem_region {
        size: slot.size,
        guest_pfn: slot.guest_address >> 12,
        userspace_addr: slot.host_address,
        flags: executable | writable,
        rsvd: [0; 7],
    }
}

impl VirtualMachine for MshvVm {
    unsafe fn map(&mut self, _index: u32, slot: MemorySlot) -> Result<(), HypervisorError> {
        self.vm.map_user_memory(user_region(slot)).map_err(ioctl("map guest memory"))
    }

    /// Untested (no `/dev/mshv` here): whether unmapping also flushes the
    /// guest's cached translations, as guest-CoW restore relies on, is
    /// unverified on MSHV.
    fn unmap(&mut self, _index: u32, slot: MemorySlot) -> Result<(), HypervisorError> {
        self.vm.unmap_user_memory(user_region(slot)).map_err(ioctl("unmap guest memory"))
    }

    fn set_entry_state(&mut self, regs: &Registers, entry: &EntryState) -> Result<(), HypervisorError> {
        let mut sregs = self.vcpu.get_sregs().map_err(ioctl("read special registers"))?;
        apply_entry_state(&mut sregs, entry);
        self.vcpu.set_sregs(&sregs).map_err(ioctl("set special registers"))?;
        self.set_regs(regs)?;
        let fpu = FloatingPointUnit { fcw: FPU_CONTROL_WORD, mxcsr: MXCSR, ..Default::default() };
        self.vcpu.set_fpu(&fpu).map_err(ioctl("set FPU state"))
    }

    /// Through the register page where the driver maps one (no hypercall).
    fn set_regs(&mut self, regs: &Registers) -> Result<(), HypervisorError> {
        self.vcpu.set_regs(&to_mshv(regs)).map_err(ioctl("set registers"))
    }

    fn regs(&self) -> Result<Registers, HypervisorError> {
        self.vcpu.get_regs().map(|regs| from_mshv(&regs)).map_err(ioctl("read registers"))
    }

    fn fault_address(&self) -> Result<u64, HypervisorError> {
        self.vcpu.get_sregs().map(|sregs| sregs.cr2).map_err(ioctl("read special registers"))
    }

    fn stop_flag(&self) -> StopFlag {
        self.stop.clone()
    }

    fn run(&mut self) -> Result<Exit<'_>, HypervisorError> {
        if self.stop.is_set() {
            return Ok(Exit::Interrupted);
        }
        let message = match self.vcpu.run() {
            Ok(message) => message,
            Err(MshvError::Errno(e)) if e.errno() == libc::EINTR || e.errno() == libc::EAGAIN => {
                return Ok(Exit::Interrupted);
            }
            Err(e) => return Err(ioctl("run virtual processor")(e)),
        };
        let kind = message.header.message_type;
        #[allow(non_upper_case_globals)] // the bindings' constant names
        Ok(match kind {
            hv_message_type_HVMSG_X64_IO_PORT_INTERCEPT => {
                let io = message.to_ioport_info().map_err(|e| ioctl("decode an I/O intercept")(MshvError::Errno(e)))?;
                // Copied out of the packed message before use.
                let (port, rax, header) = (io.port_number, io.rax, io.header);
                // SAFETY: a plain bitfield read of the access info union.
                let access = unsafe { io.access_info.__bindgen_anon_1 };
                if header.intercept_access_type != WRITE_ACCESS || access.string_op() != 0 {
                    return Ok(Exit::IoIn { port });
                }
                self.skip_instruction(header.rip, header.instruction_length())?;
                let size = usize::from(access.access_size()).min(4);
                self.io_data = rax.to_le_bytes();
                Exit::IoOut { port, data: &self.io_data[..size] }
            }
            hv_message_type_HVMSG_UNMAPPED_GPA | hv_message_type_HVMSG_GPA_INTERCEPT => {
                let memory =
                    message.to_memory_info().map_err(|e| ioctl("decode a memory intercept")(MshvError::Errno(e)))?;
                if memory.header.intercept_access_type == WRITE_ACCESS {
                    Exit::MmioWrite { address: memory.guest_physical_address }
                } else {
                    Exit::MmioRead { address: memory.guest_physical_address }
                }
            }
            hv_message_type_HVMSG_UNRECOVERABLE_EXCEPTION => Exit::Shutdown,
            hv_message_type_HVMSG_X64_HALT => Exit::Failed(ExitFailure::Halted),
            reason => Exit::Failed(ExitFailure::Unexpected { hypervisor: Hypervisor::Mshv, reason }),
        })
    }
}

super::regs::entry_state_conversion!(mshv_bindings::SpecialRegisters, SegmentRegister, TableRegister);
super::regs::register_conversions!(StandardRegisters, to_mshv, from_mshv);
