//! The open intervals of one local date, as the timeline hands them out.

use super::timeline::{Iv, Ns, NS_PER_MIN};

/// The open intervals of one local date, in time order.
pub(super) enum DayIvs<'t> {
    Cached(&'t [Iv]),
    Fresh(Vec<Iv>),
    /// a plain day's intervals, computed from its midnight and the hours while iterating (none
    /// stored, none copied)
    Plain(Ns, &'t [(u32, u32)]),
}

impl DayIvs<'_> {
    pub(super) fn iter(&self) -> DayIter<'_> {
        match self {
            DayIvs::Cached(s) => DayIter::Slice(s.iter()),
            DayIvs::Fresh(v) => DayIter::Slice(v.iter()),
            DayIvs::Plain(start, hours) => DayIter::Plain(*start, hours.iter()),
        }
    }
}

/// The intervals of a [`DayIvs`], by value.
pub(super) enum DayIter<'t> {
    Slice(std::slice::Iter<'t, Iv>),
    Plain(Ns, std::slice::Iter<'t, (u32, u32)>),
}

#[inline]
fn plain_iv(start: Ns, (a, b): (u32, u32)) -> Iv {
    (
        start + Ns::from(a) * NS_PER_MIN,
        start + Ns::from(b) * NS_PER_MIN,
    )
}

impl Iterator for DayIter<'_> {
    type Item = Iv;
    #[inline]
    fn next(&mut self) -> Option<Iv> {
        match self {
            DayIter::Slice(i) => i.next().copied(),
            DayIter::Plain(s, h) => h.next().map(|&r| plain_iv(*s, r)),
        }
    }
}

impl DoubleEndedIterator for DayIter<'_> {
    #[inline]
    fn next_back(&mut self) -> Option<Iv> {
        match self {
            DayIter::Slice(i) => i.next_back().copied(),
            DayIter::Plain(s, h) => h.next_back().map(|&r| plain_iv(*s, r)),
        }
    }
}
