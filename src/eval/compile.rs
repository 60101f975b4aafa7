//! Conditions compiled to flat code: the tests of facts, outcomes and duties
//! against constants or against each other (a value may be read as the first
//! known of several, `a otherwise b`) that most rule conditions, terms and
//! `applies when` are made of, laid out in one array in prefix order, each
//! combinator followed by its parts and knowing where they end. A conjunction
//! stops at its first false part and a disjunction at its first true one,
//! skipping the rest (a term nobody needs is not computed); three-valued
//! truths, no stack, no expression tree walked, no fact cloned.
//!
//! Only what cannot fail is compiled (no arithmetic): such a condition has no
//! effect but its truth, so the tree walker and this code agree whenever both
//! can run (`tests/compiled.rs` checks it). Outcomes and duties are read from
//! the evaluation's state as the tree walker reads them: by the time a rule is
//! tested, every rule that writes what it reads has run.

use std::sync::Arc;

use super::State;
use crate::ast::{CompareOp, DutyState};
use crate::check::{Expr, FactId, OutcomeId, Program};
use crate::value::{EnumId, Type, Value};

/// Compiled conditions; a condition is a range of `ops`.
#[derive(Clone, Debug, Default)]
pub(super) struct Code {
    ops: Vec<Op>,
    /// Bit sets of enumeration values, for [`Op::InSet`] and [`Op::ListAny`].
    words: Vec<u64>,
    /// Sorted texts, for [`Op::InTexts`].
    texts: Vec<Arc<str>>,
    /// Per term: its compiled body (`Some(None)`: it does not compile), once tried.
    terms: Vec<Option<Option<(u32, u32)>>>,
    /// The parts of `a otherwise b otherwise …` read as one value, for [`Src::First`].
    chain: Vec<Part>,
    /// Where each condition of a run of them starts ([`Code::push_condition`]): a run
    /// is a range of these, since the terms a condition uses are compiled before it,
    /// between its code and the previous condition's.
    runs: Vec<u32>,
}

/// What a test reads: a fact, an outcome (the value the strongest rules agree
/// on), or the first known of several (`a otherwise b`: `chain[start..end]`).
#[derive(Clone, Copy, Debug)]
enum Src {
    Fact(FactId),
    Outcome(OutcomeId),
    First { start: u32, end: u32 },
}

/// One part of a [`Src::First`].
#[derive(Clone, Debug)]
enum Part {
    Fact(FactId),
    Outcome(OutcomeId),
    Const(Value),
}

#[derive(Clone, Debug)]
enum Op {
    Const(Option<bool>),
    /// `x is` an enumeration value (`is not` when negated), compared without building the value.
    IsEnum {
        src: Src,
        id: EnumId,
        member: u32,
        negated: bool,
    },
    /// `x is` yes or no (`is not` when negated); a yes/no fact alone is `fact is yes`.
    IsBool {
        src: Src,
        value: bool,
        negated: bool,
    },
    /// `x is value` (`is not` when negated), for other values.
    Is {
        src: Src,
        value: Value,
        negated: bool,
    },
    /// `x in [enumeration values]`: bits `start..start + len` of `words`.
    InSet {
        src: Src,
        start: u32,
        len: u32,
        negated: bool,
    },
    /// `fact in [texts]`: `texts[start..end]`, sorted.
    InTexts {
        fact: FactId,
        start: u32,
        end: u32,
        negated: bool,
    },
    /// `x in [values]` for other constant lists.
    InList {
        src: Src,
        items: Arc<[Value]>,
        negated: bool,
    },
    /// `value in list` (a list fact or a set outcome).
    ListHas {
        src: Src,
        value: Value,
        negated: bool,
    },
    /// `any`/`all x in list-fact satisfies x in [enumeration values]` (`not in` when negated).
    ListAny {
        fact: FactId,
        start: u32,
        len: u32,
        negated: bool,
        all: bool,
    },
    /// `x < value` and the like, `x` on the left.
    Compare {
        src: Src,
        op: CompareOp,
        value: Value,
    },
    /// `x is y` (`is not` when negated) of two facts or outcomes.
    IsPair {
        left: Src,
        right: Src,
        negated: bool,
    },
    /// `x < y` and the like, of two facts or outcomes.
    ComparePair {
        left: Src,
        op: CompareOp,
        right: Src,
    },
    Present {
        fact: FactId,
        present: bool,
    },
    /// `act is required`, `is forbidden`, `is conflicted` (`is not` when negated).
    Duty {
        act: u32,
        state: DutyState,
        negated: bool,
    },
    /// The negation of the condition that follows.
    Not,
    /// Kleene conjunction and disjunction of the `n` conditions that follow,
    /// which end at op `end`: decided by the first false (true) one.
    And {
        n: u32,
        end: u32,
    },
    Or {
        n: u32,
        end: u32,
    },
    /// The first known of the `n` conditions that follow, which end at op `end`.
    Otherwise {
        n: u32,
        end: u32,
    },
    /// A defined term: its value this request, computed once (shared with the tree walker).
    Term {
        index: u32,
        body: (u32, u32),
    },
}

