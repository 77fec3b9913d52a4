//! Integration tests for the business calendar engine.
//!
//! Helpers return `Result` and tests propagate with `?` (no unwrap/expect/panic).

use std::collections::BTreeSet;

use cadence::calendar::*;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

type R = Result<(), String>;

fn date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| format!("bad date {s}: {e}"))
}

/// Local minute of day.
const fn hm(h: u32, m: u32) -> u32 {
    h * 60 + m
}

fn clock(s: &str) -> Result<u32, String> {
    let (h, m) = s.split_once(':').ok_or(format!("bad clock {s}"))?;
    match (h.parse::<u32>(), m.parse::<u32>()) {
        (Ok(h), Ok(m)) => Ok(hm(h, m)),
        _ => Err(format!("bad clock {s}")),
    }
}

/// `"2026-10-01 09:00"` in the calendar's zone (earlier instant if ambiguous).
fn at(cal: &Calendar, s: &str) -> Result<DateTime<Utc>, String> {
    let (d, t) = s.split_once(' ').ok_or(format!("bad local time {s}"))?;
    cal.local_instant(date(d)?, clock(t)?)
        .ok_or(format!("no instant for {s}"))
}

fn utc(s: &str) -> Result<DateTime<Utc>, String> {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
        .map(|n| Utc.from_utc_datetime(&n))
        .map_err(|e| format!("bad utc {s}: {e}"))
}

fn label(cal: &Calendar, t: Option<DateTime<Utc>>) -> String {
    match t {
        Some(t) => cal.local_label(t),
        None => "None".to_string(),
    }
}

/// Wall minutes from `a` to `b`.
fn minutes_between(a: DateTime<Utc>, b: Option<DateTime<Utc>>) -> Option<i64> {
    b.map(|b| (b - a).num_minutes())
}

fn dates(from: &str, to: &str) -> Result<BTreeSet<NaiveDate>, String> {
    let last = date(to)?;
    Ok(date(from)?.iter_days().take_while(|d| *d <= last).collect())
}

/// Asia/Shanghai, Mon..Fri 09:00-12:00 + 13:30-18:00, China National Day 2026.
fn china() -> Result<Calendar, String> {
    Ok(Calendar {
        tz: chrono_tz::Asia::Shanghai,
        workdays: MON_FRI,
        hours: vec![(hm(9, 0), hm(12, 0)), (hm(13, 30), hm(18, 0))],
        holidays: dates("2026-10-01", "2026-10-07")?,
        makeup_workdays: [date("2026-09-27")?, date("2026-10-10")?]
            .into_iter()
            .collect(),
    })
}

fn every_day(tz: Tz, hours: Vec<(u32, u32)>) -> Calendar {
    Calendar {
        tz,
        workdays: [true; 7],
        hours,
        holidays: BTreeSet::new(),
        makeup_workdays: BTreeSet::new(),
    }
}

fn ny() -> Tz {
    chrono_tz::America::New_York
}

fn berlin() -> Tz {
    chrono_tz::Europe::Berlin
}

// ----- working days -----------------------------------------------------------------------

#[test]
fn weekends_are_not_working_days() -> R {
    let cal = china()?;
    assert!(cal.is_working_day(date("2026-03-06")?)); // Fri
    assert!(!cal.is_working_day(date("2026-03-07")?)); // Sat
    assert!(!cal.is_working_day(date("2026-03-08")?)); // Sun
    assert!(cal.is_working_day(date("2026-03-09")?)); // Mon
    assert!(!cal.is_open(at(&cal, "2026-03-07 10:00")?));
    assert!(cal.is_open(at(&cal, "2026-03-09 10:00")?));
    Ok(())
}

#[test]
fn holiday_week_and_makeup_days() -> R {
    let cal = china()?;
    for d in dates("2026-10-01", "2026-10-07")? {
        assert!(!cal.is_working_day(d), "{d} is a holiday");
    }
    assert!(cal.is_working_day(date("2026-09-27")?)); // Sunday make-up day
    assert!(cal.is_working_day(date("2026-10-10")?)); // Saturday make-up day
    assert!(!cal.is_working_day(date("2026-10-11")?)); // ordinary Sunday
    assert!(!cal.is_working_day(date("2026-09-26")?)); // ordinary Saturday
    assert!(cal.is_open(at(&cal, "2026-09-27 09:00")?));
    assert!(cal.is_open(at(&cal, "2026-10-10 17:59")?));
    assert!(!cal.is_open(at(&cal, "2026-10-02 10:00")?));
    // a make-up day wins over a holiday listing and over a non-working weekday
    let mut odd = china()?;
    odd.holidays.insert(date("2026-10-10")?);
    assert!(odd.is_working_day(date("2026-10-10")?));
    Ok(())
}

