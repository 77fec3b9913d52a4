//! `simulate --report FILE.html` and `compare --report FILE.html`: one self-contained page (no
//! script, no network, no font of its own) read from the JSON report, so its figures are the
//! JSON's. Charts are hand-written SVG: a few bars, a curve and intervals need no plotting crate,
//! and hand-written SVG keeps the text as text (Chinese names render with the reader's fonts)
//! and every figure addressable. Each chart has its numbers in a table beside it; a figure taken
//! from the JSON carries its JSON path (`data-json`) and exact value (`data-value`).

use serde_json::Value;

mod steps;

/// HTML-escaped text.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

/// `12.34%`.
pub fn percent(x: f64) -> String {
    format!("{:.2}%", 100.0 * x)
}

/// A figure from the JSON at `path`, shown as `text`.
fn fig(path: &str, v: &Value, text: &str) -> String {
    format!(
        "<span class=\"fig\" data-json=\"{}\" data-value=\"{}\">{}</span>",
        esc(path),
        esc(&v.to_string()),
        esc(text)
    )
}

/// The value at a `/`-separated path (array indices as numbers).
fn at<'a>(doc: &'a Value, path: &str) -> &'a Value {
    doc.pointer(&format!("/{path}")).unwrap_or(&Value::Null)
}

fn fig_pct(doc: &Value, path: &str) -> String {
    let v = at(doc, path);
    fig(path, v, &percent(num(v)))
}

fn fig_days(doc: &Value, path: &str) -> String {
    let v = at(doc, path);
    match v.as_f64() {
        Some(x) => fig(path, v, &format!("{x:.1} days")),
        None => fig(path, v, "–"),
    }
}

fn fig_int(doc: &Value, path: &str) -> String {
    let v = at(doc, path);
    fig(
        path,
        v,
        &v.as_u64().map(|n| n.to_string()).unwrap_or_default(),
    )
}

const STYLE: &str = "body{font-family:'DejaVu Sans','WenQuanYi Micro Hei','Noto Sans CJK SC',sans-serif;margin:2em;color:#222;max-width:70em}\
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ccc}\
.chart{display:flex;gap:2em;align-items:flex-start;flex-wrap:wrap}\
table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #bbb;padding:.2em .5em;text-align:right}\
th:first-child,td:first-child,td.words{text-align:left}figure{margin:0}figcaption{font-weight:bold}.headline{font-size:1.1em;line-height:1.6}\
footer{margin-top:3em;font-size:.8em;color:#555}svg text{font-size:11px}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width\"><title>{}</title><style>{STYLE}</style></head>\n<body>\n{body}</body></html>\n",
        esc(title)
    )
}

/// Horizontal bars with their labels: (label, value, text shown); the longest bar is the max.
fn bars(rows: &[(String, f64, String)], title: &str) -> String {
    bars_max(
        rows,
        title,
        rows.iter().map(|r| r.1).fold(0.0_f64, f64::max),
    )
}

/// [`bars`] on a given scale: a bar of `max` is the longest (charts side by side share one).
fn bars_max(rows: &[(String, f64, String)], title: &str, max: f64) -> String {
    let max = max.max(1e-12);
    let label_w = 150.0;
    let (w, h) = (520.0, 22.0 * rows.len() as f64 + 10.0);
    let mut s = format!(
        "<svg role=\"img\" aria-label=\"{}\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">",
        esc(title)
    );
    for (i, (label, v, text)) in rows.iter().enumerate() {
        let y = 5.0 + 22.0 * i as f64;
        let bw = (w - label_w - 90.0) * v / max;
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><rect x=\"{label_w}\" y=\"{y}\" width=\"{bw:.1}\" height=\"16\" fill=\"#4a78b5\"/><text x=\"{:.1}\" y=\"{}\">{}</text>",
            label_w - 6.0,
            y + 12.0,
            esc(label),
            label_w + bw + 4.0,
            y + 12.0,
            esc(text)
        ));
    }
    s.push_str("</svg>");
    s
}

