//! `tenet lsp`: the language server, over standard input and output.
//!
//! One synchronous loop (lsp-server's transport, lsp-types' messages; no async
//! runtime): each request is answered from the same front end as `tenet check`,
//! run over the whole rule set a file belongs to, with the open buffers in place
//! of the files on disk. Diagnostics are published for every file of the set on
//! open, change and save; the editor services themselves (definition,
//! references, hover, completion, symbols, rename) are `tenet::ide`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types as lsp;
use serde_json::{Value as Json, json};

use tenet::diag::{Diagnostic, Severity};
use tenet::ide::{Index, Kind};
use tenet::load::{Loaded, load_in_set, rule_set_root};
use tenet::source::{FileId, Source, Span};
use tenet::syntax::lexer::KEYWORDS;

/// Runs the server until the client says `exit`; 0 after a clean shutdown.
pub fn run() -> u8 {
    let (connection, threads) = Connection::stdio();
    let code = match serve(&connection) {
        Ok(()) => 0,
        Err(why) => {
            eprintln!("tenet lsp: {why}");
            1
        }
    };
    drop(connection);
    let _ = threads.join();
    code
}

fn capabilities(encoding: &lsp::PositionEncodingKind) -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        position_encoding: Some(encoding.clone()),
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(lsp::TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(lsp::TextDocumentSyncKind::FULL),
            save: Some(lsp::TextDocumentSyncSaveOptions::Supported(true)),
            ..Default::default()
        })),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lsp::OneOf::Left(true)),
        references_provider: Some(lsp::OneOf::Left(true)),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        document_formatting_provider: Some(lsp::OneOf::Left(true)),
        rename_provider: Some(lsp::OneOf::Left(true)),
        completion_provider: Some(lsp::CompletionOptions::default()),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Simple(true)),
        ..Default::default()
    }
}

fn serve(connection: &Connection) -> Result<(), String> {
    let (id, params) = connection.initialize_start().map_err(|error| error.to_string())?;
    let params: lsp::InitializeParams = serde_json::from_value(params).map_err(|error| error.to_string())?;
    // UTF-8 positions where the client offers them (no conversion); UTF-16 otherwise, as LSP requires.
    let offered = params.capabilities.general.and_then(|general| general.position_encodings).unwrap_or_default();
    let encoding = if offered.contains(&lsp::PositionEncodingKind::UTF8) {
        lsp::PositionEncodingKind::UTF8
    } else {
        lsp::PositionEncodingKind::UTF16
    };
    let result = json!({
        "capabilities": capabilities(&encoding),
        "serverInfo": { "name": "tenet", "version": env!("CARGO_PKG_VERSION") },
    });
    connection.initialize_finish(id, result).map_err(|error| error.to_string())?;
    let mut server = Server { utf8: encoding == lsp::PositionEncodingKind::UTF8, ..Server::default() };
    for message in &connection.receiver {
        match message {
            Message::Request(request) => {
                if connection.handle_shutdown(&request).map_err(|error| error.to_string())? {
                    return Ok(());
                }
                let response = server.request(request);
                send(connection, Message::Response(response))?;
            }
            Message::Notification(notification) => {
                for out in server.notification(notification) {
                    send(connection, Message::Notification(out))?;
                }
            }
            Message::Response(_) => {}
        }
    }
    Ok(())
}

fn send(connection: &Connection, message: Message) -> Result<(), String> {
    connection.sender.send(message).map_err(|error| error.to_string())
}

#[derive(Default)]
struct Server {
    utf8: bool,
    /// Open buffers, by file path: their text replaces the file on disk.
    open: BTreeMap<PathBuf, String>,
    /// Files that have diagnostics published, so that a fixed file is cleared.
    published: BTreeSet<PathBuf>,
}

/// A rule set loaded for one request: the front end's result, the index, and the
/// path of each source.
struct Set {
    loaded: Loaded,
    index: Index,
    paths: Vec<PathBuf>,
}

impl Set {
    fn file(&self, path: &Path) -> Option<FileId> {
        self.paths.iter().position(|known| known == path).map(|index| FileId(index as u32))
    }

    fn source(&self, file: FileId) -> Option<&Source> {
        self.loaded.sources.get(file)
    }

    fn path(&self, file: FileId) -> Option<&PathBuf> {
        self.paths.get(file.0 as usize)
    }
}

impl Server {
    fn load(&self, file: &Path) -> Set {
        let read = |path: &Path| self.open.get(path).cloned().or_else(|| std::fs::read_to_string(path).ok());
        let (loaded, paths) = load_in_set(file, read);
        let index = Index::new(&loaded);
        Set { loaded, index, paths }
    }

