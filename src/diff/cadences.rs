//! Cadences: where they run (`target`), steps (added, removed, reordered; channel, wait,
//! template), rules, exits and the worst silence the checker finds.

use super::text::{cond, effects, pipeline_of, timing, trigger};
use super::{added_removed, reordered, Change, Risk};
use crate::check::{entry_gap, touch_gaps};
use crate::model::{BuiltinTrigger, Cadence, Model, Step, Trigger};
use crate::targets::ids::Ids;
use crate::words::{crms, length_text};

pub(super) fn diff(old: &Model, new: &Model, ids: Option<&Ids>, out: &mut Vec<Change>) {
    for (ni, n) in new.cadences.iter().enumerate() {
        let object = format!("cadence `{}`", n.name);
        match old.cadences.iter().position(|o| o.name == n.name) {
            None => out.push(Change::new(&object, "added").at(n.span)),
            Some(oi) => cadence(old, oi, new, ni, ids, &object, out),
        }
    }
    for o in &old.cadences {
        if !new.cadences.iter().any(|n| n.name == o.name) {
            let mut c = Change::new(&format!("cadence `{}`", o.name), "removed");
            if o.exits.iter().any(compliance) {
                c = c.risky(Risk::ComplianceExitRemoved);
            }
            out.push(c);
        }
    }
}

/// An exit the law or the sender's reputation asks for: on an unsubscribe or a bounce.
fn compliance(e: &crate::model::CadenceExit) -> bool {
    matches!(
        e.trigger,
        Trigger::Builtin(BuiltinTrigger::Unsubscribe | BuiltinTrigger::Bounce)
    )
}

fn where_(m: &Model, c: &Cadence) -> String {
    let p = pipeline_of(m, c);
    match (p, c.stage.and_then(|s| p.and_then(|p| p.stages.get(s)))) {
        (Some(p), Some(s)) => format!("pipeline {} stage {}", p.name, s.name),
        (Some(p), None) => format!("pipeline {}", p.name),
        _ => "no pipeline".into(),
    }
}

#[allow(clippy::too_many_arguments)]
fn cadence(
    om: &Model,
    oi: usize,
    nm: &Model,
    ni: usize,
    ids: Option<&Ids>,
    object: &str,
    out: &mut Vec<Change>,
) {
    let (o, n) = (&om.cadences[oi], &nm.cadences[ni]);
    let (op, np) = (pipeline_of(om, o), pipeline_of(nm, n));
    if where_(om, o) != where_(nm, n) {
        out.push(
            Change::new(
                object,
                format!("works {} → {}", where_(om, o), where_(nm, n)),
            )
            .at(n.span),
        );
    }
    if o.crms != n.crms {
        let (was, now) = (crms(o.crms.as_deref()), crms(n.crms.as_deref()));
        out.push(Change::new(object, format!("meant for {was} → {now}")).at(n.span));
    }
    let enroll = |c: &Cadence, p| {
        c.enroll
            .as_ref()
            .map_or("always".to_string(), |e| cond(e, p))
    };
    if enroll(o, op) != enroll(n, np) {
        out.push(
            Change::new(
                object,
                format!("enroll when {} → {}", enroll(o, op), enroll(n, np)),
            )
            .at(n.span),
        );
    }
    let hand = |m: &Model, c: &Cadence| {
        c.hand_off
            .and_then(|h| m.cadences.get(h))
            .map(|h| h.name.clone())
    };
    if hand(om, o) != hand(nm, n) {
        out.push(Change::new(
            object,
            format!("hand_off {:?} → {:?}", hand(om, o), hand(nm, n)),
        ));
    }
    if o.window != n.window {
        let w = |c: &Cadence| c.window.as_ref().map_or("always".to_string(), |w| w.text());
        out.push(Change::new(object, format!("active {} → {}", w(o), w(n))).at(n.span));
    }
    exits(om, o, nm, n, object, out);
    steps(om, o, nm, n, ids, object, out);
    gap(om, oi, nm, ni, object, out);
}

fn exits(om: &Model, o: &Cadence, nm: &Model, n: &Cadence, object: &str, out: &mut Vec<Change>) {
    let (op, np) = (pipeline_of(om, o), pipeline_of(nm, n));
    for e in &n.exits {
        let text = exit_text(e, nm, n);
        match o.exits.iter().find(|x| x.reason == e.reason) {
            None => out.push(Change::new(object, format!("`{text}` added")).at(e.span)),
            Some(x) => {
                let before = exit_text(x, om, o);
                if before != text {
                    let c = Change::new(object, format!("`{before}` → `{text}`")).at(e.span);
                    out.push(if compliance(x) && !compliance(e) {
                        c.risky(Risk::ComplianceExitRemoved)
                    } else {
                        c
                    });
                }
            }
        }
    }
    for x in &o.exits {
        if !n.exits.iter().any(|e| e.reason == x.reason) {
            let c = Change::new(
                object,
                format!("exit {} on {} removed", x.reason, trigger(&x.trigger, op)),
            );
            // another exit on the same trigger still ends the cadence
            let kept = n
                .exits
                .iter()
                .any(|e| trigger(&e.trigger, np) == trigger(&x.trigger, op));
            out.push(if compliance(x) && !kept {
                c.risky(Risk::ComplianceExitRemoved)
            } else {
                c
            });
        }
    }
}

/// `exit replied on reply`, `exit joined on membership_bought -> stage member`.
fn exit_text(e: &crate::model::CadenceExit, m: &Model, c: &Cadence) -> String {
    let mut s = format!(
        "exit {} on {}",
        e.reason,
        trigger(&e.trigger, pipeline_of(m, c))
    );
    let then = effects(&e.effects, m, c);
    if then != "nothing" {
        s.push_str(&format!(" -> {then}"));
    }
    s
}

