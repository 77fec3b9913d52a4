//! What the CRM presets need beyond a column map: a column's several documented spellings,
//! and HubSpot's wide layout (one row per deal, one `Date entered` column per stage,
//! knowledge.hubspot.com/properties/stage-calculated-properties) turned into stage entries.

use super::input::{BadRow, Table};

/// The first of `A|B|…` the header has (case-insensitive), else the first.
pub fn spelling(table: &Table, choices: &str) -> String {
    let mut all = choices.split('|');
    let first = all.next().unwrap_or_default();
    std::iter::once(first)
        .chain(all)
        .find(|c| table.headers.iter().any(|h| h.eq_ignore_ascii_case(c)))
        .unwrap_or(first)
        .to_string()
}

/// The stage a HubSpot column is the entry date of: `hs_v2_date_entered_STAGE`,
/// `hs_date_entered_STAGE` (internal names) or `Date entered "LABEL (PIPELINE)"` (the
/// export's label); `None` for other columns and for `…_current_stage`.
pub fn hubspot_stage(header: &str) -> Option<String> {
    let lower = header.to_ascii_lowercase();
    for prefix in ["hs_v2_date_entered_", "hs_date_entered_"] {
        if let Some(stage) = lower.strip_prefix(prefix) {
            return (stage != "current_stage" && !stage.is_empty())
                .then(|| header[prefix.len()..].to_string());
        }
    }
    let rest = header
        .get(..13)?
        .eq_ignore_ascii_case("date entered ")
        .then(|| &header[13..])?;
    let label = rest.trim().trim_matches(['"', '\'', '“', '”']);
    // the label ends with its pipeline in brackets
    let label = match label.rfind(" (") {
        Some(i) if label.ends_with(')') => &label[..i],
        _ => label,
    };
    (!label.is_empty()).then(|| label.trim().to_string())
}

/// One row per deal → one row per (deal, stage entered): `deal,stage,entered,amount`.
pub fn widen(table: &Table) -> Result<Table, String> {
    let find = |choices: &str| {
        let name = spelling(table, choices);
        table
            .headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(&name))
    };
    let deal = find("Record ID|hs_object_id|Deal ID|dealId").ok_or_else(|| {
        format!(
            "no deal id column (`Record ID` or `hs_object_id`) in the header (columns: {})",
            table.headers.join(", ")
        )
    })?;
    let amount = find("Amount|amount");
    let stages: Vec<(usize, String)> = table
        .headers
        .iter()
        .enumerate()
        .filter_map(|(i, h)| hubspot_stage(h).map(|s| (i, s)))
        .collect();
    if stages.is_empty() {
        return Err(
            "no `Date entered` stage column (`hs_v2_date_entered_STAGE`, \
                    `hs_date_entered_STAGE` or `Date entered \"STAGE (PIPELINE)\"`) in the header"
                .into(),
        );
    }
    let mut rows = Vec::new();
    for (line, row) in &table.rows {
        for (i, stage) in &stages {
            let at = &row[*i];
            if at.is_empty() {
                continue;
            }
            let amount = amount.map(|a| row[a].clone()).unwrap_or_default();
            rows.push((
                *line,
                vec![row[deal].clone(), stage.clone(), at.clone(), amount],
            ));
        }
    }
    let ragged: Vec<BadRow> = table.ragged.clone();
    Ok(Table {
        headers: ["deal", "stage", "entered", "amount"]
            .map(String::from)
            .to_vec(),
        rows,
        ragged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hubspot_columns_name_their_stage() {
        assert_eq!(
            hubspot_stage("hs_v2_date_entered_closedwon").as_deref(),
            Some("closedwon")
        );
        assert_eq!(
            hubspot_stage("hs_date_entered_123456").as_deref(),
            Some("123456")
        );
        assert_eq!(hubspot_stage("hs_v2_date_entered_current_stage"), None);
        assert_eq!(
            hubspot_stage("Date entered \"Appointment Scheduled (Sales Pipeline)\"").as_deref(),
            Some("Appointment Scheduled")
        );
        assert_eq!(hubspot_stage("Amount"), None);
    }

    #[test]
    fn a_wide_export_becomes_one_entry_per_stage_entered() {
        let t = super::super::input::parse(
            b"Record ID,Amount,hs_v2_date_entered_lead,hs_v2_date_entered_won\n\
              7,100,2026-01-01,2026-01-09\n8,,2026-01-02,\n",
        )
        .unwrap();
        let w = widen(&t).unwrap();
        let rows: Vec<(u64, Vec<String>)> = w.rows;
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[1],
            (
                2,
                ["7", "won", "2026-01-09", "100"].map(String::from).to_vec()
            )
        );
        assert_eq!(rows[2].1[..2], ["8".to_string(), "lead".to_string()]);
        assert!(widen(&super::super::input::parse(b"x,y\n1,2\n").unwrap()).is_err());
    }

    #[test]
    fn a_preset_column_takes_the_spelling_the_header_has() {
        let t = super::super::input::parse(b"Potential Name,Stage,Last Modified Time\n").unwrap();
        assert_eq!(spelling(&t, "Deal_Name|Potential Name"), "Potential Name");
        assert_eq!(
            spelling(&t, "Modified_Time|Last Modified Time"),
            "Last Modified Time"
        );
        assert_eq!(spelling(&t, "Amount"), "Amount");
    }
}
