//! Every error of a context at once (`context.md`): unknown keys, wrong JSON
//! types, arrays where objects belong, and the values with a fixed form
//! (`request.ip`, `request.country`, `identity.risk_score`). The batch path
//! reads good contexts straight into `Subject`; this walk runs on the JSON tree
//! of a context that failed there, or that `eval` reads, so that a person
//! sees all that is wrong in one go, in words without Rust type names.

use serde_json::Value;
use std::fmt::Write;

/// `.key`, or `["a key"]` for one that is not a plain name.
fn push_key(path: &mut String, k: &str) {
    if !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        path.push('.');
        path.push_str(k);
    } else {
        path.push_str(&crate::diag::path_key(k));
    }
}

/// The shape of one context value.
enum Shape {
    Str,
    Bool,
    /// `id`: a string or a number.
    Id,
    /// An IP address.
    Ip,
    /// Two ASCII letters or digits.
    Country,
    /// `low`, `medium`, `high`, `unscored`.
    Risk,
    /// A string or an array of strings (SAML attributes, OIDC claims).
    StrOrStrs,
    /// A URL, with or without a scheme.
    Url,
    /// A port number.
    Port,
    /// `tcp`, `udp`, `icmp`.
    Protocol,
    /// A finite number.
    Num,
    /// A part of the context that may be declared unknown.
    Part,
    Obj(&'static [(&'static str, Shape)]),
    Arr(&'static Shape),
    /// Any keys, each value of this shape.
    Map(&'static Shape),
}

use Shape::{
    Arr, Bool, Country, Id, Ip, Map, Num, Obj, Part, Port, Protocol, Risk, Str, StrOrStrs, Url,
};

const STRS: Shape = Arr(&Str);

const CONTEXT: Shape = Obj(&[
    ("id", Id),
    (
        "identity",
        Obj(&[
            ("email", Str),
            ("name", Str),
            ("idp", Obj(&[("id", Str), ("type", Str)])),
            (
                "groups",
                Arr(&Obj(&[("id", Str), ("name", Str), ("email", Str)])),
            ),
            ("saml_attributes", Map(&StrOrStrs)),
            ("oidc_claims", Map(&StrOrStrs)),
            ("github", Arr(&Obj(&[("org", Str), ("teams", STRS)]))),
            ("amr", STRS),
            ("auth_contexts", STRS),
            ("risk_score", Risk),
            ("service_token_uuid", Str),
            ("issued_at", Num),
        ]),
    ),
    (
        "device",
        Obj(&[
            ("os", Obj(&[("name", Str), ("version", Str)])),
            ("network", Str),
            ("serial_number", Str),
            (
                "posture",
                Obj(&[
                    ("passed", STRS),
                    ("failed", STRS),
                    ("timestamps", Map(&Str)),
                ]),
            ),
            (
                "facts",
                Obj(&[
                    ("firewall", Bool),
                    ("disk_encrypted", Bool),
                    ("domain", Str),
                    ("warp", Bool),
                    ("gateway", Bool),
                ]),
            ),
        ]),
    ),
    (
        "request",
        Obj(&[
            ("ip", Ip),
            ("country", Country),
            ("certificate", Obj(&[("common_name", Str)])),
            ("service_token", Obj(&[("id", Str), ("client_id", Str)])),
            ("linked_app_token", Obj(&[("app_uid", Str)])),
            ("external_evaluation", Map(&Bool)),
            ("url", Url),
            (
                "destination",
                Obj(&[
                    ("ip", Ip),
                    ("port", Port),
                    ("protocol", Protocol),
                    ("hostname", Str),
                    ("vnet_id", Str),
                ]),
            ),
        ]),
    ),
    ("unknown", Arr(&Part)),
    ("sources", Map(&Str)),
]);

/// The longest string value a context may hold: longer ones are errors, so a
/// `matches` never runs over megabytes of one value.
pub const MAX_STRING: usize = 8 << 10;

/// Every error of `v` as a context: `(JSON path, message)`, in document order.
pub fn context_errors(v: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if !v.is_object() {
        out.push((
            "$".to_string(),
            format!(
                "a context is a JSON object, found {}",
                crate::diag::json_kind(v)
            ),
        ));
        return out;
    }
    let mut path = String::from("$");
    walk(&CONTEXT, v, &mut path, &mut out);
    out
}

/// Arrays may be `null` only where serde reads an absent value: not for lists.
/// `path` grows by a segment for each child and is cut back after it: the
/// walk of a good context allocates nothing but that one string.
fn walk(shape: &Shape, v: &Value, path: &mut String, out: &mut Vec<(String, String)>) {
    let bad = |want: &str, path: &str, out: &mut Vec<(String, String)>| {
        out.push((
            path.to_string(),
            format!("expected {want}, found {}", crate::diag::json_kind(v)),
        ));
    };
    if let Value::String(text) = v
        && text.len() > MAX_STRING
    {
        out.push((
            path.to_string(),
            format!(
                "the value has {} bytes, more than the limit of {MAX_STRING}",
                text.len()
            ),
        ));
        return;
    }
    match shape {
        Str => {
            if !v.is_string() && !v.is_null() {
                bad("a string", path, out);
            }
        }
        Bool => {
            if !v.is_boolean() && !v.is_null() {
                bad("true or false", path, out);
            }
        }
        Id => {
            if !(v.is_string() || v.is_number() || v.is_null()) {
                bad("a string or a number", path, out);
            }
        }
        Ip => match v {
            Value::Null => {}
            Value::String(s) if s.parse::<std::net::IpAddr>().is_ok() => {}
            Value::String(s) => out.push((path.to_string(), format!("invalid ip address `{s}`"))),
            _ => bad("an ip address string", path, out),
        },
        Country => match v {
            Value::Null => {}
            Value::String(s) if is_country(s) => {}
            Value::String(s) => out.push((
                path.to_string(),
                format!("invalid country code `{s}`: expected two letters or digits, as Cloudflare writes them (`PT`, `T1` for Tor, `XX` for unknown)"),
            )),
            _ => bad("a country code string", path, out),
        },
        Risk => match v {
            Value::Null => {}
            Value::String(s) if is_risk(s) => {}
            Value::String(s) => out.push((
                path.to_string(),
                format!("unknown risk score `{s}`: expected `low`, `medium`, `high` or `unscored`"),
            )),
            _ => bad("a risk score string", path, out),
        },
        Url => match v {
            Value::Null => {}
            Value::String(s) => {
                if let Err(m) = crate::route::normalise(s) {
                    out.push((path.to_string(), m));
                }
            }
            _ => bad("a URL string", path, out),
        },
        Port => match v {
            Value::Null => {}
            Value::Number(n) if n.as_u64().is_some_and(|p| p <= 65535) => {}
            _ => bad("a port number (0 to 65535)", path, out),
        },
        Protocol => match v {
            Value::Null => {}
            Value::String(s) if is_protocol(&s.to_ascii_lowercase()) => {}
            Value::String(s) => out.push((
                path.to_string(),
                format!("unknown protocol `{s}`: expected `tcp`, `udp` or `icmp`"),
            )),
            _ => bad("a protocol string", path, out),
        },
        Num => {
            if !v.is_number() && !v.is_null() {
                bad("a number", path, out);
            }
        }
        Part => match v {
            Value::String(s) if super::UNKNOWN_PARTS.contains(&s.as_str()) => {}
            Value::String(s) => out.push((
                path.to_string(),
                format!(
                    "`{s}` cannot be declared unknown: expected one of {}",
                    super::UNKNOWN_PARTS.join(", ")
                ),
            )),
            _ => bad("a context path string", path, out),
        },
        StrOrStrs => match v {
            Value::String(_) => {}
            Value::Array(items) => {
                for (i, x) in items.iter().enumerate() {
                    let len = path.len();
                    let _ = write!(path, "[{i}]");
                    walk(&Str, x, path, out);
                    path.truncate(len);
                }
            }
            _ => bad("a string or an array of strings", path, out),
        },
        Obj(fields) => match v {
            Value::Null => {}
            Value::Object(map) => {
                for (k, item) in map {
                    let len = path.len();
                    push_key(path, k);
                    match fields.iter().find(|(name, _)| name == k) {
                        Some((_, s)) => walk(s, item, path, out),
                        None => {
                            let p = path.clone();
                            let hint = crate::diag::did_you_mean(k, fields.iter().map(|(n, _)| *n))
                                .map(|s| format!(" (did you mean `{s}`?)"))
                                .unwrap_or_default();
                            let known = fields.iter().map(|(n, _)| format!("`{n}`")).collect::<Vec<_>>().join(", ");
                            out.push((p, format!("unknown field `{k}`{hint}; expected one of {known}")));
                        }
                    }
                    path.truncate(len);
                }
            }
            _ => bad("an object", path, out),
        },
        Arr(item) => match v {
            Value::Array(items) => {
                for (i, x) in items.iter().enumerate() {
                    let len = path.len();
                    let _ = write!(path, "[{i}]");
                    walk(item, x, path, out);
                    path.truncate(len);
                }
            }
            _ => bad("an array", path, out),
        },
        Map(item) => match v {
            Value::Null => {}
            Value::Object(map) => {
                // Keys are data here, not names: always in brackets.
                for (k, x) in map {
                    let len = path.len();
                    let _ = write!(path, "[{}]", Value::from(k.as_str()));
                    walk(item, x, path, out);
                    path.truncate(len);
                }
            }
            _ => bad("an object", path, out),
        },
    }
}

/// What a table's cell becomes at a context path (`population::table`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leaf {
    /// A string.
    Text,
    /// `true` / `false`.
    Bool,
    /// A number.
    Number,
    /// An array of strings.
    List,
}

