#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly
//! Diagnostics people found confusing (issue 9): one column rule in every format, suggestions
//! that name what the user meant, articles, the places notes point at, and exit codes.

use std::process::Command;

use cadence::diagnostics::Diagnostic;
use cadence::project::Project;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn cadence(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_cadence"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("CADENCE_FORMAT")
        .output()
        .expect("run cadence");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn check(text: &str) -> (Project, Vec<Diagnostic>) {
    let project = Project::from_texts(&[("t.cadence", text)]);
    let diags = cadence::check::check(&project).diagnostics;
    (project, diags)
}

fn only<'a>(diags: &'a [Diagnostic], code: &str) -> &'a Diagnostic {
    let found: Vec<&Diagnostic> = diags.iter().filter(|d| d.code.code == code).collect();
    assert_eq!(found.len(), 1, "{code} in {diags:#?}");
    found[0]
}

const CJK: &str = "tests/cases/bad/columns_cjk.cadence";

/// The column of `nowhere` on line 2, counted in characters (what the docs promise).
fn cjk_column() -> usize {
    let text = std::fs::read_to_string(CJK).expect("case file");
    let line = text.lines().nth(1).expect("line 2");
    let byte = line.find("nowhere").expect("nowhere");
    assert!(line.is_char_boundary(byte) && line[..byte].len() > line[..byte].chars().count());
    line[..byte].chars().count() + 1
}

