//! The one-pass facts reader (`facts::from_text` on JSON) against the general
//! reader (`facts::from_text_general`), which builds a JSON tree and checks it:
//! on every request in the repository and on variants of them with each field
//! replaced by values of every JSON kind, given twice, under an escaped name,
//! with a byte-order mark or trailing text. Whatever the general reader refuses
//! must be refused with the same diagnostics, and whatever it accepts must give
//! the same facts.

#![allow(clippy::panic, reason = "a test fails by panicking")]

use std::path::{Path, PathBuf};

use serde_json::{Value as Json, json};
use tenet::check::Program;
use tenet::facts::{self, Schema};

mod common;

/// Values every field is replaced with in turn.
fn replacements() -> Vec<Json> {
    vec![
        Json::Null,
        json!(true),
        json!(12),
        json!(-0.5),
        json!("12"),
        json!("2025-02-30"),
        json!("2025-02-28"),
        json!("US"),
        json!("government_demand"),
        json!([]),
        json!(["US", "DE"]),
        json!([null]),
        json!({}),
        json!({ "unknown": 1 }),
        serde_json::from_str("12345678901234567890123456789.5").unwrap_or(Json::Null),
    ]
    .into_iter()
    // Numbers as written (the reader takes a number's own text): exponents, a
    // negative zero, an exponent past any exact number, a fraction of zeros.
    .chain(["1.5e3", "25E-3", "-0", "1e400", "2.000"].map(|text| serde_json::from_str(text).unwrap_or(Json::Null)))
    .collect()
}

/// Every variant of `json` with one leaf (or object) replaced.
fn variants(json: &Json, out: &mut Vec<Json>) {
    fn walk(root: &Json, at: &mut Vec<String>, node: &Json, out: &mut Vec<Json>) {
        if let Json::Object(fields) = node {
            for (key, value) in fields {
                at.push(key.clone());
                for replacement in replacements() {
                    let mut copy = root.clone();
                    if let Some(slot) = at.iter().try_fold(&mut copy, |json, key| json.get_mut(key)) {
                        *slot = replacement;
                    }
                    out.push(copy);
                }
                walk(root, at, value, out);
                at.pop();
            }
        }
    }
    walk(json, &mut Vec::new(), json, out);
}

/// The text-level variants: laid out with whitespace around every value, a
/// field given twice, an escaped name, a byte-order mark, trailing text, a
/// truncated document, a string starting with a byte that is not UTF-8 and one
/// starting with a letter that is not ASCII.
fn texts(json: &Json) -> Vec<Vec<u8>> {
    let text = json.to_string();
    let mut out = vec![text.clone().into_bytes()];
    out.extend(serde_json::to_string_pretty(json).ok().map(|pretty| pretty.replace(": ", " :  ").into_bytes()));
    if let Some(Json::Object(fields)) = Some(json)
        && let Some((key, value)) = fields.iter().next()
    {
        out.push(format!("{{\"{key}\": {value}, {}", text.trim_start_matches('{')).into_bytes());
        let escaped: String = key.chars().map(|c| format!("\\u{:04x}", c as u32)).collect();
        out.push(text.replacen(&format!("\"{key}\""), &format!("\"{escaped}\""), 1).into_bytes());
    }
    out.push([b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat());
    out.push(format!("{text} x").into_bytes());
    if let Some(at) = text.find("\":\"") {
        let (head, tail) = text.split_at(at + 3);
        out.push([head.as_bytes(), b"\xFF", tail.as_bytes()].concat());
        out.push(format!("{head}\u{e9}{tail}").into_bytes());
    }
    out.push(text.get(..text.len() / 2).unwrap_or_default().as_bytes().to_vec());
    out
}

fn compare(program: &Program, schema: &Schema, text: &[u8], place: &Path) -> bool {
    for as_of in [None, "2024-05-01".parse().ok()] {
        let direct = facts::from_text(program, schema, text, false, as_of);
        let general = facts::from_text_general(program, schema, text, false, as_of);
        let same = match (&direct, &general) {
            (Ok(a), Ok(b)) => a == b,
            (Err(a), Err(b)) => format!("{a:?}") == format!("{b:?}"),
            _ => false,
        };
        if !same {
            panic!(
                "{}: the readers disagree on {}\none pass: {direct:?}\ngeneral: {general:?}",
                place.display(),
                String::from_utf8_lossy(text)
            );
        }
    }
    true
}

#[test]
fn the_one_pass_reader_reads_what_the_general_reader_reads() {
    let sets: [(&str, &[&str]); 2] = [
        ("rules", &["examples", "rules/cases", "tests/cases/analysis", "tests/cases/batch"]),
        ("tests/cases/eval/rules", &["tests/cases/eval/ok", "tests/cases/eval/err"]),
    ];
    let mut compared = 0;
    for (rules, requests) in sets {
        let loaded = tenet::load::load(&[PathBuf::from(rules)]);
        assert!(!loaded.has_errors(), "{rules} must check");
        let schema = Schema::new(&loaded.program);
        let mut found = Vec::new();
        for dir in requests {
            common::requests(Path::new(dir), &mut found);
        }
        assert!(!found.is_empty(), "requests expected for {rules}");
        for (path, json) in &found {
            for text in texts(json) {
                compared += usize::from(compare(&loaded.program, &schema, &text, path));
            }
            let mut all = Vec::new();
            variants(json, &mut all);
            for variant in &all {
                compared += usize::from(compare(&loaded.program, &schema, variant.to_string().as_bytes(), path));
            }
        }
        // The files as they are, malformed ones included.
        for dir in requests {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.extension().is_some_and(|extension| extension == "json") {
                    let text = std::fs::read(&path).unwrap_or_default();
                    compared += usize::from(compare(&loaded.program, &schema, &text, &path));
                }
            }
        }
    }
    assert!(compared > 10_000, "only {compared} documents compared");
}
