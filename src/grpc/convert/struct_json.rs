//! `google.protobuf.Struct` values (flow data) as the JSON they stand for.

use serde_json::Value;

use super::{checker::Checker, location_contacts::finite};

/// A `google.protobuf.Struct` as the JSON object it stands for.
pub(super) fn struct_json(c: &mut Checker<'_>, object: &prost_types::Struct) -> Value {
    let fields = object.fields.iter().map(|(key, value)| (key.clone(), value_json(&mut c.at(key), value)));
    Value::Object(fields.collect())
}

fn value_json(c: &mut Checker<'_>, value: &prost_types::Value) -> Value {
    use prost_types::value::Kind as K;

    match &value.kind {
        None | Some(K::NullValue(_)) => Value::Null,
        Some(K::NumberValue(n)) => number_json(c, *n),
        Some(K::StringValue(s)) => Value::String(s.clone()),
        Some(K::BoolValue(b)) => Value::Bool(*b),
        Some(K::StructValue(object)) => struct_json(c, object),
        Some(K::ListValue(list)) => {
            Value::Array(list.values.iter().enumerate().map(|(i, v)| value_json(&mut c.item("", i), v)).collect())
        }
    }
}

/// Struct numbers are doubles; whole ones go out as integers (`3`, not `3.0`),
/// as in protobuf's JSON mapping, so flows see the numbers the client meant.
fn number_json(c: &mut Checker<'_>, n: f64) -> Value {
    const MAX_EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if !n.is_finite() {
        c.fail("", format!("must be a finite number, got {n}"));
        return Value::Null;
    }
    if n.fract() == 0.0 && n.abs() <= MAX_EXACT {
        // Exact: a whole number of magnitude ≤ 2^53 fits an i64 without loss.
        Value::from(n as i64)
    } else {
        finite(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grpc::convert::testing::*;

    #[test]
    fn structs_become_json_objects() {
        let list = prost_types::Value {
            kind: Some(StructKind::ListValue(prost_types::ListValue {
                values: vec![number(1.0), number(f64::NAN), prost_types::Value { kind: None }],
            })),
        };
        let nested = prost_types::Value {
            kind: Some(StructKind::StructValue(object(vec![(
                "deep",
                prost_types::Value { kind: Some(StructKind::BoolValue(true)) },
            )]))),
        };
        let data = object(vec![
            ("int", number(3.0)),
            ("float", number(2.5)),
            ("negative", number(-7.0)),
            ("huge", number(1e300)),
            ("null", prost_types::Value { kind: Some(StructKind::NullValue(0)) }),
            ("text", string("x")),
            ("list", list),
            ("nested", nested),
        ]);
        let mut violations = Vec::new();
        let json = struct_json(&mut Checker::root(&mut violations).at("data"), &data);
        assert_eq!(
            json,
            json!({"int": 3, "float": 2.5, "negative": -7, "huge": 1e300, "null": null, "text": "x",
                   "list": [1, null, null], "nested": {"deep": true}})
        );
        assert_eq!(violations.iter().map(|v| v.field.as_str()).collect::<Vec<_>>(), ["data.list[1]"]);
    }
}
