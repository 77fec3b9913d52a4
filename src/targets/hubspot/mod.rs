//! HubSpot: the sequence body of `POST /automation/sequences/2026-09-beta/serviceaccounts/sequences`
//! (the documented create request) per cadence, and with `--pipelines` the deal pipeline body of
//! `POST /crm/v3/pipelines/deals` per pipeline (without it, a setup item names its stages).

use serde::Serialize;

pub mod days;
pub mod rules;

use super::ids::Kind;
use super::validate::V;
use super::{linear, text, to_body, Body, Emitter, OutputKind, Scope, Sink, Target};
use crate::calendar::{Delay, MON_FRI};
use crate::model::{Cadence, Channel, Model, Priority, StageOutcome};

/// HubSpot's longest step delay: 90 days (the sequence editor's limit).
pub const MAX_DELAY_DAYS: u64 = 90;
const MS_PER_MINUTE: u64 = 60_000;
const MS_PER_DAY: u64 = 86_400_000;
/// What HubSpot ends a sequence on by itself.
const NATIVE: [&str; 4] = ["reply", "bounce", "unsubscribe", "meeting_booked"];

// The request of create-sequence (2026-09-beta): only the fields its documented request
// example names (https://developers.hubspot.com/docs/api-reference/2026-09-beta/automation/sequences/create-sequence).
// It has no field for a step's action, template or task, nor for the follow-up days: those are
// setup items.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Sequence {
    name: String,
    steps: Vec<Step>,
    dependencies: Vec<Dependency>,
    settings: Settings,
    #[serde(skip_serializing_if = "Option::is_none")]
    engagement_triggers: Option<EngagementTriggers>,
}

/// The create request's `engagementTriggers` (its effect is not explained on the page).
#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct EngagementTriggers {
    #[serde(skip_serializing_if = "Option::is_none")]
    number_of_clicks: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    number_of_opens: Option<u32>,
}

const CREATE_PAGE: &str = "https://developers.hubspot.com/docs/api-reference/2026-09-beta/automation/sequences/create-sequence";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Step {
    step_order: u32,
    delay_millis: u64,
}

/// The next step waits for this task step to be completed.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Dependency {
    relies_on_step_order: u32,
    required_by_step_order: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Settings {
    #[serde(skip_serializing_if = "Option::is_none")]
    send_window_start_minute: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    send_window_end_minute: Option<u32>,
}

/// What a step does, in the words of HubSpot's sequence editor.
fn action_words(model_ids: &super::Ids, c: &Cadence, s: &crate::model::Step) -> String {
    let subject = s.title.clone().unwrap_or_else(|| s.name.clone());
    let priority = match s.priority {
        Some(Priority::High) => ", priority high",
        Some(Priority::Medium) => ", priority medium",
        Some(Priority::Low) => ", priority low",
        None => "",
    };
    let task = |kind: &str| format!("a {kind} task \"{subject}\"{priority}");
    match s.channel {
        Channel::Email => {
            let key = s
                .variants
                .first()
                .and_then(|v| v.template.clone())
                .or_else(|| s.template.clone())
                .unwrap_or_else(|| format!("{}.{}", c.name, s.name));
            match model_ids.get(Target::Hubspot, Kind::Template, &key) {
                Some(id) => format!("an email with template `{key}` (id {id})"),
                None => format!("an email with template `{key}`"),
            }
        }
        Channel::Call => task("call"),
        Channel::Task => task("to-do"),
        Channel::Meeting => task("meeting"),
        Channel::Linkedin => task("LinkedIn message"),
        Channel::Sms | Channel::Whatsapp => task(&format!("to-do ({})", s.channel.name())),
    }
}

