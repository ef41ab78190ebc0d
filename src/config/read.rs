//! JSON values -> configuration records, recording every problem with its path.

use super::model::{Config, Group, KINDS, List, PostureRule, Problem, Profile, RuleAt, Severity};
use super::reader::Reader;
use serde_json::Value;
use std::path::Path;

impl Reader<'_> {
    /// The array of a kind: a bare array or an API envelope.
    fn records<'v>(&mut self, v: &'v Value, path: &str) -> Option<(&'v [Value], String)> {
        match v {
            Value::Array(items) => Some((items, path.to_string())),
            Value::Object(env) if env.contains_key("result") => {
                if env.get("success") == Some(&Value::Bool(false)) {
                    let errs = env.get("errors").map(Value::to_string).unwrap_or_default();
                    self.error(
                        path,
                        format!("the API envelope says `\"success\": false` (errors: {errs})"),
                    );
                    return None;
                }
                match env.get("result") {
                    Some(Value::Array(items)) => Some((items, format!("{path}.result"))),
                    _ => {
                        self.error(&format!("{path}.result"), "expected an array".to_string());
                        None
                    }
                }
            }
            other => {
                self.error(
                    path,
                    format!(
                        "expected an array or an API envelope, found {}",
                        crate::diag::json_kind(other)
                    ),
                );
                None
            }
        }
    }

    fn kind(&mut self, cfg: &mut Config, kind: &str, v: &Value, path: &str) {
        let Some((items, base)) = self.records(v, path) else {
            return;
        };
        for (i, item) in items.iter().enumerate() {
            let p = format!("{base}[{i}]");
            match kind {
                "access_groups" => {
                    cfg.present.groups = true;
                    if let Some(g) = self.group(item, &p) {
                        cfg.groups.push(g);
                    }
                }
                "lists" => {
                    if let Some(l) = self.list(item, &p) {
                        cfg.lists.push(l);
                    }
                }
                "device_profiles" => {
                    cfg.present.device_profiles = true;
                    if let Some(prof) = self.profile(item, &p, false) {
                        cfg.device_profiles.push(prof);
                    }
                }
                "ip_profiles" => {
                    cfg.present.ip_profiles = true;
                    if let Some(prof) = self.profile(item, &p, true) {
                        cfg.ip_profiles.push(prof);
                    }
                }
                "posture_rules" => {
                    cfg.present.posture_rules = true;
                    if let Some(r) = self.posture(item, &p) {
                        cfg.posture_rules.push(r);
                    }
                }
                // Applications, policies and identity providers come with a later issue:
                // read without error, not yet evaluated.
                _ => {}
            }
        }
        if items.is_empty() {
            match kind {
                "access_groups" => cfg.present.groups = true,
                "device_profiles" => cfg.present.device_profiles = true,
                "ip_profiles" => cfg.present.ip_profiles = true,
                "posture_rules" => cfg.present.posture_rules = true,
                _ => {}
            }
        }
    }

    fn group(&mut self, v: &Value, path: &str) -> Option<Group> {
        let obj = self.object(v, path)?;
        let name = self.string_in(obj, "name", path)?;
        let id = self
            .opt_string(obj, "id", path)
            .unwrap_or_else(|| name.clone());
        let mut lists = [Vec::new(), Vec::new(), Vec::new()];
        for (slot, key) in lists.iter_mut().zip(["include", "require", "exclude"]) {
            let p = format!("{path}.{key}");
            let items = match obj.get(key) {
                None | Some(Value::Null) => continue,
                Some(Value::Array(items)) => items,
                Some(other) => {
                    self.error(
                        &p,
                        format!(
                            "expected an array of rules, found {}",
                            crate::diag::json_kind(other)
                        ),
                    );
                    continue;
                }
            };
            for (i, item) in items.iter().enumerate() {
                let rp = format!("{p}[{i}]");
                if let Some((rule, host_bits)) = self.rule(item, &rp) {
                    if host_bits {
                        self.warning(
                            &format!("{rp}.ip.ip"),
                            "the cidr has host bits set; they are ignored".to_string(),
                        );
                    }
                    slot.push(RuleAt {
                        rule,
                        path: format!("{key}[{i}]"),
                        json: item.clone(),
                    });
                }
            }
        }
        let [include, require, exclude] = lists;
        let include_empty = match obj.get("include") {
            None | Some(Value::Null) => true,
            Some(Value::Array(items)) => items.is_empty(),
            Some(_) => false,
        };
        if include_empty {
            self.warning(
                &format!("{path}.include"),
                format!("group `{name}` has an empty `include`: it matches nobody"),
            );
        }
        Some(Group {
            id,
            name,
            include,
            require,
            exclude,
            path: path.to_string(),
            file: self.file.clone(),
        })
    }

    fn list(&mut self, v: &Value, path: &str) -> Option<List> {
        let obj = self.object(v, path)?;
        let id = self.string_in(obj, "id", path)?;
        let name = self
            .opt_string(obj, "name", path)
            .unwrap_or_else(|| id.clone());
        let kind = self.string_in(obj, "type", path)?.to_ascii_uppercase();
        let mut items = Vec::new();
        if let Some(arr) = obj.get("items").and_then(Value::as_array) {
            for (i, item) in arr.iter().enumerate() {
                let value = match item {
                    Value::String(s) => Some(s.clone()),
                    Value::Object(o) => self.string_in(o, "value", &format!("{path}.items[{i}]")),
                    other => {
                        self.error(
                            &format!("{path}.items[{i}]"),
                            format!(
                                "expected a string or `{{\"value\": …}}`, found {}",
                                crate::diag::json_kind(other)
                            ),
                        );
                        None
                    }
                };
                let Some(value) = value else { continue };
                if kind == "IP" && crate::literal::parse_ip_item(&value).is_none() {
                    self.error(
                        &format!("{path}.items[{i}]"),
                        format!("invalid ip address or cidr `{value}`"),
                    );
                    continue;
                }
                items.push(if kind == "EMAIL" {
                    value.to_ascii_lowercase()
                } else {
                    value
                });
            }
        }
        let count = obj
            .get("count")
            .and_then(Value::as_u64)
            .and_then(|c| usize::try_from(c).ok());
        Some(List {
            id,
            name,
            kind,
            items,
            count,
            path: path.to_string(),
            file: self.file.clone(),
        })
    }

    fn profile(&mut self, v: &Value, path: &str, ip: bool) -> Option<Profile> {
        let obj = self.object(v, path)?;
        // The API's default profile (`GET …/devices/policy`) has no name.
        let is_default = obj.get("default") == Some(&Value::Bool(true));
        let name = match self.opt_string(obj, "name", path) {
            Some(name) => name,
            None if is_default => "Default".to_string(),
            None => self.string_in(obj, "name", path)?,
        };
        let id = self
            .opt_string(obj, "policy_id", path)
            .or_else(|| self.opt_string(obj, "id", path));
        let precedence = match obj.get("precedence") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => n.as_f64(),
            Some(other) => {
                self.error(
                    &format!("{path}.precedence"),
                    format!("expected a number, found {}", crate::diag::json_kind(other)),
                );
                return None;
            }
        };
        let enabled = match obj.get("enabled") {
            None | Some(Value::Null) => true,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                self.error(
                    &format!("{path}.enabled"),
                    format!(
                        "expected true or false, found {}",
                        crate::diag::json_kind(other)
                    ),
                );
                return None;
            }
        };
        let expr = self.opt_string(obj, "match", path);
        let default = match obj.get("default") {
            Some(Value::Bool(b)) => *b,
            _ => !ip && expr.is_none() && precedence.is_none(),
        };
        if !default && expr.is_none() {
            self.error(
                &format!("{path}.match"),
                format!("missing field `match` (profile `{name}` is not the default profile)"),
            );
            return None;
        }
        if !default && precedence.is_none() {
            self.error(
                &format!("{path}.precedence"),
                format!("missing field `precedence` (profile `{name}` is not the default profile)"),
            );
            return None;
        }
        let subnet_id = if ip {
            self.opt_string(obj, "subnet_id", path)
        } else {
            None
        };
        let settings = obj
            .iter()
            .filter(|(k, _)| {
                !matches!(
                    k.as_str(),
                    "policy_id"
                        | "id"
                        | "name"
                        | "precedence"
                        | "enabled"
                        | "match"
                        | "default"
                        | "description"
                        | "subnet_id"
                )
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Some(Profile {
            id,
            name,
            precedence,
            enabled,
            expr,
            default,
            settings,
            subnet_id,
            path: path.to_string(),
            file: self.file.clone(),
        })
    }

    fn posture(&mut self, v: &Value, path: &str) -> Option<PostureRule> {
        let obj = self.object(v, path)?;
        let id = self.string_in(obj, "id", path)?;
        let name = self
            .opt_string(obj, "name", path)
            .unwrap_or_else(|| id.clone());
        let kind = self.string_in(obj, "type", path)?;
        let input = obj.get("input").cloned().unwrap_or(Value::Null);
        let platforms = obj
            .get("match")
            .and_then(Value::as_array)
            .map(|m| {
                m.iter()
                    .filter_map(|p| p.get("platform").and_then(Value::as_str))
                    .map(|p| p.to_ascii_lowercase())
                    .collect()
            })
            .unwrap_or_default();
        Some(PostureRule {
            id,
            name,
            kind,
            input,
            platforms,
            path: path.to_string(),
            file: self.file.clone(),
        })
    }
}

