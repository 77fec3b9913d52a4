//! The trace of a test's lead: what the engine told its observer, in order, with the time of
//! each entry; rendered in the words of the cadence for a failing test.

use crate::model::Channel;
use crate::simulate::draws::Outside;
use crate::simulate::engine::Time;
use crate::simulate::observe::{MovedBy, Observer};
use crate::simulate::outcomes::Has;
use crate::simulate::program::{Program, ACTIVE};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum What {
    Enrolled,
    CadenceStarted(usize),
    /// cadence, global reason index
    CadenceEnded(usize, usize),
    Touched(usize),
    Skipped(usize),
    Happened(usize, usize),
    /// step, rule (`None`: otherwise)
    Rule(usize, Option<usize>),
    Event(usize),
    Outside(Outside),
    Timer,
    Tasks(usize),
    StageEntered(usize),
    StageLeft(usize, usize, MovedBy),
    /// stage, escalation index, role
    Escalated(usize, usize, usize),
    /// stage, won or lost
    Finished(usize, Option<bool>),
}

#[derive(Debug, Clone, Default)]
pub struct Trace {
    pub entries: Vec<(Time, What)>,
}

impl Observer for Trace {
    fn enrolled(&mut self, at: Time) {
        self.entries.push((at, What::Enrolled));
    }
    fn cadence_started(&mut self, c: usize, at: Time) {
        self.entries.push((at, What::CadenceStarted(c)));
    }
    fn cadence_ended(&mut self, c: usize, reason: usize, at: Time) {
        self.entries.push((at, What::CadenceEnded(c, reason)));
    }
    fn touched(&mut self, step: usize, _channel: Channel, at: Time) {
        self.entries.push((at, What::Touched(step)));
    }
    fn skipped(&mut self, step: usize, at: Time) {
        self.entries.push((at, What::Skipped(step)));
    }
    fn outcomes(&mut self, _step: usize, _has: Has) {}
    fn happened(&mut self, step: usize, outcome: usize, at: Time) {
        self.entries.push((at, What::Happened(step, outcome)));
    }
    fn rule(&mut self, step: usize, rule: Option<usize>, at: Time) {
        self.entries.push((at, What::Rule(step, rule)));
    }
    fn event(&mut self, event: usize, at: Time) {
        self.entries.push((at, What::Event(event)));
    }
    fn outside(&mut self, what: Outside, at: Time) {
        // a pipeline event shows as the event it sets
        if !matches!(what, Outside::Event(_)) {
            self.entries.push((at, What::Outside(what)));
        }
    }
    fn timer(&mut self, at: Time) {
        self.entries.push((at, What::Timer));
    }
    fn tasks(&mut self, n: usize, at: Time) {
        self.entries.push((at, What::Tasks(n)));
    }
    fn stage_entered(&mut self, stage: usize, at: Time) {
        self.entries.push((at, What::StageEntered(stage)));
    }
    fn stage_left(&mut self, from: usize, to: usize, _dwell: f64, by: MovedBy, at: Time) {
        self.entries.push((at, What::StageLeft(from, to, by)));
    }
    fn escalated(&mut self, stage: usize, index: usize, role: usize, _task: bool, at: Time) {
        self.entries.push((at, What::Escalated(stage, index, role)));
    }
    fn held_back(&mut self, _stage: usize, _exit: usize, _part: usize) {}
    fn finished(&mut self, stage: usize, _t: u32, outcome: Option<(bool, Time)>, _e: Time) {
        let at = self.entries.last().map(|e| e.0).unwrap_or(0.0);
        let at = outcome.map_or(at, |o| o.1);
        self.entries
            .push((at, What::Finished(stage, outcome.map(|o| o.0))));
    }
}

/// Local `YYYY-MM-DD HH:MM` of an instant (minutes since the epoch) in `tz`.
pub fn local(t: Time, tz: chrono_tz::Tz) -> String {
    let secs = (t * 60.0).round() as i64;
    match chrono::DateTime::from_timestamp(secs, 0) {
        Some(utc) => utc.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
        None => format!("{t} min"),
    }
}

/// Names for a program's indices, shared by the trace and the expectations.
pub struct Names<'a> {
    pub p: &'a Program,
    pub tz: chrono_tz::Tz,
}