fn table(head: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = String::from("<table><tr>");
    for h in head {
        s.push_str(&format!("<th>{}</th>", esc(h)));
    }
    s.push_str("</tr>");
    for r in rows {
        s.push_str("<tr>");
        for c in r {
            s.push_str(&format!("<td>{c}</td>"));
        }
        s.push_str("</tr>");
    }
    s.push_str("</table>");
    s
}

fn section(title: &str, chart: &str, table: &str) -> String {
    format!(
        "<h2>{}</h2><div class=\"chart\">{chart}{table}</div>\n",
        esc(title)
    )
}

/// The page of `simulate --report`: one section per run of the JSON document.
pub fn simulation(doc: &Value) -> String {
    let mut body = String::new();
    let runs = doc["runs"].as_array().cloned().unwrap_or_default();
    for (i, _) in runs.iter().enumerate() {
        body.push_str(&run(doc, &format!("runs/{i}")));
    }
    let title = runs
        .first()
        .and_then(|r| r["simulation"].as_str())
        .unwrap_or("simulation");
    page(&format!("cadence simulate: {title}"), &body)
}

fn run(doc: &Value, base: &str) -> String {
    let r = at(doc, base);
    let p = |s: &str| format!("{base}/{s}");
    let mut o = String::new();
    let target = match (r["pipeline"].as_str(), r["cadence"].as_str()) {
        (Some(pl), _) => format!("pipeline {pl}"),
        (_, Some(c)) => format!("cadence {c}"),
        _ => String::new(),
    };
    o.push_str(&format!(
        "<h1>Simulation {} — {}</h1>\n",
        esc(r["simulation"].as_str().unwrap_or("")),
        esc(&target)
    ));
    // the headline, in words
    o.push_str(&format!(
        "<p class=\"headline\">Of {} deals, {} convert (95% interval {} to {}). \
Won deals take a median of {} (10% within {}, 90% within {}). Each lead gets {} touches on average.</p>\n",
        fig_int(doc, &p("enrolled")),
        fig_pct(doc, &p("conversion/rate")),
        fig_pct(doc, &p("conversion/wilson95/0")),
        fig_pct(doc, &p("conversion/wilson95/1")),
        fig_days(doc, &p("cycle_time_days/median")),
        fig_days(doc, &p("cycle_time_days/p10")),
        fig_days(doc, &p("cycle_time_days/p90")),
        {
            let v = at(doc, &p("touches_per_lead"));
            fig(&p("touches_per_lead"), v, &format!("{:.2}", num(v)))
        },
    ));
    // the stage funnel
    if let Some(stages) = r["stage_funnel"]["stages"].as_array() {
        let rows: Vec<(String, f64, String)> = stages
            .iter()
            .map(|s| {
                let n = num(&s["entries"]);
                (
                    s["stage"].as_str().unwrap_or("").to_string(),
                    n,
                    format!("{n}"),
                )
            })
            .collect();
        let t: Vec<Vec<String>> = (0..stages.len())
            .map(|i| {
                let q = |k: &str| p(&format!("stage_funnel/stages/{i}/{k}"));
                vec![
                    esc(stages[i]["stage"].as_str().unwrap_or("")),
                    fig_int(doc, &q("entries")),
                    fig_int(doc, &q("advanced")),
                    fig_int(doc, &q("lost")),
                    fig_int(doc, &q("back")),
                    fig_int(doc, &q("open_at_horizon")),
                ]
            })
            .collect();
        let lost = match r["stage_funnel"]["lost_most"]["stage"].as_str() {
            Some(s) => format!(
                "<p>Most deals are lost in <b>{}</b>: {} of its entries.</p>",
                esc(s),
                fig_pct(doc, &p("stage_funnel/lost_most/share_of_entries"))
            ),
            None => String::new(),
        };
        o.push_str(&section(
            "Stage funnel: deals entering each stage",
            &bars(&rows, "deals entering each stage"),
            &format!(
                "{}{lost}",
                table(
                    &["stage", "entries", "moved on", "lost", "back", "open"],
                    &t
                )
            ),
        ));
    }
    // per step, per cadence
    if let Some(steps) = r["steps"].as_array() {
        let mut cadences: Vec<&str> = steps.iter().filter_map(|s| s["cadence"].as_str()).collect();
        cadences.dedup();
        for c in cadences {
            let idx: Vec<usize> = (0..steps.len())
                .filter(|&i| steps[i]["cadence"].as_str() == Some(c))
                .collect();
            // a cadence no deal reached has nothing to draw
            if idx.iter().all(|&i| num(&steps[i]["reached"]) == 0.0) {
                continue;
            }
            let rows: Vec<(String, f64, String)> = idx
                .iter()
                .map(|&i| {
                    let n = num(&steps[i]["reached"]);
                    (
                        steps[i]["step"].as_str().unwrap_or("").to_string(),
                        n,
                        format!("{n}"),
                    )
                })
                .collect();
            let t: Vec<Vec<String>> = idx
                .iter()
                .map(|&i| {
                    let outs = outcome_cells(doc, &steps[i], &p(&format!("steps/{i}")));
                    vec![
                        esc(steps[i]["step"].as_str().unwrap_or("")),
                        esc(steps[i]["title"].as_str().unwrap_or("")),
                        esc(steps[i]["channel"].as_str().unwrap_or("")),
                        fig_int(doc, &p(&format!("steps/{i}/reached"))),
                        outs.join(", "),
                    ]
                })
                .collect();
            o.push_str(&section(
                &format!("Cadence {c}: leads reaching each step, and its outcomes"),
                &bars(&rows, &format!("leads reaching each step of {c}")),
                &table(
                    &[
                        "step",
                        "title",
                        "channel",
                        "reached",
                        "outcomes (share of reached)",
                    ],
                    &t,
                ),
            ));
        }
    }
    o.push_str(&cycle_and_curve(doc, base));
    // exit reasons
    let reasons: Vec<(String, String)> = match r["exit_reasons"].as_array() {
        Some(a) => (0..a.len())
            .map(|i| (format!("exit_reasons/{i}"), String::new()))
            .collect(),
        None => r["cadences"]
            .as_array()
            .map(|cs| {
                cs.iter()
                    .enumerate()
                    .flat_map(|(c, x)| {
                        let name = x["cadence"].as_str().unwrap_or("").to_string();
                        (0..x["exit_reasons"].as_array().map_or(0, Vec::len))
                            .map(move |i| (format!("cadences/{c}/exit_reasons/{i}"), name.clone()))
                    })
                    .collect()
            })
            .unwrap_or_default(),
    };
    if !reasons.is_empty() {
        let rows: Vec<(String, f64, String)> = reasons
            .iter()
            .map(|(q, c)| {
                let x = at(r, q);
                let label = format!(
                    "{}{}",
                    if c.is_empty() {
                        String::new()
                    } else {
                        format!("{c}: ")
                    },
                    x["reason"].as_str().unwrap_or("")
                );
                (label, num(&x["count"]), format!("{}", num(&x["count"])))
            })
            .collect();
        let t: Vec<Vec<String>> = reasons
            .iter()
            .zip(&rows)
            .map(|((q, _), (label, _, _))| {
                vec![
                    esc(label),
                    fig_int(doc, &p(&format!("{q}/count"))),
                    fig_pct(doc, &p(&format!("{q}/share"))),
                ]
            })
            .collect();
        o.push_str(&section(
            "Why cadences ended",
            &bars(&rows, "exit reasons"),
            &table(&["reason", "deals", "share"], &t),
        ));
    }
    // workload
    if let Some(w) = r["workload_per_working_day"].as_object() {
        let rows: Vec<(String, f64, String)> = w
            .iter()
            .map(|(k, v)| (k.clone(), num(v), format!("{:.1}", num(v))))
            .collect();
        let t: Vec<Vec<String>> = w
            .iter()
            .map(|(k, v)| {
                vec![
                    esc(k),
                    fig(
                        &p(&format!("workload_per_working_day/{k}")),
                        v,
                        &format!("{:.1}", num(v)),
                    ),
                ]
            })
            .collect();
        o.push_str(&section(
            "Workload per working day, by channel",
            &bars(&rows, "touches per working day"),
            &table(&["channel", "touches per working day"], &t),
        ));
    }
    if let Some(s) = r["held_back_most"]["stage"].as_str() {
        o.push_str(&format!(
            "<h2>The gate that held deals back most</h2><p><code>{}</code> in stage <b>{}</b>, for {} deals still open at the horizon.</p>\n",
            esc(r["held_back_most"]["condition"].as_str().unwrap_or("")),
            esc(s),
            fig_int(doc, &p("held_back_most/leads"))
        ));
    }
    o.push_str(&format!(
        "<footer>Scenario: start {}, arrivals over {} days, horizon {} days, seed {}, {} leads ({} enrolled: {} won, {} lost, {} open at the horizon). \
cadence {}.</footer>\n",
        esc(r["start"].as_str().unwrap_or("")),
        fig(&p("arrival_window_days"), &r["arrival_window_days"], &format!("{}", num(&r["arrival_window_days"]))),
        fig(&p("horizon_days"), &r["horizon_days"], &format!("{}", num(&r["horizon_days"]))),
        fig_int(doc, &p("seed")),
        fig_int(doc, &p("leads")),
        fig_int(doc, &p("enrolled")),
        fig_int(doc, &p("won")),
        fig_int(doc, &p("lost")),
        fig_int(doc, &p("open_at_horizon")),
        esc(r["compiler_version"].as_str().unwrap_or("")),
    ));
    o
}

