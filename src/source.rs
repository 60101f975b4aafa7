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
    /// The text as diagnostics show it: a lone `\r` becomes `\n` and an
    /// invisible character a visible stand-in of the same length (so spans stay
    /// valid and a snippet shows what tenet reads). The same text when there is none.
    pub shown: Arc<str>,
    /// Byte offset of the start of each line. A line ends at `\n`, `\r\n` or a
    /// lone `\r`, as an editor (and miette) shows it.
    line_starts: Vec<u32>,
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        let text = text.into();
        let line_starts = line_starts(&text);
        let shown = for_display(&text).map_or_else(|| text.clone(), Arc::from);
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

/// The name of a character that is invisible or reorders text when shown:
/// bidirectional controls and zero-width characters.
pub fn invisible(char: char) -> Option<&'static str> {
    Some(match char {
        '\u{202A}' => "left-to-right embedding",
        '\u{202B}' => "right-to-left embedding",
        '\u{202C}' => "pop directional formatting",
        '\u{202D}' => "left-to-right override",
        '\u{202E}' => "right-to-left override",
        '\u{2066}' => "left-to-right isolate",
        '\u{2067}' => "right-to-left isolate",
        '\u{2068}' => "first strong isolate",
        '\u{2069}' => "pop directional isolate",
        '\u{200E}' => "left-to-right mark",
        '\u{200F}' => "right-to-left mark",
        '\u{061C}' => "arabic letter mark",
        '\u{200B}' => "zero width space",
        '\u{200C}' => "zero width non-joiner",
        '\u{200D}' => "zero width joiner",
        '\u{2060}' => "word joiner",
        '\u{FEFF}' => "zero width no-break space",
        '\u{00AD}' => "soft hyphen",
        _ => return None,
    })
}

/// `text` with every invisible character written as `<U+202E>`, for output a
/// person reads.
pub fn visible(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|char| invisible(char).is_some()) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for char in text.chars() {
        match invisible(char) {
            Some(_) => {
                let _ = std::fmt::Write::write_fmt(&mut out, format_args!("<U+{:04X}>", u32::from(char)));
            }
            None => out.push(char),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// `text` with every `\r` not followed by `\n` made a `\n` and every invisible
/// character a visible one of the same length in UTF-8, if it has any.
fn for_display(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let lone = |index: usize| bytes.get(index) == Some(&b'\r') && bytes.get(index + 1) != Some(&b'\n');
    let replace = |index: usize, char: char| {
        if lone(index) {
            Some('\n')
        } else if invisible(char).is_some() && !(index == 0 && char == '\u{feff}') {
            // U+FFFD and U+00A4 take 3 and 2 bytes, as the characters they stand for.
            Some(if char.len_utf8() == 3 { '\u{fffd}' } else { '\u{a4}' })
        } else {
            None
        }
    };
    if !text.char_indices().any(|(index, char)| replace(index, char).is_some()) {
        return None;
    }
    Some(text.char_indices().map(|(index, char)| replace(index, char).unwrap_or(char)).collect())
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
