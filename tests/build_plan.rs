#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly
//! Issue 12, last items: Zoho's Blueprint plan (`--pipelines`), Salesloft's holiday calendar as
//! one team setting per build, HubSpot's engagement exits as assumptions. Expected values are
//! worked out by hand from the source text and the vendors' pages.

use cadence::project::Project;
use cadence::targets::{self, validate, Options, OutputKind, Scope, Target};
use serde_json::{json, Value};

fn build(text: &str, target: Target, pipelines: bool) -> targets::Built {
    let project = Project::from_texts(&[("c.cadence", text)]);
    let checked = cadence::check::check(&project);
    assert!(
        checked.diagnostics.iter().all(|d| !d.is_error()),
        "{:?}",
        checked.diagnostics
    );
    let mut o = Options::new(target);
    o.pipelines = pipelines;
    targets::build(&project, &checked.model, &o)
}

const PIPELINE: &str = r#"
pipeline p {
  title "Deals 2026"
  events signed
  roles owner, manager
  stage lead "Lead" {
    respond within 2 business days
    escalate manager when dwell > 3d
    exit to won when signed
    exit to lost when dwell > 30d
  }
  stage won "Won" { outcome won }
  stage lost { outcome lost }
}
"#;

fn plan(b: &targets::Built) -> &Value {
    &b.outputs
        .iter()
        .find(|o| o.kind == OutputKind::Pipeline)
        .unwrap_or_else(|| panic!("no plan: {:?}", b.diagnostics))
        .body
}

#[test]
fn zoho_pipelines_become_the_ordered_blueprint_plan_only_when_asked() {
    let b = build(PIPELINE, Target::Zoho, true);
    let o = b
        .outputs
        .iter()
        .find(|o| o.kind == OutputKind::Pipeline)
        .unwrap();
    assert_eq!(o.file_name, "blueprint.p.json");
    let v = plan(&b);
    assert_eq!(v["format"], "zoho-blueprint");
    let calls = v["calls"].as_array().unwrap();
    let order: Vec<(&str, &str)> = calls
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["path"].as_str().unwrap()))
        .collect();
    // create Blueprint, then its states (under its id), then the transitions
    assert_eq!(
        order,
        [
            ("blueprint", "/crm/v8/settings/blueprints"),
            (
                "states",
                "/crm/v8/settings/blueprints/{{blueprint.id}}/states"
            ),
            ("transitions", "/crm/v8/settings/blueprints/transitions"),
        ]
    );
    let bp = &calls[0]["body"]["blueprints"][0];
    assert_eq!(bp["name"], "Deals 2026");
    assert_eq!(bp["module"], json!({"api_name": "Deals"}));
    assert_eq!(bp["field"], json!({"api_name": "Stage"}));
    assert_eq!(
        calls[0]["returns"],
        json!({"{{blueprint.id}}": "blueprints[0].details.id"})
    );
    // one state per stage, the Stage picklist value is the stage title (name without one)
    let states = calls[1]["body"]["states"].as_array().unwrap();
    let values: Vec<&str> = states
        .iter()
        .map(|s| s["pick_list_value"]["actual_value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["Lead", "Won", "lost"]);
    // `respond within 2 business days` comes before the 3-day escalation: one per state
    assert_eq!(
        states[0]["state_escalation"]["period"], "business_days",
        "{:#}",
        states[0]
    );
    assert_eq!(states[0]["state_escalation"]["value"], 2);
    assert!(states[1].get("state_escalation").is_none());
    assert_eq!(
        calls[1]["returns"],
        json!({
            "{{state.lead.id}}": "states[0].details.id",
            "{{state.won.id}}": "states[1].details.id",
            "{{state.lost.id}}": "states[2].details.id",
        })
    );
    let ts = calls[2]["body"]["transitions"].as_array().unwrap();
    let shape: Vec<(&str, &str)> = ts
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap(),
                t["trigger_type"].as_str().unwrap(),
            )
        })
        .collect();
    // a pure timer (`dwell > 30d`) is automatic, an event manual
    assert_eq!(
        shape,
        [("Lead → Won", "manual"), ("Lead → lost", "automatic")]
    );
    assert_eq!(
        v["connections"],
        json!([
            {"transition": "{{transition.lead.won.id}}", "from_state": "{{state.lead.id}}", "to_state": "{{state.won.id}}"},
            {"transition": "{{transition.lead.lost.id}}", "from_state": "{{state.lead.id}}", "to_state": "{{state.lost.id}}"},
        ])
    );
    // the transitions' conditions are in the setup report, and what the plan assumes
    let lead: Vec<&str> = b
        .setup
        .iter()
        .filter(|it| it.scope == Scope::stage("p", "lead"))
        .map(|it| it.configure.as_str())
        .collect();
    assert!(
        lead.iter()
            .any(|w| w.contains("transition \"Lead → Won\"") && w.contains("condition signed")),
        "{lead:#?}"
    );
    let assumed = b
        .setup
        .iter()
        .filter(|it| it.scope == Scope::pipeline("p") && it.what.starts_with("assumption:"))
        .count();
    assert_eq!(assumed, 2, "{:#?}", b.setup);

    // without `--pipelines`: no body, the same stage items
    let without = build(PIPELINE, Target::Zoho, false);
    assert!(without.outputs.is_empty());
    let items = |b: &targets::Built| {
        b.setup
            .iter()
            .filter(|it| !it.what.starts_with("assumption:"))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(items(&without), items(&b));
}

