//! Case files: a request's facts with the outcome a reviewer expects, run
//! against the rules of the nearest rule directory (`tenet test`).
//!
//! A case file is JSON or YAML with `id`, `title`, `facts`, `expected` and `why`.
//! Every field of `expected` is compared: `actions` as a set, `rules` as rules
//! that must have fired (others may fire too), any other declared outcome exactly.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value as Json};

use crate::diag::Diagnostic;
use crate::eval::{Outcome, Status, evaluate};
use crate::facts::{self, Schema};
use crate::load::{Loaded, load};
use crate::render::Report;

/// One difference between what a case expects and what the rules decided.
#[derive(Clone, Debug, PartialEq)]
pub struct Mismatch {
    pub field: String,
    pub detail: String,
}

/// What happened to one case.
#[derive(Clone, Debug)]
pub enum Verdict {
    Pass,
    Fail(Vec<Mismatch>),
    /// The case could not be run: unreadable, not a case, or facts with errors.
    Error(Vec<String>),
}

#[derive(Clone, Debug)]
pub struct CaseResult {
    pub path: PathBuf,
    pub id: String,
    pub title: String,
    pub verdict: Verdict,
    /// The explanation as text, when the case ran.
    pub explanation: Option<String>,
}

/// The `*.json` case files under the paths, sorted.
pub fn discover(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Diagnostic>) {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        if path.is_file() {
            found.push(path.clone());
        } else if path.is_dir() {
            walk(path, &mut found);
        } else {
            problems.push(Diagnostic::error(
                "tenet::test::io",
                format!("cannot read `{}`: no such file or directory", path.display()),
            ));
        }
    }
    found.sort();
    found.dedup();
    (found, problems)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut children: Vec<PathBuf> = entries.filter_map(Result::ok).map(|entry| entry.path()).collect();
    children.sort();
    for child in children {
        if child.is_dir() {
            walk(&child, found);
        } else if child.extension().is_some_and(|extension| extension == "json") || crate::facts::is_yaml(&child) {
            found.push(child);
        }
    }
}

/// The nearest directory at or above the case's own that holds `*.tenet` files.
pub fn rules_dir_for(case: &Path) -> Option<PathBuf> {
    let start = case.parent()?;
    start.ancestors().find(|dir| holds_rules(dir)).map(Path::to_path_buf)
}

fn holds_rules(dir: &Path) -> bool {
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|entry| entry.path().extension().is_some_and(|extension| extension == "tenet"))
    })
}

/// Loaded rule directories, by path, so each is read once.
#[derive(Default)]
pub struct Runner {
    rule_sets: BTreeMap<PathBuf, (Loaded, Schema)>,
    /// Outcomes per rule directory, for coverage.
    pub runs: BTreeMap<PathBuf, Vec<Outcome>>,
}

impl Runner {
    /// The rule set for a directory, loading it on first use.
    pub fn rules(&mut self, dir: &Path) -> &(Loaded, Schema) {
        self.rule_sets.entry(dir.to_path_buf()).or_insert_with(|| {
            let loaded = load(&[dir.to_path_buf()]);
            let schema = Schema::new(&loaded.program);
            (loaded, schema)
        })
    }

    pub fn rule_sets(&self) -> impl Iterator<Item = (&PathBuf, &Loaded)> {
        self.rule_sets.iter().map(|(dir, (loaded, _))| (dir, loaded))
    }

