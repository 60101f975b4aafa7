//! Types and values shared by the checker, the facts loader and the evaluator.

use std::fmt;
use std::sync::Arc;

use jiff::civil::Date;
use rust_decimal::Decimal;

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
    /// A whole number of calendar months: only a literal added to or subtracted from a date.
    Months,
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
            Type::List(_) | Type::Months => return None,
        })
    }
}

/// A value during evaluation. Enum values are indices into their enumeration.
/// Numbers are exact decimals (up to 28 significant digits): `0.1 + 0.2` is
/// `0.3`, and a number keeps the digits it was written with (`1.50`).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Bool(bool),
    Number(Decimal),
    Text(Arc<str>),
    Date(Date),
    Days(i64),
    Months(i64),
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
            (Value::Number(a), Value::Number(b)) => Some(a.cmp(b)),
            (Value::Date(a), Value::Date(b)) => Some(a.cmp(b)),
            (Value::Days(a), Value::Days(b)) => Some(a.cmp(b)),
            (Value::Months(a), Value::Months(b)) => Some(a.cmp(b)),
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
            Value::Number(n) => write!(f, "{n}"),
            Value::Text(t) => write!(f, "{t:?}"),
            Value::Date(d) => write!(f, "{d}"),
            Value::Days(n) if *n == 1 || *n == -1 => write!(f, "{n} day"),
            Value::Days(n) => write!(f, "{n} days"),
            Value::Months(n) if *n == 1 || *n == -1 => write!(f, "{n} month"),
            Value::Months(n) => write!(f, "{n} months"),
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

/// The largest number of significant digits a number may have.
pub const MAX_DIGITS: u32 = 28;

/// Reads a number as written in a rule file or a facts document (`12`, `-0.5`,
/// `1.5e3`), exactly, or says why it cannot be held exactly.
pub fn parse_number(text: &str) -> Result<Decimal, String> {
    let plain = if text.contains(['e', 'E']) {
        without_exponent(text).map(std::borrow::Cow::Owned)
    } else {
        Some(std::borrow::Cow::Borrowed(text))
    };
    plain
        .and_then(|plain| Decimal::from_str_exact(&plain).ok())
        .ok_or_else(|| format!("numbers have at most {MAX_DIGITS} significant digits and {MAX_DIGITS} decimal places"))
}

/// `1.5e3` as `1500`, `25E-3` as `0.025`: the same digits with the point moved.
/// `None` for an exponent so large that no exact number has it.
fn without_exponent(text: &str) -> Option<String> {
    let (mantissa, exponent) = text.split_once(['e', 'E'])?;
    let exponent: i64 = exponent.parse().ok()?;
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa.strip_prefix('+').unwrap_or(mantissa)),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{whole}{fraction}");
    if !digits.bytes().all(|byte| byte.is_ascii_digit()) || digits.is_empty() {
        return None;
    }
    if digits.bytes().all(|byte| byte == b'0') {
        return Some(String::from("0"));
    }
    // Where the point goes, counted in digits from the left.
    let point = i64::try_from(whole.len()).ok()?.checked_add(exponent)?;
    let limit = i64::from(MAX_DIGITS) * 3;
    if !(-limit..=limit).contains(&point) {
        return None;
    }
    let length = i64::try_from(digits.len()).ok()?;
    Some(if point <= 0 {
        format!("{sign}0.{}{digits}", "0".repeat(usize::try_from(-point).ok()?))
    } else if point >= length {
        format!("{sign}{digits}{}", "0".repeat(usize::try_from(point - length).ok()?))
    } else {
        let (left, right) = digits.split_at(usize::try_from(point).ok()?);
        format!("{sign}{left}.{right}")
    })
}

/// A number as it was written: `14`, `1.50`.
pub fn number_text(n: Decimal) -> String {
    n.to_string()
}

/// How `left kind right` is computed; checked at check time.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum ArithKind {
    /// `date + days`, `date - days`
    DateShift {
        subtract: bool,
    },
    /// `date + months`, `date - months`: the same day of the month, or the month's last day
    MonthShift {
        subtract: bool,
    },
    /// `date - date`, in days
    DateDiff,
    /// `days + days`, `days - days`
    Days {
        subtract: bool,
    },
    Number {
        subtract: bool,
    },
}

/// Why arithmetic gave no value.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum ArithError {
    /// The result is past the calendar (years -9999 to 9999) or the number range.
    OutOfRange,
    /// The operands are not of the kinds the operation takes (never for checked code).
    Operands,
}

/// `left + right` or `left - right` for the kinds the checker allows.
pub fn arith(left: &Value, kind: ArithKind, right: &Value) -> Result<Value, ArithError> {
    use ArithError::OutOfRange;
    Ok(match (left, kind, right) {
        (Value::Date(date), ArithKind::DateShift { subtract }, Value::Days(days)) => {
            let days = if subtract { days.checked_neg().ok_or(OutOfRange)? } else { *days };
            let span = jiff::Span::new().try_days(days).map_err(|_| OutOfRange)?;
            Value::Date(date.checked_add(span).map_err(|_| OutOfRange)?)
        }
        (Value::Date(date), ArithKind::MonthShift { subtract }, Value::Months(months)) => {
            let months = if subtract { months.checked_neg().ok_or(OutOfRange)? } else { *months };
            let span = jiff::Span::new().try_months(months).map_err(|_| OutOfRange)?;
            Value::Date(date.checked_add(span).map_err(|_| OutOfRange)?)
        }
        (Value::Date(a), ArithKind::DateDiff, Value::Date(b)) => {
            Value::Days(i64::from(a.since(*b).map_err(|_| OutOfRange)?.get_days()))
        }
        (Value::Days(a), ArithKind::Days { subtract }, Value::Days(b)) => {
            Value::Days(if subtract { a.checked_sub(*b) } else { a.checked_add(*b) }.ok_or(OutOfRange)?)
        }
        (Value::Number(a), ArithKind::Number { subtract }, Value::Number(b)) => {
            Value::Number(if subtract { a.checked_sub(*b) } else { a.checked_add(*b) }.ok_or(OutOfRange)?)
        }
        _ => return Err(ArithError::Operands),
    })
}

/// The same value as JSON.
pub fn to_json(value: &Value, enums: &[crate::check::EnumDef]) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        Value::Bool(b) => J::Bool(*b),
        // Exactly as held: `20`, `0.3`, `18446744073709551616`.
        Value::Number(n) => n.to_string().parse::<serde_json::Number>().map_or(J::Null, J::Number),
        Value::Text(t) => J::String(t.to_string()),
        Value::Date(d) => J::String(d.to_string()),
        Value::Days(n) | Value::Months(n) => J::from(*n),
        Value::Enum(id, index) => J::String(enum_name(enums, *id, *index).to_string()),
        Value::List(items) => J::Array(items.iter().map(|item| to_json(item, enums)).collect()),
    }
}
