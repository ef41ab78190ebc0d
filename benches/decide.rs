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

use criterion::measurement::WallTime;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use zt_eval::Engine;
use zt_eval::Subject;
use zt_eval::oracle::config as reference_config;

#[path = "support/generate.rs"]
mod generate;
use generate::{config_text, config_text_with_apps, context, few_groups_context};

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
    let groups = decision.member_names().len();
    assert_eq!(
        decision.device_profile_name(),
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
    few_groups(&engine, &mut group);
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
    few_groups(&engine, &mut group);
    group.finish();
}

/// `program` for a user in a handful of groups (3 of 50, 10 of 1,000): the
/// bench's user is a member of a fifth of them (10 of 50, 198 of 1,000), so
/// its decision's output grows with the configuration; this one's does not.
fn few_groups(engine: &Engine, group: &mut criterion::BenchmarkGroup<'_, WallTime>) {
    let Ok(prepared) = engine.prepare(&few_groups_context()) else {
        eprintln!("the few-groups context does not load");
        return;
    };
    let mut scratch = engine.scratch();
    group.bench_function(BenchmarkId::from_parameter("few_groups"), |b| {
        b.iter(|| engine.decide_prepared(black_box(&prepared), &mut scratch))
    });
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

/// The 50-group scenario plus 100 applications and 300 policies: every
/// application decided for the context, against the reference (groups and
/// profiles by `reference_config`, applications by `oracle::access`).
fn bench_decide_apps(c: &mut Criterion) {
    let text = config_text_with_apps(50);
    let engine = match Engine::from_json(&text, "bench") {
        Ok(e) => e,
        Err(e) => {
            eprintln!(
                "the application configuration does not load: {:?}",
                e.problems
            );
            return;
        }
    };
    let (config, _) = zt_eval::config::load_str(&text, "bench");
    let ctx = context();
    let Ok((subject, _)) = Subject::from_json(&ctx) else {
        return;
    };
    let mut scratch = engine.scratch();
    let Ok(decision) = engine.decide(&ctx, &mut scratch, false) else {
        return;
    };
    let reference = zt_eval::oracle::access::apps(&config, &subject);
    // Both sides must decide the same, or the comparison is meaningless.
    assert_eq!(zt_eval::oracle::access::view_of(&decision), reference);
    let allowed = reference.iter().filter(|r| r.starts_with("allow")).count();
    eprintln!(
        "decide_apps: {} applications, {allowed} allow",
        reference.len()
    );
    let Ok(prepared) = engine.prepare(&ctx) else {
        return;
    };
    let mut group = c.benchmark_group("decide_apps");
    group.bench_function(BenchmarkId::from_parameter("program"), |b| {
        b.iter(|| engine.decide_prepared(black_box(&prepared), &mut scratch))
    });
    group.bench_function(BenchmarkId::from_parameter("reference"), |b| {
        b.iter(|| {
            (
                reference_config::decide(&config, black_box(&subject)),
                zt_eval::oracle::access::apps(&config, black_box(&subject)),
            )
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = bench_decide, bench_decide_1000, bench_decide_apps, bench_load_compile
}
criterion_main!(benches);
