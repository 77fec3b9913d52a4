//! `cadence calibrate FILE.csv`: fit a `leads` block to a CRM export (`crate::calibrate`),
//! check the block with the project, print it (or the JSON report). Exit 0 done, 1 bad rows
//! under `--strict` or a block that does not check, 2 usage or I/O.

use std::path::PathBuf;

use super::{emit, say, Exit};
use crate::calibrate::input::{self, DateOrder};
use crate::calibrate::{self, Kind, Options, Preset};
use crate::diagnostics::Format;
use crate::model::Pipeline;
use crate::project::Project;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CalibrateFormat {
    /// the `leads` block, ready to drop into the project
    Leads,
    /// every fitted figure with its interval, sample and the bad-row report
    Json,
}

#[derive(clap::Args, Debug)]
pub struct CalibrateArgs {
    /// the CSV export (`,`, `;` or tab separated, with a header line)
    pub file: PathBuf,
    /// what one row is
    #[arg(long, value_enum)]
    pub kind: Option<Kind>,
    /// the column names of a documented CRM export
    #[arg(long, value_enum)]
    pub preset: Option<Preset>,
    /// columns for the roles, e.g. `deal=Opportunity_ID,stage=Stage,entered=Entered_At`
    #[arg(long, value_name = "ROLE=COLUMN,...")]
    pub map: Option<String>,
    /// how to read dates like 03/04/2026: day first (dmy) or month first (mdy)
    #[arg(long, value_enum)]
    pub dates: Option<DateOrder>,
    /// when the export was taken, `YYYY-MM-DD[ HH:MM]` (default: its latest time)
    #[arg(long, value_name = "TIME")]
    pub as_of: Option<String>,
    /// the project (files or folders) whose pipeline the stages and events belong to
    #[arg(long = "project", value_name = "PATH")]
    pub project: Vec<PathBuf>,
    /// the pipeline of the project (default: its only one)
    #[arg(long)]
    pub pipeline: Option<String>,
    /// the name of the `leads` block
    #[arg(long, default_value = "calibrated")]
    pub name: String,
    /// contact summaries: the outcome a success is, CHANNEL.OUTCOME
    #[arg(long, default_value = "call.connected", value_name = "CHANNEL.OUTCOME")]
    pub outcome: String,
    /// deal snapshots: the stage a deal is in until it closes (default: the pipeline's first)
    #[arg(long, value_name = "STAGE")]
    pub open_stage: Option<String>,
    /// deal snapshots: the stage a won deal moves to (default: the pipeline's `outcome won`)
    #[arg(long, value_name = "STAGE")]
    pub won_stage: Option<String>,
    /// deal snapshots: the stage a lost deal moves to (default: the pipeline's `outcome lost`)
    #[arg(long, value_name = "STAGE")]
    pub lost_stage: Option<String>,
    /// fit on the deals that started before DATE and back-test the model on the later ones
    /// (needs `--project`)
    #[arg(long, value_name = "DATE")]
    pub holdout_after: Option<String>,
    /// the currency of the amount column (`CNY`, `USD`), for the block's `fact amount` line
    #[arg(long, value_name = "CODE")]
    pub currency: Option<String>,
    /// fit each value of COLUMN (read from a deal's or lead's first row) on its own, as a
    /// `segment` of the block
    #[arg(long, value_name = "COLUMN")]
    pub by: Option<String>,
    /// with `--by`: the fewest deals or leads a value needs to be fitted as a segment
    #[arg(long, value_name = "N", default_value_t = calibrate::segments::MIN_SEGMENT)]
    pub min_segment: u64,
    /// any bad row fails the run (exit 1) instead of being counted and reported
    #[arg(long)]
    pub strict: bool,
    #[arg(long, value_enum, default_value = "leads")]
    pub format: CalibrateFormat,
}

/// The back-test's draws are fixed: the same export gives the same verdict.
const BACKTEST_SEED: u64 = 20_260_301;

fn usage(message: impl std::fmt::Display) -> Exit {
    say(format_args!("error: {message}\n"));
    Exit::Usage
}

fn pick_pipeline<'m>(
    pipelines: &'m [Pipeline],
    name: Option<&str>,
) -> Result<Option<&'m Pipeline>, Exit> {
    let names = || {
        pipelines
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (name, pipelines) {
        (Some(n), _) => match pipelines.iter().find(|p| p.name == n) {
            Some(p) => Ok(Some(p)),
            None => Err(usage(format_args!(
                "no pipeline `{n}` in the project (pipelines: {})",
                names()
            ))),
        },
        (None, []) => Ok(None),
        (None, [one]) => Ok(Some(one)),
        (None, _) => Err(usage(format_args!(
            "the project has several pipelines: say `--pipeline NAME` ({})",
            names()
        ))),
    }
}

/// The project's files' texts, for checking the block together with them.
fn project_texts(paths: &[PathBuf]) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        if p.is_dir() {
            crate::project::collect_dir(p, &mut files, &mut errors);
        } else {
            files.push(p.clone());
        }
    }
    files
        .iter()
        .filter_map(|f| Some((f.display().to_string(), std::fs::read_to_string(f).ok()?)))
        .collect()
}

