//! The engine behind [`Calendar`]: open intervals per local date and the walks over them.
//!
//! Internally instants are [`Ns`] (nanoseconds since the Unix epoch, `i128`, so any
//! `DateTime<Utc>` converts exactly) and local dates are [`Day`] numbers (days from the Common
//! Era). A [`Timeline`] can precompute a range of dates (open intervals, local midnights, which
//! days have a single UTC offset); inside that range local-time conversions are plain
//! arithmetic, which makes the many schedules of a worst-case analysis cheap. Outside it, or
//! without a cache, conversions go through `chrono-tz`.

use std::ops::Deref;
use std::sync::Arc;

use chrono::{
    DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone,
    Timelike, Utc,
};

use super::day_ivs::DayIvs;
use super::{Calendar, Delay, Timing, MAX_WALK_DAYS, MINUTES_PER_DAY, SEARCH_DAYS};

/// An instant: nanoseconds since 1970-01-01 00:00 UTC.
pub(super) type Ns = i128;
/// A local date: days from the Common Era (`NaiveDate::num_days_from_ce`).
pub(super) type Day = i32;

pub(super) const NS_PER_SEC: Ns = 1_000_000_000;
pub(super) const NS_PER_MIN: Ns = 60 * NS_PER_SEC;
const NS_PER_DAY: Ns = 86_400 * NS_PER_SEC;

/// A half-open open interval `[start, end)`, `start < end`.
pub(super) type Iv = (Ns, Ns);

/// `ns / NS_PER_MIN` (truncating, like `/`), in 64 bits when the value fits: 128-bit division
/// is slow and this runs for every sample of a worst case.
#[inline]
pub(super) fn whole_minutes(ns: Ns) -> Ns {
    match i64::try_from(ns) {
        Ok(x) => Ns::from(x / (NS_PER_MIN as i64)),
        Err(_) => ns / NS_PER_MIN,
    }
}

pub(super) fn to_ns(t: DateTime<Utc>) -> Ns {
    Ns::from(t.timestamp()) * NS_PER_SEC + Ns::from(t.timestamp_subsec_nanos())
}

pub(super) fn from_ns(n: Ns) -> Option<DateTime<Utc>> {
    let secs = i64::try_from(n.div_euclid(NS_PER_SEC)).ok()?;
    let nanos = u32::try_from(n.rem_euclid(NS_PER_SEC)).ok()?;
    DateTime::from_timestamp(secs, nanos)
}

pub(super) fn day_of(d: NaiveDate) -> Day {
    d.num_days_from_ce()
}

pub(super) fn date_of(d: Day) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(d)
}

/// A plain day's intervals are computed, not stored, when the hours have at most this many
/// ranges (a thousand calendars precomputed over two years stay small).
const INLINE_RANGES: usize = 4;

/// The days of a time zone from `first` on: what every calendar in the zone shares.
pub(super) struct ZoneDays {
    first: Day,
    /// `starts[i]` = the instant local date `first + i` begins; one more entry than days
    starts: Vec<Ns>,
    /// per day: one UTC offset all day long and exactly 24 h, so local clock = t - start
    uniform: Vec<bool>,
    /// no ambiguous midnight and `starts` non-decreasing: the local date of an instant in
    /// `starts[0] .. starts[last]` is found by binary search
    monotone: bool,
}

/// Precomputed data for the days `first .. first + working.len()`.
pub(super) struct DayCache {
    zone: Arc<ZoneDays>,
    /// per day: working day?
    working: Vec<bool>,
    /// per day: (offset into `ivs`, count); plain days keep none when `inline`
    spans: Vec<(usize, usize)>,
    ivs: Vec<Iv>,
    /// plain days' intervals are computed from their midnight ([`INLINE_RANGES`])
    inline: bool,
    /// per day, what a walk over it can see ([`Timeline::day_classes`])
    class: Vec<Class>,
}

impl Deref for DayCache {
    type Target = ZoneDays;
    fn deref(&self) -> &ZoneDays {
        &self.zone
    }
}

