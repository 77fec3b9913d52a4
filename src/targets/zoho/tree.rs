//! The follow-up tree of a Zoho cadence: the step graph unfolded from the entry step, with the
//! losses found on the way.

use std::collections::{BTreeMap, BTreeSet};

use super::{Action, ExecuteAfter, FollowUp, ParentRef, MAX_FOLLOW_UPS, MAX_UNIT, PLACEHOLDER_ID};
use crate::calendar::Delay;
use crate::model::graph::StepGraph;
use crate::model::{Cadence, Channel, Effects, Flow, Pipeline, Priority, Step};
use crate::source::Span;
use crate::targets::ids::Kind;
use crate::targets::{linear, text, Scope, Sink};
use serde_json::json;

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

pub(super) fn pure(e: &Effects) -> bool {
    e.set.is_empty() && e.stage.is_none() && e.tasks.is_empty()
}

/// `execute_after` for a wait: the largest exact unit, else the nearest representable one.
/// Returns the value and, when it is not exact, what it stands for.
pub(super) fn execute_after(d: Delay) -> (ExecuteAfter, Option<String>) {
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

pub(super) struct Tree<'m, 's, 'o> {
    pub(super) c: &'m Cadence,
    pub(super) p: Option<&'m Pipeline>,
    pub(super) sink: &'s mut Sink<'o>,
    /// the checker's step graph: entry and the next step of each track
    pub(super) graph: StepGraph,
    pub(super) nodes: Vec<FollowUp>,
    pub(super) refs: BTreeSet<String>,
    /// losses already reported (a step unfolded twice reports once)
    pub(super) reported: BTreeSet<String>,
    pub(super) truncated: bool,
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

    /// Zoho associates an automation action with one rule ("Action is already associated with
    /// another rule"): an id already used by another follow-up of the build is replaced by the
    /// follow-up's own action, `CADENCE.REFERENCE_ID` in the ids file (a placeholder and a setup
    /// item until it is there).
    fn own_action(&mut self, id: String, me: &str, span: Span) -> String {
        if id == PLACEHOLDER_ID {
            return id;
        }
        let key = format!("{}.{me}", self.c.name);
        let Some(first) = self.sink.claim_id(&id, &key) else {
            return id;
        };
        if self.sink.has_id(Kind::Action, &key) {
            let own = self.id(Kind::Action, &key, span);
            return match self.sink.claim_id(&own, &key) {
                None => own,
                Some(_) => PLACEHOLDER_ID.to_string(),
            };
        }
        self.sink.setup(
            span,
            Scope::step(&self.c.name, me.split('~').next().unwrap_or(me)),
            format!("follow-up `{me}` would share the automation action `{id}` with `{first}`"),
            &format!(
                "Zoho associates an action with one rule: create a copy of the action for follow-up `{me}` and add `\"{key}\" = \"…\"` under `[zoho.actions]` in the ids file"
            ),
        );
        self.id(Kind::Action, &key, span)
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
    pub(super) fn visit(
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
        let mut action = self.action(s);
        if let Some(id) = action.id.take() {
            action.id = Some(self.own_action(id, &me, s.span));
        }
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
        let id = self.own_action(id, &me, span);
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
        if !self.reported.insert(format!("{}:{on}:effects", s.name)) {
            return;
        }
        self.sink.setup(
            s.span,
            Scope::step(&self.c.name, &s.name),
            format!("`{on}` runs `{}`", text::effects(&only, self.p, &self.c.steps)),
            &format!(
                "Zoho follow-ups set no fields and move no stages: a workflow rule on that outcome of step `{}` that does it: {}",
                s.name,
                linear::workflow_words(&only, self.p)
            ),
        );
    }
}
