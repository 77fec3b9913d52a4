//! `cadence build` and `cadence schema`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::ValueEnum;

use super::{color_choice, load_and_check, plural, Color, Exit, Format};
use crate::diagnostics::{self, codes, render_human, Diagnostic};
use crate::fsio;
use crate::source::{SourceFile, SourceMap, Span};
use crate::syntax::MAX_FILE_BYTES;
use crate::targets::{self, Ids, Options, Target};

/// The targets of `cadence build`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum BuildTarget {
    /// the whole checked project as neutral JSON (`cadence schema` prints its JSON Schema)
    Json,
    /// Zoho CRM v8: cadences (and with `--pipelines` the Blueprint plan)
    Zoho,
    /// Salesloft cadence imports
    Salesloft,
    /// HubSpot sequences (and with `--pipelines` deal pipelines)
    Hubspot,
}

impl From<BuildTarget> for Target {
    fn from(t: BuildTarget) -> Target {
        match t {
            BuildTarget::Json => Target::Json,
            BuildTarget::Zoho => Target::Zoho,
            BuildTarget::Salesloft => Target::Salesloft,
            BuildTarget::Hubspot => Target::Hubspot,
        }
    }
}

/// The options of `cadence build`, as parsed.
#[derive(Debug, Clone)]
pub struct BuildArgs {
    pub paths: Vec<PathBuf>,
    pub target: BuildTarget,
    pub out: Option<PathBuf>,
    pub allow_lossy: bool,
    pub ids: Option<PathBuf>,
    pub strict: bool,
    pub fail_on_setup: bool,
    pub pipelines: bool,
    pub format: Format,
    pub color: Color,
}

/// Print findings that stop a build before it starts (the ids file), in the build's format.
fn show(format: Format, color: Color, map: &SourceMap, diags: &[Diagnostic]) {
    match diagnostics::render_document(format, &[(map, diags)]) {
        Some(doc) => {
            let _ = super::emit(&doc);
        }
        None => super::say(render_human(map, diags, color_choice(color))),
    }
}

/// Read and parse the ids file. Like a source: only a regular file within the size limit;
/// bytes that are not UTF-8 are E0003 and a parse error is E0906 (findings, exit 1).
fn load_ids(path: &Path, format: Format, color: Color) -> Result<(Ids, SourceFile), Exit> {
    let bytes = match fsio::read_regular(path, MAX_FILE_BYTES as u64) {
        Ok(b) => b,
        Err(fsio::ReadFail::Io(m)) => {
            super::say(format_args!("error: the ids file: {m}\n"));
            return Err(Exit::Usage);
        }
        Err(fsio::ReadFail::TooLarge(_)) => {
            super::say(format_args!(
                "error: the ids file `{}` is larger than {MAX_FILE_BYTES} bytes\n",
                path.display()
            ));
            return Err(Exit::Usage);
        }
    };
    let mut map = SourceMap::new();
    let name = path.display().to_string();
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let id = map.add(SourceFile::new(name.clone(), String::new()));
            let d = crate::project::not_utf8(id, &name, e.utf8_error().valid_up_to());
            show(format, color, &map, &[d]);
            return Err(Exit::Findings);
        }
    };
    match Ids::parse(&text) {
        Ok(ids) => Ok((ids, SourceFile::new(name, text))),
        Err(e) => {
            let range = e.span.unwrap_or(0..0);
            let id = map.add(SourceFile::new(name, text));
            let d = Diagnostic::new(
                &codes::E0906,
                Span::new(id, range.start, range.end),
                format!("invalid ids file: {}", e.message),
            )
            .with_help("see `cadence explain E0906` and docs/targets.md for the format");
            show(format, color, &map, &[d]);
            Err(Exit::Findings)
        }
    }
}

