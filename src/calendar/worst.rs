//! Worst-case analysis of a [`Timing`] over a window of start instants.
//!
//! `from -> schedule(from, timing)` is piecewise: on each piece the result is either constant
//! (the lag shrinks as `from` grows, so the piece's maximum is at its left end) or moves with
//! `from` (the lag is constant). Pieces start at range boundaries, at the clock time, at local
//! midnight, and at the preimages of those instants under the delay. The sampler hits all of
//! these at whole-minute resolution, plus a 15-minute grid.

use chrono::{DateTime, Days, NaiveDate, TimeDelta, Utc};

use super::timeline::Timeline;
use super::{Calendar, Delay, Measure, Starts, Timing, WorstCase, MAX_WALK_DAYS, MINUTES_PER_DAY};

/// Local minutes of day to sample on each date (working dates only for `OpenMoments`).
fn day_minutes(hours: &[(u32, u32)], timing: Timing, starts: Starts) -> Vec<u32> {
    let mut v = Vec::new();
    match starts {
        Starts::AnyMoment => {
            v.extend((0..MINUTES_PER_DAY).step_by(15));
            v.push(MINUTES_PER_DAY - 1);
            let mut around = |m: u32| {
                v.extend(
                    [m.checked_sub(1), Some(m), m.checked_add(1)]
                        .into_iter()
                        .flatten(),
                );
            };
            for &(s, e) in hours {
                around(s);
                around(e);
            }
            if let Some(m) = timing.at_clock {
                around(m);
            }
            v.retain(|&m| m < MINUTES_PER_DAY);
        }
        Starts::OpenMoments => {
            for &(s, e) in hours {
                v.extend((s..e).step_by(15));
                v.push(e - 1);
                if let Some(m) = timing.at_clock {
                    v.extend([m, m + 1].into_iter().filter(|&x| s <= x && x < e));
                }
            }
        }
    }
    v.sort_unstable();
    v.dedup();
    v
}

fn add_days(d: NaiveDate, n: u64) -> Option<NaiveDate> {
    d.checked_add_days(Days::new(n))
}

fn sub_days(d: NaiveDate, n: u64) -> Option<NaiveDate> {
    d.checked_sub_days(Days::new(n))
}

pub(super) fn worst_case(
    cal: &Calendar,
    timing: Timing,
    starts: Starts,
    measure: Measure,
    window: (NaiveDate, NaiveDate),
) -> Option<WorstCase> {
    let (d0, d1) = window;
    if d1 < d0 || (d1 - d0).num_days() >= i64::from(MAX_WALK_DAYS) {
        return None;
    }
    let plain = Timeline::new(cal);
    let w0 = plain.resolve_min(d0, 0)?;
    let w1 = plain.resolve_min(d1, MINUTES_PER_DAY)?;

    // Where the delay takes the latest start: boundaries up to there can have preimages in the
    // window, and schedules mostly stay before it.
    let reach = plain.apply_delay(w1, timing.delay).unwrap_or(w1);
    let last_target = add_days(plain.local_date(reach), 2)?;
    let cache_first = sub_days(d0, 3)?;
    let cache_last = add_days(last_target, 14)?.min(add_days(d1, 2 * u64::from(MAX_WALK_DAYS))?);
    let tl = Timeline::with_cache(cal, cache_first, cache_last);

    let one = TimeDelta::minutes(1);
    let mut samples: Vec<DateTime<Utc>> = Vec::new();

    // 1. the per-date grid and boundaries
    let grid = day_minutes(tl.hours(), timing, starts);
    let mut d = d0;
    loop {
        if starts == Starts::AnyMoment || tl.is_working(d) {
            for &m in &grid {
                let (a, b) = tl.resolve_min_all(d, m);
                samples.extend(a);
                samples.extend(b);
            }
        }
        if d >= d1 {
            break;
        }
        d = d.succ_opt()?;
    }

    // 2. preimages of boundaries under the delay
    let preimage = |b: DateTime<Utc>| -> Option<DateTime<Utc>> {
        match timing.delay {
            Delay::Wall { minutes } => {
                b.checked_sub_signed(TimeDelta::try_minutes(i64::try_from(minutes).ok()?)?)
            }
            Delay::BusinessMinutes(n) => tl.sub_business_minutes(b, n),
            Delay::Zero | Delay::BusinessDays(_) => None,
        }
    };
    if matches!(timing.delay, Delay::Wall { .. } | Delay::BusinessMinutes(_)) {
        let mut d = d0.pred_opt()?;
        let mut targets: Vec<DateTime<Utc>> = Vec::new();
        while d <= last_target {
            targets.clear();
            for &(s, e) in tl.day(d).iter() {
                targets.push(s);
                targets.push(e);
            }
            if let Some(m) = timing.at_clock {
                let (a, b) = tl.resolve_min_all(d, m);
                targets.extend(a);
                targets.extend(b);
            }
            for &b in &targets {
                if b < w0 {
                    continue;
                }
                if let Some(p) = preimage(b) {
                    if p < w1 {
                        samples.push(p);
                        samples.extend(p.checked_add_signed(one));
                    }
                }
            }
            d = d.succ_opt()?;
        }
    }

    samples.retain(|&s| s >= w0 && s < w1);
    samples.sort_unstable();
    samples.dedup();

    let mut best: Option<WorstCase> = None;
    for from in samples {
        if starts == Starts::OpenMoments && !tl.is_open(from) {
            continue;
        }
        let to = tl.schedule(from, timing)?;
        let minutes = match measure {
            Measure::Wall => u64::try_from((to - from).num_minutes()).unwrap_or(0),
            Measure::Business => tl.business_minutes_between(from, to),
        };
        let better = match &best {
            Some(b) => minutes > b.minutes,
            None => true,
        };
        if better {
            best = Some(WorstCase { minutes, from, to });
        }
    }
    best
}
