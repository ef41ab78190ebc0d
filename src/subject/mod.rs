//! Context JSON (`context.md`) -> `Subject`: one identity, on one device, making one
//! request. Unknown keys and wrong shapes are errors at their JSON path; strings
//! that rules compare case-insensitively are normalised here, once.

mod attributes;
pub mod record;
pub mod validate;

pub use attributes::Attributes;
use serde::Deserialize;
use std::net::IpAddr;

pub use crate::value::ContextError;

/// One context, normalised.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    /// Echoed in the decision.
    #[serde(default)]
    #[schemars(schema_with = "id_schema")]
    pub id: Option<serde_json::Value>,
    /// Who.
    #[serde(default, deserialize_with = "crate::json::object::object")]
    pub identity: Identity,
    /// On what.
    #[serde(default, deserialize_with = "crate::json::object::object")]
    pub device: Device,
    /// From where.
    #[serde(default, deserialize_with = "crate::json::object::object")]
    pub request: Request,
    /// Parts of the context that are not known (`identity.groups`): the
    /// rules that read them are unknown, never false (`config.md` §9).
    #[serde(default)]
    #[schemars(extend("items" = {"enum": UNKNOWN_PARTS}))]
    pub unknown: Vec<String>,
    /// Where each part of the context came from (`zt-eval population`):
    /// context path -> source. Kept for people; no rule reads it.
    #[serde(default, deserialize_with = "attributes::unique_map")]
    pub sources: std::collections::BTreeMap<String, String>,
    /// Set when the context was read from Cloudflare's identity record
    /// (`record.rs`): the decision says so.
    #[serde(skip)]
    #[schemars(skip)]
    pub from_record: bool,
}

/// The parts a context may declare `unknown`.
pub const UNKNOWN_PARTS: &[&str] = &["identity.groups"];

/// `identity`
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    /// Lowercased on load.
    pub email: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// The identity provider used.
    #[serde(default, deserialize_with = "crate::json::object::optional_object")]
    pub idp: Option<Idp>,
    /// IdP groups.
    #[serde(default, deserialize_with = "crate::json::object::objects")]
    pub groups: Vec<IdpGroup>,
    /// name -> values
    #[serde(default)]
    pub saml_attributes: Attributes,
    /// name -> values
    #[serde(default)]
    pub oidc_claims: Attributes,
    /// GitHub organizations and teams.
    #[serde(default, deserialize_with = "crate::json::object::objects")]
    pub github: Vec<GithubOrg>,
    /// Authentication methods (`mfa`, `hwk`, …).
    #[serde(default)]
    pub amr: Vec<String>,
    /// Azure AD authentication contexts.
    #[serde(default)]
    pub auth_contexts: Vec<String>,
    /// `low`, `medium`, `high`, `unscored`.
    #[schemars(extend("enum" = ["low", "medium", "high", "unscored", null]))]
    pub risk_score: Option<String>,
    /// The service token used, if any.
    pub service_token_uuid: Option<String>,
    /// When the identity was issued (seconds since the epoch; an identity
    /// record's `iat`): posture results are judged against their rules'
    /// `expiration` at this time.
    pub issued_at: Option<f64>,
}

/// `identity.idp`
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Idp {
    /// Provider id.
    pub id: Option<String>,
    /// `okta`, `azureAD`, …
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// One IdP group.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdpGroup {
    /// Group id.
    pub id: Option<String>,
    /// Group name.
    pub name: Option<String>,
    /// Group email, lowercased on load.
    pub email: Option<String>,
}

/// One GitHub organization.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GithubOrg {
    /// Organization.
    pub org: String,
    /// Teams in it.
    #[serde(default)]
    pub teams: Vec<String>,
}

