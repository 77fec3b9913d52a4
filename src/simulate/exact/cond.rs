//! Conditions for the oracle, read from the checked model: evaluation for one lead state, the
//! instants at which timer comparisons change truth, and how facts are used (which decides how
//! a fact's distribution is split into cells of equal behaviour).

use crate::model::{Builtin, Cmp, Cond, Operand, Value};

/// A fact's value for one cell of the population.
#[derive(Debug, Clone, PartialEq)]
pub enum FV {
    Num(f64),
    Text(String),
    /// no distribution in the lead model: every comparison with it is false
    Unknown,
}

/// What a condition reads of a lead.
pub struct Env<'a> {
    pub facts: &'a [FV],
    pub events: u64,
    pub now: f64,
    pub stage_entry: f64,
    pub last_activity: f64,
    pub enroll: f64,
    pub touches: u32,
}

/// `30d < dwell` is `dwell > 30d`: a built-in on the right moves left.
fn normal(lhs: &Operand, op: Cmp, rhs: &Operand) -> (Operand, Cmp, Operand) {
    match (lhs, rhs) {
        (Operand::Value(_) | Operand::Fact(_), Operand::Builtin(_)) => {
            (rhs.clone(), op.flipped(), lhs.clone())
        }
        _ => (lhs.clone(), op, rhs.clone()),
    }
}

enum Val {
    N(f64),
    T(String),
    None,
}

fn value(o: &Operand, e: &Env<'_>) -> Val {
    match o {
        Operand::Fact(f) => match e.facts.get(*f) {
            Some(FV::Num(x)) => Val::N(*x),
            Some(FV::Text(s)) => Val::T(s.clone()),
            _ => Val::None,
        },
        Operand::Value(Value::Text(s)) => Val::T(s.clone()),
        Operand::Value(v) => Val::N(crate::simulate::value_number(v)),
        Operand::Builtin(b) => Val::N(match b {
            Builtin::Dwell => e.now - e.stage_entry,
            Builtin::Idle => e.now - e.last_activity,
            Builtin::Age => e.now - e.enroll,
            Builtin::Touches => f64::from(e.touches),
        }),
    }
}

/// The instant a timer comparison comes due (`dwell > 7d`: stage entry + 7 days).
fn threshold(lhs: &Operand, rhs: &Operand, e: &Env<'_>) -> Option<f64> {
    let base = match lhs {
        Operand::Builtin(Builtin::Dwell) => e.stage_entry,
        Operand::Builtin(Builtin::Idle) => e.last_activity,
        Operand::Builtin(Builtin::Age) => e.enroll,
        _ => return None,
    };
    match rhs {
        Operand::Value(Value::Text(_)) | Operand::Builtin(_) => None,
        Operand::Value(v) => Some(base + crate::simulate::value_number(v)),
        Operand::Fact(_) => match value(rhs, e) {
            Val::N(x) if !x.is_nan() => Some(base + x),
            _ => None,
        },
    }
}

pub fn eval(c: &Cond, e: &Env<'_>) -> bool {
    match c {
        Cond::True => true,
        Cond::And(v) => v.iter().all(|x| eval(x, e)),
        Cond::Or(v) => v.iter().any(|x| eval(x, e)),
        Cond::Not(x) => !eval(x, e),
        Cond::Fact(f) => matches!(e.facts.get(*f), Some(FV::Num(x)) if *x >= 0.5),
        Cond::Event(ev) => *ev < 64 && e.events & (1 << ev) != 0,
        Cond::Compare { lhs, op, rhs } => {
            let (lhs, op, rhs) = normal(lhs, *op, rhs);
            // a timer is true from the instant it comes due
            if let Some(at) = threshold(&lhs, &rhs, e) {
                return match op {
                    Cmp::Gt | Cmp::Ge => e.now >= at,
                    Cmp::Lt | Cmp::Le => e.now < at,
                    Cmp::Eq => e.now == at,
                    Cmp::Ne => e.now != at,
                };
            }
            match (value(&lhs, e), value(&rhs, e)) {
                (Val::T(a), Val::T(b)) => match op {
                    Cmp::Eq => a == b,
                    Cmp::Ne => a != b,
                    _ => false,
                },
                (Val::N(a), Val::N(b)) if !a.is_nan() && !b.is_nan() => match op {
                    Cmp::Eq => a == b,
                    Cmp::Ne => a != b,
                    Cmp::Lt => a < b,
                    Cmp::Le => a <= b,
                    Cmp::Gt => a > b,
                    Cmp::Ge => a >= b,
                },
                _ => false,
            }
        }
    }
}

/// Every instant at which a timer comparison of `c` changes truth.
pub fn timers(c: &Cond, e: &Env<'_>, out: &mut Vec<f64>) {
    match c {
        Cond::And(v) | Cond::Or(v) => v.iter().for_each(|x| timers(x, e, out)),
        Cond::Not(x) => timers(x, e, out),
        Cond::Compare { lhs, op, rhs } => {
            let (lhs, _, rhs) = normal(lhs, *op, rhs);
            if let Some(at) = threshold(&lhs, &rhs, e) {
                out.push(at);
            }
        }
        _ => {}
    }
}

/// How a condition uses a fact.
#[derive(Debug, Clone, PartialEq)]
pub enum Use {
    /// compared with a constant: the fact's cells split at it
    Constant(usize, f64),
    /// anything else (compared with another fact, a timer's threshold, standing alone)
    Other(usize, &'static str),
}

pub fn fact_uses(c: &Cond, out: &mut Vec<Use>) {
    match c {
        Cond::And(v) | Cond::Or(v) => v.iter().for_each(|x| fact_uses(x, out)),
        Cond::Not(x) => fact_uses(x, out),
        Cond::Fact(f) => out.push(Use::Other(*f, "stands alone as a condition")),
        Cond::Compare { lhs, op, rhs } => {
            let (lhs, _, rhs) = normal(lhs, *op, rhs);
            match (&lhs, &rhs) {
                (Operand::Fact(f), Operand::Value(Value::Text(_)))
                | (Operand::Value(Value::Text(_)), Operand::Fact(f)) => {
                    out.push(Use::Other(*f, "is compared with a text"))
                }
                (Operand::Fact(f), Operand::Value(v)) | (Operand::Value(v), Operand::Fact(f)) => {
                    out.push(Use::Constant(*f, crate::simulate::value_number(v)))
                }
                (Operand::Builtin(_), Operand::Fact(f)) => {
                    out.push(Use::Other(*f, "is a timer's threshold"))
                }
                (Operand::Fact(a), Operand::Fact(b)) => {
                    out.push(Use::Other(*a, "is compared with another fact"));
                    out.push(Use::Other(*b, "is compared with another fact"));
                }
                _ => {}
            }
        }
        _ => {}
    }
}
