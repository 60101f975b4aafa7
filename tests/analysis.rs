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

/// A small deterministic generator (xorshift), so that failures reproduce.
struct Random(u64);

impl Random {
    fn next(&mut self, below: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % below.max(1) as u64) as usize
    }
}

/// A random condition over the generated vocabulary.
fn condition(random: &mut Random, depth: usize) -> String {
    let leaf = |random: &mut Random| match random.next(7) {
        0 => format!("colour is {}", ["red", "green", "blue"][random.next(3)]),
        1 => format!("colour in [{}]", ["red", "green", "red, blue"][random.next(3)]),
        2 => String::from("urgent"),
        3 => format!("amount {} {}", ["<", ">=", ">"][random.next(3)], [10, 100, 1000][random.next(3)]),
        4 => format!("country is {}", ["\"US\"", "\"DE\""][random.next(2)]),
        5 => String::from("colour is present"),
        _ => format!("hand_over is {}", ["required", "forbidden", "conflicted"][random.next(3)]),
    };
    if depth == 0 {
        return leaf(random);
    }
    match random.next(5) {
        0 => format!("not ({})", condition(random, depth - 1)),
        1 => format!("({}) and ({})", condition(random, depth - 1), condition(random, depth - 1)),
        2 => format!("({}) or ({})", condition(random, depth - 1), condition(random, depth - 1)),
        3 => format!("({}) otherwise {}", condition(random, depth - 1), ["true", "false"][random.next(2)]),
        _ => leaf(random),
    }
}

/// A random rule set: rules in three blocks of each strength, setting a
/// required decision, requiring or forbidding an act, with an assertion.
fn rule_set(random: &mut Random) -> String {
    let mut text = String::from(
        "enum Colour { red, green, blue }\nenum Decision { yes, no, maybe }\nenum Act { hand_over }\n\
         fact as_of : date\nfact colour : Colour optional\nfact urgent : bool default false\n\
         fact amount : number optional\nfact country : text optional\n\
         outcome decision : one of Decision required\noutcome obligations : duties of Act\n",
    );
    let mut id = 0;
    for block in ["jurisdiction L \"Law\"", "contract C \"Contract\"", "principles P \"Policy\""] {
        text.push_str(&format!("{block} {{\n"));
        for _ in 0..1 + random.next(3) {
            id += 1;
            let conclusion = match random.next(4) {
                0 => String::from("require hand_over"),
                1 => String::from("forbid hand_over"),
                _ => format!("set decision to {}", ["yes", "no", "maybe"][random.next(3)]),
            };
            let overrides = if id > 1 && random.next(4) == 0 && block.starts_with("principles") {
                format!("overrides R-{}\n", id - 1)
            } else {
                String::new()
            };
            let effective = if random.next(4) == 0 { "effective 2026-01-01\n" } else { "" };
            let when = condition(random, 2);
            text.push_str(&format!(
                "rule R-{id} \"Rule {id}\" {{\ncite \"s.{id}\"\n{effective}{overrides}when {when}\nthen {conclusion}\n}}\n"
            ));
        }
        text.push_str("}\n");
    }
    text.push_str(&format!(
        "assert A-1 \"Property\" {{\ncite \"p\"\nwhen {}\nnever {}\n}}\n",
        condition(random, 1),
        condition(random, 1)
    ));
    text
}

/// A random request of the generated vocabulary.
fn request(random: &mut Random) -> serde_json::Value {
    let as_of = ["2025-06-01", "2026-01-01", "2026-06-01"][random.next(3)];
    let mut request = serde_json::json!({ "as_of": as_of });
    if random.next(3) > 0 {
        request["colour"] = serde_json::json!(["red", "green", "blue"][random.next(3)]);
    }
    if random.next(2) == 0 {
        request["urgent"] = serde_json::json!(random.next(2) == 0);
    }
    if random.next(3) > 0 {
        request["amount"] = serde_json::json!([0, 10, 55, 100, 999, 1000, 5000][random.next(7)]);
    }
    if random.next(3) > 0 {
        request["country"] = serde_json::json!(["US", "DE", "FR"][random.next(3)]);
    }
    request
}

/// For random rule sets: every witness evaluates to what the analysis claims,
/// and no random request contradicts a "no gap" or "assertion holds" verdict.
#[test]
fn analysis_verdicts_hold_for_random_rule_sets_and_requests() {
    let mut random = Random(0x2545_f491_4f6c_dd1d);
    let mut checked_requests = 0;
    for round in 0..60 {
        let text = rule_set(&mut random);
        let loaded = tenet::load::load_texts(&[(format!("random-{round}.tenet"), text.clone())]);
        if loaded.has_errors() {
            continue; // e.g. an override cycle: not a rule set
        }
        let program = &loaded.program;
        let schema = Schema::new(program);
        for as_of in [jiff::civil::date(2025, 6, 1), jiff::civil::date(2026, 1, 1)] {
            let analysis = tenet::analysis::analyze::analyze(program, as_of);
            assert_eq!(analysis.disagreements(), 0, "a witness disagrees, rules:\n{text}");
            let gap = analysis.findings.iter().any(|finding| finding.kind == "gap");
            let violated = analysis.findings.iter().any(|finding| finding.kind == "violation");
            for _ in 0..40 {
                let json = request(&mut random);
                let Ok(facts) = tenet::facts::from_value(program, &schema, &json, Some(as_of)) else { continue };
                let outcome = evaluate(program, &facts);
                checked_requests += 1;
                let decision = tenet::check::OutcomeId(0);
                let unset = settled(program, &outcome, decision) == tenet::analysis::depend::Settled::Unset;
                assert!(gap || !unset, "no gap was reported, but {json} gets no decision; rules:\n{text}");
                assert!(
                    violated || outcome.violations.is_empty(),
                    "the assertion was proved, but {json} violates it; rules:\n{text}"
                );
            }
        }
    }
    assert!(checked_requests > 1000, "too few requests were checked: {checked_requests}");
}

/// `tenet analyze --write-cases DIR` writes each finding's witness as a case
/// file that `tenet test` runs and passes as the rules stand.
#[test]
fn written_witness_cases_pass_as_the_rules_stand() {
    let root = std::env::temp_dir().join(format!("tenet-analyze-cases-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap_or_else(|error| panic!("{error}"));
    std::fs::copy("tests/cases/analyze/conflicts.tenet", root.join("rules.tenet"))
        .unwrap_or_else(|error| panic!("{error}"));
    let (rules, cases) = (root.join("rules.tenet"), root.join("cases"));
    let (rules, cases) = (rules.to_string_lossy(), cases.to_string_lossy());
    let analyzed = common::tenet(&["analyze", &rules, "--as-of", "2026-01-01", "--write-cases", &cases]);
    let stderr = String::from_utf8_lossy(&analyzed.stderr);
    let written = stderr
        .split_whitespace()
        .skip_while(|word| *word != "wrote")
        .nth(1)
        .and_then(|count| count.parse::<usize>().ok())
        .unwrap_or_else(|| panic!("no count of case files written: {stderr}"));
    assert!(written >= 4, "one case per finding (gap, conflicts, handled conflict): {stderr}");
    let tested = common::tenet(&["test", &cases]);
    let stdout = String::from_utf8_lossy(&tested.stdout);
    assert_eq!(tested.status.code(), Some(0), "the written cases fail:\n{stdout}");
    assert!(stdout.contains(&format!("{written} passed, 0 failed")), "{stdout}");
    let _ = std::fs::remove_dir_all(&root);
}
