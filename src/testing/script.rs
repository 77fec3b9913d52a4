//! Scripted draws: a test's lead does exactly what its `when` lines say and nothing else.
//! `when STEP.OUTCOME at T` gives that outcome, happening at T, to the latest touch of STEP at
//! or before T, so several lines (three opens of one email) can go to one touch. Which touch
//! that is depends on what the lines do, so the test runs until the touches its lines went to
//! are the latest at or before them (`assign`). Pipeline events, built-in triggers and fact
//! changes come from outside at their time.

use crate::simulate::draws::{Draws, Outside, TouchDraw};
use crate::simulate::engine::Time;
use crate::simulate::outcomes::{Happening, Has};
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
    /// which touch of the step (0: its first) the line goes to; `None`: the earliest touch not
    /// yet given a line of this step and outcome (the first run's guess)
    pub touch: Option<u64>,
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
    /// every touch of the run: (global step, its n-th touch, instant)
    pub touches: Vec<(usize, u64, Time)>,
}

impl Script {
    /// Where each line goes given the touches of a run: the latest touch of its step at or
    /// before its instant (`None`: no such touch). True when that is where every line went.
    pub fn assign(&mut self) -> bool {
        let mut settled = true;
        for x in &mut self.outcomes {
            let latest = self
                .touches
                .iter()
                .filter(|(step, _, at)| *step == x.step && *at <= x.at)
                .map(|(_, visit, _)| *visit)
                .max();
            let went = x.used.and_then(|u| {
                self.touches
                    .iter()
                    .find(|(step, _, at)| *step == x.step && *at == u)
                    .map(|(_, visit, _)| *visit)
            });
            settled &= went == latest;
            x.touch = latest;
        }
        settled
    }

    /// The script as it was before a run, with each line's touch as `assign` left it.
    pub fn rewound(&self) -> Script {
        let mut s = self.clone();
        s.touches.clear();
        for x in &mut s.outcomes {
            x.used = None;
        }
        s
    }
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

    fn touch(&mut self, d: &TouchDraw<'_>, out: &mut Vec<Happening>) -> Has {
        out.clear();
        self.touches.push((d.step, d.visit, d.now));
        let mut has = [false; 6];
        let mine = |x: &Scripted| x.step == d.step && x.used.is_none() && x.at >= d.now;
        for (o, slot) in has.iter_mut().enumerate() {
            // the guess: the earliest line of this step and outcome not given to an earlier touch
            let guess = self
                .outcomes
                .iter()
                .enumerate()
                .filter(|(_, x)| mine(x) && x.outcome == o && x.touch.is_none())
                .min_by(|a, b| a.1.at.total_cmp(&b.1.at))
                .map(|(i, _)| i);
            for (i, x) in self.outcomes.iter_mut().enumerate() {
                if x.outcome != o || !mine(x) {
                    continue;
                }
                if x.touch == Some(d.visit) || (x.touch.is_none() && guess == Some(i)) {
                    x.used = Some(d.now);
                    *slot = true;
                    out.push(Happening {
                        after: x.at - d.now,
                        outcome: o,
                    });
                }
            }
        }
        out.sort_by(|a, b| a.after.total_cmp(&b.after));
        Has::from_flags(has)
    }

    fn milestone(&mut self, _m: &MilestoneP, _visit: u32) -> Option<f64> {
        None
    }

    fn outside(&mut self, _enroll: Time, out: &mut Vec<(Time, Outside)>) {
        out.extend(self.outside.iter().copied());
    }
}