#[test]
fn is_open_respects_hours() -> R {
    let cal = china()?;
    assert!(!cal.is_open(at(&cal, "2026-03-09 08:59")?));
    assert!(cal.is_open(at(&cal, "2026-03-09 09:00")?));
    assert!(cal.is_open(at(&cal, "2026-03-09 11:59")?));
    assert!(!cal.is_open(at(&cal, "2026-03-09 12:00")?)); // half-open
    assert!(!cal.is_open(at(&cal, "2026-03-09 13:29")?));
    assert!(cal.is_open(at(&cal, "2026-03-09 13:30")?));
    assert!(!cal.is_open(at(&cal, "2026-03-09 18:00")?));
    Ok(())
}

#[test]
fn local_label_format() -> R {
    let cal = china()?;
    assert_eq!(
        cal.local_label(utc("2026-10-01 01:00")?),
        "2026-10-01 09:00 (Thu)"
    );
    assert_eq!(
        label(&cal, Some(at(&cal, "2026-09-27 13:30")?)),
        "2026-09-27 13:30 (Sun)"
    );
    Ok(())
}

// ----- next_opening ---------------------------------------------------------------------

#[test]
fn next_opening_inside_and_outside_hours() -> R {
    let cal = china()?;
    let inside = at(&cal, "2026-03-09 10:17")?;
    assert_eq!(cal.next_opening(inside), Some(inside));
    let cases = [
        ("2026-03-09 07:00", "2026-03-09 09:00 (Mon)"),
        ("2026-03-09 12:00", "2026-03-09 13:30 (Mon)"), // lunch
        ("2026-03-09 12:45", "2026-03-09 13:30 (Mon)"),
        ("2026-03-13 18:00", "2026-03-16 09:00 (Mon)"), // Friday evening
        ("2026-03-14 11:00", "2026-03-16 09:00 (Mon)"), // Saturday
        ("2026-09-26 10:00", "2026-09-27 09:00 (Sun)"), // Saturday before make-up Sunday
        ("2026-09-30 18:00", "2026-10-08 09:00 (Thu)"), // into the holiday week
        ("2026-10-03 10:00", "2026-10-08 09:00 (Thu)"),
        ("2026-10-09 19:00", "2026-10-10 09:00 (Sat)"), // make-up Saturday
    ];
    for (from, want) in cases {
        assert_eq!(
            label(&cal, cal.next_opening(at(&cal, from)?)),
            want,
            "from {from}"
        );
    }
    Ok(())
}

#[test]
fn never_open_calendars_return_none() -> R {
    let mut no_days = china()?;
    no_days.workdays = [false; 7];
    no_days.makeup_workdays.clear();
    let mut no_hours = china()?;
    no_hours.hours.clear();
    let t = at(&no_days, "2026-03-09 10:00")?;
    for cal in [&no_days, &no_hours] {
        assert_eq!(cal.next_opening(t), None);
        assert!(!cal.is_open(t));
        assert_eq!(cal.add_business_days(t, 1), None);
        assert_eq!(cal.add_business_minutes(t, 1), None);
        assert_eq!(cal.business_minutes_between(t, utc("2027-01-01 00:00")?), 0);
        assert_eq!(cal.schedule(t, Timing::after(Delay::Zero)), None);
    }
    // only holidays for 11 years: the bounded search gives up
    let mut all_holidays = china()?;
    all_holidays.holidays = dates("2026-01-01", "2037-12-31")?;
    all_holidays.makeup_workdays.clear();
    assert_eq!(all_holidays.next_opening(t), None);
    Ok(())
}

// ----- business days --------------------------------------------------------------------

