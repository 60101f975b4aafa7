//! The `tenet` command line: its commands and options (clap), dispatched to `cli/`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use jiff::civil::Date;

mod cli;

/// Many small allocations per request, on several threads (the service, batches).
#[cfg(feature = "serve")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use tenet::diag::{Diagnostic, ErrorFormat, render};
use tenet::source::Sources;

/// tenet: rules for law, applied consistently, explainably and reviewably.
#[derive(Parser)]
#[command(
    name = "tenet",
    version,
    about = "tenet: rules for law, applied consistently, explainably and reviewably",
    after_help = "Exit status: 0 success; 1 the rules, the facts or a case failed; 2 usage error."
)]
struct Cli {
    /// How to print diagnostics: `human` (source snippets), `plain` (sentences), `json` (one object per line)
    #[arg(long, value_enum, global = true, default_value_t = ErrorFormat::Human)]
    error_format: ErrorFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum NewWhat {
    /// A jurisdiction file with a template rule, its case folder and a first case; checked
    /// with the rule set before anything is written.
    Jurisdiction {
        /// The jurisdiction's id: its country code in capitals, e.g. `SG`
        code: String,
        /// Its name, e.g. "Singapore"
        name: String,
        /// The rule directory
        #[arg(long, default_value = "rules")]
        rules: PathBuf,
    },
}

#[derive(Subcommand)]
enum Command {
    /// Parse and check rule files; diagnostics go to stderr.
    ///
    /// Exit status: 0 when there are no errors (warnings allowed), 1 otherwise.
    Check {
        /// Rule files, or directories searched for `*.tenet` files
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Evaluate a request's facts against the rules.
    ///
    /// Exit status: 0 when evaluated (conflicts are part of the result), 1 when the rules or facts have errors.
    Eval {
        /// A rule file, or a directory of `*.tenet` files
        rules: PathBuf,
        /// The request's facts, as JSON (or YAML, for `.yaml` and `.yml` files); `-` reads JSON from standard input (at most 16 MiB)
        #[arg(long, required_unless_present = "batch", conflicts_with = "batch")]
        facts: Option<PathBuf>,
        /// Evaluate many requests: NDJSON (one per line) or a JSON array, from a file or `-` (standard input); writes one JSON outcome per line, in order, using every core
        #[arg(long, value_name = "FILE")]
        batch: Option<PathBuf>,
        /// Evaluate as of this date (YYYY-MM-DD) instead of the facts' `as_of`
        #[arg(long, value_parser = parse_date)]
        as_of: Option<Date>,
        /// Output format
        #[arg(long, value_enum, default_value_t = cli::eval::Format::Text)]
        format: cli::eval::Format,
        /// Explain: conditions with their values, overridden rules, rules that did not apply
        #[arg(long)]
        explain: bool,
        /// Explain one rule only, by id (implies --explain)
        #[arg(long, value_name = "ID")]
        rule: Option<String>,
        /// Explain only the rules that fired (implies --explain)
        #[arg(long)]
        fired: bool,
        /// Name the fewest facts the request leaves out whose answers settle a provisional decision, most decisive first
        #[arg(long, conflicts_with = "batch")]
        ask: bool,
    },
    /// Rewrite rule files in canonical layout; comments are kept word for word.
    ///
    /// Files that do not parse are left untouched and reported.
    /// Exit status: 0 when every file is (or, with --check, already was) canonical, 1 otherwise.
    Fmt {
        /// Only report the files that would change, and fail if any would
        #[arg(long)]
        check: bool,
        /// Rule files, or directories searched for `*.tenet` files
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Compare two versions of a rule set: rules added, removed and changed (by
    /// meaning, not by line), and every case whose outcome changes.
    ///
    /// `tenet diff OLD NEW` compares two rule directories; `tenet diff --git REV [PATH]`
    /// compares PATH (default `rules`) at the git revision REV with the working tree,
    /// using the `git` program. Cases are the `*.json` files found at the same place
    /// under both versions; each runs with the new version's facts against both.
    ///
    /// Exit status: 0 when compared, 1 when the new rules do not check, 2 usage error.
    Diff {
        /// OLD and NEW rule directories; with --git, at most one PATH
        paths: Vec<PathBuf>,
        /// Compare with the rules at this git revision (e.g. `main`, `HEAD~1`)
        #[arg(long, value_name = "REV")]
        git: Option<String>,
        /// Output format: text for a terminal, markdown for a pull-request comment, or json
        #[arg(long, value_enum, default_value_t = cli::diff::DiffFormat::Text)]
        format: cli::diff::DiffFormat,
        /// Also list every class of request (not only the cases) whose outcome changes,
        /// grouped by change, each with a witness request run on both versions
        #[arg(long)]
        exhaustive: bool,
        /// With --exhaustive: compare as of this date (default: today)
        #[arg(long, value_parser = parse_date, requires = "exhaustive")]
        as_of: Option<Date>,
    },
    /// Prove what the rules do for every possible request: gaps, conflicts, dead and
    /// shadowed rules, violated assertions, and (--all-dates) the days decisions change.
    ///
    /// Every fact's values are cut into the classes the rules can tell apart; every
    /// combination is covered (with a BDD), and each finding comes with a witness
    /// request that the evaluator is run on. Reviewed findings listed in
    /// `RULES/analysis-known.json` (or --known FILE) are reported as notes.
    ///
    /// Exit status: 0 when nothing fails; 1 on a gap, an unhandled conflict or a
    /// violated assertion (see --fail-on), on warnings with --deny warnings, or when the rules have errors.
    Analyze {
        /// A rule file, or a directory of `*.tenet` files
        rules: PathBuf,
        /// Analyze as of this date (default: today)
        #[arg(long, value_parser = parse_date, conflicts_with = "all_dates")]
        as_of: Option<Date>,
        /// Analyze every period between the rules' effective and until dates, and report the
        /// request classes whose decisions change on each of those days
        #[arg(long)]
        all_dates: bool,
        /// Output format
        #[arg(long, value_enum, default_value_t = cli::analyze::AnalyzeFormat::Text)]
        format: cli::analyze::AnalyzeFormat,
        /// `--deny warnings`: warnings fail the run too (dead and shadowed rules, reviewed findings no longer found)
        #[arg(long, value_name = "warnings", value_parser = ["warnings"])]
        deny: Option<String>,
        /// Which errors fail the run (default: all three)
        #[arg(long, value_enum, value_delimiter = ',', default_value = "gap,conflict,violation")]
        fail_on: Vec<cli::analyze::FailOn>,
        /// Reviewed findings (JSON); default `analysis-known.json` in RULES if present
        #[arg(long, value_name = "FILE")]
        known: Option<PathBuf>,
        /// Write each finding's witness as a ready case file (expected = what the rules give today) into DIR
        #[arg(long, value_name = "DIR")]
        write_cases: Option<PathBuf>,
    },
    /// Print a completion script for a shell: `tenet completions bash > /etc/bash_completion.d/tenet`.
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `tenet man > tenet.1 && man ./tenet.1`.
    Man,
    /// Print the JSON Schema (2020-12) of a request, from the rules' vocabulary.
    ///
    /// Intake systems validate and autocomplete requests with it before asking for a decision.
    /// Exit status: 0 with the schema on standard output, 1 when the rules have errors.
    Schema {
        /// A rule file, or a directory of `*.tenet` files
        rules: PathBuf,
    },
    /// Scaffold part of a rule set: `tenet new jurisdiction SG "Singapore"`.
    New {
        #[command(subcommand)]
        what: NewWhat,
    },
    /// Run the language server on standard input and output, for editors.
    ///
    /// Diagnostics as you type for the whole rule set a file belongs to, hover, completion,
    /// go to definition, references, rename, outline, formatting and quick fixes.
    #[cfg(feature = "lsp")]
    Lsp,
    /// Serve decisions over HTTP, with receipts, a decision log and hot reload.
    ///
    /// `POST /v1/decide` (facts → outcome with a receipt), `POST /v1/decide/batch` (NDJSON),
    /// `GET /v1/rules`, `POST /v1/reload`, `GET /healthz`, `GET /readyz`, `GET /metrics`.
    ///
    /// The rules are reloaded when their files change (and on SIGHUP or `POST /v1/reload`),
    /// swapped in only if they check clean. SIGTERM or Ctrl-C drains the requests in
    /// flight and closes the decision log. Exit status: 0 after a clean shutdown, 1 when
    /// the rules do not check or the address or the log cannot be opened.
    #[cfg(feature = "serve")]
    Serve {
        /// A rule file, or a directory of `*.tenet` files
        rules: PathBuf,
        /// The address to listen on (port 0: any free port, printed at start)
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// Append one NDJSON line per decision (request, outcome, receipt, time) to FILE
        #[arg(long, value_name = "FILE")]
        decision_log: Option<PathBuf>,
        /// Rotate the decision log when it reaches this size (e.g. 100MiB; 0: never)
        #[arg(long, value_parser = parse_size, default_value = "100MiB")]
        log_max_size: u64,
        /// Rotated decision logs kept (FILE.1 … FILE.N)
        #[arg(long, default_value_t = 10)]
        log_keep: usize,
        /// Sync the decision log to disk before answering (survives a machine crash; slower)
        #[arg(long)]
        log_sync: bool,
        /// The largest body of /v1/decide
        #[arg(long, value_parser = parse_size, default_value = "1MiB")]
        max_body: u64,
        /// The largest body of /v1/decide/batch
        #[arg(long, value_parser = parse_size, default_value = "64MiB")]
        max_batch: u64,
        /// Decisions evaluated at once; more wait (up to --timeout), then get 503
        #[arg(long, default_value_t = 256)]
        max_concurrency: usize,
        /// Open connections at most; more are closed at once
        #[arg(long, default_value_t = 16384)]
        max_connections: usize,
        /// Time to read a request's head or body (408 when the body is slower; an idle
        /// connection is closed after it)
        #[arg(long, value_parser = parse_duration, default_value = "10s")]
        read_timeout: std::time::Duration,
        /// Time to decide a request or a batch (504 beyond)
        #[arg(long, value_parser = parse_duration, default_value = "10s")]
        timeout: std::time::Duration,
        /// Time the requests in flight get to finish at shutdown
        #[arg(long, value_parser = parse_duration, default_value = "30s")]
        drain: std::time::Duration,
        /// Do not watch the rule files; reload only on SIGHUP or POST /v1/reload
        #[arg(long)]
        no_watch: bool,
    },
    /// Replay an archive of requests with one rule set, or with two and report the impact.
    ///
    /// The archive is NDJSON files (requests, or `tenet serve` decision logs) or Parquet files
    /// with a `request` column. With one rule set (`--rules`, default `rules`): how many
    /// requests get each value of each outcome. With two (`--old` and `--new`, or `--git REV`:
    /// the rules at REV against the working tree): how many requests move from each old value
    /// to each new one, per outcome, with example request ids. Runs on Apache DataFusion
    /// (streamed, every core), or on Apache Ballista with `--ballista`; built with the `replay`
    /// feature (`ballista` for Ballista).
    ///
    /// Exit status: 0 when replayed, 1 when the rules do not check or the archive cannot be read, 2 usage error.
    Replay {
        /// NDJSON or Parquet files of requests
        #[arg(required = true)]
        archives: Vec<PathBuf>,
        /// The rule set (with --git: the path compared with itself at REV)
        #[arg(long, default_value = "rules", conflicts_with_all = ["old", "new"])]
        rules: PathBuf,
        /// The rule set before the change
        #[arg(long, requires = "new")]
        old: Option<PathBuf>,
        /// The rule set after the change
        #[arg(long, requires = "old")]
        new: Option<PathBuf>,
        /// Compare the rules at this git revision with the working tree
        #[arg(long, value_name = "REV", conflicts_with_all = ["old", "new"])]
        git: Option<String>,
        /// Evaluate every request as of this date instead of its own `as_of`
        #[arg(long, value_parser = parse_date)]
        as_of: Option<Date>,
        /// Output format: text, markdown (a pull-request comment) or json
        #[arg(long, value_enum, default_value_t = cli::diff::DiffFormat::Text)]
        format: cli::diff::DiffFormat,
        /// Also write every request's outcomes: Parquet for `.parquet`, NDJSON otherwise
        #[arg(long, value_name = "FILE")]
        outcomes: Option<PathBuf>,
        /// Partitions evaluated at once (default: the cores)
        #[arg(long)]
        partitions: Option<usize>,
        /// Run the plan on Apache Ballista: a scheduler and an executor in this process,
        /// over gRPC (Parquet archives; built with the `ballista` feature)
        #[arg(long)]
        ballista: bool,
    },
    /// Run case files against the rules of the nearest rule directory.
    ///
    /// Each `*.json`, `*.yaml` or `*.yml` case under PATH holds `id`, `title`, `facts`, `expected` and `why`.
    /// It runs against the `*.tenet` files of the nearest directory at or above it that
    /// has any. Every field of `expected` is compared: `actions` as a set, `rules` as
    /// rules that must have fired, other outcomes exactly.
    ///
    /// Exit status: 0 when every case passes, 1 otherwise.
    Test {
        /// Case files, or directories searched for `*.json`, `*.yaml` and `*.yml` case files
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Also compare each case's explanation with its snapshot `<case>.explanation.txt`
        #[arg(long)]
        snapshot: bool,
        /// With --snapshot: write the snapshots instead of comparing them
        #[arg(long, requires = "snapshot")]
        update: bool,
        /// After the run, list rules never fired, jurisdictions never applicable and
        /// effective-date boundaries no case exercises
        #[arg(long)]
        coverage: bool,
        /// Run only the cases whose id or path contains this text (ignoring case)
        #[arg(long)]
        filter: Option<String>,
        /// Output format
        #[arg(long, value_enum, default_value_t = cli::test::TestFormat::Text)]
        format: cli::test::TestFormat,
    },
}

fn parse_date(text: &str) -> Result<Date, String> {
    tenet::facts::parse_date(text).ok_or_else(|| format!("`{text}` is not a date; write YYYY-MM-DD, e.g. 2025-02-11"))
}

/// A size in bytes: `1048576`, `512KiB`, `1MiB`, `2GiB` (also `K`, `M`, `G`, `KB`, `MB`, `GB`, all powers of 1024).
#[cfg(feature = "serve")]
fn parse_size(text: &str) -> Result<u64, String> {
    let digits = text.trim().trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = text.trim().get(digits.len()..).unwrap_or_default();
    let scale: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("`{text}` is not a size; write e.g. 1048576, 512KiB, 1MiB or 2GiB")),
    };
    digits
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|number| number.checked_mul(scale))
        .ok_or_else(|| format!("`{text}` is not a size; write e.g. 1048576, 512KiB, 1MiB or 2GiB"))
}

/// A duration: `10s`, `250ms`, `1m 30s` (or ISO 8601, `PT10S`).
#[cfg(feature = "serve")]
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    text.parse::<jiff::SignedDuration>()
        .ok()
        .and_then(|duration| std::time::Duration::try_from(duration).ok())
        .ok_or_else(|| format!("`{text}` is not a duration; write e.g. 10s, 250ms or 1m 30s"))
}

