//! Salesloft: the body of `POST /v2/cadence_imports` per cadence: `settings`,
//! `sharing_settings` and `cadence_content.step_groups` by day.

use serde::Serialize;

pub mod rules;

use super::ids::Kind;
use super::validate::V;
use super::{linear, text, to_body, Body, Emitter, OutputKind, Scope, Sink, Target};
use crate::calendar::Delay;
use crate::model::{Channel, Model, Priority};

/// The longest `delay_time` of an automated email group, in minutes.
pub const MAX_DELAY_TIME: u64 = 720;
const NATIVE: [&str; 4] = ["reply", "bounce", "unsubscribe", "meeting_booked"];

#[derive(Serialize)]
struct Import {
    settings: Settings,
    sharing_settings: Sharing,
    cadence_content: Content,
}

#[derive(Serialize)]
struct Settings {
    name: String,
    external_identifier: String,
    remove_replied: bool,
    remove_bounced: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    cadence_owner: Option<String>,
    // person stages (https://developers.salesloft.com/docs/platform/cadence-imports/settings/)
    #[serde(skip_serializing_if = "Option::is_none")]
    bounced_stage_setting: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    finished_stage_setting: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    replied_stage_setting: Option<String>,
}

#[derive(Serialize)]
struct Sharing {
    team_cadence: bool,
    shared: bool,
}

#[derive(Serialize)]
struct Content {
    step_groups: Vec<Group>,
}

#[derive(Serialize)]
struct Group {
    reference_id: String,
    day: u64,
    due_immediately: bool,
    automated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    automated_settings: Option<Automated>,
    steps: Vec<Step>,
}

#[derive(Serialize)]
struct Automated {
    send_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_of_day: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timezone_mode: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delay_time: Option<u64>,
    allow_send_on_weekends: bool,
}

#[derive(Serialize)]
struct Step {
    enabled: bool,
    name: String,
    #[serde(rename = "type")]
    kind: &'static str,
    type_settings: TypeSettings,
}

#[derive(Serialize)]
#[serde(untagged)]
enum TypeSettings {
    Email {
        previous_email_step_group_reference_id: Option<String>,
        email_template: Template,
    },
    Integration {
        instructions: String,
        integration_id: u64,
        integration_step_type_guid: String,
    },
    Manual {
        instructions: String,
    },
}

#[derive(Serialize)]
struct Template {
    title: String,
    subject: String,
    body: String,
    open_tracking: bool,
    click_tracking: bool,
}

