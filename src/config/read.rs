//! JSON values -> configuration records, recording every problem with its path.

use super::envelope::{Expect, Paging};
use super::model::{Config, Group, List, PostureRule, Profile, RuleAt};
use super::reader::Reader;
use crate::diag::push_path_index;
use crate::json::tree::{Map, Value};

/// Cloudflare's posture rule types (`config.md` §5).
pub const POSTURE_TYPES: &[&str] = &[
    "file",
    "application",
    "tanium",
    "gateway",
    "warp",
    "disk_encryption",
    "serial_number",
    "sentinelone",
    "carbonblack",
    "firewall",
    "os_version",
    "domain_joined",
    "client_certificate",
    "client_certificate_v2",
    "antivirus",
    "unique_client_id",
    "kolide",
    "tanium_s2s",
    "crowdstrike_s2s",
    "intune",
    "workspace_one",
    "sentinelone_s2s",
    "custom_s2s",
];

/// The most records or rules room is made for ahead of reading them; past
/// it, vectors grow as they are filled.
const RESERVED: usize = 4096;

impl Reader<'_> {
    /// Reads one kind's value (array, resource or envelope) into `cfg`.
    pub fn kind(
        &mut self,
        cfg: &mut Config,
        kind: &str,
        v: &mut Value,
        path: &str,
        paging: &mut Paging,
    ) {
        let expect = match kind {
            "organization" | "device_default_profile" => Expect::One,
            _ => Expect::Many,
        };
        match kind {
            "access_groups" => cfg.present.groups = true,
            "device_profiles" | "device_default_profile" => cfg.present.device_profiles = true,
            "ip_profiles" => cfg.present.ip_profiles = true,
            "posture_rules" => cfg.present.posture_rules = true,
            "identity_providers" => cfg.present.identity_providers = true,
            "device_managed_networks" => cfg.present.managed_networks = true,
            "access_applications" => cfg.present.applications = true,
            _ => {}
        }
        let Some(items) = self.records(v, path, expect, paging) else {
            return;
        };
        // Room for this kind's records at once: a thousand groups grown one
        // push at a time were copied about ten times over. At most
        // `RESERVED` ahead: a hostile file of millions of items (invalid
        // ones too are counted here) must not ask for one huge allocation,
        // whose failure would abort instead of being reported.
        let ahead = items.len().min(RESERVED);
        match kind {
            "access_groups" => cfg.groups.reserve(ahead),
            "access_policies" => cfg.policies.reserve(ahead),
            _ => {}
        }
        for (item, p) in items {
            match kind {
                "access_groups" => {
                    if let Some(g) = self.group(item, &p) {
                        cfg.groups.push(g);
                    }
                }
                "lists" => {
                    if let Some(l) = self.list(item, &p) {
                        cfg.lists.push(l);
                    }
                }
                "device_profiles" => {
                    if let Some(prof) = self.profile(item, &p, false) {
                        cfg.device_profiles.push(prof);
                    }
                }
                "device_default_profile" => {
                    if let Some(mut prof) = self.profile(item, &p, false) {
                        prof.default = true;
                        cfg.device_profiles.push(prof);
                    }
                }
                "ip_profiles" => {
                    if let Some(prof) = self.profile(item, &p, true) {
                        cfg.ip_profiles.push(prof);
                    }
                }
                "posture_rules" => {
                    if let Some(r) = self.posture(item, &p) {
                        cfg.posture_rules.push(r);
                    }
                }
                "access_policies" => {
                    if let Some(pol) = self.policy(item, &p, None) {
                        cfg.policies.push(pol);
                    }
                }
                "access_applications" => {
                    if let Some(app) = self.application(item, &p) {
                        cfg.applications.push(app);
                    }
                }
                "identity_providers" => {
                    if let Some(idp) = self.identity_provider(item, &p) {
                        cfg.identity_providers.push(idp);
                    }
                }
                "device_managed_networks" => {
                    if let Some(n) = self.managed_network(item, &p) {
                        cfg.managed_networks.push(n);
                    }
                }
                "access_service_tokens" => {
                    if let Some(t) = self.service_token(item, &p) {
                        cfg.service_tokens.push(t);
                    }
                }
                "organization" => {
                    if let Some(obj) = self.object(item, &p) {
                        if cfg.organization.is_some() {
                            self.error(
                                &p,
                                "a second `organization`: there is one per account".into(),
                            );
                        }
                        cfg.organization = Some(Value::object_to_serde(obj));
                        cfg.organization_file = self.file.clone();
                    }
                }
                _ => {}
            }
        }
    }

    /// The rules of an `include`, `require` or `exclude` array.
    pub fn rules_in(&mut self, obj: &mut Map<String, Value>, key: &str, path: &str) -> Vec<RuleAt> {
        let mut out = Vec::new();
        let mut p = String::with_capacity(path.len() + key.len() + 1);
        p.push_str(path);
        p.push('.');
        p.push_str(key);
        let items = match obj.get_mut(key) {
            None | Some(Value::Null) => return out,
            Some(Value::Array(items)) => items,
            Some(other) => {
                self.error(
                    &p,
                    format!("expected an array of rules, found {}", other.kind()),
                );
                return out;
            }
        };
        // Sized once (grown a rule at a time, it cost 0.6% of loading 1,000
        // groups), within `RESERVED`.
        out.reserve_exact(items.len().min(RESERVED));
        // One buffer for every rule's path.
        let mut rp = String::with_capacity(p.len() + 32);
        for (i, item) in items.iter_mut().enumerate() {
            rp.clear();
            rp.push_str(&p);
            push_path_index(&mut rp, i);
            if let Some((rule, host_bits)) = self.rule(item, &rp) {
                if host_bits {
                    self.warning(
                        &format!("{rp}.ip.ip"),
                        "the cidr has host bits set; they are ignored".to_string(),
                    );
                }
                let mut path = String::with_capacity(key.len() + 8);
                path.push_str(key);
                push_path_index(&mut path, i);
                out.push(RuleAt {
                    rule,
                    path,
                    // Moved, not copied: nothing reads the tree's rules after.
                    json: std::mem::take(item),
                });
            }
        }
        out
    }

    fn group(&mut self, v: &mut Value, path: &str) -> Option<Group> {
        let obj = self.object_mut(v, path)?;
        let name = self.string_in(obj, "name", path)?;
        let id = self
            .opt_string(obj, "id", path)
            .unwrap_or_else(|| name.clone());
        let include = self.rules_in(obj, "include", path);
        let require = self.rules_in(obj, "require", path);
        let exclude = self.rules_in(obj, "exclude", path);
        let include_empty = match obj.get("include") {
            None | Some(Value::Null) => true,
            Some(Value::Array(items)) => items.is_empty(),
            Some(_) => false,
        };
        if include_empty {
            self.warning(
                &format!("{path}.include"),
                format!("group `{name}` has an empty `include`: it matches nobody"),
            );
        }
        Some(Group {
            id,
            name,
            include,
            require,
            exclude,
            path: path.to_string(),
            file: self.file.clone(),
        })
    }

    fn list(&mut self, v: &Value, path: &str) -> Option<List> {
        let obj = self.object(v, path)?;
        let id = self.string_in(obj, "id", path)?;
        let name = self
            .opt_string(obj, "name", path)
            .unwrap_or_else(|| id.clone());
        let kind = self.string_in(obj, "type", path)?.to_ascii_uppercase();
        let mut items = Vec::new();
        if let Some(arr) = obj.get("items").and_then(Value::as_array) {
            for (i, item) in arr.iter().enumerate() {
                if let Some(v) = self.list_item(item, &format!("{path}.items[{i}]"), &kind) {
                    items.push(v);
                }
            }
        }
        let count = obj
            .get("count")
            .and_then(Value::as_u64)
            .and_then(|c| usize::try_from(c).ok());
        Some(List {
            id,
            name,
            kind,
            items,
            count,
            path: path.to_string(),
            file: self.file.clone(),
        })
    }

    /// One list item (a string or `{"value": …}`), checked and normalised for
    /// the list's type.
    pub fn list_item(&mut self, item: &Value, path: &str, kind: &str) -> Option<String> {
        let value = match item {
            Value::String(s) => s.clone(),
            Value::Object(o) => self.string_in(o, "value", path)?,
            other => {
                self.error(
                    path,
                    format!(
                        "expected a string or `{{\"value\": …}}`, found {}",
                        other.kind()
                    ),
                );
                return None;
            }
        };
        if kind == "IP" && crate::literal::parse_ip_item(&value).is_none() {
            self.error(path, format!("invalid ip address or cidr `{value}`"));
            return None;
        }
        Some(if kind == "EMAIL" {
            value.to_ascii_lowercase()
        } else {
            value
        })
    }

    fn profile(&mut self, v: &Value, path: &str, ip: bool) -> Option<Profile> {
        let obj = self.object(v, path)?;
        // The API's default profile (`GET …/devices/policy`) has no name.
        let is_default = obj.get("default") == Some(&Value::Bool(true));
        let name = match self.opt_string(obj, "name", path) {
            Some(name) => name,
            None if is_default => "Default".to_string(),
            None => self.string_in(obj, "name", path)?,
        };
        let id = self
            .opt_string(obj, "policy_id", path)
            .or_else(|| self.opt_string(obj, "id", path));
        let precedence = self.precedence(obj, path).ok()?;
        let enabled = match obj.get("enabled") {
            None | Some(Value::Null) => true,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                self.error(
                    &format!("{path}.enabled"),
                    format!("expected true or false, found {}", other.kind()),
                );
                return None;
            }
        };
        let expr = self.opt_string(obj, "match", path);
        let default = match obj.get("default") {
            Some(Value::Bool(b)) => *b,
            _ => !ip && expr.is_none() && precedence.is_none(),
        };
        if !default && expr.is_none() {
            self.error(
                &format!("{path}.match"),
                format!("missing field `match` (profile `{name}` is not the default profile)"),
            );
            return None;
        }
        if !default && precedence.is_none() {
            self.error(
                &format!("{path}.precedence"),
                format!("missing field `precedence` (profile `{name}` is not the default profile)"),
            );
            return None;
        }
        let subnet_id = if ip {
            self.opt_string(obj, "subnet_id", path)
        } else {
            None
        };
        let settings = obj
            .iter()
            // A null setting is an absent one (config.md §1).
            .filter(|(k, v)| {
                !matches!(
                    k.as_str(),
                    "policy_id"
                        | "id"
                        | "name"
                        | "precedence"
                        | "enabled"
                        | "match"
                        | "default"
                        | "description"
                        | "subnet_id"
                ) && !v.is_null()
            })
            .map(|(k, v)| (k.clone(), v.to_serde()))
            .collect();
        Some(Profile {
            id,
            name,
            precedence,
            enabled,
            expr,
            default,
            settings,
            subnet_id,
            path: path.to_string(),
            file: self.file.clone(),
        })
    }

    fn posture(&mut self, v: &Value, path: &str) -> Option<PostureRule> {
        let obj = self.object(v, path)?;
        let id = self.string_in(obj, "id", path)?;
        let name = self
            .opt_string(obj, "name", path)
            .unwrap_or_else(|| id.clone());
        let kind = self.string_in(obj, "type", path)?;
        if !POSTURE_TYPES.contains(&kind.as_str()) {
            let hint = crate::diag::did_you_mean(&kind, POSTURE_TYPES.iter().copied())
                .map(|k| format!(" (did you mean `{k}`?)"))
                .unwrap_or_default();
            self.error(
                &format!("{path}.type"),
                format!(
                    "posture rule {}: unknown type `{kind}`{hint}",
                    super::access::who(&name, Some(&id))
                ),
            );
        }
        let input = obj
            .get("input")
            .map_or(serde_json::Value::Null, Value::to_serde);
        let mut platforms = Vec::new();
        match obj.get("match") {
            None | Some(Value::Null) => {}
            Some(Value::Array(m)) => {
                for (i, entry) in m.iter().enumerate() {
                    let p = format!("{path}.match[{i}]");
                    let Some(o) = self.object(entry, &p) else {
                        continue;
                    };
                    let Some(platform) = self.string_in(o, "platform", &p) else {
                        continue;
                    };
                    if crate::subject::OS_NAMES.contains(&platform.as_str()) {
                        platforms.push(platform);
                    } else {
                        self.error(
                            &format!("{p}.platform"),
                            format!(
                                "unknown platform `{platform}`: expected one of {}",
                                crate::subject::OS_NAMES.join(", ")
                            ),
                        );
                    }
                }
            }
            Some(other) => self.error(
                &format!("{path}.match"),
                format!(
                    "expected an array of `{{\"platform\": …}}`, found {}",
                    other.kind()
                ),
            ),
        }
        // How long a result stays good (`1h`, `30m`): an identity record's
        // older result is unknown. A value that is no duration is an error.
        let expiration = match self.opt_string(obj, "expiration", path) {
            None => None,
            Some(e) => match humantime::parse_duration(&e) {
                Ok(d) => Some(d),
                Err(err) => {
                    self.error(
                        &format!("{path}.expiration"),
                        format!("`{e}` is not a duration (`30m`, `1h`, `24h`): {err}"),
                    );
                    None
                }
            },
        };
        Some(PostureRule {
            id,
            name,
            kind,
            input,
            platforms,
            expiration,
            path: path.to_string(),
            file: self.file.clone(),
        })
    }
}
