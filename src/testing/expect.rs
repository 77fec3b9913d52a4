//! Each `expect` of a test against the trace of its lead: what was expected, what happened
//! instead, as a diagnostic (E0805) at the `expect`, with the trace as its note.

use super::script::Script;
use super::trace::{Names, Trace, What};
use super::{resolve, zone};
use crate::diagnostics::{codes, Diagnostic};
use crate::model::{Expect, Model, Test, TestExpectation};
use crate::simulate::engine::Time;
use crate::simulate::program::ACTIVE;

/// Two instants are the same minute.
fn same(a: Time, b: Time) -> bool {
    (a - b).abs() < 0.5
}

/// A test that could not run at all (its target does not compile, its start does not exist).
pub fn cannot_run(t: &Test, why: &str) -> Diagnostic {
    Diagnostic::new(
        &codes::E0805,
        t.span,
        format!("test \"{}\" cannot run: {why}", t.name),
    )
    .with_label("this test")
}

pub struct Check<'a> {
    pub model: &'a Model,
    pub test: &'a Test,
    pub names: &'a Names<'a>,
    pub trace: &'a Trace,
    pub enroll: Time,
}

impl Check<'_> {
    /// The entries at or before `until` (all without it).
    fn upto(&self, until: Option<Time>) -> impl Iterator<Item = &(Time, What)> {
        self.trace
            .entries
            .iter()
            .filter(move |(t, _)| until.is_none_or(|u| *t <= u + 0.5))
    }

    fn failure(&self, x: &TestExpectation, message: String, label: String) -> Diagnostic {
        Diagnostic::new(&codes::E0805, x.span, message)
            .with_label(label)
            .with_note(self.names.render(self.trace))
    }

    /// Every failure of the test: its expectations in order, then `when` lines that never
    /// applied.
    pub fn all(&self, script: &Script, unplaced: &[usize]) -> Vec<Diagnostic> {
        let mut out: Vec<Diagnostic> = self
            .test
            .expectations
            .iter()
            .filter_map(|x| self.one(x))
            .collect();
        let mut unused: Vec<usize> = script
            .outcomes
            .iter()
            .filter(|s| s.used.is_none())
            .map(|s| s.line)
            .chain(unplaced.iter().copied())
            .collect();
        unused.sort_unstable();
        unused.dedup();
        for line in unused {
            let Some(e) = self.test.events.get(line) else {
                continue;
            };
            out.push(
                Diagnostic::new(
                    &codes::E0805,
                    e.span,
                    "this `when` never applied: its step was not touched at or before that time",
                )
                .with_label("scripted, but nothing it could apply to")
                .with_note(self.names.render(self.trace)),
            );
        }
        out
    }

    /// One expectation: None when it holds.
    fn one(&self, x: &TestExpectation) -> Option<Diagnostic> {
        let n = self.names;
        let tz = zone(n.p);
        let at = x.at.as_ref().and_then(|a| resolve(a, self.enroll, tz));
        let when = at.map(|t| format!(" at {}", n.at(t))).unwrap_or_default();
        match &x.what {
            Expect::Exit(reason) => {
                let ends: Vec<(Time, usize, usize)> = self
                    .trace
                    .entries
                    .iter()
                    .filter_map(|(t, w)| match w {
                        What::CadenceEnded(c, r) => Some((*t, *c, *r)),
                        _ => None,
                    })
                    .collect();
                let hit = ends
                    .iter()
                    .any(|(t, _, r)| n.reason(*r) == reason && at.is_none_or(|a| same(a, *t)));
                if hit {
                    return None;
                }
                let instead: Vec<String> = ends
                    .iter()
                    .map(|(t, c, r)| {
                        let name = &n.p.cadences[*c].name;
                        if *r == n.p.cadences[*c].reason_base + ACTIVE {
                            format!("{name} was still running at the end")
                        } else {
                            format!("{name} ended `{}` at {}", n.reason(*r), n.at(*t))
                        }
                    })
                    .collect();
                let instead = if instead.is_empty() {
                    "no cadence ran".to_string()
                } else {
                    instead.join("; ")
                };
                Some(self.failure(
                    x,
                    format!("expected exit `{reason}`{when}, but {instead}"),
                    "this expectation does not hold".into(),
                ))
            }
            Expect::Stage(stage) => {
                let mut now = n.p.start_stage;
                let mut entered = self.enroll;
                for (t, w) in self.upto(at) {
                    if let What::StageEntered(s) = w {
                        now = *s;
                        entered = *t;
                    }
                }
                if now == *stage {
                    return None;
                }
                let moment = if at.is_some() { "then" } else { "at the end" };
                Some(self.failure(
                    x,
                    format!(
                        "expected stage `{}`{when}, but the deal was in `{}` {moment} (since {})",
                        n.stage(*stage),
                        n.stage(now),
                        n.at(entered)
                    ),
                    "this expectation does not hold".into(),
                ))
            }
            Expect::Touches(count) => {
                let got = self
                    .upto(at)
                    .filter(|(_, w)| matches!(w, What::Touched(_)))
                    .count() as u64;
                (got != *count).then(|| {
                    self.failure(
                        x,
                        format!("expected {count} touches{when}, but there were {got}"),
                        "this expectation does not hold".into(),
                    )
                })
            }
            Expect::Path(steps) => {
                let want: Vec<String> = steps
                    .iter()
                    .filter_map(|(c, s)| {
                        super::global_step(self.model, n.p, *c, *s).map(|g| n.step(g))
                    })
                    .collect();
                let got: Vec<String> = self
                    .upto(at)
                    .filter_map(|(_, w)| match w {
                        What::Touched(s) => Some(n.step(*s)),
                        _ => None,
                    })
                    .collect();
                (got != want).then(|| {
                    let shown = if got.is_empty() {
                        "no touch".to_string()
                    } else {
                        got.join(", ")
                    };
                    self.failure(
                        x,
                        format!(
                            "expected path {}{when}, but the path was {shown}",
                            want.join(", ")
                        ),
                        "this expectation does not hold".into(),
                    )
                })
            }
            Expect::Escalation(role) => {
                let ups: Vec<(Time, usize)> = self
                    .trace
                    .entries
                    .iter()
                    .filter_map(|(t, w)| match w {
                        What::Escalated(_, _, r) => Some((*t, *r)),
                        _ => None,
                    })
                    .collect();
                if ups
                    .iter()
                    .any(|(t, r)| r == role && at.is_none_or(|a| same(a, *t)))
                {
                    return None;
                }
                let instead: Vec<String> = ups
                    .iter()
                    .map(|(t, r)| format!("{} at {}", n.role(*r), n.at(*t)))
                    .collect();
                let instead = if instead.is_empty() {
                    "nothing was escalated".to_string()
                } else {
                    format!("the escalations were: {}", instead.join(", "))
                };
                Some(self.failure(
                    x,
                    format!(
                        "expected an escalation to `{}`{when}, but {instead}",
                        n.role(*role)
                    ),
                    "this expectation does not hold".into(),
                ))
            }
        }
    }
}
