//! Which facts left out of a request would change a single-valued outcome.
//!
//! A rule whose condition came out true or false with facts missing comes out
//! the same for every value of them (three-valued logic is sound), so only the
//! facts read where the answer was *unknown* can matter: by rules whose
//! condition was unknown, by rules that read outcomes and did not fire, and by
//! jurisdictions whose applicability did not hold. Every combination of the
//! classes of those facts ([`super::domain`]) is evaluated with the real
//! evaluator; an outcome that is not the same in all of them is provisional.

use std::collections::BTreeSet;

use crate::check::{Expr, FactId, OutcomeId, OutcomeKind, Program};
use crate::eval::{Outcome, OutcomeValue, Status, evaluate};
use crate::facts::Facts;
use crate::value::Value;

use super::domain::{Domain, domains_where};

/// At most this many combinations are evaluated (about 25 ms on the shipped rules).
pub const MAX_COMBINATIONS: usize = 4096;

/// What a single-valued outcome comes to: a value, nothing, or a conflict.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Settled {
    Value(String),
    Unset,
    Conflict,
}

/// What each class of one fact gives: (representative, results seen), in class order.
pub type ByClass = Vec<(Value, Vec<Settled>)>;

/// How the facts left out bear on one outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct OutcomeDependency {
    pub outcome: OutcomeId,
    /// Every result some answers to the missing facts give, sorted.
    pub possible: Vec<Settled>,
    /// Each fact that makes a difference, with what each of its classes gives.
    pub facts: Vec<(FactId, ByClass)>,
}

/// What the facts left out of a request could change.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dependencies {
    /// The single-valued outcomes that are provisional.
    pub outcomes: Vec<OutcomeDependency>,
    /// The fewest facts whose answers settle every provisional outcome, most decisive first.
    pub ask: Vec<FactId>,
    /// Missing facts that could matter but were left out of the combinations
    /// (there were more than [`MAX_COMBINATIONS`]).
    pub unexplored: Vec<FactId>,
    /// Explored facts whose classes are a sample, not exact (see [`Domain::exact`]):
    /// values other than the representatives tried may give other results.
    pub sampled: Vec<FactId>,
    pub combinations: usize,
}

impl Dependencies {
    pub fn is_provisional(&self, outcome: OutcomeId) -> bool {
        self.outcomes.iter().any(|dependency| dependency.outcome == outcome)
    }
}

/// Whether the request leaves out a fact some condition reads (`as_of` aside): only
/// then can an outcome be provisional, and [`dependencies`] have work to do.
pub fn leaves_out(program: &Program, index: &crate::eval::Index, facts: &Facts) -> bool {
    index.read_facts().iter().any(|id| *id != program.as_of && facts.get(*id).is_none())
}

/// Decides `facts` and says which outcomes the facts the request leaves out could
/// change. A request that leaves out no fact a condition reads has no such
/// outcome (only those are ever explored), and is decided
/// through the rule `index` ([`crate::eval::decide`]); one that does is evaluated
/// rule by rule, since which facts matter depends on why each rule did not apply.
pub fn decide_with_dependencies(
    program: &Program,
    index: &crate::eval::Index,
    facts: &Facts,
) -> (Outcome, Dependencies) {
    if !leaves_out(program, index, facts) {
        return (crate::eval::decide(program, index, facts), Dependencies::default());
    }
    let outcome = evaluate(program, facts);
    let dependencies = dependencies_indexed(program, index, facts, &outcome);
    (outcome, dependencies)
}

/// The dependencies of `outcome` (the evaluation of `facts`) on facts the request left out.
pub fn dependencies(program: &Program, facts: &Facts, outcome: &Outcome) -> Dependencies {
    dependencies_within(program, facts, outcome, MAX_COMBINATIONS)
}

/// [`dependencies`], combining at most `max_combinations` classes; facts
/// beyond are tried one at a time.
pub fn dependencies_within(
    program: &Program,
    facts: &Facts,
    outcome: &Outcome,
    max_combinations: usize,
) -> Dependencies {
    explore(program, None, facts, outcome, max_combinations)
}

