//! Growth with size: check and evaluation at 1,000, 10,000 and 50,000
//! generated rules, and the adversarial shapes that used to be super-linear
//! (a term DAG, thousands of errors in one file, deep YAML, a huge list in an
//! explanation). Each should grow linearly with its size. `check_command` runs
//! the built `tenet check` on a directory of generated rules, as a user does.
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

/// `tenet check DIR` as a user runs it, on a directory holding the generated
/// rules: the process starting, reading the file, parsing, checking, printing
/// the summary and exiting (the command's allocator, mimalloc, included).
#[divan::bench(args = [1_000, 10_000], sample_count = 20, sample_size = 1)]
fn check_command(bencher: divan::Bencher, count: usize) {
    let dir = std::env::temp_dir().join(format!("tenet-bench-check-{}-{count}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    std::fs::write(dir.join("generated.tenet"), generated(count)).expect("the generated rules");
    bencher.bench(|| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_tenet"))
            .arg("check")
            .arg(&dir)
            .output()
            .expect("tenet runs");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    });
    let _ = std::fs::remove_dir_all(&dir);
}

/// `count` rules in the shape of the peer benchmark (`benches/peers`): rule *i*
/// is `kind is K and region in {3 of 20} and amount > T`, a forbid (deny,
/// hard law) or a permit (allow, policy); deny wins over allow. 100 kinds, so
/// that about 7 rules in 10,000 match a request.
fn peer_shaped(count: usize) -> String {
    peer_shaped_with(count, 100)
}

/// [`peer_shaped`] with `kinds` kinds instead of 100.
fn peer_shaped_with(count: usize, kind_count: usize) -> String {
    let kinds: Vec<String> = (0..kind_count).map(|kind| format!("k{kind}")).collect();
    let regions: Vec<String> = (0..20).map(|region| format!("r{region}")).collect();
    let mut text = format!(
        "enum Kind {{ {} }}\nenum Region {{ {} }}\nenum Decision {{ allow, deny }}\n\
         fact as_of : date\nfact kind : Kind\nfact region : Region\nfact amount : number\n\
         outcome decision : one of Decision\n",
        kinds.join(", "),
        regions.join(", ")
    );
    let rule = |text: &mut String, index: usize, outcome: &str| {
        let region = mix(index, 2);
        let _ = writeln!(
            text,
            "  rule R-{index} \"Rule {index}\" {{\n    cite \"Code § {index}\"\n    when kind is k{} and region in [r{}, r{}, r{}] and amount > {}\n    then set decision to {outcome}\n  }}",
            mix(index, 1) % kind_count,
            region % 20,
            (region + 7) % 20,
            (region + 13) % 20,
            mix(index, 3) % 1000,
        );
    };
    text.push_str("jurisdiction F \"Forbids\" {\n");
    (0..count).filter(|index| index % 4 == 0).for_each(|index| rule(&mut text, index, "deny"));
    text.push_str("}\nprinciples P \"Permits\" {\n");
    (0..count).filter(|index| index % 4 != 0).for_each(|index| rule(&mut text, index, "allow"));
    text.push_str("}\n");
    text
}

/// A well-mixed number from `index` (splitmix64): kinds, regions and thresholds
/// independent of each other.
fn mix(index: usize, salt: u64) -> usize {
    let mut z = (index as u64).wrapping_add(salt.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) as usize
}

/// 256 requests spread over the kinds, regions and amounts.
fn peer_requests(program: &tenet::check::Program, schema: &Schema) -> Vec<facts::Facts> {
    peer_requests_with(program, schema, 100)
}

/// [`peer_requests`] over `kinds` kinds.
fn peer_requests_with(program: &tenet::check::Program, schema: &Schema, kinds: usize) -> Vec<facts::Facts> {
    (0..256usize)
        .map(|seed| {
            let json = format!(
                r#"{{"as_of": "2025-01-01", "kind": "k{}", "region": "r{}", "amount": {}}}"#,
                mix(seed, 11) % kinds,
                mix(seed, 12) % 20,
                mix(seed, 13) % 1000
            );
            facts::from_json(program, schema, json.as_bytes(), None).expect("valid request")
        })
        .collect()
}

/// Per-request cost against the number of rules, indexed: 256 requests an iteration.
#[divan::bench(args = [100, 1_000, 10_000], sample_count = 50)]
fn decide_by_rule_count(bencher: divan::Bencher, count: usize) {
    let loaded = checked(peer_shaped(count));
    let schema = Schema::new(&loaded.program);
    let requests = peer_requests(&loaded.program, &schema);
    let index = tenet::eval::Index::new(&loaded.program);
    bencher.counter(divan::counter::ItemsCount::new(requests.len())).bench(|| {
        for facts in &requests {
            divan::black_box(tenet::eval::decide(&loaded.program, &index, divan::black_box(facts)));
        }
    });
}

/// The same with as many kinds as rules, so that a request matches the same
/// number of rules (about 0.07) whatever their count: what grows then is only
/// what the index costs, the rest being the same work.
#[divan::bench(args = [100, 1_000, 10_000], sample_count = 50)]
fn decide_same_matches(bencher: divan::Bencher, count: usize) {
    let loaded = checked(peer_shaped_with(count, count));
    let schema = Schema::new(&loaded.program);
    let requests = peer_requests_with(&loaded.program, &schema, count);
    let index = tenet::eval::Index::new(&loaded.program);
    bencher.counter(divan::counter::ItemsCount::new(requests.len())).bench(|| {
        for facts in &requests {
            divan::black_box(tenet::eval::decide(&loaded.program, &index, divan::black_box(facts)));
        }
    });
}

/// The same with the tree walker, which tries every rule.
#[divan::bench(args = [100, 1_000, 10_000], sample_count = 10)]
fn evaluate_by_rule_count(bencher: divan::Bencher, count: usize) {
    let loaded = checked(peer_shaped(count));
    let schema = Schema::new(&loaded.program);
    let requests = peer_requests(&loaded.program, &schema);
    bencher.counter(divan::counter::ItemsCount::new(requests.len())).bench(|| {
        for facts in &requests {
            divan::black_box(tenet::eval::evaluate(&loaded.program, divan::black_box(facts)));
        }
    });
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
