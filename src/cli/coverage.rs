//! `zt-eval coverage`: over a population, which groups, rules, profiles and
//! policies matched nobody and which matched everybody (`tests.md` §3):
//! candidates for cleanup and for review.

use super::CliError;
use super::config_cmds::load;
use crate::Format;
use std::io::Write;
use std::path::PathBuf;
use zt_eval::testing::{Coverage, Item, ItemKind};

/// Arguments of `coverage`.
#[derive(clap::Args, Debug)]
pub struct CoverageArgs {
    /// Configuration: a bundle JSON file or a folder of `<kind>.json` files.
    #[arg(long, value_name = "C")]
    config: PathBuf,
    /// The population: contexts, one JSON object per line (`-` reads stdin).
    #[arg(long, value_name = "X.jsonl")]
    contexts: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

impl CoverageArgs {
    /// Whether `--format json` was asked for.
    pub fn json(&self) -> bool {
        self.format == Format::Json
    }
}

/// Runs `coverage`.
pub fn run(args: CoverageArgs, out: &mut impl Write) -> Result<u8, CliError> {
    let engine = load(&args.config)?;
    let mut cov = Coverage::new(engine.config());
    let mut scratch = engine.scratch();
    let mut bad: Vec<String> = Vec::new();
    let mut bad_count = 0usize;
    super::with_lines(&args.contexts, |lines| {
        for (i, line) in lines.enumerate() {
            let line_no = i + 1;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let decided = std::str::from_utf8(&line)
                .map_err(|_| "not UTF-8".to_string())
                .and_then(|t| zt_eval::json::parse(t).map_err(|e| e.message))
                .and_then(|v| {
                    engine
                        .decide(&v, &mut scratch, true)
                        .map(|d| cov.observe(&d))
                        .map_err(|e| e.to_string())
                });
            if let Err(m) = decided {
                bad_count += 1;
                if bad.len() < 10 {
                    bad.push(format!("line {line_no}: {m}"));
                }
            }
        }
    })?;
    let n = cov.decisions;
    // Never true and never unknown: an unknown result might have been a match.
    let nobody = |i: &&Item| i.true_count == 0 && i.unknown_count == 0;
    let maybe = |i: &&Item| i.true_count == 0 && i.unknown_count > 0;
    let everybody = |i: &&Item| n > 0 && i.true_count == n;
    let listed = |i: &&Item| i.kind != ItemKind::Rule;
    match args.format {
        Format::Json => {
            let names = |f: &dyn Fn(&&Item) -> bool| -> Vec<serde_json::Value> {
                cov.items()
                    .iter()
                    .filter(|i| f(i))
                    .map(|i| serde_json::json!({"kind": i.kind, "name": i.name}))
                    .collect()
            };
            let doc = serde_json::json!({
                "contexts": n,
                "errors": bad_count,
                "percent": cov.percent(),
                "matched_nobody": names(&|i| listed(i) && nobody(i)),
                "matched_everybody": names(&|i| listed(i) && everybody(i)),
                "unknown_never_true": names(&|i| listed(i) && maybe(i)),
                "rules_never_true": names(&|i| i.kind == ItemKind::Rule && nobody(i)),
                "rules_always_true": names(&|i| i.kind == ItemKind::Rule && everybody(i)),
                "items": cov.items(),
            });
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            )?;
        }
        Format::Text => {
            writeln!(
                out,
                "{n} contexts; {:.1}% of (rule, profile, policy) x (true, false) reached",
                cov.percent()
            )?;
            for (title, f) in [
                ("matched nobody", &nobody as &dyn Fn(&&Item) -> bool),
                ("matched everybody", &everybody),
                (
                    "never known to match, unknown for some (inputs not known offline)",
                    &maybe,
                ),
            ] {
                let items: Vec<&Item> = cov.items().iter().filter(|i| listed(i) && f(i)).collect();
                writeln!(out, "{title} ({}):", items.len())?;
                for i in items {
                    writeln!(out, "  {}", i.name)?;
                }
            }
            let never: Vec<&Item> = cov
                .items()
                .iter()
                .filter(|i| i.kind == ItemKind::Rule && nobody(i))
                .collect();
            writeln!(out, "rules never true ({}):", never.len())?;
            for i in never {
                writeln!(out, "  {}", i.name)?;
            }
        }
    }
    for b in &bad {
        anstream::eprintln!(
            "{} {}: {b}",
            super::style::paint(super::style::ERROR, "error:"),
            args.contexts.display()
        );
    }
    if bad_count > bad.len() {
        anstream::eprintln!(
            "… and {} more lines that could not be decided",
            bad_count - bad.len()
        );
    }
    Ok(if bad_count > 0 { 3 } else { 0 })
}
