//! One lead as a small discrete-event process: touches on the calendar, one outcome draw per
//! touch, `on` rules and cadence exits, stage gates when facts, events or timers change,
//! milestones, escalations, and censoring at the horizon. All aggregates are integers, so sums
//! over any split of the leads (any thread count) are identical.

use crate::calendar::{Delay, Timing};
use crate::model::{Builtin, Channel, Cmp, Effects, Flow};

use super::clock::SimClock;
use super::program::{
    is_positive, shape, CCond, COperand, Kind, Program, ACTIVE, EXHAUSTED, STAGE_CHANGED,
};
use super::random::{LeadRng, Purpose};

/// Minutes since the Unix epoch.
pub type Time = f64;

/// Everything counted over leads. Only integers, so merging is exact in any order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    pub leads: u64,
    pub enrolled: u64,
    pub won: u64,
    pub lost: u64,
    pub open: u64,
    /// won within 30, 60, 90, 180 days of enrollment
    pub won_by: [u64; 4],
    pub cycle_minutes_sum: u128,
    /// sum of squared cycle minutes (for the standard error of the mean)
    pub cycle_minutes_sq_sum: u128,
    /// cycle time of won leads, in hours
    pub cycle_hist: Vec<u64>,
    pub touches: u64,
    pub touches_sq_sum: u64,
    pub touches_by_channel: [u64; 7],
    pub reasons: Vec<u64>,
    pub final_stage: Vec<u64>,
    pub step_reached: Vec<u64>,
    /// [step][outcome]
    pub step_outcomes: Vec<[u64; 6]>,
    pub stage_entries: Vec<u64>,
    /// dwell per stage, in hours (completed stays only)
    pub dwell_hist: Vec<Vec<u64>>,
    /// [from][to]
    pub stage_exits: Vec<Vec<u64>>,
    /// [stage][role]
    pub escalations: Vec<Vec<u64>>,
    pub tasks: u64,
    /// [stage][exit] → leads open at the horizon in that stage; [..][conjunct] false counts
    pub held_back: Vec<Vec<Vec<u64>>>,
}

impl Tally {
    pub fn new(p: &Program, hist_hours: usize) -> Tally {
        let ns = p.stages.len();
        Tally {
            cycle_hist: vec![0; hist_hours + 1],
            reasons: vec![0; p.reasons.len()],
            final_stage: vec![0; ns],
            step_reached: vec![0; p.steps.len()],
            step_outcomes: vec![[0; 6]; p.steps.len()],
            stage_entries: vec![0; ns],
            dwell_hist: vec![vec![0; hist_hours + 1]; ns],
            stage_exits: vec![vec![0; ns]; ns],
            escalations: vec![vec![0; p.roles.len().max(1)]; ns],
            held_back: p
                .stages
                .iter()
                .map(|s| s.exits.iter().map(|_| vec![0; 16]).collect())
                .collect(),
            ..Tally::default()
        }
    }

    pub fn merge(&mut self, o: &Tally) {
        self.leads += o.leads;
        self.enrolled += o.enrolled;
        self.won += o.won;
        self.lost += o.lost;
        self.open += o.open;
        for i in 0..4 {
            self.won_by[i] += o.won_by[i];
        }
        self.cycle_minutes_sum += o.cycle_minutes_sum;
        self.cycle_minutes_sq_sum += o.cycle_minutes_sq_sum;
        self.touches_sq_sum += o.touches_sq_sum;
        add(&mut self.cycle_hist, &o.cycle_hist);
        self.touches += o.touches;
        for i in 0..7 {
            self.touches_by_channel[i] += o.touches_by_channel[i];
        }
        add(&mut self.reasons, &o.reasons);
        add(&mut self.final_stage, &o.final_stage);
        add(&mut self.step_reached, &o.step_reached);
        for (a, b) in self.step_outcomes.iter_mut().zip(&o.step_outcomes) {
            for i in 0..6 {
                a[i] += b[i];
            }
        }
        add(&mut self.stage_entries, &o.stage_entries);
        for (a, b) in self.dwell_hist.iter_mut().zip(&o.dwell_hist) {
            add(a, b);
        }
        for (a, b) in self.stage_exits.iter_mut().zip(&o.stage_exits) {
            add(a, b);
        }
        for (a, b) in self.escalations.iter_mut().zip(&o.escalations) {
            add(a, b);
        }
        self.tasks += o.tasks;
        for (a, b) in self.held_back.iter_mut().zip(&o.held_back) {
            for (x, y) in a.iter_mut().zip(b) {
                add(x, y);
            }
        }
    }
}

