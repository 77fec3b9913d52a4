//! The engine's first seam: every draw it makes goes through [`Draws`]. [`Sampled`] is the
//! simulation's implementation (keyed by meaning, `random.rs`, `outcomes.rs`); `cadence test`
//! scripts the same calls (`crate::testing::script`), so one engine serves both.
//! The engine is generic over its `Draws`, so the simulation pays nothing for the seam.

use super::engine::Time;
use super::outcomes::{sample, Delays, DrawKeys, Happening, Has, Plan};
use super::program::{MilestoneP, PopulationP, Program, StepP};
use super::random::{LeadRng, Purpose};

/// What a touch draws from: its step, its plan (the rates and multipliers in force), the
/// delays of the population, the repeat key and the instant of the touch.
pub struct TouchDraw<'a> {
    /// global step index
    pub step: usize,
    pub sp: &'a StepP,
    pub plan: &'a Plan,
    pub delays: &'a Delays<'a>,
    /// the step's n-th touch of the lead
    pub visit: u64,
    pub now: Time,
}

impl TouchDraw<'_> {
    /// What keys the touch's draws.
    #[inline]
    pub fn keys(&self) -> DrawKeys {
        DrawKeys {
            site: self.sp.site,
            visit: self.visit,
            first_key: self.sp.first_outcome_key,
        }
    }
}

/// Something the world does to a deal, not a cadence's touch: scripted by a test (a
/// milestone, a CRM event, a fact that changes). The simulation draws milestones instead.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outside {
    /// a pipeline event (index into `Program::events`)
    Event(usize),
    /// a built-in trigger (index into `BuiltinTrigger::ALL`): what a cadence-wide exit hears
    Trigger(usize),
    /// a fact takes a value (index into `Program::fact_names`)
    Fact(usize, f64),
}

/// Every draw the engine makes for one lead.
pub trait Draws {
    /// The instant the lead enrolls (`window`: the arrival window from `start`, in minutes).
    fn enroll(&mut self, p: &Program, start: Time, window: f64) -> Time;
    /// The lead's population: 0 the base, i + 1 segment i.
    fn population(&mut self, p: &Program) -> usize;
    /// The value of fact `i` (NaN: unknown).
    fn fact(&mut self, p: &Program, pp: &PopulationP, i: usize) -> f64;
    fn responsiveness(&mut self, pp: &PopulationP) -> f64;
    /// Which variant of a step with variants a touch sends.
    fn variant(&mut self, sp: &StepP) -> usize;
    /// What a touch does: which outcomes it has (what the report counts), and every happening,
    /// in time order, in `out`.
    fn touch(&mut self, d: &TouchDraw<'_>, out: &mut Vec<Happening>) -> Has;
    /// Whether a milestone happens in this stage visit, and how long after the entry.
    fn milestone(&mut self, m: &MilestoneP, visit: u32) -> Option<f64>;
    /// What happens from outside the cadences, with its instant, at the lead's start.
    fn outside(&mut self, enroll: Time, out: &mut Vec<(Time, Outside)>);
}

impl<D: Draws> Draws for &mut D {
    fn enroll(&mut self, p: &Program, start: Time, window: f64) -> Time {
        (**self).enroll(p, start, window)
    }
    fn population(&mut self, p: &Program) -> usize {
        (**self).population(p)
    }
    fn fact(&mut self, p: &Program, pp: &PopulationP, i: usize) -> f64 {
        (**self).fact(p, pp, i)
    }
    fn responsiveness(&mut self, pp: &PopulationP) -> f64 {
        (**self).responsiveness(pp)
    }
    fn variant(&mut self, sp: &StepP) -> usize {
        (**self).variant(sp)
    }
    fn touch(&mut self, d: &TouchDraw<'_>, out: &mut Vec<Happening>) -> Has {
        (**self).touch(d, out)
    }
    fn milestone(&mut self, m: &MilestoneP, visit: u32) -> Option<f64> {
        (**self).milestone(m, visit)
    }
    fn outside(&mut self, enroll: Time, out: &mut Vec<(Time, Outside)>) {
        (**self).outside(enroll, out)
    }
}

/// The simulation's draws: keyed by (seed, lead, site, purpose, repeat).
#[derive(Debug, Clone, Copy)]
pub struct Sampled {
    pub rng: LeadRng,
}

impl Sampled {
    pub fn new(seed: u64, lead: u64) -> Sampled {
        Sampled {
            rng: LeadRng::new(seed, lead),
        }
    }
}

/// Which of the calls below make a draw; the others return the same for every lead (what
/// `shared_life` need not check).
impl Sampled {
    pub fn enroll_draws(p: &Program) -> bool {
        p.arrivals_per_day.is_some_and(|rate| rate > 0.0)
    }
    pub fn population_draws(p: &Program) -> bool {
        !p.segment_cum.is_empty()
    }
    pub fn fact_draws(pp: &PopulationP, i: usize) -> bool {
        pp.facts.get(i).is_some_and(|d| d.is_some())
    }
    pub fn responsiveness_draws(pp: &PopulationP) -> bool {
        pp.responsiveness.is_some()
    }
}

impl Draws for Sampled {
    #[inline]
    fn enroll(&mut self, p: &Program, start: Time, window: f64) -> Time {
        if Self::enroll_draws(p) {
            start + self.rng.uniform(0, Purpose::Arrival, 0) * window
        } else {
            start
        }
    }

    #[inline]
    fn population(&mut self, p: &Program) -> usize {
        // no segments: the base population, without a draw (draws are keyed, so skipping one
        // changes no other)
        if !Self::population_draws(p) {
            return 0;
        }
        let u = self.rng.uniform(0, Purpose::Segment, 0);
        p.segment_cum
            .iter()
            .position(|c| u < *c)
            .map(|i| i + 1)
            .unwrap_or(0)
    }

    #[inline]
    fn fact(&mut self, p: &Program, pp: &PopulationP, i: usize) -> f64 {
        match pp.facts.get(i).and_then(|d| d.as_ref()) {
            Some(d) if Self::fact_draws(pp, i) => {
                self.rng.sample(d, p.fact_sites[i], Purpose::Fact)
            }
            _ => f64::NAN,
        }
    }

    #[inline]
    fn responsiveness(&mut self, pp: &PopulationP) -> f64 {
        match &pp.responsiveness {
            Some(d) if Self::responsiveness_draws(pp) => {
                self.rng.sample(d, 0, Purpose::Responsiveness).max(0.0)
            }
            _ => 1.0,
        }
    }

    #[inline]
    fn variant(&mut self, sp: &StepP) -> usize {
        let u = self.rng.uniform(sp.site, Purpose::Variant, 0);
        sp.variant_cum
            .iter()
            .position(|c| u < *c)
            .unwrap_or(sp.variant_cum.len().saturating_sub(1))
    }

    #[inline]
    fn touch(&mut self, d: &TouchDraw<'_>, out: &mut Vec<Happening>) -> Has {
        sample(d.plan, d.delays, &self.rng, d.keys(), out)
    }

    #[inline]
    fn milestone(&mut self, m: &MilestoneP, visit: u32) -> Option<f64> {
        let repeat = u64::from(visit);
        (self.rng.uniform(m.site, Purpose::Milestone, repeat) < m.p).then(|| {
            self.rng
                .sample(&m.delay, m.site ^ repeat, Purpose::MilestoneDelay)
                .max(0.0)
        })
    }

    #[inline]
    fn outside(&mut self, _enroll: Time, _out: &mut Vec<(Time, Outside)>) {}
}
