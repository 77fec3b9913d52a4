//! The exact oracle on hand cases: each expected value is computed here by hand arithmetic,
//! never taken from a run. Also: what the oracle refuses, and how the CLI says it.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;

use cadence::model::Model;
use cadence::simulate::{self, exact};
use common::{cli, model_of};

const START: f64 = 29_428_020.0; // 2026-01-05 09:00 UTC, minutes since the epoch

fn run(model: &Model, horizon_days: f64) -> Result<exact::Exact, exact::Refusal> {
    let p = simulate::compile(model, 0, 0).unwrap();
    exact::exact(
        model,
        &p,
        0,
        0,
        exact::Options {
            start: START,
            horizon: horizon_days * 1440.0,
            max_states: exact::MAX_STATES,
        },
    )
}

fn reason(e: &exact::Exact, r: &str) -> f64 {
    e.per_lead(e.layout.reason(e.spec.reason_id(r))).0
}

fn close(name: &str, got: f64, want: f64, tol: f64) {
    assert!((got - want).abs() <= tol, "{name}: got {got}, want {want}");
}

const BRANCHING: &str = r#"
pipeline bp {
  events met
  stage lead { exit to lost when age > 3650d }
  stage meeting { exit to won when met }
  stage won { outcome won }
  stage lost { outcome lost }
}
cadence branch {
  pipeline bp stage lead
  exit replied on reply -> stage meeting
  exit unsubscribed on unsubscribe
  exit bounced on bounce
  step c1 call "Call" immediately
    on connected -> stage meeting
    on bad_number -> exit bad
  step e1 email "Email" after 2d
  step c2 call "Call again" after 2d
    on connected -> stage meeting
  step e2 email "Last email" after 2d
}
leads bl {
  respond step branch.c1 { connected 20%, voicemail 30%, bad_number 10% }
  respond step branch.e1 { replied 6%, bounced 4%, unsubscribed 2% }
  respond step branch.c2 { connected 15% }
  respond step branch.e2 { replied 3%, unsubscribed 5% }
  reply_after 1h
  milestone met in meeting 50% after 2d
}
"#;

#[test]
fn branching_cadence_by_path_arithmetic() {
    let e = run(&model_of(BRANCHING), 3650.0).unwrap();
    // c1 goes on with 70%, e1 with 88%, c2 with 85%
    let (a, b, c) = (0.7, 0.7 * 0.88, 0.7 * 0.88 * 0.85);
    let meeting_by_call = 0.2 + b * 0.15;
    let meeting_by_reply = a * 0.06 + c * 0.03;
    close(
        "stage_changed",
        reason(&e, "stage_changed"),
        meeting_by_call,
        1e-12,
    );
    close("replied", reason(&e, "replied"), meeting_by_reply, 1e-12);
    close("bad", reason(&e, "bad"), 0.1, 1e-12);
    close("bounced", reason(&e, "bounced"), a * 0.04, 1e-12);
    close(
        "unsubscribed",
        reason(&e, "unsubscribed"),
        a * 0.02 + c * 0.05,
        1e-12,
    );
    close("exhausted", reason(&e, "exhausted"), c * 0.92, 1e-12);
    let conversion = 0.5 * (meeting_by_call + meeting_by_reply);
    close("conversion", e.per_lead(e.layout.won).0, conversion, 1e-12);
    close(
        "touches",
        e.per_lead(e.layout.touches).0,
        1.0 + a + b + c,
        1e-12,
    );
    for (i, want) in [1.0, a, b, c].iter().enumerate() {
        close("reach", e.per_lead(e.layout.reached(i)).0, *want, 1e-12);
    }
}

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
leads seven_leads {
  respond step seven.e1 { replied 5% }
  respond step seven.e2 { replied 4% }
  respond step seven.e3 { replied 3% }
  respond step seven.e4 { replied 2.5% }
  respond step seven.e5 { replied 2% }
  respond step seven.e6 { replied 1.5% }
  respond step seven.e7 { replied 1% }
  reply_after 1h
  milestone met in meeting 35% after 3d
}
simulation seven_sim {
  cadence seven
  leads seven_leads
  start 2026-01-05 09:00
  horizon 365d
}
"#;

