//! Layout: walks the tree, prints one item per line, and re-attaches the comments.
//!
//! The comments are a queue in source order, and the printer only ever takes from its front,
//! so comments come out in their source order, each exactly once. Before a line is printed,
//! every queued comment that starts before the end of that line's code is printed on its own
//! line at the line's indentation (leading comments, and comments from inside an item that is
//! printed on fewer lines than it was written on). After the line, a comment that follows its
//! code on the same source line, with only blanks between, becomes its trailing comment.
//! Whatever is left at the end is printed at the end of the file.
//!
//! Lists and conditions may wrap (see [`Shape`]): a comment after one of their parts stays with
//! that part, which then ends its line.

use super::render::{self as r, Part, Shape};
use crate::source::Span;
use crate::syntax::ast::*;
use crate::syntax::comments::Comment;

const INDENT: &str = "  ";
/// Lines longer than this (in columns, CJK characters counting two) wrap where they can.
pub const MAX_WIDTH: usize = 100;

pub struct Printer<'a> {
    text: &'a str,
    comments: Vec<Comment>,
    /// the first comment not printed yet
    next: usize,
    out: String,
    /// source offset just after the last code or comment printed (for blank-line detection)
    last_src_end: usize,
    /// no blank line may come before the next line (just after `{`, or at the start of the file)
    block_start: bool,
    /// exactly one blank line comes before the next line (between top-level declarations)
    force_blank: bool,
}

/// Whether blank lines the user left before a line are kept (between items of a block and at
/// top level) or dropped (inside a step, inside a wrapped item).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Blank {
    Keep,
    Drop,
}

/// A part of a wrapped line, placed in the source: `end` includes a `)` or `,` that follows.
struct Piece {
    text: String,
    start: usize,
    end: usize,
}

