//! `Subject` -> `Context`: the normalised context's values put into the unified
//! scheme's slots. Field ids are looked up once, when the engine is built, so
//! filling a context does no name lookups.

use crate::scheme::{FieldId, Scheme};
use crate::subject::{Attributes, Subject};
use crate::value::{Context, Value};

macro_rules! slots {
    ($($name:ident = $field:literal,)*) => {
        /// The slot of every field a context fills (`None`: not in the scheme).
        #[derive(Debug, Clone, Default)]
        pub(super) struct Slots {
            len: usize,
            $($name: Option<FieldId>,)*
        }

        impl Slots {
            /// The slots of `scheme`'s fields; those `read` says no rule or
            /// profile reads stay unfilled.
            pub(super) fn new(scheme: &Scheme, read: &[bool]) -> Slots {
                let used = |name: &str| {
                    scheme
                        .field(name)
                        .filter(|f| read.get(f.index()).copied().unwrap_or(false))
                };
                Slots { len: scheme.len(), $($name: used($field),)* }
            }
        }
    };
}

slots! {
    email = "identity.email",
    email_domain = "identity.email.domain",
    name = "identity.name",
    group_ids = "identity.groups.id",
    group_names = "identity.groups.name",
    group_emails = "identity.groups.email",
    saml_pairs = "identity.saml_attributes",
    oidc_pairs = "identity.oidc_claims",
    saml = "identity.saml",
    oidc = "identity.oidc",
    service_token_uuid = "identity.service_token_uuid",
    idp = "identity.idp.id",
    amr = "identity.amr",
    auth_contexts = "identity.auth_contexts",
    risk_score = "identity.risk_score",
    github = "identity.github",
    network = "network",
    os_name = "os.name",
    os_version = "os.version",
    passed = "device_posture.checks.passed",
    failed = "device_posture.checks.failed",
    ip = "request.ip",
    country = "request.country",
    certificate = "request.certificate",
    common_name = "request.certificate.common_name",
    service_token = "request.service_token",
    service_token_id = "request.service_token.id",
    app_uid = "request.linked_app_token.app_uid",
    external_evaluation = "request.external_evaluation",
}

fn bytes(s: &str) -> Value {
    Value::Bytes(s.as_bytes().into())
}

/// Built at its size: collecting a filtered iterator into a box would grow a
/// vector from four and shrink it again, two allocations for one.
fn array<'a>(items: impl Iterator<Item = &'a str>) -> Value {
    let mut out = Vec::with_capacity(items.size_hint().1.unwrap_or(0));
    out.extend(items.map(bytes));
    Value::Array(out.into_boxed_slice())
}

/// `name=value` for every value of every attribute, as rules on pairs compare them.
fn pairs(m: &Attributes) -> Value {
    let mut out = Vec::with_capacity(m.iter().map(|(_, vs)| vs.len()).sum());
    out.extend(m.iter().flat_map(|(k, vs)| {
        vs.iter().map(move |v| {
            let mut pair = Vec::with_capacity(k.len() + 1 + v.len());
            pair.extend_from_slice(k.as_bytes());
            pair.push(b'=');
            pair.extend_from_slice(v.as_bytes());
            Value::Bytes(pair.into_boxed_slice())
        })
    }));
    Value::Array(out.into_boxed_slice())
}

fn map(m: &Attributes) -> Value {
    Value::map(
        m.iter()
            .map(|(k, vs)| (k.as_bytes().into(), array(vs.iter().map(String::as_str))))
            .collect(),
    )
}

/// `org` and `org/team` for every organization and team, lowercased.
fn github(s: &Subject) -> Value {
    let orgs = &s.identity.github;
    let mut out = Vec::with_capacity(orgs.iter().map(|o| 1 + o.teams.len()).sum());
    for o in &s.identity.github {
        let org = o.org.to_ascii_lowercase();
        out.push(bytes(&org));
        for t in &o.teams {
            let mut team = Vec::with_capacity(org.len() + 1 + t.len());
            team.extend_from_slice(org.as_bytes());
            team.push(b'/');
            team.extend(t.bytes().map(|b| b.to_ascii_lowercase()));
            out.push(Value::Bytes(team.into_boxed_slice()));
        }
    }
    Value::Array(out.into_boxed_slice())
}

