//! Diagnostics as data: a stable code, a message, the place, help. Wording
//! lives with each stage; rendering (miette's graphical, narratable and JSON
//! handlers) lives here and only here.

use std::fmt;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, NarratableReportHandler,
    SourceCode, SourceSpan, SpanContents,
};

use crate::source::{Source, Sources, Span};

#[derive(Clone, Copy, Debug, Eq, PartialEq, Ord, PartialOrd)]
pub enum Severity {
    Warning,
    Error,
}

/// One problem found in rules or facts.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// Stable code, e.g. `tenet::check::unknown_fact`.
    pub code: &'static str,
    pub severity: Severity,
    /// Lowercase, no trailing period, user input in backticks.
    pub message: String,
    /// Where, with the label shown there. `None` for facts and IO problems.
    pub primary: Option<(Span, String)>,
    /// Further places in the same file, e.g. the first definition of a duplicate.
    pub secondary: Vec<(Span, String)>,
    pub help: Option<String>,
    /// For facts: the dotted path of the field, e.g. `request.authority.country`
    /// or `data.categories[2]`.
    pub path: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            help: None,
            path: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, message) }
    }

    pub fn at(mut self, span: Span, label: impl Into<String>) -> Self {
        self.primary = Some((span, label.into()));
        self
    }

    pub fn also(mut self, span: Span, label: impl Into<String>) -> Self {
        self.secondary.push((span, label.into()));
        self
    }

    /// The facts field the diagnostic is about.
    pub fn path(mut self, path: impl ToString) -> Self {
        self.path = Some(path.to_string());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds "did you mean" help when a close candidate exists.
    pub fn suggest<'a>(self, wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Self {
        match did_you_mean(wrong, candidates) {
            Some(best) => self.help(format!("did you mean `{best}`?")),
            None => self,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Why a file could not be read, in words: "no such file or directory".
pub fn io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => String::from("no such file or directory"),
        std::io::ErrorKind::PermissionDenied => String::from("permission denied"),
        std::io::ErrorKind::IsADirectory => String::from("it is a directory"),
        _ => error.to_string(),
    }
}

/// The closest candidate by edit distance, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let length = wrong.chars().count();
    let limit = (length / 3).max(2);
    candidates
        .into_iter()
        // Lengths further apart than the limit cannot be within it: skip the distance.
        .filter(|candidate| candidate.chars().count().abs_diff(length) <= limit)
        .map(|candidate| (strsim::damerau_levenshtein(wrong, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min()
        .map(|(_, candidate)| candidate)
}

/// How diagnostics are printed (`--error-format`).
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq, clap::ValueEnum)]
pub enum ErrorFormat {
    /// Source snippets with labels (miette's graphical handler).
    #[default]
    Human,
    /// Plain sentences, for screen readers and logs (miette's narratable handler).
    Plain,
    /// One JSON object per line: code, severity, message, help, file, line and
    /// column, labels with their places, and for facts the field's `path`.
    Json,
    /// One SARIF 2.1.0 log, on standard output, for code-scanning tools.
    Sarif,
}

/// Renders diagnostics in the given format; `color` only affects `human`.
pub fn render(diagnostics: &[Diagnostic], sources: &Sources, format: ErrorFormat, color: bool) -> String {
    if format == ErrorFormat::Sarif {
        let results = diagnostics.iter().map(|diagnostic| sarif_result(diagnostic, sources)).collect();
        return sarif_log(results).to_string() + "\n";
    }
    let mut out = String::new();
    for diagnostic in diagnostics {
        let view = View::new(diagnostic, sources);
        let mut one = String::new();
        let result = match format {
            ErrorFormat::Human => {
                let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
                GraphicalReportHandler::new_themed(theme).with_width(100).render_report(&mut one, &view)
            }
            ErrorFormat::Plain => NarratableReportHandler::new().render_report(&mut one, &view),
            ErrorFormat::Json | ErrorFormat::Sarif => {
                one = json(diagnostic, sources).to_string();
                Ok(())
            }
        };
        if result.is_err() {
            one = format!("{}: {}", diagnostic.code, diagnostic.message);
        }
        out.push_str(one.trim_end());
        out.push('\n');
    }
    out
}

