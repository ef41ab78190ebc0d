//! Decision -> text that reads like an answer (`cli.md`).

use std::collections::HashMap;
use std::fmt::Write;
use zt_eval::config::{Config, Rule, RuleAt};
use zt_eval::decision::{ProfileOutcome, Selected};
use zt_eval::{Decision, Tri};

/// `Name (id)`, or the id alone when nothing by that id is known.
fn named(name: Option<&str>, id: &str) -> String {
    match name {
        Some(n) if n != id => format!("{n} ({id})"),
        _ => id.to_string(),
    }
}

/// The configuration's names by id, made once per rendering (the first record
/// of an id, as a search in order finds it): a rule's text looks its reference
/// up here, where it searched every group, list, posture rule or identity
/// provider for each rule it wrote (`eval --explain` over 20,000 groups that
/// each refer to another: rules x groups).
pub struct Names<'a> {
    groups: HashMap<&'a str, &'a str>,
    lists: HashMap<&'a str, &'a str>,
    posture: HashMap<&'a str, &'a str>,
    idps: HashMap<&'a str, &'a str>,
    tokens: HashMap<&'a str, &'a str>,
}

/// id -> name over `items`, the first of each id kept.
fn by_id<'a, T>(
    items: &'a [T],
    key: impl Fn(&'a T) -> (&'a str, &'a str),
) -> HashMap<&'a str, &'a str> {
    let mut map = HashMap::with_capacity(items.len());
    for item in items {
        let (id, name) = key(item);
        map.entry(id).or_insert(name);
    }
    map
}

