//! Loading a project from paths: folders are walked for `.cadence` files, files are read as given.
//! Bad input (unreadable, too large, binary) becomes a diagnostic, never a panic.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::diagnostics::{codes, Diagnostic};
use crate::fsio::{self, ReadFail};
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
    /// Each loaded file's path relative to the project root, `/`-separated: what build outputs
    /// record, so that `A` and `./A` (or an absolute spelling) give the same bytes.
    pub relative: std::collections::BTreeMap<FileId, String>,
}

/// Collect `.cadence` files under `dir`, sorted, skipping hidden folders and `target`.
///
/// Symlinks (docs/security.md): a link whose target stays inside `dir` is followed; a link that
/// leads out of it, or points nowhere, is an error naming the link. Each folder is visited once
/// (so `loop -> .` does not repeat files) and a file reached both directly and through a link
/// is loaded once, by its direct path.
pub fn collect_dir(dir: &Path, out: &mut Vec<PathBuf>, io_errors: &mut Vec<String>) {
    let root = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let mut walker = Walker {
        root: &root,
        shown_root: dir,
        visited: HashSet::new(),
        found: Vec::new(),
        io_errors,
    };
    walker.walk(dir);
    let mut found = walker.found;
    // direct paths first, so that a linked duplicate is the one dropped
    found.sort_by(|a, b| (a.link, &a.path).cmp(&(b.link, &b.path)));
    let mut seen = HashSet::new();
    found.retain(|f| seen.insert(f.canonical.clone()));
    found.sort_by(|a, b| a.path.cmp(&b.path));
    out.extend(found.into_iter().map(|f| f.path));
}

struct Found {
    path: PathBuf,
    canonical: PathBuf,
    link: bool,
}

struct Walker<'a> {
    root: &'a Path,
    shown_root: &'a Path,
    visited: HashSet<PathBuf>,
    found: Vec<Found>,
    io_errors: &'a mut Vec<String>,
}

impl Walker<'_> {
    fn walk(&mut self, dir: &Path) {
        let canonical = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        if !self.visited.insert(canonical) {
            return;
        }
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                self.io_errors
                    .push(format!("cannot read folder `{}`: {e}", dir.display()));
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
            let is_source = p.extension().and_then(|e| e.to_str()) == Some("cadence");
            let link = std::fs::symlink_metadata(&p)
                .map(|m| m.file_type().is_symlink())
                .unwrap_or(false);
            let (canonical, meta) = match (std::fs::canonicalize(&p), std::fs::metadata(&p)) {
                (Ok(c), Ok(m)) => (c, m),
                _ if link => {
                    if is_source {
                        self.io_errors.push(format!(
                            "`{}` is a symbolic link that points nowhere",
                            p.display()
                        ));
                    }
                    continue;
                }
                // an unreadable file is reported when it is read
                _ => {
                    if is_source {
                        self.found.push(Found {
                            canonical: p.clone(),
                            path: p,
                            link,
                        });
                    }
                    continue;
                }
            };
            if link && !canonical.starts_with(self.root) {
                if is_source || meta.is_dir() {
                    self.io_errors.push(format!(
                        "`{}` is a symbolic link to `{}`, outside the project folder `{}`; links are followed only inside the project",
                        p.display(),
                        canonical.display(),
                        self.shown_root.display()
                    ));
                }
                continue;
            }
            if meta.is_dir() {
                self.walk(&p);
            } else if is_source {
                self.found.push(Found {
                    path: p,
                    canonical,
                    link,
                });
            }
        }
    }
}

/// Read one file into the source map, or explain why it cannot be used. Only regular files are
/// read, and at most [`MAX_FILE_BYTES`] of them (docs/security.md).
pub fn read_source(path: &Path, sources: &mut SourceMap) -> Result<FileId, ReadError> {
    let name = path.display().to_string();
    match fsio::read_regular(path, MAX_FILE_BYTES as u64) {
        Ok(bytes) => add_source(&name, bytes, sources),
        Err(ReadFail::Io(m)) => Err(ReadError::Io(m)),
        Err(ReadFail::TooLarge(size)) => {
            let id = sources.add(SourceFile::new(name.clone(), String::new()));
            Err(ReadError::Finding(too_large(id, &name, size)))
        }
    }
}

/// Add bytes read from `name` as a source: the guards every loader applies after reading (the
/// size limit, UTF-8). The fuzz targets enter here too (`selfcheck`).
pub fn add_source(
    name: &str,
    bytes: Vec<u8>,
    sources: &mut SourceMap,
) -> Result<FileId, ReadError> {
    if bytes.len() > MAX_FILE_BYTES {
        let id = sources.add(SourceFile::new(name, String::new()));
        return Err(ReadError::Finding(too_large(
            id,
            name,
            Some(bytes.len() as u64),
        )));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(sources.add(SourceFile::new(name, text))),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let id = sources.add(SourceFile::new(name, String::new()));
            Err(ReadError::Finding(not_utf8(id, name, at)))
        }
    }
}

/// E0002 for a file over the size limit (`size` when known).
fn too_large(id: FileId, name: &str, size: Option<u64>) -> Diagnostic {
    let size = match size {
        Some(n) => format!("{n} bytes"),
        None => format!("more than {MAX_FILE_BYTES} bytes"),
    };
    Diagnostic::new(
        &codes::E0002,
        Span::new(id, 0, 0),
        format!("`{name}` is too large ({size}, the limit is {MAX_FILE_BYTES} bytes)"),
    )
    .with_help("split the project into several files; a cadence file is usually a few kilobytes")
}

