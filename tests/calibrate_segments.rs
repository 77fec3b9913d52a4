//! `cadence calibrate --by COLUMN`: an export that mixes two sub-populations with different
//! conversion shares. Each segment's fitted share holds its own truth inside its 95% interval
//! over seeds, where the pooled fit holds neither; the written block (segments included)
//! checks with the project; a value below the floor is reported, not fitted.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly

use std::fmt::Write as _;
use std::process::Command;

use cadence::model::Dist;
use cadence::simulate::exact::quad::quantile;
use serde_json::Value;

fn cadence(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cadence"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
}

const PIPELINE: &str = r#"
pipeline sales {
  events demo_held, contract_signed
  stage lead {
    exit to needs when demo_held
    exit to lost when idle > 60d
  }
  stage needs {
    exit to won when contract_signed
    exit to lost when idle > 60d
  }
  stage won { outcome won }
  stage lost { outcome lost }
}
"#;

/// The truth per segment: (column value, deals, share of leads that hold a demo). The demo
/// comes after gamma(mean 10d, shape 2), else the deal is lost at 60 days; in needs, 50% sign
/// after lognormal(median 20d, p90 50d). Deals arrive over 150 days; the export is on day 150.
const TRUTH: [(&str, usize, f64); 3] = [
    ("Enterprise", 500, 0.35),
    ("Mid-Market", 500, 0.75),
    ("Partner", 20, 0.5),
];

/// `Deal ID;Stage;Entered At;Segment`, the segment written on a deal's first row only (later
/// rows leave it empty, as exports of a field set at creation do).
fn stage_history(seed: u64) -> String {
    let mut rng = Rng(seed);
    let demo = Dist::Gamma {
        mean: 10.0,
        shape: 2.0,
    };
    let sign = Dist::LogNormal {
        mu: 20f64.ln(),
        sigma: (50.0f64 / 20.0).ln() / 1.281_551_565_544_600_4,
    };
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    let at = |days: f64| {
        (start + chrono::Duration::seconds((days * 86_400.0) as i64)).format("%Y-%m-%d %H:%M")
    };
    let end = 150.0;
    let mut csv = String::from("Deal ID;Stage;Entered At;Segment\n");
    let mut d = 0;
    for (segment, deals, demo_share) in TRUTH {
        for _ in 0..deals {
            d += 1;
            let mut t = end * rng.uniform();
            let _ = writeln!(csv, "D{d};lead;{};{segment}", at(t));
            for (share, delay, next) in [(demo_share, &demo, "needs"), (0.5, &sign, "won")] {
                let delay = quantile(delay, rng.uniform());
                let moves = rng.uniform() < share && delay < 60.0;
                let after = if moves { delay } else { 60.0 };
                if t + after > end {
                    break; // still open on the export date
                }
                t += after;
                let _ = writeln!(csv, "D{d};{};{};", if moves { next } else { "lost" }, at(t));
                if !moves {
                    break;
                }
            }
        }
    }
    csv
}

fn calibrate(dir: &std::path::Path, csv: &str, extra: &[&str]) -> (i32, String, String) {
    std::fs::write(dir.join("sales.cadence"), PIPELINE).unwrap();
    let file = dir.join("history.csv");
    std::fs::write(&file, csv).unwrap();
    let project = dir.join("sales.cadence");
    let args = [
        "calibrate",
        file.to_str().unwrap(),
        "--kind",
        "stages",
        "--map",
        "deal=Deal ID,entered=Entered At",
        "--project",
        project.to_str().unwrap(),
    ];
    cadence(&[&args[..], extra].concat())
}

