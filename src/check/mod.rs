//! Stage 3: spanned AST → checked model, reporting every independent problem of a project.
//!
//! Passes run in dependency order: global names → calendars → pipelines → cadences → lead models
//! → simulations and tests → whole-project analyses (events produced, calendar timing).

mod cadence_flow;
mod cadences;
mod calendars;
mod conditions;
mod crm_targets;
mod leads;
mod live;
mod pipelines;
mod playbook;
mod runs;
mod shadowed;
mod test_blocks;
mod timing;
mod timing_cache;

pub use timing::{cadence_calendar, entry_gap, max_gap_in_force, run_out_gap, touch_gaps};

use std::collections::HashMap;

use crate::diagnostics::{codes, CodeInfo, Diagnostic};
use crate::model::Model;
use crate::project::Project;
use crate::source::Span;
use crate::syntax::ast::{self, Ident, Item};

/// The result of checking: the model (complete only when there are no errors) and all findings.
pub struct Checked {
    pub model: Model,
    pub diagnostics: Vec<Diagnostic>,
}

/// Check a loaded project; returns the parser's and the checker's diagnostics.
pub fn check_project(project: &Project) -> Vec<Diagnostic> {
    check(project).diagnostics
}

pub fn check(project: &Project) -> Checked {
    let mut cx = Checker {
        diags: project.diagnostics.clone(),
        model: Model::default(),
        names: Names::default(),
        flows: Vec::new(),
        stage_effect_targets: Default::default(),
        produced_events: Default::default(),
        lead_scope: None,
        produced_anywhere: Default::default(),
        event_index: HashMap::new(),
        fact_index: HashMap::new(),
        lead_pipelines: HashMap::new(),
        closed_calendars: Default::default(),
        project_crms: None,
    };
    let items: Vec<&Item> = project
        .files
        .iter()
        .flat_map(|(_, f)| f.items.iter())
        .collect();
    cx.collect_names(&items);
    cx.project_targets(&items);
    for item in &items {
        if let Item::Calendar(c) = item {
            cx.calendar(c);
        }
    }
    for item in &items {
        if let Item::Pipeline(p) = item {
            cx.pipeline(p);
        }
    }
    for item in &items {
        if let Item::Cadence(c) = item {
            cx.cadence(c);
        }
    }
    cx.hand_offs();
    cx.shadowed_rules();
    cx.lead_pipelines = lead_pipelines(&cx, &items);
    for item in &items {
        if let Item::Leads(l) = item {
            cx.leads(l);
        }
    }
    for item in &items {
        match item {
            Item::Simulation(s) => cx.simulation(s),
            Item::Test(t) => cx.test(t),
            _ => {}
        }
    }
    cx.events_produced(&items);
    cx.timing_analyses();
    crate::diagnostics::sort(&mut cx.diags);
    Checked {
        model: cx.model,
        diagnostics: cx.diags,
    }
}

/// For each lead model, the pipelines of the cadences that simulations run it against.
fn lead_pipelines(cx: &Checker, items: &[&Item]) -> HashMap<String, Vec<usize>> {
    let mut out: HashMap<String, Vec<usize>> = HashMap::new();
    for item in items {
        let Item::Simulation(s) = item else { continue };
        let mut cadence = None;
        let mut leads = None;
        for it in &s.items {
            match &it.node {
                ast::SimulationItem::Cadence(c) => cadence = Some(&c.name),
                ast::SimulationItem::Leads(l) => leads = Some(&l.name),
                _ => {}
            }
        }
        let (Some(c), Some(l)) = (cadence, leads) else {
            continue;
        };
        let pipeline = cx
            .names
            .cadences
            .get(c)
            .and_then(|(i, _)| cx.model.cadences.get(*i))
            .and_then(|c| c.pipeline);
        if let Some(p) = pipeline {
            let v = out.entry(l.clone()).or_default();
            if !v.contains(&p) {
                v.push(p);
            }
        }
    }
    out
}