#[test]
fn seven_emails_conversion_touches_and_cycle_time() {
    let e = run(&model_of(SEVEN), 365.0).unwrap();
    close("conversion", e.per_lead(e.layout.won).0, 0.061_506_0, 5e-8);
    close("touches", e.per_lead(e.layout.touches).0, 6.287_03, 5e-6);
    let won = e.value[e.layout.won];
    let cycle_days = e.value[e.layout.cycle_sum] / won / 1440.0;
    close("cycle", cycle_days, 8.870_24, 5e-6);
}

/// Responsiveness gamma(mean 1, shape 2): E[r] = 1, E[r²] = 1.5. Two emails, the second at
/// fatigue 0.5; a reply ends the cadence. P(reply) = a E[r] + E[(1 − a r) 0.5 a r]
/// = 1.5 a − 0.75 a², a = 10% × the program's calibrated gain (caps are out of reach: r > 9).
#[test]
fn responsiveness_and_fatigue_integrate_to_the_moments() {
    let text = r#"
cadence two {
  exit replied on reply
  exit unsubscribed on unsubscribe
  step m1 email "First" immediately
  step m2 email "Second" after 2d
}
leads tl {
  respond email { replied 10% }
  responsiveness gamma(mean 1, shape 2)
  fatigue 0.5 per touch
}
"#;
    let model = model_of(text);
    let p = simulate::compile(&model, 0, 0).unwrap();
    let gain = p.populations[0].gains[0][0][3];
    assert!((gain - 1.0).abs() < 0.02, "calibrated gain {gain}");
    let a = 0.1 * gain;
    let e = run(&model, 30.0).unwrap();
    let (replied, tol) = e.per_lead(e.layout.reason(e.spec.reason_id("replied")));
    assert!(tol < 1e-7, "numerical tolerance {tol}");
    close("replied", replied, 1.5 * a - 0.75 * a * a, 1e-7 + tol);
    // the population's average at the first touch is the stated rate
    close(
        "first touch",
        e.per_lead(e.layout.step_outcome(0, 3)).0,
        0.1,
        2e-3,
    );
    close("touches", e.per_lead(e.layout.touches).0, 2.0 - a, 1e-7);
}

/// Opens: `opened` 40% of sends (delivered 100%), each further open with chance 40%. At least
/// two opens: 0.4 × 0.4; within 3h of the send when opens come 2h apart: never.
#[test]
fn repeated_opens_and_their_windows() {
    let text = |rule: &str, open_after: &str| {
        format!(
            r#"
cadence op {{
  exit unsubscribed on unsubscribe
  step m email "Mail" immediately
    on opened 2 times{rule} -> exit hot
  step t task "Follow up" after 5d
}}
leads ol {{
  respond email {{ opened 40% }}
  {open_after}
}}
"#
        )
    };
    let e = run(&model_of(&text("", "")), 30.0).unwrap();
    close("two opens", reason(&e, "hot"), 0.16, 1e-12);
    let e = run(&model_of(&text(" within 3h", "open_after 2h")), 30.0).unwrap();
    close("outside the window", reason(&e, "hot"), 0.0, 1e-15);
    let e = run(&model_of(&text(" within 5h", "open_after 2h")), 30.0).unwrap();
    close("inside the window", reason(&e, "hot"), 0.16, 1e-12);
}