impl<'a> Printer<'a> {
    pub fn new(text: &'a str, comments: Vec<Comment>) -> Printer<'a> {
        Printer {
            text,
            comments,
            next: 0,
            out: String::new(),
            last_src_end: 0,
            block_start: true,
            force_blank: false,
        }
    }

    pub fn file(mut self, file: &File) -> String {
        for (i, item) in file.items.iter().enumerate() {
            self.force_blank = i > 0;
            self.item(item);
        }
        // comments after the last declaration stay at the end
        self.flush_leading(0, usize::MAX, usize::MAX, Blank::Keep);
        self.out
    }

    // ───────────── source positions ─────────────

    fn char_at(&self, pos: usize) -> Option<char> {
        self.text.get(pos..).and_then(|s| s.chars().next())
    }

    /// The end of the last code in `span`, skipping trailing blanks and comments (pest spans of
    /// rules that end in an empty optional part include the whitespace and comments after them).
    fn code_end(&self, span: Span) -> usize {
        let start = span.start as usize;
        let mut end = (span.end as usize).min(self.text.len());
        loop {
            while end > start {
                match self.text.get(..end).and_then(|s| s.chars().next_back()) {
                    Some(c) if is_blank(c) => end -= c.len_utf8(),
                    _ => break,
                }
            }
            match self.comments.binary_search_by_key(&end, |c| c.end) {
                Ok(i) if self.comments[i].start >= start && end > start => {
                    end = self.comments[i].start;
                }
                _ => return end,
            }
        }
    }

    /// The first offset at or after `pos` that is not blank; with `comments`, also not inside
    /// a comment.
    fn skip_blank(&self, mut pos: usize, comments: bool) -> usize {
        while let Some(c) = self.char_at(pos) {
            if c == '#' && comments {
                pos = self
                    .text
                    .get(pos..)
                    .and_then(|s| s.find('\n'))
                    .map_or(self.text.len(), |n| pos + n);
            } else if is_blank(c) {
                pos += c.len_utf8();
            } else {
                break;
            }
        }
        pos
    }

    /// Where a part of a wrapped line ends in the source: its code, then the `)` that close
    /// around it and the `,` that follows it.
    fn piece_end(&self, span: Span) -> usize {
        let mut end = self.code_end(span);
        loop {
            let p = self.skip_blank(end, false);
            match self.char_at(p) {
                Some(')') => end = p + 1,
                Some(',') => return p + 1,
                _ => return end,
            }
        }
    }

    /// The offset of the `{` that opens a block whose header code ends at `after`.
    fn open_brace(&self, after: usize) -> usize {
        self.skip_blank(after, true)
    }

    /// The offset of the `}` that closes a block spanning `span`.
    fn close_brace(&self, span: Span) -> usize {
        self.code_end(span).saturating_sub(1)
    }

    fn has_comment_between(&self, from: usize, to: usize) -> bool {
        let i = self.comments.partition_point(|c| c.start <= from);
        self.comments.get(i).is_some_and(|c| c.start < to)
    }

    fn comment_before(&self, pos: usize) -> bool {
        self.comments.get(self.next).is_some_and(|c| c.start < pos)
    }

    /// Did the user leave a blank line between `from` and `to`?
    fn blank_between(&self, from: usize, to: usize) -> bool {
        self.text
            .get(from..to)
            .is_some_and(|s| s.matches('\n').count() >= 2)
    }

    // ───────────── lines ─────────────

    fn begin_line(&mut self, src_start: usize, blank: Blank) {
        if self.force_blank {
            if !self.out.is_empty() {
                self.out.push('\n');
            }
            self.force_blank = false;
        } else if !self.block_start
            && blank == Blank::Keep
            && self.blank_between(self.last_src_end, src_start)
        {
            self.out.push('\n');
        }
        self.block_start = false;
    }

    /// Print every queued comment that starts before `before` on its own line, `pad` columns
    /// in. `item_start` is where the item these comments lead starts: a comment from inside
    /// that item counts as sitting at its start when looking for a blank line before it.
    fn flush_leading(&mut self, pad: usize, before: usize, item_start: usize, blank: Blank) {
        while let Some(c) = self.comments.get(self.next) {
            if c.start >= before {
                break;
            }
            let (start, end, text) = (c.start.min(item_start), c.end, c.text.clone());
            self.next += 1;
            self.begin_line(start, blank);
            self.out.push_str(&" ".repeat(pad));
            self.out.push_str(&text);
            self.out.push('\n');
            self.last_src_end = self.last_src_end.max(end);
        }
    }

    /// The comment that follows `code_end` on the same source line, if any, taken from the queue.
    fn take_trailing(&mut self, code_end: usize) -> Option<String> {
        let c = self.comments.get(self.next)?;
        let same_line = self
            .text
            .get(code_end..c.start)
            .is_some_and(|gap| gap.chars().all(|ch| is_blank(ch) && ch != '\n'));
        if !same_line {
            return None;
        }
        let text = c.text.clone();
        self.last_src_end = self.last_src_end.max(c.end);
        self.next += 1;
        Some(text)
    }

    /// Finish a line: its trailing comment (if any) and the newline.
    fn end_line(&mut self, code_end: usize) {
        if let Some(c) = self.take_trailing(code_end) {
            self.out.push_str(INDENT);
            self.out.push_str(&c);
        }
        self.out.push('\n');
    }

    /// One printed line whose code starts at `start` and ends at `code_end` in the source.
    fn line(&mut self, indent: usize, start: usize, code_end: usize, content: &str, blank: Blank) {
        self.flush_leading(indent * 2, code_end, start, blank);
        self.begin_line(start, blank);
        self.out.push_str(&INDENT.repeat(indent));
        self.out.push_str(content);
        self.last_src_end = self.last_src_end.max(code_end);
        self.end_line(code_end);
    }

    /// A line-level item of any shape.
    fn shaped(&mut self, indent: usize, span: Span, shape: Shape, blank: Blank) {
        match shape {
            Shape::Line(content) => {
                let end = self.code_end(span);
                self.line(indent, span.start as usize, end, &content, blank);
            }
            Shape::Wrap { head, parts } => self.wrap(indent, span, &head, parts, blank),
            Shape::Braces {
                head,
                parts,
                open_after,
            } => self.braces(indent, span, &head, parts, open_after, blank),
        }
    }

    fn pieces(&self, parts: Vec<Part>) -> Vec<Piece> {
        parts
            .into_iter()
            .map(|p| Piece {
                start: p.span.start as usize,
                end: self.piece_end(p.span),
                text: p.text,
            })
            .collect()
    }

    /// `head part part ...`, wrapped with continuation lines lined up after the head.
    fn wrap(&mut self, indent: usize, span: Span, head: &str, parts: Vec<Part>, blank: Blank) {
        let start = span.start as usize;
        let pieces = self.pieces(parts);
        let Some(first) = pieces.first() else {
            let end = self.code_end(span);
            self.line(indent, start, end, head, blank);
            return;
        };
        // comments between the head's words go before the item
        self.flush_leading(indent * 2, first.start, start, blank);
        let line = format!("{}{head}", INDENT.repeat(indent));
        let cont = width(&line) + 1;
        self.fill(line, indent * 2, cont, &pieces, start, blank);
    }

    /// `head { part, part }` on one line, or opened into a block with the parts inside.
    fn braces(
        &mut self,
        indent: usize,
        span: Span,
        head: &str,
        parts: Vec<Part>,
        open_after: usize,
        blank: Blank,
    ) {
        let start = span.start as usize;
        let open = self.open_brace(open_after);
        let close = self.close_brace(span);
        let text = r::braces_text(head, &parts);
        let fits = indent * 2 + width(&text) <= MAX_WIDTH;
        if parts.is_empty() || (fits && !self.has_comment_between(open, close)) {
            self.line(indent, start, close + 1, &text, blank);
            return;
        }
        self.line(indent, start, open + 1, &format!("{head} {{"), blank);
        let pieces = self.pieces(parts);
        let pad = (indent + 1) * 2;
        let first_start = pieces.first().map_or(close, |p| p.start);
        self.fill(" ".repeat(pad), pad, pad, &pieces, first_start, Blank::Drop);
        self.flush_leading(pad, close, usize::MAX, Blank::Drop);
        self.line(indent, close, close + 1, "}", Blank::Drop);
    }

    /// Lay out `pieces` after `line` (the item's first line so far, whose comments go `pad`
    /// columns in), filling lines up to the width; continuation lines start at column `cont`.
    /// A comment before a piece goes on its own line and the piece starts a new line; a comment
    /// after a piece ends that piece's line.
    fn fill(
        &mut self,
        mut line: String,
        pad: usize,
        cont: usize,
        pieces: &[Piece],
        src_start: usize,
        blank: Blank,
    ) {
        // the item's first line has not been started yet (blank-line rules apply to it only)
        let mut first = true;
        // the current line holds at least one piece (and must be printed)
        let mut filled = false;
        let mut comment_pad = pad;
        for (i, p) in pieces.iter().enumerate() {
            if self.comment_before(p.end) {
                if filled {
                    self.emit(&mut line, cont);
                    comment_pad = cont;
                    filled = false;
                }
                let b = if first { blank } else { Blank::Drop };
                self.flush_leading(comment_pad, p.end, src_start, b);
            }
            if filled && width(&line) + 1 + width(&p.text) > MAX_WIDTH {
                self.emit(&mut line, cont);
                comment_pad = cont;
            }
            if first {
                self.begin_line(src_start, blank);
                first = false;
            }
            if !line.trim().is_empty() {
                line.push(' ');
            }
            line.push_str(&p.text);
            filled = true;
            self.last_src_end = self.last_src_end.max(p.end);
            if let Some(c) = self.take_trailing(p.end) {
                line.push_str(INDENT);
                line.push_str(&c);
                self.emit(&mut line, cont);
                comment_pad = cont;
                filled = false;
            }
            if i + 1 == pieces.len() && filled {
                self.emit(&mut line, cont);
            }
        }
    }

    /// Print `line` and start the next one at column `cont`.
    fn emit(&mut self, line: &mut String, cont: usize) {
        self.out.push_str(line.trim_end());
        self.out.push('\n');
        *line = " ".repeat(cont);
    }

    /// A block: `header {`, the items (printed by `body`), `}`. An empty block with no comment
    /// inside prints as `header {}`.
    fn block(
        &mut self,
        indent: usize,
        span: Span,
        header: &str,
        header_end: usize,
        empty: bool,
        body: impl FnOnce(&mut Self),
    ) {
        let start = span.start as usize;
        let open = self.open_brace(header_end);
        let close = self.close_brace(span);
        if empty && !self.has_comment_between(open, close) {
            let content = format!("{header} {{}}");
            self.line(indent, start, close + 1, &content, Blank::Keep);
            return;
        }
        self.line(
            indent,
            start,
            open + 1,
            &format!("{header} {{"),
            Blank::Keep,
        );
        self.block_start = true;
        body(self);
        // comments after the last item stay inside the block
        self.flush_leading((indent + 1) * 2, close, usize::MAX, Blank::Keep);
        self.block_start = true;
        self.line(indent, close, close + 1, "}", Blank::Drop);
    }

    // ───────────── declarations ─────────────

    fn item(&mut self, item: &Item) {
        match item {
            Item::Targets(t) => self.shaped(0, t.span, Shape::Line(r::targets(t)), Blank::Keep),
            Item::Calendar(d) => {
                let header = format!("calendar {}", d.name.name);
                let end = d.name.span.end as usize;
                self.block(0, d.span, &header, end, d.items.is_empty(), |p| {
                    for it in &d.items {
                        p.shaped(1, it.span, r::calendar_item(&it.node), Blank::Keep);
                    }
                });
            }
            Item::Pipeline(d) => {
                let header = format!("pipeline {}", d.name.name);
                let end = d.name.span.end as usize;
                self.block(0, d.span, &header, end, d.items.is_empty(), |p| {
                    for it in &d.items {
                        p.pipeline_item(1, it);
                    }
                });
            }
            Item::Cadence(d) => {
                let header = format!("cadence {}", d.name.name);
                let end = d.name.span.end as usize;
                self.block(0, d.span, &header, end, d.items.is_empty(), |p| {
                    for it in &d.items {
                        p.cadence_item(1, it);
                    }
                });
            }
            Item::Leads(d) => {
                let header = format!("leads {}", d.name.name);
                let end = d.name.span.end as usize;
                self.block(0, d.span, &header, end, d.items.is_empty(), |p| {
                    p.leads_items(1, &d.items);
                });
            }
            Item::Simulation(d) => {
                let header = format!("simulation {}", d.name.name);
                let end = d.name.span.end as usize;
                self.block(0, d.span, &header, end, d.items.is_empty(), |p| {
                    for it in &d.items {
                        let shape = Shape::Line(r::simulation_item(&it.node));
                        p.shaped(1, it.span, shape, Blank::Keep);
                    }
                });
            }
            Item::Test(d) => {
                let header = format!("test {}", r::str_lit(&d.name));
                let end = d.name.span.end as usize;
                self.block(0, d.span, &header, end, d.items.is_empty(), |p| {
                    for it in &d.items {
                        p.shaped(1, it.span, r::test_item(&it.node, it.span), Blank::Keep);
                    }
                });
            }
        }
    }

    fn pipeline_item(&mut self, indent: usize, it: &Spanned<PipelineItem>) {
        match &it.node {
            PipelineItem::Facts(facts) => {
                let header_end = it.span.start as usize + "facts".len();
                self.block(
                    indent,
                    it.span,
                    "facts",
                    header_end,
                    facts.is_empty(),
                    |p| {
                        for f in facts {
                            let shape = Shape::Line(r::fact_decl(f));
                            p.shaped(indent + 1, f.span, shape, Blank::Keep);
                        }
                    },
                );
            }
            PipelineItem::Stage(s) => self.stage(indent, it.span, s),
            other => self.shaped(indent, it.span, r::pipeline_item(other), Blank::Keep),
        }
    }

    fn stage(&mut self, indent: usize, span: Span, s: &StageDecl) {
        let mut header = format!("stage {}", s.name.name);
        let mut header_end = s.name.span.end as usize;
        if let Some(t) = &s.title {
            header.push(' ');
            header.push_str(&r::str_lit(t));
            header_end = t.span.end as usize;
        }
        // a terminal stage (`outcome` only) stays on one line: `stage won "成交" { outcome won }`
        if let [only] = s.items.as_slice() {
            if let StageItem::Outcome(_) = only.node {
                let open = self.open_brace(header_end);
                let close = self.close_brace(span);
                if !self.has_comment_between(open, close) {
                    let item = r::stage_item(&only.node).one_line();
                    let content = format!("{header} {{ {item} }}");
                    self.line(
                        indent,
                        span.start as usize,
                        close + 1,
                        &content,
                        Blank::Keep,
                    );
                    return;
                }
            }
        }
        self.block(indent, span, &header, header_end, s.items.is_empty(), |p| {
            for it in &s.items {
                p.shaped(indent + 1, it.span, r::stage_item(&it.node), Blank::Keep);
            }
        });
    }

    fn cadence_item(&mut self, indent: usize, it: &Spanned<CadenceItem>) {
        match &it.node {
            CadenceItem::Step(step) => self.step(indent, step),
            CadenceItem::Track(t) => {
                let header = format!("track {}", t.name.name);
                let header_end = t.name.span.end as usize;
                self.block(
                    indent,
                    t.span,
                    &header,
                    header_end,
                    t.steps.is_empty(),
                    |p| {
                        for step in &t.steps {
                            p.step(indent + 1, step);
                        }
                    },
                );
            }
            other => self.shaped(indent, it.span, r::cadence_item(other), Blank::Keep),
        }
    }

    /// `step NAME CHANNEL ["title"] [template] [timing] [assign] [priority]` on one line, then
    /// each `variant`, `on` and `otherwise` on its own line one level deeper, in source order.
    fn step(&mut self, indent: usize, step: &Step) {
        let mut header = format!("step {} {}", step.name.name, step.channel.name);
        let mut header_end = self.code_end(step.channel.span);
        if let Some(t) = &step.title {
            header.push(' ');
            header.push_str(&r::str_lit(t));
            header_end = header_end.max(self.code_end(t.span));
        }
        for attr in header_attrs(&step.attrs) {
            header.push(' ');
            header.push_str(&r::step_attr(&attr.node).one_line());
            header_end = header_end.max(self.code_end(attr.span));
        }
        self.line(
            indent,
            step.span.start as usize,
            header_end,
            &header,
            Blank::Keep,
        );
        for attr in step
            .attrs
            .iter()
            .filter(|a| r::header_rank(&a.node).is_none())
        {
            self.shaped(indent + 1, attr.span, r::step_attr(&attr.node), Blank::Drop);
        }
    }

    fn leads_items(&mut self, indent: usize, items: &[Spanned<LeadsItem>]) {
        for it in items {
            match &it.node {
                LeadsItem::Segment(seg) => {
                    let header = format!("segment {} {}", seg.name.name, seg.share.raw);
                    let header_end = seg.share.span.end as usize;
                    self.block(
                        indent,
                        it.span,
                        &header,
                        header_end,
                        seg.items.is_empty(),
                        |p| {
                            p.leads_items(indent + 1, &seg.items);
                        },
                    );
                }
                other => self.shaped(indent, it.span, r::leads_item(other), Blank::Keep),
            }
        }
    }
}

/// Whitespace as the grammar sees it (it also skips a byte-order mark).
fn is_blank(c: char) -> bool {
    c.is_whitespace() || c == '\u{FEFF}'
}

/// Display width: East Asian wide characters (CJK, Hangul, full-width forms) take two columns.
pub fn width(s: &str) -> usize {
    s.chars()
        .map(|c| match u32::from(c) {
            0x1100..=0x115F
            | 0x2E80..=0x303E
            | 0x3041..=0x33FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xA000..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6
            | 0x20000..=0x3FFFD => 2,
            _ => 1,
        })
        .sum()
}

/// The attributes that go on a step's header line. When each kind appears at most once they
/// are put in canonical order (`template`, timing, `assign`, `priority`); a step that repeats
/// one (an error the checker reports) keeps the source order so nothing is merged or lost.
pub fn header_attrs(attrs: &[Spanned<StepAttr>]) -> Vec<&Spanned<StepAttr>> {
    let mut header: Vec<&Spanned<StepAttr>> = attrs
        .iter()
        .filter(|a| r::header_rank(&a.node).is_some())
        .collect();
    let mut seen = [false; 4];
    let mut repeated = false;
    for a in &header {
        if let Some(rank) = r::header_rank(&a.node) {
            if let Some(slot) = seen.get_mut(usize::from(rank)) {
                repeated |= *slot;
                *slot = true;
            }
        }
    }
    if !repeated {
        header.sort_by_key(|a| r::header_rank(&a.node));
    }
    header
}
