//! Stage 6: build targets. The checked model becomes the neutral JSON document or the request bodies a
//! CRM accepts (Zoho CRM v8, Salesloft, HubSpot), or a diagnostic that says exactly what a
//! target cannot express.
//!
//! Every output is a `serde_json::Value` built from typed structs (so key order is fixed), ids are
//! derived from names, and each CRM body is checked against the vendor's documented rules
//! ([`validate`]) before it is handed out. A lossy build (`allow_lossy`) turns each "cannot
//! express" error into a warning that says what was dropped or approximated.

pub mod ids;
mod linear;
pub mod neutral;
pub mod order;
mod playbook;
pub mod setup;
/// model values in words: one printer for the whole crate (`crate::words`)
pub(crate) use crate::words as text;
pub mod validate;

pub mod hubspot;
pub mod salesloft;
pub mod zoho;

use std::collections::BTreeSet;

use serde_json::Value;

use crate::diagnostics::{self, codes, Diagnostic};
use crate::model::{Crm, Model};
use crate::project::Project;
use crate::source::Span;

pub use ids::Ids;
pub use setup::{Scope, SetupItem};

/// What to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// the neutral JSON document of the whole project
    Json,
    /// Zoho CRM v8 cadences (and Blueprint transitions for pipelines)
    Zoho,
    /// Salesloft cadence imports
    Salesloft,
    /// HubSpot sequences (and deal pipelines)
    Hubspot,
}

impl Target {
    pub const ALL: [Target; 4] = [
        Target::Json,
        Target::Zoho,
        Target::Salesloft,
        Target::Hubspot,
    ];

    /// The name used on the command line, in the ids file and as the output folder.
    pub fn name(self) -> &'static str {
        self.crm().map_or("json", Crm::name)
    }

    /// The CRM emitter of a target (none for the neutral document).
    pub(crate) fn emitter(self) -> Option<&'static dyn Emitter> {
        match self {
            Target::Json => None,
            Target::Zoho => Some(&zoho::Zoho),
            Target::Salesloft => Some(&salesloft::Salesloft),
            Target::Hubspot => Some(&hubspot::Hubspot),
        }
    }

    /// The CRM of a target (none for the neutral document), as a `target` line names it.
    pub fn crm(self) -> Option<Crm> {
        match self {
            Target::Json => None,
            Target::Zoho => Some(Crm::Zoho),
            Target::Salesloft => Some(Crm::Salesloft),
            Target::Hubspot => Some(Crm::Hubspot),
        }
    }

    /// The target that builds for `crm`.
    pub fn of(crm: Crm) -> Target {
        match crm {
            Crm::Zoho => Target::Zoho,
            Crm::Salesloft => Target::Salesloft,
            Crm::Hubspot => Target::Hubspot,
        }
    }

    /// The product name used in messages.
    pub fn title(self) -> &'static str {
        match self {
            Target::Json => "neutral JSON",
            Target::Zoho => "Zoho CRM",
            Target::Salesloft => "Salesloft",
            Target::Hubspot => "HubSpot",
        }
    }
}

/// One CRM target: what it builds from a cadence and a pipeline, and the vendor's documented
/// request rules for what it built (checked before a body is handed out).
pub(crate) trait Emitter: Sync {
    fn cadence(&self, model: &Model, ci: usize, sink: &mut Sink) -> Option<Body>;
    /// `None` when the vendor has no pipeline format, the pipeline gives no body or the build
    /// does not ask for pipeline bodies (`Options::pipelines`); the setup items come in any case.
    fn pipeline(&self, model: &Model, pi: usize, sink: &mut Sink) -> Option<Body>;
    /// Setup items of the whole team, once per build (before the cadences, so that none of
    /// them holds back a cadence body under `--fail-on-setup`).
    fn team(&self, _model: &Model, _sink: &mut Sink) {}
    /// The file name prefix of a pipeline body (`PREFIX.NAME.json`).
    fn pipeline_prefix(&self) -> &'static str {
        "pipeline"
    }
    /// Add every documented rule `body` breaks to `v`.
    fn rules(&self, kind: OutputKind, body: &Value, v: &mut validate::V);
}

