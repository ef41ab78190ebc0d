//! Zero Trust configuration JSON -> `Config` | every problem found, each with its
//! file and JSON path (`config.md` §1–§6, §8).
//!
//! ```text
//! path --load_path--> bundle file | folder of per-kind files
//!      --read.rs (bare arrays, API envelopes; reader.rs records problems)--> Config (model.rs)
//!      rule objects --rule.rs--> Rule
//! ```

mod model;
mod read;
mod reader;
mod rule;

pub use model::{
    Config, Group, IdpRule, KINDS, List, PostureRule, Present, Problem, Profile, Rule, RuleAt,
    Severity,
};
pub use read::{load_path, load_str};
