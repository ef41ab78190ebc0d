//! `zt-eval batch`: JSON Lines in, JSON Lines out, one record per non-blank input
//! line, in input order. Lines are read and decided in chunks: while the workers
//! decide one chunk, the next is read, so memory stays flat however long the input
//! and reading does not leave the cores idle.

use super::CliError;
use super::config_cmds::load;
use rayon::prelude::*;
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use zt_eval::Engine;
use zt_eval::EngineScratch;
use zt_eval::whatif::{LineError, decide_line_into};

/// Lines decided together: enough to keep every core busy, few enough to stay small.
const CHUNK: usize = 4096;

/// Input bytes one chunk holds at most (it holds at least one line).
const CHUNK_BYTES: usize = 16 << 20;

/// Output bytes a chunk should produce at most: with a large configuration a
/// record can be far longer than its line, so the next chunk's line count
/// follows the record size seen so far.
const CHUNK_OUT_BYTES: usize = 64 << 20;

/// The longest line read; a longer one is an error record (and skipped to its end).
pub const MAX_LINE: usize = 16 << 20;

/// The range that marks a line longer than `MAX_LINE`.
const TOO_LONG: Range<usize> = usize::MAX..usize::MAX;

/// Lines one worker task decides: large enough that scheduling costs little.
const TASK: usize = 128;

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
    /// Worker threads (default: all cores; at most 512).
    #[arg(long, value_parser = super::parse_threads)]
    threads: Option<usize>,
    /// Write the records here instead of stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Keep each record's applications to these (name or id; repeatable).
    #[arg(long = "app", value_name = "NAME|ID")]
    apps: Vec<String>,
}

/// A run of input lines kept in one buffer.
#[derive(Default)]
struct Chunk {
    bytes: Vec<u8>,
    /// 1-based line number and byte range of each line.
    lines: Vec<(usize, Range<usize>)>,
}

/// Reads up to `max_lines` lines (and about `CHUNK_BYTES`) after line
/// `*line_no` into `chunk`, reusing its memory.
fn read_chunk(
    reader: &mut impl BufRead,
    line_no: &mut usize,
    path: &Path,
    chunk: &mut Chunk,
    max_lines: usize,
) -> Result<(), CliError> {
    chunk.bytes.clear();
    chunk.lines.clear();
    let io = |line: usize, e| {
        CliError::Io(
            format!("cannot read `{}` at line {line}", path.display()),
            e,
        )
    };
    while chunk.lines.len() < max_lines && chunk.bytes.len() < CHUNK_BYTES {
        let start = chunk.bytes.len();
        let n = reader
            .by_ref()
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut chunk.bytes)
            .map_err(|e| io(*line_no + 1, e))?;
        if n == 0 {
            break;
        }
        *line_no += 1;
        if n > MAX_LINE && chunk.bytes.last() != Some(&b'\n') {
            // Too long: drop what was read and skip to the end of the line
            // without keeping it, so an endless line cannot exhaust memory.
            chunk.bytes.truncate(start);
            let mut sink = Vec::new();
            loop {
                sink.clear();
                let m = reader
                    .by_ref()
                    .take(1 << 20)
                    .read_until(b'\n', &mut sink)
                    .map_err(|e| io(*line_no, e))?;
                if m == 0 || sink.last() == Some(&b'\n') {
                    break;
                }
            }
            chunk.lines.push((*line_no, TOO_LONG));
            continue;
        }
        chunk.lines.push((*line_no, start..start + n));
    }
    Ok(())
}

/// Output buffers handed back after writing, so a long batch reuses the same few.
type Buffers = Mutex<Vec<Vec<u8>>>;

fn take_buffer(free: &Buffers) -> Vec<u8> {
    free.lock()
        .ok()
        .and_then(|mut f| f.pop())
        .unwrap_or_else(|| Vec::with_capacity(TASK * 1024))
}

fn give_back(free: &Buffers, mut buffer: Vec<u8>) {
    buffer.clear();
    if let Ok(mut f) = free.lock() {
        f.push(buffer);
    }
}

/// Decides `lines` of `bytes` into JSON lines; returns them and the error count.
fn decide_lines(
    engine: &Engine,
    scratch: &mut EngineScratch,
    bytes: &[u8],
    lines: &[(usize, Range<usize>)],
    explain: bool,
    mut out: Vec<u8>,
) -> (Vec<u8>, usize) {
    let mut errors = 0;
    for (n, range) in lines {
        if *range == TOO_LONG {
            let record = LineError {
                line: *n,
                id: None,
                path: "$".into(),
                message: format!("the line is longer than the limit of {MAX_LINE} bytes"),
                also: Vec::new(),
            };
            let _ = serde_json::to_writer(&mut out, &record);
            out.push(b'\n');
            errors += 1;
            continue;
        }
        let raw = bytes.get(range.clone()).unwrap_or_default();
        // Without its line ending, so a JSON error's column is within the line.
        let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let failed = match std::str::from_utf8(raw) {
            Ok(text) => decide_line_into(engine, scratch, *n, text, explain, &mut out),
            Err(e) => {
                let record = LineError {
                    line: *n,
                    id: None,
                    path: "$".into(),
                    message: format!("the line is not UTF-8 text: {e}"),
                    also: Vec::new(),
                };
                // Serializing a record into memory cannot fail.
                let _ = serde_json::to_writer(&mut out, &record);
                out.push(b'\n');
                Some(true)
            }
        };
        errors += usize::from(failed == Some(true));
    }
    (out, errors)
}