/// A name as the language spells it (docs/language.md, "Names and paths").
fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub fn run(args: CalibrateArgs) -> Exit {
    if !is_name(&args.name) {
        return usage(format_args!(
            "`--name {}` is not a name of the language: a letter or `_`, then letters, digits \
             or `_` (e.g. `inbound_2026`)",
            args.name
        ));
    }
    if let Some(c) = &args.currency {
        if !(c.len() == 3 && c.chars().all(|ch| ch.is_ascii_uppercase())) {
            return usage(format_args!(
                "`--currency {c}` is not a currency code: three capital letters (e.g. CNY)"
            ));
        }
    }
    let model = if args.project.is_empty() {
        None
    } else {
        match super::simulate::load_model(&args.project, Format::Human) {
            Ok(m) => Some(m),
            Err(e) => return e,
        }
    };
    let pipeline = match pick_pipeline(
        model.as_ref().map_or(&[][..], |m| &m.pipelines),
        args.pipeline.as_deref(),
    ) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let Some((channel, outcome)) = args.outcome.split_once('.') else {
        return usage(format_args!(
            "`--outcome {}` is not CHANNEL.OUTCOME (e.g. call.connected)",
            args.outcome
        ));
    };
    let map = match args.map.as_deref().map(input::parse_map).transpose() {
        Ok(m) => m.unwrap_or_default(),
        Err(e) => return usage(e),
    };
    let as_of = match args
        .as_of
        .as_deref()
        .map(|t| input::parse_time(t, DateOrder::Unset))
        .transpose()
    {
        Ok(t) => t.map(|t| t.0),
        Err(e) => return usage(format_args!("--as-of: {e}")),
    };
    let holdout_after = match args
        .holdout_after
        .as_deref()
        .map(|t| input::parse_time(t, args.dates.unwrap_or_default()))
        .transpose()
    {
        Ok(t) => t.map(|t| t.0),
        Err(e) => return usage(format_args!("--holdout-after: {e}")),
    };
    if holdout_after.is_some() && pipeline.is_none() {
        return usage("--holdout-after simulates the later deals on the project's pipeline: give `--project PATH`");
    }
    let opts = Options {
        kind: args.kind,
        preset: args.preset,
        map,
        dates: args.dates.unwrap_or_default(),
        as_of,
        name: args.name.clone(),
        outcome: (channel.to_string(), outcome.to_string()),
        open_stage: args.open_stage.clone(),
        won_stage: args.won_stage.clone(),
        lost_stage: args.lost_stage.clone(),
        holdout_after,
        currency: args.currency.clone(),
        by: args.by.clone(),
        min_segment: args.min_segment.max(1),
    };
    let table = match input::read(&args.file) {
        Ok(t) => t,
        Err(e) => return usage(e),
    };
    let file = args.file.display().to_string();
    let mut result = match calibrate::calibrate(&file, &table, pipeline, &opts) {
        Ok(r) => r,
        Err(e) => return usage(format_args!("{file}: {e}")),
    };
    if result.bad_rows > 0 {
        say(format_args!(
            "{}: {} of {} rows could not be used{}\n",
            file,
            result.bad_rows,
            result.rows,
            if args.strict {
                ""
            } else {
                " (counted in the report, left out of the fit)"
            }
        ));
        for b in &result.bad {
            say(format_args!("  {file}:{}: {}\n", b.line, b.reason));
        }
        if result.bad_rows as usize > result.bad.len() {
            say(format_args!(
                "  … and {} more\n",
                result.bad_rows as usize - result.bad.len()
            ));
        }
        if args.strict {
            return Exit::Findings;
        }
    }
    // the block must check with the project it is for
    let mut texts = project_texts(&args.project);
    let generated = format!("<calibrated {}>", opts.name);
    texts.push((generated.clone(), result.leads.clone()));
    let view: Vec<(&str, &str)> = texts
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let checked = crate::check::check(&Project::from_texts(&view));
    let errors: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{} {}", d.code.code, d.message))
        .collect();
    if !errors.is_empty() {
        say(format_args!(
            "error: the calibrated block does not check with the project:\n  {}\n{}",
            errors.join("\n  "),
            result.leads
        ));
        return Exit::Findings;
    }
    if let Some(h) = &result.holdout {
        match calibrate::backtest::run(&checked.model, &result, h, &opts.name, BACKTEST_SEED) {
            Ok(b) => result.backtest = Some(b),
            Err(e) => return usage(format_args!("{file}: {e}")),
        }
    }
    let text = match args.format {
        CalibrateFormat::Leads => match &result.backtest {
            Some(b) => format!("{}\n{}", result.leads, calibrate::backtest::text(b)),
            None => result.leads.clone(),
        },
        CalibrateFormat::Json => match serde_json::to_string_pretty(&result) {
            Ok(j) => j + "\n",
            Err(e) => return usage(format_args!("cannot write the report: {e}")),
        },
    };
    match emit(&text) {
        Ok(_) => Exit::Clean,
        Err(e) => e,
    }
}
