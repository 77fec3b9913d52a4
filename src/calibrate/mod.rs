//! `cadence calibrate`: a CRM export in, a `leads` block and a JSON report out.
//!
//! The stages: read the CSV and map its columns (`input`), turn rows into per-lead or
//! per-deal facts while counting bad rows, fit (`hazard` for contact summaries, `stages` +
//! `survival` for stage histories and deal snapshots, by maximum likelihood with right
//! censoring), then write the block (`emit`), which is checked with the project before it is
//! printed. docs/calibrate.md says what each figure is a share of and what is assumed.

pub mod activity;
pub mod amounts;
pub mod backtest;
pub mod emit;
mod emit_activity;
pub mod hazard;
pub mod input;
pub mod optimize;
pub mod presets;
pub mod segments;
pub mod stages;
pub mod survival;

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::model::{Pipeline, StageOutcome};
use input::{BadRow, DateOrder, Table};

pub const CALIBRATE_FORMAT_VERSION: u32 = 1;

/// What one row of the export is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// one row per lead: number of contacts and whether it succeeded (campaign exports)
    Contacts,
    /// one row per deal per stage entry: deal, stage, entered at
    Stages,
    /// one row per deal: created, closed (or empty while open), won/lost
    Deals,
    /// one row per touch: lead, time, channel, outcome (optional reply time, step, template)
    Activity,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Contacts => "contacts",
            Kind::Stages => "stages",
            Kind::Deals => "deals",
            Kind::Activity => "activity",
        }
    }
}

/// Column names of documented CRM exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Preset {
    /// Salesforce `OpportunityHistory` (OpportunityId, StageName, CreatedDate, Amount)
    SalesforceOpportunityHistory,
    /// HubSpot deals with their stage properties (Record ID, Amount, one `Date entered`
    /// column per stage: `hs_v2_date_entered_STAGE`, `hs_date_entered_STAGE`)
    HubspotDealStages,
    /// Zoho CRM stage history (Deal_Name, Stage, Modified_Time, Amount)
    ZohoStageHistory,
}

impl Preset {
    pub(crate) fn map(self) -> (Kind, &'static [(&'static str, &'static str)]) {
        match self {
            // developer.salesforce.com: object reference, OpportunityHistory
            Preset::SalesforceOpportunityHistory => (
                Kind::Stages,
                &[
                    ("deal", "OpportunityId"),
                    ("stage", "StageName"),
                    ("entered", "CreatedDate"),
                    ("amount", "Amount"),
                ],
            ),
            // knowledge.hubspot.com/properties/stage-calculated-properties: "Date entered
            // [stage ID]" per stage; wide, so `presets::widen` turns it into entries first
            Preset::HubspotDealStages => (
                Kind::Stages,
                &[
                    ("deal", "deal"),
                    ("stage", "stage"),
                    ("entered", "entered"),
                    ("amount", "amount"),
                ],
            ),
            // Zoho CRM's stage history (the Deals module's Stage tracker): Stage, Amount,
            // Probability, Expected Revenue, Closing Date, Modified Time, Duration, Moved To;
            // API names first, then the export's labels and the older `Potential` names
            Preset::ZohoStageHistory => (
                Kind::Stages,
                &[
                    (
                        "deal",
                        "Deal_Name|Deal Name|Potential_Name|Potential Name|Deal_Id",
                    ),
                    ("stage", "Stage"),
                    (
                        "entered",
                        "Modified_Time|Modified Time|Last_Modified_Time|Last Modified Time",
                    ),
                    ("amount", "Amount"),
                ],
            ),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub kind: Option<Kind>,
    pub preset: Option<Preset>,
    pub map: BTreeMap<String, String>,
    pub dates: DateOrder,
    /// when the export was taken (default: the latest time in it)
    pub as_of: Option<NaiveDateTime>,
    /// the name of the `leads` block
    pub name: String,
    /// contacts: the outcome a success is, as CHANNEL.OUTCOME
    pub outcome: (String, String),
    /// deals: the stages a snapshot's rows enter, leave to when won, and when lost
    pub open_stage: Option<String>,
    pub won_stage: Option<String>,
    pub lost_stage: Option<String>,
    /// fit on the deals that started before this, back-test on the rest
    pub holdout_after: Option<NaiveDateTime>,
    /// the currency of the amount column, for the `fact amount = …` line
    pub currency: Option<String>,
    /// `--by COLUMN`: one fit per value of the column (`segments`)
    pub by: Option<String>,
    /// the fewest deals or leads a value needs to become a segment
    pub min_segment: u64,
}

/// Everything calibration found, for `--format json` (and the block's comments).
#[derive(Debug, Serialize)]
pub struct Calibration {
    pub format_version: u32,
    pub kind: Kind,
    pub file: String,
    pub rows: u64,
    pub bad_rows: u64,
    /// the first bad rows, with their line and reason
    pub bad: Vec<BadRow>,
    pub as_of: Option<NaiveDateTime>,
    pub contacts: Option<hazard::Hazard>,
    pub activity: Option<activity::Activity>,
    pub stages: Vec<stages::StageFit>,
    pub arrivals: Option<stages::Arrivals>,
    /// the amount per deal (stage histories: its latest), when the export has amounts
    pub amounts: Option<amounts::Amounts>,
    pub deals: u64,
    /// the deals still open when the export was taken (their times are censored); for an
    /// activity log, the touches with no reply seen in their window
    pub censored: u64,
    pub pipeline: Option<String>,
    /// with `--holdout-after`: the later cohort, left out of the fit
    pub holdout: Option<backtest::Holdout>,
    /// its back-test, run once the block is checked into the project's model
    pub backtest: Option<backtest::Backtest>,
    /// with `--by`: the values fitted alone and those below the floor
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segments: Option<segments::Segments>,
    pub leads: String,
}

const BAD_SHOWN: usize = 50;

pub(crate) fn field<'a>(
    row: &'a [String],
    cols: &BTreeMap<&str, usize>,
    role: &str,
) -> Option<&'a str> {
    cols.get(role)
        .and_then(|&i| row.get(i))
        .map(String::as_str)
        .filter(|s| !s.is_empty())
}

