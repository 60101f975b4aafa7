//! `tenet diff`: what changed between two rule sets, by meaning.

use std::io::Write as _;
use std::path::PathBuf;

use clap::ValueEnum;
use jiff::civil::Date;
use tenet::diag::Diagnostic;
use tenet::source::Sources;

use super::Reporter;

/// How `tenet diff` and `tenet replay` print their report.
#[derive(Clone, Copy, PartialEq, ValueEnum)]
pub enum DiffFormat {
    Text,
    Markdown,
    Json,
}

/// Compares OLD and NEW (or PATH at a git revision with the working tree).
pub fn run(
    paths: &[PathBuf],
    git: Option<String>,
    format: DiffFormat,
    exhaustive: bool,
    as_of: Option<Date>,
    report: Reporter<'_>,
) -> u8 {
    let (old, new, label, cleanup) = match (git, paths) {
        (Some(rev), [] | [_]) => {
            let path = paths.first().cloned().unwrap_or_else(|| PathBuf::from("rules"));
            match super::git::tree(&rev, &path) {
                Ok((root, old)) => (old, path.clone(), Some(format!("{} at {rev}", path.display())), Some(root)),
                Err(message) => {
                    report(&[Diagnostic::error("tenet::diff::git", message)], &Sources::default());
                    return 1;
                }
            }
        }
        (None, [old, new]) => (old.clone(), new.clone(), None, None),
        _ => {
            eprintln!(
                "error: give OLD and NEW rule directories, or --git REV [PATH]\n\nFor more information, try '--help'."
            );
            return 2;
        }
    };
    let mut diff = tenet::diff::diff(&old, &new);
    if exhaustive {
        let as_of = as_of.unwrap_or_else(|| jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date());
        tenet::diff::exhaustive(&mut diff, &old, &new, as_of);
    }
    if let Some(label) = label {
        diff.old = label;
    }
    if let Some(root) = cleanup {
        let _ = std::fs::remove_dir_all(root);
    }
    let text = match format {
        DiffFormat::Text => diff.text(),
        DiffFormat::Markdown => diff.markdown(),
        DiffFormat::Json => serde_json::to_string_pretty(&diff).unwrap_or_default() + "\n",
    };
    let _ = std::io::stdout().write_all(text.as_bytes());
    u8::from(diff.has_problems())
}
