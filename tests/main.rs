//! The one test binary (`autotests = false`): one module per concern.

mod agree; // compiled program vs reference interpreter vs wirefilter 0.6.1
mod agree_config; // engine vs reference_config on random configurations
mod alloc; // evaluation allocates nothing
mod cli; // golden tests of the binary: stdout, stderr, exit code
mod corpus; // every case file under corpus/
mod corpus_eval; // the evaluation half of expression cases
mod decide; // configuration decisions and validation problems
mod files; // hostile files: FIFOs, links, size limits
mod labels; // labels rendered from the source read as printed from the tree
mod readers; // the batch and strict context readers agree on mutated contexts
mod roundtrip; // parse -> print -> parse, and never-panic on random input
mod terraform; // terraform show -json as a configuration, plans' unknowns
mod testing; // test files, expectations and coverage (tests.md)
