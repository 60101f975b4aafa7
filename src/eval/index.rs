//! Rule indexing: which rules a request can possibly fire, found without
//! looking at the others.
//!
//! A rule is reached through what discriminates it: a condition that tests an
//! enumeration or yes/no fact against constants (`kind is k3`, `region in [r1,
//! r7]`, `urgent`, `not urgent`), directly or through a term, or a membership
//! test on a list fact (`content in data.categories`, `any c in data.categories
//! satisfies c in CONTENT`). Each rule is filed under its two most selective
//! such keys (or one list key); a request looks up only the buckets its own
//! values name. A rule with no key is always a candidate.
//!
//! Within a bucket, rules with a threshold on a number or date fact (`amount >
//! 500`, `as_of >= 2025-01-01`) are sorted by their limit: the request's value
//! walks them from the easiest limit and stops at the first it cannot meet, so
//! rules whose threshold fails are never looked at (an absent value meets none);
//! a whole number finds its rules by a binary search over the least (or
//! greatest) whole number each limit lets through.
//! A threshold that is a whole condition is then not tested again.
//!
//! The index is exact, not a heuristic: a rule it leaves out has a key
//! condition that is false or unknown for the request, so the rule cannot fire.
//! Leaving it out changes nothing else either, because the tree walker would
//! stop at that condition too, and a key is only taken when no condition
//! before it can go out of range (the only effect a failing condition has).

use super::compile::Code;
use super::literals::{Literals, Needs};
use super::unalias;
use crate::ast::{Level, Strength};
use crate::check::{Expr, FactId, Program};
use crate::facts::Facts;
use crate::value::{Type, Value};
use rust_decimal::Decimal;

/// The rules of a program filed by their keys, built once per program.
#[derive(Clone, Debug, Default)]
pub struct Index {
    groups: Vec<Group>,
    /// Rules with no key, each with its place in the evaluation order ([`placed`]).
    always: Vec<u64>,
    /// Per rule, what every candidate needs of it ([`Head`]): half a cache line,
    /// and for a plain rule all there is to read.
    heads: Vec<Head>,
    /// Per rule, what a candidate that is not plain needs of it besides ([`Filter`]):
    /// one cache line, not a walk over boxed expressions scattered in memory.
    filters: Vec<Filter>,
    pub(super) code: Code,
    /// Per block, its compiled `applies when`, if it compiles.
    pub(super) blocks: Vec<Option<(u32, u32)>>,
    /// Blocks whose `applies when` can go out of range: tested for every request,
    /// so that the error is reported whether or not one of their rules is a candidate.
    pub(super) eager_blocks: Vec<usize>,
    /// The facts some rule's or block's condition reads, in order.
    read: Vec<FactId>,
    /// Per assertion, its conditions and its claim, compiled, if they all compile.
    pub(super) assertions: Vec<Option<Assertion>>,
    /// The request's yes/no and enumeration facts as bits, and what each rule needs of them.
    pub(super) literals: Literals,
    /// The rules' constant conclusions after their first (`Filter::first`), a run per rule
    /// (`Filter::rest`, `Filter::more`).
    conclusions: Vec<Conclusion>,
    /// The constants of [`Conclusion::One`].
    constants: Vec<Value>,
    /// The rules in evaluation order (`Program::order`): the rule at each position.
    order: Vec<u32>,
}

/// Rule sets of at most this many 64-rule words put a request's candidates in
/// order with a bit per position, when there are more than [`DENSE_FROM`] of them:
/// a pass over a few words instead of a sort.
const DENSE_WORDS: usize = 16;
const DENSE_FROM: usize = 8;

/// What every candidate needs of a rule, in half a cache line: whether it is in
/// force and, for a plain rule (no condition left to test once the index has
/// found it, one constant conclusion, no rule overriding it), how it fires.
/// A plain rule's [`Filter`] is never read, so that each rule a request fires
/// costs one read of 32 bytes, which for 10,000 rules all fit in the second-level
/// cache (their filters, at 64 bytes, do not). What resolving the outcomes reads
/// of a fired rule is here too, read again from the first level.
#[derive(Clone, Copy, Debug)]
#[repr(align(32))]
pub(super) struct Head {
    /// In force from and until (both inclusive), as [`Day`]s: those of `Date::MIN`
    /// and `Date::MAX` when open.
    pub(super) from: Day,
    pub(super) until: Day,
    /// Its block, or [`NO_BLOCK`].
    block: u32,
    /// Its one conclusion, when the rule is plain; `None`, and the [`Filter`] decides.
    pub(super) plain: Option<Conclusion>,
    pub(super) strength: Strength,
    pub(super) confidence: Level,
    /// Its conditions or conclusions read an outcome or a duty.
    pub(super) reads: bool,
}

// Two to a cache line: a head that grew past it would cost a second read per candidate.
const _: () = assert!(std::mem::size_of::<Head>() == 32);

impl Head {
    /// The block the rule is in, if any.
    pub(super) fn block(&self) -> Option<usize> {
        (self.block != NO_BLOCK).then_some(self.block as usize)
    }
}

/// What evaluation needs of a rule that is not plain, besides its [`Head`], in
/// one cache line: a candidate, and a rule that fires with constant conclusions,
/// costs one read of memory more, not a walk through its definition (nor a
/// second read for its conclusions).
#[derive(Clone, Copy, Debug)]
#[repr(align(64))]
pub(super) struct Filter {
    /// Its compiled conditions: a run of [`Code::all_hold`].
    code: (u32, u32),
    /// The literals its leading conditions need: tested before the code.
    needs: Needs,
    /// All its conclusions are constants: firing it then needs nothing else of
    /// its definition than `first` and `rest` (and, when `overridden`, its overriders).
    constant: bool,
    /// Rules override it: it fires only if none of them has fired before it.
    pub(super) overridden: bool,
    /// Its first constant conclusion; the `more` others are `Index::conclusions` from `rest`.
    first: Option<Conclusion>,
    rest: u32,
    more: u8,
    /// Every condition of the rule is compiled: when they hold, so does the rule's `when`.
    complete: bool,
}

// One cache line: a filter that grew past it would cost a second read per candidate.
const _: () = assert!(std::mem::size_of::<Filter>() == 64);

/// A date as one integer that orders as the dates do (year, month and day in
/// its bits), so that a candidate's dates are two integer comparisons with the
/// request's `as_of`, made a `Day` once per request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Day(i32);

impl Day {
    pub(super) fn of(date: jiff::civil::Date) -> Day {
        Day((i32::from(date.year()) << 9) | (i32::from(date.month()) << 5) | i32::from(date.day()))
    }
}

/// [`Filter::block`] of a rule in no block.
const NO_BLOCK: u32 = u32::MAX;

