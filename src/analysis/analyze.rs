//! `tenet analyze`: what a rule set does for every request class, proved over
//! the classes of [`super::space`] with the model of [`super::symbolic`], and
//! shown with witness requests that the real evaluator is run on.
//!
//! Findings: gaps (a `required` outcome left unset), conflicts (two rules
//! setting one outcome to different values, an act required and forbidden),
//! dead and shadowed rules, violated assertions, and (over all dates) the days
//! on which a rule coming into or out of force changes a decision.

use std::collections::BTreeMap;

use biodivine_lib_bdd::Bdd;
use jiff::civil::Date;
use serde::Serialize;
use serde_json::Value as Json;

use super::depend::{Settled, settled};
use super::space::Space;
use super::symbolic::{Model, duty_regions, model};
use crate::ast::Strength;
use crate::check::{Expr, OutcomeId, Program};
use crate::eval::{ConflictSubject, Outcome, Status, evaluate, in_force};
use crate::facts::Schema;

/// How many alternatives of a region are described, each with a witness.
pub const SHOWN_ALTERNATIVES: usize = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

/// One thing the analysis found.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// `gap`, `conflict`, `handled_conflict`, `dead_rule`, `shadowed_rule`, `violation`, `date_change`.
    pub kind: &'static str,
    pub severity: Severity,
    /// One line: what it is.
    pub message: String,
    /// The rules, outcome, act or assertion it is about.
    pub subject: Vec<String>,
    /// The date it was found on.
    pub as_of: String,
    /// How many request classes it concerns (a decimal integer; may be large).
    pub classes: String,
    /// The region of requests, as alternatives.
    pub region: Vec<Region>,
    /// Further alternatives not shown.
    pub more: usize,
}

/// One alternative of a region: its facts, and a witness request.
#[derive(Clone, Debug, Serialize)]
pub struct Region {
    pub description: String,
    /// The facts JSON of one request in the region (absent when none is needed).
    pub witness: Option<Json>,
    /// What the evaluator gives on the witness, in words.
    pub evaluated: String,
    /// Whether the evaluator agrees with the analysis on the witness. A `false`
    /// here is a defect of tenet, never of the rules.
    pub confirmed: bool,
}

/// The whole report of `tenet analyze`.
#[derive(Clone, Debug, Serialize)]
pub struct Analysis {
    pub dates: Vec<String>,
    /// How many request classes there are on one date.
    pub classes: String,
    /// Facts whose classes are a sample (they are compared with other facts or
    /// computed with): the proof covers the representatives of those facts.
    pub sampled: Vec<String>,
    /// Expressions the analysis could not follow (treated as unknown).
    pub unsupported: Vec<String>,
    pub findings: Vec<Finding>,
}

impl Analysis {
    pub fn errors(&self) -> usize {
        self.findings.iter().filter(|finding| finding.severity == Severity::Error).count()
    }

    pub fn warnings(&self) -> usize {
        self.findings.iter().filter(|finding| finding.severity == Severity::Warning).count()
    }

    /// Witnesses the evaluator disagrees on: defects of tenet.
    pub fn disagreements(&self) -> usize {
        self.findings.iter().flat_map(|finding| &finding.region).filter(|region| !region.confirmed).count()
    }
}

/// Analyzes `program` on `as_of`.
pub fn analyze(program: &Program, as_of: Date) -> Analysis {
    let space = Space::new(&[program], &[as_of]);
    let model = model(program, &space, as_of);
    let checker = Checker { program, schema: Schema::new(program), space: &space, seen: Default::default() };
    let mut findings = Vec::new();
    checker.all(&model, &mut findings);
    findings.extend(dead_rules(program, &space, &model).into_iter().map(|rule| dead_finding(rule, &as_of.to_string())));
    Analysis {
        dates: vec![as_of.to_string()],
        classes: space.count(&space.vars.mk_true()),
        sampled: sampled(&space),
        unsupported: model.unsupported.iter().map(|why| why.0.clone()).collect(),
        findings,
    }
}

