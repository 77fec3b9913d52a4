//! One lead as a small discrete-event process: touches on the calendar, one outcome draw per
//! touch, `on` rules and cadence exits, stage gates when facts, events or timers change,
//! milestones, escalations, and censoring at the horizon. All aggregates are integers, so sums
//! over any split of the leads (any thread count) are identical.

use crate::calendar::{Delay, Timing};
use crate::model::{Builtin, Channel, Cmp, Effects, Flow};

use super::clock::SimClock;
use super::outcomes::{draw, read_by_lead, waking, Delays, Happening};
use super::program::{CCond, COperand, Kind, Program, ACTIVE, EXHAUSTED, STAGE_CHANGED};
use super::random::{LeadRng, Purpose};
pub use super::tally::{LeadResult, Tally};

/// Minutes since the Unix epoch.
pub type Time = f64;

/// Per-thread scratch space, reused across leads (no allocation per lead after warm-up).
#[derive(Default)]
pub struct Scratch {
    facts: Vec<f64>,
    events: Vec<bool>,
    escalated: Vec<bool>,
    counts: Vec<u32>,
    jumps: Vec<u32>,
    /// outcomes of earlier touches still to happen (opens, clicks, replies, meetings)
    pending: Vec<Pending>,
    /// the happenings of the touch being drawn
    happen: Vec<Happening>,
    /// touches per step, the repeat key of outcome draws
    touched: Vec<u32>,
    milestones: Vec<(Time, usize, u32)>,
    stage_visits: u32,
}

struct Lead<'p> {
    p: &'p Program,
    clock: Option<&'p SimClock>,
    rng: LeadRng,
    pop: usize,
    responsiveness: f64,
    enroll: Time,
    horizon_end: Time,
    stage: usize,
    stage_entry: Time,
    stage_visit: u32,
    last_activity: Time,
    /// the simulation clock: the instant of the event being processed
    now: Time,
    /// the next timer of this stage visit, while nothing it depends on has changed
    timer_cache: Option<Option<Time>>,
    touches: u32,
    cadence_active: bool,
    /// the end of the cadence's `active` dates (infinity without)
    closes: Time,
    next_touch: Option<(Time, usize)>,
    /// how many times each step was touched (for keyed repeats)
    outcome: Option<(bool, Time)>,
}

const MIN_PER_DAY: f64 = 1440.0;

// indices into BUILTIN_TRIGGERS
const REPLY: usize = 0;
const BOUNCE: usize = 1;
const UNSUBSCRIBE: usize = 2;
const MEETING_BOOKED: usize = 3;
const STAGE_CHANGE: usize = 4;

/// An outcome of a touch that happens later than the touch.
#[derive(Debug, Clone, Copy)]
struct Pending {
    at: Time,
    step: usize,
    outcome: usize,
    /// the `on` rule this outcome applies, decided when the touch was made
    rule: Option<usize>,
    /// a meeting takes place whether or not the cadence that booked it goes on
    outlives_cadence: bool,
}

/// Run one lead and count it into `t`. `start` is the simulation start; `horizon` in minutes.
/// What every lead of one run shares.
pub struct RunCtx<'a> {
    pub program: &'a Program,
    /// the calendar precomputed for the run's window (None: the cadence has no calendar)
    pub clock: Option<&'a SimClock>,
    pub seed: u64,
    /// minutes since the epoch
    pub start: Time,
    /// minutes
    pub horizon: f64,
    /// with `arrivals`, leads enroll uniformly over this many minutes from `start` (a Poisson
    /// process given its count); the scenario fixes it, the lead count does not
    pub arrival_window: f64,
}

