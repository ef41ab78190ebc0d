//! Runs corpus/decide/*.json (decisions) and corpus/check/*.json (validation
//! problems); formats in corpus/README.md. Reports every failure by file and name.

use serde::Deserialize;
use serde_json::Value;
use std::path::{Path, PathBuf};
use zt_eval::Engine;
use zt_eval::config::Severity;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecideFile {
    /// Where the cases come from (sources cited).
    #[serde(default)]
    #[allow(dead_code, reason = "read for the reader of the file, not the test")]
    comment: Option<String>,
    /// A bundle object, or a path (relative to corpus/) of a bundle file or folder.
    config: Value,
    cases: Vec<DecideCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecideCase {
    name: String,
    context: Value,
    #[serde(default)]
    expect: Option<Expect>,
    #[serde(default)]
    context_error: Option<String>,
    /// Compared with the decision under --explain, as a subset.
    #[serde(default)]
    explain: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// The device profile's name.
    #[serde(default)]
    device_profile: Option<String>,
    /// The IP profile's name, or "default" for the default pool.
    #[serde(default)]
    ip_profile: Option<String>,
    /// Names of the groups the context is a member of, in input order.
    #[serde(default)]
    access_groups: Option<Vec<String>>,
    /// Names of the groups whose membership is unknown, in input order.
    #[serde(default)]
    access_groups_unknown: Option<Vec<String>>,
    /// `{"passed": [...], "failed": [...], "unknown": [...]}`
    #[serde(default)]
    posture: Option<Value>,
    /// Application name -> `allow by <policy>`, `deny` (nothing matched),
    /// `unknown: allow by A | deny`; only the applications named are checked.
    #[serde(default)]
    applications: Option<std::collections::BTreeMap<String, String>>,
    /// The request's answer: `<application>: <as above>`, `deny` or
    /// `not_protected` when no application covers it.
    #[serde(default)]
    access: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckFile {
    cases: Vec<CheckCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckCase {
    name: String,
    /// A bundle object, or a path relative to corpus/.
    config: Value,
    /// Every problem expected (no more, no fewer): severity, exact path, message substring.
    problems: Vec<ProblemSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProblemSpec {
    severity: String,
    path: String,
    message: String,
    /// `line:column` in the file, for malformed JSON.
    #[serde(default)]
    at: Option<String>,
}

/// The context and decision schemas (`zt-eval schema`), compiled once.
fn schemas() -> &'static (jsonschema::Validator, jsonschema::Validator) {
    static SCHEMAS: std::sync::OnceLock<(jsonschema::Validator, jsonschema::Validator)> =
        std::sync::OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let compile = |v: Value| {
            jsonschema::validator_for(&v)
                .unwrap_or_else(|e| unreachable!("a schema does not compile: {e}"))
        };
        (
            compile(zt_eval::subject::json_schema()),
            compile(zt_eval::decision::json_schema()),
        )
    })
}

/// `what` validates against `schema`, or every error.
fn conforms(schema: &jsonschema::Validator, what: &Value, name: &str) -> Result<(), String> {
    let errors: Vec<String> = schema
        .iter_errors(what)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{name} {what} does not conform to its schema: {}",
            errors.join("; ")
        ))
    }
}

