//! The spanned syntax tree: what the user wrote, in source order, nothing resolved.
//! Closed sets (channels, outcomes, weekdays, types) are still plain names here; the checker
//! validates them. Every line-level item carries its span so the formatter can re-attach comments.

use crate::source::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A dotted name: `bant.budget`, `welcome.replied`.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    pub text: String,
    pub span: Span,
}

impl Path {
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.text.split('.')
    }
}

/// A string literal, unescaped.
#[derive(Debug, Clone, PartialEq)]
pub struct Str {
    pub value: String,
    pub span: Span,
}

/// A line-level item with its span (comments attach to these).
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub node: T,
    pub span: Span,
}

// ───────────── literals ─────────────

/// `12`, `12.5`, `12_000`, `50k`, `1.2m`; `raw` keeps the spelling for the formatter.
#[derive(Debug, Clone, PartialEq)]
pub struct Number {
    pub value: f64,
    pub raw: String,
    pub span: Span,
}

/// A whole number (`seed`, `N times`).
#[derive(Debug, Clone, PartialEq)]
pub struct Integer {
    pub value: u64,
    pub raw: String,
    pub span: Span,
}

/// `3.4%`: `value` is in percent (3.4), not a fraction.
#[derive(Debug, Clone, PartialEq)]
pub struct Percent {
    pub value: f64,
    pub raw: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Money {
    pub amount: Number,
    pub currency: Ident,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationUnit {
    Minute,
    Hour,
    Day,
    Week,
    Month,
    BusinessDay,
    BusinessHour,
}

impl DurationUnit {
    pub fn is_business(self) -> bool {
        matches!(self, DurationUnit::BusinessDay | DurationUnit::BusinessHour)
    }
}

/// `30min 4h 2d 1w 3mo`, `2 business days`, `4 business hours`.
#[derive(Debug, Clone, PartialEq)]
pub struct Duration {
    pub amount: f64,
    /// the number as written (`1.5`, `2`)
    pub raw: String,
    pub unit: DurationUnit,
    pub span: Span,
}

/// `09:00` (24:00 allowed as a range end).
#[derive(Debug, Clone, PartialEq)]
pub struct Clock {
    pub hour: u32,
    pub minute: u32,
    pub span: Span,
}

/// `2026-10-01`, kept as text; the checker validates it.
#[derive(Debug, Clone, PartialEq)]
pub struct Date {
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DateTime {
    pub date: Date,
    pub clock: Clock,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Number(Number),
    Percent(Percent),
    Money(Money),
    Duration(Duration),
    String(Str),
    Bool(bool, Span),
}

impl Literal {
    pub fn span(&self) -> Span {
        match self {
            Literal::Number(n) => n.span,
            Literal::Percent(p) => p.span,
            Literal::Money(m) => m.span,
            Literal::Duration(d) => d.span,
            Literal::String(s) => s.span,
            Literal::Bool(_, s) => *s,
        }
    }
}

// ───────────── files ─────────────

#[derive(Debug, Clone, PartialEq)]
pub struct File {
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Calendar(CalendarDecl),
    Pipeline(PipelineDecl),
    Cadence(CadenceDecl),
    Leads(LeadsDecl),
    Simulation(SimulationDecl),
    Test(TestDecl),
    /// `target zoho, salesloft`: the CRMs every cadence of the project is meant for
    Targets(Targets),
}

/// `target NAME, ...` (`target none`): the CRMs a cadence is meant to run in.
#[derive(Debug, Clone, PartialEq)]
pub struct Targets {
    pub names: Vec<Ident>,
    pub span: Span,
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Calendar(d) => d.span,
            Item::Pipeline(d) => d.span,
            Item::Cadence(d) => d.span,
            Item::Leads(d) => d.span,
            Item::Simulation(d) => d.span,
            Item::Test(d) => d.span,
            Item::Targets(d) => d.span,
        }
    }
}

// ───────────── calendar ─────────────

#[derive(Debug, Clone, PartialEq)]
pub struct CalendarDecl {
    pub name: Ident,
    pub items: Vec<Spanned<CalendarItem>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CalendarItem {
    Timezone(Str),
    Workdays(Vec<DayRange>),
    Hours(Vec<ClockRange>),
    Holidays(Vec<DateRange>),
    MakeupWorkdays(Vec<DateRange>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct DayRange {
    pub from: Ident,
    pub to: Option<Ident>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClockRange {
    pub from: Clock,
    pub to: Clock,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DateRange {
    pub from: Date,
    pub to: Option<Date>,
    pub span: Span,
}

// ───────────── pipeline ─────────────

#[derive(Debug, Clone, PartialEq)]
pub struct PipelineDecl {
    pub name: Ident,
    pub items: Vec<Spanned<PipelineItem>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PipelineItem {
    Title(Str),
    Calendar(Ident),
    Facts(Vec<FactDecl>),
    Events(Vec<Ident>),
    Roles(Vec<Ident>),
    MaxGap(Duration),
    NoSkip,
    NoBackward(Vec<Transition>),
    Stage(StageDecl),
}

#[derive(Debug, Clone, PartialEq)]
pub struct FactDecl {
    pub path: Path,
    pub ty: Ident,
    pub field: Option<Str>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub from: Ident,
    pub to: Ident,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StageDecl {
    pub name: Ident,
    pub title: Option<Str>,
    pub items: Vec<Spanned<StageItem>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StageItem {
    RespondWithin(Duration),
    /// the stage's own `max_gap`, overriding the pipeline's
    MaxGap(Duration),
    Require(Vec<Path>),
    Exit(ExitRule),
    Escalate(Escalation),
    Outcome(Ident),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExitRule {
    pub target: Ident,
    pub when: Expr,
    pub label: Option<Str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Escalation {
    pub role: Ident,
    pub when: Expr,
    pub task: Option<Str>,
}

// ───────────── conditions ─────────────

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    Compare {
        lhs: Box<Expr>,
        op: CmpOp,
        rhs: Box<Expr>,
    },
    Path(Path),
    Literal(Literal),
}

// ───────────── cadence ─────────────

#[derive(Debug, Clone, PartialEq)]
pub struct CadenceDecl {
    pub name: Ident,
    pub items: Vec<Spanned<CadenceItem>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CadenceItem {
    Title(Str),
    /// `target ...`: the CRMs this cadence is meant for (instead of the project's line)
    Targets(Targets),
    Works {
        pipeline: Ident,
        stage: Option<Ident>,
    },
    Calendar(Ident),
    Enroll(Expr),
    /// `active DATE..DATE [defer]`: the cadence runs only on these dates; `defer` makes a deal
    /// enrolled before the window wait for it (otherwise it is not enrolled)
    Active {
        dates: DateRange,
        defer: bool,
    },
    /// `hand_off to CADENCE`: when this cadence runs out, the deal enrolls there
    HandOff(Ident),
    Exit(CadenceExit),
    Step(Step),
    Track(Track),
}

#[derive(Debug, Clone, PartialEq)]
pub struct CadenceExit {
    pub reason: Ident,
    pub event: Ident,
    pub effects: Vec<Effect>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    pub name: Ident,
    pub steps: Vec<Step>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub name: Ident,
    pub channel: Ident,
    pub title: Option<Str>,
    pub attrs: Vec<Spanned<StepAttr>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StepAttr {
    Template(Str),
    Timing(Timing),
    Assign(Ident),
    Priority(Ident),
    /// `during DATE..DATE`: outside these dates the step is skipped
    During(DateRange),
    /// `skip when CONDITION`: the step is skipped (and counted) when the condition holds
    Skip(Expr),
    Variant(Variant),
    On(OnRule),
    Otherwise(Vec<Effect>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Timing {
    Immediately,
    After {
        delay: Duration,
        at: Option<Clock>,
    },
    At(Clock),
    /// `[after D] on tue, fri at 10:00`: the next listed weekday at that clock time
    Anchor {
        delay: Option<Duration>,
        days: Vec<DayRange>,
        at: Clock,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub name: Ident,
    pub share: Percent,
    pub template: Option<Str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OnRule {
    pub outcome: Ident,
    pub times: Option<Integer>,
    pub within: Option<Duration>,
    pub effects: Vec<Effect>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Effect {
    pub kind: EffectKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EffectKind {
    Set(Ident),
    Stage(Ident),
    Task {
        title: Str,
        assign: Option<Ident>,
    },
    Exit(Ident),
    Continue,
    Jump {
        target: Ident,
        bound: Option<Integer>,
    },
}

// ───────────── leads ─────────────

#[derive(Debug, Clone, PartialEq)]
pub struct LeadsDecl {
    pub name: Ident,
    pub items: Vec<Spanned<LeadsItem>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LeadsItem {
    Title(Str),
    Count(Number),
    Arrivals {
        rate: Number,
        per: Ident,
    },
    Timezone(Str),
    Fact {
        path: Path,
        dist: Distribution,
    },
    Segment(Segment),
    Respond {
        target: RespondTarget,
        rates: Vec<Rate>,
    },
    Responsiveness(Distribution),
    Fatigue(Number),
    ReplyAfter(Distribution),
    /// when a delivered email is first opened, after the send
    OpenAfter(Distribution),
    /// when a booked meeting takes place, after the booking touch
    MeetingAfter(Distribution),
    Milestone {
        event: Ident,
        stage: Ident,
        share: Percent,
        delay: Distribution,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub name: Ident,
    pub share: Percent,
    pub items: Vec<Spanned<LeadsItem>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RespondTarget {
    Channel(Ident),
    Template(Str),
    Step(Path),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rate {
    pub outcome: Ident,
    pub share: Percent,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Distribution {
    Literal(Literal),
    Call {
        name: Ident,
        args: Vec<DistArg>,
        span: Span,
    },
}

impl Distribution {
    pub fn span(&self) -> Span {
        match self {
            Distribution::Literal(l) => l.span(),
            Distribution::Call { span, .. } => *span,
        }
    }
}

/// `median 80k CNY`, `"a" 30%`, `4`.
#[derive(Debug, Clone, PartialEq)]
pub struct DistArg {
    pub name: Option<Ident>,
    pub value: Literal,
    pub weight: Option<Percent>,
    pub span: Span,
}

// ───────────── simulation and test ─────────────

#[derive(Debug, Clone, PartialEq)]
pub struct SimulationDecl {
    pub name: Ident,
    pub items: Vec<Spanned<SimulationItem>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SimulationItem {
    Cadence(Ident),
    /// `pipeline NAME [stage NAME]`: the whole pipeline, from a stage
    Pipeline(Ident, Option<Ident>),
    /// `cadences A, B`: the cadences that work the pipeline (default: all that name it)
    Cadences(Vec<Ident>),
    Leads(Ident),
    Count(Number),
    Start(DateTime),
    Horizon(Duration),
    Seed(Integer),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TestDecl {
    pub name: Str,
    pub items: Vec<Spanned<TestItem>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TestItem {
    Cadence(Ident),
    /// `pipeline NAME [stage NAME]`: the whole pipeline with every cadence that works it
    Pipeline(Ident, Option<Ident>),
    Lead(Vec<FactValue>),
    Enroll(DateTime),
    /// `when STEP.OUTCOME at T`, `when EVENT at T`, `when FACT = VALUE at T`
    When {
        what: Path,
        value: Option<Literal>,
        at: TimePoint,
    },
    Expect(Expectation),
}

#[derive(Debug, Clone, PartialEq)]
pub struct FactValue {
    pub path: Path,
    pub value: Literal,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TimePoint {
    /// `+3h`: after enrollment
    Relative(Duration),
    Absolute(DateTime),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expectation {
    Exit {
        reason: Ident,
        at: Option<TimePoint>,
    },
    Stage {
        stage: Ident,
        at: Option<TimePoint>,
    },
    Touches {
        count: Integer,
        at: Option<TimePoint>,
    },
    /// steps, each `STEP` or `CADENCE.STEP`
    Path {
        steps: Vec<Path>,
        at: Option<TimePoint>,
    },
    Escalation {
        role: Ident,
        at: Option<TimePoint>,
    },
}
