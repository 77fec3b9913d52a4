//! The command line: small verbs over the library. Exit codes live in [`Exit`].

mod build;
mod calibrate;
mod compare;
mod diff;
mod fmt;
mod html;
pub mod init;
mod markdown;
mod output;
mod progress;
pub(crate) mod schedule;
mod settings;
pub(crate) mod simulate;
mod test;

pub(crate) use output::{emit, say};

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use crate::check;
pub use crate::diagnostics::Format;
use crate::diagnostics::{self, codes, render_human, ColorChoice, Diagnostic};
use crate::project::{self, Project};
use crate::source::{SourceFile, SourceMap, Span};

/// The process exit codes, in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// No findings (warnings allowed unless `--deny-warnings`).
    Clean = 0,
    /// Errors in the input, failing tests, `fmt --check` differences.
    Findings = 1,
    /// Usage, I/O or internal error.
    Usage = 2,
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e as u8)
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "cadence",
    version,
    about = "Check, format and explain sales cadences and pipeline rules"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// How `simulate` and `compare` print their reports.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ReportFormat {
    /// text for people
    Human,
    /// one JSON document (docs/simulation.md)
    Json,
    /// the headline figures as Markdown, for a pull-request comment or a job summary
    Markdown,
}

impl ReportFormat {
    /// The format of the diagnostics a report cannot start for.
    pub fn diagnostics(self) -> Format {
        match self {
            ReportFormat::Json => Format::Json,
            ReportFormat::Human | ReportFormat::Markdown => Format::Human,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Parse and check projects: a folder is one project, loose files together form one
    Check {
        /// files or folders (default: the current folder)
        paths: Vec<PathBuf>,
        /// output format for diagnostics
        #[arg(long, value_enum, env = "CADENCE_FORMAT", default_value = "human")]
        format: Format,
        /// fail (exit 1) on warnings too
        #[arg(long)]
        deny_warnings: bool,
        /// also report what this CRM cannot run as written (behavioural losses, E0901)
        #[arg(long, value_enum)]
        target: Option<CrmTarget>,
        /// colour in human output
        #[arg(long, value_enum, default_value = "auto")]
        color: Color,
    },
    /// Rewrite files in the canonical layout (comments are kept)
    Fmt(fmt::FmtArgs),
    /// Compile a checked project to neutral JSON or CRM request bodies (see docs/targets.md)
    Build {
        /// files or folders (default: the current folder)
        paths: Vec<PathBuf>,
        /// what to build
        #[arg(long, value_enum)]
        target: build::BuildTarget,
        /// write the files to DIR/TARGET/ (default: stdout, for a single output)
        #[arg(short = 'o', long = "out", value_name = "DIR")]
        out: Option<PathBuf>,
        /// build what the target cannot express anyway, with a warning for each loss
        #[arg(long)]
        allow_lossy: bool,
        /// the ids file mapping templates, roles, actions and views to CRM ids
        #[arg(long, value_name = "FILE")]
        ids: Option<PathBuf>,
        /// a CRM id missing from the ids file is an error (default: a marked placeholder)
        #[arg(long)]
        strict: bool,
        /// a setup item (configured once in the CRM, listed in SETUP.md) is an error too
        #[arg(long)]
        fail_on_setup: bool,
        /// write the pipelines' bodies too (Zoho: the Blueprint plan; HubSpot: the deal pipeline);
        /// without it a pipeline gives setup items only
        #[arg(long)]
        pipelines: bool,
        /// output format for findings (machine formats need `-o`: stdout holds the findings)
        #[arg(long, value_enum, env = "CADENCE_FORMAT", default_value = "human")]
        format: Format,
        /// colour in human output
        #[arg(long, value_enum, default_value = "auto")]
        color: Color,
    },
    /// Print the JSON Schema of the neutral JSON format (`build --target json`)
    Schema,
    /// Monte Carlo simulation of a cadence over a lead model
    Simulate(simulate::SimulateArgs),
    /// Paired what-if: two versions on the same synthetic leads
    Compare(compare::CompareArgs),
    /// When each touch of a cadence fires for an enrolment time, and why (waits, holidays, DST)
    Schedule(schedule::ScheduleArgs),
    /// What changed since a git revision, in words, and which changes are risky
    Diff(diff::DiffArgs),
    /// Run the `test` blocks: scripted leads on the simulator's engine, every `expect` checked
    Test(test::TestArgs),
    /// Fit a `leads` block to a CRM export (contact summaries, stage histories, deal snapshots)
    Calibrate(calibrate::CalibrateArgs),
    /// Print the documentation of a diagnostic code, e.g. `cadence explain E0412`
    Explain {
        /// a code such as E0412, or `all` to list every code
        code: String,
    },
    /// Start a project: calendar, pipeline, cadences, lead model, simulation, tests, CI workflow
    Init(init::InitArgs),
    /// Print a shell completion script, e.g. `cadence completions bash > /etc/bash_completion.d/cadence`
    Completions {
        /// the shell to complete in
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `cadence man > cadence.1 && man ./cadence.1`
    Man,
}

pub fn main() -> std::process::ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    Exit::Clean
                }
                _ => Exit::Usage,
            }
            .into();
        }
    };
    run(cli).into()
}

