//! The calendar, precomputed for a simulation window: local midnights, working days and open
//! intervals as minutes since the epoch, all produced by the exact calendar engine once. Then
//! scheduling a touch is a few binary searches instead of time-zone arithmetic. On a day whose
//! length is not 24 hours (a DST change) or outside the window, it asks the engine, so results
//! are the engine's to the minute (a property test checks that).

use chrono::{Datelike, NaiveDate};

use crate::calendar::{Calendar, Delay, Timing};

pub struct SimClock {
    engine: Calendar,
    /// UTC minutes of local midnight of each day of the window (one more than the days)
    midnight: Vec<f64>,
    working: Vec<bool>,
    /// working days strictly before day i
    ordinal: Vec<u32>,
    /// the indices of working days, in order
    work_days: Vec<u32>,
    /// open intervals [start, end), sorted, and business minutes before each
    open: Vec<(f64, f64)>,
    cum: Vec<f64>,
    /// the weekday of the first day (Monday = 0)
    first_weekday: u32,
    /// per day (as `midnight`): the day is exactly 24 hours long
    plain: Vec<bool>,
    /// per day (as `midnight`): the open intervals that end by its midnight
    first_open: Vec<u32>,
    /// midnights finite and increasing, open intervals' ends nondecreasing: then a day is found
    /// from a guess and an open interval within its day, with the binary searches' results
    indexed: bool,
}

fn minutes(t: chrono::DateTime<chrono::Utc>) -> f64 {
    t.timestamp() as f64 / 60.0 + f64::from(t.timestamp_subsec_nanos()) / 60e9
}

fn instant(m: f64) -> Option<chrono::DateTime<chrono::Utc>> {
    let secs = m * 60.0;
    let whole = secs.floor();
    chrono::DateTime::from_timestamp(whole as i64, ((secs - whole) * 1e9) as u32)
}

impl SimClock {
    /// Precompute `days` days from `first` (local dates).
    pub fn new(engine: Calendar, first: NaiveDate, days: u32) -> SimClock {
        let mut midnight = Vec::with_capacity(days as usize + 1);
        let mut working = Vec::with_capacity(days as usize);
        let mut open = Vec::new();
        for d in first.iter_days().take(days as usize + 1) {
            midnight.push(engine.local_instant(d, 0).map(minutes).unwrap_or(f64::NAN));
        }
        for d in first.iter_days().take(days as usize) {
            let w = engine.is_working_day(d);
            working.push(w);
            if w {
                for (a, b) in &engine.hours {
                    let s = engine.local_instant(d, *a).map(minutes);
                    let e = if *b >= 1440 {
                        d.succ_opt()
                            .and_then(|n| engine.local_instant(n, 0))
                            .map(minutes)
                    } else {
                        engine.local_instant(d, *b).map(minutes)
                    };
                    if let (Some(s), Some(e)) = (s, e) {
                        if e > s {
                            open.push((s, e));
                        }
                    }
                }
            }
        }
        let mut ordinal = Vec::with_capacity(working.len());
        let mut work_days = Vec::new();
        for (i, w) in working.iter().enumerate() {
            ordinal.push(work_days.len() as u32);
            if *w {
                work_days.push(i as u32);
            }
        }
        let mut cum = Vec::with_capacity(open.len());
        let mut acc = 0.0;
        for (s, e) in &open {
            cum.push(acc);
            acc += e - s;
        }
        let plain = (0..midnight.len())
            .map(|d| match (midnight.get(d), midnight.get(d + 1)) {
                (Some(a), Some(b)) => (b - a - 1440.0).abs() < 1e-9,
                _ => false,
            })
            .collect();
        let first_open = midnight
            .iter()
            .map(|m| open.partition_point(|iv| iv.1 <= *m) as u32)
            .collect();
        let indexed = midnight.iter().all(|m| m.is_finite())
            && midnight.windows(2).all(|w| w[0] < w[1])
            && open.windows(2).all(|w| w[0].1 <= w[1].1);
        SimClock {
            engine,
            midnight,
            working,
            ordinal,
            work_days,
            open,
            cum,
            first_weekday: first.weekday().num_days_from_monday(),
            plain,
            first_open,
            indexed,
        }
    }

    /// The window for a simulation: from a week before `start` to `days_after` days after it.
    pub fn for_run(engine: Calendar, start: f64, days_after: f64) -> SimClock {
        let first = instant(start)
            .map(|t| t.with_timezone(&engine.tz).date_naive())
            .unwrap_or_default()
            - chrono::Duration::days(7);
        let days = (days_after + 14.0).clamp(30.0, 20_000.0) as u32;
        SimClock::new(engine, first, days)
    }

    pub fn engine(&self) -> &Calendar {
        &self.engine
    }

