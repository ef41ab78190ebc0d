//! `Matcher` (the forward pass of matcher/seq.rs for the shapes it takes, the
//! lazy DFA for the rest) against the `regex` crate, Unicode off, on random
//! patterns built from the pieces policies use and random short inputs over a
//! small alphabet, so matches and near misses are both common. 512 cases;
//! `PROPTEST_CASES` overrides.

use super::Matcher;
use super::seq::Seq;
use super::simple;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;

const PIECES: &[&str] = &[
    "a",
    "b",
    "ab",
    "-",
    "corp-",
    r"\.",
    "[a-z]",
    "[0-9]",
    "[a-b0-9]",
    "[^-]",
    ".",
    "(ab)",
    "(a|b)",
    "a+",
    "b*",
    "[0-9]+",
    "[a-z0-9]+",
    "[a-z]?",
    "a{2}",
    "[ab]{1,3}",
    "-+",
    r"\d+",
    "x",
    "(?i)a",
    r"\b",
    r"\w+",
    "[a-z-]",
    "[^a]",
    "[.]",
    "[a]+",
    "a{2,}",
    "[0-9]{1,3}",
    "a+?",
    "@",
];

fn pattern() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        prop::collection::vec(select(PIECES), 0..5),
        any::<bool>(),
    )
        .prop_map(|(start, pieces, end)| {
            let mut p = String::new();
            if start {
                p.push('^');
            }
            p.extend(pieces);
            if end {
                p.push('$');
            }
            p
        })
}

fn haystack() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(select(&b"ab-0129cxoA.r"[..]), 0..10)
}

/// 512 cases unless `PROPTEST_CASES` says otherwise.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(512),
        ..ProptestConfig::default()
    }
}

/// The Matcher and the regex crate give the same answer for `p` on every input
/// (patterns the regex crate rejects are skipped; the Matcher must accept the rest).
fn agree(p: &str, hays: &[Vec<u8>]) -> Result<(), TestCaseError> {
    let Ok(oracle) = regex::bytes::RegexBuilder::new(p).unicode(false).build() else {
        prop_assert!(
            Matcher::build(p, 1 << 20).is_err(),
            "{:?} is rejected by the regex crate but builds as a Matcher",
            p
        );
        return Ok(());
    };
    same_pass_from_text_and_hir(p)?;
    let Ok(matcher) = Matcher::build(p, 1 << 20) else {
        return Err(TestCaseError::fail(format!(
            "{p} builds in the regex crate but not as a Matcher"
        )));
    };
    let mut cache = matcher.cache();
    for hay in hays {
        prop_assert_eq!(
            matcher.is_match(hay, cache.as_mut()),
            oracle.is_match(hay),
            "pattern {:?} on {:?}",
            p,
            String::from_utf8_lossy(hay)
        );
    }
    Ok(())
}

/// When `simple::read` takes `p` straight from its text, regex-syntax's HIR
/// gives the very same pass.
fn same_pass_from_text_and_hir(p: &str) -> Result<(), TestCaseError> {
    let Some(direct) = simple::read(p, 1 << 20) else {
        return Ok(());
    };
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(p)
        .map_err(|e| TestCaseError::fail(format!("{p:?} read directly, but: {e}")))?;
    let via_hir = Seq::new(&hir, 1 << 20);
    prop_assert_eq!(
        format!("{:?}", Some(&direct)),
        format!("{:?}", via_hir.as_ref()),
        "pattern {:?}",
        p
    );
    Ok(())
}

#[test]
fn matcher_agrees_with_the_regex_crate() {
    let config = config();
    proptest!(config, |(p in pattern(), hays in prop::collection::vec(haystack(), 8))| {
        agree(&p, &hays)?;
    });
}

#[test]
fn the_shapes_policies_use_take_the_forward_pass() {
    for p in [
        "^corp-[a-z0-9]+-[0-9]+$",
        r"@example\.com$",
        "^svc-",
        "admin",
        r"^[a-z]+\.[a-z]+@acme\.com$",
    ] {
        let m = Matcher::build(p, 1 << 20).map_err(|e| e.to_string());
        assert!(matches!(m, Ok(Matcher::Seq(_))), "{p}: {m:?}");
    }
    // A run that could give bytes back to what follows is not.
    for p in ["^[a-z]+[a-z]$", "^a*a", "^[a-z-]+-x$", "a|b"] {
        let m = Matcher::build(p, 1 << 20).map_err(|e| e.to_string());
        assert!(matches!(m, Ok(Matcher::Lazy(_))), "{p}: {m:?}");
    }
}

#[test]
fn matcher_agrees_on_character_soup() {
    let config = config();
    let soup = prop::collection::vec(select(&b"^$[]-az09+*?{2,}.()|\\dw&~ "[..]), 0..12)
        .prop_map(|b| String::from_utf8_lossy(&b).into_owned());
    proptest!(config, |(p in soup, hays in prop::collection::vec(haystack(), 6))| {
        agree(&p, &hays)?;
    });
}
