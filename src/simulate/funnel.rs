//! The whole-pipeline parts of a report: the stage funnel (what became of the deals that entered
//! each stage), where deals are lost most, and each cadence's own funnel.

use serde_json::{json, Value};

use super::columns::{layout, Align::*};
use super::program::Program;
use super::tally::Tally;

/// What became of the deals that entered one open stage.
#[derive(Debug, Clone, PartialEq)]
pub struct StageFlow {
    pub stage: usize,
    pub entries: u64,
    /// moved to a later open stage or to a won stage
    pub advanced: u64,
    /// moved to a lost stage
    pub lost: u64,
    /// moved back to an earlier open stage
    pub back: u64,
    /// still in the stage at the horizon
    pub open: u64,
}

impl StageFlow {
    /// Entries that did not move forward: lost, or stalled until the horizon.
    pub fn dropped(&self) -> u64 {
        self.lost + self.open
    }
}

fn share(k: u64, n: u64) -> f64 {
    if n == 0 {
        0.0
    } else {
        k as f64 / n as f64
    }
}

/// The funnel of every open stage that deals entered, in pipeline order.
pub fn stage_flows(p: &Program, t: &Tally) -> Vec<StageFlow> {
    let stages = &p.stages;
    (0..stages.len())
        .filter(|i| stages[*i].terminal.is_none() && t.stage_entries[*i] > 0)
        .map(|i| {
            let mut f = StageFlow {
                stage: i,
                entries: t.stage_entries[i],
                advanced: 0,
                lost: 0,
                back: 0,
                open: t.final_stage[i],
            };
            for (j, n) in t.stage_exits[i].iter().enumerate() {
                match stages[j].terminal {
                    Some(true) => f.advanced += n,
                    Some(false) => f.lost += n,
                    None if j > i => f.advanced += n,
                    None => f.back += n,
                }
            }
            f
        })
        .collect()
}

/// The open stage that loses the most deals (lost or stalled until the horizon), if any.
pub fn lost_most(flows: &[StageFlow]) -> Option<&StageFlow> {
    flows
        .iter()
        .filter(|f| f.dropped() > 0)
        .max_by(|a, b| a.dropped().cmp(&b.dropped()).then(b.stage.cmp(&a.stage)))
}

pub fn stages_json(p: &Program, t: &Tally) -> Value {
    let flows = stage_flows(p, t);
    let row = |f: &StageFlow| {
        json!({
            "stage": p.stages[f.stage].name,
            "entries": f.entries,
            "advanced": f.advanced, "lost": f.lost, "back": f.back, "open_at_horizon": f.open,
            "advanced_share": share(f.advanced, f.entries),
        })
    };
    json!({
        "stages": flows.iter().map(row).collect::<Vec<_>>(),
        "lost_most": lost_most(&flows).map(|f| json!({
            "stage": p.stages[f.stage].name,
            "deals": f.dropped(),
            "share_of_entries": share(f.dropped(), f.entries),
        })),
    })
}

pub fn stages_text(p: &Program, t: &Tally) -> String {
    let flows = stage_flows(p, t);
    let mut o = String::from(
        "\nstage funnel (of the deals entering each stage: moved on, lost, back, still there at the horizon)\n",
    );
    let pc = |k: u64, f: &StageFlow| format!("{:.2}%", 100.0 * share(k, f.entries));
    let rows: Vec<Vec<String>> = flows
        .iter()
        .map(|f| {
            vec![
                p.stages[f.stage].name.clone(),
                f.entries.to_string(),
                "on".into(),
                pc(f.advanced, f),
                "lost".into(),
                pc(f.lost, f),
                "back".into(),
                pc(f.back, f),
                "open".into(),
                pc(f.open, f),
            ]
        })
        .collect();
    let right = [
        Left, Right, Left, Right, Left, Right, Left, Right, Left, Right,
    ];
    o.push_str(&layout("  ", &right, &rows));
    if let Some(f) = lost_most(&flows) {
        o.push_str(&format!(
            "deals are lost most in `{}`: {} of its {} entries ({:.2}%) lost or stalled\n",
            p.stages[f.stage].name,
            f.dropped(),
            f.entries,
            100.0 * share(f.dropped(), f.entries)
        ));
    }
    o
}

/// Each cadence's end reasons, as counts and shares of its enrolments.
pub fn cadence_reasons(p: &Program, t: &Tally, c: usize) -> Vec<(String, u64, f64)> {
    let cp = &p.cadences[c];
    let enrolled = t.cadence_enrolled[c];
    cp.reasons
        .iter()
        .enumerate()
        .map(|(i, r)| (r.clone(), t.reasons[cp.reason_base + i]))
        .filter(|(_, n)| *n > 0)
        .map(|(r, n)| (r, n, share(n, enrolled)))
        .collect()
}

pub fn cadences_json(p: &Program, t: &Tally) -> Value {
    Value::Array(
        p.cadences
            .iter()
            .enumerate()
            .map(|(c, cp)| {
                json!({
                    "cadence": cp.name,
                    "stage": cp.stage.and_then(|s| p.stages.get(s)).map(|s| s.name.clone()),
                    "enrolled": t.cadence_enrolled[c],
                    "share_of_deals": share(t.cadence_enrolled[c], t.enrolled),
                    "exit_reasons": cadence_reasons(p, t, c).into_iter()
                        .map(|(r, n, s)| json!({"reason": r, "count": n, "share": s}))
                        .collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

/// One line per step of cadence `c`: reached, and its outcomes.
pub fn steps_text(p: &Program, t: &Tally, c: usize) -> String {
    let mut rows = Vec::new();
    for i in p.cadences[c].steps.clone() {
        let s = &p.steps[i];
        let mut outs: Vec<String> = s
            .channel
            .outcomes()
            .iter()
            .enumerate()
            .filter(|(k, _)| t.step_outcomes[i][*k] > 0)
            .map(|(k, n)| format!("{n} {}", t.step_outcomes[i][k]))
            .collect();
        if t.step_skipped[i] > 0 {
            outs.push(format!("skipped {} (exceptions)", t.step_skipped[i]));
        }
        rows.push(vec![
            s.name.clone(),
            s.channel.name().to_string(),
            t.step_reached[i].to_string(),
            outs.join(", "),
        ]);
    }
    layout("  ", &[Left, Left, Right, Left], &rows)
}

/// The per-cadence sections of a whole-pipeline report.
pub fn cadences_text(p: &Program, t: &Tally) -> String {
    cadences_text_from(p, t, 0)
}

/// The per-cadence sections of the cadences from index `first` on (a one-cadence run lists the
/// cadences it handed deals off to this way).
pub fn cadences_text_from(p: &Program, t: &Tally, first: usize) -> String {
    let mut o = String::new();
    for (c, cp) in p.cadences.iter().enumerate().skip(first) {
        let stage = cp
            .stage
            .and_then(|s| p.stages.get(s))
            .map(|s| format!("stage `{}`", s.name))
            .unwrap_or_else(|| "the whole pipeline".into());
        o.push_str(&format!(
            "\ncadence {} ({stage}): enrolled {} times ({:.2}% of deals)\n",
            cp.name,
            t.cadence_enrolled[c],
            100.0 * share(t.cadence_enrolled[c], t.enrolled)
        ));
        let ended: Vec<String> = cadence_reasons(p, t, c)
            .iter()
            .map(|(r, n, s)| format!("{r} {n} ({:.1}%)", 100.0 * s))
            .collect();
        if !ended.is_empty() {
            o.push_str(&format!("  ended: {}\n", ended.join(", ")));
        }
        o.push_str(&steps_text(p, t, c));
    }
    o
}
