//! `--holdout-after DATE`: the model fitted on the deals that started before DATE is run on the
//! simulator's engine for the deals that started on or after it — each simulated deal enters
//! the pipeline's first stage when its real one did and is followed to the export's date, as
//! the real one was — and the cohort's conversion and cycle-time percentiles are set against
//! the spread of many simulated cohorts. Each simulated cohort first draws its milestone
//! parameters from the fits' Wald distributions, so the spread holds the uncertainty of the fit
//! as well as the luck of the cohort.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use rayon::prelude::*;
use serde::Serialize;

use super::emit::{days, exit_event, percent};
use super::stages::Entry;
use super::survival::Fit;
use super::Calibration;
use crate::model::{Model, Pipeline, SimTarget, StageOutcome};
use crate::simulate::{self, engine, program, Tally};

/// Simulated cohorts per back-test: enough for the tails of the ranges below.
pub const REPLICATES: u32 = 1000;
/// The chance that history falls outside some range of a model that is right.
pub const ALPHA: f64 = 0.05;

/// The later cohort, as history saw it.
#[derive(Debug, Clone, Serialize)]
pub struct Holdout {
    pub after: NaiveDateTime,
    /// deals that started before `after` (the fit's)
    pub fit_deals: u64,
    /// deals of the cohort whose history starts in another stage than the pipeline's first:
    /// the simulation starts every deal there, so they are left out
    pub left_out: u64,
    #[serde(skip)]
    pub cohort: Vec<CohortDeal>,
}

#[derive(Debug, Clone)]
pub struct CohortDeal {
    pub arrival: NaiveDateTime,
    /// days from the arrival to the first entry of a won stage, if it was won
    pub won_after: Option<f64>,
}

/// Takes the deals that started on or after `after` out of `deals`, as the cohort.
pub fn split(
    deals: &mut BTreeMap<String, Vec<Entry>>,
    after: NaiveDateTime,
    pipeline: &Pipeline,
) -> Result<Holdout, String> {
    let first = pipeline.stages.first().map(|s| s.name.as_str());
    let won: Vec<&str> = pipeline
        .stages
        .iter()
        .filter(|s| s.outcome == Some(StageOutcome::Won))
        .map(|s| s.name.as_str())
        .collect();
    let later: Vec<String> = deals
        .iter()
        .filter(|(_, v)| v.first().is_some_and(|e| e.at >= after))
        .map(|(k, _)| k.clone())
        .collect();
    let mut h = Holdout {
        after,
        fit_deals: 0,
        left_out: 0,
        cohort: Vec::new(),
    };
    for k in later {
        let Some(v) = deals.remove(&k) else { continue };
        let Some(start) = v.first() else { continue };
        if Some(start.stage.as_str()) != first {
            h.left_out += 1;
            continue;
        }
        let won_after = v
            .iter()
            .find(|e| won.contains(&e.stage.as_str()))
            .map(|e| (e.at - start.at).num_seconds() as f64 / 86_400.0);
        h.cohort.push(CohortDeal {
            arrival: start.at,
            won_after,
        });
    }
    h.fit_deals = deals.len() as u64;
    let day = after.format("%Y-%m-%d");
    if h.fit_deals == 0 {
        return Err(format!("--holdout-after {day}: no deal started before it"));
    }
    if h.cohort.is_empty() {
        return Err(format!(
            "--holdout-after {day}: no deal started in the first stage on or after it"
        ));
    }
    Ok(h)
}

#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub name: &'static str,
    /// the cohort's own figure (`None`: no deal of it was won, so no cycle time)
    pub actual: Option<f64>,
    pub simulated_median: Option<f64>,
    /// the range holding `level` of the simulated cohorts
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// the simulated cohorts that had the figure (a cohort with no win has no cycle time)
    pub replicates: u64,
    pub inside: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Backtest {
    pub after: NaiveDateTime,
    pub as_of: NaiveDateTime,
    pub fit_deals: u64,
    pub cohort_deals: u64,
    pub cohort_won: u64,
    pub left_out: u64,
    pub replicates: u32,
    /// each figure's range holds this share of the simulated cohorts (Bonferroni: together
    /// they hold 1 − ALPHA)
    pub level: f64,
    pub figures: Vec<Figure>,
    /// every figure history has is inside its range
    pub inside: bool,
    pub verdict: String,
}

/// Type-7 percentile of sorted values.
fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let at = q * last as f64;
    let (i, f) = (at.floor() as usize, at.fract());
    let next = sorted.get(i + 1).copied().unwrap_or(sorted[last]);
    Some(sorted[i] + f * (next - sorted[i]))
}

