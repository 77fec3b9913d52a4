//! Paired comparison of two versions on the same synthetic leads (common random numbers).
//! The conversion difference gets Newcombe's paired interval (method 10, built from the two
//! Wilson intervals and the correlation of the pairs), never an independent-samples interval,
//! which is many times too wide on paired output. Cycle-time percentiles are compared over
//! batches of leads: the mean of per-batch differences with a t interval.

use super::engine::LeadResult;
use super::report::wilson;

/// Leads are split into this many batches for the percentile differences.
pub const BATCHES: usize = 20;
/// t quantiles (0.975) for 1..=19 degrees of freedom.
const T975: [f64; 19] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093,
];

/// The paired tally of a comparison. Pairs count the leads enrolled on either side (a lead
/// one side does not enroll is not won there). Only integers, so it merges exactly in any order;
/// memory does not grow with the number of leads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Paired {
    /// both won / only base / only candidate / neither
    pub both: u64,
    pub only_base: u64,
    pub only_candidate: u64,
    pub neither: u64,
    pub leads: u64,
    pub enrolled_base: u64,
    pub enrolled_candidate: u64,
    pub enrolled_both: u64,
    /// per batch, per side: won cycle times in whole hours
    pub hist: Vec<[Vec<u64>; 2]>,
    /// won cycle minutes, summed (rounded per lead)
    pub cycle_sum_base: u128,
    pub cycle_sum_candidate: u128,
}

/// The q-quantile of an hourly histogram, in minutes (the middle of its hour).
fn quantile(hist: &[u64], q: f64) -> Option<f64> {
    let n: u64 = hist.iter().sum();
    if n == 0 {
        return None;
    }
    let k = ((q * n as f64).ceil() as u64).clamp(1, n);
    let mut acc = 0;
    for (h, c) in hist.iter().enumerate() {
        acc += c;
        if acc >= k {
            return Some((h as f64 + 0.5) * 60.0);
        }
    }
    None
}

impl Paired {
    pub fn new(hours: usize) -> Paired {
        Paired {
            hist: (0..BATCHES)
                .map(|_| [vec![0; hours + 1], vec![0; hours + 1]])
                .collect(),
            ..Paired::default()
        }
    }

    /// Count one lead's pair of results into `batch`.
    pub fn add(&mut self, batch: usize, a: &LeadResult, b: &LeadResult) {
        self.leads += 1;
        self.enrolled_base += u64::from(a.enrolled);
        self.enrolled_candidate += u64::from(b.enrolled);
        self.enrolled_both += u64::from(a.enrolled && b.enrolled);
        if !a.enrolled && !b.enrolled {
            return;
        }
        match (a.won, b.won) {
            (true, true) => self.both += 1,
            (true, false) => self.only_base += 1,
            (false, true) => self.only_candidate += 1,
            (false, false) => self.neither += 1,
        }
        for (side, r) in [a, b].into_iter().enumerate() {
            if !r.won {
                continue;
            }
            let m = r.cycle_minutes.round().max(0.0);
            if side == 0 {
                self.cycle_sum_base += m as u128;
            } else {
                self.cycle_sum_candidate += m as u128;
            }
            if let Some(h) = self.hist.get_mut(batch).map(|x| &mut x[side]) {
                let i = ((m / 60.0) as usize).min(h.len().saturating_sub(1));
                if let Some(c) = h.get_mut(i) {
                    *c += 1;
                }
            }
        }
    }

    pub fn merge(&mut self, o: &Paired) {
        self.both += o.both;
        self.only_base += o.only_base;
        self.only_candidate += o.only_candidate;
        self.neither += o.neither;
        self.leads += o.leads;
        self.enrolled_base += o.enrolled_base;
        self.enrolled_candidate += o.enrolled_candidate;
        self.enrolled_both += o.enrolled_both;
        self.cycle_sum_base += o.cycle_sum_base;
        self.cycle_sum_candidate += o.cycle_sum_candidate;
        if self.hist.is_empty() {
            self.hist = o.hist.clone();
            return;
        }
        for (a, b) in self.hist.iter_mut().zip(&o.hist) {
            for side in 0..2 {
                for (x, y) in a[side].iter_mut().zip(&b[side]) {
                    *x += y;
                }
            }
        }
    }

    /// Whether both sides enroll exactly the same leads.
    pub fn same_enrolment(&self) -> bool {
        self.enrolled_base == self.enrolled_both && self.enrolled_candidate == self.enrolled_both
    }

    /// Mean cycle time of won leads in days, per side.
    pub fn mean_cycle_days(&self) -> (Option<f64>, Option<f64>) {
        let wins_b = self.both + self.only_base;
        let wins_c = self.both + self.only_candidate;
        let mean = |sum: u128, n: u64| (n > 0).then(|| sum as f64 / n as f64 / 1440.0);
        (
            mean(self.cycle_sum_base, wins_b),
            mean(self.cycle_sum_candidate, wins_c),
        )
    }

