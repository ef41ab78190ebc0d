//! Parse and check arbitrary text against the device scheme: must always return,
//! whatever checks must print to text that parses back to the same tree, and
//! its labels, rendered lazily from the source, must read as printed from the tree.
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
        let (lazy, eager) = zt_eval::oracle::labels_both_ways(src, &Scheme::device())
            .unwrap_or_else(|| panic!("`{src}` checks from its source but not from its tree"));
        assert_eq!(lazy, eager, "`{src}`: labels differ");
        // Compiling and evaluating an empty context must not panic either.
        let compiled = checked.compile(&Scheme::device());
        let mut scratch = compiled.scratch();
        let _ = compiled.explain(&zt_eval::Context::new(&Scheme::device()), &mut scratch);
    }
});