/// The gamma fit's share of the `lead` → `needs` move in a calibration's JSON.
fn demo_share(c: &Value) -> &Value {
    let stage = c["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == "lead")
        .unwrap();
    let t = stage["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["to"] == "needs")
        .unwrap();
    let gamma = t["fits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["family"] == "gamma")
        .unwrap();
    &gamma["share"]
}

fn inside(e: &Value, truth: f64) -> bool {
    e["low"].as_f64().unwrap() <= truth && truth <= e["high"].as_f64().unwrap()
}

#[test]
fn each_segment_holds_its_own_share_where_the_pooled_fit_holds_neither() {
    let dir = tempfile::tempdir().unwrap();
    let seeds = 12;
    let (mut own_in, mut pooled_in) = ([0; 2], 0);
    for seed in 0..seeds {
        let (code, json, err) = calibrate(
            dir.path(),
            &stage_history(seed),
            &["--by", "segment", "--format", "json"],
        );
        assert_eq!(code, 0, "{err}");
        let v: Value = serde_json::from_str(&json).unwrap();
        let segs = v["segments"]["segments"].as_array().unwrap();
        assert_eq!(segs.len(), 2, "{}", v["segments"]);
        for (i, (value, deals, truth)) in TRUTH[..2].iter().enumerate() {
            let s = &segs[i];
            assert_eq!(s["value"], *value);
            assert_eq!(s["n"].as_u64(), Some(*deals as u64));
            assert!((s["share"].as_f64().unwrap() - *deals as f64 / 1020.0).abs() < 1e-12);
            own_in[i] += usize::from(inside(demo_share(&s["fit"]), *truth));
        }
        let pooled = demo_share(&v);
        pooled_in += usize::from(inside(pooled, 0.35) || inside(pooled, 0.75));
    }
    assert!(
        own_in[0] >= 10 && own_in[1] >= 10,
        "segments held their truth in {own_in:?} of {seeds}"
    );
    assert_eq!(pooled_in, 0, "the pooled share held a segment's truth");
}

#[test]
fn the_block_with_segments_checks_and_reports_the_small_value() {
    let dir = tempfile::tempdir().unwrap();
    let csv = stage_history(3);
    let (code, json, err) = calibrate(dir.path(), &csv, &["--by", "Segment", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&json).unwrap();
    let small = &v["segments"]["small"];
    assert_eq!(small.as_array().unwrap().len(), 1, "{small}");
    assert_eq!(
        (&small[0]["value"], small[0]["n"].as_u64()),
        (&Value::from("Partner"), Some(20))
    );
    let (code, block, err) = calibrate(dir.path(), &csv, &["--by", "Segment"]);
    assert_eq!(code, 0, "{err}");
    // 500 of 1020 deals is 49.0196…%: rounded down to 49.01%, so the two add up to 98.02%
    assert!(block.contains("  segment enterprise 49.01% {"), "{block}");
    assert!(block.contains("  segment mid_market 49.01% {"), "{block}");
    assert!(
        block.contains("`Partner`: 20 below 50: not fitted alone"),
        "{block}"
    );
    // each segment holds its own demo milestone
    let segment = |name: &str| {
        let from = block.find(&format!("segment {name} ")).unwrap();
        let len = block[from..].find("\n  }\n").unwrap();
        block[from..from + len].to_string()
    };
    for name in ["enterprise", "mid_market"] {
        assert!(
            segment(name).contains("    milestone demo_held in lead "),
            "{block}"
        );
    }
    std::fs::write(dir.path().join("history.cadence"), &block).unwrap();
    let (code, _, err) = cadence(&[
        "check",
        dir.path().join("sales.cadence").to_str().unwrap(),
        dir.path().join("history.cadence").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}\n{block}");
    // a lower floor fits the small value too
    let (code, block, err) = calibrate(
        dir.path(),
        &csv,
        &["--by", "Segment", "--min-segment", "10"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(block.contains("  segment partner 1.96% {"), "{block}");
}

#[test]
fn an_unknown_column_names_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = calibrate(dir.path(), &stage_history(1), &["--by", "Segmnet"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`--by Segmnet`: no such column"), "{err}");
    assert!(
        err.contains("Deal ID, Stage, Entered At, Segment")
            && err.contains("did you mean `Segment`"),
        "{err}"
    );
}

#[test]
fn deal_snapshots_and_activity_logs_split_by_a_column() {
    let dir = tempfile::tempdir().unwrap();
    // snapshots: won 20% in one region, 60% in the other, after 10 days; lost at 30 days
    let mut rng = Rng(9);
    let mut csv = String::from("created,closed,result,Region\n");
    let day = |d: f64| {
        (chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_time(chrono::NaiveTime::MIN)
            + chrono::Duration::minutes((d * 1440.0) as i64))
        .format("%Y-%m-%d %H:%M")
        .to_string()
    };
    for (region, won) in [("north", 0.2), ("south", 0.6)] {
        for _ in 0..400 {
            let created = 100.0 * rng.uniform();
            let wins = rng.uniform() < won;
            let closed = created
                + if wins {
                    5.0 + 10.0 * rng.uniform()
                } else {
                    30.0
                };
            let (closed, result) = if closed > 100.0 {
                (String::new(), "open")
            } else {
                (day(closed), if wins { "won" } else { "lost" })
            };
            let _ = writeln!(csv, "{},{closed},{result},{region}", day(created));
        }
    }
    let file = dir.path().join("deals.csv");
    std::fs::write(&file, &csv).unwrap();
    let (code, json, err) = cadence(&[
        "calibrate",
        file.to_str().unwrap(),
        "--kind",
        "deals",
        "--by",
        "region",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&json).unwrap();
    let segs = v["segments"]["segments"].as_array().unwrap();
    for (s, truth) in segs.iter().zip([0.2, 0.6]) {
        let won = s["fit"]["stages"][0]["transitions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["to"] == "won")
            .unwrap();
        let share = won["fits"][0]["share"].clone();
        assert!(inside(&share, truth), "{}: {share}", s["value"]);
    }
    // activity: one email per lead, replied 4% in one list and 20% in the other, after a day
    let mut csv = String::from("Lead,Activity Date,Type,Result,Replied At,List\n");
    for (list, replied) in [("cold", 0.04), ("warm", 0.20)] {
        for i in 0..600 {
            let t = 60.0 * rng.uniform();
            let r = rng.uniform() < replied;
            let _ = writeln!(
                csv,
                "{list}{i},{},email,{},{},{list}",
                day(t),
                if r { "replied" } else { "delivered" },
                if r {
                    day(t + 0.5 + rng.uniform())
                } else {
                    String::new()
                }
            );
        }
    }
    let file = dir.path().join("activity.csv");
    std::fs::write(&file, &csv).unwrap();
    let args = [
        "calibrate",
        file.to_str().unwrap(),
        "--kind",
        "activity",
        "--map",
        "lead=Lead,time=Activity Date,channel=Type,outcome=Result,replied_at=Replied At",
        "--by",
        "List",
        "--as-of",
        "2026-04-01",
    ];
    let (code, block, err) = cadence(&args);
    assert_eq!(code, 0, "{err}");
    assert!(block.contains("  segment cold 50% {"), "{err}\n{block}");
    assert!(block.contains("  segment warm 50% {"), "{block}");
    assert_eq!(block.matches("    respond email {").count(), 2, "{block}");
    let dir2 = tempfile::tempdir().unwrap();
    std::fs::write(dir2.path().join("leads.cadence"), &block).unwrap();
    let (code, _, err) = cadence(&["check", dir2.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{err}\n{block}");
    let (code, json, err) = cadence(&[&args[..], &["--format", "json"]].concat());
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&json).unwrap();
    for (s, truth) in v["segments"]["segments"]
        .as_array()
        .unwrap()
        .iter()
        .zip([0.04, 0.20])
    {
        let email = &s["fit"]["activity"]["channels"][0];
        let replied = email["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["outcome"] == "replied")
            .unwrap();
        assert!(inside(&replied["rate"], truth), "{}: {replied}", s["value"]);
    }
}

#[test]
fn the_bank_campaign_splits_by_its_contact_column() {
    // the oracle: each value's clients and successes counted from the file here
    let text = std::fs::read_to_string("tests/data/bank-additional.csv").unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(';').collect();
    let (contact, y) = (
        header.iter().position(|h| *h == "contact").unwrap(),
        header.iter().position(|h| *h == "y").unwrap(),
    );
    let mut counts: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
    for line in lines.filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split(';').collect();
        let e = counts
            .entry(f[contact].trim_matches('"').to_string())
            .or_default();
        e.0 += 1;
        e.1 += u64::from(f[y].trim_matches('"') == "yes");
    }
    let (code, json, err) = cadence(&[
        "calibrate",
        "tests/data/bank-additional.csv",
        "--kind",
        "contacts",
        "--map",
        "contacts=campaign,outcome=y",
        "--by",
        "contact",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&json).unwrap();
    let segs = v["segments"]["segments"].as_array().unwrap();
    assert_eq!(segs.len(), counts.len());
    for s in segs {
        let (n, yes) = counts[s["value"].as_str().unwrap()];
        assert_eq!(s["n"].as_u64(), Some(n));
        assert_eq!(s["fit"]["contacts"]["successes"].as_u64(), Some(yes));
    }
}
