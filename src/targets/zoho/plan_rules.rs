//! The `zoho-blueprint` plan's rules: the calls in their documented order, each body with only
//! the fields of its documented request, and every placeholder given by an earlier call.
//!
//! Fields: [create Blueprint](https://www.zoho.com/crm/developer/docs/api/v8/create-blueprint.html),
//! [create Blueprint states](https://www.zoho.com/crm/developer/docs/api/v8/create-blueprint-states.html),
//! [create Blueprint transitions](https://www.zoho.com/crm/developer/docs/api/v8/create-blueprint-transitions.html).

use std::collections::BTreeSet;

use serde_json::Value;

use super::blueprint::{BLUEPRINT_PAGE, PLAN_FORMAT, STATES_PAGE, TRANSITIONS_PAGE};
use crate::targets::validate::{get, V};

/// The keys of one Blueprint object in the create-Blueprint request.
pub const BLUEPRINT_KEYS: [&str; 13] = [
    "name",
    "api_name",
    "description",
    "module",
    "layout",
    "field",
    "continuous",
    "owners",
    "entry_criteria",
    "pipeline",
    "states",
    "transitions",
    "connections",
];
/// The keys of one state in the create-states request.
pub const STATE_KEYS: [&str; 4] = [
    "process_id",
    "module",
    "pick_list_value",
    "state_escalation",
];
/// The keys of one transition in the create-transitions request.
pub const TRANSITION_KEYS: [&str; 12] = [
    "name",
    "description",
    "trigger_type",
    "transition_type",
    "module",
    "layout",
    "color_code",
    "criteria",
    "owners",
    "common_source",
    "during_inputs",
    "actions",
];
const PERIODS: [&str; 5] = [
    "days",
    "hours",
    "minutes",
    "business_days",
    "business_hours",
];

/// The `{{name.id}}` placeholders in a value, in order.
fn placeholders(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            let mut rest = s.as_str();
            while let Some(a) = rest.find("{{") {
                let Some(b) = rest[a..].find("}}") else { break };
                out.push(rest[a..a + b + 2].to_string());
                rest = &rest[a + b + 2..];
            }
        }
        Value::Array(a) => a.iter().for_each(|x| placeholders(x, out)),
        Value::Object(m) => m.values().for_each(|x| placeholders(x, out)),
        _ => {}
    }
}

fn api_name_or_id(v: &mut V, x: &Value, path: &str) {
    if let Some(m) = v.obj(x, path, &["api_name", "id"], &[]) {
        if m.is_empty() {
            v.err(path, "needs `api_name` or `id`");
        }
    }
}

pub(crate) fn blueprint_plan(v: &mut V, body: &Value) {
    let Some(m) = v.obj(
        body,
        "$",
        &["format", "pipeline", "calls", "connections"],
        &["format", "pipeline", "calls", "connections"],
    ) else {
        return;
    };
    if get(m, "format").and_then(Value::as_str) != Some(PLAN_FORMAT) {
        v.err("$.format", format!("must be `{PLAN_FORMAT}`"));
    }
    let Some(calls) = get(m, "calls") else { return };
    // the documented order: the Blueprint, its states, then the transitions
    let order = [
        ("blueprint", "/crm/v8/settings/blueprints", BLUEPRINT_PAGE),
        (
            "states",
            "/crm/v8/settings/blueprints/{{blueprint.id}}/states",
            STATES_PAGE,
        ),
        (
            "transitions",
            "/crm/v8/settings/blueprints/transitions",
            TRANSITIONS_PAGE,
        ),
    ];
    let mut given: BTreeSet<String> = BTreeSet::new();
    for (i, c) in v.array(calls, "$.calls", 2, 3).iter().enumerate() {
        let p = format!("$.calls[{i}]");
        let Some(cm) = v.obj(
            c,
            &p,
            &["name", "method", "path", "page", "body", "returns"],
            &["name", "method", "path", "page", "body", "returns"],
        ) else {
            continue;
        };
        let Some(&(name, path, page)) = order.get(i) else {
            continue;
        };
        if get(cm, "name").and_then(Value::as_str) != Some(name) {
            v.err(&format!("{p}.name"), format!("call {i} must be `{name}`"));
        }
        if get(cm, "method").and_then(Value::as_str) != Some("POST") {
            v.err(&format!("{p}.method"), "must be POST");
        }
        if get(cm, "path").and_then(Value::as_str) != Some(path) {
            v.err(&format!("{p}.path"), format!("must be `{path}`"));
        }
        if get(cm, "page").and_then(Value::as_str) != Some(page) {
            v.err(&format!("{p}.page"), format!("must be `{page}`"));
        }
        // what the call uses must come from an earlier call's response
        let mut used = Vec::new();
        placeholders(get(cm, "path").unwrap_or(&Value::Null), &mut used);
        placeholders(get(cm, "body").unwrap_or(&Value::Null), &mut used);
        for u in used {
            if !given.contains(&u) {
                v.err(&p, format!("`{u}` is not given by an earlier call"));
            }
        }
        if let Some(b) = get(cm, "body") {
            let q = format!("{p}.body");
            match name {
                "blueprint" => blueprint_body(v, b, &q),
                "states" => states_body(v, b, &q),
                _ => transitions_body(v, b, &q),
            }
        }
        if let Some(Value::Object(r)) = get(cm, "returns") {
            for (k, at) in r {
                if !(k.starts_with("{{") && k.ends_with(".id}}") && at.is_string()) {
                    v.err(
                        &format!("{p}.returns"),
                        format!("`{k}` is not a placeholder"),
                    );
                }
                if !given.insert(k.clone()) {
                    v.err(&format!("{p}.returns"), format!("`{k}` is given twice"));
                }
            }
        } else {
            v.err(&format!("{p}.returns"), "must be an object");
        }
    }
    if let Some(cs) = get(m, "connections") {
        for (i, c) in v.array(cs, "$.connections", 0, 50).iter().enumerate() {
            let p = format!("$.connections[{i}]");
            let keys = ["transition", "from_state", "to_state"];
            if let Some(cm) = v.obj(c, &p, &keys, &keys) {
                for k in keys {
                    let s = get(cm, k).and_then(Value::as_str).unwrap_or("");
                    if !given.contains(s) {
                        v.err(&format!("{p}.{k}"), format!("`{s}` is not given by a call"));
                    }
                }
            }
        }
    }
}

