//! Canonical layout of rule files (`tenet fmt`). The layout is printed from the
//! syntax tree, so it never changes meaning; comments come back from the
//! logos token stream, word for word: a comment on a line of its own before
//! the element that follows it, a comment at the end of a line at the end of
//! the line printed for what it followed. Formatting is idempotent.

use std::fmt::Write as _;

use crate::ast::*;
use crate::diag::Diagnostic;
use crate::source::FileId;
use crate::syntax::{self, lexer};
use crate::value::number_text;

/// Lines are wrapped to fit this width where the syntax allows.
const WIDTH: usize = 100;
const INDENT: &str = "  ";

/// The canonical text of a rule file, or the diagnostics that stop it from parsing.
pub fn format(file: FileId, text: &str) -> Result<String, Vec<Diagnostic>> {
    let (tree, diagnostics) = syntax::parse(file, text);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(diagnostics);
    }
    let comments = lexer::tokens(text)
        .into_iter()
        .filter(|token| token.kind == Some(lexer::Token::Comment))
        .map(|token| (token.start, text.get(token.start..token.end).unwrap_or("").trim_end().to_string()))
        .collect();
    let mut printer = Printer { text, comments, next_comment: 0, out: String::new(), last_end: 0 };
    printer.file(&tree);
    Ok(printer.out)
}

struct Printer<'a> {
    text: &'a str,
    /// Every comment with its offset, in order.
    comments: Vec<(usize, String)>,
    next_comment: usize,
    out: String,
    /// Source offset up to which everything has been printed, for blank-line detection.
    last_end: usize,
}

