//! Pipelines: facts, events, roles, stages with exits and escalations, and the rules between stages.

use super::{Checker, LocalNames, Settings};
use crate::diagnostics::{codes, Diagnostic};
use crate::model::{self, Builtin, Cmp, Cond, FactType, Operand, Pipeline, StageOutcome, Value};
use crate::source::Span;
use crate::syntax::ast::{PipelineDecl, PipelineItem, StageDecl, StageItem};

impl Checker {
    pub(super) fn pipeline(&mut self, decl: &PipelineDecl) {
        let mut p = Pipeline {
            name: decl.name.name.clone(),
            title: None,
            calendar: None,
            facts: Vec::new(),
            events: Vec::new(),
            roles: Vec::new(),
            max_gap_minutes: None,
            max_gap_span: decl.name.span,
            no_skip: false,
            no_backward: None,
            stages: Vec::new(),
            span: decl.name.span,
        };
        let mut settings = Settings::default();
        let mut facts = LocalNames::new("fact");
        let mut events = LocalNames::new("event");
        let mut roles = LocalNames::new("role");
        let mut stage_names = LocalNames::new("stage");
        let mut stages: Vec<&StageDecl> = Vec::new();
        // First pass: declarations, so stages can refer to facts, events and each other in any order.
        for item in &decl.items {
            let key = match &item.node {
                PipelineItem::Title(_) => Some("title"),
                PipelineItem::Calendar(_) => Some("calendar"),
                PipelineItem::MaxGap(_) => Some("max_gap"),
                PipelineItem::NoSkip => Some("no_skip"),
                PipelineItem::NoBackward(_) => Some("no_backward"),
                _ => None,
            };
            if let Some(k) = key {
                if !settings.first(self, k, item.span) {
                    continue;
                }
            }
            match &item.node {
                PipelineItem::Title(s) => p.title = Some(s.value.clone()),
                PipelineItem::Calendar(c) => {
                    p.calendar = self.calendar_ref(c);
                }
                PipelineItem::Facts(list) => {
                    for f in list {
                        if !facts.add_raw(self, &f.path.text, f.path.span) {
                            continue;
                        }
                        let ty = match FactType::ALL.iter().find(|(n, _)| *n == f.ty.name) {
                            Some((_, t)) => *t,
                            None => {
                                self.unknown_fact_type(&f.ty);
                                FactType::Text
                            }
                        };
                        if super::conditions::BUILTINS
                            .iter()
                            .any(|(n, _)| *n == f.path.text)
                        {
                            self.push(
                                Diagnostic::new(&codes::E0201, f.path.span, format!("`{}` is a built-in", f.path.text))
                                    .with_label("clashes with the built-in of the same name")
                                    .with_help("`dwell`, `idle`, `age` and `touches` are built in; rename the fact"),
                            );
                        }
                        p.facts.push(model::Fact {
                            path: f.path.text.clone(),
                            ty,
                            crm_field: f.field.as_ref().map(|s| s.value.clone()),
                        });
                    }
                }
                PipelineItem::Events(list) => {
                    for e in list {
                        if events.add(self, e) {
                            p.events.push(e.name.clone());
                        }
                    }
                }
                PipelineItem::Roles(list) => {
                    for r in list {
                        if roles.add(self, r) {
                            p.roles.push(r.name.clone());
                        }
                    }
                }
                PipelineItem::MaxGap(d) => {
                    p.max_gap_minutes = self.checked_wall_minutes(d, "`max_gap`");
                    p.max_gap_span = item.span;
                }
                PipelineItem::NoSkip => p.no_skip = true,
                PipelineItem::NoBackward(_) => {}
                PipelineItem::Stage(s) => {
                    if stage_names.add(self, &s.name) {
                        stages.push(s);
                        p.stages.push(model::Stage {
                            name: s.name.name.clone(),
                            title: s.title.as_ref().map(|t| t.value.clone()),
                            respond_within: None,
                            require: Vec::new(),
                            exits: Vec::new(),
                            escalations: Vec::new(),
                            outcome: None,
                            span: s.name.span,
                        });
                    }
                }
            }
        }
        for (f, e) in p.facts.iter().zip(0..) {
            let _ = e;
            if p.events.contains(&f.path) {
                let span = facts.seen.get(&f.path).copied().unwrap_or(decl.name.span);
                self.push(
                    Diagnostic::new(
                        &codes::E0201,
                        span,
                        format!("`{}` is both a fact and an event", f.path),
                    )
                    .with_label("declared as a fact")
                    .with_help("rename one of them"),
                );
            }
        }
        if stages.is_empty() {
            self.missing_setting(
                decl.name.span,
                format!("pipeline `{}` has no stages", decl.name.name),
                "declare stages with `stage NAME \"title\" { ... }`",
            );
        }
        // no_backward exceptions need the stage list.
        for item in &decl.items {
            if let PipelineItem::NoBackward(list) = &item.node {
                let mut allowed = Vec::new();
                for t in list {
                    let from = self.stage_ref(&p, &t.from);
                    let to = self.stage_ref(&p, &t.to);
                    if let (Some(a), Some(b)) = (from, to) {
                        allowed.push((a, b));
                    }
                }
                p.no_backward = Some(allowed);
            }
        }
        // Second pass: stage bodies.
        for (si, s) in stages.iter().enumerate() {
            self.stage_body(&mut p, si, s);
        }
        self.stage_flow(&p, &stages);
        if self.is_registered_pipeline(decl) {
            self.model.pipelines.push(p);
        }
    }

