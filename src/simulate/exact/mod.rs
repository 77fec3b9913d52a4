//! `cadence simulate --exact`: the answer a simulation converges to, computed without sampling,
//! for the models where that is possible (docs/simulation.md, "Exact answers"). Every branch of
//! every touch is enumerated (`touch.rs`) and probability mass is propagated over the lead's
//! discrete state (`walk.rs`); a lead's responsiveness is integrated numerically (`quad.rs`);
//! facts read by conditions are split into cells that behave alike (`cond.rs`). The model is
//! read through `spec.rs` only.
//!
//! The oracle of the Monte Carlo engine in tests/exact_oracle.rs.

pub mod cond;
pub mod quad;
pub mod report;
pub mod spec;
pub mod touch;
pub mod walk;

use crate::model::{Channel, Dist, Model};
use crate::simulate::Program;

use cond::{fact_uses, Use, FV};
use quad::{Law, Nodes};
use spec::{PopS, Spec};
use touch::Delays;

/// Where each accumulated quantity lives in the walk's accumulators.
#[derive(Debug, Clone)]
pub struct Layout {
    pub won: usize,
    pub lost: usize,
    pub open: usize,
    pub touches: usize,
    pub tasks: usize,
    pub cycle_sum: usize,
    pub won_by: usize,
    reasons: usize,
    finals: usize,
    reached: usize,
    outcomes: usize,
    channels: usize,
    entries: usize,
    exits: usize,
    escalations: usize,
    held: usize,
    ns: usize,
    nroles: usize,
    max_exits: usize,
    pub len: usize,
}

impl Layout {
    fn new(spec: &Spec) -> Layout {
        let ns = spec.stages.len();
        let nroles = spec.roles.len().max(1);
        let max_exits = spec.stages.iter().map(|s| s.exits.len()).max().unwrap_or(0);
        let steps = spec.steps.len();
        let mut at = 0;
        let mut take = |n: usize| {
            at += n;
            at - n
        };
        let mut l = Layout {
            won: take(1),
            lost: take(1),
            open: take(1),
            touches: take(1),
            tasks: take(1),
            cycle_sum: take(1),
            won_by: take(4),
            reasons: take(spec.reasons.len()),
            finals: take(ns),
            reached: take(steps),
            outcomes: take(steps * 6),
            channels: take(7),
            entries: take(ns),
            exits: take(ns * ns),
            escalations: take(ns * nroles),
            held: take(ns * max_exits * 16),
            ns,
            nroles,
            max_exits,
            len: 0,
        };
        l.len = at;
        l
    }
    pub fn reason(&self, r: usize) -> usize {
        self.reasons + r
    }
    pub fn final_stage(&self, s: usize) -> usize {
        self.finals + s
    }
    pub fn reached(&self, step: usize) -> usize {
        self.reached + step
    }
    pub fn step_outcome(&self, step: usize, o: usize) -> usize {
        self.outcomes + step * 6 + o
    }
    pub fn channel(&self, c: Channel) -> usize {
        self.channels + c as usize
    }
    pub fn stage_entry(&self, s: usize) -> usize {
        self.entries + s
    }
    pub fn stage_exit(&self, from: usize, to: usize) -> usize {
        self.exits + from * self.ns + to
    }
    pub fn escalation(&self, s: usize, role: usize) -> usize {
        self.escalations + s * self.nroles + role.min(self.nroles - 1)
    }
    pub fn held_back(&self, s: usize, exit: usize, part: usize) -> usize {
        self.held + (s * self.max_exits + exit) * 16 + part
    }
}

/// Why a model is not in the exact class (or too large for it): a sentence naming the construct
/// and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal(pub String);

/// The run an exact answer is for.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// minutes since the epoch
    pub start: f64,
    /// minutes
    pub horizon: f64,
    /// refuse a model whose walk expands more lead states than this
    pub max_states: usize,
}

/// The most lead states a walk expands before it refuses (the model is in the class, but the
/// enumeration would take too long).
pub const MAX_STATES: usize = 2_000_000;
/// The most combinations of fact cells per population.
pub const MAX_VALUATIONS: usize = 4096;

/// An exact answer: each quantity per enrolled... per lead of the population (divide by
/// `enrolled` for the report), with its numerical tolerance.
pub struct Exact {
    pub spec: Spec,
    pub layout: Layout,
    /// expected value per lead of the population, and the integration's error bound
    pub value: Vec<f64>,
    pub tol: Vec<f64>,
    /// the share of the population that enrolls
    pub enrolled: f64,
    /// (cycle minutes of won leads, mass); (stage, dwell minutes, mass) of completed stays
    pub cycles: Vec<(f64, f64)>,
    pub dwells: Vec<(usize, f64, f64)>,
    /// lead states expanded
    pub states: usize,
    /// integration nodes per population (1 without a spread of responsiveness)
    pub nodes: Vec<usize>,
}

