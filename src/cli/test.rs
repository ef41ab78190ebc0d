//! `zt-eval test`: run test files of expected decisions (`tests.md`), with
//! coverage; text, JSON or JUnit XML. Exit 0 all passed, 4 a test failed or
//! coverage is below `--min-coverage`, 3 a test or a configuration is
//! invalid (3 wins: a gate never passes on invalid input).

use super::CliError;
use super::config_cmds::load;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use zt_eval::Engine;
use zt_eval::testing::{Coverage, Outcome, TestCase, read_suite};

/// Output of `test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TestFormat {
    /// For people.
    Text,
    /// `{"passed", "failed", "invalid", "tests": […]}`.
    Json,
    /// JUnit XML, as CI systems render it.
    Junit,
}

/// Arguments of `test`.
#[derive(clap::Args, Debug)]
pub struct TestArgs {
    /// Test files (JSON, or YAML by `.yaml` / `.yml`); a folder means its test files.
    #[arg(required = true, value_name = "TESTS")]
    tests: Vec<PathBuf>,
    /// The configuration, instead of each test file's `config` (with
    /// `--plan`: the export holding what the plan does not manage).
    #[arg(long, value_name = "C")]
    config: Option<PathBuf>,
    /// Test what a Terraform plan would apply (`terraform show -json`): its
    /// planned values, laid over `--config`.
    #[arg(long, value_name = "PLAN.json")]
    plan: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: TestFormat,
    /// Report which group rules, profiles and policies the tests made true and false.
    #[arg(long)]
    coverage: bool,
    /// Exit 4 when coverage is below P percent (implies --coverage).
    #[arg(long, value_name = "P")]
    min_coverage: Option<f64>,
}

impl TestArgs {
    /// Whether errors should be JSON.
    pub fn json(&self) -> bool {
        self.format == TestFormat::Json
    }
}

/// One test's result, for every format.
struct Ran {
    file: String,
    name: String,
    outcome: Outcome,
}

/// The test files named: files as given, and in a folder its `.json` /
/// `.yaml` / `.yml` files, by name, that hold `tests` (a context or a
/// configuration kept beside the tests is skipped, with a note).
/// Each file is read once, here: its JSON, or why it cannot be read.
type Read = (PathBuf, Result<serde_json::Value, CliError>);

fn test_files(paths: &[PathBuf]) -> Result<Vec<Read>, CliError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut names: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| CliError::Io(format!("cannot read `{}`", p.display()), e))?
                .filter_map(Result::ok)
                .map(|d| d.path())
                .filter(|f| {
                    f.extension()
                        .is_some_and(|x| x == "json" || x == "yaml" || x == "yml")
                })
                .collect();
            names.sort();
            let mut files: Vec<Read> = names
                .into_iter()
                .map(|f| {
                    let v = read_value(&f);
                    (f, v)
                })
                .collect();
            // A file that does not parse, or that looks like neither a test
            // file nor anything else, is read as a test file and its error
            // stops the run: a broken test must never pass as skipped.
            files.retain(|(f, read)| {
                let other = read.as_ref().ok().is_some_and(|v| {
                    v.get("tests").is_none()
                        && v.as_object().is_some_and(|o| {
                            o.keys().any(|k| {
                                [
                                    "identity",
                                    "device",
                                    "request",
                                    "user_uuid",
                                    "devicePosture",
                                    "success",
                                    "result",
                                ]
                                .contains(&k.as_str())
                                    || zt_eval::config::KINDS.contains(&k.as_str())
                            })
                        })
                });
                if other {
                    anstream::eprintln!(
                        "note: {}: a context or a configuration, not a test file; skipped",
                        f.display()
                    );
                }
                !other
            });
            if files.is_empty() {
                return Err(CliError::Input(format!(
                    "{}: the folder holds no test files",
                    p.display()
                )));
            }
            out.extend(files);
        } else {
            out.push((p.clone(), read_value(p)));
        }
    }
    Ok(out)
}

/// A JSON or YAML file as a JSON value, its syntax errors located.
fn read_value(path: &Path) -> Result<serde_json::Value, CliError> {
    let text = super::read_input(path)?;
    let yaml = path.extension().is_some_and(|x| x == "yaml" || x == "yml");
    if yaml {
        serde_saphyr::from_str::<serde_json::Value>(&text).map_err(|e| {
            // The reader's own rendering names `<input>` and says `error:`.
            let m = e.to_string();
            let m = m
                .trim_start_matches("error: ")
                .replace("<input>", &path.display().to_string());
            CliError::Input(format!("{}: {}", path.display(), m.trim_end()))
        })
    } else {
        zt_eval::json::parse(&text).map_err(|e| {
            CliError::Input(format!(
                "{}: {}",
                path.display(),
                zt_eval::json::located(&e)
            ))
        })
    }
}

