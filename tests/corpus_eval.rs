//! The evaluation half of expression cases: the compiled program, the reference
//! interpreter and the expected value must all agree; `because` is checked too.

use zt_eval::Checked;
use zt_eval::Context;
use zt_eval::Scheme;
use zt_eval::oracle::expr as reference;

pub fn run_eval(
    scheme: &Scheme,
    checked: &Checked,
    context: Option<&serde_json::Value>,
    result: Option<bool>,
    because: Option<&[String]>,
    context_error: Option<&str>,
) -> Result<(), String> {
    let Some(json) = context else {
        if result.is_some() || because.is_some() || context_error.is_some() {
            return Err("`result`, `because` and `context_error` need a `context`".into());
        }
        return Ok(());
    };
    let ctx = match (Context::from_flat_json(scheme, json), context_error) {
        (Err(e), Some(want)) if e.to_string().contains(want) => return Ok(()),
        (Err(e), _) => return Err(format!("context error: {e}")),
        (Ok(_), Some(want)) => return Err(format!("expected a context error containing `{want}`")),
        (Ok(c), None) => c,
    };
    let Some(want) = result else {
        return Err("a case with a `context` needs a `result`".into());
    };
    let compiled = checked.compile(scheme);
    let mut scratch = compiled.scratch();
    let program = compiled.eval(&ctx, &mut scratch);
    let oracle = reference::eval(checked, &ctx, scheme);
    let explained = compiled.explain(&ctx, &mut scratch);
    if program != want || oracle != want || explained.result != want {
        return Err(format!(
            "expected {want}, program says {program}, reference says {oracle}, explanation says {}",
            explained.result
        ));
    }
    if let Some(b) = because
        && explained.because != b
    {
        return Err(format!("because {:?}, expected {b:?}", explained.because));
    }
    Ok(())
}

/// Every (expression, context) pair of the corpus, compiled: the allocation test's input.
pub fn all_eval_cases() -> Vec<(zt_eval::Compiled, Context)> {
    #[derive(serde::Deserialize)]
    struct File {
        scheme: serde_json::Value,
        cases: Vec<serde_json::Value>,
    }
    let mut out = Vec::new();
    for path in crate::corpus::case_files("expr") {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(file) = serde_json::from_str::<File>(&text) else {
            continue;
        };
        let Ok(scheme) = crate::corpus::scheme_of(&file.scheme) else {
            continue;
        };
        for case in &file.cases {
            let (Some(src), Some(ctx)) = (
                case.get("expr").and_then(|e| e.as_str()),
                case.get("context"),
            ) else {
                continue;
            };
            let (Ok(checked), Ok(ctx)) = (
                zt_eval::check_expression(src, &scheme, &Default::default()),
                Context::from_flat_json(&scheme, ctx),
            ) else {
                continue;
            };
            out.push((checked.compile(&scheme), ctx));
        }
    }
    out
}
