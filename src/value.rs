//! Types and values shared by the checker, the facts loader and the evaluator.

use std::fmt;
use std::sync::Arc;

use jiff::civil::Date;

/// Index of an enumeration in the program.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
pub struct EnumId(pub u32);

/// The type of a fact, a set, an outcome or an expression.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
pub enum Type {
    Bool,
    Number,
    Text,
    Date,
    /// A whole number of days.
    Days,
    Enum(EnumId),
    List(Scalar),
}

/// The element types a list may hold.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
pub enum Scalar {
    Bool,
    Number,
    Text,
    Date,
    Days,
    Enum(EnumId),
}

impl Scalar {
    pub fn ty(self) -> Type {
        match self {
            Scalar::Bool => Type::Bool,
            Scalar::Number => Type::Number,
            Scalar::Text => Type::Text,
            Scalar::Date => Type::Date,
            Scalar::Days => Type::Days,
            Scalar::Enum(id) => Type::Enum(id),
        }
    }
}

impl Type {
    pub fn scalar(self) -> Option<Scalar> {
        Some(match self {
            Type::Bool => Scalar::Bool,
            Type::Number => Scalar::Number,
            Type::Text => Scalar::Text,
            Type::Date => Scalar::Date,
            Type::Days => Scalar::Days,
            Type::Enum(id) => Scalar::Enum(id),
            Type::List(_) => return None,
        })
    }
}

/// A value during evaluation. Enum values are indices into their enumeration.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Bool(bool),
    Number(f64),
    Text(Arc<str>),
    Date(Date),
    Days(i64),
    Enum(EnumId, u32),
    List(Arc<[Value]>),
}

impl Value {
    /// Equality as the language defines it (numbers compare by value).
    pub fn same(&self, other: &Value) -> bool {
        self == other
    }

    pub fn compare(&self, other: &Value) -> Option<std::cmp::Ordering> {
        match (self, other) {
            (Value::Number(a), Value::Number(b)) => a.partial_cmp(b),
            (Value::Date(a), Value::Date(b)) => Some(a.cmp(b)),
            (Value::Days(a), Value::Days(b)) => Some(a.cmp(b)),
            (Value::Text(a), Value::Text(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

/// Writes a value the way a user wrote it, given the enumerations' value names.
pub struct Shown<'a> {
    pub value: &'a Value,
    pub enums: &'a [crate::check::EnumDef],
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.value {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{}", number_text(*n)),
            Value::Text(t) => write!(f, "{t:?}"),
            Value::Date(d) => write!(f, "{d}"),
            Value::Days(n) if *n == 1 || *n == -1 => write!(f, "{n} day"),
            Value::Days(n) => write!(f, "{n} days"),
            Value::Enum(id, index) => f.write_str(enum_name(self.enums, *id, *index)),
            Value::List(items) => {
                f.write_str("[")?;
                for (position, item) in items.iter().enumerate() {
                    if position > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}", Shown { value: item, enums: self.enums })?;
                }
                f.write_str("]")
            }
        }
    }
}

pub fn enum_name(enums: &[crate::check::EnumDef], id: EnumId, index: u32) -> &str {
    enums.get(id.0 as usize).and_then(|def| def.values.get(index as usize)).map_or("?", String::as_str)
}

/// `14` rather than `14.0`.
pub fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { format!("{n}") }
}

/// The same value as JSON.
pub fn to_json(value: &Value, enums: &[crate::check::EnumDef]) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        Value::Bool(b) => J::Bool(*b),
        // Whole numbers as integers: `20`, not `20.0`.
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 => J::from(*n as i64),
        Value::Number(n) => serde_json::Number::from_f64(*n).map_or(J::Null, J::Number),
        Value::Text(t) => J::String(t.to_string()),
        Value::Date(d) => J::String(d.to_string()),
        Value::Days(n) => J::from(*n),
        Value::Enum(id, index) => J::String(enum_name(enums, *id, *index).to_string()),
        Value::List(items) => J::Array(items.iter().map(|item| to_json(item, enums)).collect()),
    }
}
