//! The `leads` block: each fitted figure on its line, with its interval and sample in a comment.
//! A stage move becomes a `milestone` when the pipeline's exit for it waits on exactly one event
//! (the event the CRM records); moves made by the pipeline's own timers or by several events
//! stay comments, since no single milestone produces them.

use std::fmt::Write as _;

use super::amounts::{money, Amounts};
use super::stages::{StageFit, Transition};
use super::survival::{Estimate, Family, Fit};
use super::{Calibration, Options};
use crate::model::{Cond, Pipeline};
use crate::simulate::conds::conjuncts;

pub fn percent(x: f64) -> String {
    let p = 100.0 * x;
    format!("{}%", trim(&format!("{p:.2}")))
}

pub fn trim(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// A duration in days as the language writes it (`10.2d`, `18h`, `25min`), never zero.
pub fn days(d: f64) -> String {
    if d >= 1.0 {
        format!("{}d", trim(&format!("{d:.1}")))
    } else if d * 24.0 >= 1.0 {
        format!("{}h", trim(&format!("{:.1}", d * 24.0)))
    } else {
        format!("{}min", ((d * 1440.0).round() as u64).max(1))
    }
}

pub fn interval(e: &Estimate, show: &dyn Fn(f64) -> String) -> String {
    match (e.low, e.high) {
        (Some(l), Some(h)) => format!("{}–{}", show(l), show(h)),
        _ => "not determined (flat likelihood)".into(),
    }
}

/// The distribution in the language's syntax.
pub fn distribution(f: &Fit) -> String {
    let p = |n: &str| f.param(n).map_or(0.0, |e| e.value);
    let number = |x: f64| trim(&format!("{x:.2}"));
    match f.family {
        Family::Lognormal => format!(
            "lognormal(median {}, p90 {})",
            days(p("median")),
            days(p("p90"))
        ),
        Family::Gamma => format!(
            "gamma(mean {}, shape {})",
            days(p("mean")),
            number(p("shape"))
        ),
        Family::Weibull => format!(
            "weibull(scale {}, shape {})",
            days(p("scale")),
            number(p("shape"))
        ),
        Family::Exponential => format!("exponential(mean {})", days(p("mean"))),
    }
}

pub fn fit_comment(f: &Fit, others: &[Fit]) -> String {
    let params: Vec<String> = f
        .params
        .iter()
        .map(|e| {
            let show: &dyn Fn(f64) -> String = if e.name == "shape" {
                &|x| trim(&format!("{x:.2}"))
            } else {
                &|x| days(x)
            };
            format!("{} {}", e.name, interval(e, show))
        })
        .collect();
    let mut s = format!(
        "95%: {}; distance to the data {:.3}",
        params.join(", "),
        f.distance
    );
    if let Some(next) = others.first() {
        let _ = write!(
            s,
            "; next best {:?} (AIC +{:.1})",
            next.family,
            next.aic - f.aic
        );
    }
    s.to_lowercase()
}

/// The one event an exit to `to` waits for, if it waits for exactly one.
pub fn exit_event<'p>(pipeline: &'p Pipeline, stage: &str, to: &str) -> Result<&'p str, String> {
    let s = pipeline
        .stages
        .iter()
        .find(|s| s.name == stage)
        .ok_or_else(|| format!("no stage `{stage}` in the pipeline"))?;
    let mut events = Vec::new();
    let mut any = false;
    for e in &s.exits {
        if pipeline.stages.get(e.target).is_some_and(|t| t.name == to) {
            any = true;
            for c in conjuncts(&e.when) {
                if let Cond::Event(id) = c {
                    if let Some(name) = pipeline.events.get(*id) {
                        events.push(name.as_str());
                    }
                }
            }
        }
    }
    events.dedup();
    match (any, events.as_slice()) {
        (false, _) => Err(format!("the pipeline has no exit from `{stage}` to `{to}`")),
        (true, []) => Err(
            "the exit waits on no event (a timer or facts): the pipeline makes this move itself"
                .into(),
        ),
        (true, [one]) => Ok(one),
        (true, many) => Err(format!(
            "the exit waits on several events ({})",
            many.join(", ")
        )),
    }
}

