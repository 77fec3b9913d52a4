//! One-line renderings of the parts of items: literals, conditions, effects, distributions.
//! Everything here is pure: tree in, text out. Layout and comments live in `printer.rs`.

use crate::syntax::ast::*;

/// A string literal with its quotes, re-escaped (`\"`, `\\`, `\n`, `\t`).
pub fn string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub fn str_lit(s: &Str) -> String {
    string(&s.value)
}

pub fn duration(d: &Duration) -> String {
    let raw = &d.raw;
    match d.unit {
        DurationUnit::Minute => format!("{raw}min"),
        DurationUnit::Hour => format!("{raw}h"),
        DurationUnit::Day => format!("{raw}d"),
        DurationUnit::Week => format!("{raw}w"),
        DurationUnit::Month => format!("{raw}mo"),
        DurationUnit::BusinessDay if is_one(raw) => format!("{raw} business day"),
        DurationUnit::BusinessDay => format!("{raw} business days"),
        DurationUnit::BusinessHour if is_one(raw) => format!("{raw} business hour"),
        DurationUnit::BusinessHour => format!("{raw} business hours"),
    }
}

/// `1` (also `1.0`, `01`): the amount that takes a singular unit.
fn is_one(raw: &str) -> bool {
    let digits: String = raw.chars().filter(|c| *c != '_').collect();
    let (int, frac) = digits.split_once('.').unwrap_or((&digits, ""));
    int.trim_start_matches('0') == "1" && frac.chars().all(|c| c == '0')
}

pub fn clock(c: &Clock) -> String {
    format!("{:02}:{:02}", c.hour, c.minute)
}

pub fn datetime(d: &DateTime) -> String {
    format!("{} {}", d.date.text, clock(&d.clock))
}

pub fn time_point(t: &TimePoint) -> String {
    match t {
        TimePoint::Relative(d) => format!("+{}", duration(d)),
        TimePoint::Absolute(d) => datetime(d),
    }
}

pub fn literal(l: &Literal) -> String {
    match l {
        Literal::Number(n) => n.raw.clone(),
        Literal::Percent(p) => p.raw.clone(),
        Literal::Money(m) => format!("{} {}", m.amount.raw, m.currency.name),
        Literal::Duration(d) => duration(d),
        Literal::String(s) => str_lit(s),
        Literal::Bool(b, _) => b.to_string(),
    }
}

/// Names joined with `, `.
pub fn idents(list: &[Ident]) -> String {
    join(list.iter().map(|i| i.name.clone()))
}

pub fn join(parts: impl Iterator<Item = String>) -> String {
    parts.collect::<Vec<_>>().join(", ")
}

// ───────────── conditions ─────────────

/// Binding strength: `or` < `and` < `not` < comparison < operand.
fn precedence(e: &Expr) -> u8 {
    match e.kind {
        ExprKind::Or(_) => 1,
        ExprKind::And(_) => 2,
        ExprKind::Not(_) => 3,
        ExprKind::Compare { .. } => 4,
        ExprKind::Path(_) | ExprKind::Literal(_) => 5,
    }
}

/// A condition with the fewest parentheses that re-parse to the same tree. A nested `or`
/// inside an `or` (and `and` inside `and`) keeps its parentheses: the parser would otherwise
/// flatten it into its parent, which is a different tree.
pub fn expr(e: &Expr) -> String {
    let mut out = String::new();
    write_expr(e, &mut out);
    out
}

fn write_expr(e: &Expr, out: &mut String) {
    match &e.kind {
        ExprKind::Or(parts) => write_list(parts, " or ", 1, out),
        ExprKind::And(parts) => write_list(parts, " and ", 2, out),
        ExprKind::Not(inner) => {
            out.push_str("not ");
            // `not` takes another `not` or a comparison
            write_operand(inner, precedence(inner) < 3, out);
        }
        ExprKind::Compare { lhs, op, rhs } => {
            // comparison operands are a path, a literal or a parenthesized condition
            write_operand(lhs, precedence(lhs) < 5, out);
            out.push(' ');
            out.push_str(op.as_str());
            out.push(' ');
            write_operand(rhs, precedence(rhs) < 5, out);
        }
        ExprKind::Path(p) => out.push_str(&p.text),
        ExprKind::Literal(l) => out.push_str(&literal(l)),
    }
}

