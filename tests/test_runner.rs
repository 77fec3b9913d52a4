//! `cadence test`: the shipped library's tests pass; passing and failing runs in every format;
//! a broken expectation fails at its span with the trace; coverage; and an oracle: on generated
//! cadences the runner's touch times equal the calendar's own scheduling, step by step.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;

use cadence::calendar::{Calendar, Delay, Timing};
use cadence::testing::{self, trace::What};
use chrono::{TimeZone, Utc};
use common::{cli, model_of};

/// The library (one project) and each teaching example (each file its own project).
#[test]
fn the_shipped_library_tests_pass() {
    let (code, out, err) = cli(&["test", "cadences"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(" passed, 0 failed"), "{out}");
    let mut ran = 0;
    for f in std::fs::read_dir("examples").unwrap() {
        let p = f.unwrap().path();
        let (code, out, err) = cli(&["test", p.to_str().unwrap()]);
        assert_eq!(code, 0, "{}: {out}{err}", p.display());
        ran += out.lines().filter(|l| l.starts_with("ok ")).count();
    }
    assert!(ran >= 4, "the examples have at least four tests, ran {ran}");
}

#[test]
fn a_passing_run_in_each_format() {
    for format in ["human", "json", "junit"] {
        let (code, out, err) = cli(&["test", "examples/16_tests.cadence", "--format", format]);
        assert_eq!(code, 0, "{err}");
        insta::assert_snapshot!(format!("passing_{format}"), out);
    }
}

#[test]
fn a_failing_run_in_each_format() {
    for format in ["human", "json", "junit", "github"] {
        let (code, out, err) = cli(&[
            "test",
            "tests/testrun/failing.cadence",
            "--format",
            format,
            "--color",
            "never",
        ]);
        assert_eq!(code, 1, "{err}");
        insta::assert_snapshot!(format!("failing_{format}"), out);
    }
}

/// SARIF carries the same failures as the GitHub annotations: one result per failed
/// expectation, at the expectation's own line and columns.
#[test]
fn a_failing_run_as_sarif_has_the_annotations_results() {
    let args = ["test", "tests/testrun/failing.cadence", "--format"];
    let (code, sarif, err) = cli(&[&args[..], &["sarif"]].concat());
    assert_eq!(code, 1, "{err}");
    let (_, github, _) = cli(&[&args[..], &["github"]].concat());
    let log: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let from_sarif: Vec<(String, String)> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let at = &r["locations"][0]["physicalLocation"];
            let reg = &at["region"];
            let text = r["message"]["text"].as_str().unwrap();
            // the trace of the lead travels with the failure, as in the human output
            assert!(text.contains("\nnote: "), "{text}");
            let headline = text.lines().next().unwrap();
            (
                format!(
                    "::error file={},line={},col={},endLine={},endColumn={},title={}::",
                    at["artifactLocation"]["uri"].as_str().unwrap(),
                    reg["startLine"],
                    reg["startColumn"],
                    reg["endLine"],
                    reg["endColumn"],
                    r["ruleId"].as_str().unwrap(),
                ),
                headline.to_string(),
            )
        })
        .collect();
    let from_github: Vec<&str> = github.lines().collect();
    assert_eq!(from_sarif.len(), 3, "{sarif}");
    assert_eq!(from_sarif.len(), from_github.len());
    for ((place, headline), line) in from_sarif.iter().zip(&from_github) {
        let message = line
            .strip_prefix(place.as_str())
            .unwrap_or_else(|| panic!("{place} vs {line}"));
        assert!(headline.starts_with(message), "{headline} vs {message}");
    }
}

#[test]
fn filter_and_usage() {
    let (code, out, _) = cli(&[
        "test",
        "tests/testrun/failing.cadence",
        "--filter",
        "a reply",
    ]);
    assert_eq!(code, 0, "only the passing test runs: {out}");
    assert!(out.contains("1 test: 1 passed, 0 failed"), "{out}");
    let (code, _, _) = cli(&["test", "no/such/dir"]);
    assert_eq!(code, 2);
    let (code, _, _) = cli(&["test", "examples", "--format", "sarif-not"]);
    assert_eq!(code, 2);
}

