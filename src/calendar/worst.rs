//! Worst-case analysis of a [`Timing`] over a window of start instants.
//!
//! `from -> schedule(from, timing)` is piecewise: on each piece the result is either constant
//! (the lag shrinks as `from` grows, so the piece's maximum is at its left end) or moves with
//! `from` (the lag is constant). Pieces start at range boundaries, at the clock time, at local
//! midnight, and at the preimages of those instants under the delay. The sampler hits all of
//! these at whole-minute resolution, plus a 15-minute grid.

use chrono::NaiveDate;

use super::timeline::{date_of, day_of, from_ns, Ns, Timeline, NS_PER_MIN};
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
                    v.extend(
                        [Some(m), m.checked_add(1)]
                            .into_iter()
                            .flatten()
                            .filter(|&x| s <= x && x < e),
                    );
                }
            }
        }
    }
    v.sort_unstable();
    v.dedup();
    v
}

/// Schedules every start in `samples` (inside the window `w`, open for `OpenMoments`) and keeps
/// in `best` the largest delay, the earliest start among equals. `None` if a schedule fails.
fn evaluate(
    tl: &Timeline<'_>,
    timing: Timing,
    starts: Starts,
    measure: Measure,
    w: (Ns, Ns),
    mut samples: Vec<Ns>,
    best: &mut Option<(u64, Ns, Ns)>,
) -> Option<()> {
    samples.retain(|&s| s >= w.0 && s < w.1);
    samples.sort_unstable();
    samples.dedup();
    for from in samples {
        if starts == Starts::OpenMoments && !tl.is_open(from) {
            continue;
        }
        let to = tl.schedule(from, timing)?;
        let minutes = match measure {
            Measure::Wall => u64::try_from((to - from) / NS_PER_MIN).unwrap_or(0),
            Measure::Business => tl.business_minutes_between(from, to),
        };
        let better = match *best {
            Some((m, f, _)) => minutes > m || (minutes == m && from < f),
            None => true,
        };
        if better {
            *best = Some((minutes, from, to));
        }
    }
    Some(())
}

pub(super) fn worst_case(
    cal: &Calendar,
    timing: Timing,
    starts: Starts,
    measure: Measure,
    window: (NaiveDate, NaiveDate),
) -> Option<WorstCase> {
    let (d0, d1) = (day_of(window.0), day_of(window.1));
    if d1 < d0 || d1 - d0 >= i32::try_from(MAX_WALK_DAYS).ok()? {
        return None;
    }
    let plain = Timeline::new(cal);
    let w0 = plain.resolve_min(d0, 0)?;
    let w1 = plain.resolve_min(d1, MINUTES_PER_DAY)?;
    let max_days = i32::try_from(MAX_WALK_DAYS).ok()?;

    // Where the delay takes the latest start: boundaries up to there can have preimages in the
    // window, and schedules mostly stay before it. Preimages of boundaries near the window start
    // lie up to one delay before it.
    let reach = plain.apply_delay(w1, timing.delay);
    let last_target = plain.local_day(reach.unwrap_or(w1))?.checked_add(2)?;
    let back = match timing.delay {
        Delay::Wall { minutes } => Some(w0 - Ns::from(minutes) * NS_PER_MIN),
        Delay::BusinessMinutes(n) => plain.sub_business_minutes(w0, n),
        Delay::Zero | Delay::BusinessDays(_) => None,
    };
    let cache_first = match back.and_then(|b| plain.local_day(b)) {
        Some(b) => b.min(d0).max(d0.checked_sub(max_days)?),
        None => d0,
    }
    .checked_sub(3)?;
    let cache_last = last_target.checked_add(14)?.min(d1.checked_add(max_days)?);
    let tl = Timeline::with_cache(cal, date_of(cache_first)?, date_of(cache_last)?);

    // 1. the per-date grid and boundaries
    let mut samples: Vec<Ns> = Vec::new();
    let grid = day_minutes(tl.hours(), timing, starts);
    for d in d0..=d1 {
        if starts == Starts::AnyMoment || tl.is_working(d) {
            for &m in &grid {
                let (a, b) = tl.resolve_min_all(d, m);
                samples.extend(a);
                samples.extend(b);
            }
        }
    }
    let mut best: Option<(u64, Ns, Ns)> = None;
    evaluate(&tl, timing, starts, measure, (w0, w1), samples, &mut best)?;

    // 2. preimages of boundaries under the delay (only once every grid schedule succeeded, so
    // the walks back are known to be feasible)
    if matches!(timing.delay, Delay::Wall { .. } | Delay::BusinessMinutes(_)) && reach.is_some() {
        let preimage = |b: Ns| -> Option<Ns> {
            match timing.delay {
                Delay::Wall { minutes } => Some(b - Ns::from(minutes) * NS_PER_MIN),
                Delay::BusinessMinutes(n) => tl.sub_business_minutes(b, n),
                Delay::Zero | Delay::BusinessDays(_) => None,
            }
        };
        let mut samples: Vec<Ns> = Vec::new();
        let mut targets: Vec<Ns> = Vec::new();
        for d in d0.checked_sub(1)?..=last_target {
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
                        samples.push(p + NS_PER_MIN);
                    }
                }
            }
        }
        evaluate(&tl, timing, starts, measure, (w0, w1), samples, &mut best)?;
    }

    let (minutes, from, to) = best?;
    Some(WorstCase {
        minutes,
        from: from_ns(from)?,
        to: from_ns(to)?,
    })
}