/// A milestone after the stage's timer never counts; before it, it does. Segments average.
#[test]
fn milestones_timers_and_segments() {
    let text = |after: &str| {
        format!(
            r#"
pipeline mp {{
  events e1
  stage lead {{ exit to lost when age > 3650d }}
  stage mid {{
    exit to won when e1
    exit to lost when dwell > 10d
  }}
  stage won {{ outcome won }}
  stage lost {{ outcome lost }}
}}
cadence mc {{
  pipeline mp stage lead
  step c call "Call" immediately
    on connected -> stage mid
}}
leads ml {{
  respond call {{ connected 20% }}
  milestone e1 in mid 50% after {after}
  segment big 25% {{ respond call {{ connected 60% }} }}
}}
"#
        )
    };
    let connected = 0.75 * 0.2 + 0.25 * 0.6;
    let e = run(&model_of(&text("12d")), 60.0).unwrap();
    close("late milestone", e.per_lead(e.layout.won).0, 0.0, 1e-15);
    close("lost", e.per_lead(e.layout.lost).0, connected, 1e-12);
    let e = run(&model_of(&text("5d")), 60.0).unwrap();
    close(
        "early milestone",
        e.per_lead(e.layout.won).0,
        0.5 * connected,
        1e-12,
    );
    // a horizon before the milestone leaves the deals open
    let e = run(&model_of(&text("5d")), 4.0).unwrap();
    close("open", e.per_lead(e.layout.open).0, 1.0, 1e-12);
}

/// A bounded loop: the call is retried at most twice on no answer, then the email.
#[test]
fn bounded_loop_by_hand() {
    let text = r#"
cadence retry {
  exit replied on reply
  exit unsubscribed on unsubscribe
  step c1 call "Call" after 1d
    on connected -> exit reached
    on no_answer -> c1 at most 2 times
  step e1 email "Email" after 1d
}
leads ll { respond call { connected 10%, voicemail 30% } respond email { replied 5% } }
"#;
    let e = run(&model_of(text), 60.0).unwrap();
    // attempts 1..3 of c1: going on to the next attempt needs no answer (60%)
    let reached_c1 = 1.0 + 0.6 + 0.36;
    // voicemail goes on at any attempt; no answer at the third (bound used) falls through
    let reached_e1 = 0.3 + 0.6 * 0.3 + 0.36 * 0.9;
    close("c1", e.per_lead(e.layout.reached(0)).0, reached_c1, 1e-12);
    close("e1", e.per_lead(e.layout.reached(1)).0, reached_e1, 1e-12);
    close("reached", reason(&e, "reached"), 0.1 * reached_c1, 1e-12);
}

#[test]
fn refusals_name_the_construct() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sim/seven_emails.cadence");
    let (code, _, stderr) = cli(&["simulate", dir.to_str().unwrap(), "--exact"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("milestone met") && stderr.contains("exponential"),
        "{stderr}"
    );
    let arrivals = r#"
calendar cal { timezone "UTC" workdays mon..fri hours 09:00..17:00 }
cadence a {
  calendar cal
  exit unsubscribed on unsubscribe
  step m email "Mail" immediately
}
leads al { arrivals 10 per day respond email { replied 5% } }
"#;
    let r = run(&model_of(arrivals), 30.0).err().unwrap();
    assert!(
        r.0.contains("arrivals") && r.0.contains("calendar `cal`"),
        "{}",
        r.0
    );
    let facts = r#"
pipeline fp {
  facts {
    a: number
    b: number
  }
  stage s { exit to won when a > b }
  stage won { outcome won }
}
cadence f {
  pipeline fp stage s
  step t task "T" immediately
}
leads fl { fact a = normal(1, 1) fact b = choice(0 50%, 2 50%) }
"#;
    let r = run(&model_of(facts), 30.0).err().unwrap();
    assert!(
        r.0.contains("fact `a`") && r.0.contains("another fact"),
        "{}",
        r.0
    );
}

