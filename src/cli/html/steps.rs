//! The compare page's per-step funnels: both versions side by side for the steps whose funnel
//! differs (the JSON's `steps`, where `identical` is false), and the identical steps named.

use serde_json::Value;

use super::{bars_max, esc, fig_int, num, outcome_cells, section, table};

/// One cadence's steps as the page shows them: its title and the indices into `steps`.
struct Group {
    title: String,
    steps: Vec<usize>,
}

/// The cadence of a step on one side (`base` or `candidate`), if the step is there.
fn cadence<'a>(step: &'a Value, side: &str) -> Option<&'a str> {
    step[side]["cadence"].as_str()
}

/// Steps grouped by cadence, in the JSON's order. A candidate cadence is the base cadence its
/// steps are matched with (the same draws), so a step only the candidate has joins it.
fn groups(steps: &[Value]) -> Vec<Group> {
    let base_of = |cand: &str| {
        steps
            .iter()
            .find(|s| cadence(s, "candidate") == Some(cand))
            .and_then(|s| cadence(s, "base"))
            .unwrap_or(cand)
            .to_string()
    };
    let mut out: Vec<(String, Group)> = Vec::new();
    for (i, s) in steps.iter().enumerate() {
        let key = match (cadence(s, "base"), cadence(s, "candidate")) {
            (Some(b), _) => b.to_string(),
            (None, Some(c)) => base_of(c),
            (None, None) => continue,
        };
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, g)) => g.steps.push(i),
            None => out.push((
                key.clone(),
                Group {
                    title: key,
                    steps: vec![i],
                },
            )),
        }
    }
    // a cadence named differently in the candidate says both names
    for (key, g) in &mut out {
        let cand = g
            .steps
            .iter()
            .find_map(|&i| cadence(&steps[i], "candidate"))
            .filter(|c| c != key);
        if let Some(c) = cand {
            g.title = format!("{key} (base) / {c} (candidate)");
        }
    }
    out.into_iter().map(|(_, g)| g).collect()
}

/// `reached` of step `i` on a side, for a bar: (label, value, text).
fn bar(steps: &[Value], i: usize, side: &str) -> (String, f64, String) {
    let s = &steps[i];
    let name = s["step"].as_str().unwrap_or("").to_string();
    match s[side]["reached"].as_u64() {
        Some(n) => (name, n as f64, n.to_string()),
        None => (name, 0.0, "not in this version".into()),
    }
}

/// A side's reach, outcomes and passes of step `i` as figures, or a dash when it lacks it.
fn cells(doc: &Value, steps: &[Value], i: usize, side: &str) -> [String; 2] {
    let s = &steps[i][side];
    if s.is_null() {
        return ["–".into(), "not in this version".into()];
    }
    let p = |k: &str| format!("steps/{i}/{side}/{k}");
    let mut outs = outcome_cells(doc, s, &format!("steps/{i}/{side}"));
    if num(&s["skipped"]) > 0.0 {
        outs.push(format!("skipped {}", fig_int(doc, &p("skipped"))));
    }
    [fig_int(doc, &p("reached")), outs.join(", ")]
}

/// The sections of the per-step funnels.
pub(super) fn funnels(doc: &Value) -> String {
    let steps = doc["steps"].as_array().cloned().unwrap_or_default();
    if steps.is_empty() {
        return String::new();
    }
    let mut o = String::new();
    let names = |idx: &[usize]| {
        idx.iter()
            .map(|&i| format!("<b>{}</b>", esc(steps[i]["step"].as_str().unwrap_or(""))))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if steps.iter().all(|s| s["identical"] == Value::Bool(true)) {
        return format!(
            "<h2>Per-step funnels</h2><p>Every step's funnel is identical on both versions: {}.</p>\n",
            names(&(0..steps.len()).collect::<Vec<_>>())
        );
    }
    for g in groups(&steps) {
        let (same, differ): (Vec<usize>, Vec<usize>) = g
            .steps
            .iter()
            .copied()
            .partition(|&i| steps[i]["identical"] == Value::Bool(true));
        if differ.is_empty() {
            o.push_str(&format!(
                "<h2>Cadence {}: the same on both versions</h2><p>Every step's funnel is identical: {}.</p>\n",
                esc(&g.title),
                names(&same)
            ));
            continue;
        }
        let side = |name: &str| {
            differ
                .iter()
                .map(|&i| bar(&steps, i, name))
                .collect::<Vec<_>>()
        };
        let (b, c) = (side("base"), side("candidate"));
        // one scale for both charts, so bars compare across them
        let max = b.iter().chain(&c).map(|r| r.1).fold(0.0_f64, f64::max);
        let chart = |label: &str, rows: &[(String, f64, String)]| {
            format!(
                "<figure><figcaption>{}</figcaption>{}</figure>",
                esc(label),
                bars_max(rows, &format!("leads reaching each step: {label}"), max)
            )
        };
        let rows: Vec<Vec<String>> = differ
            .iter()
            .map(|&i| {
                let s = &steps[i];
                let channel = s["base"]["channel"]
                    .as_str()
                    .or(s["candidate"]["channel"].as_str())
                    .unwrap_or("");
                let title = s["candidate"]["title"]
                    .as_str()
                    .or(s["base"]["title"].as_str())
                    .unwrap_or("");
                let [rb, ob] = cells(doc, &steps, i, "base");
                let [rc, oc] = cells(doc, &steps, i, "candidate");
                vec![
                    esc(s["step"].as_str().unwrap_or("")),
                    esc(title),
                    esc(channel),
                    rb,
                    rc,
                    ob,
                    oc,
                ]
            })
            .collect();
        let same_text = if same.is_empty() {
            "<p>No step of this cadence is identical on both versions.</p>".to_string()
        } else {
            format!("<p>Identical on both versions: {}.</p>", names(&same))
        };
        o.push_str(&section(
            &format!("Cadence {}: the steps whose funnel differs", g.title),
            &format!("{}{}", chart("base", &b), chart("candidate", &c)),
            &format!(
                "{}{same_text}",
                table(
                    &[
                        "step",
                        "title",
                        "channel",
                        "reached (base)",
                        "reached (candidate)",
                        "outcomes (base, share of reached)",
                        "outcomes (candidate, share of reached)",
                    ],
                    &rows,
                )
            ),
        ));
    }
    o
}
