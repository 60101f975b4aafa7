//! The HTTP API: routes, the decision of one request, and errors as problem
//! documents (RFC 9457) carrying the same codes and field paths as the CLI.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http_body_util::BodyExt as _;
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::{Value as Json, json};
use tokio::sync::Semaphore;

use tenet::diag::Diagnostic;
use tenet::facts::Facts;
use tenet::receipt::{ENGINE, Receipt, request_hash};
use tenet::render::Report;

use super::Limits;
use super::log::DecisionLog;
use super::metrics::Metrics;
use super::rules::{Current, Reloaded, RuleSet};

/// Everything a request needs, shared by all connections.
pub struct Service {
    pub current: Current,
    pub path: PathBuf,
    pub log: Option<DecisionLog>,
    pub metrics: Metrics,
    pub limits: Limits,
    /// Set once shutting down: `/readyz` then says 503.
    pub draining: AtomicBool,
    evaluations: Semaphore,
    reloading: tokio::sync::Mutex<()>,
}

impl Service {
    pub fn new(current: Current, path: PathBuf, log: Option<DecisionLog>, metrics: Metrics, limits: Limits) -> Service {
        Service {
            current,
            path,
            log,
            metrics,
            limits,
            draining: AtomicBool::new(false),
            evaluations: Semaphore::new(limits.max_concurrency.max(1)),
            reloading: tokio::sync::Mutex::new(()),
        }
    }

    /// Reloads the rules from disk; one reload at a time.
    pub async fn reload(&self) -> Reloaded {
        let _one = self.reloading.lock().await;
        let reloaded = self.current.reload(&self.path).await;
        if let Reloaded::Loaded(set) = &reloaded {
            self.metrics.rules.set(set.loaded.program.rules.len() as i64);
        }
        reloaded
    }
}

/// The routes.
pub fn router(service: Arc<Service>) -> Router {
    Router::new()
        .route("/v1/decide", post(decide))
        .route("/v1/decide/batch", post(batch))
        .route("/v1/rules", get(rules))
        .route("/v1/reload", post(reload))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
        .fallback(|| async { Problem::new(StatusCode::NOT_FOUND, "not-found", "there is no such endpoint").response() })
        .method_not_allowed_fallback(|| async {
            Problem::new(StatusCode::METHOD_NOT_ALLOWED, "method", "this endpoint does not take this method").response()
        })
        .with_state(service)
}

/// The query of `/v1/decide` and `/v1/decide/batch`.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// Explain the decision: conditions, values, rules that did not apply.
    #[serde(default)]
    explain: bool,
    /// Evaluate as of this date instead of the request's `as_of`.
    as_of: Option<String>,
    /// Name the fewest facts left out that settle a provisional outcome.
    #[serde(default)]
    ask: bool,
}

/// What one request asks for, the query read.
#[derive(Clone, Copy)]
struct Asked {
    explain: bool,
    ask: bool,
    as_of: Option<jiff::civil::Date>,
}

impl Params {
    fn read(query: Result<Query<Params>, QueryRejection>) -> Result<Asked, Problem> {
        let Query(params) = query.map_err(|rejection| {
            Problem::new(StatusCode::BAD_REQUEST, "query", "the query is not understood").error(json!({
                "code": "tenet::serve::query",
                "message": rejection.body_text().trim_start_matches("Failed to deserialize query string: ").to_string(),
                "help": "the query takes `explain=true`, `ask=true` and `as_of=YYYY-MM-DD`",
            }))
        })?;
        let as_of = match &params.as_of {
            None => None,
            Some(text) => Some(tenet::facts::parse_date(text).ok_or_else(|| {
                Problem::new(StatusCode::BAD_REQUEST, "query", "the query is not understood").error(json!({
                    "code": "tenet::serve::as_of",
                    "message": format!("`{text}` is not a date"),
                    "help": "write as_of=YYYY-MM-DD, e.g. as_of=2025-02-11",
                }))
            })?),
        };
        Ok(Asked { explain: params.explain, ask: params.ask, as_of })
    }
}

/// `POST /v1/decide`: a request's facts (JSON) → its outcome, as `tenet eval --format json`
/// gives it (on one line), with a `receipt`.
async fn decide(
    State(service): State<Arc<Service>>,
    query: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    answered(&service, "decide", decide_request(&service, query, &headers, body)).await
}

/// The answer to a request, a problem document for an error, counted and timed.
async fn answered(
    service: &Service,
    endpoint: &'static str,
    work: impl std::future::Future<Output = Result<Response, Problem>>,
) -> Response {
    let started = Instant::now();
    let response = match work.await {
        Ok(response) => response,
        Err(problem) => problem.counted(&service.metrics).response(),
    };
    service.metrics.request(endpoint, response.status(), started.elapsed());
    response
}

