//! Zoho Blueprint: per pipeline, the setup items of its stage exits and escalations, and (with
//! `--pipelines`) the `zoho-blueprint` plan: the ordered documented calls that create it —
//! the Blueprint ([create Blueprint](https://www.zoho.com/crm/developer/docs/api/v8/create-blueprint.html)),
//! its states with their `state_escalation` ([create Blueprint states](https://www.zoho.com/crm/developer/docs/api/v8/create-blueprint-states.html)),
//! then the transitions ([create Blueprint transitions](https://www.zoho.com/crm/developer/docs/api/v8/create-blueprint-transitions.html)).
//! An id a later call needs is a named placeholder (`{{blueprint.id}}`, `{{state.NAME.id}}`)
//! that the earlier call's response gives (`returns`).

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::{json, Value};

use super::{truncate, MAX_NAME_CHARS, MAX_TRANSITIONS, PLACEHOLDER_ID};
use crate::calendar::Delay;
use crate::model::{Builtin, Cmp, Cond, Model, Operand, Value as MValue};
use crate::targets::ids::Kind;
use crate::targets::{linear, text, to_body, Body, Scope, Sink};

pub const BLUEPRINT_PAGE: &str =
    "https://www.zoho.com/crm/developer/docs/api/v8/create-blueprint.html";
/// Where Blueprint states and their `state_escalation` are documented.
pub const STATES_PAGE: &str =
    "https://www.zoho.com/crm/developer/docs/api/v8/create-blueprint-states.html";
pub const TRANSITIONS_PAGE: &str =
    "https://www.zoho.com/crm/developer/docs/api/v8/create-blueprint-transitions.html";
/// The `format` of the plan document.
pub const PLAN_FORMAT: &str = "zoho-blueprint";

#[derive(Serialize)]
struct Plan {
    format: &'static str,
    pipeline: String,
    calls: Vec<Call>,
    /// which transition goes from which state to which: the transitions request names no
    /// states, so these are wired in the Blueprint editor (a setup item)
    connections: Vec<Connection>,
}

#[derive(Serialize)]
struct Call {
    name: &'static str,
    method: &'static str,
    path: String,
    page: &'static str,
    body: Value,
    /// placeholder → where the response holds its id
    returns: serde_json::Map<String, Value>,
}

#[derive(Serialize)]
struct Connection {
    transition: String,
    from_state: String,
    to_state: String,
}

/// A timer-only condition (`dwell > D`): Blueprint moves such records automatically.
fn is_timer(c: &Cond) -> bool {
    timer(c).is_some()
}

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
/// business_days, business_hours): the largest exact period; business minutes that are not
/// whole hours round up (`false`: not exact).
pub(super) fn period(d: Delay) -> (&'static str, u64, bool) {
    match d {
        Delay::Zero => ("minutes", 0, true),
        Delay::Wall { minutes: m } if m % 1440 == 0 => ("days", m / 1440, true),
        Delay::Wall { minutes: m } if m % 60 == 0 => ("hours", m / 60, true),
        Delay::Wall { minutes: m } => ("minutes", m, true),
        Delay::BusinessDays(n) => ("business_days", u64::from(n), true),
        Delay::BusinessMinutes(m) => ("business_hours", m.div_ceil(60), m % 60 == 0),
    }
}

/// [`period`] in the setup report's words.
pub(super) fn escalation(d: Delay) -> String {
    let (period, value, exact) = period(d);
    let shown = format!("`{{\"period\": \"{period}\", \"value\": {value}}}`");
    match d {
        Delay::BusinessMinutes(m) if !exact => {
            format!("{shown} (rounded up from {m} business minutes)")
        }
        _ => shown,
    }
}

/// Placeholder names: letters, digits and `_` of the stage name.
fn placeholder(kind: &str, name: &str) -> String {
    format!("{{{{{kind}.{name}.id}}}}")
}

