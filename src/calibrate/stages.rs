//! Stage histories: each deal's stage entries in time order become, per stage visit, one
//! observation for every stage it could move to — a move at t to that stage is an event, a move
//! elsewhere or a deal still there when the export was taken is censored at t (what the
//! engine does: a milestone whose stage was left never fires). Terminal stages end a deal.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;
use serde::Serialize;

use super::survival::{fit_all, Estimate, Fit, Obs};
use crate::simulate::report::{wilson, Z95};

#[derive(Debug, Clone)]
pub struct Entry {
    pub deal: String,
    pub stage: String,
    pub at: NaiveDateTime,
    /// false for a bare date (midnight): a same-day move then counts as half a day
    pub timed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Transition {
    pub to: String,
    pub moves: u64,
    /// the moves as a share of the visits that left the stage (Wilson interval): the naive
    /// figure, biased while deals are open
    pub share_of_left: Estimate,
    /// mixture fits (share and delay), best AIC first; empty below three moves
    pub fits: Vec<Fit>,
    /// days, when every move came after the same time (a rule's timer: nothing to fit)
    pub fixed_delay: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StageFit {
    pub stage: String,
    pub visits: u64,
    /// visits still in the stage when the export was taken (censored)
    pub open: u64,
    pub transitions: Vec<Transition>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Arrivals {
    pub deals: u64,
    pub first: NaiveDateTime,
    pub last: NaiveDateTime,
    pub per_week: Estimate,
}

const DAY_SECONDS: f64 = 86_400.0;

fn days_between(a: &Entry, b: &NaiveDateTime, timed: bool) -> f64 {
    let d = (*b - a.at).num_seconds() as f64 / DAY_SECONDS;
    if d > 0.0 {
        d
    } else if timed {
        1.0 / 1440.0
    } else {
        0.5
    }
}

/// Each deal's entries sorted by time (a stable sort: ties keep the file's order).
pub fn by_deal(entries: Vec<Entry>) -> BTreeMap<String, Vec<Entry>> {
    let mut deals: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
    for e in entries {
        deals.entry(e.deal.clone()).or_default().push(e);
    }
    for v in deals.values_mut() {
        v.sort_by_key(|e| e.at);
    }
    deals
}

pub fn fit_stages(
    deals: &BTreeMap<String, Vec<Entry>>,
    terminal: &BTreeSet<String>,
    as_of: NaiveDateTime,
) -> Vec<StageFit> {
    // per stage: (days, next stage or None if open) for every visit
    let mut visits: BTreeMap<&str, Vec<(f64, Option<&str>)>> = BTreeMap::new();
    let mut order: Vec<&str> = Vec::new();
    for entries in deals.values() {
        for (i, e) in entries.iter().enumerate() {
            if !order.contains(&e.stage.as_str()) {
                order.push(&e.stage);
            }
            if terminal.contains(&e.stage) {
                break;
            }
            let v = visits.entry(&e.stage).or_default();
            match entries.get(i + 1) {
                Some(n) => v.push((days_between(e, &n.at, e.timed || n.timed), Some(&n.stage))),
                None => v.push((days_between(e, &as_of, true), None)),
            }
        }
    }
    order
        .iter()
        .filter_map(|&stage| {
            let v = visits.get(stage)?;
            let targets: BTreeSet<&str> = v.iter().filter_map(|x| x.1).collect();
            let left = v.iter().filter(|x| x.1.is_some()).count() as u64;
            let transitions = targets
                .into_iter()
                .map(|to| {
                    let obs: Vec<Obs> = v
                        .iter()
                        .map(|&(days, next)| Obs {
                            days,
                            event: next == Some(to),
                        })
                        .collect();
                    let moves = obs.iter().filter(|o| o.event).count() as u64;
                    let (low, high) = wilson(moves, left);
                    Transition {
                        to: to.to_string(),
                        moves,
                        share_of_left: Estimate {
                            name: "share_of_left",
                            value: moves as f64 / left.max(1) as f64,
                            low: Some(low),
                            high: Some(high),
                        },
                        fits: fit_all(&obs, true),
                        fixed_delay: super::survival::fixed_delay(&obs),
                    }
                })
                .collect();
            Some(StageFit {
                stage: stage.to_string(),
                visits: v.len() as u64,
                open: v.iter().filter(|x| x.1.is_none()).count() as u64,
                transitions,
            })
        })
        .collect()
}

/// Deals per week from each deal's first entry (a Poisson rate over the span they cover).
pub fn arrivals(deals: &BTreeMap<String, Vec<Entry>>) -> Option<Arrivals> {
    arrivals_from(
        &deals
            .values()
            .filter_map(|v| v.first())
            .map(|e| e.at)
            .collect::<Vec<_>>(),
    )
}

/// Arrivals per week from the first times of the deals or leads.
pub fn arrivals_from(firsts: &[NaiveDateTime]) -> Option<Arrivals> {
    let (first, last) = (*firsts.iter().min()?, *firsts.iter().max()?);
    let weeks = (last - first).num_seconds() as f64 / (7.0 * DAY_SECONDS);
    if firsts.len() < 2 || weeks <= 0.0 {
        return None;
    }
    // n − 1 gaps over the span: the rate's estimate; ±1.96 √(n−1) / span
    let gaps = (firsts.len() - 1) as f64;
    let half = Z95 * gaps.sqrt() / weeks;
    Some(Arrivals {
        deals: firsts.len() as u64,
        first,
        last,
        per_week: Estimate {
            name: "per_week",
            value: gaps / weeks,
            low: Some((gaps / weeks - half).max(0.0)),
            high: Some(gaps / weeks + half),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: i64) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_time(chrono::NaiveTime::MIN)
            + chrono::Duration::days(day)
    }

    fn entry(deal: &str, stage: &str, day: i64) -> Entry {
        Entry {
            deal: deal.into(),
            stage: stage.into(),
            at: at(day),
            timed: false,
        }
    }

    #[test]
    fn visits_become_events_and_censored_times() {
        let deals = by_deal(vec![
            entry("a", "lead", 0),
            entry("a", "needs", 4),
            entry("a", "won", 10),
            entry("b", "lead", 1),
            entry("b", "lost", 1),
            entry("c", "lead", 2),
        ]);
        let terminal: BTreeSet<String> = ["won".into(), "lost".into()].into();
        let fits = fit_stages(&deals, &terminal, at(20));
        assert_eq!(fits[0].stage, "lead");
        assert_eq!((fits[0].visits, fits[0].open), (3, 1));
        let to: Vec<(&str, u64)> = fits[0]
            .transitions
            .iter()
            .map(|t| (t.to.as_str(), t.moves))
            .collect();
        assert_eq!(to, [("lost", 1), ("needs", 1)]);
        // a same-day move on bare dates is half a day; the open deal is censored at its age
        assert_eq!(fits[0].transitions[0].share_of_left.value, 0.5);
        assert_eq!(fits[1].stage, "needs");
        assert!(arrivals(&deals).unwrap().per_week.value > 0.0);
    }
}
