//! The exact answer in `simulate`'s report shape (text and JSON): the same sections and keys,
//! with exact shares per enrolled lead instead of counts and intervals, and each value's
//! numerical tolerance where responsiveness is integrated.

use serde_json::{json, Value};

use super::Exact;
use crate::simulate::columns::{layout, Align::*};
use crate::simulate::report::{RunInfo, SIM_FORMAT_VERSION};
use crate::words::rounded;

pub struct ExactReport {
    pub exact: Exact,
    pub info: RunInfo,
    pub working_days: f64,
    pub arrivals_per_day: Option<f64>,
}

/// The q-quantile of a discrete distribution of (value, mass), in days.
fn quantile_days(points: &[(f64, f64)], q: f64) -> Option<f64> {
    let total: f64 = points.iter().map(|p| p.1).sum();
    if total <= 0.0 {
        return None;
    }
    let mut v = points.to_vec();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut acc = 0.0;
    for (x, m) in &v {
        acc += m;
        if acc >= q * total * (1.0 - 1e-12) {
            return Some(x / 1440.0);
        }
    }
    v.last().map(|x| x.0 / 1440.0)
}

fn round(x: f64, digits: i32) -> f64 {
    let k = 10f64.powi(digits);
    (x * k).round() / k
}

impl ExactReport {
    fn share(&self, q: usize) -> (f64, f64) {
        self.exact.per_lead(q)
    }

    fn workload(&self, ch: crate::model::Channel) -> f64 {
        let e = &self.exact;
        let per_lead = e.value[e.layout.channel(ch)];
        let working = self.working_days.max(1.0);
        match self.arrivals_per_day {
            Some(rate) if rate > 0.0 => {
                per_lead * rate * (self.info.horizon_days.max(1.0) / working)
            }
            _ => per_lead * self.info.scenario_leads as f64 / working,
        }
    }

    fn cycle_mean(&self) -> Option<f64> {
        let e = &self.exact;
        let won = e.value[e.layout.won];
        (won > 0.0).then(|| e.value[e.layout.cycle_sum] / won / 1440.0)
    }

    fn dwell(&self, stage: usize) -> Vec<(f64, f64)> {
        self.exact
            .dwells
            .iter()
            .filter(|d| d.0 == stage)
            .map(|d| (d.1, d.2))
            .collect()
    }

    /// The gate conjunct false for the largest share of leads open at the horizon.
    fn held_back(&self) -> Option<(String, usize, usize, f64)> {
        let e = &self.exact;
        let stages = &e.spec.stages;
        let mut best: Option<(String, usize, usize, f64)> = None;
        for (si, s) in stages.iter().enumerate() {
            for (k, (target, c)) in s.exits.iter().enumerate() {
                let forward = match stages[*target].terminal {
                    Some(won) => won,
                    None => *target > si,
                };
                if !forward {
                    continue;
                }
                let parts = crate::simulate::program::conjuncts(c);
                for (j, part) in parts.iter().enumerate().take(16) {
                    if is_timer(part) {
                        continue;
                    }
                    let (v, _) = self.share(e.layout.held_back(si, k, j));
                    if v > 1e-12 && best.as_ref().is_none_or(|b| v > b.3) {
                        best = Some((s.name.clone(), k, j, v));
                    }
                }
            }
        }
        best
    }

    fn held_text(&self, stage: &str, k: usize, j: usize) -> String {
        let e = &self.exact;
        let Some(s) = e.spec.stages.iter().find(|s| s.name == stage) else {
            return String::new();
        };
        let parts = crate::simulate::program::conjuncts(&s.exits[k].1);
        parts
            .get(j)
            .map(|c| e.spec.cond_text(c))
            .unwrap_or_default()
    }

