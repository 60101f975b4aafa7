//! Structure-aware: a generated, valid rule set and requests. The rule set
//! must check without errors, and its decisions must not change when it is
//! formatted, split into two files, or read with its files in the other order.
#![no_main]

use std::fmt::Write as _;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use tenet::facts::{self, Schema};
use tenet::load::load_texts;
use tenet::render::Report;

const VOCABULARY: &str = "\
enum Color {
  red \"Red\",
  green \"Green\",
  blue \"Blue\",
}
enum Act { a0, a1, a2 }
enum Tag { t0, t1, t2 }
fact as_of : date
fact f0 : bool optional
fact f1 : bool optional
fact f2 : bool default false
fact c0 : Color optional
fact c1 : Color default red
fact n0 : number optional
fact n1 : number default 0
fact tags : list of Tag default []
fact start : date optional
outcome decision : one of Color
outcome tagged : set of Tag
outcome obligations : duties of Act
outcome deadlines : map of date
outcome confidence : confidence
";

const BLOCKS: [&str; 3] = ["jurisdiction L \"Law\"", "contract C \"Contract\"", "principles P \"Policy\""];
const COLORS: [&str; 3] = ["red", "green", "blue"];
const TAGS: [&str; 4] = ["t0", "t1", "t2", "t3"];

