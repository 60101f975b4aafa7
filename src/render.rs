//! Outcomes for people and programs: JSON whose keys are the declared
//! outcomes, and text a lawyer reads (the decision first, then what to do,
//! by when, and why, with citations).

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value as Json};

use crate::analysis::depend::{Dependencies, Settled};
use crate::analysis::domain::{ANOTHER_TEXT, OTHER_TEXT};
use crate::ast::Strength;
use crate::check::{Condition, FactId, OutcomeId, OutcomeKind, Program};
use crate::eval::{ConflictSubject, Outcome, OutcomeValue, Status};
use crate::facts::Facts;
use crate::value::{Shown, Value, enum_name, to_json};

/// One rule as the explanation shows it.
#[derive(Clone, Debug)]
pub struct RuleRef<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub jurisdiction: Option<&'a str>,
    pub citations: &'a [String],
    /// The same texts as JSON, when the report has them ([`Report::with_quoted`]).
    quoted: Option<&'a QuotedRule>,
}

impl Serialize for RuleRef<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let mut out = serializer.serialize_struct("RuleRef", 3 + usize::from(self.jurisdiction.is_some()))?;
        let quoted = self.quoted;
        field(&mut out, "id", quoted.map(|quoted| &*quoted.id), self.id)?;
        field(&mut out, "title", quoted.map(|quoted| &*quoted.title), self.title)?;
        if let Some(jurisdiction) = self.jurisdiction {
            field(&mut out, "jurisdiction", quoted.and_then(|quoted| quoted.jurisdiction.as_deref()), jurisdiction)?;
        }
        field(&mut out, "citations", quoted.map(|quoted| &*quoted.citations), self.citations)?;
        out.end()
    }
}

/// A condition with the values it read.
#[derive(Clone, Debug)]
pub struct Because<'a> {
    pub condition: &'a str,
    /// Fact paths and outcome names with their values (`null` when absent).
    pub values: Fields<'a>,
    /// Absent facts the condition held without, by the default it took for them
    /// (`x otherwise true`): "assumed true", or "the test on it taken as true".
    pub assumed: Fields<'a>,
    /// `condition` as JSON, when the report has it ([`Report::with_quoted`]).
    quoted: Option<&'a RawValue>,
}

impl Serialize for Because<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let mut out = serializer.serialize_struct("Because", 2 + usize::from(!self.assumed.is_empty()))?;
        field(&mut out, "condition", self.quoted, self.condition)?;
        out.serialize_field("values", &self.values)?;
        if !self.assumed.is_empty() {
            out.serialize_field("assumed", &self.assumed)?;
        }
        out.end()
    }
}

/// Field `key` of a struct: its text as JSON already, when there is that, else as it is.
fn field<S: serde::ser::SerializeStruct, T: Serialize + ?Sized>(
    out: &mut S,
    key: &'static str,
    quoted: Option<&RawValue>,
    plain: &T,
) -> Result<(), S::Error> {
    match quoted {
        Some(quoted) => out.serialize_field(key, quoted),
        None => out.serialize_field(key, plain),
    }
}

/// The texts of a program's rules that explanations repeat (ids, titles,
/// jurisdictions, citations, conditions), written as JSON once: for a caller
/// that explains many requests against one program (`eval --batch --explain`,
/// the service), whose explanations then copy them instead of escaping them
/// anew, byte by byte, for every request. The output is the same bytes. Keep
/// it with its program and drop the two together (the batch and the service
/// do): it knows its program by where the program keeps its rules.
#[derive(Debug)]
pub struct Quoted {
    /// Where the program it was made from keeps its rules, and how many: a
    /// report uses these texts only for that program ([`Report::with_quoted`]).
    from: (usize, usize),
    rules: Vec<QuotedRule>,
}

/// Which rules a program has, by where it keeps them: the same for the program
/// wherever it is moved, different for any other (or for this one once its
/// rules are changed and moved).
fn rules_of(program: &Program) -> (usize, usize) {
    (program.rules.as_ptr() as usize, program.rules.len())
}

#[derive(Debug)]
struct QuotedRule {
    id: Box<RawValue>,
    title: Box<RawValue>,
    jurisdiction: Option<Box<RawValue>>,
    citations: Box<RawValue>,
    /// By condition, in order.
    conditions: Vec<Box<RawValue>>,
}

impl Quoted {
    /// The program's texts as JSON; `None` if one cannot be written (it always can:
    /// they are strings).
    pub fn new(program: &Program) -> Option<Quoted> {
        fn quote<T: Serialize + ?Sized>(value: &T) -> Option<Box<RawValue>> {
            serde_json::to_string(value).ok().and_then(|json| RawValue::from_string(json).ok())
        }
        let rules = program.rules.iter().map(|rule| {
            let jurisdiction = rule.block.and_then(|block| program.blocks.get(block)).map(|block| block.title.as_str());
            Some(QuotedRule {
                id: quote(&rule.id)?,
                title: quote(&rule.title)?,
                jurisdiction: match jurisdiction {
                    Some(title) => Some(quote(title)?),
                    None => None,
                },
                citations: quote(&rule.cites)?,
                conditions: rule.when.iter().map(|when| quote(&when.text)).collect::<Option<_>>()?,
            })
        });
        Some(Quoted { from: rules_of(program), rules: rules.collect::<Option<_>>()? })
    }

