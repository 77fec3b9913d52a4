//! Business calendar engine.
//!
//! A [`Calendar`] describes when a sales team is "open": business hours (local wall-clock
//! ranges) on working days in an IANA time zone, with holidays and make-up working days
//! (调休: a weekend date that is a working day).
//!
//! All computations are exact across daylight-saving changes:
//!
//! * Hours ranges are local wall-clock times. A local time that does not exist (the
//!   spring-forward gap) maps to the first valid instant after it (the transition instant);
//!   an ambiguous local time (fall-back) maps to the earlier instant.
//! * Business minutes are real elapsed minutes: a `01:00..03:00` range on a fall-back day is
//!   three real hours, on a spring-forward day one real hour.
//! * [`Calendar::add_business_days`] keeps the local clock time, so across a DST change the
//!   wall-clock gap is a multiple of 24 h plus or minus one hour.
//!
//! Nothing loops per minute: the engine walks day by day and range by range. Every search is
//! bounded: [`SEARCH_DAYS`] (about 10 years) without any open time ends a search with `None`, and
//! no walk goes further than [`MAX_WALK_DAYS`] (about 100 years).

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};

mod day_ivs;
mod fold;
#[cfg(test)]
mod fold_tests;
mod timeline;
mod worst;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use timeline::{day_of, from_ns, to_ns, DayCache, Timeline, ZoneDays};

/// A search for the next open time gives up after this many days without any open time.
pub const SEARCH_DAYS: u32 = 3660;

/// No walk over the calendar (counting business days or minutes) goes further than this many
/// days; a result further away is reported as `None`.
pub const MAX_WALK_DAYS: u32 = 36_600;

/// Minutes in a day; `24:00` may end a business-hours range.
pub const MINUTES_PER_DAY: u32 = 1440;

/// Working days Monday to Friday (index = `Weekday::num_days_from_monday()`).
pub const MON_FRI: [bool; 7] = [true, true, true, true, true, false, false];

/// A business calendar: working days and business hours in a time zone. Equal calendars (same
/// zone, days, hours and dates, whatever their names) give equal answers to every query.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Calendar {
    pub tz: chrono_tz::Tz,
    /// index = Weekday::num_days_from_monday()
    pub workdays: [bool; 7],
    /// business hours as local minutes from midnight, half-open [start, end); sorted,
    /// non-overlapping, end <= 1440 (24:00 may end a range). Empty = no hours (treat as closed).
    ///
    /// The engine is tolerant: it sorts and merges ranges, clamps ends to 1440 and ignores
    /// empty ranges.
    pub hours: Vec<(u32, u32)>,
    pub holidays: BTreeSet<NaiveDate>,
    /// weekend dates that are working days; a make-up day overrides a non-working weekday
    /// (and wins over a holiday listing of the same date)
    pub makeup_workdays: BTreeSet<NaiveDate>,
}

/// How long to wait before a touch. `Timing` = delay, then optionally the next given local clock time.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
pub enum Delay {
    /// no delay
    Zero,
    /// real elapsed minutes, regardless of the calendar
    Wall { minutes: u64 },
    /// working days, keeping the local clock time (see [`Calendar::add_business_days`])
    BusinessDays(u32),
    /// minutes inside business hours (see [`Calendar::add_business_minutes`])
    BusinessMinutes(u64),
}

/// When a touch happens relative to the previous event: the delay, then either the next local
/// clock time `at_clock`, or (with `weekdays`) a weekday anchor: the first listed weekday that is a
/// working day, at `at_clock`, at or after the delayed instant and later than the reference.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
pub struct Timing {
    pub delay: Delay,
    /// local minute of day
    pub at_clock: Option<u32>,
    /// weekday anchor: bit i set for weekday i (Monday = 0); 0 = none
    #[serde(default, skip_serializing_if = "no_weekdays")]
    pub weekdays: u8,
}

fn no_weekdays(w: &u8) -> bool {
    *w == 0
}

impl Timing {
    /// A timing with the given delay and no clock time.
    pub fn after(delay: Delay) -> Timing {
        Timing {
            delay,
            at_clock: None,
            weekdays: 0,
        }
    }

    /// The delay, then the next local `minute_of_day`.
    pub fn at(delay: Delay, minute_of_day: u32) -> Timing {
        Timing {
            delay,
            at_clock: Some(minute_of_day),
            weekdays: 0,
        }
    }

    /// The delay, then the next working day among `weekdays` (bit i = weekday i from Monday)
    /// at local `minute_of_day`, later than the reference instant.
    pub fn anchor(delay: Delay, weekdays: u8, minute_of_day: u32) -> Timing {
        Timing {
            delay,
            at_clock: Some(minute_of_day),
            weekdays,
        }
    }

    /// Whether this is a weekday anchor.
    pub fn is_anchor(&self) -> bool {
        self.weekdays != 0
    }
}

/// The bit of a weekday in [`Timing::weekdays`].
pub fn weekday_bit(d: chrono::Weekday) -> u8 {
    1 << d.num_days_from_monday()
}

