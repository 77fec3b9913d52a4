//! Diagnostics: one type for every phase, a stable code per kind, human and JSON rendering.

pub mod codes;
mod render;

pub use codes::{CodeInfo, Severity};
pub use render::{
    render_github, render_human, render_json, to_json_value, ColorChoice, JSON_FORMAT_VERSION,
};

use crate::source::Span;

/// One finding: a code, a primary span with a label, more labelled places, and help.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub code: &'static CodeInfo,
    pub message: String,
    pub span: Span,
    pub label: Option<String>,
    /// Other places that explain the finding (e.g. the first declaration of a duplicate).
    pub related: Vec<(Span, String)>,
    pub help: Option<String>,
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn new(code: &'static CodeInfo, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            message: message.into(),
            span,
            label: None,
            related: Vec::new(),
            help: None,
            notes: Vec::new(),
        }
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_related(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.related.push((span, label.into()));
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    pub fn severity(&self) -> Severity {
        self.code.severity
    }

    pub fn is_error(&self) -> bool {
        self.code.severity == Severity::Error
    }
}

/// Sort diagnostics by file, then position, then code, so output is stable.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        (a.span.file.0, a.span.start, a.span.end, a.code.code).cmp(&(
            b.span.file.0,
            b.span.start,
            b.span.end,
            b.code.code,
        ))
    });
}