impl Printer<'_> {
    fn file(&mut self, tree: &File) {
        for item in &tree.items {
            let (start, end) = item_range(item);
            self.leading(start, "", true);
            match item {
                Item::Enum(decl) => self.enum_decl(decl),
                Item::Fact(decl) => self.fact_decl(decl),
                Item::Set(decl) => self.set_decl(decl),
                Item::Term(decl) => self.term_decl(decl),
                Item::Outcome(decl) => self.outcome_decl(decl),
                Item::Block(block) => self.block(block),
                Item::Rule(rule) => self.rule(rule, ""),
                Item::Assertion(assertion) => self.assertion(assertion),
            }
            self.last_end = end.max(self.last_end);
        }
        self.leading(self.text.len(), "", true);
        let trimmed = self.out.trim_end().len();
        self.out.truncate(trimmed);
        if !self.out.is_empty() {
            self.out.push('\n');
        }
    }

    /// Prints the comments before `offset`, keeping one blank line where the
    /// source had at least one (only where `blank_lines` allows them).
    fn leading(&mut self, offset: usize, indent: &str, blank_lines: bool) {
        while let Some((start, comment)) = self.comments.get(self.next_comment).cloned() {
            if start >= offset {
                break;
            }
            if self.trailing(start) && self.out.ends_with('\n') && !self.out.ends_with("\n\n") {
                // A comment at the end of a line stays at the end of the line
                // printed last, the end of what it followed in the source.
                self.out.pop();
                let _ = writeln!(self.out, "  {comment}");
            } else {
                self.separate(start, blank_lines);
                let _ = writeln!(self.out, "{indent}{comment}");
            }
            self.last_end = start + comment.len();
            self.next_comment += 1;
        }
        self.separate(offset, blank_lines);
    }

    /// Whether the comment at `start` follows code on its line.
    fn trailing(&self, start: usize) -> bool {
        let before = self.text.get(..start).unwrap_or("");
        let line_start = before.rfind(['\n', '\r']).map_or(0, |index| index + 1);
        before.get(line_start..).is_some_and(|line| !line.trim().is_empty())
    }

    /// A blank line before what starts at `offset` if the source had one since `last_end`.
    fn separate(&mut self, offset: usize, blank_lines: bool) {
        if !blank_lines || self.out.is_empty() || self.out.ends_with("{\n") || self.out.ends_with("\n\n") {
            return;
        }
        let gap = self.text.get(self.last_end.min(offset)..offset).unwrap_or("");
        let blank = gap
            .split('\n')
            .skip(1)
            .collect::<Vec<_>>()
            .split_last()
            .is_some_and(|(_, middle)| middle.iter().any(|line| line.trim().is_empty()));
        if blank {
            self.out.push('\n');
        }
    }

    fn enum_decl(&mut self, decl: &EnumDecl) {
        let labelled = decl.labels.iter().any(Option::is_some);
        let values: Vec<String> = decl
            .values
            .iter()
            .zip(decl.labels.iter().chain(std::iter::repeat(&None)))
            .map(|(value, label)| match label {
                Some(label) => format!("{} {}", value.text, string_text(label)),
                None => value.text.clone(),
            })
            .collect();
        let head = if decl.extends { "extend enum" } else { "enum" };
        if labelled {
            // A labelled value per line, like a table: code and name.
            let _ = writeln!(self.out, "{head} {} {{", decl.name.text);
            for value in &values {
                let _ = writeln!(self.out, "{INDENT}{value},");
            }
            let _ = writeln!(self.out, "}}");
        } else {
            self.bracketed(&format!("{head} {} {{", decl.name.text), &values, " ", "}");
        }
    }

    /// `head a, b, c close` on one line if it fits; else the values filled over
    /// indented lines and `close` on its own line. `pad` goes inside the brackets
    /// on one line: `{ a, b }` but `[a, b]`.
    fn bracketed(&mut self, head: &str, values: &[String], pad: &str, close: &str) {
        let one_line = format!("{head}{pad}{}{pad}{close}", values.join(", "));
        if one_line.len() <= WIDTH {
            let _ = writeln!(self.out, "{one_line}");
        } else {
            let _ = writeln!(self.out, "{head}");
            self.fill(values, INDENT);
            let _ = writeln!(self.out, "{close}");
        }
    }

    /// Comma-separated words, as many to a line as fit, each line ending with a comma.
    fn fill(&mut self, words: &[String], indent: &str) {
        let mut line = String::new();
        for word in words {
            let piece = format!("{word},");
            if !line.is_empty() && indent.len() + line.len() + 1 + piece.len() > WIDTH {
                let _ = writeln!(self.out, "{indent}{line}");
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&piece);
        }
        if !line.is_empty() {
            let _ = writeln!(self.out, "{indent}{line}");
        }
    }

    fn fact_decl(&mut self, decl: &FactDecl) {
        let mut line = format!("fact {} : {}", decl.path.text, type_text(&decl.ty));
        if decl.optional {
            line.push_str(" optional");
        }
        if let Some(default) = &decl.default {
            let _ = write!(line, " default {}", literal_text(default));
        }
        let _ = writeln!(self.out, "{line}");
    }

    fn set_decl(&mut self, decl: &SetDecl) {
        let ty = decl.ty.as_ref().map(|ty| format!(" : {}", ty.text)).unwrap_or_default();
        let values: Vec<String> = decl.values.iter().map(literal_text).collect();
        self.bracketed(&format!("set {}{ty} = [", decl.name.text), &values, "", "]");
    }

    fn term_decl(&mut self, decl: &TermDecl) {
        let head = format!("term {} means", decl.name.text);
        self.term_body(&head, &decl.body);
    }

    fn outcome_decl(&mut self, decl: &OutcomeDecl) {
        let required = if decl.required { " required" } else { "" };
        let _ = writeln!(self.out, "outcome {} : {}{required}", decl.name.text, outcome_kind_text(&decl.kind));
    }

    fn assertion(&mut self, assertion: &Assertion) {
        let _ = writeln!(self.out, "assert {} {} {{", assertion.id.text, string_text(&assertion.title.text));
        for cite in &assertion.cites {
            self.leading(cite.span.start as usize, INDENT, false);
            let _ = writeln!(self.out, "{INDENT}cite {}", string_text(&cite.text));
        }
        for when in &assertion.when {
            self.leading(when.span.start as usize, INDENT, false);
            self.condition(&format!("{INDENT}when"), when, INDENT);
        }
        self.leading(assertion.claim.span.start as usize, INDENT, false);
        let word = if assertion.always { "always" } else { "never" };
        self.condition(&format!("{INDENT}{word}"), &assertion.claim, INDENT);
        self.leading(assertion.span.end as usize, INDENT, false);
        self.close("");
        self.last_end = assertion.span.end as usize;
    }

    fn block(&mut self, block: &Block) {
        let kind = match block.strength {
            Strength::Law => "jurisdiction",
            Strength::Contract => "contract",
            Strength::Soft => "principles",
        };
        let _ = writeln!(self.out, "{kind} {} {} {{", block.id.text, string_text(&block.title.text));
        let mut header = false;
        for applies in &block.applies {
            self.leading(applies.span.start as usize, INDENT, false);
            self.condition(&format!("{INDENT}applies when"), applies, INDENT);
            header = true;
        }
        for (word, dates) in [("effective", &block.effective), ("until", &block.until)] {
            for dated in dates {
                self.leading(dated.span.start as usize, INDENT, false);
                let _ = writeln!(self.out, "{INDENT}{word} {}", dated.text);
                header = true;
            }
        }
        for (index, rule) in block.rules.iter().enumerate() {
            if header || index > 0 {
                self.out.push('\n');
            }
            self.leading(rule.span.start as usize, INDENT, false);
            self.rule(rule, INDENT);
        }
        self.leading(block.span.end as usize, INDENT, false);
        self.close("");
        self.last_end = block.span.end as usize;
    }

    fn rule(&mut self, rule: &Rule, indent: &str) {
        let _ = writeln!(self.out, "{indent}rule {} {} {{", rule.id.text, string_text(&rule.title.text));
        let inner = format!("{indent}{INDENT}");
        for cite in &rule.cites {
            self.leading(cite.span.start as usize, &inner, false);
            let _ = writeln!(self.out, "{inner}cite {}", string_text(&cite.text));
        }
        for (word, dates) in [("effective", &rule.effective), ("until", &rule.until)] {
            for dated in dates {
                self.leading(dated.span.start as usize, &inner, false);
                let _ = writeln!(self.out, "{inner}{word} {}", dated.text);
            }
        }
        for (level, span) in &rule.confidence {
            self.leading(span.start as usize, &inner, false);
            let _ = writeln!(self.out, "{inner}confidence {}", level.as_str());
        }
        if let Some(first) = rule.overrides.first() {
            self.leading(first.span.start as usize, &inner, false);
            let ids: Vec<&str> = rule.overrides.iter().map(|id| id.text.as_str()).collect();
            let _ = writeln!(self.out, "{inner}overrides {}", ids.join(", "));
        }
        for when in &rule.when {
            self.leading(when.span.start as usize, &inner, false);
            self.condition(&format!("{inner}when"), when, &inner);
        }
        for (index, conclusion) in rule.then.iter().enumerate() {
            self.leading(conclusion_start(conclusion), &inner, false);
            let lead = if index == 0 { format!("{inner}then ") } else { format!("{inner}     ") };
            let _ = writeln!(self.out, "{lead}{}", conclusion_text(conclusion));
        }
        self.leading(rule.span.end as usize, &inner, false);
        self.close(indent);
        self.last_end = rule.span.end as usize;
    }

    /// The closing brace; an empty body closes on the opening line: `principles P "Policy" {}`.
    fn close(&mut self, indent: &str) {
        if self.out.ends_with("{\n") {
            self.out.pop();
            self.out.push_str("}\n");
        } else {
            let _ = writeln!(self.out, "{indent}}}");
        }
    }

    /// `head expr` on one line if it fits; else broken before each top-level
    /// `and`/`or`, the first part after `head` (`when a` / `  and b`).
    fn condition(&mut self, head: &str, expr: &Expr, indent: &str) {
        self.wrapped(head, expr, indent, false);
    }

    /// A term: as a condition, but when broken the whole body goes under `means`.
    fn term_body(&mut self, head: &str, expr: &Expr) {
        self.wrapped(head, expr, "", true);
    }

    fn wrapped(&mut self, head: &str, expr: &Expr, indent: &str, body_below: bool) {
        let one_line = format!("{head} {}", expr_text(expr, 0));
        let (parts, joiner) = match &expr.kind {
            ExprKind::And(parts) => (parts, "and"),
            ExprKind::Or(parts) => (parts, "or"),
            _ => (&Vec::new(), ""),
        };
        if one_line.len() <= WIDTH || parts.is_empty() {
            if one_line.len() > WIDTH && body_below {
                let _ = writeln!(self.out, "{head}\n{indent}{INDENT}{}", expr_text(expr, 0));
            } else {
                let _ = writeln!(self.out, "{one_line}");
            }
            return;
        }
        let level = NOT;
        let continuation = format!("{indent}{INDENT}");
        if body_below {
            let _ = writeln!(self.out, "{head}");
        }
        for (index, part) in parts.iter().enumerate() {
            let text = expr_text(part, level);
            match (index, body_below) {
                (0, false) => {
                    let _ = writeln!(self.out, "{head} {text}");
                }
                (0, true) => {
                    let _ = writeln!(self.out, "{continuation}{text}");
                }
                _ => {
                    let _ = writeln!(self.out, "{continuation}{joiner} {text}");
                }
            }
        }
    }
}

