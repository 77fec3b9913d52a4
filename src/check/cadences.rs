//! Cadences: steps and tracks, channels and outcomes, effects, the step graph (reachability,
//! bounded loops), variants, and compliance exits.

pub use super::cadence_flow::CadenceFlow;
use super::{Checker, LocalNames, Settings};
use crate::calendar::{Delay, Timing};
use crate::diagnostics::{codes, Diagnostic};
use crate::model::graph::StepGraph;
use crate::model::{
    self, BuiltinTrigger, Cadence, Channel, Effects, Flow, Pipeline, Priority, Trigger,
};
use crate::source::Span;
use crate::syntax::ast::{self, CadenceDecl, CadenceItem, EffectKind, StepAttr};

impl Checker {
    pub(super) fn cadence(&mut self, decl: &CadenceDecl) {
        let mut c = Cadence {
            name: decl.name.name.clone(),
            title: None,
            crms: self.project_crms.clone(),
            pipeline: None,
            stage: None,
            calendar: None,
            enroll: None,
            window: None,
            defer: false,
            hand_off: None,
            exits: Vec::new(),
            tracks: vec![model::Track {
                name: "main".into(),
                steps: Vec::new(),
            }],
            steps: Vec::new(),
            span: decl.name.span,
        };
        let mut settings = Settings::default();
        // Settings first: the pipeline is needed to resolve everything else.
        for item in &decl.items {
            let key = match &item.node {
                CadenceItem::Title(_) => "title",
                CadenceItem::Targets(_) => "target",
                CadenceItem::Works { .. } => "pipeline",
                CadenceItem::Calendar(_) => "calendar",
                CadenceItem::Enroll(_) => "enroll",
                CadenceItem::Active { .. } => "active",
                CadenceItem::HandOff(_) => "hand_off",
                _ => continue,
            };
            if !settings.first(self, key, item.span) {
                continue;
            }
            match &item.node {
                CadenceItem::Title(s) => c.title = Some(s.value.clone()),
                CadenceItem::Targets(t) => c.crms = Some(self.crm_targets(t)),
                CadenceItem::Works { pipeline, stage } => {
                    if let Some(i) = self.pipeline_ref(pipeline) {
                        c.pipeline = Some(i);
                        if let (Some(s), Some(p)) = (stage, self.model.pipelines.get(i).cloned()) {
                            c.stage = self.stage_ref(&p, s);
                        }
                    }
                }
                CadenceItem::Calendar(cal) => c.calendar = self.calendar_ref(cal),
                CadenceItem::Active { dates, defer } => {
                    c.window = self.date_window(dates);
                    c.defer = *defer;
                }
                CadenceItem::HandOff(target) => c.hand_off = self.hand_off_ref(target),
                _ => {}
            }
        }
        let pipeline: Option<Pipeline> = c
            .pipeline
            .and_then(|i| self.model.pipelines.get(i).cloned());
        for item in &decl.items {
            if let CadenceItem::Enroll(e) = &item.node {
                c.enroll = Some(self.condition(e, pipeline.as_ref()));
            }
        }
        // Steps and tracks: names first, so jumps may point forward.
        let mut step_names = LocalNames::new("step");
        let mut track_names = LocalNames::new("track");
        let mut step_decls: Vec<&ast::Step> = Vec::new();
        for item in &decl.items {
            match &item.node {
                CadenceItem::Step(s) if step_names.add(self, &s.name) => {
                    c.tracks[0].steps.push(step_decls.len());
                    step_decls.push(s);
                }
                CadenceItem::Track(t) => {
                    if t.name.name == "main" || !track_names.add(self, &t.name) {
                        if t.name.name == "main" {
                            self.push(
                                Diagnostic::new(&codes::E0201, t.name.span, "`main` is the name of the main track")
                                    .with_label("reserved")
                                    .with_help("steps outside any `track` form the main track; rename this track"),
                            );
                        }
                        continue;
                    }
                    let mut ids = Vec::new();
                    for s in &t.steps {
                        if step_names.add(self, &s.name) {
                            ids.push(step_decls.len());
                            step_decls.push(s);
                        }
                    }
                    if ids.is_empty() {
                        self.push(
                            Diagnostic::new(
                                &codes::E0220,
                                t.name.span,
                                format!("track `{}` has no steps", t.name.name),
                            )
                            .with_label("empty track")
                            .with_help("add steps to the track or remove it"),
                        );
                    }
                    c.tracks.push(model::Track {
                        name: t.name.name.clone(),
                        steps: ids,
                    });
                }
                _ => {}
            }
        }
        let track_of: Vec<usize> = {
            let mut v = vec![0; step_decls.len()];
            for (ti, t) in c.tracks.iter().enumerate() {
                for &si in &t.steps {
                    v[si] = ti;
                }
            }
            v
        };
        let names: Vec<String> = step_decls.iter().map(|s| s.name.name.clone()).collect();
        let tracks: Vec<(String, Option<usize>)> = c
            .tracks
            .iter()
            .map(|t| (t.name.clone(), t.steps.first().copied()))
            .collect();
        let resolver = StepResolver {
            names: &names,
            tracks: &tracks,
        };
        for (si, s) in step_decls.iter().enumerate() {
            let step = self.step(
                s,
                track_of[si],
                pipeline.as_ref(),
                &resolver,
                &decl.name.name,
            );
            c.steps.push(step);
        }
        // Cadence exits.
        let mut reasons = LocalNames::new("exit");
        for item in &decl.items {
            if let CadenceItem::Exit(e) = &item.node {
                reasons.add(self, &e.reason);
                let trigger = if let Some(b) = BuiltinTrigger::from_name(&e.event.name) {
                    Some(Trigger::Builtin(b))
                } else if let Some(i) = pipeline
                    .as_ref()
                    .and_then(|p| p.events.iter().position(|x| *x == e.event.name))
                {
                    Some(Trigger::Event(i))
                } else {
                    let cands: Vec<String> = BuiltinTrigger::ALL
                        .iter()
                        .map(|t| t.name().to_string())
                        .chain(pipeline.iter().flat_map(|p| p.events.iter().cloned()))
                        .collect();
                    self.unknown(
                        &codes::E0217,
                        "event",
                        &e.event.name,
                        e.event.span,
                        "",
                        cands.iter().map(|s| s.as_str()),
                    );
                    None
                };
                let effects = self.effects(&e.effects, pipeline.as_ref(), &resolver, None);
                if let Some(trigger) = trigger {
                    c.exits.push(model::CadenceExit {
                        reason: e.reason.name.clone(),
                        trigger,
                        effects,
                        span: e.reason.span,
                    });
                }
            }
        }
        if step_decls.is_empty() {
            self.missing_setting(
                decl.name.span,
                format!("cadence `{}` has no steps", decl.name.name),
                "add at least one `step`",
            );
        }
        self.compliance(decl, &c);
        self.playbook_rules(&c, decl, &step_decls);
        let mut flow = self.step_graph(&c, &step_decls);
        flow.hand_off_span = decl.items.iter().find_map(|i| match &i.node {
            CadenceItem::HandOff(t) => Some(t.span),
            _ => None,
        });
        flow.active_span = decl.items.iter().find_map(|i| match &i.node {
            CadenceItem::Active { dates, .. } => Some(dates.span),
            _ => None,
        });
        // Stage effects from a cadence working a stage obey the pipeline's rules too.
        if let (Some(p), Some(from)) = (pipeline.as_ref(), c.stage) {
            self.stage_effect_rules(p, from, decl);
        }
        if let Some(p) = c.pipeline {
            for s in c.steps.iter() {
                for e in s.rules.iter().map(|r| &r.effects).chain(s.otherwise.iter()) {
                    if let Some(t) = e.stage {
                        self.stage_effect_targets.insert((p, t));
                    }
                }
            }
            for e in &c.exits {
                if let Some(t) = e.effects.stage {
                    self.stage_effect_targets.insert((p, t));
                }
            }
        }
        let registered = self
            .names
            .cadences
            .get(&decl.name.name)
            .map(|(_, s)| s.same_place(decl.name.span))
            .unwrap_or(false);
        if registered {
            self.flows.push(CadenceFlow {
                cadence: self.model.cadences.len(),
                ..flow
            });
            self.model.cadences.push(c);
        }
    }

