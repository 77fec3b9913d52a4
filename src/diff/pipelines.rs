//! Pipelines: stages, gates (`require`, exits), escalations and the timing rules.

use super::text::{cond, conjuncts, delay, wall_minutes};
use super::{added_removed, reordered, Change, Risk};
use crate::model::{Cmp, Cond, Model, Operand, Pipeline, Stage, StageExit, Value};
use crate::words::length_text;

pub(super) fn diff(old: &Model, new: &Model, out: &mut Vec<Change>) {
    for n in &new.pipelines {
        let object = format!("pipeline `{}`", n.name);
        match old.pipelines.iter().find(|o| o.name == n.name) {
            None => out.push(Change::new(&object, "added").at(n.span)),
            Some(o) => pipeline(o, n, &object, out),
        }
    }
    for o in &old.pipelines {
        if !new.pipelines.iter().any(|n| n.name == o.name) {
            out.push(Change::new(&format!("pipeline `{}`", o.name), "removed"));
        }
    }
}

fn names(p: &Pipeline) -> Vec<String> {
    p.stages.iter().map(|s| s.name.clone()).collect()
}

fn pipeline(o: &Pipeline, n: &Pipeline, object: &str, out: &mut Vec<Change>) {
    limit(
        "max_gap",
        o.max_gap_minutes,
        n.max_gap_minutes,
        object,
        n.max_gap_span,
        out,
    );
    if o.no_skip && !n.no_skip {
        out.push(Change::new(object, "`no_skip` removed").risky(Risk::RuleLoosened));
    } else if !o.no_skip && n.no_skip {
        out.push(Change::new(object, "`no_skip` added"));
    }
    let (on, nn) = (names(o), names(n));
    let (added, removed) = added_removed(&on, &nn);
    for s in added {
        out.push(Change::new(object, format!("stage `{s}` added")));
    }
    for s in removed {
        out.push(Change::new(object, format!("stage `{s}` removed")));
    }
    if let Some(order) = reordered(&on, &nn) {
        out.push(Change::new(object, format!("stages reordered: {order}")));
    }
    for ns in &n.stages {
        if let Some(os) = o.stages.iter().find(|s| s.name == ns.name) {
            stage(o, os, n, ns, out);
        }
    }
}

/// A limit that is loosened when it grows or goes: `max_gap`, a stage's `max_gap`.
fn limit(
    what: &str,
    old: Option<u64>,
    new: Option<u64>,
    object: &str,
    span: crate::source::Span,
    out: &mut Vec<Change>,
) {
    let text = |m: Option<u64>| m.map_or("none".to_string(), length_text);
    match (old, new) {
        (Some(a), Some(b)) if a == b => {}
        (None, None) => {}
        (Some(_), None) => out.push(
            Change::new(object, format!("`{what} {}` removed", text(old)))
                .risky(Risk::RuleLoosened),
        ),
        (None, Some(_)) => {
            out.push(Change::new(object, format!("`{what} {}` added", text(new))).at(span))
        }
        (Some(a), Some(b)) => {
            let c = Change::new(object, format!("`{what}` {} → {}", text(old), text(new))).at(span);
            out.push(if b > a {
                c.risky(Risk::RuleLoosened)
            } else {
                c
            });
        }
    }
}

fn stage(op: &Pipeline, o: &Stage, np: &Pipeline, n: &Stage, out: &mut Vec<Change>) {
    let object = format!("stage `{}` of `{}`", n.name, np.name);
    limit(
        "max_gap",
        o.max_gap_minutes,
        n.max_gap_minutes,
        &object,
        n.max_gap_span,
        out,
    );
    let rw = |d: &Option<crate::calendar::Delay>| d.map_or("none".to_string(), delay);
    if o.respond_within != n.respond_within {
        let looser = match (&o.respond_within, &n.respond_within) {
            (Some(_), None) => true,
            (Some(a), Some(b)) => match (wall_minutes(a), wall_minutes(b)) {
                (Some(x), Some(y)) => y > x,
                _ => {
                    matches!(
                        (a, b),
                        (crate::calendar::Delay::BusinessMinutes(x), crate::calendar::Delay::BusinessMinutes(y)) if y > x
                    ) || matches!(
                        (a, b),
                        (crate::calendar::Delay::BusinessDays(x), crate::calendar::Delay::BusinessDays(y)) if y > x
                    )
                }
            },
            _ => false,
        };
        let c = Change::new(
            &object,
            format!(
                "`respond within` {} → {}",
                rw(&o.respond_within),
                rw(&n.respond_within)
            ),
        )
        .at(n.span);
        out.push(if looser {
            c.risky(Risk::RuleLoosened)
        } else {
            c
        });
    }
    if o.outcome != n.outcome {
        out.push(Change::new(
            &object,
            format!("outcome {:?} → {:?}", o.outcome, n.outcome),
        ));
    }
    // gates
    let oreq: Vec<String> = o.require.iter().map(|c| cond(c, Some(op))).collect();
    let nreq: Vec<String> = n.require.iter().map(|c| cond(c, Some(np))).collect();
    let (added, removed) = added_removed(&oreq, &nreq);
    for r in added {
        out.push(Change::new(&object, format!("`require {r}` added")).at(n.span));
    }
    for r in removed {
        out.push(Change::new(&object, format!("`require {r}` removed")).risky(Risk::GateLoosened));
    }
    exits(op, o, np, n, &object, out);
    escalations(op, o, np, n, &object, out);
}

