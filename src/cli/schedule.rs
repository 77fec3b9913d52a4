//! `cadence schedule CADENCE [PATH...] --enroll "2026-09-30 17:59"`: when each touch fires, in
//! the calendar's local time, with the waits that produced it and the gap against `max_gap`.
//! Human text, JSON, or an iCalendar file a rep can import.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde_json::{json, Value};

use super::simulate::{load_model_with, usage};
use super::Exit;
use crate::calendar::Calendar;
use crate::diagnostics::Format;
use crate::fmt::width as text_width;
use crate::model::{Model, StepId};
use crate::schedule::{self, Request, Schedule};
use crate::words::length_text;

/// The checker's timing findings (worst cases over the calendar), which run on a complete model.
const TIMING_FINDINGS: [&str; 5] = ["E0412", "E0413", "E0417", "E0418", "E0419"];

/// At most this many enrolment times in one run.
pub const MAX_ENROLMENTS: usize = 10_000;

#[derive(Debug, Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum ScheduleFormat {
    /// text for people
    Human,
    /// one JSON document
    Json,
    /// an iCalendar file (RFC 5545) with one event per touch
    Ics,
}

#[derive(clap::Args, Debug)]
pub struct ScheduleArgs {
    /// the cadence whose touches to show
    pub cadence: String,
    /// files or folders forming one project (default: the current folder)
    pub paths: Vec<PathBuf>,
    /// enrolment time, local in the calendar's zone: `2026-09-30 17:59` (repeatable)
    #[arg(long, value_name = "TIME")]
    pub enroll: Vec<String>,
    /// enrolment times from FROM to TO (inclusive), every `--every`: `2026-09-30 00:00..2026-10-01 00:00`
    #[arg(long, value_name = "FROM..TO")]
    pub enroll_range: Option<String>,
    /// the step between enrolment times of `--enroll-range` (wall clock: `1h`, `15min`, `1d`)
    #[arg(long, default_value = "1h", requires = "enroll_range")]
    pub every: String,
    /// start with a touch of this step at each enrolment time (as the checker's worst cases do)
    #[arg(long, value_name = "STEP")]
    pub from: Option<String>,
    /// follow exactly these touched steps, in order: `case,call_2`
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "STEP,...",
        conflicts_with = "outcomes"
    )]
    pub path: Option<Vec<String>>,
    /// the outcome at these steps (the rest: none a rule listens for): `call_1=connected`
    #[arg(long, value_delimiter = ',', value_name = "STEP=OUTCOME,...")]
    pub outcomes: Vec<String>,
    /// output format
    #[arg(long, value_enum, default_value = "human")]
    pub format: ScheduleFormat,
}

pub fn run(a: ScheduleArgs) -> Exit {
    run_checked(a).unwrap_or_else(|e| e)
}

fn run_checked(a: ScheduleArgs) -> Result<Exit, Exit> {
    let diag = if a.format == ScheduleFormat::Json {
        Format::Json
    } else {
        Format::Human
    };
    // the timing findings are what a schedule shows: they do not stop it
    let model = load_model_with(&a.paths, diag, |d| TIMING_FINDINGS.contains(&d.code.code))?;
    let ci = model
        .cadences
        .iter()
        .position(|c| c.name == a.cadence)
        .ok_or_else(|| {
            let names: Vec<&str> = model.cadences.iter().map(|c| c.name.as_str()).collect();
            usage(match crate::check::suggest(&a.cadence, &names) {
                Some(s) => format!("no cadence `{}`; did you mean `{s}`?", a.cadence),
                None => format!("no cadence `{}` in the project", a.cadence),
            })
        })?;
    let req = request(&model, ci, &a).map_err(usage)?;
    let (cal, cal_name) =
        crate::check::cadence_calendar(&model, ci).ok_or_else(|| usage("no such cadence"))?;
    let enrolments = enrolments(&cal, &a).map_err(usage)?;
    let mut runs = Vec::new();
    for e in enrolments {
        runs.push(schedule::schedule(&model, &cal, &req, e).map_err(|e| usage(e.0))?);
    }
    let view = View {
        model: &model,
        cadence: ci,
        cal: &cal,
        cal_name: cal_name.as_deref(),
        max_gap: crate::check::max_gap_in_force(&model, ci),
        runs: &runs,
    };
    let text = match a.format {
        ScheduleFormat::Human => view.human(),
        ScheduleFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&view.json()).unwrap_or_default()
        ),
        ScheduleFormat::Ics => view.ics(),
    };
    super::emit(&text)?;
    Ok(Exit::Clean)
}

