//! A request's facts: JSON checked against the vocabulary, into typed values.
//! Every problem names the field's dotted path, what was expected and what was
//! found; all problems are reported, not only the first.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::civil::Date;
use serde_json::Value as Json;

use crate::check::{FactId, Program};
use crate::diag::{Diagnostic, did_you_mean};
use crate::value::{Scalar, Type, Value};

/// The facts of one request, indexed by [`FactId`]. `None` is absent.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Facts {
    pub values: Vec<Option<Value>>,
}

impl Facts {
    pub fn get(&self, id: FactId) -> Option<&Value> {
        self.values.get(id.0 as usize).and_then(Option::as_ref)
    }

    /// The date of evaluation.
    pub fn as_of(&self, program: &Program) -> Option<Date> {
        match self.get(program.as_of) {
            Some(Value::Date(date)) => Some(*date),
            _ => None,
        }
    }
}

/// The shape of the facts JSON, derived once from the vocabulary.
#[derive(Clone, Debug)]
pub struct Schema {
    root: BTreeMap<String, Node>,
}

#[derive(Clone, Debug)]
enum Node {
    Object(BTreeMap<String, Node>),
    Leaf(FactId),
}

impl Schema {
    pub fn new(program: &Program) -> Self {
        let mut root = BTreeMap::new();
        for (index, fact) in program.facts.iter().enumerate() {
            insert(&mut root, &fact.path, FactId(index as u32));
        }
        Schema { root }
    }
}

fn insert(level: &mut BTreeMap<String, Node>, path: &str, id: FactId) {
    match path.split_once('.') {
        None => {
            level.insert(path.to_string(), Node::Leaf(id));
        }
        Some((head, rest)) => {
            let node = level.entry(head.to_string()).or_insert_with(|| Node::Object(BTreeMap::new()));
            if let Node::Object(children) = node {
                insert(children, rest, id);
            }
        }
    }
}

/// Whether a file holds YAML rather than JSON, by its extension.
pub fn is_yaml(path: &std::path::Path) -> bool {
    path.extension().is_some_and(|extension| extension == "yaml" || extension == "yml")
}

/// Reads a JSON or YAML document into JSON values, or says where it is malformed.
pub fn read_document(text: &[u8], yaml: bool) -> Result<Json, Box<Diagnostic>> {
    if yaml {
        return yaml_serde::from_slice::<Json>(text).map_err(|error| {
            let place = error
                .location()
                .map(|at| format!(", at line {} column {}", at.line(), at.column()))
                .unwrap_or_default();
            let detail = error.to_string();
            let detail = detail.split(" at line ").next().unwrap_or(&detail).to_string();
            Box::new(
                Diagnostic::error("tenet::facts::syntax", format!("the document is not valid YAML: {detail}{place}"))
                    .help("facts are one mapping whose fields follow the vocabulary"),
            )
        });
    }
    serde_json::from_slice(text).map_err(|error| {
        let what = match error.classify() {
            serde_json::error::Category::Eof => "the document ends too early",
            _ => "the document is not valid JSON",
        };
        let detail = error.to_string();
        let detail = detail.split(" at line ").next().unwrap_or(&detail).to_string();
        Box::new(
            Diagnostic::error(
                "tenet::facts::syntax",
                format!("{what}: {detail}, at line {} column {}", error.line(), error.column()),
            )
            .help("facts are one JSON object whose fields follow the vocabulary"),
        )
    })
}

/// Parses and checks facts given as JSON (or, with `yaml`, YAML) text. `as_of`,
/// when given, replaces the facts' own date of evaluation.
pub fn from_text(
    program: &Program,
    schema: &Schema,
    text: &[u8],
    yaml: bool,
    as_of: Option<Date>,
) -> Result<Facts, Vec<Diagnostic>> {
    let json = read_document(text, yaml).map_err(|diagnostic| vec![*diagnostic])?;
    from_value(program, schema, &json, as_of)
}

/// Parses and checks facts given as JSON text.
pub fn from_json(
    program: &Program,
    schema: &Schema,
    text: &[u8],
    as_of: Option<Date>,
) -> Result<Facts, Vec<Diagnostic>> {
    from_text(program, schema, text, false, as_of)
}

