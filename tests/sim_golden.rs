//! The simulator's outputs pinned byte for byte, so that speed work cannot change an answer.
//! The files in tests/sim/golden/ were written by the release build of commit 79414c4 (before
//! the speed work of issue 13), not by the code under test: `cadence simulate ... --format json
//! --threads 1` with the arguments below. Each output must be the same on 1 and 2 threads.
//! The HTML report's work then added one field to the simulate JSON (`converted_by_day`); the
//! three simulate files were rewritten once with it, after a check that every other value was
//! equal to the 79414c4 bytes' (the compare file did not change). Compare's per-step funnels
//! (`steps`) were added to the compare file the same way: without them, its bytes are the
//! previous file's. Then every step's `title` was added to all four files, after a check that
//! without the `title` keys each is the previous file's JSON. The library's webinar cadence
//! added one run (`webinar_2026q2`) to `all_cadences.json`, after a check that the other 17 runs
//! are the previous file's values.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;

use common::cli;

fn golden(name: &str) -> String {
    std::fs::read_to_string(format!("tests/sim/golden/{name}.json")).expect("golden file")
}

fn assert_same(args: &[&str], name: &str) {
    let want = golden(name);
    for threads in ["1", "2"] {
        let mut a = args.to_vec();
        a.extend(["--format", "json", "--threads", threads]);
        let (code, out, err) = cli(&a);
        assert_eq!(code, 0, "{a:?}: {err}");
        assert!(
            out == want,
            "{a:?} differs from tests/sim/golden/{name}.json"
        );
    }
}

#[test]
fn seven_emails_output_is_the_golden_bytes() {
    assert_same(
        &[
            "simulate",
            "tests/sim/seven_emails.cadence",
            "--count",
            "20000",
        ],
        "seven_emails",
    );
}

#[test]
fn b2b_inbound_output_is_the_golden_bytes() {
    assert_same(
        &[
            "simulate",
            "cadences",
            "--simulation",
            "inbound_2026q2",
            "--count",
            "4000",
        ],
        "inbound_2026q2",
    );
}

#[test]
fn b2b_compare_output_is_the_golden_bytes() {
    let args = [
        "compare",
        "inbound_2026q2",
        "inbound_national_day",
        "--path",
        "cadences",
        "--count",
        "4000",
    ];
    assert_same(&args, "compare_inbound");
}

/// Every simulation of the shipped library: several calendars, one with daylight saving time.
#[test]
fn every_shipped_simulation_output_is_the_golden_bytes() {
    assert_same(&["simulate", "cadences", "--count", "1500"], "all_cadences");
}
