//! The simulator follows the playbook's timing words: a weekday anchor touches on the next listed
//! working day at its clock time, a loop of anchored steps moves on batch day by batch day, a
//! cadence's dates refuse or defer enrolment and end it, a step outside its dates or under its
//! `skip when` is passed over and counted. Every expected instant is computed here from the
//! calendar's rules by scanning dates, not by the engine.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;

use cadence::simulate::{self, engine, Config, Tally};
use chrono::{Datelike, NaiveDate, TimeZone, Weekday};
use common::{cli, model_of};

const TZ: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

const CALENDAR: &str = r#"calendar cn {
  timezone "Asia/Shanghai"
  workdays mon..fri
  hours 09:00..12:00, 13:30..18:00
  holidays 2026-10-01..2026-10-07
  workday 2026-09-27, 2026-10-10
}
"#;

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The calendar's working days, by its own rules: make-up days work, holidays do not, else
/// Monday to Friday.
fn working(d: NaiveDate) -> bool {
    let makeup = [date("2026-09-27"), date("2026-10-10")];
    let holiday = d >= date("2026-10-01") && d <= date("2026-10-07");
    makeup.contains(&d) || (!holiday && d.weekday().num_days_from_monday() < 5)
}

/// Minutes since the epoch of a local date and clock in Shanghai.
fn local(d: NaiveDate, h: u32, m: u32) -> f64 {
    let t = TZ
        .from_local_datetime(&d.and_hms_opt(h, m, 0).unwrap())
        .single()
        .unwrap();
    t.timestamp() as f64 / 60.0
}

fn local_date(t: f64) -> NaiveDate {
    chrono::DateTime::from_timestamp((t * 60.0) as i64, 0)
        .unwrap()
        .with_timezone(&TZ)
        .date_naive()
}

/// The first local `days` working day at 10:00 later than `t` (10:00 is inside the hours, so
/// the send window keeps it).
fn next_batch(t: f64, days: &[Weekday]) -> f64 {
    let mut d = local_date(t);
    loop {
        let at = local(d, 10, 0);
        if days.contains(&d.weekday()) && working(d) && at > t {
            return at;
        }
        d = d.succ_opt().unwrap();
    }
}

/// One lead enrolled at `start`: how it ended, and the tally.
fn one_lead(text: &str, start: f64) -> (simulate::LeadResult, Tally) {
    let model = model_of(text);
    let p = simulate::compile(&model, 0, 0).expect("program");
    let cfg = Config {
        seed: 3,
        count: 1,
        start,
        horizon_minutes: 200.0 * 1440.0,
        precision: None,
        max_count: 1,
        arrival_window_minutes: 0.0,
    };
    let clocks = simulate::clocks_for(&p, &cfg);
    let ctx = simulate::ctx(&p, &clocks, &cfg);
    let mut t = Tally::new(&p, 1);
    let r = engine::run_lead(&ctx, 0, &mut t, &mut engine::Scratch::default());
    (r, t)
}

/// A deal won at the touch of `step`, on a cadence whose steps are `steps`.
fn won_at_touch(extra: &str, steps: &str) -> String {
    format!(
        r#"{CALENDAR}
pipeline p {{
  calendar cn
  facts {{
    mature: bool
  }}
  events met
  stage lead {{
    exit to won when met
    exit to won when touches >= 6
  }}
  stage won {{ outcome won }}
}}

cadence c {{
  pipeline p stage lead
{extra}{steps}}}

leads l {{
  fact mature = 30%
  respond call {{ connected 0% }}
  respond task {{ completed 100% }}
}}
"#
    )
}

/// Starts every 97 minutes over three weeks around National Day.
fn starts() -> impl Iterator<Item = f64> {
    let first = local(date("2026-09-20"), 0, 0);
    (0..320).map(move |k| first + 97.0 * f64::from(k))
}

#[test]
fn a_weekday_anchor_touches_on_the_next_batch_day() {
    // the touch is a completed task that sets `met`: the deal is won at the touch
    let text = won_at_touch(
        "",
        "  step cb task \"Batch callback\" on tue, fri at 10:00\n    on completed -> set met\n",
    );
    for start in starts() {
        let (r, _) = one_lead(&text, start);
        assert!(r.won);
        let want = next_batch(start, &[Weekday::Tue, Weekday::Fri]) - start;
        assert!(
            (r.cycle_minutes - want).abs() < 1e-6,
            "enrolled {start}: touch after {} min, expected {want}",
            r.cycle_minutes
        );
    }
}

#[test]
fn a_loop_of_anchored_steps_moves_on_batch_day_by_batch_day() {
    // 2 follow-ups a week: the sixth touch wins the deal (`touches >= 6`)
    let text = won_at_touch(
        "",
        "  step push call \"Q4 follow-up\" on tue, fri at 10:00\n    otherwise -> push at most 10 times\n",
    );
    for start in starts().step_by(7) {
        let (r, _) = one_lead(&text, start);
        assert!(r.won);
        let mut at = start;
        for _ in 0..6 {
            at = next_batch(at, &[Weekday::Tue, Weekday::Fri]);
        }
        assert!((r.cycle_minutes - (at - start)).abs() < 1e-6, "{start}");
    }
}

