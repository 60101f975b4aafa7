//! Text to syntax tree. Parsing never fails: it returns the items it could
//! read and a diagnostic for every item it could not.

mod grammar;
pub mod lexer;
mod lower;

use pest::Parser as _;
use pest::error::{ErrorVariant, InputLocation};

use crate::ast::File;
use crate::diag::Diagnostic;
use crate::source::{FileId, Span};
use grammar::{Grammar, Rule};

/// Brackets and quantifiers may nest this deep.
pub(crate) const MAX_NESTING: usize = 64;

/// The largest broken item parsed again for a precise error (bytes).
const MAX_DETAILED_ITEM: usize = 64 * 1024;

/// Parses one rule file.
///
/// Items are independent of one another, so they are parsed in parallel (rayon)
/// and put back in order; a broken item is parsed again for a precise error
/// afterwards, one at a time, since pest's error detail is a global switch.
pub fn parse(file: FileId, text: &str) -> (File, Vec<Diagnostic>) {
    use rayon::prelude::*;

    let tokens = lexer::tokens(text);
    let ranges = lexer::item_ranges(text, &tokens);
    let parsed: Vec<Parsed> = ranges.par_iter().map(|&range| parse_item(file, text, &tokens, range)).collect();
    let mut items = Vec::new();
    let mut diagnostics = Vec::new();
    for (parsed, &(start, end)) in parsed.into_iter().zip(&ranges) {
        match parsed {
            Parsed::Items(mut found, mut problems) => {
                items.append(&mut found);
                diagnostics.append(&mut problems);
            }
            Parsed::Problem(problem) => diagnostics.push(*problem),
            Parsed::Broken(error) => {
                // Parse the broken item again recording what was expected at the
                // furthest point reached, punctuation included, so the error points
                // where the text went wrong (`enum D { yes no }` at `no`, not at
                // `enum`). Only broken items pay for the record, and only items of
                // a size a person writes: the record costs an allocation per character.
                let chunk = text.get(start..end).unwrap_or("");
                let detailed = if chunk.len() <= MAX_DETAILED_ITEM {
                    pest::set_error_detail(true);
                    let detailed = Grammar::parse(Rule::item_only, chunk).err();
                    pest::set_error_detail(false);
                    detailed
                } else {
                    None
                };
                let error = detailed.unwrap_or(*error);
                diagnostics.push(syntax_error(file, text, &tokens, (start, end), &error));
            }
        }
    }
    diagnostics.extend(suspicious_text(file, text, &tokens));
    (File { items }, diagnostics)
}

/// What one item's text gave.
enum Parsed {
    Items(Vec<crate::ast::Item>, Vec<Diagnostic>),
    /// Refused before parsing (nested too deeply).
    Problem(Box<Diagnostic>),
    /// Not in the grammar: reported once it has been parsed again in detail.
    Broken(Box<pest::error::Error<Rule>>),
}

fn parse_item(file: FileId, text: &str, tokens: &[lexer::Lexeme], (start, end): (usize, usize)) -> Parsed {
    let chunk = text.get(start..end).unwrap_or("");
    // Tokens are in order: the item's are a slice, found by binary search.
    let first = tokens.partition_point(|token| token.start < start);
    let last = tokens.partition_point(|token| token.end <= end);
    let chunk_tokens = tokens.get(first..last.max(first)).unwrap_or(&[]);
    if let Some(offset) = lexer::too_deep(text, chunk_tokens, MAX_NESTING) {
        return Parsed::Problem(Box::new(
            Diagnostic::error("tenet::parse::too_deep", "this item nests brackets or quantifiers too deeply")
                .at(Span::new(file, offset, offset + 1), format!("more than {MAX_NESTING} levels deep here"))
                .help("split the condition into simpler parts"),
        ));
    }
    match Grammar::parse(Rule::item_only, chunk) {
        Ok(pairs) => {
            let mut lower = lower::Lower::new(file, start);
            let mut items = Vec::new();
            for pair in pairs {
                lower.items(pair, &mut items);
            }
            Parsed::Items(items, lower.diagnostics)
        }
        Err(error) => Parsed::Broken(Box::new(error)),
    }
}

/// How many suspicious characters or words one file reports before summing up.
const MAX_SUSPICIOUS: usize = 20;

