//! The classes of a fact's values that the rules can tell apart.
//!
//! Each class is given by one representative value. Enumerations and booleans
//! have one class per value. A text is one of the texts the rules name, or
//! something else (two representatives, so that two facts can differ). A
//! number, a number of days or a date is cut at every threshold the rules
//! compare it with, solved for the fact (`end_date - as_of > 0 days` cuts
//! `end_date` at `as_of`): each threshold, a value between two neighbours, and
//! one beyond each end. A list of enumeration values is any subset of them (up
//! to six values), otherwise each single value, none and all.
//!
//! A domain is *exact* when every value of the fact behaves like the
//! representative of its class in every expression of the program: the fact
//! is only compared with constants (and the date of evaluation), tested for
//! presence, or (for texts, enumerations and booleans) compared with anything.
//! Otherwise the representatives are a careful sample and the domain says so.

use std::collections::BTreeSet;

use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::check::{ArithKind, Expr, FactId, Program};
use crate::value::{Scalar, Type, Value};

/// The representatives of a fact's classes.
#[derive(Clone, Debug, PartialEq)]
pub struct Domain {
    pub values: Vec<Value>,
    /// Each class in words, e.g. `between 3 and 5`, `"US"`, `any other text`.
    pub labels: Vec<String>,
    /// Whether the classes are exactly the ones the rules can tell apart.
    pub exact: bool,
}

/// A text no rule names: the class of every other text.
pub const OTHER_TEXT: &str = "(any other text)";
/// A second such text, so that two text facts can be different others.
pub const ANOTHER_TEXT: &str = "(another text)";

/// Lists of at most this many enumeration values are enumerated as all subsets.
const MAX_SUBSET_VALUES: usize = 6;

/// Lists whose elements fall into at most this many groups of alike elements
/// are every subset of the groups (4,096 classes, twelve BDD variables).
const MAX_GROUPS: usize = 12;

/// What the program compares one fact with.
#[derive(Default)]
struct Uses {
    numbers: BTreeSet<Decimal>,
    days: BTreeSet<i64>,
    dates: BTreeSet<Date>,
    texts: BTreeSet<String>,
    /// Used some other way than against constants: the classes are a sample.
    inexact: bool,
    /// For a list: the tests its elements are put to (`c in CONTENT`, `"CH" in list`).
    element_tests: Vec<ElementTest>,
    /// For a list: used as a whole, or its elements tested some other way.
    whole: bool,
}

/// A test of one element of a list: which element values pass it.
#[derive(Clone, Debug, PartialEq)]
enum ElementTest {
    /// Membership in constant enumeration values, by value index.
    Enums(Vec<bool>),
    Texts(Vec<String>),
    Values(Vec<Value>),
}

impl ElementTest {
    fn passes(&self, value: &Value) -> bool {
        match (self, value) {
            (ElementTest::Enums(members), Value::Enum(_, index)) => {
                members.get(*index as usize).copied().unwrap_or(false)
            }
            (ElementTest::Texts(texts), Value::Text(text)) => texts.iter().any(|t| t.as_str() == text.as_ref()),
            (ElementTest::Values(values), value) => values.iter().any(|v| v.same(value)),
            _ => false,
        }
    }
}

/// The tests a quantifier's body puts its variable to, if it uses the variable
/// only in such tests (combined with `and`, `or`, `not`); `None` otherwise.
fn body_tests(body: &Expr, tests: &mut Vec<ElementTest>) -> bool {
    let is_var = |expr: &Expr| matches!(expr, Expr::Var(0));
    match body {
        Expr::InEnums { left, members, .. } if is_var(left) => {
            tests.push(ElementTest::Enums(members.to_vec()));
            true
        }
        Expr::InTexts { left, texts, .. } if is_var(left) => {
            tests.push(ElementTest::Texts(texts.iter().map(ToString::to_string).collect()));
            true
        }
        Expr::Is { left, right, .. } => match (left.as_ref(), right.as_ref()) {
            (var, Expr::Const(value)) | (Expr::Const(value), var) if is_var(var) => {
                tests.push(ElementTest::Values(vec![value.clone()]));
                true
            }
            _ => !uses_var(body),
        },
        Expr::In { left, right, .. } => match (left.as_ref(), right.as_ref()) {
            (var, Expr::Const(Value::List(items))) if is_var(var) => {
                tests.push(ElementTest::Values(items.to_vec()));
                true
            }
            _ => !uses_var(body),
        },
        Expr::Not(inner) => body_tests(inner, tests),
        Expr::And(parts) | Expr::Or(parts) => parts.iter().all(|part| body_tests(part, tests)),
        other => !uses_var(other),
    }
}

