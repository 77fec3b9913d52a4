#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly
//! `cadence build`: snapshots of every shipped cadence and pipeline for every target, the JSON
//! Schema of the neutral format, the neutral round trip, the documented constraints of each
//! vendor format (asserted on the built bodies, and the validators asserted on bad bodies), lossy
//! builds, the ids file, the command line, and a property test over generated projects.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use cadence::diagnostics::Diagnostic;
use cadence::project::Project;
use cadence::targets::{self, validate, Ids, Options, OutputKind, Target};
use proptest::prelude::*;
use serde_json::{json, Value};

// ───────────────────────────── helpers ─────────────────────────────

fn shipped() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut errs = Vec::new();
    cadence::project::collect_dir(Path::new("cadences"), &mut files, &mut errs);
    assert!(errs.is_empty() && !files.is_empty());
    files
}

fn load(files: &[PathBuf]) -> (Project, cadence::model::Model) {
    let project = Project::load(files);
    let checked = cadence::check::check(&project);
    assert!(
        checked.diagnostics.iter().all(|d| !d.is_error()),
        "the project must check clean"
    );
    (project, checked.model)
}

fn texts(files: &[(&str, &str)]) -> (Project, cadence::check::Checked) {
    let project = Project::from_texts(files);
    let checked = cadence::check::check(&project);
    (project, checked)
}

fn opts(target: Target, lossy: bool) -> Options {
    let mut o = Options::new(target);
    o.allow_lossy = lossy;
    o.pipelines = true;
    o
}

/// Lossy, without pipeline bodies (their ids are not what a test of cadence ids counts).
fn cadence_opts(target: Target) -> Options {
    let mut o = opts(target, true);
    o.pipelines = false;
    o
}

fn codes(diags: &[Diagnostic]) -> Vec<&'static str> {
    diags.iter().map(|d| d.code.code).collect()
}

/// One line per diagnostic: place, code, message, label, help.
fn compact(project: &Project, diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let place = project
            .sources
            .get(d.span.file)
            .map(|f| {
                let (l, c) = f.line_col(d.span.start as usize);
                format!("{}:{l}:{c}", f.name)
            })
            .unwrap_or_default();
        out.push_str(&format!(
            "{place} {} {}\n    [{}] {}\n",
            d.code.code,
            d.message,
            d.label.as_deref().unwrap_or(""),
            d.help.as_deref().unwrap_or("")
        ));
    }
    out
}

/// A one-cadence project on a small pipeline; `body` is the inside of `cadence c { … }`.
fn one(body: &str) -> String {
    format!(
        r#"
calendar office {{
  timezone "Asia/Shanghai"
  workdays mon..fri
  hours 09:00..18:00
}}
pipeline p {{
  calendar office
  events signed, demo_done
  roles owner, manager
  stage lead "Lead" {{ exit to won when signed }}
  stage won "Won" {{ outcome won }}
}}
cadence c {{
  pipeline p
  exit replied on reply
  exit bounced on bounce
  exit unsubscribed on unsubscribe
  exit booked on meeting_booked
{body}
}}
"#
    )
}

fn build_text(text: &str, o: &Options) -> targets::Built {
    let (project, checked) = texts(&[("c.cadence", text)]);
    let errs: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    assert!(errs.is_empty(), "test input must check clean: {errs:?}");
    targets::build(&project, &checked.model, o)
}

fn cadence_body<'a>(b: &'a targets::Built, name: &str) -> &'a Value {
    &b.outputs
        .iter()
        .find(|o| o.kind == OutputKind::Cadence && o.name == name)
        .unwrap_or_else(|| panic!("no output for `{name}`: {:?}", codes(&b.diagnostics)))
        .body
}

// ───────────────────────────── snapshots ─────────────────────────────

/// Every shipped cadence and pipeline, every target (lossy where needed), one snapshot per file;
/// plus, per target, every finding of the strict build.
#[test]
fn shipped_project_builds_for_every_target() {
    let (project, model) = load(&shipped());
    for target in Target::ALL {
        let lossy = targets::build(&project, &model, &opts(target, true));
        assert!(
            !lossy.has_errors(),
            "{target:?}: a lossy build has no errors: {}",
            compact(&project, &lossy.diagnostics)
        );
        let expected = match target {
            Target::Json => 1,
            Target::Salesloft => model.cadences.len(),
            Target::Zoho | Target::Hubspot => model.cadences.len() + model.pipelines.len(),
        };
        assert_eq!(lossy.outputs.len(), expected, "{target:?}");
        for o in &lossy.outputs {
            assert!(o.text.ends_with('\n'));
            assert_eq!(
                serde_json::from_str::<Value>(&o.text).unwrap(),
                o.body,
                "text and value agree"
            );
            // one Blueprint plan is enough to review; the rules check every one
            if o.file_name.starts_with("blueprint.") && o.name != "gym" {
                continue;
            }
            insta::assert_snapshot!(format!("{}__{}", target.name(), o.file_name), o.text);
        }
        if target != Target::Json {
            // every loss of every cadence, as if each were meant for every CRM
            // (tests/build_declared.rs holds the `target` lines to these)
            let mut undeclared = model.clone();
            undeclared.cadences.iter_mut().for_each(|c| c.crms = None);
            let strict = targets::build(&project, &undeclared, &opts(target, false));
            insta::assert_snapshot!(
                format!("{}__findings", target.name()),
                compact(&project, &strict.diagnostics)
            );
        }
    }
}

/// The same input gives the same bytes.
#[test]
fn builds_are_deterministic() {
    let files = shipped();
    for target in Target::ALL {
        let a = {
            let (p, m) = load(&files);
            targets::build(&p, &m, &opts(target, true)).outputs
        };
        let b = {
            let (p, m) = load(&files);
            targets::build(&p, &m, &opts(target, true)).outputs
        };
        assert_eq!(a, b, "{target:?}");
    }
}

#[test]
fn neutral_schema_snapshot() {
    let schema = targets::neutral::schema_json();
    let v: Value = serde_json::from_str(&schema).unwrap();
    assert_eq!(v["title"], "cadence neutral project");
    insta::assert_snapshot!("neutral_schema", schema);
}

// ───────────────────────────── neutral round trip ─────────────────────────────

fn round_trip(files: &[PathBuf]) {
    let (project, model) = load(files);
    let built = targets::build(&project, &model, &opts(Target::Json, false));
    assert!(built.diagnostics.is_empty());
    let text = &built.outputs[0].text;
    let back = targets::neutral::Document::load(text).expect("loads back");
    // the document holds the model in the build's canonical (by name) order
    assert!(
        back == targets::order::canonical(&model),
        "the loaded model differs from the built one"
    );
}

