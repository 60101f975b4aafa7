//! Syntax trees to a resolved, typed [`Program`]. The checker reports every
//! problem it finds and keeps going; the program is usable only when no
//! diagnostic is an error.

mod decls;
mod expr;
mod order;
mod rules;

use std::collections::{HashMap, HashSet};

use jiff::civil::Date;

use crate::ast::{self, CompareOp, Level, Strength};
use crate::diag::Diagnostic;
use crate::source::{FileId, Sources, Span};
use crate::value::{EnumId, Scalar, Type, Value};

pub use crate::value::ArithKind;
pub use expr::Expr;

/// Index of a fact in [`Program::facts`] and in evaluated facts.
#[derive(Clone, Copy, Debug, Default, Eq, Hash, Ord, PartialEq, PartialOrd)]
pub struct FactId(pub u32);

/// Index of an outcome in [`Program::outcomes`].
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
pub struct OutcomeId(pub u32);

/// A checked rule set, ready to evaluate.
#[derive(Clone, Debug, Default)]
pub struct Program {
    pub enums: Vec<EnumDef>,
    pub facts: Vec<FactDef>,
    pub outcomes: Vec<OutcomeDef>,
    pub blocks: Vec<BlockDef>,
    pub rules: Vec<RuleDef>,
    /// Rules in evaluation order: writers of an outcome before its readers,
    /// overriding rules before the rules they override.
    pub order: Vec<usize>,
    /// The `as_of` fact: the date of evaluation.
    pub as_of: FactId,
    /// The outcome that `require` and `forbid` speak of, if declared.
    pub duties: Option<OutcomeId>,
    /// The bodies of the defined terms rules use, by [`Expr::Term`] index.
    pub terms: Vec<Expr>,
    /// Properties every request must satisfy (`assert`), proved by `tenet analyze`.
    pub assertions: Vec<AssertionDef>,
    /// The request's own dates: date facts the rules read and never compare with `as_of`
    /// as possibly later (as they do `nondisclosure.end_date >= as_of`). One of them after
    /// `as_of` means the request is evaluated before it happened (a note with the result).
    pub own_dates: Vec<FactId>,
}

/// The fields a JSON result has beside its outcomes (`tenet eval --format json`,
/// `tenet serve`): no outcome may take one of these names.
pub const REPORT_FIELDS: &[&str] = &[
    "rules",
    "conflicts",
    "notes",
    "violations",
    "provisional",
    "depends_on",
    "dependencies_complete",
    "sampled",
    "not_explored",
    "ask",
    "explanation",
    "receipt",
];

/// `assert ID "title" { cite ... when ... always|never ... }`, resolved.
#[derive(Clone, Debug)]
pub struct AssertionDef {
    pub id: String,
    pub title: String,
    pub cites: Vec<String>,
    /// The requests it speaks of: all conditions must hold.
    pub when: Vec<Condition>,
    /// `always`: the claim must not be false; `never`: it must not be true.
    pub always: bool,
    pub claim: Condition,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct EnumDef {
    pub name: String,
    pub values: Vec<String>,
    /// Labels by value index (`DE "Germany"`): shown beside the value in help.
    pub labels: Vec<Option<String>>,
    pub span: Span,
}

impl EnumDef {
    /// The value whose name or label is `text` ignoring case (`"germany"` → `DE`).
    pub fn by_name_or_label(&self, text: &str) -> Option<usize> {
        let text = text.trim();
        self.values.iter().position(|value| value.eq_ignore_ascii_case(text)).or_else(|| {
            self.labels.iter().position(|label| label.as_deref().is_some_and(|label| label.eq_ignore_ascii_case(text)))
        })
    }

    /// `DE` or `DE (Germany)`.
    pub fn shown(&self, index: usize) -> String {
        let value = self.values.get(index).map_or("?", String::as_str);
        match self.labels.get(index).and_then(Option::as_deref) {
            Some(label) => format!("{value} ({label})"),
            None => value.to_string(),
        }
    }

    /// Help for a word that is not a value: the value it names, a near one, or the values.
    pub fn suggestion(&self, word: &str, quote: &str) -> String {
        if let Some(index) = self.by_name_or_label(word) {
            return format!("did you mean {quote}{}{quote}{}?", self.values[index], self.label_suffix(index));
        }
        if let Some(best) = crate::diag::did_you_mean(word, self.values.iter().map(String::as_str)) {
            let index = self.values.iter().position(|value| value == best).unwrap_or_default();
            return format!("did you mean {quote}{best}{quote}{}?", self.label_suffix(index));
        }
        const SHOWN: usize = 12;
        let listed: Vec<String> =
            self.values.iter().take(SHOWN).map(|value| format!("{quote}{value}{quote}")).collect();
        if self.values.len() <= SHOWN {
            format!("expected one of {}", listed.join(", "))
        } else {
            format!("expected one of the {} values of `{}`: {}, …", self.values.len(), self.name, listed.join(", "))
        }
    }

