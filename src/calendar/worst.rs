//! Worst-case analysis of a [`Timing`] over a window of start instants.
//!
//! `from -> schedule(from, timing)` is piecewise: on each piece the result is either constant
//! (the lag shrinks as `from` grows, so the piece's maximum is at its left end) or moves with
//! `from` (the lag is constant). Pieces start at range boundaries, at the clock time, at local
//! midnight, and at the preimages of those instants under the delay. The sampler hits all of
//! these at whole-minute resolution, plus a 15-minute grid.
//!
//! Samples come in groups, one per date (the grid of that date, or the preimages of that date's
//! boundaries). Most dates repeat an earlier one: the same kind of day, followed by the same kind
//! of days, all of plain 24-hour days. A group's schedules only look at the dates between its
//! earliest and its latest instant (one date of margin either side), so a group whose dates
//! have the same classes ([`Timeline::day_classes`]) as a group evaluated before has the same
//! worst case, shifted by the distance between their midnights: it is taken from there instead
//! of being scheduled again ("folding"). The result is the same sample set's maximum either way
//! (the tests compare both on generated calendars).

use chrono::NaiveDate;

use super::fold::{memo_key, Best, FoldMemo, QueryFolds};
use super::timeline::{
    date_of, day_of, from_ns, whole_minutes, DayCache, Ns, Timeline, NS_PER_MIN,
};
use super::{Calendar, Delay, Measure, Starts, Timing, WorstCase, MAX_WALK_DAYS, MINUTES_PER_DAY};

/// Keeps in `best` the largest delay, the earliest start among equals (so the result does not
/// depend on the order samples are looked at).
fn keep(best: &mut Best, cand: (u64, Ns, Ns)) {
    let better = match *best {
        Some((m, f, _)) => cand.0 > m || (cand.0 == m && cand.1 < f),
        None => true,
    };
    if better {
        *best = Some(cand);
    }
}

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

/// What one query asks and over which start instants.
struct Query<'t, 'c> {
    tl: &'t Timeline<'c>,
    timing: Timing,
    starts: Starts,
    measure: Measure,
    /// the window, `[w.0, w.1)`
    w: (Ns, Ns),
}

/// The outcome of scheduling one group of samples.
struct Evaluated {
    best: Best,
    /// the earliest and latest instant the group's computation touched
    lo: Ns,
    hi: Ns,
}

#[cfg(test)]
thread_local! {
    /// Groups evaluated by scheduling their samples (the tests count what folding saves).
    pub(super) static EVALUATED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

impl Query<'_, '_> {
    /// Schedules every sample inside the window (open ones only for `OpenMoments`). `None` if a
    /// schedule fails. `raw` spans every instant the samples were derived from.
    fn evaluate(&self, samples: &mut Vec<Ns>, raw: (Ns, Ns)) -> Option<Evaluated> {
        #[cfg(test)]
        EVALUATED.with(|c| c.set(c.get() + 1));
        let (w0, w1) = self.w;
        samples.retain(|&s| s >= w0 && s < w1);
        samples.sort_unstable();
        samples.dedup();
        let mut out = Evaluated {
            best: None,
            lo: raw.0,
            hi: raw.1,
        };
        for &from in samples.iter() {
            if self.starts == Starts::OpenMoments && !self.tl.is_open(from) {
                continue;
            }
            let to = self.tl.schedule(from, self.timing)?;
            out.hi = out.hi.max(to);
            let minutes = match self.measure {
                Measure::Wall => u64::try_from(whole_minutes(to - from)).unwrap_or(0),
                Measure::Business => self.tl.business_minutes_between(from, to),
            };
            keep(&mut out.best, (minutes, from, to));
        }
        Some(out)
    }
}

/// How [`worst_case`] evaluates: folding repeated dates (the default) or every date afresh (the
/// reference the tests compare with).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Fold,
    EveryDate,
}

