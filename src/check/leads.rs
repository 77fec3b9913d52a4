//! Lead models: distributions typed against the facts they feed, outcome shares per channel,
//! segments, milestones and behaviour settings.

use super::conditions::{literal_value, Ty};
use super::{Checker, LocalNames, Settings};
use crate::diagnostics::{codes, Diagnostic};
use crate::model::{self, Channel, Dist, Population, RespondTarget, Value};
use crate::source::Span;
use crate::syntax::ast::{self, Distribution, LeadsDecl, LeadsItem, Literal};

/// Rates above these are far outside published benchmarks (see docs/diagnostics.md, W0603).
const PLAUSIBLE: [(Channel, &str, f64); 4] = [
    (Channel::Email, "replied", 15.0),
    (Channel::Call, "connected", 40.0),
    (Channel::Sms, "replied", 30.0),
    (Channel::Whatsapp, "replied", 40.0),
];

impl Checker {
    pub(super) fn leads(&mut self, decl: &LeadsDecl) {
        if self.event_index.is_empty() && self.fact_index.is_empty() {
            self.index_pipelines();
        }
        self.lead_scope = self
            .lead_pipelines
            .get(&decl.name.name)
            .filter(|ps| !ps.is_empty())
            .cloned();
        let mut m = model::LeadModel {
            name: decl.name.name.clone(),
            title: None,
            count: None,
            arrivals_per_day: None,
            timezone: None,
            base: Population::default(),
            segments: Vec::new(),
        };
        let mut settings = Settings::default();
        let mut segments = LocalNames::new("segment");
        let mut seg_total = 0.0;
        for item in &decl.items {
            let key = match &item.node {
                LeadsItem::Title(_) => Some("title"),
                LeadsItem::Count(_) => Some("count"),
                LeadsItem::Arrivals { .. } => Some("arrivals"),
                LeadsItem::Timezone(_) => Some("timezone"),
                _ => None,
            };
            if let Some(k) = key {
                if !settings.first(self, k, item.span) {
                    continue;
                }
            }
            match &item.node {
                LeadsItem::Title(s) => m.title = Some(s.value.clone()),
                LeadsItem::Count(n) => m.count = self.count(n),
                LeadsItem::Arrivals { rate, per } => {
                    let days = match per.name.as_str() {
                        "day" => Some(1.0),
                        "week" => Some(7.0),
                        "month" => Some(30.0),
                        _ => {
                            self.unknown(
                                &codes::E0218,
                                "arrival period",
                                &per.name,
                                per.span,
                                "",
                                ["day", "week", "month"],
                            );
                            None
                        }
                    };
                    if rate.value <= 0.0 {
                        self.push(
                            Diagnostic::new(
                                &codes::E0308,
                                rate.span,
                                "arrival rate must be positive",
                            )
                            .with_label("no leads would arrive")
                            .with_help("write e.g. `arrivals 400 per week`"),
                        );
                    }
                    m.arrivals_per_day = days.map(|d| rate.value / d);
                }
                LeadsItem::Timezone(s) => {
                    self.timezone(s);
                    m.timezone = Some(s.value.clone());
                }
                LeadsItem::Segment(seg) => {
                    segments.add(self, &seg.name);
                    seg_total += seg.share.value;
                    self.percent_range(&seg.share);
                    let mut pop = Population::default();
                    for it in &seg.items {
                        if !self.population_item(&mut pop, it) {
                            self.push(
                                Diagnostic::new(&codes::E0218, it.span, "this setting cannot vary by segment")
                                    .with_label("not allowed in a segment")
                                    .with_help("segments override facts, `respond` blocks, responsiveness, fatigue, reply_after, open_after, meeting_after and milestones"),
                            );
                        }
                    }
                    m.segments.push(model::Segment {
                        name: seg.name.name.clone(),
                        share: seg.share.value / 100.0,
                        overrides: pop,
                    });
                }
                _ => {
                    self.population_item(&mut m.base, item);
                }
            }
        }
        if seg_total > 100.0 + 1e-9 {
            let span = decl
                .items
                .iter()
                .find(|i| matches!(i.node, LeadsItem::Segment(_)))
                .map(|i| i.span)
                .unwrap_or(decl.name.span);
            self.push(
                Diagnostic::new(
                    &codes::E0604,
                    span,
                    format!("segment shares add up to {}%", seg_total),
                )
                .with_label("more than the whole population")
                .with_help(
                    "segment shares must add up to at most 100%; the rest is the base population",
                ),
            );
        }
        let registered = self
            .names
            .leads
            .get(&decl.name.name)
            .is_some_and(|(_, s)| s.same_place(decl.name.span));
        if registered {
            self.model.leads.push(m);
        }
    }

