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

/// The directory whose `*.tenet` files form the rule set of `file`: its own
/// directory, and upwards while the parent directory holds `*.tenet` files too
/// (`rules/jurisdictions/us.tenet` belongs to `rules/`), as `tenet check rules` loads it.
pub fn rule_set_root(file: &Path) -> PathBuf {
    let has_rules = |dir: &Path| {
        std::fs::read_dir(dir).is_ok_and(|entries| {
            entries.flatten().any(|entry| entry.path().extension().is_some_and(|ext| ext == "tenet"))
        })
    };
    let mut root = file.parent().map(Path::to_path_buf).unwrap_or_default();
    while let Some(parent) = root.parent().filter(|parent| !parent.as_os_str().is_empty() && has_rules(parent)) {
        root = parent.to_path_buf();
    }
    root
}

/// One file checked as part of the rule set it belongs to, with `read` giving
/// each file's text (an editor's buffer, or the disk). The file is checked
/// alone first; when it uses names it does not declare (`unknown_*` errors) and
/// its rule set ([`rule_set_root`]) explains them without clashing with it (no
/// name declared twice), the whole set is checked instead. Returns the result
/// and the path of each source, in order.
pub fn load_in_set(file: &Path, read: impl Fn(&Path) -> Option<String>) -> (Loaded, Vec<PathBuf>) {
    let text = |path: &Path| (path.display().to_string(), read(path).unwrap_or_default());
    let alone = load_texts(&[text(file)]);
    let unknown = |loaded: &Loaded| {
        loaded.diagnostics.iter().filter(|diagnostic| diagnostic.code.starts_with("tenet::check::unknown")).count()
    };
    if unknown(&alone) == 0 {
        return (alone, vec![file.to_path_buf()]);
    }
    let root = rule_set_root(file);
    let (mut paths, _) = rule_files(std::slice::from_ref(&root));
    if !paths.iter().any(|path| path == file) {
        paths.push(file.to_path_buf());
        paths.sort();
    }
    if paths.len() == 1 {
        return (alone, vec![file.to_path_buf()]);
    }
    let set = load_texts(&paths.iter().map(|path| text(path)).collect::<Vec<_>>());
    let position = paths.iter().position(|path| path == file).unwrap_or_default();
    let in_file = |loaded: &Loaded, file: crate::source::FileId| -> Vec<&'static str> {
        loaded
            .diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.primary.as_ref().is_some_and(|(span, _)| span.file == file))
            .map(|diagnostic| diagnostic.code)
            .collect()
    };
    let (with_set, by_itself) =
        (in_file(&set, crate::source::FileId(position as u32)), in_file(&alone, crate::source::FileId(0)));
    // A file of the set explains names and redeclares none; a folder of unrelated
    // files (test fixtures, each a rule set of its own) clashes instead.
    let belongs = !with_set.iter().any(|code| code.contains("duplicate"));
    if belongs && with_set.len() < by_itself.len() { (set, paths) } else { (alone, vec![file.to_path_buf()]) }
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
