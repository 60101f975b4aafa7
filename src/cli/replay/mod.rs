//! `tenet replay`: an archive of requests (NDJSON, a decision log, or Parquet)
//! evaluated with one rule set, or with two, and the impact of the change: how many
//! requests move from each old value of each outcome to each new one, with examples.
//!
//! Built on Apache DataFusion (feature `replay`): the archive is a table streamed in
//! record batches ([`source`]), tenet's evaluation is a scalar function over them
//! ([`udf`]), and the impact is a plain `GROUP BY` over what it returns, so the same
//! plan runs on every core and over files larger than memory.

mod engine;
mod source;
mod udf;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::datatypes::Int64Type;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::functions::core::expr_fn::get_field;
use datafusion::functions_aggregate::expr_fn::{count, max, min};
use datafusion::logical_expr::ScalarUDF;
use datafusion::prelude::{DataFrame, ParquetReadOptions, SessionConfig, SessionContext, col, lit};
use jiff::civil::Date;
use serde_json::{Value as Json, json};

use tenet::diag::Diagnostic;
use tenet::eval::Index;
use tenet::facts::Schema;
use tenet::load::Loaded;
use tenet::source::Sources;

/// `--format` of `tenet replay`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ReplayFormat {
    Text,
    Markdown,
    Json,
}

/// What to replay, with which rules.
pub struct Options {
    /// The rule sets: one (its distribution of outcomes), or old and new (the impact).
    pub sides: Vec<(String, PathBuf)>,
    pub archives: Vec<PathBuf>,
    pub as_of: Option<Date>,
    pub format: ReplayFormat,
    /// Write every request's outcomes (Parquet for `.parquet`, NDJSON otherwise).
    pub outcomes: Option<PathBuf>,
    /// Partitions evaluated at once (default: the cores).
    pub partitions: Option<usize>,
    /// Run the plan on Apache Ballista (an in-process scheduler and executor) instead of one DataFusion context.
    pub ballista: bool,
}

/// A checked rule set, ready to decide.
pub struct Side {
    pub label: String,
    pub hash: String,
    pub loaded: Loaded,
    pub schema: Schema,
    pub index: Index,
}

/// Runs the replay: (exit status, output, diagnostics, the sources they point into).
pub fn run(options: &Options) -> (u8, String, Vec<Diagnostic>, Sources) {
    let mut sides = Vec::new();
    for (label, path) in &options.sides {
        let loaded = tenet::load::load(std::slice::from_ref(path));
        if loaded.has_errors() {
            let diagnostics = loaded.diagnostics.clone();
            return (1, String::new(), diagnostics, loaded.sources);
        }
        let hash = tenet::receipt::rule_set_hash(&loaded, path);
        let schema = Schema::new(&loaded.program);
        let index = Index::new(&loaded.program);
        sides.push(Arc::new(Side { label: label.clone(), hash, loaded, schema, index }));
    }
    for archive in &options.archives {
        if let Err(error) = std::fs::metadata(archive) {
            let diagnostic = Diagnostic::error(
                "tenet::replay::io",
                format!("cannot read the archive `{}`: {}", archive.display(), tenet::diag::io_reason(&error)),
            );
            return (1, String::new(), vec![diagnostic], Sources::default());
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            let diagnostic =
                Diagnostic::error("tenet::replay::engine", format!("cannot start the query engine: {error}"));
            return (1, String::new(), vec![diagnostic], Sources::default());
        }
    };
    match runtime.block_on(replay(options, &sides)) {
        Ok(impact) => (0, impact.render(options.format), Vec::new(), Sources::default()),
        Err(diagnostic) => (1, String::new(), vec![diagnostic], Sources::default()),
    }
}

fn engine_error(error: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error("tenet::replay::engine", format!("the replay failed: {error}"))
}

impl std::fmt::Debug for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.label, self.hash)
    }
}

