//! Decides one request many times over, for counting what a decision costs
//! with a profiler that counts instructions (`docs/performance.md`, "Why the
//! shipped decision stays above 1 µs"):
//!
//! From the project root:
//!
//! ```sh
//! cargo build --release --example decide_loop
//! valgrind --tool=callgrind --toggle-collect='tenet::eval::decide' \
//!     target/release/examples/decide_loop uk-production-order 200
//! callgrind_annotate --inclusive=yes callgrind.out.<pid>
//! ```
//!
//! The request is `examples/<name>.json`, or a path to a JSON file; the rules
//! are `rules/` (or a third argument). Instructions ÷ the count is one
//! decision; a profiler that toggles on `tenet::eval::decide` sees nothing
//! else, so loading the rules and reading the request are left out.

use std::path::PathBuf;
use std::process::ExitCode;

use tenet::facts::{self, Schema};
use tenet::load::load;

const USAGE: &str = "usage: decide_loop <example name or request.json> [count, default 200] [rules, default rules/]";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("decide_loop: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Vec<String>) -> Result<(), String> {
    let [request, rest @ ..] = args.as_slice() else { return Err(USAGE.to_string()) };
    let count = match rest.first() {
        Some(count) => {
            count.parse::<u32>().map_err(|_| format!("the count `{count}` is not a whole number\n{USAGE}"))?
        }
        None => 200,
    };
    let rules = PathBuf::from(rest.get(1).map_or("rules", String::as_str));
    if rest.len() > 2 {
        return Err(USAGE.to_string());
    }
    let path = if request.ends_with(".json") {
        PathBuf::from(request)
    } else {
        PathBuf::from(format!("examples/{request}.json"))
    };
    let loaded = load(std::slice::from_ref(&rules));
    if loaded.has_errors() {
        let errors: Vec<_> = loaded.diagnostics.iter().filter(|diagnostic| diagnostic.is_error()).collect();
        return Err(format!(
            "the rules in `{}` do not check ({}, the first: {}): run `tenet check {}`",
            rules.display(),
            problems(errors.len()),
            errors.first().map_or("", |diagnostic| diagnostic.message.as_str()),
            rules.display()
        ));
    }
    let schema = Schema::new(&loaded.program);
    let json = std::fs::read(&path).map_err(|error| format!("cannot read `{}`: {error}", path.display()))?;
    let facts = facts::from_json(&loaded.program, &schema, &json, None).map_err(|diagnostics| {
        let first = diagnostics.first().map_or(String::new(), |diagnostic| diagnostic.message.clone());
        format!(
            "`{}` is not a valid request ({}, the first: {first}): run `tenet eval {} --facts {}`",
            path.display(),
            problems(diagnostics.len()),
            rules.display(),
            path.display()
        )
    })?;
    let index = tenet::eval::Index::new(&loaded.program);
    let mut decided = None;
    for _ in 0..count {
        decided = Some(tenet::eval::decide(&loaded.program, &index, std::hint::black_box(&facts)));
    }
    let fired = decided.map_or(0, |outcome| outcome.fired.len());
    println!("{count} decisions of `{}`, {fired} rules fired in each", path.display());
    Ok(())
}

/// "1 problem", "3 problems".
fn problems(count: usize) -> String {
    format!("{count} problem{}", if count == 1 { "" } else { "s" })
}
