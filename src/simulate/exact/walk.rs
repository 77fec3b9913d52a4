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
use super::touch::{self, Atom, Delays};
use super::Layout;

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
            None => {
                let delay = match timing.delay {
                    Delay::Zero => 0.0,
                    Delay::Wall { minutes } => minutes as f64,
                    Delay::BusinessDays(n) => f64::from(n) * 1440.0,
                    Delay::BusinessMinutes(m) => m as f64,
                };
                let t = from + delay;
                match timing.at_clock {
                    Some(clock) => {
                        let at = (t / 1440.0).floor() * 1440.0 + f64::from(clock);
                        if at >= t {
                            at
                        } else {
                            at + 1440.0
                        }
                    }
                    None => t,
                }
            }
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

    fn count(&self, st: &St, step: usize, o: usize) -> u32 {
        self.tracked
            .get(&(step, o))
            .map(|(slot, _)| st.counts[*slot])
            .unwrap_or(0)
    }

    fn bump(&self, st: &mut St, step: usize, o: usize) {
        if let Some((slot, cap)) = self.tracked.get(&(step, o)) {
            st.counts[*slot] = (st.counts[*slot] + 1).min(*cap);
        }
    }

    /// Of the outcomes kept only for a count (no rule, not a reply), the earliest that can still
    /// reach the count's cap are enough: a count at any instant is at least the cap either way.
    fn trim_counted(&self, st: &mut St) {
        for (&(step, o), &(slot, cap)) in &self.tracked {
            let room = cap.saturating_sub(st.counts[slot]) as usize;
            let only_counted =
                |p: &Pend| p.step == step && p.outcome == o && p.rule.is_none() && !p.reply;
            let mut times: Vec<f64> = st
                .pend
                .iter()
                .filter(|p| only_counted(p))
                .map(|p| p.at.0)
                .collect();
            if times.len() <= room {
                continue;
            }
            times.sort_by(f64::total_cmp);
            let limit = if room == 0 {
                f64::NEG_INFINITY
            } else {
                times[room - 1]
            };
            let mut kept = 0;
            st.pend.retain(|p| {
                if !only_counted(p) {
                    return true;
                }
                let keep = kept < room && p.at.0 <= limit;
                kept += usize::from(keep);
                keep
            });
        }
    }

    fn listened(&self, ch: Channel, o: usize) -> bool {
        touch::trigger(ch, o).is_some_and(|t| self.spec.builtin_exit[t].is_some())
    }

    fn touch(&mut self, mut st: St, step: usize, m: Vec<f64>) {
        let spec = self.spec;
        let s = &spec.steps[step];
        let now = st.now.0;
        st.touches += 1;
        st.last = F(now);
        let l = self.layout;
        self.add(l.touches, &m);
        self.add(l.channel(s.channel), &m);
        self.add(l.reached(step), &m);
        let variants: Vec<(usize, f64)> = match self.variant_slot[step] {
            None => vec![(0, 1.0)],
            Some(slot) if st.variants[slot] > 0 => vec![(usize::from(st.variants[slot]) - 1, 1.0)],
            Some(_) => s.variants.iter().copied().enumerate().collect(),
        };
        let fatigue = if s.channel == Channel::Meeting || self.pop.fatigue == 1.0 {
            1.0
        } else {
            self.pop.fatigue.powi(st.touches as i32 - 1)
        };
        for (v, pv) in variants {
            if pv <= 0.0 {
                continue;
            }
            let mut sv = st.clone();
            if let Some(slot) = self.variant_slot[step] {
                sv.variants[slot] = (v + 1) as u8;
            }
            let rates = self.pop.rates[step].get(v).copied().unwrap_or([0.0; 6]);
            let gains = self.pop.gains[step].get(v).copied().unwrap_or([1.0; 6]);
            // atom probabilities per node
            let mut table: Vec<(Atom, Vec<f64>)> = Vec::new();
            for (i, r) in self.r.iter().enumerate() {
                let mult: [f64; 6] = std::array::from_fn(|k| gains[k] * r * fatigue);
                let list = touch::atoms(s.channel, &rates, &mult, self.count_opens[step]);
                if i == 0 {
                    table = list.iter().map(|(a, _)| (*a, Vec::new())).collect();
                }
                for (row, (_, p)) in table.iter_mut().zip(list) {
                    row.1.push(p * pv);
                }
            }
            for (atom, p) in table {
                if p.iter().all(|x| *x <= 0.0) {
                    continue;
                }
                let bm: Vec<f64> = m.iter().zip(&p).map(|(a, b)| a * b).collect();
                for (o, h) in atom.has.iter().enumerate() {
                    if *h {
                        self.add(l.step_outcome(step, o), &bm);
                    }
                }
                let mut sa = sv.clone();
                self.outcomes(&mut sa, step, &atom, &bm);
                self.settle(sa, bm);
            }
        }
    }

    /// What one touch with outcome set `atom` does: rules decided, later outcomes kept, what
    /// happens now applied, then on to the next step.
    fn outcomes(&mut self, st: &mut St, step: usize, atom: &Atom, m: &[f64]) {
        let spec = self.spec;
        let s = &spec.steps[step];
        let now = st.now.0;
        let tz = spec.lead_tz;
        let shift = move |after: f64| match tz {
            Some(z) => crate::simulate::outcomes::waking(now + after, z) - now,
            None => after,
        };
        let hs = touch::happenings(
            s.channel,
            atom,
            &self.delays,
            tz.is_some().then_some(&shift as &dyn Fn(f64) -> f64),
        );
        let reply = |o: usize| touch::is_reply(s.channel, o);
        // decide the rules: per instant (a reply is an instant of its own), the first rule in
        // source order that one of its outcomes can apply; each rule once per touch
        let mut rule_of: Vec<Option<usize>> = vec![None; hs.len()];
        let mut fired = vec![false; s.rules.len()];
        let mut j0 = 0;
        while j0 < hs.len() {
            let (t0, r0) = (hs[j0].0, reply(hs[j0].1));
            let mut j1 = j0;
            while j1 < hs.len() && hs[j1].0 == t0 && reply(hs[j1].1) == r0 {
                j1 += 1;
            }
            let at = now + t0;
            let mut best: Option<(usize, usize)> = None;
            for j in j0..j1 {
                let o = hs[j].1;
                if self.listened(s.channel, o) {
                    continue;
                }
                let earlier = st
                    .pend
                    .iter()
                    .filter(|p| p.step == step && p.outcome == o && p.at.0 <= at)
                    .count() as u32;
                let here = hs[..=j].iter().filter(|h| h.1 == o).count() as u32;
                let count = self.count(st, step, o) + earlier + here;
                for (k, r) in s.rules.iter().enumerate() {
                    if fired[k] || r.outcome != o || count < r.times {
                        continue;
                    }
                    if at > self.deadline(now, r.within) {
                        continue;
                    }
                    if best.is_none_or(|(bk, _)| k < bk) {
                        best = Some((k, j));
                    }
                    break;
                }
            }
            if let Some((k, j)) = best {
                fired[k] = true;
                rule_of[j] = Some(k);
            }
            j0 = j1;
        }
        let any_rule = rule_of.iter().any(Option::is_some);
        let meeting = s.channel == Channel::Meeting;
        let later = |h: &(f64, usize)| h.0 > 0.0 || reply(h.1) || (meeting && h.1 != 0);
        for (j, h) in hs.iter().enumerate() {
            if !later(h) {
                continue;
            }
            let p = Pend {
                at: F(now + h.0),
                step,
                outcome: h.1,
                rule: rule_of[j],
                outlives: meeting,
                reply: reply(h.1),
            };
            // an outcome no rule waits for and nothing counts changes nothing
            if p.rule.is_some() || p.reply || self.tracked.contains_key(&(step, h.1)) {
                st.pend.push(p);
            }
        }
        self.trim_counted(st);
        let mut exited = false;
        let mut rule_now = None;
        for (j, h) in hs.iter().enumerate() {
            if later(h) {
                continue;
            }
            self.bump(st, step, h.1);
            if let Some(t) = touch::trigger(s.channel, h.1) {
                let exit = spec.builtin_exit[t];
                if exit.is_some() {
                    exited |= self.fire_exit(st, exit, now, m);
                }
            }
            if rule_now.is_none() {
                rule_now = rule_of[j];
            }
        }
        if exited || !st.active {
            return;
        }
        if let Some(k) = rule_now {
            self.apply(st, &s.rules[k].effects, Some((step, k)), now, m);
        } else if !any_rule {
            if let Some(o) = &s.otherwise {
                self.apply(st, o, Some((step, OTHERWISE)), now, m);
            }
        }
        if st.active && st.next.is_none() {
            if let Some(n) = s.next {
                let at = self.schedule(now, spec.steps[n].timing);
                st.next = Some((F(at), n));
            }
        }
    }

    /// A later outcome happens: a reply raises `reply` (its exit wins), then the rule decided
    /// at the touch applies; a meeting's rule applies after the cadence ended too, without its
    /// flow.
    fn happen(&mut self, st: &mut St, p: Pend, m: &[f64]) {
        let spec = self.spec;
        let now = p.at.0;
        self.bump(st, p.step, p.outcome);
        if p.reply {
            if !st.active {
                return;
            }
            st.last = F(st.last.0.max(now));
            if self.fire_exit(st, spec.builtin_exit[0], now, m) {
                return;
            }
        }
        let Some(k) = p.rule else { return };
        let effects = &spec.steps[p.step].rules[k].effects;
        if st.active {
            // a jump replaces the touch planned meanwhile; `continue` keeps it
            let planned = st.next.take();
            self.apply(st, effects, Some((p.step, k)), now, m);
            if st.active && st.next.is_none() {
                st.next = planned;
            }
        } else if p.outlives {
            let without_flow = Effects {
                flow: Flow::Continue,
                ..effects.clone()
            };
            self.apply(st, &without_flow, None, now, m);
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
