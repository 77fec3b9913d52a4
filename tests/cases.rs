#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly
//! Snapshot tests over the case folders: the AST of every good case, the rendered diagnostics of
//! every case (colour off), and CLI runs (stdout, stderr, exit code).

use std::path::{Path, PathBuf};
use std::process::Command;

use cadence::diagnostics::{render_human, ColorChoice};
use cadence::project::Project;
use cadence::source::FileId;

fn case_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "cadence"));
    files.sort();
    files
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("case")
        .to_string()
}

/// Check one file as its own project and render what it reports.
fn diagnostics_of(path: &Path) -> (String, usize) {
    let project = Project::load(&[path.to_path_buf()]);
    let checked = cadence::check::check(&project);
    let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
    (
        render_human(&project.sources, &checked.diagnostics, ColorChoice::Never),
        errors,
    )
}

#[test]
fn good_cases_parse_to_the_expected_tree() {
    for path in case_files("tests/cases/good") {
        let text = std::fs::read_to_string(&path).expect("case file");
        let (file, diags) = cadence::syntax::parse_file(FileId(0), &text);
        assert!(diags.is_empty(), "{}: {diags:?}", path.display());
        insta::assert_debug_snapshot!(format!("ast_{}", stem(&path)), file.expect("a tree"));
    }
}

/// The good cases form one project (files refer to each other, as in a real project).
#[test]
fn good_cases_check_without_errors() {
    let project = Project::load(&case_files("tests/cases/good"));
    let checked = cadence::check::check(&project);
    let rendered = render_human(&project.sources, &checked.diagnostics, ColorChoice::Never);
    assert!(
        checked.diagnostics.iter().all(|d| !d.is_error()),
        "{rendered}"
    );
    insta::assert_snapshot!("check_good_project", rendered);
}

#[test]
fn bad_cases_report_their_diagnostics() {
    let files = case_files("tests/cases/bad");
    assert!(files.len() >= 5);
    for path in files {
        let (rendered, errors) = diagnostics_of(&path);
        assert!(errors > 0, "{} should have errors", path.display());
        insta::assert_snapshot!(format!("check_bad_{}", stem(&path)), rendered);
    }
}

/// Every diagnostic code that a bad case is meant to show appears in its output.
#[test]
fn bad_cases_cover_the_checks() {
    let mut seen = std::collections::BTreeSet::new();
    for path in case_files("tests/cases/bad") {
        let project = Project::load(std::slice::from_ref(&path));
        for d in cadence::check::check(&project).diagnostics {
            seen.insert(d.code.code);
        }
    }
    let expected = [
        "E0006", "E0101", "E0102", "E0201", "E0202", "E0204", "E0206", "E0207", "E0208", "E0211",
        "E0212", "E0213", "E0214", "E0215", "E0216", "E0217", "E0218", "E0301", "E0302", "E0303",
        "E0304", "E0306", "E0307", "E0308", "W0401", "W0402", "E0403", "E0404", "E0405", "W0406",
        "E0407", "E0408", "W0409", "W0410", "W0411", "E0412", "E0413", "E0415", "E0501", "W0502",
        "W0503", "E0601", "E0602", "W0603", "E0604", "E0605", "E0209", "E0417", "E0418", "E0419",
        "E0421", "W0422", "E0423", "W0424", "W0425", "E0426", "W0427", "W0428", "W0429", "E0205",
        "E0210", "E0220", "E0801", "E0802", "E0701", "E0702", "W0703", "E0704",
    ];
    let missing: Vec<&str> = expected
        .iter()
        .copied()
        .filter(|c| !seen.contains(c))
        .collect();
    assert!(
        missing.is_empty(),
        "codes never produced by tests/cases/bad: {missing:?}"
    );
}

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

fn cli_snapshot(name: &str, args: &[&str]) -> Run {
    let run = cadence(args);
    insta::assert_snapshot!(
        name,
        format!(
            "$ cadence {}\nexit: {}\n--- stdout\n{}--- stderr\n{}",
            args.join(" "),
            run.code,
            run.stdout,
            run.stderr
        )
    );
    run
}

#[test]
fn cli_check_bad_file_human() {
    let run = cli_snapshot(
        "cli_check_names",
        &["check", "tests/cases/bad/names.cadence"],
    );
    assert_eq!(run.code, 1);
}

#[test]
fn cli_check_bad_file_json() {
    let run = cli_snapshot(
        "cli_check_types_json",
        &["check", "--format", "json", "tests/cases/bad/types.cadence"],
    );
    assert_eq!(run.code, 1);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("stdout is JSON only");
    assert_eq!(v["format_version"], 1);
    let first = &v["diagnostics"][0];
    for key in ["code", "severity", "message", "help"] {
        assert!(first.get(key).is_some(), "missing {key}");
    }
    for key in ["file", "line", "column", "end_line", "end_column"] {
        assert!(first["span"].get(key).is_some(), "missing span.{key}");
    }
}