/// Which start instants a worst-case analysis ranges over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Starts {
    /// touch times: only instants when the calendar is open
    OpenMoments,
    /// any instant, e.g. a stage entry at 23:00 Saturday
    AnyMoment,
}

/// How a worst-case delay is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    /// real elapsed minutes
    Wall,
    /// only minutes inside business hours on working days
    Business,
}

/// The worst case found by [`Calendar::worst_case`].
#[derive(Debug, Clone, PartialEq)]
pub struct WorstCase {
    /// the delay, in whole minutes of the requested measure
    pub minutes: u64,
    /// the start instant that produces it
    pub from: DateTime<Utc>,
    /// when the touch then happens
    pub to: DateTime<Utc>,
}

impl Calendar {
    /// Open every minute of every day, in the given zone.
    pub fn always_open(tz: chrono_tz::Tz) -> Calendar {
        Calendar {
            tz,
            workdays: [true; 7],
            hours: vec![(0, MINUTES_PER_DAY)],
            holidays: BTreeSet::new(),
            makeup_workdays: BTreeSet::new(),
        }
    }

    /// Monday to Friday with the given hours, no holidays.
    pub fn mon_fri(tz: chrono_tz::Tz, hours: Vec<(u32, u32)>) -> Calendar {
        Calendar {
            tz,
            workdays: MON_FRI,
            hours,
            holidays: BTreeSet::new(),
            makeup_workdays: BTreeSet::new(),
        }
    }

    /// A make-up day is a working day; otherwise a holiday is not; otherwise the weekday decides.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.makeup_workdays.contains(&d) {
            return true;
        }
        if self.holidays.contains(&d) {
            return false;
        }
        let idx = d.weekday().num_days_from_monday() as usize;
        self.workdays.get(idx).copied().unwrap_or(false)
    }

    /// Whether `t` lies inside business hours of a working day.
    pub fn is_open(&self, t: DateTime<Utc>) -> bool {
        Timeline::new(self).is_open(to_ns(t))
    }

    /// `t` itself if open, else the next instant business hours open; `None` if none within
    /// [`SEARCH_DAYS`] days.
    pub fn next_opening(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        Timeline::new(self).next_opening(to_ns(t)).and_then(from_ns)
    }

    /// `n` working days later at the same local clock time, moved forward to the next opening if
    /// closed then.
    ///
    /// The result is the `n`-th working day after the local date of `t`, whatever kind of day
    /// `t` falls on: Saturday 10:00 + 1 business day = Monday 10:00, Friday 18:30 + 1 = Monday
    /// 18:30, which is closed, so Tuesday 09:00. With `n == 0` the result is `next_opening(t)` on
    /// a working day, and the next working day's same clock (moved to the next opening) otherwise.
    ///
    /// The local clock time is kept exactly (seconds included); if it does not exist on the
    /// target date (DST gap) the first valid instant after it is used, if it is ambiguous the
    /// earlier one.
    pub fn add_business_days(&self, t: DateTime<Utc>, n: u32) -> Option<DateTime<Utc>> {
        Timeline::new(self)
            .add_business_days(to_ns(t), n)
            .and_then(from_ns)
    }

    /// Counts only minutes inside business hours on working days (real elapsed time); the result
    /// is the instant the `n`-th minute ends. That instant may be a closing time (e.g. 12:00 for
    /// a range ending at 12:00): it is not moved to the next opening. `n == 0` returns `t`.
    pub fn add_business_minutes(&self, t: DateTime<Utc>, n: u64) -> Option<DateTime<Utc>> {
        Timeline::new(self)
            .add_business_minutes(to_ns(t), n)
            .and_then(from_ns)
    }

    /// Whole business minutes (real elapsed time inside business hours) in `[a, b)`, rounded
    /// down; 0 if `b <= a`.
    pub fn business_minutes_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> u64 {
        Timeline::new(self).business_minutes_between(to_ns(a), to_ns(b))
    }

    /// Next instant `>= t` whose local clock is `minute_of_day` (both occurrences of an
    /// ambiguous clock time count; a clock time inside a DST gap maps to the first valid instant
    /// after it). `None` if `minute_of_day >= 1440`.
    pub fn next_clock(&self, t: DateTime<Utc>, minute_of_day: u32) -> Option<DateTime<Utc>> {
        Timeline::new(self)
            .next_clock(to_ns(t), minute_of_day)
            .and_then(from_ns)
    }

    /// The first instant `>= x` and later than `from` at local `minute_of_day` on a working day
    /// whose weekday bit is in `weekdays` (the anchor part of [`Calendar::schedule`]).
    pub fn next_anchor(
        &self,
        from: DateTime<Utc>,
        x: DateTime<Utc>,
        weekdays: u8,
        minute_of_day: u32,
    ) -> Option<DateTime<Utc>> {
        Timeline::new(self)
            .next_anchor(to_ns(from), to_ns(x), weekdays, minute_of_day)
            .and_then(from_ns)
    }

    /// When a touch scheduled with `timing` from `from` actually happens:
    /// apply the delay, then `at_clock` if any, then [`Calendar::next_opening`]
    /// (send window; no catch-up).
    pub fn schedule(&self, from: DateTime<Utc>, timing: Timing) -> Option<DateTime<Utc>> {
        Timeline::new(self)
            .schedule(to_ns(from), timing)
            .and_then(from_ns)
    }

    /// The worst case of `schedule(from, timing) - from`, measured per `measure`, over start
    /// instants `from` of kind `starts` between `window.0` 00:00 and `window.1` 24:00 local.
    ///
    /// Sampling is deterministic, at whole local minutes. Each date is sampled
    /// * [`Starts::OpenMoments`]: on working days at every range start, every 15 minutes after it,
    ///   and one minute before the range end; at `at_clock` and one minute after it when that
    ///   lies inside a range;
    /// * [`Starts::AnyMoment`]: every 15 minutes of the whole day, at 23:59, and at each range
    ///   boundary and `at_clock` minus/plus one minute;
    ///
    /// plus, for `Wall` and `BusinessMinutes` delays, at the preimages of every range boundary
    /// and `at_clock` instant under the delay (the start whose delayed instant hits the
    /// boundary) and one minute after them, which is where the delay function jumps. Both
    /// occurrences of ambiguous local times are sampled. Starts that are not open are dropped
    /// for `OpenMoments`.
    ///
    /// Returns the first maximum in time order. `None` if a schedule fails, if there is no start
    /// instant, or if the window is reversed or longer than [`MAX_WALK_DAYS`].
    pub fn worst_case(
        &self,
        timing: Timing,
        starts: Starts,
        measure: Measure,
        window: (NaiveDate, NaiveDate),
    ) -> Option<WorstCase> {
        worst::worst_case(
            self,
            None,
            None,
            timing,
            starts,
            measure,
            window,
            worst::Mode::Fold,
        )
    }

    /// The instant of local date `d` at local `minute_of_day` (0..=1440; 1440 is the next day's
    /// midnight). A non-existent local time maps to the first valid instant after it, an
    /// ambiguous one to the earlier instant.
    pub fn local_instant(&self, d: NaiveDate, minute_of_day: u32) -> Option<DateTime<Utc>> {
        Timeline::new(self)
            .resolve_min(day_of(d), minute_of_day)
            .and_then(from_ns)
    }

    /// `t` in the calendar's zone as `YYYY-MM-DD HH:MM (Ddd)`, e.g. `2026-10-01 09:00 (Thu)`.
    pub fn local_label(&self, t: DateTime<Utc>) -> String {
        self.tz
            .from_utc_datetime(&t.naive_utc())
            .format("%Y-%m-%d %H:%M (%a)")
            .to_string()
    }
}