pub(super) fn pipeline(model: &Model, pi: usize, sink: &mut Sink) -> Option<Body> {
    let p = model.pipelines.get(pi)?;
    let label = |i: usize| {
        p.stages
            .get(i)
            .map(|s| s.title.clone().unwrap_or_else(|| s.name.clone()))
            .unwrap_or_default()
    };
    let module = {
        let (ids, t) = (&sink.opts.ids, sink.target());
        ids.get(t, Kind::Module, &p.name)
            .unwrap_or("Deals")
            .to_string()
    };
    let module_ref = json!({ "api_name": module });
    let mut transitions = Vec::new();
    let mut connections = Vec::new();
    let mut names = BTreeSet::new();
    let mut transition_refs = BTreeSet::new();
    // one `state_escalation` per state: the stage's first exact timer
    let mut escalations: Vec<Option<Delay>> = vec![None; p.stages.len()];
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
            let trigger = if is_timer(&e.when) {
                "automatic"
            } else {
                "manual"
            };
            let to_name = p
                .stages
                .get(e.target)
                .map(|t| t.name.as_str())
                .unwrap_or("?");
            sink.setup(
                e.span,
                Scope::stage(&p.name, &s.name),
                format!(
                    "exit to `{to_name}` when `{}`",
                    text::cond(&e.when, Some(p))
                ),
                &format!(
                    "in the Blueprint of the Stage field, transition \"{name}\" from state \"{}\" to \"{}\" ({trigger} trigger), with the condition {} (a transition's request carries no condition in the project's terms: set it in the Blueprint editor)",
                    label(si),
                    label(e.target),
                    text::cond(&e.when, Some(p))
                ),
            );
            let mut key = format!("{}.{to_name}", s.name);
            let mut k = 1;
            while !transition_refs.insert(key.clone()) {
                k += 1;
                key = format!("{}.{to_name}~{k}", s.name);
            }
            connections.push(Connection {
                transition: placeholder("transition", &key),
                from_state: placeholder("state", &s.name),
                to_state: placeholder("state", to_name),
            });
            transitions.push((
                key,
                json!({
                    "name": name,
                    "description": description,
                    "trigger_type": trigger,
                    "transition_type": "standalone_transition",
                    "module": module_ref,
                }),
            ));
        }
        for esc in &s.escalations {
            let role = linear::role_name(Some(p), esc.role);
            let when = text::cond(&esc.when, Some(p));
            let how = match timer(&esc.when).filter(|m| m.fract() == 0.0 && *m >= 0.0) {
                // a pure timer is the state's documented escalation period
                Some(m) => {
                    let d = Delay::Wall { minutes: m as u64 };
                    if escalations[si].is_none() {
                        escalations[si] = Some(d);
                    }
                    format!(
                        "the `state_escalation` of Blueprint state \"{}\" ({STATES_PAGE}): {}, its trigger notifying the user of role `{role}` (an email alert: ids `[zoho.actions]` `{}.{}.escalation`)",
                        label(si),
                        escalation(d),
                        p.name,
                        s.name
                    )
                }
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
            // the answer time comes first: it is the stage's own promise
            escalations[si] = Some(d);
            sink.setup(
                s.span,
                Scope::stage(&p.name, &s.name),
                format!("must be answered within {words}"),
                &format!(
                    "the `state_escalation` of Blueprint state \"{}\" ({STATES_PAGE}): {}, escalating when the record stays there without a transition (an email alert: ids `[zoho.actions]` `{}.{}.escalation`)",
                    label(si),
                    escalation(d),
                    p.name,
                    s.name
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
                "Zoho creates at most {MAX_TRANSITIONS} transitions per request: the plan's transitions call has the first {MAX_TRANSITIONS}; create the rest with a second call"
            ),
        );
        transitions.truncate(MAX_TRANSITIONS);
        connections.truncate(MAX_TRANSITIONS);
    }
    if !sink.opts.pipelines {
        return None;
    }
    let scope = Scope::pipeline(&p.name);
    sink.assumption(
        p.span,
        scope.clone(),
        "the Blueprint is created without states and transitions, which the next calls add",
        &format!("the create-Blueprint page ({BLUEPRINT_PAGE}) does not say whether `states`, `transitions` and `connections` may be left out; if Zoho refuses the first call, send the states and transitions bodies inside it"),
    );
    sink.assumption(
        p.span,
        scope,
        "transitions are wired to their states in the Blueprint editor",
        &format!("the create-transitions request ({TRANSITIONS_PAGE}) names no source or target state: connect each transition as the plan's `connections` list says (from state → transition → to state)"),
    );

    let layout = sink.id(Kind::Layout, &module, p.span, PLACEHOLDER_ID);
    let layout_ref = json!({ "id": layout });
    let blueprint_id = "{{blueprint.id}}".to_string();
    let title = p.title.clone().unwrap_or_else(|| p.name.clone());
    let blueprint = json!({
        "blueprints": [{
            "name": truncate(&title, MAX_NAME_CHARS),
            "description": format!("pipeline `{}`, built by cadence", p.name),
            "module": module_ref,
            "layout": layout_ref,
            "field": {"api_name": "Stage"},
        }]
    });
    let mut states = Vec::new();
    let mut state_returns = serde_json::Map::new();
    for (si, s) in p.stages.iter().enumerate() {
        let mut state = json!({
            "process_id": blueprint_id,
            "module": module_ref,
            "pick_list_value": {"actual_value": label(si)},
        });
        if let Some(d) = escalations[si] {
            let (period, value, _) = period(d);
            let alert = sink.id(
                Kind::Action,
                &format!("{}.{}.escalation", p.name, s.name),
                s.span,
                PLACEHOLDER_ID,
            );
            state["state_escalation"] = json!({
                "period": period,
                "value": value,
                "trigger_details": [{
                    "period": period,
                    "execute_type": "on",
                    "value": 0,
                    "actions": [{"type": "email_notifications", "details": {"id": alert}}],
                }],
            });
        }
        state_returns.insert(
            placeholder("state", &s.name),
            Value::String(format!("states[{}].details.id", states.len())),
        );
        states.push(state);
    }
    let mut transition_returns = serde_json::Map::new();
    let mut bodies = Vec::new();
    for (i, (key, mut t)) in transitions.into_iter().enumerate() {
        t["layout"] = layout_ref.clone();
        transition_returns.insert(
            placeholder("transition", &key),
            Value::String(format!("transitions[{i}].details.id")),
        );
        bodies.push(t);
    }
    let mut calls = vec![
        Call {
            name: "blueprint",
            method: "POST",
            path: "/crm/v8/settings/blueprints".into(),
            page: BLUEPRINT_PAGE,
            body: blueprint,
            returns: [(
                blueprint_id.clone(),
                Value::String("blueprints[0].details.id".into()),
            )]
            .into_iter()
            .collect(),
        },
        Call {
            name: "states",
            method: "POST",
            path: format!("/crm/v8/settings/blueprints/{blueprint_id}/states"),
            page: STATES_PAGE,
            body: json!({ "states": states }),
            returns: state_returns,
        },
    ];
    if !bodies.is_empty() {
        calls.push(Call {
            name: "transitions",
            method: "POST",
            path: "/crm/v8/settings/blueprints/transitions".into(),
            page: TRANSITIONS_PAGE,
            body: json!({ "transitions": bodies }),
            returns: transition_returns,
        });
    }
    let plan = Plan {
        format: PLAN_FORMAT,
        pipeline: p.name.clone(),
        calls,
        connections,
    };
    to_body(sink, p.span, &plan)
}
