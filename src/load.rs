//! Reading rule files from disk and running the front end over them.

use std::path::{Path, PathBuf};

use crate::ast;
use crate::check::{self, Program};
use crate::diag::Diagnostic;
use crate::source::{Sources, line_column};
use crate::syntax;

/// Rule files after parsing and checking.
pub struct Loaded {
    pub sources: Sources,
    pub program: Program,
    /// The syntax tree of each file, in the order of `sources`.
    pub trees: Vec<ast::File>,
    /// Every problem, errors and warnings, sorted by place.
    pub diagnostics: Vec<Diagnostic>,
    pub files: usize,
}

impl Loaded {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Loads `*.tenet` files: each path is a file or a directory searched recursively.
pub fn load(paths: &[PathBuf]) -> Loaded {
    let (files, mut diagnostics) = rule_files(paths);
    let mut sources = Sources::default();
    for file in &files {
        match std::fs::read(file) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => {
                    sources.add(file.display().to_string(), text);
                }
                Err(error) => diagnostics.push(not_utf8(file, error.as_bytes(), error.utf8_error().valid_up_to())),
            },
            Err(error) => diagnostics.push(io_error(file, &error)),
        }
    }
    let count = files.len();
    front_end(sources, diagnostics, count)
}

/// Parses and checks rule files given as text: (name, text) pairs, in order.
/// The same as [`load`] without the disk; for tools that hold the text (an
/// editor, a fuzzer, a test).
pub fn load_texts(files: &[(String, String)]) -> Loaded {
    let mut sources = Sources::default();
    for (name, text) in files {
        sources.add(name.clone(), text.as_str());
    }
    front_end(sources, Vec::new(), files.len())
}

/// `syntax` and `check` over every source, after the problems of reading them.
fn front_end(sources: Sources, mut diagnostics: Vec<Diagnostic>, count: usize) -> Loaded {
    let mut trees = Vec::new();
    let mut parse_errors = false;
    for (id, source) in sources.iter() {
        let (tree, mut found) = syntax::parse(id, &source.text);
        parse_errors |= found.iter().any(Diagnostic::is_error);
        diagnostics.append(&mut found);
        trees.push(tree);
    }
    // Names used in a file that did not parse would all look unknown: check
    // only once every file parses, rather than report errors that are not there.
    let program = if parse_errors || diagnostics.iter().any(Diagnostic::is_error) {
        Program::default()
    } else {
        let (program, mut found) = check::check(&trees, &sources);
        diagnostics.append(&mut found);
        program
    };
    diagnostics.sort_by_key(|diagnostic| diagnostic.primary.as_ref().map(|(span, _)| (span.file, span.start)));
    Loaded { sources, program, trees, diagnostics, files: count }
}

/// The `*.tenet` files named or found below the paths, sorted, and problems reading them.
pub fn rule_files(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut files = Vec::new();
    for path in paths {
        collect(path, &mut files, &mut diagnostics, true);
    }
    files.sort();
    files.dedup();
    (files, diagnostics)
}

fn collect(path: &Path, files: &mut Vec<PathBuf>, diagnostics: &mut Vec<Diagnostic>, named: bool) {
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(error) => {
            diagnostics.push(io_error(path, &error));
            return;
        }
    };
    if metadata.is_file() {
        if named || path.extension().is_some_and(|extension| extension == "tenet") {
            files.push(path.to_path_buf());
        }
        return;
    }
    let entries = match std::fs::read_dir(path) {
        Ok(entries) => entries,
        Err(error) => {
            diagnostics.push(io_error(path, &error));
            return;
        }
    };
    let before = files.len();
    let mut children: Vec<PathBuf> = entries.filter_map(Result::ok).map(|entry| entry.path()).collect();
    children.sort();
    for child in children {
        collect(&child, files, diagnostics, false);
    }
    if named && files.len() == before {
        diagnostics.push(
            Diagnostic::error("tenet::load::no_rules", format!("`{}` holds no rule files", path.display()))
                .help("rule files end in `.tenet`"),
        );
    }
}

fn io_error(path: &Path, error: &std::io::Error) -> Diagnostic {
    Diagnostic::error("tenet::load::io", format!("cannot read `{}`: {}", path.display(), crate::diag::io_reason(error)))
}

fn not_utf8(path: &Path, bytes: &[u8], valid_up_to: usize) -> Diagnostic {
    let valid = std::str::from_utf8(bytes.get(..valid_up_to).unwrap_or(&[])).unwrap_or("");
    let (line, column) = line_column(valid, valid.len());
    let byte = bytes.get(valid_up_to).copied().unwrap_or(0);
    Diagnostic::error(
        "tenet::load::not_utf8",
        format!("`{}` is not UTF-8 text: byte 0x{byte:02x} at {}:{line}:{column}", path.display(), path.display()),
    )
    .help("save the file as UTF-8")
}
