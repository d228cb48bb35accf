//! `fields` (headers and trailers) with wasmtime-wasi-http's rules: names
//! are HTTP tokens, stored lowercase; values are bytes without control
//! characters other than tab; `content-length` is `1*DIGIT`; forbidden
//! (hop-by-hop) names are refused on every mutation and dropped from what
//! arrives from the host; fields attached to a request or response are
//! immutable. Errors are checked in wasmtime's order (name, forbidden,
//! mutability, value), so the same calls fail with the same `header-error`.

use super::Ctx;
use super::wire::FieldList;
use super::wit::HeaderError;
use crate::store::Host;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use featherlight_abi::http::FORBIDDEN_HEADERS as FORBIDDEN;
use wasmtime::Result;
use wasmtime::component::{LinkerInstance, Resource};

/// Roughly the memory one name or value takes in wasmtime's `HeaderMap`
/// beyond its bytes, counted against [`SIZE_LIMIT`] as wasmtime counts it.
const NAME_OVERHEAD: usize = 32;
const VALUE_OVERHEAD: usize = 40;
/// wasmtime-wasi-http's default limit on the contents of one mutable
/// `fields`; past it a mutation traps.
const SIZE_LIMIT: usize = 128 * 1024;
/// The http crate's limit on a header name's length.
const MAX_NAME: usize = 1 << 16;

/// A `fields` resource: values grouped by name in the order names first
/// appeared (as `http::HeaderMap` iterates).
#[derive(Debug, Clone, Default)]
pub struct Fields {
    groups: Vec<(String, Vec<Vec<u8>>)>,
    mutable: bool,
    size: usize,
}

impl Fields {
    pub fn new_mutable() -> Self {
        Self { mutable: true, ..Self::default() }
    }

    /// Fields that arrived from the host: immutable, forbidden names
    /// dropped (as wasmtime's `FieldMap::new_immutable`).
    pub fn from_host(list: FieldList) -> Self {
        let mut fields = Self::default();
        for (name, value) in list {
            if !is_forbidden(&name) {
                fields.push(name, value);
            }
        }
        fields
    }

    pub fn set_immutable(&mut self) {
        self.mutable = false;
    }

    /// Every name and value, in order.
    pub fn list(&self) -> FieldList {
        self.groups
            .iter()
            .flat_map(|(name, values)| values.iter().map(move |value| (name.clone(), value.clone())))
            .collect()
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.groups.iter().position(|(n, _)| n == name)
    }

    fn push(&mut self, name: String, value: Vec<u8>) {
        self.size += value.len() + VALUE_OVERHEAD;
        match self.position(&name) {
            Some(i) => self.groups[i].1.push(value),
            None => {
                self.size += name.len() + NAME_OVERHEAD;
                self.groups.push((name, alloc::vec![value]));
            }
        }
    }

    /// The values of `name` (already lowercase).
    pub fn get(&self, name: &str) -> Option<&[Vec<u8>]> {
        self.position(name).map(|i| self.groups[i].1.as_slice())
    }

    /// The declared body length: `Err` when `content-length` is repeated or
    /// not `1*DIGIT` (`body` is refused then, as in wasmtime).
    pub fn content_length(&self) -> core::result::Result<Option<u64>, ()> {
        match self.get("content-length") {
            None => Ok(None),
            Some([value]) => parse_length(value).map(Some),
            Some(_) => Err(()),
        }
    }

    fn check_mutable(&self) -> core::result::Result<(), HeaderError> {
        if self.mutable { Ok(()) } else { Err(HeaderError::Immutable) }
    }

    fn check_size(&self, size: usize) -> Result<()> {
        if size > SIZE_LIMIT {
            return Err(wasmtime::Error::msg("total size of fields exceeds limit"));
        }
        Ok(())
    }

    /// `append`: `Ok(Err(..))` is the component's error, `Err` a trap.
    fn append(&mut self, name: &str, value: Vec<u8>) -> Result<core::result::Result<(), HeaderError>> {
        let name = match checked_name(name) {
            Ok(name) => name,
            Err(e) => return Ok(Err(e)),
        };
        let value = match checked_value(&name, value) {
            Ok(value) => value,
            Err(e) => return Ok(Err(e)),
        };
        if let Err(e) = self.check_mutable() {
            return Ok(Err(e));
        }
        let added =
            value.len() + VALUE_OVERHEAD + if self.position(&name).is_none() { name.len() + NAME_OVERHEAD } else { 0 };
        self.check_size(self.size + added)?;
        self.push(name, value);
        Ok(Ok(()))
    }