async fn decide_request(
    service: &Arc<Service>,
    query: Result<Query<Params>, QueryRejection>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let asked = Params::read(query)?;
    let bytes = read_body(body, headers, service.limits.max_body, service.limits.read_timeout).await?;
    let logging = service.log.is_some();
    let set = service.current.get();
    let program = &set.loaded.program;
    let facts = tenet::facts::from_text(program, &set.schema, &bytes, false, asked.as_of).map_err(Problem::facts)?;
    // A request that gives every fact the conditions read is decided in microseconds,
    // here; one that leaves facts out is also analysed for the outcomes they could
    // change (up to thousands of evaluations), on a blocking thread within the limits.
    let decided = if asked.explain || tenet::analysis::depend::leaves_out(program, &set.index, &facts) {
        evaluate(service, set, move |set| decide_one(set, &bytes, &facts, asked, logging)).await??
    } else {
        decide_one(&set, &bytes, &facts, asked, logging)?
    };
    service.metrics.decided(&decided.chosen);
    if let Some(log) = &service.log {
        log.append(decided.log).await.map_err(Problem::log)?;
    }
    Ok(json_response(StatusCode::OK, decided.response, "application/json"))
}

/// `POST /v1/decide/batch`: NDJSON in, NDJSON out, in order; a request that cannot
/// be decided gives `{"line": n, "errors": [...]}` in its place.
async fn batch(
    State(service): State<Arc<Service>>,
    query: Result<Query<Params>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    answered(&service, "batch", batch_request(&service, query, &headers, body)).await
}

async fn batch_request(
    service: &Arc<Service>,
    query: Result<Query<Params>, QueryRejection>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let asked = Params::read(query)?;
    let bytes = read_body(body, headers, service.limits.max_batch, service.limits.read_timeout).await?;
    let logging = service.log.is_some();
    let set = service.current.get();
    let results = evaluate(service, set, move |set| {
        let lines: Vec<(usize, &[u8])> = bytes
            .split(|byte| *byte == b'\n')
            .enumerate()
            .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace))
            .map(|(index, line)| (index + 1, line))
            .collect();
        lines
            .par_iter()
            .map(|(number, line)| (*number, decide_text(set, line, asked, logging)))
            .collect::<Vec<(usize, Result<Decided, Problem>)>>()
    })
    .await?;
    let mut out = Vec::new();
    let mut log = Vec::new();
    for (number, result) in results {
        match result {
            Ok(decided) => {
                service.metrics.decided(&decided.chosen);
                out.extend_from_slice(&decided.response);
                log.extend_from_slice(&decided.log);
            }
            Err(problem) => {
                let problem = problem.counted(&service.metrics);
                let line = json!({ "line": number, "errors": problem.errors });
                out.extend_from_slice(line.to_string().as_bytes());
                out.push(b'\n');
            }
        }
    }
    if let Some(decision_log) = &service.log
        && !log.is_empty()
    {
        decision_log.append(log).await.map_err(Problem::log)?;
    }
    Ok(json_response(StatusCode::OK, out, "application/x-ndjson"))
}

/// Runs `job` on the rule set `set` (the one in force when the request came), on a
/// blocking thread, within the concurrency and time limits.
async fn evaluate<T: Send + 'static>(
    service: &Arc<Service>,
    set: Arc<RuleSet>,
    job: impl FnOnce(&RuleSet) -> T + Send + 'static,
) -> Result<T, Problem> {
    let limits = service.limits;
    let permit = tokio::time::timeout(limits.timeout, service.evaluations.acquire()).await;
    let Ok(Ok(_permit)) = permit else {
        return Err(Problem::new(StatusCode::SERVICE_UNAVAILABLE, "busy", "too many requests are being decided")
            .error(json!({
                "code": "tenet::serve::busy",
                "message": format!("no evaluation slot freed within {} ms", limits.timeout.as_millis()),
                "help": "retry later, or raise --max-concurrency",
            })));
    };
    let task = tokio::task::spawn_blocking(move || job(&set));
    match tokio::time::timeout(limits.timeout, task).await {
        Ok(Ok(result)) => Ok(result),
        Ok(Err(_)) => {
            Err(Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "the evaluation stopped unexpectedly")
                .error(json!({
                    "code": "tenet::serve::internal",
                    "message": "the evaluation stopped unexpectedly; please report it with the request that caused it",
                })))
        }
        Err(_) => {
            Err(Problem::new(StatusCode::GATEWAY_TIMEOUT, "timeout", "the decision took too long").error(json!({
                "code": "tenet::serve::timeout",
                "message": format!("the decision took longer than {} ms", limits.timeout.as_millis()),
                "help": "raise --timeout, or send fewer requests in one batch",
            })))
        }
    }
}

