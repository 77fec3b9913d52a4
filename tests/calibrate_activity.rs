//! `cadence calibrate --kind activity`: activity logs generated from a known lead model
//! (per-channel rates, a lognormal reply delay, a cadence that stops at a reply or a connected
//! call, leads still running on the export date). Calibration holds the truth inside its 95%
//! intervals in about 95% of seeds; a fit that drops the censored touches (the replies not
//! yet seen when the next touch came or the export was taken) misses it in nearly every seed.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // tests may fail loudly

use std::fmt::Write as _;
use std::process::Command;

use cadence::calibrate::input::{self, DateOrder};
use cadence::calibrate::survival::{Estimate, Family};
use cadence::calibrate::{calibrate, Calibration, Kind, Options};
use cadence::model::Dist;
use cadence::simulate::exact::quad::quantile;

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

const Z90: f64 = 1.281_551_565_544_600_4;
const Z95: f64 = 1.959_963_984_540_054;

/// The truth. Email: bounced 3%, replied 10% (a reply `lognormal(median 1.5d, p90 6d)` after
/// the send), opened 30% more; call: connected 12%, voicemail 30%, the rest no answer.
const BOUNCED: f64 = 0.03;
const REPLIED: f64 = 0.10;
const OPENED_MORE: f64 = 0.30;
const CONNECTED: f64 = 0.12;
const VOICEMAIL: f64 = 0.30;
const MEDIAN: f64 = 1.5;
const P90: f64 = 6.0;
/// The cadence: (day after arrival, channel); leads arrive over the 90 days before the export.
const CADENCE: [(f64, &str); 5] = [
    (0.0, "email"),
    (2.0, "call"),
    (5.0, "email"),
    (9.0, "call"),
    (14.0, "email"),
];
const END: f64 = 90.0;

fn delay() -> Dist {
    Dist::LogNormal {
        mu: MEDIAN.ln(),
        sigma: (P90 / MEDIAN).ln() / Z90,
    }
}

/// An export: `Lead,Activity Date,Type,Result,Replied At`; a lead stops after its reply
/// arrives or a call connects; a reply after the export's date is not in it yet.
fn activity_log(seed: u64, leads: usize) -> String {
    let mut rng = Rng(seed);
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 5)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    let at = |days: f64| {
        (start + chrono::Duration::seconds((days * 86_400.0) as i64))
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    let mut csv = String::from("Lead,Activity Date,Type,Result,Replied At\n");
    for lead in 0..leads {
        let arrival = END * rng.uniform();
        let mut stop = f64::INFINITY; // when a reply arrives
        for (offset, channel) in CADENCE {
            let t = arrival + offset;
            if t > END || t >= stop {
                break;
            }
            let u = rng.uniform();
            let (outcome, reply) = if channel == "email" {
                if u < BOUNCED {
                    ("bounced", None)
                } else if u < BOUNCED + REPLIED {
                    let r = t + quantile(&delay(), rng.uniform());
                    stop = stop.min(r);
                    if r <= END {
                        ("replied", Some(r))
                    } else {
                        ("delivered", None) // the reply is still to come
                    }
                } else if u < BOUNCED + REPLIED + OPENED_MORE {
                    ("opened", None)
                } else {
                    ("delivered", None)
                }
            } else if u < CONNECTED {
                stop = t;
                ("connected", None)
            } else if u < CONNECTED + VOICEMAIL {
                ("voicemail", None)
            } else {
                ("no answer", None)
            };
            let _ = writeln!(
                csv,
                "L{lead},{},{channel},{outcome},{}",
                at(t),
                reply.map(at).unwrap_or_default()
            );
        }
    }
    csv
}

fn options() -> Options {
    Options {
        kind: Some(Kind::Activity),
        preset: None,
        map: input::parse_map(
            "lead=Lead,time=Activity Date,channel=Type,outcome=Result,replied_at=Replied At",
        )
        .unwrap(),
        dates: DateOrder::Unset,
        as_of: None,
        name: "calibrated".into(),
        outcome: ("call".into(), "connected".into()),
        open_stage: None,
        won_stage: None,
        lost_stage: None,
        holdout_after: None,
        currency: None,
        by: None,
        min_segment: 50,
    }
}

fn run(csv: &str) -> Calibration {
    let table = input::parse(csv.as_bytes()).unwrap();
    calibrate("activity.csv", &table, None, &options()).unwrap()
}

fn inside(e: &Estimate, truth: f64) -> bool {
    e.low.is_some_and(|l| l <= truth) && e.high.is_some_and(|h| truth <= h)
}