    pub(super) fn count(&mut self, n: &ast::Number) -> Option<u64> {
        if n.value < 1.0 || n.value.fract() != 0.0 || n.value > 1e9 {
            self.push(
                Diagnostic::new(
                    &codes::E0308,
                    n.span,
                    format!("`{}` is not a valid count", n.raw),
                )
                .with_label("a count is a whole number from 1 to 10^9")
                .with_help("write e.g. `count 100_000`"),
            );
            None
        } else {
            Some(n.value as u64)
        }
    }

    /// A probability as a fraction; out-of-range values are reported and then count as 0.
    fn percent_range(&mut self, p: &ast::Percent) -> f64 {
        self.checked_percent(p).unwrap_or(0.0)
    }

    /// A probability as a fraction, or None when it is outside 0%..100% (reported), so that a
    /// rejected value does not feed sums and benchmark checks.
    fn checked_percent(&mut self, p: &ast::Percent) -> Option<f64> {
        if (0.0..=100.0).contains(&p.value) {
            Some(p.value / 100.0)
        } else {
            self.push(
                Diagnostic::new(
                    &codes::E0308,
                    p.span,
                    format!("{} is not a probability", p.raw),
                )
                .with_label("outside 0%..100%")
                .with_help("shares and rates lie between 0% and 100%"),
            );
            None
        }
    }

