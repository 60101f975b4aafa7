//! The space of request classes as Boolean variables.
//!
//! Every fact a program reads gets the classes of its [`Domain`] (plus
//! *absent* when it is optional without a default, plus its default when that
//! is no class's representative), numbered and written in binary over a few
//! BDD variables. One assignment of all variables that is *valid* (every
//! number names a class) is one request class. A set of request classes is a
//! [`Bdd`]; counting and emptiness are BDD operations, and a witness and a
//! description are read off the paths of the BDD.
//!
//! A space can hold the facts of several programs (by dotted path) and cut
//! them for several dates, so that two rule sets, or one rule set on two days,
//! are compared class by class.

use biodivine_lib_bdd::{Bdd, BddPartialValuation, BddVariable, BddVariableSet};
use jiff::civil::Date;
use serde_json::Value as Json;

use super::domain::{Domain, domains_by_path};
use crate::check::{Expr, FactId, Program};
use crate::value::{Type, Value};

/// One fact's classes.
#[derive(Clone, Debug)]
pub struct FactClasses {
    pub path: String,
    /// The representative of each class; `None` is absent.
    pub values: Vec<Option<Value>>,
    /// Each class in words.
    pub labels: Vec<String>,
    /// The class a request gets by leaving the fact out (absent or the default).
    pub omitted: Option<usize>,
    /// Whether the classes are exactly the ones the rules tell apart.
    pub exact: bool,
    bits: Vec<BddVariable>,
    /// The set of requests in each class.
    class_sets: Vec<Bdd>,
}

/// One part of a region: for each fact it constrains, the classes it allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alternative {
    pub allowed: Vec<(usize, Vec<usize>)>,
}

/// The request classes of one or more programs.
pub struct Space {
    pub vars: BddVariableSet,
    pub facts: Vec<FactClasses>,
    /// Every assignment that names a class of every fact.
    pub valid: Bdd,
    /// The enumerations the class values are written in (the first program's).
    enums: Vec<crate::check::EnumDef>,
    as_of_path: String,
}

/// The most classes a fact may have (a list of six enumeration values has 64).
const MAX_CLASSES: usize = 1 << 12;

impl Space {
    /// The classes of the facts `programs` read, cut for every date in `dates`.
    pub fn new(programs: &[&Program], dates: &[Date]) -> Space {
        let read: Vec<Vec<bool>> = programs.iter().map(|program| facts_read(program)).collect();
        let first = programs.first();
        let domains = domains_by_path(programs, dates);
        let mut facts = Vec::new();
        let mut bit_count = 0usize;
        for (path, domain) in domains {
            // The fact as the programs declare it: read by any, optional, default.
            let mut is_read = false;
            let mut optional = false;
            let mut default = None;
            let mut is_as_of = false;
            for (program, read) in programs.iter().zip(&read) {
                if let Some(index) = program.facts.iter().position(|fact| fact.path == path) {
                    is_read |= read.get(index).copied().unwrap_or(false);
                    let def = &program.facts[index];
                    optional |= def.optional && def.default.is_none();
                    if default.is_none() {
                        default.clone_from(&def.default);
                    }
                    is_as_of |= FactId(index as u32) == program.as_of;
                }
            }
            if is_as_of {
                continue;
            }
            let Domain { values, labels, exact } = domain;
            let (mut classes, mut words): (Vec<Option<Value>>, Vec<String>) = if is_read {
                (values.into_iter().map(Some).collect(), labels)
            } else {
                // Read by no rule: one class, the fact left out where it may be.
                (Vec::new(), Vec::new())
            };
            classes.truncate(MAX_CLASSES);
            words.truncate(MAX_CLASSES);
            let mut omitted = None;
            if let Some(default) = &default {
                match classes.iter().position(|class| class.as_ref().is_some_and(|value| value.same(default))) {
                    Some(index) => omitted = Some(index),
                    None => {
                        omitted = Some(classes.len());
                        classes.push(Some(default.clone()));
                        words.push(shown_with(first.map(|program| program.enums.as_slice()), default));
                    }
                }
            } else if optional {
                omitted = Some(classes.len());
                classes.push(None);
                words.push(String::from("absent"));
            } else if classes.is_empty() {
                // Required and read by no rule: any value will do.
                if let Some(value) = values_of_type(programs, &path, dates.first().copied().unwrap_or_default()) {
                    words.push(shown_with(first.map(|program| program.enums.as_slice()), &value));
                    classes.push(Some(value));
                }
            }
            let width = bits_for(classes.len());
            let bits = (bit_count..bit_count + width).collect();
            bit_count += width;
            facts.push((path, classes, words, omitted, exact || !is_read, bits));
        }
        let vars = BddVariableSet::new_anonymous(u16::try_from(bit_count).unwrap_or(u16::MAX));
        let all = vars.variables();
        let mut valid = vars.mk_true();
        let facts: Vec<FactClasses> = facts
            .into_iter()
            .map(|(path, values, labels, omitted, exact, bits): (_, _, _, _, _, Vec<usize>)| {
                let bits: Vec<BddVariable> = bits.into_iter().filter_map(|bit| all.get(bit).copied()).collect();
                let class_sets: Vec<Bdd> = (0..values.len()).map(|class| number(&vars, &bits, class)).collect();
                let any = class_sets.iter().fold(vars.mk_false(), |acc, set| acc.or(set));
                valid = valid.and(&any);
                FactClasses { path, values, labels, omitted, exact, bits, class_sets }
            })
            .collect();
        let enums = first.map(|program| program.enums.clone()).unwrap_or_default();
        let as_of_path = first
            .and_then(|program| program.fact(program.as_of))
            .map_or_else(|| String::from("as_of"), |def| def.path.clone());
        Space { vars, facts, valid, enums, as_of_path }
    }