/// Whether an expression reads a quantifier's variable (or holds a quantifier).
fn uses_var(expr: &Expr) -> bool {
    match expr {
        Expr::Var(_) | Expr::Quantified { .. } => true,
        Expr::Arith { left, right, .. }
        | Expr::Is { left, right, .. }
        | Expr::Compare { left, right, .. }
        | Expr::In { left, right, .. } => uses_var(left) || uses_var(right),
        Expr::Not(inner) | Expr::InEnums { left: inner, .. } | Expr::InTexts { left: inner, .. } => uses_var(inner),
        Expr::And(parts) | Expr::Or(parts) | Expr::Otherwise(parts) | Expr::List(parts) => parts.iter().any(uses_var),
        _ => false,
    }
}

/// The domain of every fact, by [`FactId`]. `as_of` is the date of evaluation,
/// which rules compare dates with; it is itself a constant here.
pub fn domains(program: &Program, as_of: Date) -> Vec<Domain> {
    domains_where(program, as_of, |_| true)
}

/// [`domains`] of the facts `wanted` picks; the others get no classes.
pub fn domains_where(program: &Program, as_of: Date, wanted: impl Fn(FactId) -> bool) -> Vec<Domain> {
    let mut uses: Vec<Uses> = program.facts.iter().map(|_| Uses::default()).collect();
    let mut all_texts = BTreeSet::new();
    uses_of(program, as_of, as_of, &mut uses, &mut all_texts);
    let none = || Domain { values: Vec::new(), labels: Vec::new(), exact: false };
    program
        .facts
        .iter()
        .zip(uses)
        .enumerate()
        .map(
            |(index, (fact, uses))| {
                if wanted(FactId(index as u32)) { domain(program, fact.ty, &uses, &all_texts, as_of) } else { none() }
            },
        )
        .collect()
}

/// The domains of the facts of several programs on several dates, by dotted
/// path: cut at every threshold any of them uses, so that one class behaves
/// alike in all of them (`tenet diff --exhaustive`, the date sweep). A fact's
/// type and values are those of the first program that declares it.
pub fn domains_by_path(programs: &[&Program], dates: &[Date]) -> Vec<(String, Domain)> {
    let mut merged: Vec<(String, Uses)> = Vec::new();
    let mut declared: Vec<(&Program, Type)> = Vec::new();
    let mut all_texts = BTreeSet::new();
    // A date no rule compares with anything is any date: the first date analysed.
    let anchor = dates.first().copied().unwrap_or_default();
    for program in programs {
        for date in dates {
            let mut uses: Vec<Uses> = program.facts.iter().map(|_| Uses::default()).collect();
            uses_of(program, *date, anchor, &mut uses, &mut all_texts);
            for (fact, uses) in program.facts.iter().zip(uses) {
                match merged.iter_mut().find(|(path, _)| *path == fact.path) {
                    Some((_, into)) => {
                        into.numbers.extend(uses.numbers);
                        into.days.extend(uses.days);
                        into.dates.extend(uses.dates);
                        into.texts.extend(uses.texts);
                        into.inexact |= uses.inexact;
                        into.element_tests.extend(uses.element_tests);
                        into.whole |= uses.whole;
                    }
                    None => {
                        merged.push((fact.path.clone(), uses));
                        declared.push((program, fact.ty));
                    }
                }
            }
        }
    }
    merged
        .into_iter()
        .zip(declared)
        .map(|((path, uses), (program, ty))| (path, domain(program, ty, &uses, &all_texts, anchor)))
        .collect()
}

