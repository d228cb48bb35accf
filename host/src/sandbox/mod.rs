//! Sandboxes: one micro-VM running one component instance.

mod exchange;
mod filesystem;
mod guest_cow;
mod handles;
pub mod host_functions;
pub mod http;
mod interrupt;
mod linear_memory;
mod snapshot;
mod stdio;

pub use interrupt::InterruptHandle;
pub use snapshot::Snapshot;

use crate::Value;
use crate::error::{Error, PoisonedBy};
use crate::hypervisor::descriptors::cpl3_long_mode;
use crate::hypervisor::{MemorySlot, Registers};
use crate::mem::boot_image::BootImage;
use crate::mem::layout::ScratchLayout;
use crate::mem::region::HostMapping;
use crate::wasm::component::Component;
use crate::wasm::wasi::WasiConfig;
use featherlight_abi::fb;
use featherlight_abi::layout::{ABI_VERSION, BOOT_MAGIC, BootParams, SCRATCH_BASE};
use host_functions::{HostFunction, Linker};
use std::mem::ManuallyDrop;
use std::sync::Arc;
use std::time::Duration;

/// One component instance in its own micro-VM.
///
/// Made from a [`Component`] and the host functions in a [`Linker`]; calls
/// run on the calling thread. A sandbox is `Send`: it can move between
/// threads, but serves one call at a time (`&mut self`).
pub struct Sandbox {
    /// The VM and the memory it maps. Taken by hand in `Drop`, to be parked
    /// in the origin snapshot as a spare or dropped (the VM first).
    machine: ManuallyDrop<snapshot::Machine>,
    /// The snapshot whose scratch image `scratch` is a private copy of;
    /// `None` for a sandbox booted from scratch.
    origin: Option<Arc<Snapshot>>,
    boot: Arc<BootImage>,
    component: Component,
    /// Host function of each import, in the order the guest numbers them.
    imports: Vec<(String, Option<Arc<HostFunction>>)>,
    /// Why the sandbox refuses calls, once something went wrong: the
    /// failure (a copy of what the caller got) and what failed.
    poisoned: Option<(Arc<Error>, PoisonedBy)>,
    /// Stop requests and deadlines for the call in progress.
    interrupts: Arc<interrupt::InterruptState>,
    /// How long one call may run.
    call_timeout: Option<Duration>,
    /// What the component gets through WASI, and where its output goes.
    wasi: WasiConfig,
    /// Handles the guest holds to host objects.
    handles: handles::HandleTable,
    /// Granted directories and the files the component opened beneath them.
    descriptors: crate::wasm::wasi::filesystem::Descriptors,
    /// What the guest has yet to take of a message larger than the input
    /// buffer.
    outbound: Option<exchange::Outbound>,
    /// Times the vCPU ran and exited (see [`Sandbox::vm_exits`]).
    exits: u64,
    /// The wasi:http request under way, if any.
    http: Option<http::HttpSession>,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // Handles may outlive the sandbox: they must not touch its vCPU.
        self.interrupts.detach();
        let parked = self.restore_for_spare();
        // SAFETY: `drop` runs once and nothing uses `machine` after it; it is
        // taken exactly once, here.
        let machine = unsafe { ManuallyDrop::take(&mut self.machine) };
        match parked {
            Some(origin) => origin.park(machine),
            None => drop(machine),
        }
    }
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("component", &self.component)
            .field("poisoned", &self.poisoned)
            .finish_non_exhaustive()
    }
}

/// Memory slot of the boot image (the read-only snapshot region); scratch
/// is slot 1.
const BOOT_SLOT: u32 = 0;
const SCRATCH_SLOT: u32 = 1;

impl Sandbox {
    /// Boots a micro-VM, loads `component` in it and instantiates it with
    /// the host functions in `linker`. Imports nobody registered still
    /// instantiate; calling one traps with an error naming it.
    #[tracing::instrument(skip_all)]
    pub fn new(component: &Component, linker: &Linker) -> Result<Self, Error> {
        let boot = component.boot_image()?;
        let layout = boot.layout.clone();
        let scratch = HostMapping::anonymous(crate::mem::host_usize(layout.size), "scratch").map_err(Error::Memory)?;
        let area = linear_memory::Area::new(layout.linear_memory)?;
        let mut sandbox = Self::with_memory(component, linker, boot, scratch, area, None)?;
        // Booting runs guest code too (the component's start function): the
        // call timeout bounds it, and interrupts cannot reach it (no handle
        // exists yet).
        sandbox.interrupts.begin_call(sandbox.call_timeout);
        let started = sandbox.boot(&layout).and_then(|()| sandbox.instantiate());
        let _late_stop = sandbox.interrupts.end_call();
        started?;
        Ok(sandbox)
    }