/// Warnings for text that shows differently from what tenet reads: bidirectional
/// controls and invisible characters anywhere (the "Trojan Source" attack), and
/// words in strings and comments that mix scripts, such as a Cyrillic `у` in a
/// Latin word (Unicode TS #39). Names and keywords are ASCII, so they cannot.
fn suspicious_text(file: FileId, text: &str, tokens: &[lexer::Lexeme]) -> Vec<Diagnostic> {
    use unicode_security::MixedScript as _;
    let mut found = Vec::new();
    for (offset, char) in text.char_indices() {
        if let Some(name) = crate::source::invisible(char).filter(|_| !(offset == 0 && char == '\u{feff}')) {
            found.push(
                Diagnostic::warning(
                    "tenet::parse::invisible_character",
                    format!("the text holds an invisible character U+{:04X} ({name})", u32::from(char)),
                )
                .at(Span::new(file, offset, offset + char.len_utf8()), "invisible here")
                .help("it can make the text display differently from what tenet reads; remove it"),
            );
        }
    }
    for token in tokens.iter().filter(|token| matches!(token.kind, Some(lexer::Token::String | lexer::Token::Comment)))
    {
        let Some(piece) = text.get(token.start..token.end) else { continue };
        for word in piece.split(|char: char| !char.is_alphanumeric()) {
            if word.is_ascii() || word.is_single_script() {
                continue;
            }
            // `word` is a slice of `piece`: its place is the distance between them.
            let at = token.start + (word.as_ptr() as usize - piece.as_ptr() as usize);
            found.push(
                Diagnostic::warning("tenet::parse::mixed_script", format!("the word `{word}` mixes scripts"))
                    .at(Span::new(file, at, at + word.len()), "letters of more than one script")
                    .help("a letter that looks Latin may be Cyrillic or Greek; retype the word"),
            );
        }
    }
    if found.len() > MAX_SUSPICIOUS {
        let more = found.len() - MAX_SUSPICIOUS;
        found.truncate(MAX_SUSPICIOUS);
        if let Some(last) = found.last().and_then(|last| last.primary.clone()) {
            found.push(
                Diagnostic::warning(
                    "tenet::parse::invisible_character",
                    format!("{more} more invisible characters or mixed-script words in this file"),
                )
                .at(last.0, "the last one reported"),
            );
        }
    }
    found
}

/// A pest error in the user's words: what was expected and what was found.
fn syntax_error(
    file: FileId,
    text: &str,
    tokens: &[lexer::Lexeme],
    (base, chunk_end): (usize, usize),
    error: &pest::error::Error<Rule>,
) -> Diagnostic {
    // Only the item's tokens and the one after it, found by binary search, so that
    // a file with thousands of broken items is reported in linear time.
    let first = tokens.partition_point(|token| token.start < base);
    let last = tokens.partition_point(|token| token.start <= chunk_end).saturating_add(1).min(tokens.len());
    let tokens = tokens.get(first..last.max(first)).unwrap_or(&[]);
    let at = match error.location {
        InputLocation::Pos(pos) => pos,
        InputLocation::Span((start, _)) => start,
    };
    let mut expected: Vec<String> = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            positives.iter().filter_map(|rule| grammar::describe(*rule)).map(str::to_string).collect()
        }
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    // pest's own error stops where a whole rule last failed; the attempts say how
    // far the text matched and what could have come next there.
    // Only where that point starts a token, every token before it is well formed,
    // and the text at pest's point is not a reserved word standing for a name
    // (which has a message of its own).
    let moves_to = |further: usize| {
        let (from, to) = (base + at, base + further);
        let starts_token = tokens.iter().any(|token| token.start == to) || to >= text.len();
        let well_formed =
            tokens.iter().filter(|token| token.start >= from && token.start < to).all(|token| token.kind.is_some());
        let reserved = lexer::describe_at(text, tokens, from).starts_with("reserved word")
            && expected.iter().any(|words| words.contains("name"));
        further > at && starts_token && well_formed && !reserved
    };
    let at = match error.parse_attempts() {
        Some(attempts) if moves_to(attempts.max_position) => {
            // Punctuation as written; keywords and the rest as grammar rules in words.
            expected = attempts
                .expected_tokens()
                .iter()
                .map(ToString::to_string)
                .filter(|token| !token.is_empty() && token.chars().all(|char| "{}[](),:.=+-<>\"".contains(char)))
                .map(|token| format!("`{token}`"))
                .collect();
            for stack in attempts.call_stacks() {
                if let Some(words) = stack.deepest.get_rule().and_then(|rule| grammar::describe(*rule)) {
                    expected.push(words.to_string());
                }
            }
            attempts.max_position
        }
        _ => at,
    };
    let offset = base + at;
    let found = lexer::describe_at(text, tokens, offset);
    expected.sort_unstable();
    expected.dedup();
    let wanted = match expected.as_slice() {
        [] => String::from("something else"),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    };
    let end = tokens.iter().find(|token| token.start >= offset).map_or(offset, |token| token.end.max(offset));
    let span = Span::new(file, offset, end.max(offset + 1).min(text.len().max(offset)));
    let chunk: Vec<lexer::Lexeme> =
        tokens.iter().filter(|token| token.start >= base && token.start < chunk_end).cloned().collect();
    if found == "end of file"
        && let Some(open) = lexer::unclosed_brace(&chunk)
    {
        return Diagnostic::error("tenet::parse::unclosed", "unexpected end of file: a `{` is never closed")
            .at(Span::new(file, open, open + 1), "opened here, never closed")
            .help("add the missing `}`");
    }
    // A long list of alternatives says little: name what was found, list the rest as help.
    let mut diagnostic = if expected.len() > 4 {
        let found = found.strip_prefix("a ").unwrap_or(&found);
        Diagnostic::error("tenet::parse::syntax", format!("unexpected {found}"))
            .at(span, "not expected here")
            .help(format!("expected {wanted}"))
    } else {
        Diagnostic::error("tenet::parse::syntax", format!("expected {wanted}, found {found}"))
            .at(span, format!("expected {wanted}"))
    };
    let wants_name = expected.iter().any(|alternative| alternative.contains("name"));
    if let Some(hint) = hint(text, tokens, (base, offset), &found, wants_name) {
        return diagnostic.help(hint);
    }
    if let Some(word) = found.strip_prefix("reserved word `").and_then(|rest| rest.strip_suffix('`')) {
        // At the end of an item, an item word means the item before it is unfinished.
        diagnostic = if offset >= chunk_end && lexer::ITEM_STARTS.contains(&word) {
            diagnostic.help(format!("`{word}` starts a new declaration: the one before it looks incomplete"))
        } else if expected.iter().any(|alternative| alternative.contains("name") || alternative.contains("value")) {
            diagnostic.help(format!("`{word}` is a reserved word and cannot be used as a name"))
        } else {
            diagnostic
        };
    }
    diagnostic
}