/// Where an item starts and ends in the source, as far as its tree tells.
fn item_range(item: &Item) -> (usize, usize) {
    let (start, end) = match item {
        Item::Enum(decl) => {
            (decl.name.span.start, decl.values.last().map_or(decl.name.span.end, |value| value.span.end))
        }
        Item::Fact(decl) => {
            let end = decl.default.as_ref().map_or(decl.ty.name.span.end, |default| default.span.end);
            (decl.path.span.start, end)
        }
        Item::Set(decl) => (decl.span.start, decl.span.end),
        Item::Term(decl) => (decl.name.span.start, decl.body.span.end),
        Item::Outcome(decl) => (decl.span.start, decl.span.end),
        Item::Block(block) => (block.span.start, block.span.end),
        Item::Rule(rule) => (rule.span.start, rule.span.end),
        Item::Assertion(assertion) => (assertion.span.start, assertion.span.end),
    };
    (start as usize, end as usize)
}

fn conclusion_start(conclusion: &Conclusion) -> usize {
    let span = match conclusion {
        Conclusion::Set { outcome, .. } => outcome.span,
        Conclusion::Add { values, outcome } => values.first().map_or(outcome.span, |value| value.span),
        Conclusion::Require(act) | Conclusion::Forbid(act) => act.span,
    };
    span.start as usize
}

