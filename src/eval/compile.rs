//! Conditions compiled to flat code: the tests of facts, outcomes and duties
//! against constants that most rule conditions, terms and `applies when` are
//! made of, laid out in one array in postfix order and run over a small stack
//! of three-valued truths. No expression tree is walked, no fact is cloned.
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
use crate::value::{Type, Value};

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
}

/// What a test reads: a fact, or an outcome (the value the strongest rules agree on).
#[derive(Clone, Copy, Debug)]
enum Src {
    Fact(FactId),
    Outcome(OutcomeId),
}

#[derive(Clone, Debug)]
enum Op {
    Const(Option<bool>),
    /// `x is value` (`is not` when negated).
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
    Not,
    /// Kleene conjunction and disjunction of the last `n` truths.
    And(u32),
    Or(u32),
    /// The first known of the last `n` truths.
    Otherwise(u32),
    /// The end of one condition of a rule's conditions: it must be true.
    Check,
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
        let (ops, words, texts) = (self.ops.len(), self.words.len(), self.texts.len());
        if self.expr(program, expr, depth) {
            Some((ops as u32, self.ops.len() as u32))
        } else {
            self.ops.truncate(ops);
            self.words.truncate(words);
            self.texts.truncate(texts);
            None
        }
    }

    /// Ends a condition compiled with [`Code::condition`] in a run of conditions
    /// that must all hold ([`Code::all_hold`]).
    pub(super) fn check(&mut self) {
        self.ops.push(Op::Check);
    }

    pub(super) fn len(&self) -> u32 {
        self.ops.len() as u32
    }

    fn expr(&mut self, program: &Program, expr: &Expr, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        let src = |expr: &Expr| match super::unalias(program, expr) {
            Expr::Fact(fact) => Some(Src::Fact(*fact)),
            Expr::Outcome(outcome) => Some(Src::Outcome(*outcome)),
            _ => None,
        };
        let fact_of = |expr: &Expr| match super::unalias(program, expr) {
            Expr::Fact(fact) => Some(*fact),
            _ => None,
        };
        let op = match expr {
            Expr::Const(Value::Bool(b)) => Op::Const(Some(*b)),
            Expr::Fact(fact) if is_bool(program, *fact) => {
                Op::Is { src: Src::Fact(*fact), value: Value::Bool(true), negated: false }
            }
            Expr::Present { fact, present } => Op::Present { fact: *fact, present: *present },
            Expr::Duty { act, state, negated } => Op::Duty { act: *act, state: *state, negated: *negated },
            Expr::Not(inner) => {
                if !self.expr(program, inner, depth + 1) {
                    return false;
                }
                Op::Not
            }
            Expr::And(parts) | Expr::Or(parts) | Expr::Otherwise(parts) => {
                if !parts.iter().all(|part| self.expr(program, part, depth + 1)) {
                    return false;
                }
                let n = parts.len() as u32;
                match expr {
                    Expr::And(_) => Op::And(n),
                    Expr::Or(_) => Op::Or(n),
                    _ => Op::Otherwise(n),
                }
            }
            Expr::Term(index) => match self.terms.get(*index) {
                Some(Some(Some(body))) => Op::Term { index: *index as u32, body: *body },
                _ => return false,
            },
            Expr::Is { left, right, negated } => match (left.as_ref(), right.as_ref()) {
                (other, Expr::Const(value)) | (Expr::Const(value), other) => {
                    let Some(src) = src(other) else { return false };
                    Op::Is { src, value: value.clone(), negated: *negated }
                }
                _ => return false,
            },
            Expr::InEnums { left, members, negated } => {
                let Some(src) = src(left) else { return false };
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
                    let Some(src) = src(list) else { return false };
                    Op::ListHas { src, value: value.clone(), negated: *negated }
                }
                (other, Expr::Const(Value::List(items))) => {
                    let Some(src) = src(other) else { return false };
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
                    _ => return false,
                }
            }
            Expr::Compare { left, op, right } => match (left.as_ref(), right.as_ref()) {
                (Expr::Const(value), other) => {
                    let Some(src) = src(other) else { return false };
                    let op = match op {
                        CompareOp::Lt => CompareOp::Gt,
                        CompareOp::Le => CompareOp::Ge,
                        CompareOp::Gt => CompareOp::Lt,
                        CompareOp::Ge => CompareOp::Le,
                    };
                    Op::Compare { src, op, value: value.clone() }
                }
                (other, Expr::Const(value)) => {
                    let Some(src) = src(other) else { return false };
                    Op::Compare { src, op: *op, value: value.clone() }
                }
                _ => return false,
            },
            _ => return false,
        };
        self.ops.push(op);
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

    /// Whether every condition in a run of them (each ended by [`Code::check`]) is true,
    /// in one pass over the ops; stops at the first that is not.
    pub(super) fn all_hold(&self, range: (u32, u32), state: &State<'_>, stack: &mut Vec<Option<bool>>) -> bool {
        stack.clear();
        for op in self.ops.get(range.0 as usize..range.1 as usize).unwrap_or(&[]) {
            if let Op::Check = op {
                if stack.pop() != Some(Some(true)) {
                    return false;
                }
                stack.clear();
                continue;
            }
            let truth = self.step(op, state, stack);
            stack.push(truth);
        }
        true
    }

    /// Runs a condition's ops above whatever is on the stack and returns its truth.
    fn run(&self, range: (u32, u32), state: &State<'_>, stack: &mut Vec<Option<bool>>) -> Option<bool> {
        let base = stack.len();
        for op in self.ops.get(range.0 as usize..range.1 as usize).unwrap_or(&[]) {
            let truth = self.step(op, state, stack);
            stack.push(truth);
        }
        let truth = if stack.len() > base { stack.pop().flatten() } else { None };
        stack.truncate(base);
        truth
    }

    /// The truth of a compiled condition: `Some(true)`, `Some(false)` or unknown.
    pub(super) fn truth(&self, range: (u32, u32), state: &State<'_>, stack: &mut Vec<Option<bool>>) -> Option<bool> {
        let ops = self.ops.get(range.0 as usize..range.1 as usize).unwrap_or(&[]);
        // Most conditions are one test: no stack for them.
        if let [op] = ops {
            return self.step(op, state, stack);
        }
        stack.clear();
        self.run(range, state, stack)
    }

    /// One op's truth, combinators taking theirs from the stack. Inlined into
    /// the loops, with the common cases (a term already computed, a combinator)
    /// handled here and the rest out of line: most ops are a term's known value.
    #[inline]
    fn step(&self, op: &Op, state: &State<'_>, stack: &mut Vec<Option<bool>>) -> Option<bool> {
        match op {
            Op::Term { index, body } => {
                let cell = state.terms.get(*index as usize)?;
                match cell.get() {
                    Some(known) => match known {
                        Some(Value::Bool(truth)) => Some(*truth),
                        _ => None,
                    },
                    None => self.term(cell, *body, state, stack),
                }
            }
            Op::Not => stack.pop().flatten().map(|truth| !truth),
            Op::And(n) | Op::Or(n) | Op::Otherwise(n) => {
                let from = stack.len().saturating_sub(*n as usize);
                let parts = stack.get(from..).unwrap_or(&[]).iter().copied();
                let truth = match op {
                    Op::And(_) => kleene(parts, false),
                    Op::Or(_) => kleene(parts, true),
                    _ => parts.flatten().next(),
                };
                stack.truncate(from);
                truth
            }
            leaf => self.leaf(leaf, state),
        }
    }

    /// A term's value the first time it is asked for, kept for the rest of the request.
    #[inline(never)]
    fn term(
        &self,
        cell: &std::cell::OnceCell<Option<Value>>,
        body: (u32, u32),
        state: &State<'_>,
        stack: &mut Vec<Option<bool>>,
    ) -> Option<bool> {
        let truth = self.run(body, state, stack);
        let _ = cell.set(truth.map(Value::Bool));
        truth
    }

    /// The truth of one test (`None` for a combinator, which [`Code::step`] handles).
    #[inline(never)]
    fn leaf(&self, op: &Op, state: &State<'_>) -> Option<bool> {
        let facts = state.facts;
        match op {
            Op::Const(truth) => *truth,
            Op::Is { src, value, negated } => read(state, *src, |known| known.same(value) != *negated),
            Op::InSet { src, start, len, negated } => {
                read(state, *src, |known| self.member(*start, *len, known).map(|found| found != *negated)).flatten()
            }
            Op::InTexts { fact, start, end, negated } => match facts.get(*fact) {
                Some(Value::Text(text)) => {
                    let texts = self.texts.get(*start as usize..*end as usize).unwrap_or(&[]);
                    let found = texts.binary_search_by(|probe| probe.as_ref().cmp(text.as_ref())).is_ok();
                    Some(found != *negated)
                }
                _ => None,
            },
            Op::InList { src, items, negated } => {
                read(state, *src, |known| items.iter().any(|item| item.same(known)) != *negated)
            }
            // A set outcome's members are looked at where they are, not gathered into a list.
            Op::ListHas { src: Src::Outcome(outcome), value: Value::Enum(_, member), negated }
                if state.is_set(*outcome) =>
            {
                Some(state.sets.get(outcome.0 as usize)?.contains(member) != *negated)
            }
            Op::ListHas { src, value, negated } => read(state, *src, |known| match known {
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
            Op::Compare { src, op, value } => read(state, *src, |known| {
                known.compare(value).map(|ordering| match op {
                    CompareOp::Lt => ordering.is_lt(),
                    CompareOp::Le => ordering.is_le(),
                    CompareOp::Gt => ordering.is_gt(),
                    CompareOp::Ge => ordering.is_ge(),
                })
            })
            .flatten(),
            Op::Present { fact, present } => Some(facts.get(*fact).is_some() == *present),
            Op::Duty { act, state: wanted, negated } => Some(state.duty_is(*act, *wanted) != *negated),
            Op::Not | Op::And(_) | Op::Or(_) | Op::Otherwise(_) | Op::Check | Op::Term { .. } => None,
        }
    }
}

/// `f` of the value `src` has, or `None` when it has none (absent, or in conflict).
fn read<R>(state: &State<'_>, src: Src, f: impl FnOnce(&Value) -> R) -> Option<R> {
    match src {
        Src::Fact(fact) => state.facts.get(fact).map(f),
        Src::Outcome(outcome) => match state.agreed_one(outcome) {
            Some(agreed) => agreed.map(f),
            None => state.read_outcome(outcome).as_ref().map(f),
        },
    }
}

/// Kleene conjunction (`wins` false) or disjunction (`wins` true).
fn kleene(parts: impl Iterator<Item = Option<bool>>, wins: bool) -> Option<bool> {
    let mut unknown = false;
    for part in parts {
        match part {
            Some(truth) if truth == wins => return Some(wins),
            None => unknown = true,
            _ => {}
        }
    }
    if unknown { None } else { Some(!wins) }
}

fn is_bool(program: &Program, fact: FactId) -> bool {
    program.fact(fact).is_some_and(|def| def.ty == Type::Bool)
}
