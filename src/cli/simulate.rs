//! `cadence simulate`: load and check a project, pick a simulation (or a cadence and a lead
//! model), run it, print the report. Progress goes to stderr, only on a terminal
//! (`progress.rs`).

use std::path::PathBuf;

use chrono::{Datelike, NaiveDateTime, TimeZone};

use super::settings::{self, Settings, Source};
use super::{render_failure, Exit, Format, ReportFormat};
use crate::diagnostics::Diagnostic;
use crate::model::{Model, SimTarget};
use crate::simulate::{self, report, Program};
use crate::source::SourceMap;

#[derive(clap::Args, Debug)]
pub struct SimulateArgs {
    /// files or folders forming one project (default: the current folder)
    pub paths: Vec<PathBuf>,
    /// the `simulation` block to run (default: every simulation of the project)
    #[arg(long, conflicts_with_all = ["cadence", "leads"])]
    pub simulation: Option<String>,
    /// run this cadence (with --leads) instead of a simulation block
    #[arg(long, requires = "leads")]
    pub cadence: Option<String>,
    /// the lead model for --cadence
    #[arg(long, requires = "cadence")]
    pub leads: Option<String>,
    /// add leads until the conversion interval's half-width is below this (e.g. 0.005)
    #[arg(long, conflicts_with = "exact")]
    pub precision: Option<f64>,
    /// compute the answer the simulation converges to, without sampling (for models in the
    /// exact class: constant delays, see docs/simulation.md), or say why the model is not in it
    #[arg(long)]
    pub exact: bool,
    #[command(flatten)]
    pub run: RunFlags,
}

/// Flags shared by `simulate` and `compare`: they override the `simulation` block's settings.
#[derive(clap::Args, Debug)]
pub struct RunFlags {
    /// number of leads (overrides the simulation's `count`)
    #[arg(long)]
    pub count: Option<u64>,
    /// random seed (overrides the simulation's `seed`)
    #[arg(long)]
    pub seed: Option<u64>,
    /// horizon such as `180d` (overrides the simulation's `horizon`)
    #[arg(long)]
    pub horizon: Option<String>,
    /// worker threads (default: all cores); results do not depend on it
    #[arg(long)]
    pub threads: Option<usize>,
    /// output format of the report
    #[arg(long, value_enum, default_value = "human")]
    pub format: ReportFormat,
    /// also write the report as one self-contained HTML page (charts with their numbers)
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
}

/// Write the HTML report (atomically); a failure is exit 2 with the path.
pub(super) fn write_report(path: &std::path::Path, html: &str) -> Result<(), Exit> {
    crate::fsio::replace(path, html.as_bytes())
        .map_err(|e| usage(format!("cannot write the report `{}`: {e}", path.display())))
}

/// One run to do: which cadence and lead model, with its settings.
pub struct Plan {
    pub name: String,
    pub target: SimTarget,
    pub leads: usize,
    pub settings: Settings,
}

/// Load and check one project; returns its model, or the exit code after printing diagnostics.
pub fn load_model(paths: &[PathBuf], format: Format) -> Result<Model, Exit> {
    load_model_with(paths, format, |_| false)
}

/// [`load_model`], with the errors `tolerated` accepts left out (and not printed): `schedule`
/// runs on a model whose only errors are the timing findings it shows.
pub fn load_model_with(
    paths: &[PathBuf],
    format: Format,
    tolerated: impl Fn(&Diagnostic) -> bool,
) -> Result<Model, Exit> {
    let paths = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    };
    let (mut runs, io_failed) = super::load_and_check(&paths);
    let errors = runs
        .iter()
        .flat_map(|r| &r.diagnostics)
        .any(|d| d.is_error() && !tolerated(d));
    if io_failed || errors || runs.len() != 1 {
        let view: Vec<(SourceMap, Vec<Diagnostic>)> =
            runs.into_iter().map(|r| (r.map, r.diagnostics)).collect();
        render_failure(&view, format)?;
        if view.len() > 1 {
            super::say("error: this command takes one project (one folder, or files that form one project)\n");
        }
        return Err(if io_failed || view.len() > 1 {
            Exit::Usage
        } else {
            Exit::Findings
        });
    }
    match runs.pop().and_then(|r| r.loaded) {
        Some((_, model)) => Ok(model),
        None => Err(Exit::Usage),
    }
}