#[test]
fn add_business_days_china() -> R {
    let cal = china()?;
    let cases = [
        ("2026-03-09 10:00", 0, "2026-03-09 10:00 (Mon)"),
        ("2026-03-09 10:00", 1, "2026-03-10 10:00 (Tue)"),
        ("2026-03-13 10:00", 1, "2026-03-16 10:00 (Mon)"), // over the weekend
        ("2026-03-09 12:30", 1, "2026-03-10 13:30 (Tue)"), // lunch: moved to next opening
        ("2026-03-09 17:59", 2, "2026-03-11 17:59 (Wed)"),
        ("2026-03-13 19:00", 1, "2026-03-17 09:00 (Tue)"), // Mon 19:00 -> Tue opening
        // non-working start: roll to the next working day's same clock, then count
        ("2026-03-14 10:00", 0, "2026-03-16 10:00 (Mon)"),
        ("2026-03-14 10:00", 1, "2026-03-16 10:00 (Mon)"), // Sat + 1 = Mon
        // make-up days count as working days
        ("2026-09-25 10:00", 1, "2026-09-27 10:00 (Sun)"),
        ("2026-09-30 10:00", 1, "2026-10-08 10:00 (Thu)"),
        ("2026-09-30 10:00", 3, "2026-10-10 10:00 (Sat)"),
        ("2026-09-30 10:00", 4, "2026-10-12 10:00 (Mon)"),
        ("2026-10-03 10:00", 0, "2026-10-08 10:00 (Thu)"), // from a holiday
        ("2026-10-03 10:00", 1, "2026-10-08 10:00 (Thu)"), // the first working day after
    ];
    for (from, n, want) in cases {
        assert_eq!(
            label(&cal, cal.add_business_days(at(&cal, from)?, n)),
            want,
            "{from} + {n} business days"
        );
    }
    Ok(())
}

#[test]
fn add_business_days_keeps_clock_across_dst() -> R {
    // every day a working day: exactly one day later, 23 h or 25 h of wall time
    let ny7 = every_day(ny(), vec![(hm(8, 0), hm(18, 0))]);
    let t = at(&ny7, "2026-03-07 10:00")?;
    assert_eq!(t, utc("2026-03-07 15:00")?); // EST
    let r = ny7.add_business_days(t, 1);
    assert_eq!(r, Some(utc("2026-03-08 14:00")?)); // EDT
    assert_eq!(minutes_between(t, r), Some(23 * 60));
    let t = at(&ny7, "2026-10-31 10:00")?;
    assert_eq!(
        minutes_between(t, ny7.add_business_days(t, 1)),
        Some(25 * 60)
    );
    assert_eq!(
        minutes_between(t, ny7.add_business_days(t, 3)),
        Some((3 * 24 + 1) * 60)
    );

    let be7 = every_day(berlin(), vec![(hm(8, 0), hm(18, 0))]);
    let t = at(&be7, "2026-03-28 10:00")?;
    assert_eq!(t, utc("2026-03-28 09:00")?); // CET
    let r = be7.add_business_days(t, 1);
    assert_eq!(r, Some(utc("2026-03-29 08:00")?)); // CEST
    assert_eq!(minutes_between(t, r), Some(23 * 60));
    let t = at(&be7, "2026-10-24 10:00")?;
    assert_eq!(
        minutes_between(t, be7.add_business_days(t, 1)),
        Some(25 * 60)
    );

    // Mon..Fri over a DST weekend: Friday -> Monday is 71 h / 73 h
    let ny5 = Calendar::mon_fri(ny(), vec![(hm(9, 0), hm(17, 0))]);
    let t = at(&ny5, "2026-03-06 10:00")?;
    let r = ny5.add_business_days(t, 1);
    assert_eq!(label(&ny5, r), "2026-03-09 10:00 (Mon)");
    assert_eq!(minutes_between(t, r), Some(71 * 60));
    let be5 = Calendar::mon_fri(berlin(), vec![(hm(9, 0), hm(17, 0))]);
    let t = at(&be5, "2026-10-23 10:00")?;
    assert_eq!(
        minutes_between(t, be5.add_business_days(t, 1)),
        Some(73 * 60)
    );

    // a clock time inside the spring-forward gap maps to the first valid instant after it
    let night = every_day(ny(), vec![(0, 1440)]);
    let t = at(&night, "2026-03-07 02:30")?;
    assert_eq!(
        night.add_business_days(t, 1),
        Some(utc("2026-03-08 07:00")?)
    ); // 03:00 EDT
    Ok(())
}

// ----- business minutes -----------------------------------------------------------------

#[test]
fn add_business_minutes_china() -> R {
    let cal = china()?;
    let cases = [
        ("2026-03-09 10:00", 0, "2026-03-09 10:00 (Mon)"),
        ("2026-03-09 10:00", 30, "2026-03-09 10:30 (Mon)"),
        ("2026-03-09 11:00", 60, "2026-03-09 12:00 (Mon)"), // ends at closing, not moved
        ("2026-03-09 11:30", 60, "2026-03-09 14:00 (Mon)"), // across lunch
        ("2026-03-09 09:00", 450, "2026-03-09 18:00 (Mon)"), // whole day
        ("2026-03-09 09:00", 451, "2026-03-10 09:01 (Tue)"),
        ("2026-03-13 17:30", 60, "2026-03-16 09:30 (Mon)"), // across the weekend
        ("2026-03-14 03:00", 1, "2026-03-16 09:01 (Mon)"),  // from a closed moment
        ("2026-09-30 17:00", 120, "2026-10-08 10:00 (Thu)"), // across the holiday week
        ("2026-09-25 17:00", 90, "2026-09-27 09:30 (Sun)"), // into a make-up day
        ("2026-03-09 09:00", 5 * 450, "2026-03-13 18:00 (Fri)"),
    ];
    for (from, n, want) in cases {
        assert_eq!(
            label(&cal, cal.add_business_minutes(at(&cal, from)?, n)),
            want,
            "{from} + {n} business minutes"
        );
    }
    Ok(())
}

