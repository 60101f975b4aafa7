//! Jurisdictions, contracts, principles and their rules.

use std::collections::HashMap;

use jiff::civil::Date;

use super::expr::Scope;
use super::{BlockDef, Checker, Condition, Effect, EffectKind, OutcomeId, OutcomeKind, RuleDef};
use crate::ast::{self, ExprKind, Item, Level, Strength};
use crate::diag::Diagnostic;
use crate::source::Span;
use crate::value::Type;

/// What a rule reads and writes, for ordering; kept beside the program.
#[derive(Clone, Debug, Default)]
pub(super) struct Deps {
    pub reads: Vec<OutcomeId>,
    pub reads_acts: Vec<u32>,
    pub writes: Vec<OutcomeId>,
    pub writes_acts: Vec<u32>,
    pub overrides: Vec<ast::Name>,
}

impl Checker<'_> {
    pub(super) fn rules(&mut self, files: &[ast::File]) {
        let mut seen: HashMap<String, Span> = HashMap::new();
        for file in files {
            for item in &file.items {
                match item {
                    Item::Block(block) => {
                        if let Some(first) = seen.insert(format!("block {}", block.id.text), block.id.span) {
                            self.duplicate(
                                "tenet::check::duplicate_block",
                                &format!("`{}` is declared twice", block.id.text),
                                block.id.span,
                                first,
                            );
                        }
                        let index = self.block(block);
                        for rule in &block.rules {
                            self.rule(rule, Some(index), &mut seen);
                        }
                    }
                    Item::Rule(rule) => self.rule(rule, None, &mut seen),
                    Item::Assertion(assertion) => self.assertion(assertion, &mut seen),
                    _ => {}
                }
            }
        }
    }

    fn duplicate(&mut self, code: &'static str, message: &str, span: Span, first: Span) {
        let location = self.sources.location(first);
        self.report(
            Diagnostic::error(code, message)
                .at(span, "declared again here")
                .also(first, "first declared here")
                .help(format!("first declared at {location}; ids must be unique across the rule set")),
        );
    }

    fn block(&mut self, block: &ast::Block) -> usize {
        self.single("applies when", block.applies.iter().map(|expr| expr.span));
        self.single("effective", block.effective.iter().map(|dated| dated.span));
        self.single("until", block.until.iter().map(|dated| dated.span));
        let applies = block.applies.first().and_then(|expr| {
            let mut scope = Scope::default();
            let checked = self.condition(expr, &mut scope)?;
            Some(Condition {
                expr: checked,
                text: self.text(expr.span),
                facts: scope.facts,
                outcomes: Vec::new(),
                defaults: Vec::new(),
            })
        });
        let (from, until) = self.dates(&block.effective, &block.until);
        let index = self.program.blocks.len();
        self.program.blocks.push(BlockDef {
            id: block.id.text.clone(),
            title: block.title.text.clone(),
            strength: block.strength,
            applies,
            from,
            until,
            first_rule_from: None,
        });
        index
    }

    /// Reports a clause written more than once.
    fn single(&mut self, clause: &str, spans: impl Iterator<Item = Span>) {
        let spans: Vec<Span> = spans.collect();
        if let [first, second, ..] = spans.as_slice() {
            self.report(
                Diagnostic::error("tenet::check::duplicate_clause", format!("`{clause}` is written twice"))
                    .at(*second, "written again here")
                    .also(*first, "first written here")
                    .help(if clause.ends_with("when") {
                        String::from("write one condition; combine conditions with `and` or `or`")
                    } else {
                        format!("keep one `{clause}`")
                    }),
            );
        }
    }

    /// `effective` and `until`, checked against each other.
    fn dates(&mut self, effective: &[ast::Dated], until: &[ast::Dated]) -> (Option<Date>, Option<Date>) {
        let from = effective.first().and_then(|dated| self.date(&dated.text, dated.span));
        let to = until.first().and_then(|dated| self.date(&dated.text, dated.span));
        if let (Some(from_date), Some(to_date), Some(until_dated)) = (from, to, until.first())
            && to_date < from_date
        {
            let effective_span = effective.first().map(|dated| dated.span).unwrap_or_default();
            self.report(
                Diagnostic::error(
                    "tenet::check::until_before_effective",
                    format!("`until {to_date}` is before `effective {from_date}`"),
                )
                .at(until_dated.span, "ends before it starts")
                .also(effective_span, "starts here")
                .help("`until` is the last day in force; it cannot come before `effective`"),
            );
        }
        (from, to)
    }

    fn rule(&mut self, rule: &ast::Rule, block_index: Option<usize>, seen: &mut HashMap<String, Span>) {
        // Ids are compared without regard to case: `sg-1` and `SG-1` are one rule
        // to a reader and in `overrides`.
        if let Some(first) = seen.insert(rule.id.text.to_lowercase(), rule.id.span) {
            let earlier = self.sources.slice(first).to_string();
            let message = if earlier == rule.id.text {
                format!("rule `{}` is declared twice", rule.id.text)
            } else {
                format!("rule `{}` is declared twice (first as `{earlier}`: ids ignore case)", rule.id.text)
            };
            self.duplicate("tenet::check::duplicate_rule", &message, rule.id.span, first);
            return;
        }
        self.single("when", rule.when.iter().map(|expr| expr.span));
        self.single("effective", rule.effective.iter().map(|dated| dated.span));
        self.single("until", rule.until.iter().map(|dated| dated.span));
        self.single("confidence", rule.confidence.iter().map(|(_, span)| *span));
        if rule.cites.is_empty() {
            self.report(
                Diagnostic::warning("tenet::check::no_citation", format!("rule `{}` cites no source", rule.id.text))
                    .at(rule.id.span, "no `cite`")
                    .help("add the provision it encodes, e.g. `cite \"18 U.S.C. § 2703(h)\"`"),
            );
        }
        let block_def = block_index.and_then(|index| self.program.blocks.get(index));
        let strength = block_def.map_or(Strength::Soft, |def| def.strength);
        let (block_from, block_until) = block_def.map_or((None, None), |def| (def.from, def.until));
        let (own_from, own_until) = self.dates(&rule.effective, &rule.until);
        let from = later(own_from, block_from);
        let until = earlier(own_until, block_until);
        if let (Some(from), Some(until)) = (from, until)
            && until < from
            && !matches!((own_from, own_until), (Some(own_from), Some(own_until)) if own_until < own_from)
        {
            self.report(
                Diagnostic::error("tenet::check::never_in_force", format!("rule `{}` is never in force", rule.id.text))
                    .at(rule.id.span, format!("in force from {from} until {until}: no day at all"))
                    .help("its dates do not overlap the dates of its block; correct `effective` or `until`"),
            );
        }
        let mut deps = Deps { overrides: rule.overrides.clone(), ..Deps::default() };
        let when = self.conjuncts(rule.when.first(), &mut deps);
        let then = rule.then.iter().filter_map(|conclusion| self.conclusion(conclusion, &mut deps)).collect();
        let (reads, reads_acts) = (deps.reads.clone(), deps.reads_acts.clone());
        self.deps.push(deps);
        self.program.rules.push(RuleDef {
            id: rule.id.text.clone(),
            title: rule.title.text.clone(),
            cites: rule.cites.iter().map(|cite| cite.text.clone()).collect(),
            block: block_index,
            strength,
            from,
            until,
            confidence: rule.confidence.first().map_or(Level::High, |(level, _)| *level),
            overrides: Vec::new(),
            overridden_by: Vec::new(),
            when,
            then,
            reads,
            reads_acts,
            span: rule.span,
        });
    }

    /// An assertion: its conditions and claim are checked as a rule's conditions
    /// (they may read outcomes and duties); its id shares the rules' namespace.
    fn assertion(&mut self, assertion: &ast::Assertion, seen: &mut HashMap<String, Span>) {
        if let Some(first) = seen.insert(assertion.id.text.to_lowercase(), assertion.id.span) {
            let message = format!("`{}` is declared twice (assertions and rules share ids)", assertion.id.text);
            self.duplicate("tenet::check::duplicate_rule", &message, assertion.id.span, first);
            return;
        }
        self.single("when", assertion.when.iter().map(|expr| expr.span));
        let mut deps = Deps::default();
        let when = self.conjuncts(assertion.when.first(), &mut deps);
        let mut scope = Scope { outcomes: true, ..Scope::default() };
        let Some(expr) = self.condition(&assertion.claim, &mut scope) else { return };
        let claim = Condition {
            expr,
            text: self.text(assertion.claim.span),
            facts: scope.facts,
            outcomes: scope.read_outcomes,
            defaults: Vec::new(),
        };
        self.program.assertions.push(super::AssertionDef {
            id: assertion.id.text.clone(),
            title: assertion.title.text.clone(),
            cites: assertion.cites.iter().map(|cite| cite.text.clone()).collect(),
            when,
            always: assertion.always,
            claim,
            span: assertion.span,
        });
    }

    /// Splits `when a and b and c` into conditions explained one by one.
    fn conjuncts(&mut self, when: Option<&ast::Expr>, deps: &mut Deps) -> Vec<Condition> {
        let Some(when) = when else { return Vec::new() };
        let parts: Vec<&ast::Expr> = match &when.kind {
            ExprKind::And(parts) => parts.iter().collect(),
            _ => vec![when],
        };
        let mut out = Vec::with_capacity(parts.len());
        for part in parts {
            let mut scope = Scope { outcomes: true, ..Scope::default() };
            if let Some(expr) = self.condition(part, &mut scope) {
                merge(&mut deps.reads, &scope.read_outcomes);
                merge(&mut deps.reads_acts, &scope.read_acts);
                out.push(Condition {
                    expr,
                    text: self.text(part.span),
                    facts: scope.facts,
                    outcomes: scope.read_outcomes,
                    defaults: Vec::new(),
                });
            }
        }
        out
    }

    fn conclusion(&mut self, conclusion: &ast::Conclusion, deps: &mut Deps) -> Option<Effect> {
        let mut scope = Scope { outcomes: true, ..Scope::default() };
        let (kind, span) = match conclusion {
            ast::Conclusion::Set { outcome, key, value } => {
                let span = outcome.span;
                let id = self.outcome_named(outcome)?;
                let kind = self.program.outcome(id)?.kind;
                let effect = match (kind, key) {
                    (OutcomeKind::One(enum_id), None) => {
                        let (expr, ty) = self.expr(value, Some(Type::Enum(enum_id)), &mut scope)?;
                        self.expect(value, ty, Type::Enum(enum_id))?;
                        EffectKind::SetOne { outcome: id, value: expr }
                    }
                    (OutcomeKind::Map(scalar), Some(key)) => {
                        let (expr, ty) = self.expr(value, Some(scalar.ty()), &mut scope)?;
                        self.expect(value, ty, scalar.ty())?;
                        EffectKind::SetKey { outcome: id, key: key.text.clone(), value: expr }
                    }
                    (OutcomeKind::Map(_), None) => {
                        return self.wrong_conclusion(
                            span,
                            "name the date to set",
                            format!("write e.g. `set {}.respond_by to ...`", outcome.text),
                        );
                    }
                    (OutcomeKind::Set(_), _) => {
                        return self.wrong_conclusion(
                            span,
                            "values are added to a set",
                            format!("write `add <value> to {}`", outcome.text),
                        );
                    }
                    (OutcomeKind::Duties(_), _) => {
                        return self.wrong_conclusion(
                            span,
                            "duties are set with `require` and `forbid`",
                            String::from("write `require <act>` or `forbid <act>`"),
                        );
                    }
                    (OutcomeKind::Confidence, _) => {
                        return self.wrong_conclusion(
                            span,
                            "confidence is computed from the rules that decided",
                            String::from("give the rule a `confidence` clause instead"),
                        );
                    }
                    (OutcomeKind::One(_), Some(_)) => {
                        return self.wrong_conclusion(
                            span,
                            "this outcome holds one value, not named dates",
                            format!("write `set {} to <value>`", outcome.text),
                        );
                    }
                };
                merge(&mut deps.writes, &[id]);
                (effect, span)
            }
            ast::Conclusion::Add { values, outcome } => {
                let id = self.outcome_named(outcome)?;
                let OutcomeKind::Set(enum_id) = self.program.outcome(id)?.kind else {
                    return self.wrong_conclusion(
                        outcome.span,
                        "only a `set of` outcome can be added to",
                        format!("write `set {} to <value>`", outcome.text),
                    );
                };
                let mut checked = Vec::with_capacity(values.len());
                for value in values {
                    let (expr, ty) = self.expr(value, Some(Type::Enum(enum_id)), &mut scope)?;
                    self.expect(value, ty, Type::Enum(enum_id))?;
                    checked.push(expr);
                }
                merge(&mut deps.writes, &[id]);
                let span = values.first().map_or(outcome.span, |first| first.span);
                (EffectKind::Add { outcome: id, values: checked }, span)
            }
            ast::Conclusion::Require(act) | ast::Conclusion::Forbid(act) => {
                let index = self.act(act, true)?;
                merge(&mut deps.writes_acts, &[index]);
                let kind = if matches!(conclusion, ast::Conclusion::Require(_)) {
                    EffectKind::Require(index)
                } else {
                    EffectKind::Forbid(index)
                };
                (kind, act.span)
            }
        };
        merge(&mut deps.reads, &scope.read_outcomes);
        merge(&mut deps.reads_acts, &scope.read_acts);
        Some(Effect { kind, text: conclusion_text(self, conclusion, span) })
    }

    fn outcome_named(&mut self, name: &ast::Name) -> Option<OutcomeId> {
        if let Some(id) = self.names.outcomes.get(&name.text) {
            return Some(*id);
        }
        let candidates: Vec<&str> = self.names.outcomes.keys().map(String::as_str).collect();
        let diagnostic = Diagnostic::error("tenet::check::unknown_outcome", format!("unknown outcome `{}`", name.text))
            .at(name.span, "not a declared outcome")
            .suggest(&name.text, candidates);
        self.report(diagnostic);
        None
    }

    fn expect(&mut self, at: &ast::Expr, found: Type, expected: Type) -> Option<()> {
        if found == expected {
            return Some(());
        }
        let (found_name, expected_name) = (self.type_name(found), self.type_name(expected));
        self.report(
            Diagnostic::error(
                "tenet::check::wrong_value_type",
                format!("this outcome takes {expected_name}, not {found_name}"),
            )
            .at(at.span, format!("this is {found_name}")),
        );
        None
    }

    fn wrong_conclusion<T>(&mut self, span: Span, message: &str, help: String) -> Option<T> {
        self.report(
            Diagnostic::error("tenet::check::wrong_conclusion", message.to_string()).at(span, "here").help(help),
        );
        None
    }
}

/// The text of a conclusion as written: from its keyword to its end.
fn conclusion_text(checker: &Checker<'_>, conclusion: &ast::Conclusion, _span: Span) -> String {
    match conclusion {
        ast::Conclusion::Set { outcome, key, value } => {
            let target = key.as_ref().map_or(outcome.text.clone(), |key| format!("{}.{}", outcome.text, key.text));
            format!("set {target} to {}", checker.text(value.span))
        }
        ast::Conclusion::Add { values, outcome } => {
            let values: Vec<String> = values.iter().map(|value| checker.text(value.span)).collect();
            format!("add {} to {}", values.join(", "), outcome.text)
        }
        ast::Conclusion::Require(act) => format!("require {}", act.text),
        ast::Conclusion::Forbid(act) => format!("forbid {}", act.text),
    }
}

fn merge<T: Copy + PartialEq>(into: &mut Vec<T>, from: &[T]) {
    for item in from {
        if !into.contains(item) {
            into.push(*item);
        }
    }
}

fn later(a: Option<Date>, b: Option<Date>) -> Option<Date> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn earlier(a: Option<Date>, b: Option<Date>) -> Option<Date> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
