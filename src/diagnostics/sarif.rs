//! SARIF 2.1.0 for code scanning: rules from the registry, results with regions and fingerprints.
//!
//! Columns: lines and columns are 1-based and count Unicode code points (the run says
//! `columnKind: unicodeCodePoints`); `endColumn` is the column just past the span, as in every
//! other output. Artifact URIs are relative to the working directory (the repository root in CI)
//! under the base id `%SRCROOT%`; a file outside it keeps an absolute `file://` URI.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Map, Value};

use super::codes::{self, CodeInfo};
use super::{Diagnostic, Severity};
use crate::source::{SourceMap, Span};

pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The key of the one fingerprint each result carries (versioned: a change of recipe is a new key).
pub const FINGERPRINT_KEY: &str = "cadenceFinding/v1";

/// The anchor of a code's section in docs/diagnostics.md, as GitHub spells heading anchors
/// (`### E0412 \`max-gap-exceeded\`` → `e0412-max-gap-exceeded`).
pub fn docs_anchor(code: &CodeInfo) -> String {
    format!("{}-{}", code.code.to_ascii_lowercase(), code.name)
}

/// The documentation of a code on the project's site, when the package names its repository.
pub fn help_uri(code: &CodeInfo) -> Option<String> {
    let repo = env!("CARGO_PKG_REPOSITORY").trim_end_matches('/');
    (!repo.is_empty()).then(|| {
        format!(
            "{repo}/blob/v{}/docs/diagnostics.md#{}",
            env!("CARGO_PKG_VERSION"),
            docs_anchor(code)
        )
    })
}

fn rule(code: &CodeInfo) -> Value {
    let level = match code.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let help = format!(
        "{}\n\n`cadence explain {}` prints this offline; docs/diagnostics.md#{} has every code.",
        code.explanation,
        code.code,
        docs_anchor(code)
    );
    let mut r = json!({
        "id": code.code,
        "name": code.name,
        "shortDescription": {"text": code.summary},
        "fullDescription": {"text": code.explanation},
        "help": {"text": help, "markdown": help},
        "defaultConfiguration": {"level": level},
    });
    if let (Some(uri), Some(o)) = (help_uri(code), r.as_object_mut()) {
        o.insert("helpUri".into(), Value::String(uri));
    }
    r
}

