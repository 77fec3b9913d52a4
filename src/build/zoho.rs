//! Zoho CRM v8: the body of `POST /crm/v8/settings/automation/cadences` per cadence (a tree of
//! follow-ups), and the body of `POST /crm/v8/settings/blueprints/transitions` per pipeline.
//!
//! The step graph is unfolded into Zoho's follow-up tree from the entry step: a step's children
//! are the step after it (on the action's completion trigger), the targets of its outcome rules
//! (on the outcome's trigger) and the tasks its rules create. A step reached on several paths
//! appears once per path; a bounded jump is unfolded as often as its bound allows.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{json, Value};

use super::ids::Kind;
use super::{linear, text, to_body, Body, Sink};
use crate::calendar::Delay;
use crate::model::graph::StepGraph;
use crate::model::{
    Builtin, BuiltinTrigger, Cadence, Channel, Cmp, Cond, Effects, Flow, Model, Operand, Pipeline,
    Priority, Step, Trigger, Value as MValue,
};
use crate::source::Span;

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

/// The trigger on which the next follow-up runs after an action, whatever its outcome.
fn done_trigger(kind: &str) -> &'static str {
    match kind {
        "email_notifications" => "Sent",
        "whatsapp_message_notification" => "Delivered",
        _ => "Completed",
    }
}

/// The Zoho trigger for an outcome of a step's channel (Zoho's analytics states), if any.
fn outcome_trigger(channel: Channel, outcome: &str) -> Option<&'static str> {
    match (channel, outcome) {
        (Channel::Email, "delivered") => Some("Sent"),
        (Channel::Email, "opened") => Some("Opened"),
        (Channel::Email, "clicked") => Some("Clicked"),
        (Channel::Email, "replied") => Some("Replied"),
        (Channel::Email, "bounced") => Some("Bounced"),
        (Channel::Whatsapp, "delivered") => Some("Delivered"),
        (Channel::Whatsapp, "failed") => Some("Failed"),
        (Channel::Task, "completed") => Some("Completed"),
        _ => None,
    }
}

const TRIGGER_LIMIT: &str = "Zoho triggers follow-ups on the documented action states: email sent, opened, clicked, replied, bounced; WhatsApp delivered, failed; task and call completed";

fn pure(e: &Effects) -> bool {
    e.set.is_empty() && e.stage.is_none() && e.tasks.is_empty()
}

/// `execute_after` for a wait: the largest exact unit, else the nearest representable one.
/// Returns the value and, when it is not exact, what it stands for.
fn execute_after(d: Delay) -> (ExecuteAfter, Option<String>) {
    let ea = |unit: u64, period: &'static str| ExecuteAfter { unit, period };
    let approx = |m: u64| {
        let (size, period) = if m <= MAX_UNIT * 60 {
            (60, "hours")
        } else if m <= MAX_UNIT * 1440 {
            (1440, "days")
        } else {
            (43_200, "months")
        };
        let unit = ((m + size / 2) / size).clamp(1, MAX_UNIT);
        ea(unit, period)
    };
    match d {
        Delay::Zero | Delay::BusinessDays(0) | Delay::Wall { minutes: 0 } => {
            (ea(1, "minutes"), None)
        }
        Delay::BusinessMinutes(0) => (ea(1, "minutes"), None),
        Delay::Wall { minutes: m } => {
            if m % 1440 == 0 && m / 1440 <= MAX_UNIT {
                (ea(m / 1440, "days"), None)
            } else if m % 60 == 0 && m / 60 <= MAX_UNIT {
                (ea(m / 60, "hours"), None)
            } else if m <= MAX_UNIT {
                (ea(m, "minutes"), None)
            } else {
                let a = approx(m);
                (a, Some(format!("{} {}", a.unit, a.period)))
            }
        }
        Delay::BusinessDays(n) => {
            let n = u64::from(n);
            if n <= MAX_UNIT {
                (ea(n, "business_days"), None)
            } else {
                let a = ea(MAX_UNIT, "business_days");
                (a, Some(format!("{MAX_UNIT} business_days")))
            }
        }
        Delay::BusinessMinutes(m) => {
            if m % 60 == 0 && m / 60 <= MAX_UNIT {
                (ea(m / 60, "business_hours"), None)
            } else {
                let unit = ((m + 30) / 60).clamp(1, MAX_UNIT);
                (
                    ea(unit, "business_hours"),
                    Some(format!("{unit} business_hours")),
                )
            }
        }
    }
}