/// An amount as exports write it: `80000`, `80,000.50`, `80 000`; `Err` says why not.
fn parse_amount(text: &str) -> Result<f64, String> {
    let t: String = text
        .chars()
        .filter(|c| !matches!(c, ',' | ' ' | '_'))
        .collect();
    match t.parse::<f64>() {
        Ok(a) if a >= 0.0 && a.is_finite() => Ok(a),
        _ => Err(format!(
            "the amount `{text}` is not a number at or above zero"
        )),
    }
}

/// Each deal's amount with the time it was recorded: the latest wins.
type AmountOf = BTreeMap<String, (NaiveDateTime, f64)>;

fn record_amount(amounts: &mut AmountOf, deal: &str, at: NaiveDateTime, amount: f64) {
    let e = amounts.entry(deal.to_string()).or_insert((at, amount));
    if at >= e.0 {
        *e = (at, amount);
    }
}

/// Runs calibration on a read table (per segment with `--by`). `Err` for what makes the
/// whole export unusable.
pub fn calibrate(
    file: &str,
    table: &Table,
    pipeline: Option<&Pipeline>,
    opts: &Options,
) -> Result<Calibration, String> {
    match &opts.by {
        Some(column) => segments::calibrate(file, table, pipeline, opts, column),
        None => calibrate_one(file, table, pipeline, opts),
    }
}