/// The broken expectation is a diagnostic at its own text, with what happened instead and the
/// lead's trace.
#[test]
fn a_broken_expectation_fails_with_the_trace_and_the_span() {
    let text = std::fs::read_to_string("tests/testrun/failing.cadence").unwrap();
    let model = model_of(&text);
    let i = model
        .tests
        .iter()
        .position(|t| t.name.contains("wrong time"))
        .unwrap();
    let r = testing::run_test(&model, i).unwrap();
    let spans: Vec<&str> = r
        .failures
        .iter()
        .map(|d| &text[d.span.start as usize..d.span.end as usize])
        .collect();
    // `expect stage qualified` holds; the time and the touch count do not
    assert_eq!(
        spans,
        [
            "expect exit connected at 2026-03-02 12:00",
            "expect touches 3"
        ]
    );
    let d = &r.failures[0];
    assert_eq!(d.code.code, "E0805");
    assert!(
        d.message
            .contains("inbound ended `connected` at 2026-03-02 11:00"),
        "{}",
        d.message
    );
    let trace = &d.notes[0];
    for line in [
        "2026-03-02 09:00  touch welcome (email)",
        "2026-03-02 11:00  touch call_1 (call)",
        "2026-03-02 11:00  call_1: connected",
        "2026-03-02 11:00  rule 1 of call_1 (on connected) decides: set discovery_done, exit connected",
        "2026-03-02 11:00  stage lead -> qualified (exit to qualified when discovery_done and amount >= 50000 CNY)",
    ] {
        assert!(trace.contains(line), "missing `{line}` in\n{trace}");
    }
    // the `when` before its call never applied
    let j = model
        .tests
        .iter()
        .position(|t| t.name.contains("before the call"))
        .unwrap();
    let r = testing::run_test(&model, j).unwrap();
    let spans: Vec<&str> = r
        .failures
        .iter()
        .map(|d| &text[d.span.start as usize..d.span.end as usize])
        .collect();
    assert_eq!(spans, ["when call_1.connected at 2026-03-02 10:00"]);
}

/// A pipeline test follows the deal through stages: a fact change and an event open the gate,
/// the next stage's cadence enrolls the deal, its step is scripted by `CADENCE.STEP.OUTCOME`.
#[test]
fn a_pipeline_test_follows_the_deal_through_stages() {
    let text = r#"
pipeline p {
  facts { amount: money }
  events qualified_ev, signed
  roles owner, manager
  stage lead {
    exit to deal when qualified_ev and amount >= 10k USD
    escalate manager when dwell > 2d
  }
  stage deal {
    exit to won when signed
  }
  stage won { outcome won }
}
cadence a {
  pipeline p stage lead
  exit replied on reply -> set qualified_ev
  exit unsubscribed on unsubscribe
  exit bounced on bounce
  step hello email "Hi" immediately
  step again email "Again" after 5d
}
cadence b {
  pipeline p stage deal
  exit replied on reply
  exit unsubscribed on unsubscribe
  exit bounced on bounce
  step next email "Next steps" after 1h
    on clicked -> set signed
}
test "through the pipeline" {
  pipeline p
  lead { amount = 1k USD }
  enroll at 2026-03-02 09:00
  when a.hello.replied at +1d
  when amount = 20k USD at +3d
  when next.clicked at +4d
  expect exit replied at 2026-03-03 09:00
  expect escalation manager at 2026-03-04 09:00
  expect stage lead at 2026-03-05 08:59
  expect stage deal at 2026-03-05 09:00
  expect path hello at 2026-03-04 09:00
  expect path hello, next
  expect touches 2
  expect stage won at 2026-03-06 09:00
}
"#;
    let model = model_of(text);
    let r = testing::run_test(&model, 0).unwrap();
    let msgs: Vec<&str> = r.failures.iter().map(|d| d.message.as_str()).collect();
    assert!(msgs.is_empty(), "{msgs:?}");
    // b enrolled the deal when it entered `deal`, and touched an hour later
    let run = r.run.unwrap();
    let names = testing::trace::Names {
        p: &run.program,
        tz: chrono_tz::UTC,
    };
    let trace = names.render(&run.trace);
    for line in [
        "2026-03-05 09:00  cadence b starts",
        "2026-03-05 10:00  touch b.next (email)",
        "2026-03-06 09:00  b.next: clicked",
        "2026-03-06 09:00  won in stage won",
    ] {
        assert!(trace.contains(line), "missing `{line}` in\n{trace}");
    }
}