/// A conclusion in canonical form: `set decision to disclose`.
pub fn conclusion_text(conclusion: &Conclusion) -> String {
    match conclusion {
        Conclusion::Set { outcome, key, value } => {
            let target = key.as_ref().map_or(outcome.text.clone(), |key| format!("{}.{}", outcome.text, key.text));
            format!("set {target} to {}", expr_text(value, 0))
        }
        Conclusion::Add { values, outcome } => {
            let values: Vec<String> = values.iter().map(|value| expr_text(value, 0)).collect();
            format!("add {} to {}", values.join(", "), outcome.text)
        }
        Conclusion::Require(act) => format!("require {}", act.text),
        Conclusion::Forbid(act) => format!("forbid {}", act.text),
    }
}

/// `one of Decision`, `map of date`, `confidence`.
pub(crate) fn outcome_kind_text(kind: &OutcomeKind) -> String {
    match kind {
        OutcomeKind::One(name) => format!("one of {}", name.text),
        OutcomeKind::Set(name) => format!("set of {}", name.text),
        OutcomeKind::Map(name) => format!("map of {}", name.text),
        OutcomeKind::Duties(name) => format!("duties of {}", name.text),
        OutcomeKind::Confidence => String::from("confidence"),
    }
}

pub(crate) fn type_text(ty: &TypeExpr) -> String {
    if ty.list { format!("list of {}", ty.name.text) } else { ty.name.text.clone() }
}

/// A string literal with the escapes the grammar knows.
fn string_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            other => out.push(other),
        }
    }
    out.push('"');
    out
}

fn days_text(days: i64) -> String {
    if days == 1 || days == -1 { format!("{days} day") } else { format!("{days} days") }
}

fn months_text(months: i64) -> String {
    if months == 1 || months == -1 { format!("{months} month") } else { format!("{months} months") }
}

