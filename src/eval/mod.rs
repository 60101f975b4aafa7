//! Evaluation: a checked program, a request's facts and a date give an
//! [`Outcome`]. Deterministic, allocation-light, and it always terminates: the
//! checker has ordered the rules and expressions have no loops.

mod compile;
mod expr;
mod index;
mod literals;

pub use index::Index;

use std::collections::BTreeMap;

use jiff::civil::Date;

use crate::ast::{Level, Strength};
use crate::check::{EffectKind, Expr, OutcomeId, OutcomeKind, Program};
use crate::facts::Facts;
use crate::value::Value;

/// What the rules concluded for one request.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub as_of: Date,
    /// One per declared outcome, in declaration order.
    pub values: Vec<OutcomeValue>,
    /// Whether each jurisdiction, contract or principles block applied (and was in force).
    /// From [`decide`], blocks none of whose rules was a candidate are `false` untested.
    pub blocks: Vec<bool>,
    /// Whether each block's `applies when` held, whatever its dates (untested as above,
    /// except blocks with no rule in force yet, which the date notes need).
    pub block_conditions: Vec<bool>,
    /// Rules that fired and were not overridden, in declaration order.
    pub fired: Vec<usize>,
    pub conflicts: Vec<Conflict>,
    /// How each rule fared, by rule index. Empty from [`decide`], which looks only
    /// at the rules a request can fire: explanations come from [`evaluate`].
    pub status: Vec<Status>,
    /// Rules whose value was adopted for a single-valued outcome.
    pub decisive: Vec<usize>,
    /// Conclusions that could not be drawn because a value was unknown: (rule, conclusion index).
    pub skipped: Vec<(usize, usize)>,
    /// Duties of a weaker rule set aside by a stronger one: (weaker rule, stronger rule).
    pub overruled: Vec<(usize, usize)>,
    /// Conditions and conclusions whose arithmetic went out of range. An outcome
    /// with errors is no decision: callers report them instead.
    pub errors: Vec<EvalError>,
    /// Assertions (`assert`) this request violates, by index in `Program::assertions`.
    pub violations: Vec<usize>,
}

/// A condition or conclusion that could not be computed: a date past the
/// calendar or a number past 28 digits.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalError {
    /// The rule, or `None` for a block's `applies when`.
    pub rule: Option<usize>,
    pub block: Option<usize>,
    /// The condition or conclusion as written.
    pub text: String,
}