impl Exact {
    /// A quantity per enrolled lead, and its tolerance.
    pub fn per_lead(&self, q: usize) -> (f64, f64) {
        if self.enrolled <= 0.0 {
            return (0.0, 0.0);
        }
        (self.value[q] / self.enrolled, self.tol[q] / self.enrolled)
    }
}

fn dist_text(d: &Dist) -> String {
    let name = match d {
        Dist::Const { .. } => "a constant",
        Dist::Bernoulli { .. } => "a percentage",
        Dist::Uniform { .. } => "uniform(...)",
        Dist::Normal { .. } => "normal(...)",
        Dist::LogNormal { .. } => "lognormal(...)",
        Dist::Gamma { .. } => "gamma(...)",
        Dist::Exponential { .. } => "exponential(...)",
        Dist::Weibull { .. } => "weibull(...)",
        Dist::Beta { .. } => "beta(...)",
        Dist::Choice { .. } => "choice(...)",
    };
    name.to_string()
}

fn constant(d: &Option<Dist>) -> Option<Option<f64>> {
    match d {
        None => Some(None),
        Some(d) => match quad::law(d) {
            Law::Points(p) if p.len() == 1 => Some(Some(p[0].0.max(0.0))),
            _ => None,
        },
    }
}

fn where_pop(spec: &Spec, pop: &PopS, i: usize) -> String {
    if i == 0 {
        format!("lead model `{}`", spec.leads)
    } else {
        format!("segment `{}` of lead model `{}`", pop.name, spec.leads)
    }
}

/// The class: refuse what the oracle cannot compute exactly, saying what and where.
fn qualify(spec: &Spec, model: &Model) -> Result<(), Refusal> {
    for (i, pop) in spec.pops.iter().enumerate() {
        for (item, d) in [
            ("reply_after", &pop.reply_after),
            ("open_after", &pop.open_after),
            ("meeting_after", &pop.meeting_after),
        ] {
            if constant(d).is_none() {
                return Err(Refusal(format!(
                    "`{item}` of {} is {}: --exact needs every delay to be a constant (a random \
                     delay changes which rule applies and what comes first)",
                    where_pop(spec, pop, i),
                    d.as_ref().map(dist_text).unwrap_or_default()
                )));
            }
        }
        for m in &pop.milestones {
            if constant(&Some(m.delay.clone())).is_none() {
                return Err(Refusal(format!(
                    "the delay of `milestone {}` in {} is {}: --exact needs every delay to be a \
                     constant",
                    spec.events.get(m.event).cloned().unwrap_or_default(),
                    where_pop(spec, pop, i),
                    dist_text(&m.delay)
                )));
            }
        }
    }
    if spec.arrivals {
        let clock = spec.steps.iter().find(|s| s.timing.at_clock.is_some());
        let why = if let Some(c) = &spec.calendar_name {
            Some(format!("calendar `{c}`"))
        } else if let Some(z) = &spec.lead_tz_name {
            Some(format!("the leads' `timezone \"{z}\"`"))
        } else {
            clock.map(|s| format!("the `at HH:MM` of step `{}`", s.name))
        };
        if let Some(why) = why {
            return Err(Refusal(format!(
                "lead model `{}` spreads enrolment over time (`arrivals`) and {why} makes the \
                 answer depend on each lead's enrolment instant: --exact needs every lead to \
                 enrol at the start (no `arrivals`), or timing that does not depend on the clock",
                spec.leads
            )));
        }
    }
    // facts: discrete, or continuous and compared only with constants
    for (f, why) in fact_uses_of(spec) {
        let Some(why) = why else { continue };
        for (i, pop) in spec.pops.iter().enumerate() {
            if let Some(Law::Continuous(d)) =
                pop.facts.get(f).and_then(|d| d.as_ref()).map(quad::law)
            {
                return Err(Refusal(format!(
                    "fact `{}` has {} in {} and {why} in a condition of cadence `{}`'s \
                     pipeline: --exact splits a continuous fact only at constants it is \
                     compared with (give it a `choice(...)` or a constant)",
                    spec.fact_names.get(f).cloned().unwrap_or_default(),
                    dist_text(&d),
                    where_pop(spec, pop, i),
                    spec.cadence
                )));
            }
        }
    }
    let _ = model;
    Ok(())
}

