//! `max_gap` over the whole life of a deal, beyond the waits between two touches (E0412): from
//! stage entry to the first touch (E0417), from a cadence's last touch until the deal must leave
//! its stage or another cadence takes it over (E0418), and across a stage change to the next
//! stage's first touch (E0419). Skipped steps, hand-offs (`hand_off to`) and date windows
//! (`active`: a cadence that closes runs out, a deal entering outside its dates is not touched)
//! enter each of them; every stage is judged by its own `max_gap`.

use crate::words::length_text;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};

use super::cadences::CadenceFlow;
use super::timing::{
    gap_rule, gap_rule_across, leg_wait, skipped_text, touch_gaps_with, window, CadenceClock,
    GapRule,
};
use super::timing_cache::TimingCache;
use crate::calendar::{Calendar, Delay, Measure, Starts, Timing};
use crate::diagnostics::{codes, Diagnostic};
use crate::model::graph::{End, Leg, To, Via};
use crate::model::{Builtin, Cadence, Cmp, Cond, Effects, Model, Operand, Pipeline, Value};
use crate::source::Span;

/// The earliest exit of a stage that is sure to fire: a pure timer that needs no evidence.
pub(super) struct SureExit {
    span: Span,
    text: String,
    /// counted from the last touch (`idle`) or from stage entry (`dwell`, `age`)
    from_entry: bool,
    delay: Delay,
}

/// `dwell > D`, `idle > D` or `age > D` (alone or as one side of an `or`).
fn timer(c: &Cond) -> Option<(Builtin, Delay)> {
    match c {
        Cond::Or(v) => v.iter().find_map(timer),
        Cond::Compare {
            lhs: Operand::Builtin(b @ (Builtin::Dwell | Builtin::Idle | Builtin::Age)),
            op: Cmp::Gt | Cmp::Ge,
            rhs: Operand::Value(v),
        } => {
            let d = match v {
                Value::Minutes(m) => Delay::Wall {
                    minutes: m.max(0.0).ceil() as u64,
                },
                Value::BusinessDays(n) => Delay::BusinessDays(n.max(0.0).round() as u32),
                Value::BusinessMinutes(m) => Delay::BusinessMinutes(m.max(0.0).ceil() as u64),
                _ => return None,
            };
            Some((*b, d))
        }
        _ => None,
    }
}

pub(super) fn sure_exits(p: &Pipeline, stage: usize) -> Vec<SureExit> {
    let Some(s) = p.stages.get(stage) else {
        return Vec::new();
    };
    s.exits
        .iter()
        .filter(|e| {
            s.require.is_empty() || p.stages.get(e.target).is_some_and(|t| t.outcome.is_some())
        })
        .filter_map(|e| {
            let (b, delay) = timer(&e.when)?;
            let word = match b {
                Builtin::Idle => "idle",
                Builtin::Dwell => "dwell",
                _ => "age",
            };
            Some(SureExit {
                span: e.span,
                text: format!("`{word}` exit to `{}`", p.stages.get(e.target)?.name),
                from_entry: b != Builtin::Idle,
                delay,
            })
        })
        .collect()
}

/// A lower bound of a delay in wall minutes (a business day lasts at least 23 h, DST).
fn least(d: Delay) -> u64 {
    match d {
        Delay::Zero => 0,
        Delay::Wall { minutes } => minutes,
        Delay::BusinessDays(n) => u64::from(n) * 1380,
        Delay::BusinessMinutes(m) => m,
    }
}

/// The least time from the first touch to each step's touch (Dijkstra on lower bounds).
fn least_elapsed(c: &Cadence, flow: &CadenceFlow) -> Vec<u64> {
    let n = c.steps.len();
    let mut best = vec![u64::MAX; n];
    let Some(e) = flow.graph.entry else {
        return best;
    };
    best[e] = 0;
    let mut done = vec![false; n];
    while let Some(s) = (0..n)
        .filter(|&s| !done[s] && best[s] < u64::MAX)
        .min_by_key(|&s| best[s])
    {
        done[s] = true;
        for t in flow.graph.out(s).filter_map(|e| e.step()) {
            let via = best[s].saturating_add(least(c.steps[t].timing.delay));
            best[t] = best[t].min(via);
        }
    }
    best
}

/// One live-deal finding: how long, what ends it, and (when one worst case stands for it) from
/// when to when.
struct Gap {
    minutes: u64,
    /// (last touch, end, what ends it) of a worst case
    label: Option<(DateTime<Utc>, DateTime<Utc>, String)>,
    until: String,
    related: Option<(Span, String)>,
}