struct Tree<'m, 's, 'o> {
    c: &'m Cadence,
    p: Option<&'m Pipeline>,
    sink: &'s mut Sink<'o>,
    /// the checker's step graph: entry and the next step of each track
    graph: StepGraph,
    nodes: Vec<FollowUp>,
    refs: BTreeSet<String>,
    /// losses already reported (a step unfolded twice reports once)
    reported: BTreeSet<String>,
    truncated: bool,
}

impl Tree<'_, '_, '_> {
    fn loss_once(&mut self, key: String, span: Span, what: String, limit: &str, fallback: &str) {
        if self.reported.insert(key) {
            self.sink.loss(span, what, limit, fallback);
        }
    }

    fn unique_ref(&mut self, base: &str) -> String {
        let mut r = base.to_string();
        let mut n = 1;
        while !self.refs.insert(r.clone()) {
            n += 1;
            r = format!("{base}~{n}");
        }
        r
    }

    fn id(&mut self, kind: Kind, key: &str, span: Span) -> String {
        self.sink.id(kind, key, span, PLACEHOLDER_ID)
    }

    /// The action of a step.
    fn action(&mut self, s: &Step) -> Action {
        let c = self.c;
        let step_key = format!("{}.{}", c.name, s.name);
        let template = s
            .variants
            .first()
            .and_then(|v| v.template.clone())
            .or_else(|| s.template.clone());
        let by_template = |t: &mut Self, template: Option<String>| match template {
            Some(tp) => t.id(Kind::Template, &tp, s.span),
            None => t.id(Kind::Action, &step_key, s.span),
        };
        match s.channel {
            Channel::Email => Action {
                kind: "email_notifications",
                id: Some(by_template(self, template)),
                details: None,
            },
            Channel::Whatsapp => Action {
                kind: "whatsapp_message_notification",
                id: Some(by_template(self, template)),
                details: None,
            },
            Channel::Call => {
                let layout = self.id(Kind::Layout, "Calls", s.span);
                let title = s.title.clone().unwrap_or_else(|| s.name.clone());
                let mut start = json!({
                    "period": "minutes",
                    "unit": "0",
                    "trigger_field": "${CURRENTTIME}",
                    "sign": "plus",
                });
                if let Some(clock) = s.timing.at_clock {
                    start = json!({
                        "period": "days",
                        "unit": "0",
                        "trigger_field": "${CURRENTTIME}",
                        "sign": "plus",
                        "time": text::clock(clock),
                    });
                }
                let mut mappings = vec![
                    json!({"field": {"api_name": "Subject"}, "type": "static", "value": title}),
                    json!({"field": {"api_name": "Call_Type"}, "type": "static", "value": "Outbound"}),
                    json!({"field": {"api_name": "Outgoing_Call_Status"}, "type": "static", "value": "Scheduled"}),
                    json!({"field": {"api_name": "Call_Start_Time"}, "type": "execution_time", "value": start}),
                ];
                if let Some(role) = s.assign {
                    let name = linear::role_name(self.p, role);
                    let user = self.id(Kind::Role, &name, s.span);
                    mappings.push(
                        json!({"field": {"api_name": "Owner"}, "type": "static", "value": {"id": user}}),
                    );
                }
                if let Some(pr) = s.priority {
                    // Zoho calls have no priority field: the agenda carries it for the rep
                    let pr = match pr {
                        Priority::High => "high",
                        Priority::Medium => "medium",
                        Priority::Low => "low",
                    };
                    mappings.push(json!({"field": {"api_name": "Call_Agenda"}, "type": "static", "value": format!("priority {pr}")}));
                }
                Action {
                    kind: "schedule_call",
                    id: None,
                    details: Some(json!({
                        "module": {"api_name": "Calls"},
                        "layout": {"id": layout},
                        "field_mappings": mappings,
                    })),
                }
            }
            Channel::Task => Action {
                kind: "tasks",
                id: Some(self.id(Kind::Action, &step_key, s.span)),
                details: None,
            },
            ch @ (Channel::Meeting | Channel::Sms | Channel::Linkedin) => {
                self.loss_once(
                    format!("{}:channel", s.name),
                    s.span,
                    format!(
                        "step `{}` is {} step",
                        s.name,
                        crate::diagnostics::with_article(ch.name())
                    ),
                    "Zoho cadence follow-ups are emails, calls, tasks and WhatsApp messages",
                    "a task follow-up for the rep",
                );
                Action {
                    kind: "tasks",
                    id: Some(self.id(Kind::Action, &step_key, s.span)),
                    details: None,
                }
            }
        }
    }

    /// Add the follow-up for step `si` under `parent` (reference id and trigger), then its
    /// children. `counts` holds how often each bounded jump was taken on this path.
    fn visit(
        &mut self,
        si: usize,
        parent: Option<(String, &'static str)>,
        counts: &mut BTreeMap<(usize, usize), u32>,
    ) {
        if self.nodes.len() >= MAX_FOLLOW_UPS {
            self.truncated = true;
            return;
        }
        let c = self.c;
        let Some(s) = c.steps.get(si) else { return };
        let me = self.unique_ref(&s.name);
        let is_root = parent.is_none();
        let ea = if is_root && s.timing.delay == Delay::Zero {
            None
        } else {
            let (ea, approx) = execute_after(s.timing.delay);
            if let Some(a) = approx {
                self.loss_once(
                    format!("{}:delay", s.name),
                    s.span,
                    format!("step `{}` waits {}", s.name, text::delay(s.timing.delay)),
                    "Zoho waits a whole number (1–99) of minutes, hours, business hours, days, business days or months",
                    &format!("waits {a}"),
                );
            }
            Some(ea)
        };
        if s.timing.at_clock.is_some() && s.channel != Channel::Call {
            self.loss_once(
                format!("{}:clock", s.name),
                s.span,
                format!("step `{}` is due {}", s.name, text::timing(s.timing)),
                "a Zoho follow-up waits a duration; only a scheduled call has a time of day",
                "the clock time is left out",
            );
        }
        if let Some(v) = s.variants.first() {
            let all: Vec<String> = s
                .variants
                .iter()
                .map(|v| format!("`{}` {}%", v.name, v.share * 100.0))
                .collect();
            self.loss_once(
                format!("{}:variants", s.name),
                s.span,
                format!("step `{}` has A/B variants {}", s.name, all.join(", ")),
                "a Zoho follow-up runs one action",
                &format!("only variant `{}` is sent", v.name),
            );
        }
        let action = self.action(s);
        let done = done_trigger(action.kind);
        let (parent_follow_up, triggers) = match parent {
            Some((r, t)) => (
                Some(ParentRef { reference_id: r }),
                Some(vec![t.to_string()]),
            ),
            None => (None, None),
        };
        self.nodes.push(FollowUp {
            reference_id: me.clone(),
            parent_follow_up,
            triggers,
            execute_after: ea,
            action,
        });

        let mut used: BTreeSet<&'static str> = BTreeSet::new();
        let track_next = self.graph.next_in_track.get(si).copied().flatten();
        let mut next = track_next;
        let mut leaving_rules = Vec::new();
        let rules_fire = s
            .rules
            .iter()
            .any(|r| !(r.effects.flow == Flow::Continue && pure(&r.effects)));
        // the otherwise rule decides where the path goes when no rule applies
        let mut otherwise_tasks = Vec::new();
        // a bounded `otherwise` jump taken here: (key, times taken before)
        let mut otherwise_taken = None;
        if let Some(o) = &s.otherwise {
            self.effect_losses(s, "otherwise", o);
            otherwise_tasks = o.tasks.iter().map(|t| t.title.clone()).collect();
            if !o.tasks.is_empty() && rules_fire {
                self.loss_once(
                    format!("{}:otherwise-tasks", s.name),
                    s.span,
                    format!(
                        "step `{}`: the tasks of `otherwise` apply only when no rule did",
                        s.name
                    ),
                    "Zoho has no \"otherwise\": a follow-up runs on a trigger whatever else fired",
                    "the tasks are created whenever the step is done",
                );
            }
            match &o.flow {
                Flow::Continue => {}
                Flow::Exit(_) => next = None,
                Flow::Jump { step, bound } => {
                    let key = (si, usize::MAX);
                    let taken = counts.get(&key).copied().unwrap_or(0);
                    if bound.map(|b| taken < b).unwrap_or(true) {
                        next = Some(*step);
                        if bound.is_some() {
                            otherwise_taken = Some((key, taken));
                        }
                    }
                }
            }
        }
        for (ri, r) in s.rules.iter().enumerate() {
            if r.effects.flow == Flow::Continue && pure(&r.effects) {
                continue;
            }
            let rule = linear::rule_text(r, self.p, c);
            let Some(trig) = outcome_trigger(s.channel, &r.outcome) else {
                self.loss_once(
                    format!("{}:rule{ri}", s.name),
                    s.span,
                    format!("step `{}`: `{rule}`", s.name),
                    TRIGGER_LIMIT,
                    "the rule is left out",
                );
                continue;
            };
            if r.times > 1 || r.within_minutes.is_some() {
                self.loss_once(
                    format!("{}:rule{ri}:count", s.name),
                    s.span,
                    format!("step `{}`: `{rule}` counts outcomes", s.name),
                    "a Zoho trigger fires on the first such outcome, with no count or time limit",
                    &format!("fires on the first `{}`", r.outcome),
                );
            }
            self.effect_losses(s, &r.outcome, &r.effects);
            match &r.effects.flow {
                Flow::Jump { step, bound } => {
                    leaving_rules.push(rule.clone());
                    let key = (si, ri);
                    let taken = counts.get(&key).copied().unwrap_or(0);
                    if bound.map(|b| taken < b).unwrap_or(true)
                        && self.claim(&mut used, trig, s, &rule)
                    {
                        if bound.is_some() {
                            counts.insert(key, taken + 1);
                        }
                        self.visit(*step, Some((me.clone(), trig)), counts);
                        if bound.is_some() {
                            counts.insert(key, taken);
                        }
                    }
                }
                Flow::Exit(_) => leaving_rules.push(rule.clone()),
                Flow::Continue => {}
            }
            for (ti, task) in r.effects.tasks.iter().enumerate() {
                let key = if ti == 0 {
                    format!("{}.{}.{}", c.name, s.name, r.outcome)
                } else {
                    format!("{}.{}.{}.{}", c.name, s.name, r.outcome, ti + 1)
                };
                let what = format!("`{rule}` (task {:?})", task.title);
                if self.claim(&mut used, trig, s, &what) {
                    self.task_node(&me, trig, &key, s.span);
                }
            }
        }
        for (ti, title) in otherwise_tasks.iter().enumerate() {
            let key = if ti == 0 {
                format!("{}.{}.otherwise", c.name, s.name)
            } else {
                format!("{}.{}.otherwise.{}", c.name, s.name, ti + 1)
            };
            let what = format!("`otherwise` (task {title:?})");
            if self.claim(&mut used, done, s, &what) {
                self.task_node(&me, done, &key, s.span);
            }
        }
        if let Some(n) = next {
            if !leaving_rules.is_empty() {
                let next_name = c.steps.get(n).map(|x| x.name.as_str()).unwrap_or("?");
                self.loss_once(
                    format!("{}:parallel", s.name),
                    s.span,
                    format!(
                        "step `{}`: when `{}` applies the cadence leaves the path, but Zoho also runs `{next_name}`",
                        s.name,
                        leaving_rules.join("`, `")
                    ),
                    "Zoho runs every follow-up whose trigger fired; a rule cannot stop the others",
                    &format!("`{next_name}` runs after the step in any case"),
                );
            }
            let what = format!(
                "the next step `{}`",
                c.steps.get(n).map(|x| x.name.as_str()).unwrap_or("?")
            );
            if self.claim(&mut used, done, s, &what) {
                if let Some((key, taken)) = otherwise_taken {
                    counts.insert(key, taken + 1);
                }
                self.visit(n, Some((me, done)), counts);
                if let Some((key, taken)) = otherwise_taken {
                    counts.insert(key, taken);
                }
            }
        }
    }

    /// Take a trigger under one parent; a second follow-up on the same trigger is a loss.
    fn claim(
        &mut self,
        used: &mut BTreeSet<&'static str>,
        trig: &'static str,
        s: &Step,
        what: &str,
    ) -> bool {
        if used.insert(trig) {
            return true;
        }
        self.loss_once(
            format!("{}:dup:{trig}:{what}", s.name),
            s.span,
            format!(
                "step `{}`: {what} would be a second follow-up on `{trig}`",
                s.name
            ),
            "Zoho uses a trigger at most once under one parent follow-up",
            "left out",
        );
        false
    }

    fn task_node(&mut self, parent: &str, trig: &'static str, key: &str, span: Span) {
        if self.nodes.len() >= MAX_FOLLOW_UPS {
            self.truncated = true;
            return;
        }
        let me = self.unique_ref(&format!("{parent}.task"));
        let id = self.id(Kind::Action, key, span);
        self.nodes.push(FollowUp {
            reference_id: me,
            parent_follow_up: Some(ParentRef {
                reference_id: parent.to_string(),
            }),
            triggers: Some(vec![trig.to_string()]),
            execute_after: Some(ExecuteAfter {
                unit: 1,
                period: "minutes",
            }),
            action: Action {
                kind: "tasks",
                id: Some(id),
                details: None,
            },
        });
    }

    fn effect_losses(&mut self, s: &Step, on: &str, e: &Effects) {
        if e.set.is_empty() && e.stage.is_none() {
            return;
        }
        let only = Effects {
            set: e.set.clone(),
            stage: e.stage,
            tasks: Vec::new(),
            flow: Flow::Continue,
        };
        self.loss_once(
            format!("{}:{on}:effects", s.name),
            s.span,
            format!(
                "step `{}`: `{on}` runs `{}`",
                s.name,
                text::effects(&only, self.p, &self.c.steps)
            ),
            "Zoho follow-ups send emails and WhatsApp messages, schedule calls and create tasks; they set no events and move no stages",
            "left out",
        );
    }
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

pub(super) fn cadence(model: &Model, ci: usize, sink: &mut Sink) -> Option<Body> {
    let c = model.cadences.get(ci)?;
    let p = c.pipeline.and_then(|p| model.pipelines.get(p));
    sink.take_placeholders();
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
            sink.loss(
                c.span,
                format!(
                    "exit `{}` on {trig} runs `{}`",
                    e.reason,
                    text::effects(&e.effects, p, &c.steps)
                ),
                "Zoho unenrolls without running actions",
                "the cadence ends without these effects",
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
    matches!(
        c,
        Cond::Compare {
            lhs: Operand::Builtin(Builtin::Dwell),
            op: Cmp::Gt | Cmp::Ge,
            rhs: Operand::Value(MValue::Minutes(_)),
        }
    )
}

pub(super) fn pipeline(model: &Model, pi: usize, sink: &mut Sink) -> Option<Body> {
    let p = model.pipelines.get(pi)?;
    let limit = "the documented body of a Zoho Blueprint transition has `name`, `description`, `trigger_type` and `transition_type`; states, criteria and during-transition fields are set in the Blueprint editor";
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
            sink.loss(
                e.span,
                format!(
                    "the states and condition of the exit from `{}` to `{}`",
                    s.name,
                    p.stages
                        .get(e.target)
                        .map(|t| t.name.as_str())
                        .unwrap_or("?")
                ),
                limit,
                "written into the transition's `description`",
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
            sink.loss(
                s.span,
                format!(
                    "stage `{}` escalates to `{}` when `{}`",
                    s.name,
                    linear::role_name(Some(p), esc.role),
                    text::cond(&esc.when, Some(p))
                ),
                "Blueprint SLA escalations are not part of the transitions API",
                "left out",
            );
        }
        if let Some(d) = s.respond_within {
            sink.loss(
                s.span,
                format!(
                    "stage `{}` must be answered within {}",
                    s.name,
                    text::delay(d)
                ),
                "Blueprint SLAs are not part of the transitions API",
                "left out",
            );
        }
    }
    if transitions.len() > MAX_TRANSITIONS {
        sink.loss(
            p.span,
            format!("pipeline `{}` has {} exits", p.name, transitions.len()),
            &format!("Zoho creates at most {MAX_TRANSITIONS} transitions per request"),
            &format!("the first {MAX_TRANSITIONS} are kept"),
        );
        transitions.truncate(MAX_TRANSITIONS);
    }
    if transitions.is_empty() {
        return None;
    }
    to_body(sink, p.span, &Transitions { transitions })
}
