//! The formatter: idempotent, meaning-preserving, comment-preserving.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use cadence::fmt::{canonical_step_attrs, format_expr, format_source, format_tree};
use cadence::source::FileId;
use cadence::syntax::ast::{CadenceItem, File, Item, Spanned, Step, StepAttr};
use cadence::syntax::{parse_expr, parse_file};

// ───────────── helpers ─────────────

fn fmt(text: &str) -> String {
    match format_source(FileId(0), text) {
        Ok(s) => s,
        Err(d) => panic!("does not format: {d:#?}\n---\n{text}"),
    }
}

fn parse(text: &str) -> File {
    let (tree, diags) = parse_file(FileId(0), text);
    assert!(
        !diags.iter().any(|d| d.is_error()),
        "parse errors: {diags:#?}\n---\n{text}"
    );
    tree.expect("a tree")
}

/// The comments of `text`, in order (an independent scanner: `#` outside strings to end of line,
/// trailing whitespace dropped).
fn comment_texts(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut in_string = false;
        let mut escaped = false;
        for (i, c) in line.char_indices() {
            if in_string {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => in_string = false,
                    _ => {}
                }
            } else if c == '"' {
                in_string = true;
            } else if c == '#' {
                out.push(line[i..].trim_end().to_string());
                break;
            }
        }
    }
    out
}

/// The formatter prints a step's header attributes (`template`, timing, `assign`, `priority`)
/// first and in that order; the tree of the output has them in that order too. Apply the same
/// reordering to the input's tree so the two compare by meaning. (When a kind is repeated the
/// source order is kept.)
fn normalize(mut file: File) -> File {
    fn rank(a: &StepAttr) -> Option<u8> {
        match a {
            StepAttr::Template(_) => Some(0),
            StepAttr::Timing(_) => Some(1),
            StepAttr::Assign(_) => Some(2),
            StepAttr::Priority(_) => Some(3),
            _ => None,
        }
    }
    fn fix(step: &mut Step) {
        let (mut head, body): (Vec<Spanned<StepAttr>>, Vec<Spanned<StepAttr>>) =
            step.attrs.drain(..).partition(|a| rank(&a.node).is_some());
        let mut ranks: Vec<_> = head.iter().map(|a| rank(&a.node)).collect();
        ranks.sort();
        ranks.dedup();
        if ranks.len() == head.len() {
            head.sort_by_key(|a| rank(&a.node));
        }
        step.attrs = head.into_iter().chain(body).collect();
    }
    for item in &mut file.items {
        if let Item::Cadence(c) = item {
            for it in &mut c.items {
                match &mut it.node {
                    CadenceItem::Step(s) => fix(s),
                    CadenceItem::Track(t) => t.steps.iter_mut().for_each(fix),
                    _ => {}
                }
            }
        }
    }
    file
}

/// Every property the formatter promises, for one input.
fn check_roundtrip(name: &str, text: &str) {
    let once = fmt(text);
    let twice = fmt(&once);
    assert_eq!(once, twice, "{name}: formatting is not idempotent");
    assert_eq!(
        normalize(parse(&once)),
        normalize(parse(text)),
        "{name}: formatting changed the tree\n---\n{once}"
    );
    assert_eq!(
        comment_texts(&once),
        comment_texts(text),
        "{name}: comments were lost, duplicated or reordered\n---\n{once}"
    );
    assert!(
        once.is_empty() || (once.ends_with('\n') && !once.ends_with("\n\n")),
        "{name}: output must end with exactly one newline"
    );
    for (i, line) in once.lines().enumerate() {
        assert_eq!(
            line,
            line.trim_end(),
            "{name}: trailing blanks on line {}",
            i + 1
        );
    }
    assert!(!once.contains("\n\n\n"), "{name}: two blank lines in a row");
}

fn cadence_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            cadence_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "cadence") {
            out.push(p);
        }
    }
}

// ───────────── every example file ─────────────

#[test]
fn example_files_roundtrip() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["tests/cases/good", "cadences", "examples"] {
        cadence_files(&root.join(dir), &mut files);
    }
    files.sort();
    assert!(!files.is_empty(), "no .cadence files found");
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        check_roundtrip(&f.display().to_string(), &text);
    }
}