/// The cycle-time distribution of won deals and the converted-by-day curve with its band.
fn cycle_and_curve(doc: &Value, base: &str) -> String {
    let r = at(doc, base);
    let Some(days) = r["converted_by_day"].as_array().filter(|d| !d.is_empty()) else {
        return String::new();
    };
    let (w, h, left, bottom) = (520.0, 220.0, 50.0, 30.0);
    let n = days.len() as f64;
    let x = |d: f64| left + (w - left - 10.0) * d / n;
    let top = days
        .iter()
        .map(|d| num(&d["wilson95"][1]))
        .fold(0.0_f64, f64::max)
        .max(1e-9);
    let y = |s: f64| (h - bottom) - (h - bottom - 10.0) * s / top;
    let mut band_up = Vec::new();
    let mut band_down = Vec::new();
    let mut line = Vec::new();
    for d in days {
        let day = num(&d["day"]);
        line.push(format!("{:.1},{:.1}", x(day), y(num(&d["share"]))));
        band_up.push(format!("{:.1},{:.1}", x(day), y(num(&d["wilson95"][1]))));
        band_down.push(format!("{:.1},{:.1}", x(day), y(num(&d["wilson95"][0]))));
    }
    band_down.reverse();
    let axis = format!(
        "<line x1=\"{left}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"#444\"/><line x1=\"{left}\" y1=\"10\" x2=\"{left}\" y2=\"{b}\" stroke=\"#444\"/>\
<text x=\"{left}\" y=\"{t}\">day 0</text><text x=\"{r}\" y=\"{t}\" text-anchor=\"end\">day {n}</text><text x=\"{l2}\" y=\"14\" text-anchor=\"end\">{top}</text>",
        b = h - bottom,
        r = w - 10.0,
        t = h - bottom + 16.0,
        l2 = left - 4.0,
        top = percent(top)
    );
    let curve = format!(
        "<svg role=\"img\" aria-label=\"converted by day\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">{axis}\
<polygon points=\"{} {}\" fill=\"#9bb8de\" fill-opacity=\"0.6\"/><polyline points=\"{}\" fill=\"none\" stroke=\"#1d4f91\" stroke-width=\"2\"/></svg>",
        band_up.join(" "),
        band_down.join(" "),
        line.join(" ")
    );
    // the table: the JSON's milestones, and every 30th day of the curve
    let mut rows = Vec::new();
    for (i, d) in days.iter().enumerate() {
        let day = num(&d["day"]) as u64;
        if day % 30 == 0 || i + 1 == days.len() {
            let q = |k: &str| format!("{base}/converted_by_day/{i}/{k}");
            rows.push(vec![
                format!("{day}"),
                fig_pct(doc, &q("share")),
                format!(
                    "{} – {}",
                    fig_pct(doc, &q("wilson95/0")),
                    fig_pct(doc, &q("wilson95/1"))
                ),
            ]);
        }
    }
    let mut o = section(
        "Converted by day, with its 95% interval",
        &curve,
        &table(&["day", "converted", "95% interval"], &rows),
    );
    // the distribution of won deals' cycle time: won per week
    let weeks: Vec<(String, f64, String)> = days
        .chunks(7)
        .enumerate()
        .map(|(k, c)| {
            let won: f64 = c.iter().map(|d| num(&d["won_that_day"])).sum();
            (format!("week {}", k + 1), won, format!("{won}"))
        })
        .filter(|r| r.1 > 0.0)
        .collect();
    let q = |k: &str| format!("{base}/cycle_time_days/{k}");
    let pct_rows = vec![
        vec!["p10".to_string(), fig_days(doc, &q("p10"))],
        vec!["median".to_string(), fig_days(doc, &q("median"))],
        vec!["p90".to_string(), fig_days(doc, &q("p90"))],
        vec!["mean".to_string(), fig_days(doc, &q("mean"))],
    ];
    let week_rows: Vec<Vec<String>> = weeks.iter().map(|(l, _, t)| vec![esc(l), esc(t)]).collect();
    o.push_str(&section(
        "Cycle time of won deals (won per week after enrolment)",
        &bars(&weeks, "won deals per week of cycle time"),
        &format!(
            "{}{}",
            table(&["percentile", "cycle time"], &pct_rows),
            table(&["week", "won"], &week_rows)
        ),
    ));
    o
}

