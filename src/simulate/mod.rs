//! Stage 6: Monte Carlo simulation of a cadence over a lead model, on the checked model.
//!
//! `program` compiles the model for one (cadence, leads) pair; `engine` runs each lead as a small
//! discrete-event process; `random` keys every draw by meaning; `report` turns integer tallies
//! into statistics. Leads run in parallel (rayon); every aggregate is an integer, so the result
//! is the same bytes on any thread count.

pub mod engine;
pub mod program;
pub mod random;
pub mod report;

use rayon::prelude::*;

use crate::model::{Model, Value};
pub use engine::{LeadResult, Tally};
pub use program::{compile, Program, ProgramError};
pub use report::Report;

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
}

/// Leads per unit of parallel work.
const CHUNK: u64 = 4096;

/// Run leads `from..to` and return their tally (in parallel; integer sums, so order-free).
pub fn run_range(p: &Program, cfg: &Config, from: u64, to: u64) -> Tally {
    let hours = (cfg.horizon_minutes / 60.0).ceil() as usize + 1;
    let chunks: Vec<(u64, u64)> = (from..to)
        .step_by(CHUNK as usize)
        .map(|a| (a, (a + CHUNK).min(to)))
        .collect();
    chunks
        .par_iter()
        .map(|(a, b)| {
            let mut t = Tally::new(p, hours);
            let mut s = engine::Scratch::default();
            for i in *a..*b {
                engine::run_lead(
                    p,
                    cfg.seed,
                    i,
                    cfg.start,
                    cfg.horizon_minutes,
                    &mut t,
                    &mut s,
                );
            }
            t
        })
        .reduce(
            || Tally::new(p, hours),
            |mut a, b| {
                a.merge(&b);
                a
            },
        )
}

/// Run a whole simulation: `count` leads, or until `precision` is reached.
pub fn simulate(p: &Program, cfg: &Config, mut progress: impl FnMut(u64, u64)) -> Tally {
    let mut total = run_range(p, cfg, 0, cfg.count);
    progress(cfg.count, cfg.count);
    if let Some(target) = cfg.precision {
        let mut done = cfg.count;
        while done < cfg.max_count && report::wilson_half_width(total.won, total.enrolled) > target
        {
            let next = (done * 2).min(cfg.max_count);
            let more = run_range(p, cfg, done, next);
            total.merge(&more);
            done = next;
            progress(done, cfg.max_count);
        }
    }
    total
}

/// Per-lead results for leads `from..to`, in lead order (for paired comparisons).
pub fn results(p: &Program, cfg: &Config, from: u64, to: u64) -> Vec<LeadResult> {
    let hours = (cfg.horizon_minutes / 60.0).ceil() as usize + 1;
    (from..to)
        .into_par_iter()
        .map_init(
            || (Tally::new(p, hours), engine::Scratch::default()),
            |(t, s), i| engine::run_lead(p, cfg.seed, i, cfg.start, cfg.horizon_minutes, t, s),
        )
        .collect()
}

/// Compile and check that the model is complete enough to simulate.
pub fn program_for(model: &Model, cadence: usize, leads: usize) -> Result<Program, ProgramError> {
    compile(model, cadence, leads)
}
