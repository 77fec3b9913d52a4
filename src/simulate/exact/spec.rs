//! What the oracle reads, gathered in one place: the checked model (conditions, effects, exits,
//! facts) and, from the compiled `Program`, only the resolved outcome rates, the responsiveness
//! gains, the resolved population items and the reason table. Adapting to a new `Program`
//! means changing this file only.

use crate::calendar::{Calendar, Delay, Timing};
use crate::model::{Channel, Cond, Dist, Effects, Flow, Model, Trigger};
use crate::simulate::program::{self, Program};

pub struct RuleS {
    pub outcome: usize,
    pub times: u32,
    pub within: Option<Delay>,
    pub effects: Effects,
    /// the text of the rule, for refusals (`on opened 2 times`)
    pub text: String,
}

pub struct StepS {
    pub name: String,
    pub channel: Channel,
    pub timing: Timing,
    pub next: Option<usize>,
    pub rules: Vec<RuleS>,
    pub otherwise: Option<Effects>,
    /// variant shares (empty: no variants)
    pub variants: Vec<f64>,
}

pub struct StageS {
    pub name: String,
    pub terminal: Option<bool>,
    pub require: Vec<Cond>,
    pub exits: Vec<(usize, Cond)>,
    /// (role, condition, creates a task)
    pub escalations: Vec<(usize, Cond, bool)>,
}

pub struct MilestoneS {
    pub event: usize,
    pub stage: usize,
    pub p: f64,
    pub delay: Dist,
}

pub struct PopS {
    pub name: String,
    pub share: f64,
    /// per pipeline fact: its distribution in this population (None: unknown)
    pub facts: Vec<Option<Dist>>,
    pub responsiveness: Option<Dist>,
    pub fatigue: f64,
    pub reply_after: Option<Dist>,
    pub open_after: Option<Dist>,
    pub meeting_after: Option<Dist>,
    pub milestones: Vec<MilestoneS>,
    /// rates[step][variant], gains[step][variant] (outcomes as `Channel::outcomes()`)
    pub rates: Vec<Vec<[f64; 6]>>,
    pub gains: Vec<Vec<[f64; 6]>>,
}

pub struct Spec {
    pub cadence: String,
    pub leads: String,
    pub steps: Vec<StepS>,
    pub entry: Option<usize>,
    pub stages: Vec<StageS>,
    pub start_stage: usize,
    pub cadence_stage: Option<usize>,
    pub events: Vec<String>,
    pub roles: Vec<String>,
    pub fact_names: Vec<String>,
    pub fact_text: Vec<bool>,
    /// cadence exits: (reason id, trigger, effects)
    pub exits: Vec<(usize, Trigger, Effects)>,
    /// the exit listening for each built-in trigger, in `BuiltinTrigger::ALL` order
    pub builtin_exit: [Option<usize>; 5],
    pub event_exit: Vec<Option<usize>>,
    pub reasons: Vec<String>,
    pub assumed: Vec<usize>,
    pub enroll: Option<Cond>,
    pub calendar: Option<Calendar>,
    pub calendar_name: Option<String>,
    pub lead_tz: Option<chrono_tz::Tz>,
    pub lead_tz_name: Option<String>,
    pub arrivals: bool,
    pub pops: Vec<PopS>,
    /// a playbook word the oracle does not follow (a passed-over step, dates, a hand-off)
    pub playbook: Option<String>,
    pipeline: Option<crate::model::Pipeline>,
}

pub const EXHAUSTED: usize = program::EXHAUSTED;
pub const STAGE_CHANGED: usize = program::STAGE_CHANGED;
pub const ACTIVE: usize = program::ACTIVE;