#[test]
fn human_json_and_github_count_columns_alike_after_chinese_text() {
    let col = cjk_column();
    assert_eq!(col, 40);
    let human = cadence(&["check", CJK]);
    assert_eq!(human.code, 1);
    assert!(
        human.stderr.contains(&format!("[{CJK}:2:{col}]")),
        "{}",
        human.stderr
    );
    let json = cadence(&["check", "--format", "json", CJK]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    let span = &v["diagnostics"][0]["span"];
    assert_eq!(span["line"], 2);
    assert_eq!(span["column"], col);
    assert_eq!(span["end_column"], col + "nowhere".len());
    let github = cadence(&["check", "--format", "github", CJK]);
    assert!(
        github.stdout.contains(&format!(
            ",line=2,col={col},endLine=2,endColumn={},",
            col + 7
        )),
        "{}",
        github.stdout
    );
}

const CALENDAR: &str = r#"
calendar cn {
  timezone "Asia/Beijing"
  workdays mon..fri
  hours 09:00..18:00
}
"#;

#[test]
fn beijing_suggests_shanghai() {
    let (_, diags) = check(CALENDAR);
    let d = only(&diags, "E0214");
    let help = d.help.as_deref().unwrap_or("");
    assert!(help.contains("`Asia/Shanghai`"), "{help}");
    assert!(!help.contains("Beirut"), "{help}");
    for alias in ["Beijing", "china", "Asia/Peking"] {
        let (_, diags) = check(&CALENDAR.replace("Asia/Beijing", alias));
        let help = only(&diags, "E0214").help.clone().unwrap_or_default();
        assert!(help.contains("`Asia/Shanghai`"), "{alias}: {help}");
    }
    // a plain typo still gets the edit-distance suggestion
    let (_, diags) = check(&CALENDAR.replace("Asia/Beijing", "Asia/Shangai"));
    let help = only(&diags, "E0214").help.clone().unwrap_or_default();
    assert_eq!(help, "did you mean `Asia/Shanghai`?");
    // legacy IANA links are zones
    let (_, diags) = check(&CALENDAR.replace("Asia/Beijing", "PRC"));
    assert!(diags.iter().all(|d| d.code.code != "E0214"), "{diags:#?}");
}

#[test]
fn fact_types_from_other_languages_suggest_ours() {
    for (written, meant) in [
        ("string", "text"),
        ("int", "number"),
        ("integer", "number"),
        ("float", "number"),
        ("boolean", "bool"),
        ("currency", "money"),
        ("txt", "text"),
    ] {
        let text = format!(
            "pipeline p {{\n  facts {{ tier: {written} }}\n  stage a {{ outcome won }}\n}}\n"
        );
        let (_, diags) = check(&text);
        let d = only(&diags, "E0215");
        assert_eq!(d.message, format!("unknown fact type `{written}`"));
        assert_eq!(d.label.as_deref(), Some("not a fact type"));
        assert_eq!(
            d.help.as_deref(),
            Some(format!("did you mean `{meant}`?").as_str()),
            "{written}"
        );
    }
    let (_, diags) = check("pipeline p {\n  facts { tier: blob }\n  stage a { outcome won }\n}\n");
    let help = only(&diags, "E0215").help.clone().unwrap_or_default();
    assert!(help.starts_with("fact types are `money`"), "{help}");
}

#[test]
fn an_email_step() {
    let text = r#"
pipeline p {
  stage a { outcome won }
}
cadence c {
  pipeline p stage a
  step first email "Hello" immediately
    on connected -> continue
}
"#;
    let (_, diags) = check(text);
    let d = only(&diags, "E0212");
    assert!(
        d.message.starts_with("an email step cannot"),
        "{}",
        d.message
    );
}

#[test]
fn the_max_gap_note_points_at_the_max_gap_line() {
    let project = Project::load(&["tests/cases/bad/timing.cadence".into()]);
    let diags = cadence::check::check(&project).diagnostics;
    let d = only(&diags, "E0412");
    let (span, label) = &d.related[0];
    assert!(label.contains("sets `max_gap 15d`"), "{label}");
    let file = project.sources.get(span.file).expect("file");
    assert_eq!(file.slice(*span), "max_gap 15d");
}

/// The calendar of timing.cadence lists holidays of 2026 only: worst cases are dated in 2026.
#[test]
fn worst_cases_lie_in_the_calendars_years() {
    let project = Project::load(&["tests/cases/bad/timing.cadence".into()]);
    let diags = cadence::check::check(&project).diagnostics;
    for code in ["E0412", "E0413"] {
        let label = only(&diags, code).label.clone().unwrap_or_default();
        let years: Vec<&str> = label
            .split(|c: char| !c.is_ascii_digit() && c != '-')
            .filter(|w| w.len() == 10 && w.as_bytes()[4] == b'-')
            .map(|w| &w[..4])
            .collect();
        assert_eq!(years, ["2026", "2026"], "{code}: {label}");
    }
}

#[test]
fn empty_folders_and_missing_paths_exit_2_and_count_no_files() {
    let empty = tempfile::tempdir().expect("temp dir");
    let dir = empty.path().to_str().expect("utf-8 path");
    let run = cadence(&["check", dir]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("E0005"), "{}", run.stderr);
    assert!(
        run.stderr.contains("checked 0 files: 1 error"),
        "{}",
        run.stderr
    );
    let missing = empty.path().join("nonexistent");
    let missing = missing.to_str().expect("utf-8 path");
    let run = cadence(&["check", missing]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("checked 0 files: 1 error"),
        "{}",
        run.stderr
    );
    let run = cadence(&["check", "--format", "json", missing]);
    assert_eq!(run.code, 2);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(v["summary"]["files"], 0);
    // a missing path next to a real file: the real file is counted, the exit is still 2
    let run = cadence(&["check", missing, "tests/cases/good/spec_calendar.cadence"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("checked 1 file: 1 error"),
        "{}",
        run.stderr
    );
}

/// Syntax errors: parsing resumes at the next declaration, so each broken block is reported
/// once, in order, and a file with syntax errors gives no tree.
#[test]
fn every_broken_block_is_reported_once() {
    use cadence::source::FileId;
    let text =
        std::fs::read_to_string("tests/cases/bad/syntax_three_blocks.cadence").expect("case file");
    let (tree, diags) = cadence::syntax::parse_file(FileId(0), &text);
    assert!(tree.is_none());
    let codes: Vec<&str> = diags.iter().map(|d| d.code.code).collect();
    assert_eq!(codes, ["E0101", "E0101", "E0101"]);
    let file = cadence::source::SourceFile::new("t", text.as_str());
    let lines: Vec<usize> = diags
        .iter()
        .map(|d| file.line_of(d.span.start as usize))
        .collect();
    assert_eq!(lines, [7, 13, 23]);

    // a block left open: the error is at the next declaration, which then parses
    let open = "pipeline p {\n  stage a {\n    outcome won\n  }\n\ncadence c {\n  step s email \"x\" immediately\n}\n";
    let (_, diags) = cadence::syntax::parse_file(FileId(0), open);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    // a broken first line of a block is reported once, not again from the same line
    let header = "cadence {\n  step s email \"x\" immediately\n}\ntest \"t\" {\n  cadence\n}\n";
    let (_, diags) = cadence::syntax::parse_file(FileId(0), header);
    let starts: Vec<u32> = diags.iter().map(|d| d.span.start).collect();
    assert_eq!(starts.len(), 2, "{diags:#?}");
    assert!(starts[0] < starts[1]);
    // declaration words at column 1 only: an indented `test` does not restart parsing
    let indented = "leads l {\n  count x\n  test \"t\" {\n}\n";
    let (_, diags) = cadence::syntax::parse_file(FileId(0), indented);
    assert_eq!(diags.len(), 1, "{diags:#?}");

    // the other files of the project are still checked; the broken file is not
    let project = Project::from_texts(&[
        ("broken.cadence", &text),
        (
            "ok.cadence",
            "pipeline q {\n  facts { tier: string }\n  stage a { outcome won }\n}\n",
        ),
    ]);
    let checked = cadence::check::check(&project);
    // (check reports the parse diagnostics too)
    let codes: Vec<&str> = checked.diagnostics.iter().map(|d| d.code.code).collect();
    assert!(codes.contains(&"E0215"), "{codes:?}");
    assert_eq!(
        codes.iter().filter(|c| **c == "E0101").count(),
        3,
        "{codes:?}"
    );
}