/// At most this many conclusions after the first are drawn from a rule's filter;
/// a rule with more is fired by the tree walker.
const MAX_REST: usize = u8::MAX as usize;

/// A constant conclusion, drawn without evaluating anything.
#[derive(Clone, Copy, Debug)]
pub(super) enum Conclusion {
    /// `set outcome to` an enumeration value, built in place rather than cloned.
    Enum { outcome: u32, id: crate::value::EnumId, member: u32 },
    /// `set outcome to` any other constant: `Index::constants[constant]`.
    One { outcome: u32, constant: u32 },
    /// `add member to outcome`.
    Add { outcome: u32, member: u32 },
    /// `require act` (`required`) or `forbid act`.
    Duty { act: u32, required: bool },
    /// `set outcome.key to` a constant: `Index::constants[constant]`, the key that of
    /// the rule's conclusion at `effect` (borrowed from the program, as the tree walker does).
    Key { outcome: u32, constant: u32, effect: u32 },
}

/// An assertion compiled: its conditions (a run of checks, [`Code::all_hold`]) and its claim.
#[derive(Clone, Copy, Debug)]
pub(super) struct Assertion {
    /// A run of [`Code::all_hold`].
    pub(super) when: (u32, u32),
    pub(super) claim: (u32, u32),
}

/// What the compiled conditions say of a candidate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Test {
    /// Not in force, or a condition does not hold: the rule cannot fire.
    Fails,
    /// In force, and every condition holds.
    Holds,
    /// The conditions the ops cover hold; the tree walker decides the rest.
    Walk,
}

/// Rules filed under the same facts.
#[derive(Clone, Debug)]
struct Group {
    facts: Lookup,
    /// The threshold every rule of the group has, if any.
    bound: Option<Bound>,
    /// Sorted keys, and for each the range of `rules` filed under it (each with its place in the evaluation order, [`placed`]).
    keys: Vec<u64>,
    ranges: Vec<(u32, u32)>,
    rules: Vec<u64>,
    /// With a bound, parallel to `rules`: each rule's limit, sorted within each
    /// key's range from the easiest limit to meet.
    limits: Vec<Limit>,
    /// When every limit is a whole number: parallel to `limits`, the least whole
    /// number that meets each (a lower bound; `> 5` is `>= 6`) or the greatest (an
    /// upper one), so that the rules a whole number meets are a prefix of the
    /// key's range, found by a binary search and copied at once. Only when each
    /// fits in an `i64` (all but limits at its very ends), which halves what a
    /// request reads of them.
    wholes: Option<Vec<i64>>,
    /// With `wholes`, parallel to `rules`: each key's rules in evaluation order
    /// instead of by limit ...
    in_order: Vec<u64>,
    /// ... and, for a key of at most [`RANKED`] rules, the rules the first `i + 1`
    /// limits let through (a prefix, as a whole number meets them) as bits of
    /// their places in `in_order`: one read gives the rules a whole number meets
    /// in evaluation order, with no sort.
    met_by: Vec<u64>,
    /// `ranges` as a table indexed by the key itself, when its values are few
    /// enough (enumeration indices are small): a lookup is one read, not a binary
    /// search and then a read of the range.
    table: Table,
}

/// Keys `(first << 32) | second` laid out densely: `slots[first * stride + second]`
/// is the key's range of `Group::rules`, empty for a key no rule is filed under.
#[derive(Clone, Debug, Default)]
struct Table {
    stride: u64,
    slots: Vec<(u32, u32)>,
}

impl Table {
    /// A table of `ranges` by their `keys` (sorted), unless it would be much
    /// larger than they are.
    fn new(keys: &[u64], ranges: &[(u32, u32)]) -> Table {
        let stride = keys.iter().map(|key| key & 0xFFFF_FFFF).max().map_or(0, |max| max + 1);
        let firsts = keys.iter().map(|key| key >> 32).max().map_or(0, |max| max + 1);
        let size = firsts.saturating_mul(stride);
        if keys.is_empty() || size > 4 * keys.len() as u64 + 1024 {
            return Table::default();
        }
        let mut slots = vec![(0, 0); size as usize];
        for (key, range) in keys.iter().zip(ranges) {
            if let Some(slot) = slots.get_mut(((key >> 32) * stride + (key & 0xFFFF_FFFF)) as usize) {
                *slot = *range;
            }
        }
        Table { stride, slots }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Lookup {
    /// No key: the rules are filed by their threshold alone.
    Any,
    One(FactId),
    Two(FactId, FactId),
    /// A list fact: every element is a key.
    List(FactId),
}

/// A threshold on a number or date fact: the fact must be above (`lower`: `>`,
/// `>=`) or below (`<`, `<=`) a limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Bound {
    fact: FactId,
    lower: bool,
}

/// A rule's threshold: which, and its limit.
type Threshold = (Bound, Limit);

/// A threshold's limit, of the fact's type, and whether the limit itself meets
/// it (`>=`, `<=`). Typed rather than a [`Value`], so that a request walking a
/// bucket's limits reads less memory and compares without dispatching on two
/// values' kinds; a whole number is kept as one, compared as an integer with a
/// request's whole number (the usual amount) rather than as decimals.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Limit {
    Integer(i64, bool),
    Number(Decimal, bool),
    Date(jiff::civil::Date, bool),
}

impl Limit {
    fn new(value: &Value, inclusive: bool) -> Option<Limit> {
        match value {
            Value::Number(number) => {
                let whole = number.normalize();
                let integer = (whole.scale() == 0).then(|| i64::try_from(whole.mantissa()).ok()).flatten();
                Some(integer.map_or(Limit::Number(*number, inclusive), |integer| Limit::Integer(integer, inclusive)))
            }
            Value::Date(date) => Some(Limit::Date(*date, inclusive)),
            _ => None,
        }
    }

    /// How the request's value (its [`Probe`]) stands to the limit; `None` when
    /// they cannot be compared.
    fn against(&self, probe: &Probe) -> Option<std::cmp::Ordering> {
        match (probe, self) {
            (Probe::Number { whole: Some(whole), .. }, Limit::Integer(limit, _)) => {
                Some(whole.cmp(&i128::from(*limit)))
            }
            (Probe::Number { decimal, .. }, _) => Some(decimal.cmp(&self.number()?)),
            (Probe::Date(value), Limit::Date(limit, _)) => Some(value.cmp(limit)),
            _ => None,
        }
    }

    /// The limit as a decimal, if it is a number.
    fn number(&self) -> Option<Decimal> {
        match self {
            Limit::Integer(integer, _) => Some(Decimal::from(*integer)),
            Limit::Number(number, _) => Some(*number),
            Limit::Date(..) => None,
        }
    }

