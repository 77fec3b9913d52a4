//! An activity log's lines of the `leads` block: a `respond` line per channel with the
//! outcomes the export records, `reply_after` from the censored fit, and as comments each
//! figure's interval and sample, the per-contact rates and the steps' and templates' rates.

use std::fmt::Write as _;

use super::activity::{Activity, ChannelRates, TARGET_FLOOR};
use super::emit::{distribution, fit_comment, interval, percent, trim};

/// The shares a channel's line states: the reply share from the censored fit, and the
/// outcomes a reply implies raised to it where the export's own share is lower (E0601).
fn stated(a: &Activity, c: &ChannelRates) -> Vec<(&'static str, f64)> {
    let mut v: Vec<(&'static str, f64)> = c
        .outcomes
        .iter()
        .map(|o| (o.outcome, o.rate.value))
        .collect();
    let get = |v: &[(&str, f64)], n: &str| v.iter().find(|x| x.0 == n).map_or(0.0, |x| x.1);
    if let Some(share) = a.reply_share(c.channel) {
        if let Some(r) = v.iter_mut().find(|x| x.0 == "replied") {
            r.1 = share.value;
        }
    }
    let replied = get(&v, "replied");
    let leaving = get(&v, "unsubscribed") + get(&v, "opted_out");
    for (name, value) in &mut v {
        match *name {
            "opened" => *value = value.max(replied),
            "delivered" => *value = value.max(replied + leaving),
            _ => {}
        }
    }
    v
}

/// A share rounded down to 0.01%: the stated shares of one exclusive group then add up to at
/// most their true total (never 100.01%), and an order between shares is kept.
fn percent_down(x: f64) -> String {
    percent((x * 10_000.0 + 1e-9).floor() / 10_000.0)
}

pub fn lines(out: &mut String, a: &Activity) {
    let _ = writeln!(
        out,
        "  # {} touches of {} leads; each rate is a share of the channel's touches",
        a.touches, a.leads
    );
    for c in &a.channels {
        let shares = stated(a, c);
        if shares.is_empty() {
            let _ = writeln!(
                out,
                "  # {}: {} touches, no outcome recorded",
                c.channel, c.touches
            );
            continue;
        }
        for o in &c.outcomes {
            let fitted = (o.outcome == "replied")
                .then(|| a.reply.as_ref().filter(|r| !r.fits.is_empty()))
                .flatten();
            let censored = match (fitted, a.reply_share(c.channel)) {
                (Some(_), Some(s)) => format!(
                    "; with replies still to come counted (censored fit): {} (95% {})",
                    percent(s.value),
                    interval(&s, &percent)
                ),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "  # {} {}: {} of {} touches, {} (95% {}){censored}",
                c.channel,
                o.outcome,
                o.touches,
                c.touches,
                percent(o.rate.value),
                interval(&o.rate, &percent)
            );
        }
        let items: Vec<String> = shares
            .iter()
            .map(|(n, v)| format!("{n} {}", percent_down(*v)))
            .collect();
        let _ = writeln!(out, "  respond {} {{ {} }}", c.channel, items.join(", "));
    }
    if let Some(r) = &a.reply {
        match r.fits.split_first() {
            Some((best, rest)) => {
                let as_fit = best.as_fit();
                let others: Vec<_> = rest.iter().map(|f| f.as_fit()).collect();
                let _ = writeln!(
                    out,
                    "  # reply delay: {} replies seen in {} watched touches, {} censored (no reply \
                     by the next touch or the export's date; {} replies came after the next touch)",
                    r.replies, r.touches, r.censored, r.replies_after_window
                );
                let _ = writeln!(
                    out,
                    "  reply_after {}  # {}",
                    distribution(&as_fit),
                    fit_comment(&as_fit, &others)
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "  # reply delay: {} replies seen, too few to fit (three or more are needed)",
                    r.replies
                );
            }
        }
    } else {
        let _ = writeln!(
            out,
            "  # reply delay: the export has no reply time (`replied_at`), so it is not fitted and \
             reply shares are of the replies seen"
        );
    }
    if let Some(h) = &a.per_contact {
        let _ = writeln!(
            out,
            "  # first response (a reply or a connected call) at touch k, of the leads with at \
             least k touches:"
        );
        for r in h.per_contact.iter().filter(|r| r.at_risk >= 30) {
            let _ = writeln!(
                out,
                "  #   {}: {} ({}–{}, n {})",
                r.contact,
                percent(r.rate),
                percent(r.low),
                percent(r.high),
                r.at_risk
            );
        }
        let _ = writeln!(
            out,
            "  # as a first rate and a decay: first touch {} (95% {}), fatigue {} per touch \
             (95% {}); not a line, since the rates above are already averages over all touches",
            percent(h.first.value),
            interval(&h.first, &percent),
            trim(&format!("{:.3}", h.fatigue.value)),
            interval(&h.fatigue, &|x| trim(&format!("{x:.3}")))
        );
    }
    for t in &a.targets {
        if t.rates.touches < TARGET_FLOOR {
            let _ = writeln!(
                out,
                "  # {} `{}`: {} touches, below {TARGET_FLOOR}: not fitted",
                t.kind, t.name, t.rates.touches
            );
            continue;
        }
        let items: Vec<String> = t
            .rates
            .outcomes
            .iter()
            .map(|o| {
                format!(
                    "{} {} (95% {})",
                    o.outcome,
                    percent(o.rate.value),
                    interval(&o.rate, &percent)
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "  # {} `{}` ({}, {} touches): {}",
            t.kind,
            t.name,
            t.rates.channel,
            t.rates.touches,
            if items.is_empty() {
                "no outcome recorded".to_string()
            } else {
                items.join("; ")
            }
        );
    }
}
