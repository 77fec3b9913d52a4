//! Issue 9, defect 2: `max_gap` covers the whole time a deal is live in a stage, not only the
//! waits between two touches: after the last touch the deal waits for the earliest exit that is
//! sure to fire (E0418), unless it is moved on or handed to a person.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly

use cadence::diagnostics::Diagnostic;
use cadence::project::Project;

fn check(text: &str) -> Vec<Diagnostic> {
    cadence::check::check(&Project::from_texts(&[("t.cadence", text)])).diagnostics
}

fn codes(diags: &[Diagnostic]) -> Vec<String> {
    diags
        .iter()
        .map(|d| format!("{} {} [{:?}]", d.code.code, d.message, d.label))
        .collect()
}

/// A pipeline with `max_gap 15d` whose first stage waits `{timer}` of silence before the deal is
/// lost; a cadence of three touches a few days apart, then `{tail}`.
fn pipeline(timer: &str, tail: &str) -> String {
    format!(
        r#"calendar office {{
  timezone "Asia/Shanghai"
  workdays mon..fri
  hours 09:00..18:00
  holidays 2026-10-01..2026-10-08
  workday 2026-09-27
}}

pipeline p {{
  calendar office
  max_gap 15d
  stage lead {{ exit to lost when {timer} }}
  stage won {{ outcome won }}
  stage lost {{ outcome lost }}
}}

cadence c {{
  pipeline p stage lead
  exit replied on reply -> stage won
  exit bounced on bounce -> stage lost
  exit unsubscribed on unsubscribe -> stage lost
  step intro email "Intro" template "intro" immediately
  step call_1 call "Call" after 2d
    on connected -> stage won, exit reached
  step follow email "Follow-up" template "follow" after 3d
{tail}}}
"#
    )
}

#[test]
fn a_long_idle_timer_after_the_last_touch_is_e0418() {
    let diags = check(&pipeline("idle > 90d", ""));
    let e: Vec<&Diagnostic> = diags.iter().filter(|d| d.code.code == "E0418").collect();
    assert_eq!(e.len(), 1, "{:?}", codes(&diags));
    let d = e[0];
    assert!(
        d.message.contains("after the last touch `follow`")
            && d.message.contains("`lead` 90d")
            && d.message.contains("max_gap 15d"),
        "{}",
        d.message
    );
    let label = d.label.clone().unwrap_or_default();
    assert!(
        label.starts_with("worst case: last touch 20")
            && label.contains("the `idle` exit to `lost`"),
        "{label}"
    );
    let help = d.help.clone().unwrap_or_default();
    assert!(
        help.contains("path: intro → call_1 → follow → end"),
        "{help}"
    );
    assert!(
        d.related.iter().any(|r| r.1.contains("earliest exit")),
        "{:?}",
        d.related
    );
}

#[test]
fn a_timer_within_max_gap_passes() {
    let diags = check(&pipeline("idle > 14d", ""));
    assert!(
        !diags.iter().any(|d| d.code.code.starts_with("E04")),
        "{:?}",
        codes(&diags)
    );
}

#[test]
fn nurture_touches_within_fifteen_days_until_the_timer_pass() {
    // the deal is moved to `lost` by the cadence after the nurture touches: never left alone
    let tail = r#"  step nurture_1 email "Nurture 1" template "n1" after 7d
  step nurture_2 email "Nurture 2" template "n2" after 7d
    otherwise -> stage lost, exit no_answer
"#;
    let diags = check(&pipeline("idle > 90d", tail));
    assert!(
        !diags.iter().any(|d| d.code.code.starts_with("E04")),
        "{:?}",
        codes(&diags)
    );
}

#[test]
fn handing_the_deal_to_a_person_ends_the_check() {
    let tail = "    otherwise -> task \"No answer: call and decide\" assign owner\n";
    let diags = check(&pipeline("idle > 90d", tail));
    assert!(
        !diags.iter().any(|d| d.code.code == "E0418"),
        "{:?}",
        codes(&diags)
    );
}

#[test]
fn a_stage_without_a_sure_exit_stays_live_forever() {
    let diags = check(&pipeline("email_replied", ""));
    assert!(
        diags
            .iter()
            .any(|d| d.code.code == "E0418" && d.message.contains("forever")),
        "{:?}",
        codes(&diags)
    );
}

/// A reply-driven jump can come as late as `within 3 business days` allows: over National Day
/// that is about 13 calendar days, not 3 × 24 hours (which put the gap at 11d 16h, under 15d).
#[test]
fn a_business_days_window_counts_on_the_calendar() {
    let text = r#"calendar office {
  timezone "Asia/Shanghai"
  workdays mon..fri
  hours 09:00..18:00
  holidays 2026-10-01..2026-10-08
}

pipeline p {
  calendar office
  events keen
  max_gap 15d
  stage lead {
    exit to won when keen
    exit to lost when idle > 5d
  }
  stage won { outcome won }
  stage lost { outcome lost }
}

cadence c {
  pipeline p stage lead
  exit unsubscribed on unsubscribe
  step intro email "Intro" immediately
    on replied within 3 business days -> call
    otherwise -> task "Call the lead", exit no_reply
  step spare email "Spare" after 1d
    otherwise -> task "Call the lead", exit spare_sent
  step call call "Call" after 1h
    otherwise -> task "Call the lead", exit called
}
"#;
    let d = check(text);
    let gap: Vec<&Diagnostic> = d.iter().filter(|d| d.code.code == "E0412").collect();
    assert_eq!(gap.len(), 1, "{:?}", codes(&d));
    assert!(gap[0].message.contains("step `call`"), "{:?}", codes(&d));
}
