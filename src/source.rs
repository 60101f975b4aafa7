//! Source files and spans: where every diagnostic and explanation points.

use std::sync::Arc;

/// Index of a file in [`Sources`].
#[derive(Clone, Copy, Debug, Default, Eq, Hash, Ord, PartialEq, PartialOrd)]
pub struct FileId(pub u32);

/// A byte range in one source file. Spans never take part in equality, so two
/// trees that differ only in layout compare equal.
#[derive(Clone, Copy, Debug, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl PartialEq for Span {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Span {}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Span { file, start: clamp(start), end: clamp(end) }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    pub fn len(self) -> usize {
        self.end.saturating_sub(self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }
}

/// One loaded source file, with where its lines start so that a place is
/// found by binary search, not by scanning the file from the start.
#[derive(Clone, Debug)]
pub struct Source {
    pub name: String,
    pub text: Arc<str>,
    /// The text as diagnostics show it: a lone `\r` becomes `\n` (the same
    /// length, so spans stay valid). The same text when there is none.
    pub shown: Arc<str>,
    /// Byte offset of the start of each line. A line ends at `\n`, `\r\n` or a
    /// lone `\r`, as an editor (and miette) shows it.
    line_starts: Vec<u32>,
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        let text = text.into();
        let line_starts = line_starts(&text);
        let shown = without_lone_cr(&text).map_or_else(|| text.clone(), Arc::from);
        Source { name: name.into(), text, shown, line_starts }
    }

    /// 0-based index of the line that holds byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        let offset = u32::try_from(offset).unwrap_or(u32::MAX);
        self.line_starts.partition_point(|start| *start <= offset).saturating_sub(1)
    }

    /// Byte offset where 0-based line `line` starts (the end of the text past the last line).
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts.get(line).map_or(self.text.len(), |start| *start as usize)
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_of(offset);
        let start = self.line_start(line).min(offset);
        let column = self.text.get(start..offset).map_or(0, |before| before.chars().count());
        (line + 1, column + 1)
    }
}

/// `text` with every `\r` not followed by `\n` made a `\n`, if it has one.
fn without_lone_cr(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let lone = |index: usize| bytes.get(index) == Some(&b'\r') && bytes.get(index + 1) != Some(&b'\n');
    if !(0..bytes.len()).any(lone) {
        return None;
    }
    // ASCII for ASCII: the text stays UTF-8 and every offset keeps its meaning.
    let mut fixed = String::with_capacity(text.len());
    for (index, char) in text.char_indices() {
        fixed.push(if lone(index) { '\n' } else { char });
    }
    Some(fixed)
}

fn line_starts(text: &str) -> Vec<u32> {
    let mut starts = vec![0];
    let bytes = text.as_bytes();
    for (index, byte) in bytes.iter().enumerate() {
        let ends_line = match byte {
            b'\n' => true,
            b'\r' => bytes.get(index + 1) != Some(&b'\n'),
            _ => false,
        };
        if ends_line {
            starts.push(u32::try_from(index + 1).unwrap_or(u32::MAX));
        }
    }
    starts
}

/// Every file the front end has read, so diagnostics can show their text.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    files: Vec<Source>,
}

impl Sources {
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<Arc<str>>) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(Source::new(name, text));
        id
    }

    pub fn get(&self, id: FileId) -> Option<&Source> {
        self.files.get(id.0 as usize)
    }

    /// The text a span covers, or "" if it points nowhere.
    pub fn slice(&self, span: Span) -> &str {
        self.get(span.file).and_then(|source| source.text.get(span.range())).unwrap_or("")
    }

    /// `file:line:column` (1-based) of the start of a span.
    pub fn location(&self, span: Span) -> String {
        let Some(source) = self.get(span.file) else {
            return String::from("<unknown>");
        };
        let (line, column) = source.line_column(span.start as usize);
        format!("{}:{line}:{column}", source.name)
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &Source)> {
        self.files.iter().enumerate().map(|(index, source)| (FileId(index as u32), source))
    }
}

/// 1-based line and column (in characters) of a byte offset in a text read once.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    Source::new("", text).line_column(offset)
}
