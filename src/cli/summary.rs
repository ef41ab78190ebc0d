//! `zt-eval summary`: per application over a population, approved / blocked /
//! unknown counts and percentages and the users of each, as Cloudflare's
//! policy tester reports them (`docs/access.md`).

use super::CliError;
use super::config_cmds::load;
use crate::Format;
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `summary`.
#[derive(clap::Args, Debug)]
pub struct SummaryArgs {
    /// Configuration: a bundle JSON file or a folder of `<kind>.json` files.
    #[arg(long, value_name = "C")]
    config: PathBuf,
    /// The population: contexts, one JSON object per line (`-` reads stdin).
    #[arg(long, value_name = "X.jsonl")]
    contexts: PathBuf,
    /// Keep the summary to these applications (name or id; repeatable).
    #[arg(long = "app", value_name = "NAME|ID")]
    apps: Vec<String>,
    /// How many users to list per application and status (0: none).
    #[arg(long, default_value_t = 20)]
    users: usize,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

impl SummaryArgs {
    /// Whether `--format json` was asked for.
    pub fn json(&self) -> bool {
        self.format == Format::Json
    }
}

/// Runs `summary`.
pub fn run(args: SummaryArgs, out: &mut impl Write) -> Result<u8, CliError> {
    let mut engine = load(&args.config)?;
    if engine.config().applications.is_empty() {
        return Err(CliError::Input(format!(
            "{}: the configuration has no `access_applications` to summarize",
            args.config.display()
        )));
    }
    engine
        .keep_applications(&args.apps)
        .map_err(CliError::Usage)?;
    let summary = super::with_lines(&args.contexts, |lines| {
        zt_eval::whatif::summarize(&engine, lines, args.users)
    })?;
    match args.format {
        Format::Json => writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&summary.to_json()).unwrap_or_default()
        )?,
        Format::Text => write!(out, "{}", summary.to_text(args.users > 0))?,
    }
    // As batch: some lines could not be decided (all others were counted).
    Ok(if summary.errors > 0 { 3 } else { 0 })
}
