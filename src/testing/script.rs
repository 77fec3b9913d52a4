//! Scripted draws: a test's lead does exactly what its `when` lines say and nothing else.
//! `when STEP.OUTCOME at T` gives that outcome, happening at T, to the touch of STEP that
//! comes at or before T (the n-th such line of a step and outcome, in time order, to its n-th
//! touch); pipeline events, built-in triggers and fact changes come from outside at their time.

use crate::simulate::draws::{Draws, Outside, TouchDraw};
use crate::simulate::engine::Time;
use crate::simulate::outcomes::Happening;
use crate::simulate::program::{MilestoneP, PopulationP, Program, StepP};

/// A scripted outcome of a step's touch.
#[derive(Debug, Clone)]
pub struct Scripted {
    /// global step index
    pub step: usize,
    pub outcome: usize,
    pub at: Time,
    /// the `when` line (index into the test's events)
    pub line: usize,
    /// the instant of the touch it went to
    pub used: Option<Time>,
}

#[derive(Debug, Clone, Default)]
pub struct Script {
    pub enroll: Time,
    /// per program fact (NaN: unknown)
    pub facts: Vec<f64>,
    pub outcomes: Vec<Scripted>,
    /// in time order (ties: source order)
    pub outside: Vec<(Time, Outside)>,
}

impl Draws for Script {
    fn enroll(&mut self, _p: &Program, _start: Time, _window: f64) -> Time {
        self.enroll
    }

    fn population(&mut self, _p: &Program) -> usize {
        0
    }

    fn fact(&mut self, _p: &Program, _pp: &PopulationP, i: usize) -> f64 {
        self.facts.get(i).copied().unwrap_or(f64::NAN)
    }

    fn responsiveness(&mut self, _pp: &PopulationP) -> f64 {
        1.0
    }

    /// A test sends a step's first variant.
    fn variant(&mut self, _sp: &StepP) -> usize {
        0
    }

    fn touch(&mut self, d: &TouchDraw<'_>, out: &mut Vec<Happening>) -> [bool; 6] {
        out.clear();
        let mut has = [false; 6];
        for (o, slot) in has.iter_mut().enumerate() {
            // the earliest line of this step and outcome not given to an earlier touch
            let next = self
                .outcomes
                .iter_mut()
                .filter(|x| x.step == d.step && x.outcome == o && x.used.is_none() && x.at >= d.now)
                .min_by(|a, b| a.at.total_cmp(&b.at));
            if let Some(x) = next {
                x.used = Some(d.now);
                *slot = true;
                out.push(Happening {
                    after: x.at - d.now,
                    outcome: o,
                });
            }
        }
        out.sort_by(|a, b| a.after.total_cmp(&b.after));
        has
    }

    fn milestone(&mut self, _m: &MilestoneP, _visit: u32) -> Option<f64> {
        None
    }

    fn outside(&mut self, _enroll: Time, out: &mut Vec<(Time, Outside)>) {
        out.extend(self.outside.iter().copied());
    }
}
