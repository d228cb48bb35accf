//! Component values to and from the wire (`featherlight_abi::fb::Value`),
//! guided by wasmtime's types: names never travel, only positions.
//!
//! Decoding treats its input as untrusted even though it comes from the
//! host: every index, count and string is checked, nesting is bounded.

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use featherlight_abi::fb;
use featherlight_abi::packed::{self, Scalar};
use flatbuffers::{FlatBufferBuilder, ForwardsUOffset, Vector, WIPOffset};
use wasmtime::component::{Type, Val};

/// Deepest nesting of values accepted on the wire.
const MAX_DEPTH: u32 = 100;

type Values<'a> = Vector<'a, ForwardsUOffset<fb::Value<'a>>>;

/// Decodes one value per type in `types`; the counts must match.
pub fn decode_all(values: Option<Values<'_>>, types: impl ExactSizeIterator<Item = Type>) -> Result<Vec<Val>, String> {
    let count = values.map_or(0, |v| v.len());
    if count != types.len() {
        return Err(alloc::format!("expected {} values, got {count}", types.len()));
    }
    let mut out = Vec::with_capacity(count);
    for (value, ty) in values.iter().flatten().zip(types) {
        out.push(decode(value, &ty, 0)?);
    }
    Ok(out)
}

fn wrong(ty: &Type, value: &fb::Value<'_>) -> String {
    alloc::format!("expected a value of type {ty:?}, got {:?}", value.kind_type())
}

fn index_of<'a>(mut names: impl Iterator<Item = &'a str>, wanted: &str) -> Option<u32> {
    names.position(|n| n == wanted).and_then(|i| u32::try_from(i).ok())
}

