//! The oracle's lead process: probability mass over the lead's discrete state, propagated event
//! by event in time order (touches, later outcomes, milestones, timers), every branch of every
//! touch enumerated, equal states merged. The mass is a vector over integration nodes (values of
//! the lead's responsiveness), so one walk serves the whole integral. Semantics as in
//! docs/simulation.md, "The model of one lead"; at one instant the touch comes first, then the
//! later outcomes in the order their touches made them, then milestones, then timers.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::{Hash, Hasher};

use crate::calendar::{Delay, Timing};
use crate::model::{Channel, Cond, Effects, Flow};

use super::cond::{eval, timers, Env, FV};
use super::spec::{PopS, Spec, ACTIVE, EXHAUSTED, STAGE_CHANGED};
use super::touch::Delays;
use super::Layout;

mod at_touch;

/// A time (minutes since the epoch) compared and hashed by its bits.
#[derive(Debug, Clone, Copy)]
pub struct F(pub f64);
impl PartialEq for F {
    fn eq(&self, o: &F) -> bool {
        self.0.to_bits() == o.0.to_bits()
    }
}
impl Eq for F {}
impl Hash for F {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.0.to_bits().hash(h);
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Pend {
    at: F,
    step: usize,
    outcome: usize,
    rule: Option<usize>,
    /// a meeting's result: it takes place whether or not the cadence goes on
    outlives: bool,
    reply: bool,
}

/// A milestone that may happen: its coin is tossed when it comes due (the toss is independent
/// of everything else, so deferring it changes no probability).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Mile {
    at: F,
    event: usize,
    p: F,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct St {
    val: usize,
    now: F,
    stage: usize,
    entry: F,
    last: F,
    touches: u32,
    active: bool,
    reason: usize,
    next: Option<(F, usize)>,
    pend: Vec<Pend>,
    miles: Vec<Mile>,
    events: u64,
    escalated: u64,
    /// counts of (step, outcome) pairs some `N times` rule (N ≥ 2) reads, capped at the largest N
    counts: Vec<u32>,
    /// uses of each bounded jump
    jumps: Vec<u32>,
    /// the variant of each step with variants (0: not drawn yet)
    variants: Vec<u8>,
    outcome: Option<(bool, F)>,
}

/// Why a walk stopped before the end.
#[derive(Debug)]
pub struct TooLarge(pub usize);

pub struct Walk<'a> {
    pub spec: &'a Spec,
    pub pop: &'a PopS,
    pub layout: &'a Layout,
    /// responsiveness at each node, and the node's Kronrod weight
    pub r: Vec<f64>,
    pub kw: Vec<f64>,
    pub delays: Delays,
    pub valuations: &'a [Vec<FV>],
    pub enroll: f64,
    pub horizon_end: f64,
    pub max_states: usize,
    /// accumulators, [quantity][node]
    pub acc: Vec<Vec<f64>>,
    /// (cycle minutes, mass) of won leads; (stage, dwell minutes, mass) of completed stays
    pub cycles: Vec<(f64, f64)>,
    pub dwells: Vec<(usize, f64, f64)>,
    /// (step, outcome) → slot in `St::counts`, with its cap
    tracked: HashMap<(usize, usize), (usize, u32)>,
    /// (step, rule or usize::MAX for otherwise) → slot in `St::jumps`
    jump_slot: HashMap<(usize, usize), usize>,
    variant_slot: Vec<Option<usize>>,
    /// steps whose number of opens matters (rules on `opened` that a later open can apply)
    count_opens: Vec<bool>,
    frontier: HashMap<St, Vec<f64>>,
    queue: BinaryHeap<Reverse<(u64, u64, usize)>>,
    queued: Vec<St>,
    seq: u64,
    pub expanded: usize,
    cal_cache: HashMap<(u64, Timing), f64>,
}

const OTHERWISE: usize = usize::MAX;

fn ord(t: f64) -> u64 {
    // order-preserving bits of a finite non-negative time
    t.max(0.0).to_bits()
}

