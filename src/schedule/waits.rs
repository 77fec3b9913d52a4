//! The waits that produced a touch time, in words: the timing, the closed days passed over
//! (holidays, weekends), make-up workdays, a move to the next opening, a DST change. The touch
//! time itself is [`Calendar::schedule`]'s; these only say why.

use chrono::{DateTime, Datelike, NaiveDate, Offset, TimeZone, Utc};
use serde::Serialize;

use crate::calendar::{Calendar, Delay, Timing};
use crate::model::DateWindow;
use crate::words::length_text;

/// One reason in a touch's wait.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Wait {
    /// `timing`, `holiday`, `closed_day`, `makeup_workday`, `moved_to_opening`, `dst`,
    /// `outside_dates`, `given`
    pub kind: &'static str,
    pub text: String,
    /// the dates it is about (closed days, make-up days)
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "iso_dates")]
    pub dates: Vec<NaiveDate>,
}

fn iso_dates<S: serde::Serializer>(d: &[NaiveDate], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(d.iter().map(|d| d.format("%Y-%m-%d").to_string()))
}

impl Wait {
    fn new(kind: &'static str, text: String) -> Wait {
        Wait {
            kind,
            text,
            dates: Vec::new(),
        }
    }

    pub(super) fn given(cal: &Calendar, t: DateTime<Utc>) -> Wait {
        let open = if cal.is_open(t) {
            ""
        } else {
            " (the calendar is closed then)"
        };
        Wait::new("given", format!("touched at the given time{open}"))
    }

    pub(super) fn outside_dates(w: Option<DateWindow>) -> Wait {
        let text = match w {
            Some(w) => format!("due outside its dates {}..{}: passed over", w.from, w.to),
            None => "passed over".into(),
        };
        Wait::new("outside_dates", text)
    }
}

/// `after 4 business days`, `after 2h then at 10:00`, `immediately`.
pub fn timing_text(t: Timing) -> String {
    let delay = match t.delay {
        Delay::Zero => None,
        Delay::Wall { minutes } => Some(format!("after {}", length_text(minutes))),
        Delay::BusinessDays(n) => Some(format!(
            "after {n} business day{}",
            if n == 1 { "" } else { "s" }
        )),
        Delay::BusinessMinutes(m) if m % 60 == 0 => Some(format!(
            "after {} business hour{}",
            m / 60,
            if m == 60 { "" } else { "s" }
        )),
        Delay::BusinessMinutes(m) => Some(format!("after {m} business minutes")),
    };
    let clock = t.at_clock.map(|m| {
        let hm = format!("{:02}:{:02}", m / 60, m % 60);
        if t.is_anchor() {
            let days: Vec<&str> = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
                .iter()
                .enumerate()
                .filter(|(i, _)| t.weekdays & (1 << i) != 0)
                .map(|(_, d)| *d)
                .collect();
            format!("on the next {} at {hm}", days.join("/"))
        } else {
            format!("at {hm}")
        }
    });
    match (delay, clock) {
        (None, None) => "immediately".into(),
        (Some(d), None) => d,
        (None, Some(c)) => c,
        (Some(d), Some(c)) => format!("{d}, then {c}"),
    }
}