pub fn run(cli: Cli) -> Exit {
    match cli.command {
        Command::Check {
            paths,
            format,
            deny_warnings,
            target,
            color,
        } => cmd_check(&paths, format, deny_warnings, target.map(Into::into), color),
        Command::Fmt(args) => fmt::run(args),
        Command::Explain { code } => cmd_explain(&code),
        Command::Build {
            paths,
            target,
            out,
            allow_lossy,
            ids,
            strict,
            fail_on_setup,
            pipelines,
            format,
            color,
        } => build::cmd_build(build::BuildArgs {
            paths,
            target,
            out,
            allow_lossy,
            ids,
            strict,
            fail_on_setup,
            pipelines,
            format,
            color,
        }),
        Command::Schema => build::cmd_schema(),
        Command::Simulate(args) => simulate::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Schedule(args) => schedule::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Test(args) => test::run(args),
        Command::Calibrate(args) => calibrate::run(args),
        Command::Init(args) => init::run(args),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "cadence", &mut out);
            emit_bytes(&out)
        }
        Command::Man => {
            let mut out = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut out) {
                Ok(()) => emit_bytes(&out),
                Err(e) => {
                    say(format_args!("error: cannot render the man page: {e}\n"));
                    Exit::Usage
                }
            }
        }
    }
}

/// Print generated text (completions, the man page) on stdout.
fn emit_bytes(out: &[u8]) -> Exit {
    match emit(&String::from_utf8_lossy(out)) {
        Ok(_) => Exit::Clean,
        Err(e) => e,
    }
}

fn default_paths(paths: &[PathBuf]) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    }
}

/// A group of paths checked as one project (with its root folder, `None` for loose files), or a
/// path that could not be read.
enum Group {
    Project(Option<PathBuf>, Vec<PathBuf>),
    Unreadable(PathBuf, String),
    Empty(PathBuf),
}

fn group_paths(paths: &[PathBuf]) -> Vec<Group> {
    let mut groups = Vec::new();
    let mut loose = Vec::new();
    for p in default_paths(paths) {
        match std::fs::metadata(&p) {
            Ok(m) if m.is_dir() => {
                let mut files = Vec::new();
                let mut errs = Vec::new();
                project::collect_dir(&p, &mut files, &mut errs);
                if let Some(e) = errs.into_iter().next() {
                    groups.push(Group::Unreadable(p.clone(), e));
                } else if files.is_empty() {
                    groups.push(Group::Empty(p.clone()));
                } else {
                    groups.push(Group::Project(Some(p.clone()), files));
                }
            }
            Ok(_) => loose.push(p),
            Err(e) => groups.push(Group::Unreadable(p.clone(), e.to_string())),
        }
    }
    if !loose.is_empty() {
        groups.push(Group::Project(None, loose));
    }
    groups
}

