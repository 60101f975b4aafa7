//! Bad input never crashes tenet, and every error says where.
//!
//! Inputs are generated here rather than stored (some are megabytes): a
//! truncated file, stray bytes, deep nesting, a 10 MB line, invalid UTF-8,
//! deeply nested JSON, and a seeded mutation run over every rule file in
//! `rules/` and every field of the example facts.

#![allow(clippy::panic, reason = "a test fails by panicking")]

use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::tenet;

/// A scratch directory of this test's own.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tenet-robustness-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|error| panic!("cannot create {}: {error}", dir.display()));
    dir
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap_or_else(|error| panic!("cannot write {}: {error}", path.display()));
}

/// Exit 0 or 1, never a crash, no backtrace; with errors, each JSON diagnostic is located.
fn assert_handled(output: &Output, what: &str, located: impl Fn(&serde_json::Value) -> bool) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let code = output.status.code();
    assert!(matches!(code, Some(0 | 1)), "{what}: exit {code:?}\n{}", stderr.chars().take(2000).collect::<String>());
    assert!(
        !stderr.contains("panicked") && !stderr.contains("internal error") && !stderr.contains("backtrace"),
        "{what}: {stderr}"
    );
    if code == Some(1) {
        let mut seen = 0;
        for line in stderr.lines().filter(|line| line.starts_with('{')) {
            let diagnostic: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|error| panic!("{what}: not JSON ({error}): {line}"));
            assert!(located(&diagnostic), "{what}: diagnostic without a location: {line}");
            seen += 1;
        }
        assert!(seen > 0, "{what}: failed without a diagnostic:\n{stderr}");
    }
}

/// A rules diagnostic is located by a labelled span in a file, or by `file:line:column` in its help.
fn rules_located(diagnostic: &serde_json::Value) -> bool {
    let labelled = diagnostic["filename"].as_str().is_some_and(|name| !name.is_empty())
        && diagnostic["labels"].as_array().is_some_and(|labels| !labels.is_empty());
    let in_help = diagnostic["help"].as_str().is_some_and(|help| help.contains(".tenet:"));
    let in_message = diagnostic["message"].as_str().is_some_and(|message| message.contains(".tenet:"));
    labelled || in_help || in_message
}

/// A facts diagnostic names the facts file and a field path, or the JSON line and column.
fn facts_located(diagnostic: &serde_json::Value) -> bool {
    let message = diagnostic["message"].as_str().unwrap_or("");
    message.contains(".json: ") && (message.contains('`') || message.contains("line "))
}

fn check_file(name: &str, bytes: &[u8]) -> Output {
    let dir = scratch(name);
    let file = dir.join("rules.tenet");
    write(&file, bytes);
    let output = tenet(&["check", "--error-format", "json", &file.display().to_string()]);
    let _ = std::fs::remove_dir_all(&dir);
    output
}

#[test]
fn bad_rule_files() {
    let good = std::fs::read("rules/principles.tenet").unwrap_or_default();
    let mut deep = b"rule R-1 \"deep\" { when ".to_vec();
    deep.extend(std::iter::repeat_n(b'(', 20_000));
    deep.extend(b"true");
    deep.extend(std::iter::repeat_n(b')', 20_000));
    deep.extend(b" }");
    let mut nots = b"rule R-1 \"nots\" { when ".to_vec();
    nots.extend(b"not ".repeat(20_000));
    nots.extend(b"true }");
    let mut quantifiers = b"rule R-1 \"any\" { when ".to_vec();
    quantifiers.extend(b"any x in l satisfies ".repeat(20_000));
    quantifiers.extend(b"true }");
    let mut long_line = b"fact a : text default \"".to_vec();
    long_line.extend(std::iter::repeat_n(b'x', 10_000_000));
    long_line.extend(b"\" @\n");
    let mut long_word = b"fact a : text default ".to_vec();
    long_word.extend(std::iter::repeat_n(b'y', 10_000_000));
    let inputs: Vec<(&str, Vec<u8>)> = vec![
        ("truncated", good.get(..good.len() / 2).unwrap_or_default().to_vec()),
        ("stray_bytes", b"fact a : bool\x00\x01\x7f default true\n".to_vec()),
        ("invalid_utf8", b"fact a : bool\nfact \xff\xfe : bool\n".to_vec()),
        ("deep_parentheses", deep),
        ("many_nots", nots),
        ("nested_quantifiers", quantifiers),
        ("ten_megabyte_string", long_line),
        ("ten_megabyte_word", long_word),
        (
            "long_sum",
            format!("fact as_of : date\nterm t means as_of{} > as_of\n", " + 1 day".repeat(100_000)).into_bytes(),
        ),
        (
            "term_chain",
            (0..20_000)
                .map(|i| format!("term t{i} means t{}\n", i + 1))
                .chain([String::from("fact x : bool\nterm t20000 means x\nrule R-1 \"r\" { cite \"c\" when t0 }\n")])
                .collect::<String>()
                .into_bytes(),
        ),
        (
            // Rendered one by one from a line index: linear, not 200 s as when every
            // snippet scanned the file from its start.
            "twenty_thousand_errors",
            (0..20_000)
                .map(|i| format!("rule R-{i} \"r\" {{ cite \"c\" when unknown_{i} }}\n"))
                .collect::<String>()
                .into_bytes(),
        ),
        (
            // Twenty thousand broken items: each error looks only at its own tokens.
            "twenty_thousand_parse_errors",
            (0..20_000)
                .map(|i| format!("rule R-{i} \"r\" {{ cite \"c\" when a = b }}\n"))
                .collect::<String>()
                .into_bytes(),
        ),
        (
            // Each term uses the one before it twice: checked once per term.
            "term_dag",
            std::iter::once(String::from("fact t0 : bool\n"))
                .chain((1..=40).map(|i| format!("term t{i} means t{} and t{}\n", i - 1, i - 1)))
                .chain([String::from("rule R-1 \"r\" { cite \"c\" when t40 }\n")])
                .collect::<String>()
                .into_bytes(),
        ),
        (
            "lone_carriage_returns",
            b"// a comment\rfact x : bool\rrule R-1 \"r\" { cite \"c\" when x and y }\r".to_vec(),
        ),
        ("only_braces", b"}}}{{{".to_vec()),
        ("empty", Vec::new()),
    ];
    for (name, bytes) in inputs {
        let output = check_file(name, &bytes);
        assert_handled(&output, name, rules_located);
    }
}