#[test]
fn the_plan_rules_refuse_out_of_order_calls_and_undocumented_fields() {
    let b = build(PIPELINE, Target::Zoho, true);
    let good = plan(&b).clone();
    let check = |v: &Value| validate::validate(Target::Zoho, OutputKind::Pipeline, v);
    assert_eq!(check(&good), Vec::<String>::new());
    // states before the Blueprint: its id is not given yet
    let mut swapped = good.clone();
    swapped["calls"].as_array_mut().unwrap().swap(0, 1);
    assert!(
        check(&swapped)
            .iter()
            .any(|p| p.contains("`{{blueprint.id}}` is not given by an earlier call")),
        "{:?}",
        check(&swapped)
    );
    // a field the states request does not document
    let mut extra = good.clone();
    extra["calls"][1]["body"]["states"][0]["color"] = json!("red");
    assert!(check(&extra)
        .iter()
        .any(|p| p.contains("unknown key `color`")));
    // a period the page does not list
    let mut period = good.clone();
    period["calls"][1]["body"]["states"][0]["state_escalation"]["period"] = json!("weeks");
    assert!(!check(&period).is_empty());
    // a connection to a state no call creates
    let mut dangling = good;
    dangling["connections"][0]["to_state"] = json!("{{state.nowhere.id}}");
    assert!(check(&dangling)
        .iter()
        .any(|p| p.contains("{{state.nowhere.id}}")));
}

