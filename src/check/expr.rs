//! Expressions: names resolved, types checked, compiled to [`Expr`].

use std::sync::Arc;

use super::{Checker, FactId, OutcomeId, OutcomeKind};
use crate::ast::{self, ArithOp, CompareOp, DutyState, ExprKind, LiteralKind};
use crate::diag::Diagnostic;
use crate::value::{ArithError, ArithKind, Scalar, Type, Value, arith};

/// How many terms may stand between a rule and the facts it reads.
const MAX_TERM_DEPTH: usize = 64;

/// A checked expression. Every name is resolved to an index.
#[derive(Clone, Debug)]
pub enum Expr {
    Const(Value),
    Fact(FactId),
    /// A quantifier's variable, counted from the innermost.
    Var(usize),
    /// The value of a single-valued outcome, or the members of a set outcome.
    Outcome(OutcomeId),
    /// One named value of a `map of` outcome.
    OutcomeKey(OutcomeId, Arc<str>),
    Duty {
        act: u32,
        state: DutyState,
        negated: bool,
    },
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Is {
        left: Box<Expr>,
        right: Box<Expr>,
        negated: bool,
    },
    In {
        left: Box<Expr>,
        right: Box<Expr>,
        negated: bool,
    },
    Compare {
        left: Box<Expr>,
        op: CompareOp,
        right: Box<Expr>,
    },
    Present {
        fact: FactId,
        present: bool,
    },
    Arith {
        left: Box<Expr>,
        kind: ArithKind,
        right: Box<Expr>,
    },
    /// The first known value.
    Otherwise(Vec<Expr>),
    /// A defined term, by index in `Program::terms`; evaluated once per request.
    Term(usize),
    /// Membership in a constant list of enumeration values, by value index.
    InEnums {
        left: Box<Expr>,
        members: Box<[bool]>,
        negated: bool,
    },
    /// Membership in a constant list of texts, sorted for binary search.
    InTexts {
        left: Box<Expr>,
        texts: Box<[Arc<str>]>,
        negated: bool,
    },
    Quantified {
        all: bool,
        list: Box<Expr>,
        body: Box<Expr>,
    },
    List(Vec<Expr>),
}

impl Expr {
    /// The expressions directly inside this one (not through terms).
    pub fn children(&self) -> impl Iterator<Item = &Expr> {
        let (pair, parts): ([Option<&Expr>; 2], &[Expr]) = match self {
            Expr::Not(inner) => ([Some(inner), None], &[]),
            Expr::Is { left, right, .. }
            | Expr::In { left, right, .. }
            | Expr::Compare { left, right, .. }
            | Expr::Arith { left, right, .. } => ([Some(left), Some(right)], &[]),
            Expr::InEnums { left, .. } | Expr::InTexts { left, .. } => ([Some(left), None], &[]),
            Expr::Quantified { list, body, .. } => ([Some(list), Some(body)], &[]),
            Expr::And(parts) | Expr::Or(parts) | Expr::Otherwise(parts) | Expr::List(parts) => ([None, None], parts),
            Expr::Const(_)
            | Expr::Fact(_)
            | Expr::Var(_)
            | Expr::Outcome(_)
            | Expr::OutcomeKey(..)
            | Expr::Duty { .. }
            | Expr::Present { .. }
            | Expr::Term(_) => ([None, None], &[]),
        };
        pair.into_iter().flatten().chain(parts.iter())
    }
}

/// Where an expression stands, which decides what it may read.
#[derive(Clone, Debug, Default)]
pub(super) struct Scope {
    /// Rule conditions and conclusions may read outcomes and duties;
    /// a jurisdiction's `applies when` reads facts only.
    pub outcomes: bool,
    pub vars: Vec<(String, Scalar)>,
    /// What the expression read, for explanations and ordering.
    pub facts: Vec<FactId>,
    pub read_outcomes: Vec<OutcomeId>,
    pub read_acts: Vec<u32>,
}

impl Scope {
    fn note_fact(&mut self, id: FactId) {
        if !self.facts.contains(&id) {
            self.facts.push(id);
        }
    }

    fn note_outcome(&mut self, id: OutcomeId) {
        if !self.read_outcomes.contains(&id) {
            self.read_outcomes.push(id);
        }
    }
}