    /// How this limit stands to another of the same type.
    fn compare(&self, other: &Limit) -> Option<std::cmp::Ordering> {
        match (self, other) {
            (Limit::Date(a, _), Limit::Date(b, _)) => Some(a.cmp(b)),
            _ => Some(self.number()?.cmp(&other.number()?)),
        }
    }

    /// For a whole-number limit, the least whole number that meets it (a `lower`
    /// bound) or the greatest (an upper one); `None` when that is past `i64`
    /// (`> i64::MAX`, `< i64::MIN`).
    fn whole(&self, lower: bool) -> Option<i64> {
        let Limit::Integer(limit, inclusive) = *self else { return None };
        match (lower, inclusive) {
            (_, true) => Some(limit),
            (true, false) => limit.checked_add(1),
            (false, false) => limit.checked_sub(1),
        }
    }

    fn inclusive(&self) -> bool {
        match self {
            Limit::Integer(_, inclusive) | Limit::Number(_, inclusive) | Limit::Date(_, inclusive) => *inclusive,
        }
    }
}

/// A request's value as a bucket's limits compare with it, prepared once for
/// the bucket rather than once per limit: a decimal of scale 0 is its mantissa,
/// so that two whole numbers compare as integers.
enum Probe {
    Number { whole: Option<i128>, decimal: Decimal },
    Date(jiff::civil::Date),
    Other,
}

impl Probe {
    fn new(value: &Value) -> Probe {
        match value {
            Value::Number(decimal) => {
                Probe::Number { whole: (decimal.scale() == 0).then(|| decimal.mantissa()), decimal: *decimal }
            }
            Value::Date(date) => Probe::Date(*date),
            _ => Probe::Other,
        }
    }
}

/// A key condition: the fact it tests and the values that can make it hold.
#[derive(Clone, Debug)]
struct Key {
    fact: FactId,
    list: bool,
    values: Vec<u32>,
    /// The share of the fact's values that pass: smaller discriminates better.
    share: f64,
}

impl Index {
    /// The facts some rule's or block's condition reads (through terms too), in order.
    pub fn read_facts(&self) -> &[FactId] {
        &self.read
    }

    pub fn new(program: &Program) -> Index {
        let mut position = vec![0u32; program.rules.len()];
        for (at, rule) in program.order.iter().enumerate() {
            if let Some(slot) = position.get_mut(*rule) {
                *slot = at as u32;
            }
        }
        let at = |rule: usize| placed(position.get(rule).copied().unwrap_or(0), rule);
        let mut errs = Fallible::new(program);
        type Entry = (u64, u64, Option<Limit>);
        let mut filed: std::collections::BTreeMap<(Lookup, Option<Bound>), Vec<Entry>> =
            std::collections::BTreeMap::new();
        let mut always = Vec::new();
        let (mut heads, mut filters, mut code) = (Vec::new(), Vec::new(), Code::default());
        let mut literals = Literals::new(program);
        let (mut conclusions, mut constants) = (Vec::new(), Vec::new());
        for (index, rule) in program.rules.iter().enumerate() {
            let mut keys: Vec<Key> = Vec::new();
            let mut thresholds: Vec<Threshold> = Vec::new();
            let start = code.run_len();
            let mut compiled = 0;
            let mut leading = Vec::new();
            // Terms already looked into for this rule: a term used twice (or a DAG of terms
            // using each other twice) is looked into once, not exponentially often.
            let mut seen = std::collections::HashSet::new();
            // Each term's clauses, found once for the rule's conditions and its needs.
            let mut covered = super::literals::Memo::new();
            // The clauses of the conditions the literals decide: tested for the rule
            // whatever else its needs find, since those conditions get no code.
            let mut exact = Vec::new();
            for condition in &rule.when {
                // A key must not sit behind (or beside) a condition that can go out of
                // range: the tree walker would report that error before the key stops it.
                // The same holds for the conditions tested before the tree walker runs.
                if errs.expr(&condition.expr) {
                    break;
                }
                leading.push(&condition.expr);
                let first_threshold = thresholds.is_empty();
                collect_keys(program, &condition.expr, (&mut keys, &mut thresholds), &mut seen, 0);
                // A condition of literals only is true when its literals hold (tested first):
                // it needs no code. Nor does the rule's threshold (the first found) when it
                // is the whole condition: the rule is a candidate only when the request's
                // value meets it ([`Group::push`]).
                let threshold_only = first_threshold && threshold(program, program.resolved(&condition.expr)).is_some();
                let decided =
                    if threshold_only { None } else { literals.cover(program, &condition.expr, &mut covered) };
                let literal_only = decided.is_some();
                exact.extend(decided.into_iter().flatten());
                if threshold_only || literal_only || code.push_condition(program, &condition.expr) {
                    compiled += 1;
                }
            }
            let complete = compiled == rule.when.len();
            let chosen = choose(&keys);
            // Reaching the rule through its key proves the key's conditions: their
            // literals need no test.
            let implied: Vec<Vec<u32>> = chosen
                .iter()
                .flat_map(|(_, _, keys)| keys)
                .filter_map(|key| literals.bits_of(key.fact, &key.values))
                .collect();
            let needs = literals.needs(program, leading.into_iter(), exact, &implied, &mut covered);
            let (rest, kept) = (conclusions.len(), constants.len());
            let drawn = constant_conclusions(rule, &mut conclusions, &mut constants);
            let constant = drawn.is_some_and(|count| count <= MAX_REST + 1);
            let overridden = !rule.overridden_by.is_empty();
            if !constant {
                conclusions.truncate(rest);
                constants.truncate(kept);
            }
            // The first conclusion sits in the filter, the others after it in `conclusions`.
            let first = (conclusions.len() > rest).then(|| conclusions.remove(rest));
            let filter = Filter {
                code: (start, code.run_len()),
                needs,
                constant,
                overridden,
                first,
                rest: rest as u32,
                more: (conclusions.len() - rest) as u8,
                complete,
            };
            let plain =
                filter.code.0 == filter.code.1 && Literals::none(needs) && complete && filter.more == 0 && !overridden;
            heads.push(Head {
                from: Day::of(rule.from.unwrap_or(jiff::civil::Date::MIN)),
                until: Day::of(rule.until.unwrap_or(jiff::civil::Date::MAX)),
                block: rule.block.map_or(NO_BLOCK, |block| block as u32),
                plain: if plain && constant { first } else { None },
                strength: rule.strength,
                confidence: rule.confidence,
                reads: !rule.reads.is_empty() || !rule.reads_acts.is_empty(),
            });
            filters.push(filter);
            let threshold = thresholds.into_iter().next();
            let (lookup, entries) = match (chosen, &threshold) {
                (Some((lookup, entries, _)), _) => (lookup, entries),
                (None, Some(_)) => (Lookup::Any, vec![0]),
                (None, None) => {
                    always.push(at(index));
                    continue;
                }
            };
            let (bound, limit) = match threshold {
                Some((bound, limit)) => (Some(bound), Some(limit)),
                None => (None, None),
            };
            let entries = entries.into_iter().map(|key| (key, at(index), limit));
            filed.entry((lookup, bound)).or_default().extend(entries);
        }
        always.sort_unstable();
        let groups = filed.into_iter().map(|((facts, bound), entries)| Group::new(facts, bound, entries)).collect();
        let eager_blocks = program
            .blocks
            .iter()
            .enumerate()
            .filter(|(_, block)| block.applies.as_ref().is_some_and(|applies| errs.expr(&applies.expr)))
            .map(|(index, _)| index)
            .collect();
        let blocks = program
            .blocks
            .iter()
            .map(|block| block.applies.as_ref().and_then(|applies| code.condition(program, &applies.expr)))
            .collect();
        let assertions =
            program.assertions.iter().map(|assertion| compile_assertion(program, assertion, &mut code)).collect();
        let conditions = program.rules.iter().flat_map(|rule| &rule.when);
        let applies = program.blocks.iter().filter_map(|block| block.applies.as_ref());
        let mut read: Vec<FactId> =
            conditions.chain(applies).flat_map(|condition| condition.facts.iter().copied()).collect();
        read.sort_unstable();
        read.dedup();
        Index {
            groups,
            always,
            heads,
            filters,
            code,
            blocks,
            eager_blocks,
            read,
            assertions,
            literals,
            conclusions,
            constants,
            order: program.order.iter().map(|rule| *rule as u32).collect(),
        }
    }

