//! What a change to a rule set means (`tenet diff`): rules added, removed and
//! changed, compared by id and by meaning (layout and comments never show),
//! and the cases whose outcome changes, field by field, with the rules
//! responsible on each side.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value as Json;

use crate::ast::{self, Item};
use crate::cases;
use crate::check::{EffectKind, Program};
use crate::diag::{ErrorFormat, render};
use crate::eval::{Status, evaluate};
use crate::facts::{self, Schema};
use crate::format::{conclusion_text, expression, literal_text, outcome_kind_text, type_text};
use crate::load::{Loaded, load};
use crate::render::Report;

/// The whole comparison of two versions of a rule set.
#[derive(Clone, Debug, Serialize)]
pub struct Diff {
    pub old: String,
    pub new: String,
    /// Diagnostics (rendered as plain text) of a version that does not check.
    pub old_problems: Option<String>,
    pub new_problems: Option<String>,
    pub added: Vec<RuleSummary>,
    pub removed: Vec<RuleSummary>,
    pub changed: Vec<RuleChange>,
    /// Declarations other than rules: facts, terms, sets, enumerations, outcomes, blocks.
    pub declarations: Vec<DeclarationChange>,
    pub impact: Impact,
    /// With `--exhaustive`: every class of request whose outcome changes, by change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exhaustive: Option<Exhaustive>,
}

