//! Resource handles across the VM boundary, guest side.
//!
//! On the wire a handle is a number. A resource the host defines is linked
//! as a dynamic host resource whose rep is the host's handle number (the
//! host checks every number it gets back against its own table). A resource
//! the component exports stays in [`GuestTable`]; the host holds the numbers.
//! Values cross as `Val::U32` placeholders between these passes and the
//! codec in `values.rs`.

use crate::failure::Failure;
use crate::store::Host;
use alloc::collections::BTreeSet;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use featherlight_abi::fb;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Linker, ResourceAny, ResourceDynamic, ResourceType, Type, Val};
use wasmtime::{AsContextMut, StoreContextMut};

/// The host's resource types as linked: each is `host_dynamic(payload)`
/// with the payload its drop import's index.
#[derive(Clone, Debug, Default)]
pub struct HostTypes(Vec<(ResourceType, u32)>);

impl HostTypes {
    pub fn add(&mut self, payload: u32) -> ResourceType {
        let ty = ResourceType::host_dynamic(payload);
        self.0.push((ty, payload));
        ty
    }

    fn payload(&self, ty: &ResourceType) -> Option<u32> {
        self.0.iter().find(|(t, _)| t == ty).map(|(_, p)| *p)
    }
}

/// Why a handle could not be converted.
#[derive(Debug)]
pub enum HandleError {
    /// The host sent a handle to a resource of the component that it was
    /// not given, or that was dropped.
    NotHeld(u32),
    /// The host sent a live handle of another resource type.
    WrongType(u32),
    /// Anything else, in words.
    Other(String),
}

impl core::fmt::Display for HandleError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NotHeld(handle) => write!(f, "resource handle {handle} was not given to the host or was dropped"),
            Self::WrongType(handle) => write!(f, "resource handle {handle} is of another type"),
            Self::Other(message) => f.write_str(message),
        }
    }
}

impl From<String> for HandleError {
    fn from(message: String) -> Self {
        Self::Other(message)
    }
}

/// The host's mistakes with handles get their own kinds (the host tells
/// them from a hostile guest's); anything else is `Malformed`.
impl From<HandleError> for Failure {
    fn from(error: HandleError) -> Self {
        let (kind, handle) = match error {
            HandleError::NotHeld(handle) => (fb::ErrorKind::InvalidHandle, handle),
            HandleError::WrongType(handle) => (fb::ErrorKind::WrongHandleType, handle),
            HandleError::Other(_) => (fb::ErrorKind::Malformed, 0),
        };
        Self { handle, ..Self::new(kind, error) }
    }
}

const INDEX_BITS: u32 = 20;
const INDEX_MASK: u32 = (1 << INDEX_BITS) - 1;

/// The component's own resources the host holds handles to. Numbers are
/// slot index plus one and a generation, so a stale number is refused.
#[derive(Debug, Default)]
pub struct GuestTable {
    slots: Vec<(u32, Option<ResourceAny>)>,
    free: Vec<u32>,
}

impl GuestTable {
    fn insert(&mut self, resource: ResourceAny) -> Result<u32, String> {
        let index = match self.free.pop() {
            Some(index) => index,
            None if self.slots.len() < INDEX_MASK as usize - 1 => {
                self.slots.push((0, None));
                u32::try_from(self.slots.len() - 1).map_err(|e| e.to_string())?
            }
            None => return Err("too many resource handles held by the host".to_string()),
        };
        let slot = &mut self.slots[index as usize];
        slot.1 = Some(resource);
        Ok((slot.0 << INDEX_BITS) | (index + 1))
    }

    fn slot(&self, handle: u32) -> Result<(usize, ResourceAny), HandleError> {
        let index = (handle & INDEX_MASK).checked_sub(1).ok_or(HandleError::NotHeld(handle))? as usize;
        match self.slots.get(index) {
            Some((generation, Some(resource))) if *generation == handle >> INDEX_BITS => Ok((index, *resource)),
            _ => Err(HandleError::NotHeld(handle)),
        }
    }