/// The fit that ignores censoring, computed here from the CSV: each email touch watched to
/// the lead's next touch or the export, as calibration does, but the touches with no reply
/// in their window dropped from the delay and counted as no reply. (in share, median in)
fn naive(csv: &str) -> (bool, bool) {
    let parse = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
    let mut rows: Vec<(
        String,
        chrono::NaiveDateTime,
        String,
        Option<chrono::NaiveDateTime>,
    )> = csv
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let reply = (!f[4].is_empty()).then(|| parse(f[4]));
            (f[0].to_string(), parse(f[1]), f[2].to_string(), reply)
        })
        .collect();
    rows.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    let as_of = rows
        .iter()
        .flat_map(|r| [Some(r.1), r.3])
        .flatten()
        .max()
        .unwrap();
    let (mut touches, mut logs) = (0u64, Vec::new());
    for (i, r) in rows.iter().enumerate() {
        if r.2 != "email" {
            continue;
        }
        touches += 1;
        let end = rows
            .get(i + 1)
            .filter(|n| n.0 == r.0)
            .map_or(as_of, |n| n.1);
        if let Some(reply) = r.3.filter(|x| *x <= end) {
            logs.push(((reply - r.1).num_seconds() as f64 / 86_400.0).ln());
        }
    }
    let k = logs.len() as f64;
    let p = k / touches as f64;
    let half = Z95 * (p * (1.0 - p) / touches as f64).sqrt();
    let mean = logs.iter().sum::<f64>() / k;
    let sd = (logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / (k - 1.0)).sqrt();
    let se = sd / k.sqrt();
    (
        (p - half..=p + half).contains(&REPLIED),
        (mean - Z95 * se..=mean + Z95 * se).contains(&MEDIAN.ln()),
    )
}

#[test]
fn activity_logs_recover_rates_and_the_reply_delay_where_ignoring_censoring_does_not() {
    let seeds = 40;
    let mut hits = [0usize; 7];
    let mut naive_hits = [0usize; 2];
    for seed in 0..seeds {
        let csv = activity_log(seed, 1500);
        let c = run(&csv);
        assert_eq!(c.bad_rows, 0);
        let a = c.activity.as_ref().unwrap();
        let reply = a.reply.as_ref().unwrap();
        assert!(reply.censored > 0 && reply.replies_after_window > 0);
        let lognormal = reply
            .fits
            .iter()
            .find(|f| f.family == Family::Lognormal)
            .unwrap();
        let email = reply.channels.iter().position(|c| *c == "email").unwrap();
        let rate = |channel: &str, outcome: &str| {
            a.channels
                .iter()
                .find(|c| c.channel == channel)
                .unwrap()
                .outcomes
                .iter()
                .find(|o| o.outcome == outcome)
                .unwrap()
                .rate
                .clone()
        };
        let checks = [
            inside(&lognormal.shares[email], REPLIED),
            inside(lognormal.param("median").unwrap(), MEDIAN),
            inside(lognormal.param("p90").unwrap(), P90),
            inside(&rate("call", "connected"), CONNECTED),
            inside(&rate("call", "voicemail"), VOICEMAIL),
            inside(&rate("email", "bounced"), BOUNCED),
            // leads arrive evenly over the 90 days: 1500 / 90 × 7 a week
            inside(&c.arrivals.as_ref().unwrap().per_week, 1500.0 / END * 7.0),
        ];
        for (h, ok) in hits.iter_mut().zip(checks) {
            *h += usize::from(ok);
        }
        let (share, median) = naive(&csv);
        naive_hits[0] += usize::from(share);
        naive_hits[1] += usize::from(median);
    }
    eprintln!("inside of {seeds}: {hits:?}; naive (share, median) {naive_hits:?}");
    // 95% intervals: 38 of 40 expected; 34 is the binomial's lower 1% tail
    assert!(hits.iter().all(|&h| h >= 34), "{hits:?} of {seeds}");
    assert!(
        naive_hits.iter().all(|&h| h <= 4),
        "naive {naive_hits:?} of {seeds}"
    );
}

#[test]
fn the_activity_block_checks_and_bad_rows_have_their_lines() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = activity_log(1, 800);
    csv.push_str("L9,2026-02-01 10:00:00,emial,replied,2026-02-02 10:00:00\n");
    csv.push_str("L9,2026-02-01 10:00:00,call,replied,\n");
    csv.push_str("L9,2026-02-03 10:00:00,email,replied,2026-02-02 10:00:00\n");
    let lines = csv.lines().count();
    let file = dir.path().join("activity.csv");
    std::fs::write(&file, &csv).unwrap();
    let map = "lead=Lead,time=Activity Date,channel=Type,outcome=Result,replied_at=Replied At";
    let (code, block, err) = cadence(&[
        "calibrate",
        file.to_str().unwrap(),
        "--kind",
        "activity",
        "--map",
        map,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!(":{}: unknown channel `emial`", lines - 2)),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            ":{}: `replied` is not an outcome of call",
            lines - 1
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(":{lines}: the reply is before the touch")),
        "{err}"
    );
    for want in [
        "respond email { ",
        "respond call { connected ",
        "reply_after lognormal(",
        "arrivals ",
    ] {
        assert!(block.contains(want), "{want}\n{block}");
    }
    std::fs::write(dir.path().join("leads.cadence"), &block).unwrap();
    let (code, _, err) = cadence(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{err}\n{block}");
    // without reply times the delay is not fitted, and the block says so
    let no_reply: String = csv
        .lines()
        .map(|l| l.rsplit_once(',').unwrap().0.to_string() + "\n")
        .collect();
    std::fs::write(&file, no_reply).unwrap();
    let (code, block, err) = cadence(&[
        "calibrate",
        file.to_str().unwrap(),
        "--kind",
        "activity",
        "--map",
        "lead=Lead,time=Activity Date,channel=Type,outcome=Result",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(block.contains("no reply time"), "{block}");
    assert!(!block.contains("reply_after"), "{block}");
}
