//! A touch and what follows from it: the outcome draw, which `on` rule each happening applies,
//! cadence exits, effects (events, stage moves, tasks, jumps) and a cadence's end.

use crate::calendar::{Delay, Timing};
use crate::model::{Channel, Effects, Flow};

use super::super::outcomes::{plan, read_by_lead, waking, Delays, Happening};
use super::super::program::Kind;
use super::{Lead, Pending, Scratch, Time, BOUNCE, MEETING_BOOKED, REPLY, UNSUBSCRIBE};
use crate::simulate::draws::{Draws, Outside, TouchDraw};
use crate::simulate::observe::{MovedBy, Observer};

impl<D: Draws> Lead<'_, D> {
    /// End cadence `c` with end reason `reason` (a global index into `Program::reasons`): its
    /// planned touch and its later outcomes go, except meetings, which take place anyway.
    pub(super) fn end_cadence(
        &mut self,
        c: usize,
        reason: usize,
        t: &mut impl Observer,
        s: &mut Scratch,
    ) {
        if let Some(r) = s.runs.get_mut(c) {
            r.active = false;
            r.next_touch = None;
        }
        let steps = &self.p.steps;
        s.pending
            .retain(|e| e.outlives_cadence || steps[e.step].cadence != c);
        t.cadence_ended(c, reason, self.now);
    }

    /// A cadence-wide exit of cadence `c`: end the cadence with its reason, apply its effects.
    pub(super) fn fire_exit(
        &mut self,
        c: usize,
        exit: Option<usize>,
        now: Time,
        t: &mut impl Observer,
        s: &mut Scratch,
    ) -> bool {
        if !s.runs.get(c).is_some_and(|r| r.active) {
            return false;
        }
        let cp = &self.p.cadences[c];
        let Some((name, _, effects)) = exit.and_then(|i| cp.exits.get(i)) else {
            return false;
        };
        self.end_cadence(c, cp.reason(name), t, s);
        self.apply(c, effects, None, now, t, s);
        true
    }

    /// An event happens (a rule's `set`, a milestone): every running cadence listening for it
    /// exits.
    pub(super) fn set_event(
        &mut self,
        ev: usize,
        now: Time,
        t: &mut impl Observer,
        s: &mut Scratch,
    ) {
        if let Some(slot) = s.events.get_mut(ev) {
            if !*slot {
                *slot = true;
                t.event(ev, now);
                self.last_activity = self.last_activity.max(now);
                for c in 0..s.runs.len() {
                    let exit = self.p.cadences[c].event_exit.get(ev).copied().flatten();
                    self.fire_exit(c, exit, now, t, s);
                }
            }
        }
    }

    /// Apply effects of cadence `c`; `from_step` is the step whose rule fired (for jumps and
    /// their bounds).
    pub(super) fn apply(
        &mut self,
        c: usize,
        e: &Effects,
        from_step: Option<(usize, usize)>,
        now: Time,
        t: &mut impl Observer,
        s: &mut Scratch,
    ) {
        let p = self.p;
        for ev in &e.set {
            self.set_event(*ev, now, t, s);
        }
        if !e.tasks.is_empty() {
            t.tasks(e.tasks.len(), now);
        }
        let active = |s: &Scratch| s.runs.get(c).is_some_and(|r| r.active);
        if let Flow::Exit(r) = &e.flow {
            if active(s) {
                self.end_cadence(c, p.cadences[c].reason(r), t, s);
            }
        }
        if let Some(st) = e.stage {
            self.move_to(st, MovedBy::Effect(c), now, t, s);
        }
        self.gates(now, t, s);
        if !active(s) {
            return;
        }
        if let (Flow::Jump { step, bound }, Some((from, rule))) = (&e.flow, from_step) {
            let slot = from * 8 + rule.min(7);
            let used = s.jumps.get(slot).copied().unwrap_or(0);
            if bound.is_none_or(|b| used < b) {
                if let Some(x) = s.jumps.get_mut(slot) {
                    *x += 1;
                }
                self.schedule_step(*step, now, s);
            }
        }
    }

    /// Whether a pending outcome raises the cadence-wide `reply` (or another event a cadence
    /// exit listens for) while the cadence runs.
    pub(super) fn raises_reply(&self, e: &Pending) -> bool {
        let sp = &self.p.steps[e.step];
        let kind = sp.kinds[e.outcome];
        kind == Kind::Reply
            || (kind != Kind::Engaged
                && kind != Kind::Other
                && self.exit_for(sp.cadence, kind).is_some())
    }

    /// The exit of cadence `c` that listens for what an outcome raises (bounce, unsubscribe,
    /// meeting booked, reply); such an exit wins over the step's own rule for that outcome.
    /// What a touch raises is the cadence's that made it.
    fn exit_for(&self, c: usize, kind: Kind) -> Option<usize> {
        let i = match kind {
            Kind::Reply => REPLY,
            Kind::Bounce => BOUNCE,
            Kind::Unsubscribe => UNSUBSCRIBE,
            Kind::Booked => MEETING_BOOKED,
            Kind::Engaged | Kind::Other => return None,
        };
        self.p.cadences[c].builtin_exit[i]
    }

    /// The last instant a rule's `within D` admits for a touch made at `touch` (on cadence `c`'s
    /// calendar for business durations).
    fn deadline(&self, c: usize, touch: Time, within: Option<Delay>) -> Time {
        match within {
            None => f64::INFINITY,
            Some(Delay::Zero) => touch,
            Some(Delay::Wall { minutes }) => touch + minutes as f64,
            Some(d) => self.schedule(self.p.cadences[c].calendar, touch, Timing::after(d)),
        }
    }

    /// A touch: draw what happens and when, decide which `on` rule each happening applies
    /// (at most one rule per instant, each rule at most once per touch; `otherwise` when none
    /// will), react to what happens now, keep the rest for later, move on.
    pub(super) fn touch(&mut self, step: usize, now: Time, t: &mut impl Observer, s: &mut Scratch) {
        let p = self.p;
        let sp = &p.steps[step];
        let c = sp.cadence;
        // an elastic or dated step due now may be passed over: no touch, on to the next step
        let outside = sp.window.is_some_and(|(a, b)| now < a || now >= b);
        if outside || sp.skip.as_ref().is_some_and(|x| self.eval(x, now, s)) {
            t.skipped(step, now);
            if let Some(n) = sp.next_in_track {
                self.schedule_step(n, now, s);
            }
            return;
        }
        self.touches += 1;
        self.last_activity = now;
        t.touched(step, sp.channel, now);
        let visit = u64::from(s.touched[step]);
        s.touched[step] += 1;
        let variant = if sp.variant_cum.is_empty() {
            0
        } else {
            self.draws.variant(sp)
        };
        let pp = &p.populations[self.pop];
        // fatigue discounts every touch after the first; an agreed meeting is not a cold touch
        let mult = if sp.channel == Channel::Meeting || pp.fatigue == 1.0 {
            self.responsiveness
        } else {
            let k = self.touches as i32 - 1;
            let f = usize::try_from(k)
                .ok()
                .and_then(|k| pp.fatigue_pow.get(k))
                .map_or_else(|| pp.fatigue.powi(k), |f| *f);
            self.responsiveness * f
        };
        // a lead whose multiplier is 1 touches on the plan computed with the program
        let fresh;
        let plan = match pp.unit_plans[step].get(variant) {
            Some(unit) if mult == 1.0 => unit,
            _ => {
                let rates = pp.rates[step].get(variant).copied().unwrap_or([0.0; 6]);
                let gains = pp.gains[step].get(variant).copied().unwrap_or([1.0; 6]);
                fresh = plan(sp.channel, &rates, &gains.map(|g| g * mult));
                &fresh
            }
        };
        let delays = Delays {
            reply: pp.reply_after.as_ref(),
            open: pp.open_after.as_ref(),
            meeting: pp.meeting_after.as_ref(),
        };
        let mut happen = std::mem::take(&mut s.happen);
        let has = self.draws.touch(
            &TouchDraw {
                step,
                sp,
                plan,
                delays: &delays,
                visit,
                now,
            },
            &mut happen,
        );
        t.outcomes(step, has);
        // leads open and reply in their waking hours
        if let Some(tz) = p.lead_tz {
            for h in happen
                .iter_mut()
                .filter(|h| read_by_lead(sp.channel, h.outcome))
            {
                let at = now + h.after;
                h.after = self.waking.map_or_else(|| waking(at, tz), |w| w.at(at)) - now;
            }
            happen.sort_by(|a, b| a.after.total_cmp(&b.after));
        }
        // decide the rules: in time order, the first rule (source order) whose outcome this is,
        // whose count is reached and whose window admits it, unless a cadence exit takes it
        let mut rule_of = [None::<usize>; 24];
        let mut fired_rules: u64 = 0;
        let mut any_rule = false;
        // (a step without rules has none to decide)
        let n = if sp.rules.is_empty() {
            0
        } else {
            happen.len().min(24)
        };
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
                if self.exit_for(c, sp.kinds[h.outcome]).is_some() {
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
                        && at <= self.deadline(c, now, r.within)
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
            t.happened(step, h.outcome, now);
            if let Some(x) = self.exit_for(c, sp.kinds[h.outcome]) {
                fired |= self.fire_exit(c, Some(x), now, t, s);
            }
            if rule_now.is_none() {
                rule_now = rule_of.get(j).copied().flatten();
            }
        }
        s.happen = happen;
        let active = |s: &Scratch| s.runs.get(c).is_some_and(|r| r.active);
        if fired || !active(s) {
            return;
        }
        if let Some(k) = rule_now {
            t.rule(step, Some(k), now);
            self.apply(c, &sp.rules[k].effects, Some((step, k)), now, t, s);
        } else if !any_rule {
            if let Some(o) = &sp.otherwise {
                t.rule(step, None, now);
                self.apply(c, o, Some((step, 7)), now, t, s);
            }
        }
        // fall through to the next step of the track unless a rule jumped or ended the cadence
        // (a jump refused by its bound falls through too)
        if active(s) && s.runs[c].next_touch.is_none() {
            if let Some(n) = sp.next_in_track {
                self.schedule_step(n, now, s);
            }
        }
    }

    /// A later outcome of a touch happens: a reply raises `reply` (its cadence exit wins), then
    /// the rule decided at the touch applies. A meeting's rule applies even after the cadence
    /// ended, without its flow (a jump or exit has no cadence left to act on).
    pub(super) fn happen(&mut self, ev: Pending, t: &mut impl Observer, s: &mut Scratch) {
        let p = self.p;
        let sp = &p.steps[ev.step];
        let c = sp.cadence;
        let active = |s: &Scratch| s.runs.get(c).is_some_and(|r| r.active);
        let now = ev.at;
        let kind = sp.kinds[ev.outcome];
        if let Some(c) = s.counts.get_mut(ev.step * 6 + ev.outcome) {
            *c += 1;
        }
        t.happened(ev.step, ev.outcome, now);
        if kind == Kind::Reply {
            if !active(s) {
                return;
            }
            self.last_activity = self.last_activity.max(now);
            if self.fire_exit(c, p.cadences[c].builtin_exit[REPLY], now, t, s) {
                return;
            }
        } else if let Some(x) = self.exit_for(c, kind) {
            // a bounce, unsubscribe or booking after its touch (only a test scripts one later)
            if self.fire_exit(c, Some(x), now, t, s) {
                return;
            }
        }
        let Some(k) = ev.rule else { return };
        let effects = &sp.rules[k].effects;
        if active(s) || ev.outlives_cadence {
            t.rule(ev.step, Some(k), now);
        }
        if active(s) {
            // a jump replaces the touch already planned; `continue` (or a refused jump) keeps it
            let planned = s.runs[c].next_touch.take();
            self.apply(c, effects, Some((ev.step, k)), now, t, s);
            if active(s) && s.runs[c].next_touch.is_none() {
                s.runs[c].next_touch = planned;
            }
        } else if ev.outlives_cadence {
            let without_flow = Effects {
                flow: Flow::Continue,
                ..effects.clone()
            };
            self.apply(c, &without_flow, None, now, t, s);
        }
    }

    /// Something from outside the cadences happens (a test's script): an event is set, a
    /// built-in trigger reaches every running cadence's exit for it, a fact changes.
    pub(super) fn outside(
        &mut self,
        what: Outside,
        now: Time,
        t: &mut impl Observer,
        s: &mut Scratch,
    ) {
        t.outside(what, now);
        match what {
            Outside::Event(ev) => self.set_event(ev, now, t, s),
            Outside::Trigger(i) => {
                self.last_activity = self.last_activity.max(now);
                for c in 0..s.runs.len() {
                    let exit = self.p.cadences[c].builtin_exit.get(i).copied().flatten();
                    self.fire_exit(c, exit, now, t, s);
                }
            }
            Outside::Fact(f, v) => {
                if let Some(x) = s.facts.get_mut(f) {
                    *x = v;
                }
                self.timer_cache = None;
                self.idle_cache = None;
            }
        }
    }
}
