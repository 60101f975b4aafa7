//! `tenet test`: case files run against their rules, reported as text,
//! JSON or JUnit XML.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use clap::ValueEnum;

use tenet::cases;
use tenet::diag::Diagnostic;

/// How `tenet test` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    /// One line per failing case and the closing `N passed, M failed`
    Text,
    Json,
    /// JUnit XML, for CI systems that show test results
    Junit,
    /// A SARIF 2.1.0 log with a result for each failing case, for code-scanning tools
    Sarif,
}

/// What `tenet test` was asked to do.
pub struct Options<'a> {
    pub paths: &'a [PathBuf],
    pub snapshot: bool,
    pub update: bool,
    pub coverage: bool,
    pub format: TestFormat,
    /// Only the cases whose id or path contains this, ignoring case.
    pub filter: Option<&'a str>,
}

/// Runs the cases: the exit code, the report, and problems with the paths or rules.
pub fn run(options: &Options<'_>) -> (u8, String, Vec<Diagnostic>) {
    let Options { paths, snapshot, update, coverage, format, filter } = *options;
    let (mut files, problems) = cases::discover(paths);
    if !problems.is_empty() {
        return (1, String::new(), problems);
    }
    if let Some(pattern) = filter {
        let pattern = pattern.to_lowercase();
        files.retain(|file| {
            file.display().to_string().to_lowercase().contains(&pattern)
                || cases::case_id(file).is_some_and(|id| id.to_lowercase().contains(&pattern))
        });
        if files.is_empty() {
            let diagnostic = Diagnostic::error(
                "tenet::test::no_cases",
                format!("no case's id or path contains `{}`", options.filter.unwrap_or_default()),
            )
            .help("the filter is matched against case ids and file paths, ignoring case");
            return (1, String::new(), vec![diagnostic]);
        }
    }
    let mut runner = cases::Runner::default();
    let mut results = Vec::with_capacity(files.len());
    let mut changed = BTreeMap::new();
    for file in &files {
        let result = runner.run(file);
        if snapshot && let Some(explanation) = &result.explanation {
            let path = cases::snapshot_path(file);
            if update {
                if let Err(error) = std::fs::write(&path, explanation) {
                    changed.insert(file.clone(), format!("cannot write {}: {error}", path.display()));
                }
            } else {
                match std::fs::read_to_string(&path) {
                    Ok(old) => {
                        if let Some(diff) = cases::snapshot_diff(&old, explanation) {
                            changed.insert(file.clone(), diff);
                        }
                    }
                    Err(_) => {
                        changed.insert(
                            file.clone(),
                            format!("no snapshot at {}; run with --snapshot --update", path.display()),
                        );
                    }
                }
            }
        }
        results.push(result);
    }
    let mut diagnostics = Vec::new();
    for (dir, loaded) in runner.rule_sets() {
        if loaded.has_errors() {
            diagnostics.push(Diagnostic::error(
                "tenet::test::rules",
                format!("the rules in `{}` have errors; run `tenet check {}`", dir.display(), dir.display()),
            ));
        }
    }
    let coverages: Vec<cases::Coverage> = if coverage {
        runner
            .rule_sets()
            .filter(|(_, loaded)| !loaded.has_errors())
            .map(|(dir, loaded)| cases::coverage(dir, loaded, runner.runs.get(dir).map_or(&[][..], Vec::as_slice)))
            .collect()
    } else {
        Vec::new()
    };
    let failed = results.iter().any(|result| !matches!(result.verdict, cases::Verdict::Pass)) || !changed.is_empty();
    let text = if format == TestFormat::Junit {
        junit(&results, &changed)
    } else if format == TestFormat::Sarif {
        sarif(&results, &changed)
    } else if format == TestFormat::Json {
        let json = serde_json::json!({
            "cases": results.iter().map(|result| case_json(result, changed.get(&result.path))).collect::<Vec<_>>(),
            "passed": results.iter().filter(|result| matches!(result.verdict, cases::Verdict::Pass) && !changed.contains_key(&result.path)).count(),
            "failed": results.iter().filter(|result| !matches!(result.verdict, cases::Verdict::Pass) || changed.contains_key(&result.path)).count(),
            "coverage": coverages,
        });
        serde_json::to_string_pretty(&json).unwrap_or_default() + "\n"
    } else {
        let mut text = cases::summary_text(&results, &changed);
        for coverage in &coverages {
            text.push_str(&cases::coverage_text(coverage));
        }
        text
    };
    (u8::from(failed), text, diagnostics)
}