/// `device`
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Device {
    /// Operating system.
    #[serde(default, deserialize_with = "crate::json::object::optional_object")]
    pub os: Option<Os>,
    /// Managed network name.
    pub network: Option<String>,
    /// Serial number.
    pub serial_number: Option<String>,
    /// Posture results already known.
    #[serde(default, deserialize_with = "crate::json::object::optional_object")]
    pub posture: Option<Posture>,
    /// Facts posture rules are computed from.
    #[serde(default, deserialize_with = "crate::json::object::object")]
    pub facts: Facts,
}

/// `device.os`
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Os {
    /// Lowercased on load.
    pub name: Option<String>,
    /// `14.5.0`
    pub version: Option<String>,
}

/// `device.posture`
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Posture {
    /// Rule ids that pass.
    #[serde(default)]
    pub passed: Vec<String>,
    /// Rule ids that fail.
    #[serde(default)]
    pub failed: Vec<String>,
    /// Rule id -> when its result was taken (RFC 3339). When present, a
    /// result of a rule with an `expiration` is judged against
    /// `identity.issued_at`; a result without a time is unknown then.
    #[serde(default, deserialize_with = "optional_unique_map")]
    pub timestamps: Option<std::collections::BTreeMap<String, String>>,
}

fn optional_unique_map<'de, D>(
    d: D,
) -> Result<Option<std::collections::BTreeMap<String, String>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    attributes::unique_map(d).map(Some)
}

/// `device.facts`
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    /// Firewall on.
    pub firewall: Option<bool>,
    /// Disk encrypted.
    pub disk_encrypted: Option<bool>,
    /// Joined domain.
    pub domain: Option<String>,
    /// WARP connected.
    pub warp: Option<bool>,
    /// Gateway on.
    pub gateway: Option<bool>,
}

/// `request`
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// Source address, as written (checked on load).
    pub ip: Option<String>,
    /// Country code, uppercased on load.
    #[schemars(extend("pattern" = "^[A-Za-z0-9]{2}$"))]
    pub country: Option<String>,
    /// The client certificate, when one was presented.
    #[serde(default, deserialize_with = "crate::json::object::optional_object")]
    pub certificate: Option<Certificate>,
    /// The service token, when one was presented.
    #[serde(default, deserialize_with = "crate::json::object::optional_object")]
    pub service_token: Option<ServiceToken>,
    /// The linked app token, when one was presented.
    #[serde(default, deserialize_with = "crate::json::object::optional_object")]
    pub linked_app_token: Option<LinkedAppToken>,
    /// evaluate URL -> verdict
    #[serde(default, deserialize_with = "attributes::unique_map")]
    pub external_evaluation: std::collections::BTreeMap<String, bool>,
    /// The URL requested, as written (with or without a scheme).
    pub url: Option<String>,
    /// The private destination requested.
    #[serde(default, deserialize_with = "crate::json::object::optional_object")]
    pub destination: Option<Destination>,
    /// `url` or `destination`, normalised on load: what Access routes by.
    #[serde(skip)]
    #[schemars(skip)]
    pub target: Option<crate::route::RequestTarget>,
    /// `ip`, parsed on load (IPv4-mapped IPv6 read as IPv4): read once, not
    /// again for every use.
    #[serde(skip)]
    #[schemars(skip)]
    pub address: Option<IpAddr>,
}

/// `request.destination`
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Destination {
    /// Address.
    pub ip: Option<String>,
    /// Port.
    pub port: Option<u16>,
    /// `tcp` or `udp`.
    pub protocol: Option<String>,
    /// Host name.
    pub hostname: Option<String>,
    /// Virtual network id.
    pub vnet_id: Option<String>,
}

/// `request.certificate`
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    /// Common name.
    pub common_name: Option<String>,
}

/// `request.service_token`
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceToken {
    /// Token id.
    pub id: Option<String>,
    /// The token's Client ID (`….access`), as identity records give it:
    /// translated to its id through `access_service_tokens`; without an
    /// entry, service-token rules are unknown.
    pub client_id: Option<String>,
}

