//! Step rules that a cadence-wide exit makes unreachable (W0420): the exit on `reply`,
//! `bounce`, `unsubscribe` or `meeting_booked` fires when its outcome happens and ends the
//! cadence, so the step's rule on that outcome never applies (the simulator does the same).

use crate::diagnostics::{codes, Diagnostic};
use crate::model::{BuiltinTrigger, Channel, Flow, Trigger};

use super::Checker;

/// The built-in trigger an outcome raises, if any.
impl Checker {
    pub(super) fn shadowed_rules(&mut self) {
        let mut found = Vec::new();
        for c in &self.model.cadences {
            let exit_on =
                |t: BuiltinTrigger| c.exits.iter().find(|e| e.trigger == Trigger::Builtin(t));
            for s in &c.steps {
                // a rule on an outcome its channel lacks is already an error (E0212)
                for r in s
                    .rules
                    .iter()
                    .filter(|r| s.channel.outcomes().contains(&r.outcome.as_str()))
                {
                    if let Some(e) = s.channel.raises(&r.outcome).and_then(exit_on) {
                        found.push(
                            Diagnostic::new(
                                &codes::W0420,
                                r.span,
                                format!(
                                    "this rule never applies: the exit `{}` takes every `{}` first",
                                    e.reason, r.outcome
                                ),
                            )
                            .with_label("never applies")
                            .with_related(e.span, "ends the cadence when it happens")
                            .with_help("move the rule's effects onto the exit, or drop the exit"),
                        );
                    } else if s.channel == Channel::Meeting
                        && !matches!(r.effects.flow, Flow::Continue)
                    {
                        if let Some(e) = exit_on(BuiltinTrigger::MeetingBooked) {
                            found.push(
                                Diagnostic::new(
                                    &codes::W0420,
                                    r.span,
                                    format!(
                                        "the jump or exit of this rule never applies: the exit `{}` ends the cadence when the meeting is booked",
                                        e.reason
                                    ),
                                )
                                .with_label("its `set`, `stage` and `task` effects still apply; the flow does not")
                                .with_related(e.span, "ends the cadence at the booking")
                                .with_help("drop the jump or `exit` from this rule, or the exit on `meeting_booked`"),
                            );
                        }
                    }
                }
            }
        }
        for d in found {
            self.push(d);
        }
    }
}
