#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly
//! Benchmark: `check` of a generated project of 1,000 files of ~100 lines each.
//! Run with `cargo bench --bench check`; prints wall-clock figures (best of several runs).

use std::time::Instant;

use cadence::project::Project;

const CALENDAR: &str = r#"calendar office {
  timezone "Asia/Shanghai"
  workdays mon..fri
  hours 09:00..12:00, 13:30..18:00
  holidays 2026-10-01..2026-10-07, 2027-01-01
  workday 2026-09-27, 2026-10-10
}
"#;

/// One ~100-line file: a pipeline with gates and escalations, a cadence, a lead model and a test.
fn file(i: usize) -> String {
    format!(
        r#"# generated file {i}
pipeline p{i} {{
  title "Pipeline {i}"
  calendar office
  facts {{
    amount: money = field "Amount"
    budget: money
    authority: bool
    need: bool
    timeline: duration
    fit: score
    source: text
  }}
  events demo_held, verified, compliant, signed, lost_deal
  roles owner, manager, director, executive
  max_gap 15d
  no_skip
  no_backward except evaluation -> needs

  stage lead "潜在客户" {{
    respond within 4 business hours
    exit to needs when budget >= 50k CNY and authority and need and timeline <= 90d
    exit to lost when idle > 90d as "archived"
    escalate manager when dwell > 7d
  }}
  stage needs "需求确认" {{
    require demo_held
    exit to evaluation when demo_held
    exit to lost when idle > 90d
    escalate director when dwell > 14d then task "Review stalled deal"
  }}
  stage evaluation "方案评估" {{
    exit to purchase when fit >= 0.7 and verified and compliant
    exit to needs when not verified and dwell > 30d
    exit to lost when lost_deal
    escalate executive when amount > 1m CNY
  }}
  stage purchase "决策采购" {{
    exit to won when signed
    exit to lost when dwell > 60d
  }}
  stage won "成交" {{ outcome won }}
  stage lost "输单" {{ outcome lost }}
}}

cadence c{i} {{
  title "Inbound {i}"
  pipeline p{i} stage lead
  calendar office
  enroll when source == "web_form"
  exit replied on reply
  exit meeting on meeting_booked -> stage needs
  exit bounced on bounce -> task "Fix the email address"
  exit unsubscribed on unsubscribe
  step welcome email "Thanks" template "welcome" immediately
  step call_1 call "Discovery call" after 4 business hours
    on connected -> discovery
    on no_answer -> call_1 at most 2 times
  step story email "Customer story" after 2 business days
    variant a 50% template "case_a"
    variant b 50% template "case_b"
    on opened 3 times within 2d -> hot_call
  step call_2 call after 3 business days assign owner priority high
  step breakup email "Closing the loop" template "breakup" after 5 business days
  track hot {{
    step hot_call call "Call now" after 1h
      on connected -> discovery
      otherwise -> breakup
  }}
  track meeting {{
    step discovery meeting "Discovery" after 1 business day
      on held -> set demo_held, stage needs, exit qualified
  }}
}}

leads l{i} {{
  count 10_000
  arrivals 400 per week
  fact source = "web_form"
  fact amount = lognormal(median 80k CNY, p90 400k CNY)
  fact budget = lognormal(median 70k CNY, p90 300k CNY)
  fact authority = 40%
  fact need = 65%
  fact timeline = uniform(14d, 180d)
  fact fit = beta(4, 3)
  segment enterprise 20% {{
    fact amount = lognormal(median 600k CNY, p90 3m CNY)
  }}
  respond email {{ delivered 95%, opened 42%, clicked 6%, replied 3.4%, bounced 5%, unsubscribed 1.5% }}
  respond call {{ connected 9.9%, voicemail 40%, bad_number 2% }}
  respond meeting {{ held 80%, no_show 15% }}
  fatigue 0.85 per touch
  milestone demo_held in needs 70% after gamma(mean 10d, shape 2)
  milestone verified in evaluation 60% after gamma(mean 7d, shape 2)
  milestone compliant in evaluation 80% after gamma(mean 5d, shape 2)
  milestone signed in purchase 55% after lognormal(median 20d, p90 60d)
  milestone lost_deal in evaluation 20% after gamma(mean 20d, shape 2)
}}

test "reply ends cadence {i}" {{
  cadence c{i}
  lead {{ source = "web_form", budget = 120k CNY, authority = true }}
  enroll at 2026-11-02 10:00
  when welcome.replied at +3h
  expect exit replied
  expect touches 1
}}
"#
    )
}

fn main() {
    let mut texts: Vec<(String, String)> = vec![("calendar.cadence".into(), CALENDAR.into())];
    for i in 0..1000 {
        texts.push((format!("gen_{i:04}.cadence"), file(i)));
    }
    let lines: usize = texts.iter().map(|(_, t)| t.lines().count()).sum();
    let bytes: usize = texts.iter().map(|(_, t)| t.len()).sum();

    // Also through the file system, as `cadence check DIR` does.
    let dir = std::env::temp_dir().join(format!("cadence-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    for (name, text) in &texts {
        let _ = std::fs::write(dir.join(name), text);
    }

    let mut best_mem = f64::MAX;
    let mut best_fs = f64::MAX;
    let mut diagnostics = 0;
    for _ in 0..5 {
        let refs: Vec<(&str, &str)> = texts
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        let t = Instant::now();
        let project = Project::from_texts(&refs);
        let checked = cadence::check::check(&project);
        best_mem = best_mem.min(t.elapsed().as_secs_f64());
        diagnostics = checked.diagnostics.len();

        let t = Instant::now();
        let (runs, _) = cadence::cli::check_paths(std::slice::from_ref(&dir));
        best_fs = best_fs.min(t.elapsed().as_secs_f64());
        assert_eq!(runs.len(), 1);
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "check benchmark: {} files, {lines} lines, {:.1} MB",
        texts.len(),
        bytes as f64 / 1e6
    );
    println!("  diagnostics found: {diagnostics} (expected 0)");
    assert_eq!(diagnostics, 0, "the generated project must check clean");
    println!(
        "  in memory (parse + check): {:.0} ms  ({:.0} lines/s)",
        best_mem * 1e3,
        lines as f64 / best_mem
    );
    println!(
        "  from disk (read + parse + check): {:.0} ms",
        best_fs * 1e3
    );
    println!(
        "  target: under 1000 ms on the 2-core machine: {}",
        if best_fs < 1.0 { "met" } else { "NOT met" }
    );
}
