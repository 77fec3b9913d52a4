#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly
//! HubSpot's business days: the delay the build writes for `N business days` lands where the
//! team's calendar says, or the build says where it does not, checked against a brute-force scan
//! of real dates with the calendar engine (`Calendar::add_business_days`) and HubSpot's documented
//! rule written out here: whole days, a step that falls on Saturday or Sunday runs on Monday
//! (https://knowledge.hubspot.com/sequences/what-time-will-steps-execute-sequences).

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Weekday};

use cadence::calendar::{Calendar, MON_FRI};
use cadence::project::Project;
use cadence::targets::hubspot::days;
use cadence::targets::{self, Options, OutputKind, Target};

/// HubSpot's rule, independently of the build.
fn hubspot(from: NaiveDate, d: u32) -> NaiveDate {
    let x = from + Duration::days(i64::from(d));
    match x.weekday() {
        Weekday::Sat => x + Duration::days(2),
        Weekday::Sun => x + Duration::days(1),
        _ => x,
    }
}

/// The team's day by the calendar engine: `n` business days after 10:00 on `from`.
fn team(cal: &Calendar, from: NaiveDate, n: u32) -> NaiveDate {
    let t = chrono_tz::UTC
        .from_local_datetime(&from.and_hms_opt(10, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    cal.add_business_days(t, n).unwrap().date_naive()
}

/// Every date of 104 whole weeks from Monday 2026-01-05 whose weekday is in `starts` (each
/// weekday equally often).
fn dates(starts: &[Weekday]) -> Vec<NaiveDate> {
    let first = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
    (0..728)
        .map(|k| first + Duration::days(k))
        .filter(|d| starts.contains(&d.weekday()))
        .collect()
}

#[test]
fn business_day_delays_land_on_the_team_s_day_or_say_where_not() {
    let cal = Calendar::mon_fri(chrono_tz::UTC, vec![(0, 1440)]);
    for starts in [&days::WEEK[..], &days::WEEK[..5]] {
        let froms = dates(starts);
        for n in 1..=15u32 {
            // the delays (in whole days) that land right from every date, by brute force
            let exact: Vec<u32> = (0..=120)
                .filter(|&d| froms.iter().all(|&f| hubspot(f, d) == team(&cal, f, n)))
                .collect();
            match days::business_days(n, MON_FRI, true, starts) {
                Ok(d) => {
                    assert_eq!(Some(&d), exact.first(), "n={n}: the shortest exact delay")
                }
                Err((d, m)) => {
                    assert!(exact.is_empty(), "n={n}: {exact:?} would be exact");
                    // the reported dates are real: the engine and HubSpot's rule part there
                    assert_eq!(m.team, team(&cal, m.from, n), "n={n}");
                    assert_eq!(m.hubspot, hubspot(m.from, d), "n={n}");
                    assert_ne!(m.team, m.hubspot, "n={n}");
                    // and no other delay lands right from more of the dates
                    let hits = |d: u32| {
                        froms
                            .iter()
                            .filter(|&&f| hubspot(f, d) == team(&cal, f, n))
                            .count()
                    };
                    assert!((0..=120).all(|e| hits(e) <= hits(d)), "n={n}");
                }
            }
        }
    }
    // the issue's example: Friday + 2 business days is Tuesday, HubSpot's 2 days is Monday
    let (d, m) = days::business_days(2, MON_FRI, true, &days::WEEK[..5]).unwrap_err();
    let fri = NaiveDate::from_ymd_opt(2026, 1, 9).unwrap();
    assert_eq!(d, 2);
    assert_eq!(
        (m.from, m.team, m.hubspot),
        (fri, fri + Duration::days(4), fri + Duration::days(3))
    );
    // a calendar that works every day: N business days are N days
    for n in 1..=15 {
        assert_eq!(days::business_days(n, [true; 7], false, &days::WEEK), Ok(n));
    }
}

fn build(text: &str, lossy: bool) -> targets::Built {
    let project = Project::from_texts(&[("c.cadence", text)]);
    let checked = cadence::check::check(&project);
    assert!(
        checked.diagnostics.iter().all(|d| !d.is_error()),
        "{:?}",
        checked.diagnostics
    );
    let mut o = Options::new(Target::Hubspot);
    o.allow_lossy = lossy;
    targets::build(&project, &checked.model, &o)
}

const CAL: &str = r#"
calendar office {
  timezone "UTC"
  workdays mon..fri
  hours 09:00..17:00
}
"#;

#[test]
fn the_sequence_body_carries_the_delay_or_the_build_names_the_dates() {
    // 1 and 6 business days have an exact delay: 1 and 8 days
    let ok = format!(
        r#"{CAL}
cadence c {{
  calendar office
  exit replied on reply
  exit unsubscribed on unsubscribe
  exit booked on meeting_booked
  step a email "A" immediately
  step b email "B" after 1 business day
  step d email "D" after 6 business days
}}"#
    );
    let b = build(&ok, false);
    assert!(!b.has_errors(), "{:?}", b.diagnostics);
    let body = &b
        .outputs
        .iter()
        .find(|o| o.kind == OutputKind::Cadence)
        .unwrap()
        .body;
    let ms: Vec<u64> = body["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["delayMillis"].as_u64().unwrap())
        .collect();
    assert_eq!(ms, [0, 86_400_000, 8 * 86_400_000]);
    // booked meetings rely on HubSpot's default: an assumption to check, not an error
    assert!(b
        .setup
        .iter()
        .any(|it| it.what.starts_with("assumption:") && it.what.contains("meeting")));
    // 2 business days after a weekday touch: no delay lands right from a Friday
    let two = ok.replace("after 6 business days", "after 2 business days");
    let b = build(&two, false);
    let e: Vec<&str> = b
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].contains("after a touch on Fri 2026-01-09 the team's calendar says Tue 2026-01-13, HubSpot runs a 2-day delay on Mon 2026-01-12"),
        "{}",
        e[0]
    );
}
