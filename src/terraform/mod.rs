//! Terraform JSON as a configuration (`config.md` §1 item 4): the output of
//! `terraform show -json` for a plan or a state, the Cloudflare provider v5's
//! resources mapped onto the API's kinds (`resources.rs`), and a plan's
//! values known only after apply resolved through its configuration's
//! references where they can be (`unknown.rs`). Out comes a bundle (the JSON
//! the bundle reader reads), one per side of a plan.

mod resources;
mod unknown;

use serde_json::{Map, Value};

/// Which values of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The prior state: what applies today.
    Before,
    /// The planned values: what applies once the plan is applied.
    After,
}

/// One managed resource instance on one side.
#[derive(Debug, Clone)]
pub struct Instance {
    /// `module.wfh.cloudflare_zero_trust_access_group.eng["lisbon"]`
    pub address: String,
    /// The module path (`module.wfh`), empty at the root.
    pub module: String,
    /// `cloudflare_zero_trust_access_group`
    pub kind: String,
    /// `eng`
    pub name: String,
    /// Its attribute values (unknown ones absent or null).
    pub values: Value,
    /// The plan's `after_unknown` tree for it (after side only).
    pub unknown: Value,
}

/// A read `terraform show -json` document.
#[derive(Debug, Clone, Default)]
pub struct Document {
    /// A plan (else a state).
    pub plan: bool,
    /// Resource instances before (the prior state) and after (planned).
    pub before: Vec<Instance>,
    /// After.
    pub after: Vec<Instance>,
    /// Per resource address, the actions planned (`create`, `update`,
    /// `delete`, `no-op`, `read`; a replace is `delete` + `create`).
    pub changes: Vec<(String, Vec<String>)>,
    /// The configuration's references: (module, resource address within
    /// the module, attribute) -> referenced addresses (within the module).
    pub references: Vec<(String, String, String, Vec<String>)>,
}

/// A problem of a Terraform document: `(JSON path, message)`.
pub type Problem = (String, String);

/// Whether `v` is `terraform show -json` output rather than a bundle.
pub fn is_terraform(v: &Value) -> bool {
    v.as_object()
        .is_some_and(|o| is_terraform_object(|k| o.contains_key(k)))
}

/// `is_terraform` of an object, given whether it has a key: for any JSON tree.
pub fn is_terraform_object(has: impl Fn(&str) -> bool) -> bool {
    has("format_version")
        && (has("planned_values") || has("values") || has("resource_changes") || has("prior_state"))
}

/// The format major versions read: plans and states of Terraform 0.12 and
/// later write `0.x` or `1.x`.
const MAJORS: &[&str] = &["0", "1"];

/// Reads a `terraform show -json` document. It is taken, not borrowed: each
/// resource's values are moved out of it, not copied (a plan of 20,000
/// groups held its tree and a copy of every resource at once, 800 MB for
/// 33 MB of JSON).
///
/// # Errors
/// An unsupported `format_version` major, provider v4 resources, or a
/// document of the wrong shape, each at its JSON path.
pub fn read(mut v: Value) -> Result<Document, Vec<Problem>> {
    let o = v
        .as_object_mut()
        .ok_or_else(|| vec![("$".to_string(), "expected an object".to_string())])?;
    let version = o
        .get("format_version")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let major = version.split('.').next().unwrap_or("");
    if !MAJORS.contains(&major) {
        return Err(vec![(
            "$.format_version".into(),
            format!(
                "`terraform show -json` format version `{version}` is not supported: zt-eval reads major versions {}",
                MAJORS.join(" and ")
            ),
        )]);
    }
    let mut doc = Document {
        plan: o.contains_key("planned_values") || o.contains_key("resource_changes"),
        ..Document::default()
    };
    let mut problems = Vec::new();
    if doc.plan {
        match o.get_mut("resource_changes") {
            Some(Value::Array(changes)) => {
                for (i, rc) in changes.iter_mut().enumerate() {
                    change(
                        rc,
                        &format!("$.resource_changes[{i}]"),
                        &mut doc,
                        &mut problems,
                    );
                }
            }
            _ => {
                // Without changes, the two sides are the prior state and the
                // planned values as they are.
                if let Some(m) = o
                    .get_mut("prior_state")
                    .and_then(|p| p.get_mut("values"))
                    .and_then(|x| x.get_mut("root_module"))
                {
                    module(
                        m,
                        "$.prior_state.values.root_module",
                        &mut doc.before,
                        &mut problems,
                    );
                }
                if let Some(m) = o
                    .get_mut("planned_values")
                    .and_then(|x| x.get_mut("root_module"))
                {
                    module(
                        m,
                        "$.planned_values.root_module",
                        &mut doc.after,
                        &mut problems,
                    );
                }
            }
        }
        if let Some(root) = o.get("configuration").and_then(|c| c.get("root_module")) {
            configuration(root, "", &mut doc.references);
        }
    } else {
        let no_values = o.get("values").is_none_or(Value::is_null);
        match o.get_mut("values").and_then(|x| x.get_mut("root_module")) {
            Some(m) => module(m, "$.values.root_module", &mut doc.after, &mut problems),
            None if no_values => {}
            None => problems.push(("$.values".into(), "expected `root_module`".into())),
        }
        doc.before = doc.after.clone();
    }
    // Provider v4's types and shapes are named, not misread.
    for i in doc.before.iter().chain(&doc.after) {
        if let Some(m) = resources::v4(i) {
            problems.push((i.address.clone(), m));
        }
    }
    problems.dedup();
    if problems.is_empty() {
        Ok(doc)
    } else {
        Err(problems)
    }
}