/// Checks facts already parsed as JSON.
pub fn from_value(
    program: &Program,
    schema: &Schema,
    json: &Json,
    as_of: Option<Date>,
) -> Result<Facts, Vec<Diagnostic>> {
    let mut reader = Reader {
        program,
        facts: Facts { values: vec![None; program.facts.len()] },
        given: vec![false; program.facts.len()],
        errors: Vec::new(),
    };
    match json {
        Json::Object(fields) => reader.object(&schema.root, fields, ""),
        other => reader.errors.push(
            Diagnostic::error(
                "tenet::facts::not_object",
                format!("the facts must be a JSON object, found {}", kind(other)),
            )
            .help("write the facts as `{ \"as_of\": \"2025-01-31\", ... }`"),
        ),
    }
    if let Some(date) = as_of {
        if let Some(slot) = reader.facts.values.get_mut(program.as_of.0 as usize) {
            *slot = Some(Value::Date(date));
        }
    }
    reader.defaults();
    // Rules are applied as of a date: there is no evaluation without one, even if a
    // vocabulary declares `as_of` optional.
    if reader.facts.get(program.as_of).is_none()
        && !reader.given.get(program.as_of.0 as usize).copied().unwrap_or(false)
    {
        let declared_optional = program.fact(program.as_of).is_some_and(|def| def.optional);
        if declared_optional {
            reader.errors.push(
                Diagnostic::error("tenet::facts::missing", "the date of evaluation `as_of` is missing")
                    .help("give the date the rules are applied at, or pass `--as-of YYYY-MM-DD`"),
            );
        }
    }
    if reader.errors.is_empty() { Ok(reader.facts) } else { Err(reader.errors) }
}

struct Reader<'a> {
    program: &'a Program,
    facts: Facts,
    /// Facts the request gave a value for, valid or not: only the others can be missing.
    given: Vec<bool>,
    errors: Vec<Diagnostic>,
}

