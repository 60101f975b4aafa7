//! `tenet eval RULES --batch FILE|-`: many requests, one JSON outcome each.
//!
//! The input is NDJSON (one request per line; blank lines are skipped) or one
//! JSON array of requests. Requests are evaluated on every core in chunks, and
//! the outcomes are written one per line in input order, so that line *n* of
//! the output answers request *n*. A request that cannot be read or evaluated
//! gives an `{"line": n, "errors": [...]}` line in its place and a diagnostic
//! naming the line; the batch goes on, and exits 1 at the end.

use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use jiff::civil::Date;
use rayon::prelude::*;
use serde_json::value::RawValue;

use tenet::check::Program;
use tenet::diag::Diagnostic;
use tenet::facts::{self, MAX_DOCUMENT_BYTES, Schema};
use tenet::render::Report;

/// Requests evaluated together before their outcomes are written.
const CHUNK: usize = 8192;

/// The largest batch given as one JSON array (NDJSON streams without a bound).
const MAX_ARRAY_BYTES: u64 = 1024 * 1024 * 1024;

/// What the batch needs besides its input.
pub struct Batch<'a> {
    pub program: &'a Program,
    pub schema: &'a Schema,
    pub as_of: Option<Date>,
    pub explain: bool,
    /// The program's rules by their keys: without an explanation, each request
    /// tries only the rules it can fire.
    pub index: &'a tenet::eval::Index,
    /// The rules' texts as JSON, made once for the explanations (`render::Quoted`).
    pub quoted: Option<&'a tenet::render::Quoted>,
}

/// How a batch ended: how many requests, and the diagnostics of those that failed.
pub struct Summary {
    pub requests: usize,
    pub failed: Vec<Diagnostic>,
}

