//! `zt-eval diff`: the blast radius of a configuration change over a population.

use super::CliError;
use super::config_cmds::load;
use crate::Format;
use std::io::{BufRead, BufReader, Write};
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
    /// How many changed contexts to show.
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// Exit with code 4 when anything changed (for CI gates).
    #[arg(long)]
    fail_on_change: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

/// Runs `diff`.
pub fn run(args: DiffArgs, out: &mut impl Write) -> Result<u8, CliError> {
    let before = load(&args.before)?;
    let after = load(&args.after)?;
    let input: Box<dyn std::io::Read> =
        if args.contexts.as_os_str() == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            Box::new(std::fs::File::open(&args.contexts).map_err(|e| {
                CliError::Io(format!("cannot read `{}`", args.contexts.display()), e)
            })?)
        };
    let mut read_error = None;
    let lines = BufReader::new(input).lines().map_while(|l| match l {
        Ok(l) => Some(l),
        Err(e) => {
            read_error = Some(e);
            None
        }
    });
    let report = zt_eval::whatif::diff(&before, &after, lines);
    if let Some(e) = read_error {
        return Err(CliError::Io(
            format!("cannot read `{}`", args.contexts.display()),
            e,
        ));
    }
    match args.format {
        Format::Json => writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&report.to_json(args.limit)).unwrap_or_default()
        )?,
        Format::Text => write!(out, "{}", report.to_text(args.limit))?,
    }
    Ok(if args.fail_on_change && report.changed > 0 {
        4
    } else {
        0
    })
}
