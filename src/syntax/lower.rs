//! From pest pairs to the syntax tree. The only place that walks `Pair`s.

use pest::iterators::Pair;

use super::grammar::{Rule, is_keyword};
use crate::ast::*;
use crate::diag::Diagnostic;
use crate::source::{FileId, Span};

/// How deep lowering may recurse before reporting instead of recursing further.
/// Each bracket or quantifier the lexer lets through (at most
/// [`super::MAX_NESTING`]) costs a few levels of grammar rules, so this guard
/// only stops what the lexer's count cannot see.
const MAX_DEPTH: usize = 1024;

/// How many terms one `a + b - c ...` may have (it nests to the left).
const MAX_SUM_TERMS: usize = 256;

/// How many `not` may stand in a row.
const MAX_NOTS: usize = 128;

pub struct Lower {
    pub file: FileId,
    /// Byte offset of the parsed chunk in its file.
    pub base: usize,
    pub diagnostics: Vec<Diagnostic>,
    depth: usize,
}

/// The meaningful children of a pair: keyword tokens are dropped.
fn children<'i>(pair: Pair<'i, Rule>) -> impl Iterator<Item = Pair<'i, Rule>> {
    pair.into_inner().filter(|child| !is_keyword(child.as_rule()))
}

impl Lower {
    pub fn new(file: FileId, base: usize) -> Self {
        Lower { file, base, diagnostics: Vec::new(), depth: 0 }
    }

