//! Values to and from the wire format (`featherlight_abi::fb::Value`).
//!
//! Names never travel: record fields, variant and enum cases and flags go by
//! their position in the type, which both sides read from the same WIT.
//! Decoding reads data the guest wrote, so it trusts nothing: every kind,
//! count, index, string and character is checked against the expected type,
//! and nesting is bounded by the type itself (types are at most
//! [`MAX_DEPTH`](crate::types::MAX_DEPTH) deep).

use crate::WireError as Error;
use crate::malformed::{Composite, Malformed};
use crate::types::ValueType;
use crate::value::Value;
use featherlight_abi::fb;
use featherlight_abi::packed::{self, Scalar};
use flatbuffers::{FlatBufferBuilder, ForwardsUOffset, Vector, WIPOffset};

/// A vector of wire values.
pub type WireValues<'a> = Vector<'a, ForwardsUOffset<fb::Value<'a>>>;

/// Encodes `values`, which must have `types` (checked first, so a wrong
/// value is a [`Error::Type`] naming where it differs).
pub fn encode_values<'a>(
    fbb: &mut FlatBufferBuilder<'a>,
    values: &[Value],
    types: &[ValueType],
) -> Result<WIPOffset<WireValues<'a>>, Error> {
    if values.len() != types.len() {
        return Err(Malformed::ValueCount { values: values.len(), types: types.len() }.into());
    }
    for (value, ty) in values.iter().zip(types) {
        ty.check(value)?;
    }
    let offsets: Vec<_> = values.iter().zip(types).map(|(value, ty)| encode(fbb, value, ty)).collect();
    Ok(fbb.create_vector(&offsets))
}

/// About how many bytes `values` take encoded, from their sizes at the top
/// level only (cheap): a builder made with this capacity holds a large list
/// or string without doubling and copying its way up.
pub fn size_hint(values: &[Value]) -> usize {
    values
        .iter()
        .map(|value| match value {
            Value::String(text) => text.len() + 16,
            Value::List(items) => {
                let width = match items.first() {
                    Some(Value::U8(_) | Value::S8(_) | Value::Bool(_)) => 1,
                    Some(Value::U16(_) | Value::S16(_)) => 2,
                    Some(Value::U32(_) | Value::S32(_) | Value::Float32(_) | Value::Char(_)) => 4,
                    Some(Value::U64(_) | Value::S64(_) | Value::Float64(_)) => 8,
                    _ => 32,
                };
                items.len().saturating_mul(width) + 16
            }
            _ => 32,
        })
        .fold(64, usize::saturating_add)
}

