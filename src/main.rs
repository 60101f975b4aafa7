//! The `tenet` command line: `check` and `eval`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use jiff::civil::Date;

mod cli;

use tenet::diag::{Diagnostic, ErrorFormat, render};
use tenet::facts::{self, Schema};
use tenet::load::{Loaded, load};
use tenet::render::Report;
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
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
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
        #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
        format: DiffFormat,
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
        /// `--deny warnings`: dead and shadowed rules fail the run too
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

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum DiffFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn parse_date(text: &str) -> Result<Date, String> {
    facts::parse_date(text).ok_or_else(|| format!("`{text}` is not a date; write YYYY-MM-DD, e.g. 2025-02-11"))
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
        Command::Check { paths } => {
            // One file is checked within the rule set it belongs to when it uses names
            // declared elsewhere in it; only the file's own problems are reported then.
            let loaded = match paths.as_slice() {
                [file] if std::fs::read_to_string(file).is_ok() => {
                    let (mut loaded, sources) =
                        tenet::load::load_in_set(file, |path| std::fs::read_to_string(path).ok());
                    if sources.len() > 1 {
                        let own = sources.iter().position(|path| path == file).unwrap_or_default() as u32;
                        loaded.diagnostics.retain(|diagnostic| {
                            diagnostic.primary.as_ref().is_none_or(|(span, _)| span.file.0 == own)
                        });
                        eprintln!(
                            "note: {} checked within its rule set, {} ({} files)",
                            file.display(),
                            tenet::load::rule_set_root(file).display(),
                            sources.len()
                        );
                    }
                    loaded
                }
                _ => load(&paths),
            };
            report(&loaded.diagnostics, &loaded.sources);
            if loaded.has_errors() {
                return 1;
            }
            if cli.error_format == ErrorFormat::Sarif {
                eprintln!("{}", summary(&loaded));
            } else {
                println!("{}", summary(&loaded));
            }
            0
        }
        Command::Diff { paths, git, format, exhaustive, as_of } => {
            let (old, new, label, cleanup) = match (git, paths.as_slice()) {
                (Some(rev), [] | [_]) => {
                    let path = paths.first().cloned().unwrap_or_else(|| PathBuf::from("rules"));
                    match git_tree(&rev, &path) {
                        Ok((root, old)) => {
                            (old, path.clone(), Some(format!("{} at {rev}", path.display())), Some(root))
                        }
                        Err(message) => {
                            report(&[Diagnostic::error("tenet::diff::git", message)], &Sources::default());
                            return 1;
                        }
                    }
                }
                (None, [old, new]) => (old.clone(), new.clone(), None, None),
                _ => {
                    eprintln!(
                        "error: give OLD and NEW rule directories, or --git REV [PATH]\n\nFor more information, try '--help'."
                    );
                    return 2;
                }
            };
            let mut diff = tenet::diff::diff(&old, &new);
            if exhaustive {
                let as_of = as_of.unwrap_or_else(|| jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date());
                tenet::diff::exhaustive(&mut diff, &old, &new, as_of);
            }
            if let Some(label) = label {
                diff.old = label;
            }
            if let Some(root) = cleanup {
                let _ = std::fs::remove_dir_all(root);
            }
            let text = match format {
                DiffFormat::Text => diff.text(),
                DiffFormat::Markdown => diff.markdown(),
                DiffFormat::Json => serde_json::to_string_pretty(&diff).unwrap_or_default() + "\n",
            };
            let _ = std::io::stdout().write_all(text.as_bytes());
            u8::from(diff.has_problems())
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
            let (code, diagnostics, sources) = fmt(&paths, check);
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
        Command::Test { paths, snapshot, update, coverage, filter, format } => {
            let options =
                cli::test::Options { paths: &paths, snapshot, update, coverage, format, filter: filter.as_deref() };
            let (code, text, diagnostics) = cli::test::run(&options);
            report(&diagnostics, &Sources::default());
            let _ = std::io::stdout().write_all(text.as_bytes());
            code.max(u8::from(!diagnostics.is_empty()))
        }
        Command::Eval { rules, facts: facts_path, batch, as_of, format, explain, rule, fired, ask } => {
            let explain = explain || rule.is_some() || fired;
            let loaded = load(&[rules]);
            if loaded.has_errors() {
                report(&loaded.diagnostics, &loaded.sources);
                return 1;
            }
            let program = &loaded.program;
            let schema = Schema::new(program);
            if let Some(input) = batch {
                let index = tenet::eval::Index::new(program);
                let batch = cli::batch::Batch { program, schema: &schema, as_of, explain, index: &index };
                return match batch.run(&input, &mut std::io::stdout().lock()) {
                    Ok(summary) => {
                        report(&summary.failed, &loaded.sources);
                        u8::from(!summary.failed.is_empty())
                    }
                    Err(diagnostic) => {
                        report(&[*diagnostic], &loaded.sources);
                        1
                    }
                };
            }
            let Some(facts_path) = facts_path else { return 2 };
            let bytes = match facts::read_bounded(&facts_path) {
                Ok(bytes) => bytes,
                Err(diagnostic) => {
                    report(&[*diagnostic], &loaded.sources);
                    return 1;
                }
            };
            let facts = match facts::from_text(program, &schema, &bytes, facts::is_yaml(&facts_path), as_of) {
                Ok(facts) => facts,
                Err(mut diagnostics) => {
                    let file = facts::display_name(&facts_path);
                    for diagnostic in &mut diagnostics {
                        diagnostic.message = format!("{file}: {}", diagnostic.message);
                    }
                    report(&diagnostics, &loaded.sources);
                    return 1;
                }
            };
            let outcome = tenet::eval::evaluate(program, &facts);
            if !outcome.errors.is_empty() {
                report(&outcome.error_diagnostics(program), &loaded.sources);
                return 1;
            }
            // An outcome that facts the request leaves out would change is provisional.
            let dependencies = tenet::analysis::depend::dependencies(program, &facts, &outcome);
            if let Some(id) = &rule
                && !program.rules.iter().any(|def| def.id.eq_ignore_ascii_case(id))
            {
                let known = program.rules.iter().map(|def| def.id.as_str());
                let diagnostic = Diagnostic::error("tenet::eval::unknown_rule", format!("there is no rule `{id}`"))
                    .suggest(id, known);
                report(&[diagnostic], &loaded.sources);
                return 1;
            }
            let filter = tenet::render::ExplainFilter { rule, fired_only: fired };
            let report =
                Report::new(program, &facts, &outcome).with_dependencies(&dependencies, ask).with_filter(filter);
            let text = match format {
                Format::Json => {
                    let json = report.json(explain);
                    serde_json::to_string_pretty(&json).unwrap_or_default() + "\n"
                }
                Format::Text => report.text(explain),
            };
            let _ = std::io::stdout().write_all(text.as_bytes());
            0
        }
    }
}