    /// The index of the local day holding `t`, if it is inside the window.
    fn day_of(&self, t: f64) -> Option<usize> {
        let m = &self.midnight;
        if !self.indexed {
            let k = m.partition_point(|m| *m <= t);
            return (k >= 1 && k < m.len()).then(|| k - 1);
        }
        // the day a uniform 24-hour grid puts `t` in is at most a day off (DST moves hours)
        if t.is_nan() || t < m[0] {
            return None;
        }
        let mut d = (((t - m[0]) / 1440.0) as usize).min(m.len() - 1);
        while m[d] > t {
            d -= 1;
        }
        while d + 1 < m.len() && m[d + 1] <= t {
            d += 1;
        }
        (d + 1 < m.len()).then_some(d)
    }

    /// A day of exactly 24 hours: local clock = minutes since local midnight.
    fn plain(&self, d: usize) -> bool {
        self.plain.get(d).copied().unwrap_or(false)
    }

    /// The first open interval that ends after `t`: searched within `t`'s day when indexed
    /// (the intervals before the day's first end by `t`, those after its last end after it).
    fn open_after(&self, t: f64) -> usize {
        let pred = |iv: &(f64, f64)| iv.1 <= t;
        match self.day_of(t).filter(|_| self.indexed) {
            Some(d) => {
                let (lo, hi) = (self.first_open[d] as usize, self.first_open[d + 1] as usize);
                lo + self.open[lo..hi].partition_point(pred)
            }
            None => self.open.partition_point(pred),
        }
    }

    fn next_opening(&self, t: f64) -> Option<f64> {
        self.open.get(self.open_after(t)).map(|iv| iv.0.max(t))
    }

    fn add_business_minutes(&self, t: f64, n: u64) -> Option<f64> {
        if n == 0 {
            return Some(t);
        }
        let k = self.open_after(t);
        let (s, _) = *self.open.get(k)?;
        let target = self.cum[k] + (t - s).max(0.0) + n as f64;
        // the first interval whose end reaches the target
        let j = partition_from(&self.cum, k, |c| *c < target).max(1) - 1;
        let j = (j..self.open.len())
            .find(|j| self.cum[*j] + (self.open[*j].1 - self.open[*j].0) >= target - 1e-9)?;
        Some(self.open[j].0 + (target - self.cum[j]))
    }

    fn add_business_days(&self, t: f64, n: u32) -> Option<f64> {
        if n == 0 {
            return None;
        }
        let d = self.day_of(t)?;
        if !self.plain(d) {
            return None;
        }
        let clock = t - self.midnight[d];
        let before_or_on = self.ordinal[d] + u32::from(self.working[d]);
        let e = *self.work_days.get((before_or_on + n - 1) as usize)? as usize;
        if !self.plain(e) {
            return None;
        }
        self.next_opening(self.midnight[e] + clock)
    }

    fn next_clock(&self, t: f64, minute: u32) -> Option<f64> {
        let d = self.day_of(t)?;
        if !self.plain(d) {
            return None;
        }
        let cand = self.midnight[d] + f64::from(minute);
        if cand >= t {
            return Some(cand);
        }
        (self.plain(d + 1)).then(|| self.midnight[d + 1] + f64::from(minute))
    }

    /// The first working day at or after `x`'s day whose weekday is in `mask`, at `minute`,
    /// at or after `x` and later than `from` (a weekday anchor).
    fn next_anchor(&self, from: f64, x: f64, mask: u8, minute: u32) -> Option<f64> {
        let d0 = self.day_of(x)?;
        for d in d0..self.working.len() {
            if !self.plain(d) {
                return None;
            }
            let weekday = (self.first_weekday + d as u32) % 7;
            if self.working[d] && mask & (1 << weekday) != 0 {
                let c = self.midnight[d] + f64::from(minute);
                if c >= x && c > from {
                    return Some(c);
                }
            }
        }
        None
    }

    fn fast(&self, from: f64, timing: Timing) -> Option<f64> {
        let t = match timing.delay {
            Delay::Zero => from,
            Delay::Wall { minutes } => from + minutes as f64,
            Delay::BusinessMinutes(n) => self.add_business_minutes(from, n)?,
            Delay::BusinessDays(n) => self.add_business_days(from, n)?,
        };
        self.clock_then_open(from, t, timing)
    }

    fn clock_then_open(&self, from: f64, t: f64, timing: Timing) -> Option<f64> {
        let t = match timing.at_clock {
            Some(c) if timing.is_anchor() => self.next_anchor(from, t, timing.weekdays, c)?,
            Some(c) => self.next_clock(t, c)?,
            None => t,
        };
        self.next_opening(t)
    }

    /// When a touch planned with `timing` from `from` happens (minutes since the epoch);
    /// infinity when the calendar never opens again.
    pub fn schedule(&self, from: f64, timing: Timing) -> f64 {
        if let Some(t) = self.fast(from, timing) {
            return t;
        }
        instant(from)
            .and_then(|dt| self.engine.schedule(dt, timing))
            .map(minutes)
            .unwrap_or(f64::INFINITY)
    }

    /// Days of the window that are working days (for workload per working day).
    pub fn working_days_between(&self, from: f64, to: f64) -> Option<f64> {
        let (a, b) = (self.day_of(from)?, self.day_of(to)?);
        Some(self.working[a..=b].iter().filter(|w| **w).count() as f64)
    }
}

