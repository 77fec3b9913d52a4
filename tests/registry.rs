#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly
//! Every diagnostic code has a test case: a bad case under tests/cases that produces it, or a
//! snapshot that shows it. The codes without one are listed, and the list may only shrink.

use std::collections::BTreeSet;

use cadence::diagnostics::codes;
use cadence::project::Project;

/// Codes with no case yet. Remove a code when it gets one (a test below insists); never add.
const UNTESTED: &[&str] = &[
    "E0002", "E0003", "E0004", "E0005", "E0100", "E0103", "E0104", "E0105", "E0305", "E0416",
    "E0705", "E0903", "E0905", "E0906",
];

fn files_under(dir: &str, ext: &str, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(p.to_str().unwrap(), ext, out);
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
}

/// The codes the case files produce, each file checked as its own project, and the codes the
/// snapshots show (a snapshot is a run's output, so a code in it was produced).
fn tested() -> BTreeSet<&'static str> {
    let mut seen = BTreeSet::new();
    let mut cases = Vec::new();
    files_under("tests/cases", "cadence", &mut cases);
    for path in cases {
        for d in cadence::check::check(&Project::load(std::slice::from_ref(&path))).diagnostics {
            seen.insert(d.code.code);
        }
    }
    let mut snaps = Vec::new();
    files_under("tests/snapshots", "snap", &mut snaps);
    files_under("src", "snap", &mut snaps);
    let text: String = snaps
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    for c in codes::ALL {
        if text.contains(c.code) {
            seen.insert(c.code);
        }
    }
    seen
}

#[test]
fn every_code_has_a_test_case_or_is_listed() {
    let tested = tested();
    let missing: Vec<&str> = codes::ALL
        .iter()
        .map(|c| c.code)
        .filter(|c| !tested.contains(c) && !UNTESTED.contains(c))
        .collect();
    assert!(
        missing.is_empty(),
        "codes with no case in tests/cases or a snapshot: {missing:?}"
    );
    let stale: Vec<&&str> = UNTESTED.iter().filter(|c| tested.contains(**c)).collect();
    assert!(
        stale.is_empty(),
        "these codes have a case now: take them off UNTESTED: {stale:?}"
    );
    for c in UNTESTED {
        assert!(
            codes::lookup(c).is_some(),
            "`{c}` on UNTESTED is not a code"
        );
    }
}