    /// Runs one case file.
    pub fn run(&mut self, path: &Path) -> CaseResult {
        let stem = path.file_stem().map(|stem| stem.to_string_lossy().to_string()).unwrap_or_default();
        let mut result = CaseResult {
            path: path.to_path_buf(),
            id: stem,
            title: String::new(),
            verdict: Verdict::Pass,
            explanation: None,
        };
        let case = match read_case(path) {
            Ok(case) => case,
            Err(problem) => {
                result.verdict = Verdict::Error(vec![problem]);
                return result;
            }
        };
        if let Some(id) = case.get("id").and_then(Json::as_str) {
            result.id = id.to_string();
        }
        result.title = case.get("title").and_then(Json::as_str).unwrap_or_default().to_string();
        let Some(dir) = rules_dir_for(path) else {
            result.verdict =
                Verdict::Error(vec![String::from("no directory of `.tenet` rule files at or above this case")]);
            return result;
        };
        let (loaded, schema) = self.rules(&dir);
        if loaded.has_errors() {
            result.verdict = Verdict::Error(vec![format!(
                "the rules in `{}` have errors; run `tenet check {}`",
                dir.display(),
                dir.display()
            )]);
            return result;
        }
        let program = &loaded.program;
        // A case says why its outcome is right: a reviewer reads that, not the JSON.
        if case.get("why").and_then(Json::as_str).is_none_or(|why| why.trim().is_empty()) {
            result.verdict = Verdict::Error(vec![String::from(
                "the case has no `why`: say in a sentence why this is the expected outcome, citing the provision",
            )]);
            return result;
        }
        let facts_json = case.get("facts").cloned().unwrap_or(Json::Null);
        let facts = match facts::from_value(program, schema, &facts_json, None) {
            Ok(facts) => facts,
            Err(diagnostics) => {
                let problems = diagnostics
                    .iter()
                    .map(|diagnostic| match &diagnostic.help {
                        Some(help) => format!("facts: {} ({help})", diagnostic.message),
                        None => format!("facts: {}", diagnostic.message),
                    })
                    .collect();
                result.verdict = Verdict::Error(problems);
                return result;
            }
        };
        let outcome = evaluate(program, &facts);
        if !outcome.errors.is_empty() {
            let problems =
                outcome.error_diagnostics(program).into_iter().map(|diagnostic| diagnostic.message).collect();
            result.verdict = Verdict::Error(problems);
            return result;
        }
        let report = Report::new(program, &facts, &outcome);
        let actual = report.json(false);
        let mismatches = match case.get("expected") {
            Some(Json::Object(expected)) => compare(expected, &actual, program),
            _ => vec![Mismatch {
                field: String::from("expected"),
                detail: String::from("the case has no `expected` object"),
            }],
        };
        result.verdict = if mismatches.is_empty() { Verdict::Pass } else { Verdict::Fail(mismatches) };
        result.explanation = Some(report.text(true));
        self.runs.entry(dir).or_default().push(outcome);
        result
    }
}

/// A case file's `id`, without running it.
pub fn case_id(path: &Path) -> Option<String> {
    read_case(path).ok()?.get("id").and_then(Json::as_str).map(str::to_string)
}

fn read_case(path: &Path) -> Result<Map<String, Json>, String> {
    let bytes = crate::facts::read_bounded(path).map_err(|diagnostic| diagnostic.message)?;
    match crate::facts::read_document(&bytes, crate::facts::is_yaml(path)) {
        Ok(Json::Object(case)) => Ok(case),
        Ok(_) => Err(String::from("a case file is an object with `id`, `title`, `facts`, `expected` and `why`")),
        Err(problem) => Err(problem.message),
    }
}

/// Compares every expected field with the actual JSON outcome.
fn compare(expected: &Map<String, Json>, actual: &Json, program: &crate::check::Program) -> Vec<Mismatch> {
    let mut out = Vec::new();
    for (field, want) in expected {
        let got = actual.get(field).cloned().unwrap_or(Json::Null);
        let mismatch = match field.as_str() {
            "actions" => compare_set(want, &got),
            "rules" => must_have_fired(want, &got),
            // `"conflicts": ["disclose_content"]`: the acts and outcomes in conflict, as a set.
            "conflicts" if want.as_array().is_some_and(|items| items.iter().all(Json::is_string)) => {
                let about: Json = got
                    .as_array()
                    .map(|conflicts| conflicts.iter().filter_map(|conflict| conflict.get("about").cloned()).collect())
                    .unwrap_or_default();
                compare_set(want, &about)
            }
            _ if program.outcomes.iter().any(|def| def.name == *field) || field == "conflicts" => (normalise(want)
                != normalise(&got))
            .then(|| format!("expected {}, got {}", compact(want), compact(&got))),
            _ => {
                let known = program.outcomes.iter().map(|def| def.name.as_str()).chain(["rules", "conflicts"]);
                let hint = crate::diag::did_you_mean(field, known)
                    .map(|best| format!("; did you mean `{best}`?"))
                    .unwrap_or_default();
                Some(format!("`{field}` is not an outcome of these rules{hint}"))
            }
        };
        if let Some(detail) = mismatch {
            out.push(Mismatch { field: field.clone(), detail });
        }
    }
    out
}