impl Spec {
    pub fn new(model: &Model, p: &Program, cadence: usize, leads: usize) -> Option<Spec> {
        let cad = model.cadences.get(cadence)?;
        let lm = model.leads.get(leads)?;
        let pipeline = cad.pipeline.and_then(|i| model.pipelines.get(i));
        let reason = |r: &str| p.reason_id(r);
        let graph = &p.cadences.first()?.graph;
        let steps = cad
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| StepS {
                name: s.name.clone(),
                channel: s.channel,
                timing: s.timing,
                next: graph.next_in_track.get(i).copied().flatten(),
                rules: s
                    .rules
                    .iter()
                    .filter_map(|r| {
                        Some(RuleS {
                            outcome: program::outcome_index(s.channel, &r.outcome)?,
                            times: r.times.max(1),
                            within: r.within_minutes,
                            effects: r.effects.clone(),
                            text: format!(
                                "on {}{}",
                                r.outcome,
                                if r.times > 1 {
                                    format!(" {} times", r.times)
                                } else {
                                    String::new()
                                }
                            ),
                        })
                    })
                    .collect(),
                otherwise: s.otherwise.clone(),
                variants: s.variants.iter().map(|v| v.share).collect(),
            })
            .collect();
        let mut stages: Vec<StageS> = pipeline
            .map(|pl| {
                pl.stages
                    .iter()
                    .map(|s| StageS {
                        name: s.name.clone(),
                        terminal: s.outcome.map(|o| o == crate::model::StageOutcome::Won),
                        require: s.require.clone(),
                        exits: s.exits.iter().map(|e| (e.target, e.when.clone())).collect(),
                        escalations: s
                            .escalations
                            .iter()
                            .map(|e| (e.role, e.when.clone(), e.task.is_some()))
                            .collect(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        if stages.is_empty() {
            stages.push(StageS {
                name: "open".into(),
                terminal: None,
                require: Vec::new(),
                exits: Vec::new(),
                escalations: Vec::new(),
            });
        }
        let fact_names: Vec<String> = pipeline
            .map(|pl| pl.facts.iter().map(|f| f.path.clone()).collect())
            .unwrap_or_default();
        let fact_text = pipeline
            .map(|pl| {
                pl.facts
                    .iter()
                    .map(|f| f.ty == crate::model::FactType::Text)
                    .collect()
            })
            .unwrap_or_default();
        // facts per population, from the model: the segment's items override the base's
        let facts_of = |seg: Option<&crate::model::Population>| -> Vec<Option<Dist>> {
            let mut out = vec![None; fact_names.len()];
            for pop in std::iter::once(&lm.base).chain(seg) {
                for (path, d) in &pop.facts {
                    if let Some(i) = fact_names.iter().position(|f| f == path) {
                        out[i] = Some(d.clone());
                    }
                }
            }
            out
        };
        let mut pops = Vec::new();
        let seg_total: f64 = lm.segments.iter().map(|s| s.share).sum();
        for (i, pp) in p.populations.iter().enumerate() {
            let (name, share, facts) = if i == 0 {
                (
                    "base".to_string(),
                    (1.0 - seg_total).max(0.0),
                    facts_of(None),
                )
            } else {
                let seg = lm.segments.get(i - 1)?;
                (seg.name.clone(), seg.share, facts_of(Some(&seg.overrides)))
            };
            pops.push(PopS {
                name,
                share,
                facts,
                responsiveness: pp.responsiveness.clone(),
                fatigue: pp.fatigue,
                reply_after: pp.reply_after.clone(),
                open_after: pp.open_after.clone(),
                meeting_after: pp.meeting_after.clone(),
                milestones: pp
                    .milestones
                    .iter()
                    .map(|m| MilestoneS {
                        event: m.event,
                        stage: m.stage,
                        p: m.p,
                        delay: m.delay.clone(),
                    })
                    .collect(),
                rates: pp.rates.clone(),
                gains: pp.gains.clone(),
            });
        }
        // exits and the calendar as the program resolved them (one cadence: cadence 0)
        let cp = p.cadences.first()?;
        Some(Spec {
            cadence: cad.name.clone(),
            leads: lm.name.clone(),
            steps,
            entry: cp.entry,
            stages,
            start_stage: cad.stage.unwrap_or(0),
            cadence_stage: cad.stage,
            events: pipeline.map(|pl| pl.events.clone()).unwrap_or_default(),
            roles: p.roles.clone(),
            fact_names,
            fact_text,
            exits: cp
                .exits
                .iter()
                .map(|(r, trigger, effects)| (reason(r), trigger.clone(), effects.clone()))
                .collect(),
            builtin_exit: cp.builtin_exit,
            event_exit: cp.event_exit.clone(),
            reasons: p.reasons.clone(),
            assumed: p.assumed_events.clone(),
            enroll: cad.enroll.clone(),
            calendar: p.calendar().cloned(),
            calendar_name: p.calendar_name().map(str::to_string),
            lead_tz: p.lead_tz,
            lead_tz_name: lm.timezone.clone(),
            arrivals: lm.arrivals_per_day.is_some_and(|r| r > 0.0),
            pops,
            playbook: cad
                .steps
                .iter()
                .find_map(|s| {
                    s.skip
                        .as_ref()
                        .map(|_| format!("`skip when` on step `{}`", s.name))
                        .or(s.window.map(|_| format!("`during` on step `{}`", s.name)))
                })
                .or(cad.window.map(|_| "`active` dates".to_string()))
                .or(cad.hand_off.map(|_| "`hand_off to`".to_string())),
            pipeline: pipeline.cloned(),
        })
    }

    /// A condition as text (for the gate report).
    pub fn cond_text(&self, c: &Cond) -> String {
        self.pipeline
            .as_ref()
            .map(|p| crate::words::cond(c, Some(p)))
            .unwrap_or_default()
    }

    pub fn reason_id(&self, r: &str) -> usize {
        self.reasons
            .iter()
            .position(|x| x == r)
            .unwrap_or(EXHAUSTED)
    }

    /// Whether a flow is a jump with a bound (those are counted per lead).
    pub fn bounded(e: &Effects) -> Option<u32> {
        match e.flow {
            Flow::Jump { bound: Some(b), .. } => Some(b),
            _ => None,
        }
    }
}