    fn step(
        &mut self,
        s: &ast::Step,
        track: usize,
        p: Option<&Pipeline>,
        res: &StepResolver,
        cadence: &str,
    ) -> model::Step {
        let channel = match Channel::ALL.iter().find(|(n, _)| *n == s.channel.name) {
            Some((_, ch)) => Some(*ch),
            None => {
                self.unknown(
                    &codes::E0211,
                    "channel",
                    &s.channel.name,
                    s.channel.span,
                    "",
                    Channel::ALL.iter().map(|(n, _)| *n),
                );
                None
            }
        };
        let mut step = model::Step {
            name: s.name.name.clone(),
            track,
            channel: channel.unwrap_or(Channel::Task),
            title: s.title.as_ref().map(|t| t.value.clone()),
            template: None,
            timing: Timing::after(Delay::Zero),
            window: None,
            skip: None,
            assign: None,
            priority: None,
            variants: Vec::new(),
            rules: Vec::new(),
            otherwise: None,
            span: s.name.span,
        };
        let mut settings = Settings::default();
        let mut variants = LocalNames::new("variant");
        let mut share_total = 0.0;
        let mut first_variant: Option<Span> = None;
        for attr in &s.attrs {
            let key = match &attr.node {
                StepAttr::Template(_) => Some("template"),
                StepAttr::Timing(_) => Some("timing"),
                StepAttr::Assign(_) => Some("assign"),
                StepAttr::Priority(_) => Some("priority"),
                StepAttr::During(_) => Some("during"),
                StepAttr::Skip(_) => Some("skip when"),
                StepAttr::Otherwise(_) => Some("otherwise"),
                _ => None,
            };
            if let Some(k) = key {
                if !settings.first(self, k, attr.span) {
                    continue;
                }
            }
            match &attr.node {
                StepAttr::Template(t) => step.template = Some(t.value.clone()),
                StepAttr::Timing(t) => step.timing = self.step_timing(t),
                StepAttr::During(d) => step.window = self.date_window(d),
                StepAttr::Skip(e) => step.skip = Some(self.condition(e, p)),
                StepAttr::Assign(r) => step.assign = self.role_ref(p, r),
                StepAttr::Priority(pr) => {
                    step.priority = match pr.name.as_str() {
                        "high" => Some(Priority::High),
                        "medium" => Some(Priority::Medium),
                        "low" => Some(Priority::Low),
                        _ => {
                            self.unknown(
                                &codes::E0218,
                                "priority",
                                &pr.name,
                                pr.span,
                                "",
                                ["high", "medium", "low"],
                            );
                            None
                        }
                    }
                }
                StepAttr::Variant(v) => {
                    first_variant.get_or_insert(attr.span);
                    if variants.add(self, &v.name) {
                        share_total += v.share.value;
                        step.variants.push(model::Variant {
                            name: v.name.name.clone(),
                            share: v.share.value / 100.0,
                            template: v.template.as_ref().map(|t| t.value.clone()),
                        });
                    }
                }
                StepAttr::On(rule) => {
                    if let Some(ch) = channel {
                        if !ch.outcomes().contains(&rule.outcome.name.as_str()) {
                            let mut d = Diagnostic::new(
                                &codes::E0212,
                                rule.outcome.span,
                                format!(
                                    "{} step cannot have the outcome `{}`",
                                    crate::diagnostics::with_article(ch.name()),
                                    rule.outcome.name
                                ),
                            )
                            .with_label(format!("not an outcome of `{}`", ch.name()));
                            let list = ch
                                .outcomes()
                                .iter()
                                .map(|o| format!("`{o}`"))
                                .collect::<Vec<_>>()
                                .join(", ");
                            d = match super::suggest(&rule.outcome.name, ch.outcomes()) {
                                Some(sug) => d.with_help(format!(
                                    "did you mean `{sug}`? {} outcomes: {list}",
                                    ch.name()
                                )),
                                None => d.with_help(format!("{} outcomes: {list}", ch.name())),
                            };
                            self.push(d);
                        }
                    }
                    let times = match &rule.times {
                        Some(t) if t.value == 0 || t.value > 1000 => {
                            self.push(
                                Diagnostic::new(
                                    &codes::E0308,
                                    t.span,
                                    format!("`{} times` is out of range", t.value),
                                )
                                .with_label("must be 1 to 1000")
                                .with_help("count outcomes from 1, e.g. `on opened 3 times`"),
                            );
                            1
                        }
                        Some(t) => t.value as u32,
                        None => 1,
                    };
                    let within = rule.within.as_ref().map(|w| self.delay(w));
                    let effects = self.effects(&rule.effects, p, res, Some(cadence));
                    step.rules.push(model::OnRule {
                        outcome: rule.outcome.name.clone(),
                        times,
                        within_minutes: within,
                        effects,
                        span: rule.outcome.span,
                    });
                }
                StepAttr::Otherwise(effects) => {
                    step.otherwise = Some(self.effects(effects, p, res, Some(cadence)));
                }
            }
        }
        if let Some(span) = first_variant {
            if (share_total - 100.0).abs() > 1e-9 {
                self.push(
                    Diagnostic::new(
                        &codes::E0602,
                        span,
                        format!("variant shares total {}%, not 100%", trim(share_total)),
                    )
                    .with_label("variants start here")
                    .with_help(
                        "the variants of a step split its leads; make the shares add up to 100%",
                    ),
                );
            }
        }
        step
    }

