//! One population of a lead model resolved for a program: facts, responsiveness, fatigue,
//! delays, milestones, and the outcome rates of every step (with their defaults) together with
//! the gains that keep each rate the population's average under `responsiveness`.

use crate::model::{
    Cadence, CadenceId, Channel, Dist, FactType, Pipeline, Population, RespondTarget, Value,
};

use super::conds::Interner;
use super::outcomes::plan;
use super::program::{outcome_index, MilestoneP, PopulationP, Rates};
use super::random::site;

/// Draws of the responsiveness distribution, sorted, with prefix sums: E[min(a r, cap)] in
/// O(log n) for the calibration of each rate.
struct Spread {
    sorted: Vec<f64>,
    prefix: Vec<f64>,
}

/// Draws per calibration: the calibrated average is within about 0.1% of the stated rate.
const SPREAD_DRAWS: u64 = 1 << 15;

impl Spread {
    fn of(d: &Dist) -> Spread {
        let mut sorted: Vec<f64> = (0..SPREAD_DRAWS)
            .map(|j| {
                super::random::LeadRng::new(0x5EED_CA1B, j)
                    .sample(d, 0, super::random::Purpose::Responsiveness)
                    .max(0.0)
            })
            .filter(|x| x.is_finite())
            .collect();
        sorted.sort_by(f64::total_cmp);
        let mut prefix = Vec::with_capacity(sorted.len() + 1);
        prefix.push(0.0);
        for x in &sorted {
            prefix.push(prefix.last().copied().unwrap_or(0.0) + x);
        }
        Spread { sorted, prefix }
    }

    /// The average of min(a · r, cap) over the draws.
    fn capped_mean(&self, a: f64, cap: f64) -> f64 {
        let n = self.sorted.len();
        if n == 0 || a <= 0.0 {
            return 0.0;
        }
        let k = self.sorted.partition_point(|r| a * r < cap);
        (a * self.prefix[k] + cap * (n - k) as f64) / n as f64
    }