    fn take(&mut self, handle: u32) -> Result<ResourceAny, HandleError> {
        let (index, resource) = self.slot(handle)?;
        let slot = &mut self.slots[index];
        slot.1 = None;
        slot.0 = (slot.0 + 1) & (u32::MAX >> INDEX_BITS);
        self.free.push(u32::try_from(index).map_err(|e| e.to_string())?);
        Ok(resource)
    }

    /// Drops the resource behind `handle` (the host's `[resource-drop]`).
    pub fn drop_handle<T>(&mut self, store: StoreContextMut<'_, T>, handle: u32) -> Result<(), HandleError> {
        let resource = self.take(handle)?;
        resource.resource_drop(store).map_err(|e| HandleError::Other(alloc::format!("{e:?}")))
    }
}

/// Where handle conversion happens: the host's types, the guest table (only
/// on export calls), and borrows made for one call (dropped after it).
pub struct Handles<'a> {
    pub host: &'a HostTypes,
    pub table: Option<&'a mut GuestTable>,
    pub borrows: Vec<ResourceAny>,
}

impl Handles<'_> {
    /// Going to the host: every handle in `val` becomes its number.
    pub fn number_for_host<T>(
        &mut self,
        store: &mut StoreContextMut<'_, T>,
        val: &mut Val,
        ty: &Type,
    ) -> Result<(), HandleError> {
        self.walk(val, ty, &mut |this, val, ty| {
            let (Val::Resource(resource), Type::Own(rt) | Type::Borrow(rt)) = (&*val, ty) else {
                return Ok(());
            };
            let number = if this.host.payload(rt).is_some() {
                resource.try_into_resource_dynamic(store.as_context_mut()).map_err(|e| alloc::format!("{e:?}"))?.rep()
            } else if let (Some(table), true) = (this.table.as_deref_mut(), resource.owned()) {
                table.insert(*resource)?
            } else {
                return Err(HandleError::Other("the host cannot take this handle to a guest resource".to_string()));
            };
            *val = Val::U32(number);
            Ok(())
        })
    }

    /// Checks, without taking any, that the handles to the component's
    /// resources in `params` (of `types`) are the host's to send: each one
    /// live, of its type, and an owned one not sent twice. Then
    /// [`Handles::handle_from_host`] cannot fail on them halfway.
    pub fn check_from_host(
        &mut self,
        params: &mut [Val],
        types: impl Iterator<Item = Type>,
    ) -> Result<(), HandleError> {
        let mut taken = BTreeSet::new();
        for (param, ty) in params.iter_mut().zip(types) {
            self.walk(param, &ty, &mut |this, val, ty| {
                let (Val::U32(number), Type::Own(rt) | Type::Borrow(rt)) = (&*val, ty) else {
                    return Ok(());
                };
                let Some(table) = this.table.as_deref().filter(|_| this.host.payload(rt).is_none()) else {
                    return Ok(());
                };
                if taken.contains(number) {
                    return Err(HandleError::NotHeld(*number));
                }
                if table.slot(*number)?.1.ty() != *rt {
                    return Err(HandleError::WrongType(*number));
                }
                if matches!(ty, Type::Own(_)) {
                    taken.insert(*number);
                }
                Ok(())
            })?;
        }
        Ok(())
    }

    /// From the host: every handle number in `val` becomes a handle.
    pub fn handle_from_host<T>(
        &mut self,
        store: &mut StoreContextMut<'_, T>,
        val: &mut Val,
        ty: &Type,
    ) -> Result<(), HandleError> {
        self.walk(val, ty, &mut |this, val, ty| {
            let (Val::U32(number), Type::Own(rt) | Type::Borrow(rt)) = (&*val, ty) else {
                return Ok(());
            };
            let owned = matches!(ty, Type::Own(_));
            let resource = if let Some(payload) = this.host.payload(rt) {
                // A host borrow needs a call scope wasmtime only has inside
                // a call: lend an owned entry instead (lowering it as a
                // borrow is allowed) and take it back after the call.
                let dynamic = ResourceDynamic::new_own(*number, payload);
                let resource =
                    dynamic.try_into_resource_any(store.as_context_mut()).map_err(|e| alloc::format!("{e:?}"))?;
                if !owned {
                    this.borrows.push(resource);
                }
                resource
            } else if let Some(table) = this.table.as_deref_mut() {
                let resource = if owned { table.take(*number)? } else { table.slot(*number)?.1 };
                if resource.ty() != *rt {
                    return Err(HandleError::WrongType(*number));
                }
                resource
            } else {
                return Err(HandleError::Other("the host cannot give a handle to a guest resource here".to_string()));
            };
            *val = Val::Resource(resource);
            Ok(())
        })
    }

    /// Ends the borrows made for one call: takes their entries back out of
    /// wasmtime's table without running a destructor (the host keeps them).
    pub fn end_borrows<T>(self, mut store: StoreContextMut<'_, T>) {
        for borrow in self.borrows {
            let _ = borrow.try_into_resource_dynamic(store.as_context_mut());
        }
    }

    fn walk<E>(
        &mut self,
        val: &mut Val,
        ty: &Type,
        f: &mut dyn FnMut(&mut Self, &mut Val, &Type) -> Result<(), E>,
    ) -> Result<(), E> {
        match (&mut *val, ty) {
            // Lists can be long (bytes): skip those whose elements hold no
            // handle, which every pass over a call's values would visit.
            (Val::List(items), Type::List(list)) => {
                let element = list.ty();
                if !may_hold_handles(&element) {
                    return Ok(());
                }
                items.iter_mut().try_for_each(|item| self.walk(item, &element, f))
            }
            (Val::Record(fields), Type::Record(record)) => {
                fields.iter_mut().zip(record.fields()).try_for_each(|((_, v), field)| self.walk(v, &field.ty, f))
            }
            (Val::Tuple(items), Type::Tuple(tuple)) => {
                items.iter_mut().zip(tuple.types()).try_for_each(|(v, ty)| self.walk(v, &ty, f))
            }
            (Val::Variant(name, Some(payload)), Type::Variant(variant)) => {
                match variant.cases().find(|c| c.name == name.as_str()).and_then(|c| c.ty) {
                    Some(ty) => self.walk(payload, &ty, f),
                    None => Ok(()),
                }
            }
            (Val::Option(Some(v)), Type::Option(option)) => self.walk(v, &option.ty(), f),
            (Val::Result(Ok(Some(v))), Type::Result(result)) => match result.ok() {
                Some(ty) => self.walk(v, &ty, f),
                None => Ok(()),
            },
            (Val::Result(Err(Some(v))), Type::Result(result)) => match result.err() {
                Some(ty) => self.walk(v, &ty, f),
                None => Ok(()),
            },
            _ => f(self, val, ty),
        }
    }
}