/// One request decided: the response line, the decision-log line (empty without
/// a log), and the value of each `one of` outcome for the metrics.
struct Decided {
    response: Vec<u8>,
    log: Vec<u8>,
    chosen: Vec<(String, String)>,
}

/// One request's text: its facts read, then decided.
fn decide_text(set: &RuleSet, bytes: &[u8], asked: Asked, logging: bool) -> Result<Decided, Problem> {
    let program = &set.loaded.program;
    let facts = tenet::facts::from_text(program, &set.schema, bytes, false, asked.as_of).map_err(Problem::facts)?;
    decide_one(set, bytes, &facts, asked, logging)
}

/// One request decided: with the tree walker when explained, otherwise through
/// the rule index; with the outcomes the facts left out could change.
fn decide_one(set: &RuleSet, bytes: &[u8], facts: &Facts, asked: Asked, logging: bool) -> Result<Decided, Problem> {
    let program = &set.loaded.program;
    let (outcome, dependencies) = if asked.explain {
        let outcome = tenet::eval::evaluate(program, facts);
        let dependencies = tenet::analysis::depend::dependencies_indexed(program, &set.index, facts, &outcome);
        (outcome, dependencies)
    } else {
        tenet::analysis::depend::decide_with_dependencies(program, &set.index, facts)
    };
    if !outcome.errors.is_empty() {
        return Err(Problem::evaluation(outcome.error_diagnostics(program)));
    }
    let report = Report::new(program, facts, &outcome)
        .with_dependencies(&dependencies, asked.ask)
        .with_quoted(set.quoted.as_ref());
    let receipt =
        Receipt { rules: set.hash.clone(), as_of: outcome.as_of, engine: ENGINE, request: request_hash(bytes) };
    let receipt = serde_json::to_vec(&receipt).unwrap_or_default();
    let mut response = Vec::new();
    report.write_json_line(asked.explain, &mut response);
    let mut log = Vec::new();
    if logging {
        // The log keeps the outcome without its explanation, the request on one line.
        log.extend_from_slice(b"{\"time\":\"");
        log.extend_from_slice(jiff::Timestamp::now().to_string().as_bytes());
        log.extend_from_slice(b"\",\"request\":");
        compact(bytes, &mut log);
        log.extend_from_slice(b",\"outcome\":");
        if asked.explain {
            report.write_json_line(false, &mut log);
        } else {
            log.extend_from_slice(&response);
        }
        log.extend_from_slice(b",\"receipt\":");
        log.extend_from_slice(&receipt);
        log.extend_from_slice(b"}\n");
    }
    with_member(&mut response, "receipt", &receipt);
    response.push(b'\n');
    let chosen = report
        .chosen()
        .into_iter()
        .map(|(name, value)| (name.to_string(), value.unwrap_or("none").to_string()))
        .collect();
    Ok(Decided { response, log, chosen })
}

/// Adds `"name": value` as the last member of the JSON object in `out`.
fn with_member(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    if out.last() == Some(&b'}') {
        out.pop();
        if out.last() != Some(&b'{') {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":");
        out.extend_from_slice(value);
        out.push(b'}');
    }
}

/// A JSON document on one line: as sent (without a byte-order mark) when it has no
/// line break, otherwise written again without whitespace (numbers keep their digits).
fn compact(bytes: &[u8], out: &mut Vec<u8>) {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes).trim_ascii();
    if !text.contains(&b'\n') && !text.contains(&b'\r') {
        out.extend_from_slice(text);
        return;
    }
    match serde_json::from_slice::<Json>(text) {
        Ok(value) => {
            let _ = serde_json::to_writer(&mut *out, &value);
        }
        Err(_) => out.extend_from_slice(b"null"),
    }
}

/// Reads a body of at most `limit` bytes within `timeout`: 413 beyond the limit
/// (before reading, when the client says its length), 408 when it is too slow.
async fn read_body(body: Body, headers: &HeaderMap, limit: usize, timeout: Duration) -> Result<Bytes, Problem> {
    let too_large = || {
        Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "too-large", "the request is too large").error(json!({
            "code": "tenet::serve::too_large",
            "message": format!("the body is larger than {limit} bytes"),
            "help": "send smaller requests, or raise --max-body (--max-batch for batches)",
        }))
    };
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large());
    }
    let limited = http_body_util::Limited::new(body, limit);
    match tokio::time::timeout(timeout, limited.collect()).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(error)) if error.downcast_ref::<http_body_util::LengthLimitError>().is_some() => Err(too_large()),
        Ok(Err(error)) => Err(Problem::new(StatusCode::BAD_REQUEST, "body", "the body cannot be read").error(json!({
            "code": "tenet::serve::body",
            "message": format!("cannot read the body: {error}"),
        }))),
        Err(_) => Err(Problem::new(StatusCode::REQUEST_TIMEOUT, "slow", "the body came too slowly").error(json!({
            "code": "tenet::serve::slow",
            "message": format!("the body did not arrive within {} ms", timeout.as_millis()),
            "help": "send the whole request at once, or raise --read-timeout",
        }))),
    }
}