pub fn plans(model: &Model, a: &SimulateArgs) -> Result<Vec<Plan>, String> {
    let mut out = Vec::new();
    let mk = |name: String, src: Source<'_>| -> Result<Plan, String> {
        Ok(Plan {
            name,
            target: src.target.clone(),
            leads: src.leads,
            settings: settings::resolve(model, &src, &a.run, a.precision)?,
        })
    };
    if let (Some(c), Some(l)) = (&a.cadence, &a.leads) {
        let ci = model
            .cadences
            .iter()
            .position(|x| x.name == *c)
            .ok_or_else(|| format!("no cadence `{c}` in the project"))?;
        let li = model
            .leads
            .iter()
            .position(|x| x.name == *l)
            .ok_or_else(|| format!("no lead model `{l}` in the project"))?;
        let src = Source {
            simulation: None,
            target: SimTarget::Cadence(ci),
            leads: li,
        };
        out.push(mk(format!("{c} × {l}"), src)?);
        return Ok(out);
    }
    for s in &model.simulations {
        if a.simulation.as_ref().is_some_and(|n| *n != s.name) {
            continue;
        }
        let src = Source {
            simulation: Some(s),
            target: s.target.clone(),
            leads: s.leads,
        };
        out.push(mk(s.name.clone(), src)?);
    }
    if out.is_empty() {
        return Err(match &a.simulation {
            Some(n) => {
                let names: Vec<&str> = model.simulations.iter().map(|s| s.name.as_str()).collect();
                match crate::check::suggest(n, &names) {
                    Some(s) => format!("no simulation `{n}` in the project; did you mean `{s}`?"),
                    None => format!("no simulation `{n}` in the project"),
                }
            }
            None => "the project has no `simulation` block; name one with --cadence and --leads"
                .to_string(),
        });
    }
    Ok(out)
}

pub(super) fn parse_horizon(text: &str) -> Result<u64, String> {
    let d = crate::syntax::parse_duration(crate::source::FileId(0), text)
        .map_err(|_| format!("`{text}` is not a duration (write e.g. `180d`)"))?;
    if d.unit.is_business() {
        return Err("the horizon is wall-clock time: write it in `d`, `w` or `mo`".into());
    }
    let mins = crate::check::duration_minutes(&d);
    if !(1.0..=3660.0 * 1440.0).contains(&mins) {
        return Err(format!(
            "horizon `{text}` must be between 1 minute and ten years"
        ));
    }
    Ok(mins as u64)
}

/// The start as minutes since the epoch, read in the calendar's time zone (UTC without one).
pub(super) fn start_minutes(p: &Program, text: &str) -> Result<f64, String> {
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M")
        .map_err(|_| format!("bad start `{text}`"))?;
    let tz = p.calendar().map(|c| c.tz).unwrap_or(chrono_tz::UTC);
    let local = tz
        .from_local_datetime(&naive)
        .earliest()
        .ok_or_else(|| format!("start `{text}` does not exist in {tz}"))?;
    Ok(local.timestamp() as f64 / 60.0)
}

/// Working days in the simulated period (Mon–Fri without a calendar).
fn working_days(p: &Program, start: f64, horizon: f64) -> f64 {
    let first = chrono::DateTime::from_timestamp((start * 60.0) as i64, 0).map(|d| d.date_naive());
    let Some(first) = first else { return 1.0 };
    let days = (horizon / 1440.0).ceil() as usize;
    first
        .iter_days()
        .take(days)
        .filter(|d| match p.calendar() {
            Some(c) => c.is_working_day(*d),
            None => d.weekday().num_days_from_monday() < 5,
        })
        .count() as f64
}

/// A usage error: print it and exit 2.
pub(super) fn usage(msg: impl std::fmt::Display) -> Exit {
    super::say(format_args!("error: {msg}\n"));
    Exit::Usage
}

/// At most this many worker threads (more only adds switching; results never depend on it).
pub const MAX_THREADS: usize = 256;

