//! `simulate` and `compare` from the command line: one settings resolution for both, the
//! scenario fixed by the file (more leads replicate it), and flags held to the file's rules.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;

use common::cli;
use serde_json::Value;

fn json(args: &[&str]) -> Value {
    let (code, stdout, stderr) = cli(args);
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).unwrap()
}

/// A project with an enrolment filter, arrivals, and two simulations that differ in start.
const PROJECT: &str = r#"
pipeline f {
  facts { source: text }
  events replied_ev
  stage lead {
    exit to won when replied_ev
    exit to lost when dwell > 60d
  }
  stage won { outcome won }
  stage lost { outcome lost }
}
cadence c {
  pipeline f stage lead
  enroll when source == "web"
  exit replied on reply -> set replied_ev
  exit unsubscribed on unsubscribe
  exit bounced on bounce
  step e1 email "Hello" immediately
  step e2 email "Again" after 3d
}
leads l {
  count 3000
  arrivals 100 per week
  fact source = choice("web" 60%, "event" 40%)
  respond email { replied 10% }
}
simulation base {
  cadence c
  leads l
  count 3000
  start 2026-03-02 09:00
  horizon 90d
  seed 9
}
simulation later {
  cadence c
  leads l
  count 3000
  start 2026-04-06 09:00
  horizon 90d
  seed 9
}
"#;

fn project() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.cadence"), PROJECT).unwrap();
    let path = dir.path().to_string_lossy().into_owned();
    (dir, path)
}

#[test]
fn compare_and_simulate_agree_on_one_simulation() {
    let (_d, p) = project();
    let sim = json(&["simulate", &p, "--simulation", "base", "--format", "json"]);
    let run = &sim["runs"][0];
    assert_eq!(run["leads"], 3000, "the simulation's count");
    let cmp = json(&["compare", "base", "base", "--path", &p, "--format", "json"]);
    assert_eq!(
        cmp["leads"], 3000,
        "compare takes the simulation's count too"
    );
    assert_eq!(
        cmp["enrolled"], run["enrolled"],
        "divided by enrolled leads"
    );
    assert_eq!(cmp["conversion"]["base"], run["conversion"]["rate"]);
    assert_eq!(cmp["differences"].as_array().unwrap().len(), 0);
}

#[test]
fn compare_says_where_the_scenarios_differ_and_runs_each_start() {
    let (_d, p) = project();
    let cmp = json(&["compare", "base", "later", "--path", &p, "--format", "json"]);
    let diffs: Vec<&str> = cmp["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert_eq!(diffs, ["start: 2026-03-02 09:00 vs 2026-04-06 09:00"]);
    assert_eq!(cmp["start"]["candidate"], "2026-04-06 09:00");
    let later = json(&["simulate", &p, "--simulation", "later", "--format", "json"]);
    assert_eq!(
        cmp["conversion"]["candidate"], later["runs"][0]["conversion"]["rate"],
        "the candidate runs from its own start"
    );
}

#[test]
fn more_leads_replicate_the_same_scenario() {
    let (_d, p) = project();
    let small = json(&[
        "simulate",
        &p,
        "--simulation",
        "base",
        "--count",
        "2000",
        "--format",
        "json",
    ]);
    let large = json(&[
        "simulate",
        &p,
        "--simulation",
        "base",
        "--count",
        "20000",
        "--format",
        "json",
    ]);
    // the scenario's 3,000 leads at 100 a week: 30 weeks, whatever --count is
    for r in [&small["runs"][0], &large["runs"][0]] {
        assert_eq!(r["arrival_window_days"].as_f64().unwrap(), 210.0);
        assert_eq!(r["scenario_leads"], 3000);
    }
    // the share of leads converted by day 30 estimates one quantity at both sizes
    let share = |r: &Value| {
        r["conversion"]["converted_by"][0]["share"]
            .as_f64()
            .unwrap()
    };
    let n = |r: &Value| r["enrolled"].as_f64().unwrap();
    let (a, b) = (share(&small["runs"][0]), share(&large["runs"][0]));
    let se = (a * (1.0 - a) / n(&small["runs"][0])).sqrt();
    assert!((a - b).abs() < 4.0 * se + 0.005, "{a} vs {b}");
}

#[test]
fn converted_by_lists_only_days_within_the_horizon() {
    let (_d, p) = project();
    let v = json(&[
        "simulate",
        &p,
        "--simulation",
        "base",
        "--horizon",
        "45d",
        "--format",
        "json",
    ]);
    let days: Vec<u64> = v["runs"][0]["conversion"]["converted_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["days"].as_u64().unwrap())
        .collect();
    assert_eq!(days, [30]);
}

#[test]
fn flags_obey_the_rules_of_the_file() {
    let (_d, p) = project();
    for (args, says) in [
        (
            vec!["simulate", &p, "--count", "0"],
            "--count 0 is out of range",
        ),
        (
            vec!["simulate", &p, "--count", "1000000000000000"],
            "out of range",
        ),
        (
            vec!["simulate", &p, "--count", "18446744073709551615"],
            "out of range",
        ),
        (
            vec![
                "compare",
                "base",
                "later",
                "--path",
                &p,
                "--count",
                "18446744073709551615",
            ],
            "out of range",
        ),
        (
            vec!["compare", "base", "later", "--path", &p, "--count", "0"],
            "out of range",
        ),
        (
            vec!["simulate", &p, "--precision", "0"],
            "--precision 0 is out of range",
        ),
        (vec!["simulate", &p, "--precision=-0.01"], "out of range"),
        (vec!["simulate", &p, "--precision", "NaN"], "out of range"),
        (vec!["simulate", &p, "--precision", "inf"], "out of range"),
        (
            vec!["simulate", &p, "--threads", "100000"],
            "--threads 100000 is out of range",
        ),
        (vec!["simulate", &p, "--threads", "0"], "out of range"),
    ] {
        let (code, _, stderr) = cli(&args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

#[test]
fn a_count_above_the_ceiling_in_a_file_is_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    let text = PROJECT.replace(
        "  count 3000\n  arrivals",
        "  count 2_000_000_000\n  arrivals",
    );
    std::fs::write(dir.path().join("p.cadence"), text).unwrap();
    let (code, stdout, stderr) = cli(&["check", &dir.path().to_string_lossy()]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("E0308") || stderr.contains("E0308"),
        "{stdout}{stderr}"
    );
}

#[test]
fn a_start_inside_a_dst_gap_is_a_check_finding() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"
calendar ny {
  timezone "America/New_York"
  workdays mon..fri
  hours 09:00..17:00
}
cadence c {
  calendar ny
  exit unsubscribed on unsubscribe
  step t task "Call list" immediately
}
leads l { count 10 }
simulation s {
  cadence c
  leads l
  start 2026-03-08 02:30
}
"#;
    std::fs::write(dir.path().join("p.cadence"), text).unwrap();
    let (code, stdout, stderr) = cli(&["check", "--format", "json", &dir.path().to_string_lossy()]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let d = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "E0104")
        .expect("E0104");
    assert_eq!(d["span"]["line"], 16, "{d}");
}
