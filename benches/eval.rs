//! Per-request evaluation time on the shipped rules (`rules/`), for each
//! example request: with facts already parsed, with JSON parsing and
//! validation included, and with the explanation rendered as JSON.

#![allow(clippy::expect_used, reason = "a benchmark without its inputs cannot run")]

use std::sync::LazyLock;

use tenet::check::Program;
use tenet::facts::{self, Facts, Schema};
use tenet::load::load;
use tenet::render::Report;

struct Fixture {
    program: Program,
    schema: Schema,
    index: tenet::eval::Index,
    /// The rules' texts as JSON, made once as `eval --batch --explain` makes them.
    quoted: tenet::render::Quoted,
    requests: Vec<(&'static str, Vec<u8>, Facts)>,
}

const EXAMPLES: &[&str] =
    &["us-warrant-enterprise", "us-warrant-eu-data", "eu-production-order", "uk-production-order", "eu-us-transfer"];

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let loaded = load(&["rules".into()]);
    assert!(!loaded.has_errors(), "the shipped rules must check");
    let schema = Schema::new(&loaded.program);
    let requests = EXAMPLES
        .iter()
        .map(|name| {
            let json = std::fs::read(format!("examples/{name}.json")).expect("example request");
            let facts = facts::from_json(&loaded.program, &schema, &json, None).expect("valid example facts");
            (*name, json, facts)
        })
        .collect();
    let index = tenet::eval::Index::new(&loaded.program);
    let quoted = tenet::render::Quoted::new(&loaded.program).expect("the rules' texts as JSON");
    Fixture { program: loaded.program, schema, index, quoted, requests }
});

fn request(name: &str) -> &'static (&'static str, Vec<u8>, Facts) {
    FIXTURE.requests.iter().find(|(example, _, _)| *example == name).expect("known example")
}

/// Evaluation alone: facts already parsed and validated.
#[divan::bench(args = EXAMPLES)]
fn evaluate(bencher: divan::Bencher, name: &str) {
    let (_, _, facts) = request(name);
    bencher.bench(|| tenet::eval::evaluate(&FIXTURE.program, divan::black_box(facts)));
}

/// Evaluation through the rule index: only the rules the request can fire.
#[divan::bench(args = EXAMPLES)]
fn decide(bencher: divan::Bencher, name: &str) {
    let (_, _, facts) = request(name);
    bencher.bench(|| tenet::eval::decide(&FIXTURE.program, &FIXTURE.index, divan::black_box(facts)));
}

/// JSON text to outcome: parsing, validation against the vocabulary, evaluation.
#[divan::bench(args = EXAMPLES)]
fn json_to_outcome(bencher: divan::Bencher, name: &str) {
    let (_, json, _) = request(name);
    bencher.bench(|| {
        let facts = facts::from_json(&FIXTURE.program, &FIXTURE.schema, divan::black_box(json), None).expect("valid");
        tenet::eval::evaluate(&FIXTURE.program, &facts)
    });
}

// The three below compare JSON readers: each request is read and what it gave
// is dropped within the timed loop (a caller frees it too; divan would otherwise
// drop a returned value untimed), 20 requests to a sample so that a sample is
// well above the timer's precision.

/// The floor a generic parser sets: the same bytes into a `serde_json::Value`
/// (with the crate's features: every digit kept, fields in order), nothing checked.
#[divan::bench(args = EXAMPLES, sample_count = 500, sample_size = 20)]
fn json_to_generic_tree(bencher: divan::Bencher, name: &str) {
    let (_, json, _) = request(name);
    bencher.bench(|| drop(serde_json::from_slice::<serde_json::Value>(divan::black_box(json)).expect("valid")));
}

/// JSON text to facts alone: read into the facts' slots and checked against the vocabulary.
#[divan::bench(args = EXAMPLES, sample_count = 500, sample_size = 20)]
fn json_to_facts(bencher: divan::Bencher, name: &str) {
    let (_, json, _) = request(name);
    bencher.bench(|| {
        drop(facts::from_json(&FIXTURE.program, &FIXTURE.schema, divan::black_box(json), None).expect("valid"));
    });
}

/// JSON text to outcome through the rule index: what `eval --batch` and a service do per request.
#[divan::bench(args = EXAMPLES, sample_count = 500, sample_size = 20)]
fn json_to_decision(bencher: divan::Bencher, name: &str) {
    let (_, json, _) = request(name);
    bencher.bench(|| {
        let facts = facts::from_json(&FIXTURE.program, &FIXTURE.schema, divan::black_box(json), None).expect("valid");
        drop(tenet::eval::decide(&FIXTURE.program, &FIXTURE.index, &facts));
    });
}

/// Evaluation plus the JSON result with its explanation.
#[divan::bench(args = EXAMPLES)]
fn evaluate_and_explain(bencher: divan::Bencher, name: &str) {
    let (_, _, facts) = request(name);
    bencher.bench(|| {
        let outcome = tenet::eval::evaluate(&FIXTURE.program, divan::black_box(facts));
        Report::new(&FIXTURE.program, facts, &outcome).json(true)
    });
}

/// Evaluation plus the explained JSON as one line of text, as `eval --batch --explain` writes it
/// (the rules' texts written as JSON once, beforehand).
#[divan::bench(args = EXAMPLES)]
fn evaluate_and_explain_line(bencher: divan::Bencher, name: &str) {
    let (_, _, facts) = request(name);
    bencher.bench(|| {
        let outcome = tenet::eval::evaluate(&FIXTURE.program, divan::black_box(facts));
        let mut line = Vec::new();
        Report::new(&FIXTURE.program, facts, &outcome)
            .with_quoted(Some(&FIXTURE.quoted))
            .write_json_line(true, &mut line);
        line
    });
}

fn main() {
    divan::main();
}

/// `eval --ask`'s extra work on a US warrant that omits the customer type:
/// every combination of the classes of the facts it leaves out.
#[divan::bench]
fn provisional_dependencies(bencher: divan::Bencher) {
    let json = std::fs::read("tests/cases/analysis/us-warrant-no-customer-type.json").expect("request");
    let facts = facts::from_json(&FIXTURE.program, &FIXTURE.schema, &json, None).expect("valid facts");
    let outcome = tenet::eval::evaluate(&FIXTURE.program, &facts);
    bencher.bench(|| tenet::analysis::depend::dependencies(&FIXTURE.program, divan::black_box(&facts), &outcome));
}
