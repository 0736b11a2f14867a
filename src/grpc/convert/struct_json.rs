//! Flow data (`google.protobuf.Struct`) checked for what JSON cannot hold;
//! [`crate::graph::messages::StructJson`] writes it.

use prost_types::value::Kind;

use super::checker::Checker;

/// Reports every non-finite number in `object`, under its path.
pub(super) fn check_struct(c: &mut Checker<'_>, object: &prost_types::Struct) {
    for (key, value) in &object.fields {
        check_value(&mut c.at(key), value);
    }
}

fn check_value(c: &mut Checker<'_>, value: &prost_types::Value) {
    match &value.kind {
        Some(Kind::NumberValue(n)) if !n.is_finite() => c.fail("", format!("must be a finite number, got {n}")),
        Some(Kind::StructValue(object)) => check_struct(c, object),
        Some(Kind::ListValue(list)) => {
            for (i, value) in list.values.iter().enumerate() {
                check_value(&mut c.item("", i), value);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::messages::StructJson;
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
        check_struct(&mut Checker::root(&mut violations).at("data"), &data);
        assert_eq!(
            serde_json::to_value(StructJson(&data)).unwrap(),
            json!({"int": 3, "float": 2.5, "negative": -7, "huge": 1e300, "null": null, "text": "x",
                   "list": [1, null, null], "nested": {"deep": true}})
        );
        assert_eq!(violations.iter().map(|v| v.field.as_str()).collect::<Vec<_>>(), ["data.list[1]"]);
    }
}
