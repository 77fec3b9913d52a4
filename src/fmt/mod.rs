//! The formatter: prints a file in one canonical layout, keeping every comment.
//!
//! # Layout
//! - Two spaces of indentation per block level. Top-level declarations are separated by
//!   exactly one blank line; comments before a declaration stay attached to it.
//! - Inside a block, one item per line. A blank line the user left between two items (or
//!   comments) is kept, at most one; never one right after `{` or right before `}`.
//! - An empty block prints as `name {}`. A stage whose only item is `outcome` prints on one
//!   line: `stage won "成交" { outcome won }`. Every other block is opened and closed on its own
//!   lines.
//! - A step is a header line `step NAME CHANNEL ["title"] [template "x"] [timing] [assign R]
//!   [priority P]` (in that order, never wrapped), then each `during`, `skip when`, `variant`,
//!   `on` and `otherwise` on its own line one level deeper, in source order, with no blank lines
//!   among them.
//! - No column alignment of neighbouring lines (not in `facts`, not for the names of
//!   consecutive steps, not for trailing comments): single spaces between tokens, so editing one
//!   line never re-indents its neighbours. Facts print as `path: type [= field "X"]`.
//! - Lists as `a, b, c`; effects as `-> a, b`; `respond X { a 1%, b 2% }` and
//!   `lead { a = 1, b = true }` on one line (`{}` when empty).
//! - Conditions get the fewest parentheses that re-parse to the same tree: `or` < `and` <
//!   `not` < comparison. A nested `or` directly inside an `or` (or `and` inside `and`) keeps
//!   its parentheses, because the parser would otherwise flatten it into a different tree.
//! - Literals keep their spelling (`50k`, `12_000`, `3.4%`, `50k CNY`); business durations
//!   print as `1 business day`, `N business days`, `1 business hour`, `N business hours`;
//!   strings are re-escaped (`\"`, `\\`, `\n`, `\t`).
//!
//! # Wrapping
//! Lists (`events`, `roles`, `require`, `holidays`, `workday`, `workdays`, `hours`,
//! `no_backward except`, `expect path`, effects after `->`) and conditions (`exit ... when`,
//! `escalate ... when`, `enroll when`, cut before each top-level `and`/`or`, and before `as`/`then
//! task`) fill lines up to [`MAX_WIDTH`] columns (CJK characters count two); continuation lines
//! start under the first element or the start of the condition:
//! ```text
//! holidays 2026-01-01..2026-01-03,  # 元旦
//!          2026-02-15..2026-02-23   # 春节
//! exit to needs when discovery_done and bant.budget >= 50k CNY and bant.authority and bant.need
//!                    and bant.timeline <= 90d
//! ```
//! A `{ ... }` list (`lead`, `respond`) that does not fit, or has a comment inside, opens into a
//! block with its elements filling lines one level deeper. Step headers, distributions and
//! other items never wrap.
//!
//! # Comments
//! A comment on its own line(s) is printed before the item that follows it, at that item's
//! indentation; comments after the last item of a block stay before its `}`; comments at the
//! end of the file stay at the end. A comment on the same line as the end of an item is kept
//! there as `item  # text` (two spaces). Inside a list or condition, a comment after an element
//! stays after it (the line breaks there) and a comment on its own line stays before the next
//! element. Any other comment from inside an item (between a keyword and its name, inside
//! parentheses) moves to its own line just before the item. Comment text is kept verbatim except
//! for trailing whitespace; comments always come out in their source order.
//!
//! The output ends with exactly one newline, and formatting is idempotent:
//! `format(format(x)) == format(x)`. The only change to the tree is the order of a step's
//! header attributes (see [`canonical_step_attrs`]).

mod printer;
mod render;

pub use crate::syntax::comments::{scan_comments, Comment};
pub use printer::{width, MAX_WIDTH};

use crate::diagnostics::Diagnostic;
use crate::source::FileId;
use crate::syntax::ast::{Expr, File, Spanned, StepAttr};

/// Parse `text` and print it in the canonical layout. Returns the parser's diagnostics when
/// there is no tree or any of them is an error (a file that does not parse cannot be formatted).
pub fn format_source(file: FileId, text: &str) -> Result<String, Vec<Diagnostic>> {
    let (tree, diagnostics) = crate::syntax::parse_file(file, text);
    match tree {
        Some(tree) if !diagnostics.iter().any(Diagnostic::is_error) => Ok(format_tree(&tree, text)),
        _ => Err(diagnostics),
    }
}

/// Print an already parsed tree; `text` is the source it was parsed from (its comments are
/// re-attached by the tree's spans).
pub fn format_tree(tree: &File, text: &str) -> String {
    printer::Printer::new(text, scan_comments(text)).file(tree)
}

/// A condition on one line with minimal parentheses (`not (a or b)`, `(a or b) and c`).
pub fn format_expr(expr: &Expr) -> String {
    render::expr(expr)
}

/// A step's attributes in the order the formatter prints them: the header attributes first
/// (`template`, timing, `assign`, `priority` in that order; in source order if a kind repeats),
/// then `variant`, `on` and `otherwise` in source order. Parsing the formatted text yields
/// exactly this order; it is the one way the printed tree can differ from the source's.
pub fn canonical_step_attrs(attrs: &[Spanned<StepAttr>]) -> Vec<Spanned<StepAttr>> {
    let mut out: Vec<Spanned<StepAttr>> =
        printer::header_attrs(attrs).into_iter().cloned().collect();
    out.extend(
        attrs
            .iter()
            .filter(|a| render::header_rank(&a.node).is_none())
            .cloned(),
    );
    out
}
