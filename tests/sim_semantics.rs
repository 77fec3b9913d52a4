//! Each construct means what docs/simulation.md says: small models whose answers are computed
//! here exactly (by hand or by numeric integration), and the simulator held to them within 4
//! standard errors. One test per defect of the issue "Simulation you can act on".
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;

use cadence::model::Model;
use cadence::simulate::{self, Config, Tally};
use common::{checked, model_of};

/// Minutes since the epoch of a UTC date-time `YYYY-MM-DD HH:MM`.
fn utc(text: &str) -> f64 {
    let t = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
    t.and_utc().timestamp() as f64 / 60.0
}

fn run_at(model: &Model, count: u64, start: f64) -> Tally {
    let p = simulate::compile(model, 0, 0).expect("program");
    let cfg = Config {
        seed: 5,
        count,
        start,
        horizon_minutes: 365.0 * 1440.0,
        precision: None,
        max_count: count,
        arrival_window_minutes: 0.0,
    };
    simulate::simulate(&p, &cfg, |_, _| {})
}

fn run(model: &Model, count: u64) -> Tally {
    run_at(model, count, utc("2026-01-05 09:00"))
}

/// A share of `n` within 4 standard errors of the exact `p`.
fn share_is(name: &str, k: u64, n: u64, p: f64) {
    let obs = k as f64 / n as f64;
    let se = (p * (1.0 - p) / n as f64).sqrt().max(1e-12);
    let z = (obs - p) / se;
    assert!(
        z.abs() <= 4.0,
        "{name}: observed {obs:.5}, exact {p:.5}, {z:.1} standard errors away"
    );
}

/// A pipeline: `lead` → `won` when the condition holds, with a timeout to `lost`.
fn funnel(events: &str, facts: &str, won_when: &str) -> String {
    format!(
        "pipeline f {{\n  facts {{ {facts} }}\n  events {events}\n  stage lead {{\n    exit to won when {won_when}\n    exit to lost when dwell > 300d\n  }}\n  stage won {{ outcome won }}\n  stage lost {{ outcome lost }}\n}}\n"
    )
}

#[test]
fn a_numeric_choice_yields_its_values_not_their_positions() {
    let text = funnel("x", "size: number", "size > 2")
        + r#"
cadence c {
  pipeline f stage lead
  step t task "Prepare" immediately
}
leads l { fact size = choice(1 30%, 5 70%) }
"#;
    let t = run(&model_of(&text), 20_000);
    share_is("won", t.won, t.enrolled, 0.7);
}

#[test]
fn a_duration_choice_of_reply_delays_feeds_the_within_window() {
    let text = funnel("fast", "size: number", "fast")
        + r#"
cadence c {
  pipeline f stage lead
  exit unsubscribed on unsubscribe
  step e email "Hello" immediately
    on replied within 1d -> set fast
}
leads l {
  respond email { replied 40% }
  reply_after choice(2h 25%, 3d 75%)
}
"#;
    let t = run(&model_of(&text), 20_000);
    share_is("won", t.won, t.enrolled, 0.4 * 0.25);
}

