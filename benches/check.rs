#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // a benchmark may fail loudly
//! Benchmark: `check` and `fmt` of generated projects of 1,000 files. `cargo bench --bench check`.
//!
//! Two shapes: a shared calendar (one calendar file, 1,000 files of ~130 lines naming it) and
//! own calendars (every file declares its own calendar, pipeline with `max_gap` and `respond
//! within`, and cadences; see tests/common/tree.rs), the latter with calendar texts copied from
//! a few variants and with every calendar different. Each is checked in memory, from disk in
//! this process, and by the `cadence` binary (`check DIR`, `fmt --check DIR`: wall and CPU
//! time); read + parse of the same tree in this process is the reference the ratios are taken
//! against, so that they hold on a busy machine.
//!
//! `cargo bench --bench check -- --write DIR [--distinct N]` only writes the own-calendar tree
//! (1,000 files, N different calendars, default 1,000) to DIR, for profilers and hyperfine.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use cadence::project::Project;

#[path = "../tests/common/tree.rs"]
mod tree;

const CALENDAR: &str = r#"calendar office {
  timezone "Asia/Shanghai"
  workdays mon..fri
  hours 09:00..12:00, 13:30..18:00
  holidays 2026-10-01..2026-10-07, 2027-01-01
  workday 2026-09-27, 2026-10-10
}
"#;

/// One ~130-line file: a pipeline with gates and escalations, a cadence with tracks, variants and
/// bounded jumps, a cadence per stage a deal moves to, a lead model and a test.
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
  exit replied on reply -> task "Call back today"
  exit meeting on meeting_booked -> stage needs
  exit bounced on bounce -> task "Fix the email address"
  exit unsubscribed on unsubscribe -> task "Follow up by phone"
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
    otherwise -> task "Decide: nurture or archive"
  track hot {{
    step hot_call call "Call now" after 1h
      on connected -> discovery
      otherwise -> breakup
  }}
  track meeting {{
    step discovery meeting "Discovery" after 1 business day
      on held -> set demo_held, stage needs
      otherwise -> task "Reschedule the discovery"
  }}
}}

# the stages a deal moves to are worked at once (max_gap holds over the live deal)
cadence needs{i} {{
  pipeline p{i} stage needs
  exit replied on reply -> task "Call back today"
  step recap call "Recap the needs" immediately
    otherwise -> task "Plan the demo"
}}

cadence evaluation{i} {{
  pipeline p{i} stage evaluation
  exit replied on reply -> task "Call back today"
  step proposal call "Walk through the proposal" immediately
    otherwise -> task "Follow up on the proposal"
}}

