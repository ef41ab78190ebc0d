//! Regex source -> `Matcher`: a forward pass (`seq.rs`) for anchored sequences of
//! literals and classes and for plain literals; else a lazy DFA (regex-automata's
//! hybrid engine) whenever it can run the pattern; else the `regex` crate. The
//! lazy DFA is cheaper to build and, with its cache kept in `Scratch`, skips the
//! `regex` crate's cache pool and engine dispatch on every search: short
//! hostnames and emails are all we match. `glob.rs` matches `wildcard` patterns.

mod glob;
pub(crate) mod seq;
pub(crate) mod simple;

pub(crate) use glob::Glob;

#[cfg(test)]
mod agree_tests;

use regex_automata::Input;
use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::nfa::thompson;
use regex_automata::util::syntax;

/// A compiled regex: byte-oriented, Unicode off, unanchored search.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// One forward pass, no automaton (shared: the compiled program and its
    /// one-test fast path hold the same pass).
    Seq(std::sync::Arc<seq::Seq>),
    /// Searched with a per-thread cache from `Scratch`.
    Lazy(Box<DFA>),
    /// Patterns the lazy DFA cannot run (e.g. Unicode word boundaries).
    Meta(regex::bytes::Regex),
}

impl Matcher {
    /// Compiles `pattern` under `size_limit` bytes.
    ///
    /// # Errors
    /// The `regex` crate's error: a syntax error or `CompiledTooBig`.
    pub fn build(pattern: &str, size_limit: usize) -> Result<Matcher, regex::Error> {
        if let Some(seq) = simple::read(pattern, size_limit) {
            return Ok(Matcher::Seq(std::sync::Arc::new(seq)));
        }
        let syntax = syntax::Config::new().unicode(false).utf8(false);
        if let Ok(hir) = syntax::parse_with(pattern, &syntax)
            && let Some(seq) = seq::Seq::new(&hir, size_limit)
        {
            return Ok(Matcher::Seq(std::sync::Arc::new(seq)));
        }
        let lazy = DFA::builder()
            .syntax(syntax)
            .thompson(
                thompson::Config::new()
                    .utf8(false)
                    .nfa_size_limit(Some(size_limit)),
            )
            // Never give up on a search: no fallback is needed at run time.
            .configure(DFA::config().minimum_cache_clear_count(None))
            .build(pattern);
        if let Ok(dfa) = lazy {
            return Ok(Matcher::Lazy(Box::new(dfa)));
        }
        // The `regex` crate runs what the lazy DFA cannot, and words errors best.
        regex::bytes::RegexBuilder::new(pattern)
            .unicode(false)
            .size_limit(size_limit)
            .build()
            .map(Matcher::Meta)
    }

    /// Heap bytes of the compiled matcher (a lazy DFA's search cache, per
    /// thread, comes on top and is bounded by regex-automata's default
    /// capacity). The `regex` crate does not say: its size limit bounds it.
    pub fn memory_usage(&self) -> usize {
        match self {
            Matcher::Seq(seq) => std::mem::size_of_val(&**seq),
            // The automaton, its NFA, and one search cache as first made
            // (each thread makes one; its size grows with the NFA's states).
            Matcher::Lazy(dfa) => {
                dfa.memory_usage()
                    + dfa.get_nfa().memory_usage()
                    + dfa.create_cache().memory_usage()
            }
            Matcher::Meta(_) => 1 << 20,
        }
    }

    /// A search cache, for `Lazy` matchers.
    pub fn cache(&self) -> Option<Cache> {
        match self {
            Matcher::Lazy(dfa) => Some(dfa.create_cache()),
            Matcher::Seq(_) | Matcher::Meta(_) => None,
        }
    }

    /// Whether the pattern matches anywhere in `hay`.
    #[inline]
    pub fn is_match(&self, hay: &[u8], cache: Option<&mut Cache>) -> bool {
        match (self, cache) {
            (Matcher::Seq(seq), _) => seq.is_match(hay),
            (Matcher::Lazy(dfa), Some(cache)) => dfa
                .try_search_fwd(cache, &Input::new(hay).earliest(true))
                .is_ok_and(|m| m.is_some()),
            (Matcher::Lazy(dfa), None) => {
                let mut cache = dfa.create_cache();
                dfa.try_search_fwd(&mut cache, &Input::new(hay).earliest(true))
                    .is_ok_and(|m| m.is_some())
            }
            (Matcher::Meta(re), _) => re.is_match(hay),
        }
    }
}
