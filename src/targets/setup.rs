//! Setup items: what an admin configures once in the CRM, outside the cadence bodies — stage
//! exits and escalations, `set`/`stage` effects, tasks run by exits, holiday calendars, assignee
//! routing. They change no touch of a built body, so a build reports each as W0907 (E0901 with
//! `--fail-on-setup`) and lists them in `SETUP.md` and `setup.json`, per cadence and per stage,
//! in words and with the CRM's own names.

use serde::Serialize;

use super::{NotMeant, Target};

/// Where a setup item belongs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum Scope {
    /// a cadence, or one of its steps
    Cadence {
        cadence: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        step: Option<String>,
    },
    /// a pipeline, or one of its stages
    Pipeline {
        pipeline: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        stage: Option<String>,
    },
    /// a setting of the whole team, shared by its cadences (Salesloft's holiday calendar)
    Team { calendar: String },
}

impl Scope {
    pub fn cadence(name: &str) -> Scope {
        Scope::Cadence {
            cadence: name.to_string(),
            step: None,
        }
    }

    pub fn step(cadence: &str, step: &str) -> Scope {
        Scope::Cadence {
            cadence: cadence.to_string(),
            step: Some(step.to_string()),
        }
    }

    pub fn pipeline(name: &str) -> Scope {
        Scope::Pipeline {
            pipeline: name.to_string(),
            stage: None,
        }
    }

    pub fn stage(pipeline: &str, stage: &str) -> Scope {
        Scope::Pipeline {
            pipeline: pipeline.to_string(),
            stage: Some(stage.to_string()),
        }
    }

    pub fn team_calendar(calendar: &str) -> Scope {
        Scope::Team {
            calendar: calendar.to_string(),
        }
    }

    /// The section heading of the scope's cadence or pipeline.
    fn heading(&self) -> String {
        match self {
            Scope::Cadence { cadence, .. } => format!("Cadence `{cadence}`"),
            Scope::Pipeline { pipeline, .. } => format!("Pipeline `{pipeline}`"),
            Scope::Team { .. } => "Team settings".to_string(),
        }
    }

    fn part(&self) -> Option<String> {
        match self {
            Scope::Cadence { step, .. } => step.as_ref().map(|s| format!("step `{s}`")),
            Scope::Pipeline { stage, .. } => stage.as_ref().map(|s| format!("stage `{s}`")),
            Scope::Team { calendar } => Some(format!("calendar `{calendar}`")),
        }
    }
}

/// One thing to configure in the CRM.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SetupItem {
    #[serde(flatten)]
    pub scope: Scope,
    /// what the project says, in its words
    pub what: String,
    /// what to configure, with the CRM's names
    pub configure: String,
}

#[derive(Serialize)]
struct Report<'a> {
    format_version: u32,
    target: &'static str,
    items: &'a [SetupItem],
    /// the cadences not built for the target (their `target` line leaves it out)
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    not_built: &'a [NotMeant],
}

/// `setup.json`: every item, in the order of [`SetupItem`]'s `Ord` (scope, then words).
pub fn json(target: Target, items: &[SetupItem], not_built: &[NotMeant]) -> String {
    let report = Report {
        format_version: 1,
        target: target.name(),
        items,
        not_built,
    };
    // plain structs of strings: serialising cannot fail
    let mut s = serde_json::to_string_pretty(&report).unwrap_or_default();
    s.push('\n');
    s
}

/// `SETUP.md`: one section per cadence and pipeline, an item a line; then the cadences not
/// built for the target.
pub fn markdown(target: Target, items: &[SetupItem], not_built: &[NotMeant]) -> String {
    let mut s = markdown_items(target, items);
    if !not_built.is_empty() {
        let t = target.title();
        s.push_str(&format!(
            "\n## Not built for {t}\n\nTheir `target` line leaves {t} out; \
             `cadence check` holds each to the CRMs it names.\n\n"
        ));
        for n in not_built {
            let meant = crate::words::crms(Some(&n.targets));
            s.push_str(&format!("- cadence `{}`: meant for {meant}\n", n.cadence));
        }
    }
    s
}

fn markdown_items(target: Target, items: &[SetupItem]) -> String {
    let t = target.title();
    let mut s = format!(
        "# Setup in {t}\n\nWhat an admin configures once in {t}, outside the built bodies \
         (`cadence build --target {}`; each item is a W0907 finding).\n",
        target.name()
    );
    if items.is_empty() {
        s.push_str("\nNothing to configure outside the built bodies.\n");
        return s;
    }
    let mut heading = String::new();
    for it in items {
        let h = it.scope.heading();
        if h != heading {
            s.push_str(&format!("\n## {h}\n\n"));
            heading = h;
        }
        let at = it
            .scope
            .part()
            .map(|p| format!("{p}: "))
            .unwrap_or_default();
        s.push_str(&format!("- {at}{} — {}\n", it.what, it.configure));
    }
    s
}
