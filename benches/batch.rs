//! Batch throughput end to end on the Acme example: read a JSON line, decide it,
//! write the JSON record, for a sampled population of 200,000 contexts, single-threaded and on every
//! core (rayon). As `zt-eval batch` does, each task of 128 lines is written
//! into an output buffer that is then reused: a single buffer of every record
//! (half a gigabyte) measured its own growth and page faults, and halved the
//! throughput it reported. Beside them,
//! `scan_only`: the same lines merely scanned by serde_json into `IgnoredAny`
//! (nothing kept), the floor a reader of these lines cannot go below; issue
//! 20 sets `one_thread` against it (at least a third of its throughput);
//! and `prepare_only`: the lines read and prepared, nothing decided or
//! written, so that `one_thread` less `prepare_only` is what deciding and
//! writing cost in the pipeline.
//!
//! Run: `cargo bench --bench batch`. For the binary on 200,000 and 1,000,000 lines
//! (throughput and resident memory), see the README's benchmark section.
#![allow(
    missing_docs,
    reason = "criterion's macros generate undocumented items"
)]

// The allocator the `zt-eval` binary uses, so the numbers are the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rayon::prelude::*;
use std::path::Path;
use zt_eval::Engine;
use zt_eval::whatif::decide_line_into;

const LINES: usize = 200_000;

/// Lines `zt-eval batch` decides into one output buffer (`cli/batch.rs`).
const TASK: usize = 128;

fn bench_batch(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/examples/acme");
    let Ok(engine) = Engine::from_path(&dir) else {
        eprintln!("the example configuration does not load");
        return;
    };
    let lines: Vec<String> = zt_eval::whatif::sample(engine.config(), LINES, 1)
        .map(|v| v.to_string())
        .collect();
    let mut group = c.benchmark_group("batch_acme");
    group.throughput(Throughput::Elements(LINES as u64));
    group.sample_size(10);
    group.bench_function("scan_only", |b| {
        b.iter(|| {
            let mut ok = 0usize;
            for line in &lines {
                ok += usize::from(serde_json::from_str::<serde::de::IgnoredAny>(line).is_ok());
            }
            ok
        })
    });
    group.bench_function("one_thread", |b| {
        let mut scratch = engine.scratch();
        // As `zt-eval batch` writes: a task's lines into a buffer that is
        // written out and reused, not one buffer of every record (whose
        // growth and page faults would be measured with the decisions).
        let mut out = Vec::with_capacity(TASK * 4096);
        b.iter(|| {
            let mut total = 0;
            for (t, task) in lines.chunks(TASK).enumerate() {
                for (i, line) in task.iter().enumerate() {
                    decide_line_into(
                        &engine,
                        &mut scratch,
                        t * TASK + i + 1,
                        line,
                        false,
                        &mut out,
                    );
                }
                total += std::hint::black_box(&out).len();
                out.clear();
            }
            total
        })
    });
    // Reading and preparing alone (each prepared context dropped, as
    // `one_thread` drops it), so `one_thread` less this is what deciding and
    // writing cost in the pipeline, with its caches and predictors as they
    // are there. Issue 20's target (a third of `scan_only`) leaves three
    // scans' time for all of it.
    group.bench_function("prepare_only", |b| {
        b.iter(|| {
            let mut ok = 0usize;
            for line in &lines {
                ok += usize::from(std::hint::black_box(engine.prepare_str(line)).is_ok());
            }
            ok
        })
    });
    group.bench_function("all_cores", |b| {
        b.iter(|| {
            lines
                .par_chunks(TASK)
                .map_init(
                    || (engine.scratch(), Vec::with_capacity(TASK * 4096)),
                    |(scratch, out), task| {
                        out.clear();
                        for (i, line) in task.iter().enumerate() {
                            decide_line_into(&engine, scratch, i + 1, line, false, out);
                        }
                        std::hint::black_box(&*out).len()
                    },
                )
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, bench_batch);
criterion_main!(benches);