    /// Whether these are `program`'s texts: made from it, and its rules not changed since.
    pub fn made_from(&self, program: &Program) -> bool {
        self.from == rules_of(program)
    }
}

/// Names (borrowed from the program) with their values, in the order first given;
/// a JSON object when serialized. A handful of entries: a list beats a hash map.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fields<'a>(pub Vec<(&'a str, Json)>);

impl<'a> Fields<'a> {
    /// Sets `name` to `value`, where it stands if it is there already.
    fn insert(&mut self, name: &'a str, value: Json) {
        match self.0.iter_mut().find(|(known, _)| *known == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name, value)),
        }
    }

    pub fn get(&self, name: &str) -> Option<&Json> {
        self.0.iter().find(|(known, _)| *known == name).map(|(_, value)| value)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &Json)> {
        self.0.iter().map(|(name, value)| (*name, value))
    }
}

impl Serialize for Fields<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Fired<'a> {
    #[serde(flatten)]
    pub rule: RuleRef<'a>,
    pub confidence: &'static str,
    pub because: Vec<Because<'a>>,
    pub concluded: Vec<&'a str>,
    /// Conclusions not drawn because a value they need is unknown.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_concluded: Vec<&'a str>,
}

#[derive(Clone, Debug, Serialize)]
pub struct WhyNot<'a> {
    #[serde(flatten)]
    pub rule: RuleRef<'a>,
    /// The first condition that did not hold.
    pub failed: Because<'a>,
    /// `false`, or `unknown` when a value it needs is absent or in conflict.
    pub result: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct Overridden<'a> {
    #[serde(flatten)]
    pub rule: RuleRef<'a>,
    pub by: &'a str,
}

#[derive(Clone, Debug, Serialize)]
pub struct Overruled<'a> {
    #[serde(flatten)]
    pub rule: RuleRef<'a>,
    pub by: &'a str,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct BlockReport<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub kind: &'static str,
    pub applies: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct ConflictReport<'a> {
    /// What is in conflict: an outcome (`decision`, `deadlines.respond_by`) or an act.
    pub about: String,
    pub kind: &'static str,
    pub sides: Vec<ConflictSide<'a>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ConflictSide<'a> {
    #[serde(flatten)]
    pub rule: RuleRef<'a>,
    pub value: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Explanation<'a> {
    pub as_of: String,
    pub applicable: Vec<BlockReport<'a>>,
    pub fired: Vec<Fired<'a>>,
    pub overridden: Vec<Overridden<'a>>,
    pub overruled: Vec<Overruled<'a>>,
    pub why_not: Vec<WhyNot<'a>>,
}

/// Everything a caller is told about one evaluation.
pub struct Report<'a> {
    program: &'a Program,
    facts: &'a Facts,
    outcome: &'a Outcome,
    /// What the facts left out could change, when it was worked out.
    dependencies: Option<&'a Dependencies>,
    /// Whether to name the facts to ask for (`eval --ask`).
    ask: bool,
    /// Which parts of the explanation to show.
    filter: ExplainFilter,
    /// The program's texts as JSON, when the caller made them ([`Report::with_quoted`]).
    quoted: Option<&'a Quoted>,
}

/// A narrower explanation: one rule (`--rule`), or only the rules that fired (`--fired`).
#[derive(Clone, Debug, Default)]
pub struct ExplainFilter {
    /// Only this rule, by id (ignoring case).
    pub rule: Option<String>,
    /// Only the rules that fired: no overridden rules, overruled duties or why-not.
    pub fired_only: bool,
}

impl ExplainFilter {
    fn apply(&self, explanation: &mut Explanation) {
        if let Some(id) = &self.rule {
            let wanted = |rule: &RuleRef| rule.id.eq_ignore_ascii_case(id);
            explanation.fired.retain(|item| wanted(&item.rule));
            explanation.overridden.retain(|item| wanted(&item.rule));
            explanation.overruled.retain(|item| wanted(&item.rule));
            explanation.why_not.retain(|item| wanted(&item.rule));
        }
        if self.fired_only {
            explanation.overridden.clear();
            explanation.overruled.clear();
            explanation.why_not.clear();
        }
    }
}

impl<'a> Report<'a> {
    pub fn new(program: &'a Program, facts: &'a Facts, outcome: &'a Outcome) -> Self {
        Report {
            program,
            facts,
            outcome,
            dependencies: None,
            ask: false,
            filter: ExplainFilter::default(),
            quoted: None,
        }
    }

