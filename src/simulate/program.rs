//! A simulation program: the checked model compiled for one run — one cadence from its stage, or
//! a whole pipeline with the cadences that work it — over one lead model. Names are resolved to
//! indices, outcome rates resolved per (segment, step, variant), text interned and conditions
//! turned into flat numeric comparisons. Built once, read by every lead.
//!
//! The steps of all cadences are numbered in one global order (cadence by cadence), so the
//! engine, the tallies and the report index steps, rates and gains the same way.

use std::collections::HashMap;
use std::ops::Range;

use crate::calendar::{Calendar, Delay, Timing};
use crate::model::graph::StepGraph;
use crate::model::{
    Cadence, CadenceId, Channel, Dist, Effects, Flow, LeadModel, Model, Pipeline, SimTarget,
    Trigger,
};

use super::conds::{activity_can_open, compile_cond, is_timer, timer_operands, Interner};
pub use super::conds::{assumed_events, conjuncts, CCond, COperand};
use super::outcomes::Plan;
use super::population::population;
use super::random::{site, Purpose};

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
    use crate::model::BuiltinTrigger as B;
    let mut out = [Kind::Other; 6];
    for (i, o) in ch.outcome_table().iter().enumerate() {
        out[i] = match o.raises {
            Some(B::Reply) => Kind::Reply,
            Some(B::Bounce) => Kind::Bounce,
            Some(B::Unsubscribe) => Kind::Unsubscribe,
            Some(B::MeetingBooked) => Kind::Booked,
            Some(B::StageChange) | None if o.engages => Kind::Engaged,
            Some(B::StageChange) | None => Kind::Other,
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
    /// a touch or a later last activity can make a condition of the stage true that was false
    /// (it reads `touches`, or `idle` where a smaller one helps): only then do the gates need
    /// a look after each touch
    pub activity_opens_gates: bool,
    /// every timer comparison of the stage's exits, escalations and `require` as (lhs, rhs),
    /// flat: those on the stage entry or the enrolment (`dwell`, `age`) and those on the last
    /// activity (`idle`), which moves with every touch
    pub fixed_timers: Vec<(COperand, COperand)>,
    pub idle_timers: Vec<(COperand, COperand)>,
}

pub struct RuleP {
    pub outcome: usize,
    pub times: u32,
    pub within: Option<Delay>,
    pub effects: Effects,
}

pub struct StepP {
    pub name: String,
    /// its title (the message, in the playbook's language), for the reports
    pub title: Option<String>,
    /// the cadence the step belongs to (index into `Program::cadences`)
    pub cadence: usize,
    pub site: u64,
    pub channel: Channel,
    pub kinds: [Kind; 6],
    pub timing: Timing,
    /// without a calendar or a clock time, the touch falls this many minutes after the instant
    /// it is planned from (`clock::schedule_plain` without its search)
    pub plain_after: Option<f64>,
    /// `random::draw_key` of the step's first outcome draw (every lead that reaches the step
    /// makes it)
    pub first_outcome_key: u64,
    /// global step indices, like every step reference in a program
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

/// The end reason of a cadence whose `active` dates are over.
pub const WINDOW_CLOSED: &str = "window_closed";

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
    /// `fatigue.powi(k)` for the first touches (k = 0, 1, ...): no power per touch
    pub fatigue_pow: Vec<f64>,
    pub reply_after: Option<Dist>,
    pub open_after: Option<Dist>,
    pub meeting_after: Option<Dist>,
    pub milestones: Vec<MilestoneP>,
    /// rates[step][variant or 0]
    pub rates: Vec<Vec<Rates>>,
    /// gains[step][variant or 0][outcome]: what a lead's responsiveness is multiplied by for
    /// that rate, so that the population's average at the first touch is the stated rate
    pub gains: Vec<Vec<Rates>>,
    /// unit_plans[step][variant or 0]: the outcome plan of a touch by a lead whose multiplier
    /// (responsiveness × fatigue) is 1, computed once rather than per touch
    pub unit_plans: Vec<Vec<Plan>>,
}

/// One cadence of the program: what enrolls it, how it ends, where its steps are.
pub struct CadenceP {
    pub name: String,
    /// the stage it works (leaving it ends the cadence); None: it follows the deal throughout
    pub stage: Option<usize>,
    pub enroll: CCond,
    /// its steps: `Program::steps[steps]`
    pub steps: Range<usize>,
    pub entry: Option<usize>,
    /// the step graph (successor table, local step indices): every way control can leave a step
    pub graph: StepGraph,
    pub exits: Vec<(String, Trigger, Effects)>,
    /// the cadence exit listening for each built-in trigger (in `BuiltinTrigger::ALL` order)
    pub builtin_exit: [Option<usize>; 5],
    /// the cadence exit listening for each pipeline event
    pub event_exit: Vec<Option<usize>>,
    /// its end reasons (`BUILTIN_REASONS` first): `Program::reasons[reason_base + i]`
    pub reasons: Vec<String>,
    pub reason_base: usize,
    /// its calendar, an index into `Program::calendars`
    pub calendar: Option<usize>,
    /// `active`: it runs in [start, end) (minutes since the epoch) and ends with
    /// `window_closed` at the end
    pub window: Option<(f64, f64)>,
    /// with `window`: a deal enrolled before it waits for it (else it is not enrolled)
    pub defer: bool,
    /// `hand_off to`: the cadence (of this program) that takes the deal when this one runs out
    pub hand_off: Option<usize>,
    /// some step has `on` rules or `otherwise`: only then are its outcome and jump counts read
    pub has_rules: bool,
}

impl CadenceP {
    /// The global reason index of one of this cadence's end reasons.
    pub fn reason(&self, name: &str) -> usize {
        self.reason_base + self.reasons.iter().position(|r| r == name).unwrap_or(0)
    }
}

pub struct Program {
    /// the cadence's name, or the pipeline's
    pub name: String,
    /// a whole pipeline: every deal counts, each stage's cadences enroll when a deal enters it
    pub whole_pipeline: bool,
    pub cadences: Vec<CadenceP>,
    pub steps: Vec<StepP>,
    /// per stage, the cadences that enroll a deal entering it (whole pipeline only)
    pub stage_cadences: Vec<Vec<usize>>,
    /// cadences without a stage: they enroll a deal when it is created (whole pipeline only)
    pub unstaged_cadences: Vec<usize>,
    pub stages: Vec<StageP>,
    pub start_stage: usize,
    pub events: Vec<String>,
    pub roles: Vec<String>,
    pub fact_names: Vec<String>,
    pub fact_sites: Vec<u64>,
    pub texts: Vec<String>,
    /// every cadence's end reasons, cadence by cadence
    pub reasons: Vec<String>,
    /// the distinct calendars of the run; stage timers read `main_calendar`
    pub calendars: Vec<Calendar>,
    pub calendar_names: Vec<String>,
    pub main_calendar: Option<usize>,
    /// segment shares (cumulative); population 0 is the base, i + 1 is segment i
    pub segment_cum: Vec<f64>,
    pub segment_names: Vec<String>,
    pub populations: Vec<PopulationP>,
    pub arrivals_per_day: Option<f64>,
    /// the leads' time zone: they open and reply only in waking hours there
    pub lead_tz: Option<chrono_tz::Tz>,
    /// events set at enrollment: what the exits into the starting stage require
    pub assumed_events: Vec<usize>,
    /// some cadence has `active` dates (else no lead waits for a cadence's dates to end)
    pub any_window: bool,
}

impl Program {
    /// The global index of an end reason of the first cadence (a one-cadence program's).
    pub fn reason_id(&self, name: &str) -> usize {
        self.cadences.first().map(|c| c.reason(name)).unwrap_or(0)
    }

    /// The calendar stage timers and the start are read in.
    pub fn calendar(&self) -> Option<&Calendar> {
        self.main_calendar.and_then(|i| self.calendars.get(i))
    }

    pub fn calendar_name(&self) -> Option<&str> {
        self.main_calendar
            .and_then(|i| self.calendar_names.get(i))
            .map(|s| s.as_str())
    }
}

/// Why a program cannot be built (the model is checked, so these are rare).
#[derive(Debug)]
pub struct ProgramError(pub String);

/// A program of one cadence, from its stage (the simulation of one cadence).
pub fn compile(model: &Model, cadence_id: usize, leads_id: usize) -> Result<Program, ProgramError> {
    compile_target(model, &SimTarget::Cadence(cadence_id), leads_id)
}

fn empty_pipeline() -> Pipeline {
    Pipeline {
        roles: vec!["owner".into()],
        ..Pipeline::default()
    }
}

/// A jump's target moved into the global step order.
fn global_effects(e: &Effects, offset: usize) -> Effects {
    let mut e = e.clone();
    if let Flow::Jump { step, .. } = &mut e.flow {
        *step += offset;
    }
    e
}

pub fn compile_target(
    model: &Model,
    target: &SimTarget,
    leads_id: usize,
) -> Result<Program, ProgramError> {
    let leads: &LeadModel = model
        .leads
        .get(leads_id)
        .ok_or_else(|| ProgramError("no such lead model".into()))?;
    compile_for(model, target, leads)
}

/// A program for `target` over the lead model `leads` (a test passes an empty one: its draws
/// are scripted).
pub fn compile_for(
    model: &Model,
    target: &SimTarget,
    leads: &LeadModel,
) -> Result<Program, ProgramError> {
    let (pipeline_id, cadence_ids, whole_pipeline, start) = match target {
        SimTarget::Cadence(c) => {
            let cad = model
                .cadences
                .get(*c)
                .ok_or_else(|| ProgramError("no such cadence".into()))?;
            (cad.pipeline, vec![*c], false, cad.stage)
        }
        SimTarget::Pipeline {
            pipeline,
            stage,
            cadences,
        } => (Some(*pipeline), cadences.clone(), true, *stage),
    };
    // the cadences deals are handed off to run too (after the ones the target names)
    let mut cadence_ids = cadence_ids;
    let mut k = 0;
    while let Some(c) = cadence_ids.get(k).copied() {
        if let Some(h) = model.cadences.get(c).and_then(|x| x.hand_off) {
            if !cadence_ids.contains(&h)
                && model
                    .cadences
                    .get(h)
                    .is_some_and(|x| x.pipeline == pipeline_id)
            {
                cadence_ids.push(h);
            }
        }
        k += 1;
    }
    let cads: Vec<(CadenceId, &Cadence)> = cadence_ids
        .iter()
        .map(|c| {
            model
                .cadences
                .get(*c)
                .map(|x| (*c, x))
                .ok_or_else(|| ProgramError("no such cadence".into()))
        })
        .collect::<Result<_, _>>()?;
    let empty = empty_pipeline();
    let pipeline = pipeline_id
        .and_then(|i| model.pipelines.get(i))
        .unwrap_or(&empty);
    let mut interner = Interner {
        texts: Vec::new(),
        ids: HashMap::new(),
    };
    let stages = compile_stages(pipeline, &mut interner);
    // calendars: the distinct ones of the pipeline and the cadences
    let mut calendar_ids: Vec<usize> = Vec::new();
    let mut calendar_of = |id: Option<usize>| -> Option<usize> {
        let id = id?;
        model.calendars.get(id)?;
        Some(match calendar_ids.iter().position(|c| *c == id) {
            Some(i) => i,
            None => {
                calendar_ids.push(id);
                calendar_ids.len() - 1
            }
        })
    };
    let main_calendar = if whole_pipeline {
        calendar_of(pipeline.calendar)
    } else {
        calendar_of(
            cads.first()
                .and_then(|(_, c)| c.calendar)
                .or(pipeline.calendar),
        )
    };
    // a step's draws are keyed by its name; where two cadences of the run share a step name,
    // by cadence and step, so that their draws stay independent
    let shared_name = |name: &str| {
        cads.iter()
            .filter(|(_, c)| c.steps.iter().any(|s| s.name == name))
            .count()
            > 1
    };
    let mut steps: Vec<StepP> = Vec::new();
    let mut cadences: Vec<CadenceP> = Vec::new();
    let mut reasons: Vec<String> = Vec::new();
    for (ci, (_, cad)) in cads.iter().enumerate() {
        let offset = steps.len();
        let graph = StepGraph::new(cad);
        // dates are local to the cadence's calendar
        let engine = cad
            .calendar
            .or(pipeline.calendar)
            .and_then(|i| model.calendars.get(i))
            .map(|k| &k.engine);
        for (si, s) in cad.steps.iter().enumerate() {
            let mut cum = 0.0;
            let variant_cum = s
                .variants
                .iter()
                .map(|v| {
                    cum += v.share;
                    cum
                })
                .collect();
            let key = if shared_name(&s.name) {
                format!("step:{}:{}", cad.name, s.name)
            } else {
                format!("step:{}", s.name)
            };
            steps.push(StepP {
                name: s.name.clone(),
                title: s.title.clone(),
                cadence: ci,
                site: site(&key),
                first_outcome_key: super::random::draw_key(site(&key), Purpose::Outcome, 0),
                channel: s.channel,
                kinds: kinds(s.channel),
                timing: s.timing,
                plain_after: (engine.is_none() && s.timing.at_clock.is_none())
                    .then(|| super::clock::plain_delay(s.timing.delay)),
                next_in_track: graph
                    .next_in_track
                    .get(si)
                    .copied()
                    .flatten()
                    .map(|n| n + offset),
                rules: s
                    .rules
                    .iter()
                    .filter_map(|r| {
                        Some(RuleP {
                            outcome: outcome_index(s.channel, &r.outcome)?,
                            times: r.times.max(1),
                            within: r.within_minutes,
                            effects: global_effects(&r.effects, offset),
                        })
                    })
                    .collect(),
                otherwise: s.otherwise.as_ref().map(|o| global_effects(o, offset)),
                variant_cum,
                skip: s.skip.as_ref().map(|c| compile_cond(c, &mut interner)),
                window: s.window.map(|w| super::clock::window_instants(engine, w)),
            });
        }
        let mut own: Vec<String> = BUILTIN_REASONS.iter().map(|r| r.to_string()).collect();
        let flows = cad
            .steps
            .iter()
            .flat_map(|s| s.rules.iter().map(|r| &r.effects).chain(s.otherwise.iter()));
        let named = cad
            .exits
            .iter()
            .map(|e| e.reason.clone())
            .chain(flows.filter_map(|e| match &e.flow {
                Flow::Exit(r) => Some(r.clone()),
                _ => None,
            }));
        for r in named.chain(cad.window.map(|_| WINDOW_CLOSED.to_string())) {
            if !own.contains(&r) {
                own.push(r);
            }
        }
        let reason_base = reasons.len();
        reasons.extend(own.iter().cloned());
        cadences.push(CadenceP {
            name: cad.name.clone(),
            stage: cad.stage,
            enroll: cad
                .enroll
                .as_ref()
                .map(|c| compile_cond(c, &mut interner))
                .unwrap_or(CCond::True),
            steps: offset..steps.len(),
            entry: graph.entry.map(|e| e + offset),
            exits: cad
                .exits
                .iter()
                .map(|e| {
                    (
                        e.reason.clone(),
                        e.trigger.clone(),
                        global_effects(&e.effects, offset),
                    )
                })
                .collect(),
            builtin_exit: std::array::from_fn(|i| {
                cad.exits.iter().position(|e| {
                    e.trigger == Trigger::Builtin(crate::model::BuiltinTrigger::ALL[i])
                })
            }),
            event_exit: (0..pipeline.events.len())
                .map(|ev| {
                    cad.exits
                        .iter()
                        .position(|e| e.trigger == Trigger::Event(ev))
                })
                .collect(),
            graph,
            reasons: own,
            reason_base,
            calendar: calendar_of(cad.calendar.or(pipeline.calendar)),
            window: cad.window.map(|w| super::clock::window_instants(engine, w)),
            defer: cad.defer,
            hand_off: cad
                .hand_off
                .and_then(|h| cads.iter().position(|(id, _)| *id == h)),
            has_rules: cad
                .steps
                .iter()
                .any(|s| !s.rules.is_empty() || s.otherwise.is_some()),
        });
    }
    let mut stage_cadences = vec![Vec::new(); stages.len()];
    let mut unstaged_cadences = Vec::new();
    for (ci, c) in cadences.iter().enumerate() {
        match c.stage {
            Some(st) => {
                if let Some(v) = stage_cadences.get_mut(st) {
                    v.push(ci);
                }
            }
            None => unstaged_cadences.push(ci),
        }
    }
    // a cadence another one of its stage hands off to waits for that hand-off
    for v in stage_cadences
        .iter_mut()
        .chain(std::iter::once(&mut unstaged_cadences))
    {
        let ids: Vec<CadenceId> = v.iter().map(|&ci| cads[ci].0).collect();
        let entry = crate::model::entry_cadences(model, &ids);
        v.retain(|&ci| entry.contains(&cads[ci].0));
    }
    // populations: base, then one per segment (segment items override the base)
    let fact_names: Vec<String> = pipeline.facts.iter().map(|f| f.path.clone()).collect();
    let mut populations = vec![population(
        &leads.base,
        None,
        pipeline,
        &cads,
        &mut interner,
    )];
    let mut segment_cum = Vec::new();
    let mut acc = 0.0;
    for seg in &leads.segments {
        acc += seg.share;
        segment_cum.push(acc);
        populations.push(population(
            &leads.base,
            Some(&seg.overrides),
            pipeline,
            &cads,
            &mut interner,
        ));
    }
    let start_stage = start.unwrap_or(0);
    let any_window = cadences.iter().any(|c| c.window.is_some());
    Ok(Program {
        any_window,
        name: match target {
            SimTarget::Cadence(_) => cads
                .first()
                .map(|(_, c)| c.name.clone())
                .unwrap_or_default(),
            SimTarget::Pipeline { .. } => pipeline.name.clone(),
        },
        whole_pipeline,
        cadences,
        steps,
        stage_cadences,
        unstaged_cadences,
        stages,
        start_stage,
        events: pipeline.events.clone(),
        roles: pipeline.roles.clone(),
        fact_sites: fact_names
            .iter()
            .map(|f| site(&format!("fact:{f}")))
            .collect(),
        fact_names,
        texts: interner.texts,
        reasons,
        calendars: calendar_ids
            .iter()
            .filter_map(|i| model.calendars.get(*i))
            .map(|c| c.engine.clone())
            .collect(),
        calendar_names: calendar_ids
            .iter()
            .filter_map(|i| model.calendars.get(*i))
            .map(|c| c.name.clone())
            .collect(),
        main_calendar,
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
    })
}

/// The pipeline's stages compiled (one open stage nothing leaves when there is no pipeline).
fn compile_stages(pipeline: &Pipeline, interner: &mut Interner) -> Vec<StageP> {
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
                .map(|c| compile_cond(c, interner))
                .collect(),
            exits: s
                .exits
                .iter()
                .map(|e| StageExitP {
                    target: e.target,
                    when: compile_cond(&e.when, interner),
                    text: crate::words::cond(&e.when, Some(pipeline)),
                    parts: conjuncts(&e.when)
                        .iter()
                        .map(|c| (crate::words::cond(c, Some(pipeline)), is_timer(c)))
                        .collect(),
                })
                .collect(),
            escalations: s
                .escalations
                .iter()
                .map(|e| EscalationP {
                    role: e.role,
                    when: compile_cond(&e.when, interner),
                    task: e.task.is_some(),
                })
                .collect(),
            activity_opens_gates: false,
            fixed_timers: Vec::new(),
            idle_timers: Vec::new(),
        })
        .collect();
    for st in &mut stages {
        let conds: Vec<&CCond> = (st.exits.iter().map(|e| &e.when))
            .chain(st.escalations.iter().map(|e| &e.when))
            .chain(st.require.iter())
            .collect();
        st.activity_opens_gates = conds.iter().any(|c| activity_can_open(c, true));
        let mut timers = Vec::new();
        for c in &conds {
            timer_operands(c, &mut timers);
        }
        let idle = |(lhs, _): &(COperand, COperand)| {
            matches!(lhs, COperand::Builtin(crate::model::Builtin::Idle))
        };
        st.idle_timers = timers.iter().copied().filter(idle).collect();
        st.fixed_timers = timers.into_iter().filter(|t| !idle(t)).collect();
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
            activity_opens_gates: false,
            fixed_timers: Vec::new(),
            idle_timers: Vec::new(),
        });
    }
    stages
}
