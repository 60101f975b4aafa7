//! `tenet replay` at scale: a million generated requests, the shipped rules against a
//! changed copy, on DataFusion; the impact must equal what two runs of `tenet eval
//! --batch` give over the same archive, or the run fails.
//!
//! `cargo bench --features replay --bench replay [-- --requests 1000000]`; prints the
//! time and rate of each run. The archive (about 2 KB a request) is written to the
//! temporary directory and removed afterwards.

#![allow(clippy::expect_used, clippy::panic, reason = "a benchmark without its inputs cannot run")]

#[path = "../tests/common/impact.rs"]
mod impact;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Instant;

use serde_json::Value as Json;

fn tenet(args: &[&str]) -> (Output, f64) {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_tenet")).args(args).output().expect("tenet runs");
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        output.status.success() || args.contains(&"--batch"),
        "tenet {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (output, seconds)
}

fn main() {
    let mut requests = 1_000_000usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--requests" {
            requests = args.next().and_then(|value| value.parse().ok()).unwrap_or(requests);
        }
    }
    let dir = std::env::temp_dir().join(format!("tenet-replay-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    let new = impact::changed_rules(&dir);
    let loaded = tenet::load::load(&[PathBuf::from("rules")]);
    let archive = dir.join("archive.ndjson");
    let started = Instant::now();
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&archive).expect("archive"));
        let dates = ["2019-06-01", "2023-03-15", "2026-06-01"];
        for (seed, date) in dates.iter().enumerate() {
            let as_of = tenet::facts::parse_date(date).expect("date");
            let share = requests / dates.len() + usize::from(seed < requests % dates.len());
            let sampler = tenet::analysis::sample::Sampler::new(&loaded.program, as_of, seed as u64);
            for (n, mut request) in sampler.take(share).enumerate() {
                request["id"] = Json::from(format!("S{seed}-{n}"));
                serde_json::to_writer(&mut out, &request).expect("write");
                out.write_all(b"\n").expect("write");
            }
        }
    }
    let size = std::fs::metadata(&archive).map(|meta| meta.len()).unwrap_or(0);
    println!(
        "archive: {requests} requests, {:.0} MB, generated in {:.1} s",
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    let (archive_arg, new_arg) = (archive.display().to_string(), new.display().to_string());
    let (replayed, replay_seconds) =
        tenet(&["replay", &archive_arg, "--old", "rules", "--new", &new_arg, "--format", "json"]);
    let report: Json = serde_json::from_slice(&replayed.stdout).expect("replay JSON");
    let (old_batch, old_seconds) = tenet(&["eval", "rules", "--batch", &archive_arg]);
    let (new_batch, new_seconds) = tenet(&["eval", &new_arg, "--batch", &archive_arg]);
    let mut fields: Vec<String> = loaded.program.outcomes.iter().map(|outcome| outcome.name.clone()).collect();
    fields.extend(["conflicts", "violations", "rules", "error"].map(String::from));
    let expected = impact::from_batches(&old_batch.stdout, &new_batch.stdout, &fields);
    let got = impact::from_replay(&report);
    assert_eq!(got, expected, "the replay's impact differs from two batch runs");
    let rate = |seconds: f64| requests as f64 / seconds;
    println!("| run | seconds | requests/s |");
    println!("|---|---|---|");
    println!(
        "| tenet replay --old --new (both rule sets, DataFusion) | {replay_seconds:.1} | {:.0} |",
        rate(replay_seconds)
    );
    println!("| tenet eval --batch, old rules | {old_seconds:.1} | {:.0} |", rate(old_seconds));
    println!("| tenet eval --batch, new rules | {new_seconds:.1} | {:.0} |", rate(new_seconds));
    println!(
        "impact identical: {} requests, {} changed, {} (field, old, new) counts compared",
        report["requests"],
        report["changed"],
        expected.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
