//! The text of items: literals, conditions, effects, distributions, and the shape of each
//! line-level item (one line, a line that may wrap, or a `{ ... }` list that may open into a
//! block). Everything here is pure: tree in, text out. Layout and comments live in `printer.rs`.

use crate::source::Span;
use crate::syntax::ast::*;

/// A piece of a line where the printer may break it: a list element (with its `,` when one
/// follows) or an operand of a top-level `and`/`or` (with the operator before it).
pub struct Part {
    pub text: String,
    /// the source of the piece (without a `,` or `)` that follows; the printer finds those)
    pub span: Span,
}

/// How a line-level item is printed.
pub enum Shape {
    /// Always one line.
    Line(String),
    /// `head part part ...`, wrapped after a part that has a trailing comment, before a part
    /// preceded by a comment, or when the line would exceed the width; continuation lines
    /// line up with the first part.
    Wrap { head: String, parts: Vec<Part> },
    /// `head { part, part }` on one line, or opened into a block with the parts inside when a
    /// comment sits between the braces or the line would exceed the width. `open_after` is
    /// the source offset after which the `{` follows.
    Braces {
        head: String,
        parts: Vec<Part>,
        open_after: usize,
    },
}

impl Shape {
    /// The item on one line.
    pub fn one_line(&self) -> String {
        match self {
            Shape::Line(s) => s.clone(),
            Shape::Wrap { head, parts } => {
                let mut s = head.clone();
                for p in parts {
                    s.push(' ');
                    s.push_str(&p.text);
                }
                s
            }
            Shape::Braces { head, parts, .. } => braces_text(head, parts),
        }
    }
}

/// `head { a, b }`, or `head {}`.
pub fn braces_text(head: &str, parts: &[Part]) -> String {
    if parts.is_empty() {
        return format!("{head} {{}}");
    }
    let inner: Vec<&str> = parts.iter().map(|p| p.text.as_str()).collect();
    format!("{head} {{ {} }}", inner.join(" "))
}

/// Parts of a comma-separated list: every element but the last gets its `,`.
fn list<T>(items: &[T], text: impl Fn(&T) -> String, span: impl Fn(&T) -> Span) -> Vec<Part> {
    let n = items.len();
    items
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let mut t = text(x);
            if i + 1 < n {
                t.push(',');
            }
            Part {
                text: t,
                span: span(x),
            }
        })
        .collect()
}

fn ident_parts(list_of: &[Ident]) -> Vec<Part> {
    list(list_of, |i| i.name.clone(), |i| i.span)
}

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

/// The condition cut before each operator of its top-level `or` or `and`: `a`, `or b`, `or c`.
pub fn cond_parts(e: &Expr) -> Vec<Part> {
    let (parts, op, own) = match &e.kind {
        ExprKind::Or(parts) => (parts, "or ", 1),
        ExprKind::And(parts) => (parts, "and ", 2),
        _ => {
            return vec![Part {
                text: expr(e),
                span: e.span,
            }]
        }
    };
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut text = if i == 0 {
                String::new()
            } else {
                op.to_string()
            };
            write_operand(p, precedence(p) <= own, &mut text);
            Part { text, span: p.span }
        })
        .collect()
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

/// `head -> a, b` (just `head` without effects).
fn with_effects(mut head: String, effects: &[Effect]) -> Shape {
    if effects.is_empty() {
        return Shape::Line(head);
    }
    head.push_str(" ->");
    Shape::Wrap {
        head,
        parts: list(effects, effect, |e| e.span),
    }
}

// ───────────── calendar, pipeline, stage ─────────────

pub fn calendar_item(item: &CalendarItem) -> Shape {
    let wrap = |head: &str, parts| Shape::Wrap {
        head: head.to_string(),
        parts,
    };
    match item {
        CalendarItem::Timezone(s) => Shape::Line(format!("timezone {}", str_lit(s))),
        CalendarItem::Workdays(days) => wrap("workdays", list(days, day_range, |d| d.span)),
        CalendarItem::Hours(ranges) => wrap(
            "hours",
            list(
                ranges,
                |r| format!("{}..{}", clock(&r.from), clock(&r.to)),
                |r| r.span,
            ),
        ),
        CalendarItem::Holidays(dates) => wrap("holidays", date_ranges(dates)),
        CalendarItem::MakeupWorkdays(dates) => wrap("workday", date_ranges(dates)),
    }
}

