//! What-if over populations, on top of the engine: `simulate` decides every line
//! of a JSON Lines input (one record per line, in order), `diff` compares two
//! configurations over one population, `sample` draws a synthetic population
//! from a configuration's own values, `summary` counts each application's
//! answers over a population as Cloudflare's policy tester does.

mod diff;
mod sample;
mod simulate;
mod summary;

pub use diff::{AppChange, ContextChange, DiffReport, diff};
pub use sample::{Sampler, sample};
pub use simulate::{LineError, Record, decide_batch, decide_line, decide_line_into};
pub use summary::{AccessSummary, AppSummary, summarize};
