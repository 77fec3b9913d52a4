//! The neutral JSON format: the whole checked project, with `format_version`, the compiler
//! version and the source location of every entity. `cadence schema` prints its JSON Schema and
//! [`Document::to_model`] loads it back into the same model.
//!
//! References are indices, as in the model: `calendar` into `calendars`, `pipeline` into
//! `pipelines`, a fact, event, role or stage into the lists of the cadence's (or stage's)
//! pipeline, a step into the cadence's `steps`, `cadence` and `leads` of a simulation or test into
//! `cadences` and `leads`. Durations are minutes; shares and percentages are fractions.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::calendar::{self, Delay, Timing};
use crate::model::{self, Model};
use crate::project::Project;
use crate::source::Span;
use crate::syntax::ast::Item;

/// Bumped on every incompatible change of the format.
pub const FORMAT_VERSION: u32 = 2;

/// A checked cadence project in the neutral format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "cadence neutral project")]
pub struct Document {
    /// the version of this format; it changes on every incompatible change
    pub format_version: u32,
    pub compiler: Compiler,
    pub calendars: Vec<Calendar>,
    pub pipelines: Vec<Pipeline>,
    pub cadences: Vec<Cadence>,
    pub leads: Vec<Leads>,
    pub simulations: Vec<Simulation>,
    pub tests: Vec<Test>,
}

/// The compiler that wrote the document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Compiler {
    pub name: String,
    pub version: String,
}

/// Where an entity is declared: file relative to the project root (`/`-separated), 1-based line and column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

