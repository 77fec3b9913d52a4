//! The text reports' tables laid out from the data: each column as wide as its widest cell in
//! display width (a CJK character takes two columns), so long or Chinese names never push the
//! columns out of line.

use unicode_width::UnicodeWidthStr;

/// How a column's cells sit in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// The display width of `s` in a terminal's columns.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Rows as lines, each starting with `indent`, columns two spaces apart (`align` per column;
/// a column past it is left-aligned). The last cell of a line is not padded, so no line ends
/// in spaces.
pub fn layout(indent: &str, align: &[Align], rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| width(s))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut o = String::new();
    for r in rows {
        let mut line = String::from(indent);
        for (c, cell) in r.iter().enumerate() {
            if c > 0 {
                line.push_str("  ");
            }
            let pad = " ".repeat(widths[c] - width(cell));
            let last = c + 1 == r.len();
            match align.get(c).copied().unwrap_or(Align::Left) {
                Align::Right => {
                    line.push_str(&pad);
                    line.push_str(cell);
                }
                Align::Left => {
                    line.push_str(cell);
                    if !last {
                        line.push_str(&pad);
                    }
                }
            }
        }
        o.push_str(line.trim_end());
        o.push('\n');
    }
    o
}

#[cfg(test)]
mod tests {
    use super::{layout, width, Align::*};

    #[test]
    fn chinese_counts_two_columns_per_character() {
        assert_eq!(width("初次接触"), 8);
        assert_eq!(width("call_1"), 6);
        assert_eq!(width("é"), 1);
    }

    #[test]
    fn columns_are_as_wide_as_their_widest_cell() {
        let rows = vec![
            vec!["a".to_string(), "1".into(), "x".into()],
            vec!["初次接触".to_string(), "1000".into(), "yy".into()],
            vec![
                "a_very_long_step_name".to_string(),
                "22".into(),
                String::new(),
            ],
        ];
        let want = concat!(
            "  a                         1  x\n",
            "  初次接触               1000  yy\n",
            "  a_very_long_step_name    22\n",
        );
        assert_eq!(layout("  ", &[Left, Right, Left], &rows), want);
    }
}