/// The page of `compare --report`.
pub fn comparison(doc: &Value) -> String {
    let mut o = format!(
        "<h1>Compare {} with {}</h1>\n",
        esc(doc["base"].as_str().unwrap_or("")),
        esc(doc["candidate"].as_str().unwrap_or(""))
    );
    o.push_str(&format!(
        "<p class=\"headline\">On the same {} synthetic leads ({} enrolled), the base converts {} and the candidate {}: \
a paired difference of {} points (95% interval {} to {}). {} of leads had a different result.</p>\n",
        fig_int(doc, "leads"),
        fig_int(doc, "enrolled"),
        fig_pct(doc, "conversion/base"),
        fig_pct(doc, "conversion/candidate"),
        pp(doc, "conversion/difference"),
        pp(doc, "conversion/ci95_paired_newcombe/0"),
        pp(doc, "conversion/ci95_paired_newcombe/1"),
        fig_pct(doc, "share_changed"),
    ));
    for d in doc["differences"].as_array().into_iter().flatten() {
        o.push_str(&format!(
            "<p>Note: the sides differ in {}.</p>",
            esc(d.as_str().unwrap_or(""))
        ));
    }
    // the difference as an interval around zero
    let (d, lo, hi) = (
        num(&doc["conversion"]["difference"]),
        num(&doc["conversion"]["ci95_paired_newcombe"][0]),
        num(&doc["conversion"]["ci95_paired_newcombe"][1]),
    );
    let rows = vec![
        vec!["base".to_string(), fig_pct(doc, "conversion/base")],
        vec![
            "candidate".to_string(),
            fig_pct(doc, "conversion/candidate"),
        ],
        vec![
            "difference (points)".to_string(),
            pp(doc, "conversion/difference"),
        ],
        vec![
            "95% paired interval".to_string(),
            format!(
                "{} to {}",
                pp(doc, "conversion/ci95_paired_newcombe/0"),
                pp(doc, "conversion/ci95_paired_newcombe/1")
            ),
        ],
    ];
    o.push_str(&section(
        "Conversion: candidate minus base",
        &interval_svg(&[("conversion".into(), d, lo, hi, "points".into())], 100.0),
        &table(&["", "value"], &rows),
    ));
    let base_rate = num(&doc["conversion"]["base"]);
    let cand_rate = num(&doc["conversion"]["candidate"]);
    o.push_str(&section(
        "Conversion side by side",
        &bars(
            &[
                ("base".into(), base_rate, percent(base_rate)),
                ("candidate".into(), cand_rate, percent(cand_rate)),
            ],
            "conversion of each version",
        ),
        &table(
            &["pairs", "leads"],
            &[
                vec!["won on both".into(), fig_int(doc, "pairs/both_won")],
                vec![
                    "only with the base".into(),
                    fig_int(doc, "pairs/only_base_won"),
                ],
                vec![
                    "only with the candidate".into(),
                    fig_int(doc, "pairs/only_candidate_won"),
                ],
                vec!["on neither".into(), fig_int(doc, "pairs/neither")],
            ],
        ),
    ));
    let mut ivs = Vec::new();
    let mut rows = Vec::new();
    for k in ["median", "p90"] {
        let v = &doc["cycle_time"][k];
        if v.is_null() {
            rows.push(vec![
                k.to_string(),
                "not enough won deals".into(),
                String::new(),
            ]);
            continue;
        }
        ivs.push((
            format!("cycle {k}"),
            num(&v["difference_days"]),
            num(&v["ci95"][0]),
            num(&v["ci95"][1]),
            "days".to_string(),
        ));
        let q = |s: &str| format!("cycle_time/{k}/{s}");
        let days = |s: &str| {
            let x = at(doc, &q(s));
            fig(&q(s), x, &format!("{:+.1} d", num(x)))
        };
        rows.push(vec![
            k.to_string(),
            days("difference_days"),
            format!("{} to {}", days("ci95/0"), days("ci95/1")),
        ]);
    }
    o.push_str(&section(
        "Cycle-time percentiles: candidate minus base",
        &interval_svg(&ivs, 1.0),
        &table(&["percentile", "difference", "95% interval"], &rows),
    ));
    o.push_str(&steps::funnels(doc));
    o.push_str(&format!(
        "<footer>Seed {}, horizon {} days. cadence {}.</footer>\n",
        fig_int(doc, "seed"),
        fig(
            "horizon_days/base",
            &doc["horizon_days"]["base"],
            &format!("{}", num(&doc["horizon_days"]["base"]))
        ),
        esc(doc["compiler_version"].as_str().unwrap_or(""))
    ));
    page("cadence compare", &o)
}