    pub fn to_json(&self) -> Value {
        let e = &self.exact;
        let l = &e.layout;
        let spec = &e.spec;
        let pair = |(v, t): (f64, f64)| json!({"value": v, "tolerance": t});
        let (conv, conv_tol) = self.share(l.won);
        let converted_by: Vec<Value> = [30, 60, 90, 180]
            .iter()
            .enumerate()
            .filter(|(_, d)| f64::from(**d) <= self.info.horizon_days)
            .map(|(i, d)| {
                let (v, t) = self.share(l.won_by + i);
                json!({"days": d, "share": v, "tolerance": t})
            })
            .collect();
        let days = |x: Option<f64>| x.map(|d| round(d, 3));
        json!({
            "format_version": SIM_FORMAT_VERSION,
            "compiler_version": env!("CARGO_PKG_VERSION"),
            "method": "exact",
            "simulation": self.info.name,
            "cadence": self.info.target,
            "leads_model": self.info.leads,
            "seed": null,
            "start": self.info.start,
            "horizon_days": self.info.horizon_days,
            "arrival_window_days": self.info.arrival_window_days,
            "scenario_leads": self.info.scenario_leads,
            "precision": null,
            "lead_states": e.states,
            "integration_nodes": e.nodes,
            "leads": null,
            "enrolled": e.enrolled,
            "won": self.share(l.won).0,
            "lost": self.share(l.lost).0,
            "open_at_horizon": self.share(l.open).0,
            "conversion": {
                "rate": conv,
                "tolerance": conv_tol,
                "wilson95": null,
                "converted_by": converted_by,
            },
            "cycle_time_days": {
                "mean": self.cycle_mean(),
                "median": days(quantile_days(&e.cycles, 0.5)),
                "p10": days(quantile_days(&e.cycles, 0.1)),
                "p90": days(quantile_days(&e.cycles, 0.9)),
            },
            "exit_reasons": spec.reasons.iter().enumerate()
                .filter(|(r, _)| self.share(l.reason(*r)).0 > 1e-15)
                .map(|(r, name)| {
                    let (v, t) = self.share(l.reason(r));
                    json!({"reason": name, "share": v, "tolerance": t})
                }).collect::<Vec<_>>(),
            "final_stages": spec.stages.iter().enumerate()
                .filter(|(s, _)| self.share(l.final_stage(*s)).0 > 1e-15)
                .map(|(s, st)| {
                    let (v, t) = self.share(l.final_stage(s));
                    json!({"stage": st.name, "share": v, "tolerance": t})
                }).collect::<Vec<_>>(),
            "steps": spec.steps.iter().enumerate().map(|(i, s)| json!({
                "step": s.name,
                "channel": s.channel.name(),
                "reached": pair(self.share(l.reached(i))),
                "outcomes": s.channel.outcomes().iter().enumerate()
                    .map(|(k, o)| (o.to_string(), json!(self.share(l.step_outcome(i, k)).0)))
                    .collect::<serde_json::Map<_, _>>(),
            })).collect::<Vec<_>>(),
            "stages": spec.stages.iter().enumerate().map(|(i, s)| {
                let d = self.dwell(i);
                json!({
                    "stage": s.name,
                    "entries": self.share(l.stage_entry(i)).0,
                    "dwell_days": {"median": days(quantile_days(&d, 0.5)), "p90": days(quantile_days(&d, 0.9))},
                    "exits": spec.stages.iter().enumerate()
                        .filter(|(j, _)| self.share(l.stage_exit(i, *j)).0 > 1e-15)
                        .map(|(j, x)| (x.name.clone(), json!(self.share(l.stage_exit(i, j)).0)))
                        .collect::<serde_json::Map<_, _>>(),
                    "escalations": spec.roles.iter().enumerate()
                        .filter(|(r, _)| self.share(l.escalation(i, *r)).0 > 1e-15)
                        .map(|(r, x)| (x.clone(), json!(self.share(l.escalation(i, r)).0)))
                        .collect::<serde_json::Map<_, _>>(),
                })
            }).collect::<Vec<_>>(),
            "held_back_most": self.held_back().map(|(stage, k, j, v)| {
                json!({"stage": stage, "condition": self.held_text(&stage, k, j), "leads": v})
            }),
            "touches_per_lead": pair(self.share(l.touches)),
            "tasks_created": self.share(l.tasks).0,
            "workload_per_working_day": crate::model::Channel::ALL.iter()
                .filter(|(_, c)| e.value[l.channel(*c)] > 0.0)
                .map(|(n, c)| (n.to_string(), json!(round(self.workload(*c), 1))))
                .collect::<serde_json::Map<_, _>>(),
        })
    }