/// The outcome changes over every request class, on one date.
#[derive(Clone, Debug, Serialize)]
pub struct Exhaustive {
    pub as_of: String,
    pub changes: Vec<crate::analysis::analyze::Finding>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RuleSummary {
    pub id: String,
    pub title: String,
    pub jurisdiction: Option<String>,
    /// For an added or removed rule, the rule in full: (part, canonical text).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<(&'static str, String)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RuleChange {
    #[serde(flatten)]
    pub rule: RuleSummary,
    pub parts: Vec<PartChange>,
}

/// One part of a rule: `condition`, `conclusions`, `citations`, `effective dates`,
/// `overrides`, `jurisdiction`, `title`, `confidence`.
#[derive(Clone, Debug, Serialize)]
pub struct PartChange {
    pub part: &'static str,
    pub old: String,
    pub new: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct DeclarationChange {
    /// `fact`, `term`, `set`, `enum`, `outcome`, `jurisdiction`...
    pub kind: &'static str,
    pub name: String,
    /// `added`, `removed` or `changed`.
    pub change: &'static str,
    pub old: Option<String>,
    pub new: Option<String>,
    /// For a changed term or set: the rules of the new version that read it, directly or
    /// through other terms.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub affects: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Impact {
    /// Case files found under both versions.
    pub cases: usize,
    pub changed: Vec<CaseChange>,
    /// Case files only the new version has, and only the old one (paths relative to the rules).
    pub added_cases: Vec<String>,
    pub removed_cases: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CaseChange {
    pub id: String,
    pub title: String,
    pub path: String,
    pub fields: Vec<FieldChange>,
    /// The facts fit only one version's vocabulary: what the other said.
    pub problem: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub old: Json,
    pub new: Json,
    /// Fired rules that concluded this field, on each side.
    pub old_rules: Vec<String>,
    pub new_rules: Vec<String>,
}

/// Compares the rule directories `old` and `new`, and their cases.
pub fn diff(old: &Path, new: &Path) -> Diff {
    let old_loaded = load(&[old.to_path_buf()]);
    let new_loaded = load(&[new.to_path_buf()]);
    let problems = |loaded: &Loaded| {
        loaded.has_errors().then(|| render(&loaded.diagnostics, &loaded.sources, ErrorFormat::Plain, false))
    };
    let (added, removed, changed) = rule_changes(&old_loaded, &new_loaded);
    let declarations = declaration_changes(&old_loaded.trees, &new_loaded.trees);
    let impact = if old_loaded.has_errors() || new_loaded.has_errors() {
        Impact::default()
    } else {
        impact(old, &old_loaded, new, &new_loaded)
    };
    Diff {
        old: old.display().to_string(),
        new: new.display().to_string(),
        old_problems: problems(&old_loaded),
        new_problems: problems(&new_loaded),
        added,
        removed,
        changed,
        declarations,
        impact,
        exhaustive: None,
    }
}

/// Adds to `diff` every class of request whose single-valued outcomes change
/// between the rule sets at `old` and `new` on `as_of` (when both check).
pub fn exhaustive(diff: &mut Diff, old: &Path, new: &Path, as_of: jiff::civil::Date) {
    let (old_loaded, new_loaded) = (load(&[old.to_path_buf()]), load(&[new.to_path_buf()]));
    if old_loaded.has_errors() || new_loaded.has_errors() {
        return;
    }
    let changes = crate::analysis::analyze::compare(&old_loaded.program, &new_loaded.program, as_of);
    diff.exhaustive = Some(Exhaustive { as_of: as_of.to_string(), changes });
}

/// Every rule by id, with the id and title of its block.
fn rules_by_id(trees: &[ast::File]) -> BTreeMap<String, (Option<&ast::Block>, &ast::Rule)> {
    let mut rules = BTreeMap::new();
    for item in trees.iter().flat_map(|tree| tree.items.iter()) {
        match item {
            Item::Rule(rule) => {
                rules.entry(rule.id.text.clone()).or_insert((None, rule));
            }
            Item::Block(block) => {
                for rule in &block.rules {
                    rules.entry(rule.id.text.clone()).or_insert((Some(block), rule));
                }
            }
            _ => {}
        }
    }
    rules
}

fn summary(block: Option<&ast::Block>, rule: &ast::Rule) -> RuleSummary {
    RuleSummary {
        id: rule.id.text.clone(),
        title: rule.title.text.clone(),
        jurisdiction: block.map(|block| block.title.text.clone()),
        parts: Vec::new(),
    }
}

/// A rule as a reviewer reads it: citations, dates, confidence, overrides, condition, conclusions.
fn in_full(block: Option<&ast::Block>, rule: &ast::Rule) -> RuleSummary {
    let mut parts = vec![("citations", cites(rule)), ("effective dates", dates(rule))];
    if !rule.confidence.is_empty() {
        parts.push(("confidence", confidence(rule)));
    }
    if !rule.overrides.is_empty() {
        parts.push(("overrides", names(&rule.overrides)));
    }
    parts.push(("condition", if rule.when.is_empty() { String::from("always") } else { conditions(&rule.when) }));
    parts.push(("conclusions", conclusions(&rule.then)));
    RuleSummary { parts, ..summary(block, rule) }
}

fn rule_changes(old: &Loaded, new: &Loaded) -> (Vec<RuleSummary>, Vec<RuleSummary>, Vec<RuleChange>) {
    let (old_rules, new_rules) = (rules_by_id(&old.trees), rules_by_id(&new.trees));
    let added = new_rules
        .iter()
        .filter(|(id, _)| !old_rules.contains_key(*id))
        .map(|(_, (block, rule))| in_full(*block, rule))
        .collect();
    let removed = old_rules
        .iter()
        .filter(|(id, _)| !new_rules.contains_key(*id))
        .map(|(_, (block, rule))| in_full(*block, rule))
        .collect();
    let mut changed = Vec::new();
    for (id, (old_block, old_rule)) in &old_rules {
        let Some((new_block, new_rule)) = new_rules.get(id) else { continue };
        let parts = rule_parts(*old_block, old_rule, *new_block, new_rule);
        if !parts.is_empty() {
            changed.push(RuleChange { rule: summary(*new_block, new_rule), parts });
        }
    }
    (added, removed, changed)
}

/// The parts of a rule that differ, each as canonical text.
fn rule_parts(
    old_block: Option<&ast::Block>,
    old: &ast::Rule,
    new_block: Option<&ast::Block>,
    new: &ast::Rule,
) -> Vec<PartChange> {
    let mut parts = Vec::new();
    let mut part = |name: &'static str, old_text: String, new_text: String| {
        if old_text != new_text {
            parts.push(PartChange { part: name, old: old_text, new: new_text });
        }
    };
    let block_id = |block: Option<&ast::Block>| block.map_or(String::from("(none)"), |block| block.id.text.clone());
    part("jurisdiction", block_id(old_block), block_id(new_block));
    part("title", old.title.text.clone(), new.title.text.clone());
    part("citations", cites(old), cites(new));
    part("effective dates", dates(old), dates(new));
    part("confidence", confidence(old), confidence(new));
    part("overrides", names(&old.overrides), names(&new.overrides));
    part("condition", conditions(&old.when), conditions(&new.when));
    part("conclusions", conclusions(&old.then), conclusions(&new.then));
    parts
}

fn cites(rule: &ast::Rule) -> String {
    rule.cites.iter().map(|cite| format!("{:?}", cite.text)).collect::<Vec<_>>().join("; ")
}

fn dates(rule: &ast::Rule) -> String {
    let from = rule.effective.iter().map(|dated| dated.text.as_str()).collect::<Vec<_>>().join(", ");
    let until = rule.until.iter().map(|dated| dated.text.as_str()).collect::<Vec<_>>().join(", ");
    match (from.is_empty(), until.is_empty()) {
        (true, true) => String::from("always"),
        (false, true) => format!("from {from}"),
        (true, false) => format!("until {until}"),
        (false, false) => format!("from {from} until {until}"),
    }
}

fn confidence(rule: &ast::Rule) -> String {
    rule.confidence.first().map_or("high", |(level, _)| level.as_str()).to_string()
}

fn names(names: &[ast::Name]) -> String {
    names.iter().map(|name| name.text.as_str()).collect::<Vec<_>>().join(", ")
}

fn conditions(when: &[ast::Expr]) -> String {
    when.iter().map(expression).collect::<Vec<_>>().join(" / ")
}

fn conclusions(then: &[ast::Conclusion]) -> String {
    then.iter().map(conclusion_text).collect::<Vec<_>>().join("; ")
}

/// Declarations as `(kind, name) → canonical text`.
fn declarations(trees: &[ast::File]) -> BTreeMap<(&'static str, String), String> {
    let mut out: BTreeMap<(&'static str, String), String> = BTreeMap::new();
    for item in trees.iter().flat_map(|tree| tree.items.iter()) {
        let entry = match item {
            Item::Enum(decl) => {
                let values: Vec<String> = decl
                    .values
                    .iter()
                    .zip(decl.labels.iter().chain(std::iter::repeat(&None)))
                    .map(|(value, label)| match label {
                        Some(label) => format!("{} {label:?}", value.text),
                        None => value.text.clone(),
                    })
                    .collect();
                // An enumeration with its extensions, wherever they are: one value list.
                let key = ("enum", decl.name.text.clone());
                let all = match out.get(&key) {
                    Some(text) => format!("{}, {} }}", text.trim_end_matches(" }"), values.join(", ")),
                    None => format!("{{ {} }}", values.join(", ")),
                };
                out.insert(key, all);
                continue;
            }
            Item::Fact(decl) => {
                let mut text = type_text(&decl.ty);
                if decl.optional {
                    text.push_str(" optional");
                }
                if let Some(default) = &decl.default {
                    let _ = write!(text, " default {}", literal_text(default));
                }
                ("fact", decl.path.text.clone(), text)
            }
            Item::Set(decl) => {
                let values: Vec<String> = decl.values.iter().map(literal_text).collect();
                ("set", decl.name.text.clone(), format!("[{}]", values.join(", ")))
            }
            Item::Term(decl) => ("term", decl.name.text.clone(), expression(&decl.body)),
            Item::Outcome(decl) => {
                let required = if decl.required { " required" } else { "" };
                ("outcome", decl.name.text.clone(), format!("{}{required}", outcome_kind_text(&decl.kind)))
            }
            Item::Assertion(assertion) => {
                let mut text = format!("{:?}", assertion.title.text);
                for cite in &assertion.cites {
                    let _ = write!(text, " cite {:?}", cite.text);
                }
                for when in &assertion.when {
                    let _ = write!(text, " when {}", expression(when));
                }
                let word = if assertion.always { "always" } else { "never" };
                let _ = write!(text, " {word} {}", expression(&assertion.claim));
                ("assert", assertion.id.text.clone(), text)
            }
            Item::Block(block) => {
                let applies = block.applies.iter().map(expression).collect::<Vec<_>>().join(" / ");
                let keyword = block.strength.keyword();
                let mut text = format!("{keyword} {} {:?}", block.id.text, block.title.text);
                if !applies.is_empty() {
                    let _ = write!(text, " applies when {applies}");
                }
                for dated in &block.effective {
                    let _ = write!(text, " effective {}", dated.text);
                }
                for dated in &block.until {
                    let _ = write!(text, " until {}", dated.text);
                }
                ("block", block.id.text.clone(), text)
            }
            Item::Rule(_) => continue,
        };
        out.insert((entry.0, entry.1), entry.2);
    }
    out
}

fn declaration_changes(old: &[ast::File], new: &[ast::File]) -> Vec<DeclarationChange> {
    let trees = new;
    let (old, new) = (declarations(old), declarations(new));
    let keys: BTreeSet<&(&'static str, String)> = old.keys().chain(new.keys()).collect();
    keys.into_iter()
        .filter_map(|key| {
            let (before, after) = (old.get(key), new.get(key));
            let change = match (before, after) {
                (None, Some(_)) => "added",
                (Some(_), None) => "removed",
                (Some(a), Some(b)) if a != b => "changed",
                _ => return None,
            };
            let affects = if change == "changed" && matches!(key.0, "term" | "set") {
                readers(trees, &key.1)
            } else {
                Vec::new()
            };
            Some(DeclarationChange {
                kind: key.0,
                name: key.1.clone(),
                change,
                old: before.cloned(),
                new: after.cloned(),
                affects,
            })
        })
        .collect()
}

/// The words an expression names (paths and bare words).
fn words_of(expr: &ast::Expr, out: &mut BTreeSet<String>) {
    use ast::ExprKind;
    match &expr.kind {
        ExprKind::Path(name) => {
            out.insert(name.text.clone());
        }
        ExprKind::Or(parts) | ExprKind::And(parts) | ExprKind::Otherwise(parts) | ExprKind::List(parts) => {
            parts.iter().for_each(|part| words_of(part, out));
        }
        ExprKind::Not(inner) => words_of(inner, out),
        ExprKind::Presence { operand, .. } => words_of(operand, out),
        ExprKind::Is { left, right, .. }
        | ExprKind::In { left, right, .. }
        | ExprKind::Compare { left, right, .. }
        | ExprKind::Arith { left, right, .. } => {
            words_of(left, out);
            words_of(right, out);
        }
        ExprKind::Quantified { list, body, .. } => {
            words_of(list, out);
            words_of(body, out);
        }
        ExprKind::Duty { act, .. } => {
            out.insert(act.text.clone());
        }
        ExprKind::Literal(_) => {}
    }
}

/// Ids of the rules that read `name` (a term or set), directly or through terms.
fn readers(trees: &[ast::File], name: &str) -> Vec<String> {
    let mut terms: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for item in trees.iter().flat_map(|tree| tree.items.iter()) {
        if let Item::Term(decl) = item {
            let mut words = BTreeSet::new();
            words_of(&decl.body, &mut words);
            terms.insert(decl.name.text.clone(), words);
        }
    }
    // Every term that reads `name`, to a fixed point.
    let mut reach: BTreeSet<String> = BTreeSet::from([name.to_string()]);
    loop {
        let before = reach.len();
        for (term, words) in &terms {
            if words.iter().any(|word| reach.contains(word)) {
                reach.insert(term.clone());
            }
        }
        if reach.len() == before {
            break;
        }
    }
    let mut ids = Vec::new();
    for (_, (block, rule)) in rules_by_id(trees) {
        let mut words = BTreeSet::new();
        rule.when.iter().for_each(|expr| words_of(expr, &mut words));
        for conclusion in &rule.then {
            match conclusion {
                ast::Conclusion::Set { value, .. } => words_of(value, &mut words),
                ast::Conclusion::Add { values, .. } => values.iter().for_each(|value| words_of(value, &mut words)),
                ast::Conclusion::Require(_) | ast::Conclusion::Forbid(_) => {}
            }
        }
        if let Some(block) = block {
            block.applies.iter().for_each(|expr| words_of(expr, &mut words));
        }
        if words.iter().any(|word| reach.contains(word)) {
            ids.push(rule.id.text.clone());
        }
    }
    ids
}

/// Every case found under both versions (same path relative to the rule
/// directory), run with the new version's facts against both rule sets.
fn impact(old_dir: &Path, old: &Loaded, new_dir: &Path, new: &Loaded) -> Impact {
    let relative = |dir: &Path| -> BTreeSet<PathBuf> {
        let (files, _) = cases::discover(&[dir.to_path_buf()]);
        files.into_iter().filter_map(|file| file.strip_prefix(dir).ok().map(Path::to_path_buf)).collect()
    };
    let (old_cases, new_cases) = (relative(old_dir), relative(new_dir));
    let both: Vec<&PathBuf> = new_cases.intersection(&old_cases).collect();
    let (old_schema, new_schema) = (Schema::new(&old.program), Schema::new(&new.program));
    let mut changed = Vec::new();
    for path in &both {
        let file = new_dir.join(path);
        let Some(case) =
            facts::read_bounded(&file).ok().and_then(|bytes| facts::read_document(&bytes, facts::is_yaml(&file)).ok())
        else {
            continue;
        };
        let facts = case.get("facts").cloned().unwrap_or(Json::Null);
        let before = outcome_json(&old.program, &old_schema, &facts);
        let after = outcome_json(&new.program, &new_schema, &facts);
        let text = |key: &str| case.get(key).and_then(Json::as_str).unwrap_or_default().to_string();
        let id = Some(text("id")).filter(|id| !id.is_empty()).unwrap_or_else(|| path.display().to_string());
        let change = match (before, after) {
            (Ok((old_json, old_fired)), Ok((new_json, new_fired))) => {
                let fields = field_changes(&old_json, &old_fired, &new_json, &new_fired);
                (!fields.is_empty()).then_some((fields, None))
            }
            (Err(problem), Ok(_)) => Some((Vec::new(), Some(format!("the facts do not fit the old rules: {problem}")))),
            (Ok(_), Err(problem)) => Some((Vec::new(), Some(format!("the facts do not fit the new rules: {problem}")))),
            (Err(_), Err(_)) => None,
        };
        if let Some((fields, problem)) = change {
            changed.push(CaseChange { id, title: text("title"), path: file.display().to_string(), fields, problem });
        }
    }
    let only = |a: &BTreeSet<PathBuf>, b: &BTreeSet<PathBuf>| -> Vec<String> {
        a.difference(b).map(|path| path.display().to_string()).collect()
    };
    Impact {
        cases: both.len(),
        changed,
        added_cases: only(&new_cases, &old_cases),
        removed_cases: only(&old_cases, &new_cases),
    }
}

/// A case's outcome as JSON, and for each outcome the fired rules that concluded it.
type Evaluated = (Json, BTreeMap<String, Vec<String>>);

fn outcome_json(program: &Program, schema: &Schema, facts_json: &Json) -> Result<Evaluated, String> {
    let facts = facts::from_value(program, schema, facts_json, None)
        .map_err(|problems| problems.first().map(|problem| problem.message.clone()).unwrap_or_default())?;
    let outcome = evaluate(program, &facts);
    if let Some(error) = outcome.error_diagnostics(program).first() {
        return Err(error.message.clone());
    }
    let json = Report::new(program, &facts, &outcome).json(false);
    let mut writers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (index, rule) in program.rules.iter().enumerate() {
        if outcome.status.get(index) != Some(&Status::Fired) {
            continue;
        }
        for effect in &rule.then {
            let outcome_id = match &effect.kind {
                EffectKind::SetOne { outcome, .. }
                | EffectKind::SetKey { outcome, .. }
                | EffectKind::Add { outcome, .. } => Some(*outcome),
                EffectKind::Require(_) | EffectKind::Forbid(_) => program.duties,
            };
            if let Some(def) = outcome_id.and_then(|id| program.outcome(id)) {
                let list = writers.entry(def.name.clone()).or_default();
                if !list.contains(&rule.id) {
                    list.push(rule.id.clone());
                }
            }
        }
    }
    Ok((json, writers))
}

fn field_changes(
    old: &Json,
    old_rules: &BTreeMap<String, Vec<String>>,
    new: &Json,
    new_rules: &BTreeMap<String, Vec<String>>,
) -> Vec<FieldChange> {
    let keys: BTreeSet<&String> = old
        .as_object()
        .into_iter()
        .flat_map(|map| map.keys())
        .chain(new.as_object().into_iter().flat_map(|map| map.keys()))
        .collect();
    let mut out = Vec::new();
    let order = |key: &str| old.as_object().and_then(|map| map.keys().position(|k| k == key)).unwrap_or(usize::MAX);
    let mut keys: Vec<&String> = keys.into_iter().collect();
    keys.sort_by_key(|key| (order(key), (*key).clone()));
    for key in keys {
        let (before, after) =
            (old.get(key).cloned().unwrap_or(Json::Null), new.get(key).cloned().unwrap_or(Json::Null));
        if before == after || key == "conflicts" && same_conflicts(&before, &after) {
            continue;
        }
        // Responsible: the rules concluding this field on one side only; if the
        // same rules conclude it on both sides (their conditions or values changed), all of them.
        let (old_writers, new_writers) =
            (old_rules.get(key).cloned().unwrap_or_default(), new_rules.get(key).cloned().unwrap_or_default());
        let only_old: Vec<String> = old_writers.iter().filter(|rule| !new_writers.contains(rule)).cloned().collect();
        let only_new: Vec<String> = new_writers.iter().filter(|rule| !old_writers.contains(rule)).cloned().collect();
        let (old_rules, new_rules) =
            if only_old.is_empty() && only_new.is_empty() { (old_writers, new_writers) } else { (only_old, only_new) };
        out.push(FieldChange { field: key.clone(), old_rules, new_rules, old: before, new: after });
    }
    out
}

/// Conflicts compared by what they are about and which rules, not by titles.
fn same_conflicts(old: &Json, new: &Json) -> bool {
    let key = |value: &Json| -> Vec<String> {
        value
            .as_array()
            .into_iter()
            .flatten()
            .map(|conflict| {
                let sides: Vec<&str> =
                    conflict["sides"].as_array().into_iter().flatten().filter_map(|side| side["id"].as_str()).collect();
                format!("{} {}", conflict["about"], sides.join(","))
            })
            .collect()
    };
    key(old) == key(new)
}

/// A short text of a JSON value: strings bare, lists and maps compact.
fn short(value: &Json) -> String {
    match value {
        Json::Null => String::from("none"),
        Json::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// A value as a reader writes it: a list as `a, b`.
fn short_list(value: &Json) -> String {
    match value.as_array() {
        Some(items) => items.iter().map(short).collect::<Vec<_>>().join(", "),
        None => short(value),
    }
}

/// For a list field, what was added and removed; otherwise `old → new`.
fn change_text(field: &FieldChange) -> String {
    if let (Some(old), Some(new)) = (field.old.as_array(), field.new.as_array())
        && field.field != "conflicts"
    {
        let removed: Vec<String> = old.iter().filter(|item| !new.contains(item)).map(short).collect();
        let added: Vec<String> = new.iter().filter(|item| !old.contains(item)).map(short).collect();
        let mut parts = Vec::new();
        if !added.is_empty() {
            parts.push(format!("+ {}", added.join(", ")));
        }
        if !removed.is_empty() {
            parts.push(format!("− {}", removed.join(", ")));
        }
        return parts.join("; ");
    }
    if field.field == "conflicts" {
        let count = |value: &Json| value.as_array().map_or(0, Vec::len);
        return format!("{} → {} conflicts", count(&field.old), count(&field.new));
    }
    // A map (deadlines, per-category decisions, obligations): key by key.
    if field.old.is_object() || field.new.is_object() {
        let empty = serde_json::Map::new();
        let (old, new) = (field.old.as_object().unwrap_or(&empty), field.new.as_object().unwrap_or(&empty));
        let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
        let mut parts = Vec::new();
        for key in keys {
            match (old.get(key), new.get(key)) {
                (Some(a), Some(b)) if a != b => {
                    let sub = FieldChange {
                        field: key.clone(),
                        old: a.clone(),
                        new: b.clone(),
                        old_rules: Vec::new(),
                        new_rules: Vec::new(),
                    };
                    parts.push(format!("{key} {}", change_text(&sub)));
                }
                (None, Some(b)) => parts.push(format!("+ {key} {}", short_list(b))),
                (Some(a), None) => parts.push(format!("− {key} {}", short_list(a))),
                _ => {}
            }
        }
        return parts.join("; ");
    }
    format!("{} → {}", short(&field.old), short(&field.new))
}

fn rules_text(field: &FieldChange) -> String {
    let side = |rules: &[String]| if rules.is_empty() { String::from("none") } else { rules.join(", ") };
    format!("old: {}; new: {}", side(&field.old_rules), side(&field.new_rules))
}

impl Diff {
    pub fn has_problems(&self) -> bool {
        self.new_problems.is_some()
    }

    fn headline(&self) -> String {
        let plural = |n: usize, word: &str| if n == 1 { format!("{n} {word}") } else { format!("{n} {word}s") };
        format!(
            "rules: {} added, {} removed, {} changed; {} of {} changed",
            self.added.len(),
            self.removed.len(),
            self.changed.len(),
            self.impact.changed.len(),
            plural(self.impact.cases, "case"),
        )
    }

    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "tenet diff {} → {}: {}", self.old, self.new, self.headline());
        self.problems_text(&mut out, "");
        if !self.added.is_empty() || !self.removed.is_empty() || !self.changed.is_empty() {
            out.push_str("\nRules\n");
        }
        for (word, rules) in [("added", &self.added), ("removed", &self.removed)] {
            for rule in rules {
                let _ = writeln!(out, "  {word:<8} {} {}{}", rule.id, rule.title, place(rule));
                for (part, text) in &rule.parts {
                    let _ = writeln!(out, "           {part}: {}", if text.is_empty() { "none" } else { text });
                }
            }
        }
        for change in &self.changed {
            let parts: Vec<&str> = change.parts.iter().map(|part| part.part).collect();
            let _ = writeln!(
                out,
                "  changed  {} {}{}: {}",
                change.rule.id,
                change.rule.title,
                place(&change.rule),
                parts.join(", ")
            );
            for part in &change.parts {
                let _ = writeln!(
                    out,
                    "           {}\n             old: {}\n             new: {}",
                    part.part, part.old, part.new
                );
            }
        }
        if !self.declarations.is_empty() {
            out.push_str("\nDeclarations\n");
            for declaration in &self.declarations {
                let _ = writeln!(out, "  {:<8} {} `{}`", declaration.change, declaration.kind, declaration.name);
                if declaration.change == "changed" {
                    let _ = writeln!(
                        out,
                        "             old: {}\n             new: {}",
                        declaration.old.as_deref().unwrap_or(""),
                        declaration.new.as_deref().unwrap_or("")
                    );
                }
                if !declaration.affects.is_empty() {
                    let _ = writeln!(out, "             read by rules: {}", declaration.affects.join(", "));
                }
            }
        }
        let _ = writeln!(
            out,
            "\nImpact on {} cases found in both versions: {} changed",
            self.impact.cases,
            self.impact.changed.len()
        );
        for (word, cases) in [("new case", &self.impact.added_cases), ("removed case", &self.impact.removed_cases)] {
            for case in cases {
                let _ = writeln!(out, "  {word}: {case}");
            }
        }
        for case in &self.impact.changed {
            let _ = writeln!(out, "  {} {} ({})", case.id, case.title, case.path);
            if let Some(problem) = &case.problem {
                let _ = writeln!(out, "    {problem}");
            }
            for field in &case.fields {
                let _ = writeln!(out, "    {}: {}", field.field, change_text(field));
                if field.field != "rules" && !(field.old_rules.is_empty() && field.new_rules.is_empty()) {
                    let _ = writeln!(out, "      because of: {}", rules_text(field));
                }
            }
        }
        self.exhaustive_text(&mut out, false);
        out
    }

    fn problems_text(&self, out: &mut String, fence: &str) {
        for (side, problems) in [("old", &self.old_problems), ("new", &self.new_problems)] {
            if let Some(problems) = problems {
                let _ = writeln!(
                    out,
                    "\nThe {side} rules do not check; fix them before their impact can be shown:\n{fence}"
                );
                out.push_str(problems);
                if !fence.is_empty() {
                    let _ = writeln!(out, "{fence}");
                }
            }
        }
    }

    fn exhaustive_text(&self, out: &mut String, markdown: bool) {
        let Some(exhaustive) = &self.exhaustive else { return };
        let heading = format!("Every class of request, as of {}", exhaustive.as_of);
        if markdown {
            let _ = writeln!(out, "\n#### {heading}\n");
        } else {
            let _ = writeln!(out, "\n{heading}");
        }
        if exhaustive.changes.is_empty() {
            out.push_str(if markdown {
                "No request changes its outcome.\n"
            } else {
                "  no request changes its outcome\n"
            });
            return;
        }
        for change in &exhaustive.changes {
            if markdown {
                let _ =
                    writeln!(out, "- **{}**: {}", change.message, crate::analysis::report::classes(&change.classes));
            } else {
                let _ = writeln!(out, "  {}: {}", change.message, crate::analysis::report::classes(&change.classes));
            }
            for region in &change.region {
                let mark = if region.confirmed { "" } else { " (DISAGREES WITH THE ANALYSIS: a defect of tenet)" };
                let witness = region.witness.as_ref().map(ToString::to_string).unwrap_or_default();
                if markdown {
                    let _ = writeln!(out, "  - when {}{mark}\n    `{witness}`", region.description);
                } else {
                    let _ = writeln!(out, "    when {}{mark}\n      e.g. {witness}", region.description);
                }
            }
            if change.more > 0 {
                let _ = writeln!(out, "{}and more", if markdown { "  - … " } else { "    ... " });
            }
        }
    }

    /// Markdown for a pull-request comment.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "### tenet diff: {}\n", self.headline());
        let _ = writeln!(out, "`{}` → `{}`", self.old, self.new);
        self.problems_text(&mut out, "```");
        if !self.added.is_empty() || !self.removed.is_empty() || !self.changed.is_empty() {
            out.push_str(
                "\n#### Rules\n\n| change | rule | title | jurisdiction | what changed |\n|---|---|---|---|---|\n",
            );
            let row = |out: &mut String, change: &str, rule: &RuleSummary, what: &str| {
                let _ = writeln!(
                    out,
                    "| {change} | `{}` | {} | {} | {what} |",
                    rule.id,
                    cell(&rule.title),
                    cell(rule.jurisdiction.as_deref().unwrap_or(""))
                );
            };
            for rule in &self.added {
                row(&mut out, "added", rule, "");
            }
            for rule in &self.removed {
                row(&mut out, "removed", rule, "");
            }
            for change in &self.changed {
                let parts: Vec<&str> = change.parts.iter().map(|part| part.part).collect();
                row(&mut out, "changed", &change.rule, &parts.join(", "));
            }
            for (word, rules) in [("added", &self.added), ("removed", &self.removed)] {
                for rule in rules {
                    let _ = writeln!(out, "\n<details><summary><code>{}</code> {word}</summary>\n", rule.id);
                    for (part, text) in &rule.parts {
                        let _ = writeln!(out, "- **{part}**: {}", cell(if text.is_empty() { "none" } else { text }));
                    }
                    out.push_str("\n</details>\n");
                }
            }
            for change in &self.changed {
                let parts: Vec<&str> = change.parts.iter().map(|part| part.part).collect();
                let _ = writeln!(
                    out,
                    "\n<details><summary><code>{}</code>: {}</summary>\n",
                    change.rule.id,
                    parts.join(", ")
                );
                for part in &change.parts {
                    let _ = writeln!(out, "**{}**\n\n```diff\n- {}\n+ {}\n```\n", part.part, part.old, part.new);
                }
                out.push_str("</details>\n");
            }
        }
        if !self.declarations.is_empty() {
            out.push_str(
                "\n#### Declarations\n\n| change | kind | name | old | new | read by rules |\n|---|---|---|---|---|---|\n",
            );
            for declaration in &self.declarations {
                let _ = writeln!(
                    out,
                    "| {} | {} | `{}` | {} | {} | {} |",
                    declaration.change,
                    declaration.kind,
                    declaration.name,
                    declaration.old.as_deref().map(cell).unwrap_or_default(),
                    declaration.new.as_deref().map(cell).unwrap_or_default(),
                    declaration.affects.join(", ")
                );
            }
        }
        let _ = writeln!(out, "\n#### Impact on {} cases\n", self.impact.cases);
        if self.impact.changed.is_empty() {
            out.push_str("No case changes its outcome.\n");
        } else {
            out.push_str("| case | field | change | rules (old; new) |\n|---|---|---|---|\n");
            for case in &self.impact.changed {
                let name = format!("`{}` {}", case.id, cell(&case.title));
                if let Some(problem) = &case.problem {
                    let _ = writeln!(out, "| {name} | facts | {} | |", cell(problem));
                }
                for field in &case.fields {
                    let quiet = field.field == "rules" || field.old_rules.is_empty() && field.new_rules.is_empty();
                    let rules = if quiet { String::new() } else { cell(&rules_text(field)) };
                    let _ = writeln!(out, "| {name} | `{}` | {} | {rules} |", field.field, cell(&change_text(field)));
                }
            }
        }
        for (word, cases) in [("New case", &self.impact.added_cases), ("Removed case", &self.impact.removed_cases)] {
            for case in cases {
                let _ = writeln!(out, "\n{word}: `{case}`");
            }
        }
        self.exhaustive_text(&mut out, true);
        out
    }
}

fn place(rule: &RuleSummary) -> String {
    rule.jurisdiction.as_ref().map(|place| format!(" [{place}]")).unwrap_or_default()
}

/// Text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