    /// What every candidate needs of a rule, by rule index.
    pub(super) fn head(&self, rule: usize) -> Option<&Head> {
        self.heads.get(rule)
    }

    /// What a candidate that is not plain needs of a rule besides, by rule index.
    pub(super) fn rule(&self, rule: usize) -> Option<&Filter> {
        self.filters.get(rule)
    }

    /// A rule's conclusions, if they are all constants and no rule overrides it:
    /// the first (kept in the filter, if it has one) and the rest.
    pub(super) fn conclusions<'i>(&'i self, filter: &'i Filter) -> Option<(Option<&'i Conclusion>, &'i [Conclusion])> {
        if !filter.constant {
            return None;
        }
        let (start, count) = (filter.rest as usize, usize::from(filter.more));
        Some((filter.first.as_ref(), self.conclusions.get(start..start + count).unwrap_or_default()))
    }

    /// The constant a [`Conclusion::One`] concludes.
    pub(super) fn constant(&self, constant: u32) -> Option<&Value> {
        self.constants.get(constant as usize)
    }

    /// Whether a candidate in force can still fire, by its filter: the conditions
    /// tested here hold (its literals against the request's `bits` first, then its
    /// compiled code). [`Test::Fails`] only when the tree walker would find the same.
    pub(super) fn test(&self, filter: &Filter, state: &super::State<'_>, bits: &[u64]) -> Test {
        if !self.literals.hold(filter.needs, bits) {
            return Test::Fails;
        }
        // Most rules reached through their key and threshold have no condition left to run.
        let (start, end) = filter.code;
        if start < end && !self.code.all_hold(filter.code, state) {
            Test::Fails
        } else if filter.complete {
            Test::Holds
        } else {
            Test::Walk
        }
    }

    /// The rules the request can fire, in evaluation order, into `out` (rule indices).
    pub fn candidates(&self, facts: &Facts, out: &mut Vec<u64>) {
        out.clear();
        out.extend_from_slice(&self.always);
        // A rule is filed in one group, once under each key: only a list's several
        // values can name it twice.
        let mut twice = false;
        for group in &self.groups {
            match group.facts {
                Lookup::Any => group.push(0, facts, out),
                Lookup::One(fact) => {
                    if let Some(key) = facts.get(fact).and_then(scalar_key) {
                        group.push(u64::from(key), facts, out);
                    }
                }
                Lookup::Two(first, second) => {
                    let first = facts.get(first).and_then(scalar_key);
                    let second = facts.get(second).and_then(scalar_key);
                    if let (Some(first), Some(second)) = (first, second) {
                        group.push(pair(first, second), facts, out);
                    }
                }
                Lookup::List(fact) => {
                    if let Some(Value::List(items)) = facts.get(fact) {
                        twice |= items.len() > 1;
                        for key in items.iter().filter_map(scalar_key) {
                            group.push(u64::from(key), facts, out);
                        }
                    }
                }
            }
        }
        // Already in order, and no rule twice: the common case among many rules,
        // whose candidates come from one key (its rules in evaluation order, see
        // [`Group::met_by`]). Otherwise the check stops at the first rule out of order.
        if out.is_sorted_by(|before, after| before < after) {
            for slot in out.iter_mut() {
                *slot &= u64::from(u32::MAX);
            }
            return;
        }
        // Into evaluation order: for a small rule set by the bits of the positions
        // (which also drops a rule named twice), else by sorting the few candidates.
        let words = self.order.len().div_ceil(64);
        if words <= DENSE_WORDS && out.len() > DENSE_FROM && self.order.len() == self.filters.len() {
            let mut seen = [0u64; DENSE_WORDS];
            for placed in out.iter() {
                let position = (placed >> 32) as usize;
                if let Some(word) = seen.get_mut(position / 64) {
                    *word |= 1 << (position % 64);
                }
            }
            out.clear();
            for (at, word) in seen.iter().take(words).enumerate() {
                let mut bits = *word;
                while bits != 0 {
                    let position = at * 64 + bits.trailing_zeros() as usize;
                    out.extend(self.order.get(position).map(|rule| u64::from(*rule)));
                    bits &= bits - 1;
                }
            }
            return;
        }
        out.sort_unstable();
        if twice {
            out.dedup();
        }
        for slot in out.iter_mut() {
            *slot &= u64::from(u32::MAX);
        }
    }

    /// Of the candidates in `rules` (from [`Index::candidates`]), how many the
    /// request's literals leave standing: the ones the compiled code then runs for.
    pub fn after_literals(&self, facts: &Facts, rules: &[u64]) -> usize {
        let mut bits = Vec::new();
        self.literals.bits(facts, &mut bits);
        let needs = |rule: &&u64| {
            self.filters.get(**rule as usize).is_none_or(|filter| self.literals.hold(filter.needs, &bits))
        };
        rules.iter().filter(needs).count()
    }

    /// How many rules have no key and are tried on every request.
    pub fn unindexed(&self) -> usize {
        self.always.len()
    }

    /// How many rules have a condition the compiled code does not cover: the
    /// tree walker tests those rules (after the conditions that are compiled).
    pub fn walked(&self) -> usize {
        self.filters.iter().filter(|filter| !filter.complete).count()
    }

    /// How many rules are plain: fired from their [`Head`] alone once the index
    /// has found them.
    pub fn plain(&self) -> usize {
        self.heads.iter().filter(|head| head.plain.is_some()).count()
    }

    /// How many rules the tree walker fires when their conditions hold, since a
    /// conclusion of theirs is not a constant (a value read or computed).
    pub fn concluded_by_walker(&self) -> usize {
        self.filters.iter().filter(|filter| !filter.constant).count()
    }
}

