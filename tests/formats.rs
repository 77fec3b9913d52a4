#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly
//! Every output format of every command that has them: snapshots (small fixtures under
//! tests/formats/), SARIF against the official 2.1.0 schema, fingerprints that survive edits,
//! columns counted by hand, and formats a command does not take refused with exit 2.

use std::process::Command;

use serde_json::Value;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn cadence_in(dir: &std::path::Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_cadence"))
        .args(args)
        .current_dir(dir)
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

fn cadence(args: &[&str]) -> Run {
    cadence_in(std::path::Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

fn snapshot(name: &str, args: &[&str]) -> Run {
    let run = cadence(args);
    let shown = |s: &str| s.replace(env!("CARGO_PKG_VERSION"), "[version]");
    insta::assert_snapshot!(
        name,
        format!(
            "$ cadence {}\nexit: {}\n--- stdout\n{}--- stderr\n{}",
            args.join(" "),
            run.code,
            shown(&run.stdout),
            shown(&run.stderr)
        )
    );
    run
}

/// The official SARIF 2.1.0 schema (tests/sarif/README.md says where it comes from).
fn sarif_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string("tests/sarif/sarif-schema-2.1.0.json").unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

fn assert_valid_sarif(v: &jsonschema::Validator, doc: &str) -> Value {
    let log: Value = serde_json::from_str(doc).expect("stdout is one JSON document");
    let errors: Vec<String> = v
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{doc}");
    log
}

#[test]
fn check_prints_each_format() {
    let bad = "tests/formats/bad.cadence";
    let human = snapshot("check_human", &["check", bad]);
    assert_eq!(human.code, 1);
    for f in ["json", "github", "sarif"] {
        let run = snapshot(&format!("check_{f}"), &["check", "--format", f, bad]);
        assert_eq!(run.code, 1, "{f}");
        assert!(
            run.stderr.is_empty(),
            "{f}: machine formats print only stdout"
        );
    }
}

#[test]
fn fmt_check_reports_unformatted_files_in_each_format() {
    let file = "tests/formats/unformatted.cadence";
    assert_eq!(
        snapshot("fmt_check_human", &["fmt", "--check", file]).code,
        1
    );
    for f in ["json", "github", "sarif"] {
        let run = snapshot(
            &format!("fmt_check_{f}"),
            &["fmt", "--check", "--format", f, file],
        );
        assert_eq!(run.code, 1, "{f}");
    }
    let diff = snapshot("fmt_check_diff", &["fmt", "--check", "--diff", file]);
    assert_eq!(diff.code, 1);
    // the diff is an oracle of its own: applying its `+` side gives what `fmt` writes
    let text = std::fs::read_to_string(file).unwrap();
    let formatted = cadence::fmt::format_source(cadence::source::FileId(0), &text).unwrap();
    let plus: Vec<&str> = diff
        .stdout
        .lines()
        .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
        .map(|l| &l[1..])
        .collect();
    for l in &plus {
        assert!(
            formatted.lines().any(|f| f == *l),
            "`{l}` not in the formatted text"
        );
    }
    // a formatted file is no finding, in any format (check findings are not fmt's)
    for f in ["human", "json", "github", "sarif"] {
        let run = cadence(&["fmt", "--check", "--format", f, "tests/formats/bad.cadence"]);
        assert_eq!(run.code, 0, "{f}: {}", run.stderr);
    }
    let clean = cadence(&[
        "fmt",
        "--check",
        "--format",
        "github",
        "tests/formats/lossy",
    ]);
    assert_eq!(
        (clean.code, clean.stdout.as_str()),
        (0, ""),
        "{}",
        clean.stderr
    );
    // --diff is text: with a machine format it is a usage error
    let run = cadence(&["fmt", "--check", "--diff", "--format", "json", file]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = cadence(&["fmt", "--diff", file]);
    assert_eq!(run.code, 2, "--diff needs --check: {}", run.stderr);
}

#[test]
fn build_prints_its_findings_in_each_format() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    let project = "tests/formats/lossy";
    let args = |f: &'static str| {
        vec![
            "build",
            project,
            "--target",
            "salesloft",
            "--allow-lossy",
            "-o",
            dir,
            "--format",
            f,
        ]
    };
    for f in ["json", "github", "sarif"] {
        let run = cadence(&args(f));
        assert_eq!(run.code, 0, "{f}: {}", run.stderr);
        insta::assert_snapshot!(format!("build_{f}"), run.stdout);
        assert!(out.path().join("salesloft/cadence.hello.json").is_file());
    }
    // the three findings are setup items (the deal leaves its stage; the reply's stage move, as
    // a workflow and as Salesloft's person stage): warnings, errors only with --fail-on-setup
    let run = cadence(&[
        "build",
        project,
        "--target",
        "salesloft",
        "-o",
        dir,
        "--format",
        "github",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout.matches("title=W0907").count(),
        3,
        "{}",
        run.stdout
    );
    let run = cadence(&[
        "build",
        project,
        "--target",
        "salesloft",
        "-o",
        dir,
        "--format",
        "github",
        "--fail-on-setup",
    ]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout.matches("::error ").count(), 3, "{}", run.stdout);
    // stdout holds the findings: the build itself needs a folder
    let run = cadence(&["build", project, "--target", "json", "--format", "sarif"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("-o DIR"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

#[test]
fn formats_a_command_does_not_take_are_usage_errors() {
    for args in [
        vec!["check", "--format", "markdown", "tests/formats/bad.cadence"],
        vec![
            "fmt",
            "--check",
            "--format",
            "markdown",
            "tests/formats/bad.cadence",
        ],
        vec!["simulate", "tests/sim/whatif", "--format", "sarif"],
        vec!["simulate", "tests/sim/whatif", "--format", "github"],
        vec![
            "compare",
            "base_sim",
            "call_sim",
            "--path",
            "tests/sim/whatif",
            "--format",
            "sarif",
        ],
        vec![
            "build",
            "tests/formats/lossy",
            "--target",
            "json",
            "--format",
            "markdown",
        ],
    ] {
        let run = cadence(&args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("invalid value"),
            "{args:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn simulate_and_compare_print_markdown() {
    let sim = snapshot(
        "simulate_markdown",
        &[
            "simulate",
            "tests/sim/whatif",
            "--simulation",
            "base_sim",
            "--count",
            "2000",
            "--format",
            "markdown",
        ],
    );
    assert_eq!(sim.code, 0);
    // the figures are the JSON report's, written for people
    let json = cadence(&[
        "simulate",
        "tests/sim/whatif",
        "--simulation",
        "base_sim",
        "--count",
        "2000",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    let rate = v["runs"][0]["conversion"]["rate"].as_f64().unwrap();
    assert!(
        sim.stdout.contains(&format!("**{:.2}%**", 100.0 * rate)),
        "{}",
        sim.stdout
    );
    let cmp = snapshot(
        "compare_markdown",
        &[
            "compare",
            "base_sim",
            "call_sim",
            "--path",
            "tests/sim/whatif",
            "--count",
            "2000",
            "--format",
            "markdown",
        ],
    );
    assert_eq!(cmp.code, 0);
    let json = cadence(&[
        "compare",
        "base_sim",
        "call_sim",
        "--path",
        "tests/sim/whatif",
        "--count",
        "2000",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    let c = &v["conversion"];
    let pp = |x: &Value| format!("{:+.2} pp", 100.0 * x.as_f64().unwrap());
    let row = format!(
        "**{}** ({} to {})",
        pp(&c["difference"]),
        pp(&c["ci95_paired_newcombe"][0]),
        pp(&c["ci95_paired_newcombe"][1])
    );
    assert!(cmp.stdout.contains(&row), "{row}\n{}", cmp.stdout);
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let v = sarif_validator();
    // every bad case, a fmt finding and a lossy build: all shapes of results the tool makes
    let mut docs = Vec::new();
    for e in std::fs::read_dir("tests/cases/bad").unwrap() {
        let p = e.unwrap().path();
        docs.push(cadence(&["check", "--format", "sarif", p.to_str().unwrap()]).stdout);
    }
    docs.push(cadence(&["check", "--format", "sarif", "tests/cases/no_such_dir"]).stdout);
    docs.push(cadence(&["check", "--format", "sarif", "tests/cases/good"]).stdout);
    docs.push(
        cadence(&[
            "fmt",
            "--check",
            "--format",
            "sarif",
            "tests/formats/unformatted.cadence",
        ])
        .stdout,
    );
    let out = tempfile::tempdir().unwrap();
    docs.push(
        cadence(&[
            "build",
            "tests/formats/lossy",
            "--target",
            "zoho",
            "--allow-lossy",
            "-o",
            out.path().to_str().unwrap(),
            "--format",
            "sarif",
        ])
        .stdout,
    );
    docs.push(cadence(&["test", "--format", "sarif", "tests/testrun/failing.cadence"]).stdout);
    let mut results = 0;
    for doc in &docs {
        let log = assert_valid_sarif(&v, doc);
        let run = &log["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        for r in run["results"].as_array().unwrap() {
            results += 1;
            // the rule a result points at is its code's, with the registry's words
            let rule = &rules[r["ruleIndex"].as_u64().unwrap() as usize];
            assert_eq!(rule["id"], r["ruleId"]);
            let info = cadence::diagnostics::codes::lookup(r["ruleId"].as_str().unwrap()).unwrap();
            assert_eq!(rule["name"], info.name);
            assert_eq!(rule["shortDescription"]["text"], info.summary);
            assert_eq!(rule["fullDescription"]["text"], info.explanation);
            let level = format!("{:?}", info.severity).to_lowercase();
            assert_eq!(rule["defaultConfiguration"]["level"], level.as_str());
            assert_eq!(r["level"], level.as_str());
        }
    }
    assert!(results > 50, "only {results} results checked");
}

/// The anchor each rule's help points at is a heading of docs/diagnostics.md, spelled as
/// GitHub spells anchors (lowercase, punctuation dropped, spaces to hyphens).
#[test]
fn rule_help_anchors_are_headings_of_the_docs() {
    let docs = std::fs::read_to_string("docs/diagnostics.md").unwrap();
    let anchors: Vec<String> = docs
        .lines()
        .filter_map(|l| l.strip_prefix("### "))
        .map(|h| {
            h.to_lowercase()
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-')
                .map(|c| if c == ' ' { '-' } else { c })
                .collect()
        })
        .collect();
    for c in cadence::diagnostics::codes::ALL {
        let a = cadence::diagnostics::sarif::docs_anchor(c);
        assert!(anchors.contains(&a), "no heading for #{a}");
    }
}

#[test]
fn sarif_columns_count_code_points_and_end_past_the_span() {
    let file = "tests/cases/bad/columns_cjk.cadence";
    let log: Value =
        serde_json::from_str(&cadence(&["check", "--format", "sarif", file]).stdout).unwrap();
    let run = &log["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let region = &run["results"][0]["locations"][0]["physicalLocation"]["region"];
    // by hand: `nowhere` on line 2, after Chinese text of three bytes a character
    let text = std::fs::read_to_string(file).unwrap();
    let line = text.lines().nth(1).unwrap();
    let before = &line[..line.find("nowhere").unwrap()];
    let col = before.chars().count() + 1;
    assert!(
        before.len() > col,
        "the line has multi-byte characters before the span"
    );
    assert_eq!(region["startLine"], 2);
    assert_eq!(region["startColumn"], col);
    assert_eq!(region["endLine"], 2);
    assert_eq!(region["endColumn"], col + "nowhere".len());
    let loc = &run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(loc["uri"], file);
    assert_eq!(loc["uriBaseId"], "%SRCROOT%");
}

fn fingerprints(log: &Value) -> Vec<(String, String, u64)> {
    log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_string(),
                r["partialFingerprints"]["cadenceFinding/v1"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                r["locations"][0]["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .unwrap(),
            )
        })
        .collect()
}

/// A finding keeps its fingerprint when lines move above it, and only then.
#[test]
fn fingerprints_survive_lines_moving_and_change_with_the_finding() {
    let text = std::fs::read_to_string("tests/formats/bad.cadence").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let run_on = |text: &str| {
        std::fs::write(dir.path().join("bad.cadence"), text).unwrap();
        let run = cadence_in(dir.path(), &["check", "--format", "sarif", "bad.cadence"]);
        fingerprints(&serde_json::from_str(&run.stdout).unwrap())
    };
    let before = run_on(&text);
    assert_eq!(before.len(), 2);
    let moved = run_on(&format!("# a new comment\n\n{text}"));
    for (b, m) in before.iter().zip(&moved) {
        assert_eq!((&b.0, &b.1), (&m.0, &m.1), "same finding, same fingerprint");
        assert_eq!(m.2, b.2 + 2, "the line did move");
    }
    // another finding on the same line is another fingerprint
    let renamed = run_on(
        &text
            .replace("events met", "events booked")
            .replace("when met", "when booked"),
    );
    let w = |v: &[(String, String, u64)]| v.iter().find(|f| f.0 == "W0410").unwrap().1.clone();
    assert_ne!(w(&before), w(&renamed));
    // and two identical findings in one file stay apart
    let twice = run_on(&text.replace(
        "  stage won { outcome won }\n}",
        "  stage won { outcome won }\n  stage won { outcome won }\n}",
    ));
    let dups: Vec<&String> = twice
        .iter()
        .filter(|f| f.0 == "E0201")
        .map(|f| &f.1)
        .collect();
    assert_eq!(dups.len(), 2);
    assert_ne!(dups[0], dups[1]);
}
