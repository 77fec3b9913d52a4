//! Shared lives. The engine is a deterministic function of the program, the run and the results
//! of its draws: every random choice goes through [`Draws`]. So a lead whose draws return
//! exactly what one recorded lead's draws returned, call by call, lives that lead's life to the
//! instant, and counts exactly what it counted. Many leads of a simple model share one life
//! (seven emails, no reply): for them the run replays the recorded draws with the lead's own
//! random source and, where every result matches, adds the recorded lead's tally once more
//! instead of running the engine. The answer is the same bytes as without the shared life.
//!
//! A probe of the first leads keeps the lives many of them share, as a trie of their draws; a
//! model whose leads differ from the first draw (arrivals, facts, responsiveness) gets no
//! shared life and pays only the probe.

use super::draws::{Draws, Outside, Sampled, TouchDraw};
use super::engine::{self, RunCtx, Scratch, Time};
use super::observe::{MovedBy, Observer};
use super::outcomes::{Delays, Happening, Has, Plan};
use super::program::{MilestoneP, PopulationP, Program, StepP};
use super::tally::{LeadResult, Tally};
use crate::model::{Channel, Dist};

/// One draw the engine made, with what it was made for and what it returned.
// (recorded only by the probe; the trie keeps the big ones boxed)
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
enum Call {
    Enroll(u64),
    Population(usize),
    Fact {
        i: usize,
        value: u64,
    },
    Responsiveness(u64),
    Variant {
        step: usize,
        variant: usize,
    },
    Touch {
        step: usize,
        visit: u64,
        now: u64,
        plan: Plan,
        delays: [Option<Dist>; 3],
        has: Has,
        out: Vec<Happening>,
        /// the key of the outcome draw and the interval of its values that give this result
        /// with no other draw (`Plan::fixed_interval`): the whole check, where there is one
        fixed: Option<(u64, f64, f64)>,
    },
    Milestone {
        index: usize,
        visit: u32,
        delay: Option<u64>,
    },
    Outside(Vec<(Time, Outside)>),
}

/// The draws of one lead, recorded as the engine makes them.
struct Recorder<'p> {
    inner: Sampled,
    p: &'p Program,
    pop: usize,
    calls: Vec<Call>,
    /// a draw whose arguments could not be named (not from the program): no shared life
    unnamed: bool,
}

impl<'p> Recorder<'p> {
    fn new(ctx: &RunCtx<'p>, lead: u64) -> Recorder<'p> {
        Recorder {
            inner: Sampled::new(ctx.seed, lead),
            p: ctx.program,
            pop: 0,
            calls: Vec::new(),
            unnamed: false,
        }
    }

    fn population_is(&mut self, pp: &PopulationP) {
        if !self
            .p
            .populations
            .get(self.pop)
            .is_some_and(|x| std::ptr::eq(x, pp))
        {
            self.unnamed = true;
        }
    }
}

impl Draws for Recorder<'_> {
    fn enroll(&mut self, p: &Program, start: Time, window: f64) -> Time {
        let t = self.inner.enroll(p, start, window);
        self.calls.push(Call::Enroll(t.to_bits()));
        t
    }
    fn population(&mut self, p: &Program) -> usize {
        let pop = self.inner.population(p);
        self.pop = pop;
        self.calls.push(Call::Population(pop));
        pop
    }
    fn fact(&mut self, p: &Program, pp: &PopulationP, i: usize) -> f64 {
        self.population_is(pp);
        let v = self.inner.fact(p, pp, i);
        self.calls.push(Call::Fact {
            i,
            value: v.to_bits(),
        });
        v
    }
    fn responsiveness(&mut self, pp: &PopulationP) -> f64 {
        self.population_is(pp);
        let v = self.inner.responsiveness(pp);
        self.calls.push(Call::Responsiveness(v.to_bits()));
        v
    }
    fn variant(&mut self, sp: &StepP) -> usize {
        let v = self.inner.variant(sp);
        match self.p.steps.iter().position(|x| std::ptr::eq(x, sp)) {
            Some(step) => self.calls.push(Call::Variant { step, variant: v }),
            None => self.unnamed = true,
        }
        v
    }
    fn touch(&mut self, d: &TouchDraw<'_>, out: &mut Vec<Happening>) -> Has {
        let has = self.inner.touch(d, out);
        let key = d.keys().outcome_key();
        let u = self.inner.rng.uniform_at(key);
        let fixed = d.plan.fixed_interval(u).map(|(lo, hi)| (key, lo, hi));
        if !self
            .p
            .steps
            .get(d.step)
            .is_some_and(|x| std::ptr::eq(x, d.sp))
        {
            self.unnamed = true;
        }
        self.calls.push(Call::Touch {
            step: d.step,
            visit: d.visit,
            now: d.now.to_bits(),
            plan: *d.plan,
            delays: [
                d.delays.reply.cloned(),
                d.delays.open.cloned(),
                d.delays.meeting.cloned(),
            ],
            has,
            out: out.clone(),
            fixed,
        });
        has
    }
    fn milestone(&mut self, m: &MilestoneP, visit: u32) -> Option<f64> {
        let delay = self.inner.milestone(m, visit);
        let pp = self.p.populations.get(self.pop);
        match pp.and_then(|pp| pp.milestones.iter().position(|x| std::ptr::eq(x, m))) {
            Some(index) => self.calls.push(Call::Milestone {
                index,
                visit,
                delay: delay.map(f64::to_bits),
            }),
            None => self.unnamed = true,
        }
        delay
    }
    fn outside(&mut self, enroll: Time, out: &mut Vec<(Time, Outside)>) {
        let from = out.len();
        self.inner.outside(enroll, out);
        self.calls.push(Call::Outside(out[from..].to_vec()));
    }
}