    /// Writes the program's texts from `quoted` (made once, from this report's
    /// program) instead of escaping them again: the same bytes, sooner. Made
    /// from another program, they would be the wrong texts: they are not used.
    /// `None` (a caller that made none) writes them as [`Report::new`] does.
    pub fn with_quoted(mut self, quoted: Option<&'a Quoted>) -> Self {
        self.quoted = quoted.filter(|quoted| quoted.made_from(self.program));
        self
    }

    fn quoted_rule(&self, index: usize) -> Option<&'a QuotedRule> {
        self.quoted.and_then(|quoted| quoted.rules.get(index))
    }

    /// Narrows the explanation to one rule, or to the rules that fired.
    pub fn with_filter(mut self, filter: ExplainFilter) -> Self {
        self.filter = filter;
        self
    }

    /// Reports also which outcomes are provisional and on which missing facts
    /// they depend; with `ask`, the fewest facts that settle them.
    pub fn with_dependencies(mut self, dependencies: &'a Dependencies, ask: bool) -> Self {
        self.dependencies = Some(dependencies);
        self.ask = ask;
        self
    }

    fn provisional(&self, name: &str) -> bool {
        let id = self.program.outcomes.iter().position(|def| def.name == name);
        self.dependencies.zip(id).is_some_and(|(dependencies, id)| dependencies.is_provisional(OutcomeId(id as u32)))
    }

    fn fact_path(&self, id: FactId) -> String {
        self.program.fact(id).map(|def| def.path.clone()).unwrap_or_default()
    }

    /// Warnings about the date of evaluation: a jurisdiction (or contract, or
    /// principles) whose conditions hold but none of whose rules is in force yet
    /// on that date, and a date of the request itself that lies after it (the
    /// request evaluated before it was made): most often a mistyped `as_of` or `--as-of`.
    /// Which dates may lie after it, the rules say: those they compare with `as_of` as
    /// later (`nondisclosure.end_date >= as_of`).
    pub fn date_notes(&self) -> Vec<String> {
        let as_of = self.outcome.as_of;
        let mut notes = Vec::new();
        for id in &self.program.own_dates {
            let (id, Some(def)) = (*id, self.program.fact(*id)) else { continue };
            if let Some(Value::Date(date)) = self.facts.get(id)
                && *date > as_of
            {
                notes.push(format!(
                    "{} is {date}, after the date of evaluation {as_of}: the request is evaluated before it happened",
                    def.path
                ));
            }
        }
        for (index, block) in self.program.blocks.iter().enumerate() {
            if self.outcome.block_conditions.get(index) != Some(&true) {
                continue;
            }
            // Only a block with no rule in force yet: a block whose rules have all
            // ended is a transitional regime that has run its course, not a slip.
            if let Some(earliest) = block.first_rule_from.filter(|first| as_of < *first) {
                notes.push(format!(
                    "{} applies to this request, but none of its rules is in force on {as_of} (the first from {earliest})",
                    block.title
                ));
            }
        }
        notes
    }

    /// `provisional`, `depends_on` and (with `ask`) `ask`, as JSON fields.
    fn dependencies_json(&self, map: &mut Map<String, Json>) {
        let Some(dependencies) = self.dependencies else { return };
        let name = |id: OutcomeId| self.program.outcome(id).map(|def| def.name.clone()).unwrap_or_default();
        let provisional: Vec<String> =
            dependencies.outcomes.iter().map(|dependency| name(dependency.outcome)).collect();
        map.insert(String::from("provisional"), Json::from(provisional));
        let mut depends_on = Vec::new();
        for dependency in &dependencies.outcomes {
            for (fact, classes) in &dependency.facts {
                let mut values = Map::new();
                for (value, results) in classes {
                    let results: Vec<Json> = results.iter().map(settled_json).collect();
                    values.insert(self.show_class(value), Json::from(results));
                }
                let mut entry = Map::new();
                entry.insert(String::from("outcome"), Json::from(name(dependency.outcome)));
                entry.insert(String::from("fact"), Json::from(self.fact_path(*fact)));
                entry.insert(String::from("values"), Json::Object(values));
                depends_on.push(Json::Object(entry));
            }
        }
        map.insert(String::from("depends_on"), Json::from(depends_on));
        if !dependencies.outcomes.is_empty() {
            let unexplored: Vec<String> = dependencies.unexplored.iter().map(|fact| self.fact_path(*fact)).collect();
            let sampled: Vec<String> = dependencies.sampled.iter().map(|fact| self.fact_path(*fact)).collect();
            map.insert(String::from("dependencies_complete"), Json::from(unexplored.is_empty() && sampled.is_empty()));
            if !sampled.is_empty() {
                map.insert(String::from("sampled"), Json::from(sampled));
            }
            if !unexplored.is_empty() {
                map.insert(String::from("not_explored"), Json::from(unexplored));
            }
        }
        if self.ask {
            let ask: Vec<String> = dependencies.ask.iter().map(|fact| self.fact_path(*fact)).collect();
            map.insert(String::from("ask"), Json::from(ask));
        }
    }

    /// A class representative as a person reads it: `enterprise`, `true`, `any other text`.
    fn show_class(&self, value: &Value) -> String {
        match value {
            Value::Text(text) if text.as_ref() == OTHER_TEXT || text.as_ref() == ANOTHER_TEXT => {
                String::from("any other text")
            }
            Value::Text(text) => text.to_string(),
            other => self.show(other),
        }
    }

    /// The provisional outcomes, what they depend on and (with `ask`) what to ask.
    fn dependencies_text(&self, out: &mut String) {
        let Some(dependencies) = self.dependencies else { return };
        if dependencies.outcomes.is_empty() {
            if self.ask {
                out.push_str("\nNothing to ask: no fact the request leaves out would change a decision.\n");
            }
            return;
        }
        out.push_str("\nProvisional: facts the request leaves out would change this\n");
        for dependency in &dependencies.outcomes {
            let name = self.program.outcome(dependency.outcome).map_or(String::new(), |def| label(&def.name));
            let possible: Vec<String> = dependency.possible.iter().map(settled_text).collect();
            let _ = writeln!(out, "  {name} could be: {}", possible.join(", "));
            for (fact, classes) in &dependency.facts {
                let mut seen: Vec<(String, Vec<String>)> = Vec::new();
                for (value, results) in classes {
                    let results: Vec<String> = results.iter().map(settled_text).collect();
                    seen.push((self.show_class(value), results));
                }
                seen.dedup_by(|later, earlier| later.0 == earlier.0);
                let parts: Vec<String> =
                    seen.iter().map(|(value, results)| format!("{value} → {}", results.join(" or "))).collect();
                let _ = writeln!(out, "    depends on {}: {}", self.fact_path(*fact), parts.join("; "));
            }
        }
        if !dependencies.unexplored.is_empty() {
            let names: Vec<String> = dependencies.unexplored.iter().map(|fact| self.fact_path(*fact)).collect();
            let _ = writeln!(out, "  (not combined with the others, too many combinations: {})", names.join(", "));
        }
        if !dependencies.sampled.is_empty() {
            let names: Vec<String> = dependencies.sampled.iter().map(|fact| self.fact_path(*fact)).collect();
            let _ = writeln!(out, "  (only some values tried, other values may differ: {})", names.join(", "));
        }
        if self.ask && !dependencies.ask.is_empty() {
            out.push_str("\nTo settle it, ask (most decisive first):\n");
            for (position, fact) in dependencies.ask.iter().enumerate() {
                let _ = writeln!(out, "  {}. {}", position + 1, self.fact_path(*fact));
            }
        }
    }

    fn rule_ref(&self, index: usize) -> RuleRef<'a> {
        let program = self.program;
        let Some(rule) = program.rules.get(index) else {
            return RuleRef { id: "", title: "", jurisdiction: None, citations: &[], quoted: None };
        };
        RuleRef {
            id: &rule.id,
            title: &rule.title,
            jurisdiction: rule.block.and_then(|block| program.blocks.get(block)).map(|block| block.title.as_str()),
            citations: &rule.cites,
            quoted: self.quoted_rule(index),
        }
    }

    /// A rule's id, borrowed from the program.
    fn rule_name(&self, index: usize) -> &'a str {
        let program = self.program;
        program.rules.get(index).map_or("", |rule| rule.id.as_str())
    }

    fn strength_of(&self, index: usize) -> Strength {
        self.program.rules.get(index).map_or(Strength::Soft, |rule| rule.strength)
    }

    fn show(&self, value: &Value) -> String {
        Shown { value, enums: &self.program.enums }.to_string()
    }

    /// The JSON of an outcome value.
    fn outcome_json(&self, kind: OutcomeKind, value: &OutcomeValue) -> Json {
        serde_json::to_value(self.outcome_field(kind, value)).unwrap_or(Json::Null)
    }

    pub fn conflicts(&self) -> Vec<ConflictReport<'a>> {
        self.outcome
            .conflicts
            .iter()
            .map(|conflict| {
                let (about, kind) = match &conflict.subject {
                    ConflictSubject::Outcome { outcome, key } => {
                        let name = self.program.outcome(*outcome).map_or("", |def| def.name.as_str());
                        (key.as_ref().map_or(name.to_string(), |key| format!("{name}.{key}")), "outcome")
                    }
                    ConflictSubject::Duty { act } => {
                        let name = self.program.acts().map_or("", |id| enum_name(&self.program.enums, id, *act));
                        (name.to_string(), "duty")
                    }
                };
                let sides = conflict
                    .sides
                    .iter()
                    .map(|(rule, value)| ConflictSide { rule: self.rule_ref(*rule), value: value.clone() })
                    .collect();
                ConflictReport { about, kind, sides }
            })
            .collect()
    }

    /// Condition `position` of rule `rule`, with the values it read.
    fn because(&self, rule: usize, position: usize, condition: &'a Condition) -> Because<'a> {
        let program = self.program;
        let mut values = Fields::default();
        for fact in &condition.facts {
            let Some(def) = program.fact(*fact) else {
                continue;
            };
            let value = self.facts.get(*fact).map_or(Json::Null, |value| bounded(to_json(value, &self.program.enums)));
            // The checker lists each fact once: no entry to look for.
            values.0.push((&def.path, value));
        }
        for outcome in &condition.outcomes {
            let Some(def) = program.outcome(*outcome) else {
                continue;
            };
            let value = self
                .outcome
                .values
                .get(outcome.0 as usize)
                .map_or(Json::Null, |value| self.outcome_json(def.kind, value));
            values.insert(&def.name, value);
        }
        // The defaults that stood in for absent facts, found in the condition once, when checked.
        let mut assumed = Fields::default();
        for assumption in &condition.defaults {
            let Some(def) = program.fact(assumption.fact) else { continue };
            let absent = values.get(&def.path).is_some_and(Json::is_null) && self.facts.get(assumption.fact).is_none();
            if absent && assumed.get(&def.path).is_none() {
                let shown = Shown { value: &assumption.default, enums: &program.enums };
                let text = if assumption.direct {
                    format!("assumed {shown}")
                } else {
                    format!("the test on it taken as {shown}")
                };
                assumed.insert(&def.path, Json::String(text));
            }
        }
        let quoted = self.quoted_rule(rule).and_then(|quoted| quoted.conditions.get(position)).map(|json| &**json);
        Because { condition: &condition.text, values, assumed, quoted }
    }

    pub fn explanation(&self) -> Explanation<'a> {
        let mut fired = Vec::new();
        let mut overridden = Vec::new();
        let mut why_not = Vec::new();
        let program = self.program;
        for (index, status) in self.outcome.status.iter().enumerate() {
            let Some(rule) = program.rules.get(index) else {
                continue;
            };
            match *status {
                Status::Fired => {
                    let not_concluded: Vec<&str> = self
                        .outcome
                        .skipped
                        .iter()
                        .filter(|(skipped_rule, _)| *skipped_rule == index)
                        .filter_map(|(_, position)| rule.then.get(*position).map(|effect| effect.text.as_str()))
                        .collect();
                    fired.push(Fired {
                        rule: self.rule_ref(index),
                        confidence: rule.confidence.as_str(),
                        because: rule
                            .when
                            .iter()
                            .enumerate()
                            .map(|(position, condition)| self.because(index, position, condition))
                            .collect(),
                        concluded: rule
                            .then
                            .iter()
                            .map(|effect| effect.text.as_str())
                            .filter(|text| !not_concluded.contains(text))
                            .collect(),
                        not_concluded,
                    });
                }
                Status::Overridden { by } => {
                    overridden.push(Overridden { rule: self.rule_ref(index), by: self.rule_name(by) })
                }
                Status::Failed { condition, unknown } => {
                    if let Some(failed) = rule.when.get(condition) {
                        why_not.push(WhyNot {
                            rule: self.rule_ref(index),
                            failed: self.because(index, condition, failed),
                            result: if unknown { "unknown" } else { "false" },
                        });
                    }
                }
                Status::NotInForce | Status::NotApplicable => {}
            }
        }
        let overruled = self
            .outcome
            .overruled
            .iter()
            .map(|(weaker, by)| Overruled {
                rule: self.rule_ref(*weaker),
                by: self.rule_name(*by),
                reason: format!(
                    "{} prevails over {}",
                    strength_noun(self.strength_of(*by)),
                    strength_noun(self.strength_of(*weaker))
                ),
            })
            .collect();
        let applicable = program
            .blocks
            .iter()
            .enumerate()
            .map(|(index, block)| BlockReport {
                id: &block.id,
                title: &block.title,
                kind: strength_word(block.strength),
                applies: self.outcome.blocks.get(index).copied().unwrap_or(false),
            })
            .collect();
        let mut explanation =
            Explanation { as_of: self.outcome.as_of.to_string(), applicable, fired, overridden, overruled, why_not };
        self.filter.apply(&mut explanation);
        explanation
    }

    /// The assertions (`assert`) this request violates.
    fn violations(&self) -> Vec<&crate::check::AssertionDef> {
        self.outcome.violations.iter().filter_map(|index| self.program.assertions.get(*index)).collect()
    }

    /// Each `one of` outcome by name with the value it took (`None` when no rule set
    /// it): what a service counts its decisions by, a label of few values.
    pub fn chosen(&self) -> Vec<(&'a str, Option<&'a str>)> {
        let program = self.program;
        program
            .outcomes
            .iter()
            .zip(&self.outcome.values)
            .filter(|(def, _)| matches!(def.kind, OutcomeKind::One(_)))
            .map(|(def, value)| {
                let chosen = match value {
                    OutcomeValue::One(Some(Value::Enum(id, index))) => Some(enum_name(&program.enums, *id, *index)),
                    _ => None,
                };
                (def.name.as_str(), chosen)
            })
            .collect()
    }

    /// The JSON output: declared outcomes, `rules`, `conflicts`, and with `explain` the explanation.
    pub fn json(&self, explain: bool) -> Json {
        let mut json = serde_json::to_value(Head(self)).unwrap_or(Json::Null);
        if explain && let Json::Object(map) = &mut json {
            map.insert(String::from("explanation"), serde_json::to_value(self.explanation()).unwrap_or(Json::Null));
        }
        json
    }

    /// [`Report::json`] as one line of text, the same bytes as serializing it, but
    /// with the explanation written straight from its parts (borrowed from the
    /// program) instead of being built as a JSON tree first.
    pub fn json_line(&self, explain: bool) -> String {
        let mut bytes = Vec::new();
        self.write_json_line(explain, &mut bytes);
        String::from_utf8(bytes).unwrap_or_default()
    }

    /// [`Report::json_line`] appended to `out` (UTF-8), without a newline.
    pub fn write_json_line(&self, explain: bool, out: &mut Vec<u8>) {
        // The fields are written straight from the outcome, borrowed, not built as a
        // tree first (no outcome is named like one of the report's own fields: the
        // checker refuses it, `check::REPORT_FIELDS`).
        let head = |out: &mut Vec<u8>| {
            if serde_json::to_writer(&mut *out, &Head(self)).is_err() {
                out.extend_from_slice(b"null");
            }
        };
        if !explain {
            head(out);
            return;
        }
        // Written in place, room made once: an explanation runs to tens of kilobytes.
        out.reserve(512 * self.program.rules.len());
        let start = out.len();
        head(out);
        if out.last() == Some(&b'}') && out.len() > start {
            out.pop();
            out.extend_from_slice(b",\"explanation\":");
            if serde_json::to_writer(&mut *out, &self.explanation()).is_err() {
                out.extend_from_slice(b"null");
            }
            out.push(b'}');
        }
    }

    /// The JSON of each outcome's value, as [`Report::json`] has it.
    fn outcome_field<'r>(&'r self, kind: OutcomeKind, value: &'r OutcomeValue) -> OutcomeField<'r, 'a> {
        OutcomeField { report: self, kind, value }
    }

    /// The text output. Without `explain`: outcomes, conflicts and the rules
    /// applied with citations; with it also conditions and values, rules
    /// overridden and rules that did not apply.
    pub fn text(&self, explain: bool) -> String {
        let out = self.text_raw(explain);
        // Titles and citations come from rule files: an invisible character in
        // them is written out, never passed to the reader's terminal.
        crate::source::visible(&out).into_owned()
    }

    fn text_raw(&self, explain: bool) -> String {
        let mut out = String::new();
        let width = self.program.outcomes.iter().map(|def| label(&def.name).len()).max().unwrap_or(0);
        for (def, value) in self.program.outcomes.iter().zip(&self.outcome.values) {
            self.outcome_text(&mut out, &label(&def.name), width, def.kind, value);
            if self.provisional(&def.name) {
                // The line just written ends in a newline: mark it before that.
                out.pop();
                out.push_str("  (provisional)\n");
            }
        }
        self.dependencies_text(&mut out);
        let conflicts = self.conflicts();
        if !conflicts.is_empty() {
            out.push_str("\nConflicts (never resolved automatically):\n");
            for conflict in &conflicts {
                let what = if conflict.kind == "duty" {
                    format!("`{}` is both required and forbidden", conflict.about)
                } else {
                    format!("`{}` is set to different values", conflict.about)
                };
                let _ = writeln!(out, "  ! {what}");
                for side in &conflict.sides {
                    let _ = writeln!(out, "    {} {} — {}", side.rule.id, side.value, side_source(&side.rule));
                }
            }
        }
        let violations = self.violations();
        if !violations.is_empty() {
            out.push_str("\nAssertions this request violates (the rule set promises otherwise):\n");
            for assertion in violations {
                let word = if assertion.always { "always" } else { "never" };
                let _ = writeln!(out, "  ! {} {} — {word} {}", assertion.id, assertion.title, assertion.claim.text);
            }
        }
        let notes = self.date_notes();
        if !notes.is_empty() {
            out.push_str("\nNotes on the date:\n");
            for note in &notes {
                let _ = writeln!(out, "  ! {note}");
            }
        }
        let explanation = self.explanation();
        let _ = writeln!(out, "\nReasons (rules applied as of {}):", explanation.as_of);
        if explanation.fired.is_empty() {
            match &self.filter.rule {
                Some(id) => {
                    let _ = writeln!(out, "  rule `{id}` did not apply (see below)");
                }
                None => out.push_str("  no rule applied\n"),
            }
        }
        for fired in &explanation.fired {
            rule_heading(&mut out, &fired.rule);
            if explain {
                for because in &fired.because {
                    let _ = writeln!(
                        out,
                        "      because {}{}",
                        because.condition,
                        values_with_defaults(&because.values, &because.assumed)
                    );
                }
                for concluded in &fired.concluded {
                    let _ = writeln!(out, "      so {concluded}");
                }
                for skipped in &fired.not_concluded {
                    let _ = writeln!(out, "      could not {skipped}: a value it needs is unknown");
                }
                if fired.concluded.is_empty() && fired.not_concluded.is_empty() {
                    out.push_str("      concludes nothing itself: it records that the provision is engaged\n");
                }
            }
        }
        if explain {
            if !explanation.overridden.is_empty() {
                out.push_str("\nOverridden (held, but set aside by a more specific rule):\n");
                for item in &explanation.overridden {
                    let _ = writeln!(out, "  {} {} — overridden by {}", item.rule.id, item.rule.title, item.by);
                }
            }
            if !explanation.overruled.is_empty() {
                out.push_str("\nOverruled duties (law prevails over contract, contract over policy):\n");
                for item in &explanation.overruled {
                    let _ = writeln!(out, "  {} — overruled by {}: {}", item.rule.id, item.by, item.reason);
                }
            }
            if !explanation.why_not.is_empty() {
                out.push_str("\nDid not apply (jurisdiction applies, a condition failed):\n");
                for item in &explanation.why_not {
                    let verdict = if item.result == "unknown" { "unknown" } else { "not met" };
                    let _ = writeln!(
                        out,
                        "  {} {} — {verdict}: {}{}",
                        item.rule.id,
                        item.rule.title,
                        item.failed.condition,
                        values_text(&item.failed.values)
                    );
                }
            }
        }
        out
    }

    fn outcome_text(&self, out: &mut String, name: &str, width: usize, kind: OutcomeKind, value: &OutcomeValue) {
        let pad = width + 2;
        match (kind, value) {
            (_, OutcomeValue::One(value)) => {
                let shown = value.as_ref().map_or(String::from("none"), |value| self.show(value));
                let _ = writeln!(out, "{:<pad$}{shown}", format!("{name}:"));
            }
            (OutcomeKind::Set(id), OutcomeValue::Set(members)) => {
                if members.is_empty() {
                    let _ = writeln!(out, "{:<pad$}none", format!("{name}:"));
                } else {
                    let _ = writeln!(out, "{name}:");
                    let mut names: Vec<&str> =
                        members.iter().map(|member| enum_name(&self.program.enums, id, *member)).collect();
                    names.sort_unstable();
                    for member in names {
                        let _ = writeln!(out, "  - {member}");
                    }
                }
            }
            (_, OutcomeValue::Map(dates)) => {
                if dates.is_empty() {
                    let _ = writeln!(out, "{:<pad$}none", format!("{name}:"));
                } else {
                    let _ = writeln!(out, "{name}:");
                    for (key, value) in dates {
                        let _ = writeln!(out, "  - {key}: {}", self.show(value));
                    }
                }
            }
            (OutcomeKind::Duties(id), OutcomeValue::Duties { required, forbidden }) => {
                let names = |acts: &[u32]| {
                    let mut names: Vec<&str> =
                        acts.iter().map(|act| enum_name(&self.program.enums, id, *act)).collect();
                    names.sort_unstable();
                    if names.is_empty() { String::from("none") } else { names.join(", ") }
                };
                let _ = writeln!(out, "{name}:");
                let _ = writeln!(out, "  - required: {}", names(required));
                let _ = writeln!(out, "  - forbidden: {}", names(forbidden));
            }
            (_, OutcomeValue::Confidence(level)) => {
                let _ = writeln!(out, "{:<pad$}{}", format!("{name}:"), level.map_or("none", |level| level.as_str()));
            }
            _ => {}
        }
    }
}

