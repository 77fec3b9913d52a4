//! `cadence diff [PATH] --against REF`: what changed since a git revision, in words, with the
//! risky classes CI can fail on (`--fail-on`).

use std::path::{Path, PathBuf};

use serde_json::json;

use super::simulate::load_model;
use super::{emit, render_failure, say, Exit, Format};
use crate::check;
use crate::diagnostics::{self, Diagnostic};
use crate::diff::{self, git, Change, Risk};
use crate::model::Model;
use crate::project::Project;
use crate::source::SourceMap;
use crate::targets::ids::Ids;

#[derive(clap::Args, Debug)]
pub struct DiffArgs {
    /// the project folder or file (default: the current folder)
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// the git revision to compare with (a branch, tag, commit, `HEAD~1`)
    #[arg(long, value_name = "REF")]
    pub against: String,
    /// exit 1 when a change of these classes is found (comma-separated, or `all`)
    #[arg(long, value_name = "CLASS,...", value_delimiter = ',')]
    pub fail_on: Vec<String>,
    /// the ids file, to tell which removed steps a CRM record still points at
    #[arg(long, value_name = "FILE")]
    pub ids: Option<PathBuf>,
    /// output format
    #[arg(long, value_enum, default_value = "human")]
    pub format: DiffFormat,
}

/// How `diff` prints the changes.
#[derive(Debug, Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum DiffFormat {
    /// grouped by what they are about, risky ones marked
    Human,
    /// one JSON document (docs/diff.md)
    Json,
}

impl DiffFormat {
    /// The format of the diagnostics when a version does not check.
    fn diagnostics(self) -> Format {
        match self {
            DiffFormat::Human => Format::Human,
            DiffFormat::Json => Format::Json,
        }
    }
}

/// Errors that are findings of the timing analyses over a complete model (`max_gap`, `respond
/// within`), not gaps in the model itself.
const TIMING_PROOFS: [&str; 5] = ["E0412", "E0413", "E0417", "E0418", "E0419"];

/// The checked model of `path` at revision `rev` (read with git, no checkout). Errors in that
/// version are printed and are a usage failure: the revision is what the user compares with,
/// not what they are changing.
pub fn model_at(path: &Path, rev: &str, format: Format) -> Result<Model, Exit> {
    let files = git::files_at(path, rev).map_err(|e| {
        say(format_args!("error: {e}\n"));
        Exit::Usage
    })?;
    if files.is_empty() {
        say(format_args!(
            "note: no `.cadence` files under `{}` at `{rev}`: everything is new\n",
            path.display()
        ));
        return Ok(Model::default());
    }
    let project = Project::from_blobs(files);
    let checked = check::check(&project);
    let mut diags: Vec<Diagnostic> = checked.diagnostics;
    // a timing proof that fails at the revision (often: a rule the checker learned since) leaves
    // its model whole, so the revision is still compared
    let proofs: Vec<&str> = diags
        .iter()
        .filter(|d| d.is_error() && TIMING_PROOFS.contains(&d.code.code))
        .map(|d| d.code.code)
        .collect();
    if !proofs.is_empty() {
        say(format_args!(
            "note: the project at `{rev}` fails {} timing proof(s) of today's checker ({}); compared anyway\n",
            proofs.len(),
            {
                let mut p = proofs.clone();
                p.sort_unstable();
                p.dedup();
                p.join(", ")
            }
        ));
    }
    diags.retain(|d| !TIMING_PROOFS.contains(&d.code.code));
    if diags.iter().any(Diagnostic::is_error) {
        diagnostics::sort(&mut diags);
        let map: SourceMap = project.sources.clone();
        render_failure(&[(map, diags)], format)?;
        say(format_args!(
            "error: the project at `{rev}` has errors, so it cannot be compared\n"
        ));
        return Err(Exit::Usage);
    }
    Ok(checked.model)
}

fn fail_on(names: &[String]) -> Result<Vec<Risk>, Exit> {
    let mut out = Vec::new();
    for n in names.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        if n == "all" {
            out.extend(Risk::ALL);
            continue;
        }
        match Risk::from_name(n) {
            Some(r) => out.push(r),
            None => {
                let all: Vec<&str> = Risk::ALL.iter().map(|r| r.name()).collect();
                let hint = crate::check::suggest(n, &all)
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                say(format_args!(
                    "error: unknown change class `{n}`{hint}; the classes are {}, or `all`\n",
                    all.join(", ")
                ));
                return Err(Exit::Usage);
            }
        }
    }
    Ok(out)
}

fn load_ids(path: &Path) -> Result<Ids, Exit> {
    let bytes =
        crate::fsio::read_regular(path, crate::syntax::MAX_FILE_BYTES as u64).map_err(|e| {
            let m = match e {
                crate::fsio::ReadFail::Io(m) => m,
                crate::fsio::ReadFail::TooLarge(_) => format!("`{}` is too large", path.display()),
            };
            say(format_args!("error: the ids file: {m}\n"));
            Exit::Usage
        })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        say(format_args!(
            "error: the ids file `{}` is not UTF-8\n",
            path.display()
        ));
        Exit::Usage
    })?;
    Ids::parse(&text).map_err(|e| {
        say(format_args!(
            "error: the ids file `{}`: {}\n",
            path.display(),
            e.message
        ));
        Exit::Usage
    })
}

pub fn run(a: DiffArgs) -> Exit {
    run_checked(a).unwrap_or_else(|e| e)
}

fn run_checked(a: DiffArgs) -> Result<Exit, Exit> {
    let fail = fail_on(&a.fail_on)?;
    let ids = a.ids.as_deref().map(load_ids).transpose()?;
    let new = load_model(std::slice::from_ref(&a.path), a.format.diagnostics())?;
    let old = model_at(&a.path, &a.against, a.format.diagnostics())?;
    let changes = diff::diff(&old, &new, ids.as_ref());
    let failing: Vec<&Change> = changes
        .iter()
        .filter(|c| c.risk.is_some_and(|r| fail.contains(&r)))
        .collect();
    let text = match a.format {
        DiffFormat::Json => {
            let doc = json!({
                "against": a.against,
                "changes": changes,
                "risky": changes.iter().filter(|c| c.risk.is_some()).count(),
                "failing": failing.len(),
            });
            format!("{doc:#}\n")
        }
        DiffFormat::Human => human(&a.against, &changes),
    };
    emit(&text)?;
    Ok(if failing.is_empty() {
        Exit::Clean
    } else {
        say(format_args!(
            "error: {} change(s) of a class named by --fail-on\n",
            failing.len()
        ));
        Exit::Findings
    })
}

/// Changes grouped by what they are about, risky ones marked with their class.
fn human(rev: &str, changes: &[Change]) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    if changes.is_empty() {
        let _ = writeln!(s, "no changes since `{rev}`");
        return s;
    }
    let _ = writeln!(s, "changes since `{rev}`:");
    let mut last = "";
    for c in changes {
        if c.object != last {
            let _ = writeln!(s, "{}", c.object);
            last = &c.object;
        }
        match c.risk {
            Some(r) => {
                let _ = writeln!(s, "  ! {} [{}]", c.text, r.name());
            }
            None => {
                let _ = writeln!(s, "  - {}", c.text);
            }
        }
    }
    let risky = changes.iter().filter(|c| c.risk.is_some()).count();
    let _ = writeln!(s, "{} change(s), {risky} risky", changes.len());
    s
}