/// The worst case over `window`; `shared` is a precomputed timeline of the same calendar, used
/// when it covers the dates the query needs.
#[allow(clippy::too_many_arguments)]
pub(super) fn worst_case(
    cal: &Calendar,
    shared: Option<&DayCache>,
    memo: Option<&FoldMemo>,
    timing: Timing,
    starts: Starts,
    measure: Measure,
    window: (NaiveDate, NaiveDate),
    mode: Mode,
) -> Option<WorstCase> {
    // a weekday anchor sees which weekday a date is, which the classes folded on do not tell
    let mode = if timing.is_anchor() {
        Mode::EveryDate
    } else {
        mode
    };
    let (d0, d1) = (day_of(window.0), day_of(window.1));
    if d1 < d0 || d1 - d0 >= i32::try_from(MAX_WALK_DAYS).ok()? {
        return None;
    }
    let plain = match shared {
        Some(c) => Timeline::with_shared(cal, c),
        None => Timeline::new(cal),
    };
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
    let tl = if plain.covers(cache_first, cache_last) {
        plain
    } else {
        Timeline::with_cache(cal, date_of(cache_first)?, date_of(cache_last)?)
    };
    let q = Query {
        tl: &tl,
        timing,
        starts,
        measure,
        w: (w0, w1),
    };
    let table = memo.map(|m| m.table(memo_key(&tl, timing, starts, measure, false)));
    let mut folds = QueryFolds::new(table.as_deref());
    let mut best: Best = None;
    let mut samples: Vec<Ns> = Vec::new();

    // 1. the per-date grid and boundaries
    let grid = day_minutes(tl.hours(), timing, starts);
    for d in d0..=d1 {
        if starts == Starts::OpenMoments && !tl.is_working(d) {
            continue;
        }
        if mode == Mode::Fold {
            if let Some(b) = folds.find(&tl, q.w, d) {
                if let Some(b) = b {
                    keep(&mut best, b);
                }
                continue;
            }
        }
        samples.clear();
        for &m in &grid {
            let (a, b) = tl.resolve_min_all(d, m);
            samples.extend(a);
            samples.extend(b);
        }
        let (Some(&lo), Some(&hi)) = (samples.iter().min(), samples.iter().max()) else {
            continue;
        };
        let e = q.evaluate(&mut samples, (lo, hi))?;
        if let Some(b) = e.best {
            keep(&mut best, b);
        }
        if mode == Mode::Fold {
            folds.store(&tl, q.w, d, (e.lo, e.hi), e.best, (lo, hi));
        }
    }
    folds.finish();

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
        let table = memo.map(|m| m.table(memo_key(&tl, timing, starts, measure, true)));
        let mut folds = QueryFolds::new(table.as_deref());
        let mut targets: Vec<Ns> = Vec::new();
        for d in d0.checked_sub(1)?..=last_target {
            targets.clear();
            for (s, e) in tl.day(d).iter() {
                targets.push(s);
                targets.push(e);
            }
            if let Some(m) = timing.at_clock {
                let (a, b) = tl.resolve_min_all(d, m);
                targets.extend(a);
                targets.extend(b);
            }
            let (Some(&lo), Some(&hi)) = (targets.iter().min(), targets.iter().max()) else {
                continue;
            };
            if mode == Mode::Fold {
                if let Some(b) = folds.find(&tl, q.w, d) {
                    if let Some(b) = b {
                        keep(&mut best, b);
                    }
                    continue;
                }
            }
            samples.clear();
            // every instant of the group, kept or not (a fold is used only where the window
            // keeps the same samples); a walk back that fails went beyond the group's dates
            let mut raw = (lo, hi);
            let mut complete = true;
            for &b in &targets {
                if b < w0 {
                    continue;
                }
                match preimage(b) {
                    Some(p) => {
                        raw = (raw.0.min(p), raw.1.max(p + NS_PER_MIN));
                        if p < w1 {
                            samples.push(p);
                            samples.push(p + NS_PER_MIN);
                        }
                    }
                    None => complete = false,
                }
            }
            let e = q.evaluate(&mut samples, raw)?;
            if let Some(b) = e.best {
                keep(&mut best, b);
            }
            if mode == Mode::Fold && complete {
                folds.store(&tl, q.w, d, (e.lo, e.hi), e.best, raw);
            }
        }
        folds.finish();
    }

    let (minutes, from, to) = best?;
    Some(WorstCase {
        minutes,
        from: from_ns(from)?,
        to: from_ns(to)?,
    })
}
