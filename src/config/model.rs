//! The configuration as records: every resource kind `config.md` defines, in
//! input order, each with its file and JSON path, and `Problem`, what reading
//! and validation report.

use crate::diag::Diagnostic;
use serde::Serialize;

/// How bad a problem is: errors stop evaluation, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Evaluation cannot go on.
    Error,
    /// Worth a look; evaluation goes on.
    Warning,
}

/// One problem in a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// The file it is in.
    pub file: String,
    /// `$.access_groups[3].include[0].email_domain.domain`
    pub path: String,
    /// One lowercase line.
    pub message: String,
    /// For an expression: its text and the expression diagnostic (rendered with carets).
    pub expr: Option<(String, Diagnostic)>,
    /// Line and column in the file (1-based), when known (malformed JSON).
    pub position: Option<(usize, usize)>,
}

impl Problem {
    /// The text rendering: caret form for expressions, `file: path: message` otherwise.
    pub fn render(&self) -> String {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match &self.expr {
            Some((src, d)) => {
                let origin = format!("{}: {}", self.file, self.path);
                let text = d.render(src, Some(&origin));
                // The expression renderer says "error:"; a warning keeps its own label.
                match self.severity {
                    Severity::Error => text,
                    Severity::Warning => text.replacen("error:", "warning:", 1),
                }
            }
            None => match self.position {
                Some((line, column)) => format!(
                    "{label}: {}\n --> {}:{line}:{column}: {}\n",
                    self.message, self.file, self.path
                ),
                None => format!(
                    "{label}: {}\n --> {}: {}\n",
                    self.message, self.file, self.path
                ),
            },
        }
    }

    /// The JSON form: severity, file, path, message, and the expression error's fields.
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::json!({
            "severity": self.severity, "file": self.file, "path": self.path, "message": self.message,
        });
        if let (Some((line, column)), Some(obj)) = (self.position, v.as_object_mut()) {
            obj.insert("line".into(), line.into());
            obj.insert("column".into(), column.into());
        }
        if let (Some((src, d)), Some(obj)) = (&self.expr, v.as_object_mut()) {
            obj.insert("expression".into(), src.clone().into());
            obj.insert("error".into(), d.to_json(src));
        }
        v
    }
}

/// An Access group.
#[derive(Debug, Clone)]
pub struct Group {
    /// `id`, or the name when the input has no id.
    pub id: String,
    /// `name`
    pub name: String,
    /// Any of these.
    pub include: Vec<RuleAt>,
    /// All of these.
    pub require: Vec<RuleAt>,
    /// None of these.
    pub exclude: Vec<RuleAt>,
    /// `$.access_groups[3]`
    pub path: String,
    /// The file it came from.
    pub file: String,
}

/// A rule with where it was written and its JSON as written (for explanations).
#[derive(Debug, Clone)]
pub struct RuleAt {
    /// The rule.
    pub rule: Rule,
    /// `$.access_groups[3].include[0]`
    pub path: String,
    /// The rule object as written.
    pub json: crate::json::tree::Value,
}

/// A Gateway list.
#[derive(Debug, Clone)]
pub struct List {
    /// `id`
    pub id: String,
    /// `name`
    pub name: String,
    /// `EMAIL`, `IP`, `SERIAL`, …
    pub kind: String,
    /// Item values (EMAIL items lowercased).
    pub items: Vec<String>,
    /// `count`, as the API reports it: how many items the list has, which may be
    /// more than `items` holds (`GET …/gateway/lists` returns no items).
    pub count: Option<usize>,
    /// `$.lists[0]`
    pub path: String,
    /// The file it came from.
    pub file: String,
}

impl List {
    /// Some of the list's items are not known: `count` says more than `items` holds.
    pub fn is_incomplete(&self) -> bool {
        self.count.is_some_and(|c| c > self.items.len())
    }
}

/// A precedence as it orders profiles and policies: `-0` is `0`, as `==` has
/// it, so that equal precedences keep the input's order (`config.md`);
/// `f64::total_cmp`, which sorts them, would put `-0` first.
pub(crate) fn precedence_order(x: f64) -> f64 {
    if x == 0.0 { 0.0 } else { x }
}

/// A device settings profile or an IP profile.
#[derive(Debug, Clone)]
pub struct Profile {
    /// `policy_id` or `id` (`None` for the implicit default).
    pub id: Option<String>,
    /// `name`
    pub name: String,
    /// `precedence` (`None` for the default profile).
    pub precedence: Option<f64>,
    /// `enabled` (default true).
    pub enabled: bool,
    /// `match` (`None` for the default profile).
    pub expr: Option<String>,
    /// The default profile.
    pub default: bool,
    /// Every other field: the settings returned with the decision.
    pub settings: serde_json::Map<String, serde_json::Value>,
    /// `subnet_id` of an IP profile.
    pub subnet_id: Option<String>,
    /// `$.device_profiles[2]`
    pub path: String,
    /// The file it came from.
    pub file: String,
}