fn parse_json(text: &str, file: &str, problems: &mut Vec<Problem>) -> Option<Value> {
    match serde_json::from_str(text) {
        Ok(v) => Some(v),
        Err(e) => {
            problems.push(Problem {
                severity: Severity::Error,
                file: file.to_string(),
                path: format!("{}:{}", e.line(), e.column()),
                message: format!(
                    "malformed JSON at line {}, column {}: {e}",
                    e.line(),
                    e.column()
                ),
                expr: None,
            });
            None
        }
    }
}

/// A bundle: one object whose keys are resource kinds.
pub fn load_bundle(text: &str, file: &str) -> (Config, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut cfg = Config::default();
    let Some(v) = parse_json(text, file, &mut problems) else {
        return (cfg, problems);
    };
    let mut r = Reader {
        file: file.to_string(),
        problems: &mut problems,
    };
    let Some(obj) = r.object(&v, "$") else {
        return (cfg, problems);
    };
    for key in obj.keys() {
        if !KINDS.contains(&key.as_str()) {
            let hint = crate::diag::did_you_mean(key, KINDS.iter().copied())
                .map(|k| format!(" (did you mean `{k}`?)"))
                .unwrap_or_default();
            r.error(
                &format!("${}", super::reader::path_key(key)),
                format!("unknown resource kind `{key}`{hint}"),
            );
        }
    }
    for kind in KINDS {
        if let Some(value) = obj.get(*kind) {
            r.kind(&mut cfg, kind, value, &format!("$.{kind}"));
        }
    }
    (cfg, problems)
}