/// The index of a stage by name.
fn index(p: &Pipeline, name: &str) -> Option<usize> {
    p.stages.iter().position(|s| s.name == name)
}

fn target_name(p: &Pipeline, e: &StageExit) -> String {
    p.stages
        .get(e.target)
        .map(|s| s.name.clone())
        .unwrap_or_default()
}

fn exits(op: &Pipeline, o: &Stage, np: &Pipeline, n: &Stage, object: &str, out: &mut Vec<Change>) {
    // exits pair up by target, in order among exits to the same target
    let key = |p: &Pipeline, exits: &[StageExit], i: usize| {
        let t = target_name(p, &exits[i]);
        let k = exits[..i].iter().filter(|e| target_name(p, e) == t).count();
        (t, k)
    };
    let okeys: Vec<(String, usize)> = (0..o.exits.len()).map(|i| key(op, &o.exits, i)).collect();
    let nkeys: Vec<(String, usize)> = (0..n.exits.len()).map(|i| key(np, &n.exits, i)).collect();
    let here = index(np, &n.name);
    for (i, e) in n.exits.iter().enumerate() {
        let (target, _) = &nkeys[i];
        let forward = here.is_some_and(|h| e.target > h)
            && np.stages.get(e.target).is_some_and(|s| s.outcome.is_none());
        let text = cond(&e.when, Some(np));
        match okeys.iter().position(|k| k == &nkeys[i]) {
            None => {
                let c =
                    Change::new(object, format!("exit to `{target}` when {text} added")).at(e.span);
                out.push(if forward && skips(op, np, &n.name, e.target) {
                    c.risky(Risk::StageSkipped)
                } else {
                    c
                });
            }
            Some(j) => {
                let before = cond(&o.exits[j].when, Some(op));
                if before != text {
                    let c = Change::new(
                        object,
                        format!("exit to `{target}`: when {before} → when {text}"),
                    )
                    .at(e.span);
                    let looser = forward && looser(&o.exits[j].when, op, &e.when, np);
                    out.push(if looser {
                        c.risky(Risk::GateLoosened)
                    } else {
                        c
                    });
                }
            }
        }
    }
    for (j, e) in o.exits.iter().enumerate() {
        if !nkeys.contains(&okeys[j]) {
            out.push(Change::new(
                object,
                format!(
                    "exit to `{}` when {} removed",
                    okeys[j].0,
                    cond(&e.when, Some(op))
                ),
            ));
        }
    }
}

/// Whether a new exit from stage `from` to `to` passes over a stage that the old version's
/// exits from `from` never passed over: a non-outcome stage between them that some old exit
/// from `from` reached (or went through).
fn skips(op: &Pipeline, np: &Pipeline, from: &str, to: usize) -> bool {
    let (Some(h), Some(t)) = (index(np, from), np.stages.get(to)) else {
        return false;
    };
    let between: Vec<&str> = np.stages[h + 1..to]
        .iter()
        .filter(|s| s.outcome.is_none())
        .map(|s| s.name.as_str())
        .collect();
    if between.is_empty() {
        return false;
    }
    // the old version: did an exit of `from` already go as far as the new target (outcome
    // stages such as `lost` do not count: every stage may go there)
    let Some(os) = op.stages.iter().find(|s| s.name == from) else {
        return true;
    };
    let old_reach_past = os.exits.iter().any(|e| {
        op.stages
            .get(e.target)
            .filter(|s| s.outcome.is_none())
            .and_then(|s| index(op, &s.name))
            .zip(index(op, &t.name))
            .is_some_and(|(a, b)| a >= b)
    });
    !old_reach_past
}

