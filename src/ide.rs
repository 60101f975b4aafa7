//! Editor services over a loaded rule set: where every name is defined, where
//! it is used, what to show on hover, what to offer for completion, the outline
//! of a file and the edits of a rename. Plain data with byte spans; the language
//! server (`tenet lsp`, behind the `lsp` feature) turns it into LSP messages.
//!
//! Names are found by words, not by the checked program, so the services keep
//! working in a file that does not check yet: a word is a run of letters,
//! digits, `_`, `.` and `-` outside comments and strings (`data.categories`,
//! `US-6`, `asks_content`).

use std::collections::BTreeMap;

use crate::ast::{self, Item};
use crate::load::Loaded;
use crate::source::{FileId, Sources, Span};
use crate::syntax::lexer::{self, Token};

/// What a name names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Enum,
    Value,
    Fact,
    Set,
    Term,
    Outcome,
    Block,
    Rule,
    Assertion,
}

impl Kind {
    pub fn word(self) -> &'static str {
        match self {
            Kind::Enum => "enumeration",
            Kind::Value => "value",
            Kind::Fact => "fact",
            Kind::Set => "set",
            Kind::Term => "term",
            Kind::Outcome => "outcome",
            Kind::Block => "block",
            Kind::Rule => "rule",
            Kind::Assertion => "assertion",
        }
    }
}

/// A declared name: where, and what a reader is told about it (Markdown).
#[derive(Clone, Debug)]
pub struct Def {
    pub name: String,
    pub kind: Kind,
    /// The name where it is declared.
    pub span: Span,
    /// The whole declaration, for the outline.
    pub extent: Span,
    pub detail: String,
    /// The enclosing block, for rules.
    pub parent: Option<usize>,
}

/// An entry of a file's outline.
#[derive(Clone, Debug)]
pub struct Symbol {
    pub name: String,
    pub detail: String,
    pub kind: Kind,
    pub span: Span,
    pub extent: Span,
    pub children: Vec<Symbol>,
}

/// Every definition of a rule set and every word of its files.
pub struct Index {
    pub defs: Vec<Def>,
    /// The words of each file, in order: (span, text).
    words: BTreeMap<FileId, Vec<(Span, String)>>,
}

impl Index {
    pub fn new(loaded: &Loaded) -> Self {
        let mut defs = Vec::new();
        for ((_, source), tree) in loaded.sources.iter().zip(&loaded.trees) {
            let doc = |span: Span| doc_comment(&source.text, span.range().start);
            for item in &tree.items {
                collect(item, &loaded.sources, &doc, &mut defs);
            }
        }
        let words = loaded.sources.iter().map(|(file, source)| (file, words(file, &source.text))).collect();
        Index { defs, words }
    }

    /// The word at `offset` (a cursor just after a word counts as on it).
    pub fn word_at(&self, file: FileId, offset: usize) -> Option<&(Span, String)> {
        let words = self.words.get(&file)?;
        let index = words.partition_point(|(span, _)| span.range().end < offset);
        words.get(index).filter(|(span, _)| span.range().contains(&offset) || span.range().end == offset)
    }

    /// The definitions a word may name: exact names, rule ids ignoring case, and
    /// the outcome of `deadlines.respond_by`.
    pub fn lookup(&self, word: &str) -> Vec<usize> {
        let found: Vec<usize> = (0..self.defs.len())
            .filter(|index| {
                self.defs.get(*index).is_some_and(|def| match def.kind {
                    Kind::Rule | Kind::Assertion | Kind::Block => def.name.eq_ignore_ascii_case(word),
                    _ => def.name == word,
                })
            })
            .collect();
        if !found.is_empty() {
            return found;
        }
        match word.split_once('.') {
            Some((head, _)) => (0..self.defs.len())
                .filter(|index| self.defs.get(*index).is_some_and(|def| def.kind == Kind::Outcome && def.name == head))
                .collect(),
            None => Vec::new(),
        }
    }

    /// Where the name at the cursor is defined.
    pub fn definition(&self, file: FileId, offset: usize) -> Vec<Span> {
        let Some((_, word)) = self.word_at(file, offset) else { return Vec::new() };
        self.lookup(word).iter().filter_map(|index| self.defs.get(*index)).map(|def| def.span).collect()
    }