/// Records what the program compares each fact with on the date `as_of`; `anchor` is the
/// date that stands for "any date" where no rule names one.
fn uses_of(program: &Program, as_of: Date, anchor: Date, uses: &mut [Uses], all_texts: &mut BTreeSet<String>) {
    program.for_each_expr(|expr| collect(program, as_of, expr, uses, all_texts));
    // Facts compared with each other (`served <= made + 3 months`) stay a sample, but a
    // sample that holds both sides of every such comparison: each side gets the other's
    // thresholds, shifted, as thresholds of its own (the anchor stands in for a side with
    // none, and a side that had none keeps the anchor too).
    let mut relations = Vec::new();
    program.for_each_expr(|expr| related(program, as_of, expr, &mut relations));
    let own = |fact: FactId| -> Vec<Value> {
        let Some(slot) = uses.get(fact.0 as usize) else { return Vec::new() };
        let mut values: Vec<Value> = slot.numbers.iter().map(|n| Value::Number(*n)).collect();
        values.extend(slot.days.iter().map(|n| Value::Days(*n)));
        values.extend(slot.dates.iter().map(|d| Value::Date(*d)));
        values
    };
    let typed_anchor = |fact: FactId| -> Option<Value> {
        match program.fact(fact).map(|def| def.ty) {
            Some(Type::Date) => Some(Value::Date(anchor)),
            Some(Type::Days) => Some(Value::Days(0)),
            Some(Type::Number) => Some(Value::Number(Decimal::ZERO)),
            _ => None,
        }
    };
    let mut added: Vec<(FactId, Value)> = Vec::new();
    for (a, b) in &relations {
        for ((from, from_shift), (to, to_shift)) in [(b, a), (a, b)] {
            let mut sources = own(*from);
            if sources.is_empty() {
                sources.extend(typed_anchor(*from));
            }
            if own(*to).is_empty() {
                added.extend(typed_anchor(*to).map(|value| (*to, value)));
            }
            for value in sources {
                let shifted = match from_shift {
                    Some((kind, by)) => crate::value::arith(&value, *kind, by).ok(),
                    None => Some(value),
                };
                let Some(shifted) = shifted else { continue };
                added.extend(
                    solve(shifted, to_shift.as_ref()).unwrap_or_default().into_iter().map(|value| (*to, value)),
                );
            }
        }
    }
    for (fact, value) in added {
        let same_kind = matches!(
            (program.fact(fact).map(|def| def.ty), &value),
            (Some(Type::Date), Value::Date(_))
                | (Some(Type::Days), Value::Days(_))
                | (Some(Type::Number), Value::Number(_))
        );
        if let Some(slot) = uses.get_mut(fact.0 as usize)
            && same_kind
        {
            note(slot, &value, all_texts);
        }
    }
}

type Shifted = (FactId, Option<(ArithKind, Value)>);

/// Pairs of facts (each possibly shifted, or among the sides of an `otherwise`)
/// that some comparison relates to each other.
fn related(program: &Program, as_of: Date, expr: &Expr, relations: &mut Vec<(Shifted, Shifted)>) {
    if let Expr::Compare { left, right, .. } | Expr::Is { left, right, .. } = expr {
        let sides = |side: &Expr| -> Vec<Shifted> {
            let parts: Vec<&Expr> = match program.resolved(side) {
                Expr::Otherwise(parts) => parts.iter().collect(),
                _ => vec![side],
            };
            parts.into_iter().filter_map(|part| shifted(program, as_of, part)).collect()
        };
        for a in sides(left) {
            for b in sides(right) {
                if a.0 != b.0 {
                    relations.push((a.clone(), b));
                }
            }
        }
    }
    expr.children().for_each(|child| related(program, as_of, child, relations));
}

