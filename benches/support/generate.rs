//! The generated configuration the `decide` bench and the instruction counter
//! share: 200 IdP groups, Access groups in three levels of nesting (level 1 tests
//! IdP groups over okta, azureAD and gsuite; level 2 references level 1; level 3
//! references level 2), each requiring a country and a posture check, one
//! excluding a CIDR; 10 device profiles and 5 IP profiles.

use serde_json::{Value, json};

const IDP_GROUPS: usize = 200;
const COUNTRIES: &[&str] = &["PT", "US", "DE", "PT"];
const POSTURE: &[&str] = &["p-firewall", "p-disk", "p-os", "p-domain", "p-warp"];

fn idp_group_name(i: usize) -> String {
    format!("idp-group-{:03}", i % IDP_GROUPS)
}

fn idp_group_id(i: usize) -> String {
    format!("00g{:03}", i % IDP_GROUPS)
}

fn idp_group_email(i: usize) -> String {
    format!("group-{:03}@example.com", i % IDP_GROUPS)
}

/// Access group `i` of `n`: the first 60% are level 1, the next 30% level 2, the rest level 3.
fn access_group(i: usize, n: usize) -> Value {
    let level1 = n * 6 / 10;
    let level2 = n * 9 / 10;
    let include: Vec<Value> = if i < level1 {
        let k = i * 7;
        vec![
            json!({"okta": {"name": idp_group_name(k), "identity_provider_id": "idp-okta"}}),
            json!({"okta": {"name": idp_group_name(k + 1), "identity_provider_id": "idp-okta"}}),
            json!({"okta": {"name": idp_group_name(k + 2), "identity_provider_id": "idp-okta"}}),
            json!({"okta": {"name": idp_group_name(k + 3), "identity_provider_id": "idp-okta"}}),
            json!({"azureAD": {"id": idp_group_id(k + 4), "identity_provider_id": "idp-azure"}}),
            json!({"azureAD": {"id": idp_group_id(k + 5), "identity_provider_id": "idp-azure"}}),
            json!({"gsuite": {"email": idp_group_email(k + 6), "identity_provider_id": "idp-gsuite"}}),
        ]
    } else {
        // Three groups of the level below.
        let (lo, len) = if i < level2 {
            (0, level1)
        } else {
            (level1, level2 - level1)
        };
        (0..3)
            .map(|j| json!({"group": {"id": format!("ag-{:04}", lo + (i * 3 + j) % len.max(1))}}))
            .collect()
    };
    let country = COUNTRIES.get(i % COUNTRIES.len()).copied().unwrap_or("PT");
    let posture = POSTURE
        .get(i % POSTURE.len())
        .copied()
        .unwrap_or("p-firewall");
    let exclude: Vec<Value> = if i == 0 {
        vec![json!({"ip": {"ip": "203.0.113.0/24"}})]
    } else {
        vec![]
    };
    json!({"id": format!("ag-{i:04}"), "name": format!("Access group {i}"),
           "include": include,
           "require": [{"geo": {"country_code": country}},
                       {"device_posture": {"integration_uid": posture}}],
           "exclude": exclude})
}

fn set(items: impl Iterator<Item = String>) -> String {
    let quoted: Vec<String> = items.map(|s| format!("\"{s}\"")).collect();
    format!("{{{}}}", quoted.join(" "))
}