    pub fn to_text(&self) -> String {
        let e = &self.exact;
        let l = &e.layout;
        let spec = &e.spec;
        let pc = |x: f64| 100.0 * x;
        let mut o = String::new();
        o.push_str(&format!(
            "simulation {} — cadence `{}` on leads `{}`\n  exact: no sampling ({} lead states, {} integration nodes), start {}, horizon {}d\n",
            self.info.name,
            self.info.target,
            self.info.leads,
            e.states,
            e.nodes.iter().sum::<usize>(),
            self.info.start,
            self.info.horizon_days
        ));
        if self.info.arrival_window_days > 0.0 {
            o.push_str(&format!(
                "  arrivals: over {}d from the start (the answer does not depend on the enrolment instant here)\n",
                rounded(self.info.arrival_window_days * 1440.0).trim_end_matches('d')
            ));
        }
        o.push('\n');
        let (conv, tol) = self.share(l.won);
        o.push_str(&format!(
            "conversion   {:.4}%  exact (numerical tolerance ±{:.1e} pp)   won {:.4}%, lost {:.4}%, open at horizon {:.4}%\n",
            pc(conv),
            pc(tol),
            pc(conv),
            pc(self.share(l.lost).0),
            pc(self.share(l.open).0)
        ));
        let by: Vec<String> = [30.0, 60.0, 90.0, 180.0]
            .iter()
            .enumerate()
            .filter(|(_, d)| **d <= self.info.horizon_days)
            .map(|(i, d)| format!("{d}d {:.4}%", pc(self.share(l.won_by + i).0)))
            .collect();
        if !by.is_empty() {
            o.push_str(&format!("converted by {}\n", by.join("  ")));
        }
        if let Some(mean) = self.cycle_mean() {
            let d = |q| {
                quantile_days(&e.cycles, q)
                    .map(|x| format!("{x:.2}d"))
                    .unwrap_or_default()
            };
            o.push_str(&format!(
                "cycle time   mean {mean:.3}d  median {}  p10 {}  p90 {}  (won leads)\n",
                d(0.5),
                d(0.1),
                d(0.9)
            ));
        }
        o.push_str(&format!(
            "touches      {:.4} per lead, {:.4} tasks per lead\n",
            self.share(l.touches).0,
            self.share(l.tasks).0
        ));
        o.push_str("\ncadence ended\n");
        let rows: Vec<Vec<String>> = spec
            .reasons
            .iter()
            .enumerate()
            .map(|(r, name)| (name, self.share(l.reason(r)).0))
            .filter(|(_, v)| *v > 1e-15)
            .map(|(name, v)| vec![name.clone(), format!("{:.4}%", pc(v))])
            .collect();
        o.push_str(&layout("  ", &[Left, Right], &rows));
        o.push_str("\nper step (reached per lead, outcomes per lead)\n");
        let mut rows = Vec::new();
        for (i, s) in spec.steps.iter().enumerate() {
            let outs: Vec<String> = s
                .channel
                .outcomes()
                .iter()
                .enumerate()
                .filter(|(k, _)| self.share(l.step_outcome(i, *k)).0 > 1e-15)
                .map(|(k, n)| format!("{n} {:.4}", self.share(l.step_outcome(i, k)).0))
                .collect();
            rows.push(vec![
                s.name.clone(),
                s.channel.name().to_string(),
                format!("{:.4}", self.share(l.reached(i)).0),
                outs.join(", "),
            ]);
        }
        o.push_str(&layout("  ", &[Left, Left, Right, Left], &rows));
        o.push_str("\nper stage (entries per lead, dwell median/p90, exits, escalations)\n");
        let mut rows = Vec::new();
        for (i, s) in spec.stages.iter().enumerate() {
            let dw = self.dwell(i);
            let d = |q| {
                quantile_days(&dw, q)
                    .map(|x| format!("{x:.1}d"))
                    .unwrap_or_else(|| "-".into())
            };
            let exits: Vec<String> = spec
                .stages
                .iter()
                .enumerate()
                .filter(|(j, _)| self.share(l.stage_exit(i, *j)).0 > 1e-15)
                .map(|(j, x)| format!("→{} {:.4}", x.name, self.share(l.stage_exit(i, j)).0))
                .collect();
            let esc: Vec<String> = spec
                .roles
                .iter()
                .enumerate()
                .filter(|(r, _)| self.share(l.escalation(i, *r)).0 > 1e-15)
                .map(|(r, x)| format!("{x} {:.4}", self.share(l.escalation(i, r)).0))
                .collect();
            rows.push(vec![
                s.name.clone(),
                format!("{:.4}", self.share(l.stage_entry(i)).0),
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
        if let Some((stage, k, j, v)) = self.held_back() {
            o.push_str(&format!(
                "\nheld back most: `{}` in stage `{stage}` ({:.4}% of enrolled leads, open)\n",
                self.held_text(&stage, k, j),
                pc(v)
            ));
        }
        let per_day: Vec<String> = crate::model::Channel::ALL
            .iter()
            .filter(|(_, c)| e.value[l.channel(*c)] > 0.0)
            .map(|(n, c)| format!("{n} {:.1}", self.workload(*c)))
            .collect();
        o.push_str(&format!(
            "workload per working day: {}\n",
            per_day.join(", ")
        ));
        o
    }
}

fn is_timer(c: &crate::model::Cond) -> bool {
    use crate::model::{Builtin, Cond, Operand};
    let timer = |o: &Operand| {
        matches!(
            o,
            Operand::Builtin(Builtin::Dwell | Builtin::Idle | Builtin::Age)
        )
    };
    matches!(c, Cond::Compare { lhs, rhs, .. } if timer(lhs) || timer(rhs))
}