/// Whether `new` lets through every deal `old` lets through and more, as far as the texts tell:
/// a conjunct dropped (the rest the same), or one threshold relaxed.
fn looser(old: &Cond, op: &Pipeline, new: &Cond, np: &Pipeline) -> bool {
    let (oc, nc) = (conjuncts(old, Some(op)), conjuncts(new, Some(np)));
    if nc.len() < oc.len() && nc.iter().all(|c| oc.contains(c)) {
        return true;
    }
    if oc.len() != nc.len() {
        return false;
    }
    let (ol, nl) = (
        crate::simulate::conds::conjuncts(old),
        crate::simulate::conds::conjuncts(new),
    );
    let mut relaxed = false;
    for ((a, at), (b, bt)) in ol.iter().zip(&oc).zip(nl.iter().zip(&nc)) {
        if at == bt {
            continue;
        }
        match (threshold(a, op), threshold(b, np)) {
            (Some((fa, ca, va)), Some((fb, cb, vb))) if fa == fb && ca == cb => {
                let looser = match ca {
                    Cmp::Gt | Cmp::Ge => vb < va,
                    Cmp::Lt | Cmp::Le => vb > va,
                    _ => false,
                };
                if !looser {
                    return false;
                }
                relaxed = true;
            }
            _ => return false,
        }
    }
    relaxed
}

/// `fact OP number` (or the number on the left, flipped): (fact, op, value in one unit).
fn threshold(c: &Cond, p: &Pipeline) -> Option<(String, Cmp, f64)> {
    let Cond::Compare { lhs, op, rhs } = c else {
        return None;
    };
    let value = |v: &Value| match v {
        Value::Number(x) | Value::Percent(x) | Value::Minutes(x) => Some(*x),
        Value::BusinessDays(x) | Value::BusinessMinutes(x) => Some(*x),
        Value::Money { amount, .. } => Some(*amount),
        _ => None,
    };
    let name = |o: &Operand| match o {
        Operand::Fact(f) => p.facts.get(*f).map(|x| x.path.clone()),
        Operand::Builtin(b) => Some(format!("{b:?}").to_lowercase()),
        Operand::Value(_) => None,
    };
    match (lhs, rhs) {
        (l, Operand::Value(v)) => Some((name(l)?, *op, value(v)?)),
        (Operand::Value(v), r) => Some((name(r)?, op.flipped(), value(v)?)),
        _ => None,
    }
}

fn escalations(
    op: &Pipeline,
    o: &Stage,
    np: &Pipeline,
    n: &Stage,
    object: &str,
    out: &mut Vec<Change>,
) {
    let role = |p: &Pipeline, r: usize| p.roles.get(r).cloned().unwrap_or_default();
    let text = |p: &Pipeline, e: &crate::model::Escalation| {
        let mut s = format!(
            "escalate {} when {}",
            role(p, e.role),
            cond(&e.when, Some(p))
        );
        if let Some(t) = &e.task {
            s.push_str(&format!(" then task {t:?}"));
        }
        s
    };
    let ot: Vec<String> = o.escalations.iter().map(|e| text(op, e)).collect();
    let nt: Vec<String> = n.escalations.iter().map(|e| text(np, e)).collect();
    let oroles: Vec<String> = o.escalations.iter().map(|e| role(op, e.role)).collect();
    let nroles: Vec<String> = n.escalations.iter().map(|e| role(np, e.role)).collect();
    for (i, t) in nt.iter().enumerate() {
        if ot.contains(t) {
            continue;
        }
        match oroles.iter().position(|r| r == &nroles[i]) {
            Some(j) if !nt.contains(&ot[j]) => {
                out.push(Change::new(object, format!("`{}` → `{t}`", ot[j])).at(n.span))
            }
            _ => out.push(Change::new(object, format!("`{t}` added")).at(n.span)),
        }
    }
    for (j, t) in ot.iter().enumerate() {
        if nt.contains(t) {
            continue;
        }
        let replaced = nroles.iter().enumerate().any(|(i, r)| {
            r == &oroles[j] && !ot.contains(&nt[i]) && oroles.iter().position(|x| x == r) == Some(j)
        });
        if !replaced {
            out.push(Change::new(object, format!("`{t}` removed")).risky(Risk::EscalationRemoved));
        }
    }
}
