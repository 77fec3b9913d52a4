#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly
//! docs/targets.md tables every construct per vendor with its kind (exact, setup item,
//! assumption, behavioural loss). This test reads those tables and, for each construct it has a
//! small cadence for, builds it strictly and checks the kind against what the build reports
//! compared with the same project without the construct: a behavioural loss adds an E0901, a
//! setup item a W0907, an assumption a W0907 `assumption:` item, an exact construct none of
//! them. Every tabled row is either built here or named in `NOT_BUILT` (with where it is
//! tested), so a row cannot be added, renamed or reclassified without this test seeing it.

use std::collections::BTreeSet;

use cadence::project::Project;
use cadence::targets::{self, Options, Target};

/// The table rows of docs/targets.md that have a `kind` column: (section, construct, kind).
fn rows() -> Vec<(String, String, String)> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/targets.md")).unwrap();
    let mut out = Vec::new();
    let (mut section, mut kind_col) = (String::new(), None);
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            section = h.to_string();
            kind_col = None;
            continue;
        }
        if !line.starts_with('|') {
            kind_col = None;
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        if line.starts_with("|---") {
            continue;
        }
        match kind_col {
            None => kind_col = Some(cells.iter().position(|c| *c == "kind")),
            Some(None) => {}
            Some(Some(k)) => {
                out.push((section.clone(), cells[0].to_string(), cells[k].to_string()))
            }
        }
    }
    out
}

fn target_of(section: &str) -> Option<Target> {
    [Target::Zoho, Target::Salesloft, Target::Hubspot]
        .into_iter()
        .find(|t| {
            section.starts_with(t.title()) || section.starts_with(&t.title().replace(" CRM", ""))
        })
}

const EXITS: &str =
    "  exit replied on reply\n  exit bounced on bounce\n  exit unsubscribed on unsubscribe";
const STEPS: &str = "  step e1 email \"One\" template \"t1\" immediately";

/// The project: a stage line, the cadence's exits and steps.
fn project(stage: &str, exits: &str, steps: &str) -> String {
    format!(
        r#"
calendar office {{
  timezone "Asia/Shanghai"
  workdays mon..fri
  hours 09:00..18:00
}}
pipeline p {{
  calendar office
  events signed
  roles owner, manager
  stage lead "Lead" {{
    exit to won when signed
{stage}
  }}
  stage won "Won" {{ outcome won }}
}}
cadence c {{
  pipeline p
{exits}
{steps}
}}
"#
    )
}