fn main() -> ExitCode {
    // Nothing should panic; if something does, say so plainly, without a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let place =
            info.location().map(|location| format!(" at {}:{}", location.file(), location.line())).unwrap_or_default();
        eprintln!("error: internal error in tenet{place}; please report it with the input that caused it");
    }));
    let cli = Cli::parse();
    // Deeply nested input is bounded by the parser; a large stack is a second line of defence.
    let worker = std::thread::Builder::new().stack_size(256 * 1024 * 1024).spawn(move || run(cli));
    match worker.map(|handle| handle.join()) {
        Ok(Ok(code)) => ExitCode::from(code),
        _ => {
            eprintln!("error: tenet stopped unexpectedly; please report this with the input that caused it");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> u8 {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let report = |diagnostics: &[Diagnostic], sources: &Sources| {
        let text = render(diagnostics, sources, cli.error_format, color);
        // A SARIF log is the command's output, for a code-scanning upload; the rest is for people.
        if cli.error_format == ErrorFormat::Sarif {
            let _ = std::io::stdout().write_all(text.as_bytes());
        } else {
            let _ = std::io::stderr().write_all(text.as_bytes());
        }
    };
    match cli.command {
        Command::Check { paths } => cli::check::run(&paths, cli.error_format == ErrorFormat::Sarif, &report),
        Command::Diff { paths, git, format, exhaustive, as_of } => {
            cli::diff::run(&paths, git, format, exhaustive, as_of, &report)
        }
        Command::Analyze { rules, as_of, all_dates, format, deny, fail_on, known, write_cases } => {
            let options = cli::analyze::Options {
                rules,
                as_of,
                all_dates,
                format,
                deny_warnings: deny.is_some(),
                fail_on,
                known,
                write_cases,
            };
            let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
            let (code, text, loaded, problems) = cli::analyze::run(&options, today);
            report(&loaded.diagnostics, &loaded.sources);
            report(&problems, &Sources::default());
            let _ = std::io::stdout().write_all(text.as_bytes());
            code
        }
        Command::Fmt { check, paths } => {
            let (code, diagnostics, sources) = cli::fmt::run(&paths, check);
            report(&diagnostics, &sources);
            code
        }
        Command::New { what: NewWhat::Jurisdiction { code, name, rules } } => {
            let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
            match cli::new::jurisdiction(&rules, &code, &name, today) {
                cli::new::Made::Files(files) => {
                    for file in &files {
                        println!("created {}", file.display());
                    }
                    println!(
                        "next: write the provision into the rule and its case, then `tenet check {0}` and `tenet test {0}/cases --coverage`",
                        rules.display()
                    );
                    0
                }
                cli::new::Made::Refused(problems, loaded) => {
                    report(&problems, &loaded.sources);
                    1
                }
            }
        }
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "tenet",
                &mut std::io::stdout(),
            );
            0
        }
        Command::Man => {
            let page = clap_mangen::Man::new(<Cli as clap::CommandFactory>::command());
            let mut out = Vec::new();
            if let Err(error) = page.render(&mut out) {
                eprintln!("error: cannot write the manual page: {error}");
                return 1;
            }
            let _ = std::io::stdout().write_all(&out);
            0
        }
        #[cfg(feature = "lsp")]
        Command::Lsp => cli::lsp::run(),
        Command::Schema { rules } => {
            let (code, text, loaded) = cli::schema::run(rules);
            report(&cli::schema::errors(&loaded), &loaded.sources);
            let _ = std::io::stdout().write_all(text.as_bytes());
            code
        }
        #[cfg(feature = "serve")]
        Command::Serve {
            rules,
            addr,
            decision_log,
            log_max_size,
            log_keep,
            log_sync,
            max_body,
            max_batch,
            max_concurrency,
            max_connections,
            read_timeout,
            timeout,
            drain,
            no_watch,
        } => {
            let size = |bytes: u64| usize::try_from(bytes).unwrap_or(usize::MAX);
            cli::serve::run(cli::serve::Options {
                rules,
                addr,
                decision_log,
                log_max_bytes: log_max_size,
                log_keep,
                log_sync,
                limits: cli::serve::Limits {
                    max_body: size(max_body),
                    max_batch: size(max_batch),
                    max_concurrency,
                    read_timeout,
                    timeout,
                },
                max_connections,
                watch: !no_watch,
                drain,
            })
        }
        Command::Replay { archives, rules, old, new, git, as_of, format, outcomes, partitions, ballista } => {
            let engine = ReplayEngine { partitions, ballista };
            replay(archives, rules, old.zip(new), git, as_of, format, outcomes, engine, &report)
        }
        Command::Test { paths, snapshot, update, coverage, filter, format } => {
            let options =
                cli::test::Options { paths: &paths, snapshot, update, coverage, format, filter: filter.as_deref() };
            let (code, text, diagnostics) = cli::test::run(&options);
            report(&diagnostics, &Sources::default());
            let _ = std::io::stdout().write_all(text.as_bytes());
            code.max(u8::from(!diagnostics.is_empty()))
        }
        Command::Eval { rules, facts, batch, as_of, format, explain, rule, fired, ask } => cli::eval::run(
            cli::eval::Options { rules, facts, batch, as_of, format, explain, rule, fired, ask },
            &report,
        ),
    }
}

