//! `containerd-shim-featherlight-v1`: containerd's runtime `io.containerd.featherlight.v1`.
//!
//! containerd starts one shim process per container (shim v2 over ttrpc, task API v2);
//! the shim runs the container's component (the image's entrypoint, such as `/app.wasm`)
//! in featherlight micro-VMs inside this process. A WASI command runs once: args and env
//! from the OCI spec, stdio on the task's FIFOs, the guest's exit status as the task's. A
//! `wasi:http/proxy` component is served on a port, each request in a restored VM. `docs/
//! kubernetes.md` sets it up.
//!
//! - [`service`]: the shim and task services containerd calls;
//! - [`container`]: one container: its bundle read into a plan, then its run;
//! - [`http`]: containers of `wasi:http/proxy` components, served on a port.

mod container;
mod http;
mod rootfs;
mod service;

/// The runtime name containerd knows this shim by.
const RUNTIME_ID: &str = "io.containerd.featherlight.v1";

fn main() {
    containerd_shim::run::<service::Service>(RUNTIME_ID, None);
}