    fn notification(&mut self, notification: Notification) -> Vec<Notification> {
        let path = match notification.method.as_str() {
            "textDocument/didOpen" => {
                let Ok(params) = serde_json::from_value::<lsp::DidOpenTextDocumentParams>(notification.params) else {
                    return Vec::new();
                };
                let Some(path) = path_of(&params.text_document.uri) else { return Vec::new() };
                self.open.insert(path.clone(), params.text_document.text);
                path
            }
            "textDocument/didChange" => {
                let Ok(params) = serde_json::from_value::<lsp::DidChangeTextDocumentParams>(notification.params) else {
                    return Vec::new();
                };
                let Some(path) = path_of(&params.text_document.uri) else { return Vec::new() };
                // Full synchronisation: the last change holds the whole text.
                if let Some(change) = params.content_changes.into_iter().last() {
                    self.open.insert(path.clone(), change.text);
                }
                path
            }
            "textDocument/didSave" => {
                let Ok(params) = serde_json::from_value::<lsp::DidSaveTextDocumentParams>(notification.params) else {
                    return Vec::new();
                };
                let Some(path) = path_of(&params.text_document.uri) else { return Vec::new() };
                path
            }
            "textDocument/didClose" => {
                let Ok(params) = serde_json::from_value::<lsp::DidCloseTextDocumentParams>(notification.params) else {
                    return Vec::new();
                };
                if let Some(path) = path_of(&params.text_document.uri) {
                    self.open.remove(&path);
                    return self.diagnose(&path);
                }
                return Vec::new();
            }
            _ => return Vec::new(),
        };
        self.diagnose(&path)
    }

    /// Diagnostics for every file of the rule set `path` belongs to.
    fn diagnose(&mut self, path: &Path) -> Vec<Notification> {
        let set = self.load(path);
        let mut by_file: BTreeMap<PathBuf, Vec<lsp::Diagnostic>> =
            set.paths.iter().map(|path| (path.clone(), Vec::new())).collect();
        for diagnostic in &set.loaded.diagnostics {
            let Some((span, _)) = &diagnostic.primary else { continue };
            let Some(path) = set.path(span.file) else { continue };
            let Some(source) = set.source(span.file) else { continue };
            by_file.entry(path.clone()).or_default().push(self.diagnostic(diagnostic, source, &set));
        }
        let mut out = Vec::new();
        // Files that had problems and are no longer in the set are cleared too.
        for stale in self.published.iter().filter(|stale| !by_file.contains_key(*stale)) {
            if rule_set_root(stale) == rule_set_root(path) {
                out.push(publish(stale, Vec::new()));
            }
        }
        self.published.retain(|known| rule_set_root(known) != rule_set_root(path));
        for (file, diagnostics) in by_file {
            if !diagnostics.is_empty() {
                self.published.insert(file.clone());
            }
            out.push(publish(&file, diagnostics));
        }
        out
    }

    fn diagnostic(&self, diagnostic: &Diagnostic, source: &Source, set: &Set) -> lsp::Diagnostic {
        let (span, label) = diagnostic.primary.clone().unwrap_or_default();
        let mut message = diagnostic.message.clone();
        if !label.is_empty() && label != diagnostic.message {
            message.push_str(&format!("\n{label}"));
        }
        if let Some(help) = &diagnostic.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        let related: Vec<lsp::DiagnosticRelatedInformation> = diagnostic
            .secondary
            .iter()
            .filter_map(|(span, label)| {
                let path = set.path(span.file)?;
                let source = set.source(span.file)?;
                Some(lsp::DiagnosticRelatedInformation {
                    location: lsp::Location { uri: uri_of(path)?, range: self.range(source, *span) },
                    message: label.clone(),
                })
            })
            .collect();
        lsp::Diagnostic {
            range: self.range(source, span),
            severity: Some(match diagnostic.severity {
                Severity::Error => lsp::DiagnosticSeverity::ERROR,
                Severity::Warning => lsp::DiagnosticSeverity::WARNING,
            }),
            code: Some(lsp::NumberOrString::String(diagnostic.code.to_string())),
            source: Some(String::from("tenet")),
            message,
            related_information: (!related.is_empty()).then_some(related),
            // The quick fix a code action offers: the did-you-mean replacement.
            data: diagnostic.help.as_deref().and_then(suggestion).map(|replace| json!({ "replace": replace })),
            ..Default::default()
        }
    }

