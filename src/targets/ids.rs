//! The ids file (`cadence.ids.toml`): maps names in the project (templates, roles, modules,
//! steps, cadences) to the ids of real records in a CRM. Tables at the top apply to every target;
//! a table under `[zoho]`, `[salesloft]` or `[hubspot]` applies to that target and wins.
//!
//! ```toml
//! [templates]                      # template name → id (Salesloft: the email body)
//! cold_bump = "4150868000000123001"
//!
//! [roles]                          # role → user id
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
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Template,
        Kind::Role,
        Kind::Module,
        Kind::Action,
        Kind::View,
        Kind::Layout,
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
        }
    }
}

type Table = BTreeMap<String, String>;

/// A parsed ids file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ids {
    global: BTreeMap<Kind, Table>,
    per_target: BTreeMap<(Target, Kind), Table>,
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
    zoho: Option<Tables>,
    salesloft: Option<Tables>,
    hubspot: Option<Tables>,
}

impl Tables {
    fn into_kinds(self) -> [(Kind, BTreeMap<String, IdValue>); 6] {
        [
            (Kind::Template, self.templates),
            (Kind::Role, self.roles),
            (Kind::Module, self.modules),
            (Kind::Action, self.actions),
            (Kind::View, self.views),
            (Kind::Layout, self.layouts),
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
        let mut ids = Ids::default();
        let global = Tables {
            templates: file.templates,
            roles: file.roles,
            modules: file.modules,
            actions: file.actions,
            views: file.views,
            layouts: file.layouts,
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