impl Outcome {
    /// The evaluation errors as diagnostics, at the rule they occurred in.
    pub fn error_diagnostics(&self, program: &Program) -> Vec<crate::diag::Diagnostic> {
        self.errors
            .iter()
            .map(|error| {
                let rule = error.rule.and_then(|index| program.rules.get(index));
                let block = error.block.and_then(|index| program.blocks.get(index));
                let place = match (rule, block) {
                    (Some(rule), _) => format!("rule `{}`", rule.id),
                    (None, Some(block)) => format!("the applicability of `{}`", block.id),
                    (None, None) => String::from("a rule"),
                };
                let diagnostic = crate::diag::Diagnostic::error(
                    "tenet::eval::out_of_range",
                    format!("`{}` in {place} is out of range for these facts", error.text),
                )
                .help("dates run from -9999-01-01 to 9999-12-31 and numbers have at most 28 digits: check the facts' dates, days and amounts");
                match rule {
                    Some(rule) => diagnostic.at(rule.span, "computed here"),
                    None => diagnostic,
                }
            })
            .collect()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum OutcomeValue {
    One(Option<Value>),
    /// Value indices of the enumeration, in declaration order of the values.
    Set(Vec<u32>),
    Map(BTreeMap<String, Value>),
    Duties {
        required: Vec<u32>,
        forbidden: Vec<u32>,
    },
    Confidence(Option<Level>),
}

/// Two or more rules that cannot all be followed.
#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    pub subject: ConflictSubject,
    /// Each rule with the value it concluded (`require`/`forbid` for duties).
    pub sides: Vec<(usize, String)>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ConflictSubject {
    /// A single-valued outcome, or one named date, set to different values.
    Outcome { outcome: OutcomeId, key: Option<String> },
    /// An act both required and forbidden.
    Duty { act: u32 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Not in force on the date of evaluation.
    NotInForce,
    /// Its jurisdiction (or contract, or principles block) does not apply.
    NotApplicable,
    /// A condition did not hold: its index, and whether it was unknown rather than false.
    Failed {
        condition: usize,
        unknown: bool,
    },
    Fired,
    /// Its conditions held but a rule that overrides it fired.
    Overridden {
        by: usize,
    },
}

/// The state of one evaluation.
struct State<'a> {
    program: &'a Program,
    facts: &'a Facts,
    /// Per outcome: the values rules concluded, with the rule.
    ones: Vec<Vec<(usize, Value)>>,
    sets: Vec<Vec<u32>>,
    /// Conclusions on outcomes keyed by name (`set deadlines.notify to`), in the
    /// order drawn: the key is the one the program spells in the conclusion
    /// ([`State::key_of`]), not copied. A request draws a few, so a read looks
    /// through them all; [`State::finish`] sorts them by key and takes each key's run.
    keyed: Vec<Keyed>,
    /// Per act: (rule, required?) for every `require` and `forbid` that fired.
    duties: Vec<Vec<(usize, bool)>>,
    /// By rule index: every rule's status from [`evaluate`], empty from [`decide`].
    status: Vec<Status>,
    /// Rules that fired, in the order they fired.
    fired: Vec<usize>,
    /// Per block: whether its `applies when` holds, once tested.
    block_conditions: Vec<Option<bool>>,
    /// The compiled program, from [`decide`]: blocks' tests run compiled where they compile.
    index: Option<&'a Index>,
    skipped: Vec<(usize, usize)>,
    /// Each term's value, computed at its first use: by then everything it reads is final.
    terms: Vec<std::cell::OnceCell<Option<Value>>>,
    /// Set when arithmetic goes out of range; turned into an [`EvalError`] by the caller.
    out_of_range: std::cell::Cell<bool>,
    errors: Vec<EvalError>,
}

/// A value concluded for a key of a keyed outcome: by rule `rule`, in its conclusion `effect`.
struct Keyed {
    outcome: u32,
    effect: u32,
    rule: usize,
    value: Value,
}

/// The resolved state of one act.
#[derive(Clone, Copy, Default)]
struct Duty {
    required: bool,
    forbidden: bool,
    conflicted: bool,
}

/// Evaluates the program against facts whose `as_of` is set, every rule in
/// order: the outcome says how each rule fared, for explanations.
pub fn evaluate(program: &Program, facts: &Facts) -> Outcome {
    let mut state = State::new(program, facts, true);
    let as_of = facts.as_of(program).unwrap_or_default();
    let mut env = Vec::new();
    for index in 0..program.blocks.len() {
        state.block_holds(index, &mut env);
    }
    for &index in &program.order {
        state.rule(index, as_of, false, &mut env);
    }
    state.end(as_of, &mut env)
}

/// The same outcome as [`evaluate`], looking only at the rules the request can
/// fire (found through `index`, built once for the program): `status` is empty
/// and blocks none of whose rules was a candidate are untested.
pub fn decide(program: &Program, index: &Index, facts: &Facts) -> Outcome {
    let mut state = State::new(program, facts, false);
    state.index = Some(index);
    let as_of = facts.as_of(program).unwrap_or_default();
    let mut env = Vec::new();
    // Blocks whose test can go out of range are tested as [`evaluate`] tests
    // them, and so are blocks with no rule in force yet, for the date notes.
    for &block in &index.eager_blocks {
        state.block_holds(block, &mut env);
    }
    for (block, def) in program.blocks.iter().enumerate() {
        if def.first_rule_from.is_some_and(|first| as_of < first) {
            state.block_holds(block, &mut env);
        }
    }
    // The candidates and the request's bits live in a scratch kept
    // per thread between requests, so that a request does not grow them anew.
    let mut scratch = SCRATCH.with(|cell| cell.take());
    index.candidates(facts, &mut scratch.candidates);
    index.literals.bits(facts, &mut scratch.bits);
    let day = index::Day::of(as_of);
    for &rule in &scratch.candidates {
        let rule = rule as usize;
        let (Some(head), Some(filter)) = (index.head(rule), index.rule(rule)) else {
            state.rule(rule, as_of, false, &mut env);
            continue;
        };
        if !(head.from <= day && day <= head.until) {
            continue;
        }
        // A plain rule fires from its head: its filter is not read.
        if let Some(conclusion) = &head.plain {
            if state.enter(head, &mut env) {
                state.fired.push(rule);
                state.draw(index, rule, conclusion);
            }
            continue;
        }
        match index.test(filter, &state, &scratch.bits) {
            index::Test::Fails => {}
            index::Test::Holds => {
                if !state.fire(index, (head, filter), rule, &mut env) {
                    state.rule(rule, as_of, true, &mut env);
                }
            }
            index::Test::Walk => state.rule(rule, as_of, false, &mut env),
        }
    }
    SCRATCH.with(|cell| cell.set(scratch));
    state.end(as_of, &mut env)
}

/// The vectors a [`State`] works in, given back when it ends ([`State::recycle`])
/// and kept per thread, so that a request does not allocate and free them anew.
/// Each is empty between requests (a term's cell unset, a block untested).
#[derive(Default)]
struct Buffers {
    ones: Vec<Vec<(usize, Value)>>,
    sets: Vec<Vec<u32>>,
    keyed: Vec<Keyed>,
    duties: Vec<Vec<(usize, bool)>>,
    fired: Vec<usize>,
    block_conditions: Vec<Option<bool>>,
    terms: Vec<std::cell::OnceCell<Option<Value>>>,
}

thread_local! {
    static BUFFERS: std::cell::Cell<Buffers> = std::cell::Cell::new(Buffers::default());
}

/// The vectors [`decide`] reuses from one request to the next on a thread.
#[derive(Default)]
struct Scratch {
    candidates: Vec<u64>,
    bits: Vec<u64>,
}

thread_local! {
    static SCRATCH: std::cell::Cell<Scratch> = std::cell::Cell::new(Scratch::default());
}

/// What a term stands for when it only names a fact (`term requester means
/// request.authority.country`), followed through such terms; any other
/// expression as it is. Reading the one is reading the other, so the compiled
/// code, the index and the literals test the fact itself.
pub(super) fn unalias<'e>(program: &'e Program, mut expr: &'e Expr) -> &'e Expr {
    // Terms nest no deeper than the checker allows; this bounds a malformed program.
    for _ in 0..64 {
        match expr {
            Expr::Term(index) => match program.terms.get(*index) {
                Some(body @ (Expr::Fact(_) | Expr::Term(_))) => expr = body,
                _ => return expr,
            },
            _ => return expr,
        }
    }
    expr
}

/// Whether something in force from `from` until `until` (both inclusive) is in force on `as_of`.
pub(crate) fn in_force(as_of: Date, from: Option<Date>, until: Option<Date>) -> bool {
    from.is_none_or(|from| from <= as_of) && until.is_none_or(|until| as_of <= until)
}

impl<'a> State<'a> {
    fn new(program: &'a Program, facts: &'a Facts, every_rule: bool) -> State<'a> {
        let outcome_count = program.outcomes.len();
        let acts = program.acts().map_or(0, |id| program.enum_values(id).len());
        // The vectors of the last request on this thread, emptied: sized for it already.
        let mut buffers = BUFFERS.with(std::cell::Cell::take);
        buffers.ones.resize_with(outcome_count, Vec::new);
        buffers.sets.resize_with(outcome_count, Vec::new);
        buffers.duties.resize_with(acts, Vec::new);
        buffers.block_conditions.resize(program.blocks.len(), None);
        buffers.terms.resize_with(program.terms.len(), std::cell::OnceCell::new);
        let Buffers { ones, sets, keyed, duties, fired, block_conditions, terms } = buffers;
        State {
            program,
            facts,
            ones,
            sets,
            keyed,
            duties,
            status: if every_rule { vec![Status::NotInForce; program.rules.len()] } else { Vec::new() },
            fired,
            block_conditions,
            index: None,
            skipped: Vec::new(),
            terms,
            out_of_range: std::cell::Cell::new(false),
            errors: Vec::new(),
        }
    }

    /// Gives this state's vectors back to the thread, emptied, for the next request.
    fn recycle(&mut self) {
        use std::mem::take;
        let mut buffers = Buffers {
            ones: take(&mut self.ones),
            sets: take(&mut self.sets),
            keyed: take(&mut self.keyed),
            duties: take(&mut self.duties),
            fired: take(&mut self.fired),
            block_conditions: take(&mut self.block_conditions),
            terms: take(&mut self.terms),
        };
        buffers.ones.iter_mut().for_each(Vec::clear);
        buffers.sets.iter_mut().for_each(Vec::clear);
        buffers.keyed.clear();
        buffers.duties.iter_mut().for_each(Vec::clear);
        buffers.fired.clear();
        buffers.block_conditions.fill(None);
        // A request computes a few of the terms: the others are passed over with a read.
        for cell in buffers.terms.iter_mut().filter(|cell| cell.get().is_some()) {
            drop(cell.take());
        }
        BUFFERS.with(|cell| cell.set(buffers));
    }

    /// Whether a block's `applies when` holds, tested once: after the first of its
    /// rules, a read (inlined into each rule that fires).
    #[inline]
    fn block_holds(&mut self, index: usize, env: &mut Vec<Value>) -> bool {
        match self.block_conditions.get(index) {
            Some(Some(known)) => *known,
            _ => self.test_block(index, env),
        }
    }

    /// Tests a block's `applies when` and records whether it holds.
    #[inline(never)]
    fn test_block(&mut self, index: usize, env: &mut Vec<Value>) -> bool {
        let program = self.program;
        // Compiled, the test cannot go out of range: its truth is all there is to it.
        let compiled = self.index.and_then(|compiled| Some((compiled, (*compiled.blocks.get(index)?)?)));
        if let Some((compiled, range)) = compiled {
            let holds = compiled.code.truth(range, self) == Some(true);
            if let Some(slot) = self.block_conditions.get_mut(index) {
                *slot = Some(holds);
            }
            return holds;
        }
        let holds = program.blocks.get(index).and_then(|block| block.applies.as_ref()).is_none_or(|applies| {
            let holds = self.truth(&applies.expr, env) == Some(true);
            self.check_range(None, Some(index), &applies.text);
            holds
        });
        if let Some(slot) = self.block_conditions.get_mut(index) {
            *slot = Some(holds);
        }
        holds
    }

    /// Whether a block applies: its test holds and it is in force.
    fn block_applies(&mut self, index: usize, as_of: Date, env: &mut Vec<Value>) -> bool {
        let program = self.program;
        program.blocks.get(index).is_some_and(|block| in_force(as_of, block.from, block.until))
            && self.block_holds(index, env)
    }

    /// Assertions, then the outcome.
    fn end(mut self, as_of: Date, env: &mut Vec<Value>) -> Outcome {
        let violations = self.violations(env);
        let program = self.program;
        let conditions: Vec<bool> = self.block_conditions.iter().map(|known| *known == Some(true)).collect();
        let blocks = program
            .blocks
            .iter()
            .zip(&conditions)
            .map(|(block, applies)| *applies && in_force(as_of, block.from, block.until))
            .collect();
        let mut outcome = self.finish(as_of);
        outcome.violations = violations;
        outcome.blocks = blocks;
        outcome.block_conditions = conditions;
        outcome
    }

    /// Evaluates one rule; `holds` when its conditions are already known to hold.
    fn rule(&mut self, index: usize, as_of: Date, holds: bool, env: &mut Vec<Value>) {
        let Some(rule) = self.program.rules.get(index) else {
            return;
        };
        let status = if !in_force(as_of, rule.from, rule.until) {
            Status::NotInForce
        } else if rule.block.is_some_and(|block| !self.block_applies(block, as_of, env)) {
            Status::NotApplicable
        } else {
            let conditions = if holds { &[][..] } else { rule.when.as_slice() };
            let failed = conditions.iter().enumerate().find_map(|(condition, when)| {
                let truth = self.truth(&when.expr, env);
                self.check_range(Some(index), None, &when.text);
                match truth {
                    Some(true) => None,
                    Some(false) => Some(Status::Failed { condition, unknown: false }),
                    None => Some(Status::Failed { condition, unknown: true }),
                }
            });
            match failed {
                Some(status) => status,
                None => match self.overrider(index) {
                    Some(by) => Status::Overridden { by },
                    None => Status::Fired,
                },
            }
        };
        if let Some(slot) = self.status.get_mut(index) {
            *slot = status;
        }
        if status == Status::Fired {
            self.fired.push(index);
            self.conclude(index, env);
        }
    }

    /// Rule `index` (its head and filter), in force and its conditions holding, fired from
    /// its constant conclusions as [`State::rule`] would fire it (its block tested
    /// first); `false`, and nothing done, when it has none (or rules override it).
    fn fire(
        &mut self,
        compiled: &Index,
        (head, filter): (&index::Head, &index::Filter),
        index: usize,
        env: &mut Vec<Value>,
    ) -> bool {
        let Some((first, rest)) = compiled.conclusions(filter) else { return false };
        if !self.enter(head, env) {
            return true;
        }
        if filter.overridden && self.overrider(index).is_some() {
            return true;
        }
        self.fired.push(index);
        if let Some(first) = first {
            self.draw(compiled, index, first);
        }
        for conclusion in rest {
            self.draw(compiled, index, conclusion);
        }
        true
    }

    /// Whether the block of a rule in force (its `head`) applies. A rule in force
    /// is in its block's dates (the checker narrows a rule's dates to its block's),
    /// so all that is left of the block to test is its condition.
    #[inline(always)]
    fn enter(&mut self, head: &index::Head, env: &mut Vec<Value>) -> bool {
        head.block().is_none_or(|block| self.block_holds(block, env))
    }

    /// Draws a constant conclusion of rule `index`. Inlined into the places that
    /// fire a rule from its filter or head: as a call, saving and restoring its
    /// registers was about 17 of the ~275 instructions a match cost on the peer
    /// harness's rules.
    #[inline(always)]
    fn draw(&mut self, compiled: &Index, index: usize, conclusion: &index::Conclusion) {
        match *conclusion {
            index::Conclusion::Enum { outcome, id, member } => {
                if let Some(ones) = self.ones.get_mut(outcome as usize) {
                    ones.push((index, Value::Enum(id, member)));
                }
            }
            index::Conclusion::One { outcome, constant } => {
                if let (Some(ones), Some(value)) = (self.ones.get_mut(outcome as usize), compiled.constant(constant)) {
                    ones.push((index, value.clone()));
                }
            }
            index::Conclusion::Add { outcome, member } => {
                if let Some(set) = self.sets.get_mut(outcome as usize)
                    && !set.contains(&member)
                {
                    set.push(member);
                }
            }
            index::Conclusion::Duty { act, required } => {
                if let Some(duties) = self.duties.get_mut(act as usize) {
                    duties.push((index, required));
                }
            }
            index::Conclusion::Key { outcome, constant, effect } => {
                if let Some(value) = compiled.constant(constant) {
                    self.keyed.push(Keyed { outcome, effect, rule: index, value: value.clone() });
                }
            }
        }
    }

    /// The first rule overriding rule `index` that has fired, if one has. Overriding
    /// rules come first in the order, so by the time a rule is tested this is final.
    fn overrider(&self, index: usize) -> Option<usize> {
        let overriders = self.program.rules.get(index).map_or(&[][..], |rule| rule.overridden_by.as_slice());
        overriders.iter().find(|other| self.fired.contains(other)).copied()
    }

    /// The key a keyed conclusion is for, as its rule spells it.
    fn key_of(&self, keyed: &Keyed) -> Option<&'a str> {
        let program = self.program;
        let effect = program.rules.get(keyed.rule)?.then.get(keyed.effect as usize)?;
        match &effect.kind {
            EffectKind::SetKey { key, .. } => Some(key),
            _ => None,
        }
    }

