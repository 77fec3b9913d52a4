//! Loading a project from paths: folders are walked for `.cadence` files, files are read as given.
//! Bad input (unreadable, too large, binary) becomes a diagnostic, never a panic.

use std::path::{Path, PathBuf};

use crate::diagnostics::{codes, Diagnostic};
use crate::source::{FileId, SourceFile, SourceMap, Span};
use crate::syntax::{self, ast, MAX_FILE_BYTES};

/// One project: the files that share a namespace.
#[derive(Debug, Default)]
pub struct Project {
    pub sources: SourceMap,
    /// Parsed files (files with syntax errors are absent).
    pub files: Vec<(FileId, ast::File)>,
    pub diagnostics: Vec<Diagnostic>,
    /// Problems reading paths (exit code 2), as messages.
    pub io_errors: Vec<String>,
}

/// Collect `.cadence` files under `dir`, sorted, skipping hidden folders and `target`.
/// Each folder is visited once, so symlink cycles (`loop -> .`) do not repeat files.
pub fn collect_dir(dir: &Path, out: &mut Vec<PathBuf>, io_errors: &mut Vec<String>) {
    let mut visited = std::collections::HashSet::new();
    walk(dir, out, io_errors, &mut visited);
}

fn walk(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    io_errors: &mut Vec<String>,
    visited: &mut std::collections::HashSet<PathBuf>,
) {
    let canonical = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    if !visited.insert(canonical) {
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            io_errors.push(format!("cannot read folder `{}`: {e}", dir.display()));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || name == "target" {
            continue;
        }
        if p.is_dir() {
            walk(&p, out, io_errors, visited);
        } else if p.extension().and_then(|e| e.to_str()) == Some("cadence") {
            out.push(p);
        }
    }
}

/// Read one file into the source map, or explain why it cannot be used.
pub fn read_source(path: &Path, sources: &mut SourceMap) -> Result<FileId, ReadError> {
    let name = path.display().to_string();
    let meta =
        std::fs::metadata(path).map_err(|e| ReadError::Io(format!("cannot read `{name}`: {e}")))?;
    if meta.is_dir() {
        return Err(ReadError::Io(format!("`{name}` is a folder")));
    }
    if meta.len() > MAX_FILE_BYTES as u64 {
        let id = sources.add(SourceFile::new(name, String::new()));
        return Err(ReadError::Finding(
            Diagnostic::new(
                &codes::E0002,
                Span::new(id, 0, 0),
                format!(
                    "file is too large ({} bytes, the limit is {} bytes)",
                    meta.len(),
                    MAX_FILE_BYTES
                ),
            )
            .with_help(
                "split the project into several files; a cadence file is usually a few kilobytes",
            ),
        ));
    }
    let bytes =
        std::fs::read(path).map_err(|e| ReadError::Io(format!("cannot read `{name}`: {e}")))?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(sources.add(SourceFile::new(name, text))),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let id = sources.add(SourceFile::new(name, String::new()));
            Err(ReadError::Finding(
                Diagnostic::new(
                    &codes::E0003,
                    Span::new(id, 0, 0),
                    format!("file is not UTF-8 text (invalid byte at offset {at})"),
                )
                .with_help("cadence files are UTF-8 text; check that this is the file you meant"),
            ))
        }
    }
}

pub enum ReadError {
    /// The path itself cannot be read: a usage/I/O error.
    Io(String),
    /// The file was read but cannot be a cadence file.
    Finding(Diagnostic),
}

impl Project {
    /// Load and parse the given files as one project (files parse in parallel).
    pub fn load(paths: &[PathBuf]) -> Project {
        let mut project = Project::default();
        let mut ids = Vec::new();
        for p in paths {
            match read_source(p, &mut project.sources) {
                Ok(id) => ids.push(id),
                Err(ReadError::Io(m)) => project.io_errors.push(m),
                Err(ReadError::Finding(d)) => project.diagnostics.push(d),
            }
        }
        use rayon::prelude::*;
        let sources = &project.sources;
        let parsed: Vec<(FileId, Option<ast::File>, Vec<Diagnostic>)> = ids
            .par_iter()
            .map(|id| {
                let text = sources.get(*id).map(|f| f.text.as_str()).unwrap_or("");
                let (file, diags) = syntax::parse_file(*id, text);
                (*id, file, diags)
            })
            .collect();
        for (id, file, diags) in parsed {
            project.diagnostics.extend(diags);
            if let Some(f) = file {
                project.files.push((id, f));
            }
        }
        project
    }

    /// Load from in-memory texts (tests, benchmarks).
    pub fn from_texts(texts: &[(&str, &str)]) -> Project {
        let mut project = Project::default();
        for (name, text) in texts {
            let id = project.sources.add(SourceFile::new(*name, *text));
            let (file, diags) = syntax::parse_file(id, text);
            project.diagnostics.extend(diags);
            if let Some(f) = file {
                project.files.push((id, f));
            }
        }
        project
    }
}
