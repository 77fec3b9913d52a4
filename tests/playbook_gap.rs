//! `max_gap` over the playbook's timing words: a hand-off's wait is the next cadence's first
//! touch (against a brute-force scan of the calendar), a stage's own `max_gap` judges that stage,
//! and a cadence whose dates end leaves the deal to the stage's timer (the simulator shows it).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;

use cadence::calendar::{Calendar, Delay, Timing};
use cadence::diagnostics::Diagnostic;
use cadence::simulate::{self, Config};
use chrono::{NaiveDate, TimeDelta};
use common::{checked, model_of};

fn codes(diags: &[Diagnostic]) -> Vec<String> {
    diags
        .iter()
        .map(|d| format!("{} {} [{:?}]", d.code.code, d.message, d.label))
        .collect()
}

fn has(diags: &[Diagnostic], code: &str) -> bool {
    diags.iter().any(|d| d.code.code == code)
}

const CALENDAR: &str = r#"calendar cn {
  timezone "Asia/Shanghai"
  workdays mon..fri
  hours 09:00..12:00, 13:30..18:00
  holidays 2026-10-01..2026-10-07
  workday 2026-09-27, 2026-10-10
}
"#;

/// Outbound runs out after its last touch and hands the deal to the batch-call cadence.
fn hand_off(limit: &str, target_enroll: &str) -> String {
    format!(
        r#"{CALENDAR}
pipeline p {{
  calendar cn
  facts {{
    tier: text
  }}
  events met
  max_gap {limit}
  stage lead {{
    exit to won when met
    exit to lost when idle > 60d
  }}
  stage won {{ outcome won }}
  stage lost {{ outcome lost }}
}}

cadence outbound {{
  pipeline p stage lead
  hand_off to batches
  step first call "First" immediately
    on connected -> stage won, exit reached
  step last call "Last" after 1 business day
    on connected -> stage won, exit reached
}}

cadence batches {{
  pipeline p stage lead
{target_enroll}  step cb call "Batch callback" on tue, fri at 10:00
    on connected -> stage won, exit reached
    otherwise -> task "Decide", exit done
}}
"#
    )
}

/// The longest wait, over every open minute of the checker's dates (2025-12-01..2026-12-31),
/// from a touch to the next `on tue, fri at 10:00`.
fn brute_batch_wait(cal: &Calendar) -> i64 {
    let tue_fri = (1 << 1) | (1 << 4);
    let timing = Timing::anchor(Delay::Zero, tue_fri, 600);
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let mut t = cal.local_instant(d("2025-12-01"), 0).unwrap();
    let end = cal.local_instant(d("2026-12-31"), 1440).unwrap();
    let mut worst = 0;
    while t < end {
        if cal.is_open(t) {
            worst = worst.max((cal.schedule(t, timing).unwrap() - t).num_minutes());
        }
        t += TimeDelta::minutes(1);
    }
    worst
}

#[test]
fn a_hand_off_waits_for_the_next_cadences_first_touch() {
    let model = model_of(&hand_off("15d", ""));
    let worst = brute_batch_wait(&model.calendars[0].engine);
    // Tue 09-29 10:00 → Fri 10-09 10:00 over National Day
    assert_eq!(worst, 10 * 1440);
    // a limit one minute below the true worst is broken after the last touch
    let d = checked(&hand_off(&format!("{}min", worst - 1), "")).diagnostics;
    let e: Vec<&Diagnostic> = d.iter().filter(|d| d.code.code == "E0418").collect();
    assert_eq!(e.len(), 1, "{:?}", codes(&d));
    let label = e[0].label.clone().unwrap_or_default();
    assert!(label.contains("`batches` takes the deal"), "{label}");
    // at the true worst it holds
    let d = checked(&hand_off(&format!("{worst}min"), "")).diagnostics;
    assert!(!has(&d, "E0418"), "{:?}", codes(&d));
}

#[test]
fn a_hand_off_the_target_may_refuse_leaves_the_deal_to_the_stage_timer() {
    // `batches` takes only tier A: a tier B deal sits until `idle > 60d`
    let d = checked(&hand_off("15d", "  enroll when tier == \"A\"\n")).diagnostics;
    let e: Vec<&Diagnostic> = d.iter().filter(|d| d.code.code == "E0418").collect();
    assert_eq!(e.len(), 1, "{:?}", codes(&d));
    assert!(e[0].message.contains("60d"), "{}", e[0].message);
    assert!(
        e[0].label
            .as_deref()
            .is_some_and(|l| l.contains("may refuse")),
        "{:?}",
        e[0].label
    );
}

