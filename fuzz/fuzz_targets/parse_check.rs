//! Parse and check arbitrary text against the device scheme: must always return,
//! and whatever checks must print to text that parses back to the same tree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zt_eval::{Limits, Scheme, check_expression, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(checked) = check_expression(src, &Scheme::device(), &Limits::default()) {
        let printed = checked.canonical();
        let mut again =
            parse(&printed).unwrap_or_else(|d| panic!("`{printed}` does not parse: {}", d.message));
        let mut first = checked.expr.clone();
        first.erase_spans();
        again.erase_spans();
        assert_eq!(
            first, again,
            "`{src}` printed as `{printed}` parses to another tree"
        );
    }
});
