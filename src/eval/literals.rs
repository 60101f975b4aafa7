//! A request's yes/no and enumeration facts as bits, and each rule's literal
//! conditions as masks over them: most candidates the index returns fail on a
//! test of such a fact, and a mask rejects them in a few word operations
//! instead of a run through the compiled code.
//!
//! A fact with literal bits has one bit per value it can take (`false` and
//! `true` for a yes/no): the bit of its value is set, none when it is absent;
//! for a list of enumeration values, the bit of each value in the list. A
//! literal condition is a set of bits one of which must be set (`region in
//! [eu, uk]`, `kind is not k3`, `not urgent`, `CN in data.storage_countries`,
//! `any c in data.categories satisfies c in [...]`); `not`, `and` and `or` of
//! literals are clauses of such sets, true exactly when each clause has a bit
//! set (`not (urgent or kind is k3)`: a bit of `urgent` false, and one of `kind`
//! not `k3`). A rule's literals are those that must hold for its leading
//! conditions to hold (the conditions themselves, the conjuncts of an `and`, a
//! term's body). When one of them has none of its
//! bits set, its condition is false or unknown: the rule cannot fire, exactly as
//! the compiled code would find. Only conditions before the first that can go
//! out of range are read, so leaving the rule out hides no error either.

use crate::check::{Expr, FactId, Program};
use crate::facts::Facts;
use crate::value::{Scalar, Type, Value};

/// Where each fact's bits are, and every rule's literals, built once per program.
#[derive(Clone, Debug, Default)]
pub(super) struct Literals {
    /// Facts with bits, in fact order.
    facts: Vec<Slot>,
    /// By fact index: its entry in `facts`, if it has bits.
    of_fact: Vec<Option<u32>>,
    /// Words of bits per request.
    words: usize,
    /// (word, mask) pairs: runs of them make up the rules' needs.
    masks: Vec<(u32, u64)>,
    /// Literals of more than one bit: each a range of `masks`, one of whose bits must be set.
    clauses: Vec<(u32, u32)>,
}

/// A fact with bits: its first bit and how many values it has.
#[derive(Clone, Copy, Debug)]
struct Slot {
    fact: FactId,
    first: u32,
    values: u32,
    kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    YesNo,
    Enum,
    /// A list of enumeration values: a bit per value it holds.
    List,
}

/// What a rule's leading conditions need of the bits.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Needs {
    /// A range of `masks`: every bit of each must be set (literals of one bit, merged).
    all: (u32, u32),
    /// A range of `clauses`.
    any: (u32, u32),
}

/// Terms nest no deeper than this here (the checker bounds them; this bounds a malformed program).
const MAX_DEPTH: usize = 64;

/// A truth as clauses over the bits ([`Literals::clauses`]): all must hold, each by one of its bits.
pub(super) type Clauses = Vec<Vec<u32>>;

/// Each term's clauses, by term and polarity, once looked into.
pub(super) type Memo = std::collections::HashMap<(usize, bool), Option<Clauses>>;

/// At most this many clauses come out of an `or` of conjunctions (their product): a
/// condition whose clauses would be more is left to the compiled code.
const MAX_CLAUSES: usize = 16;

impl Literals {
    pub(super) fn new(program: &Program) -> Literals {
        let mut literals = Literals { of_fact: vec![None; program.facts.len()], ..Literals::default() };
        let mut next = 0u32;
        for (index, def) in program.facts.iter().enumerate() {
            let (values, kind) = match def.ty {
                Type::Bool => (2, Kind::YesNo),
                Type::Enum(id) => (program.enum_values(id).len() as u32, Kind::Enum),
                Type::List(Scalar::Enum(id)) => (program.enum_values(id).len() as u32, Kind::List),
                _ => continue,
            };
            if let Some(slot) = literals.of_fact.get_mut(index) {
                *slot = Some(literals.facts.len() as u32);
            }
            literals.facts.push(Slot { fact: FactId(index as u32), first: next, values, kind });
            next += values;
        }
        literals.words = (next as usize).div_ceil(64);
        literals
    }