/// A path as a URI reference: `/`-separated, unreserved characters kept, the rest escaped.
fn uri_path(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            b'\\' => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The artifact location of a file name as the loader recorded it.
fn artifact(name: &str, cwd: Option<&Path>) -> Value {
    let path = Path::new(name);
    let relative = if path.is_absolute() {
        cwd.and_then(|c| path.strip_prefix(c).ok())
    } else {
        Some(path)
    };
    match relative {
        Some(rel) => {
            let text = rel.to_string_lossy();
            let text = text.trim_start_matches("./");
            json!({"uri": uri_path(text), "uriBaseId": "%SRCROOT%"})
        }
        None => json!({"uri": format!("file://{}", uri_path(&path.to_string_lossy()))}),
    }
}

fn region(map: &SourceMap, span: Span) -> Option<Value> {
    let f = map.get(span.file).filter(|f| !f.is_placeholder())?;
    let (line, column) = f.line_col(span.start as usize);
    let (end_line, end_column) = f.line_col(span.end as usize);
    Some(json!({
        "startLine": line, "startColumn": column,
        "endLine": end_line, "endColumn": end_column,
    }))
}

fn location(map: &SourceMap, span: Span, cwd: Option<&Path>) -> Value {
    let name = map.get(span.file).map(|f| f.name.as_str()).unwrap_or("");
    let mut physical = Map::new();
    physical.insert("artifactLocation".into(), artifact(name, cwd));
    if let Some(r) = region(map, span) {
        physical.insert("region".into(), r);
    }
    json!({"physicalLocation": physical})
}

/// 64-bit FNV-1a: a hash whose value is fixed by its definition (std's hasher may change).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Words that are places (`file:12:3`) say where, not what: they leave the fingerprint.
fn normalised(text: &str) -> String {
    let is_place = |w: &str| {
        let mut parts = w.trim_end_matches([',', ')', ';']).rsplitn(3, ':');
        let (c, l) = (parts.next(), parts.next());
        let digits = |s: Option<&str>| {
            s.is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        };
        digits(c) && digits(l) && parts.next().is_some()
    };
    text.split_whitespace()
        .map(|w| if is_place(w) { "<place>" } else { w })
        .collect::<Vec<_>>()
        .join(" ")
}

/// What identifies a finding across commits: its code, its file, its message without places and
/// the text of its line (not the line's number, which moves when lines are added above).
pub fn fingerprint(map: &SourceMap, d: &Diagnostic, uri: &str) -> String {
    let line_text = map
        .get(d.span.file)
        .and_then(|f| {
            let start = f
                .text
                .get(..d.span.start as usize)?
                .rfind('\n')
                .map_or(0, |i| i + 1);
            let rest = f.text.get(start..)?;
            Some(rest.lines().next().unwrap_or(""))
        })
        .unwrap_or("");
    let key = format!(
        "{}\u{0}{uri}\u{0}{}\u{0}{}",
        d.code.code,
        normalised(&d.message),
        normalised(line_text)
    );
    format!("{:016x}", fnv1a(key.as_bytes()))
}

fn message(d: &Diagnostic) -> String {
    let mut text = d.message.clone();
    if let Some(l) = &d.label {
        text.push_str(&format!(" ({l})"));
    }
    if let Some(h) = &d.help {
        text.push_str("\nhelp: ");
        text.push_str(h);
    }
    for n in &d.notes {
        text.push_str("\nnote: ");
        text.push_str(n);
    }
    text
}

/// One SARIF log for one or more projects; `cwd` is what relative artifact URIs are relative to.
pub fn render_sarif(runs: &[(&SourceMap, &[Diagnostic])], cwd: Option<&Path>) -> String {
    // the rules the results use, in registry order; a result points at its rule by index
    let used: Vec<&'static CodeInfo> = codes::ALL
        .iter()
        .copied()
        .filter(|c| {
            runs.iter()
                .any(|(_, ds)| ds.iter().any(|d| d.code.code == c.code))
        })
        .collect();
    let index = |code: &str| used.iter().position(|c| c.code == code).unwrap_or(0);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut results = Vec::new();
    for (map, diags) in runs {
        for d in diags.iter() {
            let loc = location(map, d.span, cwd);
            let uri = loc["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap_or("")
                .to_string();
            // identical findings in one file stay apart by their order
            let print = fingerprint(map, d, &uri);
            let n = seen.entry(print.clone()).or_insert(0);
            *n += 1;
            let related: Vec<Value> = d
                .related
                .iter()
                .enumerate()
                .map(|(i, (span, label))| {
                    let mut l = location(map, *span, cwd);
                    if let Some(o) = l.as_object_mut() {
                        o.insert("id".into(), json!(i + 1));
                        o.insert("message".into(), json!({"text": label}));
                    }
                    l
                })
                .collect();
            let mut r = json!({
                "ruleId": d.code.code,
                "ruleIndex": index(d.code.code),
                "level": match d.code.severity { Severity::Error => "error", Severity::Warning => "warning" },
                "message": {"text": message(d)},
                "locations": [loc],
                "partialFingerprints": {FINGERPRINT_KEY: format!("{print}:{n}")},
            });
            if let (false, Some(o)) = (related.is_empty(), r.as_object_mut()) {
                o.insert("relatedLocations".into(), Value::Array(related));
            }
            results.push(r);
        }
    }
    let mut driver = json!({
        "name": "cadence",
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "rules": used.iter().map(|c| rule(c)).collect::<Vec<_>>(),
    });
    let repo = env!("CARGO_PKG_REPOSITORY");
    if let (false, Some(o)) = (repo.is_empty(), driver.as_object_mut()) {
        o.insert("informationUri".into(), json!(repo));
    }
    let doc = json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".to_string());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_published_test_vectors() {
        // from the FNV reference: "" and "a"
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn places_leave_the_text_and_words_stay() {
        assert_eq!(
            normalised("first  declared at a.cadence:12:3, here"),
            "first declared at <place> here"
        );
        assert_eq!(normalised("wait 10:30 ok"), "wait 10:30 ok");
    }

    #[test]
    fn uris_escape_what_a_uri_cannot_hold() {
        assert_eq!(uri_path("a b/ü.cadence"), "a%20b/%C3%BC.cadence");
        assert_eq!(
            artifact("/w/p/x.cadence", Some(Path::new("/w")))["uri"],
            "p/x.cadence"
        );
        assert_eq!(
            artifact("/elsewhere/x.cadence", Some(Path::new("/w")))["uri"],
            "file:///elsewhere/x.cadence"
        );
        assert_eq!(artifact("./p/x.cadence", None)["uri"], "p/x.cadence");
    }
}