    fn effects(
        &mut self,
        list: &[ast::Effect],
        p: Option<&Pipeline>,
        res: &StepResolver,
        in_step: Option<&str>,
    ) -> Effects {
        let mut out = Effects {
            set: Vec::new(),
            stage: None,
            tasks: Vec::new(),
            flow: Flow::Continue,
        };
        let mut flow_span: Option<Span> = None;
        for e in list {
            if let Some(first) = flow_span {
                self.push(
                    Diagnostic::new(&codes::E0415, e.span, "nothing may follow a jump, `exit` or `continue`")
                        .with_label("after the flow effect")
                        .with_related(first, "the flow is decided here")
                        .with_help("put `set`, `stage` and `task` first, then at most one jump, `exit` or `continue`"),
                );
                continue;
            }
            match &e.kind {
                EffectKind::Set(ev) => match p {
                    Some(p) => match p.events.iter().position(|x| *x == ev.name) {
                        Some(i) => out.set.push(i),
                        None => {
                            let ctx = format!(" in pipeline `{}`", p.name);
                            self.unknown(
                                &codes::E0207,
                                "event",
                                &ev.name,
                                ev.span,
                                &ctx,
                                p.events.iter().map(|s| s.as_str()),
                            );
                        }
                    },
                    None => self.unknown(
                        &codes::E0207,
                        "event",
                        &ev.name,
                        ev.span,
                        " (this cadence has no pipeline)",
                        [],
                    ),
                },
                EffectKind::Stage(s) => match p {
                    Some(p) => out.stage = self.stage_ref(p, s),
                    None => self.unknown(
                        &codes::E0204,
                        "stage",
                        &s.name,
                        s.span,
                        " (this cadence has no pipeline)",
                        [],
                    ),
                },
                EffectKind::Task { title, assign } => {
                    let assign = assign.as_ref().and_then(|r| self.role_ref(p, r));
                    out.tasks.push(model::Task {
                        title: title.value.clone(),
                        assign,
                    });
                }
                EffectKind::Exit(r) => {
                    flow_span = Some(e.span);
                    out.flow = Flow::Exit(r.name.clone());
                }
                EffectKind::Continue => {
                    flow_span = Some(e.span);
                    out.flow = Flow::Continue;
                }
                EffectKind::Jump { target, bound } => {
                    flow_span = Some(e.span);
                    if in_step.is_none() {
                        self.push(
                            Diagnostic::new(&codes::E0415, e.span, "a cadence exit cannot jump to a step")
                                .with_label("the cadence ends here")
                                .with_help("a cadence exit ends the cadence; use `set`, `stage` and `task` effects"),
                        );
                        continue;
                    }
                    let bound = match bound {
                        Some(b) if b.value == 0 || b.value > 1000 => {
                            self.push(
                                Diagnostic::new(
                                    &codes::E0308,
                                    b.span,
                                    format!("`at most {} times` is out of range", b.value),
                                )
                                .with_label("must be 1 to 1000")
                                .with_help("a bounded jump repeats at least once"),
                            );
                            Some(1)
                        }
                        Some(b) => Some(b.value as u32),
                        None => None,
                    };
                    match res.resolve(&target.name) {
                        Some(step) => out.flow = Flow::Jump { step, bound },
                        None => {
                            let cands: Vec<&str> = res
                                .names
                                .iter()
                                .map(|s| s.as_str())
                                .chain(res.tracks.iter().map(|(n, _)| n.as_str()))
                                .collect();
                            let ctx = format!(" in cadence `{}`", in_step.unwrap_or(""));
                            self.unknown(
                                &codes::E0205,
                                "step",
                                &target.name,
                                target.span,
                                &ctx,
                                cands,
                            );
                        }
                    }
                }
            }
        }
        out
    }

