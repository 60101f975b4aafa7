//! `tenet serve` as a client sees it: the API over the shipped rules (data cases in
//! `tests/cases/serve/api/`, snapshots of what comes back), and the faults a service
//! meets: oversize and slow requests, thousands of idle connections, reloads while
//! requests run, a kill -9 while logging, a shutdown with requests in flight.
//! Loopback only; every test bounded in count and time.

#![cfg(feature = "serve")]
#![allow(clippy::panic, reason = "a test fails by panicking")]

#[path = "common/http.rs"]
mod http;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::{Answer, Client, Server};
use serde_json::Value as Json;

/// A scratch directory of its own per test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tenet-serve-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|error| panic!("cannot create {}: {error}", dir.display()));
    dir
}

/// Times and the rule set's hash, which change from run to run or with every rule edit.
fn redact(json: &mut Json, rules_hash: &str) {
    match json {
        Json::Object(map) => {
            for (key, value) in map.iter_mut() {
                if matches!(key.as_str(), "loaded_at" | "at" | "time") && value.is_string() {
                    *value = Json::from("[time]");
                } else {
                    redact(value, rules_hash);
                }
            }
        }
        Json::Array(items) => items.iter_mut().for_each(|item| redact(item, rules_hash)),
        Json::String(text) if text == rules_hash => *text = String::from("sha256:[the shipped rules]"),
        _ => {}
    }
}

/// What a user sees of an answer: status, type, and the body (JSON pretty, one
/// document per line for NDJSON).
fn shown(answer: &Answer, rules_hash: &str) -> String {
    let mut out = format!("{} {}\n", answer.status, answer.content_type);
    let text = String::from_utf8_lossy(&answer.body);
    if answer.content_type.contains("json") {
        for line in text.lines().filter(|line| !line.trim().is_empty()) {
            match serde_json::from_str::<Json>(line) {
                Ok(mut json) => {
                    redact(&mut json, rules_hash);
                    out.push_str(&serde_json::to_string_pretty(&json).unwrap_or_default());
                    out.push('\n');
                }
                Err(_) => out.push_str(line),
            }
        }
    } else {
        out.push_str(&text);
    }
    out
}

#[test]
fn api_cases() {
    let server = Server::start(Path::new("rules"), &["--no-watch"]);
    let rules_hash = server.send("GET", "/v1/rules", b"").json()["hash"].as_str().unwrap_or_default().to_string();
    assert!(rules_hash.starts_with("sha256:") && rules_hash.len() == 71, "a rule set hash: {rules_hash}");
    insta::glob!("cases/serve/api/*.json", |path| {
        let case: Json = serde_json::from_slice(&std::fs::read(path).unwrap_or_default())
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        let request = case["request"].as_str().unwrap_or_default();
        let (method, target) = request.split_once(' ').unwrap_or(("GET", request));
        let body: Vec<u8> = if let Some(file) = case["body_file"].as_str() {
            std::fs::read(file).unwrap_or_else(|error| panic!("{file}: {error}"))
        } else if let Some(text) = case["body_text"].as_str() {
            text.as_bytes().to_vec()
        } else if case["body"].is_null() {
            Vec::new()
        } else {
            case["body"].to_string().into_bytes()
        };
        let answer = server.send(method, target, &body);
        let shown_body = String::from_utf8_lossy(&body);
        let shown_body =
            if shown_body.len() > 600 { format!("{}…", &shown_body[..600]) } else { shown_body.to_string() };
        insta::assert_snapshot!(format!("{request}\n{shown_body}\n---\n{}", shown(&answer, &rules_hash)));
    });
}

/// SHA-256 by `sha256sum`, an implementation other than the service's.
fn sha256_hex(bytes: &[u8]) -> String {
    let mut child = std::process::Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("sha256sum: {error}"));
    if let Some(mut stdin) = child.stdin.take() {
        std::io::Write::write_all(&mut stdin, bytes).unwrap_or_default();
    }
    let output = child.wait_with_output().unwrap_or_else(|error| panic!("sha256sum: {error}"));
    String::from_utf8_lossy(&output.stdout).split_whitespace().next().unwrap_or_default().to_string()
}

