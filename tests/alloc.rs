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