/// A diagnostic about a path itself, located at the start of a stand-in file named after it.
fn path_diagnostic(
    map: &mut SourceMap,
    path: &std::path::Path,
    code: &'static codes::CodeInfo,
    msg: String,
) -> Diagnostic {
    let id = map.add(SourceFile::placeholder(path.display().to_string()));
    Diagnostic::new(code, Span::new(id, 0, 0), msg)
}

/// E0005: a folder without `.cadence` files (check and fmt alike).
fn no_sources(map: &mut SourceMap, dir: &std::path::Path) -> Diagnostic {
    path_diagnostic(
        map,
        dir,
        &codes::E0005,
        format!("no `.cadence` files in `{}`", dir.display()),
    )
    .with_help("point the command at a project folder or at `.cadence` files")
}

pub(crate) fn color_choice(color: Color) -> ColorChoice {
    match color {
        Color::Always => ColorChoice::Always,
        Color::Never => ColorChoice::Never,
        Color::Auto => {
            if std::env::var_os("NO_COLOR").is_some() || !std::io::stderr().is_terminal() {
                ColorChoice::Never
            } else {
                ColorChoice::Always
            }
        }
    }
}

/// One project as a verb sees it: its sources, every diagnostic (sorted), and — when its files
/// could be read — the loaded project with its checked model (complete only without errors).
pub struct CheckedRun {
    pub map: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
    pub loaded: Option<(Project, crate::model::Model)>,
}

/// Load and check every project named by `paths` (a folder is one project, loose files form
/// one); the flag says whether a path could not be read (exit 2).
pub fn load_and_check(paths: &[PathBuf]) -> (Vec<CheckedRun>, bool) {
    let mut runs = Vec::new();
    let mut io_failed = false;
    for g in group_paths(paths) {
        let run = match g {
            Group::Project(root, files) => {
                let project = Project::load_in(root.as_deref(), &files);
                let mut map = project.sources.clone();
                let checked = check::check(&project);
                let mut diags = checked.diagnostics;
                for m in &project.io_errors {
                    io_failed = true;
                    diags.push(path_diagnostic(
                        &mut map,
                        std::path::Path::new(""),
                        &codes::E0001,
                        m.clone(),
                    ));
                }
                diagnostics::sort(&mut diags);
                CheckedRun {
                    map,
                    diagnostics: diags,
                    loaded: Some((project, checked.model)),
                }
            }
            Group::Unreadable(p, e) => {
                io_failed = true;
                let mut map = SourceMap::new();
                let d = path_diagnostic(
                    &mut map,
                    &p,
                    &codes::E0001,
                    format!("cannot read `{}`: {e}", p.display()),
                );
                CheckedRun {
                    map,
                    diagnostics: vec![d],
                    loaded: None,
                }
            }
            Group::Empty(p) => {
                // nothing to check is a usage problem, not a finding in the input
                io_failed = true;
                let mut map = SourceMap::new();
                let d = no_sources(&mut map, &p);
                CheckedRun {
                    map,
                    diagnostics: vec![d],
                    loaded: None,
                }
            }
        };
        runs.push(run);
    }
    (runs, io_failed)
}

/// Load and check every project named by `paths`; returns per-project sources and diagnostics.
pub fn check_paths(paths: &[PathBuf]) -> (Vec<(SourceMap, Vec<Diagnostic>)>, bool) {
    let (runs, io_failed) = load_and_check(paths);
    (
        runs.into_iter().map(|r| (r.map, r.diagnostics)).collect(),
        io_failed,
    )
}

/// A CRM whose behavioural losses `check --target` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CrmTarget {
    Zoho,
    Salesloft,
    Hubspot,
}

impl From<CrmTarget> for crate::targets::Target {
    fn from(t: CrmTarget) -> crate::targets::Target {
        match t {
            CrmTarget::Zoho => crate::targets::Target::Zoho,
            CrmTarget::Salesloft => crate::targets::Target::Salesloft,
            CrmTarget::Hubspot => crate::targets::Target::Hubspot,
        }
    }
}

