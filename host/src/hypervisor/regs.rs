//! Register state in the hypervisor layer's own terms, so shared code never
//! names a backend's types. Each backend converts at its edge.

/// General-purpose registers, instruction pointer and flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[allow(missing_docs)] // the architectural register names
pub(crate) struct Registers {
    pub rax: u64,
    pub rbx: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
    pub rsp: u64,
    pub rbp: u64,
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rip: u64,
    pub rflags: u64,
}

/// Defines `$to` and `$from`, converting [`Registers`] to and from a
/// backend's register struct whose general registers have the same names.
macro_rules! register_conversions {
    ($backend:ident, $to:ident, $from:ident) => {
        $crate::hypervisor::regs::register_conversions!(@fields $backend, $to, $from,
            rax rbx rcx rdx rsi rdi rsp rbp r8 r9 r10 r11 r12 r13 r14 r15 rip rflags);
    };
    (@fields $backend:ident, $to:ident, $from:ident, $($field:ident)*) => {
        fn $to(r: &$crate::hypervisor::Registers) -> $backend {
            $backend { $($field: r.$field,)* }
        }

        fn $from(r: &$backend) -> $crate::hypervisor::Registers {
            $crate::hypervisor::Registers { $($field: r.$field,)* }
        }
    };
}
pub(crate) use register_conversions;

/// Defines `apply_entry_state`, which writes an [`EntryState`]'s control
/// registers and descriptors into a backend's special-register struct; the
/// backends name these fields alike.
macro_rules! entry_state_conversion {
    ($sregs:path, $segment:ident, $table:ident) => {
        // kvm's descriptor-table struct has padding, MSHV's has none.
        #[allow(clippy::needless_update)]
        fn apply_entry_state(sregs: &mut $sregs, entry: &$crate::hypervisor::EntryState) {
            let segment = |s: &$crate::hypervisor::regs::Segment| $segment {
                base: s.base,
                limit: s.limit,
                selector: s.selector,
                type_: s.kind,
                present: u8::from(s.present),
                dpl: s.dpl,
                db: u8::from(s.default_big),
                s: u8::from(s.code_or_data),
                l: u8::from(s.long),
                g: u8::from(s.granularity),
                ..Default::default()
            };
            let table = |t: &$crate::hypervisor::regs::DescriptorTable| $table {
                base: t.base,
                limit: t.limit,
                ..Default::default()
            };
            sregs.cr0 = entry.cr0;
            sregs.cr3 = entry.cr3;
            sregs.cr4 = entry.cr4;
            sregs.efer = entry.efer;
            sregs.cs = segment(&entry.code);
            let data = segment(&entry.data);
            (sregs.ds, sregs.es, sregs.fs, sregs.gs, sregs.ss) = (data, data, data, data, data);
            sregs.tr = segment(&entry.task);
            sregs.gdt = table(&entry.gdt);
            sregs.idt = table(&entry.idt);
        }
    };
}
pub(crate) use entry_state_conversion;

/// A segment register with its cached descriptor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Segment {
    pub base: u64,
    pub limit: u32,
    pub selector: u16,
    /// Descriptor type (code/data access bits, or the system type).
    pub kind: u8,
    pub present: bool,
    /// Descriptor privilege level.
    pub dpl: u8,
    /// Default operand size (32-bit data segments).
    pub default_big: bool,
    /// Code or data (not a system descriptor).
    pub code_or_data: bool,
    /// 64-bit code.
    pub long: bool,
    /// Limit counted in pages.
    pub granularity: bool,
}

/// The GDT or IDT register.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct DescriptorTable {
    pub base: u64,
    pub limit: u16,
}

/// Control registers and descriptors the guest's first instruction runs
/// under; everything else keeps the backend's reset value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct EntryState {
    pub cr0: u64,
    pub cr3: u64,
    pub cr4: u64,
    pub efer: u64,
    pub code: Segment,
    /// Loaded into DS, ES, FS, GS and SS.
    pub data: Segment,
    pub task: Segment,
    pub gdt: DescriptorTable,
    pub idt: DescriptorTable,
}

/// x87 control word and MXCSR at their reset defaults: all exceptions
/// masked, round to nearest. Backends pass them at entry (KVM's
/// `KVM_SET_FPU` ignores MXCSR); what counts is that the guest's message
/// exit resets both on every resume.
pub(crate) const FPU_CONTROL_WORD: u16 = 0x37f;
/// See [`FPU_CONTROL_WORD`].
pub(crate) const MXCSR: u32 = 0x1f80;
