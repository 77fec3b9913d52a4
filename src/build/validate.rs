//! The vendors' documented request rules, checked on a built body (a `serde_json::Value`),
//! independently of the code that built it. `cadence build` runs these before it hands out a
//! body; the tests run them on every shipped cadence. The rules and their sources are in
//! `crm-request-formats.md` of the shared reference material and in docs/targets.md.
//!
//! Objects are closed: a key the vendor does not define is a problem.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::{OutputKind, Target};

/// Every rule a body breaks, as `path: problem`; empty when the body is accepted.
pub fn validate(target: Target, kind: OutputKind, body: &Value) -> Vec<String> {
    let mut v = V::default();
    match (target, kind) {
        (Target::Json, _) => neutral(&mut v, body),
        (Target::Zoho, OutputKind::Pipeline) => zoho_transitions(&mut v, body),
        (Target::Zoho, _) => zoho_cadence(&mut v, body),
        (Target::Salesloft, _) => salesloft(&mut v, body),
        (Target::Hubspot, OutputKind::Pipeline) => hubspot_pipeline(&mut v, body),
        (Target::Hubspot, _) => hubspot_sequence(&mut v, body),
    }
    v.problems
}

#[derive(Default)]
struct V {
    problems: Vec<String>,
}

impl V {
    fn err(&mut self, path: &str, msg: impl std::fmt::Display) {
        self.problems.push(format!("{path}: {msg}"));
    }

    /// An object with only `allowed` keys and every `required` one.
    fn obj<'a>(
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

    fn string(&mut self, v: &Value, path: &str, min: usize, max: usize) -> Option<String> {
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

    fn one_of(&mut self, v: &Value, path: &str, allowed: &[&str]) -> Option<String> {
        match v.as_str() {
            Some(s) if allowed.contains(&s) => Some(s.to_string()),
            _ => {
                self.err(path, format!("must be one of {allowed:?}, is {v}"));
                None
            }
        }
    }

    fn int(&mut self, v: &Value, path: &str, min: i64, max: i64) -> Option<i64> {
        match v.as_i64() {
            Some(n) if (min..=max).contains(&n) => Some(n),
            _ => {
                self.err(path, format!("must be an integer in {min}..={max}, is {v}"));
                None
            }
        }
    }

    fn boolean(&mut self, v: &Value, path: &str) {
        if !v.is_boolean() {
            self.err(path, "must be a boolean");
        }
    }

    fn array<'a>(&mut self, v: &'a Value, path: &str, min: usize, max: usize) -> &'a [Value] {
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
    fn numeric_id(&mut self, v: &Value, path: &str) {
        let ok = v.as_u64().is_some()
            || v.as_str()
                .map(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .unwrap_or(false);
        if !ok {
            self.err(path, format!("must be a numeric id, is {v}"));
        }
    }
}

fn get<'a>(m: &'a Map<String, Value>, k: &str) -> Option<&'a Value> {
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

// ───── Zoho ─────

const ZOHO_PERIODS: [&str; 6] = [
    "minutes",
    "hours",
    "business_hours",
    "days",
    "business_days",
    "months",
];

fn zoho_cadence(v: &mut V, body: &Value) {
    let Some(root) = v.obj(body, "$", &["cadences"], &["cadences"]) else {
        return;
    };
    let Some(list) = get(root, "cadences") else {
        return;
    };
    for (i, c) in v.array(list, "$.cadences", 1, 1).iter().enumerate() {
        zoho_one(v, c, &format!("$.cadences[{i}]"));
    }
}

fn zoho_one(v: &mut V, c: &Value, path: &str) {
    let Some(m) = v.obj(
        c,
        path,
        &[
            "module",
            "name",
            "type",
            "id",
            "description",
            "custom_view",
            "execution_details",
            "follow_ups",
        ],
        &["module", "name", "type"],
    ) else {
        return;
    };
    if let Some(n) = get(m, "name") {
        if let Some(s) = v.string(n, &format!("{path}.name"), 1, 100) {
            if s.contains(['#', '%', '^']) {
                v.err(&format!("{path}.name"), "must not contain `#`, `%` or `^`");
            }
        }
    }
    if let Some(d) = get(m, "description") {
        v.string(d, &format!("{path}.description"), 0, 500);
    }
    if let Some(id) = get(m, "id") {
        v.numeric_id(id, &format!("{path}.id"));
    }
    if let Some(md) = get(m, "module") {
        let p = format!("{path}.module");
        if let Some(mm) = v.obj(md, &p, &["api_name", "id"], &[]) {
            if mm.is_empty() {
                v.err(&p, "needs `api_name` or `id`");
            }
            if let Some(a) = get(mm, "api_name") {
                v.string(a, &format!("{p}.api_name"), 1, 100);
            }
            if let Some(id) = get(mm, "id") {
                v.numeric_id(id, &format!("{p}.id"));
            }
        }
    }
    let ty = get(m, "type").and_then(|t| {
        v.one_of(
            t,
            &format!("{path}.type"),
            &["custom_view", "manual_enrollment"],
        )
    });
    match (ty.as_deref(), get(m, "custom_view")) {
        (Some("custom_view"), Some(cv)) => {
            let p = format!("{path}.custom_view");
            if let Some(cm) = v.obj(cv, &p, &["id"], &["id"]) {
                if let Some(id) = get(cm, "id") {
                    v.numeric_id(id, &format!("{p}.id"));
                }
            }
        }
        (Some("custom_view"), None) => {
            v.err(path, "`custom_view` is required with type custom_view")
        }
        (Some("manual_enrollment"), Some(_)) => v.err(
            path,
            "`custom_view` must be omitted with type manual_enrollment",
        ),
        _ => {}
    }
    if let Some(ed) = get(m, "execution_details") {
        zoho_execution(v, ed, &format!("{path}.execution_details"));
    }
    if let Some(fu) = get(m, "follow_ups") {
        zoho_follow_ups(v, fu, &format!("{path}.follow_ups"));
    }
}

