//! Access semantics (`config.md` §2): rule -> `Cond`, group -> `any(include) and
//! all(require) and not any(exclude)`, over the unified Zero Trust scheme.

use crate::config::{IdpRule, Rule};
use crate::expr::ast::CmpOp;
use crate::expr::cond::{Atom, AtomOp, Cond, PathStep, Quant, Scalar, Source, Val};
use crate::scheme::{FieldId, Scheme, Type};
use crate::sets::{BytesSet, IpRanges};

/// Fields Access rules read, appended after the device-profile fields.
pub const ACCESS_FIELDS: &[(&str, &str)] = &[
    ("identity.email.domain", "Bytes"),
    ("identity.idp.id", "Bytes"),
    ("identity.amr", "Array<Bytes>"),
    ("identity.auth_contexts", "Array<Bytes>"),
    ("identity.risk_score", "Bytes"),
    ("identity.github", "Array<Bytes>"),
    ("identity.saml", "Map<Array<Bytes>>"),
    ("identity.oidc", "Map<Array<Bytes>>"),
    ("request.ip", "Ip"),
    ("request.country", "Bytes"),
    ("request.certificate", "Bool"),
    ("request.certificate.common_name", "Bytes"),
    ("request.service_token", "Bool"),
    ("request.service_token.id", "Bytes"),
    ("request.linked_app_token.app_uid", "Bytes"),
    ("request.external_evaluation", "Map<Bool>"),
    // Never filled: an input that cannot be known offline (`config.md` §9).
    // Two-valued it reads nil; three-valued it is unknown.
    (UNKNOWN_FIELD, "Bool"),
];

/// The field of inputs that cannot be known offline.
pub const UNKNOWN_FIELD: &str = "unknown.input";

/// The unified scheme: the device scheme (same ids) plus `ACCESS_FIELDS`.
pub fn zero_trust_scheme() -> Scheme {
    let mut s = Scheme::device();
    for (name, ty) in ACCESS_FIELDS {
        if let Some(t) = Type::parse(ty) {
            let _ = s.add_field(name, t);
        }
    }
    s
}

/// Resolves what rules need from the configuration.
pub trait Resolve {
    /// The scheme list of a configuration list id, if it has the wanted kind.
    fn list(&self, id: &str) -> Option<crate::scheme::ListId>;
    /// The block of an already compiled group, by group id.
    fn group_block(&self, id: &str) -> Option<(u32, String)>;
}

/// Builds rule conditions against the unified scheme.
pub struct RuleCompiler<'s> {
    scheme: &'s Scheme,
    /// Labels are for explanations; Access rules are explained rule by rule, by
    /// their JSON, so the engine builds them without (a fifth of compile time).
    labels: bool,
    empty: crate::expr::label::Label,
}