/// A business-hours range in local wall-clock time, `HH:MM`; `end` may be `24:00`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Hours {
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Calendar {
    pub name: String,
    /// IANA time zone
    pub timezone: String,
    /// working weekdays: `mon` … `sun`
    pub workdays: Vec<String>,
    pub hours: Vec<Hours>,
    /// non-working dates, `YYYY-MM-DD`, ranges expanded
    pub holidays: Vec<String>,
    /// make-up working dates (调休), `YYYY-MM-DD`
    pub makeup_workdays: Vec<String>,
    pub source: Option<Location>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Pipeline {
    pub name: String,
    pub title: Option<String>,
    pub calendar: Option<usize>,
    pub facts: Vec<model::Fact>,
    pub events: Vec<String>,
    pub roles: Vec<String>,
    pub max_gap_minutes: Option<u64>,
    pub no_skip: bool,
    /// `null`: backward moves allowed; a list: only these (from, to) stage moves
    pub no_backward: Option<Vec<(usize, usize)>>,
    pub stages: Vec<Stage>,
    pub source: Option<Location>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Stage {
    pub name: String,
    pub title: Option<String>,
    pub respond_within: Option<Delay>,
    /// the stage's own `max_gap` (minutes), overriding the pipeline's
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_gap_minutes: Option<u64>,
    /// evidence (events or bool facts) required before any exit to a non-terminal stage
    pub require: Vec<model::Cond>,
    /// tried in order; the first whose condition holds moves the deal
    pub exits: Vec<StageExit>,
    pub escalations: Vec<model::Escalation>,
    pub outcome: Option<model::StageOutcome>,
    pub source: Option<Location>,
}

/// A gate: the condition is an expression tree over the pipeline's facts and events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StageExit {
    /// index of the target stage
    pub target: usize,
    pub when: model::Cond,
    pub label: Option<String>,
    pub source: Option<Location>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Cadence {
    pub name: String,
    pub title: Option<String>,
    /// `target`: the CRMs the cadence is meant for (`[]` for `target none`); absent without a
    /// `target` line (any CRM)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets: Option<Vec<model::Crm>>,
    pub pipeline: Option<usize>,
    pub stage: Option<usize>,
    pub calendar: Option<usize>,
    pub enroll: Option<model::Cond>,
    /// `active`: the local dates the cadence runs on
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<model::DateWindow>,
    /// with `window`: a deal enrolled before it waits for it (otherwise it is not enrolled)
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub defer: bool,
    /// `hand_off to`: index of the cadence the deal enrolls in when this one runs out
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hand_off: Option<usize>,
    pub exits: Vec<model::CadenceExit>,
    /// `tracks[0]` is the main track
    pub tracks: Vec<model::Track>,
    pub steps: Vec<Step>,
    pub source: Option<Location>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Step {
    pub name: String,
    pub track: usize,
    pub channel: model::Channel,
    pub title: Option<String>,
    pub template: Option<String>,
    pub timing: Timing,
    /// `during`: outside these local dates the step is skipped
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<model::DateWindow>,
    /// `skip when`: the step is skipped when this holds at its due time
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip: Option<model::Cond>,
    pub assign: Option<usize>,
    pub priority: Option<model::Priority>,
    pub variants: Vec<model::Variant>,
    pub rules: Vec<model::OnRule>,
    pub otherwise: Option<model::Effects>,
    pub source: Option<Location>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Leads {
    #[serde(flatten)]
    pub model: model::LeadModel,
    pub source: Option<Location>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Simulation {
    #[serde(flatten)]
    pub model: model::Simulation,
    pub source: Option<Location>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Test {
    #[serde(flatten)]
    pub model: model::Test,
    pub source: Option<Location>,
}

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn location(project: &Project, span: Span) -> Option<Location> {
    let f = project.sources.get(span.file)?;
    let (line, column) = f.line_col(span.start as usize);
    Some(Location {
        file: project.relative_name(span.file)?.to_string(),
        line,
        column,
    })
}

/// Where a lead model, simulation or test is declared (the model keeps no span for them).
fn decl_span(project: &Project, kind: &str, name: &str) -> Option<Span> {
    project
        .files
        .iter()
        .flat_map(|(_, f)| f.items.iter())
        .find_map(|item| match (kind, item) {
            ("leads", Item::Leads(d)) if d.name.name == name => Some(d.name.span),
            ("simulation", Item::Simulation(d)) if d.name.name == name => Some(d.name.span),
            ("test", Item::Test(d)) if d.name.value == name => Some(d.name.span),
            _ => None,
        })
}

impl Document {
    /// The neutral document of a checked model; locations come from the project's sources.
    pub fn from_model(m: &Model, project: &Project) -> Document {
        let loc = |span: Span| location(project, span);
        let named = |kind: &str, name: &str| {
            decl_span(project, kind, name).and_then(|s| location(project, s))
        };
        Document {
            format_version: FORMAT_VERSION,
            compiler: Compiler {
                name: env!("CARGO_PKG_NAME").into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            calendars: m
                .calendars
                .iter()
                .map(|c| calendar_doc(c, loc(c.span)))
                .collect(),
            pipelines: m
                .pipelines
                .iter()
                .map(|p| Pipeline {
                    name: p.name.clone(),
                    title: p.title.clone(),
                    calendar: p.calendar,
                    facts: p.facts.clone(),
                    events: p.events.clone(),
                    roles: p.roles.clone(),
                    max_gap_minutes: p.max_gap_minutes,
                    no_skip: p.no_skip,
                    no_backward: p.no_backward.clone(),
                    stages: p
                        .stages
                        .iter()
                        .map(|s| Stage {
                            name: s.name.clone(),
                            title: s.title.clone(),
                            respond_within: s.respond_within,
                            max_gap_minutes: s.max_gap_minutes,
                            require: s.require.clone(),
                            exits: s
                                .exits
                                .iter()
                                .map(|e| StageExit {
                                    target: e.target,
                                    when: e.when.clone(),
                                    label: e.label.clone(),
                                    source: loc(e.span),
                                })
                                .collect(),
                            escalations: s.escalations.clone(),
                            outcome: s.outcome,
                            source: loc(s.span),
                        })
                        .collect(),
                    source: loc(p.span),
                })
                .collect(),
            cadences: m
                .cadences
                .iter()
                .map(|c| Cadence {
                    name: c.name.clone(),
                    title: c.title.clone(),
                    targets: c.crms.clone(),
                    pipeline: c.pipeline,
                    stage: c.stage,
                    calendar: c.calendar,
                    enroll: c.enroll.clone(),
                    window: c.window,
                    defer: c.defer,
                    hand_off: c.hand_off,
                    exits: c.exits.clone(),
                    tracks: c.tracks.clone(),
                    steps: c
                        .steps
                        .iter()
                        .map(|s| Step {
                            name: s.name.clone(),
                            track: s.track,
                            channel: s.channel,
                            title: s.title.clone(),
                            template: s.template.clone(),
                            timing: s.timing,
                            window: s.window,
                            skip: s.skip.clone(),
                            assign: s.assign,
                            priority: s.priority,
                            variants: s.variants.clone(),
                            rules: s.rules.clone(),
                            otherwise: s.otherwise.clone(),
                            source: loc(s.span),
                        })
                        .collect(),
                    source: loc(c.span),
                })
                .collect(),
            leads: m
                .leads
                .iter()
                .map(|l| Leads {
                    model: l.clone(),
                    source: named("leads", &l.name),
                })
                .collect(),
            simulations: m
                .simulations
                .iter()
                .map(|s| Simulation {
                    model: s.clone(),
                    source: named("simulation", &s.name),
                })
                .collect(),
            tests: m
                .tests
                .iter()
                .map(|t| Test {
                    model: t.clone(),
                    source: named("test", &t.name),
                })
                .collect(),
        }
    }

    /// Load the document back into a model (spans are empty). Fails on a calendar whose time
    /// zone, weekday, clock or date cannot be read, or on a format version this compiler does
    /// not know.
    pub fn to_model(&self) -> Result<Model, String> {
        if self.format_version != FORMAT_VERSION {
            return Err(format!(
                "format_version {} is not supported (this compiler reads {FORMAT_VERSION})",
                self.format_version
            ));
        }
        let calendars = self
            .calendars
            .iter()
            .map(calendar_model)
            .collect::<Result<Vec<_>, _>>()?;
        let span = Span::default();
        Ok(Model {
            calendars,
            pipelines: self
                .pipelines
                .iter()
                .map(|p| model::Pipeline {
                    name: p.name.clone(),
                    title: p.title.clone(),
                    calendar: p.calendar,
                    facts: p.facts.clone(),
                    events: p.events.clone(),
                    roles: p.roles.clone(),
                    max_gap_minutes: p.max_gap_minutes,
                    max_gap_span: span,
                    no_skip: p.no_skip,
                    no_backward: p.no_backward.clone(),
                    stages: p
                        .stages
                        .iter()
                        .map(|s| model::Stage {
                            name: s.name.clone(),
                            title: s.title.clone(),
                            respond_within: s.respond_within,
                            max_gap_minutes: s.max_gap_minutes,
                            max_gap_span: span,
                            require: s.require.clone(),
                            exits: s
                                .exits
                                .iter()
                                .map(|e| model::StageExit {
                                    target: e.target,
                                    when: e.when.clone(),
                                    label: e.label.clone(),
                                    span,
                                })
                                .collect(),
                            escalations: s.escalations.clone(),
                            outcome: s.outcome,
                            span,
                        })
                        .collect(),
                    span,
                })
                .collect(),
            cadences: self
                .cadences
                .iter()
                .map(|c| model::Cadence {
                    name: c.name.clone(),
                    title: c.title.clone(),
                    crms: c.targets.clone(),
                    pipeline: c.pipeline,
                    stage: c.stage,
                    calendar: c.calendar,
                    enroll: c.enroll.clone(),
                    window: c.window,
                    defer: c.defer,
                    hand_off: c.hand_off,
                    exits: c.exits.clone(),
                    tracks: c.tracks.clone(),
                    steps: c
                        .steps
                        .iter()
                        .map(|s| model::Step {
                            name: s.name.clone(),
                            track: s.track,
                            channel: s.channel,
                            title: s.title.clone(),
                            template: s.template.clone(),
                            timing: s.timing,
                            window: s.window,
                            skip: s.skip.clone(),
                            assign: s.assign,
                            priority: s.priority,
                            variants: s.variants.clone(),
                            rules: s.rules.clone(),
                            otherwise: s.otherwise.clone(),
                            span,
                        })
                        .collect(),
                    span,
                })
                .collect(),
            leads: self.leads.iter().map(|l| l.model.clone()).collect(),
            simulations: self.simulations.iter().map(|s| s.model.clone()).collect(),
            tests: self.tests.iter().map(|t| t.model.clone()).collect(),
        })
    }

    /// Parse a neutral JSON text and load it into a model.
    pub fn load(json: &str) -> Result<Model, String> {
        let doc: Document = serde_json::from_str(json).map_err(|e| e.to_string())?;
        doc.to_model()
    }
}

/// The JSON Schema of the neutral format, pretty-printed with a final newline.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(Document);
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

fn calendar_doc(c: &model::Calendar, source: Option<Location>) -> Calendar {
    let e = &c.engine;
    let dates = |set: &BTreeSet<NaiveDate>| {
        set.iter()
            .map(|d| d.format("%Y-%m-%d").to_string())
            .collect()
    };
    Calendar {
        name: c.name.clone(),
        timezone: e.tz.name().to_string(),
        workdays: WEEKDAYS
            .iter()
            .zip(e.workdays)
            .filter(|(_, on)| *on)
            .map(|(d, _)| d.to_string())
            .collect(),
        hours: e
            .hours
            .iter()
            .map(|(s, t)| Hours {
                start: super::text::clock(*s),
                end: super::text::clock(*t),
            })
            .collect(),
        holidays: dates(&e.holidays),
        makeup_workdays: dates(&e.makeup_workdays),
        source,
    }
}

fn parse_clock(s: &str) -> Result<u32, String> {
    let bad = || format!("`{s}` is not a clock time HH:MM");
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m >= 60 || h * 60 + m > calendar::MINUTES_PER_DAY {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

fn calendar_model(c: &Calendar) -> Result<model::Calendar, String> {
    let tz: chrono_tz::Tz = c
        .timezone
        .parse()
        .map_err(|_| format!("calendar `{}`: unknown time zone `{}`", c.name, c.timezone))?;
    let mut workdays = [false; 7];
    for d in &c.workdays {
        let i = WEEKDAYS
            .iter()
            .position(|w| w == d)
            .ok_or_else(|| format!("calendar `{}`: unknown weekday `{d}`", c.name))?;
        workdays[i] = true;
    }
    let hours = c
        .hours
        .iter()
        .map(|h| Ok((parse_clock(&h.start)?, parse_clock(&h.end)?)))
        .collect::<Result<Vec<_>, String>>()?;
    let dates = |v: &[String]| {
        v.iter()
            .map(|d| {
                NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map_err(|_| format!("calendar `{}`: `{d}` is not a date", c.name))
            })
            .collect::<Result<BTreeSet<_>, _>>()
    };
    Ok(model::Calendar {
        name: c.name.clone(),
        engine: calendar::Calendar {
            tz,
            workdays,
            hours,
            holidays: dates(&c.holidays)?,
            makeup_workdays: dates(&c.makeup_workdays)?,
        },
        span: Span::default(),
    })
}