fn date_ranges(dates: &[DateRange]) -> Vec<Part> {
    list(dates, date_range, |d| d.span)
}

/// A pipeline item other than a block (`facts`, `stage`).
pub fn pipeline_item(item: &PipelineItem) -> Shape {
    let line = Shape::Line;
    match item {
        PipelineItem::Title(s) => line(format!("title {}", str_lit(s))),
        PipelineItem::Calendar(i) => line(format!("calendar {}", i.name)),
        PipelineItem::Events(list) => Shape::Wrap {
            head: "events".to_string(),
            parts: ident_parts(list),
        },
        PipelineItem::Roles(list) => Shape::Wrap {
            head: "roles".to_string(),
            parts: ident_parts(list),
        },
        PipelineItem::MaxGap(d) => line(format!("max_gap {}", duration(d))),
        PipelineItem::NoSkip => line("no_skip".to_string()),
        PipelineItem::NoBackward(list) if list.is_empty() => line("no_backward".to_string()),
        PipelineItem::NoBackward(transitions) => Shape::Wrap {
            head: "no_backward except".to_string(),
            parts: list(
                transitions,
                |t| format!("{} -> {}", t.from.name, t.to.name),
                |t| t.span,
            ),
        },
        // blocks are laid out by the printer; these arms only serve as a fallback
        PipelineItem::Facts(_) => line("facts {}".to_string()),
        PipelineItem::Stage(s) => line(format!("stage {} {{}}", s.name.name)),
    }
}

pub fn fact_decl(f: &FactDecl) -> String {
    match &f.field {
        Some(field) => format!("{}: {} = field {}", f.path.text, f.ty.name, str_lit(field)),
        None => format!("{}: {}", f.path.text, f.ty.name),
    }
}

pub fn stage_item(item: &StageItem) -> Shape {
    match item {
        StageItem::RespondWithin(d) => Shape::Line(format!("respond within {}", duration(d))),
        StageItem::MaxGap(d) => Shape::Line(format!("max_gap {}", duration(d))),
        StageItem::Require(paths) => Shape::Wrap {
            head: "require".to_string(),
            parts: list(paths, |p| p.text.clone(), |p| p.span),
        },
        StageItem::Exit(x) => {
            let mut parts = cond_parts(&x.when);
            if let Some(label) = &x.label {
                parts.push(Part {
                    text: format!("as {}", str_lit(label)),
                    span: label.span,
                });
            }
            Shape::Wrap {
                head: format!("exit to {} when", x.target.name),
                parts,
            }
        }
        StageItem::Escalate(x) => {
            let mut parts = cond_parts(&x.when);
            if let Some(task) = &x.task {
                parts.push(Part {
                    text: format!("then task {}", str_lit(task)),
                    span: task.span,
                });
            }
            Shape::Wrap {
                head: format!("escalate {} when", x.role.name),
                parts,
            }
        }
        StageItem::Outcome(i) => Shape::Line(format!("outcome {}", i.name)),
    }
}

// ───────────── cadence ─────────────

