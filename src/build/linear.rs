//! What linear targets (Salesloft cadences, HubSpot sequences) share: one path of steps, no
//! outcome rules, exits only on the events the vendor ends a sequence on by itself. Everything
//! else in a cadence is reported as a loss here, once, for both targets.

use std::collections::BTreeSet;

use super::{text, Sink};
use crate::model::graph::StepGraph;
use crate::model::{Cadence, Channel, Effects, Flow, Model, OnRule, Pipeline, StepId, Trigger};

/// A cadence seen by a linear target.
pub(crate) struct Plan {
    /// the steps of the sequence, in order
    pub steps: Vec<StepId>,
    /// built-in triggers the sequence must end on (from exits and `-> exit` rules)
    pub ends_on: BTreeSet<&'static str>,
}

/// The built-in trigger an outcome stands for, if the vendor can end a sequence on it.
fn outcome_trigger(channel: Channel, outcome: &str) -> Option<&'static str> {
    channel.raises(outcome).map(|t| t.name())
}

fn pure(e: &Effects) -> bool {
    e.set.is_empty() && e.stage.is_none() && e.tasks.is_empty()
}

pub(crate) fn rule_text(r: &OnRule, p: Option<&Pipeline>, c: &Cadence) -> String {
    let mut s = format!("on {}", r.outcome);
    if r.times > 1 {
        s.push_str(&format!(" {} times", r.times));
    }
    if let Some(w) = r.within_minutes {
        s.push_str(&format!(" within {}", text::delay(w)));
    }
    format!("{s} -> {}", text::effects(&r.effects, p, &c.steps))
}

/// Plan a linear sequence for cadence `ci`; `native` lists the built-in triggers the target ends
/// a sequence on by itself.
pub(crate) fn plan(model: &Model, ci: usize, sink: &mut Sink, native: &[&'static str]) -> Plan {
    let t = sink.target().title();
    let branch_limit = format!("{t} sequences are linear: a step cannot branch on its outcome");
    let mut plan = Plan {
        steps: Vec::new(),
        ends_on: BTreeSet::new(),
    };
    let Some(c) = model.cadences.get(ci) else {
        return plan;
    };
    let p = c.pipeline.and_then(|p| model.pipelines.get(p));
    // the track holding the step graph's entry
    let entry = StepGraph::new(c)
        .entry
        .and_then(|e| c.steps.get(e))
        .map(|s| s.track);
    for (ti, tr) in c.tracks.iter().enumerate() {
        if Some(ti) == entry {
            plan.steps = tr.steps.clone();
            continue;
        }
        let Some(first) = tr.steps.first().and_then(|s| c.steps.get(*s)) else {
            continue;
        };
        sink.loss(
            first.span,
            format!(
                "track `{}` ({} step{}) is entered only by a jump",
                tr.name,
                tr.steps.len(),
                if tr.steps.len() == 1 { "" } else { "s" }
            ),
            &branch_limit,
            "the track is left out",
        );
    }
    let last = plan.steps.len().saturating_sub(1);
    for (i, &si) in plan.steps.iter().enumerate() {
        let Some(s) = c.steps.get(si) else { continue };
        for r in &s.rules {
            if r.effects.flow == Flow::Continue && pure(&r.effects) {
                continue;
            }
            let ends = match (&r.effects.flow, outcome_trigger(s.channel, &r.outcome)) {
                (Flow::Exit(_), Some(trig))
                    if pure(&r.effects)
                        && r.times == 1
                        && r.within_minutes.is_none()
                        && native.contains(&trig) =>
                {
                    Some(trig)
                }
                _ => None,
            };
            match ends {
                Some(trig) => {
                    plan.ends_on.insert(trig);
                }
                None => sink.loss(
                    s.span,
                    format!("step `{}`: `{}`", s.name, rule_text(r, p, c)),
                    &branch_limit,
                    "the rule is left out",
                ),
            }
        }
        if let Some(o) = &s.otherwise {
            let harmless = pure(o)
                && match o.flow {
                    Flow::Continue => true,
                    Flow::Exit(_) => i == last,
                    Flow::Jump { .. } => false,
                };
            if !harmless {
                sink.loss(
                    s.span,
                    format!(
                        "step `{}`: `otherwise -> {}`",
                        s.name,
                        text::effects(o, p, &c.steps)
                    ),
                    &branch_limit,
                    "left out: the sequence goes on with the next step",
                );
            }
        }
        if let Some(v) = s.variants.first() {
            let all: Vec<String> = s
                .variants
                .iter()
                .map(|v| format!("`{}` {}%", v.name, v.share * 100.0))
                .collect();
            sink.loss(
                s.span,
                format!("step `{}` has A/B variants {}", s.name, all.join(", ")),
                &format!("{t} has no documented field for step variants"),
                &format!("only variant `{}` is sent", v.name),
            );
        }
    }
    for e in &c.exits {
        let trig = match &e.trigger {
            Trigger::Builtin(b) => native.iter().copied().find(|n| *n == b.name()),
            Trigger::Event(_) => None,
        };
        let trigger_name = match &e.trigger {
            Trigger::Builtin(b) => b.name().to_string(),
            Trigger::Event(ev) => p
                .and_then(|p| p.events.get(*ev))
                .cloned()
                .unwrap_or_else(|| format!("event#{ev}")),
        };
        match trig {
            Some(trig) => {
                plan.ends_on.insert(trig);
                if !pure(&e.effects) {
                    sink.loss(
                        c.span,
                        format!(
                            "exit `{}` on {trigger_name} runs `{}`",
                            e.reason,
                            text::effects(&e.effects, p, &c.steps)
                        ),
                        &format!("{t} ends a sequence on {trigger_name} but runs no actions then"),
                        "the sequence ends without these effects",
                    );
                }
            }
            None => sink.loss(
                c.span,
                format!("exit `{}` on {trigger_name}", e.reason),
                &format!(
                    "{t} ends a sequence only on {}",
                    native
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                "the exit is left out",
            ),
        }
    }
    if let (Some(p), Some(st)) = (p, c.stage) {
        let name = p.stages.get(st).map(|s| s.name.as_str()).unwrap_or("?");
        sink.loss(
            c.span,
            format!("the cadence ends when the deal leaves stage `{name}`"),
            &format!("{t} sequences do not watch deal stages"),
            "the sequence runs on after a stage change",
        );
    }
    if let Some(en) = &c.enroll {
        sink.loss(
            c.span,
            format!("enrollment condition `{}`", text::cond(en, p)),
            &format!(
                "{} sequence body has no enrollment criteria",
                crate::diagnostics::with_article(t)
            ),
            "enroll by hand or from a workflow",
        );
    }
    plan
}

/// Whether a role is the record owner (the user a sequence runs for).
pub(crate) fn is_owner(p: Option<&Pipeline>, role: Option<usize>) -> bool {
    match role {
        None => true,
        Some(r) => match p {
            Some(p) => p.roles.get(r).map(|n| n == "owner").unwrap_or(false),
            None => true,
        },
    }
}

/// The name of a role.
pub(crate) fn role_name(p: Option<&Pipeline>, role: usize) -> String {
    p.and_then(|p| p.roles.get(role))
        .cloned()
        .unwrap_or_else(|| "owner".into())
}