/// What a walk over a day can see of it: `0` a plain closed day and `1` a plain working day
/// (exactly 24 h on one UTC offset); any other day (a DST change, or any day of a zone with an
/// ambiguous midnight) is itself: `2 + 2 × (zone, date) + working`, equal only for the same date
/// in the same zone.
pub(super) type Class = u64;

fn special_class(tz: chrono_tz::Tz, d: Day, working: bool) -> Class {
    // 24 bits of date (any day of ±20,000 years) and the zone's index above them
    let date = Class::from((d as u32) & 0x00FF_FFFF);
    2 + 2 * (((tz as Class) << 24) | date) + Class::from(working)
}

impl DayCache {
    fn index(&self, d: Day) -> Option<usize> {
        usize::try_from(d.checked_sub(self.first)?)
            .ok()
            .filter(|&i| i < self.working.len())
    }
}

pub(super) struct Timeline<'a> {
    cal: &'a Calendar,
    /// normalized hours: sorted, merged, non-empty, end <= 1440
    hours: Vec<(u32, u32)>,
    /// the calendar can never be open (no hours or no working day at all)
    never_open: bool,
    cache: Cache<'a>,
}

/// A timeline's precomputed days: none, its own, or those of a [`super::Prepared`] calendar.
enum Cache<'a> {
    None,
    Own(DayCache),
    Shared(&'a DayCache),
}

