//! Reading a CRM export: a CSV file (`,`, `;` or tab, sniffed from the header line), a column
//! map from the roles calibration needs to the export's own headers, dates in the common
//! layouts, and every row that cannot be used counted with its line and reason.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

/// Files larger than this are refused rather than read into memory.
pub const MAX_BYTES: u64 = 1 << 30;

#[derive(Debug)]
pub struct Table {
    pub headers: Vec<String>,
    /// (1-based line of the record's start, its fields)
    pub rows: Vec<(u64, Vec<String>)>,
    /// records whose field count differs from the header's
    pub ragged: Vec<BadRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadRow {
    pub line: u64,
    pub reason: String,
}

pub fn read(path: &Path) -> Result<Table, String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("{shown}: {e}"))?;
    if meta.len() > MAX_BYTES {
        return Err(format!(
            "{shown}: {} bytes is more than the {} this command reads",
            meta.len(),
            MAX_BYTES
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{shown}: {e}"))?;
    parse(&bytes).map_err(|e| format!("{shown}: {e}"))
}

pub fn parse(bytes: &[u8]) -> Result<Table, String> {
    if bytes.iter().take(8192).any(|&b| b == 0) {
        return Err("this is a binary file, not a CSV export".into());
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let delimiter = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| (first.iter().filter(|b| *b == d).count(), *d == b','))
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(bytes);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| format!("line 1: {e}"))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if headers.iter().all(String::is_empty) {
        return Err("the file is empty: no header line".into());
    }
    let newlines: Vec<usize> = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i)
        .collect();
    let mut table = Table {
        headers,
        rows: Vec::new(),
        ragged: Vec::new(),
    };
    for record in reader.records() {
        let record = record.map_err(|e| match e.position() {
            Some(p) => format!("line {}: {e}", p.line()),
            None => e.to_string(),
        })?;
        // from the byte offset: the reader's own line count skips blank lines
        let line = record.position().map_or(0, |p| {
            // the offset is where the reader started, before the blank lines it skipped
            let mut at = p.byte() as usize;
            while matches!(bytes.get(at), Some(b'\n' | b'\r')) {
                at += 1;
            }
            1 + newlines.partition_point(|&n| n < at) as u64
        });
        if record.len() != table.headers.len() {
            if record.len() == 1 && record[0].trim().is_empty() {
                continue; // a blank line
            }
            table.ragged.push(BadRow {
                line,
                reason: format!(
                    "{} fields where the header has {}",
                    record.len(),
                    table.headers.len()
                ),
            });
            continue;
        }
        table
            .rows
            .push((line, record.iter().map(|f| f.trim().to_string()).collect()));
    }
    Ok(table)
}

/// Which column holds each role: `--map role=Column,...` over a preset over the defaults
/// (a column named like the role, case-insensitively).
pub fn columns(
    table: &Table,
    roles: &[(&'static str, bool)],
    map: &BTreeMap<String, String>,
) -> Result<BTreeMap<&'static str, usize>, String> {
    let names: Vec<&str> = roles.iter().map(|r| r.0).collect();
    for role in map.keys() {
        if !names.contains(&role.as_str()) {
            let hint = crate::check::suggest(role, &names)
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            return Err(format!(
                "`--map {role}=…`: this export kind has no role `{role}` (roles: {}){hint}",
                names.join(", ")
            ));
        }
    }
    let headers: Vec<&str> = table.headers.iter().map(String::as_str).collect();
    let mut found = BTreeMap::new();
    for &(role, required) in roles {
        let wanted = map.get(role).map_or(role, String::as_str);
        match headers.iter().position(|h| h.eq_ignore_ascii_case(wanted)) {
            Some(i) => {
                found.insert(role, i);
            }
            None if required || map.contains_key(role) => {
                let hint = crate::check::suggest(wanted, &headers)
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                return Err(format!(
                    "no column `{wanted}` for `{role}` in the header (columns: {}){hint}; \
                     map it with `--map {role}=COLUMN`",
                    headers.join(", ")
                ));
            }
            None => {}
        }
    }
    Ok(found)
}

/// `role=Column,role=Column`; a column name may hold spaces.
pub fn parse_map(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut map = BTreeMap::new();
    for part in text.split(',').filter(|p| !p.trim().is_empty()) {
        let (role, column) = part
            .split_once('=')
            .ok_or_else(|| format!("`{part}` in --map is not ROLE=COLUMN"))?;
        map.insert(role.trim().to_string(), column.trim().to_string());
    }
    Ok(map)
}

/// How to read `03/04/2026`: day first or month first; unset, such dates are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum DateOrder {
    #[default]
    Unset,
    Dmy,
    Mdy,
}

