//! What the timing analyses keep of a checked cadence: its step graph and the spans to report
//! at.

use crate::model::graph::{Edge, How, StepGraph, Via};
use crate::model::Cadence;
use crate::source::Span;

/// What the timing analysis needs of a cadence, kept after checking.
#[derive(Debug, Clone)]
pub struct CadenceFlow {
    pub cadence: usize,
    /// the one step graph (`model::graph`), as the engine runs the cadence
    pub graph: StepGraph,
    /// span of each step's timing (or the step) for diagnostics
    pub timing_spans: Vec<Span>,
    /// span of the flow effect of each rule of each step, and of its `otherwise`
    pub rule_spans: Vec<(Vec<Option<Span>>, Option<Span>)>,
    /// the `hand_off to` target's name
    pub hand_off_span: Option<Span>,
    /// the dates of `active`
    pub active_span: Option<Span>,
}

impl CadenceFlow {
    /// The span of what takes an edge: the rule's flow effect, else the target step.
    pub fn edge_span(&self, c: &Cadence, e: &Edge) -> Span {
        let rule = self
            .rule_spans
            .get(e.from)
            .and_then(|(rules, other)| match e.via {
                Via::Rule(k) => rules.get(k).copied().flatten(),
                Via::Otherwise => *other,
                _ => None,
            });
        match (e.how, rule, e.step()) {
            (How::Jump { .. }, Some(span), _) => span,
            (_, _, Some(to)) => c.steps[to].span,
            (_, Some(span), None) => span,
            _ => c.steps[e.from].span,
        }
    }
}