impl<'a> Walk<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        spec: &'a Spec,
        pop: &'a PopS,
        layout: &'a Layout,
        r: Vec<f64>,
        kw: Vec<f64>,
        delays: Delays,
        valuations: &'a [Vec<FV>],
        enroll: f64,
        horizon: f64,
        max_states: usize,
    ) -> Walk<'a> {
        let n = r.len();
        let mut tracked = HashMap::new();
        let mut jump_slot = HashMap::new();
        let mut variant_slot = Vec::new();
        let mut count_opens = Vec::new();
        let mut nv = 0;
        for (si, s) in spec.steps.iter().enumerate() {
            for r in &s.rules {
                if r.times >= 2 {
                    let next = tracked.len();
                    let e = tracked.entry((si, r.outcome)).or_insert((next, 0));
                    e.1 = e.1.max(r.times);
                }
            }
            for (k, e) in s
                .rules
                .iter()
                .map(|r| &r.effects)
                .enumerate()
                .chain(s.otherwise.iter().map(|o| (OTHERWISE, o)))
            {
                if Spec::bounded(e).is_some() {
                    let next = jump_slot.len();
                    jump_slot.insert((si, k), next);
                }
            }
            variant_slot.push((!s.variants.is_empty()).then(|| {
                nv += 1;
                nv - 1
            }));
            // a later open can apply a rule on `opened` whenever the first open does not (another
            // rule takes its instant, a count is not reached yet), so count them with any such rule
            count_opens.push(s.channel == Channel::Email && s.rules.iter().any(|r| r.outcome == 1));
        }
        Walk {
            spec,
            pop,
            layout,
            acc: vec![vec![0.0; n]; layout.len],
            r,
            kw,
            delays,
            valuations,
            enroll,
            horizon_end: enroll + horizon,
            max_states,
            cycles: Vec::new(),
            dwells: Vec::new(),
            tracked,
            jump_slot,
            variant_slot,
            count_opens,
            frontier: HashMap::new(),
            queue: BinaryHeap::new(),
            queued: Vec::new(),
            seq: 0,
            expanded: 0,
            cal_cache: HashMap::new(),
        }
    }

    fn add(&mut self, q: usize, m: &[f64]) {
        for (a, b) in self.acc[q].iter_mut().zip(m) {
            *a += b;
        }
    }

    fn add_scaled(&mut self, q: usize, m: &[f64], k: f64) {
        for (a, b) in self.acc[q].iter_mut().zip(m) {
            *a += b * k;
        }
    }

    fn weight(&self, m: &[f64]) -> f64 {
        m.iter().zip(&self.kw).map(|(a, b)| a * b).sum()
    }

    /// Run every lead of valuation `val` (mass `p` per node) to its end.
    pub fn run(&mut self, val: usize, p: f64) -> Result<(), TooLarge> {
        let n = self.r.len();
        let m = vec![p; n];
        let mut st = St {
            val,
            now: F(self.enroll),
            stage: self.spec.start_stage,
            entry: F(self.enroll),
            last: F(self.enroll),
            touches: 0,
            active: true,
            reason: ACTIVE,
            next: None,
            pend: Vec::new(),
            miles: Vec::new(),
            events: 0,
            escalated: 0,
            counts: vec![0; self.tracked.len()],
            jumps: vec![0; self.jump_slot.len()],
            variants: vec![0; self.variant_slot.iter().flatten().count()],
            outcome: None,
        };
        for e in &self.spec.assumed {
            st.events |= 1 << e;
        }
        self.enter_stage(&mut st, self.spec.start_stage, &m);
        if let Some(e) = self.spec.entry {
            let at = self.schedule(self.enroll, self.spec.steps[e].timing);
            st.next = Some((F(at), e));
        }
        self.settle(st, m);
        while let Some(Reverse((_, _, idx))) = self.queue.pop() {
            let st = std::mem::replace(&mut self.queued[idx], placeholder());
            let Some(m) = self.frontier.remove(&st) else {
                continue;
            };
            self.expanded += 1;
            if self.expanded > self.max_states {
                return Err(TooLarge(self.max_states));
            }
            self.expand(st, m);
        }
        Ok(())
    }

    fn env<'s>(&'s self, st: &St, facts: &'s [FV], now: f64) -> Env<'s> {
        Env {
            facts,
            events: st.events,
            now,
            stage_entry: st.entry.0,
            last_activity: st.last.0,
            enroll: self.enroll,
            touches: st.touches,
        }
    }

    fn holds(&self, c: &Cond, st: &St, now: f64) -> bool {
        let facts = &self.valuations[st.val];
        eval(c, &self.env(st, facts, now))
    }

    fn schedule(&mut self, from: f64, timing: Timing) -> f64 {
        match &self.spec.calendar {
            None => crate::simulate::clock::schedule_plain(from, timing),
            Some(cal) => {
                if let Some(t) = self.cal_cache.get(&(from.to_bits(), timing)) {
                    return *t;
                }
                let secs = (from * 60.0).floor();
                let nanos = ((from * 60.0 - secs) * 1e9).round() as u32;
                let t = chrono::DateTime::from_timestamp(secs as i64, nanos.min(999_999_999))
                    .and_then(|dt| cal.schedule(dt, timing))
                    .map(|t| {
                        t.timestamp() as f64 / 60.0 + f64::from(t.timestamp_subsec_nanos()) / 6e10
                    })
                    .unwrap_or(f64::INFINITY);
                self.cal_cache.insert((from.to_bits(), timing), t);
                t
            }
        }
    }

    fn deadline(&mut self, touch: f64, within: Option<Delay>) -> f64 {
        match within {
            None => f64::INFINITY,
            Some(Delay::Zero) => touch,
            Some(Delay::Wall { minutes }) => touch + minutes as f64,
            Some(d) => self.schedule(touch, Timing::after(d)),
        }
    }

    /// Queue a state with its mass (merged with any equal state waiting).
    fn push(&mut self, st: St, m: Vec<f64>) {
        if let Some(have) = self.frontier.get_mut(&st) {
            for (a, b) in have.iter_mut().zip(&m) {
                *a += b;
            }
            return;
        }
        self.seq += 1;
        self.queue
            .push(Reverse((ord(st.now.0), self.seq, self.queued.len())));
        self.queued.push(st.clone());
        self.frontier.insert(st, m);
    }

    /// After an event: gates, the end of the cadence when the deal left its stage or the track
    /// ran out, then the lead goes on, or ends.
    fn settle(&mut self, mut st: St, m: Vec<f64>) {
        let now = st.now.0;
        self.gates(&mut st, now, &m);
        self.after_stage_change(&mut st, now, &m);
        if st.active && st.next.is_none() && !st.pend.iter().any(|p| p.rule.is_some() || p.reply) {
            st.active = false;
            st.reason = EXHAUSTED;
            st.pend.retain(|p| p.outlives);
        }
        let idle = !st.active
            && st.miles.is_empty()
            && st.pend.is_empty()
            && self.next_timer(&st).is_none();
        if st.outcome.is_some() || idle {
            self.finish(&st, &m);
        } else {
            self.push(st, m);
        }
    }

    fn next_timer(&self, st: &St) -> Option<f64> {
        let stage = &self.spec.stages[st.stage];
        let facts = &self.valuations[st.val];
        let env = self.env(st, facts, st.now.0);
        let mut all = Vec::new();
        for (_, c) in &stage.exits {
            timers(c, &env, &mut all);
        }
        for (_, c, _) in &stage.escalations {
            timers(c, &env, &mut all);
        }
        for c in &stage.require {
            timers(c, &env, &mut all);
        }
        all.into_iter()
            .filter(|t| *t > st.now.0 && *t < self.horizon_end)
            .min_by(f64::total_cmp)
    }

    fn finish(&mut self, st: &St, m: &[f64]) {
        let l = self.layout;
        self.add(l.reason(st.reason), m);
        self.add(l.final_stage(st.stage), m);
        match st.outcome {
            Some((true, at)) => {
                let cycle = at.0 - self.enroll;
                self.add(l.won, m);
                self.add_scaled(l.cycle_sum, m, cycle);
                for (i, d) in [30.0, 60.0, 90.0, 180.0].iter().enumerate() {
                    if cycle <= d * 1440.0 {
                        self.add(l.won_by + i, m);
                    }
                }
                let w = self.weight(m);
                self.cycles.push((cycle, w));
            }
            Some((false, _)) => self.add(l.lost, m),
            None => {
                self.add(l.open, m);
                let end = self.horizon_end;
                let stage = &self.spec.stages[st.stage];
                let mut misses = Vec::new();
                for (k, (_, c)) in stage.exits.iter().enumerate() {
                    let parts: Vec<&Cond> = match c {
                        Cond::And(v) => v.iter().collect(),
                        other => vec![other],
                    };
                    for (j, part) in parts.iter().enumerate().take(16) {
                        if !self.holds(part, st, end) {
                            misses.push(l.held_back(st.stage, k, j));
                        }
                    }
                }
                for q in misses {
                    self.add(q, m);
                }
            }
        }
    }

    fn expand(&mut self, mut st: St, m: Vec<f64>) {
        // the next thing that happens, before the horizon; ties: touch, later outcomes (in the
        // order they were made), milestones, timers
        let mut best = self.horizon_end;
        let mut kind = 0;
        let mut which = 0;
        if let Some((t, _)) = st.next {
            if t.0 < best {
                best = t.0;
                kind = 1;
            }
        }
        for (i, p) in st.pend.iter().enumerate() {
            if p.at.0 < best {
                best = p.at.0;
                kind = 2;
                which = i;
            }
        }
        for (i, ms) in st.miles.iter().enumerate() {
            if ms.at.0 < best {
                best = ms.at.0;
                kind = 3;
                which = i;
            }
        }
        if let Some(t) = self.next_timer(&st) {
            if t < best {
                best = t;
                kind = 4;
            }
        }
        st.now = F(best);
        match kind {
            1 => {
                if let Some((_, step)) = st.next.take() {
                    self.touch(st, step, m);
                }
            }
            2 => {
                let p = st.pend.remove(which);
                self.happen(&mut st, p, &m);
                self.settle(st, m);
            }
            3 => {
                let ms = st.miles.remove(which);
                let p = ms.p.0;
                if p < 1.0 {
                    let miss: Vec<f64> = m.iter().map(|x| x * (1.0 - p)).collect();
                    self.settle(st.clone(), miss);
                }
                if p > 0.0 {
                    let hit: Vec<f64> = m.iter().map(|x| x * p).collect();
                    self.set_event(&mut st, ms.event, best, &hit);
                    self.settle(st, hit);
                }
            }
            4 => self.settle(st, m),
            _ => self.finish(&st, &m),
        }
    }

    fn enter_stage(&mut self, st: &mut St, stage: usize, m: &[f64]) {
        let now = st.now.0;
        st.stage = stage;
        st.entry = F(now);
        st.escalated = 0;
        st.miles.clear();
        self.add(self.layout.stage_entry(stage), m);
        match self.spec.stages[stage].terminal {
            Some(won) => st.outcome = Some((won, F(now))),
            None => {
                for ms in self.pop.milestones.iter().filter(|x| x.stage == stage) {
                    if ms.p <= 0.0 {
                        continue;
                    }
                    let delay = match super::quad::law(&ms.delay) {
                        super::quad::Law::Points(p) => p.first().map(|x| x.0).unwrap_or(0.0),
                        super::quad::Law::Continuous(_) => 0.0, // refused before the walk
                    };
                    st.miles.push(Mile {
                        at: F(now + delay.max(0.0)),
                        event: ms.event,
                        p: F(ms.p.min(1.0)),
                    });
                }
            }
        }
    }

    fn move_to(&mut self, st: &mut St, target: usize, m: &[f64]) {
        if target == st.stage {
            return;
        }
        let dwell = st.now.0 - st.entry.0;
        let w = self.weight(m);
        self.dwells.push((st.stage, dwell, w));
        self.add(self.layout.stage_exit(st.stage, target), m);
        self.enter_stage(st, target, m);
    }

    fn gates(&mut self, st: &mut St, now: f64, m: &[f64]) {
        for _ in 0..16 {
            if st.outcome.is_some() {
                return;
            }
            let spec = self.spec;
            let stage = &spec.stages[st.stage];
            for (i, (role, c, task)) in stage.escalations.iter().enumerate() {
                if st.escalated & (1 << i) == 0 && self.holds(c, st, now) {
                    st.escalated |= 1 << i;
                    self.add(self.layout.escalation(st.stage, *role), m);
                    if *task {
                        self.add(self.layout.tasks, m);
                    }
                }
            }
            let required = stage.require.iter().all(|c| self.holds(c, st, now));
            let target = stage.exits.iter().find_map(|(t, c)| {
                let terminal = spec.stages[*t].terminal.is_some();
                ((terminal || required) && self.holds(c, st, now)).then_some(*t)
            });
            match target {
                Some(t) if t != st.stage => self.move_to(st, t, m),
                _ => return,
            }
        }
    }

    fn after_stage_change(&mut self, st: &mut St, now: f64, m: &[f64]) {
        if !st.active {
            return;
        }
        if let Some(cs) = self.spec.cadence_stage {
            if st.stage != cs && !self.fire_exit(st, self.spec.builtin_exit[4], now, m) {
                end_cadence(st, STAGE_CHANGED);
            }
        }
        if st.outcome.is_some() && st.active {
            end_cadence(st, STAGE_CHANGED);
        }
    }

    fn fire_exit(&mut self, st: &mut St, exit: Option<usize>, now: f64, m: &[f64]) -> bool {
        if !st.active {
            return false;
        }
        let spec = self.spec;
        let Some((reason, _, effects)) = exit.and_then(|i| spec.exits.get(i)) else {
            return false;
        };
        end_cadence(st, *reason);
        self.apply(st, effects, None, now, m);
        true
    }

    fn set_event(&mut self, st: &mut St, ev: usize, now: f64, m: &[f64]) {
        if ev >= 64 || st.events & (1 << ev) != 0 {
            return;
        }
        st.events |= 1 << ev;
        st.last = F(st.last.0.max(now));
        let exit = self.spec.event_exit.get(ev).copied().flatten();
        self.fire_exit(st, exit, now, m);
    }

    fn apply(
        &mut self,
        st: &mut St,
        e: &Effects,
        from: Option<(usize, usize)>,
        now: f64,
        m: &[f64],
    ) {
        for ev in &e.set {
            self.set_event(st, *ev, now, m);
        }
        if !e.tasks.is_empty() {
            self.add_scaled(self.layout.tasks, m, e.tasks.len() as f64);
        }
        if let Flow::Exit(r) = &e.flow {
            if st.active {
                end_cadence(st, self.spec.reason_id(r));
            }
        }
        if let Some(target) = e.stage {
            self.move_to(st, target, m);
        }
        self.gates(st, now, m);
        if !st.active {
            return;
        }
        if let (Flow::Jump { step, bound }, Some(key)) = (&e.flow, from) {
            let allowed = match (bound, self.jump_slot.get(&key)) {
                (Some(b), Some(slot)) => {
                    let ok = st.jumps[*slot] < *b;
                    if ok {
                        st.jumps[*slot] += 1;
                    }
                    ok
                }
                _ => true,
            };
            if allowed {
                let at = self.schedule(now, self.spec.steps[*step].timing);
                st.next = Some((F(at), *step));
            }
        }
    }
}

fn end_cadence(st: &mut St, reason: usize) {
    st.active = false;
    st.next = None;
    st.pend.retain(|p| p.outlives);
    st.reason = reason;
}

fn placeholder() -> St {
    St {
        val: 0,
        now: F(0.0),
        stage: 0,
        entry: F(0.0),
        last: F(0.0),
        touches: 0,
        active: false,
        reason: 0,
        next: None,
        pend: Vec::new(),
        miles: Vec::new(),
        events: 0,
        escalated: 0,
        counts: Vec::new(),
        jumps: Vec::new(),
        variants: Vec::new(),
        outcome: None,
    }
}
