//! Zoho Blueprint: the body of `POST /crm/v8/settings/blueprints/transitions` per pipeline.

use std::collections::BTreeSet;

use serde::Serialize;

use super::{truncate, MAX_NAME_CHARS, MAX_TRANSITIONS};
use crate::calendar::Delay;
use crate::model::{Builtin, Cmp, Cond, Model, Operand, Value as MValue};
use crate::targets::{linear, text, to_body, Body, Scope, Sink};

#[derive(Serialize)]
struct Transitions {
    transitions: Vec<Transition>,
}

#[derive(Serialize)]
struct Transition {
    name: String,
    description: String,
    trigger_type: &'static str,
    transition_type: &'static str,
}

/// A timer-only condition (`dwell > D`): Blueprint moves such records automatically.
fn is_timer(c: &Cond) -> bool {
    timer(c).is_some()
}

/// Where Blueprint states and their `state_escalation` are documented.
const STATES_PAGE: &str =
    "https://www.zoho.com/crm/developer/docs/api/v8/create-blueprint-states.html";

/// The minutes of a timer-only condition.
fn timer(c: &Cond) -> Option<f64> {
    match c {
        Cond::Compare {
            lhs: Operand::Builtin(Builtin::Dwell),
            op: Cmp::Gt | Cmp::Ge,
            rhs: Operand::Value(MValue::Minutes(m)),
        } => Some(*m),
        _ => None,
    }
}

/// A wait as `state_escalation` `{period, value}` (periods: days, hours, minutes,
/// business_days, business_hours): the largest exact period.
pub(super) fn escalation(d: Delay) -> String {
    let (period, value) = match d {
        Delay::Zero => ("minutes", 0),
        Delay::Wall { minutes: m } if m % 1440 == 0 => ("days", m / 1440),
        Delay::Wall { minutes: m } if m % 60 == 0 => ("hours", m / 60),
        Delay::Wall { minutes: m } => ("minutes", m),
        Delay::BusinessDays(n) => ("business_days", u64::from(n)),
        Delay::BusinessMinutes(m) if m % 60 == 0 => ("business_hours", m / 60),
        // business minutes have no period: the next whole business hour, said so
        Delay::BusinessMinutes(m) => {
            return format!(
                "`{{\"period\": \"business_hours\", \"value\": {}}}` (rounded up from {m} business minutes)",
                m.div_ceil(60)
            )
        }
    };
    format!("`{{\"period\": \"{period}\", \"value\": {value}}}`")
}

pub(super) fn pipeline(model: &Model, pi: usize, sink: &mut Sink) -> Option<Body> {
    let p = model.pipelines.get(pi)?;
    let label = |i: usize| {
        p.stages
            .get(i)
            .map(|s| s.title.clone().unwrap_or_else(|| s.name.clone()))
            .unwrap_or_default()
    };
    let mut transitions = Vec::new();
    let mut names = BTreeSet::new();
    for (si, s) in p.stages.iter().enumerate() {
        let require: Vec<String> = s.require.iter().map(|c| text::cond(c, Some(p))).collect();
        for e in &s.exits {
            let to_terminal = p
                .stages
                .get(e.target)
                .map(|t| t.outcome.is_some())
                .unwrap_or(false);
            let base = e
                .label
                .clone()
                .unwrap_or_else(|| format!("{} → {}", label(si), label(e.target)));
            let mut name = truncate(&base, MAX_NAME_CHARS);
            let mut n = 1;
            while !names.insert(name.clone()) {
                n += 1;
                name = truncate(&format!("{base} ({n})"), MAX_NAME_CHARS);
            }
            let mut description = format!(
                "{} → {} when {}",
                label(si),
                label(e.target),
                text::cond(&e.when, Some(p))
            );
            if !require.is_empty() && !to_terminal {
                description.push_str(&format!("; requires {}", require.join(", ")));
            }
            sink.setup(
                e.span,
                Scope::stage(&p.name, &s.name),
                format!(
                    "exit to `{}` when `{}`",
                    p.stages
                        .get(e.target)
                        .map(|t| t.name.as_str())
                        .unwrap_or("?"),
                    text::cond(&e.when, Some(p))
                ),
                &format!(
                    "in the Blueprint of the Stage field, transition \"{name}\" from state \"{}\" to \"{}\" ({} trigger), with the condition {}",
                    label(si),
                    label(e.target),
                    if is_timer(&e.when) { "automatic" } else { "manual" },
                    text::cond(&e.when, Some(p))
                ),
            );
            transitions.push(Transition {
                name,
                description,
                trigger_type: if is_timer(&e.when) {
                    "automatic"
                } else {
                    "manual"
                },
                transition_type: "standalone_transition",
            });
        }
        for esc in &s.escalations {
            let role = linear::role_name(Some(p), esc.role);
            let when = text::cond(&esc.when, Some(p));
            let how = match timer(&esc.when).filter(|m| m.fract() == 0.0 && *m >= 0.0) {
                // a pure timer is the state's documented escalation period
                Some(m) => format!(
                    "the `state_escalation` of Blueprint state \"{}\" ({STATES_PAGE}): {}, its trigger notifying the user of role `{role}` (ids `[zoho.roles]` `{role}`)",
                    label(si),
                    escalation(Delay::Wall { minutes: m as u64 })
                ),
                None => format!(
                    "a Blueprint SLA escalation on state \"{}\" that notifies the user of role `{role}` (ids `[zoho.roles]` `{role}`) when {when}",
                    label(si)
                ),
            };
            sink.setup(
                s.span,
                Scope::stage(&p.name, &s.name),
                format!("escalates to `{role}` when `{when}`"),
                &how,
            );
        }
        if let Some(d) = s.respond_within {
            let words = text::delay(d);
            sink.setup(
                s.span,
                Scope::stage(&p.name, &s.name),
                format!("must be answered within {words}"),
                &format!(
                    "the `state_escalation` of Blueprint state \"{}\" ({STATES_PAGE}): {}, escalating when the record stays there without a transition",
                    label(si),
                    escalation(d)
                ),
            );
        }
    }
    if transitions.len() > MAX_TRANSITIONS {
        sink.setup(
            p.span,
            Scope::pipeline(&p.name),
            format!("the pipeline has {} exits", transitions.len()),
            &format!(
                "Zoho creates at most {MAX_TRANSITIONS} transitions per request: the body has the first {MAX_TRANSITIONS}; create the rest with a second request"
            ),
        );
        transitions.truncate(MAX_TRANSITIONS);
    }
    if transitions.is_empty() {
        return None;
    }
    to_body(sink, p.span, &Transitions { transitions })
}
