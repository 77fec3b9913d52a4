//! `test` blocks: the target (one cadence, or a whole pipeline from a stage), the scripted
//! lead, what happens (`when`) and what is expected, resolved against the target's cadences.

use super::conditions::{literal_value, Ty};
use super::Checker;
use crate::diagnostics::{codes, Diagnostic};
use crate::model::{self, Cadence, Expect, Pipeline, SimTarget, TestWhat, TimeRef};
use crate::source::Span;
use crate::syntax::ast::{self, TestDecl, TestItem};

/// The target a test names, with the span of its item.
struct Target {
    target: SimTarget,
    pipeline: Option<Pipeline>,
    /// the cadences that run, with their model ids
    cadences: Vec<(usize, Cadence)>,
}

impl Checker {
    fn time_ref(&mut self, t: &ast::TimePoint) -> Option<TimeRef> {
        match t {
            ast::TimePoint::Relative(d) => Some(TimeRef::AfterEnrollMinutes(
                self.wall_minutes(d, "a test time"),
            )),
            ast::TimePoint::Absolute(dt) => self.datetime(dt).map(TimeRef::At),
        }
    }

    /// `cadence NAME` or `pipeline NAME [stage NAME]`: exactly one, once.
    fn test_target(&mut self, t: &TestDecl) -> Option<Target> {
        let mut first: Option<(&str, Span)> = None;
        let mut target = None;
        for item in &t.items {
            let key = match &item.node {
                TestItem::Cadence(_) => "cadence",
                TestItem::Pipeline(..) => "pipeline",
                _ => continue,
            };
            if let Some((k, f)) = first {
                if k == key {
                    self.duplicate_setting(key, item.span, f);
                } else {
                    self.push(
                        Diagnostic::new(
                            &codes::E0803,
                            item.span,
                            "a test runs one cadence or a whole pipeline, not both",
                        )
                        .with_label("second target")
                        .with_related(f, "first target")
                        .with_help("keep `cadence NAME` or `pipeline NAME [stage NAME]`"),
                    );
                }
                continue;
            }
            first = Some((key, item.span));
            target = match &item.node {
                TestItem::Cadence(c) => self.cadence_ref(c).map(SimTarget::Cadence),
                TestItem::Pipeline(p, stage) => self.test_pipeline(p, stage.as_ref()),
                _ => None,
            };
        }
        if first.is_none() {
            self.missing_setting(
                t.name.span,
                format!("test \"{}\" has no `cadence` or `pipeline`", t.name.value),
                "a test needs `cadence NAME` or `pipeline NAME [stage NAME]`",
            );
        }
        let target = target?;
        let (pipeline, ids) = match &target {
            SimTarget::Cadence(c) => (self.model.cadences.get(*c)?.pipeline, vec![*c]),
            SimTarget::Pipeline {
                pipeline, cadences, ..
            } => (Some(*pipeline), cadences.clone()),
        };
        Some(Target {
            pipeline: pipeline.and_then(|p| self.model.pipelines.get(p).cloned()),
            cadences: ids
                .iter()
                .filter_map(|i| self.model.cadences.get(*i).map(|c| (*i, c.clone())))
                .collect(),
            target,
        })
    }

    fn test_pipeline(&mut self, p: &ast::Ident, stage: Option<&ast::Ident>) -> Option<SimTarget> {
        let pi = self.pipeline_ref(p)?;
        let pl = self.model.pipelines.get(pi)?.clone();
        let stage = match stage {
            Some(s) => Some(self.stage_ref(&pl, s)?),
            None => None,
        };
        Some(SimTarget::Pipeline {
            pipeline: pi,
            stage,
            cadences: self.model.pipeline_cadences(pi),
        })
    }

