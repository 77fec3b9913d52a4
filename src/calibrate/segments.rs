//! `--by COLUMN`: one fit per value of a column, read from each deal's (or lead's) first row.
//! Values with at least `--min-segment` deals or leads become `segment` blocks of the written
//! `leads` block, holding the lines their fit differs in from the pooled fit (the base lines);
//! smaller values are reported and stay in the base population. docs/calibrate.md, "Segments".

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;

use super::input::Table;
use super::{Calibration, Kind, Options, Preset};
use crate::model::Pipeline;

/// The default floor: a share from fewer deals has an interval too wide to act on.
pub const MIN_SEGMENT: u64 = 50;

#[derive(Debug, Serialize)]
pub struct Segment {
    /// the column's value, as the export writes it
    pub value: String,
    /// its name in the block (`segment NAME PCT`)
    pub name: String,
    pub n: u64,
    /// its deals or leads as a share of all (exact; the block states it rounded down)
    pub share: f64,
    /// everything fitted on this value's deals or leads alone
    pub fit: Calibration,
}

#[derive(Debug, Serialize)]
pub struct SmallValue {
    pub value: String,
    pub n: u64,
}

#[derive(Debug, Serialize)]
pub struct Segments {
    pub column: String,
    pub min_segment: u64,
    /// the deals or leads of every value
    pub total: u64,
    pub segments: Vec<Segment>,
    /// values below the floor: not fitted alone, they stay in the base population
    pub small: Vec<SmallValue>,
}

/// A value as a name of the language: lowercase, anything but letters and digits as `_`, a
/// leading digit prefixed, unique among `taken`.
pub fn clean_name(value: &str, taken: &mut BTreeSet<String>) -> String {
    let mut s: String = value
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let trimmed = s.trim_matches('_');
    s = if trimmed.is_empty() {
        "segment".into()
    } else {
        trimmed.to_string()
    };
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert_str(0, "s_");
    }
    let mut name = s.clone();
    let mut i = 2;
    while taken.contains(&name) {
        name = format!("{s}_{i}");
        i += 1;
    }
    taken.insert(name.clone());
    name
}

/// The column naming whose rows are one deal or lead; `None` when every row is its own.
fn id_column(table: &Table, kind: Kind, opts: &Options) -> Option<usize> {
    let role = match (kind, opts.preset) {
        (Kind::Stages, Some(Preset::HubspotDealStages)) => return None,
        (Kind::Stages, _) => "deal",
        (Kind::Activity, _) => "lead",
        (Kind::Contacts | Kind::Deals, _) => return None,
    };
    let preset = opts
        .preset
        .map(|p| p.map().1)
        .and_then(|m| m.iter().find(|(r, _)| *r == role).map(|(_, c)| *c))
        .map(|c| super::presets::spelling(table, c));
    let wanted = opts
        .map
        .get(role)
        .cloned()
        .or(preset)
        .unwrap_or(role.into());
    table
        .headers
        .iter()
        .position(|h| h.eq_ignore_ascii_case(&wanted))
}

/// The export's rows grouped by the `by` value of their deal's or lead's first row, with the
/// number of deals or leads of each value.
fn split(table: &Table, by: usize, id: Option<usize>) -> BTreeMap<String, (u64, Vec<usize>)> {
    let mut value_of: BTreeMap<&str, &str> = BTreeMap::new();
    let mut groups: BTreeMap<String, (u64, Vec<usize>)> = BTreeMap::new();
    for (i, (_, row)) in table.rows.iter().enumerate() {
        let value = row.get(by).map_or("", String::as_str);
        let value = match id.and_then(|c| row.get(c)) {
            Some(deal) => match value_of.get(deal.as_str()) {
                Some(v) => *v,
                None => {
                    value_of.insert(deal, value);
                    groups.entry(value.to_string()).or_default().0 += 1;
                    value
                }
            },
            None => {
                groups.entry(value.to_string()).or_default().0 += 1;
                value
            }
        };
        groups.entry(value.to_string()).or_default().1.push(i);
    }
    groups
}

