//! Calendar timing analyses: `max_gap` between touches and `respond within` after stage entry,
//! as worst cases over real dates of the calendar (weekends, holidays, make-up days, DST), or
//! over the cadence's own dates when it is `active` only on some.

use chrono::{Datelike, NaiveDate};

use super::live::{Flows, Found};
use super::timing_cache::TimingCache;
use super::Checker;
use crate::calendar::{Calendar, Delay, Measure, Starts, Timing, WorstCase};
use crate::diagnostics::{codes, Diagnostic};
use crate::model::graph::{Leg, StepGraph, To};
use crate::model::{self, DateWindow, Model, Pipeline, StepId};
use crate::source::Span;
use crate::words::length_text;

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

/// The `cadence schedule` command that shows a worst case's touches: a touch of `from` (or an
/// enrolment) at `at`, local in the calendar's zone, then the path to `to`.
pub(super) fn schedule_command(
    cal: &Calendar,
    cadence: &str,
    from: Option<&str>,
    to: Option<&str>,
    at: chrono::DateTime<chrono::Utc>,
) -> String {
    use chrono::TimeZone;
    let local = cal.tz.from_utc_datetime(&at.naive_utc());
    let mut cmd = format!("cadence schedule {cadence}");
    if let Some(f) = from {
        cmd.push_str(&format!(" --from {f}"));
    }
    if let Some(t) = to {
        cmd.push_str(&format!(" --path {t}"));
    }
    format!(
        "see the touches: `{cmd} --enroll \"{}\"`",
        local.format("%Y-%m-%d %H:%M")
    )
}

/// The calendar a cadence's timing runs on (its own, else its pipeline's, else always open in
/// UTC) with the key the cache knows it by, and the dates analysed: the cadence's `active`
/// window, else the calendar's years.
pub(super) struct CadenceClock {
    pub key: usize,
    pub cal: Calendar,
    pub name: Option<String>,
    pub dates: Option<DateWindow>,
}

impl CadenceClock {
    pub(super) fn of(model: &Model, c: &model::Cadence) -> CadenceClock {
        let id = c.calendar.or(c
            .pipeline
            .and_then(|p| model.pipelines.get(p))
            .and_then(|p| p.calendar));
        let (key, cal, name) = match id.and_then(|i| model.calendars.get(i).map(|k| (i, k))) {
            Some((i, k)) => (i + 1, k.engine.clone(), Some(k.name.clone())),
            None => (0, Calendar::always_open(chrono_tz::UTC), None),
        };
        CadenceClock {
            key,
            cal,
            name,
            dates: c.window,
        }
    }

    /// The worst case of one timing over the analysed dates.
    pub(super) fn worst(
        &self,
        cache: &TimingCache,
        t: Timing,
        starts: Starts,
        m: Measure,
    ) -> Option<WorstCase> {
        cache.worst(self.key, self.dates, t, starts, m)
    }

    /// `computed over calendar `x`, 2025-12-01 to 2026-12-31`, when there is a calendar.
    pub(super) fn note(&self) -> Option<String> {
        let (from, to) = match self.dates {
            Some(w) => (w.from, w.to),
            None => window(&self.cal),
        };
        self.name
            .as_ref()
            .map(|n| format!("computed over calendar `{n}`, {from} to {to}"))
    }
}

/// Minutes a `within D` adds to a wait: the longest wall-clock time D can span after a touch
/// (business durations on the calendar, so a weekend or a holiday inside counts).
fn within_minutes(cache: &TimingCache, clock: &CadenceClock, w: Option<Delay>) -> u64 {
    match w {
        None | Some(Delay::Zero) => 0,
        Some(Delay::Wall { minutes }) => minutes,
        Some(d) => clock
            .worst(cache, Timing::after(d), Starts::OpenMoments, Measure::Wall)
            .map(|w| w.minutes)
            .unwrap_or(match d {
                Delay::BusinessDays(n) => u64::from(n) * 1440,
                Delay::BusinessMinutes(m) => m,
                _ => 0,
            }),
    }
}