/// Analyzes `program` in every period between the days on which a rule or
/// block comes into or goes out of force (or a date the rules name begins):
/// the findings of each period (each reported once, on the first date it
/// holds), rules that can fire on no date at all, and for each boundary the
/// request classes whose single-valued outcomes change.
pub fn analyze_all_dates(program: &Program) -> Analysis {
    let boundaries = boundaries(program);
    let mut dates: Vec<Date> = boundaries.clone();
    if let Some(before) = boundaries.first().and_then(|first| first.yesterday().ok()) {
        dates.insert(0, before);
    }
    if dates.is_empty() {
        dates.push(Date::default());
    }
    // One space for every date, so that two dates' models compare class by class.
    let space = Space::new(&[program], &dates);
    let models: Vec<Model> = {
        use rayon::prelude::*;
        dates.par_iter().map(|date| model(program, &space, *date)).collect()
    };
    let checker = Checker { program, schema: Schema::new(program), space: &space, seen: Default::default() };
    let mut findings = Vec::new();
    let mut unsupported: Vec<String> = Vec::new();
    let mut can_fire = vec![false; program.rules.len()];
    for model in &models {
        checker.all(model, &mut findings);
        let dead = dead_rules(program, &space, model);
        for (index, rule) in program.rules.iter().enumerate() {
            let in_force_here = in_force(model.as_of, rule.from, rule.until);
            if in_force_here
                && !dead.iter().any(|dead| std::ptr::eq(*dead, rule))
                && let Some(slot) = can_fire.get_mut(index)
            {
                *slot = true;
            }
        }
        for why in &model.unsupported {
            if !unsupported.contains(&why.0) {
                unsupported.push(why.0.clone());
            }
        }
    }
    for (rule, fires) in program.rules.iter().zip(can_fire) {
        if !fires {
            findings.push(dead_finding(rule, "any date"));
        }
    }
    for pair in models.windows(2) {
        if let [before, after] = pair {
            date_changes(program, &space, before, after, &mut findings);
        }
    }
    Analysis {
        dates: dates.iter().map(ToString::to_string).collect(),
        classes: space.count(&space.vars.mk_true()),
        sampled: sampled(&space),
        unsupported,
        findings,
    }
}

/// The rules in force on the model's date that no request can make hold.
fn dead_rules<'p>(program: &'p Program, space: &Space, model: &Model) -> Vec<&'p crate::check::RuleDef> {
    program
        .rules
        .iter()
        .enumerate()
        .filter(|(_, rule)| in_force(model.as_of, rule.from, rule.until))
        .filter(|(index, _)| model.holds.get(*index).is_none_or(|holds| holds.and(&space.valid).is_false()))
        .map(|(_, rule)| rule)
        .collect()
}

/// Every day on which some rule or block comes into force or has gone out of force.
pub fn boundaries(program: &Program) -> Vec<Date> {
    let mut days = std::collections::BTreeSet::new();
    let mut add = |from: Option<Date>, until: Option<Date>| {
        if let Some(from) = from {
            days.insert(from);
        }
        if let Some(next) = until.and_then(|until| until.tomorrow().ok()) {
            days.insert(next);
        }
    };
    for block in &program.blocks {
        add(block.from, block.until);
    }
    for rule in &program.rules {
        add(rule.from, rule.until);
    }
    // Dates the rules compare the date of evaluation with (`as_of >= 2023-07-10`, also
    // shifted, through terms, or as the fallback of `otherwise`).
    program.for_each_expr(|expr| as_of_dates(program, expr, &mut days));
    days.into_iter().collect()
}

/// The days on which a comparison of `as_of` (or `as_of ± days`, or a term or an
/// `otherwise` that may take it) with a date constant changes, anywhere in `expr`.
fn as_of_dates(program: &Program, expr: &Expr, days: &mut std::collections::BTreeSet<Date>) {
    if let Expr::Compare { left, right, .. } | Expr::Is { left, right, .. } = expr {
        for (side, other) in [(left, right), (right, left)] {
            if let Expr::Const(crate::value::Value::Date(date)) = program.resolved(other) {
                for threshold in super::domain::as_of_thresholds(program, side, *date) {
                    days.insert(threshold);
                    if let Ok(next) = threshold.tomorrow() {
                        days.insert(next);
                    }
                }
            }
        }
    }
    expr.children().for_each(|child| as_of_dates(program, child, days));
}