/// Project-wide names per kind: name → (index in the model, declaring span).
#[derive(Default)]
struct Names {
    calendars: HashMap<String, (usize, Span)>,
    pipelines: HashMap<String, (usize, Span)>,
    cadences: HashMap<String, (usize, Span)>,
    leads: HashMap<String, (usize, Span)>,
}

struct Checker {
    diags: Vec<Diagnostic>,
    model: Model,
    names: Names,
    /// step graphs kept for the timing analyses
    flows: Vec<cadences::CadenceFlow>,
    /// (pipeline, stage) that some cadence moves deals into
    stage_effect_targets: std::collections::HashSet<(usize, usize)>,
    /// events set by a cadence or produced by a lead model's milestone
    produced_events: std::collections::HashSet<(usize, String)>,
    /// the pipelines a lead model is simulated against (via its simulations); lead facts and
    /// milestones resolve there, or in every pipeline when no simulation uses the model
    lead_scope: Option<Vec<usize>>,
    /// events produced by milestones of lead models that no simulation uses (any pipeline)
    produced_anywhere: std::collections::HashSet<String>,
    /// event name → pipelines declaring it; fact path → (pipeline, type)
    event_index: HashMap<String, Vec<usize>>,
    fact_index: HashMap<String, Vec<(usize, crate::model::FactType)>>,
    /// lead model name → pipelines of the cadences its simulations run
    lead_pipelines: HashMap<String, Vec<usize>>,
    /// calendars closed for months (E0705): timing analyses over them are skipped
    closed_calendars: std::collections::HashSet<String>,
    /// the project's `target` line: the CRMs of every cadence without its own
    project_crms: Option<Vec<crate::model::Crm>>,
}

impl Checker {
    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Register every top-level name; duplicates (also across files) are reported with both places.
    fn collect_names(&mut self, items: &[&Item]) {
        let mut sims: HashMap<String, Span> = HashMap::new();
        let mut tests: HashMap<String, Span> = HashMap::new();
        let (mut nc, mut np, mut ncad, mut nl) = (0, 0, 0, 0);
        for item in items {
            let (table, counter, ident): (&mut HashMap<String, (usize, Span)>, &mut usize, &Ident) =
                match item {
                    Item::Calendar(c) => (&mut self.names.calendars, &mut nc, &c.name),
                    Item::Pipeline(p) => (&mut self.names.pipelines, &mut np, &p.name),
                    Item::Cadence(c) => (&mut self.names.cadences, &mut ncad, &c.name),
                    Item::Leads(l) => (&mut self.names.leads, &mut nl, &l.name),
                    Item::Simulation(s) => {
                        if let Some(first) = sims.get(&s.name.name) {
                            let d = duplicate("simulation", &s.name.name, s.name.span, *first);
                            self.diags.push(d);
                        } else {
                            sims.insert(s.name.name.clone(), s.name.span);
                        }
                        continue;
                    }
                    Item::Targets(_) => continue,
                    Item::Test(t) => {
                        if let Some(first) = tests.get(&t.name.value) {
                            let d = duplicate("test", &t.name.value, t.name.span, *first);
                            self.diags.push(d);
                        } else {
                            tests.insert(t.name.value.clone(), t.name.span);
                        }
                        continue;
                    }
                };
            let kind = match item {
                Item::Calendar(_) => "calendar",
                Item::Pipeline(_) => "pipeline",
                Item::Cadence(_) => "cadence",
                _ => "leads",
            };
            if let Some((_, first)) = table.get(&ident.name) {
                let d = duplicate(kind, &ident.name, ident.span, *first);
                self.diags.push(d);
            } else {
                // Indices are assigned in the order the passes will push into the model.
                table.insert(ident.name.clone(), (*counter, ident.span));
                *counter += 1;
            }
        }
    }