pub fn run_lead(ctx: &RunCtx<'_>, index: u64, t: &mut Tally, s: &mut Scratch) -> LeadResult {
    let (p, clock, start, horizon) = (ctx.program, ctx.clock, ctx.start, ctx.horizon);
    let rng = LeadRng::new(ctx.seed, index);
    t.leads += 1;
    let enroll = match p.arrivals_per_day {
        Some(rate) if rate > 0.0 => {
            start + rng.uniform(0, Purpose::Arrival, 0) * ctx.arrival_window
        }
        _ => start,
    };
    let u = rng.uniform(0, Purpose::Segment, 0);
    let pop = p
        .segment_cum
        .iter()
        .position(|c| u < *c)
        .map(|i| i + 1)
        .unwrap_or(0);
    let pp = &p.populations[pop];
    // facts
    s.facts.clear();
    for (i, d) in pp.facts.iter().enumerate() {
        let v = match d {
            Some(d) => rng.sample(d, p.fact_sites[i], Purpose::Fact),
            None => f64::NAN,
        };
        s.facts.push(v);
    }
    let responsiveness = pp
        .responsiveness
        .as_ref()
        .map(|d| rng.sample(d, 0, Purpose::Responsiveness).max(0.0))
        .unwrap_or(1.0);
    let mut lead = Lead {
        p,
        clock,
        rng,
        pop,
        responsiveness,
        enroll,
        horizon_end: enroll + horizon,
        stage: p.start_stage,
        stage_entry: enroll,
        stage_visit: 0,
        last_activity: enroll,
        now: enroll,
        timer_cache: None,
        touches: 0,
        cadence_active: true,
        closes: p.window.map_or(f64::INFINITY, |w| w.1),
        next_touch: None,
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
    if !lead.eval(&p.enroll, enroll, s) {
        return LeadResult {
            enrolled: false,
            won: false,
            cycle_minutes: 0.0,
        };
    }
    // outside its dates the cadence does not enroll (or, with `defer`, starts when they begin)
    let mut first_from = enroll;
    if let Some((open, close)) = p.window {
        if enroll >= close || (enroll < open && !p.defer) {
            return LeadResult {
                enrolled: false,
                won: false,
                cycle_minutes: 0.0,
            };
        }
        first_from = enroll.max(open);
    }
    t.enrolled += 1;
    s.counts.clear();
    s.counts.resize(p.steps.len() * 6, 0);
    s.jumps.clear();
    s.jumps.resize(p.steps.len() * 8, 0);
    s.touched.clear();
    s.touched.resize(p.steps.len(), 0);
    s.pending.clear();
    s.milestones.clear();
    s.stage_visits = 0;
    lead.enter_stage(p.start_stage, enroll, t, s);
    if let Some(e) = p.entry {
        lead.schedule_step(e, first_from, p.steps[e].timing);
    }
    let mut reason: usize = ACTIVE;
    let mut guard = 0u32;
    lead.gates(enroll, t, s);
    while lead.outcome.is_none() {
        guard += 1;
        if guard > 100_000 {
            break; // a run away model; counted as open at the horizon
        }
        // the next thing that happens
        let mut next = lead.horizon_end;
        let mut kind = 0u8; // 0 horizon, 1 touch, 2 pending outcome, 3 milestone, 4 timer
        let mut which = 0usize;
        if let Some((tt, _)) = lead.next_touch {
            if tt < next {
                next = tt;
                kind = 1;
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
        let timer = lead.cached_timer(s);
        if let Some(tt) = timer {
            if tt < next {
                next = tt;
                kind = 4;
            }
        }
        // the cadence's dates end (before a touch due at that instant)
        if lead.cadence_active && lead.closes <= next {
            next = lead.closes;
            kind = 5;
        }
        lead.now = next;
        match kind {
            1 => {
                if let Some((tt, step)) = lead.next_touch.take() {
                    lead.touch(step, tt, t, s, &mut reason);
                }
            }
            2 => {
                let ev = s.pending.swap_remove(which);
                lead.happen(ev, t, s, &mut reason);
            }
            3 => {
                let (tt, ev, visit) = s.milestones.swap_remove(which);
                if visit == lead.stage_visit {
                    lead.set_event(ev, tt, t, s, &mut reason);
                }
            }
            4 => {}
            5 => lead.end_cadence(&mut reason, p.reason_id(super::program::WINDOW_CLOSED), s),
            _ => break,
        }
        // gates change only with events, stage moves (both re-check inside `apply`), timers, or
        // — when the stage reads them — touches and idle time
        // (a timer due at this very instant, tied with a touch, counts as a timer)
        let timer_due = timer.is_some_and(|tt| tt <= next);
        if kind == 3 || kind == 4 || timer_due || lead.p.stages[lead.stage].uses_activity {
            lead.gates(next, t, s);
        }
        lead.after_stage_change(next, t, s, &mut reason);
        if lead.cadence_active
            && lead.next_touch.is_none()
            && !s
                .pending
                .iter()
                .any(|e| e.rule.is_some() || lead.raises_reply(e))
        {
            lead.cadence_active = false;
            reason = EXHAUSTED;
            s.pending.retain(|e| e.outlives_cadence);
        }
        if lead.outcome.is_none()
            && !lead.cadence_active
            && s.milestones.is_empty()
            && s.pending.is_empty()
            && lead.next_timer(s).is_none()
        {
            break; // nothing more can happen: open at the horizon
        }
    }
    t.reasons[reason] += 1;
    t.final_stage[lead.stage] += 1;
    t.touches += u64::from(lead.touches);
    t.touches_sq_sum += u64::from(lead.touches) * u64::from(lead.touches);
    match lead.outcome {
        Some((true, at)) => {
            let cycle = at - enroll;
            t.won += 1;
            let m = cycle.round().max(0.0) as u128;
            t.cycle_minutes_sum += m;
            t.cycle_minutes_sq_sum += m * m;
            let h = ((cycle / 60.0) as usize).min(t.cycle_hist.len() - 1);
            t.cycle_hist[h] += 1;
            for (i, d) in [30.0, 60.0, 90.0, 180.0].iter().enumerate() {
                if cycle <= d * MIN_PER_DAY {
                    t.won_by[i] += 1;
                }
            }
            LeadResult {
                enrolled: true,
                won: true,
                cycle_minutes: cycle,
            }
        }
        Some((false, _)) => {
            t.lost += 1;
            LeadResult {
                enrolled: true,
                won: false,
                cycle_minutes: 0.0,
            }
        }
        None => {
            t.open += 1;
            lead.held_back(t, s);
            LeadResult {
                enrolled: true,
                won: false,
                cycle_minutes: 0.0,
            }
        }
    }
}

impl Lead<'_> {
    fn value(&self, o: COperand, now: Time, s: &Scratch) -> f64 {
        match o {
            COperand::Fact(f) => s.facts.get(f).copied().unwrap_or(f64::NAN),
            COperand::Num(x) => x,
            COperand::Builtin(Builtin::Dwell) => now - self.stage_entry,
            COperand::Builtin(Builtin::Idle) => now - self.last_activity,
            COperand::Builtin(Builtin::Age) => now - self.enroll,
            COperand::Builtin(Builtin::Touches) => f64::from(self.touches),
            // business durations against non-timer operands: approximate by wall time
            COperand::BusinessDays(d) => f64::from(d) * MIN_PER_DAY,
            COperand::BusinessMinutes(m) => m as f64,
        }
    }

    /// The instant a timer comparison (`dwell > 7d`) becomes true, if it is one.
    fn threshold(&self, lhs: COperand, rhs: COperand, s: &Scratch) -> Option<Time> {
        let base = match lhs {
            COperand::Builtin(Builtin::Dwell) => self.stage_entry,
            COperand::Builtin(Builtin::Idle) => self.last_activity,
            COperand::Builtin(Builtin::Age) => self.enroll,
            _ => return None,
        };
        match rhs {
            COperand::Num(m) => Some(base + m),
            // a duration fact (`dwell > bant.timeline`); an unknown fact is no timer
            COperand::Fact(f) => s.facts.get(f).filter(|v| !v.is_nan()).map(|v| base + v),
            COperand::BusinessDays(n) => {
                Some(self.schedule(base, Timing::after(Delay::BusinessDays(n))))
            }
            COperand::BusinessMinutes(n) => {
                Some(self.schedule(base, Timing::after(Delay::BusinessMinutes(n))))
            }
            _ => None,
        }
    }

    fn eval(&self, c: &CCond, now: Time, s: &Scratch) -> bool {
        match c {
            CCond::True => true,
            CCond::And(v) => v.iter().all(|x| self.eval(x, now, s)),
            CCond::Or(v) => v.iter().any(|x| self.eval(x, now, s)),
            CCond::Not(x) => !self.eval(x, now, s),
            CCond::Fact(f) => s.facts.get(*f).is_some_and(|v| *v >= 0.5),
            CCond::Event(e) => s.events.get(*e).copied().unwrap_or(false),
            CCond::Cmp { lhs, op, rhs } => {
                // timers compare by instant, so they fire exactly when they come due
                // (a timer is true from the instant it comes due, so `<` and `<=` agree)
                if let Some(at) = self.threshold(*lhs, *rhs, s) {
                    return match op {
                        Cmp::Gt | Cmp::Ge => now >= at,
                        Cmp::Lt | Cmp::Le => now < at,
                        Cmp::Eq => now == at,
                        Cmp::Ne => now != at,
                    };
                }
                let (a, b) = (self.value(*lhs, now, s), self.value(*rhs, now, s));
                if a.is_nan() || b.is_nan() {
                    return false; // an unknown fact satisfies no comparison
                }
                match op {
                    Cmp::Eq => a == b,
                    Cmp::Ne => a != b,
                    Cmp::Lt => a < b,
                    Cmp::Le => a <= b,
                    Cmp::Gt => a > b,
                    Cmp::Ge => a >= b,
                }
            }
        }
    }

    /// `next_timer`, computed once per stage visit unless the stage reads idle time.
    fn cached_timer(&mut self, s: &Scratch) -> Option<Time> {
        if let Some(Some(at)) = self.timer_cache {
            if at <= self.now {
                self.timer_cache = None; // it came due: look for the next one
            }
        }
        match self.timer_cache {
            Some(t) if !self.p.stages[self.stage].uses_activity => t,
            _ => {
                let t = self.next_timer(s);
                self.timer_cache = Some(t);
                t
            }
        }
    }

    /// The earliest future instant at which a timer in the current stage comes due.
    fn next_timer(&self, s: &Scratch) -> Option<Time> {
        let st = &self.p.stages[self.stage];
        let mut best: Option<Time> = None;
        for e in &st.exits {
            self.timers_in(&e.when, &mut best, s);
        }
        for e in &st.escalations {
            self.timers_in(&e.when, &mut best, s);
        }
        for c in &st.require {
            self.timers_in(c, &mut best, s);
        }
        best.filter(|b| *b <= self.horizon_end)
    }

    /// The earliest timer threshold after now in a condition (no allocation: plain recursion).
    /// Every comparison of a timer changes its truth at its threshold, whatever the operator
    /// and under `not` too, so each is a moment to re-check the gates.
    fn timers_in(&self, c: &CCond, best: &mut Option<Time>, s: &Scratch) {
        match c {
            CCond::And(v) | CCond::Or(v) => {
                for x in v {
                    self.timers_in(x, best, s);
                }
            }
            CCond::Not(x) => self.timers_in(x, best, s),
            CCond::Cmp { lhs, rhs, .. } => {
                if let Some(at) = self.threshold(*lhs, *rhs, s) {
                    if at > self.now && best.is_none_or(|b| at < b) {
                        *best = Some(at);
                    }
                }
            }
            _ => {}
        }
    }

    fn schedule(&self, from: Time, timing: Timing) -> Time {
        match &self.p.calendar {
            None => super::clock::schedule_plain(from, timing),
            Some(_) => match self.clock {
                Some(c) => c.schedule(from, timing),
                None => f64::INFINITY,
            },
        }
    }

    fn schedule_step(&mut self, step: usize, from: Time, timing: Timing) {
        let at = self.schedule(from, timing);
        self.next_touch = Some((at, step));
    }

    fn enter_stage(&mut self, stage: usize, now: Time, t: &mut Tally, s: &mut Scratch) {
        self.timer_cache = None;
        self.stage = stage;
        self.stage_entry = now;
        s.stage_visits += 1;
        self.stage_visit = s.stage_visits;
        t.stage_entries[stage] += 1;
        s.escalated.clear();
        s.escalated
            .resize(self.p.stages[stage].escalations.len(), false);
        match self.p.stages[stage].terminal {
            Some(won) => self.outcome = Some((won, now)),
            None => {
                let pp = &self.p.populations[self.pop];
                for m in pp.milestones.iter().filter(|m| m.stage == stage) {
                    let repeat = u64::from(self.stage_visit);
                    if self.rng.uniform(m.site, Purpose::Milestone, repeat) < m.p {
                        let delay = self
                            .rng
                            .sample(&m.delay, m.site ^ repeat, Purpose::MilestoneDelay)
                            .max(0.0);
                        s.milestones.push((now + delay, m.event, self.stage_visit));
                    }
                }
            }
        }
    }

    fn move_to(&mut self, target: usize, now: Time, t: &mut Tally, s: &mut Scratch) {
        if target == self.stage {
            return;
        }
        let dwell_h = (((now - self.stage_entry) / 60.0).max(0.0) as usize)
            .min(t.dwell_hist[self.stage].len() - 1);
        t.dwell_hist[self.stage][dwell_h] += 1;
        t.stage_exits[self.stage][target] += 1;
        self.enter_stage(target, now, t, s);
    }

    /// Try the current stage's exits in order (and escalations); follow chains at one instant.
    fn gates(&mut self, now: Time, t: &mut Tally, s: &mut Scratch) {
        for _ in 0..16 {
            if self.outcome.is_some() {
                return;
            }
            let st = &self.p.stages[self.stage];
            for (i, e) in st.escalations.iter().enumerate() {
                if !s.escalated[i] && self.eval(&e.when, now, s) {
                    s.escalated[i] = true;
                    t.escalations[self.stage][e.role] += 1;
                    if e.task {
                        t.tasks += 1;
                    }
                }
            }
            let required = st.require.iter().all(|c| self.eval(c, now, s));
            let target = st.exits.iter().find_map(|e| {
                let terminal = self.p.stages[e.target].terminal.is_some();
                ((terminal || required) && self.eval(&e.when, now, s)).then_some(e.target)
            });
            match target {
                Some(x) if x != self.stage => self.move_to(x, now, t, s),
                _ => return,
            }
        }
    }

    /// The cadence works one stage: leaving it ends the cadence.
    fn after_stage_change(
        &mut self,
        now: Time,
        t: &mut Tally,
        s: &mut Scratch,
        reason: &mut usize,
    ) {
        if !self.cadence_active {
            return;
        }
        if let Some(cs) = self.p.cadence_stage {
            if self.stage != cs
                && !self.fire_exit(self.p.builtin_exit[STAGE_CHANGE], now, t, s, reason)
            {
                self.end_cadence(reason, STAGE_CHANGED, s);
            }
        }
        if self.outcome.is_some() && self.cadence_active {
            self.end_cadence(reason, STAGE_CHANGED, s);
        }
    }

    fn end_cadence(&mut self, reason: &mut usize, id: usize, s: &mut Scratch) {
        self.cadence_active = false;
        self.next_touch = None;
        s.pending.retain(|e| e.outlives_cadence);
        *reason = id;
    }

    /// A cadence-wide exit listening for `trigger`: apply its effects and end the cadence.
    fn fire_exit(
        &mut self,
        exit: Option<usize>,
        now: Time,
        t: &mut Tally,
        s: &mut Scratch,
        reason: &mut usize,
    ) -> bool {
        if !self.cadence_active {
            return false;
        }
        let p = self.p;
        let Some((name, _, effects)) = exit.and_then(|i| p.exits.get(i)) else {
            return false;
        };
        let id = p.reason_id(name);
        self.end_cadence(reason, id, s);
        self.apply(effects, None, now, t, s, reason);
        true
    }

    fn set_event(
        &mut self,
        ev: usize,
        now: Time,
        t: &mut Tally,
        s: &mut Scratch,
        reason: &mut usize,
    ) {
        if let Some(slot) = s.events.get_mut(ev) {
            if !*slot {
                *slot = true;
                self.last_activity = self.last_activity.max(now);
                self.fire_exit(
                    self.p.event_exit.get(ev).copied().flatten(),
                    now,
                    t,
                    s,
                    reason,
                );
            }
        }
    }

    /// Apply effects; `from_step` is the step whose rule fired (for jumps and their bounds).
    fn apply(
        &mut self,
        e: &Effects,
        from_step: Option<(usize, usize)>,
        now: Time,
        t: &mut Tally,
        s: &mut Scratch,
        reason: &mut usize,
    ) {
        let p = self.p;
        for ev in &e.set {
            self.set_event(*ev, now, t, s, reason);
        }
        t.tasks += e.tasks.len() as u64;
        if let Flow::Exit(r) = &e.flow {
            if self.cadence_active {
                self.end_cadence(reason, p.reason_id(r), s);
            }
        }
        if let Some(st) = e.stage {
            self.move_to(st, now, t, s);
        }
        self.gates(now, t, s);
        if !self.cadence_active {
            return;
        }
        if let (Flow::Jump { step, bound }, Some((from, rule))) = (&e.flow, from_step) {
            let slot = from * 8 + rule.min(7);
            let used = s.jumps.get(slot).copied().unwrap_or(0);
            if bound.is_none_or(|b| used < b) {
                if let Some(x) = s.jumps.get_mut(slot) {
                    *x += 1;
                }
                self.schedule_step(*step, now, p.steps[*step].timing);
            }
        }
    }

    /// Whether a pending outcome raises the cadence-wide `reply` while the cadence runs.
    fn raises_reply(&self, e: &Pending) -> bool {
        self.p.steps[e.step].kinds[e.outcome] == Kind::Reply
    }

    /// The cadence exit that listens for what an outcome raises (bounce, unsubscribe, meeting
    /// booked, reply); such an exit wins over the step's own rule for that outcome.
    fn exit_for(&self, kind: Kind) -> Option<usize> {
        let i = match kind {
            Kind::Reply => REPLY,
            Kind::Bounce => BOUNCE,
            Kind::Unsubscribe => UNSUBSCRIBE,
            Kind::Booked => MEETING_BOOKED,
            Kind::Engaged | Kind::Other => return None,
        };
        self.p.builtin_exit[i]
    }

    /// The last instant a rule's `within D` admits for a touch made at `touch` (on the calendar
    /// for business durations).
    fn deadline(&self, touch: Time, within: Option<Delay>) -> Time {
        match within {
            None => f64::INFINITY,
            Some(Delay::Zero) => touch,
            Some(Delay::Wall { minutes }) => touch + minutes as f64,
            Some(d) => self.schedule(touch, Timing::after(d)),
        }
    }

    /// A touch: draw what happens and when, decide which `on` rule each happening applies
    /// (at most one rule per instant, each rule at most once per touch; `otherwise` when none
    /// will), react to what happens now, keep the rest for later, move on.
    fn touch(
        &mut self,
        step: usize,
        now: Time,
        t: &mut Tally,
        s: &mut Scratch,
        reason: &mut usize,
    ) {
        let p = self.p;
        let sp = &p.steps[step];
        // an elastic or dated step due now may be passed over: no touch, on to the next step
        let outside = sp.window.is_some_and(|(a, b)| now < a || now >= b);
        if outside || sp.skip.as_ref().is_some_and(|c| self.eval(c, now, s)) {
            t.step_skipped[step] += 1;
            if let Some(n) = sp.next_in_track {
                self.schedule_step(n, now, p.steps[n].timing);
            }
            return;
        }
        self.touches += 1;
        self.last_activity = now;
        t.touches_by_channel[sp.channel as usize] += 1;
        t.step_reached[step] += 1;
        let visit = u64::from(s.touched[step]);
        s.touched[step] += 1;
        let variant = if sp.variant_cum.is_empty() {
            0
        } else {
            let u = self.rng.uniform(sp.site, Purpose::Variant, 0);
            sp.variant_cum
                .iter()
                .position(|c| u < *c)
                .unwrap_or(sp.variant_cum.len() - 1)
        };
        let pp = &p.populations[self.pop];
        let rates = pp.rates[step].get(variant).copied().unwrap_or([0.0; 6]);
        // fatigue discounts every touch after the first; an agreed meeting is not a cold touch
        let mult = if sp.channel == Channel::Meeting || pp.fatigue == 1.0 {
            self.responsiveness
        } else {
            self.responsiveness * pp.fatigue.powi(self.touches as i32 - 1)
        };
        let delays = Delays {
            reply: pp.reply_after.as_ref(),
            open: pp.open_after.as_ref(),
            meeting: pp.meeting_after.as_ref(),
        };
        let mut happen = std::mem::take(&mut s.happen);
        let gains = pp.gains[step].get(variant).copied().unwrap_or([1.0; 6]);
        let mult = gains.map(|g| g * mult);
        let has = draw(
            sp.channel,
            &rates,
            &mult,
            &delays,
            &self.rng,
            sp.site,
            visit,
            &mut happen,
        );
        for (i, h) in has.iter().enumerate() {
            if *h {
                t.step_outcomes[step][i] += 1;
            }
        }
        // leads open and reply in their waking hours
        if let Some(tz) = p.lead_tz {
            for h in happen
                .iter_mut()
                .filter(|h| read_by_lead(sp.channel, h.outcome))
            {
                h.after = waking(now + h.after, tz) - now;
            }
            happen.sort_by(|a, b| a.after.total_cmp(&b.after));
        }
        // decide the rules: in time order, the first rule (source order) whose outcome this is,
        // whose count is reached and whose window admits it, unless a cadence exit takes it
        let mut rule_of = [None::<usize>; 24];
        let mut fired_rules: u64 = 0;
        let mut any_rule = false;
        let n = happen.len().min(24);
        let mut j0 = 0;
        while j0 < n {
            // the happenings of one instant; of the rules they would apply, the first in source
            // order applies
            // (a reply is a moment of its own, after what the touch itself brings)
            let at_rel = happen[j0].after;
            let is_reply = |j: usize| sp.kinds[happen[j].outcome] == Kind::Reply;
            let reply0 = is_reply(j0);
            let j1 = (j0..n)
                .find(|j| happen[*j].after != at_rel || is_reply(*j) != reply0)
                .unwrap_or(n);
            let at = now + at_rel;
            let mut best: Option<(usize, usize)> = None;
            for j in j0..j1 {
                let h = happen[j];
                if self.exit_for(sp.kinds[h.outcome]).is_some() {
                    continue;
                }
                let seen_now = happen[..=j]
                    .iter()
                    .filter(|x| x.outcome == h.outcome)
                    .count() as u32;
                let seen_before = s
                    .pending
                    .iter()
                    .filter(|e| e.step == step && e.outcome == h.outcome && e.at <= at)
                    .count() as u32;
                let count = s.counts[step * 6 + h.outcome] + seen_before + seen_now;
                let rule = sp.rules.iter().enumerate().find(|(k, r)| {
                    fired_rules & (1 << (*k).min(63)) == 0
                        && r.outcome == h.outcome
                        && count >= r.times
                        && at <= self.deadline(now, r.within)
                });
                if let Some((k, _)) = rule {
                    if best.is_none_or(|(bk, _)| k < bk) {
                        best = Some((k, j));
                    }
                }
            }
            if let Some((k, j)) = best {
                fired_rules |= 1 << k.min(63);
                rule_of[j] = Some(k);
                any_rule = true;
            }
            j0 = j1;
        }
        // what happens later waits (opens, clicks, replies, the meeting itself: even at the
        // instant of its booking, a meeting comes after the booking and outlives the cadence)
        let later = |h: &Happening| {
            h.after > 0.0
                || sp.kinds[h.outcome] == Kind::Reply
                || (sp.channel == Channel::Meeting && h.outcome != 0)
        };
        for (j, h) in happen.iter().enumerate() {
            if later(h) {
                s.pending.push(Pending {
                    at: now + h.after,
                    step,
                    outcome: h.outcome,
                    rule: rule_of.get(j).copied().flatten(),
                    outlives_cadence: sp.channel == Channel::Meeting,
                });
            }
        }
        // what happens now: counts, cadence exits, then the rule of this instant
        let mut fired = false;
        let mut rule_now = None;
        for (j, h) in happen.iter().enumerate() {
            if later(h) {
                continue;
            }
            s.counts[step * 6 + h.outcome] += 1;
            if let Some(x) = self.exit_for(sp.kinds[h.outcome]) {
                fired |= self.fire_exit(Some(x), now, t, s, reason);
            }
            if rule_now.is_none() {
                rule_now = rule_of.get(j).copied().flatten();
            }
        }
        s.happen = happen;
        if fired || !self.cadence_active {
            return;
        }
        if let Some(k) = rule_now {
            self.apply(&sp.rules[k].effects, Some((step, k)), now, t, s, reason);
        } else if !any_rule {
            if let Some(o) = &sp.otherwise {
                self.apply(o, Some((step, 7)), now, t, s, reason);
            }
        }
        // fall through to the next step of the track unless a rule jumped or ended the cadence
        // (a jump refused by its bound falls through too)
        if self.cadence_active && self.next_touch.is_none() {
            if let Some(n) = sp.next_in_track {
                self.schedule_step(n, now, p.steps[n].timing);
            }
        }
    }

    /// A later outcome of a touch happens: a reply raises `reply` (its cadence exit wins), then
    /// the rule decided at the touch applies. A meeting's rule applies even after the cadence
    /// ended, without its flow (a jump or exit has no cadence left to act on).
    fn happen(&mut self, ev: Pending, t: &mut Tally, s: &mut Scratch, reason: &mut usize) {
        let p = self.p;
        let sp = &p.steps[ev.step];
        let now = ev.at;
        let kind = sp.kinds[ev.outcome];
        if let Some(c) = s.counts.get_mut(ev.step * 6 + ev.outcome) {
            *c += 1;
        }
        if kind == Kind::Reply {
            if !self.cadence_active {
                return;
            }
            self.last_activity = self.last_activity.max(now);
            if self.fire_exit(p.builtin_exit[REPLY], now, t, s, reason) {
                return;
            }
        }
        let Some(k) = ev.rule else { return };
        let effects = &sp.rules[k].effects;
        if self.cadence_active {
            // a jump replaces the touch already planned; `continue` (or a refused jump) keeps it
            let planned = self.next_touch.take();
            self.apply(effects, Some((ev.step, k)), now, t, s, reason);
            if self.cadence_active && self.next_touch.is_none() {
                self.next_touch = planned;
            }
        } else if ev.outlives_cadence {
            let without_flow = Effects {
                flow: Flow::Continue,
                ..effects.clone()
            };
            self.apply(&without_flow, None, now, t, s, reason);
        }
    }

    /// For a lead open at the horizon: which parts of its stage's exits were false.
    fn held_back(&self, t: &mut Tally, s: &Scratch) {
        let st = &self.p.stages[self.stage];
        for (k, e) in st.exits.iter().enumerate() {
            let parts: Vec<&CCond> = match &e.when {
                CCond::And(v) => v.iter().collect(),
                other => vec![other],
            };
            for (j, c) in parts.iter().enumerate().take(16) {
                if !self.eval(c, self.horizon_end, s) {
                    t.held_back[self.stage][k][j] += 1;
                }
            }
        }
    }
}
