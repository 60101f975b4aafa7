//! `tenet replay` (feature `replay`): the impact of a rule change over an archive
//! equals what two runs of `tenet eval --batch` give, field by field; decision logs
//! and Parquet archives replay like the requests they hold; failures are clear.

#![cfg(feature = "replay")]
#![allow(clippy::panic, reason = "a test fails by panicking")]

mod common;
#[path = "common/impact.rs"]
mod impact;

use std::path::{Path, PathBuf};

use common::tenet;
use impact::{changed_rules, from_batches, from_replay};
use serde_json::Value as Json;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tenet-replay-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|error| panic!("{error}"));
    dir
}

/// An archive: sampled requests on three dates, the examples (which leave facts
/// out), and a few lines that are not valid requests.
fn archive(dir: &Path, per_date: usize) -> PathBuf {
    let loaded = tenet::load::load(&[PathBuf::from("rules")]);
    let mut lines = Vec::new();
    for (seed, date) in ["2019-06-01", "2023-03-15", "2026-06-01"].iter().enumerate() {
        let as_of = tenet::facts::parse_date(date).unwrap_or_default();
        for (n, mut request) in
            tenet::analysis::sample::Sampler::new(&loaded.program, as_of, seed as u64).take(per_date).enumerate()
        {
            request["id"] = Json::from(format!("S{seed}-{n}"));
            lines.push(request.to_string());
        }
    }
    for entry in std::fs::read_dir("examples").into_iter().flatten().flatten() {
        let text = std::fs::read(entry.path()).unwrap_or_default();
        if let Ok(json) = serde_json::from_slice::<Json>(&text) {
            lines.push(json.to_string());
        }
    }
    lines.push(String::from(r#"{"as_of":"2025-06-10","kind":"nonsense"}"#));
    lines.push(String::from("not json"));
    let path = dir.join("archive.ndjson");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap_or_default();
    path
}

fn run_json(args: &[&str]) -> Json {
    let output = tenet(args);
    assert!(output.status.success(), "tenet {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("{error}: {}", String::from_utf8_lossy(&output.stdout)))
}

#[test]
fn the_impact_equals_two_batch_runs() {
    let dir = scratch("impact");
    let new = changed_rules(&dir);
    let archive = archive(&dir, 3000);
    let (archive_arg, new_arg) = (archive.display().to_string(), new.display().to_string());
    let report = run_json(&[
        "replay",
        &archive_arg,
        "--old",
        "rules",
        "--new",
        &new_arg,
        "--format",
        "json",
        "--partitions",
        "3",
    ]);
    let old_batch = tenet(&["eval", "rules", "--batch", &archive_arg]);
    let new_batch = tenet(&["eval", &new_arg, "--batch", &archive_arg]);
    let loaded = tenet::load::load(&[PathBuf::from("rules")]);
    let mut fields: Vec<String> = loaded.program.outcomes.iter().map(|outcome| outcome.name.clone()).collect();
    fields.extend(["conflicts", "violations", "rules", "error"].map(String::from));
    let expected = from_batches(&old_batch.stdout, &new_batch.stdout, &fields);
    let got = from_replay(&report);
    assert_eq!(got, expected, "the replay and two batch runs disagree");
    let requests = report["requests"].as_u64().unwrap_or(0);
    assert_eq!(requests, 9000 + 5 + 2);
    assert!(report["changed"].as_u64().unwrap_or(0) > 0, "the change changes nothing: {report}");
    // Every example names a request of the archive.
    for field in report["fields"].as_array().into_iter().flatten() {
        for transition in field["transitions"].as_array().into_iter().flatten() {
            assert!(!transition["examples"].as_array().is_none_or(Vec::is_empty), "{transition}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_report_a_reviewer_reads() {
    let dir = scratch("report");
    let new = changed_rules(&dir);
    let archive = archive(&dir, 200);
    let (archive_arg, new_arg) = (archive.display().to_string(), new.display().to_string());
    let mut shown = String::new();
    for format in ["text", "markdown"] {
        let output = tenet(&["replay", &archive_arg, "--old", "rules", "--new", &new_arg, "--format", format]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let text = String::from_utf8_lossy(&output.stdout).replace(&archive_arg, "ARCHIVE").replace(&new_arg, "NEW");
        // The first line has the time taken and the rate; hashes change with every edit.
        let mut lines = text.lines();
        let first = lines.next().unwrap_or_default();
        shown.push_str(&format!("$ tenet replay ARCHIVE --old rules --new NEW --format {format}\n"));
        shown.push_str(first.split(" in ").next().unwrap_or_default());
        shown.push_str(" in [time]\n");
        for line in lines {
            let line = match line.find("(sha256:") {
                Some(at) => format!("{}(sha256:…)", &line[..at]),
                None => line.to_string(),
            };
            shown.push_str(&line);
            shown.push('\n');
        }
        shown.push('\n');
    }
    insta::assert_snapshot!(shown);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn decision_logs_and_parquet_replay_like_the_requests() {
    let dir = scratch("formats");
    let archive = archive(&dir, 300);
    let archive_arg = archive.display().to_string();
    let plain = run_json(&["replay", &archive_arg, "--format", "json"]);
    // The outcomes written as Parquet, then replayed from it (its `request` column).
    let parquet = dir.join("outcomes.parquet").display().to_string();
    let written = run_json(&["replay", &archive_arg, "--format", "json", "--outcomes", &parquet]);
    assert_eq!(written["outcomes"], parquet.as_str());
    let again = run_json(&["replay", &parquet, "--format", "json"]);
    assert_eq!(from_replay(&again), from_replay(&plain), "Parquet replays differently");
    // The same requests as decision-log lines (those that are JSON objects) replay
    // as those requests do.
    let text = std::fs::read_to_string(&archive).unwrap_or_default();
    let objects: Vec<&str> =
        text.lines().filter(|line| serde_json::from_str::<Json>(line).is_ok_and(|json| json.is_object())).collect();
    let only_objects = dir.join("objects.ndjson");
    std::fs::write(&only_objects, objects.join("\n") + "\n").unwrap_or_default();
    let log = dir.join("decisions.ndjson");
    let logged: Vec<String> = objects
        .iter()
        .map(|line| format!(r#"{{"time":"2026-11-29T00:00:00Z","request":{line},"outcome":{{}},"receipt":{{}}}}"#))
        .collect();
    std::fs::write(&log, logged.join("\n") + "\n").unwrap_or_default();
    let from_log = run_json(&["replay", &log.display().to_string(), "--format", "json"]);
    let from_objects = run_json(&["replay", &only_objects.display().to_string(), "--format", "json"]);
    assert_eq!(from_replay(&from_log), from_replay(&from_objects), "a decision log replays differently");
    assert_eq!(from_log["requests"].as_u64(), plain["requests"].as_u64().map(|n| n - 1));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn failures_are_clear() {
    let dir = scratch("failures");
    let missing = tenet(&["replay", "no-such-archive.ndjson", "--error-format", "plain"]);
    assert_eq!(missing.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("tenet::replay::io") && stderr.contains("no-such-archive.ndjson"), "{stderr}");
    let usage = tenet(&["replay", "x.ndjson", "--old", "rules"]);
    assert_eq!(usage.status.code(), Some(2));
    let broken = dir.join("broken");
    std::fs::create_dir_all(&broken).unwrap_or_default();
    std::fs::write(broken.join("rules.tenet"), "fact as_of : date\nfact x : Nope\n").unwrap_or_default();
    let archive = dir.join("one.ndjson");
    std::fs::write(&archive, "{}\n").unwrap_or_default();
    let output = tenet(&[
        "replay",
        &archive.display().to_string(),
        "--rules",
        &broken.display().to_string(),
        "--error-format",
        "plain",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("Nope"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The same plan on Apache Ballista (a scheduler and an executor in this process,
/// talking gRPC over loopback): the same impact as DataFusion in one process.
#[cfg(feature = "ballista")]
#[test]
fn ballista_standalone_gives_the_same_impact() {
    let dir = scratch("ballista");
    let new = changed_rules(&dir);
    let archive = archive(&dir, 1000);
    let (archive_arg, new_arg) = (archive.display().to_string(), new.display().to_string());
    // Ballista's executors read Parquet: the archive as Parquet first (`source`, `request`).
    let parquet = dir.join("archive.parquet").display().to_string();
    run_json(&["replay", &archive_arg, "--format", "json", "--outcomes", &parquet]);
    let compare = ["replay", &parquet, "--old", "rules", "--new", &new_arg, "--format", "json"];
    let local = run_json(&compare);
    let distributed = run_json(&[&compare[..], &["--ballista"]].concat());
    assert_eq!(distributed["engine"], "Ballista (standalone)");
    assert_eq!(local["engine"], "DataFusion");
    assert_eq!(distributed["requests"], local["requests"]);
    assert_eq!(from_replay(&distributed), from_replay(&local), "Ballista and DataFusion disagree");
    assert!(local["changed"].as_u64().unwrap_or(0) > 0, "the change changes nothing: {local}");
    // Every outcome written out through Ballista too.
    let outcomes = dir.join("outcomes.ndjson");
    let outcomes_arg = outcomes.display().to_string();
    run_json(&[&compare[..], &["--ballista", "--outcomes", &outcomes_arg]].concat());
    let written = std::fs::read_to_string(&outcomes).unwrap_or_default();
    assert_eq!(Some(written.lines().count() as u64), local["requests"].as_u64());
    // NDJSON cannot be sent to the executors: said so.
    let output = tenet(&["replay", &archive_arg, "--ballista", "--error-format", "plain"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("tenet::replay::ballista_parquet"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Without the `ballista` feature, `--ballista` says how to get it.
#[cfg(not(feature = "ballista"))]
#[test]
fn ballista_not_built_is_said() {
    let dir = scratch("no-ballista");
    let archive = dir.join("one.parquet");
    std::fs::write(&archive, "").unwrap_or_default();
    let output = tenet(&["replay", &archive.display().to_string(), "--ballista", "--error-format", "plain"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("tenet::replay::ballista_not_built") && stderr.contains("--features ballista"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
