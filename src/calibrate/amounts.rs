//! The amount distribution: each deal's amount (its latest in a stage history) fitted as
//! lognormal, gamma, Weibull and exponential by maximum likelihood (no censoring: an amount is
//! known once it is in the export), best by AIC, with the distance to the empirical CDF.
//! Amounts are fitted in units of their median (the fits' parameter bounds are for delays in
//! days) and scaled back, so the figures are in the export's own unit.

use serde::Serialize;

use super::survival::{fit_all, Fit, Obs};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Amounts {
    /// deals with an amount above zero: the sample
    pub deals: u64,
    /// deals whose amount is zero (not fitted: no distribution of the language has mass there)
    pub zero: u64,
    /// best AIC first; the scale parameters (median, p90, mean, scale) in the export's unit
    pub fits: Vec<Fit>,
}

/// `None` below three amounts above zero.
pub fn fit(amounts: &[f64]) -> Option<Amounts> {
    let positive: Vec<f64> = amounts
        .iter()
        .copied()
        .filter(|a| *a > 0.0 && a.is_finite())
        .collect();
    if positive.len() < 3 {
        return None;
    }
    let mut sorted = positive.clone();
    sorted.sort_by(f64::total_cmp);
    let unit = sorted[sorted.len() / 2];
    let obs: Vec<Obs> = positive
        .iter()
        .map(|a| Obs {
            days: a / unit,
            event: true,
        })
        .collect();
    let mut fits = fit_all(&obs, false);
    for f in &mut fits {
        for p in &mut f.params {
            if p.name != "shape" {
                p.value *= unit;
                p.low = p.low.map(|x| x * unit);
                p.high = p.high.map(|x| x * unit);
            }
        }
    }
    Some(Amounts {
        deals: positive.len() as u64,
        zero: amounts.iter().filter(|a| **a == 0.0).count() as u64,
        fits,
    })
}

/// An amount as the language writes money (`80500 CNY`, `12.5 CNY`), never zero.
pub fn money(x: f64, currency: &str) -> String {
    let text = if x >= 100.0 {
        format!("{}", x.round() as u64)
    } else {
        super::emit::trim(&format!("{:.2}", x.max(0.01)))
    };
    format!("{text} {currency}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Dist;
    use crate::simulate::exact::quad::quantile;

    /// Amounts drawn from lognormal(median 80k, p90 400k) by the inverse CDF: the lognormal is
    /// chosen, and its figures are the lognormal's maximum-likelihood ones computed here from
    /// the sample's logs (mean and standard deviation), in the amounts' own unit.
    #[test]
    fn a_lognormal_amount_is_recovered_in_its_unit() {
        let sigma = (400_000f64 / 80_000.0).ln() / 1.281_551_565_544_600_4;
        let truth = Dist::LogNormal {
            mu: 80_000f64.ln(),
            sigma,
        };
        let mut state = 9u64;
        let amounts: Vec<f64> = (0..2000)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                quantile(&truth, ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64)
            })
            .chain([0.0])
            .collect();
        let a = fit(&amounts).unwrap();
        assert_eq!((a.deals, a.zero), (2000, 1));
        let best = &a.fits[0];
        assert_eq!(best.family, super::super::survival::Family::Lognormal);
        let logs: Vec<f64> = amounts
            .iter()
            .filter(|a| **a > 0.0)
            .map(|a| a.ln())
            .collect();
        let mean = logs.iter().sum::<f64>() / logs.len() as f64;
        let sd = (logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / logs.len() as f64).sqrt();
        let close = |name: &str, want: f64| {
            let got = best.param(name).unwrap().value;
            (got / want - 1.0).abs() < 0.005
        };
        assert!(close("median", mean.exp()), "{best:?}");
        assert!(
            close("p90", (mean + 1.281_551_565_544_600_4 * sd).exp()),
            "{best:?}"
        );
        assert_eq!(money(80_321.6, "CNY"), "80322 CNY");
        assert_eq!(money(12.5, "USD"), "12.5 USD");
    }
}