/// E0003 for a file whose bytes are not UTF-8 (sources and the ids file alike); the message
/// names the file, since there is no text to show a location in.
pub fn not_utf8(id: FileId, name: &str, at: usize) -> Diagnostic {
    Diagnostic::new(
        &codes::E0003,
        Span::new(id, 0, 0),
        format!("`{name}` is not UTF-8 text (invalid byte at offset {at})"),
    )
    .with_help("cadence files are UTF-8 text; check that this is the file you meant")
}

pub enum ReadError {
    /// The path itself cannot be read: a usage/I/O error.
    Io(String),
    /// The file was read but cannot be a cadence file.
    Finding(Diagnostic),
}

impl Project {
    /// Load and parse the given files as one project (files parse in parallel); the root is
    /// the folder that holds them all.
    pub fn load(paths: &[PathBuf]) -> Project {
        Project::load_in(None, paths)
    }

    /// Load files as one project whose root is `root` (the folder given on the command line) or,
    /// for loose files, the deepest folder that holds them all.
    pub fn load_in(root: Option<&Path>, paths: &[PathBuf]) -> Project {
        let mut project = Project::default();
        let mut ids = Vec::new();
        let canonical: Vec<PathBuf> = paths
            .iter()
            .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()))
            .collect();
        let root = match root {
            Some(r) => std::fs::canonicalize(r).unwrap_or_else(|_| r.to_path_buf()),
            None => common_folder(&canonical),
        };
        for (p, c) in paths.iter().zip(&canonical) {
            match read_source(p, &mut project.sources) {
                Ok(id) => {
                    project.relative.insert(id, relative_name(&root, c));
                    ids.push(id)
                }
                Err(ReadError::Io(m)) => project.io_errors.push(m),
                Err(ReadError::Finding(d)) => project.diagnostics.push(d),
            }
        }
        project.parse(&ids);
        project
    }

    /// One file's bytes as a project, through the same guards and parser as files on disk
    /// (the fuzz targets and property tests load their input here).
    pub fn from_bytes(name: &str, bytes: Vec<u8>) -> Project {
        let mut project = Project::default();
        match add_source(name, bytes, &mut project.sources) {
            Ok(id) => {
                project.relative.insert(id, name.to_string());
                project.parse(&[id]);
            }
            Err(ReadError::Io(m)) => project.io_errors.push(m),
            Err(ReadError::Finding(d)) => project.diagnostics.push(d),
        }
        project
    }

    /// Files read from elsewhere (a git revision) as one project, named as given (relative to
    /// the project root), through the same guards and parser as files on disk.
    pub fn from_blobs(files: Vec<(String, Vec<u8>)>) -> Project {
        let mut project = Project::default();
        let mut ids = Vec::new();
        for (name, bytes) in files {
            match add_source(&name, bytes, &mut project.sources) {
                Ok(id) => {
                    project.relative.insert(id, name);
                    ids.push(id);
                }
                Err(ReadError::Io(m)) => project.io_errors.push(m),
                Err(ReadError::Finding(d)) => project.diagnostics.push(d),
            }
        }
        project.parse(&ids);
        project
    }

    /// Parse the loaded files `ids` (in parallel), keeping the trees that parse.
    fn parse(&mut self, ids: &[FileId]) {
        use rayon::prelude::*;
        let sources = &self.sources;
        let parsed: Vec<(FileId, Option<ast::File>, Vec<Diagnostic>)> = ids
            .par_iter()
            .map(|id| {
                let text = sources.get(*id).map(|f| f.text.as_str()).unwrap_or("");
                let (file, diags) = syntax::parse_file(*id, text);
                (*id, file, diags)
            })
            .collect();
        for (id, file, diags) in parsed {
            self.diagnostics.extend(diags);
            if let Some(f) = file {
                self.files.push((id, f));
            }
        }
    }

    /// The path a build records for a file: relative to the project root when known.
    pub fn relative_name(&self, id: FileId) -> Option<&str> {
        self.relative
            .get(&id)
            .map(String::as_str)
            .or_else(|| self.sources.get(id).map(|f| f.name.as_str()))
    }

    /// Load from in-memory texts (tests, benchmarks).
    pub fn from_texts(texts: &[(&str, &str)]) -> Project {
        let mut project = Project::default();
        let ids: Vec<FileId> = texts
            .iter()
            .map(|(name, text)| project.sources.add(SourceFile::new(*name, *text)))
            .collect();
        project.parse(&ids);
        project
    }
}

/// The deepest folder holding every path (all canonical).
fn common_folder(paths: &[PathBuf]) -> PathBuf {
    let mut common: Option<PathBuf> = None;
    for p in paths {
        let parent = p.parent().map(Path::to_path_buf).unwrap_or_default();
        common = Some(match common {
            None => parent,
            Some(c) => c
                .ancestors()
                .find(|a| parent.starts_with(a))
                .map(Path::to_path_buf)
                .unwrap_or_default(),
        });
    }
    common.unwrap_or_default()
}

/// `path` relative to `root` with `/` separators; the full path when it lies outside.
fn relative_name(root: &Path, path: &Path) -> String {
    let Ok(rel) = path.strip_prefix(root) else {
        return path.display().to_string();
    };
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}
