//! `lexum lsp`: a language server over standard input and output (issue
//! 16), on `lsp-server` and `lsp-types`. Documents are synced whole; on
//! every change the checker runs and its diagnostics are published (every
//! code, span and related span). Navigation comes from `index.rs`, built
//! from the parsed AST, so it works while the program still has errors.
//! Formatting is `lexum fmt`.

pub mod index;
pub mod lines;

use std::collections::BTreeMap;
use std::error::Error;

use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Notification as _,
    PublishDiagnostics,
};
use lsp_types::request::{
    Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest, References,
    Rename, Request as _,
};
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionResponse, DiagnosticRelatedInformation,
    DiagnosticSeverity, DocumentSymbol, DocumentSymbolResponse, GotoDefinitionResponse, Hover,
    HoverContents, Location, MarkupContent, MarkupKind, NumberOrString, OneOf, Position,
    PublishDiagnosticsParams, ServerCapabilities, SymbolKind, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextEdit, Uri, WorkspaceEdit,
};
use serde_json::Value as Json;

use crate::syntax::token::Kw;
use index::{Index, Kind};
use lines::Lines;

type Failure = Box<dyn Error + Send + Sync>;

/// Runs the server until the client says `exit`.
pub fn serve() -> Result<(), Failure> {
    let (connection, io) = Connection::stdio();
    let capabilities = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(lsp_types::HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        completion_provider: Some(lsp_types::CompletionOptions {
            trigger_characters: Some(vec![".".into()]),
            ..Default::default()
        }),
        document_symbol_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        ..Default::default()
    };
    connection.initialize(serde_json::to_value(capabilities)?)?;
    let mut server = Server {
        connection: &connection,
        docs: BTreeMap::new(),
    };
    for msg in &connection.receiver {
        match msg {
            Message::Request(req) => {
                if connection.handle_shutdown(&req)? {
                    break;
                }
                let id = req.id.clone();
                // A bug in one answer must not take the editor's server
                // down: it becomes an error answer (its panic is printed
                // on standard error).
                let answered =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| server.request(req)));
                let failed = match answered {
                    Ok(Ok(())) => None,
                    // Unreadable parameters.
                    Ok(Err(e)) => Some((lsp_server::ErrorCode::InvalidParams, e.to_string())),
                    Err(_) => Some((
                        lsp_server::ErrorCode::InternalError,
                        "this request hit a bug in lexum (see its standard error)".to_string(),
                    )),
                };
                if let Some((code, message)) = failed {
                    server.send(Message::Response(Response::new_err(
                        id,
                        code as i32,
                        message,
                    )))?;
                }
            }
            // A notification that cannot be read is dropped.
            Message::Notification(n) => {
                let _ = server.notification(n);
            }
            Message::Response(_) => {}
        }
    }
    drop(server);
    // The writer thread ends when the connection's sender is gone.
    drop(connection);
    io.join()?;
    Ok(())
}

/// One open document and what is known of it. The index is built on the
/// first request that needs it, not on every keystroke.
struct Doc {
    text: String,
    ast: Option<crate::syntax::ast::Program>,
    index: std::cell::OnceCell<Index>,
    diagnostics: Vec<crate::diag::Diagnostic>,
}

impl Doc {
    fn new(text: String) -> Doc {
        // The CLI's thread has the front end's large stack.
        let (mut checked, ast) = crate::check::check_parsed(&text);
        let diagnostics = std::mem::take(&mut checked.diagnostics);
        // Freed while the next edit is read, not before this one is answered.
        crate::check::free_in_background(checked);
        Doc {
            text,
            ast,
            index: std::cell::OnceCell::new(),
            diagnostics,
        }
    }

    fn index(&self) -> &Index {
        self.index
            .get_or_init(|| self.ast.as_ref().map(Index::build).unwrap_or_default())
    }
}

struct Server<'c> {
    connection: &'c Connection,
    docs: BTreeMap<String, Doc>,
}

fn params<T: serde::de::DeserializeOwned>(v: Json) -> Result<T, Failure> {
    Ok(serde_json::from_value(v)?)
}