#[test]
fn schemas_reject_what_the_readers_reject() {
    let (context, _) = schemas();
    for bad in [
        serde_json::json!({"identity": {"emial": "a@b.com"}}),
        serde_json::json!({"identity": {"risk_score": "HIGH"}}),
        serde_json::json!({"request": {"country": "Germany"}}),
        serde_json::json!({"request": {"destination": {"port": 70000}}}),
        serde_json::json!([1]),
    ] {
        assert!(!context.is_valid(&bad), "the context schema accepts {bad}");
    }
    let (_, decision) = schemas();
    for bad in [
        serde_json::json!({"id": "a", "bogus": 1}),
        serde_json::json!({"id": "a", "applications": [{"id": "x", "name": "X", "type": "self_hosted", "decision": "maybe"}]}),
        serde_json::json!({"id": "a", "access": {"application": null, "decision": "deny"}}),
        serde_json::json!({"id": "a", "posture": {"passed": []}}),
    ] {
        assert!(
            !decision.is_valid(&bad),
            "the decision schema accepts {bad}"
        );
    }
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

fn engine_of(config: &Value) -> Result<Engine, Vec<zt_eval::config::Problem>> {
    match config {
        Value::String(rel) => Engine::from_path(&corpus().join(rel)).map_err(|e| e.problems),
        other => Engine::from_json(&other.to_string(), "<case>").map_err(|e| e.problems),
    }
}

fn subset(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => w
            .iter()
            .all(|(k, wv)| g.get(k).is_some_and(|gv| subset(gv, wv))),
        (Value::Array(g), Value::Array(w)) => {
            g.len() == w.len() && g.iter().zip(w).all(|(a, b)| subset(a, b))
        }
        _ => got == want,
    }
}

/// One verdict of the decision JSON as a label: `allow by X`, `deny`.
fn verdict_label(v: &Value) -> String {
    match v
        .get("policy")
        .and_then(|p| p.get("name"))
        .and_then(Value::as_str)
    {
        Some(p) => format!(
            "{} by {p}",
            v.get("decision").and_then(Value::as_str).unwrap_or("?")
        ),
        None => "deny".into(),
    }
}

/// An application or access object's answer as a label.
fn result_label(v: &Value) -> String {
    match v.get("candidates").and_then(Value::as_array) {
        Some(c) => format!(
            "unknown: {}",
            c.iter().map(verdict_label).collect::<Vec<_>>().join(" | ")
        ),
        None => verdict_label(v),
    }
}

fn app_labels(d: &Value) -> Vec<(String, String)> {
    d.get("applications")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|a| {
            let name = a
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            (name, result_label(a))
        })
        .collect()
}

fn access_label(d: &Value) -> Option<String> {
    let a = d.get("access")?;
    Some(
        match a
            .get("application")
            .and_then(|x| x.get("name"))
            .and_then(Value::as_str)
        {
            Some(app) => format!("{app}: {}", result_label(a)),
            None => a
                .get("decision")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string(),
        },
    )
}

/// Every case's applications, and the protecting application of its URL, as
/// the reference evaluator gives them (`src/oracle/access.rs`).
fn agrees_with_reference(engine: &Engine, context: &Value, d: &Value) -> Result<(), String> {
    let cfg = engine.config();
    if cfg.applications.is_empty() {
        return Ok(());
    }
    let Ok((subject, _)) = zt_eval::Subject::from_json(context) else {
        return Ok(());
    };
    let reference = zt_eval::oracle::access::apps(cfg, &subject);
    let got: Vec<String> = app_labels(d).into_iter().map(|(_, l)| l).collect();
    if got != reference {
        return Err(format!(
            "applications {got:?}, the reference says {reference:?}"
        ));
    }
    if let Some(zt_eval::route::RequestTarget::Url(u)) = &subject.request.target {
        let want = zt_eval::oracle::access::protecting_url(cfg, &u.host, &u.path);
        let got = d
            .get("access")
            .and_then(|a| a.get("application"))
            .and_then(|a| a.get("name"))
            .and_then(Value::as_str)
            .map(String::from);
        if got != want {
            return Err(format!(
                "protecting application {got:?}, the reference says {want:?}"
            ));
        }
    }
    Ok(())
}