fn step_id(model: &Model, ci: usize, name: &str, flag: &str) -> Result<StepId, String> {
    let c = &model.cadences[ci];
    c.steps.iter().position(|s| s.name == name).ok_or_else(|| {
        let names: Vec<&str> = c.steps.iter().map(|s| s.name.as_str()).collect();
        match crate::check::suggest(name, &names) {
            Some(s) => format!(
                "{flag}: no step `{name}` in cadence `{}`; did you mean `{s}`?",
                c.name
            ),
            None => format!(
                "{flag}: no step `{name}` in cadence `{}` (its steps: {})",
                c.name,
                names.join(", ")
            ),
        }
    })
}

fn request(model: &Model, ci: usize, a: &ScheduleArgs) -> Result<Request, String> {
    let from = a
        .from
        .as_deref()
        .map(|n| step_id(model, ci, n, "--from"))
        .transpose()?;
    let path = match &a.path {
        Some(p) => Some(
            p.iter()
                .map(|n| step_id(model, ci, n.trim(), "--path"))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        None => None,
    };
    let mut outcomes = Vec::new();
    for o in &a.outcomes {
        let Some((s, out)) = o.split_once('=') else {
            return Err(format!(
                "--outcomes: `{o}` is not STEP=OUTCOME (e.g. call_1=connected)"
            ));
        };
        let si = step_id(model, ci, s.trim(), "--outcomes")?;
        let ch = model.cadences[ci].steps[si].channel;
        let out = out.trim();
        if !ch.outcomes().contains(&out) {
            return Err(format!(
                "--outcomes: a {} step has no outcome `{out}` (its outcomes: {})",
                ch.name(),
                ch.outcomes().join(", ")
            ));
        }
        outcomes.push((si, out.to_string()));
    }
    Ok(Request {
        cadence: ci,
        from,
        path,
        outcomes,
    })
}

/// A local time in the calendar's zone; a time the clocks skip is an error, a repeated one is
/// its first occurrence.
fn local_time(cal: &Calendar, text: &str, flag: &str) -> Result<DateTime<Utc>, String> {
    let naive = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M").map_err(|_| {
        format!("{flag}: `{text}` is not a local time (write e.g. `2026-09-30 17:59`)")
    })?;
    cal.tz
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| {
            format!(
                "{flag}: `{text}` does not exist in {} (the clocks skip it)",
                cal.tz
            )
        })
}

fn enrolments(cal: &Calendar, a: &ScheduleArgs) -> Result<Vec<DateTime<Utc>>, String> {
    let mut out = Vec::new();
    for e in &a.enroll {
        out.push(local_time(cal, e, "--enroll")?);
    }
    if let Some(r) = &a.enroll_range {
        let (lo, hi) = r
            .split_once("..")
            .ok_or_else(|| format!("--enroll-range: `{r}` is not FROM..TO"))?;
        let (lo, hi) = (
            local_time(cal, lo, "--enroll-range")?,
            local_time(cal, hi, "--enroll-range")?,
        );
        if hi < lo {
            return Err(format!("--enroll-range: `{r}` ends before it starts"));
        }
        let step = super::simulate::parse_horizon(&a.every).map_err(|e| format!("--every: {e}"))?;
        let count = (hi - lo).num_minutes() as u64 / step + 1;
        if count as usize + out.len() > MAX_ENROLMENTS {
            return Err(format!(
                "--enroll-range: {count} enrolment times; at most {MAX_ENROLMENTS} (use a larger --every)"
            ));
        }
        let mut t = lo;
        while t <= hi {
            out.push(t);
            t += chrono::Duration::minutes(step as i64);
        }
    }
    if out.is_empty() {
        return Err(
            "say when the lead enrolls: --enroll \"2026-09-30 17:59\" or --enroll-range FROM..TO"
                .into(),
        );
    }
    Ok(out)
}

/// What the outputs are made from.
struct View<'a> {
    model: &'a Model,
    cadence: usize,
    cal: &'a Calendar,
    cal_name: Option<&'a str>,
    max_gap: Option<(u64, String)>,
    runs: &'a [Schedule],
}

