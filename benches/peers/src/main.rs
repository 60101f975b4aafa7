//! tenet against Cedar (cedar-policy) and Rego (regorus: its interpreter and
//! its bytecode VM, RVM) on equivalent generated rule sets.
//!
//! Rule *i*: `kind is K and region in {3 of 20} and amount > T`, a forbid or a
//! permit (one in four forbids). The decision: deny if a forbid matches, else
//! allow if a permit matches, else deny (Cedar's own semantics; in tenet the
//! forbids are hard law, which prevails over the permits, policy; in Rego a
//! default and two exclusive rules). Each engine gets the request already in
//! its own form; every engine must give the same decision on every request,
//! or the harness stops. Each engine decides every request twice: times are
//! medians over chunks of requests, of the second pass (warm) and of the first.
//!
//! `cargo run --release -- [--rules 100,1000,10000] [--requests 1000]`
//! from `benches/peers/`.

use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Requests per timing chunk: a chunk's time over its size is one sample.
const CHUNK: usize = 50;

#[derive(Clone, Copy)]
struct Rule {
    forbid: bool,
    kind: usize,
    regions: [usize; 3],
    threshold: usize,
}

#[derive(Clone, Copy)]
struct Request {
    kind: usize,
    region: usize,
    amount: usize,
}

const KINDS: usize = 100;
const REGIONS: usize = 20;

/// A well-mixed number (splitmix64): kinds, regions and thresholds independent.
fn mix(index: usize, salt: u64) -> usize {
    let mut z = (index as u64).wrapping_add(salt.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) as usize
}

fn rules(count: usize) -> Vec<Rule> {
    (0..count)
        .map(|index| {
            let region = mix(index, 2);
            Rule {
                forbid: index % 4 == 0,
                kind: mix(index, 1) % KINDS,
                regions: [region % REGIONS, (region + 7) % REGIONS, (region + 13) % REGIONS],
                threshold: mix(index, 3) % 1000,
            }
        })
        .collect()
}

fn requests(count: usize) -> Vec<Request> {
    (0..count)
        .map(|seed| Request {
            kind: mix(seed, 11) % KINDS,
            region: mix(seed, 12) % REGIONS,
            amount: mix(seed, 13) % 1000,
        })
        .collect()
}

/// The decision the rules give, computed directly: the oracle all engines must match.
fn oracle(rules: &[Rule], request: &Request) -> bool {
    let matches = |rule: &&Rule| {
        rule.kind == request.kind && rule.regions.contains(&request.region) && request.amount > rule.threshold
    };
    let matching: Vec<&Rule> = rules.iter().filter(matches).collect();
    !matching.iter().any(|rule| rule.forbid) && !matching.is_empty()
}

fn tenet_text(rules: &[Rule]) -> String {
    let kinds: Vec<String> = (0..KINDS).map(|kind| format!("k{kind}")).collect();
    let regions: Vec<String> = (0..REGIONS).map(|region| format!("r{region}")).collect();
    let mut text = format!(
        "enum Kind {{ {} }}\nenum Region {{ {} }}\nenum Decision {{ allow, deny }}\n\
         fact as_of : date\nfact kind : Kind\nfact region : Region\nfact amount : number\n\
         outcome decision : one of Decision\n",
        kinds.join(", "),
        regions.join(", ")
    );
    for (opening, forbid) in [("jurisdiction F \"Forbids\" {", true), ("principles P \"Permits\" {", false)] {
        text.push_str(opening);
        text.push('\n');
        for (index, rule) in rules.iter().enumerate().filter(|(_, rule)| rule.forbid == forbid) {
            let [a, b, c] = rule.regions;
            let _ = writeln!(
                text,
                "  rule R-{index} \"Rule {index}\" {{\n    cite \"Code § {index}\"\n    when kind is k{} and region in [r{a}, r{b}, r{c}] and amount > {}\n    then set decision to {}\n  }}",
                rule.kind,
                rule.threshold,
                if forbid { "deny" } else { "allow" }
            );
        }
        text.push_str("}\n");
    }
    text
}

fn cedar_text(rules: &[Rule]) -> String {
    let mut text = String::new();
    for rule in rules {
        let [a, b, c] = rule.regions;
        let _ = writeln!(
            text,
            "{}(principal, action, resource) when {{ context.kind == \"k{}\" && [\"r{a}\", \"r{b}\", \"r{c}\"].contains(context.region) && context.amount > {} }};",
            if rule.forbid { "forbid" } else { "permit" },
            rule.kind,
            rule.threshold
        );
    }
    text
}

