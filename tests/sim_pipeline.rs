//! Whole-pipeline simulations: every cadence of the pipeline enrolls a deal when it enters the
//! cadence's stage (and matches `enroll when`). Small pipelines whose answers are computed here
//! exactly, the simulator held to them within 4 standard errors; the checker's rules for a
//! simulation's target; the CLI report.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly

mod common;

use cadence::model::Model;
use cadence::simulate::{self, funnel, Config, Program, Tally};
use common::{checked, cli, model_of};

fn program(model: &Model, sim: &str) -> Program {
    let s = model
        .simulations
        .iter()
        .find(|s| s.name == sim)
        .expect("simulation");
    simulate::compile_target(model, &s.target, s.leads).expect("program")
}

fn run(p: &Program, count: u64) -> Tally {
    let cfg = Config {
        seed: 11,
        count,
        start: 29_440_000.0, // 2025-12-22 in minutes since the epoch
        horizon_minutes: 400.0 * 1440.0,
        precision: None,
        max_count: count,
        arrival_window_minutes: 0.0,
    };
    simulate::simulate(p, &cfg, |_, _| {})
}

/// A share of `n` within 4 standard errors of the exact `p`.
fn share_is(name: &str, k: u64, n: u64, p: f64) {
    let obs = k as f64 / n as f64;
    let se = (p * (1.0 - p) / n as f64).sqrt().max(1e-12);
    let z = (obs - p) / se;
    assert!(
        z.abs() <= 4.0,
        "{name}: observed {obs:.5}, exact {p:.5}, {z:.1} standard errors away"
    );
}

fn cadence_index(p: &Program, name: &str) -> usize {
    p.cadences.iter().position(|c| c.name == name).unwrap()
}

/// Two open stages, each worked by its own cadence: a call that moves the deal on when it
/// connects. `lead` connects 60%, `offer` 30% (the call model is per cadence's step).
const TWO_STAGES: &str = r#"
pipeline p {
  stage lead { exit to lost when dwell > 30d }
  stage offer { exit to lost when dwell > 30d }
  stage won { outcome won }
  stage lost { outcome lost }
}

cadence first_call {
  pipeline p stage lead
  step call_1 call "Qualify" immediately
    on connected -> stage offer
}

cadence offer_call {
  pipeline p stage offer
  step call_2 call "Close" after 1d
    on connected -> stage won
}

leads l {
  respond step first_call.call_1 { connected 60% }
  respond step offer_call.call_2 { connected 30% }
}

simulation whole {
  pipeline p
  leads l
}

simulation only_first {
  cadence first_call
  leads l
}

simulation from_offer {
  pipeline p stage offer
  leads l
}
"#;

#[test]
fn each_stage_runs_its_own_cadence() {
    let m = model_of(TWO_STAGES);
    let n = 40_000;
    let p = program(&m, "whole");
    let t = run(&p, n);
    assert_eq!(t.enrolled, n, "every deal counts in a pipeline simulation");
    // end to end: 0.6 × 0.3
    share_is("conversion", t.won, n, 0.6 * 0.3);
    share_is(
        "offer_call enrolls the deals that reach offer",
        t.cadence_enrolled[cadence_index(&p, "offer_call")],
        n,
        0.6,
    );
    assert_eq!(t.cadence_enrolled[cadence_index(&p, "first_call")], n);
    // the stage funnel: of the deals entering offer, 30% move on and 70% time out to lost
    let flows = funnel::stage_flows(&p, &t);
    let offer = flows
        .iter()
        .find(|f| p.stages[f.stage].name == "offer")
        .unwrap();
    share_is("offer advanced", offer.advanced, offer.entries, 0.3);
    assert_eq!(offer.advanced + offer.lost, offer.entries);
    let lost_most = funnel::lost_most(&flows).unwrap();
    // lead drops 40% of all deals, offer 0.6 × 0.7 = 42%
    assert_eq!(p.stages[lost_most.stage].name, "offer");

    // the same cadence alone: the deal reaches offer, but nothing works it there
    let single = run(&program(&m, "only_first"), n);
    assert_eq!(
        single.won, 0,
        "one cadence's simulation runs no other cadence"
    );
    share_is("single: offer reached", single.stage_entries[1], n, 0.6);
}

