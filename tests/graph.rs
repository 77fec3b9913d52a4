//! The checker's step graph is the engine's: on generated cadences with every outcome possible,
//! the steps the simulator reaches are exactly the steps the checker calls reachable, and no gap
//! between two touches the simulator makes is longer than the checker's worst case.
//!
//! The generated cadences use the playbook's timing words too: weekday anchors, steps skipped on a
//! condition or outside their dates, and cadences active only on some dates (the simulator's
//! gaps stay within the checker's worst case there; reachability is then only checked one way,
//! as a skip condition can hold on every path).
//!
//! `GRAPH_CASES=5000 cargo test --release --test graph` runs thousands of cases.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly

use cadence::diagnostics::Diagnostic;
use cadence::model::graph::{How, StepGraph};
use cadence::model::Model;
use cadence::project::Project;
use cadence::simulate::{self, program::STAGE_CHANGED, Config};
use proptest::prelude::*;

fn checked(text: &str) -> (Model, Vec<Diagnostic>) {
    let c = cadence::check::check(&Project::from_texts(&[("t.cadence", text)]));
    let errors: Vec<String> = c
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{} {}", d.code.code, d.message))
        .collect();
    assert!(errors.is_empty(), "{errors:?}\n{text}");
    (c.model, c.diagnostics)
}

/// A small deterministic generator (proptest supplies the seed).
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const CHANNELS: [(&str, &[&str]); 5] = [
    (
        "email",
        &["delivered", "opened", "clicked", "replied", "bounced"],
    ),
    (
        "call",
        &["connected", "voicemail", "no_answer", "bad_number"],
    ),
    ("sms", &["delivered", "replied", "failed"]),
    ("meeting", &["booked", "held", "no_show", "cancelled"]),
    ("task", &["completed", "skipped"]),
];

const TIMINGS: [&str; 9] = [
    "after 2h",
    "after 1 business day",
    "after 3 business days",
    "after 4 business hours",
    "after 2d",
    "after 1 business day at 10:00",
    "on tue, fri at 10:00",
    "after 1d on mon, wed, fri at 16:00",
    "on thu at 12:30",
];

/// What may make a step pass over its touch.
const SKIPS: [&str; 4] = [
    "skip when touches >= 2",
    "skip when e1",
    "during 2026-09-14..2026-09-30",
    "during 2026-10-05..2026-12-31",
];