impl Server<'_> {
    fn send(&self, m: Message) -> Result<(), Failure> {
        self.connection.sender.send(m)?;
        Ok(())
    }

    fn reply(&self, id: RequestId, result: impl serde::Serialize) -> Result<(), Failure> {
        self.send(Message::Response(Response::new_ok(id, result)))
    }

    fn notification(&mut self, n: Notification) -> Result<(), Failure> {
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let p: lsp_types::DidOpenTextDocumentParams = params(n.params)?;
                self.update(p.text_document.uri, p.text_document.text)?;
            }
            DidChangeTextDocument::METHOD => {
                let p: lsp_types::DidChangeTextDocumentParams = params(n.params)?;
                // Full sync: the last change is the whole text.
                if let Some(change) = p.content_changes.into_iter().last() {
                    self.update(p.text_document.uri, change.text)?;
                }
            }
            DidCloseTextDocument::METHOD => {
                let p: lsp_types::DidCloseTextDocumentParams = params(n.params)?;
                self.docs.remove(p.text_document.uri.as_str());
                self.publish(&p.text_document.uri, Vec::new())?;
            }
            _ => {}
        }
        Ok(())
    }

    fn update(&mut self, uri: Uri, text: String) -> Result<(), Failure> {
        let doc = Doc::new(text);
        let lines = Lines::new(&doc.text);
        let diagnostics = doc
            .diagnostics
            .iter()
            .map(|d| to_lsp(d, &lines, &uri))
            .collect();
        self.publish(&uri, diagnostics)?;
        // The old document is freed on another thread (that takes time, and
        // the next edit may already be waiting).
        if let Some(old) = self.docs.insert(uri.as_str().to_string(), doc) {
            crate::check::free_in_background(old);
        }
        Ok(())
    }

    fn publish(&self, uri: &Uri, diagnostics: Vec<lsp_types::Diagnostic>) -> Result<(), Failure> {
        self.send(Message::Notification(Notification::new(
            PublishDiagnostics::METHOD.into(),
            PublishDiagnosticsParams {
                uri: uri.clone(),
                diagnostics,
                version: None,
            },
        )))
    }

    fn request(&mut self, req: Request) -> Result<(), Failure> {
        let id = req.id.clone();
        let result = match req.method.as_str() {
            HoverRequest::METHOD => {
                let p: lsp_types::HoverParams = params(req.params)?;
                let at = p.text_document_position_params;
                serde_json::to_value(self.hover(&at.text_document.uri, at.position))?
            }
            GotoDefinition::METHOD => {
                let p: lsp_types::GotoDefinitionParams = params(req.params)?;
                let at = p.text_document_position_params;
                let uri = at.text_document.uri;
                let found = self.symbol_at(&uri, at.position).map(|(doc, _, id)| {
                    let lines = Lines::new(&doc.text);
                    GotoDefinitionResponse::Scalar(Location::new(
                        uri.clone(),
                        lines.range(doc.index().symbols[id].decl),
                    ))
                });
                serde_json::to_value(found)?
            }
            References::METHOD => {
                let p: lsp_types::ReferenceParams = params(req.params)?;
                let at = p.text_document_position;
                let uri = at.text_document.uri;
                let with_decl = p.context.include_declaration;
                let found = self.symbol_at(&uri, at.position).map(|(doc, _, id)| {
                    let lines = Lines::new(&doc.text);
                    let decl = doc.index().symbols[id].decl;
                    doc.index()
                        .uses(id)
                        .filter(|s| with_decl || *s != decl)
                        .map(|s| Location::new(uri.clone(), lines.range(s)))
                        .collect::<Vec<_>>()
                });
                serde_json::to_value(found)?
            }
            Completion::METHOD => {
                let p: lsp_types::CompletionParams = params(req.params)?;
                let at = p.text_document_position;
                serde_json::to_value(self.complete(&at.text_document.uri, at.position))?
            }
            DocumentSymbolRequest::METHOD => {
                let p: lsp_types::DocumentSymbolParams = params(req.params)?;
                serde_json::to_value(self.symbols(&p.text_document.uri))?
            }
            Rename::METHOD => {
                let p: lsp_types::RenameParams = params(req.params)?;
                let at = p.text_document_position;
                match self.rename(&at.text_document.uri, at.position, &p.new_name) {
                    Ok(edit) => serde_json::to_value(edit)?,
                    Err(why) => {
                        return self.send(Message::Response(Response::new_err(
                            id,
                            lsp_server::ErrorCode::InvalidParams as i32,
                            why,
                        )))
                    }
                }
            }
            Formatting::METHOD => {
                let p: lsp_types::DocumentFormattingParams = params(req.params)?;
                serde_json::to_value(self.format(&p.text_document.uri))?
            }
            _ => {
                return self.send(Message::Response(Response::new_err(
                    id,
                    lsp_server::ErrorCode::MethodNotFound as i32,
                    format!("`{}` is not supported", req.method),
                )))
            }
        };
        self.reply(id, result)
    }

    fn symbol_at(
        &self,
        uri: &Uri,
        p: Position,
    ) -> Option<(&Doc, crate::syntax::span::Span, usize)> {
        let doc = self.docs.get(uri.as_str())?;
        let offset = Lines::new(&doc.text).offset(p);
        let (span, id) = doc.index().at(offset)?;
        Some((doc, span, id))
    }

    fn hover(&self, uri: &Uri, p: Position) -> Option<Hover> {
        let doc = self.docs.get(uri.as_str())?;
        let lines = Lines::new(&doc.text);
        let offset = lines.offset(p);
        let mut parts = Vec::new();
        let mut range = None;
        if let Some((span, id)) = doc.index().at(offset) {
            let s = &doc.index().symbols[id];
            let mut text = format!("```lexum\n{}\n```", s.signature);
            match s.kind {
                Kind::Var => {
                    let owner = s.name.split('.').next().unwrap_or("");
                    text.push_str(&format!(
                        "\n\nOwned by `{owner}`: only its handlers and repairs may write it."
                    ));
                }
                Kind::Goal | Kind::Invariant => {
                    if let Some(p) = &s.priority {
                        text.push_str(&format!("\n\nPriority `{p}`."));
                    }
                    if !s.reads.is_empty() {
                        let reads: Vec<String> = s.reads.iter().map(|r| format!("`{r}`")).collect();
                        text.push_str(&format!("\n\nReads {}.", reads.join(", ")));
                    }
                }
                _ => {}
            }
            parts.push(text);
            range = Some(lines.range(span));
        }
        // The explanation of a diagnostic under the cursor.
        for d in &doc.diagnostics {
            if d.span.start <= offset && offset <= d.span.end {
                let first = d.code.explain().split("\n\n").nth(1).unwrap_or("");
                parts.push(format!(
                    "**{}** {}: {}\n\n{first}\n\n(`lexum explain {}` says more)",
                    d.code.as_str(),
                    d.code.title(),
                    d.message,
                    d.code.as_str()
                ));
                range.get_or_insert(lines.range(d.span));
            }
        }
        if parts.is_empty() {
            return None;
        }
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: parts.join("\n\n---\n\n"),
            }),
            range,
        })
    }

    fn complete(&self, uri: &Uri, p: Position) -> Option<CompletionResponse> {
        let doc = self.docs.get(uri.as_str())?;
        let offset = Lines::new(&doc.text).offset(p);
        let before = &doc.text[..offset];
        let item = |label: String, kind, detail: String| CompletionItem {
            label,
            kind: Some(kind),
            detail: Some(detail),
            ..Default::default()
        };
        // After `Domain.`: its variables and handlers.
        let word_start = name_start(before);
        if before[..word_start].ends_with('.') {
            let owner_end = word_start - 1;
            let owner = &before[name_start(&before[..owner_end])..owner_end];
            let items: Vec<CompletionItem> = doc
                .index()
                .symbols
                .iter()
                .filter_map(|s| {
                    let member = s.name.strip_prefix(owner)?.strip_prefix('.')?;
                    let kind = match s.kind {
                        Kind::Var => CompletionItemKind::FIELD,
                        Kind::Handler => CompletionItemKind::METHOD,
                        _ => return None,
                    };
                    Some(item(member.to_string(), kind, s.signature.clone()))
                })
                .collect();
            return Some(CompletionResponse::Array(items));
        }
        let mut items: Vec<CompletionItem> = Kw::ALL
            .iter()
            .map(|(k, _)| item(k.to_string(), CompletionItemKind::KEYWORD, "keyword".into()))
            .collect();
        items.extend(crate::ir::Builtin::ALL.iter().map(|(name, b)| {
            item(
                name.to_string(),
                CompletionItemKind::FUNCTION,
                crate::check::builtins::signature(*b).to_string(),
            )
        }));
        for s in &doc.index().symbols {
            let (label, kind) = match s.kind {
                Kind::Domain => (s.name.clone(), CompletionItemKind::MODULE),
                Kind::Effect => (s.name.clone(), CompletionItemKind::FUNCTION),
                _ => continue,
            };
            items.push(item(label, kind, s.signature.clone()));
        }
        Some(CompletionResponse::Array(items))
    }

    fn symbols(&self, uri: &Uri) -> Option<DocumentSymbolResponse> {
        let doc = self.docs.get(uri.as_str())?;
        let lines = Lines::new(&doc.text);
        #[allow(deprecated)] // `deprecated` must be given; it is `None`
        let symbol = |s: &index::Symbol, name: String, children| DocumentSymbol {
            name,
            detail: Some(s.signature.clone()),
            kind: match s.kind {
                Kind::Domain => SymbolKind::MODULE,
                Kind::Var => SymbolKind::FIELD,
                Kind::Handler => SymbolKind::METHOD,
                Kind::Goal | Kind::Invariant => SymbolKind::BOOLEAN,
                Kind::Effect => SymbolKind::FUNCTION,
            },
            tags: None,
            deprecated: None,
            range: lines.range(s.extent),
            selection_range: lines.range(s.decl),
            children,
        };
        let ix = doc.index();
        let mut out = Vec::new();
        for (id, s) in ix.symbols.iter().enumerate() {
            match s.kind {
                Kind::Effect => out.push(symbol(s, s.name.clone(), None)),
                Kind::Domain => {
                    let children = ix
                        .symbols
                        .iter()
                        .enumerate()
                        .filter(|(i, c)| *i != id && c.domain == s.domain && c.kind != Kind::Domain)
                        .map(|(_, c)| {
                            let short = c.name.rsplit('.').next().unwrap_or(&c.name).to_string();
                            symbol(c, short, None)
                        })
                        .collect();
                    out.push(symbol(s, s.name.clone(), Some(children)));
                }
                _ => {}
            }
        }
        Some(DocumentSymbolResponse::Nested(out))
    }

    fn rename(&self, uri: &Uri, p: Position, new_name: &str) -> Result<WorkspaceEdit, String> {
        let Some((doc, _, id)) = self.symbol_at(uri, p) else {
            return Err("nothing to rename here".into());
        };
        let s = &doc.index().symbols[id];
        if !matches!(s.kind, Kind::Domain | Kind::Var | Kind::Handler) {
            return Err("only domains, state variables and handlers can be renamed".into());
        }
        let ident = new_name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && new_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
            && Kw::from_ident(new_name).is_none();
        if !ident {
            return Err(format!(
                "`{new_name}` is not a name (letters, digits, `_`; no keyword)"
            ));
        }
        let lines = Lines::new(&doc.text);
        let edits: Vec<TextEdit> = doc
            .index()
            .uses(id)
            .map(|span| TextEdit::new(lines.range(span), new_name.to_string()))
            .collect();
        // lsp-types keys a workspace edit by `Uri` (which clippy thinks
        // mutable: it caches parts); it is never changed here.
        #[allow(clippy::mutable_key_type)]
        let mut changes = std::collections::HashMap::new();
        changes.insert(uri.clone(), edits);
        Ok(WorkspaceEdit {
            changes: Some(changes),
            ..Default::default()
        })
    }

    fn format(&self, uri: &Uri) -> Option<Vec<TextEdit>> {
        let doc = self.docs.get(uri.as_str())?;
        let formatted = crate::format::format_source(&doc.text).ok()?;
        if formatted == doc.text {
            return Some(Vec::new());
        }
        Some(vec![TextEdit::new(Lines::new(&doc.text).all(), formatted)])
    }
}

/// Where the name that `text` ends with starts (names are ASCII; the
/// character before may not be).
fn name_start(text: &str) -> usize {
    text.char_indices()
        .rev()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
        .map_or(0, |(i, c)| i + c.len_utf8())
}

/// A checker diagnostic as LSP has it: the primary span, the label and
/// help in the message, secondary labels as related information.
fn to_lsp(d: &crate::diag::Diagnostic, lines: &Lines, uri: &Uri) -> lsp_types::Diagnostic {
    let mut message = d.message.clone();
    if !d.label.is_empty() {
        message.push_str(&format!("\n{}", d.label));
    }
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    for n in &d.notes {
        message.push_str(&format!("\nnote: {n}"));
    }
    let related: Vec<DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .map(|l| DiagnosticRelatedInformation {
            location: Location::new(uri.clone(), lines.range(l.span)),
            message: l.message.clone(),
        })
        .collect();
    lsp_types::Diagnostic {
        range: lines.range(d.span),
        severity: Some(if d.is_error() {
            DiagnosticSeverity::ERROR
        } else {
            DiagnosticSeverity::WARNING
        }),
        code: Some(NumberOrString::String(d.code.as_str().into())),
        source: Some("lexum".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..Default::default()
    }
}