fn domain(program: &Program, ty: Type, uses: &Uses, all_texts: &BTreeSet<String>, anchor: Date) -> Domain {
    let scalar = |scalar: Scalar| -> Vec<Value> {
        match scalar {
            Scalar::Bool => vec![Value::Bool(true), Value::Bool(false)],
            Scalar::Enum(id) => (0..program.enum_values(id).len() as u32).map(|index| Value::Enum(id, index)).collect(),
            Scalar::Text => {
                // A text compared with another fact can equal any text the rules name.
                let texts = if uses.texts.is_empty() || uses.inexact { all_texts } else { &uses.texts };
                texts
                    .iter()
                    .map(String::as_str)
                    .chain([OTHER_TEXT, ANOTHER_TEXT])
                    .map(|text| Value::Text(text.into()))
                    .collect()
            }
            Scalar::Number => between(
                &uses.numbers,
                |a, b| b.checked_sub(a).and_then(|gap| a.checked_add(gap / Decimal::TWO)).unwrap_or(a),
                |n| n.checked_sub(Decimal::ONE).unwrap_or(n),
                |n| n.checked_add(Decimal::ONE).unwrap_or(n),
            )
            .into_iter()
            .map(Value::Number)
            .collect(),
            Scalar::Days => between(
                &uses.days,
                |a, b| a + b.saturating_sub(a) / 2,
                |n| n.saturating_sub(1),
                |n| n.saturating_add(1),
            )
            .into_iter()
            .map(Value::Days)
            .collect(),
            Scalar::Date if uses.dates.is_empty() => vec![Value::Date(anchor)],
            Scalar::Date => between(
                &uses.dates,
                |a, b| a.checked_add(jiff::Span::new().days(i64::from((b - a).get_days()) / 2)).unwrap_or(a),
                |d| d.yesterday().unwrap_or(d),
                |d| d.tomorrow().unwrap_or(d),
            )
            .into_iter()
            .map(Value::Date)
            .collect(),
        }
    };
    match ty {
        Type::List(element) => {
            let items = scalar(element);
            if let Some(domain) = grouped_list(program, &items, uses) {
                return domain;
            }
            let exact = matches!(element, Scalar::Enum(_) | Scalar::Bool) && items.len() <= MAX_SUBSET_VALUES;
            let values: Vec<Value> = if exact {
                (0..1u32 << items.len())
                    .map(|mask| {
                        let chosen: Vec<Value> = items
                            .iter()
                            .enumerate()
                            .filter(|(index, _)| mask & (1 << index) != 0)
                            .map(|(_, item)| item.clone())
                            .collect();
                        Value::List(chosen.into())
                    })
                    .collect()
            } else {
                std::iter::once(Value::List(Vec::new().into()))
                    .chain(items.iter().map(|item| Value::List(vec![item.clone()].into())))
                    .chain(std::iter::once(Value::List(items.clone().into())))
                    .collect()
            };
            let labels = values.iter().map(|value| label(program, value, uses)).collect();
            Domain { values, labels, exact }
        }
        other => {
            let Some(element) = other.scalar() else {
                return Domain { values: Vec::new(), labels: Vec::new(), exact: false };
            };
            let exact = match element {
                Scalar::Bool | Scalar::Enum(_) | Scalar::Text => true,
                Scalar::Number | Scalar::Days | Scalar::Date => !uses.inexact,
            };
            let values = scalar(element);
            let labels = values.iter().map(|value| label(program, value, uses)).collect();
            Domain { values, labels, exact }
        }
    }
}

