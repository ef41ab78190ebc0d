//! The checks of `config.md` §8 on Access policies and applications and on the
//! directory kinds: policy rules read like a group's (unknown ids, lists of the
//! wrong type), identity rules where no identity is, service-token rules where
//! they never match, IdP rules against the providers, `network` values against
//! the managed networks.

use crate::config::{Config, Policy, PolicyDecision, Problem, Rule, RuleAt, Severity, who};
use crate::expr::ast::{Base, ExprKind, LitKind};
use crate::hash::{TextMap as HashMap, TextSet as HashSet};
use crate::scheme::ListId;

fn push(problems: &mut Vec<Problem>, severity: Severity, file: &str, path: &str, message: String) {
    problems.push(Problem {
        severity,
        file: file.to_string(),
        path: path.to_string(),
        message,
        expr: None,
        position: None,
    });
}

/// Rules that read the identity: they never match without one.
pub fn is_identity_rule(rule: &Rule) -> bool {
    matches!(
        rule,
        Rule::Email(_)
            | Rule::EmailDomain(_)
            | Rule::EmailList(_)
            | Rule::Okta(_)
            | Rule::AzureAd(_)
            | Rule::Gsuite(_)
            | Rule::Github(_)
            | Rule::Saml(_)
            | Rule::Oidc(_)
            | Rule::AuthMethod(_)
            | Rule::AuthContext(_)
            | Rule::LoginMethod(_)
            | Rule::UserRiskScore(_)
            | Rule::ExternalEvaluation(_)
    )
}

/// Rules that match only in Service Auth and Bypass policies.
pub fn is_service_token_rule(rule: &Rule) -> bool {
    matches!(
        rule,
        Rule::ServiceToken(_) | Rule::AnyValidServiceToken | Rule::LinkedAppToken(_)
    )
}

/// The known ids a rule may reference.
pub struct Known<'a> {
    /// Lists by id, with their type.
    pub lists: &'a HashMap<String, (ListId, String)>,
    /// Posture rule ids.
    pub posture: &'a HashSet<&'a str>,
    /// Group ids.
    pub groups: &'a HashSet<&'a str>,
}

fn rules(p: &Policy) -> impl Iterator<Item = &RuleAt> {
    p.include.iter().chain(&p.require).chain(&p.exclude)
}

/// Every policy, reusable and inline, read and checked like a group.
pub fn access(cfg: &Config, known: &Known<'_>, problems: &mut Vec<Problem>) {
    let inline = cfg
        .applications
        .iter()
        .flat_map(|a| a.policies.iter().filter_map(|e| e.body.as_ref()));
    for p in cfg.policies.iter().chain(inline) {
        let name = who(&p.name, p.id.as_deref());
        let mut identity = Vec::new();
        for r in rules(p) {
            let path = format!("{}.{}", p.path, r.path);
            super::validate::rule_refs(
                &r.rule,
                &|| path.clone(),
                &p.file,
                known.lists,
                known.posture,
                known.groups,
                problems,
            );
            if is_identity_rule(&r.rule) {
                identity.push(r.path.clone());
            }
            if is_service_token_rule(&r.rule)
                && matches!(p.decision, PolicyDecision::Allow | PolicyDecision::Deny)
            {
                push(
                    problems,
                    Severity::Warning,
                    &p.file,
                    &path,
                    format!(
                        "policy {name} ({}): a service-token rule matches only in `non_identity` (Service Auth) or `bypass` policies; here it never matches",
                        p.decision.as_str()
                    ),
                );
            }
        }
        if !identity.is_empty()
            && matches!(
                p.decision,
                PolicyDecision::Bypass | PolicyDecision::NonIdentity
            )
        {
            push(
                problems,
                Severity::Warning,
                &p.file,
                &p.path,
                format!(
                    "policy {name} ({}) has identity-based rules ({}): it is evaluated without an identity, so they never match",
                    p.decision.as_str(),
                    identity.join(", ")
                ),
            );
        }
    }
    for app in &cfg.applications {
        if app.kind != "infrastructure" {
            continue;
        }
        for e in &app.policies {
            let decision = match (e.reusable, &e.body) {
                (Some(i), _) => cfg.policies.get(i).map(|p| p.decision),
                (None, Some(b)) => Some(b.decision),
                _ => None,
            };
            if let Some(d) = decision.filter(|d| *d != PolicyDecision::Allow) {
                push(
                    problems,
                    Severity::Error,
                    &app.file,
                    &e.path,
                    format!(
                        "application {}: an `infrastructure` application takes `allow` policies only, not `{}`",
                        who(&app.name, app.id.as_deref()),
                        d.as_str()
                    ),
                );
            }
        }
    }
}