    fn set(&mut self, name: &str, values: Vec<Vec<u8>>) -> Result<core::result::Result<(), HeaderError>> {
        let name = match checked_name(name) {
            Ok(name) => name,
            Err(e) => return Ok(Err(e)),
        };
        if let Err(e) = self.check_mutable() {
            return Ok(Err(e));
        }
        let mut checked = Vec::with_capacity(values.len());
        for value in values {
            match checked_value(&name, value) {
                Ok(value) => checked.push(value),
                Err(e) => return Ok(Err(e)),
            }
        }
        let new: usize = checked.iter().map(|v| v.len() + VALUE_OVERHEAD).sum();
        match self.position(&name) {
            Some(i) => {
                let old: usize = self.groups[i].1.iter().map(|v| v.len() + VALUE_OVERHEAD).sum();
                if checked.is_empty() {
                    self.size = self.size.saturating_sub(old + name.len() + NAME_OVERHEAD);
                    self.groups.swap_remove(i);
                } else {
                    let size = self.size.saturating_sub(old) + new;
                    self.check_size(size)?;
                    self.size = size;
                    self.groups[i].1 = checked;
                }
            }
            None if checked.is_empty() => {}
            None => {
                self.check_size(self.size + new + name.len() + NAME_OVERHEAD)?;
                self.size += new + name.len() + NAME_OVERHEAD;
                self.groups.push((name, checked));
            }
        }
        Ok(Ok(()))
    }

    fn delete(&mut self, name: &str) -> core::result::Result<(), HeaderError> {
        let name = checked_name(name)?;
        self.check_mutable()?;
        if let Some(i) = self.position(&name) {
            let (name, values) = self.groups.swap_remove(i);
            let removed = name.len() + NAME_OVERHEAD + values.iter().map(|v| v.len() + VALUE_OVERHEAD).sum::<usize>();
            self.size = self.size.saturating_sub(removed);
        }
        Ok(())
    }
}

pub fn is_forbidden(name: &str) -> bool {
    FORBIDDEN.contains(&name)
}

/// `name` as an HTTP token, lowercased; then not forbidden.
fn checked_name(name: &str) -> core::result::Result<String, HeaderError> {
    let name = parse_name(name).ok_or(HeaderError::InvalidSyntax)?;
    if is_forbidden(&name) {
        return Err(HeaderError::Forbidden);
    }
    Ok(name)
}

/// A valid header name, lowercased (as the http crate reads one).
pub fn parse_name(name: &str) -> Option<String> {
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    (!name.is_empty() && name.len() <= MAX_NAME && name.bytes().all(token)).then(|| name.to_ascii_lowercase())
}

/// A valid value: no control characters but tab; `content-length` digits
/// only, rewritten without leading zeros (the http crate stores the number).
fn checked_value(name: &str, value: Vec<u8>) -> core::result::Result<Vec<u8>, HeaderError> {
    if name == "content-length" {
        let length = parse_length(&value).map_err(|()| HeaderError::InvalidSyntax)?;
        return Ok(length.to_string().into_bytes());
    }
    if value.iter().all(|&b| (b >= 32 && b != 127) || b == b'\t') { Ok(value) } else { Err(HeaderError::InvalidSyntax) }
}

fn parse_length(value: &[u8]) -> core::result::Result<u64, ()> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return Err(());
    }
    core::str::from_utf8(value).map_err(|_| ())?.parse().map_err(|_| ())
}

type F = Resource<Fields>;

pub fn define(instance: &mut LinkerInstance<'_, Host>) -> Result<()> {
    instance.func_wrap("[constructor]fields", |mut store: Ctx, (): ()| {
        Ok((store.data_mut().table.push(Fields::new_mutable())?,))
    })?;
    instance.func_wrap("[static]fields.from-list", |mut store: Ctx, (entries,): (FieldList,)| {
        let mut fields = Fields::new_mutable();
        for (name, value) in entries {
            if let Err(e) = fields.append(&name, value)? {
                return Ok((Err(e),));
            }
        }
        Ok((Ok(store.data_mut().table.push(fields)?),))
    })?;
    instance.func_wrap("[method]fields.get", |store: Ctx, (fields, name): (F, String)| {
        let fields = store.data().table.get(&fields)?;
        let values = parse_name(&name).and_then(|name| fields.get(&name).map(<[_]>::to_vec));
        Ok((values.unwrap_or_default(),))
    })?;
    instance.func_wrap("[method]fields.has", |store: Ctx, (fields, name): (F, String)| {
        let fields = store.data().table.get(&fields)?;
        Ok((parse_name(&name).is_some_and(|name| fields.get(&name).is_some()),))
    })?;
    instance.func_wrap("[method]fields.set", |mut store: Ctx, (fields, name, values): (F, String, Vec<Vec<u8>>)| {
        Ok((store.data_mut().table.get_mut(&fields)?.set(&name, values)?,))
    })?;
    instance.func_wrap("[method]fields.delete", |mut store: Ctx, (fields, name): (F, String)| {
        Ok((store.data_mut().table.get_mut(&fields)?.delete(&name),))
    })?;
    instance.func_wrap("[method]fields.append", |mut store: Ctx, (fields, name, value): (F, String, Vec<u8>)| {
        Ok((store.data_mut().table.get_mut(&fields)?.append(&name, value)?,))
    })?;
    instance.func_wrap("[method]fields.entries", |store: Ctx, (fields,): (F,)| {
        Ok((store.data().table.get(&fields)?.list(),))
    })?;
    instance.func_wrap("[method]fields.clone", |mut store: Ctx, (fields,): (F,)| {
        let mut copy = store.data().table.get(&fields)?.clone();
        copy.mutable = true;
        Ok((store.data_mut().table.push(copy)?,))
    })
}
