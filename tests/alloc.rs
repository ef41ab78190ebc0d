//! Evaluation allocates nothing: every corpus expression, on its context, in a loop.

#[test]
fn evaluation_does_not_allocate() {
    let cases = crate::corpus_eval::all_eval_cases();
    assert!(!cases.is_empty(), "no evaluation cases in the corpus");
    let mut scratches: Vec<_> = cases.iter().map(|(c, _)| c.scratch()).collect();
    // One warm-up pass lets each scratch buffer grow to its working size.
    for ((compiled, ctx), scratch) in cases.iter().zip(&mut scratches) {
        let _ = compiled.eval(ctx, scratch);
    }
    let info = allocation_counter::measure(|| {
        for _ in 0..10 {
            for ((compiled, ctx), scratch) in cases.iter().zip(&mut scratches) {
                std::hint::black_box(compiled.eval(ctx, scratch));
            }
        }
    });
    assert_eq!(
        info.count_total,
        0,
        "{} allocations in {} evaluations",
        info.count_total,
        cases.len() * 10
    );
}

#[test]
fn the_counter_is_live() {
    // Guards against a vacuous pass: the counter must see a real allocation.
    let info = allocation_counter::measure(|| {
        std::hint::black_box(vec![1u8; 16]);
    });
    assert!(info.count_total >= 1);
}

#[path = "../benches/support/generate.rs"]
#[allow(dead_code, reason = "shared with the decide bench")]
pub(crate) mod generate;

/// A whole decision (groups, profiles, 100 applications and 300 policies,
/// gates included) allocates nothing once its scratch has grown.
#[test]
fn decision_does_not_allocate() {
    let engine = zt_eval::Engine::from_json(&generate::config_text_with_apps(50), "generated")
        .unwrap_or_else(|e| unreachable!("{e:?}"));
    let prepared = engine
        .prepare(&generate::context())
        .unwrap_or_else(|e| unreachable!("{e}"));
    let mut scratch = engine.scratch();
    let _ = engine.decide_prepared(&prepared, &mut scratch);
    let info = allocation_counter::measure(|| {
        for _ in 0..10 {
            std::hint::black_box(engine.decide_prepared(&prepared, &mut scratch));
        }
    });
    assert_eq!(
        info.count_total, 0,
        "{} allocations in 10 decisions",
        info.count_total
    );
}
