#![allow(clippy::panic, reason = "a test fails by panicking")]

//! Data-driven tests: every file under `tests/cases/<stage>/{ok,err}` is run
//! through its stage and snapshotted with its input above what the user sees.
//! `ok` cases must produce no diagnostic; `err` cases at least one.

use std::path::{Path, PathBuf};

mod common;

use tenet::diag::{ErrorFormat, render};
use tenet::facts::{self, Schema};
use tenet::load::load;
use tenet::render::Report;
use tenet::source::{FileId, Sources};

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| format!("<cannot read {}: {error}>", path.display()))
}

/// The input as a snapshot shows it: a carriage return is written `\r` at the end of its line.
fn shown(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\\r\n")
}

/// `ok` or `err`, from the case's folder.
fn expects_errors(path: &Path) -> bool {
    path.components().any(|part| part.as_os_str() == "err")
}

fn relative(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    path.strip_prefix(root).unwrap_or(path).display().to_string()
}

fn assert_folder(path: &Path, diagnostics: usize, output: &str) {
    if expects_errors(path) {
        assert!(diagnostics > 0, "{} is an `err` case but gave no diagnostic", path.display());
    } else {
        assert!(diagnostics == 0, "{} is an `ok` case but gave diagnostics:\n{output}", path.display());
    }
}

#[test]
fn parse() {
    insta::glob!("cases/parse/**/*.tenet", |path| {
        let text = read(path);
        let mut sources = Sources::default();
        let file: FileId = sources.add(relative(path), text.as_str());
        let (_, diagnostics) = tenet::syntax::parse(file, &text);
        let rendered = render(&diagnostics, &sources, ErrorFormat::Human, false);
        assert_folder(path, diagnostics.len(), &rendered);
        insta::assert_snapshot!(format!("{}\n---- diagnostics ----\n{rendered}", shown(&text)));
    });
}

#[test]
fn check() {
    insta::glob!("cases/check/**/*.tenet", |path| {
        let text = read(path);
        let loaded = load(&[PathBuf::from(relative(path))]);
        let rendered = render(&loaded.diagnostics, &loaded.sources, ErrorFormat::Human, false);
        assert_folder(path, loaded.diagnostics.len(), &rendered);
        insta::assert_snapshot!(format!("{}\n---- diagnostics ----\n{rendered}", shown(&text)));
    });
}

/// `tenet fmt` on every rule file among the cases: the canonical text, or why
/// the file is left untouched.
#[test]
fn fmt() {
    insta::glob!("cases/**/*.tenet", |path| {
        let text = read(path);
        let mut sources = Sources::default();
        let file: FileId = sources.add(relative(path), text.as_str());
        let output = match tenet::format::format(file, &text) {
            Ok(formatted) => format!("---- formatted ----\n{formatted}"),
            Err(diagnostics) => {
                let rendered = render(&diagnostics, &sources, ErrorFormat::Plain, false);
                format!("---- left untouched ----\n{rendered}")
            }
        };
        insta::assert_snapshot!(format!("{}\n{output}", shown(&text)));
    });
}

/// Eval cases are facts (JSON or YAML) evaluated with the rules in `tests/cases/eval/rules`.
#[test]
fn eval() {
    let loaded = load(&[PathBuf::from("tests/cases/eval/rules")]);
    let rendered = render(&loaded.diagnostics, &loaded.sources, ErrorFormat::Plain, false);
    assert!(loaded.diagnostics.is_empty(), "the eval rules must check cleanly:\n{rendered}");
    let schema = Schema::new(&loaded.program);
    insta::glob!("cases/eval/**/*.{json,yaml}", |path| {
        let text = read(path);
        let output = match facts::from_text(&loaded.program, &schema, text.as_bytes(), facts::is_yaml(path), None) {
            Ok(facts) => {
                assert_folder(path, 0, "");
                let outcome = tenet::eval::evaluate(&loaded.program, &facts);
                let report = Report::new(&loaded.program, &facts, &outcome);
                let json = serde_json::to_string_pretty(&report.json(false)).unwrap_or_default();
                format!("---- text --explain ----\n{}\n---- json ----\n{json}", report.text(true))
            }
            Err(diagnostics) => {
                let rendered = render(&diagnostics, &loaded.sources, ErrorFormat::Plain, false);
                assert_folder(path, diagnostics.len(), &rendered);
                format!("---- diagnostics ----\n{rendered}")
            }
        };
        insta::assert_snapshot!(format!("{text}\n{output}"));
    });
}

/// CLI cases: each `.args` file holds one command line, run from the repository
/// root; a `.stdin` file beside it is its standard input.
#[test]
fn cli() {
    insta::glob!("cases/cli/**/*.args", |path| {
        let line = read(path);
        let args: Vec<&str> = line.split_whitespace().collect();
        let input = std::fs::read(path.with_extension("stdin")).ok();
        let output = common::tenet_with_input(&args, input.as_deref());
        let code = output.status.code().map_or(String::from("killed by a signal"), |code| code.to_string());
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        if expects_errors(path) {
            assert_ne!(output.status.code(), Some(0), "{} is an `err` case but exited 0", path.display());
        } else {
            assert_eq!(output.status.code(), Some(0), "{} is an `ok` case but failed:\n{stderr}", path.display());
        }
        let given =
            input.map(|input| format!("---- stdin ----\n{}", String::from_utf8_lossy(&input))).unwrap_or_default();
        insta::assert_snapshot!(format!(
            "$ tenet {}\n{given}---- exit: {code} ----\n---- stdout ----\n{stdout}---- stderr ----\n{stderr}",
            args.join(" ")
        ));
    });
}

/// Analyze cases are small rule sets: the report of `tenet analyze` as of
/// 2026-01-01 (over all dates for files named `*dates*`), text and JSON, and
/// every witness must evaluate to what the analysis claims.
#[test]
fn analyze() {
    insta::glob!("cases/analyze/**/*.tenet", |path| {
        let text = read(path);
        let loaded = load(&[path.to_path_buf()]);
        let rendered = render(&loaded.diagnostics, &loaded.sources, ErrorFormat::Plain, false);
        assert!(loaded.diagnostics.is_empty(), "{} must check cleanly:\n{rendered}", path.display());
        let all_dates = relative(path).contains("dates");
        let analysis = if all_dates {
            tenet::analysis::analyze::analyze_all_dates(&loaded.program)
        } else {
            let as_of = jiff::civil::date(2026, 1, 1);
            tenet::analysis::analyze::analyze(&loaded.program, as_of)
        };
        assert_eq!(analysis.disagreements(), 0, "{}: the evaluator disagrees with a witness", path.display());
        let report = tenet::analysis::report::text(&analysis);
        insta::assert_snapshot!(format!("{text}\n---- tenet analyze ----\n{report}"));
    });
}
