//! Cloudflare's own identity records as contexts (`context.md`, "Cloudflare's
//! own identity records"): what `GET …/access/users/{id}/last_seen_identity`
//! returns (its `result`, or the whole envelope) and the team domain's
//! `/cdn-cgi/access/get-identity`, mapped onto a context. Shapes from the API
//! reference's `access_identity` schema (email, idp, geo, ip, devicePosture,
//! is_warp, is_gateway, service_token_id, service_token_status, mtls_auth,
//! user_uuid) and from `get-identity` (name, groups, amr).

use serde_json::{Map, Value, json};

/// The record inside `v`, when `v` is one (or an envelope around one): an
/// object with `user_uuid` or `devicePosture` and none of `identity`,
/// `device`, `request`, so that a typo in a context is still an error.
pub fn record_of(v: &Value) -> Option<&Map<String, Value>> {
    let obj = v.as_object()?;
    let obj = match obj.get("result") {
        Some(Value::Object(r)) if obj.contains_key("success") => r,
        _ => obj,
    };
    let marked = obj.contains_key("user_uuid") || obj.contains_key("devicePosture");
    let context = ["identity", "device", "request"]
        .iter()
        .any(|k| obj.contains_key(*k));
    (marked && !context).then_some(obj)
}

/// A non-empty string field.
fn text<'a>(r: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    r.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// The record as the context it stands for: what the record lacks that a
/// rule may need is said in the context's own words (`unknown`,
/// `request.service_token.client_id`, `identity.issued_at`,
/// `device.posture.timestamps`), so a population written out keeps it.
pub fn to_context(r: &Map<String, Value>) -> Value {
    let mut identity = Map::new();
    if let Some(e) = text(r, "email") {
        identity.insert("email".into(), e.into());
    }
    if let Some(n) = text(r, "name") {
        identity.insert("name".into(), n.into());
    }
    if let Some(Value::Object(idp)) = r.get("idp") {
        let mut i = Map::new();
        for k in ["id", "type"] {
            if let Some(v) = idp.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()) {
                i.insert(k.into(), v.into());
            }
        }
        if !i.is_empty() {
            identity.insert("idp".into(), Value::Object(i));
        }
    }
    let groups_known = matches!(r.get("groups"), Some(Value::Array(_)));
    if let Some(iat) = r.get("iat").filter(|v| v.is_number()) {
        identity.insert("issued_at".into(), iat.clone());
    }
    if let Some(Value::Array(groups)) = r.get("groups") {
        // `get-identity` gives objects; a plain name is read as one.
        let gs: Vec<Value> = groups
            .iter()
            .map(|g| match g {
                Value::String(name) => json!({"name": name}),
                Value::Object(o) => {
                    let mut m = Map::new();
                    for k in ["id", "name", "email"] {
                        let v = match o.get(k) {
                            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                            Some(Value::Number(n)) => Some(n.to_string()),
                            _ => None,
                        };
                        if let Some(v) = v {
                            m.insert(k.into(), v.into());
                        }
                    }
                    Value::Object(m)
                }
                other => other.clone(),
            })
            .collect();
        identity.insert("groups".into(), Value::Array(gs));
    }
    if let Some(amr @ Value::Array(_)) = r.get("amr") {
        identity.insert("amr".into(), amr.clone());
    }
    // Custom claims (`custom`: name -> a string or strings), as the identity
    // provider passed them: SAML attributes or OIDC claims alike, since the
    // record does not say which (a `saml` or `oidc` rule also names its
    // provider, which the record's `idp` decides).
    if let Some(Value::Object(custom)) = r.get("custom") {
        // A number or a flag is compared as the text the provider sent;
        // nothing a claim holds is dropped (a dropped claim would make a
        // `saml` exclude on it false).
        let text = |x: &Value| match x {
            Value::String(s) => Some(Value::String(s.clone())),
            Value::Number(n) => Some(Value::String(n.to_string())),
            Value::Bool(b) => Some(Value::String(b.to_string())),
            _ => None,
        };
        let claims: Map<String, Value> = custom
            .iter()
            .filter_map(|(k, v)| match v {
                Value::Array(items) => Some((
                    k.clone(),
                    Value::Array(items.iter().filter_map(text).collect()),
                )),
                other => text(other).map(|t| (k.clone(), t)),
            })
            .collect();
        if !claims.is_empty() {
            identity.insert("saml_attributes".into(), Value::Object(claims.clone()));
            identity.insert("oidc_claims".into(), Value::Object(claims));
        }
    }
    let mut device = Map::new();
    if let Some(Value::Object(posture)) = r.get("devicePosture") {
        let (mut passed, mut failed, mut times) = (Vec::new(), Vec::new(), Map::new());
        for (id, result) in posture {
            if let Some(t) = result.get("timestamp").and_then(Value::as_str) {
                times.insert(id.clone(), t.into());
            }
            match result.get("success").and_then(Value::as_bool) {
                Some(true) => passed.push(Value::from(id.as_str())),
                Some(false) => failed.push(Value::from(id.as_str())),
                None => {}
            }
        }
        device.insert(
            "posture".into(),
            json!({"passed": passed, "failed": failed, "timestamps": times}),
        );
    }
    let mut facts = Map::new();
    for (from, to) in [("is_warp", "warp"), ("is_gateway", "gateway")] {
        if let Some(b) = r.get(from).and_then(Value::as_bool) {
            facts.insert(to.into(), b.into());
        }
    }
    if !facts.is_empty() {
        device.insert("facts".into(), Value::Object(facts));
    }
    let mut request = Map::new();
    if let Some(ip) = text(r, "ip") {
        request.insert("ip".into(), ip.into());
    }
    if let Some(c) = r
        .get("geo")
        .and_then(|g| g.get("country"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        request.insert("country".into(), c.into());
    }
    // A certificate only when one was presented: for a service-token login
    // `common_name` is the token's Client ID, not a certificate's.
    let presented = r
        .get("mtls_auth")
        .and_then(|m| m.get("cert_presented"))
        .and_then(Value::as_bool)
        == Some(true);
    if presented {
        let mut cert = Map::new();
        if let Some(cn) = text(r, "common_name") {
            cert.insert("common_name".into(), cn.into());
        }
        request.insert("certificate".into(), Value::Object(cert));
    }
    let token_valid = r.get("service_token_status").and_then(Value::as_bool) == Some(true);
    if let Some(client) = text(r, "service_token_id").filter(|_| token_valid) {
        request.insert("service_token".into(), json!({ "client_id": client }));
    }
    let mut ctx = Map::new();
    if let Some(id) = text(r, "user_uuid") {
        ctx.insert("id".into(), id.into());
    }
    for (k, m) in [
        ("identity", identity),
        ("device", device),
        ("request", request),
    ] {
        if !m.is_empty() {
            ctx.insert(k.into(), Value::Object(m));
        }
    }
    if !groups_known {
        ctx.insert("unknown".into(), json!(["identity.groups"]));
    }
    Value::Object(ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_in_the_api_shape() {
        let v = json!({"success": true, "errors": [], "messages": [], "result": {
            "account_id": "1234567890", "auth_status": "NONE", "common_name": "", "device_id": "",
            "devicePosture": {"p-disk": {"id": "p-disk", "success": true, "timestamp": "2026-11-30T10:00:00Z", "type": "disk_encryption"},
                              "p-fw": {"id": "p-fw", "success": false}},
            "email": "test@cloudflare.com", "geo": {"country": "US"}, "iat": 1694791905.0,
            "idp": {"id": "okta-1", "type": "okta"}, "ip": "127.0.0.1", "is_gateway": false, "is_warp": true,
            "mtls_auth": {"auth_status": "NONE", "cert_presented": false},
            "service_token_id": "", "service_token_status": false,
            "user_uuid": "57cf8cf2-f55a-4588-9ac9-f5e41e9f09b4", "version": 2}});
        let r = record_of(&v).unwrap_or_else(|| unreachable!("not read as a record"));
        assert_eq!(
            to_context(r),
            json!({"id": "57cf8cf2-f55a-4588-9ac9-f5e41e9f09b4",
            "identity": {"email": "test@cloudflare.com", "idp": {"id": "okta-1", "type": "okta"}, "issued_at": 1694791905.0},
            "device": {"posture": {"passed": ["p-disk"], "failed": ["p-fw"], "timestamps": {"p-disk": "2026-11-30T10:00:00Z"}},
                       "facts": {"warp": true, "gateway": false}},
            "request": {"ip": "127.0.0.1", "country": "US"},
            "unknown": ["identity.groups"]})
        );
    }

    #[test]
    fn a_context_is_never_a_record() {
        assert!(record_of(&json!({"user_uuid": "x", "identity": {}})).is_none());
        assert!(record_of(&json!({"identity": {"emial": "x"}})).is_none());
    }
}