    /// Report an unknown name with a "did you mean" suggestion drawn from `candidates`.
    fn unknown<'a>(
        &mut self,
        code: &'static CodeInfo,
        kind: &str,
        name: &str,
        span: Span,
        context: &str,
        candidates: impl IntoIterator<Item = &'a str>,
    ) {
        let candidates: Vec<&str> = candidates.into_iter().collect();
        let mut d = Diagnostic::new(code, span, format!("unknown {kind} `{name}`"))
            .with_label(format!("not declared{context}"));
        d = match suggest(name, &candidates) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None if candidates.is_empty() => d.with_help(format!("no {kind} is declared{context}")),
            None => {
                let mut list: Vec<&str> = candidates.clone();
                list.sort();
                list.dedup();
                let shown: Vec<String> = list.iter().take(12).map(|c| format!("`{c}`")).collect();
                let more = if list.len() > 12 { ", ..." } else { "" };
                d.with_help(format!("known: {}{more}", shown.join(", ")))
            }
        };
        self.push(d);
    }

    /// A setting given twice in one block.
    fn duplicate_setting(&mut self, what: &str, span: Span, first: Span) {
        self.push(
            Diagnostic::new(&codes::E0219, span, format!("`{what}` is given twice"))
                .with_label("second setting")
                .with_related(first, "first given here")
                .with_help(format!("keep one `{what}`")),
        );
    }

    fn missing_setting(&mut self, span: Span, msg: String, help: &str) {
        self.push(
            Diagnostic::new(&codes::E0220, span, msg)
                .with_label("declared here")
                .with_help(help.to_string()),
        );
    }
}

fn duplicate(kind: &str, name: &str, span: Span, first: Span) -> Diagnostic {
    Diagnostic::new(
        &codes::E0201,
        span,
        format!("{kind} `{name}` is declared twice"),
    )
    .with_label("declared again here")
    .with_related(first, "first declared")
    .with_help(format!("rename one of the two {kind}s"))
}

/// The closest candidate, if it is close enough to be a likely typo.
pub fn suggest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower = name.to_lowercase();
    let mut best: Option<(&str, usize)> = None;
    for c in candidates {
        let d = strsim::damerau_levenshtein(&lower, &c.to_lowercase());
        let limit =
            (name.chars().count().max(c.chars().count()) / 3).max(1) + usize::from(name.len() > 4);
        // ties go to the alphabetically first name, so output never depends on hash order
        if d <= limit && best.is_none_or(|(bc, bd)| (d, *c) < (bd, bc)) {
            best = Some((c, d));
        }
    }
    best.map(|(c, _)| c)
}

