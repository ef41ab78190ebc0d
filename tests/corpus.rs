//! Runs every case of corpus/ (format in corpus/README.md) and reports all failures.

use serde::Deserialize;
use std::path::{Path, PathBuf};
use zt_eval::Diagnostic;
use zt_eval::Scheme;
use zt_eval::ast::Expr;
use zt_eval::check_expression;
use zt_eval::{Limits, parse};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExprFile {
    scheme: serde_json::Value,
    cases: Vec<ExprCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExprCase {
    name: String,
    expr: String,
    #[serde(default)]
    canonical: Option<String>,
    #[serde(default)]
    errors: Option<Vec<ErrorSpec>>,
    #[serde(default)]
    context: Option<serde_json::Value>,
    #[serde(default)]
    result: Option<bool>,
    #[serde(default)]
    because: Option<Vec<String>>,
    #[serde(default)]
    context_error: Option<String>,
    /// Ported cases: rejected with any error (the kinds are wirefilter's own).
    #[serde(default)]
    rejected: bool,
    /// Where zt-eval deliberately differs from wirefilter, why (the case then
    /// states zt-eval's behaviour).
    #[serde(default)]
    #[allow(dead_code, reason = "documentation for the reader of the case")]
    differs: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ErrorSpec {
    kind: String,
    #[serde(default)]
    at: Option<String>,
    #[serde(default)]
    span: Option<[u32; 2]>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    help: Option<String>,
}

pub fn case_files(dir: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    files.sort();
    files
}

/// Reads and decodes one case file; the error names what went wrong.
pub fn read_case_file<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

/// Every expression of `corpus/expr/`, with its file's `scheme`, if it names one.
pub fn expressions() -> Vec<(Option<serde_json::Value>, String)> {
    let mut out = Vec::new();
    for path in case_files("expr") {
        let Ok(v) = read_case_file::<serde_json::Value>(&path) else {
            continue;
        };
        let cases = v.get("cases").and_then(|c| c.as_array());
        for case in cases.into_iter().flatten() {
            if let Some(e) = case.get("expr").and_then(|e| e.as_str()) {
                out.push((v.get("scheme").cloned(), e.to_string()));
            }
        }
    }
    out
}

pub fn scheme_of(v: &serde_json::Value) -> Result<Scheme, String> {
    match v {
        serde_json::Value::String(s) if s == "device" => Ok(Scheme::device()),
        serde_json::Value::String(s) if s == "ip" => Ok(Scheme::ip()),
        other => Scheme::from_json(&other.to_string()).map_err(|e| e.to_string()),
    }
}

fn compare_errors(src: &str, got: &[Diagnostic], want: &[ErrorSpec]) -> Result<(), String> {
    let show = |d: &Diagnostic| {
        format!(
            "{} at `{}` {:?}: {} (help: {:?})",
            d.kind,
            d.span.text(src),
            (d.span.start, d.span.end),
            d.message,
            d.help
        )
    };
    if got.len() != want.len() {
        let all: Vec<String> = got.iter().map(show).collect();
        return Err(format!(
            "expected {} errors, got {}: {all:#?}",
            want.len(),
            got.len()
        ));
    }
    for (d, w) in got.iter().zip(want) {
        let mismatch = d.kind.as_str() != w.kind
            || w.at.as_ref().is_some_and(|at| d.span.text(src) != at)
            || w.span
                .is_some_and(|[s, e]| (d.span.start, d.span.end) != (s, e))
            || w.message.as_ref().is_some_and(|m| &d.message != m)
            || w.help.as_ref().is_some_and(|h| d.help.as_ref() != Some(h));
        if mismatch {
            return Err(format!("got {}", show(d)));
        }
    }
    Ok(())
}

/// Reparses the printed form: the tree must be the same and printing stable.
pub fn round_trip(src: &str) -> Result<(), String> {
    let strip = |mut e: Expr| {
        e.erase_spans();
        e
    };
    let first = parse(src).map_err(|d| format!("does not parse: {}", d.message))?;
    let printed = first.to_string();
    let second = parse(&printed)
        .map_err(|d| format!("printed form `{printed}` does not parse: {}", d.message))?;
    if printed != second.to_string() {
        return Err(format!(
            "printing is not stable: `{printed}` then `{second}`"
        ));
    }
    if strip(first) != strip(second) {
        return Err(format!("printed form `{printed}` parses to another tree"));
    }
    Ok(())
}

fn run_case(scheme: &Scheme, case: &ExprCase) -> Result<(), String> {
    let result = check_expression(&case.expr, scheme, &Limits::default());
    if case.rejected {
        return match result {
            Err(_) => Ok(()),
            Ok(c) => Err(format!(
                "expected it to be rejected, but it checked as `{}`",
                c.canonical()
            )),
        };
    }
    match (&case.errors, result) {
        (Some(want), Err(got)) => compare_errors(&case.expr, &got, want),
        (Some(_), Ok(c)) => Err(format!(
            "expected errors, but it checked as `{}`",
            c.canonical()
        )),
        (None, Err(got)) => Err(format!(
            "expected it to check, got: {}",
            got.iter()
                .map(|d| d.render(&case.expr, None))
                .collect::<String>()
        )),
        (None, Ok(checked)) => {
            if let Some(want) = &case.canonical
                && &checked.canonical() != want
            {
                return Err(format!(
                    "canonical form is `{}`, expected `{want}`",
                    checked.canonical()
                ));
            }
            round_trip(&case.expr)?;
            crate::corpus_eval::run_eval(
                scheme,
                &checked,
                case.context.as_ref(),
                case.result,
                case.because.as_deref(),
                case.context_error.as_deref(),
            )
        }
    }
}

#[test]
fn expression_cases() {
    let mut failures = Vec::new();
    let mut count = 0;
    for file in case_files("expr") {
        let name = file.display().to_string();
        let parsed: Result<ExprFile, String> = read_case_file(&file);
        let f = match parsed {
            Ok(f) => f,
            Err(e) => {
                failures.push(format!("{name}: cannot read: {e}"));
                continue;
            }
        };
        let scheme = match scheme_of(&f.scheme) {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{name}: bad scheme: {e}"));
                continue;
            }
        };
        for case in &f.cases {
            count += 1;
            if let Err(e) = run_case(&scheme, case) {
                failures.push(format!("{name}: {}: {e}", case.name));
            }
        }
    }
    assert!(count > 0, "no expression cases found");
    assert!(
        failures.is_empty(),
        "{} of {count} expression cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