/// A cadence item other than a block (`step`, `track`).
pub fn cadence_item(item: &CadenceItem) -> Shape {
    match item {
        CadenceItem::Title(s) => Shape::Line(format!("title {}", str_lit(s))),
        CadenceItem::Targets(t) => Shape::Line(targets(t)),
        CadenceItem::Works { pipeline, stage } => Shape::Line(match stage {
            Some(st) => format!("pipeline {} stage {}", pipeline.name, st.name),
            None => format!("pipeline {}", pipeline.name),
        }),
        CadenceItem::Calendar(i) => Shape::Line(format!("calendar {}", i.name)),
        CadenceItem::Enroll(e) => Shape::Wrap {
            head: "enroll when".to_string(),
            parts: cond_parts(e),
        },
        CadenceItem::Active { dates, defer } => Shape::Line(format!(
            "active {}{}",
            date_range(dates),
            if *defer { " defer" } else { "" }
        )),
        CadenceItem::HandOff(i) => Shape::Line(format!("hand_off to {}", i.name)),
        CadenceItem::Exit(x) => with_effects(
            format!("exit {} on {}", x.reason.name, x.event.name),
            &x.effects,
        ),
        // laid out by the printer; fallbacks only
        CadenceItem::Step(s) => Shape::Line(format!("step {} {}", s.name.name, s.channel.name)),
        CadenceItem::Track(t) => Shape::Line(format!("track {} {{}}", t.name.name)),
    }
}

/// `target zoho, salesloft`, at the top level or in a cadence.
pub fn targets(t: &Targets) -> String {
    format!("target {}", join(t.names.iter().map(|n| n.name.clone())))
}

pub fn timing(t: &Timing) -> String {
    match t {
        Timing::Immediately => "immediately".to_string(),
        Timing::After { delay, at: None } => format!("after {}", duration(delay)),
        Timing::After { delay, at: Some(c) } => {
            format!("after {} at {}", duration(delay), clock(c))
        }
        Timing::At(c) => format!("at {}", clock(c)),
        Timing::Anchor { delay, days, at } => {
            let days = join(days.iter().map(day_range));
            match delay {
                Some(d) => format!("after {} on {days} at {}", duration(d), clock(at)),
                None => format!("on {days} at {}", clock(at)),
            }
        }
    }
}

fn day_range(d: &DayRange) -> String {
    match &d.to {
        Some(to) => format!("{}..{}", d.from.name, to.name),
        None => d.from.name.clone(),
    }
}

fn date_range(d: &DateRange) -> String {
    match &d.to {
        Some(to) => format!("{}..{}", d.from.text, to.text),
        None => d.from.text.clone(),
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
        StepAttr::During(_)
        | StepAttr::Skip(_)
        | StepAttr::Variant(_)
        | StepAttr::On(_)
        | StepAttr::Otherwise(_) => None,
    }
}

