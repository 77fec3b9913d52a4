//! HubSpot's documented request rules (see `validate`), checked on a built body.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::targets::validate::{get, V};

fn hubspot_id(v: &mut V, x: &Value, p: &str) {
    let ok = x.as_str().map(|s| !s.is_empty()).unwrap_or(false) || x.as_u64().is_some();
    if !ok {
        v.err(p, "must be a non-empty string or a non-negative integer");
    }
}

/// The create-sequence (2026-09-beta) request: the fields of its documented request example
/// (https://developers.hubspot.com/docs/api-reference/2026-09-beta/automation/sequences/create-sequence);
/// the v4 read shape's `actionType`, `emailPattern`, `taskPattern`, `userId`, `dependencyType`
/// and `eligibleFollowUpDays` are not part of it.
pub(crate) fn sequence(v: &mut V, body: &Value) {
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
        ],
        &["name", "steps"],
    ) else {
        return;
    };
    if let Some(n) = get(m, "name") {
        v.string(n, "$.name", 1, usize::MAX);
    }
    if let Some(x) = get(m, "folderId") {
        hubspot_id(v, x, "$.folderId");
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
    let mut main: BTreeSet<i64> = BTreeSet::new();
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
        if let Some(d) = get(sm, "dynamic") {
            v.boolean(d, &format!("{p}.dynamic"));
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
                main.insert(o);
            }
        }
    }
    for (i, o) in main.iter().enumerate() {
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
                &["reliesOnStepOrder", "requiredByStepOrder", "branchNumber"],
                &["reliesOnStepOrder", "requiredByStepOrder"],
            ) else {
                continue;
            };
            let a = get(dm, "reliesOnStepOrder")
                .and_then(|x| v.int(x, &format!("{p}.reliesOnStepOrder"), 0, i64::MAX));
            let b = get(dm, "requiredByStepOrder")
                .and_then(|x| v.int(x, &format!("{p}.requiredByStepOrder"), 0, i64::MAX));
            if let (Some(a), Some(b)) = (a, b) {
                if !main.contains(&a) || !main.contains(&b) {
                    v.err(&p, "both step orders must exist");
                }
                if a >= b {
                    v.err(&p, "reliesOnStepOrder must come before requiredByStepOrder");
                }
                if !seen.insert((a, b)) {
                    v.err(&p, "duplicate dependency");
                }
            }
        }
    }
    if let Some(s) = get(m, "settings") {
        hubspot_settings(v, s);
    }
}

fn hubspot_settings(v: &mut V, s: &Value) {
    let Some(m) = v.obj(
        s,
        "$.settings",
        &[
            "individualTaskRemindersEnabled",
            "sendWindowStartMinute",
            "sendWindowEndMinute",
            "taskCreationMinute",
            "taskReminderMinute",
            "unenrollmentSettings",
            "useThreadedFollowUps",
        ],
        &[],
    ) else {
        return;
    };
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
    if let Some(u) = get(m, "unenrollmentSettings") {
        if let Some(um) = v.obj(
            u,
            "$.settings.unenrollmentSettings",
            &["emailSettings", "meetingSettings"],
            &[],
        ) {
            for (k, x) in um {
                // shown as `{}` in the request example; the SDKs' enums for what may go inside
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

pub(crate) fn pipeline(v: &mut V, body: &Value) {
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
                    // a number: "For deals pipelines, the probability field is required
                    // ({ "probability": 0.5 })", https://developers.hubspot.com/docs/api-reference/latest/crm/pipelines/stages/create-pipeline-stage
                    let x = pr.as_f64();
                    match x {
                        Some(x)
                            if (0.0..=1.0).contains(&x)
                                && ((x * 10.0).round() - x * 10.0).abs() < 1e-9 => {}
                        _ => v.err(
                            &format!("{q}.probability"),
                            "must be a number 0.0–1.0 in steps of 0.1",
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
