//! Diagnostics: one type for every phase, a stable code per kind, human and JSON rendering.

pub mod codes;
mod render;
pub mod sarif;

pub use codes::{CodeInfo, Severity};
pub use render::{
    render_github, render_human, render_json, to_json_value, ColorChoice, JSON_FORMAT_VERSION,
};
pub use sarif::render_sarif;

use crate::source::{SourceMap, Span};

/// How a command that reports findings prints them (`check`, `build`, `fmt --check`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// text for people, on stderr
    Human,
    /// one JSON document on stdout (docs/diagnostics.md)
    Json,
    /// GitHub Actions annotations on stdout
    Github,
    /// a SARIF 2.1.0 log on stdout, for code scanning
    Sarif,
}

/// The stdout document of a machine format over one or more projects; `None` for human text,
/// which each command prints on stderr with its own summary line.
pub fn render_document(format: Format, runs: &[(&SourceMap, &[Diagnostic])]) -> Option<String> {
    match format {
        Format::Human => None,
        Format::Json => Some(render_json(runs)),
        Format::Github => Some(runs.iter().map(|(m, d)| render_github(m, d)).collect()),
        Format::Sarif => {
            let cwd = std::env::current_dir().ok();
            Some(render_sarif(runs, cwd.as_deref()))
        }
    }
}

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

/// `word` after its indefinite article, for messages: "an email", "a call", "an sms".
pub fn with_article(word: &str) -> String {
    format!("{} {word}", article(word))
}

/// The indefinite article for `word`. English picks it by sound; the words this tool puts in
/// messages whose first letter misleads (initialisms, a silent `h`, a `u` or `o` said as a
/// consonant) are listed.
pub fn article(word: &str) -> &'static str {
    const AN: [&str; 6] = ["sms", "sla", "mql", "sql", "hour", "honest"];
    const A: [&str; 8] = [
        "one", "once", "user", "unit", "unique", "usual", "url", "euro",
    ];
    let first = word
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("")
        .to_lowercase();
    let stem = first.strip_suffix('s');
    let listed = |list: &[&str]| list.iter().any(|w| first == *w || stem == Some(*w));
    if listed(&AN) {
        "an"
    } else if listed(&A) {
        "a"
    } else if first.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

#[cfg(test)]
mod tests {
    use super::with_article;

    #[test]
    fn articles_follow_the_sound() {
        for (word, want) in [
            ("email", "an email"),
            ("call", "a call"),
            ("sms", "an sms"),
            ("SMS", "an SMS"),
            ("whatsapp", "a whatsapp"),
            ("linkedin", "a linkedin"),
            ("meeting", "a meeting"),
            ("task", "a task"),
            ("outcome", "an outcome"),
            ("integer", "an integer"),
            ("unit", "a unit"),
            ("hour", "an hour"),
            ("HubSpot", "a HubSpot"),
            ("", "a "),
        ] {
            assert_eq!(with_article(word), want);
        }
    }
}