pub fn step_attr(attr: &StepAttr) -> Shape {
    let line = Shape::Line;
    match attr {
        StepAttr::Template(s) => line(format!("template {}", str_lit(s))),
        StepAttr::Timing(t) => line(timing(t)),
        StepAttr::Assign(i) => line(format!("assign {}", i.name)),
        StepAttr::Priority(i) => line(format!("priority {}", i.name)),
        StepAttr::During(d) => line(format!("during {}", date_range(d))),
        StepAttr::Skip(e) => Shape::Wrap {
            head: "skip when".to_string(),
            parts: cond_parts(e),
        },
        StepAttr::Variant(v) => line(match &v.template {
            Some(t) => format!(
                "variant {} {} template {}",
                v.name.name,
                v.share.raw,
                str_lit(t)
            ),
            None => format!("variant {} {}", v.name.name, v.share.raw),
        }),
        StepAttr::On(r) => {
            let mut head = format!("on {}", r.outcome.name);
            if let Some(n) = &r.times {
                head.push_str(&format!(" {} times", n.raw));
            }
            if let Some(d) = &r.within {
                head.push_str(&format!(" within {}", duration(d)));
            }
            with_effects(head, &r.effects)
        }
        StepAttr::Otherwise(list) => with_effects("otherwise".to_string(), list),
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
pub fn leads_item(item: &LeadsItem) -> Shape {
    let line = Shape::Line;
    match item {
        LeadsItem::Title(s) => line(format!("title {}", str_lit(s))),
        LeadsItem::Count(n) => line(format!("count {}", n.raw)),
        LeadsItem::Arrivals { rate, per } => {
            line(format!("arrivals {} per {}", rate.raw, per.name))
        }
        LeadsItem::Timezone(s) => line(format!("timezone {}", str_lit(s))),
        LeadsItem::Fact { path, dist } => {
            line(format!("fact {} = {}", path.text, distribution(dist)))
        }
        LeadsItem::Respond { target, rates } => {
            let (head, open_after) = match target {
                RespondTarget::Channel(i) => (i.name.clone(), i.span.end),
                RespondTarget::Template(s) => (format!("template {}", str_lit(s)), s.span.end),
                RespondTarget::Step(p) => (format!("step {}", p.text), p.span.end),
            };
            Shape::Braces {
                head: format!("respond {head}"),
                parts: list(
                    rates,
                    |r| format!("{} {}", r.outcome.name, r.share.raw),
                    |r| r.span,
                ),
                open_after: open_after as usize,
            }
        }
        LeadsItem::Responsiveness(d) => line(format!("responsiveness {}", distribution(d))),
        LeadsItem::Fatigue(n) => line(format!("fatigue {} per touch", n.raw)),
        LeadsItem::ReplyAfter(d) => line(format!("reply_after {}", distribution(d))),
        LeadsItem::OpenAfter(d) => line(format!("open_after {}", distribution(d))),
        LeadsItem::MeetingAfter(d) => line(format!("meeting_after {}", distribution(d))),
        LeadsItem::Milestone {
            event,
            stage,
            share,
            delay,
        } => line(format!(
            "milestone {} in {} {} after {}",
            event.name,
            stage.name,
            share.raw,
            distribution(delay)
        )),
        // laid out by the printer; fallback only
        LeadsItem::Segment(s) => line(format!("segment {} {} {{}}", s.name.name, s.share.raw)),
    }
}

// ───────────── simulation and test ─────────────

pub fn simulation_item(item: &SimulationItem) -> String {
    match item {
        SimulationItem::Cadence(i) => format!("cadence {}", i.name),
        SimulationItem::Pipeline(p, None) => format!("pipeline {}", p.name),
        SimulationItem::Pipeline(p, Some(s)) => format!("pipeline {} stage {}", p.name, s.name),
        SimulationItem::Cadences(v) => format!(
            "cadences {}",
            v.iter()
                .map(|i| i.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
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

/// `span` is the item's own span: `lead {` is found from its start.
pub fn test_item(item: &TestItem, span: Span) -> Shape {
    let line = Shape::Line;
    match item {
        TestItem::Cadence(i) => line(format!("cadence {}", i.name)),
        TestItem::Pipeline(p, stage) => line(match stage {
            Some(s) => format!("pipeline {} stage {}", p.name, s.name),
            None => format!("pipeline {}", p.name),
        }),
        TestItem::Lead(facts) => Shape::Braces {
            head: "lead".to_string(),
            parts: list(
                facts,
                |f| format!("{} = {}", f.path.text, literal(&f.value)),
                |f| f.span,
            ),
            open_after: span.start as usize + "lead".len(),
        },
        TestItem::Enroll(d) => line(format!("enroll at {}", datetime(d))),
        TestItem::When { what, value, at } => line(match value {
            Some(v) => format!("when {} = {} at {}", what.text, literal(v), time_point(at)),
            None => format!("when {} at {}", what.text, time_point(at)),
        }),
        TestItem::Expect(x) => match x {
            Expectation::Exit { reason, at: t } => {
                line(format!("expect exit {}{}", reason.name, at(t)))
            }
            Expectation::Stage { stage, at: t } => {
                line(format!("expect stage {}{}", stage.name, at(t)))
            }
            Expectation::Touches { count, at: t } => {
                line(format!("expect touches {}{}", count.raw, at(t)))
            }
            Expectation::Path { steps, at: t } => {
                let mut parts = list(steps, |p| p.text.clone(), |p| p.span);
                if let (Some(last), Some(_)) = (parts.last_mut(), t) {
                    last.text.push_str(&at(t));
                    // the piece runs to the `at`: a comment before it is inside the piece
                    last.span.end = span.end;
                }
                Shape::Wrap {
                    head: "expect path".to_string(),
                    parts,
                }
            }
            Expectation::Escalation { role, at: t } => {
                line(format!("expect escalation {}{}", role.name, at(t)))
            }
        },
    }
}