/// What a deal waits for after the last touch in `stage`: the earliest sure exit, counted from
/// the last touch, `elapsed` minutes at least after stage entry.
fn tail(
    p: &Pipeline,
    stage: usize,
    elapsed: u64,
    clock: &CadenceClock,
    cache: &TimingCache,
) -> Gap {
    let cal: &Calendar = &clock.cal;
    let first_day = clock.dates.map_or(window(cal).0, |w| w.from);
    let start = cal
        .local_instant(first_day, 0)
        .and_then(|t| cal.next_opening(t))
        .unwrap_or_default();
    let mut best: Option<Gap> = None;
    for x in sure_exits(p, stage) {
        let (minutes, from, to) = match x.delay {
            Delay::Wall { minutes } => {
                let m = if x.from_entry {
                    minutes.saturating_sub(elapsed)
                } else {
                    minutes
                };
                (m, start, start + Duration::minutes(m as i64))
            }
            d => match clock.worst(cache, Timing::after(d), Starts::OpenMoments, Measure::Wall) {
                Some(w) => {
                    let m = if x.from_entry {
                        w.minutes.saturating_sub(elapsed)
                    } else {
                        w.minutes
                    };
                    (m, w.to - Duration::minutes(m as i64), w.to)
                }
                None => continue,
            },
        };
        if best.as_ref().is_none_or(|b| minutes < b.minutes) {
            best = Some(Gap {
                minutes,
                label: Some((from, to, format!("the {} moves the deal", x.text))),
                until: format!("the {} moves the deal", x.text),
                related: Some((x.span, "the earliest exit sure to fire".into())),
            });
        }
    }
    best.unwrap_or(Gap {
        minutes: u64::MAX,
        label: None,
        until: "no exit of the stage is sure to fire".into(),
        related: p.stages.get(stage).map(|s| {
            (
                s.span,
                format!("no timer exit (`idle > D`, `dwell > D`) in `{}`", s.name),
            )
        }),
    })
}

/// A finding made once per project, for the first cadence in source order that makes it: a
/// stage exit's E0419 (pipeline, stage, exit); and what a deal entering a stage outside the
/// dates of all its cadences meets (pipeline, stage), which the first cadence with dates decides,
/// with a finding or without.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Once {
    Exit(usize, usize, usize),
    Outside(usize, usize),
}

/// The findings of one cadence's timing analyses, in the order they are reported; cadences are
/// analysed apart (in parallel) and merged in source order.
#[derive(Default)]
pub(super) struct Found {
    list: Vec<(Option<Once>, Option<Diagnostic>)>,
}

impl Found {
    pub(super) fn push(&mut self, d: Diagnostic) {
        self.list.push((None, Some(d)));
    }

    fn once(&mut self, key: Once, d: Option<Diagnostic>) {
        self.list.push((Some(key), d));
    }

    /// Appends the findings to `out`, but a [`Once`] already in `seen`.
    pub(super) fn merge_into(self, seen: &mut HashSet<Once>, out: &mut Vec<Diagnostic>) {
        for (key, d) in self.list {
            if key.is_none_or(|k| seen.insert(k)) {
                out.extend(d);
            }
        }
    }
}

/// How a cadence can end, seen from its last touch: the leg that gets there, the effects that
/// run then, whether the cadence runs out (so a hand-off applies), and the worst time from the
/// last touch (or the stage entry) to the end.
struct Ending<'g> {
    leg: Leg<'g>,
    effects: Option<&'g Effects>,
    runs_out: bool,
    closes: bool,
    after: u64,
}

/// `forever` or `16d 2h`.
fn long_text(m: u64) -> String {
    if m == u64::MAX {
        "forever".to_string()
    } else {
        length_text(m)
    }
}

/// The worst wait from the start of a cadence (a stage entry at `starts`) to its first touch,
/// past skipped steps: (wait, the leg).
fn first_touch<'g>(
    cache: &TimingCache,
    clock: &CadenceClock,
    c: &Cadence,
    legs: &'g [Leg<'g>],
    starts: Starts,
) -> Option<(super::timing::Wait, &'g Leg<'g>)> {
    legs.iter()
        .filter(|l| l.edge.is_none() && matches!(l.to, To::Step(_)))
        .filter_map(|l| leg_wait(cache, clock, c, l, starts, Measure::Wall).map(|w| (w, l)))
        .max_by_key(|(w, _)| w.minutes)
}