/// [`dependencies`], each completed request decided through the rule `index`
/// ([`crate::eval::decide`] gives the values and conflicts [`evaluate`] gives, in
/// a fraction of the time): what a service pays per provisional request.
pub fn dependencies_indexed(
    program: &Program,
    index: &crate::eval::Index,
    facts: &Facts,
    outcome: &Outcome,
) -> Dependencies {
    explore(program, Some(index), facts, outcome, MAX_COMBINATIONS)
}

fn explore(
    program: &Program,
    index: Option<&crate::eval::Index>,
    facts: &Facts,
    outcome: &Outcome,
    max_combinations: usize,
) -> Dependencies {
    let evaluate = |facts: &Facts| match index {
        Some(index) => crate::eval::decide(program, index, facts),
        None => evaluate(program, facts),
    };
    let singles = single_valued(program);
    let now: Vec<Settled> = singles.iter().map(|id| settled(program, outcome, *id)).collect();
    let candidates = unsettled_reads(program, facts, outcome);
    if candidates.is_empty() || singles.is_empty() {
        return Dependencies::default();
    }
    let mut all = domains_where(program, outcome.as_of, |id| candidates.contains(&id));
    with_request_texts(&mut all, program, facts);
    // The facts read where a condition was unknown come first: they matter most surely.
    let mut explored: Vec<(FactId, &Domain)> = Vec::new();
    let mut unexplored = Vec::new();
    let mut combinations = 1usize;
    for fact in candidates {
        let Some(domain) = all.get(fact.0 as usize).filter(|domain| !domain.values.is_empty()) else { continue };
        match combinations.checked_mul(domain.values.len()).filter(|total| *total <= max_combinations) {
            Some(total) => {
                combinations = total;
                explored.push((fact, domain));
            }
            None => unexplored.push(fact),
        }
    }
    // Every combination of the explored facts' classes, with the results.
    let mut rows: Vec<(Vec<usize>, Vec<Settled>)> = Vec::with_capacity(combinations);
    let mut choice = vec![0usize; explored.len()];
    let mut completed = facts.clone();
    loop {
        for ((fact, domain), index) in explored.iter().zip(&choice) {
            if let Some(slot) = completed.values.get_mut(fact.0 as usize) {
                *slot = domain.values.get(*index).cloned();
            }
        }
        let result = evaluate(&completed);
        let results: Vec<Settled> = singles
            .iter()
            .map(|id| if result.errors.is_empty() { settled(program, &result, *id) } else { Settled::Unset })
            .collect();
        rows.push((choice.clone(), results));
        if !advance(&mut choice, &explored) {
            break;
        }
    }
    // Facts beyond the combinations are still tried one at a time, the others
    // left out, so that none can make a provisional outcome look settled.
    let sweeps: Vec<(FactId, ByClass)> = unexplored
        .iter()
        .filter_map(|fact| {
            let domain = all.get(fact.0 as usize)?;
            let classes = domain
                .values
                .iter()
                .map(|value| {
                    let mut completed = facts.clone();
                    if let Some(slot) = completed.values.get_mut(fact.0 as usize) {
                        *slot = Some(value.clone());
                    }
                    let result = evaluate(&completed);
                    let results = singles
                        .iter()
                        .map(
                            |id| if result.errors.is_empty() { settled(program, &result, *id) } else { Settled::Unset },
                        )
                        .collect();
                    (value.clone(), results)
                })
                .collect();
            Some((*fact, classes))
        })
        .collect();
    let mut outcomes = Vec::new();
    for (position, id) in singles.iter().enumerate() {
        let mut possible: BTreeSet<Settled> =
            rows.iter().filter_map(|(_, results)| results.get(position).cloned()).collect();
        for (_, classes) in &sweeps {
            possible.extend(classes.iter().filter_map(|(_, results)| results.get(position).cloned()));
        }
        let settled_now = now.get(position);
        if possible.len() == 1 && possible.first() == settled_now {
            continue;
        }
        let facts = explored
            .iter()
            .enumerate()
            .filter_map(|(which, (fact, domain))| {
                let by_class: ByClass = domain
                    .values
                    .iter()
                    .enumerate()
                    .map(|(class, value)| {
                        let seen: BTreeSet<Settled> = rows
                            .iter()
                            .filter(|(choice, _)| choice.get(which) == Some(&class))
                            .filter_map(|(_, results)| results.get(position).cloned())
                            .collect();
                        (value.clone(), seen.into_iter().collect())
                    })
                    .collect();
                let first = by_class.first().map(|(_, seen)| seen);
                let differs = by_class.iter().any(|(_, seen)| Some(seen) != first);
                differs.then_some((*fact, by_class))
            })
            .chain(sweeps.iter().filter_map(|(fact, classes)| {
                let by_class: ByClass = classes
                    .iter()
                    .map(|(value, results)| (value.clone(), results.get(position).cloned().into_iter().collect()))
                    .collect();
                let first = by_class.first().map(|(_, seen)| seen);
                by_class.iter().any(|(_, seen)| Some(seen) != first).then_some((*fact, by_class))
            }))
            .collect();
        outcomes.push(OutcomeDependency { outcome: *id, possible: possible.into_iter().collect(), facts });
    }
    let provisional: Vec<usize> = singles
        .iter()
        .enumerate()
        .filter(|(_, id)| outcomes.iter().any(|dependency| dependency.outcome == **id))
        .map(|(position, _)| position)
        .collect();
    let mut ask = fewest_settling(&rows, &provisional, &explored, &outcomes);
    // A fact only tried alone that makes a difference is asked for after the others.
    for dependency in &outcomes {
        for (fact, _) in &dependency.facts {
            if unexplored.contains(fact) && !ask.contains(fact) {
                ask.push(*fact);
            }
        }
    }
    let sampled = explored.iter().filter(|(_, domain)| !domain.exact).map(|(fact, _)| *fact).collect();
    Dependencies { sampled, outcomes, ask, unexplored, combinations }
}

