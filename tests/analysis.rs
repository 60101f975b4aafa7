//! The dependency analysis is sound on real requests: take a complete request
//! (every example and every shipped case), leave one fact out, and the
//! analysis of what is left must foresee the decision the complete request got.

#![allow(clippy::panic, reason = "a test fails by panicking")]

use std::path::{Path, PathBuf};

use tenet::analysis::depend::{Settled, dependencies_within};
use tenet::check::{OutcomeId, OutcomeKind};
use tenet::eval::{OutcomeValue, evaluate};
use tenet::facts::{Facts, Schema};
use tenet::load::load;

fn requests(dir: &Path, out: &mut Vec<(PathBuf, serde_json::Value)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|entry| entry.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            requests(&path, out);
        } else if path.extension().is_some_and(|extension| extension == "json") {
            let text = std::fs::read(&path).unwrap_or_default();
            let Ok(json) = serde_json::from_slice::<serde_json::Value>(&text) else { continue };
            // Case files hold the request under `facts`; examples are the request.
            let facts = json.get("facts").cloned().unwrap_or(json);
            out.push((path, facts));
        }
    }
}

fn decision(program: &tenet::check::Program, facts: &Facts, id: OutcomeId) -> Settled {
    let outcome = evaluate(program, facts);
    match outcome.values.get(id.0 as usize) {
        _ if outcome.conflicts.iter().any(|conflict| {
            matches!(&conflict.subject, tenet::eval::ConflictSubject::Outcome { outcome, key: None } if *outcome == id)
        }) =>
        {
            Settled::Conflict
        }
        Some(OutcomeValue::One(Some(value))) => {
            Settled::Value(tenet::value::Shown { value, enums: &program.enums }.to_string())
        }
        _ => Settled::Unset,
    }
}

/// Combinations per analysis in this test (the CLI uses 4,096).
const COMBINATIONS: usize = 8;

#[test]
fn leaving_a_fact_out_never_hides_the_decision_it_gives() {
    let loaded = load(&[PathBuf::from("rules")]);
    assert!(!loaded.has_errors(), "the shipped rules must check");
    let program = &loaded.program;
    let schema = Schema::new(program);
    let singles: Vec<OutcomeId> = program
        .outcomes
        .iter()
        .enumerate()
        .filter(|(_, def)| matches!(def.kind, OutcomeKind::One(_)))
        .map(|(index, _)| OutcomeId(index as u32))
        .collect();
    let mut found = Vec::new();
    requests(Path::new("examples"), &mut found);
    requests(Path::new("rules/cases"), &mut found);
    let mut checked = 0;
    for (path, json) in &found {
        let Ok(full) = tenet::facts::from_value(program, &schema, json, None) else { continue };
        let exact = tenet::analysis::domain::domains(program, full.as_of(program).unwrap_or_default());
        for (index, def) in program.facts.iter().enumerate() {
            // Only facts that may be left out, and that this request gave.
            if !def.optional || def.default.is_some() || full.values.get(index).is_none_or(Option::is_none) {
                continue;
            }
            let mut reduced = full.clone();
            if let Some(slot) = reduced.values.get_mut(index) {
                *slot = None;
            }
            let outcome = evaluate(program, &reduced);
            // Few combinations, so that most facts are only tried one at a time:
            // soundness must not rest on the combinations.
            let analysis = dependencies_within(program, &reduced, &outcome, COMBINATIONS);
            for id in &singles {
                let complete = decision(program, &full, *id);
                let without = decision(program, &reduced, *id);
                let Some(dependency) = analysis.outcomes.iter().find(|dependency| dependency.outcome == *id) else {
                    assert_eq!(
                        complete,
                        without,
                        "{}: without `{}` the outcome looks settled, but the complete request differs",
                        path.display(),
                        def.path
                    );
                    continue;
                };
                // The complete request's value falls in a class the analysis tried:
                // where the classes are exact, it must have seen that result.
                if exact.get(index).is_some_and(|domain| domain.exact) {
                    assert!(
                        dependency.possible.contains(&complete),
                        "{}: without `{}` the analysis foresees {:?}, not {complete:?}",
                        path.display(),
                        def.path,
                        dependency.possible
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 100, "too few requests with optional facts to test: {checked}");
}
