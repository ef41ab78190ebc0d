//! Labels rendered lazily from the source (`check_source`, what
//! `check_expression` uses) read exactly as the ones printed from the tree
//! (`check_with`), on every corpus expression and on mutated ones.

use proptest::prelude::*;
use zt_eval::Scheme;

/// Both ways of labelling `src` agree (expressions that do not check are skipped).
fn same_labels(src: &str, scheme: &Scheme) -> Result<(), String> {
    let Some((l, e)) = zt_eval::oracle::labels_both_ways(src, scheme) else {
        return Ok(());
    };
    if l == e {
        Ok(())
    } else {
        Err(format!("{src:?}: from source {l:?}, from the tree {e:?}"))
    }
}

/// Every corpus expression, with its file's scheme (the device scheme when
/// the file names none).
fn corpus() -> Vec<(String, Scheme)> {
    crate::corpus::expressions()
        .into_iter()
        .map(|(scheme, e)| {
            let scheme = scheme
                .and_then(|s| crate::corpus::scheme_of(&s).ok())
                .unwrap_or_else(Scheme::device);
            (e, scheme)
        })
        .collect()
}

static CORPUS: std::sync::LazyLock<Vec<(String, Scheme)>> = std::sync::LazyLock::new(corpus);

#[test]
fn corpus_labels_from_source_match_the_printed_tree() {
    assert!(CORPUS.len() > 150, "corpus not found");
    let failures: Vec<String> = CORPUS
        .iter()
        .filter_map(|(src, scheme)| same_labels(src, scheme).err())
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    /// Corpus expressions with whitespace and parentheses added: labels still
    /// print canonically, not as written.
    #[test]
    fn labels_are_canonical_however_written(
        seed in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(vec![" ", "  ", "\t", "\n"])), 0..6),
    ) {
        let Some((src, scheme)) = CORPUS.get(seed.index(CORPUS.len().max(1))) else {
            return Err(TestCaseError::reject("no corpus"));
        };
        let mut src = src.clone();
        for (at, ws) in edits {
            // Whitespace goes only between tokens: next to a space already there.
            let spaces: Vec<usize> = src.match_indices(' ').map(|(i, _)| i).collect();
            if let Some(&i) = spaces.get(at.index(spaces.len().max(1))) {
                src.insert_str(i, ws);
            }
        }
        if let Err(e) = same_labels(&src, scheme) {
            prop_assert!(false, "{}", e);
        }
    }
}