/// Terms nest no deeper than this in compiled code; deeper ones are left to the tree walker.
const MAX_DEPTH: usize = 32;

impl Code {
    /// Compiles a condition; `None` (and nothing kept) if some part of it cannot be.
    pub(super) fn condition(&mut self, program: &Program, expr: &Expr) -> Option<(u32, u32)> {
        self.terms_in(program, expr, 0);
        self.attempt(program, expr, 0)
    }

    /// Compiles `expr` as one range of ops, or leaves everything as it was.
    fn attempt(&mut self, program: &Program, expr: &Expr, depth: usize) -> Option<(u32, u32)> {
        let (ops, words, texts, chain) = (self.ops.len(), self.words.len(), self.texts.len(), self.chain.len());
        if self.expr(program, expr, depth) {
            Some((ops as u32, self.ops.len() as u32))
        } else {
            self.ops.truncate(ops);
            self.words.truncate(words);
            self.texts.truncate(texts);
            self.chain.truncate(chain);
            None
        }
    }

    /// Compiles a condition as the next of a run that must all hold
    /// ([`Code::all_hold`]); `false`, and nothing kept, if it does not compile.
    pub(super) fn push_condition(&mut self, program: &Program, expr: &Expr) -> bool {
        let Some((start, _)) = self.condition(program, expr) else { return false };
        self.runs.push(start);
        true
    }

    /// Where the next run of conditions starts: a run is `(start, end)` of these.
    pub(super) fn run_len(&self) -> u32 {
        self.runs.len() as u32
    }

