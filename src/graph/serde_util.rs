//! Deserializers for the ways Graph writes the same value differently.

use serde::{Deserialize, Deserializer};

/// Graph ids are strings, but some answers write them as JSON numbers.
pub(super) fn string_or_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Text(String),
        Number(u64),
    }
    Ok(match Id::deserialize(deserializer)? {
        Id::Text(s) => s,
        Id::Number(n) => n.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Object {
        #[serde(deserialize_with = "string_or_number")]
        id: String,
    }

    #[test]
    fn ids_are_strings_or_numbers() {
        let text: Object = serde_json::from_str(r#"{"id":"1938475610293847"}"#).unwrap();
        let number: Object = serde_json::from_str(r#"{"id":1938475610293847}"#).unwrap();
        assert_eq!((text.id.as_str(), number.id.as_str()), ("1938475610293847", "1938475610293847"));
        assert!(serde_json::from_str::<Object>(r#"{"id":true}"#).is_err());
    }
}