#[test]
fn cli_check_clean_project_exits_0_and_warnings_fail_only_when_denied() {
    let run = cadence(&["check", "tests/cases/good/spec_calendar.cadence"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // spec_pipeline alone has warnings (events that nothing produces)
    let pair = [
        "tests/cases/good/spec_calendar.cadence",
        "tests/cases/good/spec_pipeline.cadence",
    ];
    let warn = cadence(&["check", pair[0], pair[1]]);
    assert_eq!(warn.code, 0, "{}", warn.stderr);
    assert!(warn.stderr.contains("W0410"));
    let denied = cadence(&["check", "--deny-warnings", pair[0], pair[1]]);
    assert_eq!(denied.code, 1);
}

#[test]
fn cli_usage_and_io_errors_exit_2() {
    let run = cli_snapshot("cli_missing_path", &["check", "tests/cases/no_such_dir"]);
    assert_eq!(run.code, 2);
    let run = cadence(&["frobnicate"]);
    assert_eq!(run.code, 2);
}

#[test]
fn cli_explain() {
    let run = cli_snapshot("cli_explain_e0412", &["explain", "E0412"]);
    assert_eq!(run.code, 0);
    let run = cadence(&["explain", "e0212"]);
    assert!(run.stdout.contains("impossible-outcome"));
    let run = cadence(&["explain", "E9999"]);
    assert_eq!(run.code, 2);
    let all = cadence(&["explain", "all"]);
    assert_eq!(
        all.stdout.lines().count(),
        cadence::diagnostics::codes::ALL.len()
    );
}

/// docs/diagnostics.md is generated from the code registry; this keeps them in sync.
#[test]
fn docs_diagnostics_table_is_current() {
    let want = cadence::diagnostics::codes::markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write("docs/diagnostics.md", &want).expect("write docs");
    }
    let have = std::fs::read_to_string("docs/diagnostics.md").unwrap_or_default();
    assert!(
        have == want,
        "docs/diagnostics.md is stale: run `UPDATE_DOCS=1 cargo test --test cases docs`"
    );
}

#[test]
fn every_code_has_an_explanation_and_unique_id() {
    let mut ids = std::collections::HashSet::new();
    for c in cadence::diagnostics::codes::ALL {
        assert!(ids.insert(c.code), "duplicate {}", c.code);
        assert!(
            c.explanation.len() > 40,
            "{} needs a real explanation",
            c.code
        );
        assert!(
            c.summary
                .chars()
                .next()
                .is_some_and(|ch| !ch.is_uppercase()),
            "{} summary is lowercase",
            c.code
        );
        let expect_warning = c.code.starts_with('W');
        assert_eq!(
            expect_warning,
            c.severity == cadence::diagnostics::Severity::Warning,
            "{}",
            c.code
        );
    }
}

#[test]
fn cli_check_github_annotations() {
    let run = cli_snapshot(
        "cli_check_flow_github",
        &[
            "check",
            "--format",
            "github",
            "tests/cases/bad/flow.cadence",
        ],
    );
    assert_eq!(run.code, 1);
    assert!(run
        .stdout
        .lines()
        .all(|l| l.starts_with("::error file=") || l.starts_with("::warning file=")));
}

/// The shipped library is one project and must check with no diagnostics at all.
#[test]
fn shipped_cadence_library_checks_clean() {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    cadence::project::collect_dir(Path::new("cadences"), &mut files, &mut errors);
    assert!(errors.is_empty() && files.len() >= 10, "{errors:?}");
    let project = Project::load(&files);
    let checked = cadence::check::check(&project);
    let rendered = render_human(&project.sources, &checked.diagnostics, ColorChoice::Never);
    assert!(checked.diagnostics.is_empty(), "{rendered}");
    // every scenario has a lead model, a simulation and tests
    assert!(checked.model.leads.len() >= 10);
    assert!(checked.model.simulations.len() >= 10);
    assert!(checked.model.tests.len() >= 20);
}

/// Each teaching example is a self-contained project that checks with no diagnostics.
#[test]
fn every_example_checks_clean_on_its_own() {
    let examples = case_files("examples");
    assert!(examples.len() >= 10);
    for path in examples {
        let (rendered, _) = diagnostics_of(&path);
        assert!(rendered.is_empty(), "{}:\n{rendered}", path.display());
    }
}

/// Lead facts and milestones resolve in the pipelines their simulations use, so two pipelines
/// may declare the same event name with different stages.
#[test]
fn milestones_resolve_in_the_simulated_pipeline() {
    let text = r#"
pipeline a {
  events signed
  stage open { exit to won when signed }
  stage won { outcome won }
}
pipeline b {
  events signed
  stage deposit { exit to closed when signed }
  stage closed { outcome won }
}
cadence ca {
  pipeline a stage open
  step t task "Call" immediately
    on completed -> set signed
}
cadence cb {
  pipeline b stage deposit
  step t task "Call" immediately
}
leads lb {
  count 100
  milestone signed in deposit 50% after 3d
}
simulation sb {
  cadence cb
  leads lb
}
"#;
    let checked = cadence::check::check(&Project::from_texts(&[("two.cadence", text)]));
    let codes: Vec<&str> = checked.diagnostics.iter().map(|d| d.code.code).collect();
    assert!(codes.is_empty(), "{codes:?}");
    // without the milestone, `signed` in pipeline b is produced by nothing (a's producer does not count)
    let without = text.replace("milestone signed in deposit 50% after 3d", "");
    let checked = cadence::check::check(&Project::from_texts(&[("two.cadence", &without)]));
    let codes: Vec<&str> = checked.diagnostics.iter().map(|d| d.code.code).collect();
    assert_eq!(codes, ["W0410"]);
}
