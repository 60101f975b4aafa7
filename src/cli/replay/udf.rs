//! tenet's evaluation as DataFusion scalar functions over Arrow record batches.
//!
//! `tenet_changes(request, source)` decides each request with every rule set and
//! gives, per request, one `{field, old, new, id}` for each outcome (and for the
//! rules that fired, and for an error), plus one for the request as a whole
//! (`field` = [`REQUEST`], `new` = `changed` or `same`): a `GROUP BY field, old,
//! new` over them is the impact. `tenet_outcome(request)` gives one rule set's
//! outcome as JSON text, for writing every outcome out.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, ListArray, StringArray, StringBuilder, StructArray};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility};
use jiff::civil::Date;
use serde_json::Value as Json;

use tenet::render::Report;

use super::Side;

/// The `field` of the entry that stands for the request as a whole.
pub const REQUEST: &str = "(request)";

/// The fields compared: every outcome of every rule set (old first), then the
/// rules that fired, then the error a request met (`none` when it met none).
pub fn fields(sides: &[Arc<Side>]) -> Vec<String> {
    let mut fields: Vec<String> = Vec::new();
    for side in sides {
        for outcome in &side.loaded.program.outcomes {
            if !fields.contains(&outcome.name) {
                fields.push(outcome.name.clone());
            }
        }
    }
    fields.extend(["conflicts", "violations", "rules", "error"].map(String::from));
    fields
}

/// The outcome's JSON with `conflicts` and `violations` cut down to what they are
/// about (the acts or outcomes in conflict, the assertions violated), sorted: what a
/// change moves, without the chains of reasoning.
pub fn summarized(mut outcome: serde_json::Map<String, Json>) -> serde_json::Map<String, Json> {
    let names = |value: Option<&Json>, key: &str| -> Json {
        let mut names: Vec<String> = value
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(|item| item.get(key).map(|name| name.as_str().map_or_else(|| name.to_string(), str::to_string)))
            .collect();
        names.sort();
        Json::from(names)
    };
    let conflicts = names(outcome.get("conflicts"), "about");
    let violations = names(outcome.get("violations"), "id");
    outcome.insert(String::from("conflicts"), conflicts);
    outcome.insert(String::from("violations"), violations);
    outcome
}

/// One request decided by one rule set: each field's value as text (a string
/// as it is, `none` for null, anything else as compact JSON), or the first error's code.
fn decide(side: &Side, request: &str, as_of: Option<Date>) -> Result<serde_json::Map<String, Json>, String> {
    let program = &side.loaded.program;
    let facts = tenet::facts::from_text(program, &side.schema, request.as_bytes(), false, as_of)
        .map_err(|errors| errors.first().map_or("tenet::facts", |error| error.code).to_string())?;
    let outcome = tenet::eval::decide(program, &side.index, &facts);
    if let Some(error) = outcome.error_diagnostics(program).first() {
        return Err(error.code.to_string());
    }
    match Report::new(program, &facts, &outcome).json(false) {
        Json::Object(map) => Ok(map),
        _ => Err(String::from("tenet::replay::outcome")),
    }
}