    fn request(&mut self, request: Request) -> Response {
        let id = request.id.clone();
        let result = match request.method.as_str() {
            "textDocument/hover" => self.hover(request.params),
            "textDocument/definition" => self.definition(request.params),
            "textDocument/references" => self.references(request.params),
            "textDocument/completion" => self.completion(request.params),
            "textDocument/documentSymbol" => self.symbols(request.params),
            "textDocument/formatting" => self.formatting(request.params),
            "textDocument/rename" => self.rename(request.params),
            "textDocument/codeAction" => self.code_actions(request.params),
            other => Err((ErrorCode::MethodNotFound, format!("tenet lsp does not handle `{other}`"))),
        };
        respond(id, result)
    }

    /// The rule set, file and byte offset of a text document position.
    fn at(&self, position: &lsp::TextDocumentPositionParams) -> Result<(Set, FileId, usize), (ErrorCode, String)> {
        let path = path_of(&position.text_document.uri)
            .ok_or_else(|| (ErrorCode::InvalidParams, String::from("only file: URIs are supported")))?;
        let set = self.load(&path);
        let file =
            set.file(&path).ok_or_else(|| (ErrorCode::InvalidParams, format!("{} is not loaded", path.display())))?;
        let source = set.source(file).ok_or_else(|| (ErrorCode::InternalError, String::from("no source")))?;
        let offset = self.offset(source, position.position);
        Ok((set, file, offset))
    }

    fn hover(&self, params: Json) -> Result<Json, (ErrorCode, String)> {
        let params: lsp::HoverParams = parse(params)?;
        let (set, file, offset) = self.at(&params.text_document_position_params)?;
        let Some((span, text)) = set.index.hover(file, offset) else { return Ok(Json::Null) };
        let source = set.source(file).ok_or_else(no_source)?;
        to_json(lsp::Hover {
            contents: lsp::HoverContents::Markup(lsp::MarkupContent { kind: lsp::MarkupKind::Markdown, value: text }),
            range: Some(self.range(source, span)),
        })
    }

    fn definition(&self, params: Json) -> Result<Json, (ErrorCode, String)> {
        let params: lsp::GotoDefinitionParams = parse(params)?;
        let (set, file, offset) = self.at(&params.text_document_position_params)?;
        let locations = self.locations(&set, &set.index.definition(file, offset));
        to_json(locations)
    }

    fn references(&self, params: Json) -> Result<Json, (ErrorCode, String)> {
        let params: lsp::ReferenceParams = parse(params)?;
        let (set, file, offset) = self.at(&params.text_document_position)?;
        let mut spans = set.index.references(file, offset);
        if !params.context.include_declaration {
            let declared = set.index.definition(file, offset);
            spans.retain(|span| !declared.contains(span));
        }
        to_json(self.locations(&set, &spans))
    }

    fn locations(&self, set: &Set, spans: &[Span]) -> Vec<lsp::Location> {
        spans
            .iter()
            .filter_map(|span| {
                let source = set.source(span.file)?;
                Some(lsp::Location { uri: uri_of(set.path(span.file)?)?, range: self.range(source, *span) })
            })
            .collect()
    }

    fn completion(&self, params: Json) -> Result<Json, (ErrorCode, String)> {
        let params: lsp::CompletionParams = parse(params)?;
        let (set, _, _) = self.at(&params.text_document_position)?;
        let mut items: Vec<lsp::CompletionItem> = set
            .index
            .completions()
            .into_iter()
            .map(|(label, kind, detail)| lsp::CompletionItem {
                label,
                kind: Some(completion_kind(kind)),
                detail: Some(detail),
                ..Default::default()
            })
            .collect();
        items.extend(KEYWORDS.iter().map(|keyword| lsp::CompletionItem {
            label: (*keyword).to_string(),
            kind: Some(lsp::CompletionItemKind::KEYWORD),
            ..Default::default()
        }));
        to_json(items)
    }

    fn symbols(&self, params: Json) -> Result<Json, (ErrorCode, String)> {
        let params: lsp::DocumentSymbolParams = parse(params)?;
        let path = path_of(&params.text_document.uri).ok_or_else(bad_uri)?;
        let set = self.load(&path);
        let file = set.file(&path).ok_or_else(no_source)?;
        let source = set.source(file).ok_or_else(no_source)?;
        #[allow(deprecated, reason = "`deprecated` is a required field of the struct in lsp-types")]
        fn convert(server: &Server, source: &Source, symbol: tenet::ide::Symbol) -> lsp::DocumentSymbol {
            lsp::DocumentSymbol {
                name: symbol.name,
                detail: Some(symbol.detail),
                kind: symbol_kind(symbol.kind),
                tags: None,
                deprecated: None,
                range: server.range(source, symbol.extent),
                selection_range: server.range(source, symbol.span),
                children: Some(symbol.children.into_iter().map(|child| convert(server, source, child)).collect()),
            }
        }
        let symbols: Vec<lsp::DocumentSymbol> =
            set.index.symbols(file).into_iter().map(|symbol| convert(self, source, symbol)).collect();
        to_json(symbols)
    }

