//! Configuration decisions: the engine's compiled program against the
//! configuration reference (`reference_config.rs`) on one generated configuration,
//! modelled on Cedar's benchmarks: 200 IdP groups, Access groups in three levels
//! of nesting (level 1 tests IdP groups over okta, azureAD and gsuite; level 2
//! references level 1; level 3 references level 2), each requiring a country and
//! a posture check, one excluding a CIDR; 10 device profiles and 5 IP profiles.
//! Also loading and compiling the 50- and 1000-group configurations.
//!
//! Run: `cargo bench --bench decide`
#![allow(
    missing_docs,
    reason = "criterion's macros generate undocumented items"
)]

// The allocator the `zt-eval` binary uses, so the numbers are the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use std::hint::black_box;
use zt_eval::Engine;
use zt_eval::reference_config;
use zt_eval::subject::Subject;

const IDP_GROUPS: usize = 200;
const COUNTRIES: &[&str] = &["PT", "US", "DE", "PT"];
const POSTURE: &[&str] = &["p-firewall", "p-disk", "p-os", "p-domain", "p-warp"];

fn idp_group_name(i: usize) -> String {
    format!("idp-group-{:03}", i % IDP_GROUPS)
}

fn idp_group_id(i: usize) -> String {
    format!("00g{:03}", i % IDP_GROUPS)
}

fn idp_group_email(i: usize) -> String {
    format!("group-{:03}@example.com", i % IDP_GROUPS)
}

/// Access group `i` of `n`: the first 60% are level 1, the next 30% level 2, the rest level 3.
fn access_group(i: usize, n: usize) -> Value {
    let level1 = n * 6 / 10;
    let level2 = n * 9 / 10;
    let include: Vec<Value> = if i < level1 {
        let k = i * 7;
        vec![
            json!({"okta": {"name": idp_group_name(k), "identity_provider_id": "idp-okta"}}),
            json!({"okta": {"name": idp_group_name(k + 1), "identity_provider_id": "idp-okta"}}),
            json!({"okta": {"name": idp_group_name(k + 2), "identity_provider_id": "idp-okta"}}),
            json!({"okta": {"name": idp_group_name(k + 3), "identity_provider_id": "idp-okta"}}),
            json!({"azureAD": {"id": idp_group_id(k + 4), "identity_provider_id": "idp-azure"}}),
            json!({"azureAD": {"id": idp_group_id(k + 5), "identity_provider_id": "idp-azure"}}),
            json!({"gsuite": {"email": idp_group_email(k + 6), "identity_provider_id": "idp-gsuite"}}),
        ]
    } else {
        // Three groups of the level below.
        let (lo, len) = if i < level2 {
            (0, level1)
        } else {
            (level1, level2 - level1)
        };
        (0..3)
            .map(|j| json!({"group": {"id": format!("ag-{:04}", lo + (i * 3 + j) % len.max(1))}}))
            .collect()
    };
    let country = COUNTRIES.get(i % COUNTRIES.len()).copied().unwrap_or("PT");
    let posture = POSTURE
        .get(i % POSTURE.len())
        .copied()
        .unwrap_or("p-firewall");
    let exclude: Vec<Value> = if i == 0 {
        vec![json!({"ip": {"ip": "203.0.113.0/24"}})]
    } else {
        vec![]
    };
    json!({"id": format!("ag-{i:04}"), "name": format!("Access group {i}"),
           "include": include,
           "require": [{"geo": {"country_code": country}},
                       {"device_posture": {"integration_uid": posture}}],
           "exclude": exclude})
}

fn set(items: impl Iterator<Item = String>) -> String {
    let quoted: Vec<String> = items.map(|s| format!("\"{s}\"")).collect();
    format!("{{{}}}", quoted.join(" "))
}