/// The worst wait along a leg: the `within` of the rule that takes it, then the worst wait of
/// each step on the way (the skipped ones, then the one touched), each from its reference. The
/// sum of the worst pieces bounds the worst of the whole.
#[derive(Debug, Clone)]
pub(super) struct Wait {
    pub minutes: u64,
    /// what `within` adds
    pub within: u64,
    /// per step waited for: its worst case
    pub pieces: Vec<(StepId, WorstCase)>,
}

impl Wait {
    /// `one` of the worst case when the wait is one step's, else the pieces (steps were skipped).
    pub(super) fn label(
        &self,
        c: &model::Cadence,
        clock: &CadenceClock,
        one: impl Fn(&WorstCase) -> String,
    ) -> String {
        match self.pieces.as_slice() {
            [(_, w)] => one(w),
            pieces => {
                let parts: Vec<String> = pieces
                    .iter()
                    .map(|(s, w)| {
                        format!(
                            "{} to `{}` (from {})",
                            length_text(w.minutes),
                            c.steps[*s].name,
                            clock.cal.local_label(w.from)
                        )
                    })
                    .collect();
                format!("worst case, piece by piece: {}", parts.join(", then "))
            }
        }
    }
}

/// The worst wait of a leg, measured per `m`; `first` is where the first piece may start (any
/// moment for a stage entry, an open moment for a touch).
pub(super) fn leg_wait(
    cache: &TimingCache,
    clock: &CadenceClock,
    c: &model::Cadence,
    leg: &Leg<'_>,
    first: Starts,
    m: Measure,
) -> Option<Wait> {
    let within = leg
        .edge
        .map_or(0, |e| within_minutes(cache, clock, e.within));
    let mut minutes = within;
    let mut pieces = Vec::new();
    for (i, s) in leg.waits().enumerate() {
        let starts = if i == 0 { first } else { Starts::OpenMoments };
        let w = clock.worst(cache, c.steps.get(s)?.timing, starts, m)?;
        minutes = minutes.saturating_add(w.minutes);
        pieces.push((s, w));
    }
    Some(Wait {
        minutes,
        within,
        pieces,
    })
}

/// The `max_gap` in force for a deal in a stage: the stage's own, else the pipeline's; for a
/// cadence that names no stage, the strictest over the live stages. With the line that sets it.
#[derive(Debug, Clone)]
pub(super) struct GapRule {
    pub minutes: u64,
    pub span: Span,
    pub text: String,
}

pub(super) fn gap_rule(p: &Pipeline, stage: Option<usize>) -> Option<GapRule> {
    let of = |si: usize| -> Option<GapRule> {
        let s = p.stages.get(si)?;
        match (s.max_gap_minutes, p.max_gap_minutes) {
            (Some(m), _) => Some(GapRule {
                minutes: m,
                span: s.max_gap_span,
                text: format!("stage `{}` sets `max_gap {}`", s.name, length_text(m)),
            }),
            (None, Some(m)) => Some(GapRule {
                minutes: m,
                span: p.max_gap_span,
                text: format!("pipeline `{}` sets `max_gap {}`", p.name, length_text(m)),
            }),
            (None, None) => None,
        }
    };
    match stage {
        Some(s) => of(s),
        None => (0..p.stages.len())
            .filter(|&s| p.stages[s].outcome.is_none())
            .filter_map(of)
            .min_by_key(|r| r.minutes),
    }
}

/// The rule for a silence that starts in stage `a` and ends in stage `b`: the longer of their
/// rules (each stage's rule allowed the part spent there); none when either stage has none.
pub(super) fn gap_rule_across(p: &Pipeline, a: usize, b: usize) -> Option<GapRule> {
    let (x, y) = (gap_rule(p, Some(a))?, gap_rule(p, Some(b))?);
    Some(if y.minutes > x.minutes { y } else { x })
}