/// Encodes a value already checked against `ty`.
fn encode<'a>(fbb: &mut FlatBufferBuilder<'a>, value: &Value, ty: &ValueType) -> WIPOffset<fb::Value<'a>> {
    use fb::ValueKind as K;
    let (kind, body) = match (value, ty) {
        (Value::Bool(v), _) => (K::BoolVal, fb::BoolVal::create(fbb, &fb::BoolValArgs { value: *v }).as_union_value()),
        (Value::S8(v), _) => (K::S8Val, fb::S8Val::create(fbb, &fb::S8ValArgs { value: *v }).as_union_value()),
        (Value::U8(v), _) => (K::U8Val, fb::U8Val::create(fbb, &fb::U8ValArgs { value: *v }).as_union_value()),
        (Value::S16(v), _) => (K::S16Val, fb::S16Val::create(fbb, &fb::S16ValArgs { value: *v }).as_union_value()),
        (Value::U16(v), _) => (K::U16Val, fb::U16Val::create(fbb, &fb::U16ValArgs { value: *v }).as_union_value()),
        (Value::S32(v), _) => (K::S32Val, fb::S32Val::create(fbb, &fb::S32ValArgs { value: *v }).as_union_value()),
        (Value::U32(v), _) => (K::U32Val, fb::U32Val::create(fbb, &fb::U32ValArgs { value: *v }).as_union_value()),
        (Value::S64(v), _) => (K::S64Val, fb::S64Val::create(fbb, &fb::S64ValArgs { value: *v }).as_union_value()),
        (Value::U64(v), _) => (K::U64Val, fb::U64Val::create(fbb, &fb::U64ValArgs { value: *v }).as_union_value()),
        (Value::Float32(v), _) => {
            (K::F32Val, fb::F32Val::create(fbb, &fb::F32ValArgs { bits: v.to_bits() }).as_union_value())
        }
        (Value::Float64(v), _) => {
            (K::F64Val, fb::F64Val::create(fbb, &fb::F64ValArgs { bits: v.to_bits() }).as_union_value())
        }
        (Value::Char(c), _) => {
            (K::CharVal, fb::CharVal::create(fbb, &fb::CharValArgs { value: u32::from(*c) }).as_union_value())
        }
        (Value::String(s), _) => {
            let bytes = fbb.create_vector(s.as_bytes());
            (K::StringVal, fb::StringVal::create(fbb, &fb::StringValArgs { value: Some(bytes) }).as_union_value())
        }
        (Value::List(items), ValueType::List(element)) if **element == ValueType::U8 => {
            let bytes: Vec<u8> = items.iter().map(|v| if let Value::U8(b) = v { *b } else { 0 }).collect();
            let bytes = fbb.create_vector(&bytes);
            (K::BytesVal, fb::BytesVal::create(fbb, &fb::BytesValArgs { value: Some(bytes) }).as_union_value())
        }
        (Value::List(items), ValueType::List(element)) if scalar_of(element).is_some() => {
            let scalar = scalar_of(element).unwrap_or(Scalar::U32);
            let bytes = packed::pack(scalar, items.len(), items.iter().map(bits_of));
            let bytes = fbb.create_vector(&bytes);
            (K::PackedVal, fb::PackedVal::create(fbb, &fb::PackedValArgs { bytes: Some(bytes) }).as_union_value())
        }
        (Value::List(items), ValueType::List(element)) => {
            let items = encode_all(fbb, items.iter().map(|v| (v, &**element)));
            (K::ListVal, fb::ListVal::create(fbb, &fb::ListValArgs { items: Some(items) }).as_union_value())
        }
        (Value::Record(fields), ValueType::Record(types)) => {
            // `check` guaranteed every field, in declaration order.
            let fields = encode_all(fbb, fields.iter().map(|(_, v)| v).zip(types.iter().map(|(_, t)| t)));
            (K::RecordVal, fb::RecordVal::create(fbb, &fb::RecordValArgs { fields: Some(fields) }).as_union_value())
        }
        (Value::Tuple(items), ValueType::Tuple(types)) => {
            let items = encode_all(fbb, items.iter().zip(types.iter()));
            (K::TupleVal, fb::TupleVal::create(fbb, &fb::TupleValArgs { items: Some(items) }).as_union_value())
        }
        (Value::Variant(name, payload), ValueType::Variant(cases)) => {
            let index = cases.iter().position(|(n, _)| n == name).unwrap_or(0);
            let payload_ty = cases.get(index).and_then(|(_, ty)| ty.as_ref());
            let payload = payload.as_deref().zip(payload_ty).map(|(v, ty)| encode(fbb, v, ty));
            let case_index = u32::try_from(index).unwrap_or(u32::MAX);
            (K::VariantVal, fb::VariantVal::create(fbb, &fb::VariantValArgs { case_index, payload }).as_union_value())
        }
        (Value::Enum(name), ValueType::Enum(cases)) => {
            let index = cases.iter().position(|n| n == name).unwrap_or(0);
            let case_index = u32::try_from(index).unwrap_or(u32::MAX);
            (K::EnumVal, fb::EnumVal::create(fbb, &fb::EnumValArgs { case_index }).as_union_value())
        }
        (Value::Option(v), ValueType::Option(some)) => {
            let value = v.as_deref().map(|v| encode(fbb, v, some));
            (K::OptionVal, fb::OptionVal::create(fbb, &fb::OptionValArgs { value }).as_union_value())
        }
        (Value::Result(r), ValueType::Result(types)) => {
            let (is_err, payload, side) = match r {
                Ok(p) => (false, p.as_deref(), types.ok.as_ref()),
                Err(p) => (true, p.as_deref(), types.err.as_ref()),
            };
            let payload = payload.zip(side).map(|(v, ty)| encode(fbb, v, ty));
            (K::ResultVal, fb::ResultVal::create(fbb, &fb::ResultValArgs { is_err, payload }).as_union_value())
        }
        (Value::Flags(set), ValueType::Flags(names)) => {
            let mut words = vec![0u32; names.len().div_ceil(32)];
            for flag in set {
                if let Some(i) = names.iter().position(|n| n == flag) {
                    words[i / 32] |= 1 << (i % 32);
                }
            }
            let words = fbb.create_vector(&words);
            (K::FlagsVal, fb::FlagsVal::create(fbb, &fb::FlagsValArgs { words: Some(words) }).as_union_value())
        }
        (Value::Own(handle), _) | (Value::Borrow(handle), _) => {
            let args = fb::ResourceValArgs { handle: *handle, owned: matches!(value, Value::Own(_)) };
            (K::ResourceVal, fb::ResourceVal::create(fbb, &args).as_union_value())
        }
        // `check` rejected every other pairing before encoding started.
        _ => (K::BoolVal, fb::BoolVal::create(fbb, &fb::BoolValArgs { value: false }).as_union_value()),
    };
    fb::Value::create(fbb, &fb::ValueArgs { kind_type: kind, kind: Some(body) })
}