/// Decodes `value` as a value of type `ty`.
pub fn decode(value: fb::Value<'_>, ty: &Type, depth: u32) -> Result<Val, String> {
    if depth > MAX_DEPTH {
        return Err("values are nested too deeply".to_string());
    }
    let err = || wrong(ty, &value);
    Ok(match ty {
        Type::Bool => Val::Bool(value.kind_as_bool_val().ok_or_else(err)?.value()),
        Type::S8 => Val::S8(value.kind_as_s8_val().ok_or_else(err)?.value()),
        Type::U8 => Val::U8(value.kind_as_u8_val().ok_or_else(err)?.value()),
        Type::S16 => Val::S16(value.kind_as_s16_val().ok_or_else(err)?.value()),
        Type::U16 => Val::U16(value.kind_as_u16_val().ok_or_else(err)?.value()),
        Type::S32 => Val::S32(value.kind_as_s32_val().ok_or_else(err)?.value()),
        Type::U32 => Val::U32(value.kind_as_u32_val().ok_or_else(err)?.value()),
        Type::S64 => Val::S64(value.kind_as_s64_val().ok_or_else(err)?.value()),
        Type::U64 => Val::U64(value.kind_as_u64_val().ok_or_else(err)?.value()),
        Type::Float32 => Val::Float32(f32::from_bits(value.kind_as_f32_val().ok_or_else(err)?.bits())),
        Type::Float64 => Val::Float64(f64::from_bits(value.kind_as_f64_val().ok_or_else(err)?.bits())),
        Type::Char => {
            let code = value.kind_as_char_val().ok_or_else(err)?.value();
            Val::Char(char::from_u32(code).ok_or_else(|| alloc::format!("{code:#x} is not a Unicode scalar value"))?)
        }
        Type::String => {
            let bytes = value.kind_as_string_val().ok_or_else(err)?.value().map_or(&[][..], |b| b.bytes());
            Val::String(
                core::str::from_utf8(bytes).map_err(|e| alloc::format!("string is not UTF-8: {e}"))?.to_string(),
            )
        }
        Type::List(list) => {
            let elem = list.ty();
            if let (Type::U8, Some(bytes)) = (&elem, value.kind_as_bytes_val()) {
                let bytes = bytes.value().map_or(&[][..], |b| b.bytes());
                Val::List(bytes.iter().map(|b| Val::U8(*b)).collect())
            } else if let (Some(scalar), Some(packed)) = (scalar_of(&elem), value.kind_as_packed_val()) {
                let bytes = packed.bytes().map_or(&[][..], |b| b.bytes());
                let bits = packed::unpack(scalar, bytes).map_err(|e| e.to_string())?;
                let mut out = Vec::with_capacity(bits.len());
                for bits in bits {
                    out.push(unpack_val(scalar, bits)?);
                }
                Val::List(out)
            } else {
                let items = value.kind_as_list_val().ok_or_else(err)?.items();
                let mut out = Vec::with_capacity(items.map_or(0, |i| i.len()));
                for item in items.iter().flatten() {
                    out.push(decode(item, &elem, depth + 1)?);
                }
                Val::List(out)
            }
        }
        Type::Record(record) => {
            let fields = value.kind_as_record_val().ok_or_else(err)?.fields();
            if fields.map_or(0, |f| f.len()) != record.fields().len() {
                return Err("record has the wrong number of fields".to_string());
            }
            let mut out = Vec::with_capacity(record.fields().len());
            for (field, v) in record.fields().zip(fields.iter().flatten()) {
                out.push((field.name.to_string(), decode(v, &field.ty, depth + 1)?));
            }
            Val::Record(out)
        }
        Type::Tuple(tuple) => {
            let items = value.kind_as_tuple_val().ok_or_else(err)?.items();
            if items.map_or(0, |f| f.len()) != tuple.types().len() {
                return Err("tuple has the wrong number of items".to_string());
            }
            let mut out = Vec::with_capacity(tuple.types().len());
            for (ty, v) in tuple.types().zip(items.iter().flatten()) {
                out.push(decode(v, &ty, depth + 1)?);
            }
            Val::Tuple(out)
        }
        Type::Variant(variant) => {
            let v = value.kind_as_variant_val().ok_or_else(err)?;
            let case = usize::try_from(v.case_index())
                .ok()
                .and_then(|i| variant.cases().nth(i))
                .ok_or("variant case index out of range")?;
            let payload = match (case.ty, v.payload()) {
                (Some(ty), Some(p)) => Some(Box::new(decode(p, &ty, depth + 1)?)),
                (None, None) => None,
                _ => return Err(alloc::format!("variant case `{}` has the wrong payload", case.name)),
            };
            Val::Variant(case.name.to_string(), payload)
        }
        Type::Enum(e) => {
            let index = value.kind_as_enum_val().ok_or_else(err)?.case_index();
            let name =
                usize::try_from(index).ok().and_then(|i| e.names().nth(i)).ok_or("enum case index out of range")?;
            Val::Enum(name.to_string())
        }
        Type::Option(option) => match value.kind_as_option_val().ok_or_else(err)?.value() {
            Some(v) => Val::Option(Some(Box::new(decode(v, &option.ty(), depth + 1)?))),
            None => Val::Option(None),
        },
        Type::Result(result) => {
            let r = value.kind_as_result_val().ok_or_else(err)?;
            let side = if r.is_err() { result.err() } else { result.ok() };
            let payload = match (side, r.payload()) {
                (Some(ty), Some(p)) => Some(Box::new(decode(p, &ty, depth + 1)?)),
                (None, None) => None,
                _ => return Err("result has the wrong payload".to_string()),
            };
            Val::Result(if r.is_err() { Err(payload) } else { Ok(payload) })
        }
        // Handles travel as numbers; `resources` turns them into handles.
        Type::Own(_) | Type::Borrow(_) => {
            let handle = value.kind_as_resource_val().ok_or_else(err)?;
            if handle.owned() != matches!(ty, Type::Own(_)) {
                return Err("an owned handle where a borrow is expected, or the reverse".to_string());
            }
            Val::U32(handle.handle())
        }
        Type::Flags(flags) => {
            let words = value.kind_as_flags_val().ok_or_else(err)?.words();
            let count = flags.names().len();
            let mut set = Vec::new();
            for (w, word) in words.iter().flatten().enumerate() {
                for bit in 0..32 {
                    if word & (1 << bit) != 0 {
                        let i = w * 32 + bit;
                        if i >= count {
                            return Err("flags value sets an undefined flag".to_string());
                        }
                        set.push(flags.names().nth(i).unwrap_or_default().to_string());
                    }
                }
            }
            Val::Flags(set)
        }
        _ => return Err(alloc::format!("values of type {ty:?} are not supported yet")),
    })
}

