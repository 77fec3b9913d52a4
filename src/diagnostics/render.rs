//! Rendering diagnostics: human text through miette, JSON for machines.

use std::fmt;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceSpan, SpanContents,
};
use serde_json::{json, Value};

use super::{Diagnostic, Severity};
use crate::source::{SourceFile, SourceMap, Span};

/// Bumped whenever the JSON shape of diagnostics changes incompatibly.
pub const JSON_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorChoice {
    Always,
    Never,
}

/// miette needs an owned `Diagnostic` implementation; this adapter borrows ours.
struct MietteView {
    message: String,
    code: &'static str,
    severity: Severity,
    help: Option<String>,
    labels: Vec<LabeledSpan>,
    source: Option<FileSource>,
}

/// A file as miette reads it. miette counts the header's column (`file:line:col`) in bytes; the
/// header's line and column come from [`SourceFile::line_col`] instead, the one rule every
/// renderer uses (columns count characters).
struct FileSource(SourceFile);

impl miette::SourceCode for FileSource {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self
            .0
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        // Only a read without context reports the span's own position; others start at a line.
        let (line, column) = if context_lines_before == 0 && context_lines_after == 0 {
            let (l, c) = self.0.line_col(span.offset());
            (l - 1, c - 1)
        } else {
            (inner.line(), inner.column())
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.0.name.clone(),
            inner.data(),
            *inner.span(),
            line,
            column,
            inner.line_count(),
        )))
    }
}

impl fmt::Debug for MietteView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl fmt::Display for MietteView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for MietteView {}

impl miette::Diagnostic for MietteView {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h.as_str()) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
}

fn location(map: &SourceMap, span: Span) -> String {
    match map.get(span.file) {
        Some(f) => {
            let (l, c) = f.line_col(span.start as usize);
            format!("{}:{l}:{c}", f.name)
        }
        None => "<unknown>".to_string(),
    }
}

fn source_span(span: Span) -> SourceSpan {
    SourceSpan::new(
        (span.start as usize).into(),
        (span.end - span.start) as usize,
    )
}

/// Render diagnostics as text for people, one report after another.
pub fn render_human(map: &SourceMap, diags: &[Diagnostic], color: ColorChoice) -> String {
    let theme = match color {
        ColorChoice::Always => GraphicalTheme::unicode(),
        ColorChoice::Never => GraphicalTheme::unicode_nocolor(),
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false);
    let mut out = String::new();
    for d in diags {
        let file = map.get(d.span.file).filter(|f| !f.text.is_empty());
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            d.label.clone(),
            source_span(d.span),
        )];
        let mut notes: Vec<String> = Vec::new();
        let line = |s: Span| {
            map.get(s.file)
                .map(|f| f.line_of(s.start as usize))
                .unwrap_or(0)
        };
        for (span, label) in &d.related {
            // A place far from the primary one reads better as a note than as a long excerpt.
            if span.file == d.span.file && line(*span).abs_diff(line(d.span)) <= 6 {
                labels.push(LabeledSpan::new_with_span(
                    Some(label.clone()),
                    source_span(*span),
                ));
            } else {
                notes.push(format!("{label} at {}", location(map, *span)));
            }
        }
        notes.extend(d.notes.iter().cloned());
        let mut help = d.help.clone().unwrap_or_default();
        for n in &notes {
            if !help.is_empty() {
                help.push('\n');
            }
            help.push_str("note: ");
            help.push_str(n);
        }
        let view = MietteView {
            message: d.message.clone(),
            code: d.code.code,
            severity: d.code.severity,
            help: if help.is_empty() { None } else { Some(help) },
            labels: if file.is_some() { labels } else { Vec::new() },
            source: file.map(|f| FileSource(f.clone())),
        };
        if handler.render_report(&mut out, &view).is_err() {
            out.push_str(&format!(
                "{}: {} [{}]\n",
                location(map, d.span),
                d.message,
                d.code.code
            ));
        }
        out.push('\n');
    }
    out
}

fn span_json(map: &SourceMap, span: Span) -> Value {
    match map.get(span.file) {
        Some(f) => {
            let (line, column) = f.line_col(span.start as usize);
            let (end_line, end_column) = f.line_col(span.end as usize);
            json!({
                "file": f.name,
                "line": line,
                "column": column,
                "end_line": end_line,
                "end_column": end_column,
                "start_byte": span.start,
                "end_byte": span.end,
            })
        }
        None => Value::Null,
    }
}

/// One diagnostic as a JSON object (the shape is documented in docs/diagnostics.md).
pub fn to_json_value(map: &SourceMap, d: &Diagnostic) -> Value {
    json!({
        "code": d.code.code,
        "name": d.code.name,
        "severity": d.code.severity,
        "message": d.message,
        "label": d.label,
        "help": d.help,
        "notes": d.notes,
        "span": span_json(map, d.span),
        "related": d.related.iter().map(|(s, l)| json!({"label": l, "span": span_json(map, *s)})).collect::<Vec<_>>(),
    })
}

/// The whole JSON document for a `check` run over one or more projects.
pub fn render_json(runs: &[(&SourceMap, &[Diagnostic])]) -> String {
    let all: Vec<Value> = runs
        .iter()
        .flat_map(|(map, diags)| diags.iter().map(|d| to_json_value(map, d)))
        .collect();
    let errors = runs
        .iter()
        .flat_map(|(_, d)| d.iter())
        .filter(|d| d.is_error())
        .count();
    let files: usize = runs.iter().map(|(m, _)| m.file_count()).sum();
    let doc = json!({
        "format_version": JSON_FORMAT_VERSION,
        "compiler_version": env!("CARGO_PKG_VERSION"),
        "diagnostics": all,
        "summary": {
            "files": files,
            "errors": errors,
            "warnings": all.len() - errors,
        }
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".to_string());
    s.push('\n');
    s
}

/// GitHub Actions workflow commands: one `::error`/`::warning` annotation per diagnostic.
pub fn render_github(map: &SourceMap, diags: &[Diagnostic]) -> String {
    let escape = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let prop = |s: &str| escape(s).replace(':', "%3A").replace(',', "%2C");
    let mut out = String::new();
    for d in diags {
        let kind = match d.code.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut msg = d.message.clone();
        if let Some(h) = &d.help {
            msg.push_str("\nhelp: ");
            msg.push_str(h);
        }
        match map.get(d.span.file) {
            Some(f) => {
                let (line, col) = f.line_col(d.span.start as usize);
                let (end_line, end_col) = f.line_col(d.span.end as usize);
                out.push_str(&format!(
                    "::{kind} file={},line={line},col={col},endLine={end_line},endColumn={end_col},title={}::{}\n",
                    prop(&f.name),
                    d.code.code,
                    escape(&msg)
                ));
            }
            None => out.push_str(&format!(
                "::{kind} title={}::{}\n",
                d.code.code,
                escape(&msg)
            )),
        }
    }
    out
}