#[test]
fn each_segment_keeps_its_own_text_choices() {
    let text = funnel("x", "tier: text", r#"tier == "a""#)
        + r#"
cadence c {
  pipeline f stage lead
  step t task "Prepare" immediately
}
leads l {
  fact tier = choice("a" 80%, "b" 20%)
  segment big 50% { fact tier = choice("b" 90%, "a" 10%) }
}
"#;
    let t = run(&model_of(&text), 40_000);
    share_is("won", t.won, t.enrolled, 0.5 * 0.8 + 0.5 * 0.1);
}

#[test]
fn responsiveness_above_one_raises_held_meetings() {
    // the stated rate is the population's average: 80% of meetings are held, whatever the
    // spread of responsiveness (a lead's share is g · 0.8 · r, at most held + no_show)
    let exact = 0.8;
    let text = funnel("met", "size: number", "met")
        + r#"
cadence c {
  pipeline f stage lead
  step m meeting "Demo" immediately
    on held -> set met
}
leads l {
  respond meeting { held 80%, no_show 15%, cancelled 5% }
  responsiveness gamma(mean 1, shape 0.6)
}
"#;
    let t = run(&model_of(&text), 100_000);
    share_is("held", t.step_outcomes[0][1], t.step_reached[0], exact);
    share_is("cancelled", t.step_outcomes[0][3], t.step_reached[0], 0.05);
    assert_eq!(t.won, t.step_outcomes[0][1]);
}

#[test]
fn a_held_meeting_applies_its_rule_after_the_booking_exit() {
    let text = r#"
pipeline f {
  events demo_held
  stage lead { exit to lost when dwell > 300d }
  stage needs {
    exit to won when demo_held
    exit to lost when dwell > 300d
  }
  stage won { outcome won }
  stage lost { outcome lost }
}
cadence c {
  pipeline f stage lead
  exit meeting on meeting_booked -> stage needs
  step m meeting "Demo" immediately
    on held -> set demo_held
}
leads l {
  respond meeting { held 60%, no_show 30%, cancelled 10% }
  meeting_after 2d
}
"#;
    let t = run(&model_of(text), 20_000);
    share_is("won", t.won, t.enrolled, 0.6);
    // the deal moves to `needs` at the booking, and is won two days later at the meeting
    assert_eq!(
        t.cycle_minutes_sum,
        u128::from(t.won) * 2 * 1440,
        "won at the meeting, 2 days after the booking"
    );
}

#[test]
fn a_held_meeting_sets_its_event_even_at_the_booking_instant() {
    // no `meeting_after`: booked and held at one instant, the exit first, then the rule
    let text = r#"
pipeline f {
  events demo_held
  stage lead { exit to lost when dwell > 300d }
  stage needs {
    exit to won when demo_held
    exit to lost when dwell > 300d
  }
  stage won { outcome won }
  stage lost { outcome lost }
}
cadence c {
  pipeline f stage lead
  exit meeting on meeting_booked -> stage needs
  step m meeting "Demo" immediately
    on held -> set demo_held
}
leads l { respond meeting { held 60%, no_show 30%, cancelled 10% } }
"#;
    let t = run(&model_of(text), 20_000);
    share_is("won", t.won, t.enrolled, 0.6);
}

#[test]
fn the_checker_warns_where_a_cadence_exit_takes_a_step_rule() {
    let text = funnel("x", "size: number", "x")
        + r#"
cadence c {
  pipeline f stage lead
  exit replied on reply
  exit unsubscribed on unsubscribe
  exit bounced on bounce
  exit meeting on meeting_booked
  step e email "Hello" immediately
    on replied -> set x
  step m meeting "Demo" after 1d
    on held -> set x, exit qualified
}
"#;
    let c = checked(&text);
    let w: Vec<&str> = c
        .diagnostics
        .iter()
        .filter(|d| d.code.code == "W0420")
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(w[0].contains("never applies") && w[0].contains("replied"));
    assert!(w[1].contains("jump or exit"));
}

#[test]
fn otherwise_applies_when_the_reply_comes_after_its_window() {
    let text = r#"
pipeline f {
  events fast, slow
  stage lead {
    exit to won when fast
    exit to lost when slow
  }
  stage won { outcome won }
  stage lost { outcome lost }
}
cadence c {
  pipeline f stage lead
  exit unsubscribed on unsubscribe
  step e email "Hello" immediately
    on replied within 1d -> set fast
    otherwise -> set slow
}
leads l {
  respond email { replied 50% }
  reply_after choice(1h 50%, 3d 50%)
}
"#;
    let t = run(&model_of(text), 20_000);
    share_is("won", t.won, t.enrolled, 0.25);
    share_is("lost", t.lost, t.enrolled, 0.75);
    assert_eq!(t.open, 0);
}

#[test]
fn on_replied_two_times_waits_for_the_second_reply() {
    let text = funnel("two", "size: number", "two")
        + r#"
cadence c {
  pipeline f stage lead
  exit unsubscribed on unsubscribe
  step e email "Hello" immediately
    on replied 2 times -> set two
    otherwise -> e at most 1 times
}
leads l { respond email { replied 50% } }
"#;
    let t = run(&model_of(&text), 20_000);
    // the first touch cannot fire the rule, so `otherwise` sends it again; won iff both replied
    share_is("won", t.won, t.enrolled, 0.25);
    assert_eq!(t.touches, 2 * t.enrolled);
}

fn business_window(reply_after: &str) -> String {
    format!(
        r#"
calendar office {{
  timezone "UTC"
  workdays mon..fri
  hours 09:00..18:00
}}
pipeline f {{
  calendar office
  events fast
  stage lead {{
    exit to won when fast
    exit to lost when dwell > 300d
  }}
  stage won {{ outcome won }}
  stage lost {{ outcome lost }}
}}
cadence c {{
  pipeline f stage lead
  exit unsubscribed on unsubscribe
  step e email "Hello" immediately
    on replied within 2 business days -> set fast
}}
leads l {{
  respond email {{ replied 100% }}
  reply_after {reply_after}
}}
"#
    )
}

#[test]
fn within_business_days_counts_on_the_calendar() {
    // sent Fri 2026-01-09 17:00; 2 business days later is Tue 17:00 (Mon, Tue)
    let start = utc("2026-01-09 17:00");
    let in_time = run_at(&model_of(&business_window("50h")), 200, start); // Sun 19:00
    assert_eq!(
        in_time.won, 200,
        "a reply on Sunday is within 2 business days of Friday"
    );
    let late = run_at(&model_of(&business_window("100h")), 200, start); // Tue 21:00
    assert_eq!(late.won, 0, "Tuesday 21:00 is past Tuesday 17:00");
}

#[test]
fn timers_fire_in_every_form_the_checker_accepts() {
    for cond in [
        "30d < dwell",
        "dwell >= 30d",
        "not (dwell <= 30d)",
        "not (dwell < 30d)",
        "dwell > wait",
        "wait < dwell",
    ] {
        let text = format!(
            r#"
pipeline f {{
  facts {{ wait: duration }}
  stage lead {{ exit to won when {cond} }}
  stage won {{ outcome won }}
}}
cadence c {{
  pipeline f stage lead
  step t task "Prepare" immediately
}}
leads l {{ fact wait = 30d }}
"#
        );
        let t = run(&model_of(&text), 500);
        assert_eq!(t.won, 500, "`{cond}`: every deal leaves at day 30");
        assert_eq!(
            t.cycle_minutes_sum,
            500 * 30 * 1440,
            "`{cond}`: at exactly day 30"
        );
    }
}

#[test]
fn email_rates_are_shares_of_sends() {
    let text = funnel("x", "size: number", "x")
        + r#"
cadence c {
  pipeline f stage lead
  exit unsubscribed on unsubscribe
  step e email "Hello" immediately
}
leads l {
  respond email { delivered 90%, opened 40%, clicked 8%, replied 10%, bounced 5%, unsubscribed 2% }
}
"#;
    let n = 100_000;
    let t = run(&model_of(&text), n);
    let o = t.step_outcomes[0];
    for (i, (name, p)) in [
        ("delivered", 0.90),
        ("opened", 0.40),
        ("clicked", 0.08),
        ("replied", 0.10),
        ("bounced", 0.05),
        ("unsubscribed", 0.02),
    ]
    .iter()
    .enumerate()
    {
        share_is(name, o[i], n, *p);
    }
}

#[test]
fn contradictory_email_and_meeting_rates_are_errors() {
    let text = r#"
leads l {
  respond email { opened 5%, replied 10% }
  respond sms { delivered 10%, replied 8%, opted_out 5% }
  respond meeting { booked 50%, held 40%, no_show 20% }
}
"#;
    let c = checked(text);
    let e: Vec<&str> = c
        .diagnostics
        .iter()
        .filter(|d| d.code.code == "E0601")
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(e.len(), 3, "{e:?}");
}

fn opened_within(window: &str) -> String {
    funnel("fast", "size: number", "fast")
        + &format!(
            r#"
cadence c {{
  pipeline f stage lead
  exit unsubscribed on unsubscribe
  step e email "Hello" immediately
    on opened within {window} -> set fast
}}
leads l {{
  respond email {{ opened 60% }}
  open_after choice(10h 50%, 40h 50%)
}}
"#
        )
}

#[test]
fn opens_within_a_window_depend_on_when_opens_happen() {
    let t24 = run(&model_of(&opened_within("24h")), 20_000);
    share_is("opened within 24h", t24.won, t24.enrolled, 0.6 * 0.5);
    let t48 = run(&model_of(&opened_within("48h")), 20_000);
    share_is("opened within 48h", t48.won, t48.enrolled, 0.6);
}

#[test]
fn a_simulation_from_a_later_stage_assumes_what_its_entry_requires() {
    let text = r#"
pipeline f {
  events met, budget_ok
  stage lead { exit to needs when met }
  stage needs {
    exit to won when met and budget_ok
    exit to lost when dwell > 300d
  }
  stage won { outcome won }
  stage lost { outcome lost }
}
cadence c {
  pipeline f stage needs
  step t task "Prepare" immediately
}
leads l { milestone budget_ok in needs 50% after 5d }
"#;
    let t = run(&model_of(text), 20_000);
    share_is("won", t.won, t.enrolled, 0.5);
}

#[test]
fn leads_read_and_reply_in_their_waking_hours() {
    // 14:00 UTC is 22:00 in Shanghai: an instant reply waits for 08:00 there, 10 hours later
    let text = funnel("x", "size: number", "x")
        + r#"
cadence c {
  pipeline f stage lead
  exit unsubscribed on unsubscribe
  step e email "Hello" immediately
    on replied -> set x
}
leads l {
  timezone "Asia/Shanghai"
  respond email { replied 100% }
}
"#;
    let t = run_at(&model_of(&text), 100, utc("2026-01-05 14:00"));
    assert_eq!(t.won, 100);
    assert_eq!(t.cycle_minutes_sum, 100 * 600);
}

#[test]
fn responsiveness_spreads_held_meetings_over_leads() {
    // r is 0.5 or 1.5; with gain g, a lead holds min(0.8 g r, 0.95). An average of 0.8 needs
    // 0.5 · 0.4g + 0.5 · 0.95 = 0.8 (the responsive half at the cap), so g = 1.625: 65% and 95%.
    // Two meetings held by the same lead: E[h²] = (0.65² + 0.95²) / 2, not 0.8².
    let g: f64 = (0.8 - 0.5 * 0.95) / (0.5 * 0.4);
    assert!((1.2 * g) >= 0.95 && (0.4 * g) <= 0.95);
    let (lo, hi) = (0.4 * g, 0.95);
    let exact = 0.5 * lo * lo + 0.5 * hi * hi;
    let text = r#"
pipeline f {
  events one, two
  stage lead {
    exit to won when one and two
    exit to lost when dwell > 300d
  }
  stage won { outcome won }
  stage lost { outcome lost }
}
cadence c {
  pipeline f stage lead
  step m1 meeting "Demo" immediately
    on held -> set one
  step m2 meeting "Workshop" after 1d
    on held -> set two
}
leads l {
  respond meeting { held 80%, no_show 15%, cancelled 5% }
  responsiveness choice(0.5 50%, 1.5 50%)
}
"#;
    let t = run(&model_of(text), 100_000);
    share_is("held", t.step_outcomes[0][1], t.step_reached[0], 0.8);
    share_is("both held", t.won, t.enrolled, exact);
}

#[test]
fn opens_at_night_wait_for_the_morning_too() {
    // no `open_after`: the email is opened at once, but not before 08:00 in Shanghai
    let text = funnel("x", "size: number", "x")
        + r#"
cadence c {
  pipeline f stage lead
  exit unsubscribed on unsubscribe
  step e email "Hello" immediately
    on opened -> set x
}
leads l {
  timezone "Asia/Shanghai"
  respond email { opened 100% }
}
"#;
    let t = run_at(&model_of(&text), 100, utc("2026-01-05 14:00"));
    assert_eq!(t.won, 100);
    assert_eq!(t.cycle_minutes_sum, 100 * 600);
}
