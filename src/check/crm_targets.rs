//! `target` lines: the CRMs a cadence is meant to run in. A cadence's own line wins over the
//! project's; `target none` means no CRM (a cadence kept for simulation and what-ifs). `check`
//! reports the behavioural losses of each named CRM (`targets::behavioural_losses`) and
//! `build --target T` builds only the cadences meant for T.

use super::Checker;
use crate::diagnostics::{codes, Diagnostic};
use crate::model::Crm;
use crate::source::Span;
use crate::syntax::ast::{Item, Targets};

/// What a `target` line may name besides the CRMs.
const NONE: &str = "none";

impl Checker {
    /// The project's `target` line (one in the whole project): the default of every cadence.
    pub(super) fn project_targets(&mut self, items: &[&Item]) {
        let mut first: Option<Span> = None;
        for item in items {
            let Item::Targets(t) = item else { continue };
            match first {
                Some(f) => self.push(
                    Diagnostic::new(&codes::E0219, t.span, "the project's `target` is given twice")
                        .with_label("second project `target` line")
                        .with_related(f, "first given here")
                        .with_help("a project has one `target` line at the top level; a cadence names its own CRMs inside its block"),
                ),
                None => {
                    first = Some(t.span);
                    self.project_crms = Some(self.crm_targets(t));
                }
            }
        }
    }

    /// The CRMs of one `target` line, sorted; an unknown name (E0221 with a suggestion), a
    /// repeated one (E0219) or `none` beside a CRM (E0221) is reported and left out.
    pub(super) fn crm_targets(&mut self, t: &Targets) -> Vec<Crm> {
        let mut crms: Vec<Crm> = Vec::new();
        let mut seen: Vec<(&str, Span)> = Vec::new();
        for name in &t.names {
            if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name.name) {
                self.duplicate_setting(&format!("target {}", name.name), name.span, *first);
                continue;
            }
            seen.push((&name.name, name.span));
            if name.name == NONE {
                continue;
            }
            match Crm::ALL.into_iter().find(|c| c.name() == name.name) {
                Some(c) => crms.push(c),
                None => {
                    let known: Vec<&str> =
                        Crm::ALL.map(Crm::name).into_iter().chain([NONE]).collect();
                    let help = match super::suggest(&name.name, &known) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("a `target` line names {}", words_or(&known)),
                    };
                    self.push(
                        Diagnostic::new(
                            &codes::E0221,
                            name.span,
                            format!("unknown CRM `{}`", name.name),
                        )
                        .with_label("not a CRM `cadence build` knows")
                        .with_help(help),
                    );
                }
            }
        }
        if let (Some((_, none)), true) = (seen.iter().find(|(n, _)| *n == NONE), seen.len() > 1) {
            self.push(
                Diagnostic::new(
                    &codes::E0221,
                    *none,
                    "`target none` cannot name a CRM as well",
                )
                .with_label("`none` beside a CRM")
                .with_help(
                    "`target none` means the cadence runs in no CRM; name the CRMs, or only `none`",
                ),
            );
            crms.clear();
        }
        crms.sort();
        crms
    }
}

/// `` `a`, `b` or `c` ``
fn words_or(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.concat(),
    }
}
