//! `Config` + `Subject` -> `RefDecision`: the configuration-level test oracle, read
//! straight from `config.md` §2–§6. Group membership is computed recursively, rule
//! by rule, from the rules as written and the subject's fields; profiles are chosen
//! by sorting them and evaluating each `match` with the expression reference
//! interpreter (`reference.rs`) over a flat context. It is slow and plain on
//! purpose, never uses the engine's program, and the binary never calls it.
//! tests/agree_config.rs checks that the engine agrees with it.

use crate::config::{Config, Group, IdpRule, List, Profile, Rule};
use crate::engine::posture::{self, PostureResult};
use crate::expr::check_expression;
use crate::scheme::{Scheme, Type};
use crate::subject::Subject;
use crate::value::{Context, Value};
use std::cmp::Ordering;
use std::net::IpAddr;

/// What the configuration decides for one subject, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefDecision {
    /// The device profile's name (`Default` for the implicit default); `None` when
    /// the configuration has no device profiles at all.
    pub device_profile: Option<String>,
    /// The IP profile's name; `None` for the default pool (or no IP profiles).
    pub ip_profile: Option<String>,
    /// The names of the groups the subject is a member of, in input order.
    pub access_groups: Vec<String>,
    /// Posture rule ids that pass: those the context names, then computed ones.
    pub posture_passed: Vec<String>,
    /// Posture rule ids that fail: those the context names, then computed ones.
    pub posture_failed: Vec<String>,
    /// Configured posture rules neither named nor computable.
    pub posture_unknown: Vec<String>,
}

/// Decides one subject against a configuration (assumed to have loaded without errors).
pub fn decide(config: &Config, subject: &Subject) -> RefDecision {
    let mut out = RefDecision::default();
    if let Some(given) = &subject.device.posture {
        out.posture_passed = given.passed.clone();
        out.posture_failed = given.failed.clone();
    }
    for rule in &config.posture_rules {
        match posture_of(config, subject, &rule.id) {
            PostureResult::Passed if !out.posture_passed.contains(&rule.id) => {
                out.posture_passed.push(rule.id.clone());
            }
            PostureResult::Failed if !out.posture_failed.contains(&rule.id) => {
                out.posture_failed.push(rule.id.clone());
            }
            PostureResult::Unknown => out.posture_unknown.push(rule.id.clone()),
            _ => {}
        }
    }

    let access = Access { config, subject };
    out.access_groups = config
        .groups
        .iter()
        .filter(|g| access.member(g, &mut Vec::new()))
        .map(|g| g.name.clone())
        .collect();

    let (passed, failed) = (&out.posture_passed, &out.posture_failed);
    if config.present.device_profiles {
        let scheme = with_lists(Scheme::device(), config);
        let ctx = flat_context(&scheme, subject, passed, failed);
        let chosen = first_match(&config.device_profiles, &scheme, &ctx)
            .or_else(|| config.device_profiles.iter().find(|p| p.default));
        out.device_profile = Some(chosen.map_or_else(|| "Default".to_string(), |p| p.name.clone()));
    }
    if config.present.ip_profiles {
        let scheme = with_lists(Scheme::ip(), config);
        let ctx = flat_context(&scheme, subject, passed, failed);
        out.ip_profile = first_match(&config.ip_profiles, &scheme, &ctx).map(|p| p.name.clone());
    }
    out
}

/// One posture rule's result (§5); an unknown id is unknown.
fn posture_of(config: &Config, subject: &Subject, id: &str) -> PostureResult {
    let find_list = |id: &str| config.lists.iter().find(|l| l.id == id);
    match config.posture_rules.iter().find(|r| r.id == id) {
        Some(rule) => posture::evaluate(rule, subject, &find_list),
        None => PostureResult::Unknown,
    }
}

struct Access<'a> {
    config: &'a Config,
    subject: &'a Subject,
}