fn cadence(model: &Model, ci: usize, sink: &mut Sink) -> Option<Body> {
    let c = model.cadences.get(ci)?;
    let p = c.pipeline.and_then(|p| model.pipelines.get(p));
    let plan = linear::plan(model, ci, sink, &NATIVE, true);
    let engagement_triggers = engagement(c, &plan, sink);
    if !plan.ends_on.contains("reply") {
        sink.loss(
            c.span,
            "the cadence goes on after a reply (no exit on `reply`)",
            "HubSpot always unenrolls a contact on a reply",
            "the sequence ends on a reply",
        );
    }
    if plan.ends_on.contains("meeting_booked") {
        sink.assumption(
            c.span,
            Scope::cadence(&c.name),
            "the cadence ends when a meeting is booked",
            "HubSpot's sequences guide says contacts can unenroll automatically when they book a meeting; the meaning of the body's `unenrollmentSettings.meetingSettings` is not documented, so it is not written: check that the sequence's settings unenroll on a booked meeting",
        );
    } else {
        sink.setup(
            c.span,
            Scope::cadence(&c.name),
            "the cadence goes on after a booked meeting (no exit on `meeting_booked`)",
            "HubSpot unenrolls a contact who books a meeting by default: turn that off in the sequence's unenrollment settings",
        );
    }
    let cal = c
        .calendar
        .or_else(|| p.and_then(|p| p.calendar))
        .and_then(|k| model.calendars.get(k));
    let workdays = cal.map(|k| k.engine.workdays).unwrap_or([true; 7]);
    // "Send follow-ups on weekdays only" is on unless the calendar works every day
    let weekdays_only = workdays != [true; 7];
    let mut steps = Vec::new();
    let mut dependencies = Vec::new();
    let mut actions = Vec::new();
    let mut business_time = false;
    for (order, &si) in plan.steps.iter().enumerate() {
        let s = c.steps.get(si)?;
        let order = order as u32;
        actions.push(format!(
            "{}. {}",
            order + 1,
            action_words(&sink.opts.ids, c, s)
        ));
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
                // a touch before the first step is the enrollment, on any day
                let starts: &[chrono::Weekday] = if order == 0 || !weekdays_only {
                    &days::WEEK
                } else {
                    &days::WEEK[..5]
                };
                let d = match days::business_days(n, workdays, weekdays_only, starts) {
                    Ok(d) => d,
                    Err((d, m)) => {
                        sink.loss(
                            s.span,
                            format!(
                                "step `{}` waits {}: after a touch on {} the team's calendar says {}, HubSpot runs a {d}-day delay on {}",
                                s.name,
                                text::delay(s.timing.delay),
                                days::dated(m.from),
                                days::dated(m.team),
                                days::dated(m.hubspot),
                            ),
                            "HubSpot waits whole days and moves a step that falls on a weekend to Monday; no delay lands on the N-th business day from every weekday",
                            &format!("a {d}-day delay"),
                        );
                        d
                    }
                };
                u64::from(d).saturating_mul(MS_PER_DAY)
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
        if matches!(s.channel, Channel::Sms | Channel::Whatsapp) {
            sink.loss(
                s.span,
                format!("step `{}` sends {}", s.name, s.channel.name()),
                "HubSpot sequences send email and create tasks; they have no SMS or WhatsApp steps",
                "a to-do task for the rep",
            );
        }
        if s.channel != Channel::Email && order + 1 < plan.steps.len() as u32 {
            dependencies.push(Dependency {
                relies_on_step_order: order,
                required_by_step_order: order + 1,
            });
        }
        steps.push(Step {
            step_order: order,
            delay_millis: delay,
        });
    }
    if !actions.is_empty() {
        sink.setup(
            c.span,
            Scope::cadence(&c.name),
            format!("the steps' actions: {}", actions.join("; ")),
            "HubSpot's create-sequence request has no field for a step's email template or task: in the sequence editor, give each step its action in this order",
        );
    }
    let mut settings = Settings {
        send_window_start_minute: None,
        send_window_end_minute: None,
    };
    if !weekdays_only && !plan.steps.is_empty() {
        sink.setup(
            c.span,
            Scope::cadence(&c.name),
            "the cadence runs on every day of the week (its calendar works every day, or it has none)",
            "HubSpot sends follow-ups on weekdays only by default: clear \"Send follow-ups on weekdays only\" when enrolling contacts",
        );
    }
    if let Some(cal) = cal {
        let e = &cal.engine;
        if weekdays_only && e.workdays != MON_FRI {
            sink.loss(
                cal.span,
                format!(
                    "calendar `{}` works other days than Monday to Friday",
                    cal.name
                ),
                "HubSpot sends follow-ups every day or on weekdays only",
                "weekdays (Monday to Friday)",
            );
        }
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
    let seq = Sequence {
        name: c.title.clone().unwrap_or_else(|| c.name.clone()),
        steps,
        dependencies,
        settings,
        engagement_triggers,
    };
    to_body(sink, c.span, &seq)
}

/// Exits on opens or clicks of an email as the body's `engagementTriggers`: the page names the
/// field (`numberOfOpens`, `numberOfClicks`) without saying what reaching the number does, so
/// each is an assumption to check, not a loss. One number per kind: a second, different one
/// is a loss.
fn engagement(
    c: &crate::model::Cadence,
    plan: &linear::Plan,
    sink: &mut Sink,
) -> Option<EngagementTriggers> {
    let mut t = EngagementTriggers::default();
    let emails = plan
        .steps
        .iter()
        .filter(|&&si| c.steps.get(si).map(|s| s.channel) == Some(Channel::Email))
        .count();
    for &(si, outcome, n) in &plan.engagement {
        let Some(s) = c.steps.get(si) else { continue };
        let (slot, field) = match outcome {
            "opened" => (&mut t.number_of_opens, "numberOfOpens"),
            _ => (&mut t.number_of_clicks, "numberOfClicks"),
        };
        match *slot {
            Some(m) if m != n => {
                sink.loss(
                    s.span,
                    format!("step `{}`: `on {outcome} {n} times -> exit`", s.name),
                    &format!("a sequence has one `engagementTriggers.{field}`, already {m}"),
                    "the exit is left out",
                );
                continue;
            }
            _ => *slot = Some(n),
        }
        let counted = if emails > 1 {
            format!(
                "; HubSpot's number is the sequence's, the cadence counts only step `{}`'s email",
                s.name
            )
        } else {
            String::new()
        };
        sink.assumption(
            s.span,
            Scope::step(&c.name, &s.name),
            &format!("the sequence ends after {n} {outcome} email{} (`engagementTriggers.{field}: {n}`)", if n == 1 { "" } else { "s" }),
            &format!("the create-sequence page ({CREATE_PAGE}) names `engagementTriggers.{field}` without saying what reaching it does: check that the contact is unenrolled{counted}"),
        );
    }
    (t.number_of_opens.is_some() || t.number_of_clicks.is_some()).then_some(t)
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
                &format!("a deal workflow: when {when} on a deal in stage \"{here}\", notify or assign the user of role `{role}`"),
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
    let label = p.title.clone().unwrap_or_else(|| p.name.clone());
    if !sink.opts.pipelines {
        // no body asked for: the pipeline itself is configured by hand
        let words: Vec<String> = stages
            .iter()
            .map(|s| format!("\"{}\" (probability {})", s.label, s.metadata.probability))
            .collect();
        sink.setup(
            p.span,
            Scope::pipeline(&p.name),
            "the deal pipeline",
            &format!(
                "a deal pipeline \"{label}\" with the stages {}, in this order (or build with `--pipelines` for the body of POST /crm/v3/pipelines/deals)",
                words.join(", ")
            ),
        );
        return None;
    }
    let body = Pipeline {
        label,
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
