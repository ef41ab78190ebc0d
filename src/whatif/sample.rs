//! Config + seed -> a synthetic population: contexts drawn from the values the
//! configuration itself mentions (rule values, list items, literals of profile
//! expressions) mixed with values it does not, so that `sample | diff` exercises
//! every rule both ways. Deterministic for a seed (ChaCha8, stable across versions).

use crate::config::{Config, Rule};
use crate::expr::ast::{Base, Expr, ExprKind, LitKind};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Values seen in the configuration, by what they are.
#[derive(Debug, Default)]
struct Pools {
    by: BTreeMap<&'static str, Vec<String>>,
}

impl Pools {
    fn add(&mut self, key: &'static str, v: impl Into<String>) {
        let v = v.into();
        let pool = self.by.entry(key).or_default();
        if !pool.contains(&v) {
            pool.push(v);
        }
    }

    fn get(&self, key: &str) -> &[String] {
        self.by.get(key).map_or(&[], Vec::as_slice)
    }
}

/// Field of a profile expression -> the pool its string literals go to.
fn pool_of_field(field: &str) -> Option<&'static str> {
    Some(match field {
        "identity.email" => "email",
        "identity.groups.name" => "group_name",
        "identity.groups.id" => "group_id",
        "identity.groups.email" => "group_email",
        "os.name" => "os",
        "os.version" => "os_version",
        "network" => "network",
        "identity.service_token_uuid" => "service_token",
        "device_posture.checks.passed" | "device_posture.checks.failed" => "posture",
        _ => return None,
    })
}

fn literals(e: &Expr, pools: &mut Pools) {
    e.walk(&mut |e| {
        if let ExprKind::Compare { lhs, rhs, .. } = &e.kind
            && let Base::Field(f) = &lhs.base
            && let Some(pool) = pool_of_field(&f.name)
        {
            for l in rhs.literals() {
                if let LitKind::Str(b) = &l.kind {
                    pools.add(pool, String::from_utf8_lossy(b).into_owned());
                }
            }
        }
    });
}

fn collect(config: &Config) -> Pools {
    let mut p = Pools::default();
    // Groups' rules and policies' (reusable and inline) alike.
    let inline = config
        .applications
        .iter()
        .flat_map(|a| a.policies.iter().filter_map(|e| e.body.as_ref()));
    let policies = config.policies.iter().chain(inline);
    let rules = config
        .groups
        .iter()
        .flat_map(|g| g.include.iter().chain(&g.require).chain(&g.exclude))
        .chain(policies.flat_map(|p| p.include.iter().chain(&p.require).chain(&p.exclude)));
    for app in &config.applications {
        for idp in app.allowed_idps.iter().flatten() {
            p.add("idp", idp.clone());
        }
        if app.kind == "bookmark" {
            continue;
        }
        for d in &app.destinations {
            if let crate::route::Target::Public(dest) = &d.target {
                // An instance of the pattern, and a path under it.
                let url = dest.canonical().replace('*', "x");
                p.add("url", format!("https://{url}"));
                let under = if url.ends_with('/') { "more" } else { "/more" };
                p.add("url", format!("https://{url}{under}"));
            }
        }
    }
    {
        for r in rules {
            match &r.rule {
                Rule::Email(e) => p.add("email", e.to_ascii_lowercase()),
                Rule::EmailDomain(d) => p.add("domain", d.to_ascii_lowercase()),
                Rule::Ip(net) => {
                    p.add("ip", net.network().to_string());
                    p.add("ip", net.broadcast().to_string());
                }
                Rule::Geo(c) => p.add("country", c.to_ascii_uppercase()),
                Rule::CommonName(c) => p.add("common_name", c.clone()),
                Rule::ServiceToken(t) => p.add("service_token", t.clone()),
                Rule::AuthMethod(m) => p.add("amr", m.clone()),
                Rule::LoginMethod(id) => p.add("idp", id.clone()),
                Rule::Okta(r) => {
                    p.add("idp", r.idp.clone());
                    p.add("group_name", r.value.clone());
                }
                Rule::AzureAd(r) => {
                    p.add("idp", r.idp.clone());
                    p.add("group_id", r.value.clone());
                }
                Rule::Gsuite(r) => {
                    p.add("idp", r.idp.clone());
                    p.add("group_email", r.value.to_ascii_lowercase());
                }
                Rule::Github(r) => {
                    p.add("idp", r.idp.clone());
                    p.add(
                        "github",
                        format!("{}/{}", r.value, r.key.clone().unwrap_or_default()),
                    );
                }
                Rule::Saml(r) => {
                    p.add("idp", r.idp.clone());
                    p.add(
                        "saml",
                        format!("{}={}", r.key.clone().unwrap_or_default(), r.value),
                    );
                }
                Rule::Oidc(r) => {
                    p.add("idp", r.idp.clone());
                    p.add(
                        "oidc",
                        format!("{}={}", r.key.clone().unwrap_or_default(), r.value),
                    );
                }
                Rule::AuthContext(r) => {
                    p.add("idp", r.idp.clone());
                    p.add("auth_context", r.value.clone());
                }
                Rule::UserRiskScore(s) => s.iter().for_each(|v| p.add("risk", v.clone())),
                Rule::ExternalEvaluation(u) => p.add("external", u.clone()),
                Rule::LinkedAppToken(u) => p.add("app", u.clone()),
                Rule::AccountMember | Rule::AfterApply(_) => {}
                Rule::DevicePosture(id) => p.add("posture", id.clone()),
                Rule::Everyone
                | Rule::EmailList(_)
                | Rule::IpList(_)
                | Rule::Certificate
                | Rule::AnyValidServiceToken
                | Rule::Group(_) => {}
            }
        }
    }
    for l in &config.lists {
        for item in &l.items {
            match l.kind.as_str() {
                "EMAIL" => p.add("email", item.clone()),
                "IP" => p.add("ip", item.split('/').next().unwrap_or(item).to_string()),
                "SERIAL" => p.add("serial", item.clone()),
                _ => {}
            }
        }
    }
    for r in &config.posture_rules {
        p.add("posture", r.id.clone());
        if !crate::engine::posture::is_computed(&r.kind) {
            p.add("integration", r.id.clone());
        }
        if let Some(v) = r.input.get("version").and_then(Value::as_str) {
            p.add("os_version", v.to_string());
        }
        if let Some(d) = r.input.get("domain").and_then(Value::as_str) {
            p.add("domain_joined", d.to_string());
        }
    }
    for prof in config.device_profiles.iter().chain(&config.ip_profiles) {
        if let Some(e) = prof
            .expr
            .as_deref()
            .and_then(|src| crate::expr::parse::parse(src).ok())
        {
            literals(&e, &mut p);
        }
    }
    for os in crate::subject::OS_NAMES {
        p.add("os", *os);
    }
    p
}