/// An observer that keeps nothing (the probe compares draws only).
struct Unobserved;

impl Observer for Unobserved {
    fn cadence_started(&mut self, _: usize, _: Time) {}
    fn cadence_ended(&mut self, _: usize, _: usize, _: Time) {}
    fn touched(&mut self, _: usize, _: Channel, _: Time) {}
    fn skipped(&mut self, _: usize, _: Time) {}
    fn outcomes(&mut self, _: usize, _: Has) {}
    fn tasks(&mut self, _: usize, _: Time) {}
    fn stage_entered(&mut self, _: usize, _: Time) {}
    fn stage_left(&mut self, _: usize, _: usize, _: f64, _: MovedBy, _: Time) {}
    fn escalated(&mut self, _: usize, _: usize, _: usize, _: bool, _: Time) {}
    fn held_back(&mut self, _: usize, _: usize, _: usize) {}
    fn finished(&mut self, _: usize, _: u32, _: Option<(bool, Time)>, _: Time) {}
}

/// What one recorded draw is checked by: its outcome draw's interval (`Call::Touch::fixed`),
/// or the whole call made again.
#[derive(Debug, Clone, PartialEq)]
enum Check {
    Outcome { key: u64, lo: f64, hi: f64 },
    Call(Box<Call>),
}

/// A life leads share: what one lead living it counts.
pub struct Life {
    pub tally: Tally,
    pub result: LeadResult,
}

/// A node of the lives' trie: a check, then the nodes that follow it (most shared first), or
/// the life whose draws end here.
struct Node {
    check: Check,
    next: Vec<usize>,
    life: Option<usize>,
}

/// The lives many leads of a run share, as a trie of their draws: lives that begin with the
/// same draws share those checks, so a lead is checked once per draw it makes.
pub struct SharedLives {
    pub lives: Vec<Life>,
    nodes: Vec<Node>,
    roots: Vec<usize>,
    /// the population and enrolment of every lead where these make no draw (no check)
    pop: usize,
    enroll: Time,
    /// the life of every lead, where it makes no draw at all
    always: Option<usize>,
}

/// How many leads the probe runs; the share of them a life needs (1 in `MIN_SHARE`); at most
/// how many lives are kept.
const PROBE: u64 = 1024;
const MIN_SHARE: usize = 128;
const MAX_LIVES: usize = 32;

impl SharedLives {
    /// The lives that many of the first leads share, if any.
    pub fn probe(ctx: &RunCtx<'_>, hours: usize, count: u64) -> Option<SharedLives> {
        let mut s = Scratch::default();
        // (lead, draws, how many of the probe share them)
        let mut seen: Vec<(u64, Vec<Call>, usize)> = Vec::new();
        let probed = PROBE.min(count);
        for i in 0..probed {
            let mut rec = Recorder::new(ctx, i);
            engine::run_lead_with(ctx, &mut rec, &mut Unobserved, &mut s);
            if rec.unnamed {
                return None;
            }
            match seen.iter_mut().find(|(_, calls, _)| *calls == rec.calls) {
                Some((_, _, n)) => *n += 1,
                None => seen.push((i, rec.calls, 1)),
            }
            // leads that differ from the first draw (arrivals, facts) share nothing: stop early
            if i + 1 == PROBE / 8 && seen.len() as u64 == PROBE / 8 {
                return None;
            }
        }
        // most shared first; of equals, the earlier (the probe's order is fixed)
        seen.sort_by_key(|(lead, _, n)| (std::cmp::Reverse(*n), *lead));
        let need = (probed as usize).div_ceil(MIN_SHARE).max(2);
        let mut shared = SharedLives {
            lives: Vec::new(),
            nodes: Vec::new(),
            roots: Vec::new(),
            pop: 0,
            enroll: ctx.start,
            always: None,
        };
        for (lead, calls, _) in seen.into_iter().filter(|x| x.2 >= need).take(MAX_LIVES) {
            let mut tally = Tally::new(ctx.program, hours);
            let mut rec = Recorder::new(ctx, lead);
            let result = engine::run_lead_with(ctx, &mut rec, &mut tally, &mut s);
            // the engine is deterministic: the same lead makes the same draws again
            if rec.calls != calls {
                return None;
            }
            shared.insert(ctx.program, calls);
            shared.lives.push(Life { tally, result });
        }
        (!shared.lives.is_empty()).then_some(shared)
    }

