//! Step timing and the playbook constructs: weekday anchors (`on tue, fri at 10:00`), date
//! windows (`active …`, `during …`), hand-offs and elastic steps. Kept apart from `parser.rs`,
//! which holds the rest of the tree building.

use pest::iterators::Pair;

use super::{children, Bug, Builder, Rule, R};
use crate::syntax::ast::*;

impl Builder<'_> {
    pub(super) fn timing(&mut self, p: Pair<'_, Rule>) -> R<Timing> {
        let mut it = p.into_inner();
        let head = it.next().ok_or(Bug)?;
        Ok(match head.as_rule() {
            Rule::kw_immediately => Timing::Immediately,
            Rule::kw_after => {
                let delay = self.duration(it.next().ok_or(Bug)?)?;
                match it.next() {
                    None => Timing::After { delay, at: None },
                    Some(a) if a.as_rule() == Rule::at_clock => Timing::After {
                        delay,
                        at: Some(self.clock(self.only(a)?)),
                    },
                    Some(a) => self.anchor(a, Some(delay))?,
                }
            }
            Rule::at_clock => Timing::At(self.clock(self.only(head)?)),
            Rule::anchor => self.anchor(head, None)?,
            _ => return Err(Bug),
        })
    }

    /// `on DAY[..DAY], … at HH:MM`, after an optional delay.
    fn anchor(&mut self, p: Pair<'_, Rule>, delay: Option<Duration>) -> R<Timing> {
        let mut days = Vec::new();
        let mut at = None;
        for c in children(p) {
            match c.as_rule() {
                Rule::day_range => days.push(self.day_range(c)?),
                Rule::at_clock => at = Some(self.clock(self.only(c)?)),
                _ => return Err(Bug),
            }
        }
        Ok(Timing::Anchor {
            delay,
            days,
            at: at.ok_or(Bug)?,
        })
    }

    /// `active DATE[..DATE] [defer]`
    pub(super) fn active(&mut self, p: Pair<'_, Rule>) -> R<CadenceItem> {
        let mut dates = None;
        let mut defer = false;
        for c in children(p) {
            match c.as_rule() {
                Rule::date_range => dates = Some(self.date_range(c)?),
                Rule::defer => defer = true,
                _ => return Err(Bug),
            }
        }
        Ok(CadenceItem::Active {
            dates: dates.ok_or(Bug)?,
            defer,
        })
    }
}
