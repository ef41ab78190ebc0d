//! Populations assembled from what a team has: Cloudflare's exports
//! (`exports.rs`: users, identity records, devices, SCIM) joined by user
//! (`assemble`), or a table kept in a spreadsheet or a warehouse mapped onto
//! context paths (`table.rs`). Out come contexts (`context.md`) that say where
//! each part came from (`sources`) and what no source could tell (`unknown`),
//! and a report of the users that could not be completed.

pub mod exports;
pub mod table;

use exports::{AccessUser, DeviceItem, Registration, ScimGroup, ScimUser, UserRef};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// One export's items with the name of the file they came from.
#[derive(Debug, Clone)]
pub struct From<T> {
    /// The file, as given (the `sources` of the contexts name it).
    pub source: String,
    /// Its items.
    pub items: Vec<T>,
}

/// The SCIM resources one identity provider pushed to Cloudflare.
#[derive(Debug, Clone, Default)]
pub struct Scim {
    /// The provider's id (`…/identity_providers/{id}/scim/…`): IdP group
    /// rules name it.
    pub idp: String,
    /// `scim/users` files.
    pub users: Vec<From<ScimUser>>,
    /// `scim/groups` files.
    pub groups: Vec<From<ScimGroup>>,
}

/// Everything `assemble` joins.
#[derive(Debug, Clone, Default)]
pub struct Exports {
    /// `GET …/access/users`.
    pub users: Vec<From<AccessUser>>,
    /// Identity records (`last_seen_identity`, `get-identity`), one per file.
    pub records: Vec<(String, Value)>,
    /// `…/devices/physical-devices` and the older `…/devices`.
    pub devices: Vec<From<DeviceItem>>,
    /// `…/devices/registrations`.
    pub registrations: Vec<From<Registration>>,
    /// SCIM users and groups.
    pub scim: Option<Scim>,
}

/// What `assemble` made.
#[derive(Debug, Clone, Default)]
pub struct Population {
    /// One context per user and device, in the order users were first seen.
    pub contexts: Vec<Value>,
    /// Users whose contexts lack a part no source could give.
    pub gaps: Vec<Gap>,
    /// Users read.
    pub users: usize,
    /// Contexts that could not be written: what an export held is not a
    /// valid context value (an identity record's malformed IP, an over-long
    /// field). `(context id, JSON path: message)`.
    pub errors: Vec<(String, String)>,
    /// What the context reader warns of (an OS name it does not know):
    /// `(context id, warning)`.
    pub warnings: Vec<(String, String)>,
}

/// What one user's contexts lack, and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Gap {
    /// The user's email (or id).
    pub user: String,
    /// What is missing, in words.
    pub missing: Vec<String>,
}

/// One user being assembled.
#[derive(Default)]
struct Person {
    email: String,
    id: Option<String>,
    name: Option<String>,
    name_from: String,
    record: Option<(String, Value)>,
    devices: Vec<String>,
}

