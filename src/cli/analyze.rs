//! `tenet analyze RULES`: gaps, conflicts, dead and shadowed rules, violated
//! assertions and (with `--all-dates`) the days decisions change, for every
//! request class, with witness requests; in text, Markdown, JSON or SARIF.

use std::path::{Path, PathBuf};

use clap::ValueEnum;
use jiff::civil::Date;
use serde::Deserialize;

use tenet::analysis::analyze::{Analysis, Finding, Severity, analyze, analyze_all_dates};
use tenet::analysis::report::{markdown, text};
use tenet::check::Program;
use tenet::diag::Diagnostic;
use tenet::load::{Loaded, load};

#[derive(Clone, Copy, PartialEq, ValueEnum)]
pub enum AnalyzeFormat {
    Text,
    Markdown,
    Json,
    Sarif,
}

/// Kinds of finding that fail the run (exit 1).
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Gap,
    Conflict,
    Violation,
}

pub struct Options {
    pub rules: PathBuf,
    pub as_of: Option<Date>,
    pub all_dates: bool,
    pub format: AnalyzeFormat,
    pub deny_warnings: bool,
    pub fail_on: Vec<FailOn>,
    pub known: Option<PathBuf>,
    /// Write each finding's first witness as a case file into this directory.
    pub write_cases: Option<PathBuf>,
}

/// One reviewed finding in the known-findings file: accepted, with why.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Known {
    kind: String,
    subject: Vec<String>,
    why: String,
}

/// The file of reviewed findings next to the rules, if there is one.
pub const KNOWN_FILE: &str = "analysis-known.json";

/// Runs the analysis: exit code, output, and diagnostics (rules, known-findings file).
pub fn run(options: &Options, today: Date) -> (u8, String, Loaded, Vec<Diagnostic>) {
    let loaded = load(std::slice::from_ref(&options.rules));
    if loaded.has_errors() {
        return (1, String::new(), loaded, Vec::new());
    }
    let program = &loaded.program;
    let mut analysis =
        if options.all_dates { analyze_all_dates(program) } else { analyze(program, options.as_of.unwrap_or(today)) };
    let mut problems = Vec::new();
    let known_path = options.known.clone().or_else(|| {
        let beside = options.rules.join(KNOWN_FILE);
        beside.is_file().then_some(beside)
    });
    if let Some(path) = known_path {
        match read_known(&path) {
            Ok(known) => {
                let mut stale = Vec::new();
                apply_known(&mut analysis, &known, &path, &mut stale);
                // On one date a reviewed finding of another period is simply not there.
                if options.all_dates {
                    problems.extend(stale);
                }
            }
            Err(diagnostic) => problems.push(*diagnostic),
        }
    }
    let failing = |finding: &Finding| match finding.severity {
        Severity::Error => match finding.kind {
            "gap" => options.fail_on.contains(&FailOn::Gap),
            "conflict" => options.fail_on.contains(&FailOn::Conflict),
            "violation" => options.fail_on.contains(&FailOn::Violation),
            _ => true,
        },
        Severity::Warning => options.deny_warnings,
        Severity::Note => false,
    };
    if let Some(dir) = &options.write_cases {
        match write_cases(program, &analysis, dir) {
            Ok(count) => eprintln!("wrote {count} case files to {}", dir.display()),
            Err(diagnostic) => problems.push(*diagnostic),
        }
    }
    let failed = analysis.findings.iter().any(failing)
        || analysis.disagreements() > 0
        // A problem is an error or a warning (a reviewed entry no longer found, say).
        || problems.iter().any(|problem| problem.is_error() || options.deny_warnings);
    let text = match options.format {
        AnalyzeFormat::Text => text(&analysis),
        AnalyzeFormat::Markdown => markdown(&analysis),
        AnalyzeFormat::Json => serde_json::to_string_pretty(&analysis).unwrap_or_default() + "\n",
        AnalyzeFormat::Sarif => {
            // Notes (reviewed findings, handled conflicts, date changes) are SARIF notes.
            let results = analysis
                .findings
                .iter()
                .map(|finding| {
                    let mut result = tenet::diag::sarif_result(&as_diagnostic(program, finding), &loaded.sources);
                    if finding.severity == Severity::Note {
                        result["level"] = serde_json::Value::from("note");
                    }
                    result
                })
                .collect();
            tenet::diag::sarif_log(results).to_string() + "\n"
        }
    };
    (u8::from(failed), text, loaded, problems)
}