/// (target, construct) → (stage line, exits, steps) that use it.
fn example(t: Target, construct: &str) -> Option<(&'static str, String, String)> {
    let with_exit = |e: &str| format!("{EXITS}\n  {e}");
    let steps = |s: &str| s.to_string();
    let two = |after: &str| format!("{STEPS}\n  step e2 email \"Two\" template \"t2\" {after}");
    let rule =
        |r: &str| format!("{STEPS}\n    {r}\n  step e2 email \"Two\" template \"t2\" after 2d");
    let e = EXITS.to_string();
    Some(match (t, construct) {
        (Target::Zoho, "`enroll when …`") => ("", with_exit("enroll when signed"), STEPS.into()),
        (Target::Zoho, "exits on `meeting_booked` or pipeline events; `stage_change` without a worked stage") => {
            ("", with_exit("exit booked on meeting_booked"), STEPS.into())
        }
        (Target::Zoho, "effects of cadence exits (`exit … -> task …`, `-> stage …`)") => (
            "",
            "  exit replied on reply -> stage won\n  exit bounced on bounce\n  exit unsubscribed on unsubscribe".into(),
            STEPS.into(),
        ),
        (Target::Zoho, "`sms`, `linkedin`, `meeting` steps") => ("", e, steps("  step s1 sms \"Hi\" immediately")),
        (Target::Zoho, "a wait that is not a whole 1–99 minutes, hours, business hours, days or business days (e.g. `150min`, `100d`)") => {
            ("", e, two("after 150min"))
        }
        (Target::Zoho, "`at HH:MM` on a non-call step") => ("", e, two("after 1d at 10:00")),
        (Target::Zoho, "the next step of an email track") => ("", e, two("after 2d")),
        (Target::Zoho, "the next step after a call or task") => (
            "",
            e,
            steps("  step c1 call \"Call\" immediately\n  step c2 call \"Again\" after 1d"),
        ),
        (Target::Zoho, "outcome rules on call, meeting, SMS, LinkedIn outcomes and email `unsubscribed`") => (
            "",
            e,
            steps("  step c1 call \"Call\" immediately\n    on voicemail -> task \"Retry\"\n  step c2 call \"Again\" after 1d"),
        ),
        (Target::Zoho, "`N times`, `within D` on a rule") => ("", e, rule("on opened 2 times -> task \"Call\"")),
        (Target::Zoho, "`set EVENT`, `stage S` effects of rules") => ("", e, rule("on replied -> stage won")),
        (Target::Zoho, "`respond within D`, an escalation on a pure timer (`dwell > D`)") => {
            ("    respond within 2d", e, STEPS.into())
        }
        (Target::Zoho, "each `exit to T when C [as \"label\"]`") => ("    exit to won when dwell > 30d", e, STEPS.into()),
        (Target::Salesloft, "`exit … on meeting_booked` (or a meeting `on booked -> exit`)") => {
            ("", with_exit("exit booked on meeting_booked"), STEPS.into())
        }
        (Target::Salesloft, "step `call`") => ("", e, steps("  step c1 call \"Call\" immediately")),
        (Target::Salesloft, "step `task`") => ("", e, steps("  step t1 task \"Do it\" immediately")),
        (Target::Salesloft, "`meeting`, `whatsapp` steps; `linkedin`, `sms` without integration ids") => {
            ("", e, steps("  step w1 whatsapp \"Hi\" immediately"))
        }
        (Target::Salesloft, "`task` effects of rules") => ("", e, rule("on opened -> task \"Call\"")),
        (Target::Salesloft, "exits on pipeline events") => ("", with_exit("exit won_it on signed"), STEPS.into()),
        (Target::Salesloft, "`enroll when …`") => ("", with_exit("enroll when signed"), STEPS.into()),
        (Target::Salesloft, "a time of day or a sub-day wait on a manual step") => (
            "",
            e,
            steps("  step c1 call \"Call\" immediately\n  step c2 call \"Again\" after 2h"),
        ),
        (Target::Salesloft, "an email due more than 720 minutes into its day") => ("", e, two("after 13h")),
        (Target::Hubspot, "exit on `meeting_booked`") => ("", with_exit("exit booked on meeting_booked"), STEPS.into()),
        (Target::Hubspot, "`on opened [N times] -> exit`, `on clicked [N times] -> exit` on an email step") => {
            ("", e, rule("on opened 3 times -> exit engaged"))
        }
        (Target::Hubspot, "a wall-clock wait") => ("", e, two("after 2d")),
        (Target::Hubspot, "`N business days` (Monday–Friday calendar)") => ("", e, two("after 1 business day")),
        (Target::Hubspot, "the next step after a task step") => (
            "",
            e,
            steps("  step t1 task \"Do it\" immediately\n  step e2 email \"Two\" template \"t2\" after 1d"),
        ),
        (Target::Hubspot, "`sms`, `whatsapp` steps") => ("", e, steps("  step s1 sms \"Hi\" immediately")),
        (Target::Hubspot, "`at HH:MM`") => ("", e, two("after 1d at 10:00")),
        (Target::Hubspot, "a wait over 90 days") => ("", e, two("after 100d")),
        (Target::Hubspot, "`task` effects of rules") => ("", e, rule("on opened -> task \"Call\"")),
        (Target::Hubspot, "exits on pipeline events") => ("", with_exit("exit won_it on signed"), STEPS.into()),
        (Target::Hubspot, "`enroll when …`") => ("", with_exit("enroll when signed"), STEPS.into()),
        _ => return None,
    })
}