/// The provider type a rule kind needs.
fn idp_type(rule: &Rule) -> Option<(&str, &'static str)> {
    Some(match rule {
        Rule::Okta(r) => (&r.idp, "okta"),
        Rule::AzureAd(r) | Rule::AuthContext(r) => (&r.idp, "azureAD"),
        Rule::Gsuite(r) => (&r.idp, "google-apps"),
        Rule::Github(r) => (&r.idp, "github"),
        Rule::Saml(r) => (&r.idp, "saml"),
        Rule::Oidc(r) => (&r.idp, "oidc"),
        Rule::LoginMethod(id) => (id, ""),
        _ => return None,
    })
}

/// IdP rules against `identity_providers`, `network` values against
/// `device_managed_networks`, when those kinds are given.
pub fn directory(cfg: &Config, problems: &mut Vec<Problem>) {
    if cfg.present.identity_providers {
        let idps: HashMap<&str, (&str, &str)> = cfg
            .identity_providers
            .iter()
            .map(|p| (p.id.as_str(), (p.kind.as_str(), p.name.as_str())))
            .collect();
        let groups = cfg
            .groups
            .iter()
            .map(|g| (&g.file, &g.path, &g.include, &g.require, &g.exclude));
        let policies = cfg
            .policies
            .iter()
            .chain(
                cfg.applications
                    .iter()
                    .flat_map(|a| a.policies.iter().filter_map(|e| e.body.as_ref())),
            )
            .map(|p| (&p.file, &p.path, &p.include, &p.require, &p.exclude));
        for (file, path, inc, req, exc) in groups.chain(policies) {
            for r in inc.iter().chain(req).chain(exc) {
                let Some((id, want)) = idp_type(&r.rule) else {
                    continue;
                };
                let at = format!("{path}.{}", r.path);
                match idps.get(id) {
                    None => push(
                        problems,
                        Severity::Error,
                        file,
                        &at,
                        format!(
                            "unknown identity provider `{id}` (not among `identity_providers`)"
                        ),
                    ),
                    Some((kind, name)) if !want.is_empty() && !kind.eq_ignore_ascii_case(want) => {
                        push(
                            problems,
                            Severity::Warning,
                            file,
                            &at,
                            format!(
                                "identity provider {} is of type `{kind}`; this rule reads a `{want}` provider's claims and never matches its users",
                                who(name, Some(id))
                            ),
                        )
                    }
                    Some(_) => {}
                }
            }
        }
    }
    if cfg.present.managed_networks {
        let names: HashSet<&str> = cfg
            .managed_networks
            .iter()
            .map(|n| n.name.as_str())
            .collect();
        for p in cfg.device_profiles.iter().chain(&cfg.ip_profiles) {
            let Some(src) = &p.expr else { continue };
            let Ok(expr) = crate::expr::parse::parse(src) else {
                continue;
            };
            expr.walk(&mut |e| {
                if let ExprKind::Compare { lhs, rhs, .. } = &e.kind
                    && let Base::Field(f) = &lhs.base
                    && &*f.name == "network"
                {
                    for l in rhs.literals() {
                        if let LitKind::Str(b) = &l.kind {
                            let v = String::from_utf8_lossy(b);
                            if !names.contains(&*v) {
                                push(
                                    problems,
                                    Severity::Warning,
                                    &p.file,
                                    &format!("{}.match", p.path),
                                    format!(
                                        "device profile {}: `network` is compared with `{v}`, which no managed network is named",
                                        who(&p.name, p.id.as_deref())
                                    ),
                                );
                            }
                        }
                    }
                }
            });
        }
    }
}

