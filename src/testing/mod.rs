//! `cadence test`: every `test` block runs one lead on the simulator's engine with scripted
//! draws (`script.rs`) and a recording observer (`trace.rs`); `expect.rs` checks each
//! expectation against the trace, and a failure is a diagnostic (E0805) at the failing
//! `expect`, with the trace as its note; `coverage.rs` says what no test exercises.

pub mod coverage;
pub mod expect;
pub mod script;
pub mod trace;

use crate::diagnostics::Diagnostic;
use crate::model::{BuiltinTrigger, LeadModel, Model, Population, Test, TestWhat, TimeRef, Value};
use crate::simulate::draws::Outside;
use crate::simulate::engine::{self, RunCtx, Scratch, Time};
use crate::simulate::program::{compile_for, outcome_index, Program};
use crate::simulate::{clock, value_number};
pub use script::Script;
pub use trace::Trace;

/// A test runs until nothing more can happen, or this long after enrollment (or after its
/// last scripted or expected instant, if that is later).
pub const HORIZON_DAYS: f64 = 180.0;
/// How many runs a test may take to find the touches its `when` lines go to (each run places
/// the lines by the touches of the one before; two runs settle every shipped test).
const MAX_PASSES: usize = 6;

/// How long after its last scripted or expected instant a test still runs.
pub const AFTER_LAST_DAYS: f64 = 30.0;

/// One test's result.
pub struct TestResult {
    /// index into `Model::tests`
    pub test: usize,
    pub name: String,
    /// one per failing expectation (or `when` that never applied); empty: passed
    pub failures: Vec<Diagnostic>,
    /// what the lead did, for coverage (None: the test could not run)
    pub run: Option<Ran>,
}