    fn formatting(&self, params: Json) -> Result<Json, (ErrorCode, String)> {
        let params: lsp::DocumentFormattingParams = parse(params)?;
        let path = path_of(&params.text_document.uri).ok_or_else(bad_uri)?;
        let text = self.open.get(&path).cloned().or_else(|| std::fs::read_to_string(&path).ok()).unwrap_or_default();
        // A file that does not parse is left as it is; its diagnostics say why.
        let Ok(formatted) = tenet::format::format(FileId(0), &text) else {
            return to_json(Vec::<lsp::TextEdit>::new());
        };
        if formatted == text {
            return to_json(Vec::<lsp::TextEdit>::new());
        }
        let source = Source::new(path.display().to_string(), text.as_str());
        let whole = Span::new(FileId(0), 0, text.len());
        to_json(vec![lsp::TextEdit { range: self.range(&source, whole), new_text: formatted }])
    }

    #[allow(clippy::mutable_key_type, reason = "lsp-types keys a WorkspaceEdit by its Uri type")]
    fn rename(&self, params: Json) -> Result<Json, (ErrorCode, String)> {
        let params: lsp::RenameParams = parse(params)?;
        let (set, file, offset) = self.at(&params.text_document_position)?;
        let spans = set.index.rename(file, offset, &params.new_name).map_err(|why| (ErrorCode::RequestFailed, why))?;
        let mut changes: std::collections::HashMap<lsp::Uri, Vec<lsp::TextEdit>> = std::collections::HashMap::new();
        for span in spans {
            let (Some(path), Some(source)) = (set.path(span.file), set.source(span.file)) else { continue };
            let Some(uri) = uri_of(path) else { continue };
            changes
                .entry(uri)
                .or_default()
                .push(lsp::TextEdit { range: self.range(source, span), new_text: params.new_name.clone() });
        }
        to_json(lsp::WorkspaceEdit { changes: Some(changes), ..Default::default() })
    }

    #[allow(clippy::mutable_key_type, reason = "lsp-types keys a WorkspaceEdit by its Uri type")]
    fn code_actions(&self, params: Json) -> Result<Json, (ErrorCode, String)> {
        let params: lsp::CodeActionParams = parse(params)?;
        let uri = params.text_document.uri;
        let actions: Vec<lsp::CodeActionOrCommand> = params
            .context
            .diagnostics
            .into_iter()
            .filter_map(|diagnostic| {
                // From `data`, or from the message for clients that do not send `data` back.
                let replace = diagnostic
                    .data
                    .as_ref()
                    .and_then(|data| data.get("replace")?.as_str().map(str::to_string))
                    .or_else(|| suggestion(&diagnostic.message))?;
                let edit = lsp::TextEdit { range: diagnostic.range, new_text: replace.clone() };
                let changes = std::collections::HashMap::from([(uri.clone(), vec![edit])]);
                Some(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                    title: format!("Replace with `{replace}`"),
                    kind: Some(lsp::CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![diagnostic]),
                    edit: Some(lsp::WorkspaceEdit { changes: Some(changes), ..Default::default() }),
                    is_preferred: Some(true),
                    ..Default::default()
                }))
            })
            .collect();
        to_json(actions)
    }

    /// A byte offset as an LSP position, in the negotiated encoding.
    fn position(&self, source: &Source, offset: usize) -> lsp::Position {
        let offset = offset.min(source.text.len());
        let line = source.line_of(offset);
        let start = source.line_start(line);
        let before = source.text.get(start..offset).unwrap_or("");
        let character = if self.utf8 { before.len() } else { before.encode_utf16().count() };
        lsp::Position { line: line as u32, character: character as u32 }
    }

    fn range(&self, source: &Source, span: Span) -> lsp::Range {
        let range = span.range();
        lsp::Range { start: self.position(source, range.start), end: self.position(source, range.end) }
    }

    /// An LSP position as a byte offset; past the end of a line is its end.
    fn offset(&self, source: &Source, position: lsp::Position) -> usize {
        let lines = source.line_of(source.text.len()) + 1;
        let line = (position.line as usize).min(lines.saturating_sub(1));
        let start = source.line_start(line);
        let end = if line + 1 < lines { source.line_start(line + 1) } else { source.text.len() };
        let text = source.text.get(start..end).unwrap_or("");
        let mut counted = 0;
        for (index, char) in text.char_indices() {
            if counted >= position.character as usize || char == '\n' || char == '\r' {
                return start + index;
            }
            counted += if self.utf8 { char.len_utf8() } else { char.len_utf16() };
        }
        end
    }
}