/// The cadences' flows, with the ones working each (pipeline, stage) in source order and the
/// flow of each cadence: what the analyses of one cadence look up about the others.
pub(super) struct Flows<'f> {
    all: &'f [CadenceFlow],
    by_stage: HashMap<(usize, usize), Vec<usize>>,
    by_cadence: HashMap<usize, usize>,
}

impl<'f> Flows<'f> {
    pub(super) fn new(m: &Model, all: &'f [CadenceFlow]) -> Flows<'f> {
        let mut by_stage: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
        let mut by_cadence = HashMap::new();
        for (i, f) in all.iter().enumerate() {
            by_cadence.entry(f.cadence).or_insert(i);
            if let Some((Some(p), Some(s))) =
                m.cadences.get(f.cadence).map(|c| (c.pipeline, c.stage))
            {
                by_stage.entry((p, s)).or_default().push(i);
            }
        }
        Flows {
            all,
            by_stage,
            by_cadence,
        }
    }

    /// The flows of the cadences that work stage `stage` of pipeline `pi`, in source order.
    fn working(&self, pi: usize, stage: usize) -> impl Iterator<Item = &'f CadenceFlow> + '_ {
        self.by_stage
            .get(&(pi, stage))
            .into_iter()
            .flatten()
            .filter_map(|&i| self.all.get(i))
    }

    /// The flow of cadence `c`.
    fn of(&self, c: usize) -> Option<&'f CadenceFlow> {
        self.by_cadence.get(&c).and_then(|&i| self.all.get(i))
    }
}

/// Who takes a deal that enters a stage, and how soon: the worst first touch over the cadences
/// working it (text names it), and whether a deal can find none of them enrolling (all of them
/// run only on some dates).
struct Takers {
    wait: Option<(u64, String)>,
    all_dated: bool,
}

fn takers(
    m: &Model,
    flows: &Flows<'_>,
    pi: usize,
    stage: usize,
    starts: Starts,
    cache: &TimingCache,
) -> Takers {
    let mut wait: Option<(u64, String)> = None;
    let mut any = false;
    let mut all_dated = true;
    // the cadences that take a deal entering the stage (not the ones waiting for a hand-off)
    let working: Vec<&CadenceFlow> = flows.working(pi, stage).collect();
    let ids: Vec<usize> = working.iter().map(|f| f.cadence).collect();
    let entry = crate::model::entry_cadences(m, &ids);
    for f in working {
        let Some(c2) = m.cadences.get(f.cadence) else {
            continue;
        };
        if !entry.contains(&f.cadence) {
            continue;
        }
        any = true;
        all_dated &= c2.window.is_some();
        let clock = CadenceClock::of(m, c2);
        let legs = f.graph.legs();
        if let Some((w, leg)) = first_touch(cache, &clock, c2, &legs, starts) {
            let To::Step(first) = leg.to else { continue };
            if wait.as_ref().is_none_or(|x| w.minutes > x.0) {
                wait = Some((
                    w.minutes,
                    format!("`{}` of `{}`", c2.steps[first].name, c2.name),
                ));
            }
        }
    }
    Takers {
        wait,
        all_dated: any && all_dated,
    }
}