impl Slots {
    /// The context of `s` with the posture results `passed` and `failed`.
    pub(super) fn context<'a>(
        &self,
        s: &Subject,
        passed: impl Iterator<Item = &'a str> + Clone,
        failed: impl Iterator<Item = &'a str> + Clone,
    ) -> Context {
        let mut ctx = Context::with_len(self.len);
        // A value is built only for a field some rule or profile reads.
        let mut set = |f: Option<FieldId>, v: &dyn Fn() -> Option<Value>| {
            if let Some(f) = f {
                ctx.set(f, v());
            }
        };
        let id = &s.identity;
        set(self.email, &|| id.email.as_deref().map(bytes));
        set(self.email_domain, &|| {
            id.email
                .as_deref()
                .and_then(|e| e.rsplit_once('@'))
                .map(|(_, d)| bytes(d))
        });
        set(self.name, &|| id.name.as_deref().map(bytes));
        let groups = &id.groups;
        set(self.group_ids, &|| {
            Some(array(groups.iter().filter_map(|g| g.id.as_deref())))
        });
        set(self.group_names, &|| {
            Some(array(groups.iter().filter_map(|g| g.name.as_deref())))
        });
        set(self.group_emails, &|| {
            Some(array(groups.iter().filter_map(|g| g.email.as_deref())))
        });
        set(self.saml_pairs, &|| Some(pairs(&id.saml_attributes)));
        set(self.oidc_pairs, &|| Some(pairs(&id.oidc_claims)));
        set(self.saml, &|| Some(map(&id.saml_attributes)));
        set(self.oidc, &|| Some(map(&id.oidc_claims)));
        // `identity.service_token_uuid` and `request.service_token.id` are the
        // same token: when only one is given, it stands for both (`context.md`).
        let token_id = || {
            id.service_token_uuid.as_deref().or_else(|| {
                s.request
                    .service_token
                    .as_ref()
                    .and_then(|t| t.id.as_deref())
            })
        };
        set(self.service_token_uuid, &|| token_id().map(bytes));
        set(self.idp, &|| {
            id.idp.as_ref().and_then(|i| i.id.as_deref()).map(bytes)
        });
        set(self.amr, &|| Some(array(id.amr.iter().map(String::as_str))));
        set(self.auth_contexts, &|| {
            Some(array(id.auth_contexts.iter().map(String::as_str)))
        });
        set(self.risk_score, &|| id.risk_score.as_deref().map(bytes));
        set(self.github, &|| Some(github(s)));
        let dev = &s.device;
        let os = dev.os.as_ref();
        set(self.network, &|| dev.network.as_deref().map(bytes));
        set(self.os_name, &|| {
            os.and_then(|o| o.name.as_deref()).map(bytes)
        });
        set(self.os_version, &|| {
            os.and_then(|o| o.version.as_deref()).map(bytes)
        });
        set(self.passed, &|| Some(array(passed.clone())));
        set(self.failed, &|| Some(array(failed.clone())));
        let req = &s.request;
        set(self.ip, &|| s.ip().map(Value::Ip));
        set(self.country, &|| req.country.as_deref().map(bytes));
        set(self.certificate, &|| {
            Some(Value::Bool(req.certificate.is_some()))
        });
        set(self.common_name, &|| {
            req.certificate
                .as_ref()
                .and_then(|c| c.common_name.as_deref())
                .map(bytes)
        });
        set(self.service_token, &|| {
            Some(Value::Bool(
                req.service_token.is_some() || id.service_token_uuid.is_some(),
            ))
        });
        set(self.service_token_id, &|| {
            req.service_token
                .as_ref()
                .and_then(|t| t.id.as_deref())
                .or(id.service_token_uuid.as_deref())
                .map(bytes)
        });
        set(self.app_uid, &|| {
            req.linked_app_token
                .as_ref()
                .and_then(|t| t.app_uid.as_deref())
                .map(bytes)
        });
        set(self.external_evaluation, &|| {
            Some(Value::map(
                req.external_evaluation
                    .iter()
                    .map(|(k, v)| (k.as_bytes().into(), Value::Bool(*v)))
                    .collect(),
            ))
        });
        ctx
    }
}
