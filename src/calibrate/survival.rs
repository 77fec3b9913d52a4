//! Time-to-event fits by maximum likelihood with right censoring.
//!
//! A milestone in the language is a mixture: for a share π of the deals in a stage, the event
//! happens a duration D after entry (if the deal is still there). So a duration is fitted
//! together with its share: a deal that had the event at t adds π f(t); a deal still open, or
//! gone another way, at t adds 1 − π + π S(t) — it may yet have had the event. Fitting D on the
//! observed times alone, or π as a share of closed deals, is biased whenever deals are still
//! open (the test `ignoring_censoring_is_biased` shows by how much). `share: false` fits D alone
//! (every deal has the event eventually), for times such as a reply delay.

use serde::Serialize;

use super::optimize::{cholesky, covariance, maximise};
use crate::model::Dist;
use crate::simulate::exact::quad::{gamma_pq, ln_gamma, normal_cdf};

/// One observation: a time in days and whether the event was seen then (else censored).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Obs {
    pub days: f64,
    pub event: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Lognormal,
    Gamma,
    Weibull,
    Exponential,
}

pub const FAMILIES: [Family; 4] = [
    Family::Lognormal,
    Family::Gamma,
    Family::Weibull,
    Family::Exponential,
];

/// A fitted figure with its 95% Wald interval (`None` when the likelihood is flat there).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    pub name: &'static str,
    pub value: f64,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fit {
    pub family: Family,
    /// the distribution's parameters in the language's terms, durations in days
    pub params: Vec<Estimate>,
    /// π: the share of deals that have the event at all (only in a mixture fit)
    pub share: Option<Estimate>,
    pub log_likelihood: f64,
    pub aic: f64,
    /// the largest gap between the fitted CDF (times π) and the Kaplan–Meier estimate
    pub distance: f64,
    #[serde(skip)]
    theta: Vec<f64>,
    /// θ's covariance (the inverse observed information), for drawing plausible parameters
    #[serde(skip)]
    cov: Option<Vec<Vec<f64>>>,
}

use crate::simulate::report::Z95;
const Z90: f64 = 1.281_551_565_544_600_4;

impl Family {
    fn start(self, events: &[f64]) -> Vec<f64> {
        let n = events.len().max(1) as f64;
        let logs: Vec<f64> = events.iter().map(|t| t.ln()).collect();
        let ml = logs.iter().sum::<f64>() / n;
        let sl = (logs.iter().map(|l| (l - ml).powi(2)).sum::<f64>() / n)
            .sqrt()
            .max(0.1);
        let mean = (events.iter().sum::<f64>() / n).max(1e-3);
        let var = (events.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / n).max(1e-6);
        match self {
            Family::Lognormal => vec![ml, sl.ln()],
            Family::Gamma => vec![mean.ln(), (mean * mean / var).clamp(0.05, 50.0).ln()],
            Family::Weibull => {
                let k = (std::f64::consts::PI / (sl * 6f64.sqrt())).clamp(0.1, 20.0);
                vec![ml + 0.5772 / k, k.ln()]
            }
            Family::Exponential => vec![mean.ln()],
        }
    }

    /// (ln f(t), ln S(t)) under the internal parameters θ.
    fn log_density_survival(self, theta: &[f64], t: f64) -> (f64, f64) {
        match self {
            Family::Exponential => {
                let m = theta[0].exp();
                (-theta[0] - t / m, -t / m)
            }
            Family::Weibull => {
                let (lam, k) = (theta[0].exp(), theta[1].exp());
                let z = (t / lam).powf(k);
                (theta[1] - theta[0] + (k - 1.0) * (t / lam).ln() - z, -z)
            }
            Family::Gamma => {
                let (mean, a) = (theta[0].exp(), theta[1].exp());
                let b = a / mean;
                let lf = a * b.ln() - ln_gamma(a) + (a - 1.0) * t.ln() - b * t;
                (lf, gamma_pq(a, b * t).1.ln())
            }
            Family::Lognormal => {
                let sigma = theta[1].exp();
                let z = (t.ln() - theta[0]) / sigma;
                let lf = -0.5 * z * z - (sigma * t * (2.0 * std::f64::consts::PI).sqrt()).ln();
                (lf, normal_cdf(-z).ln())
            }
        }
    }

    fn cdf(self, theta: &[f64], t: f64) -> f64 {
        1.0 - self.log_density_survival(theta, t).1.exp()
    }

