//! The playbook's timing words in build targets: no CRM target expresses a weekday anchor,
//! dates, a hand-off or a skip condition, so each is a classified loss (E0901; W0902 with
//! `--allow-lossy`, which then builds), never silently dropped; the neutral JSON keeps them all.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly

use std::path::PathBuf;

use cadence::project::Project;
use cadence::targets::{self, Options, Target};

fn example() -> (Project, cadence::model::Model) {
    let project = Project::load(&[PathBuf::from("examples/17_playbook_timing.cadence")]);
    let checked = cadence::check::check(&project);
    assert!(checked.diagnostics.is_empty());
    (project, checked.model)
}

/// What each construct of the example is reported as.
const LOSSES: [&str; 5] = [
    "step `callback` is due on given weekdays: `on tue, fri at 10:00`",
    "the cadence runs only on 2026-10-08..2026-12-31 (deals enrolled earlier wait for it)",
    "when it runs out, the cadence hands the deal to `q4_push`",
    "step `offer` runs only on 2026-11-01..2026-11-30",
    "step `product` is skipped when `mature`",
];

#[test]
fn every_crm_target_reports_each_playbook_word_as_a_loss() {
    let (project, model) = example();
    for target in [Target::Zoho, Target::Salesloft, Target::Hubspot] {
        for lossy in [false, true] {
            let mut o = Options::new(target);
            o.allow_lossy = lossy;
            let built = targets::build(&project, &model, &o);
            let code = if lossy { "W0902" } else { "E0901" };
            for what in LOSSES {
                let n = built
                    .diagnostics
                    .iter()
                    .filter(|d| d.code.code == code && d.message.ends_with(what))
                    .count();
                assert_eq!(n, 1, "{target:?} lossy={lossy}: `{what}`");
            }
            // without `--allow-lossy` the cadences with losses are not written; with it they are
            let written = |name: &str| built.outputs.iter().any(|x| x.name == name);
            assert_eq!(written("nurture_b"), lossy, "{target:?}");
            assert_eq!(written("q4_push"), lossy, "{target:?}");
        }
    }
}

#[test]
fn the_neutral_json_keeps_the_playbook_words() {
    let (project, model) = example();
    let built = targets::build(&project, &model, &Options::new(Target::Json));
    assert!(!built.has_errors());
    let doc = &built.outputs[0].body;
    let cadence = |name: &str| {
        doc["cadences"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap()
            .clone()
    };
    let q4 = cadence("q4_push");
    assert_eq!(q4["window"]["from"], "2026-10-08");
    assert_eq!(q4["defer"], true);
    let nurture = cadence("nurture_b");
    let q4_index = doc["cadences"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c["name"] == "q4_push")
        .unwrap();
    assert_eq!(nurture["hand_off"], q4_index);
    let step = |name: &str| {
        nurture["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap()
            .clone()
    };
    // tue and fri: bits 1 and 4
    assert_eq!(step("callback")["timing"]["weekdays"], 0b10010);
    assert_eq!(step("offer")["window"]["to"], "2026-11-30");
    assert!(step("product")["skip"].is_object() || step("product")["skip"].is_string());
    let stage = &doc["pipelines"][0]["stages"][1];
    assert_eq!(stage["max_gap_minutes"], 30 * 1440);
    // and loads back into the same model
    let back = targets::neutral::Document::load(&built.outputs[0].text).unwrap();
    let order = targets::order::canonical(&model);
    assert_eq!(back.cadences, order.cadences);
}