/// Source text of a cadence on pipeline `p` (stage `s`), whose stage exit is `stage_exit`.
/// With `bounded`, every jump has a bound (a cadence whose unbounded jumps loop is E0405).
fn cadence_text(seed: u64, stage_exit: &str, bounded: bool) -> String {
    let mut g = Gen(seed | 1);
    // a cadence active from before the start until a date in the run
    let active = if g.chance(20) {
        format!("  active 2026-09-01..2026-10-{}\n", 10 + g.below(20))
    } else {
        String::new()
    };
    // when it runs out, the deal may go on with cadence `b`
    let hand_off = if g.chance(40) {
        "  hand_off to b\n"
    } else {
        ""
    };
    let mut b_body = String::new();
    for i in 0..1 + g.below(2) {
        let ch = ["call", "task"][g.below(2)];
        let timing = TIMINGS[g.below(TIMINGS.len())];
        b_body.push_str(&format!("  step b{i} {ch} \"b{i}\" {timing}\n"));
    }
    let tracks = 1 + g.below(2);
    let mut names: Vec<Vec<String>> = Vec::new();
    for t in 0..tracks {
        let n = if t == 0 {
            2 + g.below(3)
        } else {
            1 + g.below(2)
        };
        names.push((0..n).map(|i| format!("t{t}s{i}")).collect());
    }
    let all: Vec<String> = names.iter().flatten().cloned().collect();
    let track_names: Vec<String> = (1..tracks).map(|t| format!("side{t}")).collect();
    let flow = |g: &mut Gen| -> String {
        let pre = match g.below(6) {
            0 => "task \"note\", ",
            1 => "set e1, ",
            _ => "",
        };
        let f = match g.below(7) {
            0 => "continue".to_string(),
            1 => format!("exit done{}", g.below(2)),
            2 | 3 => {
                let target = if !track_names.is_empty() && g.chance(30) {
                    track_names[g.below(track_names.len())].clone()
                } else {
                    all[g.below(all.len())].clone()
                };
                format!("{target} at most {} times", 1 + g.below(2))
            }
            _ if bounded => format!("{} at most 2 times", all[g.below(all.len())]),
            _ => all[g.below(all.len())].clone(),
        };
        format!("{pre}{f}")
    };
    let mut exits = vec!["  exit unsubscribed on unsubscribe".to_string()];
    for (p, line) in [
        (50, "  exit replied on reply"),
        (50, "  exit bounced on bounce"),
        (40, "  exit met on meeting_booked"),
        (30, "  exit got_e1 on e1"),
    ] {
        if g.chance(p) {
            exits.push(line.to_string());
        }
    }
    let mut body = String::new();
    for (t, steps) in names.iter().enumerate() {
        let indent = if t == 0 { "  " } else { "    " };
        if t > 0 {
            body.push_str(&format!("  track {} {{\n", track_names[t - 1]));
        }
        for s in steps {
            let (ch, outcomes) = CHANNELS[g.below(CHANNELS.len())];
            let timing = TIMINGS[g.below(TIMINGS.len())];
            body.push_str(&format!("{indent}step {s} {ch} \"{s}\" {timing}\n"));
            if g.chance(25) {
                let skip = SKIPS[g.below(SKIPS.len())];
                body.push_str(&format!("{indent}  {skip}\n"));
            }
            let mut used = Vec::new();
            for _ in 0..g.below(3) {
                let o = outcomes[g.below(outcomes.len())];
                if used.contains(&o) {
                    continue;
                }
                used.push(o);
                let f = flow(&mut g);
                body.push_str(&format!("{indent}  on {o} -> {f}\n"));
            }
            if g.chance(40) {
                let f = flow(&mut g);
                body.push_str(&format!("{indent}  otherwise -> {f}\n"));
            }
        }
        if t > 0 {
            body.push_str("  }\n");
        }
    }
    let exits = exits.join("\n");
    format!(
        r#"calendar cal {{
  timezone "Asia/Shanghai"
  workdays mon..fri
  hours 09:00..12:00, 13:30..18:00
  holidays 2026-10-01..2026-10-08
  workday 2026-09-27
}}

pipeline p {{
  calendar cal
  events e1
  stage s {{ exit to lost when {stage_exit} }}
  stage won {{ outcome won }}
  stage lost {{ outcome lost }}
}}

cadence c {{
  pipeline p stage s
{active}{hand_off}{exits}
{body}}}

cadence b {{
  pipeline p stage s
{b_body}}}

leads l {{
  count 1000
  arrivals 100 per day
  respond email {{
    delivered 75%, opened 60%, clicked 30%, replied 15%, bounced 15%, unsubscribed 5%
  }}
  respond call {{ connected 25%, voicemail 25%, bad_number 20% }}
  respond sms {{ delivered 60%, replied 20%, failed 25%, opted_out 5% }}
  respond meeting {{ booked 60%, held 30%, no_show 15%, cancelled 10% }}
  respond task {{ completed 50%, skipped 30% }}
}}
"#
    )
}

/// 2026-09-14 09:00 Asia/Shanghai in minutes since the epoch: leads arrive across the
/// National Day holiday.
const START: f64 = 29_822_460.0;

/// The steps reached (touched or passed over) and whether some gap between touches exceeded the
/// idle limit.
fn simulate(model: &Model, leads: u64) -> (Vec<bool>, u64) {
    let p = simulate::compile(model, 0, 0).expect("program");
    let cfg = Config {
        seed: 7,
        count: leads,
        start: START,
        horizon_minutes: 3.0 * 365.0 * 1440.0,
        precision: None,
        max_count: leads,
        arrival_window_minutes: 0.0,
    };
    let t = simulate::simulate(&p, &cfg, |_, _| {});
    // the steps of the generated cadence (the program's first), and a stage change ending any
    // cadence of the run (the one handed off to included)
    (
        p.cadences[0]
            .steps
            .clone()
            .map(|i| t.step_reached[i] + t.step_skipped[i] > 0)
            .collect(),
        p.cadences
            .iter()
            .map(|c| t.reasons[c.reason_base + STAGE_CHANGED])
            .sum(),
    )
}

