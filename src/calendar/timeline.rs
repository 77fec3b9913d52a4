//! The engine behind [`Calendar`]: open intervals per local date, as UTC instants, and the walks
//! over them. A [`Timeline`] can precompute the intervals of a range of dates, which makes the
//! many schedules of a worst-case analysis cheap.

use std::ops::Deref;

use chrono::{
    DateTime, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta, TimeZone, Utc,
};

use super::{Calendar, Delay, Timing, MAX_WALK_DAYS, MINUTES_PER_DAY, SEARCH_DAYS};

/// A half-open open interval `[start, end)`, `start < end`.
pub(super) type Iv = (DateTime<Utc>, DateTime<Utc>);

/// The open intervals of one local date, in time order.
pub(super) enum DayIvs<'t> {
    Cached(&'t [Iv]),
    Fresh(Vec<Iv>),
}

impl Deref for DayIvs<'_> {
    type Target = [Iv];
    fn deref(&self) -> &[Iv] {
        match self {
            DayIvs::Cached(s) => s,
            DayIvs::Fresh(v) => v,
        }
    }
}

/// Precomputed open intervals for the dates `first .. first + spans.len()`.
struct DayCache {
    first: NaiveDate,
    /// per date: (offset into `ivs`, count, working day)
    spans: Vec<(u32, u32, bool)>,
    ivs: Vec<Iv>,
}

pub(super) struct Timeline<'a> {
    cal: &'a Calendar,
    /// normalized hours: sorted, merged, non-empty, end <= 1440
    hours: Vec<(u32, u32)>,
    /// the calendar can never be open (no hours or no working day at all)
    never_open: bool,
    cache: Option<DayCache>,
}