cadence purchase{i} {{
  pipeline p{i} stage purchase
  exit replied on reply -> task "Call back today"
  step terms call "Agree the terms" immediately
    otherwise -> task "Chase the signature"
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
  respond email {{
    delivered 95%, opened 42%, clicked 6%, replied 3.4%, bounced 5%, unsubscribed 1.5%
  }}
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

/// The shared-calendar tree: a calendar file and 1,000 files naming it.
fn shared_tree() -> Vec<(String, String)> {
    let mut texts: Vec<(String, String)> = vec![("calendar.cadence".into(), CALENDAR.into())];
    for i in 0..1000 {
        texts.push((format!("gen_{i:04}.cadence"), file(i)));
    }
    texts
}

fn write_tree(dir: &Path, texts: &[(String, String)]) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    for (name, text) in texts {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

/// CPU seconds (user + system) used by this process's waited-for children so far (Linux).
fn children_cpu() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // fields after the command name, which is in parentheses: cutime and cstime are 16 and 17
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(13)?.parse::<f64>().ok()? + f.get(14)?.parse::<f64>().ok()?;
    Some(ticks / 100.0) // USER_HZ is 100 on Linux
}

/// Best wall time of `runs` runs of `f`.
fn best_of(runs: usize, mut f: impl FnMut()) -> f64 {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::MAX, f64::min)
}

/// The `cadence` binary on `args`: best wall time and the CPU time of that run; the exit code
/// must be 0.
fn process(args: &[&std::ffi::OsStr], runs: usize) -> (f64, Option<f64>) {
    let mut best = (f64::MAX, None);
    for _ in 0..runs {
        let cpu0 = children_cpu();
        let t = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_cadence"))
            .args(args)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let wall = t.elapsed().as_secs_f64();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let cpu = children_cpu().zip(cpu0).map(|(a, b)| a - b);
        if wall < best.0 {
            best = (wall, cpu);
        }
    }
    best
}

struct Figures {
    parse: f64,
    check: (f64, Option<f64>),
    fmt: (f64, Option<f64>),
}

fn measure(name: &str, texts: &[(String, String)], dir: &Path) -> Figures {
    write_tree(dir, texts);
    let lines: usize = texts.iter().map(|(_, t)| t.lines().count()).sum();
    let bytes: usize = texts.iter().map(|(_, t)| t.len()).sum();
    let refs: Vec<(&str, &str)> = texts
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let mut files = Vec::new();
    let mut errs = Vec::new();
    cadence::project::collect_dir(dir, &mut files, &mut errs);
    assert!(errs.is_empty() && files.len() == texts.len());

    let checked = cadence::check::check(&Project::from_texts(&refs));
    let found: Vec<String> = checked
        .diagnostics
        .iter()
        .take(3)
        .map(|d| format!("{} {}", d.code.code, d.message))
        .collect();
    assert!(
        found.is_empty(),
        "{name}: the tree must check clean: {found:?}"
    );

    let runs = 5;
    let parse = best_of(runs, || {
        let p = Project::load_in(Some(dir), &files);
        assert_eq!(p.files.len(), texts.len());
    });
    let memory = best_of(runs, || {
        let c = cadence::check::check(&Project::from_texts(&refs));
        assert!(c.diagnostics.is_empty());
    });
    let disk = best_of(runs, || {
        let (r, io) = cadence::cli::check_paths(&[dir.to_path_buf()]);
        assert!(!io && r.len() == 1 && r[0].1.is_empty());
    });
    let d = dir.as_os_str();
    let check = process(&["check".as_ref(), d], runs);
    let fmt = process(&["fmt".as_ref(), "--check".as_ref(), d], runs);

    println!(
        "{name}: {} files, {lines} lines, {:.1} MB, 0 diagnostics",
        texts.len(),
        bytes as f64 / 1e6
    );
    let ms = |s: f64| format!("{:>6.0} ms", s * 1e3);
    let cpu = |c: Option<f64>| c.map_or(String::new(), |c| format!(", CPU {:.0} ms", c * 1e3));
    println!("  read + parse (reference):        {}", ms(parse));
    println!(
        "  parse + check, in memory:        {}  ({:.0} lines/s)",
        ms(memory),
        lines as f64 / memory
    );
    println!(
        "  read + parse + check from disk:  {}  {:>5.1}x the reference",
        ms(disk),
        disk / parse
    );
    println!(
        "  `cadence check DIR`:             {}  {:>5.1}x the reference{}",
        ms(check.0),
        check.0 / parse,
        cpu(check.1)
    );
    println!(
        "  `cadence fmt --check DIR`:       {}  {:>5.1}x the reference{}",
        ms(fmt.0),
        fmt.0 / parse,
        cpu(fmt.1)
    );
    Figures { parse, check, fmt }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |f: &str| {
        args.iter()
            .position(|a| a == f)
            .and_then(|i| args.get(i + 1))
    };
    if let Some(dir) = flag("--write") {
        let distinct = flag("--distinct").map_or(1000, |n| n.parse().unwrap());
        write_tree(Path::new(dir), &tree::own_calendar_tree(1000, distinct));
        println!("wrote 1,000 files with {distinct} different calendars to {dir}");
        return;
    }

    let base: PathBuf = std::env::temp_dir().join(format!("cadence-bench-{}", std::process::id()));
    let threads = rayon::current_num_threads();
    println!(
        "check benchmark ({threads} threads; best of 5; figures vary ±15% on a shared machine)"
    );
    let shared = measure("shared calendar", &shared_tree(), &base.join("shared"));
    let copied = measure(
        "own calendar per file, copied from 8 variants",
        &tree::own_calendar_tree(1000, 8),
        &base.join("copied"),
    );
    let distinct = measure(
        "own calendar per file, all 1,000 different",
        &tree::own_calendar_tree(1000, 1000),
        &base.join("distinct"),
    );
    let _ = std::fs::remove_dir_all(&base);

    println!("ratios (same run):");
    for (n, f) in [("copied", &copied), ("distinct", &distinct)] {
        println!(
            "  own calendar ({n}) / shared calendar, `check DIR`: {:.2}x (per reference: {:.2}x)",
            f.check.0 / shared.check.0,
            (f.check.0 / f.parse) / (shared.check.0 / shared.parse)
        );
    }
    let target = |s: f64| if s < 1.0 { "met" } else { "NOT met" };
    println!("targets (under 1,000 ms on the 2-core machine, whole process):");
    for (n, f) in [
        ("shared calendar", &shared),
        ("own calendar, copied", &copied),
        ("own calendar, all different", &distinct),
    ] {
        println!(
            "  {n}: check {} ({:.0} ms), fmt {} ({:.0} ms)",
            target(f.check.0),
            f.check.0 * 1e3,
            target(f.fmt.0),
            f.fmt.0 * 1e3
        );
    }
}