    /// The values concluded for `key` of keyed outcome `outcome`, with their rules, in the order drawn.
    fn keyed_values<'v>(&'v self, outcome: u32, key: &'v str) -> impl Iterator<Item = (usize, &'v Value)> + 'v {
        let keyed = self.keyed.iter().filter(move |keyed| keyed.outcome == outcome && self.key_of(keyed) == Some(key));
        keyed.map(|keyed| (keyed.rule, &keyed.value))
    }

    fn conclude(&mut self, index: usize, env: &mut Vec<Value>) {
        let Some(rule) = self.program.rules.get(index) else {
            return;
        };
        for (position, effect) in rule.then.iter().enumerate() {
            let done = match &effect.kind {
                EffectKind::SetOne { outcome, value } => self.value(value, env).map(|value| {
                    if let Some(ones) = self.ones.get_mut(outcome.0 as usize) {
                        ones.push((index, value));
                    }
                }),
                EffectKind::SetKey { outcome, value, .. } => self.value(value, env).map(|value| {
                    self.keyed.push(Keyed { outcome: outcome.0, effect: position as u32, rule: index, value });
                }),
                EffectKind::Add { outcome, values } => {
                    let mut all = Some(());
                    for value in values {
                        match self.value(value, env) {
                            Some(Value::Enum(_, member)) => {
                                if let Some(set) = self.sets.get_mut(outcome.0 as usize)
                                    && !set.contains(&member)
                                {
                                    set.push(member);
                                }
                            }
                            _ => all = None,
                        }
                    }
                    all
                }
                EffectKind::Require(act) | EffectKind::Forbid(act) => {
                    let required = matches!(effect.kind, EffectKind::Require(_));
                    if let Some(duties) = self.duties.get_mut(*act as usize) {
                        duties.push((index, required));
                    }
                    Some(())
                }
            };
            self.check_range(Some(index), None, &effect.text);
            if done.is_none() {
                self.skipped.push((index, position));
            }
        }
    }

    /// The assertions whose conditions hold and whose claim comes out against them
    /// (compiled, from [`decide`], where they compile).
    fn violations(&self, env: &mut Vec<Value>) -> Vec<usize> {
        let mut violated = |(index, assertion): &(usize, &crate::check::AssertionDef)| {
            let compiled = self.index.and_then(|compiled| Some((compiled, (*compiled.assertions.get(*index)?)?)));
            if let Some((compiled, code)) = compiled {
                return compiled.code.all_hold(code.when, self)
                    && compiled.code.truth(code.claim, self) == Some(!assertion.always);
            }
            let applies = assertion.when.iter().all(|when| self.truth(&when.expr, env) == Some(true));
            applies && self.truth(&assertion.claim.expr, env) == Some(!assertion.always)
        };
        let found = self.program.assertions.iter().enumerate().filter(|entry| violated(entry));
        let found = found.map(|(index, _)| index).collect();
        self.out_of_range.set(false);
        found
    }

    /// Records an error if the expression just evaluated went out of range.
    fn check_range(&mut self, rule: Option<usize>, block: Option<usize>, text: &str) {
        if self.out_of_range.replace(false) {
            self.errors.push(EvalError { rule, block, text: text.to_string() });
        }
    }

    fn strength(&self, rule: usize) -> Strength {
        match self.index.and_then(|index| index.head(rule)) {
            Some(head) => head.strength,
            None => self.program.rules.get(rule).map_or(Strength::Soft, |def| def.strength),
        }
    }

    fn confidence(&self, rule: usize) -> Option<Level> {
        match self.index.and_then(|index| index.head(rule)) {
            Some(head) => Some(head.confidence),
            None => self.program.rules.get(rule).map(|def| def.confidence),
        }
    }

    /// Whether a rule's conditions or conclusions read an outcome or a duty.
    fn reads(&self, rule: usize) -> bool {
        match self.index.and_then(|index| index.head(rule)) {
            Some(head) => head.reads,
            None => self.program.rules.get(rule).is_some_and(|def| !def.reads.is_empty() || !def.reads_acts.is_empty()),
        }
    }

    /// The value the strongest candidates agree on; several distinct values are a
    /// conflict among the rules [`State::strongest`] gives. One pass, each rule's
    /// strength read once, nothing allocated: a decision is the common case. The
    /// strongest rules are appended to `rules` (left there even on a conflict).
    fn resolve<'v, T: PartialEq + 'v>(
        &self,
        candidates: impl IntoIterator<Item = (usize, &'v T)>,
        mut rules: Option<&mut Vec<usize>>,
    ) -> Resolution<'v, T> {
        let start = rules.as_ref().map_or(0, |rules| rules.len());
        // The strongest strength so far, the first value at it, and whether all at it agree.
        let mut best: Option<(Strength, &T, bool)> = None;
        for (rule, value) in candidates {
            let strength = self.strength(rule);
            match &mut best {
                Some((top, first, agreed)) if strength == *top => *agreed &= value == *first,
                Some((top, _, _)) if strength < *top => continue,
                _ => {
                    best = Some((strength, value, true));
                    if let Some(rules) = rules.as_deref_mut() {
                        rules.truncate(start);
                    }
                }
            }
            if let Some(rules) = rules.as_deref_mut() {
                rules.push(rule);
            }
        }
        match best {
            None => Resolution::None,
            Some((_, first, true)) => Resolution::Value(first),
            Some((top, _, false)) => Resolution::Conflict(top),
        }
    }

    /// The candidates of strength `top`, in the order they were concluded.
    fn strongest<'v, T: 'v>(
        &self,
        candidates: impl IntoIterator<Item = (usize, &'v T)>,
        top: Strength,
    ) -> impl Iterator<Item = (usize, &'v T)> {
        candidates.into_iter().filter(move |(rule, _)| self.strength(*rule) == top)
    }

    /// The value the strongest candidates agree on, without allocating: for reads.
    fn agreed<'v, T: PartialEq + 'v>(&self, candidates: impl IntoIterator<Item = (usize, &'v T)>) -> Option<&'v T> {
        match self.resolve(candidates, None) {
            Resolution::Value(value) => Some(value),
            Resolution::None | Resolution::Conflict(_) => None,
        }
    }

    fn read_outcome(&self, id: OutcomeId) -> Option<Value> {
        let def = self.program.outcome(id)?;
        match def.kind {
            OutcomeKind::One(_) => self.agreed(pairs(self.ones.get(id.0 as usize)?)).cloned(),
            OutcomeKind::Set(enum_id) => {
                let members = self.sets.get(id.0 as usize)?;
                Some(Value::List(members.iter().map(|member| Value::Enum(enum_id, *member)).collect()))
            }
            _ => None,
        }
    }

    /// A single-valued outcome's value as it stands, borrowed: `None` for other kinds.
    fn agreed_one(&self, id: OutcomeId) -> Option<Option<&Value>> {
        match self.program.outcome(id)?.kind {
            OutcomeKind::One(_) => {
                Some(self.agreed(pairs(self.ones.get(id.0 as usize).map_or(&[][..], Vec::as_slice))))
            }
            _ => None,
        }
    }

    fn is_set(&self, id: OutcomeId) -> bool {
        self.program.outcome(id).is_some_and(|def| matches!(def.kind, OutcomeKind::Set(_)))
    }

    fn read_key(&self, id: OutcomeId, key: &str) -> Option<Value> {
        self.agreed(self.keyed_values(id.0, key)).cloned()
    }

    /// Whether `act is required` (or forbidden, or conflicted) holds now.
    fn duty_is(&self, act: u32, state: crate::ast::DutyState) -> bool {
        let duty = self.duty(act);
        match state {
            crate::ast::DutyState::Required => duty.required && !duty.conflicted,
            crate::ast::DutyState::Forbidden => duty.forbidden && !duty.conflicted,
            crate::ast::DutyState::Conflicted => duty.conflicted,
        }
    }

    fn duty(&self, act: u32) -> Duty {
        let Some(entries) = self.duties.get(act as usize) else {
            return Duty::default();
        };
        // One pass: what the strongest rules so far require and forbid.
        let mut top: Option<Strength> = None;
        let (mut required, mut forbidden) = (false, false);
        for (rule, require) in entries {
            let strength = self.strength(*rule);
            match top {
                Some(top) if strength < top => continue,
                Some(top) if strength == top => {}
                _ => {
                    top = Some(strength);
                    (required, forbidden) = (false, false);
                }
            }
            if *require {
                required = true;
            } else {
                forbidden = true;
            }
        }
        Duty { required, forbidden, conflicted: required && forbidden }
    }

    fn finish(&mut self, as_of: Date) -> Outcome {
        // Keyed conclusions by outcome and key, each key's in the order drawn (a stable sort).
        if self.keyed.len() > 1 {
            let mut keyed = std::mem::take(&mut self.keyed);
            keyed.sort_by(|one, other| one.outcome.cmp(&other.outcome).then(self.key_of(one).cmp(&self.key_of(other))));
            self.keyed = keyed;
        }
        let mut conflicts = Vec::new();
        // The decisive rules are among those that fired: one allocation, not one per doubling.
        let mut decisive = Vec::with_capacity(self.fired.len());
        let mut overruled = Vec::new();
        let mut values = Vec::with_capacity(self.program.outcomes.len());
        let mut confidence_slot = None;
        for (index, def) in self.program.outcomes.iter().enumerate() {
            let id = OutcomeId(index as u32);
            let value = match def.kind {
                OutcomeKind::One(_) => {
                    let candidates = self.ones.get(index).map_or(&[][..], Vec::as_slice);
                    let start = decisive.len();
                    match self.resolve(pairs(candidates), Some(&mut decisive)) {
                        Resolution::Value(value) => OutcomeValue::One(Some(value.clone())),
                        Resolution::Conflict(top) => {
                            decisive.truncate(start);
                            let sides = self.strongest(pairs(candidates), top);
                            conflicts.push(self.conflict(ConflictSubject::Outcome { outcome: id, key: None }, sides));
                            OutcomeValue::One(None)
                        }
                        Resolution::None => OutcomeValue::One(None),
                    }
                }
                OutcomeKind::Set(_) => {
                    let mut members = self.sets.get(index).cloned().unwrap_or_default();
                    members.sort_unstable();
                    OutcomeValue::Set(members)
                }
                OutcomeKind::Map(_) => {
                    let mut dates = BTreeMap::new();
                    // The keyed conclusions are sorted by outcome and key: each key's are a run.
                    let same = |one: &Keyed, other: &Keyed| {
                        one.outcome == other.outcome && self.key_of(one) == self.key_of(other)
                    };
                    for run in
                        self.keyed.chunk_by(same).filter(|run| run.first().is_some_and(|keyed| keyed.outcome == id.0))
                    {
                        let Some(key) = run.first().and_then(|first| self.key_of(first)) else { continue };
                        let values = || run.iter().map(|keyed| (keyed.rule, &keyed.value));
                        match self.resolve(values(), None) {
                            Resolution::Value(value) => {
                                dates.insert(key.to_string(), value.clone());
                            }
                            Resolution::Conflict(top) => {
                                let subject = ConflictSubject::Outcome { outcome: id, key: Some(key.to_string()) };
                                conflicts.push(self.conflict(subject, self.strongest(values(), top)));
                            }
                            Resolution::None => {}
                        }
                    }
                    OutcomeValue::Map(dates)
                }
                OutcomeKind::Duties(_) => self.duties_value(&mut conflicts, &mut overruled),
                OutcomeKind::Confidence => {
                    confidence_slot = Some(index);
                    OutcomeValue::Confidence(None)
                }
            };
            values.push(value);
        }
        let mut fired = self.fired.clone();
        fired.sort_unstable();
        self.reasons_of(&fired, &mut decisive);
        if let Some(slot) = confidence_slot.and_then(|index| values.get_mut(index)) {
            let basis = if decisive.is_empty() { &fired } else { &decisive };
            let level = basis.iter().filter_map(|rule| self.confidence(*rule)).min();
            *slot = OutcomeValue::Confidence(level);
        }
        let outcome = Outcome {
            as_of,
            values,
            blocks: Vec::new(),
            block_conditions: Vec::new(),
            fired,
            conflicts,
            status: std::mem::take(&mut self.status),
            decisive,
            skipped: std::mem::take(&mut self.skipped),
            overruled,
            errors: std::mem::take(&mut self.errors),
            violations: Vec::new(),
        };
        self.recycle();
        outcome
    }

    /// Adds to `decisive` every fired rule whose conclusions a decisive rule
    /// read, transitively: a decision is only as certain as its premises.
    fn reasons_of(&self, fired: &[usize], decisive: &mut Vec<usize>) {
        let mut next = 0;
        while let Some(&rule) = decisive.get(next) {
            next += 1;
            if !self.reads(rule) {
                continue;
            }
            let Some(def) = self.program.rules.get(rule) else { continue };
            for &writer in fired {
                if decisive.contains(&writer) {
                    continue;
                }
                let Some(writer_def) = self.program.rules.get(writer) else { continue };
                let wrote = writer_def.then.iter().any(|effect| match &effect.kind {
                    EffectKind::SetOne { outcome, .. }
                    | EffectKind::SetKey { outcome, .. }
                    | EffectKind::Add { outcome, .. } => def.reads.contains(outcome),
                    EffectKind::Require(act) | EffectKind::Forbid(act) => def.reads_acts.contains(act),
                });
                if wrote {
                    decisive.push(writer);
                }
            }
        }
        decisive.sort_unstable();
        decisive.dedup();
    }

    fn duties_value(&self, conflicts: &mut Vec<Conflict>, overruled: &mut Vec<(usize, usize)>) -> OutcomeValue {
        let (mut required, mut forbidden) = (Vec::new(), Vec::new());
        for (act, entries) in self.duties.iter().enumerate() {
            // Most acts are neither required nor forbidden by anything.
            if entries.is_empty() {
                continue;
            }
            let act = act as u32;
            let duty = self.duty(act);
            if duty.conflicted {
                let Some(top) = entries.iter().map(|(rule, _)| self.strength(*rule)).max() else {
                    continue;
                };
                let sides: Vec<(usize, String)> = entries
                    .iter()
                    .filter(|(rule, _)| self.strength(*rule) == top)
                    .map(|(rule, require)| (*rule, String::from(if *require { "require" } else { "forbid" })))
                    .collect();
                conflicts.push(Conflict { subject: ConflictSubject::Duty { act }, sides });
            } else if duty.required {
                required.push(act);
            } else if duty.forbidden {
                forbidden.push(act);
            }
            // Weaker duties that the stronger ones contradict are set aside, and said so.
            let stronger = entries.iter().map(|(rule, _)| self.strength(*rule)).max();
            for (weaker, require) in entries {
                if Some(self.strength(*weaker)) == stronger {
                    continue;
                }
                let contrary =
                    entries.iter().find(|(rule, other)| other != require && Some(self.strength(*rule)) == stronger);
                if let Some((by, _)) = contrary {
                    overruled.push((*weaker, *by));
                }
            }
        }
        OutcomeValue::Duties { required, forbidden }
    }

    fn conflict<'v, T: Shown + 'v>(
        &self,
        subject: ConflictSubject,
        sides: impl Iterator<Item = (usize, &'v T)>,
    ) -> Conflict {
        Conflict { subject, sides: sides.map(|(rule, value)| (rule, value.shown(self.program))).collect() }
    }
}

/// Concluded values with their rules, as [`State::resolve`] reads them.
fn pairs<T>(candidates: &[(usize, T)]) -> impl Iterator<Item = (usize, &T)> {
    candidates.iter().map(|(rule, value)| (*rule, value))
}

/// How the candidates for a single value came out: no candidate, a value the
/// strongest agree on, or a conflict among the strongest (of that strength).
enum Resolution<'v, T> {
    None,
    Value(&'v T),
    Conflict(Strength),
}

/// A concluded value as the user writes it.
trait Shown {
    fn shown(&self, program: &Program) -> String;
}

impl Shown for Value {
    fn shown(&self, program: &Program) -> String {
        crate::value::Shown { value: self, enums: &program.enums }.to_string()
    }
}

impl Shown for Date {
    fn shown(&self, _: &Program) -> String {
        self.to_string()
    }
}
