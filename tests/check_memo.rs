//! The checker's timing analyses share work between calendars (by content, by hours) and run in
//! parallel: neither may change a finding. Oracle: each file checked alone, on one thread.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use cadence::project::Project;

#[path = "common/tree.rs"]
mod tree;

/// Every finding in full (place, code, texts, related places), file by name.
fn findings(texts: &[(String, String)]) -> Vec<String> {
    let refs: Vec<(&str, &str)> = texts
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let project = Project::from_texts(&refs);
    let name = |s: cadence::source::Span| {
        let file = project.sources.get(s.file).map_or("?", |f| f.name.as_str());
        format!("{file}:{}-{}", s.start, s.end)
    };
    cadence::check::check(&project)
        .diagnostics
        .iter()
        .map(|d| {
            let related: Vec<String> = d
                .related
                .iter()
                .map(|(s, t)| format!("{} {t}", name(*s)))
                .collect();
            format!(
                "{} {} {} | {:?} | {:?} | {:?} | {related:?}",
                name(d.span),
                d.code.code,
                d.message,
                d.label,
                d.help,
                d.notes
            )
        })
        .collect()
}

/// The own-calendar tree with some files breaking `max_gap` and `respond within`.
fn tree_with_findings(files: usize, distinct: usize) -> Vec<(String, String)> {
    let mut t = tree::own_calendar_tree(files, distinct);
    for (i, (_, text)) in t.iter_mut().enumerate() {
        if i % 3 == 1 {
            *text = text
                .replace("after 3 business days\n", "after 6 business days\n")
                .replace("after 5d\n", "after 12d\n");
        }
        if i % 4 == 2 {
            *text = text.replace(
                "step welcome email \"Thanks\" template \"welcome\" immediately",
                "step welcome email \"Thanks\" template \"welcome\" after 2 business days",
            );
        }
    }
    t
}

#[test]
fn files_checked_together_find_what_each_finds_alone() {
    let t = tree_with_findings(16, 5);
    let together = findings(&t);
    let alone: Vec<String> = t
        .iter()
        .flat_map(|f| findings(std::slice::from_ref(f)))
        .collect();
    assert_eq!(together, alone);
    let codes: std::collections::BTreeSet<&str> = together
        .iter()
        .filter_map(|f| f.split(' ').nth(1))
        .collect();
    // the oracle only means something if the analyses report
    for code in ["E0412", "E0413", "E0419"] {
        assert!(codes.contains(code), "{code} missing from {codes:?}");
    }
}

#[test]
fn findings_do_not_depend_on_the_thread_count() {
    let t = tree_with_findings(24, 24);
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| findings(&t))
    };
    let one = run(1);
    assert!(!one.is_empty());
    assert_eq!(run(4), one);
}

/// `cadence check DIR` on `threads` threads: (exit code, stdout, stderr) as bytes.
fn check_cli(
    dir: &std::path::Path,
    format: &str,
    threads: &str,
) -> (Option<i32>, Vec<u8>, Vec<u8>) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cadence"))
        .args(["check", "--format", format])
        .arg(dir)
        .env("RAYON_NUM_THREADS", threads)
        .env("NO_COLOR", "1")
        .env_remove("CADENCE_FORMAT")
        .output()
        .unwrap();
    (out.status.code(), out.stdout, out.stderr)
}

#[test]
fn check_output_bytes_do_not_depend_on_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in tree_with_findings(30, 7) {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    for format in ["human", "json", "github"] {
        let one = check_cli(dir.path(), format, "1");
        assert_eq!(one.0, Some(1), "{format}: findings exit 1");
        let all: Vec<u8> = [one.1.as_slice(), one.2.as_slice()].concat();
        let text = String::from_utf8_lossy(&all);
        for code in ["E0412", "E0413", "E0419"] {
            assert!(text.contains(code), "{format}: {code} missing");
        }
        assert_eq!(check_cli(dir.path(), format, "2"), one, "{format}");
        assert_eq!(check_cli(dir.path(), format, "3"), one, "{format}");
    }
}
