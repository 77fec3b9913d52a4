//! Layout: walks the tree, prints one item per line, and re-attaches the comments.
//!
//! The comments are a queue in source order. Before a line is printed, every queued comment that
//! starts before the end of that line's code is printed on its own line at the line's
//! indentation (leading comments, and comments from inside an item that spanned several source
//! lines). After the line, a comment that follows its code on the same source line, with only
//! blanks between, becomes its trailing comment. Every comment is taken from the queue exactly
//! once and whatever is left at the end is printed at the end of the file, so none is lost or
//! duplicated.

use super::comments::Comment;
use super::render as r;
use crate::source::Span;
use crate::syntax::ast::*;

const INDENT: &str = "  ";

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

/// Whether blank lines the user left before a line are kept (inside blocks and at top level)
/// or dropped (between a step's header and its `variant`/`on`/`otherwise` lines).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Blank {
    Keep,
    Drop,
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

    /// The first offset at or after `pos` that is neither blank nor inside a comment.
    fn next_code(&self, mut pos: usize) -> usize {
        while let Some(c) = self.text.get(pos..).and_then(|s| s.chars().next()) {
            if c == '#' {
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

    /// The offset of the `{` that opens a block whose header code ends at `after`.
    fn open_brace(&self, after: usize) -> usize {
        self.next_code(after)
    }

    /// The offset of the `}` that closes a block spanning `span`.
    fn close_brace(&self, span: Span) -> usize {
        self.code_end(span).saturating_sub(1)
    }

    fn has_comment_between(&self, from: usize, to: usize) -> bool {
        let i = self.comments.partition_point(|c| c.start <= from);
        self.comments.get(i).is_some_and(|c| c.start < to)
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

    fn push_indent(&mut self, indent: usize) {
        for _ in 0..indent {
            self.out.push_str(INDENT);
        }
    }

    /// Print every queued comment that starts before `before` on its own line. `item_start` is
    /// where the item these comments lead starts: a comment from inside that item counts as
    /// sitting at its start when looking for a blank line before it.
    fn flush_leading(&mut self, indent: usize, before: usize, item_start: usize, blank: Blank) {
        while let Some(c) = self.comments.get(self.next) {
            if c.start >= before {
                break;
            }
            let (start, end, text) = (c.start.min(item_start), c.end, c.text.clone());
            self.next += 1;
            self.begin_line(start, blank);
            self.push_indent(indent);
            self.out.push_str(&text);
            self.out.push('\n');
            self.last_src_end = self.last_src_end.max(end);
        }
    }

    /// One printed line whose code starts at `start` and ends at `code_end` in the source.
    fn line(&mut self, indent: usize, start: usize, code_end: usize, content: &str, blank: Blank) {
        self.flush_leading(indent, code_end, start, blank);
        self.begin_line(start, blank);
        self.push_indent(indent);
        self.out.push_str(content);
        self.last_src_end = self.last_src_end.max(code_end);
        if let Some(c) = self.comments.get(self.next) {
            let same_line = self
                .text
                .get(code_end..c.start)
                .is_some_and(|gap| gap.chars().all(|ch| is_blank(ch) && ch != '\n'));
            if same_line {
                self.out.push_str(INDENT);
                self.out.push_str(&c.text);
                self.last_src_end = self.last_src_end.max(c.end);
                self.next += 1;
            }
        }
        self.out.push('\n');
    }

    /// A line for a spanned item.
    fn item_line(&mut self, indent: usize, span: Span, content: &str, blank: Blank) {
        let end = self.code_end(span);
        self.line(indent, span.start as usize, end, content, blank);
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
            self.line(
                indent,
                start,
                close + 1,
                &format!("{header} {{}}"),
                Blank::Keep,
            );
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
        self.flush_leading(indent + 1, close, usize::MAX, Blank::Keep);
        self.block_start = true;
        self.line(indent, close, close + 1, "}", Blank::Drop);
    }

    // ───────────── declarations ─────────────

    fn item(&mut self, item: &Item) {
        match item {
            Item::Calendar(d) => {
                let header = format!("calendar {}", d.name.name);
                self.block(
                    0,
                    d.span,
                    &header,
                    d.name.span.end as usize,
                    d.items.is_empty(),
                    |p| {
                        for it in &d.items {
                            p.item_line(1, it.span, &r::calendar_item(&it.node), Blank::Keep);
                        }
                    },
                );
            }
            Item::Pipeline(d) => {
                let header = format!("pipeline {}", d.name.name);
                self.block(
                    0,
                    d.span,
                    &header,
                    d.name.span.end as usize,
                    d.items.is_empty(),
                    |p| {
                        for it in &d.items {
                            p.pipeline_item(1, it);
                        }
                    },
                );
            }
            Item::Cadence(d) => {
                let header = format!("cadence {}", d.name.name);
                self.block(
                    0,
                    d.span,
                    &header,
                    d.name.span.end as usize,
                    d.items.is_empty(),
                    |p| {
                        for it in &d.items {
                            p.cadence_item(1, it);
                        }
                    },
                );
            }
            Item::Leads(d) => {
                let header = format!("leads {}", d.name.name);
                self.block(
                    0,
                    d.span,
                    &header,
                    d.name.span.end as usize,
                    d.items.is_empty(),
                    |p| {
                        p.leads_items(1, &d.items);
                    },
                );
            }
            Item::Simulation(d) => {
                let header = format!("simulation {}", d.name.name);
                self.block(
                    0,
                    d.span,
                    &header,
                    d.name.span.end as usize,
                    d.items.is_empty(),
                    |p| {
                        for it in &d.items {
                            p.item_line(1, it.span, &r::simulation_item(&it.node), Blank::Keep);
                        }
                    },
                );
            }
            Item::Test(d) => {
                let header = format!("test {}", r::str_lit(&d.name));
                self.block(
                    0,
                    d.span,
                    &header,
                    d.name.span.end as usize,
                    d.items.is_empty(),
                    |p| {
                        for it in &d.items {
                            p.item_line(1, it.span, &r::test_item(&it.node), Blank::Keep);
                        }
                    },
                );
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
                            p.item_line(indent + 1, f.span, &r::fact_decl(f), Blank::Keep);
                        }
                    },
                );
            }
            PipelineItem::Stage(s) => self.stage(indent, it.span, s),
            other => self.item_line(indent, it.span, &r::pipeline_line(other), Blank::Keep),
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
                    let content = format!("{header} {{ {} }}", r::stage_item(&only.node));
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
                p.item_line(indent + 1, it.span, &r::stage_item(&it.node), Blank::Keep);
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
            other => self.item_line(indent, it.span, &r::cadence_line(other), Blank::Keep),
        }
    }

    /// `step NAME CHANNEL ["title"] [template] [timing] [assign] [priority]`, then each
    /// `variant`, `on` and `otherwise` on its own line one level deeper, in source order.
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
            header.push_str(&r::step_attr(&attr.node));
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
            self.item_line(
                indent + 1,
                attr.span,
                &r::step_attr(&attr.node),
                Blank::Drop,
            );
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
                other => self.item_line(indent, it.span, &r::leads_line(other), Blank::Keep),
            }
        }
    }
}

/// Whitespace as the grammar sees it (it also skips a byte-order mark).
fn is_blank(c: char) -> bool {
    c.is_whitespace() || c == '\u{FEFF}'
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