fn zoho_criteria(v: &mut V, c: &Value, path: &str) {
    if let Some(m) = c.as_object() {
        if m.contains_key("group") {
            if let Some(g) = v.obj(
                c,
                path,
                &["group_operator", "group"],
                &["group_operator", "group"],
            ) {
                if let Some(op) = get(g, "group_operator") {
                    v.one_of(
                        op,
                        &format!("{path}.group_operator"),
                        &["AND", "OR", "and", "or"],
                    );
                }
                if let Some(items) = get(g, "group") {
                    for (i, it) in v
                        .array(items, &format!("{path}.group"), 1, usize::MAX)
                        .iter()
                        .enumerate()
                    {
                        zoho_criteria(v, it, &format!("{path}.group[{i}]"));
                    }
                }
            }
            return;
        }
    }
    if let Some(m) = v.obj(
        c,
        path,
        &["field", "comparator", "value", "type"],
        &["field", "comparator", "value"],
    ) {
        if let Some(f) = get(m, "field") {
            let p = format!("{path}.field");
            if let Some(fm) = v.obj(f, &p, &["api_name", "id"], &[]) {
                if fm.is_empty() {
                    v.err(&p, "needs `api_name` or `id`");
                }
            }
        }
        if let Some(cmp) = get(m, "comparator") {
            v.string(cmp, &format!("{path}.comparator"), 1, 100);
        }
    }
}

