//! Model values back in the words of the language: the one printer of conditions, values,
//! durations, waits and effects, for messages, reports, diffs and CRM description fields.
//! `minutes` writes a duration as the language does (`3d`, `90min`); `length_text` reads a measured
//! length (`16d 2h 30min`); `rounded` a measured mean (`8.9d`).

use crate::calendar::{Delay, Timing};
use crate::model::{Builtin, Cmp, Cond, Effects, Flow, Operand, Pipeline, Step, Value};

pub fn clock(minute: u32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

pub fn minutes(m: f64) -> String {
    let units = [(1440.0, "d"), (60.0, "h")];
    for (size, unit) in units {
        if m >= size && (m / size).fract() == 0.0 {
            return format!("{}{unit}", num(m / size));
        }
    }
    format!("{}min", num(m))
}

/// A measured length of time: `16d 2h 30min`.
pub fn length_text(m: u64) -> String {
    let (d, h, min) = (m / 1440, (m % 1440) / 60, m % 60);
    let mut parts = Vec::new();
    if d > 0 {
        parts.push(format!("{d}d"));
    }
    if h > 0 {
        parts.push(format!("{h}h"));
    }
    if min > 0 || parts.is_empty() {
        parts.push(format!("{min}min"));
    }
    parts.join(" ")
}

/// A measured mean, to a tenth of its unit: `8.9d`, `5h`, `30min`.
pub fn rounded(minutes: f64) -> String {
    let trim = |x: f64, digits: usize| {
        let s = format!("{x:.digits$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if minutes >= 1440.0 {
        format!("{}d", trim(minutes / 1440.0, 1))
    } else if minutes >= 60.0 {
        format!("{}h", trim(minutes / 60.0, 1))
    } else {
        format!("{}min", trim(minutes, 0))
    }
}

pub fn delay(d: Delay) -> String {
    match d {
        Delay::Zero => "immediately".into(),
        Delay::Wall { minutes: m } => minutes(m as f64),
        Delay::BusinessDays(n) => format!("{n} business day{}", if n == 1 { "" } else { "s" }),
        Delay::BusinessMinutes(m) => {
            let h = m as f64 / 60.0;
            format!(
                "{} business hour{}",
                num(h),
                if h == 1.0 { "" } else { "s" }
            )
        }
    }
}

pub fn timing(t: Timing) -> String {
    if let (true, Some(c)) = (t.is_anchor(), t.at_clock) {
        const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let days: Vec<&str> = (0..7)
            .filter(|i| t.weekdays & (1 << i) != 0)
            .map(|i| DAYS[i])
            .collect();
        let on = format!("on {} at {}", days.join(", "), clock(c));
        return match t.delay {
            Delay::Zero => on,
            d => format!("after {} {on}", delay(d)),
        };
    }
    match (t.delay, t.at_clock) {
        (Delay::Zero, None) => "immediately".into(),
        (Delay::Zero, Some(c)) => format!("at {}", clock(c)),
        (d, None) => format!("after {}", delay(d)),
        (d, Some(c)) => format!("after {} at {}", delay(d), clock(c)),
    }
}

fn value(v: &Value) -> String {
    match v {
        Value::Number(x) => num(*x),
        Value::Percent(x) => format!("{}%", num(x * 100.0)),
        Value::Money { amount, currency } => format!("{} {currency}", num(*amount)),
        Value::Minutes(m) => minutes(*m),
        Value::BusinessDays(d) => format!("{} business days", num(*d)),
        Value::BusinessMinutes(m) => format!("{} business hours", num(m / 60.0)),
        Value::Text(s) => format!("{s:?}"),
        Value::Bool(b) => b.to_string(),
    }
}

fn operand(o: &Operand, p: Option<&Pipeline>) -> String {
    match o {
        Operand::Fact(f) => p
            .and_then(|p| p.facts.get(*f))
            .map(|f| f.path.clone())
            .unwrap_or_else(|| format!("fact#{f}")),
        Operand::Builtin(b) => match b {
            Builtin::Dwell => "dwell",
            Builtin::Idle => "idle",
            Builtin::Age => "age",
            Builtin::Touches => "touches",
        }
        .into(),
        Operand::Value(v) => value(v),
    }
}

fn cmp(c: Cmp) -> &'static str {
    match c {
        Cmp::Eq => "==",
        Cmp::Ne => "!=",
        Cmp::Lt => "<",
        Cmp::Le => "<=",
        Cmp::Gt => ">",
        Cmp::Ge => ">=",
    }
}

/// A condition as it would be written, with the fewest parentheses.
pub fn cond(c: &Cond, p: Option<&Pipeline>) -> String {
    cond_prec(c, p, 0)
}

fn cond_prec(c: &Cond, p: Option<&Pipeline>, outer: u8) -> String {
    let (s, prec) = match c {
        Cond::True => ("true".to_string(), 3),
        Cond::Or(cs) => (
            cs.iter()
                .map(|c| cond_prec(c, p, 1))
                .collect::<Vec<_>>()
                .join(" or "),
            0,
        ),
        Cond::And(cs) => (
            cs.iter()
                .map(|c| cond_prec(c, p, 2))
                .collect::<Vec<_>>()
                .join(" and "),
            1,
        ),
        Cond::Not(c) => (format!("not {}", cond_prec(c, p, 3)), 2),
        Cond::Fact(f) => (operand(&Operand::Fact(*f), p), 3),
        Cond::Event(e) => (event(*e, p), 3),
        Cond::Compare { lhs, op, rhs } => (
            format!("{} {} {}", operand(lhs, p), cmp(*op), operand(rhs, p)),
            3,
        ),
    };
    if prec < outer {
        format!("({s})")
    } else {
        s
    }
}

/// An event's name (`event#N` where the pipeline is not known).
pub fn event(ev: usize, p: Option<&Pipeline>) -> String {
    p.and_then(|p| p.events.get(ev))
        .cloned()
        .unwrap_or_else(|| format!("event#{ev}"))
}

/// Effects as written after `->`.
pub fn effects(e: &Effects, p: Option<&Pipeline>, steps: &[Step]) -> String {
    let mut parts = Vec::new();
    for ev in &e.set {
        parts.push(format!("set {}", event(*ev, p)));
    }
    if let Some(s) = e.stage {
        let name = p
            .and_then(|p| p.stages.get(s))
            .map(|s| s.name.clone())
            .unwrap_or_else(|| format!("stage#{s}"));
        parts.push(format!("stage {name}"));
    }
    for t in &e.tasks {
        parts.push(format!("task {:?}", t.title));
    }
    match &e.flow {
        Flow::Continue => {}
        Flow::Jump { step, bound } => {
            let name = steps
                .get(*step)
                .map(|s| s.name.clone())
                .unwrap_or_else(|| format!("step#{step}"));
            match bound {
                Some(n) => parts.push(format!("{name} at most {n} times")),
                None => parts.push(name),
            }
        }
        Flow::Exit(r) => parts.push(format!("exit {r}")),
    }
    if parts.is_empty() {
        "continue".into()
    } else {
        parts.join(", ")
    }
}

/// The CRMs a cadence is meant for: `` `zoho`, `hubspot` ``, `no CRM (`target none`)`, or
/// `every CRM (no `target` line)`.
pub fn crms(crms: Option<&[crate::model::Crm]>) -> String {
    match crms {
        None => "every CRM (no `target` line)".to_string(),
        Some([]) => "no CRM (`target none`)".to_string(),
        Some(l) => l
            .iter()
            .map(|c| format!("`{}`", c.name()))
            .collect::<Vec<_>>()
            .join(", "),
    }
}