/// Ten device profiles; the bench context matches only the ninth, so eight are
/// evaluated and rejected first.
fn device_profiles() -> Value {
    let engineering = set((150..170).map(idp_group_name));
    let matches = [
        format!("any(identity.groups.name[*] in {engineering}) and os.name == \"windows\""),
        "identity.email in $contractors".to_string(),
        r#"os.name == "linux" and any(device_posture.checks.passed[*] == "p-disk")"#.to_string(),
        r#"network == "Austin office""#.to_string(),
        r#"ends_with(identity.email, "@partner.com")"#.to_string(),
        r#"identity.email matches "^svc-[a-z]+@example\.com$""#.to_string(),
        r#"any(identity.groups.email[*] == "group-199@example.com") or os.name in {"chromeos" "android"}"#.to_string(),
        r#"not any(device_posture.checks.passed[*] == "p-firewall")"#.to_string(),
        r#"any(identity.saml_attributes[*] == "department=Engineering") and os.name == "mac""#.to_string(),
        r#"os.name in {"mac" "windows"}"#.to_string(),
    ];
    let mut profiles: Vec<Value> = matches
        .iter()
        .enumerate()
        .map(|(i, m)| {
            json!({"policy_id": format!("dp-{i}"), "name": format!("Device profile {i}"),
                   "precedence": (i + 1) * 10, "enabled": true, "match": m,
                   "service_mode_v2": {"mode": "warp"}, "exclude": [{"address": "10.0.0.0/8"}]})
        })
        .collect();
    profiles.push(json!({"policy_id": "dp-default", "name": "Default", "default": true}));
    Value::from(profiles)
}

fn ip_profiles() -> Value {
    let matches = [
        r#"identity.email in $contractors"#.to_string(),
        format!(
            "any(identity.groups.name[*] in {})",
            set((100..120).map(idp_group_name))
        ),
        r#"ends_with(identity.email, "@partner.com")"#.to_string(),
        r#"any(identity.groups.email[*] == "group-007@example.com")"#.to_string(),
        r#"any(identity.saml_attributes[*] == "department=Engineering")"#.to_string(),
    ];
    let profiles: Vec<Value> = matches
        .iter()
        .enumerate()
        .map(|(i, m)| {
            json!({"id": format!("ip-{i}"), "name": format!("IP profile {i}"),
                   "precedence": (i + 1) * 100, "match": m, "subnet_id": format!("subnet-{i}")})
        })
        .collect();
    Value::from(profiles)
}

/// The bundle with `n` Access groups, as JSON text.
pub fn config_text(n: usize) -> String {
    let contractors: Vec<String> = (0..100)
        .map(|i| format!("contractor-{i}@partner.com"))
        .collect();
    json!({
        "lists": [
            {"id": "contractors", "name": "Contractors", "type": "EMAIL", "items": contractors},
            {"id": "serials", "type": "SERIAL", "items": ["C02XL0GHJGH5", "C02XL0GHJGH6"]},
        ],
        "posture_rules": [
            {"id": "p-firewall", "type": "firewall", "input": {}, "match": [{"platform": "mac"}]},
            {"id": "p-disk", "type": "disk_encryption", "input": {"requireAll": true}},
            {"id": "p-os", "type": "os_version",
             "input": {"operating_system": "mac", "version": "14.0", "operator": ">="}},
            {"id": "p-domain", "type": "domain_joined", "input": {"domain": "corp.example.com"}},
            {"id": "p-warp", "type": "warp", "input": {}},
        ],
        "access_groups": (0..n).map(|i| access_group(i, n)).collect::<Vec<_>>(),
        "device_profiles": device_profiles(),
        "ip_profiles": ip_profiles(),
    })
    .to_string()
}

/// An Okta user in 20 of the 200 IdP groups, on a Mac, in Portugal: a
/// member of 10 of 50 Access groups, and of 198 of 1,000.
pub fn context() -> Value {
    context_in_idp_groups(20)
}

/// The same user in only the first IdP group: a member of a handful of
/// Access groups however many there are (3 of 50, 10 of 1,000), as issue 20
/// pictures a user.
pub fn few_groups_context() -> Value {
    context_in_idp_groups(1)
}