    /// Every place the name at the cursor is written, its definition included.
    pub fn references(&self, file: FileId, offset: usize) -> Vec<Span> {
        let Some((_, word)) = self.word_at(file, offset) else { return Vec::new() };
        let targets = self.lookup(word);
        if targets.is_empty() {
            return Vec::new();
        }
        let mut spans = Vec::new();
        for words in self.words.values() {
            for (span, text) in words {
                let named = self.lookup(text);
                if named.iter().any(|index| targets.contains(index)) {
                    // `deadlines.respond_by` refers to `deadlines`: only its head is the name.
                    let head = text.split_once('.').map_or(text.len(), |(head, _)| head.len());
                    let exact = targets.iter().filter_map(|index| self.defs.get(*index)).any(|def| {
                        def.name.eq_ignore_ascii_case(text) || def.kind != Kind::Outcome || head == text.len()
                    });
                    let range = span.range();
                    let end = if exact { range.end } else { range.start + head };
                    spans.push(Span::new(span.file, range.start, end));
                }
            }
        }
        spans
    }

    /// What to show for the name at the cursor: the span it covers and Markdown.
    pub fn hover(&self, file: FileId, offset: usize) -> Option<(Span, String)> {
        let (span, word) = self.word_at(file, offset)?;
        let texts: Vec<&str> =
            self.lookup(word).iter().filter_map(|index| self.defs.get(*index)).map(|def| def.detail.as_str()).collect();
        if texts.is_empty() {
            return None;
        }
        Some((*span, texts.join("\n\n---\n\n")))
    }

    /// The edits that rename the term, set or rule id at the cursor; `Err` says why not.
    pub fn rename(&self, file: FileId, offset: usize, new_name: &str) -> Result<Vec<Span>, String> {
        let Some((_, word)) = self.word_at(file, offset) else {
            return Err(String::from("there is no name here"));
        };
        let targets = self.lookup(word);
        let Some(def) = targets.first().and_then(|index| self.defs.get(*index)) else {
            return Err(format!("`{word}` is not declared in this rule set"));
        };
        let valid = match def.kind {
            Kind::Term | Kind::Set => is_identifier(new_name) && !lexer::is_keyword(new_name),
            Kind::Rule | Kind::Assertion => is_rule_id(new_name),
            other => return Err(format!("a {} cannot be renamed here; terms, sets and rule ids can", other.word())),
        };
        if !valid {
            return Err(format!("`{new_name}` is not a valid {} name", def.kind.word()));
        }
        if !self.lookup(new_name).is_empty() {
            return Err(format!("`{new_name}` is already declared"));
        }
        Ok(self.references(file, offset))
    }

    /// Everything a name can be at any place: facts, terms, sets, outcomes, enum values,
    /// rule ids; (label, kind, detail).
    pub fn completions(&self) -> Vec<(String, Kind, String)> {
        let mut seen = std::collections::BTreeSet::new();
        self.defs
            .iter()
            .filter(|def| def.kind != Kind::Block)
            .filter(|def| seen.insert((def.name.clone(), def.kind)))
            .map(|def| (def.name.clone(), def.kind, first_line(&def.detail)))
            .collect()
    }

    /// The outline of one file: blocks with their rules, and the declarations.
    pub fn symbols(&self, file: FileId) -> Vec<Symbol> {
        let symbol = |def: &Def| Symbol {
            name: def.name.clone(),
            detail: first_line(&def.detail),
            kind: def.kind,
            span: def.span,
            extent: def.extent,
            children: Vec::new(),
        };
        let mut out: Vec<Symbol> = Vec::new();
        let mut blocks: BTreeMap<usize, usize> = BTreeMap::new();
        for (index, def) in self.defs.iter().enumerate() {
            if def.span.file != file || def.kind == Kind::Value {
                continue;
            }
            match def.parent.and_then(|parent| blocks.get(&parent)) {
                Some(position) => {
                    if let Some(block) = out.get_mut(*position) {
                        block.children.push(symbol(def));
                    }
                }
                None => {
                    if def.kind == Kind::Block {
                        blocks.insert(index, out.len());
                    }
                    out.push(symbol(def));
                }
            }
        }
        out
    }
}

fn first_line(text: &str) -> String {
    text.lines().find(|line| !line.trim().is_empty()).unwrap_or("").trim_matches('`').to_string()
}

fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|char| char.is_ascii_alphanumeric() || char == '_')
}

fn is_rule_id(text: &str) -> bool {
    text.chars().next().is_some_and(|first| first.is_ascii_alphabetic())
        && text.chars().all(|char| char.is_ascii_alphanumeric() || char == '-' || char == '_')
}

