//! The schedule preview (`cadence schedule`): when each touch of a cadence's path fires for a
//! given enrolment time, on the cadence's real calendar, with the waits that produced it.
//!
//! The touch times come from [`Calendar::schedule`], the same function the checker's worst cases
//! and the simulator's clock answer; the path follows the cadence's step graph
//! ([`StepGraph`]), as the engine runs it. Outcomes are taken to come at the touch (a rule's
//! `within` is not waited for), and a `skip when` condition is taken to be false; a `during`
//! window is decided by the touch's date.

mod waits;

use chrono::{DateTime, TimeZone, Utc};

pub use waits::Wait;

use crate::calendar::Calendar;
use crate::model::graph::{End, How, StepGraph, To, Via};
use crate::model::{Cadence, Flow, Model, StepId};

/// A path longer than this many steps is cut (a path that loops without a bound).
pub const MAX_STEPS: usize = 200;

/// Which path to follow.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub cadence: usize,
    /// start with a touch of this step at the given time, instead of at enrolment
    pub from: Option<StepId>,
    /// exactly these touched steps, in order (steps passed over between two of them are skipped)
    pub path: Option<Vec<StepId>>,
    /// at these steps, this outcome (the rest: no outcome a rule listens for)
    pub outcomes: Vec<(StepId, String)>,
}

/// One step on the path: touched, or passed over.
#[derive(Debug, Clone)]
pub struct Touch {
    pub step: StepId,
    /// what its wait counts from
    pub reference: DateTime<Utc>,
    pub at: DateTime<Utc>,
    /// passed over without a touch (`during`, or between two steps of `--path`)
    pub skipped: bool,
    pub waits: Vec<Wait>,
    /// wall-clock minutes since the previous touch (since enrolment for the first touch);
    /// `None` for a step passed over or the starting touch of `--from`
    pub gap: Option<u64>,
}

/// The schedule for one enrolment time.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub enroll: DateTime<Utc>,
    pub touches: Vec<Touch>,
    /// how the path ends, in words
    pub end: String,
}

impl Schedule {
    /// The longest gap and the touch it ends at (index into `touches`).
    pub fn worst_gap(&self) -> Option<(usize, u64)> {
        self.touches
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.gap.map(|g| (i, g)))
            .fold(None, |best, (i, g)| match best {
                Some((_, b)) if b >= g => best,
                _ => Some((i, g)),
            })
    }

    /// The touched step before touch `i` (`None`: enrolment).
    pub fn previous_touch(&self, i: usize) -> Option<StepId> {
        self.touches[..i]
            .iter()
            .rev()
            .find(|t| !t.skipped)
            .map(|t| t.step)
    }
}

/// A request that cannot be followed: the reason, for a usage error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError(pub String);

/// Where the walk goes after a touch (or the start).
enum Next {
    /// these steps passed over (forced by `--path`), then this one touched
    Step(Vec<StepId>, StepId),
    Ends(String),
}

struct Walk<'a> {
    c: &'a Cadence,
    graph: StepGraph,
    req: &'a Request,
    path_at: usize,
    /// uses of each bounded jump: (step, via)
    jumps: Vec<((StepId, Via), u32)>,
}

/// The schedule of `req` for an enrolment (or the `--from` touch) at `enroll`.
pub fn schedule(
    model: &Model,
    cal: &Calendar,
    req: &Request,
    enroll: DateTime<Utc>,
) -> Result<Schedule, PathError> {
    let c = model
        .cadences
        .get(req.cadence)
        .ok_or_else(|| PathError("no such cadence".into()))?;
    let mut w = Walk {
        c,
        graph: StepGraph::new(c),
        req,
        path_at: 0,
        jumps: Vec::new(),
    };
    let mut touches = Vec::new();
    let (mut now, mut last_touch) = (enroll, enroll);
    let mut cur = req.from;
    if let Some(f) = req.from {
        touches.push(Touch {
            step: f,
            reference: enroll,
            at: enroll,
            skipped: false,
            waits: vec![Wait::given(cal, enroll)],
            gap: None,
        });
    }
    let end = loop {
        if touches.len() >= MAX_STEPS {
            break format!("cut after {MAX_STEPS} steps: the path goes round");
        }
        let (forced, target) = match w.next(cur)? {
            Next::Step(skips, s) => (skips, s),
            Next::Ends(why) => break why,
        };
        // the steps to wait for: the forced skips, then the target; a `during` step outside its
        // dates is passed over too, on to the next step of its track
        let mut queue: std::collections::VecDeque<(StepId, bool)> =
            forced.into_iter().map(|s| (s, true)).collect();
        queue.push_back((target, false));
        let mut ended = None;
        while let Some((s, forced)) = queue.pop_front() {
            let step = &c.steps[s];
            let Some(at) = cal.schedule(now, step.timing) else {
                ended = Some(format!(
                    "step `{}` never comes: the calendar has no opening",
                    step.name
                ));
                break;
            };
            let date = cal.tz.from_utc_datetime(&at.naive_utc()).date_naive();
            let outside = step
                .window
                .is_some_and(|win| date < win.from || date > win.to);
            let mut waits = waits::explain(cal, now, step.timing, at);
            if outside {
                waits.push(Wait::outside_dates(step.window));
            }
            let skipped = forced || outside;
            touches.push(Touch {
                step: s,
                reference: now,
                at,
                skipped,
                waits,
                gap: (!skipped).then(|| minutes_between(last_touch, at)),
            });
            now = at;
            if skipped && !forced {
                match w.graph.next_in_track.get(s).copied().flatten() {
                    // a `--path` target still to come after the step passed over
                    Some(n) if queue.is_empty() && w.req.path.is_none() => {
                        queue.push_back((n, false))
                    }
                    _ if queue.is_empty() && w.req.path.is_none() => {
                        ended = Some("ran out of steps (exhausted)".into());
                    }
                    _ => {}
                }
            } else if !skipped {
                last_touch = at;
                cur = Some(s);
            }
        }
        if let Some(e) = ended {
            break e;
        }
    };
    Ok(Schedule {
        enroll,
        touches,
        end,
    })
}

