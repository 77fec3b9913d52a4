#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly
//! What each vendor's documented format carries since the third increment of issue 12:
//! Salesloft's person-stage settings and Integration steps, Zoho's trigger assumptions and
//! Blueprint `state_escalation`, and the ids file's per-vendor roles and unknown keys.

use cadence::project::Project;
use cadence::targets::{self, Ids, Options, OutputKind, Scope, Target};

fn build(text: &str, target: Target, ids: &str) -> targets::Built {
    let project = Project::from_texts(&[("c.cadence", text)]);
    let checked = cadence::check::check(&project);
    assert!(
        checked.diagnostics.iter().all(|d| !d.is_error()),
        "{:?}",
        checked.diagnostics
    );
    let mut o = Options::new(target);
    o.ids = Ids::parse(ids).unwrap();
    targets::build(&project, &checked.model, &o)
}

fn body<'a>(b: &'a targets::Built, name: &str) -> &'a serde_json::Value {
    &b.outputs
        .iter()
        .find(|o| o.kind == OutputKind::Cadence && o.name == name)
        .unwrap_or_else(|| panic!("no `{name}`: {:?}", b.diagnostics))
        .body
}

const STAGES: &str = r#"
pipeline p {
  stage lead "Lead" { exit to won when age > 3650d }
  stage talking "Talking" { exit to won when age > 3650d }
  stage cold "Cold" { exit to won when age > 3650d }
  stage done "Done" { exit to won when age > 3650d }
  stage won "Won" { outcome won }
}
cadence c {
  pipeline p
  exit replied on reply -> stage talking
  exit bounced on bounce -> stage cold
  exit unsubscribed on unsubscribe
  exit booked on meeting_booked
  step e1 email "Hello" immediately
  step e2 email "Last" after 2d
    otherwise -> stage done
}
"#;

#[test]
fn salesloft_writes_person_stage_settings_and_says_they_are_person_stages() {
    let b = build(STAGES, Target::Salesloft, "");
    assert!(!b.has_errors(), "{:?}", b.diagnostics);
    let s = &body(&b, "c")["settings"];
    // https://developers.salesloft.com/docs/platform/cadence-imports/settings/
    assert_eq!(s["replied_stage_setting"], "Talking");
    assert_eq!(s["bounced_stage_setting"], "Cold");
    assert_eq!(s["finished_stage_setting"], "Done");
    // not on the settings page, so not written
    assert!(s.get("remove_people_when_meeting_booked").is_none(), "{s}");
    for key in [
        "replied_stage_setting",
        "bounced_stage_setting",
        "finished_stage_setting",
    ] {
        let it = b
            .setup
            .iter()
            .find(|it| it.configure.starts_with(&format!("`{key}`")))
            .unwrap_or_else(|| panic!("{key}: {:#?}", b.setup));
        assert!(it.configure.contains("person stage"), "{it:?}");
    }
    assert!(b
        .setup
        .iter()
        .any(|it| it.scope == Scope::cadence("c") && it.what.contains("meeting is booked")));
}

const SOCIAL: &str = r#"
cadence c {
  exit replied on reply
  exit bounced on bounce
  exit unsubscribed on unsubscribe
  step e1 email "Hello" immediately
  step l1 linkedin "Connect" after 1d
  step s1 sms "Ping" after 1d
}
"#;