/// Encodes `val` of type `ty`.
pub fn encode<'a>(fbb: &mut FlatBufferBuilder<'a>, val: &Val, ty: &Type) -> Result<WIPOffset<fb::Value<'a>>, String> {
    use fb::ValueKind as K;
    let mismatch = || alloc::format!("value {val:?} does not match type {ty:?}");
    let (kind, body) = match (val, ty) {
        (Val::U32(handle), Type::Own(_) | Type::Borrow(_)) => {
            let args = fb::ResourceValArgs { handle: *handle, owned: matches!(ty, Type::Own(_)) };
            (K::ResourceVal, fb::ResourceVal::create(fbb, &args).as_union_value())
        }
        (Val::Bool(v), _) => (K::BoolVal, fb::BoolVal::create(fbb, &fb::BoolValArgs { value: *v }).as_union_value()),
        (Val::S8(v), _) => (K::S8Val, fb::S8Val::create(fbb, &fb::S8ValArgs { value: *v }).as_union_value()),
        (Val::U8(v), _) => (K::U8Val, fb::U8Val::create(fbb, &fb::U8ValArgs { value: *v }).as_union_value()),
        (Val::S16(v), _) => (K::S16Val, fb::S16Val::create(fbb, &fb::S16ValArgs { value: *v }).as_union_value()),
        (Val::U16(v), _) => (K::U16Val, fb::U16Val::create(fbb, &fb::U16ValArgs { value: *v }).as_union_value()),
        (Val::S32(v), _) => (K::S32Val, fb::S32Val::create(fbb, &fb::S32ValArgs { value: *v }).as_union_value()),
        (Val::U32(v), _) => (K::U32Val, fb::U32Val::create(fbb, &fb::U32ValArgs { value: *v }).as_union_value()),
        (Val::S64(v), _) => (K::S64Val, fb::S64Val::create(fbb, &fb::S64ValArgs { value: *v }).as_union_value()),
        (Val::U64(v), _) => (K::U64Val, fb::U64Val::create(fbb, &fb::U64ValArgs { value: *v }).as_union_value()),
        (Val::Float32(v), _) => {
            (K::F32Val, fb::F32Val::create(fbb, &fb::F32ValArgs { bits: v.to_bits() }).as_union_value())
        }
        (Val::Float64(v), _) => {
            (K::F64Val, fb::F64Val::create(fbb, &fb::F64ValArgs { bits: v.to_bits() }).as_union_value())
        }
        (Val::Char(c), _) => {
            (K::CharVal, fb::CharVal::create(fbb, &fb::CharValArgs { value: u32::from(*c) }).as_union_value())
        }
        (Val::String(s), _) => {
            let bytes = fbb.create_vector(s.as_bytes());
            (K::StringVal, fb::StringVal::create(fbb, &fb::StringValArgs { value: Some(bytes) }).as_union_value())
        }
        (Val::List(items), Type::List(list)) => {
            let elem = list.ty();
            if matches!(elem, Type::U8) {
                let bytes: Vec<u8> = items
                    .iter()
                    .map(|v| if let Val::U8(b) = v { Ok(*b) } else { Err(mismatch()) })
                    .collect::<Result<_, _>>()?;
                let bytes = fbb.create_vector(&bytes);
                (K::BytesVal, fb::BytesVal::create(fbb, &fb::BytesValArgs { value: Some(bytes) }).as_union_value())
            } else if let Some(scalar) = scalar_of(&elem) {
                let bits =
                    items.iter().map(|v| pack_val(scalar, v).ok_or_else(mismatch)).collect::<Result<Vec<_>, _>>()?;
                let bytes = packed::pack(scalar, bits.len(), bits.into_iter());
                let bytes = fbb.create_vector(&bytes);
                (K::PackedVal, fb::PackedVal::create(fbb, &fb::PackedValArgs { bytes: Some(bytes) }).as_union_value())
            } else {
                let items = encode_each(fbb, items.iter().map(|v| (v, elem.clone())))?;
                (K::ListVal, fb::ListVal::create(fbb, &fb::ListValArgs { items: Some(items) }).as_union_value())
            }
        }
        (Val::Record(fields), Type::Record(record)) => {
            if fields.len() != record.fields().len() {
                return Err(mismatch());
            }
            let fields = encode_each(fbb, fields.iter().map(|(_, v)| v).zip(record.fields().map(|f| f.ty)))?;
            (K::RecordVal, fb::RecordVal::create(fbb, &fb::RecordValArgs { fields: Some(fields) }).as_union_value())
        }
        (Val::Tuple(items), Type::Tuple(tuple)) => {
            if items.len() != tuple.types().len() {
                return Err(mismatch());
            }
            let items = encode_each(fbb, items.iter().zip(tuple.types()))?;
            (K::TupleVal, fb::TupleVal::create(fbb, &fb::TupleValArgs { items: Some(items) }).as_union_value())
        }
        (Val::Variant(name, payload), Type::Variant(variant)) => {
            let case_index = index_of(variant.cases().map(|c| c.name), name).ok_or_else(mismatch)?;
            let case_ty = variant.cases().find(|c| c.name == name).and_then(|c| c.ty);
            let payload = encode_payload(fbb, payload.as_deref(), case_ty)?;
            (K::VariantVal, fb::VariantVal::create(fbb, &fb::VariantValArgs { case_index, payload }).as_union_value())
        }
        (Val::Enum(name), Type::Enum(e)) => {
            let case_index = index_of(e.names(), name).ok_or_else(mismatch)?;
            (K::EnumVal, fb::EnumVal::create(fbb, &fb::EnumValArgs { case_index }).as_union_value())
        }
        (Val::Option(v), Type::Option(option)) => {
            let value = encode_payload(fbb, v.as_deref(), v.as_ref().map(|_| option.ty()))?;
            (K::OptionVal, fb::OptionVal::create(fbb, &fb::OptionValArgs { value }).as_union_value())
        }
        (Val::Result(r), Type::Result(result)) => {
            let (is_err, payload, side) = match r {
                Ok(p) => (false, p.as_deref(), result.ok()),
                Err(p) => (true, p.as_deref(), result.err()),
            };
            let payload = encode_payload(fbb, payload, side)?;
            (K::ResultVal, fb::ResultVal::create(fbb, &fb::ResultValArgs { is_err, payload }).as_union_value())
        }
        (Val::Flags(set), Type::Flags(flags)) => {
            let mut words = alloc::vec![0u32; flags.names().len().div_ceil(32)];
            for name in set {
                let i = flags.names().position(|n| n == name).ok_or_else(mismatch)?;
                words[i / 32] |= 1 << (i % 32);
            }
            let words = fbb.create_vector(&words);
            (K::FlagsVal, fb::FlagsVal::create(fbb, &fb::FlagsValArgs { words: Some(words) }).as_union_value())
        }
        _ => return Err(mismatch()),
    };
    Ok(fb::Value::create(fbb, &fb::ValueArgs { kind_type: kind, kind: Some(body) }))
}