fn cadence(model: &Model, ci: usize, sink: &mut Sink) -> Option<Body> {
    let c = model.cadences.get(ci)?;
    let p = c.pipeline.and_then(|p| model.pipelines.get(p));
    let plan = linear::plan(model, ci, sink, &NATIVE, false);
    let cal = c
        .calendar
        .or_else(|| p.and_then(|p| p.calendar))
        .and_then(|k| model.calendars.get(k));
    let weekends = cal
        .map(|c| c.engine.workdays[5] || c.engine.workdays[6])
        .unwrap_or(true);
    let mut groups: Vec<Group> = Vec::new();
    let (mut day, mut offset) = (1u64, 0u64);
    for &si in &plan.steps {
        let s = c.steps.get(si)?;
        let title = s.title.clone().unwrap_or_else(|| s.name.clone());
        let (days, minutes) = match s.timing.delay {
            Delay::Zero => (0, 0),
            Delay::BusinessDays(n) => (u64::from(n), 0),
            Delay::Wall { minutes } => (minutes / 1440, minutes % 1440),
            Delay::BusinessMinutes(m) => (m / 1440, m % 1440),
        };
        day = day.saturating_add(days);
        offset += minutes;
        day = day.saturating_add(offset / 1440);
        offset %= 1440;
        let automated = s.channel == Channel::Email;
        let due_immediately = day == 1 && offset == 0 && s.timing.at_clock.is_none();
        let sub_day = minutes > 0 || s.timing.at_clock.is_some();
        if !linear::is_owner(p, s.assign) {
            let role = s
                .assign
                .map(|r| linear::role_name(p, r))
                .unwrap_or_default();
            sink.setup(
                s.span,
                Scope::step(&c.name, &s.name),
                format!("step `{}` is assigned to `{role}`", s.name),
                &format!("Salesloft gives a cadence's steps to the person's owner in the cadence: add people to the cadence as the user of role `{role}`"),
            );
        }
        let step = match s.channel {
            Channel::Email => {
                let template = s
                    .variants
                    .first()
                    .and_then(|v| v.template.clone())
                    .or_else(|| s.template.clone());
                let key = template
                    .clone()
                    .unwrap_or_else(|| format!("{}.{}", c.name, s.name));
                let body = sink.id(
                    Kind::Template,
                    &key,
                    s.span,
                    &format!("PLACEHOLDER: the body of template `{key}`"),
                );
                Step {
                    enabled: true,
                    name: title.clone(),
                    kind: "Email",
                    type_settings: TypeSettings::Email {
                        previous_email_step_group_reference_id: None,
                        email_template: Template {
                            title: template.unwrap_or_else(|| s.name.clone()),
                            subject: title,
                            body,
                            open_tracking: true,
                            click_tracking: true,
                        },
                    },
                }
            }
            ch => {
                let integration = integration(sink, ch);
                let kind = match ch {
                    Channel::Call => "Phone",
                    Channel::Task => "Other",
                    _ if integration.is_some() => "Integration",
                    other => {
                        let hint = match other {
                            Channel::Linkedin | Channel::Sms => format!(
                                "; an Integration step needs `{n} = ID` and `{n}_step_type = \"GUID\"` under `[salesloft.integrations]` in the ids file",
                                n = other.name()
                            ),
                            _ => String::new(),
                        };
                        sink.loss(
                            s.span,
                            format!(
                                "step `{}` is {} step",
                                s.name,
                                crate::diagnostics::with_article(other.name())
                            ),
                            &format!("Salesloft cadence steps are Email, Phone, Other or Integration{hint}"),
                            "an `Other` step with instructions",
                        );
                        "Other"
                    }
                };
                let mut instructions = match ch {
                    Channel::Call | Channel::Task => title.clone(),
                    other => format!("{}: {title}", other.name()),
                };
                if let Some(pr) = s.priority {
                    let pr = match pr {
                        Priority::High => "high",
                        Priority::Medium => "medium",
                        Priority::Low => "low",
                    };
                    instructions.push_str(&format!(" (priority {pr})"));
                }
                if let Some(t) = &s.template {
                    instructions.push_str(&format!(" [template {t}]"));
                }
                let type_settings = match integration {
                    Some((integration_id, integration_step_type_guid)) => {
                        TypeSettings::Integration {
                            instructions,
                            integration_id,
                            integration_step_type_guid,
                        }
                    }
                    None => TypeSettings::Manual { instructions },
                };
                Step {
                    enabled: true,
                    name: title,
                    kind,
                    type_settings,
                }
            }
        };
        if automated {
            let settings = if let Some(clock) = s.timing.at_clock {
                Automated {
                    send_type: "at_time",
                    time_of_day: Some(text::clock(clock)),
                    timezone_mode: Some("user"),
                    delay_time: None,
                    allow_send_on_weekends: weekends,
                }
            } else {
                let mut delay = minutes;
                if matches!(s.timing.delay, Delay::BusinessMinutes(_)) && minutes > 0 {
                    sink.loss(
                        s.span,
                        format!("step `{}` waits {}", s.name, text::delay(s.timing.delay)),
                        "a Salesloft email delay is wall-clock minutes",
                        "counted as wall-clock minutes",
                    );
                }
                if delay > MAX_DELAY_TIME {
                    sink.loss(
                        s.span,
                        format!(
                            "step `{}` waits {} into day {day}",
                            s.name,
                            text::minutes(delay as f64)
                        ),
                        &format!(
                            "a Salesloft email group waits at most {MAX_DELAY_TIME} minutes (`delay_time`)"
                        ),
                        &format!("sent {MAX_DELAY_TIME} minutes into the day"),
                    );
                    delay = MAX_DELAY_TIME;
                }
                Automated {
                    send_type: "after_time_delay",
                    time_of_day: None,
                    timezone_mode: None,
                    delay_time: Some(delay),
                    allow_send_on_weekends: weekends,
                }
            };
            groups.push(Group {
                reference_id: s.name.clone(),
                day,
                due_immediately,
                automated: true,
                automated_settings: Some(settings),
                steps: vec![step],
            });
            continue;
        }
        if sub_day {
            sink.loss(
                s.span,
                format!("step `{}` is due {}", s.name, text::timing(s.timing)),
                "Salesloft schedules manual steps by day, not by time of day",
                &format!("due on day {day}"),
            );
        }
        match groups.last_mut() {
            Some(g) if !g.automated && g.day == day => g.steps.push(step),
            _ => groups.push(Group {
                reference_id: s.name.clone(),
                day,
                due_immediately,
                automated: false,
                automated_settings: None,
                steps: vec![step],
            }),
        }
    }
    let cadence_owner = sink
        .has_id(Kind::Role, "owner")
        .then(|| sink.id(Kind::Role, "owner", c.span, ""));
    if plan.ends_on.contains("meeting_booked") {
        sink.setup(
            c.span,
            Scope::cadence(&c.name),
            "the cadence ends when a meeting is booked",
            "the cadence import settings have no field for it: remove the person from the cadence when a meeting is booked (a Salesloft rule or a CRM workflow)",
        );
    }
    let stage_label = |st: usize| {
        p.and_then(|p| p.stages.get(st))
            .map(|s| s.title.clone().unwrap_or_else(|| s.name.clone()))
    };
    let mut person_stage = |key: &str, when: &str, st: Option<usize>| {
        let label = st.and_then(stage_label)?;
        sink.setup(
            c.span,
            Scope::cadence(&c.name),
            format!("{when} moves the deal to \"{label}\""),
            &format!("`{key}` is written as \"{label}\": it moves the person to a Salesloft person stage (not the deal's stage), so create a person stage of that name; the deal's stage follows only from the CRM workflow"),
        );
        Some(label)
    };
    let replied_stage_setting = person_stage(
        "replied_stage_setting",
        "a reply",
        plan.stage_on.get("reply").copied(),
    );
    let bounced_stage_setting = person_stage(
        "bounced_stage_setting",
        "a bounce",
        plan.stage_on.get("bounce").copied(),
    );
    let finished_stage_setting = person_stage(
        "finished_stage_setting",
        "finishing the cadence",
        plan.finished_stage,
    );
    let body = Import {
        settings: Settings {
            name: c.title.clone().unwrap_or_else(|| c.name.clone()),
            external_identifier: c.name.clone(),
            remove_replied: plan.ends_on.contains("reply"),
            remove_bounced: plan.ends_on.contains("bounce"),
            cadence_owner,
            bounced_stage_setting,
            finished_stage_setting,
            replied_stage_setting,
        },
        sharing_settings: Sharing {
            team_cadence: true,
            shared: true,
        },
        cadence_content: Content {
            step_groups: groups,
        },
    };
    to_body(sink, c.span, &body)
}