/// Runs `test`.
pub fn run(args: TestArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    let files = test_files(&args.tests)?;
    let coverage_on = args.coverage || args.min_coverage.is_some();
    if let Some(p) = args.min_coverage
        && !(0.0..=100.0).contains(&p)
    {
        return Err(CliError::Usage(format!(
            "--min-coverage {p}: expected a percentage from 0 to 100"
        )));
    }
    // One engine (and one coverage) per configuration.
    let mut engines: Vec<(PathBuf, Engine, Coverage)> = Vec::new();
    let mut index: HashMap<PathBuf, usize> = HashMap::new();
    if let Some(plan) = &args.plan {
        let (_, after, _) = super::diff::plan_engines(plan, args.config.as_deref())?;
        let cov = Coverage::new(after.config());
        engines.push((plan.clone(), after, cov));
    }
    let mut ran: Vec<Ran> = Vec::new();
    for (file, read) in files {
        let file = &file;
        let v = read?;
        let suite = read_suite(&v).map_err(|errors| {
            CliError::Input(
                errors
                    .iter()
                    .map(|(p, m)| format!("{}: {p}: {m}", file.display()))
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
        })?;
        let base = file.parent().unwrap_or(Path::new("."));
        let config = match (&args.config, &suite.config) {
            _ if args.plan.is_some() => args.plan.clone().unwrap_or_default(),
            (Some(c), _) => c.clone(),
            (None, Some(c)) => lexical(&base.join(c)),
            (None, None) => {
                return Err(CliError::Input(format!(
                    "{}: the test file names no `config`; give --config",
                    file.display()
                )));
            }
        };
        let at = match index.get(&config) {
            _ if args.plan.is_some() => 0,
            Some(&i) => i,
            None => {
                let engine = load(&config)?;
                let cov = Coverage::new(engine.config());
                engines.push((config.clone(), engine, cov));
                index.insert(config.clone(), engines.len() - 1);
                engines.len() - 1
            }
        };
        let Some((_, engine, cov)) = engines.get_mut(at) else {
            continue;
        };
        let mut scratch = engine.scratch();
        for case in &suite.tests {
            let outcome = match context_of(case, base) {
                Ok(ctx) => zt_eval::testing::run(
                    engine,
                    &mut scratch,
                    case,
                    &ctx,
                    coverage_on.then_some(&mut *cov),
                ),
                Err(m) => Outcome::Invalid(m),
            };
            ran.push(Ran {
                file: file.display().to_string(),
                name: case.name.clone(),
                outcome,
            });
        }
    }
    let failed = ran
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Failed(_)))
        .count();
    let invalid = ran
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Invalid(_)))
        .count();
    let passed = ran.len() - failed - invalid;
    let coverages: Vec<(&PathBuf, &Coverage)> = if coverage_on {
        engines.iter().map(|(p, _, c)| (p, c)).collect()
    } else {
        Vec::new()
    };
    let below = args
        .min_coverage
        .is_some_and(|min| coverages.iter().any(|(_, c)| c.percent() < min));
    match args.format {
        TestFormat::Text => text(out, &ran, passed, failed, invalid, &coverages)?,
        TestFormat::Json => {
            let tests: Vec<serde_json::Value> = ran.iter().map(ran_json).collect();
            let mut doc = serde_json::Map::new();
            doc.insert("passed".into(), passed.into());
            doc.insert("failed".into(), failed.into());
            doc.insert("invalid".into(), invalid.into());
            doc.insert("tests".into(), tests.into());
            if coverage_on {
                doc.insert(
                    "coverage".into(),
                    coverages.iter().map(|(p, c)| coverage_json(p, c)).collect(),
                );
            }
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            )?;
        }
        TestFormat::Junit => junit(out, &ran)?,
    }
    if let Some(min) = args.min_coverage {
        for (config, c) in coverages.iter().filter(|(_, c)| c.percent() < min) {
            anstream::eprintln!(
                "coverage of {} is {:.1}%, below --min-coverage {min}%",
                config.display(),
                c.percent()
            );
        }
    }
    if args.format == TestFormat::Junit {
        // JUnit has no place for coverage: it goes to stderr.
        for (config, c) in &coverages {
            anstream::eprintln!(
                "coverage of {}: {:.1}% of (rule, profile, policy) x (true, false) over {} decisions",
                config.display(),
                c.percent(),
                c.decisions
            );
        }
    }
    Ok(if invalid > 0 {
        3
    } else if failed > 0 || below {
        4
    } else {
        0
    })
}