/// `request.linked_app_token`
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkedAppToken {
    /// App uid.
    pub app_uid: Option<String>,
}

/// `id`: a string or a number.
fn id_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": ["string", "number", "null"]})
}

/// The JSON Schema of a context (`zt-eval schema context`), generated from the
/// types that read it, so the two cannot drift.
pub fn json_schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(Subject);
    schema.insert("title".into(), "zt-eval context".into());
    schema.to_value()
}

/// The OS names of `context.md`; another value is kept with a warning.
pub const OS_NAMES: &[&str] = &["windows", "mac", "linux", "android", "ios", "chromeos"];

impl Subject {
    /// Reads and normalises a context; warnings (e.g. an unknown OS name) are returned beside it.
    ///
    /// # Errors
    /// Unknown keys, wrong JSON types and invalid values, with their JSON path.
    pub fn from_json(v: &serde_json::Value) -> Result<(Subject, Vec<String>), ContextError> {
        // Cloudflare's identity record: read as the context it maps to.
        if let Some(r) = record::record_of(v) {
            let (mut s, warnings) = Subject::from_json(&record::to_context(r))?;
            s.from_record = true;
            return Ok((s, warnings));
        }
        if let Some(e) = all_errors(v) {
            return Err(e);
        }
        let s: Subject = serde_path_to_error::deserialize(v).map_err(|e| ContextError {
            path: json_path(&e.path().to_string()),
            message: tidy(&e.inner().to_string()),
            also: Vec::new(),
        })?;
        s.normalise()
    }

    /// Reads a context from JSON text as a person gives it (`eval`): strictly
    /// (a key given twice is an error), with every error reported.
    ///
    /// # Errors
    /// Malformed JSON with its line and column; every error of the context.
    pub fn from_text_strict(text: &str) -> Result<(Subject, Vec<String>), ContextError> {
        let v = crate::json::parse(text).map_err(|e| ContextError {
            path: e.path.clone(),
            message: if e.line == 0 {
                e.message.clone()
            } else {
                crate::json::located(&e)
            },
            also: Vec::new(),
        })?;
        Subject::from_json(&v)
    }

    /// Reads a context straight from JSON text (no intermediate tree: the batch path).
    ///
    /// # Errors
    /// Malformed JSON (path `$`), unknown keys, wrong JSON types and invalid values.
    pub fn from_text(text: &str) -> Result<(Subject, Vec<String>), ContextError> {
        Subject::from_text_boxed(text).map(|(s, w)| (*s, w))
    }

    /// `from_text`, boxed: a subject is a kilobyte, and the batch path would
    /// otherwise copy it from each function that passes it on.
    pub(crate) fn from_text_boxed(text: &str) -> Result<(Box<Subject>, Vec<String>), ContextError> {
        // Tracking the path costs as much as the parse itself: read without it, and
        // read again, strictly, only to say everything that is wrong with a bad one.
        // serde would read `[…]` as a struct by position: a context is an object.
        // A line long enough to hold an over-long value is checked whole.
        // A long line, or not an object, takes the tree path. So does an
        // identity record, without a scan for it: its top-level keys
        // (`user_uuid`, `devicePosture`, an envelope's `success`) are not a
        // context's, so the direct read below fails and the strict read
        // recognises it.
        let boxed = |(s, w)| (Box::new(s), w);
        if !text.trim_start().starts_with('{') || text.len() > validate::MAX_STRING {
            return Subject::from_text_strict(text).map(boxed);
        }
        match serde_json::from_str::<Box<Subject>>(text) {
            // A value of the right JSON type but the wrong form: say all that
            // is wrong, as for any other bad context.
            Ok(mut s) => match s.normalise_in_place() {
                Err(first) => Subject::from_text_strict(text).and(Err(first)),
                Ok(warnings) => Ok((s, warnings)),
            },
            Err(_) => match Subject::from_text_strict(text) {
                Err(e) => Err(e),
                Ok((s, w)) if s.from_record => Ok((Box::new(s), w)),
                Ok(_) => Subject::from_text_tracked(text).map(boxed),
            },
        }
    }

