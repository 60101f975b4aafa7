//! The syntax tree of a rule file, exactly as written: names are unresolved and
//! nothing is typed yet. Spans are ignored by equality, so layout never matters.

use crate::source::Span;

/// A word with the place it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

/// A parsed rule file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct File {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Enum(EnumDecl),
    Fact(FactDecl),
    Set(SetDecl),
    Term(TermDecl),
    Outcome(OutcomeDecl),
    Block(Block),
    Rule(Rule),
    Assertion(Assertion),
}

/// `enum Decision { disclose, reject }`
#[derive(Clone, Debug, PartialEq)]
pub struct EnumDecl {
    pub name: Name,
    pub values: Vec<Name>,
    /// A value's label (`DE "Germany"`), by position; `None` where it has none.
    pub labels: Vec<Option<String>>,
    /// `extend enum X { ... }`: values added to an enumeration declared elsewhere.
    pub extends: bool,
}

/// `fact request.served_date : date optional default 2020-01-01`
#[derive(Clone, Debug, PartialEq)]
pub struct FactDecl {
    pub path: Name,
    pub ty: TypeExpr,
    pub optional: bool,
    pub default: Option<Literal>,
}

/// `text`, `Category`, `list of Category`
#[derive(Clone, Debug, PartialEq)]
pub struct TypeExpr {
    pub list: bool,
    pub name: Name,
}

/// `set EEA = ["AT", "BE"]`, `set LIKE : CustomerType = [enterprise]`
#[derive(Clone, Debug, PartialEq)]
pub struct SetDecl {
    pub name: Name,
    pub ty: Option<Name>,
    pub values: Vec<Literal>,
    pub span: Span,
}

/// `term enterprise_customer means target.customer_type in [enterprise, smb]`
#[derive(Clone, Debug, PartialEq)]
pub struct TermDecl {
    pub name: Name,
    pub body: Expr,
}

/// `outcome decision : one of Decision`
#[derive(Clone, Debug, PartialEq)]
pub struct OutcomeDecl {
    pub name: Name,
    pub kind: OutcomeKind,
    /// `required`: every request must get a value.
    pub required: bool,
    pub span: Span,
}

/// `assert A-1 "title" { cite "..." when ... never ... }`: a property of every request.
#[derive(Clone, Debug, PartialEq)]
pub struct Assertion {
    pub id: Name,
    pub title: Name,
    pub cites: Vec<Name>,
    pub when: Vec<Expr>,
    /// `always` (the claim must not be false) or `never` (it must not be true).
    pub always: bool,
    pub claim: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum OutcomeKind {
    /// `one of Enum`: a single value; rules that disagree are a conflict.
    One(Name),
    /// `set of Enum`: values accumulate.
    Set(Name),
    /// `duties of Enum`: what rules `require` and `forbid`.
    Duties(Name),
    /// `map of Type`: named values, e.g. `deadlines.respond_by` in a `map of date`.
    Map(Name),
    /// `confidence`: the lowest confidence of the decisive rules.
    Confidence,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Strength {
    /// `principles`: the provider's own policy. Never overrides law.
    Soft,
    /// `contract`: obligations the provider took on by contract.
    Contract,
    /// `jurisdiction`: hard law.
    Law,
}

impl Strength {
    /// The word that opens a block of this strength.
    pub fn keyword(self) -> &'static str {
        match self {
            Strength::Law => "jurisdiction",
            Strength::Contract => "contract",
            Strength::Soft => "principles",
        }
    }
}

/// `jurisdiction US "United States" { applies when ... rule ... }`
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub strength: Strength,
    pub id: Name,
    pub title: Name,
    pub applies: Vec<Expr>,
    pub effective: Vec<Dated>,
    pub until: Vec<Dated>,
    pub rules: Vec<Rule>,
    pub span: Span,
}

/// A date written in a rule or block, e.g. `effective 2022-10-03`.
#[derive(Clone, Debug, PartialEq)]
pub struct Dated {
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Low,
    Medium,
    High,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
        }
    }
}

/// `rule US-6 "Notice and gag orders" { cite "..." when ... then ... }`
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub id: Name,
    pub title: Name,
    pub cites: Vec<Name>,
    pub effective: Vec<Dated>,
    pub until: Vec<Dated>,
    pub confidence: Vec<(Level, Span)>,
    pub overrides: Vec<Name>,
    pub when: Vec<Expr>,
    pub then: Vec<Conclusion>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Conclusion {
    /// `set decision to disclose`, `set deadlines.gag_end to nondisclosure.end_date`
    Set { outcome: Name, key: Option<Name>, value: Expr },
    /// `add notify_customer, preserve_data to actions`
    Add { values: Vec<Expr>, outcome: Name },
    /// `require notify_customer`
    Require(Name),
    /// `forbid disclose`
    Forbid(Name),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    /// `a is b`, `a is not b`
    Is {
        left: Box<Expr>,
        right: Box<Expr>,
        negated: bool,
    },
    /// `a in b`, `a not in b`
    In {
        left: Box<Expr>,
        right: Box<Expr>,
        negated: bool,
    },
    /// `a < b`
    Compare {
        left: Box<Expr>,
        op: CompareOp,
        right: Box<Expr>,
    },
    /// `request.served_date is present`
    Presence {
        operand: Box<Expr>,
        present: bool,
    },
    /// `disclose is required`
    Duty {
        act: Name,
        state: DutyState,
        negated: bool,
    },
    /// `request.served_date otherwise request.date`
    Otherwise(Vec<Expr>),
    /// `request.date + 14 days`
    Arith {
        left: Box<Expr>,
        op: ArithOp,
        right: Box<Expr>,
    },
    /// `any c in data.categories satisfies c is content`
    Quantified {
        all: bool,
        var: Name,
        list: Box<Expr>,
        body: Box<Expr>,
    },
    List(Vec<Expr>),
    Literal(Literal),
    /// A dotted path or a bare word: a fact, a set, an outcome, a variable or an enum value.
    Path(Name),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    Lt,
    Le,
    Gt,
    Ge,
}

impl CompareOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DutyState {
    Required,
    Forbidden,
    Conflicted,
}

impl DutyState {
    pub fn as_str(self) -> &'static str {
        match self {
            DutyState::Required => "required",
            DutyState::Forbidden => "forbidden",
            DutyState::Conflicted => "conflicted",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Literal {
    pub kind: LiteralKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum LiteralKind {
    Bool(bool),
    Number(rust_decimal::Decimal),
    Text(String),
    /// As written (`2025-02-11`); validated by the checker.
    Date(String),
    Days(i64),
    /// `3 months`: calendar months, only added to or subtracted from a date.
    Months(i64),
    /// A bare word: an enum value, resolved by the checker.
    Word(String),
    List(Vec<Literal>),
}
