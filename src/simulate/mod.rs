//! Stage 6: Monte Carlo simulation of a cadence over a lead model, on the checked model.
//!
//! `program` compiles the model for one (cadence, leads) pair; `clock` precomputes the calendar
//! for the run's window; `engine` runs each lead as a small discrete-event process; `random`
//! keys every draw by meaning; `report` turns integer tallies into statistics. Leads run in
//! parallel (rayon); every aggregate is an integer, so the result is the same bytes on any
//! thread count.

pub mod clock;
pub mod columns;
pub mod compare;
pub mod conds;
pub mod draws;
pub mod engine;
pub mod exact;
pub mod funnel;
pub mod observe;
pub mod outcomes;
pub mod population;
pub mod program;
pub mod random;
pub mod report;
pub mod shared_life;
pub mod tally;
pub mod waking;

use rayon::prelude::*;

use crate::model::{Model, Value};
pub use engine::RunCtx;
pub use program::{compile, compile_target, Program, ProgramError};
pub use report::Report;
pub use shared_life::SharedLives;
pub use tally::{LeadResult, Tally};

/// The numeric value of a model constant (durations in minutes, money as its amount).
pub fn value_number(v: &Value) -> f64 {
    match v {
        Value::Number(x) | Value::Percent(x) | Value::Minutes(x) => *x,
        Value::BusinessDays(d) => d * 1440.0,
        Value::BusinessMinutes(m) => *m,
        Value::Money { amount, .. } => *amount,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Text(_) => f64::NAN,
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub seed: u64,
    pub count: u64,
    /// minutes since the Unix epoch
    pub start: f64,
    pub horizon_minutes: f64,
    /// stop adding leads once the conversion interval's half-width is below this
    pub precision: Option<f64>,
    /// hard ceiling for `precision` runs
    pub max_count: u64,
    /// with `arrivals`: the minutes over which leads enroll (see `arrival_window`)
    pub arrival_window_minutes: f64,
}

/// The arrival window of a scenario: the leads of the scenario (`count` of the simulation or
/// lead model) at the model's arrival rate. Running more leads replicates the same scenario.
pub fn arrival_window(p: &Program, scenario_leads: u64) -> f64 {
    match p.arrivals_per_day {
        Some(rate) if rate > 0.0 => scenario_leads as f64 / rate * 1440.0,
        _ => 0.0,
    }
}

/// Leads per unit of parallel work.
const CHUNK: u64 = 4096;

fn hist_hours(cfg: &Config) -> usize {
    (cfg.horizon_minutes / 60.0).ceil() as usize + 1
}

/// The program's calendars precomputed over every instant the run can reach: arrivals plus
/// the horizon (one per `Program::calendars`).
pub fn clocks_for(p: &Program, cfg: &Config) -> Vec<clock::SimClock> {
    let arrival_days = cfg.arrival_window_minutes / 1440.0;
    // beyond the window the engine answers, so the window's size is only a speed matter
    let days = (arrival_days + cfg.horizon_minutes / 1440.0 + 60.0).min(20_000.0);
    p.calendars
        .iter()
        .map(|cal| clock::SimClock::for_run(cal.clone(), cfg.start, days))
        .collect()
}

pub fn ctx<'a>(p: &'a Program, clocks: &'a [clock::SimClock], cfg: &Config) -> RunCtx<'a> {
    RunCtx {
        program: p,
        clocks,
        seed: cfg.seed,
        start: cfg.start,
        horizon: cfg.horizon_minutes,
        arrival_window: cfg.arrival_window_minutes,
        // what a touch can reach: the arrivals, the horizon, and opens and replies after it
        waking: p.lead_tz.map(|tz| {
            let last = cfg.start + cfg.arrival_window_minutes + cfg.horizon_minutes;
            waking::WakingTable::new(tz, cfg.start, last + 60.0 * 1440.0)
        }),
    }
}

/// Run leads `from..to` and return their tally (in parallel; integer sums, so order-free).
/// A lead that lives one of `shared`'s lives counts that life's tally, without the engine.
pub fn run_range(
    ctx: &RunCtx<'_>,
    hours: usize,
    from: u64,
    to: u64,
    shared: Option<&SharedLives>,
) -> Tally {
    let p = ctx.program;
    let chunks: Vec<(u64, u64)> = (from..to)
        .step_by(CHUNK as usize)
        .map(|a| (a, (a + CHUNK).min(to)))
        .collect();
    // one tally and scratch per piece of work rayon splits off, not per chunk: a tally is wide
    // (histograms per stage), and creating and merging one per chunk cost more than its leads
    let lives = shared.map_or(0, |l| l.lives.len());
    let (mut total, lived) = chunks
        .par_iter()
        .fold(
            || {
                let s = engine::Scratch::default();
                (Tally::new(p, hours), s, Vec::new(), vec![0u64; lives])
            },
            |(mut t, mut s, mut out, mut lived), (a, b)| {
                for i in *a..*b {
                    match shared.and_then(|l| l.find(ctx, i, &mut out)) {
                        Some(k) => lived[k] += 1,
                        None => {
                            engine::run_lead(ctx, i, &mut t, &mut s);
                        }
                    }
                }
                (t, s, out, lived)
            },
        )
        .map(|(t, _, _, lived)| (t, lived))
        .reduce(
            || (Tally::new(p, hours), vec![0; lives]),
            |(mut a, mut n), (b, m)| {
                a.merge(&b);
                add_counts(&mut n, &m);
                (a, n)
            },
        );
    for (life, n) in shared.iter().flat_map(|l| &l.lives).zip(lived) {
        total.merge_times(&life.tally, n);
    }
    total
}

/// Run a whole simulation: `count` leads, or until `precision` is reached.
pub fn simulate(p: &Program, cfg: &Config, mut progress: impl FnMut(u64, u64)) -> Tally {
    let clocks = clocks_for(p, cfg);
    let ctx = ctx(p, &clocks, cfg);
    let hours = hist_hours(cfg);
    let shared = SharedLives::probe(&ctx, hours, cfg.count);
    let shared = shared.as_ref();
    // in slices, so that a progress bar moves; slicing changes no count
    let step = cfg.count.div_ceil(20).max(CHUNK);
    let mut total = Tally::new(p, hours);
    let mut done = 0;
    while done < cfg.count {
        let next = (done + step).min(cfg.count);
        total.merge(&run_range(&ctx, hours, done, next, shared));
        done = next;
        progress(done, cfg.count);
    }
    if let Some(target) = cfg.precision {
        while done < cfg.max_count && report::wilson_half_width(total.won, total.enrolled) > target
        {
            let next = (done * 2).max(CHUNK).min(cfg.max_count);
            total.merge(&run_range(&ctx, hours, done, next, shared));
            done = next;
            progress(done, cfg.max_count);
        }
    }
    total
}

/// Leads `0..count` on both versions, paired lead by lead (in parallel chunks; integer sums,
/// so order-free; memory flat in `count`). Batch k holds leads `count*k/B .. count*(k+1)/B`.
pub fn compare(base: &RunCtx<'_>, cand: &RunCtx<'_>, hours: usize, count: u64) -> compare::Paired {
    compare_tallied(base, cand, hours, count, |_, _| {}).paired
}

/// What a comparison counted: the pairs, and each side's own tally (its per-step funnel; the
/// tallies' histograms have one bin: the pairs hold the cycle times).
pub struct Compared {
    pub paired: compare::Paired,
    pub base: Tally,
    pub candidate: Tally,
}

/// [`compare`] with each side's tally, in slices so that `progress(done, count)` moves (a
/// lead's batch depends only on its index, so slicing changes no count).
pub fn compare_tallied(
    base: &RunCtx<'_>,
    cand: &RunCtx<'_>,
    hours: usize,
    count: u64,
    mut progress: impl FnMut(u64, u64),
) -> Compared {
    let batches = compare::BATCHES as u128;
    let empty = || Compared {
        paired: compare::Paired::new(hours),
        base: Tally::new(base.program, 1),
        candidate: Tally::new(cand.program, 1),
    };
    let merge = |mut a: Compared, b: Compared| {
        a.paired.merge(&b.paired);
        a.base.merge(&b.base);
        a.candidate.merge(&b.candidate);
        a
    };
    let step = count.div_ceil(20).max(CHUNK);
    // the sides' tallies have one histogram bin, and so have their lives'
    let base_lives = SharedLives::probe(base, 1, count);
    let cand_lives = SharedLives::probe(cand, 1, count);
    let mut total = empty();
    let mut done = 0;
    while done < count {
        let next = (done + step).min(count);
        let chunks: Vec<(u64, u64)> = (done..next)
            .step_by(CHUNK as usize)
            .map(|a| (a, (a + CHUNK).min(next)))
            .collect();
        let (lb, lc) = (lives_of(&base_lives), lives_of(&cand_lives));
        let (part, lived_b, lived_c) = chunks
            .par_iter()
            .fold(
                || {
                    let s = || engine::Scratch::default();
                    (
                        empty(),
                        s(),
                        s(),
                        Vec::new(),
                        vec![0u64; lb],
                        vec![0u64; lc],
                    )
                },
                |(mut acc, mut sb, mut sc, mut out, mut nb, mut nc), (a, b)| {
                    for i in *a..*b {
                        let rb = one_lead(
                            base,
                            &base_lives,
                            i,
                            &mut acc.base,
                            &mut sb,
                            &mut out,
                            &mut nb,
                        );
                        let rc = one_lead(
                            cand,
                            &cand_lives,
                            i,
                            &mut acc.candidate,
                            &mut sc,
                            &mut out,
                            &mut nc,
                        );
                        let batch = (u128::from(i) * batches / u128::from(count.max(1))) as usize;
                        acc.paired.add(batch, &rb, &rc);
                    }
                    (acc, sb, sc, out, nb, nc)
                },
            )
            .map(|(acc, _, _, _, nb, nc)| (acc, nb, nc))
            .reduce(
                || (empty(), vec![0; lb], vec![0; lc]),
                |(a, mut na, mut ma), (b, nb, mb)| {
                    add_counts(&mut na, &nb);
                    add_counts(&mut ma, &mb);
                    (merge(a, b), na, ma)
                },
            );
        let mut part = part;
        for (life, n) in base_lives.iter().flat_map(|l| &l.lives).zip(lived_b) {
            part.base.merge_times(&life.tally, n);
        }
        for (life, n) in cand_lives.iter().flat_map(|l| &l.lives).zip(lived_c) {
            part.candidate.merge_times(&life.tally, n);
        }
        total = merge(total, part);
        done = next;
        progress(done, count);
    }
    total
}

fn lives_of(l: &Option<SharedLives>) -> usize {
    l.as_ref().map_or(0, |l| l.lives.len())
}

fn add_counts(a: &mut [u64], b: &[u64]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

/// Lead `i` of one side of a comparison: its shared life's result (counted in `lived`), or the
/// engine's.
fn one_lead(
    ctx: &RunCtx<'_>,
    lives: &Option<SharedLives>,
    i: u64,
    t: &mut Tally,
    s: &mut engine::Scratch,
    out: &mut Vec<outcomes::Happening>,
    lived: &mut [u64],
) -> LeadResult {
    match lives
        .as_ref()
        .and_then(|l| l.find(ctx, i, out).map(|k| (l, k)))
    {
        Some((l, k)) => {
            lived[k] += 1;
            l.lives[k].result
        }
        None => engine::run_lead(ctx, i, t, s),
    }
}

/// Compile and check that the model is complete enough to simulate.
pub fn program_for(model: &Model, cadence: usize, leads: usize) -> Result<Program, ProgramError> {
    compile(model, cadence, leads)
}