/// (E0901, W0907 setup items, W0907 assumptions) of a strict build.
fn counts(text: &str, t: Target) -> (usize, usize, usize) {
    let project = Project::from_texts(&[("c.cadence", text)]);
    let checked = cadence::check::check(&project);
    assert!(
        checked.diagnostics.iter().all(|d| !d.is_error()),
        "{text}\n{:?}",
        checked.diagnostics
    );
    let mut o = Options::new(t);
    o.pipelines = true;
    let b = targets::build(&project, &checked.model, &o);
    let n = |f: &dyn Fn(&cadence::diagnostics::Diagnostic) -> bool| {
        b.diagnostics.iter().filter(|d| f(d)).count()
    };
    (
        n(&|d| d.code.code == "E0901"),
        n(&|d| d.code.code == "W0907" && !d.message.contains("setup: assumption:")),
        n(&|d| d.code.code == "W0907" && d.message.contains("setup: assumption:")),
    )
}

/// Rows this test does not build, and where they are held instead.
const NOT_BUILT: &[&str] = &[
    // every playbook word, for every target: tests/build_playbook.rs
    "What no CRM target expresses",
];

#[test]
fn every_tabled_kind_is_what_the_build_reports() {
    let all = rows();
    assert!(all.len() > 80, "the tables were found: {}", all.len());
    let kinds: BTreeSet<&str> = ["exact", "setup item", "assumption", "behavioural loss"].into();
    let mut built = BTreeSet::new();
    let mut unbuilt = Vec::new();
    for (section, construct, kind) in &all {
        assert!(
            kinds.contains(kind.as_str()),
            "{section}: `{construct}` has kind `{kind}`"
        );
        let Some(t) = target_of(section) else {
            assert!(
                NOT_BUILT.iter().any(|n| section.starts_with(n)),
                "section `{section}` is neither a vendor nor listed"
            );
            continue;
        };
        let Some((stage, exits, steps)) = example(t, construct) else {
            unbuilt.push(format!("{t:?}: {construct}"));
            continue;
        };
        built.insert((t, construct.clone()));
        let base = counts(&project("", EXITS, STEPS), t);
        let with = counts(&project(stage, &exits, &steps), t);
        let what = format!("{t:?} `{construct}` (tabled {kind}): base {base:?}, with it {with:?}");
        match kind.as_str() {
            "behavioural loss" => assert!(with.0 > base.0, "{what}"),
            "setup item" => assert!(with.0 == base.0 && with.1 > base.1, "{what}"),
            "assumption" => assert!(with.0 == base.0 && with.2 > base.2, "{what}"),
            _ => assert!(
                with.0 == base.0 && with.1 <= base.1 && with.2 == base.2,
                "{what}"
            ),
        }
    }
    // every example names a tabled row (a renamed row would silently lose its check)
    for t in [Target::Zoho, Target::Salesloft, Target::Hubspot] {
        let n = built.iter().filter(|(bt, _)| *bt == t).count();
        assert!(n >= 9, "{t:?}: only {n} rows built");
    }
    assert_eq!(built.len(), 33, "examples that found their row: {built:#?}");
    // the rows left to the vendor tests (tests/build.rs, build_vendors.rs, build_hubspot.rs,
    // build_setup.rs, build_plan.rs): listed, so a new or renamed row shows up here
    assert_eq!(unbuilt, UNBUILT, "rows without an example here");
}