fn normalize_hours(hours: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let mut v: Vec<(u32, u32)> = hours
        .iter()
        .map(|&(s, e)| (s, e.min(MINUTES_PER_DAY)))
        .filter(|&(s, e)| s < e)
        .collect();
    v.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::with_capacity(v.len());
    for (s, e) in v {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

impl<'a> Timeline<'a> {
    pub(super) fn new(cal: &'a Calendar) -> Timeline<'a> {
        let hours = normalize_hours(&cal.hours);
        let never_open = hours.is_empty()
            || (!cal.workdays.iter().any(|&w| w) && cal.makeup_workdays.is_empty());
        Timeline {
            cal,
            hours,
            never_open,
            cache: Cache::None,
        }
    }

    /// A timeline with the dates `first..=last` precomputed.
    pub(super) fn with_cache(cal: &'a Calendar, first: NaiveDate, last: NaiveDate) -> Timeline<'a> {
        let mut tl = Timeline::new(cal);
        if last >= first {
            if let Some(c) = tl.build_cache(day_of(first), day_of(last)) {
                tl.cache = Cache::Own(c);
            }
        }
        tl
    }

    /// A timeline over days precomputed earlier for the same calendar.
    pub(super) fn with_shared(cal: &'a Calendar, cache: &'a DayCache) -> Timeline<'a> {
        Timeline {
            cache: Cache::Shared(cache),
            ..Timeline::new(cal)
        }
    }

    /// Precomputes the dates of `zone` for `cal` (for [`Timeline::with_shared`]).
    pub(super) fn build(cal: &Calendar, zone: Arc<ZoneDays>) -> Option<DayCache> {
        Timeline::new(cal).build_on(zone)
    }

    fn cache(&self) -> Option<&DayCache> {
        match &self.cache {
            Cache::None => None,
            Cache::Own(c) => Some(c),
            Cache::Shared(c) => Some(c),
        }
    }

    /// Whether the dates `first..=last` are all precomputed.
    pub(super) fn covers(&self, first: Day, last: Day) -> bool {
        self.cache()
            .is_some_and(|c| c.index(first).is_some() && c.index(last).is_some())
    }

    /// What a walk can see of the days `first..=last`, one [`Class`] per day, or `None` when
    /// some of them are not precomputed. The answer of every query of this timeline (opening,
    /// schedule, business minutes) that only looks at plain days is plain arithmetic relative to
    /// their local midnights, given the hours; so two runs of days with equal classes give
    /// answers that differ by exactly the shift between their midnights (none when a day of the
    /// run is special: then they are the same dates in the same zone).
    pub(super) fn day_classes(&self, first: Day, last: Day) -> Option<&[Class]> {
        let c = self.cache()?;
        let (a, b) = (c.index(first)?, c.index(last)?);
        c.class.get(a..=b)
    }

    /// The classes of the precomputed days from `first` on.
    pub(super) fn classes_from(&self, first: Day) -> Option<&[Class]> {
        let c = self.cache()?;
        c.class.get(c.index(first)?..)
    }

    /// The instant local date `d` begins, when precomputed.
    pub(super) fn day_start(&self, d: Day) -> Option<Ns> {
        let c = self.cache()?;
        c.starts.get(c.index(d)?).copied()
    }

    /// The midnights of the local dates `first..=last` in the calendar's zone.
    pub(super) fn zone_days(&self, first: Day, last: Day) -> Option<ZoneDays> {
        let n = usize::try_from(last.checked_sub(first)?.checked_add(1)?).ok()?;
        let mut z = ZoneDays {
            first,
            starts: Vec::with_capacity(n + 1),
            uniform: Vec::with_capacity(n),
            monotone: true,
        };
        for i in 0..=n {
            let d = first.checked_add(i32::try_from(i).ok()?)?;
            let (start, later) = self.resolve_min_all(d, 0);
            let start = start?;
            if later.is_some() || z.starts.last().is_some_and(|&prev| prev > start) {
                z.monotone = false;
            }
            z.starts.push(start);
        }
        let mut offset = self.offset_at(z.starts[0]);
        for i in 0..n {
            let (s, e) = (z.starts[i], z.starts[i + 1]);
            let end_offset = self.offset_at(e - NS_PER_SEC);
            z.uniform.push(e - s == NS_PER_DAY && offset == end_offset);
            offset = self.offset_at(e);
        }
        Some(z)
    }

    fn build_cache(&self, first: Day, last: Day) -> Option<DayCache> {
        let zone = Arc::new(self.zone_days(first, last)?);
        self.build_on(zone)
    }

    /// The calendar's days over the dates of `zone` (which must be its time zone's).
    pub(super) fn build_on(&self, zone: Arc<ZoneDays>) -> Option<DayCache> {
        let n = zone.uniform.len();
        let mut c = DayCache {
            zone,
            working: Vec::with_capacity(n),
            spans: Vec::with_capacity(n),
            ivs: Vec::new(),
            inline: self.hours.len() <= INLINE_RANGES,
            class: Vec::with_capacity(n),
        };
        let mut day_ivs = Vec::new();
        for i in 0..n {
            let d = c.first.checked_add(i32::try_from(i).ok()?)?;
            let working = self.cal.is_working_day(date_of(d)?);
            c.working.push(working);
            day_ivs.clear();
            if working && !self.never_open && !(c.inline && c.uniform[i]) {
                if c.uniform[i] {
                    // one offset all day: local minute m is m minutes after midnight
                    let s = c.starts[i];
                    day_ivs.extend(self.hours.iter().map(|&(a, b)| {
                        (s + Ns::from(a) * NS_PER_MIN, s + Ns::from(b) * NS_PER_MIN)
                    }));
                } else {
                    self.push_day(d, &mut day_ivs);
                }
            }
            c.spans.push((c.ivs.len(), day_ivs.len()));
            c.ivs.extend_from_slice(&day_ivs);
        }
        let tz = self.cal.tz;
        c.class = (0..n)
            .map(|i| {
                let w = c.working[i];
                if c.monotone && c.uniform[i] {
                    Class::from(w)
                } else {
                    special_class(tz, c.first + i as Day, w)
                }
            })
            .collect();
        Some(c)
    }

    pub(super) fn never_open(&self) -> bool {
        self.never_open
    }

    pub(super) fn hours(&self) -> &[(u32, u32)] {
        &self.hours
    }

    pub(super) fn is_working(&self, d: Day) -> bool {
        if let Some(c) = self.cache() {
            if let Some(i) = c.index(d) {
                return c.working[i];
            }
        }
        date_of(d).is_some_and(|date| self.cal.is_working_day(date))
    }

    /// The open intervals of local date `d`.
    #[inline]
    pub(super) fn day(&self, d: Day) -> DayIvs<'_> {
        if let Some(s) = self.cached_day(d) {
            return s;
        }
        self.fresh_day(d)
    }

    /// The open intervals of a precomputed date.
    #[inline]
    fn cached_day(&self, d: Day) -> Option<DayIvs<'_>> {
        let c = self.cache()?;
        let i = c.index(d)?;
        if c.inline && c.uniform[i] {
            let hours: &[(u32, u32)] = if c.working[i] && !self.never_open {
                &self.hours
            } else {
                &[]
            };
            return Some(DayIvs::Plain(c.starts[i], hours));
        }
        let (off, cnt) = c.spans[i];
        c.ivs.get(off..off + cnt).map(DayIvs::Cached)
    }

    #[cold]
    fn fresh_day(&self, d: Day) -> DayIvs<'_> {
        if self.never_open {
            return DayIvs::Fresh(Vec::new());
        }
        let mut v = Vec::new();
        if self.is_working(d) {
            self.push_day(d, &mut v);
        }
        DayIvs::Fresh(v)
    }

    fn push_day(&self, d: Day, out: &mut Vec<Iv>) {
        for &(s, e) in &self.hours {
            if let (Some(a), Some(b)) = (self.resolve_min(d, s), self.resolve_min(d, e)) {
                if a < b {
                    out.push((a, b));
                }
            }
        }
    }

    // ----- local time ---------------------------------------------------------------------

    /// UTC offset in seconds at instant `t`.
    fn offset_at(&self, t: Ns) -> Option<i64> {
        let u = from_ns(t)?;
        Some(i64::from(
            self.cal
                .tz
                .offset_from_utc_datetime(&u.naive_utc())
                .fix()
                .local_minus_utc(),
        ))
    }

    fn slow_local(&self, t: Ns) -> Option<NaiveDateTime> {
        let u = from_ns(t)?;
        Some(self.cal.tz.from_utc_datetime(&u.naive_utc()).naive_local())
    }

    /// The cache index of the local date of `t`, when the cache answers it.
    fn cached_day_index(&self, t: Ns) -> Option<(&DayCache, usize)> {
        let c = self.cache()?;
        let (first, last) = (*c.starts.first()?, *c.starts.last()?);
        if !c.monotone || t < first || t >= last {
            return None;
        }
        // days are 24 h but for DST changes: guess by division, then step to the right day
        let guess = i64::try_from(t - first).ok()? / (NS_PER_DAY as i64);
        let mut i = usize::try_from(guess).ok()?.min(c.working.len() - 1);
        for _ in 0..4 {
            if c.starts[i] > t {
                i -= 1;
            } else if c.starts[i + 1] <= t {
                i += 1;
            } else {
                return Some((c, i));
            }
        }
        let i = c.starts.partition_point(|&s| s <= t).checked_sub(1)?;
        (i < c.working.len()).then_some((c, i))
    }

    /// The local date of `t`.
    pub(super) fn local_day(&self, t: Ns) -> Option<Day> {
        if let Some((c, i)) = self.cached_day_index(t) {
            return c.first.checked_add(i32::try_from(i).ok()?);
        }
        Some(day_of(self.slow_local(t)?.date()))
    }

    /// The local date of `t` and its local clock time in nanoseconds since local midnight.
    fn local_clock(&self, t: Ns) -> Option<(Day, Ns)> {
        if let Some((c, i)) = self.cached_day_index(t) {
            if c.uniform[i] {
                return Some((
                    c.first.checked_add(i32::try_from(i).ok()?)?,
                    t - c.starts[i],
                ));
            }
        }
        let l = self.slow_local(t)?;
        let time = l.time();
        let clock =
            Ns::from(time.num_seconds_from_midnight()) * NS_PER_SEC + Ns::from(time.nanosecond());
        Some((day_of(l.date()), clock))
    }

    /// The instant of local date `d` at local clock `clock` (nanoseconds since midnight, less
    /// than a day); earlier if ambiguous, first valid after if in a gap.
    fn resolve_clock(&self, d: Day, clock: Ns) -> Option<Ns> {
        if let Some(c) = self.cache() {
            if let Some(i) = c.index(d) {
                if c.uniform[i] && (0..NS_PER_DAY).contains(&clock) {
                    return Some(c.starts[i] + clock);
                }
            }
        }
        let secs = u32::try_from(clock.div_euclid(NS_PER_SEC)).ok()?;
        let nanos = u32::try_from(clock.rem_euclid(NS_PER_SEC)).ok()?;
        let time = NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos)?;
        self.resolve_all(NaiveDateTime::new(date_of(d)?, time)).0
    }

    /// All instants local date `d` at `minute` (0..=1440; 1440 is the next midnight) denotes:
    /// one, or two (earlier first) if ambiguous; a time in a DST gap denotes the first valid
    /// instant after it.
    pub(super) fn resolve_min_all(&self, d: Day, minute: u32) -> (Option<Ns>, Option<Ns>) {
        if minute > MINUTES_PER_DAY {
            return (None, None);
        }
        let (d, minute) = if minute == MINUTES_PER_DAY {
            match d.checked_add(1) {
                Some(n) => (n, 0),
                None => return (None, None),
            }
        } else {
            (d, minute)
        };
        if let Some(c) = self.cache() {
            if let Some(i) = c.index(d) {
                if c.uniform[i] {
                    return (Some(c.starts[i] + Ns::from(minute) * NS_PER_MIN), None);
                }
            }
        }
        let (Some(date), Some(time)) = (
            date_of(d),
            NaiveTime::from_hms_opt(minute / 60, minute % 60, 0),
        ) else {
            return (None, None);
        };
        self.resolve_all(NaiveDateTime::new(date, time))
    }

    pub(super) fn resolve_min(&self, d: Day, minute: u32) -> Option<Ns> {
        self.resolve_min_all(d, minute).0
    }

    fn resolve_all(&self, l: NaiveDateTime) -> (Option<Ns>, Option<Ns>) {
        match self.cal.tz.from_local_datetime(&l) {
            LocalResult::Single(t) => (Some(to_ns(t.with_timezone(&Utc))), None),
            LocalResult::Ambiguous(a, b) => {
                let (a, b) = (to_ns(a.with_timezone(&Utc)), to_ns(b.with_timezone(&Utc)));
                (Some(a.min(b)), Some(a.max(b)))
            }
            LocalResult::None => (self.gap_end(l), None),
        }
    }

    /// For a local time `l` inside a DST gap: the first instant whose local time is `>= l`,
    /// i.e. the transition instant.
    fn gap_end(&self, l: NaiveDateTime) -> Option<Ns> {
        let tz = self.cal.tz;
        let off = |u: i64| -> Option<i64> { self.offset_at(Ns::from(u) * NS_PER_SEC) };
        // local seconds (as if UTC), rounded up to whole seconds
        let l_utc = l.and_utc();
        let lc = l_utc.timestamp() + i64::from(l_utc.timestamp_subsec_nanos() > 0);
        let two_days = 2 * 86_400;
        let before = off(lc.checked_sub(two_days)?)?;
        let after = off(lc.checked_add(two_days)?)?;
        if after > before {
            // local(u) = u + off(u); find the smallest u with local(u) >= lc
            let local_of = |u: i64| off(u).map(|o| u + o);
            let mut lo = lc - after; // local(lo) < lc expected
            let mut hi = lc - before; // local(hi) >= lc expected
            if local_of(lo)? < lc && local_of(hi)? >= lc {
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2;
                    if local_of(mid)? >= lc {
                        hi = mid;
                    } else {
                        lo = mid;
                    }
                }
                return Some(Ns::from(hi) * NS_PER_SEC);
            }
        }
        // Unusual transition pattern: step forward by local minutes (bounded) to the first
        // valid local time.
        for k in 1..=(2 * i64::from(MINUTES_PER_DAY)) {
            let l2 = l.checked_add_signed(chrono::TimeDelta::try_minutes(k)?)?;
            match tz.from_local_datetime(&l2) {
                LocalResult::Single(t) => return Some(to_ns(t.with_timezone(&Utc))),
                LocalResult::Ambiguous(a, b) => {
                    return Some(to_ns(a.min(b).with_timezone(&Utc)));
                }
                LocalResult::None => {}
            }
        }
        None
    }

    // ----- queries -------------------------------------------------------------------------

    pub(super) fn is_open(&self, t: Ns) -> bool {
        if self.never_open {
            return false;
        }
        let Some(d) = self.local_day(t) else {
            return false;
        };
        (d.saturating_sub(1)..=d.saturating_add(1))
            .any(|d| self.day(d).iter().any(|(s, e)| s <= t && t < e))
    }

    pub(super) fn next_opening(&self, t: Ns) -> Option<Ns> {
        if self.never_open {
            return None;
        }
        let mut d = self.local_day(t)?.checked_sub(1)?;
        for _ in 0..SEARCH_DAYS + 3 {
            for (s, e) in self.day(d).iter() {
                if e > t {
                    return Some(s.max(t));
                }
            }
            d = d.checked_add(1)?;
        }
        None
    }

    pub(super) fn add_business_minutes(&self, t: Ns, n: u64) -> Option<Ns> {
        if n == 0 {
            return Some(t);
        }
        if self.never_open {
            return None;
        }
        let mut remaining = Ns::from(n) * NS_PER_MIN;
        let mut cur = t;
        let mut d = self.local_day(t)?.checked_sub(1)?;
        let mut idle_days = 0;
        for _ in 0..MAX_WALK_DAYS {
            let mut used = false;
            for (s, e) in self.day(d).iter() {
                if e <= cur {
                    continue;
                }
                used = true;
                let start = s.max(cur);
                let avail = e - start;
                if avail >= remaining {
                    return Some(start + remaining);
                }
                remaining -= avail;
                cur = e;
            }
            idle_days = if used { 0 } else { idle_days + 1 };
            if idle_days > SEARCH_DAYS {
                return None;
            }
            d = d.checked_add(1)?;
        }
        None
    }

    /// The latest instant `u <= t` with exactly `n` business minutes in `[u, t)`.
    pub(super) fn sub_business_minutes(&self, t: Ns, n: u64) -> Option<Ns> {
        if n == 0 {
            return Some(t);
        }
        if self.never_open {
            return None;
        }
        let mut remaining = Ns::from(n) * NS_PER_MIN;
        let mut cur = t;
        let mut d = self.local_day(t)?.checked_add(1)?;
        let mut idle_days = 0;
        for _ in 0..MAX_WALK_DAYS {
            let mut used = false;
            for (s, e) in self.day(d).iter().rev() {
                if s >= cur {
                    continue;
                }
                used = true;
                let end = e.min(cur);
                let avail = end - s;
                if avail >= remaining {
                    return Some(end - remaining);
                }
                remaining -= avail;
                cur = s;
            }
            idle_days = if used { 0 } else { idle_days + 1 };
            if idle_days > SEARCH_DAYS {
                return None;
            }
            d = d.checked_sub(1)?;
        }
        None
    }

    /// Business time in `[a, b)` in nanoseconds.
    fn business_ns_between(&self, a: Ns, b: Ns) -> Ns {
        if b <= a || self.never_open {
            return 0;
        }
        let (Some(first), Some(last)) = (self.local_day(a), self.local_day(b)) else {
            return 0;
        };
        let mut total: Ns = 0;
        for d in first.saturating_sub(1)..=last.saturating_add(1) {
            for (s, e) in self.day(d).iter() {
                let (s, e) = (s.max(a), e.min(b));
                if s < e {
                    total += e - s;
                }
            }
        }
        total
    }

    /// Whole business minutes in `[a, b)`, rounded down.
    pub(super) fn business_minutes_between(&self, a: Ns, b: Ns) -> u64 {
        u64::try_from(whole_minutes(self.business_ns_between(a, b))).unwrap_or(u64::MAX)
    }

    pub(super) fn add_business_days(&self, t: Ns, n: u32) -> Option<Ns> {
        if self.never_open {
            return None;
        }
        let (d0, clock) = self.local_clock(t)?;
        let mut d = d0;
        let mut walked = 0u32;
        // "N working days later" counts the working days after t's date, so from a Saturday one
        // business day is Monday; only N = 0 rolls a non-working day forward to the next working day.
        while n == 0 && !self.is_working(d) {
            d = d.checked_add(1)?;
            walked += 1;
            if walked > SEARCH_DAYS {
                return None;
            }
        }
        for _ in 0..n {
            let mut gap = 0u32;
            loop {
                d = d.checked_add(1)?;
                walked += 1;
                gap += 1;
                if gap > SEARCH_DAYS || walked > MAX_WALK_DAYS {
                    return None;
                }
                if self.is_working(d) {
                    break;
                }
            }
        }
        let target = if d == d0 {
            t
        } else {
            self.resolve_clock(d, clock)?
        };
        self.next_opening(target)
    }

    pub(super) fn next_clock(&self, t: Ns, minute: u32) -> Option<Ns> {
        if minute >= MINUTES_PER_DAY {
            return None;
        }
        let mut d = self.local_day(t)?.checked_sub(1)?;
        for _ in 0..4 {
            let (a, b) = self.resolve_min_all(d, minute);
            for c in [a, b].into_iter().flatten() {
                if c >= t {
                    return Some(c);
                }
            }
            d = d.checked_add(1)?;
        }
        None
    }

    /// The instant after the delay only (no clock time, no send window).
    pub(super) fn apply_delay(&self, t: Ns, delay: Delay) -> Option<Ns> {
        match delay {
            Delay::Zero => Some(t),
            Delay::Wall { minutes } => Some(t + Ns::from(minutes) * NS_PER_MIN),
            Delay::BusinessDays(n) => self.add_business_days(t, n),
            Delay::BusinessMinutes(n) => self.add_business_minutes(t, n),
        }
    }

    /// The first instant `>= x` and `> from` at local `minute` on a working day whose weekday is
    /// in `mask` (either occurrence of an ambiguous clock time; a clock time in a DST gap maps
    /// to the first valid instant after it).
    pub(super) fn next_anchor(&self, from: Ns, x: Ns, mask: u8, minute: u32) -> Option<Ns> {
        if minute >= MINUTES_PER_DAY || mask & 0x7F == 0 || self.never_open {
            return None;
        }
        // no listed weekday is ever worked: nothing to walk to
        let listed = |d: &chrono::NaiveDate| mask & super::weekday_bit(d.weekday()) != 0;
        let worked = (0..7).any(|i| mask & (1 << i) != 0 && self.cal.workdays[i])
            || self.cal.makeup_workdays.iter().any(listed);
        if !worked {
            return None;
        }
        let mut d = self.local_day(x)?.checked_sub(1)?;
        for _ in 0..SEARCH_DAYS + 8 {
            let listed =
                date_of(d).is_some_and(|date| mask & super::weekday_bit(date.weekday()) != 0);
            if listed && self.is_working(d) {
                let (a, b) = self.resolve_min_all(d, minute);
                for c in [a, b].into_iter().flatten() {
                    if c >= x && c > from {
                        return Some(c);
                    }
                }
            }
            d = d.checked_add(1)?;
        }
        None
    }

    pub(super) fn schedule(&self, from: Ns, timing: Timing) -> Option<Ns> {
        let x = self.apply_delay(from, timing.delay)?;
        let y = match timing.at_clock {
            Some(m) if timing.is_anchor() => self.next_anchor(from, x, timing.weekdays, m)?,
            Some(m) => self.next_clock(x, m)?,
            None => x,
        };
        self.next_opening(y)
    }
}
