//! Simulations and tests: references to cadences, lead models, steps, outcomes and stages;
//! then project-wide checks that need everything (events produced, stages reached).

use super::{Checker, Settings};
use crate::diagnostics::{codes, Diagnostic};
use crate::model;
use crate::source::Span;
use crate::syntax::ast::{
    self, ExprKind, Item, PipelineItem, SimulationDecl, SimulationItem, StageItem,
};

/// A simulation's `cadences` list: each name resolved (None: unknown), and the item's span.
type Listed<'a> = (Vec<(Option<usize>, &'a ast::Ident)>, Span);

impl Checker {
    pub(super) fn cadence_ref(&mut self, c: &ast::Ident) -> Option<usize> {
        match self.names.cadences.get(&c.name) {
            Some((i, _)) if *i < self.model.cadences.len() => Some(*i),
            Some(_) => None,
            None => {
                let names: Vec<String> = self.names.cadences.keys().cloned().collect();
                self.unknown(
                    &codes::E0209,
                    "cadence",
                    &c.name,
                    c.span,
                    "",
                    names.iter().map(|s| s.as_str()),
                );
                None
            }
        }
    }

    pub(super) fn simulation(&mut self, s: &SimulationDecl) {
        let mut settings = Settings::default();
        let (mut cadence, mut leads) = (None, None);
        // (pipeline, start stage) and the `cadences` list, each with its span
        let mut pipeline: Option<(Option<usize>, Option<usize>, Span)> = None;
        let mut listed: Option<Listed<'_>> = None;
        let mut start_span = None;
        let mut sim = model::Simulation {
            name: s.name.name.clone(),
            target: model::SimTarget::Cadence(0),
            leads: 0,
            count: None,
            start: None,
            horizon_minutes: None,
            seed: None,
        };
        for item in &s.items {
            let key = match &item.node {
                SimulationItem::Cadence(_) => "cadence",
                SimulationItem::Pipeline(..) => "pipeline",
                SimulationItem::Cadences(_) => "cadences",
                SimulationItem::Leads(_) => "leads",
                SimulationItem::Count(_) => "count",
                SimulationItem::Start(_) => "start",
                SimulationItem::Horizon(_) => "horizon",
                SimulationItem::Seed(_) => "seed",
            };
            if !settings.first(self, key, item.span) {
                continue;
            }
            match &item.node {
                SimulationItem::Cadence(c) => cadence = Some((self.cadence_ref(c), item.span)),
                SimulationItem::Pipeline(p, stage) => {
                    let pi = self.pipeline_ref(p);
                    let st = match (pi.and_then(|i| self.model.pipelines.get(i).cloned()), stage) {
                        (Some(pl), Some(st)) => self.stage_ref(&pl, st),
                        _ => None,
                    };
                    pipeline = Some((pi, st, item.span));
                }
                SimulationItem::Cadences(v) => {
                    let ids = v.iter().map(|c| (self.cadence_ref(c), c)).collect();
                    listed = Some((ids, item.span));
                }
                SimulationItem::Leads(l) => {
                    leads = Some(match self.names.leads.get(&l.name) {
                        Some((i, _)) => Some(*i),
                        None => {
                            let names: Vec<String> = self.names.leads.keys().cloned().collect();
                            self.unknown(
                                &codes::E0210,
                                "lead model",
                                &l.name,
                                l.span,
                                "",
                                names.iter().map(|s| s.as_str()),
                            );
                            None
                        }
                    })
                }
                SimulationItem::Count(n) => sim.count = self.count(n),
                SimulationItem::Start(dt) => {
                    start_span = Some(item.span);
                    sim.start = self.datetime(dt);
                }
                SimulationItem::Horizon(d) => {
                    let m = self.wall_minutes(d, "`horizon`");
                    if m == 0 {
                        self.push(
                            Diagnostic::new(
                                &codes::E0308,
                                d.span,
                                "the horizon must be longer than zero",
                            )
                            .with_label("nothing would happen")
                            .with_help("write e.g. `horizon 180d`"),
                        );
                    }
                    sim.horizon_minutes = Some(m);
                }
                SimulationItem::Seed(n) => sim.seed = Some(n.value),
            }
        }
        if leads.is_none() {
            self.missing_setting(
                s.name.span,
                format!("simulation `{}` has no `leads`", s.name.name),
                "a simulation needs `leads NAME`, and `cadence NAME` or `pipeline NAME`",
            );
        }
        let target = match (cadence, pipeline) {
            (None, None) => {
                self.missing_setting(
                    s.name.span,
                    format!("simulation `{}` has no `cadence` or `pipeline`", s.name.name),
                    "a simulation runs one cadence (`cadence NAME`) or a whole pipeline (`pipeline NAME`)",
                );
                None
            }
            (Some((_, a)), Some((_, _, b))) => {
                self.push(
                    Diagnostic::new(
                        &codes::E0802,
                        b,
                        "a simulation runs one cadence or a whole pipeline, not both",
                    )
                    .with_label("a whole pipeline")
                    .with_related(a, "and one cadence")
                    .with_help("keep `pipeline NAME` (and list its cadences with `cadences A, B` if not all of them), or keep `cadence NAME`"),
                );
                None
            }
            (Some((c, _)), None) => {
                if let Some((_, span)) = listed {
                    self.push(
                        Diagnostic::new(&codes::E0802, span, "`cadences` needs `pipeline NAME`")
                            .with_label("a list of the cadences that work a pipeline")
                            .with_help("write `pipeline NAME` instead of `cadence NAME`"),
                    );
                }
                c.map(model::SimTarget::Cadence)
            }
            (None, Some((p, stage, _))) => p.map(|p| {
                let cadences = match listed {
                    None => self.model.pipeline_cadences(p),
                    Some((ids, _)) => {
                        let mut ok = Vec::new();
                        for (id, name) in ids {
                            let Some(id) = id else { continue };
                            if self.model.cadences.get(id).and_then(|c| c.pipeline) != Some(p) {
                                let pname = self.model.pipelines.get(p).map(|x| x.name.clone()).unwrap_or_default();
                                self.push(
                                    Diagnostic::new(
                                        &codes::E0802,
                                        name.span,
                                        format!("cadence `{}` does not work pipeline `{pname}`", name.name),
                                    )
                                    .with_label("not a cadence of this pipeline")
                                    .with_help(format!("a cadence works a pipeline when its header says `pipeline {pname} stage STAGE`")),
                                );
                            } else if !ok.contains(&id) {
                                ok.push(id);
                            }
                        }
                        let key = |i: &usize| self.model.cadences[*i].name.clone();
                        ok.sort_by_key(key);
                        ok
                    }
                };
                model::SimTarget::Pipeline {
                    pipeline: p,
                    stage,
                    cadences,
                }
            }),
        };
        if let (Some(target), Some(Some(l))) = (target, leads) {
            if let (Some(start), Some(span)) = (&sim.start, start_span) {
                self.start_exists(&target, start, span);
            }
            sim.target = target;
            sim.leads = l;
            self.model.simulations.push(sim);
        }
    }

