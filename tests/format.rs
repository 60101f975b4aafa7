//! `tenet fmt` never changes meaning, is idempotent, and restores scrambled
//! layouts: checked over every rule file in `rules/` and `tests/cases/`.
//! The files in `rules/` are kept in canonical form, byte for byte.

#![allow(clippy::panic, reason = "a test fails by panicking")]

use std::path::{Path, PathBuf};

use tenet::format::format;
use tenet::source::FileId;
use tenet::syntax::parse;

fn rule_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            rule_files(&path, out);
        } else if path.extension().is_some_and(|extension| extension == "tenet") {
            out.push(path);
        }
    }
}

/// The layouts a reviewer's editor might produce, none of which changes meaning.
fn scrambles(text: &str) -> Vec<(&'static str, String)> {
    let stripped: String = text.lines().map(|line| format!("{}\n", line.trim_start())).collect();
    let tripled = text.replace("\n\n", "\n\n\n\n");
    let trailing: String = text.lines().map(|line| format!("{line}   \n")).collect();
    let all: String = tripled.lines().map(|line| format!("{}  \t\n", line.trim_start())).collect();
    vec![
        ("indentation stripped", stripped),
        ("blank lines tripled", tripled),
        ("trailing spaces", trailing),
        ("all three", all),
    ]
}

#[test]
fn formatting_keeps_meaning_and_is_idempotent() {
    let mut files = Vec::new();
    rule_files(Path::new("rules"), &mut files);
    rule_files(Path::new("tests/cases"), &mut files);
    files.sort();
    let mut checked = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let (tree, diagnostics) = parse(FileId(0), &text);
        if diagnostics.iter().any(|diagnostic| diagnostic.is_error()) {
            assert!(
                format(FileId(0), &text).is_err(),
                "{}: a file that does not parse must be refused",
                path.display()
            );
            continue;
        }
        let formatted = format(FileId(0), &text).unwrap_or_else(|_| panic!("{}: does not format", path.display()));
        let (again, problems) = parse(FileId(0), &formatted);
        assert!(
            !problems.iter().any(|problem| problem.is_error()),
            "{}: formatted text does not parse:\n{formatted}",
            path.display()
        );
        assert_eq!(tree, again, "{}: formatting changed the meaning", path.display());
        assert_eq!(
            format(FileId(0), &formatted).ok().as_deref(),
            Some(formatted.as_str()),
            "{}: not idempotent",
            path.display()
        );
        for (name, scrambled) in scrambles(&text) {
            let restored =
                format(FileId(0), &scrambled).unwrap_or_else(|_| panic!("{}: {name} does not parse", path.display()));
            assert_eq!(restored, formatted, "{}: {name} is not restored", path.display());
        }
        if path.starts_with("rules") {
            assert_eq!(formatted, text, "{} is not in canonical form: run `tenet fmt rules`", path.display());
        }
        checked += 1;
    }
    assert!(checked > 20, "expected the rule files of rules/ and tests/cases, found {checked}");
}