async fn replay(options: &Options, sides: &[Arc<Side>]) -> Result<Impact, Diagnostic> {
    let started = Instant::now();
    let partitions = options.partitions.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let config = SessionConfig::new().with_target_partitions(partitions.max(1)).with_batch_size(4096);
    // Every function the plans call is registered with the context: a Ballista
    // scheduler and executor find them there by name.
    let changes = Arc::new(ScalarUDF::new_from_impl(udf::Changes::new(sides.to_vec(), options.as_of)));
    let names: &[&str] = if sides.len() == 1 { &["outcome"] } else { &["old", "new"] };
    let outcomes: Vec<(&str, Arc<ScalarUDF>)> = match &options.outcomes {
        Some(_) => sides
            .iter()
            .zip(names)
            .map(|(side, name)| {
                (*name, Arc::new(ScalarUDF::new_from_impl(udf::Outcome::new(side.clone(), options.as_of, name))))
            })
            .collect(),
        None => Vec::new(),
    };
    let mut functions = vec![changes.clone()];
    functions.extend(outcomes.iter().map(|(_, function)| function.clone()));
    let context = engine::context(config, functions, options.ballista).await?;
    let requests = requests(&context, &options.archives, partitions, options.ballista).await?;
    let frame = requests
        .clone()
        .select(vec![changes.call(vec![col("request"), col("source")]).alias("change")])
        .and_then(|frame| frame.unnest_columns(&["change"]))
        .and_then(|frame| {
            frame.select(vec![
                get_field(col("change"), "field").alias("field"),
                get_field(col("change"), "old").alias("old"),
                get_field(col("change"), "new").alias("new"),
                get_field(col("change"), "id").alias("id"),
            ])
        })
        .and_then(|frame| {
            frame.aggregate(
                vec![col("field"), col("old"), col("new")],
                vec![count(lit(1)).alias("requests"), min(col("id")).alias("first"), max(col("id")).alias("last")],
            )
        })
        .map_err(engine_error)?;
    let batches = frame.collect().await.map_err(engine_error)?;
    let mut impact = Impact::from_batches(&batches, sides);
    if let Some(path) = &options.outcomes {
        write_outcomes(requests, &outcomes, path).await?;
        impact.outcomes = Some(path.display().to_string());
    }
    impact.seconds = started.elapsed().as_secs_f64();
    impact.partitions = partitions;
    impact.archives = options.archives.iter().map(|path| path.display().to_string()).collect();
    impact.engine = if options.ballista { "Ballista (standalone)" } else { "DataFusion" };
    Ok(impact)
}

/// The archive as a table of `(source, request)`: NDJSON files (requests, or a
/// decision log's lines) streamed in byte ranges, or Parquet files with a
/// `request` column (and `id`, if present, as the source).
async fn requests(
    context: &SessionContext,
    archives: &[PathBuf],
    partitions: usize,
    ballista: bool,
) -> Result<DataFrame, Diagnostic> {
    let is_parquet = |path: &PathBuf| path.extension().is_some_and(|extension| extension == "parquet");
    let parquet = archives.iter().all(is_parquet);
    if archives.iter().any(is_parquet) && !parquet {
        return Err(Diagnostic::error(
            "tenet::replay::mixed",
            "the archive mixes Parquet files with NDJSON or JSON files",
        )
        .help("replay them separately, or convert them to one format"));
    }
    if ballista && !parquet {
        return Err(Diagnostic::error(
            "tenet::replay::ballista_parquet",
            "with --ballista the archive must be Parquet files: Ballista's executors open the files themselves, and they read Parquet",
        )
        .help("replay NDJSON without --ballista, or convert it to Parquet with the requests in a `request` column"));
    }
    if !parquet {
        let table = source::NdjsonTable::new(archives, partitions).map_err(|error| {
            Diagnostic::error(
                "tenet::replay::io",
                format!("cannot read the archive: {}", tenet::diag::io_reason(&error)),
            )
        })?;
        return context.read_table(Arc::new(table.into_provider().map_err(engine_error)?)).map_err(engine_error);
    }
    let paths: Vec<String> = archives.iter().map(|path| path.display().to_string()).collect();
    let frame = context.read_parquet(paths, ParquetReadOptions::default()).await.map_err(engine_error)?;
    let columns: Vec<String> = frame.schema().fields().iter().map(|field| field.name().clone()).collect();
    if !columns.iter().any(|name| name == "request") {
        return Err(Diagnostic::error(
            "tenet::replay::no_request_column",
            format!("the Parquet archive has no `request` column (its columns: {})", columns.join(", ")),
        )
        .help("give each request's facts as JSON text in a column named `request` (and its id in `id`)"));
    }
    let source = match ["id", "source"].iter().find(|wanted| columns.iter().any(|name| name == *wanted)) {
        Some(name) => datafusion::prelude::cast(col(*name), datafusion::arrow::datatypes::DataType::Utf8),
        None => lit(""),
    };
    frame
        .select(vec![
            source.alias("source"),
            datafusion::prelude::cast(col("request"), datafusion::arrow::datatypes::DataType::Utf8).alias("request"),
        ])
        .map_err(engine_error)
}