fn add(a: &mut [u64], b: &[u64]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

/// How one lead ended, for paired comparisons.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeadResult {
    pub enrolled: bool,
    pub won: bool,
    /// minutes from enrollment to won (0 when not won)
    pub cycle_minutes: f64,
}

/// Per-thread scratch space, reused across leads (no allocation per lead after warm-up).
#[derive(Default)]
pub struct Scratch {
    facts: Vec<f64>,
    events: Vec<bool>,
    escalated: Vec<bool>,
    counts: Vec<u32>,
    jumps: Vec<u32>,
    /// (arrival, step, outcome, whether the step's `on replied` rule may fire: within its window)
    replies: Vec<(Time, usize, usize, bool)>,
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
}

pub fn run_lead(ctx: &RunCtx<'_>, index: u64, t: &mut Tally, s: &mut Scratch) -> LeadResult {
    let (p, clock, start, horizon) = (ctx.program, ctx.clock, ctx.start, ctx.horizon);
    let rng = LeadRng::new(ctx.seed, index);
    t.leads += 1;
    let enroll = match p.arrivals_per_day {
        Some(rate) if rate > 0.0 => {
            start + (index as f64 + rng.uniform(0, Purpose::Arrival, 0)) / rate * MIN_PER_DAY
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
            Some(d) => {
                let x = rng.sample(d, p.fact_sites[i], Purpose::Fact);
                match (&p.fact_choice_text[i], d) {
                    (choices, crate::model::Dist::Choice { .. }) if !choices.is_empty() => {
                        choices.get(x as usize).copied().unwrap_or(-1.0)
                    }
                    _ => x,
                }
            }
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
        next_touch: None,
        outcome: None,
    };
    s.events.clear();
    s.events.resize(p.events.len(), false);
    if !lead.eval(&p.enroll, enroll, s) {
        return LeadResult {
            enrolled: false,
            won: false,
            cycle_minutes: 0.0,
        };
    }
    t.enrolled += 1;
    s.counts.clear();
    s.counts.resize(p.steps.len() * 6, 0);
    s.jumps.clear();
    s.jumps.resize(p.steps.len() * 8, 0);
    s.touched.clear();
    s.touched.resize(p.steps.len(), 0);
    s.replies.clear();
    s.milestones.clear();
    s.stage_visits = 0;
    lead.enter_stage(p.start_stage, enroll, t, s);
    if let Some(e) = p.entry {
        lead.schedule_step(e, enroll, p.steps[e].timing);
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
        let mut kind = 0u8; // 0 horizon, 1 touch, 2 reply, 3 milestone, 4 timer
        let mut which = 0usize;
        if let Some((tt, _)) = lead.next_touch {
            if tt < next {
                next = tt;
                kind = 1;
            }
        }
        for (i, r) in s.replies.iter().enumerate() {
            if r.0 < next {
                next = r.0;
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
        lead.now = next;
        match kind {
            1 => {
                if let Some((tt, step)) = lead.next_touch.take() {
                    lead.touch(step, tt, t, s, &mut reason);
                }
            }
            2 => {
                let (tt, step, outcome, rule_ok) = s.replies.swap_remove(which);
                lead.reply(step, outcome, rule_ok, tt, t, s, &mut reason);
            }
            3 => {
                let (tt, ev, visit) = s.milestones.swap_remove(which);
                if visit == lead.stage_visit {
                    lead.set_event(ev, tt, t, s, &mut reason);
                }
            }
            4 => {}
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
        if lead.cadence_active && lead.next_touch.is_none() && s.replies.is_empty() {
            lead.cadence_active = false;
            reason = EXHAUSTED;
        }
        if lead.outcome.is_none()
            && !lead.cadence_active
            && s.milestones.is_empty()
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
    fn threshold(&self, lhs: COperand, rhs: COperand) -> Option<Time> {
        let base = match lhs {
            COperand::Builtin(Builtin::Dwell) => self.stage_entry,
            COperand::Builtin(Builtin::Idle) => self.last_activity,
            COperand::Builtin(Builtin::Age) => self.enroll,
            _ => return None,
        };
        match rhs {
            COperand::Num(m) => Some(base + m),
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
                if let Some(at) = self.threshold(*lhs, *rhs) {
                    return match op {
                        Cmp::Gt | Cmp::Ge => now >= at,
                        Cmp::Lt => now < at,
                        Cmp::Le => now <= at,
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
    fn next_timer(&self, _s: &Scratch) -> Option<Time> {
        let st = &self.p.stages[self.stage];
        let mut best: Option<Time> = None;
        for e in &st.exits {
            self.timers_in(&e.when, &mut best);
        }
        for e in &st.escalations {
            self.timers_in(&e.when, &mut best);
        }
        best.filter(|b| *b <= self.horizon_end)
    }

    /// The earliest timer threshold after now in a condition (no allocation: plain recursion).
    fn timers_in(&self, c: &CCond, best: &mut Option<Time>) {
        match c {
            CCond::And(v) | CCond::Or(v) => {
                for x in v {
                    self.timers_in(x, best);
                }
            }
            CCond::Not(x) => self.timers_in(x, best),
            CCond::Cmp {
                lhs,
                op: Cmp::Gt | Cmp::Ge,
                rhs,
            } => {
                if let Some(at) = self.threshold(*lhs, *rhs) {
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
            None => {
                let delay = match timing.delay {
                    Delay::Zero => 0.0,
                    Delay::Wall { minutes } => minutes as f64,
                    Delay::BusinessDays(n) => f64::from(n) * MIN_PER_DAY,
                    Delay::BusinessMinutes(m) => m as f64,
                };
                let t = from + delay;
                match timing.at_clock {
                    Some(clock) => {
                        let day = (t / MIN_PER_DAY).floor() * MIN_PER_DAY;
                        let at = day + f64::from(clock);
                        if at >= t {
                            at
                        } else {
                            at + MIN_PER_DAY
                        }
                    }
                    None => t,
                }
            }
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
        s.replies.clear();
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

    /// A touch: draw its outcome, count it, run the matching rule (or `otherwise`), move on.
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
        let rates = p.populations[self.pop].rates[step]
            .get(variant)
            .copied()
            .unwrap_or([0.0; 6]);
        let fatigue = p.populations[self.pop].fatigue;
        let mult = if sp.channel == Channel::Meeting || fatigue == 1.0 {
            self.responsiveness
        } else {
            self.responsiveness * fatigue.powi(self.touches as i32 - 1)
        };
        let outcomes = draw(
            sp.channel, &sp.kinds, &rates, mult, &self.rng, sp.site, visit,
        );
        // count and react
        let mut fired = false;
        let mut pending_reply = None;
        for (i, happened) in outcomes.iter().enumerate() {
            if *happened {
                t.step_outcomes[step][i] += 1;
                s.counts[step * 6 + i] += 1;
            }
        }
        // a lead who opens an email may open it again: each further open with the probability
        // of the first (capped), so `on opened 3 times` can fire on one email
        if sp.channel == Channel::Email && outcomes[1] {
            let p_again = (rates[1] * mult / (1.0 - rates[4]).max(1e-9)).min(0.9);
            let mut extra = 0;
            while extra < 19
                && self
                    .rng
                    .uniform(sp.site, Purpose::Repeat, visit * 32 + extra)
                    < p_again
            {
                extra += 1;
            }
            s.counts[step * 6 + 1] += extra as u32;
        }
        let kind = |i: usize| sp.kinds[i];
        // channel events that cadence exits listen for
        for (i, happened) in outcomes.iter().enumerate() {
            if !*happened {
                continue;
            }
            match kind(i) {
                Kind::Reply => {
                    let delay = p.populations[self.pop]
                        .reply_after
                        .as_ref()
                        .map(|d| {
                            self.rng
                                .sample(d, sp.site ^ visit, Purpose::ReplyDelay)
                                .max(0.0)
                        })
                        .unwrap_or(0.0);
                    let rule_ok = sp
                        .rules
                        .iter()
                        .find(|r| r.outcome == i)
                        .is_some_and(|r| match r.within {
                            Some(w) => delay <= delay_minutes(w),
                            None => true,
                        });
                    pending_reply = Some((now + delay, step, i, rule_ok));
                }
                Kind::Bounce => fired |= self.fire_exit(p.builtin_exit[BOUNCE], now, t, s, reason),
                Kind::Unsubscribe => {
                    fired |= self.fire_exit(p.builtin_exit[UNSUBSCRIBE], now, t, s, reason)
                }
                Kind::Meeting => {
                    fired |= self.fire_exit(p.builtin_exit[MEETING_BOOKED], now, t, s, reason)
                }
                _ => {}
            }
        }
        if fired || !self.cadence_active {
            return;
        }
        // the first matching rule among outcomes that happen now; replies wait for their arrival
        let mut rule_fired = false;
        let mut reply_has_rule = false;
        for (k, r) in sp.rules.iter().enumerate() {
            if !outcomes[r.outcome] {
                continue;
            }
            if kind(r.outcome) == Kind::Reply {
                reply_has_rule = true;
                continue;
            }
            if s.counts[step * 6 + r.outcome] < r.times {
                continue;
            }
            let effects = &r.effects;
            self.apply(effects, Some((step, k)), now, t, s, reason);
            rule_fired = true;
            break;
        }
        if let Some(rp) = pending_reply {
            s.replies.push(rp);
        }
        if !rule_fired && !reply_has_rule {
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

    /// A reply arrives: the cadence exit on `reply` wins, else the step's `on replied` rule.
    #[allow(clippy::too_many_arguments)]
    fn reply(
        &mut self,
        step: usize,
        outcome: usize,
        rule_ok: bool,
        now: Time,
        t: &mut Tally,
        s: &mut Scratch,
        reason: &mut usize,
    ) {
        if !self.cadence_active {
            return;
        }
        self.last_activity = now;
        if self.fire_exit(self.p.builtin_exit[REPLY], now, t, s, reason) {
            return;
        }
        let p = self.p;
        let sp = &p.steps[step];
        if !rule_ok {
            return;
        }
        if let Some((k, r)) = sp
            .rules
            .iter()
            .enumerate()
            .find(|(_, r)| r.outcome == outcome)
        {
            let effects = &r.effects;
            // a jump replaces the touch already planned; `continue` (or a refused jump) keeps it
            let planned = self.next_touch.take();
            self.apply(effects, Some((step, k)), now, t, s, reason);
            if self.cadence_active && self.next_touch.is_none() {
                self.next_touch = planned;
            }
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

/// Draw the outcomes of one touch. Exactly one exclusive outcome (or the remainder, or none);
/// for email, opened and clicked are drawn given delivery (clicked implies opened, a reply
/// implies opened).
#[allow(clippy::too_many_arguments)]
fn draw(
    ch: Channel,
    kinds: &[Kind; 6],
    rates: &[f64; 6],
    mult: f64,
    rng: &LeadRng,
    site: u64,
    visit: u64,
) -> [bool; 6] {
    let sh = shape(ch);
    let mut out = [false; 6];
    // a meeting the lead agreed to is not one more cold touch: the caller passes the lead's
    // responsiveness alone, and whatever it takes from `held` becomes a no-show (the meeting
    // happens or it does not), so meeting outcomes keep their total
    let held_shortfall = if ch == Channel::Meeting {
        (rates[1] - (rates[1] * mult).min(1.0 - rates[2] - rates[3])).max(0.0)
    } else {
        0.0
    };
    let scaled = |i: usize| {
        if ch == Channel::Meeting && i == 2 {
            rates[2] + held_shortfall
        } else if ch == Channel::Meeting && i == 1 {
            rates[1] - held_shortfall
        } else if is_positive(kinds[i]) {
            rates[i] * mult
        } else {
            rates[i]
        }
    };
    let u = rng.uniform(site, Purpose::Outcome, visit);
    let mut acc = 0.0;
    let mut hit = None;
    for &i in sh.exclusive {
        acc += scaled(i);
        if u < acc {
            hit = Some(i);
            break;
        }
    }
    if let Some(i) = hit.or(sh.remainder) {
        out[i] = true;
    }
    match ch {
        Channel::Email => {
            // delivered unless bounced
            out[0] = !out[4];
            if out[0] {
                let delivered = (1.0 - rates[4]).max(1e-9);
                let p_open = (scaled(1) / delivered).min(1.0);
                let opened = out[3] || rng.uniform(site, Purpose::Opened, visit) < p_open;
                out[1] = opened;
                if opened && rates[1] > 0.0 {
                    let p_click = (scaled(2) / scaled(1).max(1e-12)).min(1.0);
                    out[2] = rng.uniform(site, Purpose::Clicked, visit) < p_click;
                }
            }
        }
        Channel::Sms | Channel::Whatsapp => out[0] = !out[2],
        _ => {}
    }
    out
}

fn delay_minutes(d: Delay) -> f64 {
    match d {
        Delay::Zero => 0.0,
        Delay::Wall { minutes } => minutes as f64,
        Delay::BusinessDays(n) => f64::from(n) * MIN_PER_DAY,
        Delay::BusinessMinutes(m) => m as f64,
    }
}
