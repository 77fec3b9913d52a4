//! Parts of a checked model as text, so that two versions (whose indices differ) compare by what
//! they say.

use crate::calendar::Delay;
use crate::model::{Cadence, Cond, Effects, Flow, Model, Pipeline, Trigger};

pub use crate::words::{delay, timing};

/// The length of a delay in wall minutes where it has one (business delays do not).
pub fn wall_minutes(d: &Delay) -> Option<u64> {
    match d {
        Delay::Zero => Some(0),
        Delay::Wall { minutes } => Some(*minutes),
        _ => None,
    }
}

pub use crate::words::cond;

/// The top-level conjuncts of a condition, as texts.
pub fn conjuncts(c: &Cond, p: Option<&Pipeline>) -> Vec<String> {
    crate::simulate::conds::conjuncts(c)
        .into_iter()
        .map(|x| cond(x, p))
        .collect()
}

pub fn pipeline_of<'m>(m: &'m Model, c: &Cadence) -> Option<&'m Pipeline> {
    c.pipeline.and_then(|p| m.pipelines.get(p))
}

/// What a trigger names: `reply`, or an event of the pipeline.
pub fn trigger(t: &Trigger, p: Option<&Pipeline>) -> String {
    match t {
        Trigger::Builtin(b) => b.name().to_string(),
        Trigger::Event(e) => p
            .and_then(|p| p.events.get(*e))
            .cloned()
            .unwrap_or_default(),
    }
}

/// `set demo_held, stage needs, task "Call back", -> call_1 at most 2 times`.
pub fn effects(e: &Effects, m: &Model, c: &Cadence) -> String {
    let p = pipeline_of(m, c);
    let mut parts = Vec::new();
    if !e.set.is_empty() {
        let names: Vec<String> = e
            .set
            .iter()
            .filter_map(|x| p.and_then(|p| p.events.get(*x)).cloned())
            .collect();
        parts.push(format!("set {}", names.join(", ")));
    }
    if let Some(s) = e.stage.and_then(|s| p.and_then(|p| p.stages.get(s))) {
        parts.push(format!("stage {}", s.name));
    }
    for t in &e.tasks {
        parts.push(format!("task {:?}", t.title));
    }
    match &e.flow {
        Flow::Continue => {}
        Flow::Jump { step, bound } => {
            let name = c.steps.get(*step).map_or("?", |s| s.name.as_str());
            parts.push(match bound {
                Some(n) => format!("-> {name} at most {n} times"),
                None => format!("-> {name}"),
            });
        }
        Flow::Exit(r) => parts.push(format!("exit {r}")),
    }
    if parts.is_empty() {
        "nothing".into()
    } else {
        parts.join(", ")
    }
}