    /// The language's parameters with intervals, from θ and its covariance.
    fn estimates(self, theta: &[f64], cov: Option<&[Vec<f64>]>) -> Vec<Estimate> {
        let se = |i: usize| cov.map(|c| c[i][i].max(0.0).sqrt());
        let exp_of = |name, i: usize| Estimate {
            name,
            value: theta[i].exp(),
            low: se(i).map(|s| (theta[i] - Z95 * s).exp()),
            high: se(i).map(|s| (theta[i] + Z95 * s).exp()),
        };
        match self {
            Family::Exponential => vec![exp_of("mean", 0)],
            Family::Weibull => vec![exp_of("scale", 0), exp_of("shape", 1)],
            Family::Gamma => vec![exp_of("mean", 0), exp_of("shape", 1)],
            Family::Lognormal => {
                // ln p90 = mu + z90 sigma: its variance by the delta method
                let sigma = theta[1].exp();
                let l90 = theta[0] + Z90 * sigma;
                let se90 = cov.map(|c| {
                    let g = [1.0, Z90 * sigma];
                    (g[0] * g[0] * c[0][0] + 2.0 * g[0] * g[1] * c[0][1] + g[1] * g[1] * c[1][1])
                        .max(0.0)
                        .sqrt()
                });
                vec![
                    exp_of("median", 0),
                    Estimate {
                        name: "p90",
                        value: l90.exp(),
                        low: se90.map(|s| (l90 - Z95 * s).exp()),
                        high: se90.map(|s| (l90 + Z95 * s).exp()),
                    },
                ]
            }
        }
    }
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Log-scale parameters beyond these are no delay a CRM records (a shape of 10^4 is a fixed
/// delay); the likelihood is -inf there, so the search stays in numbers the functions handle.
const LOG_BOUND: f64 = 9.2;

/// The censored log-likelihood; with `share`, θ's last entry is logit π.
fn log_likelihood(family: Family, theta: &[f64], obs: &[Obs], share: bool) -> f64 {
    let k = theta.len() - usize::from(share);
    let lognormal_mu = usize::from(family == Family::Lognormal);
    if theta[lognormal_mu..].iter().any(|x| x.abs() > LOG_BOUND) || theta[0].abs() > 2.0 * LOG_BOUND
    {
        return f64::NEG_INFINITY;
    }
    let (dist, pi) = (&theta[..k], if share { logistic(theta[k]) } else { 1.0 });
    let mut ll = 0.0;
    for o in obs {
        let (lf, ls) = family.log_density_survival(dist, o.days);
        ll += if o.event {
            pi.ln() + lf
        } else if share {
            (1.0 - pi + pi * ls.exp()).ln()
        } else {
            ls
        };
    }
    ll
}

/// The Kaplan–Meier estimate of the CDF: (time, F just after it) at each event time.
pub fn kaplan_meier(obs: &[Obs]) -> Vec<(f64, f64)> {
    let mut sorted: Vec<Obs> = obs.to_vec();
    sorted.sort_by(|a, b| a.days.total_cmp(&b.days).then(b.event.cmp(&a.event)));
    let mut at_risk = sorted.len() as f64;
    let mut surv = 1.0;
    let mut out = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let t = sorted[i].days;
        let (mut d, mut c) = (0.0, 0.0);
        while i < sorted.len() && sorted[i].days == t {
            if sorted[i].event {
                d += 1.0;
            } else {
                c += 1.0;
            }
            i += 1;
        }
        if d > 0.0 {
            surv *= 1.0 - d / at_risk;
            out.push((t, 1.0 - surv));
        }
        at_risk -= d + c;
    }
    out
}

/// Fits one family; `None` with fewer than three events (nothing to fit a shape to).
pub fn fit(family: Family, obs: &[Obs], share: bool) -> Option<Fit> {
    let events: Vec<f64> = obs.iter().filter(|o| o.event).map(|o| o.days).collect();
    if events.len() < 3 || obs.iter().any(|o| !(o.days > 0.0 && o.days.is_finite())) {
        return None;
    }
    if fixed_delay(obs).is_some() {
        return None;
    }
    let mut start = family.start(&events);
    if share {
        let p = (events.len() as f64 / obs.len() as f64).clamp(0.02, 0.98);
        start.push((p / (1.0 - p)).ln());
    }
    let f = |th: &[f64]| log_likelihood(family, th, obs, share);
    let (theta, ll) = maximise(&f, &start);
    // a second start from the first optimum guards against a stalled simplex
    let (theta, ll) = {
        let (t2, l2) = maximise(&f, &theta);
        if l2 > ll {
            (t2, l2)
        } else {
            (theta, ll)
        }
    };
    let cov = covariance(&f, &theta);
    let k = theta.len() - usize::from(share);
    let params = family.estimates(&theta[..k], cov.as_deref());
    let share_est = share.then(|| {
        let se = cov.as_ref().map(|c| c[k][k].max(0.0).sqrt());
        Estimate {
            name: "share",
            value: logistic(theta[k]),
            low: se.map(|s| logistic(theta[k] - Z95 * s)),
            high: se.map(|s| logistic(theta[k] + Z95 * s)),
        }
    });
    let pi = share_est.as_ref().map_or(1.0, |s| s.value);
    let mut distance: f64 = 0.0;
    let mut before = 0.0;
    for (t, km) in kaplan_meier(obs) {
        let model = pi * family.cdf(&theta[..k], t);
        distance = distance.max((model - km).abs()).max((model - before).abs());
        before = km;
    }
    Some(Fit {
        family,
        params,
        share: share_est,
        log_likelihood: ll,
        aic: 2.0 * theta.len() as f64 - 2.0 * ll,
        distance,
        theta,
        cov,
    })
}

/// The one delay every event came after, when they all came at the same time (within 0.1%):
/// a rule's own timer, not a random delay to fit.
pub fn fixed_delay(obs: &[Obs]) -> Option<f64> {
    let mut events = obs.iter().filter(|o| o.event).map(|o| o.days);
    let first = events.next()?;
    let (lo, hi) = events.fold((first, first), |(l, h), t| (l.min(t), h.max(t)));
    (hi <= lo * 1.001).then_some(lo)
}

/// Every family fitted, best (lowest AIC) first.
pub fn fit_all(obs: &[Obs], share: bool) -> Vec<Fit> {
    let mut fits: Vec<Fit> = FAMILIES
        .iter()
        .filter_map(|&f| fit(f, obs, share))
        .collect();
    fits.sort_by(|a, b| a.aic.total_cmp(&b.aic));
    fits
}

impl Fit {
    /// The CDF of the fitted duration (not times π) at `days`.
    pub fn cdf(&self, days: f64) -> f64 {
        let k = self.theta.len() - usize::from(self.share.is_some());
        self.family.cdf(&self.theta[..k], days)
    }