fn strength_noun(strength: Strength) -> &'static str {
    match strength {
        Strength::Law => "law",
        Strength::Contract => "contract",
        Strength::Soft => "policy",
    }
}

fn strength_word(strength: Strength) -> &'static str {
    match strength {
        Strength::Law => "jurisdiction",
        Strength::Contract => "contract",
        Strength::Soft => "principles",
    }
}

/// `fallback_decision` → `Fallback decision`.
fn settled_text(settled: &Settled) -> String {
    match settled {
        Settled::Value(value) => value.clone(),
        Settled::Unset => String::from("none"),
        Settled::Conflict => String::from("a conflict"),
    }
}

fn settled_json(settled: &Settled) -> Json {
    match settled {
        Settled::Value(value) => Json::from(value.as_str()),
        Settled::Unset => Json::Null,
        Settled::Conflict => Json::from("conflict"),
    }
}

fn label(name: &str) -> String {
    let spaced = name.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => spaced,
    }
}

fn side_source(rule: &RuleRef) -> String {
    let place = rule.jurisdiction.unwrap_or_default().to_string();
    let cites = rule.citations.join("; ");
    match (place.is_empty(), cites.is_empty()) {
        (false, false) => format!("{place}: {cites}"),
        (false, true) => place,
        _ => cites,
    }
}