/// A list whose elements are only put to tests (`c in CONTENT`, `"CH" in
/// list`): two elements that pass the same tests behave alike, so a list is
/// known by which groups of alike elements it holds. Exact when the groups are
/// few enough to take every subset of them.
fn grouped_list(program: &Program, items: &[Value], uses: &Uses) -> Option<Domain> {
    if uses.whole || uses.inexact {
        return None;
    }
    let mut groups: Vec<(Vec<bool>, Vec<&Value>)> = Vec::new();
    for item in items {
        let signature: Vec<bool> = uses.element_tests.iter().map(|test| test.passes(item)).collect();
        match groups.iter_mut().find(|(seen, _)| *seen == signature) {
            Some((_, members)) => members.push(item),
            None => groups.push((signature, vec![item])),
        }
    }
    if groups.len() > MAX_GROUPS {
        return None;
    }
    let shown = |value: &Value| match value {
        Value::Text(text) if text.as_ref() == OTHER_TEXT || text.as_ref() == ANOTHER_TEXT => String::from("any other"),
        other => crate::value::Shown { value: other, enums: &program.enums }.to_string(),
    };
    let group_label = |members: &[&Value]| -> String {
        let mut words: Vec<String> = members.iter().map(|member| shown(member)).collect();
        words.dedup();
        match words.as_slice() {
            [one] => one.clone(),
            many if many.len() <= 4 => format!("one of {}", many.join(", ")),
            many => format!("one of {}, … ({} values)", many[..3].join(", "), many.len()),
        }
    };
    let mut values = Vec::new();
    let mut labels = Vec::new();
    for mask in 0..1u32 << groups.len() {
        let chosen: Vec<&(Vec<bool>, Vec<&Value>)> =
            groups.iter().enumerate().filter(|(index, _)| mask & (1 << index) != 0).map(|(_, group)| group).collect();
        let list: Vec<Value> = chosen.iter().filter_map(|(_, members)| members.first().map(|v| (*v).clone())).collect();
        values.push(Value::List(list.into()));
        let words: Vec<String> = chosen.iter().map(|(_, members)| group_label(members)).collect();
        labels.push(format!("[{}]", words.join("; ")));
    }
    Some(Domain { values, labels, exact: true })
}

/// A class in words: the representative where it is the whole class, else the
/// interval between the thresholds around it.
fn label(program: &Program, value: &Value, uses: &Uses) -> String {
    fn interval<T: Ord + Copy + std::fmt::Display>(value: T, thresholds: &BTreeSet<T>, unit: &str) -> String {
        if thresholds.is_empty() {
            return String::from("any value");
        }
        if thresholds.contains(&value) {
            return format!("{value}{unit}");
        }
        let below = thresholds.range(..value).next_back();
        let above = thresholds.range(value..).next();
        match (below, above) {
            (Some(low), Some(high)) => format!("between {low}{unit} and {high}{unit}"),
            (Some(low), None) => format!("after {low}{unit}"),
            (None, Some(high)) => format!("before {high}{unit}"),
            (None, None) => String::from("any value"),
        }
    }
    match value {
        Value::Number(n) => interval(*n, &uses.numbers, "").replace("after", "above").replace("before", "below"),
        Value::Days(n) => {
            interval(*n, &uses.days, " days").replace("after", "more than").replace("before", "less than")
        }
        Value::Date(d) => interval(*d, &uses.dates, ""),
        Value::Text(text) if text.as_ref() == OTHER_TEXT || text.as_ref() == ANOTHER_TEXT => {
            String::from("any other text")
        }
        other => crate::value::Shown { value: other, enums: &program.enums }.to_string(),
    }
}

/// Each threshold, one value between each two neighbours (where there is
/// room), and one beyond each end; a single arbitrary value when there is no
/// threshold.
fn between<T: Copy + Ord + Default>(
    thresholds: &BTreeSet<T>,
    middle: impl Fn(T, T) -> T,
    below: impl Fn(T) -> T,
    above: impl Fn(T) -> T,
) -> Vec<T> {
    let (Some(first), Some(last)) = (thresholds.first(), thresholds.last()) else {
        return vec![T::default()];
    };
    let mut values = BTreeSet::new();
    values.insert(below(*first));
    values.insert(above(*last));
    let sorted: Vec<T> = thresholds.iter().copied().collect();
    for pair in sorted.windows(2) {
        if let [a, b] = pair {
            values.insert(middle(*a, *b));
        }
    }
    values.extend(sorted);
    values.into_iter().collect()
}

/// A constant, or the date of evaluation, which is fixed for a request.
fn constant(program: &Program, as_of: Date, expr: &Expr) -> Option<Value> {
    match program.resolved(expr) {
        Expr::Const(value) => Some(value.clone()),
        Expr::Fact(id) if *id == program.as_of => Some(Value::Date(as_of)),
        Expr::Arith { left, kind, right } => {
            crate::value::arith(&constant(program, as_of, left)?, *kind, &constant(program, as_of, right)?).ok()
        }
        _ => None,
    }
}

