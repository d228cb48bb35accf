//! WAVE text for values and types, through wasm-wave's own parser and writer
//! so text reads and prints exactly as `wasmtime run --invoke` does.
//!
//! [`Value`] implements wasm-wave's [`WasmValue`] and [`ValueType`] its
//! [`WasmType`] (here, next to the types, as the orphan rule requires).

use crate::types::{FuncType, ValueType};
use crate::value::Value;
use std::borrow::Cow;
use wasm_wave::wasm::{WasmFunc, WasmType, WasmTypeKind, WasmValue, WasmValueError};

/// WAVE text that is not a value of the expected type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read `{text}` as a `{ty}` WAVE value: {message}")]
pub struct WaveValueError {
    /// The text.
    pub text: String,
    /// The expected type.
    pub ty: String,
    /// wasm-wave's explanation.
    pub message: String,
}

impl Value {
    /// This value as WAVE text, as wasmtime prints it.
    pub fn to_wave(&self) -> String {
        // WAVE has no syntax for resource handles (its printer would panic):
        // a value holding one prints in Rust's debug syntax instead.
        if self.contains_handle() {
            return format!("{self:?}");
        }
        wasm_wave::wasm::DisplayValue(self).to_string()
    }

    /// Reads WAVE `text` as a value of type `ty`.
    pub fn from_wave(ty: &ValueType, text: &str) -> Result<Value, WaveValueError> {
        wasm_wave::from_str::<Value>(ty, text).map_err(|e| WaveValueError {
            text: text.to_string(),
            ty: ty.to_string(),
            message: e.to_string(),
        })
    }
}

impl WasmType for ValueType {
    fn kind(&self) -> WasmTypeKind {
        match self {
            Self::Bool => WasmTypeKind::Bool,
            Self::S8 => WasmTypeKind::S8,
            Self::U8 => WasmTypeKind::U8,
            Self::S16 => WasmTypeKind::S16,
            Self::U16 => WasmTypeKind::U16,
            Self::S32 => WasmTypeKind::S32,
            Self::U32 => WasmTypeKind::U32,
            Self::S64 => WasmTypeKind::S64,
            Self::U64 => WasmTypeKind::U64,
            Self::Float32 => WasmTypeKind::F32,
            Self::Float64 => WasmTypeKind::F64,
            Self::Char => WasmTypeKind::Char,
            Self::String => WasmTypeKind::String,
            Self::List(_) => WasmTypeKind::List,
            Self::Record(_) => WasmTypeKind::Record,
            Self::Tuple(_) => WasmTypeKind::Tuple,
            Self::Variant(_) => WasmTypeKind::Variant,
            Self::Enum(_) => WasmTypeKind::Enum,
            Self::Option(_) => WasmTypeKind::Option,
            Self::Result(_) => WasmTypeKind::Result,
            Self::Flags(_) => WasmTypeKind::Flags,
            Self::Own(_) | Self::Borrow(_) => WasmTypeKind::Unsupported,
        }
    }

    // The accessors answer "empty"/None for other kinds instead of
    // panicking, as the trait allows.
    fn list_element_type(&self) -> Option<Self> {
        match self {
            Self::List(element) => Some(ValueType::clone(element)),
            _ => None,
        }
    }

    fn record_fields(&self) -> Box<dyn Iterator<Item = (Cow<'_, str>, Self)> + '_> {
        match self {
            Self::Record(fields) => Box::new(fields.iter().map(|(n, t)| (Cow::Borrowed(n.as_str()), t.clone()))),
            _ => Box::new(std::iter::empty()),
        }
    }

    fn tuple_element_types(&self) -> Box<dyn Iterator<Item = Self> + '_> {
        match self {
            Self::Tuple(types) => Box::new(types.iter().cloned()),
            _ => Box::new(std::iter::empty()),
        }
    }

