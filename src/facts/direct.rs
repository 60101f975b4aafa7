//! Facts straight from JSON text into their slots, in one pass, led by the
//! vocabulary: no generic JSON tree is built, fields and enumeration values
//! are looked up by hash as they are read.
//!
//! This reader only ever says "these are the facts" or "not here": anything it
//! does not accept as it stands (an unknown or repeated field, a value of the
//! wrong type, a null where none may be, a missing required fact) sends the
//! document to the general reader, which reports every problem with its path
//! exactly as before. A valid request is read once; an invalid one costs a
//! second reading, which only the error path pays.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Deserialize as _;
use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};

use super::{Facts, Node, Schema, days, parse_date};
use crate::check::{FactId, Program};
use crate::value::{EnumId, Type, Value};

/// A fixed hasher: the tables are built once from the vocabulary and never
/// grow, so a request can at worst make one lookup walk one table.
type Hasher = foldhash::fast::FixedState;

/// The vocabulary's shape for this reader: each object's fields, each
/// enumeration's values, by hash.
#[derive(Clone, Debug, Default)]
pub(super) struct Table {
    /// Objects of the vocabulary, the root first.
    levels: Vec<HashMap<Box<str>, Entry, Hasher>>,
    /// Per enumeration, its values' indices by name.
    enums: Vec<HashMap<Box<str>, u32, Hasher>>,
    /// How many fields all the objects have: each has its own number, `Entry::at`.
    fields: usize,
}

/// A field of an object: a fact, or an object, with its number among all fields.
#[derive(Clone, Copy, Debug)]
struct Entry {
    at: u32,
    kind: EntryKind,
}

#[derive(Clone, Copy, Debug)]
enum EntryKind {
    Leaf(FactId),
    Object(u32),
}

impl Table {
    pub(super) fn new(program: &Program, root: &BTreeMap<String, Node>) -> Table {
        let mut table = Table::default();
        table.level(root);
        table.enums = program
            .enums
            .iter()
            .map(|def| {
                def.values.iter().enumerate().map(|(index, value)| (Box::from(value.as_str()), index as u32)).collect()
            })
            .collect();
        table
    }

    /// Adds an object and those inside it; returns its number.
    fn level(&mut self, nodes: &BTreeMap<String, Node>) -> u32 {
        let number = self.levels.len() as u32;
        self.levels.push(HashMap::default());
        let mut fields = HashMap::with_capacity_and_hasher(nodes.len(), Hasher::default());
        for (name, node) in nodes {
            let at = self.fields as u32;
            self.fields += 1;
            let kind = match node {
                Node::Leaf(id) => EntryKind::Leaf(*id),
                Node::Object(children) => EntryKind::Object(self.level(children)),
            };
            fields.insert(Box::from(name.as_str()), Entry { at, kind });
        }
        if let Some(slot) = self.levels.get_mut(number as usize) {
            *slot = fields;
        }
        number
    }

    /// The index of the value of enumeration `id` named exactly `text`.
    fn enum_value(&self, id: EnumId, text: &str) -> Option<u32> {
        self.enums.get(id.0 as usize)?.get(text).copied()
    }
}

/// The facts of a valid JSON request (byte-order mark already removed), with
/// `as_of` replacing the request's own date when given; `None` when the
/// general reader must look at it.
pub(super) fn read(program: &Program, schema: &Schema, text: &[u8], as_of: Option<jiff::civil::Date>) -> Option<Facts> {
    let count = program.facts.len();
    // The reader's own vectors are the last request's on this thread, emptied.
    let mut scratch = SCRATCH.with(std::cell::Cell::take);
    scratch.given.resize(count, false);
    scratch.seen.resize(schema.table.fields, false);
    let mut slots = Slots { facts: Facts::absent(count), scratch };
    let facts = fill(program, schema, text, as_of, &mut slots).and_then(|()| slots.finish(program));
    let Slots { facts: _, mut scratch } = slots;
    scratch.given.clear();
    scratch.seen.clear();
    scratch.items.clear();
    SCRATCH.with(|cell| cell.set(scratch));
    facts
}

