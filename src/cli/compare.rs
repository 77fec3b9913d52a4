//! `cadence compare BASE CANDIDATE`: both versions on the same synthetic leads (keyed random
//! draws), with paired statistics. `--against PATH|REF` takes BASE from another copy of the
//! project or from a git revision of it.

use std::path::PathBuf;

use serde_json::json;

use super::settings::{self, Settings, Source};
use super::simulate::{load_model, usage, worker_pool, RunFlags};
use super::{Exit, ReportFormat};
use crate::model::{Model, SimTarget};
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
    /// take BASE from another copy of the project (a folder), or from a git revision of this
    /// one (`main`, `HEAD~1`; read with git, no checkout) when no such folder exists
    #[arg(long, value_name = "PATH|REF")]
    pub against: Option<String>,
    /// lead model, when BASE and CANDIDATE are cadences without a simulation
    #[arg(long)]
    pub leads: Option<String>,
    #[command(flatten)]
    pub run: RunFlags,
}

/// A side of the comparison: the compiled program and what it runs.
struct Side<'m> {
    label: String,
    program: Program,
    source: Source<'m>,
}

fn side<'m>(model: &'m Model, name: &str, leads: Option<&str>) -> Result<Side<'m>, String> {
    if let Some(s) = model.simulations.iter().find(|s| s.name == name) {
        let program = simulate::compile_target(model, &s.target, s.leads).map_err(|e| e.0)?;
        return Ok(Side {
            label: format!("simulation `{name}`"),
            program,
            source: Source {
                simulation: Some(s),
                target: s.target.clone(),
                leads: s.leads,
            },
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
    // the lead model: named, or the one a simulation of this cadence uses (with its settings)
    let sim = model
        .simulations
        .iter()
        .find(|s| s.target == SimTarget::Cadence(ci));
    let li = match leads {
        Some(l) => model
            .leads
            .iter()
            .position(|x| x.name == l)
            .ok_or_else(|| format!("no lead model `{l}`"))?,
        None => sim.map(|s| s.leads).ok_or_else(|| {
            format!("cadence `{name}` has no simulation: name a lead model with --leads")
        })?,
    };
    Ok(Side {
        label: format!("cadence `{name}`"),
        program: simulate::compile(model, ci, li).map_err(|e| e.0)?,
        source: Source {
            simulation: sim.filter(|s| s.leads == li),
            target: SimTarget::Cadence(ci),
            leads: li,
        },
    })
}

pub fn run(a: CompareArgs) -> Exit {
    run_checked(a).unwrap_or_else(|e| e)
}

/// How the two sides' scenarios differ, in words (empty: the same scenario).
fn differences(
    (mb, b, sb, cb): (&Model, &Side<'_>, &Settings, &Config),
    (mc, c, sc, cc): (&Model, &Side<'_>, &Settings, &Config),
    paired: &Paired,
) -> Vec<String> {
    let mut out = Vec::new();
    let (lb, lc) = (mb.leads.get(b.source.leads), mc.leads.get(c.source.leads));
    if lb != lc {
        let name =
            |l: Option<&crate::model::LeadModel>| l.map(|l| l.name.clone()).unwrap_or_default();
        out.push(format!(
            "population: lead model `{}` vs `{}`{}",
            name(lb),
            name(lc),
            if name(lb) == name(lc) {
                " (changed)"
            } else {
                ""
            }
        ));
    }
    if sb.start_text != sc.start_text {
        out.push(format!("start: {} vs {}", sb.start_text, sc.start_text));
    }
    if sb.horizon_minutes != sc.horizon_minutes {
        out.push(format!(
            "horizon: {}d vs {}d",
            sb.horizon_minutes as f64 / 1440.0,
            sc.horizon_minutes as f64 / 1440.0
        ));
    }
    if cb.arrival_window_minutes != cc.arrival_window_minutes {
        out.push(format!(
            "arrival window: {:.1}d vs {:.1}d",
            cb.arrival_window_minutes / 1440.0,
            cc.arrival_window_minutes / 1440.0
        ));
    }
    if !paired.same_enrolment() {
        out.push(format!(
            "enrolment: base enrolls {}, candidate {}, both {} of {} leads; conversion is per lead enrolled on either side",
            paired.enrolled_base, paired.enrolled_candidate, paired.enrolled_both, paired.leads
        ));
    }
    out
}

fn run_checked(a: CompareArgs) -> Result<Exit, Exit> {
    let cand_model = load_model(&a.paths, a.run.format.diagnostics())?;
    let base_model = match &a.against {
        Some(p) if std::path::Path::new(p).exists() => {
            load_model(&[PathBuf::from(p)], a.run.format.diagnostics())?
        }
        Some(rev) => {
            let [project] = a.paths.as_slice() else {
                super::say(
                    "error: `--against REF` takes the project as one folder (`--path DIR`)\n",
                );
                return Err(Exit::Usage);
            };
            super::diff::model_at(project, rev, a.run.format.diagnostics())?
        }
        None => cand_model.clone(),
    };
    let base = side(&base_model, &a.base, a.leads.as_deref()).map_err(usage)?;
    let cand = side(&cand_model, &a.candidate, a.leads.as_deref()).map_err(usage)?;
    let set_b = settings::resolve(&base_model, &base.source, &a.run, None).map_err(usage)?;
    let mut set_c = settings::resolve(&cand_model, &cand.source, &a.run, None).map_err(usage)?;
    // the same leads on both sides: the base's count and seed (or the flags')
    set_c.count = set_b.count;
    set_c.seed = set_b.seed;
    let count = set_b.count.max(simulate::compare::BATCHES as u64);
    let cfg_b = Config {
        count,
        ..set_b.config(&base.program).map_err(usage)?
    };
    let cfg_c = Config {
        count,
        ..set_c.config(&cand.program).map_err(usage)?
    };
    let pool = worker_pool(a.run.threads)?;
    let bar = super::progress::bar(
        a.run.format == ReportFormat::Human,
        count,
        &format!("{} vs {}", a.base, a.candidate),
    );
    let compared = pool.install(|| {
        let (clock_b, clock_c) = (
            simulate::clocks_for(&base.program, &cfg_b),
            simulate::clocks_for(&cand.program, &cfg_c),
        );
        let (ctx_b, ctx_c) = (
            simulate::ctx(&base.program, &clock_b, &cfg_b),
            simulate::ctx(&cand.program, &clock_c, &cfg_c),
        );
        let horizon = cfg_b.horizon_minutes.max(cfg_c.horizon_minutes);
        let hours = (horizon / 60.0).ceil() as usize + 1;
        simulate::compare_tallied(&ctx_b, &ctx_c, hours, count, |done, total| {
            if let Some(b) = &bar {
                b.set_length(total);
                b.set_position(done);
            }
        })
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let paired = &compared.paired;
    let diffs = differences(
        (&base_model, &base, &set_b, &cfg_b),
        (&cand_model, &cand, &set_c, &cfg_c),
        paired,
    );
    let cfg = cfg_b;
    let (p1, p2) = paired.rates();
    let (d, lo, hi) = paired.difference();
    let med = paired.percentile_difference(0);
    let p90 = paired.percentile_difference(1);
    let n = paired.n();
    let steps = simulate::compare::steps_json(
        (&base.program, &compared.base),
        (&cand.program, &compared.candidate),
    );
    let machine = a.run.format != ReportFormat::Human || a.run.report.is_some();
    let text = match a.run.format {
        _ if machine => {
            let pct = |x: (f64, f64, f64)| json!({"difference_days": x.0, "ci95": [x.1, x.2]});
            let doc = json!({
                "format_version": simulate::report::SIM_FORMAT_VERSION,
                "compiler_version": env!("CARGO_PKG_VERSION"),
                "base": base.label, "candidate": cand.label,
                "leads": paired.leads, "enrolled": n, "seed": cfg.seed,
                "horizon_days": {"base": cfg.horizon_minutes / 1440.0, "candidate": cfg_c.horizon_minutes / 1440.0},
                "start": {"base": set_b.start_text, "candidate": set_c.start_text},
                "arrival_window_days": {"base": cfg.arrival_window_minutes / 1440.0, "candidate": cfg_c.arrival_window_minutes / 1440.0},
                "differences": diffs,
                "conversion": {
                    "base": p1, "candidate": p2,
                    "difference": d, "ci95_paired_newcombe": [lo, hi],
                },
                "pairs": {"both_won": paired.both, "only_base_won": paired.only_base,
                          "only_candidate_won": paired.only_candidate, "neither": paired.neither},
                "share_changed": paired.changed(),
                "cycle_time": {
                    "mean_days": {
                        "base": paired.mean_cycle_days().0,
                        "candidate": paired.mean_cycle_days().1,
                    },
                    "median": med.map(pct), "p90": p90.map(pct), "batches": simulate::compare::BATCHES,
                },
                "steps": steps,
            });
            if let Some(path) = &a.run.report {
                super::simulate::write_report(path, &super::html::comparison(&doc))?;
            }
            if a.run.format == ReportFormat::Markdown {
                super::markdown::comparison(&doc)
            } else if a.run.format == ReportFormat::Human {
                human(&base, &cand, paired, &diffs, &cfg, &steps)
            } else {
                format!(
                    "{}\n",
                    serde_json::to_string_pretty(&doc).unwrap_or_default()
                )
            }
        }
        _ => human(&base, &cand, paired, &diffs, &cfg, &steps),
    };
    super::emit(&text)?;
    Ok(Exit::Clean)
}

/// The text report of a comparison.
fn human(
    base: &Side<'_>,
    cand: &Side<'_>,
    paired: &Paired,
    diffs: &[String],
    cfg: &Config,
    steps: &serde_json::Value,
) -> String {
    use std::fmt::Write as _;
    let (p1, p2) = paired.rates();
    let (d, lo, hi) = paired.difference();
    let med = paired.percentile_difference(0);
    let p90 = paired.percentile_difference(1);
    let n = paired.n();
    let mut t = String::new();
    let _ = writeln!(
        t,
        "compare: base {} vs candidate {}",
        base.label, cand.label
    );
    let _ = writeln!(
        t,
        "  the same {} synthetic leads (seed {}), {n} enrolled, horizon {}d",
        paired.leads,
        cfg.seed,
        cfg.horizon_minutes / 1440.0
    );
    for d in diffs {
        let _ = writeln!(t, "  note: the sides differ in {d}");
    }
    let _ = writeln!(t);
    let _ = writeln!(
                t,
                "conversion   base {:.2}%   candidate {:.2}%   difference {:+.2} pp (95% paired CI {:+.2} to {:+.2})",
                100.0 * p1,
                100.0 * p2,
                100.0 * d,
                100.0 * lo,
                100.0 * hi
            );
    let _ = writeln!(
        t,
        "changed      {:.2}% of leads: won only with the candidate {}, only with the base {}",
        100.0 * paired.changed(),
        paired.only_candidate,
        paired.only_base
    );
    for (name, x) in [("median", med), ("p90", p90)] {
        match x {
            Some((m, l, h)) => {
                let _ = writeln!(
                        t,
                        "cycle {name:<6} difference {m:+.1}d (95% CI {l:+.1}d to {h:+.1}d) over {} batches",
                        simulate::compare::BATCHES
                    );
            }
            None => {
                let _ = writeln!(t, "cycle {name:<6} not enough won leads to compare");
            }
        }
    }
    t.push_str(&steps_text(steps));
    t
}

/// The steps whose funnel differs (leads reaching them on each side), and the identical ones.
fn steps_text(steps: &serde_json::Value) -> String {
    use crate::simulate::columns::{layout, Align::*};
    let steps = steps.as_array().map(Vec::as_slice).unwrap_or_default();
    let (same, differ): (Vec<&serde_json::Value>, Vec<&serde_json::Value>) =
        steps.iter().partition(|s| s["identical"] == true);
    let name = |s: &serde_json::Value| s["step"].as_str().unwrap_or("").to_string();
    let mut t = String::new();
    if !differ.is_empty() {
        t.push_str("\nper step where the versions differ (leads reaching it)\n");
        let side = |s: &serde_json::Value, k: &str| {
            s[k]["reached"]
                .as_u64()
                .map_or_else(|| "–".to_string(), |n| n.to_string())
        };
        let mut rows = vec![["cadence", "step", "channel", "base", "candidate"]
            .map(String::from)
            .to_vec()];
        for s in &differ {
            let of = |k: &str| {
                s["base"][k]
                    .as_str()
                    .or(s["candidate"][k].as_str())
                    .unwrap_or("")
                    .to_string()
            };
            rows.push(vec![
                of("cadence"),
                name(s),
                of("channel"),
                side(s, "base"),
                side(s, "candidate"),
            ]);
        }
        t.push_str(&layout("  ", &[Left, Left, Left, Right, Right], &rows));
    }
    if !same.is_empty() {
        let names: Vec<String> = same.iter().map(|s| name(s)).collect();
        t.push_str(&format!(
            "{}identical on both versions: {}\n",
            if differ.is_empty() { "\n" } else { "" },
            names.join(", ")
        ));
    }
    t
}