fn calibrate_one(
    file: &str,
    table: &Table,
    pipeline: Option<&Pipeline>,
    opts: &Options,
) -> Result<Calibration, String> {
    let (kind, preset_map) = match opts.preset.map(Preset::map) {
        Some((k, m)) => (Some(k), m),
        None => (None, &[][..]),
    };
    let kind = opts.kind.or(kind).ok_or(
        "say which kind of export this is: `--kind contacts|stages|deals|activity` or a `--preset`",
    )?;
    if matches!(kind, Kind::Contacts | Kind::Activity) && opts.holdout_after.is_some() {
        return Err(format!(
            "--holdout-after back-tests stage histories and deal snapshots, not {} exports",
            kind.name()
        ));
    }
    let widened;
    let table = if opts.preset == Some(Preset::HubspotDealStages) {
        widened = presets::widen(table)?;
        &widened
    } else {
        table
    };
    // a preset column may have several spellings (`A|B`): the first the header has
    let mut map: BTreeMap<String, String> = preset_map
        .iter()
        .map(|(r, c)| (r.to_string(), presets::spelling(table, c)))
        .collect();
    map.extend(opts.map.clone());
    let mut bad: Vec<BadRow> = table.ragged.clone();
    let mut out = Calibration {
        format_version: CALIBRATE_FORMAT_VERSION,
        kind,
        file: file.to_string(),
        rows: (table.rows.len() + table.ragged.len()) as u64,
        bad_rows: 0,
        bad: Vec::new(),
        as_of: None,
        contacts: None,
        activity: None,
        stages: Vec::new(),
        arrivals: None,
        amounts: None,
        deals: 0,
        censored: 0,
        pipeline: pipeline.map(|p| p.name.clone()),
        holdout: None,
        backtest: None,
        segments: None,
        leads: String::new(),
    };
    match kind {
        Kind::Contacts => {
            let cols = input::columns(
                table,
                &[("id", false), ("contacts", true), ("outcome", true)],
                &map,
            )?;
            let mut leads = Vec::new();
            for (line, row) in &table.rows {
                let n = field(row, &cols, "contacts").and_then(|s| s.parse::<u32>().ok());
                let ok = field(row, &cols, "outcome").and_then(input::parse_flag);
                match (n, ok) {
                    (Some(n), Some(ok)) if (1..=10_000).contains(&n) => leads.push((n, ok)),
                    (Some(_), Some(_)) => bad.push(BadRow {
                        line: *line,
                        reason: "the number of contacts is not in 1..10000".into(),
                    }),
                    (None, _) => bad.push(BadRow {
                        line: *line,
                        reason: "the number of contacts is not a whole number".into(),
                    }),
                    (_, None) => bad.push(BadRow {
                        line: *line,
                        reason: "the outcome is not yes/no (also: true/false, 1/0, won/lost)"
                            .into(),
                    }),
                }
            }
            out.deals = leads.len() as u64;
            out.contacts = hazard::fit(&leads);
        }
        Kind::Activity => {
            let (touches, has_reply_time) = activity::touches(table, &map, opts, &mut bad)?;
            let latest = touches
                .iter()
                .flat_map(|t| std::iter::once(t.at).chain(t.replied_at))
                .max();
            let as_of = opts.as_of.or(latest).ok_or("no usable row in the export")?;
            let a = activity::fit(&touches, has_reply_time, as_of);
            let mut firsts: BTreeMap<&str, NaiveDateTime> = BTreeMap::new();
            for t in &touches {
                let f = firsts.entry(&t.lead).or_insert(t.at);
                *f = (*f).min(t.at);
            }
            out.arrivals = stages::arrivals_from(&firsts.into_values().collect::<Vec<_>>());
            out.deals = a.leads;
            out.censored = a.reply.as_ref().map_or(0, |r| r.censored);
            out.activity = Some(a);
            out.as_of = Some(as_of);
        }
        Kind::Stages | Kind::Deals => {
            let mut amount_of = BTreeMap::new();
            let entries = if kind == Kind::Stages {
                stage_entries(table, &map, pipeline, opts, &mut bad, &mut amount_of)?
            } else {
                snapshot_entries(table, &map, pipeline, opts, &mut bad, &mut amount_of)?
            };
            let latest = entries.iter().map(|e| e.at).max();
            let as_of = opts.as_of.or(latest).ok_or("no usable row in the export")?;
            let mut deals = stages::by_deal(entries);
            for v in deals.values_mut() {
                // history rows that repeat the stage (an amount or date change) are no move
                v.dedup_by(|b, a| a.stage == b.stage);
            }
            if let Some(after) = opts.holdout_after {
                let p =
                    pipeline.ok_or("--holdout-after needs the project's pipeline (`--project`)")?;
                out.holdout = Some(backtest::split(&mut deals, after, p)?);
            }
            let terminal = terminal_stages(pipeline, opts);
            out.deals = deals.len() as u64;
            out.censored = deals
                .values()
                .filter(|v| v.last().is_some_and(|e| !terminal.contains(&e.stage)))
                .count() as u64;
            out.stages = stages::fit_stages(&deals, &terminal, as_of);
            out.arrivals = stages::arrivals(&deals);
            // the deals fitted (a holdout's cohort is left out of the amounts too)
            let fitted: Vec<f64> = amount_of
                .iter()
                .filter(|(d, _)| deals.contains_key(*d))
                .map(|(_, a)| a.1)
                .collect();
            out.amounts = amounts::fit(&fitted);
            out.as_of = Some(as_of);
        }
    }
    bad.sort_by_key(|b| b.line);
    out.bad_rows = bad.len() as u64;
    bad.truncate(BAD_SHOWN);
    out.bad = bad;
    out.leads = emit::leads_block(&out, pipeline, opts);
    Ok(out)
}

fn terminal_stages(pipeline: Option<&Pipeline>, opts: &Options) -> BTreeSet<String> {
    let mut t: BTreeSet<String> = pipeline
        .map(|p| {
            p.stages
                .iter()
                .filter(|s| s.outcome.is_some() || s.exits.is_empty())
                .map(|s| s.name.clone())
                .collect()
        })
        .unwrap_or_default();
    t.extend(opts.won_stage.iter().chain(&opts.lost_stage).cloned());
    if pipeline.is_none() && opts.won_stage.is_none() && opts.lost_stage.is_none() {
        t.extend(["won", "lost", "closed won", "closed lost"].map(String::from));
    }
    t
}

