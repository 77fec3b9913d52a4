//! Conditions, timers and stages: what a condition reads, when a timer comes due, scheduling on
//! a calendar, stage entries and gates, and which cadences a stage change ends or enrolls.

use crate::calendar::{Delay, Timing};
use crate::model::{Builtin, Cmp};

use super::super::program::{CCond, COperand, STAGE_CHANGED};
use super::{Lead, Scratch, Time, MIN_PER_DAY, STAGE_CHANGE};
use crate::simulate::draws::Draws;
use crate::simulate::observe::{MovedBy, Observer};

impl<D: Draws> Lead<'_, D> {
    pub(super) fn value(&self, o: COperand, now: Time, s: &Scratch) -> f64 {
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
    pub(super) fn threshold(&self, lhs: COperand, rhs: COperand, s: &Scratch) -> Option<Time> {
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
            COperand::BusinessDays(n) => Some(self.schedule(
                self.p.main_calendar,
                base,
                Timing::after(Delay::BusinessDays(n)),
            )),
            COperand::BusinessMinutes(n) => Some(self.schedule(
                self.p.main_calendar,
                base,
                Timing::after(Delay::BusinessMinutes(n)),
            )),
            _ => None,
        }
    }

    pub(super) fn eval(&self, c: &CCond, now: Time, s: &Scratch) -> bool {
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

    /// The next instant a timer of the current stage comes due (no later than the horizon):
    /// the timers on the stage entry or the enrolment are computed once per stage visit (again
    /// when a fact changes or the cached one came due), the `idle` ones again when the last
    /// activity moved.
    #[inline(always)]
    pub(super) fn cached_timer(&mut self, s: &Scratch) -> Option<Time> {
        match self.timer_cache {
            Some(t)
                if t.is_none_or(|at| at > self.now)
                    && self.p.stages[self.stage].idle_timers.is_empty() =>
            {
                t
            }
            _ => self.refresh_timers(s),
        }
    }

    #[inline(never)]
    fn refresh_timers(&mut self, s: &Scratch) -> Option<Time> {
        let now = self.now;
        let fixed = match self.timer_cache {
            Some(t) if t.is_none_or(|at| at > now) => t,
            _ => {
                let t = self.next_of(&self.p.stages[self.stage].fixed_timers, s);
                self.timer_cache = Some(t);
                t
            }
        };
        let st = &self.p.stages[self.stage];
        if st.idle_timers.is_empty() {
            return fixed;
        }
        let idle = match self.idle_cache {
            Some(t) if self.timer_activity == self.last_activity && t.is_none_or(|at| at > now) => {
                t
            }
            _ => {
                let t = self.next_of(&st.idle_timers, s);
                self.idle_cache = Some(t);
                self.timer_activity = self.last_activity;
                t
            }
        };
        match (fixed, idle) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The earliest instant after now, and no later than the horizon, at which one of `timers`
    /// comes due. Every comparison of a timer changes its truth at its threshold, whatever the
    /// operator and under `not` too, so each is a moment to re-check the gates.
    fn next_of(&self, timers: &[(COperand, COperand)], s: &Scratch) -> Option<Time> {
        let mut best: Option<Time> = None;
        for (lhs, rhs) in timers {
            if let Some(at) = self.threshold(*lhs, *rhs, s) {
                if at > self.now && best.is_none_or(|b| at < b) {
                    best = Some(at);
                }
            }
        }
        best.filter(|b| *b <= self.horizon_end)
    }

    /// When a touch with `timing` made from `from` falls on calendar `cal` (an index into the
    /// program's calendars; None: wall-clock time, business units as whole days).
    pub(super) fn schedule(&self, cal: Option<usize>, from: Time, timing: Timing) -> Time {
        match cal {
            None => crate::simulate::clock::schedule_plain(from, timing),
            Some(i) => match self.clocks.get(i) {
                Some(c) => c.schedule(from, timing),
                None => f64::INFINITY,
            },
        }
    }

    #[inline(always)]
    pub(super) fn schedule_step(&mut self, step: usize, from: Time, s: &mut Scratch) {
        let sp = &self.p.steps[step];
        let at = match sp.plain_after {
            Some(d) => from + d,
            None => self.schedule_on_calendar(step, from),
        };
        if let Some(r) = s.runs.get_mut(sp.cadence) {
            r.next_touch = Some((at, step));
        }
    }

    #[inline(never)]
    fn schedule_on_calendar(&self, step: usize, from: Time) -> Time {
        let sp = &self.p.steps[step];
        self.schedule(self.p.cadences[sp.cadence].calendar, from, sp.timing)
    }

    pub(super) fn enter_stage(
        &mut self,
        stage: usize,
        now: Time,
        t: &mut impl Observer,
        s: &mut Scratch,
    ) {
        self.timer_cache = None;
        self.idle_cache = None;
        self.stage = stage;
        self.stage_entry = now;
        s.stage_visits += 1;
        self.stage_visit = s.stage_visits;
        t.stage_entered(stage, now);
        s.escalated.clear();
        s.escalated
            .resize(self.p.stages[stage].escalations.len(), false);
        match self.p.stages[stage].terminal {
            Some(won) => self.outcome = Some((won, now)),
            None => {
                let pp = &self.p.populations[self.pop];
                for m in pp.milestones.iter().filter(|m| m.stage == stage) {
                    if let Some(delay) = self.draws.milestone(m, self.stage_visit) {
                        s.milestones.push((now + delay, m.event, self.stage_visit));
                    }
                }
            }
        }
    }

    pub(super) fn move_to(
        &mut self,
        target: usize,
        by: MovedBy,
        now: Time,
        t: &mut impl Observer,
        s: &mut Scratch,
    ) {
        if target == self.stage {
            return;
        }
        t.stage_left(self.stage, target, now - self.stage_entry, by, now);
        self.enter_stage(target, now, t, s);
    }

    /// Try the current stage's exits in order (and escalations); follow chains at one instant.
    pub(super) fn gates(&mut self, now: Time, t: &mut impl Observer, s: &mut Scratch) {
        for _ in 0..16 {
            if self.outcome.is_some() {
                return;
            }
            let st = &self.p.stages[self.stage];
            for (i, e) in st.escalations.iter().enumerate() {
                if !s.escalated[i] && self.eval(&e.when, now, s) {
                    s.escalated[i] = true;
                    t.escalated(self.stage, i, e.role, e.task, now);
                }
            }
            let required = st.require.iter().all(|c| self.eval(c, now, s));
            let target = st.exits.iter().enumerate().find_map(|(k, e)| {
                let terminal = self.p.stages[e.target].terminal.is_some();
                ((terminal || required) && self.eval(&e.when, now, s)).then_some((k, e.target))
            });
            match target {
                Some((k, x)) if x != self.stage => self.move_to(x, MovedBy::Exit(k), now, t, s),
                _ => return,
            }
        }
    }

    /// After anything that can move the deal: a cadence works one stage, so leaving it ends the
    /// cadence (its `stage_change` exit first); a closed deal ends every cadence; a stage entered
    /// enrolls that stage's cadences (whole pipeline).
    #[inline(always)]
    pub(super) fn after_stage_change(&mut self, now: Time, t: &mut impl Observer, s: &mut Scratch) {
        // only a stage move (a new visit; a closed deal is one too) can leave a running cadence
        // outside its stage or a stage's cadences to enroll
        if self.changes_seen != self.stage_visit {
            self.after_new_stage(now, t, s);
        }
    }

    #[inline(never)]
    fn after_new_stage(&mut self, now: Time, t: &mut impl Observer, s: &mut Scratch) {
        self.changes_seen = self.stage_visit;
        let p = self.p;
        for c in 0..s.runs.len() {
            if !s.runs[c].active {
                continue;
            }
            let cp = &p.cadences[c];
            if cp.stage.is_some_and(|cs| cs != self.stage)
                && !self.fire_exit(c, cp.builtin_exit[STAGE_CHANGE], now, t, s)
            {
                self.end_cadence(c, cp.reason_base + STAGE_CHANGED, t, s);
            }
        }
        if self.outcome.is_some() {
            for c in 0..s.runs.len() {
                if s.runs[c].active {
                    self.end_cadence(c, p.cadences[c].reason_base + STAGE_CHANGED, t, s);
                }
            }
            return;
        }
        if p.whole_pipeline && self.enrolled_visit != self.stage_visit {
            self.enrolled_visit = self.stage_visit;
            for c in p.stage_cadences.get(self.stage).into_iter().flatten() {
                self.enroll_cadence(*c, now, t, s);
            }
        }
    }

    /// A cadence enrolls the deal if it is not running it already, its `enroll when` holds and
    /// its dates admit it.
    pub(super) fn enroll_cadence(
        &mut self,
        c: usize,
        now: Time,
        t: &mut impl Observer,
        s: &mut Scratch,
    ) {
        let active = s.runs.get(c).is_some_and(|r| r.active);
        if !active && self.admits(c, now) && self.eval(&self.p.cadences[c].enroll, now, s) {
            self.start_cadence(c, now, t, s);
        }
    }

    /// Whether cadence `c`'s `active` dates let it enroll a deal now: not after them, and
    /// before them only with `defer`.
    pub(super) fn admits(&self, c: usize, now: Time) -> bool {
        let cp = &self.p.cadences[c];
        cp.window
            .is_none_or(|(open, close)| now < close && (now >= open || cp.defer))
    }

    /// When cadence `c` hands the deal off (it ran out), the target enrolls it if the deal is in
    /// its stage.
    pub(super) fn hand_off(&mut self, c: usize, now: Time, t: &mut impl Observer, s: &mut Scratch) {
        let Some(h) = self.p.cadences[c].hand_off else {
            return;
        };
        if self.outcome.is_none() && self.p.cadences[h].stage.is_none_or(|st| st == self.stage) {
            self.enroll_cadence(h, now, t, s);
        }
    }

    /// Start cadence `c` for the deal: fresh outcome and jump counts, its first step planned
    /// (from the start of its dates when the deal came before them).
    pub(super) fn start_cadence(
        &mut self,
        c: usize,
        now: Time,
        t: &mut impl Observer,
        s: &mut Scratch,
    ) {
        let cp = &self.p.cadences[c];
        if let Some(r) = s.runs.get_mut(c) {
            r.active = true;
            r.next_touch = None;
        }
        t.cadence_started(c, now);
        if cp.has_rules {
            let st = &cp.steps;
            s.counts[st.start * 6..st.end * 6].fill(0);
            s.jumps[st.start * 8..st.end * 8].fill(0);
        }
        let from = cp.window.map_or(now, |(open, _)| now.max(open));
        if let Some(e) = cp.entry {
            self.schedule_step(e, from, s);
        }
    }

    /// For a lead open at the horizon: which parts of its stage's exits were false.
    pub(super) fn held_back(&self, t: &mut impl Observer, s: &Scratch) {
        let st = &self.p.stages[self.stage];
        for (k, e) in st.exits.iter().enumerate() {
            // the conjuncts, without collecting them (this runs for every open lead)
            let parts = match &e.when {
                CCond::And(v) => v.as_slice(),
                other => std::slice::from_ref(other),
            };
            for (j, c) in parts.iter().enumerate().take(16) {
                if !self.eval(c, self.horizon_end, s) {
                    t.held_back(self.stage, k, j);
                }
            }
        }
    }
}
