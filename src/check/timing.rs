//! Calendar timing analyses: `max_gap` between touches and `respond within` after stage entry,
//! as worst cases over real dates of the calendar (weekends, holidays, make-up days, DST).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{Datelike, NaiveDate};

use super::Checker;
use crate::calendar::{Calendar, Delay, Measure, Memo, Prepared, Starts, Timing, WorstCase};
use crate::diagnostics::{codes, Diagnostic};
use crate::model::graph::StepGraph;
use crate::model::{self, Model};

/// The year analysed when a calendar names no dates (every such year behaves alike).
const REFERENCE_YEAR: i32 = 2026;

/// The dates a worst case ranges over: the years the calendar's holidays and make-up days cover.
pub(super) fn window(cal: &Calendar) -> (NaiveDate, NaiveDate) {
    let years = cal
        .holidays
        .iter()
        .chain(cal.makeup_workdays.iter())
        .map(|d| d.year());
    let lo = years.clone().min().unwrap_or(REFERENCE_YEAR);
    // at most two years, to bound the cost; a month early so that a touch just before the first
    // listed holiday is seen too
    let hi = years.max().unwrap_or(REFERENCE_YEAR).min(lo + 1);
    let from = NaiveDate::from_ymd_opt(lo - 1, 12, 1).unwrap_or_default();
    let to = NaiveDate::from_ymd_opt(hi, 12, 31).unwrap_or_default();
    (from, to)
}

/// Human text for a number of minutes: `16d 2h 30min`.
pub fn minutes_text(m: u64) -> String {
    let (d, h, min) = (m / 1440, (m % 1440) / 60, m % 60);
    let mut parts = Vec::new();
    if d > 0 {
        parts.push(format!("{d}d"));
    }
    if h > 0 {
        parts.push(format!("{h}h"));
    }
    if min > 0 || parts.is_empty() {
        parts.push(format!("{min}min"));
    }
    parts.join(" ")
}

/// Dates precomputed for a calendar beyond its analysed years: waits that start in the window
/// reach this far (a longer one precomputes its own dates).
const PREPARED_BEFORE_DAYS: u64 = 45;
const PREPARED_AFTER_DAYS: u64 = 120;

/// Worst cases are costly. Calendars are told apart by content, not by name: each distinct
/// calendar has its days precomputed once ([`Prepared`]) and each (calendar, timing, starts,
/// measure) question is answered once. Shared by the threads of the timing analyses.
pub struct TimingCache {
    /// zone midnights and repeated dates, shared between calendars
    folds: Memo,
    /// model calendar index → its class (the first calendar with the same content)
    class_of: Vec<usize>,
    /// class 0 is the calendar open around the clock in UTC (no calendar named)
    classes: Vec<Class>,
}

/// One answer, computed by the first thread that asks and waited for by the others.
type Answer = Arc<OnceLock<Option<WorstCase>>>;

struct Class {
    cal: Calendar,
    prepared: OnceLock<Prepared>,
    /// (timing, any moment?, business measure?) → answer
    answers: Mutex<HashMap<(Timing, bool, bool), Answer>>,
}

impl Class {
    fn new(cal: Calendar) -> Class {
        Class {
            cal,
            prepared: OnceLock::new(),
            answers: Mutex::new(HashMap::new()),
        }
    }
}

impl TimingCache {
    pub(super) fn new(model: &Model) -> TimingCache {
        let mut classes = vec![Class::new(Calendar::always_open(chrono_tz::UTC))];
        let mut seen: HashMap<&Calendar, usize> = HashMap::new();
        let class_of = model
            .calendars
            .iter()
            .map(|k| {
                *seen.entry(&k.engine).or_insert_with(|| {
                    classes.push(Class::new(k.engine.clone()));
                    classes.len() - 1
                })
            })
            .collect();
        TimingCache {
            folds: Memo::default(),
            class_of,
            classes,
        }
    }

    /// The key of a model calendar (`None`: always open in UTC).
    pub(super) fn key(&self, calendar: Option<usize>) -> usize {
        calendar
            .and_then(|i| self.class_of.get(i).copied())
            .unwrap_or(0)
    }

    pub(super) fn calendar(&self, key: usize) -> &Calendar {
        &self.class(key).cal
    }

    fn class(&self, key: usize) -> &Class {
        self.classes.get(key).unwrap_or(&self.classes[0])
    }

    pub(super) fn worst(
        &self,
        key: usize,
        t: Timing,
        starts: Starts,
        m: Measure,
    ) -> Option<WorstCase> {
        let class = self.class(key);
        let slot = {
            let mut answers = class.answers.lock().unwrap_or_else(|e| e.into_inner());
            let k = (t, starts == Starts::AnyMoment, m == Measure::Business);
            Arc::clone(answers.entry(k).or_default())
        };
        slot.get_or_init(|| {
            let prepared = class.prepared.get_or_init(|| {
                let (from, to) = window(&class.cal);
                Prepared::new(
                    class.cal.clone(),
                    from - chrono::Days::new(PREPARED_BEFORE_DAYS),
                    to + chrono::Days::new(PREPARED_AFTER_DAYS),
                    &self.folds,
                )
            });
            worst_in_years(prepared, &self.folds, t, starts, m)
        })
        .clone()
    }
}

