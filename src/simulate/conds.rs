//! Conditions compiled to numbers for the engine: names already resolved by the checker, text
//! interned, timers put on the left so the engine can schedule them; and the condition helpers
//! the report needs (text, conjuncts, the events a later starting stage assumes).

use std::collections::HashMap;

use crate::model::{Builtin, Cmp, Cond, Operand, Pipeline, Value};

/// A condition compiled to numbers.
#[derive(Debug, Clone)]
pub enum CCond {
    True,
    And(Vec<CCond>),
    Or(Vec<CCond>),
    Not(Box<CCond>),
    Fact(usize),
    Event(usize),
    Cmp {
        lhs: COperand,
        op: Cmp,
        rhs: COperand,
    },
}

#[derive(Debug, Clone, Copy)]
pub enum COperand {
    Fact(usize),
    Builtin(Builtin),
    Num(f64),
    /// a business duration: compared with timers through the calendar
    BusinessDays(u32),
    BusinessMinutes(u64),
}

/// Whether a touch (one more touch, a later last activity: a smaller `idle`) can make `c` true
/// where it was false; `positive`: `c` is not under an odd number of `not`s. Timers compare by
/// instant (`idle > X` is `now >= last activity + X`), so `idle > X` only turns false as the
/// last activity moves later, and `idle < X` only turns true.
pub(super) fn activity_can_open(c: &CCond, positive: bool) -> bool {
    match c {
        CCond::And(v) | CCond::Or(v) => v.iter().any(|x| activity_can_open(x, positive)),
        CCond::Not(x) => activity_can_open(x, !positive),
        CCond::Cmp { lhs, op, rhs } => {
            let reads = |b: Builtin| {
                [lhs, rhs]
                    .iter()
                    .any(|o| matches!(o, COperand::Builtin(x) if *x == b))
            };
            if reads(Builtin::Touches) {
                return true;
            }
            if !reads(Builtin::Idle) {
                return false;
            }
            match (lhs, op, rhs) {
                (_, _, COperand::Builtin(_)) => true,
                (_, Cmp::Gt | Cmp::Ge, _) => !positive,
                (_, Cmp::Lt | Cmp::Le, _) => positive,
                _ => true,
            }
        }
        _ => false,
    }
}

/// Every comparison in `c` that can be a timer (a `dwell`, `idle` or `age` on the left, as
/// `compile_cond` puts it), as (lhs, rhs), in the order of the condition.
pub(super) fn timer_operands(c: &CCond, out: &mut Vec<(COperand, COperand)>) {
    match c {
        CCond::And(v) | CCond::Or(v) => v.iter().for_each(|x| timer_operands(x, out)),
        CCond::Not(x) => timer_operands(x, out),
        CCond::Cmp { lhs, rhs, .. } => {
            if matches!(
                lhs,
                COperand::Builtin(Builtin::Dwell | Builtin::Idle | Builtin::Age)
            ) {
                out.push((*lhs, *rhs));
            }
        }
        _ => {}
    }
}

pub(super) struct Interner {
    pub(super) texts: Vec<String>,
    pub(super) ids: HashMap<String, usize>,
}

impl Interner {
    pub(super) fn id(&mut self, s: &str) -> f64 {
        if let Some(i) = self.ids.get(s) {
            return *i as f64;
        }
        self.texts.push(s.to_string());
        self.ids.insert(s.to_string(), self.texts.len() - 1);
        (self.texts.len() - 1) as f64
    }
}

fn value_num(v: &Value, interner: &mut Interner) -> COperand {
    match v {
        Value::Number(x) | Value::Percent(x) | Value::Minutes(x) => COperand::Num(*x),
        Value::Money { amount, .. } => COperand::Num(*amount),
        Value::BusinessDays(d) => COperand::BusinessDays(d.round() as u32),
        Value::BusinessMinutes(m) => COperand::BusinessMinutes(m.round() as u64),
        Value::Text(s) => COperand::Num(interner.id(s)),
        Value::Bool(b) => COperand::Num(f64::from(u8::from(*b))),
    }
}

