//! Arbitrary bytes as one batch line against the Acme example: one record
//! always comes out (a decision or an error record), valid JSON, one line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use zt_eval::Engine;
use zt_eval::whatif::decide_line_into;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/examples/acme");
        Engine::from_path(std::path::Path::new(dir)).unwrap_or_else(|e| panic!("{e}"))
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if text.contains('\n') {
        return;
    }
    let engine = engine();
    let mut scratch = engine.scratch();
    let mut out = Vec::new();
    let wrote = decide_line_into(engine, &mut scratch, 1, text, false, &mut out);
    if text.trim().is_empty() {
        assert!(wrote.is_none() && out.is_empty());
        return;
    }
    assert!(wrote.is_some());
    assert_eq!(out.iter().filter(|b| **b == b'\n').count(), 1);
    let record: serde_json::Value = serde_json::from_slice(&out).unwrap_or_else(|e| panic!("{e}"));
    assert!(record.is_object());
});
