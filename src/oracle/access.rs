//! Access applications and policies, read straight from `config.md` §7: for
//! each application, its policies sorted (bypass and Service Auth first, then
//! allow and deny, by precedence), each evaluated rule by rule with the
//! identity (or the service-token rules) removed as its decision says, inside
//! referenced groups by plain recursion; the first match decides. Which
//! application protects a URL is decided here by its own wildcard and path
//! matching and its own ranking, not the engine's. Slow and plain on purpose.

use super::config::Access;
use crate::config::{Application, Config, Group, Policy, PolicyDecision, Rule, RuleAt};
use crate::engine::validate_access::{is_identity_rule, is_service_token_rule};
use crate::program::Tri;
use crate::subject::Subject;

/// One application's answer as the reference gives it: `allow by Engineers`,
/// `deny` (nothing matched), or `unknown: allow by A | deny`.
pub fn apps(config: &Config, subject: &Subject) -> Vec<String> {
    config
        .applications
        .iter()
        .map(|app| app_label(config, subject, app))
        .collect()
}

/// The engine's answers in the same words.
pub fn view_of(d: &crate::engine::Decision<'_>) -> Vec<String> {
    use crate::engine::decision::{AppResult, Verdict};
    let one = |v: &Verdict<'_>| match &v.by {
        Some(d) => format!("{} by {}", v.decision.as_str(), d.policy.name),
        None => "deny".to_string(),
    };
    d.applications
        .iter()
        .flatten()
        .map(|a| match &a.result {
            AppResult::One(v) => one(v),
            AppResult::Undetermined(vs) => format!(
                "unknown: {}",
                vs.iter().map(one).collect::<Vec<_>>().join(" | ")
            ),
        })
        .collect()
}

fn policy_of<'c>(config: &'c Config, app: &'c Application, i: usize) -> Option<&'c Policy> {
    let e = app.policies.get(i)?;
    match &e.body {
        // An embedded body whose id names a reusable policy is a link.
        _ if e.id.is_some() && config.policies.iter().any(|p| p.id == e.id) => {
            config.policies.iter().find(|p| p.id == e.id)
        }
        Some(b) => Some(b),
        None => None,
    }
}

fn app_label(config: &Config, subject: &Subject, app: &Application) -> String {
    let mut entries: Vec<(u8, f64, usize, &Policy)> = Vec::new();
    for i in 0..app.policies.len() {
        let Some(p) = policy_of(config, app, i) else {
            continue;
        };
        let class = match p.decision {
            PolicyDecision::Bypass | PolicyDecision::NonIdentity => 0,
            _ => 1,
        };
        let prec = app
            .policies
            .get(i)
            .and_then(|e| e.precedence)
            .unwrap_or(i as f64);
        entries.push((class, prec, i, p));
    }
    entries.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal))
            .then(a.2.cmp(&b.2))
    });
    let org = config.organization.as_ref();
    let flag = |k: &str| org.and_then(|o| o.get(k)).and_then(|v| v.as_bool()) == Some(true);
    let has_email = subject
        .identity
        .email
        .as_deref()
        .is_some_and(|e| !e.is_empty());
    let has_token =
        subject.request.service_token.is_some() || subject.identity.service_token_uuid.is_some();
    let idp_ok = match &app.allowed_idps {
        None => true,
        Some(ids) => subject
            .identity
            .idp
            .as_ref()
            .and_then(|i| i.id.as_ref())
            .is_some_and(|id| ids.contains(id)),
    };
    let allow_ok = has_email && idp_ok && !(flag("strict_service_token_auth") && has_token);
    let access = Access { config, subject };
    let mut candidates: Vec<String> = Vec::new();
    for (_, _, _, p) in entries {
        if p.decision == PolicyDecision::Allow && !allow_ok {
            continue;
        }
        let label = format!("{} by {}", p.decision.as_str(), p.name);
        match matches(&access, p) {
            Tri::True if candidates.is_empty() => return label,
            Tri::True => {
                candidates.push(label);
                return format!("unknown: {}", candidates.join(" | "));
            }
            Tri::Unknown => candidates.push(label),
            Tri::False => {}
        }
    }
    if candidates.is_empty() {
        "deny".into()
    } else {
        candidates.push("deny".into());
        format!("unknown: {}", candidates.join(" | "))
    }
}

/// A policy's match, with what its decision removes.
fn matches(access: &Access<'_>, p: &Policy) -> Tri {
    let no_identity = matches!(
        p.decision,
        PolicyDecision::Bypass | PolicyDecision::NonIdentity
    );
    block(
        access,
        &p.include,
        &p.require,
        &p.exclude,
        no_identity,
        &mut Vec::new(),
    )
}

fn block(
    access: &Access<'_>,
    include: &[RuleAt],
    require: &[RuleAt],
    exclude: &[RuleAt],
    no_identity: bool,
    visiting: &mut Vec<String>,
) -> Tri {
    let mut one = |r: &RuleAt| rule(access, &r.rule, no_identity, visiting);
    let i = include.iter().map(&mut one).fold(Tri::False, Tri::or);
    let q = require.iter().map(&mut one).fold(Tri::True, Tri::and);
    let x = exclude.iter().map(&mut one).fold(Tri::False, Tri::or);
    i.and(q).and(x.not())
}

fn rule(access: &Access<'_>, r: &Rule, no_identity: bool, visiting: &mut Vec<String>) -> Tri {
    if no_identity && is_identity_rule(r) {
        return Tri::False;
    }
    if !no_identity && is_service_token_rule(r) {
        return Tri::False;
    }
    match r {
        Rule::Group(id) => match access.config.groups.iter().find(|g| &g.id == id) {
            Some(g) => group(access, g, no_identity, visiting),
            None => Tri::False,
        },
        other => access.rule(other, visiting),
    }
}