/// Every request's outcomes, one column per rule set (JSON text), with its source.
async fn write_outcomes(
    requests: DataFrame,
    outcomes: &[(&str, Arc<ScalarUDF>)],
    path: &std::path::Path,
) -> Result<(), Diagnostic> {
    let mut columns = vec![col("source"), col("request")];
    for (name, outcome) in outcomes {
        columns.push(outcome.call(vec![col("request")]).alias(*name));
    }
    let frame = requests.select(columns).map_err(engine_error)?;
    let options = DataFrameWriteOptions::new().with_single_file_output(true);
    let target = path.display().to_string();
    let written = if path.extension().is_some_and(|extension| extension == "parquet") {
        frame.write_parquet(&target, options, None).await
    } else {
        frame.write_json(&target, options, None).await
    };
    written.map(|_| ()).map_err(|error| {
        Diagnostic::error("tenet::replay::write", format!("cannot write the outcomes to `{target}`: {error}"))
    })
}

/// One row of the result: requests whose `field` went from `old` to `new`.
struct Transition {
    old: String,
    new: String,
    requests: u64,
    examples: Vec<String>,
}

/// What the replay found.
struct Impact {
    sides: Vec<(String, String)>,
    requests: u64,
    changed: u64,
    fields: Vec<(String, Vec<Transition>)>,
    seconds: f64,
    partitions: usize,
    archives: Vec<String>,
    outcomes: Option<String>,
    /// What ran the plan.
    engine: &'static str,
}

impl Impact {
    fn from_batches(batches: &[RecordBatch], sides: &[Arc<Side>]) -> Impact {
        let mut rows: Vec<(String, Transition)> = Vec::new();
        for batch in batches {
            let text = |index: usize| batch.column(index).as_string_opt::<i32>().cloned();
            let (Some(field), Some(old), Some(new), Some(first), Some(last)) =
                (text(0), text(1), text(2), text(4), text(5))
            else {
                continue;
            };
            let Some(requests) = batch.column(3).as_primitive_opt::<Int64Type>() else { continue };
            for row in 0..batch.num_rows() {
                let mut examples = vec![first.value(row).to_string()];
                if last.value(row) != first.value(row) {
                    examples.push(last.value(row).to_string());
                }
                let transition = Transition {
                    old: old.value(row).to_string(),
                    new: new.value(row).to_string(),
                    requests: u64::try_from(requests.value(row)).unwrap_or(0),
                    examples,
                };
                rows.push((field.value(row).to_string(), transition));
            }
        }
        let mut impact = Impact {
            sides: sides.iter().map(|side| (side.label.clone(), side.hash.clone())).collect(),
            requests: 0,
            changed: 0,
            fields: Vec::new(),
            seconds: 0.0,
            partitions: 0,
            archives: Vec::new(),
            outcomes: None,
            engine: "DataFusion",
        };
        let order = udf::fields(sides);
        for (field, transition) in rows {
            if field == udf::REQUEST {
                impact.requests += transition.requests;
                if transition.new == "changed" {
                    impact.changed += transition.requests;
                }
                continue;
            }
            match impact.fields.iter_mut().find(|(name, _)| *name == field) {
                Some((_, transitions)) => transitions.push(transition),
                None => impact.fields.push((field, vec![transition])),
            }
        }
        impact.fields.sort_by_key(|(name, _)| order.iter().position(|field| field == name).unwrap_or(usize::MAX));
        for (_, transitions) in &mut impact.fields {
            transitions
                .sort_by(|a, b| b.requests.cmp(&a.requests).then_with(|| (&a.old, &a.new).cmp(&(&b.old, &b.new))));
        }
        impact
    }

