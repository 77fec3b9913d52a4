//! The playbook's timing words, which no CRM target expresses: weekday anchors, date windows,
//! hand-offs between cadences and elastic (skippable) steps. Each is a classified loss (E0901,
//! W0902 with `--allow-lossy`), reported once per cadence for every target.

use super::{text, Sink};
use crate::model::Model;

pub(crate) fn losses(model: &Model, ci: usize, sink: &mut Sink) {
    let Some(c) = model.cadences.get(ci) else {
        return;
    };
    let p = c.pipeline.and_then(|p| model.pipelines.get(p));
    let t = sink.target().title();
    if let Some(w) = c.window {
        let early = if c.defer {
            "deals enrolled earlier wait for it"
        } else {
            "deals enrolled earlier are refused"
        };
        sink.loss(
            c.span,
            format!("the cadence runs only on {} ({early})", w.text()),
            &format!("{t} cadences have no start or end date"),
            "the dates are left out: enroll and unenroll by hand or from a workflow",
        );
    }
    if let Some(h) = c.hand_off.and_then(|h| model.cadences.get(h)) {
        sink.loss(
            c.span,
            format!(
                "when it runs out, the cadence hands the deal to `{}`",
                h.name
            ),
            &format!("{t} cannot enroll a record in another cadence when one finishes"),
            &format!(
                "left out: enroll in `{}` from a workflow when this one ends",
                h.name
            ),
        );
    }
    for s in &c.steps {
        if s.timing.is_anchor() {
            sink.loss(
                s.span,
                format!(
                    "step `{}` is due on given weekdays: `{}`",
                    s.name,
                    text::timing(s.timing)
                ),
                &format!(
                    "{t} schedules a step by a wait after the previous one, not on given weekdays"
                ),
                "the weekdays are left out: the step follows the wait and the clock time",
            );
        }
        if let Some(w) = s.window {
            sink.loss(
                s.span,
                format!("step `{}` runs only on {}", s.name, w.text()),
                &format!("{t} steps have no dates"),
                "the step runs on any date",
            );
        }
        if let Some(cond) = &s.skip {
            sink.loss(
                s.span,
                format!(
                    "step `{}` is skipped when `{}`",
                    s.name,
                    text::cond(cond, p)
                ),
                &format!("{t} cannot skip a step on a condition"),
                "the step always runs; a rep may skip it by hand",
            );
        }
    }
}
