//! Generated projects for the check and fmt benchmarks and the tests that guard them.
//!
//! "Own calendar" tree: every file is one team's whole setup — its own calendar (a region's
//! holidays and make-up days, its hours, a team offsite day), a pipeline with `max_gap` and
//! `respond within`, and the cadences that work its stages. `distinct` says how many different
//! calendar texts the files use (files copy a calendar under their own name); with `distinct ==
//! files` every calendar differs, so nothing can be shared between files.
#![allow(dead_code)]

/// A region's calendar lines: (time zone, hours (start, end) in minutes, holidays, make-up days).
struct Region {
    tz: &'static str,
    hours: &'static [(u32, u32)],
    holidays: &'static str,
    workday: &'static str,
}

const REGIONS: [Region; 4] = [
    Region {
        tz: "Asia/Shanghai",
        hours: &[(540, 720), (810, 1080)],
        holidays: "2026-01-01..2026-01-03, 2026-02-15..2026-02-23, 2026-04-04..2026-04-06,\n           2026-05-01..2026-05-05, 2026-06-19..2026-06-21, 2026-09-25..2026-09-27,\n           2026-10-01..2026-10-07",
        workday: "2026-01-04, 2026-02-14, 2026-02-28, 2026-05-09, 2026-09-20, 2026-10-10",
    },
    Region {
        tz: "Europe/Berlin",
        hours: &[(510, 750), (810, 1020)],
        holidays: "2026-01-01, 2026-04-03, 2026-04-06, 2026-05-01, 2026-05-14, 2026-05-25,\n           2026-12-24..2026-12-26, 2026-12-31, 2027-01-01",
        workday: "2026-09-12",
    },
    Region {
        tz: "America/New_York",
        hours: &[(540, 1020)],
        holidays: "2026-01-01, 2026-01-19, 2026-05-25, 2026-07-03, 2026-09-07, 2026-11-26..2026-11-27,\n           2026-12-24..2026-12-25",
        workday: "2026-06-27",
    },
    Region {
        tz: "Asia/Tokyo",
        hours: &[(540, 1080)],
        holidays: "2026-01-01..2026-01-03, 2026-04-29, 2026-05-03..2026-05-06, 2026-08-13..2026-08-16,\n           2026-12-29..2026-12-31",
        workday: "2026-08-22",
    },
];

/// The weekdays of March 2026 (no region has a holiday then): a team's offsite day.
fn offsite(k: usize) -> String {
    let weekdays: Vec<u32> = (2..=31).filter(|d| !matches!(d % 7, 0 | 1)).collect();
    // 2026-03-07 is a Saturday: days with d % 7 == 0 (Sat) or 1 (Sun) are the weekend
    format!("2026-03-{:02}", weekdays[k % weekdays.len()])
}

fn clock(m: u32) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// The calendar text of variant `v` under the name `name`: region `v % 4`; teams of one region
/// differ by their offsite day and by opening up to 55 minutes earlier.
pub fn calendar(name: &str, v: usize) -> String {
    let r = &REGIONS[v % REGIONS.len()];
    let k = v / REGIONS.len();
    let early = 5 * ((k / 22) % 12) as u32;
    let hours: Vec<String> = r
        .hours
        .iter()
        .enumerate()
        .map(|(i, &(s, e))| {
            let s = if i == 0 { s - early } else { s };
            format!("{}..{}", clock(s), clock(e))
        })
        .collect();
    format!(
        "calendar {name} {{\n  timezone \"{}\"\n  workdays mon..fri\n  hours {}\n  holidays {}\n  holidays {}  # team offsite\n  workday {}\n}}\n",
        r.tz,
        hours.join(", "),
        r.holidays,
        offsite(k),
        r.workday
    )
}

/// File `i` of the own-calendar tree, with calendar variant `i % distinct`.
pub fn own_calendar_file(i: usize, distinct: usize) -> String {
    let cal = calendar(&format!("team_{i}"), i % distinct.max(1));
    format!(
        r#"# team {i}: its calendar, its pipeline and the cadences that work it
{cal}
pipeline p{i} {{
  title "Team {i}"
  calendar team_{i}
  facts {{
    amount: money
    source: text
  }}
  events discovery_done, proposal_sent, signed
  roles owner, manager
  max_gap 15d
  stage lead "潜在客户" {{
    respond within 4 business hours
    exit to qualified when discovery_done
    exit to lost when idle > 90d
    escalate manager when dwell > 7d
  }}
  stage qualified "合格商机" {{
    respond within 1 business day
    exit to won when signed
    exit to lost when idle > 60d
  }}
  stage won "成交" {{ outcome won }}
  stage lost "输单" {{ outcome lost }}
}}

cadence inbound_{i} {{
  title "Inbound {i}"
  pipeline p{i} stage lead
  calendar team_{i}
  enroll when source == "web_form"
  exit replied on reply -> task "Call back today" assign owner
  exit bounced on bounce -> task "Check the address" assign owner
  exit unsubscribed on unsubscribe -> task "Follow up by phone" assign owner

  step welcome email "Thanks" template "welcome" immediately
  step call_1 call "First call" after 2 business hours assign owner
    on connected -> set discovery_done
    on no_answer -> call_1 at most 2 times
  step story email "Customer story" template "case" after 3 business days
  step call_2 call "Second call" after 4 business days assign owner
    on connected -> set discovery_done
  step nudge email "Any questions?" template "nudge" after 2 business days at 10:00
  step last email "Closing the loop" template "breakup" after 5d
    otherwise -> task "No answer: nurture or archive" assign owner
}}

cadence qualified_{i} {{
  pipeline p{i} stage qualified
  calendar team_{i}
  exit replied on reply -> task "Call back today" assign owner
  exit bounced on bounce -> task "Check the address" assign owner
  exit unsubscribed on unsubscribe -> task "Follow up by phone" assign owner

  step next_steps email "Next steps" template "next_steps" immediately
  step plan_call call "Plan call" after 2 business days assign owner
    on connected -> set proposal_sent
  step proposal email "Proposal" template "proposal" after 3 business days
  step close_call call "Closing call" after 3 business days assign owner
    on connected -> set signed, task "Send the contract" assign owner
    otherwise -> task "Review the deal" assign owner
}}
"#
    )
}

/// The own-calendar tree: `files` files named `team_NNNN.cadence`.
pub fn own_calendar_tree(files: usize, distinct: usize) -> Vec<(String, String)> {
    (0..files)
        .map(|i| {
            (
                format!("team_{i:04}.cadence"),
                own_calendar_file(i, distinct),
            )
        })
        .collect()
}
