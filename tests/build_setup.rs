#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly
//! Setup items (W0907): what an admin configures once outside the bodies is not a behavioural
//! loss. A strict build of a linear seven-email cadence on a pipeline with stage exits writes
//! every body for every CRM, lists the stage exits and the reply's stage move in the setup
//! report, and fails only under `--fail-on-setup`.

use std::process::Command;

use cadence::project::Project;
use cadence::targets::{self, Options, OutputKind, Scope, Target};

const CRMS: [Target; 3] = [Target::Zoho, Target::Salesloft, Target::Hubspot];

/// The seven-email cadence of the issue: a pipeline whose stages have exits, a cadence working
/// its first stage that moves the deal on a reply.
const SEVEN: &str = r#"
pipeline seven_p {
  events met
  stage lead { exit to lost when age > 3650d }
  stage meeting { exit to won when met }
  stage won { outcome won }
  stage lost { outcome lost }
}
cadence seven {
  pipeline seven_p stage lead
  exit replied on reply -> stage meeting
  exit bounced on bounce
  exit unsubscribed on unsubscribe
  step e1 email "Email 1" immediately
  step e2 email "Email 2" after 3d
  step e3 email "Email 3" after 3d
  step e4 email "Email 4" after 3d
  step e5 email "Email 5" after 3d
  step e6 email "Email 6" after 3d
  step e7 email "Email 7" after 3d
}
"#;

fn build(text: &str, target: Target, fail_on_setup: bool) -> targets::Built {
    let project = Project::from_texts(&[("seven.cadence", text)]);
    let checked = cadence::check::check(&project);
    assert!(
        checked.diagnostics.iter().all(|d| !d.is_error()),
        "{:?}",
        checked.diagnostics
    );
    let mut o = Options::new(target);
    o.fail_on_setup = fail_on_setup;
    targets::build(&project, &checked.model, &o)
}

fn codes(b: &targets::Built) -> Vec<&'static str> {
    b.diagnostics.iter().map(|d| d.code.code).collect()
}

#[test]
fn the_seven_email_cadence_builds_strictly_for_every_crm() {
    for t in CRMS {
        let b = build(SEVEN, t, false);
        assert!(!b.has_errors(), "{t:?}: {:?}", codes(&b));
        let cadences: Vec<&str> = b
            .outputs
            .iter()
            .filter(|o| o.kind == OutputKind::Cadence)
            .map(|o| o.name.as_str())
            .collect();
        assert_eq!(cadences, ["seven"], "{t:?}");
        // every setup item is a W0907 finding, and nothing else is reported but placeholders
        let w0907 = codes(&b).iter().filter(|c| **c == "W0907").count();
        assert_eq!(w0907, b.setup.len(), "{t:?}");
        assert!(
            codes(&b).iter().all(|c| ["W0907", "W0904"].contains(c)),
            "{t:?}: {:?}",
            codes(&b)
        );
        // the reply's stage move is a setup item of the cadence, in the CRM's words
        let reply = b
            .setup
            .iter()
            .find(|it| it.scope == Scope::cadence("seven") && it.what.contains("on reply"))
            .unwrap_or_else(|| panic!("{t:?}: {:#?}", b.setup));
        assert!(reply.configure.contains("\"meeting\""), "{reply:?}");
    }
}

#[test]
fn stage_exits_are_setup_items_per_stage_where_the_crm_has_a_pipeline_body() {
    for t in [Target::Zoho, Target::Hubspot] {
        let b = build(SEVEN, t, false);
        let pipelines = b
            .outputs
            .iter()
            .filter(|o| o.kind == OutputKind::Pipeline)
            .count();
        // pipeline bodies only with `--pipelines`; the stage exits are setup items either way
        assert_eq!(pipelines, 0, "{t:?}");
        // one item per stage exit of the source: lead → lost, meeting → won
        for (stage, to) in [("lead", "lost"), ("meeting", "won")] {
            let hits = b
                .setup
                .iter()
                .filter(|it| {
                    it.scope == Scope::stage("seven_p", stage)
                        && it.what.starts_with(&format!("exit to `{to}`"))
                })
                .count();
            assert_eq!(hits, 1, "{t:?} {stage}: {:#?}", b.setup);
        }
    }
}

#[test]
fn the_linear_crms_unenroll_on_a_stage_change_through_setup() {
    for t in [Target::Salesloft, Target::Hubspot] {
        let b = build(SEVEN, t, false);
        let it = b
            .setup
            .iter()
            .find(|it| it.what == "the cadence ends when the deal leaves its stage")
            .unwrap_or_else(|| panic!("{t:?}: {:#?}", b.setup));
        assert!(it.configure.contains("\"lead\""), "{it:?}");
    }
}

#[test]
fn fail_on_setup_makes_every_setup_item_an_error() {
    for t in CRMS {
        let lenient = build(SEVEN, t, false);
        let strict = build(SEVEN, t, true);
        let e0901 = codes(&strict).iter().filter(|c| **c == "E0901").count();
        let w0907 = codes(&lenient).iter().filter(|c| **c == "W0907").count();
        // an assumption is something to check, never an error
        let assumptions = lenient
            .setup
            .iter()
            .filter(|it| it.what.starts_with("assumption: "))
            .count();
        assert_eq!(e0901, w0907 - assumptions, "{t:?}");
        assert!(e0901 > 0, "{t:?}");
        let still = codes(&strict).iter().filter(|c| **c == "W0907").count();
        assert_eq!(still, assumptions, "{t:?}");
    }
}