    /// Add the checks of the next life to the trie.
    fn insert(&mut self, p: &Program, calls: Vec<Call>) {
        let life = self.lives.len();
        let mut at: Option<usize> = None;
        let mut pop = 0;
        for call in calls {
            // a call that makes no draw returns the same for every lead: nothing to check
            let pp = p.populations.get(pop);
            let fixed = match &call {
                Call::Enroll(t) => {
                    let fixed = !Sampled::enroll_draws(p);
                    if fixed {
                        self.enroll = f64::from_bits(*t);
                    }
                    fixed
                }
                Call::Population(x) => {
                    pop = *x;
                    let fixed = !Sampled::population_draws(p);
                    if fixed {
                        self.pop = *x;
                    }
                    fixed
                }
                Call::Fact { i, .. } => pp.is_some_and(|pp| !Sampled::fact_draws(pp, *i)),
                Call::Responsiveness(_) => pp.is_some_and(|pp| !Sampled::responsiveness_draws(pp)),
                Call::Outside(v) => v.is_empty(),
                _ => false,
            };
            if fixed {
                continue;
            }
            let check = match call {
                Call::Touch {
                    fixed: Some((key, lo, hi)),
                    ..
                } => Check::Outcome { key, lo, hi },
                c => Check::Call(Box::new(c)),
            };
            let level = match at {
                Some(n) => &self.nodes[n].next,
                None => &self.roots,
            };
            let found = level
                .iter()
                .copied()
                .find(|k| self.nodes[*k].check == check);
            let node = match found {
                Some(k) => k,
                None => {
                    self.nodes.push(Node {
                        check,
                        next: Vec::new(),
                        life: None,
                    });
                    let k = self.nodes.len() - 1;
                    match at {
                        Some(n) => self.nodes[n].next.push(k),
                        None => self.roots.push(k),
                    }
                    k
                }
            };
            at = Some(node);
        }
        match at {
            Some(n) => self.nodes[n].life = Some(life),
            None => self.always = Some(life),
        }
    }

    /// The life lead `index` lives, if it is one of these: its draws, made with the recorded
    /// arguments, return what a recorded lead's returned, call by call.
    pub fn find(
        &self,
        ctx: &RunCtx<'_>,
        index: u64,
        scratch: &mut Vec<Happening>,
    ) -> Option<usize> {
        let mut d = Sampled::new(ctx.seed, index);
        let mut pop = self.pop;
        let mut enroll = self.enroll;
        if self.always.is_some() {
            return self.always;
        }
        let mut level = &self.roots;
        loop {
            // the draw at this point is the same call for every node of a level, so of the
            // checks that differ only one can pass
            let node = level
                .iter()
                .map(|k| &self.nodes[*k])
                .find(|n| match &n.check {
                    Check::Outcome { key, lo, hi } => {
                        let u = d.rng.uniform_at(*key);
                        *lo <= u && u < *hi
                    }
                    Check::Call(call) => again(call, ctx, &mut d, &mut pop, &mut enroll, scratch),
                })?;
            if node.next.is_empty() {
                return node.life;
            }
            level = &node.next;
        }
    }
}

/// Make recorded draw `call` again with `d`: whether it returns what it returned.
fn again(
    call: &Call,
    ctx: &RunCtx<'_>,
    d: &mut Sampled,
    pop: &mut usize,
    enroll: &mut Time,
    scratch: &mut Vec<Happening>,
) -> bool {
    let p = ctx.program;
    match call {
        Call::Enroll(t) => {
            *enroll = d.enroll(p, ctx.start, ctx.arrival_window);
            enroll.to_bits() == *t
        }
        Call::Population(x) => {
            *pop = d.population(p);
            *pop == *x
        }
        Call::Fact { i, value } => p
            .populations
            .get(*pop)
            .is_some_and(|pp| d.fact(p, pp, *i).to_bits() == *value),
        Call::Responsiveness(v) => p
            .populations
            .get(*pop)
            .is_some_and(|pp| d.responsiveness(pp).to_bits() == *v),
        Call::Variant { step, variant } => p
            .steps
            .get(*step)
            .is_some_and(|sp| d.variant(sp) == *variant),
        Call::Touch {
            step,
            visit,
            now,
            plan,
            delays,
            has,
            out,
            ..
        } => p.steps.get(*step).is_some_and(|sp| {
            let delays = Delays {
                reply: delays[0].as_ref(),
                open: delays[1].as_ref(),
                meeting: delays[2].as_ref(),
            };
            let draw = TouchDraw {
                step: *step,
                sp,
                plan,
                delays: &delays,
                visit: *visit,
                now: f64::from_bits(*now),
            };
            d.touch(&draw, scratch) == *has && scratch == out
        }),
        Call::Milestone {
            index,
            visit,
            delay,
        } => p
            .populations
            .get(*pop)
            .and_then(|pp| pp.milestones.get(*index))
            .is_some_and(|m| d.milestone(m, *visit).map(f64::to_bits) == *delay),
        Call::Outside(v) => {
            let mut got = Vec::new();
            d.outside(*enroll, &mut got);
            got == *v
        }
    }
}
