#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly
//! `target` lines: the CRMs a cadence is meant for. The library's lines are held to what each
//! CRM's build finds; strict builds of the library exit 0 and write exactly the cadences meant
//! for the target; `check` reports the losses of the CRMs a line names.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use cadence::model::{Crm, Model};
use cadence::project::Project;
use cadence::targets::{self, Options, Target};

fn library() -> (Project, Model) {
    let mut files: Vec<PathBuf> = Vec::new();
    let mut errs = Vec::new();
    cadence::project::collect_dir(Path::new("cadences"), &mut files, &mut errs);
    assert!(errs.is_empty() && !files.is_empty());
    let project = Project::load(&files);
    let checked = cadence::check::check(&project);
    assert!(checked.diagnostics.iter().all(|d| !d.is_error()));
    (project, checked.model)
}

fn target(crm: Crm) -> Target {
    let t = Target::of(crm);
    assert_eq!((t.crm(), t.name()), (Some(crm), crm.name()));
    t
}

struct Run {
    code: i32,
    stderr: String,
}

fn cli(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_cadence"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run cadence");
    Run {
        code: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The oracle: each library cadence built alone, strictly, for each CRM; it runs there exactly
/// when that build finds no behavioural loss. Its `target` line names exactly those CRMs.
#[test]
fn library_target_lines_name_exactly_the_crms_that_run_each_cadence() {
    let (project, model) = library();
    assert!(
        model.cadences.iter().all(|c| c.crms.is_some()),
        "every library cadence has a line"
    );
    for (i, c) in model.cadences.iter().enumerate() {
        let mut exact = Vec::new();
        for crm in Crm::ALL {
            // only cadence `i` is meant for `crm`: every loss found is its own
            let mut alone = model.clone();
            for (j, other) in alone.cadences.iter_mut().enumerate() {
                other.crms = Some(if j == i { vec![crm] } else { vec![] });
            }
            let built = targets::build(&project, &alone, &Options::new(target(crm)));
            let losses = built
                .diagnostics
                .iter()
                .filter(|d| d.code.code == "E0901")
                .count();
            let written = built.outputs.iter().any(|o| o.name == c.name);
            assert_eq!(written, losses == 0, "{} on {crm:?}", c.name);
            if losses == 0 {
                exact.push(crm);
            }
        }
        assert_eq!(
            c.crms.as_deref(),
            Some(exact.as_slice()),
            "cadence `{}`",
            c.name
        );
    }
}

#[test]
fn strict_builds_of_the_library_exit_0_and_write_the_cadences_meant_for_each_crm() {
    let (_, model) = library();
    let dir = tempfile::tempdir().unwrap();
    let root = std::env::current_dir().unwrap();
    let out = dir.path().to_str().unwrap();
    for crm in Crm::ALL {
        let r = cli(
            &root,
            &["build", "cadences", "--target", crm.name(), "-o", out],
        );
        assert_eq!(r.code, 0, "{crm:?}: {}", r.stderr);
        assert!(!r.stderr.contains("E0901"), "{}", r.stderr);
        let folder = dir.path().join(crm.name());
        let written: BTreeSet<String> = std::fs::read_dir(&folder)
            .unwrap()
            .filter_map(|e| {
                let name = e.unwrap().file_name().into_string().unwrap();
                Some(
                    name.strip_prefix("cadence.")?
                        .strip_suffix(".json")?
                        .to_string(),
                )
            })
            .collect();
        let meant: BTreeSet<String> = model
            .cadences
            .iter()
            .filter(|c| c.meant_for(crm))
            .map(|c| c.name.clone())
            .collect();
        assert_eq!(written, meant, "{crm:?}");
        // the others are listed, with the CRMs they are meant for
        let md = std::fs::read_to_string(folder.join("SETUP.md")).unwrap();
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(folder.join("setup.json")).unwrap())
                .unwrap();
        let listed: BTreeSet<String> = json["not_built"]
            .as_array()
            .map(|l| {
                l.iter()
                    .map(|n| n["cadence"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default();
        for c in &model.cadences {
            assert_eq!(listed.contains(&c.name), !c.meant_for(crm), "{}", c.name);
            if !c.meant_for(crm) {
                assert!(
                    md.contains(&format!("- cadence `{}`: meant for ", c.name)),
                    "{md}"
                );
            }
        }
        let n = model.cadences.len() - meant.len();
        if n > 0 {
            let line = format!("not built: {n} cadence");
            assert!(r.stderr.contains(&line), "{}", r.stderr);
        }
    }
}

#[test]
fn a_lossy_build_builds_every_cadence_whatever_its_target_line() {
    let (project, model) = library();
    for crm in Crm::ALL {
        let mut o = Options::new(target(crm));
        o.allow_lossy = true;
        let b = targets::build(&project, &model, &o);
        assert!(b.not_meant.is_empty());
        for c in &model.cadences {
            assert!(b.outputs.iter().any(|o| o.name == c.name), "{}", c.name);
        }
    }
}

const SMS: &str = r#"
cadence texted {
  CRMS
  step first sms "Hello" immediately
  exit replied on reply
  exit unsubscribed on unsubscribe
}
"#;

const EMAILS: &str = r#"
cadence mailed {
  step first email "Hello" immediately
  step second email "Again" after 2d
  exit replied on reply
  exit bounced on bounce
  exit unsubscribed on unsubscribe
}
"#;

fn project(dir: &Path, top: &str, texted: &str) {
    let text = format!("{top}\n{}{EMAILS}", SMS.replace("CRMS", texted));
    std::fs::write(dir.join("p.cadence"), text).unwrap();
}

#[test]
fn check_reports_the_losses_of_the_crms_a_target_line_names() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // no line anywhere: nothing to hold the cadences to
    project(d, "", "");
    assert_eq!(cli(d, &["check", "p.cadence"]).code, 0);
    // the cadence's own line
    project(d, "", "target zoho");
    let r = cli(d, &["check", "p.cadence"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r
        .stderr
        .contains("Zoho CRM cannot express this: step `first` is an sms step"));
    assert!(!r.stderr.contains("HubSpot"), "{}", r.stderr);
    insta::assert_snapshot!("check_with_a_target_line", r.stderr);
    // `--target` asks about one CRM: a cadence meant for another is not held to it, an
    // undeclared one is
    project(d, "", "target zoho");
    let r = cli(d, &["check", "p.cadence", "--target", "hubspot"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // the project's line, for every cadence without its own
    project(d, "target hubspot", "");
    let r = cli(d, &["check", "p.cadence"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r
        .stderr
        .contains("HubSpot cannot express this: step `first` sends sms"));
    // the cadence's line wins over the project's
    project(d, "target hubspot", "target none");
    let r = cli(d, &["check", "p.cadence"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = cli(
        d,
        &["build", "p.cadence", "--target", "hubspot", "-o", "out"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(d.join("out/hubspot/cadence.mailed.json").exists());
    assert!(!d.join("out/hubspot/cadence.texted.json").exists());
    let md = std::fs::read_to_string(d.join("out/hubspot/SETUP.md")).unwrap();
    assert!(
        md.contains("- cadence `texted`: meant for no CRM (`target none`)"),
        "{md}"
    );
}

/// A strict build with behavioural losses exits 1 and writes exactly the bodies without one.
#[test]
fn a_strict_build_with_losses_writes_the_bodies_without_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    project(d, "", "");
    let r = cli(d, &["build", "p.cadence", "--target", "zoho", "-o", "out"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("E0901"));
    assert!(r.stderr.contains("are not written"), "{}", r.stderr);
    assert!(d.join("out/zoho/cadence.mailed.json").exists());
    assert!(!d.join("out/zoho/cadence.texted.json").exists());
    assert!(d.join("out/zoho/SETUP.md").exists());
}

#[test]
fn target_lines_format_and_parse_back() {
    let text = "target   zoho ,hubspot\ncadence c {\n  title \"t\"\n  target salesloft,zoho\n  step a email \"x\" immediately\n}\n";
    let formatted = cadence::fmt::format_source(cadence::source::FileId(0), text).unwrap();
    assert!(
        formatted.starts_with("target zoho, hubspot\n\ncadence c {"),
        "{formatted}"
    );
    assert!(
        formatted.contains("\n  target salesloft, zoho\n"),
        "{formatted}"
    );
    let again = cadence::fmt::format_source(cadence::source::FileId(0), &formatted).unwrap();
    assert_eq!(again, formatted);
    let project = Project::from_texts(&[("a.cadence", &formatted)]);
    let model = cadence::check::check(&project).model;
    assert_eq!(
        model.cadences[0].crms,
        Some(vec![Crm::Zoho, Crm::Salesloft])
    );
    // a bare `target` is a syntax error with a place
    let bad = Project::from_texts(&[("a.cadence", "target\n")]);
    let d = cadence::check::check(&bad).diagnostics;
    assert!(d.iter().any(|d| d.code.code == "E0101"), "{d:?}");
}

// ───────────── generated projects: which cadences a build writes ─────────────

use proptest::prelude::*;

/// What a generated cadence holds. The truth comes from the vendors' documented formats, not
/// from the build: a linear email sequence runs in all three CRMs; none of them sends SMS from a
/// cadence body, and none branches on a call's outcome (Zoho's follow-ups branch on email
/// outcomes only; Salesloft and HubSpot sequences are linear).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Body {
    Linear,
    Sms,
    CallBranch,
}

fn gen_crms() -> impl Strategy<Value = Option<Vec<Crm>>> {
    prop::option::of(prop::sample::subsequence(Crm::ALL.to_vec(), 0..=3))
}

fn line(crms: &[Crm]) -> String {
    match crms {
        [] => "target none".to_string(),
        l => format!(
            "target {}",
            l.iter().map(|c| c.name()).collect::<Vec<_>>().join(", ")
        ),
    }
}

fn gen_text(project: &Option<Vec<Crm>>, cadences: &[(Body, Option<Vec<Crm>>)]) -> String {
    let mut s = project.as_deref().map(line).unwrap_or_default();
    for (i, (body, crms)) in cadences.iter().enumerate() {
        let own = crms.as_deref().map(line).unwrap_or_default();
        let steps = match body {
            Body::Linear => "step a email \"A\" immediately\n  step b email \"B\" after 2d",
            Body::Sms => "step a email \"A\" immediately\n  step b sms \"B\" after 2d",
            Body::CallBranch => {
                "step a call \"A\" immediately\n    on connected -> task \"T\"\n  step b email \"B\" after 2d"
            }
        };
        s.push_str(&format!(
            "\ncadence c{i} {{\n  {own}\n  {steps}\n  exit replied on reply\n  exit bounced on bounce\n  exit unsubscribed on unsubscribe\n}}\n"
        ));
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, failure_persistence: None, ..ProptestConfig::default() })]

    /// For every CRM: a strict build writes exactly the cadences meant for it that it runs as
    /// written, lists the ones not meant for it, and fails exactly when a cadence meant for it
    /// has a loss; `check` reports a CRM's losses exactly when a cadence whose line names that
    /// CRM has one; a lossy build writes every cadence.
    #[test]
    fn builds_and_checks_follow_the_target_lines(
        project_line in gen_crms(),
        cadences in prop::collection::vec(
            (prop::sample::select(vec![Body::Linear, Body::Sms, Body::CallBranch]), gen_crms()),
            1..5,
        ),
    ) {
        let text = gen_text(&project_line, &cadences);
        let project = Project::from_texts(&[("gen.cadence", &text)]);
        let checked = cadence::check::check(&project);
        prop_assert!(checked.diagnostics.iter().all(|d| !d.is_error()), "{text}\n{:?}", checked.diagnostics);
        let model = &checked.model;
        let declared = |i: usize| cadences[i].1.clone().or_else(|| project_line.clone());
        let meant = |i: usize, crm: Crm| declared(i).is_none_or(|l| l.contains(&crm));
        let name = |i: usize| format!("c{i}");
        let check_losses = targets::declared_losses(&project, model);
        for crm in Crm::ALL {
            let strict = targets::build(&project, model, &Options::new(target(crm)));
            let written: BTreeSet<String> = strict.outputs.iter()
                .filter(|o| o.kind == targets::OutputKind::Cadence).map(|o| o.name.clone()).collect();
            let want: BTreeSet<String> = (0..cadences.len())
                .filter(|&i| meant(i, crm) && cadences[i].0 == Body::Linear).map(name).collect();
            prop_assert_eq!(&written, &want, "{:?}\n{}", crm, text);
            let skipped: BTreeSet<String> = strict.not_meant.iter().map(|n| n.cadence.clone()).collect();
            let want_skipped: BTreeSet<String> = (0..cadences.len()).filter(|&i| !meant(i, crm)).map(name).collect();
            prop_assert_eq!(skipped, want_skipped);
            let lossy_meant = (0..cadences.len()).any(|i| meant(i, crm) && cadences[i].0 != Body::Linear);
            prop_assert_eq!(strict.has_errors(), lossy_meant, "{:?}\n{}", crm, text);
            let title = target(crm).title();
            let reported = check_losses.iter().any(|d| d.message.starts_with(title));
            let named_lossy = (0..cadences.len()).any(|i| {
                declared(i).is_some_and(|l| l.contains(&crm)) && cadences[i].0 != Body::Linear
            });
            prop_assert_eq!(reported, named_lossy, "check, {:?}\n{}", crm, text);
            let mut o = Options::new(target(crm));
            o.allow_lossy = true;
            let lossy = targets::build(&project, model, &o);
            prop_assert!(!lossy.has_errors() && lossy.not_meant.is_empty());
            prop_assert_eq!(lossy.outputs.iter().filter(|o| o.kind == targets::OutputKind::Cadence).count(), cadences.len());
        }
        // the layout is canonical text that reads back to the same lines
        let formatted = cadence::fmt::format_source(cadence::source::FileId(0), &text).unwrap();
        let again = cadence::check::check(&Project::from_texts(&[("gen.cadence", &formatted)]));
        let crms = |m: &Model| m.cadences.iter().map(|c| c.crms.clone()).collect::<Vec<_>>();
        prop_assert_eq!(crms(&again.model), crms(model));
    }
}