impl View<'_> {
    fn step_name(&self, s: StepId) -> &str {
        &self.model.cadences[self.cadence].steps[s].name
    }

    fn label(&self, t: DateTime<Utc>) -> String {
        self.cal.local_label(t)
    }

    /// `over max_gap 15d` / `within max_gap 15d`, or nothing without a rule.
    fn gap_verdict(&self, g: u64) -> &'static str {
        match &self.max_gap {
            Some((m, _)) if g > *m => "OVER max_gap",
            Some(_) => "ok",
            None => "",
        }
    }

    fn header(&self) -> String {
        let c = &self.model.cadences[self.cadence];
        let cal = match self.cal_name {
            Some(n) => format!("calendar `{n}` ({})", self.cal.tz),
            None => "no calendar (always open, UTC)".to_string(),
        };
        let gap = match &self.max_gap {
            Some((m, why)) => format!("max_gap {} ({why})", length_text(*m)),
            None => "no max_gap in force".into(),
        };
        format!("schedule of cadence `{}` on {cal}; {gap}\n", c.name)
    }

    fn human(&self) -> String {
        let mut o = self.header();
        if let [one] = self.runs {
            o.push_str(&self.detail(one));
            return o;
        }
        o.push_str(&self.summary());
        if let Some((run, i, g)) = self.worst() {
            let from = run
                .previous_touch(i)
                .map(|s| format!("`{}`", self.step_name(s)))
                .unwrap_or_else(|| "enrolment".into());
            o.push_str(&format!(
                "\nworst gap: {} from {from} to `{}`, for the enrolment at {}:\n",
                length_text(g),
                self.step_name(run.touches[i].step),
                self.label(run.enroll)
            ));
            o.push_str(&self.detail(run));
        }
        o
    }

    /// The run and touch with the longest gap (the first such enrolment).
    fn worst(&self) -> Option<(&Schedule, usize, u64)> {
        let mut best: Option<(&Schedule, usize, u64)> = None;
        for r in self.runs {
            if let Some((i, g)) = r.worst_gap() {
                if best.is_none_or(|b| g > b.2) {
                    best = Some((r, i, g));
                }
            }
        }
        best
    }

    fn detail(&self, r: &Schedule) -> String {
        let start = match r.touches.first() {
            Some(t) if t.gap.is_none() && !t.skipped => format!(
                "starting with a touch of `{}` at {}\n",
                self.step_name(t.step),
                self.label(r.enroll)
            ),
            _ => format!("enrolled {}\n", self.label(r.enroll)),
        };
        let mut rows: Vec<[String; 5]> = vec![[
            "step".into(),
            "channel".into(),
            "touch".into(),
            "gap".into(),
            String::new(),
        ]];
        for t in &r.touches {
            let step = &self.model.cadences[self.cadence].steps[t.step];
            let (gap, verdict) = match (t.skipped, t.gap) {
                (true, _) => ("passed over".to_string(), String::new()),
                (false, Some(g)) => (length_text(g), self.gap_verdict(g).to_string()),
                (false, None) => ("start".to_string(), String::new()),
            };
            rows.push([
                step.name.clone(),
                step.channel.name().to_string(),
                self.label(t.at),
                gap,
                verdict,
            ]);
        }
        let widths: Vec<usize> = (0..5)
            .map(|k| rows.iter().map(|r| text_width(&r[k])).max().unwrap_or(0))
            .collect();
        let mut o = start;
        for (n, row) in rows.iter().enumerate() {
            let mut line = String::from("  ");
            for (k, cell) in row.iter().enumerate() {
                line.push_str(cell);
                if k + 1 < row.len() {
                    line.push_str(&" ".repeat(widths[k] - text_width(cell) + 2));
                }
            }
            o.push_str(line.trim_end());
            o.push('\n');
            if n > 0 {
                let t = &r.touches[n - 1];
                let why: Vec<&str> = t.waits.iter().map(|w| w.text.as_str()).collect();
                o.push_str(&format!("      {}\n", why.join("; ")));
            }
        }
        o.push_str(&format!("  then: {}\n", r.end));
        o
    }

    fn summary(&self) -> String {
        let c = &self.model.cadences[self.cadence];
        let longest = self
            .runs
            .iter()
            .max_by_key(|r| r.touches.len())
            .map(|r| r.touches.iter().map(|t| t.step).collect::<Vec<_>>())
            .unwrap_or_default();
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut head = vec!["enrolled".to_string()];
        head.extend(longest.iter().map(|s| c.steps[*s].name.clone()));
        head.push("worst gap".into());
        rows.push(head);
        for r in self.runs {
            let mut row = vec![self.label(r.enroll)];
            for (k, t) in r.touches.iter().enumerate() {
                let at = self
                    .cal
                    .tz
                    .from_utc_datetime(&t.at.naive_utc())
                    .format("%m-%d %H:%M %a")
                    .to_string();
                let mark = if t.skipped { " (passed over)" } else { "" };
                row.push(if longest.get(k) == Some(&t.step) {
                    format!("{at}{mark}")
                } else {
                    format!("{} {at}{mark}", c.steps[t.step].name)
                });
            }
            while row.len() < longest.len() + 1 {
                row.push("-".into());
            }
            row.push(match r.worst_gap() {
                Some((i, g)) => format!(
                    "{} to {} {}",
                    length_text(g),
                    self.step_name(r.touches[i].step),
                    self.gap_verdict(g)
                )
                .trim_end()
                .to_string(),
                None => "-".into(),
            });
            rows.push(row);
        }
        let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..cols)
            .map(|k| {
                rows.iter()
                    .map(|r| r.get(k).map_or(0, |c| text_width(c)))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut o = String::new();
        for row in &rows {
            let mut line = String::from("  ");
            for (k, cell) in row.iter().enumerate() {
                line.push_str(cell);
                line.push_str(&" ".repeat(widths[k] - text_width(cell) + 2));
            }
            o.push_str(line.trim_end());
            o.push('\n');
        }
        o
    }

    fn json(&self) -> Value {
        let c = &self.model.cadences[self.cadence];
        let local = |t: DateTime<Utc>| {
            self.cal
                .tz
                .from_utc_datetime(&t.naive_utc())
                .format("%Y-%m-%dT%H:%M:%S%:z")
                .to_string()
        };
        let runs: Vec<Value> = self
            .runs
            .iter()
            .map(|r| {
                json!({
                    "enrolled": local(r.enroll),
                    "touches": r.touches.iter().map(|t| {
                        let step = &c.steps[t.step];
                        json!({
                            "step": step.name,
                            "channel": step.channel.name(),
                            "skipped": t.skipped,
                            "at": local(t.at),
                            "at_utc": t.at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                            "weekday": self.cal.tz.from_utc_datetime(&t.at.naive_utc()).format("%a").to_string(),
                            "waited_from": local(t.reference),
                            "waits": t.waits,
                            "gap_minutes": t.gap,
                            "over_max_gap": t.gap.zip(self.max_gap.as_ref()).map(|(g, (m, _))| g > *m),
                        })
                    }).collect::<Vec<_>>(),
                    "worst_gap": r.worst_gap().map(|(i, g)| json!({
                        "minutes": g,
                        "to": self.step_name(r.touches[i].step),
                        "from": r.previous_touch(i).map(|s| self.step_name(s).to_string()),
                    })),
                    "end": r.end,
                })
            })
            .collect();
        json!({
            "format_version": 1,
            "compiler_version": env!("CARGO_PKG_VERSION"),
            "cadence": c.name,
            "calendar": self.cal_name,
            "timezone": self.cal.tz.name(),
            "max_gap_minutes": self.max_gap.as_ref().map(|m| m.0),
            "runs": runs,
        })
    }

    fn ics(&self) -> String {
        let c = &self.model.cadences[self.cadence];
        let stamp = |t: DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
        let mut lines = vec![
            "BEGIN:VCALENDAR".to_string(),
            "VERSION:2.0".into(),
            "PRODID:-//cadence//schedule//EN".into(),
            "CALSCALE:GREGORIAN".into(),
            "METHOD:PUBLISH".into(),
        ];
        for (n, r) in self.runs.iter().enumerate() {
            for (k, t) in r.touches.iter().filter(|t| !t.skipped).enumerate() {
                let step = &c.steps[t.step];
                let what = step.title.clone().unwrap_or_else(|| step.name.clone());
                let why: Vec<&str> = t.waits.iter().map(|w| w.text.as_str()).collect();
                lines.push("BEGIN:VEVENT".into());
                lines.push(format!(
                    "UID:{}-{}-{n}-{k}-{}",
                    c.name,
                    step.name,
                    stamp(t.at)
                ));
                // the enrolment time: the same file for the same request
                lines.push(format!("DTSTAMP:{}", stamp(r.enroll)));
                lines.push(format!("DTSTART:{}", stamp(t.at)));
                lines.push("DURATION:PT15M".into());
                lines.push(format!(
                    "SUMMARY:{}",
                    ics_text(&format!("{} · {what} ({})", step.channel.name(), c.name))
                ));
                lines.push(format!(
                    "DESCRIPTION:{}",
                    ics_text(&format!(
                        "step {} of cadence {}, lead enrolled {}: {}",
                        step.name,
                        c.name,
                        self.label(r.enroll),
                        why.join("; ")
                    ))
                ));
                lines.push("TRANSP:TRANSPARENT".into());
                lines.push("END:VEVENT".into());
            }
        }
        lines.push("END:VCALENDAR".into());
        let mut o = String::new();
        for l in lines {
            o.push_str(&fold(&l));
        }
        o
    }
}

/// A TEXT value: backslash, semicolon, comma and newline escaped (RFC 5545 §3.3.11).
fn ics_text(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
}

/// A content line folded at 75 octets, never inside a character, ended by CRLF (§3.1).
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut used = 0;
    for ch in line.chars() {
        let n = ch.len_utf8();
        // continuation lines start with a space, which counts
        if used + n > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(ch);
        used += n;
    }
    out.push_str("\r\n");
    out
}