    fn variant_cases(&self) -> Box<dyn Iterator<Item = (Cow<'_, str>, Option<Self>)> + '_> {
        match self {
            Self::Variant(cases) => Box::new(cases.iter().map(|(n, t)| (Cow::Borrowed(n.as_str()), t.clone()))),
            _ => Box::new(std::iter::empty()),
        }
    }

    fn enum_cases(&self) -> Box<dyn Iterator<Item = Cow<'_, str>> + '_> {
        match self {
            Self::Enum(cases) => Box::new(cases.iter().map(|n| Cow::Borrowed(n.as_str()))),
            _ => Box::new(std::iter::empty()),
        }
    }

    fn option_some_type(&self) -> Option<Self> {
        match self {
            Self::Option(some) => Some(ValueType::clone(some)),
            _ => None,
        }
    }

    fn result_types(&self) -> Option<(Option<Self>, Option<Self>)> {
        match self {
            Self::Result(r) => Some((r.ok.clone(), r.err.clone())),
            _ => None,
        }
    }

    fn flags_names(&self) -> Box<dyn Iterator<Item = Cow<'_, str>> + '_> {
        match self {
            Self::Flags(names) => Box::new(names.iter().map(|n| Cow::Borrowed(n.as_str()))),
            _ => Box::new(std::iter::empty()),
        }
    }
}

impl WasmFunc for FuncType {
    type Type = ValueType;

    fn params(&self) -> Box<dyn Iterator<Item = ValueType> + '_> {
        Box::new(self.params.iter().map(|(_, ty)| ty.clone()))
    }

    fn param_names(&self) -> Box<dyn Iterator<Item = Cow<'_, str>> + '_> {
        Box::new(self.params.iter().map(|(name, _)| Cow::Borrowed(name.as_str())))
    }

    fn results(&self) -> Box<dyn Iterator<Item = ValueType> + '_> {
        Box::new(self.results.iter().cloned())
    }
}

/// Type-checks a value wasm-wave assembled, in wasm-wave's error type.
fn checked(ty: &ValueType, value: Value) -> Result<Value, WasmValueError> {
    ty.check(&value).map_err(|e| WasmValueError::Other(e.to_string()))?;
    Ok(value)
}

// The `unwrap_*` accessors are only called by wasm-wave after matching on
// `kind()`; for a value of another kind they return a neutral value rather
// than panicking (the trait documents a panic, but nothing relies on it).
impl WasmValue for Value {
    type Type = ValueType;

    fn kind(&self) -> WasmTypeKind {
        match self {
            Self::Bool(_) => WasmTypeKind::Bool,
            Self::S8(_) => WasmTypeKind::S8,
            Self::U8(_) => WasmTypeKind::U8,
            Self::S16(_) => WasmTypeKind::S16,
            Self::U16(_) => WasmTypeKind::U16,
            Self::S32(_) => WasmTypeKind::S32,
            Self::U32(_) => WasmTypeKind::U32,
            Self::S64(_) => WasmTypeKind::S64,
            Self::U64(_) => WasmTypeKind::U64,
            Self::Float32(_) => WasmTypeKind::F32,
            Self::Float64(_) => WasmTypeKind::F64,
            Self::Char(_) => WasmTypeKind::Char,
            Self::String(_) => WasmTypeKind::String,
            Self::List(_) => WasmTypeKind::List,
            Self::Record(_) => WasmTypeKind::Record,
            Self::Tuple(_) => WasmTypeKind::Tuple,
            Self::Variant(..) => WasmTypeKind::Variant,
            Self::Enum(_) => WasmTypeKind::Enum,
            Self::Option(_) => WasmTypeKind::Option,
            Self::Result(_) => WasmTypeKind::Result,
            Self::Flags(_) => WasmTypeKind::Flags,
            Self::Own(_) | Self::Borrow(_) => WasmTypeKind::Unsupported,
        }
    }