/// Ten device profiles; the bench context matches only the ninth, so eight are
/// evaluated and rejected first.
fn device_profiles() -> Value {
    let engineering = set((150..170).map(idp_group_name));
    let matches = [
        format!("any(identity.groups.name[*] in {engineering}) and os.name == \"windows\""),
        "identity.email in $contractors".to_string(),
        r#"os.name == "linux" and any(device_posture.checks.passed[*] == "p-disk")"#.to_string(),
        r#"network == "Austin office""#.to_string(),
        r#"ends_with(identity.email, "@partner.com")"#.to_string(),
        r#"identity.email matches "^svc-[a-z]+@example\.com$""#.to_string(),
        r#"any(identity.groups.email[*] == "group-199@example.com") or os.name in {"chromeos" "android"}"#.to_string(),
        r#"not any(device_posture.checks.passed[*] == "p-firewall")"#.to_string(),
        r#"any(identity.saml_attributes[*] == "department=Engineering") and os.name == "mac""#.to_string(),
        r#"os.name in {"mac" "windows"}"#.to_string(),
    ];
    let mut profiles: Vec<Value> = matches
        .iter()
        .enumerate()
        .map(|(i, m)| {
            json!({"policy_id": format!("dp-{i}"), "name": format!("Device profile {i}"),
                   "precedence": (i + 1) * 10, "enabled": true, "match": m,
                   "service_mode_v2": {"mode": "warp"}, "exclude": [{"address": "10.0.0.0/8"}]})
        })
        .collect();
    profiles.push(json!({"policy_id": "dp-default", "name": "Default", "default": true}));
    Value::from(profiles)
}

fn ip_profiles() -> Value {
    let matches = [
        r#"identity.email in $contractors"#.to_string(),
        format!(
            "any(identity.groups.name[*] in {})",
            set((100..120).map(idp_group_name))
        ),
        r#"ends_with(identity.email, "@partner.com")"#.to_string(),
        r#"any(identity.groups.email[*] == "group-007@example.com")"#.to_string(),
        r#"any(identity.saml_attributes[*] == "department=Engineering")"#.to_string(),
    ];
    let profiles: Vec<Value> = matches
        .iter()
        .enumerate()
        .map(|(i, m)| {
            json!({"id": format!("ip-{i}"), "name": format!("IP profile {i}"),
                   "precedence": (i + 1) * 100, "match": m, "subnet_id": format!("subnet-{i}")})
        })
        .collect();
    Value::from(profiles)
}

/// The bundle with `n` Access groups, as JSON text.
fn config_text(n: usize) -> String {
    let contractors: Vec<String> = (0..100)
        .map(|i| format!("contractor-{i}@partner.com"))
        .collect();
    json!({
        "lists": [
            {"id": "contractors", "name": "Contractors", "type": "EMAIL", "items": contractors},
            {"id": "serials", "type": "SERIAL", "items": ["C02XL0GHJGH5", "C02XL0GHJGH6"]},
        ],
        "posture_rules": [
            {"id": "p-firewall", "type": "firewall", "input": {}, "match": [{"platform": "mac"}]},
            {"id": "p-disk", "type": "disk_encryption", "input": {"requireAll": true}},
            {"id": "p-os", "type": "os_version",
             "input": {"operating_system": "mac", "version": "14.0", "operator": ">="}},
            {"id": "p-domain", "type": "domain_joined", "input": {"domain": "corp.example.com"}},
            {"id": "p-warp", "type": "warp", "input": {}},
        ],
        "access_groups": (0..n).map(|i| access_group(i, n)).collect::<Vec<_>>(),
        "device_profiles": device_profiles(),
        "ip_profiles": ip_profiles(),
    })
    .to_string()
}

/// An Okta user in 20 of the 200 IdP groups, on a Mac, in Portugal.
fn context() -> Value {
    let groups: Vec<Value> = (0..20)
        .map(|j| {
            let i = j * 9;
            json!({"id": idp_group_id(i), "name": idp_group_name(i), "email": idp_group_email(i)})
        })
        .collect();
    json!({
        "id": "alice-laptop",
        "identity": {
            "email": "alice@example.com",
            "idp": {"id": "idp-okta", "type": "okta"},
            "groups": groups,
            "saml_attributes": {"department": ["Engineering"]},
            "amr": ["pwd", "mfa"],
        },
        "device": {
            "os": {"name": "mac", "version": "14.5.0"},
            "network": "Lisbon office",
            "serial_number": "C02XL0GHJGH5",
            "facts": {"firewall": true, "disk_encrypted": true, "domain": "corp.example.com",
                      "warp": true},
        },
        "request": {"ip": "198.51.100.7", "country": "PT"},
    })
}