fn transition_lines(
    out: &mut String,
    stage: &StageFit,
    t: &Transition,
    pipeline: Option<&Pipeline>,
) {
    let _ = writeln!(
        out,
        "  # `{}` → `{}`: {} moves; {} of the visits that left (95% {})",
        stage.stage,
        t.to,
        t.moves,
        percent(t.share_of_left.value),
        interval(&t.share_of_left, &percent)
    );
    let Some((best, rest)) = t.fits.split_first() else {
        let why = match t.fixed_delay {
            Some(d) if t.moves >= 2 => format!(
                "every move came after {}: a rule's own timer, not a delay to fit",
                days(d)
            ),
            _ => "too few moves to fit a delay (three or more are needed)".into(),
        };
        let _ = writeln!(out, "  #   {why}");
        return;
    };
    let share = best.share.as_ref().map_or(1.0, |s| s.value);
    let share_text = best
        .share
        .as_ref()
        .map(|s| interval(s, &percent))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  #   with open deals counted: {} of the deals move, after {} (share 95% {share_text}; {})",
        percent(share),
        distribution(best),
        fit_comment(best, rest)
    );
    match pipeline.map(|p| exit_event(p, &stage.stage, &t.to)) {
        Some(Ok(event)) => {
            let _ = writeln!(
                out,
                "  milestone {event} in {} {} after {}",
                stage.stage,
                percent(share),
                distribution(best)
            );
        }
        Some(Err(why)) => {
            let _ = writeln!(out, "  #   no milestone: {why}");
        }
        None => {
            let _ = writeln!(
                out,
                "  #   no milestone: give the project (PATH) and `--pipeline` to name its event"
            );
        }
    }
}

/// The money fact an amount is: `amount`, else the pipeline's only money fact.
fn amount_fact(pipeline: &Pipeline) -> Option<&str> {
    let money: Vec<&str> = pipeline
        .facts
        .iter()
        .filter(|f| f.ty == crate::model::FactType::Money)
        .map(|f| f.path.as_str())
        .collect();
    money
        .iter()
        .find(|p| **p == "amount")
        .or(match money.as_slice() {
            [one] => Some(one),
            _ => None,
        })
        .copied()
}

fn amount_lines(out: &mut String, a: &Amounts, pipeline: Option<&Pipeline>, opts: &Options) {
    let Some((best, rest)) = a.fits.split_first() else {
        return;
    };
    let unit = opts.currency.as_deref().unwrap_or("");
    let show = |x: f64| money(x, unit).trim().to_string();
    let number = |x: f64| trim(&format!("{x:.2}"));
    let params: Vec<String> = best
        .params
        .iter()
        .map(|e| {
            let f: &dyn Fn(f64) -> String = if e.name == "shape" { &number } else { &show };
            format!("{} {} ({})", e.name, f(e.value), interval(e, f))
        })
        .collect();
    let _ = writeln!(
        out,
        "  # amount per deal: {:?} with {} (95% in brackets); {} deals{}; distance to the data {:.3}{}",
        best.family,
        params.join(", "),
        a.deals,
        if a.zero > 0 {
            format!(" ({} more at zero, not fitted)", a.zero)
        } else {
            String::new()
        },
        best.distance,
        rest.first()
            .map(|n| format!("; next best {:?} (AIC +{:.1})", n.family, n.aic - best.aic))
            .unwrap_or_default()
    );
    let fact = pipeline.and_then(amount_fact);
    match (fact, opts.currency.as_deref()) {
        (Some(path), Some(cur)) => {
            let p = |n: &str| best.param(n).map_or(0.0, |e| e.value);
            let m = |x: f64| money(x, cur);
            let dist = match best.family {
                Family::Lognormal => {
                    format!("lognormal(median {}, p90 {})", m(p("median")), m(p("p90")))
                }
                Family::Gamma => {
                    format!("gamma(mean {}, shape {})", m(p("mean")), number(p("shape")))
                }
                Family::Weibull => {
                    format!(
                        "weibull(scale {}, shape {})",
                        m(p("scale")),
                        number(p("shape"))
                    )
                }
                Family::Exponential => format!("exponential(mean {})", m(p("mean"))),
            };
            let _ = writeln!(out, "  fact {path} = {dist}");
        }
        _ => {
            let _ = writeln!(
                out,
                "  #   no `fact` line: it needs the project's money fact (`amount`, or its only \
                 one) and `--currency CODE`"
            );
        }
    }
}

