//! Zoho CRM v8: the body of `POST /crm/v8/settings/automation/cadences` per cadence (a tree of
//! follow-ups), and with `--pipelines` the `zoho-blueprint` plan per pipeline (`blueprint.rs`).
//!
//! The step graph is unfolded into Zoho's follow-up tree from the entry step: a step's children
//! are the step after it (on the action's completion trigger), the targets of its outcome rules
//! (on the outcome's trigger) and the tasks its rules create. A step reached on several paths
//! appears once per path; a bounded jump is unfolded as often as its bound allows.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{json, Value};

pub mod blueprint;
pub mod plan_rules;
pub mod rules;
mod tree;

use tree::{pure, Tree};

use super::ids::Kind;
use super::validate::V;
use super::{linear, text, to_body, Body, Emitter, OutputKind, Scope, Sink};
use crate::model::graph::StepGraph;
use crate::model::{BuiltinTrigger, Model, Trigger};

/// Zoho's documented limits.
pub const MAX_FOLLOW_UPS: usize = 100;
pub const MAX_UNIT: u64 = 99;
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_DESCRIPTION_CHARS: usize = 500;
pub const MAX_TRANSITIONS: usize = 50;
/// The placeholder for a missing numeric id: digits, so the body stays well-formed, and never a
/// real Zoho id (those are 18–19 digits).
pub const PLACEHOLDER_ID: &str = "0";

#[derive(Serialize)]
struct Request {
    cadences: Vec<ZCadence>,
}

#[derive(Serialize)]
struct ZCadence {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    module: ApiName,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_view: Option<IdRef>,
    execution_details: ExecutionDetails,
    follow_ups: Vec<FollowUp>,
}

#[derive(Serialize, Clone)]
struct ApiName {
    api_name: String,
}

#[derive(Serialize)]
struct IdRef {
    id: String,
}

#[derive(Serialize)]
struct ExecutionDetails {
    unenroll_properties: Vec<Unenroll>,
}

#[derive(Serialize)]
struct Unenroll {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<Value>,
}

#[derive(Serialize)]
struct FollowUp {
    reference_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_follow_up: Option<ParentRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    triggers: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    execute_after: Option<ExecuteAfter>,
    action: Action,
}

#[derive(Serialize)]
struct ParentRef {
    reference_id: String,
}

#[derive(Serialize, Clone, Copy, PartialEq)]
struct ExecuteAfter {
    unit: u64,
    period: &'static str,
}

#[derive(Serialize)]
struct Action {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<Value>,
}

fn valid_name(n: &str) -> bool {
    let len = n.chars().count();
    (1..=MAX_NAME_CHARS).contains(&len) && !n.contains(['#', '%', '^'])
}

