//! Salesloft's documented request rules (see `validate`), checked on a built body.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::targets::validate::{get, V};

pub(crate) fn cadence(v: &mut V, body: &Value) {
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
