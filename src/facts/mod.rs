//! A request's facts: JSON checked against the vocabulary, into typed values.
//! Every problem names the field's dotted path, what was expected and what was
//! found; all problems are reported, not only the first.

mod direct;

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
    /// `count` facts, all absent, in the vector of a request dropped earlier on
    /// this thread when there is one: a request's facts are as many slots as the
    /// vocabulary has facts, more than the allocator's small, fast sizes hold, and
    /// a service or a batch reads one request after another.
    pub fn absent(count: usize) -> Facts {
        let mut values = SPARE.with(std::cell::Cell::take);
        values.resize_with(count, || None);
        Facts { values }
    }

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

thread_local! {
    /// The emptied slots of the last request dropped on this thread.
    static SPARE: std::cell::Cell<Vec<Option<Value>>> = const { std::cell::Cell::new(Vec::new()) };
}

impl Drop for Facts {
    /// Empties the slots (dropping their values) and keeps them for [`Facts::absent`].
    fn drop(&mut self) {
        let mut values = std::mem::take(&mut self.values);
        if values.capacity() == 0 {
            return;
        }
        values.clear();
        // During the thread's own teardown there is nowhere to keep them: they are freed.
        let _ = SPARE.try_with(|spare| spare.set(values));
    }
}

/// The shape of the facts JSON, derived once from the vocabulary.
#[derive(Clone, Debug)]
pub struct Schema {
    root: BTreeMap<String, Node>,
    /// The same shape as the direct reader looks it up: fields and enumeration values by hash.
    table: direct::Table,
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
        let table = direct::Table::new(program, &root);
        Schema { root, table }
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

/// The largest facts document (or case file, or standard input) read: 16 MiB.
pub const MAX_DOCUMENT_BYTES: u64 = 16 * 1024 * 1024;

/// How deep brackets may nest in a document, as in the JSON and YAML readers.
const MAX_DOCUMENT_DEPTH: usize = 128;

/// Reads a facts document from a file, or from standard input for `-`, refusing
/// anything larger than [`MAX_DOCUMENT_BYTES`] (a device such as `/dev/zero`
/// never ends).
pub fn read_bounded(path: &std::path::Path) -> Result<Vec<u8>, Box<Diagnostic>> {
    use std::io::Read as _;
    let name = display_name(path);
    let too_large = || {
        Box::new(
            Diagnostic::error(
                "tenet::facts::too_large",
                format!("{name}: the document is larger than {} MiB", MAX_DOCUMENT_BYTES / (1024 * 1024)),
            )
            .help("a request's facts are one small document; split a batch of requests into files"),
        )
    };
    let io = |error: std::io::Error| {
        let reason = crate::diag::io_reason(&error);
        Box::new(Diagnostic::error("tenet::facts::io", format!("cannot read facts `{name}`: {reason}")))
    };
    let mut bytes = Vec::new();
    let read = if path.as_os_str() == "-" {
        std::io::stdin().lock().take(MAX_DOCUMENT_BYTES + 1).read_to_end(&mut bytes)
    } else {
        let file = std::fs::File::open(path).map_err(io)?;
        if file.metadata().is_ok_and(|metadata| metadata.is_dir()) {
            return Err(io(std::io::Error::from(std::io::ErrorKind::IsADirectory)));
        }
        file.take(MAX_DOCUMENT_BYTES + 1).read_to_end(&mut bytes)
    };
    read.map_err(io)?;
    if bytes.len() as u64 > MAX_DOCUMENT_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

/// How a facts path is named in messages: `-` is standard input.
pub fn display_name(path: &std::path::Path) -> String {
    if path.as_os_str() == "-" { String::from("standard input") } else { path.display().to_string() }
}

/// Reads a JSON or YAML document into JSON values, or says where it is malformed.
/// Numbers keep the digits they were written with; a key given twice in one
/// object, a YAML `.nan` or `.inf`, and nesting deeper than 128 levels are errors.
pub fn read_document(text: &[u8], yaml: bool) -> Result<Json, Box<Diagnostic>> {
    // A byte-order mark is allowed before JSON as before rule files and YAML.
    let text = text.strip_prefix("\u{feff}".as_bytes()).unwrap_or(text);
    if yaml {
        return read_yaml(text);
    }
    let syntax_error = |error: serde_json::Error, found: Option<Found>| {
        let detail = error.to_string();
        let detail = detail.split(" at line ").next().unwrap_or(&detail).to_string();
        let (code, what) = match (&found, error.classify()) {
            (Some(found), _) => (found.code, found.message.clone()),
            (None, serde_json::error::Category::Eof) => {
                ("tenet::facts::syntax", format!("the document ends too early: {detail}"))
            }
            (None, _) => ("tenet::facts::syntax", format!("the document is not valid JSON: {detail}")),
        };
        let mut diagnostic =
            Diagnostic::error(code, format!("{what}, at line {} column {}", error.line(), error.column()));
        diagnostic = match found {
            Some(found) => diagnostic.help(found.help).path(found.path),
            None => diagnostic.help("facts are one JSON object whose fields follow the vocabulary"),
        };
        Box::new(diagnostic)
    };
    let found = std::cell::RefCell::new(None);
    let mut reader = serde_json::Deserializer::from_slice(text);
    serde::de::DeserializeSeed::deserialize(Strict { at: None, found: &found, yaml: false }, &mut reader)
        .map_err(|error| syntax_error(error, found.take()))?;
    serde_json::from_slice(text).map_err(|error| syntax_error(error, None))
}

fn read_yaml(text: &[u8]) -> Result<Json, Box<Diagnostic>> {
    let error_at = |code: &'static str, what: String, line: Option<usize>, help: &'static str| {
        let place = line.map(|line| format!(", at line {line}")).unwrap_or_default();
        Box::new(Diagnostic::error(code, format!("{what}{place}")).help(help))
    };
    if let Some((line, column)) = yaml_too_deep(text) {
        return Err(Box::new(
            Diagnostic::error(
                "tenet::facts::too_deep",
                format!(
                    "the document nests more than {MAX_DOCUMENT_DEPTH} levels deep, at line {line} column {column}"
                ),
            )
            .help("facts nest a few levels deep; this looks like a broken or hostile document"),
        ));
    }
    let syntax = |error: yaml_serde::Error| {
        let detail = error.to_string();
        let detail = detail.split(" at line ").next().unwrap_or(&detail).to_string();
        let place =
            error.location().map(|at| format!(", at line {} column {}", at.line(), at.column())).unwrap_or_default();
        Box::new(
            Diagnostic::error("tenet::facts::syntax", format!("the document is not valid YAML: {detail}{place}"))
                .help("facts are one mapping whose fields follow the vocabulary"),
        )
    };
    let found = std::cell::RefCell::new(None);
    let document = yaml_serde::Deserializer::from_slice(text);
    let checked = serde::de::DeserializeSeed::deserialize(Strict { at: None, found: &found, yaml: true }, document);
    if let Err(error) = checked {
        return Err(match found.take() {
            Some(found) => {
                let place = error
                    .location()
                    .map(|at| format!(", at line {} column {}", at.line(), at.column()))
                    .unwrap_or_default();
                Box::new(
                    Diagnostic::error(found.code, format!("{}{place}", found.message))
                        .help(found.help)
                        .path(found.path),
                )
            }
            // The YAML reader says so without a place: find the `---`.
            None if error.to_string().contains("more than one document") => error_at(
                "tenet::facts::syntax",
                String::from("the file holds more than one YAML document"),
                second_document_line(text),
                "facts are one document: remove the `---` line that starts the second, or split the file",
            ),
            None => syntax(error),
        });
    }
    yaml_serde::from_slice::<Json>(text).map_err(syntax)
}

/// The first place where `[` and `{` nest deeper than [`MAX_DOCUMENT_DEPTH`] in
/// YAML text, as (line, column), found in one pass. The YAML reader would report
/// it too, but only after time that grows with the square of the depth.
fn yaml_too_deep(text: &[u8]) -> Option<(usize, usize)> {
    let (mut depth, mut line, mut line_start) = (0usize, 1usize, 0usize);
    let mut quote: Option<u8> = None;
    let mut previous = b'\n';
    let mut index = 0;
    while let Some(&byte) = text.get(index) {
        match (quote, byte) {
            (_, b'\n') => {
                line += 1;
                line_start = index + 1;
            }
            (Some(b'"'), b'\\') => index += 1,
            (Some(open), _) if byte == open => quote = None,
            (Some(_), _) => {}
            // A comment runs to the end of its line.
            (None, b'#') if previous.is_ascii_whitespace() => {
                while text.get(index + 1).is_some_and(|next| *next != b'\n') {
                    index += 1;
                }
            }
            // A quote opens a quoted scalar only where a value starts, not in `it's`.
            (None, b'"' | b'\'') if matches!(previous, b' ' | b'\t' | b'\n' | b'[' | b'{' | b',' | b':' | b'-') => {
                quote = Some(byte);
            }
            (None, b'[' | b'{') => {
                depth += 1;
                if depth > MAX_DOCUMENT_DEPTH {
                    return Some((line, index - line_start + 1));
                }
            }
            (None, b']' | b'}') => depth = depth.saturating_sub(1),
            _ => {}
        }
        previous = byte;
        index += 1;
    }
    None
}

/// The line of the `---` that starts a second YAML document.
fn second_document_line(text: &[u8]) -> Option<usize> {
    let text = String::from_utf8_lossy(text);
    let mut content = false;
    for (index, line) in text.lines().enumerate() {
        let marker = line == "---" || line.starts_with("--- ");
        if marker && content {
            return Some(index + 1);
        }
        content |= !marker && !line.trim().is_empty() && !line.trim_start().starts_with('#');
    }
    None
}

/// What [`Strict`] found wrong, with its code.
struct Found {
    code: &'static str,
    message: String,
    help: &'static str,
    path: String,
}

/// A pass over a document that builds nothing and refuses what the generic
/// readers accept silently: a key given twice (the last would win), and YAML's
/// `.nan` and `.inf` (they would become null, an absent fact). What it found is
/// left in `found`; the reader's error only carries the place.
#[derive(Clone, Copy)]
struct Strict<'a> {
    /// Where the value being read stands, written out only for a message.
    at: Option<&'a Segment<'a>>,
    found: &'a std::cell::RefCell<Option<Found>>,
    yaml: bool,
}

/// One key of the path to a value, linked to its parent's.
struct Segment<'a> {
    parent: Option<&'a Segment<'a>>,
    key: &'a str,
}

