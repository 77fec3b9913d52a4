//! pest pairs → spanned AST. The only module that names pest's `Rule` and `Pair`.

use pest::iterators::{Pair, Pairs};
use pest::Parser as _;
use pest_derive::Parser;

use super::ast::*;
use crate::diagnostics::{codes, Diagnostic};
use crate::source::{FileId, Span};

mod playbook;

#[derive(Parser)]
#[grammar = "../grammar/cadence.pest"]
struct Grammar;

/// Files above this size are refused before parsing (a cadence project file is a few KB).
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;
/// Brackets nested deeper than this are refused before parsing (the grammar recurses on them).
pub const MAX_NESTING: usize = 64;

/// Parse one file. Returns the tree when the syntax is valid, plus every diagnostic found
/// (literal errors such as an out-of-range number do not stop parsing). After a syntax error,
/// parsing resumes at the next declaration so that every broken block is reported; a file with
/// a syntax error yields no tree, so the checker never sees part of a file.
pub fn parse_file(file: FileId, text: &str) -> (Option<File>, Vec<Diagnostic>) {
    if let Some(d) = precheck(file, text) {
        return (None, vec![d]);
    }
    let pairs = match Grammar::parse(Rule::file, text) {
        Ok(p) => p,
        Err(e) => return (None, syntax_errors(file, text, e)),
    };
    let mut b = Builder {
        file,
        text,
        comments: super::comments::scan_comments(text)
            .iter()
            .map(|c| c.start)
            .collect(),
        diagnostics: Vec::new(),
    };
    let result = pairs
        .into_iter()
        .next()
        .ok_or(Bug)
        .and_then(|p| b.file_node(p));
    match result {
        Ok(f) if f.items.is_empty() => {
            b.diagnostics.push(
                Diagnostic::new(&codes::E0006, Span::new(file, 0, text.len()), "file declares nothing")
                    .with_label("no calendar, pipeline, cadence, leads, simulation or test")
                    .with_help("a `.cadence` file holds at least one declaration; delete the file if it is not needed"),
            );
            (Some(f), b.diagnostics)
        }
        Ok(f) => (Some(f), b.diagnostics),
        Err(Bug) => {
            b.diagnostics.push(Diagnostic::new(
                &codes::E0100,
                Span::new(file, 0, 0),
                "the parser met a tree shape it does not know",
            ));
            (None, b.diagnostics)
        }
    }
}

/// Parse a condition alone (tests and tools).
pub fn parse_expr(file: FileId, text: &str) -> Result<Expr, Diagnostic> {
    if let Some(d) = precheck(file, text) {
        return Err(d);
    }
    let mut pairs =
        Grammar::parse(Rule::expr_entry, text).map_err(|e| one_syntax_error(file, text, &e))?;
    let mut b = Builder {
        file,
        text,
        comments: super::comments::scan_comments(text)
            .iter()
            .map(|c| c.start)
            .collect(),
        diagnostics: Vec::new(),
    };
    let entry = pairs.next().ok_or(Bug);
    let expr = entry
        .and_then(|p| first(p.into_inner()))
        .and_then(|p| b.expr(p))
        .map_err(|_| {
            Diagnostic::new(
                &codes::E0100,
                Span::new(file, 0, 0),
                "internal parser error",
            )
        })?;
    match b.diagnostics.into_iter().next() {
        Some(d) => Err(d),
        None => Ok(expr),
    }
}

/// Parse a duration alone (tests and tools).
pub fn parse_duration(file: FileId, text: &str) -> Result<Duration, Diagnostic> {
    let mut pairs =
        Grammar::parse(Rule::duration_entry, text).map_err(|e| one_syntax_error(file, text, &e))?;
    let mut b = Builder {
        file,
        text,
        comments: super::comments::scan_comments(text)
            .iter()
            .map(|c| c.start)
            .collect(),
        diagnostics: Vec::new(),
    };
    let d = pairs
        .next()
        .ok_or(Bug)
        .and_then(|p| first(p.into_inner()))
        .and_then(|p| b.duration(p))
        .map_err(|_| {
            Diagnostic::new(
                &codes::E0100,
                Span::new(file, 0, 0),
                "internal parser error",
            )
        })?;
    match b.diagnostics.into_iter().next() {
        Some(d) => Err(d),
        None => Ok(d),
    }
}

/// Refuse input the grammar should never see: binary data, huge files, runaway nesting.
fn precheck(file: FileId, text: &str) -> Option<Diagnostic> {
    if text.len() > MAX_FILE_BYTES {
        return Some(
            Diagnostic::new(
                &codes::E0002,
                Span::new(file, 0, 0),
                format!(
                    "file is too large ({} bytes, the limit is {} bytes)",
                    text.len(),
                    MAX_FILE_BYTES
                ),
            )
            .with_help(
                "split the project into several files; a cadence file is usually a few kilobytes",
            ),
        );
    }
    if let Some((pos, c)) = text
        .char_indices()
        .find(|(_, c)| *c == '\0' || (c.is_control() && !matches!(c, '\n' | '\r' | '\t')))
    {
        return Some(
            Diagnostic::new(
                &codes::E0003,
                Span::new(file, pos, pos + c.len_utf8()),
                "file contains binary data",
            )
            .with_label("control character here")
            .with_help("cadence files are UTF-8 text; check that this is the file you meant"),
        );
    }
    let mut depth = 0usize;
    // `not not not ... x` recurses in the grammar like brackets do; count runs of `not` as depth
    let mut nots = 0usize;
    let mut word_start: Option<usize> = None;
    let mut in_string = false;
    let mut in_comment = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if in_comment {
            in_comment = c != '\n';
            continue;
        }
        let is_word = !in_string && (c.is_alphanumeric() || c == '_');
        match (word_start, is_word) {
            (None, true) => word_start = Some(i),
            (Some(st), false) => {
                word_start = None;
                if &text[st..i] == "not" {
                    nots += 1;
                    if depth + nots > MAX_NESTING {
                        return Some(
                            Diagnostic::new(
                                &codes::E0004,
                                Span::new(file, st, i),
                                format!("conditions are nested more than {MAX_NESTING} deep"),
                            )
                            .with_label("too deep here")
                            .with_help("`not not x` is `x`: simplify the condition"),
                        );
                    }
                } else {
                    nots = 0;
                }
            }
            _ => {}
        }
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' | '\n' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '#' => in_comment = true,
            '"' => in_string = true,
            '(' | '{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(
                        Diagnostic::new(
                            &codes::E0004,
                            Span::new(file, i, i + 1),
                            format!("brackets are nested more than {MAX_NESTING} deep"),
                        )
                        .with_label("too deep here")
                        .with_help("split the condition into simpler parts"),
                    );
                }
            }
            ')' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