    fn is_registered_pipeline(&self, decl: &PipelineDecl) -> bool {
        self.names
            .pipelines
            .get(&decl.name.name)
            .map(|(_, s)| s.same_place(decl.name.span))
            .unwrap_or(false)
    }

    pub(super) fn calendar_ref(&mut self, c: &crate::syntax::ast::Ident) -> Option<usize> {
        match self.names.calendars.get(&c.name) {
            Some((i, _)) => Some(*i),
            None => {
                let names: Vec<String> = self.names.calendars.keys().cloned().collect();
                self.unknown(
                    &codes::E0202,
                    "calendar",
                    &c.name,
                    c.span,
                    "",
                    names.iter().map(|s| s.as_str()),
                );
                None
            }
        }
    }

    /// A pipeline by name (E0203 with a suggestion when it is not declared).
    pub(super) fn pipeline_ref(&mut self, p: &crate::syntax::ast::Ident) -> Option<usize> {
        if let Some((i, _)) = self.names.pipelines.get(&p.name) {
            return Some(*i);
        }
        let names: Vec<String> = self.names.pipelines.keys().cloned().collect();
        self.unknown(
            &codes::E0203,
            "pipeline",
            &p.name,
            p.span,
            "",
            names.iter().map(|s| s.as_str()),
        );
        None
    }

    pub(super) fn stage_ref(
        &mut self,
        p: &Pipeline,
        s: &crate::syntax::ast::Ident,
    ) -> Option<usize> {
        match p.stages.iter().position(|x| x.name == s.name) {
            Some(i) => Some(i),
            None => {
                let ctx = format!(" in pipeline `{}`", p.name);
                self.unknown(
                    &codes::E0204,
                    "stage",
                    &s.name,
                    s.span,
                    &ctx,
                    p.stages.iter().map(|x| x.name.as_str()),
                );
                None
            }
        }
    }

    pub(super) fn role_ref(
        &mut self,
        p: Option<&Pipeline>,
        r: &crate::syntax::ast::Ident,
    ) -> Option<usize> {
        match p {
            Some(p) => match p.roles.iter().position(|x| *x == r.name) {
                Some(i) => Some(i),
                None => {
                    let ctx = format!(" in pipeline `{}`", p.name);
                    self.unknown(
                        &codes::E0208,
                        "role",
                        &r.name,
                        r.span,
                        &ctx,
                        p.roles.iter().map(|x| x.as_str()),
                    );
                    None
                }
            },
            None if r.name == "owner" => Some(0),
            None => {
                self.unknown(
                    &codes::E0208,
                    "role",
                    &r.name,
                    r.span,
                    " (no pipeline: only `owner`)",
                    ["owner"],
                );
                None
            }
        }
    }