/// Why a touch scheduled with `timing` from `from` falls at `at`.
pub(super) fn explain(
    cal: &Calendar,
    from: DateTime<Utc>,
    timing: Timing,
    at: DateTime<Utc>,
) -> Vec<Wait> {
    let local = |t: DateTime<Utc>| cal.tz.from_utc_datetime(&t.naive_utc());
    let (d0, d1) = (local(from).date_naive(), local(at).date_naive());
    let mut out = vec![Wait::new("timing", timing_text(timing))];
    let due = due_before_opening(cal, from, timing).filter(|d| *d < at);
    // the closed days passed over and the make-up days worked: over the whole wait when it
    // counts business time, else between the due time and the opening it moved to
    let business = matches!(
        timing.delay,
        Delay::BusinessDays(_) | Delay::BusinessMinutes(_)
    );
    let d0 = match (business, due) {
        (true, _) => d0,
        (false, Some(due)) => local(due).date_naive(),
        (false, None) => d1,
    };
    let mut holidays = Vec::new();
    let mut closed = Vec::new();
    let mut makeup = Vec::new();
    let mut d = d0;
    while d < d1 {
        let Some(n) = d.succ_opt() else { break };
        d = n;
        let weekday_off = !cal.workdays[d.weekday().num_days_from_monday() as usize];
        if cal.makeup_workdays.contains(&d) && weekday_off {
            makeup.push(d);
        } else if d < d1 && !cal.is_working_day(d) {
            if cal.holidays.contains(&d) {
                holidays.push(d);
            } else {
                closed.push(d);
            }
        }
    }
    if !holidays.is_empty() {
        out.push(Wait {
            kind: "holiday",
            text: format!("holidays {} passed over", ranges_text(&holidays)),
            dates: holidays,
        });
    }
    if !closed.is_empty() {
        out.push(Wait {
            kind: "closed_day",
            text: format!("non-working days {} passed over", ranges_text(&closed)),
            dates: closed,
        });
    }
    if !makeup.is_empty() {
        out.push(Wait {
            kind: "makeup_workday",
            text: format!(
                "make-up workday{} {} worked",
                if makeup.len() == 1 { "" } else { "s" },
                makeup
                    .iter()
                    .map(|d| d.format("%Y-%m-%d (%a)").to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            dates: makeup,
        });
    }
    if let Some(due) = due {
        out.push(Wait::new(
            "moved_to_opening",
            format!(
                "due {}, outside business hours: moved to the next opening",
                cal.local_label(due)
            ),
        ));
    }
    let d0 = local(from).date_naive();
    let (o0, o1) = (local(from).offset().fix(), local(at).offset().fix());
    if o0 != o1 {
        let change = d0
            .iter_days()
            .take_while(|d| *d <= d1)
            .find(|d| {
                cal.local_instant(*d, 1440)
                    .map(|t| local(t).offset().fix() != o0)
                    .unwrap_or(false)
            })
            .map(|d| format!(" on {d}"))
            .unwrap_or_default();
        out.push(Wait::new(
            "dst",
            format!(
                "the clocks change{change}: UTC{o0} → UTC{o1}, so the wall-clock wait is {} ",
                if o1.local_minus_utc() > o0.local_minus_utc() {
                    "an hour shorter"
                } else {
                    "an hour longer"
                }
            )
            .trim_end()
            .to_string(),
        ));
    }
    out
}

/// When the touch would be due before [`Calendar::schedule`] moves it to the next opening: the
/// delay (a business-day delay at the kept clock time), then the clock time or anchor.
fn due_before_opening(cal: &Calendar, from: DateTime<Utc>, t: Timing) -> Option<DateTime<Utc>> {
    let x = match t.delay {
        Delay::Zero => from,
        Delay::Wall { minutes } => from + chrono::Duration::minutes(i64::try_from(minutes).ok()?),
        Delay::BusinessDays(n) => kept_clock(cal, from, n)?,
        Delay::BusinessMinutes(m) => cal.add_business_minutes(from, m)?,
    };
    match t.at_clock {
        Some(m) if t.is_anchor() => cal.next_anchor(from, x, t.weekdays, m),
        Some(m) => cal.next_clock(x, m),
        None => Some(x),
    }
}

/// The `n`-th working day after `from`'s local date (the next working day for `n == 0` on a
/// closed day) at `from`'s local clock, before any move to an opening.
fn kept_clock(cal: &Calendar, from: DateTime<Utc>, n: u32) -> Option<DateTime<Utc>> {
    let l = cal.tz.from_utc_datetime(&from.naive_utc());
    let mut d = l.date_naive();
    let clock = l.time();
    let minute = chrono::Timelike::num_seconds_from_midnight(&clock) / 60;
    let mut left = n;
    if n == 0 {
        // the same day when it is a working day
        for _ in 0..crate::calendar::SEARCH_DAYS {
            if cal.is_working_day(d) {
                break;
            }
            d = d.succ_opt()?;
        }
    }
    let mut walked = 0;
    while left > 0 {
        d = d.succ_opt()?;
        walked += 1;
        if walked > crate::calendar::MAX_WALK_DAYS {
            return None;
        }
        if cal.is_working_day(d) {
            left -= 1;
        }
    }
    cal.local_instant(d, minute)
}

/// `2026-10-01..2026-10-07, 2026-10-10`: runs of consecutive dates.
pub fn ranges_text(dates: &[NaiveDate]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < dates.len() {
        let mut j = i;
        while j + 1 < dates.len() && dates[j].succ_opt() == Some(dates[j + 1]) {
            j += 1;
        }
        let n = j - i + 1;
        parts.push(if n == 1 {
            format!("{} ({})", dates[i], dates[i].format("%a"))
        } else {
            format!("{}..{} ({n} days)", dates[i], dates[j])
        });
        i = j + 1;
    }
    parts.join(", ")
}
