//! The Terraform reader (`terraform show -json` plans and states, their
//! unknowns and references) and the test-file reader on arbitrary input:
//! never a panic; a plan's sides load as configurations or say why not; a
//! test file that reads runs against a small configuration without panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zt_eval::terraform::{self, Side};

const CONFIG: &str = r#"{"access_groups": [{"id": "g", "name": "G", "include": [{"email_domain": {"domain": "a.com"}}]}],
  "device_profiles": [{"policy_id": "p", "name": "P", "match": "os.name == \"mac\"", "precedence": 1}]}"#;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(v) = zt_eval::json::parse(text) else {
        return;
    };
    if let Ok(doc) = terraform::read(v.clone()) {
        for side in [Side::Before, Side::After] {
            let b = terraform::bundle(&doc, side);
            let _ = zt_eval::config::load_str(&b.json.to_string(), "fuzz");
        }
        let _ = terraform::changed_resources(&doc);
        let _ = terraform::action_counts(&doc);
    }
    let _ = zt_eval::config::load_str(text, "fuzz");
    if let Ok(suite) = zt_eval::testing::read_suite(&v)
        && let Ok(engine) = zt_eval::Engine::from_json(CONFIG, "fuzz")
    {
        let mut scratch = engine.scratch();
        let mut cov = zt_eval::testing::Coverage::new(engine.config());
        for case in suite.tests.iter().take(8) {
            if let Some(ctx) = &case.context {
                let _ = zt_eval::testing::run(&engine, &mut scratch, case, ctx, Some(&mut cov));
            }
        }
        let _ = cov.percent();
    }
});