fn case_json(result: &cases::CaseResult, snapshot: Option<&String>) -> serde_json::Value {
    let (status, details): (&str, Vec<String>) = match &result.verdict {
        cases::Verdict::Pass if snapshot.is_none() => ("pass", Vec::new()),
        cases::Verdict::Pass => ("fail", Vec::new()),
        cases::Verdict::Fail(mismatches) => {
            ("fail", mismatches.iter().map(|mismatch| format!("{}: {}", mismatch.field, mismatch.detail)).collect())
        }
        cases::Verdict::Error(problems) => ("error", problems.clone()),
    };
    serde_json::json!({
        "id": result.id,
        "title": result.title,
        "path": result.path.display().to_string(),
        "status": status,
        "differences": details,
        "explanation_diff": snapshot,
    })
}

/// The results as JUnit XML: one test suite per directory of cases, one test
/// case per case file, with a `failure` for a wrong outcome and an `error` for
/// a case that could not run.
fn junit(results: &[cases::CaseResult], changed: &BTreeMap<PathBuf, String>) -> String {
    let mut suites: BTreeMap<String, Vec<&cases::CaseResult>> = BTreeMap::new();
    for result in results {
        let dir = result.path.parent().map(|dir| dir.display().to_string()).unwrap_or_default();
        suites.entry(dir).or_default().push(result);
    }
    let failed = |result: &cases::CaseResult| {
        matches!(result.verdict, cases::Verdict::Fail(_))
            || (matches!(result.verdict, cases::Verdict::Pass) && changed.contains_key(&result.path))
    };
    let errored = |result: &cases::CaseResult| matches!(result.verdict, cases::Verdict::Error(_));
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"tenet\" tests=\"{}\" failures=\"{}\" errors=\"{}\">",
        results.len(),
        results.iter().filter(|result| failed(result)).count(),
        results.iter().filter(|result| errored(result)).count()
    );
    for (dir, members) in &suites {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\">",
            xml(dir),
            members.len(),
            members.iter().filter(|result| failed(result)).count(),
            members.iter().filter(|result| errored(result)).count()
        );
        for result in members {
            let name =
                if result.title.is_empty() { result.id.clone() } else { format!("{}: {}", result.id, result.title) };
            let open = format!(
                "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\"",
                xml(&name),
                xml(dir),
                xml(&result.path.display().to_string())
            );
            // A passing case is an empty element; otherwise one `failure` or `error`
            // whose message is the first problem and whose text lists them all.
            let problem: Option<(&str, Vec<String>)> = match &result.verdict {
                cases::Verdict::Pass => changed
                    .get(&result.path)
                    .map(|diff| ("failure", vec![String::from("the explanation changed"), diff.clone()])),
                cases::Verdict::Fail(mismatches) => Some((
                    "failure",
                    mismatches.iter().map(|mismatch| format!("{}: {}", mismatch.field, mismatch.detail)).collect(),
                )),
                cases::Verdict::Error(problems) => Some(("error", problems.clone())),
            };
            match problem {
                None => {
                    let _ = writeln!(out, "{open}/>");
                }
                Some((tag, details)) => {
                    let _ = writeln!(out, "{open}>");
                    let message = xml(details.first().map_or("", String::as_str));
                    let _ = writeln!(out, "      <{tag} message=\"{message}\">{}</{tag}>", xml(&details.join("\n")));
                    let _ = writeln!(out, "    </testcase>");
                }
            }
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    out.push_str("</testsuites>\n");
    out
}

/// The failing cases as SARIF results, each at its case file.
fn sarif(results: &[cases::CaseResult], changed: &BTreeMap<PathBuf, String>) -> String {
    let mut found = Vec::new();
    for result in results {
        let (code, level, details): (&str, &str, Vec<String>) = match &result.verdict {
            cases::Verdict::Pass => match changed.get(&result.path) {
                Some(diff) => ("tenet::test::snapshot", "error", vec![format!("the explanation changed:\n{diff}")]),
                None => continue,
            },
            cases::Verdict::Fail(mismatches) => (
                "tenet::test::failed",
                "error",
                mismatches.iter().map(|mismatch| format!("{}: {}", mismatch.field, mismatch.detail)).collect(),
            ),
            cases::Verdict::Error(problems) => ("tenet::test::error", "error", problems.clone()),
        };
        let file = result.path.display().to_string();
        found.push(serde_json::json!({
            "ruleId": code,
            "level": level,
            "message": { "text": format!("case `{}` ({}): {}", result.id, result.title, details.join("; ")) },
            "locations": [tenet::diag::sarif_location(&file, None, "")],
        }));
    }
    tenet::diag::sarif_log(found).to_string() + "\n"
}

/// Text for XML attributes and content; characters XML 1.0 cannot hold are dropped.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for char in text.chars() {
        match char {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(char),
            char if char < ' ' || char == '\u{fffe}' || char == '\u{ffff}' => {}
            char => out.push(char),
        }
    }
    out
}