impl Reader<'_> {
    fn object(&mut self, level: &BTreeMap<String, Node>, fields: &serde_json::Map<String, Json>, prefix: &str) {
        for (key, value) in fields {
            // Built only where needed: for nested objects and for messages.
            let path = || if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
            match level.get(key) {
                None => {
                    let path = path();
                    let known = level.keys().map(String::as_str);
                    let mut error = Diagnostic::error(
                        "tenet::facts::unknown_field",
                        format!("`{path}` is not a fact of the vocabulary"),
                    );
                    error = match did_you_mean(key, known) {
                        Some(best) => error.help(format!("did you mean `{}`?", join(prefix, best))),
                        None => error.help(format!("the fields here are: {}", fields_list(level, prefix))),
                    };
                    self.errors.push(error);
                }
                Some(Node::Object(children)) => match value {
                    Json::Object(inner) => self.object(children, inner, &path()),
                    Json::Null => {}
                    other => {
                        let path = path();
                        self.errors.push(
                            Diagnostic::error(
                                "tenet::facts::wrong_type",
                                format!("`{path}`: expected an object, found {}", kind(other)),
                            )
                            .help(format!("`{path}` groups the fields {}", fields_list(children, &path))),
                        );
                        self.mark_given(children);
                    }
                },
                Some(Node::Leaf(id)) => self.leaf(*id, value),
            }
        }
    }

    /// Every fact below a field that was given but wrong is reported there, not as missing.
    fn mark_given(&mut self, level: &BTreeMap<String, Node>) {
        for node in level.values() {
            match node {
                Node::Leaf(id) => {
                    if let Some(given) = self.given.get_mut(id.0 as usize) {
                        *given = true;
                    }
                }
                Node::Object(children) => self.mark_given(children),
            }
        }
    }

    fn leaf(&mut self, id: FactId, json: &Json) {
        let Some(def) = self.program.fact(id) else {
            return;
        };
        // The fact's declared path is the field's path in the document.
        let path = def.path.as_str();
        if let Some(given) = self.given.get_mut(id.0 as usize) {
            *given = true;
        }
        if json.is_null() {
            if !def.optional && def.default.is_none() {
                self.errors.push(
                    Diagnostic::error("tenet::facts::null", format!("`{path}` may not be null"))
                        .help(format!("give {}", self.type_words(def.ty))),
                );
            }
            return;
        }
        if let Some(value) = self.value(def.ty, json, &path) {
            if let Some(slot) = self.facts.values.get_mut(id.0 as usize) {
                *slot = Some(value);
            }
        }
    }

    /// `path` is only formatted into messages, so list items cost no allocation.
    fn value(&mut self, ty: Type, json: &Json, path: &dyn std::fmt::Display) -> Option<Value> {
        let value = match (ty, json) {
            (Type::Bool, Json::Bool(b)) => Value::Bool(*b),
            (Type::Number, Json::Number(n)) => Value::Number(n.as_f64()?),
            (Type::Text, Json::String(s)) => Value::Text(Arc::from(s.as_str())),
            (Type::Days, Json::Number(n)) if n.as_i64().is_some() => Value::Days(n.as_i64()?),
            (Type::Date, Json::String(s)) => match parse_date(s) {
                Some(date) => Value::Date(date),
                None => {
                    self.errors.push(
                        Diagnostic::error(
                            "tenet::facts::invalid_date",
                            format!("`{path}`: expected a date, found {s:?}"),
                        )
                        .help("dates are written YYYY-MM-DD and must exist in the calendar, e.g. \"2025-02-11\""),
                    );
                    return None;
                }
            },
            (Type::Enum(id), Json::String(s)) => {
                let values = self.program.enum_values(id);
                match values.iter().position(|value| value == s) {
                    Some(index) => Value::Enum(id, index as u32),
                    None => {
                        let name = self.program.enums.get(id.0 as usize).map_or("", |def| def.name.as_str());
                        let error = Diagnostic::error(
                            "tenet::facts::unknown_value",
                            format!("`{path}`: {s:?} is not a value of `{name}`"),
                        );
                        let error = match did_you_mean(s, values.iter().map(String::as_str)) {
                            Some(best) => error.help(format!("did you mean \"{best}\"?")),
                            None => error.help(format!("expected one of {}", quoted(values))),
                        };
                        self.errors.push(error);
                        return None;
                    }
                }
            }
            (Type::List(scalar), Json::Array(items)) => {
                let mut values = Vec::with_capacity(items.len());
                let mut ok = true;
                for (index, item) in items.iter().enumerate() {
                    match self.value(scalar.ty(), item, &ListItem(path, index)) {
                        Some(value) => values.push(value),
                        None => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                Value::List(Arc::from(values))
            }
            (ty, other) => {
                let expected = self.type_words(ty);
                self.errors.push(Diagnostic::error(
                    "tenet::facts::wrong_type",
                    format!("`{path}`: expected {expected}, found {}", kind(other)),
                ));
                return None;
            }
        };
        Some(value)
    }

    /// Fills defaults and reports required facts that are missing.
    fn defaults(&mut self) {
        for (index, def) in self.program.facts.iter().enumerate() {
            let Some(slot) = self.facts.values.get_mut(index) else {
                continue;
            };
            if slot.is_some() || self.given.get(index).copied().unwrap_or(false) {
                continue;
            }
            match &def.default {
                Some(default) => *slot = Some(default.clone()),
                None if def.optional => {}
                None => {
                    let help = if FactId(index as u32) == self.program.as_of {
                        String::from("give the date the rules are applied at, or pass `--as-of YYYY-MM-DD`")
                    } else {
                        format!("give {}", type_words(self.program, def.ty))
                    };
                    self.errors.push(
                        Diagnostic::error(
                            "tenet::facts::missing",
                            format!("the required fact `{}` is missing", def.path),
                        )
                        .help(help),
                    );
                }
            }
        }
    }

    fn type_words(&self, ty: Type) -> String {
        type_words(self.program, ty)
    }
}

/// `a date (YYYY-MM-DD)`, `one of "a", "b"`, `a list of numbers`.
fn type_words(program: &Program, ty: Type) -> String {
    let scalar = |scalar: Scalar| match scalar {
        Scalar::Bool => String::from("true or false"),
        Scalar::Number => String::from("a number"),
        Scalar::Text => String::from("a string"),
        Scalar::Date => String::from("a date (\"YYYY-MM-DD\")"),
        Scalar::Days => String::from("a whole number of days"),
        Scalar::Enum(id) => format!("one of {}", quoted(program.enum_values(id))),
    };
    match ty {
        Type::List(inner) => format!("a list, each item {}", scalar(inner)),
        other => other.scalar().map(scalar).unwrap_or_default(),
    }
}

/// Strictly `YYYY-MM-DD`, and a real day.
pub fn parse_date(text: &str) -> Option<Date> {
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes.iter().enumerate().all(
            |(index, byte)| {
                if index == 4 || index == 7 { *byte == b'-' } else { byte.is_ascii_digit() }
            },
        );
    if !shaped {
        return None;
    }
    text.parse().ok()
}

fn kind(json: &Json) -> String {
    match json {
        Json::Null => String::from("null"),
        Json::Bool(b) => format!("`{b}`"),
        Json::Number(n) => format!("the number `{n}`"),
        Json::String(s) => {
            let shown: String = s.chars().take(60).collect();
            format!("the string {shown:?}")
        }
        Json::Array(_) => String::from("a list"),
        Json::Object(_) => String::from("an object"),
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() { key.to_string() } else { format!("{prefix}.{key}") }
}

fn fields_list(level: &BTreeMap<String, Node>, prefix: &str) -> String {
    let words: Vec<String> = level.keys().take(16).map(|key| format!("`{}`", join(prefix, key))).collect();
    let more = if level.len() > 16 { ", ..." } else { "" };
    format!("{}{more}", words.join(", "))
}

fn quoted(values: &[String]) -> String {
    let words: Vec<String> = values.iter().take(16).map(|value| format!("{value:?}")).collect();
    let more = if values.len() > 16 { ", ..." } else { "" };
    format!("{}{more}", words.join(", "))
}

/// `data.categories[2]`, written only when a message needs it.
struct ListItem<'a>(&'a dyn std::fmt::Display, usize);

impl std::fmt::Display for ListItem<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}[{}]", self.0, self.1)
    }
}
