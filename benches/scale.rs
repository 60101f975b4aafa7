//! Growth with size: check and evaluation at 1,000, 10,000 and 50,000
//! generated rules, and the adversarial shapes that used to be super-linear
//! (a term DAG, thousands of errors in one file, deep YAML, a huge list in an
//! explanation). Each should grow linearly with its size.
//!
//! `cargo bench --bench scale`

#![allow(clippy::expect_used, reason = "a benchmark without its inputs cannot run")]

use std::fmt::Write as _;

use tenet::diag::{ErrorFormat, render};
use tenet::facts::{self, Schema};
use tenet::load::{Loaded, load_texts};
use tenet::render::Report;

fn main() {
    divan::main();
}

/// `count` rules in the shape of the peer benchmark: an equality, a membership
/// and a threshold, each adding a mark when it holds.
fn generated(count: usize) -> String {
    let mut text = String::from(
        "enum Kind { k0, k1, k2, k3, k4, k5, k6, k7, k8, k9 }\n\
         enum Region { r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, r13, r14, r15, r16, r17, r18, r19 }\n\
         enum Mark { m0, m1, m2, m3, m4, m5, m6, m7 }\n\
         fact as_of : date\nfact kind : Kind\nfact region : Region\nfact amount : number\n\
         outcome marks : set of Mark\n",
    );
    for index in 0..count {
        let _ = writeln!(
            text,
            "rule R-{index} \"Rule {index}\" {{\n  cite \"Code § {index}\"\n  when kind is k{} and region in [r{}, r{}, r{}] and amount > {}\n  then add m{} to marks\n}}",
            index % 10,
            index % 20,
            (index + 7) % 20,
            (index + 13) % 20,
            index % 1000,
            index % 8,
        );
    }
    text
}

fn checked(text: String) -> Loaded {
    let loaded = load_texts(&[(String::from("generated.tenet"), text)]);
    assert!(!loaded.has_errors(), "the generated rules must check");
    loaded
}

#[divan::bench(args = [1_000, 10_000, 50_000], sample_count = 5, sample_size = 1)]
fn check_rules(bencher: divan::Bencher, count: usize) {
    let text = generated(count);
    bencher.bench(|| load_texts(&[(String::from("generated.tenet"), divan::black_box(text.clone()))]));
}

#[divan::bench(args = [1_000, 10_000, 50_000], sample_count = 20)]
fn eval_rules(bencher: divan::Bencher, count: usize) {
    let loaded = checked(generated(count));
    let schema = Schema::new(&loaded.program);
    let request = br#"{"as_of": "2025-01-01", "kind": "k3", "region": "r7", "amount": 500}"#;
    let facts = facts::from_json(&loaded.program, &schema, request, None).expect("valid request");
    bencher.bench(|| tenet::eval::evaluate(&loaded.program, divan::black_box(&facts)));
}

/// Terms each defined by the one before it, used twice: `depth` levels.
#[divan::bench(args = [10, 20, 40], sample_count = 20)]
fn check_term_dag(bencher: divan::Bencher, depth: usize) {
    let mut text = String::from("fact t0 : bool\nenum D { yes, no }\noutcome d : one of D\n");
    for level in 1..=depth {
        let _ = writeln!(text, "term t{level} means t{} and t{}", level - 1, level - 1);
    }
    let _ = writeln!(text, "rule R-1 \"r\" {{ cite \"c\" when t{depth} then set d to yes }}");
    bencher.bench(|| load_texts(&[(String::from("dag.tenet"), divan::black_box(text.clone()))]));
}

fn unknown_names(from: usize, to: usize) -> String {
    (from..to).map(|index| format!("rule R-{index} \"r\" {{ cite \"c\" when unknown_{index} }}\n")).collect()
}

/// `errors` unknown names in one file, rendered: compare with `errors_spread`.
#[divan::bench(args = [1_000, 5_000, 20_000], sample_count = 5, sample_size = 1)]
fn errors_in_one_file(bencher: divan::Bencher, errors: usize) {
    let loaded = load_texts(&[(String::from("errors.tenet"), unknown_names(0, errors))]);
    bencher.bench(|| render(&loaded.diagnostics, &loaded.sources, ErrorFormat::Human, false));
}

/// The same errors over files of 100 rules each.
#[divan::bench(args = [1_000, 5_000, 20_000], sample_count = 5, sample_size = 1)]
fn errors_spread(bencher: divan::Bencher, errors: usize) {
    let files: Vec<(String, String)> =
        (0..errors / 100).map(|file| (format!("f{file}.tenet"), unknown_names(file * 100, file * 100 + 100))).collect();
    let loaded = load_texts(&files);
    bencher.bench(|| render(&loaded.diagnostics, &loaded.sources, ErrorFormat::Human, false));
}

/// Flow mappings nested `depth` deep: refused before the YAML reader sees them.
#[divan::bench(args = [1_000, 10_000, 100_000], sample_count = 10)]
fn deep_yaml(bencher: divan::Bencher, depth: usize) {
    let text = format!("as_of: {}x{}", "{a: ".repeat(depth), "}".repeat(depth));
    bencher.bench(|| facts::read_document(divan::black_box(text.as_bytes()), true).is_err());
}

/// A list fact of `items` items, explained: the explanation stays small.
#[divan::bench(args = [1_000, 100_000, 1_000_000], sample_count = 5, sample_size = 1)]
fn explain_long_list(bencher: divan::Bencher, items: usize) {
    let loaded = checked(String::from(
        "enum Tag { a, b }\nfact as_of : date\nfact tags : list of Tag\noutcome seen : set of Tag\n\
         rule R-1 \"r\" { cite \"c\" when b in tags then add b to seen }\n",
    ));
    let schema = Schema::new(&loaded.program);
    let request = format!("{{\"as_of\": \"2025-01-01\", \"tags\": [{}\"b\"]}}", "\"a\", ".repeat(items));
    let facts = facts::from_json(&loaded.program, &schema, request.as_bytes(), None).expect("valid request");
    let outcome = tenet::eval::evaluate(&loaded.program, &facts);
    bencher.bench(|| Report::new(&loaded.program, &facts, &outcome).text(true));
}
