//! Folding repeated dates in worst-case analyses (see [`super::worst`]).
//!
//! A group of samples anchored at a date looks only at the dates between its earliest and its
//! latest instant, one date of margin either side. Its worst case depends only on the classes of
//! those dates ([`Timeline::day_classes`]), the calendar's hours and the query: plain 24-hour
//! days are arithmetic relative to the anchor's midnight, so a later group with the same classes
//! has the same worst case shifted by the distance between the midnights; a DST change day is
//! its own class (its date in its zone), so a group that sees one is reused only by calendars of
//! the same zone on the same dates. Neither names nor (for plain days) zones play a part, so
//! calendars with the same hours share their folds ([`super::Memo`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

use super::timeline::{Class, Day, Ns, Timeline};
use super::{Measure, Starts, Timing};

/// The largest delay of a group: (minutes, from, to).
pub(super) type Best = Option<(u64, Ns, Ns)>;

/// Groups evaluated before, by the classes of the dates they looked at (from the first date,
/// relative to the anchor date), with their worst case relative to the anchor's midnight: one
/// trie over classes per offset of the first date, so that a lookup reads each date once.
#[derive(Default)]
pub(super) struct Folds {
    /// (first date looked at − anchor, root node)
    roots: Vec<(i32, u32)>,
    nodes: Vec<Node>,
    /// children for special dates: (node, class) → node
    special: HashMap<(u32, Class), u32>,
    entries: Vec<Entry>,
}

/// A trie node: the next node for a plain closed and a plain working date (0: none; node 0 is
/// never a child), and the entry of a group whose dates end here ([`NONE`]: none).
#[derive(Clone, Copy)]
struct Node {
    next: [u32; 2],
    entry: u32,
}

const NONE: u32 = u32::MAX;

impl Default for Node {
    fn default() -> Node {
        Node {
            next: [0, 0],
            entry: NONE,
        }
    }
}

impl Folds {
    fn child(&self, node: u32, c: Class) -> Option<u32> {
        match c {
            0 | 1 => Some(self.nodes[node as usize].next[c as usize]).filter(|&n| n != 0),
            _ => self.special.get(&(node, c)).copied(),
        }
    }

    fn push_node(&mut self) -> u32 {
        self.nodes.push(Node::default());
        (self.nodes.len() - 1) as u32
    }
}

struct Entry {
    off: i32,
    classes: Vec<Class>,
    fold: Folded,
}

#[derive(Clone, Copy)]
struct Folded {
    /// (minutes, from, to) relative to the anchor's midnight
    best: Best,
    /// every instant the group's samples were derived from, relative to the anchor's midnight:
    /// a fold is used only where the window keeps all of them, as it did where it was made
    span: (Ns, Ns),
}

/// Stored groups are capped, so that a calendar with no repetition costs little extra.
const MAX_FOLDS: usize = 4096;

/// Groups that looked at more dates than this are not stored.
const MAX_FOLD_DAYS: usize = 64;

impl Folds {
    /// The worst case of the group anchored at `d`, from a fold, shifted to `d`'s midnight;
    /// `w` is the window.
    pub(super) fn find(&self, tl: &Timeline<'_>, w: (Ns, Ns), d: Day) -> Option<Best> {
        let start = tl.day_start(d)?;
        for &(off, root) in &self.roots {
            let Some(classes) = d.checked_add(off).and_then(|f| tl.classes_from(f)) else {
                continue;
            };
            let mut node = root;
            for j in 0..=MAX_FOLD_DAYS {
                let e = self.nodes[node as usize].entry;
                if e != NONE {
                    let f = &self.entries[e as usize].fold;
                    if start + f.span.0 >= w.0 && start + f.span.1 < w.1 {
                        return Some(f.best.map(|(m, a, b)| (m, start + a, start + b)));
                    }
                }
                match classes.get(j).and_then(|&c| self.child(node, c)) {
                    Some(next) => node = next,
                    None => break,
                }
            }
        }
        None
    }