    fn expr(&mut self, program: &Program, expr: &Expr, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        let fact_of = |expr: &Expr| match super::unalias(program, expr) {
            Expr::Fact(fact) => Some(*fact),
            _ => None,
        };
        let op = match expr {
            Expr::Const(Value::Bool(b)) => Op::Const(Some(*b)),
            Expr::Fact(fact) if is_bool(program, *fact) => {
                Op::IsBool { src: Src::Fact(*fact), value: true, negated: false }
            }
            Expr::Present { fact, present } => Op::Present { fact: *fact, present: *present },
            Expr::Duty { act, state, negated } => Op::Duty { act: *act, state: *state, negated: *negated },
            // Prefix order: the combinator, then its parts (a failed part leaves the
            // ops truncated by [`Code::attempt`]).
            Expr::Not(inner) => {
                self.ops.push(Op::Not);
                return self.expr(program, inner, depth + 1);
            }
            Expr::And(parts) | Expr::Or(parts) | Expr::Otherwise(parts) => {
                let at = self.ops.len();
                let n = parts.len() as u32;
                self.ops.push(match expr {
                    Expr::And(_) => Op::And { n, end: 0 },
                    Expr::Or(_) => Op::Or { n, end: 0 },
                    _ => Op::Otherwise { n, end: 0 },
                });
                if !parts.iter().all(|part| self.expr(program, part, depth + 1)) {
                    return false;
                }
                let after = self.ops.len() as u32;
                if let Some(Op::And { end, .. } | Op::Or { end, .. } | Op::Otherwise { end, .. }) = self.ops.get_mut(at)
                {
                    *end = after;
                }
                return true;
            }
            Expr::Term(index) => match self.terms.get(*index) {
                Some(Some(Some(body))) => Op::Term { index: *index as u32, body: *body },
                _ => return false,
            },
            Expr::Is { left, right, negated } => match (left.as_ref(), right.as_ref()) {
                (other, Expr::Const(value)) | (Expr::Const(value), other) => {
                    let Some(src) = self.src(program, other, depth) else { return false };
                    let negated = *negated;
                    match value {
                        Value::Enum(id, member) => Op::IsEnum { src, id: *id, member: *member, negated },
                        Value::Bool(value) => Op::IsBool { src, value: *value, negated },
                        value => Op::Is { src, value: value.clone(), negated },
                    }
                }
                (left, right) => match (self.src(program, left, depth), self.src(program, right, depth)) {
                    (Some(left), Some(right)) => Op::IsPair { left, right, negated: *negated },
                    _ => return false,
                },
            },
            Expr::InEnums { left, members, negated } => {
                let Some(src) = self.src(program, left, depth) else { return false };
                let (start, len) = self.bits(members);
                Op::InSet { src, start, len, negated: *negated }
            }
            Expr::InTexts { left, texts, negated } => {
                let Some(fact) = fact_of(left) else { return false };
                let start = self.texts.len() as u32;
                self.texts.extend(texts.iter().cloned());
                Op::InTexts { fact, start, end: self.texts.len() as u32, negated: *negated }
            }
            Expr::In { left, right, negated } => match (left.as_ref(), right.as_ref()) {
                (Expr::Const(value), list) => {
                    let Some(src) = self.src(program, list, depth) else { return false };
                    Op::ListHas { src, value: value.clone(), negated: *negated }
                }
                (other, Expr::Const(Value::List(items))) => {
                    let Some(src) = self.src(program, other, depth) else { return false };
                    Op::InList { src, items: items.clone(), negated: *negated }
                }
                _ => return false,
            },
            Expr::Quantified { all, list, body } => {
                let Some(fact) = fact_of(list) else { return false };
                match body.as_ref() {
                    Expr::InEnums { left, members, negated } if matches!(left.as_ref(), Expr::Var(0)) => {
                        let (start, len) = self.bits(members);
                        Op::ListAny { fact, start, len, negated: *negated, all: *all }
                    }
                    // `x is value` of an enumeration: membership of the one value.
                    Expr::Is { left, right, negated } => match (left.as_ref(), right.as_ref()) {
                        (Expr::Var(0), Expr::Const(Value::Enum(_, member)))
                        | (Expr::Const(Value::Enum(_, member)), Expr::Var(0)) => {
                            let mut members = vec![false; *member as usize + 1];
                            if let Some(one) = members.last_mut() {
                                *one = true;
                            }
                            let (start, len) = self.bits(&members);
                            Op::ListAny { fact, start, len, negated: *negated, all: *all }
                        }
                        _ => return false,
                    },
                    _ => return false,
                }
            }
            Expr::Compare { left, op, right } => match (left.as_ref(), right.as_ref()) {
                (Expr::Const(value), other) => {
                    let Some(src) = self.src(program, other, depth) else { return false };
                    let op = match op {
                        CompareOp::Lt => CompareOp::Gt,
                        CompareOp::Le => CompareOp::Ge,
                        CompareOp::Gt => CompareOp::Lt,
                        CompareOp::Ge => CompareOp::Le,
                    };
                    Op::Compare { src, op, value: value.clone() }
                }
                (other, Expr::Const(value)) => {
                    let Some(src) = self.src(program, other, depth) else { return false };
                    Op::Compare { src, op: *op, value: value.clone() }
                }
                (left, right) => match (self.src(program, left, depth), self.src(program, right, depth)) {
                    (Some(left), Some(right)) => Op::ComparePair { left, op: *op, right },
                    _ => return false,
                },
            },
            _ => return false,
        };
        self.ops.push(op);
        true
    }