/// `text` with comments, line breaks, blank lines and odd indentation sprinkled in at random
/// (deterministically from `seed`): only where whitespace already is, outside strings and comments,
/// so the result means the same. Without `add_comments`, only whitespace changes.
fn perturb(text: &str, seed: u64, add_comments: bool) -> String {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut roll = move |n: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    let mut out = String::new();
    let (mut in_string, mut in_comment, mut escaped) = (false, false, false);
    let mut count = 0;
    for c in text.chars() {
        if in_comment {
            in_comment = c != '\n';
        } else if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
        } else if c == '#' {
            in_comment = true;
        } else if c == ' ' || c == '\n' {
            match roll(10) {
                0 if add_comments => {
                    count += 1;
                    out.push_str(&format!(" # p{count}\n"));
                    out.push_str(&" ".repeat(roll(7) as usize));
                    continue;
                }
                1 => {
                    out.push_str("\n\n\n");
                    out.push_str(&"\t".repeat(roll(3) as usize));
                    continue;
                }
                2 if c == '\n' && add_comments => {
                    count += 1;
                    out.push_str(&format!(
                        "\n{}#p{count} own line\n",
                        " ".repeat(roll(9) as usize)
                    ));
                    continue;
                }
                _ => {}
            }
        }
        out.push(c);
    }
    out
}

#[test]
fn example_files_survive_sprinkled_comments_and_breaks() {
    // FMT_SEEDS=1000 for a longer run
    let seeds: u64 = std::env::var("FMT_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["tests/cases/good", "cadences", "examples"] {
        cadence_files(&root.join(dir), &mut files);
    }
    files.sort();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for seed in 0..seeds {
            let messy = perturb(&text, seed, true);
            let name = format!("{} (seed {seed})", f.display());
            check_roundtrip(&name, &messy);
            assert_eq!(normalize(parse(&messy)), normalize(parse(&text)), "{name}");
        }
        // Windows line endings and a byte-order mark
        let crlf = format!("\u{FEFF}{}", text.replace('\n', "\r\n"));
        check_roundtrip(&format!("{} (crlf)", f.display()), &crlf);
        if !text.contains('\r') {
            assert_eq!(fmt(&crlf), fmt(&text), "{}: CRLF input", f.display());
        }
    }
}

/// The code of formatted text, line by line, without comments and blank lines.
fn code_lines(text: &str) -> Vec<String> {
    let comments = comment_texts(text);
    let mut out = Vec::new();
    let mut next = comments.iter().peekable();
    for line in text.lines() {
        let mut code = line;
        if let Some(c) = next.peek() {
            if line.trim_end().ends_with(c.as_str()) {
                code = &line[..line.trim_end().len() - c.len()];
                next.next();
            }
        }
        if !code.trim().is_empty() {
            out.push(code.trim_end().to_string());
        }
    }
    out
}

#[test]
fn layout_does_not_depend_on_the_input_layout() {
    // Breaking lines anywhere between tokens, re-indenting, adding blank lines: the output is the
    // same up to blank lines (and comments, which may move from the end of one line to the next).
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["tests/cases/good", "cadences", "examples"] {
        cadence_files(&root.join(dir), &mut files);
    }
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let want = code_lines(&fmt(&text));
        for seed in 0..10 {
            let messy = perturb(&text, seed, false);
            assert_eq!(
                code_lines(&fmt(&messy)),
                want,
                "{} (seed {seed})",
                f.display()
            );
        }
    }
}

// ───────────── a messy file, snapshotted ─────────────

const MESSY: &str = r#"
# Demo project: everything out of place.
# Second header line.