#[test]
fn business_minutes_between_china() -> R {
    let cal = china()?;
    let b = |x: &str, y: &str| -> Result<u64, String> {
        Ok(cal.business_minutes_between(at(&cal, x)?, at(&cal, y)?))
    };
    assert_eq!(b("2026-03-09 00:00", "2026-03-10 00:00")?, 450);
    assert_eq!(b("2026-03-09 11:00", "2026-03-09 14:00")?, 90);
    assert_eq!(b("2026-03-13 17:00", "2026-03-16 10:00")?, 120);
    assert_eq!(b("2026-03-09 00:00", "2026-03-16 00:00")?, 5 * 450);
    assert_eq!(b("2026-03-09 14:00", "2026-03-09 11:00")?, 0); // reversed
    assert_eq!(b("2026-03-09 10:00", "2026-03-09 10:00")?, 0);
    // holiday week: only the 8th, 9th and make-up 10th count
    assert_eq!(b("2026-10-01 00:00", "2026-10-11 00:00")?, 3 * 450);
    assert_eq!(b("2026-09-26 00:00", "2026-09-28 00:00")?, 450); // make-up Sunday
                                                                 // partial minutes round down
    let a = at(&cal, "2026-03-09 10:00")? + chrono::TimeDelta::seconds(30);
    assert_eq!(
        cal.business_minutes_between(a, at(&cal, "2026-03-09 10:02")?),
        1
    );
    // inverse of add_business_minutes
    let from = at(&cal, "2026-09-29 15:07")?;
    for n in [1, 59, 173, 450, 1000, 2222] {
        let to = cal.add_business_minutes(from, n);
        assert_eq!(to.map(|to| cal.business_minutes_between(from, to)), Some(n));
    }
    Ok(())
}

#[test]
fn range_ending_at_midnight() -> R {
    let cal = Calendar::mon_fri(chrono_tz::Asia::Shanghai, vec![(hm(22, 0), 1440)]);
    assert!(cal.is_open(at(&cal, "2026-03-13 23:59")?)); // Fri
    assert!(!cal.is_open(at(&cal, "2026-03-14 00:00")?)); // Sat
    assert_eq!(
        label(
            &cal,
            cal.add_business_minutes(at(&cal, "2026-03-13 23:00")?, 60)
        ),
        "2026-03-14 00:00 (Sat)"
    );
    assert_eq!(
        label(
            &cal,
            cal.add_business_minutes(at(&cal, "2026-03-13 23:00")?, 61)
        ),
        "2026-03-16 22:01 (Mon)"
    );
    // a night shift spanning midnight
    let night = Calendar::mon_fri(
        chrono_tz::Asia::Shanghai,
        vec![(0, hm(2, 0)), (hm(22, 0), 1440)],
    );
    let t = at(&night, "2026-03-09 23:30")?;
    assert_eq!(
        label(&night, night.add_business_minutes(t, 60)),
        "2026-03-10 00:30 (Tue)"
    );
    assert_eq!(
        night.business_minutes_between(t, at(&night, "2026-03-10 01:00")?),
        90
    );
    assert_eq!(
        label(&night, night.next_opening(at(&night, "2026-03-10 02:00")?)),
        "2026-03-10 22:00 (Tue)"
    );
    Ok(())
}

