//! `tenet schema`: the generated JSON Schema accepts every request that
//! `tenet eval` accepts (every example and shipped case) and rejects requests
//! that `tenet eval` rejects (a mutated field of each), checked with a
//! maintained JSON Schema validator.

#![allow(clippy::panic, reason = "a test fails by panicking")]

use std::path::{Path, PathBuf};

mod common;

#[test]
fn the_schema_accepts_what_eval_accepts_and_rejects_mutations() {
    let output = common::tenet(&["schema", "rules"]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let schema: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| panic!("{error}"));
    assert!(jsonschema::meta::is_valid(&schema), "the schema itself is not a valid 2020-12 schema");
    let validator = jsonschema::draft202012::new(&schema).unwrap_or_else(|error| panic!("{error}"));
    let loaded = tenet::load::load(&[PathBuf::from("rules")]);
    let vocabulary = tenet::facts::Schema::new(&loaded.program);
    let mut found = Vec::new();
    common::requests(Path::new("examples"), &mut found);
    common::requests(Path::new("rules/cases"), &mut found);
    assert!(found.len() > 50, "too few requests: {}", found.len());
    for (path, request) in &found {
        let accepted = tenet::facts::from_value(&loaded.program, &vocabulary, request, None).is_ok();
        let valid = validator.is_valid(request);
        assert_eq!(valid, accepted, "{}: schema says {valid}, eval says {accepted}", path.display());
        // Mutations eval refuses: an unknown field, a wrong type, an unknown value.
        let mut unknown = request.clone();
        if let Some(object) = unknown.as_object_mut() {
            object.insert(String::from("surprise"), serde_json::Value::Bool(true));
        }
        let mut wrong_type = request.clone();
        if let Some(object) = wrong_type.as_object_mut() {
            object.insert(String::from("kind"), serde_json::json!(42));
        }
        let mut unknown_value = request.clone();
        if let Some(object) = unknown_value.as_object_mut() {
            object.insert(String::from("kind"), serde_json::json!("government_demnd"));
        }
        let mut bad_date = request.clone();
        if let Some(object) = bad_date.as_object_mut() {
            object.insert(String::from("as_of"), serde_json::json!("01/02/2025"));
        }
        for (what, mutated) in [
            ("unknown field", unknown),
            ("wrong type", wrong_type),
            ("unknown value", unknown_value),
            ("bad date", bad_date),
        ] {
            assert!(
                tenet::facts::from_value(&loaded.program, &vocabulary, &mutated, None).is_err(),
                "{}: eval accepts the {what}",
                path.display()
            );
            assert!(!validator.is_valid(&mutated), "{}: the schema accepts the {what}", path.display());
        }
    }
}
