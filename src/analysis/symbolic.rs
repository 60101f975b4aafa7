//! A program evaluated for every request class at once.
//!
//! The evaluator's semantics, followed step by step over sets of request
//! classes ([`Space`]): a value is a list of `(set of classes, value)` pairs
//! with disjoint sets, and the classes in none of them are those where the
//! value is unknown. Each operation applies the evaluator's own operation on
//! values ([`Value::same`], [`Value::compare`], [`crate::value::arith`]) to
//! every pair of operand values, under the intersection of their sets. Rules
//! run in the checker's order; overrides, strengths, conflicts and duties are
//! resolved as `eval` resolves them.
//!
//! This is a second reading of the semantics, so nothing it finds is reported
//! on its word alone: every finding comes with a witness request that the real
//! evaluator is run on ([`super::analyze`]).

use std::collections::BTreeMap;
use std::rc::Rc;

use biodivine_lib_bdd::Bdd;
use jiff::civil::Date;

use super::space::Space;
use crate::ast::{CompareOp, DutyState, Strength};
use crate::check::{EffectKind, Expr, OutcomeId, OutcomeKind, Program};
use crate::eval::in_force;
use crate::value::{Value, arith};

/// A value over request classes: disjoint sets, each with its value.
pub type Sym = Vec<(Bdd, Value)>;

/// An expression the analysis cannot follow over classes, with why.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unsupported(pub String);

/// What rules concluded for one outcome: (rule, where, value).
pub type Candidates = Vec<(usize, Bdd, Value)>;

/// More pairs than this in one value: the expression is too large to follow.
const MAX_PAIRS: usize = 4096;

/// What a program concludes, for every request class, on one date.
pub struct Model {
    pub as_of: Date,
    /// Per rule: in force, block applies, every condition true.
    pub holds: Vec<Bdd>,
    /// Per rule: holds and no overriding rule fired.
    pub fired: Vec<Bdd>,
    /// Per single-valued outcome (by outcome index): what the strongest rules agree on.
    pub values: BTreeMap<usize, Vec<(Value, Bdd)>>,
    /// Per single-valued outcome: the classes where the strongest rules disagree.
    pub conflicts: BTreeMap<usize, Bdd>,
    /// Per single-valued outcome: every candidate `(rule, where it concluded, value)`.
    pub candidates: BTreeMap<usize, Vec<(usize, Bdd, Value)>>,
    /// Per named value of a `map of` outcome (outcome index, key): its candidates
    /// and where the strongest disagree.
    pub keyed: Vec<(usize, String, Candidates, Bdd)>,
    /// Per act: (rule, require?, where it fired).
    pub duties: Vec<Vec<(usize, bool, Bdd)>>,
    /// Per assertion: the classes that violate it.
    pub violations: Vec<Bdd>,
    /// Expressions that could not be followed; the model treats them as unknown.
    pub unsupported: Vec<Unsupported>,
}

/// One program's facts as classes of the space: per `FactId`, the space fact
/// and each class's value in this program's terms.
struct Facts {
    by_fact: Vec<Option<Rc<Sym>>>,
}

struct State<'a> {
    program: &'a Program,
    space: &'a Space,
    facts: Facts,
    terms: Vec<Option<Rc<Sym>>>,
    ones: Vec<Vec<(usize, Bdd, Value)>>,
    sets: Vec<Vec<(u32, Bdd)>>,
    maps: Vec<BTreeMap<String, Candidates>>,
    duties: Vec<Vec<(usize, bool, Bdd)>>,
    unsupported: Vec<Unsupported>,
    /// Reads of outcomes and duties, by what was read and how many conclusions
    /// there were then: many rules read the same outcome between two writes.
    reads: std::collections::HashMap<(u8, u32, usize), Rc<Sym>>,
}