/// Settings seen in one block, so that a second `timezone`, `title` or timing is reported.
#[derive(Default)]
struct Settings(HashMap<&'static str, Span>);

impl Settings {
    /// True the first time `key` is given in the block; reports E0219 on any later one.
    fn first(&mut self, cx: &mut Checker, key: &'static str, span: Span) -> bool {
        match self.0.get(key) {
            Some(first) => {
                cx.duplicate_setting(key, span, *first);
                false
            }
            None => {
                self.0.insert(key, span);
                true
            }
        }
    }
}

/// Track names declared within one block: reports duplicates, returns whether `name` was new.
struct LocalNames {
    kind: &'static str,
    seen: HashMap<String, Span>,
}

impl LocalNames {
    fn new(kind: &'static str) -> LocalNames {
        LocalNames {
            kind,
            seen: HashMap::new(),
        }
    }

    fn add(&mut self, cx: &mut Checker, ident: &Ident) -> bool {
        self.add_raw(cx, &ident.name, ident.span)
    }

    fn add_raw(&mut self, cx: &mut Checker, name: &str, span: Span) -> bool {
        if let Some(first) = self.seen.get(name) {
            cx.push(duplicate(self.kind, name, span, *first));
            false
        } else {
            self.seen.insert(name.to_string(), span);
            true
        }
    }
}

/// A duration literal in minutes (business units counted as wall time).
pub fn duration_minutes(d: &ast::Duration) -> f64 {
    d.amount * unit_minutes(d.unit)
}

/// Minutes in a wall-clock duration unit (a month counts as 30 days).
fn unit_minutes(unit: ast::DurationUnit) -> f64 {
    match unit {
        ast::DurationUnit::Minute => 1.0,
        ast::DurationUnit::Hour => 60.0,
        ast::DurationUnit::Day => 1440.0,
        ast::DurationUnit::Week => 10080.0,
        ast::DurationUnit::Month => 43200.0,
        ast::DurationUnit::BusinessDay => 1440.0,
        ast::DurationUnit::BusinessHour => 60.0,
    }
}

/// Durations longer than this (ten years) are refused as impossible.
const MAX_MINUTES: f64 = 3660.0 * 1440.0;

impl Checker {
    /// A duration as a calendar delay; reports impossible values (then a zero wait).
    fn delay(&mut self, d: &ast::Duration) -> crate::calendar::Delay {
        self.checked_delay(d)
            .unwrap_or(crate::calendar::Delay::Zero)
    }

    /// A duration as a calendar delay, or None when it is impossible (reported). Limits such as
    /// `respond within` use this so that a rejected value is not taken as a limit of zero.
    fn checked_delay(&mut self, d: &ast::Duration) -> Option<crate::calendar::Delay> {
        use crate::calendar::Delay;
        let minutes = d.amount * unit_minutes(d.unit);
        if minutes > MAX_MINUTES {
            self.push(
                Diagnostic::new(&codes::E0308, d.span, "duration is longer than ten years")
                    .with_label("too long")
                    .with_help("cadence waits and windows are at most ten years"),
            );
            return None;
        }
        match d.unit {
            ast::DurationUnit::BusinessDay => {
                if d.amount.fract() != 0.0 {
                    self.push(
                        Diagnostic::new(
                            &codes::E0308,
                            d.span,
                            "business days must be a whole number",
                        )
                        .with_label("not whole")
                        .with_help("write `1 business day` or use business hours"),
                    );
                }
                Some(Delay::BusinessDays(d.amount as u32))
            }
            ast::DurationUnit::BusinessHour => {
                Some(Delay::BusinessMinutes((d.amount * 60.0).round() as u64))
            }
            _ if minutes == 0.0 => Some(Delay::Zero),
            _ => Some(Delay::Wall {
                minutes: minutes.round() as u64,
            }),
        }
    }

    /// A wall-clock duration in minutes; business units are refused where wall time is meant.
    fn wall_minutes(&mut self, d: &ast::Duration, what: &str) -> u64 {
        self.checked_wall_minutes(d, what).unwrap_or(0)
    }

    /// Like `wall_minutes`, but None when the value was rejected.
    fn checked_wall_minutes(&mut self, d: &ast::Duration, what: &str) -> Option<u64> {
        if d.unit.is_business() {
            self.push(
                Diagnostic::new(
                    &codes::E0301,
                    d.span,
                    format!("{what} is wall-clock time, not business time"),
                )
                .with_label("business duration")
                .with_help("write it in `min`, `h`, `d`, `w` or `mo`"),
            );
        }
        let m = d.amount * unit_minutes(d.unit);
        if m > MAX_MINUTES {
            self.push(
                Diagnostic::new(&codes::E0308, d.span, "duration is longer than ten years")
                    .with_label("too long")
                    .with_help("durations are at most ten years"),
            );
            return None;
        }
        Some(m.round() as u64)
    }

    /// A date literal; reports dates that do not exist.
    fn date(&mut self, d: &ast::Date) -> Option<chrono::NaiveDate> {
        match chrono::NaiveDate::parse_from_str(&d.text, "%Y-%m-%d") {
            Ok(v) => Some(v),
            Err(_) => {
                self.push(
                    Diagnostic::new(&codes::E0104, d.span, format!("`{}` is not a date", d.text))
                        .with_label("no such day")
                        .with_help("dates are written YYYY-MM-DD and must exist"),
                );
                None
            }
        }
    }

    /// A clock literal as minutes of the day; `allow_24` for range ends.
    fn clock(&mut self, c: &ast::Clock, allow_24: bool) -> Option<u32> {
        let ok = (c.hour < 24 && c.minute < 60) || (allow_24 && c.hour == 24 && c.minute == 0);
        if ok {
            Some(c.hour * 60 + c.minute)
        } else {
            self.push(
                Diagnostic::new(
                    &codes::E0104,
                    c.span,
                    format!("`{:02}:{:02}` is not a clock time", c.hour, c.minute),
                )
                .with_label("out of range")
                .with_help(if allow_24 {
                    "clock times run from 00:00 to 23:59; 24:00 may end a range"
                } else {
                    "clock times run from 00:00 to 23:59"
                }),
            );
            None
        }
    }

    fn datetime(&mut self, dt: &ast::DateTime) -> Option<String> {
        let d = self.date(&dt.date);
        let c = self.clock(&dt.clock, false);
        match (d, c) {
            (Some(d), Some(c)) => Some(format!("{} {:02}:{:02}", d, c / 60, c % 60)),
            _ => None,
        }
    }

    fn timezone(&mut self, s: &ast::Str) -> Option<chrono_tz::Tz> {
        match s.value.parse::<chrono_tz::Tz>() {
            Ok(tz) => Some(tz),
            Err(_) => {
                let names: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|t| t.name()).collect();
                let mut d = Diagnostic::new(
                    &codes::E0214,
                    s.span,
                    format!("unknown time zone `{}`", s.value),
                )
                .with_label("not an IANA time zone");
                d = match (zone_alias(&s.value), suggest(&s.value, &names)) {
                    (Some((zone, place)), _) => d.with_help(format!(
                        "for {place}, use `{zone}` (IANA names zones after a major city)"
                    )),
                    (None, Some(n)) => d.with_help(format!("did you mean `{n}`?")),
                    (None, None) => {
                        d.with_help("use an IANA name such as `Asia/Shanghai` or `Europe/Berlin`")
                    }
                };
                self.push(d);
                None
            }
        }
    }
}