// ───────────── syntax errors ─────────────

/// Every syntax error of a file. After an error, parsing starts again (on the rest of the text,
/// positions shifted back to the file's) at the first line at or after the error that begins
/// with a declaration word in column 1; each restart is later in the file than the one before,
/// so the loop ends, and each part of the text is parsed about once.
fn syntax_errors(file: FileId, text: &str, first: pest::error::Error<Rule>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut start = 0usize;
    let mut err = first;
    loop {
        let (at, positives) = error_position(&err);
        let pos = (start + at).min(text.len());
        out.push(syntax_error(file, text, pos, &positives));
        let Some(next) = next_declaration(text, pos, start) else {
            break;
        };
        start = next;
        match Grammar::parse(Rule::file, text.get(start..).unwrap_or("")) {
            Ok(_) => break,
            Err(e) => err = e,
        }
    }
    out
}

/// The syntax error of a fragment (no recovery: a fragment is one construct).
fn one_syntax_error(file: FileId, text: &str, e: &pest::error::Error<Rule>) -> Diagnostic {
    let (pos, positives) = error_position(e);
    syntax_error(file, text, pos.min(text.len()), &positives)
}

fn error_position(e: &pest::error::Error<Rule>) -> (usize, Vec<Rule>) {
    let pos = match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let positives = match &e.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        pest::error::ErrorVariant::CustomError { .. } => Vec::new(),
    };
    (pos, positives)
}

/// The first line start at or after `from` and after `after` that begins with a declaration.
fn next_declaration(text: &str, from: usize, after: usize) -> Option<usize> {
    let at_line_start = from == 0 || text.as_bytes().get(from.checked_sub(1)?) == Some(&b'\n');
    let mut line = if at_line_start {
        from
    } else {
        from + text.get(from..)?.find('\n')? + 1
    };
    loop {
        let rest = text.get(line..)?;
        // the first six block words are the declarations (the grammar's `item`)
        let starts = BLOCK_WORDS[..7].iter().any(|w| {
            rest.strip_prefix(w)
                .is_some_and(|r| !r.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
        });
        if starts && line > after {
            return Some(line);
        }
        line += rest.find('\n')? + 1;
    }
}

fn syntax_error(file: FileId, text: &str, pos: usize, positives: &[Rule]) -> Diagnostic {
    let at_top = positives == [Rule::file];
    let rest = text.get(pos..).unwrap_or("");
    // An opening quote with no closing quote on its line is the common case worth naming.
    if let Some(start) = unterminated_string_before(text, pos) {
        let end = text[start..]
            .find('\n')
            .map(|n| start + n)
            .unwrap_or(text.len());
        return Diagnostic::new(
            &codes::E0102,
            Span::new(file, start, end),
            "unterminated string",
        )
        .with_label("this string has no closing `\"`")
        .with_help("close the string with `\"` on the same line");
    }
    let found_end = pos + token_len(rest);
    let found_text = &text[pos..found_end];
    let found = if rest.is_empty() {
        "end of file".to_string()
    } else {
        format!("`{found_text}`")
    };
    let expected = describe_expected(positives);
    let keywords: Vec<String> = if at_top {
        BLOCK_WORDS[..7].iter().map(|w| w.to_string()).collect()
    } else {
        positives.iter().filter_map(|r| keyword_of(*r)).collect()
    };
    let kw_refs: Vec<&str> = keywords.iter().map(|k| k.as_str()).collect();
    // the statement so far: the current line and the one before it
    let stmt_start = text[..pos]
        .trim_end()
        .rfind('\n')
        .and_then(|i| text[..i].rfind('\n').map(|j| j + 1))
        .unwrap_or(0);
    let line_before = &text[stmt_start..pos];
    let typo = crate::check::suggest(found_text, &kw_refs)
        .or_else(|| crate::check::suggest(found_text, &KEYWORDS));
    let typo = typo.filter(|k| *k != found_text);
    let help = if positives.contains(&Rule::kw_business) {
        "a duration needs a unit: `3d`, `4h`, `30min`, `2w`, `1mo`, `3 business days`".to_string()
    } else if let Some(k) = typo.filter(|_| {
        found_text.len() > 2 && found_text.chars().all(|c| c.is_alphanumeric() || c == '_')
    }) {
        format!("did you mean `{k}`?")
    } else if !at_top && BLOCK_WORDS.contains(&found_text) && !kw_refs.contains(&found_text) {
        "a closing `}` may be missing before this line".to_string()
    } else if line_before.matches('(').count() > line_before.matches(')').count() {
        "a `(` on this line is not closed".to_string()
    } else if rest.is_empty() {
        "the file ends too early: a closing `}` may be missing".to_string()
    } else {
        format!("expected {expected} here")
    };
    let span = Span::new(file, pos, found_end.max(pos));
    Diagnostic::new(&codes::E0101, span, format!("unexpected {found}"))
        .with_label(format!("expected {expected}"))
        .with_help(help)
}

/// Words that start a declaration or a block item: meeting one where it cannot go usually means
/// the block before it was not closed.
const BLOCK_WORDS: [&str; 13] = [
    "calendar",
    "pipeline",
    "cadence",
    "leads",
    "simulation",
    "test",
    "target",
    "stage",
    "step",
    "track",
    "segment",
    "facts",
    "respond",
];

/// Every keyword of the language, for "did you mean" on misspelt keywords.
const KEYWORDS: [&str; 79] = [
    "active",
    "after",
    "and",
    "arrivals",
    "as",
    "assign",
    "at",
    "business",
    "cadence",
    "calendar",
    "continue",
    "count",
    "defer",
    "during",
    "enroll",
    "escalate",
    "escalation",
    "events",
    "except",
    "exit",
    "expect",
    "fact",
    "facts",
    "fatigue",
    "field",
    "hand_off",
    "holidays",
    "horizon",
    "hours",
    "immediately",
    "in",
    "lead",
    "leads",
    "max_gap",
    "milestone",
    "most",
    "no_backward",
    "no_skip",
    "not",
    "on",
    "or",
    "otherwise",
    "outcome",
    "path",
    "per",
    "pipeline",
    "priority",
    "reply_after",
    "open_after",
    "meeting_after",
    "require",
    "respond",
    "responsiveness",
    "roles",
    "seed",
    "segment",
    "set",
    "simulation",
    "skip",
    "stage",
    "start",
    "step",
    "target",
    "task",
    "template",
    "test",
    "then",
    "times",
    "timezone",
    "title",
    "to",
    "touch",
    "touches",
    "track",
    "variant",
    "when",
    "within",
    "workday",
    "workdays",
];

fn keyword_of(r: Rule) -> Option<String> {
    format!("{r:?}").strip_prefix("kw_").map(str::to_string)
}

/// The byte offset of a `"` that opens a string never closed on its line, at or before `pos` on pos's line.
fn unterminated_string_before(text: &str, pos: usize) -> Option<usize> {
    let line_start = text[..pos.min(text.len())]
        .rfind('\n')
        .map(|i| i + 1)
        .unwrap_or(0);
    let line_end = text[line_start..]
        .find('\n')
        .map(|n| line_start + n)
        .unwrap_or(text.len());
    let line = &text[line_start..line_end];
    let mut open: Option<usize> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match (open, c) {
            (None, '#') => return None,
            (None, '"') => open = Some(line_start + i),
            (Some(_), _) if escaped => escaped = false,
            (Some(_), '\\') => escaped = true,
            (Some(_), '"') => open = None,
            _ => {}
        }
    }
    open
}

