#![allow(clippy::panic, reason = "a test fails by panicking")]

//! The flagship rule set against its cases: every file in `rules/cases` must
//! pass, and the explanation of each must equal the snapshot beside it
//! (`<case>.explanation.txt`, the file `tenet test --snapshot` compares), so a
//! reviewer sees in the pull request how the reasoning changed, not only the
//! decision. After a deliberate change: `tenet test rules/cases --snapshot --update`.

use std::path::{Path, PathBuf};

use tenet::cases::{Runner, Verdict, discover, snapshot_diff, snapshot_path};

#[test]
fn flagship_cases() {
    let (files, problems) = discover(&[PathBuf::from("rules/cases")]);
    assert!(problems.is_empty(), "{problems:?}");
    assert!(files.len() >= 77, "the shipped cases are missing: {} found", files.len());
    let mut runner = Runner::default();
    let mut failures = Vec::new();
    for path in &files {
        let result = runner.run(path);
        let shown = path.display();
        match &result.verdict {
            Verdict::Pass => {}
            Verdict::Fail(mismatches) => {
                let details: Vec<String> = mismatches.iter().map(|m| format!("{}: {}", m.field, m.detail)).collect();
                failures.push(format!("{} ({shown}) failed:\n{}", result.id, details.join("\n")));
                continue;
            }
            Verdict::Error(problems) => {
                failures.push(format!("{} ({shown}) could not run:\n{}", result.id, problems.join("\n")));
                continue;
            }
        }
        let explanation = result.explanation.unwrap_or_default();
        let snapshot = snapshot_path(path);
        match std::fs::read_to_string(&snapshot) {
            Ok(old) => {
                if let Some(diff) = snapshot_diff(&old, &explanation) {
                    failures.push(format!("{} ({shown}): the explanation changed:\n{diff}", result.id));
                }
            }
            Err(error) => failures.push(format!("{}: no snapshot ({error})", relative(&snapshot).display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n\nIf the change is intended: cargo run -- test rules/cases --snapshot --update",
        failures.join("\n\n")
    );
    // Legal coverage: every rule fires in some case, every jurisdiction applies in some
    // case, and every effective/until date has a case on each side of it.
    for (dir, loaded) in runner.rule_sets() {
        let coverage = tenet::cases::coverage(dir, loaded, runner.runs.get(dir).map_or(&[][..], Vec::as_slice));
        assert!(
            coverage.rules_not_fired.is_empty()
                && coverage.jurisdictions_not_applicable.is_empty()
                && coverage.boundaries_not_exercised.is_empty(),
            "the cases leave part of the rules untested (add cases, or fix a rule that cannot fire):\n{}",
            tenet::cases::coverage_text(&coverage)
        );
    }
}

fn relative(path: &Path) -> &Path {
    path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(path)
}
