//! `mpc lsp`: a Language Server Protocol server on stdio for `.mpc` files.
//!
//! Built on `lsp-server` (the message loop) and `lsp-types`. Documents are synced
//! whole (`TextDocumentSyncKind::FULL`); on every open and change the document is
//! analysed again (`mpc_compiler::analysis::analyze`: the compiler's own front end and
//! program form) and its diagnostics are published. Requests answered:
//! - hover: the innermost expression's type and the AND gates of the whole run that
//!   its source (subexpressions included) compiles to, and per run in a loop; on a
//!   call's name also the function's gates over all its calls (inlined calls leave
//!   their gates at the function's lines, not at the call);
//! - go to definition: variables, parameters, loop counters, functions, constants,
//!   structs and fields;
//! - inlay hints: each line's AND gates at its end.
//!
//! Anything malformed from the client (bad parameters, unknown methods) gets an error
//! response; nothing a client sends makes the server panic. The server keeps running
//! until `shutdown` and `exit`, or until the client closes the stream.

mod position;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Notification as _, PublishDiagnostics,
};
use lsp_types::request::{GotoDefinition, HoverRequest, InlayHintRequest, Request as _};
use lsp_types::{
    DiagnosticSeverity, GotoDefinitionResponse, Hover, HoverContents, HoverProviderCapability, InlayHint,
    InlayHintLabel, Location, MarkupContent, MarkupKind, OneOf, PublishDiagnosticsParams, ServerCapabilities,
    TextDocumentSyncCapability, TextDocumentSyncKind, Url,
};
use mpc_compiler::analysis::{analyze, Analysis, DefKind};
use mpc_compiler::Options;

use position::LineIndex;

/// Arguments of `mpc lsp`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Talk over stdin/stdout (the only transport; accepted because editors pass it).
    #[arg(long)]
    stdio: bool,
}

/// Serves one client on stdin/stdout until it exits.
pub fn run(_args: Args) -> anyhow::Result<()> {
    let (conn, io) = Connection::stdio();
    serve(&conn)?;
    drop(conn);
    io.join()?;
    Ok(())
}

/// What the server advertises.
fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        inlay_hint_provider: Some(OneOf::Left(true)),
        ..ServerCapabilities::default()
    }
}

/// An open document and what the compiler said about it.
#[derive(Debug)]
struct Doc {
    index: LineIndex,
    analysis: Analysis,
}

impl Doc {
    fn new(text: String) -> Doc {
        let analysis = analyze(&text, &Options::default());
        Doc { index: LineIndex::new(text), analysis }
    }
}

/// The initialize handshake, then the message loop.
pub fn serve(conn: &Connection) -> anyhow::Result<()> {
    conn.initialize(serde_json::to_value(capabilities())?)?;
    let mut docs: HashMap<Url, Doc> = HashMap::new();
    for msg in &conn.receiver {
        match msg {
            Message::Request(req) => {
                if conn.handle_shutdown(&req)? {
                    return Ok(());
                }
                let resp = respond(&docs, req);
                conn.sender.send(Message::Response(resp))?;
            }
            Message::Notification(n) => {
                if n.method == "exit" {
                    return Ok(());
                }
                if let Some((uri, diags)) = update(&mut docs, n) {
                    let params = PublishDiagnosticsParams { uri, diagnostics: diags, version: None };
                    let note = Notification::new(PublishDiagnostics::METHOD.to_string(), params);
                    conn.sender.send(Message::Notification(note))?;
                }
            }
            Message::Response(_) => {}
        }
    }
    Ok(())
}

/// Applies a document notification; the diagnostics to publish, if it changed one.
fn update(docs: &mut HashMap<Url, Doc>, n: Notification) -> Option<(Url, Vec<lsp_types::Diagnostic>)> {
    let uri = match n.method.as_str() {
        DidOpenTextDocument::METHOD => {
            let p: lsp_types::DidOpenTextDocumentParams = serde_json::from_value(n.params).ok()?;
            docs.insert(p.text_document.uri.clone(), Doc::new(p.text_document.text));
            p.text_document.uri
        }
        DidChangeTextDocument::METHOD => {
            let p: lsp_types::DidChangeTextDocumentParams = serde_json::from_value(n.params).ok()?;
            // Full sync: the last change is the whole text.
            let text = p.content_changes.into_iter().last()?.text;
            docs.insert(p.text_document.uri.clone(), Doc::new(text));
            p.text_document.uri
        }
        DidCloseTextDocument::METHOD => {
            let p: lsp_types::DidCloseTextDocumentParams = serde_json::from_value(n.params).ok()?;
            docs.remove(&p.text_document.uri);
            return Some((p.text_document.uri, Vec::new()));
        }
        _ => return None,
    };
    let doc = docs.get(&uri)?;
    Some((uri, diagnostics(doc)))
}

