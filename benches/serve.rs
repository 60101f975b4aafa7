//! Load on `tenet serve`: decisions per second and latency (median, p99) at 1,
//! 16 and 64 concurrent connections on the shipped rules, over loopback.
//!
//! The service runs as its own process (the `tenet` binary, release); the load
//! comes from this process, a hyper client on one thread, each connection
//! sending its next request as soon as the last is answered (closed loop).
//! Requests: samples that give every fact the rules read (each drawn from the
//! classes the rules tell apart), and the shipped examples, which leave facts out
//! and so are also analysed for the outcomes those facts could change.
//!
//! `cargo bench --bench serve [-- --seconds 5]`; prints a table. Every response
//! must be 200 with a receipt, or the run fails.

#![allow(clippy::expect_used, clippy::panic, reason = "a benchmark without its service cannot run")]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

struct Service {
    child: Child,
    addr: String,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(extra: &[&str]) -> Service {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tenet"))
        .args(["serve", "rules", "--addr", "127.0.0.1:0", "--no-watch"])
        .args(extra)
        .stderr(Stdio::piped())
        .spawn()
        .expect("tenet serve starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in `{first}`"))
        .to_string();
    // Keep reading standard error so that the service never blocks on it.
    std::thread::spawn(move || for _ in lines {});
    Service { child, addr }
}

/// One closed-loop connection: requests from `bodies`, in turn, until `until`.
async fn connection(addr: String, bodies: std::sync::Arc<Vec<Bytes>>, offset: usize, until: Instant) -> Vec<u32> {
    let stream = tokio::net::TcpStream::connect(&addr).await.expect("connect");
    let _ = stream.set_nodelay(true);
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("handshake");
    tokio::spawn(connection);
    let mut latencies = Vec::new();
    let mut next = offset;
    while Instant::now() < until {
        let body = bodies[next % bodies.len()].clone();
        next += 1;
        let request = Request::post("/v1/decide")
            .header("host", &addr)
            .header("content-type", "application/json")
            .body(Full::new(body))
            .expect("request");
        let started = Instant::now();
        let response = sender.send_request(request).await.expect("response");
        let status = response.status();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        latencies.push(started.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
        if status != 200 || !bytes.windows(10).any(|window| window == b"\"receipt\":") {
            panic!("unexpected answer {status}: {}", String::from_utf8_lossy(&bytes));
        }
    }
    latencies
}

struct Row {
    requests: &'static str,
    connections: usize,
    per_second: f64,
    median: u32,
    p99: u32,
}

fn load(
    addr: &str,
    requests: &'static str,
    bodies: &std::sync::Arc<Vec<Bytes>>,
    connections: usize,
    seconds: f64,
) -> Row {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(seconds);
    let mut latencies: Vec<u32> = runtime.block_on(async {
        let tasks: Vec<_> = (0..connections)
            .map(|offset| tokio::spawn(connection(addr.to_string(), bodies.clone(), offset * 7, until)))
            .collect();
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.expect("connection task"));
        }
        all
    });
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let at = |fraction: f64| {
        latencies
            .get(((latencies.len() as f64 * fraction) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    Row { requests, connections, per_second: latencies.len() as f64 / elapsed, median: at(0.5), p99: at(0.99) }
}

fn main() {
    let mut seconds = 5.0;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--seconds" {
            seconds = args.next().and_then(|value| value.parse().ok()).unwrap_or(seconds);
        }
    }
    let loaded = tenet::load::load(&["rules".into()]);
    assert!(!loaded.has_errors(), "the shipped rules must check");
    let as_of = tenet::facts::parse_date("2026-06-01").expect("date");
    let complete: Vec<Bytes> = tenet::analysis::sample::requests(&loaded.program, as_of, 1000, 42)
        .into_iter()
        .map(|request| Bytes::from(request.to_string()))
        .collect();
    let mut examples = Vec::new();
    for entry in std::fs::read_dir("examples").expect("examples") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|extension| extension == "json") {
            examples.push(Bytes::from(std::fs::read(path).expect("example")));
        }
    }
    let complete = std::sync::Arc::new(complete);
    let examples = std::sync::Arc::new(examples);
    let log = std::env::temp_dir().join(format!("tenet-bench-{}.ndjson", std::process::id()));
    let mut rows = Vec::new();
    {
        let service = start(&[]);
        for connections in [1, 16, 64] {
            rows.push(load(&service.addr, "sampled, every fact given", &complete, connections, seconds));
        }
        rows.push(load(&service.addr, "shipped examples (provisional)", &examples, 16, seconds));
    }
    {
        let log_path = log.display().to_string();
        let service = start(&["--decision-log", &log_path, "--log-max-size", "0"]);
        rows.push(load(&service.addr, "sampled, with --decision-log", &complete, 64, seconds));
    }
    let logged = std::fs::read(&log).map(|bytes| bytes.iter().filter(|byte| **byte == b'\n').count()).unwrap_or(0);
    let _ = std::fs::remove_file(&log);
    println!("| requests | connections | decisions/s | median | p99 |");
    println!("|---|---|---|---|---|");
    for row in &rows {
        println!(
            "| {} | {} | {:.0} | {:.2} ms | {:.2} ms |",
            row.requests,
            row.connections,
            row.per_second,
            f64::from(row.median) / 1000.0,
            f64::from(row.p99) / 1000.0
        );
    }
    println!("decision log: {logged} lines written");
}