#[test]
fn business_minutes_are_real_minutes_across_dst() -> R {
    // 01:00..03:00 local: spring forward leaves 1 real hour, fall back gives 3
    let ny_night = every_day(ny(), vec![(hm(1, 0), hm(3, 0))]);
    let day = |d: &str| -> Result<_, String> {
        Ok((
            at(&ny_night, &format!("{d} 00:00"))?,
            at(&ny_night, &format!("{d} 12:00"))?,
        ))
    };
    let (a, b) = day("2026-03-07")?;
    assert_eq!(ny_night.business_minutes_between(a, b), 120);
    let (a, b) = day("2026-03-08")?;
    assert_eq!(ny_night.business_minutes_between(a, b), 60);
    let (a, b) = day("2026-11-01")?;
    assert_eq!(ny_night.business_minutes_between(a, b), 180);
    // add_business_minutes over the fall-back range: 01:00 EDT + 150 min = 01:30 EST
    let start = at(&ny_night, "2026-11-01 01:00")?;
    assert_eq!(start, utc("2026-11-01 05:00")?);
    assert_eq!(
        ny_night.add_business_minutes(start, 150),
        Some(utc("2026-11-01 07:30")?)
    );
    assert_eq!(
        ny_night.add_business_minutes(start, 180),
        Some(utc("2026-11-01 08:00")?)
    );
    assert_eq!(
        label(&ny_night, ny_night.add_business_minutes(start, 181)),
        "2026-11-02 01:01 (Mon)"
    );
    // spring forward: 01:00 EST + 60 min is the range end (03:00 EDT)
    let start = at(&ny_night, "2026-03-08 01:00")?;
    assert_eq!(
        ny_night.add_business_minutes(start, 60),
        Some(utc("2026-03-08 07:00")?)
    );
    assert_eq!(
        label(&ny_night, ny_night.add_business_minutes(start, 61)),
        "2026-03-09 01:01 (Mon)"
    );

    // Berlin 01:00..04:00: 2 real hours on 2026-03-29, 4 on 2026-10-25
    let be_night = every_day(berlin(), vec![(hm(1, 0), hm(4, 0))]);
    let start = at(&be_night, "2026-03-29 01:00")?;
    assert_eq!(start, utc("2026-03-29 00:00")?);
    assert_eq!(
        be_night.add_business_minutes(start, 120),
        Some(utc("2026-03-29 02:00")?)
    );
    assert_eq!(
        label(&be_night, be_night.add_business_minutes(start, 121)),
        "2026-03-30 01:01 (Mon)"
    );
    let start = at(&be_night, "2026-10-25 01:00")?;
    assert_eq!(start, utc("2026-10-24 23:00")?);
    assert_eq!(
        be_night.add_business_minutes(start, 240),
        Some(utc("2026-10-25 03:00")?)
    );
    assert_eq!(
        be_night.business_minutes_between(start, utc("2026-10-25 12:00")?),
        240
    );

    // a 9-to-5 day is 8 real hours on DST days too; always-open days are 23 h / 25 h
    let ny5 = Calendar::mon_fri(ny(), vec![(hm(9, 0), hm(17, 0))]);
    let a = at(&ny5, "2026-03-06 12:00")?;
    assert_eq!(
        label(&ny5, ny5.add_business_minutes(a, 8 * 60)),
        "2026-03-09 12:00 (Mon)"
    );
    let open = Calendar::always_open(ny());
    let day = |d: &str, e: &str| -> Result<u64, String> {
        Ok(open.business_minutes_between(at(&open, d)?, at(&open, e)?))
    };
    assert_eq!(day("2026-03-08 00:00", "2026-03-09 00:00")?, 23 * 60);
    assert_eq!(day("2026-11-01 00:00", "2026-11-02 00:00")?, 25 * 60);
    Ok(())
}

#[test]
fn dst_gap_and_ambiguous_clock_times() -> R {
    // a range starting inside the gap opens at the transition (03:00 EDT)
    let cal = every_day(ny(), vec![(hm(2, 30), hm(5, 0))]);
    assert_eq!(
        cal.next_opening(at(&cal, "2026-03-08 00:00")?),
        Some(utc("2026-03-08 07:00")?)
    );
    assert_eq!(
        cal.local_instant(date("2026-03-08")?, hm(2, 30)),
        Some(utc("2026-03-08 07:00")?)
    );
    // ambiguous local times take the earlier instant
    assert_eq!(
        cal.local_instant(date("2026-11-01")?, hm(1, 30)),
        Some(utc("2026-11-01 05:30")?)
    );
    // next_clock sees both occurrences of an ambiguous clock time
    let open = Calendar::always_open(ny());
    assert_eq!(
        open.next_clock(utc("2026-11-01 04:00")?, hm(1, 30)),
        Some(utc("2026-11-01 05:30")?)
    );
    assert_eq!(
        open.next_clock(utc("2026-11-01 05:45")?, hm(1, 30)),
        Some(utc("2026-11-01 06:30")?)
    );
    assert_eq!(
        open.next_clock(utc("2026-11-01 06:45")?, hm(1, 30)),
        Some(utc("2026-11-02 06:30")?)
    );
    // a clock time inside the gap maps to the first valid instant after it
    assert_eq!(
        open.next_clock(utc("2026-03-08 05:00")?, hm(2, 30)),
        Some(utc("2026-03-08 07:00")?)
    );
    assert_eq!(open.next_clock(utc("2026-03-08 05:00")?, 1440), None);
    Ok(())
}

