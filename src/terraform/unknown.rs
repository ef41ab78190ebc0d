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

/// The created resources (`fresh`: module, local address, instance key,
/// type, id) found by what a reference names, so a value is resolved in time
/// independent of how many resources a plan creates (a search of every
/// created resource per unknown value was quadratic: 3,000 groups and 3,000
/// policies referencing them took 2.4 s).
struct Created<'a> {
    /// (module, type, local address) -> how many instances, and the first.
    by_local: HashMap<(&'a str, &'a str, &'a str), (usize, &'a str)>,
    /// (module, type, local address, instance key) -> the first one's id.
    by_key: HashMap<(&'a str, &'a str, &'a str, &'a str), &'a str>,
    /// The longest local address: a reference is cut no further (a
    /// reference of a megabyte, cut at each of its dots, would hash a
    /// megabyte per cut).
    longest: usize,
}

impl<'a> Created<'a> {
    fn new(fresh: &'a [(String, String, String, String, String)]) -> Created<'a> {
        let mut by_local: HashMap<(&str, &str, &str), (usize, &str)> = HashMap::new();
        let mut by_key = HashMap::new();
        for (module, local, index, kind, id) in fresh {
            by_local
                .entry((module.as_str(), kind.as_str(), local.as_str()))
                .or_insert((0, id.as_str()))
                .0 += 1;
            by_key
                .entry((
                    module.as_str(),
                    kind.as_str(),
                    local.as_str(),
                    index.as_str(),
                ))
                .or_insert(id.as_str());
        }
        let longest = fresh.iter().map(|f| f.1.len()).max().unwrap_or(0);
        Created {
            by_local,
            by_key,
            longest,
        }
    }

    /// The id a value of type `kind` takes, in `module`, when its attribute
    /// references `refs`: that of the one created resource of that type the
    /// references name (a reference names a resource by its local address,
    /// alone or followed by `.attribute` or `[key]`), and when that resource
    /// has several instances, the one of the key the reference writes
    /// (`g["k0"].id`, `g[0].id`), or else the referencing instance's own key
    /// when the index can only be it (`g[each.key]`, `g[count.index]`: the
    /// references name `each.key` or `count.index` and nothing else besides
    /// the resource). `None` when that is not exactly one: `g[each.value]`,
    /// `g[var.k]` stay unknown.
    fn pick(&self, module: &str, kind: &str, refs: &[String], my_index: &str) -> Option<String> {
        // The local addresses the references name, each once.
        let mut named: Vec<(&str, (usize, &str))> = Vec::new();
        for r in refs {
            let cuts = r
                .char_indices()
                .filter(|&(_, c)| c == '.' || c == '[')
                .map(|(at, _)| at)
                .chain([r.len()])
                .take_while(|&at| at <= self.longest);
            for at in cuts {
                let local = r.get(..at).unwrap_or_default();
                if let Some(&found) = self.by_local.get(&(module, kind, local))
                    && !named.iter().any(|(l, _)| *l == local)
                {
                    named.push((local, found));
                }
            }
        }
        let [(local, (count, first))] = named.as_slice() else {
            return None;
        };
        // A key written in a reference: that instance, or none if two differ.
        let mut written: Option<&str> = None;
        for r in refs {
            let Some(key) = r.strip_prefix(*local).and_then(literal_key) else {
                continue;
            };
            if written.is_some_and(|w| w != key) {
                return None;
            }
            written = Some(key);
        }
        if let Some(key) = written {
            return self
                .by_key
                .get(&(module, kind, *local, key))
                .map(|id| id.to_string());
        }
        if *count == 1 {
            return Some(first.to_string());
        }
        // The referencing instance's own key, when the index can only be it.
        let own = if my_index.starts_with("[\"") {
            "each.key"
        } else {
            "count.index"
        };
        let names_resource = |r: &str| {
            r.strip_prefix(*local)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
        };
        if my_index.is_empty()
            || !refs.iter().any(|r| r == own)
            || !refs.iter().all(|r| r == own || names_resource(r))
        {
            return None;
        }
        self.by_key
            .get(&(module, kind, *local, my_index))
            .map(|id| id.to_string())
    }
}

/// The literal instance key at the start of `rest` (`["k0"]`, `[0]`), as an
/// instance's address writes it; `None` for none or a computed one
/// (`[each.key]`).
fn literal_key(rest: &str) -> Option<&str> {
    if let Some(quoted) = rest.strip_prefix("[\"") {
        // The closing quote: the first one no backslash escapes.
        let mut escaped = false;
        for (i, c) in quoted.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => {
                    let end = 2 + i + 1;
                    return rest
                        .get(end..)
                        .is_some_and(|r| r.starts_with(']'))
                        .then(|| rest.get(..=end))
                        .flatten();
                }
                _ => {}
            }
        }
        return None;
    }
    let digits = rest.strip_prefix('[')?;
    let n = digits.find(|c: char| !c.is_ascii_digit())?;
    (n > 0 && digits.get(n..)?.starts_with(']')).then(|| rest.get(..n + 2))?
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
    let created = Created::new(&fresh);
    let refs: HashMap<(&str, &str, &str), &Vec<String>> = references
        .iter()
        .map(|(m, a, attr, r)| ((m.as_str(), a.as_str(), attr.as_str()), r))
        .collect();
    for i in instances.iter_mut() {
        let mut leaves = Vec::new();
        unknown_leaves(&i.unknown, &mut Vec::new(), &mut leaves);
        let (me, my_index) = local(&i.address, &i.module);
        // How many unknown values of this instance each (attribute, type
        // named) has: counted once, not per value.
        let mut of_type: HashMap<(String, Option<&'static str>), usize> = HashMap::new();
        for p in &leaves {
            if let Some(Seg::Key(k)) = p.first() {
                *of_type.entry((k.clone(), names_type(p))).or_insert(0) += 1;
            }
        }
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
                if of_type.get(&(attr.to_string(), Some(t))) != Some(&1) {
                    return None;
                }
                created.pick(&i.module, t, rs, &my_index)
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