/// The request classes whose single-valued outcomes differ between two
/// consecutive periods (models of one space).
fn date_changes(program: &Program, space: &Space, old: &Model, new: &Model, findings: &mut Vec<Finding>) {
    let (before, day) = (old.as_of, new.as_of);
    let schema = Schema::new(program);
    let changed_rules: Vec<String> = program
        .rules
        .iter()
        .filter(|rule| in_force(before, rule.from, rule.until) != in_force(day, rule.from, rule.until))
        .map(|rule| rule.id.clone())
        .collect();
    for (outcome, name) in required_or_single(program) {
        for ((from, to), region) in changes_between(space, (old, outcome, program), (new, outcome, program)) {
            let evaluate_both = |json: &Json| -> (String, bool) {
                let at = |date: Date| {
                    let facts = crate::facts::from_value(program, &schema, json, Some(date)).ok()?;
                    let result = evaluate(program, &facts);
                    Some(settled_text(&settled(program, &result, OutcomeId(outcome as u32))))
                };
                match (at(before), at(day)) {
                    (Some(old), Some(new)) => {
                        let agrees = old == from && new == to;
                        (format!("{name} is {old} on {before} and {new} on {day}"), agrees)
                    }
                    _ => (String::from("the witness is not a valid request"), false),
                }
            };
            let (regions, more) = witnesses(space, &region, day, 1, &evaluate_both);
            let mut subject = vec![day.to_string(), name.clone(), from.clone(), to.clone()];
            subject.extend(changed_rules.iter().cloned());
            let because = if changed_rules.is_empty() {
                String::new()
            } else {
                format!(" ({} in or out of force)", changed_rules.join(", "))
            };
            findings.push(Finding {
                kind: "date_change",
                severity: Severity::Note,
                message: format!("from {day}{because}: {name} {from} → {to}"),
                subject,
                as_of: day.to_string(),
                classes: space.count(&region),
                region: regions,
                more,
            });
        }
    }
}

/// Per (old result, new result), the classes where one single-valued outcome
/// (which may have another index in each program) goes from one to the other.
fn changes_between(
    space: &Space,
    (old, old_outcome, old_program): (&Model, usize, &Program),
    (new, new_outcome, new_program): (&Model, usize, &Program),
) -> Vec<((String, String), Bdd)> {
    let results = |model: &Model, program: &Program, outcome: usize| -> Vec<(String, Bdd)> {
        let mut out: Vec<(String, Bdd)> = Vec::new();
        let mut covered = space.vars.mk_false();
        for (value, set) in model.values.get(&outcome).into_iter().flatten() {
            let shown = crate::value::Shown { value, enums: &program.enums }.to_string();
            covered = covered.or(set);
            out.push((shown, set.clone()));
        }
        if let Some(conflict) = model.conflicts.get(&outcome) {
            covered = covered.or(conflict);
            out.push((settled_text(&Settled::Conflict), conflict.clone()));
        }
        out.push((settled_text(&Settled::Unset), covered.not()));
        out
    };
    let (before, after) = (results(old, old_program, old_outcome), results(new, new_program, new_outcome));
    let mut out = Vec::new();
    for (from, old_set) in &before {
        for (to, new_set) in &after {
            if from == to {
                continue;
            }
            let both = old_set.and(new_set);
            if !both.and(&space.valid).is_false() {
                out.push(((from.clone(), to.clone()), both));
            }
        }
    }
    out
}

