//! The reference samples, for the unit tests that check the emulator's
//! JSON against them, read at test time from `tests/fixtures/` (copies of the
//! reference samples). A sample a test names must exist: a check that finds
//! nothing to compare fails rather than passing vacuously.

use std::path::PathBuf;

use serde_json::Value;

/// The sample directories this checkout has.
pub(super) fn dirs() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    vec![root.join("tests/fixtures/cloud-api"), root.join("tests/fixtures/webhooks")]
}

/// Every sample whose file name starts with `prefix`, by name.
pub(super) fn load(prefix: &str) -> Vec<(String, Value)> {
    let mut found: Vec<(String, Value)> = Vec::new();
    for dir in dirs() {
        for entry in std::fs::read_dir(dir).expect("read samples").flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(prefix) && name.ends_with(".json") && !found.iter().any(|(n, _)| *n == name) {
                let text = std::fs::read_to_string(entry.path()).expect("read sample");
                found.push((name, serde_json::from_str(&text).expect("sample is JSON")));
            }
        }
    }
    assert!(!found.is_empty(), "no sample named {prefix}* in {:?}", dirs());
    found
}

/// The sorted keys of a JSON object.
pub(super) fn keys(v: &Value) -> Vec<String> {
    let mut keys: Vec<String> = v.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
    keys.sort();
    keys
}