/// The packed element type for lists of `ty`, if it is a scalar other than
/// `u8` (which travels as bytes).
fn scalar_of(ty: &ValueType) -> Option<Scalar> {
    Some(match ty {
        ValueType::Bool => Scalar::Bool,
        ValueType::S8 => Scalar::S8,
        ValueType::S16 => Scalar::S16,
        ValueType::U16 => Scalar::U16,
        ValueType::S32 => Scalar::S32,
        ValueType::U32 => Scalar::U32,
        ValueType::Char => Scalar::Char,
        ValueType::Float32 => Scalar::F32,
        ValueType::S64 => Scalar::S64,
        ValueType::U64 => Scalar::U64,
        ValueType::Float64 => Scalar::F64,
        _ => return None,
    })
}

/// The raw bits of a scalar value already checked against its type.
fn bits_of(value: &Value) -> u64 {
    match value {
        Value::Bool(v) => u64::from(*v),
        Value::S8(v) => packed::bits_of(&v.to_le_bytes()),
        Value::S16(v) => packed::bits_of(&v.to_le_bytes()),
        Value::U16(v) => u64::from(*v),
        Value::S32(v) => packed::bits_of(&v.to_le_bytes()),
        Value::U32(v) => u64::from(*v),
        Value::Char(c) => u64::from(u32::from(*c)),
        Value::Float32(v) => u64::from(v.to_bits()),
        Value::S64(v) => packed::bits_of(&v.to_le_bytes()),
        Value::U64(v) => *v,
        Value::Float64(v) => v.to_bits(),
        _ => 0,
    }
}

/// The value of one packed element, checked.
fn unpack_value(scalar: Scalar, bits: u64) -> Result<Value, Malformed> {
    Ok(match scalar {
        Scalar::Bool => match bits {
            0 => Value::Bool(false),
            1 => Value::Bool(true),
            _ => return Err(Malformed::NotABool { value: packed::le_bytes::<1>(bits)[0] }),
        },
        Scalar::S8 => Value::S8(i8::from_le_bytes(packed::le_bytes(bits))),
        Scalar::S16 => Value::S16(i16::from_le_bytes(packed::le_bytes(bits))),
        Scalar::U16 => Value::U16(u16::from_le_bytes(packed::le_bytes(bits))),
        Scalar::S32 => Value::S32(i32::from_le_bytes(packed::le_bytes(bits))),
        Scalar::U32 => Value::U32(u32::from_le_bytes(packed::le_bytes(bits))),
        Scalar::Char => {
            let code = u32::from_le_bytes(packed::le_bytes(bits));
            Value::Char(char::from_u32(code).ok_or(Malformed::NotAChar { code })?)
        }
        Scalar::F32 => Value::Float32(f32::from_bits(u32::from_le_bytes(packed::le_bytes(bits)))),
        Scalar::S64 => Value::S64(i64::from_le_bytes(packed::le_bytes(bits))),
        Scalar::U64 => Value::U64(bits),
        Scalar::F64 => Value::Float64(f64::from_bits(bits)),
    })
}

fn encode_all<'a, 'v>(
    fbb: &mut FlatBufferBuilder<'a>,
    pairs: impl Iterator<Item = (&'v Value, &'v ValueType)>,
) -> WIPOffset<WireValues<'a>> {
    let offsets: Vec<_> = pairs.map(|(value, ty)| encode(fbb, value, ty)).collect();
    fbb.create_vector(&offsets)
}

