//! Zoho CRM v8's documented request rules (see `validate`), checked on a built body.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::targets::validate::{get, V};

const ZOHO_PERIODS: [&str; 6] = [
    "minutes",
    "hours",
    "business_hours",
    "days",
    "business_days",
    "months",
];

pub(crate) fn cadence(v: &mut V, body: &Value) {
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