/// A folder of `<kind>.json` files; other files are ignored with a warning.
pub fn load_folder(dir: &Path) -> (Config, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut cfg = Config::default();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    entries.sort();
    for path in entries.iter().filter(|p| !p.is_dir()) {
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        let is_json = path.extension().is_some_and(|e| e == "json");
        if !is_json || !KINDS.contains(&stem) {
            problems.push(Problem {
                severity: Severity::Warning,
                file: path.display().to_string(),
                path: "$".into(),
                message: "not a configuration file (expected `<kind>.json`, e.g. `access_groups.json`); ignored".into(),
                expr: None,
            });
        }
    }
    for kind in KINDS {
        let path = dir.join(format!("{kind}.json"));
        if !path.exists() {
            continue;
        }
        let file = path.display().to_string();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                problems.push(Problem {
                    severity: Severity::Error,
                    file,
                    path: "$".into(),
                    message: format!("cannot read the file: {e}"),
                    expr: None,
                });
                continue;
            }
        };
        let Some(v) = parse_json(&text, &file, &mut problems) else {
            continue;
        };
        let mut r = Reader {
            file,
            problems: &mut problems,
        };
        r.kind(&mut cfg, kind, &v, "$");
    }
    (cfg, problems)
}

/// Reads a configuration from a bundle file or a folder of per-kind files.
/// Returns the configuration (possibly partial) and every problem found while reading.
pub fn load_path(path: &Path) -> (Config, Vec<Problem>) {
    if path.is_dir() {
        return load_folder(path);
    }
    let file = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => load_str(&text, &file),
        Err(e) => (
            Config::default(),
            vec![Problem {
                severity: Severity::Error,
                file,
                path: "$".into(),
                message: format!("cannot read the file: {e}"),
                expr: None,
            }],
        ),
    }
}

/// Reads a bundle from JSON text; `file` names it in problems.
pub fn load_str(text: &str, file: &str) -> (Config, Vec<Problem>) {
    load_bundle(text, file)
}