fn write_list(parts: &[Expr], sep: &str, own: u8, out: &mut String) {
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        write_operand(p, precedence(p) <= own, out);
    }
}

fn write_operand(e: &Expr, parens: bool, out: &mut String) {
    if parens {
        out.push('(');
        write_expr(e, out);
        out.push(')');
    } else {
        write_expr(e, out);
    }
}

// ───────────── effects ─────────────

pub fn effect(e: &Effect) -> String {
    match &e.kind {
        EffectKind::Set(i) => format!("set {}", i.name),
        EffectKind::Stage(i) => format!("stage {}", i.name),
        EffectKind::Task { title, assign } => match assign {
            Some(r) => format!("task {} assign {}", str_lit(title), r.name),
            None => format!("task {}", str_lit(title)),
        },
        EffectKind::Exit(i) => format!("exit {}", i.name),
        EffectKind::Continue => "continue".to_string(),
        EffectKind::Jump { target, bound } => match bound {
            Some(n) => format!("{} at most {} times", target.name, n.raw),
            None => target.name.clone(),
        },
    }
}

/// `-> a, b` (with its leading space), or nothing for an empty list.
pub fn effects(list: &[Effect]) -> String {
    if list.is_empty() {
        String::new()
    } else {
        format!(" -> {}", join(list.iter().map(effect)))
    }
}

// ───────────── calendar, pipeline, stage ─────────────

pub fn calendar_item(item: &CalendarItem) -> String {
    match item {
        CalendarItem::Timezone(s) => format!("timezone {}", str_lit(s)),
        CalendarItem::Workdays(days) => format!(
            "workdays {}",
            join(days.iter().map(|d| match &d.to {
                Some(to) => format!("{}..{}", d.from.name, to.name),
                None => d.from.name.clone(),
            }))
        ),
        CalendarItem::Hours(ranges) => format!(
            "hours {}",
            join(
                ranges
                    .iter()
                    .map(|r| format!("{}..{}", clock(&r.from), clock(&r.to)))
            )
        ),
        CalendarItem::Holidays(dates) => format!("holidays {}", date_ranges(dates)),
        CalendarItem::MakeupWorkdays(dates) => format!("workday {}", date_ranges(dates)),
    }
}

fn date_ranges(list: &[DateRange]) -> String {
    join(list.iter().map(|d| match &d.to {
        Some(to) => format!("{}..{}", d.from.text, to.text),
        None => d.from.text.clone(),
    }))
}

/// A pipeline item other than a block (`facts`, `stage`).
pub fn pipeline_line(item: &PipelineItem) -> String {
    match item {
        PipelineItem::Title(s) => format!("title {}", str_lit(s)),
        PipelineItem::Calendar(i) => format!("calendar {}", i.name),
        PipelineItem::Events(list) => format!("events {}", idents(list)),
        PipelineItem::Roles(list) => format!("roles {}", idents(list)),
        PipelineItem::MaxGap(d) => format!("max_gap {}", duration(d)),
        PipelineItem::NoSkip => "no_skip".to_string(),
        PipelineItem::NoBackward(list) if list.is_empty() => "no_backward".to_string(),
        PipelineItem::NoBackward(list) => format!(
            "no_backward except {}",
            join(
                list.iter()
                    .map(|t| format!("{} -> {}", t.from.name, t.to.name))
            )
        ),
        // blocks are laid out by the printer; these arms only serve as a fallback
        PipelineItem::Facts(_) => "facts {}".to_string(),
        PipelineItem::Stage(s) => format!("stage {} {{}}", s.name.name),
    }
}

pub fn fact_decl(f: &FactDecl) -> String {
    match &f.field {
        Some(field) => format!("{}: {} = field {}", f.path.text, f.ty.name, str_lit(field)),
        None => format!("{}: {}", f.path.text, f.ty.name),
    }
}