/// Adds to every text domain the texts the request gives elsewhere, so that a
/// missing text can also be equal to another fact's (`requester is
/// customer_hq_country`).
fn with_request_texts(all: &mut [Domain], program: &Program, facts: &Facts) {
    let mut texts: Vec<Value> = Vec::new();
    for value in facts.values.iter().flatten() {
        let items: Vec<&Value> = match value {
            Value::List(items) => items.iter().collect(),
            other => vec![other],
        };
        for item in items {
            if matches!(item, Value::Text(_)) && !texts.contains(item) {
                texts.push(item.clone());
            }
        }
    }
    for (domain, def) in all.iter_mut().zip(&program.facts) {
        if def.ty == crate::value::Type::Text {
            for text in &texts {
                if !domain.values.contains(text) {
                    domain.values.push(text.clone());
                }
            }
        }
    }
}

/// The next combination, counting in mixed radix; `false` after the last.
fn advance(choice: &mut [usize], explored: &[(FactId, &Domain)]) -> bool {
    for (digit, (_, domain)) in choice.iter_mut().zip(explored) {
        *digit += 1;
        if *digit < domain.values.len() {
            return true;
        }
        *digit = 0;
    }
    false
}

/// The single-valued (`one of`) outcomes of a program.
pub fn single_valued(program: &Program) -> Vec<OutcomeId> {
    program
        .outcomes
        .iter()
        .enumerate()
        .filter(|(_, def)| matches!(def.kind, OutcomeKind::One(_)))
        .map(|(index, _)| OutcomeId(index as u32))
        .collect()
}

/// What a single-valued outcome came to in an evaluation.
pub fn settled(program: &Program, outcome: &Outcome, id: OutcomeId) -> Settled {
    let conflicted = outcome.conflicts.iter().any(|conflict| {
        matches!(&conflict.subject, crate::eval::ConflictSubject::Outcome { outcome, key: None } if *outcome == id)
    });
    if conflicted {
        return Settled::Conflict;
    }
    match outcome.values.get(id.0 as usize) {
        Some(OutcomeValue::One(Some(value))) => {
            Settled::Value(crate::value::Shown { value, enums: &program.enums }.to_string())
        }
        _ => Settled::Unset,
    }
}

