//! `cadence compare BASE CANDIDATE`: both versions on the same synthetic leads (keyed random
//! draws), with paired statistics. `--against PATH` takes BASE from another copy of the project.

use std::path::PathBuf;

use serde_json::json;

use super::simulate::{load_model, start_minutes, usage, worker_pool, RunFlags};
use super::{Exit, Format};
use crate::model::Model;
use crate::simulate::{self, compare::Paired, Config, Program};

#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    /// a simulation or cadence name: the version in use
    pub base: String,
    /// a simulation or cadence name: the version to try
    pub candidate: String,
    /// the project (files or folders; default: the current folder)
    #[arg(long = "path", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// take BASE from this other copy of the project (e.g. the last release checked out)
    #[arg(long)]
    pub against: Option<PathBuf>,
    /// lead model, when BASE and CANDIDATE are cadences without a simulation
    #[arg(long)]
    pub leads: Option<String>,
    #[command(flatten)]
    pub run: RunFlags,
}

/// A side of the comparison: the compiled program and the run settings from its simulation.
struct Side {
    label: String,
    program: Program,
    count: Option<u64>,
    seed: Option<u64>,
    horizon: Option<u64>,
    start: Option<String>,
}

fn side(model: &Model, name: &str, leads: Option<&str>) -> Result<Side, String> {
    if let Some(s) = model.simulations.iter().find(|s| s.name == name) {
        let program = simulate::compile(model, s.cadence, s.leads).map_err(|e| e.0)?;
        return Ok(Side {
            label: format!("simulation `{name}`"),
            program,
            count: s.count,
            seed: s.seed,
            horizon: s.horizon_minutes,
            start: s.start.clone(),
        });
    }
    let Some(ci) = model.cadences.iter().position(|c| c.name == name) else {
        let names: Vec<&str> = model
            .simulations
            .iter()
            .map(|s| s.name.as_str())
            .chain(model.cadences.iter().map(|c| c.name.as_str()))
            .collect();
        return Err(match crate::check::suggest(name, &names) {
            Some(s) => format!("no simulation or cadence `{name}`; did you mean `{s}`?"),
            None => format!("no simulation or cadence `{name}` in the project"),
        });
    };
    // the lead model: named, or the one a simulation of this cadence uses
    let li = match leads {
        Some(l) => model
            .leads
            .iter()
            .position(|x| x.name == l)
            .ok_or_else(|| format!("no lead model `{l}`"))?,
        None => model
            .simulations
            .iter()
            .find(|s| s.cadence == ci)
            .map(|s| s.leads)
            .ok_or_else(|| {
                format!("cadence `{name}` has no simulation: name a lead model with --leads")
            })?,
    };
    let sim = model.simulations.iter().find(|s| s.cadence == ci);
    Ok(Side {
        label: format!("cadence `{name}`"),
        program: simulate::compile(model, ci, li).map_err(|e| e.0)?,
        count: sim.and_then(|s| s.count),
        seed: sim.and_then(|s| s.seed),
        horizon: sim.and_then(|s| s.horizon_minutes),
        start: sim.and_then(|s| s.start.clone()),
    })
}

pub fn run(a: CompareArgs) -> Exit {
    run_checked(a).unwrap_or_else(|e| e)
}