fn shown(value: Option<&Json>) -> String {
    match value {
        None => String::from("(no such outcome)"),
        Some(Json::Null) => String::from("none"),
        Some(Json::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// The request's id: its `id` fact when it has one, else where it came from.
fn id(request: &str, source: &str) -> String {
    #[derive(serde::Deserialize)]
    struct WithId {
        id: Option<Json>,
    }
    match serde_json::from_str::<WithId>(request) {
        Ok(WithId { id: Some(Json::String(id)) }) if !id.is_empty() => id,
        _ => source.to_string(),
    }
}

fn entry_fields() -> Fields {
    Fields::from(vec![
        Field::new("field", DataType::Utf8, false),
        Field::new("old", DataType::Utf8, false),
        Field::new("new", DataType::Utf8, false),
        Field::new("id", DataType::Utf8, false),
    ])
}

/// The strings of a text argument (Utf8, LargeUtf8 or Utf8View), one per row.
fn texts(argument: &ColumnarValue, rows: usize) -> Result<Vec<Option<String>>> {
    let array = argument.to_array(rows)?;
    let array = datafusion::arrow::compute::cast(&array, &DataType::Utf8)?;
    let Some(strings) = array.as_string_opt::<i32>() else {
        return exec_err!("expected text, found {}", array.data_type());
    };
    Ok((0..strings.len()).map(|row| strings.is_valid(row).then(|| strings.value(row).to_string())).collect())
}

/// `tenet_changes(request, source)`.
#[derive(Debug)]
pub struct Changes {
    sides: Vec<Arc<Side>>,
    as_of: Option<Date>,
    fields: Vec<String>,
    signature: Signature,
}

impl Changes {
    pub fn new(sides: Vec<Arc<Side>>, as_of: Option<Date>) -> Changes {
        let fields = fields(&sides);
        Changes { sides, as_of, fields, signature: Signature::any(2, Volatility::Immutable) }
    }

    /// The entries of one request.
    fn entries(&self, request: Option<&str>, source: &str, out: &mut [StringBuilder; 4]) -> usize {
        let request = request.unwrap_or("");
        let id = id(request, source);
        let decided: Vec<Result<serde_json::Map<String, Json>, String>> =
            self.sides.iter().map(|side| decide(side, request, self.as_of).map(summarized)).collect();
        let value = |result: &Result<serde_json::Map<String, Json>, String>, field: &str| match (result, field) {
            (Err(code), "error") => code.clone(),
            (Err(_), _) => String::from("(error)"),
            (Ok(_), "error") => String::from("none"),
            (Ok(map), field) => shown(map.get(field)),
        };
        let mut changed = false;
        for field in &self.fields {
            let old = decided.first().map(|result| value(result, field)).unwrap_or_default();
            let new = decided.last().map(|result| value(result, field)).unwrap_or_default();
            changed |= old != new;
            for (builder, text) in out.iter_mut().zip([field.as_str(), &old, &new, &id]) {
                builder.append_value(text);
            }
        }
        let whole = if changed { "changed" } else { "same" };
        for (builder, text) in out.iter_mut().zip([REQUEST, whole, whole, &id]) {
            builder.append_value(text);
        }
        self.fields.len() + 1
    }
}

impl PartialEq for Changes {
    fn eq(&self, other: &Changes) -> bool {
        let hashes = |sides: &[Arc<Side>]| sides.iter().map(|side| side.hash.clone()).collect::<Vec<_>>();
        hashes(&self.sides) == hashes(&other.sides) && self.as_of == other.as_of
    }
}

impl Eq for Changes {}

impl std::hash::Hash for Changes {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        for side in &self.sides {
            side.hash.hash(state);
        }
        self.as_of.hash(state);
    }
}

impl ScalarUDFImpl for Changes {
    fn name(&self) -> &str {
        "tenet_changes"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arguments: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(Arc::new(Field::new("item", DataType::Struct(entry_fields()), false))))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let [request, source] = args.args.as_slice() else {
            return exec_err!("tenet_changes takes a request and its source");
        };
        let (requests, sources) = (texts(request, rows)?, texts(source, rows)?);
        let mut builders: [StringBuilder; 4] = std::array::from_fn(|_| StringBuilder::new());
        let mut lengths = Vec::with_capacity(rows);
        for (request, source) in requests.iter().zip(&sources) {
            lengths.push(self.entries(request.as_deref(), source.as_deref().unwrap_or(""), &mut builders));
        }
        let columns: Vec<ArrayRef> =
            builders.iter_mut().map(|builder| Arc::new(builder.finish()) as ArrayRef).collect();
        let entries = StructArray::try_new(entry_fields(), columns, None)?;
        let item = Arc::new(Field::new("item", DataType::Struct(entry_fields()), false));
        let list = ListArray::try_new(item, OffsetBuffer::from_lengths(lengths), Arc::new(entries), None)?;
        Ok(ColumnarValue::Array(Arc::new(list)))
    }
}

/// `tenet_outcome(request)`: one rule set's outcome as JSON text (`{"errors": [code]}`
/// for a request it cannot decide).
#[derive(Debug)]
pub struct Outcome {
    side: Arc<Side>,
    as_of: Option<Date>,
    name: String,
    signature: Signature,
}

impl Outcome {
    pub fn new(side: Arc<Side>, as_of: Option<Date>, name: &str) -> Outcome {
        Outcome {
            side,
            as_of,
            name: format!("tenet_outcome_{name}"),
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

impl PartialEq for Outcome {
    fn eq(&self, other: &Outcome) -> bool {
        self.side.hash == other.side.hash && self.as_of == other.as_of && self.name == other.name
    }
}

impl Eq for Outcome {}

impl std::hash::Hash for Outcome {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.side.hash.hash(state);
        self.as_of.hash(state);
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for Outcome {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arguments: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let [request] = args.args.as_slice() else {
            return exec_err!("tenet_outcome takes a request");
        };
        let outcomes: StringArray = texts(request, rows)?
            .iter()
            .map(|request| {
                let result = decide(&self.side, request.as_deref().unwrap_or(""), self.as_of);
                Some(match result {
                    Ok(map) => Json::Object(map).to_string(),
                    Err(code) => serde_json::json!({ "errors": [code] }).to_string(),
                })
            })
            .collect();
        Ok(ColumnarValue::Array(Arc::new(outcomes)))
    }
}