#[test]
fn a_pipeline_simulation_may_start_in_a_later_stage() {
    let m = model_of(TWO_STAGES);
    let n = 40_000;
    let p = program(&m, "from_offer");
    let t = run(&p, n);
    share_is("conversion from offer", t.won, n, 0.3);
    assert_eq!(t.cadence_enrolled[cadence_index(&p, "first_call")], 0);
}

#[test]
fn enroll_when_picks_the_cadence_of_a_stage() {
    let text = r#"
pipeline p {
  facts { web: bool }
  stage lead { exit to lost when dwell > 30d }
  stage won { outcome won }
  stage lost { outcome lost }
}

cadence inbound {
  pipeline p stage lead
  enroll when web
  step call_1 call "Call back" immediately
    on connected -> stage won
}

cadence outbound {
  pipeline p stage lead
  enroll when not web
  exit unsubscribed on unsubscribe
  step mail email "Intro" immediately
    on replied -> stage won
}

leads l {
  fact web = 30%
  respond call { connected 50% }
  respond email { replied 10%, bounced 0% }
}

simulation all {
  pipeline p
  leads l
}

simulation outbound_only {
  pipeline p
  cadences outbound
  leads l
}
"#;
    let m = model_of(text);
    let n = 40_000;
    let p = program(&m, "all");
    let t = run(&p, n);
    share_is(
        "inbound enrolls the web leads",
        t.cadence_enrolled[cadence_index(&p, "inbound")],
        n,
        0.3,
    );
    share_is(
        "outbound enrolls the others",
        t.cadence_enrolled[cadence_index(&p, "outbound")],
        n,
        0.7,
    );
    share_is("conversion", t.won, n, 0.3 * 0.5 + 0.7 * 0.1);
    // a `cadences` list runs only those cadences
    let p = program(&m, "outbound_only");
    assert_eq!(p.cadences.len(), 1);
    let t = run(&p, n);
    share_is("conversion, outbound only", t.won, n, 0.7 * 0.1);
}

#[test]
fn a_deal_entering_a_stage_again_is_enrolled_again_with_fresh_draws() {
    // lead: a call that sends the deal to `nurture` when it connects (50%); nurture sends it
    // back after a day; a call that does not connect leaves the deal to time out to lost. The
    // entries into lead are geometric: E = 1 / (1 - 0.5) = 2 per deal, if every enrolment draws
    // afresh (a repeated draw would loop a connected deal until the horizon).
    let text = r#"
pipeline p {
  stage lead { exit to lost when dwell > 10d }
  stage nurture { exit to lead when dwell > 1d }
  stage won { outcome won }
  stage lost { outcome lost }
}

cadence caller {
  pipeline p stage lead
  step call_1 call "Call" immediately
    on connected -> stage nurture
}

leads l {
  respond call { connected 50% }
}

simulation whole {
  pipeline p
  leads l
}
"#;
    let m = model_of(text);
    let n = 40_000;
    let p = program(&m, "whole");
    let t = run(&p, n);
    assert_eq!(t.lost, n, "every deal ends lost");
    let enrolments = t.cadence_enrolled[0] as f64 / n as f64;
    // the number of entries is geometric with p = 1/2: variance (1 - p) / p² = 2
    let se = (2.0 / n as f64).sqrt();
    assert!(
        (enrolments - 2.0).abs() <= 4.0 * se,
        "enrolments per deal {enrolments:.4}, exact 2"
    );
    assert_eq!(t.stage_entries[0], t.cadence_enrolled[0]);
}

