//! Posture rule + context -> passed, failed or unknown (`config.md` §5): a result
//! the context names wins; else it is computed from device facts for the types
//! that allow it; else it is unknown (and does not pass).

use crate::config::{List, PostureRule};
use crate::subject::Subject;
use std::cmp::Ordering;

/// The outcome of one posture rule for one device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostureResult {
    /// Passes.
    Passed,
    /// Fails.
    Failed,
    /// Neither given nor computable: does not pass.
    Unknown,
}

fn from_bool(b: Option<bool>) -> PostureResult {
    match b {
        Some(true) => PostureResult::Passed,
        Some(false) => PostureResult::Failed,
        None => PostureResult::Unknown,
    }
}

/// Decides one posture rule for one context. `list` finds a configuration list by id.
pub fn evaluate<'c>(
    rule: &PostureRule,
    s: &Subject,
    list: &dyn Fn(&str) -> Option<&'c List>,
) -> PostureResult {
    if let Some(p) = &s.device.posture {
        if p.passed.contains(&rule.id) {
            return PostureResult::Passed;
        }
        if p.failed.contains(&rule.id) {
            return PostureResult::Failed;
        }
    }
    let os = s.device.os.as_ref().and_then(|o| o.name.as_deref());
    let computable = matches!(
        rule.kind.as_str(),
        "os_version"
            | "firewall"
            | "disk_encryption"
            | "domain_joined"
            | "serial_number"
            | "warp"
            | "gateway"
    );
    if !computable {
        return PostureResult::Unknown;
    }
    if !rule.platforms.is_empty() {
        match os {
            Some(os) if !rule.platforms.iter().any(|p| platform_matches(p, os)) => {
                return PostureResult::Failed;
            }
            None => return PostureResult::Unknown,
            Some(_) => {}
        }
    }
    let facts = &s.device.facts;
    let input = |k: &str| rule.input.get(k).and_then(serde_json::Value::as_str);
    match rule.kind.as_str() {
        "firewall" => from_bool(facts.firewall),
        "disk_encryption" => from_bool(facts.disk_encrypted),
        "warp" => from_bool(facts.warp),
        "gateway" => from_bool(facts.gateway),
        "domain_joined" => match (&facts.domain, input("domain")) {
            (Some(d), Some(want)) => from_bool(Some(d.eq_ignore_ascii_case(want))),
            _ => PostureResult::Unknown,
        },
        "serial_number" => match (&s.device.serial_number, input("id").and_then(list)) {
            (Some(serial), Some(l)) => from_bool(Some(l.items.iter().any(|i| i == serial))),
            _ => PostureResult::Unknown,
        },
        "os_version" => {
            let version = s.device.os.as_ref().and_then(|o| o.version.as_deref());
            match (
                os,
                version,
                input("operating_system"),
                input("version"),
                input("operator"),
            ) {
                (Some(os), Some(have), Some(want_os), Some(want), Some(op)) => {
                    if !platform_matches(want_os, os) {
                        return PostureResult::Failed;
                    }
                    match (semver(have), semver(want)) {
                        (Some(a), Some(b)) => from_bool(compare(op, a.cmp(&b))),
                        _ => PostureResult::Unknown,
                    }
                }
                _ => PostureResult::Unknown,
            }
        }
        _ => PostureResult::Unknown,
    }
}

/// Cloudflare names macOS `mac`; posture inputs may say `macos`.
fn platform_matches(platform: &str, os: &str) -> bool {
    platform.eq_ignore_ascii_case(os) || (platform.eq_ignore_ascii_case("macos") && os == "mac")
}

/// `1.2` -> `[1, 2, 0]`; a non-numeric component makes it unknown.
pub fn semver(v: &str) -> Option<[u64; 3]> {
    let mut out = [0u64; 3];
    let mut parts = v.trim().split('.');
    for slot in &mut out {
        match parts.next() {
            Some(p) => *slot = p.parse().ok()?,
            None => break,
        }
    }
    parts.next().is_none().then_some(out)
}

fn compare(op: &str, ord: Ordering) -> Option<bool> {
    Some(match op {
        "<" => ord.is_lt(),
        "<=" => ord.is_le(),
        ">" => ord.is_gt(),
        ">=" => ord.is_ge(),
        "==" => ord.is_eq(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(semver("1.2"), Some([1, 2, 0]));
        assert_eq!(semver("14.5.0"), Some([14, 5, 0]));
        assert_eq!(semver("1.2.3.4"), None);
        assert_eq!(semver("x"), None);
    }
}