/// One step of a context path a table writes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// An object's key.
    Key(String),
    /// An array of objects: each value of the cell makes one, by position.
    Each(String),
}

/// The steps and leaf of a context path written as a mapping names it:
/// `identity.email`, `identity.groups[].name`, `identity.saml_attributes.department`
/// (the rest of the path is the attribute's name), `device.posture.passed`.
/// Checked against the same shape the context reader checks.
///
/// # Errors
/// A path the context does not have, in words, with a suggestion.
pub fn mapping_path(path: &str) -> Result<(Vec<Step>, Leaf), String> {
    let mut shape = &CONTEXT;
    let mut steps = Vec::new();
    let mut rest = path;
    loop {
        if let Map(item) = shape {
            if rest.is_empty() {
                return Err(format!("`{path}` needs a name after its last `.`"));
            }
            steps.push(Step::Key(rest.to_string()));
            return leaf_of(item, path).map(|l| (steps, l));
        }
        let (token, tail) = rest.split_once('.').unwrap_or((rest, ""));
        let (name, each) = match token.strip_suffix("[]") {
            Some(n) => (n, true),
            None => (token, false),
        };
        let Obj(fields) = shape else {
            return Err(format!("`{path}` goes past a value"));
        };
        let Some((_, child)) = fields.iter().find(|(n, _)| *n == name) else {
            let hint = crate::diag::did_you_mean(name, fields.iter().map(|(n, _)| *n))
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(format!("`{path}`: a context has no `{name}` here{hint}"));
        };
        match child {
            Arr(item) if matches!(item, Obj(_)) => {
                if tail.is_empty() {
                    return Err(format!(
                        "`{path}` is a list of objects: name one of their keys (`{name}[].…`)"
                    ));
                }
                steps.push(Step::Each(name.to_string()));
                shape = item;
                rest = tail;
            }
            _ if each && !matches!(child, Arr(_)) => {
                return Err(format!("`{path}`: `{name}` is not a list"));
            }
            Obj(_) | Map(_) => {
                steps.push(Step::Key(name.to_string()));
                shape = child;
                rest = tail;
            }
            _ if !tail.is_empty() => return Err(format!("`{path}` goes past a value")),
            _ => {
                steps.push(Step::Key(name.to_string()));
                return leaf_of(child, path).map(|l| (steps, l));
            }
        }
    }
}