/// The `//` lines right above the line of `offset`, joined: a declaration's documentation.
fn doc_comment(text: &str, offset: usize) -> String {
    let before = text.get(..offset).unwrap_or("");
    let mut lines: Vec<&str> = before.lines().collect();
    if !before.ends_with('\n') {
        // The declaration's own line, up to its name.
        lines.pop();
    }
    let mut doc: Vec<&str> = Vec::new();
    for line in lines.iter().rev() {
        match line.trim().strip_prefix("//") {
            Some(comment) => doc.push(comment.trim()),
            None => break,
        }
    }
    doc.reverse();
    doc.join(" ")
}

/// From the start of `start` to the end of `end`.
fn join(start: Span, end: Span) -> Span {
    let (from, to) = (start.range().start, end.range().end);
    Span::new(start.file, from, to.max(from))
}

fn slice(sources: &Sources, start: Span, end: Span) -> String {
    let (from, to) = (start.range().start, end.range().end);
    sources.slice(Span::new(start.file, from, to.max(from))).to_string()
}

fn collect(item: &Item, sources: &Sources, doc: &dyn Fn(Span) -> String, defs: &mut Vec<Def>) {
    let with_doc = |head: String, span: Span| {
        let doc = doc(span);
        if doc.is_empty() { head } else { format!("{head}\n\n{doc}") }
    };
    match item {
        Item::Enum(decl) => {
            let values: Vec<&str> = decl.values.iter().take(12).map(|value| value.text.as_str()).collect();
            let more =
                if decl.values.len() > 12 { format!(", … ({} values)", decl.values.len()) } else { String::new() };
            let extent = join(decl.name.span, decl.values.last().map_or(decl.name.span, |value| value.span));
            // An extension's name refers to the enumeration declared elsewhere.
            if !decl.extends {
                defs.push(Def {
                    name: decl.name.text.clone(),
                    kind: Kind::Enum,
                    span: decl.name.span,
                    extent,
                    detail: with_doc(
                        format!("`enum {} {{ {}{more} }}`", decl.name.text, values.join(", ")),
                        decl.name.span,
                    ),
                    parent: None,
                });
            }
            for (position, value) in decl.values.iter().enumerate() {
                let label = decl.labels.get(position).cloned().flatten();
                let head = match label {
                    Some(label) => format!("`{}` ({label}), a value of `{}`", value.text, decl.name.text),
                    None => format!("`{}`, a value of `{}`", value.text, decl.name.text),
                };
                defs.push(Def {
                    name: value.text.clone(),
                    kind: Kind::Value,
                    span: value.span,
                    extent: value.span,
                    detail: head,
                    parent: None,
                });
            }
        }
        Item::Fact(decl) => {
            let end = decl.default.as_ref().map_or(decl.ty.name.span, |default| default.span);
            let text = slice(sources, decl.path.span, end);
            let text = if decl.optional && decl.default.is_none() && !text.ends_with("optional") {
                format!("{text} optional")
            } else {
                text
            };
            defs.push(Def {
                name: decl.path.text.clone(),
                kind: Kind::Fact,
                span: decl.path.span,
                extent: join(decl.path.span, end),
                detail: with_doc(format!("`fact {text}`"), decl.path.span),
                parent: None,
            });
        }
        Item::Set(decl) => defs.push(top(
            &decl.name,
            Kind::Set,
            decl.span,
            with_doc(format!("```tenet\n{}\n```", sources.slice(decl.span)), decl.name.span),
        )),
        Item::Term(decl) => {
            let extent = join(decl.name.span, decl.body.span);
            let detail = with_doc(format!("```tenet\nterm {}\n```", sources.slice(extent)), decl.name.span);
            defs.push(top(&decl.name, Kind::Term, extent, detail));
        }
        Item::Outcome(decl) => defs.push(top(
            &decl.name,
            Kind::Outcome,
            decl.span,
            with_doc(format!("`{}`", sources.slice(decl.span)), decl.name.span),
        )),
        Item::Block(block) => {
            let kind = block.strength.keyword();
            let mut head = format!("`{kind} {}` — {} ({} rules)", block.id.text, block.title.text, block.rules.len());
            for dated in &block.effective {
                head.push_str(&format!("\n\nin force from {}", dated.text));
            }
            for dated in &block.until {
                head.push_str(&format!("\n\nin force until {}", dated.text));
            }
            let index = defs.len();
            defs.push(Def {
                name: block.id.text.clone(),
                kind: Kind::Block,
                span: block.id.span,
                extent: block.span,
                detail: head,
                parent: None,
            });
            for rule in &block.rules {
                defs.push(rule_def(rule, Some((index, &block.title.text))));
            }
        }
        Item::Rule(rule) => defs.push(rule_def(rule, None)),
        Item::Assertion(assertion) => {
            let mut detail = format!("**{}** {} (assertion)", assertion.id.text, assertion.title.text);
            for cite in &assertion.cites {
                detail.push_str(&format!("\n\n- {}", cite.text));
            }
            defs.push(Def {
                name: assertion.id.text.clone(),
                kind: Kind::Assertion,
                span: assertion.id.span,
                extent: assertion.span,
                detail,
                parent: None,
            });
        }
    }
}

