//! `cadence fmt`: rewrite files in the canonical layout, or (`--check`) report each file that
//! would change as an E1001 finding, in any diagnostics format, with `--diff` for the change.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{color_choice, group_paths, no_sources, say, Color, Exit, Format, Group};
use crate::diagnostics::{self, codes, render_human, Diagnostic};
use crate::project;
use crate::source::{FileId, SourceMap, Span};

/// The options of `cadence fmt`, as parsed.
#[derive(clap::Args, Debug)]
pub struct FmtArgs {
    /// files or folders (default: the current folder)
    pub paths: Vec<PathBuf>,
    /// do not write; report each file that would change (exit 1)
    #[arg(long)]
    pub check: bool,
    /// with --check: print the change of each file as a unified diff on stdout
    #[arg(long, requires = "check")]
    pub diff: bool,
    /// output format for findings
    #[arg(long, value_enum, env = "CADENCE_FORMAT", default_value = "human")]
    pub format: Format,
    /// colour in human output
    #[arg(long, value_enum, default_value = "auto")]
    pub color: Color,
}

/// E1001 at the first line where the file and its formatted text differ.
pub fn not_formatted(map: &SourceMap, id: FileId, formatted: &str) -> Diagnostic {
    let (name, text) = map
        .get(id)
        .map(|f| (f.name.as_str(), f.text.as_str()))
        .unwrap_or_default();
    let mut start = 0;
    let mut line_no = 1;
    let mut new_lines = formatted.split_inclusive('\n');
    let mut span = Span::new(id, text.len(), text.len());
    for line in text.split_inclusive('\n') {
        if new_lines.next() != Some(line) {
            let body = line.trim_end_matches(['\n', '\r']);
            span = Span::new(id, start, start + body.len());
            break;
        }
        start += line.len();
        line_no += 1;
    }
    Diagnostic::new(
        &codes::E1001,
        span,
        format!("`{name}` is not in the canonical layout"),
    )
    .with_label(format!("first difference on line {line_no}"))
    .with_help(format!(
        "run `cadence fmt {name}`, or see the change with `cadence fmt --check --diff {name}`"
    ))
}

/// A unified diff from a file to its formatted text (`a/` and `b/` as git writes them).
pub fn unified_diff(name: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}

pub fn run(a: FmtArgs) -> Exit {
    if a.diff && a.format != Format::Human {
        say("error: --diff prints the change as text; use it with `--format human`\n");
        return Exit::Usage;
    }
    let machine = a.format != Format::Human;
    // a folder without sources is a usage problem, as for `check`
    let mut nothing_to_format = false;
    let mut files = Vec::new();
    let mut io_errors = Vec::new();
    let mut map = SourceMap::new();
    let mut diags = Vec::new();
    for g in group_paths(&a.paths) {
        match g {
            Group::Project(_, f) => files.extend(f),
            Group::Unreadable(p, e) => {
                io_errors.push(format!("cannot read `{}`: {e}", p.display()))
            }
            Group::Empty(p) => {
                nothing_to_format = true;
                diags.push(no_sources(&mut map, &p))
            }
        }
    }
    let read: Vec<_> = files
        .iter()
        .map(|path| project::read_source(path, &mut map))
        .collect();
    // files format in parallel; what a run prints and writes follows the files' order
    let formatted: Vec<Option<Result<String, Vec<Diagnostic>>>> = {
        use rayon::prelude::*;
        let map = &map;
        read.par_iter()
            .map(|r| {
                let id = *r.as_ref().ok()?;
                let text = map.get(id).map(|f| f.text.as_str()).unwrap_or_default();
                Some(crate::fmt::format_source(id, text))
            })
            .collect()
    };
    let mut unformatted = Vec::new();
    for ((path, r), out) in files.iter().zip(read).zip(formatted) {
        let id = match r {
            Ok(id) => id,
            Err(project::ReadError::Io(m)) => {
                io_errors.push(m);
                continue;
            }
            Err(project::ReadError::Finding(d)) => {
                diags.push(d);
                continue;
            }
        };
        let text = map.get(id).map(|f| f.text.as_str()).unwrap_or_default();
        match out {
            Some(Ok(out)) if out == text => {}
            Some(Ok(out)) => {
                // a closed or full stdout must not abort the run half-way
                if a.check {
                    if a.diff {
                        let name = path.display().to_string();
                        let _ = write!(
                            std::io::stdout().lock(),
                            "{}",
                            unified_diff(&name, text, &out)
                        );
                    } else if !machine {
                        let _ = writeln!(
                            std::io::stdout().lock(),
                            "would reformat {}",
                            path.display()
                        );
                    }
                    unformatted.push(not_formatted(&map, id, &out));
                } else if let Err(e) = write_formatted(path, &out) {
                    io_errors.push(e);
                } else if machine {
                    say(format_args!("formatted {}\n", path.display()));
                } else {
                    let _ = writeln!(std::io::stdout().lock(), "formatted {}", path.display());
                }
            }
            Some(Err(d)) => diags.extend(d),
            None => {}
        }
    }
    let mut exit = Exit::Clean;
    if !diags.is_empty() || !unformatted.is_empty() {
        exit = Exit::Findings;
    }
    diagnostics::sort(&mut diags);
    if machine {
        // in a machine format the files that would change are findings like the others
        diags.extend(unformatted);
        diagnostics::sort(&mut diags);
        if let Some(doc) = diagnostics::render_document(a.format, &[(&map, &diags)]) {
            if super::emit(&doc).is_err() {
                exit = Exit::Usage;
            }
        }
    } else if !diags.is_empty() {
        say(render_human(&map, &diags, color_choice(a.color)));
    }
    for e in &io_errors {
        say(format_args!("error: {e}\n"));
    }
    if !io_errors.is_empty() || nothing_to_format {
        exit = Exit::Usage;
    }
    exit
}

/// Replace a source with its formatted text, atomically; a symlink is never written through
/// (the file it points at may lie outside the project).
fn write_formatted(path: &Path, text: &str) -> Result<(), String> {
    let is_link = std::fs::symlink_metadata(path)
        .map(|m| m.file_type().is_symlink())
        .unwrap_or(false);
    if is_link {
        let target = std::fs::canonicalize(path)
            .map(|t| format!(" (format `{}` itself)", t.display()))
            .unwrap_or_default();
        return Err(format!(
            "`{}` is a symbolic link; fmt does not write through links{target}",
            path.display()
        ));
    }
    crate::fsio::replace(path, text.as_bytes()).map_err(|e| {
        format!(
            "cannot write `{}`: {e}; the file is unchanged",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    #[test]
    fn the_finding_points_at_the_first_line_that_differs() {
        let mut map = SourceMap::new();
        let id = map.add(SourceFile::new("a.cadence", "one\ntwo  \nthree\n"));
        let d = not_formatted(&map, id, "one\ntwo\nthree\n");
        assert_eq!((d.span.start, d.span.end), (4, 9));
        assert_eq!(d.label.as_deref(), Some("first difference on line 2"));
        // the formatted text only adds a line at the end: the span is the end of the file
        let id = map.add(SourceFile::new("b.cadence", "x\n"));
        let d = not_formatted(&map, id, "x\ny\n");
        assert_eq!((d.span.start, d.span.end), (2, 2));
    }
}
