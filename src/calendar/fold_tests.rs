//! Folding and the shared memo give the same worst cases as scheduling every date, on generated
//! calendars (zones with DST, half-hour shifts and midnight changes; holidays, make-up days,
//! odd hours) and timings.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::worst::{worst_case, Mode, EVALUATED};
use super::{Calendar, Delay, Measure, Memo, Prepared, Starts, Timing, WorstCase};

/// A small deterministic generator (splitmix64), so that failures reproduce.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const ZONES: [chrono_tz::Tz; 8] = [
    chrono_tz::UTC,
    chrono_tz::Asia::Shanghai,
    chrono_tz::Europe::Berlin,
    chrono_tz::America::New_York,
    chrono_tz::Australia::Lord_Howe, // DST shifts by 30 minutes
    chrono_tz::America::Havana,      // changes at midnight
    chrono_tz::America::Santiago,    // southern DST, changes at midnight
    chrono_tz::Asia::Tehran,
];

fn date(y: i32, ordinal: u64) -> NaiveDate {
    NaiveDate::from_yo_opt(y, 1 + (ordinal % 365) as u32).unwrap_or_default()
}

fn hours(g: &mut Gen) -> Vec<(u32, u32)> {
    match g.below(5) {
        0 => vec![(540, 720), (810, 1080)],
        1 => vec![(0, 1440)],
        2 => vec![(0, 90), (60, 200), (1320, 1440)], // overlapping, open across midnight
        3 => vec![(120, 180)],                       // inside a DST gap on change days
        _ => {
            let s = 15 * g.below(60) as u32;
            vec![(s, (s + 30 + 15 * g.below(40) as u32).min(1440))]
        }
    }
}

fn calendar(g: &mut Gen, hours: Vec<(u32, u32)>) -> Calendar {
    let mut workdays = [false; 7];
    for (i, w) in workdays.iter_mut().enumerate() {
        *w = i < 5 || g.below(4) == 0;
    }
    let holidays: BTreeSet<NaiveDate> = (0..g.below(25))
        .flat_map(|_| {
            let start = g.below(365);
            let len = 1 + g.below(8);
            (start..start + len)
                .map(|d| date(2026, d))
                .collect::<Vec<_>>()
        })
        .collect();
    let makeup = (0..g.below(6)).map(|_| date(2026, g.below(365))).collect();
    Calendar {
        tz: ZONES[g.below(ZONES.len() as u64) as usize],
        workdays,
        hours,
        holidays,
        makeup_workdays: makeup,
    }
}

fn timing(g: &mut Gen) -> Timing {
    let delay = match g.below(6) {
        0 => Delay::Zero,
        1 => Delay::Wall {
            minutes: 1 + g.below(12 * 1440),
        },
        2 | 3 => Delay::BusinessDays(g.below(7) as u32),
        _ => Delay::BusinessMinutes(1 + g.below(3000)),
    };
    match g.below(4) {
        // a weekday anchor: one or more weekdays at a clock time
        0 => Timing::anchor(delay, 1 + g.below(127) as u8, g.below(1440) as u32),
        _ => Timing {
            delay,
            at_clock: (g.below(3) == 0).then(|| g.below(1440) as u32),
            weekdays: 0,
        },
    }
}

fn every_date(
    cal: &Calendar,
    t: Timing,
    s: Starts,
    m: Measure,
    w: (NaiveDate, NaiveDate),
) -> Option<WorstCase> {
    worst_case(cal, None, None, t, s, m, w, Mode::EveryDate)
}

/// The result and the number of groups scheduled.
fn counted(f: impl FnOnce() -> Option<WorstCase>) -> (Option<WorstCase>, usize) {
    EVALUATED.with(|c| c.set(0));
    let r = f();
    (r, EVALUATED.with(|c| c.get()))
}