/// The integration id and step type guid of a LinkedIn or SMS step, when the ids file has both.
fn integration(sink: &Sink, ch: Channel) -> Option<(u64, String)> {
    if !matches!(ch, Channel::Linkedin | Channel::Sms) {
        return None;
    }
    let ids = &sink.opts.ids;
    let id = ids.get(Target::Salesloft, Kind::Integration, ch.name())?;
    let guid = ids.get(
        Target::Salesloft,
        Kind::Integration,
        &format!("{}_step_type", ch.name()),
    )?;
    Some((id.parse().ok().filter(|n| *n > 0)?, guid.to_string()))
}

/// Holidays are a team setting in Salesloft, not part of a cadence: one setup item per calendar
/// that a cadence counts its days on, with its dates.
fn holiday_calendars(model: &Model, sink: &mut Sink) {
    let used: std::collections::BTreeSet<usize> = model
        .cadences
        .iter()
        .filter(|c| sink.opts.builds(c))
        .filter_map(|c| {
            c.calendar.or_else(|| {
                c.pipeline
                    .and_then(|p| model.pipelines.get(p))
                    .and_then(|p| p.calendar)
            })
        })
        .collect();
    for k in used {
        let Some(cal) = model.calendars.get(k) else {
            continue;
        };
        let e = &cal.engine;
        if e.holidays.is_empty() && e.makeup_workdays.is_empty() {
            continue;
        }
        let days = |set: &std::collections::BTreeSet<chrono::NaiveDate>| {
            set.iter()
                .map(|d| d.format("%Y-%m-%d").to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut how = format!(
            "configure the team holiday calendar \"{}\" (Salesloft team settings; cadences have no holiday field) with the holidays {}",
            cal.name,
            days(&e.holidays)
        );
        if !e.makeup_workdays.is_empty() {
            how.push_str(&format!(
                "; Salesloft has no make-up working days: on {} the cadences' days do not advance as the calendar says",
                days(&e.makeup_workdays)
            ));
        }
        sink.setup(
            cal.span,
            Scope::team_calendar(&cal.name),
            format!(
                "calendar `{}` has {} holidays and {} make-up workdays that the cadences' days count",
                cal.name,
                e.holidays.len(),
                e.makeup_workdays.len()
            ),
            &how,
        );
    }
}

/// The Salesloft emitter.
pub(crate) struct Salesloft;

impl Emitter for Salesloft {
    fn cadence(&self, model: &Model, ci: usize, sink: &mut Sink) -> Option<Body> {
        cadence(model, ci, sink)
    }

    fn pipeline(&self, _model: &Model, _pi: usize, _sink: &mut Sink) -> Option<Body> {
        None
    }

    fn team(&self, model: &Model, sink: &mut Sink) {
        holiday_calendars(model, sink);
    }

    fn rules(&self, _kind: OutputKind, body: &serde_json::Value, v: &mut V) {
        rules::cadence(v, body)
    }
}