fn blueprint_body(v: &mut V, b: &Value, path: &str) {
    let Some(m) = v.obj(b, path, &["blueprints"], &["blueprints"]) else {
        return;
    };
    let Some(list) = get(m, "blueprints") else {
        return;
    };
    // only one Blueprint per request
    for (i, x) in v
        .array(list, &format!("{path}.blueprints"), 1, 1)
        .iter()
        .enumerate()
    {
        let p = format!("{path}.blueprints[{i}]");
        let Some(bm) = v.obj(
            x,
            &p,
            &BLUEPRINT_KEYS,
            &["name", "module", "layout", "field"],
        ) else {
            continue;
        };
        if let Some(n) = get(bm, "name") {
            v.string(n, &format!("{p}.name"), 1, 100);
        }
        for k in ["module", "layout", "field"] {
            if let Some(x) = get(bm, k) {
                api_name_or_id(v, x, &format!("{p}.{k}"));
            }
        }
    }
}

fn states_body(v: &mut V, b: &Value, path: &str) {
    let Some(m) = v.obj(b, path, &["states"], &["states"]) else {
        return;
    };
    let Some(list) = get(m, "states") else { return };
    for (i, s) in v
        .array(list, &format!("{path}.states"), 1, 50)
        .iter()
        .enumerate()
    {
        let p = format!("{path}.states[{i}]");
        let Some(sm) = v.obj(s, &p, &STATE_KEYS, &["module", "pick_list_value"]) else {
            continue;
        };
        if let Some(x) = get(sm, "module") {
            api_name_or_id(v, x, &format!("{p}.module"));
        }
        if let Some(x) = get(sm, "pick_list_value") {
            let q = format!("{p}.pick_list_value");
            if let Some(pm) = v.obj(x, &q, &["actual_value", "id"], &[]) {
                if pm.is_empty() {
                    v.err(&q, "needs `actual_value` or `id`");
                }
            }
        }
        if let Some(e) = get(sm, "state_escalation") {
            escalation(v, e, &format!("{p}.state_escalation"));
        }
    }
}

fn escalation(v: &mut V, e: &Value, path: &str) {
    let keys = ["period", "value", "trigger_details"];
    let Some(m) = v.obj(e, path, &keys, &keys) else {
        return;
    };
    if let Some(x) = get(m, "period") {
        v.one_of(x, &format!("{path}.period"), &PERIODS);
    }
    if let Some(x) = get(m, "value") {
        v.int(x, &format!("{path}.value"), 0, i64::MAX);
    }
    let Some(t) = get(m, "trigger_details") else {
        return;
    };
    let q = format!("{path}.trigger_details");
    for (i, d) in v.array(t, &q, 1, usize::MAX).iter().enumerate() {
        let r = format!("{q}[{i}]");
        let keys = ["period", "execute_type", "value", "actions"];
        let Some(dm) = v.obj(d, &r, &keys, &keys) else {
            continue;
        };
        if let Some(x) = get(dm, "period") {
            v.one_of(x, &format!("{r}.period"), &PERIODS);
        }
        if let Some(x) = get(dm, "execute_type") {
            v.one_of(x, &format!("{r}.execute_type"), &["before", "on", "after"]);
        }
        if let Some(x) = get(dm, "value") {
            v.int(x, &format!("{r}.value"), 0, i64::MAX);
        }
        if let Some(a) = get(dm, "actions") {
            for (j, act) in v
                .array(a, &format!("{r}.actions"), 1, usize::MAX)
                .iter()
                .enumerate()
            {
                let s = format!("{r}.actions[{j}]");
                if let Some(am) = v.obj(act, &s, &["type", "details"], &["type", "details"]) {
                    if let Some(d) = get(am, "details") {
                        if let Some(dd) =
                            v.obj(d, &format!("{s}.details"), &["name", "id"], &["id"])
                        {
                            if let Some(id) = get(dd, "id") {
                                v.numeric_id(id, &format!("{s}.details.id"));
                            }
                        }
                    }
                }
            }
        }
    }
}

fn transitions_body(v: &mut V, b: &Value, path: &str) {
    let Some(m) = v.obj(b, path, &["transitions"], &["transitions"]) else {
        return;
    };
    let Some(list) = get(m, "transitions") else {
        return;
    };
    let mut names = BTreeSet::new();
    let required = [
        "name",
        "trigger_type",
        "transition_type",
        "module",
        "layout",
    ];
    for (i, t) in v
        .array(list, &format!("{path}.transitions"), 1, 50)
        .iter()
        .enumerate()
    {
        let p = format!("{path}.transitions[{i}]");
        let Some(tm) = v.obj(t, &p, &TRANSITION_KEYS, &required) else {
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
        for k in ["module", "layout"] {
            if let Some(x) = get(tm, k) {
                api_name_or_id(v, x, &format!("{p}.{k}"));
            }
        }
    }
}