    fn stage_body(&mut self, p: &mut Pipeline, si: usize, s: &StageDecl) {
        let mut outcome_span: Option<Span> = None;
        let mut sla_span: Option<Span> = None;
        for item in &s.items {
            match &item.node {
                StageItem::RespondWithin(d) => {
                    if let Some(first) = sla_span {
                        self.duplicate_setting("respond within", item.span, first);
                        continue;
                    }
                    sla_span = Some(item.span);
                    p.stages[si].respond_within = self.checked_delay(d);
                }
                StageItem::Require(paths) => {
                    for path in paths {
                        if let Some(i) = p.events.iter().position(|e| *e == path.text) {
                            p.stages[si].require.push(Cond::Event(i));
                        } else if let Some(i) = p.facts.iter().position(|f| f.path == path.text) {
                            if p.facts[i].ty == FactType::Bool {
                                p.stages[si].require.push(Cond::Fact(i));
                            } else {
                                self.push(
                                    Diagnostic::new(&codes::E0416, path.span, format!("`{}` is not evidence", path.text))
                                        .with_label(format!("{} fact", crate::diagnostics::with_article(&format!("{:?}", p.facts[i].ty).to_lowercase())))
                                        .with_help("`require` takes events or bool facts; put comparisons in the exit condition"),
                                );
                            }
                        } else {
                            let ctx = format!(" in pipeline `{}`", p.name);
                            let cands: Vec<String> = p
                                .events
                                .iter()
                                .cloned()
                                .chain(
                                    p.facts
                                        .iter()
                                        .filter(|f| f.ty == FactType::Bool)
                                        .map(|f| f.path.clone()),
                                )
                                .collect();
                            self.unknown(
                                &codes::E0207,
                                "event",
                                &path.text,
                                path.span,
                                &ctx,
                                cands.iter().map(|s| s.as_str()),
                            );
                        }
                    }
                }
                StageItem::Exit(e) => {
                    let when = self.condition(&e.when, Some(p));
                    if let Some(t) = self.stage_ref(p, &e.target) {
                        p.stages[si].exits.push(model::StageExit {
                            target: t,
                            when,
                            label: e.label.as_ref().map(|l| l.value.clone()),
                            span: item.span,
                        });
                    }
                }
                StageItem::Escalate(e) => {
                    let when = self.condition(&e.when, Some(p));
                    if let Some(r) = self.role_ref(Some(p), &e.role) {
                        p.stages[si].escalations.push(model::Escalation {
                            role: r,
                            when,
                            task: e.task.as_ref().map(|t| t.value.clone()),
                        });
                    }
                }
                StageItem::Outcome(o) => {
                    if let Some(first) = outcome_span {
                        self.duplicate_setting("outcome", item.span, first);
                        continue;
                    }
                    outcome_span = Some(item.span);
                    p.stages[si].outcome = match o.name.as_str() {
                        "won" => Some(StageOutcome::Won),
                        "lost" => Some(StageOutcome::Lost),
                        _ => {
                            let mut d = Diagnostic::new(
                                &codes::E0218,
                                o.span,
                                format!("unknown outcome `{}`", o.name),
                            )
                            .with_label("expected `won` or `lost`");
                            if let Some(s) = super::suggest(&o.name, &["won", "lost"]) {
                                d = d.with_help(format!("did you mean `{s}`?"));
                            } else {
                                d = d.with_help(
                                    "a terminal stage ends with `outcome won` or `outcome lost`",
                                );
                            }
                            self.push(d);
                            None
                        }
                    };
                }
            }
        }
    }

    /// Dead ends, exits from terminal stages, no_skip / no_backward, reachability, and exits
    /// that can never fire or are shadowed by an earlier exit.
    fn stage_flow(&mut self, p: &Pipeline, decls: &[&StageDecl]) {
        let terminal = |i: usize| p.stages[i].outcome.is_some();
        for (si, st) in p.stages.iter().enumerate() {
            let decl = decls[si];
            if st.outcome.is_some() {
                for item in &decl.items {
                    if matches!(item.node, StageItem::Exit(_) | StageItem::Escalate(_)) {
                        self.push(
                            Diagnostic::new(
                                &codes::E0404,
                                item.span,
                                format!("terminal stage `{}` has an exit", st.name),
                            )
                            .with_label("can never apply")
                            .with_help(
                                "a stage with `outcome won|lost` ends the deal; remove this line",
                            ),
                        );
                    }
                }
                continue;
            }
            if decl
                .items
                .iter()
                .all(|i| !matches!(i.node, StageItem::Exit(_)))
            {
                self.push(
                    Diagnostic::new(&codes::E0403, decl.name.span, format!("stage `{}` has no exit", st.name))
                        .with_label("deals that enter this stage stay forever")
                        .with_help("add `exit to STAGE when CONDITION`, or `outcome won|lost` if the stage ends the deal"),
                );
            }
            for ex in &st.exits {
                let t = ex.target;
                if p.no_skip && !terminal(t) && t != si + 1 && t > si {
                    let next = p.stages.get(si + 1).map(|s| s.name.as_str()).unwrap_or("?");
                    self.push(
                        Diagnostic::new(&codes::E0407, ex.span, format!("exit skips from `{}` to `{}`", st.name, p.stages[t].name))
                            .with_label("breaks `no_skip`")
                            .with_help(format!("under `no_skip`, exit to the next stage (`{next}`) or to a terminal stage")),
                    );
                }
                if t <= si && !terminal(t) {
                    if let Some(allowed) = &p.no_backward {
                        if !allowed.contains(&(si, t)) {
                            self.push(
                                Diagnostic::new(
                                    &codes::E0408,
                                    ex.span,
                                    format!(
                                        "exit goes back from `{}` to `{}`",
                                        st.name, p.stages[t].name
                                    ),
                                )
                                .with_label("breaks `no_backward`")
                                .with_help(format!(
                                    "list it as an exception: `no_backward except {} -> {}`",
                                    st.name, p.stages[t].name
                                )),
                            );
                        }
                    }
                }
            }
            self.exit_logic(p, si);
        }
        // Reachability needs the cadences (their `stage` effects and worked stages): see
        // `unreachable_stages`, run after every cadence is checked.
    }