#[test]
fn the_checker_knows_what_a_simulation_runs() {
    let base = r#"
pipeline p {
  stage lead { exit to lost when dwell > 30d }
  stage lost { outcome lost }
}
pipeline q {
  stage lead { exit to lost when dwell > 30d }
  stage lost { outcome lost }
}
cadence a {
  pipeline p stage lead
  step t task "Do" immediately
}
cadence b {
  pipeline q stage lead
  step t task "Do" immediately
}
leads l { respond task { completed 90% } }
"#;
    let codes = |sim: &str| -> Vec<String> {
        checked(&format!("{base}{sim}"))
            .diagnostics
            .iter()
            .map(|d| format!("{}: {}", d.code.code, d.message))
            .collect()
    };
    let both = codes("simulation s { cadence a  pipeline p  leads l }");
    assert!(
        both.iter()
            .any(|d| d.starts_with("E0802") && d.contains("not both")),
        "{both:?}"
    );
    let neither = codes("simulation s { leads l }");
    assert!(
        neither.iter().any(|d| d.starts_with("E0220")),
        "{neither:?}"
    );
    let foreign = codes("simulation s { pipeline p  cadences a, b  leads l }");
    assert!(
        foreign
            .iter()
            .any(|d| d.starts_with("E0802") && d.contains("`b` does not work pipeline `p`")),
        "{foreign:?}"
    );
    let list_without = codes("simulation s { cadence a  cadences a  leads l }");
    assert!(
        list_without.iter().any(|d| d.starts_with("E0802")),
        "{list_without:?}"
    );
    let unknown = codes("simulation s { pipeline pp  leads l }");
    assert!(
        unknown.iter().any(|d| d.starts_with("E0203")),
        "{unknown:?}"
    );
    let stage = codes("simulation s { pipeline p stage leed  leads l }");
    assert!(stage.iter().any(|d| d.starts_with("E0204")), "{stage:?}");
    assert!(codes("simulation s { pipeline p  leads l }").is_empty());
}

#[test]
fn the_report_shows_the_stage_funnel_and_each_cadence() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("p.cadence");
    std::fs::write(&f, TWO_STAGES).unwrap();
    let path = f.to_str().unwrap();
    let (code, out, err) = cli(&["simulate", path, "--simulation", "whole", "--count", "2000"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("pipeline `p` with cadences `first_call`, `offer_call`"),
        "{out}"
    );
    assert!(out.contains("stage funnel"), "{out}");
    assert!(
        out.contains("cadence offer_call (stage `offer`): enrolled"),
        "{out}"
    );
    assert!(out.contains("deals are lost most in `offer`"), "{out}");
    let (code, json, _) = cli(&[
        "simulate",
        path,
        "--simulation",
        "whole",
        "--count",
        "2000",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let run = &v["runs"][0];
    assert_eq!(run["pipeline"], "p");
    assert_eq!(run["whole_pipeline"], true);
    assert_eq!(run["cadences"].as_array().unwrap().len(), 2);
    assert_eq!(run["stage_funnel"]["lost_most"]["stage"], "offer");
    // the same bytes on one thread and on four
    let one = cli(&[
        "simulate",
        path,
        "--simulation",
        "whole",
        "--count",
        "3000",
        "--threads",
        "1",
        "--format",
        "json",
    ]);
    let four = cli(&[
        "simulate",
        path,
        "--simulation",
        "whole",
        "--count",
        "3000",
        "--threads",
        "4",
        "--format",
        "json",
    ]);
    assert_eq!(one.1, four.1);
}

#[test]
fn compare_runs_pipeline_simulations() {
    // what if the offer stage's cadence calls twice? offer converts 1 - 0.7² = 51% instead of 30%
    let text = TWO_STAGES.to_string()
        + r#"
cadence offer_twice {
  pipeline p stage offer
  step call_2 call "Close" after 1d
    on connected -> stage won
  step call_3 call "Close again" after 2d
    on connected -> stage won
}

simulation base {
  pipeline p
  cadences first_call, offer_call
  leads l
  count 20_000
}

simulation candidate {
  pipeline p
  cadences first_call, offer_twice
  leads l
  count 20_000
}
"#;
    let text = text.replace(
        "  respond step offer_call.call_2 { connected 30% }",
        "  respond step offer_call.call_2 { connected 30% }\n  respond call { connected 30% }",
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.cadence"), &text).unwrap();
    let path = dir.path().to_str().unwrap();
    let (code, json, err) = cli(&[
        "compare",
        "base",
        "candidate",
        "--path",
        path,
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let d = v["conversion"]["difference"].as_f64().unwrap();
    let exact = 0.6 * (1.0 - 0.7 * 0.7) - 0.6 * 0.3;
    let ci = v["conversion"]["ci95_paired_newcombe"].as_array().unwrap();
    let (lo, hi) = (ci[0].as_f64().unwrap(), ci[1].as_f64().unwrap());
    assert!(
        lo <= exact && exact <= hi,
        "difference {d}, interval {lo}..{hi}, exact {exact}"
    );
}