/// The calendar a cadence's timing runs on (its own, else its pipeline's, else always open in
/// UTC) and its name: what the checker's worst cases and `cadence schedule` both read.
pub fn cadence_calendar(model: &Model, cadence: usize) -> Option<(Calendar, Option<String>)> {
    let c = model.cadences.get(cadence)?;
    let clock = CadenceClock::of(model, c);
    Some((clock.cal, clock.name))
}

/// The `max_gap` in force for a cadence's deals (see [`gap_rule`]): minutes and the words for
/// where it is set.
pub fn max_gap_in_force(model: &Model, cadence: usize) -> Option<(u64, String)> {
    let c = model.cadences.get(cadence)?;
    let p = model.pipelines.get(c.pipeline?)?;
    gap_rule(p, c.stage).map(|r| (r.minutes, r.text))
}

/// The checker's worst case of every wait between two consecutive touches of a cadence: for
/// each leg of its step graph from a touch to a touch, (from, to, minutes). Read-only, for tests
/// and tools.
pub fn touch_gaps(model: &Model, cadence: usize) -> Vec<(usize, usize, u64)> {
    let Some(c) = model.cadences.get(cadence) else {
        return Vec::new();
    };
    let clock = CadenceClock::of(model, c);
    touch_gaps_with(&clock, c, &StepGraph::new(c), &TimingCache::new(model))
}

pub(super) fn touch_gaps_with(
    clock: &CadenceClock,
    c: &model::Cadence,
    graph: &StepGraph,
    cache: &TimingCache,
) -> Vec<(usize, usize, u64)> {
    graph
        .legs()
        .iter()
        .filter_map(|leg| {
            let (Some(from), To::Step(to)) = (leg.from(), &leg.to) else {
                return None;
            };
            let w = leg_wait(cache, clock, c, leg, Starts::OpenMoments, Measure::Wall)?;
            Some((from, *to, w.minutes))
        })
        .collect()
}

/// The checker's worst wait from enrollment (at any moment) to a cadence's first touch (past any
/// steps skipped on the way).
pub fn entry_gap(model: &Model, cadence: usize) -> Option<u64> {
    let c = model.cadences.get(cadence)?;
    let clock = CadenceClock::of(model, c);
    let cache = TimingCache::new(model);
    StepGraph::new(c)
        .legs()
        .iter()
        .filter(|l| l.edge.is_none() && matches!(l.to, To::Step(_)))
        .filter_map(|l| leg_wait(&cache, &clock, c, l, Starts::AnyMoment, Measure::Wall))
        .map(|w| w.minutes)
        .max()
}

/// `a → b → c (skipped) → d`: a shortest path to the leg's touched step, then the leg.
pub(super) fn path_with_skips(graph: &StepGraph, c: &model::Cadence, leg: &Leg<'_>) -> String {
    let mut parts: Vec<String> = match leg.from() {
        Some(f) => vec![graph.path_text(c, f, None)],
        None => Vec::new(),
    };
    for s in &leg.skipped {
        parts.push(format!("{} (skipped)", c.steps[*s].name));
    }
    if let To::Step(s) = leg.to {
        parts.push(c.steps[s].name.clone());
    }
    parts.join(" → ")
}

/// The checker's worst time from a cadence's last touch (or its start, when it runs out before
/// touching) until it runs out: exhausted after the steps passed over, or its `active` dates end
/// while it waits for the next touch. What a hand-off adds to the target's first touch.
/// Read-only, for tests and tools; `None` when the cadence cannot run out.
pub fn run_out_gap(model: &Model, cadence: usize) -> Option<u64> {
    use crate::model::graph::End;
    let c = model.cadences.get(cadence)?;
    let clock = CadenceClock::of(model, c);
    let cache = TimingCache::new(model);
    let graph = StepGraph::new(c);
    let reach = graph.reachable();
    graph
        .legs()
        .iter()
        .filter(|l| l.from().is_none_or(|f| reach[f]))
        .filter(|l| match l.to {
            To::End(End::Exhausted) => true,
            To::Step(_) => c.window.is_some(),
            To::End(_) => false,
        })
        .filter_map(|l| {
            let first = if l.edge.is_none() {
                Starts::AnyMoment
            } else {
                Starts::OpenMoments
            };
            leg_wait(&cache, &clock, c, l, first, Measure::Wall).map(|w| w.minutes)
        })
        .max()
}