/// A diagnostic as one JSON object: the fields of miette's JSON handler
/// (`message`, `code`, `severity`, `help`, `filename`, `labels` with byte
/// `span`s), plus 1-based `line` and `column` (and `end_line`, `end_column`)
/// of the primary place and of every label, and `path` for facts.
pub fn json(diagnostic: &Diagnostic, sources: &Sources) -> serde_json::Value {
    use serde_json::{Map, Value as Json};
    let mut object = Map::new();
    object.insert("message".into(), Json::from(diagnostic.message.as_str()));
    object.insert("code".into(), Json::from(diagnostic.code));
    let severity = match diagnostic.severity {
        Severity::Warning => "warning",
        Severity::Error => "error",
    };
    object.insert("severity".into(), Json::from(severity));
    object.insert("causes".into(), Json::Array(Vec::new()));
    if let Some(help) = &diagnostic.help {
        object.insert("help".into(), Json::from(help.as_str()));
    }
    if let Some(path) = &diagnostic.path {
        object.insert("path".into(), Json::from(path.as_str()));
    }
    let primary = diagnostic.primary.as_ref().and_then(|(span, _)| Some((*span, sources.get(span.file)?)));
    if let Some((span, source)) = primary {
        let (line, column) = source.line_column(span.start as usize);
        let (end_line, end_column) = source.line_column(span.end as usize);
        object.insert("filename".into(), Json::from(source.name.as_str()));
        object.insert("line".into(), Json::from(line));
        object.insert("column".into(), Json::from(column));
        object.insert("end_line".into(), Json::from(end_line));
        object.insert("end_column".into(), Json::from(end_column));
        let primary_label = diagnostic.primary.iter().map(|(span, label)| (span, label, true));
        let secondary = diagnostic.secondary.iter().map(|(span, label)| (span, label, false));
        let labels: Vec<Json> = primary_label
            .chain(secondary)
            .filter(|(label_span, _, _)| label_span.file == span.file)
            .map(|(label_span, label, is_primary)| {
                let (line, column) = source.line_column(label_span.start as usize);
                serde_json::json!({
                    "label": label,
                    "span": { "offset": label_span.start, "length": label_span.len() },
                    "line": line,
                    "column": column,
                    "primary": is_primary,
                })
            })
            .collect();
        object.insert("labels".into(), Json::Array(labels));
    } else {
        object.insert("labels".into(), Json::Array(Vec::new()));
    }
    object.insert("related".into(), Json::Array(Vec::new()));
    Json::Object(object)
}

/// A SARIF 2.1.0 log of one run of tenet with `results` (see [`sarif_result`]).
pub fn sarif_log(results: Vec<serde_json::Value>) -> serde_json::Value {
    serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "tenet",
                    "version": env!("CARGO_PKG_VERSION"),
                }
            },
            "results": results,
        }]
    })
}

/// One SARIF result: the code as `ruleId`, the severity as `level`, the message
/// and help as text, and the place as a physical location with a region.
pub fn sarif_result(diagnostic: &Diagnostic, sources: &Sources) -> serde_json::Value {
    let level = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let text = match &diagnostic.help {
        Some(help) => format!("{} ({help})", diagnostic.message),
        None => diagnostic.message.clone(),
    };
    let location = diagnostic.primary.as_ref().and_then(|(span, label)| {
        let source = sources.get(span.file)?;
        let (start_line, start_column) = source.line_column(span.start as usize);
        let (end_line, end_column) = source.line_column(span.end.max(span.start + 1) as usize);
        Some(sarif_location(
            &source.name,
            Some(serde_json::json!({
                "startLine": start_line,
                "startColumn": start_column,
                "endLine": end_line,
                "endColumn": end_column.max(if end_line == start_line { start_column + 1 } else { 1 }),
            })),
            label,
        ))
    });
    serde_json::json!({
        "ruleId": diagnostic.code,
        "level": level,
        "message": { "text": text },
        "locations": location.into_iter().collect::<Vec<_>>(),
    })
}

/// A SARIF location: a file (a relative path, as a URI reference) and perhaps a region.
pub fn sarif_location(file: &str, region: Option<serde_json::Value>, label: &str) -> serde_json::Value {
    let uri: String = file
        .replace('\\', "/")
        .chars()
        .map(|char| if char == ' ' { String::from("%20") } else { char.to_string() })
        .collect();
    let mut physical = serde_json::json!({ "artifactLocation": { "uri": uri } });
    if let (Some(region), Some(object)) = (region, physical.as_object_mut()) {
        object.insert("region".into(), region);
    }
    let mut location = serde_json::json!({ "physicalLocation": physical });
    if !label.is_empty()
        && let Some(object) = location.as_object_mut()
    {
        object.insert("message".into(), serde_json::json!({ "text": label }));
    }
    location
}

