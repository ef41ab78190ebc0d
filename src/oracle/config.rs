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
use crate::oracle::expr::UnknownField;
use crate::program::Tri;
use crate::scheme::{Scheme, Type};
use crate::subject::Subject;
use crate::value::{Context, Value};
use std::cmp::Ordering;
use std::net::IpAddr;

/// What the configuration decides for one subject, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefDecision {
    /// The device profile's name (`Default` for the implicit default), or
    /// `undetermined: A | B` (`config.md` §9); `None` when the configuration
    /// has no device profiles at all.
    pub device_profile: Option<String>,
    /// The IP profile's name, `undetermined: A | default pool`, or `None` for
    /// the default pool (or no IP profiles).
    pub ip_profile: Option<String>,
    /// The names of the groups the subject is a member of, in input order.
    pub access_groups: Vec<String>,
    /// The names of the groups whose membership is unknown, in input order.
    pub access_groups_unknown: Vec<String>,
    /// Posture rule ids that pass: those the context names, then computed ones.
    pub posture_passed: Vec<String>,
    /// Posture rule ids that fail: those the context names, then computed ones.
    pub posture_failed: Vec<String>,
    /// Configured posture rules neither named nor computable.
    pub posture_unknown: Vec<String>,
}

/// The engine's typed decision in the reference's terms, so that tests and
/// fuzz targets compare the two the same way.
pub fn view_of(d: &crate::engine::Decision<'_>) -> RefDecision {
    use crate::engine::decision::Selected;
    let posture = d.posture.clone().unwrap_or_default();
    RefDecision {
        device_profile: d.device_profile.as_ref().map(|p| p.selected.label(p.kind)),
        ip_profile: d.ip_profile.as_ref().and_then(|p| match &p.selected {
            Selected::Default(None) => None,
            other => Some(other.label(p.kind)),
        }),
        access_groups: d.member_names().into_iter().map(String::from).collect(),
        access_groups_unknown: d
            .access_groups
            .iter()
            .flat_map(|g| g.unknown.iter().map(|u| u.group.name.clone()))
            .collect(),
        posture_passed: posture.passed,
        posture_failed: posture.failed,
        posture_unknown: posture.unknown,
    }
}

/// Decides one subject against a configuration (assumed to have loaded without errors).
pub fn decide(config: &Config, subject: &Subject) -> RefDecision {
    // A token named only by its Client ID is the token an
    // `access_service_tokens` entry gives it; without one it is unknown
    // (context.md).
    let mut translated;
    let mut token_unknown = false;
    let subject = match subject.request.service_token.as_ref() {
        Some(t) if t.id.is_none() && t.client_id.is_some() => {
            match config
                .service_tokens
                .iter()
                .find(|e| e.client_id.is_some() && e.client_id == t.client_id)
            {
                Some(entry) => {
                    translated = subject.clone();
                    if let Some(t) = translated.request.service_token.as_mut() {
                        t.id = Some(entry.id.clone());
                    }
                    &translated
                }
                None => {
                    token_unknown = true;
                    subject
                }
            }
        }
        _ => subject,
    };
    let groups_unknown = subject.unknown.iter().any(|p| p == "identity.groups");
    let mut out = RefDecision::default();
    if let Some(given) = &subject.device.posture {
        // Each rule once, in the order first given.
        for (from, to) in [
            (&given.passed, &mut out.posture_passed),
            (&given.failed, &mut out.posture_failed),
        ] {
            for id in from {
                if !to.contains(id) {
                    to.push(id.clone());
                }
            }
        }
    }
    for rule in &config.posture_rules {
        match posture_of(config, subject, &rule.id) {
            PostureResult::Passed if !out.posture_passed.contains(&rule.id) => {
                out.posture_passed.push(rule.id.clone());
            }
            PostureResult::Failed if !out.posture_failed.contains(&rule.id) => {
                out.posture_failed.push(rule.id.clone());
            }
            PostureResult::Unknown(_) => {
                out.posture_passed.retain(|id| id != &rule.id);
                out.posture_failed.retain(|id| id != &rule.id);
                out.posture_unknown.push(rule.id.clone());
            }
            _ => {}
        }
    }

    let access = Access { config, subject };
    for g in &config.groups {
        match access.member(g, &mut Vec::new()) {
            Tri::True => out.access_groups.push(g.name.clone()),
            Tri::Unknown => out.access_groups_unknown.push(g.name.clone()),
            Tri::False => {}
        }
    }

    let (passed, failed) = (&out.posture_passed, &out.posture_failed);
    // The posture fields may hold any unknown result beyond the known ones.
    let candidates: Vec<Value> = out.posture_unknown.iter().map(|id| bytes(id)).collect();
    let unknown_fields = |scheme: &Scheme| -> Vec<UnknownField> {
        let mut out: Vec<UnknownField> = [
            "device_posture.checks.passed",
            "device_posture.checks.failed",
        ]
        .iter()
        .filter_map(|name| scheme.field(name))
        .map(|f| (f, Some(candidates.clone())))
        .collect();
        // Anything at all: an untranslated token's id, undeclared groups.
        let mut any = |names: &[&str]| {
            out.extend(
                names
                    .iter()
                    .filter_map(|n| scheme.field(n))
                    .map(|f| (f, None)),
            );
        };
        if token_unknown {
            any(&["identity.service_token_uuid"]);
        }
        if groups_unknown {
            any(&[
                "identity.groups.id",
                "identity.groups.name",
                "identity.groups.email",
            ]);
        }
        out
    };
    if config.present.device_profiles {
        let scheme = with_lists(Scheme::device(), config);
        let ctx = flat_context(&scheme, subject, passed, failed);
        let default = config
            .device_profiles
            .iter()
            .find(|p| p.default)
            .map_or("Default", |p| p.name.as_str());
        out.device_profile = first_match(
            &config.device_profiles,
            &scheme,
            &ctx,
            &unknown_fields(&scheme),
            Some(default),
        );
    }
    if config.present.ip_profiles {
        let scheme = with_lists(Scheme::ip(), config);
        let ctx = flat_context(&scheme, subject, passed, failed);
        out.ip_profile = first_match(
            &config.ip_profiles,
            &scheme,
            &ctx,
            &unknown_fields(&scheme),
            None,
        );
    }
    out
}