#[test]
fn neutral_json_round_trips_the_shipped_project() {
    round_trip(&shipped());
}

#[test]
fn neutral_json_round_trips_examples_and_good_cases() {
    let mut files = Vec::new();
    cadence::project::collect_dir(Path::new("examples"), &mut files, &mut Vec::new());
    assert!(files.len() > 10);
    for f in files {
        round_trip(&[f]); // each example is its own project
    }
    let mut files = Vec::new();
    cadence::project::collect_dir(Path::new("tests/cases/good"), &mut files, &mut Vec::new());
    round_trip(&files);
}

#[test]
fn neutral_json_carries_version_and_locations() {
    let (project, model) = load(&shipped());
    let b = targets::build(&project, &model, &opts(Target::Json, false));
    let v = &b.outputs[0].body;
    assert_eq!(v["format_version"], targets::neutral::FORMAT_VERSION);
    assert_eq!(v["compiler"]["name"], "cadence");
    assert_eq!(v["compiler"]["version"], env!("CARGO_PKG_VERSION"));
    for kind in [
        "calendars",
        "pipelines",
        "cadences",
        "leads",
        "simulations",
        "tests",
    ] {
        for e in v[kind].as_array().unwrap() {
            let src = &e["source"];
            assert!(
                src["file"].as_str().unwrap().ends_with(".cadence")
                    && src["line"].as_u64().unwrap() >= 1,
                "{kind}: {e}"
            );
        }
    }
    let c = v["cadences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "outbound_cold")
        .unwrap();
    // relative to the project root (the folder holding the loose files)
    assert_eq!(c["source"]["file"], "outbound.cadence");
    assert_eq!(c["source"]["line"], 7);
    assert_eq!(c["steps"][0]["source"]["line"], 23);
    // gates are expression trees
    let b2b = v["pipelines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "b2b")
        .unwrap();
    assert!(b2b["stages"][0]["exits"][0]["when"]["and"].is_array());
}

#[test]
fn neutral_loader_refuses_bad_documents() {
    assert!(targets::neutral::Document::load("{").is_err());
    let (project, model) = load(&shipped());
    let b = targets::build(&project, &model, &opts(Target::Json, false));
    let mut v = b.outputs[0].body.clone();
    v["format_version"] = json!(99);
    let e = targets::neutral::Document::load(&v.to_string()).unwrap_err();
    assert!(e.contains("format_version 99"), "{e}");
    let mut v = b.outputs[0].body.clone();
    v["calendars"][0]["timezone"] = json!("Mars/Olympus");
    let e = targets::neutral::Document::load(&v.to_string()).unwrap_err();
    assert!(e.contains("unknown time zone"), "{e}");
}

// ───────────────────────────── documented constraints on every body ─────────────────────────────

fn all_bodies(target: Target) -> Vec<(OutputKind, String, Value)> {
    let (project, model) = load(&shipped());
    targets::build(&project, &model, &opts(target, true))
        .outputs
        .into_iter()
        .map(|o| (o.kind, o.file_name, o.body))
        .collect()
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

fn subset(v: &Value, allowed: &[&str], required: &[&str], what: &str) {
    let k = keys(v);
    for x in &k {
        assert!(allowed.contains(x), "{what}: unknown key `{x}`");
    }
    for r in required {
        assert!(k.contains(r), "{what}: missing `{r}`");
    }
}

#[test]
fn zoho_bodies_follow_the_documented_rules() {
    for (kind, file, v) in all_bodies(Target::Zoho) {
        assert!(
            validate::validate(Target::Zoho, kind, &v).is_empty(),
            "{file}"
        );
        if kind == OutputKind::Pipeline {
            zoho_plan_follows_the_documented_calls(&file, &v);
            continue;
        }
        subset(&v, &["cadences"], &["cadences"], &file);
        let cs = v["cadences"].as_array().unwrap();
        assert_eq!(cs.len(), 1, "{file}: one cadence per request");
        let c = &cs[0];
        subset(
            c,
            &[
                "module",
                "name",
                "type",
                "id",
                "description",
                "custom_view",
                "execution_details",
                "follow_ups",
            ],
            &["module", "name", "type"],
            &file,
        );
        let name = c["name"].as_str().unwrap();
        assert!((1..=100).contains(&name.chars().count()) && !name.contains(['#', '%', '^']));
        assert!(c["description"].as_str().unwrap().chars().count() <= 500);
        let ty = c["type"].as_str().unwrap();
        assert!(["custom_view", "manual_enrollment"].contains(&ty));
        assert_eq!(
            ty == "custom_view",
            c.get("custom_view").is_some(),
            "{file}"
        );
        // each unenroll type at most once
        let types: Vec<_> = c["execution_details"]["unenroll_properties"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            types.len(),
            types.iter().collect::<BTreeSet<_>>().len(),
            "{file}"
        );
        // the follow-up tree
        let fus = c["follow_ups"].as_array().unwrap();
        assert!(
            !fus.is_empty() && fus.len() <= 100,
            "{file}: 1..=100 follow-ups"
        );
        let refs: BTreeSet<_> = fus
            .iter()
            .map(|f| f["reference_id"].as_str().unwrap())
            .collect();
        assert_eq!(refs.len(), fus.len(), "{file}: reference ids are unique");
        let roots = fus
            .iter()
            .filter(|f| f.get("parent_follow_up").is_none())
            .count();
        assert_eq!(roots, 1, "{file}: exactly one root");
        let mut under: BTreeSet<(&str, &str)> = BTreeSet::new();
        for f in fus {
            subset(
                f,
                &[
                    "reference_id",
                    "action",
                    "parent_follow_up",
                    "triggers",
                    "execute_after",
                ],
                &["reference_id", "action"],
                &file,
            );
            if let Some(p) = f.get("parent_follow_up") {
                let parent = p["reference_id"].as_str().unwrap();
                assert!(refs.contains(parent), "{file}: parent `{parent}` resolves");
                let trig = f["triggers"].as_array().unwrap();
                assert!(!trig.is_empty());
                for t in trig {
                    assert!(
                        under.insert((parent, t.as_str().unwrap())),
                        "{file}: trigger {t} twice under `{parent}`"
                    );
                }
                let ea = &f["execute_after"];
                assert!(
                    (1..=99).contains(&ea["unit"].as_u64().unwrap()),
                    "{file}: unit 1–99"
                );
                assert!([
                    "minutes",
                    "hours",
                    "business_hours",
                    "days",
                    "business_days",
                    "months"
                ]
                .contains(&ea["period"].as_str().unwrap()));
            }
            let a = &f["action"];
            match a["type"].as_str().unwrap() {
                "schedule_call" => {
                    assert_eq!(a["details"]["module"]["api_name"], "Calls");
                    let maps = a["details"]["field_mappings"].as_array().unwrap();
                    assert!((1..=25).contains(&maps.len()));
                    assert!(
                        maps.iter()
                            .any(|m| m["field"]["api_name"] == "Call_Type"
                                && m["value"] == "Outbound")
                    );
                }
                "tasks" | "email_notifications" | "whatsapp_message_notification" => {
                    let id = a["id"].as_str().unwrap();
                    assert!(
                        !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()),
                        "{file}: numeric id"
                    );
                }
                other => panic!("{file}: action type {other}"),
            }
        }
        // walking up from any follow-up reaches the root (no cycles)
        let parent: BTreeMap<&str, &str> = fus
            .iter()
            .filter_map(|f| {
                Some((
                    f["reference_id"].as_str()?,
                    f.get("parent_follow_up")?["reference_id"].as_str()?,
                ))
            })
            .collect();
        for start in &refs {
            let mut cur = *start;
            for _ in 0..=fus.len() {
                match parent.get(cur) {
                    Some(p) => cur = p,
                    None => break,
                }
            }
            assert!(!parent.contains_key(cur), "{file}: cycle above `{start}`");
        }
    }
}

/// The `zoho-blueprint` plan: the documented calls in order, each body with only the fields
/// its request documents, every placeholder given by an earlier call's response.
fn zoho_plan_follows_the_documented_calls(file: &str, v: &Value) {
    // https://www.zoho.com/crm/developer/docs/api/v8/create-blueprint.html: one Blueprint per
    // request; name, module, layout and the process field (with api_name or id)
    const BLUEPRINT: &[&str] = &[
        "name",
        "api_name",
        "description",
        "module",
        "layout",
        "field",
        "continuous",
        "owners",
        "entry_criteria",
        "pipeline",
        "states",
        "transitions",
        "connections",
    ];
    // https://www.zoho.com/crm/developer/docs/api/v8/create-blueprint-states.html: up to 50
    // states; state_escalation {period, value, trigger_details}
    const STATE: &[&str] = &[
        "process_id",
        "module",
        "pick_list_value",
        "state_escalation",
    ];
    // https://www.zoho.com/crm/developer/docs/api/v8/create-blueprint-transitions.html: up to
    // 50 transitions; name, trigger_type, transition_type mandatory
    const TRANSITION: &[&str] = &[
        "name",
        "description",
        "trigger_type",
        "transition_type",
        "module",
        "layout",
        "color_code",
        "criteria",
        "owners",
        "common_source",
        "during_inputs",
        "actions",
    ];
    subset(
        v,
        &["format", "pipeline", "calls", "connections"],
        &["format", "calls"],
        file,
    );
    assert_eq!(v["format"], "zoho-blueprint");
    let calls = v["calls"].as_array().unwrap();
    let expected = [
        ("blueprint", "/crm/v8/settings/blueprints"),
        (
            "states",
            "/crm/v8/settings/blueprints/{{blueprint.id}}/states",
        ),
        ("transitions", "/crm/v8/settings/blueprints/transitions"),
    ];
    assert!((2..=3).contains(&calls.len()), "{file}");
    let mut given: BTreeSet<String> = BTreeSet::new();
    for (c, (name, path)) in calls.iter().zip(expected) {
        assert_eq!(c["name"], name, "{file}");
        assert_eq!(c["method"], "POST", "{file}");
        assert_eq!(c["path"], path, "{file}");
        // every `{{…}}` a call sends was returned by an earlier call
        let sent = format!("{}{}", c["path"], c["body"]);
        for (i, _) in sent.match_indices("{{") {
            let end = sent[i..].find("}}").unwrap() + i + 2;
            assert!(
                given.contains(&sent[i..end]),
                "{file}: {} before it is given",
                &sent[i..end]
            );
        }
        given.extend(c["returns"].as_object().unwrap().keys().cloned());
        let body = &c["body"];
        match name {
            "blueprint" => {
                let bs = body["blueprints"].as_array().unwrap();
                assert_eq!(bs.len(), 1, "{file}: one Blueprint per request");
                subset(
                    &bs[0],
                    BLUEPRINT,
                    &["name", "module", "layout", "field"],
                    file,
                );
                assert_eq!(bs[0]["field"]["api_name"], "Stage");
            }
            "states" => {
                let ss = body["states"].as_array().unwrap();
                assert!((1..=50).contains(&ss.len()), "{file}");
                for st in ss {
                    subset(st, STATE, &["module", "pick_list_value"], file);
                    assert_eq!(st["process_id"], "{{blueprint.id}}");
                    if let Some(e) = st.get("state_escalation") {
                        subset(
                            e,
                            &["period", "value", "trigger_details"],
                            &["period", "value", "trigger_details"],
                            file,
                        );
                        assert!([
                            "days",
                            "hours",
                            "minutes",
                            "business_days",
                            "business_hours"
                        ]
                        .contains(&e["period"].as_str().unwrap()));
                        assert!(!e["trigger_details"].as_array().unwrap().is_empty());
                    }
                }
            }
            _ => {
                let ts = body["transitions"].as_array().unwrap();
                assert!((1..=50).contains(&ts.len()), "{file}");
                let names: BTreeSet<_> = ts.iter().map(|t| t["name"].as_str().unwrap()).collect();
                assert_eq!(names.len(), ts.len(), "{file}: transition names are unique");
                for t in ts {
                    subset(
                        t,
                        TRANSITION,
                        &["name", "trigger_type", "transition_type"],
                        file,
                    );
                    assert!(["manual", "automatic"].contains(&t["trigger_type"].as_str().unwrap()));
                }
            }
        }
    }
    for c in v["connections"].as_array().unwrap() {
        for k in ["transition", "from_state", "to_state"] {
            assert!(
                given.contains(c[k].as_str().unwrap()),
                "{file}: {k} {}",
                c[k]
            );
        }
    }
}

#[test]
fn salesloft_bodies_follow_the_documented_rules() {
    for (kind, file, v) in all_bodies(Target::Salesloft) {
        assert_eq!(kind, OutputKind::Cadence);
        assert!(
            validate::validate(Target::Salesloft, kind, &v).is_empty(),
            "{file}"
        );
        subset(
            &v,
            &["settings", "sharing_settings", "cadence_content"],
            &["settings", "cadence_content"],
            &file,
        );
        assert!(!v["settings"]["name"].as_str().unwrap().is_empty());
        let groups = v["cadence_content"]["step_groups"].as_array().unwrap();
        assert!(!groups.is_empty());
        let mut last_day = 1;
        let mut refs = BTreeSet::new();
        for g in groups {
            subset(
                g,
                &[
                    "day",
                    "due_immediately",
                    "automated",
                    "automated_settings",
                    "steps",
                    "reference_id",
                ],
                &["day", "due_immediately", "automated", "steps"],
                &file,
            );
            let day = g["day"].as_u64().unwrap();
            assert!(day >= last_day, "{file}: days do not go back");
            last_day = day;
            assert!(
                refs.insert(g["reference_id"].as_str().unwrap()),
                "{file}: unique reference ids"
            );
            let steps = g["steps"].as_array().unwrap();
            let all_email = steps.iter().all(|s| s["type"] == "Email");
            if g["automated"] == true {
                assert!(all_email, "{file}: automated only with Email steps");
                let a = &g["automated_settings"];
                match a["send_type"].as_str().unwrap() {
                    "at_time" => {
                        assert_eq!(a["time_of_day"].as_str().unwrap().len(), 5);
                        assert!(["person", "user"].contains(&a["timezone_mode"].as_str().unwrap()));
                    }
                    "after_time_delay" => assert!(a["delay_time"].as_u64().unwrap() <= 720),
                    other => panic!("{file}: send_type {other}"),
                }
            } else {
                assert!(g.get("automated_settings").is_none(), "{file}");
            }
            for s in steps {
                assert!(["Email", "Phone", "Other", "Integration"]
                    .contains(&s["type"].as_str().unwrap()));
                assert!(s["type_settings"].is_object());
            }
        }
    }
}

#[test]
fn hubspot_bodies_follow_the_documented_rules() {
    for (kind, file, v) in all_bodies(Target::Hubspot) {
        assert!(
            validate::validate(Target::Hubspot, kind, &v).is_empty(),
            "{file}"
        );
        if kind == OutputKind::Pipeline {
            let stages = v["stages"].as_array().unwrap();
            for (i, s) in stages.iter().enumerate() {
                assert_eq!(s["displayOrder"], i as u64);
                // a number, as documented: https://developers.hubspot.com/docs/api-reference/latest/crm/pipelines/stages/create-pipeline-stage
                let p: f64 = s["metadata"]["probability"].as_f64().unwrap();
                assert!((0.0..=1.0).contains(&p));
                let closed = s["metadata"]["isClosed"] == "true";
                assert_eq!(
                    closed,
                    p == 0.0 || p == 1.0,
                    "{file}: closed stages are 0.0 or 1.0"
                );
            }
            continue;
        }
        // the fields of the documented create-sequence request (its request example):
        // https://developers.hubspot.com/docs/api-reference/2026-09-beta/automation/sequences/create-sequence
        subset(
            &v,
            &[
                "dependencies",
                "dynamic",
                "name",
                "settings",
                "steps",
                "engagementTriggers",
                "folderId",
            ],
            &["name", "steps"],
            &file,
        );
        let steps = v["steps"].as_array().unwrap();
        for (i, s) in steps.iter().enumerate() {
            subset(
                s,
                &[
                    "branchNumber",
                    "delayMillis",
                    "dynamic",
                    "stepOrder",
                    "variants",
                    "delayMillisMax",
                    "delayMillisMin",
                ],
                &["stepOrder", "delayMillis"],
                &file,
            );
            assert_eq!(
                s["stepOrder"], i as u64,
                "{file}: step order contiguous from 0"
            );
            assert!(s["delayMillis"].as_u64().unwrap() <= 90 * 86_400_000);
        }
        for d in v["dependencies"].as_array().unwrap() {
            subset(
                d,
                &["branchNumber", "reliesOnStepOrder", "requiredByStepOrder"],
                &["reliesOnStepOrder", "requiredByStepOrder"],
                &file,
            );
            let (a, b) = (
                d["reliesOnStepOrder"].as_u64().unwrap(),
                d["requiredByStepOrder"].as_u64().unwrap(),
            );
            assert!(a < b && (b as usize) < steps.len());
        }
        let st = &v["settings"];
        subset(
            st,
            &[
                "individualTaskRemindersEnabled",
                "sendWindowEndMinute",
                "sendWindowStartMinute",
                "taskCreationMinute",
                "taskReminderMinute",
                "unenrollmentSettings",
                "useThreadedFollowUps",
            ],
            &[],
            &file,
        );
        if let Some(u) = st.get("unenrollmentSettings") {
            subset(u, &["emailSettings", "meetingSettings"], &[], &file);
        }
        if let (Some(a), Some(b)) = (
            st["sendWindowStartMinute"].as_u64(),
            st["sendWindowEndMinute"].as_u64(),
        ) {
            assert!(a < b && b <= 1440);
        }
    }
}

/// The validators themselves catch what the documentation forbids.
#[test]
fn validators_reject_broken_bodies() {
    let zoho = |follow_ups: Value| {
        json!({"cadences": [{"name": "n", "module": {"api_name": "Leads"}, "type": "manual_enrollment",
            "execution_details": {"unenroll_properties": [{"type": "automatic_unenroll"}]},
            "follow_ups": follow_ups}]})
    };
    let fu = |r: &str, parent: Option<&str>, trig: &str, unit: u64| {
        let mut f = json!({"reference_id": r, "action": {"type": "tasks", "id": "12"}});
        if let Some(p) = parent {
            f["parent_follow_up"] = json!({"reference_id": p});
            f["triggers"] = json!([trig]);
            f["execute_after"] = json!({"unit": unit, "period": "days"});
        }
        f
    };
    let ok = zoho(json!([
        fu("a", None, "", 1),
        fu("b", Some("a"), "Completed", 2)
    ]));
    assert_eq!(
        validate::validate(Target::Zoho, OutputKind::Cadence, &ok),
        Vec::<String>::new()
    );
    let bad = [
        (
            zoho(json!([
                fu("a", None, "", 1),
                fu("b", Some("a"), "Completed", 100)
            ])),
            "99",
        ),
        (
            zoho(json!([fu("a", None, "", 1), fu("b", None, "", 1)])),
            "exactly one root",
        ),
        (
            zoho(json!([
                fu("a", None, "", 1),
                fu("b", Some("x"), "Completed", 1)
            ])),
            "not a follow-up",
        ),
        (
            zoho(json!([
                fu("a", None, "", 1),
                fu("b", Some("a"), "Completed", 1),
                fu("c", Some("a"), "Completed", 1)
            ])),
            "ALREADY_USED",
        ),
        (
            zoho(json!([
                fu("a", None, "", 1),
                fu("a", Some("a"), "Completed", 1)
            ])),
            "used twice",
        ),
        (
            zoho(json!((0..101)
                .map(|i| fu(
                    &format!("f{i}"),
                    if i == 0 { None } else { Some("f0") },
                    &format!("t{i}"),
                    1
                ))
                .collect::<Vec<_>>())),
            "101 items",
        ),
    ];
    for (body, want) in bad {
        let p = validate::validate(Target::Zoho, OutputKind::Cadence, &body).join("; ");
        assert!(p.contains(want), "expected `{want}` in: {p}");
    }
    let mut twice = ok.clone();
    twice["cadences"][0]["execution_details"]["unenroll_properties"] =
        json!([{"type": "automatic_unenroll"}, {"type": "automatic_unenroll"}]);
    assert!(
        validate::validate(Target::Zoho, OutputKind::Cadence, &twice)
            .join(" ")
            .contains("LIMIT_EXCEEDED")
    );
    let mut extra = ok.clone();
    extra["cadences"][0]["status"] = json!("active");
    assert!(
        validate::validate(Target::Zoho, OutputKind::Cadence, &extra)
            .join(" ")
            .contains("unknown key `status`")
    );

    // the v4 read shape's step fields are not part of the create request
    let hs = json!({"name": "s", "steps": [
        {"stepOrder": 0, "delayMillis": 0, "actionType": "EMAIL", "emailPattern": {"templateId": "1"}},
        {"stepOrder": 2, "delayMillis": 0}
    ], "settings": {"sendWindowStartMinute": 600, "sendWindowEndMinute": 500,
        "eligibleFollowUpDays": "BUSINESS_DAYS"}});
    let p = validate::validate(Target::Hubspot, OutputKind::Cadence, &hs).join("; ");
    for want in [
        "without gaps",
        "unknown key `actionType`",
        "unknown key `emailPattern`",
        "unknown key `eligibleFollowUpDays`",
        "start before it ends",
    ] {
        assert!(p.contains(want), "expected `{want}` in: {p}");
    }
    let sl = json!({"settings": {"name": "x"}, "cadence_content": {"step_groups": [
        {"day": 0, "due_immediately": true, "automated": true, "steps": [{"type": "Phone", "type_settings": {"instructions": "x"}}]}
    ]}});
    let p = validate::validate(Target::Salesloft, OutputKind::Cadence, &sl).join("; ");
    for want in ["day", "automated_settings", "only a group of Email steps"] {
        assert!(p.contains(want), "expected `{want}` in: {p}");
    }
}

// ───────────────────────────── what cannot be expressed ─────────────────────────────

#[test]
fn a_branch_in_a_linear_target_is_an_error_with_the_limit() {
    let text = one(r#"  step a email "A" template "a" immediately
    on clicked -> hot
  step b email "B" template "b" after 2d
  track side {
    step hot call "Hot" after 1h
  }"#);
    for target in [Target::Hubspot, Target::Salesloft] {
        let b = build_text(&text, &opts(target, false));
        assert!(
            b.outputs.iter().all(|o| o.kind != OutputKind::Cadence),
            "{target:?}: not built"
        );
        let errs: Vec<_> = b
            .diagnostics
            .iter()
            .filter(|d| d.code.code == "E0901")
            .collect();
        assert!(errs.iter().any(|d| d.message.contains("on clicked -> hot")));
        assert!(errs.iter().any(|d| d.message.contains("track `side`")));
        assert!(errs
            .iter()
            .all(|d| d.help.as_deref().unwrap().contains("--allow-lossy")));
        let branch = errs
            .iter()
            .find(|d| d.message.contains("on clicked"))
            .unwrap();
        assert!(branch.help.as_deref().unwrap().contains("linear"));
        // lossy: one warning per loss, the main path is built
        let b = build_text(&text, &opts(target, true));
        assert!(!b.has_errors());
        let warns = b
            .diagnostics
            .iter()
            .filter(|d| d.code.code == "W0902")
            .count();
        assert_eq!(warns, errs.len(), "{target:?}: every loss warns once");
        let words: Vec<String> = b
            .diagnostics
            .iter()
            .filter(|d| d.code.code == "W0902")
            .map(|d| format!("{} {}", d.code.code, d.message))
            .collect();
        insta::assert_snapshot!(
            format!("lossy_warnings_{}", target.name()),
            words.join("\n")
        );
    }
    let b = build_text(&text, &opts(Target::Hubspot, true));
    let steps = cadence_body(&b, "c")["steps"].as_array().unwrap().clone();
    assert_eq!(steps.len(), 2, "side track left out, with a warning");
    // Zoho expresses the branch as a child on `Clicked`
    let b = build_text(&text, &opts(Target::Zoho, true));
    let fus = cadence_body(&b, "c")["cadences"][0]["follow_ups"]
        .as_array()
        .unwrap()
        .clone();
    let hot = fus.iter().find(|f| f["reference_id"] == "hot").unwrap();
    assert_eq!(hot["triggers"], json!(["Clicked"]));
    assert_eq!(hot["parent_follow_up"]["reference_id"], "a");
    assert_eq!(hot["execute_after"], json!({"unit": 1, "period": "hours"}));
}

#[test]
fn variants_sms_and_long_delays_are_reported_per_target() {
    let text = one(r#"  step a email "A" immediately
    variant x 50% template "ax"
    variant y 50% template "ay"
  step b sms "B" template "sb" after 100d
  step c linkedin "C" after 1d"#);
    let b = build_text(&text, &opts(Target::Hubspot, false));
    let msgs: Vec<String> = b
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{} | {}", d.message, d.help.clone().unwrap_or_default()))
        .collect();
    let all = msgs.join("\n");
    assert!(all.contains("A/B variants `x` 50%, `y` 50%"), "{all}");
    assert!(all.contains("sends sms"), "{all}");
    assert!(all.contains("up to 90 days"), "{all}");
    assert!(
        !all.contains("linkedin"),
        "HubSpot has LinkedIn tasks: {all}"
    );
    let b = build_text(&text, &opts(Target::Hubspot, true));
    let steps = cadence_body(&b, "c")["steps"].clone();
    assert_eq!(steps[1]["delayMillis"], 90 * 86_400_000u64);
    // the create request has no field for a step's action: the setup report says it, in order
    let actions = b
        .setup
        .iter()
        .find(|it| it.what.starts_with("the steps' actions"))
        .expect("the steps' actions are a setup item");
    assert_eq!(
        actions.what,
        "the steps' actions: 1. an email with template `ax`; 2. a to-do (sms) task \"B\"; \
         3. a LinkedIn message task \"C\""
    );

    let b = build_text(&text, &opts(Target::Zoho, false));
    let all: String = b
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.message.clone() + "\n")
        .collect();
    assert!(
        all.contains("sms step") && all.contains("linkedin step") && all.contains("A/B variants"),
        "{all}"
    );
    assert!(
        all.contains("waits 100d"),
        "100 days is more than 99 days: {all}"
    );
    let b = build_text(&text, &opts(Target::Zoho, true));
    let fus = cadence_body(&b, "c")["cadences"][0]["follow_ups"].clone();
    assert_eq!(
        fus[1]["execute_after"],
        json!({"unit": 3, "period": "months"})
    );
    assert_eq!(fus[1]["action"]["type"], "tasks");
}

#[test]
fn zoho_limits_unit_follow_ups_unenroll_and_triggers() {
    // a 1..99 unit picks the largest exact period
    let text = one(r#"  step a email "A" template "a" immediately
  step b call "B" after 90min
  step c email "C" template "c" after 3 business hours
  step d email "D" template "d" after 2w
  step e task "E" after 150min"#);
    let b = build_text(&text, &opts(Target::Zoho, false));
    let errs: Vec<_> = b
        .diagnostics
        .iter()
        .filter(|d| d.is_error() && d.message.contains("waits"))
        .collect();
    assert_eq!(errs.len(), 1, "{:?}", errs);
    assert!(
        errs[0].message.contains("`e` waits 2.5h") || errs[0].message.contains("waits 150min"),
        "{}",
        errs[0].message
    );
    let b = build_text(&text, &opts(Target::Zoho, true));
    let c = &cadence_body(&b, "c")["cadences"][0];
    let ea: Vec<Value> = c["follow_ups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["execute_after"].clone())
        .collect();
    assert_eq!(ea[0], Value::Null, "the root runs at enrollment");
    assert_eq!(ea[1], json!({"unit": 90, "period": "minutes"}));
    assert_eq!(ea[2], json!({"unit": 3, "period": "business_hours"}));
    assert_eq!(ea[3], json!({"unit": 14, "period": "days"}));
    assert_eq!(ea[4], json!({"unit": 3, "period": "hours"}));
    // reply → automatic_unenroll once, even with rules that also end on reply
    assert_eq!(
        c["execution_details"]["unenroll_properties"],
        json!([{"type": "automatic_unenroll"}])
    );

    // more than 100 follow-ups after unfolding: a loop bounded at 60, twice 2 steps
    let text = one(r#"  step a email "A" template "a" immediately
  step b email "B" template "b" after 1d
    on opened -> a at most 60 times"#);
    let b = build_text(&text, &opts(Target::Zoho, false));
    assert!(b
        .diagnostics
        .iter()
        .any(|d| d.code.code == "E0901" && d.message.contains("more than 100 follow-ups")));
    let b = build_text(&text, &opts(Target::Zoho, true));
    assert_eq!(
        cadence_body(&b, "c")["cadences"][0]["follow_ups"]
            .as_array()
            .unwrap()
            .len(),
        100
    );

    // two follow-ups on one trigger under one parent: the second is a loss
    let text = one(r#"  step a email "A" template "a" immediately
    on delivered -> task "t1"
  step b email "B" template "b" after 1d"#);
    let b = build_text(&text, &opts(Target::Zoho, false));
    assert!(
        b.diagnostics
            .iter()
            .any(|d| d.is_error() && d.message.contains("second follow-up on `Sent`")),
        "{:?}",
        codes(&b.diagnostics)
    );
}

#[test]
fn pipelines_go_out_where_the_target_has_a_format() {
    let text = one(r#"  step a email "A" template "a" immediately"#);
    let b = build_text(&text, &opts(Target::Hubspot, true));
    let p = &b
        .outputs
        .iter()
        .find(|o| o.kind == OutputKind::Pipeline)
        .unwrap()
        .body;
    assert_eq!(p["label"], "p");
    assert_eq!(
        p["stages"][0],
        json!({"label": "Lead", "displayOrder": 0, "metadata": {"probability": 0.5, "isClosed": "false"}})
    );
    assert_eq!(
        p["stages"][1]["metadata"],
        json!({"probability": 1.0, "isClosed": "true"})
    );
    let b = build_text(&text, &opts(Target::Zoho, true));
    let p = &b
        .outputs
        .iter()
        .find(|o| o.kind == OutputKind::Pipeline)
        .unwrap();
    assert_eq!(p.file_name, "blueprint.p.json");
    let t = &p.body["calls"][2]["body"]["transitions"][0];
    assert_eq!(t["name"], "Lead → Won");
    assert_eq!(t["description"], "Lead → Won when signed");
    // without `--pipelines` no pipeline body, for any CRM; the stage exit is still a setup item
    for target in [Target::Zoho, Target::Hubspot] {
        let mut o = opts(target, true);
        o.pipelines = false;
        let b = build_text(&text, &o);
        assert!(
            b.outputs.iter().all(|o| o.kind == OutputKind::Cadence),
            "{target:?}"
        );
        assert!(
            b.setup
                .iter()
                .any(|it| it.what.starts_with("exit to `won`")),
            "{target:?}: {:#?}",
            b.setup
        );
    }
    let b = build_text(&text, &opts(Target::Salesloft, true));
    assert!(
        b.outputs.iter().all(|o| o.kind == OutputKind::Cadence),
        "Salesloft has no pipeline format"
    );
}

// ───────────────────────────── the ids file ─────────────────────────────

#[test]
fn ids_file_maps_ids_and_strict_mode_requires_them() {
    let text = one(r#"  step a email "A" template "welcome" immediately
  step b call "B" after 1d assign manager"#);
    // without ids: placeholders, each reported once
    let b = build_text(&text, &cadence_opts(Target::Zoho));
    assert!(!b.has_errors());
    let w: Vec<_> = b
        .diagnostics
        .iter()
        .filter(|d| d.code.code == "W0904")
        .map(|d| d.message.clone())
        .collect();
    assert_eq!(w.len(), 3, "{w:?}");
    let c = &cadence_body(&b, "c")["cadences"][0];
    assert_eq!(c["follow_ups"][0]["action"]["id"], "0");
    assert!(c["description"]
        .as_str()
        .unwrap()
        .contains("PLACEHOLDER ids (\"0\"): layouts.Calls, roles.manager, templates.welcome"));
    // strict: the same keys are errors, nothing is built
    let mut o = cadence_opts(Target::Zoho);
    o.strict = true;
    let b = build_text(&text, &o);
    let errors: Vec<_> = b
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.code.code)
        .collect();
    assert_eq!(errors, ["E0903"; 3]);
    assert!(b.outputs.iter().all(|o| o.kind != OutputKind::Cadence));
    // with the ids file: real ids, target tables win over shared ones
    let ids = Ids::parse(
        r#"
[templates]
welcome = "111"
[zoho.roles]
manager = 222
[zoho.templates]
welcome = "4150868000000123001"
[zoho.layouts]
Calls = "4150868000000000167"
"#,
    )
    .unwrap();
    o.ids = ids;
    let b = build_text(&text, &o);
    assert!(
        !b.diagnostics
            .iter()
            .any(|d| d.code.code.starts_with("E") || d.code.code == "W0904"),
        "{:?}",
        codes(&b.diagnostics)
    );
    let c = &cadence_body(&b, "c")["cadences"][0];
    assert_eq!(c["follow_ups"][0]["action"]["id"], "4150868000000123001");
    assert_eq!(
        c["follow_ups"][1]["action"]["details"]["layout"]["id"],
        "4150868000000000167"
    );
    assert!(c["follow_ups"][1]["action"]["details"]["field_mappings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["value"] == json!({"id": "222"})));
    assert!(!c["description"].as_str().unwrap().contains("PLACEHOLDER"));
    // the shared table serves HubSpot (in the setup report: the body has no template field)
    let mut o = opts(Target::Hubspot, true);
    o.ids = Ids::parse("[templates]\nwelcome = \"111\"\n").unwrap();
    let b = build_text(&text, &o);
    assert!(b
        .setup
        .iter()
        .any(|it| it.what.contains("template `welcome` (id 111)")));
}

#[test]
fn ids_file_errors_have_a_place() {
    let e = Ids::parse("[templates]\nx = \n").unwrap_err();
    assert!(e.span.is_some(), "{e:?}");
    let e = Ids::parse("[tmplates]\nx = \"1\"\n").unwrap_err();
    assert!(e.message.contains("tmplates"), "{e:?}");
    let e = Ids::parse("[zoho.templates]\nx = \"\"\n").unwrap_err();
    assert!(e.message.contains("empty"), "{e:?}");
    // roles are per vendor: a shared table is refused, and each vendor's ids have its form
    let e = Ids::parse("[roles]\nowner = \"4150868000000000111\"\n").unwrap_err();
    assert!(
        e.message.contains("per vendor") && e.span.is_some(),
        "{e:?}"
    );
    let e = Ids::parse("[salesloft.roles]\nowner = \"4150868000000000111\"\n").unwrap_err();
    assert!(e.message.contains("the user's email"), "{e:?}");
    let e = Ids::parse("[zoho.roles]\nowner = \"ann@example.com\"\n").unwrap_err();
    assert!(e.message.contains("digits"), "{e:?}");
    let ids = Ids::parse("[zoho.roles]\nowner = 4150868000000000111\n[salesloft.roles]\nowner = \"ann@example.com\"\n").unwrap();
    assert_eq!(
        ids.get(Target::Salesloft, targets::ids::Kind::Role, "owner"),
        Some("ann@example.com")
    );
    assert_eq!(
        ids.get(Target::Zoho, targets::ids::Kind::Role, "owner"),
        Some("4150868000000000111")
    );
}

// ───────────────────────────── the command line ─────────────────────────────

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn cli(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_cadence"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run cadence");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn cli_build_writes_one_file_per_output_and_exits_by_findings() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    for t in ["json", "zoho", "salesloft", "hubspot"] {
        let r = cli(&[
            "build",
            "cadences/",
            "--target",
            t,
            "-o",
            out,
            "--allow-lossy",
        ]);
        assert_eq!(r.code, 0, "{t}: {}", r.stderr);
        assert!(r.stdout.is_empty());
        let n = std::fs::read_dir(dir.path().join(t)).unwrap().count();
        assert!(n >= 1, "{t}");
        assert!(
            r.stderr.contains(&format!("wrote {n} file")),
            "{}",
            r.stderr
        );
    }
    // `--strict` with missing ids: findings exit 1 and nothing is written (docs/security.md)
    // (Zoho: its bodies carry template ids; HubSpot's create request has none)
    let gone = dir.path().join("zoho/cadence.gone.json");
    std::fs::write(&gone, "{}").unwrap();
    let r = cli(&[
        "build",
        "cadences/",
        "--target",
        "zoho",
        "-o",
        out,
        "--strict",
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("E0903"));
    assert!(r.stderr.contains("nothing written"), "{}", r.stderr);
    assert!(gone.exists());
    // not lossy: the cadences whose `target` line names Zoho, and nothing lost
    // (tests/build_declared.rs: a strict build with losses writes the bodies without one)
    let r = cli(&["build", "cadences/", "--target", "zoho", "-o", out]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("E0901"), "{}", r.stderr);
    assert!(r.stderr.contains("not built: 16 cadences"), "{}", r.stderr);
    assert!(!gone.exists());
    assert!(dir.path().join("zoho/SETUP.md").exists());
    std::fs::write(&gone, "{}").unwrap();
    // the next good build replaces the whole set: the stale file goes
    let r = cli(&[
        "build",
        "cadences/",
        "--target",
        "zoho",
        "-o",
        out,
        "--allow-lossy",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!gone.exists());
}

#[test]
fn cli_build_prints_a_single_output_and_refuses_many_without_a_folder() {
    let r = cli(&["build", "cadences/", "--target", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["format_version"], 2);
    let r = cli(&["build", "cadences/", "--target", "zoho", "--allow-lossy"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("-o DIR"), "{}", r.stderr);
    let r = cli(&["build", "cadences/", "--target", "excel"]);
    assert_eq!(r.code, 2);
    let r = cli(&["build", "no/such/dir", "--target", "json"]);
    assert_eq!(r.code, 2);
}

#[test]
fn cli_build_reads_the_ids_file() {
    let dir = tempfile::tempdir().unwrap();
    let ids = dir.path().join("cadence.ids.toml");
    std::fs::write(&ids, "[templates\n").unwrap();
    let r = cli(&[
        "build",
        "cadences/",
        "--target",
        "json",
        "--ids",
        ids.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("E0906") && r.stderr.contains("cadence.ids.toml:1"),
        "{}",
        r.stderr
    );
    let r = cli(&[
        "build",
        "cadences/",
        "--target",
        "json",
        "--ids",
        "no/such.toml",
    ]);
    assert_eq!(r.code, 2);
    std::fs::write(
        &ids,
        "[zoho.templates]\ncold_bump = \"4150868000000123001\"\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let r = cli(&[
        "build",
        // the whole library: its pipeline tests name cadences of several files
        "cadences",
        "--target",
        "zoho",
        "--allow-lossy",
        "--ids",
        ids.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let body = std::fs::read_to_string(out.join("zoho/cadence.outbound_cold.json")).unwrap();
    assert!(body.contains("4150868000000123001"));
}

#[test]
fn cli_schema_prints_the_neutral_schema() {
    let r = cli(&["schema"]);
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout, targets::neutral::schema_json());
}

// ───────────────────────────── property: never a panic ─────────────────────────────

const CHANNELS: [(&str, &[&str]); 7] = [
    (
        "email",
        &[
            "delivered",
            "opened",
            "clicked",
            "replied",
            "bounced",
            "unsubscribed",
        ],
    ),
    (
        "call",
        &["connected", "voicemail", "no_answer", "bad_number"],
    ),
    ("sms", &["delivered", "replied", "failed", "opted_out"]),
    ("whatsapp", &["delivered", "replied", "failed", "opted_out"]),
    ("linkedin", &["accepted", "replied"]),
    ("meeting", &["booked", "held", "no_show", "cancelled"]),
    ("task", &["completed", "skipped"]),
];
const TIMINGS: [&str; 9] = [
    "immediately",
    "after 30min",
    "after 4h",
    "after 2 business hours",
    "after 1 business day",
    "after 3d at 10:00",
    "at 19:00",
    "after 100d",
    "after 150 business days",
];

#[derive(Debug, Clone)]
struct GenStep {
    channel: usize,
    timing: usize,
    variants: bool,
    assign: bool,
    rules: Vec<(usize, u8, usize)>, // outcome, effect kind, jump target
    otherwise: Option<(u8, usize)>,
}

fn gen_step() -> impl Strategy<Value = GenStep> {
    (
        0..CHANNELS.len(),
        0..TIMINGS.len(),
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec((0..6usize, 0..5u8, 0..8usize), 0..3),
        prop::option::of((0..4u8, 0..8usize)),
    )
        .prop_map(
            |(channel, timing, variants, assign, rules, otherwise)| GenStep {
                channel,
                timing,
                variants,
                assign,
                rules,
                otherwise,
            },
        )
}

fn effect(kind: u8, target: &str, n: usize) -> String {
    match kind {
        0 => format!("{target} at most 2 times"),
        1 => format!("exit done{n}"),
        2 => format!("task \"t{n}\" assign manager"),
        3 => "set signed, continue".to_string(),
        _ => "stage won".to_string(),
    }
}

/// A cadence from generated steps: the first half on the main track, the rest in a side track.
fn gen_project(steps: &[GenStep], with_stage: bool, enroll: bool) -> String {
    let names: Vec<String> = (0..steps.len()).map(|i| format!("s{i}")).collect();
    let mut body = String::new();
    if enroll {
        body.push_str("  enroll when not signed\n");
    }
    let split = steps.len().div_ceil(2);
    for (i, s) in steps.iter().enumerate() {
        if i == split {
            body.push_str("  track side {\n");
        }
        let (ch, outcomes) = CHANNELS[s.channel];
        body.push_str(&format!(
            "  step {} {ch} \"T{i}\" template \"tp{i}\" {}",
            names[i], TIMINGS[s.timing]
        ));
        if s.assign {
            body.push_str(" assign manager priority high");
        }
        body.push('\n');
        if s.variants {
            body.push_str("    variant a 50% template \"va\"\n    variant b 50%\n");
        }
        let mut seen = BTreeSet::new();
        for (k, (o, e, t)) in s.rules.iter().enumerate() {
            let o = outcomes[o % outcomes.len()];
            if !seen.insert(o) {
                continue;
            }
            let target = &names[t % names.len()];
            body.push_str(&format!(
                "    on {o} -> {}\n",
                effect(*e, target, i * 10 + k)
            ));
        }
        if let Some((e, t)) = s.otherwise {
            body.push_str(&format!(
                "    otherwise -> {}\n",
                effect(e, &names[t % names.len()], i * 10 + 9)
            ));
        }
    }
    if steps.len() > split {
        body.push_str("  }\n");
    }
    let text = one(&body);
    if with_stage {
        text.replace("  pipeline p\n", "  pipeline p stage lead\n")
    } else {
        text
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    /// Every check-clean project either builds or fails with a build diagnostic, for every
    /// target, strict or lossy; never a panic; every body that comes out is one the vendor
    /// documentation accepts; a lossy build builds everything; the neutral JSON round-trips.
    #[test]
    fn every_clean_project_builds_or_says_why(
        steps in prop::collection::vec(gen_step(), 1..7),
        with_stage in any::<bool>(),
        enroll in any::<bool>(),
    ) {
        let text = gen_project(&steps, with_stage, enroll);
        let (project, checked) = texts(&[("gen.cadence", &text)]);
        prop_assume!(checked.diagnostics.iter().all(|d| !d.is_error()));
        for target in Target::ALL {
            for lossy in [false, true] {
                let b = targets::build(&project, &checked.model, &opts(target, lossy));
                for d in &b.diagnostics {
                    prop_assert!(d.code.code.starts_with("E09") || d.code.code.starts_with("W09"),
                        "{target:?}: {} {}", d.code.code, d.message);
                    prop_assert!(d.code.code != "E0905", "invalid output: {}\n{text}", d.message);
                }
                for o in &b.outputs {
                    let problems = validate::validate(target, o.kind, &o.body);
                    prop_assert!(problems.is_empty(), "{problems:?}\n{text}");
                }
                let cadence_built = b.outputs.iter().any(|o| o.kind == OutputKind::Cadence || o.kind == OutputKind::Project);
                if lossy {
                    prop_assert!(!b.has_errors(), "{target:?} lossy: {:?}", codes(&b.diagnostics));
                    prop_assert!(cadence_built);
                } else {
                    prop_assert!(cadence_built || b.diagnostics.iter().any(|d| d.code.code == "E0901"));
                }
            }
        }
        // nothing dropped silently: a linear target keeps every main-track step and reports
        // the side track it leaves out
        let c = &checked.model.cadences[0];
        let b = targets::build(&project, &checked.model, &opts(Target::Hubspot, true));
        let seq = &b.outputs.iter().find(|o| o.kind == OutputKind::Cadence).unwrap().body;
        prop_assert_eq!(seq["steps"].as_array().unwrap().len(), c.tracks[0].steps.len());
        let side = c.tracks.len() > 1;
        prop_assert_eq!(side, b.diagnostics.iter().any(|d| d.code.code == "W0902" && d.message.contains("track `side`")));
        let b = targets::build(&project, &checked.model, &opts(Target::Json, false));
        let back = targets::neutral::Document::load(&b.outputs[0].text).unwrap();
        prop_assert!(back == checked.model);
    }
}