/// A fact, or a fact shifted by a constant (`end_date - 3 days`, `n + 2`): the
/// fact and how to solve `fact-ish = c` for the fact.
fn shifted(program: &Program, as_of: Date, expr: &Expr) -> Option<(FactId, Option<(ArithKind, Value)>)> {
    match program.resolved(expr) {
        Expr::Fact(id) if *id != program.as_of => Some((*id, None)),
        Expr::Arith { left, kind, right } => match (program.resolved(left), *kind) {
            (
                Expr::Fact(id),
                ArithKind::DateShift { .. }
                | ArithKind::MonthShift { .. }
                | ArithKind::Number { .. }
                | ArithKind::Days { .. },
            ) if *id != program.as_of => Some((*id, Some((*kind, constant(program, as_of, right)?)))),
            _ => None,
        },
        _ => None,
    }
}

/// The dates of evaluation at which `side` (`as_of`, `as_of ± days`, or an `otherwise`
/// that may fall back to one of them, through terms) crosses `date`.
pub(super) fn as_of_thresholds(program: &Program, side: &Expr, date: Date) -> Vec<Date> {
    let parts: Vec<&Expr> = match program.resolved(side) {
        Expr::Otherwise(parts) => parts.iter().collect(),
        other => vec![other],
    };
    let mut found = Vec::new();
    for part in parts {
        let shift = match program.resolved(part) {
            Expr::Fact(id) if *id == program.as_of => None,
            Expr::Arith { left, kind: kind @ (ArithKind::DateShift { .. } | ArithKind::MonthShift { .. }), right }
                if matches!(program.resolved(left), Expr::Fact(id) if *id == program.as_of) =>
            {
                match program.resolved(right) {
                    Expr::Const(by) => Some((*kind, by.clone())),
                    _ => continue,
                }
            }
            _ => continue,
        };
        for threshold in solve(Value::Date(date), shift.as_ref()).unwrap_or_default() {
            if let Value::Date(threshold) = threshold {
                found.push(threshold);
            }
        }
    }
    found
}

/// Solves `fact (+|-) shift = c` for the fact: the thresholds the comparison cuts at.
fn solve(value: Value, shift: Option<&(ArithKind, Value)>) -> Option<Vec<Value>> {
    let Some((kind, by)) = shift else { return Some(vec![value]) };
    let inverse = match kind {
        ArithKind::DateShift { subtract } => ArithKind::DateShift { subtract: !subtract },
        ArithKind::Days { subtract } => ArithKind::Days { subtract: !subtract },
        ArithKind::Number { subtract } => ArithKind::Number { subtract: !subtract },
        ArithKind::MonthShift { subtract } => return month_thresholds(&value, *subtract, by),
        ArithKind::DateDiff => return None,
    };
    crate::value::arith(&value, inverse, by).ok().map(|threshold| vec![threshold])
}

/// `date ± n months` is monotone but not one-to-one (months end on different days):
/// the first date whose shift reaches `c` and the last whose shift does not pass it.
fn month_thresholds(c: &Value, subtract: bool, by: &Value) -> Option<Vec<Value>> {
    let (Value::Date(target), Value::Months(_)) = (c, by) else { return None };
    let shift = |date: Date| match crate::value::arith(&Value::Date(date), ArithKind::MonthShift { subtract }, by) {
        Ok(Value::Date(shifted)) => Some(shifted),
        _ => None,
    };
    let Ok(Value::Date(guess)) = crate::value::arith(c, ArithKind::MonthShift { subtract: !subtract }, by) else {
        return None;
    };
    let window: Vec<Date> =
        (-4..=4).filter_map(|offset| guess.checked_add(jiff::Span::new().days(offset)).ok()).collect();
    let first = window.iter().copied().find(|date| shift(*date).is_some_and(|shifted| shifted >= *target))?;
    let last = window.iter().rev().copied().find(|date| shift(*date).is_some_and(|shifted| shifted <= *target))?;
    Some(if first == last { vec![Value::Date(first)] } else { vec![Value::Date(first), Value::Date(last)] })
}