/// The packed element type for lists of `ty`, if it is a scalar other than
/// `u8` (which travels as bytes).
fn scalar_of(ty: &Type) -> Option<Scalar> {
    Some(match ty {
        Type::Bool => Scalar::Bool,
        Type::S8 => Scalar::S8,
        Type::S16 => Scalar::S16,
        Type::U16 => Scalar::U16,
        Type::S32 => Scalar::S32,
        Type::U32 => Scalar::U32,
        Type::Char => Scalar::Char,
        Type::Float32 => Scalar::F32,
        Type::S64 => Scalar::S64,
        Type::U64 => Scalar::U64,
        Type::Float64 => Scalar::F64,
        _ => return None,
    })
}

/// The raw bits of a scalar value, if it is one of `scalar`.
fn pack_val(scalar: Scalar, val: &Val) -> Option<u64> {
    Some(match (scalar, val) {
        (Scalar::Bool, Val::Bool(v)) => u64::from(*v),
        (Scalar::S8, Val::S8(v)) => packed::bits_of(&v.to_le_bytes()),
        (Scalar::S16, Val::S16(v)) => packed::bits_of(&v.to_le_bytes()),
        (Scalar::U16, Val::U16(v)) => u64::from(*v),
        (Scalar::S32, Val::S32(v)) => packed::bits_of(&v.to_le_bytes()),
        (Scalar::U32, Val::U32(v)) => u64::from(*v),
        (Scalar::Char, Val::Char(c)) => u64::from(u32::from(*c)),
        (Scalar::F32, Val::Float32(v)) => u64::from(v.to_bits()),
        (Scalar::S64, Val::S64(v)) => packed::bits_of(&v.to_le_bytes()),
        (Scalar::U64, Val::U64(v)) => *v,
        (Scalar::F64, Val::Float64(v)) => v.to_bits(),
        _ => return None,
    })
}