    /// What a test reads, if `expr` is something [`Src`] can read.
    fn src(&mut self, program: &Program, expr: &Expr, depth: usize) -> Option<Src> {
        match super::unalias(program, expr) {
            Expr::Fact(fact) => Some(Src::Fact(*fact)),
            Expr::Outcome(outcome) => Some(Src::Outcome(*outcome)),
            chain @ (Expr::Otherwise(_) | Expr::Term(_)) => {
                let start = self.chain.len() as u32;
                if !self.parts(program, chain, depth) {
                    return None;
                }
                Some(Src::First { start, end: self.chain.len() as u32 })
            }
            _ => None,
        }
    }

    /// Appends the parts of a value read as the first known of several: facts,
    /// outcomes and constants, through `otherwise` (nested ones flattened, the
    /// first known of all being the same) and terms that stand for such a value.
    fn parts(&mut self, program: &Program, expr: &Expr, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        match super::unalias(program, expr) {
            Expr::Fact(fact) => self.chain.push(Part::Fact(*fact)),
            Expr::Outcome(outcome) => self.chain.push(Part::Outcome(*outcome)),
            Expr::Const(value) => self.chain.push(Part::Const(value.clone())),
            Expr::Otherwise(parts) => return parts.iter().all(|part| self.parts(program, part, depth + 1)),
            Expr::Term(index) => {
                let Some(body) = program.terms.get(*index) else { return false };
                return matches!(body, Expr::Otherwise(_)) && self.parts(program, body, depth + 1);
            }
            _ => return false,
        }
        true
    }

    /// Compiles every term `expr` uses (through terms) that compiles, each on its
    /// own, those it uses first: a term's code is then shared by all its uses.
    fn terms_in(&mut self, program: &Program, expr: &Expr, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        if self.terms.len() < program.terms.len() {
            self.terms.resize(program.terms.len(), None);
        }
        if let Expr::Term(index) = expr {
            if self.terms.get(*index).is_some_and(Option::is_some) {
                return;
            }
            let Some(body) = program.terms.get(*index) else { return };
            // Taken as not compiling while its body is compiled: the checker refuses cycles.
            if let Some(slot) = self.terms.get_mut(*index) {
                *slot = Some(None);
            }
            self.terms_in(program, body, depth + 1);
            let compiled = self.attempt(program, body, depth + 1);
            if let Some(slot) = self.terms.get_mut(*index) {
                *slot = Some(compiled);
            }
            return;
        }
        for child in expr.children() {
            self.terms_in(program, child, depth + 1);
        }
    }

    /// Stores a membership table as bits; returns where they start and how many.
    fn bits(&mut self, members: &[bool]) -> (u32, u32) {
        let start = self.words.len() * 64;
        self.words.resize(self.words.len() + members.len().div_ceil(64), 0);
        for (at, _) in members.iter().enumerate().filter(|(_, on)| **on) {
            if let Some(word) = self.words.get_mut((start + at) / 64) {
                *word |= 1 << ((start + at) % 64);
            }
        }
        (start as u32, members.len() as u32)
    }

    fn member(&self, start: u32, len: u32, value: &Value) -> Option<bool> {
        let Value::Enum(_, member) = value else { return None };
        if *member >= len {
            return Some(false);
        }
        let bit = start as usize + *member as usize;
        Some(self.words.get(bit / 64).is_some_and(|word| word >> (bit % 64) & 1 == 1))
    }

    /// Whether every condition in a run of them ([`Code::push_condition`]) is
    /// true; stops at the first that is not.
    pub(super) fn all_hold(&self, run: (u32, u32), state: &State<'_>) -> bool {
        let starts = self.runs.get(run.0 as usize..run.1 as usize).unwrap_or_default();
        starts.iter().all(|start| self.eval(*start as usize, state).0 == Some(true))
    }