/// Appends a rule's conclusions to `out` (their values to `constants`) and says
/// how many, if all of them are constants (what a constant concludes cannot be
/// unknown or out of range); `None`, with some perhaps appended, if one is not.
fn constant_conclusions(
    rule: &crate::check::RuleDef,
    out: &mut Vec<Conclusion>,
    constants: &mut Vec<Value>,
) -> Option<usize> {
    use crate::check::EffectKind;
    let start = out.len();
    for (position, effect) in rule.then.iter().enumerate() {
        match &effect.kind {
            EffectKind::SetOne { outcome, value: Expr::Const(Value::Enum(id, member)) } => {
                out.push(Conclusion::Enum { outcome: outcome.0, id: *id, member: *member });
            }
            EffectKind::SetOne { outcome, value: Expr::Const(value) } => {
                out.push(Conclusion::One { outcome: outcome.0, constant: constants.len() as u32 });
                constants.push(value.clone());
            }
            EffectKind::Add { outcome, values } => {
                for value in values {
                    let Expr::Const(Value::Enum(_, member)) = value else { return None };
                    out.push(Conclusion::Add { outcome: outcome.0, member: *member });
                }
            }
            EffectKind::SetKey { outcome, value: Expr::Const(value), .. } => {
                out.push(Conclusion::Key {
                    outcome: outcome.0,
                    constant: constants.len() as u32,
                    effect: position as u32,
                });
                constants.push(value.clone());
            }
            EffectKind::Require(act) => out.push(Conclusion::Duty { act: *act, required: true }),
            EffectKind::Forbid(act) => out.push(Conclusion::Duty { act: *act, required: false }),
            EffectKind::SetOne { .. } | EffectKind::SetKey { .. } => return None,
        }
    }
    Some(out.len() - start)
}

/// An assertion's conditions as a run of checks and its claim, if all of them compile
/// (what compiles cannot go out of range: its truth is all there is to it).
fn compile_assertion(program: &Program, assertion: &crate::check::AssertionDef, code: &mut Code) -> Option<Assertion> {
    let start = code.run_len();
    for when in &assertion.when {
        if !code.push_condition(program, &when.expr) {
            return None;
        }
    }
    let when = (start, code.run_len());
    let claim = code.condition(program, &assertion.claim.expr)?;
    Some(Assertion { when, claim })
}

impl Group {
    /// The group of rules filed under `facts` with threshold `bound`: `entries`
    /// are (key, rule [`placed`], limit).
    fn new(facts: Lookup, bound: Option<Bound>, mut entries: Vec<(u64, u64, Option<Limit>)>) -> Group {
        let lower = bound.is_some_and(|bound| bound.lower);
        // By key, then from the easiest limit to meet (the smallest for a lower
        // bound, the largest for an upper one; of two equal limits, the inclusive
        // one), then by position: a whole number's limits then come in the order
        // of [`Group::wholes`] too.
        entries.sort_by(|(key, rule, limit), (other_key, other_rule, other_limit)| {
            let by_limit = match (limit, other_limit) {
                (Some(a), Some(b)) => {
                    let ordering = a.compare(b).unwrap_or(std::cmp::Ordering::Equal);
                    let ordering = if lower { ordering } else { ordering.reverse() };
                    ordering.then(b.inclusive().cmp(&a.inclusive()))
                }
                _ => std::cmp::Ordering::Equal,
            };
            key.cmp(other_key).then(by_limit).then(rule.cmp(other_rule))
        });
        entries.dedup_by(|(key, rule, _), (other_key, other_rule, _)| key == other_key && rule == other_rule);
        let mut group = Group {
            facts,
            bound,
            keys: Vec::new(),
            ranges: Vec::new(),
            rules: Vec::new(),
            limits: Vec::new(),
            wholes: None,
            in_order: Vec::new(),
            met_by: Vec::new(),
            table: Table::default(),
        };
        for (key, rule, limit) in entries {
            if group.keys.last() != Some(&key) {
                group.keys.push(key);
                let start = group.rules.len() as u32;
                group.ranges.push((start, start));
            }
            group.rules.push(rule);
            group.limits.extend(limit);
            if let Some(range) = group.ranges.last_mut() {
                range.1 = group.rules.len() as u32;
            }
        }
        if bound.is_some() && group.limits.len() == group.rules.len() {
            group.wholes = group.limits.iter().map(|limit| limit.whole(lower)).collect();
        }
        if group.wholes.is_some() {
            for &(start, end) in &group.ranges {
                let rules = group.rules.get(start as usize..end as usize).unwrap_or_default();
                let mut in_order = rules.to_vec();
                in_order.sort_unstable();
                let mut met = 0u64;
                for rule in rules {
                    let place = in_order.binary_search(rule).unwrap_or(0);
                    met |= 1u64.checked_shl(place as u32).unwrap_or(0);
                    group.met_by.push(met);
                }
                group.in_order.extend(in_order);
            }
        }
        group.table = Table::new(&group.keys, &group.ranges);
        group
    }

    /// The range of `rules` filed under `key`, if any is.
    fn find(&self, key: u64) -> Option<(u32, u32)> {
        if self.table.slots.is_empty() {
            return self.ranges.get(self.keys.binary_search(&key).ok()?).copied();
        }
        let (first, second) = (key >> 32, key & 0xFFFF_FFFF);
        if second >= self.table.stride {
            return None;
        }
        let slot = first.checked_mul(self.table.stride)?.checked_add(second)?;
        self.table.slots.get(usize::try_from(slot).ok()?).copied().filter(|(start, end)| start < end)
    }

    /// The rules filed under `key` whose threshold the request's value can meet.
    /// Inlined into [`Index::candidates`]: a call per group and key was 1.4–1.8 %
    /// of a shipped decision.
    #[inline(always)]
    fn push(&self, key: u64, facts: &Facts, out: &mut Vec<u64>) {
        let Some((start, end)) = self.find(key) else { return };
        let Some(rules) = self.rules.get(start as usize..end as usize) else { return };
        let Some(bound) = self.bound else {
            out.extend_from_slice(rules);
            return;
        };
        // An absent value meets no threshold: the condition is unknown.
        let Some(value) = facts.get(bound.fact) else { return };
        self.met((start as usize, end as usize), bound, &Probe::new(value), out);
    }