    fn stage_effect_rules(&mut self, p: &Pipeline, from: usize, decl: &CadenceDecl) {
        let check = |cx: &mut Checker, e: &ast::Effect| {
            let EffectKind::Stage(s) = &e.kind else {
                return;
            };
            let Some(t) = p.stages.iter().position(|x| x.name == s.name) else {
                return;
            };
            let terminal = p.stages[t].outcome.is_some();
            if p.no_skip && !terminal && t > from + 1 {
                cx.push(
                    Diagnostic::new(
                        &codes::E0407,
                        e.span,
                        format!(
                            "moves the deal from `{}` to `{}`",
                            p.stages[from].name, s.name
                        ),
                    )
                    .with_label("breaks `no_skip`")
                    .with_help(format!(
                        "pipeline `{}` has `no_skip`: move to the next stage or a terminal stage",
                        p.name
                    )),
                );
            }
            if t < from && !terminal {
                if let Some(allowed) = &p.no_backward {
                    if !allowed.contains(&(from, t)) {
                        cx.push(
                            Diagnostic::new(
                                &codes::E0408,
                                e.span,
                                format!(
                                    "moves the deal back from `{}` to `{}`",
                                    p.stages[from].name, s.name
                                ),
                            )
                            .with_label("breaks `no_backward`")
                            .with_help(format!(
                                "list it as an exception: `no_backward except {} -> {}`",
                                p.stages[from].name, s.name
                            )),
                        );
                    }
                }
            }
        };
        let mut all: Vec<&ast::Effect> = Vec::new();
        for item in &decl.items {
            match &item.node {
                CadenceItem::Exit(e) => all.extend(e.effects.iter()),
                CadenceItem::Step(s) => all.extend(step_effects(s)),
                CadenceItem::Track(t) => {
                    for s in &t.steps {
                        all.extend(step_effects(s));
                    }
                }
                _ => {}
            }
        }
        for e in all {
            check(self, e);
        }
    }

