//! `zt-eval diff`: the blast radius of a configuration change over a population.

use super::CliError;
use super::config_cmds::load;
/// `diff`'s output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    /// For people.
    Text,
    /// Stable field names, for programs.
    Json,
    /// A Markdown table and examples, for a pull-request comment.
    Markdown,
}
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `diff`.
#[derive(clap::Args, Debug)]
pub struct DiffArgs {
    /// The configuration before the change.
    #[arg(long, value_name = "C1")]
    before: PathBuf,
    /// The configuration after the change.
    #[arg(long, value_name = "C2")]
    after: PathBuf,
    /// The population: contexts, one JSON object per line (`-` reads stdin).
    #[arg(long, value_name = "X.jsonl")]
    contexts: PathBuf,
    /// How many changed contexts to show (`all` for every one).
    #[arg(long, default_value = "20", value_parser = parse_limit)]
    limit: Limit,
    /// Exit with code 4 when anything changed (for CI gates).
    #[arg(long)]
    fail_on_change: bool,
    /// Output format: text, json, or markdown (a summary table and examples,
    /// for a pull-request comment).
    #[arg(long, value_enum, default_value = "text")]
    format: DiffFormat,
    /// Compare these applications only (name or id; repeatable).
    #[arg(long = "app", value_name = "NAME|ID")]
    apps: Vec<String>,
}

/// `--limit N`, or `--limit all` (`None`).
#[derive(Debug, Clone, Copy)]
struct Limit(Option<usize>);

fn parse_limit(s: &str) -> Result<Limit, String> {
    if s == "all" {
        return Ok(Limit(None));
    }
    s.parse()
        .map(|n| Limit(Some(n)))
        .map_err(|_| format!("expected a number or `all`, found `{s}`"))
}

impl DiffArgs {
    /// Whether `--format json` was asked for.
    pub fn json(&self) -> bool {
        self.format == DiffFormat::Json
    }
}

/// Runs `diff`.
pub fn run(args: DiffArgs, out: &mut impl Write) -> Result<u8, CliError> {
    let mut before = load(&args.before)?;
    let mut after = load(&args.after)?;
    // An application may be in one configuration only; each name must be
    // in one of the two.
    for w in &args.apps {
        let one = [&before, &after]
            .iter()
            .any(|e| e.keep_applications_check(std::slice::from_ref(w)).is_ok());
        if !one {
            return Err(CliError::Usage(format!(
                "--app `{w}`: no application has that name or id, before or after"
            )));
        }
    }
    if !args.apps.is_empty() {
        before.hide_applications_except(&args.apps);
        after.hide_applications_except(&args.apps);
    }
    let keep = args.limit.0.unwrap_or(usize::MAX);
    // Bytes, not text: a line that is not UTF-8 is counted and named, and the
    // rest are still decided.
    let report = super::with_lines(&args.contexts, |lines| {
        zt_eval::whatif::diff(&before, &after, lines, keep)
    })?;
    let limit = keep;
    match args.format {
        DiffFormat::Markdown => write!(out, "{}", report.to_markdown(limit))?,
        DiffFormat::Json => writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&report.to_json(limit)).unwrap_or_default()
        )?,
        DiffFormat::Text => write!(out, "{}", report.to_text(limit))?,
    }
    Ok(if args.fail_on_change && report.changed > 0 {
        4
    } else {
        0
    })
}