    fn comparing(&self) -> bool {
        self.sides.len() == 2
    }

    /// The rows a person reads: with one rule set, each value; with two, each change,
    /// lists and maps shown by what was added, removed or changed in them (`+notify_customer`)
    /// rather than whole, and transitions that make the same change counted together.
    fn shown(&self, transitions: &[Transition]) -> Vec<Transition> {
        if !self.comparing() {
            return transitions
                .iter()
                .map(|transition| Transition {
                    old: transition.old.clone(),
                    new: transition.new.clone(),
                    requests: transition.requests,
                    examples: transition.examples.clone(),
                })
                .collect();
        }
        let mut rows: Vec<Transition> = Vec::new();
        for transition in transitions.iter().filter(|transition| transition.old != transition.new) {
            let change = change(&transition.old, &transition.new);
            match rows.iter_mut().find(|row| row.old == change) {
                Some(row) => {
                    row.requests += transition.requests;
                    for example in &transition.examples {
                        if row.examples.len() < 2 && !row.examples.contains(example) {
                            row.examples.push(example.clone());
                        }
                    }
                }
                None => rows.push(Transition {
                    old: change,
                    new: String::new(),
                    requests: transition.requests,
                    examples: transition.examples.clone(),
                }),
            }
        }
        rows.sort_by(|a, b| b.requests.cmp(&a.requests).then_with(|| a.old.cmp(&b.old)));
        rows
    }

    fn render(&self, format: ReplayFormat) -> String {
        match format {
            ReplayFormat::Json => serde_json::to_string_pretty(&self.json()).unwrap_or_default() + "\n",
            ReplayFormat::Text => self.text(false),
            ReplayFormat::Markdown => self.text(true),
        }
    }

    fn json(&self) -> Json {
        let sides: Vec<Json> = self.sides.iter().map(|(label, hash)| json!({ "rules": label, "hash": hash })).collect();
        let fields: Vec<Json> = self
            .fields
            .iter()
            .map(|(field, transitions)| {
                let listed: Vec<Json> = transitions
                    .iter()
                    .map(|transition| {
                        json!({
                            "old": transition.old,
                            "new": transition.new,
                            "requests": transition.requests,
                            "examples": transition.examples,
                        })
                    })
                    .collect();
                json!({ "field": field, "transitions": listed })
            })
            .collect();
        json!({
            "archives": self.archives,
            "rules": sides,
            "requests": self.requests,
            "changed": self.changed,
            "seconds": (self.seconds * 1000.0).round() / 1000.0,
            "partitions": self.partitions,
            "engine": self.engine,
            "outcomes": self.outcomes,
            "fields": fields,
        })
    }

