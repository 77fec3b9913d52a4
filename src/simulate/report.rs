//! Statistics from tallies: Wilson intervals, percentiles from hourly histograms, and the report
//! a sales manager reads (text) or a machine reads (JSON, versioned).

use serde_json::{json, Value};

use super::columns::{layout, Align::*};
use super::engine::Tally;
use super::program::Program;

/// Bumped whenever the JSON shape of a simulation report changes incompatibly.
pub const SIM_FORMAT_VERSION: u32 = 2;

/// The 97.5% point of the standard normal: every 95% interval of the tool uses it.
pub const Z95: f64 = 1.959_963_984_540_054;

/// Wilson score interval for k successes out of n (95%).
pub fn wilson(k: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let z2 = Z95 * Z95;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / (1.0 + z2 / n);
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

pub fn wilson_half_width(k: u64, n: u64) -> f64 {
    let (lo, hi) = wilson(k, n);
    (hi - lo) / 2.0
}

/// The q-quantile (0..1) of an hourly histogram, in hours (bin midpoints).
pub fn quantile_hours(hist: &[u64], q: f64) -> Option<f64> {
    let n: u64 = hist.iter().sum();
    if n == 0 {
        return None;
    }
    let target = (q * n as f64).ceil().max(1.0) as u64;
    let mut acc = 0;
    for (h, c) in hist.iter().enumerate() {
        acc += c;
        if acc >= target {
            return Some(h as f64 + 0.5);
        }
    }
    Some(hist.len() as f64)
}

fn trim(x: f64, digits: usize) -> String {
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn pct(k: u64, n: u64) -> f64 {
    if n == 0 {
        0.0
    } else {
        k as f64 / n as f64
    }
}

/// Step `i`'s funnel: where it is, how often it was reached, its outcomes (and, for a step that
/// can be passed over, how often it was: the flagged exceptions; its title if it has one).
pub fn step_json(p: &Program, t: &Tally, i: usize) -> Value {
    let s = &p.steps[i];
    let mut step = json!({
        "cadence": p.cadences[s.cadence].name,
        "step": s.name,
        "channel": s.channel.name(),
        "reached": t.step_reached[i],
        "outcomes": s.channel.outcomes().iter().enumerate()
            .map(|(k, o)| (o.to_string(), json!(t.step_outcomes[i][k]))).collect::<serde_json::Map<_, _>>(),
    });
    if let (true, Some(o)) = (s.can_skip(), step.as_object_mut()) {
        o.insert("skipped".into(), json!(t.step_skipped[i]));
    }
    if let (Some(title), Some(o)) = (&s.title, step.as_object_mut()) {
        o.insert("title".into(), json!(title));
    }
    step
}

/// What a simulation run was, for the report header.
pub struct RunInfo {
    pub name: String,
    /// the cadence's name, or the pipeline's for a whole-pipeline run
    pub target: String,
    pub leads: String,
    pub seed: u64,
    pub start: String,
    pub horizon_days: f64,
    pub working_days: f64,
    /// leads enroll uniformly over this many days from the start (0: all at the start)
    pub arrival_window_days: f64,
    /// the scenario's own lead count (what the arrival window is for)
    pub scenario_leads: u64,
    pub precision: Option<PrecisionOutcome>,
}

/// What became of a `--precision` target.
#[derive(Debug, Clone, Copy)]
pub struct PrecisionOutcome {
    pub target: f64,
    pub reached: bool,
    /// the most leads the run could take
    pub cap: u64,
}

pub struct Report<'a> {
    pub program: &'a Program,
    pub tally: &'a Tally,
    pub info: RunInfo,
}

impl Report<'_> {
    pub fn to_json(&self) -> Value {
        let p = self.program;
        let t = self.tally;
        let (lo, hi) = wilson(t.won, t.enrolled);
        let days = |h: Option<f64>| h.map(|h| (h / 24.0 * 1000.0).round() / 1000.0);
        let mean_cycle = if t.won > 0 {
            Some(t.cycle_minutes_sum as f64 / t.won as f64 / 1440.0)
        } else {
            None
        };
        let channels = crate::model::Channel::ALL;
        let converted_by: Vec<Value> = [30, 60, 90, 180]
            .iter()
            .zip(t.won_by)
            .filter(|(d, _)| f64::from(**d) <= self.info.horizon_days)
            .map(|(d, k)| json!({"days": d, "share": pct(k, t.enrolled)}))
            .collect();
        json!({
            "format_version": SIM_FORMAT_VERSION,
            "compiler_version": env!("CARGO_PKG_VERSION"),
            "simulation": self.info.name,
            "cadence": (!p.whole_pipeline).then(|| self.info.target.clone()),
            "pipeline": p.whole_pipeline.then(|| self.info.target.clone()),
            "leads_model": self.info.leads,
            "seed": self.info.seed,
            "start": self.info.start,
            "horizon_days": self.info.horizon_days,
            "arrival_window_days": self.info.arrival_window_days,
            "scenario_leads": self.info.scenario_leads,
            "precision": self.info.precision.map(|p| json!({"target": p.target, "reached": p.reached, "cap": p.cap})),
            "leads": t.leads,
            "enrolled": t.enrolled,
            "won": t.won,
            "lost": t.lost,
            "open_at_horizon": t.open,
            "conversion": {
                "rate": pct(t.won, t.enrolled),
                "wilson95": [lo, hi],
                "converted_by": converted_by,
            },
            "cycle_time_days": {
                "mean": mean_cycle,
                "median": days(quantile_hours(&t.cycle_hist, 0.5)),
                "p10": days(quantile_hours(&t.cycle_hist, 0.1)),
                "p90": days(quantile_hours(&t.cycle_hist, 0.9)),
            },
            "converted_by_day": self.converted_by_day(),
            "whole_pipeline": p.whole_pipeline,
            "exit_reasons": if p.whole_pipeline { Value::Null } else {
                json!(super::funnel::cadence_reasons(p, t, 0).into_iter()
                    .map(|(r, c, _)| json!({"reason": r, "count": c, "share": pct(c, t.enrolled)})).collect::<Vec<_>>())
            },
            "cadences": super::funnel::cadences_json(p, t),
            "stage_funnel": super::funnel::stages_json(p, t),
            "final_stages": p.stages.iter().zip(&t.final_stage).filter(|(_, c)| **c > 0)
                .map(|(s, c)| json!({"stage": s.name, "count": c, "share": pct(*c, t.enrolled)})).collect::<Vec<_>>(),
            "steps": (0..p.steps.len()).map(|i| step_json(p, t, i)).collect::<Vec<_>>(),
            "stages": p.stages.iter().enumerate().map(|(i, s)| json!({
                "stage": s.name,
                "entries": t.stage_entries[i],
                "dwell_days": {"median": days(quantile_hours(&t.dwell_hist[i], 0.5)), "p90": days(quantile_hours(&t.dwell_hist[i], 0.9))},
                "exits": p.stages.iter().enumerate().filter(|(j, _)| t.stage_exits[i][*j] > 0)
                    .map(|(j, x)| (x.name.clone(), json!(t.stage_exits[i][j]))).collect::<serde_json::Map<_, _>>(),
                "escalations": p.roles.iter().enumerate().filter(|(r, _)| t.escalations[i].get(*r).is_some_and(|c| *c > 0))
                    .map(|(r, x)| (x.clone(), json!(t.escalations[i][r]))).collect::<serde_json::Map<_, _>>(),
            })).collect::<Vec<_>>(),
            "held_back_most": self.held_back().map(|(stage, cond, n)| json!({"stage": stage, "condition": cond, "leads": n})),
            "touches_per_lead": pct(t.touches, t.enrolled),
            "tasks_created": t.tasks,
            "workload_per_working_day": channels.iter().filter(|(_, c)| t.touches_by_channel[*c as usize] > 0)
                .map(|(n, c)| (n.to_string(), json!((self.workload(*c) * 10.0).round() / 10.0)))
                .collect::<serde_json::Map<_, _>>(),
        })
    }

    /// Per whole day up to the horizon: won deals that day (by cycle time) and the share of
    /// enrolled deals won by its end, with its Wilson interval (the curve and band of the HTML
    /// report).
    fn converted_by_day(&self) -> Vec<Value> {
        let t = self.tally;
        let days = self.info.horizon_days.floor() as usize;
        let mut won = 0u64;
        (1..=days)
            .map(|d| {
                let day: u64 = t.cycle_hist.iter().skip((d - 1) * 24).take(24).sum();
                won += day;
                let (lo, hi) = wilson(won, t.enrolled);
                json!({"day": d, "won_that_day": day, "share": pct(won, t.enrolled), "wilson95": [lo, hi]})
            })
            .collect()
    }

    /// Touches on a channel per working day. With an arrival rate, the steady state: touches per
    /// lead × leads arriving per working day (independent of how many leads were simulated);
    /// without one, all leads enroll at once and their touches spread over the horizon.
    pub fn workload(&self, ch: crate::model::Channel) -> f64 {
        let t = self.tally;
        let touches = t.touches_by_channel[ch as usize] as f64;
        let working = self.info.working_days.max(1.0);
        match self.program.arrivals_per_day {
            Some(rate) if rate > 0.0 && t.leads > 0 => {
                touches / t.leads as f64 * rate * (self.info.horizon_days.max(1.0) / working)
            }
            _ => touches / working,
        }
    }

    /// The gate condition that was false for the most leads still open at the horizon.
    pub fn held_back(&self) -> Option<(String, String, u64)> {
        let mut best: Option<(String, String, u64)> = None;
        let stages = &self.program.stages;
        for (si, s) in stages.iter().enumerate() {
            // gates are the conditions for moving forward: exits to a later open stage or to won
            // (an open lead fails every exit to lost by definition)
            let forward = |target: usize| match stages[target].terminal {
                Some(won) => won,
                None => target > si,
            };
            for (ei, e) in s
                .exits
                .iter()
                .enumerate()
                .filter(|(_, e)| forward(e.target))
            {
                for (j, (text, timer)) in e.parts.iter().enumerate().take(16) {
                    if *timer {
                        continue;
                    }
                    let n = self.tally.held_back[si][ei][j];
                    if n > 0 && best.as_ref().is_none_or(|b| n > b.2) {
                        best = Some((s.name.clone(), text.clone(), n));
                    }
                }
            }
        }
        best
    }

    /// "cadence `x`", or "pipeline `b2b` from `needs` with cadences `a`, `b`".
    fn target_text(&self) -> String {
        let p = self.program;
        if !p.whole_pipeline {
            return format!("cadence `{}`", self.info.target);
        }
        let from = if p.start_stage > 0 {
            format!(" from `{}`", p.stages[p.start_stage].name)
        } else {
            String::new()
        };
        let names: Vec<String> = p.cadences.iter().map(|c| format!("`{}`", c.name)).collect();
        format!(
            "pipeline `{}`{from} with {}",
            self.info.target,
            if names.is_empty() {
                "no cadences".to_string()
            } else {
                format!("cadences {}", names.join(", "))
            }
        )
    }

    pub fn to_text(&self) -> String {
        let p = self.program;
        let t = self.tally;
        let mut o = String::new();
        let (lo, hi) = wilson(t.won, t.enrolled);
        o.push_str(&format!(
            "simulation {} — {} on leads `{}`\n  {} leads, {} {}, seed {}, start {}, horizon {}d\n",
            self.info.name,
            self.target_text(),
            self.info.leads,
            t.leads,
            t.enrolled,
            if p.whole_pipeline {
                "deals"
            } else {
                "enrolled"
            },
            self.info.seed,
            self.info.start,
            self.info.horizon_days
        ));
        if self.info.arrival_window_days > 0.0 {
            o.push_str(&format!(
                "  arrivals: Poisson over {}d from the start (the scenario's {} leads; more leads replicate it)\n",
                trim(self.info.arrival_window_days, 1),
                self.info.scenario_leads
            ));
        }
        o.push('\n');
        o.push_str(&format!(
            "conversion   {:.2}%  (95% CI {:.2}%–{:.2}%)   won {}, lost {}, open at horizon {}\n",
            100.0 * pct(t.won, t.enrolled),
            100.0 * lo,
            100.0 * hi,
            t.won,
            t.lost,
            t.open
        ));
        let by: Vec<String> = [30.0, 60.0, 90.0, 180.0]
            .iter()
            .zip(t.won_by)
            .filter(|(d, _)| **d <= self.info.horizon_days)
            .map(|(d, k)| format!("{d}d {:.2}%", 100.0 * pct(k, t.enrolled)))
            .collect();
        if !by.is_empty() {
            o.push_str(&format!("converted by {}\n", by.join("  ")));
        }
        if t.won > 0 {
            let d = |q| {
                quantile_hours(&t.cycle_hist, q)
                    .map(|h| format!("{:.1}d", h / 24.0))
                    .unwrap_or_default()
            };
            o.push_str(&format!(
                "cycle time   mean {:.1}d  median {}  p10 {}  p90 {}  (won leads)\n",
                t.cycle_minutes_sum as f64 / t.won as f64 / 1440.0,
                d(0.5),
                d(0.1),
                d(0.9)
            ));
        }
        o.push_str(&format!(
            "touches      {:.2} per lead, {} tasks created\n",
            pct(t.touches, t.enrolled),
            t.tasks
        ));
        if p.whole_pipeline {
            o.push_str(&super::funnel::stages_text(p, t));
            o.push_str(&super::funnel::cadences_text(p, t));
        } else {
            o.push_str("\ncadence ended\n");
            let rows: Vec<Vec<String>> = super::funnel::cadence_reasons(p, t, 0)
                .into_iter()
                .map(|(r, c, _)| {
                    vec![
                        r,
                        c.to_string(),
                        format!("{:.2}%", 100.0 * pct(c, t.enrolled)),
                    ]
                })
                .collect();
            o.push_str(&layout("  ", &[Left, Right, Right], &rows));
            o.push_str("\nper step (reached, outcomes)\n");
            o.push_str(&super::funnel::steps_text(p, t, 0));
            // the cadences deals were handed off to
            o.push_str(&super::funnel::cadences_text_from(p, t, 1));
        }
        o.push_str("\nper stage (entries, dwell median/p90, exits, escalations)\n");
        let mut rows = Vec::new();
        for (i, s) in p.stages.iter().enumerate() {
            let d = |q| {
                quantile_hours(&t.dwell_hist[i], q)
                    .map(|h| format!("{:.1}d", h / 24.0))
                    .unwrap_or_else(|| "-".into())
            };
            let exits: Vec<String> = p
                .stages
                .iter()
                .enumerate()
                .filter(|(j, _)| t.stage_exits[i][*j] > 0)
                .map(|(j, x)| format!("→{} {}", x.name, t.stage_exits[i][j]))
                .collect();
            let esc: Vec<String> = p
                .roles
                .iter()
                .enumerate()
                .filter(|(r, _)| t.escalations[i].get(*r).is_some_and(|c| *c > 0))
                .map(|(r, x)| format!("{x} {}", t.escalations[i][r]))
                .collect();
            rows.push(vec![
                s.name.clone(),
                t.stage_entries[i].to_string(),
                format!("{}/{}", d(0.5), d(0.9)),
                exits.join(" "),
                if esc.is_empty() {
                    String::new()
                } else {
                    format!("escalated: {}", esc.join(", "))
                },
            ]);
        }
        o.push_str(&layout("  ", &[Left, Right, Right, Left, Left], &rows));
        if let Some((stage, cond, n)) = self.held_back() {
            o.push_str(&format!(
                "\nheld back most: `{cond}` in stage `{stage}` ({n} open leads)\n"
            ));
        }
        let per_day: Vec<String> = crate::model::Channel::ALL
            .iter()
            .filter(|(_, c)| t.touches_by_channel[*c as usize] > 0)
            .map(|(n, c)| format!("{n} {:.1}", self.workload(*c)))
            .collect();
        o.push_str(&format!(
            "workload per working day: {}\n",
            per_day.join(", ")
        ));
        o
    }
}