/// Decodes one value per type in `types` from a verified message.
pub fn decode_values(values: Option<WireValues<'_>>, types: &[ValueType]) -> Result<Vec<Value>, Error> {
    let count = values.map_or(0, |v| v.len());
    if count != types.len() {
        return Err(Malformed::ValueCount { values: count, types: types.len() }.into());
    }
    values.iter().flatten().zip(types).map(|(value, ty)| decode(value, ty)).collect()
}

fn decode_all<'a>(
    values: Option<WireValues<'a>>,
    types: impl ExactSizeIterator<Item = &'a ValueType>,
    composite: Composite,
) -> Result<Vec<Value>, Error> {
    let count = values.map_or(0, |v| v.len());
    if count != types.len() {
        return Err(Malformed::PartCount { composite, parts: count, expected: types.len() }.into());
    }
    values.iter().flatten().zip(types).map(|(value, ty)| decode(value, ty)).collect()
}

fn decode(value: fb::Value<'_>, ty: &ValueType) -> Result<Value, Error> {
    let wrong = || Error::from(Malformed::WrongKind { expected: ty.kind_name(), got: value.kind_type() });
    Ok(match ty {
        ValueType::Bool => Value::Bool(value.kind_as_bool_val().ok_or_else(wrong)?.value()),
        ValueType::S8 => Value::S8(value.kind_as_s8_val().ok_or_else(wrong)?.value()),
        ValueType::U8 => Value::U8(value.kind_as_u8_val().ok_or_else(wrong)?.value()),
        ValueType::S16 => Value::S16(value.kind_as_s16_val().ok_or_else(wrong)?.value()),
        ValueType::U16 => Value::U16(value.kind_as_u16_val().ok_or_else(wrong)?.value()),
        ValueType::S32 => Value::S32(value.kind_as_s32_val().ok_or_else(wrong)?.value()),
        ValueType::U32 => Value::U32(value.kind_as_u32_val().ok_or_else(wrong)?.value()),
        ValueType::S64 => Value::S64(value.kind_as_s64_val().ok_or_else(wrong)?.value()),
        ValueType::U64 => Value::U64(value.kind_as_u64_val().ok_or_else(wrong)?.value()),
        ValueType::Float32 => Value::Float32(f32::from_bits(value.kind_as_f32_val().ok_or_else(wrong)?.bits())),
        ValueType::Float64 => Value::Float64(f64::from_bits(value.kind_as_f64_val().ok_or_else(wrong)?.bits())),
        ValueType::Char => {
            let code = value.kind_as_char_val().ok_or_else(wrong)?.value();
            Value::Char(char::from_u32(code).ok_or(Malformed::NotAChar { code })?)
        }
        ValueType::String => {
            let bytes = value.kind_as_string_val().ok_or_else(wrong)?.value().map_or(&[][..], |b| b.bytes());
            let text = std::str::from_utf8(bytes).map_err(Malformed::NotUtf8)?;
            Value::String(text.to_string())
        }
        ValueType::List(element) => {
            if let (ValueType::U8, Some(bytes)) = (&**element, value.kind_as_bytes_val()) {
                let bytes = bytes.value().map_or(&[][..], |b| b.bytes());
                Value::List(bytes.iter().map(|b| Value::U8(*b)).collect())
            } else if let (Some(scalar), Some(list)) = (scalar_of(element), value.kind_as_packed_val()) {
                let bytes = list.bytes().map_or(&[][..], |b| b.bytes());
                let bits = packed::unpack(scalar, bytes)
                    .map_err(|packed::Ragged { len, width }| Malformed::RaggedList { len, width })?;
                Value::List(bits.map(|bits| unpack_value(scalar, bits)).collect::<Result<_, _>>()?)
            } else {
                let items = value.kind_as_list_val().ok_or_else(wrong)?.items();
                let count = items.map_or(0, |i| i.len());
                Value::List(decode_all(items, std::iter::repeat_n(&**element, count), Composite::List)?)
            }
        }
        ValueType::Record(fields) => {
            let values = decode_all(
                value.kind_as_record_val().ok_or_else(wrong)?.fields(),
                fields.iter().map(|(_, t)| t),
                Composite::Record,
            )?;
            Value::Record(fields.iter().map(|(name, _)| name.clone()).zip(values).collect())
        }
        ValueType::Tuple(types) => Value::Tuple(decode_all(
            value.kind_as_tuple_val().ok_or_else(wrong)?.items(),
            types.iter(),
            Composite::Tuple,
        )?),
        ValueType::Variant(cases) => {
            let v = value.kind_as_variant_val().ok_or_else(wrong)?;
            let (name, payload_ty) =
                usize::try_from(v.case_index()).ok().and_then(|i| cases.get(i)).ok_or(Malformed::NoSuchCase {
                    composite: Composite::Variant,
                    index: v.case_index(),
                    cases: cases.len(),
                })?;
            Value::Variant(name.clone(), decode_payload(v.payload(), payload_ty.as_ref(), name)?)
        }
        ValueType::Enum(cases) => {
            let index = value.kind_as_enum_val().ok_or_else(wrong)?.case_index();
            let name = usize::try_from(index).ok().and_then(|i| cases.get(i)).ok_or(Malformed::NoSuchCase {
                composite: Composite::Enum,
                index,
                cases: cases.len(),
            })?;
            Value::Enum(name.clone())
        }
        ValueType::Option(some) => match value.kind_as_option_val().ok_or_else(wrong)?.value() {
            Some(v) => Value::Option(Some(Box::new(decode(v, some)?))),
            None => Value::Option(None),
        },
        ValueType::Result(types) => {
            let r = value.kind_as_result_val().ok_or_else(wrong)?;
            if r.is_err() {
                Value::Result(Err(decode_payload(r.payload(), types.err.as_ref(), "err")?))
            } else {
                Value::Result(Ok(decode_payload(r.payload(), types.ok.as_ref(), "ok")?))
            }
        }
        ValueType::Own(_) | ValueType::Borrow(_) => {
            let handle = value.kind_as_resource_val().ok_or_else(wrong)?;
            let owned = matches!(ty, ValueType::Own(_));
            if handle.owned() != owned {
                return Err(Malformed::HandleKind { owned }.into());
            }
            if owned { Value::Own(handle.handle()) } else { Value::Borrow(handle.handle()) }
        }
        ValueType::Flags(names) => {
            let words = value.kind_as_flags_val().ok_or_else(wrong)?.words();
            let words: Vec<u32> = words.iter().flatten().collect();
            if words.len() > names.len().div_ceil(32) {
                return Err(Malformed::FlagWords { words: words.len(), flags: names.len() }.into());
            }
            let is_set = |i: usize| words.get(i / 32).is_some_and(|w| w & (1 << (i % 32)) != 0);
            if let Some(bit) = (names.len()..words.len() * 32).find(|i| is_set(*i)) {
                return Err(Malformed::UndefinedFlag { bit, flags: names.len() }.into());
            }
            Value::Flags(names.iter().enumerate().filter(|(i, _)| is_set(*i)).map(|(_, n)| n.clone()).collect())
        }
    })
}

