//! The step graph of a checked cadence: one node per step, one edge for every way control can
//! leave a step, exactly as the simulator's engine runs it. The checker's analyses (reachability,
//! loops, timing), the simulator's program and the build targets all read this one graph, so a
//! proof about the graph is a proof about the engine.
//!
//! A touch has one *outcome combination* (an "atom": e.g. delivered + opened for an email); for
//! each atom the graph follows the engine: a cadence exit listening for the outcome wins; else
//! the first `on` rule that fires (or `otherwise`, or nothing); then the flow (jump, exit,
//! continue, a bounded jump's fall-through once its bound is used); a reply's rule last.

use std::collections::VecDeque;

use serde::Serialize;

use super::{BuiltinTrigger, Cadence, Channel, Effects, Flow, StepId, Trigger};
use crate::calendar::Delay;

/// Where an edge goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum To {
    Step(StepId),
    End(End),
}

/// How a cadence ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum End {
    /// ran off the end of its track
    Exhausted,
    /// a rule's `exit REASON`
    Exit(String),
    /// a cadence-wide exit (index into `Cadence::exits`) pre-empts the step's rules
    CadenceExit(usize),
    /// a `stage` effect moved the deal out of the stage the cadence works
    StageChanged,
}

/// What makes control take an edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Via {
    /// `on` rule number k of the step
    Rule(usize),
    Otherwise,
    /// no rule applied and the step has no `otherwise` (or a reply rule waits)
    NoRule,
    /// cadence exit number k, on the touch's outcome or an event a rule sets
    Exit(usize),
}

/// The kind of move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum How {
    Jump {
        bounded: bool,
    },
    /// to the next step of the track (`continue`, or no flow effect)
    FallThrough,
    /// a bounded jump whose bound is used up falls through
    BoundUsed,
    /// the cadence ends
    Ends,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Edge {
    pub from: StepId,
    pub to: To,
    pub via: Via,
    pub how: How,
    /// `within D` of the rule: its outcome can come this long after the touch
    pub within: Option<Delay>,
}

impl Edge {
    pub fn step(&self) -> Option<StepId> {
        match self.to {
            To::Step(s) => Some(s),
            To::End(_) => None,
        }
    }

    pub fn is_jump(&self) -> bool {
        matches!(self.how, How::Jump { .. })
    }