impl Names<'_> {
    pub fn step(&self, step: usize) -> String {
        let sp = &self.p.steps[step];
        if self.p.cadences.len() > 1 {
            format!("{}.{}", self.p.cadences[sp.cadence].name, sp.name)
        } else {
            sp.name.clone()
        }
    }

    pub fn reason(&self, r: usize) -> &str {
        self.p.reasons.get(r).map(|s| s.as_str()).unwrap_or("?")
    }

    pub fn stage(&self, s: usize) -> &str {
        &self.p.stages[s].name
    }

    pub fn role(&self, r: usize) -> &str {
        self.p.roles.get(r).map(|s| s.as_str()).unwrap_or("?")
    }

    pub fn at(&self, t: Time) -> String {
        local(t, self.tz)
    }

    fn effects(&self, e: &crate::model::Effects) -> String {
        use crate::model::Flow;
        let mut parts: Vec<String> = e
            .set
            .iter()
            .map(|ev| format!("set {}", self.p.events.get(*ev).map_or("?", |s| s)))
            .collect();
        if let Some(st) = e.stage {
            parts.push(format!("stage {}", self.stage(st)));
        }
        if !e.tasks.is_empty() {
            parts.push(format!("{} task(s)", e.tasks.len()));
        }
        match &e.flow {
            Flow::Exit(r) => parts.push(format!("exit {r}")),
            Flow::Jump { step, .. } => parts.push(format!("jump to {}", self.step(*step))),
            Flow::Continue => {}
        }
        if parts.is_empty() {
            "continue".into()
        } else {
            parts.join(", ")
        }
    }

    /// One line of the trace, or None for what it leaves out.
    pub fn line(&self, at: Time, w: &What) -> Option<String> {
        let p = self.p;
        let text = match *w {
            What::Enrolled => "enrolled".to_string(),
            What::CadenceStarted(c) => format!("cadence {} starts", p.cadences[c].name),
            What::CadenceEnded(c, r) if r == p.cadences[c].reason_base + ACTIVE => {
                format!("cadence {} still running at the end", p.cadences[c].name)
            }
            What::CadenceEnded(c, r) => {
                format!("cadence {} ends: {}", p.cadences[c].name, self.reason(r))
            }
            What::Touched(s) => format!("touch {} ({})", self.step(s), p.steps[s].channel.name()),
            What::Skipped(s) => format!("step {} passed over", self.step(s)),
            What::Happened(s, o) => format!(
                "{}: {}",
                self.step(s),
                p.steps[s].channel.outcomes().get(o).unwrap_or(&"?")
            ),
            What::Rule(s, Some(k)) => {
                let r = &p.steps[s].rules[k];
                let outcome = p.steps[s].channel.outcomes().get(r.outcome).unwrap_or(&"?");
                format!(
                    "rule {} of {} (on {outcome}) decides: {}",
                    k + 1,
                    self.step(s),
                    self.effects(&r.effects)
                )
            }
            What::Rule(s, None) => {
                let e = p.steps[s].otherwise.as_ref()?;
                format!("otherwise of {} decides: {}", self.step(s), self.effects(e))
            }
            What::Event(ev) => format!("event {}", p.events.get(ev).map_or("?", |s| s)),
            What::Outside(Outside::Trigger(i)) => format!(
                "{} (scripted)",
                crate::model::BuiltinTrigger::ALL
                    .get(i)
                    .map_or("?", |t| t.name())
            ),
            What::Outside(Outside::Fact(f, v)) => {
                format!("fact {} = {v}", p.fact_names.get(f).map_or("?", |s| s))
            }
            What::Outside(Outside::Event(_)) => return None,
            What::Timer => "a stage timer comes due".to_string(),
            What::Tasks(n) => format!("{n} task(s) created"),
            What::StageEntered(_) => return None,
            What::StageLeft(from, to, by) => {
                let why = match by {
                    MovedBy::Exit(k) => format!(
                        "exit to {} when {}",
                        self.stage(to),
                        p.stages[from].exits.get(k).map_or("?", |e| e.text.as_str())
                    ),
                    MovedBy::Effect(c) => format!("a rule of cadence {}", p.cadences[c].name),
                };
                format!("stage {} -> {} ({why})", self.stage(from), self.stage(to))
            }
            What::Escalated(st, _, role) => {
                format!(
                    "escalation to {} in stage {}",
                    self.role(role),
                    self.stage(st)
                )
            }
            What::Finished(st, Some(true)) => format!("won in stage {}", self.stage(st)),
            What::Finished(st, Some(false)) => format!("lost in stage {}", self.stage(st)),
            What::Finished(st, None) => format!("run ends in stage {}", self.stage(st)),
        };
        Some(format!("{}  {text}", self.at(at)))
    }

    /// The trace as one note: a heading, then a line per entry.
    pub fn render(&self, trace: &Trace) -> String {
        let mut out = String::from("trace of the lead:");
        for (at, w) in &trace.entries {
            if let Some(l) = self.line(*at, w) {
                out.push_str("\n  ");
                out.push_str(&l);
            }
        }
        out
    }
}