pub(super) fn compile_cond(c: &Cond, interner: &mut Interner) -> CCond {
    match c {
        Cond::True => CCond::True,
        Cond::And(v) => CCond::And(v.iter().map(|x| compile_cond(x, interner)).collect()),
        Cond::Or(v) => CCond::Or(v.iter().map(|x| compile_cond(x, interner)).collect()),
        Cond::Not(x) => CCond::Not(Box::new(compile_cond(x, interner))),
        Cond::Fact(f) => CCond::Fact(*f),
        Cond::Event(e) => CCond::Event(*e),
        Cond::Compare { lhs, op, rhs } => {
            let conv = |o: &Operand, i: &mut Interner| match o {
                Operand::Fact(f) => COperand::Fact(*f),
                Operand::Builtin(b) => COperand::Builtin(*b),
                Operand::Value(v) => value_num(v, i),
            };
            // `30d < dwell` is `dwell > 30d`: the timer on the left, so the engine can schedule it
            let (lhs, op, rhs) = match (lhs, rhs) {
                (Operand::Value(_) | Operand::Fact(_), Operand::Builtin(_)) => {
                    (rhs, op.flipped(), lhs)
                }
                _ => (lhs, *op, rhs),
            };
            CCond::Cmp {
                lhs: conv(lhs, interner),
                op,
                rhs: conv(rhs, interner),
            }
        }
    }
}