/// `v.partition_point(pred)` for a nondecreasing `v` where `pred` holds at `from` (or
/// `from` is 0): a galloping search from `from`, cheap when the answer is near it.
fn partition_from(v: &[f64], from: usize, pred: impl Fn(&f64) -> bool) -> usize {
    if from >= v.len() || !pred(&v[from]) {
        return v.partition_point(pred);
    }
    let (mut lo, mut step) = (from, 1);
    loop {
        let hi = from + step;
        if hi >= v.len() || !pred(&v[hi]) {
            let hi = hi.min(v.len());
            return lo + 1 + v[lo + 1..hi].partition_point(pred);
        }
        lo = hi;
        step *= 2;
    }
}

/// When a touch planned with `timing` from `from` happens without a calendar: always open, in
/// UTC, every day a working day (as the checker's timing analyses assume).
pub fn schedule_plain(from: f64, timing: Timing) -> f64 {
    const DAY: f64 = 1440.0;
    let t = from + plain_delay(timing.delay);
    let Some(clock) = timing.at_clock else {
        return t;
    };
    let day = (t / DAY).floor();
    for k in 0..15 {
        let d = day + f64::from(k);
        let at = d * DAY + f64::from(clock);
        // 1970-01-01 was a Thursday (Monday = 0)
        let weekday = ((d as i64 + 3).rem_euclid(7)) as u32;
        let listed = !timing.is_anchor() || timing.weekdays & (1 << weekday) != 0;
        if at >= t && listed && (!timing.is_anchor() || at > from) {
            return at;
        }
    }
    f64::INFINITY
}

/// A delay in minutes without a calendar: business units as whole days.
pub fn plain_delay(delay: Delay) -> f64 {
    match delay {
        Delay::Zero => 0.0,
        Delay::Wall { minutes } => minutes as f64,
        Delay::BusinessDays(n) => f64::from(n) * 1440.0,
        Delay::BusinessMinutes(m) => m as f64,
    }
}

/// The instants (minutes since the epoch) a window of local dates runs between: from local
/// midnight of its first date to local midnight after its last, in the calendar's zone (UTC
/// without a calendar).
pub fn window_instants(cal: Option<&Calendar>, w: crate::model::DateWindow) -> (f64, f64) {
    let midnight = |d: NaiveDate| -> f64 {
        match cal {
            Some(c) => c.local_instant(d, 0).map(minutes),
            None => d.and_hms_opt(0, 0, 0).map(|t| minutes(t.and_utc())),
        }
        .unwrap_or(f64::NAN)
    };
    let end = w.to.succ_opt().map_or(f64::INFINITY, midnight);
    (midnight(w.from), end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(text: &str) -> SimClock {
        let project = crate::project::Project::from_texts(&[("t.cadence", text)]);
        let model = crate::check::check(&project).model;
        let engine = model.calendars[0].engine.clone();
        // 2025-12-18 00:00 UTC: a year around holidays and both DST changes
        SimClock::for_run(engine, 29_434_560.0, 400.0)
    }

    /// The indexed searches give what the plain binary searches over the whole window give,
    /// for instants before, inside and after the window, on and between interval bounds.
    #[test]
    fn indexed_searches_equal_the_binary_searches() {
        let calendars = [
            r#"calendar c { timezone "Asia/Shanghai" workdays mon..fri
                 hours 09:00..12:00, 13:30..18:00 holidays 2026-10-01..2026-10-07 }"#,
            r#"calendar c { timezone "America/New_York" workdays mon..fri
                 hours 00:30..03:00, 09:00..17:00 }"#,
            r#"calendar c { timezone "Europe/Berlin" workdays mon..sun hours 00:00..24:00 }"#,
        ];
        for text in calendars {
            let c = clock(text);
            assert!(c.indexed, "{text}");
            let m = &c.midnight;
            let mut instants: Vec<f64> = Vec::new();
            let (a, b) = (m[0] - 3000.0, m[m.len() - 1] + 3000.0);
            let mut t = a;
            while t < b {
                instants.push(t);
                t += 37.25;
            }
            for iv in &c.open {
                instants.extend([iv.0, iv.1, iv.0 - 0.5, iv.1 - 1e-7, iv.1 + 1e-7]);
            }
            instants.extend(m.iter().copied());
            instants.extend([f64::NAN, f64::INFINITY, f64::NEG_INFINITY]);
            for t in instants {
                let k = m.partition_point(|x| *x <= t);
                let day = (k >= 1 && k < m.len()).then(|| k - 1);
                assert_eq!(c.day_of(t), day, "{text}: day of {t}");
                let open = c.open.partition_point(|iv| iv.1 <= t);
                assert_eq!(c.open_after(t), open, "{text}: open after {t}");
                for target in [t, t + 1.0, t + 600.0, t + 1e6] {
                    for from in [0, open.min(c.cum.len().saturating_sub(1))] {
                        let want = c.cum.partition_point(|x| *x < target);
                        if from == 0 || c.cum[from] < target {
                            let got = partition_from(&c.cum, from, |x| *x < target);
                            assert_eq!(got, want, "{text}: cum from {from} to {target}");
                        }
                    }
                }
            }
        }
    }
}
