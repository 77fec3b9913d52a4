//! Weekday anchors (`on tue, fri at 10:00`) in the calendar engine: the schedule against a
//! minute-by-minute scan of the calendar, and the worst-case analysis against a brute-force
//! scan of every start minute.

use std::collections::BTreeSet;

use cadence::calendar::*;
use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Timelike, Utc};

type R = Result<(), String>;

fn date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| format!("bad date {s}: {e}"))
}

const fn hm(h: u32, m: u32) -> u32 {
    h * 60 + m
}

fn at(cal: &Calendar, s: &str) -> Result<DateTime<Utc>, String> {
    let (d, t) = s.split_once(' ').ok_or(format!("bad local time {s}"))?;
    let (h, m) = t.split_once(':').ok_or(format!("bad clock {t}"))?;
    let (h, m): (u32, u32) = (
        h.parse().map_err(|_| "hour")?,
        m.parse().map_err(|_| "minute")?,
    );
    cal.local_instant(date(d)?, hm(h, m))
        .ok_or(format!("no instant for {s}"))
}

/// Asia/Shanghai, Mon..Fri 09:00-12:00 + 13:30-18:00, National Day 2026 (10-01..10-07), make-up
/// days Sun 09-27 and Sat 10-10.
fn china() -> Result<Calendar, String> {
    let last = date("2026-10-07")?;
    Ok(Calendar {
        tz: chrono_tz::Asia::Shanghai,
        workdays: MON_FRI,
        hours: vec![(hm(9, 0), hm(12, 0)), (hm(13, 30), hm(18, 0))],
        holidays: date("2026-10-01")?
            .iter_days()
            .take_while(|d| *d <= last)
            .collect(),
        makeup_workdays: [date("2026-09-27")?, date("2026-10-10")?]
            .into_iter()
            .collect(),
    })
}

/// Berlin, open all day every day: the anchor's clock time across both DST changes.
fn berlin_all_day() -> Calendar {
    Calendar {
        tz: chrono_tz::Europe::Berlin,
        workdays: [true; 7],
        hours: vec![(0, 1440)],
        holidays: BTreeSet::new(),
        makeup_workdays: BTreeSet::new(),
    }
}

fn mask(days: &[chrono::Weekday]) -> u8 {
    days.iter().fold(0, |m, d| m | weekday_bit(*d))
}

/// The anchor by scanning UTC minutes: the first minute at or after `x` and later than `from`
/// on a listed working day whose local clock is the anchor's (or, where a DST gap swallows that
/// clock time, the first minute after the gap), then the first open minute.
fn scan(cal: &Calendar, from: DateTime<Utc>, timing: Timing) -> Option<DateTime<Utc>> {
    let x = match timing.delay {
        Delay::Zero => from,
        Delay::Wall { minutes } => from + TimeDelta::minutes(minutes as i64),
        Delay::BusinessDays(n) => cal.add_business_days(from, n)?,
        Delay::BusinessMinutes(n) => cal.add_business_minutes(from, n)?,
    };
    let m = timing.at_clock?;
    let local = |t: DateTime<Utc>| t.with_timezone(&cal.tz).naive_local();
    let mut t = x;
    let end = x + TimeDelta::days(60);
    let found = loop {
        if t > end {
            return None;
        }
        let l = local(t);
        let clock = l.hour() * 60 + l.minute();
        let before = local(t - TimeDelta::minutes(1));
        let hits = clock == m
            || (clock > m
                && before.date() == l.date()
                && before.hour() * 60 + before.minute() < m
                && (t - TimeDelta::minutes(1)).with_timezone(&cal.tz).offset()
                    != t.with_timezone(&cal.tz).offset());
        if hits
            && t > from
            && timing.weekdays & weekday_bit(l.date().weekday()) != 0
            && cal.is_working_day(l.date())
        {
            break t;
        }
        t += TimeDelta::minutes(1);
    };
    let mut u = found;
    while !cal.is_open(u) {
        u += TimeDelta::minutes(1);
        if u > found + TimeDelta::days(60) {
            return None;
        }
    }
    Some(u)
}

#[test]
fn anchors_land_on_the_next_listed_working_day() -> R {
    let cal = china()?;
    let tue_fri = mask(&[chrono::Weekday::Tue, chrono::Weekday::Fri]);
    let s = |from: &str, t: Timing| -> Result<String, String> {
        Ok(cal
            .schedule(at(&cal, from)?, t)
            .map(|t| cal.local_label(t))
            .unwrap_or_default())
    };
    let batch = Timing::anchor(Delay::Zero, tue_fri, hm(10, 0));
    assert_eq!(s("2026-09-15 09:00", batch)?, "2026-09-15 10:00 (Tue)");
    // later than the reference: a loop of anchored steps moves on to the next listed day
    assert_eq!(s("2026-09-15 10:00", batch)?, "2026-09-18 10:00 (Fri)");
    // after a wait, at or after its end
    let after = Timing::anchor(Delay::Wall { minutes: 4 * 1440 }, tue_fri, hm(10, 0));
    assert_eq!(s("2026-09-25 10:00", after)?, "2026-09-29 10:00 (Tue)");
    // Fri 10-02 and Tue 10-06 are holidays: the next batch day that is worked
    assert_eq!(s("2026-09-29 15:00", batch)?, "2026-10-09 10:00 (Fri)");
    // Sat 10-10 is a make-up working day
    let sat = Timing::anchor(Delay::Zero, mask(&[chrono::Weekday::Sat]), hm(10, 0));
    assert_eq!(s("2026-10-08 10:00", sat)?, "2026-10-10 10:00 (Sat)");
    // a clock time in the lunch break waits for the afternoon opening
    let lunch = Timing::anchor(Delay::Zero, tue_fri, hm(12, 30));
    assert_eq!(s("2026-09-15 11:00", lunch)?, "2026-09-15 13:30 (Tue)");
    Ok(())
}

