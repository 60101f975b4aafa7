//! `tenet eval`: one request's facts against the rules, or a batch of them.

use std::io::Write as _;
use std::path::PathBuf;

use clap::ValueEnum;
use jiff::civil::Date;
use tenet::diag::Diagnostic;
use tenet::facts::{self, Schema};
use tenet::load::load;
use tenet::render::Report;

use super::Reporter;

/// How `tenet eval` prints the outcome.
#[derive(Clone, Copy, PartialEq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// What `tenet eval` was asked.
pub struct Options {
    pub rules: PathBuf,
    pub facts: Option<PathBuf>,
    pub batch: Option<PathBuf>,
    pub as_of: Option<Date>,
    pub format: Format,
    pub explain: bool,
    pub rule: Option<String>,
    pub fired: bool,
    pub ask: bool,
}

/// Loads the rules and evaluates the facts file (or every line of the batch),
/// printing the outcome; 1 when the rules, the facts or a batch line fail.
pub fn run(options: Options, report: Reporter<'_>) -> u8 {
    let Options { rules, facts: facts_path, batch, as_of, format, explain, rule, fired, ask } = options;
    let explain = explain || rule.is_some() || fired;
    let loaded = load(&[rules]);
    if loaded.has_errors() {
        report(&loaded.diagnostics, &loaded.sources);
        return 1;
    }
    let program = &loaded.program;
    let schema = Schema::new(program);
    if let Some(input) = batch {
        let index = tenet::eval::Index::new(program);
        let quoted = if explain { tenet::render::Quoted::new(program) } else { None };
        let batch =
            super::batch::Batch { program, schema: &schema, as_of, explain, index: &index, quoted: quoted.as_ref() };
        return match batch.run(&input, &mut std::io::stdout().lock()) {
            Ok(summary) => {
                report(&summary.failed, &loaded.sources);
                u8::from(!summary.failed.is_empty())
            }
            Err(diagnostic) => {
                report(&[*diagnostic], &loaded.sources);
                1
            }
        };
    }
    // The command line asks for one of the two; said again here for any other caller.
    let Some(facts_path) = facts_path else {
        eprintln!("error: give --facts FILE or --batch FILE\n\nFor more information, try '--help'.");
        return 2;
    };
    let bytes = match facts::read_bounded(&facts_path) {
        Ok(bytes) => bytes,
        Err(diagnostic) => {
            report(&[*diagnostic], &loaded.sources);
            return 1;
        }
    };
    let facts = match facts::from_text(program, &schema, &bytes, facts::is_yaml(&facts_path), as_of) {
        Ok(facts) => facts,
        Err(mut diagnostics) => {
            let file = facts::display_name(&facts_path);
            for diagnostic in &mut diagnostics {
                diagnostic.message = format!("{file}: {}", diagnostic.message);
            }
            report(&diagnostics, &loaded.sources);
            return 1;
        }
    };
    let outcome = tenet::eval::evaluate(program, &facts);
    if !outcome.errors.is_empty() {
        report(&outcome.error_diagnostics(program), &loaded.sources);
        return 1;
    }
    // An outcome that facts the request leaves out would change is provisional.
    let index = tenet::eval::Index::new(program);
    let dependencies = tenet::analysis::depend::dependencies_indexed(program, &index, &facts, &outcome);
    if let Some(id) = &rule
        && !program.rules.iter().any(|def| def.id.eq_ignore_ascii_case(id))
    {
        let known = program.rules.iter().map(|def| def.id.as_str());
        let diagnostic =
            Diagnostic::error("tenet::eval::unknown_rule", format!("there is no rule `{id}`")).suggest(id, known);
        report(&[diagnostic], &loaded.sources);
        return 1;
    }
    let filter = tenet::render::ExplainFilter { rule, fired_only: fired };
    let report = Report::new(program, &facts, &outcome).with_dependencies(&dependencies, ask).with_filter(filter);
    let text = match format {
        Format::Json => {
            let json = report.json(explain);
            serde_json::to_string_pretty(&json).unwrap_or_default() + "\n"
        }
        Format::Text => report.text(explain),
    };
    let _ = std::io::stdout().write_all(text.as_bytes());
    0
}