    /// The gain g with average min(g · p · r, cap) = p (the largest useful one when no gain
    /// reaches p: the rate is then as high as the spread allows).
    fn gain(&self, p: f64, cap: f64) -> f64 {
        if p <= 0.0 || cap <= 0.0 {
            return 1.0;
        }
        let (mut lo, mut hi) = (0.0, 1.0);
        while self.capped_mean(hi * p, cap) < p && hi < 1e9 {
            hi *= 2.0;
        }
        for _ in 0..80 {
            let mid = 0.5 * (lo + hi);
            if self.capped_mean(mid * p, cap) < p {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        hi
    }
}

/// For each outcome a lead's responsiveness scales, the most its per-lead share can be (what
/// the outcome engine in `outcomes.rs` caps it at).
fn scaled_caps(ch: Channel, r: &Rates) -> [Option<f64>; 6] {
    let mut caps = [None; 6];
    match ch {
        Channel::Email => {
            caps[3] = Some((r[0] - r[5]).min(1.0 - r[4] - r[5]).max(0.0));
            caps[1] = Some(r[0]);
            caps[2] = Some(r[0]);
        }
        Channel::Sms | Channel::Whatsapp => {
            caps[1] = Some((r[0] - r[3]).min(1.0 - r[2] - r[3]).max(0.0));
        }
        Channel::Call => caps[0] = Some((1.0 - r[3]).max(0.0)),
        Channel::Linkedin => {
            caps[1] = Some(1.0);
            caps[0] = Some(1.0);
        }
        Channel::Meeting => caps[1] = Some(r[1] + r[2]),
        Channel::Task => {}
    }
    caps
}

/// Outcome shares (NaN: not stated) with the documented defaults: `delivered` is what bounces
/// (SMS: failures) leave, an unstated `opened` is the replies (a reply counts as an open), a
/// meeting's unstated `booked` is what is held, missed or cancelled (each of those was booked),
/// a task's unstated `completed` is what skips leave. Other unstated outcomes are 0.
pub(super) fn resolve_defaults(ch: Channel, r: Rates) -> Rates {
    let stated = |i: usize| (!r[i].is_nan()).then_some(r[i]);
    let mut out = r.map(|x| if x.is_nan() { 0.0 } else { x });
    match ch {
        Channel::Email => {
            out[0] = stated(0).unwrap_or(1.0 - out[4]);
            out[1] = stated(1).unwrap_or(out[3]);
        }
        Channel::Sms | Channel::Whatsapp => out[0] = stated(0).unwrap_or(1.0 - out[2]),
        Channel::Meeting => out[0] = stated(0).unwrap_or((out[1] + out[2] + out[3]).min(1.0)),
        Channel::Task => out[0] = stated(0).unwrap_or(1.0 - out[1]),
        Channel::Call | Channel::Linkedin => {}
    }
    out
}

/// Resolve one population: base items, overridden by a segment's items where it gives them.
pub(super) fn population(
    base: &Population,
    seg: Option<&Population>,
    pipeline: &Pipeline,
    cadences: &[(CadenceId, &Cadence)],
    interner: &mut Interner,
) -> PopulationP {
    let mut facts: Vec<Option<Dist>> = vec![None; pipeline.facts.len()];
    for pop in std::iter::once(base).chain(seg) {
        for (path, d) in &pop.facts {
            if let Some(i) = pipeline.facts.iter().position(|f| f.path == *path) {
                // text values become interned ids, in this population's own table of options
                let d = match (pipeline.facts[i].ty, d) {
                    (FactType::Text, Dist::Choice { options }) => Dist::Choice {
                        options: options
                            .iter()
                            .map(|(v, w)| match v {
                                Value::Text(s) => (Value::Number(interner.id(s)), *w),
                                other => (other.clone(), *w),
                            })
                            .collect(),
                    },
                    (
                        FactType::Text,
                        Dist::Const {
                            value: Value::Text(s),
                        },
                    ) => Dist::Const {
                        value: Value::Number(interner.id(s)),
                    },
                    _ => d.clone(),
                };
                facts[i] = Some(d);
            }
        }
    }
    let pick = |f: fn(&Population) -> Option<&Dist>| seg.and_then(f).or_else(|| f(base)).cloned();
    let responsiveness = pick(|p| p.responsiveness.as_ref());
    let reply_after = pick(|p| p.reply_after_minutes.as_ref());
    let open_after = pick(|p| p.open_after_minutes.as_ref());
    let meeting_after = pick(|p| p.meeting_after_minutes.as_ref());
    // the same `powi` the engine would call per touch, so every multiplier is bit for bit
    const FATIGUE_TABLE: i32 = 64;
    let fatigue = seg.and_then(|s| s.fatigue).or(base.fatigue).unwrap_or(1.0);
    let mut milestones: Vec<MilestoneP> = Vec::new();
    let seg_events: Vec<&str> = seg
        .map(|s| s.milestones.iter().map(|m| m.event.as_str()).collect())
        .unwrap_or_default();
    let chosen = base
        .milestones
        .iter()
        .filter(|m| !seg_events.contains(&m.event.as_str()))
        .chain(seg.iter().flat_map(|s| s.milestones.iter()));
    for m in chosen {
        let (Some(event), Some(stage)) = (
            pipeline.events.iter().position(|e| *e == m.event),
            pipeline.stages.iter().position(|s| s.name == m.stage),
        ) else {
            continue;
        };
        milestones.push(MilestoneP {
            event,
            stage,
            site: site(&format!("milestone:{}:{}", m.event, m.stage)),
            p: m.probability,
            delay: m.delay_minutes.clone(),
        });
    }
    // outcome rates per step and variant: most specific block wins, outcome by outcome;
    // at one level of specificity a segment's block wins over the base's
    // (the steps of every cadence of the program, in the program's global step order)
    let steps: Vec<(CadenceId, usize, &crate::model::Step)> = cadences
        .iter()
        .flat_map(|(ci, c)| c.steps.iter().enumerate().map(move |(si, s)| (*ci, si, s)))
        .collect();
    let rates: Vec<Vec<Rates>> = steps
        .iter()
        .map(|&(cadence_id, si, s)| {
            let templates: Vec<Option<&str>> = if s.variants.is_empty() {
                vec![s.template.as_deref()]
            } else {
                s.variants
                    .iter()
                    .map(|v| v.template.as_deref().or(s.template.as_deref()))
                    .collect()
            };
            templates
                .iter()
                .map(|tpl| {
                    let mut r: Rates = [f64::NAN; 6];
                    let levels: [&dyn Fn(&RespondTarget) -> bool; 3] = [
                        &|t| matches!(t, RespondTarget::Step { cadence, step } if *cadence == cadence_id && *step == si),
                        &|t| matches!((t, tpl), (RespondTarget::Template(x), Some(y)) if x == y),
                        &|t| matches!(t, RespondTarget::Channel(c) if *c == s.channel),
                    ];
                    for matches in levels {
                        for pop in seg.iter().copied().chain(std::iter::once(base)) {
                            for b in pop.respond.iter().filter(|b| matches(&b.target)) {
                                for (o, p) in &b.rates {
                                    if let Some(i) = outcome_index(s.channel, o) {
                                        if r[i].is_nan() {
                                            r[i] = *p;
                                        }
                                    }
                                }
                            }
                        }
                    }
                    resolve_defaults(s.channel, r)
                })
                .collect()
        })
        .collect();
    let spread = responsiveness.as_ref().map(Spread::of);
    let gains = rates
        .iter()
        .zip(&steps)
        .map(|(per_variant, (_, _, s))| {
            per_variant
                .iter()
                .map(|r| {
                    let caps = scaled_caps(s.channel, r);
                    std::array::from_fn(|i| match (&spread, caps[i]) {
                        (Some(sp), Some(cap)) => sp.gain(r[i], cap),
                        _ => 1.0,
                    })
                })
                .collect()
        })
        .collect::<Vec<Vec<Rates>>>();
    // the plan of a touch whose lead multiplier is 1: mult = gains × 1 = gains, exactly
    let unit_plans = rates
        .iter()
        .zip(&gains)
        .zip(&steps)
        .map(|((r, g), (_, _, s))| {
            r.iter()
                .zip(g)
                .map(|(r, g)| plan(s.channel, r, g))
                .collect()
        })
        .collect();
    PopulationP {
        facts,
        responsiveness,
        fatigue,
        fatigue_pow: (0..FATIGUE_TABLE).map(|k| fatigue.powi(k)).collect(),
        reply_after,
        open_after,
        meeting_after,
        milestones,
        rates,
        gains,
        unit_plans,
    }
}