    /// The truth of a compiled condition: `Some(true)`, `Some(false)` or unknown.
    pub(super) fn truth(&self, range: (u32, u32), state: &State<'_>) -> Option<bool> {
        if range.0 >= range.1 {
            return None;
        }
        self.eval(range.0 as usize, state).0
    }

    /// The truth of the condition whose code starts at op `at`, and the op after
    /// its code. A test or a term's known value is had here, inlined where the
    /// truth is wanted; a combinator is run out of line ([`Code::combine`]).
    #[inline]
    fn eval(&self, at: usize, state: &State<'_>) -> (Option<bool>, usize) {
        let next = at + 1;
        match self.ops.get(at) {
            None => (None, next),
            Some(Op::Term { index, body }) => {
                let truth = state.terms.get(*index as usize).and_then(|cell| match cell.get() {
                    Some(Some(Value::Bool(truth))) => Some(*truth),
                    Some(_) => None,
                    None => self.term(cell, *body, state),
                });
                (truth, next)
            }
            Some(op @ (Op::Not | Op::And { .. } | Op::Or { .. } | Op::Otherwise { .. })) => {
                self.combine(op, next, state)
            }
            Some(leaf) => (self.leaf(leaf, state), next),
        }
    }

    /// A combinator's truth, its parts starting at op `next`, and the op after
    /// them. Parts a conjunction or disjunction does not need are skipped.
    #[inline(never)]
    fn combine(&self, op: &Op, next: usize, state: &State<'_>) -> (Option<bool>, usize) {
        match op {
            Op::Not => {
                let (truth, after) = self.eval(next, state);
                (truth.map(|truth| !truth), after)
            }
            Op::And { n, end } | Op::Or { n, end } => {
                // Kleene: the winning truth decides at once; else unknown beats the other.
                let wins = matches!(op, Op::Or { .. });
                let (mut part, mut unknown) = (next, false);
                for _ in 0..*n {
                    let (truth, after) = self.eval(part, state);
                    match truth {
                        Some(truth) if truth == wins => return (Some(wins), *end as usize),
                        None => unknown = true,
                        Some(_) => {}
                    }
                    part = after;
                }
                (if unknown { None } else { Some(!wins) }, *end as usize)
            }
            Op::Otherwise { n, end } => {
                let mut part = next;
                for _ in 0..*n {
                    let (truth, after) = self.eval(part, state);
                    if truth.is_some() {
                        return (truth, *end as usize);
                    }
                    part = after;
                }
                (None, *end as usize)
            }
            _ => (None, next),
        }
    }

    /// A term's value the first time it is asked for, kept for the rest of the request.
    #[inline(never)]
    fn term(&self, cell: &std::cell::OnceCell<Option<Value>>, body: (u32, u32), state: &State<'_>) -> Option<bool> {
        let truth = self.truth(body, state);
        let _ = cell.set(truth.map(Value::Bool));
        truth
    }