impl<'a> Names<'a> {
    /// The names of `cfg`'s groups, lists, posture rules, identity providers
    /// and service tokens.
    pub fn new(cfg: &'a Config) -> Names<'a> {
        Names {
            groups: by_id(&cfg.groups, |g| (&g.id, &g.name)),
            lists: by_id(&cfg.lists, |l| (&l.id, &l.name)),
            posture: by_id(&cfg.posture_rules, |p| (&p.id, &p.name)),
            idps: by_id(&cfg.identity_providers, |p| (&p.id, &p.name)),
            tokens: by_id(&cfg.service_tokens, |t| (&t.id, &t.name)),
        }
    }
}

/// A rule as a person reads it: references by name with their id (`group
/// Engineering (3e5f…)`), the JSON for the rest.
pub fn rule_text(r: &RuleAt, names: &Names<'_>) -> String {
    let group = |id: &str| names.groups.get(id).copied();
    let list = |id: &str| names.lists.get(id).copied();
    let posture = |id: &str| names.posture.get(id).copied();
    let idp = |id: &str| names.idps.get(id).copied();
    match &r.rule {
        Rule::Group(id) => format!("group {}", named(group(id), id)),
        Rule::EmailList(id) => format!("email in list {}", named(list(id), id)),
        Rule::IpList(id) => format!("ip in list {}", named(list(id), id)),
        Rule::DevicePosture(id) => format!("posture {}", named(posture(id), id)),
        Rule::Okta(i) | Rule::AzureAd(i) | Rule::Gsuite(i) | Rule::Github(i) => {
            let kind = r
                .json
                .as_object()
                .and_then(|o| o.keys().next())
                .map_or("idp", String::as_str);
            format!(
                "{kind} group `{}` of {}",
                i.value,
                named(idp(&i.idp), &i.idp)
            )
        }
        Rule::Saml(i) | Rule::Oidc(i) => {
            let what = if matches!(r.rule, Rule::Saml(_)) {
                "SAML attribute"
            } else {
                "OIDC claim"
            };
            format!(
                "{what} {} = `{}` of {}",
                i.key.as_deref().unwrap_or_default(),
                i.value,
                named(idp(&i.idp), &i.idp)
            )
        }
        Rule::AuthContext(i) => format!(
            "authentication context `{}` of {}",
            i.value,
            named(idp(&i.idp), &i.idp)
        ),
        Rule::Everyone => "everyone".into(),
        Rule::Email(e) => format!("email {e}"),
        Rule::EmailDomain(d) => format!("email domain {d}"),
        Rule::Ip(net) => format!("ip in {net}"),
        Rule::Geo(c) => format!("country {c}"),
        Rule::Certificate => "a client certificate".into(),
        Rule::CommonName(cn) => format!("certificate common name {cn}"),
        Rule::ServiceToken(t) => {
            let name = names.tokens.get(t.as_str()).copied();
            format!("service token {}", named(name, t))
        }
        Rule::AnyValidServiceToken => "any valid service token".into(),
        Rule::AuthMethod(m) => format!("authentication method {m}"),
        Rule::LoginMethod(id) => format!("login method {}", named(idp(id), id)),
        Rule::UserRiskScore(s) => format!("user risk score {}", s.join(" or ")),
        Rule::AccountMember => "Cloudflare account member".into(),
        _ => r.json.to_string(),
    }
}

fn profile_line(p: &ProfileOutcome<'_>) -> String {
    let profile = match &p.selected {
        Selected::Undetermined(_) => return p.selected.label(p.kind),
        Selected::Match(profile) | Selected::Default(Some(profile)) => profile,
        Selected::Default(None) => {
            return match p.selected.name(p.kind) {
                Some(name) => format!("{name} (default)"),
                None => "default pool 100.96.0.0/12".to_string(),
            };
        }
    };
    match profile.precedence {
        Some(n) => format!("{} (precedence {n})", profile.name),
        None => format!("{} (default)", profile.name),
    }
}

/// Each rule's path, result and text, then the context values they missed,
/// indented by `indent`: a group's or a policy's explanation.
pub fn rules(
    out: &mut String,
    indent: &str,
    lists: [&[zt_eval::decision::RuleResult<'_>]; 3],
    missing: &[&str],
    names: &Names<'_>,
) {
    for r in lists.into_iter().flatten() {
        let _ = writeln!(
            out,
            "{indent}{:<12} {:<5} {}",
            r.rule.path,
            r.result,
            rule_text(r.rule, names)
        );
    }
    if !missing.is_empty() {
        let _ = writeln!(out, "{indent}missing: {}", missing.join(", "));
    }
}

/// The text form of a decision.
pub fn decision(d: &Decision<'_>, cfg: &Config, explain: bool) -> String {
    let names = Names::new(cfg);
    let mut out = String::new();
    let id = d.id.as_ref().map(ToString::to_string);
    let source = if d.from_identity_record {
        " (from Cloudflare's identity record)"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "{}{source}",
        super::style::paint(
            super::style::NAME,
            &id.unwrap_or_else(|| "(context without id)".to_string())
        )
    );
    for (p, label) in [
        (&d.device_profile, "device profile"),
        (&d.ip_profile, "ip profile"),
    ] {
        let Some(p) = p else { continue };
        let _ = writeln!(out, "  {label:<16} {}", profile_line(p));
        if explain && let Some(checked) = &p.checked {
            for c in checked {
                let _ = writeln!(
                    out,
                    "      {:<9} {} {}",
                    c.result.as_str(),
                    c.profile.name,
                    c.because.join("; ")
                );
            }
        }
    }
    if let Some(groups) = &d.access_groups {
        let members = d.member_names();
        let _ = writeln!(
            out,
            "  {:<16} {}",
            "access groups",
            if members.is_empty() {
                "none".into()
            } else {
                members.join(", ")
            }
        );
        for g in &groups.unknown {
            let _ = writeln!(
                out,
                "  {:<16} {}: {}",
                "unknown group",
                g.group.name,
                g.because.join("; ")
            );
        }
    }
    if let Some(p) = &d.posture {
        // Rule names, so a person need not look ids up (cli.md).
        let posture_names = |ids: &[String]| -> String {
            ids.iter()
                .map(|id| names.posture.get(id.as_str()).copied().unwrap_or(id))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut parts = vec![if p.passed.is_empty() {
            "0 passed".into()
        } else {
            format!("{} passed: {}", p.passed.len(), posture_names(&p.passed))
        }];
        parts.push(if p.failed.is_empty() {
            "0 failed".into()
        } else {
            format!("{} failed: {}", p.failed.len(), posture_names(&p.failed))
        });
        parts.push(if p.unknown.is_empty() {
            "0 unknown".into()
        } else {
            let why: Vec<String> = d
                .unknown
                .iter()
                .filter_map(|u| match u {
                    zt_eval::decision::UnknownInput::Posture { rule, reason } => {
                        Some(format!("{} ({reason})", rule.name))
                    }
                    _ => None,
                })
                .collect();
            if why.is_empty() {
                format!("{} unknown: {}", p.unknown.len(), posture_names(&p.unknown))
            } else {
                format!("{} unknown: {}", p.unknown.len(), why.join(", "))
            }
        });
        let _ = writeln!(out, "  {:<16} {}", "posture", parts.join("; "));
    }
    super::text_apps::write(
        &mut out,
        d.access.as_ref(),
        d.applications.as_deref(),
        d.access_groups
            .as_ref()
            .and_then(|g| g.why.as_deref())
            .unwrap_or_default(),
        &names,
        explain,
    );
    if explain
        && let Some(why) = d.access_groups.as_ref().and_then(|g| g.why.as_ref())
        && !why.is_empty()
    {
        let _ = writeln!(out, "  why (groups)");
        for g in why {
            let member = match g.member {
                Tri::True => "member",
                Tri::False => "not a member",
                Tri::Unknown => "membership unknown",
            };
            let _ = writeln!(out, "    {}: {member}", g.group.name);
            rules(
                &mut out,
                "      ",
                [&g.include, &g.require, &g.exclude],
                &g.missing,
                &names,
            );
            if !g.unknown.is_empty() {
                let _ = writeln!(out, "      unknown: {}", g.unknown.join("; "));
            }
        }
    }
    out
}
