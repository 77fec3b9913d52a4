//! Stage 4: the checked model. Names are resolved to indices, units normalised (durations in
//! minutes, percentages as fractions), types known. Build targets and the simulator read only this.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::calendar::{Delay, Timing};
use crate::source::Span;

pub mod graph;

pub type CalendarId = usize;
pub type PipelineId = usize;
pub type StageId = usize;
pub type FactId = usize;
pub type EventId = usize;
pub type RoleId = usize;
pub type StepId = usize;
pub type TrackId = usize;
pub type CadenceId = usize;

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Model {
    pub calendars: Vec<Calendar>,
    pub pipelines: Vec<Pipeline>,
    pub cadences: Vec<Cadence>,
    pub leads: Vec<LeadModel>,
    pub simulations: Vec<Simulation>,
    pub tests: Vec<Test>,
}

impl Model {
    /// The cadences of a pipeline: every cadence that names it, in name order.
    pub fn pipeline_cadences(&self, pipeline: PipelineId) -> Vec<CadenceId> {
        let mut out: Vec<CadenceId> = (0..self.cadences.len())
            .filter(|i| self.cadences[*i].pipeline == Some(pipeline))
            .collect();
        out.sort_by(|a, b| self.cadences[*a].name.cmp(&self.cadences[*b].name));
        out
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Calendar {
    pub name: String,
    #[serde(skip)]
    pub engine: crate::calendar::Calendar,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FactType {
    Money,
    Bool,
    Duration,
    Score,
    Number,
    Percent,
    Text,
}

impl FactType {
    pub const ALL: [(&'static str, FactType); 7] = [
        ("money", FactType::Money),
        ("bool", FactType::Bool),
        ("duration", FactType::Duration),
        ("score", FactType::Score),
        ("number", FactType::Number),
        ("percent", FactType::Percent),
        ("text", FactType::Text),
    ];
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Fact {
    pub path: String,
    pub ty: FactType,
    pub crm_field: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StageOutcome {
    Won,
    Lost,
}

/// `Default`: a pipeline with nothing declared (what a cadence without one has).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Pipeline {
    pub name: String,
    pub title: Option<String>,
    pub calendar: Option<CalendarId>,
    pub facts: Vec<Fact>,
    pub events: Vec<String>,
    pub roles: Vec<String>,
    pub max_gap_minutes: Option<u64>,
    /// The `max_gap` setting, for diagnostics that cite it.
    #[serde(skip)]
    pub max_gap_span: Span,
    pub no_skip: bool,
    /// `None`: backward moves allowed; `Some(except)`: only the listed (from, to) moves.
    pub no_backward: Option<Vec<(StageId, StageId)>>,
    pub stages: Vec<Stage>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Stage {
    pub name: String,
    pub title: Option<String>,
    pub respond_within: Option<Delay>,
    /// the stage's own `max_gap`, overriding the pipeline's for deals in this stage
    pub max_gap_minutes: Option<u64>,
    #[serde(skip)]
    pub max_gap_span: Span,
    pub require: Vec<Cond>,
    pub exits: Vec<StageExit>,
    pub escalations: Vec<Escalation>,
    pub outcome: Option<StageOutcome>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct StageExit {
    pub target: StageId,
    pub when: Cond,
    pub label: Option<String>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Escalation {
    pub role: RoleId,
    pub when: Cond,
    pub task: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Builtin {
    Dwell,
    Idle,
    Age,
    Touches,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    /// The same comparison with its sides swapped (`a < b` is `b > a`).
    pub fn flipped(self) -> Cmp {
        match self {
            Cmp::Lt => Cmp::Gt,
            Cmp::Le => Cmp::Ge,
            Cmp::Gt => Cmp::Lt,
            Cmp::Ge => Cmp::Le,
            other => other,
        }
    }
}

/// A typed constant. Durations in minutes; business durations keep their unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "type", content = "value")]
pub enum Value {
    Number(f64),
    Percent(f64),
    Money { amount: f64, currency: String },
    Minutes(f64),
    BusinessDays(f64),
    BusinessMinutes(f64),
    Text(String),
    Bool(bool),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Operand {
    Fact(FactId),
    Builtin(Builtin),
    Value(Value),
}

/// A checked condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Cond {
    True,
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    /// a bool fact is true
    Fact(FactId),
    /// the event has happened
    Event(EventId),
    Compare {
        lhs: Operand,
        op: Cmp,
        rhs: Operand,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Call,
    Sms,
    Whatsapp,
    Linkedin,
    Meeting,
    Task,
}

impl Channel {
    pub const ALL: [(&'static str, Channel); 7] = [
        ("email", Channel::Email),
        ("call", Channel::Call),
        ("sms", Channel::Sms),
        ("whatsapp", Channel::Whatsapp),
        ("linkedin", Channel::Linkedin),
        ("meeting", Channel::Meeting),
        ("task", Channel::Task),
    ];

    pub fn name(self) -> &'static str {
        Channel::ALL
            .iter()
            .find(|(_, c)| *c == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }

    /// The closed set of outcomes of a touch on this channel, by name (the order of
    /// `outcome_table`, which every index into a channel's outcomes follows).
    pub fn outcomes(self) -> &'static [&'static str] {
        match self {
            Channel::Email => &EMAIL_NAMES,
            Channel::Call => &CALL_NAMES,
            Channel::Sms | Channel::Whatsapp => &MESSAGE_NAMES,
            Channel::Linkedin => &LINKEDIN_NAMES,
            Channel::Meeting => &MEETING_NAMES,
            Channel::Task => &TASK_NAMES,
        }
    }

    /// The one table of a channel's outcomes: what each is called, the cadence-wide event it
    /// raises and whether it is the lead engaging. The checker, the step graph, the simulator and
    /// the build targets all read it.
    pub fn outcome_table(self) -> &'static [Outcome] {
        match self {
            Channel::Email => &EMAIL,
            Channel::Call => &CALL,
            Channel::Sms | Channel::Whatsapp => &MESSAGE,
            Channel::Linkedin => &LINKEDIN,
            Channel::Meeting => &MEETING,
            Channel::Task => &TASK,
        }
    }

    /// The cadence-wide event an outcome of this channel raises, if any.
    pub fn raises(self, outcome: &str) -> Option<BuiltinTrigger> {
        self.outcome_table()
            .iter()
            .find(|o| o.name == outcome)
            .and_then(|o| o.raises)
    }

    /// Mutually exclusive outcomes of one touch whose shares must add up to at most 100%.
    pub fn exclusive_groups(self) -> &'static [&'static [&'static str]] {
        match self {
            Channel::Email => &[
                &["bounced", "unsubscribed", "replied"],
                &["delivered", "bounced"],
            ],
            Channel::Call => &[&["connected", "voicemail", "bad_number", "no_answer"]],
            Channel::Sms | Channel::Whatsapp => &[
                &["replied", "failed", "opted_out"],
                &["delivered", "failed"],
            ],
            Channel::Linkedin => &[],
            Channel::Meeting => &[&["held", "no_show", "cancelled"]],
            Channel::Task => &[&["completed", "skipped"]],
        }
    }

    /// Channels that send messages to the lead (and so must honour unsubscribe).
    pub fn is_message(self) -> bool {
        matches!(self, Channel::Email | Channel::Sms | Channel::Whatsapp)
    }
}

/// One outcome of a channel (a row of `Channel::outcome_table`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub name: &'static str,
    /// the cadence-wide event it raises (a cadence exit on it takes the outcome first)
    pub raises: Option<BuiltinTrigger>,
    /// the lead engaging: responsiveness and fatigue scale it
    pub engages: bool,
}

const fn o(name: &'static str, raises: Option<BuiltinTrigger>, engages: bool) -> Outcome {
    Outcome {
        name,
        raises,
        engages,
    }
}

use BuiltinTrigger as B;
const EMAIL: [Outcome; 6] = [
    o("delivered", None, false),
    o("opened", None, true),
    o("clicked", None, true),
    o("replied", Some(B::Reply), true),
    o("bounced", Some(B::Bounce), false),
    o("unsubscribed", Some(B::Unsubscribe), false),
];
const CALL: [Outcome; 4] = [
    o("connected", None, true),
    o("voicemail", None, false),
    o("no_answer", None, false),
    o("bad_number", None, false),
];
/// SMS and WhatsApp
const MESSAGE: [Outcome; 4] = [
    o("delivered", None, false),
    o("replied", Some(B::Reply), true),
    o("failed", None, false),
    o("opted_out", Some(B::Unsubscribe), false),
];
const LINKEDIN: [Outcome; 2] = [
    o("accepted", None, true),
    o("replied", Some(B::Reply), true),
];
/// the booking raises `meeting_booked`; the meeting's result comes later and raises nothing
const MEETING: [Outcome; 4] = [
    o("booked", Some(B::MeetingBooked), true),
    o("held", None, true),
    o("no_show", None, false),
    o("cancelled", None, false),
];
const TASK: [Outcome; 2] = [o("completed", None, false), o("skipped", None, false)];

const fn names<const N: usize>(t: &[Outcome; N]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = t[i].name;
        i += 1;
    }
    out
}
const EMAIL_NAMES: [&str; 6] = names(&EMAIL);
const CALL_NAMES: [&str; 4] = names(&CALL);
const MESSAGE_NAMES: [&str; 4] = names(&MESSAGE);
const LINKEDIN_NAMES: [&str; 2] = names(&LINKEDIN);
const MEETING_NAMES: [&str; 4] = names(&MEETING);
const TASK_NAMES: [&str; 2] = names(&TASK);

/// Cadence-wide events a cadence exit can listen for, besides the pipeline's events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BuiltinTrigger {
    Reply,
    Bounce,
    Unsubscribe,
    MeetingBooked,
    StageChange,
}

impl BuiltinTrigger {
    pub const ALL: [BuiltinTrigger; 5] = [
        B::Reply,
        B::Bounce,
        B::Unsubscribe,
        B::MeetingBooked,
        B::StageChange,
    ];

    pub fn name(self) -> &'static str {
        match self {
            B::Reply => "reply",
            B::Bounce => "bounce",
            B::Unsubscribe => "unsubscribe",
            B::MeetingBooked => "meeting_booked",
            B::StageChange => "stage_change",
        }
    }

    pub fn from_name(name: &str) -> Option<BuiltinTrigger> {
        BuiltinTrigger::ALL.into_iter().find(|t| t.name() == name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    Builtin(BuiltinTrigger),
    Event(EventId),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    Continue,
    Jump { step: StepId, bound: Option<u32> },
    Exit(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Task {
    pub title: String,
    pub assign: Option<RoleId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Effects {
    pub set: Vec<EventId>,
    pub stage: Option<StageId>,
    pub tasks: Vec<Task>,
    pub flow: Flow,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct CadenceExit {
    pub reason: String,
    pub trigger: Trigger,
    pub effects: Effects,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Variant {
    pub name: String,
    pub share: f64,
    pub template: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct OnRule {
    pub outcome: String,
    pub times: u32,
    pub within_minutes: Option<Delay>,
    pub effects: Effects,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    High,
    Medium,
    Low,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Step {
    pub name: String,
    pub track: TrackId,
    pub channel: Channel,
    pub title: Option<String>,
    pub template: Option<String>,
    pub timing: Timing,
    /// `during`: on a due date outside the window the step is skipped
    pub window: Option<DateWindow>,
    /// `skip when`: the step is skipped (no touch, counted) when this holds at its due time
    pub skip: Option<Cond>,
    pub assign: Option<RoleId>,
    pub priority: Option<Priority>,
    pub variants: Vec<Variant>,
    pub rules: Vec<OnRule>,
    pub otherwise: Option<Effects>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Track {
    /// `main` for the steps outside any `track`
    pub name: String,
    pub steps: Vec<StepId>,
}

/// A CRM a cadence can be built for (`target zoho, salesloft`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Crm {
    Zoho,
    Salesloft,
    Hubspot,
}

impl Crm {
    pub const ALL: [Crm; 3] = [Crm::Zoho, Crm::Salesloft, Crm::Hubspot];

    /// The name in a `target` line, on the command line and in the ids file.
    pub fn name(self) -> &'static str {
        match self {
            Crm::Zoho => "zoho",
            Crm::Salesloft => "salesloft",
            Crm::Hubspot => "hubspot",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Cadence {
    pub name: String,
    pub title: Option<String>,
    /// the CRMs the cadence is meant for (its `target` line, else the project's), sorted; empty
    /// for `target none`; `None` without a line: built for any CRM, checked for none
    pub crms: Option<Vec<Crm>>,
    pub pipeline: Option<PipelineId>,
    pub stage: Option<StageId>,
    pub calendar: Option<CalendarId>,
    pub enroll: Option<Cond>,
    /// `active`: the cadence runs only on these dates; it ends (`window_closed`) when they end
    pub window: Option<DateWindow>,
    /// with a window: a deal enrolled before it waits for it (else it is not enrolled)
    pub defer: bool,
    /// `hand_off to`: when this cadence runs out (exhausted, or its window closed, not an exit),
    /// the deal enrolls in that cadence at that instant if it is in that cadence's stage and
    /// matches its `enroll when`
    pub hand_off: Option<CadenceId>,
    pub exits: Vec<CadenceExit>,
    pub tracks: Vec<Track>,
    pub steps: Vec<Step>,
    #[serde(skip)]
    pub span: Span,
}

impl Cadence {
    /// Whether the cadence is meant to run in `crm` (no `target` line: in every CRM).
    pub fn meant_for(&self, crm: Crm) -> bool {
        self.crms.as_ref().is_none_or(|l| l.contains(&crm))
    }

    /// Whether some step can be passed over without a touch.
    pub fn has_skips(&self) -> bool {
        self.steps.iter().any(Step::can_skip)
    }
}

impl Step {
    /// A step that can be passed over without a touch (`skip when`, `during`).
    pub fn can_skip(&self) -> bool {
        self.skip.is_some() || self.window.is_some()
    }
}

/// Of the cadences `ids` that work one stage, those that enroll a deal entering it: all but the
/// ones another of them hands deals off to (those take a deal when the other runs out); when
/// hand-offs go round all of them, the first.
pub fn entry_cadences(model: &Model, ids: &[CadenceId]) -> Vec<CadenceId> {
    let targeted = |c: CadenceId| {
        ids.iter()
            .any(|&o| o != c && model.cadences.get(o).and_then(|x| x.hand_off) == Some(c))
    };
    let entry: Vec<CadenceId> = ids.iter().copied().filter(|&c| !targeted(c)).collect();
    if entry.is_empty() {
        ids.first().copied().into_iter().collect()
    } else {
        entry
    }
}

/// Local dates `from..=to` (in the zone of the cadence's calendar, UTC without one), written
/// `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct DateWindow {
    #[serde(with = "iso_date")]
    #[schemars(with = "String")]
    pub from: chrono::NaiveDate,
    #[serde(with = "iso_date")]
    #[schemars(with = "String")]
    pub to: chrono::NaiveDate,
}

impl DateWindow {
    pub fn contains(&self, d: chrono::NaiveDate) -> bool {
        self.from <= d && d <= self.to
    }

    /// `2026-10-01..2026-12-31`
    pub fn text(&self) -> String {
        format!("{}..{}", self.from, self.to)
    }
}

/// `NaiveDate` as `YYYY-MM-DD` in JSON.
mod iso_date {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &chrono::NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&d.format("%Y-%m-%d").to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<chrono::NaiveDate, D::Error> {
        let text = String::deserialize(d)?;
        chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(serde::de::Error::custom)
    }
}

/// A distribution as written, with parameters normalised (durations in minutes, money amounts,
/// percentages as fractions). The simulator samples from these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Dist {
    Const { value: Value },
    Bernoulli { p: f64 },
    Uniform { low: f64, high: f64 },
    Normal { mean: f64, sd: f64 },
    LogNormal { mu: f64, sigma: f64 },
    Gamma { mean: f64, shape: f64 },
    Exponential { mean: f64 },
    Weibull { scale: f64, shape: f64 },
    Beta { a: f64, b: f64 },
    Choice { options: Vec<(Value, f64)> },
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RespondTarget {
    Channel(Channel),
    Template(String),
    Step { cadence: CadenceId, step: StepId },
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct RespondBlock {
    pub target: RespondTarget,
    /// outcome name → probability (fraction)
    pub rates: Vec<(String, f64)>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Milestone {
    pub event: String,
    pub stage: String,
    pub probability: f64,
    pub delay_minutes: Dist,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq, JsonSchema)]
pub struct Population {
    pub facts: Vec<(String, Dist)>,
    pub respond: Vec<RespondBlock>,
    pub responsiveness: Option<Dist>,
    pub fatigue: Option<f64>,
    pub reply_after_minutes: Option<Dist>,
    pub open_after_minutes: Option<Dist>,
    pub meeting_after_minutes: Option<Dist>,
    pub milestones: Vec<Milestone>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Segment {
    pub name: String,
    pub share: f64,
    pub overrides: Population,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct LeadModel {
    pub name: String,
    pub title: Option<String>,
    pub count: Option<u64>,
    /// arrivals per day
    pub arrivals_per_day: Option<f64>,
    pub timezone: Option<String>,
    pub base: Population,
    pub segments: Vec<Segment>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Simulation {
    pub name: String,
    pub target: SimTarget,
    pub leads: usize,
    pub count: Option<u64>,
    /// local start as `YYYY-MM-DD HH:MM`
    pub start: Option<String>,
    pub horizon_minutes: Option<u64>,
    pub seed: Option<u64>,
}

/// What a simulation runs: one cadence from its stage, or a whole pipeline with its cadences.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SimTarget {
    Cadence(CadenceId),
    Pipeline {
        pipeline: PipelineId,
        /// where deals start (default: the first stage)
        stage: Option<StageId>,
        /// the cadences that work the pipeline in this simulation, in name order
        cadences: Vec<CadenceId>,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Test {
    pub name: String,
    /// one cadence from its stage, or a whole pipeline (from a stage) with every cadence that
    /// works it
    pub target: SimTarget,
    pub facts: Vec<(String, Value)>,
    pub enroll_at: Option<String>,
    pub events: Vec<TestEvent>,
    pub expectations: Vec<TestExpectation>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct TestEvent {
    pub what: TestWhat,
    pub at: TimeRef,
    #[serde(skip)]
    pub span: Span,
}

/// What a test's `when` makes happen.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TestWhat {
    /// `when STEP.OUTCOME`: the touch of a step gets an outcome
    Outcome {
        cadence: CadenceId,
        step: StepId,
        outcome: String,
    },
    /// `when EVENT`: a pipeline event or a built-in trigger (`reply`, `bounce`, ...)
    Event(String),
    /// `when FACT = VALUE`: a fact of the deal changes
    Fact { fact: String, value: Value },
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeRef {
    AfterEnrollMinutes(u64),
    At(String),
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct TestExpectation {
    pub what: Expect,
    /// the instant the expectation speaks of (default: the end of the run)
    pub at: Option<TimeRef>,
    #[serde(skip)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// a cadence ended with this reason
    Exit(String),
    Stage(StageId),
    Touches(u64),
    /// the steps touched, in order: (cadence, step)
    Path(Vec<(CadenceId, StepId)>),
    Escalation(RoleId),
}