fn note(uses: &mut Uses, value: &Value, all_texts: &mut BTreeSet<String>) {
    match value {
        Value::Number(n) => {
            uses.numbers.insert(*n);
        }
        Value::Days(n) => {
            uses.days.insert(*n);
        }
        Value::Date(d) => {
            uses.dates.insert(*d);
        }
        Value::Text(t) => {
            uses.texts.insert(t.to_string());
            all_texts.insert(t.to_string());
        }
        Value::List(items) => items.iter().for_each(|item| note(uses, item, all_texts)),
        Value::Bool(_) | Value::Enum(..) | Value::Months(_) => {}
    }
}

/// Records what each fact is compared with, and marks facts used otherwise.
fn collect(program: &Program, as_of: Date, expr: &Expr, uses: &mut [Uses], all_texts: &mut BTreeSet<String>) {
    let compared = |left: &Expr, right: &Expr, uses: &mut [Uses], all_texts: &mut BTreeSet<String>| -> bool {
        for (fact_side, other) in [(left, right), (right, left)] {
            let Some(value) = constant(program, as_of, other) else { continue };
            // `fact otherwise fallback` compared with a constant: whichever side is taken,
            // the comparison cuts each fact among them at the same threshold.
            let parts: Vec<&Expr> = match program.resolved(fact_side) {
                Expr::Otherwise(parts) => parts.iter().collect(),
                _ => vec![fact_side],
            };
            let mut facts = Vec::new();
            for part in parts {
                if constant(program, as_of, part).is_some() {
                    continue;
                }
                match shifted(program, as_of, part) {
                    Some(fact) => facts.push(fact),
                    None => {
                        facts.clear();
                        break;
                    }
                }
            }
            if facts.is_empty() {
                continue;
            }
            for (id, shift) in facts {
                if let Some(slot) = uses.get_mut(id.0 as usize) {
                    match solve(value.clone(), shift.as_ref()) {
                        Some(thresholds) => thresholds.iter().for_each(|threshold| note(slot, threshold, all_texts)),
                        None => slot.inexact = true,
                    }
                }
            }
            return true;
        }
        false
    };
    match expr {
        Expr::Is { left, right, .. } | Expr::Compare { left, right, .. } | Expr::In { left, right, .. } => {
            if !compared(left, right, uses, all_texts) {
                mark_facts(program, left, uses);
                mark_facts(program, right, uses);
            }
            if let Expr::Const(value) = left.as_ref() {
                all_texts_of(value, all_texts);
            }
            if let Expr::Const(value) = right.as_ref() {
                all_texts_of(value, all_texts);
            }
            // Membership of a constant in a list fact: the constant names an element.
            let membership = matches!(expr, Expr::In { .. });
            if let (Some(value), Expr::Fact(id)) = (constant(program, as_of, left), program.resolved(right))
                && let Some(slot) = uses.get_mut(id.0 as usize)
            {
                note(slot, &value, all_texts);
                if membership {
                    slot.element_tests.push(ElementTest::Values(vec![value]));
                }
            }
            // A list fact compared as a whole (`list is [a, b]`): its classes are a
            // sample. Emptiness (`list is []`) is known from the groups it holds.
            let empty = |expr: &Expr| matches!(expr, Expr::Const(Value::List(items)) if items.is_empty());
            let against_empty = matches!(expr, Expr::Is { .. }) && (empty(left) || empty(right));
            for side in [left, right] {
                if let Expr::Fact(id) = program.resolved(side)
                    && program.fact(*id).is_some_and(|def| matches!(def.ty, Type::List(_)))
                    && !(membership && std::ptr::eq(side.as_ref(), right.as_ref()))
                    && !against_empty
                    && let Some(slot) = uses.get_mut(id.0 as usize)
                {
                    slot.whole = true;
                }
            }
        }
        Expr::InTexts { left, texts, .. } => {
            if let Expr::Fact(id) = program.resolved(left)
                && let Some(slot) = uses.get_mut(id.0 as usize)
            {
                for text in texts.iter() {
                    slot.texts.insert(text.to_string());
                }
            }
            all_texts.extend(texts.iter().map(ToString::to_string));
            collect(program, as_of, left, uses, all_texts);
        }
        Expr::InEnums { left, .. } => collect(program, as_of, left, uses, all_texts),
        Expr::Quantified { list, body, .. } => {
            // The elements of a list fact are compared with what the body compares
            // the variable with.
            let mut element = Uses::default();
            elements(body, &mut element, all_texts);
            if let Expr::Fact(id) = program.resolved(list)
                && let Some(slot) = uses.get_mut(id.0 as usize)
            {
                slot.texts.extend(element.texts);
                slot.numbers.extend(element.numbers);
                let mut tests = Vec::new();
                if body_tests(body, &mut tests) {
                    slot.element_tests.extend(tests);
                } else {
                    slot.whole = true;
                }
            } else {
                collect(program, as_of, list, uses, all_texts);
            }
            collect(program, as_of, body, uses, all_texts);
        }
        Expr::Not(inner) => collect(program, as_of, inner, uses, all_texts),
        Expr::And(parts) | Expr::Or(parts) | Expr::Otherwise(parts) | Expr::List(parts) => {
            parts.iter().for_each(|part| collect(program, as_of, part, uses, all_texts));
        }
        Expr::Arith { .. } => mark_facts(program, expr, uses),
        Expr::Const(value) => all_texts_of(value, all_texts),
        Expr::Fact(_)
        | Expr::Var(_)
        | Expr::Outcome(_)
        | Expr::OutcomeKey(..)
        | Expr::Duty { .. }
        | Expr::Present { .. }
        | Expr::Term(_) => {}
    }
}

