//! One Access rule object -> `Rule` (`config.md` §2.1): exactly one key, its kind,
//! with the fields that kind requires. Terraform's `azure_ad` and
//! `github_organization` are aliases.

use super::model::{IdpRule, Rule};
use super::reader::Reader;
use crate::json::tree::Value;

/// The rule kinds, for "did you mean".
const RULE_KINDS: &[&str] = &[
    "everyone",
    "email",
    "email_domain",
    "email_list",
    "ip",
    "ip_list",
    "geo",
    "certificate",
    "common_name",
    "service_token",
    "any_valid_service_token",
    "auth_method",
    "login_method",
    "okta",
    "azureAD",
    "gsuite",
    "github-organization",
    "saml",
    "oidc",
    "auth_context",
    "device_posture",
    "user_risk_score",
    "external_evaluation",
    "linked_app_token",
    "group",
    "cloudflare_account_member",
];

impl Reader<'_> {
    /// Reads one rule object at `path`; problems are recorded and `None`
    /// returned. The body's path is built only for a problem (`BodyAt`): a
    /// configuration of 1,000 groups reads some 7,000 rules, and their body
    /// paths were a thirty-fifth of loading it.
    pub fn rule(&mut self, v: &Value, path: &str) -> Option<(Rule, bool)> {
        let obj = self.object(v, path)?;
        // The one entry is read as it is: looking its key up again would hash it.
        let mut entries = obj.iter();
        let (Some((kind, body)), None) = (entries.next(), entries.next()) else {
            let found: Vec<String> = obj.keys().map(|k| format!("`{k}`")).collect();
            self.error(
                path,
                if found.is_empty() {
                    "a rule needs exactly one key, its kind; found none".to_string()
                } else {
                    format!(
                        "a rule needs exactly one key, its kind; found {}",
                        found.join(", ")
                    )
                },
            );
            return None;
        };
        self.rule_body(kind, body, path)
    }

    /// A rule's body, of kind `kind` (the rule at `path`).
    fn rule_body(&mut self, kind: &str, body: &Value, path: &str) -> Option<(Rule, bool)> {
        let at = BodyAt { rule: path, kind };
        let Value::Object(body_obj) = body else {
            self.object(body, &at.path());
            return None;
        };
        let s = |r: &mut Self, key: &str| r.string_at(body_obj, key, &|| at.path());
        let idp = |r: &mut Self, value_key: &str, key: Option<&str>| -> Option<IdpRule> {
            let value = r.string_at(body_obj, value_key, &|| at.path());
            let key = match key {
                Some(k) => Some(r.string_at(body_obj, k, &|| at.path())?),
                None => None,
            };
            let idp = r.string_at(body_obj, "identity_provider_id", &|| at.path());
            Some(IdpRule {
                idp: idp?,
                value: value?,
                key,
            })
        };
        let mut host_bits = false;
        let rule = match kind {
            "everyone" => Rule::Everyone,
            "email" => Rule::Email(s(self, "email")?),
            "email_domain" => Rule::EmailDomain(s(self, "domain")?),
            "email_list" => Rule::EmailList(s(self, "id")?),
            "ip" => {
                let text = s(self, "ip")?;
                let net = match text.parse::<ipnet::IpNet>() {
                    Ok(n) => crate::literal::normalize_net(n),
                    Err(_) => match text.parse::<std::net::IpAddr>() {
                        Ok(ip) => ipnet::IpNet::from(crate::literal::normalize_ip(ip)),
                        Err(_) => {
                            self.error(
                                &format!("{}.ip", at.path()),
                                format!("invalid ip address or cidr `{text}`"),
                            );
                            return None;
                        }
                    },
                };
                host_bits = net.trunc() != net;
                Rule::Ip(net.trunc())
            }
            "ip_list" => Rule::IpList(s(self, "id")?),
            "geo" => Rule::Geo(s(self, "country_code")?),
            "certificate" => Rule::Certificate,
            "common_name" => Rule::CommonName(s(self, "common_name")?),
            "service_token" => Rule::ServiceToken(s(self, "token_id")?),
            "any_valid_service_token" => Rule::AnyValidServiceToken,
            "auth_method" => Rule::AuthMethod(s(self, "auth_method")?),
            "login_method" => Rule::LoginMethod(s(self, "id")?),
            "okta" => Rule::Okta(idp(self, "name", None)?),
            "azureAD" | "azure_ad" => Rule::AzureAd(idp(self, "id", None)?),
            "gsuite" => Rule::Gsuite(idp(self, "email", None)?),
            "github-organization" | "github_organization" => {
                let mut r = idp(self, "name", None)?;
                r.key = match body_obj.get("team") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(t)) => Some(t.clone()),
                    Some(_) => {
                        self.error(
                            &format!("{}.team", at.path()),
                            "expected a string".to_string(),
                        );
                        return None;
                    }
                };
                Rule::Github(r)
            }
            "saml" => Rule::Saml(idp(self, "attribute_value", Some("attribute_name"))?),
            "oidc" => Rule::Oidc(idp(self, "claim_value", Some("claim_name"))?),
            "auth_context" => Rule::AuthContext(idp(self, "ac_id", None)?),
            "device_posture" => Rule::DevicePosture(s(self, "integration_uid")?),
            "user_risk_score" => {
                let list = body_obj.get("user_risk_score");
                let items = self.string_array(list, &format!("{}.user_risk_score", at.path()))?;
                for (i, item) in items.iter().enumerate() {
                    if !matches!(item.as_str(), "low" | "medium" | "high" | "unscored") {
                        self.error(
                            &format!("{}.user_risk_score[{i}]", at.path()),
                            format!("unknown risk score `{item}`: expected `low`, `medium`, `high` or `unscored`"),
                        );
                    }
                }
                Rule::UserRiskScore(items)
            }
            "external_evaluation" => {
                let url = s(self, "evaluate_url")?;
                let _ = s(self, "keys_url")?;
                Rule::ExternalEvaluation(url)
            }
            "linked_app_token" => Rule::LinkedAppToken(s(self, "app_uid")?),
            "group" => Rule::Group(s(self, "id")?),
            // What zt-eval writes for a rule of a Terraform plan whose value
            // is known only after apply (`terraform/unknown.rs`).
            "after_apply" => Rule::AfterApply(s(self, "value")?),
            "cloudflare_account_member" => {
                self.warning(
                    path,
                    "a `cloudflare_account_member` rule cannot be known offline: it is unknown in every decision".into(),
                );
                Rule::AccountMember
            }
            other => {
                let hint = crate::diag::did_you_mean(other, RULE_KINDS.iter().copied())
                    .map(|k| format!(" (did you mean `{k}`?)"))
                    .unwrap_or_default();
                self.error(path, format!("unknown rule kind `{other}`{hint}"));
                return None;
            }
        };
        Some((rule, host_bits))
    }
}

/// Where a rule's body is: its rule's path and its kind, joined only when a
/// problem needs the path.
#[derive(Clone, Copy)]
struct BodyAt<'a> {
    rule: &'a str,
    kind: &'a str,
}

impl BodyAt<'_> {
    fn path(self) -> String {
        let mut p = String::with_capacity(self.rule.len() + self.kind.len() + 1);
        p.push_str(self.rule);
        crate::diag::push_path_key(&mut p, self.kind);
        p
    }
}