fn group(access: &Access<'_>, g: &Group, no_identity: bool, visiting: &mut Vec<String>) -> Tri {
    if visiting.contains(&g.id) {
        return Tri::False;
    }
    visiting.push(g.id.clone());
    let t = block(
        access,
        &g.include,
        &g.require,
        &g.exclude,
        no_identity,
        visiting,
    );
    visiting.pop();
    t
}

/// The name of the application protecting `url` (a normalised `host/path`,
/// as `route::normalise` gives it), by this module's own matching and
/// ranking; `None` when none covers it.
pub fn protecting_url(config: &Config, host: &str, path: &str) -> Option<String> {
    // (exact host, host literals, path literals, no wildcard): greater wins.
    type Key = (bool, usize, usize, bool);
    let mut best: Option<(Key, &str)> = None;
    for app in config.applications.iter().filter(|a| a.kind != "bookmark") {
        for uri in public_uris(app) {
            let (h, p) = split_uri(&uri);
            if !host_fits(&h, host) || !path_fits(&p, path) {
                continue;
            }
            let exact = !h.contains('*');
            let host_lit = h.chars().filter(|c| *c != '*').count();
            let p_eff = if p == "/" {
                String::new()
            } else {
                literal_trim(&p).to_string()
            };
            let path_lit = if p_eff == "/*" {
                0
            } else {
                p_eff.chars().filter(|c| *c != '*').count()
            };
            let no_wild = exact && !p_eff.contains('*');
            let key = (exact, host_lit, path_lit, no_wild);
            if best.as_ref().is_none_or(|(k, _)| key > *k) {
                best = Some((key, &app.name));
            }
        }
    }
    best.map(|(_, n)| n.to_string())
}

/// The public URIs an application covers, as written: `destinations` of type
/// public, or with none, `domain` and `self_hosted_domains`.
fn public_uris(app: &Application) -> Vec<String> {
    let s = &app.settings;
    let mut out: Vec<String> = s
        .get("destinations")
        .and_then(|d| d.as_array())
        .into_iter()
        .flatten()
        .filter(|d| d.get("type").and_then(|t| t.as_str()).unwrap_or("public") == "public")
        .filter_map(|d| d.get("uri").and_then(|u| u.as_str()).map(String::from))
        .collect();
    if out.is_empty() {
        out.extend(s.get("domain").and_then(|d| d.as_str()).map(String::from));
        out.extend(
            s.get("self_hosted_domains")
                .and_then(|d| d.as_array())
                .into_iter()
                .flatten()
                .filter_map(|d| d.as_str().map(String::from)),
        );
    }
    out
}

/// `host[:port]/path` -> (lowercase host without the dot, path or "").
fn split_uri(uri: &str) -> (String, String) {
    let rest = uri.split_once("://").map_or(uri, |(_, r)| r);
    // A query or fragment is no part of what a destination covers.
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (host, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let host = host.split(':').next().unwrap_or_default();
    // Hosts compare as the URL normaliser writes them (IDN as punycode); a
    // `*` rides through as a placeholder label text.
    let host = crate::route::normalise(&format!("https://{}/", host.replace('*', "zq9star")))
        .map(|u| u.host.replace("zq9star", "*"))
        .unwrap_or_else(|_| host.to_string());
    let path = crate::route::url::pattern_path(path);
    let path = if path == "/" && !rest.contains('/') {
        String::new()
    } else {
        path
    };
    (host.trim_end_matches('.').to_ascii_lowercase(), path)
}

/// Label by label; a `*` in a label matches any run of characters within it.
fn host_fits(pattern: &str, host: &str) -> bool {
    let ps: Vec<&str> = pattern.split('.').collect();
    let hs: Vec<&str> = host.split('.').collect();
    ps.len() == hs.len()
        && ps
            .iter()
            .zip(&hs)
            .all(|(p, h)| !h.is_empty() && glob(p.as_bytes(), h.as_bytes()))
}

/// No path, `/` or `/*`: all; a pattern covers a path it matches whole, or,
/// ending in a literal, a path under one it matches.
fn path_fits(pattern: &str, path: &str) -> bool {
    let p = literal_trim(pattern);
    if p.is_empty() || p == "/*" {
        return true;
    }
    if glob(p.as_bytes(), path.as_bytes()) {
        return true;
    }
    if p.ends_with('*') {
        return false;
    }
    if p.ends_with('/') {
        // Under it: a prefix that ends with a `/` matches.
        return path
            .char_indices()
            .filter(|(_, c)| *c == '/')
            .any(|(i, _)| glob(p.as_bytes(), path.as_bytes().get(..=i).unwrap_or_default()));
    }
    // Under it: some prefix of the path ending before a `/` matches.
    path.char_indices()
        .filter(|(_, c)| *c == '/')
        .any(|(i, _)| glob(p.as_bytes(), path.as_bytes().get(..i).unwrap_or_default()))
}

/// A literal path's trailing `/` says nothing (`/a/` is `/a`); a wildcard
/// path is kept as written.
fn literal_trim(p: &str) -> &str {
    if p.contains('*') {
        p
    } else {
        p.trim_end_matches('/')
    }
}

/// `*` matches any run (plain recursion).
fn glob(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| glob(rest, s.get(i..).unwrap_or_default())),
        Some((c, rest)) => s.first() == Some(c) && glob(rest, s.get(1..).unwrap_or_default()),
    }
}