pub fn stage_item(item: &StageItem) -> String {
    match item {
        StageItem::RespondWithin(d) => format!("respond within {}", duration(d)),
        StageItem::Require(paths) => {
            format!("require {}", join(paths.iter().map(|p| p.text.clone())))
        }
        StageItem::Exit(x) => {
            let mut s = format!("exit to {} when {}", x.target.name, expr(&x.when));
            if let Some(label) = &x.label {
                s.push_str(" as ");
                s.push_str(&str_lit(label));
            }
            s
        }
        StageItem::Escalate(x) => {
            let mut s = format!("escalate {} when {}", x.role.name, expr(&x.when));
            if let Some(task) = &x.task {
                s.push_str(" then task ");
                s.push_str(&str_lit(task));
            }
            s
        }
        StageItem::Outcome(i) => format!("outcome {}", i.name),
    }
}

// ───────────── cadence ─────────────

/// A cadence item other than a block (`step`, `track`).
pub fn cadence_line(item: &CadenceItem) -> String {
    match item {
        CadenceItem::Title(s) => format!("title {}", str_lit(s)),
        CadenceItem::Works { pipeline, stage } => match stage {
            Some(st) => format!("pipeline {} stage {}", pipeline.name, st.name),
            None => format!("pipeline {}", pipeline.name),
        },
        CadenceItem::Calendar(i) => format!("calendar {}", i.name),
        CadenceItem::Enroll(e) => format!("enroll when {}", expr(e)),
        CadenceItem::Exit(x) => format!(
            "exit {} on {}{}",
            x.reason.name,
            x.event.name,
            effects(&x.effects)
        ),
        // laid out by the printer; fallbacks only
        CadenceItem::Step(s) => format!("step {} {}", s.name.name, s.channel.name),
        CadenceItem::Track(t) => format!("track {} {{}}", t.name.name),
    }
}

pub fn timing(t: &Timing) -> String {
    match t {
        Timing::Immediately => "immediately".to_string(),
        Timing::After { delay, at: None } => format!("after {}", duration(delay)),
        Timing::After { delay, at: Some(c) } => {
            format!("after {} at {}", duration(delay), clock(c))
        }
        Timing::At(c) => format!("at {}", clock(c)),
    }
}

/// Where a step attribute goes: `Some(rank)` for the header line (`template`, timing,
/// `assign`, `priority`, in that order), `None` for a line of its own.
pub fn header_rank(attr: &StepAttr) -> Option<u8> {
    match attr {
        StepAttr::Template(_) => Some(0),
        StepAttr::Timing(_) => Some(1),
        StepAttr::Assign(_) => Some(2),
        StepAttr::Priority(_) => Some(3),
        StepAttr::Variant(_) | StepAttr::On(_) | StepAttr::Otherwise(_) => None,
    }
}

pub fn step_attr(attr: &StepAttr) -> String {
    match attr {
        StepAttr::Template(s) => format!("template {}", str_lit(s)),
        StepAttr::Timing(t) => timing(t),
        StepAttr::Assign(i) => format!("assign {}", i.name),
        StepAttr::Priority(i) => format!("priority {}", i.name),
        StepAttr::Variant(v) => match &v.template {
            Some(t) => format!(
                "variant {} {} template {}",
                v.name.name,
                v.share.raw,
                str_lit(t)
            ),
            None => format!("variant {} {}", v.name.name, v.share.raw),
        },
        StepAttr::On(r) => {
            let mut s = format!("on {}", r.outcome.name);
            if let Some(n) = &r.times {
                s.push_str(&format!(" {} times", n.raw));
            }
            if let Some(d) = &r.within {
                s.push_str(&format!(" within {}", duration(d)));
            }
            s.push_str(&effects(&r.effects));
            s
        }
        StepAttr::Otherwise(list) => format!("otherwise{}", effects(list)),
    }
}

// ───────────── leads ─────────────