fn rule_heading(out: &mut String, rule: &RuleRef) {
    let place = rule.jurisdiction.as_ref().map(|place| format!(" [{place}]")).unwrap_or_default();
    let _ = writeln!(out, "  {} {}{place}", rule.id, rule.title);
    for cite in rule.citations {
        let _ = writeln!(out, "      cites {cite}");
    }
}

/// How many items of a list, and characters of a text, an explanation shows.
const SHOWN_ITEMS: usize = 20;
const SHOWN_CHARS: usize = 200;

/// A fact's value as an explanation shows it: a long list cut to its first
/// items and a note of how many more, a long text to its first characters, so
/// that an explanation stays small whatever the request holds.
fn bounded(value: Json) -> Json {
    match value {
        Json::Array(mut items) if items.len() > SHOWN_ITEMS => {
            let more = items.len() - SHOWN_ITEMS;
            items.truncate(SHOWN_ITEMS);
            items.push(Json::String(format!("… and {more} more")));
            Json::Array(items.into_iter().map(bounded).collect())
        }
        Json::Array(items) => Json::Array(items.into_iter().map(bounded).collect()),
        Json::String(text) if text.chars().count() > SHOWN_CHARS => {
            let more = text.chars().count() - SHOWN_CHARS;
            let shown: String = text.chars().take(SHOWN_CHARS).collect();
            Json::String(format!("{shown}… ({more} more characters)"))
        }
        other => other,
    }
}