fn all_texts_of(value: &Value, all_texts: &mut BTreeSet<String>) {
    match value {
        Value::Text(text) => {
            all_texts.insert(text.to_string());
        }
        Value::List(items) => items.iter().for_each(|item| all_texts_of(item, all_texts)),
        _ => {}
    }
}

/// Constants a quantifier's body compares its variable with.
fn elements(body: &Expr, element: &mut Uses, all_texts: &mut BTreeSet<String>) {
    match body {
        Expr::Is { left, right, .. } | Expr::Compare { left, right, .. } | Expr::In { left, right, .. } => {
            for (var, other) in [(left, right), (right, left)] {
                if matches!(var.as_ref(), Expr::Var(0))
                    && let Expr::Const(value) = other.as_ref()
                {
                    note(element, value, all_texts);
                }
            }
        }
        Expr::InTexts { left, texts, .. } if matches!(left.as_ref(), Expr::Var(0)) => {
            element.texts.extend(texts.iter().map(ToString::to_string));
        }
        Expr::Not(inner) => elements(inner, element, all_texts),
        Expr::And(parts) | Expr::Or(parts) => parts.iter().for_each(|part| elements(part, element, all_texts)),
        _ => {}
    }
}

/// Marks every number, days or date fact in `expr` as used some other way.
fn mark_facts(program: &Program, expr: &Expr, uses: &mut [Uses]) {
    match expr {
        Expr::Fact(id) if *id != program.as_of => {
            if let Some(slot) = uses.get_mut(id.0 as usize) {
                slot.inexact = true;
            }
        }
        Expr::Arith { left, right, .. }
        | Expr::Is { left, right, .. }
        | Expr::Compare { left, right, .. }
        | Expr::In { left, right, .. } => {
            mark_facts(program, left, uses);
            mark_facts(program, right, uses);
        }
        Expr::Not(inner) | Expr::InEnums { left: inner, .. } | Expr::InTexts { left: inner, .. } => {
            mark_facts(program, inner, uses)
        }
        Expr::And(parts) | Expr::Or(parts) | Expr::Otherwise(parts) | Expr::List(parts) => {
            parts.iter().for_each(|part| mark_facts(program, part, uses));
        }
        Expr::Quantified { list, body, .. } => {
            mark_facts(program, list, uses);
            mark_facts(program, body, uses);
        }
        _ => {}
    }
}