/// Lines longer than this are not shown as snippets.
const MAX_SNIPPET_LINE: usize = 2000;

/// The length in bytes of the line of `source` that holds byte `offset`, and where it ends.
fn line_around(source: &Source, offset: usize) -> (usize, usize) {
    let line = source.line_of(offset);
    let start = source.line_start(line);
    let text = source.text.get(start..source.line_start(line + 1)).unwrap_or("");
    let content = text.trim_end_matches(['\n', '\r']);
    (content.len(), start + content.len())
}

/// A file as miette reads it, one window of lines at a time. miette's own
/// reader scans the text from its start for every label; this one finds the
/// lines by the file's line index and lets miette read only those, so a file
/// with thousands of diagnostics renders in linear time.
struct Snippet<'a> {
    source: &'a Source,
}

impl SourceCode for Snippet<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let source = self.source;
        let text: &str = &source.shown;
        let end = span.offset() + span.len();
        // One line more on each side than asked, so miette sees the same line
        // ends around the window as in the whole text.
        let first = source.line_of(span.offset()).saturating_sub(context_lines_before + 1);
        let last = source.line_of(end) + context_lines_after + 2;
        let (from, to) = (source.line_start(first), source.line_start(last).min(text.len()));
        let window = text.get(from..to).ok_or(MietteError::OutOfBounds)?;
        let inner = SourceSpan::new(span.offset().saturating_sub(from).into(), span.len());
        let contents = window.read_span(&inner, context_lines_before, context_lines_after)?;
        let offset = contents.span().offset() + from;
        Ok(Box::new(MietteSpanContents::new_named(
            source.name.clone(),
            contents.data(),
            SourceSpan::new(offset.into(), contents.span().len()),
            contents.line() + first,
            contents.column(),
            contents.line_count(),
        )))
    }
}

/// A diagnostic joined with its source text, as miette wants it.
struct View<'a> {
    diagnostic: &'a Diagnostic,
    source: Option<Snippet<'a>>,
    location: Option<String>,
}

impl<'a> View<'a> {
    fn new(diagnostic: &'a Diagnostic, sources: &'a Sources) -> Self {
        let primary = diagnostic.primary.as_ref().map(|(span, _)| *span);
        // A snippet of a very long line is unreadable (and beyond what the
        // renderer can lay out): say where instead.
        let source = primary
            .and_then(|span| sources.get(span.file).map(|file| (span, file)))
            .filter(|(span, file)| line_around(file, span.start as usize).0 <= MAX_SNIPPET_LINE)
            .map(|(_, file)| Snippet { source: file });
        let location = primary.map(|span| sources.location(span));
        View { diagnostic, source, location }
    }
}

impl fmt::Debug for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl fmt::Display for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for View<'_> {}

impl miette::Diagnostic for View<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diagnostic.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Warning => miette::Severity::Warning,
            Severity::Error => miette::Severity::Error,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        // Without a snippet (a very long line) still say where.
        let location = self.location.as_ref().filter(|_| self.source.is_none());
        match (&self.diagnostic.help, location) {
            (Some(help), Some(location)) => Some(Box::new(format!("{help} (at {location})"))),
            (Some(help), None) => Some(Box::new(help.clone())),
            (None, Some(location)) => Some(Box::new(format!("at {location}"))),
            (None, None) => None,
        }
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|source| source as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.source.as_ref()?;
        let primary = self.diagnostic.primary.iter().map(|(span, label)| (span, label, true));
        let secondary = self.diagnostic.secondary.iter().map(|(span, label)| (span, label, false));
        let labels = primary.chain(secondary).filter_map(move |(span, label, is_primary)| {
            let (primary_span, _) = self.diagnostic.primary.as_ref()?;
            if span.file != primary_span.file {
                return None;
            }
            let (line_length, line_end) = line_around(self.source.as_ref()?.source, span.start as usize);
            if line_length > MAX_SNIPPET_LINE {
                return None;
            }
            // A label ends with its line, so a huge span cannot swamp the snippet.
            let length =
                span.len().min(line_end.saturating_sub(span.start as usize)).max(usize::from(!span.is_empty()));
            let at = SourceSpan::new((span.start as usize).into(), length);
            Some(if is_primary {
                LabeledSpan::new_primary_with_span(Some(label.clone()), at)
            } else {
                LabeledSpan::new_with_span(Some(label.clone()), at)
            })
        });
        Some(Box::new(labels))
    }
}