fn zoho_execution(v: &mut V, ed: &Value, path: &str) {
    let Some(m) = v.obj(ed, path, &["execute_every", "unenroll_properties"], &[]) else {
        return;
    };
    if let Some(ee) = get(m, "execute_every") {
        let p = format!("{path}.execute_every");
        if let Some(em) = v.obj(ee, &p, &["period", "unit"], &["period"]) {
            let period = get(em, "period").and_then(|x| {
                v.one_of(
                    x,
                    &format!("{p}.period"),
                    &["immediately", "hours", "days", "weeks"],
                )
            });
            match get(em, "unit") {
                Some(u) => {
                    v.int(u, &format!("{p}.unit"), 1, 99);
                }
                None if period.as_deref() != Some("immediately") => {
                    v.err(&p, "`unit` is required with this period")
                }
                None => {}
            }
        }
    }
    if let Some(up) = get(m, "unenroll_properties") {
        let p = format!("{path}.unenroll_properties");
        let mut seen = BTreeSet::new();
        for (i, u) in v.array(up, &p, 0, 200).iter().enumerate() {
            let q = format!("{p}[{i}]");
            let Some(um) = v.obj(u, &q, &["type", "details"], &["type"]) else {
                continue;
            };
            let Some(ty) = get(um, "type").and_then(|t| {
                v.one_of(
                    t,
                    &format!("{q}.type"),
                    &[
                        "automatic_unenroll",
                        "end_date",
                        "criteria",
                        "followup_criteria",
                    ],
                )
            }) else {
                continue;
            };
            if !seen.insert(ty.clone()) {
                v.err(
                    &q,
                    format!("unenroll type `{ty}` is used twice (LIMIT_EXCEEDED, limit 1)"),
                );
            }
            let details = get(um, "details").filter(|d| !d.is_null());
            match (ty.as_str(), details) {
                ("automatic_unenroll", Some(_)) => v.err(&q, "automatic_unenroll takes no details"),
                ("automatic_unenroll", None) => {}
                (_, None) => v.err(&q, "`details` is required"),
                ("end_date", Some(d)) => {
                    if let Some(dm) = v.obj(
                        d,
                        &format!("{q}.details"),
                        &["unenroll_date"],
                        &["unenroll_date"],
                    ) {
                        let ok = get(dm, "unenroll_date")
                            .and_then(Value::as_str)
                            .map(|s| {
                                chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
                                    || chrono::NaiveDate::parse_from_str(s, "%m/%d/%Y").is_ok()
                            })
                            .unwrap_or(false);
                        if !ok {
                            v.err(&format!("{q}.details.unenroll_date"), "must be a real date");
                        }
                    }
                }
                ("criteria", Some(d)) => {
                    if let Some(dm) =
                        v.obj(d, &format!("{q}.details"), &["criteria"], &["criteria"])
                    {
                        if let Some(c) = get(dm, "criteria") {
                            zoho_criteria(v, c, &format!("{q}.details.criteria"));
                        }
                    }
                }
                (_, Some(d)) => {
                    let r = format!("{q}.details");
                    if let Some(dm) = v.obj(d, &r, &["type", "details"], &["type", "details"]) {
                        if let Some(t) = get(dm, "type") {
                            v.one_of(
                                t,
                                &format!("{r}.type"),
                                &[
                                    "Tasks",
                                    "Calls",
                                    "Email",
                                    "WhatsApp",
                                    "tasks",
                                    "schedule_call",
                                    "email_notifications",
                                    "whatsapp_message_notification",
                                ],
                            );
                        }
                        if let Some(inner) = get(dm, "details") {
                            let s = format!("{r}.details");
                            if let Some(im) = v.obj(
                                inner,
                                &s,
                                &["criteria", "specific", "state"],
                                &["criteria", "specific", "state"],
                            ) {
                                if let Some(c) = get(im, "criteria") {
                                    zoho_criteria(v, c, &format!("{s}.criteria"));
                                }
                                let specific = get(im, "specific").and_then(Value::as_bool);
                                let state = get(im, "state");
                                match (specific, state) {
                                    (Some(true), Some(st)) if st.is_object() => {}
                                    (Some(false), Some(Value::Null)) => {}
                                    _ => v.err(&s, "`specific: true` needs a `state`, `specific: false` needs `state: null`"),
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn zoho_follow_ups(v: &mut V, fu: &Value, path: &str) {
    let items = v.array(fu, path, 0, 100);
    let mut refs: BTreeMap<String, usize> = BTreeMap::new();
    let mut parents: Vec<Option<String>> = Vec::new();
    let mut triggers: Vec<Vec<String>> = Vec::new();
    for (i, f) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let mut parent = None;
        let mut trig = Vec::new();
        if let Some(m) = v.obj(
            f,
            &p,
            &[
                "reference_id",
                "action",
                "parent_follow_up",
                "triggers",
                "execute_after",
            ],
            &["reference_id", "action"],
        ) {
            if let Some(r) = get(m, "reference_id")
                .and_then(|r| v.string(r, &format!("{p}.reference_id"), 1, 255))
            {
                if refs.insert(r.clone(), i).is_some() {
                    v.err(&p, format!("reference_id `{r}` is used twice"));
                }
            }
            match get(m, "parent_follow_up") {
                None | Some(Value::Null) => {}
                Some(pf) => {
                    let q = format!("{p}.parent_follow_up");
                    if let Some(pm) = v.obj(pf, &q, &["reference_id"], &["reference_id"]) {
                        parent = get(pm, "reference_id")
                            .and_then(Value::as_str)
                            .map(str::to_string);
                    }
                }
            }
            if let Some(t) = get(m, "triggers") {
                let q = format!("{p}.triggers");
                let mut seen = BTreeSet::new();
                for (j, x) in v.array(t, &q, 0, 500).iter().enumerate() {
                    if let Some(s) = v.string(x, &format!("{q}[{j}]"), 1, 255) {
                        if !seen.insert(s.clone()) {
                            v.err(&q, format!("trigger `{s}` repeats"));
                        }
                        trig.push(s);
                    }
                }
            }
            match get(m, "execute_after") {
                Some(ea) => {
                    let q = format!("{p}.execute_after");
                    if let Some(em) = v.obj(ea, &q, &["unit", "period"], &["unit", "period"]) {
                        if let Some(u) = get(em, "unit") {
                            v.int(u, &format!("{q}.unit"), 1, 99);
                        }
                        if let Some(pe) = get(em, "period") {
                            v.one_of(pe, &format!("{q}.period"), &ZOHO_PERIODS);
                        }
                    }
                }
                None if !trig.is_empty() => {
                    v.err(&p, "`execute_after` is required when `triggers` is given")
                }
                None => {}
            }
            if let Some(a) = get(m, "action") {
                zoho_action(v, a, &format!("{p}.action"));
            }
        }
        parents.push(parent);
        triggers.push(trig);
    }
    // the tree: one root, parents resolve, no cycles, a trigger once per parent
    let roots = parents.iter().filter(|p| p.is_none()).count();
    if !items.is_empty() && roots != 1 {
        v.err(
            path,
            format!("must have exactly one root follow-up, has {roots}"),
        );
    }
    let mut under: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (i, p) in parents.iter().enumerate() {
        let Some(p) = p else { continue };
        if !refs.contains_key(p) {
            v.err(
                &format!("{path}[{i}].parent_follow_up"),
                format!("`{p}` is not a follow-up of this cadence"),
            );
            continue;
        }
        for t in &triggers[i] {
            if under.insert((p.clone(), t.clone()), i).is_some() {
                v.err(
                    &format!("{path}[{i}].triggers"),
                    format!("trigger `{t}` is used twice under `{p}` (ALREADY_USED)"),
                );
            }
        }
        // walk up: a cycle never reaches a root
        let mut seen = BTreeSet::new();
        let mut cur = Some(p.clone());
        while let Some(c) = cur {
            if !seen.insert(c.clone()) {
                v.err(&format!("{path}[{i}]"), "parent links form a cycle");
                break;
            }
            cur = refs
                .get(&c)
                .and_then(|&j| parents.get(j).cloned().flatten());
        }
    }
}

fn zoho_action(v: &mut V, a: &Value, path: &str) {
    let ty = a.get("type").and_then(Value::as_str).unwrap_or("");
    if ty == "schedule_call" {
        let Some(m) = v.obj(a, path, &["type", "id", "details"], &["type", "details"]) else {
            return;
        };
        if let Some(id) = get(m, "id") {
            v.numeric_id(id, &format!("{path}.id"));
        }
        if let Some(d) = get(m, "details") {
            zoho_call_details(v, d, &format!("{path}.details"));
        }
        return;
    }
    let Some(m) = v.obj(a, path, &["type", "id"], &["type", "id"]) else {
        return;
    };
    if let Some(t) = get(m, "type") {
        v.one_of(
            t,
            &format!("{path}.type"),
            &[
                "tasks",
                "email_notifications",
                "schedule_call",
                "whatsapp_message_notification",
            ],
        );
    }
    if let Some(id) = get(m, "id") {
        v.numeric_id(id, &format!("{path}.id"));
    }
}

fn zoho_call_details(v: &mut V, d: &Value, path: &str) {
    let Some(m) = v.obj(
        d,
        path,
        &[
            "module",
            "layout",
            "field_mappings",
            "apply_restriction",
            "id",
        ],
        &["module", "layout", "field_mappings"],
    ) else {
        return;
    };
    if let Some(md) = get(m, "module") {
        let ok =
            md.get("api_name").and_then(Value::as_str) == Some("Calls") || md.get("id").is_some();
        if !ok {
            v.err(&format!("{path}.module"), "must be the Calls module");
        }
        v.obj(md, &format!("{path}.module"), &["api_name", "id"], &[]);
    }
    if let Some(l) = get(m, "layout") {
        let p = format!("{path}.layout");
        if let Some(lm) = v.obj(l, &p, &["id", "name", "display_label"], &["id"]) {
            if let Some(id) = get(lm, "id") {
                v.numeric_id(id, &format!("{p}.id"));
                if id.as_str().map(|s| s.len() > 20).unwrap_or(false) {
                    v.err(&format!("{p}.id"), "is longer than 20 characters");
                }
            }
            if let Some(n) = get(lm, "name").filter(|n| !n.is_null()) {
                v.string(n, &format!("{p}.name"), 0, 50);
            }
        }
    }
    if let Some(ar) = get(m, "apply_restriction") {
        if !(ar.is_boolean() || ar.is_null()) {
            v.err(
                &format!("{path}.apply_restriction"),
                "must be a boolean or null",
            );
        }
    }
    let Some(fm) = get(m, "field_mappings") else {
        return;
    };
    let mut call_type = false;
    for (i, f) in v
        .array(fm, &format!("{path}.field_mappings"), 1, 25)
        .iter()
        .enumerate()
    {
        let p = format!("{path}.field_mappings[{i}]");
        let Some(mm) = v.obj(
            f,
            &p,
            &[
                "field",
                "type",
                "value",
                "display_value",
                "allow_agent_user",
            ],
            &["field", "type", "value"],
        ) else {
            continue;
        };
        let field = get(mm, "field")
            .and_then(|f| f.get("api_name"))
            .and_then(Value::as_str)
            .unwrap_or("");
        if let Some(fo) = get(mm, "field") {
            if let Some(fom) = v.obj(fo, &format!("{p}.field"), &["api_name", "id"], &[]) {
                if fom.is_empty() {
                    v.err(&format!("{p}.field"), "needs `api_name` or `id`");
                }
            }
        }
        let ty = get(mm, "type").and_then(|t| {
            v.one_of(
                t,
                &format!("{p}.type"),
                &[
                    "static",
                    "reference",
                    "time_computed",
                    "execution_time",
                    "merge_field",
                    "composite",
                ],
            )
        });
        let value = get(mm, "value").unwrap_or(&Value::Null);
        if get(mm, "allow_agent_user").is_some() && ty.as_deref() != Some("merge_field") {
            v.err(&p, "`allow_agent_user` is only for merge_field mappings");
        }
        match ty.as_deref() {
            Some("static") => match value {
                Value::String(s) => {
                    if s.chars().count() > 1000 {
                        v.err(&format!("{p}.value"), "is longer than 1000 characters");
                    }
                }
                Value::Array(a) => {
                    if a.is_empty() || a.len() > 50 || !a.iter().all(Value::is_string) {
                        v.err(&format!("{p}.value"), "must be 1–50 strings");
                    }
                }
                Value::Object(_) => {}
                _ => v.err(&format!("{p}.value"), "a static value is a string, a list of strings or an object (send numbers as strings)"),
            },
            Some("merge_field") if !value.as_str().map(|s| s.contains("${")).unwrap_or(false) => {
                v.err(&format!("{p}.value"), "must contain a `${…}` token");
            }
            Some("execution_time") => {
                let q = format!("{p}.value");
                if let Some(em) = v.obj(
                    value,
                    &q,
                    &["period", "unit", "trigger_field", "sign", "time", "notify_type"],
                    &["period", "unit", "trigger_field"],
                ) {
                    if let Some(pe) = get(em, "period") {
                        v.one_of(pe, &format!("{q}.period"), &["days", "business_days", "hours", "minutes"]);
                    }
                    if let Some(u) = get(em, "unit") {
                        if !u.as_str().map(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).unwrap_or(false) {
                            v.err(&format!("{q}.unit"), "must be a string of digits");
                        }
                    }
                    if let Some(s) = get(em, "sign") {
                        v.one_of(s, &format!("{q}.sign"), &["plus", "minus"]);
                    }
                    if let Some(t) = get(em, "time") {
                        let ok = t
                            .as_str()
                            .and_then(|s| chrono::NaiveTime::parse_from_str(s, "%H:%M").ok())
                            .is_some();
                        if !ok {
                            v.err(&format!("{q}.time"), "must be HH:mm");
                        }
                    }
                    if let Some(n) = get(em, "notify_type") {
                        v.one_of(n, &format!("{q}.notify_type"), &["popup", "email", "emailandpopup"]);
                    }
                }
            }
            _ => {}
        }
        if field == "Call_Type" {
            call_type = true;
            if ty.as_deref() != Some("static")
                || !matches!(value.as_str(), Some("Outbound" | "Inbound" | "Missed"))
            {
                v.err(&p, "Call_Type must be a static Outbound, Inbound or Missed");
            }
        }
        if (field == "Call_Start_Time" || field == "Remind_At")
            && ty.as_deref() != Some("execution_time")
        {
            v.err(&p, format!("{field} must use an execution_time mapping"));
        }
    }
    if !call_type {
        v.err(path, "a Call_Type field mapping is required");
    }
}

fn zoho_transitions(v: &mut V, body: &Value) {
    let Some(m) = v.obj(body, "$", &["transitions"], &["transitions"]) else {
        return;
    };
    let Some(list) = get(m, "transitions") else {
        return;
    };
    let mut names = BTreeSet::new();
    for (i, t) in v.array(list, "$.transitions", 1, 50).iter().enumerate() {
        let p = format!("$.transitions[{i}]");
        let Some(tm) = v.obj(
            t,
            &p,
            &["name", "description", "trigger_type", "transition_type"],
            &["name", "trigger_type", "transition_type"],
        ) else {
            continue;
        };
        if let Some(n) = get(tm, "name").and_then(|n| v.string(n, &format!("{p}.name"), 1, 100)) {
            if !names.insert(n.clone()) {
                v.err(&p, format!("transition name `{n}` is used twice"));
            }
        }
        if let Some(d) = get(tm, "description") {
            v.string(d, &format!("{p}.description"), 0, usize::MAX);
        }
        if let Some(x) = get(tm, "trigger_type") {
            v.one_of(x, &format!("{p}.trigger_type"), &["manual", "automatic"]);
        }
        if let Some(x) = get(tm, "transition_type") {
            v.one_of(
                x,
                &format!("{p}.transition_type"),
                &[
                    "standalone_transition",
                    "parallel_transition",
                    "child_transition",
                ],
            );
        }
    }
}

// ───── Salesloft ─────

fn salesloft(v: &mut V, body: &Value) {
    let Some(m) = v.obj(
        body,
        "$",
        &["settings", "sharing_settings", "cadence_content"],
        &["cadence_content"],
    ) else {
        return;
    };
    let has_id = get(m, "cadence_content")
        .and_then(|c| c.get("cadence_id"))
        .is_some();
    if !has_id && get(m, "settings").is_none() {
        v.err(
            "$",
            "`settings` is required unless `cadence_content.cadence_id` is given",
        );
    }
    if let Some(s) = get(m, "settings") {
        if let Some(sm) = v.obj(
            s,
            "$.settings",
            &[
                "name",
                "target_daily_people",
                "remove_replied",
                "remove_bounced",
                "reschedule_from_pause_enabled",
                "remove_people_when_meeting_booked",
                "external_identifier",
                "cadence_function",
                "cadence_priority",
                "cadence_owner",
                "added_stage_setting",
                "bounced_stage_setting",
                "finished_stage_setting",
                "replied_stage_setting",
                "tags",
            ],
            &["name"],
        ) {
            for (k, x) in sm {
                let p = format!("$.settings.{k}");
                match k.as_str() {
                    "name"
                    | "cadence_priority"
                    | "cadence_owner"
                    | "added_stage_setting"
                    | "bounced_stage_setting"
                    | "finished_stage_setting"
                    | "replied_stage_setting" => {
                        v.string(x, &p, 1, usize::MAX);
                    }
                    "target_daily_people" => {
                        v.int(x, &p, 0, i64::MAX);
                    }
                    "remove_replied"
                    | "remove_bounced"
                    | "reschedule_from_pause_enabled"
                    | "remove_people_when_meeting_booked" => v.boolean(x, &p),
                    "external_identifier" if !(x.is_string() || x.is_null() || x.is_i64()) => {
                        v.err(&p, "must be a string or null");
                    }
                    "cadence_function" => {
                        v.one_of(x, &p, &["outbound", "inbound", "event", "other"]);
                    }
                    "tags" => {
                        let ok = x.is_string()
                            || x.as_array()
                                .map(|a| a.iter().all(Value::is_string))
                                .unwrap_or(false);
                        if !ok {
                            v.err(&p, "must be a string or a list of strings");
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    if let Some(s) = get(m, "sharing_settings") {
        if let Some(sm) = v.obj(s, "$.sharing_settings", &["team_cadence", "shared"], &[]) {
            for (k, x) in sm {
                v.boolean(x, &format!("$.sharing_settings.{k}"));
            }
        }
    }
    let Some(cc) = get(m, "cadence_content") else {
        return;
    };
    let Some(cm) = v.obj(
        cc,
        "$.cadence_content",
        &["cadence_id", "step_groups"],
        &["step_groups"],
    ) else {
        return;
    };
    if let Some(id) = get(cm, "cadence_id") {
        v.int(id, "$.cadence_content.cadence_id", 1, i64::MAX);
    }
    let Some(groups) = get(cm, "step_groups") else {
        return;
    };
    let groups = v.array(groups, "$.cadence_content.step_groups", 0, usize::MAX);
    // reference id → (day, has an email step)
    let mut refs: BTreeMap<String, (i64, bool)> = BTreeMap::new();
    for g in groups {
        if let Some(r) = g.get("reference_id") {
            let key = r
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| r.to_string());
            let day = g.get("day").and_then(Value::as_i64).unwrap_or(0);
            let email = g
                .get("steps")
                .and_then(Value::as_array)
                .map(|s| {
                    s.iter()
                        .any(|x| x.get("type").and_then(Value::as_str) == Some("Email"))
                })
                .unwrap_or(false);
            if refs.insert(key.clone(), (day, email)).is_some() {
                v.err(
                    "$.cadence_content.step_groups",
                    format!("reference_id `{key}` is used twice"),
                );
            }
        }
    }
    for (i, g) in groups.iter().enumerate() {
        let p = format!("$.cadence_content.step_groups[{i}]");
        let Some(gm) = v.obj(
            g,
            &p,
            &[
                "day",
                "due_immediately",
                "automated",
                "automated_settings",
                "steps",
                "reference_id",
            ],
            &["day", "due_immediately", "automated", "steps"],
        ) else {
            continue;
        };
        let day = get(gm, "day")
            .and_then(|d| v.int(d, &format!("{p}.day"), 1, i64::MAX))
            .unwrap_or(1);
        if let Some(x) = get(gm, "due_immediately") {
            v.boolean(x, &format!("{p}.due_immediately"));
        }
        if let Some(r) = get(gm, "reference_id") {
            if !(r.is_string() || r.is_i64()) {
                v.err(&format!("{p}.reference_id"), "must be a string");
            }
        }
        let automated = get(gm, "automated").and_then(Value::as_bool);
        if automated.is_none() {
            v.err(&format!("{p}.automated"), "must be a boolean");
        }
        let steps = get(gm, "steps")
            .map(|s| v.array(s, &format!("{p}.steps"), 0, usize::MAX))
            .unwrap_or(&[]);
        let all_email = steps
            .iter()
            .all(|s| s.get("type").and_then(Value::as_str) == Some("Email"));
        if automated == Some(true) && !all_email {
            v.err(&p, "only a group of Email steps can be automated");
        }
        match (automated, get(gm, "automated_settings")) {
            (Some(true), None) => v.err(&p, "`automated_settings` is required when automated"),
            (Some(true), Some(a)) => {
                salesloft_automated(v, a, &format!("{p}.automated_settings"));
            }
            (_, Some(a)) if !a.as_object().map(|o| o.is_empty()).unwrap_or(false) => {
                v.err(&p, "`automated_settings` is only valid when automated")
            }
            _ => {}
        }
        for (j, s) in steps.iter().enumerate() {
            salesloft_step(v, s, &format!("{p}.steps[{j}]"), day, &refs);
        }
    }
}

fn salesloft_automated(v: &mut V, a: &Value, p: &str) {
    let Some(m) = v.obj(
        a,
        p,
        &[
            "send_type",
            "time_of_day",
            "timezone_mode",
            "delay_time",
            "allow_send_on_weekends",
        ],
        &["send_type"],
    ) else {
        return;
    };
    if let Some(w) = get(m, "allow_send_on_weekends") {
        v.boolean(w, &format!("{p}.allow_send_on_weekends"));
    }
    match get(m, "send_type")
        .and_then(|s| {
            v.one_of(
                s,
                &format!("{p}.send_type"),
                &["at_time", "after_time_delay"],
            )
        })
        .as_deref()
    {
        Some("at_time") => {
            let ok = get(m, "time_of_day")
                .and_then(Value::as_str)
                .map(|s| s.len() == 5 && chrono::NaiveTime::parse_from_str(s, "%H:%M").is_ok())
                .unwrap_or(false);
            if !ok {
                v.err(p, "`time_of_day` (HH:MM) is required with at_time");
            }
            match get(m, "timezone_mode") {
                Some(t) => {
                    v.one_of(t, &format!("{p}.timezone_mode"), &["person", "user"]);
                }
                None => v.err(p, "`timezone_mode` is required with at_time"),
            }
        }
        Some(_) => match get(m, "delay_time") {
            Some(d) => {
                v.int(d, &format!("{p}.delay_time"), 0, 720);
            }
            None => v.err(p, "`delay_time` is required with after_time_delay"),
        },
        None => {}
    }
}

fn salesloft_step(v: &mut V, s: &Value, p: &str, day: i64, refs: &BTreeMap<String, (i64, bool)>) {
    let Some(m) = v.obj(
        s,
        p,
        &["type", "type_settings", "enabled", "name"],
        &["type", "type_settings"],
    ) else {
        return;
    };
    if let Some(e) = get(m, "enabled") {
        v.boolean(e, &format!("{p}.enabled"));
    }
    if let Some(n) = get(m, "name") {
        v.string(n, &format!("{p}.name"), 0, usize::MAX);
    }
    let ty = get(m, "type").and_then(|t| {
        v.one_of(
            t,
            &format!("{p}.type"),
            &["Email", "Phone", "Other", "Integration"],
        )
    });
    let Some(ts) = get(m, "type_settings") else {
        return;
    };
    let q = format!("{p}.type_settings");
    match ty.as_deref() {
        Some("Email") => {
            let Some(tm) = v.obj(
                ts,
                &q,
                &["previous_email_step_group_reference_id", "email_template"],
                &["email_template"],
            ) else {
                return;
            };
            match get(tm, "previous_email_step_group_reference_id") {
                None | Some(Value::Null) => {}
                Some(r) => {
                    let key = r
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| r.to_string());
                    match refs.get(&key) {
                        Some((d, true)) if *d <= day => {}
                        _ => v.err(&q, format!("previous email step group `{key}` is not an earlier group with an Email step")),
                    }
                }
            }
            if let Some(t) = get(tm, "email_template") {
                let r = format!("{q}.email_template");
                if let Some(em) = v.obj(
                    t,
                    &r,
                    &[
                        "title",
                        "subject",
                        "body",
                        "open_tracking",
                        "click_tracking",
                        "attachments",
                    ],
                    &[],
                ) {
                    for k in ["title", "subject", "body"] {
                        if let Some(x) = get(em, k) {
                            v.string(x, &format!("{r}.{k}"), 0, usize::MAX);
                        }
                    }
                    for k in ["open_tracking", "click_tracking"] {
                        if let Some(x) = get(em, k) {
                            v.boolean(x, &format!("{r}.{k}"));
                        }
                    }
                    if let Some(a) = get(em, "attachments") {
                        v.array(a, &format!("{r}.attachments"), 0, usize::MAX);
                    }
                }
            }
        }
        Some("Phone") | Some("Other") => {
            if let Some(tm) = v.obj(ts, &q, &["instructions"], &[]) {
                if let Some(i) = get(tm, "instructions") {
                    v.string(i, &format!("{q}.instructions"), 0, usize::MAX);
                }
            }
        }
        Some(_) => {
            if let Some(tm) = v.obj(
                ts,
                &q,
                &[
                    "instructions",
                    "integration_id",
                    "integration_step_type_guid",
                ],
                &["integration_id", "integration_step_type_guid"],
            ) {
                if let Some(i) = get(tm, "integration_id") {
                    v.int(i, &format!("{q}.integration_id"), 1, i64::MAX);
                }
            }
        }
        None => {}
    }
}

// ───── HubSpot ─────

fn hubspot_id(v: &mut V, x: &Value, p: &str) {
    let ok = x.as_str().map(|s| !s.is_empty()).unwrap_or(false) || x.as_u64().is_some();
    if !ok {
        v.err(p, "must be a non-empty string or a non-negative integer");
    }
}

fn hubspot_sequence(v: &mut V, body: &Value) {
    let Some(m) = v.obj(
        body,
        "$",
        &[
            "name",
            "steps",
            "dependencies",
            "settings",
            "dynamic",
            "engagementTriggers",
            "folderId",
            "userId",
        ],
        &["name", "steps"],
    ) else {
        return;
    };
    if let Some(n) = get(m, "name") {
        v.string(n, "$.name", 1, usize::MAX);
    }
    for k in ["folderId", "userId"] {
        if let Some(x) = get(m, k) {
            hubspot_id(v, x, &format!("$.{k}"));
        }
    }
    if let Some(d) = get(m, "dynamic") {
        v.boolean(d, "$.dynamic");
    }
    if let Some(et) = get(m, "engagementTriggers") {
        if let Some(em) = v.obj(
            et,
            "$.engagementTriggers",
            &["numberOfClicks", "numberOfOpens"],
            &[],
        ) {
            for (k, x) in em {
                v.int(x, &format!("$.engagementTriggers.{k}"), 0, i64::MAX);
            }
        }
    }
    // step order → action type, for the main branch
    let mut main: BTreeMap<i64, String> = BTreeMap::new();
    let mut branches: BTreeSet<(i64, i64)> = BTreeSet::new();
    let steps = get(m, "steps")
        .map(|s| v.array(s, "$.steps", 0, usize::MAX))
        .unwrap_or(&[]);
    for (i, s) in steps.iter().enumerate() {
        let p = format!("$.steps[{i}]");
        let Some(sm) = v.obj(
            s,
            &p,
            &[
                "stepOrder",
                "delayMillis",
                "actionType",
                "emailPattern",
                "taskPattern",
                "branchNumber",
                "dynamic",
                "variants",
                "delayMillisMin",
                "delayMillisMax",
            ],
            &["stepOrder", "delayMillis"],
        ) else {
            continue;
        };
        let order =
            get(sm, "stepOrder").and_then(|x| v.int(x, &format!("{p}.stepOrder"), 0, i64::MAX));
        if let Some(d) = get(sm, "delayMillis") {
            v.int(d, &format!("{p}.delayMillis"), 0, i64::MAX);
        }
        let branch = get(sm, "branchNumber")
            .and_then(|b| v.int(b, &format!("{p}.branchNumber"), 0, i64::MAX))
            .unwrap_or(0);
        let (min, max) = (
            get(sm, "delayMillisMin")
                .and_then(|x| v.int(x, &format!("{p}.delayMillisMin"), 0, i64::MAX)),
            get(sm, "delayMillisMax")
                .and_then(|x| v.int(x, &format!("{p}.delayMillisMax"), 0, i64::MAX)),
        );
        if let (Some(a), Some(b)) = (min, max) {
            if a > b {
                v.err(&p, "delayMillisMin is greater than delayMillisMax");
            }
        }
        let action = get(sm, "actionType").and_then(|a| {
            v.one_of(
                a,
                &format!("{p}.actionType"),
                &["EMAIL", "TASK", "FINISH_ENROLLMENT"],
            )
        });
        let (ep, tp) = (get(sm, "emailPattern"), get(sm, "taskPattern"));
        match action.as_deref() {
            Some("EMAIL") if ep.is_none() || tp.is_some() => {
                v.err(&p, "an EMAIL step has an emailPattern and no taskPattern")
            }
            Some("TASK") if tp.is_none() || ep.is_some() => {
                v.err(&p, "a TASK step has a taskPattern and no emailPattern")
            }
            Some("FINISH_ENROLLMENT") if tp.is_some() || ep.is_some() => {
                v.err(&p, "a FINISH_ENROLLMENT step has no pattern")
            }
            _ => {}
        }
        if let Some(e) = ep {
            let q = format!("{p}.emailPattern");
            if let Some(em) = v.obj(
                e,
                &q,
                &["templateId", "threadEmailToStepOrder"],
                &["templateId"],
            ) {
                if let Some(t) = get(em, "templateId") {
                    hubspot_id(v, t, &format!("{q}.templateId"));
                }
                if let (Some(t), Some(o)) = (get(em, "threadEmailToStepOrder"), order) {
                    thread_ok(v, t, o, &main, &format!("{q}.threadEmailToStepOrder"));
                }
            }
        }
        if let Some(t) = tp {
            let q = format!("{p}.taskPattern");
            if let Some(tm) = v.obj(
                t,
                &q,
                &[
                    "taskType",
                    "taskPriority",
                    "subject",
                    "notes",
                    "queueId",
                    "templateId",
                    "threadEmailToStepOrder",
                ],
                &["taskType", "taskPriority"],
            ) {
                if let Some(x) = get(tm, "taskType") {
                    v.one_of(
                        x,
                        &format!("{q}.taskType"),
                        &[
                            "CALL",
                            "EMAIL",
                            "LINKED_IN_CONNECT",
                            "LINKED_IN_MESSAGE",
                            "MEETING",
                            "TODO",
                        ],
                    );
                }
                if let Some(x) = get(tm, "taskPriority") {
                    v.one_of(
                        x,
                        &format!("{q}.taskPriority"),
                        &["HIGH", "MEDIUM", "LOW", "NONE"],
                    );
                }
                for k in ["subject", "notes"] {
                    if let Some(x) = get(tm, k) {
                        v.string(x, &format!("{q}.{k}"), 0, usize::MAX);
                    }
                }
                for k in ["queueId", "templateId"] {
                    if let Some(x) = get(tm, k) {
                        hubspot_id(v, x, &format!("{q}.{k}"));
                    }
                }
                if let (Some(x), Some(o)) = (get(tm, "threadEmailToStepOrder"), order) {
                    thread_ok(v, x, o, &main, &format!("{q}.threadEmailToStepOrder"));
                }
            }
        }
        if let Some(vs) = get(sm, "variants") {
            let mut ords = BTreeSet::new();
            for (j, x) in v
                .array(vs, &format!("{p}.variants"), 0, usize::MAX)
                .iter()
                .enumerate()
            {
                let q = format!("{p}.variants[{j}]");
                if let Some(xm) = v.obj(x, &q, &["activated", "variantOrdinal"], &[]) {
                    if let Some(a) = get(xm, "activated") {
                        v.boolean(a, &format!("{q}.activated"));
                    }
                    if let Some(o) = get(xm, "variantOrdinal")
                        .and_then(|o| v.int(o, &format!("{q}.variantOrdinal"), 0, i64::MAX))
                    {
                        if !ords.insert(o) {
                            v.err(&q, format!("variantOrdinal {o} repeats"));
                        }
                    }
                }
            }
        }
        if let Some(o) = order {
            if !branches.insert((branch, o)) {
                v.err(&p, format!("stepOrder {o} repeats in branch {branch}"));
            }
            if branch == 0 {
                main.insert(o, action.clone().unwrap_or_default());
            }
        }
    }
    for (i, o) in main.keys().enumerate() {
        if *o != i as i64 {
            v.err(
                "$.steps",
                "the main sequence must be numbered 0…n−1 without gaps",
            );
            break;
        }
    }
    if let Some(deps) = get(m, "dependencies") {
        let mut seen = BTreeSet::new();
        for (i, d) in v
            .array(deps, "$.dependencies", 0, usize::MAX)
            .iter()
            .enumerate()
        {
            let p = format!("$.dependencies[{i}]");
            let Some(dm) = v.obj(
                d,
                &p,
                &[
                    "reliesOnStepOrder",
                    "requiredByStepOrder",
                    "dependencyType",
                    "branchNumber",
                ],
                &["reliesOnStepOrder", "requiredByStepOrder"],
            ) else {
                continue;
            };
            let a = get(dm, "reliesOnStepOrder")
                .and_then(|x| v.int(x, &format!("{p}.reliesOnStepOrder"), 0, i64::MAX));
            let b = get(dm, "requiredByStepOrder")
                .and_then(|x| v.int(x, &format!("{p}.requiredByStepOrder"), 0, i64::MAX));
            let ty = get(dm, "dependencyType").and_then(|x| {
                v.one_of(
                    x,
                    &format!("{p}.dependencyType"),
                    &["TASK_COMPLETION", "MANUAL_PAUSE"],
                )
            });
            if let (Some(a), Some(b)) = (a, b) {
                if !main.contains_key(&a) || !main.contains_key(&b) {
                    v.err(&p, "both step orders must exist");
                }
                if a >= b {
                    v.err(&p, "reliesOnStepOrder must come before requiredByStepOrder");
                }
                if ty.as_deref() == Some("TASK_COMPLETION")
                    && main.get(&a).map(String::as_str) != Some("TASK")
                {
                    v.err(&p, "TASK_COMPLETION must rely on a TASK step");
                }
                if !seen.insert((a, b, ty.clone())) {
                    v.err(&p, "duplicate dependency");
                }
            }
        }
    }
    if let Some(s) = get(m, "settings") {
        hubspot_settings(v, s);
    }
}

fn thread_ok(v: &mut V, t: &Value, order: i64, main: &BTreeMap<i64, String>, p: &str) {
    match t.as_i64() {
        Some(x) if x < order && main.get(&x).map(String::as_str) == Some("EMAIL") => {}
        _ => v.err(p, "must name an earlier EMAIL step"),
    }
}

fn hubspot_settings(v: &mut V, s: &Value) {
    let Some(m) = v.obj(
        s,
        "$.settings",
        &[
            "eligibleFollowUpDays",
            "sendWindowStartMinute",
            "sendWindowEndMinute",
            "taskReminderMinute",
            "taskCreationMinute",
            "individualTaskRemindersEnabled",
            "useThreadedFollowUps",
            "sellingStrategy",
            "unenrollmentSettings",
        ],
        &[],
    ) else {
        return;
    };
    if let Some(x) = get(m, "eligibleFollowUpDays") {
        v.one_of(
            x,
            "$.settings.eligibleFollowUpDays",
            &["BUSINESS_DAYS", "EVERYDAY", "WEEKDAYS_ONLY"],
        );
    }
    for k in [
        "sendWindowStartMinute",
        "sendWindowEndMinute",
        "taskReminderMinute",
        "taskCreationMinute",
    ] {
        if let Some(x) = get(m, k) {
            v.int(x, &format!("$.settings.{k}"), 0, 1440);
        }
    }
    if let (Some(a), Some(b)) = (
        get(m, "sendWindowStartMinute").and_then(Value::as_i64),
        get(m, "sendWindowEndMinute").and_then(Value::as_i64),
    ) {
        if a >= b {
            v.err("$.settings", "the send window must start before it ends");
        }
    }
    for k in ["individualTaskRemindersEnabled", "useThreadedFollowUps"] {
        if let Some(x) = get(m, k) {
            v.boolean(x, &format!("$.settings.{k}"));
        }
    }
    if let Some(x) = get(m, "sellingStrategy") {
        v.one_of(
            x,
            "$.settings.sellingStrategy",
            &["ACCOUNT_BASED", "LEAD_BASED"],
        );
    }
    if let Some(u) = get(m, "unenrollmentSettings") {
        if let Some(um) = v.obj(
            u,
            "$.settings.unenrollmentSettings",
            &["emailSettings", "meetingSettings"],
            &[],
        ) {
            for (k, x) in um {
                let p = format!("$.settings.unenrollmentSettings.{k}");
                if let Some(xm) = v.obj(x, &p, &["criteria", "sellingStrategy"], &[]) {
                    if let Some(c) = get(xm, "criteria") {
                        v.one_of(c, &format!("{p}.criteria"), &["ALL", "NONE"]);
                    }
                    if let Some(c) = get(xm, "sellingStrategy") {
                        v.one_of(
                            c,
                            &format!("{p}.sellingStrategy"),
                            &["LEAD_BASED", "ACCOUNT_BASED"],
                        );
                    }
                }
            }
        }
    }
}

fn hubspot_pipeline(v: &mut V, body: &Value) {
    let Some(m) = v.obj(
        body,
        "$",
        &["label", "displayOrder", "stages", "pipelineId"],
        &["label", "displayOrder", "stages"],
    ) else {
        return;
    };
    if let Some(l) = get(m, "label") {
        v.string(l, "$.label", 1, usize::MAX);
    }
    if let Some(d) = get(m, "displayOrder") {
        v.int(d, "$.displayOrder", 0, i64::MAX);
    }
    let Some(stages) = get(m, "stages") else {
        return;
    };
    let mut labels = BTreeSet::new();
    for (i, s) in v.array(stages, "$.stages", 1, 100).iter().enumerate() {
        let p = format!("$.stages[{i}]");
        let Some(sm) = v.obj(
            s,
            &p,
            &["label", "displayOrder", "metadata", "stageId"],
            &["label", "displayOrder", "metadata"],
        ) else {
            continue;
        };
        if let Some(l) =
            get(sm, "label").and_then(|l| v.string(l, &format!("{p}.label"), 1, usize::MAX))
        {
            if !labels.insert(l.clone()) {
                v.err(&p, format!("stage label `{l}` is used twice"));
            }
        }
        if let Some(d) = get(sm, "displayOrder") {
            v.int(d, &format!("{p}.displayOrder"), 0, i64::MAX);
        }
        if let Some(md) = get(sm, "metadata") {
            let q = format!("{p}.metadata");
            if let Some(mm) = v.obj(md, &q, &["probability", "isClosed"], &["probability"]) {
                if let Some(pr) = get(mm, "probability") {
                    let x = pr
                        .as_f64()
                        .or_else(|| pr.as_str().and_then(|s| s.parse::<f64>().ok()));
                    match x {
                        Some(x)
                            if (0.0..=1.0).contains(&x)
                                && ((x * 10.0).round() - x * 10.0).abs() < 1e-9 => {}
                        _ => v.err(
                            &format!("{q}.probability"),
                            "must be 0.0–1.0 in steps of 0.1",
                        ),
                    }
                }
                if let Some(c) = get(mm, "isClosed") {
                    if !matches!(c.as_str(), Some("true" | "false")) && !c.is_boolean() {
                        v.err(&format!("{q}.isClosed"), "must be true or false");
                    }
                }
            }
        }
    }
}