#[test]
fn salesloft_linkedin_and_sms_are_integration_steps_with_ids() {
    // without the ids: the Other fallback is a loss whose help names the keys
    let b = build(SOCIAL, Target::Salesloft, "");
    let helps: Vec<String> = b
        .diagnostics
        .iter()
        .filter(|d| d.code.code == "E0901")
        .map(|d| d.help.clone().unwrap_or_default())
        .collect();
    assert_eq!(helps.len(), 2, "{helps:?}");
    assert!(helps[0].contains("`linkedin = ID`") && helps[1].contains("`sms = ID`"));
    let ids = "[salesloft.integrations]\nlinkedin = 12\nlinkedin_step_type = \"g-li\"\nsms = 13\nsms_step_type = \"g-sms\"\n";
    let b = build(SOCIAL, Target::Salesloft, ids);
    assert!(!b.has_errors(), "{:?}", b.diagnostics);
    let steps: Vec<serde_json::Value> = body(&b, "c")["cadence_content"]["step_groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["steps"].as_array().unwrap().clone())
        .collect();
    let integ: Vec<(&str, u64, &str)> = steps
        .iter()
        .filter(|s| s["type"] == "Integration")
        .map(|s| {
            let t = &s["type_settings"];
            (
                s["name"].as_str().unwrap(),
                t["integration_id"].as_u64().unwrap(),
                t["integration_step_type_guid"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(integ, [("Connect", 12, "g-li"), ("Ping", 13, "g-sms")]);
}

#[test]
fn zoho_names_every_undocumented_trigger_literal_as_an_assumption() {
    let text = r#"
cadence c {
  exit replied on reply
  exit bounced on bounce
  exit unsubscribed on unsubscribe
  step e1 email "Hello" immediately
    on opened -> task "Call back"
  step e2 email "Again" after 2d
}
"#;
    let b = build(text, Target::Zoho, "");
    // the triggers the body uses, read from the body itself
    let mut used: Vec<String> = body(&b, "c")["cadences"][0]["follow_ups"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["triggers"].as_array())
        .flatten()
        .map(|t| t.as_str().unwrap().to_string())
        .filter(|t| t != "Completed")
        .collect();
    used.sort();
    used.dedup();
    assert_eq!(used, ["Opened", "Sent"]);
    let mut named: Vec<String> = b
        .setup
        .iter()
        .filter_map(|it| it.what.strip_prefix("assumption: the follow-up trigger `"))
        .map(|w| w.trim_end_matches('`').to_string())
        .collect();
    named.sort();
    assert_eq!(named, used);
    // never an error, not even with --fail-on-setup
    let project = Project::from_texts(&[("c.cadence", text)]);
    let checked = cadence::check::check(&project);
    let mut o = Options::new(Target::Zoho);
    o.fail_on_setup = true;
    let strict = targets::build(&project, &checked.model, &o);
    assert!(strict
        .diagnostics
        .iter()
        .filter(|d| d.message.contains("assumption"))
        .all(|d| !d.is_error()));
}

#[test]
fn zoho_timer_escalations_and_respond_within_are_state_escalations() {
    let text = r#"
pipeline p {
  roles owner, manager
  stage lead "Lead" {
    respond within 2 business days
    escalate manager when dwell > 3d then task "Stuck"
    exit to won when age > 3650d
  }
  stage won "Won" { outcome won }
}
"#;
    let b = build(text, Target::Zoho, "");
    let words: Vec<&str> = b
        .setup
        .iter()
        .filter(|it| it.scope == Scope::stage("p", "lead"))
        .map(|it| it.configure.as_str())
        .collect();
    // https://www.zoho.com/crm/developer/docs/api/v8/create-blueprint-states.html
    assert!(
        words
            .iter()
            .any(|w| w.contains(r#"`{"period": "business_days", "value": 2}`"#)),
        "{words:#?}"
    );
    assert!(
        words
            .iter()
            .any(|w| w.contains(r#"`{"period": "days", "value": 3}`"#)),
        "{words:#?}"
    );
}

#[test]
fn the_ids_file_warns_about_keys_that_name_nothing_with_a_suggestion() {
    let text = r#"
cadence c {
  exit replied on reply
  exit bounced on bounce
  exit unsubscribed on unsubscribe
  step e1 email "Hello" template "material_download" immediately
}
"#;
    let ids = "[templates]\nmaterial_downlaod = \"1\"\n[zoho.actions]\n\"c.e1\" = \"2\"\n\"c.e2\" = \"3\"\n";
    let b = build(text, Target::Zoho, ids);
    let w: Vec<(String, String)> = b
        .diagnostics
        .iter()
        .filter(|d| d.code.code == "W0908")
        .map(|d| (d.message.clone(), d.help.clone().unwrap_or_default()))
        .collect();
    assert_eq!(w.len(), 2, "{w:?}");
    let shown: String = b
        .diagnostics
        .iter()
        .filter(|d| d.code.code == "W0908")
        .map(|d| {
            format!(
                "{} {}\n    help: {}\n",
                d.code.code,
                d.message,
                d.help.as_deref().unwrap_or("")
            )
        })
        .collect();
    insta::assert_snapshot!("ids_unknown_keys", shown);
    assert!(
        w[0].0.contains("`[templates]` key `material_downlaod`"),
        "{w:?}"
    );
    assert_eq!(w[0].1, "did you mean `material_download`?");
    assert!(w[1].0.contains("`[zoho.actions]` key `c.e2`"), "{w:?}");
    assert_eq!(w[1].1, "did you mean `c.e1`?");
    // another vendor's table is not this build's concern
    let b = build(text, Target::Hubspot, ids);
    assert_eq!(
        b.diagnostics
            .iter()
            .filter(|d| d.code.code == "W0908")
            .count(),
        1
    );
}

#[test]
fn check_with_a_target_reports_the_build_s_behavioural_losses() {
    let text = r#"
cadence c {
  exit replied on reply
  exit bounced on bounce
  exit unsubscribed on unsubscribe
  step e1 email "Hello" immediately
    on opened -> e3
  step e2 email "Again" after 2d
  step e3 email "Last" after 2d
}
"#;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.cadence"), text).unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_cadence"))
            .current_dir(dir.path())
            .args(args)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        (out.status.code().unwrap_or(-1), out.stdout)
    };
    assert_eq!(run(&["check", "."]).0, 0);
    for t in [Target::Zoho, Target::Salesloft, Target::Hubspot] {
        let (code, stdout) = run(&["check", ".", "--target", t.name(), "--format", "json"]);
        let doc: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
        let mut found: Vec<String> = doc["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["code"] == "E0901")
            .map(|d| d["message"].as_str().unwrap().to_string())
            .collect();
        // the same losses as a strict build, found in one place
        let b = build(text, t, "");
        let mut want: Vec<String> = b
            .diagnostics
            .iter()
            .filter(|d| d.code.code == "E0901")
            .map(|d| d.message.clone())
            .collect();
        found.sort();
        want.sort();
        assert!(!want.is_empty(), "{t:?}");
        assert_eq!(found, want, "{t:?}");
        assert_eq!(code, 1, "{t:?}");
    }
}
