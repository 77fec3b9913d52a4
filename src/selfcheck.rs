//! Self-checks: the invariants the fuzz targets (`fuzz/`) and the property test
//! (`tests/selfcheck.rs`) assert on any input, in one place. Each takes the bytes of one file, as
//! if read from disk, and returns `Err(Violation)` when the tool breaks a promise; a panic
//! anywhere below is a finding too (the callers let it through). See docs/fuzzing.md.
//!
//! - [`parse_check_fmt`]: the bytes load through the loader's guards (size, UTF-8), parse and
//!   check; every diagnostic renders as human text, GitHub annotations and JSON that parses back,
//!   with every span inside its file and on character boundaries. A file that parses formats;
//!   the output parses to the same tree (up to [`crate::fmt::canonical_step_attrs`]), keeps the
//!   comments, is formatted already, and checks to the same findings and model.
//! - [`build_simulate`]: a file that checks clean builds for every target, with and without
//!   `--allow-lossy`, or says why in diagnostics; every output is JSON equal to its body, the
//!   neutral document loads back to the model; each `simulation` runs on a few leads, its JSON
//!   report parses, and the same seed gives the same bytes.

use std::fmt;
use std::sync::OnceLock;

use crate::check::{self, Checked};
use crate::cli::simulate::{self as sim_cli, Plan, RunFlags, SimulateArgs};
use crate::cli::ReportFormat;
use crate::diagnostics::{
    render_github, render_human, render_json, render_sarif, ColorChoice, Diagnostic,
    JSON_FORMAT_VERSION,
};
use crate::fmt::{canonical_step_attrs, format_source, scan_comments};
use crate::project::Project;
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::ast::{CadenceItem, File, Item};
use crate::targets::{self, Options, Target};

/// The name the input is loaded under.
pub const NAME: &str = "fuzz.cadence";
/// Leads per simulation in [`build_simulate`]: enough to reach every part of the engine.
pub const LEADS: u64 = 200;

/// A broken promise, in words (with the input's relevant output where it helps).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation(pub String);

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn fail<T>(msg: impl Into<String>) -> Result<T, Violation> {
    Err(Violation(msg.into()))
}

/// What [`parse_check_fmt`] saw, for the property test's statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Seen {
    /// the file parsed without errors (so the formatter's promises were checked)
    pub parsed: bool,
    /// the file checked without errors (so [`build_simulate`] goes on to build it)
    pub clean: bool,
}

/// Load, parse, check, render and format one file (see the module docs).
pub fn parse_check_fmt(bytes: &[u8]) -> Result<Seen, Violation> {
    let project = Project::from_bytes(NAME, bytes.to_vec());
    let checked = check::check(&project);
    let mut diags = checked.diagnostics.clone();
    crate::diagnostics::sort(&mut diags);
    renders(&project.sources, &diags)?;
    // a file the loader refused has an empty stand-in, which does not format either
    let Some(text) = project.sources.get(FileId(0)).map(|f| f.text.as_str()) else {
        return fail("the loader kept no file, not even a stand-in");
    };
    let parsed = project.files.len() == 1 && !project.diagnostics.iter().any(|d| d.is_error());
    if parsed {
        formats(text, &project, &checked)?;
    } else if let Ok(out) = format_source(FileId(0), text) {
        return fail(format!(
            "the file has syntax errors {:?}, yet the formatter printed:\n{out}",
            codes(&project.diagnostics)
        ));
    }
    Ok(Seen {
        parsed,
        clean: !diags.iter().any(Diagnostic::is_error),
    })
}

/// Human rendering (miette) costs the most per diagnostic and is the same renderer for every
/// phase: a build with hundreds of lossy warnings renders a sample of them.
const HUMAN_SAMPLE: usize = 64;