    /// The rules of `range` whose limits `probe` meets: in evaluation order when
    /// a whole number meets them under a key of at most [`RANKED`] rules.
    fn met(&self, (start, end): (usize, usize), bound: Bound, probe: &Probe, out: &mut Vec<u64>) {
        let rules = self.rules.get(start..end).unwrap_or_default();
        // A whole number outside `i64` is compared limit by limit.
        if let (Some(wholes), Probe::Number { whole: Some(whole), .. }) = (&self.wholes, probe)
            && let Ok(whole) = i64::try_from(*whole)
        {
            let wholes = wholes.get(start..end).unwrap_or_default();
            let met = if bound.lower {
                wholes.partition_point(|least| *least <= whole)
            } else {
                wholes.partition_point(|most| *most >= whole)
            };
            if end - start <= RANKED
                && let Some(last) = met.checked_sub(1)
            {
                let mut places = self.met_by.get(start + last).copied().unwrap_or(0);
                let in_order = self.in_order.get(start..end).unwrap_or_default();
                out.reserve(in_order.len());
                while places != 0 {
                    if let Some(rule) = in_order.get(places.trailing_zeros() as usize) {
                        out.push(*rule);
                    }
                    places &= places - 1;
                }
                return;
            }
            out.extend_from_slice(rules.get(..met).unwrap_or_default());
            return;
        }
        self.met_by_limits(rules, self.limits.get(start..end).unwrap_or_default(), bound, probe, out);
    }

    /// The rules whose limits `probe` meets, limit by limit.
    fn met_by_limits(&self, rules: &[u64], limits: &[Limit], bound: Bound, probe: &Probe, out: &mut Vec<u64>) {
        for (rule, limit) in rules.iter().zip(limits) {
            let ordering = match limit.against(probe) {
                // Not comparable (the checker's types rule it out): the condition is
                // unknown, as the tree walker finds it, so the rule cannot fire.
                None => continue,
                Some(ordering) if bound.lower => ordering,
                Some(ordering) => ordering.reverse(),
            };
            match ordering {
                std::cmp::Ordering::Greater => out.push(*rule),
                std::cmp::Ordering::Equal if limit.inclusive() => out.push(*rule),
                std::cmp::Ordering::Equal => {}
                // This limit and every later one are out of reach.
                std::cmp::Ordering::Less => break,
            }
        }
    }
}

/// The most rules under one key whose limits [`Group::met_by`] ranks: a word's bits.
const RANKED: usize = 64;

/// A rule with its position in the evaluation order above it: sorting such
/// numbers sorts the rules into that order, and the low half is the rule, so that
/// no table has to be looked up (a cache miss among many rules) to turn one into the other.
fn placed(position: u32, rule: usize) -> u64 {
    (u64::from(position) << 32) | (rule as u64 & u64::from(u32::MAX))
}

fn pair(first: u32, second: u32) -> u64 {
    (u64::from(first) << 32) | u64::from(second)
}

/// An enumeration value's index, or a yes/no as 0/1.
fn scalar_key(value: &Value) -> Option<u32> {
    match value {
        Value::Enum(_, index) => Some(*index),
        Value::Bool(b) => Some(u32::from(*b)),
        _ => None,
    }
}

/// The lookup for a rule's keys and the keys it is filed under: the two most
/// selective keys on distinct scalar facts, or else the most selective list key.
/// The keys a rule is filed under: how they are looked up, the key values, and
/// the key conditions they come from.
fn choose(keys: &[Key]) -> Option<(Lookup, Vec<u64>, Vec<&Key>)> {
    let mut scalars: Vec<&Key> = keys.iter().filter(|key| !key.list).collect();
    scalars.sort_by(|a, b| a.share.total_cmp(&b.share));
    let mut chosen: Vec<&Key> = Vec::new();
    for key in scalars {
        if chosen.iter().all(|other| other.fact != key.fact) && chosen.len() < 2 {
            chosen.push(key);
        }
    }
    chosen.sort_by_key(|key| key.fact);
    match chosen.as_slice() {
        [one] => Some((Lookup::One(one.fact), one.values.iter().map(|value| u64::from(*value)).collect(), vec![one])),
        [first, second] => {
            let keys = first.values.iter().flat_map(|a| second.values.iter().map(move |b| pair(*a, *b))).collect();
            Some((Lookup::Two(first.fact, second.fact), keys, vec![first, second]))
        }
        _ => {
            let list = keys.iter().filter(|key| key.list).min_by(|a, b| a.share.total_cmp(&b.share))?;
            Some((Lookup::List(list.fact), list.values.iter().map(|value| u64::from(*value)).collect(), vec![list]))
        }
    }
}

/// The key conditions in a condition that must hold for it to hold: the
/// condition itself, the conjuncts of an `and`, a term's body.
/// The thresholds too.
fn collect_keys(
    program: &Program,
    expr: &Expr,
    out: (&mut Vec<Key>, &mut Vec<Threshold>),
    seen: &mut std::collections::HashSet<usize>,
    depth: usize,
) {
    // Terms nest at most as deep as the checker allowed; this bounds a malformed program.
    if depth > 64 {
        return;
    }
    let (keys, thresholds) = out;
    match expr {
        Expr::And(parts) => {
            for part in parts {
                collect_keys(program, part, (&mut *keys, &mut *thresholds), seen, depth + 1);
            }
        }
        Expr::Term(index) => {
            if seen.insert(*index)
                && let Some(body) = program.terms.get(*index)
            {
                collect_keys(program, body, (keys, thresholds), seen, depth + 1);
            }
        }
        _ => {
            keys.extend(key(program, expr));
            thresholds.extend(threshold(program, expr));
        }
    }
}

/// `expr` as a threshold on a number or date fact, if it is one.
fn threshold(program: &Program, expr: &Expr) -> Option<Threshold> {
    let Expr::Compare { left, op, right } = expr else { return None };
    let (fact, limit, fact_on_left) = match (unalias(program, left), unalias(program, right)) {
        (Expr::Fact(fact), Expr::Const(limit)) => (*fact, limit, true),
        (Expr::Const(limit), Expr::Fact(fact)) => (*fact, limit, false),
        _ => return None,
    };
    let ty = &program.fact(fact)?.ty;
    let typed = matches!((ty, limit), (Type::Number, Value::Number(_)) | (Type::Date, Value::Date(_)));
    if !typed {
        return None;
    }
    use crate::ast::CompareOp::{Ge, Gt, Le};
    // `500 < amount` is `amount > 500`.
    let above = matches!(op, Gt | Ge) == fact_on_left;
    let inclusive = matches!(op, Ge | Le);
    Some((Bound { fact, lower: above }, Limit::new(limit, inclusive)?))
}