/// A top-level declaration's entry.
fn top(name: &ast::Name, kind: Kind, extent: Span, detail: String) -> Def {
    Def { name: name.text.clone(), kind, span: name.span, extent, detail, parent: None }
}

fn rule_def(rule: &ast::Rule, block: Option<(usize, &String)>) -> Def {
    let mut detail = format!("**{}** {}", rule.id.text, rule.title.text);
    if let Some((_, title)) = block {
        detail.push_str(&format!(" — {title}"));
    }
    for cite in &rule.cites {
        detail.push_str(&format!("\n\n- {}", cite.text));
    }
    let mut dates = Vec::new();
    dates.extend(rule.effective.iter().map(|dated| format!("in force from {}", dated.text)));
    dates.extend(rule.until.iter().map(|dated| format!("until {}", dated.text)));
    dates.extend(rule.confidence.iter().map(|(level, _)| format!("confidence {}", level.as_str())));
    if !dates.is_empty() {
        detail.push_str(&format!("\n\n{}", dates.join(", ")));
    }
    Def {
        name: rule.id.text.clone(),
        kind: Kind::Rule,
        span: rule.id.span,
        extent: rule.span,
        detail,
        parent: block.map(|(index, _)| index),
    }
}

/// The words of a file outside comments and strings.
fn words(file: FileId, text: &str) -> Vec<(Span, String)> {
    let skipped: Vec<(usize, usize)> = lexer::tokens(text)
        .into_iter()
        .filter(|token| matches!(token.kind, Some(Token::Comment | Token::String)))
        .map(|token| (token.start, token.end))
        .collect();
    let word_char = |char: char| char.is_ascii_alphanumeric() || matches!(char, '_' | '.' | '-');
    let mut out = Vec::new();
    let mut skip = skipped.iter().peekable();
    let mut start: Option<usize> = None;
    let push = |from: usize, to: usize, out: &mut Vec<(Span, String)>| {
        let word = text.get(from..to).unwrap_or("");
        let trimmed_start = word.len() - word.trim_start_matches(['.', '-']).len();
        let word = word.trim_matches(['.', '-']);
        if word.chars().next().is_some_and(|first| first.is_ascii_alphabetic() || first == '_') {
            let from = from + trimmed_start;
            out.push((Span::new(file, from, from + word.len()), word.to_string()));
        }
    };
    let mut offset = 0;
    for char in text.chars() {
        while skip.peek().is_some_and(|(_, end)| *end <= offset) {
            skip.next();
        }
        let inside = skip.peek().is_some_and(|(from, end)| *from <= offset && offset < *end);
        if word_char(char) && !inside {
            start.get_or_insert(offset);
        } else if let Some(from) = start.take() {
            push(from, offset, &mut out);
        }
        offset += char.len_utf8();
    }
    if let Some(from) = start {
        push(from, text.len(), &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(text: &str) -> (Index, FileId) {
        let loaded = crate::load::load_texts(&[(String::from("a.tenet"), text.to_string())]);
        (Index::new(&loaded), FileId(0))
    }

    #[test]
    fn words_skip_comments_and_strings() {
        let text = "// data.x\nterm t means data.x is \"US-6\" and US-6";
        let found: Vec<String> = words(FileId(0), text).into_iter().map(|(_, word)| word).collect();
        assert_eq!(found, ["term", "t", "means", "data.x", "is", "and", "US-6"]);
    }

    #[test]
    fn definition_and_references_of_a_term() {
        let text = "enum D { yes }\nfact a : bool\noutcome d : one of D\nterm t means a\nrule R-1 \"x\" {\n  cite \"c\"\n  when t\n  then set d to yes\n}\n";
        let (index, file) = index(text);
        let used = text.find("when t").map_or(0, |at| at + 5);
        let defined = text.find("term t").map_or(0, |at| at + 5);
        assert_eq!(index.definition(file, used).first().map(|span| span.range().start), Some(defined));
        assert_eq!(index.references(file, used).len(), 2);
        assert!(index.hover(file, used).is_some_and(|(_, text)| text.contains("term t means a")));
    }
}