    fn label_suffix(&self, index: usize) -> String {
        self.labels.get(index).and_then(Option::as_deref).map(|label| format!(" ({label})")).unwrap_or_default()
    }
}

#[derive(Clone, Debug)]
pub struct FactDef {
    /// Dotted path, as in the facts JSON.
    pub path: String,
    pub ty: Type,
    pub optional: bool,
    pub default: Option<Value>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct OutcomeDef {
    pub name: String,
    pub kind: OutcomeKind,
    /// Every request must get a value (`one of ... required`).
    pub required: bool,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum OutcomeKind {
    One(EnumId),
    Set(EnumId),
    Duties(EnumId),
    /// Named values of one type, e.g. deadlines.
    Map(Scalar),
    Confidence,
}

#[derive(Clone, Debug)]
pub struct BlockDef {
    pub id: String,
    pub title: String,
    pub strength: Strength,
    pub applies: Option<Condition>,
    pub from: Option<Date>,
    pub until: Option<Date>,
    /// The first day one of its rules is in force, when it has rules and every one
    /// has a start date: before it the block applies with no rule in force yet.
    pub first_rule_from: Option<Date>,
}

/// A rule, resolved.
#[derive(Clone, Debug)]
pub struct RuleDef {
    pub id: String,
    pub title: String,
    pub cites: Vec<String>,
    pub block: Option<usize>,
    pub strength: Strength,
    /// In force from this date (inclusive), combining the rule's and its block's dates.
    pub from: Option<Date>,
    /// In force until this date (inclusive).
    pub until: Option<Date>,
    pub confidence: Level,
    pub overrides: Vec<usize>,
    /// The rules that override this one (the reverse of `overrides`).
    pub overridden_by: Vec<usize>,
    /// The conjuncts of `when`: all must hold.
    pub when: Vec<Condition>,
    pub then: Vec<Effect>,
    /// Outcomes and acts its conditions and conclusions read.
    pub reads: Vec<OutcomeId>,
    pub reads_acts: Vec<u32>,
    pub span: Span,
}

/// One condition as written, with what it reads (for explanations).
#[derive(Clone, Debug)]
pub struct Condition {
    pub expr: Expr,
    /// The source text, whitespace folded.
    pub text: String,
    pub facts: Vec<FactId>,
    pub outcomes: Vec<OutcomeId>,
    /// For a rule's condition: the facts an `otherwise` in it (through terms) may
    /// stand in for with its default, in the order an explanation lists them
    /// ([`Program::defaults_of`]). Filled once the terms are all checked.
    pub defaults: Vec<Assumption>,
}

/// A fact that the default of an `otherwise` stands in for when it is absent.
#[derive(Clone, Debug, PartialEq)]
pub struct Assumption {
    pub fact: FactId,
    pub default: Value,
    /// Whether the fact is what `otherwise` reads itself (`fact otherwise true`),
    /// not something a test before it reads (`(fact is x) otherwise true`).
    pub direct: bool,
}

#[derive(Clone, Debug)]
pub struct Effect {
    pub kind: EffectKind,
    /// The source text, whitespace folded.
    pub text: String,
}

#[derive(Clone, Debug)]
pub enum EffectKind {
    SetOne { outcome: OutcomeId, value: Expr },
    SetKey { outcome: OutcomeId, key: String, value: Expr },
    Add { outcome: OutcomeId, values: Vec<Expr> },
    Require(u32),
    Forbid(u32),
}

impl Program {
    pub fn enum_values(&self, id: EnumId) -> &[String] {
        self.enums.get(id.0 as usize).map_or(&[], |def| def.values.as_slice())
    }

    pub fn rule_index(&self, id: &str) -> Option<usize> {
        self.rules.iter().position(|rule| rule.id == id)
    }

    pub fn fact(&self, id: FactId) -> Option<&FactDef> {
        self.facts.get(id.0 as usize)
    }

    /// The expression `expr` stands for once the terms it names are looked into:
    /// `term large means amount > 500` then `large` is the comparison itself.
    pub fn resolved<'a>(&'a self, mut expr: &'a Expr) -> &'a Expr {
        // Terms nest no deeper than the checker allows; this bounds a malformed program.
        for _ in 0..64 {
            match expr {
                Expr::Term(index) => match self.terms.get(*index) {
                    Some(body) => expr = body,
                    None => break,
                },
                _ => break,
            }
        }
        expr
    }

    pub fn outcome(&self, id: OutcomeId) -> Option<&OutcomeDef> {
        self.outcomes.get(id.0 as usize)
    }

    /// The facts an expression reads, through the terms it uses; each term is
    /// followed once (`seen`, by term index), so a DAG of terms costs its size.
    pub fn facts_read(&self, expr: &Expr, out: &mut Vec<FactId>, seen: &mut Vec<bool>) {
        if seen.len() < self.terms.len() {
            seen.resize(self.terms.len(), false);
        }
        let mut stack = vec![expr];
        while let Some(expr) = stack.pop() {
            match expr {
                Expr::Fact(id) => out.push(*id),
                Expr::Present { fact, .. } => out.push(*fact),
                Expr::Term(index) => {
                    if let Some(done) = seen.get_mut(*index)
                        && !*done
                    {
                        *done = true;
                        stack.extend(self.terms.get(*index));
                    }
                }
                _ => stack.extend(expr.children()),
            }
        }
    }

    /// The facts the defaults of `otherwise` in `expr` may stand in for, through
    /// terms (each followed once), in the order met; a fact more than once when
    /// several defaults may stand in for it (an explanation names the first that did).
    pub fn defaults_of(&self, expr: &Expr) -> Vec<Assumption> {
        let mut found = Vec::new();
        self.collect_defaults(expr, &mut found, &mut vec![false; self.terms.len()]);
        found
    }

    fn collect_defaults(&self, expr: &Expr, found: &mut Vec<Assumption>, seen: &mut Vec<bool>) {
        match expr {
            Expr::Otherwise(parts) => {
                if let (Some(first), Some(Expr::Const(default))) = (parts.first(), parts.last()) {
                    let mut facts = Vec::new();
                    self.facts_read(first, &mut facts, &mut Vec::new());
                    let direct = matches!(first, Expr::Fact(_));
                    found.extend(facts.into_iter().map(|fact| Assumption { fact, default: default.clone(), direct }));
                }
            }
            Expr::Term(index) => {
                if let Some(done) = seen.get_mut(*index)
                    && !*done
                {
                    *done = true;
                    if let Some(body) = self.terms.get(*index) {
                        self.collect_defaults(body, found, seen);
                    }
                }
                return;
            }
            _ => {}
        }
        for child in expr.children() {
            self.collect_defaults(child, found, seen);
        }
    }

    /// Calls `visit` on every top-level expression of the program: term bodies,
    /// blocks' `applies when`, rules' conditions and concluded values, assertions.
    pub fn for_each_expr(&self, mut visit: impl FnMut(&Expr)) {
        self.terms.iter().for_each(&mut visit);
        for applies in self.blocks.iter().filter_map(|block| block.applies.as_ref()) {
            visit(&applies.expr);
        }
        for rule in &self.rules {
            rule.when.iter().for_each(|when| visit(&when.expr));
            for effect in &rule.then {
                match &effect.kind {
                    EffectKind::SetOne { value, .. } | EffectKind::SetKey { value, .. } => visit(value),
                    EffectKind::Add { values, .. } => values.iter().for_each(&mut visit),
                    EffectKind::Require(_) | EffectKind::Forbid(_) => {}
                }
            }
        }
        for assertion in &self.assertions {
            assertion.when.iter().for_each(|when| visit(&when.expr));
            visit(&assertion.claim.expr);
        }
    }

    /// The enumeration of the duties outcome (the acts rules require or forbid).
    pub fn acts(&self) -> Option<EnumId> {
        match self.outcome(self.duties?)?.kind {
            OutcomeKind::Duties(id) => Some(id),
            _ => None,
        }
    }
}

/// Checks parsed files together: one rule set.
pub fn check(files: &[ast::File], sources: &Sources) -> (Program, Vec<Diagnostic>) {
    let mut checker = Checker {
        sources,
        program: Program::default(),
        diagnostics: Vec::new(),
        names: Names::default(),
        deps: Vec::new(),
        expanding: Vec::new(),
        reported: HashSet::new(),
    };
    checker.declarations(files);
    checker.rules(files);
    checker.order();
    checker.program.own_dates = own_dates(&checker.program);
    defaults(&mut checker.program);
    first_rule_from(&mut checker.program);
    (checker.program, checker.diagnostics)
}

/// Fills each rule condition's [`Condition::defaults`].
fn defaults(program: &mut Program) {
    let found: Vec<Vec<Vec<Assumption>>> = program
        .rules
        .iter()
        .map(|rule| rule.when.iter().map(|condition| program.defaults_of(&condition.expr)).collect())
        .collect();
    for (rule, found) in program.rules.iter_mut().zip(found) {
        for (condition, defaults) in rule.when.iter_mut().zip(found) {
            condition.defaults = defaults;
        }
    }
}

/// Fills each block's [`BlockDef::first_rule_from`], in one pass over the rules.
fn first_rule_from(program: &mut Program) {
    // Per block: (has a rule, every rule has a start date, earliest start).
    let mut seen: Vec<(bool, bool, Option<Date>)> = vec![(false, true, None); program.blocks.len()];
    for rule in &program.rules {
        if let Some(entry) = rule.block.and_then(|block| seen.get_mut(block)) {
            entry.0 = true;
            match rule.from {
                Some(from) => entry.2 = Some(entry.2.map_or(from, |earliest: Date| earliest.min(from))),
                None => entry.1 = false,
            }
        }
    }
    for (block, (has_rules, all_dated, earliest)) in program.blocks.iter_mut().zip(seen) {
        block.first_rule_from = if has_rules && all_dated { earliest } else { None };
    }
}

fn own_dates(program: &Program) -> Vec<FactId> {
    let mut later = HashSet::new();
    let mut read = Vec::new();
    let mut seen = Vec::new();
    program.for_each_expr(|expr| {
        may_follow_as_of(program, expr, &mut later);
        program.facts_read(expr, &mut read, &mut seen);
    });
    read.sort_unstable_by_key(|id| id.0);
    read.dedup();
    read.into_iter()
        .filter(|id| *id != program.as_of && !later.contains(id))
        .filter(|id| program.fact(*id).is_some_and(|def| def.ty == Type::Date))
        .collect()
}

/// The date facts compared with `as_of` as possibly later (`end >= as_of`, `as_of < end`).
fn may_follow_as_of(program: &Program, expr: &Expr, out: &mut HashSet<FactId>) {
    if let Expr::Compare { left, op, right } = expr {
        let is_as_of = |side: &Expr| matches!(side, Expr::Fact(id) if *id == program.as_of);
        let mut facts = Vec::new();
        if is_as_of(right) && matches!(op, CompareOp::Ge | CompareOp::Gt) {
            program.facts_read(left, &mut facts, &mut Vec::new());
        }
        if is_as_of(left) && matches!(op, CompareOp::Le | CompareOp::Lt) {
            program.facts_read(right, &mut facts, &mut Vec::new());
        }
        out.extend(facts);
    }
    expr.children().for_each(|child| may_follow_as_of(program, child, out));
}

/// Name tables built from the declarations.
#[derive(Default)]
struct Names {
    enums: HashMap<String, EnumId>,
    facts: HashMap<String, FactId>,
    sets: HashMap<String, (Value, Scalar, Span)>,
    outcomes: HashMap<String, OutcomeId>,
    terms: HashMap<String, ast::Expr>,
    /// Terms already compiled: their index in `Program::terms` and type.
    term_ids: HashMap<String, (usize, Type)>,
    /// Each term checked once per kind of place (`true`: a rule, which may read outcomes).
    term_checks: HashMap<(String, bool), Option<expr::TermCheck>>,
}

/// A recorded diagnostic's code, message and place.
type Reported = (&'static str, String, Option<(FileId, u32, u32)>);

struct Checker<'a> {
    sources: &'a Sources,
    program: Program,
    diagnostics: Vec<Diagnostic>,
    names: Names,
    /// What each rule reads and writes, by rule index.
    deps: Vec<rules::Deps>,
    /// Terms being expanded, to report a term defined through itself.
    expanding: Vec<String>,
    /// What `report` has recorded, to record each problem once.
    reported: HashSet<Reported>,
}

impl Checker<'_> {
    /// Records a problem once: a term is checked at every use, but its errors are
    /// reported at the term.
    fn report(&mut self, diagnostic: Diagnostic) {
        let place = diagnostic.primary.as_ref().map(|(span, _)| (span.file, span.start, span.end));
        // A set, not a scan of every earlier diagnostic: thousands of errors stay linear.
        if self.reported.insert((diagnostic.code, diagnostic.message.clone(), place)) {
            self.diagnostics.push(diagnostic);
        }
    }

    /// Source text of a span with runs of white space folded to one space.
    fn text(&self, span: Span) -> String {
        self.sources.slice(span).split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// Parses a `YYYY-MM-DD` date written in a rule file.
    fn date(&mut self, text: &str, span: Span) -> Option<Date> {
        match text.parse::<Date>() {
            Ok(date) => Some(date),
            Err(_) => {
                self.report(
                    Diagnostic::error("tenet::check::invalid_date", format!("`{text}` is not a date in the calendar"))
                        .at(span, "no such day")
                        .help("dates are written YYYY-MM-DD, e.g. `2024-01-31`"),
                );
                None
            }
        }
    }
}