impl Access<'_> {
    /// `any(include) and all(require) and not any(exclude)` (§2). `visiting` holds
    /// the groups on the current reference path: a cycle (a configuration error)
    /// makes nobody a member rather than recursing forever.
    fn member(&self, group: &Group, visiting: &mut Vec<String>) -> bool {
        if visiting.contains(&group.id) {
            return false;
        }
        visiting.push(group.id.clone());
        let include = group.include.iter().any(|r| self.rule(&r.rule, visiting));
        let require = group.require.iter().all(|r| self.rule(&r.rule, visiting));
        let exclude = group.exclude.iter().any(|r| self.rule(&r.rule, visiting));
        visiting.pop();
        include && require && !exclude
    }

    /// One rule of §2.1; a context value that is absent makes it false.
    fn rule(&self, rule: &Rule, visiting: &mut Vec<String>) -> bool {
        let s = self.subject;
        let id = &s.identity;
        let req = &s.request;
        let email = id.email.as_deref();
        match rule {
            Rule::Everyone => true,
            Rule::Email(want) => email.is_some_and(|e| e.eq_ignore_ascii_case(want)),
            Rule::EmailDomain(want) => email
                .and_then(|e| e.rsplit_once('@'))
                .is_some_and(|(_, domain)| domain.eq_ignore_ascii_case(want)),
            Rule::EmailList(list) => match (email, self.list(list, "EMAIL")) {
                (Some(e), Some(l)) => l.items.iter().any(|i| i.eq_ignore_ascii_case(e)),
                _ => false,
            },
            Rule::Ip(net) => s.ip().is_some_and(|ip| net.contains(&ip)),
            Rule::IpList(list) => match (s.ip(), self.list(list, "IP")) {
                (Some(ip), Some(l)) => l.items.iter().any(|item| ip_item_contains(item, ip)),
                _ => false,
            },
            Rule::Geo(want) => req
                .country
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case(want)),
            Rule::Certificate => req.certificate.is_some(),
            Rule::CommonName(want) => req
                .certificate
                .as_ref()
                .and_then(|c| c.common_name.as_deref())
                .is_some_and(|cn| cn == want),
            Rule::ServiceToken(want) => req
                .service_token
                .as_ref()
                .and_then(|t| t.id.as_deref())
                .is_some_and(|t| t == want),
            Rule::AnyValidServiceToken => req.service_token.is_some(),
            Rule::AuthMethod(want) => id.amr.contains(want),
            Rule::LoginMethod(want) => self.idp_is(want),
            Rule::Okta(r) => {
                self.idp_is(&r.idp)
                    && id
                        .groups
                        .iter()
                        .any(|g| g.name.as_deref() == Some(&r.value))
            }
            Rule::AzureAd(r) => {
                self.idp_is(&r.idp) && id.groups.iter().any(|g| g.id.as_deref() == Some(&r.value))
            }
            Rule::Gsuite(r) => {
                self.idp_is(&r.idp)
                    && id.groups.iter().any(|g| {
                        g.email
                            .as_deref()
                            .is_some_and(|e| e.eq_ignore_ascii_case(&r.value))
                    })
            }
            Rule::Github(r) => {
                self.idp_is(&r.idp)
                    && id.github.iter().any(|o| {
                        o.org.eq_ignore_ascii_case(&r.value)
                            && r.key.as_ref().is_none_or(|team| {
                                o.teams.iter().any(|t| t.eq_ignore_ascii_case(team))
                            })
                    })
            }
            Rule::Saml(r) => self.idp_is(&r.idp) && has_value(&id.saml_attributes, r),
            Rule::Oidc(r) => self.idp_is(&r.idp) && has_value(&id.oidc_claims, r),
            Rule::AuthContext(r) => self.idp_is(&r.idp) && id.auth_contexts.contains(&r.value),
            Rule::DevicePosture(uid) => posture_of(self.config, s, uid) == PostureResult::Passed,
            Rule::UserRiskScore(scores) => {
                id.risk_score.as_ref().is_some_and(|r| scores.contains(r))
            }
            Rule::ExternalEvaluation(url) => req.external_evaluation.get(url) == Some(&true),
            Rule::LinkedAppToken(want) => req
                .linked_app_token
                .as_ref()
                .and_then(|t| t.app_uid.as_deref())
                .is_some_and(|a| a == want),
            Rule::Group(gid) => self
                .config
                .groups
                .iter()
                .find(|g| g.id == *gid)
                .is_some_and(|g| self.member(g, visiting)),
        }
    }

    fn idp_is(&self, want: &str) -> bool {
        let idp = self.subject.identity.idp.as_ref();
        idp.and_then(|i| i.id.as_deref()) == Some(want)
    }

    /// The configuration list `id`, when it has type `kind`.
    fn list(&self, id: &str, kind: &str) -> Option<&List> {
        self.config
            .lists
            .iter()
            .find(|l| l.id == id && l.kind == kind)
    }
}