pub(crate) fn literal_text(literal: &Literal) -> String {
    match &literal.kind {
        LiteralKind::Bool(b) => b.to_string(),
        LiteralKind::Number(n) => number_text(*n),
        LiteralKind::Text(text) => string_text(text),
        LiteralKind::Date(date) => date.clone(),
        LiteralKind::Days(days) => days_text(*days),
        LiteralKind::Months(months) => months_text(*months),
        LiteralKind::Word(word) => word.clone(),
        LiteralKind::List(items) => {
            let items: Vec<String> = items.iter().map(literal_text).collect();
            format!("[{}]", items.join(", "))
        }
    }
}

/// An expression in canonical form, as `tenet fmt` prints it.
pub fn expression(expr: &Expr) -> String {
    expr_text(expr, 0)
}

// Binding strength, loosest first, as in the grammar.
const OR: u8 = 1;
const AND: u8 = 2;
const NOT: u8 = 3;
const COMPARISON: u8 = 4;
const OTHERWISE: u8 = 5;
const SUM: u8 = 6;
const ATOM: u8 = 7;

fn level(expr: &Expr) -> u8 {
    match &expr.kind {
        ExprKind::Or(_) => OR,
        ExprKind::And(_) => AND,
        // A quantifier's body runs to the right, so it binds like `not`.
        ExprKind::Not(_) | ExprKind::Quantified { .. } => NOT,
        ExprKind::Is { .. }
        | ExprKind::In { .. }
        | ExprKind::Compare { .. }
        | ExprKind::Presence { .. }
        | ExprKind::Duty { .. } => COMPARISON,
        ExprKind::Otherwise(_) => OTHERWISE,
        ExprKind::Arith { .. } => SUM,
        ExprKind::List(_) | ExprKind::Literal(_) | ExprKind::Path(_) => ATOM,
    }
}

/// The text of an expression that must bind at least as tightly as `min`:
/// parentheses exactly where the grammar needs them.
pub(crate) fn expr_text(expr: &Expr, min: u8) -> String {
    let text = match &expr.kind {
        // `and` inside `or` keeps its parentheses: clearer for a reader, same meaning.
        ExprKind::Or(parts) => join(parts, " or ", NOT),
        ExprKind::And(parts) => join(parts, " and ", NOT),
        ExprKind::Not(inner) => format!("not {}", expr_text(inner, NOT)),
        ExprKind::Is { left, right, negated } => {
            let not = if *negated { "not " } else { "" };
            format!("{} is {not}{}", expr_text(left, OTHERWISE), expr_text(right, OTHERWISE))
        }
        ExprKind::In { left, right, negated } => {
            let not = if *negated { "not " } else { "" };
            format!("{} {not}in {}", expr_text(left, OTHERWISE), expr_text(right, OTHERWISE))
        }
        ExprKind::Compare { left, op, right } => {
            format!("{} {} {}", expr_text(left, OTHERWISE), op.as_str(), expr_text(right, OTHERWISE))
        }
        ExprKind::Presence { operand, present } => {
            format!("{} is {}", expr_text(operand, OTHERWISE), if *present { "present" } else { "absent" })
        }
        ExprKind::Duty { act, state, negated } => {
            format!("{} is {}{}", act.text, if *negated { "not " } else { "" }, state.as_str())
        }
        ExprKind::Otherwise(parts) => join(parts, " otherwise ", SUM),
        ExprKind::Arith { left, op, right } => {
            let sign = if *op == ArithOp::Add { "+" } else { "-" };
            format!("{} {sign} {}", expr_text(left, SUM), expr_text(right, ATOM))
        }
        ExprKind::Quantified { all, var, list, body } => {
            let word = if *all { "all" } else { "any" };
            format!("{word} {} in {} satisfies {}", var.text, expr_text(list, SUM), expr_text(body, NOT))
        }
        ExprKind::List(items) => format!("[{}]", join(items, ", ", OR)),
        ExprKind::Literal(literal) => literal_text(literal),
        ExprKind::Path(name) => name.text.clone(),
    };
    if level(expr) < min { format!("({text})") } else { text }
}

fn join(parts: &[Expr], separator: &str, min: u8) -> String {
    parts.iter().map(|part| expr_text(part, min)).collect::<Vec<_>>().join(separator)
}