calendar   cn_office{timezone "Asia/Shanghai"   # IANA
      workdays mon..fri,sat
  hours 09:00..12:00,13:30..18:00
# holidays below


   holidays 2026-10-01..2026-10-08 ,2027-01-01 workday 2026-09-27
}
pipeline b2b {   # the main pipeline
title "B2B \"new\" business\tQ4"
  facts { amount : money = field "Amount"   # CRM field
  bant.budget:money
      need_match: score }
  events demo_held,contract_signed
  no_backward except evaluation->needs , purchase -> needs


  stage lead "潜在客户" {

    respond within 1 business hours
    # the main exit
    exit to needs when (bant.budget >= 50k CNY and (bant.need or (need_match > 0.5)))   # long
    exit to lost when not (idle > 90d or dwell > 60d) and not not   contract_signed as "stale"
    exit to lost when ((a or b) or c) and (d and e) == true
    escalate manager
       when dwell > 7d   # interior
       and not demo_held then task "Look at it"

  }
  stage won "成交" {outcome won}   # terminal
  stage lost "输单" {
    # why we lose
    outcome lost
  }
  stage empty {}
}
cadence inbound_demo {
  title "Inbound demo request" pipeline b2b stage lead
  enroll when source == "web_form" # only web
  exit replied on reply exit bounced on bounce -> task "Fix the email" assign owner, exit bad
  step welcome email "Thanks #1" immediately template "welcome_v2"   # header attrs out of order
  step call_1 call
    priority high after 4 business hours assign owner
      on connected -> discovery   # good
      # otherwise loop back
      otherwise -> call_1 at most 2 times
  step story email after 2 business day
    variant a 50% template "a"
    variant b 50%
    on opened 3 times within 2d -> hot_call
  track hot {
    # hot leads only
    step hot_call call "Hot lead" after 1h at 10:00
      on connected -> set demo_held, stage needs, exit qualified
  }
  track empty { }   # nothing yet
  # end of cadence
}
leads web_inbound { count 100_000 arrivals 400 per week
  fact amount = lognormal(median 80k CNY, p90 400k CNY)
  fact choice = choice("a" 30%, "b" 70%)
  segment enterprise 20% { fact amount = 3m CNY
    respond email { replied 2% opened 40% }   # no commas
  }
  respond email {
    delivered 95%,   # most
    replied 3.4%
  }
  respond step inbound_demo.story {}
  fatigue 0.85 per touch
  milestone demo_held in needs 70% after gamma(mean 10d, shape 2)
}
simulation q4 { cadence inbound_demo leads web_inbound start 2026-11-02 09:00 horizon 180d seed 7 }
test "a reply ends it" {
  cadence inbound_demo
  lead {
    source = "web_form",   # the form
    bant.budget = 120k CNY,
  }
  when welcome.replied at +3h
  expect exit replied at 2026-11-02 13:00
  expect path welcome, call_1
}
# trailing comment one

# trailing comment two
"#;

#[test]
fn messy_file_snapshot() {
    check_roundtrip("messy", MESSY);
    insta::assert_snapshot!(fmt(MESSY));
}

#[test]
fn messy_file_keeps_every_comment() {
    let out = fmt(MESSY);
    let before = comment_texts(MESSY);
    assert_eq!(before.len(), 23, "the input has 23 comments");
    assert_eq!(comment_texts(&out), before);
    // no comment text is printed twice
    for c in &before {
        assert_eq!(
            out.matches(c.as_str()).count(),
            MESSY.matches(c.as_str()).count(),
            "{c}"
        );
    }
}

// ───────────── conditions ─────────────

fn expr_roundtrip(src: &str) -> String {
    let e = parse_expr(FileId(0), src).unwrap();
    let printed = format_expr(&e);
    assert_eq!(
        parse_expr(FileId(0), &printed).unwrap(),
        e,
        "{src} -> {printed}"
    );
    printed
}

#[test]
fn precedence_keeps_needed_parentheses() {
    assert_eq!(expr_roundtrip("not (a or b)"), "not (a or b)");
    assert_eq!(expr_roundtrip("(a or b) and c"), "(a or b) and c");
    assert_eq!(expr_roundtrip("not (a and b)"), "not (a and b)");
    assert_eq!(expr_roundtrip("(a and b) == true"), "(a and b) == true");
    assert_eq!(expr_roundtrip("(not a) == b"), "(not a) == b");
    assert_eq!(expr_roundtrip("(a < b) == (c > d)"), "(a < b) == (c > d)");
}

#[test]
fn precedence_drops_needless_parentheses() {
    assert_eq!(expr_roundtrip("a or b and c"), "a or b and c");
    assert_eq!(expr_roundtrip("a or (b and c)"), "a or b and c");
    assert_eq!(expr_roundtrip("((a))"), "a");
    assert_eq!(expr_roundtrip("not (a)"), "not a");
    assert_eq!(expr_roundtrip("not (not a)"), "not not a");
    assert_eq!(expr_roundtrip("(a == 1) and (b < 2d)"), "a == 1 and b < 2d");
    assert_eq!(expr_roundtrip("not (x >= 50k CNY)"), "not x >= 50k CNY");
}