#[test]
fn coverage_lists_what_no_test_exercises() {
    let (code, out, _) = cli(&["test", "examples/16_tests.cadence", "--coverage"]);
    assert_eq!(code, 0);
    // nothing scripts a bounce or an unsubscribe
    for missing in [
        "exit `bounced` of cadence `inbound`",
        "exit `unsubscribed` of cadence `inbound`",
    ] {
        assert!(out.contains(missing), "missing `{missing}` in\n{out}");
    }
    // the steps, the rule and the exits the tests take are exercised
    for covered in [
        "step `welcome`",
        "rule `on connected`",
        "exit `replied`",
        "escalation",
    ] {
        assert!(!out.contains(covered), "`{covered}` is exercised:\n{out}");
    }
    let (_, json, _) = cli(&[
        "test",
        "examples/16_tests.cadence",
        "--coverage",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let c = &v["coverage"][0];
    assert_eq!(
        c["total"].as_u64().unwrap() - c["covered"].as_u64().unwrap(),
        2
    );
}

// ───── oracle: touch times against the calendar's own scheduling ─────

struct Gen(u64);
impl Gen {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// A linear cadence of generated steps, with the timing of each step as the calendar sees it.
fn generated(seed: u64) -> (String, Vec<Timing>, chrono::DateTime<Utc>, Option<usize>) {
    let mut g = Gen(seed);
    let n = 2 + g.next(5) as usize;
    let mut steps = String::new();
    let mut timings = Vec::new();
    for i in 0..n {
        let (text, timing) = match g.next(5) {
            0 => ("immediately".to_string(), Timing::after(Delay::Zero)),
            1 => {
                let h = 1 + g.next(6);
                (
                    format!("after {h} business hours"),
                    Timing::after(Delay::BusinessMinutes(h * 60)),
                )
            }
            2 => {
                let d = 1 + g.next(4) as u32;
                (
                    format!("after {d} business days"),
                    Timing::after(Delay::BusinessDays(d)),
                )
            }
            3 => {
                let d = 1 + g.next(3);
                let m = 9 * 60 + 30 * g.next(16) as u32;
                (
                    format!("after {d}d at {:02}:{:02}", m / 60, m % 60),
                    Timing::at(Delay::Wall { minutes: d * 1440 }, m),
                )
            }
            _ => {
                let h = 1 + g.next(30);
                (
                    format!("after {h}h"),
                    Timing::after(Delay::Wall { minutes: h * 60 }),
                )
            }
        };
        steps.push_str(&format!("  step s{i} email \"Step {i}\" {text}\n"));
        timings.push(timing);
    }
    // enrol on some March day, at some minute of the day
    let day = 1 + g.next(28) as u32;
    let minute = g.next(24 * 60) as u32;
    let enroll = Utc
        .with_ymd_and_hms(2026, 3, day, minute / 60, minute % 60, 0)
        .unwrap();
    let reply_at = (g.next(2) == 0).then(|| g.next(n as u64) as usize);
    let text = format!(
        r#"
calendar office {{
  timezone "UTC"
  workdays mon..fri
  hours 09:00..12:00, 13:30..18:00
}}
cadence c {{
  calendar office
  exit replied on reply
  exit unsubscribed on unsubscribe
  exit bounced on bounce
{steps}}}
"#
    );
    (text, timings, enroll, reply_at)
}

#[test]
fn touch_times_equal_the_calendars_scheduling() {
    let cal = Calendar::mon_fri(chrono_tz::UTC, vec![(540, 720), (810, 1080)]);
    for seed in 0..60 {
        let (text, timings, enroll, reply_step) = generated(seed);
        // the independent answer: each touch scheduled from the one before
        let mut expected = Vec::new();
        let mut t = enroll;
        for timing in &timings {
            t = cal.schedule(t, *timing).unwrap();
            expected.push(t);
        }
        // a reply 10 minutes after one touch ends the cadence: the touches up to then are made
        let reply = reply_step.map(|k| expected[k] + chrono::Duration::minutes(10));
        let made: Vec<usize> = (0..expected.len())
            .filter(|i| reply.is_none_or(|r| expected[*i] <= r))
            .collect();
        let fmt = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%d %H:%M").to_string();
        let path: Vec<String> = made.iter().map(|i| format!("s{i}")).collect();
        let mut test = format!(
            "test \"generated {seed}\" {{\n  cadence c\n  enroll at {}\n",
            fmt(enroll)
        );
        match (reply_step, reply) {
            (Some(k), Some(r)) => {
                test.push_str(&format!("  when s{k}.replied at {}\n", fmt(r)));
                test.push_str(&format!("  expect exit replied at {}\n", fmt(r)));
            }
            _ => test.push_str("  expect exit exhausted\n"),
        }
        test.push_str(&format!("  expect touches {}\n", made.len()));
        test.push_str(&format!("  expect path {}\n", path.join(", ")));
        if let Some(last) = made.last() {
            test.push_str(&format!(
                "  expect path {} at {}\n",
                path.join(", "),
                fmt(expected[*last])
            ));
        }
        test.push_str("}\n");
        let full = format!("{text}{test}");
        let model = model_of(&full);
        let r = testing::run_test(&model, 0).unwrap();
        let failures: Vec<&str> = r.failures.iter().map(|d| d.message.as_str()).collect();
        assert!(failures.is_empty(), "seed {seed}: {failures:?}\n{full}");
        // and the trace's touch instants are the calendar's, minute for minute
        let run = r.run.unwrap();
        let touched: Vec<f64> = run
            .trace
            .entries
            .iter()
            .filter(|(_, w)| matches!(w, What::Touched(_)))
            .map(|(t, _)| *t)
            .collect();
        let want: Vec<f64> = made
            .iter()
            .map(|i| expected[*i].timestamp() as f64 / 60.0)
            .collect();
        assert_eq!(touched, want, "seed {seed}\n{full}");
    }
}

/// Several `when` lines of one step and outcome go to the latest touch of the step at or before
/// each of them: two opens of one send, or of the second send of a step that repeats.
#[test]
fn repeated_when_lines_go_to_the_latest_touch_at_or_before_them() {
    let cadence = r#"
cadence c {
  exit replied on reply
  exit unsubscribed on unsubscribe
  exit bounced on bounce
  step nudge email "Nudge" after 2d
    on opened 2 times within 1d -> call_reader
    otherwise -> nudge at most 1 times
  step last email "Last note" after 3d
  track hot {
    step call_reader call "Call the reader" after 1h
  }
}
"#;
    // sends: Wed 03-04 09:00, and (if its otherwise applies) Fri 03-06 09:00; the rule's call
    // comes an hour after the second open
    let cases = [
        // both opens after the first send, before the second: the first send's rule applies
        (
            ["2026-03-04 10:00", "2026-03-04 11:00"],
            "nudge, call_reader",
            "2026-03-04 12:00",
        ),
        // both after the second send: its rule applies (given to the first send, 2 days late,
        // they would fall outside `within 1d` and the deal would end with two nudges)
        (
            ["2026-03-06 10:00", "2026-03-06 11:00"],
            "nudge, nudge, call_reader",
            "2026-03-06 12:00",
        ),
    ];
    for (opens, path, done_at) in cases {
        let text = format!(
            "{cadence}test \"t\" {{\n  cadence c\n  enroll at 2026-03-02 09:00\n  \
             when nudge.opened at {}\n  when nudge.opened at {}\n  \
             expect path {path} at {done_at}\n  expect touches {} at {done_at}\n}}\n",
            opens[0],
            opens[1],
            path.split(", ").count(),
        );
        let model = model_of(&text);
        let r = testing::run_test(&model, 0).unwrap();
        let msgs: Vec<&str> = r.failures.iter().map(|d| d.message.as_str()).collect();
        assert!(msgs.is_empty(), "{opens:?}: {msgs:?}");
    }
}