fn cmd_check(
    paths: &[PathBuf],
    format: Format,
    deny_warnings: bool,
    target: Option<crate::targets::Target>,
    color: Color,
) -> Exit {
    let (runs, io_failed) = load_and_check(paths);
    let runs: Vec<(SourceMap, Vec<Diagnostic>)> = runs
        .into_iter()
        .map(|r| {
            let mut diags = r.diagnostics;
            // a clean model is built for the CRM (`--target`, else each CRM a `target` line
            // names): its behavioural losses, as `build` finds them
            if let Some((project, model)) = &r.loaded {
                if !diags.iter().any(Diagnostic::is_error) {
                    diags.extend(match target {
                        Some(t) => crate::targets::behavioural_losses(project, model, t),
                        None => crate::targets::declared_losses(project, model),
                    });
                    diagnostics::sort(&mut diags);
                }
            }
            // the process ends after the report: freeing a large project's trees and model
            // one by one costs more than the operating system takes to drop them at once
            std::mem::forget(r.loaded);
            (r.map, diags)
        })
        .collect();
    let errors: usize = runs
        .iter()
        .flat_map(|(_, d)| d)
        .filter(|d| d.is_error())
        .count();
    let warnings: usize = runs
        .iter()
        .flat_map(|(_, d)| d)
        .filter(|d| !d.is_error())
        .count();
    let files: usize = runs.iter().map(|(m, _)| m.file_count()).sum();
    let view: Vec<(&SourceMap, &[Diagnostic])> =
        runs.iter().map(|(m, d)| (m, d.as_slice())).collect();
    let written = match diagnostics::render_document(format, &view) {
        Some(doc) => emit(&doc),
        None => {
            let choice = color_choice(color);
            let mut err = std::io::stderr().lock();
            for (map, diags) in &runs {
                let _ = write!(err, "{}", render_human(map, diags, choice));
            }
            let _ = writeln!(
                err,
                "checked {files} file{}: {errors} error{}, {warnings} warning{}",
                plural(files),
                plural(errors),
                plural(warnings)
            );
            Ok(true)
        }
    };
    if io_failed || written.is_err() {
        Exit::Usage
    } else if errors > 0 || (deny_warnings && warnings > 0) {
        Exit::Findings
    } else {
        Exit::Clean
    }
}

pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn cmd_explain(code: &str) -> Exit {
    let text = if code.eq_ignore_ascii_case("all") {
        codes::ALL
            .iter()
            .map(|c| {
                format!(
                    "{}  {:<8} {:<32} {}\n",
                    c.code,
                    format!("{:?}", c.severity).to_lowercase(),
                    c.name,
                    c.summary
                )
            })
            .collect()
    } else {
        match codes::lookup(code).or_else(|| codes::ALL.iter().copied().find(|c| c.name == code)) {
            Some(c) => format!(
                "{} ({}, {}): {}\n\n{}\n",
                c.code,
                c.name,
                format!("{:?}", c.severity).to_lowercase(),
                c.summary,
                c.explanation
            ),
            None => {
                say(format_args!(
                    "error: unknown diagnostic code `{code}`\nhelp: `cadence explain all` lists every code\n"
                ));
                return Exit::Usage;
            }
        }
    };
    match emit(&text) {
        Ok(_) => Exit::Clean,
        Err(e) => e,
    }
}

/// Print the diagnostics of a failed load in the requested format (used by verbs that need a
/// clean project first); `Err(Exit::Usage)` when stdout cannot take them.
pub(crate) fn render_failure(
    runs: &[(SourceMap, Vec<Diagnostic>)],
    format: Format,
) -> Result<(), Exit> {
    let view: Vec<(&SourceMap, &[Diagnostic])> =
        runs.iter().map(|(m, d)| (m, d.as_slice())).collect();
    match diagnostics::render_document(format, &view) {
        Some(doc) => emit(&doc).map(|_| ()),
        None => {
            let choice = color_choice(Color::Auto);
            for (map, diags) in runs {
                say(render_human(map, diags, choice));
            }
            Ok(())
        }
    }
}