/// A term checked in one kind of place: its compiled index, type and what it reads.
#[derive(Clone, Debug)]
pub(super) struct TermCheck {
    index: usize,
    ty: Type,
    facts: Vec<FactId>,
    outcomes: Vec<OutcomeId>,
    acts: Vec<u32>,
}

/// What a bare word or dotted path names.
enum Resolved {
    Typed(Expr, Type),
    /// A word that is no fact, set, outcome or variable: maybe an enum value.
    Word,
}

impl Checker<'_> {
    /// Checks a condition: it must be `bool`.
    pub(super) fn condition(&mut self, expr: &ast::Expr, scope: &mut Scope) -> Option<Expr> {
        let (checked, ty) = self.expr(expr, Some(Type::Bool), scope)?;
        if ty != Type::Bool {
            let found = self.type_name(ty);
            self.report(
                Diagnostic::error(
                    "tenet::check::not_a_condition",
                    format!("a condition must be true or false, but this is {found}"),
                )
                .at(expr.span, format!("this is {found}"))
                .help("compare it with something, e.g. `... is ...` or `... in ...`"),
            );
            return None;
        }
        Some(checked)
    }

    /// Checks an expression, with the type the context expects if known.
    pub(super) fn expr(&mut self, expr: &ast::Expr, expected: Option<Type>, scope: &mut Scope) -> Option<(Expr, Type)> {
        match &expr.kind {
            ExprKind::Or(parts) | ExprKind::And(parts) => {
                let mut checked = Vec::with_capacity(parts.len());
                for part in parts {
                    checked.push(self.condition(part, scope));
                }
                let checked: Vec<Expr> = checked.into_iter().collect::<Option<_>>()?;
                let node = if matches!(expr.kind, ExprKind::Or(_)) { Expr::Or(checked) } else { Expr::And(checked) };
                Some((node, Type::Bool))
            }
            ExprKind::Not(inner) => Some((Expr::Not(Box::new(self.condition(inner, scope)?)), Type::Bool)),
            ExprKind::Is { left, right, negated } => {
                let (left, right, _) = self.pair(left, right, scope)?;
                Some((Expr::Is { left: Box::new(left), right: Box::new(right), negated: *negated }, Type::Bool))
            }
            ExprKind::In { left, right, negated } => self.membership(left, right, *negated, scope),
            ExprKind::Compare { left, op, right } => self.compare(left, *op, right, scope),
            ExprKind::Presence { operand, present } => self.presence(operand, *present, scope),
            ExprKind::Duty { act, state, negated } => self.duty(act, *state, *negated, scope),
            ExprKind::Arith { left, op, right } => self.arith(expr, left, *op, right, scope),
            ExprKind::Otherwise(parts) => self.otherwise(parts, expected, scope),
            ExprKind::Quantified { all, var, list, body } => self.quantified(*all, var, list, body, scope),
            ExprKind::List(items) => self.list(expr, items, expected, scope),
            ExprKind::Literal(literal) => self.literal_expr(literal, expected),
            ExprKind::Path(name) => match self.resolve(name, scope)? {
                Resolved::Typed(checked, ty) => Some((checked, ty)),
                Resolved::Word => self.word(name, expected),
            },
        }
    }

    /// Checks two operands that must agree in type. A bare enum word on the
    /// left takes its type from the right: `compelled is disclose`.
    fn pair(&mut self, left: &ast::Expr, right: &ast::Expr, scope: &mut Scope) -> Option<(Expr, Expr, Type)> {
        if self.is_bare_word(left, scope) {
            let (right_checked, right_ty) = self.expr(right, None, scope)?;
            let (left_checked, left_ty) = self.expr(left, Some(right_ty), scope)?;
            return self.same_type(left, left_ty, right_ty).then_some((left_checked, right_checked, left_ty));
        }
        let (left_checked, left_ty) = self.expr(left, None, scope)?;
        let (right_checked, right_ty) = self.expr(right, Some(left_ty), scope)?;
        self.same_type(right, right_ty, left_ty).then_some((left_checked, right_checked, left_ty))
    }

    fn same_type(&mut self, at: &ast::Expr, found: Type, expected: Type) -> bool {
        if found == expected {
            return true;
        }
        let (found_name, expected_name) = (self.type_name(found), self.type_name(expected));
        let mut diagnostic =
            Diagnostic::error("tenet::check::type_mismatch", format!("expected {expected_name}, found {found_name}"))
                .at(at.span, format!("this is {found_name}"));
        // `requester is "Germany"` against an enumeration: name the value meant.
        if let (ExprKind::Literal(ast::Literal { kind: LiteralKind::Text(text), .. }), Type::Enum(id)) =
            (&at.kind, expected)
            && let Some(def) = self.program.enums.get(id.0 as usize)
        {
            diagnostic = diagnostic.help(format!(
                "values of `{}` are written without quotes; {}",
                def.name,
                def.suggestion(text, "`")
            ));
        }
        self.report(diagnostic);
        false
    }

    fn is_bare_word(&self, expr: &ast::Expr, scope: &Scope) -> bool {
        match &expr.kind {
            ExprKind::Path(name) => {
                !name.text.contains('.')
                    && !scope.vars.iter().any(|(var, _)| *var == name.text)
                    && self.set(&name.text).is_none()
                    && !self.names.terms.contains_key(&name.text)
                    && !self.names.outcomes.contains_key(&name.text)
                    && !self.names.facts.contains_key(&name.text)
            }
            _ => false,
        }
    }

    fn membership(
        &mut self,
        left: &ast::Expr,
        right: &ast::Expr,
        negated: bool,
        scope: &mut Scope,
    ) -> Option<(Expr, Type)> {
        let (left_checked, right_checked, left_ty) = if self.is_bare_word(left, scope) {
            let (right_checked, right_ty) = self.expr(right, None, scope)?;
            let Type::List(element) = right_ty else {
                return self.not_a_list(right, right_ty);
            };
            let (left_checked, left_ty) = self.expr(left, Some(element.ty()), scope)?;
            (left_checked, right_checked, left_ty)
        } else {
            let (left_checked, left_ty) = self.expr(left, None, scope)?;
            let want = left_ty.scalar().map(Type::List);
            let (right_checked, right_ty) = self.expr(right, want, scope)?;
            if !matches!(right_ty, Type::List(_)) {
                return self.not_a_list(right, right_ty);
            }
            if let Some(want) = want
                && !self.same_type(right, right_ty, want)
            {
                return None;
            }
            (left_checked, right_checked, left_ty)
        };
        if left_ty.scalar().is_none() {
            let found = self.type_name(left_ty);
            self.report(
                Diagnostic::error(
                    "tenet::check::type_mismatch",
                    format!("expected a single value before `in`, found {found}"),
                )
                .at(left.span, "this is a list")
                .help("to test whether two lists share a value, use `any x in first satisfies x in second`"),
            );
            return None;
        }
        Some((membership_expr(left_checked, right_checked, negated), Type::Bool))
    }

    fn not_a_list<T>(&mut self, at: &ast::Expr, ty: Type) -> Option<T> {
        let found = self.type_name(ty);
        self.report(
            Diagnostic::error("tenet::check::not_a_list", format!("expected a list after `in`, found {found}"))
                .at(at.span, format!("this is {found}"))
                .help("write a list `[a, b]`, a set name or a list fact; to compare one value use `is`"),
        );
        None
    }

    fn compare(
        &mut self,
        left: &ast::Expr,
        op: CompareOp,
        right: &ast::Expr,
        scope: &mut Scope,
    ) -> Option<(Expr, Type)> {
        let (left_checked, right_checked, ty) = self.pair(left, right, scope)?;
        if ty == Type::Months {
            self.report(
                Diagnostic::error(
                    "tenet::check::not_ordered",
                    format!("`{}` cannot compare calendar months: a month has no fixed length", op.as_str()),
                )
                .at(left.span, "this is a number of months")
                .help("compare the dates the months lead to instead: `served <= made + 3 months`"),
            );
            return None;
        }
        if !matches!(ty, Type::Number | Type::Date | Type::Days | Type::Text) {
            let found = self.type_name(ty);
            self.report(
                Diagnostic::error(
                    "tenet::check::not_ordered",
                    format!("`{}` compares numbers, dates and durations, not {found}", op.as_str()),
                )
                .at(left.span, format!("this is {found}"))
                .help("to compare enumeration values use `is` or `in`"),
            );
            return None;
        }
        Some((Expr::Compare { left: Box::new(left_checked), op, right: Box::new(right_checked) }, Type::Bool))
    }

    fn presence(&mut self, operand: &ast::Expr, present: bool, scope: &mut Scope) -> Option<(Expr, Type)> {
        let fact = match &operand.kind {
            ExprKind::Path(name) => self.names.facts.get(&name.text).copied(),
            _ => None,
        };
        let Some(fact) = fact else {
            self.report(
                Diagnostic::error("tenet::check::presence_of_non_fact", "only a fact can be present or absent")
                    .at(operand.span, "not a fact")
                    .help("write e.g. `request.served_date is present`"),
            );
            return None;
        };
        scope.note_fact(fact);
        if let Some(def) = self.program.fact(fact)
            && (!def.optional || def.default.is_some())
        {
            let why = if def.default.is_some() { "it has a default" } else { "it is required" };
            let diagnostic =
                Diagnostic::warning("tenet::check::always_present", format!("fact `{}` is never absent", def.path))
                    .at(operand.span, format!("{why}, so this test always gives the same answer"))
                    .help("declare the fact `optional` if requests may leave it out");
            self.report(diagnostic);
        }
        Some((Expr::Present { fact, present }, Type::Bool))
    }

    fn duty(&mut self, act: &ast::Name, state: DutyState, negated: bool, scope: &mut Scope) -> Option<(Expr, Type)> {
        let index = self.act(act, scope.outcomes)?;
        if !scope.read_acts.contains(&index) {
            scope.read_acts.push(index);
        }
        Some((Expr::Duty { act: index, state, negated }, Type::Bool))
    }

    /// Resolves the name of an act of the duties outcome.
    pub(super) fn act(&mut self, act: &ast::Name, allowed: bool) -> Option<u32> {
        let Some(acts) = self.program.acts() else {
            self.report(
                Diagnostic::error("tenet::check::no_duties", "no outcome holds duties")
                    .at(act.span, "nothing to require or forbid")
                    .help("declare one, e.g. `outcome obligations : duties of Act`"),
            );
            return None;
        };
        if !allowed {
            self.report(
                Diagnostic::error(
                    "tenet::check::outcome_in_applies",
                    "a jurisdiction's applicability can only depend on facts",
                )
                .at(act.span, "duties are known only once rules have been applied"),
            );
            return None;
        }
        match self.enum_value(acts, &act.text, act.span)? {
            Value::Enum(_, index) => Some(index),
            _ => None,
        }
    }

    fn arith(
        &mut self,
        whole: &ast::Expr,
        left: &ast::Expr,
        op: ArithOp,
        right: &ast::Expr,
        scope: &mut Scope,
    ) -> Option<(Expr, Type)> {
        let (left_checked, left_ty) = self.expr(left, None, scope)?;
        let (right_checked, right_ty) = self.expr(right, None, scope)?;
        let subtract = op == ArithOp::Sub;
        let (kind, ty) = match (left_ty, right_ty) {
            (Type::Date, Type::Days) => (ArithKind::DateShift { subtract }, Type::Date),
            (Type::Date, Type::Months) => (ArithKind::MonthShift { subtract }, Type::Date),
            (Type::Date, Type::Date) if subtract => (ArithKind::DateDiff, Type::Days),
            (Type::Days, Type::Days) => (ArithKind::Days { subtract }, Type::Days),
            (Type::Number, Type::Number) => (ArithKind::Number { subtract }, Type::Number),
            _ => {
                let (l, r) = (self.type_name(left_ty), self.type_name(right_ty));
                let sign = if subtract { "-" } else { "+" };
                self.report(
                    Diagnostic::error("tenet::check::arithmetic", format!("cannot compute {l} {sign} {r}"))
                        .at(whole.span, "these do not combine")
                        .help("a date plus or minus days or months gives a date (`request.date + 14 days`, `request.date + 3 months`); two dates subtract to days"),
                );
                return None;
            }
        };
        // Constants are computed now, so a date past the calendar is an error here,
        // not an unknown at evaluation.
        if let (Expr::Const(a), Expr::Const(b)) = (&left_checked, &right_checked)
            && arith(a, kind, b) == Err(ArithError::OutOfRange)
        {
            let text = self.text(whole.span);
            self.report(
                Diagnostic::error("tenet::check::out_of_range", format!("`{text}` is out of range"))
                    .at(whole.span, "no such date or number")
                    .help("dates run from -9999-01-01 to 9999-12-31; numbers have at most 28 digits"),
            );
            return None;
        }
        Some((Expr::Arith { left: Box::new(left_checked), kind, right: Box::new(right_checked) }, ty))
    }

    /// `a otherwise b`: all alternatives have one type.
    fn otherwise(&mut self, parts: &[ast::Expr], expected: Option<Type>, scope: &mut Scope) -> Option<(Expr, Type)> {
        let (checked, ty) = self.same_typed(parts, expected, scope)?;
        Some((Expr::Otherwise(checked), ty?))
    }

    /// Checks expressions that must all have one type: the expected one, or else
    /// the first one's. Every mismatch is reported; `None` if any part failed.
    fn same_typed(
        &mut self,
        parts: &[ast::Expr],
        expected: Option<Type>,
        scope: &mut Scope,
    ) -> Option<(Vec<Expr>, Option<Type>)> {
        let mut checked = Vec::with_capacity(parts.len());
        let mut ty = expected;
        let mut failed = false;
        for part in parts {
            match self.expr(part, ty, scope) {
                Some((part_checked, part_ty)) => {
                    match ty {
                        Some(want) if !self.same_type(part, part_ty, want) => failed = true,
                        _ => ty = Some(part_ty),
                    }
                    checked.push(part_checked);
                }
                None => failed = true,
            }
        }
        (!failed).then_some((checked, ty))
    }

    fn quantified(
        &mut self,
        all: bool,
        var: &ast::Name,
        list: &ast::Expr,
        body: &ast::Expr,
        scope: &mut Scope,
    ) -> Option<(Expr, Type)> {
        let (list_checked, list_ty) = self.expr(list, None, scope)?;
        let Type::List(element) = list_ty else {
            let found = self.type_name(list_ty);
            self.report(
                Diagnostic::error(
                    "tenet::check::not_a_list",
                    format!("`{}` needs a list, found {found}", if all { "all" } else { "any" }),
                )
                .at(list.span, format!("this is {found}")),
            );
            return None;
        };
        scope.vars.push((var.text.clone(), element));
        let body_checked = self.condition(body, scope);
        scope.vars.pop();
        Some((Expr::Quantified { all, list: Box::new(list_checked), body: Box::new(body_checked?) }, Type::Bool))
    }

    fn list(
        &mut self,
        whole: &ast::Expr,
        items: &[ast::Expr],
        expected: Option<Type>,
        scope: &mut Scope,
    ) -> Option<(Expr, Type)> {
        let expected_element = match expected {
            Some(Type::List(scalar)) => Some(scalar.ty()),
            _ => None,
        };
        let (checked, element) = self.same_typed(items, expected_element, scope)?;
        let Some(scalar) = element.and_then(Type::scalar) else {
            self.report(
                Diagnostic::error("tenet::check::list_type", "cannot tell what this list holds")
                    .at(whole.span, "an empty list, or a list of lists")
                    .help("compare it with a fact or set of known type"),
            );
            return None;
        };
        // A list of constants is one constant.
        let constants: Option<Vec<Value>> =
            checked.iter().map(|item| if let Expr::Const(value) = item { Some(value.clone()) } else { None }).collect();
        let node = match constants {
            Some(values) => Expr::Const(Value::List(Arc::from(values))),
            None => Expr::List(checked),
        };
        Some((node, Type::List(scalar)))
    }

    fn literal_expr(&mut self, literal: &ast::Literal, expected: Option<Type>) -> Option<(Expr, Type)> {
        let ty = match (&literal.kind, expected) {
            (LiteralKind::Bool(_), _) => Type::Bool,
            (LiteralKind::Number(_), _) => Type::Number,
            (LiteralKind::Text(_), _) => Type::Text,
            (LiteralKind::Date(_), _) => Type::Date,
            (LiteralKind::Days(_), _) => Type::Days,
            (LiteralKind::Months(_), _) => Type::Months,
            (LiteralKind::Word(word), _) => {
                let name = ast::Name { text: word.clone(), span: literal.span };
                return self.word(&name, expected);
            }
            (LiteralKind::List(_), Some(ty @ Type::List(_))) => ty,
            (LiteralKind::List(_), _) => {
                self.report(
                    Diagnostic::error("tenet::check::list_type", "cannot tell what this list holds")
                        .at(literal.span, "here"),
                );
                return None;
            }
        };
        Some((Expr::Const(self.literal(literal, ty)?), ty))
    }

    /// Resolves a path to a variable, set, outcome or fact.
    fn resolve(&mut self, name: &ast::Name, scope: &mut Scope) -> Option<Resolved> {
        let text = name.text.as_str();
        if let Some(depth) = scope.vars.iter().rev().position(|(var, _)| var == text) {
            let scalar = scope.vars.get(scope.vars.len() - 1 - depth).map(|(_, scalar)| *scalar)?;
            return Some(Resolved::Typed(Expr::Var(depth), scalar.ty()));
        }
        if let Some((value, scalar, _)) = self.set(text) {
            return Some(Resolved::Typed(Expr::Const(value.clone()), Type::List(*scalar)));
        }
        if let Some(body) = self.names.terms.get(text).cloned() {
            return self.term(name, &body, scope).map(|(expr, ty)| Resolved::Typed(expr, ty));
        }
        if let Some(id) = self.names.facts.get(text).copied() {
            scope.note_fact(id);
            let ty = self.program.fact(id)?.ty;
            return Some(Resolved::Typed(Expr::Fact(id), ty));
        }
        let (head, key) = match text.split_once('.') {
            Some((head, key)) => (head, Some(key)),
            None => (text, None),
        };
        if let Some(id) = self.names.outcomes.get(head).copied() {
            return self.outcome_read(name, id, key, scope).map(|(expr, ty)| Resolved::Typed(expr, ty));
        }
        if text.contains('.') {
            self.unknown_name(name, "fact");
            return None;
        }
        Some(Resolved::Word)
    }

    /// A defined term, checked in the scope where it is used, so that what it
    /// reads counts for the rule that uses it.
    fn term(&mut self, name: &ast::Name, body: &ast::Expr, scope: &mut Scope) -> Option<(Expr, Type)> {
        if self.expanding.contains(&name.text) {
            let mut chain: Vec<String> = self.expanding.iter().map(|term| format!("`{term}`")).collect();
            chain.push(format!("`{}`", name.text));
            self.report(
                Diagnostic::error(
                    "tenet::check::term_cycle",
                    format!("term `{}` is defined through itself", name.text),
                )
                .at(name.span, format!("{} means itself", chain.join(" uses ")))
                .help("a term must be defined by facts and other terms, without a cycle"),
            );
            return None;
        }
        if self.expanding.len() >= MAX_TERM_DEPTH {
            self.report(
                Diagnostic::error(
                    "tenet::check::term_depth",
                    format!("terms are defined through more than {MAX_TERM_DEPTH} other terms"),
                )
                .at(name.span, "defined too deep from here")
                .help("define the term more directly, in fewer steps"),
            );
            return None;
        }
        // A term is checked once per kind of place (rule or `applies when`), never
        // once per use: a term used twice by a term used twice... would otherwise
        // cost exponential time. What its body reads is remembered and counted for
        // every rule that uses it.
        let key = (name.text.clone(), scope.outcomes);
        let checked = match self.names.term_checks.get(&key) {
            Some(known) => known.clone(),
            None => {
                let mut inner = Scope { outcomes: scope.outcomes, ..Scope::default() };
                self.expanding.push(name.text.clone());
                let body = self.expr(body, None, &mut inner);
                self.expanding.pop();
                let checked = body.map(|(expr, ty)| {
                    let (index, _) = *self.names.term_ids.entry(name.text.clone()).or_insert_with(|| {
                        self.program.terms.push(expr);
                        (self.program.terms.len() - 1, ty)
                    });
                    TermCheck { index, ty, facts: inner.facts, outcomes: inner.read_outcomes, acts: inner.read_acts }
                });
                self.names.term_checks.insert(key, checked.clone());
                checked
            }
        };
        let checked = checked?;
        for fact in &checked.facts {
            scope.note_fact(*fact);
        }
        for outcome in &checked.outcomes {
            scope.note_outcome(*outcome);
        }
        for act in &checked.acts {
            if !scope.read_acts.contains(act) {
                scope.read_acts.push(*act);
            }
        }
        Some((Expr::Term(checked.index), checked.ty))
    }

    fn outcome_read(
        &mut self,
        name: &ast::Name,
        id: OutcomeId,
        key: Option<&str>,
        scope: &mut Scope,
    ) -> Option<(Expr, Type)> {
        if !scope.outcomes {
            self.report(
                Diagnostic::error(
                    "tenet::check::outcome_in_applies",
                    "a jurisdiction's applicability can only depend on facts",
                )
                .at(name.span, "outcomes are known only once rules have been applied"),
            );
            return None;
        }
        let kind = self.program.outcome(id)?.kind;
        let read = match (kind, key) {
            (OutcomeKind::One(enum_id), None) => (Expr::Outcome(id), Type::Enum(enum_id)),
            (OutcomeKind::Set(enum_id), None) => (Expr::Outcome(id), Type::List(Scalar::Enum(enum_id))),
            (OutcomeKind::Map(scalar), Some(key)) if !key.contains('.') => {
                (Expr::OutcomeKey(id, Arc::from(key)), scalar.ty())
            }
            (OutcomeKind::Map(_), _) => {
                self.report(
                    Diagnostic::error("tenet::check::outcome_read", format!("name one date of `{}`", name.text))
                        .at(name.span, "a map of dates")
                        .help(format!("write e.g. `{}.respond_by`", name.text.split('.').next().unwrap_or_default())),
                );
                return None;
            }
            (OutcomeKind::Duties(_), _) => {
                self.report(
                    Diagnostic::error("tenet::check::outcome_read", "duties are tested one act at a time")
                        .at(name.span, "write `<act> is required`, `is forbidden` or `is conflicted`"),
                );
                return None;
            }
            (OutcomeKind::Confidence, _) | (_, Some(_)) => {
                self.report(
                    Diagnostic::error("tenet::check::outcome_read", format!("`{}` cannot be read by rules", name.text))
                        .at(name.span, "not readable here"),
                );
                return None;
            }
        };
        scope.note_outcome(id);
        Some(read)
    }

    /// A bare word in a place that wants a value: an enumeration value.
    fn word(&mut self, name: &ast::Name, expected: Option<Type>) -> Option<(Expr, Type)> {
        let scalar = match expected {
            Some(Type::Enum(id)) => Some(Scalar::Enum(id)),
            Some(Type::List(Scalar::Enum(id))) => Some(Scalar::Enum(id)),
            _ => self.unique_enum_of(&name.text),
        };
        match scalar {
            Some(Scalar::Enum(id)) => {
                let value = self.enum_value(id, &name.text, name.span)?;
                Some((Expr::Const(value), Type::Enum(id)))
            }
            _ if matches!(expected, Some(Type::Text | Type::List(Scalar::Text))) => {
                // Compared with text, a bare word is most likely text without its quotes.
                self.report(
                    Diagnostic::error("tenet::check::unknown_name", format!("unknown name `{}`", name.text))
                        .at(name.span, "compared with text, but not quoted")
                        .help(format!("text is quoted: `\"{}\"`", name.text)),
                );
                None
            }
            _ => {
                self.unknown_name(name, "name");
                None
            }
        }
    }

    fn unknown_name(&mut self, name: &ast::Name, what: &str) {
        let code = if name.text.contains('.') { "tenet::check::unknown_fact" } else { "tenet::check::unknown_name" };
        let names = self.names_for_suggestion();
        let diagnostic = Diagnostic::error(code, format!("unknown {what} `{}`", name.text))
            .at(name.span, "not a declared fact, set, outcome or value")
            .suggest(&name.text, names);
        self.report(diagnostic);
    }
}

/// `left in right`, with a table instead of a scan when `right` is a constant list.
fn membership_expr(left: Expr, right: Expr, negated: bool) -> Expr {
    if let Expr::Const(Value::List(items)) = &right {
        let enums: Option<Vec<u32>> =
            items.iter().map(|item| if let Value::Enum(_, index) = item { Some(*index) } else { None }).collect();
        if let Some(indices) = enums.filter(|indices| !indices.is_empty()) {
            let size = indices.iter().max().map_or(0, |max| *max as usize + 1);
            let mut members = vec![false; size];
            for index in indices {
                if let Some(slot) = members.get_mut(index as usize) {
                    *slot = true;
                }
            }
            return Expr::InEnums { left: Box::new(left), members: members.into(), negated };
        }
        let texts: Option<Vec<Arc<str>>> =
            items.iter().map(|item| if let Value::Text(text) = item { Some(text.clone()) } else { None }).collect();
        if let Some(mut texts) = texts.filter(|texts| !texts.is_empty()) {
            texts.sort();
            texts.dedup();
            return Expr::InTexts { left: Box::new(left), texts: texts.into(), negated };
        }
    }
    Expr::In { left: Box::new(left), right: Box::new(right), negated }
}