// ----- schedule -------------------------------------------------------------------------

#[test]
fn schedule_applies_delay_clock_and_window() -> R {
    let cal = china()?;
    let s = |from: &str, delay: Delay, at_clock: Option<u32>| -> Result<String, String> {
        Ok(label(
            &cal,
            cal.schedule(
                at(&cal, from)?,
                Timing {
                    delay,
                    at_clock,
                    weekdays: 0,
                },
            ),
        ))
    };
    assert_eq!(
        s("2026-03-09 10:00", Delay::Zero, None)?,
        "2026-03-09 10:00 (Mon)"
    );
    assert_eq!(
        s("2026-03-14 10:00", Delay::Zero, None)?,
        "2026-03-16 09:00 (Mon)"
    );
    assert_eq!(
        s("2026-03-09 11:45", Delay::Wall { minutes: 30 }, None)?,
        "2026-03-09 13:30 (Mon)"
    );
    assert_eq!(
        s("2026-03-09 15:00", Delay::BusinessDays(2), Some(hm(10, 0)))?,
        "2026-03-12 10:00 (Thu)"
    );
    assert_eq!(
        s("2026-03-09 08:00", Delay::BusinessDays(2), Some(hm(10, 0)))?,
        "2026-03-11 10:00 (Wed)"
    );
    assert_eq!(
        s("2026-03-09 11:00", Delay::BusinessMinutes(60), None)?,
        "2026-03-09 13:30 (Mon)"
    );
    // the clock time lands on a Saturday: moved to Monday's opening
    assert_eq!(
        s("2026-03-13 10:00", Delay::Zero, Some(hm(7, 0)))?,
        "2026-03-16 09:00 (Mon)"
    );
    assert_eq!(
        s("2026-09-30 10:00", Delay::BusinessDays(1), Some(hm(9, 30)))?,
        "2026-10-09 09:30 (Fri)"
    );
    Ok(())
}

#[test]
fn timing_serde_derives_exist() -> R {
    fn assert_serde<T: serde::Serialize + for<'de> serde::Deserialize<'de>>() {}
    assert_serde::<Timing>();
    assert_serde::<Delay>();
    Ok(())
}

// ----- worst case -----------------------------------------------------------------------

#[test]
fn worst_case_two_business_days_straddles_national_day() -> R {
    let cal = china()?;
    let year = (date("2026-01-01")?, date("2026-12-31")?);
    let timing = Timing::after(Delay::BusinessDays(2));
    let w = cal.worst_case(timing, Starts::OpenMoments, Measure::Wall, year);
    let w = w.ok_or("no worst case")?;
    // Tue 29 Sep: the next two working days are Wed 30 Sep and Thu 8 Oct
    assert_eq!(cal.local_label(w.from), "2026-09-29 09:00 (Tue)");
    assert_eq!(cal.local_label(w.to), "2026-10-08 09:00 (Thu)");
    assert_eq!(w.minutes, 9 * 1440);
    assert_eq!(cal.schedule(w.from, timing), Some(w.to));

    // any moment: an entry on Mon 28 Sep at 18:00 (closed) + 2 working days = Wed 30 Sep 18:00,
    // closed, and the holiday week follows -> Thu 8 Oct 09:00
    let w = cal.worst_case(timing, Starts::AnyMoment, Measure::Wall, year);
    let w = w.ok_or("no worst case")?;
    assert_eq!(cal.local_label(w.from), "2026-09-28 18:00 (Mon)");
    assert_eq!(cal.local_label(w.to), "2026-10-08 09:00 (Thu)");
    assert_eq!(w.minutes, 9 * 1440 + 15 * 60);

    // measured in business time the holiday costs nothing: always exactly 2 working days
    let w = cal.worst_case(timing, Starts::OpenMoments, Measure::Business, year);
    let w = w.ok_or("no worst case")?;
    assert_eq!(w.minutes, 2 * 450);
    assert_eq!(cal.local_label(w.from), "2026-01-01 09:00 (Thu)");
    assert_eq!(cal.local_label(w.to), "2026-01-05 09:00 (Mon)");
    Ok(())
}