    /// Can repeat without limit (everything but a bounded jump).
    pub fn unbounded(&self) -> bool {
        !matches!(self.how, How::Jump { bounded: true })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StepGraph {
    /// the first step of the main track (or of the first non-empty track)
    pub entry: Option<StepId>,
    pub next_in_track: Vec<Option<StepId>>,
    /// grouped by `from`, in step order, without duplicates
    pub edges: Vec<Edge>,
}

/// An edge being built: (to, via, how, within, the target of a bounded jump that must first be
/// taken up to its bound, so control has to come back from there).
type Planned = (To, Via, How, Option<Delay>, Option<StepId>);

/// The outcome combinations one touch can have (indices follow `Channel::outcomes()`), as the
/// engine draws them (`simulate/outcomes.rs`): exclusive outcomes; email opens and clicks given
/// delivery, a reply is an open; a message neither delivered nor bounced (when `delivered` is
/// stated below its default); a meeting booked, then held, missed, cancelled or none of them;
/// a task neither completed nor skipped (when `completed` is stated below its default).
pub fn atoms(ch: Channel) -> Vec<[bool; 6]> {
    let one = |set: &[usize]| {
        let mut a = [false; 6];
        for &i in set {
            a[i] = true;
        }
        a
    };
    match ch {
        // delivered opened clicked replied bounced unsubscribed
        Channel::Email => {
            let mut v = vec![one(&[]), one(&[4])];
            for extra in [None, Some(5), Some(3)] {
                let base: Vec<usize> = std::iter::once(0).chain(extra).collect();
                if extra != Some(3) {
                    v.push(one(&base));
                }
                let mut opened = base.clone();
                opened.push(1);
                v.push(one(&opened));
                opened.push(2);
                v.push(one(&opened));
            }
            v
        }
        Channel::Call => (0..4).map(|i| one(&[i])).collect(),
        // delivered replied failed opted_out
        Channel::Sms | Channel::Whatsapp => {
            vec![one(&[]), one(&[2]), one(&[0]), one(&[0, 1]), one(&[0, 3])]
        }
        Channel::Linkedin => vec![one(&[]), one(&[0]), one(&[1])],
        Channel::Meeting => vec![
            one(&[]),
            one(&[0]),
            one(&[0, 1]),
            one(&[0, 2]),
            one(&[0, 3]),
        ],
        Channel::Task => vec![one(&[]), one(&[0]), one(&[1])],
    }
}

impl StepGraph {
    pub fn new(c: &Cadence) -> StepGraph {
        let n = c.steps.len();
        let mut next_in_track = vec![None; n];
        for t in &c.tracks {
            for w in t.steps.windows(2) {
                if let Some(slot) = next_in_track.get_mut(w[0]) {
                    *slot = Some(w[1]);
                }
            }
        }
        let entry = c.tracks.iter().find_map(|t| t.steps.first().copied());
        let mut g = StepGraph {
            entry,
            next_in_track,
            edges: Vec::new(),
        };
        let mut pending = Vec::new();
        for si in 0..n {
            g.build_step(c, si, &mut pending);
        }
        // a used bound needs the jump taken and control back at the step: keep such edges only
        // where that can happen (a fixpoint, as each kept edge can make another possible)
        loop {
            let before = pending.len();
            let mut i = 0;
            while i < pending.len() {
                let (e, back): &(Edge, StepId) = &pending[i];
                // (or any other way back: a reply's jump can return to the step too)
                let on_cycle = g
                    .out(e.from)
                    .filter_map(Edge::step)
                    .any(|t| g.reaches(t, e.from));
                if g.reaches(*back, e.from) || on_cycle {
                    let (e, _) = pending.swap_remove(i);
                    g.push(e);
                } else {
                    i += 1;
                }
            }
            if pending.len() == before {
                break;
            }
        }
        g.edges.sort_by_key(|e| e.from);
        g
    }

    /// Is `to` reachable from `from` (over any edges)?
    fn reaches(&self, from: StepId, to: StepId) -> bool {
        self.reaches_over(from, to, |_| true)
    }

    /// Is `to` reachable from `from` over the edges `keep` admits?
    fn reaches_over(&self, from: StepId, to: StepId, keep: impl Fn(&Edge) -> bool) -> bool {
        let mut seen = vec![false; self.next_in_track.len()];
        let mut stack = vec![from];
        while let Some(s) = stack.pop() {
            if s == to {
                return true;
            }
            if std::mem::replace(&mut seen[s], true) {
                continue;
            }
            stack.extend(self.out(s).filter(|e| keep(e)).filter_map(Edge::step));
        }
        false
    }

    /// The names of the steps on a shortest path from the entry to `to`, then `then` if given.
    pub fn path_text(&self, c: &Cadence, to: StepId, then: Option<StepId>) -> String {
        self.path_to(to)
            .into_iter()
            .chain(then)
            .filter_map(|s| c.steps.get(s).map(|x| x.name.as_str()))
            .collect::<Vec<_>>()
            .join(" → ")
    }

    /// Edges out of one step.
    pub fn out(&self, from: StepId) -> impl Iterator<Item = &Edge> {
        self.edges.iter().filter(move |e| e.from == from)
    }

    /// Edges between two touches (to a step, not to an end).
    pub fn step_edges(&self) -> impl Iterator<Item = (&Edge, StepId)> {
        self.edges.iter().filter_map(|e| e.step().map(|s| (e, s)))
    }

    /// Steps some path from the entry reaches.
    pub fn reachable(&self) -> Vec<bool> {
        let mut seen = vec![false; self.next_in_track.len()];
        let Some(e) = self.entry else { return seen };
        let mut stack = vec![e];
        seen[e] = true;
        while let Some(s) = stack.pop() {
            for t in self.out(s).filter_map(Edge::step) {
                if !seen[t] {
                    seen[t] = true;
                    stack.push(t);
                }
            }
        }
        seen
    }

    /// A shortest path of steps from the entry to `to` (inclusive).
    pub fn path_to(&self, to: StepId) -> Vec<StepId> {
        let n = self.next_in_track.len();
        let Some(entry) = self.entry else {
            return vec![to];
        };
        let mut parent: Vec<Option<StepId>> = vec![None; n];
        let mut seen = vec![false; n];
        seen[entry] = true;
        let mut queue = VecDeque::from([entry]);
        while let Some(s) = queue.pop_front() {
            if s == to {
                break;
            }
            for t in self.out(s).filter_map(Edge::step) {
                if !seen[t] {
                    seen[t] = true;
                    parent[t] = Some(s);
                    queue.push_back(t);
                }
            }
        }
        let mut path = vec![to];
        let mut cur = to;
        while let Some(p) = parent.get(cur).copied().flatten() {
            path.push(p);
            cur = p;
        }
        path.reverse();
        path
    }

    /// Is `to` reachable from `from` over edges that can repeat without limit?
    pub fn reaches_unbounded(&self, from: StepId, to: StepId) -> bool {
        self.reaches_over(from, to, Edge::unbounded)
    }

    fn push(&mut self, e: Edge) {
        if !self.edges.contains(&e) {
            self.edges.push(e);
        }
    }

    fn build_step(&mut self, c: &Cadence, si: StepId, pending: &mut Vec<(Edge, StepId)>) {
        let s = &c.steps[si];
        let exit_on = |trigger: BuiltinTrigger| {
            c.exits
                .iter()
                .position(|e| e.trigger == Trigger::Builtin(trigger))
        };
        let outcomes = s.channel.outcomes();
        let rule_outcome: Vec<Option<usize>> = s
            .rules
            .iter()
            .map(|r| outcomes.iter().position(|o| *o == r.outcome))
            .collect();
        let replied = outcomes.iter().position(|o| *o == "replied");
        // a rule on an outcome the channel lacks is an error (E0212); its flow still counts, so
        // that the checker's other findings (loops) are reported in the same run
        for (k, r) in s.rules.iter().enumerate() {
            if rule_outcome[k].is_none() {
                let mut planned = Vec::new();
                self.flow(
                    c,
                    si,
                    &r.effects,
                    Via::Rule(k),
                    r.within_minutes,
                    &mut planned,
                );
                for (to, via, how, within, _) in planned {
                    self.push(Edge {
                        from: si,
                        to,
                        via,
                        how,
                        within,
                    });
                }
            }
        }
        for atom in atoms(s.channel) {
            // a cadence exit on the outcome ends the cadence before any rule
            let pre = (0..6).filter(|&i| atom[i]).find_map(|i| {
                // a reply's exit fires when the reply arrives, not at the touch
                s.channel.outcome_table()[i]
                    .raises
                    .filter(|t| *t != BuiltinTrigger::Reply)
                    .and_then(exit_on)
            });
            if let Some(k) = pre {
                self.push(Edge {
                    from: si,
                    to: To::End(End::CadenceExit(k)),
                    via: Via::Exit(k),
                    how: How::Ends,
                    within: None,
                });
                continue;
            }
            // the rules that can fire on this atom; None: none fired
            let mut choices: Vec<Option<usize>> = Vec::new();
            let mut reply_rule = false;
            let mut settled = false;
            for (k, o) in rule_outcome.iter().enumerate() {
                let Some(o) = *o else { continue };
                if !atom[o] {
                    continue;
                }
                if Some(o) == replied {
                    // a reply whose `N times` may not be reached yet leaves `otherwise` possible
                    reply_rule |= s.rules[k].times <= 1;
                    continue;
                }
                choices.push(Some(k));
                // `N times` may not be reached yet: later rules stay possible
                if s.rules[k].times <= 1 {
                    settled = true;
                    break;
                }
            }
            if !settled {
                choices.push(None);
            }
            let mut planned: Vec<Planned> = Vec::new();
            for choice in choices {
                match choice {
                    Some(k) => {
                        let r = &s.rules[k];
                        self.flow(
                            c,
                            si,
                            &r.effects,
                            Via::Rule(k),
                            r.within_minutes,
                            &mut planned,
                        )
                    }
                    None => match (&s.otherwise, reply_rule) {
                        (Some(o), false) => self.flow(c, si, o, Via::Otherwise, None, &mut planned),
                        _ => {
                            planned.push((self.fall(si), Via::NoRule, How::FallThrough, None, None))
                        }
                    },
                }
            }
            // a reply arrives after the touch: the cadence exit on reply, else its rule (unless
            // what the touch brought has ended the cadence already)
            let ended = !planned.is_empty() && planned.iter().all(|t| t.2 == How::Ends);
            if !ended && replied.is_some_and(|r| atom[r]) {
                if let Some(k) = exit_on(BuiltinTrigger::Reply) {
                    planned = vec![(
                        To::End(End::CadenceExit(k)),
                        Via::Exit(k),
                        How::Ends,
                        None,
                        None,
                    )];
                } else if let Some(k) = rule_outcome
                    .iter()
                    .position(|o| o.is_some() && *o == replied)
                {
                    let r = &s.rules[k];
                    let mut taken = Vec::new();
                    self.flow(
                        c,
                        si,
                        &r.effects,
                        Via::Rule(k),
                        r.within_minutes,
                        &mut taken,
                    );
                    // a jump replaces the touch already planned; `continue`, a used bound or a
                    // reply later than `within` keep it
                    let late = r.within_minutes.is_some();
                    let fall = taken
                        .iter()
                        .find(|t| matches!(t.2, How::FallThrough | How::BoundUsed));
                    match fall.map(|t| t.4) {
                        _ if late => {}
                        Some(None) => {}
                        Some(Some(back)) => {
                            for t in planned.iter_mut() {
                                t.4 = t.4.or(Some(back));
                            }
                        }
                        None => planned.clear(),
                    }
                    taken.retain(|t| !matches!(t.2, How::FallThrough | How::BoundUsed));
                    planned.extend(taken);
                }
            }
            for (to, via, how, within, back) in planned {
                let e = Edge {
                    from: si,
                    to,
                    via,
                    how,
                    within,
                };
                match back {
                    None => self.push(e),
                    Some(b) => pending.push((e, b)),
                }
            }
        }
    }

    fn fall(&self, si: StepId) -> To {
        match self.next_in_track.get(si).copied().flatten() {
            Some(n) => To::Step(n),
            None => To::End(End::Exhausted),
        }
    }

    /// Where the effects of a rule take control.
    fn flow(
        &self,
        c: &Cadence,
        si: StepId,
        e: &Effects,
        via: Via,
        within: Option<Delay>,
        out: &mut Vec<Planned>,
    ) {
        // `set EVENT` with a cadence exit on that event ends the cadence at once
        let on_event = e.set.iter().find_map(|ev| {
            c.exits
                .iter()
                .position(|x| x.trigger == Trigger::Event(*ev))
        });
        if let Some(k) = on_event {
            out.push((
                To::End(End::CadenceExit(k)),
                Via::Exit(k),
                How::Ends,
                None,
                None,
            ));
            return;
        }
        if e.stage.is_some() && c.stage.is_some() && e.stage != c.stage {
            out.push((To::End(End::StageChanged), via, How::Ends, None, None));
        }
        match &e.flow {
            Flow::Exit(r) => out.push((To::End(End::Exit(r.clone())), via, How::Ends, None, None)),
            Flow::Continue => out.push((self.fall(si), via, How::FallThrough, None, None)),
            Flow::Jump { step, bound } => {
                let bounded = bound.is_some();
                out.push((To::Step(*step), via, How::Jump { bounded }, within, None));
                if bounded {
                    out.push((self.fall(si), via, How::BoundUsed, None, Some(*step)));
                }
            }
        }
    }
}