    pub(super) fn test(&mut self, t: &TestDecl) {
        let Some(target) = self.test_target(t) else {
            return;
        };
        let mut test = model::Test {
            name: t.name.value.clone(),
            target: target.target.clone(),
            facts: Vec::new(),
            enroll_at: None,
            events: Vec::new(),
            expectations: Vec::new(),
            span: t.name.span,
        };
        let mut reasons: Vec<String> = Vec::new();
        for (_, c) in &target.cadences {
            reasons.extend(c.exits.iter().map(|e| e.reason.clone()));
            for s in &c.steps {
                for e in s.rules.iter().map(|r| &r.effects).chain(s.otherwise.iter()) {
                    if let model::Flow::Exit(r) = &e.flow {
                        reasons.push(r.clone());
                    }
                }
            }
            if c.window.is_some() {
                reasons.push(crate::simulate::program::WINDOW_CLOSED.into());
            }
        }
        reasons.extend(["exhausted", "stage_changed"].map(String::from));
        let mut enroll_span: Option<Span> = None;
        for item in &t.items {
            match &item.node {
                TestItem::Cadence(_) | TestItem::Pipeline(..) => {}
                TestItem::Lead(values) => {
                    for fv in values {
                        if let Some((f, v)) =
                            self.test_fact(target.pipeline.as_ref(), &fv.path, &fv.value)
                        {
                            test.facts.push((f, v));
                        }
                    }
                }
                TestItem::Enroll(dt) => {
                    if let Some(first) = enroll_span {
                        self.duplicate_setting("enroll", item.span, first);
                    }
                    enroll_span = Some(item.span);
                    test.enroll_at = self.datetime(dt);
                }
                TestItem::When { what, value, at } => {
                    let at = self.time_ref(at);
                    let what = match value {
                        Some(v) => self
                            .test_fact(target.pipeline.as_ref(), what, v)
                            .map(|(fact, value)| TestWhat::Fact { fact, value }),
                        None => self.test_happening(&target, what),
                    };
                    if let (Some(what), Some(at)) = (what, at) {
                        test.events.push(model::TestEvent {
                            what,
                            at,
                            span: item.span,
                        });
                    }
                }
                TestItem::Expect(e) => {
                    if let Some(x) = self.expectation(&target, &reasons, e) {
                        test.expectations.push(model::TestExpectation {
                            what: x.0,
                            at: x.1,
                            span: item.span,
                        });
                    }
                }
            }
        }
        if enroll_span.is_none() {
            self.missing_setting(
                t.name.span,
                format!("test \"{}\" has no `enroll at`", t.name.value),
                "say when the lead enrolls: `enroll at 2026-03-02 09:00`",
            );
        }
        self.model.tests.push(test);
    }

    /// A fact and a value of its type (`lead { … }`, `when FACT = VALUE`).
    fn test_fact(
        &mut self,
        pipeline: Option<&Pipeline>,
        path: &ast::Path,
        value: &ast::Literal,
    ) -> Option<(String, model::Value)> {
        let fact = pipeline.and_then(|p| p.facts.iter().find(|f| f.path == path.text));
        let Some(f) = fact else {
            let cands: Vec<String> = pipeline
                .iter()
                .flat_map(|p| p.facts.iter().map(|f| f.path.clone()))
                .collect();
            self.unknown(
                &codes::E0206,
                "fact",
                &path.text,
                path.span,
                "",
                cands.iter().map(|s| s.as_str()),
            );
            return None;
        };
        let (v, got) = literal_value(value);
        let want = Ty::of_fact(f.ty);
        let ok = want == got
            || matches!(
                (&want, &got),
                (Ty::Money(_), Ty::Money(_)) | (Ty::Score, Ty::Number)
            );
        if !ok {
            self.push(
                Diagnostic::new(
                    &codes::E0304,
                    value.span(),
                    format!(
                        "`{}` is {} fact",
                        f.path,
                        crate::diagnostics::with_article(&format!("{:?}", f.ty).to_lowercase())
                    ),
                )
                .with_label("value of another type")
                .with_help("give the test lead a value of the fact's type"),
            );
        }
        Some((f.path.clone(), v))
    }

    /// The cadence of the target that has step `name` (`cadence.step` names it outright).
    fn test_step(
        &mut self,
        target: &Target,
        cadence: Option<&str>,
        name: &str,
        span: Span,
    ) -> Option<(usize, usize, model::Channel)> {
        let found: Vec<(usize, usize, model::Channel)> = target
            .cadences
            .iter()
            .filter(|(_, c)| cadence.is_none_or(|n| c.name == n))
            .filter_map(|(ci, c)| {
                let si = c.steps.iter().position(|s| s.name == name)?;
                Some((*ci, si, c.steps[si].channel))
            })
            .collect();
        match found.as_slice() {
            [one] => Some(*one),
            [] => {
                let names: Vec<&str> = target
                    .cadences
                    .iter()
                    .flat_map(|(_, c)| c.steps.iter().map(|s| s.name.as_str()))
                    .collect();
                let ctx = match (&target.target, cadence) {
                    (_, Some(c)) => format!(" in cadence `{c}`"),
                    (SimTarget::Cadence(_), None) => target
                        .cadences
                        .first()
                        .map(|(_, c)| format!(" in cadence `{}`", c.name))
                        .unwrap_or_default(),
                    (SimTarget::Pipeline { .. }, None) => " in the pipeline's cadences".into(),
                };
                self.unknown(&codes::E0205, "step", name, span, &ctx, names);
                None
            }
            [..] => {
                let owners: Vec<String> = found
                    .iter()
                    .filter_map(|(ci, _, _)| target.cadences.iter().find(|(i, _)| i == ci))
                    .map(|(_, c)| format!("`{}.{name}`", c.name))
                    .collect();
                self.push(
                    Diagnostic::new(
                        &codes::E0804,
                        span,
                        format!("step `{name}` is in several cadences of the pipeline"),
                    )
                    .with_label("which cadence's step?")
                    .with_help(format!("name it with its cadence: {}", owners.join(" or "))),
                );
                None
            }
        }
    }