/// A difference in percentage points, signed.
fn pp(doc: &Value, path: &str) -> String {
    let v = at(doc, path);
    fig(path, v, &format!("{:+.2}", 100.0 * num(v)))
}

/// The widest a character of the charts' text is (11px DejaVu Sans; digits are 7px).
const TEXT_PX: f64 = 7.0;

/// Intervals around zero: (label, estimate, low, high, unit), values × `scale` shown.
fn interval_svg(ivs: &[(String, f64, f64, f64, String)], scale: f64) -> String {
    let estimate = |e: f64, unit: &str| format!("{:+.2} {}", e * scale, unit);
    // the estimate is written right of its interval's end, which may be the chart's edge: room
    // for the longest one (11px DejaVu Sans: at most 7px a character)
    let room = ivs
        .iter()
        .map(|i| estimate(i.1, &i.4).chars().count())
        .max()
        .unwrap_or(0) as f64
        * TEXT_PX
        + 12.0;
    let (plot, left) = (380.0, 120.0);
    let w = left + plot + room;
    let h = 30.0 * ivs.len() as f64 + 30.0;
    let m = ivs
        .iter()
        .flat_map(|i| [i.2.abs(), i.3.abs(), i.1.abs()])
        .fold(0.0_f64, f64::max)
        .max(1e-9);
    let x = |v: f64| left + plot * (v + m) / (2.0 * m);
    let mut s = format!(
        "<svg role=\"img\" aria-label=\"differences with intervals\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">\
<line x1=\"{z:.1}\" y1=\"5\" x2=\"{z:.1}\" y2=\"{b}\" stroke=\"#888\" stroke-dasharray=\"3,3\"/><text x=\"{z:.1}\" y=\"{t}\" text-anchor=\"middle\">0</text>",
        z = x(0.0),
        b = h - 20.0,
        t = h - 6.0
    );
    for (i, (label, e, lo, hi, unit)) in ivs.iter().enumerate() {
        let y = 20.0 + 30.0 * i as f64;
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
<line x1=\"{:.1}\" y1=\"{y}\" x2=\"{:.1}\" y2=\"{y}\" stroke=\"#1d4f91\" stroke-width=\"2\"/>\
<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#1d4f91\"/><line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#1d4f91\"/>\
<circle cx=\"{:.1}\" cy=\"{y}\" r=\"4\" fill=\"#1d4f91\"/><text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            left - 6.0,
            y + 4.0,
            esc(label),
            x(*lo),
            x(*hi),
            x(*lo),
            y - 6.0,
            x(*lo),
            y + 6.0,
            x(*hi),
            y - 6.0,
            x(*hi),
            y + 6.0,
            x(*e),
            x(*hi) + 6.0,
            y + 4.0,
            esc(&estimate(*e, unit)),
        ));
    }
    s.push_str("</svg>");
    s
}

