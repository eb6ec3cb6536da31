//! The one place diagnostics become text: ariadne reports for people, JSON for tools.

use ariadne::{Color, Config, IndexType, Label as AriLabel, Report, ReportKind, Source};
use serde_json::{json, Value as Json};

use super::Diagnostic;

/// Clamps a span to the source and to character boundaries, so that a
/// diagnostic built from a bad span can never make rendering panic.
fn clamp(src: &str, start: usize, end: usize) -> std::ops::Range<usize> {
    let mut s = start.min(src.len());
    let mut e = end.min(src.len()).max(s);
    while !src.is_char_boundary(s) {
        s -= 1;
    }
    while !src.is_char_boundary(e) {
        e += 1;
    }
    s..e
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let r = clamp(src, offset, offset);
    let before = &src[..r.start];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

/// Renders a diagnostic about no place in a source file as one line:
/// `error[J004]: …` or `warning[J006]: …`.
pub fn render_line(d: &Diagnostic) -> String {
    let kind = if d.is_error() { "error" } else { "warning" };
    format!("{kind}[{}]: {}", d.code, d.message)
}

/// Renders diagnostics as ariadne reports. `file` is the name shown in the
/// report; `color` only when writing to a terminal.
pub fn render_text(diags: &[Diagnostic], file: &str, src: &str, color: bool) -> String {
    let mut out = Vec::new();
    let config = Config::default()
        .with_color(color)
        .with_index_type(IndexType::Byte);
    for d in diags {
        let kind = if d.is_error() {
            ReportKind::Error
        } else {
            ReportKind::Warning
        };
        let primary = if d.is_error() {
            Color::Red
        } else {
            Color::Yellow
        };
        let main = clamp(src, d.span.start, d.span.end);
        let mut report = Report::build(kind, (file, main.clone()))
            .with_config(config)
            .with_code(d.code)
            .with_message(&d.message)
            .with_label(
                AriLabel::new((file, main))
                    .with_message(if d.label.is_empty() {
                        d.message.clone()
                    } else {
                        d.label.clone()
                    })
                    .with_color(primary),
            );
        for l in &d.labels {
            report = report.with_label(
                AriLabel::new((file, clamp(src, l.span.start, l.span.end)))
                    .with_message(&l.message)
                    .with_color(Color::Blue),
            );
        }
        if let Some(h) = &d.help {
            report = report.with_help(h);
        }
        for n in &d.notes {
            report = report.with_note(n);
        }
        let source = Source::from(src);
        // Writing to a Vec cannot fail; a failure here would only lose the report text.
        let _ = report.finish().write((file, source), &mut out);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One JSON object per diagnostic: code, severity, message, file, line, column,
/// byte span, help. Line and column are 1-based; column counts characters.
pub fn to_json(diags: &[Diagnostic], file: &str, src: &str) -> Vec<Json> {
    diags
        .iter()
        .map(|d| {
            let (line, column) = line_col(src, d.span.start);
            let r = clamp(src, d.span.start, d.span.end);
            json!({
                "code": d.code.as_str(),
                "severity": if d.is_error() { "error" } else { "warning" },
                "message": d.message,
                "file": file,
                "line": line,
                "column": column,
                "span": { "start": r.start, "end": r.end },
                "label": d.label,
                "help": d.help,
                "notes": d.notes,
                "related": d.labels.iter().map(|l| {
                    let r = clamp(src, l.span.start, l.span.end);
                    json!({"message": l.message, "span": {"start": r.start, "end": r.end}})
                }).collect::<Vec<_>>(),
            })
        })
        .collect()
}