/// One `resource_changes` entry: both sides of one instance (its values
/// moved out of `rc`).
fn change(rc: &mut Value, path: &str, doc: &mut Document, problems: &mut Vec<Problem>) {
    if rc.get("mode").and_then(Value::as_str) != Some("managed") {
        return;
    }
    let text = |rc: &Value, key: &str| {
        rc.get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let Some(address) = rc.get("address").and_then(Value::as_str).map(String::from) else {
        problems.push((path.into(), "a resource change without `address`".into()));
        return;
    };
    let kind = text(rc, "type");
    let name = text(rc, "name");
    let module = text(rc, "module_address");
    let Some(ch) = rc.get_mut("change") else {
        problems.push((format!("{path}.change"), "missing".into()));
        return;
    };
    let actions: Vec<String> = ch
        .get("actions")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let instance = |values: Value, unknown: Value| Instance {
        address: address.clone(),
        module: module.clone(),
        kind: kind.clone(),
        name: name.clone(),
        values,
        unknown,
    };
    let mut take = |key: &str| ch.get_mut(key).map(Value::take).filter(Value::is_object);
    let before = take("before");
    let after = take("after");
    let after_unknown = ch.get_mut("after_unknown").map_or(Value::Null, Value::take);
    let forgotten = actions.iter().any(|a| a == "forget");
    match (before, after) {
        (before, Some(a)) => {
            if let Some(b) = before {
                doc.before.push(instance(b, Value::Null));
            }
            doc.after.push(instance(a, after_unknown));
        }
        // Forgotten: no longer managed, but not destroyed: it still applies.
        (Some(b), None) if forgotten => {
            doc.before.push(instance(b.clone(), Value::Null));
            doc.after.push(instance(b, Value::Null));
        }
        (Some(b), None) => doc.before.push(instance(b, Value::Null)),
        (None, None) => {}
    }
    doc.changes.push((address, actions));
}

/// A module's managed resources and its children's, in order (their values
/// moved out of `m`).
fn module(m: &mut Value, path: &str, out: &mut Vec<Instance>, problems: &mut Vec<Problem>) {
    let module_address = m
        .get("address")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if let Some(Value::Array(rs)) = m.get_mut("resources") {
        for (i, r) in rs.iter_mut().enumerate() {
            if r.get("mode").and_then(Value::as_str) != Some("managed") {
                continue;
            }
            let Some(address) = r.get("address").and_then(Value::as_str) else {
                problems.push((
                    format!("{path}.resources[{i}]"),
                    "a resource without `address`".into(),
                ));
                continue;
            };
            out.push(Instance {
                address: address.to_string(),
                module: module_address.clone(),
                kind: r
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                name: r
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                values: r.get_mut("values").map_or(Value::Null, Value::take),
                unknown: Value::Null,
            });
        }
    }
    if let Some(Value::Array(children)) = m.get_mut("child_modules") {
        for (i, c) in children.iter_mut().enumerate() {
            module(c, &format!("{path}.child_modules[{i}]"), out, problems);
        }
    }
}

/// The configuration's references, module by module.
fn configuration(m: &Value, module: &str, out: &mut Vec<(String, String, String, Vec<String>)>) {
    if let Some(Value::Array(rs)) = m.get("resources") {
        for r in rs {
            let Some(address) = r.get("address").and_then(Value::as_str) else {
                continue;
            };
            if let Some(Value::Object(exprs)) = r.get("expressions") {
                for (attr, e) in exprs {
                    let mut refs = Vec::new();
                    collect_references(e, &mut refs);
                    if !refs.is_empty() {
                        out.push((module.to_string(), address.to_string(), attr.clone(), refs));
                    }
                }
            }
        }
    }
    if let Some(Value::Object(calls)) = m.get("module_calls") {
        for (name, call) in calls {
            let child = if module.is_empty() {
                format!("module.{name}")
            } else {
                format!("{module}.module.{name}")
            };
            if let Some(inner) = call.get("module") {
                configuration(inner, &child, out);
            }
        }
    }
}

/// Every `references` entry under an expression (blocks nest expressions).
fn collect_references(e: &Value, out: &mut Vec<String>) {
    match e {
        Value::Object(o) => {
            if let Some(Value::Array(refs)) = o.get("references") {
                out.extend(refs.iter().filter_map(|r| r.as_str().map(String::from)));
            }
            for (k, v) in o {
                if k != "references" {
                    collect_references(v, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_references(x, out)),
        _ => {}
    }
}

/// What a side of a document holds, as a bundle, and what could not be
/// known: (resource address, attribute path) of each value known only after
/// apply that no reference resolves.
#[derive(Debug, Clone, Default)]
pub struct Bundle {
    /// The bundle JSON.
    pub json: Value,
    /// Values known only after apply that stay unknown.
    pub unresolved: Vec<String>,
    /// Resource types the mapping does not read (ignored, with a warning).
    pub ignored: Vec<String>,
    /// Values known only after apply that no decision reads (a profile's
    /// computed `gateway_unique_id`, its split tunnel list): left out.
    pub unknown_unread: Vec<String>,
}

/// The bundle of one side.
pub fn bundle(doc: &Document, side: Side) -> Bundle {
    let instances = match side {
        Side::Before => &doc.before,
        Side::After => &doc.after,
    };
    let mut unresolved = Vec::new();
    let mut unknown_unread = Vec::new();
    // Only the instances with a value known after apply are copied to be
    // resolved (`resolve` reads and changes no other): a plan's unchanged
    // resources are not held twice.
    let marked: Vec<bool> = instances
        .iter()
        .map(|i| side == Side::After && unknown::any_unknown(&i.unknown))
        .collect();
    let mut resolved: Vec<Instance> = instances
        .iter()
        .zip(&marked)
        .filter(|(_, m)| **m)
        .map(|(i, _)| i.clone())
        .collect();
    if side == Side::After {
        unknown::resolve(
            &mut resolved,
            &doc.references,
            &mut unresolved,
            &mut unknown_unread,
        );
    }
    let mut resolved = resolved.iter();
    let mut out = Map::new();
    let mut ignored = Vec::new();
    for (i, &marked) in instances.iter().zip(&marked) {
        // In order: a resolved instance stands in for its original.
        let i = if marked {
            resolved.next().unwrap_or(i)
        } else {
            i
        };
        if !resources::add(i, &mut out)
            && !ignored.contains(&i.kind)
            && i.kind.starts_with("cloudflare_")
        {
            ignored.push(i.kind.clone());
        }
    }
    Bundle {
        json: Value::Object(out),
        unresolved,
        ignored,
        unknown_unread,
    }
}

/// The ids of the resources a bundle holds (`id`, `policy_id`,
/// `network_id`, `uid`): what a plan manages.
pub fn ids(bundle: &Value, out: &mut std::collections::HashSet<String>) {
    let Some(o) = bundle.as_object() else { return };
    for (kind, v) in o {
        if kind == "fallback_domains" {
            continue;
        }
        let items: Vec<&Value> = match v {
            Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        for item in items {
            for k in ["id", "policy_id", "network_id", "uid"] {
                if let Some(id) = item.get(k).and_then(Value::as_str) {
                    out.insert(id.to_string());
                }
            }
        }
    }
}

/// One resource change's actions in one word: `create`, `update`,
/// `delete`, `replace` (delete and create, either order), `forget`, `no-op`,
/// `read`; `None` for a combination Terraform does not write.
fn action(actions: &[String]) -> Option<&'static str> {
    let a: Vec<&str> = actions.iter().map(String::as_str).collect();
    Some(match a.as_slice() {
        ["delete", "create"] | ["create", "delete"] => "replace",
        ["create"] => "create",
        ["update"] => "update",
        ["delete"] => "delete",
        ["forget"] | ["create", "forget"] => "forget",
        ["no-op"] => "no-op",
        ["read"] => "read",
        _ => return None,
    })
}

/// The plan's actions, counted: `create`, `update`, `delete`, `replace`
/// (delete and create), `no-op`, `read`.
pub fn action_counts(doc: &Document) -> Vec<(&'static str, usize)> {
    let mut counts: Vec<(&'static str, usize)> =
        ["create", "update", "replace", "delete", "no-op", "read"]
            .iter()
            .map(|a| (*a, 0))
            .collect();
    for word in doc.changes.iter().filter_map(|(_, a)| action(a)) {
        if let Some(c) = counts.iter_mut().find(|(w, _)| *w == word) {
            c.1 += 1;
        }
    }
    counts
}

/// The values of rules made unknown because they are known only after
/// apply (`after_apply` rules), as `address.attribute`.
pub fn after_apply_values(bundle: &Value) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                if let Some(x) = o
                    .get("after_apply")
                    .and_then(|a| a.get("value"))
                    .and_then(Value::as_str)
                {
                    out.push(x.to_string());
                }
                o.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(bundle, &mut out);
    out
}

/// The resources the plan changes, with their action (`create`, `update`,
/// `delete`, `replace`, `forget`), in the plan's order.
pub fn changed(doc: &Document) -> Vec<(&str, &'static str)> {
    doc.changes
        .iter()
        .filter_map(|(address, actions)| Some((address.as_str(), action(actions)?)))
        .filter(|(_, w)| !matches!(*w, "no-op" | "read"))
        .collect()
}

/// How many resources the plan changes (anything but `no-op` and `read`).
pub fn changed_resources(doc: &Document) -> usize {
    changed(doc).len()
}