/// A device posture rule.
#[derive(Debug, Clone)]
pub struct PostureRule {
    /// `id`
    pub id: String,
    /// `name`
    pub name: String,
    /// `type`
    pub kind: String,
    /// `input`
    pub input: serde_json::Value,
    /// Platforms of `match[*].platform`; empty means every platform.
    pub platforms: Vec<String>,
    /// `expiration`: how long a result stays good.
    pub expiration: Option<std::time::Duration>,
    /// `$.posture_rules[0]`
    pub path: String,
    /// The file it came from.
    pub file: String,
}

/// A whole configuration, in input order.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// `access_groups`
    pub groups: Vec<Group>,
    /// `lists`
    pub lists: Vec<List>,
    /// `device_profiles`, the default included if present
    pub device_profiles: Vec<Profile>,
    /// `ip_profiles`
    pub ip_profiles: Vec<Profile>,
    /// `posture_rules`
    pub posture_rules: Vec<PostureRule>,
    /// `access_policies`: reusable Access policies.
    pub policies: Vec<Policy>,
    /// `access_applications`
    pub applications: Vec<Application>,
    /// `identity_providers`
    pub identity_providers: Vec<IdentityProvider>,
    /// `device_managed_networks`
    pub managed_networks: Vec<ManagedNetwork>,
    /// `access_service_tokens`
    pub service_tokens: Vec<ServiceToken>,
    /// `organization`: its fields as given (`config.md` §7).
    pub organization: Option<serde_json::Map<String, serde_json::Value>>,
    /// The file the organization came from.
    pub organization_file: String,
    /// Which kinds were present at all (a key of the decision is omitted otherwise).
    pub present: Present,
}

/// Which resource kinds the configuration has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Present {
    /// `access_groups`
    pub groups: bool,
    /// `device_profiles`
    pub device_profiles: bool,
    /// `ip_profiles`
    pub ip_profiles: bool,
    /// `posture_rules`
    pub posture_rules: bool,
    /// `identity_providers`
    pub identity_providers: bool,
    /// `device_managed_networks`
    pub managed_networks: bool,
    /// `access_applications`
    pub applications: bool,
}

/// The resource kinds of a bundle, in the order they are read.
pub const KINDS: &[&str] = &[
    "lists",
    "posture_rules",
    "identity_providers",
    "device_managed_networks",
    "access_service_tokens",
    "organization",
    "access_groups",
    "device_profiles",
    "device_default_profile",
    "ip_profiles",
    "access_policies",
    "access_applications",
];

/// Keys beside the kinds: what a list's or a profile's own endpoint returns,
/// by list or profile id (`default` for the default profile), `config.md` §1.
pub const ATTACHED: &[&str] = &[
    "list_items",
    "split_tunnel_include",
    "split_tunnel_exclude",
    "fallback_domains",
];

/// What an Access policy decides when it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyDecision {
    /// `allow`
    Allow,
    /// `deny`
    Deny,
    /// `bypass`: no identity, no login.
    Bypass,
    /// `non_identity`: Service Auth.
    NonIdentity,
}

impl PolicyDecision {
    /// The API's word.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyDecision::Allow => "allow",
            PolicyDecision::Deny => "deny",
            PolicyDecision::Bypass => "bypass",
            PolicyDecision::NonIdentity => "non_identity",
        }
    }
}

/// An Access policy: reusable (`access_policies`) or inline in an application.
#[derive(Debug, Clone)]
pub struct Policy {
    /// `id` (an inline policy may have none).
    pub id: Option<String>,
    /// `name`
    pub name: String,
    /// `decision`
    pub decision: PolicyDecision,
    /// `precedence`, when given.
    pub precedence: Option<f64>,
    /// `include`, as a group's.
    pub include: Vec<RuleAt>,
    /// `require`
    pub require: Vec<RuleAt>,
    /// `exclude`
    pub exclude: Vec<RuleAt>,
    /// Every other field (`approval_required`, `session_duration`, ...), as given.
    pub settings: serde_json::Map<String, serde_json::Value>,
    /// `$.access_policies[0]`
    pub path: String,
    /// The file it came from.
    pub file: String,
}

/// One entry of an application's `policies`, as written; which policy it is
/// (a link to a reusable one, or the application's own) is resolved against
/// `access_policies` once everything is read (`config.md` §7).
#[derive(Debug, Clone)]
pub struct AppPolicy {
    /// The entry's `id` (a bare string entry is an id).
    pub id: Option<String>,
    /// The entry's `precedence`.
    pub precedence: Option<f64>,
    /// Per-application overrides a link may carry.
    pub overrides: serde_json::Map<String, serde_json::Value>,
    /// The policy body the entry holds (inline, or what `GET …/access/apps`
    /// embeds beside the id).
    pub body: Option<Policy>,
    /// `$.access_applications[0].policies[1]`
    pub path: String,
    /// After loading: the index in `Config::policies` of the reusable policy
    /// this entry links to; `None` for the application's own policy (`body`).
    pub reusable: Option<usize>,
}