/// Names people write for a time zone that are not IANA names (a capital instead of the city
/// the zone is named after, a country), with the zone they mean: consulted before the
/// edit-distance suggestion, which would turn `Asia/Beijing` into `Asia/Beirut`. Legacy IANA
/// links (`PRC`, `Asia/Calcutta`, `US/Pacific`) parse already and are not listed.
const ZONE_ALIASES: [(&str, &str, &str); 16] = [
    ("Asia/Beijing", "Asia/Shanghai", "China"),
    ("Asia/Peking", "Asia/Shanghai", "China"),
    ("Asia/Guangzhou", "Asia/Shanghai", "China"),
    ("Asia/Shenzhen", "Asia/Shanghai", "China"),
    ("Beijing", "Asia/Shanghai", "China"),
    ("Peking", "Asia/Shanghai", "China"),
    ("China", "Asia/Shanghai", "China"),
    ("China Standard Time", "Asia/Shanghai", "China"),
    ("Asia/New_Delhi", "Asia/Kolkata", "India"),
    ("Asia/Mumbai", "Asia/Kolkata", "India"),
    ("India", "Asia/Kolkata", "India"),
    ("Asia/Hanoi", "Asia/Ho_Chi_Minh", "Vietnam"),
    ("Asia/Osaka", "Asia/Tokyo", "Japan"),
    (
        "America/San_Francisco",
        "America/Los_Angeles",
        "US Pacific time",
    ),
    ("America/Washington", "America/New_York", "US Eastern time"),
    ("Europe/Frankfurt", "Europe/Berlin", "Germany"),
];

/// The zone and the place it serves, for a known non-IANA name (letter case ignored).
pub fn zone_alias(name: &str) -> Option<(&'static str, &'static str)> {
    let name = name.trim();
    ZONE_ALIASES
        .iter()
        .find(|(alias, _, _)| alias.eq_ignore_ascii_case(name))
        .map(|(_, zone, place)| (*zone, *place))
}

#[cfg(test)]
mod zone_tests {
    #[test]
    fn aliases_are_not_zones_and_point_at_zones() {
        for (alias, zone, _) in super::ZONE_ALIASES {
            assert!(alias.parse::<chrono_tz::Tz>().is_err(), "{alias} parses");
            assert!(
                zone.parse::<chrono_tz::Tz>().is_ok(),
                "{zone} does not parse"
            );
        }
        for legacy in ["PRC", "Asia/Calcutta", "US/Pacific", "Asia/Saigon"] {
            assert!(legacy.parse::<chrono_tz::Tz>().is_ok(), "{legacy}");
        }
    }
}