/// `GET /v1/rules`: the rule set in force, and the last rejected reload.
async fn rules(State(service): State<Arc<Service>>) -> Response {
    let report = service.current.report(&service.path);
    json_response(StatusCode::OK, report.to_string().into_bytes(), "application/json")
}

/// `POST /v1/reload`: reloads the rules now and says what happened: 200 with the
/// set in force (loaded, or unchanged), 422 with the diagnostics of a set that
/// does not check (the old set goes on serving).
async fn reload(State(service): State<Arc<Service>>) -> Response {
    let reloaded = service.reload().await;
    service.metrics.reloaded(&reloaded);
    let (status, body) = match reloaded {
        Reloaded::Loaded(set) => (StatusCode::OK, json!({ "status": "loaded", "rules": set.identity() })),
        Reloaded::Unchanged(set) => (StatusCode::OK, json!({ "status": "unchanged", "rules": set.identity() })),
        Reloaded::Rejected { hash, diagnostics } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({
                "status": "rejected",
                "hash": hash,
                "diagnostics": diagnostics,
                "serving": service.current.get().hash,
            }),
        ),
    };
    json_response(status, body.to_string().into_bytes(), "application/json")
}

/// `GET /readyz`: 200 while serving, 503 once shutting down.
async fn ready(State(service): State<Arc<Service>>) -> Response {
    if service.draining.load(Ordering::SeqCst) {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response()
    } else {
        (StatusCode::OK, "ready\n").into_response()
    }
}

/// `GET /metrics`: Prometheus (OpenMetrics) text.
async fn metrics(State(service): State<Arc<Service>>) -> Response {
    let text = service.metrics.encode();
    json_response(StatusCode::OK, text.into_bytes(), "application/openmetrics-text; version=1.0.0; charset=utf-8")
}

fn json_response(status: StatusCode, body: Vec<u8>, content_type: &'static str) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// An error as a problem document (RFC 9457): `type`, `title`, `status`, and the
/// `errors` with the codes, messages, help and field paths the CLI gives.
pub struct Problem {
    status: StatusCode,
    kind: &'static str,
    title: &'static str,
    errors: Vec<Json>,
}

impl Problem {
    fn new(status: StatusCode, kind: &'static str, title: &'static str) -> Problem {
        Problem { status, kind, title, errors: Vec::new() }
    }

    fn error(mut self, error: Json) -> Problem {
        self.errors.push(error);
        self
    }

    /// 400: the facts do not fit the rules' vocabulary.
    fn facts(diagnostics: Vec<Diagnostic>) -> Problem {
        let mut problem = Problem::new(StatusCode::BAD_REQUEST, "facts", "the facts are not valid");
        problem.errors = diagnostics.iter().map(error_json).collect();
        problem
    }

    /// 422: the facts are valid but the rules cannot be applied to them.
    fn evaluation(diagnostics: Vec<Diagnostic>) -> Problem {
        let mut problem =
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "evaluation", "the rules cannot be applied to these facts");
        problem.errors = diagnostics.iter().map(error_json).collect();
        problem
    }

    /// 503: the decision was made but could not be logged, so it is not given.
    fn log(message: String) -> Problem {
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "log", "the decision could not be logged").error(json!({
            "code": "tenet::serve::log",
            "message": message,
            "help": "the decision is not given without its log line; see the service's standard error",
        }))
    }

    fn counted(self, metrics: &Metrics) -> Problem {
        for error in &self.errors {
            metrics.error(error["code"].as_str().unwrap_or("tenet::serve::unknown"));
        }
        self
    }

    fn response(&self) -> Response {
        let body = json!({
            "type": format!("urn:tenet:problem:{}", self.kind),
            "title": self.title,
            "status": self.status.as_u16(),
            "errors": self.errors,
        });
        let mut response = json_response(self.status, body.to_string().into_bytes(), "application/problem+json");
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

/// A diagnostic as the CLI's batch lines show it.
fn error_json(diagnostic: &Diagnostic) -> Json {
    json!({
        "code": diagnostic.code,
        "message": diagnostic.message,
        "help": diagnostic.help,
        "path": diagnostic.path,
    })
}