fn one_case(seed: u64) {
    // the checker's answers, on a stage nothing ends early
    let loops = cadence::check::check(&Project::from_texts(&[(
        "t.cadence",
        &cadence_text(seed, "age > 3000d", false),
    )]))
    .diagnostics
    .iter()
    .any(|d| d.code.code == "E0405");
    let (model, _) = checked(&cadence_text(seed, "age > 3000d", loops));
    let c = &model.cadences[0];
    let graph = StepGraph::new(c);
    let reach = graph.reachable();
    // a bound used up only by coming back over other bounded jumps needs counting the graph
    // does not do (it keeps the edge, to stay sound): there, only "simulator within checker"
    // a skip condition or a window may hold on every path that reaches a step: the graph keeps
    // both ways (to stay sound), the simulator may take one
    let exact = graph
        .edges
        .iter()
        .filter(|j| matches!(j.how, How::Jump { bounded: true }))
        .all(|j| j.step().is_some_and(|t| graph.reaches_unbounded(t, j.from)))
        && !c.has_skips()
        && c.window.is_none();
    let playbook = c.has_skips() || c.window.is_some();
    let gaps = cadence::check::touch_gaps(&model, 0);
    let entry = cadence::check::entry_gap(&model, 0).expect("entry gap");
    let mut worst = gaps.iter().map(|g| g.2).max().unwrap_or(0).max(entry);
    // a hand-off: the wait until `c` runs out, then `b`'s first touch; then `b`'s own gaps
    if c.hand_off.is_some() {
        let b_entry = cadence::check::entry_gap(&model, 1).expect("b's entry gap");
        let b_gaps = cadence::check::touch_gaps(&model, 1);
        let run_out = cadence::check::run_out_gap(&model, 0).unwrap_or(0);
        worst = worst
            .max(run_out + b_entry)
            .max(b_gaps.iter().map(|g| g.2).max().unwrap_or(0));
    }
    // the same cadence on a stage that ends the deal the moment a gap exceeds the worst case;
    // the checker counts whole minutes, the engine's instants are fractional (arrivals)
    let text = cadence_text(seed, &format!("idle > {}min", worst + 1), loops);
    let (model, _) = checked(&text);
    let mut leads = 4000;
    loop {
        let (reached, too_long) = simulate(&model, leads);
        assert_eq!(too_long, 0, "a gap longer than {worst} min\n{text}");
        for (i, r) in reached.iter().enumerate() {
            assert!(
                !r || reach[i],
                "the simulator reached step {i}, the checker says unreachable\n{text}"
            );
        }
        if reached == reach || (!exact && leads >= 64_000) || (playbook && leads >= 16_000) {
            return;
        }
        // rare paths need more leads
        assert!(
            leads < 256_000,
            "reachable {reach:?}, simulator reached {reached:?}\n{text}"
        );
        leads *= 4;
    }
}

fn cases() -> u32 {
    std::env::var("GRAPH_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]
    #[test]
    fn simulator_and_checker_agree_on_the_step_graph(seed in any::<u64>()) {
        one_case(seed);
    }
}

const BOUNDED: &str = r#"
pipeline p {
  max_gap 15d
  stage s { exit to lost when age > 3000d }
  stage lost { outcome lost }
}

cadence c {
  pipeline p stage s
  step a_daily call "Daily call" after 1d
    on connected -> exit reached
    otherwise -> a_daily at most 3 times
  step slow call "Slow call" after 30d
    on connected -> exit reached
}
"#;

/// Issue 9, defect 1: a bounded jump falls through once its bound is used up.
#[test]
fn a_used_bound_falls_through_to_the_next_step() {
    let (_, diags) = checked_any(BOUNDED);
    let codes: Vec<&str> = diags.iter().map(|d| d.code.code).collect();
    assert!(!codes.contains(&"W0406"), "{codes:?}");
    assert!(
        diags
            .iter()
            .any(|d| d.code.code == "E0412" && d.message.contains("`slow`")),
        "{codes:?}"
    );
}

fn checked_any(text: &str) -> (Model, Vec<Diagnostic>) {
    let c = cadence::check::check(&Project::from_texts(&[("t.cadence", text)]));
    (c.model, c.diagnostics)
}