fn token_len(rest: &str) -> usize {
    let mut chars = rest.char_indices();
    match chars.next() {
        None => 0,
        Some((_, c)) if c.is_alphanumeric() || c == '_' => rest
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '.'))
            .map(|(i, _)| i)
            .unwrap_or(rest.len()),
        Some((_, c)) => c.len_utf8(),
    }
}

fn describe_expected(rules: &[Rule]) -> String {
    let mut words: Vec<String> = Vec::new();
    for r in rules {
        let w = rule_words(*r);
        if !words.contains(&w) {
            words.push(w);
        }
    }
    words.sort();
    match words.len() {
        0 => "something else".to_string(),
        1 => words.remove(0),
        n if n > 10 => {
            let shown = words[..8].join(", ");
            format!("one of {shown} or {} more", n - 8)
        }
        _ => {
            let last = words.pop().unwrap_or_default();
            format!("{} or {}", words.join(", "), last)
        }
    }
}

fn rule_words(r: Rule) -> String {
    if r == Rule::kw_business {
        return "a duration unit (`min`, `h`, `d`, `w`, `mo`, `business days`, `business hours`)"
            .to_string();
    }
    let name = format!("{r:?}");
    if let Some(kw) = name.strip_prefix("kw_") {
        return format!("`{kw}`");
    }
    let w = match r {
        Rule::EOI => "end of file",
        Rule::file => {
            "a declaration (`calendar`, `pipeline`, `cadence`, `leads`, `simulation` or `test`)"
        }
        Rule::ident | Rule::arg_name => "a name",
        Rule::path => "a name",
        Rule::string => "a string",
        Rule::number | Rule::number_body => "a number",
        Rule::integer => "a whole number",
        Rule::percent => "a percentage",
        Rule::money => "an amount of money",
        Rule::currency => "a currency code (e.g. `CNY`)",
        Rule::duration | Rule::business_duration => "a duration",
        Rule::dur_unit => "a duration unit (`min`, `h`, `d`, `w`, `mo`)",
        Rule::business_unit => "`days` or `hours`",
        Rule::clock => "a clock time (e.g. `09:00`)",
        Rule::date => "a date (e.g. `2026-10-01`)",
        Rule::datetime => "a date and time",
        Rule::relative_time => "a relative time (e.g. `+3h`)",
        Rule::boolean => "`true` or `false`",
        Rule::cmp_op => "a comparison (`==`, `<`, ...)",
        Rule::calendar | Rule::calendar_ref => "`calendar`",
        Rule::pipeline | Rule::works_stage | Rule::sim_pipeline => "`pipeline`",
        Rule::sim_cadences => "`cadences`",
        Rule::cadence | Rule::sim_cadence => "`cadence`",
        Rule::leads | Rule::sim_leads => "`leads`",
        Rule::simulation => "`simulation`",
        Rule::test => "`test`",
        Rule::title => "`title`",
        Rule::targets => "`target`",
        Rule::timezone => "`timezone`",
        Rule::step => "`step`",
        Rule::track => "`track`",
        Rule::expr | Rule::comparison | Rule::not_expr | Rule::and_expr => "a condition",
        Rule::effects => "`->`",
        Rule::distribution | Rule::dist_call => "a distribution",
        Rule::scale => "`k`, `m` or `b`",
        _ => return format!("`{}`", name.replace('_', " ")),
    };
    w.to_string()
}

// ───────────── tree building ─────────────

/// The grammar guarantees tree shapes; a mismatch is an internal error, never a panic.
#[derive(Debug)]
struct Bug;

type R<T> = Result<T, Bug>;

fn first<'a>(mut p: Pairs<'a, Rule>) -> R<Pair<'a, Rule>> {
    p.next().ok_or(Bug)
}

/// Children without keyword tokens.
fn children(p: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    p.into_inner().filter(|c| !is_keyword(c.as_rule()))
}

fn is_keyword(r: Rule) -> bool {
    matches!(
        r,
        Rule::kw_active
            | Rule::kw_after
            | Rule::kw_cadences
            | Rule::kw_and
            | Rule::kw_arrivals
            | Rule::kw_as
            | Rule::kw_assign
            | Rule::kw_at
            | Rule::kw_business
            | Rule::kw_cadence
            | Rule::kw_calendar
            | Rule::kw_continue
            | Rule::kw_count
            | Rule::kw_defer
            | Rule::kw_during
            | Rule::kw_enroll
            | Rule::kw_escalate
            | Rule::kw_escalation
            | Rule::kw_events
            | Rule::kw_except
            | Rule::kw_exit
            | Rule::kw_expect
            | Rule::kw_fact
            | Rule::kw_facts
            | Rule::kw_fatigue
            | Rule::kw_field
            | Rule::kw_hand_off
            | Rule::kw_holidays
            | Rule::kw_horizon
            | Rule::kw_hours
            | Rule::kw_immediately
            | Rule::kw_in
            | Rule::kw_lead
            | Rule::kw_leads
            | Rule::kw_max_gap
            | Rule::kw_milestone
            | Rule::kw_most
            | Rule::kw_no_backward
            | Rule::kw_no_skip
            | Rule::kw_not
            | Rule::kw_on
            | Rule::kw_or
            | Rule::kw_otherwise
            | Rule::kw_outcome
            | Rule::kw_path
            | Rule::kw_per
            | Rule::kw_pipeline
            | Rule::kw_priority
            | Rule::kw_reply_after
            | Rule::kw_open_after
            | Rule::kw_meeting_after
            | Rule::kw_require
            | Rule::kw_respond
            | Rule::kw_responsiveness
            | Rule::kw_roles
            | Rule::kw_seed
            | Rule::kw_segment
            | Rule::kw_set
            | Rule::kw_skip
            | Rule::kw_simulation
            | Rule::kw_stage
            | Rule::kw_start
            | Rule::kw_step
            | Rule::kw_target
            | Rule::kw_task
            | Rule::kw_template
            | Rule::kw_test
            | Rule::kw_then
            | Rule::kw_times
            | Rule::kw_timezone
            | Rule::kw_title
            | Rule::kw_to
            | Rule::kw_touch
            | Rule::kw_touches
            | Rule::kw_track
            | Rule::kw_variant
            | Rule::kw_when
            | Rule::kw_within
            | Rule::kw_workday
            | Rule::kw_workdays
    )
}