#[test]
fn hubspot_writes_its_deal_pipeline_only_with_pipelines_and_else_names_it_as_setup() {
    let with = build(PIPELINE, Target::Hubspot, true);
    assert_eq!(plan(&with)["label"], "Deals 2026");
    let without = build(PIPELINE, Target::Hubspot, false);
    assert!(without.outputs.is_empty());
    let it = without
        .setup
        .iter()
        .find(|it| it.scope == Scope::pipeline("p") && it.what == "the deal pipeline")
        .unwrap_or_else(|| panic!("{:#?}", without.setup));
    // probabilities: one open stage → 0.5; won 1; lost 0 (docs/targets.md)
    assert!(
        it.configure
            .contains(r#""Lead" (probability 0.5), "Won" (probability 1), "lost" (probability 0)"#),
        "{}",
        it.configure
    );
    // Salesloft has no pipeline format, with or without the flag
    assert!(build(PIPELINE, Target::Salesloft, true).outputs.is_empty());
}

const HOLIDAYS: &str = r#"
calendar cn {
  timezone "Asia/Shanghai"
  workdays mon..fri
  hours 09:00..18:00
  holidays 2026-10-01..2026-10-03, 2027-01-01
  workday 2026-10-10
}
cadence a {
  calendar cn
  exit replied on reply
  exit bounced on bounce
  exit unsubscribed on unsubscribe
  step e1 email "One" immediately
  step e2 email "Two" after 2 business days
}
cadence b {
  calendar cn
  exit replied on reply
  exit bounced on bounce
  exit unsubscribed on unsubscribe
  step e1 email "Uno" immediately
}
"#;

#[test]
fn salesloft_holidays_are_one_team_setting_per_build_with_their_dates() {
    let b = build(HOLIDAYS, Target::Salesloft, false);
    assert!(!b.has_errors(), "{:?}", b.diagnostics);
    let written: Vec<&str> = b.outputs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(written, ["a", "b"]);
    let team: Vec<_> = b
        .setup
        .iter()
        .filter(|it| matches!(it.scope, Scope::Team { .. }))
        .collect();
    assert_eq!(team.len(), 1, "{:#?}", b.setup);
    assert_eq!(team[0].scope, Scope::team_calendar("cn"));
    assert!(
        team[0]
            .configure
            .contains("2026-10-01, 2026-10-02, 2026-10-03, 2027-01-01"),
        "{}",
        team[0].configure
    );
    assert!(team[0].configure.contains("2026-10-10"));
    // no cadence carries a holiday item any more
    assert!(b
        .setup
        .iter()
        .all(|it| matches!(it.scope, Scope::Team { .. }) || !it.what.contains("holiday")));
    let md = targets::setup::markdown(Target::Salesloft, &b.setup, &b.not_meant);
    assert!(md.contains("## Team settings"), "{md}");
    let json: Value = serde_json::from_str(&targets::setup::json(
        Target::Salesloft,
        &b.setup,
        &b.not_meant,
    ))
    .unwrap();
    assert!(json["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|it| it["scope"] == "team" && it["calendar"] == "cn"));
}

fn engaged(rules: &str) -> String {
    format!(
        r#"
cadence c {{
  exit replied on reply
  exit bounced on bounce
  exit unsubscribed on unsubscribe
  exit booked on meeting_booked
  step e1 email "One" immediately
{rules}
  step e2 email "Two" after 2d
}}
"#
    )
}

#[test]
fn hubspot_exits_on_opens_and_clicks_are_engagement_triggers_assumed_not_errors() {
    let b = build(
        &engaged("    on opened 3 times -> exit engaged\n    on clicked -> exit clicked_it"),
        Target::Hubspot,
        false,
    );
    assert!(!b.has_errors(), "{:?}", b.diagnostics);
    let seq = &b.outputs[0].body;
    assert_eq!(
        seq["engagementTriggers"],
        json!({"numberOfClicks": 1, "numberOfOpens": 3})
    );
    let assumed: Vec<&str> = b
        .setup
        .iter()
        .filter(|it| it.scope == Scope::step("c", "e1"))
        .map(|it| it.what.as_str())
        .collect();
    assert!(
        assumed.contains(
            &"assumption: the sequence ends after 3 opened emails (`engagementTriggers.numberOfOpens: 3`)"
        ),
        "{assumed:#?}"
    );
    assert_eq!(assumed.len(), 2, "{assumed:#?}");
    // an exit on opens within a time stays a behavioural loss (no such field)
    let within = build(
        &engaged("    on opened within 1d -> exit engaged"),
        Target::Hubspot,
        false,
    );
    assert!(within.diagnostics.iter().any(|d| d.code.code == "E0901"));
    // Salesloft keeps it a loss: its import has no engagement field
    let sl = build(
        &engaged("    on opened -> exit engaged"),
        Target::Salesloft,
        false,
    );
    assert!(sl.diagnostics.iter().any(|d| d.code.code == "E0901"));
}