#[test]
fn worst_case_four_business_hours_any_moment() -> R {
    let cal = china()?;
    let window = (date("2026-01-05")?, date("2026-01-11")?);
    let four_hours = Delay::BusinessMinutes(240);
    let w = cal.worst_case(
        Timing::after(four_hours),
        Starts::AnyMoment,
        Measure::Business,
        window,
    );
    let w = w.ok_or("no worst case")?;
    assert_eq!(w.minutes, 240);
    assert_eq!(cal.local_label(w.from), "2026-01-05 00:00 (Mon)");
    assert_eq!(cal.local_label(w.to), "2026-01-05 14:30 (Mon)");

    // with a 09:00 send time: the worst start makes the 4 hours end one minute after 09:00,
    // which then waits for the next day's 09:00
    let timing = Timing {
        delay: four_hours,
        at_clock: Some(hm(9, 0)),
        weekdays: 0,
    };
    let w = cal.worst_case(timing, Starts::AnyMoment, Measure::Business, window);
    let w = w.ok_or("no worst case")?;
    assert_eq!(w.minutes, 239 + 450);
    assert_eq!(cal.local_label(w.from), "2026-01-05 14:01 (Mon)");
    assert_eq!(cal.local_label(w.to), "2026-01-07 09:00 (Wed)");

    // wall measure, any moment, over the holiday: Wed 30 Sep 17:00 + 4 h ends at 12:00 on
    // 8 Oct (closing for lunch) and waits for 13:30
    let w = cal.worst_case(
        Timing::after(four_hours),
        Starts::AnyMoment,
        Measure::Wall,
        (date("2026-09-01")?, date("2026-10-31")?),
    );
    let w = w.ok_or("no worst case")?;
    assert_eq!(cal.local_label(w.from), "2026-09-30 17:00 (Wed)");
    assert_eq!(cal.local_label(w.to), "2026-10-08 13:30 (Thu)");
    assert_eq!(w.minutes, 8 * 1440 - 210);
    Ok(())
}

#[test]
fn worst_case_wall_delay_hits_the_closing_preimage() -> R {
    // 7 wall minutes: the start at 11:53 lands on 12:00 (closed) and waits for 13:30;
    // a 15-minute grid alone would miss it
    let cal = china()?;
    let window = (date("2026-03-09")?, date("2026-03-09")?);
    let w = cal.worst_case(
        Timing::after(Delay::Wall { minutes: 7 }),
        Starts::OpenMoments,
        Measure::Wall,
        window,
    );
    let w = w.ok_or("no worst case")?;
    assert_eq!(cal.local_label(w.from), "2026-03-09 17:53 (Mon)");
    assert_eq!(cal.local_label(w.to), "2026-03-10 09:00 (Tue)");
    assert_eq!(w.minutes, 15 * 60 + 7);
    Ok(())
}

#[test]
fn worst_case_none_cases() -> R {
    let mut no_days = china()?;
    no_days.workdays = [false; 7];
    no_days.makeup_workdays.clear();
    let year = (date("2026-01-01")?, date("2026-12-31")?);
    let t = Timing::after(Delay::BusinessDays(2));
    assert_eq!(
        no_days.worst_case(t, Starts::AnyMoment, Measure::Wall, year),
        None
    );
    assert_eq!(
        no_days.worst_case(t, Starts::OpenMoments, Measure::Wall, year),
        None
    );
    let cal = china()?;
    let reversed = (date("2026-12-31")?, date("2026-01-01")?);
    assert_eq!(
        cal.worst_case(t, Starts::AnyMoment, Measure::Wall, reversed),
        None
    );
    Ok(())
}

#[test]
fn worst_case_across_dst_is_exact() -> R {
    // Mon..Fri 09:00-17:00 in New York, 1 business day from any moment, wall time:
    // Thursday 17:00 + 1 day = Friday 17:00 (closed) -> Monday 09:00: 88 h less the lost hour
    // (Friday 17:00 -> Tuesday 09:00 is as long, but later)
    let ny5 = Calendar::mon_fri(ny(), vec![(hm(9, 0), hm(17, 0))]);
    let t = Timing::after(Delay::BusinessDays(1));
    let w = ny5.worst_case(
        t,
        Starts::AnyMoment,
        Measure::Wall,
        (date("2026-03-02")?, date("2026-03-08")?),
    );
    let w = w.ok_or("no worst case")?;
    assert_eq!(ny5.local_label(w.from), "2026-03-05 17:00 (Thu)");
    assert_eq!(ny5.local_label(w.to), "2026-03-09 09:00 (Mon)");
    assert_eq!(w.minutes, 87 * 60);
    Ok(())
}