/// Joins the exports by user: one context per user and device.
///
/// Users come from the user list, identity records, devices and SCIM users,
/// matched by Zero Trust user id and otherwise by email (without case); SCIM
/// users by email only (their SCIM id is not the user id). A user without a
/// device gets one context without one.
pub fn assemble(e: &Exports) -> Population {
    let mut people: Vec<Person> = Vec::new();
    let mut by_email: HashMap<String, usize> = HashMap::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut nameless = Vec::new();
    // Finds or adds the person with this id or email.
    let mut person = |id: Option<&str>, email: Option<&str>| -> Option<usize> {
        let id = id.filter(|s| !s.is_empty());
        let email = email.filter(|s| !s.is_empty()).map(str::to_ascii_lowercase);
        let found = id
            .and_then(|i| by_id.get(i).copied())
            .or_else(|| email.as_ref().and_then(|m| by_email.get(m).copied()));
        let at = match (found, &email) {
            (Some(at), _) => at,
            (None, Some(m)) => {
                people.push(Person {
                    email: m.clone(),
                    ..Person::default()
                });
                by_email.insert(m.clone(), people.len() - 1);
                people.len() - 1
            }
            (None, None) => return None,
        };
        if let Some(i) = id {
            by_id.entry(i.to_string()).or_insert(at);
            if let Some(p) = people.get_mut(at) {
                p.id.get_or_insert_with(|| i.to_string());
            }
        }
        Some(at)
    };
    let mut names: Vec<(usize, String, String)> = Vec::new();
    for f in &e.users {
        for u in &f.items {
            match person(u.id.as_deref(), u.email.as_deref()) {
                Some(at) => {
                    if let Some(n) = u.name.as_ref().filter(|n| !n.is_empty()) {
                        names.push((at, n.clone(), f.source.clone()));
                    }
                }
                None => nameless.push(format!("a user of {} without id or email", f.source)),
            }
        }
    }
    let mut records = Vec::new();
    for (source, v) in &e.records {
        let Some(r) = crate::subject::record::record_of(v) else {
            continue;
        };
        let text = |k: &str| r.get(k).and_then(Value::as_str);
        match person(text("user_uuid"), text("email")) {
            Some(at) => records.push((at, source.clone(), v.clone())),
            None => nameless.push(format!(
                "the identity record {source} has no user (a service token's?)"
            )),
        }
    }
    let live =
        |deleted: &Option<String>, revoked: &Option<String>| deleted.is_none() && revoked.is_none();
    let mut device_users: Vec<(usize, String)> = Vec::new();
    for f in &e.registrations {
        for r in f
            .items
            .iter()
            .filter(|r| live(&r.deleted_at, &r.revoked_at))
        {
            if let Some(u) = &r.user {
                match person(u.id.as_deref(), u.email.as_deref()) {
                    Some(at) => device_users.push((at, r.device.id.clone())),
                    None => nameless.push(format!(
                        "registration {} of device {} in {} names user {}, whom no export gives an email",
                        r.id.as_deref().unwrap_or("?"),
                        r.device.id,
                        f.source,
                        u.id.as_deref().unwrap_or("?")
                    )),
                }
            }
        }
    }
    let mut devices: HashMap<String, (&DeviceItem, &str)> = HashMap::new();
    for f in &e.devices {
        for d in &f.items {
            if !live(&d.deleted_at, &d.revoked_at) || d.deleted == Some(true) {
                continue;
            }
            devices.entry(d.id.clone()).or_insert((d, &f.source));
            let users: [Option<&UserRef>; 2] = [d.user.as_ref(), d.last_seen_user.as_ref()];
            for u in users.into_iter().flatten() {
                match person(u.id.as_deref(), u.email.as_deref()) {
                    Some(at) => device_users.push((at, d.id.clone())),
                    None => nameless.push(format!(
                        "device {} in {} names user {}, whom no export gives an email",
                        d.id,
                        f.source,
                        u.id.as_deref().unwrap_or("?")
                    )),
                }
            }
        }
    }
    // SCIM users by email; their groups by the SCIM ids.
    let mut scim_groups_of: HashMap<usize, Vec<&ScimGroup>> = HashMap::new();
    let mut scim_seen: HashMap<usize, bool> = HashMap::new();
    let mut membership_known = false;
    if let Some(s) = &e.scim {
        let groups: Vec<&ScimGroup> = s.groups.iter().flat_map(|f| &f.items).collect();
        // Membership is known only when every group lists its members, or
        // every user lists their groups: one group without `members` could
        // hold anyone (an `exclude` on it must not pass by default).
        let users: Vec<&ScimUser> = s.users.iter().flat_map(|f| &f.items).collect();
        // (Without a groups export, no group can be named at all.)
        membership_known = !groups.is_empty()
            && (groups.iter().all(|g| g.members.is_some())
                || (!users.is_empty() && users.iter().all(|u| u.groups.is_some())));
        for f in &s.users {
            for u in f.items.iter().filter(|u| u.active != Some(false)) {
                let email = u
                    .emails
                    .iter()
                    .find(|m| m.primary == Some(true))
                    .or(u.emails.first())
                    .and_then(|m| m.value.clone())
                    .or_else(|| u.user_name.clone().filter(|n| n.contains('@')));
                let Some(at) = person(None, email.as_deref()) else {
                    nameless.push(format!("a SCIM user of {} without an email", f.source));
                    continue;
                };
                scim_seen.insert(at, true);
                let sid = u.id.as_deref();
                let mine: Vec<&ScimGroup> = groups
                    .iter()
                    .copied()
                    .filter(|g| {
                        let listed_on_group = g.members.as_ref().is_some_and(|ms| {
                            ms.iter()
                                .any(|m| m.value.is_some() && m.value.as_deref() == sid)
                        });
                        let listed_on_user = u
                            .groups
                            .iter()
                            .flatten()
                            .any(|r| r.value.is_some() && r.value == g.id);
                        listed_on_group || listed_on_user
                    })
                    .collect();
                scim_groups_of.entry(at).or_default().extend(mine);
            }
        }
    }
    for (at, n, source) in names {
        if let Some(p) = people.get_mut(at)
            && p.name.is_none()
        {
            p.name = Some(n);
            p.name_from = source;
        }
    }
    for (at, source, v) in records {
        // The last record given for a user wins: a folder holds one each.
        if let Some(p) = people.get_mut(at) {
            p.record = Some((source, v));
        }
    }
    // Each (user, device) once, in the order first given: looked up, not
    // searched in the user's devices (a user with 100,000 registrations
    // was 5G comparisons).
    let mut given: crate::hash::TextSet<(usize, &str)> = crate::hash::TextSet::default();
    for (at, device) in &device_users {
        if given.insert((*at, device.as_str()))
            && let Some(p) = people.get_mut(*at)
        {
            p.devices.push(device.clone());
        }
    }
    let mut out = Population {
        users: people.len(),
        ..Population::default()
    };
    for (at, p) in people.iter().enumerate() {
        let scim = e
            .scim
            .as_ref()
            .filter(|_| scim_seen.contains_key(&at))
            .map(|s| {
                (
                    s,
                    scim_groups_of
                        .get(&at)
                        .map(Vec::as_slice)
                        .unwrap_or_default(),
                )
            });
        let (contexts, missing) = contexts_of(p, &devices, scim, membership_known);
        // Every context written is one the context reader accepts.
        for c in contexts {
            match crate::subject::Subject::from_json(&c) {
                Ok((_, warnings)) => {
                    let id = c.get("id").and_then(Value::as_str).unwrap_or_default();
                    out.warnings
                        .extend(warnings.into_iter().map(|w| (id.to_string(), w)));
                    out.contexts.push(c);
                }
                Err(e) => {
                    // Name the file the bad part came from.
                    let path = e.path.trim_start_matches("$.");
                    let from = c
                        .get("sources")
                        .and_then(Value::as_object)
                        .and_then(|s| {
                            s.iter()
                                .filter(|(k, _)| path.starts_with(k.as_str()))
                                .max_by_key(|(k, _)| k.len())
                        })
                        .and_then(|(_, v)| v.as_str())
                        .map(|f| format!(" (from {f})"))
                        .unwrap_or_default();
                    out.errors.push((
                        c.get("id")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        format!("{e}{from}"),
                    ));
                }
            }
        }
        if !missing.is_empty() {
            out.gaps.push(Gap {
                user: p.email.clone(),
                missing,
            });
        }
    }
    for what in nameless {
        out.gaps.push(Gap {
            user: String::new(),
            missing: vec![format!("{what}: left out")],
        });
    }
    out
}