fn values_text(values: &Fields<'_>) -> String {
    values_with_defaults(values, &Fields::default())
}

/// `[a = 1, b absent, assumed true]`.
fn values_with_defaults(values: &Fields<'_>, assumed: &Fields<'_>) -> String {
    if values.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = values
        .iter()
        .map(|(name, value)| match (value.is_null(), assumed.get(name).and_then(Json::as_str)) {
            (true, Some(default)) => format!("{name} absent, {default}"),
            (true, None) => format!("{name} absent"),
            _ => format!("{name} = {value}"),
        })
        .collect();
    format!("  [{}]", parts.join(", "))
}

/// [`Report::json`] without its explanation, serialized from the report itself
/// (into a JSON tree for [`Report::json`], as text for [`Report::json_line`]):
/// the outcomes in declaration order, then `rules`, `conflicts`, `notes` and
/// `violations` when there are any, then the dependencies when asked for.
struct Head<'r, 'a>(&'r Report<'a>);

impl Serialize for Head<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let report = self.0;
        let program = report.program;
        let mut map = serializer.serialize_map(None)?;
        for (def, value) in program.outcomes.iter().zip(&report.outcome.values) {
            map.serialize_entry(&def.name, &report.outcome_field(def.kind, value))?;
        }
        let rules: Vec<&str> = report
            .outcome
            .fired
            .iter()
            .map(|rule| program.rules.get(*rule).map_or("", |def| def.id.as_str()))
            .collect();
        map.serialize_entry("rules", &rules)?;
        map.serialize_entry("conflicts", &report.conflicts())?;
        let notes = report.date_notes();
        if !notes.is_empty() {
            map.serialize_entry("notes", &notes)?;
        }
        let violations = report.violations();
        if !violations.is_empty() {
            let listed: Vec<Json> = violations
                .iter()
                .map(|assertion| serde_json::json!({ "id": assertion.id, "title": assertion.title, "claim": assertion.claim.text }))
                .collect();
            map.serialize_entry("violations", &listed)?;
        }
        let mut dependencies = Map::new();
        report.dependencies_json(&mut dependencies);
        for (key, value) in &dependencies {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// One outcome's value as JSON: `null` when it has none, a `set of` as its
/// values' names sorted, `duties of` as `required` and `forbidden`.
struct OutcomeField<'r, 'a> {
    report: &'r Report<'a>,
    kind: OutcomeKind,
    value: &'r OutcomeValue,
}

impl Serialize for OutcomeField<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let enums = &self.report.program.enums;
        let names = |id, members: &[u32]| {
            let mut names: Vec<&str> = members.iter().map(|member| enum_name(enums, id, *member)).collect();
            names.sort_unstable();
            names
        };
        match (self.kind, self.value) {
            (_, OutcomeValue::One(Some(value))) => to_json(value, enums).serialize(serializer),
            (_, OutcomeValue::One(None)) => serializer.serialize_none(),
            (OutcomeKind::Set(id), OutcomeValue::Set(members)) => names(id, members).serialize(serializer),
            (_, OutcomeValue::Map(values)) => {
                let mut map = serializer.serialize_map(Some(values.len()))?;
                for (key, value) in values {
                    map.serialize_entry(key, &to_json(value, enums))?;
                }
                map.end()
            }
            (OutcomeKind::Duties(id), OutcomeValue::Duties { required, forbidden }) => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("required", &names(id, required))?;
                map.serialize_entry("forbidden", &names(id, forbidden))?;
                map.end()
            }
            (_, OutcomeValue::Confidence(Some(level))) => serializer.serialize_str(level.as_str()),
            (_, OutcomeValue::Confidence(None)) => serializer.serialize_none(),
            _ => serializer.serialize_none(),
        }
    }
}