/// Each finding's first witness as a case file (`id`, `title`, `facts`,
/// `expected`, `why`) that passes `tenet test` as the rules stand: `expected`
/// records what the evaluator gives, for a reviewer to correct to what the law
/// requires.
fn write_cases(program: &Program, analysis: &Analysis, dir: &Path) -> Result<usize, Box<Diagnostic>> {
    let failure = |error: std::io::Error| {
        Box::new(Diagnostic::error(
            "tenet::analyze::write_cases",
            format!("cannot write case files to `{}`: {}", dir.display(), tenet::diag::io_reason(&error)),
        ))
    };
    std::fs::create_dir_all(dir).map_err(failure)?;
    let schema = tenet::facts::Schema::new(program);
    let mut written = 0;
    for (index, finding) in analysis.findings.iter().enumerate() {
        let Some(witness) = finding.region.first().and_then(|region| region.witness.as_ref()) else { continue };
        let Ok(facts) = tenet::facts::from_value(program, &schema, witness, None) else { continue };
        let outcome = tenet::eval::evaluate(program, &facts);
        let report = tenet::render::Report::new(program, &facts, &outcome).json(false);
        let mut expected = serde_json::Map::new();
        for def in &program.outcomes {
            if matches!(def.kind, tenet::check::OutcomeKind::One(_)) {
                expected.insert(def.name.clone(), report.get(&def.name).cloned().unwrap_or_default());
            }
        }
        let about: Vec<serde_json::Value> = report
            .get("conflicts")
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|conflict| conflict.get("about").cloned())
            .collect();
        expected.insert(String::from("conflicts"), serde_json::Value::from(about));
        let id = format!("analyze-{}-{}", finding.kind.replace('_', "-"), index + 1);
        let description = finding.region.first().map_or("", |region| region.description.as_str());
        let case = serde_json::json!({
            "id": id,
            "title": finding.message,
            "facts": witness,
            "expected": expected,
            "why": format!(
                "Found by `tenet analyze` ({} request classes; this one: {description}). `expected` records what the rules give today: correct it to what the law requires, citing the provision.",
                finding.classes
            ),
        });
        let text = serde_json::to_string_pretty(&case).unwrap_or_default() + "\n";
        std::fs::write(dir.join(format!("{id}.json")), text).map_err(failure)?;
        written += 1;
    }
    Ok(written)
}

fn read_known(path: &Path) -> Result<Vec<Known>, Box<Diagnostic>> {
    let shown = path.display().to_string();
    let bytes = tenet::facts::read_bounded(path)?;
    serde_json::from_slice(&bytes).map_err(|error| {
        Box::new(Diagnostic::error(
            "tenet::analyze::known_file",
            format!("{shown}:{}:{}: {error}", error.line(), error.column()),
        )
        .help("the file is a JSON array of {\"kind\": ..., \"subject\": [...], \"why\": ...}, one per reviewed finding"))
    })
}

/// Marks reviewed findings as notes that say why; a reviewed entry that matches
/// nothing any more is a warning, so that the list stays true.
fn apply_known(analysis: &mut Analysis, known: &[Known], path: &Path, problems: &mut Vec<Diagnostic>) {
    for entry in known {
        let mut matched = false;
        for finding in &mut analysis.findings {
            if finding.kind == entry.kind && finding.subject == entry.subject {
                matched = true;
                finding.severity = Severity::Note;
                finding.message = format!("{} (reviewed: {})", finding.message, entry.why);
            }
        }
        if !matched {
            problems.push(
                Diagnostic::warning(
                    "tenet::analyze::stale_known",
                    format!(
                        "{}: the reviewed {} about {} is no longer found",
                        path.display(),
                        entry.kind,
                        entry.subject.join(", ")
                    ),
                )
                .help("remove the entry: the rules changed and the finding is gone"),
            );
        }
    }
}

fn as_diagnostic(program: &Program, finding: &Finding) -> Diagnostic {
    let code = match finding.kind {
        "gap" => "tenet::analyze::gap",
        "conflict" => "tenet::analyze::conflict",
        "handled_conflict" => "tenet::analyze::handled_conflict",
        "dead_rule" => "tenet::analyze::dead_rule",
        "shadowed_rule" => "tenet::analyze::shadowed_rule",
        "violation" => "tenet::analyze::violation",
        _ => "tenet::analyze::date_change",
    };
    let mut diagnostic = match finding.severity {
        Severity::Error => Diagnostic::error(code, finding.message.clone()),
        _ => Diagnostic::warning(code, finding.message.clone()),
    };
    for (position, subject) in finding.subject.iter().enumerate() {
        let span = program
            .rules
            .iter()
            .find(|rule| &rule.id == subject)
            .map(|rule| rule.span)
            .or_else(|| program.assertions.iter().find(|assertion| &assertion.id == subject).map(|a| a.span))
            .or_else(|| program.outcomes.iter().find(|outcome| &outcome.name == subject).map(|o| o.span));
        if let Some(span) = span {
            diagnostic = if position == 0 || diagnostic.primary.is_none() {
                diagnostic.at(span, finding.kind.replace('_', " "))
            } else {
                diagnostic.also(span, "also involved")
            };
        }
    }
    let witness = finding
        .region
        .first()
        .and_then(|region| region.witness.as_ref())
        .map(|json| format!("; e.g. the request {json}"))
        .unwrap_or_default();
    diagnostic.help(format!("{} request classes{witness}", finding.classes))
}