/// `tenet diff --exhaustive`: every class of request whose single-valued
/// outcomes differ between two versions of a rule set on `as_of`, grouped by
/// (outcome, old result → new result), each with a witness that both
/// versions' evaluators are run on.
pub fn compare(old: &Program, new: &Program, as_of: Date) -> Vec<Finding> {
    let space = Space::new(&[old, new], &[as_of]);
    let (old_model, new_model) = (model(old, &space, as_of), model(new, &space, as_of));
    let (old_schema, new_schema) = (Schema::new(old), Schema::new(new));
    let mut findings = Vec::new();
    for (new_outcome, name) in required_or_single(new) {
        let Some(old_outcome) = old.outcomes.iter().position(|def| def.name == name) else { continue };
        let groups = changes_between(&space, (&old_model, old_outcome, old), (&new_model, new_outcome, new));
        for ((from, to), region) in groups {
            let check = |json: &Json| -> (String, bool) {
                let run = |program: &Program, schema: &Schema, outcome: usize| {
                    let facts = crate::facts::from_value(program, schema, json, None).ok()?;
                    let result = evaluate(program, &facts);
                    Some(settled_text(&settled(program, &result, OutcomeId(outcome as u32))))
                };
                match (run(old, &old_schema, old_outcome), run(new, &new_schema, new_outcome)) {
                    (Some(before), Some(after)) => {
                        let agrees = before == from && after == to;
                        (format!("{name} is {before} before and {after} after"), agrees)
                    }
                    _ => (String::from("the witness is not a valid request for both versions"), false),
                }
            };
            let (regions, more) = witnesses(&space, &region, as_of, SHOWN_ALTERNATIVES, &check);
            findings.push(Finding {
                kind: "outcome_change",
                severity: Severity::Note,
                message: format!("{name}: {from} → {to}"),
                subject: vec![name.clone(), from, to],
                as_of: as_of.to_string(),
                classes: space.count(&region),
                region: regions,
                more,
            });
        }
    }
    findings
}

/// A single-valued outcome's result in words.
pub fn settled_text(settled: &Settled) -> String {
    match settled {
        Settled::Value(value) => value.clone(),
        Settled::Unset => String::from("(no value)"),
        Settled::Conflict => String::from("(conflict)"),
    }
}

/// The single-valued outcomes, `required` ones first.
fn required_or_single(program: &Program) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String, bool)> = program
        .outcomes
        .iter()
        .enumerate()
        .filter(|(_, def)| matches!(def.kind, crate::check::OutcomeKind::One(_)))
        .map(|(index, def)| (index, def.name.clone(), def.required))
        .collect();
    out.sort_by_key(|(index, _, required)| (!required, *index));
    out.into_iter().map(|(index, name, _)| (index, name)).collect()
}

/// The facts whose classes are a sample.
fn sampled(space: &Space) -> Vec<String> {
    space.facts.iter().filter(|fact| !fact.exact).map(|fact| fact.path.clone()).collect()
}

/// Up to `shown` alternatives of `region`, each with a witness
/// that `check` runs through the evaluator.
/// Also says whether there are more alternatives than those shown.
pub fn witnesses(
    space: &Space,
    region: &Bdd,
    as_of: Date,
    shown: usize,
    check: &dyn Fn(&Json) -> (String, bool),
) -> (Vec<Region>, usize) {
    // Alternatives that read the same (two classes of other texts) are shown once.
    let mut cubes: Vec<(String, super::space::Alternative)> = Vec::new();
    for cube in space.alternatives(region, 4 * shown + 1) {
        let description = space.describe_alternative(&cube);
        if !cubes.iter().any(|(seen, _)| *seen == description) {
            cubes.push((description, cube));
        }
    }
    let more = cubes.len().saturating_sub(shown);
    cubes.truncate(shown);
    let regions = cubes
        .into_iter()
        .map(|(description, cube)| {
            let witness = Some(space.witness_json(&space.witness(&cube), as_of));
            let (evaluated, confirmed) = match &witness {
                Some(json) => check(json),
                None => (String::from("no request"), false),
            };
            Region { description, witness, evaluated, confirmed }
        })
        .collect();
    (regions, more)
}