/// `a/b/../c` as `a/c`, so that messages name the configuration as a person
/// would (the path is not resolved: links stay as written).
fn lexical(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir
                if out
                    .components()
                    .next_back()
                    .is_some_and(|l| matches!(l, Component::Normal(_))) =>
            {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The test's context: inline, or its file relative to the test file.
fn context_of(case: &TestCase, base: &Path) -> Result<serde_json::Value, String> {
    match (&case.context, &case.context_file) {
        (Some(v), _) => Ok(v.clone()),
        (None, Some(f)) => {
            let path = base.join(f);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
            zt_eval::json::parse(&text)
                .map_err(|e| format!("{}: {}", path.display(), zt_eval::json::located(&e)))
        }
        (None, None) => Err("the test has no context".into()),
    }
}

fn ran_json(r: &Ran) -> serde_json::Value {
    let failures: Vec<serde_json::Value> = match &r.outcome {
        Outcome::Failed(fs) => fs
            .iter()
            .map(|f| serde_json::json!({"expect": f.expect, "got": f.got, "why": f.why}))
            .collect(),
        Outcome::Passed | Outcome::Invalid(_) => Vec::new(),
    };
    let mut t = serde_json::Map::new();
    t.insert("name".into(), r.name.clone().into());
    t.insert("file".into(), r.file.clone().into());
    t.insert("ok".into(), matches!(r.outcome, Outcome::Passed).into());
    t.insert("failures".into(), failures.into());
    if let Outcome::Invalid(m) = &r.outcome {
        t.insert("error".into(), m.clone().into());
    }
    serde_json::Value::Object(t)
}

fn coverage_json(config: &Path, c: &Coverage) -> serde_json::Value {
    serde_json::json!({
        "config": config.display().to_string(),
        "percent": c.percent(),
        "decisions": c.decisions,
        "items": c.measured().collect::<Vec<_>>(),
    })
}

fn text(
    out: &mut dyn Write,
    ran: &[Ran],
    passed: usize,
    failed: usize,
    invalid: usize,
    coverages: &[(&PathBuf, &Coverage)],
) -> Result<(), CliError> {
    use super::style::{ALLOW, ERROR, paint};
    for r in ran {
        match &r.outcome {
            Outcome::Passed => writeln!(out, "{}      {}", paint(ALLOW, "ok"), r.name)?,
            Outcome::Failed(fs) => {
                writeln!(out, "{}  {}", paint(ERROR, "FAILED"), r.name)?;
                for f in fs {
                    writeln!(out, "          expected {}", f.expect)?;
                    writeln!(out, "          got      {}", f.got)?;
                    for w in &f.why {
                        writeln!(out, "            {w}")?;
                    }
                }
            }
            Outcome::Invalid(m) => {
                writeln!(out, "{} {}", paint(ERROR, "INVALID"), r.name)?;
                writeln!(out, "          {m}")?;
            }
        }
    }
    writeln!(
        out,
        "{} tests: {passed} passed, {failed} failed, {invalid} invalid",
        ran.len()
    )?;
    for (config, c) in coverages {
        writeln!(
            out,
            "coverage of {}: {:.1}% of (rule, profile, policy) x (true, false) over {} decision{}",
            config.display(),
            c.percent(),
            c.decisions,
            if c.decisions == 1 { "" } else { "s" }
        )?;
        for i in c.measured() {
            let missing = match (i.true_count > 0, i.false_count > 0) {
                (true, true) => continue,
                (false, false) => "never reached",
                (true, false) => "never false",
                (false, true) => "never true",
            };
            writeln!(out, "  {missing:<14} {}", i.name)?;
        }
    }
    Ok(())
}

fn junit(out: &mut dyn Write, ran: &[Ran]) -> Result<(), CliError> {
    use quick_junit::{NonSuccessKind, Report, TestCase as JCase, TestCaseStatus, TestSuite};
    let mut report = Report::new("zt-eval");
    let mut suites: Vec<TestSuite> = Vec::new();
    for r in ran {
        let status = match &r.outcome {
            Outcome::Passed => TestCaseStatus::success(),
            Outcome::Failed(fs) => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(format!("{} expectation(s) did not hold", fs.len()));
                s.set_description(
                    fs.iter()
                        .map(|f| {
                            format!(
                                "expected {}\ngot      {}\n{}",
                                f.expect,
                                f.got,
                                f.why.join("\n")
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("\n\n"),
                );
                s
            }
            Outcome::Invalid(m) => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
                s.set_message(m.clone());
                s
            }
        };
        let mut case = JCase::new(r.name.clone(), status);
        case.set_classname(r.file.clone());
        match suites.iter_mut().find(|s| s.name.as_str() == r.file) {
            Some(s) => {
                s.add_test_case(case);
            }
            None => {
                let mut s = TestSuite::new(r.file.clone());
                s.add_test_case(case);
                suites.push(s);
            }
        }
    }
    report.add_test_suites(suites);
    let xml = report
        .to_string()
        .map_err(|e| CliError::Input(format!("cannot write JUnit XML: {e}")))?;
    writeln!(out, "{xml}")?;
    Ok(())
}
