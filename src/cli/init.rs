//! `cadence init [DIR]`: a starter project that passes `check`, with a CI workflow. It never
//! overwrites a file: when one of its files exists, it writes nothing and names it (exit 2).

use std::path::PathBuf;

use super::{say, Exit};

/// The starter's files, relative to DIR. The workflow is the one docs/ci.md shows (a test keeps
/// them equal).
pub const FILES: &[(&str, &str)] = &[
    (
        "cadences/calendar.cadence",
        include_str!("init/calendar.cadence"),
    ),
    (
        "cadences/pipeline.cadence",
        include_str!("init/pipeline.cadence"),
    ),
    (
        "cadences/outbound.cadence",
        include_str!("init/outbound.cadence"),
    ),
    ("cadences/leads.cadence", include_str!("init/leads.cadence")),
    ("cadences/tests.cadence", include_str!("init/tests.cadence")),
    (
        ".github/workflows/cadence.yml",
        include_str!("init/cadence.yml"),
    ),
];

/// The workflow `init` writes and docs/ci.md shows.
pub const WORKFLOW: &str = include_str!("init/cadence.yml");

#[derive(clap::Args, Debug)]
pub struct InitArgs {
    /// where to start the project (default: the current folder); created when missing
    pub dir: Option<PathBuf>,
}

pub fn run(a: InitArgs) -> Exit {
    let dir = a.dir.unwrap_or_else(|| PathBuf::from("."));
    // every file is checked before any is written: all or nothing
    let existing: Vec<PathBuf> = FILES
        .iter()
        .map(|(rel, _)| dir.join(rel))
        .filter(|p| std::fs::symlink_metadata(p).is_ok())
        .collect();
    if !existing.is_empty() {
        let names: Vec<String> = existing
            .iter()
            .map(|p| format!("`{}`", p.display()))
            .collect();
        say(format_args!(
            "error: {} already exist{}; `cadence init` never overwrites a file, and wrote nothing\n",
            names.join(", "),
            if existing.len() == 1 { "s" } else { "" }
        ));
        return Exit::Usage;
    }
    for (rel, text) in FILES {
        let path = dir.join(rel);
        if let Err(e) = crate::fsio::create_new(&path, text.as_bytes()) {
            say(format_args!(
                "error: cannot write `{}`: {e}\n",
                path.display()
            ));
            return Exit::Usage;
        }
    }
    say(format_args!(
        "started a cadence project in {}: {} files\nnext: cadence check {}\n",
        dir.display(),
        FILES.len(),
        dir.join("cadences").display()
    ));
    Exit::Clean
}