/// The dotted path of a value: `request.authority.country`.
fn dotted(at: Option<&Segment<'_>>) -> String {
    let mut keys = Vec::new();
    let mut next = at;
    while let Some(segment) = next {
        keys.push(segment.key);
        next = segment.parent;
    }
    keys.reverse();
    keys.join(".")
}

impl Strict<'_> {
    fn fail<E: serde::de::Error>(&self, code: &'static str, path: &str, message: String, help: &'static str) -> E {
        let error = E::custom(&message);
        *self.found.borrow_mut() = Some(Found { code, message, help, path: path.to_string() });
        error
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Strict<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Strict<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a JSON or YAML value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_i128<E>(self, _: i128) -> Result<(), E> {
        Ok(())
    }

    fn visit_u128<E>(self, _: u128) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<(), E> {
        let path = dotted(self.at);
        let shown = if path.is_empty() { String::from("the document") } else { format!("`{path}`") };
        if !value.is_finite() {
            return Err(self.fail(
                "tenet::facts::not_a_number",
                &path,
                format!("{shown}: `{value}` is not a number a fact can hold"),
                "give a finite number, or leave the fact out if it is not known",
            ));
        }
        // YAML hands decimals over as binary floating point: exact only up to 15
        // significant digits (JSON keeps every digit as written).
        if self.yaml && significant_digits(&value.to_string()) > 15 {
            return Err(self.fail(
                "tenet::facts::inexact_number",
                &path,
                format!("{shown}: `{value}` cannot be read exactly from YAML"),
                "write it with at most 15 significant digits, or write the facts as JSON, which keeps every digit",
            ));
        }
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        while items.next_element_seed(self)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut entries: A) -> Result<(), A::Error> {
        let mut keys = std::collections::HashSet::new();
        while let Some(key) = entries.next_key::<Key>()? {
            let segment = Segment { parent: self.at, key: &key.0 };
            if keys.contains(&key.0) {
                let path = dotted(Some(&segment));
                return Err(self.fail(
                    "tenet::facts::duplicate_key",
                    &path,
                    format!("`{path}` is given twice"),
                    "each field appears once in an object; remove one of them",
                ));
            }
            entries.next_value_seed(Strict { at: Some(&segment), found: self.found, yaml: self.yaml })?;
            keys.insert(key.0);
        }
        Ok(())
    }
}

