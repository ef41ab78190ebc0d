//! Zero Trust configuration JSON -> `Config` | every problem found, each with its
//! file and JSON path (`config.md` §1–§8).
//!
//! ```text
//! path --load.rs--> bundle file | folder of <kind>.json, <kind>/ pages, <key>/<id>.json
//!      --json/ (strict: a key twice is an error; parse_tree)--> json::tree::Value
//!      --envelope.rs (bare arrays, one resource, API envelopes, paging)--> resources
//!      --read.rs, access.rs, directory.rs (reader.rs records problems)--> Config (model.rs)
//!      rule objects --rule.rs--> Rule
//!      --attach.rs (list items, split tunnel, fallback domains)
//!      --finish.rs (application policy entries, incomplete lists)--> Config
//! ```

mod access;
mod attach;
mod destinations;
mod directory;
mod envelope;
mod finish;
mod load;
mod model;
mod read;
mod reader;
mod rule;

pub use access::{APP_TYPES, who};
pub use load::{
    LoadOptions, Overlay, load_path, load_path_overlay, load_path_with, load_str, read_file,
};
pub(crate) use model::precedence_order;
pub use model::{
    ATTACHED, AppPolicy, Application, Config, Destination, Group, IdentityProvider, IdpRule, KINDS,
    List, ManagedNetwork, Policy, PolicyDecision, PostureRule, Present, Problem, Profile, Rule,
    RuleAt, ServiceToken, Severity,
};