struct Builder<'t> {
    file: FileId,
    text: &'t str,
    comments: Vec<usize>,
    diagnostics: Vec<Diagnostic>,
}

/// pest's implicit whitespace lets a rule that ends in an optional part swallow the blanks and
/// comments after it; a span ends at its last real character instead. `comments` holds the byte
/// offsets of every comment's `#`, sorted, so trimming costs a binary search, not a line scan.
fn trim_end(text: &str, comments: &[usize], start: usize, mut end: usize) -> usize {
    let bytes = text.as_bytes();
    loop {
        while end > start && bytes.get(end - 1).is_some_and(|b| b.is_ascii_whitespace()) {
            end -= 1;
        }
        // the last comment that starts inside the span
        let k = comments.partition_point(|c| *c < end);
        match k.checked_sub(1).map(|k| comments[k]) {
            // it reaches the span's end only if no line break lies between
            Some(c) if c >= start && !bytes[c..end].contains(&b'\n') => end = c,
            _ => return end,
        }
    }
}

impl Builder<'_> {
    fn span(&self, p: &Pair<'_, Rule>) -> Span {
        let s = p.as_span();
        let end = trim_end(self.text, &self.comments, s.start(), s.end());
        Span::new(self.file, s.start(), end)
    }

    fn file_node(&mut self, p: Pair<'_, Rule>) -> R<File> {
        let mut items = Vec::new();
        for c in p.into_inner() {
            let item = match c.as_rule() {
                Rule::calendar => Item::Calendar(self.calendar(c)?),
                Rule::pipeline => Item::Pipeline(self.pipeline(c)?),
                Rule::cadence => Item::Cadence(self.cadence(c)?),
                Rule::leads => Item::Leads(self.leads(c)?),
                Rule::simulation => Item::Simulation(self.simulation(c)?),
                Rule::test => Item::Test(self.test(c)?),
                Rule::targets => Item::Targets(self.targets(c)),
                Rule::EOI => continue,
                _ => return Err(Bug),
            };
            items.push(item);
        }
        Ok(File { items })
    }

    fn targets(&self, p: Pair<'_, Rule>) -> Targets {
        let span = self.span(&p);
        let names = children(p).map(|c| self.ident(c)).collect();
        Targets { names, span }
    }

    fn ident(&self, p: Pair<'_, Rule>) -> Ident {
        Ident {
            name: p.as_str().to_string(),
            span: self.span(&p),
        }
    }

    fn path(&self, p: Pair<'_, Rule>) -> Path {
        Path {
            text: p.as_str().to_string(),
            span: self.span(&p),
        }
    }

    fn string(&mut self, p: Pair<'_, Rule>) -> R<Str> {
        let span = self.span(&p);
        let body = first(p.into_inner())?;
        let raw = body.as_str();
        let base = body.as_span().start();
        let mut value = String::with_capacity(raw.len());
        let mut chars = raw.char_indices();
        while let Some((at, c)) = chars.next() {
            if c != '\\' {
                value.push(c);
                continue;
            }
            let next = chars.next();
            match next.map(|(_, c)| c) {
                Some('n') => value.push('\n'),
                Some('t') => value.push('\t'),
                Some('\\') => value.push('\\'),
                Some('"') => value.push('"'),
                other => {
                    // underline the escape itself, not the whole string
                    let end = next.map_or(at + 1, |(i, c)| i + c.len_utf8());
                    let escape = Span::new(self.file, base + at, base + end);
                    self.diagnostics.push(
                        Diagnostic::new(&codes::E0105, escape, "unknown escape in string")
                            .with_label(format!(
                                "`\\{}` is not an escape",
                                other.map(String::from).unwrap_or_default()
                            ))
                            .with_help("the escapes are `\\\"`, `\\\\`, `\\n` and `\\t`"),
                    );
                }
            }
        }
        Ok(Str { value, span })
    }

    fn number_value(&mut self, raw: &str, span: Span) -> f64 {
        let digits: String = raw.chars().filter(|c| *c != '_').collect();
        let (body, mult) = match digits.chars().last() {
            Some('k') => (&digits[..digits.len() - 1], 1e3),
            Some('m') => (&digits[..digits.len() - 1], 1e6),
            Some('b') => (&digits[..digits.len() - 1], 1e9),
            _ => (digits.as_str(), 1.0),
        };
        let v = body
            .parse::<f64>()
            .map(|v| v * mult)
            .unwrap_or(f64::INFINITY);
        if !v.is_finite() || v >= 1e15 {
            self.diagnostics.push(
                Diagnostic::new(&codes::E0103, span, format!("number `{raw}` is too large"))
                    .with_label("out of range")
                    .with_help("numbers in cadence files must be below 10^15"),
            );
            return 0.0;
        }
        v
    }

    fn number(&mut self, p: Pair<'_, Rule>) -> Number {
        let span = self.span(&p);
        let raw = p.as_str().to_string();
        let value = self.number_value(&raw, span);
        Number { value, raw, span }
    }

    fn integer(&mut self, p: Pair<'_, Rule>) -> Integer {
        let span = self.span(&p);
        let raw = p.as_str().to_string();
        let value = match raw.parse::<u64>() {
            Ok(v) => v,
            Err(_) => {
                self.diagnostics.push(
                    Diagnostic::new(&codes::E0103, span, format!("number `{raw}` is too large"))
                        .with_label("out of range")
                        .with_help("whole numbers must fit in 64 bits"),
                );
                0
            }
        };
        Integer { value, raw, span }
    }

    fn percent(&mut self, p: Pair<'_, Rule>) -> R<Percent> {
        let span = self.span(&p);
        let body = first(p.into_inner())?;
        let raw = body.as_str().to_string();
        let value = self.number_value(&raw, span);
        Ok(Percent {
            value,
            raw: format!("{raw}%"),
            span,
        })
    }

    fn money(&mut self, p: Pair<'_, Rule>) -> R<Money> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let amount = self.number(it.next().ok_or(Bug)?);
        let currency = self.ident(it.next().ok_or(Bug)?);
        Ok(Money {
            amount,
            currency,
            span,
        })
    }

    fn duration(&mut self, p: Pair<'_, Rule>) -> R<Duration> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut it = children(p);
        let num = it.next().ok_or(Bug)?;
        let unit_pair = it.next().ok_or(Bug)?;
        let raw = num.as_str().to_string();
        let amount = self.number_value(&raw, span);
        let unit = match (rule, unit_pair.as_str()) {
            (Rule::business_duration, u) if u.starts_with("day") => DurationUnit::BusinessDay,
            (Rule::business_duration, _) => DurationUnit::BusinessHour,
            (_, "min") => DurationUnit::Minute,
            (_, "h") => DurationUnit::Hour,
            (_, "d") => DurationUnit::Day,
            (_, "w") => DurationUnit::Week,
            (_, "mo") => DurationUnit::Month,
            _ => return Err(Bug),
        };
        Ok(Duration {
            amount,
            raw,
            unit,
            span,
        })
    }

    fn clock(&mut self, p: Pair<'_, Rule>) -> Clock {
        let span = self.span(&p);
        let s = p.as_str();
        let hour = s.get(0..2).and_then(|h| h.parse().ok()).unwrap_or(99);
        let minute = s.get(3..5).and_then(|m| m.parse().ok()).unwrap_or(99);
        Clock { hour, minute, span }
    }

    fn date(&self, p: Pair<'_, Rule>) -> Date {
        Date {
            text: p.as_str().to_string(),
            span: self.span(&p),
        }
    }

    fn datetime(&mut self, p: Pair<'_, Rule>) -> R<DateTime> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let date = self.date(it.next().ok_or(Bug)?);
        let clock = self.clock(it.next().ok_or(Bug)?);
        Ok(DateTime { date, clock, span })
    }

    fn literal(&mut self, p: Pair<'_, Rule>) -> R<Literal> {
        Ok(match p.as_rule() {
            Rule::number => Literal::Number(self.number(p)),
            Rule::percent => Literal::Percent(self.percent(p)?),
            Rule::money => Literal::Money(self.money(p)?),
            Rule::duration | Rule::business_duration => Literal::Duration(self.duration(p)?),
            Rule::string => Literal::String(self.string(p)?),
            Rule::boolean => Literal::Bool(p.as_str() == "true", self.span(&p)),
            _ => return Err(Bug),
        })
    }

    fn is_literal(rule: Rule) -> bool {
        matches!(
            rule,
            Rule::number
                | Rule::percent
                | Rule::money
                | Rule::duration
                | Rule::business_duration
                | Rule::string
                | Rule::boolean
        )
    }

    fn time_point(&mut self, p: Pair<'_, Rule>) -> R<TimePoint> {
        Ok(match p.as_rule() {
            Rule::relative_time => TimePoint::Relative(self.duration(first(p.into_inner())?)?),
            Rule::datetime => TimePoint::Absolute(self.datetime(p)?),
            _ => return Err(Bug),
        })
    }

    /// The single non-keyword child of a pair.
    fn only<'a>(&self, p: Pair<'a, Rule>) -> R<Pair<'a, Rule>> {
        children(p).next().ok_or(Bug)
    }

    fn idents(&self, p: Pair<'_, Rule>) -> Vec<Ident> {
        children(p).map(|c| self.ident(c)).collect()
    }

    // ───── calendar ─────

    fn calendar(&mut self, p: Pair<'_, Rule>) -> R<CalendarDecl> {
        let span = self.span(&p);
        let mut it = children(p);
        let name = self.ident(it.next().ok_or(Bug)?);
        let mut items = Vec::new();
        for c in it {
            let s = self.span(&c);
            let node = match c.as_rule() {
                Rule::timezone => CalendarItem::Timezone(self.string(self.only(c)?)?),
                Rule::workdays => CalendarItem::Workdays(
                    children(c).map(|d| self.day_range(d)).collect::<R<_>>()?,
                ),
                Rule::hours => {
                    CalendarItem::Hours(children(c).map(|d| self.clock_range(d)).collect::<R<_>>()?)
                }
                Rule::holidays => CalendarItem::Holidays(
                    children(c).map(|d| self.date_range(d)).collect::<R<_>>()?,
                ),
                Rule::makeup_workdays => CalendarItem::MakeupWorkdays(
                    children(c).map(|d| self.date_range(d)).collect::<R<_>>()?,
                ),
                _ => return Err(Bug),
            };
            items.push(Spanned { node, span: s });
        }
        Ok(CalendarDecl { name, items, span })
    }

    fn day_range(&self, p: Pair<'_, Rule>) -> R<DayRange> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let from = self.ident(it.next().ok_or(Bug)?);
        let to = it.next().map(|t| self.ident(t));
        Ok(DayRange { from, to, span })
    }

    fn clock_range(&mut self, p: Pair<'_, Rule>) -> R<ClockRange> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let from = self.clock(it.next().ok_or(Bug)?);
        let to = self.clock(it.next().ok_or(Bug)?);
        Ok(ClockRange { from, to, span })
    }

    fn date_range(&self, p: Pair<'_, Rule>) -> R<DateRange> {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let from = self.date(it.next().ok_or(Bug)?);
        let to = it.next().map(|t| self.date(t));
        Ok(DateRange { from, to, span })
    }

    // ───── pipeline ─────

    fn pipeline(&mut self, p: Pair<'_, Rule>) -> R<PipelineDecl> {
        let span = self.span(&p);
        let mut it = children(p);
        let name = self.ident(it.next().ok_or(Bug)?);
        let mut items = Vec::new();
        for c in it {
            let s = self.span(&c);
            let node = match c.as_rule() {
                Rule::title => PipelineItem::Title(self.string(self.only(c)?)?),
                Rule::calendar_ref => PipelineItem::Calendar(self.ident(self.only(c)?)),
                Rule::facts => {
                    PipelineItem::Facts(children(c).map(|f| self.fact_decl(f)).collect::<R<_>>()?)
                }
                Rule::events => PipelineItem::Events(self.idents(c)),
                Rule::roles => PipelineItem::Roles(self.idents(c)),
                Rule::max_gap => PipelineItem::MaxGap(self.duration(self.only(c)?)?),
                Rule::no_skip => PipelineItem::NoSkip,
                Rule::no_backward => PipelineItem::NoBackward(
                    children(c)
                        .map(|t| {
                            let span = self.span(&t);
                            let mut ti = t.into_inner();
                            let from = self.ident(ti.next().ok_or(Bug)?);
                            let to = self.ident(ti.next().ok_or(Bug)?);
                            Ok(Transition { from, to, span })
                        })
                        .collect::<R<_>>()?,
                ),
                Rule::stage => PipelineItem::Stage(self.stage(c)?),
                _ => return Err(Bug),
            };
            items.push(Spanned { node, span: s });
        }
        Ok(PipelineDecl { name, items, span })
    }

    fn fact_decl(&mut self, p: Pair<'_, Rule>) -> R<FactDecl> {
        let span = self.span(&p);
        let mut it = children(p);
        let path = self.path(it.next().ok_or(Bug)?);
        let ty = self.ident(it.next().ok_or(Bug)?);
        let field = match it.next() {
            Some(f) => Some(self.string(f)?),
            None => None,
        };
        Ok(FactDecl {
            path,
            ty,
            field,
            span,
        })
    }

    fn stage(&mut self, p: Pair<'_, Rule>) -> R<StageDecl> {
        let span = self.span(&p);
        let mut it = children(p).peekable();
        let name = self.ident(it.next().ok_or(Bug)?);
        let title = match it.peek().map(|c| c.as_rule()) {
            Some(Rule::string) => Some(self.string(it.next().ok_or(Bug)?)?),
            _ => None,
        };
        let mut items = Vec::new();
        for c in it {
            let s = self.span(&c);
            let node = match c.as_rule() {
                Rule::respond_within => StageItem::RespondWithin(self.duration(self.only(c)?)?),
                Rule::max_gap => StageItem::MaxGap(self.duration(self.only(c)?)?),
                Rule::require => StageItem::Require(children(c).map(|x| self.path(x)).collect()),
                Rule::exit_rule => {
                    let mut ci = children(c);
                    let target = self.ident(ci.next().ok_or(Bug)?);
                    let when = self.expr(ci.next().ok_or(Bug)?)?;
                    let label = match ci.next() {
                        Some(l) => Some(self.string(l)?),
                        None => None,
                    };
                    StageItem::Exit(ExitRule {
                        target,
                        when,
                        label,
                    })
                }
                Rule::escalate => {
                    let mut ci = children(c);
                    let role = self.ident(ci.next().ok_or(Bug)?);
                    let when = self.expr(ci.next().ok_or(Bug)?)?;
                    let task = match ci.next() {
                        Some(l) => Some(self.string(l)?),
                        None => None,
                    };
                    StageItem::Escalate(Escalation { role, when, task })
                }
                Rule::outcome => StageItem::Outcome(self.ident(self.only(c)?)),
                _ => return Err(Bug),
            };
            items.push(Spanned { node, span: s });
        }
        Ok(StageDecl {
            name,
            title,
            items,
            span,
        })
    }

    // ───── conditions ─────

    fn expr(&mut self, p: Pair<'_, Rule>) -> R<Expr> {
        let span = self.span(&p);
        match p.as_rule() {
            Rule::expr | Rule::and_expr => {
                let is_or = p.as_rule() == Rule::expr;
                let mut parts: Vec<Expr> = children(p).map(|c| self.expr(c)).collect::<R<_>>()?;
                if parts.len() == 1 {
                    return parts.pop().ok_or(Bug);
                }
                let kind = if is_or {
                    ExprKind::Or(parts)
                } else {
                    ExprKind::And(parts)
                };
                Ok(Expr { kind, span })
            }
            Rule::not_expr => {
                let has_not = p
                    .clone()
                    .into_inner()
                    .next()
                    .map(|c| c.as_rule() == Rule::kw_not)
                    .unwrap_or(false);
                let inner = self.expr(self.only(p)?)?;
                if has_not {
                    Ok(Expr {
                        kind: ExprKind::Not(Box::new(inner)),
                        span,
                    })
                } else {
                    Ok(inner)
                }
            }
            Rule::comparison => {
                let mut it = p.into_inner();
                let lhs = self.expr(it.next().ok_or(Bug)?)?;
                match it.next() {
                    None => Ok(lhs),
                    Some(op) => {
                        let op = match op.as_str() {
                            "==" => CmpOp::Eq,
                            "!=" => CmpOp::Ne,
                            "<" => CmpOp::Lt,
                            "<=" => CmpOp::Le,
                            ">" => CmpOp::Gt,
                            ">=" => CmpOp::Ge,
                            _ => return Err(Bug),
                        };
                        let rhs = self.expr(it.next().ok_or(Bug)?)?;
                        Ok(Expr {
                            kind: ExprKind::Compare {
                                lhs: Box::new(lhs),
                                op,
                                rhs: Box::new(rhs),
                            },
                            span,
                        })
                    }
                }
            }
            Rule::path => Ok(Expr {
                kind: ExprKind::Path(self.path(p)),
                span,
            }),
            r if Self::is_literal(r) => Ok(Expr {
                kind: ExprKind::Literal(self.literal(p)?),
                span,
            }),
            _ => Err(Bug),
        }
    }

    // ───── cadence ─────

    fn cadence(&mut self, p: Pair<'_, Rule>) -> R<CadenceDecl> {
        let span = self.span(&p);
        let mut it = children(p);
        let name = self.ident(it.next().ok_or(Bug)?);
        let mut items = Vec::new();
        for c in it {
            let s = self.span(&c);
            let node = match c.as_rule() {
                Rule::title => CadenceItem::Title(self.string(self.only(c)?)?),
                Rule::targets => CadenceItem::Targets(self.targets(c)),
                Rule::works_stage => {
                    let mut ci = children(c);
                    let pipeline = self.ident(ci.next().ok_or(Bug)?);
                    let stage = ci.next().map(|x| self.ident(x));
                    CadenceItem::Works { pipeline, stage }
                }
                Rule::calendar_ref => CadenceItem::Calendar(self.ident(self.only(c)?)),
                Rule::enroll => CadenceItem::Enroll(self.expr(self.only(c)?)?),
                Rule::active => self.active(c)?,
                Rule::hand_off => CadenceItem::HandOff(self.ident(self.only(c)?)),
                Rule::cadence_exit => {
                    let mut ci = children(c);
                    let reason = self.ident(ci.next().ok_or(Bug)?);
                    let event = self.ident(ci.next().ok_or(Bug)?);
                    let effects = match ci.next() {
                        Some(e) => self.effects(e)?,
                        None => Vec::new(),
                    };
                    CadenceItem::Exit(CadenceExit {
                        reason,
                        event,
                        effects,
                    })
                }
                Rule::step => CadenceItem::Step(self.step(c)?),
                Rule::track => {
                    let mut ci = children(c);
                    let name = self.ident(ci.next().ok_or(Bug)?);
                    let steps = ci.map(|x| self.step(x)).collect::<R<_>>()?;
                    CadenceItem::Track(Track {
                        name,
                        steps,
                        span: s,
                    })
                }
                _ => return Err(Bug),
            };
            items.push(Spanned { node, span: s });
        }
        Ok(CadenceDecl { name, items, span })
    }

    fn step(&mut self, p: Pair<'_, Rule>) -> R<Step> {
        let span = self.span(&p);
        let mut it = children(p).peekable();
        let name = self.ident(it.next().ok_or(Bug)?);
        let channel = self.ident(it.next().ok_or(Bug)?);
        let title = match it.peek().map(|c| c.as_rule()) {
            Some(Rule::string) => Some(self.string(it.next().ok_or(Bug)?)?),
            _ => None,
        };
        let mut attrs = Vec::new();
        for c in it {
            let s = self.span(&c);
            let node = match c.as_rule() {
                Rule::template => StepAttr::Template(self.string(self.only(c)?)?),
                Rule::timing => StepAttr::Timing(self.timing(c)?),
                Rule::assign => StepAttr::Assign(self.ident(self.only(c)?)),
                Rule::priority => StepAttr::Priority(self.ident(self.only(c)?)),
                Rule::step_during => StepAttr::During(self.date_range(self.only(c)?)?),
                Rule::skip => StepAttr::Skip(self.expr(self.only(c)?)?),
                Rule::variant => {
                    let mut ci = children(c);
                    let name = self.ident(ci.next().ok_or(Bug)?);
                    let share = self.percent(ci.next().ok_or(Bug)?)?;
                    let template = match ci.next() {
                        Some(t) => Some(self.string(self.only(t)?)?),
                        None => None,
                    };
                    StepAttr::Variant(Variant {
                        name,
                        share,
                        template,
                    })
                }
                Rule::on_rule => {
                    let mut outcome = None;
                    let mut times = None;
                    let mut within = None;
                    let mut effects = Vec::new();
                    for x in children(c) {
                        match x.as_rule() {
                            Rule::ident => outcome = Some(self.ident(x)),
                            Rule::repeat => times = Some(self.integer(self.only(x)?)),
                            Rule::within => within = Some(self.duration(self.only(x)?)?),
                            Rule::effects => effects = self.effects(x)?,
                            _ => return Err(Bug),
                        }
                    }
                    StepAttr::On(OnRule {
                        outcome: outcome.ok_or(Bug)?,
                        times,
                        within,
                        effects,
                    })
                }
                Rule::otherwise => StepAttr::Otherwise(self.effects(self.only(c)?)?),
                _ => return Err(Bug),
            };
            attrs.push(Spanned { node, span: s });
        }
        Ok(Step {
            name,
            channel,
            title,
            attrs,
            span,
        })
    }

    fn effects(&mut self, p: Pair<'_, Rule>) -> R<Vec<Effect>> {
        children(p).map(|e| self.effect(e)).collect()
    }

    fn effect(&mut self, p: Pair<'_, Rule>) -> R<Effect> {
        let span = self.span(&p);
        let rule = p.as_rule();
        let mut it = children(p);
        let kind = match rule {
            Rule::set_effect => EffectKind::Set(self.ident(it.next().ok_or(Bug)?)),
            Rule::stage_effect => EffectKind::Stage(self.ident(it.next().ok_or(Bug)?)),
            Rule::task_effect => {
                let title = self.string(it.next().ok_or(Bug)?)?;
                let assign = it.next().map(|a| self.ident(a));
                EffectKind::Task { title, assign }
            }
            Rule::exit_effect => EffectKind::Exit(self.ident(it.next().ok_or(Bug)?)),
            Rule::continue_effect => EffectKind::Continue,
            Rule::jump_effect => {
                let target = self.ident(it.next().ok_or(Bug)?);
                let bound = match it.next() {
                    Some(b) => Some(self.integer(self.only(b)?)),
                    None => None,
                };
                EffectKind::Jump { target, bound }
            }
            _ => return Err(Bug),
        };
        Ok(Effect { kind, span })
    }

    // ───── leads ─────

    fn leads(&mut self, p: Pair<'_, Rule>) -> R<LeadsDecl> {
        let span = self.span(&p);
        let mut it = children(p);
        let name = self.ident(it.next().ok_or(Bug)?);
        let items = it.map(|c| self.leads_item(c)).collect::<R<_>>()?;
        Ok(LeadsDecl { name, items, span })
    }

    fn leads_item(&mut self, c: Pair<'_, Rule>) -> R<Spanned<LeadsItem>> {
        let span = self.span(&c);
        let node = match c.as_rule() {
            Rule::title => LeadsItem::Title(self.string(self.only(c)?)?),
            Rule::count => LeadsItem::Count(self.number(self.only(c)?)),
            Rule::arrivals => {
                let mut ci = children(c);
                let rate = self.number(ci.next().ok_or(Bug)?);
                let per = self.ident(ci.next().ok_or(Bug)?);
                LeadsItem::Arrivals { rate, per }
            }
            Rule::timezone => LeadsItem::Timezone(self.string(self.only(c)?)?),
            Rule::fact_dist => {
                let mut ci = children(c);
                let path = self.path(ci.next().ok_or(Bug)?);
                let dist = self.distribution(ci.next().ok_or(Bug)?)?;
                LeadsItem::Fact { path, dist }
            }
            Rule::segment => {
                let mut ci = children(c);
                let name = self.ident(ci.next().ok_or(Bug)?);
                let share = self.percent(ci.next().ok_or(Bug)?)?;
                let items = ci.map(|x| self.leads_item(x)).collect::<R<_>>()?;
                LeadsItem::Segment(Segment { name, share, items })
            }
            Rule::respond => {
                let mut ci = children(c);
                let target_pair = ci.next().ok_or(Bug)?;
                let mut ti = target_pair.into_inner();
                let head = ti.next().ok_or(Bug)?;
                let target = match head.as_rule() {
                    Rule::kw_template => {
                        RespondTarget::Template(self.string(ti.next().ok_or(Bug)?)?)
                    }
                    Rule::kw_step => RespondTarget::Step(self.path(ti.next().ok_or(Bug)?)),
                    Rule::ident => RespondTarget::Channel(self.ident(head)),
                    _ => return Err(Bug),
                };
                let rates = ci
                    .map(|r| {
                        let span = self.span(&r);
                        let mut ri = r.into_inner();
                        let outcome = self.ident(ri.next().ok_or(Bug)?);
                        let share = self.percent(ri.next().ok_or(Bug)?)?;
                        Ok(Rate {
                            outcome,
                            share,
                            span,
                        })
                    })
                    .collect::<R<_>>()?;
                LeadsItem::Respond { target, rates }
            }
            Rule::responsiveness => LeadsItem::Responsiveness(self.distribution(self.only(c)?)?),
            Rule::fatigue => LeadsItem::Fatigue(self.number(self.only(c)?)),
            Rule::reply_after => LeadsItem::ReplyAfter(self.distribution(self.only(c)?)?),
            Rule::open_after => LeadsItem::OpenAfter(self.distribution(self.only(c)?)?),
            Rule::meeting_after => LeadsItem::MeetingAfter(self.distribution(self.only(c)?)?),
            Rule::milestone => {
                let mut ci = children(c);
                let event = self.ident(ci.next().ok_or(Bug)?);
                let stage = self.ident(ci.next().ok_or(Bug)?);
                let share = self.percent(ci.next().ok_or(Bug)?)?;
                let delay = self.distribution(ci.next().ok_or(Bug)?)?;
                LeadsItem::Milestone {
                    event,
                    stage,
                    share,
                    delay,
                }
            }
            _ => return Err(Bug),
        };
        Ok(Spanned { node, span })
    }

    fn distribution(&mut self, p: Pair<'_, Rule>) -> R<Distribution> {
        let inner = first(p.into_inner())?;
        if inner.as_rule() != Rule::dist_call {
            return Ok(Distribution::Literal(self.literal(inner)?));
        }
        let span = self.span(&inner);
        let mut it = inner.into_inner();
        let name = self.ident(it.next().ok_or(Bug)?);
        let mut args = Vec::new();
        for a in it {
            let aspan = self.span(&a);
            let mut name = None;
            let mut value = None;
            let mut weight = None;
            for x in a.into_inner() {
                match x.as_rule() {
                    Rule::arg_name => name = Some(self.ident(x)),
                    Rule::percent if value.is_some() => weight = Some(self.percent(x)?),
                    r if Self::is_literal(r) => value = Some(self.literal(x)?),
                    _ => return Err(Bug),
                }
            }
            args.push(DistArg {
                name,
                value: value.ok_or(Bug)?,
                weight,
                span: aspan,
            });
        }
        Ok(Distribution::Call { name, args, span })
    }

    // ───── simulation and test ─────

    fn simulation(&mut self, p: Pair<'_, Rule>) -> R<SimulationDecl> {
        let span = self.span(&p);
        let mut it = children(p);
        let name = self.ident(it.next().ok_or(Bug)?);
        let mut items = Vec::new();
        for c in it {
            let s = self.span(&c);
            let node = match c.as_rule() {
                Rule::sim_cadence => SimulationItem::Cadence(self.ident(self.only(c)?)),
                Rule::sim_pipeline => {
                    let mut names = children(c);
                    let pipeline = self.ident(names.next().ok_or(Bug)?);
                    SimulationItem::Pipeline(pipeline, names.next().map(|x| self.ident(x)))
                }
                Rule::sim_cadences => {
                    SimulationItem::Cadences(children(c).map(|x| self.ident(x)).collect())
                }
                Rule::sim_leads => SimulationItem::Leads(self.ident(self.only(c)?)),
                Rule::count => SimulationItem::Count(self.number(self.only(c)?)),
                Rule::sim_start => SimulationItem::Start(self.datetime(self.only(c)?)?),
                Rule::sim_horizon => SimulationItem::Horizon(self.duration(self.only(c)?)?),
                Rule::sim_seed => SimulationItem::Seed(self.integer(self.only(c)?)),
                _ => return Err(Bug),
            };
            items.push(Spanned { node, span: s });
        }
        Ok(SimulationDecl { name, items, span })
    }

    fn test(&mut self, p: Pair<'_, Rule>) -> R<TestDecl> {
        let span = self.span(&p);
        let mut it = children(p);
        let name = self.string(it.next().ok_or(Bug)?)?;
        let mut items = Vec::new();
        for c in it {
            let s = self.span(&c);
            let node = match c.as_rule() {
                Rule::sim_cadence => TestItem::Cadence(self.ident(self.only(c)?)),
                Rule::sim_pipeline => {
                    let mut names = children(c);
                    let pipeline = self.ident(names.next().ok_or(Bug)?);
                    TestItem::Pipeline(pipeline, names.next().map(|x| self.ident(x)))
                }
                Rule::test_lead => TestItem::Lead(
                    children(c)
                        .map(|f| {
                            let span = self.span(&f);
                            let mut fi = f.into_inner();
                            let path = self.path(fi.next().ok_or(Bug)?);
                            let value = self.literal(fi.next().ok_or(Bug)?)?;
                            Ok(FactValue { path, value, span })
                        })
                        .collect::<R<_>>()?,
                ),
                Rule::test_enroll => TestItem::Enroll(self.datetime(self.only(c)?)?),
                Rule::test_when => {
                    // path, [literal,] time point
                    let mut ci: Vec<Pair<'_, Rule>> = children(c).collect();
                    let at = self.time_point(ci.pop().ok_or(Bug)?)?;
                    let value = match ci.len() {
                        2 => Some(self.literal(ci.pop().ok_or(Bug)?)?),
                        _ => None,
                    };
                    let what = self.path(ci.pop().ok_or(Bug)?);
                    TestItem::When { what, value, at }
                }
                Rule::expectation => TestItem::Expect(self.expectation(self.only(c)?)?),
                _ => return Err(Bug),
            };
            items.push(Spanned { node, span: s });
        }
        Ok(TestDecl { name, items, span })
    }

    fn expect_at(&mut self, p: Option<Pair<'_, Rule>>) -> R<Option<TimePoint>> {
        match p {
            Some(a) => Ok(Some(self.time_point(self.only(a)?)?)),
            None => Ok(None),
        }
    }

    fn expectation(&mut self, p: Pair<'_, Rule>) -> R<Expectation> {
        let rule = p.as_rule();
        let mut it = children(p);
        Ok(match rule {
            Rule::expect_exit => {
                let reason = self.ident(it.next().ok_or(Bug)?);
                let at = self.expect_at(it.next())?;
                Expectation::Exit { reason, at }
            }
            Rule::expect_stage => {
                let stage = self.ident(it.next().ok_or(Bug)?);
                let at = self.expect_at(it.next())?;
                Expectation::Stage { stage, at }
            }
            Rule::expect_touches => {
                let count = self.integer(it.next().ok_or(Bug)?);
                let at = self.expect_at(it.next())?;
                Expectation::Touches { count, at }
            }
            Rule::expect_path => {
                let mut steps = Vec::new();
                let mut at = None;
                for x in it {
                    if x.as_rule() == Rule::expect_at {
                        at = self.expect_at(Some(x))?;
                    } else {
                        steps.push(self.path(x));
                    }
                }
                Expectation::Path { steps, at }
            }
            Rule::expect_escalation => {
                let role = self.ident(it.next().ok_or(Bug)?);
                let at = self.expect_at(it.next())?;
                Expectation::Escalation { role, at }
            }
            _ => return Err(Bug),
        })
    }
}
