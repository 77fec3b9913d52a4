//! `compare`'s per-step funnels (the JSON's `steps`): each side's funnel is the one `simulate`
//! reports for that version on the same leads and seed, steps are paired by their draws, and
//! `identical` says which are the same on both.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;

use common::cli;
use serde_json::Value;

fn json(args: &[&str]) -> Value {
    let (code, stdout, stderr) = cli(args);
    assert_eq!(code, 0, "{args:?}: {stderr}");
    serde_json::from_str(&stdout).unwrap()
}

/// A step's funnel without the cadence's name (the versions' cadences may be named apart) and
/// its title (words, not a count).
fn funnel(step: &Value) -> Value {
    let mut s = step.clone();
    s.as_object_mut().unwrap().remove("cadence");
    s.as_object_mut().unwrap().remove("title");
    s
}

/// The compare's steps against `simulate` of each side with the compare's leads and seed.
fn check_sides(cmp: &Value, sims: [(&Value, &str); 2]) {
    let steps = cmp["steps"].as_array().unwrap();
    for (sim, side) in sims {
        let want = sim["runs"][0]["steps"].as_array().unwrap();
        let got: Vec<&Value> = steps
            .iter()
            .map(|s| &s[side])
            .filter(|s| !s.is_null())
            .collect();
        // every step of the version, once, with simulate's funnel
        assert_eq!(got.len(), want.len(), "{side}");
        for w in want {
            let found: Vec<&&Value> = got
                .iter()
                .filter(|g| g["cadence"] == w["cadence"] && g["step"] == w["step"])
                .collect();
            assert_eq!(found, [&w], "{side}");
        }
    }
    for s in steps {
        // identical: on both sides with the same funnel (computed here from simulate's)
        let same = !s["base"].is_null()
            && !s["candidate"].is_null()
            && funnel(&s["base"]) == funnel(&s["candidate"]);
        assert_eq!(s["identical"], same, "{s}");
    }
}

#[test]
fn what_if_a_call_pairs_the_steps_and_marks_the_identical_ones() {
    let w = "tests/sim/whatif";
    let n = ["--count", "4000", "--format", "json"];
    let cmp = json(&[&["compare", "base_sim", "call_sim", "--path", w][..], &n].concat());
    let base = json(&[&["simulate", w, "--simulation", "base_sim"][..], &n].concat());
    let cand = json(&[&["simulate", w, "--simulation", "call_sim"][..], &n].concat());
    check_sides(&cmp, [(&base, "base"), (&cand, "candidate")]);
    let steps = cmp["steps"].as_array().unwrap();
    let names: Vec<&str> = steps.iter().map(|s| s["step"].as_str().unwrap()).collect();
    // the call only the candidate has comes after the step before it there
    assert_eq!(names, ["e1", "e2", "c1", "e3", "e4"]);
    assert!(steps[2]["base"].is_null());
    assert_eq!(steps[2]["candidate"]["channel"], "call");
    let identical: Vec<bool> = steps
        .iter()
        .map(|s| s["identical"].as_bool().unwrap())
        .collect();
    // before the call both versions are the same leads with the same draws; after it, the
    // leads the call connected to a meeting are gone
    assert_eq!(identical, [true, true, false, false, false]);
    assert!(
        steps[3]["candidate"]["reached"].as_u64() < steps[3]["base"]["reached"].as_u64(),
        "{}",
        steps[3]
    );
}

#[test]
fn pipeline_compare_has_both_versions_funnels() {
    // the candidate runs the base's seed: simulate it with that seed to see the same leads
    let n = ["--count", "1500", "--format", "json"];
    let cmp = json(
        &[
            &[
                "compare",
                "inbound_2026q2",
                "inbound_national_day",
                "--path",
                "cadences",
            ][..],
            &n,
        ]
        .concat(),
    );
    let base = json(
        &[
            &["simulate", "cadences", "--simulation", "inbound_2026q2"][..],
            &n,
        ]
        .concat(),
    );
    let cand = json(
        &[
            &[
                "simulate",
                "cadences",
                "--simulation",
                "inbound_national_day",
                "--seed",
                "20260401",
            ][..],
            &n,
        ]
        .concat(),
    );
    check_sides(&cmp, [(&base, "base"), (&cand, "candidate")]);
    let steps = cmp["steps"].as_array().unwrap();
    assert!(steps.iter().any(|s| s["identical"] == false));
}

#[test]
fn a_version_against_itself_is_identical_at_every_step() {
    let n = ["--count", "500", "--format", "json"];
    let cmp = json(
        &[
            &[
                "compare",
                "base_sim",
                "base_sim",
                "--path",
                "tests/sim/whatif",
            ][..],
            &n,
        ]
        .concat(),
    );
    let steps = cmp["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 4);
    assert!(steps
        .iter()
        .all(|s| s["identical"] == true && s["base"] == s["candidate"]));
}