/// The worst case over [`window`], dated within the calendar's years whenever one as bad is:
/// the month before them counts only when a start there is strictly worse (a gap that runs into
/// the first listed holidays), so ties never pick a date the calendar says nothing about.
fn worst_in_years(
    cal: &Prepared,
    folds: &Memo,
    t: Timing,
    starts: Starts,
    m: Measure,
) -> Option<WorstCase> {
    let (from, to) = window(cal.calendar());
    let years = NaiveDate::from_ymd_opt(from.year() + 1, 1, 1)?;
    let inside = cal.worst_case(folds, t, starts, m, (years, to))?;
    let lead_in = cal.worst_case(folds, t, starts, m, (from, years.pred_opt()?))?;
    Some(if lead_in.minutes > inside.minutes {
        lead_in
    } else {
        inside
    })
}

/// The key of the calendar a cadence's timing runs on: its own, else its pipeline's, else
/// always open in UTC.
pub(super) fn cadence_calendar(cache: &TimingCache, model: &Model, c: &model::Cadence) -> usize {
    cache.key(
        c.calendar.or(c
            .pipeline
            .and_then(|p| model.pipelines.get(p))
            .and_then(|p| p.calendar)),
    )
}

/// Minutes a `within D` adds to a wait: the longest wall-clock time D can span after a touch
/// (business durations on the calendar, so a weekend or a holiday inside counts).
fn within_minutes(cache: &TimingCache, key: usize, w: Option<Delay>) -> u64 {
    match w {
        None | Some(Delay::Zero) => 0,
        Some(Delay::Wall { minutes }) => minutes,
        Some(d) => cache
            .worst(key, Timing::after(d), Starts::OpenMoments, Measure::Wall)
            .map(|w| w.minutes)
            .unwrap_or(match d {
                Delay::BusinessDays(n) => u64::from(n) * 1440,
                Delay::BusinessMinutes(m) => m,
                _ => 0,
            }),
    }
}

/// The checker's worst case of every wait between two consecutive touches of a cadence: for
/// each edge of its step graph to a step, (from, to, minutes). Read-only, for tests and tools.
pub fn touch_gaps(model: &Model, cadence: usize) -> Vec<(usize, usize, u64)> {
    let Some(c) = model.cadences.get(cadence) else {
        return Vec::new();
    };
    touch_gaps_with(model, c, &StepGraph::new(c), &TimingCache::new(model))
}

pub(super) fn touch_gaps_with(
    model: &Model,
    c: &model::Cadence,
    graph: &StepGraph,
    cache: &TimingCache,
) -> Vec<(usize, usize, u64)> {
    let key = cadence_calendar(cache, model, c);
    graph
        .step_edges()
        .filter_map(|(e, to)| {
            let w = cache.worst(key, c.steps[to].timing, Starts::OpenMoments, Measure::Wall)?;
            Some((e.from, to, w.minutes + within_minutes(cache, key, e.within)))
        })
        .collect()
}

/// The checker's worst wait from enrollment (at any moment) to a cadence's first touch.
pub fn entry_gap(model: &Model, cadence: usize) -> Option<u64> {
    let c = model.cadences.get(cadence)?;
    let cache = TimingCache::new(model);
    let key = cadence_calendar(&cache, model, c);
    let entry = StepGraph::new(c).entry?;
    cache
        .worst(key, c.steps[entry].timing, Starts::AnyMoment, Measure::Wall)
        .map(|w| w.minutes)
}

/// The findings of one cadence's timing analyses, in the order they are reported. A stage exit's
/// E0419 carries its (pipeline, stage, exit): it is reported once, for the first cadence in
/// source order that finds it.
pub(super) type Findings = Vec<(Option<(usize, usize, usize)>, Diagnostic)>;

/// What the analyses of one cadence give: findings, and the stage whose `respond within` it covers.
struct FlowTiming {
    found: Findings,
    covers: Option<(usize, usize)>,
}

impl Checker {
    pub(super) fn timing_analyses(&mut self) {
        use rayon::prelude::*;
        let cache = TimingCache::new(&self.model);
        let flows = std::mem::take(&mut self.flows);
        // cadences are analysed in parallel; their findings are merged in source order
        let done: Vec<FlowTiming> = flows
            .par_iter()
            .map(|flow| self.flow_timing(&flows, flow, &cache))
            .collect();
        let mut sla_covered = std::collections::HashSet::new();
        let mut seen_exits = std::collections::HashSet::new();
        for t in done {
            sla_covered.extend(t.covers);
            for (tag, d) in t.found {
                if tag.is_none_or(|x| seen_exits.insert(x)) {
                    self.diags.push(d);
                }
            }
        }
        for (pi, p) in self.model.pipelines.iter().enumerate() {
            for (si, s) in p.stages.iter().enumerate() {
                if s.respond_within.is_some() && !sla_covered.contains(&(pi, si)) {
                    self.diags.push(
                        Diagnostic::new(
                            &codes::W0414,
                            s.span,
                            format!("no cadence works stage `{}`", s.name),
                        )
                        .with_label("its `respond within` is never checked")
                        .with_help(format!(
                            "declare a cadence with `pipeline {} stage {}`",
                            p.name, s.name
                        )),
                    );
                }
            }
        }
        self.flows = flows;
    }