#[test]
fn nested_same_operator_keeps_parentheses() {
    // the parser keeps `(a or b) or c` as a nested tree; printing it flat would change the tree
    assert_eq!(expr_roundtrip("(a or b) or c"), "(a or b) or c");
    assert_eq!(expr_roundtrip("a and (b and c)"), "a and (b and c)");
    assert_eq!(expr_roundtrip("a or b or c"), "a or b or c");
}

// ───────────── small cases ─────────────

#[test]
fn literals_keep_their_spelling() {
    let src =
        "leads l {\n  count 12_000\n  fact a = 50k CNY\n  fact b = 3.4%\n  fact c = 1.2m\n}\n";
    assert_eq!(fmt(src), src);
}

#[test]
fn business_durations_singular_and_plural() {
    let src = "cadence c {\n  step a email after 1 business days\n  step b email after 2 business day\n  step c email after 1 business hours\n  step d email after 3 business hour\n}\n";
    let want = "cadence c {\n  step a email after 1 business day\n  step b email after 2 business days\n  step c email after 1 business hour\n  step d email after 3 business hours\n}\n";
    assert_eq!(fmt(src), want);
}

#[test]
fn strings_are_re_escaped() {
    let src = "pipeline p {\n  title \"a \\\"q\\\" \\\\ \\n \\t\tb # not a comment\"\n}\n";
    let want = "pipeline p {\n  title \"a \\\"q\\\" \\\\ \\n \\t\\tb # not a comment\"\n}\n";
    assert_eq!(fmt(src), want);
    assert!(comment_texts(want).is_empty());
    check_roundtrip("strings", src);
}

#[test]
fn step_header_attributes_in_canonical_order() {
    let src = "cadence c {\n  step s call priority high\n    on connected -> continue\n    assign owner template \"t\" after 1d\n}\n";
    let want = "cadence c {\n  step s call template \"t\" after 1d assign owner priority high\n    on connected -> continue\n}\n";
    assert_eq!(fmt(src), want);
    check_roundtrip("header order", src);
}

#[test]
fn canonical_step_attrs_matches_the_printed_tree() {
    let src = "cadence c {\n  step s call priority high\n    on connected -> continue\n    assign owner template \"t\" after 1d\n}\n";
    let steps = |f: &File| -> Vec<Step> {
        let mut out = Vec::new();
        for item in &f.items {
            if let Item::Cadence(c) = item {
                for it in &c.items {
                    if let CadenceItem::Step(s) = &it.node {
                        out.push(s.clone());
                    }
                }
            }
        }
        out
    };
    let before = steps(&parse(src));
    let after = steps(&parse(&fmt(src)));
    assert_eq!(before.len(), 1);
    assert_eq!(canonical_step_attrs(&before[0].attrs), after[0].attrs);
}

#[test]
fn long_lines_wrap_under_their_first_element() {
    let names: Vec<String> = (0..14).map(|i| format!("event_number_{i}")).collect();
    let src = format!("pipeline p {{\n  events {}\n}}\n", names.join(", "));
    let out = fmt(&src);
    assert!(
        out.lines()
            .all(|l| l.chars().count() <= cadence::fmt::MAX_WIDTH),
        "{out}"
    );
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[1].starts_with("  events event_number_0, event_number_1,"),
        "{out}"
    );
    assert!(lines[2].starts_with("         event_number_"), "{out}");
    check_roundtrip("long events", &src);

    let cond = (0..12)
        .map(|i| format!("fact_{i} > {i}d"))
        .collect::<Vec<_>>()
        .join(" and ");
    let src =
        format!("pipeline p {{\n  stage s {{\n    exit to t when {cond} as \"label\"\n  }}\n}}\n");
    let out = fmt(&src);
    assert!(
        out.lines()
            .all(|l| l.chars().count() <= cadence::fmt::MAX_WIDTH),
        "{out}"
    );
    let cont = " ".repeat("    exit to t when ".len());
    assert!(
        out.lines()
            .nth(3)
            .is_some_and(|l| l.starts_with(&format!("{cont}and fact_"))),
        "{out}"
    );
    check_roundtrip("long condition", &src);

    // a `{ ... }` list too long for one line opens into a block
    let facts = (0..10)
        .map(|i| format!("fact_{i} = {i}00k CNY"))
        .collect::<Vec<_>>()
        .join(", ");
    let src = format!("test \"t\" {{\n  lead {{ {facts} }}\n}}\n");
    let out = fmt(&src);
    assert!(
        out.contains("  lead {\n    fact_0 = 000k CNY, fact_1"),
        "{out}"
    );
    assert!(out.contains("\n  }\n}\n"), "{out}");
    check_roundtrip("long lead", &src);
}

