//! The ids file (`cadence.ids.toml`): maps names in the project (templates, roles, modules,
//! steps, cadences) to the ids of real records in a CRM. Tables at the top apply to every target;
//! a table under `[zoho]`, `[salesloft]` or `[hubspot]` applies to that target and wins.
//!
//! ```toml
//! [templates]                      # template name → id (Salesloft: the email body)
//! cold_bump = "4150868000000123001"
//!
//! [zoho.roles]                     # role → user id, per vendor
//! owner = "4150868000000000111"
//!
//! [zoho.actions]                   # "CADENCE.STEP" → automation action id
//! "outbound_cold.call_1" = "4150868000000456001"
//! ```
//!
//! The full description is in docs/targets.md.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Target;

/// What an id stands for; each kind is one table of the ids file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// template name → template or action id (Salesloft: the email body)
    Template,
    /// role → user id
    Role,
    /// cadence or pipeline name → CRM module api name
    Module,
    /// `CADENCE.STEP` (or `CADENCE.STEP.OUTCOME`, `CADENCE.STEP.otherwise`) → Zoho action id
    Action,
    /// cadence name → Zoho custom view id (cadences with `enroll when`)
    View,
    /// module name (`Calls`) → Zoho layout id
    Layout,
    /// `linkedin`, `sms` → Salesloft integration id; `linkedin_step_type`, `sms_step_type` → the
    /// integration's step type guid
    Integration,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Template,
        Kind::Role,
        Kind::Module,
        Kind::Action,
        Kind::View,
        Kind::Layout,
        Kind::Integration,
    ];

    /// The table name in the ids file.
    pub fn table(self) -> &'static str {
        match self {
            Kind::Template => "templates",
            Kind::Role => "roles",
            Kind::Module => "modules",
            Kind::Action => "actions",
            Kind::View => "views",
            Kind::Layout => "layouts",
            Kind::Integration => "integrations",
        }
    }

    /// The word used in messages.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Template => "template",
            Kind::Role => "role",
            Kind::Module => "module",
            Kind::Action => "action",
            Kind::View => "custom view",
            Kind::Layout => "layout",
            Kind::Integration => "integration",
        }
    }
}

type Table = BTreeMap<String, String>;

/// A parsed ids file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ids {
    global: BTreeMap<Kind, Table>,
    per_target: BTreeMap<(Target, Kind), Table>,
    /// where each key is written in the file (byte range), when found
    places: BTreeMap<(Option<Target>, Kind, String), (usize, usize)>,
    /// the file in the build's source map, for the places (set by the command line)
    pub file: Option<crate::source::FileId>,
}

/// A key of the ids file that names nothing in the project.
#[derive(Debug, Clone, PartialEq)]
pub struct UnknownKey {
    /// `zoho.templates` or `templates`
    pub table: String,
    pub key: String,
    /// the closest name the table could have meant
    pub suggestion: Option<String>,
    /// byte range in the ids file, when found
    pub place: Option<(usize, usize)>,
}