    fn text(&self, markdown: bool) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let rate = if self.seconds > 0.0 { self.requests as f64 / self.seconds } else { 0.0 };
        let heading = if markdown { "### " } else { "" };
        let _ = writeln!(
            out,
            "{heading}Replay of {} requests ({}) in {:.1} s: {} requests/s on {} partitions{}",
            thousands(self.requests),
            self.archives.join(", "),
            self.seconds,
            thousands(rate.round() as u64),
            self.partitions,
            if self.engine == "DataFusion" { String::new() } else { format!(" of {}", self.engine) }
        );
        for (index, (label, hash)) in self.sides.iter().enumerate() {
            let role = match (self.comparing(), index) {
                (false, _) => "rules",
                (true, 0) => "old",
                (true, _) => "new",
            };
            let _ = writeln!(out, "{}{role}: {label} ({hash})", if markdown { "\n" } else { "" });
        }
        if self.comparing() {
            let share = if self.requests > 0 { 100.0 * self.changed as f64 / self.requests as f64 } else { 0.0 };
            let _ = writeln!(
                out,
                "{}changed: {} of {} requests ({share:.2} %)",
                if markdown { "\n" } else { "" },
                thousands(self.changed),
                thousands(self.requests)
            );
        }
        for (field, transitions) in &self.fields {
            let shown = self.shown(transitions);
            if shown.is_empty() {
                continue;
            }
            let total: u64 = shown.iter().map(|transition| transition.requests).sum();
            out.push('\n');
            if markdown {
                let _ = writeln!(out, "#### `{field}`: {} requests\n", thousands(total));
                let header = if self.comparing() {
                    "| requests | change | e.g. |\n|---:|---|---|"
                } else {
                    "| requests | value | e.g. |\n|---:|---|---|"
                };
                let _ = writeln!(out, "{header}");
            } else {
                let _ = writeln!(out, "{field}: {} requests", thousands(total));
            }
            for transition in shown {
                let examples = transition.examples.join(", ");
                let change = match (self.comparing(), markdown) {
                    (true, true) => format!("`{}`", transition.old),
                    (true, false) => transition.old.clone(),
                    (false, true) => format!("`{}`", transition.new),
                    (false, false) => transition.new.clone(),
                };
                if markdown {
                    let _ = writeln!(out, "| {} | {change} | {examples} |", thousands(transition.requests));
                } else {
                    let _ = writeln!(out, "  {:>10}  {change}   e.g. {examples}", thousands(transition.requests));
                }
            }
        }
        if self.comparing() && self.changed == 0 {
            let _ = writeln!(out, "\nno request changes outcome");
        }
        if let Some(path) = &self.outcomes {
            let _ = writeln!(out, "\noutcomes written to {path}");
        }
        out
    }
}

/// A change of value in words: for lists, the members added and removed
/// (`+a −b`); for maps, each key that changed (`required: +notify_customer`); for
/// anything else, `old → new`.
fn change(old: &str, new: &str) -> String {
    let parse = |text: &str| serde_json::from_str::<Json>(text).ok();
    match (parse(old), parse(new)) {
        (Some(Json::Array(before)), Some(Json::Array(after))) => {
            let added = after.iter().filter(|item| !before.contains(item)).map(|item| format!("+{}", plain(item)));
            let removed = before.iter().filter(|item| !after.contains(item)).map(|item| format!("−{}", plain(item)));
            let parts: Vec<String> = added.chain(removed).collect();
            if parts.is_empty() { String::from("(order only)") } else { parts.join(" ") }
        }
        (Some(Json::Object(before)), Some(Json::Object(after))) => {
            let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
            keys.dedup();
            keys.sort();
            keys.dedup();
            let parts: Vec<String> = keys
                .into_iter()
                .filter(|key| before.get(*key) != after.get(*key))
                .map(|key| {
                    let side = |map: &serde_json::Map<String, Json>| {
                        map.get(key).map_or(String::from("(none)"), Json::to_string)
                    };
                    format!("{key}: {}", change(&side(&before), &side(&after)))
                })
                .collect();
            parts.join("; ")
        }
        _ => format!("{old} → {new}"),
    }
}

/// A JSON value as text: a string without its quotes.
fn plain(value: &Json) -> String {
    value.as_str().map_or_else(|| value.to_string(), str::to_string)
}

/// `1234567` as `1,234,567`.
fn thousands(number: u64) -> String {
    let digits = number.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}
