//! Oracles for the censored fits: samples drawn from known distributions by inverse CDFs
//! (independent of the fitting code), the truth recovered within the intervals over many seeds,
//! and the naive estimates that ignore open deals shown to miss it.

use super::*;
use crate::model::Dist;
use crate::simulate::exact::quad::quantile;

struct SplitMix(u64);

impl SplitMix {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
}

fn inside(e: &Estimate, truth: f64) -> bool {
    e.low.is_some_and(|l| l <= truth) && e.high.is_some_and(|h| truth <= h)
}

#[test]
fn an_uncensored_lognormal_is_recovered_and_chosen() {
    let mut rng = SplitMix(7);
    let truth = Dist::LogNormal {
        mu: 20f64.ln(),
        sigma: 0.8,
    };
    let obs: Vec<Obs> = (0..3000)
        .map(|_| Obs {
            days: quantile(&truth, rng.uniform()),
            event: true,
        })
        .collect();
    let fits = fit_all(&obs, false);
    assert_eq!(fits[0].family, Family::Lognormal, "{fits:#?}");
    let median = fits[0].param("median").unwrap();
    assert!(inside(median, 20.0), "{median:?}");
    let p90 = fits[0].param("p90").unwrap();
    assert!(inside(p90, 20.0 * (0.8 * Z90).exp()), "{p90:?}");
    assert!(fits[0].distance < 0.03, "{}", fits[0].distance);
}

#[test]
fn a_weibull_is_told_from_a_lognormal() {
    let mut rng = SplitMix(11);
    let truth = Dist::Weibull {
        scale: 12.0,
        shape: 3.0,
    };
    let obs: Vec<Obs> = (0..3000)
        .map(|_| Obs {
            days: quantile(&truth, rng.uniform()),
            event: true,
        })
        .collect();
    let fits = fit_all(&obs, false);
    assert_eq!(fits[0].family, Family::Weibull, "{fits:#?}");
    assert!(inside(fits[0].param("shape").unwrap(), 3.0));
}

/// A stage's deals: a share 0.6 have the event after gamma(mean 10d, shape 2); the others
/// leave by another way after 30 days; deals enter evenly over 60 days and the export is
/// taken on day 60, so recent deals are still open (censored at their age).
fn stage_history(seed: u64, n: usize) -> Vec<Obs> {
    let mut rng = SplitMix(seed);
    let delay = Dist::Gamma {
        mean: 10.0,
        shape: 2.0,
    };
    (0..n)
        .map(|_| {
            let age = 60.0 * rng.uniform();
            let has_event = rng.uniform() < 0.6;
            let t = quantile(&delay, rng.uniform());
            let leaves = if has_event { t } else { 30.0 };
            if leaves <= age {
                Obs {
                    days: leaves,
                    event: has_event,
                }
            } else {
                Obs {
                    days: age,
                    event: false,
                }
            }
        })
        .collect()
}

#[test]
fn share_and_delay_are_recovered_within_their_intervals_over_many_seeds() {
    let seeds = 60;
    let (mut share_in, mut mean_in, mut shape_in) = (0, 0, 0);
    for seed in 0..seeds {
        let obs = stage_history(seed, 600);
        let f = fit(Family::Gamma, &obs, true).unwrap();
        share_in += usize::from(inside(f.share.as_ref().unwrap(), 0.6));
        mean_in += usize::from(inside(f.param("mean").unwrap(), 10.0));
        shape_in += usize::from(inside(f.param("shape").unwrap(), 2.0));
    }
    // 95% intervals: at least 50 of 60 (the chance of fewer is below 1% at true 95% coverage)
    for (what, n) in [("share", share_in), ("mean", mean_in), ("shape", shape_in)] {
        assert!(n >= 50, "{what}: truth inside {n} of {seeds} intervals");
    }
}