/// Prefixes each problem inside a resource with the resource's kind, name and
/// id (`group `Engineering` (3e5f…): …`), so a reader finds it in the
/// dashboard as well as in the file (`config.md` §8).
pub fn name_owners(cfg: &Config, problems: &mut [Problem]) {
    // Most loads have no problem: labels are written only for owners found.
    if problems.is_empty() {
        return;
    }
    // (file, path, kind, name, id)
    type Owner<'a> = (&'a str, &'a str, &'static str, &'a str, Option<&'a str>);
    let mut owners: Vec<Owner<'_>> = Vec::new();
    for g in &cfg.groups {
        owners.push((&g.file, &g.path, "group", &g.name, Some(&g.id)));
    }
    for l in &cfg.lists {
        owners.push((&l.file, &l.path, "list", &l.name, Some(&l.id)));
    }
    for p in &cfg.device_profiles {
        owners.push((&p.file, &p.path, "device profile", &p.name, p.id.as_deref()));
    }
    for p in &cfg.ip_profiles {
        owners.push((&p.file, &p.path, "ip profile", &p.name, p.id.as_deref()));
    }
    for r in &cfg.posture_rules {
        owners.push((&r.file, &r.path, "posture rule", &r.name, Some(&r.id)));
    }
    for p in &cfg.policies {
        owners.push((&p.file, &p.path, "policy", &p.name, p.id.as_deref()));
    }
    for a in &cfg.applications {
        owners.push((&a.file, &a.path, "application", &a.name, a.id.as_deref()));
    }
    for i in &cfg.identity_providers {
        owners.push((&i.file, &i.path, "identity provider", &i.name, Some(&i.id)));
    }
    for p in problems.iter_mut() {
        let owner = owners
            .iter()
            .filter(|(file, path, ..)| {
                *file == p.file
                    && p.path.strip_prefix(*path).is_some_and(|rest| {
                        rest.is_empty() || rest.starts_with('.') || rest.starts_with('[')
                    })
            })
            .max_by_key(|(_, path, ..)| path.len());
        if let Some((_, _, kind, name, id)) = owner {
            let label = format!("{kind} {}", who(name, *id));
            let named = label
                .split_once('`')
                .and_then(|(_, rest)| rest.split_once('`'))
                .is_some_and(|(name, _)| p.message.contains(&format!("`{name}`")));
            if !named {
                p.message = format!("{label}: {}", p.message);
            }
        }
    }
}

/// Two applications with the same destination (`config.md` §8): the earlier
/// one protects it, which is rarely what the later one's author meant.
pub fn same_destinations(cfg: &Config, problems: &mut Vec<Problem>) {
    use crate::route::Target;
    let mut seen: HashMap<String, &str> = HashMap::default();
    for app in &cfg.applications {
        if app.kind == "bookmark" {
            continue;
        }
        let mut own = HashSet::default();
        for d in &app.destinations {
            let key = match &d.target {
                Target::Public(p) => format!("public {}", p.canonical()),
                Target::Private(p) => format!("private {p:?}"),
            };
            if !own.insert(key.clone()) {
                continue;
            }
            match seen.get(key.as_str()) {
                Some(first) => push(
                    problems,
                    Severity::Warning,
                    &app.file,
                    &d.path,
                    format!(
                        "application {} has the same destination as application {first}; the earlier one protects it",
                        who(&app.name, app.id.as_deref())
                    ),
                ),
                None => {
                    seen.insert(key, &app.name);
                }
            }
        }
    }
}