pub fn cmd_build(args: BuildArgs) -> Exit {
    let target: Target = args.target.into();
    if args.format != Format::Human && args.out.is_none() {
        super::say(format_args!(
            "error: `--format {}` prints the findings on stdout; write the build to a folder with `-o DIR`\n",
            format!("{:?}", args.format).to_lowercase()
        ));
        return Exit::Usage;
    }
    let mut opts = Options::new(target);
    opts.allow_lossy = args.allow_lossy;
    opts.strict = args.strict;
    opts.fail_on_setup = args.fail_on_setup;
    opts.pipelines = args.pipelines;
    // the ids file joins each project's source map, so its findings have a place
    let mut ids_source = None;
    if let Some(p) = &args.ids {
        match load_ids(p, args.format, args.color) {
            Ok((ids, file)) => {
                opts.ids = ids;
                ids_source = Some(file);
            }
            Err(exit) => return exit,
        }
    }
    let choice = color_choice(args.color);
    let mut err = std::io::stderr().lock();
    let (mut errors, mut warnings, mut io_failed) = (0usize, 0usize, false);
    let mut losses = 0usize;
    // file name → (output, project index) over every project
    let mut outputs: BTreeMap<String, targets::Output> = BTreeMap::new();
    let mut clash = None;
    // what an admin configures outside the bodies, over every project
    let mut setup: Vec<targets::SetupItem> = Vec::new();
    // the cadences whose `target` line leaves this target out, over every project
    let mut not_meant: Vec<targets::NotMeant> = Vec::new();
    let (runs, failed) = load_and_check(&args.paths);
    io_failed |= failed;
    // the findings of every project, for a machine format's one document
    let mut found: Vec<(SourceMap, Vec<Diagnostic>)> = Vec::new();
    for run in runs {
        let (mut map, mut diags) = (run.map, run.diagnostics);
        let clean = !diags.iter().any(Diagnostic::is_error);
        let built = match &run.loaded {
            Some((project, model)) if clean => {
                let mut o = opts.clone();
                o.ids.file = ids_source.clone().map(|f| map.add(f));
                Some(targets::build(project, model, &o))
            }
            _ => None,
        };
        if let Some(b) = &built {
            diags.extend(b.diagnostics.iter().cloned());
            diagnostics::sort(&mut diags);
        }
        errors += diags.iter().filter(|d| d.is_error()).count();
        // behavioural losses hold back only their own body (below); any other error, all
        losses += diags.iter().filter(|d| d.code.code == "E0901").count();
        warnings += diags.iter().filter(|d| !d.is_error()).count();
        if args.format == Format::Human {
            let _ = write!(err, "{}", render_human(&map, &diags, choice));
        }
        if let Some(b) = &built {
            setup.extend(b.setup.iter().cloned());
            not_meant.extend(b.not_meant.iter().cloned());
        }
        for o in built.map(|b| b.outputs).unwrap_or_default() {
            if outputs.contains_key(&o.file_name) {
                clash = Some(o.file_name.clone());
            }
            outputs.insert(o.file_name.clone(), o);
        }
        found.push((map, diags));
    }
    let view: Vec<(&SourceMap, &[Diagnostic])> =
        found.iter().map(|(m, d)| (m, d.as_slice())).collect();
    if let Some(doc) = diagnostics::render_document(args.format, &view) {
        if super::emit(&doc).is_err() {
            return Exit::Usage;
        }
    }
    if let Some(f) = clash {
        let _ = writeln!(
            err,
            "error: two projects both build `{f}`; build them one at a time"
        );
        return Exit::Usage;
    }
    // a build with errors other than behavioural losses writes nothing and leaves `-o DIR` as
    // it was; with only losses, `-o DIR` gets exactly the exact bodies (and the setup report)
    let partial = errors > 0 && errors == losses && !io_failed && args.out.is_some();
    if (errors > 0 || io_failed) && !partial {
        let kept = match &args.out {
            Some(dir) => format!("; `{}` is unchanged", dir.join(target.name()).display()),
            None => String::new(),
        };
        let _ = writeln!(
            err,
            "nothing written for {}{kept}: {errors} error{}, {warnings} warning{}",
            target.title(),
            plural(errors),
            plural(warnings)
        );
        return if io_failed {
            Exit::Usage
        } else {
            Exit::Findings
        };
    }
    let written = match &args.out {
        Some(dir) => {
            let dir = dir.join(target.name());
            let mut files: Vec<(&str, &[u8])> = outputs
                .values()
                .map(|o| (o.file_name.as_str(), o.text.as_bytes()))
                .collect();
            // the setup report goes next to the CRM bodies (the neutral document has none)
            setup.sort();
            setup.dedup();
            not_meant.sort();
            let report = (target != Target::Json).then(|| {
                (
                    targets::setup::markdown(target, &setup, &not_meant),
                    targets::setup::json(target, &setup, &not_meant),
                )
            });
            if let Some((md, json)) = &report {
                files.push(("SETUP.md", md.as_bytes()));
                files.push(("setup.json", json.as_bytes()));
            }
            if let Err(fsio::SwapError(e)) = fsio::swap_dir(&dir, &files) {
                let _ = writeln!(err, "error: {e}; nothing was changed");
                return Exit::Usage;
            }
            let n = files.len();
            let items = match report {
                Some(_) => format!(
                    " (SETUP.md: {} setup item{})",
                    setup.len(),
                    plural(setup.len())
                ),
                None => String::new(),
            };
            format!("wrote {n} file{} to {}{items}", plural(n), dir.display())
        }
        None if outputs.len() <= 1 => {
            if let Some(o) = outputs.values().next() {
                if let Err(e) = super::emit(&o.text) {
                    return e;
                }
            }
            format!("built {} file{}", outputs.len(), plural(outputs.len()))
        }
        None => {
            let _ = writeln!(
                err,
                "error: the build has {} outputs ({}); write them to a folder with `-o DIR`",
                outputs.len(),
                outputs.keys().cloned().collect::<Vec<_>>().join(", ")
            );
            return Exit::Usage;
        }
    };
    let skipped = match not_meant.len() {
        0 => String::new(),
        n => format!(
            "; not built: {n} cadence{} whose `target` line leaves it out",
            plural(n)
        ),
    };
    let _ = writeln!(
        err,
        "{written} for {}: {errors} error{}, {warnings} warning{}{skipped}",
        target.title(),
        plural(errors),
        plural(warnings)
    );
    if partial {
        let _ = writeln!(
            err,
            "the bodies with behavioural losses (E0901) are not written; `--allow-lossy` writes them with warnings"
        );
        Exit::Findings
    } else {
        Exit::Clean
    }
}

pub fn cmd_schema() -> Exit {
    match super::emit(&targets::neutral::schema_json()) {
        Ok(_) => Exit::Clean,
        Err(e) => e,
    }
}