/// The bench's user in `n` of the 200 IdP groups (every ninth).
fn context_in_idp_groups(n: usize) -> Value {
    let groups: Vec<Value> = (0..n)
        .map(|j| {
            let i = j * 9;
            json!({"id": idp_group_id(i), "name": idp_group_name(i), "email": idp_group_email(i)})
        })
        .collect();
    json!({
        "id": "alice-laptop",
        "identity": {
            "email": "alice@example.com",
            "idp": {"id": "idp-okta", "type": "okta"},
            "groups": groups,
            "saml_attributes": {"department": ["Engineering"]},
            "amr": ["pwd", "mfa"],
        },
        "device": {
            "os": {"name": "mac", "version": "14.5.0"},
            "network": "Lisbon office",
            "serial_number": "C02XL0GHJGH5",
            "facts": {"firewall": true, "disk_encrypted": true, "domain": "corp.example.com",
                      "warp": true},
        },
        "request": {"ip": "198.51.100.7", "country": "PT"},
    })
}

fn country(k: usize) -> &'static str {
    ["PT", "US", "DE"].get(k % 3).copied().unwrap_or("PT")
}

/// A policy body over the Access groups `ag-0000..ag-{n}`: every decision,
/// rules a decision typically holds (groups, an IP range, a country, a
/// service token, an email domain, a posture check).
fn policy_body(k: usize, n: usize) -> Value {
    let decision = ["bypass", "non_identity", "allow", "deny", "allow", "allow"]
        .get(k % 6)
        .copied()
        .unwrap_or("allow");
    let group = |j: usize| json!({"group": {"id": format!("ag-{:04}", (k * 7 + j) % n.max(1))}});
    let (include, require, exclude) = match decision {
        "bypass" => (
            vec![json!({"ip": {"ip": format!("10.{}.0.0/16", k % 250)}})],
            vec![],
            vec![],
        ),
        "non_identity" => (
            vec![json!({"service_token": {"token_id": format!("tok-{k}")}})],
            vec![],
            vec![],
        ),
        "deny" => (
            vec![json!({"email_list": {"id": "contractors"}}), group(3)],
            vec![],
            vec![],
        ),
        _ => (
            vec![
                group(0),
                group(1),
                json!({"email_domain": {"domain": format!("team{}.example.com", k % 9)}}),
            ],
            vec![json!({"geo": {"country_code": country(k / 6)}})],
            vec![json!({"ip": {"ip": "203.0.113.0/24"}})],
        ),
    };
    json!({"name": format!("Policy {k}"), "decision": decision,
           "include": include, "require": require, "exclude": exclude,
           "approval_required": k.is_multiple_of(10), "session_duration": "12h"})
}

/// `config_text(n)` plus 100 applications and 300 policies: 150 reusable
/// policies, linked three by three from 50 applications, and 50 applications
/// with three inline policies each; bypass, Service Auth, allow and deny.
pub fn config_text_with_apps(n: usize) -> String {
    let mut config: Value = serde_json::from_str(&config_text(n)).unwrap_or_default();
    let reusable: Vec<Value> = (0..150)
        .map(|k| {
            let mut p = policy_body(k, n);
            if let Some(o) = p.as_object_mut() {
                o.insert("id".into(), json!(format!("rp-{k:03}")));
            }
            p
        })
        .collect();
    let apps: Vec<Value> = (0..100)
        .map(|a| {
            let policies: Vec<Value> = (0..3)
                .map(|j| {
                    if a < 50 {
                        json!({"id": format!("rp-{:03}", (a * 3 + j) % 150), "precedence": j + 1})
                    } else {
                        let mut p = policy_body(a * 3 + j, n);
                        if let Some(o) = p.as_object_mut() {
                            o.insert("precedence".into(), json!(j + 1));
                        }
                        p
                    }
                })
                .collect();
            json!({"id": format!("app-{a:03}"), "name": format!("App {a}"), "type": "self_hosted",
                   "destinations": [{"type": "public", "uri": format!("app{a}.example.com")},
                                    {"type": "public", "uri": format!("*.app{a}.example.com/api/*")}],
                   "policies": policies})
        })
        .collect();
    if let Some(o) = config.as_object_mut() {
        o.insert("access_policies".into(), Value::from(reusable));
        o.insert("access_applications".into(), Value::from(apps));
    }
    config.to_string()
}