/// One line per rule: regorus refuses a policy file of more than 20,000 lines.
fn rego_text(rules: &[Rule]) -> String {
    let mut text = String::from(
        "package bench\n\ndefault decision := \"deny\"\n\ndecision := \"allow\" if {\n  not forbid\n  permit\n}\n\n",
    );
    for rule in rules {
        let [a, b, c] = rule.regions;
        let _ = writeln!(
            text,
            "{} if {{ input.kind == \"k{}\"; input.region in {{\"r{a}\", \"r{b}\", \"r{c}\"}}; input.amount > {} }}",
            if rule.forbid { "forbid" } else { "permit" },
            rule.kind,
            rule.threshold
        );
    }
    text
}

fn request_json(request: &Request) -> String {
    format!(
        r#"{{"as_of": "2025-01-01", "kind": "k{}", "region": "r{}", "amount": {}}}"#,
        request.kind, request.region, request.amount
    )
}

/// An engine ready to decide, with every request already in its form.
trait Engine {
    fn name(&self) -> &'static str;
    /// Whether request `index` is allowed.
    fn decide(&mut self, index: usize) -> Result<bool, String>;
}

struct Tenet {
    program: tenet::check::Program,
    index: tenet::eval::Index,
    facts: Vec<tenet::facts::Facts>,
    allow: u32,
    decision: usize,
}

impl Tenet {
    fn new(rules: &[Rule], requests: &[Request]) -> Result<Tenet, String> {
        let loaded = tenet::load::load_texts(&[(String::from("peers.tenet"), tenet_text(rules))]);
        if loaded.has_errors() {
            return Err(format!("{:?}", loaded.diagnostics.first()));
        }
        let program = loaded.program;
        let schema = tenet::facts::Schema::new(&program);
        let facts = requests
            .iter()
            .map(|request| tenet::facts::from_json(&program, &schema, request_json(request).as_bytes(), None))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|errors| format!("{errors:?}"))?;
        let decision = program.outcomes.iter().position(|def| def.name == "decision").ok_or("no decision")?;
        let allow = program.enums.iter().find(|def| def.name == "Decision").ok_or("no Decision")?;
        let allow = allow.values.iter().position(|value| value == "allow").ok_or("no allow")? as u32;
        let index = tenet::eval::Index::new(&program);
        Ok(Tenet { program, index, facts, allow, decision })
    }
}

impl Engine for Tenet {
    fn name(&self) -> &'static str {
        "tenet"
    }

    fn decide(&mut self, index: usize) -> Result<bool, String> {
        let facts = self.facts.get(index).ok_or("no such request")?;
        let outcome = tenet::eval::decide(&self.program, &self.index, facts);
        Ok(matches!(
            outcome.values.get(self.decision),
            Some(tenet::eval::OutcomeValue::One(Some(tenet::value::Value::Enum(_, value)))) if *value == self.allow
        ))
    }
}

struct Cedar {
    policies: cedar_policy::PolicySet,
    authorizer: cedar_policy::Authorizer,
    entities: cedar_policy::Entities,
    requests: Vec<cedar_policy::Request>,
}

impl Cedar {
    fn new(rules: &[Rule], requests: &[Request]) -> Result<Cedar, String> {
        let policies: cedar_policy::PolicySet = cedar_text(rules).parse().map_err(|error| format!("{error}"))?;
        let uid = |text: &str| text.parse::<cedar_policy::EntityUid>().map_err(|error| format!("{error}"));
        let (principal, action, resource) = (uid("User::\"u\"")?, uid("Action::\"decide\"")?, uid("Doc::\"d\"")?);
        let requests = requests
            .iter()
            .map(|request| {
                let context = cedar_policy::Context::from_pairs([
                    (
                        String::from("kind"),
                        cedar_policy::RestrictedExpression::new_string(format!("k{}", request.kind)),
                    ),
                    (
                        String::from("region"),
                        cedar_policy::RestrictedExpression::new_string(format!("r{}", request.region)),
                    ),
                    (String::from("amount"), cedar_policy::RestrictedExpression::new_long(request.amount as i64)),
                ])
                .map_err(|error| format!("{error}"))?;
                cedar_policy::Request::new(principal.clone(), action.clone(), resource.clone(), context, None)
                    .map_err(|error| format!("{error}"))
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Cedar {
            policies,
            authorizer: cedar_policy::Authorizer::new(),
            entities: cedar_policy::Entities::empty(),
            requests,
        })
    }
}

impl Engine for Cedar {
    fn name(&self) -> &'static str {
        "Cedar (cedar-policy 4)"
    }