#[test]
fn a_cadence_outside_its_dates_refuses_or_defers_enrolment() {
    let steps = "  step hello task \"Hello\" immediately\n    on completed -> set met\n";
    let refuse = won_at_touch("  active 2026-10-09..2026-10-31\n", steps);
    let defer = won_at_touch("  active 2026-10-09..2026-10-31 defer\n", steps);
    let before = local(date("2026-09-28"), 15, 0);
    let inside = local(date("2026-10-12"), 10, 0);
    let after = local(date("2026-11-01"), 0, 0);
    assert!(!one_lead(&refuse, before).0.enrolled);
    assert!(!one_lead(&refuse, after).0.enrolled);
    assert!(!one_lead(&defer, after).0.enrolled);
    let (r, _) = one_lead(&refuse, inside);
    assert!(r.enrolled && r.won && r.cycle_minutes.abs() < 1e-6);
    // deferred: the first step is planned from the window's first local midnight, then the send
    // window opens it at 09:00
    let (r, _) = one_lead(&defer, before);
    assert!(r.enrolled && r.won);
    let want = local(date("2026-10-09"), 9, 0) - before;
    assert!((r.cycle_minutes - want).abs() < 1e-6, "{}", r.cycle_minutes);
}

#[test]
fn a_cadence_ends_when_its_dates_end() {
    let text = won_at_touch(
        "  active 2026-09-01..2026-10-20\n",
        "  step a task \"First\" immediately\n  step b task \"Too late\" after 30d\n    on completed -> set met\n",
    );
    let model = model_of(&text);
    let p = simulate::compile(&model, 0, 0).unwrap();
    let (r, t) = one_lead(&text, local(date("2026-10-12"), 10, 0));
    assert!(r.enrolled && !r.won);
    assert_eq!(t.touches, 1);
    assert_eq!(t.reasons[p.reason_id("window_closed")], 1);
}

#[test]
fn a_step_outside_its_dates_is_passed_over_at_its_due_time() {
    // Mon 2026-09-14 10:00: `a` then; `b` due Wed 10:00, outside its dates: passed over; `c` a
    // day after that, Thu 10:00, wins
    let text = won_at_touch(
        "",
        "  step a task \"A\" immediately\n  step b task \"B\" after 2d\n    during 2026-11-01..2026-11-30\n  step c task \"C\" after 1d\n    on completed -> set met\n",
    );
    let (r, t) = one_lead(&text, local(date("2026-09-14"), 10, 0));
    assert!(r.won);
    assert!((r.cycle_minutes - 3.0 * 1440.0).abs() < 1e-6);
    assert_eq!(t.step_skipped, vec![0, 1, 0]);
    assert_eq!(t.step_reached, vec![1, 0, 1]);
}

#[test]
fn an_elastic_step_is_skipped_for_mature_customers_and_counted() {
    let text = won_at_touch(
        "",
        "  step a task \"A\" immediately\n  step demo call \"Demo call\" after 1d\n    skip when mature\n  step c task \"C\" after 1d\n",
    );
    let model = model_of(&text);
    let p = simulate::compile(&model, 0, 0).unwrap();
    let n = 20_000;
    let cfg = Config {
        seed: 5,
        count: n,
        start: local(date("2026-09-14"), 10, 0),
        horizon_minutes: 30.0 * 1440.0,
        precision: None,
        max_count: n,
        arrival_window_minutes: 0.0,
    };
    let t = simulate::simulate(&p, &cfg, |_, _| {});
    let skipped = t.step_skipped[1] as f64;
    // mature for 30% of leads: a binomial count, within 4 standard errors
    let (mean, se) = (0.3 * n as f64, (n as f64 * 0.3 * 0.7).sqrt());
    assert!((skipped - mean).abs() < 4.0 * se, "{skipped}");
    // every lead reaches the demo step: touched or passed over
    assert_eq!(t.step_reached[1] + t.step_skipped[1], n);
    // a skip is no touch
    assert_eq!(t.touches, 3 * n - t.step_skipped[1]);
}