fn run_checked(a: CompareArgs) -> Result<Exit, Exit> {
    let cand_model = load_model(&a.paths, a.run.format)?;
    let base_model = match &a.against {
        Some(p) => load_model(std::slice::from_ref(p), a.run.format)?,
        None => cand_model.clone(),
    };
    let base = side(&base_model, &a.base, a.leads.as_deref()).map_err(usage)?;
    let cand = side(&cand_model, &a.candidate, a.leads.as_deref()).map_err(usage)?;
    let horizon = match &a.run.horizon {
        Some(h) => Some(super::simulate::parse_horizon(h).map_err(usage)?),
        None => None,
    };
    let start_text = base
        .start
        .clone()
        .unwrap_or_else(|| "2026-01-05 09:00".into());
    let count = a
        .run
        .count
        .or(base.count)
        .unwrap_or(100_000)
        .max(simulate::compare::BATCHES as u64);
    let cfg = Config {
        seed: a.run.seed.or(base.seed).unwrap_or(1),
        count,
        start: 0.0,
        horizon_minutes: horizon.or(base.horizon).unwrap_or(180 * 1440) as f64,
        precision: None,
        max_count: count,
    };
    let start_b = start_minutes(&base.program, &start_text).map_err(usage)?;
    let start_c = start_minutes(&cand.program, &start_text).map_err(usage)?;
    let pool = worker_pool(a.run.threads)?;
    let paired = pool.install(|| {
        let cfg_b = Config {
            start: start_b,
            ..cfg.clone()
        };
        let cfg_c = Config {
            start: start_c,
            ..cfg.clone()
        };
        let (clock_b, clock_c) = (
            simulate::clock_for(&base.program, &cfg_b),
            simulate::clock_for(&cand.program, &cfg_c),
        );
        let (ctx_b, ctx_c) = (
            simulate::ctx(&base.program, clock_b.as_ref(), &cfg_b),
            simulate::ctx(&cand.program, clock_c.as_ref(), &cfg_c),
        );
        let hours = (cfg.horizon_minutes / 60.0).ceil() as usize + 1;
        let mut paired = Paired::default();
        let batches = simulate::compare::BATCHES as u64;
        for k in 0..batches {
            let (from, to) = (cfg.count * k / batches, cfg.count * (k + 1) / batches);
            let rb = simulate::results(&ctx_b, hours, from, to);
            let rc = simulate::results(&ctx_c, hours, from, to);
            paired.add_batch(&rb, &rc);
        }
        paired
    });
    let (p1, p2) = paired.rates();
    let (d, lo, hi) = paired.difference();
    let med = paired.percentile_difference(0);
    let p90 = paired.percentile_difference(1);
    let n = paired.n();
    match a.run.format {
        Format::Json => {
            let pct = |x: (f64, f64, f64)| json!({"difference_days": x.0, "ci95": [x.1, x.2]});
            let doc = json!({
                "format_version": simulate::report::SIM_FORMAT_VERSION,
                "compiler_version": env!("CARGO_PKG_VERSION"),
                "base": base.label, "candidate": cand.label,
                "leads": n, "seed": cfg.seed, "horizon_days": cfg.horizon_minutes / 1440.0,
                "conversion": {
                    "base": p1, "candidate": p2,
                    "difference": d, "ci95_paired_newcombe": [lo, hi],
                },
                "pairs": {"both_won": paired.both, "only_base_won": paired.only_base,
                          "only_candidate_won": paired.only_candidate, "neither": paired.neither},
                "share_changed": paired.changed(),
                "cycle_time": {
                    "mean_days": {
                        "base": paired.cycle_sum_base / (paired.both + paired.only_base).max(1) as f64 / 1440.0,
                        "candidate": paired.cycle_sum_candidate / (paired.both + paired.only_candidate).max(1) as f64 / 1440.0,
                    },
                    "median": med.map(pct), "p90": p90.map(pct), "batches": simulate::compare::BATCHES,
                },
            });
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
        _ => {
            println!("compare: base {} vs candidate {}", base.label, cand.label);
            println!(
                "  the same {n} synthetic leads (seed {}), horizon {}d\n",
                cfg.seed,
                cfg.horizon_minutes / 1440.0
            );
            println!(
                "conversion   base {:.2}%   candidate {:.2}%   difference {:+.2} pp (95% paired CI {:+.2} to {:+.2})",
                100.0 * p1,
                100.0 * p2,
                100.0 * d,
                100.0 * lo,
                100.0 * hi
            );
            println!(
                "changed      {:.2}% of leads: won only with the candidate {}, only with the base {}",
                100.0 * paired.changed(),
                paired.only_candidate,
                paired.only_base
            );
            for (name, x) in [("median", med), ("p90", p90)] {
                match x {
                    Some((m, l, h)) => println!(
                        "cycle {name:<6} difference {m:+.1}d (95% CI {l:+.1}d to {h:+.1}d) over {} batches",
                        simulate::compare::BATCHES
                    ),
                    None => println!("cycle {name:<6} not enough won leads to compare"),
                }
            }
        }
    }
    Ok(Exit::Clean)
}
