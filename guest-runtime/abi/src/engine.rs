//! The wasmtime settings the host's compiler and the guest's runtime must
//! share: an artifact compiled under one set loads only under the same set.
//!
//! Both sides apply [`SHARED_SETTINGS`] by destructuring it without `..`,
//! so a setting added here does not compile until both apply it.

/// Settings of `wasmtime::Config` both sides set, by the method's name.
#[derive(Debug, Clone, Copy)]
pub struct SharedSettings {
    /// `wasm_component_model`.
    pub wasm_component_model: bool,
    /// `signals_based_traps`: the guest has no signals; traps are explicit
    /// checks.
    pub signals_based_traps: bool,
    /// `memory_reservation`: no virtual-memory tricks in the guest, linear
    /// memories live on its heap.
    pub memory_reservation: u64,
    /// `memory_guard_size`.
    pub memory_guard_size: u64,
    /// `memory_reservation_for_growth`.
    pub memory_reservation_for_growth: u64,
    /// `x86_float_abi_ok`: Cranelift code keeps floats in SSE registers
    /// while the guest image is soft-float; wasmtime passes them through
    /// memory, which this vouches for (the host enables SSE for the guest).
    pub x86_float_abi_ok: bool,
}

/// The one copy of the shared settings.
pub const SHARED_SETTINGS: SharedSettings = SharedSettings {
    wasm_component_model: true,
    signals_based_traps: false,
    memory_reservation: 0,
    memory_guard_size: 0,
    memory_reservation_for_growth: 0,
    x86_float_abi_ok: true,
};