    fn exit_logic(&mut self, p: &Pipeline, si: usize) {
        let st = &p.stages[si];
        let require = Conj::from_conds(&st.require);
        let mut earlier: Vec<(Conj, usize)> = Vec::new();
        for (k, ex) in st.exits.iter().enumerate() {
            let Some(mut c) = Conj::from_cond(&ex.when) else {
                continue;
            };
            if p.stages[ex.target].outcome.is_none() {
                if let Some(r) = &require {
                    c.extend(r);
                }
            }
            if c.contradictory() {
                self.push(
                    Diagnostic::new(&codes::W0409, ex.span, "this exit can never fire")
                        .with_label("the condition contradicts itself or the stage's `require`")
                        .with_help(
                            "check the bounds: no value satisfies all parts of the condition",
                        ),
                );
                continue;
            }
            if let Some((_, j)) = earlier.iter().find(|(e, _)| c.implies(e)) {
                let first = &st.exits[*j];
                self.push(
                    Diagnostic::new(
                        &codes::W0411,
                        ex.span,
                        "this exit is shadowed by an earlier exit",
                    )
                    .with_label("whenever this holds, the earlier exit already fired")
                    .with_related(first.span, "this exit is tried first")
                    .with_help(
                        "exits are tried in order: move this exit up or narrow the earlier one",
                    ),
                );
            }
            earlier.push((c, k));
        }
    }
}

/// A condition that is a plain conjunction of atoms, for implication and contradiction tests.
#[derive(Debug, Clone, Default)]
struct Conj {
    truths: Vec<(Key, bool)>,
    ranges: Vec<(Key, Interval)>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Key {
    Fact(usize),
    Event(usize),
    Builtin(Builtin),
}

#[derive(Debug, Clone, Copy)]
struct Interval {
    lo: f64,
    lo_incl: bool,
    hi: f64,
    hi_incl: bool,
}

impl Interval {
    const ALL: Interval = Interval {
        lo: f64::NEG_INFINITY,
        lo_incl: false,
        hi: f64::INFINITY,
        hi_incl: false,
    };

    fn intersect(self, o: Interval) -> Interval {
        let (lo, lo_incl) = if self.lo > o.lo || (self.lo == o.lo && !self.lo_incl) {
            (self.lo, self.lo_incl)
        } else {
            (o.lo, o.lo_incl)
        };
        let (hi, hi_incl) = if self.hi < o.hi || (self.hi == o.hi && !self.hi_incl) {
            (self.hi, self.hi_incl)
        } else {
            (o.hi, o.hi_incl)
        };
        Interval {
            lo,
            lo_incl,
            hi,
            hi_incl,
        }
    }

    fn empty(self) -> bool {
        self.lo > self.hi || (self.lo == self.hi && !(self.lo_incl && self.hi_incl))
    }

    fn within(self, o: Interval) -> bool {
        let lo_ok = self.lo > o.lo || (self.lo == o.lo && (o.lo_incl || !self.lo_incl));
        let hi_ok = self.hi < o.hi || (self.hi == o.hi && (o.hi_incl || !self.hi_incl));
        lo_ok && hi_ok
    }
}

fn key(o: &Operand) -> Option<Key> {
    match o {
        Operand::Fact(f) => Some(Key::Fact(*f)),
        Operand::Builtin(b) => Some(Key::Builtin(*b)),
        Operand::Value(_) => None,
    }
}

fn number(o: &Operand) -> Option<f64> {
    match o {
        Operand::Value(Value::Number(v))
        | Operand::Value(Value::Percent(v))
        | Operand::Value(Value::Minutes(v)) => Some(*v),
        Operand::Value(Value::Money { amount, .. }) => Some(*amount),
        _ => None,
    }
}

impl Conj {
    fn from_conds(cs: &[Cond]) -> Option<Conj> {
        let mut out = Conj::default();
        for c in cs {
            out.extend(&Conj::from_cond(c)?);
        }
        Some(out)
    }