impl TestResult {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// A run's program and trace, kept for coverage.
pub struct Ran {
    pub program: Program,
    pub trace: Trace,
}

/// The empty lead model a test's program is compiled over (its draws are scripted).
fn no_leads() -> LeadModel {
    LeadModel {
        name: String::new(),
        title: None,
        count: None,
        arrivals_per_day: None,
        timezone: None,
        base: Population {
            facts: Vec::new(),
            respond: Vec::new(),
            responsiveness: None,
            fatigue: None,
            reply_after_minutes: None,
            open_after_minutes: None,
            meeting_after_minutes: None,
            milestones: Vec::new(),
        },
        segments: Vec::new(),
    }
}

/// The time zone a test's clock times are read in: its calendar's (UTC without one).
pub fn zone(p: &Program) -> chrono_tz::Tz {
    p.calendar().map(|c| c.tz).unwrap_or(chrono_tz::UTC)
}

/// A local `YYYY-MM-DD HH:MM` as minutes since the epoch (the earlier of a repeated hour).
pub fn instant(text: &str, tz: chrono_tz::Tz) -> Option<Time> {
    use chrono::TimeZone;
    let naive = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").ok()?;
    let t = tz.from_local_datetime(&naive).earliest()?;
    Some(t.timestamp() as f64 / 60.0)
}

/// A test time as an instant.
pub fn resolve(t: &TimeRef, enroll: Time, tz: chrono_tz::Tz) -> Option<Time> {
    match t {
        TimeRef::AfterEnrollMinutes(m) => Some(enroll + *m as f64),
        TimeRef::At(s) => instant(s, tz),
    }
}

/// The number a fact's value is in the program (text: its interned id; -1 matches no text).
fn fact_number(p: &Program, v: &Value) -> f64 {
    match v {
        Value::Text(s) => p
            .texts
            .iter()
            .position(|x| x == s)
            .map_or(-1.0, |i| i as f64),
        other => value_number(other),
    }
}

/// The global step of a model cadence's step in the program (cadences matched by name).
pub fn global_step(model: &Model, p: &Program, cadence: usize, step: usize) -> Option<usize> {
    let name = &model.cadences.get(cadence)?.name;
    let cp = p.cadences.iter().find(|c| &c.name == name)?;
    let g = cp.steps.start + step;
    (g < cp.steps.end).then_some(g)
}

/// The script of a test: enrollment, facts, outcomes and outside events as instants.
fn script(model: &Model, t: &Test, p: &Program, enroll: Time) -> (Script, Vec<usize>) {
    let tz = zone(p);
    let mut s = Script {
        enroll,
        facts: vec![f64::NAN; p.fact_names.len()],
        ..Script::default()
    };
    for (path, v) in &t.facts {
        if let Some(i) = p.fact_names.iter().position(|f| f == path) {
            s.facts[i] = fact_number(p, v);
        }
    }
    // `when` lines that cannot be placed (an instant that does not exist)
    let mut unplaced = Vec::new();
    for (line, e) in t.events.iter().enumerate() {
        let Some(at) = resolve(&e.at, enroll, tz) else {
            unplaced.push(line);
            continue;
        };
        match &e.what {
            TestWhat::Outcome {
                cadence,
                step,
                outcome,
            } => {
                let g = global_step(model, p, *cadence, *step);
                let o = g.and_then(|g| outcome_index(p.steps[g].channel, outcome));
                match (g, o) {
                    (Some(step), Some(outcome)) => s.outcomes.push(script::Scripted {
                        step,
                        outcome,
                        at,
                        line,
                        touch: None,
                        used: None,
                    }),
                    _ => unplaced.push(line),
                }
            }
            TestWhat::Event(name) => {
                if let Some(i) = p.events.iter().position(|e| e == name) {
                    s.outside.push((at, Outside::Event(i)));
                } else if let Some(b) = BuiltinTrigger::from_name(name) {
                    let i = BuiltinTrigger::ALL
                        .iter()
                        .position(|x| *x == b)
                        .unwrap_or(0);
                    s.outside.push((at, Outside::Trigger(i)));
                } else {
                    unplaced.push(line);
                }
            }
            TestWhat::Fact { fact, value } => match p.fact_names.iter().position(|f| f == fact) {
                Some(i) => s
                    .outside
                    .push((at, Outside::Fact(i, fact_number(p, value)))),
                None => unplaced.push(line),
            },
        }
    }
    // stable: ties keep the order of the lines
    s.outside.sort_by(|a, b| a.0.total_cmp(&b.0));
    (s, unplaced)
}

/// Run test `index` of a checked, complete model.
pub fn run_test(model: &Model, index: usize) -> Option<TestResult> {
    let t = model.tests.get(index)?;
    let mut result = TestResult {
        test: index,
        name: t.name.clone(),
        failures: Vec::new(),
        run: None,
    };
    let p = match compile_for(model, &t.target, &no_leads()) {
        Ok(p) => p,
        Err(e) => {
            result.failures.push(expect::cannot_run(t, &e.0));
            return Some(result);
        }
    };
    let tz = zone(&p);
    let Some(enroll) = t.enroll_at.as_deref().and_then(|e| instant(e, tz)) else {
        result.failures.push(expect::cannot_run(
            t,
            "its enrollment time does not exist in the calendar's zone",
        ));
        return Some(result);
    };
    let (mut script, unplaced) = script(model, t, &p, enroll);
    // run past the last instant the test names
    let last = t
        .events
        .iter()
        .map(|e| &e.at)
        .chain(t.expectations.iter().filter_map(|x| x.at.as_ref()))
        .filter_map(|a| resolve(a, enroll, tz))
        .fold(enroll, f64::max);
    let horizon = (HORIZON_DAYS * 1440.0).max(last - enroll + AFTER_LAST_DAYS * 1440.0);
    let cfg = crate::simulate::Config {
        seed: 0,
        count: 1,
        start: enroll,
        horizon_minutes: horizon,
        precision: None,
        max_count: 1,
        arrival_window_minutes: 0.0,
    };
    let clocks: Vec<clock::SimClock> = crate::simulate::clocks_for(&p, &cfg);
    let ctx = RunCtx {
        program: &p,
        clocks: &clocks,
        seed: 0,
        start: enroll,
        horizon,
        arrival_window: 0.0,
        waking: None,
    };
    // run until every line went to the latest touch of its step at or before it
    let mut trace = Trace::default();
    let mut settled = false;
    for pass in 0..MAX_PASSES {
        if pass > 0 {
            script = script.rewound();
            trace = Trace::default();
        }
        engine::run_lead_with(&ctx, &mut script, &mut trace, &mut Scratch::default());
        settled = script.assign();
        if settled {
            break;
        }
    }
    let names = trace::Names { p: &p, tz };
    let check = expect::Check {
        model,
        test: t,
        names: &names,
        trace: &trace,
        enroll,
    };
    result.failures = check.all(&script, &unplaced);
    if !settled {
        result.failures.push(expect::cannot_run(
            t,
            "its `when` lines do not settle: each choice of the touches they go to changes which \
             touches happen (script the outcomes of each touch of a repeated step at distinct times)",
        ));
    }
    result.run = Some(Ran { program: p, trace });
    Some(result)
}

/// Run every test of `model` whose name contains `filter`, in the model's order.
pub fn run_all(model: &Model, filter: Option<&str>) -> Vec<TestResult> {
    use rayon::prelude::*;
    let picked: Vec<usize> = (0..model.tests.len())
        .filter(|i| filter.is_none_or(|f| model.tests[*i].name.contains(f)))
        .collect();
    picked
        .par_iter()
        .filter_map(|i| run_test(model, *i))
        .collect()
}