/// A step's outcomes (those it had) as `name count (share of reached)`, the count read from the
/// document at `path` (a step's JSON pointer) so the DOM carries the JSON's own figure.
fn outcome_cells(doc: &Value, step: &Value, path: &str) -> Vec<String> {
    let reached = num(&step["reached"]).max(1.0);
    step["outcomes"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(_, v)| num(v) > 0.0)
                .map(|(k, v)| {
                    format!(
                        "{} {} ({})",
                        esc(k),
                        fig_int(doc, &format!("{path}/outcomes/{k}")),
                        percent(num(v) / reached)
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every text of the interval chart ends inside the chart, also the estimate written right
    /// of an interval that reaches the chart's edge.
    #[test]
    fn interval_labels_fit_inside_the_chart() {
        let ivs = [
            (
                "conversion".to_string(),
                0.0203,
                0.0101,
                0.0305,
                "points".to_string(),
            ),
            ("p90".to_string(), -2.5, -3.0, 0.0, "days".to_string()),
        ];
        let svg = interval_svg(&ivs, 100.0);
        let width: f64 = svg
            .split("width=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        for piece in svg.split("<text x=\"").skip(1) {
            let x: f64 = piece.split('"').next().unwrap().parse().unwrap();
            let text = piece.split('>').nth(1).unwrap().split('<').next().unwrap();
            let end = if piece.contains("text-anchor=\"end\"") {
                x
            } else if piece.contains("text-anchor=\"middle\"") {
                x + text.chars().count() as f64 * TEXT_PX / 2.0
            } else {
                x + text.chars().count() as f64 * TEXT_PX
            };
            assert!(
                end <= width,
                "{text:?} ends at {end}, the chart is {width} wide"
            );
        }
        assert!(svg.contains(">+2.03 points<"), "{svg}");
    }
}