    /// The share and the delay (in the model's minutes) at θ + L·z, L the Cholesky factor of
    /// θ's covariance: with z standard normal, a draw from the fit's Wald distribution (the
    /// fitted values themselves for z = 0 or without a covariance).
    pub fn draw(&self, z: &[f64]) -> (f64, Dist) {
        let mut th = self.theta.clone();
        if let Some(l) = self.cov.as_deref().and_then(cholesky) {
            for (i, t) in th.iter_mut().enumerate() {
                *t += (0..=i)
                    .map(|j| l[i][j] * z.get(j).unwrap_or(&0.0))
                    .sum::<f64>();
            }
        }
        let k = th.len() - usize::from(self.share.is_some());
        let share = if k < th.len() { logistic(th[k]) } else { 1.0 };
        let day = 1440.0_f64;
        let dist = match self.family {
            Family::Lognormal => Dist::LogNormal {
                mu: th[0] + day.ln(),
                sigma: th[1].exp(),
            },
            Family::Gamma => Dist::Gamma {
                mean: th[0].exp() * day,
                shape: th[1].exp(),
            },
            Family::Weibull => Dist::Weibull {
                scale: th[0].exp() * day,
                shape: th[1].exp(),
            },
            Family::Exponential => Dist::Exponential {
                mean: th[0].exp() * day,
            },
        };
        (share, dist)
    }

    /// How many parameters a draw reads (θ's length).
    pub fn dimension(&self) -> usize {
        self.theta.len()
    }

    pub fn param(&self, name: &str) -> Option<&Estimate> {
        self.params.iter().find(|e| e.name == name)
    }
}

/// A delay shared by several groups, each with its own share: per-channel reply rates with
/// one `reply_after` (the language has one per lead model). Observation (g, o) adds
/// π_g f(t) for an event and 1 − π_g + π_g S(t) when censored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupedFit {
    pub family: Family,
    pub params: Vec<Estimate>,
    /// π per group, in the groups' order
    pub shares: Vec<Estimate>,
    pub log_likelihood: f64,
    pub aic: f64,
    /// the largest gap between π_g F(t) and the Kaplan–Meier estimate, over the groups
    pub distance: f64,
}

