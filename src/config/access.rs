//! Access policies and applications -> `Policy`, `Application` (`config.md` §7).
//! Their rules are read by the same reader as a group's; which entry of an
//! application is a link and which its own policy is settled in `finish.rs`,
//! once the reusable policies are known.

use super::model::{AppPolicy, Application, Policy, PolicyDecision};
use super::reader::Reader;
use crate::json::tree::Value;

/// The fields a link may carry to override its reusable policy for one application.
pub const OVERRIDES: &[&str] = &[
    "approval_required",
    "approval_groups",
    "isolation_required",
    "purpose_justification_required",
    "purpose_justification_prompt",
    "session_duration",
];

/// Cloudflare's application types (`config.md` §7).
pub const APP_TYPES: &[&str] = &[
    "self_hosted",
    "saas",
    "ssh",
    "vnc",
    "rdp",
    "app_launcher",
    "warp",
    "biso",
    "bookmark",
    "dash_sso",
    "infrastructure",
    "mcp",
    "mcp_portal",
    "proxy_endpoint",
];

const DECISIONS: &[&str] = &["allow", "deny", "bypass", "non_identity"];

impl Reader<'_> {
    /// One policy; `app` names the application of an inline one.
    pub fn policy(&mut self, v: &mut Value, path: &str, app: Option<&str>) -> Option<Policy> {
        let obj = self.object_mut(v, path)?;
        let id = self.opt_string(obj, "id", path);
        let name = self
            .opt_string(obj, "name", path)
            .or_else(|| id.clone())
            .unwrap_or_else(|| match app {
                Some(app) => format!("{app}: policy {path}"),
                None => format!("policy {path}"),
            });
        let word = self.string_in(obj, "decision", path)?;
        let decision = match word.as_str() {
            "allow" => PolicyDecision::Allow,
            "deny" => PolicyDecision::Deny,
            "bypass" => PolicyDecision::Bypass,
            "non_identity" => PolicyDecision::NonIdentity,
            other => {
                let hint = crate::diag::did_you_mean(other, DECISIONS.iter().copied())
                    .map(|k| format!(" (did you mean `{k}`?)"))
                    .unwrap_or_default();
                self.error(
                    &format!("{path}.decision"),
                    format!("unknown decision `{other}`: expected `allow`, `deny`, `bypass` or `non_identity`{hint}"),
                );
                return None;
            }
        };
        let precedence = self.precedence(obj, path).ok()?;
        let include = self.rules_in(obj, "include", path);
        let require = self.rules_in(obj, "require", path);
        let exclude = self.rules_in(obj, "exclude", path);
        if matches!(obj.get("include"), None | Some(Value::Null))
            || obj
                .get("include")
                .and_then(Value::as_array)
                .is_some_and(Vec::is_empty)
        {
            self.warning(
                &format!("{path}.include"),
                format!(
                    "policy {} has an empty `include`: it matches nobody",
                    who(&name, id.as_deref())
                ),
            );
        }
        let settings = obj
            .iter()
            .filter(|(k, _)| {
                !matches!(
                    k.as_str(),
                    "id" | "name" | "decision" | "precedence" | "include" | "require" | "exclude"
                )
            })
            .map(|(k, v)| (k.clone(), v.to_serde()))
            .collect();
        Some(Policy {
            id,
            name,
            decision,
            precedence,
            include,
            require,
            exclude,
            settings,
            path: path.to_string(),
            file: self.file.clone(),
        })
    }

    /// One application with its `policies` entries as written.
    pub fn application(&mut self, v: &mut Value, path: &str) -> Option<Application> {
        let obj = self.object_mut(v, path)?;
        let id = self
            .opt_string(obj, "id", path)
            .or_else(|| self.opt_string(obj, "uid", path));
        let kind = self
            .opt_string(obj, "type", path)
            .unwrap_or_else(|| "self_hosted".into());
        if !APP_TYPES.contains(&kind.as_str()) {
            let hint = crate::diag::did_you_mean(&kind, APP_TYPES.iter().copied())
                .map(|k| format!(" (did you mean `{k}`?)"))
                .unwrap_or_default();
            self.error(
                &format!("{path}.type"),
                format!("unknown application type `{kind}`{hint}"),
            );
        }
        let name = self
            .opt_string(obj, "name", path)
            .or_else(|| self.opt_string(obj, "domain", path))
            .or_else(|| id.clone())
            .unwrap_or_else(|| format!("application {path}"));
        let mut policies = Vec::new();
        match obj.get_mut("policies") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.iter_mut().enumerate() {
                    let p = format!("{path}.policies[{i}]");
                    if let Some(entry) = self.app_policy(item, &p, &name) {
                        policies.push(entry);
                    }
                }
            }
            Some(other) => self.error(
                &format!("{path}.policies"),
                format!("expected an array of policies, found {}", other.kind()),
            ),
        }
        let destinations = self.destinations(obj, path);
        let allowed_idps = match obj.get("allowed_idps") {
            None | Some(Value::Null) => None,
            v => self
                .string_array(v, &format!("{path}.allowed_idps"))
                .filter(|ids| !ids.is_empty()),
        };
        let session_duration = self.opt_string(obj, "session_duration", path);
        let settings = obj
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "id" | "uid" | "name" | "type" | "policies"))
            .map(|(k, v)| (k.clone(), v.to_serde()))
            .collect();
        Some(Application {
            id,
            name,
            kind,
            policies,
            destinations,
            allowed_idps,
            session_duration,
            settings,
            path: path.to_string(),
            file: self.file.clone(),
        })
    }

    fn app_policy(&mut self, v: &mut Value, path: &str, app: &str) -> Option<AppPolicy> {
        let obj = match &*v {
            Value::String(id) => {
                return Some(AppPolicy {
                    id: Some(id.clone()),
                    precedence: None,
                    overrides: serde_json::Map::new(),
                    body: None,
                    path: path.to_string(),
                    reusable: None,
                });
            }
            other => self.object(other, path)?,
        };
        let id = self.opt_string(obj, "id", path);
        let precedence = self.precedence(obj, path).ok()?;
        let has_body = ["decision", "include", "require", "exclude"]
            .iter()
            .any(|k| obj.get(k).is_some_and(|v| !v.is_null()));
        // Before the body is read: its rules are moved out of `v`.
        let overrides = obj
            .iter()
            .filter(|(k, _)| OVERRIDES.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.to_serde()))
            .collect();
        let body = if has_body {
            Some(self.policy(v, path, Some(app))?)
        } else {
            None
        };
        if id.is_none() && body.is_none() {
            self.error(
                path,
                "a policy entry needs an `id` (a reusable policy) or a policy body (`decision`, `include`, ...)".into(),
            );
            return None;
        }
        Some(AppPolicy {
            id,
            precedence,
            overrides,
            body,
            path: path.to_string(),
            reusable: None,
        })
    }
}

/// `Name (id)` for messages, so a reader finds the resource in the dashboard
/// and in the file.
pub fn who(name: &str, id: Option<&str>) -> String {
    match id {
        Some(id) if id != name => format!("`{name}` ({id})"),
        _ => format!("`{name}`"),
    }
}