impl super::Checker {
    /// E0417, E0418, E0419 for one cadence working a stage of a pipeline.
    pub(super) fn live_deal(
        &self,
        flows: &Flows<'_>,
        flow: &CadenceFlow,
        clock: &CadenceClock,
        cache: &TimingCache,
        out: &mut Found,
    ) {
        let m: &Model = &self.model;
        let Some(c) = m.cadences.get(flow.cadence) else {
            return;
        };
        let (Some(pi), Some(stage)) = (c.pipeline, c.stage) else {
            return;
        };
        let Some(p) = m.pipelines.get(pi) else { return };
        let Some(st) = p.stages.get(stage) else {
            return;
        };
        let rule = gap_rule(p, Some(stage));
        let note = |d: Diagnostic, r: &GapRule| d.with_related(r.span, r.text.clone());
        let legs = flow.graph.legs();
        // E0417: stage entry → first touch
        let own = first_touch(cache, clock, c, &legs, Starts::AnyMoment);
        if let (Some(r), Some((w, leg))) = (&rule, &own) {
            if let (true, To::Step(e)) = (w.minutes > r.minutes, &leg.to) {
                let label = w.label(c, clock, |one| {
                    format!(
                        "worst case: enters {}, first touch {}",
                        clock.cal.local_label(one.from),
                        clock.cal.local_label(one.to)
                    )
                });
                out.push(note(
                    Diagnostic::new(
                        &codes::E0417,
                        flow.timing_spans[*e],
                        format!(
                            "a deal entering `{}` can wait {} for the first touch `{}`{}, more than `max_gap {}`",
                            st.name,
                            length_text(w.minutes),
                            c.steps[*e].name,
                            skipped_text(c, &leg.skipped),
                            length_text(r.minutes)
                        ),
                    )
                    .with_label(label)
                    .with_help("start the cadence sooner (`immediately`)"),
                    r,
                ));
            }
        }
        // E0417: outside the dates of every cadence working the stage, nothing touches the deal
        if let (Some(r), Some(w)) = (&rule, c.window) {
            let who = takers(m, flows, pi, stage, Starts::AnyMoment, cache);
            if who.all_dated {
                let g = tail(p, stage, 0, clock, cache);
                let mut finding = None;
                if g.minutes > r.minutes {
                    let what = if c.defer {
                        format!(
                            "makes it wait for {}, or does not take it after {}",
                            w.from, w.to
                        )
                    } else {
                        "does not take it".to_string()
                    };
                    let mut d = Diagnostic::new(
                        &codes::E0417,
                        flow.active_span.unwrap_or(c.span),
                        format!(
                            "a deal entering `{}` outside {} (cadence `{}` {what}) can go {} without a touch, more than `max_gap {}`",
                            st.name,
                            w.text(),
                            c.name,
                            long_text(g.minutes),
                            length_text(r.minutes)
                        ),
                    )
                    .with_label(format!("every cadence working `{}` runs only on some dates; then {}", st.name, g.until))
                    .with_help(format!("declare a cadence for `{}` without `active` dates, or give the stage a timer exit", st.name));
                    if let Some((span, text)) = g.related {
                        d = d.with_related(span, text);
                    }
                    finding = Some(note(d, r));
                }
                out.once(Once::Outside(pi, stage), finding);
            }
        }
        self.endings(flows, flow, clock, cache, &legs, rule.as_ref(), out);
        // E0419: a pipeline exit moves the deal mid-cadence: the wait in progress, then the next
        // stage's first touch (or its timer, when no cadence works it)
        let in_progress = touch_gaps_with(clock, c, &flow.graph, cache)
            .iter()
            .map(|g| g.2)
            .chain(own.as_ref().map(|(w, _)| w.minutes))
            .max()
            .unwrap_or(0);
        for (xi, x) in st.exits.iter().enumerate() {
            let t = x.target;
            if t == stage || p.stages.get(t).is_none_or(|s| s.outcome.is_some()) {
                continue;
            }
            let Some(r) = gap_rule_across(p, stage, t) else {
                continue;
            };
            let (wait, what) = self.next_stage_wait(flows, pi, t, clock, cache);
            let gap = in_progress.saturating_add(wait);
            if gap <= r.minutes {
                continue;
            }
            let long = if wait == u64::MAX {
                "forever".into()
            } else {
                length_text(gap)
            };
            out.once(Once::Exit(pi, stage, xi), Some(note(
                Diagnostic::new(
                    &codes::E0419,
                    x.span,
                    format!(
                        "a deal moved from `{}` to `{}` can go {long} without a touch, more than `max_gap {}`",
                        st.name,
                        p.stages[t].name,
                        length_text(r.minutes)
                    ),
                )
                .with_label(format!(
                    "up to {} since the last touch of `{}`, then {what}",
                    length_text(in_progress),
                    c.name
                ))
                .with_help(format!("declare a cadence with `pipeline {} stage {}` that starts `immediately`", p.name, p.stages[t].name)),
                &r,
            )));
        }
    }

    /// What a deal moved into stage `t` (at a touch) waits for: the first touch there, or the
    /// stage's timer when no cadence (or only cadences with dates) may take it.
    fn next_stage_wait(
        &self,
        flows: &Flows<'_>,
        pi: usize,
        t: usize,
        clock: &CadenceClock,
        cache: &TimingCache,
    ) -> (u64, String) {
        let Some(p) = self.model.pipelines.get(pi) else {
            return (0, String::new());
        };
        let who = takers(&self.model, flows, pi, t, Starts::OpenMoments, cache);
        let sit = (who.wait.is_none() || who.all_dated).then(|| tail(p, t, 0, clock, cache));
        match (who.wait.clone(), sit) {
            (Some((w, first)), None) => (w, format!("its first touch {first}")),
            (Some((w, first)), Some(g)) if w >= g.minutes => {
                (w, format!("its first touch {first}"))
            }
            (_, Some(g)) => (
                g.minutes,
                format!("{} (no cadence without dates works it)", g.until),
            ),
            (None, None) => (0, String::new()),
        }
    }

