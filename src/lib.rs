//! zt-eval: offline evaluation of Zero Trust access configuration.
//!
//! Two pipelines, each stage named by its output type:
//!
//! ```text
//! expressions    text --parse--> Expr --check(Scheme)--> Cond --compile--> Program --eval(Context)--> bool
//!                (expr/)                                        (program/)
//!
//! configurations JSON --config::load--> Config --Engine (engine/)--> Program of every group, profile, rule
//!                context JSON --Subject (subject/)--> slots --decide--> Decision --Serialize--> JSON
//!                                                                 \--> whatif/: batch, diff, sample
//! ```
//!
//! `Expr` is what the user wrote, with a span on every node, so errors and
//! canonical printing refer to the source. `Cond` is what it means: names
//! resolved to `FieldId`s, literals typed, regexes compiled, every `[*]` turned
//! into a quantifier source. They are separate so that the checker can report
//! every error against the text while the compiler and the reference
//! interpreter never see a name or a span.
//!
//! ```
//! use zt_eval::{check_expression, Context, Scheme};
//!
//! let scheme = Scheme::device();
//! let src = r#"any(identity.groups.name[*] in {"developers" "admin"}) and os.name == "windows""#;
//! let checked = check_expression(src, &scheme, &Default::default())?;
//! let compiled = checked.compile(&scheme);
//! let mut scratch = compiled.scratch(); // once per thread, reused for every context
//!
//! let ctx = Context::from_flat_json(&scheme, &serde_json::json!({
//!     "identity.groups.name": ["developers"], "os.name": "windows"
//! }))?;
//! assert!(compiled.eval(&ctx, &mut scratch));
//!
//! let why = compiled.explain(&ctx, &mut scratch);
//! assert_eq!(why.because, [
//!     r#"any(identity.groups.name[*] in {"developers" "admin"}) is true"#,
//!     r#"os.name == "windows" is true"#,
//! ]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A whole configuration: load once, decide many. Every group's rules and every
//! profile's `match` are compiled into one program; `Engine` is `Send + Sync`.
//! A decision is a typed value; its JSON (`decision.md`) is a rendering.
//!
//! ```
//! use zt_eval::Engine;
//!
//! let config = r#"{
//!   "access_groups": [{"id": "g1", "name": "Lisbon team",
//!     "include": [{"geo": {"country_code": "PT"}}],
//!     "require": [{"email_domain": {"domain": "team.com"}}], "exclude": []}],
//!   "device_profiles": [
//!     {"policy_id": "p1", "name": "Developers", "precedence": 10,
//!      "match": "any(identity.groups.name[*] == \"developers\") and os.name == \"mac\""},
//!     {"name": "Default", "default": true}]
//! }"#;
//! let engine = Engine::from_json(config, "config.json")?;
//! let mut scratch = engine.scratch(); // once per thread
//!
//! let context = serde_json::json!({
//!   "id": "alice-laptop",
//!   "identity": {"email": "Alice@Team.com", "groups": [{"name": "developers"}]},
//!   "device": {"os": {"name": "mac"}},
//!   "request": {"country": "PT"}
//! });
//! let decision = engine.decide(&context, &mut scratch, false)?;
//! assert_eq!(decision.device_profile_name(), Some("Developers"));
//! assert_eq!(decision.member_names(), ["Lisbon team"]);
//! assert_eq!(serde_json::to_value(&decision)?["access_groups"][0]["name"], "Lisbon team");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! I/O: the library reads the configuration files it is pointed at
//! (`config::load_path`, `Engine::from_path`); everything else (contexts,
//! standard input, output, the terminal) is the binary's.
#![deny(missing_docs)]

// Leaves shared by both pipelines.
mod bytes;
pub mod diag;
mod hash;
pub mod json;
mod literal;
mod matcher;
pub mod scheme;
mod sets;
pub mod value;
// Which application protects a request: URLs and destination patterns.
pub mod route;

// Expressions: text -> Expr -> Cond -> Program -> bool.
mod expr;
mod program;

// Terraform JSON (plans, states) -> the bundle JSON of a configuration.
pub mod terraform;

// Configurations: JSON -> Config, context JSON -> Subject, both -> Decision.
pub mod config;
mod engine;
pub mod subject;

// Populations assembled from exports and tables: -> context JSON.
pub mod population;

// What-if over populations.
pub mod whatif;

// Policy tests and coverage: expectations -> pass / fail.
pub mod testing;

// The reference evaluators, for tests only: never called by the binary.
#[doc(hidden)]
pub mod oracle;

pub use diag::{Diagnostic, ErrorKind, Span};
pub use engine::{ConfigError, Decision, Engine, EngineScratch, Outcome, Pick, Prepared, decision};
pub use expr::{Checked, Diagnostics, Limits, ast, check_expression, parse};
pub use program::{Compiled, Explained, Scratch, Tri};
pub use scheme::{Scheme, Type};
pub use subject::{ContextError, Subject};
pub use value::{Context, Value};