fn bench_decide(c: &mut Criterion) {
    let text = config_text(50);
    let engine = match Engine::from_json(&text, "bench") {
        Ok(e) => e,
        Err(e) => {
            eprintln!(
                "the generated configuration does not load: {:?}",
                e.problems
            );
            return;
        }
    };
    let (config, _) = zt_eval::config::load_str(&text, "bench");
    let ctx = context();
    let Ok((subject, _)) = Subject::from_json(&ctx) else {
        eprintln!("the bench context does not load");
        return;
    };
    let mut scratch = engine.scratch();
    let Ok(decision) = engine.decide(&ctx, &mut scratch, false) else {
        return;
    };
    let oracle = reference_config::decide(&config, &subject);
    // Both sides must decide the same, or the comparison is meaningless.
    let groups = decision
        .json
        .get("access_groups")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    assert_eq!(
        decision
            .json
            .get("device_profile")
            .and_then(|p| p.get("name"))
            .and_then(Value::as_str),
        oracle.device_profile.as_deref()
    );
    assert_eq!(groups, oracle.access_groups.len());
    eprintln!(
        "decide_50_groups: member of {groups} groups, device profile {:?}, ip profile {:?}",
        oracle.device_profile, oracle.ip_profile
    );

    let Ok(prepared) = engine.prepare(&ctx) else {
        return;
    };
    let mut group = c.benchmark_group("decide_50_groups");
    // The compiled decision on a context already read: every group once, then the
    // first matching device and IP profiles. This is what the program does.
    group.bench_function(BenchmarkId::from_parameter("program"), |b| {
        b.iter(|| engine.decide_prepared(black_box(&prepared), &mut scratch))
    });
    // The reference on the same already-read subject.
    group.bench_function(BenchmarkId::from_parameter("reference"), |b| {
        b.iter(|| reference_config::decide(&config, black_box(&subject)))
    });
    // End to end for one context: JSON in, posture, slots, decision, JSON out.
    group.bench_function(BenchmarkId::from_parameter("json_in_json_out"), |b| {
        b.iter(|| engine.decide(black_box(&ctx), &mut scratch, false))
    });
    // Reading the context alone (part of json_in_json_out).
    group.bench_function(BenchmarkId::from_parameter("prepare"), |b| {
        b.iter(|| engine.prepare(black_box(&ctx)))
    });
    group.finish();
}

/// The same question on the 1000-group configuration: what a decision costs as
/// a configuration grows (most groups cannot hold for one user).
fn bench_decide_1000(c: &mut Criterion) {
    let Ok(engine) = Engine::from_json(&config_text(1000), "bench") else {
        eprintln!("the 1000-group configuration does not load");
        return;
    };
    let Ok(prepared) = engine.prepare(&context()) else {
        return;
    };
    let mut scratch = engine.scratch();
    let mut group = c.benchmark_group("decide_1000_groups");
    group.bench_function(BenchmarkId::from_parameter("program"), |b| {
        b.iter(|| engine.decide_prepared(black_box(&prepared), &mut scratch))
    });
    group.finish();
}

fn bench_load_compile(c: &mut Criterion) {
    for n in [50, 1000] {
        let text = config_text(n);
        if let Err(e) = Engine::from_json(&text, "bench") {
            eprintln!(
                "the {n}-group configuration does not load: {:?}",
                e.problems
            );
            continue;
        }
        let mut group = c.benchmark_group(format!("load_compile_{n}"));
        group.bench_function(BenchmarkId::from_parameter("engine"), |b| {
            b.iter(|| Engine::from_json(black_box(&text), "bench"))
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = bench_decide, bench_decide_1000, bench_load_compile
}
criterion_main!(benches);