/// Reads the request into `slots`; `None` when the general reader must look at it.
fn fill(
    program: &Program,
    schema: &Schema,
    text: &[u8],
    as_of: Option<jiff::civil::Date>,
    slots: &mut Slots,
) -> Option<()> {
    // The whole text checked as UTF-8 at once, in one fast pass, rather than each
    // string as it is read (what reading from bytes does, at a cost per string).
    let text = std::str::from_utf8(text).ok()?;
    let mut reader = serde_json::Deserializer::from_str(text);
    Level { program, table: &schema.table, level: 0, slots }.deserialize(&mut reader).ok()?;
    reader.end().ok()?;
    if let Some(date) = as_of
        && let Some(slot) = slots.facts.values.get_mut(program.as_of.0 as usize)
    {
        *slot = Some(Value::Date(date));
    }
    Some(())
}

/// The vectors the reader works in, kept per thread between requests.
#[derive(Default)]
struct Scratch {
    /// Facts the request gave, null included: only the others take their defaults.
    given: Vec<bool>,
    /// Fields given so far, by [`Entry::at`]: one given twice is the general reader's to report.
    seen: Vec<bool>,
    /// A list's items as they are read, before they are moved into the list
    /// (which leaves it empty for the next).
    items: Vec<Value>,
}

thread_local! {
    static SCRATCH: std::cell::Cell<Scratch> = std::cell::Cell::new(Scratch::default());
}

struct Slots {
    facts: Facts,
    scratch: Scratch,
}

impl Slots {
    /// Defaults for the facts not given; `None` when a required fact is missing
    /// (there is no evaluation without a date, even where `as_of` is optional).
    fn finish(&mut self, program: &Program) -> Option<Facts> {
        for (index, def) in program.facts.iter().enumerate() {
            let given = self.scratch.given.get(index).copied().unwrap_or(false);
            let slot = self.facts.values.get_mut(index)?;
            if slot.is_some() || given {
                continue;
            }
            match &def.default {
                Some(default) => *slot = Some(default.clone()),
                None if def.optional && index != program.as_of.0 as usize => {}
                None => return None,
            }
        }
        self.facts.get(program.as_of)?;
        Some(std::mem::take(&mut self.facts))
    }
}

/// Why this reader gave up: never shown, the general reader says what is wrong.
const GIVE_UP: &str = "not for the direct reader";

/// An object of the vocabulary at one level.
struct Level<'a> {
    program: &'a Program,
    table: &'a Table,
    level: u32,
    slots: &'a mut Slots,
}

impl<'de> DeserializeSeed<'de> for Level<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Level<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("an object of the vocabulary")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<(), A::Error> {
        let fields = self.table.levels.get(self.level as usize).ok_or_else(|| A::Error::custom(GIVE_UP))?;
        while let Some(entry) = entries.next_key_seed(Field(fields))? {
            match self.slots.scratch.seen.get_mut(entry.at as usize) {
                Some(seen) if !*seen => *seen = true,
                _ => return Err(A::Error::custom(GIVE_UP)),
            }
            match entry.kind {
                EntryKind::Object(level) => {
                    let level = Level { program: self.program, table: self.table, level, slots: &mut *self.slots };
                    entries.next_value_seed(Nullable(level))?;
                }
                EntryKind::Leaf(id) => {
                    let def = self.program.fact(id).ok_or_else(|| A::Error::custom(GIVE_UP))?;
                    let leaf = Leaf { table: self.table, ty: def.ty, items: &mut self.slots.scratch.items };
                    let value = entries.next_value_seed(leaf)?;
                    if let Some(given) = self.slots.scratch.given.get_mut(id.0 as usize) {
                        *given = true;
                    }
                    match value {
                        Some(value) => {
                            if let Some(slot) = self.slots.facts.values.get_mut(id.0 as usize) {
                                *slot = Some(value);
                            }
                        }
                        // Null: absent, where the vocabulary allows it.
                        None if def.optional || def.default.is_some() => {}
                        None => return Err(A::Error::custom(GIVE_UP)),
                    }
                }
            }
        }
        Ok(())
    }
}

