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

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Paired {
    /// both won / only base / only candidate / neither
    pub both: u64,
    pub only_base: u64,
    pub only_candidate: u64,
    pub neither: u64,
    pub enrolled_base: u64,
    pub enrolled_candidate: u64,
    /// per batch: (base median, candidate median, base p90, candidate p90) of won cycle minutes
    pub batches: Vec<[Option<f64>; 4]>,
    pub cycle_sum_base: f64,
    pub cycle_sum_candidate: f64,
}

fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let k = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[k - 1])
}

impl Paired {
    /// Add one batch of leads, in lead order for both versions.
    pub fn add_batch(&mut self, base: &[LeadResult], cand: &[LeadResult]) {
        let mut cb = Vec::new();
        let mut cc = Vec::new();
        for (a, b) in base.iter().zip(cand) {
            self.enrolled_base += u64::from(a.enrolled);
            self.enrolled_candidate += u64::from(b.enrolled);
            match (a.won, b.won) {
                (true, true) => self.both += 1,
                (true, false) => self.only_base += 1,
                (false, true) => self.only_candidate += 1,
                (false, false) => self.neither += 1,
            }
            if a.won {
                cb.push(a.cycle_minutes);
                self.cycle_sum_base += a.cycle_minutes;
            }
            if b.won {
                cc.push(b.cycle_minutes);
                self.cycle_sum_candidate += b.cycle_minutes;
            }
        }
        cb.sort_by(f64::total_cmp);
        cc.sort_by(f64::total_cmp);
        self.batches.push([
            quantile(&cb, 0.5),
            quantile(&cc, 0.5),
            quantile(&cb, 0.9),
            quantile(&cc, 0.9),
        ]);
    }

    pub fn n(&self) -> u64 {
        self.both + self.only_base + self.only_candidate + self.neither
    }

    /// Conversion per lead of the population (won / leads) for base and candidate.
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
        let diffs: Vec<f64> = self
            .batches
            .iter()
            .filter_map(|b| match (b[which * 2], b[which * 2 + 1]) {
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