fn minutes_between(a: DateTime<Utc>, b: DateTime<Utc>) -> u64 {
    u64::try_from((b - a).num_minutes()).unwrap_or(0)
}

impl Walk<'_> {
    fn next(&mut self, cur: Option<StepId>) -> Result<Next, PathError> {
        if let Some(path) = &self.req.path {
            let Some(&want) = path.get(self.path_at) else {
                return Ok(Next::Ends("end of --path".into()));
            };
            self.path_at += 1;
            return self.leg_to(cur, want);
        }
        let Some(s) = cur else {
            return Ok(match self.graph.entry {
                Some(e) => Next::Step(Vec::new(), e),
                None => Next::Ends("the cadence has no steps".into()),
            });
        };
        let step = &self.c.steps[s];
        let outcome = self
            .req
            .outcomes
            .iter()
            .find(|(x, _)| *x == s)
            .map(|(_, o)| o.as_str());
        let via = match outcome {
            Some(o) => {
                // a cadence exit listening for what the outcome raises ends the cadence first
                let raises = step
                    .channel
                    .outcome_table()
                    .iter()
                    .find(|x| x.name == o)
                    .and_then(|x| x.raises);
                let exit = raises.and_then(|t| {
                    self.c
                        .exits
                        .iter()
                        .find(|e| e.trigger == crate::model::Trigger::Builtin(t))
                });
                if let Some(e) = exit {
                    return Ok(Next::Ends(format!(
                        "`{o}` at `{}`: cadence exit `{}`",
                        step.name, e.reason
                    )));
                }
                match step.rules.iter().position(|r| r.outcome == o) {
                    Some(k) => Via::Rule(k),
                    None => Self::default_via(self.c, s),
                }
            }
            None => Self::default_via(self.c, s),
        };
        let flow = match via {
            Via::Rule(k) => step.rules.get(k).map(|r| &r.effects.flow),
            Via::Otherwise => step.otherwise.as_ref().map(|e| &e.flow),
            _ => None,
        };
        let edges: Vec<_> = self
            .graph
            .out(s)
            .filter(|e| !e.is_skip() && e.via == via)
            .cloned()
            .collect();
        let bounded = edges.iter().find(|e| e.how == How::Jump { bounded: true });
        let edge = match (bounded, flow) {
            (Some(j), Some(Flow::Jump { bound: Some(b), .. })) => {
                let used = self.jump_uses(s, via);
                if *used < *b {
                    *used += 1;
                    Some(j.clone())
                } else {
                    edges.iter().find(|e| e.how == How::BoundUsed).cloned()
                }
            }
            _ => edges.iter().find(|e| e.how != How::BoundUsed).cloned(),
        };
        Ok(match edge.map(|e| e.to) {
            Some(To::Step(n)) => Next::Step(Vec::new(), n),
            Some(To::End(e)) => Next::Ends(self.end_text(&e)),
            None => Next::Ends("ran out of steps (exhausted)".into()),
        })
    }

    fn default_via(c: &Cadence, s: StepId) -> Via {
        if c.steps[s].otherwise.is_some() {
            Via::Otherwise
        } else {
            Via::NoRule
        }
    }

    fn jump_uses(&mut self, s: StepId, via: Via) -> &mut u32 {
        let i = match self.jumps.iter().position(|(k, _)| *k == (s, via)) {
            Some(i) => i,
            None => {
                self.jumps.push(((s, via), 0));
                self.jumps.len() - 1
            }
        };
        &mut self.jumps[i].1
    }

    fn end_text(&self, e: &End) -> String {
        match e {
            End::Exhausted => "ran out of steps (exhausted)".into(),
            End::Exit(r) => format!("exit `{r}`"),
            End::CadenceExit(k) => format!(
                "cadence exit `{}`",
                self.c
                    .exits
                    .get(*k)
                    .map(|x| x.reason.as_str())
                    .unwrap_or("?")
            ),
            End::StageChanged => "the deal moves to another stage".into(),
        }
    }

    /// The leg of the step graph from `cur` (or the start) to the touch of `want`.
    fn leg_to(&self, cur: Option<StepId>, want: StepId) -> Result<Next, PathError> {
        let legs = self.graph.legs();
        let found = legs
            .iter()
            .filter(|l| l.from() == cur && l.to == To::Step(want))
            .min_by_key(|l| l.skipped.len());
        match found {
            Some(l) => Ok(Next::Step(l.skipped.clone(), want)),
            None => {
                let mut can: Vec<&str> = legs
                    .iter()
                    .filter(|l| l.from() == cur)
                    .filter_map(|l| match l.to {
                        To::Step(s) => Some(self.c.steps[s].name.as_str()),
                        To::End(_) => None,
                    })
                    .collect();
                can.sort_unstable();
                can.dedup();
                let after = match cur {
                    Some(s) => format!("after a touch of `{}`", self.c.steps[s].name),
                    None => "at enrolment".to_string(),
                };
                Err(PathError(format!(
                    "--path: step `{}` cannot come next {after}; the next touch can be {}",
                    self.c.steps[want].name,
                    if can.is_empty() {
                        "none".to_string()
                    } else {
                        can.iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                )))
            }
        }
    }
}