/// The receipt pins the decision: the same request on the same rules gives the same
/// outcome and receipt, and `tenet eval` gives the same outcome.
#[test]
fn receipts_reproduce_decisions() {
    let server = Server::start(Path::new("rules"), &["--no-watch"]);
    let body = std::fs::read("examples/uk-production-order.json").unwrap_or_default();
    let first = server.send("POST", "/v1/decide", &body).json();
    let second = server.send("POST", "/v1/decide", &body).json();
    assert_eq!(first, second);
    let receipt = &first["receipt"];
    assert_eq!(receipt["rules"], server.send("GET", "/v1/rules", b"").json()["hash"]);
    assert_eq!(receipt["engine"], format!("tenet {}", env!("CARGO_PKG_VERSION")));
    let request: Json = serde_json::from_slice(&body).unwrap_or_default();
    assert_eq!(receipt["as_of"], request["as_of"], "{receipt}");
    assert_eq!(receipt["request"], format!("sha256:{}", sha256_hex(&body)));
    let eval = std::process::Command::new(env!("CARGO_BIN_EXE_tenet"))
        .args(["eval", "rules", "--facts", "examples/uk-production-order.json", "--format", "json"])
        .output()
        .unwrap_or_else(|error| panic!("{error}"));
    let mut expected: Json = serde_json::from_slice(&eval.stdout).unwrap_or_default();
    let mut got = first.clone();
    got.as_object_mut().map(|map| map.remove("receipt"));
    expected.as_object_mut().map(|map| map.remove("receipt"));
    assert_eq!(got, expected, "the service and `tenet eval --format json` differ");
}