/// Evaluates `program` on `as_of` for every request class of `space`.
pub fn model(program: &Program, space: &Space, as_of: Date) -> Model {
    let outcome_count = program.outcomes.len();
    let acts = program.acts().map_or(0, |id| program.enum_values(id).len());
    let mut state = State {
        program,
        space,
        facts: facts(program, space, as_of),
        terms: vec![None; program.terms.len()],
        ones: vec![Vec::new(); outcome_count],
        sets: vec![Vec::new(); outcome_count],
        maps: vec![BTreeMap::new(); outcome_count],
        duties: vec![Vec::new(); acts],
        unsupported: Vec::new(),
        reads: std::collections::HashMap::new(),
    };
    let none = space.vars.mk_false();
    let all = space.vars.mk_true();
    let mut env = Vec::new();
    let blocks: Vec<Bdd> = program
        .blocks
        .iter()
        .map(|block| {
            if !in_force(as_of, block.from, block.until) {
                return none.clone();
            }
            match &block.applies {
                Some(applies) => state.truth(&applies.expr, &mut env, true),
                None => all.clone(),
            }
        })
        .collect();
    let mut holds = vec![none.clone(); program.rules.len()];
    let mut fired = vec![none.clone(); program.rules.len()];
    for &index in &program.order {
        let Some(rule) = program.rules.get(index) else { continue };
        if !in_force(as_of, rule.from, rule.until) {
            continue;
        }
        let mut region = match rule.block {
            Some(block) => blocks.get(block).cloned().unwrap_or_else(|| none.clone()),
            None => all.clone(),
        };
        for when in &rule.when {
            if region.is_false() {
                break;
            }
            region = region.and(&state.truth(&when.expr, &mut env, true));
        }
        let overridden =
            rule.overridden_by.iter().filter_map(|by| fired.get(*by)).fold(none.clone(), |acc, by| acc.or(by));
        let fires = region.and_not(&overridden);
        if let Some(slot) = holds.get_mut(index) {
            *slot = region;
        }
        if !fires.is_false() {
            state.conclude(index, &fires, &mut env);
        }
        if let Some(slot) = fired.get_mut(index) {
            *slot = fires;
        }
    }
    let violations = program
        .assertions
        .iter()
        .map(|assertion| {
            let mut region = all.clone();
            for when in &assertion.when {
                region = region.and(&state.truth(&when.expr, &mut env, true));
            }
            region.and(&state.truth(&assertion.claim.expr, &mut env, !assertion.always))
        })
        .collect();
    let mut values = BTreeMap::new();
    let mut conflicts = BTreeMap::new();
    let mut candidates = BTreeMap::new();
    for (index, def) in program.outcomes.iter().enumerate() {
        if let OutcomeKind::One(_) = def.kind {
            let written = state.ones.get(index).cloned().unwrap_or_default();
            let (agreed, conflict) = state.resolve(&written);
            values.insert(index, agreed);
            conflicts.insert(index, conflict);
            candidates.insert(index, written);
        }
    }
    let mut keyed = Vec::new();
    for (index, map) in state.maps.iter().enumerate() {
        for (key, written) in map {
            let (_, conflict) = state.resolve(written);
            keyed.push((index, key.clone(), written.clone(), conflict));
        }
    }
    let mut unsupported = state.unsupported;
    unsupported.sort();
    unsupported.dedup();
    Model { as_of, holds, fired, values, conflicts, candidates, keyed, duties: state.duties, violations, unsupported }
}

/// Each fact of `program` as a value over the classes of `space`.
fn facts(program: &Program, space: &Space, as_of: Date) -> Facts {
    let by_fact = program
        .facts
        .iter()
        .enumerate()
        .map(|(index, def)| {
            if crate::check::FactId(index as u32) == program.as_of {
                return Some(Rc::new(vec![(space.vars.mk_true(), Value::Date(as_of))]));
            }
            let fact = space.index_of(&def.path)?;
            let classes = space.facts.get(fact)?;
            let sym: Sym = classes
                .values
                .iter()
                .enumerate()
                .filter_map(|(class, value)| {
                    let value = translate(value.as_ref()?, space, program, def.ty)?;
                    Some((space.class(fact, class), value))
                })
                .collect();
            Some(Rc::new(sym))
        })
        .collect();
    Facts { by_fact }
}

