//! One settings resolution for `simulate` and `compare`: a simulation block (or a cadence and a
//! lead model) plus the run flags give the scenario (start, arrival window, horizon), the number
//! of leads and the seed. Flags obey the same rules as the file.

use crate::model::{Model, SimTarget, Simulation};
use crate::simulate::{self, Config, Program};

use super::simulate::{parse_horizon, start_minutes, RunFlags};

/// The most leads one run takes (flags and files alike): memory is flat, so this bounds time.
pub const MAX_LEADS: u64 = 1_000_000_000;
/// `--precision` stops adding leads here, and says so, when the target is not reached.
pub const PRECISION_CAP: u64 = 100_000_000;
/// Leads of a scenario when neither the simulation nor the lead model gives a `count`.
pub const DEFAULT_LEADS: u64 = 10_000;
pub const DEFAULT_START: &str = "2026-01-05 09:00";
pub const DEFAULT_HORIZON_MINUTES: u64 = 180 * 1440;

/// What one side of a run is: a simulation, or a (cadence, lead model) pair.
#[derive(Debug, Clone)]
pub struct Source<'m> {
    pub simulation: Option<&'m Simulation>,
    pub target: SimTarget,
    pub leads: usize,
}

/// The resolved settings of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub seed: u64,
    /// leads to run (the flag, else the scenario's)
    pub count: u64,
    /// leads of the scenario (the file's `count`): fixes the arrival window
    pub scenario_leads: u64,
    pub start_text: String,
    pub horizon_minutes: u64,
    pub precision: Option<f64>,
}

/// Check a lead count from a flag against the rule the file obeys.
pub fn check_count(n: u64) -> Result<u64, String> {
    if n == 0 || n > MAX_LEADS {
        return Err(format!(
            "--count {n} is out of range: a run takes 1 to {MAX_LEADS} leads"
        ));
    }
    Ok(n)
}

/// Check `--precision`: a half-width of the conversion interval, as a fraction.
pub fn check_precision(p: f64) -> Result<f64, String> {
    if !p.is_finite() || p <= 0.0 || p >= 0.5 {
        return Err(format!(
            "--precision {p} is out of range: give the interval half-width as a fraction above 0 and below 0.5 (e.g. 0.005 for ±0.5 pp)"
        ));
    }
    Ok(p)
}

pub fn resolve(
    model: &Model,
    src: &Source<'_>,
    flags: &RunFlags,
    precision: Option<f64>,
) -> Result<Settings, String> {
    let sim = src.simulation;
    let lead_count = model.leads.get(src.leads).and_then(|l| l.count);
    let scenario_leads = sim
        .and_then(|s| s.count)
        .or(lead_count)
        .unwrap_or(DEFAULT_LEADS);
    let count = match flags.count {
        Some(n) => check_count(n)?,
        None => scenario_leads,
    };
    let horizon_minutes = match &flags.horizon {
        Some(h) => parse_horizon(h)?,
        None => sim
            .and_then(|s| s.horizon_minutes)
            .unwrap_or(DEFAULT_HORIZON_MINUTES),
    };
    Ok(Settings {
        seed: flags.seed.or(sim.and_then(|s| s.seed)).unwrap_or(1),
        count,
        scenario_leads,
        start_text: sim
            .and_then(|s| s.start.clone())
            .unwrap_or_else(|| DEFAULT_START.to_string()),
        horizon_minutes,
        precision: precision.map(check_precision).transpose()?,
    })
}

impl Settings {
    /// The engine's configuration for this program (the start read in its calendar's zone).
    pub fn config(&self, p: &Program) -> Result<Config, String> {
        Ok(Config {
            seed: self.seed,
            count: self.count,
            start: start_minutes(p, &self.start_text)?,
            horizon_minutes: self.horizon_minutes as f64,
            precision: self.precision,
            max_count: if self.precision.is_some() {
                PRECISION_CAP.max(self.count)
            } else {
                self.count
            },
            arrival_window_minutes: simulate::arrival_window(p, self.scenario_leads),
        })
    }
}