/// An object key as text, whatever scalar YAML wrote it as.
struct Key(String);

impl<'de> serde::Deserialize<'de> for Key {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl serde::de::Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("a key")
            }
            fn visit_str<E>(self, key: &str) -> Result<Key, E> {
                Ok(Key(key.to_string()))
            }
            fn visit_bool<E>(self, key: bool) -> Result<Key, E> {
                Ok(Key(key.to_string()))
            }
            fn visit_i64<E>(self, key: i64) -> Result<Key, E> {
                Ok(Key(key.to_string()))
            }
            fn visit_u64<E>(self, key: u64) -> Result<Key, E> {
                Ok(Key(key.to_string()))
            }
            fn visit_f64<E>(self, key: f64) -> Result<Key, E> {
                Ok(Key(key.to_string()))
            }
            fn visit_unit<E>(self) -> Result<Key, E> {
                Ok(Key(String::from("null")))
            }
        }
        deserializer.deserialize_any(KeyVisitor)
    }
}

/// Significant digits of a number written in decimal: `0.0012` has 2.
fn significant_digits(text: &str) -> usize {
    let mantissa = text.split(['e', 'E']).next().unwrap_or(text);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    digits.trim_start_matches('0').trim_end_matches('0').len().max(1)
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
    if !yaml {
        // The common case, a valid JSON request, in one pass; anything else is read
        // by the general reader, which says what is wrong and where.
        let bare = text.strip_prefix("\u{feff}".as_bytes()).unwrap_or(text);
        if let Some(facts) = direct::read(program, schema, bare, as_of) {
            return Ok(facts);
        }
    }
    from_text_general(program, schema, text, yaml, as_of)
}

