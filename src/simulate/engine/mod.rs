//! One lead as a small discrete-event process: touches on the calendar, one outcome draw per
//! touch, `on` rules and cadence exits, stage gates when facts, events or timers change,
//! milestones, escalations, and censoring at the horizon. All aggregates are integers, so sums
//! over any split of the leads (any thread count) are identical.
//!
//! A lead runs every cadence of the program that enrolls it, each with its own state (`Run`):
//! one cadence from its stage, or — for a whole pipeline — each stage's cadences from the
//! moment the deal enters that stage. `stage.rs` holds conditions, timers and stage moves;
//! `touch.rs` what a touch does and how rules, exits and effects apply.

mod stage;
mod touch;

use super::clock::SimClock;
use super::draws::{Draws, Outside, Sampled};
use super::observe::Observer;
use super::outcomes::Happening;
use super::program::{Program, ACTIVE, EXHAUSTED};
pub use super::tally::{LeadResult, Tally};

/// Minutes since the Unix epoch.
pub type Time = f64;

/// Per-thread scratch space, reused across leads (no allocation per lead after warm-up).
#[derive(Default)]
pub struct Scratch {
    facts: Vec<f64>,
    events: Vec<bool>,
    escalated: Vec<bool>,
    /// [global step × 6 + outcome]: outcomes seen in the cadence's current enrolment
    counts: Vec<u32>,
    /// [global step × 8 + rule]: jumps taken in the cadence's current enrolment
    jumps: Vec<u32>,
    /// outcomes of earlier touches still to happen (opens, clicks, replies, meetings)
    pending: Vec<Pending>,
    /// the happenings of the touch being drawn
    happen: Vec<Happening>,
    /// touches per step over the lead's life, the repeat key of outcome draws
    touched: Vec<u32>,
    milestones: Vec<(Time, usize, u32)>,
    /// what happens from outside the cadences (a test's script), in time order
    outside: Vec<(Time, Outside)>,
    stage_visits: u32,
    /// per cadence of the program
    runs: Vec<Run>,
}

/// One cadence's state for the lead.
#[derive(Debug, Clone, Copy, Default)]
struct Run {
    active: bool,
    next_touch: Option<(Time, usize)>,
}

struct Lead<'p, D: Draws> {
    p: &'p Program,
    /// one per calendar of the program
    clocks: &'p [SimClock],
    waking: Option<&'p super::waking::WakingTable>,
    draws: D,
    pop: usize,
    responsiveness: f64,
    enroll: Time,
    horizon_end: Time,
    stage: usize,
    stage_entry: Time,
    stage_visit: u32,
    /// the stage visit whose cadences have been enrolled (whole pipeline)
    enrolled_visit: u32,
    /// the stage visit `after_stage_change` last looked at
    changes_seen: u32,
    last_activity: Time,
    /// the simulation clock: the instant of the event being processed
    now: Time,
    /// the next timer of this stage visit on the stage entry or the enrolment (`dwell`, `age`),
    /// while nothing it depends on has changed (None: to compute)
    timer_cache: Option<Option<Time>>,
    /// the next `idle` timer, and the `last_activity` it was computed for
    idle_cache: Option<Option<Time>>,
    timer_activity: Time,
    /// touches of every cadence (fatigue and `touches` count them all)
    touches: u32,
    outcome: Option<(bool, Time)>,
}

const MIN_PER_DAY: f64 = 1440.0;

// indices into BuiltinTrigger::ALL
const REPLY: usize = 0;
const BOUNCE: usize = 1;
const UNSUBSCRIBE: usize = 2;
const MEETING_BOOKED: usize = 3;
const STAGE_CHANGE: usize = 4;

/// An outcome of a touch that happens later than the touch.
#[derive(Debug, Clone, Copy)]
struct Pending {
    at: Time,
    /// global step index (its cadence is `Program::steps[step].cadence`)
    step: usize,
    outcome: usize,
    /// the `on` rule this outcome applies, decided when the touch was made
    rule: Option<usize>,
    /// a meeting takes place whether or not the cadence that booked it goes on
    outlives_cadence: bool,
}

