//! Expression evaluation: zt-eval's compiled program against wirefilter-engine 0.6.1
//! on the same expression and values, measured in the same run. Cases 0.6.1 cannot
//! express (arrays, functions) have only `zt-eval`.
//!
//! Run: `cargo bench --bench expr`
#![allow(
    missing_docs,
    reason = "criterion's macros generate undocumented items"
)]

// The allocator the `zt-eval` binary uses, so the numbers are the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::net::IpAddr;
use zt_eval::Context;
use zt_eval::Scheme;
use zt_eval::check_expression;

const SCHEME: &str = r#"{"fields": {"identity.email": "Bytes", "identity.group": "Bytes", "ip.src": "Ip",
  "os.name": "Bytes", "device.hostname": "Bytes", "identity.groups.name": "Array<Bytes>"}}"#;

const REGEX: &str = r#"device.hostname matches "^corp-[a-z0-9]+-[0-9]+$""#;
const CIDR_2: &str = "ip.src in {10.0.0.0/8 192.168.0.0/16}";

fn strings(n: usize, prefix: &str) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i:04}")).collect()
}

fn set(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("\"{s}\"")).collect();
    format!("{{{}}}", quoted.join(" "))
}

struct Case {
    name: &'static str,
    expr: String,
    /// 0.6.1 can express it.
    wirefilter: bool,
}

fn cases() -> Vec<Case> {
    let twenty = set(&strings(20, "group"));
    let thousand = set(&strings(1000, "group"));
    let five_clauses = format!(
        "identity.email == \"alice@example.com\" and identity.group in {twenty} and {CIDR_2} and (os.name == \"windows\" or {REGEX})"
    );
    let case = |name, expr: String, wirefilter| Case {
        name,
        expr,
        wirefilter,
    };
    vec![
        case(
            "string_eq",
            "identity.email == \"alice@example.com\"".into(),
            true,
        ),
        case("five_clauses", five_clauses, true),
        case("regex", REGEX.into(), true),
        case("cidr_2", CIDR_2.into(), true),
        case(
            "set_20_strings",
            format!("identity.group in {twenty}"),
            true,
        ),
        case(
            "set_1000_strings_miss",
            format!("identity.email in {thousand}"),
            true,
        ),
        // The miss above is of a length no item has, which the set turns away
        // unhashed; this one is hashed and probed like a hit.
        case(
            "set_1000_strings_miss_same_length",
            format!("identity.group in {}", set(&strings(1000, "other"))),
            true,
        ),
        case(
            "set_1000_strings_hit",
            format!("identity.group in {thousand}"),
            true,
        ),
        case(
            "any_in_set",
            format!("any(identity.groups.name[*] in {twenty})"),
            false,
        ),
        case(
            "any_eq",
            "any(identity.groups.name[*] == \"group-0004\")".into(),
            false,
        ),
        case(
            "index_eq",
            "identity.groups.name[4] == \"group-0004\"".into(),
            false,
        ),
    ]
}

/// The values every case runs on: every clause of `five_clauses` is evaluated
/// (the `or` falls through to the regex), the 1000-set miss really misses, and the
/// array's match is its last element.
fn values() -> serde_json::Value {
    serde_json::json!({
        "identity.email": "alice@example.com",
        "identity.group": "group-0007",
        "ip.src": "192.168.1.20",
        "os.name": "linux",
        "device.hostname": "corp-laptop7-42",
        "identity.groups.name": ["eng", "ops", "sre", "oncall", "group-0004"],
    })
}

fn wirefilter_scheme() -> wirefilter::Scheme {
    let mut s = wirefilter::Scheme::new();
    for (name, ty) in [
        ("identity.email", wirefilter::Type::Bytes),
        ("identity.group", wirefilter::Type::Bytes),
        ("ip.src", wirefilter::Type::Ip),
        ("os.name", wirefilter::Type::Bytes),
        ("device.hostname", wirefilter::Type::Bytes),
    ] {
        let _ = s.add_field(name.to_string(), ty);
    }
    s
}

fn bench_eval(c: &mut Criterion) {
    let scheme = Scheme::from_json(SCHEME).unwrap_or_default();
    let ctx = Context::from_flat_json(&scheme, &values()).unwrap_or_default();
    let wf_scheme = wirefilter_scheme();
    let mut wf_ctx = wirefilter::ExecutionContext::new(&wf_scheme);
    let v = values();
    for name in [
        "identity.email",
        "identity.group",
        "os.name",
        "device.hostname",
    ] {
        let _ = wf_ctx.set_field_value(
            name,
            v.get(name).and_then(|x| x.as_str()).unwrap_or_default(),
        );
    }
    let ip: IpAddr = v
        .get("ip.src")
        .and_then(|x| x.as_str())
        .unwrap_or_default()
        .parse()
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let _ = wf_ctx.set_field_value("ip.src", ip);

    for case in cases() {
        let mut group = c.benchmark_group(case.name);
        let Ok(checked) = check_expression(&case.expr, &scheme, &Default::default()) else {
            eprintln!("skipping {}: does not check", case.name);
            continue;
        };
        let compiled = checked.compile(&scheme);
        let mut scratch = compiled.scratch();
        let ours = compiled.eval(&ctx, &mut scratch);
        group.bench_function(BenchmarkId::from_parameter("zt-eval"), |b| {
            b.iter(|| compiled.eval(black_box(&ctx), &mut scratch))
        });
        if case.wirefilter {
            let Ok(filter) = wf_scheme.parse(&case.expr).map(|ast| ast.compile()) else {
                eprintln!("skipping wirefilter on {}: does not parse", case.name);
                continue;
            };
            // Both engines must give the same answer, or the comparison is meaningless.
            assert_eq!(
                filter.execute(&wf_ctx).ok(),
                Some(ours),
                "engines disagree on {}",
                case.name
            );
            group.bench_function(BenchmarkId::from_parameter("wirefilter"), |b| {
                b.iter(|| filter.execute(black_box(&wf_ctx)))
            });
        }
        group.finish();
    }
}

fn bench_parse_compile(c: &mut Criterion) {
    let scheme = Scheme::from_json(SCHEME).unwrap_or_default();
    let wf_scheme = wirefilter_scheme();
    let Some(five) = cases().into_iter().find(|c| c.name == "five_clauses") else {
        return;
    };
    let mut group = c.benchmark_group("parse_compile_five_clauses");
    group.bench_function(BenchmarkId::from_parameter("zt-eval"), |b| {
        b.iter(|| {
            check_expression(black_box(&five.expr), &scheme, &Default::default())
                .map(|c| c.compile(&scheme))
        })
    });
    group.bench_function(BenchmarkId::from_parameter("wirefilter"), |b| {
        b.iter(|| {
            wf_scheme
                .parse(black_box(&five.expr))
                .map(|ast| ast.compile())
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = bench_eval, bench_parse_compile
}
criterion_main!(benches);