/// Nesting up to the limit (64 brackets and quantifiers) checks on the stack the
/// parser's worker threads have: the limit, not a probe of the stack while
/// parsing, is what keeps the recursive parser, lowering and checker within it.
#[test]
fn nesting_at_the_limit_checks() {
    let head = "fact x : bool\nfact l : list of number\nrule R-1 \"deep\" { cite \"c\" when ";
    let quantifiers: String = (0..32).map(|level| format!("(any n{level} in l satisfies ")).collect();
    let inputs = [
        ("parentheses", format!("{head}{}x{} }}\n", "(".repeat(64), ")".repeat(64))),
        ("quantifiers", format!("{head}{quantifiers}x{} }}\n", ")".repeat(32))),
        ("negations", format!("{head}{}x{} }}\n", "(not ".repeat(64), ")".repeat(64))),
    ];
    for (name, text) in inputs {
        let output = check_file(name, text.as_bytes());
        assert_eq!(output.status.code(), Some(0), "{name}: {}", String::from_utf8_lossy(&output.stderr));
    }
}

#[test]
fn bad_facts_files() {
    let dir = scratch("facts");
    let mut arrays = "[".repeat(100_000);
    arrays.push_str(&"]".repeat(100_000));
    let mut objects = String::from("{\"as_of\": \"2025-01-01\", \"request\": ");
    objects.push_str(&"{\"a\": ".repeat(50_000));
    objects.push('1');
    objects.push_str(&"}".repeat(50_001));
    let inputs: Vec<(&str, Vec<u8>)> = vec![
        ("nested_arrays", arrays.into_bytes()),
        ("nested_objects", objects.into_bytes()),
        ("truncated", b"{\"as_of\": \"2025-01-01\", \"kind\": \"govern".to_vec()),
        ("invalid_utf8", b"{\"as_of\": \"2025-01-01\", \"kind\": \"\xff\"}".to_vec()),
        ("not_json", b"as_of: 2025-01-01".to_vec()),
        ("huge_number", b"{\"as_of\": \"2025-01-01\", \"kind\": \"government_demand\", \"request\": {\"offence\": {\"max_penalty_years\": 1e999}}}".to_vec()),
    ];
    let yaml_inputs: Vec<(&str, Vec<u8>)> = vec![
        ("nested_yaml", format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes()),
        ("nested_yaml_flow_mappings", format!("as_of: {}x{}", "{a: ".repeat(100_000), "}".repeat(100_000)).into_bytes()),
        ("nested_yaml_blocks", "- ".repeat(100_000).into_bytes()),
        ("nested_yaml_indents", (0..3_000).map(|depth| format!("{}a:\n", " ".repeat(depth))).collect::<String>().into_bytes()),
        ("oversized_yaml", format!("as_of: 2025-01-01\nwhy: \"{}\"\n", "x".repeat(17 * 1024 * 1024)).into_bytes()),
        ("yaml_alias_bomb", b"a: &a [x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n".to_vec()),
        ("not_yaml", b"kind: [unclosed\n".to_vec()),
    ];
    for (name, bytes) in yaml_inputs {
        let file = dir.join(format!("{name}.yaml"));
        write(&file, &bytes);
        let output = tenet(&["eval", "rules", "--error-format", "json", "--facts", &file.display().to_string()]);
        assert_handled(&output, name, |diagnostic| {
            diagnostic["message"].as_str().is_some_and(|message| message.contains(".yaml: "))
        });
    }
    for (name, bytes) in inputs {
        let file = dir.join(format!("{name}.json"));
        write(&file, &bytes);
        let output = tenet(&["eval", "rules", "--error-format", "json", "--facts", &file.display().to_string()]);
        assert_handled(&output, name, facts_located);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

const SPLICES: &[&[u8]] = &[
    b"{",
    b"}",
    b"(",
    b")",
    b"[",
    b"]",
    b"\"",
    b"\n",
    b" ",
    b"rule",
    b"when",
    b"then",
    b"not",
    b"and",
    b"is",
    b"in",
    b"2025-13-45",
    b"99999999999999999999",
    b"@",
    b"\xc3\x28",
    b"-",
    b".",
    b",",
    b":",
    b"= ",
    b"otherwise",
    b"any",
];

fn mutate(random: &mut Random, text: &[u8]) -> Vec<u8> {
    let mut bytes = text.to_vec();
    for _ in 0..=random.below(3) {
        let at = random.below(bytes.len() + 1);
        match random.below(4) {
            0 => {
                let end = (at + random.below(40)).min(bytes.len());
                bytes.drain(at..end);
            }
            1 => {
                let splice = SPLICES[random.below(SPLICES.len())];
                bytes.splice(at..at, splice.iter().copied());
            }
            2 => bytes.truncate(at),
            _ => {
                let end = (at + random.below(80)).min(bytes.len());
                let copy: Vec<u8> = bytes.get(at..end).unwrap_or_default().to_vec();
                let to = random.below(bytes.len() + 1);
                bytes.splice(to..to, copy);
            }
        }
    }
    bytes
}

fn rule_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() && path.file_name().is_some_and(|name| name != "cases") {
            rule_files(&path, out);
        } else if path.extension().is_some_and(|extension| extension == "tenet") {
            out.push(path);
        }
    }
    out.sort();
}