/// (conversion, cycle p50, cycle p90) of a cohort: n deals and their wins' cycle days.
fn figures_of(n: usize, mut cycles: Vec<f64>) -> [Option<f64>; 3] {
    cycles.sort_by(f64::total_cmp);
    [
        Some(cycles.len() as f64 / n.max(1) as f64),
        percentile(&cycles, 0.5),
        percentile(&cycles, 0.9),
    ]
}

const NAMES: [&str; 3] = ["conversion", "cycle_p50_days", "cycle_p90_days"];

/// Standard normals keyed by (seed, replicate, index): the same on any thread count.
fn normal(seed: u64, replicate: u64, i: u64) -> f64 {
    let mix = |mut z: u64| {
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let key = mix(seed ^ mix(replicate.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ mix(i + 1)));
    let u = |k: u64| ((mix(k) >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    let (u1, u2) = (u(key), u(key ^ 0xD6E8_FEB8_6659_FD93));
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn minutes(t: NaiveDateTime) -> f64 {
    t.and_utc().timestamp() as f64 / 60.0
}

/// Runs the back-test of `c` (calibrated on the fit deals, its block named `leads` and checked
/// into `model`) on the cohort of `h`.
pub fn run(
    model: &Model,
    c: &Calibration,
    h: &Holdout,
    leads: &str,
    seed: u64,
) -> Result<Backtest, String> {
    let as_of = c.as_of.ok_or("the export has no date")?;
    let pid = model
        .pipelines
        .iter()
        .position(|p| Some(&p.name) == c.pipeline.as_ref())
        .ok_or("the back-test needs the project's pipeline (`--project`)")?;
    let pipeline = &model.pipelines[pid];
    let base = model
        .leads
        .iter()
        .find(|l| l.name == leads)
        .ok_or("the calibrated block is not in the checked model")?;
    // each milestone of the block with the fit it came from
    let fits: Vec<Option<&Fit>> = base
        .base
        .milestones
        .iter()
        .map(|m| {
            let s = c.stages.iter().find(|s| s.stage == m.stage)?;
            s.transitions
                .iter()
                .find(|t| exit_event(pipeline, &s.stage, &t.to).ok() == Some(m.event.as_str()))
                .and_then(|t| t.fits.first())
        })
        .collect();
    let target = SimTarget::Pipeline {
        pipeline: pid,
        stage: None,
        cadences: model.pipeline_cadences(pid),
    };
    let compile = |lm: &crate::model::LeadModel| {
        program::compile_for(model, &target, lm).map_err(|e| format!("cannot simulate: {}", e.0))
    };
    let first = h.cohort.iter().map(|d| d.arrival).min().unwrap_or(h.after);
    let cfg = simulate::Config {
        seed,
        count: h.cohort.len() as u64,
        start: minutes(first),
        horizon_minutes: (minutes(as_of) - minutes(first)).max(1.0),
        precision: None,
        max_count: h.cohort.len() as u64,
        arrival_window_minutes: 0.0,
    };
    let clocks = simulate::clocks_for(&compile(base)?, &cfg);
    let n = h.cohort.len();
    let runs: Vec<[Option<f64>; 3]> = (0..u64::from(REPLICATES))
        .into_par_iter()
        .map(|r| {
            let mut lm = base.clone();
            let mut k = 0;
            for (m, fit) in lm.base.milestones.iter_mut().zip(&fits) {
                if let Some(f) = fit {
                    let z: Vec<f64> = (0..f.dimension())
                        .map(|j| normal(seed, r, (k + j) as u64))
                        .collect();
                    k += f.dimension();
                    (m.probability, m.delay_minutes) = f.draw(&z);
                }
            }
            let p = compile(&lm)?;
            let mut tally = Tally::new(&p, 1);
            let mut scratch = engine::Scratch::default();
            let mut cycles = Vec::new();
            for (i, d) in h.cohort.iter().enumerate() {
                let ctx = simulate::RunCtx {
                    program: &p,
                    clocks: &clocks,
                    seed,
                    start: minutes(d.arrival),
                    horizon: (minutes(as_of) - minutes(d.arrival)).max(1.0),
                    arrival_window: 0.0,
                    waking: None,
                };
                let res = engine::run_lead(&ctx, r * n as u64 + i as u64, &mut tally, &mut scratch);
                if res.won {
                    cycles.push(res.cycle_minutes / 1440.0);
                }
            }
            Ok(figures_of(n, cycles))
        })
        .collect::<Result<_, String>>()?;
    let actual = figures_of(n, h.cohort.iter().filter_map(|d| d.won_after).collect());
    let level = 1.0 - ALPHA / NAMES.len() as f64;
    let figures: Vec<Figure> = NAMES
        .iter()
        .enumerate()
        .map(|(i, &name)| {
            let mut sims: Vec<f64> = runs.iter().filter_map(|f| f[i]).collect();
            sims.sort_by(f64::total_cmp);
            let low = percentile(&sims, (1.0 - level) / 2.0);
            let high = percentile(&sims, (1.0 + level) / 2.0);
            let inside = match (actual[i], low, high) {
                (Some(a), Some(l), Some(h)) => Some(l <= a && a <= h),
                _ => None,
            };
            Figure {
                name,
                actual: actual[i],
                simulated_median: percentile(&sims, 0.5),
                low,
                high,
                replicates: sims.len() as u64,
                inside,
            }
        })
        .collect();
    let inside = figures.iter().all(|f| f.inside != Some(false));
    let day = h.after.format("%Y-%m-%d");
    let verdict = if inside {
        format!(
            "history falls inside: the deals that started on or after {day} behaved as the \
             model fitted on the earlier ones predicts"
        )
    } else {
        let outside: Vec<String> = figures
            .iter()
            .filter(|f| f.inside == Some(false))
            .map(|f| {
                let above = f.actual > f.high;
                format!(
                    "{} {} the simulated range",
                    label(f.name),
                    if above { "above" } else { "below" }
                )
            })
            .collect();
        format!(
            "history falls OUTSIDE ({}): the deals that started on or after {day} did not \
             behave as the earlier ones; the process may have changed",
            outside.join(", ")
        )
    };
    Ok(Backtest {
        after: h.after,
        as_of,
        fit_deals: h.fit_deals,
        cohort_deals: n as u64,
        cohort_won: h.cohort.iter().filter(|d| d.won_after.is_some()).count() as u64,
        left_out: h.left_out,
        replicates: REPLICATES,
        level,
        figures,
        inside,
        verdict,
    })
}

fn label(name: &str) -> &'static str {
    match name {
        "conversion" => "conversion",
        "cycle_p50_days" => "cycle time p50",
        _ => "cycle time p90",
    }
}

/// The back-test as comment lines, to follow the block.
pub fn text(b: &Backtest) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Back-test: the block above is fitted on the {} deals that started before {}; the {} \
         that started on or after it ({} won by {}) were simulated {} times on the engine, each \
         entering when the real one did, up to the export's date.",
        b.fit_deals,
        b.after.format("%Y-%m-%d"),
        b.cohort_deals,
        b.cohort_won,
        b.as_of.format("%Y-%m-%d"),
        b.replicates
    );
    if b.left_out > 0 {
        let _ = writeln!(
            out,
            "# {} later deals started in another stage than the first and are left out.",
            b.left_out
        );
    }
    let _ = writeln!(
        out,
        "# Each range holds {} of the simulated cohorts ({} for the three together).",
        percent(b.level),
        percent(1.0 - ALPHA)
    );
    for f in &b.figures {
        let show = |x: Option<f64>| match x {
            None => "none".to_string(),
            Some(v) if f.name == "conversion" => percent(v),
            Some(v) => days(v),
        };
        let judged = match f.inside {
            Some(true) => "inside",
            Some(false) => "OUTSIDE",
            None => "not judged",
        };
        let _ = writeln!(
            out,
            "#   {}: history {}, simulated {} (range {}–{}): {judged}",
            label(f.name),
            show(f.actual),
            show(f.simulated_median),
            show(f.low),
            show(f.high)
        );
    }
    let _ = writeln!(out, "# {}.", b.verdict);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_between_ranks() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(percentile(&v, 0.5), Some(3.0));
        assert_eq!(percentile(&v, 0.9), Some(4.6));
        assert_eq!(percentile(&v, 0.0), Some(1.0));
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(figures_of(4, vec![3.0, 1.0])[0], Some(0.5));
    }

    #[test]
    fn the_normals_have_mean_zero_and_variance_one() {
        let z: Vec<f64> = (0..20_000).map(|i| normal(7, i / 3, i % 3)).collect();
        let mean = z.iter().sum::<f64>() / z.len() as f64;
        let var = z.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / z.len() as f64;
        // four standard errors: 4/√20000 for the mean, 4·√2/√20000 for the variance
        assert!(
            mean.abs() < 0.03 && (var - 1.0).abs() < 0.04,
            "{mean} {var}"
        );
    }
}