/// A class value (in the first program's enumerations) in `program`'s terms:
/// enumeration values by name. `None` when the program has no such value.
fn translate(value: &Value, space: &Space, program: &Program, ty: crate::value::Type) -> Option<Value> {
    use crate::value::{Scalar, Type};
    let element = match ty {
        Type::List(scalar) => scalar,
        Type::Enum(id) => Scalar::Enum(id),
        _ => return Some(value.clone()),
    };
    match (value, element) {
        (Value::Enum(from, index), Scalar::Enum(to)) => {
            let name = space.enum_value_name(*from, *index)?;
            let position = program.enum_values(to).iter().position(|value| value == name)?;
            Some(Value::Enum(to, position as u32))
        }
        (Value::List(items), _) => {
            let items: Option<Vec<Value>> =
                items.iter().map(|item| translate(item, space, program, element.ty())).collect();
            Some(Value::List(items?.into()))
        }
        (other, _) => Some(other.clone()),
    }
}

/// Adds `value` under `set` to a value over classes, merging equal values.
fn push(sym: &mut Sym, set: Bdd, value: Value) {
    if set.is_false() {
        return;
    }
    match sym.iter_mut().find(|(_, existing)| existing.same(&value)) {
        Some((existing, _)) => *existing = existing.or(&set),
        None => sym.push((set, value)),
    }
}