    /// Items that make up a population (base or segment); false for items that do not.
    fn population_item(&mut self, pop: &mut Population, item: &ast::Spanned<LeadsItem>) -> bool {
        match &item.node {
            LeadsItem::Fact { path, dist } => {
                let ty = self.fact_type_anywhere(path);
                let d = self.distribution(dist, ty.as_ref(), &path.text);
                pop.facts.push((path.text.clone(), d));
            }
            LeadsItem::Respond { target, rates } => {
                if let Some(b) = self.respond(target, rates) {
                    pop.respond.push(b);
                }
            }
            LeadsItem::Responsiveness(d) => {
                pop.responsiveness =
                    Some(self.distribution(d, Some(&Ty::Number), "responsiveness"));
            }
            LeadsItem::Fatigue(n) => {
                if !(n.value > 0.0 && n.value <= 1.0) {
                    self.push(
                        Diagnostic::new(&codes::E0308, n.span, format!("fatigue `{}` is not a factor in (0, 1]", n.raw))
                            .with_label("out of range")
                            .with_help("`fatigue 0.85 per touch`: each further touch responds at 0.85x the last"),
                    );
                }
                pop.fatigue = Some(n.value);
            }
            LeadsItem::ReplyAfter(d) => {
                pop.reply_after_minutes =
                    Some(self.distribution(d, Some(&Ty::Duration), "reply_after"));
            }
            LeadsItem::OpenAfter(d) => {
                pop.open_after_minutes =
                    Some(self.distribution(d, Some(&Ty::Duration), "open_after"));
            }
            LeadsItem::MeetingAfter(d) => {
                pop.meeting_after_minutes =
                    Some(self.distribution(d, Some(&Ty::Duration), "meeting_after"));
            }
            LeadsItem::Milestone {
                event,
                stage,
                share,
                delay,
            } => {
                let p = self.percent_range(share);
                // the pipelines in scope that declare the event; the milestone belongs to the one
                // that also has the stage
                let owners: Vec<usize> = self
                    .event_index
                    .get(&event.name)
                    .map(|ps| ps.iter().copied().filter(|i| self.in_scope(*i)).collect())
                    .unwrap_or_default();
                let has_stage = |i: &usize| {
                    self.model.pipelines[*i]
                        .stages
                        .iter()
                        .any(|s| s.name == stage.name)
                };
                // out of scope (no simulation uses the model) one owner with the stage is enough:
                // a thousand pipelines declaring the event are not all scanned
                let with_stage: Vec<usize> = if self.lead_scope.is_some() {
                    owners.iter().copied().filter(has_stage).collect()
                } else {
                    owners.iter().copied().find(has_stage).into_iter().collect()
                };
                match (with_stage.is_empty(), owners.first()) {
                    (false, _) if self.lead_scope.is_some() => {
                        for pi in with_stage {
                            self.produced_events.insert((pi, event.name.clone()));
                        }
                    }
                    (false, _) => {
                        // a model no simulation uses may feed any pipeline with this event
                        self.produced_anywhere.insert(event.name.clone());
                    }
                    (true, Some(first)) => {
                        let pl = self.model.pipelines[*first].clone();
                        self.stage_ref(&pl, stage);
                    }
                    (true, None) => {
                        let all: Vec<String> = self
                            .model
                            .pipelines
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| self.in_scope(*i))
                            .flat_map(|(_, p)| p.events.iter().cloned())
                            .collect();
                        self.unknown(
                            &codes::E0207,
                            "event",
                            &event.name,
                            event.span,
                            " in any pipeline",
                            all.iter().map(|s| s.as_str()),
                        );
                    }
                }
                let d = self.distribution(delay, Some(&Ty::Duration), "milestone delay");
                pop.milestones.push(model::Milestone {
                    event: event.name.clone(),
                    stage: stage.name.clone(),
                    probability: p,
                    delay_minutes: d,
                });
            }
            _ => return false,
        }
        true
    }

    /// Index facts and events by name once, so lead models resolve without scanning pipelines.
    fn index_pipelines(&mut self) {
        for (i, p) in self.model.pipelines.iter().enumerate() {
            for e in &p.events {
                self.event_index.entry(e.clone()).or_default().push(i);
            }
            for f in &p.facts {
                self.fact_index
                    .entry(f.path.clone())
                    .or_default()
                    .push((i, f.ty));
            }
        }
    }

    /// Whether a pipeline is one the current lead model is simulated against (all are, when no
    /// simulation uses the model).
    fn in_scope(&self, pipeline: usize) -> bool {
        self.lead_scope
            .as_ref()
            .is_none_or(|s| s.contains(&pipeline))
    }

    /// The type of a fact declared by a pipeline in scope.
    fn fact_type_anywhere(&mut self, path: &ast::Path) -> Option<Ty> {
        let found = self.fact_index.get(&path.text).and_then(|ps| {
            ps.iter()
                .find(|(i, _)| self.in_scope(*i))
                .map(|(_, ty)| *ty)
        });
        match found {
            Some(t) => Some(Ty::of_fact(t)),
            None => {
                let all: Vec<String> = self
                    .model
                    .pipelines
                    .iter()
                    .flat_map(|p| p.facts.iter().map(|f| f.path.clone()))
                    .collect();
                self.unknown(
                    &codes::E0206,
                    "fact",
                    &path.text,
                    path.span,
                    " in any pipeline",
                    all.iter().map(|s| s.as_str()),
                );
                None
            }
        }
    }

    fn respond(
        &mut self,
        target: &ast::RespondTarget,
        rates: &[ast::Rate],
    ) -> Option<model::RespondBlock> {
        let (target, channel) = match target {
            ast::RespondTarget::Channel(ch) => {
                match Channel::ALL.iter().find(|(n, _)| *n == ch.name) {
                    Some((_, c)) => (RespondTarget::Channel(*c), *c),
                    None => {
                        self.unknown(
                            &codes::E0211,
                            "channel",
                            &ch.name,
                            ch.span,
                            "",
                            Channel::ALL.iter().map(|(n, _)| *n),
                        );
                        return None;
                    }
                }
            }
            ast::RespondTarget::Template(t) => {
                let ch = self
                    .model
                    .cadences
                    .iter()
                    .flat_map(|c| c.steps.iter())
                    .find(|s| {
                        s.template.as_deref() == Some(&t.value)
                            || s.variants
                                .iter()
                                .any(|v| v.template.as_deref() == Some(&t.value))
                    })
                    .map(|s| s.channel)
                    .unwrap_or(Channel::Email);
                (RespondTarget::Template(t.value.clone()), ch)
            }
            ast::RespondTarget::Step(path) => {
                let mut parts = path.text.splitn(2, '.');
                let (cad, step) = (parts.next().unwrap_or(""), parts.next());
                let Some(step) = step else {
                    self.push(
                        Diagnostic::new(&codes::E0205, path.span, "a step is named `CADENCE.STEP`")
                            .with_label("missing the cadence or the step")
                            .with_help(
                                "write e.g. `respond step inbound_demo.breakup { replied 6% }`",
                            ),
                    );
                    return None;
                };
                let Some((ci, _)) = self.names.cadences.get(cad).copied() else {
                    let names: Vec<String> = self.names.cadences.keys().cloned().collect();
                    self.unknown(
                        &codes::E0209,
                        "cadence",
                        cad,
                        path.span,
                        "",
                        names.iter().map(|s| s.as_str()),
                    );
                    return None;
                };
                let c = self.model.cadences.get(ci)?;
                match c.steps.iter().position(|s| s.name == step) {
                    Some(si) => {
                        let ch = c.steps[si].channel;
                        (
                            RespondTarget::Step {
                                cadence: ci,
                                step: si,
                            },
                            ch,
                        )
                    }
                    None => {
                        let names: Vec<String> = c.steps.iter().map(|s| s.name.clone()).collect();
                        let ctx = format!(" in cadence `{cad}`");
                        self.unknown(
                            &codes::E0205,
                            "step",
                            step,
                            path.span,
                            &ctx,
                            names.iter().map(|s| s.as_str()),
                        );
                        return None;
                    }
                }
            }
        };
        let mut out = Vec::new();
        let mut seen = LocalNames::new("outcome rate");
        for r in rates {
            if !seen.add(self, &r.outcome) {
                continue;
            }
            if !channel.outcomes().contains(&r.outcome.name.as_str()) {
                let mut d = Diagnostic::new(
                    &codes::E0605,
                    r.outcome.span,
                    format!(
                        "`{}` is not an outcome of {}",
                        r.outcome.name,
                        channel.name()
                    ),
                )
                .with_label("unknown outcome");
                let list = channel.outcomes().join(", ");
                d = match super::suggest(&r.outcome.name, channel.outcomes()) {
                    Some(s) => d.with_help(format!(
                        "did you mean `{s}`? {} outcomes: {list}",
                        channel.name()
                    )),
                    None => d.with_help(format!("{} outcomes: {list}", channel.name())),
                };
                self.push(d);
                continue;
            }
            let Some(p) = self.checked_percent(&r.share) else {
                continue;
            };
            if let RespondTarget::Channel(ch) = target {
                if let Some((_, _, lim)) = PLAUSIBLE
                    .iter()
                    .find(|(c, o, _)| *c == ch && *o == r.outcome.name)
                {
                    if r.share.value > *lim {
                        self.push(
                            Diagnostic::new(&codes::W0603, r.share.span, format!("{} {} rate of {} is far above published benchmarks", crate::diagnostics::with_article(ch.name()), r.outcome.name, r.share.raw))
                                .with_label(format!("benchmarks stay below {lim}%"))
                                .with_help("cold email replies run about 3-3.5% per sequence and call connects 5-10% per dial; check the source of this figure"),
                        );
                    }
                }
            }
            out.push((r.outcome.name.clone(), p, r.share.span));
        }
        for group in channel.exclusive_groups() {
            let total: f64 = out
                .iter()
                .filter(|(o, _, _)| group.contains(&o.as_str()))
                .map(|(_, p, _)| p)
                .sum();
            if total > 1.0 + 1e-9 {
                let span = out
                    .iter()
                    .find(|(o, _, _)| group.contains(&o.as_str()))
                    .map(|(_, _, s)| *s)
                    .unwrap_or_default();
                let named: Vec<&str> = out
                    .iter()
                    .filter(|(o, _, _)| group.contains(&o.as_str()))
                    .map(|(o, _, _)| o.as_str())
                    .collect();
                self.push(
                    Diagnostic::new(&codes::E0601, span, format!("{} add up to {}%", named.join(" + "), percent_text(total)))
                        .with_label("more than 100% of touches")
                        .with_help(format!("one of {} happens per touch at most; their shares must add up to at most 100%", group.join(", "))),
                );
            }
        }
        let rate = |o: &str| {
            out.iter()
                .find(|(x, _, _)| x == o)
                .map(|(_, p, s)| (*p, *s))
        };
        if let (Some((opened, _)), Some((clicked, span))) = (rate("opened"), rate("clicked")) {
            if clicked > opened {
                self.push(
                    Diagnostic::new(&codes::E0601, span, "more clicks than opens")
                        .with_label("clicked is above opened")
                        .with_help("a click implies an open, so `clicked` may not exceed `opened`"),
                );
            }
        }
        // rates that contradict what each outcome implies (docs/simulation.md, "Outcomes")
        let total =
            |names: &[&str]| -> f64 { names.iter().filter_map(|o| rate(o)).map(|(p, _)| p).sum() };
        let mut contradiction = |what: &str, span, help: &str| {
            self.push(
                Diagnostic::new(&codes::E0601, span, what.to_string())
                    .with_label("these rates contradict each other")
                    .with_help(help.to_string()),
            );
        };
        if let (Some((opened, span)), Some((replied, _))) = (rate("opened"), rate("replied")) {
            if channel == Channel::Email && opened + 1e-9 < replied {
                contradiction(
                    "fewer opens than replies",
                    span,
                    "a reply counts as an open, so `opened` must be at least `replied`",
                );
            }
        }
        if let Some((delivered, span)) = rate("delivered") {
            let needs_delivery: &[&str] = match channel {
                Channel::Email => &["replied", "unsubscribed"],
                Channel::Sms | Channel::Whatsapp => &["replied", "opted_out"],
                _ => &[],
            };
            if total(needs_delivery) > delivered + 1e-9 {
                contradiction(
                    &format!("{} add up to more than `delivered`", needs_delivery.join(" + ")),
                    span,
                    "replies and unsubscribes come from delivered messages: `delivered` must be at least their sum",
                );
            }
            if channel == Channel::Email
                && rate("opened").is_some_and(|(o, _)| o > delivered + 1e-9)
            {
                contradiction(
                    "more opens than deliveries",
                    span,
                    "only a delivered email can be opened",
                );
            }
        }
        if let Some((booked, span)) = rate("booked").filter(|_| channel == Channel::Meeting) {
            if total(&["held", "no_show", "cancelled"]) > booked + 1e-9 {
                contradiction(
                    "held + no_show + cancelled add up to more than `booked`",
                    span,
                    "each held, missed or cancelled meeting was booked: `booked` must be at least their sum (or leave it out)",
                );
            }
        }
        Some(model::RespondBlock {
            target,
            rates: out.into_iter().map(|(o, p, _)| (o, p)).collect(),
        })
    }

    /// Check a distribution against the type of what it feeds; normalise its parameters.
    fn distribution(&mut self, d: &Distribution, want: Option<&Ty>, what: &str) -> Dist {
        match d {
            Distribution::Literal(Literal::Percent(p)) if want.is_none_or(|t| *t == Ty::Bool) => {
                Dist::Bernoulli {
                    p: self.percent_range(p),
                }
            }
            Distribution::Literal(l) => {
                let (v, t) = literal_value(l);
                self.fits(want, &t, &v, l.span(), what);
                Dist::Const { value: v }
            }
            Distribution::Call { name, args, span } => {
                self.dist_call(name, args, *span, want, what)
            }
        }
    }

    fn fits(&mut self, want: Option<&Ty>, got: &Ty, v: &Value, span: Span, what: &str) {
        let Some(want) = want else { return };
        let ok = match (want, got) {
            (Ty::Money(_), Ty::Money(_))
            | (Ty::Duration, Ty::Duration)
            | (Ty::Text, Ty::Text)
            | (Ty::Bool, Ty::Bool) => true,
            (Ty::Number, Ty::Number) | (Ty::Percent, Ty::Percent) => true,
            (Ty::Score, Ty::Number) => match v {
                Value::Number(x) if (0.0..=1.0).contains(x) => true,
                _ => {
                    self.push(
                        Diagnostic::new(
                            &codes::E0303,
                            span,
                            format!("`{what}` is a score, between 0 and 1"),
                        )
                        .with_label("outside 0..1")
                        .with_help("scores run from 0 to 1"),
                    );
                    return;
                }
            },
            (Ty::Error, _) | (_, Ty::Error) => true,
            _ => false,
        };
        if !ok {
            self.push(
                Diagnostic::new(
                    &codes::E0304,
                    span,
                    format!(
                        "`{what}` needs {} value",
                        crate::diagnostics::with_article(ty_name(want))
                    ),
                )
                .with_label(format!(
                    "this is {} value",
                    crate::diagnostics::with_article(ty_name(got))
                ))
                .with_help(match want {
                    Ty::Money(_) => "give an amount with a currency, e.g. `80k CNY`",
                    Ty::Duration => "give a duration, e.g. `14d`",
                    Ty::Bool => "give a probability, e.g. `40%`, or `true`/`false`",
                    Ty::Text => "give a string or `choice(\"a\" 30%, \"b\" 70%)`",
                    _ => "give a number",
                }),
            );
        }
    }

    fn dist_call(
        &mut self,
        name: &ast::Ident,
        args: &[ast::DistArg],
        span: Span,
        want: Option<&Ty>,
        what: &str,
    ) -> Dist {
        const KNOWN: [&str; 8] = [
            "uniform",
            "normal",
            "lognormal",
            "gamma",
            "exponential",
            "weibull",
            "beta",
            "choice",
        ];
        if !KNOWN.contains(&name.name.as_str()) {
            self.unknown(
                &codes::E0216,
                "distribution",
                &name.name,
                name.span,
                "",
                KNOWN,
            );
            return Dist::Const {
                value: Value::Number(0.0),
            };
        }
        if name.name == "choice" {
            let mut options = Vec::new();
            let mut total = 0.0;
            for a in args {
                let (v, t) = literal_value(&a.value);
                self.fits(want, &t, &v, a.value.span(), what);
                let w = match &a.weight {
                    Some(w) => self.percent_range(w),
                    None => {
                        self.push(
                            Diagnostic::new(&codes::E0307, a.span, "a choice needs a share")
                                .with_label("no share")
                                .with_help("write `choice(\"a\" 30%, \"b\" 70%)`"),
                        );
                        0.0
                    }
                };
                total += w;
                options.push((v, w));
            }
            if (total - 1.0).abs() > 1e-9 {
                self.push(
                    Diagnostic::new(
                        &codes::E0307,
                        span,
                        format!(
                            "choice shares total {}%, not 100%",
                            (total * 1e6).round() / 1e4
                        ),
                    )
                    .with_label("shares must total 100%")
                    .with_help("give every option a share so that they add up to 100%"),
                );
            }
            return Dist::Choice { options };
        }
        if want == Some(&Ty::Text) || want == Some(&Ty::Bool) {
            self.push(
                Diagnostic::new(
                    &codes::E0304,
                    span,
                    format!(
                        "`{what}` is {}, not a number",
                        ty_name(want.unwrap_or(&Ty::Error))
                    ),
                )
                .with_label(format!("`{}` draws numbers", name.name))
                .with_help("use a literal, a percentage for bool facts, or `choice(...)` for text"),
            );
            return Dist::Const {
                value: Value::Number(0.0),
            };
        }
        // Positional or named parameters, in the distribution's order.
        let (names, alt): (&[&str], &[&str]) = match name.name.as_str() {
            "uniform" => (&["low", "high"], &[]),
            "normal" => (&["mean", "sd"], &[]),
            "lognormal" => (&["median", "p90"], &["mu", "sigma"]),
            "gamma" => (&["mean", "shape"], &[]),
            "exponential" => (&["mean"], &[]),
            "weibull" => (&["scale", "shape"], &[]),
            _ => (&["a", "b"], &[]),
        };
        let use_alt = !alt.is_empty()
            && args
                .first()
                .and_then(|a| a.name.as_ref())
                .is_some_and(|n| alt.contains(&n.name.as_str()));
        let expected = if use_alt { alt } else { names };
        if args.len() != expected.len() {
            self.push(
                Diagnostic::new(
                    &codes::E0216,
                    span,
                    format!(
                        "`{}` takes {} parameters, not {}",
                        name.name,
                        expected.len(),
                        args.len()
                    ),
                )
                .with_label("wrong number of parameters")
                .with_help(format!(
                    "write `{}({})`",
                    name.name,
                    expected.join(", ")
                )),
            );
            return Dist::Const {
                value: Value::Number(0.0),
            };
        }
        let mut vals = Vec::new();
        for (a, want_name) in args.iter().zip(expected) {
            if let Some(n) = &a.name {
                if n.name != *want_name {
                    let mut d = Diagnostic::new(
                        &codes::E0216,
                        n.span,
                        format!("`{}` has no parameter `{}` here", name.name, n.name),
                    )
                    .with_label(format!("expected `{want_name}`"));
                    d = d.with_help(format!("write `{}({})`", name.name, expected.join(", ")));
                    self.push(d);
                }
            }
            let (v, t) = literal_value(&a.value);
            // shape, sd of a unitless model, beta's a/b and lognormal's mu/sigma are plain numbers
            let unitless =
                matches!(*want_name, "shape" | "a" | "b" | "mu" | "sigma") || name.name == "beta";
            if unitless {
                self.fits(Some(&Ty::Number), &t, &v, a.value.span(), want_name);
            } else {
                let target = match want {
                    Some(Ty::Score) => Some(&Ty::Number),
                    other => other,
                };
                self.fits(target, &t, &v, a.value.span(), what);
            }
            vals.push((scalar(&v), a.value.span()));
        }
        let bad = |cx: &mut Checker, span: Span, msg: &str| {
            cx.push(
                Diagnostic::new(&codes::E0307, span, msg.to_string())
                    .with_label("impossible parameter")
                    .with_help(format!(
                        "see `cadence explain E0307`; `{}` parameters: {}",
                        name.name,
                        expected.join(", ")
                    )),
            );
        };
        let v = |i: usize| vals.get(i).map(|x| x.0).unwrap_or(0.0);
        let s = |i: usize| vals.get(i).map(|x| x.1).unwrap_or(span);
        match (name.name.as_str(), use_alt) {
            ("uniform", _) => {
                if v(1) < v(0) {
                    bad(self, span, "uniform's upper bound is below its lower bound");
                }
                Dist::Uniform {
                    low: v(0),
                    high: v(1),
                }
            }
            ("normal", _) => {
                if v(1) <= 0.0 {
                    bad(self, s(1), "a standard deviation must be positive");
                }
                Dist::Normal {
                    mean: v(0),
                    sd: v(1),
                }
            }
            ("lognormal", false) => {
                if v(0) <= 0.0 || v(1) <= v(0) {
                    bad(self, span, "a lognormal needs 0 < median < p90");
                    return Dist::LogNormal {
                        mu: 0.0,
                        sigma: 1.0,
                    };
                }
                // p90 = median * exp(1.2815516 * sigma)
                let sigma = (v(1) / v(0)).ln() / 1.281_551_565_545;
                Dist::LogNormal {
                    mu: v(0).ln(),
                    sigma,
                }
            }
            ("lognormal", true) => {
                if v(1) <= 0.0 {
                    bad(self, s(1), "sigma must be positive");
                }
                Dist::LogNormal {
                    mu: v(0),
                    sigma: v(1),
                }
            }
            ("gamma", _) => {
                if v(0) <= 0.0 || v(1) <= 0.0 {
                    bad(self, span, "gamma needs a positive mean and shape");
                }
                Dist::Gamma {
                    mean: v(0),
                    shape: v(1),
                }
            }
            ("exponential", _) => {
                if v(0) <= 0.0 {
                    bad(self, span, "an exponential needs a positive mean");
                }
                Dist::Exponential { mean: v(0) }
            }
            ("weibull", _) => {
                if v(0) <= 0.0 || v(1) <= 0.0 {
                    bad(self, span, "weibull needs a positive scale and shape");
                }
                Dist::Weibull {
                    scale: v(0),
                    shape: v(1),
                }
            }
            _ => {
                if v(0) <= 0.0 || v(1) <= 0.0 {
                    bad(self, span, "beta needs positive parameters");
                }
                Dist::Beta { a: v(0), b: v(1) }
            }
        }
    }
}

fn scalar(v: &Value) -> f64 {
    match v {
        Value::Number(x)
        | Value::Percent(x)
        | Value::Minutes(x)
        | Value::BusinessDays(x)
        | Value::BusinessMinutes(x) => *x,
        Value::Money { amount, .. } => *amount,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Text(_) => 0.0,
    }
}

fn ty_name(t: &Ty) -> &'static str {
    match t {
        Ty::Bool => "bool",
        Ty::Money(_) => "money",
        Ty::Duration => "duration",
        Ty::Score => "score",
        Ty::Number => "number",
        Ty::Percent => "percent",
        Ty::Text => "text",
        Ty::Error => "?",
    }
}

/// A fraction as a percentage without float noise: 0.065 → `6.5`.
fn percent_text(fraction: f64) -> String {
    let s = format!("{:.4}", fraction * 100.0);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
