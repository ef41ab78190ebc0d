//! The ratio issue 20 sets (`decide_1000_groups/program` at most 2.5 times
//! `decide_50_groups/program`), timed so that a shared machine's noise falls
//! on both sides alike: the two decisions alternate in short rounds in one
//! process, and the ratio is taken of each side's median, of its minimum, and
//! as the median of each round's own ratio.
//! Criterion times each bench in its own five-second window, so a neighbour
//! that wakes up during one of them moves the ratio by half.
//! Twice: for the bench's user, whose memberships grow with the groups (10
//! of 50, 198 of 1,000), and for a user in a handful of groups (3 of 50, 10
//! of 1,000), the user issue 20 pictures.
//!
//! ```sh
//! cargo run --release --example decide_ratio -- 300
//! ```

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../benches/support/generate.rs"]
#[allow(dead_code, reason = "shared with the decide bench")]
mod generate;

use std::hint::black_box;
use std::time::Instant;
use zt_eval::{Engine, EngineScratch, Prepared};

/// Decisions per round and side: about 30 µs of work for 50 groups and 90 µs
/// for 1,000, short enough for a neighbour to spoil only some rounds.
const PER_ROUND: u32 = 50;

fn main() -> Result<(), String> {
    let rounds: usize = match std::env::args().nth(1) {
        Some(n) => n.parse().map_err(|e| format!("ROUNDS: {e}"))?,
        None => 300,
    };
    for (who, context) in [
        (
            "the bench's user (10 of 50 groups, 198 of 1,000)",
            generate::context(),
        ),
        (
            "a user in a handful of groups (3 of 50, 10 of 1,000)",
            generate::few_groups_context(),
        ),
    ] {
        println!("{who}:");
        ratio(rounds, &context)?;
    }
    Ok(())
}

/// Times both sides for one context and prints the ratios.
fn ratio(rounds: usize, context: &serde_json::Value) -> Result<(), String> {
    let small = Side::new(50, context)?;
    let large = Side::new(1000, context)?;
    let (mut small_ns, mut large_ns) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        // Alternate which side goes first, so neither always follows the other.
        if round % 2 == 0 {
            small_ns.push(small.time());
            large_ns.push(large.time());
        } else {
            large_ns.push(large.time());
            small_ns.push(small.time());
        }
    }
    // Each round's two sides ran back to back: their ratio is the pair's.
    let mut paired: Vec<f64> = large_ns.iter().zip(&small_ns).map(|(l, s)| l / s).collect();
    let (paired_median, _) = summary(&mut paired);
    let (small_median, small_min) = summary(&mut small_ns);
    let (large_median, large_min) = summary(&mut large_ns);
    println!("rounds: {rounds} of {PER_ROUND} decisions a side");
    println!("decide_50:   median {small_median:.0} ns, minimum {small_min:.0} ns");
    println!("decide_1000: median {large_median:.0} ns, minimum {large_min:.0} ns");
    println!(
        "ratio: {:.2}x of medians, {:.2}x of minimums",
        large_median / small_median,
        large_min / small_min
    );
    println!("ratio: {paired_median:.2}x, the median of each round's own");
    Ok(())
}

/// One configuration's decision, as the `decide` bench makes it.
struct Side {
    engine: Engine,
    prepared: Prepared,
    scratch: std::cell::RefCell<EngineScratch>,
}

impl Side {
    fn new(groups: usize, context: &serde_json::Value) -> Result<Side, String> {
        let engine = Engine::from_json(&generate::config_text(groups), "generated")
            .map_err(|e| e.to_string())?;
        let prepared = engine.prepare(context).map_err(|e| e.to_string())?;
        let scratch = std::cell::RefCell::new(engine.scratch());
        Ok(Side {
            engine,
            prepared,
            scratch,
        })
    }

    /// Nanoseconds a decision, over one round.
    fn time(&self) -> f64 {
        let mut scratch = self.scratch.borrow_mut();
        let start = Instant::now();
        for _ in 0..PER_ROUND {
            black_box(
                self.engine
                    .decide_prepared(black_box(&self.prepared), &mut scratch),
            );
        }
        start.elapsed().as_nanos() as f64 / f64::from(PER_ROUND)
    }
}

/// The median and the minimum.
fn summary(ns: &mut [f64]) -> (f64, f64) {
    ns.sort_by(f64::total_cmp);
    let median = ns.get(ns.len() / 2).copied().unwrap_or(f64::NAN);
    let min = ns.first().copied().unwrap_or(f64::NAN);
    (median, min)
}
