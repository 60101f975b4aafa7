//! SARIF output validates against the SARIF 2.1.0 JSON Schema (the copy the
//! `serde-sarif` crate ships, found in cargo's registry sources) and reads
//! back into `serde-sarif`'s typed model.

#![allow(clippy::panic, reason = "a test fails by panicking")]

use std::path::PathBuf;

mod common;

/// The SARIF 2.1.0 schema as packaged in the `serde-sarif` dev-dependency.
fn sarif_schema() -> serde_json::Value {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .unwrap_or_default();
    let registry = home.join("registry").join("src");
    let mut candidates: Vec<PathBuf> = std::fs::read_dir(&registry)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .flat_map(|index| std::fs::read_dir(index.path()).into_iter().flatten().filter_map(Result::ok))
        .map(|package| package.path())
        .filter(|path| path.file_name().is_some_and(|name| name.to_string_lossy().starts_with("serde-sarif-")))
        .map(|package| package.join("src").join("schema.json"))
        .filter(|schema| schema.is_file())
        .collect();
    candidates.sort();
    let Some(path) = candidates.pop() else {
        panic!("the SARIF schema of the serde-sarif dev-dependency is not under {}", registry.display());
    };
    let text = std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_slice(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn escape_stray_bracket(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                if key == "pattern"
                    && let serde_json::Value::String(pattern) = inner
                    && pattern.ends_with("{2}]?$")
                {
                    *pattern = pattern.replace("{2}]?$", "{2}\\]?$");
                } else {
                    escape_stray_bracket(inner);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(escape_stray_bracket),
        _ => {}
    }
}

fn sarif_of(args: &[&str]) -> serde_json::Value {
    let output = common::tenet(args);
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "`tenet {}` did not print one JSON document ({error}):\n{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

#[test]
fn sarif_output_validates_against_the_sarif_schema() {
    let schema = sarif_schema();
    let mut schema = schema;
    // The schema's `language` pattern has a stray `]` (`...-[a-zA-Z]{2}]?$`) that a
    // strict meta-schema check refuses as a regex; it means a literal `]`, written
    // escaped here. Nothing else is changed.
    escape_stray_bracket(&mut schema);
    let validator = jsonschema::draft7::new(&schema).unwrap_or_else(|error| panic!("the SARIF schema: {error}"));
    let runs = [
        vec!["check", "tests/cases/check/err/unknown_names.tenet", "--error-format", "sarif"],
        vec!["check", "tests/cases/check/err/warnings.tenet", "--error-format", "sarif"],
        vec!["check", "rules", "--error-format", "sarif"],
        vec!["test", "tests/cases/conflicts", "tests/cases/test", "--format", "sarif"],
        vec!["analyze", "tests/cases/analyze/conflicts.tenet", "--as-of", "2026-01-01", "--format", "sarif"],
        vec!["analyze", "rules", "--as-of", "2026-11-28", "--format", "sarif"],
    ];
    for args in runs {
        let log = sarif_of(&args);
        let errors: Vec<String> =
            validator.iter_errors(&log).map(|error| format!("{error} at {}", error.instance_path())).collect();
        assert!(errors.is_empty(), "`tenet {}`: not valid SARIF:\n{}", args.join(" "), errors.join("\n"));
        let typed: serde_sarif::sarif::Sarif =
            serde_json::from_value(log.clone()).unwrap_or_else(|error| panic!("`tenet {}`: {error}", args.join(" ")));
        assert_eq!(typed.runs.len(), 1);
    }
    // The validator is not a rubber stamp: a level SARIF does not know is refused.
    let mut wrong = sarif_of(&["check", "tests/cases/check/err/unknown_names.tenet", "--error-format", "sarif"]);
    wrong["runs"][0]["results"][0]["level"] = serde_json::json!("fatal");
    assert!(!validator.is_valid(&wrong), "a SARIF level `fatal` passed the schema");
    // A clean check is a log with no results, not nothing.
    let clean = sarif_of(&["check", "rules", "--error-format", "sarif"]);
    assert_eq!(clean["runs"][0]["results"].as_array().map(Vec::len), Some(0));
}