/// `expr` as a key condition, if it is one.
fn key(program: &Program, expr: &Expr) -> Option<Key> {
    let scalar = |fact: &FactId, values: Vec<u32>| {
        let size = match program.fact(*fact)?.ty {
            Type::Bool => 2,
            Type::Enum(id) => program.enum_values(id).len(),
            _ => return None,
        };
        let share = values.len() as f64 / size.max(1) as f64;
        Some(Key { fact: *fact, list: false, values, share })
    };
    let listed = |fact: &FactId, values: Vec<u32>| {
        let Type::List(crate::value::Scalar::Enum(id)) = program.fact(*fact)?.ty else { return None };
        let share = values.len() as f64 / program.enum_values(id).len().max(1) as f64;
        Some(Key { fact: *fact, list: true, values, share })
    };
    match expr {
        Expr::Fact(fact) => scalar(fact, vec![1]).filter(|_| is_bool(program, *fact)),
        Expr::Not(inner) => match inner.as_ref() {
            Expr::Fact(fact) if is_bool(program, *fact) => scalar(fact, vec![0]),
            _ => None,
        },
        Expr::Is { left, right, negated: false } => match (unalias(program, left), unalias(program, right)) {
            (Expr::Fact(fact), Expr::Const(value)) | (Expr::Const(value), Expr::Fact(fact)) => {
                scalar(fact, vec![scalar_key(value)?])
            }
            _ => None,
        },
        Expr::InEnums { left, members, negated: false } => match unalias(program, left) {
            Expr::Fact(fact) => {
                let values = members.iter().enumerate().filter(|(_, on)| **on).map(|(at, _)| at as u32).collect();
                scalar(fact, values)
            }
            _ => None,
        },
        Expr::In { left, right, negated: false } => match (unalias(program, left), unalias(program, right)) {
            (Expr::Const(value), Expr::Fact(fact)) => listed(fact, vec![scalar_key(value)?]),
            (Expr::Fact(fact), Expr::Const(Value::List(items))) => {
                scalar(fact, items.iter().map(scalar_key).collect::<Option<Vec<u32>>>()?)
            }
            _ => None,
        },
        // `any c in list satisfies c in [..]` / `c is X`: some element must be one of them.
        Expr::Quantified { all: false, list, body } => {
            let Expr::Fact(fact) = unalias(program, list) else { return None };
            match body.as_ref() {
                Expr::InEnums { left, members, negated: false } if matches!(left.as_ref(), Expr::Var(0)) => {
                    let values = members.iter().enumerate().filter(|(_, on)| **on).map(|(at, _)| at as u32).collect();
                    listed(fact, values)
                }
                Expr::Is { left, right, negated: false } => match (unalias(program, left), unalias(program, right)) {
                    (Expr::Var(0), Expr::Const(value)) | (Expr::Const(value), Expr::Var(0)) => {
                        listed(fact, vec![scalar_key(value)?])
                    }
                    _ => None,
                },
                _ => None,
            }
        }
        _ => None,
    }
}

fn is_bool(program: &Program, fact: FactId) -> bool {
    program.fact(fact).is_some_and(|def| def.ty == Type::Bool)
}

/// Which expressions can go out of range (contain date or number arithmetic,
/// directly or through terms), with each term's answer kept.
struct Fallible<'p> {
    program: &'p Program,
    terms: Vec<Option<bool>>,
}