    fn make_bool(val: bool) -> Self {
        Self::Bool(val)
    }
    fn make_s8(val: i8) -> Self {
        Self::S8(val)
    }
    fn make_s16(val: i16) -> Self {
        Self::S16(val)
    }
    fn make_s32(val: i32) -> Self {
        Self::S32(val)
    }
    fn make_s64(val: i64) -> Self {
        Self::S64(val)
    }
    fn make_u8(val: u8) -> Self {
        Self::U8(val)
    }
    fn make_u16(val: u16) -> Self {
        Self::U16(val)
    }
    fn make_u32(val: u32) -> Self {
        Self::U32(val)
    }
    fn make_u64(val: u64) -> Self {
        Self::U64(val)
    }
    fn make_f32(val: f32) -> Self {
        Self::Float32(val)
    }
    fn make_f64(val: f64) -> Self {
        Self::Float64(val)
    }
    fn make_char(val: char) -> Self {
        Self::Char(val)
    }
    fn make_string(val: Cow<'_, str>) -> Self {
        Self::String(val.into_owned())
    }
    fn make_list(ty: &ValueType, vals: impl IntoIterator<Item = Self>) -> Result<Self, WasmValueError> {
        checked(ty, Self::List(vals.into_iter().collect()))
    }
    fn make_record<'a>(
        ty: &ValueType,
        fields: impl IntoIterator<Item = (&'a str, Self)>,
    ) -> Result<Self, WasmValueError> {
        // wasm-wave may hand fields in any order: put them in the type's.
        let mut given: Vec<(&str, Self)> = fields.into_iter().collect();
        let ValueType::Record(declared) = ty else {
            return Err(WasmValueError::WrongTypeKind { kind: WasmTypeKind::Record, ty: ty.to_string() });
        };
        let mut ordered = Vec::with_capacity(declared.len());
        for (name, _) in declared.iter() {
            let at =
                given.iter().position(|(n, _)| n == name).ok_or_else(|| WasmValueError::MissingField(name.clone()))?;
            ordered.push((name.clone(), given.swap_remove(at).1));
        }
        if let Some((unknown, _)) = given.first() {
            return Err(WasmValueError::UnknownField(unknown.to_string()));
        }
        checked(ty, Self::Record(ordered))
    }
    fn make_tuple(ty: &ValueType, vals: impl IntoIterator<Item = Self>) -> Result<Self, WasmValueError> {
        checked(ty, Self::Tuple(vals.into_iter().collect()))
    }
    fn make_variant(ty: &ValueType, case: &str, val: Option<Self>) -> Result<Self, WasmValueError> {
        checked(ty, Self::Variant(case.to_string(), val.map(Box::new)))
    }
    fn make_enum(ty: &ValueType, case: &str) -> Result<Self, WasmValueError> {
        checked(ty, Self::Enum(case.to_string()))
    }
    fn make_option(ty: &ValueType, val: Option<Self>) -> Result<Self, WasmValueError> {
        checked(ty, Self::Option(val.map(Box::new)))
    }
    fn make_result(ty: &ValueType, val: Result<Option<Self>, Option<Self>>) -> Result<Self, WasmValueError> {
        checked(ty, Self::Result(val.map(|v| v.map(Box::new)).map_err(|v| v.map(Box::new))))
    }
    fn make_flags<'a>(ty: &ValueType, names: impl IntoIterator<Item = &'a str>) -> Result<Self, WasmValueError> {
        // Keep the type's order, as values from the guest have it.
        let given: Vec<&str> = names.into_iter().collect();
        let ValueType::Flags(declared) = ty else {
            return Err(WasmValueError::WrongTypeKind { kind: WasmTypeKind::Flags, ty: ty.to_string() });
        };
        if let Some(unknown) = given.iter().find(|n| !declared.iter().any(|d| d == *n)) {
            return Err(WasmValueError::UnknownCase(unknown.to_string()));
        }
        let set = declared.iter().filter(|d| given.contains(&d.as_str())).cloned().collect();
        checked(ty, Self::Flags(set))
    }

    fn unwrap_bool(&self) -> bool {
        matches!(self, Self::Bool(true))
    }
    fn unwrap_s8(&self) -> i8 {
        if let Self::S8(v) = self { *v } else { 0 }
    }
    fn unwrap_s16(&self) -> i16 {
        if let Self::S16(v) = self { *v } else { 0 }
    }
    fn unwrap_s32(&self) -> i32 {
        if let Self::S32(v) = self { *v } else { 0 }
    }
    fn unwrap_s64(&self) -> i64 {
        if let Self::S64(v) = self { *v } else { 0 }
    }
    fn unwrap_u8(&self) -> u8 {
        if let Self::U8(v) = self { *v } else { 0 }
    }
    fn unwrap_u16(&self) -> u16 {
        if let Self::U16(v) = self { *v } else { 0 }
    }
    fn unwrap_u32(&self) -> u32 {
        if let Self::U32(v) = self { *v } else { 0 }
    }
    fn unwrap_u64(&self) -> u64 {
        if let Self::U64(v) = self { *v } else { 0 }
    }
    fn unwrap_f32(&self) -> f32 {
        if let Self::Float32(v) = self { *v } else { 0.0 }
    }
    fn unwrap_f64(&self) -> f64 {
        if let Self::Float64(v) = self { *v } else { 0.0 }
    }
    fn unwrap_char(&self) -> char {
        if let Self::Char(v) = self { *v } else { '\0' }
    }
    fn unwrap_string(&self) -> Cow<'_, str> {
        match self {
            Self::String(s) => Cow::Borrowed(s.as_str()),
            _ => Cow::Borrowed(""),
        }
    }
    fn unwrap_list(&self) -> Box<dyn Iterator<Item = Cow<'_, Self>> + '_> {
        match self {
            Self::List(items) => Box::new(items.iter().map(Cow::Borrowed)),
            _ => Box::new(std::iter::empty()),
        }
    }
    fn unwrap_record(&self) -> Box<dyn Iterator<Item = (Cow<'_, str>, Cow<'_, Self>)> + '_> {
        match self {
            Self::Record(fields) => Box::new(fields.iter().map(|(n, v)| (Cow::Borrowed(n.as_str()), Cow::Borrowed(v)))),
            _ => Box::new(std::iter::empty()),
        }
    }
    fn unwrap_tuple(&self) -> Box<dyn Iterator<Item = Cow<'_, Self>> + '_> {
        match self {
            Self::Tuple(items) => Box::new(items.iter().map(Cow::Borrowed)),
            _ => Box::new(std::iter::empty()),
        }
    }
    fn unwrap_variant(&self) -> (Cow<'_, str>, Option<Cow<'_, Self>>) {
        match self {
            Self::Variant(case, payload) => (Cow::Borrowed(case.as_str()), payload.as_deref().map(Cow::Borrowed)),
            _ => (Cow::Borrowed(""), None),
        }
    }
    fn unwrap_enum(&self) -> Cow<'_, str> {
        match self {
            Self::Enum(case) => Cow::Borrowed(case.as_str()),
            _ => Cow::Borrowed(""),
        }
    }
    fn unwrap_option(&self) -> Option<Cow<'_, Self>> {
        match self {
            Self::Option(v) => v.as_deref().map(Cow::Borrowed),
            _ => None,
        }
    }
    fn unwrap_result(&self) -> Result<Option<Cow<'_, Self>>, Option<Cow<'_, Self>>> {
        match self {
            Self::Result(Ok(v)) => Ok(v.as_deref().map(Cow::Borrowed)),
            Self::Result(Err(v)) => Err(v.as_deref().map(Cow::Borrowed)),
            _ => Ok(None),
        }
    }
    fn unwrap_flags(&self) -> Box<dyn Iterator<Item = Cow<'_, str>> + '_> {
        match self {
            Self::Flags(names) => Box::new(names.iter().map(|n| Cow::Borrowed(n.as_str()))),
            _ => Box::new(std::iter::empty()),
        }
    }
}