/// [`from_text`] without the one-pass reader: the JSON tree built, then checked.
/// The same result, slower; public so that tests can compare the two readers.
pub fn from_text_general(
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
        facts: Facts::absent(program.facts.len()),
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
    if let Some(date) = as_of
        && let Some(slot) = reader.facts.values.get_mut(program.as_of.0 as usize)
    {
        *slot = Some(Value::Date(date));
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
                    self.errors.push(error.path(path));
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
                            .help(format!("`{path}` groups the fields {}", fields_list(children, &path)))
                            .path(&path),
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
                        .help(format!("give {}", self.type_words(def.ty)))
                        .path(path),
                );
            }
            return;
        }
        if let Some(value) = self.value(def.ty, json, &path)
            && let Some(slot) = self.facts.values.get_mut(id.0 as usize)
        {
            *slot = Some(value);
        }
    }

    /// `path` is only formatted into messages, so list items cost no allocation.
    fn value(&mut self, ty: Type, json: &Json, path: &dyn std::fmt::Display) -> Option<Value> {
        let value = match (ty, json) {
            (Type::Bool, Json::Bool(b)) => Value::Bool(*b),
            (Type::Number, Json::Number(n)) => match crate::value::parse_number(n.as_str()) {
                Ok(number) => Value::Number(number),
                Err(why) => {
                    self.errors.push(
                        Diagnostic::error(
                            "tenet::facts::inexact_number",
                            format!("`{path}`: `{n}` cannot be held exactly"),
                        )
                        .help(why)
                        .path(path),
                    );
                    return None;
                }
            },
            (Type::Text, Json::String(s)) => Value::Text(Arc::from(s.as_str())),
            (Type::Days, Json::Number(n)) => match days(n.as_str()) {
                Some(days) => Value::Days(days),
                None => {
                    self.errors.push(
                        Diagnostic::error(
                            "tenet::facts::wrong_type",
                            format!("`{path}`: expected a whole number of days, found `{n}`"),
                        )
                        .help(format!("days are whole numbers from -{MAX_DAYS} to {MAX_DAYS}"))
                        .path(path),
                    );
                    return None;
                }
            },
            (Type::Date, Json::String(s)) => match parse_date(s) {
                Some(date) => Value::Date(date),
                None => {
                    self.errors.push(
                        Diagnostic::error(
                            "tenet::facts::invalid_date",
                            format!("`{path}`: expected a date, found {s:?}"),
                        )
                        .help("dates are written YYYY-MM-DD and must exist in the calendar, e.g. \"2025-02-11\"")
                        .path(path),
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
                        )
                        .path(path);
                        let error = match self.program.enums.get(id.0 as usize) {
                            Some(def) => error.help(def.suggestion(s, "\"")),
                            None => error,
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
                self.errors.push(
                    Diagnostic::error(
                        "tenet::facts::wrong_type",
                        format!("`{path}`: expected {expected}, found {}", kind(other)),
                    )
                    .path(path),
                );
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
                        .help(help)
                        .path(&def.path),
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

/// The largest number of days a fact may hold: a little over the calendar's 20,000 years.
pub const MAX_DAYS: i64 = 7_400_000;

/// A whole number of days as written (`14`, `14.0`, `1.4e1`), within [`MAX_DAYS`].
fn days(text: &str) -> Option<i64> {
    let number = crate::value::parse_number(text).ok()?;
    if !number.fract().is_zero() {
        return None;
    }
    i64::try_from(number).ok().filter(|days| days.abs() <= MAX_DAYS)
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