/// The events a deal in `stage` is assumed to have: those that every way into it requires
/// (an event conjunct of the exit's condition or of the source stage's `require`), carried
/// from stage to stage from the first one (a greatest fixed point, so loops are fine).
pub fn assumed_events(p: &Pipeline, stage: usize) -> Vec<usize> {
    let n = p.stages.len();
    let all: Vec<usize> = (0..p.events.len()).collect();
    let mut assumed: Vec<Vec<usize>> = (0..n)
        .map(|i| if i == 0 { Vec::new() } else { all.clone() })
        .collect();
    for _ in 0..n + 1 {
        let mut changed = false;
        for target in 1..n {
            let mut acc: Option<Vec<usize>> = None;
            for (from, st) in p.stages.iter().enumerate() {
                if from == target || st.outcome.is_some() {
                    continue;
                }
                for e in st.exits.iter().filter(|e| e.target == target) {
                    let mut have = required_events(&e.when);
                    for c in &st.require {
                        have.extend(required_events(c));
                    }
                    have.extend(assumed[from].iter().copied());
                    acc = Some(match acc {
                        None => have,
                        Some(prev) => prev.into_iter().filter(|x| have.contains(x)).collect(),
                    });
                }
            }
            let mut next = acc.unwrap_or_default();
            next.sort_unstable();
            next.dedup();
            if next != assumed[target] {
                assumed[target] = next;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    assumed.get(stage).cloned().unwrap_or_default()
}

/// Events that must have happened for a condition to hold.
fn required_events(c: &Cond) -> Vec<usize> {
    match c {
        Cond::Event(e) => vec![*e],
        Cond::And(v) => v.iter().flat_map(required_events).collect(),
        Cond::Or(v) => {
            let mut sets = v.iter().map(required_events);
            let first = sets.next().unwrap_or_default();
            sets.fold(first, |acc, s| {
                acc.into_iter().filter(|x| s.contains(x)).collect()
            })
        }
        _ => Vec::new(),
    }
}

/// A comparison of `dwell`, `idle` or `age` with a constant: a time limit, not a gate.
pub(super) fn is_timer(c: &Cond) -> bool {
    let timer = |o: &Operand| {
        matches!(
            o,
            Operand::Builtin(Builtin::Dwell | Builtin::Idle | Builtin::Age)
        )
    };
    matches!(c, Cond::Compare { lhs, rhs, .. } if timer(lhs) || timer(rhs))
}

/// The conjuncts of a condition, for the gate report.
pub fn conjuncts(c: &Cond) -> Vec<&Cond> {
    match c {
        Cond::And(v) => v.iter().flat_map(conjuncts).collect(),
        other => vec![other],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The engine's reading of a condition (timers by instant: `idle > X` holds from the
    /// instant `last activity + X`), over one event, `dwell`, `idle` and `touches`.
    fn holds(c: &CCond, ev: bool, dwell: f64, idle: f64, touches: f64) -> bool {
        let value = |o: &COperand| match o {
            COperand::Builtin(Builtin::Dwell) => dwell,
            COperand::Builtin(Builtin::Idle) => idle,
            COperand::Builtin(Builtin::Touches) => touches,
            COperand::Num(x) => *x,
            _ => f64::NAN,
        };
        match c {
            CCond::True => true,
            CCond::And(v) => v.iter().all(|x| holds(x, ev, dwell, idle, touches)),
            CCond::Or(v) => v.iter().any(|x| holds(x, ev, dwell, idle, touches)),
            CCond::Not(x) => !holds(x, ev, dwell, idle, touches),
            CCond::Event(_) => ev,
            CCond::Fact(_) => false,
            CCond::Cmp { lhs, op, rhs } => {
                let timer = matches!(lhs, COperand::Builtin(Builtin::Dwell | Builtin::Idle));
                let (a, b) = (value(lhs), value(rhs));
                match op {
                    Cmp::Gt | Cmp::Ge if timer => a >= b,
                    Cmp::Lt | Cmp::Le if timer => a < b,
                    Cmp::Eq => a == b,
                    Cmp::Ne => a != b,
                    Cmp::Lt => a < b,
                    Cmp::Le => a <= b,
                    Cmp::Gt => a > b,
                    Cmp::Ge => a >= b,
                }
            }
        }
    }

    fn cond() -> impl Strategy<Value = CCond> {
        let op = prop_oneof![
            Just(Cmp::Eq),
            Just(Cmp::Ne),
            Just(Cmp::Lt),
            Just(Cmp::Le),
            Just(Cmp::Gt),
            Just(Cmp::Ge)
        ];
        let operand = prop_oneof![
            Just(COperand::Builtin(Builtin::Idle)),
            Just(COperand::Builtin(Builtin::Dwell)),
            Just(COperand::Builtin(Builtin::Touches)),
        ];
        let leaf = prop_oneof![
            Just(CCond::Event(0)),
            (operand.clone(), op.clone(), 0u8..4).prop_map(|(lhs, op, x)| CCond::Cmp {
                lhs,
                op,
                rhs: COperand::Num(f64::from(x)),
            }),
            (operand.clone(), op, operand).prop_map(|(lhs, op, rhs)| CCond::Cmp { lhs, op, rhs }),
        ];
        leaf.prop_recursive(3, 12, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 1..3).prop_map(CCond::And),
                prop::collection::vec(inner.clone(), 1..3).prop_map(CCond::Or),
                inner.prop_map(|x| CCond::Not(Box::new(x))),
            ]
        })
    }

    proptest! {
        /// Where `activity_can_open` says no, no touch (one more touch, a smaller idle) turns
        /// the condition from false to true: so the engine may skip the gates after a touch.
        #[test]
        fn a_touch_opens_no_condition_activity_can_open_rules_out(
            c in cond(),
            ev in any::<bool>(),
            dwell in 0u8..5,
            idle in 0u8..5,
            drop in 0u8..5,
            touches in 0u8..5,
        ) {
            let (d, i, t) = (f64::from(dwell), f64::from(idle), f64::from(touches));
            let after = f64::from(idle.saturating_sub(drop));
            let opened = !holds(&c, ev, d, i, t) && holds(&c, ev, d, after, t + 1.0);
            prop_assert!(!opened || activity_can_open(&c, true), "{c:?}");
        }
    }

    #[test]
    fn idle_limits_are_not_opened_by_a_touch_and_their_negations_are() {
        let idle = |op| CCond::Cmp {
            lhs: COperand::Builtin(Builtin::Idle),
            op,
            rhs: COperand::Num(90.0),
        };
        assert!(!activity_can_open(&idle(Cmp::Gt), true));
        assert!(activity_can_open(
            &CCond::Not(Box::new(idle(Cmp::Gt))),
            true
        ));
        assert!(activity_can_open(&idle(Cmp::Lt), true));
        assert!(!activity_can_open(
            &CCond::Not(Box::new(idle(Cmp::Lt))),
            true
        ));
    }
}