/// How to build.
#[derive(Debug, Clone)]
pub struct Options {
    pub target: Target,
    /// Build what a target cannot express anyway, with a warning for each loss.
    pub allow_lossy: bool,
    /// A CRM id missing from the ids file is an error (otherwise a marked placeholder).
    pub strict: bool,
    /// A setup item (configured once outside the body) is an error (E0901), as a loss is.
    pub fail_on_setup: bool,
    /// Write the pipelines' bodies (Zoho's Blueprint plan, HubSpot's deal pipeline); without
    /// it a pipeline gives setup items only.
    pub pipelines: bool,
    /// Build only the cadences with a `target` line (or under the project's): `check` holds a
    /// cadence to the CRMs it names, not an undeclared one to its neighbours' CRMs.
    pub only_declared: bool,
    pub ids: Ids,
}

impl Options {
    /// Whether the build writes cadence `c`: a strict build leaves out a cadence whose `target`
    /// line (or the project's) does not name the target; a lossy one builds it too, each loss a
    /// warning.
    pub fn builds(&self, c: &crate::model::Cadence) -> bool {
        self.allow_lossy || self.target.crm().is_none_or(|crm| c.meant_for(crm))
    }

    pub fn new(target: Target) -> Options {
        Options {
            target,
            allow_lossy: false,
            strict: false,
            fail_on_setup: false,
            pipelines: false,
            only_declared: false,
            ids: Ids::default(),
        }
    }
}

/// What an output describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OutputKind {
    Project,
    Cadence,
    Pipeline,
}

/// One built file.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub kind: OutputKind,
    /// the cadence or pipeline name (`project` for the neutral document)
    pub name: String,
    /// file name under `DIR/TARGET/`, e.g. `cadence.outbound_cold.json`
    pub file_name: String,
    /// the body as a JSON value (keys sorted)
    pub body: Value,
    /// the file's text: pretty JSON in the field order of the vendor's documentation, with a
    /// final newline
    pub text: String,
}

impl Output {
    /// The file's bytes.
    pub fn text(&self) -> String {
        self.text.clone()
    }
}

/// A built body: its value (for validation) and its text (keys in declaration order).
pub(crate) struct Body {
    pub value: Value,
    pub text: String,
}

/// The result of a build: outputs that built cleanly, and every finding (sorted).
#[derive(Debug)]
pub struct Built {
    pub outputs: Vec<Output>,
    pub diagnostics: Vec<Diagnostic>,
    /// what an admin configures outside the bodies, sorted (`SETUP.md`, `setup.json`)
    pub setup: Vec<SetupItem>,
    /// the cadences whose `target` line leaves this target out, in name order: not built
    pub not_meant: Vec<NotMeant>,
}

/// A cadence not built because its `target` line (or the project's) leaves the target out.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct NotMeant {
    pub cadence: String,
    /// the CRMs it is meant for (none for `target none`)
    pub targets: Vec<Crm>,
}

impl Built {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.is_error())
    }
}

