//! Decision JSON -> text that reads like an answer (`cli.md`).

use serde_json::Value;
use std::fmt::Write;

fn s(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(x)) => x.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn profile_line(p: &Value) -> String {
    if p.get("default").and_then(Value::as_bool) == Some(true) && p.get("name").is_none() {
        return format!("default pool {}", s(p, "subnet"));
    }
    let name = s(p, "name");
    match p.get("precedence") {
        Some(Value::Number(n)) => format!("{name} (precedence {n})"),
        _ => format!("{name} (default)"),
    }
}

/// The text form of a decision.
pub fn decision(d: &Value, explain: bool) -> String {
    let mut out = String::new();
    let id = s(d, "id");
    let _ = writeln!(
        out,
        "{}",
        if id.is_empty() {
            "(context without id)".to_string()
        } else {
            id
        }
    );
    for (key, label) in [
        ("device_profile", "device profile"),
        ("ip_profile", "ip profile"),
    ] {
        let Some(p) = d.get(key) else { continue };
        let _ = writeln!(out, "  {label:<16} {}", profile_line(p));
        if explain && let Some(checked) = p.pointer("/why/checked").and_then(Value::as_array) {
            for c in checked {
                let _ = writeln!(
                    out,
                    "      {:<9} {} {}",
                    s(c, "result"),
                    s(c, "name"),
                    c.get("because")
                        .and_then(Value::as_array)
                        .map(|b| b
                            .iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join("; "))
                        .unwrap_or_default()
                );
            }
        }
    }
    if let Some(groups) = d.get("access_groups").and_then(Value::as_array) {
        let names: Vec<String> = groups.iter().map(|g| s(g, "name")).collect();
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
    }
    if let Some(p) = d.get("posture") {
        let list = |k: &str| p.get(k).and_then(Value::as_array).map_or(0, Vec::len);
        let _ = writeln!(
            out,
            "  {:<16} {} passed, {} failed, {} unknown",
            "posture",
            list("passed"),
            list("failed"),
            list("unknown")
        );
    }
    if explain && let Some(why) = d.get("access_groups_why").and_then(Value::as_array) {
        let _ = writeln!(out, "  why (groups)");
        for g in why {
            let member = if g.get("member").and_then(Value::as_bool) == Some(true) {
                "member"
            } else {
                "not a member"
            };
            let _ = writeln!(out, "    {}: {member}", s(g, "name"));
            for part in ["include", "require", "exclude"] {
                for r in g.get(part).and_then(Value::as_array).into_iter().flatten() {
                    let _ = writeln!(
                        out,
                        "      {:<12} {:<5} {}",
                        s(r, "path"),
                        s(r, "result"),
                        r.get("rule").map(Value::to_string).unwrap_or_default()
                    );
                }
            }
            if let Some(m) = g
                .get("missing")
                .and_then(Value::as_array)
                .filter(|m| !m.is_empty())
            {
                let _ = writeln!(
                    out,
                    "      missing: {}",
                    m.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
    }
    out
}
