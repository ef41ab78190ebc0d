//! A fixed amount of work for `valgrind --tool=callgrind`, which counts
//! instructions repeatably where timings on a shared machine are noisy.
//!
//! ```sh
//! cargo build --release --example instructions
//! valgrind --tool=callgrind --toggle-collect='*decide_prepared*' \
//!     target/release/examples/instructions decide50 1000
//! valgrind --tool=callgrind --toggle-collect='*decide_line_into*' \
//!     target/release/examples/instructions batch 1000
//! ```
//!
//! Divide the collected instructions by the count: `decide50`, `decide1000`
//! and `apps` run the `decide` bench's decision (`decide_prepared` on the
//! generated 50- or 1,000-group configuration, or the 50-group one with 100
//! applications and 300 policies); `few50` and `few1000` the same for a user
//! in a handful of groups (`members COUNT` says how many of COUNT), `scan` scans that many sampled Acme lines
//! into `IgnoredAny` (`--toggle-collect='*scan*'`, the floor batch is set
//! against), `load1000` loads and compiles the
//! 1,000-group configuration (`--toggle-collect='*from_json*'`; `load_scan1000`
//! and `load_tree1000` measure its floors, the text scanned and the text read
//! into serde_json's strict tree; `load_flat1000` into the crate's own, as
//! the loader reads it), `batch` decides that many sampled lines of the
//! Acme example as `batch_acme/one_thread` does.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../benches/support/generate.rs"]
#[allow(dead_code, reason = "shared with the decide bench")]
mod generate;

use std::hint::black_box;
use std::path::Path;
use zt_eval::Engine;

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(mode), Some(count)) = (args.get(1), args.get(2)) else {
        return Err(
            "usage: instructions decide50|decide1000|apps|few50|few1000|load50|load1000|loadapps|load_scan1000|load_tree1000|load_flat1000|members|batch|scan COUNT".into(),
        );
    };
    let count: usize = count.parse().map_err(|e| format!("count: {e}"))?;
    match mode.as_str() {
        "decide50" | "decide1000" | "apps" | "few50" | "few1000" => {
            let groups = if mode.ends_with("1000") { 1000 } else { 50 };
            let text = if mode == "apps" {
                generate::config_text_with_apps(groups)
            } else {
                generate::config_text(groups)
            };
            let engine = Engine::from_json(&text, "generated").map_err(|e| e.to_string())?;
            let context = if mode.starts_with("few") {
                generate::few_groups_context()
            } else {
                generate::context()
            };
            let prepared = engine.prepare(&context).map_err(|e| e.to_string())?;
            let mut scratch = engine.scratch();
            for _ in 0..count {
                black_box(engine.decide_prepared(black_box(&prepared), &mut scratch));
            }
        }
        // How many of COUNT generated groups (50 or 1000, as the decide
        // bench) the bench's context is a member of.
        "members" => {
            let engine = Engine::from_json(&generate::config_text(count), "generated")
                .map_err(|e| e.to_string())?;
            for (who, context) in [
                ("the bench's user", generate::context()),
                ("the few-groups user", generate::few_groups_context()),
            ] {
                let prepared = engine.prepare(&context).map_err(|e| e.to_string())?;
                let mut scratch = engine.scratch();
                engine.decide_prepared(&prepared, &mut scratch);
                let n = engine.config().groups.len();
                let members = (0..n).filter(|&i| engine.is_member(&scratch, i)).count();
                println!("{who}: member of {members} of {n} groups");
            }
        }
        // The floors `load1000` is set against: the 1,000-group configuration
        // scanned into `IgnoredAny` (nothing kept), read into serde_json's
        // strict tree (`json::parse`, what contexts are read into), and into
        // the crate's own (`json::parse_tree`, what the configuration reader
        // works on).
        "load_scan1000" | "load_tree1000" | "load_flat1000" => {
            let text = generate::config_text(1000);
            for _ in 0..count {
                match mode.as_str() {
                    "load_scan1000" => black_box(load_scan(black_box(&text))),
                    "load_tree1000" => usize::from(black_box(load_tree(black_box(&text)))),
                    _ => usize::from(black_box(load_flat(black_box(&text)))),
                };
            }
        }
        "load50" | "load1000" | "loadapps" => {
            let text = match mode.as_str() {
                "load50" => generate::config_text(50),
                "loadapps" => generate::config_text_with_apps(50),
                _ => generate::config_text(1000),
            };
            for _ in 0..count {
                black_box(
                    Engine::from_json(black_box(&text), "generated").map_err(|e| e.to_string())?,
                );
            }
        }
        "batch" | "scan" => {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/examples/acme");
            let engine = Engine::from_path(&dir).map_err(|e| e.to_string())?;
            let lines: Vec<String> = zt_eval::whatif::sample(engine.config(), count, 1)
                .map(|v| v.to_string())
                .collect();
            if mode == "scan" {
                // The floor `batch_acme/scan_only` measures: the same lines
                // scanned by serde_json, nothing kept.
                let mut ok = 0usize;
                for line in &lines {
                    ok += usize::from(scan(black_box(line)));
                }
                black_box(ok);
                return Ok(());
            }
            let mut scratch = engine.scratch();
            // As `batch_acme/one_thread` and the binary do: each task of 128
            // lines is written into one reused buffer, so the count holds no
            // growth of a buffer of every record.
            let mut out = Vec::new();
            for (i, line) in lines.iter().enumerate() {
                if i % 128 == 0 {
                    black_box(&out);
                    out.clear();
                }
                zt_eval::whatif::decide_line_into(
                    &engine,
                    &mut scratch,
                    i + 1,
                    line,
                    false,
                    &mut out,
                );
            }
            black_box(out);
        }
        other => return Err(format!("unknown mode `{other}`")),
    }
    Ok(())
}

/// One line scanned into `IgnoredAny` (`--toggle-collect='*scan*'`).
#[inline(never)]
fn scan(line: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(line).is_ok()
}

/// A configuration scanned into `IgnoredAny`
/// (`--toggle-collect='instructions::load_scan'`).
#[inline(never)]
fn load_scan(text: &str) -> usize {
    serde_json::from_str::<serde::de::IgnoredAny>(text).map_or(0, |_| text.len())
}

/// A configuration read into serde_json's strict tree
/// (`--toggle-collect='instructions::load_tree'`).
#[inline(never)]
fn load_tree(text: &str) -> bool {
    zt_eval::json::parse(text).is_ok()
}

/// A configuration read into the crate's own tree, as the loader reads it
/// (`--toggle-collect='instructions::load_flat'`).
#[inline(never)]
fn load_flat(text: &str) -> bool {
    zt_eval::json::parse_tree(text).is_ok()
}