/// A date or date-time in the common export layouts; a bare date is midnight, and says so
/// (`false`), since same-day moves then have no time between them.
pub fn parse_time(text: &str, order: DateOrder) -> Result<(NaiveDateTime, bool), String> {
    let t = text.trim();
    let t = t.strip_suffix('Z').unwrap_or(t);
    // an offset after the time (+08:00, +0800) is dropped: one export, one zone
    let t = match t.rfind(['+', '-']) {
        Some(i) if i > 10 && t[..i].contains(':') => &t[..i],
        _ => t,
    };
    for layout in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S",
        "%Y/%m/%d %H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, layout) {
            return Ok((dt, true));
        }
    }
    for layout in ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%d.%m.%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(t, layout) {
            return Ok((d.and_time(chrono::NaiveTime::MIN), false));
        }
    }
    // a/b/yyyy [time]: the order must be known
    let (date, time) = t.split_once(' ').unwrap_or((t, ""));
    let parts: Vec<&str> = date.split('/').collect();
    if parts.len() == 3 && parts[2].len() == 4 {
        let (d, m) = match order {
            DateOrder::Dmy => (parts[0], parts[1]),
            DateOrder::Mdy => (parts[1], parts[0]),
            DateOrder::Unset => {
                return Err(format!(
                    "`{text}`: day/month or month/day? say `--dates dmy` or `--dates mdy`"
                ))
            }
        };
        let iso = format!("{}-{m:0>2}-{d:0>2} {time}", parts[2]);
        return parse_time(iso.trim(), DateOrder::Unset)
            .map_err(|_| format!("`{text}` is not a date"));
    }
    Err(format!(
        "`{text}` is not a date (YYYY-MM-DD, optionally with HH:MM)"
    ))
}

/// Yes/no in the words exports use.
pub fn parse_flag(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "1" | "won" | "closed won" | "success" | "converted" => Some(true),
        "no" | "n" | "false" | "0" | "lost" | "closed lost" | "failure" | "not converted" => {
            Some(false)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_the_delimiter_and_counts_ragged_rows() {
        let t = parse(b"a;b;c\n1;2;3\n4;5\n\n\"x;y\";2;3\n").unwrap();
        assert_eq!(t.headers, ["a", "b", "c"]);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[1], (5, vec!["x;y".into(), "2".into(), "3".into()]));
        assert_eq!(t.ragged[0].line, 3);
        assert!(parse(b"a,b\0").is_err());
    }

    #[test]
    fn dates_in_the_common_layouts() {
        let at = |s| parse_time(s, DateOrder::Unset).map(|(d, _)| d.to_string());
        assert_eq!(at("2026-03-02").unwrap(), "2026-03-02 00:00:00");
        assert_eq!(at("2026-03-02T09:30:00Z").unwrap(), "2026-03-02 09:30:00");
        assert_eq!(
            at("2026-03-02T09:30:00.000+08:00").unwrap(),
            "2026-03-02 09:30:00"
        );
        assert_eq!(at("2026/03/02 09:30").unwrap(), "2026-03-02 09:30:00");
        assert_eq!(at("02.03.2026").unwrap(), "2026-03-02 00:00:00");
        assert!(at("03/02/2026").unwrap_err().contains("--dates"));
        let dmy = parse_time("3/2/2026 09:30", DateOrder::Dmy).unwrap().0;
        assert_eq!(dmy.to_string(), "2026-02-03 09:30:00");
        assert!(at("2026-13-01").is_err());
        assert!(at("soon").is_err());
    }

    #[test]
    fn column_map_errors_name_the_choices() {
        let t = parse(b"Opportunity_ID,Stage,Entered_At\n1,a,2026-01-01\n").unwrap();
        let roles = [
            ("deal", true),
            ("stage", true),
            ("entered", true),
            ("amount", false),
        ];
        let mut map = parse_map("deal=Opportunity_ID,entered=Entered_At").unwrap();
        let c = columns(&t, &roles, &map).unwrap();
        assert_eq!((c["deal"], c["stage"], c["entered"]), (0, 1, 2));
        assert!(!c.contains_key("amount"));
        map.insert("entred".into(), "x".into());
        assert!(columns(&t, &roles, &map)
            .unwrap_err()
            .contains("did you mean `entered`"));
        let map = parse_map("deal=Opportunity_Id2").unwrap();
        let e = columns(&t, &roles, &map).unwrap_err();
        assert!(e.contains("did you mean `Opportunity_ID`"), "{e}");
    }
}
