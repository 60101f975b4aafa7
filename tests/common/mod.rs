//! Helpers shared by the tests that run the `tenet` binary.

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

/// Runs `tenet` from the repository root, without colour.
#[allow(dead_code, reason = "not every test binary runs tenet without input")]
pub fn tenet(args: &[&str]) -> Output {
    tenet_with_input(args, None)
}

/// Runs `tenet` from the repository root, without colour, with `input` on its
/// standard input (none when `None`).
pub fn tenet_with_input(args: &[&str], input: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tenet"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot run tenet: {error}"));
    // Input is written from a thread of its own: a command that writes while it
    // reads would otherwise fill the output pipe and wait for us forever.
    let writer = match (input, child.stdin.take()) {
        (Some(input), Some(mut stdin)) => {
            let input = input.to_vec();
            // A command that stops reading early closes the pipe; that is its business.
            Some(std::thread::spawn(move || {
                let _ = stdin.write_all(&input);
            }))
        }
        _ => None,
    };
    let output = child.wait_with_output().unwrap_or_else(|error| panic!("cannot run tenet: {error}"));
    if let Some(writer) = writer {
        let _ = writer.join();
    }
    output
}

/// Every request under `dir`, with its file: an example is the request; a case
/// file holds it under `facts`. Files that are not JSON are skipped.
#[allow(dead_code, reason = "not every test binary reads requests")]
pub fn requests(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, serde_json::Value)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<std::path::PathBuf> = entries.filter_map(Result::ok).map(|entry| entry.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            requests(&path, out);
        } else if path.extension().is_some_and(|extension| extension == "json") {
            let text = std::fs::read(&path).unwrap_or_default();
            let Ok(json) = serde_json::from_slice::<serde_json::Value>(&text) else { continue };
            let facts = json.get("facts").cloned().unwrap_or(json);
            out.push((path, facts));
        }
    }
}
