//! What can only be checked once every kind is read: application policy
//! entries resolved against the reusable policies, incomplete lists, device
//! profiles whose split tunnel has both modes (`config.md` §3, §4, §7).

use super::access::who;
use super::model::{Config, Problem, Severity};
use crate::hash::TextMap as HashMap;

fn push(problems: &mut Vec<Problem>, severity: Severity, file: &str, path: &str, message: String) {
    problems.push(Problem {
        severity,
        file: file.to_string(),
        path: path.to_string(),
        message,
        expr: None,
        position: None,
    });
}

/// Runs the checks that need the whole configuration.
pub fn finish(cfg: &mut Config, problems: &mut Vec<Problem>) {
    for list in &cfg.lists {
        if let Some(count) = list.count
            && count > list.items.len()
        {
            push(
                problems,
                Severity::Warning,
                &list.file,
                &list.path,
                format!(
                    "list {} is incomplete: {} of {count} items known (export `GET …/gateway/lists/{}/items` as `list_items/{}.json`); tests on other values are unknown",
                    who(&list.name, Some(&list.id)),
                    list.items.len(),
                    list.id,
                    list.id
                ),
            );
        }
    }
    for p in &cfg.device_profiles {
        let set = |k: &str| {
            p.settings
                .get(k)
                .is_some_and(|v| v.as_array().is_none_or(|a| !a.is_empty()))
        };
        if set("include") && set("exclude") {
            push(
                problems,
                Severity::Warning,
                &p.file,
                &p.path,
                format!(
                    "device profile {} sets both split tunnel `include` and `exclude`; a profile uses one mode",
                    who(&p.name, p.id.as_deref())
                ),
            );
        }
    }
    resolve_policies(cfg, problems);
}

/// Settles what each application `policies` entry is (`config.md` §7).
fn resolve_policies(cfg: &mut Config, problems: &mut Vec<Problem>) {
    let by_id: HashMap<&str, usize> = cfg
        .policies
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.id.as_deref().map(|id| (id, i)))
        .collect();
    for app in &mut cfg.applications {
        let app_name = who(&app.name, app.id.as_deref());
        let mut keep = Vec::with_capacity(app.policies.len());
        for mut entry in std::mem::take(&mut app.policies) {
            match (
                entry.id.as_deref().and_then(|id| by_id.get(id)),
                &entry.body,
            ) {
                (Some(&i), body) => {
                    let Some(reusable) = cfg.policies.get(i) else {
                        continue;
                    };
                    if let Some(body) = body {
                        let same = body.decision == reusable.decision
                            && rules_json(&body.include) == rules_json(&reusable.include)
                            && rules_json(&body.require) == rules_json(&reusable.require)
                            && rules_json(&body.exclude) == rules_json(&reusable.exclude);
                        if !same {
                            push(
                                problems,
                                Severity::Warning,
                                &app.file,
                                &entry.path,
                                format!(
                                    "the entry links reusable policy {}, whose body differs from the one embedded here; the reusable policy is used",
                                    who(&reusable.name, reusable.id.as_deref())
                                ),
                            );
                        }
                    }
                    entry.reusable = Some(i);
                    entry.body = None;
                    keep.push(entry);
                }
                (None, Some(_)) => keep.push(entry),
                (None, None) => push(
                    problems,
                    Severity::Error,
                    &app.file,
                    &format!("{}.id", entry.path),
                    format!(
                        "application {app_name}: unknown policy `{}` (not among `access_policies`, and the entry has no body)",
                        entry.id.as_deref().unwrap_or("")
                    ),
                ),
            }
        }
        app.policies = keep;
        let with = app
            .policies
            .iter()
            .filter(|e| e.precedence.is_some())
            .count();
        if with != 0 && with != app.policies.len() {
            push(
                problems,
                Severity::Error,
                &app.file,
                &format!("{}.policies", app.path),
                format!(
                    "application {app_name}: {with} of {} policy entries have a `precedence`; give it on all or none",
                    app.policies.len()
                ),
            );
        }
        let linked = app.policies.iter().filter(|e| e.reusable.is_some()).count();
        if linked != 0 && linked != app.policies.len() {
            push(
                problems,
                Severity::Error,
                &app.file,
                &format!("{}.policies", app.path),
                format!(
                    "application {app_name} mixes reusable and inline policies ({linked} reusable, {} inline); the API refuses this",
                    app.policies.len() - linked
                ),
            );
        }
    }
}

fn rules_json(rules: &[super::model::RuleAt]) -> Vec<&crate::json::tree::Value> {
    rules.iter().map(|r| &r.json).collect()
}