/// Build a checked project for one target. The model must come from a check without errors;
/// outputs whose building reported an error are left out.
pub fn build(project: &Project, model: &Model, opts: &Options) -> Built {
    // outputs must not depend on file names or their order
    let model = &order::canonical(model);
    let mut sink = Sink::new(opts);
    if opts.target != Target::Json {
        unknown_keys(model, &mut sink);
    }
    let mut outputs = Vec::new();
    let mut failed_pipelines = BTreeSet::new();
    let mut not_meant = Vec::new();
    match opts.target.emitter() {
        None => {
            let doc = neutral::Document::from_model(model, project);
            if let Some(body) = to_body(&mut sink, Span::default(), &doc) {
                outputs.push(Output {
                    kind: OutputKind::Project,
                    name: "project".into(),
                    file_name: "project.json".into(),
                    body: body.value,
                    text: body.text,
                });
            }
        }
        Some(emitter) => {
            emitter.team(model, &mut sink);
            for (pi, p) in model.pipelines.iter().enumerate() {
                let before = sink.errors;
                let body = emitter.pipeline(model, pi, &mut sink);
                if let Some(body) = body.filter(|_| opts.pipelines) {
                    let kind = OutputKind::Pipeline;
                    let prefix = emitter.pipeline_prefix();
                    sink.finish(&mut outputs, before, kind, &p.name, body, p.span, prefix);
                }
                if sink.errors > before {
                    failed_pipelines.insert(p.name.clone());
                }
            }
            for (ci, c) in model.cadences.iter().enumerate() {
                if opts.only_declared && c.crms.is_none() {
                    continue;
                }
                if !opts.builds(c) {
                    not_meant.push(NotMeant {
                        cadence: c.name.clone(),
                        targets: c.crms.clone().unwrap_or_default(),
                    });
                    continue;
                }
                let before = sink.errors;
                if let Some(body) = emitter.cadence(model, ci, &mut sink) {
                    let kind = OutputKind::Cadence;
                    sink.finish(&mut outputs, before, kind, &c.name, body, c.span, "cadence");
                }
            }
        }
    }
    outputs.sort_by(|a, b| a.file_name.cmp(&b.file_name));
    let mut diagnostics = sink.diags;
    diagnostics::sort(&mut diagnostics);
    let mut setup = sink.setup;
    // the report is for the bodies that were written, and for the pipelines that built (a
    // pipeline's setup items stand without its body)
    setup.retain(|it| match &it.scope {
        Scope::Cadence { cadence, .. } => outputs
            .iter()
            .any(|o| o.kind == OutputKind::Cadence && &o.name == cadence),
        Scope::Pipeline { pipeline, .. } => !failed_pipelines.contains(pipeline),
        Scope::Team { .. } => true,
    });
    setup.sort();
    setup.dedup();
    not_meant.sort();
    Built {
        outputs,
        diagnostics,
        setup,
        not_meant,
    }
}

/// What `target` cannot run as the project says (E0901) in the cadences meant for it, found by
/// the build itself, for `cadence check --target`: setup items, ids and the bodies are left aside.
pub fn behavioural_losses(project: &Project, model: &Model, target: Target) -> Vec<Diagnostic> {
    losses(project, model, Options::new(target))
}

/// For `cadence check`: what each CRM named by a `target` line cannot run in the cadences that
/// name it (cadences without a line are held to none).
pub fn declared_losses(project: &Project, model: &Model) -> Vec<Diagnostic> {
    let named: BTreeSet<Crm> = model
        .cadences
        .iter()
        .flat_map(|c| c.crms.iter().flatten().copied())
        .collect();
    let mut out = Vec::new();
    for t in Target::ALL
        .into_iter()
        .filter(|t| t.crm().is_some_and(|c| named.contains(&c)))
    {
        let mut opts = Options::new(t);
        opts.only_declared = true;
        let why = format!(
            "checked for {} because a `target` line names `{}`: change the cadence, or leave {} out of its line",
            t.title(),
            t.name(),
            t.title()
        );
        out.extend(
            losses(project, model, opts)
                .into_iter()
                .map(|d| d.with_note(why.clone())),
        );
    }
    out
}

fn losses(project: &Project, model: &Model, opts: Options) -> Vec<Diagnostic> {
    build(project, model, &opts)
        .diagnostics
        .into_iter()
        .filter(|d| d.code.code == codes::E0901.code)
        .collect()
}

/// W0908 for each key of the ids file (shared tables and this target's) that names nothing.
fn unknown_keys(model: &Model, sink: &mut Sink) {
    let target = sink.target().name();
    for u in sink.opts.ids.unknown_keys(model) {
        if u.table.contains('.') && !u.table.starts_with(&format!("{target}.")) {
            continue;
        }
        let span = match (sink.opts.ids.file, u.place) {
            (Some(f), Some((a, b))) => Span::new(f, a, b),
            (Some(f), None) => Span::new(f, 0, 0),
            (None, _) => Span::default(),
        };
        let help = match &u.suggestion {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!(
                "no {} of the project is called so; docs/targets.md lists the keys of `[{}]`",
                ids::Kind::ALL
                    .into_iter()
                    .find(|k| u.table.ends_with(k.table()))
                    .map(ids::Kind::noun)
                    .unwrap_or("name"),
                u.table
            ),
        };
        sink.push(
            Diagnostic::new(
                &codes::W0908,
                span,
                format!(
                    "the ids file's `[{}]` key `{}` names nothing in the project",
                    u.table, u.key
                ),
            )
            .with_label("unknown key")
            .with_help(help),
        );
    }
}