/// Work that worst cases on many calendars share, from any thread: the midnights of a time zone
/// over a range of dates, and folds of repeated dates (see `worst.rs`). Answers never depend on
/// what a memo holds.
#[derive(Default)]
pub struct Memo {
    folds: fold::FoldMemo,
    zones: Mutex<HashMap<(chrono_tz::Tz, i32, i32), Arc<ZoneDays>>>,
}

/// A calendar with its days precomputed over a range of dates, shared by every worst case asked
/// of it (the checker keeps one per distinct calendar). Answers equal [`Calendar::worst_case`]'s;
/// a query that needs dates outside the range precomputes its own.
pub struct Prepared {
    cal: Calendar,
    days: Option<DayCache>,
}

impl Prepared {
    /// Precomputes the dates `first..=last` of `cal`, with the zone's midnights from `memo`.
    pub fn new(cal: Calendar, first: NaiveDate, last: NaiveDate, memo: &Memo) -> Prepared {
        let (a, b) = (day_of(first), day_of(last));
        let zone = {
            let mut zones = memo.zones.lock().unwrap_or_else(|e| e.into_inner());
            match zones.get(&(cal.tz, a, b)) {
                Some(z) => Some(Arc::clone(z)),
                None => Timeline::new(&cal).zone_days(a, b).map(|z| {
                    let z = Arc::new(z);
                    zones.insert((cal.tz, a, b), Arc::clone(&z));
                    z
                }),
            }
        };
        let days = zone.and_then(|z| Timeline::build(&cal, z));
        Prepared { cal, days }
    }

    pub fn calendar(&self) -> &Calendar {
        &self.cal
    }

    /// [`Calendar::worst_case`] on the precomputed dates, with the folds of earlier queries in
    /// `memo` (which learns this query's).
    pub fn worst_case(
        &self,
        memo: &Memo,
        timing: Timing,
        starts: Starts,
        measure: Measure,
        window: (NaiveDate, NaiveDate),
    ) -> Option<WorstCase> {
        worst::worst_case(
            &self.cal,
            self.days.as_ref(),
            Some(&memo.folds),
            timing,
            starts,
            measure,
            window,
            worst::Mode::Fold,
        )
    }
}