impl State<'_> {
    fn value(&mut self, expr: &Expr, env: &mut Vec<Value>) -> Rc<Sym> {
        let all = || self.space.vars.mk_true();
        let sym: Sym = match expr {
            Expr::Const(value) => vec![(all(), value.clone())],
            Expr::Fact(id) => {
                return self.facts.by_fact.get(id.0 as usize).cloned().flatten().unwrap_or_default();
            }
            Expr::Var(depth) => match env.len().checked_sub(depth + 1).and_then(|index| env.get(index)) {
                Some(value) => vec![(all(), value.clone())],
                None => Vec::new(),
            },
            Expr::Outcome(id) => {
                let key = (0, id.0, self.ones.get(id.0 as usize).map_or(0, Vec::len));
                if let Some(known) = self.reads.get(&key) {
                    return known.clone();
                }
                let read = Rc::new(self.read_outcome(*id));
                self.reads.insert(key, read.clone());
                return read;
            }
            Expr::OutcomeKey(id, key) => {
                let written =
                    self.maps.get(id.0 as usize).and_then(|map| map.get(key.as_ref())).cloned().unwrap_or_default();
                self.resolve(&written).0.into_iter().map(|(value, set)| (set, value)).collect()
            }
            Expr::Duty { act, state, negated } => {
                let key = (
                    1 + *state as u8 * 2 + u8::from(*negated),
                    *act,
                    self.duties.get(*act as usize).map_or(0, Vec::len),
                );
                if let Some(known) = self.reads.get(&key) {
                    return known.clone();
                }
                let (required, forbidden, conflicted) = self.duty(*act);
                let holds = match state {
                    DutyState::Required => required.and_not(&conflicted),
                    DutyState::Forbidden => forbidden.and_not(&conflicted),
                    DutyState::Conflicted => conflicted,
                };
                let mut sym = Vec::new();
                push(&mut sym, holds.not(), Value::Bool(*negated));
                push(&mut sym, holds, Value::Bool(!*negated));
                let read = Rc::new(sym);
                self.reads.insert(key, read.clone());
                return read;
            }
            Expr::Not(inner) => {
                let inner = self.value(inner, env);
                inner
                    .iter()
                    .filter_map(|(set, value)| match value {
                        Value::Bool(b) => Some((set.clone(), Value::Bool(!b))),
                        _ => None,
                    })
                    .collect()
            }
            Expr::And(parts) | Expr::Or(parts) => {
                let and = matches!(expr, Expr::And(_));
                // Kleene: the deciding value wins wherever any part has it; the
                // other value needs every part to have it.
                let mut deciding = self.space.vars.mk_false();
                let mut other = self.space.vars.mk_true();
                for part in parts {
                    let part = self.value(part, env);
                    let (mut is_deciding, mut is_other) = (self.space.vars.mk_false(), self.space.vars.mk_false());
                    for (set, value) in part.iter() {
                        match value {
                            Value::Bool(b) if *b != and => is_deciding = is_deciding.or(set),
                            Value::Bool(_) => is_other = is_other.or(set),
                            _ => {}
                        }
                    }
                    deciding = deciding.or(&is_deciding);
                    other = other.and(&is_other);
                }
                let mut sym = Vec::new();
                push(&mut sym, deciding.clone(), Value::Bool(!and));
                push(&mut sym, other.and_not(&deciding), Value::Bool(and));
                sym
            }
            Expr::Is { left, right, negated } => {
                let (left, right) = (self.value(left, env), self.value(right, env));
                self.equality(&left, &right, *negated)
            }
            Expr::In { left, right, negated } => {
                if let Expr::Outcome(id) = right.as_ref()
                    && matches!(self.program.outcome(*id).map(|def| def.kind), Some(OutcomeKind::Set(_)))
                {
                    self.in_set(left, *id, *negated, env)
                } else {
                    let negated = *negated;
                    self.binary(left, right, env, |needle, list| match list {
                        Value::List(items) => Some(Value::Bool(items.iter().any(|item| item.same(needle)) != negated)),
                        _ => None,
                    })
                }
            }
            Expr::Compare { left, op, right } => {
                let op = *op;
                self.binary(left, right, env, |a, b| {
                    let ordering = a.compare(b)?;
                    Some(Value::Bool(match op {
                        CompareOp::Lt => ordering.is_lt(),
                        CompareOp::Le => ordering.is_le(),
                        CompareOp::Gt => ordering.is_gt(),
                        CompareOp::Ge => ordering.is_ge(),
                    }))
                })
            }
            Expr::Present { fact, present } => {
                let known = self.facts.by_fact.get(fact.0 as usize).cloned().flatten().unwrap_or_default();
                let given = known.iter().fold(self.space.vars.mk_false(), |acc, (set, _)| acc.or(set));
                let mut sym = Vec::new();
                push(&mut sym, given.not(), Value::Bool(!*present));
                push(&mut sym, given, Value::Bool(*present));
                sym
            }
            Expr::Arith { left, kind, right } => {
                let kind = *kind;
                // Out of range is an evaluation error, never a value: unknown here,
                // and a witness through it would be refused by the evaluator's check.
                self.binary(left, right, env, |a, b| arith(a, kind, b).ok())
            }
            Expr::Otherwise(parts) => {
                let mut sym = Vec::new();
                let mut known = self.space.vars.mk_false();
                for part in parts {
                    let part = self.value(part, env);
                    for (set, value) in part.iter() {
                        let fresh = set.and_not(&known);
                        push(&mut sym, fresh, value.clone());
                    }
                    known = part.iter().fold(known, |acc, (set, _)| acc.or(set));
                }
                sym
            }
            Expr::Term(index) => {
                if let Some(Some(known)) = self.terms.get(*index) {
                    return known.clone();
                }
                let Some(body) = self.program.terms.get(*index) else { return Rc::default() };
                let value = self.value(body, env);
                if let Some(slot) = self.terms.get_mut(*index) {
                    *slot = Some(value.clone());
                }
                return value;
            }
            Expr::InEnums { left, members, negated } => {
                let left = self.value(left, env);
                let mut sym = Vec::new();
                for (set, value) in left.iter() {
                    if let Value::Enum(_, index) = value {
                        let member = members.get(*index as usize).copied().unwrap_or(false);
                        push(&mut sym, set.clone(), Value::Bool(member != *negated));
                    }
                }
                sym
            }
            Expr::InTexts { left, texts, negated } => {
                let left = self.value(left, env);
                let mut sym = Vec::new();
                for (set, value) in left.iter() {
                    if let Value::Text(text) = value {
                        let found = texts.binary_search_by(|probe| probe.as_ref().cmp(text.as_ref())).is_ok();
                        push(&mut sym, set.clone(), Value::Bool(found != *negated));
                    }
                }
                sym
            }
            Expr::Quantified { all: every, list, body } => {
                let list = self.value(list, env);
                let mut sym = Vec::new();
                for (set, value) in list.iter() {
                    let Value::List(items) = value else { continue };
                    // Kleene over the items, as the evaluator: the deciding value
                    // anywhere wins; the other needs every item.
                    let mut deciding = self.space.vars.mk_false();
                    let mut other = set.clone();
                    for item in items.iter() {
                        env.push(item.clone());
                        let holds = self.value(body, env);
                        env.pop();
                        let (mut is_deciding, mut is_other) = (self.space.vars.mk_false(), self.space.vars.mk_false());
                        for (part, value) in holds.iter() {
                            match value {
                                Value::Bool(b) if *b != *every => is_deciding = is_deciding.or(part),
                                Value::Bool(_) => is_other = is_other.or(part),
                                _ => {}
                            }
                        }
                        deciding = deciding.or(&is_deciding.and(set));
                        other = other.and(&is_other);
                    }
                    push(&mut sym, deciding.clone(), Value::Bool(!*every));
                    push(&mut sym, other.and_not(&deciding), Value::Bool(*every));
                }
                sym
            }
            Expr::List(items) => {
                let mut partial: Sym = vec![(all(), Value::List(Vec::new().into()))];
                for item in items {
                    let item = self.value(item, env);
                    let mut next = Vec::new();
                    for (set, list) in &partial {
                        for (item_set, value) in item.iter() {
                            let both = set.and(item_set);
                            if both.is_false() {
                                continue;
                            }
                            let Value::List(existing) = list else { continue };
                            let mut grown = existing.to_vec();
                            grown.push(value.clone());
                            push(&mut next, both, Value::List(grown.into()));
                        }
                    }
                    if next.len() > MAX_PAIRS {
                        self.unsupported.push(Unsupported(String::from("a list written from too many facts")));
                        return Rc::default();
                    }
                    partial = next;
                }
                partial
            }
        };
        Rc::new(sym)
    }

    /// The regions where a condition is `wanted` (true, or false).
    fn truth(&mut self, expr: &Expr, env: &mut Vec<Value>, wanted: bool) -> Bdd {
        let value = self.value(expr, env);
        value
            .iter()
            .filter(|(_, value)| matches!(value, Value::Bool(b) if *b == wanted))
            .fold(self.space.vars.mk_false(), |acc, (set, _)| acc.or(set))
    }

    /// Applies `op` to every pair of operand values where both are known.
    fn binary(
        &mut self,
        left: &Expr,
        right: &Expr,
        env: &mut Vec<Value>,
        op: impl Fn(&Value, &Value) -> Option<Value>,
    ) -> Sym {
        let left = self.value(left, env);
        let right = self.value(right, env);
        if left.len().saturating_mul(right.len()) > MAX_PAIRS * 4 {
            self.unsupported.push(Unsupported(String::from("a comparison of two facts with very many classes")));
            return Vec::new();
        }
        let mut sym = Vec::new();
        for (left_set, a) in left.iter() {
            for (right_set, b) in right.iter() {
                let Some(result) = op(a, b) else { continue };
                let both = left_set.and(right_set);
                push(&mut sym, both, result);
            }
        }
        sym
    }

    /// `a is b`: true where both sides hold the same value, false where both are known and
    /// differ. One conjunction per value of `a` (the values of a side are distinct), so two
    /// facts with hundreds of classes each (countries) compare in linear time.
    fn equality(&mut self, left: &Sym, right: &Sym, negated: bool) -> Sym {
        let none = self.space.vars.mk_false();
        let right_known = right.iter().fold(none.clone(), |acc, (set, _)| acc.or(set));
        let mut left_known = none.clone();
        let mut equal = none;
        for (left_set, a) in left {
            left_known = left_known.or(left_set);
            if let Some((right_set, _)) = right.iter().find(|(_, b)| b.same(a)) {
                equal = equal.or(&left_set.and(right_set));
            }
        }
        let differ = left_known.and(&right_known).and_not(&equal);
        let mut sym = Vec::new();
        push(&mut sym, equal, Value::Bool(!negated));
        push(&mut sym, differ, Value::Bool(negated));
        sym
    }

    /// `x in <set outcome>`: true where a rule so far added x.
    fn in_set(&mut self, left: &Expr, id: OutcomeId, negated: bool, env: &mut Vec<Value>) -> Sym {
        let left = self.value(left, env);
        let members = self.sets.get(id.0 as usize).cloned().unwrap_or_default();
        let mut sym = Vec::new();
        for (set, value) in left.iter() {
            let Value::Enum(_, member) = value else { continue };
            let added = members
                .iter()
                .filter(|(added, _)| added == member)
                .fold(self.space.vars.mk_false(), |acc, (_, region)| acc.or(region));
            push(&mut sym, set.and(&added), Value::Bool(!negated));
            push(&mut sym, set.and_not(&added), Value::Bool(negated));
        }
        sym
    }

    fn read_outcome(&mut self, id: OutcomeId) -> Sym {
        match self.program.outcome(id).map(|def| def.kind) {
            Some(OutcomeKind::One(_)) => {
                let written = self.ones.get(id.0 as usize).cloned().unwrap_or_default();
                self.resolve(&written).0.into_iter().map(|(value, set)| (set, value)).collect()
            }
            Some(OutcomeKind::Set(_)) => {
                let name = self.program.outcome(id).map(|def| def.name.clone()).unwrap_or_default();
                self.unsupported
                    .push(Unsupported(format!("the set `{name}` read as a whole (only `x in {name}` is followed)")));
                Vec::new()
            }
            // The evaluator reads other kinds as unknown.
            _ => Vec::new(),
        }
    }

    fn strength(&self, rule: usize) -> Strength {
        self.program.rules.get(rule).map_or(Strength::Soft, |def| def.strength)
    }

    /// What the strongest candidates agree on, value by value, and where they
    /// disagree: the evaluator's `resolve`.
    fn resolve(&self, written: &[(usize, Bdd, Value)]) -> (Vec<(Value, Bdd)>, Bdd) {
        let none = self.space.vars.mk_false();
        let mut agreed: Vec<(Value, Bdd)> = Vec::new();
        let mut conflict = none.clone();
        // Classes where a stronger level already has a candidate.
        let mut above = none.clone();
        for strength in [Strength::Law, Strength::Contract, Strength::Soft] {
            let mut by_value: Vec<(Value, Bdd)> = Vec::new();
            for (rule, set, value) in written {
                if self.strength(*rule) != strength {
                    continue;
                }
                match by_value.iter_mut().find(|(existing, _)| existing.same(value)) {
                    Some((_, region)) => *region = region.or(set),
                    None => by_value.push((value.clone(), set.clone())),
                }
            }
            if by_value.is_empty() {
                continue;
            }
            let here = by_value.iter().fold(none.clone(), |acc, (_, set)| acc.or(set)).and_not(&above);
            for (position, (value, set)) in by_value.iter().enumerate() {
                let others = by_value
                    .iter()
                    .enumerate()
                    .filter(|(other, _)| *other != position)
                    .fold(none.clone(), |acc, (_, (_, set))| acc.or(set));
                let only = set.and_not(&others).and_not(&above);
                match agreed.iter_mut().find(|(existing, _)| existing.same(value)) {
                    Some((_, region)) => *region = region.or(&only),
                    None => agreed.push((value.clone(), only)),
                }
            }
            let settled = agreed.iter().fold(none.clone(), |acc, (_, set)| acc.or(set));
            conflict = conflict.or(&here.and_not(&settled));
            above = above.or(&here);
        }
        agreed.retain(|(_, set)| !set.is_false());
        (agreed, conflict)
    }

    /// Where an act is required, forbidden and both, at the strongest level that speaks of it.
    fn duty(&self, act: u32) -> (Bdd, Bdd, Bdd) {
        let none = self.space.vars.mk_false();
        let entries = self.duties.get(act as usize).map_or(&[][..], Vec::as_slice);
        duty_regions(entries, |rule| self.strength(rule), &none)
    }

    fn conclude(&mut self, rule: usize, fires: &Bdd, env: &mut Vec<Value>) {
        let Some(def) = self.program.rules.get(rule) else { return };
        for effect in &def.then {
            match &effect.kind {
                EffectKind::SetOne { outcome, value } => {
                    let value = self.value(value, env);
                    for (set, value) in value.iter() {
                        let region = set.and(fires);
                        if !region.is_false()
                            && let Some(ones) = self.ones.get_mut(outcome.0 as usize)
                        {
                            ones.push((rule, region, value.clone()));
                        }
                    }
                }
                EffectKind::SetKey { outcome, key, value } => {
                    let value = self.value(value, env);
                    for (set, value) in value.iter() {
                        let region = set.and(fires);
                        if !region.is_false()
                            && let Some(map) = self.maps.get_mut(outcome.0 as usize)
                        {
                            map.entry(key.clone()).or_default().push((rule, region, value.clone()));
                        }
                    }
                }
                EffectKind::Add { outcome, values } => {
                    for value in values {
                        let value = self.value(value, env);
                        for (set, value) in value.iter() {
                            let Value::Enum(_, member) = value else { continue };
                            let region = set.and(fires);
                            if !region.is_false()
                                && let Some(members) = self.sets.get_mut(outcome.0 as usize)
                            {
                                members.push((*member, region));
                            }
                        }
                    }
                }
                EffectKind::Require(act) | EffectKind::Forbid(act) => {
                    let required = matches!(effect.kind, EffectKind::Require(_));
                    if let Some(duties) = self.duties.get_mut(*act as usize) {
                        duties.push((rule, required, fires.clone()));
                    }
                }
            }
        }
    }
}

/// Required, forbidden and conflicted regions of one act from its entries.
pub fn duty_regions(
    entries: &[(usize, bool, Bdd)],
    strength: impl Fn(usize) -> Strength,
    none: &Bdd,
) -> (Bdd, Bdd, Bdd) {
    let (mut required, mut forbidden) = (none.clone(), none.clone());
    let mut above = none.clone();
    for level in [Strength::Law, Strength::Contract, Strength::Soft] {
        let (mut require_here, mut forbid_here) = (none.clone(), none.clone());
        for (rule, require, set) in entries {
            if strength(*rule) != level {
                continue;
            }
            if *require {
                require_here = require_here.or(set);
            } else {
                forbid_here = forbid_here.or(set);
            }
        }
        required = required.or(&require_here.and_not(&above));
        forbidden = forbidden.or(&forbid_here.and_not(&above));
        above = above.or(&require_here).or(&forbid_here);
    }
    let conflicted = required.and(&forbidden);
    (required, forbidden, conflicted)
}