    /// The requests whose fact `fact` is in class `class`.
    pub fn class(&self, fact: usize, class: usize) -> Bdd {
        self.facts
            .get(fact)
            .and_then(|classes| classes.class_sets.get(class))
            .cloned()
            .unwrap_or_else(|| self.vars.mk_false())
    }

    /// The name of an enumeration value of the first program.
    pub fn enum_value_name(&self, id: crate::value::EnumId, index: u32) -> Option<&str> {
        self.enums.get(id.0 as usize)?.values.get(index as usize).map(String::as_str)
    }

    pub fn index_of(&self, path: &str) -> Option<usize> {
        self.facts.iter().position(|fact| fact.path == path)
    }

    /// The number of request classes in `set` (within the valid ones).
    pub fn count(&self, set: &Bdd) -> String {
        set.and(&self.valid).exact_cardinality().to_string()
    }

    /// A witness as the facts JSON of a request on `as_of`: facts left out
    /// are not written.
    pub fn witness_json(&self, classes: &[usize], as_of: Date) -> Json {
        self.request_json(classes, as_of, true)
    }

    /// [`Space::witness_json`] with every fact written, also those whose class
    /// is the one of leaving them out (their default).
    pub fn witness_json_complete(&self, classes: &[usize], as_of: Date) -> Json {
        self.request_json(classes, as_of, false)
    }

    fn request_json(&self, classes: &[usize], as_of: Date, leave_out: bool) -> Json {
        let mut root = serde_json::Map::new();
        root.insert(self.as_of_path.clone(), Json::String(as_of.to_string()));
        for (fact, class) in self.facts.iter().zip(classes) {
            if leave_out && fact.omitted == Some(*class) {
                continue;
            }
            let Some(Some(value)) = fact.values.get(*class) else { continue };
            insert_path(&mut root, &fact.path, crate::value::to_json(value, &self.enums));
        }
        Json::Object(root)
    }

    /// Up to `limit` disjoint parts of a region: paths of its BDD, each a
    /// conjunction of bits, read as the classes it allows each fact it
    /// constrains. Every request that completes a path is in the region, so a
    /// part is described and given a witness without further BDD operations.
    pub fn alternatives(&self, set: &Bdd, limit: usize) -> Vec<Alternative> {
        set.sat_clauses().filter_map(|clause| self.alternative(&clause)).take(limit).collect()
    }

    /// A path as allowed classes; `None` when some fact has no valid class on it.
    fn alternative(&self, clause: &BddPartialValuation) -> Option<Alternative> {
        let mut allowed = Vec::new();
        for (index, fact) in self.facts.iter().enumerate() {
            if !fact.bits.iter().any(|bit| clause.has_value(*bit)) {
                continue;
            }
            let width = fact.bits.len();
            let classes: Vec<usize> = (0..fact.values.len())
                .filter(|class| {
                    fact.bits.iter().enumerate().all(|(position, bit)| {
                        clause.get_value(*bit).is_none_or(|set| ((class >> (width - 1 - position)) & 1 == 1) == set)
                    })
                })
                .collect();
            if classes.is_empty() {
                return None;
            }
            allowed.push((index, classes));
        }
        Some(Alternative { allowed })
    }

    /// One request of an alternative, as plain as possible: every fact that can
    /// be left out (absent, or its default) is left out, the others take their
    /// first allowed class.
    pub fn witness(&self, alternative: &Alternative) -> Vec<usize> {
        self.facts
            .iter()
            .enumerate()
            .map(|(index, fact)| match alternative.allowed.iter().find(|(constrained, _)| *constrained == index) {
                Some((_, classes)) => match fact.omitted.filter(|omitted| classes.contains(omitted)) {
                    Some(omitted) => omitted,
                    None => classes.first().copied().unwrap_or(0),
                },
                None => fact.omitted.unwrap_or(0),
            })
            .collect()
    }

