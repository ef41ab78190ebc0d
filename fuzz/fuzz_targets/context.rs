//! Arbitrary bytes as a context: the batch reader (straight into `Subject`)
//! and the strict reader (`eval`: JSON tree, every error) must both return and
//! accept exactly the same contexts, and read an accepted one to the same
//! `Subject` with the same warnings.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zt_eval::Subject;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let fast = Subject::from_text(text);
    let strict = Subject::from_text_strict(text);
    assert_eq!(
        fast.is_ok(),
        strict.is_ok(),
        "`{text}`: batch says {:?}, eval says {:?}",
        fast.as_ref().err(),
        strict.as_ref().err()
    );
    if let (Ok(fast), Ok(strict)) = (&fast, &strict) {
        assert_eq!(
            format!("{fast:?}"),
            format!("{strict:?}"),
            "`{text}`: batch and eval read different contexts"
        );
    }
});
