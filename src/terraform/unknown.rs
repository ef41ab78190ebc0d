//! A plan's values known only after apply (`after_unknown`), resolved where
//! the plan's own configuration says what they are, never guessed:
//! - a created resource's own id stands for itself (its address), so
//!   anything that references it can be decided;
//! - a value whose attribute's expression references exactly one resource
//!   with such an id (of the type the value names: a `group.id` an access
//!   group, an `integration_uid` a posture rule, …) is that id;
//! - any other unknown inside a rule makes that rule unknown (`after_apply`,
//!   `config.md` §9), so the decisions that read it are undetermined; an
//!   unknown anywhere else is reported as unresolved.

use super::Instance;
use serde_json::{Value, json};
use std::collections::HashMap;

/// A step into a value.
#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

fn render(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// Every `true` leaf of an `after_unknown` tree.
fn unknown_leaves(t: &Value, at: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    match t {
        Value::Bool(true) => out.push(at.clone()),
        Value::Object(o) => {
            for (k, v) in o {
                at.push(Seg::Key(k.clone()));
                unknown_leaves(v, at, out);
                at.pop();
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                at.push(Seg::Index(i));
                unknown_leaves(v, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

/// Whether an `after_unknown` tree marks any value unknown: only such an
/// instance can be changed by `resolve`.
pub(super) fn any_unknown(t: &Value) -> bool {
    match t {
        Value::Bool(b) => *b,
        Value::Object(o) => o.values().any(any_unknown),
        Value::Array(a) => a.iter().any(any_unknown),
        _ => false,
    }
}

/// Sets `value` at `path` in `v`, making objects and arrays on the way.
fn set(v: &mut Value, path: &[Seg], value: Value) {
    let Some((first, rest)) = path.split_first() else {
        *v = value;
        return;
    };
    match first {
        Seg::Key(k) => {
            if !v.is_object() {
                *v = json!({});
            }
            if let Value::Object(o) = v {
                set(o.entry(k.clone()).or_insert(Value::Null), rest, value);
            }
        }
        Seg::Index(i) => {
            if !v.is_array() {
                *v = json!([]);
            }
            if let Value::Array(a) = v {
                while a.len() <= *i {
                    a.push(Value::Null);
                }
                if let Some(slot) = a.get_mut(*i) {
                    set(slot, rest, value);
                }
            }
        }
    }
}

/// The attribute that holds a resource's own id.
fn id_attribute(kind: &str) -> &'static str {
    match kind {
        "cloudflare_zero_trust_device_custom_profile" => "policy_id",
        "cloudflare_zero_trust_device_managed_networks" => "network_id",
        _ => "id",
    }
}

/// The resource type an id at this path names, from the key that holds it.
fn names_type(path: &[Seg]) -> Option<&'static str> {
    let keys: Vec<&str> = path
        .iter()
        .filter_map(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            Seg::Index(_) => None,
        })
        .collect();
    let (leaf, parent) = match keys.as_slice() {
        [.., p, l] => (*l, *p),
        _ => return None,
    };
    Some(match (parent, leaf) {
        ("group", "id") => "cloudflare_zero_trust_access_group",
        ("device_posture", "integration_uid") => "cloudflare_zero_trust_device_posture_rule",
        ("service_token", "token_id") => "cloudflare_zero_trust_access_service_token",
        ("ip_list" | "email_list", "id") => "cloudflare_zero_trust_list",
        ("policies", "id") => "cloudflare_zero_trust_access_policy",
        ("login_method", "id") | (_, "identity_provider_id") => {
            "cloudflare_zero_trust_access_identity_provider"
        }
        _ => return None,
    })
}

/// Whether a decision reads attribute `attr` of a resource of type `kind`
/// (its name, its rules, its match and order, what it decides, what it
/// protects); a profile's settings, descriptions and timestamps it does not.
fn reads(kind: &str, attr: &str) -> bool {
    let short = kind.trim_start_matches("cloudflare_zero_trust_");
    match short {
        "access_group" => matches!(attr, "name" | "include" | "require" | "exclude"),
        "access_policy" => matches!(
            attr,
            "name"
                | "decision"
                | "include"
                | "require"
                | "exclude"
                | "session_duration"
                | "approval_required"
                | "purpose_justification_required"
                | "isolation_required"
                | "mfa_config"
        ),
        "access_application" => matches!(
            attr,
            "name"
                | "type"
                | "domain"
                | "self_hosted_domains"
                | "destinations"
                | "policies"
                | "allowed_idps"
                | "session_duration"
        ),
        "device_custom_profile" | "device_ip_profile" => {
            matches!(
                attr,
                "name" | "match" | "precedence" | "enabled" | "subnet_id"
            )
        }
        "device_posture_rule" => matches!(attr, "name" | "type" | "input" | "match" | "expiration"),
        // `list_count` is computed from `items`, which say the list whole.
        "list" => matches!(attr, "type" | "items"),
        "access_service_token" => matches!(attr, "client_id"),
        "organization" => matches!(
            attr,
            "deny_unmatched_requests"
                | "deny_unmatched_requests_exempted_zone_names"
                | "session_duration"
        ),
        "device_managed_networks" => matches!(attr, "name" | "type" | "config"),
        "access_identity_provider" => matches!(attr, "name" | "type"),
        // Anything else of a type zt-eval reads is read.
        _ => true,
    }
}

/// `module.m.type.name["k"]` -> (`type.name`, `["k"]`), given its module.
fn local(address: &str, module: &str) -> (String, String) {
    let rest = if module.is_empty() {
        address
    } else {
        address
            .strip_prefix(module)
            .and_then(|r| r.strip_prefix('.'))
            .unwrap_or(address)
    };
    match rest.find('[') {
        Some(i) => (rest[..i].to_string(), rest[i..].to_string()),
        None => (rest.to_string(), String::new()),
    }
}

/// Resolves the after side's unknown values (see the module's doc).
pub(super) fn resolve(
    instances: &mut [Instance],
    references: &[(String, String, String, Vec<String>)],
    unresolved: &mut Vec<String>,
    unread: &mut Vec<String>,
) {
    // Created resources: their id stands for them.
    let mut fresh: Vec<(String, String, String, String, String)> = Vec::new(); // (module, local, index, type, id)
    for i in instances.iter_mut() {
        let attr = id_attribute(&i.kind);
        let unknown_id = i.unknown.get(attr) == Some(&Value::Bool(true))
            || (attr != "id" && i.unknown.get("id") == Some(&Value::Bool(true)));
        if unknown_id {
            let id = format!("{} (known after apply)", i.address);
            if let Value::Object(o) = &mut i.values {
                o.insert(attr.into(), id.clone().into());
                if attr != "id" {
                    o.insert("id".into(), id.clone().into());
                }
            }
            let (l, index) = local(&i.address, &i.module);
            fresh.push((i.module.clone(), l, index, i.kind.clone(), id));
        }
    }
    let refs: HashMap<(&str, &str, &str), &Vec<String>> = references
        .iter()
        .map(|(m, a, attr, r)| ((m.as_str(), a.as_str(), attr.as_str()), r))
        .collect();
    for i in instances.iter_mut() {
        let mut leaves = Vec::new();
        unknown_leaves(&i.unknown, &mut Vec::new(), &mut leaves);
        let (me, my_index) = local(&i.address, &i.module);
        // (attribute, type named) of every unknown value of this instance.
        let same_attr_leaves: Vec<(String, Option<&'static str>)> = leaves
            .iter()
            .filter_map(|p| match p.first() {
                Some(Seg::Key(k)) => Some((k.clone(), names_type(p))),
                _ => None,
            })
            .collect();
        for path in leaves {
            let own =
                matches!(path.as_slice(), [Seg::Key(k)] if k == "id" || k == id_attribute(&i.kind));
            if own {
                continue;
            }
            let attr = match path.first() {
                Some(Seg::Key(k)) => k.as_str(),
                _ => continue,
            };
            let wanted = names_type(&path);
            // Only when this attribute references exactly one created
            // resource of the type the value names, and holds exactly one
            // unknown value of that type, is the value that resource's id
            // (for `for_each`, the instance of the same key). Anything less
            // certain stays unknown.
            let pick = wanted.and_then(|t| {
                let rs = refs.get(&(i.module.as_str(), me.as_str(), attr))?;
                let leaves_of_type = same_attr_leaves
                    .iter()
                    .filter(|(a, ty)| a == attr && *ty == Some(t))
                    .count();
                if leaves_of_type != 1 {
                    return None;
                }
                let referenced = |f: &&(String, String, String, String, String)| {
                    rs.iter().any(|r| {
                        r == &f.1
                            || r.starts_with(&format!("{}.", f.1))
                            || r.starts_with(&format!("{}[", f.1))
                    })
                };
                let candidates: Vec<&(String, String, String, String, String)> = fresh
                    .iter()
                    .filter(|f| f.0 == i.module && f.3 == t)
                    .filter(referenced)
                    .collect();
                let mut resources: Vec<&str> = candidates.iter().map(|f| f.1.as_str()).collect();
                resources.dedup();
                if resources.len() != 1 {
                    return None;
                }
                match candidates.as_slice() {
                    [one] => Some(one.4.clone()),
                    many => many
                        .iter()
                        .find(|f| !my_index.is_empty() && f.2 == my_index)
                        .map(|f| f.4.clone()),
                }
            });
            match pick {
                Some(id) => set(&mut i.values, &path, id.into()),
                _ => {
                    let what = format!("{}.{}", i.address, render(&path));
                    // Inside a rule: the rule is unknown.
                    if let [Seg::Key(list), Seg::Index(n), ..] = path.as_slice()
                        && ["include", "require", "exclude"].contains(&list.as_str())
                    {
                        set(
                            &mut i.values,
                            &[Seg::Key(list.clone()), Seg::Index(*n)],
                            json!({"after_apply": {"value": what}}),
                        );
                    } else if reads(&i.kind, attr) {
                        unresolved.push(what);
                    } else {
                        // No decision reads it: left out, and said.
                        if let Value::Object(o) = &mut i.values {
                            o.shift_remove(attr);
                        }
                        unread.push(what);
                    }
                }
            }
        }
    }
}
