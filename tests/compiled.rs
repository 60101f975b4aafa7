//! The indexed evaluator (`eval::decide`) against the reference tree walker
//! (`eval::evaluate`), which tries every rule in order: on the shipped rules
//! and on the fixtures in `tests/cases/compiled/`, over generated requests whose
//! facts are drawn at random from the classes the rules tell apart (the
//! analysis's representatives), the extremes of the calendar, and absence, on
//! every date a rule or block comes into or goes out of force. The two must agree on
//! everything a caller without an explanation is told.
//!
//! The snapshot per rule set records what was compared and how much the index
//! saved: the candidates per request against the rules in the set.

#![allow(clippy::panic, reason = "a test fails by panicking")]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use tenet::analysis::analyze::boundaries;
use tenet::analysis::domain::domains;
use tenet::check::Program;
use tenet::eval::{Index, Outcome, Status, decide, evaluate};
use tenet::facts::Facts;
use tenet::render::Report;
use tenet::value::{Scalar, Type, Value};

/// Requests per date of evaluation.
const PER_DATE: usize = 400;

/// A small deterministic generator (xorshift64*): the same requests every run.
struct Random(u64);

impl Random {
    fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % bound.max(1)
    }
}

/// Values of a fact beyond its classes: the ends of the calendar and of the numbers.
fn extremes(ty: Type) -> Vec<Value> {
    let date = |text: &str| text.parse().map(Value::Date).ok();
    match ty {
        Type::Date => [date("9999-12-31"), date("-9999-01-01")].into_iter().flatten().collect(),
        Type::Number => vec![Value::Number(rust_decimal::Decimal::MAX), Value::Number(rust_decimal::Decimal::MIN)],
        Type::Days => vec![Value::Days(i64::MAX), Value::Days(i64::MIN)],
        _ => Vec::new(),
    }
}

/// One generated request on `as_of`: each fact absent now and then, else one of
/// its representatives (lists: a random selection of their representatives' elements).
fn request(program: &Program, samples: &[Vec<Value>], as_of: jiff::civil::Date, random: &mut Random) -> Facts {
    let values = program
        .facts
        .iter()
        .zip(samples)
        .enumerate()
        .map(|(index, (def, samples))| {
            if index == program.as_of.0 as usize {
                return Some(Value::Date(as_of));
            }
            if samples.is_empty() || random.below(6) == 0 {
                return None;
            }
            if let Type::List(_) = def.ty {
                let elements: Vec<Value> = samples
                    .iter()
                    .flat_map(|sample| match sample {
                        Value::List(items) => items.to_vec(),
                        other => vec![other.clone()],
                    })
                    .collect();
                let count = random.below(4);
                let picked: Vec<Value> =
                    (0..count).filter_map(|_| elements.get(random.below(elements.len())).cloned()).collect();
                return Some(Value::List(picked.into()));
            }
            samples.get(random.below(samples.len())).cloned()
        })
        .collect();
    Facts { values }
}

/// What a caller without an explanation is told, field by field.
fn visible(program: &Program, facts: &Facts, outcome: &Outcome) -> String {
    let json = Report::new(program, facts, outcome).json(false);
    format!(
        "{json}\nfired {:?}\ndecisive {:?}\nskipped {:?}\noverruled {:?}\nerrors {:?}\nviolations {:?}\nconflicts {:?}\nvalues {:?}",
        outcome.fired,
        outcome.decisive,
        outcome.skipped,
        outcome.overruled,
        outcome.errors,
        outcome.violations,
        outcome.conflicts,
        outcome.values
    )
}