#[test]
fn worst_case_over_a_year_is_fast_enough() -> R {
    let cal = china()?;
    let year = (date("2026-01-01")?, date("2026-12-31")?);
    let start = std::time::Instant::now();
    let w = cal.worst_case(
        Timing::after(Delay::BusinessMinutes(240)),
        Starts::AnyMoment,
        Measure::Wall,
        year,
    );
    assert!(w.is_some());
    // generous bound for debug builds; release is far below 50 ms
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
    Ok(())
}

/// The worst case by brute force: every UTC minute of the window (both occurrences of
/// repeated local times included).
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
        t += chrono::TimeDelta::minutes(1);
    }
    best
}

#[test]
fn worst_case_agrees_with_brute_force_across_dst() -> R {
    let mut night = every_day(
        ny(),
        vec![(0, hm(1, 30)), (hm(1, 0), hm(3, 20)), (hm(22, 0), 1440)],
    );
    night.workdays = [true, true, true, true, true, true, false];
    let mut berlin_china = china()?;
    berlin_china.tz = berlin();
    let cases = [
        (
            &night,
            Timing {
                delay: Delay::BusinessMinutes(37),
                at_clock: Some(hm(1, 30)),
                weekdays: 0,
            },
            Starts::AnyMoment,
            Measure::Wall,
            (date("2026-10-30")?, date("2026-11-02")?),
        ),
        (
            &night,
            Timing {
                delay: Delay::BusinessDays(1),
                at_clock: None,
                weekdays: 0,
            },
            Starts::OpenMoments,
            Measure::Business,
            (date("2026-03-06")?, date("2026-03-09")?),
        ),
        (
            &berlin_china,
            Timing {
                delay: Delay::Wall { minutes: 7 },
                at_clock: Some(hm(10, 0)),
                weekdays: 0,
            },
            Starts::AnyMoment,
            Measure::Business,
            (date("2026-03-26")?, date("2026-03-30")?),
        ),
    ];
    for (cal, timing, starts, measure, window) in cases {
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
fn out_of_range_inputs_do_not_panic() -> R {
    let cal = china()?;
    let t = at(&cal, "2026-03-09 10:00")?;
    assert_eq!(cal.next_clock(t, u32::MAX), None);
    let timing = Timing {
        delay: Delay::Wall { minutes: u64::MAX },
        at_clock: Some(u32::MAX),
        weekdays: 0,
    };
    assert_eq!(cal.schedule(t, timing), None);
    let window = (date("2026-03-09")?, date("2026-03-10")?);
    assert_eq!(
        cal.worst_case(timing, Starts::OpenMoments, Measure::Wall, window),
        None
    );
    let odd = Calendar {
        hours: vec![
            (hm(13, 30), hm(18, 0)),
            (hm(9, 0), hm(12, 0)),
            (hm(11, 0), 5000),
            (900, 100),
        ],
        ..china()?
    };
    // unsorted, overlapping and invalid ranges are normalized: 09:00..24:00
    assert_eq!(
        odd.business_minutes_between(at(&odd, "2026-03-09 00:00")?, at(&odd, "2026-03-10 00:00")?),
        15 * 60
    );
    assert_eq!(cal.add_business_days(t, u32::MAX), None);
    Ok(())
}

/// Five weeks hold repeated weeks (which the analysis folds), a holiday week, a make-up Saturday
/// and a DST change: the worst case still equals the minute-by-minute scan.
#[test]
fn worst_case_over_weeks_with_repeats_agrees_with_brute_force() -> R {
    let mut cal = china()?;
    cal.tz = berlin();
    cal.holidays = dates("2026-04-03", "2026-04-06")?;
    cal.makeup_workdays = [date("2026-04-11")?].into_iter().collect();
    let window = (date("2026-03-09")?, date("2026-04-19")?);
    let cases = [
        (
            Timing::after(Delay::BusinessDays(2)),
            Starts::OpenMoments,
            Measure::Wall,
        ),
        (
            Timing::after(Delay::Wall { minutes: 2 * 1440 }),
            Starts::AnyMoment,
            Measure::Business,
        ),
        (
            Timing {
                delay: Delay::BusinessMinutes(300),
                at_clock: Some(hm(10, 0)),
                weekdays: 0,
            },
            Starts::OpenMoments,
            Measure::Wall,
        ),
        (Timing::after(Delay::Zero), Starts::AnyMoment, Measure::Wall),
    ];
    for (timing, starts, measure) in cases {
        let got = cal
            .worst_case(timing, starts, measure, window)
            .map(|w| (w.minutes, cal.local_label(w.from)));
        let want = brute_worst(&cal, timing, starts, measure, window);
        assert!(want.is_some());
        assert_eq!(got, want, "{timing:?} {starts:?} {measure:?}");
    }
    Ok(())
}
