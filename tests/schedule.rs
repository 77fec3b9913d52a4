//! `cadence schedule`: touch times against a brute-force minute-by-minute calendar scan written
//! here (not the calendar engine), the checker's worst cases reproduced from the command its
//! messages name, the iCalendar output's rules, and bad requests as usage errors.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use common::cli;
use serde_json::Value;

const EXAMPLE: &str = "examples/11_business_time.cadence";
const BAD_TIMING: &str = "tests/cases/bad/timing.cadence";

/// The oracle's calendar: the facts of a `calendar` block, written out again here.
struct Cal {
    tz: Tz,
    hours: Vec<(u32, u32)>,
    holidays: Vec<(NaiveDate, NaiveDate)>,
    makeup: Vec<NaiveDate>,
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// `cn_office` of examples/11_business_time.cadence.
fn cn_office() -> Cal {
    Cal {
        tz: chrono_tz::Asia::Shanghai,
        hours: vec![(9 * 60, 12 * 60), (13 * 60 + 30, 18 * 60)],
        holidays: vec![
            (date("2026-09-25"), date("2026-09-27")),
            (date("2026-10-01"), date("2026-10-07")),
        ],
        makeup: vec![date("2026-09-20"), date("2026-10-10")],
    }
}

impl Cal {
    fn working(&self, d: NaiveDate) -> bool {
        if self.makeup.contains(&d) {
            return true;
        }
        if self.holidays.iter().any(|(a, b)| *a <= d && d <= *b) {
            return false;
        }
        d.weekday().num_days_from_monday() < 5
    }

    /// Open during the minute starting at `t`.
    fn open(&self, t: DateTime<Utc>) -> bool {
        let l = t.with_timezone(&self.tz);
        let m = l.hour() * 60 + l.minute();
        self.working(l.date_naive()) && self.hours.iter().any(|(a, b)| *a <= m && m < *b)
    }

    fn next_open(&self, mut t: DateTime<Utc>) -> DateTime<Utc> {
        for _ in 0..60 * 24 * 60 {
            if self.open(t) {
                return t;
            }
            t += Duration::minutes(1);
        }
        panic!("no opening within 60 days of {t}");
    }

    /// `n` working days after `t`'s local date at the same local clock, then the next opening.
    fn business_days(&self, t: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        let l = t.with_timezone(&self.tz);
        let mut d = l.date_naive();
        let mut left = n;
        while left > 0 {
            d = d.succ_opt().unwrap();
            if self.working(d) {
                left -= 1;
            }
        }
        let at = self
            .tz
            .from_local_datetime(&d.and_time(l.time()))
            .earliest()
            .unwrap();
        self.next_open(at.with_timezone(&Utc))
    }