#[test]
fn without_the_hand_off_the_deal_sits_until_the_timer() {
    let text = hand_off("15d", "").replace("  hand_off to batches\n", "");
    let d = checked(&text).diagnostics;
    assert!(
        d.iter()
            .any(|d| d.code.code == "E0418" && d.message.contains("`last`")),
        "{:?}",
        codes(&d)
    );
}

/// An observation stage with its own, longer rule.
fn stages(observe_rule: &str) -> String {
    format!(
        r#"pipeline p {{
  events met
  max_gap 15d
  stage lead {{
    exit to observe when dwell > 1d
    exit to won when met
  }}
  stage observe {{
{observe_rule}    exit to lost when idle > 40d
    exit to won when met
  }}
  stage won {{ outcome won }}
  stage lost {{ outcome lost }}
}}

cadence c {{
  pipeline p stage observe
  step look task "Look again" after 20d
  step last task "Last look" after 20d
    otherwise -> stage lost, exit done
}}

cadence l {{
  pipeline p stage lead
  step hi task "Hi" immediately
}}
"#
    )
}

#[test]
fn a_stage_sets_its_own_max_gap() {
    // waits of 20 wall-clock days (no calendar: exactly 28800 minutes) break the pipeline's
    // 15 days ...
    let d = checked(&stages("")).diagnostics;
    let gaps: Vec<&Diagnostic> = d.iter().filter(|d| d.code.code == "E0412").collect();
    assert_eq!(gaps.len(), 1, "{:?}", codes(&d));
    assert!(gaps[0].message.contains("20d after step `look`"));
    assert!(has(&d, "E0417"), "{:?}", codes(&d));
    // ... and fit the stage's 30
    let d = checked(&stages("    max_gap 30d\n")).diagnostics;
    assert!(
        !d.iter().any(|d| d.code.code.starts_with("E04")),
        "{:?}",
        codes(&d)
    );
    // the note cites the stage's line
    let d = checked(&stages("    max_gap 19d\n")).diagnostics;
    let e = d.iter().find(|d| d.code.code == "E0412").expect("E0412");
    assert!(
        e.related
            .iter()
            .any(|r| r.1.contains("stage `observe` sets `max_gap 19d`")),
        "{:?}",
        e.related
    );
}

/// A campaign whose last step hands the deal to a person; its dates can end while it waits.
const CAMPAIGN: &str = r#"pipeline p {
  events met
  max_gap 15d
  stage lead {
    exit to won when met
    exit to lost when idle > 30d
  }
  stage won { outcome won }
  stage lost { outcome lost }
}

cadence q4 {
  pipeline p stage lead
  active 2026-09-01..2026-10-20
  step a call "Call" immediately
    on connected -> stage won, exit reached
  step b call "Again" after 10d
    on connected -> stage won, exit reached
    otherwise -> task "Decide", exit done
}

leads l {
  count 1000
  arrivals 100 per day
  respond call { connected 10% }
}
"#;

#[test]
fn when_a_cadences_dates_end_the_deal_waits_for_the_stage_timer() {
    let d = checked(CAMPAIGN).diagnostics;
    let e: Vec<&Diagnostic> = d.iter().filter(|d| d.code.code == "E0418").collect();
    assert_eq!(e.len(), 1, "{:?}", codes(&d));
    assert!(
        e[0].message
            .contains("the dates 2026-09-01..2026-10-20 end")
            && e[0].message.contains("30d"),
        "{}",
        e[0].message
    );
    // outside its dates nothing touches a deal entering `lead`
    assert!(has(&d, "E0417"), "{:?}", codes(&d));
    // the simulator: deals enrolled in the last ten days see the dates end before `b`, then sit
    // until `idle > 30d` loses them: a silence of 30 days
    let model = checked(CAMPAIGN).model;
    let p = simulate::compile(&model, 0, 0).unwrap();
    let start = 29_813_760.0; // 2026-09-08 00:00 UTC
    let cfg = Config {
        seed: 1,
        count: 4000,
        start,
        horizon_minutes: 90.0 * 1440.0,
        precision: None,
        max_count: 4000,
        arrival_window_minutes: 40.0 * 1440.0,
    };
    let t = simulate::simulate(&p, &cfg, |_, _| {});
    let closed = t.reasons[p.reason_id("window_closed")];
    assert!(closed > 0);
    // every such deal is lost by the timer: never touched again
    let lost = p.stages.iter().position(|s| s.name == "lost").unwrap();
    assert!(
        t.final_stage[lost] >= closed,
        "{} {}",
        t.final_stage[lost],
        closed
    );
}
