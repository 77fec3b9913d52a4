//! `cadence diff`: changes between two versions in words, and the risky classes. The expected
//! changes are written by hand from the two texts; a project compared with itself, or with its
//! declarations in another order (other indices), has no change.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use cadence::diff::{diff, Change, Risk};
use cadence::model::Model;
use cadence::project::Project;
use cadence::targets::ids::Ids;

const CALENDAR: &str = r#"calendar office {
  timezone "Asia/Shanghai"
  workdays mon..sun
  hours 00:00..24:00
}
"#;

const PIPELINE: &str = r#"pipeline deals {
  calendar office
  facts {
    budget: money
    authority: bool
  }
  events demo_held, signed
  roles owner, manager
  max_gap 90d
  stage lead "潜在客户" {
    respond within 4 business hours
    exit to needs when budget >= 50k CNY and authority
    exit to lost when idle > 60d
    escalate manager when dwell > 7d
  }
  stage needs "需求确认" {
    require demo_held
    exit to evaluation when demo_held
    exit to lost when idle > 60d
  }
  stage evaluation "方案评估" {
    exit to won when signed
    exit to lost when idle > 60d
  }
  stage won "成交" { outcome won }
  stage lost "输单" { outcome lost }
}
"#;

const CADENCE: &str = r#"cadence inbound {
  pipeline deals stage lead
  calendar office
  exit replied on reply
  exit unsubscribed on unsubscribe
  exit bounced on bounce
  step welcome email "感谢咨询" template "welcome" immediately
  step call_1 call "首次电话" after 2 business hours assign owner
    on connected -> set demo_held, exit connected
  step case email "客户案例" template "case" after 3d
  step call_2 call "再次电话" after 4d assign owner
}
"#;

fn model(texts: &[(&str, &str)]) -> Model {
    let project = Project::from_texts(texts);
    let checked = cadence::check::check(&project);
    let errors: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{} {}", d.code.code, d.message))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    checked.model
}

fn base() -> Model {
    model(&[("a.cadence", &format!("{CALENDAR}{PIPELINE}{CADENCE}"))])
}

fn lines(changes: &[Change]) -> Vec<String> {
    changes
        .iter()
        .map(|c| match c.risk {
            Some(r) => format!("{}: {} [{}]", c.object, c.text, r.name()),
            None => format!("{}: {}", c.object, c.text),
        })
        .collect()
}

#[test]
fn a_project_against_itself_or_reordered_has_no_change() {
    let m = base();
    assert_eq!(lines(&diff(&m, &m, None)), Vec::<String>::new());
    // other files, other order: every index differs, nothing is said to change
    let reordered = model(&[
        ("c.cadence", CADENCE),
        ("b.cadence", PIPELINE),
        ("a.cadence", CALENDAR),
    ]);
    assert_eq!(lines(&diff(&m, &reordered, None)), Vec::<String>::new());
    assert_eq!(lines(&diff(&reordered, &m, None)), Vec::<String>::new());
}

#[test]
fn every_shipped_project_against_itself_has_no_change() {
    for dir in ["cadences", "examples"] {
        let mut files = Vec::new();
        let mut errs = Vec::new();
        cadence::project::collect_dir(std::path::Path::new(dir), &mut files, &mut errs);
        let project = Project::load(&files);
        let m = cadence::check::check(&project).model;
        assert!(!m.cadences.is_empty());
        assert_eq!(lines(&diff(&m, &m, None)), Vec::<String>::new(), "{dir}");
    }
}

/// One edit of the base texts, and the changes it must produce (written from the edit).
fn edited(from: &str, to: &str, in_cadence: bool) -> Vec<String> {
    let (p, c) = if in_cadence {
        (PIPELINE.to_string(), CADENCE.replacen(from, to, 1))
    } else {
        (PIPELINE.replacen(from, to, 1), CADENCE.to_string())
    };
    assert!(
        p != PIPELINE || c != CADENCE,
        "the edit `{from}` matched nothing"
    );
    let new = model(&[("a.cadence", &format!("{CALENDAR}{p}{c}"))]);
    lines(&diff(&base(), &new, None))
}

