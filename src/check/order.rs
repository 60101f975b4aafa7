//! Overrides and evaluation order. A rule is evaluated after every rule that
//! writes what it reads, and after every rule that overrides it; a cycle in
//! either is an error, so evaluation always has an order and terminates.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use super::{Checker, OutcomeId};
use crate::diag::Diagnostic;

impl Checker<'_> {
    pub(super) fn order(&mut self) {
        self.resolve_overrides();
        self.overrides_respect_strength();
        let count = self.program.rules.len();
        // edges[a] holds b when a must be evaluated before b.
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); count];
        for (rule, def) in self.program.rules.iter().enumerate() {
            for &overridden in &def.overrides {
                push_unique(&mut edges[rule], overridden);
            }
        }
        if let Some(cycle) = find_cycle(&edges) {
            self.cycle(
                "tenet::check::override_cycle",
                "rules override each other in a cycle",
                &cycle,
                "each rule overrides the next",
            );
            return;
        }
        // Every writer of an outcome or act comes before every reader of it.
        let mut outcome_writers: HashMap<OutcomeId, Vec<usize>> = HashMap::new();
        let mut act_writers: HashMap<u32, Vec<usize>> = HashMap::new();
        for (writer, deps) in self.deps.iter().enumerate() {
            for outcome in &deps.writes {
                outcome_writers.entry(*outcome).or_default().push(writer);
            }
            for act in &deps.writes_acts {
                act_writers.entry(*act).or_default().push(writer);
            }
        }
        for (reader, deps) in self.deps.iter().enumerate() {
            let outcomes = deps.reads.iter().filter_map(|outcome| outcome_writers.get(outcome));
            let acts = deps.reads_acts.iter().filter_map(|act| act_writers.get(act));
            for writer in outcomes.chain(acts).flatten() {
                if let Some(successors) = edges.get_mut(*writer) {
                    successors.push(reader);
                }
            }
        }
        for successors in &mut edges {
            successors.sort_unstable();
            successors.dedup();
        }
        if let Some(cycle) = find_cycle(&edges) {
            self.cycle(
                "tenet::check::dependency_cycle",
                "rules depend on each other's conclusions in a cycle",
                &cycle,
                "each rule concludes what the next one reads",
            );
            return;
        }
        self.program.order = topological(&edges);
    }

    /// Policy yields to law: a rule may override only rules of its own strength or weaker.
    fn overrides_respect_strength(&mut self) {
        let mut problems = Vec::new();
        for rule in &self.program.rules {
            for &target in &rule.overrides {
                let Some(overridden) = self.program.rules.get(target) else { continue };
                if overridden.strength > rule.strength {
                    problems.push((rule.span, rule.id.clone(), overridden.id.clone(), overridden.strength));
                }
            }
        }
        for (span, id, target, strength) in problems {
            let what = match strength {
                crate::ast::Strength::Law => "a rule of law",
                _ => "a contractual rule",
            };
            self.report(
                Diagnostic::error("tenet::check::weaker_overrides_stronger", format!("`{id}` cannot override `{target}`, which is {what}"))
                    .at(span, "this rule is weaker than the rule it overrides")
                    .help("principles never override law, and neither overrides contract; move the exception into the stronger rule set"),
            );
        }
    }

    fn resolve_overrides(&mut self) {
        let ids: Vec<String> = self.program.rules.iter().map(|rule| rule.id.clone()).collect();
        let index_of: HashMap<&str, usize> = ids.iter().enumerate().map(|(index, id)| (id.as_str(), index)).collect();
        for index in 0..self.program.rules.len() {
            let names = self.deps.get(index).map(|deps| deps.overrides.clone()).unwrap_or_default();
            let mut resolved = Vec::new();
            for name in names {
                match index_of.get(name.text.as_str()).copied() {
                    Some(target) => resolved.push(target),
                    None => {
                        let diagnostic = Diagnostic::error(
                            "tenet::check::unknown_rule",
                            format!("no rule has the id `{}`", name.text),
                        )
                        .at(name.span, "overrides a rule that does not exist")
                        .suggest(&name.text, ids.iter().map(String::as_str));
                        self.report(diagnostic);
                    }
                }
            }
            for &target in &resolved {
                if let Some(overridden) = self.program.rules.get_mut(target) {
                    overridden.overridden_by.push(index);
                }
            }
            if let Some(rule) = self.program.rules.get_mut(index) {
                rule.overrides = resolved;
            }
        }
    }

    fn cycle(&mut self, code: &'static str, message: &str, cycle: &[usize], relation: &str) {
        let ids: Vec<&str> =
            cycle.iter().filter_map(|index| self.program.rules.get(*index)).map(|rule| rule.id.as_str()).collect();
        let mut chain: Vec<String> = ids.iter().map(|id| format!("`{id}`")).collect();
        if let Some(first) = chain.first().cloned() {
            chain.push(first);
        }
        let Some(first) = cycle.first().and_then(|index| self.program.rules.get(*index)) else {
            return;
        };
        let span = first.span;
        let mut diagnostic = Diagnostic::error(code, format!("{message}: {}", chain.join(" → ")))
            .at(span, "this rule is part of the cycle")
            .help(format!("{relation}; break the cycle so that one of them does not depend on the others"));
        for index in cycle.iter().skip(1) {
            if let Some(rule) = self.program.rules.get(*index) {
                diagnostic = diagnostic.also(rule.span, format!("`{}` is part of the cycle", rule.id));
            }
        }
        self.report(diagnostic);
    }
}

fn push_unique(list: &mut Vec<usize>, item: usize) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// A cycle in the graph, in edge order, if there is one (iterative DFS).
fn find_cycle(edges: &[Vec<usize>]) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut marks = vec![Mark::New; edges.len()];
    for root in 0..edges.len() {
        if marks[root] != Mark::New {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        marks[root] = Mark::Open;
        while let Some((node, next)) = stack.last().copied() {
            let successors = edges.get(node).map_or(&[][..], Vec::as_slice);
            match successors.get(next) {
                Some(&successor) => {
                    if let Some(top) = stack.last_mut() {
                        top.1 += 1;
                    }
                    match marks[successor] {
                        Mark::New => {
                            marks[successor] = Mark::Open;
                            stack.push((successor, 0));
                        }
                        Mark::Open => {
                            let start = stack.iter().position(|(open, _)| *open == successor).unwrap_or(0);
                            return Some(stack[start..].iter().map(|(open, _)| *open).collect());
                        }
                        Mark::Done => {}
                    }
                }
                None => {
                    marks[node] = Mark::Done;
                    stack.pop();
                }
            }
        }
    }
    None
}

/// Kahn's algorithm, always taking the earliest declared rule that is ready,
/// so the order is deterministic and follows the files where it can.
fn topological(edges: &[Vec<usize>]) -> Vec<usize> {
    let mut incoming = vec![0usize; edges.len()];
    for successors in edges {
        for &successor in successors {
            incoming[successor] += 1;
        }
    }
    let mut ready: BinaryHeap<Reverse<usize>> =
        (0..edges.len()).filter(|node| incoming[*node] == 0).map(Reverse).collect();
    let mut order = Vec::with_capacity(edges.len());
    while let Some(Reverse(node)) = ready.pop() {
        order.push(node);
        for &successor in edges.get(node).map_or(&[][..], Vec::as_slice) {
            incoming[successor] -= 1;
            if incoming[successor] == 0 {
                ready.push(Reverse(successor));
            }
        }
    }
    order
}