/// What every lead of one run shares.
pub struct RunCtx<'a> {
    pub program: &'a Program,
    /// the calendars precomputed for the run's window, one per `Program::calendars`
    pub clocks: &'a [SimClock],
    pub seed: u64,
    /// minutes since the epoch
    pub start: Time,
    /// minutes
    pub horizon: f64,
    /// with `arrivals`, leads enroll uniformly over this many minutes from `start` (a Poisson
    /// process given its count); the scenario fixes it, the lead count does not
    pub arrival_window: f64,
    /// the lead model's waking hours over the run's days (None: each instant looked up)
    pub waking: Option<super::waking::WakingTable>,
}

/// Run one lead of a simulation and count it into `t`.
pub fn run_lead(
    ctx: &RunCtx<'_>,
    index: u64,
    t: &mut impl Observer,
    s: &mut Scratch,
) -> LeadResult {
    run_lead_with(ctx, Sampled::new(ctx.seed, index), t, s)
}

/// Run one lead on `draws`, telling `t` what it does.
pub fn run_lead_with<D: Draws>(
    ctx: &RunCtx<'_>,
    mut draws: D,
    t: &mut impl Observer,
    s: &mut Scratch,
) -> LeadResult {
    let p = ctx.program;
    t.lead_started();
    let enroll = draws.enroll(p, ctx.start, ctx.arrival_window);
    let pop = draws.population(p);
    let pp = &p.populations[pop];
    s.facts.clear();
    for i in 0..pp.facts.len() {
        let v = draws.fact(p, pp, i);
        s.facts.push(v);
    }
    let responsiveness = draws.responsiveness(pp);
    s.outside.clear();
    draws.outside(enroll, &mut s.outside);
    let mut lead = Lead {
        p,
        clocks: ctx.clocks,
        waking: ctx.waking.as_ref(),
        draws,
        pop,
        responsiveness,
        enroll,
        horizon_end: enroll + ctx.horizon,
        stage: p.start_stage,
        stage_entry: enroll,
        stage_visit: 0,
        enrolled_visit: 0,
        changes_seen: 0,
        last_activity: enroll,
        now: enroll,
        timer_cache: None,
        idle_cache: None,
        timer_activity: enroll,
        touches: 0,
        outcome: None,
    };
    s.events.clear();
    s.events.resize(p.events.len(), false);
    // a deal in a later stage has met what the exits into that stage require
    for e in &p.assumed_events {
        if let Some(x) = s.events.get_mut(*e) {
            *x = true;
        }
    }
    // one cadence: the lead is the cadence's if it enrolls; a pipeline: every deal counts
    if !p.whole_pipeline {
        let enrolls = p
            .cadences
            .first()
            .is_some_and(|c| lead.eval(&c.enroll, enroll, s))
            && lead.admits(0, enroll);
        if !enrolls {
            return LeadResult {
                enrolled: false,
                won: false,
                cycle_minutes: 0.0,
            };
        }
    }
    t.enrolled(enroll);
    let steps = p.steps.len();
    // counts and jumps are read only for a running cadence's steps, and a cadence clears its
    // own when it starts
    s.counts.resize(steps * 6, 0);
    s.jumps.resize(steps * 8, 0);
    s.touched.clear();
    s.touched.resize(steps, 0);
    s.pending.clear();
    s.milestones.clear();
    s.stage_visits = 0;
    s.runs.clear();
    s.runs.resize(p.cadences.len(), Run::default());
    lead.enter_stage(p.start_stage, enroll, t, s);
    if p.whole_pipeline {
        for c in &p.unstaged_cadences {
            lead.enroll_cadence(*c, enroll, t, s);
        }
    } else {
        lead.start_cadence(0, enroll, t, s);
        lead.enrolled_visit = lead.stage_visit;
    }
    lead.gates(enroll, t, s);
    lead.after_stage_change(enroll, t, s);
    let mut guard = 0u32;
    while lead.outcome.is_none() {
        guard += 1;
        if guard > 100_000 {
            break; // a run away model; counted as open at the horizon
        }
        // the next thing that happens (ties: touches, then outcomes, milestones, timers)
        let mut next = lead.horizon_end;
        let mut kind = 0u8; // 0 horizon, 1 touch, 2 pending outcome, 3 milestone, 4 timer
        let mut which = 0usize;
        for (c, r) in s.runs.iter().enumerate() {
            if let Some((tt, _)) = r.next_touch {
                if tt < next {
                    next = tt;
                    kind = 1;
                    which = c;
                }
            }
        }
        for (i, r) in s.pending.iter().enumerate() {
            if r.at < next {
                next = r.at;
                kind = 2;
                which = i;
            }
        }
        for (i, m) in s.milestones.iter().enumerate() {
            if m.0 < next {
                next = m.0;
                kind = 3;
                which = i;
            }
        }
        for (i, o) in s.outside.iter().enumerate() {
            if o.0 < next {
                next = o.0;
                kind = 6;
                which = i;
            }
        }
        let timer = lead.cached_timer(s);
        if let Some(tt) = timer {
            if tt < next {
                next = tt;
                kind = 4;
            }
        }
        // a cadence's dates end (before a touch due at that very instant)
        // (kind 6: from outside the cadences)
        if p.any_window {
            for (c, r) in s.runs.iter().enumerate() {
                if let (true, Some((_, close))) = (r.active, p.cadences[c].window) {
                    if close <= next && (kind != 5 || close < next) {
                        next = close;
                        kind = 5;
                        which = c;
                    }
                }
            }
        }
        lead.now = next;
        match kind {
            1 => {
                if let Some((tt, step)) = s.runs[which].next_touch.take() {
                    lead.touch(step, tt, t, s);
                }
            }
            2 => {
                // in the order the touches made them (a reply after what its touch brings at the
                // same instant): `remove`, not `swap_remove`, keeps that order for ties
                let ev = s.pending.remove(which);
                lead.happen(ev, t, s);
            }
            3 => {
                let (tt, ev, visit) = s.milestones.remove(which);
                if visit == lead.stage_visit {
                    lead.set_event(ev, tt, t, s);
                }
            }
            4 => t.timer(next),
            6 => {
                let (tt, what) = s.outside.remove(which);
                lead.outside(what, tt, t, s);
            }
            5 => {
                let reason = p.cadences[which].reason(super::program::WINDOW_CLOSED);
                lead.end_cadence(which, reason, t, s);
                lead.hand_off(which, next, t, s);
            }
            _ => break,
        }
        // gates change only with events, stage moves (both re-check inside `apply`), timers, or
        // — when the stage reads them — touches and idle time
        // (a timer due at this very instant, tied with a touch, counts as a timer)
        let timer_due = timer.is_some_and(|tt| tt <= next);
        if kind == 3
            || kind == 4
            || kind == 6
            || timer_due
            || lead.p.stages[lead.stage].activity_opens_gates
        {
            lead.gates(next, t, s);
        }
        lead.after_stage_change(next, t, s);
        lead.end_exhausted(t, s);
        if lead.outcome.is_none()
            && !s.runs.iter().any(|r| r.active)
            && s.milestones.is_empty()
            && s.pending.is_empty()
            && s.outside.is_empty()
            && lead.cached_timer(s).is_none()
        {
            break; // nothing more can happen: open at the horizon
        }
    }
    for (c, r) in s.runs.iter().enumerate() {
        if r.active {
            t.cadence_ended(c, p.cadences[c].reason_base + ACTIVE, lead.now);
        }
    }
    lead.finish(t, s)
}