#[test]
fn gates_rules_and_escalations() {
    let stage = "stage `lead` of `deals`";
    assert_eq!(
        edited("budget >= 50k CNY", "budget >= 30k CNY", false),
        [format!("{stage}: exit to `needs`: when budget >= 50000 CNY and authority → when budget >= 30000 CNY and authority [gate-loosened]")]
    );
    // a tighter threshold is a change, not a risk
    assert_eq!(
        edited("budget >= 50k CNY", "budget >= 80k CNY", false),
        [format!("{stage}: exit to `needs`: when budget >= 50000 CNY and authority → when budget >= 80000 CNY and authority")]
    );
    assert_eq!(
        edited(" and authority", "", false),
        [format!("{stage}: exit to `needs`: when budget >= 50000 CNY and authority → when budget >= 50000 CNY [gate-loosened]")]
    );
    assert_eq!(
        edited("    require demo_held\n", "", false),
        ["stage `needs` of `deals`: `require demo_held` removed [gate-loosened]"]
    );
    assert_eq!(
        edited("    escalate manager when dwell > 7d\n", "", false),
        [format!(
            "{stage}: `escalate manager when dwell > 7d` removed [escalation-removed]"
        )]
    );
    assert_eq!(
        edited("dwell > 7d", "dwell > 14d", false),
        [format!(
            "{stage}: `escalate manager when dwell > 7d` → `escalate manager when dwell > 14d`"
        )]
    );
    assert_eq!(
        edited("max_gap 90d", "max_gap 100d", false),
        ["pipeline `deals`: `max_gap` 90d → 100d [rule-loosened]"]
    );
    assert_eq!(
        edited(
            "respond within 4 business hours",
            "respond within 8 business hours",
            false
        ),
        [format!(
            "{stage}: `respond within` 4 business hours → 8 business hours [rule-loosened]"
        )]
    );
}

#[test]
fn an_exit_that_skips_a_stage() {
    assert_eq!(
        edited(
            "    exit to lost when idle > 60d\n    escalate",
            "    exit to evaluation when signed\n    exit to lost when idle > 60d\n    escalate",
            false
        ),
        ["stage `lead` of `deals`: exit to `evaluation` when signed added [stage-skipped]"]
    );
}

#[test]
fn cadence_exits_and_steps() {
    let c = "cadence `inbound`";
    assert_eq!(
        edited("  exit bounced on bounce\n", "", true),
        [format!(
            "{c}: exit bounced on bounce removed [compliance-exit-removed]"
        )]
    );
    // the same trigger still ends the cadence under another name: no risk
    assert_eq!(
        edited(
            "exit unsubscribed on unsubscribe",
            "exit opted_out on unsubscribe",
            true
        ),
        [
            format!("{c}: `exit opted_out on unsubscribe` added"),
            format!("{c}: exit unsubscribed on unsubscribe removed"),
        ]
    );
    // where the cadence runs: its `target` line
    assert_eq!(
        edited(
            "  calendar office\n",
            "  calendar office\n  target zoho, hubspot\n",
            true
        ),
        [format!(
            "{c}: meant for every CRM (no `target` line) → `zoho`, `hubspot`"
        )]
    );
    assert_eq!(
        edited(
            "  calendar office\n",
            "  calendar office\n  target none\n",
            true
        ),
        [format!(
            "{c}: meant for every CRM (no `target` line) → no CRM (`target none`)"
        )]
    );
    assert_eq!(
        edited("call_2 call", "call_2 sms", true),
        [format!("{c}: step `call_2`: channel call → sms")]
    );
    // open around the clock: the worst silence is the longest wall wait, 4d, then 9d
    assert_eq!(
        edited("after 4d assign", "after 9d assign", true),
        [
            format!("{c}: step `call_2`: wait after 4d → after 9d"),
            format!("{c}: worst silence without a touch 4d → 9d [worse-gap]"),
        ]
    );
    assert_eq!(
        edited(
            "on connected -> set demo_held, exit connected",
            "on connected -> exit connected",
            true
        ),
        [format!("{c}: step `call_1`: `on connected -> set demo_held, exit connected` → `on connected -> exit connected`")]
    );
}