#[test]
fn cli_prints_the_exact_report() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("seven.cadence");
    std::fs::write(&f, SEVEN).unwrap();
    let (code, stdout, stderr) = cli(&["simulate", f.to_str().unwrap(), "--exact"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout);
    let (code, stdout, _) = cli(&[
        "simulate",
        f.to_str().unwrap(),
        "--exact",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let run = &v["runs"][0];
    assert_eq!(run["method"], "exact");
    let rate = run["conversion"]["rate"].as_f64().unwrap();
    assert!((rate - 0.061_506_0).abs() < 5e-8, "{rate}");
    let (code, _, stderr) = cli(&[
        "simulate",
        f.to_str().unwrap(),
        "--exact",
        "--precision",
        "0.01",
    ]);
    assert_eq!(code, 2, "{stderr}");
}

/// Regression (found by the oracle): a deal that a stage exit moves at enrolment has left the
/// cadence's stage. The engine counted it `active` (moved to a terminal stage) or touched it
/// once in the new stage before ending the cadence.
#[test]
fn a_deal_moved_at_enrolment_gets_no_touch() {
    let text = r#"
pipeline p {
  facts {
    tier: text
  }
  stage s {
    exit to lost when tier == "b"
    exit to mid when tier == "c"
  }
  stage mid { exit to lost when dwell > 100d }
  stage lost { outcome lost }
}
cadence c {
  pipeline p stage s
  step t1 task "T" immediately
  step t2 task "T2" after 1d
}
leads l { fact tier = choice("a" 50%, "b" 25%, "c" 25%) }
"#;
    let model = model_of(text);
    let e = run(&model, 30.0).unwrap();
    close("stage_changed", reason(&e, "stage_changed"), 0.5, 1e-12);
    close("touches", e.per_lead(e.layout.touches).0, 1.0, 1e-12);
    let p = simulate::compile(&model, 0, 0).unwrap();
    let cfg = simulate::Config {
        seed: 3,
        count: 20_000,
        start: START,
        horizon_minutes: 30.0 * 1440.0,
        precision: None,
        max_count: 20_000,
        arrival_window_minutes: 0.0,
    };
    let t = simulate::simulate(&p, &cfg, |_, _| {});
    // tier a: both touches, exhausted; b and c: moved at enrolment, no touch
    let a = t.reasons[simulate::program::EXHAUSTED];
    assert_eq!(t.reasons[simulate::program::ACTIVE], 0, "{:?}", t.reasons);
    assert_eq!(t.reasons[simulate::program::STAGE_CHANGED], 20_000 - a);
    assert_eq!(t.touches, 2 * a);
    assert_eq!(t.step_reached, vec![a, a]);
}

/// Regression (found by the property test): a click at the instant of the reply (`open_after`
/// equal to `reply_after`) comes first, as the docs say; the engine processed later outcomes
/// out of order after removing one (`swap_remove`), so the reply's exit sometimes came first.
#[test]
fn a_click_at_the_reply_instant_comes_before_the_reply() {
    let text = r#"
cadence tie {
  exit replied on reply
  exit unsubscribed on unsubscribe
  step m email "Mail" immediately
    on clicked -> exit clicked_first
}
leads tl {
  respond email { opened 100%, clicked 100%, replied 50% }
  reply_after 5h
  open_after 5h
}
"#;
    let model = model_of(text);
    let e = run(&model, 30.0).unwrap();
    close("clicked_first", reason(&e, "clicked_first"), 1.0, 1e-12);
    close("replied", reason(&e, "replied"), 0.0, 1e-15);
    let p = simulate::compile(&model, 0, 0).unwrap();
    let cfg = simulate::Config {
        seed: 5,
        count: 20_000,
        start: START,
        horizon_minutes: 30.0 * 1440.0,
        precision: None,
        max_count: 20_000,
        arrival_window_minutes: 0.0,
    };
    let t = simulate::simulate(&p, &cfg, |_, _| {});
    assert_eq!(t.reasons[p.reason_id("replied")], 0, "{:?}", t.reasons);
    assert_eq!(t.reasons[p.reason_id("clicked_first")], 20_000);
}