fn step_names(c: &Cadence) -> Vec<String> {
    c.steps.iter().map(|s| s.name.clone()).collect()
}

#[allow(clippy::too_many_arguments)]
fn steps(
    om: &Model,
    o: &Cadence,
    nm: &Model,
    n: &Cadence,
    ids: Option<&Ids>,
    object: &str,
    out: &mut Vec<Change>,
) {
    let (on, nn) = (step_names(o), step_names(n));
    let (added, removed) = added_removed(&on, &nn);
    for s in added {
        let st = n.steps.iter().find(|x| x.name == s);
        let mut c = Change::new(object, format!("step `{s}` added"));
        if let Some(st) = st {
            c = Change::new(
                object,
                format!(
                    "step `{s}` added ({} {})",
                    st.channel.name(),
                    timing(st.timing)
                ),
            )
            .at(st.span);
        }
        out.push(c);
    }
    for s in removed {
        let keys = ids.map(|i| i.step_keys(&o.name, s)).unwrap_or_default();
        if keys.is_empty() {
            out.push(Change::new(object, format!("step `{s}` removed")));
        } else {
            out.push(
                Change::new(
                    object,
                    format!(
                        "step `{s}` removed, but the ids file still maps {}",
                        keys.iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .risky(Risk::MappedStepRemoved),
            );
        }
    }
    if let Some(order) = reordered(&on, &nn) {
        out.push(Change::new(object, format!("steps reordered: {order}")));
    }
    for ns in &n.steps {
        if let Some(os) = o.steps.iter().find(|s| s.name == ns.name) {
            step(om, o, os, nm, n, ns, object, out);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn step(
    om: &Model,
    oc: &Cadence,
    o: &Step,
    nm: &Model,
    nc: &Cadence,
    n: &Step,
    object: &str,
    out: &mut Vec<Change>,
) {
    let name = &n.name;
    let mut push = |text: String| out.push(Change::new(object, text).at(n.span));
    if o.channel != n.channel {
        push(format!(
            "step `{name}`: channel {} → {}",
            o.channel.name(),
            n.channel.name()
        ));
    }
    if timing(o.timing) != timing(n.timing) {
        push(format!(
            "step `{name}`: wait {} → {}",
            timing(o.timing),
            timing(n.timing)
        ));
    }
    if o.template != n.template {
        push(format!(
            "step `{name}`: template {:?} → {:?}",
            o.template, n.template
        ));
    }
    let variants = |s: &Step| {
        s.variants
            .iter()
            .map(|v| format!("{} {}%", v.name, (v.share * 100.0).round()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if variants(o) != variants(n) {
        push(format!(
            "step `{name}`: variants [{}] → [{}]",
            variants(o),
            variants(n)
        ));
    }
    let (op, np) = (pipeline_of(om, oc), pipeline_of(nm, nc));
    let skip = |s: &Step, p| s.skip.as_ref().map(|c| cond(c, p));
    if skip(o, op) != skip(n, np) {
        push(format!(
            "step `{name}`: skip when {:?} → {:?}",
            skip(o, op),
            skip(n, np)
        ));
    }
    let rule = |r: &crate::model::OnRule, m: &Model, c: &Cadence| {
        let times = if r.times > 1 {
            format!(" {} times", r.times)
        } else {
            String::new()
        };
        let within = r
            .within_minutes
            .as_ref()
            .map(|d| format!(" within {}", super::text::delay(*d)))
            .unwrap_or_default();
        (
            format!("on {}{times}{within}", r.outcome),
            effects(&r.effects, m, c),
        )
    };
    let orules: Vec<(String, String)> = o.rules.iter().map(|r| rule(r, om, oc)).collect();
    let nrules: Vec<(String, String)> = n.rules.iter().map(|r| rule(r, nm, nc)).collect();
    for (k, v) in &nrules {
        match orules.iter().find(|(ok, _)| ok == k) {
            None => push(format!("step `{name}`: `{k} -> {v}` added")),
            Some((_, ov)) if ov != v => {
                push(format!("step `{name}`: `{k} -> {ov}` → `{k} -> {v}`"))
            }
            Some(_) => {}
        }
    }
    for (k, v) in &orules {
        if !nrules.iter().any(|(nk, _)| nk == k) {
            push(format!("step `{name}`: `{k} -> {v}` removed"));
        }
    }
    let otherwise =
        |s: &Step, m: &Model, c: &Cadence| s.otherwise.as_ref().map(|e| effects(e, m, c));
    if otherwise(o, om, oc) != otherwise(n, nm, nc) {
        push(format!(
            "step `{name}`: otherwise {} → {}",
            otherwise(o, om, oc).unwrap_or_else(|| "none".into()),
            otherwise(n, nm, nc).unwrap_or_else(|| "none".into())
        ));
    }
}

/// The checker's worst silence of a cadence: from enrolment to the first touch, or between two
/// touches, whichever is longer (`None`: nothing the analysis can bound).
pub fn worst_silence(m: &Model, cadence: usize) -> Option<u64> {
    let between = touch_gaps(m, cadence).into_iter().map(|(_, _, w)| w).max();
    between.into_iter().chain(entry_gap(m, cadence)).max()
}

fn gap(om: &Model, oi: usize, nm: &Model, ni: usize, object: &str, out: &mut Vec<Change>) {
    let (a, b) = (worst_silence(om, oi), worst_silence(nm, ni));
    if let (Some(a), Some(b)) = (a, b) {
        if b > a {
            out.push(
                Change::new(
                    object,
                    format!(
                        "worst silence without a touch {} → {}",
                        length_text(a),
                        length_text(b)
                    ),
                )
                .risky(Risk::WorseGap)
                .at(nm.cadences[ni].span),
            );
        }
    }
}