/// Collects the findings of one build and decides, per loss, error or warning.
pub(crate) struct Sink<'o> {
    pub opts: &'o Options,
    pub diags: Vec<Diagnostic>,
    /// errors so far (an output is dropped when building it added any)
    pub errors: usize,
    /// (kind, key) of missing ids already reported
    missing: BTreeSet<(ids::Kind, String)>,
    /// `table.key` of every placeholder written since the last [`Sink::take_placeholders`]
    placeholders: BTreeSet<String>,
    /// setup items so far
    setup: Vec<SetupItem>,
    /// CRM ids a body may use once, with the place that used each first
    claimed: std::collections::BTreeMap<String, String>,
}

impl<'o> Sink<'o> {
    fn new(opts: &'o Options) -> Sink<'o> {
        Sink {
            opts,
            diags: Vec::new(),
            errors: 0,
            missing: BTreeSet::new(),
            placeholders: BTreeSet::new(),
            setup: Vec::new(),
            claimed: std::collections::BTreeMap::new(),
        }
    }

    fn push(&mut self, d: Diagnostic) {
        if d.is_error() {
            self.errors += 1;
        }
        self.diags.push(d);
    }

    pub fn target(&self) -> Target {
        self.opts.target
    }

    /// Something the target cannot express. `what` names it, `limit` states the target's limit,
    /// `fallback` says what a lossy build does instead.
    pub fn loss(&mut self, span: Span, what: impl Into<String>, limit: &str, fallback: &str) {
        let t = self.opts.target.title();
        let what = what.into();
        let d = if self.opts.allow_lossy {
            Diagnostic::new(&codes::W0902, span, format!("{t}: {what}"))
                .with_label(format!("lossy: {fallback}"))
                .with_help(limit.to_string())
        } else {
            Diagnostic::new(
                &codes::E0901,
                span,
                format!("{t} cannot express this: {what}"),
            )
            .with_label(format!("not expressible in {t}"))
            .with_help(format!(
                "{limit}; `--allow-lossy` builds it anyway ({fallback})"
            ))
        };
        self.push(d);
    }

    /// Something the body does not hold but an admin configures once in the CRM (a setup
    /// item): no touch of the body changes. `what` names it in the project's words, `configure`
    /// says what to set up, with the CRM's names. W0907, or E0901 with `--fail-on-setup`.
    pub fn setup(&mut self, span: Span, scope: Scope, what: impl Into<String>, configure: &str) {
        let t = self.opts.target.title();
        let what = what.into();
        let d = if self.opts.fail_on_setup {
            Diagnostic::new(
                &codes::E0901,
                span,
                format!("{t} cannot express this in the body: {what}"),
            )
            .with_label(format!("a setup item in {t} (`--fail-on-setup`)"))
            .with_help(format!(
                "configure it in {t}: {configure}; without `--fail-on-setup` it is listed in SETUP.md (W0907)"
            ))
        } else {
            Diagnostic::new(&codes::W0907, span, format!("{t} setup: {what}"))
                .with_label("configured outside the body: listed in SETUP.md")
                .with_help(configure.to_string())
        };
        self.push(d);
        self.setup.push(SetupItem {
            scope,
            what,
            configure: configure.to_string(),
        });
    }

    /// Something the body relies on that the vendor's documentation does not state (an
    /// assumption): a W0907 warning and a setup item that says what to check, never an error
    /// (`--fail-on-setup` included), since nothing is left to configure. Once per scope and words.
    pub fn assumption(&mut self, span: Span, scope: Scope, what: &str, check: &str) {
        let what = format!("assumption: {what}");
        if self
            .setup
            .iter()
            .any(|it| it.scope == scope && it.what == what)
        {
            return;
        }
        let t = self.opts.target.title();
        self.push(
            Diagnostic::new(&codes::W0907, span, format!("{t} setup: {what}"))
                .with_label("undocumented: listed in SETUP.md to check")
                .with_help(check.to_string()),
        );
        self.setup.push(SetupItem {
            scope,
            what,
            configure: check.to_string(),
        });
    }

    /// Claim an id that may be used once in the build for `place`: `None` when it is free (or
    /// already `place`'s), else the place that holds it.
    pub fn claim_id(&mut self, id: &str, place: &str) -> Option<String> {
        match self.claimed.get(id) {
            Some(first) if first != place => Some(first.clone()),
            Some(_) => None,
            None => {
                self.claimed.insert(id.to_string(), place.to_string());
                None
            }
        }
    }

    /// [`Sink::setup`], once per scope and words (a cadence seen twice reports once).
    pub fn setup_once(&mut self, span: Span, scope: Scope, what: String, configure: &str) {
        let seen = self
            .setup
            .iter()
            .any(|it| it.scope == scope && it.what == what);
        if !seen {
            self.setup(span, scope, what, configure);
        }
    }

    /// The id of a template, role, action, view or layout in the target CRM, or a placeholder
    /// (an error under `--strict`). Each missing key is reported once per build.
    pub fn id(&mut self, kind: ids::Kind, key: &str, span: Span, placeholder: &str) -> String {
        let target = self.opts.target;
        if let Some(v) = self.opts.ids.get(target, kind, key) {
            return v.to_string();
        }
        self.placeholders
            .insert(format!("{}.{}", kind.table(), ids::toml_key(key)));
        if self.missing.insert((kind, key.to_string())) {
            let t = target.title();
            let help = format!(
                "add `{} = \"…\"` under `[{}.{}]` (or `[{}]`) in the ids file (`--ids FILE`, see docs/targets.md)",
                ids::toml_key(key),
                target.name(),
                kind.table(),
                kind.table()
            );
            let d = if self.opts.strict {
                Diagnostic::new(
                    &codes::E0903,
                    span,
                    format!("no {t} id for {} `{key}`", kind.noun()),
                )
                .with_label("missing id (`--strict`)")
                .with_help(help)
            } else {
                Diagnostic::new(
                    &codes::W0904,
                    span,
                    format!("{t}: placeholder for the {} `{key}`", kind.noun()),
                )
                .with_label(format!("written as `{placeholder}`"))
                .with_help(help)
            };
            self.push(d);
        }
        placeholder.to_string()
    }

    /// The placeholders written since the last call, as `table.key`.
    pub fn take_placeholders(&mut self) -> BTreeSet<String> {
        std::mem::take(&mut self.placeholders)
    }

    /// Whether an id is mapped (no diagnostic).
    pub fn has_id(&self, kind: ids::Kind, key: &str) -> bool {
        self.opts.ids.get(self.opts.target, kind, key).is_some()
    }

    fn internal(&mut self, span: Span, msg: String) {
        self.push(
            Diagnostic::new(&codes::E0905, span, msg)
                .with_help("this is a bug in `cadence build`; please report it with the input"),
        );
    }

    /// Validate a body against the vendor's documented rules and keep it if the building added
    /// no error.
    #[allow(clippy::too_many_arguments)]
    fn finish(
        &mut self,
        outputs: &mut Vec<Output>,
        before: usize,
        kind: OutputKind,
        name: &str,
        body: Body,
        span: Span,
        prefix: &str,
    ) {
        if self.errors > before {
            return;
        }
        let problems = validate::validate(self.opts.target, kind, &body.value);
        if let Some(p) = problems.first() {
            self.internal(
                span,
                format!(
                    "the {} body for `{name}` breaks the vendor's documented rules: {p}",
                    self.opts.target.title()
                ),
            );
            return;
        }
        outputs.push(Output {
            kind,
            name: name.to_string(),
            file_name: format!("{prefix}.{name}.json"),
            body: body.value,
            text: body.text,
        });
    }
}

/// Serialise a typed body; serde_json cannot fail on these plain structs, but a failure would be
/// reported rather than unwrapped.
pub(crate) fn to_body<T: serde::Serialize>(sink: &mut Sink, span: Span, v: &T) -> Option<Body> {
    let made = serde_json::to_value(v).and_then(|value| {
        let mut text = serde_json::to_string_pretty(v)?;
        text.push('\n');
        Ok(Body { value, text })
    });
    match made {
        Ok(b) => Some(b),
        Err(e) => {
            sink.internal(span, format!("cannot serialise: {e}"));
            None
        }
    }
}