fn decode_payload(
    payload: Option<fb::Value<'_>>,
    ty: Option<&ValueType>,
    case: &str,
) -> Result<Option<Box<Value>>, Error> {
    match (payload, ty) {
        (Some(v), Some(ty)) => Ok(Some(Box::new(decode(v, ty)?))),
        (None, None) => Ok(None),
        (Some(_), None) => Err(Malformed::UnexpectedPayload { case: case.to_string() }.into()),
        (None, Some(_)) => Err(Malformed::MissingPayload { case: case.to_string() }.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(values: &[Value], types: &[ValueType]) -> Vec<Value> {
        let mut fbb = FlatBufferBuilder::new();
        let encoded = encode_values(&mut fbb, values, types).unwrap();
        let call = fb::FunctionCall::create(
            &mut fbb,
            &fb::FunctionCallArgs { function: 0, args: Some(encoded), context: None },
        );
        fbb.finish(call, None);
        let call = flatbuffers::root::<fb::FunctionCall>(fbb.finished_data()).unwrap();
        decode_values(call.args(), types).unwrap()
    }

    #[test]
    fn every_kind_round_trips() {
        let types = [
            ValueType::list(ValueType::U8),
            ValueType::record([("b", ValueType::Char), ("a", ValueType::option(ValueType::Float32))]),
            ValueType::variant([("none", None), ("some", Some(ValueType::String))]),
            ValueType::flags((0..40).map(|i| format!("f{i}"))),
            ValueType::result(None, Some(ValueType::enumeration(["x", "y"]))),
            ValueType::tuple([ValueType::S64, ValueType::Float64]),
        ];
        let values = [
            Value::List(vec![Value::U8(0), Value::U8(255)]),
            Value::Record(vec![("b".into(), Value::Char('é')), ("a".into(), Value::Option(None))]),
            Value::Variant("some".into(), Some(Box::new(Value::String("x".into())))),
            Value::Flags(vec!["f1".into(), "f39".into()]),
            Value::Result(Err(Some(Box::new(Value::Enum("y".into()))))),
            Value::Tuple(vec![Value::S64(i64::MIN), Value::Float64(-0.0)]),
        ];
        let back = round_trip(&values, &types);
        assert_eq!(back, values);
        let Value::Tuple(items) = &back[5] else { panic!() };
        assert!(matches!(items[1], Value::Float64(z) if z.to_bits() == (-0.0f64).to_bits()));
    }

    #[test]
    fn handles_round_trip_and_keep_their_kind() {
        let resource = crate::types::ResourceType { name: "i#r".into(), host: true };
        let types = [
            ValueType::Own(resource.clone()),
            ValueType::Borrow(resource.clone()),
            ValueType::list(ValueType::Own(resource.clone())),
        ];
        let values = [Value::Own(7), Value::Borrow(u32::MAX), Value::List(vec![Value::Own(1), Value::Own(2)])];
        assert_eq!(round_trip(&values, &types), values);
        // An owned handle on the wire where a borrow is expected.
        let mut fbb = FlatBufferBuilder::new();
        let encoded = encode_values(&mut fbb, &[Value::Own(3)], &types[..1]).unwrap();
        let call = fb::FunctionCall::create(
            &mut fbb,
            &fb::FunctionCallArgs { function: 0, args: Some(encoded), context: None },
        );
        fbb.finish(call, None);
        let call = flatbuffers::root::<fb::FunctionCall>(fbb.finished_data()).unwrap();
        assert!(matches!(
            decode_values(call.args(), &types[1..2]),
            Err(Error::Malformed(Malformed::HandleKind { owned: false }))
        ));
        assert!(matches!(
            decode_values(call.args(), &[ValueType::U32]),
            Err(Error::Malformed(Malformed::WrongKind { expected: "u32", got: fb::ValueKind::ResourceVal }))
        ));
        // WAVE has no handles: parsing one is an error, printing does not panic.
        assert!(Value::from_wave(&types[0], "1").is_err());
        assert_eq!(values[2].to_wave(), "List([Own(1), Own(2)])");
    }

    #[test]
    fn rejects_wrong_values_and_wire_data() {
        let mut fbb = FlatBufferBuilder::new();
        assert!(matches!(encode_values(&mut fbb, &[Value::U8(1)], &[ValueType::S8]), Err(Error::Type(_))));
        // A u32 on the wire where a string is expected, a bad char, a bad case.
        let encoded = encode_values(&mut fbb, &[Value::U32(0xd800)], &[ValueType::U32]).unwrap();
        let call = fb::FunctionCall::create(
            &mut fbb,
            &fb::FunctionCallArgs { function: 0, args: Some(encoded), context: None },
        );
        fbb.finish(call, None);
        let call = flatbuffers::root::<fb::FunctionCall>(fbb.finished_data()).unwrap();
        assert!(matches!(
            decode_values(call.args(), &[ValueType::String]),
            Err(Error::Malformed(Malformed::WrongKind { expected: "string", got: fb::ValueKind::U32Val }))
        ));
        assert!(matches!(
            decode_values(call.args(), &[ValueType::Char]),
            Err(Error::Malformed(Malformed::WrongKind { expected: "char", got: fb::ValueKind::U32Val }))
        ));
        assert!(matches!(
            decode_values(call.args(), &[]),
            Err(Error::Malformed(Malformed::ValueCount { values: 1, types: 0 }))
        ));
        assert!(matches!(
            encode_values(&mut FlatBufferBuilder::new(), &[Value::U8(1)], &[]),
            Err(Error::Malformed(Malformed::ValueCount { values: 1, types: 0 }))
        ));
    }

    /// Decodes one wire value that `build` makes against `ty`.
    fn decode_raw(
        ty: ValueType,
        build: impl FnOnce(&mut FlatBufferBuilder<'static>) -> (fb::ValueKind, WIPOffset<flatbuffers::UnionWIPOffset>),
    ) -> Result<Vec<Value>, Error> {
        let mut fbb = FlatBufferBuilder::new();
        let (kind_type, kind) = build(&mut fbb);
        let value = fb::Value::create(&mut fbb, &fb::ValueArgs { kind_type, kind: Some(kind) });
        let args = fbb.create_vector(&[value]);
        let call =
            fb::FunctionCall::create(&mut fbb, &fb::FunctionCallArgs { function: 0, args: Some(args), context: None });
        fbb.finish(call, None);
        let call = flatbuffers::root::<fb::FunctionCall>(fbb.finished_data()).unwrap();
        decode_values(call.args(), &[ty])
    }

    #[test]
    fn each_malformation_says_what_and_where() {
        let malformed = |result: Result<Vec<Value>, Error>| match result {
            Err(Error::Malformed(m)) => m,
            other => panic!("expected a malformation, got {other:?}"),
        };
        let char = decode_raw(ValueType::Char, |fbb| {
            (fb::ValueKind::CharVal, fb::CharVal::create(fbb, &fb::CharValArgs { value: 0xd800 }).as_union_value())
        });
        assert_eq!(malformed(char), Malformed::NotAChar { code: 0xd800 });
        let string = decode_raw(ValueType::String, |fbb| {
            let value = Some(fbb.create_vector(&[b'a', 0xff]));
            (fb::ValueKind::StringVal, fb::StringVal::create(fbb, &fb::StringValArgs { value }).as_union_value())
        });
        assert!(matches!(malformed(string), Malformed::NotUtf8(e) if e.valid_up_to() == 1));
        let case = decode_raw(ValueType::enumeration(["x", "y"]), |fbb| {
            (fb::ValueKind::EnumVal, fb::EnumVal::create(fbb, &fb::EnumValArgs { case_index: 5 }).as_union_value())
        });
        assert_eq!(malformed(case), Malformed::NoSuchCase { composite: Composite::Enum, index: 5, cases: 2 });
        let payload = decode_raw(ValueType::variant([("none", None)]), |fbb| {
            let payload = Some(fb::Value::create(fbb, &fb::ValueArgs::default()));
            let args = fb::VariantValArgs { case_index: 0, payload };
            (fb::ValueKind::VariantVal, fb::VariantVal::create(fbb, &args).as_union_value())
        });
        assert_eq!(malformed(payload), Malformed::UnexpectedPayload { case: "none".into() });
        let missing = decode_raw(ValueType::result(Some(ValueType::U8), None), |fbb| {
            let args = fb::ResultValArgs { is_err: false, payload: None };
            (fb::ValueKind::ResultVal, fb::ResultVal::create(fbb, &args).as_union_value())
        });
        assert_eq!(malformed(missing), Malformed::MissingPayload { case: "ok".into() });
        let flags = |words: &'static [u32]| {
            decode_raw(ValueType::flags(["a", "b", "c"]), move |fbb| {
                let words = Some(fbb.create_vector(words));
                (fb::ValueKind::FlagsVal, fb::FlagsVal::create(fbb, &fb::FlagsValArgs { words }).as_union_value())
            })
        };
        assert_eq!(malformed(flags(&[1 << 5 | 1])), Malformed::UndefinedFlag { bit: 5, flags: 3 });
        assert_eq!(malformed(flags(&[0, 0])), Malformed::FlagWords { words: 2, flags: 3 });
        assert_eq!(flags(&[0b101]).unwrap(), [Value::Flags(vec!["a".into(), "c".into()])]);
        let tuple = decode_raw(ValueType::tuple([ValueType::Bool, ValueType::Bool]), |fbb| {
            let item = fb::BoolVal::create(fbb, &fb::BoolValArgs { value: true }).as_union_value();
            let item = fb::Value::create(fbb, &fb::ValueArgs { kind_type: fb::ValueKind::BoolVal, kind: Some(item) });
            let items = Some(fbb.create_vector(&[item]));
            (fb::ValueKind::TupleVal, fb::TupleVal::create(fbb, &fb::TupleValArgs { items }).as_union_value())
        });
        assert_eq!(malformed(tuple), Malformed::PartCount { composite: Composite::Tuple, parts: 1, expected: 2 });
    }
}
