//! Maximising a smooth log-likelihood over a few unconstrained parameters: Nelder–Mead from a
//! start, then the observed information (a finite-difference Hessian) for Wald intervals.
//! The fits have two or three parameters, so a derivative-free method is simple and robust.

/// The maximum of `f` near `start`: the parameters and the value there.
pub fn maximise(f: &dyn Fn(&[f64]) -> f64, start: &[f64]) -> (Vec<f64>, f64) {
    let n = start.len();
    let value = |x: &[f64]| {
        let v = f(x);
        if v.is_finite() {
            -v
        } else {
            f64::INFINITY
        }
    };
    // the simplex: the start and one step along each axis
    let mut simplex: Vec<(Vec<f64>, f64)> = Vec::with_capacity(n + 1);
    simplex.push((start.to_vec(), value(start)));
    for i in 0..n {
        let mut x = start.to_vec();
        x[i] += if x[i].abs() > 1e-3 {
            0.25 * x[i].abs()
        } else {
            0.25
        };
        let v = value(&x);
        simplex.push((x, v));
    }
    for _ in 0..2000 {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (best, worst) = (simplex[0].1, simplex[n].1);
        if (worst - best).abs() <= 1e-10 * (1.0 + best.abs()) {
            break;
        }
        let centroid: Vec<f64> = (0..n)
            .map(|i| simplex[..n].iter().map(|p| p.0[i]).sum::<f64>() / n as f64)
            .collect();
        let towards = |t: f64| -> Vec<f64> {
            (0..n)
                .map(|i| centroid[i] + t * (simplex[n].0[i] - centroid[i]))
                .collect()
        };
        let reflected = towards(-1.0);
        let fr = value(&reflected);
        if fr < simplex[0].1 {
            let expanded = towards(-2.0);
            let fe = value(&expanded);
            simplex[n] = if fe < fr {
                (expanded, fe)
            } else {
                (reflected, fr)
            };
        } else if fr < simplex[n - 1].1 {
            simplex[n] = (reflected, fr);
        } else {
            let contracted = if fr < simplex[n].1 {
                towards(-0.5)
            } else {
                towards(0.5)
            };
            let fc = value(&contracted);
            if fc < simplex[n].1.min(fr) {
                simplex[n] = (contracted, fc);
            } else {
                // shrink towards the best point
                let best = simplex[0].0.clone();
                for p in simplex.iter_mut().skip(1) {
                    for (x, b) in p.0.iter_mut().zip(&best) {
                        *x = b + 0.5 * (*x - b);
                    }
                    p.1 = value(&p.0);
                }
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (x, v) = simplex.swap_remove(0);
    (x, -v)
}

/// The covariance of the estimates: the inverse of the negative Hessian of `f` at its
/// maximum `x` (central differences). `None` when it is not positive definite (a flat or
/// degenerate likelihood, e.g. no events at all).
pub fn covariance(f: &dyn Fn(&[f64]) -> f64, x: &[f64]) -> Option<Vec<Vec<f64>>> {
    let n = x.len();
    let h: Vec<f64> = x.iter().map(|v| 1e-4 * (1.0 + v.abs())).collect();
    let at = |d: &[(usize, f64)]| {
        let mut y = x.to_vec();
        for &(i, s) in d {
            y[i] += s;
        }
        f(&y)
    };
    let mut info = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in i..n {
            let v = if i == j {
                let f0 = f(x);
                (at(&[(i, h[i])]) - 2.0 * f0 + at(&[(i, -h[i])])) / (h[i] * h[i])
            } else {
                (at(&[(i, h[i]), (j, h[j])])
                    - at(&[(i, h[i]), (j, -h[j])])
                    - at(&[(i, -h[i]), (j, h[j])])
                    + at(&[(i, -h[i]), (j, -h[j])]))
                    / (4.0 * h[i] * h[j])
            };
            info[i][j] = -v;
            info[j][i] = -v;
        }
    }
    invert_positive(&info)
}

/// The lower Cholesky factor of a symmetric positive definite matrix, `None` otherwise.
pub fn cholesky(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                let d = a[i][i] - s;
                if !(d > 0.0 && d.is_finite()) {
                    return None;
                }
                l[i][j] = d.sqrt();
            } else {
                l[i][j] = (a[i][j] - s) / l[j][j];
            }
        }
    }
    Some(l)
}

/// The inverse of a symmetric positive definite matrix (Cholesky), `None` otherwise.
fn invert_positive(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let l = cholesky(a)?;
    // inverse = L^-T L^-1, column by column
    let mut inv = vec![vec![0.0; n]; n];
    for c in 0..n {
        let mut y = vec![0.0; n];
        for i in 0..n {
            let b = if i == c { 1.0 } else { 0.0 };
            let s: f64 = (0..i).map(|k| l[i][k] * y[k]).sum();
            y[i] = (b - s) / l[i][i];
        }
        let mut x = vec![0.0; n];
        for i in (0..n).rev() {
            let s: f64 = (i + 1..n).map(|k| l[k][i] * x[k]).sum();
            x[i] = (y[i] - s) / l[i][i];
        }
        for (row, xi) in inv.iter_mut().zip(&x) {
            row[c] = *xi;
        }
    }
    Some(inv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_top_of_a_quadratic_and_its_covariance() {
        // -(x-1)^2/2 - (y+2)^2/(2*4): maximum at (1, -2), covariance diag(1, 4)
        let f = |p: &[f64]| -(p[0] - 1.0).powi(2) / 2.0 - (p[1] + 2.0).powi(2) / 8.0;
        let (x, v) = maximise(&f, &[5.0, 5.0]);
        assert!(
            (x[0] - 1.0).abs() < 1e-4 && (x[1] + 2.0).abs() < 1e-4,
            "{x:?}"
        );
        assert!(v.abs() < 1e-8);
        let c = covariance(&f, &x).unwrap();
        assert!(
            (c[0][0] - 1.0).abs() < 1e-3 && (c[1][1] - 4.0).abs() < 1e-3,
            "{c:?}"
        );
        assert!(c[0][1].abs() < 1e-3);
    }

    #[test]
    fn a_flat_direction_has_no_covariance() {
        let f = |p: &[f64]| -(p[0] - 1.0).powi(2);
        let (x, _) = maximise(&f, &[0.0, 0.0]);
        assert!(covariance(&f, &x).is_none());
    }
}