/// Facts the request left out (no value, no default) that are read where the
/// evaluation was not settled, in that order of importance: conditions that
/// came out unknown, rules reading outcomes that did not fire, and
/// applicability that did not hold.
fn unsettled_reads(program: &Program, facts: &Facts, outcome: &Outcome) -> Vec<FactId> {
    let mut found: Vec<FactId> = Vec::new();
    // Adds the missing facts among `ids`; says whether there was any.
    let add = |found: &mut Vec<FactId>, ids: &[FactId]| {
        let before = found.len();
        for id in ids {
            if *id != program.as_of && facts.get(*id).is_none() && !found.contains(id) {
                found.push(*id);
            }
        }
        found.len() > before
    };
    for (index, rule) in program.rules.iter().enumerate() {
        if let Some(Status::Failed { unknown: true, .. }) = outcome.status.get(index) {
            for condition in &rule.when {
                add(&mut found, &condition.facts);
            }
        }
    }
    for (index, rule) in program.rules.iter().enumerate() {
        let status = outcome.status.get(index);
        let reads_results = !rule.reads.is_empty() || !rule.reads_acts.is_empty();
        if reads_results && matches!(status, Some(Status::Failed { .. })) {
            for condition in &rule.when {
                add(&mut found, &condition.facts);
            }
        }
    }
    // `x otherwise y` and `x is present` give a definite answer when `x` is
    // missing, which an answer may change: such rules and blocks are unsettled
    // whatever their status.
    let mut fragile_terms = vec![None; program.terms.len()];
    for rule in &program.rules {
        if rule.when.iter().any(|condition| fragile(program, &condition.expr, &mut fragile_terms)) {
            for condition in &rule.when {
                add(&mut found, &condition.facts);
            }
        }
    }
    for block in &program.blocks {
        if let Some(applies) = &block.applies
            && fragile(program, &applies.expr, &mut fragile_terms)
        {
            add(&mut found, &applies.facts);
        }
    }
    for (index, block) in program.blocks.iter().enumerate() {
        let Some(applies) = &block.applies else { continue };
        let reads_missing = applies.facts.iter().any(|id| *id != program.as_of && facts.get(*id).is_none());
        if outcome.block_conditions.get(index) == Some(&false) && reads_missing {
            add(&mut found, &applies.facts);
            // If it might apply, its rules' conditions might matter too.
            for (rule_index, rule) in program.rules.iter().enumerate() {
                if rule.block == Some(index) && outcome.status.get(rule_index) == Some(&Status::NotApplicable) {
                    for condition in &rule.when {
                        add(&mut found, &condition.facts);
                    }
                }
            }
        }
    }
    found
}

/// Whether an expression (through the terms it uses) can be definite with a
/// fact missing: `otherwise` and presence tests. `memo` holds each term's answer.
fn fragile(program: &Program, expr: &Expr, memo: &mut Vec<Option<bool>>) -> bool {
    match expr {
        Expr::Otherwise(_) | Expr::Present { .. } => true,
        Expr::Term(index) => {
            if let Some(Some(known)) = memo.get(*index) {
                return *known;
            }
            // Terms are acyclic (the checker refuses cycles); mark before descending anyway.
            if let Some(slot) = memo.get_mut(*index) {
                *slot = Some(false);
            }
            let answer = program.terms.get(*index).is_some_and(|body| fragile(program, body, memo));
            if let Some(slot) = memo.get_mut(*index) {
                *slot = Some(answer);
            }
            answer
        }
        Expr::Not(inner) => fragile(program, inner, memo),
        Expr::And(parts) | Expr::Or(parts) | Expr::List(parts) => parts.iter().any(|part| fragile(program, part, memo)),
        Expr::Is { left, right, .. }
        | Expr::In { left, right, .. }
        | Expr::Compare { left, right, .. }
        | Expr::Arith { left, right, .. } => fragile(program, left, memo) || fragile(program, right, memo),
        Expr::InEnums { left, .. } | Expr::InTexts { left, .. } => fragile(program, left, memo),
        Expr::Quantified { list, body, .. } => fragile(program, list, memo) || fragile(program, body, memo),
        Expr::Const(_) | Expr::Fact(_) | Expr::Var(_) | Expr::Outcome(_) | Expr::OutcomeKey(..) | Expr::Duty { .. } => {
            false
        }
    }
}