fn cadence_name(model: &Model, ci: usize) -> String {
    let Some(c) = model.cadences.get(ci) else {
        return String::new();
    };
    match &c.title {
        Some(t) if valid_name(t) => {
            // a title shared with an earlier cadence would be a duplicate name in Zoho
            let taken = model.cadences[..ci]
                .iter()
                .any(|o| o.title.as_deref() == Some(t.as_str()));
            if taken {
                c.name.clone()
            } else {
                t.clone()
            }
        }
        _ => c.name.clone(),
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn cadence(model: &Model, ci: usize, sink: &mut Sink) -> Option<Body> {
    let c = model.cadences.get(ci)?;
    let p = c.pipeline.and_then(|p| model.pipelines.get(p));
    sink.take_placeholders();
    super::playbook::losses(model, ci, sink);
    let name = cadence_name(model, ci);
    if let Some(t) = &c.title {
        if &name != t {
            sink.loss(
                c.span,
                format!("the title {t:?} cannot be the cadence name"),
                "a Zoho cadence name has 1–100 characters, no `#`, `%` or `^`, and is unique",
                &format!("named `{}`", c.name),
            );
        }
    }
    let module = {
        let (ids, t) = (&sink.opts.ids, sink.target());
        ids.get(t, Kind::Module, &c.name)
            .or_else(|| p.and_then(|p| ids.get(t, Kind::Module, &p.name)))
            .map(str::to_string)
            .unwrap_or_else(|| if p.is_some() { "Deals" } else { "Leads" }.to_string())
    };

    // exits → unenroll properties
    let mut unenroll = Vec::new();
    let mut stage_criteria = None;
    if let (Some(p), Some(st)) = (p, c.stage) {
        let label = p
            .stages
            .get(st)
            .map(|s| s.title.clone().unwrap_or_else(|| s.name.clone()))
            .unwrap_or_default();
        stage_criteria = Some(json!({
            "criteria": {
                "field": {"api_name": "Stage"},
                "comparator": "not_equal",
                "type": "value",
                "value": label,
            }
        }));
    }
    let mut auto = false;
    for e in &c.exits {
        let (trig, native) = match &e.trigger {
            Trigger::Builtin(b) => {
                let name = b.name().to_string();
                match b {
                    BuiltinTrigger::Reply => {
                        auto = true;
                        (name, true)
                    }
                    BuiltinTrigger::Bounce | BuiltinTrigger::Unsubscribe => (name, true),
                    BuiltinTrigger::StageChange => (name, stage_criteria.is_some()),
                    BuiltinTrigger::MeetingBooked => (name, false),
                }
            }
            Trigger::Event(ev) => (
                p.and_then(|p| p.events.get(*ev))
                    .cloned()
                    .unwrap_or_else(|| format!("event#{ev}")),
                false,
            ),
        };
        if !native {
            sink.loss(
                c.span,
                format!("exit `{}` on {trig}", e.reason),
                "Zoho unenrolls automatically on a response, on an end date or on record criteria; it does not watch this event",
                "the exit is left out",
            );
        } else if !pure(&e.effects) {
            sink.setup(
                c.span,
                Scope::cadence(&c.name),
                format!(
                    "exit `{}` on {trig} runs `{}`",
                    e.reason,
                    text::effects(&e.effects, p, &c.steps)
                ),
                &format!(
                    "Zoho unenrolls without running actions: a workflow rule on that event that does it: {}",
                    linear::workflow_words(&e.effects, p)
                ),
            );
        }
    }
    if auto {
        unenroll.push(Unenroll {
            kind: "automatic_unenroll",
            details: None,
        });
    }
    if let Some(details) = stage_criteria {
        unenroll.push(Unenroll {
            kind: "criteria",
            details: Some(details),
        });
    }

    let (kind, custom_view) = match &c.enroll {
        Some(_) => {
            let id = sink.id(Kind::View, &c.name, c.span, PLACEHOLDER_ID);
            ("custom_view", Some(IdRef { id }))
        }
        None => ("manual_enrollment", None),
    };

    let mut tree = Tree {
        c,
        p,
        sink,
        graph: StepGraph::new(c),
        nodes: Vec::new(),
        refs: BTreeSet::new(),
        reported: BTreeSet::new(),
        truncated: false,
    };
    if let Some(e) = tree.graph.entry {
        tree.visit(e, None, &mut BTreeMap::new());
    }
    let truncated = tree.truncated;
    let nodes = std::mem::take(&mut tree.nodes);
    if truncated {
        sink.loss(
            c.span,
            format!(
                "the unfolded follow-up tree of `{}` has more than {MAX_FOLLOW_UPS} follow-ups",
                c.name
            ),
            &format!("a Zoho cadence has at most {MAX_FOLLOW_UPS} follow-ups"),
            &format!("the first {MAX_FOLLOW_UPS} are kept"),
        );
    }
    // Zoho's documentation names only `Completed`; every other trigger literal is an assumption
    let literals: BTreeSet<&str> = nodes
        .iter()
        .flat_map(|n| n.triggers.iter().flatten())
        .map(String::as_str)
        .filter(|t| *t != "Completed")
        .collect();
    for t in literals {
        sink.assumption(
            c.span,
            Scope::cadence(&c.name),
            &format!("the follow-up trigger `{t}`"),
            &format!("Zoho's create-cadences documentation names only the trigger `Completed`; `{t}` is the action state of Zoho's cadence analytics: check in Zoho that a follow-up on `{t}` is accepted and fires as expected"),
        );
    }
    let placeholders = sink.take_placeholders();
    let mut description = match &c.title {
        Some(t) => format!("{t} (cadence `{}`)", c.name),
        None => format!("cadence `{}`", c.name),
    };
    if !placeholders.is_empty() {
        description.push_str(&format!(
            " — PLACEHOLDER ids (\"{PLACEHOLDER_ID}\"): {}",
            placeholders.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    let body = Request {
        cadences: vec![ZCadence {
            name,
            description: Some(truncate(&description, MAX_DESCRIPTION_CHARS)),
            module: ApiName { api_name: module },
            kind,
            custom_view,
            execution_details: ExecutionDetails {
                unenroll_properties: unenroll,
            },
            follow_ups: nodes,
        }],
    };
    to_body(sink, c.span, &body)
}

/// The Zoho emitter.
pub(crate) struct Zoho;

impl Emitter for Zoho {
    fn cadence(&self, model: &Model, ci: usize, sink: &mut Sink) -> Option<Body> {
        cadence(model, ci, sink)
    }

    fn pipeline(&self, model: &Model, pi: usize, sink: &mut Sink) -> Option<Body> {
        blueprint::pipeline(model, pi, sink)
    }

    fn pipeline_prefix(&self) -> &'static str {
        "blueprint"
    }

    fn rules(&self, kind: OutputKind, body: &serde_json::Value, v: &mut V) {
        match kind {
            OutputKind::Pipeline => plan_rules::blueprint_plan(v, body),
            _ => rules::cadence(v, body),
        }
    }
}
