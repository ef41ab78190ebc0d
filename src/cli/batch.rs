//! `zt-eval batch`: JSON Lines in, JSON Lines out, one record per non-blank input
//! line, in input order. Lines are read and decided in chunks, each chunk in
//! parallel, so memory stays flat however long the input.

use super::CliError;
use super::config_cmds::load;
use rayon::prelude::*;
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::path::PathBuf;
use zt_eval::simulate::{Record, decide_line};

/// Lines decided together: enough to keep every core busy, few enough to stay small.
const CHUNK: usize = 2048;

/// Arguments of `batch`.
#[derive(clap::Args, Debug)]
pub struct BatchArgs {
    /// Configuration: a bundle JSON file or a folder of `<kind>.json` files.
    #[arg(long, value_name = "C")]
    config: PathBuf,
    /// Contexts, one JSON object per line (`-` reads stdin).
    #[arg(long, value_name = "X.jsonl")]
    contexts: PathBuf,
    /// Include the explanation in every decision.
    #[arg(long)]
    explain: bool,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Write the records here instead of stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// One record as its JSON line.
fn encode(record: Record) -> (bool, Vec<u8>) {
    let mut line = serde_json::to_vec(&record).unwrap_or_else(|e| {
        // Serializing a JSON value cannot fail; say so in the output if it ever does.
        serde_json::json!({"error": {"path": "$", "message": format!("cannot write the record: {e}")}})
            .to_string()
            .into_bytes()
    });
    line.push(b'\n');
    (record.is_error(), line)
}

/// Runs `batch`.
pub fn run(args: BatchArgs, stdout: &mut impl Write) -> Result<u8, CliError> {
    let engine = load(&args.config)?;
    let (input, size): (Box<dyn Read>, Option<u64>) = if args.contexts.as_os_str() == "-" {
        (Box::new(std::io::stdin().lock()), None)
    } else {
        let f = std::fs::File::open(&args.contexts)
            .map_err(|e| CliError::Io(format!("cannot read `{}`", args.contexts.display()), e))?;
        let size = f.metadata().ok().map(|m| m.len());
        (Box::new(f), size)
    };
    let progress = match size {
        Some(n) if std::io::stderr().is_terminal() => {
            let bar = indicatif::ProgressBar::new(n);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} {per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            Some(bar)
        }
        _ => None,
    };
    let mut file_out;
    let out: &mut dyn Write = match &args.output {
        Some(path) => {
            file_out = std::io::BufWriter::new(
                std::fs::File::create(path)
                    .map_err(|e| CliError::Io(format!("cannot write `{}`", path.display()), e))?,
            );
            &mut file_out
        }
        None => stdout,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .map_err(|e| {
            CliError::Input(format!(
                "cannot start {} threads: {e}",
                args.threads.unwrap_or(0)
            ))
        })?;
    let mut reader = BufReader::new(input);
    let mut errors = 0usize;
    let mut line_no = 0usize;
    let mut chunk: Vec<(usize, String)> = Vec::with_capacity(CHUNK);
    loop {
        chunk.clear();
        let mut read_bytes = 0u64;
        while chunk.len() < CHUNK {
            let mut line = String::new();
            let n = reader.read_line(&mut line).map_err(|e| {
                CliError::Io(
                    format!(
                        "cannot read `{}` at line {}",
                        args.contexts.display(),
                        line_no + 1
                    ),
                    e,
                )
            })?;
            if n == 0 {
                break;
            }
            read_bytes += n as u64;
            line_no += 1;
            chunk.push((line_no, line));
        }
        if chunk.is_empty() {
            break;
        }
        // Workers decide and serialize; this thread only copies bytes, in order.
        let records: Vec<Option<(bool, Vec<u8>)>> = pool.install(|| {
            chunk
                .par_iter()
                .map_init(
                    || engine.scratch(),
                    |scratch, (n, text)| {
                        decide_line(&engine, scratch, *n, text, args.explain).map(encode)
                    },
                )
                .collect()
        });
        for (is_error, bytes) in records.into_iter().flatten() {
            errors += usize::from(is_error);
            out.write_all(&bytes)?;
        }
        if let Some(bar) = &progress {
            bar.inc(read_bytes);
        }
    }
    out.flush()?;
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    if errors > 0 {
        eprintln!("{errors} of the records are errors");
        return Ok(3);
    }
    Ok(0)
}
