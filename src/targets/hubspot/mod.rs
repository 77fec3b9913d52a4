//! HubSpot: the sequence body of `POST /automation/sequences/2026-09-beta/serviceaccounts/sequences`
//! (v4 step shape) per cadence, and the deal pipeline body of `POST /crm/v3/pipelines/deals` per
//! pipeline.

use serde::Serialize;

pub mod rules;

use super::ids::Kind;
use super::validate::V;
use super::{linear, text, to_body, Body, Emitter, OutputKind, Scope, Sink};
use crate::calendar::{Delay, MON_FRI};
use crate::model::{Channel, Model, Priority, StageOutcome};

/// HubSpot's longest step delay: 90 days (the sequence editor's limit).
pub const MAX_DELAY_DAYS: u64 = 90;
const MS_PER_MINUTE: u64 = 60_000;
const MS_PER_DAY: u64 = 86_400_000;
/// What HubSpot ends a sequence on by itself.
const NATIVE: [&str; 4] = ["reply", "bounce", "unsubscribe", "meeting_booked"];

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Sequence {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    steps: Vec<Step>,
    dependencies: Vec<Dependency>,
    settings: Settings,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Step {
    step_order: u32,
    delay_millis: u64,
    action_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    email_pattern: Option<EmailPattern>,
    #[serde(skip_serializing_if = "Option::is_none")]
    task_pattern: Option<TaskPattern>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EmailPattern {
    template_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TaskPattern {
    task_type: &'static str,
    task_priority: &'static str,
    subject: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    template_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Dependency {
    dependency_type: &'static str,
    relies_on_step_order: u32,
    required_by_step_order: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Settings {
    eligible_follow_up_days: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    send_window_start_minute: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    send_window_end_minute: Option<u32>,
}

fn cadence(model: &Model, ci: usize, sink: &mut Sink) -> Option<Body> {
    let c = model.cadences.get(ci)?;
    let p = c.pipeline.and_then(|p| model.pipelines.get(p));
    let plan = linear::plan(model, ci, sink, &NATIVE);
    if !plan.ends_on.contains("reply") {
        sink.loss(
            c.span,
            "the cadence goes on after a reply (no exit on `reply`)",
            "HubSpot always unenrolls a contact on a reply",
            "the sequence ends on a reply",
        );
    }
    if !plan.ends_on.contains("meeting_booked") {
        // the beta body's `unenrollmentSettings.meetingSettings` does not say what its
        // criteria mean, so the setting is not written; the sequence's settings page has it
        sink.setup(
            c.span,
            Scope::cadence(&c.name),
            "the cadence goes on after a booked meeting (no exit on `meeting_booked`)",
            "HubSpot unenrolls a contact who books a meeting by default: turn that off in the sequence's unenrollment settings",
        );
    }
    let mut steps = Vec::new();
    let mut dependencies = Vec::new();
    let mut business_time = false;
    for (order, &si) in plan.steps.iter().enumerate() {
        let s = c.steps.get(si)?;
        let order = order as u32;
        let subject = s.title.clone().unwrap_or_else(|| s.name.clone());
        let template = s
            .variants
            .first()
            .and_then(|v| v.template.clone())
            .or_else(|| s.template.clone());
        // delay
        if let Some(clock) = s.timing.at_clock {
            sink.loss(
                s.span,
                format!("step `{}` waits for {}", s.name, text::clock(clock)),
                "HubSpot runs steps at the enrollment time of day, inside the send window",
                "the clock time is left out",
            );
        }
        let mut delay = match s.timing.delay {
            Delay::Zero => 0,
            Delay::Wall { minutes } => minutes.saturating_mul(MS_PER_MINUTE),
            Delay::BusinessDays(n) => {
                business_time = true;
                u64::from(n).saturating_mul(MS_PER_DAY)
            }
            Delay::BusinessMinutes(m) => {
                business_time = true;
                sink.loss(
                    s.span,
                    format!("step `{}` waits {}", s.name, text::delay(s.timing.delay)),
                    "HubSpot delays are wall-clock time; it does not count business hours",
                    "counted as wall-clock time",
                );
                m.saturating_mul(MS_PER_MINUTE)
            }
        };
        if delay > MAX_DELAY_DAYS * MS_PER_DAY {
            sink.loss(
                s.span,
                format!("step `{}` waits {}", s.name, text::delay(s.timing.delay)),
                &format!("HubSpot step delays go up to {MAX_DELAY_DAYS} days"),
                &format!("shortened to {MAX_DELAY_DAYS} days"),
            );
            delay = MAX_DELAY_DAYS * MS_PER_DAY;
        }
        if !linear::is_owner(p, s.assign) {
            let role = s
                .assign
                .map(|r| linear::role_name(p, r))
                .unwrap_or_default();
            sink.setup(
                s.span,
                Scope::step(&c.name, &s.name),
                format!("step `{}` is assigned to `{role}`", s.name),
                &format!("HubSpot creates sequence tasks for the user who enrolled the contact: enroll as the user of role `{role}`, or reassign the task from a workflow"),
            );
        }
        let task = |task_type: &'static str, subject: String| TaskPattern {
            task_type,
            task_priority: match s.priority {
                Some(Priority::High) => "HIGH",
                Some(Priority::Medium) => "MEDIUM",
                Some(Priority::Low) => "LOW",
                None => "NONE",
            },
            subject,
            template_id: None,
        };
        let (action_type, email_pattern, task_pattern) = match s.channel {
            Channel::Email => {
                let key = template
                    .clone()
                    .unwrap_or_else(|| format!("{}.{}", c.name, s.name));
                let id = sink.id(
                    Kind::Template,
                    &key,
                    s.span,
                    &format!("PLACEHOLDER:templates.{key}"),
                );
                ("EMAIL", Some(EmailPattern { template_id: id }), None)
            }
            Channel::Call => ("TASK", None, Some(task("CALL", subject))),
            Channel::Task => ("TASK", None, Some(task("TODO", subject))),
            Channel::Meeting => ("TASK", None, Some(task("MEETING", subject))),
            Channel::Linkedin => ("TASK", None, Some(task("LINKED_IN_MESSAGE", subject))),
            Channel::Sms | Channel::Whatsapp => {
                let what = s.channel.name();
                sink.loss(
                    s.span,
                    format!("step `{}` sends {what}", s.name),
                    "HubSpot sequences send email and create tasks; they have no SMS or WhatsApp steps",
                    "a to-do task for the rep",
                );
                let subject = format!("{}: {subject}", what.to_uppercase());
                ("TASK", None, Some(task("TODO", subject)))
            }
        };
        if task_pattern.is_some() && order + 1 < plan.steps.len() as u32 {
            dependencies.push(Dependency {
                dependency_type: "TASK_COMPLETION",
                relies_on_step_order: order,
                required_by_step_order: order + 1,
            });
        }
        steps.push(Step {
            step_order: order,
            delay_millis: delay,
            action_type,
            email_pattern,
            task_pattern,
        });
    }
    let cal = c
        .calendar
        .or_else(|| p.and_then(|p| p.calendar))
        .and_then(|k| model.calendars.get(k));
    let mut settings = Settings {
        eligible_follow_up_days: "EVERYDAY",
        send_window_start_minute: None,
        send_window_end_minute: None,
    };
    if let Some(cal) = cal {
        let e = &cal.engine;
        settings.eligible_follow_up_days = if e.workdays == [true; 7] {
            "EVERYDAY"
        } else {
            if e.workdays != MON_FRI {
                sink.loss(
                    cal.span,
                    format!(
                        "calendar `{}` works other days than Monday to Friday",
                        cal.name
                    ),
                    "HubSpot sends follow-ups every day, on weekdays or on business days",
                    "business days (Monday to Friday)",
                );
            }
            "BUSINESS_DAYS"
        };
        if business_time && !(e.holidays.is_empty() && e.makeup_workdays.is_empty()) {
            sink.loss(
                cal.span,
                format!(
                    "calendar `{}` has holidays or make-up workdays that business-time delays of `{}` count",
                    cal.name, c.name
                ),
                "a HubSpot sequence has no holiday calendar",
                "holidays count as working days",
            );
        }
        if let (Some(first), Some(last)) = (e.hours.first(), e.hours.last()) {
            if e.hours.len() > 1 {
                sink.loss(
                    cal.span,
                    format!(
                        "calendar `{}` has {} business-hours ranges",
                        cal.name,
                        e.hours.len()
                    ),
                    "a HubSpot sequence has one send window a day",
                    &format!(
                        "one window {}–{}",
                        text::clock(first.0),
                        text::clock(last.1)
                    ),
                );
            }
            settings.send_window_start_minute = Some(first.0);
            settings.send_window_end_minute = Some(last.1);
        }
    }
    // the sequence belongs to the owner's user when the ids file names one (optional)
    let user_id = sink
        .has_id(Kind::Role, "owner")
        .then(|| sink.id(Kind::Role, "owner", c.span, ""));
    let seq = Sequence {
        name: c.title.clone().unwrap_or_else(|| c.name.clone()),
        user_id,
        steps,
        dependencies,
        settings,
    };
    to_body(sink, c.span, &seq)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Pipeline {
    label: String,
    display_order: u32,
    stages: Vec<Stage>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Stage {
    label: String,
    display_order: u32,
    metadata: Metadata,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    /// a number, as in the documented request (`{ "probability": 0.5 }`)
    probability: f64,
    is_closed: String,
}

fn pipeline(model: &Model, pi: usize, sink: &mut Sink) -> Option<Body> {
    let p = model.pipelines.get(pi)?;
    let open: Vec<usize> = (0..p.stages.len())
        .filter(|&i| {
            p.stages
                .get(i)
                .map(|s| s.outcome.is_none())
                .unwrap_or(false)
        })
        .collect();
    let mut stages = Vec::new();
    let mut labels = std::collections::BTreeSet::new();
    for (i, s) in p.stages.iter().enumerate() {
        let mut label = s.title.clone().unwrap_or_else(|| s.name.clone());
        if !labels.insert(label.clone()) {
            sink.setup(
                s.span,
                Scope::stage(&p.name, &s.name),
                format!("stage `{}` has the same label as another stage", s.name),
                &format!("HubSpot stage labels are unique within a pipeline: the stage is labelled `{}`; rename it in the pipeline's settings", s.name),
            );
            label = s.name.clone();
            labels.insert(label.clone());
        }
        let probability = match s.outcome {
            Some(StageOutcome::Won) => 1.0,
            Some(StageOutcome::Lost) => 0.0,
            None => {
                let k = open.iter().position(|&j| j == i).unwrap_or(0) as f64;
                let share = (k + 1.0) / (open.len() as f64 + 1.0);
                ((share * 10.0).round() / 10.0).clamp(0.1, 0.9)
            }
        };
        let scope = || Scope::stage(&p.name, &s.name);
        let here = label.clone();
        for e in &s.exits {
            let to = p.stages.get(e.target);
            let to_label = to
                .map(|t| t.title.clone().unwrap_or_else(|| t.name.clone()))
                .unwrap_or_default();
            let when = text::cond(&e.when, Some(p));
            sink.setup(
                e.span,
                scope(),
                format!(
                    "exit to `{}` when `{when}`",
                    to.map(|t| t.name.as_str()).unwrap_or("?")
                ),
                &format!("a deal workflow: when {when} on a deal in stage \"{here}\", set the deal stage to \"{to_label}\""),
            );
        }
        if !s.require.is_empty() {
            let req: Vec<String> = s.require.iter().map(|c| text::cond(c, Some(p))).collect();
            sink.setup(
                s.span,
                scope(),
                format!("requires {}", req.join(", ")),
                &format!("the pipeline's stage properties: make the properties of {} required to enter \"{here}\"", req.join(", ")),
            );
        }
        for esc in &s.escalations {
            let role = linear::role_name(Some(p), esc.role);
            let when = text::cond(&esc.when, Some(p));
            sink.setup(
                s.span,
                scope(),
                format!("escalates to `{role}` when `{when}`"),
                &format!("a deal workflow: when {when} on a deal in stage \"{here}\", notify or assign the user of role `{role}` (ids `roles.{role}`)"),
            );
        }
        if let Some(d) = s.respond_within {
            let d = text::delay(d);
            sink.setup(
                s.span,
                scope(),
                format!("must be answered within {d}"),
                &format!("a deal workflow with a delay of {d} after the deal enters \"{here}\" that alerts the owner when there was no activity"),
            );
        }
        stages.push(Stage {
            label,
            display_order: i as u32,
            metadata: Metadata {
                probability,
                is_closed: s.outcome.is_some().to_string(),
            },
        });
    }
    if p.no_skip || p.no_backward.is_some() {
        let mut rules = Vec::new();
        if p.no_skip {
            rules.push("\"Restrict skipping stages\"");
        }
        if p.no_backward.is_some() {
            rules.push("\"Restrict moving backwards\"");
        }
        sink.setup(
            p.span,
            Scope::pipeline(&p.name),
            "the pipeline restricts skipping or moving back",
            &format!("turn on {} in the pipeline's rules (HubSpot: Settings → Objects → Deals → Pipelines)", rules.join(" and ")),
        );
    }
    let body = Pipeline {
        label: p.title.clone().unwrap_or_else(|| p.name.clone()),
        display_order: pi as u32,
        stages,
    };
    to_body(sink, p.span, &body)
}

/// The Hubspot emitter.
pub(crate) struct Hubspot;

impl Emitter for Hubspot {
    fn cadence(&self, model: &Model, ci: usize, sink: &mut Sink) -> Option<Body> {
        cadence(model, ci, sink)
    }

    fn pipeline(&self, model: &Model, pi: usize, sink: &mut Sink) -> Option<Body> {
        pipeline(model, pi, sink)
    }

    fn rules(&self, kind: OutputKind, body: &serde_json::Value, v: &mut V) {
        match kind {
            OutputKind::Pipeline => rules::pipeline(v, body),
            _ => rules::sequence(v, body),
        }
    }
}