/// What to write instead, for the mistakes people make coming from other
/// languages: `=` and `==`, `!=`, `&&`, `contains`, `#` comments, capitalised
/// keywords, slashed dates, a condition that ends in `and`, a missing `}`.
fn hint(
    text: &str,
    tokens: &[lexer::Lexeme],
    (base, offset): (usize, usize),
    found: &str,
    wants_name: bool,
) -> Option<String> {
    let at = tokens.iter().position(|token| token.end > offset && token.start >= offset.saturating_sub(1))?;
    let token = tokens.get(at)?;
    let word = text.get(token.start..token.end).unwrap_or("");
    let before = tokens
        .get(..at)
        .and_then(|earlier| earlier.iter().rev().find(|token| token.kind != Some(lexer::Token::Comment)))
        .map_or("", |token| text.get(token.start..token.end).unwrap_or(""));
    let next = text.get(token.end..).and_then(|rest| rest.chars().next());
    Some(match (word, found) {
        ("=", _) if next == Some('=') => String::from("to compare, write `is` (`x is y`); `==` is not tenet"),
        ("=", _) => String::from("to compare, write `is` (`x is y`); outcomes are set with `set x to y`"),
        (_, "character `!`") => String::from("for not equal, write `is not` (`x is not y`); to negate, `not`"),
        (_, "character `&`") => String::from("write `and`"),
        (_, "character `|`") => String::from("write `or`"),
        (_, "character `#`") => String::from("comments start with `//`"),
        ("contains", _) => String::from("to test membership, write the item first: `\"x\" in list`"),
        (_, "character `/`") if before.bytes().all(|byte| byte.is_ascii_digit()) && !before.is_empty() => {
            String::from("dates are written YYYY-MM-DD, e.g. `2021-02-01`")
        }
        (_, _)
            if lexer::is_keyword(&word.to_lowercase()) && !lexer::is_keyword(word) && word != word.to_lowercase() =>
        {
            format!("the words of the language are lowercase: write `{}`", word.to_lowercase())
        }
        (_, _) if found.starts_with("reserved word") && matches!(before, "and" | "or" | "not") => {
            format!("the condition ends with `{before}`: add what should follow it, or remove it")
        }
        // Inside braces still open, a declaration word means the one before lacks its `}`.
        (_, _)
            if found.starts_with("reserved word")
                && lexer::ITEM_STARTS.contains(&word)
                && !wants_name
                && open_braces(tokens, base, offset) > 0 =>
        {
            format!("`{word}` starts a new declaration: is a `}}` missing before it?")
        }
        _ => return None,
    })
}

/// How many `{` are open between `base` and `offset`.
fn open_braces(tokens: &[lexer::Lexeme], base: usize, offset: usize) -> usize {
    tokens.iter().filter(|token| token.start >= base && token.start < offset).fold(0usize, |depth, token| {
        match token.kind {
            Some(lexer::Token::LBrace) => depth + 1,
            Some(lexer::Token::RBrace) => depth.saturating_sub(1),
            _ => depth,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::lexer::KEYWORDS;

    /// The lexer's keyword list and the grammar's `kw_*` rules are the same words.
    #[test]
    fn keywords_match_grammar() {
        let grammar = include_str!("../../grammar/tenet.pest");
        let mut from_grammar: Vec<&str> = grammar
            .lines()
            .filter_map(|line| line.strip_prefix("kw_"))
            .filter_map(|rest| rest.split_whitespace().next())
            .collect();
        from_grammar.sort_unstable();
        let mut sorted = KEYWORDS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, KEYWORDS, "KEYWORDS must stay sorted for binary search");
        assert_eq!(from_grammar, KEYWORDS);
    }
}