pub fn fit_grouped(family: Family, obs: &[(usize, Obs)], groups: usize) -> Option<GroupedFit> {
    let events: Vec<f64> = obs.iter().filter(|o| o.1.event).map(|o| o.1.days).collect();
    let bad_time = obs
        .iter()
        .any(|o| !(o.1.days > 0.0 && o.1.days.is_finite()));
    if events.len() < 3 || bad_time || obs.iter().any(|o| o.0 >= groups) {
        return None;
    }
    let plain: Vec<Obs> = obs.iter().map(|o| o.1).collect();
    if fixed_delay(&plain).is_some() {
        return None;
    }
    let mut start = family.start(&events);
    let k = start.len();
    for g in 0..groups {
        let n = obs.iter().filter(|o| o.0 == g).count().max(1) as f64;
        let e = obs.iter().filter(|o| o.0 == g && o.1.event).count() as f64;
        let p = (e / n).clamp(0.01, 0.98);
        start.push((p / (1.0 - p)).ln());
    }
    let f = |th: &[f64]| {
        let lognormal_mu = usize::from(family == Family::Lognormal);
        if th[lognormal_mu..k].iter().any(|x| x.abs() > LOG_BOUND)
            || th[0].abs() > 2.0 * LOG_BOUND
            || th[k..].iter().any(|x| x.abs() > 30.0)
        {
            return f64::NEG_INFINITY;
        }
        let mut ll = 0.0;
        for (g, o) in obs {
            let pi = logistic(th[k + g]);
            let (lf, ls) = family.log_density_survival(&th[..k], o.days);
            ll += if o.event {
                pi.ln() + lf
            } else {
                (1.0 - pi + pi * ls.exp()).ln()
            };
        }
        ll
    };
    let (theta, ll) = maximise(&f, &start);
    let (theta, ll) = {
        let (t2, l2) = maximise(&f, &theta);
        if l2 > ll {
            (t2, l2)
        } else {
            (theta, ll)
        }
    };
    let cov = covariance(&f, &theta);
    let shares: Vec<Estimate> = (0..groups)
        .map(|g| {
            let i = k + g;
            let se = cov.as_ref().map(|c| c[i][i].max(0.0).sqrt());
            Estimate {
                name: "share",
                value: logistic(theta[i]),
                low: se.map(|s| logistic(theta[i] - Z95 * s)),
                high: se.map(|s| logistic(theta[i] + Z95 * s)),
            }
        })
        .collect();
    let mut distance: f64 = 0.0;
    for (g, share) in shares.iter().enumerate() {
        let mine: Vec<Obs> = obs.iter().filter(|o| o.0 == g).map(|o| o.1).collect();
        let mut before = 0.0;
        for (t, km) in kaplan_meier(&mine) {
            let model = share.value * family.cdf(&theta[..k], t);
            distance = distance.max((model - km).abs()).max((model - before).abs());
            before = km;
        }
    }
    // the covariance of the delay's own parameters (the leading block) gives their intervals
    let dist_cov = cov
        .as_ref()
        .map(|c| c[..k].iter().map(|r| r[..k].to_vec()).collect::<Vec<_>>());
    Some(GroupedFit {
        family,
        params: family.estimates(&theta[..k], dist_cov.as_deref()),
        shares,
        log_likelihood: ll,
        aic: 2.0 * theta.len() as f64 - 2.0 * ll,
        distance,
    })
}

/// Every family fitted with shared delay and one share per group, best AIC first.
pub fn fit_grouped_all(obs: &[(usize, Obs)], groups: usize) -> Vec<GroupedFit> {
    let mut fits: Vec<GroupedFit> = FAMILIES
        .iter()
        .filter_map(|&f| fit_grouped(f, obs, groups))
        .collect();
    fits.sort_by(|a, b| a.aic.total_cmp(&b.aic));
    fits
}

impl GroupedFit {
    pub fn param(&self, name: &str) -> Option<&Estimate> {
        self.params.iter().find(|e| e.name == name)
    }

    /// As a one-group `Fit` for writing its distribution (no share, no draws).
    pub fn as_fit(&self) -> Fit {
        Fit {
            family: self.family,
            params: self.params.clone(),
            share: None,
            log_likelihood: self.log_likelihood,
            aic: self.aic,
            distance: self.distance,
            theta: Vec::new(),
            cov: None,
        }
    }
}

#[cfg(test)]
#[path = "survival_tests.rs"]
mod tests;
