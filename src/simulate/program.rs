//! A simulation program: the checked model compiled for one (cadence, lead model) pair, with
//! names resolved to indices, outcome rates resolved per (segment, step, variant), text interned
//! and conditions turned into flat numeric comparisons. Built once, read by every lead.

use std::collections::HashMap;

use crate::calendar::{Calendar, Delay, Timing};
use crate::model::graph::StepGraph;
use crate::model::{
    Builtin, Cadence, Channel, Cmp, Cond, Dist, Effects, FactType, Flow, LeadModel, Model, Operand,
    Pipeline, Population, RespondTarget, Trigger, Value,
};

use super::random::site;

/// What an outcome means beyond its step: the cadence-wide event it raises, and whether the
/// lead's responsiveness and fatigue scale it (the lead engaging).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Reply,
    Bounce,
    Unsubscribe,
    /// a meeting booked: raises `meeting_booked` at the touch
    Booked,
    /// engaging, but raises no cadence-wide event (opened, clicked, connected, accepted, held)
    Engaged,
    Other,
}

/// Per channel, the kind of each outcome (indices follow `Channel::outcomes()`); a table, so
/// the per-touch path compares no strings.
pub fn kinds(ch: Channel) -> [Kind; 6] {
    let mut out = [Kind::Other; 6];
    for (i, o) in ch.outcomes().iter().enumerate() {
        out[i] = match *o {
            "replied" => Kind::Reply,
            "bounced" => Kind::Bounce,
            "unsubscribed" | "opted_out" => Kind::Unsubscribe,
            "booked" => Kind::Booked,
            "opened" | "clicked" | "connected" | "accepted" | "held" => Kind::Engaged,
            _ => Kind::Other,
        };
    }
    out
}

/// Outcome index by name within a channel.
pub fn outcome_index(ch: Channel, name: &str) -> Option<usize> {
    ch.outcomes().iter().position(|o| *o == name)
}

/// Cadence end reasons every program has, at these indices; exits' own reasons follow.
pub const BUILTIN_REASONS: [&str; 3] = ["exhausted", "stage_changed", "active"];
pub const EXHAUSTED: usize = 0;
pub const STAGE_CHANGED: usize = 1;
pub const ACTIVE: usize = 2;

/// A condition compiled to numbers.
#[derive(Debug, Clone)]
pub enum CCond {
    True,
    And(Vec<CCond>),
    Or(Vec<CCond>),
    Not(Box<CCond>),
    Fact(usize),
    Event(usize),
    Cmp {
        lhs: COperand,
        op: Cmp,
        rhs: COperand,
    },
}

#[derive(Debug, Clone, Copy)]
pub enum COperand {
    Fact(usize),
    Builtin(Builtin),
    Num(f64),
    /// a business duration: compared with timers through the calendar
    BusinessDays(u32),
    BusinessMinutes(u64),
}

pub struct StageExitP {
    pub target: usize,
    pub when: CCond,
    pub text: String,
    /// the text of each conjunct of `when` (the gate report names the one that held deals back),
    /// and whether it is only a time limit (`dwell > 60d`), which the gate report skips
    pub parts: Vec<(String, bool)>,
}

pub struct EscalationP {
    pub role: usize,
    pub when: CCond,
    pub task: bool,
}

pub struct StageP {
    pub name: String,
    pub site: u64,
    pub terminal: Option<bool>, // Some(true) won, Some(false) lost
    pub require: Vec<CCond>,
    pub exits: Vec<StageExitP>,
    pub escalations: Vec<EscalationP>,
    /// some condition of the stage reads `touches` or `idle`, so a touch can change its gates
    pub uses_activity: bool,
}

/// Whether a condition reads `touches` or `idle` (values a touch changes).
fn reads_activity(c: &CCond) -> bool {
    match c {
        CCond::And(v) | CCond::Or(v) => v.iter().any(reads_activity),
        CCond::Not(x) => reads_activity(x),
        CCond::Cmp { lhs, rhs, .. } => [lhs, rhs]
            .iter()
            .any(|o| matches!(o, COperand::Builtin(Builtin::Touches | Builtin::Idle))),
        _ => false,
    }
}

