//! Structure-aware: random configurations (groups with every common rule kind,
//! nested references, lists that may be incomplete, posture rules, device
//! profiles) and contexts, built with `arbitrary` from small pools so rules hit;
//! the compiled engine must agree with the reference reading of config.md
//! (`zt_eval::oracle::config`), unknowns included.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use zt_eval::oracle::config as reference;
use zt_eval::{Engine, Subject};

const EMAILS: &[&str] = &["a@acme.com", "b@acme.com", "c@partner.com"];
const DOMAINS: &[&str] = &["acme.com", "partner.com"];
const COUNTRIES: &[&str] = &["PT", "US"];
const POSTURE: &[&str] = &["p-fw", "p-disk", "p-cs"];
const EXPRS: &[&str] = &[
    "os.name == \"mac\"",
    "identity.email in $l-0",
    "any(identity.groups.name[*] == \"eng\")",
    "not any(device_posture.checks.failed[*] == \"p-cs\")",
    "any(device_posture.checks.passed[*] in {\"p-fw\" \"p-disk\"}) and os.name != \"linux\"",
    "identity.email matches \"@acme\\\\.com$\"",
];

#[derive(Arbitrary, Debug)]
enum R {
    Everyone,
    Email(u8),
    Domain(u8),
    List,
    Geo(u8),
    Posture(u8),
    Group(u8),
    Okta,
    AccountMember,
}

#[derive(Arbitrary, Debug)]
struct G {
    include: Vec<R>,
    require: Vec<R>,
    exclude: Vec<R>,
}

#[derive(Arbitrary, Debug)]
struct Ctx {
    email: Option<u8>,
    country: Option<u8>,
    os: Option<bool>,
    firewall: Option<bool>,
    disk: Option<bool>,
    passed: Vec<u8>,
    failed: Vec<u8>,
    eng: bool,
}

#[derive(Arbitrary, Debug)]
struct Case {
    groups: Vec<G>,
    profiles: Vec<(u8, u8)>,
    list_complete: bool,
    contexts: Vec<Ctx>,
}

fn pick<'a>(pool: &[&'a str], i: u8) -> &'a str {
    pool.get(usize::from(i) % pool.len())
        .copied()
        .unwrap_or_default()
}

fn rule(r: &R, n_groups: usize) -> Value {
    match r {
        R::Everyone => json!({"everyone": {}}),
        R::Email(i) => json!({"email": {"email": pick(EMAILS, *i)}}),
        R::Domain(i) => json!({"email_domain": {"domain": pick(DOMAINS, *i)}}),
        R::List => json!({"email_list": {"id": "l-0"}}),
        R::Geo(i) => json!({"geo": {"country_code": pick(COUNTRIES, *i)}}),
        R::Posture(i) => json!({"device_posture": {"integration_uid": pick(POSTURE, *i)}}),
        R::Group(i) => json!({"group": {"id": format!("g-{}", usize::from(*i) % n_groups.max(1))}}),
        R::Okta => json!({"okta": {"name": "eng", "identity_provider_id": "idp"}}),
        R::AccountMember => json!({"cloudflare_account_member": {}}),
    }
}

fn bundle(c: &Case) -> Value {
    let n = c.groups.len().min(6);
    let groups: Vec<Value> = c
        .groups
        .iter()
        .take(6)
        .enumerate()
        .map(|(i, g)| {
            let rules = |rs: &Vec<R>| rs.iter().take(3).map(|r| rule(r, n)).collect::<Vec<_>>();
            json!({"id": format!("g-{i}"), "name": format!("G{i}"),
                   "include": rules(&g.include), "require": rules(&g.require), "exclude": rules(&g.exclude)})
        })
        .collect();
    let profiles: Vec<Value> = c
        .profiles
        .iter()
        .take(4)
        .enumerate()
        .map(|(i, (e, p))| {
            json!({"policy_id": format!("d-{i}"), "name": format!("D{i}"),
                                  "precedence": u32::from(*p % 4), "match": pick(EXPRS, *e)})
        })
        .collect();
    let count = if c.list_complete { 2 } else { 3 };
    json!({
        "lists": [{"id": "l-0", "name": "L", "type": "EMAIL", "count": count, "items": ["a@acme.com", "c@partner.com"]}],
        "posture_rules": [
            {"id": "p-fw", "name": "Firewall", "type": "firewall", "input": {"enabled": true}},
            {"id": "p-disk", "name": "Disk", "type": "disk_encryption", "input": {"requireAll": true}},
            {"id": "p-cs", "name": "CrowdStrike", "type": "crowdstrike_s2s", "input": {"connection_id": "x", "overall": 70, "operator": ">="}}
        ],
        "access_groups": groups,
        "device_profiles": profiles,
    })
}

fn context(c: &Ctx) -> Value {
    let mut identity = serde_json::Map::new();
    if let Some(i) = c.email {
        identity.insert("email".into(), pick(EMAILS, i).into());
    }
    if c.eng {
        identity.insert("groups".into(), json!([{"name": "eng"}]));
        identity.insert("idp".into(), json!({"id": "idp"}));
    }
    let mut device = serde_json::Map::new();
    if let Some(mac) = c.os {
        device.insert(
            "os".into(),
            json!({"name": if mac { "mac" } else { "linux" }, "version": "14.0"}),
        );
    }
    let mut facts = serde_json::Map::new();
    if let Some(f) = c.firewall {
        facts.insert("firewall".into(), f.into());
    }
    if let Some(d) = c.disk {
        facts.insert("disk_encrypted".into(), d.into());
    }
    device.insert("facts".into(), Value::Object(facts));
    let passed: Vec<&str> = c.passed.iter().take(2).map(|i| pick(POSTURE, *i)).collect();
    let failed: Vec<&str> = c
        .failed
        .iter()
        .take(2)
        .map(|i| pick(POSTURE, *i))
        .filter(|p| !passed.contains(p))
        .collect();
    if !passed.is_empty() || !failed.is_empty() {
        device.insert(
            "posture".into(),
            json!({"passed": passed, "failed": failed}),
        );
    }
    let mut request = serde_json::Map::new();
    if let Some(i) = c.country {
        request.insert("country".into(), pick(COUNTRIES, i).into());
    }
    json!({"identity": identity, "device": device, "request": request})
}

fuzz_target!(|case: Case| {
    let text = bundle(&case).to_string();
    let Ok(engine) = Engine::from_json(&text, "fuzz") else {
        return;
    };
    let (config, _) = zt_eval::config::load_str(&text, "fuzz");
    let mut scratch = engine.scratch();
    for c in case.contexts.iter().take(4) {
        let ctx = context(c);
        let decision = engine
            .decide(&ctx, &mut scratch, false)
            .unwrap_or_else(|e| panic!("{ctx}: {e}"));
        let (subject, _) = Subject::from_json(&ctx).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        let want = reference::decide(&config, &subject);
        assert_eq!(
            reference::view_of(&decision),
            want,
            "\nconfig: {text}\ncontext: {ctx}"
        );
    }
});
