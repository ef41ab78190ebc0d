//! A test file (`tests.md` §1), read strictly: unknown keys and wrong types
//! are errors at their JSON path, so a typo in an expectation never turns
//! into a test that checks nothing.

use serde::Deserialize;
use serde_json::{Map, Value};

/// A test file.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    /// The configuration, relative to the test file (`--config` overrides it).
    #[serde(default)]
    pub config: Option<String>,
    /// The tests, in order.
    #[serde(deserialize_with = "crate::json::object::objects")]
    pub tests: Vec<TestCase>,
}

/// One test: a context and what must hold for it.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestCase {
    /// Says what is tested, in the output.
    pub name: String,
    /// The context inline (a context or an identity record).
    #[serde(default)]
    pub context: Option<Value>,
    /// The context in a file, relative to the test file.
    #[serde(default)]
    pub context_file: Option<String>,
    /// What must hold. Only what is written is checked.
    #[serde(deserialize_with = "crate::json::object::object")]
    pub expect: Expect,
    /// Why this test cannot run (a decision word that is none, no context),
    /// found when the file was read: the test is invalid, the others run.
    #[serde(skip)]
    #[schemars(skip)]
    pub problem: Option<String>,
}

/// The expectations of one test.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The device profile (name, id, or `default`).
    #[serde(default)]
    pub device_profile: Option<String>,
    /// The IP profile (name, id, or `default`: the default pool).
    #[serde(default)]
    pub ip_profile: Option<String>,
    /// Groups the context must be a member of.
    #[serde(default)]
    pub member_of: Vec<String>,
    /// Groups the context must not be a member of (known not to be).
    #[serde(default)]
    pub not_member_of: Vec<String>,
    /// Groups whose membership must be unknown.
    #[serde(default)]
    pub member_unknown: Vec<String>,
    /// Posture rules (name or id) that must pass.
    #[serde(default)]
    pub posture_passed: Vec<String>,
    /// Posture rules that must fail.
    #[serde(default)]
    pub posture_failed: Vec<String>,
    /// Posture rules whose result must be unknown.
    #[serde(default)]
    pub posture_unknown: Vec<String>,
    /// URL -> what Access decides for it (`allow`, `deny`, `bypass`,
    /// `non_identity`, `not_protected`), in the order written.
    #[serde(default)]
    #[schemars(schema_with = "access_schema")]
    pub access: Map<String, Value>,
    /// Application (name or id) -> its decision, or `{"decision", "policy",
    /// "requires"}`, in the order written.
    #[serde(default)]
    #[schemars(schema_with = "applications_schema")]
    pub applications: Map<String, Value>,
}

/// What an application is expected to answer.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppExpect {
    /// `allow`, `deny`, `bypass`, `non_identity`.
    #[schemars(extend("enum" = ["allow", "deny", "bypass", "non_identity"]))]
    pub decision: String,
    /// The deciding policy (name or id); absent: not checked.
    #[serde(default)]
    pub policy: Option<String>,
    /// The obligations (`approval`, `purpose_justification`, `isolation`,
    /// `mfa`), as a set; absent: not checked.
    #[serde(default)]
    pub requires: Option<Vec<String>>,
}

/// The decisions an application or a URL may be expected to have.
pub const APP_WORDS: &[&str] = &["allow", "deny", "bypass", "non_identity"];

/// `expect.access`: URL -> a decision word or `not_protected`.
fn access_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let mut words = APP_WORDS.to_vec();
    words.push("not_protected");
    schemars::json_schema!({"type": "object", "additionalProperties": {"enum": words}})
}

/// `expect.applications`: application -> a decision word or an `AppExpect`.
fn applications_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let object = g.subschema_for::<AppExpect>();
    schemars::json_schema!({
        "type": "object",
        "additionalProperties": {"anyOf": [{"enum": APP_WORDS}, object]}
    })
}

/// The JSON Schema of a test file (`zt-eval schema tests`), generated from
/// the types that read it.
pub fn json_schema() -> Value {
    let mut schema = schemars::schema_for!(Suite);
    schema.insert("title".into(), "zt-eval test file".into());
    schema.to_value()
}

/// Reads a test file's JSON.
///
/// # Errors
/// The first problem, `(JSON path, message)`; then each test's own.
pub fn read_suite(v: &Value) -> Result<Suite, Vec<(String, String)>> {
    // An object, not an array read by position.
    let crate::json::object::Object::<Suite>(mut suite) = serde_path_to_error::deserialize(v)
        .map_err(|e| {
            let p = e.path().to_string();
            vec![(
                if p == "." {
                    "$".into()
                } else {
                    format!("$.{p}")
                },
                crate::json::object::message(&e.inner().to_string()),
            )]
        })?;
    let mut errors = Vec::new();
    if suite.tests.is_empty() {
        errors.push((
            "$.tests".into(),
            "a test file needs at least one test".into(),
        ));
    }
    for (i, t) in suite.tests.iter_mut().enumerate() {
        let at = format!("$.tests[{i}]");
        let mut problems: Vec<(String, String)> = Vec::new();
        match (&t.context, &t.context_file) {
            (Some(_), Some(_)) => problems.push((
                at.clone(),
                "give `context` or `context_file`, not both".into(),
            )),
            (None, None) => {
                problems.push((at.clone(), "missing `context` or `context_file`".into()))
            }
            _ => {}
        }
        for (url, want) in &t.expect.access {
            let ok = want
                .as_str()
                .is_some_and(|w| APP_WORDS.contains(&w) || w == "not_protected");
            if !ok {
                problems.push((
                    format!("{at}.expect.access{}", crate::diag::path_key(url)),
                    format!("expected one of {}, not_protected", APP_WORDS.join(", ")),
                ));
            }
        }
        for (app, want) in &t.expect.applications {
            let p = format!("{at}.expect.applications{}", crate::diag::path_key(app));
            match app_expect(want) {
                Ok(e) if !APP_WORDS.contains(&e.decision.as_str()) => {
                    problems.push((
                        p,
                        format!(
                            "unknown decision `{}`: expected one of {}",
                            e.decision,
                            APP_WORDS.join(", ")
                        ),
                    ));
                }
                Ok(_) => {}
                Err(m) => problems.push((p, m)),
            }
        }
        // A test that cannot run is invalid; the file's other tests run.
        if !problems.is_empty() {
            t.problem = Some(
                problems
                    .iter()
                    .map(|(p, m)| format!("{p}: {m}"))
                    .collect::<Vec<_>>()
                    .join("; "),
            );
        }
    }
    if errors.is_empty() {
        Ok(suite)
    } else {
        Err(errors)
    }
}

/// An application's expectation: a word, or the object.
///
/// # Errors
/// Neither a string nor `{"decision", "policy", "requires"}`.
pub fn app_expect(v: &Value) -> Result<AppExpect, String> {
    match v {
        Value::String(w) => Ok(AppExpect {
            decision: w.clone(),
            policy: None,
            requires: None,
        }),
        // Not an array read by position.
        other @ Value::Object(_) => serde_json::from_value(other.clone()).map_err(|e| {
            format!("expected a decision or {{\"decision\", \"policy\", \"requires\"}}: {e}")
        }),
        other => Err(format!(
            "expected a decision or {{\"decision\", \"policy\", \"requires\"}}, found {}",
            crate::diag::json_kind(other)
        )),
    }
}