/// Every renderer accepts the diagnostics (the human one, with and without colour, the first
/// [`HUMAN_SAMPLE`]), the JSON parses back whole, every span is in place.
fn renders(map: &SourceMap, diags: &[Diagnostic]) -> Result<(), Violation> {
    for d in diags {
        let spans = std::iter::once(&d.span).chain(d.related.iter().map(|(s, _)| s));
        for s in spans {
            span_in_place(map, *s, d)?;
        }
    }
    let sample = &diags[..diags.len().min(HUMAN_SAMPLE)];
    let _ = render_human(map, sample, ColorChoice::Never);
    let _ = render_human(map, sample, ColorChoice::Always);
    let github = render_github(map, diags);
    if github.lines().count() != diags.len() {
        return fail(format!(
            "{} diagnostics gave {} GitHub annotation lines:\n{github}",
            diags.len(),
            github.lines().count()
        ));
    }
    let json = render_json(&[(map, diags)]);
    let v: serde_json::Value = match serde_json::from_str(&json) {
        Ok(v) => v,
        Err(e) => return fail(format!("the JSON diagnostics do not parse ({e}):\n{json}")),
    };
    if v["format_version"] != JSON_FORMAT_VERSION {
        return fail(format!("wrong format_version in {json}"));
    }
    let listed = v["diagnostics"].as_array().map(Vec::len);
    if listed != Some(diags.len()) {
        return fail(format!(
            "{} diagnostics, JSON lists {listed:?}",
            diags.len()
        ));
    }
    for d in v["diagnostics"].as_array().into_iter().flatten() {
        if d["span"].is_null() {
            return fail(format!("a JSON diagnostic without a place: {d}"));
        }
    }
    // SARIF: one result per diagnostic, each pointing at the rule of its own code
    let sarif = render_sarif(&[(map, diags)], None);
    let v: serde_json::Value = match serde_json::from_str(&sarif) {
        Ok(v) => v,
        Err(e) => return fail(format!("the SARIF log does not parse ({e}):\n{sarif}")),
    };
    let run = &v["runs"][0];
    let results = run["results"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    if results.len() != diags.len() {
        return fail(format!(
            "{} diagnostics, SARIF lists {}",
            diags.len(),
            results.len()
        ));
    }
    for r in results {
        let rule =
            &run["tool"]["driver"]["rules"][r["ruleIndex"].as_u64().unwrap_or(u64::MAX) as usize];
        if rule["id"] != r["ruleId"] {
            return fail(format!(
                "a SARIF result's ruleIndex names another rule: {r}"
            ));
        }
    }
    Ok(())
}

fn span_in_place(map: &SourceMap, s: Span, d: &Diagnostic) -> Result<(), Violation> {
    let Some(f) = map.get(s.file) else {
        return fail(format!("{} points at no file: {s:?}", d.code.code));
    };
    let (a, b) = (s.start as usize, s.end as usize);
    if a > b || b > f.text.len() || !f.text.is_char_boundary(a) || !f.text.is_char_boundary(b) {
        return fail(format!(
            "{} `{}`: span {a}..{b} is not a character range of the {}-byte file",
            d.code.code,
            d.message,
            f.text.len()
        ));
    }
    Ok(())
}

/// The tree with each step's attributes in the order the formatter prints them.
fn canonical(mut file: File) -> File {
    for item in &mut file.items {
        if let Item::Cadence(c) = item {
            for it in &mut c.items {
                match &mut it.node {
                    CadenceItem::Step(s) => s.attrs = canonical_step_attrs(&s.attrs),
                    CadenceItem::Track(t) => {
                        for s in &mut t.steps {
                            s.attrs = canonical_step_attrs(&s.attrs);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    file
}

/// Findings by meaning (code and message), without order: formatting moves them.
fn findings(diags: &[Diagnostic]) -> Vec<(&'static str, String)> {
    let mut v: Vec<_> = diags
        .iter()
        .map(|d| (d.code.code, d.message.clone()))
        .collect();
    v.sort();
    v
}

/// The formatter's promises for a text that parses (`project` and `checked` are its load and
/// check).
fn formats(text: &str, project: &Project, checked: &Checked) -> Result<(), Violation> {
    let once = match format_source(FileId(0), text) {
        Ok(s) => s,
        Err(d) => return fail(format!("parses clean but does not format: {:?}", codes(&d))),
    };
    let again = Project::from_bytes(NAME, once.clone().into_bytes());
    if again.files.len() != 1 || again.diagnostics.iter().any(Diagnostic::is_error) {
        return fail(format!(
            "the formatted text does not parse: {:?}\n--- formatted ---\n{once}",
            codes(&again.diagnostics)
        ));
    }
    match format_source(FileId(0), &once) {
        Ok(twice) if twice == once => {}
        Ok(twice) => {
            return fail(format!(
                "formatting is not idempotent\n--- once ---\n{once}\n--- twice ---\n{twice}"
            ))
        }
        Err(d) => {
            return fail(format!(
                "the formatted text does not format: {:?}",
                codes(&d)
            ))
        }
    }
    let before = project.files.first().map(|(_, f)| canonical(f.clone()));
    let after = again.files.first().map(|(_, f)| f.clone());
    if before != after {
        return fail(format!(
            "formatting changed the tree\n--- formatted ---\n{once}"
        ));
    }
    let comments = |t: &str| -> Vec<String> {
        scan_comments(t)
            .into_iter()
            .map(|c| c.text.trim_end().to_string())
            .collect()
    };
    if comments(text) != comments(&once) {
        return fail(format!(
            "formatting lost, added or reordered comments\n--- formatted ---\n{once}"
        ));
    }
    if !once.ends_with('\n') || once.ends_with("\n\n") || once.contains("\n\n\n") {
        return fail(format!(
            "blank lines out of place\n--- formatted ---\n{once:?}"
        ));
    }
    if let Some(l) = once.lines().find(|l| l.trim_end() != *l) {
        return fail(format!("trailing blanks on `{l}`"));
    }
    let rechecked = check::check(&again);
    if findings(&rechecked.diagnostics) != findings(&checked.diagnostics) {
        return fail(format!(
            "the formatted text checks differently: {:?} before, {:?} after\n--- formatted ---\n{once}",
            findings(&checked.diagnostics),
            findings(&rechecked.diagnostics)
        ));
    }
    if rechecked.model != checked.model {
        return fail(format!(
            "the formatted text checks to another model\n--- formatted ---\n{once}"
        ));
    }
    Ok(())
}

fn codes(diags: &[Diagnostic]) -> Vec<&'static str> {
    diags.iter().map(|d| d.code.code).collect()
}

/// Build for every target and simulate every `simulation` of one file that checks clean (see
/// the module docs); a file with errors has nothing to build and passes. Returns the number of
/// simulations run.
pub fn build_simulate(bytes: &[u8]) -> Result<usize, Violation> {
    let project = Project::from_bytes(NAME, bytes.to_vec());
    let checked = check::check(&project);
    if checked.diagnostics.iter().any(Diagnostic::is_error) {
        return Ok(0);
    }
    let model = &checked.model;
    for target in Target::ALL {
        let mut errors = [0usize; 2];
        for (i, lossy) in [false, true].into_iter().enumerate() {
            let mut opts = Options::new(target);
            opts.allow_lossy = lossy;
            let built = targets::build(&project, model, &opts);
            let mut diags = built.diagnostics.clone();
            crate::diagnostics::sort(&mut diags);
            renders(&project.sources, &diags)?;
            errors[i] = diags.iter().filter(|d| d.is_error()).count();
            let what = format!("{} build (lossy: {lossy})", target.name());
            outputs_sound(&what, &built, model)?;
        }
        if errors[1] > errors[0] {
            return fail(format!(
                "{}: --allow-lossy gave more errors ({}) than a strict build ({})",
                target.name(),
                errors[1],
                errors[0]
            ));
        }
    }
    simulations(model)
}

fn outputs_sound(
    what: &str,
    built: &targets::Built,
    model: &crate::model::Model,
) -> Result<(), Violation> {
    if !built.has_errors() && built.outputs.is_empty() && what.starts_with("json") {
        return fail("a clean neutral build gave no document");
    }
    for o in &built.outputs {
        match serde_json::from_str::<serde_json::Value>(&o.text) {
            Ok(v) if v == o.body => {}
            Ok(_) => return fail(format!("{what}: `{}` differs from its body", o.file_name)),
            Err(e) => return fail(format!("{what}: `{}` is not JSON ({e})", o.file_name)),
        }
        if o.kind == targets::OutputKind::Project {
            match targets::neutral::Document::load(&o.text) {
                Ok(back) if back == targets::order::canonical(model) => {}
                Ok(_) => {
                    return fail(format!(
                        "{what}: the neutral document loads to another model"
                    ))
                }
                Err(e) => return fail(format!("{what}: the neutral document does not load: {e}")),
            }
        }
    }
    Ok(())
}

/// One worker: the report must not depend on it, and a fuzzer runs one input at a time.
fn pool() -> Result<&'static rayon::ThreadPool, Violation> {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| rayon::ThreadPoolBuilder::new().num_threads(1).build().ok())
        .as_ref()
        .ok_or_else(|| Violation("cannot start a worker thread".into()))
}

fn simulations(model: &crate::model::Model) -> Result<usize, Violation> {
    let args = SimulateArgs {
        paths: Vec::new(),
        simulation: None,
        cadence: None,
        leads: None,
        precision: None,
        exact: false,
        run: RunFlags {
            count: Some(LEADS),
            seed: None,
            horizon: None,
            threads: Some(1),
            format: ReportFormat::Json,
            report: None,
        },
    };
    if model.simulations.is_empty() {
        return Ok(0);
    }
    let plans = match sim_cli::plans(model, &args) {
        Ok(p) => p,
        Err(e) => return fail(format!("a clean file's simulations cannot be planned: {e}")),
    };
    let pool = pool()?;
    let run = |plan: &Plan| pool.install(|| sim_cli::run_plan(model, plan, |_, _| {}));
    for plan in &plans {
        let first = match run(plan) {
            Ok(r) => r,
            Err(e) => return fail(format!("a clean file's simulation fails: {e}")),
        };
        let text = sim_cli::json_document(vec![first.json]);
        if let Err(e) = serde_json::from_str::<serde_json::Value>(&text) {
            return fail(format!(
                "the report of `{}` is not JSON ({e}):\n{text}",
                plan.name
            ));
        }
        let second = run(plan).map(|r| sim_cli::json_document(vec![r.json]));
        if second.as_ref() != Ok(&text) {
            return fail(format!("`{}` gave other bytes on the same seed", plan.name));
        }
    }
    Ok(plans.len())
}