    fn compliance(&mut self, decl: &CadenceDecl, c: &Cadence) {
        let listens = |ev: &str| {
            c.exits
                .iter()
                .any(|e| matches!(e.trigger, Trigger::Builtin(b) if b.name() == ev))
        };
        let messaging = c.steps.iter().find(|s| s.channel.is_message());
        let emailing = c.steps.iter().find(|s| s.channel == Channel::Email);
        if let Some(s) = messaging {
            if !listens("unsubscribe") {
                self.push(
                    Diagnostic::new(&codes::E0501, decl.name.span, format!("cadence `{}` sends messages without an unsubscribe exit", c.name))
                        .with_label("no `exit ... on unsubscribe`")
                        .with_related(s.span, format!("sends {} here", s.channel.name()))
                        .with_help("add `exit unsubscribed on unsubscribe`: an unsubscribe must stop further messages"),
                );
            }
            if !listens("reply") {
                self.push(
                    Diagnostic::new(
                        &codes::W0502,
                        decl.name.span,
                        format!("cadence `{}` has no exit on reply", c.name),
                    )
                    .with_label("leads who reply keep getting automated touches")
                    .with_help("add `exit replied on reply`"),
                );
            }
        }
        if emailing.is_some() && !listens("bounce") {
            self.push(
                Diagnostic::new(
                    &codes::W0503,
                    decl.name.span,
                    format!("cadence `{}` emails without an exit on bounce", c.name),
                )
                .with_label("keeps emailing addresses that bounced")
                .with_help("add `exit bounced on bounce`"),
            );
        }
    }