#[test]
fn the_report_counts_the_skips() {
    let (code, out, err) = cli(&[
        "simulate",
        "tests/sim/playbook.cadence",
        "--format",
        "json",
        "--count",
        "2000",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let steps = &v["runs"][0]["steps"];
    let demo = steps
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "demo")
        .unwrap();
    let skipped = demo["skipped"].as_u64().unwrap();
    assert!(skipped > 0 && skipped < 2000, "{demo}");
    assert_eq!(demo["reached"].as_u64().unwrap() + skipped, 2000);
    let (code, out, _) = cli(&["simulate", "tests/sim/playbook.cadence", "--count", "2000"]);
    assert_eq!(code, 0);
    assert!(out.contains("(exceptions)"), "{out}");
}

/// `outbound` runs out after one touch and hands the deal to `batches`, whose Tuesday/Friday
/// callback wins it.
fn hand_off(outbound_extra: &str, outbound_steps: &str, batches_enroll: &str) -> String {
    format!(
        r#"{CALENDAR}
pipeline p {{
  calendar cn
  facts {{
    tier: text
  }}
  events met
  stage lead {{ exit to won when met }}
  stage won {{ outcome won }}
}}

cadence outbound {{
  pipeline p stage lead
  hand_off to batches
{outbound_extra}{outbound_steps}}}

cadence batches {{
  pipeline p stage lead
{batches_enroll}  step cb task "Batch callback" on tue, fri at 10:00
    on completed -> set met
}}

leads l {{
  fact tier = "B"
  respond task {{ completed 100% }}
}}
"#
    )
}

#[test]
fn a_cadence_that_runs_out_hands_the_deal_off() {
    let text = hand_off("", "  step hello task \"Hello\" immediately\n", "");
    // working-day starts at 10:30: the first touch is at the start, and the cadence runs out
    for k in 0..40 {
        let d = date("2026-09-21") + chrono::Duration::days(k);
        if !working(d) {
            continue;
        }
        let start = local(d, 10, 30);
        let (r, t) = one_lead(&text, start);
        assert!(r.won, "{d}");
        let want = next_batch(start, &[Weekday::Tue, Weekday::Fri]) - start;
        assert!(
            (r.cycle_minutes - want).abs() < 1e-6,
            "{d}: {}",
            r.cycle_minutes
        );
        assert_eq!(t.cadence_enrolled, vec![1, 1]);
    }
    // a target whose `enroll when` fails does not take the deal
    let refused = hand_off(
        "",
        "  step hello task \"Hello\" immediately\n",
        "  enroll when tier == \"A\"\n",
    );
    let (r, t) = one_lead(&refused, local(date("2026-09-22"), 10, 30));
    assert!(!r.won);
    assert_eq!(t.cadence_enrolled, vec![1, 0]);
    // an exit is not running out: no hand-off
    let exited = hand_off(
        "",
        "  step hello task \"Hello\" immediately\n    otherwise -> exit done\n    on completed -> exit done\n",
        "",
    );
    let (_, t) = one_lead(&exited, local(date("2026-09-22"), 10, 30));
    assert_eq!(t.cadence_enrolled, vec![1, 0]);
}

#[test]
fn a_cadence_whose_dates_end_hands_the_deal_off_then() {
    let text = hand_off(
        "  active 2026-09-01..2026-10-20\n",
        "  step a task \"First\" immediately\n  step b task \"Too late\" after 30d\n",
        "",
    );
    let start = local(date("2026-10-12"), 10, 0);
    let (r, t) = one_lead(&text, start);
    assert!(r.won);
    // the dates end at 2026-10-21 00:00; the next batch day is Fri 10-23
    let want = next_batch(
        local(date("2026-10-21"), 0, 0),
        &[Weekday::Tue, Weekday::Fri],
    );
    assert!((r.cycle_minutes - (want - start)).abs() < 1e-6);
    assert_eq!(t.touches, 2);
}

#[test]
fn in_a_pipeline_run_the_cadence_handed_to_waits_for_the_hand_off() {
    // both cadences work `lead`: `batches` is `outbound`'s hand-off target, so it does not enroll
    // the deal on entry but when `outbound` runs out (Thu 10:30), and calls on the next batch day
    let text = hand_off("", "  step hello task \"Hello\" after 3d\n", "");
    let model = model_of(&text);
    let target = cadence::model::SimTarget::Pipeline {
        pipeline: 0,
        stage: None,
        cadences: vec![0, 1],
    };
    let p = simulate::program::compile_target(&model, &target, 0).unwrap();
    let start = local(date("2026-09-14"), 10, 30); // Monday
    let cfg = Config {
        seed: 1,
        count: 1,
        start,
        horizon_minutes: 60.0 * 1440.0,
        precision: None,
        max_count: 1,
        arrival_window_minutes: 0.0,
    };
    let clocks = simulate::clocks_for(&p, &cfg);
    let ctx = simulate::ctx(&p, &clocks, &cfg);
    let mut t = Tally::new(&p, 1);
    let r = engine::run_lead(&ctx, 0, &mut t, &mut engine::Scratch::default());
    assert!(r.won);
    let ran_out = local(date("2026-09-17"), 10, 30);
    let want = next_batch(ran_out, &[Weekday::Tue, Weekday::Fri]) - start;
    assert!((r.cycle_minutes - want).abs() < 1e-6, "{}", r.cycle_minutes);
    assert_eq!(t.cadence_enrolled, vec![1, 1]);
}

#[test]
fn the_exact_oracle_refuses_the_playbook_words_it_does_not_follow() {
    let (code, _, err) = cli(&["simulate", "tests/sim/playbook.cadence", "--exact"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("`skip when` on step `demo`") && err.contains("--exact does not follow"),
        "{err}"
    );
}
