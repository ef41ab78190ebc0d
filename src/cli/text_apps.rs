//! The Access part of a decision as text that reads like an answer: the
//! request's protecting application, each application's decision and the
//! policy behind it, and for a default deny what the allow policies needed.

use super::style;
use super::text::{Names, rule_text};
use std::collections::HashMap;
use std::fmt::Write;
use zt_eval::Tri;
use zt_eval::config::{PolicyDecision, Rule};
use zt_eval::decision::{
    AccessOutcome, AppOutcome, AppResult, CheckedPolicy, GroupWhy, RuleResult, Unmatched, Verdict,
};

fn verdict(v: &Verdict<'_>, app: &zt_eval::config::Application) -> String {
    match &v.by {
        None => format!("{} — no policy matched", style::decision("deny")),
        Some(d) => {
            let prec = d
                .precedence()
                .map(|p| format!(" (precedence {p})"))
                .unwrap_or_default();
            let mut s = format!(
                "{} by {}{prec}",
                style::decision(v.decision.as_str()),
                d.policy.name
            );
            if v.decision == PolicyDecision::Allow {
                let requires = d.requires();
                if !requires.is_empty() {
                    let _ = write!(s, "; requires {}", requires.join(", "));
                }
                let _ = write!(s, "; session {}", d.session_duration(app));
            }
            s
        }
    }
}

fn result(r: &AppResult<'_>, app: &zt_eval::config::Application) -> String {
    match r {
        AppResult::One(v) => verdict(v, app),
        AppResult::Undetermined(vs) => format!(
            "{}: could be {}",
            style::decision("unknown"),
            vs.iter()
                .map(|v| verdict(v, app))
                .collect::<Vec<_>>()
                .join(" | ")
        ),
    }
}

/// The explained groups by id (the first of an id, as a search in order
/// finds it), made once per rendering: a referenced group's explanation is
/// looked up here, not searched for per rule.
type Explained<'d, 'a> = HashMap<&'a str, &'d GroupWhy<'a>>;

/// What the rules of a block that did not hold needed: its false
/// requirements, a true exclusion, or one of its includes.
fn missed(
    include: &[RuleResult<'_>],
    require: &[RuleResult<'_>],
    exclude: &[RuleResult<'_>],
    names: &Names<'_>,
    groups: &Explained<'_, '_>,
    depth: usize,
) -> Vec<String> {
    // A referenced group that did not hold says, once, what it needed.
    let text = |r: &RuleResult<'_>| {
        let mut t = rule_text(r.rule, names);
        if let (Rule::Group(id), 0) = (&r.rule.rule, depth)
            && r.result == Tri::False
            && let Some(g) = groups.get(id.as_str())
        {
            let inner = missed(&g.include, &g.require, &g.exclude, names, groups, depth + 1);
            if !inner.is_empty() {
                let _ = write!(t, ", which needs {}", inner.join(" and "));
            }
        }
        t
    };
    let mut parts = Vec::new();
    if !include.iter().any(|r| r.result == Tri::True) {
        let all: Vec<String> = include.iter().map(text).collect();
        if all.is_empty() {
            parts.push("an include rule (it has none)".to_string());
        } else {
            parts.push(all.join(" or "));
        }
    }
    for r in require.iter().filter(|r| r.result == Tri::False) {
        parts.push(text(r));
    }
    for r in exclude.iter().filter(|r| r.result == Tri::True) {
        parts.push(format!("not {}", rule_text(r.rule, names)));
    }
    parts
}

/// What a policy that did not match needed.
fn needs(c: &CheckedPolicy<'_>, names: &Names<'_>, groups: &Explained<'_, '_>) -> Option<String> {
    if c.result != Some(Tri::False) {
        return None;
    }
    let parts = missed(&c.include, &c.require, &c.exclude, names, groups, 0);
    (!parts.is_empty()).then(|| format!("{} needs {}", c.decider.policy.name, parts.join(" and ")))
}

/// The line of one application; for a default deny, what its allow
/// policies needed.
fn app_line(a: &AppOutcome<'_>, names: &Names<'_>, groups: &Explained<'_, '_>) -> String {
    let mut line = result(&a.result, a.app);
    if let AppResult::One(Verdict { by: None, .. }) = &a.result
        && let Some(why) = &a.why
    {
        let hints: Vec<String> = why
            .iter()
            .filter(|c| c.decider.policy.decision == PolicyDecision::Allow)
            .filter_map(|c| match c.skipped {
                Some(b) => Some(format!("{} skipped: {}", c.decider.policy.name, b.as_str())),
                None => needs(c, names, groups),
            })
            .collect();
        if !hints.is_empty() {
            let _ = write!(line, "; {}", hints.join("; "));
        }
    }
    line
}

/// `access` and `applications`, and with `explain`, each policy checked.
pub fn write(
    out: &mut String,
    access: Option<&AccessOutcome<'_>>,
    apps: Option<&[AppOutcome<'_>]>,
    groups: &[GroupWhy<'_>],
    names: &Names<'_>,
    explain: bool,
) {
    if let Some(a) = access {
        let request = match &a.request {
            serde_json::Value::String(s) => s.clone(),
            // A private destination as it is written on the command line.
            serde_json::Value::Object(d) => {
                let part = |k: &str| {
                    d.get(k)
                        .map(|v| v.as_str().map_or(v.to_string(), String::from))
                };
                let mut s = part("hostname").or_else(|| part("ip")).unwrap_or_default();
                if let Some(p) = part("port") {
                    s.push_str(&format!(":{p}"));
                }
                if let Some(p) = part("protocol") {
                    s.push_str(&format!("/{p}"));
                }
                s
            }
            other => other.to_string(),
        };
        let answer = match &a.protected {
            Ok((app, r)) => format!("{}: {}", app.name, result(r, app)),
            Err(Unmatched::Deny) => format!(
                "{} — no application covers it and the organization denies unmatched requests",
                style::decision("deny")
            ),
            Err(Unmatched::NotProtected) => format!(
                "{} — no application covers it",
                style::decision("not_protected")
            ),
        };
        let _ = writeln!(out, "  {:<16} {request} -> {answer}", "access");
    }
    let Some(apps) = apps else { return };
    if apps.is_empty() {
        return;
    }
    let _ = writeln!(out, "  applications");
    let mut explained: Explained<'_, '_> = HashMap::with_capacity(groups.len());
    for g in groups {
        explained.entry(g.group.id.as_str()).or_insert(g);
    }
    let width = apps
        .iter()
        .map(|a| a.app.name.chars().count())
        .max()
        .unwrap_or(0);
    for a in apps {
        let _ = writeln!(
            out,
            "    {:<width$}  {}",
            a.app.name,
            app_line(a, names, &explained)
        );
        if !explain {
            continue;
        }
        for c in a.why.iter().flatten() {
            let result = match (c.skipped, c.result) {
                (Some(_), _) => "skipped".to_string(),
                (None, Some(t)) => t.to_string(),
                (None, None) => "-".to_string(),
            };
            let prec = c
                .decider
                .precedence()
                .map(|p| format!("{p} "))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "      {prec}{} ({}): {result}",
                c.decider.policy.name,
                c.decider.policy.decision.as_str()
            );
            if let Some(b) = c.skipped {
                let _ = writeln!(out, "        {}", b.as_str());
            }
            super::text::rules(
                out,
                "        ",
                [&c.include, &c.require, &c.exclude],
                &c.missing,
                names,
            );
        }
    }
}
