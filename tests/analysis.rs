//! The dependency analysis is sound on real requests: take a complete request
//! (every example and every shipped case), leave one fact out, and the
//! analysis of what is left must foresee the decision the complete request got.

#![allow(clippy::panic, reason = "a test fails by panicking")]

use std::path::{Path, PathBuf};

mod common;

use tenet::analysis::depend::{dependencies_within, settled, single_valued};
use tenet::eval::evaluate;
use tenet::facts::Schema;
use tenet::load::load;

/// Combinations per analysis in this test (the CLI uses 4,096).
const COMBINATIONS: usize = 8;

#[test]
fn leaving_a_fact_out_never_hides_the_decision_it_gives() {
    let loaded = load(&[PathBuf::from("rules")]);
    assert!(!loaded.has_errors(), "the shipped rules must check");
    let program = &loaded.program;
    let schema = Schema::new(program);
    let singles = single_valued(program);
    let mut found = Vec::new();
    common::requests(Path::new("examples"), &mut found);
    common::requests(Path::new("rules/cases"), &mut found);
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
                let complete = settled(program, &evaluate(program, &full), *id);
                let without = settled(program, &outcome, *id);
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
