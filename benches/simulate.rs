//! Benchmark: simulator throughput and memory. `cargo bench --bench simulate`.
//! Prints leads/s for the seven-email model written as a `.cadence` file, for the shipped B2B
//! inbound cadence with its pipeline, calendar, gates and milestones, and for a hand-written Rust
//! loop of the seven-email model in the same run (the ratio is the figure that matters on a noisy
//! machine), both again on 1 thread and on all of them (scaling), then the peak resident memory
//! after 10^7 leads.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // a benchmark may fail loudly

use std::time::Instant;

use cadence::model::Model;
use cadence::project::Project;
use cadence::simulate::{self, Config};
use rayon::prelude::*;

fn model(paths: &[&str]) -> Model {
    let mut files = Vec::new();
    for p in paths {
        let p = std::path::Path::new(p);
        if p.is_dir() {
            let mut errs = Vec::new();
            cadence::project::collect_dir(p, &mut files, &mut errs);
        } else {
            files.push(p.to_path_buf());
        }
    }
    let checked = cadence::check::check(&Project::load(&files));
    assert!(checked.diagnostics.iter().all(|d| !d.is_error()));
    checked.model
}

fn leads_per_second(m: &Model, simulation: &str, count: u64) -> (f64, u64) {
    let sim = m
        .simulations
        .iter()
        .find(|s| s.name == simulation)
        .expect("simulation");
    let p = simulate::compile_target(m, &sim.target, sim.leads).expect("program");
    let cfg = Config {
        seed: 1,
        count,
        start: 29_453_760.0 + 540.0, // 2026-01-01 09:00 UTC
        horizon_minutes: sim.horizon_minutes.unwrap_or(180 * 1440) as f64,
        precision: None,
        max_count: count,
        arrival_window_minutes: simulate::arrival_window(&p, sim.count.unwrap_or(count)),
    };
    let mut best = f64::MAX;
    let mut won = 0;
    for _ in 0..3 {
        let t0 = Instant::now();
        let t = simulate::simulate(&p, &cfg, |_, _| {});
        best = best.min(t0.elapsed().as_secs_f64());
        won = t.won;
    }
    (count as f64 / best, won)
}

/// The seven-email model known in advance: a per-lead generator and a loop, in parallel.
fn hand_written(count: u64) -> (f64, u64) {
    let p = [0.05, 0.04, 0.03, 0.025, 0.02, 0.015, 0.01];
    let mut best = f64::MAX;
    let mut won = 0;
    for _ in 0..3 {
        let t0 = Instant::now();
        won = (0..count)
            .into_par_iter()
            .map(|i| {
                let mut z = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
                let mut next = || {
                    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
                    let mut x = z;
                    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                    ((x ^ (x >> 31)) >> 11) as f64 / (1u64 << 53) as f64
                };
                for (k, pk) in p.iter().enumerate() {
                    if next() < *pk {
                        let won = next() < 0.35;
                        let cycle = k as f64 * 3.0 + 1.0 / 24.0 - 3.0 * (1.0 - next()).ln();
                        return u64::from(won && cycle < 365.0);
                    }
                }
                0
            })
            .sum();
        best = best.min(t0.elapsed().as_secs_f64());
    }
    (count as f64 / best, won)
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn main() {
    let threads = rayon::current_num_threads();
    let seven = model(&["tests/sim/seven_emails.cadence"]);
    let library = model(&["cadences"]);
    let (dsl, dsl_won) = leads_per_second(&seven, "seven_sim", 4_000_000);
    let (hand, hand_won) = hand_written(20_000_000);
    let (b2b, _) = leads_per_second(&library, "inbound_2026q2", 1_000_000);
    println!("simulate benchmark ({threads} threads)");
    println!(
        "  seven-email model (.cadence):   {:>12.0} leads/s  (won {dsl_won} of 4M)",
        dsl
    );
    println!(
        "  seven-email hand-written loop:  {:>12.0} leads/s  (won {hand_won} of 20M)",
        hand
    );
    println!("  ratio hand-written / DSL:       {:>12.1}x", hand / dsl);
    println!("  B2B inbound (calendar, gates):  {:>12.0} leads/s", b2b);
    println!("  ratio hand-written / B2B:       {:>12.1}x", hand / b2b);
    // thread scaling: the same runs on a pool of 1 and of `threads` workers
    let pool = |n: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .expect("thread pool")
    };
    for n in [1, threads] {
        let (s, _) = pool(n).install(|| leads_per_second(&seven, "seven_sim", 2_000_000));
        let (b, _) = pool(n).install(|| leads_per_second(&library, "inbound_2026q2", 300_000));
        println!("  {n} thread(s): seven-email {s:>12.0} leads/s, B2B {b:>10.0} leads/s");
    }
    let before = peak_rss_mb();
    let t0 = Instant::now();
    let sim = seven
        .simulations
        .iter()
        .find(|s| s.name == "seven_sim")
        .unwrap();
    let p = simulate::compile_target(&seven, &sim.target, sim.leads).unwrap();
    let cfg = Config {
        seed: 2,
        count: 10_000_000,
        start: 29_453_760.0,
        horizon_minutes: 365.0 * 1440.0,
        precision: None,
        max_count: 10_000_000,
        arrival_window_minutes: 0.0,
    };
    let t = simulate::simulate(&p, &cfg, |_, _| {});
    println!(
        "  10^7 leads: {:.1} s, peak RSS {:.0} MB (before the run {:.0} MB), won {}",
        t0.elapsed().as_secs_f64(),
        peak_rss_mb(),
        before,
        t.won
    );
    println!(
        "  targets (issue \"Speed\"): seven-email within 10x of the hand-written loop (≥10M leads/s idle), B2B ≥1M leads/s, 10^7 leads < 100 MB RSS"
    );
}