    fn decide(&mut self, index: usize) -> Result<bool, String> {
        let request = self.requests.get(index).ok_or("no such request")?;
        let response = self.authorizer.is_authorized(request, &self.policies, &self.entities);
        if let Some(error) = response.diagnostics().errors().next() {
            return Err(format!("{error}"));
        }
        Ok(response.decision() == cedar_policy::Decision::Allow)
    }
}

struct RegoInterpreter {
    engine: regorus::Engine,
    inputs: Vec<regorus::Value>,
}

fn rego_inputs(requests: &[Request]) -> Result<Vec<regorus::Value>, String> {
    requests
        .iter()
        .map(|request| regorus::Value::from_json_str(&request_json(request)).map_err(|error| format!("{error}")))
        .collect()
}

fn rego_engine(rules: &[Rule]) -> Result<regorus::Engine, String> {
    let mut engine = regorus::Engine::new();
    engine.add_policy(String::from("bench.rego"), rego_text(rules)).map_err(|error| format!("{error}"))?;
    Ok(engine)
}

fn allowed(value: &regorus::Value) -> Result<bool, String> {
    match value.as_string() {
        Ok(text) if text.as_ref() == "allow" => Ok(true),
        Ok(text) if text.as_ref() == "deny" => Ok(false),
        _ => Err(format!("unexpected decision {value}")),
    }
}

impl Engine for RegoInterpreter {
    fn name(&self) -> &'static str {
        "regorus 0.14 interpreter"
    }

    fn decide(&mut self, index: usize) -> Result<bool, String> {
        let input = self.inputs.get(index).ok_or("no such request")?;
        self.engine.set_input(input.clone());
        allowed(&self.engine.eval_rule(String::from("data.bench.decision")).map_err(|error| format!("{error}"))?)
    }
}

struct RegoVm {
    vm: regorus::rvm::RegoVM,
    inputs: Vec<regorus::Value>,
}

impl RegoVm {
    fn new(rules: &[Rule], requests: &[Request]) -> Result<RegoVm, String> {
        let mut engine = rego_engine(rules)?;
        let entry: regorus::Rc<str> = "data.bench.decision".into();
        let policy = engine.compile_with_entrypoint(&entry).map_err(|error| format!("{error}"))?;
        let program =
            regorus::languages::rego::compiler::Compiler::compile_from_policy(&policy, &["data.bench.decision"])
                .map_err(|error| format!("{error}"))?;
        let mut vm = regorus::rvm::RegoVM::new();
        vm.load_program(program);
        Ok(RegoVm { vm, inputs: rego_inputs(requests)? })
    }
}

impl Engine for RegoVm {
    fn name(&self) -> &'static str {
        "regorus 0.14 RVM (bytecode)"
    }

    fn decide(&mut self, index: usize) -> Result<bool, String> {
        let input = self.inputs.get(index).ok_or("no such request")?;
        self.vm.set_input(input.clone());
        allowed(&self.vm.execute().map_err(|error| format!("{error}"))?)
    }
}

/// An engine built for one rule set, or why it could not be.
type Ready = Result<Box<dyn Engine>, String>;

/// Runs every request through the engine twice, checking each decision against
/// the oracle; returns the median time per request over chunks of each pass:
/// the first, right after all engines were built (the caches hold what was
/// built last, and the engines measured before), and the second, warm, as a
/// process deciding request after request on the same rules runs.
fn measure(engine: &mut dyn Engine, expected: &[bool]) -> Result<[Duration; 2], String> {
    Ok([pass(engine, expected)?, pass(engine, expected)?])
}