/// An empty map or list and `null` mean the same: nothing concluded.
fn normalise(value: &Json) -> Json {
    match value {
        Json::Object(map) if map.is_empty() => Json::Null,
        Json::Array(list) if list.is_empty() => Json::Null,
        other => other.clone(),
    }
}

fn strings(value: &Json) -> BTreeSet<String> {
    value
        .as_array()
        .map(|items| items.iter().filter_map(Json::as_str).map(str::to_string).collect())
        .unwrap_or_default()
}

fn compare_set(want: &Json, got: &Json) -> Option<String> {
    let (want, got) = (strings(want), strings(got));
    if want == got {
        return None;
    }
    let missing: Vec<&str> = want.difference(&got).map(String::as_str).collect();
    let unexpected: Vec<&str> = got.difference(&want).map(String::as_str).collect();
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!("missing {}", missing.join(", ")));
    }
    if !unexpected.is_empty() {
        parts.push(format!("unexpected {}", unexpected.join(", ")));
    }
    Some(parts.join("; "))
}

fn must_have_fired(want: &Json, got: &Json) -> Option<String> {
    let got = strings(got);
    let missing: Vec<String> = strings(want).into_iter().filter(|rule| !got.contains(rule)).collect();
    (!missing.is_empty()).then(|| format!("did not fire: {}", missing.join(", ")))
}

fn compact(value: &Json) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// The text of a run: one line per case, the differences of failing ones, and
/// the closing line `N passed, M failed`.
pub fn summary_text(results: &[CaseResult], snapshot_failures: &BTreeMap<PathBuf, String>) -> String {
    let mut out = String::new();
    let (mut passed, mut failed) = (0, 0);
    let width = results.iter().map(|result| result.id.len()).max().unwrap_or(0);
    for result in results {
        let snapshot = snapshot_failures.get(&result.path);
        let ok = matches!(result.verdict, Verdict::Pass) && snapshot.is_none();
        if ok {
            passed += 1;
            let _ = writeln!(out, "ok    {:<width$}  {}", result.id, result.title);
            continue;
        }
        failed += 1;
        let _ = writeln!(out, "FAIL  {:<width$}  {} ({})", result.id, result.title, result.path.display());
        match &result.verdict {
            Verdict::Pass => {}
            Verdict::Fail(mismatches) => {
                for mismatch in mismatches {
                    let _ = writeln!(out, "        {}: {}", mismatch.field, mismatch.detail);
                }
            }
            Verdict::Error(problems) => {
                for problem in problems {
                    let _ = writeln!(out, "        error: {problem}");
                }
            }
        }
        if let Some(diff) = snapshot {
            let _ = writeln!(out, "        explanation changed:");
            for line in diff.lines() {
                let _ = writeln!(out, "        {line}");
            }
        }
    }
    let _ = writeln!(out, "{passed} passed, {failed} failed");
    out
}

/// Where a case's explanation snapshot lives: `S01.json` → `S01.explanation.txt`.
pub fn snapshot_path(case: &Path) -> PathBuf {
    let stem = case.file_stem().map(|stem| stem.to_string_lossy().to_string()).unwrap_or_default();
    case.with_file_name(format!("{stem}.explanation.txt"))
}

/// A unified diff of an explanation against its snapshot, or `None` if equal.
pub fn snapshot_diff(old: &str, new: &str) -> Option<String> {
    if old == new {
        return None;
    }
    let diff = similar::TextDiff::from_lines(old, new);
    Some(diff.unified_diff().context_radius(2).header("snapshot", "now").to_string())
}

