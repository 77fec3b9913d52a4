//! Numerics of the exact oracle: distribution functions (CDF and quantile) of every lead-model
//! distribution, and the Gauss–Kronrod (7, 15) rule used to integrate over a lead's
//! responsiveness. Each value is computed to about 1e-13; the integration's own error is
//! estimated per panel (|K15 − G7|) and reported with the answer.

use crate::model::Dist;

/// ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9: about 1e-15 relative).
pub fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // reflection
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = G[0];
    let t = x + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularised incomplete gamma functions (P, Q) = (γ(a, x)/Γ(a), Γ(a, x)/Γ(a)).
pub fn gamma_pq(a: f64, x: f64) -> (f64, f64) {
    if x <= 0.0 {
        return (0.0, 1.0);
    }
    let lead = -x + a * x.ln() - ln_gamma(a);
    if x < a + 1.0 {
        // series
        let (mut ap, mut sum) = (a, 1.0 / a);
        let mut del = sum;
        for _ in 0..10_000 {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * 1e-17 {
                break;
            }
        }
        let p = (sum.ln() + lead).exp().min(1.0);
        (p, 1.0 - p)
    } else {
        // continued fraction (modified Lentz)
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-17 {
                break;
            }
        }
        let q = (lead.exp() * h).min(1.0);
        (1.0 - q, q)
    }
}

/// Φ(z), the standard normal CDF, through Q(1/2, z²/2) (accurate in both tails).
pub fn normal_cdf(z: f64) -> f64 {
    let (p, q) = gamma_pq(0.5, z * z / 2.0);
    if z >= 0.0 {
        0.5 + 0.5 * p
    } else {
        0.5 * q
    }
}

/// The regularised incomplete beta function I_x(a, b).
pub fn beta_inc(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_cf(a, b, x) / a
    } else {
        1.0 - front * beta_cf(b, a, 1.0 - x) / b
    }
}

fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    let tiny = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < tiny {
        d = tiny;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..10_000 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = 1.0 + aa / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = 1.0 + aa / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

/// A distribution split into what the oracle can sum (point masses) and what it integrates.
pub enum Law {
    /// finitely many values with their probabilities
    Points(Vec<(f64, f64)>),
    /// a continuous distribution: its CDF
    Continuous(Dist),
}

/// The law of a numeric distribution (durations in minutes, money as amounts).
pub fn law(d: &Dist) -> Law {
    match d {
        Dist::Const { value } => Law::Points(vec![(crate::simulate::value_number(value), 1.0)]),
        Dist::Bernoulli { p } => Law::Points(vec![(1.0, *p), (0.0, 1.0 - p)]),
        Dist::Choice { options } => {
            let mut pts: Vec<(f64, f64)> = Vec::new();
            for (v, w) in options {
                let x = crate::simulate::value_number(v);
                match pts.iter_mut().find(|(y, _)| *y == x) {
                    Some(p) => p.1 += w,
                    None => pts.push((x, *w)),
                }
            }
            Law::Points(pts)
        }
        Dist::Uniform { low, high } if low >= high => Law::Points(vec![(*low, 1.0)]),
        other => Law::Continuous(other.clone()),
    }
}

/// P(X ≤ x) for a continuous distribution.
pub fn cdf(d: &Dist, x: f64) -> f64 {
    match d {
        Dist::Uniform { low, high } => ((x - low) / (high - low)).clamp(0.0, 1.0),
        Dist::Normal { mean, sd } => normal_cdf((x - mean) / sd),
        Dist::LogNormal { mu, sigma } => {
            if x <= 0.0 {
                0.0
            } else {
                normal_cdf((x.ln() - mu) / sigma)
            }
        }
        Dist::Gamma { mean, shape } => gamma_pq(*shape, x.max(0.0) * shape / mean).0,
        Dist::Exponential { mean } => {
            if x <= 0.0 {
                0.0
            } else {
                -(-x / mean).exp_m1()
            }
        }
        Dist::Weibull { scale, shape } => {
            if x <= 0.0 {
                0.0
            } else {
                -(-(x / scale).powf(*shape)).exp_m1()
            }
        }
        Dist::Beta { a, b } => beta_inc(*a, *b, x),
        Dist::Const { .. } | Dist::Bernoulli { .. } | Dist::Choice { .. } => match law(d) {
            Law::Points(p) => p.iter().filter(|(v, _)| *v <= x).map(|(_, w)| w).sum(),
            Law::Continuous(_) => 0.0,
        },
    }
}

/// The u-quantile of a continuous distribution, by bisection on its CDF (to about 1e-15
/// relative).
pub fn quantile(d: &Dist, u: f64) -> f64 {
    let (mut lo, mut hi) = (-1.0, 1.0);
    while cdf(d, lo) > u && lo > -1e300 {
        lo *= 2.0;
    }
    while cdf(d, hi) < u && hi < 1e300 {
        hi *= 2.0;
    }
    for _ in 0..400 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if cdf(d, mid) < u {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Abscissae of the 15-point Kronrod rule on [-1, 1] (the non-negative half), QUADPACK's qk15.
const XGK: [f64; 8] = [
    0.991_455_371_120_812_6,
    0.949_107_912_342_758_5,
    0.864_864_423_359_769_1,
    0.741_531_185_599_394_4,
    0.586_087_235_467_691_1,
    0.405_845_151_377_397_2,
    0.207_784_955_007_898_5,
    0.0,
];
const WGK: [f64; 8] = [
    0.022_935_322_010_529_22,
    0.063_092_092_629_978_55,
    0.104_790_010_322_250_2,
    0.140_653_259_715_525_9,
    0.169_004_726_639_267_9,
    0.190_350_578_064_785_4,
    0.204_432_940_075_298_9,
    0.209_482_141_084_727_8,
];
/// Weights of the embedded 7-point Gauss rule, at XGK[1], XGK[3], XGK[5], XGK[7].
const WG: [f64; 4] = [
    0.129_484_966_168_869_7,
    0.279_705_391_489_276_7,
    0.381_830_050_505_118_9,
    0.417_959_183_673_469_4,
];

/// Integration nodes over u in [0, 1]: each node's value, its Kronrod weight, its Gauss weight
/// (0 off the Gauss nodes) and its panel.
#[derive(Debug, Clone, Default)]
pub struct Nodes {
    pub u: Vec<f64>,
    pub kronrod: Vec<f64>,
    pub gauss: Vec<f64>,
    pub panel: Vec<usize>,
    pub panels: usize,
}

impl Nodes {
    /// Nodes on panels between the sorted, distinct `breaks` (which include 0 and 1).
    pub fn on(breaks: &[f64]) -> Nodes {
        let mut n = Nodes::default();
        for w in breaks.windows(2) {
            let (a, b) = (w[0], w[1]);
            if b <= a {
                continue;
            }
            let (c, h) = (0.5 * (a + b), 0.5 * (b - a));
            for (i, x) in XGK.iter().enumerate() {
                let g = if i % 2 == 1 { WG[i / 2] } else { 0.0 };
                let signs: &[f64] = if *x == 0.0 { &[1.0] } else { &[-1.0, 1.0] };
                for s in signs {
                    n.u.push(c + s * h * x);
                    n.kronrod.push(h * WGK[i]);
                    n.gauss.push(h * g);
                    n.panel.push(n.panels);
                }
            }
            n.panels += 1;
        }
        n
    }

    /// The integral of `f` sampled at the nodes (K15), and its error estimate
    /// (Σ over panels |K15 − G7|).
    pub fn integrate(&self, f: &[f64]) -> (f64, f64) {
        let mut k = vec![0.0; self.panels];
        let mut g = vec![0.0; self.panels];
        for (i, v) in f.iter().enumerate() {
            k[self.panel[i]] += self.kronrod[i] * v;
            g[self.panel[i]] += self.gauss[i] * v;
        }
        let err = k.iter().zip(&g).map(|(a, b)| (a - b).abs()).sum();
        (k.iter().sum(), err)
    }
}

/// Panel breaks for integrating over a continuous responsiveness: graded towards both ends
/// (where quantiles change fastest), uniform inside, and at the `kinks` (values of the
/// responsiveness where a capped rate reaches its cap).
pub fn breaks_for(d: &Dist, kinks: &[f64]) -> Vec<f64> {
    let mut b: Vec<f64> = vec![0.0, 1.0];
    for k in 1..=12 {
        let e = 0.5f64.powi(k);
        b.push(e);
        b.push(1.0 - e);
    }
    for i in 1..8 {
        b.push(f64::from(i) / 8.0);
    }
    // a distribution that reaches below 0 is clamped there (responsiveness is never negative)
    b.push(cdf(d, 0.0));
    // a kink closer than 2e-3 to a break shares its panel (the error estimate covers it)
    let mut ks: Vec<f64> = kinks
        .iter()
        .filter(|r| r.is_finite() && **r > 0.0)
        .map(|r| cdf(d, *r))
        .collect();
    ks.sort_by(f64::total_cmp);
    for k in ks {
        if b.iter().all(|x| (x - k).abs() >= 2e-3) {
            b.push(k);
        }
    }
    b.retain(|x| (0.0..=1.0).contains(x));
    b.sort_by(f64::total_cmp);
    b.dedup_by(|a, b| (*a - *b).abs() < 1e-12);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kronrod_and_gauss_integrate_polynomials_exactly() {
        let n = Nodes::on(&[0.0, 1.0]);
        // K15 is exact to degree 22, G7 to degree 13
        for deg in [0, 5, 13] {
            let f: Vec<f64> = n.u.iter().map(|u| u.powi(deg)).collect();
            let (k, err) = n.integrate(&f);
            assert!((k - 1.0 / f64::from(deg + 1)).abs() < 1e-14, "{deg} {k}");
            assert!(err < 1e-14, "{deg} {err}");
        }
        let f: Vec<f64> = n.u.iter().map(|u| u.powi(20)).collect();
        assert!((n.integrate(&f).0 - 1.0 / 21.0).abs() < 1e-14);
    }

    #[test]
    fn distribution_functions_match_known_values() {
        assert!((normal_cdf(1.0) - 0.841_344_746_068_542_9).abs() < 1e-14);
        assert!((normal_cdf(-3.0) - 0.001_349_898_031_630_094_6).abs() < 1e-15);
        // Gamma(shape 2, scale 1): P(X <= 1) = 1 - 2/e
        let g = Dist::Gamma {
            mean: 2.0,
            shape: 2.0,
        };
        assert!((cdf(&g, 1.0) - (1.0 - 2.0 / std::f64::consts::E)).abs() < 1e-14);
        // Beta(2, 3): I_0.5 = 11/16
        let b = Dist::Beta { a: 2.0, b: 3.0 };
        assert!((cdf(&b, 0.5) - 11.0 / 16.0).abs() < 1e-14);
        assert!((quantile(&b, 11.0 / 16.0) - 0.5).abs() < 1e-12);
        let e = Dist::Exponential { mean: 2.0 };
        assert!((quantile(&e, 0.5) - 2.0 * 2f64.ln()).abs() < 1e-12);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-14);
    }
}

#[cfg(test)]
mod moments {
    use super::*;

    #[test]
    fn quantile_nodes_integrate_the_moments_of_a_gamma() {
        let d = Dist::Gamma {
            mean: 1.0,
            shape: 2.0,
        };
        let n = Nodes::on(&breaks_for(&d, &[]));
        let r: Vec<f64> = n.u.iter().map(|u| quantile(&d, *u)).collect();
        let m1 = n.integrate(&r).0;
        let m2 = n.integrate(&r.iter().map(|x| x * x).collect::<Vec<_>>()).0;
        assert!((m1 - 1.0).abs() < 1e-6, "{m1}");
        assert!((m2 - 1.5).abs() < 1e-5, "{m2}");
    }
}