fn dead_finding(rule: &crate::check::RuleDef, when: &str) -> Finding {
    Finding {
        kind: "dead_rule",
        severity: Severity::Warning,
        message: format!("rule `{}` can fire for no request on {when}", rule.id),
        subject: vec![rule.id.clone()],
        as_of: String::new(),
        classes: String::from("0"),
        region: Vec::new(),
        more: 0,
    }
}

struct Checker<'a> {
    program: &'a Program,
    schema: Schema,
    space: &'a Space,
    /// (kind, subject) of every finding reported so far.
    seen: std::cell::RefCell<std::collections::BTreeSet<(&'static str, Vec<String>)>>,
}

impl Checker<'_> {
    /// Every kind of finding but dead rules, on the model's date.
    fn all(&self, model: &Model, findings: &mut Vec<Finding>) {
        self.gaps(model, findings);
        self.conflicts(model, findings);
        self.duty_conflicts(model, findings);
        self.violations(model, findings);
        self.shadowed(model, findings);
    }

    /// Runs the evaluator on a witness.
    fn run(&self, json: &Json) -> Option<Outcome> {
        let facts = crate::facts::from_value(self.program, &self.schema, json, None).ok()?;
        let outcome = evaluate(self.program, &facts);
        outcome.errors.is_empty().then_some(outcome)
    }

    fn finding(
        &self,
        model: &Model,
        (kind, severity, message, subject): (&'static str, Severity, String, Vec<String>),
        region: &Bdd,
        check: &dyn Fn(&Outcome) -> (String, bool),
    ) -> Option<Finding> {
        // A finding already reported (on an earlier date) is not worked out again.
        if !self.seen.borrow_mut().insert((kind, subject.clone())) {
            return None;
        }
        let run = |json: &Json| match self.run(json) {
            Some(outcome) => check(&outcome),
            None => (String::from("the witness is not a valid request"), false),
        };
        // Notes show one example; what needs fixing shows several.
        let shown = if severity == Severity::Note { 1 } else { SHOWN_ALTERNATIVES };
        let (regions, more) = witnesses(self.space, region, model.as_of, shown, &run);
        Some(Finding {
            kind,
            severity,
            message,
            subject,
            as_of: model.as_of.to_string(),
            classes: self.space.count(region),
            region: regions,
            more,
        })
    }

    fn gaps(&self, model: &Model, findings: &mut Vec<Finding>) {
        for (index, def) in self.program.outcomes.iter().enumerate() {
            if !def.required {
                continue;
            }
            let decided = model
                .values
                .get(&index)
                .into_iter()
                .flatten()
                .fold(self.space.vars.mk_false(), |acc, (_, set)| acc.or(set));
            let conflicted = model.conflicts.get(&index).cloned().unwrap_or_else(|| self.space.vars.mk_false());
            let gap = decided.or(&conflicted).not();
            if gap.and(&self.space.valid).is_false() {
                continue;
            }
            let id = OutcomeId(index as u32);
            let check = |outcome: &Outcome| {
                let result = settled(self.program, outcome, id);
                (format!("{} is {}", def.name, settled_text(&result)), result == Settled::Unset)
            };
            findings.extend(self.finding(
                model,
                (
                    "gap",
                    Severity::Error,
                    format!("`{}` is required but some requests get no {}", def.name, def.name),
                    vec![def.name.clone()],
                ),
                &gap,
                &check,
            ));
        }
    }

    fn strength(&self, rule: usize) -> Strength {
        self.program.rules.get(rule).map_or(Strength::Soft, |def| def.strength)
    }

    /// Every pair of rules that can set one single-valued outcome to two values
    /// at the strongest level that speaks.
    fn conflicts(&self, model: &Model, findings: &mut Vec<Finding>) {
        // Single-valued outcomes, then each named value of a map (`deadlines.respond_by`).
        let subjects = model
            .candidates
            .iter()
            .filter_map(|(index, candidates)| Some((*index, None, candidates, model.conflicts.get(index)?)))
            .chain(
                model.keyed.iter().map(|(index, key, candidates, conflict)| (*index, Some(key), candidates, conflict)),
            );
        for (index, key, candidates, conflict) in subjects {
            if conflict.and(&self.space.valid).is_false() {
                continue;
            }
            let Some(def) = self.program.outcomes.get(index) else { continue };
            let name = match key {
                Some(key) => format!("{}.{key}", def.name),
                None => def.name.clone(),
            };
            let mut pairs: BTreeMap<(usize, usize), Bdd> = BTreeMap::new();
            let mut above = self.space.vars.mk_false();
            for level in [Strength::Law, Strength::Contract, Strength::Soft] {
                let here: Vec<&(usize, Bdd, crate::value::Value)> =
                    candidates.iter().filter(|(rule, _, _)| self.strength(*rule) == level).collect();
                for (position, (a, a_set, a_value)) in here.iter().enumerate() {
                    for (b, b_set, b_value) in here.iter().skip(position + 1) {
                        if a == b || a_value.same(b_value) {
                            continue;
                        }
                        let both = a_set.and(b_set).and_not(&above).and(conflict);
                        if both.and(&self.space.valid).is_false() {
                            continue;
                        }
                        let key = (*a.min(b), *a.max(b));
                        let entry = pairs.entry(key).or_insert_with(|| self.space.vars.mk_false());
                        *entry = entry.or(&both);
                    }
                }
                above = here.iter().fold(above, |acc, (_, set, _)| acc.or(set));
            }
            let id = OutcomeId(index as u32);
            for ((a, b), region) in pairs {
                let (Some(rule_a), Some(rule_b)) = (self.program.rules.get(a), self.program.rules.get(b)) else {
                    continue;
                };
                let check = |outcome: &Outcome| {
                    let found = outcome.conflicts.iter().find(|conflict| {
                        matches!(&conflict.subject, ConflictSubject::Outcome { outcome, key: found } if *outcome == id && found.as_ref() == key)
                    });
                    match found {
                        Some(conflict) => {
                            let sides: Vec<String> = conflict
                                .sides
                                .iter()
                                .map(|(rule, value)| {
                                    let rule = self.program.rules.get(*rule).map_or("?", |def| def.id.as_str());
                                    format!("{rule} sets {value}")
                                })
                                .collect();
                            let both = [a, b].iter().all(|rule| conflict.sides.iter().any(|(side, _)| side == rule));
                            (format!("{name} in conflict: {}", sides.join(", ")), both)
                        }
                        None => (format!("{name} is not in conflict"), false),
                    }
                };
                findings.extend(self.finding(
                    model,
                    (
                        "conflict",
                        Severity::Error,
                        format!("`{}` and `{}` can set `{name}` to different values", rule_a.id, rule_b.id),
                        vec![rule_a.id.clone(), rule_b.id.clone(), name.clone()],
                    ),
                    &region,
                    &check,
                ));
            }
        }
    }

    /// Every act some request makes both required and forbidden, by pair of
    /// rules (the acts of one pair together); handled where a rule that tests
    /// `<act> is conflicted` fires.
    fn duty_conflicts(&self, model: &Model, findings: &mut Vec<Finding>) {
        let Some(acts) = self.program.acts() else { return };
        let none = self.space.vars.mk_false();
        // (require rule, forbid rule, handled?) → (acts, region)
        let mut grouped: BTreeMap<(usize, usize, bool), (Vec<u32>, Bdd)> = BTreeMap::new();
        let mut reacting_by_act: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
        for (act, entries) in model.duties.iter().enumerate() {
            let (_, _, conflicted) = duty_regions(entries, |rule| self.strength(rule), &none);
            if conflicted.and(&self.space.valid).is_false() {
                continue;
            }
            let act = act as u32;
            let reacting: Vec<usize> =
                (0..self.program.rules.len()).filter(|rule| self.reacts_to(*rule, act)).collect();
            let handled =
                reacting.iter().filter_map(|rule| model.fired.get(*rule)).fold(none.clone(), |acc, set| acc.or(set));
            reacting_by_act.insert(act, reacting);
            let mut above = none.clone();
            for level in [Strength::Law, Strength::Contract, Strength::Soft] {
                let here: Vec<&(usize, bool, Bdd)> =
                    entries.iter().filter(|(rule, _, _)| self.strength(*rule) == level).collect();
                // Conflicts decided at this level, each side split once (not per pair).
                let at_level = conflicted.and_not(&above).and(&self.space.valid);
                let (unhandled, handled_here) = (at_level.and_not(&handled), at_level.and(&handled));
                for (a, _, a_set) in here.iter().filter(|(_, requires, _)| *requires) {
                    let a_sides = [a_set.and(&unhandled), a_set.and(&handled_here)];
                    if a_sides.iter().all(Bdd::is_false) {
                        continue;
                    }
                    for (b, _, b_set) in here.iter().filter(|(_, requires, _)| !*requires) {
                        for (a_side, is_handled) in a_sides.iter().zip([false, true]) {
                            if a_side.is_false() {
                                continue;
                            }
                            let part = a_side.and(b_set);
                            if part.is_false() {
                                continue;
                            }
                            let entry =
                                grouped.entry((*a, *b, is_handled)).or_insert_with(|| (Vec::new(), none.clone()));
                            if !entry.0.contains(&act) {
                                entry.0.push(act);
                            }
                            entry.1 = entry.1.or(&part);
                        }
                    }
                }
                above = here.iter().fold(above, |acc, (_, _, set)| acc.or(set));
            }
        }
        let act_name = |act: u32| self.program.enum_values(acts).get(act as usize).cloned().unwrap_or_default();
        for ((a, b, handled), (act_list, region)) in grouped {
            let (Some(rule_a), Some(rule_b)) = (self.program.rules.get(a), self.program.rules.get(b)) else {
                continue;
            };
            let names: Vec<String> = act_list.iter().map(|act| format!("`{}`", act_name(*act))).collect();
            let check = |outcome: &Outcome| {
                let mut seen = Vec::new();
                let mut agrees = false;
                for act in &act_list {
                    let found = outcome.conflicts.iter().any(|conflict| {
                        matches!(conflict.subject, ConflictSubject::Duty { act: found } if found == *act)
                            && [a, b].iter().all(|rule| conflict.sides.iter().any(|(side, _)| side == rule))
                    });
                    if !found {
                        continue;
                    }
                    let reacted: Vec<&str> = reacting_by_act
                        .get(act)
                        .into_iter()
                        .flatten()
                        .filter(|rule| outcome.status.get(**rule) == Some(&Status::Fired))
                        .filter_map(|rule| self.program.rules.get(*rule))
                        .map(|rule| rule.id.as_str())
                        .collect();
                    agrees |= reacted.is_empty() != handled;
                    seen.push(if reacted.is_empty() {
                        format!("`{}` required and forbidden, no rule reacts", act_name(*act))
                    } else {
                        format!("`{}` required and forbidden, {} react", act_name(*act), reacted.join(", "))
                    });
                }
                if seen.is_empty() { (String::from("no such conflict"), false) } else { (seen.join("; "), agrees) }
            };
            let (kind, severity, message) = if handled {
                (
                    "handled_conflict",
                    Severity::Note,
                    format!(
                        "`{}` requires and `{}` forbids {}; rules react to the conflict",
                        rule_a.id,
                        rule_b.id,
                        names.join(", ")
                    ),
                )
            } else {
                (
                    "conflict",
                    Severity::Error,
                    format!(
                        "`{}` requires and `{}` forbids {}, and no rule reacts",
                        rule_a.id,
                        rule_b.id,
                        names.join(", ")
                    ),
                )
            };
            let mut subject = vec![rule_a.id.clone(), rule_b.id.clone()];
            subject.extend(act_list.iter().map(|act| act_name(*act)));
            findings.extend(self.finding(model, (kind, severity, message, subject), &region, &check));
        }
    }

    /// Whether a rule's conditions test `act is conflicted` (through terms too).
    fn reacts_to(&self, rule: usize, act: u32) -> bool {
        let Some(def) = self.program.rules.get(rule) else { return false };
        let mut seen = vec![false; self.program.terms.len()];
        def.when.iter().any(|when| tests_conflict(self.program, &when.expr, act, &mut seen))
    }

    fn violations(&self, model: &Model, findings: &mut Vec<Finding>) {
        for (index, (assertion, violated)) in self.program.assertions.iter().zip(&model.violations).enumerate() {
            if violated.and(&self.space.valid).is_false() {
                continue;
            }
            let check = |outcome: &Outcome| {
                let found = outcome.violations.contains(&index);
                let text = if found { "violated" } else { "not violated" };
                (format!("`{}` {text}", assertion.id), found)
            };
            let word = if assertion.always { "always" } else { "never" };
            findings.extend(self.finding(
                model,
                (
                    "violation",
                    Severity::Error,
                    format!(
                        "assertion `{}` ({}) fails: `{word} {}`",
                        assertion.id, assertion.title, assertion.claim.text
                    ),
                    vec![assertion.id.clone()],
                ),
                violated,
                &check,
            ));
        }
    }

    fn shadowed(&self, model: &Model, findings: &mut Vec<Finding>) {
        for (index, rule) in self.program.rules.iter().enumerate() {
            if !in_force(model.as_of, rule.from, rule.until) {
                continue;
            }
            let Some(holds) = model.holds.get(index) else { continue };
            if holds.and(&self.space.valid).is_false() {
                continue;
            }
            let fired = model.fired.get(index).map(|set| set.and(&self.space.valid));
            if fired.is_some_and(|fired| fired.is_false()) {
                let holds = holds.clone();
                let by: Vec<String> = rule
                    .overridden_by
                    .iter()
                    .filter_map(|by| self.program.rules.get(*by))
                    .map(|by| by.id.clone())
                    .collect();
                let check = |outcome: &Outcome| match outcome.status.get(index) {
                    Some(Status::Overridden { by }) => {
                        let by = self.program.rules.get(*by).map_or("?", |def| def.id.as_str());
                        (format!("`{}` holds and is overridden by `{by}`", rule.id), true)
                    }
                    Some(other) => (format!("`{}`: {other:?}", rule.id), false),
                    None => (String::from("no such rule"), false),
                };
                let mut subject = vec![rule.id.clone()];
                subject.extend(by.iter().cloned());
                findings.extend(self.finding(
                    model,
                    (
                        "shadowed_rule",
                        Severity::Warning,
                        format!("rule `{}` is overridden wherever it holds (by {})", rule.id, by.join(", ")),
                        subject,
                    ),
                    &holds,
                    &check,
                ));
            }
        }
    }
}

