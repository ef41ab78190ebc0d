//! Decision -> text that reads like an answer (`cli.md`).

use std::fmt::Write;
use zt_eval::decision::{ProfileOutcome, Selected};
use zt_eval::{Decision, Tri};

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

/// The text form of a decision.
pub fn decision(d: &Decision<'_>, explain: bool) -> String {
    let mut out = String::new();
    let id = d.id.as_ref().map(ToString::to_string);
    let _ = writeln!(
        out,
        "{}",
        id.unwrap_or_else(|| "(context without id)".to_string())
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
        let names = d.member_names();
        let _ = writeln!(
            out,
            "  {:<16} {}",
            "access groups",
            if names.is_empty() {
                "none".into()
            } else {
                names.join(", ")
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
        let _ = writeln!(
            out,
            "  {:<16} {} passed, {} failed, {} unknown",
            "posture",
            p.passed.len(),
            p.failed.len(),
            p.unknown.len()
        );
    }
    if explain && let Some(why) = d.access_groups.as_ref().and_then(|g| g.why.as_ref()) {
        let _ = writeln!(out, "  why (groups)");
        for g in why {
            let member = match g.member {
                Tri::True => "member",
                Tri::False => "not a member",
                Tri::Unknown => "membership unknown",
            };
            let _ = writeln!(out, "    {}: {member}", g.group.name);
            for r in g.include.iter().chain(&g.require).chain(&g.exclude) {
                let _ = writeln!(
                    out,
                    "      {:<12} {:<5} {}",
                    r.rule.path, r.result, r.rule.json
                );
            }
            if !g.missing.is_empty() {
                let _ = writeln!(out, "      missing: {}", g.missing.join(", "));
            }
            if !g.unknown.is_empty() {
                let _ = writeln!(out, "      unknown: {}", g.unknown.join("; "));
            }
        }
    }
    out
}