#[test]
fn behavioural_losses_stay_errors() {
    // a branch is behaviour: no setup item stands for it
    let branched = SEVEN.replace(
        "step e2 email \"Email 2\" after 3d",
        "step e2 email \"Email 2\" after 3d\n    on opened -> e4",
    );
    for t in [Target::Salesloft, Target::Hubspot] {
        let b = build(&branched, t, false);
        assert!(codes(&b).contains(&"E0901"), "{t:?}: {:?}", codes(&b));
        assert!(b.outputs.iter().all(|o| o.name != "seven"), "{t:?}");
    }
}

fn cadence_cli(dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cadence"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_strict_build_writes_the_setup_report_next_to_the_bodies() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("seven.cadence"), SEVEN).unwrap();
    for t in ["zoho", "salesloft", "hubspot"] {
        let (code, err) = cadence_cli(dir.path(), &["build", ".", "--target", t, "-o", "out"]);
        assert_eq!(code, 0, "{t}: {err}");
        let folder = dir.path().join("out").join(t);
        let md = std::fs::read_to_string(folder.join("SETUP.md")).unwrap();
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(folder.join("setup.json")).unwrap())
                .unwrap();
        let items = json["items"].as_array().unwrap();
        assert!(!items.is_empty(), "{t}");
        assert_eq!(json["target"], t);
        // every item of the JSON is a line of the markdown, under its cadence or pipeline
        for it in items {
            assert!(md.contains(it["configure"].as_str().unwrap()), "{t}: {it}");
        }
        assert!(md.contains("## Cadence `seven`"), "{md}");
        assert!(folder.join("cadence.seven.json").exists(), "{t}");
        let (code, err) = cadence_cli(
            dir.path(),
            &["build", ".", "--target", t, "-o", "out", "--fail-on-setup"],
        );
        assert_eq!(code, 1, "{t}: {err}");
        assert!(err.contains("E0901"), "{err}");
    }
}

/// Every non-placeholder automation action id of the Zoho bodies, with the follow-up using it.
fn zoho_action_ids(b: &targets::Built) -> Vec<(String, String)> {
    let mut ids = Vec::new();
    for o in b.outputs.iter().filter(|o| o.kind == OutputKind::Cadence) {
        for f in o.body["cadences"][0]["follow_ups"].as_array().unwrap() {
            if let Some(id) = f["action"]["id"].as_str().filter(|id| *id != "0") {
                ids.push((
                    id.to_string(),
                    f["reference_id"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    ids
}

#[test]
fn zoho_follow_ups_never_share_an_automation_action() {
    // Zoho refuses an action used by a second rule ("Action is already associated with another
    // rule"): one template on two steps, and a step unfolded on two paths
    let text = r#"
cadence c {
  exit replied on reply
  exit bounced on bounce
  exit unsubscribed on unsubscribe
  step e1 email "Hello" template "hello" immediately
    on opened -> e3
  step e2 email "Again" template "hello" after 2d
  step e3 email "Last" template "bye" after 2d
}
"#;
    let project = Project::from_texts(&[("c.cadence", text)]);
    let checked = cadence::check::check(&project);
    assert!(checked.diagnostics.iter().all(|d| !d.is_error()));
    let ids = "[templates]\nhello = \"4150868000000123001\"\nbye = \"4150868000000123002\"\n";
    let mut o = Options::new(Target::Zoho);
    // the rule's jump while the track goes on is a behavioural loss; build it anyway
    o.allow_lossy = true;
    o.ids = cadence::targets::Ids::parse(ids).unwrap();
    let b = targets::build(&project, &checked.model, &o);
    let used = zoho_action_ids(&b);
    let distinct: std::collections::BTreeSet<&String> = used.iter().map(|(id, _)| id).collect();
    assert_eq!(distinct.len(), used.len(), "{used:?}");
    // the template's action stays on its first follow-up; the others are setup items
    assert_eq!(used[0], ("4150868000000123001".into(), "e1".into()));
    let shared: Vec<&str> = b
        .setup
        .iter()
        .filter(|it| it.what.contains("would share the automation action"))
        .map(|it| it.what.as_str())
        .collect();
    // e2 reuses `hello`; e3 is reached from e1's rule and after e2: `bye` twice
    assert_eq!(shared.len(), 2, "{:#?}", b.setup);
    // with the copies in the ids file, every follow-up has its own action and nothing is left
    let mut o2 = o.clone();
    let refs: Vec<String> = b.outputs[0].body["cadences"][0]["follow_ups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["reference_id"].as_str().unwrap().to_string())
        .collect();
    let mut more = String::from(ids);
    more.push_str("[zoho.actions]\n");
    for (i, r) in refs.iter().enumerate() {
        more.push_str(&format!("\"c.{r}\" = \"41508680000009990{i:02}\"\n"));
    }
    o2.ids = cadence::targets::Ids::parse(&more).unwrap();
    let b2 = targets::build(&project, &checked.model, &o2);
    let used2 = zoho_action_ids(&b2);
    let distinct2: std::collections::BTreeSet<&String> = used2.iter().map(|(id, _)| id).collect();
    assert_eq!(distinct2.len(), used2.len(), "{used2:?}");
    assert_eq!(used2.len(), refs.len());
    assert!(b2.setup.iter().all(|it| !it.what.contains("would share")));
}