    pub fn n(&self) -> u64 {
        self.both + self.only_base + self.only_candidate + self.neither
    }

    /// Conversion (won / leads enrolled on either side; with the same enrolment, won / enrolled
    /// as `simulate` reports it) for base and candidate.
    pub fn rates(&self) -> (f64, f64) {
        let n = self.n().max(1) as f64;
        (
            (self.both + self.only_base) as f64 / n,
            (self.both + self.only_candidate) as f64 / n,
        )
    }

    /// Candidate minus base, with Newcombe's paired 95% interval.
    pub fn difference(&self) -> (f64, f64, f64) {
        let n = self.n();
        let (a, b, c, d) = (
            self.both as f64,
            self.only_base as f64,
            self.only_candidate as f64,
            self.neither as f64,
        );
        let (p1, p2) = self.rates();
        let (l1, u1) = wilson(self.both + self.only_base, n);
        let (l2, u2) = wilson(self.both + self.only_candidate, n);
        let denom = ((a + b) * (c + d) * (a + c) * (b + d)).sqrt();
        let phi = if denom > 0.0 {
            (a * d - b * c) / denom
        } else {
            0.0
        };
        // for theta = p1 - p2: L = theta - delta, U = theta + epsilon
        let delta = ((p1 - l1).powi(2) - 2.0 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2).powi(2))
            .max(0.0)
            .sqrt();
        let epsilon = ((u1 - p1).powi(2) - 2.0 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2).powi(2))
            .max(0.0)
            .sqrt();
        let diff = p2 - p1;
        (diff, diff - epsilon, diff + delta)
    }

    /// Share of leads whose result (won or not) differs between the versions.
    pub fn changed(&self) -> f64 {
        (self.only_base + self.only_candidate) as f64 / self.n().max(1) as f64
    }

    /// Mean of per-batch differences (candidate - base) of a percentile, in days, with a 95% t
    /// interval; `which` is 0 for the median, 1 for p90. None when too few batches have wins.
    pub fn percentile_difference(&self, which: usize) -> Option<(f64, f64, f64)> {
        let q = if which == 0 { 0.5 } else { 0.9 };
        let diffs: Vec<f64> = self
            .hist
            .iter()
            .filter_map(|b| match (quantile(&b[0], q), quantile(&b[1], q)) {
                (Some(x), Some(y)) => Some((y - x) / 1440.0),
                _ => None,
            })
            .collect();
        if diffs.len() < 2 {
            return None;
        }
        let k = diffs.len() as f64;
        let mean = diffs.iter().sum::<f64>() / k;
        let var = diffs.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (k - 1.0);
        let t = T975[(diffs.len() - 2).min(T975.len() - 1)];
        let half = t * (var / k).sqrt();
        Some((mean, mean - half, mean + half))
    }
}

/// The per-step funnels of both versions, step by step: a step of one version is the same step
/// of the other when it has the same draws (its `site`: the name, or cadence and name where
/// two cadences share a name). Base order, a step only the candidate has after the candidate's
/// step before it. `identical`: on both sides, with the same channel, reach, outcomes and
/// passes.
pub fn steps_json(
    base: (&super::Program, &super::Tally),
    cand: (&super::Program, &super::Tally),
) -> serde_json::Value {
    use serde_json::{json, Value};
    let (pb, pc) = (base.0, cand.0);
    // (base step, candidate step)
    let mut pairs: Vec<(Option<usize>, Option<usize>)> = (0..pb.steps.len())
        .map(|i| {
            (
                Some(i),
                pc.steps.iter().position(|s| s.site == pb.steps[i].site),
            )
        })
        .collect();
    let mut after = 0;
    for j in 0..pc.steps.len() {
        match pairs.iter().position(|p| p.1 == Some(j)) {
            Some(at) => after = at + 1,
            None => {
                pairs.insert(after, (None, Some(j)));
                after += 1;
            }
        }
    }
    let side = |x: Option<usize>, (p, t): (&super::Program, &super::Tally)| {
        x.map_or(Value::Null, |i| super::report::step_json(p, t, i))
    };
    let funnel =
        |v: &Value| ["channel", "reached", "outcomes", "skipped"].map(|k| v.get(k).cloned());
    Value::Array(
        pairs
            .into_iter()
            .map(|(b, c)| {
                let (vb, vc) = (side(b, base), side(c, cand));
                let name = match (b, c) {
                    (Some(i), _) => pb.steps[i].name.clone(),
                    (None, Some(j)) => pc.steps[j].name.clone(),
                    (None, None) => String::new(),
                };
                json!({
                    "step": name,
                    "identical": !vb.is_null() && !vc.is_null() && funnel(&vb) == funnel(&vc),
                    "base": vb,
                    "candidate": vc,
                })
            })
            .collect(),
    )
}
