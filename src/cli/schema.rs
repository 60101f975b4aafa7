//! `tenet schema RULES`: the JSON Schema of a request, from the vocabulary.

use std::path::PathBuf;

use tenet::diag::Diagnostic;
use tenet::load::load;

/// The exit code, the schema as pretty JSON (empty on errors), and the rules' diagnostics.
pub fn run(rules: PathBuf) -> (u8, String, tenet::load::Loaded) {
    let loaded = load(&[rules]);
    if loaded.has_errors() {
        return (1, String::new(), loaded);
    }
    let schema = tenet::schema::request_schema(&loaded.program, &loaded.sources);
    let text = serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n";
    (0, text, loaded)
}

/// Only the errors: warnings of the rules do not belong beside a schema.
pub fn errors(loaded: &tenet::load::Loaded) -> Vec<Diagnostic> {
    loaded.diagnostics.iter().filter(|diagnostic| diagnostic.is_error()).cloned().collect()
}