/// One person's contexts, and what they lack.
fn contexts_of(
    p: &Person,
    devices: &HashMap<String, (&DeviceItem, &str)>,
    scim: Option<(&Scim, &[&ScimGroup])>,
    membership_known: bool,
) -> (Vec<Value>, Vec<String>) {
    let mut missing = Vec::new();
    let mut sources = Map::new();
    // The record's context, or an empty one.
    let (mut base, record_device) = match &p.record {
        Some((source, v)) => {
            let r = crate::subject::record::record_of(v);
            let ctx = r.map_or(Value::Null, crate::subject::record::to_context);
            let device_id = r
                .and_then(|r| r.get("device_id"))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(String::from);
            let label = format!("identity record {source}");
            for part in ["identity", "device", "request"] {
                if ctx.get(part).is_some() {
                    sources.insert(part.into(), label.clone().into());
                }
            }
            (ctx, device_id)
        }
        None => {
            missing.push("no identity record: no sign-in facts (IP, country, posture results, authentication methods)".to_string());
            (json!({}), None)
        }
    };
    let Value::Object(ctx) = &mut base else {
        return (
            Vec::new(),
            vec!["its identity record could not be read".into()],
        );
    };
    ctx.shift_remove("id");
    let identity = ctx
        .entry("identity")
        .or_insert_with(|| json!({}))
        .as_object_mut();
    if let Some(identity) = identity {
        identity.insert("email".into(), p.email.clone().into());
        if !identity.contains_key("name")
            && let Some(n) = &p.name
        {
            identity.insert("name".into(), n.clone().into());
            sources.insert(
                "identity.name".into(),
                format!("users {}", p.name_from).into(),
            );
        }
    }
    // Groups: the record's own, else SCIM's, else unknown.
    let record_groups = p.record.is_some()
        && !ctx
            .get("unknown")
            .and_then(Value::as_array)
            .is_some_and(|u| u.iter().any(|x| x == "identity.groups"));
    if record_groups {
        sources.insert(
            "identity.groups".into(),
            sources.get("identity").cloned().unwrap_or_default(),
        );
    } else {
        let signed_in_with = ctx
            .get("identity")
            .and_then(|i| i.get("idp"))
            .and_then(|i| i.get("id"))
            .and_then(Value::as_str)
            .map(String::from);
        match scim {
            Some((s, _)) if !membership_known => {
                let silent: Vec<&str> = s
                    .groups
                    .iter()
                    .flat_map(|f| &f.items)
                    .filter(|g| g.members.is_none())
                    .filter_map(|g| g.display_name.as_deref())
                    .take(5)
                    .collect();
                missing.push(format!(
                    "IdP groups unknown: the SCIM exports of {} do not list every membership (groups without `members`: {}; Cloudflare's SCIM lists carry neither `members` nor users' `groups`)",
                    s.idp,
                    if silent.is_empty() { "none listed".to_string() } else { silent.join(", ") }
                ));
            }
            Some((s, _)) if signed_in_with.as_deref().is_some_and(|i| i != s.idp) => {
                missing.push(format!(
                    "IdP groups unknown: the user signs in with identity provider {}, the SCIM groups are of {}",
                    signed_in_with.unwrap_or_default(),
                    s.idp
                ));
            }
            Some((s, groups)) => {
                let list: Vec<Value> = groups
                    .iter()
                    .map(|g| {
                        let mut m = Map::new();
                        if let Some(id) = g.external_id.as_ref().or(g.id.as_ref()) {
                            m.insert("id".into(), id.clone().into());
                        }
                        if let Some(n) = &g.display_name {
                            m.insert("name".into(), n.clone().into());
                        }
                        Value::Object(m)
                    })
                    .collect();
                if let Some(identity) = ctx.get_mut("identity").and_then(Value::as_object_mut) {
                    identity.insert("groups".into(), Value::Array(list));
                    identity
                        .entry("idp")
                        .or_insert_with(|| json!({"id": s.idp}));
                }
                sources.insert(
                    "identity.groups".into(),
                    format!("SCIM of identity provider {}", s.idp).into(),
                );
                if let Some(Value::Array(u)) = ctx.get_mut("unknown") {
                    u.retain(|x| x != "identity.groups");
                }
                if ctx
                    .get("unknown")
                    .and_then(Value::as_array)
                    .is_some_and(Vec::is_empty)
                {
                    ctx.shift_remove("unknown");
                }
            }
            None => missing.push(
                "IdP groups unknown: no identity record with groups and no SCIM user".to_string(),
            ),
        }
        if ctx.get("identity").and_then(|i| i.get("groups")).is_none() {
            let unknown = ctx.entry("unknown").or_insert_with(|| json!([]));
            if let Value::Array(u) = unknown
                && !u.iter().any(|x| x == "identity.groups")
            {
                u.push("identity.groups".into());
            }
        }
    }
    // One context per device; the record's device part belongs to the device
    // it was signed in from.
    let record_device_part = ctx.shift_remove("device");
    let mut out = Vec::new();
    let mut placed = false;
    let known: Vec<&String> = p.devices.iter().collect();
    for id in &known {
        let mut c = ctx.clone();
        let mut s = sources.clone();
        s.remove("device");
        let mut device = Map::new();
        if record_device.as_deref() == Some(id.as_str())
            && let Some(Value::Object(d)) = &record_device_part
        {
            device = d.clone();
            s.insert(
                "device.posture".into(),
                sources.get("device").cloned().unwrap_or_default(),
            );
            placed = true;
        }
        let name = match devices.get(*id) {
            Some((d, source)) => {
                let mut os = Map::new();
                if let Some(t) = d.device_type.as_deref().filter(|t| !t.is_empty()) {
                    os.insert("name".into(), exports::os_name(t).into());
                }
                if let Some(v) = d.os_version.as_deref().filter(|v| !v.is_empty()) {
                    os.insert("version".into(), v.into());
                }
                if !os.is_empty() {
                    device.insert("os".into(), Value::Object(os));
                    s.insert("device.os".into(), format!("devices {source}").into());
                }
                if let Some(sn) = d.serial_number.as_deref().filter(|v| !v.is_empty()) {
                    device.insert("serial_number".into(), sn.into());
                    s.insert(
                        "device.serial_number".into(),
                        format!("devices {source}").into(),
                    );
                }
                d.name.clone().unwrap_or_else(|| (*id).clone())
            }
            None => {
                missing.push(format!(
                    "device {id}: registered, but no devices export describes it (OS, serial number unknown)"
                ));
                (*id).clone()
            }
        };
        if !device.is_empty() {
            c.insert("device".into(), Value::Object(device));
        }
        c.insert("sources".into(), Value::Object(s));
        out.push((name, c));
    }
    if !placed && (known.is_empty() || record_device_part.is_some()) {
        let mut c = ctx.clone();
        let mut s = sources.clone();
        if let Some(d) = &record_device_part {
            c.insert("device".into(), d.clone());
        } else {
            missing.push("no device: device rules read nothing".to_string());
        }
        s.remove("device");
        if record_device_part.is_some() {
            s.insert(
                "device.posture".into(),
                sources.get("device").cloned().unwrap_or_default(),
            );
        }
        c.insert("sources".into(), Value::Object(s));
        let name = record_device
            .clone()
            .unwrap_or_else(|| "last sign-in".into());
        out.push((name, c));
    }
    let many = out.len() > 1;
    let contexts = out
        .into_iter()
        .map(|(device, c)| {
            let id = if many {
                format!("{}/{device}", p.email)
            } else {
                p.email.clone()
            };
            // In the order of `context.md`, whatever order the parts came in.
            let mut c = c;
            let mut m = Map::new();
            m.insert("id".into(), id.into());
            for k in ["identity", "device", "request", "unknown", "sources"] {
                if let Some(v) = c.shift_remove(k) {
                    m.insert(k.into(), v);
                }
            }
            m.extend(c);
            Value::Object(m)
        })
        .collect();
    (contexts, missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scim(groups: Value) -> Exports {
        let users = json!([{"id": "s1", "emails": [{"value": "a@x.io", "primary": true}]}]);
        Exports {
            scim: Some(Scim {
                idp: "okta-1".into(),
                users: vec![From {
                    source: "u".into(),
                    items: exports::items(&users).unwrap_or_default(),
                }],
                groups: vec![From {
                    source: "g".into(),
                    items: exports::items(&groups).unwrap_or_default(),
                }],
            }),
            ..Exports::default()
        }
    }

    /// One group without `members` could hold the user: groups stay unknown
    /// (helper-11's review: an `exclude` on it passed).
    #[test]
    fn one_group_without_members_leaves_groups_unknown() {
        let p = assemble(&scim(json!([
            {"id": "g1", "displayName": "eng", "members": [{"value": "s1"}]},
            {"id": "g2", "displayName": "contractors"}])));
        let c = p.contexts.first().cloned().unwrap_or_default();
        assert_eq!(
            c.pointer("/unknown/0"),
            Some(&json!("identity.groups")),
            "{c}"
        );
        assert!(c.pointer("/identity/groups").is_none(), "{c}");
    }

    #[test]
    fn groups_that_all_list_members_give_the_users_groups() {
        let p = assemble(&scim(json!([
            {"id": "g1", "displayName": "eng", "externalId": "x1", "members": [{"value": "s1"}]},
            {"id": "g2", "displayName": "contractors", "members": []}])));
        let c = p.contexts.first().cloned().unwrap_or_default();
        assert_eq!(
            c.pointer("/identity/groups"),
            Some(&json!([{"id": "x1", "name": "eng"}])),
            "{c}"
        );
        assert!(c.get("unknown").is_none(), "{c}");
    }
}