fn run_decide(engine: &Engine, case: &DecideCase) -> Result<(), String> {
    let mut scratch = engine.scratch();
    let explain = case.explain.is_some();
    let d = match (
        engine.decide(&case.context, &mut scratch, explain),
        &case.context_error,
    ) {
        (Err(e), Some(want)) if e.to_string().contains(want.as_str()) => {
            // The batch path (text straight into the context) says the same.
            return match engine.prepare_str(&case.context.to_string()) {
                Err(e) if e.to_string().contains(want.as_str()) => Ok(()),
                Err(e) => Err(format!(
                    "batch path: context error `{e}`, expected `{want}`"
                )),
                Ok(_) => Err(format!("batch path: accepted, expected `{want}`")),
            };
        }
        (Err(e), _) => return Err(format!("context error: {e}")),
        (Ok(_), Some(want)) => return Err(format!("expected a context error containing `{want}`")),
        (Ok(d), None) => serde_json::to_value(&d).map_err(|e| e.to_string())?,
    };
    if !explain {
        written_equals_rendered(engine, &case.context.to_string(), &d)?;
    }
    let (context_schema, decision_schema) = schemas();
    // An identity record is read as a context, but is not one.
    if zt_eval::subject::record::record_of(&case.context).is_none() {
        conforms(context_schema, &case.context, "context")?;
    }
    conforms(decision_schema, &d, "decision")?;
    let name = |v: Option<&Value>| {
        v.and_then(|p| p.get("name"))
            .and_then(Value::as_str)
            .map(String::from)
    };
    // A profile's name; `default` for the default IP pool; an undetermined
    // selection as `undetermined: A | B`.
    let label = |v: Option<&Value>| -> Option<String> {
        let one = |p: &Value| name(Some(p)).unwrap_or_else(|| "default".into());
        let v = v?;
        match v.get("candidates").and_then(Value::as_array) {
            Some(c) => Some(format!(
                "undetermined: {}",
                c.iter().map(one).collect::<Vec<_>>().join(" | ")
            )),
            None => Some(one(v)),
        }
    };
    if let Some(e) = &case.expect {
        if let Some(want) = &e.device_profile {
            let got = label(d.get("device_profile"));
            if got.as_ref() != Some(want) {
                return Err(format!("device profile {got:?}, expected `{want}`"));
            }
        }
        if let Some(want) = &e.ip_profile {
            let got = label(d.get("ip_profile")).unwrap_or_else(|| "default".into());
            if &got != want {
                return Err(format!("ip profile `{got}`, expected `{want}`"));
            }
        }
        if let Some(want) = &e.access_groups {
            let got: Vec<String> = d
                .get("access_groups")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|g| name(Some(g)))
                .collect();
            if &got != want {
                return Err(format!("access groups {got:?}, expected {want:?}"));
            }
        }
        if let Some(want) = &e.access_groups_unknown {
            let got: Vec<String> = d
                .get("access_groups_unknown")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|g| name(Some(g)))
                .collect();
            if &got != want {
                return Err(format!("unknown access groups {got:?}, expected {want:?}"));
            }
        }
        if let Some(want) = &e.posture {
            let got = d.get("posture").cloned().unwrap_or(Value::Null);
            if &got != want {
                return Err(format!("posture {got}, expected {want}"));
            }
        }
        if let Some(want) = &e.applications {
            let got = app_labels(&d);
            for (app, label) in want {
                match got.iter().find(|(n, _)| n == app) {
                    Some((_, l)) if l == label => {}
                    Some((_, l)) => {
                        return Err(format!("application {app}: `{l}`, expected `{label}`"));
                    }
                    None => return Err(format!("application {app}: not in the decision")),
                }
            }
        }
        if let Some(want) = &e.access {
            let got = access_label(&d);
            if got.as_deref() != Some(want.as_str()) {
                return Err(format!("access {got:?}, expected `{want}`"));
            }
        }
    }
    agrees_with_reference(engine, &case.context, &d)?;
    if let Some(want) = &case.explain
        && !subset(&d, want)
    {
        return Err(format!("explained decision {d} does not contain {want}"));
    }
    Ok(())
}