struct Draw<'a> {
    rng: &'a mut ChaCha8Rng,
    pools: &'a Pools,
}

impl Draw<'_> {
    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p)
    }

    /// A value from the pool (mostly), or one the configuration does not mention.
    fn pick(&mut self, pool: &str, unmentioned: &str) -> String {
        let items = self.pools.get(pool);
        if !items.is_empty() && self.chance(0.8) {
            let i = self.rng.gen_range(0..items.len());
            return items.get(i).cloned().unwrap_or_default();
        }
        let n = self.rng.gen_range(0..1000);
        match unmentioned.split_once('@') {
            Some((user, domain)) => format!("{user}{n}@{domain}"),
            None => format!("{unmentioned}-{n}"),
        }
    }

    fn some(&mut self, pool: &str, unmentioned: &str, max: usize) -> Vec<String> {
        let n = self.rng.gen_range(0..=max);
        let mut out: Vec<String> = (0..n).map(|_| self.pick(pool, unmentioned)).collect();
        out.dedup();
        out
    }
}

fn context(d: &mut Draw<'_>, n: usize) -> Value {
    let mut identity = Map::new();
    if d.chance(0.95) {
        let email = if d.chance(0.5) && !d.pools.get("email").is_empty() {
            d.pick("email", "nobody")
        } else {
            let domain = d.pick("domain", "example");
            let domain = if domain.contains('.') {
                domain
            } else {
                format!("{domain}.net")
            };
            format!("user{n}@{domain}")
        };
        identity.insert("email".into(), email.into());
    }
    if d.chance(0.8) {
        identity.insert("idp".into(), json!({"id": d.pick("idp", "idp")}));
    }
    let groups: Vec<Value> = (0..d.rng.gen_range(0..4))
        .map(|_| json!({"id": d.pick("group_id", "g"), "name": d.pick("group_name", "team"), "email": d.pick("group_email", "list@example.net")}))
        .collect();
    identity.insert("groups".into(), groups.into());
    let pairs = |d: &mut Draw<'_>, pool: &str| -> Value {
        let mut m = Map::new();
        for kv in d.some(pool, "attr=x", 2) {
            let (k, v) = kv.split_once('=').unwrap_or((&kv, ""));
            m.insert(k.to_string(), json!([v]));
        }
        Value::Object(m)
    };
    identity.insert("saml_attributes".into(), pairs(d, "saml"));
    identity.insert("oidc_claims".into(), pairs(d, "oidc"));
    let github: Vec<Value> = d
        .some("github", "org/team", 2)
        .into_iter()
        .map(|ot| {
            let (org, team) = ot.split_once('/').unwrap_or((&ot, ""));
            json!({"org": org, "teams": if team.is_empty() { vec![] } else { vec![team.to_string()] }})
        })
        .collect();
    identity.insert("github".into(), github.into());
    identity.insert("amr".into(), d.some("amr", "pwd", 2).into());
    identity.insert(
        "auth_contexts".into(),
        d.some("auth_context", "c", 1).into(),
    );
    if d.chance(0.6) {
        let risks = ["low", "medium", "high", "unscored"];
        identity.insert(
            "risk_score".into(),
            risks
                .get(d.rng.gen_range(0..risks.len()))
                .copied()
                .unwrap_or("low")
                .into(),
        );
    }
    let mut device = Map::new();
    if d.chance(0.9) {
        device.insert(
            "os".into(),
            json!({"name": d.pick("os", "plan9"), "version": d.pick("os_version", "1.0")}),
        );
    }
    if d.chance(0.5) {
        device.insert("network".into(), d.pick("network", "Guest WiFi").into());
    }
    if d.chance(0.5) {
        device.insert("serial_number".into(), d.pick("serial", "SN").into());
    }
    // Integration results (CrowdStrike, Intune, ...) can only come from the
    // context; a real population has them for most devices, so most draws
    // give each one, passed or failed, and a few leave it unknown.
    let (mut passed, mut failed) = (Vec::new(), Vec::new());
    let pools = d.pools;
    for id in pools.get("integration") {
        if d.chance(0.9) {
            if d.chance(0.7) {
                passed.push(id.clone())
            } else {
                failed.push(id.clone())
            }
        }
    }
    if d.chance(0.3) {
        passed.extend(d.some("posture", "posture", 2));
    }
    if !passed.is_empty() || !failed.is_empty() {
        device.insert(
            "posture".into(),
            json!({"passed": passed, "failed": failed}),
        );
    }
    let mut facts = Map::new();
    for fact in ["firewall", "disk_encrypted", "warp", "gateway"] {
        // Mostly present: a missing fact makes the rules on it unknown.
        if d.chance(0.9) {
            facts.insert(fact.into(), d.chance(0.6).into());
        }
    }
    if d.chance(0.5) {
        facts.insert("domain".into(), d.pick("domain_joined", "workgroup").into());
    }
    device.insert("facts".into(), Value::Object(facts));
    let mut request = Map::new();
    if d.chance(0.9) {
        let ip = if d.chance(0.7) {
            d.pick("ip", "x")
        } else {
            String::new()
        };
        let ip = if ip.parse::<std::net::IpAddr>().is_ok() {
            ip
        } else {
            format!("198.51.100.{}", d.rng.gen_range(1..255))
        };
        request.insert("ip".into(), ip.into());
    }
    if d.chance(0.9) {
        let c = d.pick("country", "ZZ");
        request.insert(
            "country".into(),
            if c.len() == 2 { c } else { "US".into() }.into(),
        );
    }
    if d.chance(0.2) {
        request.insert(
            "certificate".into(),
            json!({"common_name": d.pick("common_name", "host")}),
        );
    }
    if d.chance(0.15) {
        request.insert(
            "service_token".into(),
            json!({"id": d.pick("service_token", "token")}),
        );
    }
    if d.chance(0.1) {
        request.insert(
            "linked_app_token".into(),
            json!({"app_uid": d.pick("app", "app")}),
        );
    }
    let mut ext = Map::new();
    for url in d.some("external", "https://eval.example.net", 1) {
        ext.insert(url, d.chance(0.5).into());
    }
    request.insert("external_evaluation".into(), Value::Object(ext));
    // Requests for the applications' own destinations, and for some no
    // application covers.
    if !d.pools.get("url").is_empty() && d.chance(0.8) {
        let url = d.pick("url", "https://unprotected.example.net/page");
        request.insert("url".into(), url.into());
    }
    json!({"id": format!("sample-{n}"), "identity": identity, "device": device, "request": request})
}