/// An Access application.
#[derive(Debug, Clone)]
pub struct Application {
    /// `id` (or `uid`).
    pub id: Option<String>,
    /// `name`
    pub name: String,
    /// `type`
    pub kind: String,
    /// `policies`, in input order.
    pub policies: Vec<AppPolicy>,
    /// What it protects: `destinations`, or with no public one, `domain` and
    /// `self_hosted_domains`.
    pub destinations: Vec<Destination>,
    /// `allowed_idps`: when given, the identity providers an `allow` policy
    /// accepts.
    pub allowed_idps: Option<Vec<String>>,
    /// `session_duration`
    pub session_duration: Option<String>,
    /// Every other field (`destinations`, `domain`, `allowed_idps`, ...), as given.
    pub settings: serde_json::Map<String, serde_json::Value>,
    /// `$.access_applications[0]`
    pub path: String,
    /// The file it came from.
    pub file: String,
}

impl Application {
    /// Whether `--app NAME|ID` names it: its name in any case, or its id.
    pub fn is_named(&self, name_or_id: &str) -> bool {
        self.name.eq_ignore_ascii_case(name_or_id) || self.id.as_deref() == Some(name_or_id)
    }
}

/// One destination of an application, with where it was written.
#[derive(Debug, Clone)]
pub struct Destination {
    /// `$.access_applications[0].destinations[1]`, or `….domain`.
    pub path: String,
    /// What it covers.
    pub target: crate::route::Target,
}

/// An identity provider (`GET …/access/identity_providers`).
#[derive(Debug, Clone)]
pub struct IdentityProvider {
    /// `id`
    pub id: String,
    /// `name`
    pub name: String,
    /// `type` (`okta`, `azureAD`, `google-apps`, `github`, `saml`, `oidc`, ...).
    pub kind: String,
    /// `$.identity_providers[0]`
    pub path: String,
    /// The file it came from.
    pub file: String,
}

/// A managed network (`GET …/devices/networks`).
#[derive(Debug, Clone)]
pub struct ManagedNetwork {
    /// `network_id`
    pub id: String,
    /// `name`: what `network == "…"` compares with.
    pub name: String,
    /// `type` (`tls`).
    pub kind: String,
    /// `$.device_managed_networks[0]`
    pub path: String,
}

/// An Access service token (`GET …/access/service_tokens`).
#[derive(Debug, Clone)]
pub struct ServiceToken {
    /// `id`: what `service_token` rules name.
    pub id: String,
    /// `client_id`: what Cloudflare's identity records carry.
    pub client_id: Option<String>,
    /// `name`
    pub name: String,
    /// `$.access_service_tokens[0]`
    pub path: String,
}

/// An identity-provider group rule: the provider must match, then the group test.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdpRule {
    /// `identity_provider_id`
    pub idp: String,
    /// The value tested (group name, id, email, org, attribute value…).
    pub value: String,
    /// The second key where the kind has one (SAML attribute name, OIDC claim name, GitHub team).
    pub key: Option<String>,
}

/// An Access rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Rule {
    /// `everyone`
    Everyone,
    /// `email`
    Email(String),
    /// `email_domain`
    EmailDomain(String),
    /// `email_list`: list id
    EmailList(String),
    /// `ip`: address or CIDR as written
    Ip(ipnet::IpNet),
    /// `ip_list`: list id
    IpList(String),
    /// `geo`: country code
    Geo(String),
    /// `certificate`
    Certificate,
    /// `common_name`
    CommonName(String),
    /// `service_token`: token id
    ServiceToken(String),
    /// `any_valid_service_token`
    AnyValidServiceToken,
    /// `auth_method`
    AuthMethod(String),
    /// `login_method`: IdP id
    LoginMethod(String),
    /// `okta`: group name
    Okta(IdpRule),
    /// `azureAD`: group id
    AzureAd(IdpRule),
    /// `gsuite`: group email
    Gsuite(IdpRule),
    /// `github-organization`: org, optional team in `key`
    Github(IdpRule),
    /// `saml`: attribute name in `key`, value
    Saml(IdpRule),
    /// `oidc`: claim name in `key`, value
    Oidc(IdpRule),
    /// `auth_context`: `ac_id`
    AuthContext(IdpRule),
    /// `device_posture`: posture rule id
    DevicePosture(String),
    /// `user_risk_score`
    UserRiskScore(Vec<String>),
    /// `external_evaluation`: evaluate URL
    ExternalEvaluation(String),
    /// `linked_app_token`: app uid
    LinkedAppToken(String),
    /// `cloudflare_account_member`: membership of a Cloudflare account, which
    /// cannot be known offline; always unknown (`config.md` §9).
    AccountMember,
    /// `after_apply`: a Terraform value known only after apply (the
    /// resource address and attribute); always unknown (`config.md` §9).
    AfterApply(String),
    /// `group`: group id
    Group(String),
}