impl Batch<'_> {
    /// Runs the batch from `input` (`-` is standard input) to `output`.
    pub fn run(&self, input: &Path, output: &mut dyn Write) -> Result<Summary, Box<Diagnostic>> {
        let name = facts::display_name(input);
        let io = |error: std::io::Error| {
            Box::new(Diagnostic::error(
                "tenet::batch::io",
                format!("cannot read the batch `{name}`: {}", tenet::diag::io_reason(&error)),
            ))
        };
        let (reader, size): (Box<dyn Read>, Option<u64>) = if input.as_os_str() == "-" {
            (Box::new(std::io::stdin().lock()), None)
        } else {
            let file = std::fs::File::open(input).map_err(io)?;
            let size = file.metadata().ok().map(|metadata| metadata.len());
            (Box::new(file), size)
        };
        let mut reader = BufReader::with_capacity(1 << 20, reader);
        let progress = progress_bar(size);
        let mut out = BufWriter::with_capacity(1 << 20, output);
        let first = loop {
            let buffer = reader.fill_buf().map_err(io)?;
            match buffer.iter().position(|byte| !byte.is_ascii_whitespace()) {
                Some(position) => break buffer.get(position).copied(),
                None if buffer.is_empty() => break None,
                None => {
                    let length = buffer.len();
                    reader.consume(length);
                }
            }
        };
        let summary = if first == Some(b'[') {
            self.array(&mut reader, &mut out, &progress).map_err(|error| match error {
                Failure::Io(error) => io(error),
                Failure::Stop(diagnostic) => diagnostic,
            })?
        } else {
            self.lines(&mut reader, &mut out, &progress).map_err(io)?
        };
        out.flush().map_err(|error| {
            Box::new(Diagnostic::error("tenet::batch::io", format!("cannot write the outcomes: {error}")))
        })?;
        progress.finish_and_clear();
        Ok(summary)
    }

    /// NDJSON: chunks of lines, each evaluated in parallel, written in order.
    fn lines(&self, reader: &mut dyn BufRead, out: &mut dyn Write, progress: &ProgressBar) -> std::io::Result<Summary> {
        let mut summary = Summary { requests: 0, failed: Vec::new() };
        let mut number = 0usize;
        loop {
            let mut chunk: Vec<(usize, Vec<u8>)> = Vec::with_capacity(CHUNK);
            let mut ended = false;
            while chunk.len() < CHUNK {
                let mut line = Vec::new();
                let read = reader.take(MAX_DOCUMENT_BYTES + 1).read_until(b'\n', &mut line)?;
                if read == 0 {
                    ended = true;
                    break;
                }
                number += 1;
                progress.inc(read as u64);
                if line.len() as u64 > MAX_DOCUMENT_BYTES && !line.ends_with(b"\n") {
                    // Skip the rest of an oversized line, then report it.
                    skip_line(reader)?;
                    chunk.push((number, Vec::new()));
                    continue;
                }
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                chunk.push((number, line));
            }
            self.write_chunk(&chunk, "line", out, &mut summary)?;
            if ended {
                return Ok(summary);
            }
        }
    }

    /// One JSON array of requests: each element keeps its own text, so that
    /// duplicate keys and exact numbers are read as in a single request.
    fn array(&self, reader: &mut dyn BufRead, out: &mut dyn Write, progress: &ProgressBar) -> Result<Summary, Failure> {
        let mut text = Vec::new();
        reader.take(MAX_ARRAY_BYTES + 1).read_to_end(&mut text).map_err(Failure::Io)?;
        progress.inc(text.len() as u64);
        if text.len() as u64 > MAX_ARRAY_BYTES {
            return Err(Failure::Stop(Box::new(
                Diagnostic::error("tenet::batch::too_large", "a batch given as one JSON array is larger than 1 GiB")
                    .help("give the requests as NDJSON, one per line: it is read as a stream"),
            )));
        }
        let elements: Vec<&RawValue> = serde_json::from_slice(&text).map_err(|error| {
            Failure::Stop(Box::new(
                Diagnostic::error(
                    "tenet::batch::syntax",
                    format!("the batch is not a JSON array of requests: {error}"),
                )
                .help("give a JSON array of request objects, or NDJSON with one request per line"),
            ))
        })?;
        let mut summary = Summary { requests: 0, failed: Vec::new() };
        for (start, chunk) in elements.chunks(CHUNK).enumerate() {
            let numbered: Vec<(usize, Vec<u8>)> = chunk
                .iter()
                .enumerate()
                .map(|(index, element)| (start * CHUNK + index + 1, element.get().as_bytes().to_vec()))
                .collect();
            self.write_chunk(&numbered, "request", out, &mut summary).map_err(Failure::Io)?;
        }
        Ok(summary)
    }

    /// Evaluates a chunk on every core and writes its outcomes in order.
    fn write_chunk(
        &self,
        chunk: &[(usize, Vec<u8>)],
        unit: &str,
        out: &mut dyn Write,
        summary: &mut Summary,
    ) -> std::io::Result<()> {
        let results: Vec<Result<Line, (usize, Vec<Diagnostic>)>> =
            chunk.par_iter().map(|(number, bytes)| self.one(bytes).map_err(|errors| (*number, errors))).collect();
        for result in results {
            summary.requests += 1;
            match result {
                Ok(line) => out.write_all(&line)?,
                Err((number, errors)) => {
                    let listed: Vec<serde_json::Value> = errors
                        .iter()
                        .map(|error| {
                            serde_json::json!({
                                "code": error.code,
                                "message": error.message,
                                "help": error.help,
                                "path": error.path,
                            })
                        })
                        .collect();
                    let line = serde_json::json!({ unit: number, "errors": listed });
                    out.write_all(line.to_string().as_bytes())?;
                    for error in errors {
                        let mut error = error;
                        error.message = format!("{unit} {number}: {}", error.message);
                        summary.failed.push(error);
                    }
                }
            }
            out.write_all(b"\n")?;
        }
        Ok(())
    }

    /// One request: its outcome as one line of JSON, or what is wrong with it.
    fn one(&self, bytes: &[u8]) -> Result<Line, Vec<Diagnostic>> {
        if bytes.is_empty() {
            return Err(vec![Diagnostic::error(
                "tenet::facts::too_large",
                format!("the request is larger than {} MiB", MAX_DOCUMENT_BYTES / (1024 * 1024)),
            )]);
        }
        let facts = facts::from_text(self.program, self.schema, bytes, false, self.as_of)?;
        let outcome = if self.explain {
            tenet::eval::evaluate(self.program, &facts)
        } else {
            tenet::eval::decide(self.program, self.index, &facts)
        };
        if !outcome.errors.is_empty() {
            return Err(outcome.error_diagnostics(self.program));
        }
        let mut line = Vec::new();
        Report::new(self.program, &facts, &outcome).with_quoted(self.quoted).write_json_line(self.explain, &mut line);
        Ok(line)
    }
}

/// One outcome as a line of JSON (UTF-8, without its newline).
type Line = Vec<u8>;

enum Failure {
    Io(std::io::Error),
    Stop(Box<Diagnostic>),
}

/// Reads and drops the rest of the current line.
fn skip_line(reader: &mut dyn BufRead) -> std::io::Result<()> {
    loop {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            return Ok(());
        }
        match buffer.iter().position(|byte| *byte == b'\n') {
            Some(position) => {
                reader.consume(position + 1);
                return Ok(());
            }
            None => {
                let length = buffer.len();
                reader.consume(length);
            }
        }
    }
}

/// A progress bar on standard error when it is a terminal (hidden otherwise):
/// bytes read of the file, or a count for standard input.
fn progress_bar(size: Option<u64>) -> ProgressBar {
    match size {
        Some(size) => ProgressBar::with_draw_target(Some(size), ProgressDrawTarget::stderr()).with_style(
            ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
            ProgressStyle::with_template("{spinner} {bytes} read, {bytes_per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    }
}