    fn from_cond(c: &Cond) -> Option<Conj> {
        let mut out = Conj::default();
        match c {
            Cond::True => {}
            Cond::And(parts) => return Conj::from_conds(parts),
            Cond::Fact(f) => out.truths.push((Key::Fact(*f), true)),
            Cond::Event(e) => out.truths.push((Key::Event(*e), true)),
            Cond::Not(inner) => match inner.as_ref() {
                Cond::Fact(f) => out.truths.push((Key::Fact(*f), false)),
                Cond::Event(e) => out.truths.push((Key::Event(*e), false)),
                _ => return None,
            },
            Cond::Compare { lhs, op, rhs } => {
                let (k, v, op) = match (key(lhs), number(rhs), key(rhs), number(lhs)) {
                    (Some(k), Some(v), _, _) => (k, v, *op),
                    (_, _, Some(k), Some(v)) => (k, v, op.flipped()),
                    _ => return None,
                };
                let iv = match op {
                    Cmp::Eq => Interval {
                        lo: v,
                        lo_incl: true,
                        hi: v,
                        hi_incl: true,
                    },
                    Cmp::Lt => Interval {
                        hi: v,
                        hi_incl: false,
                        ..Interval::ALL
                    },
                    Cmp::Le => Interval {
                        hi: v,
                        hi_incl: true,
                        ..Interval::ALL
                    },
                    Cmp::Gt => Interval {
                        lo: v,
                        lo_incl: false,
                        ..Interval::ALL
                    },
                    Cmp::Ge => Interval {
                        lo: v,
                        lo_incl: true,
                        ..Interval::ALL
                    },
                    Cmp::Ne => return None,
                };
                out.ranges.push((k, iv));
            }
            Cond::Or(_) => return None,
        }
        Some(out)
    }

    fn extend(&mut self, o: &Conj) {
        self.truths.extend(o.truths.iter().copied());
        self.ranges.extend(o.ranges.iter().copied());
    }

    fn range_of(&self, k: Key) -> Interval {
        self.ranges
            .iter()
            .filter(|(x, _)| *x == k)
            .fold(Interval::ALL, |acc, (_, iv)| acc.intersect(*iv))
    }

    fn contradictory(&self) -> bool {
        let clash = self
            .truths
            .iter()
            .any(|(k, b)| self.truths.iter().any(|(k2, b2)| k == k2 && b != b2));
        clash || self.ranges.iter().any(|(k, _)| self.range_of(*k).empty())
    }

    /// Every atom of `other` follows from the atoms of `self`.
    fn implies(&self, other: &Conj) -> bool {
        other.truths.iter().all(|t| self.truths.contains(t))
            && other
                .ranges
                .iter()
                .all(|(k, _)| self.range_of(*k).within(other.range_of(*k)))
    }
}

/// What other languages call the fact types, so that `tier: string` suggests `text`.
const TYPE_SYNONYMS: [(&str, &str); 14] = [
    ("string", "text"),
    ("str", "text"),
    ("varchar", "text"),
    ("int", "number"),
    ("integer", "number"),
    ("float", "number"),
    ("double", "number"),
    ("decimal", "number"),
    ("boolean", "bool"),
    ("currency", "money"),
    ("amount", "money"),
    ("percentage", "percent"),
    ("probability", "score"),
    ("interval", "duration"),
];

impl Checker {
    /// E0215 with the fact type meant: a synonym from another language, else a close spelling,
    /// else the list of types.
    fn unknown_fact_type(&mut self, ty: &crate::syntax::ast::Ident) {
        let names: Vec<&str> = FactType::ALL.iter().map(|(n, _)| *n).collect();
        let lower = ty.name.to_lowercase();
        let meant = TYPE_SYNONYMS
            .iter()
            .find(|(s, _)| *s == lower)
            .map(|(_, t)| *t)
            .or_else(|| super::suggest(&ty.name, &names));
        let help = match meant {
            Some(t) => format!("did you mean `{t}`?"),
            None => {
                let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
                format!("fact types are {}", list.join(", "))
            }
        };
        self.push(
            Diagnostic::new(
                &codes::E0215,
                ty.span,
                format!("unknown fact type `{}`", ty.name),
            )
            .with_label("not a fact type")
            .with_help(help),
        );
    }
}