fn run_check(case: &CheckCase) -> Result<(), String> {
    let problems = match &case.config {
        Value::String(rel) => zt_eval::Engine::check(&corpus().join(rel)),
        other => match Engine::from_json(&other.to_string(), "<case>") {
            Ok(e) => e.warnings().to_vec(),
            Err(e) => e.problems,
        },
    };
    let show: Vec<String> = problems
        .iter()
        .map(|p| format!("{:?} {}: {}", p.severity, p.path, p.message))
        .collect();
    if problems.len() != case.problems.len() {
        return Err(format!(
            "expected {} problems, got {}: {show:#?}",
            case.problems.len(),
            problems.len()
        ));
    }
    for want in &case.problems {
        let found = problems.iter().any(|p| {
            let sev = match p.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let at = p.position.map(|(l, c)| format!("{l}:{c}"));
            sev == want.severity
                && p.path == want.path
                && p.message.contains(&want.message)
                && (want.at.is_none() || want.at == at)
        });
        if !found {
            return Err(format!(
                "no {} at `{}` containing `{}`; got {show:#?}",
                want.severity, want.path, want.message
            ));
        }
    }
    Ok(())
}

/// The batch path writes the decision bytes directly; they must be exactly the
/// rendered decision serialized.
fn written_equals_rendered(engine: &Engine, text: &str, rendered: &Value) -> Result<(), String> {
    let mut scratch = engine.scratch();
    let mut out = Vec::new();
    zt_eval::whatif::decide_line_into(engine, &mut scratch, 1, text, false, &mut out);
    let want = format!("{rendered}\n");
    if out != want.as_bytes() {
        return Err(format!(
            "written decision\n{}\ndiffers from the rendered one\n{want}",
            String::from_utf8_lossy(&out)
        ));
    }
    Ok(())
}

#[test]
fn written_decisions_equal_rendered_on_a_sampled_population() -> Result<(), String> {
    let engine = Engine::from_path(&corpus().join("examples/acme")).map_err(|e| e.to_string())?;
    let mut scratch = engine.scratch();
    for context in zt_eval::whatif::sample(engine.config(), 2000, 7) {
        let rendered = engine
            .decide(&context, &mut scratch, false)
            .map_err(|e| format!("a sampled context is invalid: {e}: {context}"))?;
        let rendered = serde_json::to_value(&rendered).map_err(|e| e.to_string())?;
        written_equals_rendered(&engine, &context.to_string(), &rendered)?;
        let (context_schema, decision_schema) = schemas();
        conforms(context_schema, &context, "context")?;
        conforms(decision_schema, &rendered, "decision")?;
    }
    Ok(())
}

fn files(dir: &str) -> Vec<PathBuf> {
    crate::corpus::case_files(dir)
}