/// Calibrates the whole export (the base lines) and each value of `column` with enough deals
/// or leads on its own.
pub fn calibrate(
    file: &str,
    table: &Table,
    pipeline: Option<&Pipeline>,
    opts: &Options,
    column: &str,
) -> Result<Calibration, String> {
    let kind = opts.kind.or(opts.preset.map(|p| p.map().0)).ok_or(
        "say which kind of export this is: `--kind contacts|stages|deals|activity` or a `--preset`",
    )?;
    if opts.holdout_after.is_some() {
        return Err(
            "--by and --holdout-after together are not supported: back-test the pooled \
                    export, or one segment's rows on their own"
                .into(),
        );
    }
    let headers: Vec<&str> = table.headers.iter().map(String::as_str).collect();
    let Some(by) = headers.iter().position(|h| h.eq_ignore_ascii_case(column)) else {
        let hint = crate::check::suggest(column, &headers)
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        return Err(format!(
            "`--by {column}`: no such column in the header (columns: {}){hint}",
            headers.join(", ")
        ));
    };
    let one = Options {
        by: None,
        ..opts.clone()
    };
    let mut pooled = super::calibrate_one(file, table, pipeline, &one)?;
    let groups = split(table, by, id_column(table, kind, opts));
    let total: u64 = groups.values().map(|g| g.0).sum();
    let mut taken = BTreeSet::from([opts.name.clone()]);
    let mut segments = Vec::new();
    let mut small = Vec::new();
    for (value, (n, rows)) in groups {
        if n < opts.min_segment || value.is_empty() {
            small.push(SmallValue { value, n });
            continue;
        }
        let sub = Table {
            headers: table.headers.clone(),
            rows: rows.iter().map(|&i| table.rows[i].clone()).collect(),
            ragged: Vec::new(),
        };
        let fit = super::calibrate_one(file, &sub, pipeline, &one)
            .map_err(|e| format!("`--by {column}` value `{value}`: {e}"))?;
        segments.push(Segment {
            name: clean_name(&value, &mut taken),
            value,
            n,
            share: n as f64 / total.max(1) as f64,
            fit,
        });
    }
    let s = Segments {
        column: table.headers[by].clone(),
        min_segment: opts.min_segment,
        total,
        segments,
        small,
    };
    pooled.leads = with_segments(&pooled.leads, &s);
    pooled.segments = Some(s);
    Ok(pooled)
}

/// Items a segment may hold (docs/language.md, "Segments").
const SEGMENT_ITEMS: [&str; 8] = [
    "fact ",
    "respond ",
    "responsiveness ",
    "fatigue ",
    "reply_after ",
    "open_after ",
    "meeting_after ",
    "milestone ",
];

/// The item of a line without its trailing comment (a comment line stays whole).
fn item(line: &str) -> &str {
    let t = line.trim();
    if t.starts_with('#') {
        return t;
    }
    t.split(" #").next().unwrap_or(t).trim()
}

/// A share rounded down to 0.01%, so the segments' shares add up to at most 100%.
fn share_down(x: f64) -> String {
    super::emit::percent((x * 10_000.0 + 1e-9).floor() / 10_000.0)
}

/// The pooled block with a `segment` per fitted value before its closing brace: each holds
/// the segment's comments and the items whose text differs from the base's.
fn with_segments(base: &str, s: &Segments) -> String {
    let inner = |block: &str| -> Vec<String> {
        let start = block.find("{\n").map_or(0, |i| i + 2);
        let end = block.rfind('}').unwrap_or(block.len());
        block[start..end].lines().map(String::from).collect()
    };
    let base_items: BTreeSet<String> = inner(base)
        .iter()
        .map(|l| item(l).to_string())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let mut extra = String::new();
    let _ = writeln!(
        extra,
        "  # segments by `{}`, each value read from a deal's or lead's first row; the lines \
         above are the pooled fit, for the base population",
        s.column
    );
    for v in &s.small {
        let _ = writeln!(
            extra,
            "  # `{}`: {} below {}: not fitted alone, in the base population",
            if v.value.is_empty() {
                "(empty)"
            } else {
                &v.value
            },
            v.n,
            s.min_segment
        );
    }
    for seg in &s.segments {
        let _ = writeln!(
            extra,
            "  segment {} {} {{  # `{}` = `{}`: {} of {} ({}; stated rounded down)",
            seg.name,
            share_down(seg.share),
            s.column,
            seg.value,
            seg.n,
            s.total,
            super::emit::percent(seg.share)
        );
        for line in inner(&seg.fit.leads) {
            let it = item(&line);
            let keep = if it.starts_with('#') || it.is_empty() {
                true
            } else {
                SEGMENT_ITEMS.iter().any(|k| it.starts_with(k)) && !base_items.contains(it)
            };
            if keep && !it.is_empty() {
                let _ = writeln!(extra, "  {line}");
            }
        }
        let _ = writeln!(extra, "  }}");
    }
    match base.rfind('}') {
        Some(i) => format!("{}{extra}{}", &base[..i], &base[i..]),
        None => base.to_string() + &extra,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_clean_unique_identifiers() {
        let mut taken = BTreeSet::from(["calibrated".to_string()]);
        assert_eq!(clean_name("Enterprise", &mut taken), "enterprise");
        assert_eq!(clean_name("Mid-Market (EU)", &mut taken), "mid_market__eu");
        assert_eq!(clean_name("mid market/eu", &mut taken), "mid_market_eu");
        assert_eq!(clean_name("ENTERPRISE", &mut taken), "enterprise_2");
        assert_eq!(clean_name("2026", &mut taken), "s_2026");
        assert_eq!(clean_name("企业", &mut taken), "segment");
        assert_eq!(clean_name("calibrated", &mut taken), "calibrated_2");
    }

    #[test]
    fn a_deal_keeps_the_value_of_its_first_row() {
        let t = super::super::input::parse(b"deal,seg\na,x\nb,y\na,y\nc,x\n").unwrap();
        let g = split(&t, 1, Some(0));
        assert_eq!(g["x"], (2, vec![0, 2, 3]));
        assert_eq!(g["y"], (1, vec![1]));
        let g = split(&t, 1, None);
        assert_eq!((g["x"].0, g["y"].0), (2, 2));
    }
}