pub struct RuleP {
    pub outcome: usize,
    pub times: u32,
    pub within: Option<Delay>,
    pub effects: Effects,
}

pub struct StepP {
    pub name: String,
    pub site: u64,
    pub channel: Channel,
    pub kinds: [Kind; 6],
    pub timing: Timing,
    pub next_in_track: Option<usize>,
    pub rules: Vec<RuleP>,
    pub otherwise: Option<Effects>,
    /// variant shares (cumulative) and their indices; empty when the step has no variants
    pub variant_cum: Vec<f64>,
    /// `skip when`: passed over (and counted) when this holds at the due time
    pub skip: Option<CCond>,
    /// `during`: passed over when due outside [start, end) (minutes since the epoch)
    pub window: Option<(f64, f64)>,
}

impl StepP {
    /// Whether the step can be passed over without a touch.
    pub fn can_skip(&self) -> bool {
        self.skip.is_some() || self.window.is_some()
    }
}

/// Outcome probabilities for one (segment, step, variant), indexed like `Channel::outcomes()`.
pub type Rates = [f64; 6];

pub struct MilestoneP {
    pub event: usize,
    pub stage: usize,
    pub site: u64,
    pub p: f64,
    pub delay: Dist,
}

pub struct PopulationP {
    /// per pipeline fact: the distribution (None: not drawn, stays 0)
    pub facts: Vec<Option<Dist>>,
    pub responsiveness: Option<Dist>,
    pub fatigue: f64,
    pub reply_after: Option<Dist>,
    pub open_after: Option<Dist>,
    pub meeting_after: Option<Dist>,
    pub milestones: Vec<MilestoneP>,
    /// rates[step][variant or 0]
    pub rates: Vec<Vec<Rates>>,
    /// gains[step][variant or 0][outcome]: what a lead's responsiveness is multiplied by for
    /// that rate, so that the population's average at the first touch is the stated rate
    pub gains: Vec<Vec<Rates>>,
}

/// Draws of the responsiveness distribution, sorted, with prefix sums: E[min(a r, cap)] in
/// O(log n) for the calibration of each rate.
struct Spread {
    sorted: Vec<f64>,
    prefix: Vec<f64>,
}

/// Draws per calibration: the calibrated average is within about 0.1% of the stated rate.
const SPREAD_DRAWS: u64 = 1 << 15;

impl Spread {
    fn of(d: &Dist) -> Spread {
        let mut sorted: Vec<f64> = (0..SPREAD_DRAWS)
            .map(|j| {
                super::random::LeadRng::new(0x5EED_CA1B, j)
                    .sample(d, 0, super::random::Purpose::Responsiveness)
                    .max(0.0)
            })
            .filter(|x| x.is_finite())
            .collect();
        sorted.sort_by(f64::total_cmp);
        let mut prefix = Vec::with_capacity(sorted.len() + 1);
        prefix.push(0.0);
        for x in &sorted {
            prefix.push(prefix.last().copied().unwrap_or(0.0) + x);
        }
        Spread { sorted, prefix }
    }

    /// The average of min(a · r, cap) over the draws.
    fn capped_mean(&self, a: f64, cap: f64) -> f64 {
        let n = self.sorted.len();
        if n == 0 || a <= 0.0 {
            return 0.0;
        }
        let k = self.sorted.partition_point(|r| a * r < cap);
        (a * self.prefix[k] + cap * (n - k) as f64) / n as f64
    }