/// "did you mean `DE` (Germany)?" → `DE`.
fn suggestion(help: &str) -> Option<String> {
    let (_, rest) = help.split_once("did you mean `")?;
    let (word, _) = rest.split_once('`')?;
    Some(word.to_string())
}

fn completion_kind(kind: Kind) -> lsp::CompletionItemKind {
    match kind {
        Kind::Enum => lsp::CompletionItemKind::ENUM,
        Kind::Value => lsp::CompletionItemKind::ENUM_MEMBER,
        Kind::Fact => lsp::CompletionItemKind::FIELD,
        Kind::Set => lsp::CompletionItemKind::CONSTANT,
        Kind::Term => lsp::CompletionItemKind::FUNCTION,
        Kind::Outcome => lsp::CompletionItemKind::VARIABLE,
        Kind::Block => lsp::CompletionItemKind::MODULE,
        Kind::Rule | Kind::Assertion => lsp::CompletionItemKind::REFERENCE,
    }
}

fn symbol_kind(kind: Kind) -> lsp::SymbolKind {
    match kind {
        Kind::Enum => lsp::SymbolKind::ENUM,
        Kind::Value => lsp::SymbolKind::ENUM_MEMBER,
        Kind::Fact => lsp::SymbolKind::FIELD,
        Kind::Set => lsp::SymbolKind::CONSTANT,
        Kind::Term => lsp::SymbolKind::FUNCTION,
        Kind::Outcome => lsp::SymbolKind::VARIABLE,
        Kind::Block => lsp::SymbolKind::NAMESPACE,
        Kind::Rule | Kind::Assertion => lsp::SymbolKind::METHOD,
    }
}

fn publish(path: &Path, diagnostics: Vec<lsp::Diagnostic>) -> Notification {
    let params = json!({
        "uri": uri_of(path).map(|uri| uri.as_str().to_string()).unwrap_or_default(),
        "diagnostics": diagnostics,
    });
    Notification::new(String::from("textDocument/publishDiagnostics"), params)
}

fn respond(id: RequestId, result: Result<Json, (ErrorCode, String)>) -> Response {
    match result {
        Ok(value) => Response::new_ok(id, value),
        Err((code, message)) => Response::new_err(id, code as i32, message),
    }
}

fn parse<T: serde::de::DeserializeOwned>(params: Json) -> Result<T, (ErrorCode, String)> {
    serde_json::from_value(params).map_err(|error| (ErrorCode::InvalidParams, error.to_string()))
}

fn to_json(value: impl serde::Serialize) -> Result<Json, (ErrorCode, String)> {
    serde_json::to_value(value).map_err(|error| (ErrorCode::InternalError, error.to_string()))
}

fn bad_uri() -> (ErrorCode, String) {
    (ErrorCode::InvalidParams, String::from("only file: URIs are supported"))
}

fn no_source() -> (ErrorCode, String) {
    (ErrorCode::InternalError, String::from("the file is not part of its rule set"))
}

/// `file:///a/b%20c.tenet` → `/a/b c.tenet`.
fn path_of(uri: &lsp::Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    let bytes = rest.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(byte) = bytes.get(index) {
        if *byte == b'%'
            && let Some(hex) = rest.get(index + 1..index + 3)
            && let Ok(value) = u8::from_str_radix(hex, 16)
        {
            decoded.push(value);
            index += 3;
        } else {
            decoded.push(*byte);
            index += 1;
        }
    }
    let path = PathBuf::from(String::from_utf8(decoded).ok()?);
    Some(std::fs::canonicalize(&path).unwrap_or(path))
}

/// `/a/b c.tenet` → `file:///a/b%20c.tenet`.
fn uri_of(path: &Path) -> Option<lsp::Uri> {
    let mut encoded = String::from("file://");
    for byte in path.to_str()?.bytes() {
        if byte.is_ascii_alphanumeric() || b"/-_.~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded.parse().ok()
}