/// How `tenet replay` runs its plan.
struct ReplayEngine {
    partitions: Option<usize>,
    ballista: bool,
}

/// `tenet replay`, or the reason it is not in this build.
#[allow(clippy::too_many_arguments, reason = "the command's options, passed on as they are")]
fn replay(
    archives: Vec<PathBuf>,
    rules: PathBuf,
    pair: Option<(PathBuf, PathBuf)>,
    git: Option<String>,
    as_of: Option<Date>,
    format: cli::diff::DiffFormat,
    outcomes: Option<PathBuf>,
    engine: ReplayEngine,
    report: &dyn Fn(&[Diagnostic], &Sources),
) -> u8 {
    #[cfg(feature = "replay")]
    {
        let mut cleanup = None;
        let sides = match (pair, git) {
            (Some((old, new)), _) => {
                vec![(old.display().to_string(), old), (new.display().to_string(), new)]
            }
            (None, Some(rev)) => match cli::git::tree(&rev, &rules) {
                Ok((root, old)) => {
                    cleanup = Some(root);
                    vec![(format!("{} at {rev}", rules.display()), old), (rules.display().to_string(), rules)]
                }
                Err(message) => {
                    report(&[Diagnostic::error("tenet::replay::git", message)], &Sources::default());
                    return 1;
                }
            },
            (None, None) => vec![(rules.display().to_string(), rules)],
        };
        let format = match format {
            cli::diff::DiffFormat::Text => cli::replay::ReplayFormat::Text,
            cli::diff::DiffFormat::Markdown => cli::replay::ReplayFormat::Markdown,
            cli::diff::DiffFormat::Json => cli::replay::ReplayFormat::Json,
        };
        let ReplayEngine { partitions, ballista } = engine;
        let options = cli::replay::Options { sides, archives, as_of, format, outcomes, partitions, ballista };
        let (code, text, diagnostics, sources) = cli::replay::run(&options);
        if let Some(root) = cleanup {
            let _ = std::fs::remove_dir_all(root);
        }
        report(&diagnostics, &sources);
        let _ = std::io::stdout().write_all(text.as_bytes());
        code
    }
    #[cfg(not(feature = "replay"))]
    {
        let _ = (archives, rules, pair, git, as_of, format, outcomes, engine.partitions, engine.ballista);
        let diagnostic = Diagnostic::error("tenet::replay::not_built", "this tenet was built without `tenet replay`")
            .help("install it with the feature: `cargo install --path . --features replay`");
        report(&[diagnostic], &Sources::default());
        2
    }
}