/// One pass over the requests: the median time per request over chunks.
fn pass(engine: &mut dyn Engine, expected: &[bool]) -> Result<Duration, String> {
    let mut samples = Vec::new();
    for (chunk, wanted) in expected.chunks(CHUNK).enumerate() {
        let start = Instant::now();
        let mut got = Vec::with_capacity(wanted.len());
        for offset in 0..wanted.len() {
            got.push(engine.decide(chunk * CHUNK + offset)?);
        }
        samples.push(start.elapsed() / wanted.len() as u32);
        if let Some(offset) = got.iter().zip(wanted).position(|(got, wanted)| got != wanted) {
            return Err(format!(
                "{} decided request {} differently from the oracle",
                engine.name(),
                chunk * CHUNK + offset
            ));
        }
    }
    samples.sort();
    samples.get(samples.len() / 2).copied().ok_or_else(|| String::from("no requests"))
}

fn shown(duration: Duration) -> String {
    let micros = duration.as_secs_f64() * 1e6;
    if micros < 10.0 { format!("{micros:.2} µs") } else { format!("{micros:.0} µs") }
}

fn main() -> ExitCode {
    let mut counts = vec![100, 1_000, 10_000];
    let mut request_count = 1_000;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--rules", Some(list)) => {
                counts = list.split(',').filter_map(|count| count.trim().parse().ok()).collect();
            }
            ("--requests", Some(count)) => request_count = count.parse().unwrap_or(0),
            _ => {
                eprintln!("usage: tenet-peers [--rules 100,1000,10000] [--requests 1000]");
                return ExitCode::from(2);
            }
        }
    }
    if counts.is_empty() || request_count == 0 {
        eprintln!("tenet-peers: --rules takes counts such as 100,1000 and --requests a count above 0");
        return ExitCode::from(2);
    }
    let requests = requests(request_count);
    // Per engine, its cells in the warm pass and in the first.
    let mut table: Vec<(String, [Vec<String>; 2])> = Vec::new();
    let mut failed = false;
    for (column, count) in counts.iter().enumerate() {
        let rules = rules(*count);
        let expected: Vec<bool> = requests.iter().map(|request| oracle(&rules, request)).collect();
        let allowed = expected.iter().filter(|allowed| **allowed).count();
        eprintln!("{count} rules: {allowed} of {} requests allowed", requests.len());
        let engines: Vec<(&str, Ready)> = vec![
            ("tenet", Tenet::new(&rules, &requests).map(|engine| Box::new(engine) as Box<dyn Engine>)),
            ("Cedar (cedar-policy 4)", Cedar::new(&rules, &requests).map(|engine| Box::new(engine) as Box<dyn Engine>)),
            (
                "regorus 0.14 interpreter",
                rego_engine(&rules).and_then(|engine| {
                    Ok(Box::new(RegoInterpreter { engine, inputs: rego_inputs(&requests)? }) as Box<dyn Engine>)
                }),
            ),
            (
                "regorus 0.14 RVM (bytecode)",
                RegoVm::new(&rules, &requests).map(|engine| Box::new(engine) as Box<dyn Engine>),
            ),
        ];
        for (row, (name, engine)) in engines.into_iter().enumerate() {
            let cells = match engine.and_then(|mut engine| measure(engine.as_mut(), &expected)) {
                Ok([first, warm]) => [shown(warm), shown(first)],
                Err(error) => {
                    eprintln!("{name} at {count} rules: {error}");
                    if error.contains("differently") {
                        failed = true;
                    }
                    [String::from("cannot run"), String::from("cannot run")]
                }
            };
            if table.len() <= row {
                table.push((name.to_string(), [Vec::new(), Vec::new()]));
            }
            if let Some((_, columns)) = table.get_mut(row) {
                for (cells_of_pass, cell) in columns.iter_mut().zip(cells) {
                    cells_of_pass.resize(column, String::new());
                    cells_of_pass.push(cell);
                }
            }
        }
    }
    let header: Vec<String> = counts.iter().map(|count| format!("{count} rules")).collect();
    let passes = [
        "warm: the second pass over the requests, as a process deciding request after request runs",
        "first pass: right after all engines were built, the caches holding what was built or run last",
    ];
    for (pass, title) in passes.iter().enumerate() {
        println!("{title}\n");
        println!("| engine | {} |", header.join(" | "));
        println!("|---|{}", "---|".repeat(counts.len()));
        for (name, columns) in &table {
            println!("| {name} | {} |", columns.get(pass).map(|cells| cells.join(" | ")).unwrap_or_default());
        }
        println!();
    }
    println!(
        "median per request over chunks of {CHUNK}, request already in each engine's form; {} requests, identical decisions in both passes",
        requests.len()
    );
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
