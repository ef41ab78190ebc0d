//! The one test binary (`autotests = false`): one module per concern.

mod agree; // compiled program vs reference interpreter vs wirefilter 0.6.1
mod alloc; // evaluation allocates nothing
mod corpus; // every case file under corpus/
mod corpus_eval; // the evaluation half of expression cases
mod decide; // configuration decisions and validation problems
mod roundtrip; // parse -> print -> parse, and never-panic on random input
