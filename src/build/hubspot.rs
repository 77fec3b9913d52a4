//! HubSpot: the sequence body of `POST /automation/sequences/2026-09-beta/serviceaccounts/sequences`
//! (v4 step shape) per cadence, and the deal pipeline body of `POST /crm/v3/pipelines/deals` per
//! pipeline.

use serde::Serialize;

use super::ids::Kind;
use super::{linear, text, to_body, Body, Sink};
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

pub(super) fn cadence(model: &Model, ci: usize, sink: &mut Sink) -> Option<Body> {
    let c = model.cadences.get(ci)?;
    let p = c.pipeline.and_then(|p| model.pipelines.get(p));
    let plan = linear::plan(model, ci, sink, &NATIVE);
    for (trig, what) in [("reply", "a reply"), ("meeting_booked", "a booked meeting")] {
        if !plan.ends_on.contains(trig) {
            sink.loss(
                c.span,
                format!("the cadence goes on after {what} (no exit on `{trig}`)"),
                &format!("HubSpot always unenrolls a contact on {what}"),
                &format!("the sequence ends on {what}"),
            );
        }
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
            sink.loss(
                s.span,
                format!("step `{}` is assigned to `{role}`", s.name),
                "HubSpot sequence tasks go to the user who enrolled the contact",
                "assigned to the enrolling user",
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
    probability: String,
    is_closed: String,
}

pub(super) fn pipeline(model: &Model, pi: usize, sink: &mut Sink) -> Option<Body> {
    let p = model.pipelines.get(pi)?;
    let rule_limit = "a HubSpot deal pipeline body holds stages only; stage rules live in workflows and pipeline settings";
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
            sink.loss(
                s.span,
                format!("stage `{}` has the same label as another stage", s.name),
                "HubSpot stage labels are unique within a pipeline",
                "labelled with its name",
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
        for e in &s.exits {
            let to = p
                .stages
                .get(e.target)
                .map(|t| t.name.as_str())
                .unwrap_or("?");
            sink.loss(
                e.span,
                format!(
                    "exit from `{}` to `{to}` when `{}`",
                    s.name,
                    text::cond(&e.when, Some(p))
                ),
                rule_limit,
                "the stage is built without it",
            );
        }
        if !s.require.is_empty() {
            let req: Vec<String> = s.require.iter().map(|c| text::cond(c, Some(p))).collect();
            sink.loss(
                s.span,
                format!("stage `{}` requires {}", s.name, req.join(", ")),
                rule_limit,
                "the stage is built without it",
            );
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
                rule_limit,
                "the stage is built without it",
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
                rule_limit,
                "the stage is built without it",
            );
        }
        stages.push(Stage {
            label,
            display_order: i as u32,
            metadata: Metadata {
                probability: format!("{probability:.1}"),
                is_closed: s.outcome.is_some().to_string(),
            },
        });
    }
    if p.no_skip || p.no_backward.is_some() {
        sink.loss(
            p.span,
            format!("pipeline `{}` restricts skipping or moving back", p.name),
            "HubSpot sets \"restrict skipping stages\" and \"restrict moving backwards\" in the pipeline's rules, not in the pipeline body",
            "the pipeline is built without the restriction",
        );
    }
    let body = Pipeline {
        label: p.title.clone().unwrap_or_else(|| p.name.clone()),
        display_order: pi as u32,
        stages,
    };
    to_body(sink, p.span, &body)
}
