//! `tenet eval --batch`: a batch larger than one chunk keeps its order, and a
//! bad request in the middle is reported at its line without stopping the rest.

#![allow(clippy::panic, reason = "a test fails by panicking")]

mod common;

#[test]
fn a_large_batch_keeps_its_order_and_reports_bad_lines() {
    let examples = ["examples/us-warrant-enterprise.json", "examples/eu-us-transfer.json"];
    let requests: Vec<String> = examples
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{path}: {error}"));
            let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|error| panic!("{path}: {error}"));
            json.to_string()
        })
        .collect();
    let count = 20_000;
    let bad = 12_345;
    let mut input = String::new();
    for line in 1..=count {
        if line == bad {
            input.push_str("{\"as_of\": \"2025-01-01\", \"kind\": \"nonsense\"}\n");
        } else {
            input.push_str(&requests[line % 2]);
            input.push('\n');
        }
    }
    let output = common::tenet_with_input(&["eval", "rules", "--batch", "-"], Some(input.as_bytes()));
    assert_eq!(output.status.code(), Some(1), "a bad request makes the batch exit 1");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), count, "one output line per request");
    for (index, line) in lines.iter().enumerate() {
        let number = index + 1;
        let json: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|error| panic!("line {number} is not JSON ({error}): {line}"));
        if number == bad {
            assert_eq!(json["line"], number, "the error names its line");
            continue;
        }
        let expected = if number % 2 == 0 { "redirect_to_customer" } else { "permit_transfer_with_safeguards" };
        assert_eq!(json["decision"], expected, "line {number} is out of order");
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("line {bad}: ")), "the diagnostic names the line:\n{stderr}");
}

#[test]
fn an_oversized_line_is_reported_and_the_batch_goes_on() {
    let small = "{\"as_of\": \"2025-01-01\", \"kind\": \"data_transfer\"}";
    let big = format!("{{\"as_of\": \"2025-01-01\", \"id\": \"{}\"}}", "x".repeat(17 * 1024 * 1024));
    let input = format!("{small}\n{big}\n{small}\n");
    let output = common::tenet_with_input(&["eval", "rules", "--batch", "-"], Some(input.as_bytes()));
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "one line per request:\n{stdout}");
    assert!(lines[1].contains("\"line\":2") && lines[1].contains("too_large"), "{}", lines[1]);
    assert!(!lines[2].contains("\"errors\""), "the batch goes on after the oversized line: {}", lines[2]);
}