#[test]
fn mutated_rule_files() {
    let mut files = Vec::new();
    rule_files(Path::new("rules"), &mut files);
    assert!(files.len() > 10, "the flagship rules are missing");
    let mut random = Random(0x5eed_1e9a_1c0d_e5ed);
    let dir = scratch("mutations");
    // A copy of the whole rule set, one file of which is mutated at a time, evaluated
    // on an example request: mutations that still check are evaluated too.
    for file in &files {
        let copy = dir.join(file);
        if let Some(parent) = copy.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        write(&copy, &std::fs::read(file).unwrap_or_default());
    }
    let rules = dir.join("rules").display().to_string();
    for file in &files {
        let text = std::fs::read(file).unwrap_or_default();
        for round in 0..6 {
            write(&dir.join(file), &mutate(&mut random, &text));
            let output =
                tenet(&["eval", &rules, "--error-format", "json", "--facts", "examples/us-warrant-eu-data.json"]);
            let located = |diagnostic: &serde_json::Value| rules_located(diagnostic) || facts_located(diagnostic);
            assert_handled(&output, &format!("{} mutation {round}", file.display()), located);
        }
        write(&dir.join(file), &text);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every field of every example request, replaced by values of the wrong kind.
#[test]
fn mutated_facts() {
    let replacements = [
        serde_json::json!(null),
        serde_json::json!(true),
        serde_json::json!(-1),
        serde_json::json!(1e300),
        serde_json::json!("2025-02-30"),
        serde_json::json!("not-a-value"),
        serde_json::json!([[[[1]]]]),
        serde_json::json!({"unexpected": {"deeper": []}}),
    ];
    let dir = scratch("facts-mutations");
    let mut examples: Vec<PathBuf> = std::fs::read_dir("examples")
        .map(|entries| entries.filter_map(Result::ok).map(|entry| entry.path()).collect())
        .unwrap_or_default();
    // The requests, not the example program beside them.
    examples.retain(|path| path.extension().is_some_and(|extension| extension == "json"));
    examples.sort();
    assert!(!examples.is_empty(), "the examples are missing");
    for example in examples {
        let text = std::fs::read_to_string(&example).unwrap_or_default();
        let facts: serde_json::Value = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
        let mut paths = Vec::new();
        leaf_paths(&facts, &mut Vec::new(), &mut paths);
        for (index, path) in paths.iter().enumerate() {
            let mut changed = facts.clone();
            if let Some(slot) = pointer(&mut changed, path) {
                *slot = replacements[index % replacements.len()].clone();
            }
            let file = dir.join("facts.json");
            write(&file, changed.to_string().as_bytes());
            let output = tenet(&["eval", "rules", "--error-format", "json", "--facts", &file.display().to_string()]);
            assert_handled(&output, &format!("{} at {}", example.display(), path.join(".")), facts_located);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn leaf_paths(value: &serde_json::Value, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map {
                prefix.push(key.clone());
                leaf_paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => out.push(prefix.clone()),
    }
}

fn pointer<'a>(value: &'a mut serde_json::Value, path: &[String]) -> Option<&'a mut serde_json::Value> {
    path.iter().try_fold(value, |node, key| node.get_mut(key))
}