    /// A sandbox with a new VM over `boot` and `scratch`, not yet running.
    fn with_memory(
        component: &Component,
        linker: &Linker,
        boot: Arc<BootImage>,
        scratch: HostMapping,
        area: linear_memory::Area,
        origin: Option<Arc<Snapshot>>,
    ) -> Result<Self, Error> {
        // Guest code runs natively: the CPU must have what it was compiled for.
        crate::hypervisor::cpu::check_compiled_features(component.engine().cpu_features())?;
        let mut vm = crate::hypervisor::create(component.engine().config().hypervisor)?;
        let boot_slot = MemorySlot {
            guest_address: 0,
            host_address: boot.memory.host_address(),
            size: boot.memory.size() as u64,
            read_only: true,
        };
        // From a snapshot in guest-CoW mode only the writable part of scratch
        // is a writable slot (`enter_guest_cow` maps the rest read-only).
        let writable = match (&origin, &boot.cow) {
            (Some(_), Some(tables)) => crate::mem::host_usize(tables.writable_scratch).min(scratch.size()),
            _ => scratch.size(),
        };
        let scratch_slot = MemorySlot {
            guest_address: SCRATCH_BASE,
            host_address: scratch.host_address(),
            size: writable as u64,
            read_only: false,
        };
        // SAFETY: both mappings are owned by the returned sandbox (the boot
        // image via its Arc) and outlive the VM, which its `Drop` drops
        // first. Scratch is only ever remapped in place, at the same address.
        unsafe {
            vm.map(BOOT_SLOT, boot_slot)?;
            vm.map(SCRATCH_SLOT, scratch_slot)?;
        }
        let machine = snapshot::Machine { vm, scratch, area, cow: None };
        Ok(Self::with_machine(component, linker, boot, machine, origin))
    }

    /// A sandbox on `machine` (a VM with `boot` and scratch mapped), not yet
    /// running.
    fn with_machine(
        component: &Component,
        linker: &Linker,
        boot: Arc<BootImage>,
        machine: snapshot::Machine,
        origin: Option<Arc<Snapshot>>,
    ) -> Self {
        let interrupts = Arc::new(interrupt::InterruptState::default());
        interrupts.attach(machine.vm.stop_flag());
        let imports = component
            .world()
            .imports()
            .iter()
            .map(|import| {
                let function = linker.resolve(import.interface.as_deref(), &import.name);
                // Drops always reach the host, to free the guest's handle,
                // even when the application has nothing to clean up.
                let function = match function {
                    None if import.name.starts_with("[resource-drop]") => {
                        Some(Arc::new(|_: &[Value]| Ok(Vec::new())) as Arc<HostFunction>)
                    }
                    other => other,
                };
                (import.qualified_name(), function)
            })
            .collect();
        Self {
            machine: ManuallyDrop::new(machine),
            origin,
            boot,
            component: component.clone(),
            imports,
            poisoned: None,
            interrupts,
            call_timeout: component.engine().config().call_timeout,
            wasi: linker.wasi_config().clone(),
            descriptors: linker.wasi_config().descriptors(),
            handles: handles::HandleTable::default(),
            outbound: None,
            exits: 0,
            http: None,
        }
    }

    /// How many handles to host objects the guest holds, and the size of
    /// the sandbox's handle table in slots (live or free, reused): it grows
    /// only with the most handles held at once.
    pub fn host_handles(&self) -> (usize, usize) {
        (self.handles.live(), self.handles.capacity())
    }

    /// The component this sandbox runs.
    pub fn component(&self) -> &Component {
        &self.component
    }

    /// How many times this sandbox's vCPU has entered the guest and exited
    /// back to the host since it was made: one per message or chunk the guest
    /// sends or asks for, plus interrupted runs. Each costs a hypervisor round
    /// trip, so it explains a call's fixed cost.
    pub fn vm_exits(&self) -> u64 {
        self.exits
    }

    /// Whether an earlier failure made this sandbox refuse calls.
    pub fn is_poisoned(&self) -> bool {
        self.poisoned.is_some()
    }

    /// Calls export `name` (unqualified like `add`, or qualified like
    /// `my:pkg/iface.add`) with `args` and returns its results.
    #[tracing::instrument(skip(self, args))]
    pub fn call(&mut self, name: &str, args: &[Value]) -> Result<Vec<Value>, Error> {
        let index = self.component.world().find_export(name)?;
        self.call_index(index, args)
    }

