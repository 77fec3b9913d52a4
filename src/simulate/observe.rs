//! The engine's second seam: what a lead does is told to an [`Observer`]. The simulation's
//! observer is the [`Tally`] (integer counts); `cadence test` records a trace
//! (`crate::testing::trace`). The engine is generic over it, so counting pays nothing for it.

use super::engine::Time;
use super::outcomes::Has;
use super::tally::Tally;
use crate::model::Channel;

/// What a stage move was decided by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MovedBy {
    /// the stage's exit with this index
    Exit(usize),
    /// a step's or a cadence exit's `-> stage` effect, of this cadence
    Effect(usize),
}

/// Everything the engine tells about one lead, in the order it happens. The methods the tally
/// does not need default to nothing.
pub trait Observer {
    fn lead_started(&mut self) {}
    /// the lead enrolled (one cadence) or the deal was created (pipeline)
    fn enrolled(&mut self, _at: Time) {}
    fn cadence_started(&mut self, c: usize, at: Time);
    /// cadence `c` ended with end reason `reason` (index into `Program::reasons`; `ACTIVE` for
    /// a cadence still running when the run stops)
    fn cadence_ended(&mut self, c: usize, reason: usize, at: Time);
    fn touched(&mut self, step: usize, channel: Channel, at: Time);
    /// a step passed over (`skip when`, `during`)
    fn skipped(&mut self, step: usize, at: Time);
    /// the outcomes a touch has (drawn at the touch)
    fn outcomes(&mut self, step: usize, has: Has);
    /// an outcome of a touch happens (at the touch or later)
    fn happened(&mut self, _step: usize, _outcome: usize, _at: Time) {}
    /// a step's `on` rule (`None`: its `otherwise`) applies
    fn rule(&mut self, _step: usize, _rule: Option<usize>, _at: Time) {}
    /// a pipeline event is set
    fn event(&mut self, _event: usize, _at: Time) {}
    /// something from outside the cadences happens (a test's script)
    fn outside(&mut self, _what: super::draws::Outside, _at: Time) {}
    /// a stage timer comes due
    fn timer(&mut self, _at: Time) {}
    fn tasks(&mut self, n: usize, at: Time);
    fn stage_entered(&mut self, stage: usize, at: Time);
    /// the deal leaves `from` for `to` after `dwell` minutes there
    fn stage_left(&mut self, from: usize, to: usize, dwell: f64, by: MovedBy, at: Time);
    /// escalation `index` of `stage` (to `role`) comes due
    fn escalated(&mut self, stage: usize, index: usize, role: usize, task: bool, at: Time);
    /// for a deal open when the run stops: conjunct `part` of exit `exit` of `stage` is false
    fn held_back(&mut self, stage: usize, exit: usize, part: usize);
    /// the lead's end: its stage, its touches, and whether it was won or lost (and when)
    fn finished(&mut self, stage: usize, touches: u32, outcome: Option<(bool, Time)>, enroll: Time);
}

const MIN_PER_DAY: f64 = 1440.0;

impl Observer for Tally {
    #[inline]
    fn lead_started(&mut self) {
        self.leads += 1;
    }

    #[inline]
    fn enrolled(&mut self, _at: Time) {
        self.enrolled += 1;
    }

    #[inline]
    fn cadence_started(&mut self, c: usize, _at: Time) {
        self.cadence_enrolled[c] += 1;
    }

    #[inline]
    fn cadence_ended(&mut self, _c: usize, reason: usize, _at: Time) {
        self.reasons[reason] += 1;
    }

    #[inline]
    fn touched(&mut self, step: usize, channel: Channel, _at: Time) {
        self.touches_by_channel[channel as usize] += 1;
        self.step_reached[step] += 1;
    }

    #[inline]
    fn skipped(&mut self, step: usize, _at: Time) {
        self.step_skipped[step] += 1;
    }

    #[inline]
    fn outcomes(&mut self, step: usize, has: Has) {
        // without a branch per outcome
        let row = &mut self.step_outcomes[step];
        for (i, x) in row.iter_mut().enumerate() {
            *x += u64::from(has.0 >> i & 1);
        }
    }

    #[inline]
    fn tasks(&mut self, n: usize, _at: Time) {
        self.tasks += n as u64;
    }

    #[inline]
    fn stage_entered(&mut self, stage: usize, _at: Time) {
        self.stage_entries[stage] += 1;
    }

    #[inline]
    fn stage_left(&mut self, from: usize, to: usize, dwell: f64, _by: MovedBy, _at: Time) {
        let dwell_h = ((dwell / 60.0).max(0.0) as usize).min(self.dwell_hist[from].len() - 1);
        self.dwell_hist[from][dwell_h] += 1;
        self.stage_exits[from][to] += 1;
    }

    #[inline]
    fn escalated(&mut self, stage: usize, _index: usize, role: usize, task: bool, _at: Time) {
        self.escalations[stage][role] += 1;
        if task {
            self.tasks += 1;
        }
    }

    #[inline]
    fn held_back(&mut self, stage: usize, exit: usize, part: usize) {
        self.held_back[stage][exit][part] += 1;
    }

    fn finished(
        &mut self,
        stage: usize,
        touches: u32,
        outcome: Option<(bool, Time)>,
        enroll: Time,
    ) {
        self.final_stage[stage] += 1;
        self.touches += u64::from(touches);
        self.touches_sq_sum += u64::from(touches) * u64::from(touches);
        match outcome {
            Some((true, at)) => {
                let cycle = at - enroll;
                self.won += 1;
                let m = cycle.round().max(0.0) as u128;
                self.cycle_minutes_sum += m;
                self.cycle_minutes_sq_sum += m * m;
                let h = ((cycle / 60.0) as usize).min(self.cycle_hist.len() - 1);
                self.cycle_hist[h] += 1;
                for (i, d) in [30.0, 60.0, 90.0, 180.0].iter().enumerate() {
                    if cycle <= d * MIN_PER_DAY {
                        self.won_by[i] += 1;
                    }
                }
            }
            Some((false, _)) => self.lost += 1,
            None => self.open += 1,
        }
    }
}