    /// The span of a pair up to its last token: pest counts the white space and
    /// comments skipped after a repetition as part of the pair; a span does not.
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let range = pair.as_span();
        Span::new(self.file, self.base + range.start(), self.base + tight_end(pair).max(range.start()))
    }

    fn name(&self, pair: &Pair<'_, Rule>) -> Name {
        Name { text: pair.as_str().to_string(), span: self.span(pair) }
    }

    /// Lowers the pairs of one `item_only` parse.
    pub fn items(&mut self, pair: Pair<'_, Rule>, out: &mut Vec<Item>) {
        for child in children(pair) {
            if let Some(item) = self.item(child) {
                out.push(item);
            }
        }
    }

    fn item(&mut self, pair: Pair<'_, Rule>) -> Option<Item> {
        Some(match pair.as_rule() {
            Rule::enum_decl => Item::Enum(self.enum_decl(pair)),
            Rule::enum_extend => Item::Enum(EnumDecl { extends: true, ..self.enum_decl(pair) }),
            Rule::fact_decl => Item::Fact(self.fact_decl(pair)),
            Rule::set_decl => Item::Set(self.set_decl(pair)),
            Rule::term_decl => Item::Term(self.term_decl(pair)),
            Rule::outcome_decl => Item::Outcome(self.outcome_decl(pair)),
            Rule::block => Item::Block(self.block(pair)),
            Rule::rule_decl => Item::Rule(self.rule(pair)),
            Rule::assertion => Item::Assertion(self.assertion(pair)),
            _ => return None,
        })
    }

    fn enum_decl(&mut self, pair: Pair<'_, Rule>) -> EnumDecl {
        let mut name = None;
        let mut values = Vec::new();
        let mut labels = Vec::new();
        for child in children(pair) {
            match child.as_rule() {
                Rule::name => name = Some(self.name(&child)),
                Rule::enum_values => {
                    for part in children(child) {
                        match part.as_rule() {
                            Rule::name => {
                                values.push(self.name(&part));
                                labels.push(None);
                            }
                            Rule::label => {
                                if let Some(label) = labels.last_mut() {
                                    *label = Some(self.string(part).text);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        EnumDecl { name: name.unwrap_or_else(|| self.missing()), values, labels, extends: false }
    }

    fn missing(&self) -> Name {
        Name { text: String::new(), span: Span::new(self.file, self.base, self.base) }
    }

    fn fact_decl(&mut self, pair: Pair<'_, Rule>) -> FactDecl {
        let mut decl = FactDecl {
            path: self.missing(),
            ty: TypeExpr { list: false, name: self.missing() },
            optional: false,
            default: None,
        };
        for child in children(pair) {
            match child.as_rule() {
                Rule::path => decl.path = self.name(&child),
                Rule::type_expr => decl.ty = self.type_expr(child),
                Rule::optional_kw => decl.optional = true,
                Rule::default => {
                    decl.default = children(child).next().map(|literal| self.literal(literal));
                }
                _ => {}
            }
        }
        decl
    }

    fn type_expr(&self, pair: Pair<'_, Rule>) -> TypeExpr {
        let mut ty = TypeExpr { list: false, name: self.missing() };
        for child in pair.into_inner().flatten() {
            match child.as_rule() {
                Rule::list_type => ty.list = true,
                Rule::name => ty.name = self.name(&child),
                _ => {}
            }
        }
        ty
    }

    fn set_decl(&mut self, pair: Pair<'_, Rule>) -> SetDecl {
        let span = self.span(&pair);
        let mut decl = SetDecl { name: self.missing(), ty: None, values: Vec::new(), span };
        for child in children(pair) {
            match child.as_rule() {
                Rule::name => decl.name = self.name(&child),
                Rule::scalar_type => decl.ty = children(child).next().map(|name| self.name(&name)),
                Rule::literal_list => decl.values = children(child).map(|literal| self.literal(literal)).collect(),
                _ => {}
            }
        }
        decl
    }

    fn term_decl(&mut self, pair: Pair<'_, Rule>) -> TermDecl {
        let mut name = self.missing();
        let mut body = None;
        for child in children(pair) {
            match child.as_rule() {
                Rule::name => name = self.name(&child),
                _ => body = Some(self.expr(child)),
            }
        }
        TermDecl { name, body: body.unwrap_or_else(|| self.missing_expr()) }
    }

    fn outcome_decl(&mut self, pair: Pair<'_, Rule>) -> OutcomeDecl {
        let span = self.span(&pair);
        let mut name = self.missing();
        let mut kind = OutcomeKind::Confidence;
        let mut required = false;
        for child in children(pair) {
            let enum_name = |lower: &Self, child: Pair<'_, Rule>| {
                children(child).next().map(|name| lower.name(&name)).unwrap_or_else(|| lower.missing())
            };
            match child.as_rule() {
                Rule::name => name = self.name(&child),
                Rule::one_of => kind = OutcomeKind::One(enum_name(self, child)),
                Rule::set_of => kind = OutcomeKind::Set(enum_name(self, child)),
                Rule::duties_of => kind = OutcomeKind::Duties(enum_name(self, child)),
                Rule::map_of => kind = OutcomeKind::Map(enum_name(self, child)),
                Rule::confidence_kind => kind = OutcomeKind::Confidence,
                Rule::required_kw => required = true,
                _ => {}
            }
        }
        OutcomeDecl { name, kind, required, span }
    }

    fn assertion(&mut self, pair: Pair<'_, Rule>) -> Assertion {
        let span = self.span(&pair);
        let mut assertion = Assertion {
            id: self.missing(),
            title: self.missing(),
            cites: Vec::new(),
            when: Vec::new(),
            always: true,
            claim: self.missing_expr(),
            span,
        };
        let mut claim = None;
        for child in children(pair) {
            match child.as_rule() {
                Rule::rule_id => assertion.id = self.name(&child),
                Rule::string => assertion.title = self.string(child),
                Rule::cite => {
                    if let Some(text) = children(child).next() {
                        assertion.cites.push(self.string(text));
                    }
                }
                Rule::when_clause => assertion.when.extend(children(child).map(|expr| self.expr(expr))),
                Rule::claim => {
                    for part in children(child) {
                        match part.as_rule() {
                            Rule::claim_kind => assertion.always = part.as_str() == "always",
                            _ => claim = Some(self.expr(part)),
                        }
                    }
                }
                _ => {}
            }
        }
        assertion.claim = claim.unwrap_or_else(|| self.missing_expr());
        assertion
    }

    fn block(&mut self, pair: Pair<'_, Rule>) -> Block {
        let span = self.span(&pair);
        let mut block = Block {
            strength: Strength::Law,
            id: self.missing(),
            title: self.missing(),
            applies: Vec::new(),
            effective: Vec::new(),
            until: Vec::new(),
            rules: Vec::new(),
            span,
        };
        for child in children(pair) {
            match child.as_rule() {
                Rule::block_kind => {
                    block.strength = match child.as_str() {
                        "principles" => Strength::Soft,
                        "contract" => Strength::Contract,
                        _ => Strength::Law,
                    }
                }
                Rule::rule_id => block.id = self.name(&child),
                Rule::string => block.title = self.string(child),
                Rule::applies => block.applies.extend(children(child).map(|expr| self.expr(expr))),
                Rule::effective => block.effective.push(self.dated(child)),
                Rule::until => block.until.push(self.dated(child)),
                Rule::rule_decl => block.rules.push(self.rule(child)),
                _ => {}
            }
        }
        block
    }

    fn dated(&self, pair: Pair<'_, Rule>) -> Dated {
        let date = children(pair).next();
        match date {
            Some(date) => Dated { text: date.as_str().to_string(), span: self.span(&date) },
            None => Dated { text: String::new(), span: self.missing().span },
        }
    }

    fn string(&self, pair: Pair<'_, Rule>) -> Name {
        let span = self.span(&pair);
        let body = children(pair).next().map(|body| body.as_str()).unwrap_or("");
        Name { text: unescape(body), span }
    }

    fn rule(&mut self, pair: Pair<'_, Rule>) -> Rule_ {
        let span = self.span(&pair);
        let mut rule = Rule_ {
            id: self.missing(),
            title: self.missing(),
            cites: Vec::new(),
            effective: Vec::new(),
            until: Vec::new(),
            confidence: Vec::new(),
            overrides: Vec::new(),
            when: Vec::new(),
            then: Vec::new(),
            span,
        };
        for child in children(pair) {
            match child.as_rule() {
                Rule::rule_id => rule.id = self.name(&child),
                Rule::string => rule.title = self.string(child),
                Rule::cite => {
                    if let Some(text) = children(child).next() {
                        rule.cites.push(self.string(text));
                    }
                }
                Rule::effective => rule.effective.push(self.dated(child)),
                Rule::until => rule.until.push(self.dated(child)),
                Rule::confidence => {
                    for level in children(child) {
                        let value = match level.as_str() {
                            "low" => Level::Low,
                            "medium" => Level::Medium,
                            _ => Level::High,
                        };
                        rule.confidence.push((value, self.span(&level)));
                    }
                }
                Rule::overrides => rule.overrides.extend(children(child).map(|id| self.name(&id))),
                Rule::when_clause => rule.when.extend(children(child).map(|expr| self.expr(expr))),
                Rule::then_clause => {
                    for conclusion in children(child) {
                        rule.then.extend(self.conclusions(conclusion));
                    }
                }
                _ => {}
            }
        }
        rule
    }

    /// One conclusion, or one per act of `require a, b` and `forbid a, b`.
    fn conclusions(&mut self, pair: Pair<'_, Rule>) -> Vec<Conclusion> {
        let rule = pair.as_rule();
        let mut parts: Vec<Pair<'_, Rule>> = children(pair).collect();
        let one = match rule {
            Rule::set_outcome => {
                let value = parts.pop().map(|expr| self.expr(expr));
                let target = parts.pop();
                let (outcome, key) = match target {
                    Some(target) => {
                        let mut names = target.into_inner().map(|name| self.name(&name));
                        (names.next().unwrap_or_else(|| self.missing()), names.next())
                    }
                    None => (self.missing(), None),
                };
                let value = value.unwrap_or_else(|| self.missing_expr());
                Conclusion::Set { outcome, key, value }
            }
            Rule::add_to => {
                let outcome = parts.pop().map(|name| self.name(&name)).unwrap_or_else(|| self.missing());
                let values = parts.into_iter().map(|expr| self.expr(expr)).collect();
                Conclusion::Add { values, outcome }
            }
            Rule::require | Rule::forbid => {
                let acts: Vec<Name> = parts.iter().map(|name| self.name(name)).collect();
                let acts = if acts.is_empty() { vec![self.missing()] } else { acts };
                let forbid = rule == Rule::forbid;
                return acts
                    .into_iter()
                    .map(|act| if forbid { Conclusion::Forbid(act) } else { Conclusion::Require(act) })
                    .collect();
            }
            _ => return Vec::new(),
        };
        vec![one]
    }

    fn missing_expr(&self) -> Expr {
        let name = self.missing();
        Expr { span: name.span, kind: ExprKind::Path(name) }
    }

    /// Lowers any expression rule, guarding depth.
    fn expr(&mut self, pair: Pair<'_, Rule>) -> Expr {
        if self.depth >= MAX_DEPTH {
            let span = self.span(&pair);
            if !self.diagnostics.iter().any(|diagnostic| diagnostic.code == "tenet::parse::too_deep") {
                self.diagnostics.push(
                    Diagnostic::error("tenet::parse::too_deep", "this expression is nested too deeply")
                        .at(span, format!("nested more than {} levels here", super::MAX_NESTING))
                        .help("split the condition into simpler parts"),
                );
            }
            return self.missing_expr();
        }
        self.depth += 1;
        let expr = self.expr_inner(pair);
        self.depth -= 1;
        expr
    }

    fn expr_inner(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        match rule {
            Rule::path => {
                return Expr { span, kind: ExprKind::Path(self.name(&pair)) };
            }
            Rule::number | Rule::string | Rule::date_lit | Rule::duration | Rule::boolean => {
                return Expr { span, kind: ExprKind::Literal(self.literal(pair)) };
            }
            _ => {}
        }
        let mut parts: Vec<Pair<'_, Rule>> = children(pair).collect();
        let kind = match rule {
            Rule::expr
            | Rule::conjunct
            | Rule::sum
            | Rule::comparison
            | Rule::negation
            | Rule::group
            | Rule::fallback
                if parts.len() == 1 =>
            {
                return parts.pop().map(|only| self.expr(only)).unwrap_or_else(|| self.missing_expr());
            }
            Rule::expr => ExprKind::Or(parts.into_iter().map(|part| self.expr(part)).collect()),
            Rule::conjunct => ExprKind::And(parts.into_iter().map(|part| self.expr(part)).collect()),
            Rule::fallback => ExprKind::Otherwise(parts.into_iter().map(|part| self.expr(part)).collect()),
            Rule::negation => {
                // `not not x`: the operand is the last part; each `not` wraps it once more.
                if parts.len() > MAX_NOTS {
                    self.diagnostics.push(
                        Diagnostic::error("tenet::parse::too_deep", "too many `not` in a row")
                            .at(
                                Span::new(self.file, span.start as usize, span.start as usize + 3),
                                format!("more than {MAX_NOTS} here"),
                            )
                            .help("two `not` cancel out; write the condition once"),
                    );
                    return self.missing_expr();
                }
                let operand = parts.pop().map(|last| self.expr(last)).unwrap_or_else(|| self.missing_expr());
                let mut expr = operand;
                for not in parts.iter().rev() {
                    let start = self.span(not).start as usize;
                    let wrapped_span = Span::new(self.file, start, span.end as usize);
                    expr = Expr { kind: ExprKind::Not(Box::new(expr)), span: wrapped_span };
                }
                return expr;
            }
            Rule::comparison => self.comparison(parts),
            Rule::sum => return self.sum(parts),
            Rule::quantified => self.quantified(parts),
            Rule::list => ExprKind::List(parts.into_iter().map(|part| self.expr(part)).collect()),
            _ => return self.missing_expr(),
        };
        Expr { kind, span }
    }

    /// `left is ...`, `left in ...`, `left < ...`
    fn comparison(&mut self, mut parts: Vec<Pair<'_, Rule>>) -> ExprKind {
        let Some(test) = parts.pop() else {
            return ExprKind::List(Vec::new());
        };
        let left = parts.pop().map(|left| self.expr(left)).unwrap_or_else(|| self.missing_expr());
        let test_rule = test.as_rule();
        let mut negated = false;
        let mut operator = None;
        let mut right = None;
        for part in children(test) {
            match part.as_rule() {
                Rule::not_op => negated = true,
                Rule::compare_op => operator = Some(part.as_str().to_string()),
                Rule::presence => right = Some(Err(("presence", part.as_str().to_string()))),
                Rule::duty_state => right = Some(Err(("duty", part.as_str().to_string()))),
                _ => right = Some(Ok(part)),
            }
        }
        let left = Box::new(left);
        match right {
            Some(Err(("presence", word))) => {
                ExprKind::Presence { operand: left, present: (word == "present") != negated }
            }
            Some(Err((_, word))) => {
                let state = match word.as_str() {
                    "required" => DutyState::Required,
                    "forbidden" => DutyState::Forbidden,
                    _ => DutyState::Conflicted,
                };
                match left.kind {
                    ExprKind::Path(act) => ExprKind::Duty { act, state, negated },
                    _ => {
                        self.diagnostics.push(
                            Diagnostic::error(
                                "tenet::parse::duty_subject",
                                "only an act can be required, forbidden or conflicted",
                            )
                            .at(left.span, "expected the name of an act")
                            .help("write e.g. `disclose is forbidden`"),
                        );
                        ExprKind::Literal(Literal { kind: LiteralKind::Bool(false), span: left.span })
                    }
                }
            }
            Some(Ok(part)) => {
                let right = Box::new(self.expr(part));
                match (test_rule, operator.as_deref()) {
                    (Rule::is_test, _) => ExprKind::Is { left, right, negated },
                    (Rule::in_test, _) => ExprKind::In { left, right, negated },
                    (_, Some("<")) => ExprKind::Compare { left, op: CompareOp::Lt, right },
                    (_, Some("<=")) => ExprKind::Compare { left, op: CompareOp::Le, right },
                    (_, Some(">")) => ExprKind::Compare { left, op: CompareOp::Gt, right },
                    _ => ExprKind::Compare { left, op: CompareOp::Ge, right },
                }
            }
            None => left.kind,
        }
    }

    /// `a + b - c`, left-associative.
    fn sum(&mut self, parts: Vec<Pair<'_, Rule>>) -> Expr {
        // `a + b + c` nests to the left: bound it like any other nesting.
        if parts.len() > MAX_SUM_TERMS {
            if let Some(first) = parts.first() {
                let span = self.span(first);
                self.diagnostics.push(
                    Diagnostic::error("tenet::parse::too_deep", "too many `+` and `-` in one expression")
                        .at(span, format!("more than {MAX_SUM_TERMS} terms from here"))
                        .help("split the computation into defined terms"),
                );
            }
            return self.missing_expr();
        }
        let mut parts = parts.into_iter();
        let Some(first) = parts.next() else {
            return self.missing_expr();
        };
        let mut expr = self.expr(first);
        while let (Some(op), Some(operand)) = (parts.next(), parts.next()) {
            let op = if op.as_str() == "-" { ArithOp::Sub } else { ArithOp::Add };
            let right = self.expr(operand);
            let span = Span::new(self.file, expr.span.start as usize, right.span.end as usize);
            expr = Expr { kind: ExprKind::Arith { left: Box::new(expr), op, right: Box::new(right) }, span };
        }
        expr
    }

    fn quantified(&mut self, parts: Vec<Pair<'_, Rule>>) -> ExprKind {
        let mut all = false;
        let mut var = self.missing();
        let mut exprs = Vec::new();
        for part in parts {
            match part.as_rule() {
                Rule::quantifier => all = part.as_str() == "all",
                Rule::name => var = self.name(&part),
                _ => exprs.push(self.expr(part)),
            }
        }
        let mut exprs = exprs.into_iter();
        let list = exprs.next().unwrap_or_else(|| self.missing_expr());
        let body = exprs.next().unwrap_or_else(|| self.missing_expr());
        ExprKind::Quantified { all, var, list: Box::new(list), body: Box::new(body) }
    }

    fn literal(&mut self, pair: Pair<'_, Rule>) -> Literal {
        let span = self.span(&pair);
        let text = pair.as_str();
        let kind = match pair.as_rule() {
            Rule::boolean => LiteralKind::Bool(text == "true"),
            Rule::number => match crate::value::parse_number(text) {
                Ok(number) => LiteralKind::Number(number),
                Err(why) => {
                    self.diagnostics.push(
                        Diagnostic::error("tenet::parse::number", format!("`{text}` cannot be held exactly"))
                            .at(span, "too many digits")
                            .help(why),
                    );
                    LiteralKind::Number(rust_decimal::Decimal::ZERO)
                }
            },
            Rule::string => LiteralKind::Text(self.string(pair).text),
            Rule::date_lit => LiteralKind::Date(text.to_string()),
            Rule::duration => {
                let mut parts = children(pair);
                let number = parts.next().map(|number| number.as_str().to_string()).unwrap_or_default();
                let months = parts.next().is_some_and(|unit| unit.as_rule() == Rule::months);
                let (unit, limit) = if months { ("months", 120_000) } else { ("days", 3_650_000) };
                match number.parse::<i64>() {
                    Ok(n) if n.abs() <= limit => {
                        if months {
                            LiteralKind::Months(n)
                        } else {
                            LiteralKind::Days(n)
                        }
                    }
                    _ => {
                        self.diagnostics.push(
                            Diagnostic::error(
                                "tenet::parse::duration",
                                format!("`{number}` is not a whole number of {unit}"),
                            )
                            .at(span, format!("expected a whole number of {unit}"))
                            .help(format!("durations are whole {unit} between -{limit} and {limit}")),
                        );
                        if months { LiteralKind::Months(0) } else { LiteralKind::Days(0) }
                    }
                }
            }
            Rule::literal_list => LiteralKind::List(children(pair).map(|item| self.literal(item)).collect()),
            _ => LiteralKind::Word(text.to_string()),
        };
        Literal { kind, span }
    }
}

/// The text of a string literal without its escapes.
fn unescape(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// Where the last token inside a pair ends: its text without the trailing
/// white space and `//` comments pest skipped after it.
fn tight_end(pair: &Pair<'_, Rule>) -> usize {
    let text = pair.as_str();
    let mut end = text.len();
    loop {
        let trimmed = text.get(..end).unwrap_or("").trim_end();
        end = trimmed.len();
        let line_start = trimmed.rfind('\n').map_or(0, |index| index + 1);
        match comment_start(trimmed.get(line_start..).unwrap_or("")) {
            Some(offset) => end = line_start + offset,
            None => break,
        }
    }
    pair.as_span().start() + end
}

/// Where a `//` comment starts in one line, outside string literals.
fn comment_start(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let (mut in_string, mut escaped) = (false, false);
    for (index, byte) in bytes.iter().enumerate() {
        match byte {
            b'\\' if in_string && !escaped => escaped = true,
            b'"' if !escaped => in_string = !in_string,
            b'/' if !in_string && bytes.get(index + 1) == Some(&b'/') => return Some(index),
            _ => escaped = false,
        }
        if *byte != b'\\' {
            escaped = false;
        }
    }
    None
}

/// Rust has no type alias for the AST rule beside pest's `Rule`.
type Rule_ = crate::ast::Rule;