/// The vendor rows with no example here, by name; their kinds are not checked by this test.
const UNBUILT: &[&str] = &[
    "Zoho: `cadence NAME`, `title`",
    "Zoho: a title that is not a valid or unique Zoho name",
    "Zoho: `pipeline P`",
    "Zoho: no `enroll`",
    "Zoho: `exit … on reply`",
    "Zoho: `exit … on bounce`, `on unsubscribe`",
    "Zoho: `exit … on stage_change` with a worked stage (`pipeline P stage S`)",
    "Zoho: step `email`",
    "Zoho: step `whatsapp`",
    "Zoho: step `call`",
    "Zoho: step `task`",
    "Zoho: A/B `variant`s",
    "Zoho: step timing",
    "Zoho: `on OUTCOME -> STEP`",
    "Zoho: `on OUTCOME -> task \"…\"`",
    "Zoho: `on OUTCOME -> exit R`",
    "Zoho: a rule that jumps or exits while the track goes on",
    "Zoho: `otherwise -> STEP`",
    "Zoho: `otherwise -> exit R`",
    "Zoho: `otherwise -> task \"…\"`",
    "Zoho: `otherwise -> task` on a step with rules",
    "Zoho: two follow-ups on one trigger under one parent (e.g. `on delivered -> task` next to the next step on `Sent`)",
    "Zoho: `STEP at most N times`",
    "Zoho: a step reached on several paths",
    "Zoho: an automation action (template or task action) that a second follow-up would use",
    "Zoho: more than 100 follow-ups after unfolding",
    "Zoho: `pipeline P`, `title`",
    "Zoho: each stage",
    "Zoho: other escalations",
    "Zoho: `require`",
    "Zoho: `no_skip`, `no_backward`",
    "Zoho: more than 50 exits in a pipeline",
    "Zoho: the Blueprint created without states and transitions (the page does not say whether `states`, `transitions`, `connections` may be left out of call 1); transitions wired to states in the editor (the transitions request names no states)",
    "Salesloft: `cadence NAME`, `title`",
    "Salesloft: `exit … on reply` (or `on replied -> exit`)",
    "Salesloft: `exit … on bounce`",
    "Salesloft: `exit … on unsubscribe`",
    "Salesloft: `exit … on reply -> stage S` (or `on replied -> exit` with `stage S`), the same on bounce, `otherwise -> stage S` on the last step",
    "Salesloft: the team",
    "Salesloft: the main track, in order",
    "Salesloft: step `email`",
    "Salesloft: step `linkedin`, `sms` with ids `[salesloft.integrations]`",
    "Salesloft: `priority`, `template` on a manual step",
    "Salesloft: group `reference_id`, `due_immediately`",
    "Salesloft: side tracks and every jump (`on X -> STEP`, `otherwise -> STEP`)",
    "Salesloft: outcome rules other than `-> exit` on reply, bounce, opt-out, booked meeting",
    "Salesloft: `otherwise` with effects, or exiting before the last step",
    "Salesloft: A/B `variant`s",
    "Salesloft: business hours on an email wait",
    "Salesloft: `set`, `stage` effects of rules; effects of cadence exits",
    "Salesloft: the end of a worked stage, `exit … on stage_change`",
    "Salesloft: `assign` to a role other than `owner`",
    "Salesloft: holidays and make-up days of a cadence's calendar",
    "Hubspot: `cadence NAME`, `title`",
    "Hubspot: the main track, in order",
    "Hubspot: step actions (`email` with its template, `call`, `task`, `meeting`, `linkedin`)",
    "Hubspot: calendar hours",
    "Hubspot: a calendar working Monday–Friday",
    "Hubspot: a calendar working every day",
    "Hubspot: exits on reply, bounce, unsubscribe",
    "Hubspot: `pipeline P` without `--pipelines`",
    "Hubspot: `pipeline P`, `title`",
    "Hubspot: each stage",
    "Hubspot: side tracks, jumps, outcome rules (other than `-> exit` on reply, bounce, opt-out, booked meeting), `otherwise` with effects",
    "Hubspot: no exit on `reply`",
    "Hubspot: A/B `variant`s",
    "Hubspot: waits in business hours",
    "Hubspot: `N business days` where no whole-day delay lands right from every weekday (2, 3, 4, 7, … on Monday–Friday)",
    "Hubspot: workdays other than Monday–Friday or all week",
    "Hubspot: several business-hours ranges a day",
    "Hubspot: holidays and make-up days used by business-time waits",
    "Hubspot: stage exits, escalations, `respond within`",
    "Hubspot: `require`",
    "Hubspot: `no_skip`, `no_backward`",
    "Hubspot: two stages with the same label",
    "Hubspot: `set`, `stage` effects of rules; effects of cadence exits",
    "Hubspot: the end of a worked stage, `exit … on stage_change`",
    "Hubspot: `assign` to a role other than `owner`",
    "Hubspot: no exit on `meeting_booked`",
    "Hubspot: each step's action",
    "Hubspot: a calendar working every day",
];
