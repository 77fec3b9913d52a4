//! What linear targets (Salesloft cadences, HubSpot sequences) share: one path of steps, no
//! outcome rules, exits only on the events the vendor ends a sequence on by itself. Everything
//! else in a cadence is reported as a loss here, once, for both targets.

use std::collections::BTreeSet;

use super::{text, Scope, Sink};
use crate::model::graph::StepGraph;
use crate::model::{
    BuiltinTrigger, Cadence, Channel, Effects, Flow, Model, OnRule, Pipeline, StepId, Trigger,
};

/// A cadence seen by a linear target.
pub(crate) struct Plan {
    /// the steps of the sequence, in order
    pub steps: Vec<StepId>,
    /// built-in triggers the sequence must end on (from exits and `-> exit` rules)
    pub ends_on: BTreeSet<&'static str>,
    /// the stage an ending on a built-in trigger moves the deal to
    pub stage_on: std::collections::BTreeMap<&'static str, usize>,
    /// the stage the deal moves to when the last step is done (its `otherwise`)
    pub finished_stage: Option<usize>,
    /// `on opened|clicked [N times] -> exit` on an email step (HubSpot's `engagementTriggers`):
    /// the step, the outcome and N
    pub engagement: Vec<(StepId, &'static str, u32)>,
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
/// a sequence on by itself; with `engagement`, an email step's exit on opens or clicks is kept
/// for the caller (`Plan::engagement`) instead of being a loss.
pub(crate) fn plan(
    model: &Model,
    ci: usize,
    sink: &mut Sink,
    native: &[&'static str],
    engagement: bool,
) -> Plan {
    let t = sink.target().title();
    let branch_limit = format!("{t} sequences are linear: a step cannot branch on its outcome");
    let mut plan = Plan {
        steps: Vec::new(),
        ends_on: BTreeSet::new(),
        stage_on: Default::default(),
        finished_stage: None,
        engagement: Vec::new(),
    };
    let Some(c) = model.cadences.get(ci) else {
        return plan;
    };
    let p = c.pipeline.and_then(|p| model.pipelines.get(p));
    super::playbook::losses(model, ci, sink);
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
            // `set` and `stage` effects are workflow setup; the rest is what the sequence does
            let flow_only = Effects {
                set: Vec::new(),
                stage: None,
                tasks: r.effects.tasks.clone(),
                flow: r.effects.flow.clone(),
            };
            let ends = match (&r.effects.flow, outcome_trigger(s.channel, &r.outcome)) {
                (Flow::Exit(_), Some(trig))
                    if pure(&flow_only)
                        && r.times == 1
                        && r.within_minutes.is_none()
                        && native.contains(&trig) =>
                {
                    Some(trig)
                }
                _ => None,
            };
            let engaged = match r.outcome.as_str() {
                "opened" => Some("opened"),
                "clicked" => Some("clicked"),
                _ => None,
            }
            .filter(|_| {
                engagement
                    && s.channel == Channel::Email
                    && matches!(r.effects.flow, Flow::Exit(_))
                    && pure(&flow_only)
                    && r.within_minutes.is_none()
            });
            let workflow_only = r.effects.flow == Flow::Continue
                && r.effects.tasks.is_empty()
                && r.times == 1
                && r.within_minutes.is_none();
            match ends {
                Some(trig) => {
                    plan.ends_on.insert(trig);
                    if let Some(st) = r.effects.stage {
                        plan.stage_on.insert(trig, st);
                    }
                    effects_setup(sink, c, p, s, &format!("on {}", r.outcome), &r.effects);
                }
                None if workflow_only => {
                    effects_setup(sink, c, p, s, &format!("on {}", r.outcome), &r.effects);
                }
                None if engaged.is_some() => {
                    if let Some(o) = engaged {
                        plan.engagement.push((si, o, r.times));
                    }
                    effects_setup(sink, c, p, s, &format!("on {}", r.outcome), &r.effects);
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
            let ends = match o.flow {
                Flow::Continue => true,
                Flow::Exit(_) => i == last,
                Flow::Jump { .. } => false,
            };
            // `set`/`stage` when the last step is done are workflow setup, like a rule's
            if ends && i == last && o.tasks.is_empty() && !pure(o) {
                plan.finished_stage = o.stage;
                effects_setup(sink, c, p, s, "otherwise", o);
            } else if !(ends && pure(o)) {
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
                if let Some(st) = e.effects.stage {
                    plan.stage_on.insert(trig, st);
                }
                if !pure(&e.effects) {
                    sink.setup(
                        c.span,
                        Scope::cadence(&c.name),
                        format!(
                            "exit `{}` on {trigger_name} runs `{}`",
                            e.reason,
                            text::effects(&e.effects, p, &c.steps)
                        ),
                        &format!("{t} ends the sequence on {trigger_name} by itself; the effects need a workflow on that event: {}", workflow_words(&e.effects, p)),
                    );
                }
            }
            None if e.trigger == Trigger::Builtin(BuiltinTrigger::StageChange)
                && pure(&e.effects) =>
            {
                stage_setup(sink, c, p, t)
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
    if c.stage.is_some() {
        stage_setup(sink, c, p, t);
    }
    if let Some(en) = &c.enroll {
        sink.setup(
            c.span,
            Scope::cadence(&c.name),
            format!("enrollment condition `{}`", text::cond(en, p)),
            &format!(
                "{} sequence body has no enrollment criteria: enroll from a workflow (or a list) whose condition is {}",
                crate::diagnostics::with_article(t),
                text::cond(en, p)
            ),
        );
    }
    plan
}

/// The cadence ends when its deal leaves the worked stage (or changes stage): a workflow that
/// unenrolls, once per cadence.
fn stage_setup(sink: &mut Sink, c: &Cadence, p: Option<&Pipeline>, t: &str) {
    let stage = p
        .zip(c.stage)
        .and_then(|(p, st)| p.stages.get(st))
        .map(|s| s.title.clone().unwrap_or_else(|| s.name.clone()));
    let (what, when) = match &stage {
        Some(label) => (
            "the cadence ends when the deal leaves its stage".to_string(),
            format!("the deal's stage is no longer \"{label}\""),
        ),
        None => (
            "the cadence ends when the deal changes stage".to_string(),
            "the deal's stage changes".to_string(),
        ),
    };
    let how = match sink.target() {
        super::Target::Hubspot => format!(
            "a deal workflow: when {when}, unenroll the deal's contacts from this sequence"
        ),
        _ => format!("{t} does not watch deal stages: remove the person from the cadence when {when} (a CRM workflow or {t} rule)"),
    };
    sink.setup_once(c.span, Scope::cadence(&c.name), what, &how);
}

/// A rule's or exit's `set` and `stage` effects, which a workflow carries out.
fn effects_setup(
    sink: &mut Sink,
    c: &Cadence,
    p: Option<&Pipeline>,
    s: &crate::model::Step,
    on: &str,
    e: &Effects,
) {
    if e.set.is_empty() && e.stage.is_none() {
        return;
    }
    let only = Effects {
        set: e.set.clone(),
        stage: e.stage,
        tasks: Vec::new(),
        flow: Flow::Continue,
    };
    sink.setup(
        s.span,
        Scope::step(&c.name, &s.name),
        format!("`{on}` runs `{}`", text::effects(&only, p, &c.steps)),
        &format!(
            "a workflow on that outcome of step `{}`: {}",
            s.name,
            workflow_words(&only, p)
        ),
    );
}

/// What a workflow does for a set of effects, in words (events are CRM fields or activities,
/// stages the deal's stage).
pub(crate) fn workflow_words(e: &Effects, p: Option<&Pipeline>) -> String {
    let mut parts = Vec::new();
    for ev in &e.set {
        let name = text::event(*ev, p);
        parts.push(format!(
            "record the event `{name}` (the field or activity that stands for it)"
        ));
    }
    if let Some(st) = e.stage.and_then(|st| p.and_then(|p| p.stages.get(st))) {
        parts.push(format!(
            "set the deal's stage to \"{}\"",
            st.title.clone().unwrap_or_else(|| st.name.clone())
        ));
    }
    for t in &e.tasks {
        parts.push(format!("create the task {:?}", t.title));
    }
    parts.join("; ")
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