fn minutes(n: u64) -> Option<TimeDelta> {
    TimeDelta::try_minutes(i64::try_from(n).ok()?)
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
            cache: None,
        }
    }

    /// A timeline with the intervals of the dates `first..=last` precomputed.
    pub(super) fn with_cache(cal: &'a Calendar, first: NaiveDate, last: NaiveDate) -> Timeline<'a> {
        let mut tl = Timeline::new(cal);
        if tl.never_open || last < first {
            return tl;
        }
        let mut spans = Vec::new();
        let mut ivs = Vec::new();
        let mut d = first;
        loop {
            let working = cal.is_working_day(d);
            let start = ivs.len();
            if working {
                tl.push_day(d, &mut ivs);
            }
            let (Ok(off), Ok(cnt)) = (u32::try_from(start), u32::try_from(ivs.len() - start))
            else {
                break;
            };
            spans.push((off, cnt, working));
            match d.succ_opt() {
                Some(n) if n <= last => d = n,
                _ => break,
            }
        }
        tl.cache = Some(DayCache { first, spans, ivs });
        tl
    }

    fn cached_span(&self, d: NaiveDate) -> Option<(&DayCache, (u32, u32, bool))> {
        let c = self.cache.as_ref()?;
        let idx = usize::try_from((d - c.first).num_days()).ok()?;
        c.spans.get(idx).map(|&s| (c, s))
    }

    pub(super) fn is_working(&self, d: NaiveDate) -> bool {
        match self.cached_span(d) {
            Some((_, (_, _, w))) => w,
            None => self.cal.is_working_day(d),
        }
    }

    /// The open intervals of local date `d`.
    pub(super) fn day(&self, d: NaiveDate) -> DayIvs<'_> {
        if self.never_open {
            return DayIvs::Fresh(Vec::new());
        }
        if let Some((c, (off, cnt, _))) = self.cached_span(d) {
            let (off, cnt) = (off as usize, cnt as usize);
            if let Some(s) = c.ivs.get(off..off + cnt) {
                return DayIvs::Cached(s);
            }
        }
        let mut v = Vec::new();
        if self.cal.is_working_day(d) {
            self.push_day(d, &mut v);
        }
        DayIvs::Fresh(v)
    }

    fn push_day(&self, d: NaiveDate, out: &mut Vec<Iv>) {
        for &(s, e) in &self.hours {
            if let (Some(a), Some(b)) = (self.resolve_min(d, s), self.resolve_min(d, e)) {
                if a < b {
                    out.push((a, b));
                }
            }
        }
    }

    // ----- local time ---------------------------------------------------------------------

    pub(super) fn local(&self, t: DateTime<Utc>) -> NaiveDateTime {
        self.cal.tz.from_utc_datetime(&t.naive_utc()).naive_local()
    }

    pub(super) fn local_date(&self, t: DateTime<Utc>) -> NaiveDate {
        self.local(t).date()
    }

    /// Local date and minute of day (0..=1440) to a local date-time.
    fn local_ndt(d: NaiveDate, minute: u32) -> Option<NaiveDateTime> {
        if minute > MINUTES_PER_DAY {
            return None;
        }
        let (d, minute) = if minute == MINUTES_PER_DAY {
            (d.succ_opt()?, 0)
        } else {
            (d, minute)
        };
        let time = NaiveTime::from_hms_opt(minute / 60, minute % 60, 0)?;
        Some(NaiveDateTime::new(d, time))
    }

    /// All instants a local time denotes: one, or two (earlier first) if ambiguous; a local time
    /// in a DST gap denotes the first valid instant after it.
    pub(super) fn resolve_all(
        &self,
        l: NaiveDateTime,
    ) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        match self.cal.tz.from_local_datetime(&l) {
            LocalResult::Single(t) => (Some(t.with_timezone(&Utc)), None),
            LocalResult::Ambiguous(a, b) => {
                let (a, b) = (a.with_timezone(&Utc), b.with_timezone(&Utc));
                (Some(a.min(b)), Some(a.max(b)))
            }
            LocalResult::None => (self.gap_end(l), None),
        }
    }

    /// The instant a local time denotes (earlier if ambiguous, first valid after if in a gap).
    pub(super) fn resolve(&self, l: NaiveDateTime) -> Option<DateTime<Utc>> {
        self.resolve_all(l).0
    }

    pub(super) fn resolve_min(&self, d: NaiveDate, minute: u32) -> Option<DateTime<Utc>> {
        self.resolve(Self::local_ndt(d, minute)?)
    }

    pub(super) fn resolve_min_all(
        &self,
        d: NaiveDate,
        minute: u32,
    ) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        match Self::local_ndt(d, minute) {
            Some(l) => self.resolve_all(l),
            None => (None, None),
        }
    }

    /// For a local time `l` inside a DST gap: the first instant whose local time is `>= l`,
    /// i.e. the transition instant.
    fn gap_end(&self, l: NaiveDateTime) -> Option<DateTime<Utc>> {
        let tz = self.cal.tz;
        let off = |u: i64| -> Option<i64> {
            let t = DateTime::from_timestamp(u, 0)?;
            Some(i64::from(
                tz.offset_from_utc_datetime(&t.naive_utc())
                    .fix()
                    .local_minus_utc(),
            ))
        };
        // local seconds (as if UTC), rounded up to whole seconds
        let l_utc = l.and_utc();
        let lc = l_utc.timestamp() + i64::from(l_utc.timestamp_subsec_nanos() > 0);
        let two_days = 2 * 86_400;
        let before = off(lc - two_days)?;
        let after = off(lc + two_days)?;
        if after > before {
            // local(u) = u + off(u); find the smallest u with local(u) >= lc
            let mut lo = lc - after; // local(lo) < lc expected
            let mut hi = lc - before; // local(hi) >= lc expected
            let local_of = |u: i64| off(u).map(|o| u + o);
            if local_of(lo)? < lc && local_of(hi)? >= lc {
                while hi - lo > 1 {
                    let mid = lo + (hi - lo) / 2;
                    if local_of(mid)? >= lc {
                        hi = mid;
                    } else {
                        lo = mid;
                    }
                }
                return DateTime::from_timestamp(hi, 0);
            }
        }
        // Unusual transition pattern: step forward by local minutes (bounded) to the first
        // valid local time.
        for k in 1..=(2 * i64::from(MINUTES_PER_DAY)) {
            let l2 = l.checked_add_signed(TimeDelta::minutes(k))?;
            match tz.from_local_datetime(&l2) {
                LocalResult::Single(t) => return Some(t.with_timezone(&Utc)),
                LocalResult::Ambiguous(a, b) => return Some(a.min(b).with_timezone(&Utc)),
                LocalResult::None => {}
            }
        }
        None
    }

    // ----- queries -------------------------------------------------------------------------

    pub(super) fn is_open(&self, t: DateTime<Utc>) -> bool {
        if self.never_open {
            return false;
        }
        let d = self.local_date(t);
        [d.pred_opt(), Some(d), d.succ_opt()]
            .into_iter()
            .flatten()
            .any(|d| self.day(d).iter().any(|&(s, e)| s <= t && t < e))
    }

    pub(super) fn next_opening(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.never_open {
            return None;
        }
        let mut d = self.local_date(t).pred_opt()?;
        for _ in 0..SEARCH_DAYS + 3 {
            for &(s, e) in self.day(d).iter() {
                if e > t {
                    return Some(s.max(t));
                }
            }
            d = d.succ_opt()?;
        }
        None
    }

    pub(super) fn add_business_minutes(&self, t: DateTime<Utc>, n: u64) -> Option<DateTime<Utc>> {
        if n == 0 {
            return Some(t);
        }
        if self.never_open {
            return None;
        }
        let mut remaining = minutes(n)?;
        let mut cur = t;
        let mut d = self.local_date(t).pred_opt()?;
        let mut idle_days = 0;
        for _ in 0..MAX_WALK_DAYS {
            let mut used = false;
            for &(s, e) in self.day(d).iter() {
                if e <= cur {
                    continue;
                }
                used = true;
                let start = s.max(cur);
                let avail = e - start;
                if avail >= remaining {
                    return start.checked_add_signed(remaining);
                }
                remaining -= avail;
                cur = e;
            }
            idle_days = if used { 0 } else { idle_days + 1 };
            if idle_days > SEARCH_DAYS {
                return None;
            }
            d = d.succ_opt()?;
        }
        None
    }

    /// The latest instant `u <= t` with exactly `n` business minutes in `[u, t)`.
    pub(super) fn sub_business_minutes(&self, t: DateTime<Utc>, n: u64) -> Option<DateTime<Utc>> {
        if n == 0 {
            return Some(t);
        }
        if self.never_open {
            return None;
        }
        let mut remaining = minutes(n)?;
        let mut cur = t;
        let mut d = self.local_date(t).succ_opt()?;
        let mut idle_days = 0;
        for _ in 0..MAX_WALK_DAYS {
            let mut used = false;
            for &(s, e) in self.day(d).iter().rev() {
                if s >= cur {
                    continue;
                }
                used = true;
                let end = e.min(cur);
                let avail = end - s;
                if avail >= remaining {
                    return end.checked_sub_signed(remaining);
                }
                remaining -= avail;
                cur = s;
            }
            idle_days = if used { 0 } else { idle_days + 1 };
            if idle_days > SEARCH_DAYS {
                return None;
            }
            d = d.pred_opt()?;
        }
        None
    }

    pub(super) fn business_minutes_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> u64 {
        if b <= a || self.never_open {
            return 0;
        }
        let (Some(mut d), Some(last)) =
            (self.local_date(a).pred_opt(), self.local_date(b).succ_opt())
        else {
            return 0;
        };
        let mut total = TimeDelta::zero();
        while d <= last {
            for &(s, e) in self.day(d).iter() {
                let (s, e) = (s.max(a), e.min(b));
                if s < e {
                    total += e - s;
                }
            }
            match d.succ_opt() {
                Some(n) => d = n,
                None => break,
            }
        }
        u64::try_from(total.num_minutes()).unwrap_or(0)
    }

    pub(super) fn add_business_days(&self, t: DateTime<Utc>, n: u32) -> Option<DateTime<Utc>> {
        if self.never_open {
            return None;
        }
        let local = self.local(t);
        let d0 = local.date();
        let mut d = d0;
        let mut walked = 0u32;
        // roll forward to a working day
        while !self.is_working(d) {
            d = d.succ_opt()?;
            walked += 1;
            if walked > SEARCH_DAYS {
                return None;
            }
        }
        for _ in 0..n {
            let mut gap = 0u32;
            loop {
                d = d.succ_opt()?;
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
            self.resolve(NaiveDateTime::new(d, local.time()))?
        };
        self.next_opening(target)
    }

    pub(super) fn next_clock(&self, t: DateTime<Utc>, minute: u32) -> Option<DateTime<Utc>> {
        if minute >= MINUTES_PER_DAY {
            return None;
        }
        let mut d = self.local_date(t).pred_opt()?;
        for _ in 0..4 {
            let (a, b) = self.resolve_min_all(d, minute);
            for c in [a, b].into_iter().flatten() {
                if c >= t {
                    return Some(c);
                }
            }
            d = d.succ_opt()?;
        }
        None
    }

    /// The instant after the delay only (no clock time, no send window).
    pub(super) fn apply_delay(&self, t: DateTime<Utc>, delay: Delay) -> Option<DateTime<Utc>> {
        match delay {
            Delay::Zero => Some(t),
            Delay::Wall { minutes: m } => t.checked_add_signed(minutes(m)?),
            Delay::BusinessDays(n) => self.add_business_days(t, n),
            Delay::BusinessMinutes(n) => self.add_business_minutes(t, n),
        }
    }

    pub(super) fn schedule(&self, from: DateTime<Utc>, timing: Timing) -> Option<DateTime<Utc>> {
        let x = self.apply_delay(from, timing.delay)?;
        let y = match timing.at_clock {
            Some(m) => self.next_clock(x, m)?,
            None => x,
        };
        self.next_opening(y)
    }

    /// The normalized business hours (sorted, merged, non-empty ranges).
    pub(super) fn hours(&self) -> &[(u32, u32)] {
        &self.hours
    }
}