    /// `when STEP.OUTCOME`, `when CADENCE.STEP.OUTCOME` or `when EVENT`.
    fn test_happening(&mut self, target: &Target, what: &ast::Path) -> Option<TestWhat> {
        let parts: Vec<&str> = what.text.split('.').collect();
        let (cadence, step, outcome) = match parts.as_slice() {
            [event] => {
                let known = target
                    .pipeline
                    .as_ref()
                    .is_some_and(|p| p.events.iter().any(|e| e == event))
                    || model::BuiltinTrigger::from_name(event).is_some();
                if !known {
                    let cands: Vec<String> = target
                        .pipeline
                        .iter()
                        .flat_map(|p| p.events.iter().cloned())
                        .chain(
                            model::BuiltinTrigger::ALL
                                .iter()
                                .map(|t| t.name().to_string()),
                        )
                        .collect();
                    self.unknown(
                        &codes::E0801,
                        "event",
                        event,
                        what.span,
                        "",
                        cands.iter().map(|s| s.as_str()),
                    );
                    return None;
                }
                return Some(TestWhat::Event(event.to_string()));
            }
            [step, outcome] => (None, *step, *outcome),
            [cadence, step, outcome] => (Some(*cadence), *step, *outcome),
            _ => {
                self.push(
                    Diagnostic::new(
                        &codes::E0801,
                        what.span,
                        format!("`{}` is not an event or STEP.OUTCOME", what.text),
                    )
                    .with_label("cannot happen")
                    .with_help("write `when STEP.OUTCOME at TIME` or `when EVENT at TIME`"),
                );
                return None;
            }
        };
        let (ci, si, channel) = self.test_step(target, cadence, step, what.span)?;
        if !channel.outcomes().contains(&outcome) {
            let list = channel.outcomes().join(", ");
            let mut d = Diagnostic::new(
                &codes::E0801,
                what.span,
                format!(
                    "step `{step}` ({}) cannot have the outcome `{outcome}`",
                    channel.name()
                ),
            )
            .with_label("impossible outcome");
            d = match super::suggest(outcome, channel.outcomes()) {
                Some(x) => d.with_help(format!("did you mean `{x}`? outcomes: {list}")),
                None => d.with_help(format!("outcomes: {list}")),
            };
            self.push(d);
            return None;
        }
        Some(TestWhat::Outcome {
            cadence: ci,
            step: si,
            outcome: outcome.to_string(),
        })
    }

    fn expectation(
        &mut self,
        target: &Target,
        reasons: &[String],
        e: &ast::Expectation,
    ) -> Option<(Expect, Option<TimeRef>)> {
        let at_of = |me: &mut Checker, at: &Option<ast::TimePoint>| {
            at.as_ref().and_then(|a| me.time_ref(a))
        };
        let what = match e {
            ast::Expectation::Exit { reason, at } => {
                if !reasons.contains(&reason.name) {
                    let cands: Vec<&str> = reasons.iter().map(|s| s.as_str()).collect();
                    self.unknown(
                        &codes::E0801,
                        "exit reason",
                        &reason.name,
                        reason.span,
                        " in the test's cadences",
                        cands,
                    );
                    return None;
                }
                (Expect::Exit(reason.name.clone()), at_of(self, at))
            }
            ast::Expectation::Stage { stage, at } => match &target.pipeline {
                Some(p) => (Expect::Stage(self.stage_ref(p, stage)?), at_of(self, at)),
                None => {
                    self.unknown(
                        &codes::E0204,
                        "stage",
                        &stage.name,
                        stage.span,
                        " (the cadence has no pipeline)",
                        [],
                    );
                    return None;
                }
            },
            ast::Expectation::Touches { count, at } => {
                (Expect::Touches(count.value), at_of(self, at))
            }
            ast::Expectation::Path { steps, at } => {
                let mut ids = Vec::new();
                for s in steps {
                    let (ci, si, _) = self.test_step(target, None, &s.name, s.span)?;
                    ids.push((ci, si));
                }
                (Expect::Path(ids), at_of(self, at))
            }
            ast::Expectation::Escalation { role, at } => (
                Expect::Escalation(self.role_ref(target.pipeline.as_ref(), role)?),
                at_of(self, at),
            ),
        };
        Some(what)
    }
}