#[test]
fn oversize_and_slow_requests_get_clear_errors() {
    let server = Server::start(Path::new("rules"), &["--no-watch", "--max-body", "1KiB", "--read-timeout", "1s"]);
    // Oversize, announced by its length: refused before it is read.
    let big = vec![b' '; 4096];
    let answer = server.send("POST", "/v1/decide", &big);
    assert_eq!(answer.status, 413, "{answer:?}");
    assert_eq!(answer.json()["errors"][0]["code"], "tenet::serve::too_large");
    // Oversize, sent in chunks without a length: refused once past the limit.
    let mut client = server.client();
    let chunk = format!("{:x}\r\n{}\r\n", 800, " ".repeat(800));
    let head = "POST /v1/decide HTTP/1.1\r\nhost: tenet\r\ntransfer-encoding: chunked\r\n\r\n";
    let request = format!("{head}{chunk}{chunk}0\r\n\r\n");
    std::io::Write::write_all(&mut client.stream, request.as_bytes()).unwrap_or_default();
    let answer = client.answer().unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(answer.status, 413, "{answer:?}");
    // A body at one byte a second: 408 once the read timeout passes.
    let mut client = server.client();
    let started = Instant::now();
    let head = "POST /v1/decide HTTP/1.1\r\nhost: tenet\r\ncontent-length: 40\r\n\r\n";
    std::io::Write::write_all(&mut client.stream, head.as_bytes()).unwrap_or_default();
    let writer = client.stream.try_clone().unwrap_or_else(|error| panic!("{error}"));
    let trickle = std::thread::spawn(move || {
        let mut writer = writer;
        for byte in b"{\"as_of\"" {
            if std::io::Write::write_all(&mut writer, &[*byte]).is_err() {
                break;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    let answer = client.answer().unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(answer.status, 408, "{answer:?}");
    assert_eq!(answer.json()["errors"][0]["code"], "tenet::serve::slow");
    assert!(started.elapsed() < Duration::from_secs(5), "the slow body was cut off late: {:?}", started.elapsed());
    let _ = trickle.join();
    // A head at one byte a second: the connection is closed.
    let mut client = server.client();
    std::io::Write::write_all(&mut client.stream, b"POST /v1/dec").unwrap_or_default();
    assert!(client.closed_within(Duration::from_secs(5)), "a slow head kept its connection");
    // And the service goes on serving.
    let body = br#"{"as_of":"2025-06-10","kind":"data_transfer","transfer":{"exporter":{"country":"DE"}}}"#;
    let answer = server.send("POST", "/v1/decide", body);
    assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
}

#[test]
fn ten_thousand_idle_connections() {
    let server = Server::start(Path::new("rules"), &["--no-watch", "--read-timeout", "5s"]);
    let body = std::fs::read("examples/us-warrant-enterprise.json").unwrap_or_default();
    assert_eq!(server.send("POST", "/v1/decide", &body).status, 200);
    let before = server.resident_kib().unwrap_or(0);
    let connecting = Instant::now();
    // From 20 threads: now and then the kernel drops a SYN on loopback and the
    // client waits a second to retry it; in parallel those waits overlap.
    let openers: Vec<_> = (0..20)
        .map(|_| {
            let addr = server.addr;
            std::thread::spawn(move || {
                (0..500)
                    .map(|_| std::net::TcpStream::connect(addr).unwrap_or_else(|error| panic!("connect: {error}")))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let idle: Vec<std::net::TcpStream> =
        openers.into_iter().flat_map(|opener| opener.join().unwrap_or_default()).collect();
    assert_eq!(idle.len(), 10_000);
    // Wait for the service to have accepted them all.
    let started = Instant::now();
    // How many connections the service has open; `None` when the metrics could
    // not be read (a busy moment): unknown, not zero.
    let open = |server: &Server| {
        let metrics = String::from_utf8_lossy(&server.send("GET", "/metrics", b"").body).to_string();
        metrics
            .lines()
            .find(|line| line.starts_with("tenet_connections "))
            .and_then(|line| line.split_whitespace().nth(1)?.parse::<u64>().ok())
    };
    // Under load (other tests share the cores) connects that overflowed the accept
    // queue come back with the kernel's SYN retries, seconds apart: wait for them.
    while open(&server).is_none_or(|count| count < 10_001) && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let with_idle = server.resident_kib().unwrap_or(0);
    eprintln!("10,000 connections opened in {:?}, {:?} open", connecting.elapsed(), open(&server));
    let answer = server.send("POST", "/v1/decide", &body);
    assert_eq!(answer.status, 200, "the service stopped serving with 10,000 idle connections");
    let growth = with_idle.saturating_sub(before);
    eprintln!("resident: {before} KiB, with 10,000 idle connections {with_idle} KiB (+{growth} KiB)");
    assert!(growth < 200 * 1024, "10,000 idle connections took {growth} KiB");
    // The read timeout closes them.
    let started = Instant::now();
    let mut last = open(&server);
    while last.is_none_or(|count| count > 1) && started.elapsed() < Duration::from_secs(40) {
        std::thread::sleep(Duration::from_millis(200));
        last = open(&server);
    }
    assert!(last.is_some_and(|count| count <= 1), "idle connections still open after the read timeout: {last:?}");
    eprintln!("closed by the read timeout within {:?}", started.elapsed());
    drop(idle);
}

/// Copies of the eval fixture: two good versions and a broken one.
fn reload_versions() -> [String; 3] {
    let good = std::fs::read_to_string("tests/cases/eval/rules/rules.tenet").unwrap_or_default();
    let other = good.replace("Home warrants compel disclosure", "Home warrants compel disclosure (version B)");
    let broken = good.replace("fact kind : Kind", "fact kind : Knd");
    assert!(other != good && broken != good, "the fixture changed: adapt the edits");
    [good, other, broken]
}

#[test]
fn reloads_under_load_never_fail_a_request() {
    let dir = scratch("reload");
    let [good, other, broken] = reload_versions();
    let file = dir.join("rules.tenet");
    std::fs::write(&file, &good).unwrap_or_default();
    let server = Server::start(&dir, &["--no-watch"]);
    let body = std::fs::read("tests/cases/eval/ok/compelled.json").unwrap_or_default();
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(BTreeSet::new()));
    let answered = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let (stop, seen, answered, body, addr) =
                (stop.clone(), seen.clone(), answered.clone(), body.clone(), server.addr);
            std::thread::spawn(move || {
                let mut client = Client::connect(addr);
                let mut failures = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    let answer = client.send("POST", "/v1/decide", &body);
                    if answer.status != 200 {
                        failures.push(format!("{answer:?}"));
                        continue;
                    }
                    let hash = answer.json()["receipt"]["rules"].as_str().unwrap_or_default().to_string();
                    seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(hash);
                    answered.fetch_add(1, Ordering::SeqCst);
                }
                failures
            })
        })
        .collect();
    let mut clean = BTreeSet::new();
    clean.insert(server.send("GET", "/v1/rules", b"").json()["hash"].as_str().unwrap_or_default().to_string());
    let (mut loaded, mut rejected) = (0, 0);
    let mut admin = server.client();
    for reload in 0..1000 {
        let text = match reload % 4 {
            0 => &other,
            2 => &good,
            _ => &broken,
        };
        std::fs::write(&file, text).unwrap_or_default();
        let answer = admin.send("POST", "/v1/reload", b"");
        let json = answer.json();
        match json["status"].as_str() {
            Some("loaded") => {
                loaded += 1;
                clean.insert(json["rules"]["hash"].as_str().unwrap_or_default().to_string());
            }
            Some("rejected") => {
                rejected += 1;
                assert_eq!(answer.status, 422);
                assert_eq!(json["diagnostics"][0]["code"], "tenet::check::unknown_type", "{json}");
            }
            _ => panic!("unexpected reload answer: {json}"),
        }
    }
    stop.store(true, Ordering::SeqCst);
    let failures: Vec<String> = clients.into_iter().flat_map(|client| client.join().unwrap_or_default()).collect();
    assert!(failures.is_empty(), "requests failed during reloads: {failures:?}");
    assert_eq!((loaded, rejected), (500, 500));
    let seen = seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    assert!(seen.is_subset(&clean), "a receipt names a rule set that did not check clean: {seen:?} vs {clean:?}");
    assert_eq!(clean.len(), 2, "two good versions: {clean:?}");
    let answered = answered.load(Ordering::SeqCst);
    eprintln!("1,000 reloads (500 loaded, 500 rejected) with {answered} requests answered, none failed");
    assert!(answered > 1000, "too few requests ran during the reloads: {answered}");
    // The last broken edit is reported; the set in force is a good one.
    let rules = server.send("GET", "/v1/rules", b"").json();
    assert_eq!(rules["reloads"], serde_json::json!({ "loaded": 500, "rejected": 500 }));
    assert_eq!(rules["last_rejected"]["diagnostics"][0]["code"], "tenet::check::unknown_type");
    assert!(clean.contains(rules["hash"].as_str().unwrap_or_default()));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn file_changes_reload_and_broken_edits_keep_the_old_rules() {
    let dir = scratch("watch");
    let [good, other, broken] = reload_versions();
    let file = dir.join("rules.tenet");
    std::fs::write(&file, &good).unwrap_or_default();
    let server = Server::start(&dir, &[]);
    let first = server.send("GET", "/v1/rules", b"").json()["hash"].clone();
    let wait_for = |what: &str, done: &dyn Fn(&Json) -> bool| {
        let started = Instant::now();
        loop {
            let rules = server.send("GET", "/v1/rules", b"").json();
            if done(&rules) {
                return rules;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "{what}: {rules}");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    std::fs::write(&file, &other).unwrap_or_default();
    let changed = wait_for("the edit was not picked up", &|rules| rules["hash"] != first);
    std::fs::write(&file, &broken).unwrap_or_default();
    let after = wait_for("the broken edit was not reported", &|rules| !rules["last_rejected"].is_null());
    assert_eq!(after["hash"], changed["hash"], "a broken edit replaced the rules in force");
    let body = std::fs::read("tests/cases/eval/ok/compelled.json").unwrap_or_default();
    let answer = server.send("POST", "/v1/decide", &body);
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["receipt"]["rules"], changed["hash"]);
    assert!(server.stderr().contains("do not check"), "{}", server.stderr());
    // A single rule file, saved as editors do: a new file renamed over the old one.
    std::fs::write(&file, &good).unwrap_or_default();
    let single = Server::start(&file, &[]);
    let before = single.send("GET", "/v1/rules", b"").json()["hash"].clone();
    let saved = dir.join(".rules.tenet.swp");
    std::fs::write(&saved, &other).unwrap_or_default();
    std::fs::rename(&saved, &file).unwrap_or_default();
    let started = Instant::now();
    while single.send("GET", "/v1/rules", b"").json()["hash"] == before {
        assert!(started.elapsed() < Duration::from_secs(20), "a save by renaming was not picked up");
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A request carrying its own id, so that the log can be matched with what was acknowledged.
fn with_id(template: &Json, id: &str) -> Vec<u8> {
    let mut request = template.clone();
    request["id"] = Json::from(id);
    request.to_string().into_bytes()
}

fn read_log(path: &Path) -> (Vec<Json>, Option<String>) {
    let text = std::fs::read(path).unwrap_or_default();
    let mut lines: Vec<&[u8]> = text.split(|byte| *byte == b'\n').collect();
    let torn = lines.pop().filter(|last| !last.is_empty()).map(|last| String::from_utf8_lossy(last).to_string());
    let parsed = lines
        .iter()
        .map(|line| serde_json::from_slice(line).unwrap_or_else(|error| panic!("a torn line in the log ({error})")))
        .collect();
    (parsed, torn)
}

#[test]
fn kill_during_logging_loses_no_acknowledged_decision() {
    let dir = scratch("kill");
    let log = dir.join("decisions.ndjson");
    let log_arg = log.display().to_string();
    let server = Server::start(Path::new("rules"), &["--no-watch", "--decision-log", &log_arg]);
    // A request that gives every fact: decided in microseconds, so the log is busy.
    let loaded = tenet::load::load(&[PathBuf::from("rules")]);
    let as_of = tenet::facts::parse_date("2026-06-01").unwrap_or_default();
    let template = tenet::analysis::sample::requests(&loaded.program, as_of, 1, 7).pop().unwrap_or_default();
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let clients: Vec<_> = (0..4)
        .map(|thread| {
            let (acknowledged, template, addr) = (acknowledged.clone(), template.clone(), server.addr);
            std::thread::spawn(move || {
                let mut client = Client::connect(addr);
                for n in 0.. {
                    let id = format!("T{thread}-{n}");
                    match client.try_send("POST", "/v1/decide", &with_id(&template, &id)) {
                        Ok(answer) if answer.status == 200 => {
                            acknowledged.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(id)
                        }
                        _ => break,
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    server.signal("KILL");
    for client in clients {
        let _ = client.join();
    }
    let acknowledged = acknowledged.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    let (lines, torn) = read_log(&log);
    let logged: BTreeSet<String> =
        lines.iter().map(|line| line["request"]["id"].as_str().unwrap_or_default().to_string()).collect();
    let lost: Vec<&String> = acknowledged.iter().filter(|id| !logged.contains(*id)).collect();
    eprintln!(
        "killed with {} decisions acknowledged, {} lines logged, torn tail: {}",
        acknowledged.len(),
        lines.len(),
        torn.as_deref().map_or(0, str::len)
    );
    assert!(acknowledged.len() > 100, "too few decisions before the kill");
    assert!(lost.is_empty(), "acknowledged decisions missing from the log: {lost:?}");
    for line in &lines {
        assert!(line["receipt"]["rules"].as_str().is_some_and(|hash| hash.starts_with("sha256:")), "{line}");
        assert!(line["outcome"]["rules"].is_array(), "{line}");
    }
    // Reopening the log cuts off a torn tail; it then reads back as whole lines.
    let mut again = Server::start(Path::new("rules"), &["--no-watch", "--decision-log", &log_arg]);
    again.signal("TERM");
    let status = again.wait(Duration::from_secs(30));
    assert!(status.is_some_and(|status| status.success()), "exit: {status:?}\n{}", again.stderr());
    let (reread, torn) = read_log(&log);
    assert!(torn.is_none(), "a torn line after reopening");
    assert_eq!(reread.len(), lines.len());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn signals_sent_the_moment_the_address_is_printed_are_handled() {
    // A supervisor may signal as soon as the service says it listens: the signals
    // must be handled from then on, not left to their default action (which ends
    // the process without closing the decision log). Several starts, since a
    // missed registration shows only when the signal wins the race.
    for round in 0..8 {
        let mut server = Server::start(Path::new("rules"), &["--no-watch"]);
        server.signal("HUP");
        assert_eq!(server.send("GET", "/v1/rules", b"").status, 200, "round {round}: a HUP ended the service");
        server.signal("TERM");
        let status = server.wait(Duration::from_secs(30));
        assert!(status.is_some_and(|status| status.success()), "round {round}, exit: {status:?}\n{}", server.stderr());
        let stopped = Instant::now();
        while !server.stderr().contains("tenet serve: stopped") && stopped.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(server.stderr().contains("tenet serve: stopped"), "round {round}: no clean stop\n{}", server.stderr());
    }
}

#[test]
fn shutdown_finishes_requests_in_flight_and_flushes_the_log() {
    let dir = scratch("shutdown");
    let log = dir.join("decisions.ndjson");
    let log_arg = log.display().to_string();
    let mut server = Server::start(Path::new("rules"), &["--no-watch", "--decision-log", &log_arg]);
    // A batch of provisional requests takes a while to decide.
    let example = std::fs::read("examples/uk-production-order.json").unwrap_or_default();
    let example: Json = serde_json::from_slice(&example).unwrap_or_default();
    let batch: String =
        (0..40).map(|n| String::from_utf8_lossy(&with_id(&example, &format!("B{n}"))).to_string() + "\n").collect();
    let addr = server.addr;
    let in_flight =
        std::thread::spawn(move || Client::connect(addr).send("POST", "/v1/decide/batch", batch.as_bytes()));
    std::thread::sleep(Duration::from_millis(300));
    server.signal("TERM");
    let answer = in_flight.join().unwrap_or_else(|_| panic!("the batch client failed"));
    assert_eq!(answer.status, 200);
    let lines = String::from_utf8_lossy(&answer.body).lines().count();
    assert_eq!(lines, 40, "the batch in flight was cut short");
    let status = server.wait(Duration::from_secs(30));
    assert!(status.is_some_and(|status| status.success()), "exit: {status:?}\n{}", server.stderr());
    let (logged, torn) = read_log(&log);
    assert_eq!((logged.len(), torn), (40, None));
    assert!(server.stderr().contains("stopped"), "{}", server.stderr());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_decision_log_rotates_by_size() {
    let dir = scratch("rotate");
    let log = dir.join("decisions.ndjson");
    let log_arg = log.display().to_string();
    let mut server = Server::start(
        Path::new("rules"),
        &["--no-watch", "--decision-log", &log_arg, "--log-max-size", "8KiB", "--log-keep", "2"],
    );
    let template: Json =
        serde_json::from_slice(&std::fs::read("examples/us-warrant-enterprise.json").unwrap_or_default())
            .unwrap_or_default();
    let mut client = server.client();
    for n in 0..40 {
        assert_eq!(client.send("POST", "/v1/decide", &with_id(&template, &format!("R{n}"))).status, 200);
    }
    server.signal("TERM");
    assert!(server.wait(Duration::from_secs(10)).is_some_and(|status| status.success()));
    let numbered = |n: usize| PathBuf::from(format!("{log_arg}.{n}"));
    assert!(numbered(1).exists() && numbered(2).exists(), "rotated files expected");
    assert!(!numbered(3).exists(), "more rotated files kept than --log-keep");
    let mut ids = Vec::new();
    for path in [numbered(2), numbered(1), log.clone()] {
        let (lines, torn) = read_log(&path);
        assert!(torn.is_none());
        assert!(std::fs::metadata(&path).map(|meta| meta.len()).unwrap_or(0) < 8 * 1024 + 4096);
        ids.extend(lines.iter().map(|line| line["request"]["id"].as_str().unwrap_or_default().to_string()));
    }
    // The kept files hold the latest decisions, in order, ending with the last.
    assert_eq!(ids.last().map(String::as_str), Some("R39"));
    let numbers: Vec<usize> = ids.iter().filter_map(|id| id.trim_start_matches('R').parse().ok()).collect();
    assert!(numbers.windows(2).all(|pair| pair[1] == pair[0] + 1), "{ids:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
