//! Worst cases shared by the timing analyses of every cadence, from any thread. Calendars are
//! told apart by content, not by name: a thousand files that each declare the same calendar
//! share one. Each distinct calendar has its days precomputed once ([`Prepared`]), folds of
//! repeated dates are shared between calendars with the same hours ([`Memo`]), and each
//! (calendar, dates, timing, starts, measure) question is answered once, by the first thread
//! that asks (the others wait for that answer). Answers never depend on what is shared.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{Datelike, Days, NaiveDate};

use super::timing::window;
use crate::calendar::{Calendar, Measure, Memo, Prepared, Starts, Timing, WorstCase};
use crate::model::{DateWindow, Model};

/// Dates precomputed beyond a calendar's analysed years: waits that start inside them reach this
/// far (a query that needs more precomputes its own dates, with the same answer).
const BEFORE_DAYS: u64 = 45;
const AFTER_DAYS: u64 = 120;

/// (dates, timing, any moment?, business measure?)
type Question = (Option<DateWindow>, Timing, bool, bool);

/// One answer, computed once and waited for by the other threads that ask.
type Answer = Arc<OnceLock<Option<WorstCase>>>;

struct Class {
    cal: Calendar,
    prepared: OnceLock<Prepared>,
    answers: Mutex<HashMap<Question, Answer>>,
}

impl Class {
    fn new(cal: Calendar) -> Class {
        Class {
            cal,
            prepared: OnceLock::new(),
            answers: Mutex::new(HashMap::new()),
        }
    }
}

pub struct TimingCache {
    folds: Memo,
    /// [`super::timing::CadenceClock::key`] (0: no calendar, i + 1: model calendar i) → class
    class_of: Vec<usize>,
    /// class 0 is the calendar open around the clock in UTC (no calendar named)
    classes: Vec<Class>,
}

impl TimingCache {
    pub(super) fn new(model: &Model) -> TimingCache {
        let mut classes = vec![Class::new(Calendar::always_open(chrono_tz::UTC))];
        let mut seen: HashMap<&Calendar, usize> = HashMap::new();
        let mut class_of = vec![0];
        for k in &model.calendars {
            let class = *seen.entry(&k.engine).or_insert_with(|| {
                classes.push(Class::new(k.engine.clone()));
                classes.len() - 1
            });
            class_of.push(class);
        }
        TimingCache {
            folds: Memo::default(),
            class_of,
            classes,
        }
    }

    /// The worst case of one timing on the calendar of `key`, over `dates` or, without dates,
    /// over the calendar's years ([`worst_in_years`]).
    pub(super) fn worst(
        &self,
        key: usize,
        dates: Option<DateWindow>,
        t: Timing,
        starts: Starts,
        m: Measure,
    ) -> Option<WorstCase> {
        let class = self
            .class_of
            .get(key)
            .and_then(|&k| self.classes.get(k))
            .unwrap_or(&self.classes[0]);
        let slot = {
            let mut answers = class.answers.lock().unwrap_or_else(|e| e.into_inner());
            let q = (
                dates,
                t,
                starts == Starts::AnyMoment,
                m == Measure::Business,
            );
            Arc::clone(answers.entry(q).or_default())
        };
        slot.get_or_init(|| {
            let prepared = class.prepared.get_or_init(|| {
                let (from, to) = window(&class.cal);
                Prepared::new(
                    class.cal.clone(),
                    from.checked_sub_days(Days::new(BEFORE_DAYS))
                        .unwrap_or(from),
                    to.checked_add_days(Days::new(AFTER_DAYS)).unwrap_or(to),
                    &self.folds,
                )
            });
            match dates {
                None => worst_in_years(prepared, &self.folds, t, starts, m),
                Some(w) => prepared.worst_case(&self.folds, t, starts, m, (w.from, w.to)),
            }
        })
        .clone()
    }
}

/// The worst case over [`window`], dated within the calendar's years whenever one as bad is:
/// the month before them counts only when a start there is strictly worse (a gap that runs into
/// the first listed holidays), so ties never pick a date the calendar says nothing about.
fn worst_in_years(
    cal: &Prepared,
    folds: &Memo,
    t: Timing,
    starts: Starts,
    m: Measure,
) -> Option<WorstCase> {
    let (from, to) = window(cal.calendar());
    let years = NaiveDate::from_ymd_opt(from.year() + 1, 1, 1)?;
    let inside = cal.worst_case(folds, t, starts, m, (years, to))?;
    let lead_in = cal.worst_case(folds, t, starts, m, (from, years.pred_opt()?))?;
    Some(if lead_in.minutes > inside.minutes {
        lead_in
    } else {
        inside
    })
}