#[test]
fn wide_characters_count_two_columns() {
    // 30 CJK characters are 60 columns: with the rest of the line that is over the width
    let title = "需".repeat(30);
    let src = format!(
        "pipeline p {{\n  stage s {{\n    exit to t when a == \"{title}\" and b == \"{title}\"\n  }}\n}}\n"
    );
    let out = fmt(&src);
    assert_eq!(out.lines().filter(|l| l.contains('需')).count(), 2, "{out}");
    check_roundtrip("wide", &src);
}

#[test]
fn blank_lines_collapse_and_top_level_is_separated() {
    let src = "calendar a {\n\n\n  workdays mon\n\n\n\n  hours 09:00..10:00\n\n}\ncalendar b {}\n\n\n\ncalendar c {}";
    let want = "calendar a {\n  workdays mon\n\n  hours 09:00..10:00\n}\n\ncalendar b {}\n\ncalendar c {}\n";
    assert_eq!(fmt(src), want);
}

#[test]
fn trailing_and_leading_comments() {
    let src = "# head\ncalendar a {  # open\n  # lead\n  workdays mon  # trail\n  # last\n}  # close\n# tail\n";
    assert_eq!(fmt(src), src);
}

#[test]
fn comments_inside_items() {
    // a comment after a part of a condition or list stays with it; the item wraps there
    let src =
        "pipeline p {\n  stage s {\n    exit to t when a  # one\n      and b  # two\n  }\n}\n";
    let want = "pipeline p {\n  stage s {\n    exit to t when a  # one\n                   and b  # two\n  }\n}\n";
    assert_eq!(fmt(src), want);
    check_roundtrip("interior", src);
    // a comment that cannot stay with a part of the item moves before the item
    let src =
        "pipeline p {\n  stage s {\n    exit to t when (a  # one\n      or b) and c\n  }\n}\n";
    let want = "pipeline p {\n  stage s {\n    # one\n    exit to t when (a or b) and c\n  }\n}\n";
    assert_eq!(fmt(src), want);
    check_roundtrip("interior 2", src);
    // a `{ ... }` list with a comment inside opens into a block
    let src = "test \"t\" {\n  lead { a = 1,  # one\n    b = 2 }\n}\n";
    let want = "test \"t\" {\n  lead {\n    a = 1,  # one\n    b = 2\n  }\n}\n";
    assert_eq!(fmt(src), want);
    check_roundtrip("braces", src);
}

#[test]
fn empty_and_comment_only_files() {
    // the parser reports a file that declares nothing as an error, so there is nothing to format
    for src in ["", "\n\n  \n", "# just a note\n"] {
        let err = format_source(FileId(0), src).unwrap_err();
        assert!(err.iter().any(|d| d.code.code == "E0006"), "{src:?}");
    }
    // printing an empty tree still keeps the comments
    let empty = File { items: Vec::new() };
    assert_eq!(format_tree(&empty, ""), "");
    assert_eq!(
        format_tree(&empty, "\n  # just a note   \n\n\n# another"),
        "# just a note\n\n# another\n"
    );
}

#[test]
fn syntax_errors_are_returned() {
    let err = format_source(FileId(0), "calendar {").unwrap_err();
    assert!(err.iter().any(|d| d.is_error()));
}

/// A comment between an `expect path`'s last step and its `at` is inside that piece, so it goes
/// on its own line before it, and stays there on the next run (before, it trailed the line once
/// and moved below it the next time: found by the sprinkled-comments test).
#[test]
fn a_comment_before_the_at_of_an_expected_path_is_stable() {
    let text = "cadence c {\n  step a email \"A\" immediately\n}\ntest \"t\" {\n  cadence c\n  \
                enroll at 2026-03-02 09:00\n  expect path a, a, a, a, a, a, a, a, a, a, a, a, a, \
                a, a, a, a, a, a, a, a, a, a # why\n    at 2026-03-02 09:00\n}\n";
    let once = fmt(text);
    assert_eq!(fmt(&once), once);
    assert_eq!(comment_texts(&once), vec!["# why".to_string()]);
    let lines: Vec<&str> = once.lines().collect();
    let at = lines.iter().position(|l| l.contains("# why")).unwrap();
    assert_eq!(lines[at + 1].trim(), "a at 2026-03-02 09:00", "{once}");
}