/// A stage named in the export, matched to the pipeline's stages by name or title.
fn known_stage(pipeline: Option<&Pipeline>, text: &str) -> Result<String, String> {
    let Some(p) = pipeline else {
        return Ok(text.to_string());
    };
    if let Some(s) = p.stages.iter().find(|s| {
        s.name.eq_ignore_ascii_case(text) || s.title.as_deref().is_some_and(|t| t == text)
    }) {
        return Ok(s.name.clone());
    }
    let names: Vec<&str> = p.stages.iter().map(|s| s.name.as_str()).collect();
    let hint = crate::check::suggest(text, &names)
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default();
    Err(format!(
        "unknown stage `{text}` in pipeline `{}`{hint}",
        p.name
    ))
}

fn stage_entries(
    table: &Table,
    map: &BTreeMap<String, String>,
    pipeline: Option<&Pipeline>,
    opts: &Options,
    bad: &mut Vec<BadRow>,
    amounts: &mut AmountOf,
) -> Result<Vec<stages::Entry>, String> {
    let roles = [
        ("deal", true),
        ("stage", true),
        ("entered", true),
        ("amount", false),
        ("owner", false),
    ];
    let cols = input::columns(table, &roles, map)?;
    let mut entries = Vec::new();
    for (line, row) in &table.rows {
        let parsed = (|| {
            let deal = field(row, &cols, "deal").ok_or("no deal id")?;
            let stage = known_stage(pipeline, field(row, &cols, "stage").ok_or("no stage")?)?;
            let (at, timed) = input::parse_time(
                field(row, &cols, "entered").ok_or("no entry date")?,
                opts.dates,
            )?;
            if let Some(a) = field(row, &cols, "amount") {
                record_amount(amounts, deal, at, parse_amount(a)?);
            }
            Ok::<_, String>(stages::Entry {
                deal: deal.to_string(),
                stage,
                at,
                timed,
            })
        })();
        match parsed {
            Ok(e) => entries.push(e),
            Err(reason) => bad.push(BadRow {
                line: *line,
                reason,
            }),
        }
    }
    Ok(entries)
}

/// A snapshot row as a two-entry history: the open stage at creation, then won or lost at
/// the close (none while open).
fn snapshot_entries(
    table: &Table,
    map: &BTreeMap<String, String>,
    pipeline: Option<&Pipeline>,
    opts: &Options,
    bad: &mut Vec<BadRow>,
    amounts: &mut AmountOf,
) -> Result<Vec<stages::Entry>, String> {
    let roles = [
        ("deal", false),
        ("created", true),
        ("closed", false),
        ("result", true),
        ("amount", false),
    ];
    let cols = input::columns(table, &roles, map)?;
    let first = pipeline
        .and_then(|p| p.stages.first())
        .map(|s| s.name.clone());
    let by_outcome = |o: StageOutcome| {
        pipeline
            .and_then(|p| p.stages.iter().find(|s| s.outcome == Some(o)))
            .map(|s| s.name.clone())
    };
    let open = opts
        .open_stage
        .clone()
        .or(first)
        .unwrap_or_else(|| "open".into());
    let won = opts
        .won_stage
        .clone()
        .or(by_outcome(StageOutcome::Won))
        .unwrap_or_else(|| "won".into());
    let lost = opts
        .lost_stage
        .clone()
        .or(by_outcome(StageOutcome::Lost))
        .unwrap_or_else(|| "lost".into());
    let mut entries = Vec::new();
    for (line, row) in &table.rows {
        let parsed = (|| {
            let deal =
                field(row, &cols, "deal").map_or_else(|| format!("line {line}"), String::from);
            let (created, timed) = input::parse_time(
                field(row, &cols, "created").ok_or("no created date")?,
                opts.dates,
            )?;
            let result = field(row, &cols, "result").unwrap_or("open");
            let closed = field(row, &cols, "closed")
                .map(|c| input::parse_time(c, opts.dates))
                .transpose()?;
            if let Some(a) = field(row, &cols, "amount") {
                record_amount(amounts, &deal, created, parse_amount(a)?);
            }
            let to = match result.to_ascii_lowercase().as_str() {
                "open" | "" => None,
                r => match input::parse_flag(r) {
                    Some(true) => Some(won.clone()),
                    Some(false) => Some(lost.clone()),
                    None => return Err(format!("the result `{result}` is not won, lost or open")),
                },
            };
            let mut v = vec![stages::Entry {
                deal: deal.clone(),
                stage: open.clone(),
                at: created,
                timed,
            }];
            match (to, closed) {
                (Some(to), Some((at, t))) => {
                    if at < created {
                        return Err("closed before it was created".into());
                    }
                    v.push(stages::Entry {
                        deal,
                        stage: to,
                        at,
                        timed: t,
                    });
                }
                (Some(_), None) => return Err("won or lost, but no close date".into()),
                (None, _) => {}
            }
            Ok(v)
        })();
        match parsed {
            Ok(v) => entries.extend(v),
            Err(reason) => bad.push(BadRow {
                line: *line,
                reason,
            }),
        }
    }
    Ok(entries)
}