#[test]
fn anchors_agree_with_a_minute_scan() -> R {
    let cases: Vec<(Calendar, &str, &str, u8, u32)> = vec![
        (
            china()?,
            "2026-09-20 00:00",
            "2026-10-16 00:00",
            mask(&[chrono::Weekday::Tue, chrono::Weekday::Fri]),
            hm(10, 0),
        ),
        (
            china()?,
            "2026-09-20 00:00",
            "2026-10-16 00:00",
            mask(&[chrono::Weekday::Sat, chrono::Weekday::Sun]),
            hm(17, 59),
        ),
        (
            berlin_all_day(),
            "2026-03-20 00:00",
            "2026-04-02 00:00",
            mask(&[chrono::Weekday::Sun]),
            hm(2, 30),
        ),
        (
            berlin_all_day(),
            "2026-10-18 00:00",
            "2026-10-30 00:00",
            mask(&[chrono::Weekday::Sun, chrono::Weekday::Mon]),
            hm(2, 30),
        ),
    ];
    for (cal, first, last, days, clock) in cases {
        let (mut from, last) = (at(&cal, first)?, at(&cal, last)?);
        let delays = [
            Delay::Zero,
            Delay::Wall { minutes: 2 * 1440 },
            Delay::BusinessDays(1),
            Delay::BusinessMinutes(90),
        ];
        while from < last {
            for delay in delays {
                let t = Timing::anchor(delay, days, clock);
                let got = cal.schedule(from, t);
                let want = scan(&cal, from, t);
                assert_eq!(
                    got.map(|g| cal.local_label(g)),
                    want.map(|w| cal.local_label(w)),
                    "{:?} from {} {t:?}",
                    cal.tz,
                    cal.local_label(from)
                );
                assert_eq!(got, want);
            }
            from += TimeDelta::minutes(173);
        }
    }
    Ok(())
}

/// The worst case by brute force: every minute of the window as a start.
fn brute_worst(
    cal: &Calendar,
    timing: Timing,
    starts: Starts,
    measure: Measure,
    window: (NaiveDate, NaiveDate),
) -> Option<(u64, String)> {
    let mut t = cal.local_instant(window.0, 0)?;
    let end = cal.local_instant(window.1, 1440)?;
    let mut best: Option<(u64, String)> = None;
    while t < end {
        if starts == Starts::AnyMoment || cal.is_open(t) {
            let r = cal.schedule(t, timing)?;
            let m = match measure {
                Measure::Wall => u64::try_from((r - t).num_minutes()).ok()?,
                Measure::Business => cal.business_minutes_between(t, r),
            };
            if best.as_ref().is_none_or(|b| m > b.0) {
                best = Some((m, cal.local_label(t)));
            }
        }
        t += TimeDelta::minutes(1);
    }
    best
}

#[test]
fn anchor_worst_cases_agree_with_brute_force() -> R {
    let china = china()?;
    let berlin = berlin_all_day();
    let tue_fri = mask(&[chrono::Weekday::Tue, chrono::Weekday::Fri]);
    let cases = [
        (
            &china,
            Timing::anchor(Delay::Zero, tue_fri, hm(10, 0)),
            Starts::OpenMoments,
            Measure::Wall,
            ("2026-09-24", "2026-10-03"),
        ),
        (
            &china,
            Timing::anchor(Delay::Zero, tue_fri, hm(10, 0)),
            Starts::AnyMoment,
            Measure::Business,
            ("2026-09-24", "2026-10-03"),
        ),
        (
            &china,
            Timing::anchor(Delay::BusinessDays(2), tue_fri, hm(12, 30)),
            Starts::AnyMoment,
            Measure::Wall,
            ("2026-09-22", "2026-09-30"),
        ),
        (
            &china,
            Timing::anchor(Delay::Wall { minutes: 2897 }, tue_fri, hm(9, 0)),
            Starts::OpenMoments,
            Measure::Wall,
            ("2026-09-22", "2026-09-30"),
        ),
        (
            &china,
            Timing::anchor(Delay::BusinessMinutes(95), tue_fri, hm(17, 0)),
            Starts::OpenMoments,
            Measure::Business,
            ("2026-09-14", "2026-09-20"),
        ),
        (
            &berlin,
            Timing::anchor(Delay::Zero, mask(&[chrono::Weekday::Sun]), hm(2, 30)),
            Starts::AnyMoment,
            Measure::Wall,
            ("2026-03-25", "2026-03-29"),
        ),
        (
            &berlin,
            Timing::anchor(
                Delay::Wall { minutes: 61 },
                mask(&[chrono::Weekday::Sun]),
                hm(2, 30),
            ),
            Starts::OpenMoments,
            Measure::Wall,
            ("2026-10-21", "2026-10-25"),
        ),
    ];
    for (cal, timing, starts, measure, (a, b)) in cases {
        let window = (date(a)?, date(b)?);
        let got = cal
            .worst_case(timing, starts, measure, window)
            .map(|w| (w.minutes, cal.local_label(w.from)));
        let want = brute_worst(cal, timing, starts, measure, window);
        assert!(want.is_some());
        assert_eq!(got, want, "{:?} {timing:?} {starts:?} {measure:?}", cal.tz);
    }
    Ok(())
}

#[test]
fn an_anchor_on_days_never_worked_finds_nothing() -> R {
    let mut cal = china()?;
    cal.makeup_workdays.clear();
    let t = Timing::anchor(Delay::Zero, mask(&[chrono::Weekday::Sun]), hm(10, 0));
    assert_eq!(cal.schedule(at(&cal, "2026-03-09 10:00")?, t), None);
    Ok(())
}
