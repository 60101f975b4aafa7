//! The token stream of a rule file, comments included (logos).
//!
//! Its jobs: find the top-level items so the parser can recover after an error
//! and report every broken item; bound nesting before pest recurses into it;
//! name what the parser found where it stopped ("found `then`"); and give the
//! formatter and highlighter a token stream that keeps comments.

use logos::Logos;

/// Reserved words. Kept in sync with the `kw_*` rules of `grammar/tenet.pest`
/// by a test.
pub const KEYWORDS: &[&str] = &[
    "add",
    "all",
    "and",
    "any",
    "applies",
    "assert",
    "cite",
    "contract",
    "default",
    "duties",
    "effective",
    "enum",
    "fact",
    "false",
    "forbid",
    "in",
    "is",
    "jurisdiction",
    "list",
    "map",
    "means",
    "not",
    "of",
    "one",
    "optional",
    "or",
    "otherwise",
    "outcome",
    "overrides",
    "principles",
    "require",
    "rule",
    "satisfies",
    "set",
    "term",
    "then",
    "to",
    "true",
    "until",
    "when",
];

/// Words that start a top-level item.
pub const ITEM_STARTS: &[&str] =
    &["enum", "extend", "fact", "set", "term", "outcome", "jurisdiction", "contract", "principles", "rule", "assert"];

#[derive(Logos, Clone, Copy, Debug, PartialEq, Eq)]
#[logos(skip r"[ \t\r\n\u{FEFF}]+")]
pub enum Token {
    #[regex(r"//[^\r\n]*")]
    Comment,
    #[regex(r"[A-Za-z_][A-Za-z0-9_]*")]
    Word,
    #[regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", priority = 3)]
    Date,
    #[regex(r"[0-9]+(\.[0-9]+)?")]
    Number,
    /// A quoted string; scanned by hand so that a long one costs no stack.
    #[token("\"", string)]
    String,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[regex(r"<=|>=|<|>|=|\+|-|,|:|\.")]
    Punct,
}

/// Scans the rest of a string after its opening quote: `true` when it closes
/// on this line, `false` (an error token) when a newline or the end comes first.
fn string(lexer: &mut logos::Lexer<'_, Token>) -> bool {
    let mut escaped = false;
    for (index, byte) in lexer.remainder().bytes().enumerate() {
        match byte {
            b'\\' if !escaped => escaped = true,
            b'"' if !escaped => {
                lexer.bump(index + 1);
                return true;
            }
            b'\n' | b'\r' => {
                lexer.bump(index);
                return false;
            }
            _ => escaped = false,
        }
    }
    lexer.bump(lexer.remainder().len());
    false
}

/// A token with its byte range; `None` kind for bytes that form no token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lexeme {
    pub kind: Option<Token>,
    pub start: usize,
    pub end: usize,
}

pub fn tokens(text: &str) -> Vec<Lexeme> {
    let mut lexer = Token::lexer(text);
    let mut out = Vec::new();
    while let Some(result) = lexer.next() {
        let range = lexer.span();
        out.push(Lexeme { kind: result.ok(), start: range.start, end: range.end });
    }
    out
}

pub fn is_keyword(word: &str) -> bool {
    KEYWORDS.binary_search(&word).is_ok()
}

/// Byte ranges of the top-level items: each starts at an item keyword outside
/// any braces and runs to the next one. Text before the first item keyword is
/// an item of its own, so that it is reported rather than lost.
pub fn item_ranges(text: &str, tokens: &[Lexeme]) -> Vec<(usize, usize)> {
    let mut starts = Vec::new();
    let mut depth = 0usize;
    let mut previous: Option<&str> = None;
    for token in tokens {
        if token.kind == Some(Token::Comment) {
            continue;
        }
        let word = text.get(token.start..token.end).unwrap_or("");
        match token.kind {
            Some(Token::LBrace) => depth += 1,
            Some(Token::RBrace) => depth = depth.saturating_sub(1),
            // An item word starts an item unless it stands where a name or type is
            // expected: `outcome actions : set of Action`, `fact rule : bool`.
            Some(Token::Word)
                if depth == 0
                    && ITEM_STARTS.contains(&word)
                    && !previous
                        .is_some_and(|before| before == ":" || before == "of" || ITEM_STARTS.contains(&before)) =>
            {
                starts.push(token.start);
            }
            _ if depth == 0 && starts.is_empty() => starts.push(token.start),
            _ => {}
        }
        previous = Some(word);
    }
    let mut ranges = Vec::with_capacity(starts.len());
    for (index, start) in starts.iter().enumerate() {
        let end = starts.get(index + 1).copied().unwrap_or(text.len());
        ranges.push((*start, end));
    }
    ranges
}

/// The first `{` in the tokens that is never closed.
pub fn unclosed_brace(tokens: &[Lexeme]) -> Option<usize> {
    let mut open = Vec::new();
    for token in tokens {
        match token.kind {
            Some(Token::LBrace) => open.push(token.start),
            Some(Token::RBrace) => {
                open.pop();
            }
            _ => {}
        }
    }
    open.first().copied()
}

/// The first place in an item where brackets and quantifiers nest deeper than
/// `limit`, so pest is never asked to recurse without bound. Quantifiers count
/// until the next clause (`when`, `then`, `set`, ...), since only they nest.
pub fn too_deep(text: &str, tokens: &[Lexeme], limit: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut quantifiers = 0usize;
    for token in tokens {
        match token.kind {
            Some(Token::LParen | Token::LBracket) => depth += 1,
            Some(Token::RParen | Token::RBracket) => depth = depth.saturating_sub(1),
            Some(Token::Word) => match text.get(token.start..token.end) {
                Some("any" | "all") => quantifiers += 1,
                Some(word) if CLAUSE_STARTS.contains(&word) => quantifiers = 0,
                _ => {}
            },
            _ => {}
        }
        if depth + quantifiers > limit {
            return Some(token.start);
        }
    }
    None
}

const CLAUSE_STARTS: &[&str] =
    &["when", "then", "applies", "set", "add", "rule", "cite", "effective", "until", "means"];

/// What the user wrote at `offset`, in words: "`then`", "end of file".
pub fn describe_at(text: &str, tokens: &[Lexeme], offset: usize) -> String {
    let Some(token) = tokens.iter().find(|token| token.end > offset) else {
        return String::from("end of file");
    };
    if token.start > offset {
        return describe_at(text, tokens, token.start);
    }
    let word = text.get(token.start..token.end).unwrap_or("");
    match token.kind {
        None if word.starts_with('"') => String::from("a string that is never closed"),
        None => format!("character `{}`", word.escape_debug()),
        Some(Token::String) => String::from("a quoted string"),
        Some(Token::Comment) => String::from("a comment"),
        Some(Token::Word) if is_keyword(word) => format!("reserved word `{word}`"),
        Some(_) => {
            let shown: String = word.chars().take(40).collect();
            format!("`{shown}`")
        }
    }
}