#[derive(Arbitrary, Debug)]
enum Cond {
    Flag(u8),
    Not(Box<Cond>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    ColorIs(u8, u8),
    /// `n0 > 1.25` and the like: the fact from the byte's lowest bit, the comparison
    /// (`>`, `>=`, `<`, `<=`) from the next two, and from the next whether the limit
    /// is the whole number of hundredths or the whole part alone (a whole number).
    Greater(u8, i16),
    Tagged(u8),
    AnyTag(u8),
    Present(u8),
    Decided(u8),
    Before(u16),
    Within(u8),
    /// Two facts compared: `c0 is c1`, `n0 > n1` and the like.
    Same(u8),
    Above(u8),
    /// A value read as the first known of two facts and a constant.
    FirstOf(u8, i16),
}

#[derive(Arbitrary, Debug)]
enum Then {
    Decide(u8),
    Tag(u8),
    Require(u8),
    Forbid(u8),
    Deadline(u8, i16),
    Months(u8, i8),
}

#[derive(Arbitrary, Debug)]
struct GenRule {
    block: u8,
    when: Vec<Cond>,
    then: Vec<Then>,
    overrides: Option<u8>,
    effective: Option<u16>,
    confidence: u8,
}

#[derive(Arbitrary, Debug)]
struct Request {
    flags: [Option<bool>; 3],
    colors: [Option<u8>; 2],
    numbers: [Option<i16>; 2],
    tags: Vec<u8>,
    start: Option<u16>,
    as_of: u16,
}

#[derive(Arbitrary, Debug)]
struct Input {
    applies: [Option<Cond>; 3],
    rules: Vec<GenRule>,
    requests: Vec<Request>,
    split: u8,
}

fn date(offset: u16) -> String {
    let day = jiff::civil::date(2010, 1, 1) + jiff::Span::new().days(i64::from(offset % 7000));
    day.to_string()
}

fn cond(out: &mut String, node: &Cond, depth: usize, in_rule: bool) {
    if depth > 4 {
        out.push_str("f2");
        return;
    }
    match node {
        Cond::Flag(n) => {
            let _ = write!(out, "f{}", n % 3);
        }
        Cond::Not(inner) => {
            out.push_str("not (");
            cond(out, inner, depth + 1, in_rule);
            out.push(')');
        }
        Cond::And(a, b) | Cond::Or(a, b) => {
            out.push('(');
            cond(out, a, depth + 1, in_rule);
            out.push_str(if matches!(node, Cond::And(..)) { " and " } else { " or " });
            cond(out, b, depth + 1, in_rule);
            out.push(')');
        }
        Cond::ColorIs(fact, color) => {
            let _ = write!(out, "c{} is {}", fact % 2, COLORS[usize::from(*color) % 3]);
        }
        Cond::Greater(fact, value) => {
            let op = [">", ">=", "<", "<="][usize::from(fact / 2) % 4];
            if fact & 8 == 0 {
                let _ = write!(out, "n{} {op} {}.{:02}", fact % 2, value / 100, (value % 100).unsigned_abs());
            } else {
                let _ = write!(out, "n{} {op} {}", fact % 2, value / 100);
            }
        }
        Cond::Tagged(tag) => {
            let _ = write!(out, "{} in tags", TAGS[usize::from(*tag) % 4]);
        }
        Cond::AnyTag(tag) => {
            let _ = write!(out, "any t in tags satisfies t is not {}", TAGS[usize::from(*tag) % 4]);
        }
        Cond::Present(fact) => {
            let _ = write!(out, "{} is present", ["f0", "f1", "c0", "n0", "start"][usize::from(*fact) % 5]);
        }
        // Rules may not read outcomes in `applies when`, and reading them from
        // rules could make cycles: only facts here.
        Cond::Decided(color) if !in_rule => {
            let _ = write!(out, "c1 is {}", COLORS[usize::from(*color) % 3]);
        }
        Cond::Decided(color) => {
            let _ = write!(out, "c1 is not {}", COLORS[usize::from(*color) % 3]);
        }
        Cond::Before(offset) => {
            let _ = write!(out, "as_of < {}", date(*offset));
        }
        Cond::Within(months) => {
            let _ = write!(out, "start + {} months >= as_of", months % 24);
        }
        Cond::Same(negated) => {
            out.push_str(if negated % 2 == 0 { "c0 is c1" } else { "c0 is not c1" });
        }
        Cond::Above(op) => {
            let _ = write!(out, "n0 {} n1", ["<", "<=", ">", ">="][usize::from(*op) % 4]);
        }
        Cond::FirstOf(order, value) => {
            let (a, b) = if order % 2 == 0 { (0, 1) } else { (1, 0) };
            let _ =
                write!(out, "n{a} otherwise n{b} otherwise 0 > {}.{:02}", value / 100, (value % 100).unsigned_abs());
        }
    }
}

/// The rule set as items: the vocabulary, an extension of one of its
/// enumerations (which splitting and reversing may put before it), then one item per block.
fn rule_set(input: &Input) -> Vec<String> {
    let mut items = vec![VOCABULARY.to_string(), String::from("extend enum Tag { t3 \"the fourth tag\" }\n")];
    for (index, header) in BLOCKS.iter().enumerate() {
        let mut block = format!("{header} {{\n");
        if let Some(applies) = &input.applies[index] {
            block.push_str("  applies when ");
            cond(&mut block, applies, 0, false);
            block.push('\n');
        }
        let members: Vec<(usize, &GenRule)> =
            input.rules.iter().enumerate().take(24).filter(|(_, rule)| usize::from(rule.block) % 3 == index).collect();
        for (position, (number, rule)) in members.iter().enumerate() {
            let _ = writeln!(block, "  rule R-{number} \"Rule {number}\" {{");
            let _ = writeln!(block, "    cite \"Code § {number}\"");
            if let Some(offset) = rule.effective {
                let _ = writeln!(block, "    effective {}", date(offset));
            }
            let _ = writeln!(block, "    confidence {}", ["high", "medium", "low"][usize::from(rule.confidence) % 3]);
            // Overrides point at an earlier rule of the same block: no cycle, same strength.
            if let Some(target) = rule.overrides.map(usize::from).filter(|_| position > 0) {
                let (other, _) = members[target % position];
                let _ = writeln!(block, "    overrides R-{other}");
            }
            for (index, when) in rule.when.iter().take(3).enumerate() {
                block.push_str(if index == 0 { "    when " } else { "      and " });
                cond(&mut block, when, 0, true);
                block.push('\n');
            }
            if !rule.then.is_empty() {
                block.push_str("    then");
                for then in rule.then.iter().take(3) {
                    let _ = match then {
                        Then::Decide(color) => write!(block, " set decision to {}", COLORS[usize::from(*color) % 3]),
                        Then::Tag(tag) => write!(block, " add {} to tagged", TAGS[usize::from(*tag) % 4]),
                        Then::Require(act) => write!(block, " require a{}", act % 3),
                        Then::Forbid(act) => write!(block, " forbid a{}", act % 3),
                        Then::Deadline(key, days) => {
                            write!(block, " set deadlines.d{} to start + {} days", key % 2, days % 1000)
                        }
                        Then::Months(key, months) => {
                            write!(block, " set deadlines.m{} to start - {} months", key % 2, months)
                        }
                    };
                    block.push('\n');
                }
            }
            block.push_str("  }\n");
        }
        block.push_str("}\n");
        items.push(block);
    }
    items
}

fn request(request: &Request) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    map.insert("as_of".into(), date(request.as_of).into());
    for (index, flag) in request.flags.iter().enumerate() {
        if let Some(flag) = flag {
            map.insert(format!("f{index}"), (*flag).into());
        }
    }
    for (index, color) in request.colors.iter().enumerate() {
        if let Some(color) = color {
            map.insert(format!("c{index}"), COLORS[usize::from(*color) % 3].into());
        }
    }
    for (index, number) in request.numbers.iter().enumerate() {
        if let Some(number) = number {
            map.insert(format!("n{index}"), (*number).into());
        }
    }
    let tags: Vec<&str> = request.tags.iter().take(6).map(|tag| TAGS[usize::from(*tag) % 4]).collect();
    map.insert("tags".into(), tags.into());
    if let Some(start) = request.start {
        map.insert("start".into(), date(start).into());
    }
    serde_json::Value::Object(map)
}