#[test]
fn folding_and_the_memo_change_no_worst_case() {
    let mut g = Gen(9);
    let memo = Memo::default();
    let (first, last) = (date(2025, 300), date(2027, 120));
    let (mut every, mut alone, mut shared) = (0, 0, 0);
    for case in 0..48 {
        let h = hours(&mut g);
        // calendars that share hours share folds through the memo
        let cals: Vec<Calendar> = (0..2).map(|_| calendar(&mut g, h.clone())).collect();
        let t = timing(&mut g);
        let starts = if g.below(2) == 0 {
            Starts::OpenMoments
        } else {
            Starts::AnyMoment
        };
        let measure = if g.below(2) == 0 {
            Measure::Wall
        } else {
            Measure::Business
        };
        let w = (date(2026, g.below(60)), date(2026, 200 + g.below(165)));
        for cal in &cals {
            let what = format!("case {case}: {cal:?} {t:?} {starts:?} {measure:?} {w:?}");
            let (want, n) = counted(|| every_date(cal, t, starts, measure, w));
            every += n;
            let (got, n) = counted(|| cal.worst_case(t, starts, measure, w));
            alone += n;
            assert_eq!(got, want, "{what}");
            let prepared = Prepared::new(cal.clone(), first, last, &memo);
            let (got, n) = counted(|| prepared.worst_case(&memo, t, starts, measure, w));
            shared += n;
            assert_eq!(got, want, "{what} (memo)");
        }
    }
    // folding must happen, or this test proves nothing (random holidays repeat little; the
    // shared memo's savings are shown by the tests below)
    assert!(
        alone * 2 < every && shared * 2 < every,
        "{every} {alone} {shared}"
    );
}

#[test]
fn a_second_calendar_with_the_same_hours_reuses_the_first_ones_folds() {
    let memo = Memo::default();
    let hours = vec![(540, 720), (810, 1080)];
    let holidays: BTreeSet<NaiveDate> = [(40, 9), (120, 5), (267, 3), (273, 7)]
        .iter()
        .flat_map(|&(d, n)| (d..d + n).map(|d| date(2026, d)))
        .collect();
    let mut shanghai = Calendar::mon_fri(chrono_tz::Asia::Shanghai, hours.clone());
    shanghai.holidays = holidays.clone();
    // another zone without DST, and one more holiday
    let mut tokyo = Calendar::mon_fri(chrono_tz::Asia::Tokyo, hours);
    tokyo.holidays = holidays;
    tokyo.holidays.insert(date(2026, 64));
    let (first, last) = (date(2025, 300), date(2027, 120));
    let w = (date(2026, 0), date(2026, 364));
    let t = Timing::after(Delay::BusinessDays(3));
    let mut counts = Vec::new();
    for cal in [&shanghai, &tokyo] {
        let p = Prepared::new(cal.clone(), first, last, &memo);
        let (got, n) = counted(|| p.worst_case(&memo, t, Starts::OpenMoments, Measure::Wall, w));
        counts.push(n);
        assert_eq!(
            got,
            every_date(cal, t, Starts::OpenMoments, Measure::Wall, w)
        );
    }
    // Tokyo repeats Shanghai's dates but around its own holiday
    assert!(counts[1] * 2 < counts[0], "{counts:?}");
}

#[test]
fn a_calendar_in_the_same_zone_reuses_the_dst_days_of_another() {
    let memo = Memo::default();
    let hours = vec![(510, 750), (810, 1020)];
    let mut a = Calendar::mon_fri(chrono_tz::Europe::Berlin, hours.clone());
    a.holidays.insert(date(2026, 120));
    let mut b = Calendar::mon_fri(chrono_tz::Europe::Berlin, hours);
    b.holidays.insert(date(2026, 200));
    let (first, last) = (date(2025, 300), date(2027, 120));
    let w = (date(2026, 0), date(2026, 364));
    let t = Timing::after(Delay::Wall { minutes: 5 * 1440 });
    let mut counts = Vec::new();
    for cal in [&a, &b] {
        let p = Prepared::new(cal.clone(), first, last, &memo);
        let (got, n) = counted(|| p.worst_case(&memo, t, Starts::OpenMoments, Measure::Wall, w));
        counts.push(n);
        assert_eq!(
            got,
            every_date(cal, t, Starts::OpenMoments, Measure::Wall, w)
        );
    }
    assert!(counts[1] * 2 < counts[0], "{counts:?}");
}