/// Whether an expression tests `act is conflicted`.
fn tests_conflict(program: &Program, expr: &Expr, act: u32, seen: &mut [bool]) -> bool {
    match expr {
        Expr::Duty { act: tested, state: crate::ast::DutyState::Conflicted, .. } => *tested == act,
        Expr::Term(index) => {
            if seen.get(*index).copied().unwrap_or(true) {
                return false;
            }
            if let Some(slot) = seen.get_mut(*index) {
                *slot = true;
            }
            program.terms.get(*index).is_some_and(|body| tests_conflict(program, body, act, seen))
        }
        Expr::Not(inner) | Expr::InEnums { left: inner, .. } | Expr::InTexts { left: inner, .. } => {
            tests_conflict(program, inner, act, seen)
        }
        Expr::And(parts) | Expr::Or(parts) | Expr::Otherwise(parts) | Expr::List(parts) => {
            parts.iter().any(|part| tests_conflict(program, part, act, seen))
        }
        Expr::Is { left, right, .. }
        | Expr::Compare { left, right, .. }
        | Expr::In { left, right, .. }
        | Expr::Arith { left, right, .. } => {
            tests_conflict(program, left, act, seen) || tests_conflict(program, right, act, seen)
        }
        Expr::Quantified { list, body, .. } => {
            tests_conflict(program, list, act, seen) || tests_conflict(program, body, act, seen)
        }
        _ => false,
    }
}