    /// Build the step graph; report unreachable steps and unbounded loops.
    fn step_graph(&mut self, c: &Cadence, decls: &[&ast::Step]) -> CadenceFlow {
        let graph = StepGraph::new(c);
        let flow = CadenceFlow {
            cadence: 0,
            timing_spans: decls
                .iter()
                .map(|d| {
                    d.attrs
                        .iter()
                        .find(|a| matches!(a.node, StepAttr::Timing(_)))
                        .map(|a| a.span)
                        .unwrap_or(d.name.span)
                })
                .collect(),
            rule_spans: decls.iter().map(|d| flow_spans(d)).collect(),
            hand_off_span: None,
            active_span: None,
            graph,
        };
        let g = &flow.graph;
        let seen = g.reachable();
        for (si, ok) in seen.iter().enumerate() {
            if *ok {
                continue;
            }
            let track = &c.tracks[c.steps[si].track].steps;
            let prev = track
                .iter()
                .position(|x| *x == si)
                .and_then(|p| p.checked_sub(1))
                .map(|p| track[p]);
            match prev {
                // the step before runs but never falls through to this one
                Some(pv) if seen[pv] => self.push(
                    Diagnostic::new(&codes::W0406, c.steps[si].span, format!("step `{}` is never reached", c.steps[si].name))
                        .with_label("the step before it always jumps or exits")
                        .with_related(c.steps[pv].span, "never goes on to the next step")
                        .with_help("jump to this step from somewhere, or remove it"),
                ),
                _ => self.push(
                    Diagnostic::new(&codes::W0401, c.steps[si].span, format!("step `{}` is never reached", c.steps[si].name))
                        .with_label("no path of the cadence leads here")
                        .with_help("jump to its track from an `on` rule (`on connected -> STEP`), or remove it"),
                ),
            }
        }
        // A cycle made only of unbounded edges repeats forever.
        let mut reported = Vec::new();
        for e in g.edges.iter().filter(|e| e.is_jump() && e.unbounded()) {
            let Some(to) = e.step() else { continue };
            // spans compare equal, so duplicates are told apart by their rule
            if reported.contains(&(e.from, e.via)) || !g.reaches_unbounded(to, e.from) {
                continue;
            }
            reported.push((e.from, e.via));
            let span = flow.edge_span(c, e);
            self.push(
                Diagnostic::new(
                    &codes::E0405,
                    span,
                    format!("jump to `{}` can repeat forever", c.steps[to].name),
                )
                .with_label("no bound on this loop")
                .with_help(format!(
                    "bound it: `-> {} at most 2 times`",
                    c.steps[to].name
                )),
            );
        }
        flow
    }
}

fn step_effects(s: &ast::Step) -> impl Iterator<Item = &ast::Effect> {
    s.attrs.iter().flat_map(|a| match &a.node {
        StepAttr::On(r) => r.effects.iter().collect::<Vec<_>>(),
        StepAttr::Otherwise(e) => e.iter().collect(),
        _ => Vec::new(),
    })
}

/// Spans of the flow effect (else the last effect) of each `on` rule of a step, and of its
/// first `otherwise`.
fn flow_spans(s: &ast::Step) -> (Vec<Option<Span>>, Option<Span>) {
    let pick = |effects: &[ast::Effect]| {
        effects
            .iter()
            .find(|e| {
                matches!(
                    e.kind,
                    EffectKind::Jump { .. } | EffectKind::Exit(_) | EffectKind::Continue
                )
            })
            .or(effects.last())
            .map(|e| e.span)
    };
    let mut on = Vec::new();
    let mut other = None;
    for a in &s.attrs {
        match &a.node {
            StepAttr::On(r) => on.push(pick(&r.effects)),
            StepAttr::Otherwise(e) if other.is_none() => other = Some(pick(e)),
            _ => {}
        }
    }
    (on, other.flatten())
}

struct StepResolver<'a> {
    names: &'a [String],
    tracks: &'a [(String, Option<usize>)],
}

impl StepResolver<'_> {
    /// A step by name, or the first step of a track by the track's name.
    fn resolve(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name).or_else(|| {
            self.tracks
                .iter()
                .find(|(n, _)| n == name)
                .and_then(|(_, f)| *f)
        })
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