/// One posture rule's result (§5); an unknown id is unknown.
fn posture_of(config: &Config, subject: &Subject, id: &str) -> PostureResult {
    let find_list = |id: &str| {
        config
            .lists
            .iter()
            .find(|l| l.id == id)
            .map(|list| posture::ListRef { list, items: None })
    };
    match config.posture_rules.iter().find(|r| r.id == id) {
        Some(rule) => posture::evaluate(rule, subject, &find_list, false).result,
        None => PostureResult::Unknown(String::new()),
    }
}

pub(super) struct Access<'a> {
    pub(super) config: &'a Config,
    pub(super) subject: &'a Subject,
}

impl Access<'_> {
    /// `any(include) and all(require) and not any(exclude)` (§2). `visiting` holds
    /// the groups on the current reference path: a cycle (a configuration error)
    /// makes nobody a member rather than recursing forever.
    /// Kleene's logic (§9): an unknown rule makes the group unknown unless the
    /// others decide it.
    pub(super) fn member(&self, group: &Group, visiting: &mut Vec<String>) -> Tri {
        if visiting.contains(&group.id) {
            return Tri::False;
        }
        visiting.push(group.id.clone());
        let results = |rules: &[crate::config::RuleAt], visiting: &mut Vec<String>| -> Vec<Tri> {
            rules.iter().map(|r| self.rule(&r.rule, visiting)).collect()
        };
        let include = results(&group.include, visiting)
            .into_iter()
            .fold(Tri::False, Tri::or);
        let require = results(&group.require, visiting)
            .into_iter()
            .fold(Tri::True, Tri::and);
        let exclude = results(&group.exclude, visiting)
            .into_iter()
            .fold(Tri::False, Tri::or);
        visiting.pop();
        include.and(require).and(exclude.not())
    }

    /// One rule of §2.1, three-valued (§9): unknown for an unknown posture
    /// result, a value not among the known items of an incomplete list, and
    /// `cloudflare_account_member`.
    pub(super) fn rule(&self, rule: &Rule, visiting: &mut Vec<String>) -> Tri {
        match rule {
            Rule::AccountMember | Rule::AfterApply(_) => Tri::Unknown,
            Rule::DevicePosture(uid) => match posture_of(self.config, self.subject, uid) {
                PostureResult::Passed => Tri::True,
                PostureResult::Failed => Tri::False,
                PostureResult::Unknown(_) => Tri::Unknown,
            },
            Rule::EmailList(list) => {
                let email = self.subject.identity.email.as_deref();
                match (email, self.list(list, "EMAIL")) {
                    (Some(e), Some(l)) if l.items.iter().any(|i| i.eq_ignore_ascii_case(e)) => {
                        Tri::True
                    }
                    (Some(_), Some(l)) if l.is_incomplete() => Tri::Unknown,
                    _ => Tri::False,
                }
            }
            Rule::IpList(list) => match (self.subject.ip(), self.list(list, "IP")) {
                (Some(ip), Some(l)) if l.items.iter().any(|item| ip_item_contains(item, ip)) => {
                    Tri::True
                }
                (Some(_), Some(l)) if l.is_incomplete() => Tri::Unknown,
                _ => Tri::False,
            },
            Rule::Group(gid) => self
                .config
                .groups
                .iter()
                .find(|g| g.id == *gid)
                .map_or(Tri::False, |g| self.member(g, visiting)),
            // An identity record without groups says nothing about them
            // (context.md): the provider decides false, else unknown.
            Rule::Okta(r) | Rule::AzureAd(r) | Rule::Gsuite(r) | Rule::Github(r)
                if self.subject.unknown.iter().any(|p| p == "identity.groups") =>
            {
                if self.idp_is(&r.idp) {
                    Tri::Unknown
                } else {
                    Tri::False
                }
            }
            // A record's token is its Client ID, translated by the configuration's
            // service tokens; one it cannot translate is unknown.
            Rule::ServiceToken(_) | Rule::AnyValidServiceToken if self.token_client().is_some() => {
                let client = self.token_client();
                let token = self
                    .config
                    .service_tokens
                    .iter()
                    .find(|t| t.client_id.as_deref() == client);
                match (token, rule) {
                    (None, _) => Tri::Unknown,
                    (Some(_), Rule::AnyValidServiceToken) => Tri::True,
                    (Some(t), Rule::ServiceToken(want)) => Tri::from(&t.id == want),
                    _ => Tri::False,
                }
            }
            known => Tri::from(self.known_rule(known)),
        }
    }

    /// A rule that reads no unknown input; a context value that is absent makes
    /// it false.
    fn known_rule(&self, rule: &Rule) -> bool {
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

            Rule::Ip(net) => s.ip().is_some_and(|ip| net.contains(&ip)),

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
            // `identity.service_token_uuid` and `request.service_token.id` are
            // one token: either stands for both (`context.md`).
            Rule::ServiceToken(want) => req
                .service_token
                .as_ref()
                .and_then(|t| t.id.as_deref())
                .or(id.service_token_uuid.as_deref())
                .is_some_and(|t| t == want),
            Rule::AnyValidServiceToken => {
                req.service_token.is_some() || id.service_token_uuid.is_some()
            }
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

            Rule::UserRiskScore(scores) => {
                id.risk_score.as_ref().is_some_and(|r| scores.contains(r))
            }
            Rule::ExternalEvaluation(url) => req.external_evaluation.get(url) == Some(&true),

            Rule::LinkedAppToken(want) => req
                .linked_app_token
                .as_ref()
                .and_then(|t| t.app_uid.as_deref())
                .is_some_and(|a| a == want),
            Rule::EmailList(_)
            | Rule::IpList(_)
            | Rule::DevicePosture(_)
            | Rule::AccountMember
            | Rule::AfterApply(_)
            | Rule::Group(_) => false,
        }
    }

    /// The token named only by its Client ID (an identity record's).
    fn token_client(&self) -> Option<&str> {
        let t = self.subject.request.service_token.as_ref()?;
        if t.id.is_some() {
            return None;
        }
        t.client_id.as_deref()
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
        if let Ok(id) = scheme.add_list(&list.id, ty, list.items.clone())
            && list.is_incomplete()
        {
            scheme.mark_incomplete(id);
        }
    }
    scheme
}