/// Whether a value of `ty` can contain a resource handle (anywhere
/// [`Handles::walk`] looks).
fn may_hold_handles(ty: &Type) -> bool {
    match ty {
        Type::Own(_) | Type::Borrow(_) => true,
        Type::List(list) => may_hold_handles(&list.ty()),
        Type::Record(record) => record.fields().any(|field| may_hold_handles(&field.ty)),
        Type::Tuple(tuple) => tuple.types().any(|ty| may_hold_handles(&ty)),
        Type::Variant(variant) => variant.cases().any(|case| case.ty.as_ref().is_some_and(may_hold_handles)),
        Type::Option(option) => may_hold_handles(&option.ty()),
        Type::Result(result) => {
            result.ok().as_ref().is_some_and(may_hold_handles) || result.err().as_ref().is_some_and(may_hold_handles)
        }
        _ => false,
    }
}

/// Links each resource the host defines (a `[resource-drop]R` import in
/// `init`) as a dynamic host resource, and every re-export of it (a WIT
/// `use` in another interface, like `wasi:io/streams`' `error`) as the same
/// type: the component's type information says which names are one resource.
pub fn link_host_resources(
    linker: &mut Linker<Host>,
    init: &fb::Init<'_>,
    component: &wasmtime::component::Component,
) -> wasmtime::Result<HostTypes> {
    let engine = component.engine().clone();
    // Every resource the component imports, by instance and name.
    let mut imported = Vec::new();
    for (instance_name, item) in component.component_type().imports(&engine) {
        match item.ty {
            ComponentItem::Resource(ty) => imported.push((None, instance_name.to_string(), ty)),
            ComponentItem::ComponentInstance(instance) => {
                for (name, item) in instance.exports(&engine) {
                    if let ComponentItem::Resource(ty) = item.ty {
                        imported.push((Some(instance_name.to_string()), name.to_string(), ty));
                    }
                }
            }
            _ => {}
        }
    }
    let mut host_types = HostTypes::default();
    let mut defining = Vec::new();
    for (index, name) in init.imports().iter().flatten().enumerate() {
        let Some(resource) = name.name().and_then(|n| n.strip_prefix("[resource-drop]")) else { continue };
        let interface = name.interface().map(ToString::to_string);
        // WASI's resources are the guest runtime's own (`wasi/`).
        if interface.as_deref().is_some_and(|i| i.starts_with("wasi:")) {
            continue;
        }
        let Some((_, _, component_ty)) = imported.iter().find(|(i, n, _)| *i == interface && n == resource) else {
            continue;
        };
        let index = u32::try_from(index)?;
        let qualified = alloc::format!("{}#{resource}", interface.as_deref().unwrap_or(""));
        defining.push((*component_ty, host_types.add(index), index, qualified));
    }
    for (interface, name, component_ty) in &imported {
        let Some((_, ty, index, qualified)) = defining.iter().find(|(t, ..)| t == component_ty) else { continue };
        let (index, qualified) = (*index, qualified.clone());
        let dtor = move |_: StoreContextMut<'_, Host>, rep: u32| drop_host(index, &qualified, rep);
        let defined = match interface {
            Some(i) => linker.instance(i).and_then(|mut i| i.resource(name, *ty, dtor)),
            None => linker.root().resource(name, *ty, dtor),
        };
        // A resource this runtime implements itself (linked before) stays
        // its own; were anything else wrong, instantiation names it.
        if let Err(e) = defined {
            log::debug!("resource `{name}` not linked to the host: {e}");
        }
    }
    Ok(host_types)
}

