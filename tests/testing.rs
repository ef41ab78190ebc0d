//! Test files and coverage (`tests.md`) through the library: the shipped test
//! files conform to `zt-eval schema tests` and read, a test of every
//! expectation kind runs, and coverage counts what tests.md §3 says.

use serde_json::{Value, json};
use zt_eval::Engine;
use zt_eval::testing::{Coverage, Outcome, read_suite, run};

fn file(path: &str) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))
}

#[test]
fn shipped_test_files_conform_to_their_schema() -> Result<(), String> {
    let schema =
        jsonschema::validator_for(&zt_eval::testing::json_schema()).map_err(|e| e.to_string())?;
    for path in [
        "corpus/examples/acme-tests/acme.json",
        "corpus/cli/fixtures/tests/small_tests.json",
        "corpus/cli/fixtures/tests/small_failing.json",
        "corpus/cli/fixtures/tests/idp_tests.json",
    ] {
        let v = file(path)?;
        let errors: Vec<String> = schema.iter_errors(&v).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{path}: {errors:?}");
        read_suite(&v).map_err(|e| format!("{path}: {e:?}"))?;
    }
    // What the reader refuses, the schema refuses too.
    let typo = json!({"tests": [{"name": "t", "context": {}, "expect": {"member_off": ["x"]}}]});
    assert!(read_suite(&typo).is_err());
    assert!(!schema.is_valid(&typo));
    // An array where an object belongs is refused, not read by position
    // (serde's derive would): `"expect": []` would be a test of nothing.
    for positional in [
        json!({"tests": [{"name": "t", "context": {}, "expect": []}]}),
        json!({"tests": [{"name": "t", "context": {}, "expect": [null, null, ["x"]]}]}),
        json!({"tests": [["t", {}, null, {"member_of": ["x"]}]]}),
        json!([null, [{"name": "t", "context": {}, "expect": {"member_of": ["x"]}}]]),
    ] {
        assert!(read_suite(&positional).is_err(), "{positional}");
        assert!(!schema.is_valid(&positional), "{positional}");
    }
    let said = read_suite(&json!({"tests": [{"name": "t", "context": {}, "expect": []}]})).err();
    assert_eq!(
        said,
        Some(vec![(
            "$.tests[0].expect".to_string(),
            "expected an object, found an array".to_string()
        )])
    );
    let app = json!({"tests": [{"name": "t", "context": {}, "expect": {"applications": {"A": ["allow"]}}}]});
    let suite = read_suite(&app).map_err(|e| format!("{e:?}"))?;
    let problem = suite.tests.first().and_then(|t| t.problem.clone());
    assert!(
        problem
            .as_deref()
            .is_some_and(|p| p.contains("found an array")),
        "{problem:?}"
    );
    assert!(!schema.is_valid(&app));
    Ok(())
}

#[test]
fn coverage_is_the_share_of_true_and_false_pairs_reached() -> Result<(), String> {
    let engine = Engine::from_path(std::path::Path::new("corpus/cli/fixtures/tests/small.json"))
        .map_err(|e| e.to_string())?;
    let suite = read_suite(&file("corpus/cli/fixtures/tests/small_tests.json")?)
        .map_err(|e| format!("{e:?}"))?;
    let mut cov = Coverage::new(engine.config());
    let mut scratch = engine.scratch();
    for case in &suite.tests {
        let ctx = case.context.clone().unwrap_or_default();
        assert_eq!(
            run(&engine, &mut scratch, case, &ctx, Some(&mut cov)),
            Outcome::Passed
        );
    }
    // Derived by hand in corpus/cli/fixtures/tests/README.md: 13 of 16.
    assert!((cov.percent() - 81.25).abs() < 1e-9, "{}", cov.percent());
    let linux = cov
        .measured()
        .find(|i| i.name == "device profile Linux")
        .ok_or("no Linux item")?;
    // Never reached when Mac matched first: neither true nor false then.
    assert_eq!((linux.true_count, linux.false_count), (1, 0));
    Ok(())
}