    /// `max_gap` and `respond within` for one cadence.
    fn flow_timing(
        &self,
        flows: &[super::cadences::CadenceFlow],
        flow: &super::cadences::CadenceFlow,
        cache: &TimingCache,
    ) -> FlowTiming {
        let mut out = FlowTiming {
            found: Vec::new(),
            covers: None,
        };
        let Some(c) = self.model.cadences.get(flow.cadence) else {
            return out;
        };
        let Some(pi) = c.pipeline else { return out };
        out.covers = c.stage.map(|si| (pi, si));
        let Some(p) = self.model.pipelines.get(pi) else {
            return out;
        };
        let cal_id = c.calendar.or(p.calendar);
        let cal_key = cache.key(cal_id);
        let cal = cache.calendar(cal_key);
        let cal_name = cal_id
            .and_then(|i| self.model.calendars.get(i))
            .map(|k| k.name.clone());
        if cal_name
            .as_ref()
            .is_some_and(|n| self.closed_calendars.contains(n))
        {
            return out;
        }
        let found = &mut out.found;
        // max_gap: every edge of the step graph is a wait between two touches.
        if let Some(limit) = p.max_gap_minutes {
            let mut reported = std::collections::HashSet::new();
            for (e, to_id) in flow.graph.step_edges() {
                let to = &c.steps[to_id];
                let Some(w) = cache.worst(cal_key, to.timing, Starts::OpenMoments, Measure::Wall)
                else {
                    continue;
                };
                let extra = within_minutes(cache, cal_key, e.within);
                let gap = w.minutes + extra;
                if gap <= limit || !reported.insert(to_id) {
                    continue;
                }
                let path = flow.graph.path_text(c, e.from, Some(to_id));
                let via = if extra > 0 {
                    format!(
                        " (the outcome may come {} after the touch)",
                        minutes_text(extra)
                    )
                } else {
                    String::new()
                };
                let mut d = Diagnostic::new(
                    &codes::E0412,
                    flow.timing_spans[to_id],
                    format!(
                        "step `{}` can come {} after step `{}`, more than `max_gap {}`",
                        to.name,
                        minutes_text(gap),
                        c.steps[e.from].name,
                        minutes_text(limit)
                    ),
                )
                .with_label(format!(
                    "worst case: touch on {}, next touch on {}{via}",
                    cal.local_label(w.from),
                    cal.local_label(w.to)
                ))
                .with_help(format!(
                    "path: {path}; shorten the wait or add a touch in between"
                ));
                if let Some(n) = &cal_name {
                    d = d.with_note(format!(
                        "computed over calendar `{n}`, {} to {}",
                        window(cal).0,
                        window(cal).1
                    ));
                }
                d = d.with_related(
                    p.max_gap_span,
                    format!(
                        "pipeline `{}` sets `max_gap {}`",
                        p.name,
                        minutes_text(limit)
                    ),
                );
                found.push((None, d));
            }
            self.live_deal(flows, flow, limit, cal_key, cache, found);
        }
        // respond within: the first touch after a deal enters the stage this cadence works.
        if let (Some(si), Some(entry)) = (c.stage, flow.graph.entry) {
            if let Some(sla) = p.stages.get(si).and_then(|s| s.respond_within) {
                let (measure, limit) = match sla {
                    Delay::BusinessMinutes(m) => (Measure::Business, m),
                    Delay::BusinessDays(n) => (Measure::Business, n as u64 * daily_minutes(cal)),
                    Delay::Wall { minutes } => (Measure::Wall, minutes),
                    Delay::Zero => (Measure::Wall, 0),
                };
                let first = &c.steps[entry];
                if let Some(w) = cache.worst(cal_key, first.timing, Starts::AnyMoment, measure) {
                    if w.minutes > limit {
                        let unit = if measure == Measure::Business {
                            " of business time"
                        } else {
                            ""
                        };
                        found.push((
                            None,
                            Diagnostic::new(
                                &codes::E0413,
                                flow.timing_spans[entry],
                                format!(
                                    "the first touch `{}` can come {}{unit} after a deal enters `{}`, more than the stage allows",
                                    first.name,
                                    minutes_text(w.minutes),
                                    p.stages[si].name
                                ),
                            )
                            .with_label(format!(
                                "worst case: enters {}, first touch {}",
                                cal.local_label(w.from),
                                cal.local_label(w.to)
                            ))
                            .with_related(p.stages[si].span, format!("stage `{}` requires a response within {}{unit}", p.stages[si].name, minutes_text(limit)))
                            .with_help("start the cadence sooner (`immediately`) or widen the calendar's hours"),
                        ));
                    }
                }
            }
        }
        out
    }
}

/// Business minutes of one ordinary working day.
fn daily_minutes(cal: &Calendar) -> u64 {
    cal.hours.iter().map(|(a, b)| (b - a) as u64).sum()
}
