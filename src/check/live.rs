//! `max_gap` over the whole life of a deal, beyond the waits between two touches (E0412): from
//! stage entry to the first touch (E0417), from a cadence's last touch until the deal must leave
//! its stage (E0418), and across a stage change to the next stage's first touch (E0419).

use chrono::{DateTime, Duration, Utc};

use super::cadences::CadenceFlow;
use super::timing::{cadence_calendar, minutes_text, window, Findings, TimingCache};
use crate::calendar::{Delay, Measure, Starts, Timing};
use crate::diagnostics::{codes, Diagnostic};
use crate::model::graph::{End, To, Via};
use crate::model::{Builtin, Cadence, Cmp, Cond, Effects, Model, Operand, Pipeline, Value};
use crate::source::Span;

/// The earliest exit of a stage that is sure to fire: a pure timer that needs no evidence.
struct SureExit {
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

fn sure_exits(p: &Pipeline, stage: usize) -> Vec<SureExit> {
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

/// One live-deal finding: how long, from when to when, what ends it.
struct Gap {
    minutes: u64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    until: String,
    related: Option<(Span, String)>,
}

/// What a deal waits for after the last touch in `stage`: the earliest sure exit, counted from
/// the last touch, `elapsed` minutes at least after stage entry.
fn tail(p: &Pipeline, stage: usize, elapsed: u64, cache: &TimingCache, key: usize) -> Gap {
    let cal = cache.calendar(key);
    let start = cal
        .local_instant(window(cal).0, 0)
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
            d => match cache.worst(key, Timing::after(d), Starts::OpenMoments, Measure::Wall) {
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
                from,
                to,
                until: format!("the {} moves the deal", x.text),
                related: Some((x.span, "the earliest exit sure to fire".into())),
            });
        }
    }
    best.unwrap_or(Gap {
        minutes: u64::MAX,
        from: start,
        to: start,
        until: "no exit of the stage is sure to fire".into(),
        related: p.stages.get(stage).map(|s| {
            (
                s.span,
                format!("no timer exit (`idle > D`, `dwell > D`) in `{}`", s.name),
            )
        }),
    })
}