/// The files under `path` at git revision `rev`, written to a scratch directory:
/// (the scratch root, the path of the copy). Uses `git ls-tree` and `git show`.
fn git_tree(rev: &str, path: &std::path::Path) -> Result<(PathBuf, PathBuf), String> {
    let git = |args: &[&str]| -> Result<Vec<u8>, String> {
        let output = std::process::Command::new("git")
            .args(args)
            .output()
            .map_err(|error| format!("cannot run `git`: {error}"))?;
        if output.status.success() {
            Ok(output.stdout)
        } else {
            Err(format!("`git {}` failed: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim()))
        }
    };
    let prefix = String::from_utf8_lossy(&git(&["rev-parse", "--show-prefix"])?).trim().to_string();
    let relative = path.to_string_lossy().trim_start_matches("./").trim_end_matches('/').to_string();
    let full = format!("{prefix}{relative}");
    let listing = git(&["ls-tree", "-r", "--name-only", "--full-tree", rev, "--", &full])?;
    let files: Vec<String> = String::from_utf8_lossy(&listing).lines().map(str::to_string).collect();
    if files.is_empty() {
        return Err(format!("there is nothing at `{relative}` in revision `{rev}`"));
    }
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_nanos());
    let root = std::env::temp_dir().join(format!("tenet-diff-{}-{nanos}", std::process::id()));
    for file in &files {
        let bytes = git(&["show", &format!("{rev}:{file}")])?;
        let inside = file.strip_prefix(&prefix).unwrap_or(file);
        let target = root.join(inside);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|error| format!("cannot write {}: {error}", parent.display()))?;
        }
        std::fs::write(&target, bytes).map_err(|error| format!("cannot write {}: {error}", target.display()))?;
    }
    Ok((root.clone(), root.join(relative)))
}

/// `tenet fmt`: (0 or 1, diagnostics, the sources they point into).
fn fmt(paths: &[PathBuf], check: bool) -> (u8, Vec<Diagnostic>, Sources) {
    let (files, mut diagnostics) = tenet::load::rule_files(paths);
    let mut sources = Sources::default();
    let mut failed = !diagnostics.is_empty();
    for file in files {
        let text = match std::fs::read(&file).map(String::from_utf8) {
            Ok(Ok(text)) => text,
            _ => {
                diagnostics.push(Diagnostic::error(
                    "tenet::fmt::io",
                    format!("cannot read `{}` as UTF-8 text", file.display()),
                ));
                failed = true;
                continue;
            }
        };
        let id = sources.add(file.display().to_string(), text.as_str());
        match tenet::format::format(id, &text) {
            Err(mut problems) => {
                diagnostics.append(&mut problems);
                failed = true;
            }
            Ok(formatted) if formatted == text => {}
            Ok(_) if check => {
                println!("would reformat {}", file.display());
                failed = true;
            }
            Ok(formatted) => match std::fs::write(&file, formatted) {
                Ok(()) => println!("formatted {}", file.display()),
                Err(error) => {
                    diagnostics.push(Diagnostic::error(
                        "tenet::fmt::io",
                        format!("cannot write `{}`: {error}", file.display()),
                    ));
                    failed = true;
                }
            },
        }
    }
    (u8::from(failed), diagnostics, sources)
}

fn summary(loaded: &Loaded) -> String {
    let program = &loaded.program;
    let warnings = loaded.diagnostics.len();
    let plural = |n: usize, word: &str| {
        if n == 1 { format!("{n} {word}") } else { format!("{n} {word}s") }
    };
    format!(
        "checked {}: {}, {}, {}, {} — {}",
        plural(loaded.files, "file"),
        plural(program.rules.len(), "rule"),
        plural(program.blocks.len(), "block"),
        plural(program.facts.len(), "fact"),
        plural(program.outcomes.len(), "outcome"),
        if warnings == 0 { String::from("no problems") } else { plural(warnings, "warning") }
    )
}
