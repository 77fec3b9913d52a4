//! `cadence test --coverage`: the steps, `on` rules, cadence exits, stage exits and
//! escalations of the project that no test run exercised (like `opa test --coverage`).

use std::collections::BTreeSet;

use super::trace::What;
use super::TestResult;
use crate::model::Model;
use crate::simulate::observe::MovedBy;
use crate::source::Span;

/// One thing a test can exercise.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Item {
    /// cadence, step
    Step(usize, usize),
    /// cadence, step, rule
    Rule(usize, usize, usize),
    /// cadence, exit
    Exit(usize, usize),
    /// pipeline, stage, exit
    StageExit(usize, usize, usize),
    /// pipeline, stage, escalation
    Escalation(usize, usize, usize),
}

pub struct Coverage {
    /// every item with its place and words, in model order
    pub items: Vec<(Item, Span, String)>,
    pub covered: BTreeSet<Item>,
}

impl Coverage {
    pub fn missing(&self) -> impl Iterator<Item = &(Item, Span, String)> {
        self.items
            .iter()
            .filter(|(i, _, _)| !self.covered.contains(i))
    }
}

/// Every item of the model, described.
fn universe(m: &Model) -> Vec<(Item, Span, String)> {
    let mut out = Vec::new();
    for (ci, c) in m.cadences.iter().enumerate() {
        for (si, s) in c.steps.iter().enumerate() {
            out.push((
                Item::Step(ci, si),
                s.span,
                format!("step `{}` of cadence `{}`", s.name, c.name),
            ));
            for (k, r) in s.rules.iter().enumerate() {
                out.push((
                    Item::Rule(ci, si, k),
                    r.span,
                    format!("rule `on {}` of step `{}` ({})", r.outcome, s.name, c.name),
                ));
            }
        }
        for (k, e) in c.exits.iter().enumerate() {
            out.push((
                Item::Exit(ci, k),
                e.span,
                format!("exit `{}` of cadence `{}`", e.reason, c.name),
            ));
        }
    }
    for (pi, p) in m.pipelines.iter().enumerate() {
        for (si, st) in p.stages.iter().enumerate() {
            for (k, e) in st.exits.iter().enumerate() {
                let to = p.stages.get(e.target).map_or("?", |s| s.name.as_str());
                out.push((
                    Item::StageExit(pi, si, k),
                    e.span,
                    format!("exit of stage `{}` to `{to}` ({})", st.name, p.name),
                ));
            }
            for (k, e) in st.escalations.iter().enumerate() {
                let role = p.roles.get(e.role).map_or("?", |s| s.as_str());
                out.push((
                    Item::Escalation(pi, si, k),
                    st.span,
                    format!("escalation to `{role}` in stage `{}` ({})", st.name, p.name),
                ));
            }
        }
    }
    out
}

/// What the runs of `results` exercised, against every item of the model.
pub fn coverage(m: &Model, results: &[TestResult]) -> Coverage {
    let mut covered = BTreeSet::new();
    for r in results {
        let Some(run) = &r.run else { continue };
        let p = &run.program;
        let cadence_id = |c: usize| m.cadences.iter().position(|x| x.name == p.cadences[c].name);
        let local = |g: usize| {
            let c = p.steps[g].cadence;
            cadence_id(c).map(|ci| (ci, g - p.cadences[c].steps.start))
        };
        let pipeline = m.tests.get(r.test).and_then(|t| match &t.target {
            crate::model::SimTarget::Cadence(c) => m.cadences.get(*c).and_then(|c| c.pipeline),
            crate::model::SimTarget::Pipeline { pipeline, .. } => Some(*pipeline),
        });
        for (_, w) in &run.trace.entries {
            match *w {
                What::Touched(g) => {
                    if let Some((ci, si)) = local(g) {
                        covered.insert(Item::Step(ci, si));
                    }
                }
                What::Rule(g, Some(k)) => {
                    if let Some((ci, si)) = local(g) {
                        covered.insert(Item::Rule(ci, si, k));
                    }
                }
                What::CadenceEnded(c, reason) => {
                    let name = p.reasons.get(reason);
                    if let Some(ci) = cadence_id(c) {
                        let exits = &m.cadences[ci].exits;
                        if let Some(k) = exits.iter().position(|e| Some(&e.reason) == name) {
                            covered.insert(Item::Exit(ci, k));
                        }
                    }
                }
                What::StageLeft(from, _, MovedBy::Exit(k)) => {
                    if let Some(pi) = pipeline {
                        covered.insert(Item::StageExit(pi, from, k));
                    }
                }
                What::Escalated(st, k, _) => {
                    if let Some(pi) = pipeline {
                        covered.insert(Item::Escalation(pi, st, k));
                    }
                }
                _ => {}
            }
        }
    }
    Coverage {
        items: universe(m),
        covered,
    }
}