/// The compiler's diagnostics as LSP diagnostics (the help line appended).
fn diagnostics(doc: &Doc) -> Vec<lsp_types::Diagnostic> {
    doc.analysis
        .diagnostics
        .iter()
        .map(|d| {
            let mut message = d.message.clone();
            if let Some(label) = d.label.as_ref().filter(|l| **l != d.message) {
                message.push_str(&format!(" ({label})"));
            }
            if let Some(help) = &d.help {
                message.push_str(&format!("\nhelp: {help}"));
            }
            lsp_types::Diagnostic {
                range: doc.index.range(d.span),
                severity: Some(if d.is_error() {
                    DiagnosticSeverity::ERROR
                } else {
                    DiagnosticSeverity::WARNING
                }),
                source: Some("mpc".into()),
                message,
                ..lsp_types::Diagnostic::default()
            }
        })
        .collect()
}

fn error(id: RequestId, code: ErrorCode, message: String) -> Response {
    Response::new_err(id, code as i32, message)
}

/// Answers one request.
fn respond(docs: &HashMap<Url, Doc>, req: Request) -> Response {
    let id = req.id.clone();
    let result = match req.method.as_str() {
        HoverRequest::METHOD => serde_json::from_value(req.params)
            .map(|p: lsp_types::HoverParams| serde_json::to_value(hover(docs, &p))),
        GotoDefinition::METHOD => serde_json::from_value(req.params)
            .map(|p: lsp_types::GotoDefinitionParams| serde_json::to_value(definition(docs, &p))),
        InlayHintRequest::METHOD => serde_json::from_value(req.params)
            .map(|p: lsp_types::InlayHintParams| serde_json::to_value(inlay_hints(docs, &p))),
        other => return error(id, ErrorCode::MethodNotFound, format!("unknown method `{other}`")),
    };
    match result {
        Ok(Ok(value)) => Response { id, result: Some(value), error: None },
        Ok(Err(e)) => error(id, ErrorCode::InternalError, e.to_string()),
        Err(e) => error(id, ErrorCode::InvalidParams, format!("invalid parameters: {e}")),
    }
}

fn hover(docs: &HashMap<Url, Doc>, p: &lsp_types::HoverParams) -> Option<Hover> {
    let at = &p.text_document_position_params;
    let doc = docs.get(&at.text_document.uri)?;
    let pos = doc.index.offset(at.position);
    let (span, ty) = doc.analysis.type_at(pos)?;
    let mut text = format!("```mpc\n{ty}\n```");
    if let Some(costs) = &doc.analysis.costs {
        // The expression's own nodes and its subexpressions'.
        let inside = costs.spans.iter().filter(|(s, _)| span.lo <= s.lo && s.hi <= span.hi);
        let (and, runs) =
            inside.fold((0u128, 0u128), |(a, r), (_, c)| (a.saturating_add(c.and_gates), r.max(c.runs)));
        let own_runs = costs.spans.get(&span).map_or(runs, |c| c.runs);
        text.push_str(&format!("\n\nAND gates: {and}"));
        if own_runs > 1 {
            text.push_str(&format!(" in {own_runs} runs ({:.1} per run)", and as f64 / own_runs as f64));
        }
        // On a call's name: the function's gates, which sit at its own lines.
        let callee = doc.analysis.definition_at(pos).filter(|d| d.kind == DefKind::Function);
        if let Some(f) = callee.and_then(|d| costs.functions.iter().find(|f| f.span.lo == d.def_span.lo)) {
            text.push_str(&format!("\n\n`{}`: {} AND gates over all its calls", f.name, f.and_gates));
        }
    }
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value: text }),
        range: Some(doc.index.range(span)),
    })
}

fn definition(
    docs: &HashMap<Url, Doc>,
    p: &lsp_types::GotoDefinitionParams,
) -> Option<GotoDefinitionResponse> {
    let at = &p.text_document_position_params;
    let doc = docs.get(&at.text_document.uri)?;
    let d = doc.analysis.definition_at(doc.index.offset(at.position))?;
    let uri = at.text_document.uri.clone();
    Some(GotoDefinitionResponse::Scalar(Location { uri, range: doc.index.range(d.def_span) }))
}

fn inlay_hints(docs: &HashMap<Url, Doc>, p: &lsp_types::InlayHintParams) -> Option<Vec<InlayHint>> {
    let doc = docs.get(&p.text_document.uri)?;
    let costs = doc.analysis.costs.as_ref()?;
    let (first, last) = (p.range.start.line as usize, p.range.end.line as usize);
    let mut hints: Vec<InlayHint> = costs
        .lines
        .iter()
        .filter(|l| (first..=last).contains(&(l.line - 1)))
        .map(|l| {
            let label = if l.runs > 1 && l.and_gates % l.runs == 0 {
                format!("{} AND ({} x {})", l.and_gates, l.runs, l.and_gates / l.runs)
            } else if l.runs > 1 {
                format!("{} AND ({} x {:.1})", l.and_gates, l.runs, l.per_run())
            } else {
                format!("{} AND", l.and_gates)
            };
            InlayHint {
                position: doc.index.line_end(l.line - 1),
                label: InlayHintLabel::String(label),
                kind: None,
                text_edits: None,
                tooltip: None,
                padding_left: Some(true),
                padding_right: None,
                data: None,
            }
        })
        .collect();
    hints.sort_by_key(|h| h.position.line);
    Some(hints)
}