/// A synthetic population: an iterator of contexts, the same for the same seed.
pub struct Sampler {
    pools: Pools,
    rng: ChaCha8Rng,
    next: usize,
    count: usize,
}

/// `count` contexts for `config`, the same for the same seed.
///
/// ```
/// # use zt_eval::{config, whatif::sample};
/// let (cfg, _) = config::load_str(r#"{"access_groups": [{"name": "PT", "include": [{"geo": {"country_code": "PT"}}]}]}"#, "c.json");
/// let a: Vec<_> = sample(&cfg, 5, 7).collect();
/// assert_eq!(a.len(), 5);
/// assert_eq!(a, sample(&cfg, 5, 7).collect::<Vec<_>>());
/// ```
pub fn sample(config: &Config, count: usize, seed: u64) -> Sampler {
    Sampler {
        pools: collect(config),
        rng: ChaCha8Rng::seed_from_u64(seed),
        next: 0,
        count,
    }
}

impl Iterator for Sampler {
    type Item = Value;

    fn next(&mut self) -> Option<Value> {
        if self.next >= self.count {
            return None;
        }
        let n = self.next;
        self.next += 1;
        let mut d = Draw {
            rng: &mut self.rng,
            pools: &self.pools,
        };
        Some(context(&mut d, n))
    }
}