    fn from_text_tracked(text: &str) -> Result<(Subject, Vec<String>), ContextError> {
        let mut de = serde_json::Deserializer::from_str(text);
        let s: Subject = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let inner = e.inner();
            if inner.is_syntax() || inner.is_eof() {
                ContextError {
                    path: "$".into(),
                    message: format!("malformed JSON at column {}: {inner}", inner.column()),
                    also: Vec::new(),
                }
            } else {
                ContextError {
                    path: json_path(&e.path().to_string()),
                    message: tidy(&inner.to_string()),
                    also: Vec::new(),
                }
            }
        })?;
        de.end().map_err(|e| ContextError {
            path: "$".into(),
            message: format!("malformed JSON at column {}: {e}", e.column()),
            also: Vec::new(),
        })?;
        s.normalise()
    }

    fn normalise(mut self) -> Result<(Subject, Vec<String>), ContextError> {
        let warnings = self.normalise_in_place()?;
        Ok((self, warnings))
    }

    /// Checks and normalises in place; the warnings.
    fn normalise_in_place(&mut self) -> Result<Vec<String>, ContextError> {
        let s = self;
        let mut warnings = Vec::new();
        if let Some(id) = &s.id
            && !(id.is_string() || id.is_number())
        {
            return Err(ContextError {
                path: "$.id".into(),
                message: "expected a string or a number".into(),
                also: Vec::new(),
            });
        }
        if let Some(part) = s
            .unknown
            .iter()
            .find(|p| !UNKNOWN_PARTS.contains(&p.as_str()))
        {
            return Err(ContextError {
                path: "$.unknown".into(),
                message: format!(
                    "`{part}` cannot be declared unknown: expected one of {}",
                    UNKNOWN_PARTS.join(", ")
                ),
                also: Vec::new(),
            });
        }
        if s.identity.issued_at.is_some_and(|t| !t.is_finite()) {
            return Err(ContextError {
                path: "$.identity.issued_at".into(),
                message: "expected seconds since the epoch".into(),
                also: Vec::new(),
            });
        }
        if let Some(ip) = &s.request.ip {
            match ip.parse::<IpAddr>() {
                Ok(addr) => s.request.address = Some(crate::literal::normalize_ip(addr)),
                Err(_) => {
                    return Err(ContextError {
                        path: "$.request.ip".into(),
                        message: format!("invalid ip address `{ip}`"),
                        also: Vec::new(),
                    });
                }
            }
        }
        for (key, field) in [
            ("saml_attributes", &s.identity.saml_attributes),
            ("oidc_claims", &s.identity.oidc_claims),
        ] {
            if let Some(name) = field.first_invalid() {
                return Err(ContextError {
                    path: format!("$.identity.{key}[{}]", serde_json::Value::from(name)),
                    message: "expected a string or an array of strings".into(),
                    also: Vec::new(),
                });
            }
        }
        s.request.target = request_target(&s.request)?;
        if let Some(e) = &mut s.identity.email {
            e.make_ascii_lowercase();
        }
        for g in &mut s.identity.groups {
            if let Some(e) = &mut g.email {
                e.make_ascii_lowercase();
            }
        }
        if let Some(os) = &mut s.device.os
            && let Some(name) = &mut os.name
        {
            name.make_ascii_lowercase();
            if !OS_NAMES.contains(&name.as_str()) {
                warnings.push(format!(
                    "$.device.os.name: unknown operating system `{name}` (expected one of {})",
                    OS_NAMES.join(", ")
                ));
            }
        }
        if let Some(r) = &s.identity.risk_score
            && !validate::is_risk(r)
        {
            return Err(ContextError {
                path: "$.identity.risk_score".into(),
                message: format!(
                    "unknown risk score `{r}`: expected `low`, `medium`, `high` or `unscored`"
                ),
                also: Vec::new(),
            });
        }
        if let Some(c) = &mut s.request.country {
            if !validate::is_country(c) {
                return Err(ContextError {
                    path: "$.request.country".into(),
                    message: format!(
                        "invalid country code `{c}`: expected two letters or digits, as Cloudflare writes them (`PT`, `T1` for Tor, `XX` for unknown)"
                    ),
                    also: Vec::new(),
                });
            }
            c.make_ascii_uppercase();
        }
        Ok(warnings)
    }

    /// The request address, IPv4-mapped IPv6 read as IPv4.
    pub fn ip(&self) -> Option<IpAddr> {
        // Read on load; parsed here for a subject built by hand.
        self.request.address.or_else(|| {
            self.request
                .ip
                .as_deref()
                .and_then(|s| s.parse().ok())
                .map(crate::literal::normalize_ip)
        })
    }
}

