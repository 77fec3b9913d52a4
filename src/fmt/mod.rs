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
//!   [priority P]` (in that order), then each `variant`, `on` and `otherwise` on its own line one
//!   level deeper, in source order, with no blank lines among them.
//! - No column alignment anywhere (not in `facts`, not for names of consecutive steps, not for
//!   trailing comments): single spaces between tokens, so editing one line never re-indents its
//!   neighbours. Facts print as `path: type` or `path: type = field "X"`.
//! - Lists as `a, b, c`; effects as `-> a, b`; `respond X { a 1%, b 2% }` and
//!   `lead { a = 1, b = true }` on one line (`{}` when empty).
//! - Conditions get the fewest parentheses that re-parse to the same tree: `or` < `and` <
//!   `not` < comparison. A nested `or` directly inside an `or` (or `and` inside `and`) keeps
//!   its parentheses, because the parser would otherwise flatten it into a different tree.
//! - Literals keep their spelling (`50k`, `12_000`, `3.4%`, `50k CNY`); business durations
//!   print as `1 business day`, `N business days`, `1 business hour`, `N business hours`;
//!   strings are re-escaped (`\"`, `\\`, `\n`, `\t`).
//!
//! # Comments
//! A comment on its own line(s) is printed before the item that follows it, at that item's
//! indentation; comments after the last item of a block stay before its `}`; comments at the
//! end of the file stay at the end. A comment on the same line as the end of an item is kept
//! there as `item  # text` (two spaces). A comment from the middle of an item that spanned
//! several lines (a long condition, a `lead { ... }` over several lines) moves to its own line
//! just before that item. Comment text is kept verbatim except for trailing whitespace.
//!
//! The output ends with exactly one newline (an empty file stays empty), and formatting is
//! idempotent: `format(format(x)) == format(x)`.

mod comments;
mod printer;
mod render;

pub use comments::{scan_comments, Comment};

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

/// The attributes a step prints on its header line, in the order it prints them. The
/// formatter moves them ahead of `variant`/`on`/`otherwise`, which is the one way the
/// printed tree's attribute order can differ from the source's (see [`canonical_step_attrs`]).
pub fn step_header_attrs(attrs: &[Spanned<StepAttr>]) -> Vec<&Spanned<StepAttr>> {
    printer::header_attrs(attrs)
}

/// A step's attributes in the order the formatter prints them: header attributes first (see
/// [`step_header_attrs`]), then `variant`, `on` and `otherwise` in source order. Parsing the
/// formatted text yields exactly this order.
pub fn canonical_step_attrs(attrs: &[Spanned<StepAttr>]) -> Vec<Spanned<StepAttr>> {
    let mut out: Vec<Spanned<StepAttr>> = step_header_attrs(attrs).into_iter().cloned().collect();
    out.extend(
        attrs
            .iter()
            .filter(|a| render::header_rank(&a.node).is_none())
            .cloned(),
    );
    out
}
