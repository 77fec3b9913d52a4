//! Business days in a HubSpot sequence. HubSpot runs a step whole days (24-hour intervals) after
//! the previous one and, with "Send follow-ups on weekdays only" (on by default), moves a step
//! that falls on a Saturday or Sunday to Monday at the same time
//! (<https://knowledge.hubspot.com/sequences/what-time-will-steps-execute-sequences>). So
//! "Friday + 2 business days" is Tuesday on the team's calendar but Monday in HubSpot with a
//! 2-day delay. [`business_days`] finds the delay that lands on the team's day from every weekday
//! the previous touch can fall on, or says where no delay does.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// A Monday: the week the weekday examples of a mismatch are dated in.
const REFERENCE_MONDAY: (i32, u32, u32) = (2026, 1, 5);

/// The weekdays, Monday first.
pub const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// The day HubSpot runs a step `days` after a touch on `from`.
pub fn hubspot_day(from: NaiveDate, days: u32, weekdays_only: bool) -> NaiveDate {
    let d = from + Duration::days(i64::from(days));
    match d.weekday() {
        Weekday::Sat if weekdays_only => d + Duration::days(2),
        Weekday::Sun if weekdays_only => d + Duration::days(1),
        _ => d,
    }
}

/// The `n`-th working day after `from` by the weekly pattern (`workdays[0]` = Monday).
fn team_day(from: NaiveDate, n: u32, workdays: [bool; 7]) -> Option<NaiveDate> {
    if !workdays.contains(&true) {
        return None;
    }
    let (mut d, mut k) = (from, 0);
    while k < n {
        d = d.succ_opt()?;
        if workdays[d.weekday().num_days_from_monday() as usize] {
            k += 1;
        }
    }
    Some(d)
}

/// Where HubSpot and the team's calendar part: a touch on `from`, the team's next day, HubSpot's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mismatch {
    pub from: NaiveDate,
    pub team: NaiveDate,
    pub hubspot: NaiveDate,
}

/// The HubSpot delay in days for a wait of `n` business days on a calendar working `workdays`,
/// after a touch on any of `starts`: `Ok(days)` when one delay lands on the team's day from each
/// of them; else the delay that does from most of them (the shortest of those), with the first
/// start (Monday first) where it does not. Holidays are not seen here (HubSpot has none).
pub fn business_days(
    n: u32,
    workdays: [bool; 7],
    weekdays_only: bool,
    starts: &[Weekday],
) -> Result<u32, (u32, Mismatch)> {
    let (y, m, d) = REFERENCE_MONDAY;
    let monday = NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN);
    let froms: Vec<NaiveDate> = starts
        .iter()
        .map(|w| monday + Duration::days(i64::from(w.num_days_from_monday())))
        .collect();
    let targets: Vec<Option<NaiveDate>> = froms.iter().map(|&f| team_day(f, n, workdays)).collect();
    let misses = |days: u32| -> Vec<Mismatch> {
        froms
            .iter()
            .zip(&targets)
            .filter_map(|(&from, &team)| {
                let hubspot = hubspot_day(from, days, weekdays_only);
                let team = team.unwrap_or(from);
                (team != hubspot).then_some(Mismatch {
                    from,
                    team,
                    hubspot,
                })
            })
            .collect()
    };
    // the team's day is at most a week (plus two weekend days) per five business days away
    let longest = n.saturating_mul(3).saturating_add(7);
    let mut best: Option<(u32, Mismatch, usize)> = None;
    for days in n..=longest {
        let m = misses(days);
        match m.first() {
            None => return Ok(days),
            Some(&first) => {
                if best.map(|(_, _, k)| m.len() < k).unwrap_or(true) {
                    best = Some((days, first, m.len()));
                }
            }
        }
    }
    match best {
        Some((days, m, _)) => Err((days, m)),
        None => Ok(n),
    }
}

/// A date with its weekday, for messages: `Fri 2026-01-09`.
pub fn dated(d: NaiveDate) -> String {
    format!("{} {d}", d.format("%a"))
}