    /// Calls the export at `index` in [`ComponentWorld::exports`](crate::wasm::world::ComponentWorld::exports).
    pub fn call_index(&mut self, index: usize, args: &[Value]) -> Result<Vec<Value>, Error> {
        self.refuse_if_poisoned()?;
        let component = self.component.clone();
        let export = component.world().exports().get(index).ok_or_else(|| Error::NoSuchExport(format!("#{index}")))?;
        self.interrupts.begin_call(self.call_timeout);
        let outcome = self.call_export(index, export, args);
        // A stop request that came as the guest finished is moot.
        let _late_stop = self.interrupts.end_call();
        self.poison_on(outcome)
    }

    /// A handle that stops this sandbox's calls from any thread.
    pub fn interrupt_handle(&self) -> InterruptHandle {
        InterruptHandle { state: self.interrupts.clone() }
    }

    /// Limits how long each call may run (`None`: no limit; the default is
    /// the engine's [`Config::call_timeout`](crate::Config::call_timeout)).
    /// A call past it fails with [`Error::DeadlineExceeded`] and poisons the
    /// sandbox; time spent in host functions counts.
    pub fn set_call_timeout(&mut self, timeout: Option<Duration>) {
        self.call_timeout = timeout;
    }

    /// Test hook (`featherlight::testing::inject_fault`): makes the guest
    /// runtime fail in the chosen way.
    pub(crate) fn inject_fault(&mut self, kind: GuestFault) -> Result<(), Error> {
        self.refuse_if_poisoned()?;
        let outcome = self.fault(kind.into());
        self.poison_on(outcome)
    }

    /// Which imports have a host function, in the guest's import order.
    fn registered(&self) -> impl Iterator<Item = bool> + '_ {
        self.imports.iter().map(|(_, function)| function.is_some())
    }

    /// Passes `outcome` on, first poisoning the sandbox if it is an error
    /// that leaves the guest unusable.
    fn poison_on<T>(&mut self, outcome: Result<T, Error>) -> Result<T, Error> {
        if let Err(e) = &outcome
            && e.is_poison_error()
        {
            self.poison(e, PoisonedBy::Call);
        }
        outcome
    }

    /// Makes the sandbox refuse calls, keeping a copy of `cause`.
    fn poison(&mut self, cause: &Error, by: PoisonedBy) {
        self.poisoned = Some((Arc::new(cause.duplicate()), by));
    }

    /// [`Error::Poisoned`] with its cause, if the sandbox is poisoned.
    fn refuse_if_poisoned(&self) -> Result<(), Error> {
        match &self.poisoned {
            Some((cause, by)) => Err(Error::Poisoned { cause: cause.clone(), by: *by }),
            None => Ok(()),
        }
    }

    fn boot(&mut self, layout: &ScratchLayout) -> Result<(), Error> {
        let params = BootParams {
            magic: BOOT_MAGIC,
            abi_version: ABI_VERSION,
            max_log_level: self.component.engine().config().guest_log_level,
            cpu_features: self.component.engine().cpu_features(),
            tsc_khz: 0,
            input: layout.input,
            output: layout.output,
            heap: layout.heap,
            max_wasm_stack: self.component.engine().config().memory.max_wasm_stack,
            max_wasm_memory: self.component.engine().config().memory.max_wasm_memory.unwrap_or(0),
            max_message_size: self.component.engine().config().memory.max_message_size,
            hostcall_fuel: self.component.engine().config().memory.hostcall_fuel,
            linear_memory: layout.linear_memory,
        };
        self.machine.scratch.write(ScratchLayout::offset(layout.boot_params.address), params.as_bytes())?;
        self.machine.scratch.write(ScratchLayout::offset(layout.image_data.address), &self.boot.image_data)?;
        let regs = Registers {
            rip: self.boot.entry,
            rsp: layout.stack.end().unwrap_or(0),
            rdi: layout.boot_params.address,
            rflags: 0x2,
            ..Default::default()
        };
        let root = self.boot.page_table_root;
        self.machine.vm.set_entry_state(&regs, &cpl3_long_mode(root))?;
        // The guest announces itself with an empty result once booted.
        self.run_to_result().map(drop)
    }
}

/// Ways to make the guest runtime fail on purpose (tests only; public as
/// `featherlight::testing::GuestFault`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuestFault {
    Panic,
    InvalidOpcode,
    PageFault,
    Breakpoint,
    StackOverflow,
}

impl From<GuestFault> for fb::FaultKind {
    fn from(kind: GuestFault) -> Self {
        match kind {
            GuestFault::Panic => fb::FaultKind::Panic,
            GuestFault::InvalidOpcode => fb::FaultKind::InvalidOpcode,
            GuestFault::PageFault => fb::FaultKind::PageFault,
            GuestFault::Breakpoint => fb::FaultKind::Breakpoint,
            GuestFault::StackOverflow => fb::FaultKind::StackOverflow,
        }
    }
}