#[test]
fn a_removed_step_the_ids_file_maps() {
    let c = CADENCE.replacen(
        "  step case email \"客户案例\" template \"case\" after 3d\n",
        "",
        1,
    );
    let new = model(&[("a.cadence", &format!("{CALENDAR}{PIPELINE}{c}"))]);
    let plain = lines(&diff(&base(), &new, None));
    assert_eq!(plain[0], "cadence `inbound`: step `case` removed");
    let ids = Ids::parse("[zoho.actions]\n\"inbound.case\" = \"4150868000000456001\"\n").unwrap();
    let mapped = diff(&base(), &new, Some(&ids));
    assert_eq!(
        lines(&mapped)[0],
        "cadence `inbound`: step `case` removed, but the ids file still maps `inbound.case` [mapped-step-removed]"
    );
    assert_eq!(mapped[0].risk, Some(Risk::MappedStepRemoved));
}

#[test]
fn risk_names_round_trip() {
    for r in Risk::ALL {
        assert_eq!(Risk::from_name(r.name()), Some(r));
    }
}

/// `cadence diff` and `compare --against REF` in a throwaway git repository.
mod cli {
    use std::path::Path;
    use std::process::{Command, Output};

    fn git(dir: &Path, args: &[&str]) {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn cadence(dir: &Path, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_cadence"))
            .current_dir(dir)
            .args(args)
            .output()
            .expect("cadence runs")
    }

    fn text(o: &Output) -> (String, String) {
        (
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    }

    /// A repository with the base project in `deals/` committed, then the budget gate lowered
    /// in the work tree (not committed).
    fn repo() -> tempfile::TempDir {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        git(dir, &["init", "-q"]);
        std::fs::create_dir(dir.join("deals")).unwrap();
        let text = format!("{}{}{}", super::CALENDAR, super::PIPELINE, super::CADENCE);
        std::fs::write(dir.join("deals/a.cadence"), &text).unwrap();
        std::fs::write(dir.join("notes.txt"), "not a source").unwrap();
        git(dir, &["add", "."]);
        git(dir, &["commit", "-q", "-m", "base"]);
        std::fs::write(
            dir.join("deals/a.cadence"),
            text.replacen("budget >= 50k CNY", "budget >= 30k CNY", 1),
        )
        .unwrap();
        tmp
    }

    #[test]
    fn diff_against_head_names_the_loosened_gate_and_fails_on_it() {
        let tmp = repo();
        let dir = tmp.path();
        let out = cadence(dir, &["diff", "deals", "--against", "HEAD"]);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
        assert_eq!(
            stdout,
            "changes since `HEAD`:\nstage `lead` of `deals`\n  ! exit to `needs`: when budget >= 50000 CNY and authority → when budget >= 30000 CNY and authority [gate-loosened]\n1 change(s), 1 risky\n"
        );
        for (classes, code) in [("worse-gap,gate-loosened", 1), ("worse-gap", 0), ("all", 1)] {
            let args = ["diff", "deals", "--against", "HEAD", "--fail-on", classes];
            assert_eq!(cadence(dir, &args).status.code(), Some(code), "{classes}");
        }
        // from a subfolder of the repository and for one file
        let out = cadence(
            &dir.join("deals"),
            &["diff", "a.cadence", "--against", "HEAD", "--format", "json"],
        );
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(doc["changes"][0]["risk"], "gate-loosened");
        assert_eq!(doc["risky"], 1);
        // the work tree and the index are untouched
        let status = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["status", "--porcelain"])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&status.stdout),
            " M deals/a.cadence\n"
        );
    }

    #[test]
    fn bad_refs_and_classes_are_usage_errors() {
        let tmp = repo();
        let dir = tmp.path();
        let out = cadence(dir, &["diff", "deals", "--against", "no-such-branch"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            text(&out).1.contains("`no-such-branch` names no commit"),
            "{:?}",
            text(&out)
        );
        let out = cadence(dir, &["diff", "deals", "--against", "--upload-pack=x"]);
        assert_eq!(out.status.code(), Some(2));
        let out = cadence(
            dir,
            &[
                "diff",
                "deals",
                "--against",
                "HEAD",
                "--fail-on",
                "gate-loosend",
            ],
        );
        assert_eq!(out.status.code(), Some(2));
        assert!(
            text(&out).1.contains("did you mean `gate-loosened`?"),
            "{:?}",
            text(&out)
        );
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("a.cadence"), super::CALENDAR).unwrap();
        let out = cadence(outside.path(), &["diff", ".", "--against", "HEAD"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            text(&out).1.contains("not in a git repository"),
            "{:?}",
            text(&out)
        );
    }

    #[test]
    fn a_folder_new_since_the_ref_is_all_added() {
        let tmp = repo();
        let dir = tmp.path();
        std::fs::create_dir(dir.join("more")).unwrap();
        std::fs::copy(dir.join("deals/a.cadence"), dir.join("more/a.cadence")).unwrap();
        let out = cadence(dir, &["diff", "more", "--against", "HEAD"]);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert!(stderr.contains("everything is new"), "{stderr}");
        assert!(stdout.contains("pipeline `deals`\n  - added"), "{stdout}");
        assert!(stdout.contains("cadence `inbound`\n  - added"), "{stdout}");
    }

    /// `compare --against REF`: the committed version is the base, the work tree the candidate.
    #[test]
    fn compare_against_a_git_revision() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        git(dir, &["init", "-q"]);
        let sim = "\nleads web {\n  count 2_000\n  fact budget = lognormal(median 60k CNY, p90 200k CNY)\n  fact authority = 70%\n  milestone demo_held in needs 80% after gamma(mean 3d, shape 2)\n  milestone signed in evaluation 60% after gamma(mean 5d, shape 2)\n  respond email { delivered 95%, opened 40%, replied 5%, bounced 2%, unsubscribed 1% }\n  respond call { connected 20% }\n}\nsimulation trial {\n  pipeline deals\n  leads web\n  start 2026-06-01 09:00\n  horizon 30d\n  seed 7\n}\n";
        let text = format!(
            "{}{}{}{sim}",
            super::CALENDAR,
            super::PIPELINE,
            super::CADENCE
        );
        std::fs::write(dir.join("a.cadence"), &text).unwrap();
        git(dir, &["add", "."]);
        git(dir, &["commit", "-q", "-m", "base"]);
        // the work tree lowers the budget gate
        std::fs::write(
            dir.join("a.cadence"),
            text.replacen("budget >= 50k CNY", "budget >= 10k CNY", 1),
        )
        .unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_cadence"))
            .current_dir(dir)
            .args([
                "compare",
                "trial",
                "trial",
                "--against",
                "HEAD",
                "--format",
                "json",
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["leads"], 2000);
        // the same leads on both sides: every lead the base (HEAD) wins, the lower gate wins too,
        // and some more
        let pairs = &doc["pairs"];
        assert_eq!(pairs["only_base_won"], 0, "{doc}");
        assert!(pairs["only_candidate_won"].as_u64().unwrap() > 0, "{doc}");
        assert!(pairs["both_won"].as_u64().unwrap() > 0, "{doc}");
    }
}

/// The repository's own history: the library against HEAD (skipped outside a git checkout).
#[test]
fn the_library_against_head_of_this_repository() {
    use std::process::Command;
    let root = env!("CARGO_MANIFEST_DIR");
    let head = Command::new("git")
        .args([
            "-C",
            root,
            "rev-parse",
            "--verify",
            "--quiet",
            "HEAD^{commit}",
        ])
        .output();
    if !head.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: not a git checkout");
        return;
    }
    let out = Command::new(env!("CARGO_BIN_EXE_cadence"))
        .current_dir(root)
        .args(["diff", "cadences", "--against", "HEAD", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["changes"].is_array(), "{doc}");
}
