//! `tenet analyze` and `tenet diff --exhaustive`: on the shipped rules (one
//! date, every date, a one-rule change), and on generated rule sets of 100 to
//! 1,000 rules to show how the analysis grows.
//!
//! `cargo bench --bench analyze`

#![allow(clippy::expect_used, reason = "a benchmark without its inputs cannot run")]

use std::fmt::Write as _;
use std::path::PathBuf;

use jiff::civil::date;
use tenet::analysis::analyze::{analyze, analyze_all_dates, compare};
use tenet::load::{Loaded, load, load_texts};

fn main() {
    divan::main();
}

fn shipped() -> Loaded {
    let loaded = load(&[PathBuf::from("rules")]);
    assert!(!loaded.has_errors(), "the shipped rules must check");
    loaded
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn analyze_shipped_one_date(bencher: divan::Bencher) {
    let loaded = shipped();
    bencher.bench(|| analyze(&loaded.program, date(2026, 11, 28)));
}

#[divan::bench(sample_count = 2, sample_size = 1)]
fn analyze_shipped_all_dates(bencher: divan::Bencher) {
    let loaded = shipped();
    bencher.bench(|| analyze_all_dates(&loaded.program));
}

/// The shipped rules with one rule (EU-6) removed, read from memory.
fn without_eu6() -> Loaded {
    let mut files = Vec::new();
    let mut stack = vec![PathBuf::from("rules")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("rules/").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|ext| ext == "tenet") {
                let mut text = std::fs::read_to_string(&path).expect("a rule file");
                if let Some(start) = text.find("  rule EU-6 ") {
                    let end = text[start..].find("\n  }\n").map_or(text.len(), |end| start + end + 4);
                    text.replace_range(start..end, "");
                }
                files.push((path.display().to_string(), text));
            }
        }
    }
    let loaded = load_texts(&files);
    assert!(!loaded.has_errors(), "the rules without EU-6 must check");
    loaded
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn diff_exhaustive_one_rule_removed(bencher: divan::Bencher) {
    let (old, new) = (shipped(), without_eu6());
    bencher.bench(|| compare(&old.program, &new.program, date(2026, 11, 28)));
}

/// `count` rules in the shape of the peer benchmark (issue #10): rule i is
/// `kind is K and region in {3 of 20} and amount > T`, forbid or permit; the
/// decision is deny if a forbid holds, else allow if a permit holds, and it is
/// required (the generated sets have a gap: nothing matches).
fn generated(count: usize) -> String {
    let mut text = String::from(
        "enum Kind { k0, k1, k2, k3, k4, k5, k6, k7, k8, k9 }\n\
         enum Region { r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, r13, r14, r15, r16, r17, r18, r19 }\n\
         enum Decision { allow, deny }\nenum Act { access }\n\
         fact as_of : date\nfact kind : Kind\nfact region : Region\nfact amount : number\n\
         outcome obligations : duties of Act\noutcome decision : one of Decision required\n\
         jurisdiction L \"Law\" {\n",
    );
    for index in 0..count {
        let _ = writeln!(
            text,
            "rule R-{index} \"Rule {index}\" {{\n  cite \"Code § {index}\"\n  when kind is k{} and region in [r{}, r{}, r{}] and amount > {}\n  then {} access\n}}",
            index % 10,
            index % 20,
            (index + 7) % 20,
            (index + 13) % 20,
            (index * 37) % 1000,
            if index % 3 == 0 { "forbid" } else { "require" },
        );
    }
    text.push_str(
        "rule DENY \"Deny\" {\n  cite \"Code\"\n  when access is forbidden or access is conflicted\n  then set decision to deny\n}\n\
         rule ALLOW \"Allow\" {\n  cite \"Code\"\n  when access is required\n  then set decision to allow\n}\n}\n",
    );
    text
}

#[divan::bench(args = [100, 300, 1_000], sample_count = 3, sample_size = 1)]
fn analyze_generated(bencher: divan::Bencher, count: usize) {
    let loaded = load_texts(&[(String::from("generated.tenet"), generated(count))]);
    assert!(!loaded.has_errors(), "the generated rules must check");
    bencher.bench(|| analyze(&loaded.program, date(2026, 1, 1)));
}