/// Legal coverage of the cases run against one rule set.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Coverage {
    pub rules_dir: String,
    pub cases: usize,
    pub rules: usize,
    pub rules_not_fired: Vec<String>,
    pub jurisdictions_not_applicable: Vec<String>,
    pub boundaries_not_exercised: Vec<Boundary>,
}

/// A date on which a rule comes into or goes out of force.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Boundary {
    pub rule: String,
    /// `effective` (in force from this date) or `until` (last day in force).
    pub kind: &'static str,
    pub date: String,
    /// Which side no case evaluates while the rule's jurisdiction applies: `before` or `after`.
    pub missing: &'static str,
}

/// What the cases leave untested: rules never fired, jurisdictions never
/// applicable, and date boundaries with no case on one side. A boundary
/// counts as exercised when cases on both sides find the rule's jurisdiction
/// applicable, so that the date is what decides.
pub fn coverage(dir: &Path, loaded: &Loaded, outcomes: &[Outcome]) -> Coverage {
    let program = &loaded.program;
    let fired = |rule: usize| outcomes.iter().any(|outcome| outcome.status.get(rule) == Some(&Status::Fired));
    let rules_not_fired = (0..program.rules.len())
        .filter(|rule| !fired(*rule))
        .filter_map(|rule| program.rules.get(rule).map(|def| def.id.clone()))
        .collect();
    let jurisdictions_not_applicable = program
        .blocks
        .iter()
        .enumerate()
        .filter(|(index, _)| !outcomes.iter().any(|outcome| outcome.blocks.get(*index).copied().unwrap_or(false)))
        .map(|(_, block)| block.id.clone())
        .collect();
    let mut boundaries = Vec::new();
    for rule in &program.rules {
        let applicable: Vec<jiff::civil::Date> = outcomes
            .iter()
            .filter(|outcome| {
                rule.block.is_none_or(|block| outcome.block_conditions.get(block).copied().unwrap_or(false))
            })
            .map(|outcome| outcome.as_of)
            .collect();
        let edges = [
            rule.from.map(|from| ("effective", from, from)),
            rule.until.and_then(|until| until.tomorrow().ok().map(|next| ("until", until, next))),
        ];
        for (kind, shown, first_day) in edges.into_iter().flatten() {
            let before = applicable.iter().any(|date| *date < first_day);
            let after = applicable.iter().any(|date| *date >= first_day);
            if !before || !after {
                boundaries.push(Boundary {
                    rule: rule.id.clone(),
                    kind,
                    date: shown.to_string(),
                    missing: if before { "after" } else { "before" },
                });
            }
        }
    }
    Coverage {
        rules_dir: dir.display().to_string(),
        cases: outcomes.len(),
        rules: program.rules.len(),
        rules_not_fired,
        jurisdictions_not_applicable,
        boundaries_not_exercised: boundaries,
    }
}

pub fn coverage_text(coverage: &Coverage) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\ncoverage of `{}` by {} cases:", coverage.rules_dir, coverage.cases);
    let _ = writeln!(
        out,
        "  rules never fired: {} of {}{}",
        coverage.rules_not_fired.len(),
        coverage.rules,
        listed(&coverage.rules_not_fired)
    );
    let _ = writeln!(
        out,
        "  jurisdictions never applicable: {}{}",
        coverage.jurisdictions_not_applicable.len(),
        listed(&coverage.jurisdictions_not_applicable)
    );
    let _ = writeln!(out, "  effective-date boundaries not exercised: {}", coverage.boundaries_not_exercised.len());
    for boundary in &coverage.boundaries_not_exercised {
        let _ =
            writeln!(out, "    {} {} {} (no case {})", boundary.rule, boundary.kind, boundary.date, boundary.missing);
    }
    out
}

fn listed(items: &[String]) -> String {
    if items.is_empty() { String::new() } else { format!(": {}", items.join(", ")) }
}