    /// Files the literals of a rule's leading conditions (those that cannot go out of range).
    pub(super) fn needs<'e>(
        &mut self,
        program: &Program,
        conditions: impl Iterator<Item = &'e Expr>,
        exact: Clauses,
        implied: &[Vec<u32>],
        memo: &mut Memo,
    ) -> Needs {
        // The clauses of the conditions that get no code ([`Literals::cover`]), then
        // whatever else the conditions' literals need.
        let mut clauses = exact;
        // Terms already looked into: each once, however often the conditions use it.
        let mut seen = std::collections::HashSet::new();
        for condition in conditions {
            self.collect(program, condition, &mut clauses, &mut seen, memo, 0);
        }
        // Each clause's bits are in order (as [`Literals::bits_where`] and [`either`]
        // give them), so that a clause found twice is dropped here.
        clauses.sort_unstable();
        clauses.dedup();
        // A literal one of whose bits is certainly set (the rule's key, which the
        // request reached it by, is a subset of it) needs no test.
        clauses.retain(|bits| !implied.iter().any(|key| !key.is_empty() && key.iter().all(|bit| bits.contains(bit))));
        let start = self.masks.len() as u32;
        let mut single: Vec<(u32, u64)> = Vec::new();
        for bits in clauses.iter().filter(|bits| bits.len() == 1) {
            for &bit in bits {
                let word = bit / 64;
                match single.iter_mut().find(|(at, _)| *at == word) {
                    Some((_, mask)) => *mask |= 1 << (bit % 64),
                    None => single.push((word, 1 << (bit % 64))),
                }
            }
        }
        single.sort_unstable();
        self.masks.extend(single);
        let all = (start, self.masks.len() as u32);
        let first = self.clauses.len() as u32;
        for bits in clauses.iter().filter(|bits| bits.len() != 1) {
            let from = self.masks.len() as u32;
            for &bit in bits {
                let word = bit / 64;
                match self.masks.get_mut(from as usize..).and_then(|run| run.iter_mut().find(|(at, _)| *at == word)) {
                    Some((_, mask)) => *mask |= 1 << (bit % 64),
                    None => self.masks.push((word, 1 << (bit % 64))),
                }
            }
            self.clauses.push((from, self.masks.len() as u32));
        }
        Needs { all, any: (first, self.clauses.len() as u32) }
    }

    /// The literals that must hold for `expr` to hold: through the conjuncts of an
    /// `and` and terms' bodies down to the conditions whose truth the bits decide.
    fn collect(
        &self,
        program: &Program,
        expr: &Expr,
        out: &mut Vec<Vec<u32>>,
        seen: &mut std::collections::HashSet<usize>,
        memo: &mut Memo,
        depth: usize,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        match expr {
            Expr::And(parts) => {
                for part in parts {
                    self.collect(program, part, out, seen, memo, depth + 1);
                }
            }
            Expr::Term(index) => {
                if seen.insert(*index)
                    && let Some(body) = program.terms.get(*index)
                {
                    self.collect(program, body, out, seen, memo, depth + 1);
                }
            }
            _ => out.extend(self.clauses(program, expr, true, memo, depth).unwrap_or_default()),
        }
    }

    /// The clauses of `expr` if it is made of literals only: then their holding means
    /// it is true, and the compiled code need not test it again (the caller passes them
    /// to [`Literals::needs`]). `memo` keeps each term's clauses, so that a term used
    /// twice is looked into once.
    pub(super) fn cover(&self, program: &Program, expr: &Expr, memo: &mut Memo) -> Option<Clauses> {
        self.clauses(program, expr, true, memo, 0)
    }

    /// When `expr` is true (`polarity`) or false, as clauses over the bits, if the
    /// bits decide it: each clause a set of bits one of which must be set, and the
    /// expression has that truth exactly when every clause holds. Three-valued:
    /// a literal on an absent fact is neither true nor false (none of its bits is
    /// set), and so `not`, `and` and `or` follow (Kleene's logic: `a or b` is false
    /// when both are, true when either is), as they do in the tree walker.
    fn clauses(
        &self,
        program: &Program,
        expr: &Expr,
        polarity: bool,
        memo: &mut Memo,
        depth: usize,
    ) -> Option<Clauses> {
        if depth > MAX_DEPTH {
            return None;
        }
        match expr {
            Expr::Not(inner) => self.clauses(program, inner, !polarity, memo, depth + 1),
            // True when every part is, false when one is (and `or` the other way round).
            Expr::And(parts) | Expr::Or(parts) => {
                // Every part: their clauses together; one part: starting from one empty
                // clause (never true, as an `or` of no parts), each joined with the next's.
                let every = matches!(expr, Expr::And(_)) == polarity;
                let mut found: Clauses = if every { Vec::new() } else { vec![Vec::new()] };
                for part in parts {
                    let part = self.clauses(program, part, polarity, memo, depth + 1)?;
                    if every {
                        found.extend(part);
                    } else {
                        found = either(&found, &part)?;
                    }
                }
                Some(found)
            }
            Expr::Term(index) => {
                if let Some(known) = memo.get(&(*index, polarity)) {
                    return known.clone();
                }
                let body = program.terms.get(*index)?;
                let found = self.clauses(program, body, polarity, memo, depth + 1);
                memo.insert((*index, polarity), found.clone());
                found
            }
            _ => self.literal(program, expr, polarity).map(|bits| vec![bits]),
        }
    }

    /// `expr` as the bits one of which is set exactly when it has the truth
    /// `polarity`, if it is a literal (a test of one fact against constants).
    fn literal(&self, program: &Program, expr: &Expr, polarity: bool) -> Option<Vec<u32>> {
        let unalias = |expr| super::unalias(program, expr);
        match unalias(expr) {
            Expr::Fact(fact) => self.bits_where(*fact, Kind::YesNo, |value| (value == 1) == polarity),
            Expr::Is { left, right, negated } => match (unalias(left), unalias(right)) {
                (Expr::Fact(fact), Expr::Const(constant)) | (Expr::Const(constant), Expr::Fact(fact)) => {
                    let wanted = value_index(constant)?;
                    self.bits_where(*fact, Kind::Enum, |value| ((value == wanted) != *negated) == polarity)
                }
                _ => None,
            },
            Expr::InEnums { left, members, negated } => match unalias(left) {
                Expr::Fact(fact) => self.bits_where(*fact, Kind::Enum, |value| {
                    (members.get(value as usize).copied().unwrap_or(false) != *negated) == polarity
                }),
                _ => None,
            },
            Expr::In { left, right, negated } => match (unalias(left), unalias(right)) {
                (Expr::Fact(fact), Expr::Const(Value::List(items))) => {
                    let listed: Vec<u32> = items.iter().map(value_index).collect::<Option<_>>()?;
                    self.bits_where(*fact, Kind::Enum, |value| (listed.contains(&value) != *negated) == polarity)
                }
                // `CN in data.storage_countries` is true when that value's bit is set; that
                // it is false (the bit clear) is no bit's being set.
                (Expr::Const(constant), Expr::Fact(fact)) if *negated != polarity => {
                    let wanted = value_index(constant)?;
                    self.bits_where(*fact, Kind::List, |value| value == wanted)
                }
                _ => None,
            },
            // `any c in list satisfies c in [...]` (or `c is X`) is true when one of
            // those values' bits is set; false is no bit's being set, as above.
            Expr::Quantified { all: false, list, body } if polarity => {
                let Expr::Fact(fact) = unalias(list) else { return None };
                match body.as_ref() {
                    Expr::InEnums { left, members, negated: false } if matches!(left.as_ref(), Expr::Var(0)) => self
                        .bits_where(*fact, Kind::List, |value| members.get(value as usize).copied().unwrap_or(false)),
                    Expr::Is { left, right, negated: false } => match (left.as_ref(), right.as_ref()) {
                        (Expr::Var(0), Expr::Const(constant)) | (Expr::Const(constant), Expr::Var(0)) => {
                            let wanted = value_index(constant)?;
                            self.bits_where(*fact, Kind::List, |value| value == wanted)
                        }
                        _ => None,
                    },
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The bits of `fact`'s values for which `keep` holds, if its bits are of
    /// the kind the condition reads (`Kind::Enum` reads a yes/no too: `flag is true`).
    fn bits_where(&self, fact: FactId, kind: Kind, keep: impl Fn(u32) -> bool) -> Option<Vec<u32>> {
        let entry = (*self.of_fact.get(fact.0 as usize)?)?;
        let slot = self.facts.get(entry as usize)?;
        let fits = slot.kind == kind || (kind == Kind::Enum && slot.kind == Kind::YesNo);
        if !fits {
            return None;
        }
        Some((0..slot.values).filter(|value| keep(*value)).map(|value| slot.first + value).collect())
    }

    /// The bits of `values` of `fact` (a key's), if the fact has bits.
    pub(super) fn bits_of(&self, fact: FactId, values: &[u32]) -> Option<Vec<u32>> {
        let entry = (*self.of_fact.get(fact.0 as usize)?)?;
        let slot = self.facts.get(entry as usize)?;
        values.iter().map(|value| (*value < slot.values).then_some(slot.first + value)).collect()
    }

    /// The request's bits, into `out`.
    pub(super) fn bits(&self, facts: &Facts, out: &mut Vec<u64>) {
        out.clear();
        out.resize(self.words, 0);
        let mut set = |slot: &Slot, value: u32| {
            let bit = (slot.first + value) as usize;
            if value < slot.values
                && let Some(word) = out.get_mut(bit / 64)
            {
                *word |= 1 << (bit % 64);
            }
        };
        for slot in &self.facts {
            match facts.get(slot.fact) {
                Some(Value::Bool(b)) => set(slot, u32::from(*b)),
                Some(Value::Enum(_, index)) => set(slot, *index),
                Some(Value::List(items)) => {
                    for item in items.iter() {
                        if let Value::Enum(_, index) = item {
                            set(slot, *index);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// Whether `needs` asks for nothing: every request meets it.
    pub(super) fn none(needs: Needs) -> bool {
        needs.all.0 >= needs.all.1 && needs.any.0 >= needs.any.1
    }

    /// Whether the request's bits give every literal a rule needs; `false` means
    /// one of its leading conditions is false or unknown.
    pub(super) fn hold(&self, needs: Needs, bits: &[u64]) -> bool {
        let set = |&(word, mask): &(u32, u64)| bits.get(word as usize).map_or(0, |bits| bits & mask);
        let all = self.masks.get(needs.all.0 as usize..needs.all.1 as usize).unwrap_or(&[]);
        if !all.iter().all(|pair| set(pair) == pair.1) {
            return false;
        }
        let clauses = self.clauses.get(needs.any.0 as usize..needs.any.1 as usize).unwrap_or(&[]);
        clauses.iter().all(|&(from, to)| {
            self.masks.get(from as usize..to as usize).unwrap_or(&[]).iter().any(|pair| set(pair) != 0)
        })
    }
}

/// Clauses that hold exactly when `left`'s or `right`'s do: each of the one's
/// clauses joined with each of the other's, if there are not too many.
fn either(left: &[Vec<u32>], right: &[Vec<u32>]) -> Option<Clauses> {
    if left.len().saturating_mul(right.len()) > MAX_CLAUSES {
        return None;
    }
    let mut found = Vec::with_capacity(left.len() * right.len());
    for one in left {
        for other in right {
            let mut bits: Vec<u32> = one.iter().chain(other).copied().collect();
            bits.sort_unstable();
            bits.dedup();
            found.push(bits);
        }
    }
    Some(found)
}

/// A yes/no as 0/1, an enumeration value as its index.
fn value_index(value: &Value) -> Option<u32> {
    match value {
        Value::Bool(b) => Some(u32::from(*b)),
        Value::Enum(_, index) => Some(*index),
        _ => None,
    }
}