#[test]
fn ignoring_censoring_is_biased() {
    let mut missed = 0;
    for seed in 100..130 {
        let obs = stage_history(seed, 600);
        let f = fit(Family::Gamma, &obs, true).unwrap();
        // naive: the share among deals that left, the mean of the seen delays
        let left: Vec<&Obs> = obs.iter().filter(|o| o.event || o.days >= 30.0).collect();
        let events: Vec<f64> = obs.iter().filter(|o| o.event).map(|o| o.days).collect();
        let naive_share = events.len() as f64 / left.len() as f64;
        let naive_mean = events.iter().sum::<f64>() / events.len() as f64;
        let share = f.share.as_ref().unwrap();
        let mean = f.param("mean").unwrap();
        if !inside(share, naive_share) && !inside(mean, naive_mean) {
            missed += 1;
        }
        // the naive figures sit on the wrong side of the truth
        assert!(
            naive_share > 0.6 && naive_mean < 10.0,
            "{naive_share} {naive_mean}"
        );
    }
    assert!(
        missed >= 27,
        "the naive figures fell outside the intervals in {missed} of 30"
    );
}

#[test]
fn kaplan_meier_without_censoring_is_the_empirical_cdf() {
    let obs: Vec<Obs> = [3.0, 1.0, 2.0, 2.0]
        .iter()
        .map(|&d| Obs {
            days: d,
            event: true,
        })
        .collect();
    assert_eq!(
        kaplan_meier(&obs),
        vec![(1.0, 0.25), (2.0, 0.75), (3.0, 1.0)]
    );
    // one censored at 1.5: after it, 3 at risk; the two at 2 take S from 0.75 to 0.25
    let mut c = obs.clone();
    c.push(Obs {
        days: 1.5,
        event: false,
    });
    let km = kaplan_meier(&c);
    assert!((km[0].1 - 0.2).abs() < 1e-12 && (km[1].1 - 0.2 - 0.8 * 2.0 / 3.0).abs() < 1e-12);
}

#[test]
fn too_few_events_fit_nothing() {
    let obs = [
        Obs {
            days: 1.0,
            event: true,
        },
        Obs {
            days: 2.0,
            event: false,
        },
    ];
    assert!(fit_all(&obs, true).is_empty());
}

/// The back-test's parameter draws: at z = 0 the fit's own figures (durations in the model's
/// minutes); over standard normal z, the share's logit spreads as its interval says.
#[test]
fn draws_are_the_fit_at_zero_and_spread_as_the_intervals() {
    let f = fit(Family::Gamma, &stage_history(3, 600), true).unwrap();
    let share = f.share.clone().unwrap();
    let (p, d) = f.draw(&[0.0; 3]);
    assert!((p - share.value).abs() < 1e-12);
    let Dist::Gamma { mean, shape } = d else {
        panic!("{d:?}")
    };
    assert!((mean - 1440.0 * f.param("mean").unwrap().value).abs() < 1e-6);
    assert!((shape - f.param("shape").unwrap().value).abs() < 1e-12);
    let logit = |x: f64| (x / (1.0 - x)).ln();
    let se = (logit(share.high.unwrap()) - logit(share.low.unwrap())) / (2.0 * Z95);
    let mut rng = SplitMix(11);
    let mut normal = || {
        let (u1, u2) = (rng.uniform(), rng.uniform());
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    };
    let xs: Vec<f64> = (0..4000)
        .map(|_| {
            let z = [normal(), normal(), normal()];
            logit(f.draw(&z).0)
        })
        .collect();
    let m = xs.iter().sum::<f64>() / xs.len() as f64;
    let sd = (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / xs.len() as f64).sqrt();
    // the sd of 4000 normal draws is within 5% of the truth with probability above 99.9%
    assert!((sd / se - 1.0).abs() < 0.05, "sd {sd} vs se {se}");
    assert!((m - logit(share.value)).abs() < 4.0 * se / 4000f64.sqrt());
}