#[test]
fn decision_cases() {
    let mut failures = Vec::new();
    let mut count = 0;
    for file in files("decide") {
        let name = file.display().to_string();
        let parsed: Result<DecideFile, String> = crate::corpus::read_case_file(&file);
        let f = match parsed {
            Ok(f) => f,
            Err(e) => {
                failures.push(format!("{name}: cannot read: {e}"));
                continue;
            }
        };
        let engine = match engine_of(&f.config) {
            Ok(e) => e,
            Err(problems) => {
                failures.push(format!(
                    "{name}: configuration does not load: {:#?}",
                    problems
                        .iter()
                        .map(|p| format!("{} {}", p.path, p.message))
                        .collect::<Vec<_>>()
                ));
                continue;
            }
        };
        for case in &f.cases {
            count += 1;
            if let Err(e) = run_decide(&engine, case) {
                failures.push(format!("{name}: {}: {e}", case.name));
            }
        }
    }
    assert!(count > 0, "no decision cases found");
    assert!(
        failures.is_empty(),
        "{} of {count} decision cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn check_cases() {
    let mut failures = Vec::new();
    let mut count = 0;
    for file in files("check") {
        let name = file.display().to_string();
        let parsed: Result<CheckFile, String> = crate::corpus::read_case_file(&file);
        let f = match parsed {
            Ok(f) => f,
            Err(e) => {
                failures.push(format!("{name}: cannot read: {e}"));
                continue;
            }
        };
        for case in &f.cases {
            count += 1;
            if let Err(e) = run_check(case) {
                failures.push(format!("{name}: {}: {e}", case.name));
            }
        }
    }
    assert!(count > 0, "no check cases found");
    assert!(
        failures.is_empty(),
        "{} of {count} check cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A context as Cloudflare's identity record (the fields a record has), the
/// inverse of `subject::record`.
fn as_record(ctx: &Value) -> Value {
    let get = |p: &str| ctx.pointer(p).cloned();
    let mut r = serde_json::Map::new();
    r.insert("user_uuid".into(), get("/id").unwrap_or(Value::from("u")));
    for (from, to) in [
        ("/identity/email", "email"),
        ("/identity/name", "name"),
        ("/identity/idp", "idp"),
        ("/identity/amr", "amr"),
        ("/request/ip", "ip"),
        ("/device/facts/warp", "is_warp"),
        ("/device/facts/gateway", "is_gateway"),
    ] {
        if let Some(v) = get(from) {
            r.insert(to.into(), v);
        }
    }
    r.insert(
        "groups".into(),
        get("/identity/groups").unwrap_or(Value::Array(Vec::new())),
    );
    if let Some(c) = get("/request/country") {
        r.insert("geo".into(), serde_json::json!({"country": c}));
    }
    let mut posture = serde_json::Map::new();
    for (key, success) in [("passed", true), ("failed", false)] {
        for id in get(&format!("/device/posture/{key}"))
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
        {
            if let Some(id) = id.as_str() {
                posture.insert(id.into(), serde_json::json!({"id": id, "success": success}));
            }
        }
    }
    r.insert("devicePosture".into(), Value::Object(posture));
    if let Some(cn) = get("/request/certificate/common_name") {
        r.insert("common_name".into(), cn);
    }
    r.insert(
        "mtls_auth".into(),
        serde_json::json!({"cert_presented": get("/request/certificate").is_some()}),
    );
    serde_json::json!({"success": true, "errors": [], "messages": [], "result": r})
}

/// The context with only what a record can say.
fn record_part(ctx: &Value) -> Value {
    let mut c = ctx.clone();
    let keep = |v: &mut Value, keys: &[&str]| {
        if let Some(o) = v.as_object_mut() {
            o.retain(|k, _| keys.contains(&k.as_str()));
        }
    };
    if let Some(i) = c.get_mut("identity") {
        keep(i, &["email", "name", "idp", "groups", "amr"]);
        if let Some(groups) = i.get_mut("groups").and_then(Value::as_array_mut) {
            for g in groups {
                keep(g, &["id", "name", "email"]);
            }
        }
    }
    if let Some(d) = c.get_mut("device") {
        keep(d, &["posture", "facts"]);
        // A record has one result per rule: a rule both passed and failed
        // (which a sampled context may say) is passed.
        if let Some(p) = d.get_mut("posture") {
            let passed = p.get("passed").cloned().unwrap_or_default();
            if let Some(failed) = p.get_mut("failed").and_then(Value::as_array_mut) {
                failed.retain(|id| !passed.as_array().is_some_and(|ps| ps.contains(id)));
            }
        }
        if let Some(f) = d.get_mut("facts") {
            keep(f, &["warp", "gateway"]);
        }
    }
    if let Some(r) = c.get_mut("request") {
        keep(r, &["ip", "country", "certificate"]);
    }
    c
}

/// A context written out as Cloudflare's identity record and read back
/// decides the same (issue 18 item 4), on a sampled Acme population.
#[test]
fn a_context_as_an_identity_record_decides_the_same() -> Result<(), String> {
    let engine = Engine::from_path(&corpus().join("examples/acme")).map_err(|e| e.to_string())?;
    let mut scratch = engine.scratch();
    for context in zt_eval::whatif::sample(engine.config(), 1000, 11) {
        let ctx = record_part(&context);
        let record = as_record(&ctx);
        let a = engine
            .decide(&ctx, &mut scratch, false)
            .map_err(|e| format!("{e}: {ctx}"))?;
        let a = serde_json::to_value(&a).map_err(|e| e.to_string())?;
        let b = engine
            .decide(&record, &mut scratch, false)
            .map_err(|e| format!("{e}: {record}"))?;
        let mut b = serde_json::to_value(&b).map_err(|e| e.to_string())?;
        if let Some(o) = b.as_object_mut() {
            o.shift_remove("source");
        }
        if a != b {
            return Err(format!(
                "context {ctx}\ndecides {a}\nas a record {record}\ndecides {b}"
            ));
        }
    }
    Ok(())
}

/// The decide bench's 1,000 groups in three levels of references, where
/// nearly every group is decided where its rule fires (`engine/gate.rs`'s
/// eager groups) and memberships chain level to level: the engine agrees with
/// the reference evaluator for the bench's user, and for sampled contexts
/// decided one after another with one scratch (conditions are remembered per
/// context only).
#[test]
fn a_thousand_chained_groups_decide_as_the_reference() -> Result<(), String> {
    use crate::alloc::generate;
    use zt_eval::oracle::config as reference_config;
    let text = generate::config_text(1000);
    let engine = Engine::from_json(&text, "generated").map_err(|e| e.to_string())?;
    let (config, _) = zt_eval::config::load_str(&text, "generated");
    let mut scratch = engine.scratch();
    let contexts = std::iter::once(generate::context())
        .chain(zt_eval::whatif::sample(engine.config(), 40, 5))
        .chain(std::iter::once(generate::context()));
    let mut members = 0;
    for ctx in contexts {
        let decision = engine
            .decide(&ctx, &mut scratch, false)
            .map_err(|e| format!("{e}: {ctx}"))?;
        members += decision.member_names().len();
        let (subject, _) = zt_eval::Subject::from_json(&ctx).map_err(|e| e.to_string())?;
        let oracle = reference_config::decide(&config, &subject);
        let got = reference_config::view_of(&decision);
        if got != oracle {
            return Err(format!(
                "context {ctx}\nengine {got:?}\nreference {oracle:?}"
            ));
        }
    }
    // The bench's user alone is a member of 198 groups: the chains are exercised.
    if members < 2 * 198 {
        return Err(format!("only {members} memberships in all"));
    }
    Ok(())
}

/// A rule repeated across groups is compiled once and its block shared
/// (`engine/rule_code.rs`), while each group keeps a block of its own, which
/// holds its membership: 300 groups of the same three rules, one of which
/// excludes, decide as the reference does.
#[test]
fn repeated_rules_share_one_block_and_groups_keep_their_own() -> Result<(), String> {
    use zt_eval::oracle::config as reference_config;
    let groups: Vec<Value> = (0..300)
        .map(|i| {
            let exclude = if i % 3 == 0 {
                serde_json::json!([{"geo": {"country_code": "PT"}}])
            } else {
                serde_json::json!([])
            };
            serde_json::json!({
                "id": format!("g{i}"), "name": format!("Group {i}"),
                "include": [{"email_domain": {"domain": "acme.com"}},
                            {"okta": {"name": "eng", "identity_provider_id": "okta-1"}}],
                "require": [{"geo": {"country_code": "PT"}}],
                "exclude": exclude,
            })
        })
        .collect();
    let text = serde_json::json!({"access_groups": groups}).to_string();
    let engine = Engine::from_json(&text, "repeated").map_err(|e| e.to_string())?;
    // Three distinct rules and 300 group blocks; without sharing, 900 more.
    let blocks = engine
        .disassembly()
        .lines()
        .filter(|l| l.starts_with("block "))
        .count();
    if blocks > 310 {
        return Err(format!("{blocks} blocks: repeated rules are not shared"));
    }
    let (config, _) = zt_eval::config::load_str(&text, "repeated");
    let mut scratch = engine.scratch();
    for (email, country) in [("a@acme.com", "PT"), ("a@acme.com", "US"), ("b@x.io", "PT")] {
        let ctx =
            serde_json::json!({"identity": {"email": email}, "request": {"country": country}});
        let decision = engine
            .decide(&ctx, &mut scratch, false)
            .map_err(|e| format!("{e}: {ctx}"))?;
        let (subject, _) = zt_eval::Subject::from_json(&ctx).map_err(|e| e.to_string())?;
        let got = reference_config::view_of(&decision);
        if got != reference_config::decide(&config, &subject) {
            return Err(format!("context {ctx}: {got:?}"));
        }
        let want = if (email, country) == ("a@acme.com", "PT") {
            200
        } else {
            0
        };
        if decision.member_names().len() != want {
            return Err(format!(
                "{ctx}: {} members, not {want}",
                decision.member_names().len()
            ));
        }
    }
    Ok(())
}

/// An application's legacy `domain` and `self_hosted_domains` join its
/// destinations once each: one already there (in any spelling with the same
/// canonical form) is not added again.
#[test]
fn legacy_domains_already_among_destinations_are_not_repeated() {
    let text = r#"{"access_applications": [{"id": "a", "name": "Legacy",
        "domain": "legacy.example.org",
        "self_hosted_domains": ["legacy.example.org", "LEGACY.example.org", "old.example.org/app", "old.example.org/app"],
        "policies": []}]}"#;
    let (config, problems) = zt_eval::config::load_str(text, "legacy");
    assert!(
        problems.iter().all(|p| p.severity != Severity::Error),
        "{problems:?}"
    );
    let app = config.applications.first();
    let uris: Vec<String> = app
        .map(|a| {
            a.destinations
                .iter()
                .map(|d| format!("{:?}", d.target))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(uris.len(), 2, "{uris:?}");
}

/// A configuration built in code may hold a precedence of `-0.0`, which the
/// reader never makes (it reads `-0` as `0`): the engine orders profiles and
/// an application's policies by `config::precedence_order`, so `-0.0` ties
/// with `0.0` and the earlier in the input is checked first, as the
/// reference has it (`f64::total_cmp` alone put `-0.0` first). The tie is
/// warned of, as a tie of zeros.
#[test]
fn minus_zero_set_in_code_ties_with_zero() -> Result<(), String> {
    let (mut config, problems) = zt_eval::config::load_str(
        r#"{"device_profiles": [
             {"policy_id": "dp-zero", "name": "Zero", "precedence": 0, "match": "os.name == \"mac\""},
             {"policy_id": "dp-minus", "name": "Minus zero", "precedence": 1, "match": "os.name == \"mac\""}],
           "access_applications": [
             {"id": "a", "name": "App", "domain": "app.example.com", "policies": [
               {"name": "Allow at 0", "decision": "allow", "precedence": 0, "include": [{"everyone": {}}]},
               {"name": "Deny at -0", "decision": "deny", "precedence": 1, "include": [{"everyone": {}}]}]}]}"#,
        "in code",
    );
    let profile = config.device_profiles.get_mut(1).ok_or("profile")?;
    profile.precedence = Some(-0.0);
    let entry = config
        .applications
        .get_mut(0)
        .and_then(|a| a.policies.get_mut(1))
        .ok_or("policy")?;
    entry.precedence = Some(-0.0);
    if let Some(body) = entry.body.as_mut() {
        body.precedence = Some(-0.0);
    }
    let engine = Engine::from_config(config, problems).map_err(|e| e.to_string())?;
    assert!(
        engine
            .warnings()
            .iter()
            .any(|p| p.message.contains("`Minus zero` has the same precedence")),
        "{:?}",
        engine.warnings()
    );
    let mut scratch = engine.scratch();
    let context = serde_json::json!({"identity": {"email": "a@example.com"}, "device": {"os": {"name": "mac"}}});
    let d = engine
        .decide(&context, &mut scratch, false)
        .map_err(|e| e.to_string())?;
    assert_eq!(d.device_profile_name(), Some("Zero"));
    let words: Vec<String> = d
        .applications
        .iter()
        .flatten()
        .map(|o| format!("{} {}", o.app.name, o.result.word()))
        .collect();
    assert_eq!(words, ["App allow"]);
    Ok(())
}