pub fn leads_block(c: &Calibration, pipeline: Option<&Pipeline>, opts: &Options) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Calibrated by `cadence calibrate` from {} ({} export): {} rows, {} bad{}.",
        c.file,
        c.kind.name(),
        c.rows,
        c.bad_rows,
        c.as_of
            .map(|d| format!(", as of {}", d.format("%Y-%m-%d %H:%M")))
            .unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "# Each figure: the fitted value; the comment gives its 95% interval and sample."
    );
    let _ = writeln!(out, "leads {} {{", opts.name);
    let _ = writeln!(out, "  count {}", c.deals.max(1));
    if let Some(a) = &c.arrivals {
        let _ = writeln!(
            out,
            "  arrivals {} per week  # 95% {}, from {} first entries {} to {}",
            trim(&format!("{:.2}", a.per_week.value)),
            interval(&a.per_week, &|x| trim(&format!("{x:.2}"))),
            a.deals,
            a.first.format("%Y-%m-%d"),
            a.last.format("%Y-%m-%d")
        );
    }
    if let Some(h) = &c.contacts {
        let _ = writeln!(
            out,
            "  # {} of {} leads succeeded: {} (95% {})",
            h.successes,
            h.leads,
            percent(h.overall.value),
            interval(&h.overall, &percent)
        );
        let _ = writeln!(
            out,
            "  # success at contact k, of the leads with at least k contacts (the fit's rate):"
        );
        for r in h.per_contact.iter().filter(|r| r.at_risk >= 30) {
            let fitted = h.first.value * h.fatigue.value.powi(r.contact as i32 - 1);
            let _ = writeln!(
                out,
                "  #   {}: {} ({}–{}, n {}) (fit {})",
                r.contact,
                percent(r.rate),
                percent(r.low),
                percent(r.high),
                r.at_risk,
                percent(fitted)
            );
        }
        let (channel, outcome) = &opts.outcome;
        let _ = writeln!(
            out,
            "  respond {channel} {{ {outcome} {} }}  # the first contact, 95% {}",
            percent(h.first.value),
            interval(&h.first, &percent)
        );
        let _ = writeln!(
            out,
            "  fatigue {} per touch  # 95% {}",
            trim(&format!("{:.3}", h.fatigue.value)),
            interval(&h.fatigue, &|x| trim(&format!("{x:.3}")))
        );
    }
    if let Some(a) = &c.amounts {
        amount_lines(&mut out, a, pipeline, opts);
    }
    if let Some(a) = &c.activity {
        super::emit_activity::lines(&mut out, a);
    }
    if !c.stages.is_empty() {
        let _ = writeln!(
            out,
            "  # {} deals, {} still open on the export date",
            c.deals, c.censored
        );
    }
    for s in &c.stages {
        let _ = writeln!(
            out,
            "  # stage `{}`: {} visits, {} still there",
            s.stage, s.visits, s.open
        );
        for t in &s.transitions {
            transition_lines(&mut out, s, t, pipeline);
        }
    }
    out.push_str("}\n");
    out
}