    /// Counting open minutes one by one, then the next opening.
    fn business_minutes(&self, mut t: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        let mut left = n;
        while left > 0 {
            if self.open(t) {
                left -= 1;
            }
            t += Duration::minutes(1);
        }
        self.next_open(t)
    }
}

/// The steps of cadence `inbound` of the example, as the oracle runs them.
fn inbound_touches(cal: &Cal, enroll: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let welcome = cal.next_open(enroll); // immediately
    let call_1 = cal.business_minutes(welcome, 120); // after 2 business hours
    let case = cal.business_days(call_1, 3);
    let call_2 = cal.business_days(case, 4);
    let last = cal.next_open(call_2 + Duration::days(5)); // after 5d
    vec![welcome, call_1, case, call_2, last]
}

fn json(args: &[&str]) -> Value {
    let (code, out, err) = cli(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap()
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn local(cal: &Cal, t: DateTime<Utc>) -> String {
    t.with_timezone(&cal.tz)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

#[test]
fn touch_times_equal_a_minute_by_minute_scan_over_national_day() {
    let cal = cn_office();
    // every 5 hours 17 minutes from mid-September to mid-October: every hour of the day and
    // every kind of day (holidays, make-up days, weekends) comes up
    let first = cal
        .tz
        .from_local_datetime(
            &NaiveDateTime::parse_from_str("2026-09-15 00:00", "%Y-%m-%d %H:%M").unwrap(),
        )
        .unwrap()
        .with_timezone(&Utc);
    let doc = json(&[
        "schedule",
        "inbound",
        EXAMPLE,
        "--enroll-range",
        "2026-09-15 00:00..2026-10-15 00:00",
        "--every",
        "317min",
        "--format",
        "json",
    ]);
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), (30 * 1440) / 317 + 1);
    for (k, run) in runs.iter().enumerate() {
        let enroll = first + Duration::minutes(317 * k as i64);
        assert_eq!(utc(run["enrolled"].as_str().unwrap()), enroll);
        let want = inbound_touches(&cal, enroll);
        let got: Vec<DateTime<Utc>> = run["touches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| utc(t["at_utc"].as_str().unwrap()))
            .collect();
        assert_eq!(got, want, "enrolled {}", local(&cal, enroll));
        // the gaps are the wall-clock minutes between touches, the first from enrolment
        let mut prev = enroll;
        for (t, at) in run["touches"].as_array().unwrap().iter().zip(&want) {
            assert_eq!(t["gap_minutes"], (*at - prev).num_minutes());
            assert_eq!(t["over_max_gap"], (*at - prev).num_minutes() > 15 * 1440);
            prev = *at;
        }
    }
}

#[test]
fn the_lead_arriving_at_1759_before_national_day() {
    let cal = cn_office();
    let (code, out, err) = cli(&[
        "schedule",
        "inbound",
        EXAMPLE,
        "--enroll",
        "2026-09-30 17:59",
    ]);
    assert_eq!(code, 0, "{err}");
    let enroll = utc("2026-09-30T17:59:00+08:00");
    let want = inbound_touches(&cal, enroll);
    // the second touch waits out the whole holiday week: one business minute on 09-30, the
    // other 119 on the first working day after it
    assert_eq!(local(&cal, want[1]), "2026-10-08 10:59");
    for t in &want {
        assert!(out.contains(&local(&cal, *t)), "{}\n{out}", local(&cal, *t));
    }
    insta::assert_snapshot!(out);
}

#[test]
fn the_example_comment_14_days_across_national_day() {
    // examples/11 says: a touch on Thu 09-24 10:00, `after 4 business days` → 10-08 10:00
    let cal = cn_office();
    let from = utc("2026-09-24T10:00:00+08:00");
    let doc = json(&[
        "schedule",
        "inbound",
        EXAMPLE,
        "--from",
        "case",
        "--path",
        "call_2",
        "--enroll",
        "2026-09-24 10:00",
        "--format",
        "json",
    ]);
    let t = &doc["runs"][0]["touches"];
    assert_eq!(t[0]["step"], "case");
    assert_eq!(t[1]["step"], "call_2");
    let want = cal.business_days(from, 4);
    assert_eq!(utc(t[1]["at_utc"].as_str().unwrap()), want);
    assert_eq!(local(&cal, want), "2026-10-08 10:00");
    assert_eq!(t[1]["gap_minutes"], 14 * 1440);
    let kinds: Vec<&str> = t[1]["waits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["timing", "holiday"], "{t}");
    // the holidays between the two touches: 中秋 (09-25..27) and the National Day week
    let listed: Vec<String> = t[1]["waits"][1]["dates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect();
    let want: Vec<String> = date("2026-09-25")
        .iter_days()
        .take_while(|d| *d < date("2026-10-08"))
        .filter(|d| cal.holidays.iter().any(|(a, b)| a <= d && d <= b))
        .map(|d| d.to_string())
        .collect();
    assert_eq!(listed, want);
    assert_eq!(listed.len(), 10);
}

/// The `cadence schedule ...` command a diagnostic's note names, as arguments.
fn note_command(d: &Value) -> Vec<String> {
    let note = d["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .find(|n| n.starts_with("see the touches: `"))
        .unwrap_or_else(|| panic!("no schedule command in {d}"));
    let cmd = note
        .trim_start_matches("see the touches: `")
        .trim_end_matches('`');
    // `--enroll "DATE TIME"` is the one quoted argument
    let (head, quoted) = cmd.split_once(" \"").unwrap();
    let mut args: Vec<String> = head.split(' ').map(String::from).collect();
    args.push(quoted.trim_end_matches('"').to_string());
    assert_eq!(args.remove(0), "cadence");
    args
}

/// The two local times of a `worst case: ... on A (Ddd), ... on B (Ddd)` label.
fn label_times(label: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = label;
    while let Some(i) = rest.find("2026-") {
        out.push(rest[i..i + 16].to_string());
        rest = &rest[i + 16..];
    }
    out
}

#[test]
fn schedule_reproduces_the_checkers_worst_cases_for_national_day() {
    let (code, out, _) = cli(&["check", BAD_TIMING, "--format", "json"]);
    assert_eq!(code, 1);
    let doc: Value = serde_json::from_str(&out).unwrap();
    let diags = doc["diagnostics"].as_array().unwrap();
    let find = |code: &str| {
        diags
            .iter()
            .find(|d| d["code"] == code)
            .unwrap_or_else(|| panic!("no {code} in {out}"))
    };
    // E0412: the touch of `first` on 09-18 and of `second` 20 days later, over max_gap 15d
    let gap = find("E0412");
    let times = label_times(gap["label"].as_str().unwrap());
    assert_eq!(times, ["2026-09-18 09:00", "2026-10-08 09:00"]);
    let mut args = note_command(gap);
    args.extend(["--format".into(), "json".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut with_path = args.clone();
    with_path.insert(2, BAD_TIMING);
    let sched = json(&with_path);
    let t = &sched["runs"][0]["touches"];
    assert_eq!(t[0]["step"], "first");
    assert_eq!(t[0]["at"], "2026-09-18T09:00:00+08:00");
    assert_eq!(t[1]["step"], "second");
    assert_eq!(t[1]["at"], "2026-10-08T09:00:00+08:00");
    assert_eq!(t[1]["gap_minutes"], 20 * 1440);
    assert_eq!(t[1]["over_max_gap"], true);
    // the oracle agrees (the bad case's calendar: 10-01..07 off, 09-27 and 10-10 worked)
    let cal = Cal {
        holidays: vec![(date("2026-10-01"), date("2026-10-07"))],
        makeup: vec![date("2026-09-27"), date("2026-10-10")],
        ..cn_office()
    };
    let from = utc("2026-09-18T09:00:00+08:00");
    assert_eq!(local(&cal, cal.business_days(from, 10)), "2026-10-08 09:00");

    // E0413: entering at the worst moment, the first touch comes when the label says
    let sla = find("E0413");
    let times = label_times(sla["label"].as_str().unwrap());
    let mut args = note_command(sla);
    args.insert(2, BAD_TIMING.into());
    args.extend(["--format".into(), "json".into()]);
    let sched = json(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let first = &sched["runs"][0]["touches"][0];
    assert_eq!(
        sched["runs"][0]["enrolled"].as_str().unwrap()[..16].replace('T', " "),
        times[0]
    );
    assert_eq!(
        first["at"].as_str().unwrap()[..16].replace('T', " "),
        times[1]
    );
}

#[test]
fn an_enrolment_range_names_where_the_worst_gap_comes_from() {
    let (code, out, err) = cli(&[
        "schedule",
        "slow",
        BAD_TIMING,
        "--enroll-range",
        "2026-09-14 09:00..2026-09-18 09:00",
        "--every",
        "1d",
    ]);
    assert_eq!(code, 0, "{err}");
    let cal = Cal {
        holidays: vec![(date("2026-10-01"), date("2026-10-07"))],
        makeup: vec![date("2026-09-27"), date("2026-10-10")],
        ..cn_office()
    };
    // the oracle's worst gap over the five enrolments, and which one has it
    let mut worst = (0, String::new());
    for k in 0..5 {
        let e = utc("2026-09-14T09:00:00+08:00") + Duration::days(k);
        let first = cal.business_days(e, 1);
        let second = cal.business_days(first, 10);
        let g = (second - first).num_minutes();
        if g > worst.0 {
            worst = (g, local(&cal, e));
        }
    }
    assert_eq!(worst.0, 20 * 1440);
    let line = out.lines().find(|l| l.starts_with("worst gap:")).unwrap();
    assert!(
        line.contains("20d from `first` to `second`") && line.contains(&worst.1),
        "{line}\n{out}"
    );
    insta::assert_snapshot!(out);
}

#[test]
fn dst_is_named_and_the_local_clock_kept() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("berlin.cadence");
    std::fs::write(
        &file,
        r#"calendar berlin {
  timezone "Europe/Berlin"
  workdays mon..fri
  hours 09:00..17:00
}

cadence outbound {
  calendar berlin
  exit replied on reply
  exit unsubscribed on unsubscribe
  exit bounced on bounce
  step hello email "Hello" immediately
  step again email "Again" after 1 business day
}
"#,
    )
    .unwrap();
    let doc = json(&[
        "schedule",
        "outbound",
        file.to_str().unwrap(),
        "--enroll",
        "2026-03-27 10:00",
        "--format",
        "json",
    ]);
    let t = &doc["runs"][0]["touches"];
    assert_eq!(t[0]["at"], "2026-03-27T10:00:00+01:00");
    assert_eq!(t[1]["at"], "2026-03-30T10:00:00+02:00");
    // the wall-clock gap is three days less the hour the clocks skip
    assert_eq!(t[1]["gap_minutes"], 3 * 1440 - 60);
    let dst = t[1]["waits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["kind"] == "dst")
        .unwrap_or_else(|| panic!("{t}"));
    assert!(
        dst["text"].as_str().unwrap().contains("2026-03-29"),
        "{dst}"
    );
    // a local time the clocks skip is no enrolment time
    let (code, _, err) = cli(&[
        "schedule",
        "outbound",
        file.to_str().unwrap(),
        "--enroll",
        "2026-03-29 02:30",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("does not exist in Europe/Berlin"), "{err}");
}

#[test]
fn outcomes_follow_a_rule_and_an_exit() {
    // `call_1` connected sets discovery_done; replied at `welcome` ends the cadence
    let doc = json(&[
        "schedule",
        "inbound",
        EXAMPLE,
        "--enroll",
        "2026-09-30 17:59",
        "--outcomes",
        "welcome=replied",
        "--format",
        "json",
    ]);
    assert_eq!(doc["runs"][0]["touches"].as_array().unwrap().len(), 1);
    assert_eq!(
        doc["runs"][0]["end"],
        "`replied` at `welcome`: cadence exit `replied`"
    );
}

#[test]
fn ics_is_an_importable_calendar() {
    let args = [
        "schedule",
        "inbound",
        EXAMPLE,
        "--enroll",
        "2026-09-30 17:59",
        "--enroll",
        "2026-09-24 10:00",
    ];
    let (code, ics, err) = cli(&[&args[..], &["--format", "ics"]].concat());
    assert_eq!(code, 0, "{err}");
    let doc = json(&[&args[..], &["--format", "json"]].concat());
    // RFC 5545: CRLF line ends, content lines at most 75 octets, folded with a leading space
    assert!(ics.ends_with("END:VCALENDAR\r\n"));
    for line in ics.split("\r\n") {
        assert!(line.len() <= 75, "{line}");
        assert!(!line.contains('\n'), "bare LF in {line:?}");
    }
    let unfolded = ics.replace("\r\n ", "");
    let starts: Vec<String> = unfolded
        .split("\r\n")
        .filter_map(|l| l.strip_prefix("DTSTART:"))
        .map(String::from)
        .collect();
    let want: Vec<String> = doc["runs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["touches"].as_array().unwrap().clone())
        .map(|t| {
            utc(t["at_utc"].as_str().unwrap())
                .format("%Y%m%dT%H%M%SZ")
                .to_string()
        })
        .collect();
    assert_eq!(starts, want);
    assert_eq!(unfolded.matches("BEGIN:VEVENT").count(), want.len());
    let uids: std::collections::BTreeSet<&str> = unfolded
        .split("\r\n")
        .filter(|l| l.starts_with("UID:"))
        .collect();
    assert_eq!(uids.len(), want.len(), "UIDs are unique");
    // Chinese titles survive folding (no character is cut)
    assert!(unfolded.contains("首次电话"), "{unfolded}");
}

#[test]
fn bad_requests_are_usage_errors() {
    let cases: [(&[&str], &str); 5] = [
        (
            &["--enroll", "2026-09-30 17:59", "--path", "call_3"],
            "no step `call_3` in cadence `inbound`; did you mean `call_1`?",
        ),
        (
            &["--enroll", "2026-09-30 17:59", "--path", "case"],
            "step `case` cannot come next at enrolment; the next touch can be `welcome`",
        ),
        (
            &["--enroll", "30.09.2026"],
            "`30.09.2026` is not a local time",
        ),
        (
            &[
                "--enroll",
                "2026-09-30 17:59",
                "--outcomes",
                "call_1=opened",
            ],
            "a call step has no outcome `opened`",
        ),
        (&[], "say when the lead enrolls"),
    ];
    for (extra, msg) in cases {
        let args = [&["schedule", "inbound", EXAMPLE][..], extra].concat();
        let (code, out, err) = cli(&args);
        assert_eq!(code, 2, "{args:?}: {out}");
        assert!(err.contains(msg), "{args:?}: {err}");
    }
    let (code, _, err) = cli(&[
        "schedule",
        "inbund",
        EXAMPLE,
        "--enroll",
        "2026-09-30 17:59",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `inbound`?"), "{err}");
}
