//! zt-eval: offline evaluation of Zero Trust access configuration.
//!
//! The match-expression pipeline, each stage named by its output type:
//!
//! ```text
//! text --parse--> Expr --check(Scheme)--> Cond --compile--> Program --run(Context, Scratch)--> bool
//!                                                             \--explain--> Explained (deciding atoms)
//! ```
//!
//! `Expr` (ast.rs) is what the user wrote, with a span on every node, so errors
//! and canonical printing refer to the source. `Cond` (cond.rs) is what it means:
//! names resolved to `FieldId`s, literals typed, regexes compiled, every `[*]`
//! turned into a quantifier source. They are separate so that the checker can
//! report every error against the text while the compiler and the reference
//! interpreter never see a name or a span.
//!
//! ```
//! use zt_eval::{check_expression, Context, Scheme};
//!
//! let scheme = Scheme::device();
//! let src = r#"any(identity.groups.name[*] in {"developers" "admin"}) and os.name == "windows""#;
//! let checked = check_expression(src, &scheme, &Default::default()).map_err(|e| e[0].message.clone())?;
//! let compiled = checked.compile(&scheme);
//! let mut scratch = compiled.scratch(); // once per thread, reused for every context
//!
//! let ctx = Context::from_flat_json(&scheme, &serde_json::json!({
//!     "identity.groups.name": ["developers"], "os.name": "windows"
//! })).map_err(|e| e.to_string())?;
//! assert!(compiled.eval(&ctx, &mut scratch));
//!
//! let why = compiled.explain(&ctx, &mut scratch);
//! assert_eq!(why.because, [
//!     r#"any(identity.groups.name[*] in {"developers" "admin"}) is true"#,
//!     r#"os.name == "windows" is true"#,
//! ]);
//! # Ok::<(), String>(())
//! ```
//!
//! A whole configuration: load once, decide many. Every group's rules and every
//! profile's `match` are compiled into one program; `Engine` is `Send + Sync`.
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
//! let engine = Engine::from_json(config, "config.json").map_err(|e| e.to_string())?;
//! let mut scratch = engine.scratch(); // once per thread
//!
//! let context = serde_json::json!({
//!   "id": "alice-laptop",
//!   "identity": {"email": "Alice@Team.com", "groups": [{"name": "developers"}]},
//!   "device": {"os": {"name": "mac"}},
//!   "request": {"country": "PT"}
//! });
//! let decision = engine.decide(&context, &mut scratch, false).map_err(|e| e.to_string())?;
//! assert_eq!(decision.json["device_profile"]["name"], "Developers");
//! assert_eq!(decision.json["access_groups"][0]["name"], "Lisbon team");
//! # Ok::<(), String>(())
//! ```
#![deny(missing_docs)]

pub mod ast;
pub mod bytes;
pub mod check;
pub mod compile;
pub mod cond;
pub mod config;
pub mod diag;
pub mod diff;
pub mod engine;
pub mod eval;
pub mod explain;
pub mod expression;
pub mod guard;
pub mod index;
pub mod label;
mod lex;
pub mod literal;
pub mod matcher;
pub mod parse;
pub mod posture;
pub mod program;
pub mod reference;
pub mod reference_config;
pub mod rules;
pub mod sample;
pub mod scheme;
pub mod sets;
pub mod simulate;
pub mod subject;
pub mod value;

pub use diag::{Diagnostic, ErrorKind, Span};
pub use engine::{Decision, Engine, EngineScratch};
pub use eval::Scratch;
pub use explain::Explained;
pub use expression::{Checked, Compiled, check_expression};
pub use parse::{Limits, parse};
pub use scheme::{Scheme, Type};
pub use value::{Context, Value};
