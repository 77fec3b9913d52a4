//! The touch itself for the oracle's walk: every outcome set of the touch, the rules it
//! decides, what happens now and what later; and a later outcome when it comes.

use crate::model::{Channel, Effects, Flow};

use super::super::touch::{self, Atom};
use super::{Pend, St, Walk, F, OTHERWISE};

impl Walk<'_> {
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

    pub(super) fn touch(&mut self, mut st: St, step: usize, m: Vec<f64>) {
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
    pub(super) fn happen(&mut self, st: &mut St, p: Pend, m: &[f64]) {
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