    /// E0418 / E0419 from the last touch on: every way the cadence ends, once per cadence (the
    /// worst).
    #[allow(clippy::too_many_arguments)]
    fn endings(
        &self,
        flows: &Flows<'_>,
        flow: &CadenceFlow,
        clock: &CadenceClock,
        cache: &TimingCache,
        legs: &[Leg<'_>],
        rule: Option<&GapRule>,
        out: &mut Found,
    ) {
        let m: &Model = &self.model;
        let Some(c) = m.cadences.get(flow.cadence) else {
            return;
        };
        let (Some(pi), Some(stage)) = (c.pipeline, c.stage) else {
            return;
        };
        let Some(p) = m.pipelines.get(pi) else { return };
        let Some(st) = p.stages.get(stage) else {
            return;
        };
        let elapsed = least_elapsed(c, flow);
        let reach = flow.graph.reachable();
        let mut endings: Vec<Ending> = Vec::new();
        for leg in legs {
            if leg.from().is_some_and(|f| !reach[f]) {
                continue;
            }
            let first = if leg.edge.is_none() {
                Starts::AnyMoment
            } else {
                Starts::OpenMoments
            };
            let Some(w) = leg_wait(cache, clock, c, leg, first, Measure::Wall) else {
                continue;
            };
            match &leg.to {
                To::End(end) => {
                    let effects = leg.edge.and_then(|e| match e.via {
                        Via::Rule(k) => c.steps[e.from].rules.get(k).map(|r| &r.effects),
                        Via::Otherwise => c.steps[e.from].otherwise.as_ref(),
                        Via::Exit(k) => c.exits.get(k).map(|x| &x.effects),
                        Via::NoRule | Via::Skip => None,
                    });
                    endings.push(Ending {
                        leg: leg.clone(),
                        effects,
                        runs_out: *end == End::Exhausted,
                        closes: false,
                        after: w.minutes,
                    });
                }
                // the window can close while the deal waits for this touch
                To::Step(_) if c.window.is_some() => endings.push(Ending {
                    leg: leg.clone(),
                    effects: None,
                    runs_out: true,
                    closes: true,
                    after: w.minutes,
                }),
                To::Step(_) => {}
            }
        }
        let mut worst: Option<(u64, Diagnostic)> = None;
        for e in &endings {
            // a task hands the deal to a person; a terminal stage ends it
            if e.effects.is_some_and(|x| !x.tasks.is_empty()) {
                continue;
            }
            let moved = e.effects.and_then(|x| x.stage).filter(|t| *t != stage);
            if moved.is_some_and(|t| p.stages.get(t).is_none_or(|s| s.outcome.is_some())) {
                continue;
            }
            if e.leg.to == To::End(End::StageChanged) && moved.is_none() {
                continue;
            }
            let last = match e.leg.from() {
                Some(f) => format!("after the last touch `{}`", c.steps[f].name),
                None => "with no touch at all".to_string(),
            };
            let last_elapsed = e.leg.from().map_or(0, |f| elapsed[f]);
            let how = if e.closes {
                format!(
                    " (the dates {} end)",
                    c.window.map(|w| w.text()).unwrap_or_default()
                )
            } else {
                skipped_text(c, &e.leg.skipped)
            };
            let (code, gap, msg, r) = match moved {
                Some(t) => {
                    let Some(r) = gap_rule_across(p, stage, t) else {
                        continue;
                    };
                    let (wait, what) = self.next_stage_wait(flows, pi, t, clock, cache);
                    (
                        &codes::E0419,
                        Gap {
                            minutes: e.after.saturating_add(wait),
                            label: None,
                            until: what,
                            related: None,
                        },
                        format!("{last}{how}, `{}` can wait", p.stages[t].name),
                        r,
                    )
                }
                None => {
                    let Some(r) = rule else { continue };
                    let gap = match (e.runs_out, c.hand_off) {
                        (true, Some(h)) => self.hand_off_gap(
                            flows,
                            h,
                            pi,
                            e.after,
                            p,
                            stage,
                            last_elapsed,
                            clock,
                            cache,
                        ),
                        _ => tail(p, stage, last_elapsed, clock, cache),
                    };
                    (
                        &codes::E0418,
                        gap,
                        format!("{last}{how}, a deal can sit in `{}`", st.name),
                        r.clone(),
                    )
                }
            };
            if gap.minutes <= r.minutes || worst.as_ref().is_some_and(|w| w.0 >= gap.minutes) {
                continue;
            }
            let label = match &gap.label {
                _ if gap.minutes == u64::MAX => gap.until.clone(),
                Some((from, to, until)) => format!(
                    "worst case: last touch {}, {until} {}",
                    clock.cal.local_label(*from),
                    clock.cal.local_label(*to)
                ),
                None if e.after == 0 => format!("when the cadence ends, {}", gap.until),
                None => format!(
                    "up to {} from the last touch to the end, then {}",
                    length_text(e.after),
                    gap.until
                ),
            };
            let path = match e.leg.from() {
                Some(f) => flow.graph.path_text(c, f, None),
                None => "start".to_string(),
            };
            let span = match (e.leg.edge, e.leg.to.clone()) {
                (Some(edge), To::End(_)) => flow.edge_span(c, edge),
                (_, To::Step(s)) => flow.timing_spans[s],
                (None, To::End(_)) => c.span,
            };
            let mut d = Diagnostic::new(
                code,
                span,
                format!(
                    "{msg} {} without a touch, more than `max_gap {}`",
                    long_text(gap.minutes),
                    length_text(r.minutes)
                ),
            )
            .with_label(label)
            .with_help(format!(
                "path: {path} → end; move the deal on when the cadence ends (`-> stage …`), hand it to a person (`task`) or a cadence (`hand_off to`), add touches or shorten the stage's timer"
            ));
            if let Some((span, text)) = gap.related {
                d = d.with_related(span, text);
            }
            worst = Some((gap.minutes, d.with_related(r.span, r.text.clone())));
        }
        if let Some((_, d)) = worst {
            out.push(d);
        }
    }

    /// The wait after a cadence runs out `after` minutes past its last touch and hands the deal
    /// to cadence `h`: then `h`'s first touch; when `h` may refuse the deal (`enroll when`,
    /// `active` dates), also the stage's timer.
    #[allow(clippy::too_many_arguments)]
    fn hand_off_gap(
        &self,
        flows: &Flows<'_>,
        h: usize,
        pi: usize,
        after: u64,
        p: &Pipeline,
        stage: usize,
        elapsed: u64,
        clock: &CadenceClock,
        cache: &TimingCache,
    ) -> Gap {
        let m = &self.model;
        let Some((hc, hf)) = m.cadences.get(h).zip(flows.of(h)) else {
            return tail(p, stage, elapsed, clock, cache);
        };
        // a target on another pipeline or stage never takes the deal (E0426)
        if hc.pipeline != Some(pi) || hc.stage.is_some_and(|s| s != stage) {
            return tail(p, stage, elapsed, clock, cache);
        }
        let hclock = CadenceClock::of(m, hc);
        let hlegs = hf.graph.legs();
        let first = first_touch(cache, &hclock, hc, &hlegs, Starts::AnyMoment);
        let refuses = hc.window.is_some() || hc.enroll.as_ref().is_some_and(|e| *e != Cond::True);
        let sit = refuses.then(|| tail(p, stage, elapsed, clock, cache));
        let taken = first.map(|(w, leg)| {
            let name = match leg.to {
                To::Step(s) => hc.steps[s].name.clone(),
                To::End(_) => String::new(),
            };
            Gap {
                minutes: after.saturating_add(w.minutes),
                label: None,
                until: format!(
                    "`{}` takes the deal: its first touch `{name}` up to {} later",
                    hc.name,
                    length_text(w.minutes)
                ),
                related: None,
            }
        });
        match (taken, sit) {
            (Some(t), Some(s)) if s.minutes > t.minutes => Gap {
                until: format!(
                    "`{}` may refuse the deal (`enroll when` or dates), and {}",
                    hc.name, s.until
                ),
                label: None,
                ..s
            },
            (Some(t), _) => t,
            (None, Some(s)) => s,
            (None, None) => tail(p, stage, elapsed, clock, cache),
        }
    }
}