/// What a request gives under a set of files, in a form that does not depend
/// on the order rules were declared in.
fn decisions(files: &[(String, String)], requests: &[serde_json::Value]) -> Vec<String> {
    let loaded = load_texts(files);
    let errors: Vec<&str> = loaded.diagnostics.iter().filter(|d| d.is_error()).map(|d| d.message.as_str()).collect();
    assert!(errors.is_empty(), "a generated rule set has errors: {errors:?}\n{files:#?}");
    let schema = Schema::new(&loaded.program);
    let index = tenet::eval::Index::new(&loaded.program);
    requests
        .iter()
        .map(|request| {
            let facts = facts::from_value(&loaded.program, &schema, request, None)
                .unwrap_or_else(|problems| panic!("a generated request is refused: {problems:?}\n{request}"));
            // The one-pass reader reads the same facts from the text.
            let text = request.to_string();
            let direct = facts::from_text(&loaded.program, &schema, text.as_bytes(), false, None);
            assert_eq!(direct.as_ref().ok(), Some(&facts), "the one-pass reader differs on {text}");
            let outcome = tenet::eval::evaluate(&loaded.program, &facts);
            // The rule index and compiled conditions decide exactly as the tree walker.
            let decided = tenet::eval::decide(&loaded.program, &index, &facts);
            let report = Report::new(&loaded.program, &facts, &outcome);
            assert_eq!(
                Report::new(&loaded.program, &facts, &decided).json(false),
                report.json(false),
                "decide differs from evaluate on {text}\n{files:#?}"
            );
            assert_eq!(report.json_line(true), report.json(true).to_string(), "json_line differs");
            let mut json = report.json(false);
            for key in ["rules", "conflicts"] {
                if let Some(serde_json::Value::Array(items)) = json.get_mut(key) {
                    items.sort_by_key(ToString::to_string);
                }
            }
            json.to_string()
        })
        .collect()
}

fuzz_target!(|input: Input| {
    let items = rule_set(&input);
    let requests: Vec<serde_json::Value> = input.requests.iter().take(8).map(request).collect();
    let whole = items.concat();
    let one = [(String::from("all.tenet"), whole.clone())];
    let expected = decisions(&one, &requests);

    let formatted = tenet::format::format(tenet::source::FileId(0), &whole)
        .unwrap_or_else(|problems| panic!("a generated rule set does not format: {problems:?}\n{whole}"));
    assert_eq!(decisions(&[(String::from("all.tenet"), formatted)], &requests), expected, "fmt changed a decision");

    let cut = usize::from(input.split) % items.len();
    let (first, second) = (items[..cut].concat(), items[cut..].concat());
    let split = [(String::from("a.tenet"), first), (String::from("b.tenet"), second)];
    assert_eq!(decisions(&split, &requests), expected, "splitting the file changed a decision");
    let reversed = [split[1].clone(), split[0].clone()];
    assert_eq!(decisions(&reversed, &requests), expected, "the order of files changed a decision");
});
