//! The review workflow on copies of the shipped rules, through the CLI:
//! `tenet test` names a case with a wrong expectation, `tenet fmt` restores a
//! scrambled rule set byte for byte, and `tenet diff` shows a deleted and a
//! changed rule by id with the cases whose outcome they change.

#![allow(clippy::panic, reason = "a test fails by panicking")]

use std::path::{Path, PathBuf};

mod common;
use common::tenet;

/// A fresh copy of `rules/` in a scratch directory of this test's own.
fn copy_rules(name: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("tenet-workflow-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    copy(Path::new("rules"), &root.join("rules"));
    root.join("rules")
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|error| panic!("cannot create {}: {error}", to.display()));
    for entry in std::fs::read_dir(from).into_iter().flatten().filter_map(Result::ok) {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap_or_else(|error| panic!("cannot copy {}: {error}", path.display()));
        }
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|error| panic!("cannot write {}: {error}", path.display()));
}

fn cleanup(rules: &Path) {
    if let Some(root) = rules.parent() {
        let _ = std::fs::remove_dir_all(root);
    }
}

#[test]
fn a_wrong_expectation_fails_naming_the_case() {
    let rules = copy_rules("test");
    let case = read(&rules.join("cases/S01.json"))
        .replace("\"fallback_decision\": \"disclose\"", "\"fallback_decision\": \"reject\"");
    write(&rules.join("cases/S01-wrong.json"), &case.replace("\"id\": \"S01\"", "\"id\": \"S01-wrong\""));
    let output = tenet(&["test", &rules.join("cases").display().to_string()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL  S01-wrong"), "{stdout}");
    assert!(stdout.contains("S01-wrong.json"), "{stdout}");
    assert!(stdout.contains("fallback_decision: expected \"reject\", got \"disclose\""), "{stdout}");
    assert!(stdout.lines().last().is_some_and(|line| line.ends_with("passed, 1 failed")), "{stdout}");
    cleanup(&rules);
}

#[test]
fn a_scrambled_rule_set_is_restored_byte_for_byte() {
    let rules = copy_rules("fmt");
    let mut files = Vec::new();
    for entry in walk(&rules) {
        if entry.extension().is_some_and(|extension| extension == "tenet") {
            let text = read(&entry);
            let scrambled: String =
                text.replace("\n\n", "\n\n\n\n").lines().map(|line| format!("{}   \n", line.trim_start())).collect();
            write(&entry, &scrambled);
            files.push((entry, text));
        }
    }
    assert!(files.len() > 10);
    let check = tenet(&["fmt", "--check", &rules.display().to_string()]);
    assert_eq!(check.status.code(), Some(1), "--check must fail on a scrambled rule set");
    assert!(String::from_utf8_lossy(&check.stdout).contains("would reformat"));
    let output = tenet(&["fmt", &rules.display().to_string()]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    for (path, original) in &files {
        assert_eq!(&read(path), original, "{} is not restored", path.display());
    }
    cleanup(&rules);
}

#[test]
fn deleting_and_changing_rules_shows_in_diff() {
    let rules = copy_rules("diff");
    let principles = rules.join("principles.tenet");
    let text = read(&principles);
    let start = text.find("  rule PRV-1d ").unwrap_or_else(|| panic!("PRV-1d is missing"));
    let end = text.find("  rule PRV-4c ").unwrap_or_else(|| panic!("PRV-4c is missing"));
    let mut changed = format!("{}{}", &text[..start], &text[end..]);
    changed = changed.replace(
        "when demand and human_rights_concern and not disclosure_required",
        "when demand and human_rights_concern",
    );
    write(&principles, &changed);
    let output = tenet(&["diff", "rules", &rules.display().to_string(), "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let diff: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|error| panic!("not JSON: {error}"));
    let ids = |key: &str| -> Vec<String> {
        diff[key].as_array().into_iter().flatten().filter_map(|rule| rule["id"].as_str()).map(str::to_string).collect()
    };
    assert_eq!(ids("removed"), ["PRV-1d"]);
    assert_eq!(ids("changed"), ["PRV-8"]);
    assert_eq!(diff["changed"][0]["parts"][0]["part"], "condition");
    let cases: Vec<&str> =
        diff["impact"]["changed"].as_array().into_iter().flatten().filter_map(|case| case["id"].as_str()).collect();
    assert!(cases.contains(&"S01") && cases.contains(&"S09"), "{cases:?}");
    let s01 = diff["impact"]["changed"].as_array().into_iter().flatten().find(|case| case["id"] == "S01");
    let actions =
        s01.and_then(|case| case["fields"].as_array()).into_iter().flatten().find(|field| field["field"] == "actions");
    assert_eq!(actions.map(|field| field["old_rules"].clone()), Some(serde_json::json!(["PRV-1d"])));
    cleanup(&rules);
}

#[test]
fn a_layout_only_change_shows_nothing_in_diff() {
    let rules = copy_rules("layout");
    for path in walk(&rules).into_iter().filter(|path| path.extension().is_some_and(|extension| extension == "tenet")) {
        let text = read(&path);
        write(&path, &format!("// a new comment\n\n{}", text.replace("\n", "\n\n").replace("  ", "    ")));
    }
    let output = tenet(&["diff", "rules", &rules.display().to_string(), "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let diff: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|error| panic!("not JSON: {error}"));
    for key in ["added", "removed", "changed", "declarations"] {
        assert_eq!(diff[key], serde_json::json!([]), "{key} must be empty for a layout-only change");
    }
    assert_eq!(diff["impact"]["changed"], serde_json::json!([]));
    cleanup(&rules);
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// JUnit output is well-formed XML whose counts agree with the text summary.
#[test]
fn junit_output_is_well_formed_and_counts_agree() {
    let output = tenet(&["test", "tests/cases/test", "tests/cases/conflicts", "--format", "junit"]);
    let xml = String::from_utf8_lossy(&output.stdout);
    let document =
        roxmltree::Document::parse(&xml).unwrap_or_else(|error| panic!("not well-formed XML ({error}):\n{xml}"));
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let cases: Vec<roxmltree::Node> = root.descendants().filter(|node| node.has_tag_name("testcase")).collect();
    let failures = cases.iter().filter(|case| case.children().any(|child| child.has_tag_name("failure"))).count();
    let errors = cases.iter().filter(|case| case.children().any(|child| child.has_tag_name("error"))).count();
    assert_eq!(root.attribute("tests"), Some(cases.len().to_string().as_str()));
    assert_eq!(root.attribute("failures"), Some(failures.to_string().as_str()));
    assert_eq!(root.attribute("errors"), Some(errors.to_string().as_str()));
    let text = tenet(&["test", "tests/cases/test", "tests/cases/conflicts"]);
    let summary = String::from_utf8_lossy(&text.stdout);
    let expected = format!("{} passed, {} failed", cases.len() - failures - errors, failures + errors);
    assert!(summary.contains(&expected), "text says otherwise:\n{summary}");
}