/// Up to this many facts, every subset is tried for the fewest that settle;
/// beyond, facts are added greedily.
const MAX_EXHAUSTIVE_ASK: usize = 10;

/// The fewest explored facts whose classes determine every provisional
/// outcome in every combination, most decisive first.
fn fewest_settling(
    rows: &[(Vec<usize>, Vec<Settled>)],
    provisional: &[usize],
    explored: &[(FactId, &Domain)],
    outcomes: &[OutcomeDependency],
) -> Vec<FactId> {
    if provisional.is_empty() {
        return Vec::new();
    }
    // Whether knowing the classes of `subset` (positions in `explored`) fixes the results.
    let settles = |subset: &[usize]| -> bool {
        let mut seen: std::collections::HashMap<Vec<usize>, Vec<&Settled>> = std::collections::HashMap::new();
        for (choice, results) in rows {
            let key: Vec<usize> = subset.iter().filter_map(|position| choice.get(*position).copied()).collect();
            let wanted: Vec<&Settled> = provisional.iter().filter_map(|position| results.get(*position)).collect();
            match seen.entry(key) {
                std::collections::hash_map::Entry::Occupied(entry) if *entry.get() != wanted => return false,
                std::collections::hash_map::Entry::Occupied(_) => {}
                std::collections::hash_map::Entry::Vacant(entry) => {
                    entry.insert(wanted);
                }
            }
        }
        true
    };
    let count = explored.len();
    let mut chosen: Option<Vec<usize>> = None;
    if count <= MAX_EXHAUSTIVE_ASK {
        // Subsets by growing size: the first that settles is a smallest one.
        let mut subsets: Vec<u32> = (0..1u32 << count).collect();
        subsets.sort_by_key(|mask| mask.count_ones());
        chosen = subsets.into_iter().map(|mask| positions(mask, count)).find(|subset| settles(subset));
    }
    let mut chosen = chosen.unwrap_or_else(|| {
        // Greedily: each time the fact after which the fewest combinations stay unsettled.
        let mut subset: Vec<usize> = Vec::new();
        while !settles(&subset) && subset.len() < count {
            let next = (0..count).filter(|position| !subset.contains(position)).max_by_key(|position| {
                let mut with = subset.clone();
                with.push(*position);
                settled_rows(rows, provisional, &with)
            });
            match next {
                Some(position) => subset.push(position),
                None => break,
            }
        }
        subset
    });
    // Most decisive first: the fact whose classes lead to the most different results.
    let decisiveness = |position: &usize| -> usize {
        let fact = explored.get(*position).map(|(fact, _)| *fact);
        outcomes
            .iter()
            .flat_map(|dependency| dependency.facts.iter())
            .filter(|(id, _)| Some(*id) == fact)
            .map(|(_, classes)| classes.iter().map(|(_, seen)| seen).collect::<BTreeSet<_>>().len())
            .sum()
    };
    chosen.sort_by_key(|position| (std::cmp::Reverse(decisiveness(position)), *position));
    chosen.into_iter().filter_map(|position| explored.get(position).map(|(fact, _)| *fact)).collect()
}

/// The positions of the bits set in `mask`.
fn positions(mask: u32, count: usize) -> Vec<usize> {
    (0..count).filter(|position| mask & (1 << position) != 0).collect()
}

/// How many rows the classes of `subset` settle: rows whose group agrees on every result.
fn settled_rows(rows: &[(Vec<usize>, Vec<Settled>)], provisional: &[usize], subset: &[usize]) -> usize {
    let mut groups: std::collections::HashMap<Vec<usize>, (Vec<&Settled>, bool, usize)> =
        std::collections::HashMap::new();
    for (choice, results) in rows {
        let key: Vec<usize> = subset.iter().filter_map(|position| choice.get(*position).copied()).collect();
        let wanted: Vec<&Settled> = provisional.iter().filter_map(|position| results.get(*position)).collect();
        let group = groups.entry(key).or_insert_with(|| (wanted.clone(), true, 0));
        group.1 &= group.0 == wanted;
        group.2 += 1;
    }
    groups.values().filter(|(_, agrees, _)| *agrees).map(|(_, _, size)| size).sum()
}
