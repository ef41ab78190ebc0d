//! The Cloudflare provider v5's resource types mapped onto the API's kinds.
//! v5 is generated from the API's schemas, so attributes are mostly the
//! API's fields; the differences handled here: a state lists every
//! attribute, `null` where unset (a rule element lists every selector with
//! `null` for all but one), a device profile's id may be `id` or
//! `policy_id`, posture inputs are snake_case where the API writes some in
//! camelCase, and local-domain-fallback resources attach to their profile.
//! `azure_ad` and `github_organization` the rule reader accepts as they are.

use super::Instance;
use serde_json::{Map, Value};

/// The kind a v5 resource type becomes.
fn kind_of(t: &str) -> Option<&'static str> {
    Some(match t {
        "cloudflare_zero_trust_access_group" => "access_groups",
        "cloudflare_zero_trust_access_policy" => "access_policies",
        "cloudflare_zero_trust_access_application" => "access_applications",
        "cloudflare_zero_trust_device_custom_profile" => "device_profiles",
        "cloudflare_zero_trust_device_default_profile" => "device_default_profile",
        "cloudflare_zero_trust_device_posture_rule" => "posture_rules",
        "cloudflare_zero_trust_list" => "lists",
        "cloudflare_zero_trust_device_managed_networks" => "device_managed_networks",
        "cloudflare_zero_trust_organization" => "organization",
        "cloudflare_zero_trust_access_identity_provider" => "identity_providers",
        "cloudflare_zero_trust_access_service_token" => "access_service_tokens",
        "cloudflare_zero_trust_device_ip_profile" => "ip_profiles",
        "cloudflare_zero_trust_device_default_profile_local_domain_fallback"
        | "cloudflare_zero_trust_device_custom_profile_local_domain_fallback" => "fallback_domains",
        _ => return None,
    })
}

/// Provider v4's resource types (renamed in v5).
const V4_TYPES: &[&str] = &[
    "cloudflare_access_group",
    "cloudflare_access_policy",
    "cloudflare_access_application",
    "cloudflare_access_identity_provider",
    "cloudflare_access_service_token",
    "cloudflare_access_organization",
    "cloudflare_teams_list",
    "cloudflare_device_posture_rule",
    "cloudflare_device_settings_policy",
    "cloudflare_device_managed_networks",
    "cloudflare_fallback_domain",
    "cloudflare_split_tunnel",
    "cloudflare_zero_trust_access_organization",
    "cloudflare_zero_trust_device_profiles",
    "cloudflare_zero_trust_local_fallback_domain",
    "cloudflare_zero_trust_split_tunnel",
];

/// Why `i` is provider v4's, if it is: a v4 type, or v4's rule shape (a
/// list per selector: `include { email = ["a@b.com"] }`).
pub(super) fn v4(i: &Instance) -> Option<String> {
    if V4_TYPES.contains(&i.kind.as_str()) {
        return Some(format!(
            "`{}` is a resource type of the Cloudflare provider v4; zt-eval reads provider v5 (`terraform show -json` after upgrading: the v5 upgrade guide renames it)",
            i.kind
        ));
    }
    // Shapes are checked on the types zt-eval reads only: another
    // provider's resources (`vault_token.policies`) are none of its business.
    kind_of(&i.kind)?;
    if i.kind == "cloudflare_zero_trust_device_posture_rule"
        && i.values.get("input").is_some_and(Value::is_array)
    {
        return Some(format!(
            "`{}` has provider v4's shape (`input` as a list of blocks); zt-eval reads provider v5's (one object)",
            i.address
        ));
    }
    // v4's application: `policies` is a list of policy ids; v4's policy
    // carries its `application_id` and `precedence`.
    if i.values
        .get("policies")
        .and_then(Value::as_array)
        .is_some_and(|p| p.iter().any(Value::is_string))
        || i.values.get("application_id").is_some_and(|a| !a.is_null())
    {
        return Some(format!(
            "`{}` has provider v4's shape (policies linked by id strings, or a policy's `application_id`); zt-eval reads provider v5's",
            i.address
        ));
    }
    for key in ["include", "require", "exclude"] {
        for rule in i
            .values
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let listy = rule.as_object().is_some_and(|o| {
                o.values()
                    .any(|v| v.is_array() || v.as_bool() == Some(true))
            });
            if listy {
                return Some(format!(
                    "`{}` has provider v4's rule shape (a list of values per selector, as in `{key} {{ email = [...] }}`); zt-eval reads provider v5's (one object per rule)",
                    i.address
                ));
            }
        }
    }
    None
}

/// `v` without `null` members, recursively: what the API leaves out, the
/// state writes as `null`.
fn clean(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| (k.clone(), clean(x)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(clean).collect()),
        other => other.clone(),
    }
}

/// Posture inputs the API writes in camelCase, by their snake_case in v5.
/// (terraform-provider-cloudflare v5.22.0 `device_posture_rule/model.go`
/// against cloudflare-go v6: the only camelCase input keys.)
const CAMEL_INPUTS: &[(&str, &str)] = &[
    ("require_all", "requireAll"),
    ("check_disks", "checkDisks"),
    ("count_operator", "countOperator"),
    ("version_operator", "versionOperator"),
    ("score_operator", "scoreOperator"),
];

/// Adds `i` to the bundle `out`; `false` when its type is not one zt-eval reads.
pub(super) fn add(i: &Instance, out: &mut Map<String, Value>) -> bool {
    let Some(kind) = kind_of(&i.kind) else {
        return false;
    };
    let Value::Object(mut v) = clean(&i.values) else {
        return true;
    };
    // Where the resource is, for a reader of problems.
    v.insert("terraform_address".into(), i.address.clone().into());
    match kind {
        "device_profiles" => {
            if !v.contains_key("policy_id")
                && let Some(id) = v.get("id").cloned()
            {
                v.insert("policy_id".into(), id);
            }
        }
        // v5's default profile has no name; Cloudflare calls it Default.
        "device_default_profile" => {
            v.entry("name").or_insert_with(|| "Default".into());
        }
        "device_managed_networks" => {
            if !v.contains_key("network_id")
                && let Some(id) = v.get("id").cloned()
            {
                v.insert("network_id".into(), id);
            }
        }
        // The list's size, which says whether its items are all there.
        "lists" => {
            if let Some(n) = v.shift_remove("list_count") {
                v.entry("count").or_insert(n);
            }
        }
        "posture_rules" => {
            if let Some(Value::Object(input)) = v.get_mut("input") {
                for (snake, camel) in CAMEL_INPUTS {
                    if let Some(x) = input.shift_remove(*snake) {
                        input.insert((*camel).into(), x);
                    }
                }
            }
        }
        "fallback_domains" => {
            let profile = v
                .get("policy_id")
                .and_then(Value::as_str)
                .unwrap_or("default")
                .to_string();
            let domains = v
                .get("domains")
                .cloned()
                .unwrap_or(Value::Array(Vec::new()));
            let entry = out
                .entry("fallback_domains")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(m) = entry {
                m.insert(profile, domains);
            }
            return true;
        }
        _ => {}
    }
    match kind {
        // One object each.
        "organization" | "device_default_profile" => {
            out.insert(kind.into(), Value::Object(v));
        }
        _ => {
            let list = out.entry(kind).or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = list {
                items.push(Value::Object(v));
            }
        }
    }
    true
}