/// Tells the host the component dropped its handle `rep` to a host object
/// (import `index`, the resource's `[resource-drop]`).
pub fn drop_host(index: u32, name: &str, rep: u32) -> wasmtime::Result<()> {
    let fail = |kind, m: String| crate::import_failure::failure(kind, alloc::format!("`{name}`: {m}"));
    let mut fbb = flatbuffers::FlatBufferBuilder::new();
    let handle = fb::ResourceVal::create(&mut fbb, &fb::ResourceValArgs { handle: rep, owned: true });
    let value = fb::Value::create(
        &mut fbb,
        &fb::ValueArgs { kind_type: fb::ValueKind::ResourceVal, kind: Some(handle.as_union_value()) },
    );
    let args = fbb.create_vector(&[value]);
    let call =
        fb::FunctionCall::create(&mut fbb, &fb::FunctionCallArgs { function: index, args: Some(args), context: None });
    let root = fb::GuestMessage::create(
        &mut fbb,
        &fb::GuestMessageArgs { body_type: fb::GuestBody::FunctionCall, body: Some(call.as_union_value()) },
    );
    fbb.finish_size_prefixed(root, None);
    featherlight_guest::host::send(fbb.finished_data()).map_err(|e| fail(fb::ErrorKind::Malformed, e.to_string()))?;
    drop(fbb);
    let received = featherlight_guest::host::receive().map_err(|e| fail(fb::ErrorKind::Malformed, e.to_string()))?;
    let reply = received.open().map_err(|e| fail(fb::ErrorKind::Malformed, e.to_string()))?;
    let result = reply
        .body_as_function_call_result()
        .ok_or_else(|| fail(fb::ErrorKind::Malformed, "the host answered with something else".to_string()))?;
    match result.error() {
        Some(error) => Err(fail(fb::ErrorKind::HostFunction, error.message().unwrap_or("").to_string())),
        None => Ok(()),
    }
}
