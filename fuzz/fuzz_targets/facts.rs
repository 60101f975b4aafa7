//! Any bytes as a request's facts (JSON, or YAML when the first byte is odd)
//! against the shipped rules: read, checked, evaluated and explained without a
//! panic, and every error names its place.
#![no_main]

use std::path::PathBuf;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use tenet::facts::{self, Schema};
use tenet::load::{Loaded, load};
use tenet::render::Report;

static RULES: LazyLock<(Loaded, Schema)> = LazyLock::new(|| {
    let loaded = load(&[PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../rules"))]);
    assert!(!loaded.has_errors(), "the shipped rules must check");
    let schema = Schema::new(&loaded.program);
    (loaded, schema)
});

fuzz_target!(|data: &[u8]| {
    let Some((&first, text)) = data.split_first() else { return };
    let yaml = first % 2 == 1;
    let (loaded, schema) = &*RULES;
    let program = &loaded.program;
    match facts::from_text(program, schema, text, yaml, None) {
        Ok(facts) => {
            let outcome = tenet::eval::evaluate(program, &facts);
            for error in outcome.error_diagnostics(program) {
                assert!(error.primary.is_some() || error.message.contains('`'), "an evaluation error without a place");
            }
            let report = Report::new(program, &facts, &outcome);
            let _ = report.text(true);
            let _ = serde_json::to_string(&report.json(true));
        }
        Err(diagnostics) => {
            assert!(!diagnostics.is_empty());
            for diagnostic in diagnostics {
                // A facts error names a field (in backticks), a line, or the whole document.
                let message = &diagnostic.message;
                assert!(
                    message.contains('`')
                        || message.contains("line ")
                        || message.contains("document")
                        || message.starts_with("the facts "),
                    "a facts error without a place: {message}"
                );
            }
        }
    }
});
