//! `google.protobuf.Struct` values (flow data) written as the JSON they stand
//! for, straight from the proto message.

use prost_types::value::Kind;
use serde::{Serialize, Serializer, ser::SerializeMap as _, ser::SerializeSeq as _};

/// A `google.protobuf.Struct`, serialized as its JSON object.
///
/// Struct numbers are doubles; whole ones go out as integers (`3`, not
/// `3.0`), as in protobuf's JSON mapping, so flows see the numbers the client
/// meant. Non-finite numbers, which JSON cannot hold, are written as `null`;
/// the conversion refuses them before a body is sent.
#[derive(Debug, Clone, Copy)]
pub struct StructJson<'a>(pub &'a prost_types::Struct);

impl Serialize for StructJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.fields.len()))?;
        for (key, value) in &self.0.fields {
            map.serialize_entry(key, &ValueJson(value))?;
        }
        map.end()
    }
}

/// One `google.protobuf.Value` as JSON.
struct ValueJson<'a>(&'a prost_types::Value);

impl Serialize for ValueJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0.kind {
            None | Some(Kind::NullValue(_)) => serializer.serialize_unit(),
            Some(Kind::NumberValue(n)) => serialize_number(*n, serializer),
            Some(Kind::StringValue(s)) => serializer.serialize_str(s),
            Some(Kind::BoolValue(b)) => serializer.serialize_bool(*b),
            Some(Kind::StructValue(object)) => StructJson(object).serialize(serializer),
            Some(Kind::ListValue(list)) => {
                let mut seq = serializer.serialize_seq(Some(list.values.len()))?;
                for value in &list.values {
                    seq.serialize_element(&ValueJson(value))?;
                }
                seq.end()
            }
        }
    }
}

fn serialize_number<S: Serializer>(n: f64, serializer: S) -> Result<S::Ok, S::Error> {
    const MAX_EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if !n.is_finite() {
        serializer.serialize_unit()
    } else if n.fract() == 0.0 && n.abs() <= MAX_EXACT {
        // Exact: a whole number of magnitude ≤ 2^53 fits an i64 without loss.
        serializer.serialize_i64(n as i64)
    } else {
        serializer.serialize_f64(n)
    }
}