/// The value of one packed element, checked.
fn unpack_val(scalar: Scalar, bits: u64) -> Result<Val, String> {
    Ok(match scalar {
        Scalar::Bool => match bits {
            0 => Val::Bool(false),
            1 => Val::Bool(true),
            other => return Err(alloc::format!("{other} is not a bool")),
        },
        Scalar::S8 => Val::S8(i8::from_le_bytes(packed::le_bytes(bits))),
        Scalar::S16 => Val::S16(i16::from_le_bytes(packed::le_bytes(bits))),
        Scalar::U16 => Val::U16(u16::from_le_bytes(packed::le_bytes(bits))),
        Scalar::S32 => Val::S32(i32::from_le_bytes(packed::le_bytes(bits))),
        Scalar::U32 => Val::U32(u32::from_le_bytes(packed::le_bytes(bits))),
        Scalar::Char => {
            let code = u32::from_le_bytes(packed::le_bytes(bits));
            Val::Char(char::from_u32(code).ok_or_else(|| alloc::format!("{code:#x} is not a Unicode scalar value"))?)
        }
        Scalar::F32 => Val::Float32(f32::from_bits(u32::from_le_bytes(packed::le_bytes(bits)))),
        Scalar::S64 => Val::S64(i64::from_le_bytes(packed::le_bytes(bits))),
        Scalar::U64 => Val::U64(bits),
        Scalar::F64 => Val::Float64(f64::from_bits(bits)),
    })
}

fn encode_payload<'a>(
    fbb: &mut FlatBufferBuilder<'a>,
    payload: Option<&Val>,
    ty: Option<Type>,
) -> Result<Option<WIPOffset<fb::Value<'a>>>, String> {
    match (payload, ty) {
        (Some(v), Some(ty)) => Ok(Some(encode(fbb, v, &ty)?)),
        (None, None) => Ok(None),
        _ => Err("payload does not match its type".to_string()),
    }
}

/// About how many bytes `values` take encoded, from their sizes at the top
/// level only (cheap), so a builder for a large list or string is allocated
/// once instead of doubling and copying its way up.
pub fn size_hint(values: &[Val]) -> usize {
    values
        .iter()
        .map(|value| match value {
            Val::String(text) => text.len() + 16,
            Val::List(items) => {
                items.len().saturating_mul(match items.first() {
                    Some(Val::U8(_) | Val::S8(_) | Val::Bool(_)) => 1,
                    Some(Val::U16(_) | Val::S16(_)) => 2,
                    Some(Val::U32(_) | Val::S32(_) | Val::Float32(_) | Val::Char(_)) => 4,
                    Some(Val::U64(_) | Val::S64(_) | Val::Float64(_)) => 8,
                    _ => 32,
                }) + 16
            }
            _ => 32,
        })
        .fold(64, usize::saturating_add)
}

/// Encodes each `(value, type)` pair into a vector of values.
pub fn encode_each<'a, 'v>(
    fbb: &mut FlatBufferBuilder<'a>,
    pairs: impl Iterator<Item = (&'v Val, Type)>,
) -> Result<WIPOffset<Vector<'a, ForwardsUOffset<fb::Value<'a>>>>, String> {
    let mut offsets = Vec::new();
    for (v, ty) in pairs {
        offsets.push(encode(fbb, v, &ty)?);
    }
    Ok(fbb.create_vector(&offsets))
}
