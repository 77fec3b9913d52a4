//! `--format markdown` of `simulate` and `compare`: the headline figures for a pull-request
//! comment or a job summary. Read from the JSON report, so both formats say the same numbers.

use std::fmt::Write as _;

use serde_json::Value;

/// A whole number with thousands separators (`12,345`).
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn percent(v: &Value) -> String {
    v.as_f64()
        .map_or_else(|| "–".into(), |x| format!("{:.2}%", 100.0 * x))
}

fn days(v: &Value) -> String {
    v.as_f64()
        .map_or_else(|| "–".into(), |x| format!("{x:.1}d"))
}

/// A count, or a share of the enrolled leads in an exact report (where counts are expectations).
fn count(v: &Value) -> String {
    match v.as_u64() {
        Some(n) => thousands(n),
        None => percent(v),
    }
}

fn simulation(out: &mut String, r: &Value) {
    let exact = r["method"] == "exact";
    let name = r["simulation"].as_str().unwrap_or("");
    let _ = writeln!(out, "### Simulation `{name}`\n");
    let target = match (r["pipeline"].as_str(), r["cadence"].as_str()) {
        (Some(p), _) => format!("Pipeline `{p}`"),
        (None, Some(c)) => format!("Cadence `{c}`"),
        _ => "The run".into(),
    };
    let leads = if exact {
        "the exact answer (no sampling)".to_string()
    } else {
        format!(
            "{} leads (seed {})",
            thousands(r["leads"].as_u64().unwrap_or(0)),
            r["seed"]
        )
    };
    let _ = writeln!(
        out,
        "{target} over lead model `{}`: {leads}, start {}, horizon {}d.\n",
        r["leads_model"].as_str().unwrap_or(""),
        r["start"].as_str().unwrap_or(""),
        r["horizon_days"].as_f64().unwrap_or(0.0)
    );
    let conv = &r["conversion"];
    let interval = if exact {
        format!(
            "exact, ±{:.4} pp",
            100.0 * conv["tolerance"].as_f64().unwrap_or(0.0)
        )
    } else {
        format!(
            "95% CI {} to {}",
            percent(&conv["wilson95"][0]),
            percent(&conv["wilson95"][1])
        )
    };
    let cycle = &r["cycle_time_days"];
    let _ = writeln!(out, "| figure | value |\n|---|---:|");
    let _ = writeln!(
        out,
        "| conversion | **{}** ({interval}) |",
        percent(&conv["rate"])
    );
    let _ = writeln!(
        out,
        "| won / lost / open at the horizon | {} / {} / {} |",
        count(&r["won"]),
        count(&r["lost"]),
        count(&r["open_at_horizon"])
    );
    let _ = writeln!(
        out,
        "| cycle time of won leads | median {}, p90 {} |",
        days(&cycle["median"]),
        days(&cycle["p90"])
    );
    if let Some(t) = r["touches_per_lead"].as_f64() {
        let _ = writeln!(out, "| touches per lead | {t:.2} |");
    }
    out.push('\n');
}

/// Every run of `simulate --format markdown`, one section each.
pub fn simulations(runs: &[Value]) -> String {
    let mut out = String::new();
    for r in runs {
        simulation(&mut out, r);
    }
    out
}

/// `compare --format markdown`: the paired difference with its interval, and what it means.
pub fn comparison(c: &Value) -> String {
    let mut out = String::new();
    let (base, cand) = (
        c["base"].as_str().unwrap_or(""),
        c["candidate"].as_str().unwrap_or(""),
    );
    let _ = writeln!(out, "### What-if: {cand} against {base}\n");
    let _ = writeln!(
        out,
        "The same {} synthetic leads on both sides (seed {}), {} enrolled, horizon {}d.\n",
        thousands(c["leads"].as_u64().unwrap_or(0)),
        c["seed"],
        thousands(c["enrolled"].as_u64().unwrap_or(0)),
        c["horizon_days"]["base"].as_f64().unwrap_or(0.0)
    );
    let conv = &c["conversion"];
    let pp = |v: &Value| {
        v.as_f64()
            .map_or_else(|| "–".into(), |x| format!("{:+.2} pp", 100.0 * x))
    };
    let ci = &conv["ci95_paired_newcombe"];
    let _ = writeln!(
        out,
        "| | base | candidate | difference (95% paired CI) |\n|---|---:|---:|---:|"
    );
    let _ = writeln!(
        out,
        "| conversion | {} | {} | **{}** ({} to {}) |",
        percent(&conv["base"]),
        percent(&conv["candidate"]),
        pp(&conv["difference"]),
        pp(&ci[0]),
        pp(&ci[1])
    );
    let cycle = &c["cycle_time"];
    let _ = writeln!(
        out,
        "| mean cycle time of won leads | {} | {} | |",
        days(&cycle["mean_days"]["base"]),
        days(&cycle["mean_days"]["candidate"])
    );
    for name in ["median", "p90"] {
        let x = &cycle[name];
        let signed = |v: &Value| {
            v.as_f64()
                .map_or_else(|| "–".into(), |d| format!("{d:+.1}d"))
        };
        let cell = if x.is_null() {
            "not enough won leads".to_string()
        } else {
            format!(
                "{} ({} to {})",
                signed(&x["difference_days"]),
                signed(&x["ci95"][0]),
                signed(&x["ci95"][1])
            )
        };
        let _ = writeln!(out, "| {name} cycle time | | | {cell} |");
    }
    let (lo, hi) = (ci[0].as_f64(), ci[1].as_f64());
    let verdict = match (lo, hi) {
        (Some(lo), _) if lo > 0.0 => {
            "The candidate converts more: the whole interval is above zero."
        }
        (_, Some(hi)) if hi < 0.0 => {
            "The candidate converts less: the whole interval is below zero."
        }
        _ => "No difference in conversion shown: the interval includes zero.",
    };
    let pairs = &c["pairs"];
    let _ = writeln!(
        out,
        "\n{verdict} {} of leads end differently (won only with the candidate: {}, only with the base: {}).",
        percent(&c["share_changed"]),
        count(&pairs["only_candidate_won"]),
        count(&pairs["only_base_won"])
    );
    for d in c["differences"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "\n> note: the sides differ in {}",
            d.as_str().unwrap_or("")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_as_people_write_them() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(percent(&serde_json::json!(0.12345)), "12.35%");
        assert_eq!(percent(&Value::Null), "–");
        assert_eq!(days(&serde_json::json!(3.04)), "3.0d");
    }

    #[test]
    fn the_verdict_follows_the_interval() {
        let doc = |lo: f64, hi: f64| {
            serde_json::json!({"base": "b", "candidate": "c", "leads": 10, "seed": 1, "enrolled": 10,
                "horizon_days": {"base": 90.0}, "differences": [],
                "conversion": {"base": 0.1, "candidate": 0.12, "difference": 0.02, "ci95_paired_newcombe": [lo, hi]},
                "pairs": {"only_candidate_won": 2, "only_base_won": 0}, "share_changed": 0.2,
                "cycle_time": {"mean_days": {"base": 10.0, "candidate": 9.0}, "median": null, "p90": null}})
        };
        assert!(comparison(&doc(0.01, 0.03)).contains("converts more"));
        assert!(comparison(&doc(-0.03, -0.01)).contains("converts less"));
        assert!(comparison(&doc(-0.01, 0.03)).contains("No difference"));
    }
}