/// A problem with the ids file: a message and, when known, the byte range it points at.
#[derive(Debug, Clone, PartialEq)]
pub struct IdsError {
    pub message: String,
    pub span: Option<std::ops::Range<usize>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum IdValue {
    Text(String),
    Number(u64),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Tables {
    #[serde(default)]
    templates: BTreeMap<String, IdValue>,
    #[serde(default)]
    roles: BTreeMap<String, IdValue>,
    #[serde(default)]
    modules: BTreeMap<String, IdValue>,
    #[serde(default)]
    actions: BTreeMap<String, IdValue>,
    #[serde(default)]
    views: BTreeMap<String, IdValue>,
    #[serde(default)]
    layouts: BTreeMap<String, IdValue>,
    #[serde(default)]
    integrations: BTreeMap<String, IdValue>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    templates: BTreeMap<String, IdValue>,
    #[serde(default)]
    roles: BTreeMap<String, IdValue>,
    #[serde(default)]
    modules: BTreeMap<String, IdValue>,
    #[serde(default)]
    actions: BTreeMap<String, IdValue>,
    #[serde(default)]
    views: BTreeMap<String, IdValue>,
    #[serde(default)]
    layouts: BTreeMap<String, IdValue>,
    #[serde(default)]
    integrations: BTreeMap<String, IdValue>,
    zoho: Option<Tables>,
    salesloft: Option<Tables>,
    hubspot: Option<Tables>,
}

impl Tables {
    fn into_kinds(self) -> [(Kind, BTreeMap<String, IdValue>); 7] {
        [
            (Kind::Template, self.templates),
            (Kind::Role, self.roles),
            (Kind::Module, self.modules),
            (Kind::Action, self.actions),
            (Kind::View, self.views),
            (Kind::Layout, self.layouts),
            (Kind::Integration, self.integrations),
        ]
    }
}

fn table(m: BTreeMap<String, IdValue>) -> Table {
    m.into_iter()
        .map(|(k, v)| {
            let v = match v {
                IdValue::Text(s) => s,
                IdValue::Number(n) => n.to_string(),
            };
            (k, v)
        })
        .collect()
}

impl Ids {
    /// Parse the text of an ids file.
    pub fn parse(text: &str) -> Result<Ids, IdsError> {
        let file: File = toml::from_str(text).map_err(|e| IdsError {
            message: e.message().trim().to_string(),
            span: e.span(),
        })?;
        // a user id means nothing in another CRM (a Zoho user id is no Salesloft owner's email)
        if !file.roles.is_empty() {
            let at = text.find("[roles]").map(|a| a + 1).unwrap_or(0);
            return Err(IdsError {
                message: "roles map per vendor: write them under `[zoho.roles]` or `[salesloft.roles]`, not in a shared `[roles]` table".into(),
                span: Some(at..at + "roles".len()),
            });
        }
        let mut ids = Ids::default();
        let global = Tables {
            templates: file.templates,
            roles: file.roles,
            modules: file.modules,
            actions: file.actions,
            views: file.views,
            layouts: file.layouts,
            integrations: file.integrations,
        };
        for (k, m) in global.into_kinds() {
            if !m.is_empty() {
                ids.global.insert(k, table(m));
            }
        }
        for (t, tables) in [
            (Target::Zoho, file.zoho),
            (Target::Salesloft, file.salesloft),
            (Target::Hubspot, file.hubspot),
        ] {
            for (k, m) in tables.unwrap_or_default().into_kinds() {
                if !m.is_empty() {
                    ids.per_target.insert((t, k), table(m));
                }
            }
        }
        for ((t, k), v) in &ids.per_target {
            let bad = match (t, k) {
                // Salesloft's `cadence_owner` is the user's email
                (Target::Salesloft, Kind::Role) => v.iter().find(|(_, x)| !x.contains('@')),
                // Zoho user ids are digits
                (Target::Zoho, Kind::Role) => v
                    .iter()
                    .find(|(_, x)| x.is_empty() || !x.chars().all(|c| c.is_ascii_digit())),
                _ => None,
            };
            if let Some((key, x)) = bad {
                let want = match t {
                    Target::Salesloft => "the user's email",
                    _ => "a Zoho user id (digits)",
                };
                return Err(IdsError {
                    message: format!("`[{}.roles]` `{key}` must be {want}, not `{x}`", t.name()),
                    span: text.find(x.as_str()).map(|a| a..a + x.len()),
                });
            }
        }
        ids.places = places(text);
        for v in ids.global.values().chain(ids.per_target.values()) {
            if let Some((k, _)) = v.iter().find(|(_, v)| v.trim().is_empty()) {
                return Err(IdsError {
                    message: format!("the id of `{k}` is empty"),
                    span: None,
                });
            }
        }
        Ok(ids)
    }

    /// The id for `key`: the target's own table first, then the shared one.
    pub fn get(&self, target: Target, kind: Kind, key: &str) -> Option<&str> {
        self.per_target
            .get(&(target, kind))
            .and_then(|t| t.get(key))
            .or_else(|| self.global.get(&kind).and_then(|t| t.get(key)))
            .map(String::as_str)
    }

    /// The action keys (any target) that name step `step` of `cadence`: `CADENCE.STEP` and its
    /// `CADENCE.STEP.OUTCOME` / `.otherwise` forms.
    pub fn step_keys(&self, cadence: &str, step: &str) -> Vec<&str> {
        let exact = format!("{cadence}.{step}");
        let prefix = format!("{exact}.");
        let mut keys: Vec<&str> = self
            .global
            .iter()
            .chain(self.per_target.iter().map(|((_, k), t)| (k, t)))
            .filter(|(k, _)| **k == Kind::Action)
            .flat_map(|(_, t)| t.keys())
            .filter(|k| **k == exact || k.starts_with(&prefix))
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// Add one entry (for tests and programmatic use); `target: None` is a shared entry.
    pub fn insert(&mut self, target: Option<Target>, kind: Kind, key: &str, id: &str) {
        let t = match target {
            Some(t) => self.per_target.entry((t, kind)).or_default(),
            None => self.global.entry(kind).or_default(),
        };
        t.insert(key.to_string(), id.to_string());
    }
}

/// Where each `key = …` line of a table sits: a line scan of the text (tables written as
/// `[table]` or `[target.table]` headers, keys bare or quoted).
fn places(text: &str) -> BTreeMap<(Option<Target>, Kind, String), (usize, usize)> {
    let mut out = BTreeMap::new();
    let mut table: Option<(Option<Target>, Kind)> = None;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let start = at;
        at += line.len();
        let t = line.trim_start();
        let indent = line.len() - t.len();
        if let Some(h) = t.strip_prefix('[') {
            let name = h.split(']').next().unwrap_or("").trim();
            let (target, kind) = match name.split_once('.') {
                Some((t, k)) => (
                    [Target::Zoho, Target::Salesloft, Target::Hubspot]
                        .into_iter()
                        .find(|x| x.name() == t),
                    k,
                ),
                None => (None, name),
            };
            table = Kind::ALL
                .into_iter()
                .find(|k| k.table() == kind)
                .filter(|_| target.is_some() || !name.contains('.'))
                .map(|k| (target, k));
            continue;
        }
        let Some((target, kind)) = table else {
            continue;
        };
        let (key, len) = if let Some(q) = t.strip_prefix('"') {
            match q.find('"') {
                Some(e) => (q[..e].to_string(), e + 2),
                None => continue,
            }
        } else {
            let k: String = t
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                .collect();
            let n = k.len();
            (k, n)
        };
        if !key.is_empty() {
            let from = start + indent;
            out.entry((target, kind, key)).or_insert((from, from + len));
        }
    }
    out
}

/// The names each table of the ids file can map, from the model.
fn known(model: &crate::model::Model, kind: Kind) -> Vec<String> {
    let mut names = Vec::new();
    match kind {
        Kind::Template => {
            for c in &model.cadences {
                for s in &c.steps {
                    names.extend(s.template.clone());
                    names.extend(s.variants.iter().filter_map(|v| v.template.clone()));
                    names.push(format!("{}.{}", c.name, s.name));
                }
            }
        }
        Kind::Role => {
            for p in &model.pipelines {
                names.extend(p.roles.iter().cloned());
            }
            names.push("owner".into());
        }
        Kind::Module => {
            names.extend(model.cadences.iter().map(|c| c.name.clone()));
            names.extend(model.pipelines.iter().map(|p| p.name.clone()));
        }
        Kind::Action => {
            for c in &model.cadences {
                names.extend(c.steps.iter().map(|s| format!("{}.{}", c.name, s.name)));
            }
            // Zoho Blueprint states' escalation email alerts
            for p in &model.pipelines {
                names.extend(
                    p.stages
                        .iter()
                        .map(|s| format!("{}.{}.escalation", p.name, s.name)),
                );
            }
        }
        Kind::View => names.extend(model.cadences.iter().map(|c| c.name.clone())),
        // `Calls` for scheduled calls; a Blueprint's module (Zoho's default `Deals`, or a
        // `[modules]` value, added by the caller)
        Kind::Layout => names.extend(["Calls".into(), "Deals".into()]),
        Kind::Integration => {
            for ch in ["linkedin", "sms"] {
                names.push(ch.into());
                names.push(format!("{ch}_step_type"));
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

impl Ids {
    /// The keys that name nothing in the project (an action key names its step:
    /// `CADENCE.STEP`, then `.OUTCOME[.N]`, `.otherwise[.N]` or a path copy `~N`), in file order.
    pub fn unknown_keys(&self, model: &crate::model::Model) -> Vec<UnknownKey> {
        let tables = self
            .global
            .iter()
            .map(|(k, t)| (None, *k, t))
            .chain(self.per_target.iter().map(|((g, k), t)| (Some(*g), *k, t)));
        let mut out = Vec::new();
        let modules: Vec<String> = self
            .global
            .iter()
            .chain(self.per_target.iter().map(|((_, k), t)| (k, t)))
            .filter(|(k, _)| **k == Kind::Module)
            .flat_map(|(_, t)| t.values().map(|v| v.to_string()))
            .collect();
        for (target, kind, table) in tables {
            let mut names = known(model, kind);
            if kind == Kind::Layout {
                names.extend(modules.iter().cloned());
            }
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            for key in table.keys() {
                let named = match kind {
                    Kind::Action => refs.iter().any(|n| {
                        key == n
                            || key
                                .strip_prefix(n)
                                .is_some_and(|r| r.starts_with('.') || r.starts_with('~'))
                    }),
                    _ => refs.contains(&key.as_str()),
                };
                if named {
                    continue;
                }
                let probe = match kind {
                    // suggest on the step part of an action key
                    Kind::Action => key.split('.').take(2).collect::<Vec<_>>().join("."),
                    _ => key.clone(),
                };
                out.push(UnknownKey {
                    table: match target {
                        Some(t) => format!("{}.{}", t.name(), kind.table()),
                        None => kind.table().to_string(),
                    },
                    key: key.clone(),
                    suggestion: crate::check::suggest(&probe, &refs).map(str::to_string),
                    place: self.places.get(&(target, kind, key.clone())).copied(),
                });
            }
        }
        out.sort_by_key(|u| (u.place, u.table.clone(), u.key.clone()));
        out
    }
}

/// A key as written in TOML: bare when it can be, else quoted.
pub fn toml_key(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        key.to_string()
    } else {
        format!("\"{}\"", key.replace('\\', "\\\\").replace('"', "\\\""))
    }
}
