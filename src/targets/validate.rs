//! The vendors' documented request rules, checked on a built body (a `serde_json::Value`),
//! independently of the code that built it. `cadence build` runs these before it hands out a
//! body; the tests run them on every shipped cadence. The rules and their sources are in
//! `crm-request-formats.md` of the shared reference material and in docs/targets.md.
//!
//! Objects are closed: a key the vendor does not define is a problem.

//! The vendors' rules sit next to their emitters (`zoho/rules.rs`, `salesloft/rules.rs`,
//! `hubspot/rules.rs`); this file has the neutral document's and the shared checks.

use serde_json::{Map, Value};

use super::{OutputKind, Target};

/// Every rule a body breaks, as `path: problem`; empty when the body is accepted.
pub fn validate(target: Target, kind: OutputKind, body: &Value) -> Vec<String> {
    let mut v = V::default();
    match target.emitter() {
        Some(e) => e.rules(kind, body, &mut v),
        None => neutral(&mut v, body),
    }
    v.problems
}

/// The problems found so far, with the checks every vendor's rules use.
#[derive(Default)]
pub(crate) struct V {
    problems: Vec<String>,
}

impl V {
    pub(crate) fn err(&mut self, path: &str, msg: impl std::fmt::Display) {
        self.problems.push(format!("{path}: {msg}"));
    }

    /// An object with only `allowed` keys and every `required` one.
    pub(crate) fn obj<'a>(
        &mut self,
        v: &'a Value,
        path: &str,
        allowed: &[&str],
        required: &[&str],
    ) -> Option<&'a Map<String, Value>> {
        let Some(m) = v.as_object() else {
            self.err(path, "must be an object");
            return None;
        };
        for k in m.keys() {
            if !allowed.contains(&k.as_str()) {
                self.err(path, format!("unknown key `{k}`"));
            }
        }
        for r in required {
            if !m.contains_key(*r) {
                self.err(path, format!("missing required key `{r}`"));
            }
        }
        Some(m)
    }

    pub(crate) fn string(
        &mut self,
        v: &Value,
        path: &str,
        min: usize,
        max: usize,
    ) -> Option<String> {
        match v.as_str() {
            Some(s) => {
                let n = s.chars().count();
                if n < min || n > max {
                    self.err(path, format!("length {n} is outside {min}..={max}"));
                }
                Some(s.to_string())
            }
            None => {
                self.err(path, "must be a string");
                None
            }
        }
    }

    pub(crate) fn one_of(&mut self, v: &Value, path: &str, allowed: &[&str]) -> Option<String> {
        match v.as_str() {
            Some(s) if allowed.contains(&s) => Some(s.to_string()),
            _ => {
                self.err(path, format!("must be one of {allowed:?}, is {v}"));
                None
            }
        }
    }

    pub(crate) fn int(&mut self, v: &Value, path: &str, min: i64, max: i64) -> Option<i64> {
        match v.as_i64() {
            Some(n) if (min..=max).contains(&n) => Some(n),
            _ => {
                self.err(path, format!("must be an integer in {min}..={max}, is {v}"));
                None
            }
        }
    }

    pub(crate) fn boolean(&mut self, v: &Value, path: &str) {
        if !v.is_boolean() {
            self.err(path, "must be a boolean");
        }
    }

    pub(crate) fn array<'a>(
        &mut self,
        v: &'a Value,
        path: &str,
        min: usize,
        max: usize,
    ) -> &'a [Value] {
        match v.as_array() {
            Some(a) => {
                if a.len() < min || a.len() > max {
                    self.err(
                        path,
                        format!("has {} items, allowed {min}..={max}", a.len()),
                    );
                }
                a
            }
            None => {
                self.err(path, "must be an array");
                &[]
            }
        }
    }

    /// A Zoho numeric id: an integer or a string of digits.
    pub(crate) fn numeric_id(&mut self, v: &Value, path: &str) {
        let ok = v.as_u64().is_some()
            || v.as_str()
                .map(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .unwrap_or(false);
        if !ok {
            self.err(path, format!("must be a numeric id, is {v}"));
        }
    }
}

pub(crate) fn get<'a>(m: &'a Map<String, Value>, k: &str) -> Option<&'a Value> {
    m.get(k)
}

// ───── neutral ─────

fn neutral(v: &mut V, body: &Value) {
    let Some(m) = v.obj(
        body,
        "$",
        &[
            "format_version",
            "compiler",
            "calendars",
            "pipelines",
            "cadences",
            "leads",
            "simulations",
            "tests",
        ],
        &[
            "format_version",
            "compiler",
            "calendars",
            "pipelines",
            "cadences",
            "leads",
            "simulations",
            "tests",
        ],
    ) else {
        return;
    };
    if let Some(f) = get(m, "format_version") {
        v.int(
            f,
            "$.format_version",
            i64::from(super::neutral::FORMAT_VERSION),
            i64::from(super::neutral::FORMAT_VERSION),
        );
    }
}
