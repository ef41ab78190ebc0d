//! Golden tests of the binary: each case of corpus/cli/*.json runs
//! `CARGO_BIN_EXE_zt-eval` from the repository root and compares the exit code,
//! stdout and stderr (exactly, or by the substrings given).

use serde::Deserialize;
use std::io::Write;
use std::process::{Command, Stdio};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    args: Vec<String>,
    #[serde(default)]
    stdin: Option<String>,
    code: i32,
    /// Exact stdout.
    #[serde(default)]
    stdout: Option<String>,
    /// Substrings stdout must contain, in order.
    #[serde(default)]
    stdout_has: Vec<String>,
    /// Exact stderr.
    #[serde(default)]
    stderr: Option<String>,
    /// Substrings stderr must contain, in order.
    #[serde(default)]
    stderr_has: Vec<String>,
}

fn in_order(text: &str, parts: &[String]) -> Result<(), String> {
    let mut rest = text;
    for p in parts {
        match rest.find(p.as_str()) {
            Some(i) => rest = rest.get(i + p.len()..).unwrap_or(""),
            None => return Err(format!("missing `{p}` (in order) in:\n{text}")),
        }
    }
    Ok(())
}

fn run(case: &Case) -> Result<(), String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_zt-eval"))
        .args(&case.args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(case.stdin.as_deref().unwrap_or("").as_bytes());
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() != Some(case.code) {
        return Err(format!(
            "exit {:?}, expected {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
            out.status.code(),
            case.code
        ));
    }
    if let Some(want) = &case.stdout
        && stdout != *want
    {
        return Err(format!("stdout:\n{stdout}\nexpected:\n{want}"));
    }
    if let Some(want) = &case.stderr
        && stderr != *want
    {
        return Err(format!("stderr:\n{stderr}\nexpected:\n{want}"));
    }
    in_order(&stdout, &case.stdout_has).map_err(|e| format!("stdout: {e}"))?;
    in_order(&stderr, &case.stderr_has).map_err(|e| format!("stderr: {e}"))
}

#[test]
fn golden_cli_cases() {
    let mut failures = Vec::new();
    let mut count = 0;
    for path in crate::corpus::case_files("cli") {
        let f: File = match crate::corpus::read_case_file(&path) {
            Ok(f) => f,
            Err(e) => {
                failures.push(format!("{}: cannot read: {e}", path.display()));
                continue;
            }
        };
        for case in &f.cases {
            count += 1;
            if let Err(e) = run(case) {
                failures.push(format!("{}: {}: {e}", path.display(), case.name));
            }
        }
    }
    assert!(count > 0, "no cli cases");
    assert!(
        failures.is_empty(),
        "{} of {count} cli cases failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn closed_stdout_ends_quietly() {
    let child = Command::new(env!("CARGO_BIN_EXE_zt-eval"))
        .args([
            "sample",
            "--config",
            "corpus/cli/fixtures/bundle.json",
            "--count",
            "200000",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    assert!(child.is_ok(), "cannot run the binary: {child:?}");
    let Ok(mut child) = child else { return };
    // Read one line and close the pipe, as `| head -1` does.
    drop(child.stdout.take());
    let out = child.wait_with_output().map_err(|e| e.to_string());
    let out = out.as_ref().map_err(|e| e.clone());
    assert!(
        matches!(out, Ok(o) if o.status.code() == Some(0) && o.stderr.is_empty()),
        "{out:?}"
    );
}

/// Every command that writes to stdout fails (exit 1) when the write fails, as
/// on a full disk, instead of exiting 0 with the output lost (issue 15 item 7).
#[test]
fn a_full_disk_fails_every_command() -> Result<(), String> {
    let acme = "corpus/examples/acme";
    let pop = "corpus/cli/fixtures/population";
    let runs: [&[&str]; 7] = [
        &[
            "eval",
            "--config",
            acme,
            "--context",
            "corpus/examples/acme/contexts/alice.json",
        ],
        &["check", "--config", acme],
        &["expr", "os.name == \"mac\""],
        &["sample", "--config", acme, "--count", "100"],
        &["population", "--users", &format!("{pop}/users.json")],
        &["test", "corpus/examples/acme-tests/acme.json"],
        &[
            "coverage",
            "--config",
            acme,
            "--contexts",
            &format!("{pop}/population.jsonl"),
        ],
    ];
    for args in runs {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .map_err(|e| e.to_string())?;
        let status = Command::new(env!("CARGO_BIN_EXE_zt-eval"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(full)
            .stderr(Stdio::null())
            .status()
            .map_err(|e| e.to_string())?;
        assert_eq!(status.code(), Some(1), "{args:?}");
    }
    Ok(())
}

/// `test --format junit` is JUnit XML a parser accepts, in the shape CI
/// systems read: `testsuites` > `testsuite` (one per test file, with
/// `tests` and `failures` counts that add up) > `testcase` (`name`,
/// `classname`), a `failure` child on each failing test.
#[test]
fn junit_output_parses_as_junit() -> Result<(), String> {
    let out = Command::new(env!("CARGO_BIN_EXE_zt-eval"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "test",
            "corpus/cli/fixtures/tests/small_failing.json",
            "corpus/cli/fixtures/tests/small_tests.json",
            "--format",
            "junit",
        ])
        .output()
        .map_err(|e| e.to_string())?;
    assert_eq!(out.status.code(), Some(4));
    let text = String::from_utf8(out.stdout).map_err(|e| e.to_string())?;
    let doc = roxmltree::Document::parse(&text).map_err(|e| e.to_string())?;
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 2);
    let mut failures = 0;
    for s in &suites {
        let cases: Vec<_> = s
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        let failed = cases
            .iter()
            .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
            .count();
        assert_eq!(s.attribute("tests"), Some(cases.len().to_string().as_str()));
        assert_eq!(s.attribute("failures"), Some(failed.to_string().as_str()));
        assert!(
            cases
                .iter()
                .all(|c| c.attribute("name").is_some() && c.attribute("classname").is_some())
        );
        failures += failed;
    }
    assert_eq!(failures, 1);
    assert_eq!(root.attribute("failures"), Some("1"));
    Ok(())
}

/// The CI example of docs/ci.md, run as a script on the fixtures.
#[test]
fn ci_example_script_runs() -> Result<(), String> {
    let out = Command::new("bash")
        .arg("tests/ci_example.sh")
        .env("ZT_EVAL", env!("CARGO_BIN_EXE_zt-eval"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("ci example: ok"));
    Ok(())
}