    /// A simulation's start is read in its calendar's zone (the cadence's, or the pipeline's for
    /// a whole pipeline): it must exist there (not in a DST gap), or `simulate` could not start
    /// (E0104).
    fn start_exists(&mut self, target: &model::SimTarget, start: &str, span: Span) {
        use chrono::TimeZone;
        let pipeline_calendar = |p: Option<usize>| {
            p.and_then(|p| self.model.pipelines.get(p))
                .and_then(|p| p.calendar)
        };
        let cal = match target {
            model::SimTarget::Cadence(c) => {
                let Some(c) = self.model.cadences.get(*c) else {
                    return;
                };
                c.calendar.or_else(|| pipeline_calendar(c.pipeline))
            }
            model::SimTarget::Pipeline { pipeline, .. } => pipeline_calendar(Some(*pipeline)),
        };
        let Some(tz) = cal
            .and_then(|i| self.model.calendars.get(i))
            .map(|k| k.engine.tz)
        else {
            return;
        };
        let Ok(naive) = chrono::NaiveDateTime::parse_from_str(start, "%Y-%m-%d %H:%M") else {
            return;
        };
        if tz.from_local_datetime(&naive).earliest().is_none() {
            self.push(
                Diagnostic::new(
                    &codes::E0104,
                    span,
                    format!("{start} does not exist in {tz}: the clocks skip that hour"),
                )
                .with_label("a local time inside a daylight-saving gap")
                .with_help("start an hour later, or at another time of day"),
            );
        }
    }