/// Compares the two evaluators on one rule set; returns the summary to snapshot.
fn compare(name: &str, program: &Program) -> String {
    let index = Index::new(program);
    let Some(quoted) = tenet::render::Quoted::new(program) else { panic!("{name}: the rules' texts cannot be quoted") };
    // Used for this program only: a copy of it keeps its rules elsewhere.
    assert!(
        quoted.made_from(program) && !quoted.made_from(&program.clone()),
        "{name}: quoted texts for another program"
    );
    let mut dates = boundaries(program);
    dates.extend(["2020-06-15", "2026-11-29"].iter().filter_map(|text| text.parse::<jiff::civil::Date>().ok()));
    dates.sort();
    dates.dedup();
    let mut random = Random(0x9E37_79B9_7F4A_7C15);
    let (mut compared, mut with_errors, mut fired, mut provisional) = (0usize, 0usize, 0usize, 0usize);
    let mut overridden = 0usize;
    let mut candidates: Vec<usize> = Vec::new();
    let mut standing: Vec<usize> = Vec::new();
    let mut scratch = Vec::new();
    for as_of in &dates {
        let classes = domains(program, *as_of);
        let samples: Vec<Vec<Value>> = program
            .facts
            .iter()
            .zip(&classes)
            .map(|(def, domain)| {
                let mut values = domain.values.clone();
                let scalar = def.ty.scalar().map(Scalar::ty);
                values.extend(extremes(scalar.unwrap_or(def.ty)));
                values
            })
            .collect();
        for _ in 0..PER_DATE {
            let facts = request(program, &samples, *as_of, &mut random);
            let reference = evaluate(program, &facts);
            let indexed = decide(program, &index, &facts);
            let (expected, got) = (visible(program, &facts, &reference), visible(program, &facts, &indexed));
            if expected != got {
                panic!("{name}: the indexed evaluator disagrees on {facts:?}\nreference:\n{expected}\nindexed:\n{got}");
            }
            // The one-line JSON (written straight from the outcome) is the JSON tree's text.
            let report = Report::new(program, &facts, &indexed);
            assert_eq!(report.json_line(false), report.json(false).to_string(), "{name}: json_line differs");
            if compared % 16 == 0 {
                let report = Report::new(program, &facts, &reference);
                let line = report.json_line(true);
                assert_eq!(line, report.json(true).to_string(), "{name}: json_line differs");
                // The rules' texts written once as JSON give the same bytes.
                let report = Report::new(program, &facts, &reference).with_quoted(Some(&quoted));
                assert_eq!(report.json_line(true), line, "{name}: json_line differs with the texts quoted once");
            }
            // A service decides through the index and reports the outcomes the facts
            // left out could change: the same JSON as the tree walker and its dependencies.
            if compared % 200 == 0 {
                let dependencies = tenet::analysis::depend::dependencies(program, &facts, &reference);
                let expected =
                    Report::new(program, &facts, &reference).with_dependencies(&dependencies, true).json(false);
                let (outcome, found) = tenet::analysis::depend::decide_with_dependencies(program, &index, &facts);
                let report = Report::new(program, &facts, &outcome).with_dependencies(&found, true);
                let got = report.json(false);
                assert_eq!(expected, got, "{name}: decide_with_dependencies differs on {facts:?}");
                assert_eq!(report.json_line(false), got.to_string(), "{name}: json_line differs with dependencies");
                provisional += usize::from(!found.outcomes.is_empty());
            }
            compared += 1;
            with_errors += usize::from(!reference.errors.is_empty());
            fired += reference.fired.len();
            overridden += reference.status.iter().filter(|status| matches!(status, Status::Overridden { .. })).count();
            index.candidates(&facts, &mut scratch);
            candidates.push(scratch.len());
            standing.push(index.after_literals(&facts, &scratch));
        }
    }
    candidates.sort_unstable();
    let median = candidates.get(candidates.len() / 2).copied().unwrap_or(0);
    let max = candidates.last().copied().unwrap_or(0);
    let mut out = String::new();
    let _ = writeln!(out, "rules: {}, tried on every request: {}", program.rules.len(), index.unindexed());
    let _ = writeln!(out, "rules with a condition left to the tree walker: {}", index.walked());
    let _ = writeln!(out, "plain rules (fired without reading their filters): {}", index.plain());
    let _ = writeln!(out, "rules whose conclusions the tree walker draws: {}", index.concluded_by_walker());
    let _ = writeln!(out, "dates: {}, requests: {compared} (with out-of-range errors: {with_errors})", dates.len());
    let _ = writeln!(out, "rules fired: {fired}, set aside by a rule overriding them: {overridden}");
    let _ = writeln!(out, "provisional among those decided with their dependencies: {provisional}");
    let _ = writeln!(out, "candidates per request: median {median}, max {max}");
    standing.sort_unstable();
    let median = standing.get(standing.len() / 2).copied().unwrap_or(0);
    let max = standing.last().copied().unwrap_or(0);
    let _ = writeln!(out, "left by the literals: median {median}, max {max}");
    out
}

fn loaded(paths: &[PathBuf]) -> Program {
    let loaded = tenet::load::load(paths);
    assert!(!loaded.has_errors(), "{paths:?} must check");
    loaded.program
}

#[test]
fn the_index_changes_no_decision_on_the_shipped_rules() {
    let program = loaded(&[PathBuf::from("rules")]);
    insta::assert_snapshot!("compiled_shipped_rules", compare("rules", &program));
}

#[test]
fn the_index_changes_no_decision_on_the_fixtures() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(Path::new("tests/cases/compiled"))
        .map(|entries| entries.filter_map(Result::ok).map(|entry| entry.path()).collect())
        .unwrap_or_default();
    paths.sort();
    assert!(!paths.is_empty(), "fixtures expected in tests/cases/compiled");
    for path in paths.iter().filter(|path| path.extension().is_some_and(|extension| extension == "tenet")) {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let name = path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default();
        let summary = compare(&name, &loaded(std::slice::from_ref(path)));
        insta::assert_snapshot!(format!("compiled_{name}"), format!("{text}\n---\n{summary}"));
    }
}