impl<'p> Fallible<'p> {
    fn new(program: &'p Program) -> Fallible<'p> {
        Fallible { program, terms: vec![None; program.terms.len()] }
    }

    fn expr(&mut self, expr: &Expr) -> bool {
        match expr {
            Expr::Arith { .. } => true,
            Expr::Term(index) => {
                if let Some(Some(known)) = self.terms.get(*index) {
                    return *known;
                }
                // A term being computed is taken as fallible: the checker refuses cycles,
                // so this only guards a malformed program.
                if let Some(slot) = self.terms.get_mut(*index) {
                    *slot = Some(true);
                }
                let program = self.program;
                let answer = program.terms.get(*index).is_none_or(|body| self.expr(body));
                if let Some(slot) = self.terms.get_mut(*index) {
                    *slot = Some(answer);
                }
                answer
            }
            _ => expr.children().any(|child| self.expr(child)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Bound, Group, Limit, Lookup, Probe, Table, pair};
    use crate::value::Value;

    /// A limit stands to a value as the value compares with the limit's value:
    /// whole numbers as integers, other numbers (and those past `i64`) as decimals.
    #[test]
    fn limits_compare_as_values_do() {
        let number = |text: &str| Value::Number(text.parse().unwrap_or_default());
        let date = |text: &str| Value::Date(text.parse().unwrap_or_default());
        let numbers = ["0", "-0", "500", "500.0", "500.00", "499.99", "500.01", "-3", "-2.5", "0.001", "1e3"];
        let wide =
            ["9223372036854775807", "9223372036854775808", "-9223372036854775809", "79228162514264337593543950335"];
        let mut values: Vec<Value> = numbers.iter().chain(&wide).map(|text| number(text)).collect();
        values.extend(["2025-01-01", "2024-12-31"].map(date));
        values.push(Value::Bool(true));
        for limit_value in &values {
            for inclusive in [false, true] {
                let Some(limit) = Limit::new(limit_value, inclusive) else {
                    assert!(matches!(limit_value, Value::Bool(_)), "{limit_value:?} is a limit");
                    continue;
                };
                assert_eq!(limit.inclusive(), inclusive);
                for value in &values {
                    let against = limit.against(&Probe::new(value));
                    assert_eq!(against, value.compare(limit_value), "{value:?} against {limit_value:?}");
                    if let Some(other) = Limit::new(value, false) {
                        assert_eq!(limit.compare(&other), limit_value.compare(value), "{limit_value:?} to {value:?}");
                    }
                }
            }
        }
        assert!(matches!(Limit::new(&number("500.00"), false), Some(Limit::Integer(500, false))));
        assert!(matches!(Limit::new(&number("9223372036854775808"), false), Some(Limit::Number(..))));
    }

    /// Days order as their dates do, across months, years, year 0 and the ends
    /// of the calendar.
    #[test]
    fn days_order_as_dates_do() {
        let mut dates = vec![jiff::civil::Date::MIN, jiff::civil::Date::MAX];
        for year in [-9999, -1, 0, 1, 1999, 2024, 2025, 9999] {
            for (month, day) in [(1, 1), (1, 31), (2, 1), (2, 28), (12, 31)] {
                dates.extend(jiff::civil::Date::new(year, month, day).ok());
            }
        }
        for date in &dates {
            for other in &dates {
                assert_eq!(super::Day::of(*date).cmp(&super::Day::of(*other)), date.cmp(other), "{date} to {other}");
            }
        }
    }

    /// A whole number's rules found by a binary search over `wholes` are the ones
    /// the limits say it meets, in evaluation order under a key of at most
    /// [`super::RANKED`] rules and otherwise in the same order as the walk over the
    /// limits, for lower and upper bounds, inclusive and exclusive limits, ties
    /// between them, limits at the ends of `i64`, probes between the limits and
    /// beyond `i64`; and with limits whose whole numbers do not fit in one (no `wholes`).
    #[test]
    fn the_wholes_meet_what_the_limits_meet() {
        // Whether a probe is a whole number in `i64`, which the wholes are searched for.
        let probe_fits = |probe: &Value| match probe {
            Value::Number(number) => number.scale() == 0 && i64::try_from(number.mantissa()).is_ok(),
            _ => false,
        };
        let fact = crate::check::FactId(0);
        let mut inner: Vec<(i64, bool)> =
            [-3, 0, 0, 1, 5, 5, 5, 6, 9, 9, 40].iter().map(|limit| (*limit, false)).collect();
        inner.extend([(0, true), (5, true), (6, true), (9, true), (i64::MAX, true), (i64::MIN, true)]);
        // `> i64::MAX` needs `i64::MAX + 1`, and `< i64::MIN` needs `i64::MIN - 1`.
        let mut all = inner.clone();
        all.extend([(i64::MAX, false), (i64::MIN, false)]);
        let mut probes: Vec<Value> = (-5..=45).map(|whole| Value::Number(whole.into())).collect();
        probes.extend(["4.5", "5.5", "-3.01", "0.001"].map(|text| Value::Number(text.parse().unwrap_or_default())));
        probes.extend(
            [i128::from(i64::MAX), i128::from(i64::MIN), i128::from(i64::MAX) + 1, i128::from(i64::MIN) - 1]
                .map(|whole| Value::Number(rust_decimal::Decimal::from_i128_with_scale(whole, 0))),
        );
        for (limits, lower) in [(&inner, true), (&inner, false), (&all, true), (&all, false)] {
            let bound = Bound { fact, lower };
            // Two keys, each with every limit, filed in an order the group sorts, and
            // a third with each limit four times: more rules than a word ranks.
            let entries: Vec<(u64, u64, Option<Limit>)> = (0..3u64)
                .flat_map(|key| {
                    let copies = if key == 2 { 4 } else { 1 };
                    let each = limits.iter().enumerate().rev().cycle().take(limits.len() * copies);
                    each.enumerate().map(move |(at, (rule, (limit, inclusive)))| {
                        let rule = rule + limits.len() * (at / limits.len());
                        // Places in the evaluation order unlike the limits' order.
                        let position = (rule as u32 * 7919) % 1000;
                        (key, super::placed(position, rule), Some(Limit::Integer(*limit, *inclusive)))
                    })
                })
                .collect();
            let group = Group::new(Lookup::Any, Some(bound), entries);
            assert_eq!(group.wholes.is_some(), limits.len() == inner.len(), "wholes when they fit in i64");
            for probe in &probes {
                for (start, end) in group.ranges.clone() {
                    let range = (start as usize, end as usize);
                    let (mut fast, mut walked) = (Vec::new(), Vec::new());
                    group.met(range, bound, &Probe::new(probe), &mut fast);
                    let rules = &group.rules[range.0..range.1];
                    group.met_by_limits(rules, &group.limits[range.0..range.1], bound, &Probe::new(probe), &mut walked);
                    // A key of a word's rules or fewer gives them in evaluation order,
                    // a longer one (or a probe the wholes are not searched for) in the
                    // order of the limits, as the walk does.
                    let ranked = group.wholes.is_some() && rules.len() <= super::RANKED && probe_fits(probe);
                    if ranked {
                        assert!(fast.is_sorted(), "{probe:?}, lower: {lower}: {fast:?}");
                    } else {
                        assert_eq!(fast, walked, "{probe:?}, lower: {lower}");
                    }
                    let meets = |rule: &u64| {
                        let (limit, inclusive) = limits[(*rule & u64::from(u32::MAX)) as usize % limits.len()];
                        let ordering = probe.compare(&Value::Number(limit.into()));
                        let ordering = if lower { ordering } else { ordering.map(std::cmp::Ordering::reverse) };
                        ordering == Some(std::cmp::Ordering::Greater)
                            || (inclusive && ordering == Some(std::cmp::Ordering::Equal))
                    };
                    let mut expected: Vec<u64> = rules.iter().copied().filter(meets).collect();
                    let mut found = fast.clone();
                    expected.sort_unstable();
                    found.sort_unstable();
                    assert_eq!(found, expected, "{probe:?}, lower: {lower}");
                }
            }
        }
    }

    /// The table finds exactly what a binary search over the keys finds, for keys
    /// inside and outside its bounds, and a sparse key set falls back to the search.
    #[test]
    fn the_table_finds_what_the_search_finds() {
        let key_sets: [Vec<u64>; 4] = [
            vec![0, 3, 7],
            vec![pair(0, 1), pair(0, 4), pair(2, 0), pair(5, 3)],
            vec![pair(1, 2), pair(70_000, 9)],
            vec![],
        ];
        for keys in key_sets {
            // Each key's range distinct and not empty, as every key has a rule.
            let ranges: Vec<(u32, u32)> = (0..keys.len() as u32).map(|at| (at, at + 1)).collect();
            let table = Table::new(&keys, &ranges);
            let group = Group {
                facts: Lookup::Any,
                bound: None,
                keys: keys.clone(),
                ranges: ranges.clone(),
                rules: Vec::new(),
                limits: Vec::new(),
                wholes: None,
                in_order: Vec::new(),
                met_by: Vec::new(),
                table,
            };
            let probes = (0..8).flat_map(|first| (0..12).map(move |second| pair(first, second)));
            for key in probes.chain(keys.iter().copied()).chain([pair(70_000, 9), pair(70_000, 10), u64::MAX]) {
                let found = keys.binary_search(&key).ok().map(|at| ranges[at]);
                assert_eq!(group.find(key), found, "key {key:#x} in {keys:?}");
            }
        }
        let two = [(0, 1), (1, 2)];
        assert!(Table::new(&[pair(1, 2), pair(70_000, 9)], &two).slots.is_empty(), "sparse keys are searched");
        assert!(!Table::new(&[pair(0, 1), pair(2, 0)], &two).slots.is_empty(), "dense keys get a table");
    }
}