fn leaf_of(shape: &Shape, path: &str) -> Result<Leaf, String> {
    Ok(match shape {
        Bool => Leaf::Bool,
        Port | Num => Leaf::Number,
        Arr(_) | StrOrStrs => Leaf::List,
        Str | Id | Ip | Country | Risk | Url | Protocol | Part => Leaf::Text,
        Obj(_) | Map(_) => return Err(format!("`{path}` is an object: name one of its keys")),
    })
}

/// `request.country`: two ASCII letters or digits.
pub fn is_country(s: &str) -> bool {
    s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// `request.destination.protocol`, lowercase.
pub fn is_protocol(s: &str) -> bool {
    matches!(s, "tcp" | "udp" | "icmp")
}

/// `identity.risk_score`.
pub fn is_risk(s: &str) -> bool {
    matches!(s, "low" | "medium" | "high" | "unscored")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_error_at_once() {
        let v = json!({"identity": {"emial": "a", "risk_score": "HIGH", "groups": "eng"},
                       "request": {"country": "Germany", "ip": "10.1.2"}});
        let errs = context_errors(&v);
        let paths: Vec<&str> = errs.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            [
                "$.identity.emial",
                "$.identity.risk_score",
                "$.identity.groups",
                "$.request.country",
                "$.request.ip"
            ]
        );
        assert!(errs.iter().all(|(_, m)| !m.contains("struct")));
    }

    #[test]
    fn mapping_paths() {
        assert_eq!(
            mapping_path("identity.groups[].name"),
            Ok((
                vec![
                    Step::Key("identity".into()),
                    Step::Each("groups".into()),
                    Step::Key("name".into())
                ],
                Leaf::Text
            ))
        );
        assert_eq!(
            mapping_path("identity.saml_attributes.dept.name").map(|p| p.1),
            Ok(Leaf::List)
        );
        assert_eq!(
            mapping_path("device.facts.warp").map(|p| p.1),
            Ok(Leaf::Bool)
        );
        assert!(mapping_path("identity.emial").is_err_and(|e| e.contains("`email`")));
        assert!(mapping_path("identity.groups").is_err());
        assert!(mapping_path("device").is_err());
    }

    #[test]
    fn an_array_is_not_a_context() {
        assert_eq!(context_errors(&json!([1, 2])).len(), 1);
        assert_eq!(context_errors(&json!({"identity": ["a@b.com"]})).len(), 1);
    }
}