/// Selection (§4, §6, §9): enabled custom profiles in ascending precedence,
/// ties in input order; the first whose `match` is true. Unknown matches before
/// it make the answer `undetermined: A | B | …`, the last candidate being the
/// first true one or the default (`default`, `None`: the default IP pool).
fn first_match(
    profiles: &[Profile],
    scheme: &Scheme,
    ctx: &Context,
    unknown: &[UnknownField],
    default: Option<&str>,
) -> Option<String> {
    let mut custom: Vec<(usize, &Profile)> = profiles
        .iter()
        .enumerate()
        .filter(|(_, p)| p.enabled && !p.default)
        .collect();
    custom.sort_by(|(i, a), (j, b)| {
        let by_precedence = a.precedence.partial_cmp(&b.precedence);
        by_precedence.unwrap_or(Ordering::Equal).then(i.cmp(j))
    });
    let mut candidates: Vec<String> = Vec::new();
    let mut chosen = None;
    for (_, p) in custom {
        match matches(p, scheme, ctx, unknown) {
            Tri::True => {
                chosen = Some(p.name.clone());
                break;
            }
            Tri::Unknown => candidates.push(p.name.clone()),
            Tri::False => {}
        }
    }
    let last = chosen.or_else(|| default.map(String::from));
    if candidates.is_empty() {
        return last;
    }
    candidates.push(last.unwrap_or_else(|| "default pool".to_string()));
    Some(format!("undetermined: {}", candidates.join(" | ")))
}

fn matches(p: &Profile, scheme: &Scheme, ctx: &Context, unknown: &[UnknownField]) -> Tri {
    let Some(src) = &p.expr else {
        return Tri::False;
    };
    check_expression(src, scheme, &Default::default()).map_or(Tri::False, |checked| {
        crate::oracle::expr::eval_tri(&checked, ctx, scheme, unknown)
    })
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
            id.service_token_uuid
                .as_deref()
                .or_else(|| {
                    s.request
                        .service_token
                        .as_ref()
                        .and_then(|t| t.id.as_deref())
                })
                .map(bytes),
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