/// Decides a chunk on the pool: runs of `TASK` lines, their JSON lines in order.
fn decide_chunk(
    engine: &Engine,
    scratches: &[Mutex<EngineScratch>],
    chunk: &Chunk,
    explain: bool,
    free: &Buffers,
) -> Vec<(Vec<u8>, usize)> {
    chunk
        .lines
        .par_chunks(TASK)
        .map(|lines| {
            let worker = rayon::current_thread_index().unwrap_or(0);
            let mut own;
            let mut guard = scratches.get(worker).and_then(|m| m.try_lock().ok());
            let scratch = match guard.as_deref_mut() {
                Some(s) => s,
                None => {
                    own = engine.scratch();
                    &mut own
                }
            };
            let out = take_buffer(free);
            decide_lines(engine, scratch, &chunk.bytes, lines, explain, out)
        })
        .collect()
}

/// Runs `batch`.
pub fn run(args: BatchArgs, stdout: &mut (impl Write + Send)) -> Result<u8, CliError> {
    super::check_output(args.output.as_deref(), &[&args.contexts, &args.config])?;
    let mut engine = load(&args.config)?;
    engine
        .keep_applications(&args.apps)
        .map_err(CliError::Usage)?;
    let (input, size): (Box<dyn Read + Send>, Option<u64>) = if args.contexts.as_os_str() == "-" {
        (Box::new(std::io::stdin()), None)
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
                indicatif::ProgressStyle::with_template("{bar:40} {percent:>3}%  {msg}  eta {eta}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            Some(bar)
        }
        _ => None,
    };
    let mut file_out;
    let out: &mut (dyn Write + Send) = match &args.output {
        Some(path) => {
            file_out = super::create_output(path)?;
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
    // One scratch per worker, found by the worker's index: made once, never contended.
    let scratches: Vec<Mutex<EngineScratch>> = (0..pool.current_num_threads())
        .map(|_| Mutex::new(engine.scratch()))
        .collect();
    let mut reader = BufReader::with_capacity(1 << 20, input);
    let mut errors = 0usize;
    let mut line_no = 0usize;
    let mut decided: Vec<(Vec<u8>, usize)> = Vec::new();
    let free = Buffers::default();
    let mut chunk = Chunk::default();
    let mut next = Chunk::default();
    let mut max_lines = CHUNK;
    let started = std::time::Instant::now();
    let mut records = 0usize;
    read_chunk(
        &mut reader,
        &mut line_no,
        &args.contexts,
        &mut chunk,
        max_lines,
    )?;
    // Everything runs on the pool: while the other workers decide this chunk, one
    // writes the previous chunk's records and reads the next chunk, then joins
    // the deciding. No thread waits for I/O and none competes with the workers.
    pool.install(|| {
        while !chunk.lines.is_empty() {
            let (read, done) = rayon::join(
                || {
                    for (bytes, failed) in decided.drain(..) {
                        errors += failed;
                        out.write_all(&bytes)?;
                        give_back(&free, bytes);
                    }
                    read_chunk(
                        &mut reader,
                        &mut line_no,
                        &args.contexts,
                        &mut next,
                        max_lines,
                    )
                },
                || decide_chunk(&engine, &scratches, &chunk, args.explain, &free),
            );
            decided = done;
            // The next chunk's lines, so that its records fit CHUNK_OUT_BYTES.
            let out_bytes: usize = decided.iter().map(|(b, _)| b.len()).sum();
            let per_line = out_bytes / chunk.lines.len().max(1) + 1;
            max_lines = (CHUNK_OUT_BYTES / per_line).clamp(1, CHUNK);
            records += chunk.lines.len();
            if let Some(bar) = &progress {
                bar.inc(chunk.bytes.len() as u64);
                let rate = records as f64 / started.elapsed().as_secs_f64().max(1e-3);
                bar.set_message(format!("{records} records, {rate:.0}/s"));
            }
            // The lines before a read error were decided: their records go out first.
            if read.is_err() {
                for (bytes, _) in decided.drain(..) {
                    out.write_all(&bytes)?;
                }
            }
            read?;
            std::mem::swap(&mut chunk, &mut next);
        }
        Ok::<(), CliError>(())
    })?;
    for (bytes, failed) in decided {
        errors += failed;
        out.write_all(&bytes)?;
    }
    out.flush()?;
    if let Some(bar) = progress {
        bar.finish_and_clear();
        // One line that says what was done, when a person is watching.
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "decided {records} lines in {secs:.1} s ({:.0} records/s), {errors} error record(s)",
            records as f64 / secs.max(1e-3)
        );
    }
    if errors > 0 {
        eprintln!("{errors} of the records are errors");
        return Ok(3);
    }
    Ok(0)
}