/// `request.url` or `request.destination`, normalised (`config.md` §7).
fn request_target(r: &Request) -> Result<Option<crate::route::RequestTarget>, ContextError> {
    use crate::route::{RequestDestination, RequestTarget};
    let err = |path: &str, message: String| ContextError {
        path: path.into(),
        message,
        also: Vec::new(),
    };
    match (&r.url, &r.destination) {
        (Some(_), Some(_)) => Err(err(
            "$.request",
            "a request is for a `url` or a private `destination`, not both".into(),
        )),
        (Some(url), None) => crate::route::normalise(url)
            .map(|u| Some(RequestTarget::Url(u)))
            .map_err(|m| err("$.request.url", m)),
        (None, Some(d)) => {
            let ip = match &d.ip {
                Some(ip) => Some(
                    ip.parse::<IpAddr>()
                        .map(crate::literal::normalize_ip)
                        .map_err(|_| {
                            err(
                                "$.request.destination.ip",
                                format!("invalid ip address `{ip}`"),
                            )
                        })?,
                ),
                None => None,
            };
            let protocol = d.protocol.as_ref().map(|p| p.to_ascii_lowercase());
            if let Some(p) = &protocol
                && !validate::is_protocol(p)
            {
                return Err(err(
                    "$.request.destination.protocol",
                    format!("unknown protocol `{p}`: expected `tcp`, `udp` or `icmp`"),
                ));
            }
            Ok(Some(RequestTarget::Destination(RequestDestination {
                ip,
                port: d.port,
                protocol,
                // As destinations are written: lowercase, IDN as punycode.
                hostname: d.hostname.as_ref().map(|h| {
                    let h = h.trim_end_matches('.');
                    match url::Host::parse(h) {
                        Ok(url::Host::Domain(d)) => d,
                        _ => h.to_ascii_lowercase(),
                    }
                }),
                vnet: d.vnet_id.clone(),
            })))
        }
        (None, None) => Ok(None),
    }
}

/// Every error of a context's tree, as one `ContextError`, or `None`.
fn all_errors(v: &serde_json::Value) -> Option<ContextError> {
    let mut errs = validate::context_errors(v).into_iter();
    let (path, message) = errs.next()?;
    Some(ContextError {
        path,
        message,
        also: errs.collect(),
    })
}

/// serde's words for a reader who does not know Rust: no type names.
fn tidy(m: &str) -> String {
    let m = m.split(" at line ").next().unwrap_or(m);
    if let Some(i) = m.find(", expected struct ") {
        return format!("{}, expected an object", &m[..i]);
    }
    if m.starts_with("invalid length") && m.contains("struct") {
        return "expected an object, found an array".into();
    }
    m.replace("invalid type: ", "wrong type: ")
}

/// serde_path_to_error's `identity.groups[0]` as `$.identity.groups[0]`.
fn json_path(p: &str) -> String {
    if p == "." || p.is_empty() {
        "$".to_string()
    } else {
        format!("$.{p}")
    }
}