    /// The gain g with average min(g · p · r, cap) = p (the largest useful one when no gain
    /// reaches p: the rate is then as high as the spread allows).
    fn gain(&self, p: f64, cap: f64) -> f64 {
        if p <= 0.0 || cap <= 0.0 {
            return 1.0;
        }
        let (mut lo, mut hi) = (0.0, 1.0);
        while self.capped_mean(hi * p, cap) < p && hi < 1e9 {
            hi *= 2.0;
        }
        for _ in 0..80 {
            let mid = 0.5 * (lo + hi);
            if self.capped_mean(mid * p, cap) < p {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        hi
    }
}

/// For each outcome a lead's responsiveness scales, the most its per-lead share can be (what
/// the outcome engine in `outcomes.rs` caps it at).
fn scaled_caps(ch: Channel, r: &Rates) -> [Option<f64>; 6] {
    let mut caps = [None; 6];
    match ch {
        Channel::Email => {
            caps[3] = Some((r[0] - r[5]).min(1.0 - r[4] - r[5]).max(0.0));
            caps[1] = Some(r[0]);
            caps[2] = Some(r[0]);
        }
        Channel::Sms | Channel::Whatsapp => {
            caps[1] = Some((r[0] - r[3]).min(1.0 - r[2] - r[3]).max(0.0));
        }
        Channel::Call => caps[0] = Some((1.0 - r[3]).max(0.0)),
        Channel::Linkedin => {
            caps[1] = Some(1.0);
            caps[0] = Some(1.0);
        }
        Channel::Meeting => caps[1] = Some(r[1] + r[2]),
        Channel::Task => {}
    }
    caps
}

pub struct Program {
    pub cadence_name: String,
    pub steps: Vec<StepP>,
    pub entry: Option<usize>,
    /// the step graph (successor table): every way control can leave each step
    pub graph: StepGraph,
    pub stages: Vec<StageP>,
    pub start_stage: usize,
    pub cadence_stage: Option<usize>,
    pub events: Vec<String>,
    pub roles: Vec<String>,
    pub fact_names: Vec<String>,
    pub fact_sites: Vec<u64>,
    pub texts: Vec<String>,
    pub enroll: CCond,
    pub exits: Vec<(String, Trigger, Effects)>,
    /// the cadence exit listening for each built-in trigger (see `BUILTIN_TRIGGERS`)
    pub builtin_exit: [Option<usize>; 5],
    /// the cadence exit listening for each pipeline event
    pub event_exit: Vec<Option<usize>>,
    pub reasons: Vec<String>,
    pub calendar: Option<Calendar>,
    pub calendar_name: Option<String>,
    /// segment shares (cumulative); population 0 is the base, i + 1 is segment i
    pub segment_cum: Vec<f64>,
    pub segment_names: Vec<String>,
    pub populations: Vec<PopulationP>,
    pub arrivals_per_day: Option<f64>,
    /// the leads' time zone: they open and reply only in waking hours there
    pub lead_tz: Option<chrono_tz::Tz>,
    /// events set at enrollment: what the exits into the starting stage require
    pub assumed_events: Vec<usize>,
    /// `active`: the cadence runs in [start, end) (minutes since the epoch) and ends with
    /// `window_closed` at the end
    pub window: Option<(f64, f64)>,
    /// with `window`: a deal enrolled before it waits for it (else it is not enrolled)
    pub defer: bool,
}

/// The end reason of a cadence whose `active` dates are over.
pub const WINDOW_CLOSED: &str = "window_closed";

impl Program {
    pub fn reason_id(&self, name: &str) -> usize {
        self.reasons.iter().position(|r| r == name).unwrap_or(0)
    }
}

struct Interner {
    texts: Vec<String>,
    ids: HashMap<String, usize>,
}

impl Interner {
    fn id(&mut self, s: &str) -> f64 {
        if let Some(i) = self.ids.get(s) {
            return *i as f64;
        }
        self.texts.push(s.to_string());
        self.ids.insert(s.to_string(), self.texts.len() - 1);
        (self.texts.len() - 1) as f64
    }
}

fn value_num(v: &Value, interner: &mut Interner) -> COperand {
    match v {
        Value::Number(x) | Value::Percent(x) | Value::Minutes(x) => COperand::Num(*x),
        Value::Money { amount, .. } => COperand::Num(*amount),
        Value::BusinessDays(d) => COperand::BusinessDays(d.round() as u32),
        Value::BusinessMinutes(m) => COperand::BusinessMinutes(m.round() as u64),
        Value::Text(s) => COperand::Num(interner.id(s)),
        Value::Bool(b) => COperand::Num(f64::from(u8::from(*b))),
    }
}

fn compile_cond(c: &Cond, interner: &mut Interner) -> CCond {
    match c {
        Cond::True => CCond::True,
        Cond::And(v) => CCond::And(v.iter().map(|x| compile_cond(x, interner)).collect()),
        Cond::Or(v) => CCond::Or(v.iter().map(|x| compile_cond(x, interner)).collect()),
        Cond::Not(x) => CCond::Not(Box::new(compile_cond(x, interner))),
        Cond::Fact(f) => CCond::Fact(*f),
        Cond::Event(e) => CCond::Event(*e),
        Cond::Compare { lhs, op, rhs } => {
            let conv = |o: &Operand, i: &mut Interner| match o {
                Operand::Fact(f) => COperand::Fact(*f),
                Operand::Builtin(b) => COperand::Builtin(*b),
                Operand::Value(v) => value_num(v, i),
            };
            // `30d < dwell` is `dwell > 30d`: the timer on the left, so the engine can schedule it
            let (lhs, op, rhs) = match (lhs, rhs) {
                (Operand::Value(_) | Operand::Fact(_), Operand::Builtin(_)) => {
                    (rhs, op.flipped(), lhs)
                }
                _ => (lhs, *op, rhs),
            };
            CCond::Cmp {
                lhs: conv(lhs, interner),
                op,
                rhs: conv(rhs, interner),
            }
        }
    }
}

/// Outcome shares (NaN: not stated) with the documented defaults: `delivered` is what bounces
/// (SMS: failures) leave, an unstated `opened` is the replies (a reply counts as an open), a
/// meeting's unstated `booked` is what is held, missed or cancelled (each of those was booked),
/// a task's unstated `completed` is what skips leave. Other unstated outcomes are 0.
fn resolve_defaults(ch: Channel, r: Rates) -> Rates {
    let stated = |i: usize| (!r[i].is_nan()).then_some(r[i]);
    let mut out = r.map(|x| if x.is_nan() { 0.0 } else { x });
    match ch {
        Channel::Email => {
            out[0] = stated(0).unwrap_or(1.0 - out[4]);
            out[1] = stated(1).unwrap_or(out[3]);
        }
        Channel::Sms | Channel::Whatsapp => out[0] = stated(0).unwrap_or(1.0 - out[2]),
        Channel::Meeting => out[0] = stated(0).unwrap_or((out[1] + out[2] + out[3]).min(1.0)),
        Channel::Task => out[0] = stated(0).unwrap_or(1.0 - out[1]),
        Channel::Call | Channel::Linkedin => {}
    }
    out
}

/// The events a deal in `stage` is assumed to have: those that every way into it requires
/// (an event conjunct of the exit's condition or of the source stage's `require`), carried
/// from stage to stage from the first one (a greatest fixed point, so loops are fine).
pub fn assumed_events(p: &Pipeline, stage: usize) -> Vec<usize> {
    let n = p.stages.len();
    let all: Vec<usize> = (0..p.events.len()).collect();
    let mut assumed: Vec<Vec<usize>> = (0..n)
        .map(|i| if i == 0 { Vec::new() } else { all.clone() })
        .collect();
    for _ in 0..n + 1 {
        let mut changed = false;
        for target in 1..n {
            let mut acc: Option<Vec<usize>> = None;
            for (from, st) in p.stages.iter().enumerate() {
                if from == target || st.outcome.is_some() {
                    continue;
                }
                for e in st.exits.iter().filter(|e| e.target == target) {
                    let mut have = required_events(&e.when);
                    for c in &st.require {
                        have.extend(required_events(c));
                    }
                    have.extend(assumed[from].iter().copied());
                    acc = Some(match acc {
                        None => have,
                        Some(prev) => prev.into_iter().filter(|x| have.contains(x)).collect(),
                    });
                }
            }
            let mut next = acc.unwrap_or_default();
            next.sort_unstable();
            next.dedup();
            if next != assumed[target] {
                assumed[target] = next;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    assumed.get(stage).cloned().unwrap_or_default()
}

/// Events that must have happened for a condition to hold.
fn required_events(c: &Cond) -> Vec<usize> {
    match c {
        Cond::Event(e) => vec![*e],
        Cond::And(v) => v.iter().flat_map(required_events).collect(),
        Cond::Or(v) => {
            let mut sets = v.iter().map(required_events);
            let first = sets.next().unwrap_or_default();
            sets.fold(first, |acc, s| {
                acc.into_iter().filter(|x| s.contains(x)).collect()
            })
        }
        _ => Vec::new(),
    }
}

/// Render a condition back to text (for "which gate held deals back").
pub fn cond_text(c: &Cond, p: &Pipeline) -> String {
    let operand = |o: &Operand| match o {
        Operand::Fact(f) => p.facts.get(*f).map(|x| x.path.clone()).unwrap_or_default(),
        Operand::Builtin(b) => format!("{b:?}").to_lowercase(),
        Operand::Value(v) => match v {
            Value::Number(x) => format!("{x}"),
            Value::Percent(x) => format!("{}%", x * 100.0),
            Value::Money { amount, currency } => format!("{amount} {currency}"),
            Value::Minutes(m) => super::report::duration_text(*m),
            Value::BusinessDays(d) => format!("{d} business days"),
            Value::BusinessMinutes(m) => format!("{} business hours", m / 60.0),
            Value::Text(s) => format!("{s:?}"),
            Value::Bool(b) => format!("{b}"),
        },
    };
    match c {
        Cond::True => "true".into(),
        Cond::And(v) => v
            .iter()
            .map(|x| cond_text(x, p))
            .collect::<Vec<_>>()
            .join(" and "),
        Cond::Or(v) => format!(
            "({})",
            v.iter()
                .map(|x| cond_text(x, p))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
        Cond::Not(x) => format!("not {}", cond_text(x, p)),
        Cond::Fact(f) => p.facts.get(*f).map(|x| x.path.clone()).unwrap_or_default(),
        Cond::Event(e) => p.events.get(*e).cloned().unwrap_or_default(),
        Cond::Compare { lhs, op, rhs } => {
            let op = match op {
                Cmp::Eq => "==",
                Cmp::Ne => "!=",
                Cmp::Lt => "<",
                Cmp::Le => "<=",
                Cmp::Gt => ">",
                Cmp::Ge => ">=",
            };
            format!("{} {op} {}", operand(lhs), operand(rhs))
        }
    }
}

/// A comparison of `dwell`, `idle` or `age` with a constant: a time limit, not a gate.
fn is_timer(c: &Cond) -> bool {
    let timer = |o: &Operand| {
        matches!(
            o,
            Operand::Builtin(Builtin::Dwell | Builtin::Idle | Builtin::Age)
        )
    };
    matches!(c, Cond::Compare { lhs, rhs, .. } if timer(lhs) || timer(rhs))
}

/// The conjuncts of a condition, for the gate report.
pub fn conjuncts(c: &Cond) -> Vec<&Cond> {
    match c {
        Cond::And(v) => v.iter().flat_map(conjuncts).collect(),
        other => vec![other],
    }
}

/// Why a program cannot be built (the model is checked, so these are rare).
#[derive(Debug)]
pub struct ProgramError(pub String);

pub fn compile(model: &Model, cadence_id: usize, leads_id: usize) -> Result<Program, ProgramError> {
    let cad: &Cadence = model
        .cadences
        .get(cadence_id)
        .ok_or_else(|| ProgramError("no such cadence".into()))?;
    let leads: &LeadModel = model
        .leads
        .get(leads_id)
        .ok_or_else(|| ProgramError("no such lead model".into()))?;
    let empty = Pipeline {
        name: String::new(),
        title: None,
        calendar: None,
        facts: Vec::new(),
        events: Vec::new(),
        roles: vec!["owner".into()],
        max_gap_minutes: None,
        max_gap_span: Default::default(),
        no_skip: false,
        no_backward: None,
        stages: Vec::new(),
        span: Default::default(),
    };
    let pipeline = cad
        .pipeline
        .and_then(|i| model.pipelines.get(i))
        .unwrap_or(&empty);
    let mut interner = Interner {
        texts: Vec::new(),
        ids: HashMap::new(),
    };
    let mut stages: Vec<StageP> = pipeline
        .stages
        .iter()
        .map(|s| StageP {
            name: s.name.clone(),
            site: site(&format!("stage:{}", s.name)),
            terminal: s.outcome.map(|o| o == crate::model::StageOutcome::Won),
            require: s
                .require
                .iter()
                .map(|c| compile_cond(c, &mut interner))
                .collect(),
            exits: s
                .exits
                .iter()
                .map(|e| StageExitP {
                    target: e.target,
                    when: compile_cond(&e.when, &mut interner),
                    text: cond_text(&e.when, pipeline),
                    parts: conjuncts(&e.when)
                        .iter()
                        .map(|c| (cond_text(c, pipeline), is_timer(c)))
                        .collect(),
                })
                .collect(),
            escalations: s
                .escalations
                .iter()
                .map(|e| EscalationP {
                    role: e.role,
                    when: compile_cond(&e.when, &mut interner),
                    task: e.task.is_some(),
                })
                .collect(),
            uses_activity: false,
        })
        .collect();
    for st in &mut stages {
        st.uses_activity = st.exits.iter().any(|e| reads_activity(&e.when))
            || st.escalations.iter().any(|e| reads_activity(&e.when))
            || st.require.iter().any(reads_activity);
    }
    if stages.is_empty() {
        // a cadence without a pipeline still runs: one open stage that nothing leaves
        stages.push(StageP {
            name: "open".into(),
            site: site("stage:open"),
            terminal: None,
            require: Vec::new(),
            exits: Vec::new(),
            escalations: Vec::new(),
            uses_activity: false,
        });
    }
    let calendar_id = cad.calendar.or(pipeline.calendar);
    let calendar = calendar_id.and_then(|i| model.calendars.get(i));
    let calendar_engine = calendar.map(|c| &c.engine);
    // successors come from the one step graph the checker proves things about
    let graph = StepGraph::new(cad);
    let mut steps: Vec<StepP> = Vec::new();
    for (si, s) in cad.steps.iter().enumerate() {
        let next_in_track = graph.next_in_track.get(si).copied().flatten();
        let mut cum = 0.0;
        let variant_cum = s
            .variants
            .iter()
            .map(|v| {
                cum += v.share;
                cum
            })
            .collect();
        steps.push(StepP {
            name: s.name.clone(),
            site: site(&format!("step:{}", s.name)),
            channel: s.channel,
            kinds: kinds(s.channel),
            timing: s.timing,
            next_in_track,
            rules: s
                .rules
                .iter()
                .filter_map(|r| {
                    Some(RuleP {
                        outcome: outcome_index(s.channel, &r.outcome)?,
                        times: r.times.max(1),
                        within: r.within_minutes,
                        effects: r.effects.clone(),
                    })
                })
                .collect(),
            otherwise: s.otherwise.clone(),
            variant_cum,
            skip: s.skip.as_ref().map(|c| compile_cond(c, &mut interner)),
            window: s
                .window
                .map(|w| super::clock::window_instants(calendar_engine, w)),
        });
    }
    let entry = graph.entry;
    // populations: base, then one per segment (segment items override the base)
    let fact_names: Vec<String> = pipeline.facts.iter().map(|f| f.path.clone()).collect();
    let mut populations = Vec::new();
    let base = population(cadence_id, &leads.base, None, pipeline, cad, &mut interner);
    populations.push(base);
    let mut segment_cum = Vec::new();
    let mut acc = 0.0;
    for seg in &leads.segments {
        acc += seg.share;
        segment_cum.push(acc);
        populations.push(population(
            cadence_id,
            &leads.base,
            Some(&seg.overrides),
            pipeline,
            cad,
            &mut interner,
        ));
    }
    let enroll = cad
        .enroll
        .as_ref()
        .map(|c| compile_cond(c, &mut interner))
        .unwrap_or(CCond::True);
    let mut reasons: Vec<String> = BUILTIN_REASONS.iter().map(|r| r.to_string()).collect();
    for e in &cad.exits {
        if !reasons.contains(&e.reason) {
            reasons.push(e.reason.clone());
        }
    }
    for s in &cad.steps {
        for e in s.rules.iter().map(|r| &r.effects).chain(s.otherwise.iter()) {
            if let Flow::Exit(r) = &e.flow {
                if !reasons.contains(r) {
                    reasons.push(r.clone());
                }
            }
        }
    }
    if cad.window.is_some() {
        reasons.push(WINDOW_CLOSED.to_string());
    }
    let start_stage = cad.stage.unwrap_or(0);
    Ok(Program {
        cadence_name: cad.name.clone(),
        steps,
        entry,
        graph,
        stages,
        start_stage,
        cadence_stage: cad.stage,
        events: pipeline.events.clone(),
        roles: pipeline.roles.clone(),
        fact_sites: fact_names
            .iter()
            .map(|f| site(&format!("fact:{f}")))
            .collect(),
        fact_names,
        texts: interner.texts,
        enroll,
        exits: cad
            .exits
            .iter()
            .map(|e| (e.reason.clone(), e.trigger.clone(), e.effects.clone()))
            .collect(),
        builtin_exit: std::array::from_fn(|i| {
            cad.exits.iter().position(|e| {
                e.trigger == Trigger::Builtin(crate::model::BUILTIN_TRIGGERS[i].to_string())
            })
        }),
        event_exit: (0..pipeline.events.len())
            .map(|ev| {
                cad.exits
                    .iter()
                    .position(|e| e.trigger == Trigger::Event(ev))
            })
            .collect(),
        reasons,
        calendar: calendar.map(|c| c.engine.clone()),
        calendar_name: calendar.map(|c| c.name.clone()),
        segment_cum,
        segment_names: leads.segments.iter().map(|s| s.name.clone()).collect(),
        populations,
        arrivals_per_day: leads.arrivals_per_day,
        lead_tz: leads.timezone.as_deref().and_then(|z| z.parse().ok()),
        assumed_events: if pipeline.stages.is_empty() {
            Vec::new()
        } else {
            assumed_events(pipeline, start_stage)
        },
        window: cad
            .window
            .map(|w| super::clock::window_instants(calendar_engine, w)),
        defer: cad.defer,
    })
}

/// Resolve one population: base items, overridden by a segment's items where it gives them.
fn population(
    cadence_id: usize,
    base: &Population,
    seg: Option<&Population>,
    pipeline: &Pipeline,
    cad: &Cadence,
    interner: &mut Interner,
) -> PopulationP {
    let mut facts: Vec<Option<Dist>> = vec![None; pipeline.facts.len()];
    for pop in std::iter::once(base).chain(seg) {
        for (path, d) in &pop.facts {
            if let Some(i) = pipeline.facts.iter().position(|f| f.path == *path) {
                // text values become interned ids, in this population's own table of options
                let d = match (pipeline.facts[i].ty, d) {
                    (FactType::Text, Dist::Choice { options }) => Dist::Choice {
                        options: options
                            .iter()
                            .map(|(v, w)| match v {
                                Value::Text(s) => (Value::Number(interner.id(s)), *w),
                                other => (other.clone(), *w),
                            })
                            .collect(),
                    },
                    (
                        FactType::Text,
                        Dist::Const {
                            value: Value::Text(s),
                        },
                    ) => Dist::Const {
                        value: Value::Number(interner.id(s)),
                    },
                    _ => d.clone(),
                };
                facts[i] = Some(d);
            }
        }
    }
    let pick = |f: fn(&Population) -> Option<&Dist>| seg.and_then(f).or_else(|| f(base)).cloned();
    let responsiveness = pick(|p| p.responsiveness.as_ref());
    let reply_after = pick(|p| p.reply_after_minutes.as_ref());
    let open_after = pick(|p| p.open_after_minutes.as_ref());
    let meeting_after = pick(|p| p.meeting_after_minutes.as_ref());
    let fatigue = seg.and_then(|s| s.fatigue).or(base.fatigue).unwrap_or(1.0);
    let mut milestones: Vec<MilestoneP> = Vec::new();
    let seg_events: Vec<&str> = seg
        .map(|s| s.milestones.iter().map(|m| m.event.as_str()).collect())
        .unwrap_or_default();
    let chosen = base
        .milestones
        .iter()
        .filter(|m| !seg_events.contains(&m.event.as_str()))
        .chain(seg.iter().flat_map(|s| s.milestones.iter()));
    for m in chosen {
        let (Some(event), Some(stage)) = (
            pipeline.events.iter().position(|e| *e == m.event),
            pipeline.stages.iter().position(|s| s.name == m.stage),
        ) else {
            continue;
        };
        milestones.push(MilestoneP {
            event,
            stage,
            site: site(&format!("milestone:{}:{}", m.event, m.stage)),
            p: m.probability,
            delay: m.delay_minutes.clone(),
        });
    }
    // outcome rates per step and variant: most specific block wins, outcome by outcome;
    // at one level of specificity a segment's block wins over the base's
    let rates: Vec<Vec<Rates>> = cad
        .steps
        .iter()
        .enumerate()
        .map(|(si, s)| {
            let templates: Vec<Option<&str>> = if s.variants.is_empty() {
                vec![s.template.as_deref()]
            } else {
                s.variants
                    .iter()
                    .map(|v| v.template.as_deref().or(s.template.as_deref()))
                    .collect()
            };
            templates
                .iter()
                .map(|tpl| {
                    let mut r: Rates = [f64::NAN; 6];
                    let levels: [&dyn Fn(&RespondTarget) -> bool; 3] = [
                        &|t| matches!(t, RespondTarget::Step { cadence, step } if *cadence == cadence_id && *step == si),
                        &|t| matches!((t, tpl), (RespondTarget::Template(x), Some(y)) if x == y),
                        &|t| matches!(t, RespondTarget::Channel(c) if *c == s.channel),
                    ];
                    for matches in levels {
                        for pop in seg.iter().copied().chain(std::iter::once(base)) {
                            for b in pop.respond.iter().filter(|b| matches(&b.target)) {
                                for (o, p) in &b.rates {
                                    if let Some(i) = outcome_index(s.channel, o) {
                                        if r[i].is_nan() {
                                            r[i] = *p;
                                        }
                                    }
                                }
                            }
                        }
                    }
                    resolve_defaults(s.channel, r)
                })
                .collect()
        })
        .collect();
    let spread = responsiveness.as_ref().map(Spread::of);
    let gains = rates
        .iter()
        .zip(&cad.steps)
        .map(|(per_variant, s)| {
            per_variant
                .iter()
                .map(|r| {
                    let caps = scaled_caps(s.channel, r);
                    std::array::from_fn(|i| match (&spread, caps[i]) {
                        (Some(sp), Some(cap)) => sp.gain(r[i], cap),
                        _ => 1.0,
                    })
                })
                .collect()
        })
        .collect();
    PopulationP {
        facts,
        responsiveness,
        fatigue,
        reply_after,
        open_after,
        meeting_after,
        milestones,
        rates,
        gains,
    }
}