impl<D: Draws> Lead<'_, D> {
    /// Cadences with nothing left to do end as exhausted: no touch planned, and no later
    /// outcome that would still apply a rule or raise `reply`.
    fn end_exhausted(&mut self, t: &mut impl Observer, s: &mut Scratch) {
        for c in 0..s.runs.len() {
            let r = s.runs[c];
            if r.active
                && r.next_touch.is_none()
                && !s.pending.iter().any(|e| {
                    self.p.steps[e.step].cadence == c && (e.rule.is_some() || self.raises_reply(e))
                })
            {
                self.end_cadence(c, self.p.cadences[c].reason_base + EXHAUSTED, t, s);
                self.hand_off(c, self.now, t, s);
            }
        }
    }

    /// The lead's result: won, lost or open at the horizon, told to the observer.
    fn finish(&self, t: &mut impl Observer, s: &Scratch) -> LeadResult {
        if self.outcome.is_none() {
            self.held_back(t, s);
        }
        t.finished(self.stage, self.touches, self.outcome, self.enroll);
        match self.outcome {
            Some((won, at)) => LeadResult {
                enrolled: true,
                won,
                cycle_minutes: if won { at - self.enroll } else { 0.0 },
            },
            None => LeadResult {
                enrolled: true,
                won: false,
                cycle_minutes: 0.0,
            },
        }
    }
}
