//! `cadence test`: check each project, run its `test` blocks (`crate::testing`), report the
//! results as text, JSON, JUnit XML or GitHub annotations, with `--coverage` what no test
//! exercised. Exit 0 all pass, 1 a failure (or errors in the project), 2 usage or I/O.

use std::path::PathBuf;

use serde_json::{json, Value};

use super::{color_choice, emit, load_and_check, plural, render_failure, Color, Exit, Format};
use crate::diagnostics::{render_github, render_human, to_json_value, Diagnostic};
use crate::model::Model;
use crate::source::{SourceMap, Span};
use crate::testing::{self, coverage, TestResult};

#[derive(Debug, Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum TestFormat {
    Human,
    Json,
    /// GitHub Actions annotations for the failures
    Github,
    /// JUnit XML: one testcase per test block
    Junit,
}

#[derive(clap::Args, Debug)]
pub struct TestArgs {
    /// files or folders (default: the current folder)
    pub paths: Vec<PathBuf>,
    /// run only the tests whose name contains TEXT
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
    /// list the steps, rules, exits, stage exits and escalations no test exercises
    #[arg(long)]
    pub coverage: bool,
    #[arg(long, value_enum, default_value = "human")]
    pub format: TestFormat,
    /// colour in human output
    #[arg(long, value_enum, default_value = "auto")]
    pub color: Color,
}

/// One project's tests, run.
struct Ran {
    map: SourceMap,
    model: Model,
    results: Vec<TestResult>,
}

pub fn run(args: TestArgs) -> Exit {
    let (runs, io_failed) = load_and_check(&args.paths);
    // a project with errors has no complete model: report its findings like `check`
    let broken: Vec<(SourceMap, Vec<Diagnostic>)> = runs
        .iter()
        .filter(|r| io_failed || r.diagnostics.iter().any(|d| d.is_error()))
        .map(|r| (r.map.clone(), r.diagnostics.clone()))
        .collect();
    if !broken.is_empty() {
        let format = match args.format {
            TestFormat::Json => Format::Json,
            TestFormat::Github => Format::Github,
            TestFormat::Human | TestFormat::Junit => Format::Human,
        };
        return match render_failure(&broken, format) {
            Err(e) => e,
            Ok(()) if io_failed => Exit::Usage,
            Ok(()) => Exit::Findings,
        };
    }
    let ran: Vec<Ran> = runs
        .into_iter()
        .filter_map(|r| {
            let (_, model) = r.loaded?;
            let results = testing::run_all(&model, args.filter.as_deref());
            Some(Ran {
                map: r.map,
                model,
                results,
            })
        })
        .collect();
    let failed = ran
        .iter()
        .flat_map(|r| &r.results)
        .filter(|t| !t.passed())
        .count();
    let text = match args.format {
        TestFormat::Human => human(&ran, args.coverage, args.color),
        TestFormat::Json => json_report(&ran, args.coverage),
        TestFormat::Github => ran
            .iter()
            .map(|r| render_github(&r.map, &failures(r)))
            .collect(),
        TestFormat::Junit => junit(&ran),
    };
    if args.coverage && matches!(args.format, TestFormat::Junit | TestFormat::Github) {
        super::say(coverage_text(&ran));
    }
    match emit(&text) {
        Err(e) => e,
        Ok(_) if failed > 0 => Exit::Findings,
        Ok(_) => Exit::Clean,
    }
}

fn failures(r: &Ran) -> Vec<Diagnostic> {
    let mut d: Vec<Diagnostic> = r
        .results
        .iter()
        .flat_map(|t| t.failures.iter().cloned())
        .collect();
    crate::diagnostics::sort(&mut d);
    d
}

/// `file:line` of a test's title.
fn place(map: &SourceMap, span: Span) -> (String, usize) {
    match map.get(span.file) {
        Some(f) => (f.name.clone(), f.line_of(span.start as usize)),
        None => (String::new(), 0),
    }
}

fn test_span(r: &Ran, t: &TestResult) -> Span {
    r.model
        .tests
        .get(t.test)
        .map(|x| x.span)
        .unwrap_or_default()
}