/// `saml`/`oidc`: the attribute or claim named `r.key` contains `r.value`.
fn has_value(map: &crate::subject::Attributes, r: &IdpRule) -> bool {
    map.iter()
        .any(|(name, values)| Some(name) == r.key.as_deref() && values.contains(&r.value))
}

/// An IP list item is an address or a CIDR (host bits ignored).
fn ip_item_contains(item: &str, ip: IpAddr) -> bool {
    let item = item.trim();
    if let Ok(net) = item.parse::<ipnet::IpNet>() {
        return net.trunc().contains(&ip);
    }
    item.parse::<IpAddr>()
        .is_ok_and(|a| crate::literal::normalize_ip(a) == ip)
}

/// The scheme with the configuration's lists, in input order, as `$<id>`.
fn with_lists(mut scheme: Scheme, config: &Config) -> Scheme {
    for list in &config.lists {
        let ty = if list.kind == "IP" {
            Type::Ip
        } else {
            Type::Bytes
        };
        let _ = scheme.add_list(&list.id, ty, list.items.clone());
    }
    scheme
}

/// Selection (§4, §6): enabled custom profiles in ascending precedence, ties in
/// input order; the first whose `match` is true.
fn first_match<'p>(profiles: &'p [Profile], scheme: &Scheme, ctx: &Context) -> Option<&'p Profile> {
    let mut custom: Vec<(usize, &Profile)> = profiles
        .iter()
        .enumerate()
        .filter(|(_, p)| p.enabled && !p.default)
        .collect();
    custom.sort_by(|(i, a), (j, b)| {
        let by_precedence = a.precedence.partial_cmp(&b.precedence);
        by_precedence.unwrap_or(Ordering::Equal).then(i.cmp(j))
    });
    custom
        .into_iter()
        .map(|(_, p)| p)
        .find(|p| matches(p, scheme, ctx))
}

fn matches(p: &Profile, scheme: &Scheme, ctx: &Context) -> bool {
    let Some(src) = &p.expr else { return false };
    check_expression(src, scheme, &Default::default())
        .is_ok_and(|checked| crate::oracle::expr::eval(&checked, ctx, scheme))
}

fn bytes(s: &str) -> Value {
    Value::Bytes(s.as_bytes().into())
}

fn array<'a>(items: impl IntoIterator<Item = &'a str>) -> Value {
    Value::Array(items.into_iter().map(bytes).collect())
}

/// The flat context of `expressions.md` §8 for a profile scheme; fields the
/// scheme lacks (e.g. `os.name` in the IP scheme) are skipped.
fn flat_context(scheme: &Scheme, s: &Subject, passed: &[String], failed: &[String]) -> Context {
    let id = &s.identity;
    let pairs = |map: &crate::subject::Attributes| {
        let pairs: Vec<String> = map
            .iter()
            .flat_map(|(k, vs)| vs.iter().map(move |v| format!("{k}={v}")))
            .collect();
        array(pairs.iter().map(String::as_str))
    };
    let os = s.device.os.as_ref();
    let fields: [(&str, Option<Value>); 13] = [
        ("identity.email", id.email.as_deref().map(bytes)),
        ("identity.name", id.name.as_deref().map(bytes)),
        (
            "identity.groups.id",
            Some(array(id.groups.iter().filter_map(|g| g.id.as_deref()))),
        ),
        (
            "identity.groups.name",
            Some(array(id.groups.iter().filter_map(|g| g.name.as_deref()))),
        ),
        (
            "identity.groups.email",
            Some(array(id.groups.iter().filter_map(|g| g.email.as_deref()))),
        ),
        ("identity.saml_attributes", Some(pairs(&id.saml_attributes))),
        ("identity.oidc_claims", Some(pairs(&id.oidc_claims))),
        (
            "identity.service_token_uuid",
            id.service_token_uuid.as_deref().map(bytes),
        ),
        ("network", s.device.network.as_deref().map(bytes)),
        ("os.name", os.and_then(|o| o.name.as_deref()).map(bytes)),
        (
            "os.version",
            os.and_then(|o| o.version.as_deref()).map(bytes),
        ),
        (
            "device_posture.checks.passed",
            Some(array(passed.iter().map(String::as_str))),
        ),
        (
            "device_posture.checks.failed",
            Some(array(failed.iter().map(String::as_str))),
        ),
    ];
    let mut ctx = Context::new(scheme);
    for (name, value) in fields {
        if let Some(field) = scheme.field(name) {
            ctx.set(field, value);
        }
    }
    ctx
}
