//! The playbook's timing words: weekday anchors (`on tue, fri at 10:00`), date windows (`active`
//! on a cadence, `during` on a step), hand-offs (`hand_off to`) and elastic steps (`skip when`),
//! checked against the calendar they run on. Their effect on `max_gap` is in `timing.rs` and
//! `live.rs`.

use chrono::Datelike;

use super::Checker;
use crate::calendar::{Calendar, Delay, Timing};
use crate::diagnostics::{codes, Diagnostic};
use crate::model::{Cadence, Cond, DateWindow};
use crate::source::Span;
use crate::syntax::ast::{self, CadenceDecl, CadenceItem, DateRange, StepAttr};

const WEEKDAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Checker {
    /// A step's timing in the model.
    pub(super) fn step_timing(&mut self, t: &ast::Timing) -> Timing {
        match t {
            ast::Timing::Immediately => Timing::after(Delay::Zero),
            ast::Timing::After { delay, at } => {
                let delay = self.delay(delay);
                match at.as_ref().and_then(|c| self.clock(c, false)) {
                    Some(m) => Timing::at(delay, m),
                    None => Timing::after(delay),
                }
            }
            ast::Timing::At(c) => match self.clock(c, false) {
                Some(m) => Timing::at(Delay::Zero, m),
                None => Timing::after(Delay::Zero),
            },
            ast::Timing::Anchor { delay, days, at } => {
                let delay = delay.as_ref().map_or(Delay::Zero, |d| self.delay(d));
                let set = self.weekday_set(days);
                let mask = (0..7).filter(|&i| set[i]).fold(0u8, |m, i| m | (1 << i));
                match self.clock(at, false) {
                    Some(m) if mask != 0 => Timing::anchor(delay, mask, m),
                    _ => Timing::after(delay),
                }
            }
        }
    }

    /// `DATE[..DATE]` as a window of local dates; reports dates that do not exist, reversed
    /// ranges and windows over ten years.
    pub(super) fn date_window(&mut self, r: &DateRange) -> Option<DateWindow> {
        let from = self.date(&r.from)?;
        let to = match &r.to {
            Some(t) => self.date(t)?,
            None => from,
        };
        if to < from {
            self.push(
                Diagnostic::new(&codes::E0702, r.span, "date range ends before it starts")
                    .with_label("reversed")
                    .with_help(format!("write `{to}..{from}`")),
            );
            return None;
        }
        if (to - from).num_days() > 3660 {
            self.push(
                Diagnostic::new(
                    &codes::E0308,
                    r.span,
                    "date window is longer than ten years",
                )
                .with_label("too long")
                .with_help("a campaign window is at most ten years"),
            );
            return None;
        }
        Some(DateWindow { from, to })
    }

    /// The cadence a hand-off names (it may be declared later in the project).
    pub(super) fn hand_off_ref(&mut self, target: &ast::Ident) -> Option<usize> {
        match self.names.cadences.get(&target.name) {
            Some((i, _)) => Some(*i),
            None => {
                let names: Vec<String> = self.names.cadences.keys().cloned().collect();
                self.unknown(
                    &codes::E0209,
                    "cadence",
                    &target.name,
                    target.span,
                    "",
                    names.iter().map(|s| s.as_str()),
                );
                None
            }
        }
    }

    /// Anchors, windows and skips of one cadence against its calendar (E0421, W0422, E0423,
    /// W0424, W0425, W0429).
    pub(super) fn playbook_rules(&mut self, c: &Cadence, decl: &CadenceDecl, steps: &[&ast::Step]) {
        let cal_id = c.calendar.or(c
            .pipeline
            .and_then(|p| self.model.pipelines.get(p))
            .and_then(|p| p.calendar));
        let named = cal_id.and_then(|i| self.model.calendars.get(i));
        let cal_name = named.map(|k| k.name.clone());
        let cal = named
            .map(|k| k.engine.clone())
            .unwrap_or_else(|| Calendar::always_open(chrono_tz::UTC));
        let active_span = decl.items.iter().find_map(|i| match &i.node {
            CadenceItem::Active { dates, .. } => Some(dates.span),
            _ => None,
        });
        if let (Some(w), Some(span)) = (c.window, active_span) {
            self.window_on_calendar(w, span, &cal, cal_name.as_deref(), "cadence");
        }
        for (s, d) in c.steps.iter().zip(steps) {
            let attr_span = |f: fn(&StepAttr) -> bool| {
                d.attrs
                    .iter()
                    .find(|a| f(&a.node))
                    .map(|a| a.span)
                    .unwrap_or(d.name.span)
            };
            if s.timing.is_anchor() {
                let span = attr_span(|a| matches!(a, StepAttr::Timing(_)));
                self.anchor_on_calendar(s.timing, &s.name, span, &cal, cal_name.as_deref());
            }
            if let Some(w) = s.window {
                let span = attr_span(|a| matches!(a, StepAttr::During(_)));
                self.window_on_calendar(w, span, &cal, cal_name.as_deref(), "step");
                if let Some(cw) = c.window.filter(|cw| cw.to < w.from || w.to < cw.from) {
                    let mut diag = Diagnostic::new(
                        &codes::W0424,
                        span,
                        format!(
                            "step `{}` runs only {}, outside the cadence's dates {}",
                            s.name,
                            w.text(),
                            cw.text()
                        ),
                    )
                    .with_label("always skipped")
                    .with_help("make the dates overlap, or remove the step");
                    if let Some(a) = active_span {
                        diag = diag.with_related(a, "the cadence is active only here");
                    }
                    self.push(diag);
                }
            }
            if s.skip == Some(Cond::True) {
                let span = attr_span(|a| matches!(a, StepAttr::Skip(_)));
                self.push(
                    Diagnostic::new(
                        &codes::W0429,
                        span,
                        format!("step `{}` is always skipped", s.name),
                    )
                    .with_label("the condition always holds")
                    .with_help("name the exception (`skip when tier == \"A\"`) or remove the step"),
                );
            }
        }
    }

    fn anchor_on_calendar(
        &mut self,
        t: Timing,
        step: &str,
        span: Span,
        cal: &Calendar,
        cal_name: Option<&str>,
    ) {
        let listed: Vec<usize> = (0..7).filter(|i| t.weekdays & (1 << i) != 0).collect();
        let names = listed
            .iter()
            .map(|&i| WEEKDAY_NAMES[i])
            .collect::<Vec<_>>()
            .join(", ");
        let on = cal_name.map_or(String::new(), |n| format!(" of calendar `{n}`"));
        if !listed.iter().any(|&i| cal.workdays[i]) {
            self.push(
                Diagnostic::new(
                    &codes::E0421,
                    span,
                    format!("step `{step}` waits for {names}, which are not working days{on}"),
                )
                .with_label("no working weekday listed")
                .with_help("list a working weekday (`on tue, fri at 10:00`)"),
            );
            return;
        }
        let Some(m) = t.at_clock else { return };
        if !cal.hours.iter().any(|&(a, b)| a <= m && m < b) {
            self.push(
                Diagnostic::new(
                    &codes::W0422,
                    span,
                    format!(
                        "step `{step}` is due at {:02}:{:02}, outside the business hours{on}",
                        m / 60,
                        m % 60
                    ),
                )
                .with_label("the touch moves to the next opening, maybe another weekday")
                .with_help("pick a clock time inside the calendar's hours"),
            );
        }
    }

    fn window_on_calendar(
        &mut self,
        w: DateWindow,
        span: Span,
        cal: &Calendar,
        cal_name: Option<&str>,
        what: &str,
    ) {
        let on = cal_name.map_or(String::new(), |n| format!(" of calendar `{n}`"));
        let open = !cal.hours.is_empty()
            && w.from
                .iter_days()
                .take_while(|d| *d <= w.to)
                .any(|d| cal.is_working_day(d));
        if !open {
            self.push(
                Diagnostic::new(
                    &codes::E0423,
                    span,
                    format!("the {what}'s dates {} hold no working day{on}", w.text()),
                )
                .with_label("never open")
                .with_help("check the dates against the calendar's holidays"),
            );
            return;
        }
        let years: Vec<i32> = cal
            .holidays
            .iter()
            .chain(cal.makeup_workdays.iter())
            .map(|d| d.year())
            .collect();
        if years.is_empty() {
            return;
        }
        let missing: Vec<String> = (w.from.year()..=w.to.year())
            .filter(|y| !years.contains(y))
            .map(|y| y.to_string())
            .collect();
        if !missing.is_empty() {
            self.push(
                Diagnostic::new(
                    &codes::W0425,
                    span,
                    format!(
                        "the {what}'s dates {} reach {}, for which the calendar lists no holidays",
                        w.text(),
                        missing.join(", ")
                    ),
                )
                .with_label(format!("no holidays known for {}", missing.join(", ")))
                .with_help(format!("add those years' holidays to the calendar{on}")),
            );
        }
    }

    /// After all cadences: hand-offs that never enroll (E0426) and cycles of hand-offs in a stage
    /// without a timer exit (W0427).
    pub(super) fn hand_offs(&mut self) {
        let flows = std::mem::take(&mut self.flows);
        for f in &flows {
            let (Some(c), Some(span)) = (self.model.cadences.get(f.cadence), f.hand_off_span)
            else {
                continue;
            };
            let Some(t) = c.hand_off.and_then(|t| self.model.cadences.get(t)) else {
                continue;
            };
            let pipeline = |p: Option<usize>| {
                p.and_then(|p| self.model.pipelines.get(p))
                    .map_or("no pipeline".to_string(), |p| {
                        format!("pipeline `{}`", p.name)
                    })
            };
            let stage = |p: Option<usize>, s: Option<usize>| {
                p.and_then(|p| self.model.pipelines.get(p))
                    .and_then(|p| p.stages.get(s?))
                    .map_or("?".to_string(), |s| s.name.clone())
            };
            let mismatch = if t.pipeline != c.pipeline {
                Some(format!(
                    "`{}` works {}, `{}` works {}",
                    c.name,
                    pipeline(c.pipeline),
                    t.name,
                    pipeline(t.pipeline)
                ))
            } else if c.stage.is_some() && t.stage.is_some() && t.stage != c.stage {
                Some(format!(
                    "`{}` runs out in stage `{}`, `{}` works stage `{}`",
                    c.name,
                    stage(c.pipeline, c.stage),
                    t.name,
                    stage(t.pipeline, t.stage)
                ))
            } else {
                None
            };
            if let Some(why) = mismatch {
                let d = Diagnostic::new(
                    &codes::E0426,
                    span,
                    format!("the hand-off to `{}` never enrolls the deal", t.name),
                )
                .with_label(why)
                .with_related(t.span, "the cadence handed to")
                .with_help(
                    "hand off to a cadence of the same stage, or move the deal with `-> stage …`",
                );
                self.push(d);
                continue;
            }
            // a cycle through this cadence, reported at its first member
            let mut seen = vec![f.cadence];
            let mut at = c.hand_off;
            while let Some(i) = at {
                if i == f.cadence || seen.contains(&i) {
                    break;
                }
                seen.push(i);
                at = self.model.cadences.get(i).and_then(|x| x.hand_off);
            }
            if at != Some(f.cadence) || seen.iter().any(|&i| i < f.cadence) {
                continue;
            }
            let timer = c
                .pipeline
                .and_then(|p| self.model.pipelines.get(p))
                .zip(c.stage)
                .is_some_and(|(p, s)| !super::live::sure_exits(p, s).is_empty());
            if timer {
                continue;
            }
            let names: Vec<String> = seen
                .iter()
                .chain(std::iter::once(&f.cadence))
                .filter_map(|&i| self.model.cadences.get(i))
                .map(|x| format!("`{}`", x.name))
                .collect();
            self.push(
                Diagnostic::new(
                    &codes::W0427,
                    span,
                    format!("hand-offs go round: {}", names.join(" → ")),
                )
                .with_label("a deal that never answers is worked forever")
                .with_help("add a timer exit to the stage (`exit to lost when idle > 90d`) or end the cycle with an `exit`"),
            );
        }
        self.flows = flows;
    }
}