impl super::Checker {
    /// E0417, E0418, E0419 for one cadence working a stage of a pipeline with `max_gap`.
    pub(super) fn live_deal(
        &self,
        flows: &[CadenceFlow],
        flow: &CadenceFlow,
        limit: u64,
        key: usize,
        cache: &TimingCache,
        out: &mut Findings,
    ) {
        let cal = cache.calendar(key);
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
        let note = |d: Diagnostic| {
            d.with_related(
                p.span,
                format!(
                    "pipeline `{}` sets `max_gap {}`",
                    p.name,
                    minutes_text(limit)
                ),
            )
        };
        // the worst wait from entering a stage to its first touch, over the cadences working it
        let entry_wait = |cache: &TimingCache,
                          s: usize|
         -> Option<(u64, String, DateTime<Utc>, DateTime<Utc>)> {
            flows
                .iter()
                .filter_map(|f| {
                    let c2 = m.cadences.get(f.cadence)?;
                    if c2.pipeline != Some(pi) || c2.stage != Some(s) {
                        return None;
                    }
                    let e = f.graph.entry?;
                    let k2 = cadence_calendar(cache, m, c2);
                    let w =
                        cache.worst(k2, c2.steps[e].timing, Starts::OpenMoments, Measure::Wall)?;
                    Some((
                        w.minutes,
                        format!("`{}` of `{}`", c2.steps[e].name, c2.name),
                        w.from,
                        w.to,
                    ))
                })
                .max_by_key(|x| x.0)
        };
        // E0417: stage entry → first touch
        let own = flow.graph.entry.and_then(|e| {
            Some((
                e,
                cache.worst(key, c.steps[e].timing, Starts::AnyMoment, Measure::Wall)?,
            ))
        });
        if let Some((e, w)) = own.as_ref().filter(|(_, w)| w.minutes > limit) {
            let (e, w) = (*e, w.clone());
            {
                out.push((None, note(
                    Diagnostic::new(
                        &codes::E0417,
                        flow.timing_spans[e],
                        format!(
                            "a deal entering `{}` can wait {} for the first touch `{}`, more than `max_gap {}`",
                            st.name,
                            minutes_text(w.minutes),
                            c.steps[e].name,
                            minutes_text(limit)
                        ),
                    )
                    .with_label(format!(
                        "worst case: enters {}, first touch {}",
                        cal.local_label(w.from),
                        cal.local_label(w.to)
                    ))
                    .with_help("start the cadence sooner (`immediately`)"),
                )));
            }
        }
        // E0418 / E0419: from the last touch on, once per cadence (the worst)
        let elapsed = least_elapsed(c, flow);
        let reach = flow.graph.reachable();
        let mut worst: Option<(u64, Diagnostic)> = None;
        for e in &flow.graph.edges {
            let To::End(end) = &e.to else { continue };
            if !reach[e.from] {
                continue;
            }
            let effects: Option<&Effects> = match e.via {
                Via::Rule(k) => c.steps[e.from].rules.get(k).map(|r| &r.effects),
                Via::Otherwise => c.steps[e.from].otherwise.as_ref(),
                Via::Exit(k) => c.exits.get(k).map(|x| &x.effects),
                Via::NoRule => None,
            };
            // a task hands the deal to a person; a terminal stage ends it
            if effects.is_some_and(|x| !x.tasks.is_empty()) {
                continue;
            }
            let moved = effects.and_then(|x| x.stage).filter(|t| *t != stage);
            if moved.is_some_and(|t| p.stages.get(t).is_none_or(|s| s.outcome.is_some())) {
                continue;
            }
            if *end == End::StageChanged && moved.is_none() {
                continue;
            }
            let path = flow.graph.path_text(c, e.from, None);
            let last = &c.steps[e.from].name;
            let (code, gap, msg) = match moved {
                Some(t) => match entry_wait(cache, t) {
                    Some((minutes, first, from, to)) => (
                        &codes::E0419,
                        Gap {
                            minutes,
                            from,
                            to,
                            until: format!("first touch {first}"),
                            related: None,
                        },
                        format!("after the last touch `{last}`, `{}` can wait", p.stages[t].name),
                    ),
                    None => (
                        &codes::E0419,
                        tail(p, t, 0, cache, key),
                        format!("after the last touch `{last}`, a deal can sit in `{}` (no cadence works it)", p.stages[t].name),
                    ),
                },
                None => (
                    &codes::E0418,
                    tail(p, stage, elapsed[e.from], cache, key),
                    format!("after the last touch `{last}`, a deal can sit in `{}`", st.name),
                ),
            };
            if gap.minutes <= limit || worst.as_ref().is_some_and(|w| w.0 >= gap.minutes) {
                continue;
            }
            let long = if gap.minutes == u64::MAX {
                "forever".to_string()
            } else {
                minutes_text(gap.minutes)
            };
            let label = if gap.minutes == u64::MAX {
                gap.until.clone()
            } else {
                format!(
                    "worst case: last touch {}, {} {}",
                    cal.local_label(gap.from),
                    gap.until,
                    cal.local_label(gap.to)
                )
            };
            let mut d = Diagnostic::new(
                code,
                flow.edge_span(c, e),
                format!("{msg} {long} without a touch, more than `max_gap {}`", minutes_text(limit)),
            )
            .with_label(label)
            .with_help(format!(
                "path: {path} → end; move the deal on when the cadence ends (`-> stage …`), hand it to a person (`task`), add touches or shorten the stage's timer"
            ));
            if let Some((span, text)) = gap.related {
                d = d.with_related(span, text);
            }
            worst = Some((gap.minutes, note(d)));
        }
        out.extend(worst.map(|w| (None, w.1)));
        // E0419: a pipeline exit moves the deal mid-cadence: the wait in progress, then the next
        // stage's first touch (or its timer, when no cadence works it)
        let in_progress = super::timing::touch_gaps_with(m, c, &flow.graph, cache)
            .iter()
            .map(|g| g.2)
            .chain(own.map(|(_, w)| w.minutes))
            .max()
            .unwrap_or(0);
        for (xi, x) in st.exits.iter().enumerate() {
            let t = x.target;
            if t == stage || p.stages.get(t).is_none_or(|s| s.outcome.is_some()) {
                continue;
            }
            let (wait, what) = match entry_wait(cache, t) {
                Some((minutes, first, _, _)) => (minutes, format!("its first touch {first}")),
                None => {
                    let g = tail(p, t, 0, cache, key);
                    (g.minutes, format!("{} (no cadence works it)", g.until))
                }
            };
            let gap = in_progress.saturating_add(wait);
            if gap <= limit {
                continue;
            }
            let long = if wait == u64::MAX {
                "forever".into()
            } else {
                minutes_text(gap)
            };
            out.push((Some((pi, stage, xi)), note(
                Diagnostic::new(
                    &codes::E0419,
                    x.span,
                    format!(
                        "a deal moved from `{}` to `{}` can go {long} without a touch, more than `max_gap {}`",
                        st.name,
                        p.stages[t].name,
                        minutes_text(limit)
                    ),
                )
                .with_label(format!(
                    "up to {} since the last touch of `{}`, then {what}",
                    minutes_text(in_progress),
                    c.name
                ))
                .with_help(format!("declare a cadence with `pipeline {} stage {}` that starts `immediately`", p.name, p.stages[t].name)),
            )));
        }
    }
}