/// A pool of `threads` workers (default: one per core); results never depend on the count.
pub(super) fn worker_pool(threads: Option<usize>) -> Result<rayon::ThreadPool, Exit> {
    if let Some(n) = threads {
        if n == 0 || n > MAX_THREADS {
            return Err(usage(format!(
                "--threads {n} is out of range: give 1 to {MAX_THREADS} (results do not depend on it)"
            )));
        }
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .map_err(|e| usage(format!("cannot start worker threads: {e}")))
}

/// What a run was, for its report's header.
fn run_info(
    model: &Model,
    program: &Program,
    plan: &Plan,
    cfg: &simulate::Config,
    precision: Option<report::PrecisionOutcome>,
) -> report::RunInfo {
    report::RunInfo {
        name: plan.name.clone(),
        target: program.name.clone(),
        leads: model
            .leads
            .get(plan.leads)
            .map(|l| l.name.clone())
            .unwrap_or_default(),
        seed: cfg.seed,
        start: plan.settings.start_text.clone(),
        horizon_days: cfg.horizon_minutes / 1440.0,
        arrival_window_days: cfg.arrival_window_minutes / 1440.0,
        scenario_leads: plan.settings.scenario_leads,
        precision,
        working_days: working_days(program, cfg.start, cfg.horizon_minutes),
    }
}

/// The exact answer of one plan, or exit 2 with the reason the model is not in the class.
fn exact_report(
    model: &Model,
    program: &Program,
    plan: &Plan,
    cfg: &simulate::Config,
) -> Result<simulate::exact::report::ExactReport, Exit> {
    let opts = simulate::exact::Options {
        start: cfg.start,
        horizon: cfg.horizon_minutes,
        max_states: simulate::exact::MAX_STATES,
    };
    let SimTarget::Cadence(cadence) = plan.target else {
        return Err(usage(format!(
            "`{}` is not in the exact class: it runs a whole pipeline, and the exact oracle follows one cadence (name one with --cadence and --leads)",
            plan.name
        )));
    };
    let e = simulate::exact::exact(model, program, cadence, plan.leads, opts).map_err(|r| {
        usage(format!(
            "`{}` is not in the exact class: {}",
            plan.name, r.0
        ))
    })?;
    let info = run_info(model, program, plan, cfg, None);
    Ok(simulate::exact::report::ExactReport {
        working_days: info.working_days,
        arrivals_per_day: program.arrivals_per_day,
        exact: e,
        info,
    })
}

pub fn run(a: SimulateArgs) -> Exit {
    run_checked(a).unwrap_or_else(|e| e)
}

fn run_checked(a: SimulateArgs) -> Result<Exit, Exit> {
    let model = load_model(&a.paths, a.run.format.diagnostics())?;
    let plans = plans(&model, &a).map_err(usage)?;
    let pool = worker_pool(a.run.threads)?;
    let mut json_reports = Vec::new();
    for plan in plans {
        if a.exact {
            let program = simulate::compile_target(&model, &plan.target, plan.leads)
                .map_err(|e| usage(format!("cannot simulate `{}`: {}", plan.name, e.0)))?;
            let cfg = plan.settings.config(&program).map_err(usage)?;
            let r = exact_report(&model, &program, &plan, &cfg)?;
            match a.run.format {
                ReportFormat::Json | ReportFormat::Markdown => json_reports.push(r.to_json()),
                ReportFormat::Human => {
                    if !super::emit(&format!("{}\n", r.to_text()))? {
                        return Ok(Exit::Clean);
                    }
                }
            }
            continue;
        }
        let bar = super::progress::bar(
            a.run.format == ReportFormat::Human,
            plan.settings.count,
            &plan.name,
        );
        let ran = pool
            .install(|| {
                run_plan(&model, &plan, |done, total| {
                    if let Some(b) = &bar {
                        b.set_length(total);
                        b.set_position(done);
                    }
                })
            })
            .map_err(usage)?;
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        if let Some(w) = &ran.warning {
            super::say(format_args!("warning: {w}\n"));
        }
        if a.run.report.is_some() && a.run.format == ReportFormat::Human {
            json_reports.push(ran.json.clone());
        }
        match a.run.format {
            ReportFormat::Json | ReportFormat::Markdown => json_reports.push(ran.json),
            // the reader went away (`| head`): the later runs would go unread
            ReportFormat::Human => {
                if !super::emit(&format!("{}\n", ran.text))? {
                    return Ok(Exit::Clean);
                }
            }
        }
    }
    if let Some(path) = &a.run.report {
        if a.exact {
            return Err(usage(
                "--report draws a simulation's report; it does not take --exact",
            ));
        }
        let doc: serde_json::Value =
            serde_json::from_str(&json_document(json_reports.clone())).unwrap_or_default();
        write_report(path, &super::html::simulation(&doc))?;
    }
    match a.run.format {
        ReportFormat::Json => {
            super::emit(&json_document(json_reports))?;
        }
        ReportFormat::Markdown => {
            super::emit(&super::markdown::simulations(&json_reports))?;
        }
        ReportFormat::Human => {}
    }
    Ok(Exit::Clean)
}

/// One simulation run: its report as JSON and as text, and a warning when a precision target
/// was not reached.
pub struct Ran {
    pub json: serde_json::Value,
    pub text: String,
    pub warning: Option<String>,
}

/// Compile and run one plan on the current rayon pool (the CLI's and the self-checks' one path
/// from a plan to a report).
pub fn run_plan(model: &Model, plan: &Plan, progress: impl FnMut(u64, u64)) -> Result<Ran, String> {
    let program = simulate::compile_target(model, &plan.target, plan.leads)
        .map_err(|e| format!("cannot simulate `{}`: {}", plan.name, e.0))?;
    let cfg = plan.settings.config(&program)?;
    let tally = simulate::simulate(&program, &cfg, progress);
    let precision = cfg.precision.map(|target| report::PrecisionOutcome {
        target,
        reached: report::wilson_half_width(tally.won, tally.enrolled) <= target,
        cap: cfg.max_count,
    });
    let info = run_info(model, &program, plan, &cfg, precision);
    let r = report::Report {
        program: &program,
        tally: &tally,
        info,
    };
    let warning = r
        .info
        .precision
        .as_ref()
        .filter(|po| !po.reached)
        .map(|po| {
            format!(
                "`{}`: precision ±{} not reached at the cap of {} leads; the interval is wider",
                plan.name, po.target, po.cap
            )
        });
    Ok(Ran {
        json: r.to_json(),
        text: r.to_text(),
        warning,
    })
}

/// The text of `simulate --format json`: every run's report in one document.
pub fn json_document(runs: Vec<serde_json::Value>) -> String {
    let doc = serde_json::json!({
        "format_version": report::SIM_FORMAT_VERSION,
        "compiler_version": env!("CARGO_PKG_VERSION"),
        "runs": runs,
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    )
}