/// A field's name, looked up at this level as it is read (no copy of the name).
struct Field<'a>(&'a HashMap<Box<str>, Entry, Hasher>);

impl<'de> DeserializeSeed<'de> for Field<'_> {
    type Value = Entry;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Entry, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for Field<'_> {
    type Value = Entry;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a field of the vocabulary")
    }

    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Entry, E> {
        self.0.get(key).copied().ok_or_else(|| E::custom(GIVE_UP))
    }
}

/// An object that may be null (then it gives nothing, and its facts take their defaults).
struct Nullable<'a>(Level<'a>);

impl<'de> DeserializeSeed<'de> for Nullable<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for Nullable<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("an object or null")
    }

    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        self.0.deserialize(deserializer)
    }
}

/// One fact's value, of its declared type, or null (`None`).
struct Leaf<'a> {
    table: &'a Table,
    ty: Type,
    /// Where a list's items are gathered ([`Scratch::items`]).
    items: &'a mut Vec<Value>,
}

impl<'de> DeserializeSeed<'de> for Leaf<'_> {
    type Value = Option<Value>;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Option<Value>, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for Leaf<'_> {
    type Value = Option<Value>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a fact's value")
    }

    fn visit_none<E>(self) -> Result<Option<Value>, E> {
        Ok(None)
    }

    fn visit_unit<E>(self) -> Result<Option<Value>, E> {
        Ok(None)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Option<Value>, D::Error> {
        match self.ty {
            Type::List(scalar) => {
                let items = Items { table: self.table, ty: scalar.ty(), items: &mut *self.items };
                deserializer.deserialize_seq(items)?;
                // Moved out in one allocation of the list's exact size.
                Ok(Some(Value::List(self.items.drain(..).collect())))
            }
            ty => Scalar { table: self.table, ty }.deserialize(deserializer).map(Some),
        }
    }
}

/// The items of a list fact.
struct Items<'a> {
    table: &'a Table,
    ty: Type,
    items: &'a mut Vec<Value>,
}

impl<'de> Visitor<'de> for Items<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a list")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        while let Some(value) = items.next_element_seed(Scalar { table: self.table, ty: self.ty })? {
            self.items.push(value);
        }
        Ok(())
    }
}

/// A number as it is written, borrowed from the request's text (a
/// `serde_json::Number` copies it into a string of its own); anything else is
/// the general reader's to report.
fn number_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<&'de str, D::Error> {
    let raw = <&serde_json::value::RawValue>::deserialize(deserializer)?.get();
    match raw.as_bytes().first() {
        Some(b'-' | b'0'..=b'9') => Ok(raw),
        _ => Err(D::Error::custom(GIVE_UP)),
    }
}

/// One value of a scalar type (never null).
struct Scalar<'a> {
    table: &'a Table,
    ty: Type,
}

impl<'de> DeserializeSeed<'de> for Scalar<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        let give_up = || D::Error::custom(GIVE_UP);
        match self.ty {
            Type::Bool => bool::deserialize(deserializer).map(Value::Bool),
            Type::Number => {
                let number = number_text(deserializer)?;
                crate::value::parse_number(number).map(Value::Number).map_err(|_| give_up())
            }
            Type::Days => days(number_text(deserializer)?).map(Value::Days).ok_or_else(give_up),
            Type::Text => deserializer.deserialize_str(Text(|text: &str| Some(Value::Text(Arc::from(text))))),
            Type::Date => deserializer.deserialize_str(Text(|text: &str| parse_date(text).map(Value::Date))),
            Type::Enum(id) => {
                let table = self.table;
                deserializer.deserialize_str(Text(move |text: &str| {
                    table.enum_value(id, text).map(|index| Value::Enum(id, index))
                }))
            }
            Type::List(_) | Type::Months => Err(give_up()),
        }
    }
}

/// A string turned into a value, borrowed or not.
struct Text<F>(F);

impl<'de, F: FnOnce(&str) -> Option<Value>> Visitor<'de> for Text<F> {
    type Value = Value;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Value, E> {
        (self.0)(text).ok_or_else(|| E::custom(GIVE_UP))
    }
}