fn human(ran: &[Ran], with_coverage: bool, color: Color) -> String {
    let mut out = String::new();
    let (mut passed, mut failed) = (0, 0);
    for r in ran {
        for t in &r.results {
            let (file, line) = place(&r.map, test_span(r, t));
            let status = if t.passed() { "ok    " } else { "FAILED" };
            out.push_str(&format!("{status} {file}:{line} {}\n", t.name));
            if t.passed() {
                passed += 1;
            } else {
                failed += 1;
            }
        }
    }
    for r in ran {
        let f = failures(r);
        if !f.is_empty() {
            out.push('\n');
            out.push_str(&render_human(&r.map, &f, color_choice(color)));
        }
    }
    let total = passed + failed;
    out.push_str(&format!(
        "\n{total} test{}: {passed} passed, {failed} failed\n",
        plural(total)
    ));
    if with_coverage {
        out.push('\n');
        out.push_str(&coverage_text(ran));
    }
    out
}

fn coverage_text(ran: &[Ran]) -> String {
    let mut out = String::new();
    for r in ran {
        let c = coverage::coverage(&r.model, &r.results);
        let total = c.items.len();
        let covered = total - c.missing().count();
        let pct = if total == 0 {
            100.0
        } else {
            covered as f64 * 100.0 / total as f64
        };
        out.push_str(&format!(
            "coverage: {covered} of {total} exercised ({pct:.1}%)\n"
        ));
        for (_, span, what) in c.missing() {
            let (file, line) = place(&r.map, *span);
            out.push_str(&format!("  not exercised: {file}:{line} {what}\n"));
        }
    }
    out
}

fn coverage_json(r: &Ran) -> Value {
    let c = coverage::coverage(&r.model, &r.results);
    let missing: Vec<Value> = c
        .missing()
        .map(|(item, span, what)| {
            let (file, line) = place(&r.map, *span);
            let kind = match item {
                coverage::Item::Step(..) => "step",
                coverage::Item::Rule(..) => "rule",
                coverage::Item::Exit(..) => "exit",
                coverage::Item::StageExit(..) => "stage_exit",
                coverage::Item::Escalation(..) => "escalation",
            };
            json!({"kind": kind, "what": what, "file": file, "line": line})
        })
        .collect();
    json!({
        "total": c.items.len(),
        "covered": c.items.len() - missing.len(),
        "missing": missing,
    })
}

fn json_report(ran: &[Ran], with_coverage: bool) -> String {
    let mut tests = Vec::new();
    for r in ran {
        for t in &r.results {
            let (file, line) = place(&r.map, test_span(r, t));
            let failures: Vec<Value> = t
                .failures
                .iter()
                .map(|d| to_json_value(&r.map, d))
                .collect();
            tests.push(json!({
                "name": t.name,
                "file": file,
                "line": line,
                "passed": t.passed(),
                "failures": failures,
            }));
        }
    }
    let failed = tests.iter().filter(|t| t["passed"] == false).count();
    let mut doc = json!({
        "format_version": crate::diagnostics::JSON_FORMAT_VERSION,
        "tests": tests,
        "passed": tests.len() - failed,
        "failed": failed,
    });
    if with_coverage {
        doc["coverage"] = ran.iter().map(coverage_json).collect();
    }
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// XML text with the five special characters escaped (and other control characters dropped).
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn junit(ran: &[Ran]) -> String {
    // one suite per file, in the order tests appear
    let mut suites: Vec<(String, Vec<String>, usize)> = Vec::new();
    let mut total = (0, 0);
    for r in ran {
        for t in &r.results {
            let (file, line) = place(&r.map, test_span(r, t));
            let mut case = format!(
                "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{line}\"",
                xml(&t.name),
                xml(&file),
                xml(&file)
            );
            if t.passed() {
                case.push_str("/>\n");
            } else {
                case.push_str(">\n");
                for d in &t.failures {
                    let (f, l) = place(&r.map, d.span);
                    let body = std::iter::once(format!("{f}:{l}: {}", d.message))
                        .chain(d.notes.iter().cloned())
                        .collect::<Vec<_>>()
                        .join("\n");
                    case.push_str(&format!(
                        "      <failure message=\"{}\" type=\"{}\">{}</failure>\n",
                        xml(&d.message),
                        d.code.code,
                        xml(&body)
                    ));
                }
                case.push_str("    </testcase>\n");
            }
            total.0 += 1;
            let fail = usize::from(!t.passed());
            total.1 += fail;
            match suites.iter_mut().find(|s| s.0 == file) {
                Some(s) => {
                    s.1.push(case);
                    s.2 += fail;
                }
                None => suites.push((file, vec![case], fail)),
            }
        }
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"cadence test\" tests=\"{}\" failures=\"{}\">\n",
        total.0, total.1
    ));
    for (file, cases, fails) in &suites {
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{fails}\">\n",
            xml(file),
            cases.len()
        ));
        for c in cases {
            out.push_str(c);
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
