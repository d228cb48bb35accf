//! What the wasmtime store holds for the component's imports: one type
//! every import module (WASI, forwarded imports, resources) works on.

use crate::wasi::http::state::Http;
use crate::wasi::state::Wasi;
use wasmtime::StoreLimits;
use wasmtime::component::ResourceTable;

/// What the store holds for the component's imports.
pub struct Host {
    pub limits: StoreLimits,
    /// WASI resources (pollables, errors).
    pub table: ResourceTable,
    pub wasi: Wasi,
    /// The HTTP request being served (`wasi:http`).
    pub http: Http,
}
