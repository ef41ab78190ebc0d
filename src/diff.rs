//! Two configurations over one population -> what changed, per context, and a
//! summary with a count per kind of change (`decision.md` §4): the blast radius of
//! a change before it ships.

use crate::engine::Engine;
use crate::simulate::{Record, decide_line};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The diff of a population.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DiffReport {
    /// Contexts evaluated (non-blank lines).
    pub contexts: usize,
    /// Contexts whose decision changed.
    pub changed: usize,
    /// Lines that could not be decided under either configuration.
    pub errors: usize,
    /// Change kind -> count, e.g. `("device_profile", "Developers", "Default") -> 300`.
    pub changes: BTreeMap<(String, String, String), usize>,
    /// The changed contexts, in input order.
    pub changed_contexts: Vec<Value>,
}

fn name(d: &Value, key: &str) -> String {
    match d.get(key) {
        Some(p) if p.get("name").is_some() => p
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        Some(p) if p.get("default").and_then(Value::as_bool) == Some(true) => {
            "default pool".to_string()
        }
        _ => String::new(),
    }
}

fn groups(d: &Value) -> Vec<String> {
    d.get("access_groups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|g| g.get("name").and_then(Value::as_str).map(String::from))
        .collect()
}

fn posture(d: &Value, key: &str) -> Vec<String> {
    d.pointer(&format!("/posture/{key}"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(String::from))
        .collect()
}

/// Compares two decisions of one context; `None` when nothing changed.
fn compare(before: &Value, after: &Value, report: &mut DiffReport) -> Option<Value> {
    let mut out = serde_json::Map::new();
    out.insert("id".into(), after.get("id").cloned().unwrap_or(Value::Null));
    let mut kinds = Vec::new();
    for key in ["device_profile", "ip_profile"] {
        let (b, a) = (name(before, key), name(after, key));
        if b != a {
            out.insert(key.into(), json!({"before": b, "after": a}));
            kinds.push((key.to_string(), b, a));
        }
    }
    let (gb, ga) = (groups(before), groups(after));
    let gained: Vec<&String> = ga.iter().filter(|g| !gb.contains(g)).collect();
    let lost: Vec<&String> = gb.iter().filter(|g| !ga.contains(g)).collect();
    if !gained.is_empty() || !lost.is_empty() {
        out.insert(
            "access_groups".into(),
            json!({"gained": gained, "lost": lost}),
        );
        kinds.extend(gained.iter().map(|g| {
            (
                "access_group_gained".to_string(),
                (*g).clone(),
                String::new(),
            )
        }));
        kinds.extend(
            lost.iter()
                .map(|g| ("access_group_lost".to_string(), (*g).clone(), String::new())),
        );
    }
    let (pb, pa) = (posture(before, "passed"), posture(after, "passed"));
    if pb != pa {
        out.insert(
            "posture".into(),
            json!({"passed_before": pb, "passed_after": pa}),
        );
        kinds.push(("posture".to_string(), pb.join(","), pa.join(",")));
    }
    if kinds.is_empty() {
        return None;
    }
    for k in kinds {
        *report.changes.entry(k).or_insert(0) += 1;
    }
    Some(Value::Object(out))
}

/// Decides every line under both configurations and reports what changed.
pub fn diff<I: IntoIterator<Item = String>>(
    before: &Engine,
    after: &Engine,
    lines: I,
) -> DiffReport {
    let mut report = DiffReport::default();
    let (mut sb, mut sa) = (before.scratch(), after.scratch());
    for (i, text) in lines.into_iter().enumerate() {
        let (Some(b), Some(a)) = (
            decide_line(before, &mut sb, i + 1, &text, false),
            decide_line(after, &mut sa, i + 1, &text, false),
        ) else {
            continue;
        };
        report.contexts += 1;
        match (b, a) {
            (Record::Decision(b), Record::Decision(a)) => {
                if let Some(c) = compare(&b, &a, &mut report) {
                    report.changed += 1;
                    report.changed_contexts.push(c);
                }
            }
            _ => report.errors += 1,
        }
    }
    report
}

impl DiffReport {
    /// The summary object of `decision.md` §4.
    pub fn summary_json(&self) -> Value {
        let changes: Vec<Value> = self
            .changes
            .iter()
            .map(|((kind, b, a), count)| match kind.as_str() {
                "access_group_gained" | "access_group_lost" => {
                    json!({"kind": kind, "group": b, "count": count})
                }
                _ => json!({"kind": kind, "before": b, "after": a, "count": count}),
            })
            .collect();
        json!({"contexts": self.contexts, "changed": self.changed, "errors": self.errors, "changes": changes})
    }

    /// The whole report as JSON, with at most `limit` changed contexts.
    pub fn to_json(&self, limit: usize) -> Value {
        json!({"summary": self.summary_json(), "changed": self.changed_contexts.iter().take(limit).collect::<Vec<_>>()})
    }

    /// The text form: the summary, the counts, then up to `limit` examples.
    pub fn to_text(&self, limit: usize) -> String {
        use std::fmt::Write;
        let mut out = format!("{} contexts, {} changed", self.contexts, self.changed);
        if self.errors > 0 {
            let _ = write!(out, ", {} could not be decided", self.errors);
        }
        out.push('\n');
        let mut rows: Vec<(&(String, String, String), &usize)> = self.changes.iter().collect();
        rows.sort_by(|a, b| b.1.cmp(a.1));
        for ((kind, b, a), n) in rows {
            let what = match kind.as_str() {
                "access_group_gained" => format!("gained group {b}"),
                "access_group_lost" => format!("lost group {b}"),
                "posture" => format!("posture passed [{b}] -> [{a}]"),
                k => format!("{} {b} -> {a}", k.replace('_', " ")),
            };
            let _ = writeln!(out, "  {n:>7}  {what}");
        }
        if !self.changed_contexts.is_empty() && limit > 0 {
            let _ = writeln!(out, "examples:");
            for c in self.changed_contexts.iter().take(limit) {
                let id = c
                    .get("id")
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), String::from))
                    .unwrap_or_default();
                let mut parts = Vec::new();
                for key in ["device_profile", "ip_profile"] {
                    if let Some(ch) = c.get(key) {
                        parts.push(format!(
                            "{}: {} -> {}",
                            key.replace('_', " "),
                            ch["before"].as_str().unwrap_or(""),
                            ch["after"].as_str().unwrap_or("")
                        ));
                    }
                }
                if let Some(g) = c.get("access_groups") {
                    let list = |k: &str| {
                        g.get(k)
                            .and_then(Value::as_array)
                            .map(|a| {
                                a.iter()
                                    .filter_map(Value::as_str)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            })
                            .unwrap_or_default()
                    };
                    let (gained, lost) = (list("gained"), list("lost"));
                    if !gained.is_empty() {
                        parts.push(format!("gained {gained}"));
                    }
                    if !lost.is_empty() {
                        parts.push(format!("lost {lost}"));
                    }
                }
                if c.get("posture").is_some() {
                    parts.push("posture changed".into());
                }
                let _ = writeln!(out, "  {id}: {}", parts.join("; "));
            }
        }
        out
    }
}