    /// Remembers a group anchored at `d` that looked at the instants `looked`, with its worst
    /// case `best` and its raw samples and boundaries spanning `raw`, when every date it looked
    /// at is plain and the window `w` kept all its samples.
    pub(super) fn store(
        &mut self,
        tl: &Timeline<'_>,
        w: (Ns, Ns),
        d: Day,
        looked: (Ns, Ns),
        best: Best,
        raw: (Ns, Ns),
    ) -> Option<()> {
        if raw.0 < w.0 || raw.1 >= w.1 {
            return None;
        }
        let start = tl.day_start(d)?;
        let first = tl.local_day(looked.0)?.min(d).checked_sub(1)?;
        let last = tl.local_day(looked.1)?.max(d).checked_add(1)?;
        let classes = tl.day_classes(first, last)?;
        if classes.len() > MAX_FOLD_DAYS {
            return None;
        }
        let fold = Folded {
            best: best.map(|(m, a, b)| (m, a - start, b - start)),
            span: (raw.0 - start, raw.1 - start),
        };
        self.insert(first.checked_sub(d)?, classes, fold);
        Some(())
    }

    fn insert(&mut self, off: i32, classes: &[Class], fold: Folded) {
        if self.entries.len() >= MAX_FOLDS {
            return;
        }
        if self.nodes.is_empty() {
            self.push_node(); // node 0: never a child
        }
        let mut node = match self.roots.iter().find(|r| r.0 == off) {
            Some(r) => r.1,
            None => {
                let n = self.push_node();
                self.roots.push((off, n));
                n
            }
        };
        for &c in classes {
            node = match self.child(node, c) {
                Some(n) => n,
                None => {
                    let n = self.push_node();
                    match c {
                        0 | 1 => self.nodes[node as usize].next[c as usize] = n,
                        _ => {
                            self.special.insert((node, c), n);
                        }
                    }
                    n
                }
            };
        }
        if self.nodes[node as usize].entry == NONE {
            self.nodes[node as usize].entry = self.entries.len() as u32;
            self.entries.push(Entry {
                off,
                classes: classes.to_vec(),
                fold,
            });
        }
    }

    /// Adds the folds of `other` from its `from`-th on.
    fn merge(&mut self, other: &Folds, from: usize) {
        for e in other.entries.iter().skip(from) {
            self.insert(e.off, &e.classes, e.fold);
        }
    }
}

/// What a fold table is for: the calendar's normalized hours, whether it can open at all, the
/// query, and which sampling phase (grid or preimages).
pub(super) type MemoKey = (Vec<(u32, u32)>, bool, Timing, Starts, Measure, bool);

/// Folds kept across worst cases, shared between threads and between calendars with the same
/// hours (time zone, dates and names play no part in a fold). Any memo gives the same answers
/// as none: a fold is only used where it is exact.
#[derive(Default)]
pub(super) struct FoldMemo {
    tables: Mutex<HashMap<MemoKey, Arc<RwLock<Folds>>>>,
}

impl FoldMemo {
    pub(super) fn table(&self, key: MemoKey) -> Arc<RwLock<Folds>> {
        let mut t = self.tables.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(t.entry(key).or_default())
    }
}

/// The folds one query reads: a shared table (read-locked while the query runs) and the folds
/// it learns itself, added to the table at the end.
pub(super) struct QueryFolds<'m> {
    table: Option<&'m RwLock<Folds>>,
    shared: Option<RwLockReadGuard<'m, Folds>>,
    own: Folds,
}

impl<'m> QueryFolds<'m> {
    pub(super) fn new(table: Option<&'m RwLock<Folds>>) -> QueryFolds<'m> {
        QueryFolds {
            table,
            shared: table.map(|t| t.read().unwrap_or_else(|e| e.into_inner())),
            own: Folds::default(),
        }
    }

    pub(super) fn find(&self, tl: &Timeline<'_>, w: (Ns, Ns), d: Day) -> Option<Best> {
        self.own
            .find(tl, w, d)
            .or_else(|| self.shared.as_ref()?.find(tl, w, d))
    }

    pub(super) fn store(
        &mut self,
        tl: &Timeline<'_>,
        w: (Ns, Ns),
        d: Day,
        looked: (Ns, Ns),
        best: Best,
        raw: (Ns, Ns),
    ) {
        self.own.store(tl, w, d, looked, best, raw);
    }

    /// Adds what the query learnt to the shared table.
    pub(super) fn finish(mut self) {
        self.shared = None;
        if let Some(t) = self.table {
            if !self.own.entries.is_empty() {
                t.write()
                    .unwrap_or_else(|e| e.into_inner())
                    .merge(&self.own, 0);
            }
        }
    }
}

/// The key of the fold table of a query on `tl`.
pub(super) fn memo_key(
    tl: &Timeline<'_>,
    timing: Timing,
    starts: Starts,
    measure: Measure,
    preimages: bool,
) -> MemoKey {
    (
        tl.hours().to_vec(),
        tl.never_open(),
        timing,
        starts,
        measure,
        preimages,
    )
}