impl<'s> RuleCompiler<'s> {
    /// Over `scheme` (from `zero_trust_scheme`).
    ///
    /// `labels`: give each atom its canonical text (for `Why` trees).
    pub fn new(scheme: &'s Scheme, labels: bool) -> RuleCompiler<'s> {
        RuleCompiler {
            scheme,
            labels,
            empty: crate::expr::label::Label::text(""),
        }
    }

    fn label(&self, text: impl FnOnce() -> String) -> crate::expr::label::Label {
        if self.labels {
            crate::expr::label::Label::text(text())
        } else {
            self.empty.clone()
        }
    }

    fn field(&self, name: &str) -> FieldId {
        // The unified scheme always has these names; a missing one would be a bug,
        // and reads as nil rather than panicking.
        self.scheme.field(name).unwrap_or_default()
    }

    fn eq(&self, field: &str, value: String) -> Cond {
        let label = self.label(|| format!("{field} == {}", quoted(&value)));
        atom(
            Val::Field(self.field(field)),
            AtomOp::Cmp(CmpOp::Eq, Scalar::Bytes(value.into_bytes().into())),
            label,
        )
    }

    fn is_true(&self, field: &str) -> Cond {
        atom(
            Val::Field(self.field(field)),
            AtomOp::IsTrue,
            self.label(|| field.to_string()),
        )
    }

    fn any_eq(&self, base: Val, base_text: &str, value: String) -> Cond {
        let label = self.label(|| format!("any({base_text}[*] == {})", quoted(&value)));
        let body = atom(
            Val::Elem(0),
            AtomOp::Cmp(CmpOp::Eq, Scalar::Bytes(value.into_bytes().into())),
            label.clone(),
        );
        Cond::Quant {
            quant: Quant {
                all: false,
                sources: vec![Source {
                    base,
                    steps: Box::new([PathStep::Each]),
                }],
                body: Box::new(body),
                nil_is_false: false,
            },
            label,
        }
    }

    fn any_field_eq(&self, field: &str, value: String) -> Cond {
        self.any_eq(Val::Field(self.field(field)), field, value)
    }

    /// `test` from the rule's identity provider. A membership test on an identity
    /// array goes first: it is a memo read (`index.rs`) and rarely true, while the
    /// provider comparison is shared by every rule of that provider and often true.
    fn idp(&self, r: &IdpRule, test: Cond) -> Cond {
        let idp = self.eq("identity.idp.id", r.idp.clone());
        if matches!(&test, Cond::Quant { quant, .. } if matches!(quant.sources.as_slice(), [s] if matches!(s.base, Val::Field(_))))
        {
            Cond::and(vec![test, idp])
        } else {
            Cond::and(vec![idp, test])
        }
    }

    /// The condition of one rule; `None` when it names an unknown list or group
    /// (reported by validation).
    pub fn rule(&self, rule: &Rule, resolve: &dyn Resolve) -> Option<Cond> {
        Some(match rule {
            Rule::Everyone => Cond::Const(true),
            Rule::Email(e) => self.eq("identity.email", e.to_ascii_lowercase()),
            Rule::EmailDomain(d) => self.eq("identity.email.domain", d.to_ascii_lowercase()),
            Rule::EmailList(id) => {
                let list = resolve.list(id)?;
                atom(
                    Val::Field(self.field("identity.email")),
                    AtomOp::InList(list),
                    self.label(|| format!("identity.email in ${id}")),
                )
            }
            Rule::Ip(net) => {
                let label = self.label(|| format!("request.ip in {{{net}}}"));
                atom(
                    Val::Field(self.field("request.ip")),
                    AtomOp::InIps(IpRanges::new([IpRanges::net_range(net)])),
                    label,
                )
            }
            Rule::IpList(id) => {
                let list = resolve.list(id)?;
                atom(
                    Val::Field(self.field("request.ip")),
                    AtomOp::InList(list),
                    self.label(|| format!("request.ip in ${id}")),
                )
            }
            Rule::Geo(c) => self.eq("request.country", c.to_ascii_uppercase()),
            Rule::Certificate => self.is_true("request.certificate"),
            Rule::CommonName(cn) => self.eq("request.certificate.common_name", cn.clone()),
            Rule::ServiceToken(t) => self.eq("request.service_token.id", t.clone()),
            Rule::AnyValidServiceToken => self.is_true("request.service_token"),
            Rule::AuthMethod(m) => self.any_field_eq("identity.amr", m.clone()),
            Rule::LoginMethod(id) => self.eq("identity.idp.id", id.clone()),
            Rule::Okta(r) => self.idp(
                r,
                self.any_field_eq("identity.groups.name", r.value.clone()),
            ),
            Rule::AzureAd(r) => {
                self.idp(r, self.any_field_eq("identity.groups.id", r.value.clone()))
            }
            Rule::Gsuite(r) => self.idp(
                r,
                self.any_field_eq("identity.groups.email", r.value.to_ascii_lowercase()),
            ),
            Rule::Github(r) => {
                let org = r.value.to_ascii_lowercase();
                let wanted = match &r.key {
                    Some(team) => format!("{org}/{}", team.to_ascii_lowercase()),
                    None => org,
                };
                self.idp(r, self.any_field_eq("identity.github", wanted))
            }
            Rule::Saml(r) | Rule::Oidc(r) => {
                let field = if matches!(rule, Rule::Saml(_)) {
                    "identity.saml"
                } else {
                    "identity.oidc"
                };
                let name = r.key.clone().unwrap_or_default();
                let base = Val::Key(
                    Box::new(Val::Field(self.field(field))),
                    name.as_bytes().into(),
                );
                let text = format!("{field}[{}]", quoted(&name));
                self.idp(r, self.any_eq(base, &text, r.value.clone()))
            }
            Rule::AuthContext(r) => self.idp(
                r,
                self.any_field_eq("identity.auth_contexts", r.value.clone()),
            ),
            Rule::DevicePosture(uid) => {
                self.any_field_eq("device_posture.checks.passed", uid.clone())
            }
            Rule::UserRiskScore(scores) => {
                let label = self.label(|| {
                    format!(
                        "identity.risk_score in {{{}}}",
                        scores
                            .iter()
                            .map(|s| quoted(s))
                            .collect::<Vec<_>>()
                            .join(" ")
                    )
                });
                let set = BytesSet::new(scores.iter().map(|s| s.as_bytes()));
                atom(
                    Val::Field(self.field("identity.risk_score")),
                    AtomOp::InBytes(set),
                    label,
                )
            }
            Rule::ExternalEvaluation(url) => {
                let lhs = Val::Key(
                    Box::new(Val::Field(self.field("request.external_evaluation"))),
                    url.as_bytes().into(),
                );
                atom(
                    lhs,
                    AtomOp::IsTrue,
                    self.label(|| format!("request.external_evaluation[{}]", quoted(url))),
                )
            }
            Rule::LinkedAppToken(uid) => self.eq("request.linked_app_token.app_uid", uid.clone()),
            Rule::AccountMember | Rule::AfterApply(_) => self.is_true(UNKNOWN_FIELD),
            Rule::Group(id) => {
                let (block, name) = resolve.group_block(id)?;
                Cond::Ref {
                    block,
                    label: self.label(|| format!("member of group `{name}`")),
                }
            }
        })
    }

    /// `all(require) and not any(exclude) and any(include)`: the meaning of
    /// `any(include) and all(require) and not any(exclude)`, in the order that
    /// usually decides soonest. Requirements are few and selective (a country, a
    /// posture check); includes are many. Evaluation has no effects, so the order
    /// changes only the time, and explanations evaluate each rule on its own.
    pub fn group(&self, include: Vec<Cond>, require: Vec<Cond>, exclude: Vec<Cond>) -> Cond {
        Cond::and(vec![
            Cond::and(require),
            Cond::negate(Cond::or(exclude)),
            Cond::or(include),
        ])
    }
}

fn atom(lhs: Val, op: AtomOp, label: crate::expr::label::Label) -> Cond {
    Cond::Atom {
        atom: Atom { lhs, op },
        label,
    }
}

fn quoted(s: &str) -> String {
    let mut out = String::new();
    let _ = crate::expr::ast::write_quoted(&mut out, s.as_bytes());
    out
}