    /// The truth of one test (`None` for a combinator, which [`Code::combine`] handles).
    #[inline(never)]
    fn leaf(&self, op: &Op, state: &State<'_>) -> Option<bool> {
        let facts = state.facts;
        match op {
            Op::Const(truth) => *truth,
            Op::IsEnum { src, id, member, negated } => self.read(state, *src, |known| {
                matches!(known, Value::Enum(known_id, known_member) if known_id == id && known_member == member)
                    != *negated
            }),
            Op::IsBool { src, value, negated } => {
                self.read(state, *src, |known| matches!(known, Value::Bool(known) if known == value) != *negated)
            }
            Op::Is { src, value, negated } => self.read(state, *src, |known| known.same(value) != *negated),
            Op::InSet { src, start, len, negated } => self
                .read(state, *src, |known| self.member(*start, *len, known).map(|found| found != *negated))
                .flatten(),
            Op::InTexts { fact, start, end, negated } => match facts.get(*fact) {
                Some(Value::Text(text)) => {
                    let texts = self.texts.get(*start as usize..*end as usize).unwrap_or(&[]);
                    let found = texts.binary_search_by(|probe| probe.as_ref().cmp(text.as_ref())).is_ok();
                    Some(found != *negated)
                }
                _ => None,
            },
            Op::InList { src, items, negated } => {
                self.read(state, *src, |known| items.iter().any(|item| item.same(known)) != *negated)
            }
            // A set outcome's members are looked at where they are, not gathered into a list.
            Op::ListHas { src: Src::Outcome(outcome), value: Value::Enum(_, member), negated }
                if state.is_set(*outcome) =>
            {
                Some(state.sets.get(outcome.0 as usize)?.contains(member) != *negated)
            }
            Op::ListHas { src, value, negated } => self
                .read(state, *src, |known| match known {
                    Value::List(items) => Some(items.iter().any(|item| item.same(value)) != *negated),
                    _ => None,
                })
                .flatten(),
            Op::ListAny { fact, start, len, negated, all } => match facts.get(*fact) {
                Some(Value::List(items)) => {
                    let mut unknown = false;
                    for item in items.iter() {
                        match self.member(*start, *len, item).map(|found| found != *negated) {
                            Some(true) if !*all => return Some(true),
                            Some(false) if *all => return Some(false),
                            None => unknown = true,
                            _ => {}
                        }
                    }
                    if unknown { None } else { Some(*all) }
                }
                _ => None,
            },
            Op::Compare { src, op, value } => self.read(state, *src, |known| holds(known, *op, value)).flatten(),
            Op::IsPair { left, right, negated } => {
                self.read(state, *left, |left| self.read(state, *right, |right| left.same(right) != *negated)).flatten()
            }
            Op::ComparePair { left, op, right } => self
                .read(state, *left, |left| self.read(state, *right, |right| holds(left, *op, right)).flatten())
                .flatten(),
            Op::Present { fact, present } => Some(facts.get(*fact).is_some() == *present),
            Op::Duty { act, state: wanted, negated } => Some(state.duty_is(*act, *wanted) != *negated),
            Op::Not | Op::And { .. } | Op::Or { .. } | Op::Otherwise { .. } | Op::Term { .. } => None,
        }
    }

    /// `f` of the value `src` has, or `None` when it has none (absent, or in conflict).
    fn read<R>(&self, state: &State<'_>, src: Src, f: impl FnOnce(&Value) -> R) -> Option<R> {
        match src {
            Src::Fact(fact) => state.facts.get(fact).map(f),
            Src::Outcome(outcome) => outcome_value(state, outcome, f),
            Src::First { start, end } => {
                for part in self.chain.get(start as usize..end as usize).unwrap_or_default() {
                    let known = match part {
                        Part::Fact(fact) => state.facts.get(*fact),
                        Part::Const(value) => Some(value),
                        Part::Outcome(outcome) => match state.agreed_one(*outcome) {
                            Some(agreed) => agreed,
                            // Not single-valued: its value built, as the tree walker builds it.
                            None => match state.read_outcome(*outcome) {
                                Some(value) => return Some(f(&value)),
                                None => None,
                            },
                        },
                    };
                    if let Some(known) = known {
                        return Some(f(known));
                    }
                }
                None
            }
        }
    }
}

/// `f` of an outcome's value, or `None` when it has none (in conflict, or not concluded).
fn outcome_value<R>(state: &State<'_>, outcome: OutcomeId, f: impl FnOnce(&Value) -> R) -> Option<R> {
    match state.agreed_one(outcome) {
        Some(agreed) => agreed.map(f),
        None => state.read_outcome(outcome).as_ref().map(f),
    }
}

/// Whether `left op right` holds; `None` when the two cannot be compared.
fn holds(left: &Value, op: CompareOp, right: &Value) -> Option<bool> {
    left.compare(right).map(|ordering| match op {
        CompareOp::Lt => ordering.is_lt(),
        CompareOp::Le => ordering.is_le(),
        CompareOp::Gt => ordering.is_gt(),
        CompareOp::Ge => ordering.is_ge(),
    })
}

fn is_bool(program: &Program, fact: FactId) -> bool {
    program.fact(fact).is_some_and(|def| def.ty == Type::Bool)
}