/// Every fact a condition reads: (fact, a use other than comparison with a constant).
fn fact_uses_of(spec: &Spec) -> Vec<(usize, Option<&'static str>)> {
    let mut uses = Vec::new();
    for c in spec.enroll.iter() {
        fact_uses(c, &mut uses);
    }
    for st in &spec.stages {
        for c in st.require.iter().chain(st.exits.iter().map(|e| &e.1)) {
            fact_uses(c, &mut uses);
        }
        for (_, c, _) in &st.escalations {
            fact_uses(c, &mut uses);
        }
    }
    let mut out: Vec<(usize, Option<&'static str>)> = Vec::new();
    for u in uses {
        let (f, why) = match u {
            Use::Constant(f, _) => (f, None),
            Use::Other(f, why) => (f, Some(why)),
        };
        match out.iter_mut().find(|x| x.0 == f) {
            Some(x) => x.1 = x.1.or(why),
            None => out.push((f, why)),
        }
    }
    out
}

fn constants_of(spec: &Spec, f: usize) -> Vec<f64> {
    let mut uses = Vec::new();
    for c in spec.enroll.iter() {
        fact_uses(c, &mut uses);
    }
    for st in &spec.stages {
        for c in st.require.iter().chain(st.exits.iter().map(|e| &e.1)) {
            fact_uses(c, &mut uses);
        }
        for (_, c, _) in &st.escalations {
            fact_uses(c, &mut uses);
        }
    }
    let mut t: Vec<f64> = uses
        .into_iter()
        .filter_map(|u| match u {
            Use::Constant(g, x) if g == f => Some(x),
            _ => None,
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t.dedup();
    t
}

/// The cells of one fact in one population: values that behave alike, with their probabilities.
fn cells(spec: &Spec, pop: &PopS, f: usize) -> Vec<(FV, f64)> {
    let Some(d) = pop.facts.get(f).and_then(|d| d.as_ref()) else {
        return vec![(FV::Unknown, 1.0)];
    };
    if spec.fact_text.get(f).copied().unwrap_or(false) {
        return match d {
            Dist::Const {
                value: crate::model::Value::Text(s),
            } => vec![(FV::Text(s.clone()), 1.0)],
            Dist::Choice { options } => options
                .iter()
                .map(|(v, w)| match v {
                    crate::model::Value::Text(s) => (FV::Text(s.clone()), *w),
                    _ => (FV::Unknown, *w),
                })
                .collect(),
            _ => vec![(FV::Unknown, 1.0)],
        };
    }
    match quad::law(d) {
        Law::Points(p) => p.into_iter().map(|(v, w)| (FV::Num(v), w)).collect(),
        Law::Continuous(d) => {
            let t = constants_of(spec, f);
            let mut out = Vec::new();
            let mut prev = (f64::NEG_INFINITY, 0.0);
            for x in t.iter().copied().chain(std::iter::once(f64::INFINITY)) {
                let c = if x.is_finite() { quad::cdf(&d, x) } else { 1.0 };
                let rep = match (prev.0.is_finite(), x.is_finite()) {
                    (false, true) => x - 1.0,
                    (true, true) => 0.5 * (prev.0 + x),
                    (true, false) => prev.0 + 1.0,
                    (false, false) => 0.0,
                };
                if c - prev.1 > 0.0 {
                    out.push((FV::Num(rep), c - prev.1));
                }
                prev = (x, c);
            }
            out
        }
    }
}

/// Integration nodes over a population's responsiveness: (values, nodes with weights).
fn nodes_for(spec: &Spec, pop: &PopS) -> (Vec<f64>, Nodes) {
    let Some(d) = &pop.responsiveness else {
        return (vec![1.0], points(&[1.0]));
    };
    match quad::law(d) {
        Law::Points(p) => {
            let w: Vec<f64> = p.iter().map(|x| x.1).collect();
            (p.iter().map(|x| x.0.max(0.0)).collect(), points(&w))
        }
        Law::Continuous(d) => {
            let mut kinks = Vec::new();
            let kmax = if pop.fatigue < 1.0 { 12 } else { 0 };
            for (si, s) in spec.steps.iter().enumerate() {
                for (v, rates) in pop.rates[si].iter().enumerate() {
                    let gains = pop.gains[si].get(v).copied().unwrap_or([1.0; 6]);
                    let caps = touch::caps(s.channel, rates);
                    let coef: Vec<f64> = touch::scaled(s.channel)
                        .iter()
                        .map(|i| rates[*i] * gains[*i])
                        .filter(|a| *a > 0.0)
                        .collect();
                    if s.channel == Channel::Linkedin && coef.len() == 2 {
                        kinks.push(1.0 / (coef[0] + coef[1]));
                    }
                    let kmax = if s.channel == Channel::Meeting {
                        0
                    } else {
                        kmax
                    };
                    for a in &coef {
                        for c in caps.iter().filter(|c| **c > 0.0) {
                            for k in 0..=kmax {
                                kinks.push(c / (a * pop.fatigue.powi(k)));
                            }
                        }
                    }
                }
            }
            let n = Nodes::on(&quad::breaks_for(&d, &kinks));
            let r =
                n.u.iter()
                    .map(|u| quad::quantile(&d, *u).max(0.0))
                    .collect();
            (r, n)
        }
    }
}

fn points(w: &[f64]) -> Nodes {
    Nodes {
        u: vec![0.0; w.len()],
        kronrod: w.to_vec(),
        gauss: w.to_vec(),
        panel: (0..w.len()).collect(),
        panels: w.len(),
    }
}

/// Compute the exact answer of (cadence, leads) over `opts`, or say why it cannot be.
pub fn exact(
    model: &Model,
    program: &Program,
    cadence: usize,
    leads: usize,
    opts: Options,
) -> Result<Exact, Refusal> {
    let spec = Spec::new(model, program, cadence, leads)
        .ok_or_else(|| Refusal("no such cadence or lead model".into()))?;
    qualify(&spec, model)?;
    let layout = Layout::new(&spec);
    let used: Vec<usize> = fact_uses_of(&spec).into_iter().map(|x| x.0).collect();
    let mut value = vec![0.0; layout.len];
    let mut tol = vec![0.0; layout.len];
    let mut enrolled = 0.0;
    let mut cycles = Vec::new();
    let mut dwells = Vec::new();
    let mut states = 0;
    let mut node_counts = Vec::new();
    for (pi, pop) in spec.pops.iter().enumerate() {
        if pop.share <= 0.0 {
            node_counts.push(0);
            continue;
        }
        // fact valuations: the product of every read fact's cells
        let mut vals: Vec<(Vec<FV>, f64)> = vec![(vec![FV::Unknown; spec.fact_names.len()], 1.0)];
        for f in &used {
            let cs = cells(&spec, pop, *f);
            let mut next = Vec::new();
            for (v, p) in &vals {
                for (c, q) in &cs {
                    let mut v = v.clone();
                    if let Some(slot) = v.get_mut(*f) {
                        *slot = c.clone();
                    }
                    next.push((v, p * q));
                }
            }
            vals = next;
            if vals.len() > MAX_VALUATIONS {
                return Err(Refusal(format!(
                    "the facts {} reads combine into more than {MAX_VALUATIONS} cases in {}",
                    spec.cadence,
                    where_pop(&spec, pop, pi)
                )));
            }
        }
        let assumed = spec.assumed.iter().fold(0u64, |a, e| a | (1 << e));
        let enrolls = |v: &[FV]| {
            spec.enroll.as_ref().is_none_or(|c| {
                cond::eval(
                    c,
                    &cond::Env {
                        facts: v,
                        events: assumed,
                        now: opts.start,
                        stage_entry: opts.start,
                        last_activity: opts.start,
                        enroll: opts.start,
                        touches: 0,
                    },
                )
            })
        };
        let vals: Vec<(Vec<FV>, f64)> = vals.into_iter().filter(|(v, _)| enrolls(v)).collect();
        let table: Vec<Vec<FV>> = vals.iter().map(|v| v.0.clone()).collect();
        enrolled += pop.share * vals.iter().map(|v| v.1).sum::<f64>();
        let (r, nodes) = nodes_for(&spec, pop);
        node_counts.push(r.len());
        let delays = Delays {
            reply: constant(&pop.reply_after).flatten().unwrap_or(0.0),
            open: constant(&pop.open_after).flatten().unwrap_or(0.0),
            meeting: constant(&pop.meeting_after).flatten().unwrap_or(0.0),
        };
        let mut w = walk::Walk::new(
            &spec,
            pop,
            &layout,
            r,
            nodes.kronrod.clone(),
            delays,
            &table,
            opts.start,
            opts.horizon,
            opts.max_states.saturating_sub(states),
        );
        for (i, (_, p)) in vals.iter().enumerate() {
            w.run(i, pop.share * p).map_err(|e| {
                Refusal(format!(
                    "cadence `{}` on lead model `{}` has more than {} distinct lead states: the \
                     model is in the exact class, but too large to enumerate (fewer steps, \
                     smaller jump bounds or a shorter horizon help)",
                    spec.cadence, spec.leads, e.0
                ))
            })?;
        }
        states += w.expanded;
        for q in 0..layout.len {
            let (v, e) = nodes.integrate(&w.acc[q]);
            value[q] += v;
            tol[q] += e;
        }
        cycles.append(&mut w.cycles);
        dwells.append(&mut w.dwells);
    }
    Ok(Exact {
        spec,
        layout,
        value,
        tol,
        enrolled,
        cycles,
        dwells,
        states,
        nodes: node_counts,
    })
}
