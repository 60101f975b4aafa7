//! Expressions under three-valued logic: a condition that reads an absent
//! fact, or an outcome in conflict, is unknown (`None`), never guessed.

use super::State;
use crate::ast::CompareOp;
use crate::check::Expr;
use crate::value::{ArithError, Value, arith};

impl State<'_> {
    /// The value of an expression, or `None` when it is unknown.
    pub(super) fn value(&self, expr: &Expr, env: &mut Vec<Value>) -> Option<Value> {
        match expr {
            Expr::Const(value) => Some(value.clone()),
            Expr::Fact(id) => self.facts.get(*id).cloned(),
            Expr::Var(depth) => env.len().checked_sub(depth + 1).and_then(|index| env.get(index)).cloned(),
            Expr::Outcome(id) => self.read_outcome(*id),
            Expr::OutcomeKey(id, key) => self.read_key(*id, key),
            Expr::Duty { act, state, negated } => Some(Value::Bool(self.duty_is(*act, *state) != *negated)),
            Expr::Not(inner) => self.truth(inner, env).map(|b| Value::Bool(!b)),
            Expr::And(parts) => self.all(parts, env).map(Value::Bool),
            Expr::Or(parts) => self.any(parts, env).map(Value::Bool),
            Expr::Is { left, right, negated } => {
                let (left, right) = (self.value(left, env)?, self.value(right, env)?);
                Some(Value::Bool(left.same(&right) != *negated))
            }
            Expr::In { left, right, negated } => {
                let needle = self.value(left, env)?;
                let Value::List(items) = self.value(right, env)? else {
                    return None;
                };
                Some(Value::Bool(items.iter().any(|item| item.same(&needle)) != *negated))
            }
            Expr::Compare { left, op, right } => {
                let ordering = self.value(left, env)?.compare(&self.value(right, env)?)?;
                let holds = match op {
                    CompareOp::Lt => ordering.is_lt(),
                    CompareOp::Le => ordering.is_le(),
                    CompareOp::Gt => ordering.is_gt(),
                    CompareOp::Ge => ordering.is_ge(),
                };
                Some(Value::Bool(holds))
            }
            Expr::Present { fact, present } => Some(Value::Bool(self.facts.get(*fact).is_some() == *present)),
            Expr::Arith { left, kind, right } => {
                match arith(&self.value(left, env)?, *kind, &self.value(right, env)?) {
                    Ok(value) => Some(value),
                    Err(ArithError::OutOfRange) => {
                        self.out_of_range.set(true);
                        None
                    }
                    Err(ArithError::Operands) => None,
                }
            }
            Expr::Otherwise(parts) => parts.iter().find_map(|part| self.value(part, env)),
            Expr::Term(index) => {
                let cell = self.terms.get(*index)?;
                if let Some(known) = cell.get() {
                    return known.clone();
                }
                let value = self.program.terms.get(*index).and_then(|body| self.value(body, env));
                let _ = cell.set(value.clone());
                value
            }
            Expr::InEnums { left, members, negated } => {
                let Value::Enum(_, index) = self.value(left, env)? else { return None };
                Some(Value::Bool(members.get(index as usize).copied().unwrap_or(false) != *negated))
            }
            Expr::InTexts { left, texts, negated } => {
                let Value::Text(text) = self.value(left, env)? else { return None };
                let found = texts.binary_search_by(|probe| probe.as_ref().cmp(text.as_ref())).is_ok();
                Some(Value::Bool(found != *negated))
            }
            Expr::Quantified { all, list, body } => {
                let Value::List(items) = self.value(list, env)? else {
                    return None;
                };
                let mut unknown = false;
                for item in items.iter() {
                    env.push(item.clone());
                    let holds = self.truth(body, env);
                    env.pop();
                    match (holds, *all) {
                        (Some(true), false) => return Some(Value::Bool(true)),
                        (Some(false), true) => return Some(Value::Bool(false)),
                        (None, _) => unknown = true,
                        _ => {}
                    }
                }
                if unknown { None } else { Some(Value::Bool(*all)) }
            }
            Expr::List(items) => {
                let values: Option<Vec<Value>> = items.iter().map(|item| self.value(item, env)).collect();
                Some(Value::List(values?.into()))
            }
        }
    }

    /// A condition's truth: `Some(true)`, `Some(false)` or unknown.
    pub(super) fn truth(&self, expr: &Expr, env: &mut Vec<Value>) -> Option<bool> {
        match self.value(expr, env)? {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// Kleene conjunction: false wins, then unknown.
    fn all(&self, parts: &[Expr], env: &mut Vec<Value>) -> Option<bool> {
        let mut unknown = false;
        for part in parts {
            match self.truth(part, env) {
                Some(false) => return Some(false),
                None => unknown = true,
                Some(true) => {}
            }
        }
        if unknown { None } else { Some(true) }
    }

    /// Kleene disjunction: true wins, then unknown.
    fn any(&self, parts: &[Expr], env: &mut Vec<Value>) -> Option<bool> {
        let mut unknown = false;
        for part in parts {
            match self.truth(part, env) {
                Some(true) => return Some(true),
                None => unknown = true,
                Some(false) => {}
            }
        }
        if unknown { None } else { Some(false) }
    }
}
