//! Calendars: time zone, working days, business hours, holidays and make-up workdays.

use std::collections::BTreeSet;

use super::Checker;
use crate::calendar::Calendar as Engine;
use crate::diagnostics::{codes, Diagnostic};
use crate::model;
use crate::syntax::ast::{CalendarDecl, CalendarItem, DateRange, DayRange, Ident};

pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Checker {
    fn is_registered(
        &self,
        table: &std::collections::HashMap<String, (usize, crate::source::Span)>,
        name: &Ident,
    ) -> bool {
        table
            .get(&name.name)
            .map(|(_, s)| s.same_place(name.span))
            .unwrap_or(false)
    }

    pub(super) fn calendar(&mut self, c: &CalendarDecl) {
        let mut engine = Engine::always_open(chrono_tz::UTC);
        engine.workdays = [false; 7];
        engine.hours.clear();
        let mut seen: [Option<crate::source::Span>; 3] = [None; 3];
        let mut holidays: Vec<(chrono::NaiveDate, crate::source::Span)> = Vec::new();
        let mut makeups: Vec<(chrono::NaiveDate, crate::source::Span)> = Vec::new();
        for item in &c.items {
            let slot = match &item.node {
                CalendarItem::Timezone(_) => Some(0),
                CalendarItem::Workdays(_) => Some(1),
                CalendarItem::Hours(_) => Some(2),
                _ => None,
            };
            if let Some(i) = slot {
                if let Some(first) = seen[i] {
                    let what = ["timezone", "workdays", "hours"][i];
                    self.duplicate_setting(what, item.span, first);
                    continue;
                }
                seen[i] = Some(item.span);
            }
            match &item.node {
                CalendarItem::Timezone(s) => {
                    if let Some(tz) = self.timezone(s) {
                        engine.tz = tz;
                    }
                }
                CalendarItem::Workdays(ranges) => engine.workdays = self.weekday_set(ranges),
                CalendarItem::Hours(ranges) => {
                    let mut last_end = 0;
                    for r in ranges {
                        let (Some(a), Some(b)) =
                            (self.clock(&r.from, false), self.clock(&r.to, true))
                        else {
                            continue;
                        };
                        if b <= a {
                            self.push(
                                Diagnostic::new(&codes::E0701, r.span, "business hours end before they start")
                                    .with_label("empty range")
                                    .with_help("a range of hours runs forward within one day, e.g. `09:00..18:00`"),
                            );
                        } else if a < last_end {
                            self.push(
                                Diagnostic::new(&codes::E0701, r.span, "business hours overlap or are out of order")
                                    .with_label("starts before the previous range ends")
                                    .with_help("list ranges in order without overlap: `09:00..12:00, 13:30..18:00`"),
                            );
                        } else {
                            engine.hours.push((a, b));
                            last_end = b;
                        }
                    }
                }
                CalendarItem::Holidays(ranges) => {
                    for r in ranges {
                        for d in self.date_range(r) {
                            holidays.push((d, r.span));
                        }
                    }
                }
                CalendarItem::MakeupWorkdays(ranges) => {
                    for r in ranges {
                        for d in self.date_range(r) {
                            makeups.push((d, r.span));
                        }
                    }
                }
            }
        }
        for (i, what) in ["timezone", "workdays", "hours"].iter().enumerate() {
            if seen[i].is_none() {
                self.missing_setting(
                    c.name.span,
                    format!("calendar `{}` has no `{what}`", c.name.name),
                    "a calendar needs `timezone`, `workdays` and `hours`",
                );
            }
        }
        let holiday_set: BTreeSet<_> = holidays.iter().map(|(d, _)| *d).collect();
        for (d, span) in &makeups {
            if holiday_set.contains(d) {
                self.push(
                    Diagnostic::new(
                        &codes::E0704,
                        *span,
                        format!("{d} is both a holiday and a make-up workday"),
                    )
                    .with_label("also listed under `holidays`")
                    .with_help("remove the date from one of the two lists"),
                );
            } else if engine.workdays[chrono::Datelike::weekday(d).num_days_from_monday() as usize]
            {
                self.push(
                    Diagnostic::new(&codes::W0703, *span, format!("{d} is a working day anyway"))
                        .with_label("already a working day")
                        .with_help(
                            "`workday` lists weekend dates that are worked (调休); remove this one",
                        ),
                );
            }
        }
        engine.holidays = holiday_set;
        engine.makeup_workdays = makeups.iter().map(|(d, _)| *d).collect();
        if let Some((from, to)) = longest_closed_stretch(&engine) {
            let span = holidays.first().map(|(_, s)| *s).unwrap_or(c.name.span);
            self.push(
                Diagnostic::new(
                    &codes::E0705,
                    span,
                    format!(
                        "calendar `{}` has no working day from {from} to {to}",
                        c.name.name
                    ),
                )
                .with_label(format!(
                    "{} days without a working day",
                    (to - from).num_days() + 1
                ))
                .with_help("check the holiday ranges for a mistyped year or month"),
            );
            self.closed_calendars.insert(c.name.name.clone());
        }
        if self.is_registered(&self.names.calendars, &c.name) {
            self.model.calendars.push(model::Calendar {
                name: c.name.name.clone(),
                engine,
                span: c.name.span,
            });
        }
    }

    /// The weekdays of a list of days and ranges (`mon..fri, sun`), index 0 = Monday.
    pub(super) fn weekday_set(&mut self, ranges: &[DayRange]) -> [bool; 7] {
        let mut set = [false; 7];
        for r in ranges {
            let from = self.weekday(&r.from);
            let to = match &r.to {
                Some(t) => self.weekday(t),
                None => from,
            };
            if let (Some(a), Some(b)) = (from, to) {
                if b < a {
                    self.push(
                        Diagnostic::new(
                            &codes::E0702,
                            r.span,
                            "weekday range ends before it starts",
                        )
                        .with_label("reversed")
                        .with_help(format!("write `{}..{}`", WEEKDAYS[b], WEEKDAYS[a])),
                    );
                }
                for day in set.iter_mut().take(b.max(a) + 1).skip(a) {
                    *day = true;
                }
            }
        }
        set
    }

    fn weekday(&mut self, name: &Ident) -> Option<usize> {
        let lower = name.name.to_lowercase();
        let found = WEEKDAYS.iter().position(|w| {
            *w == lower || (lower.len() > 3 && lower.starts_with(w) && is_full_day(&lower))
        });
        if found.is_none() {
            self.unknown(
                &codes::E0213,
                "weekday",
                &name.name,
                name.span,
                "",
                WEEKDAYS,
            );
        }
        found
    }

    /// Every date of a range (at most ten years of them).
    fn date_range(&mut self, r: &DateRange) -> Vec<chrono::NaiveDate> {
        let Some(from) = self.date(&r.from) else {
            return Vec::new();
        };
        let to = match &r.to {
            Some(t) => match self.date(t) {
                Some(t) => t,
                None => return Vec::new(),
            },
            None => from,
        };
        if to < from {
            self.push(
                Diagnostic::new(&codes::E0702, r.span, "date range ends before it starts")
                    .with_label("reversed")
                    .with_help(format!("write `{to}..{from}`")),
            );
            return Vec::new();
        }
        if (to - from).num_days() > 3660 {
            self.push(
                Diagnostic::new(&codes::E0308, r.span, "date range is longer than ten years")
                    .with_label("too long")
                    .with_help("list holidays year by year"),
            );
            return Vec::new();
        }
        from.iter_days().take_while(|d| *d <= to).collect()
    }
}

fn is_full_day(s: &str) -> bool {
    matches!(
        s,
        "monday" | "tuesday" | "wednesday" | "thursday" | "friday" | "saturday" | "sunday"
    )
}

/// The first stretch of more than 92 consecutive non-working days among the listed holidays.
fn longest_closed_stretch(cal: &Engine) -> Option<(chrono::NaiveDate, chrono::NaiveDate)> {
    if !cal.workdays.iter().any(|w| *w) {
        return None; // reported as a missing or empty `workdays` instead
    }
    let first = *cal.holidays.iter().next()?;
    let last = *cal.holidays.iter().next_back()?;
    let mut run_start: Option<chrono::NaiveDate> = None;
    for d in first
        .iter_days()
        .take_while(|d| *d <= last + chrono::Duration::days(7))
    {
        if cal.is_working_day(d) {
            if let Some(st) = run_start.take() {
                if (d - st).num_days() > 92 {
                    return Some((st, d.pred_opt().unwrap_or(d)));
                }
            }
        } else if run_start.is_none() {
            run_start = Some(d);
        }
    }
    run_start
        .filter(|st| (last - *st).num_days() > 92)
        .map(|st| (st, last))
}
