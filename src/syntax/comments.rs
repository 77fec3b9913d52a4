//! Finding `#` comments in source text: a `#` outside a string starts a comment that runs to the
//! end of its line. The grammar skips comments; the parser uses these offsets to end spans before
//! trailing comments, and the formatter to put every comment back.

/// One `#` comment: byte offsets into the source and its text (from `#`, trailing whitespace
/// removed, so `end` is the offset just after the last non-blank character).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// Every comment of `text`, in source order. Strings (`"..."` with `\` escapes, never spanning
/// a line) are skipped, so a `#` inside a title is not a comment.
pub fn scan_comments(text: &str) -> Vec<Comment> {
    let mut out = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    let mut i = 0;
    while let Some(c) = text.get(i..).and_then(|rest| rest.chars().next()) {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' | '\n' => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
        } else if c == '#' {
            let line_end = text
                .get(i..)
                .and_then(|rest| rest.find('\n'))
                .map_or(text.len(), |n| i + n);
            let trimmed = text.get(i..line_end).unwrap_or("").trim_end();
            out.push(Comment {
                start: i,
                end: i + trimmed.len(),
                text: trimmed.to_string(),
            });
            // continue at the newline (or the end of the text)
            i = line_end;
            continue;
        }
        i += c.len_utf8();
    }
    out
}