    /// Events that nothing produces, and stages nothing reaches (needs cadences and lead models).
    pub(super) fn events_produced(&mut self, items: &[&Item]) {
        for c in &self.model.cadences {
            let Some(pi) = c.pipeline else { continue };
            let Some(p) = self.model.pipelines.get(pi) else {
                continue;
            };
            for s in &c.steps {
                for e in s.rules.iter().map(|r| &r.effects).chain(s.otherwise.iter()) {
                    for ev in &e.set {
                        if let Some(name) = p.events.get(*ev) {
                            self.produced_events.insert((pi, name.clone()));
                        }
                    }
                }
            }
            for x in &c.exits {
                for ev in &x.effects.set {
                    if let Some(name) = p.events.get(*ev) {
                        self.produced_events.insert((pi, name.clone()));
                    }
                }
            }
        }
        for item in items {
            let Item::Pipeline(pd) = item else { continue };
            let Some(pm) = self
                .names
                .pipelines
                .get(&pd.name.name)
                .filter(|(_, s)| s.same_place(pd.name.span))
                .map(|(i, _)| *i)
            else {
                continue;
            };
            let events = self
                .model
                .pipelines
                .get(pm)
                .map(|p| p.events.clone())
                .unwrap_or_default();
            let mut found = Vec::new();
            let mut reported = std::collections::HashSet::new();
            for it in &pd.items {
                let PipelineItem::Stage(s) = &it.node else {
                    continue;
                };
                for si in &s.items {
                    let paths: Vec<(&str, Span)> = match &si.node {
                        StageItem::Exit(e) => event_paths(&e.when),
                        StageItem::Escalate(e) => event_paths(&e.when),
                        StageItem::Require(ps) => {
                            ps.iter().map(|p| (p.text.as_str(), p.span)).collect()
                        }
                        _ => Vec::new(),
                    };
                    for (name, span) in paths {
                        if events.iter().any(|e| e == name)
                            && !self.produced_events.contains(&(pm, name.to_string()))
                            && !self.produced_anywhere.contains(name)
                            && reported.insert(name)
                        {
                            found.push(
                                Diagnostic::new(&codes::W0410, span, format!("nothing produces the event `{name}`"))
                                    .with_label("no cadence sets it and no lead model has a milestone for it")
                                    .with_help(format!("set it from a cadence (`-> set {name}`) or model it: `milestone {name} in STAGE 50% after 10d`")),
                            );
                        }
                    }
                }
            }
            self.diags.extend(found);
        }
        self.unreachable_stages();
    }

    /// Stages no deal can reach: deals enter at the first stage, at any stage a cadence works or
    /// moves deals into (`-> stage X`), and from there through exits.
    fn unreachable_stages(&mut self) {
        let mut found = Vec::new();
        for (pi, p) in self.model.pipelines.iter().enumerate() {
            if p.stages.is_empty() {
                continue;
            }
            let mut seen = vec![false; p.stages.len()];
            let mut stack = vec![0usize];
            stack.extend(
                self.stage_effect_targets
                    .iter()
                    .filter(|(x, _)| *x == pi)
                    .map(|(_, s)| *s),
            );
            stack.extend(
                self.model
                    .cadences
                    .iter()
                    .filter(|c| c.pipeline == Some(pi))
                    .filter_map(|c| c.stage),
            );
            while let Some(s) = stack.pop() {
                if std::mem::replace(&mut seen[s], true) {
                    continue;
                }
                stack.extend(p.stages[s].exits.iter().map(|e| e.target));
            }
            for (si, ok) in seen.iter().enumerate() {
                if !ok {
                    found.push(
                        Diagnostic::new(
                            &codes::W0402,
                            p.stages[si].span,
                            format!("no exit leads to stage `{}`", p.stages[si].name),
                        )
                        .with_label("unreachable")
                        .with_help("add an `exit to` this stage from an earlier one, or remove it"),
                    );
                }
            }
        }
        self.diags.extend(found);
    }
}

/// Paths in a condition (the checker later keeps those that are events).
fn event_paths(e: &ast::Expr) -> Vec<(&str, Span)> {
    let mut out = Vec::new();
    let mut stack = vec![e];
    while let Some(x) = stack.pop() {
        match &x.kind {
            ExprKind::Or(v) | ExprKind::And(v) => stack.extend(v.iter()),
            ExprKind::Not(i) => stack.push(i),
            ExprKind::Compare { lhs, rhs, .. } => {
                stack.push(lhs);
                stack.push(rhs);
            }
            ExprKind::Path(p) => out.push((p.text.as_str(), p.span)),
            ExprKind::Literal(_) => {}
        }
    }
    out.sort_by_key(|(_, s)| s.start);
    out
}