/// ` when `b`, `c` are skipped`, or nothing.
pub(super) fn skipped_text(c: &model::Cadence, skipped: &[StepId]) -> String {
    match skipped {
        [] => String::new(),
        [s] => format!(" when `{}` is skipped", c.steps[*s].name),
        many => format!(
            " when {} are skipped",
            many.iter()
                .map(|s| format!("`{}`", c.steps[*s].name))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

impl Checker {
    pub(super) fn timing_analyses(&mut self) {
        use rayon::prelude::*;
        let cache = TimingCache::new(&self.model);
        let flows = std::mem::take(&mut self.flows);
        // cadences are analysed in parallel; their findings are merged in source order
        let index = Flows::new(&self.model, &flows);
        let done: Vec<(Option<(usize, usize)>, Found)> = flows
            .par_iter()
            .map(|flow| self.flow_timing(&index, flow, &cache))
            .collect();
        let mut sla_covered = std::collections::HashSet::new();
        let mut seen = std::collections::HashSet::new();
        for (covers, found) in done {
            sla_covered.extend(covers);
            found.merge_into(&mut seen, &mut self.diags);
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

    /// `max_gap` and `respond within` for one cadence: its findings, and the stage whose
    /// `respond within` it covers.
    fn flow_timing(
        &self,
        flows: &Flows<'_>,
        flow: &super::cadences::CadenceFlow,
        cache: &TimingCache,
    ) -> (Option<(usize, usize)>, Found) {
        let mut found = Found::default();
        let Some(c) = self.model.cadences.get(flow.cadence) else {
            return (None, found);
        };
        let Some(pi) = c.pipeline else {
            return (None, found);
        };
        let covers = c.stage.map(|si| (pi, si));
        let Some(p) = self.model.pipelines.get(pi) else {
            return (covers, found);
        };
        let clock = CadenceClock::of(&self.model, c);
        if clock
            .name
            .as_ref()
            .is_some_and(|n| self.closed_calendars.contains(n))
        {
            return (covers, found);
        }
        // max_gap: every leg of the step graph from a touch to a touch is a wait between two
        // touches.
        if let Some(rule) = gap_rule(p, c.stage) {
            let limit = rule.minutes;
            let mut reported = std::collections::HashSet::new();
            for leg in flow.graph.legs() {
                let (Some(from), To::Step(to_id)) = (leg.from(), &leg.to) else {
                    continue;
                };
                let to_id = *to_id;
                let Some(w) = leg_wait(cache, &clock, c, &leg, Starts::OpenMoments, Measure::Wall)
                else {
                    continue;
                };
                if w.minutes <= limit || !reported.insert(to_id) {
                    continue;
                }
                let to = &c.steps[to_id];
                let path = path_with_skips(&flow.graph, c, &leg);
                let via = if w.within > 0 {
                    format!(
                        " (the outcome may come {} after the touch)",
                        length_text(w.within)
                    )
                } else {
                    String::new()
                };
                let skipped = skipped_text(c, &leg.skipped);
                let mut d = Diagnostic::new(
                    &codes::E0412,
                    flow.timing_spans[to_id],
                    format!(
                        "step `{}` can come {} after step `{}`{skipped}, more than `max_gap {}`",
                        to.name,
                        length_text(w.minutes),
                        c.steps[from].name,
                        length_text(limit)
                    ),
                )
                .with_label(format!(
                    "{}{via}",
                    w.label(c, &clock, |one| format!(
                        "worst case: touch on {}, next touch on {}",
                        clock.cal.local_label(one.from),
                        clock.cal.local_label(one.to)
                    ))
                ))
                .with_help(format!(
                    "path: {path}; shorten the wait or add a touch in between"
                ));
                if let Some(n) = clock.note() {
                    d = d.with_note(n);
                }
                if let Some((_, first)) = w.pieces.first() {
                    d = d.with_note(schedule_command(
                        &clock.cal,
                        &c.name,
                        Some(&c.steps[from].name),
                        Some(&to.name),
                        first.from,
                    ));
                }
                d = d.with_related(rule.span, rule.text.clone());
                found.push(d);
            }
        }
        self.live_deal(flows, flow, &clock, cache, &mut found);
        // respond within: the first touch after a deal enters the stage this cadence works.
        if let Some(si) = c.stage {
            if let Some(sla) = p.stages.get(si).and_then(|s| s.respond_within) {
                self.respond_within(flow, &clock, cache, p, si, sla, &mut found);
            }
        }
        (covers, found)
    }

    /// E0413: the worst time from entering stage `si` to the first touch, in the SLA's measure.
    #[allow(clippy::too_many_arguments)]
    fn respond_within(
        &self,
        flow: &super::cadences::CadenceFlow,
        clock: &CadenceClock,
        cache: &TimingCache,
        p: &Pipeline,
        si: usize,
        sla: Delay,
        found: &mut Found,
    ) {
        let Some(c) = self.model.cadences.get(flow.cadence) else {
            return;
        };
        let (measure, limit) = match sla {
            Delay::BusinessMinutes(m) => (Measure::Business, m),
            Delay::BusinessDays(n) => (Measure::Business, n as u64 * daily_minutes(&clock.cal)),
            Delay::Wall { minutes } => (Measure::Wall, minutes),
            Delay::Zero => (Measure::Wall, 0),
        };
        let legs = flow.graph.legs();
        let worst = legs
            .iter()
            .filter(|l| l.edge.is_none() && matches!(l.to, To::Step(_)))
            .filter_map(|l| {
                leg_wait(cache, clock, c, l, Starts::AnyMoment, measure).map(|w| (l, w))
            })
            .max_by_key(|(_, w)| w.minutes);
        let Some((leg, w)) = worst.filter(|(_, w)| w.minutes > limit) else {
            return;
        };
        let To::Step(first) = leg.to else { return };
        let unit = if measure == Measure::Business {
            " of business time"
        } else {
            ""
        };
        let label = w.label(c, clock, |one| {
            format!(
                "worst case: enters {}, first touch {}",
                clock.cal.local_label(one.from),
                clock.cal.local_label(one.to)
            )
        });
        found.push(
            Diagnostic::new(
                &codes::E0413,
                flow.timing_spans[first],
                format!(
                    "the first touch `{}` can come {}{unit} after a deal enters `{}`{}, more than the stage allows",
                    c.steps[first].name,
                    length_text(w.minutes),
                    p.stages[si].name,
                    skipped_text(c, &leg.skipped)
                ),
            )
            .with_label(label)
            .with_related(
                p.stages[si].span,
                format!(
                    "stage `{}` requires a response within {}{unit}",
                    p.stages[si].name,
                    length_text(limit)
                ),
            )
            .with_help("start the cadence sooner (`immediately`) or widen the calendar's hours")
            .with_note(schedule_command(
                &clock.cal,
                &c.name,
                None,
                None,
                w.pieces.first().map_or(chrono::DateTime::UNIX_EPOCH, |p| p.1.from),
            )),
        );
    }
}

/// Business minutes of one ordinary working day.
fn daily_minutes(cal: &Calendar) -> u64 {
    cal.hours.iter().map(|(a, b)| (b - a) as u64).sum()
}