pub fn distribution(d: &Distribution) -> String {
    match d {
        Distribution::Literal(l) => literal(l),
        Distribution::Call { name, args, .. } => format!(
            "{}({})",
            name.name,
            join(args.iter().map(|a| {
                let mut s = String::new();
                if let Some(n) = &a.name {
                    s.push_str(&n.name);
                    s.push(' ');
                }
                s.push_str(&literal(&a.value));
                if let Some(w) = &a.weight {
                    s.push(' ');
                    s.push_str(&w.raw);
                }
                s
            }))
        ),
    }
}

/// A leads item other than a block (`segment`).
pub fn leads_line(item: &LeadsItem) -> String {
    match item {
        LeadsItem::Title(s) => format!("title {}", str_lit(s)),
        LeadsItem::Count(n) => format!("count {}", n.raw),
        LeadsItem::Arrivals { rate, per } => format!("arrivals {} per {}", rate.raw, per.name),
        LeadsItem::Timezone(s) => format!("timezone {}", str_lit(s)),
        LeadsItem::Fact { path, dist } => format!("fact {} = {}", path.text, distribution(dist)),
        LeadsItem::Respond { target, rates } => {
            let target = match target {
                RespondTarget::Channel(i) => i.name.clone(),
                RespondTarget::Template(s) => format!("template {}", str_lit(s)),
                RespondTarget::Step(p) => format!("step {}", p.text),
            };
            if rates.is_empty() {
                format!("respond {target} {{}}")
            } else {
                format!(
                    "respond {target} {{ {} }}",
                    join(
                        rates
                            .iter()
                            .map(|r| format!("{} {}", r.outcome.name, r.share.raw))
                    )
                )
            }
        }
        LeadsItem::Responsiveness(d) => format!("responsiveness {}", distribution(d)),
        LeadsItem::Fatigue(n) => format!("fatigue {} per touch", n.raw),
        LeadsItem::ReplyAfter(d) => format!("reply_after {}", distribution(d)),
        LeadsItem::Milestone {
            event,
            stage,
            share,
            delay,
        } => format!(
            "milestone {} in {} {} after {}",
            event.name,
            stage.name,
            share.raw,
            distribution(delay)
        ),
        // laid out by the printer; fallback only
        LeadsItem::Segment(s) => format!("segment {} {} {{}}", s.name.name, s.share.raw),
    }
}

// ───────────── simulation and test ─────────────

pub fn simulation_item(item: &SimulationItem) -> String {
    match item {
        SimulationItem::Cadence(i) => format!("cadence {}", i.name),
        SimulationItem::Leads(i) => format!("leads {}", i.name),
        SimulationItem::Count(n) => format!("count {}", n.raw),
        SimulationItem::Start(d) => format!("start {}", datetime(d)),
        SimulationItem::Horizon(d) => format!("horizon {}", duration(d)),
        SimulationItem::Seed(n) => format!("seed {}", n.raw),
    }
}

fn at(t: &Option<TimePoint>) -> String {
    match t {
        Some(t) => format!(" at {}", time_point(t)),
        None => String::new(),
    }
}

pub fn test_item(item: &TestItem) -> String {
    match item {
        TestItem::Cadence(i) => format!("cadence {}", i.name),
        TestItem::Lead(facts) if facts.is_empty() => "lead {}".to_string(),
        TestItem::Lead(facts) => format!(
            "lead {{ {} }}",
            join(
                facts
                    .iter()
                    .map(|f| format!("{} = {}", f.path.text, literal(&f.value)))
            )
        ),
        TestItem::Enroll(d) => format!("enroll at {}", datetime(d)),
        TestItem::When { what, at } => format!("when {} at {}", what.text, time_point(at)),
        TestItem::Expect(x) => match x {
            Expectation::Exit { reason, at: t } => format!("expect exit {}{}", reason.name, at(t)),
            Expectation::Stage { stage, at: t } => format!("expect stage {}{}", stage.name, at(t)),
            Expectation::Touches(n) => format!("expect touches {}", n.raw),
            Expectation::Path(list) => format!("expect path {}", idents(list)),
            Expectation::Escalation { role, at: t } => {
                format!("expect escalation {}{}", role.name, at(t))
            }
        },
    }
}
