//! Conditions compiled to flat code: the tests of facts against constants that
//! most rule conditions, terms and `applies when` are made of, laid out in one
//! array in postfix order and run over a small stack of three-valued truths.
//! No expression tree is walked, no value is cloned, nothing is allocated.
//!
//! Only what cannot fail is compiled (no arithmetic, no outcome or duty read):
//! such a condition has no effect but its truth, so the tree walker and this
//! code agree whenever both can run (`tests/compiled.rs` checks it).

use std::sync::Arc;

use crate::ast::CompareOp;
use crate::check::{Expr, FactId, Program};
use crate::facts::Facts;
use crate::value::{Type, Value};

/// Compiled conditions; a condition is a range of `ops`.
#[derive(Clone, Debug, Default)]
pub(super) struct Code {
    ops: Vec<Op>,
    /// Bit sets of enumeration values, for [`Op::InSet`] and [`Op::ListAny`].
    words: Vec<u64>,
    /// Sorted texts, for [`Op::InTexts`].
    texts: Vec<Arc<str>>,
}

#[derive(Clone, Debug)]
enum Op {
    Const(Option<bool>),
    /// `fact is value` (`is not` when negated).
    Is {
        fact: FactId,
        value: Value,
        negated: bool,
    },
    /// `fact in [enumeration values]`: bits `start..start + len` of `words`.
    InSet {
        fact: FactId,
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
    /// `fact in [values]` for other constant lists.
    InList {
        fact: FactId,
        items: Arc<[Value]>,
        negated: bool,
    },
    /// `value in list-fact`.
    ListHas {
        fact: FactId,
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
    /// `fact < value` and the like, the fact on the left.
    Compare {
        fact: FactId,
        op: CompareOp,
        value: Value,
    },
    Present {
        fact: FactId,
        present: bool,
    },
    Not,
    /// Kleene conjunction and disjunction of the last `n` truths.
    And(u32),
    Or(u32),
    /// The first known of the last `n` truths.
    Otherwise(u32),
    /// The end of one condition of a rule's conditions: it must be true.
    Check,
}

/// Terms nest no deeper than this in compiled code; deeper ones are left to the tree walker.
const MAX_DEPTH: usize = 32;

impl Code {
    /// Compiles a condition; `None` (and nothing kept) if some part of it cannot be.
    pub(super) fn condition(&mut self, program: &Program, expr: &Expr) -> Option<(u32, u32)> {
        let (ops, words, texts) = (self.ops.len(), self.words.len(), self.texts.len());
        if self.expr(program, expr, 0) {
            Some((ops as u32, self.ops.len() as u32))
        } else {
            self.ops.truncate(ops);
            self.words.truncate(words);
            self.texts.truncate(texts);
            None
        }
    }

    fn expr(&mut self, program: &Program, expr: &Expr, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        let fact_of = |expr: &Expr| match expr {
            Expr::Fact(fact) => Some(*fact),
            _ => None,
        };
        let op = match expr {
            Expr::Const(Value::Bool(b)) => Op::Const(Some(*b)),
            Expr::Fact(fact) if is_bool(program, *fact) => {
                Op::Is { fact: *fact, value: Value::Bool(true), negated: false }
            }
            Expr::Present { fact, present } => Op::Present { fact: *fact, present: *present },
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
            Expr::Term(index) => {
                return program.terms.get(*index).is_some_and(|body| self.expr(program, body, depth + 1));
            }
            Expr::Is { left, right, negated } => match (left.as_ref(), right.as_ref()) {
                (Expr::Fact(fact), Expr::Const(value)) | (Expr::Const(value), Expr::Fact(fact)) => {
                    Op::Is { fact: *fact, value: value.clone(), negated: *negated }
                }
                _ => return false,
            },
            Expr::InEnums { left, members, negated } => {
                let Some(fact) = fact_of(left) else { return false };
                let (start, len) = self.bits(members);
                Op::InSet { fact, start, len, negated: *negated }
            }
            Expr::InTexts { left, texts, negated } => {
                let Some(fact) = fact_of(left) else { return false };
                let start = self.texts.len() as u32;
                self.texts.extend(texts.iter().cloned());
                Op::InTexts { fact, start, end: self.texts.len() as u32, negated: *negated }
            }
            Expr::In { left, right, negated } => match (left.as_ref(), right.as_ref()) {
                (Expr::Fact(fact), Expr::Const(Value::List(items))) => {
                    Op::InList { fact: *fact, items: items.clone(), negated: *negated }
                }
                (Expr::Const(value), Expr::Fact(fact)) => {
                    Op::ListHas { fact: *fact, value: value.clone(), negated: *negated }
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
                (Expr::Fact(fact), Expr::Const(value)) => Op::Compare { fact: *fact, op: *op, value: value.clone() },
                (Expr::Const(value), Expr::Fact(fact)) => {
                    let op = match op {
                        CompareOp::Lt => CompareOp::Gt,
                        CompareOp::Le => CompareOp::Ge,
                        CompareOp::Gt => CompareOp::Lt,
                        CompareOp::Ge => CompareOp::Le,
                    };
                    Op::Compare { fact: *fact, op, value: value.clone() }
                }
                _ => return false,
            },
            _ => return false,
        };
        self.ops.push(op);
        true
    }

    /// Ends a condition compiled with [`Code::condition`] in a run of conditions
    /// that must all hold ([`Code::all_hold`]).
    pub(super) fn check(&mut self) {
        self.ops.push(Op::Check);
    }

    pub(super) fn len(&self) -> u32 {
        self.ops.len() as u32
    }

    /// Whether every condition in a run of them (each ended by [`Code::check`]) is true,
    /// in one pass over the ops; stops at the first that is not.
    pub(super) fn all_hold(&self, range: (u32, u32), facts: &Facts, stack: &mut Vec<Option<bool>>) -> bool {
        stack.clear();
        for op in self.ops.get(range.0 as usize..range.1 as usize).unwrap_or(&[]) {
            if let Op::Check = op {
                if stack.pop() != Some(Some(true)) {
                    return false;
                }
                stack.clear();
                continue;
            }
            let truth = self.step(op, facts, stack);
            stack.push(truth);
        }
        true
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

    /// The truth of a compiled condition: `Some(true)`, `Some(false)` or unknown.
    pub(super) fn truth(&self, range: (u32, u32), facts: &Facts, stack: &mut Vec<Option<bool>>) -> Option<bool> {
        let ops = self.ops.get(range.0 as usize..range.1 as usize).unwrap_or(&[]);
        // Most conditions are one test: no stack for them.
        if let [op] = ops {
            return self.leaf(op, facts);
        }
        stack.clear();
        for op in ops {
            let truth = self.step(op, facts, stack);
            stack.push(truth);
        }
        stack.pop().flatten()
    }

    /// One op's truth, combinators taking theirs from the stack.
    fn step(&self, op: &Op, facts: &Facts, stack: &mut Vec<Option<bool>>) -> Option<bool> {
        match op {
            Op::Not => stack.pop().flatten().map(|truth| !truth),
            Op::And(n) | Op::Or(n) | Op::Otherwise(n) => {
                let from = stack.len().saturating_sub(*n as usize);
                let parts = stack.drain(from..);
                match op {
                    Op::And(_) => kleene(parts, false),
                    Op::Or(_) => kleene(parts, true),
                    _ => parts.into_iter().flatten().next(),
                }
            }
            leaf => self.leaf(leaf, facts),
        }
    }

    /// The truth of one test (`None` for a combinator, which [`Code::truth`] handles).
    fn leaf(&self, op: &Op, facts: &Facts) -> Option<bool> {
        match op {
            Op::Const(truth) => *truth,
            Op::Is { fact, value, negated } => facts.get(*fact).map(|known| known.same(value) != *negated),
            Op::InSet { fact, start, len, negated } => {
                facts.get(*fact).and_then(|known| self.member(*start, *len, known)).map(|found| found != *negated)
            }
            Op::InTexts { fact, start, end, negated } => match facts.get(*fact) {
                Some(Value::Text(text)) => {
                    let texts = self.texts.get(*start as usize..*end as usize).unwrap_or(&[]);
                    let found = texts.binary_search_by(|probe| probe.as_ref().cmp(text.as_ref())).is_ok();
                    Some(found != *negated)
                }
                _ => None,
            },
            Op::InList { fact, items, negated } => {
                facts.get(*fact).map(|known| items.iter().any(|item| item.same(known)) != *negated)
            }
            Op::ListHas { fact, value, negated } => match facts.get(*fact) {
                Some(Value::List(items)) => Some(items.iter().any(|item| item.same(value)) != *negated),
                _ => None,
            },
            Op::ListAny { fact, start, len, negated, all } => match facts.get(*fact) {
                Some(Value::List(items)) => {
                    let mut unknown = false;
                    let mut decided = None;
                    for item in items.iter() {
                        match self.member(*start, *len, item).map(|found| found != *negated) {
                            Some(true) if !*all => {
                                decided = Some(true);
                                break;
                            }
                            Some(false) if *all => {
                                decided = Some(false);
                                break;
                            }
                            None => unknown = true,
                            _ => {}
                        }
                    }
                    match decided {
                        Some(result) => Some(result),
                        None if unknown => None,
                        None => Some(*all),
                    }
                }
                _ => None,
            },
            Op::Compare { fact, op, value } => {
                facts.get(*fact).and_then(|known| known.compare(value)).map(|ordering| match op {
                    CompareOp::Lt => ordering.is_lt(),
                    CompareOp::Le => ordering.is_le(),
                    CompareOp::Gt => ordering.is_gt(),
                    CompareOp::Ge => ordering.is_ge(),
                })
            }
            Op::Present { fact, present } => Some(facts.get(*fact).is_some() == *present),
            Op::Not | Op::And(_) | Op::Or(_) | Op::Otherwise(_) | Op::Check => None,
        }
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
