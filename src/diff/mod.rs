//! `cadence diff`: what changed between two checked models, in a sales-ops person's words, and
//! which changes are risky (like `buf breaking`). Both sides are compared by name, and every
//! condition, wait and effect by its text, since the models' indices differ between versions.

mod cadences;
pub mod git;
mod pipelines;
mod text;

use serde::Serialize;

use crate::model::Model;
use crate::source::Span;
use crate::targets::ids::Ids;

/// A class of risky change; `--fail-on` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Risk {
    /// a cadence exit on `unsubscribe` or `bounce` removed (or no longer on that trigger)
    ComplianceExitRemoved,
    /// a stage's `require` removed, or an exit to a later stage that lets more deals through
    GateLoosened,
    /// a stage exit that now moves deals past a stage they went through before
    StageSkipped,
    /// a step removed that the ids file still maps to a CRM record
    MappedStepRemoved,
    /// a cadence's worst silence between touches (or before the first) is longer
    WorseGap,
    /// `max_gap`, `respond within` or `no_skip` loosened or removed
    RuleLoosened,
    /// an escalation removed
    EscalationRemoved,
}

impl Risk {
    pub const ALL: [Risk; 7] = [
        Risk::ComplianceExitRemoved,
        Risk::GateLoosened,
        Risk::StageSkipped,
        Risk::MappedStepRemoved,
        Risk::WorseGap,
        Risk::RuleLoosened,
        Risk::EscalationRemoved,
    ];

    /// The name `--fail-on` takes.
    pub fn name(self) -> &'static str {
        match self {
            Risk::ComplianceExitRemoved => "compliance-exit-removed",
            Risk::GateLoosened => "gate-loosened",
            Risk::StageSkipped => "stage-skipped",
            Risk::MappedStepRemoved => "mapped-step-removed",
            Risk::WorseGap => "worse-gap",
            Risk::RuleLoosened => "rule-loosened",
            Risk::EscalationRemoved => "escalation-removed",
        }
    }

    pub fn from_name(name: &str) -> Option<Risk> {
        Risk::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// One change: the object it is about (`cadence \`inbound\``), what changed, the risk class if
/// any, and where it is in the new version (none for something removed).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub object: String,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk: Option<Risk>,
    #[serde(skip)]
    pub span: Option<Span>,
}

impl Change {
    fn new(object: &str, text: impl Into<String>) -> Change {
        Change {
            object: object.to_string(),
            text: text.into(),
            risk: None,
            span: None,
        }
    }

    fn risky(mut self, risk: Risk) -> Change {
        self.risk = Some(risk);
        self
    }

    fn at(mut self, span: Span) -> Change {
        self.span = Some(span);
        self
    }
}

/// Every change from `old` to `new`, pipelines first, then cadences, calendars and lead models,
/// each by name (simulations are scenarios, not rules: `compare --against` is for those). `ids`: the ids file, to tell which removed steps a CRM record still points at.
pub fn diff(old: &Model, new: &Model, ids: Option<&Ids>) -> Vec<Change> {
    let mut out = Vec::new();
    pipelines::diff(old, new, &mut out);
    cadences::diff(old, new, ids, &mut out);
    named(
        "calendar",
        &old.calendars,
        &new.calendars,
        |c| &c.name,
        |a, b| a.engine == b.engine,
        &mut out,
    );
    named(
        "lead model",
        &old.leads,
        &new.leads,
        |l| &l.name,
        |a, b| a == b,
        &mut out,
    );
    out
}

/// Added, removed and changed items of a kind compared as a whole.
fn named<T>(
    kind: &str,
    old: &[T],
    new: &[T],
    name: impl Fn(&T) -> &String,
    same: impl Fn(&T, &T) -> bool,
    out: &mut Vec<Change>,
) {
    for n in new {
        let object = format!("{kind} `{}`", name(n));
        match old.iter().find(|o| name(o) == name(n)) {
            None => out.push(Change::new(&object, "added")),
            Some(o) if !same(o, n) => out.push(Change::new(&object, "changed")),
            Some(_) => {}
        }
    }
    for o in old {
        if !new.iter().any(|n| name(n) == name(o)) {
            out.push(Change::new(&format!("{kind} `{}`", name(o)), "removed"));
        }
    }
}

/// Added and removed names of two lists, in their own orders.
fn added_removed<'a>(old: &'a [String], new: &'a [String]) -> (Vec<&'a str>, Vec<&'a str>) {
    let added = new
        .iter()
        .filter(|n| !old.contains(n))
        .map(String::as_str)
        .collect();
    let removed = old
        .iter()
        .filter(|o| !new.contains(o))
        .map(String::as_str)
        .collect();
    (added, removed)
}

/// `now a, c, b` when the names both versions have come in another order.
fn reordered(old: &[String], new: &[String]) -> Option<String> {
    let common_old: Vec<&String> = old.iter().filter(|s| new.contains(s)).collect();
    let common_new: Vec<&String> = new.iter().filter(|s| old.contains(s)).collect();
    (common_old != common_new).then(|| {
        let order: Vec<&str> = common_new.iter().map(|s| s.as_str()).collect();
        format!("now {}", order.join(", "))
    })
}