    /// An alternative in words: the facts it constrains and their classes.
    pub fn describe_alternative(&self, alternative: &Alternative) -> String {
        let parts: Vec<String> = alternative
            .allowed
            .iter()
            .filter(|(fact, classes)| self.facts.get(*fact).is_some_and(|def| classes.len() < def.values.len()))
            .map(|(fact, classes)| self.allowed_text(*fact, classes))
            .collect();
        if parts.is_empty() { String::from("any request") } else { parts.join(" and ") }
    }

    fn allowed_text(&self, fact: usize, allowed: &[usize]) -> String {
        let Some(classes) = self.facts.get(fact) else { return String::new() };
        let mut words: Vec<&str> =
            allowed.iter().filter_map(|class| classes.labels.get(*class)).map(String::as_str).collect();
        let mut excluded: Vec<&str> = (0..classes.values.len())
            .filter(|class| !allowed.contains(class))
            .filter_map(|class| classes.labels.get(class))
            .map(String::as_str)
            .collect();
        // Two classes of other texts read the same: say it once.
        words.dedup();
        excluded.dedup();
        match (words.as_slice(), excluded.as_slice()) {
            ([one], _) => format!("{} is {one}", classes.path),
            (_, [one]) => format!("{} is not {one}", classes.path),
            _ if excluded.len() < words.len() => format!("{} is none of {}", classes.path, excluded.join(", ")),
            _ => format!("{} is one of {}", classes.path, words.join(", ")),
        }
    }
}

/// The BDD of "these bits spell `number`".
fn number(vars: &BddVariableSet, bits: &[BddVariable], number: usize) -> Bdd {
    let width = bits.len();
    bits.iter().enumerate().fold(vars.mk_true(), |acc, (position, bit)| {
        let set = (number >> (width - 1 - position)) & 1 == 1;
        acc.and(&vars.mk_literal(*bit, set))
    })
}

fn bits_for(classes: usize) -> usize {
    let mut width = 0;
    while (1usize << width) < classes {
        width += 1;
    }
    width
}

fn shown_with(enums: Option<&[crate::check::EnumDef]>, value: &Value) -> String {
    crate::value::Shown { value, enums: enums.unwrap_or(&[]) }.to_string()
}

/// A value of a required fact that no rule reads.
fn values_of_type(programs: &[&Program], path: &str, anchor: Date) -> Option<Value> {
    let program = programs.iter().find(|program| program.facts.iter().any(|fact| fact.path == path))?;
    let def = program.facts.iter().find(|fact| fact.path == path)?;
    Some(match def.ty {
        Type::Bool => Value::Bool(false),
        Type::Number => Value::Number(rust_decimal::Decimal::ZERO),
        Type::Text => Value::Text(super::domain::OTHER_TEXT.into()),
        Type::Date => Value::Date(anchor),
        Type::Days => Value::Days(0),
        Type::Enum(id) => Value::Enum(id, 0),
        Type::List(_) => Value::List(Vec::new().into()),
        Type::Months => Value::Months(0),
    })
}

fn insert_path(root: &mut serde_json::Map<String, Json>, path: &str, value: Json) {
    match path.split_once('.') {
        None => {
            root.insert(path.to_string(), value);
        }
        Some((head, rest)) => {
            let entry = root.entry(head.to_string()).or_insert_with(|| Json::Object(serde_json::Map::new()));
            if let Json::Object(inner) = entry {
                insert_path(inner, rest, value);
            }
        }
    }
}

/// Which facts a program reads anywhere (rules, blocks, terms, assertions).
fn facts_read(program: &Program) -> Vec<bool> {
    let mut read = vec![false; program.facts.len()];
    program.for_each_expr(|expr| mark(expr, &mut read));
    read
}

fn mark(expr: &Expr, read: &mut [bool]) {
    match expr {
        Expr::Fact(id) | Expr::Present { fact: id, .. } => {
            if let Some(slot) = read.get_mut(id.0 as usize) {
                *slot = true;
            }
        }
        Expr::Arith { left, right, .. }
        | Expr::Is { left, right, .. }
        | Expr::Compare { left, right, .. }
        | Expr::In { left, right, .. } => {
            mark(left, read);
            mark(right, read);
        }
        Expr::Not(inner) | Expr::InEnums { left: inner, .. } | Expr::InTexts { left: inner, .. } => mark(inner, read),
        Expr::And(parts) | Expr::Or(parts) | Expr::Otherwise(parts) | Expr::List(parts) => {
            parts.iter().for_each(|part| mark(part, read));
        }
        Expr::Quantified { list, body, .. } => {
            mark(list, read);
            mark(body, read);
        }
        Expr::Const(_) | Expr::Var(_) | Expr::Outcome(_) | Expr::OutcomeKey(..) | Expr::Duty { .. } | Expr::Term(_) => {
        }
    }
}
