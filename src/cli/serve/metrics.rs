//! `/metrics`: requests by endpoint and status, latency histograms, decisions by
//! the value of each `one of` outcome, errors by code, reloads, connections.

use std::time::Duration;

use axum::http::StatusCode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::rules::Reloaded;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Request {
    endpoint: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Endpoint {
    endpoint: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Decision {
    outcome: String,
    value: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Code {
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Result {
    result: &'static str,
}

/// The service's metrics and the registry that prints them.
pub struct Metrics {
    registry: Registry,
    requests: Family<Request, Counter>,
    latency: Family<Endpoint, Histogram>,
    decisions: Family<Decision, Counter>,
    errors: Family<Code, Counter>,
    reloads: Family<Result, Counter>,
    pub connections: Gauge,
    pub refused: Counter,
    pub rules: Gauge,
}

fn latency_buckets() -> Histogram {
    // 25 µs to about 0.8 s.
    Histogram::new(exponential_buckets(0.000_025, 2.0, 16))
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("tenet");
        let requests = Family::<Request, Counter>::default();
        registry.register("requests", "HTTP requests answered, by endpoint and status", requests.clone());
        let latency = Family::<Endpoint, Histogram>::new_with_constructor(latency_buckets as fn() -> Histogram);
        registry.register("request_duration_seconds", "Time to answer a request, by endpoint", latency.clone());
        let decisions = Family::<Decision, Counter>::default();
        registry.register("decisions", "Decisions given, by outcome and value", decisions.clone());
        let errors = Family::<Code, Counter>::default();
        registry.register("errors", "Errors reported to clients, by diagnostic code", errors.clone());
        let reloads = Family::<Result, Counter>::default();
        registry.register("reloads", "Reloads of the rule set, by result", reloads.clone());
        let connections = Gauge::default();
        registry.register("connections", "Open client connections", connections.clone());
        let refused = Counter::default();
        registry.register("connections_refused", "Connections closed at once for want of a slot", refused.clone());
        let rules = Gauge::default();
        registry.register("rules", "Rules in the rule set in force", rules.clone());
        Metrics { registry, requests, latency, decisions, errors, reloads, connections, refused, rules }
    }

    pub fn request(&self, endpoint: &'static str, status: StatusCode, took: Duration) {
        self.requests.get_or_create(&Request { endpoint, status: status.as_u16() }).inc();
        self.latency.get_or_create(&Endpoint { endpoint }).observe(took.as_secs_f64());
    }

    pub fn decided(&self, chosen: &[(String, String)]) {
        for (outcome, value) in chosen {
            self.decisions.get_or_create(&Decision { outcome: outcome.clone(), value: value.clone() }).inc();
        }
    }

    pub fn error(&self, code: &str) {
        self.errors.get_or_create(&Code { code: code.to_string() }).inc();
    }

    pub fn reloaded(&self, reloaded: &Reloaded) {
        let result = match reloaded {
            Reloaded::Loaded(_) => "loaded",
            Reloaded::Unchanged(_) => "unchanged",
            Reloaded::Rejected { .. } => "rejected",
        };
        self.reloads.get_or_create(&Result { result }).inc();
    }

    /// The metrics as OpenMetrics text.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
