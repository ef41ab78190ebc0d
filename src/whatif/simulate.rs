//! What-if over many contexts: one record per input line, in input order.

use crate::engine::{ContextId, Decision, Engine, EngineScratch};
use serde::ser::{Serialize, SerializeMap, Serializer};

/// The outcome of one input line.
#[derive(Debug, Clone)]
pub enum Record<'e> {
    /// The decision (`decision.md` §1).
    Decision(Box<Decision<'e>>),
    /// A line that could not be decided (`decision.md` §3).
    Error(LineError),
}

/// A line that could not be decided.
#[derive(Debug, Clone, PartialEq)]
pub struct LineError {
    /// 1-based line number.
    pub line: usize,
    /// The context's `id`, when it could be read.
    pub id: Option<ContextId>,
    /// JSON path of the problem (`$` for malformed JSON).
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// Every further error of the line: `(JSON path, message)`.
    pub also: Vec<(String, String)>,
}

impl Serialize for Record<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Record::Decision(d) => d.serialize(s),
            Record::Error(e) => e.serialize(s),
        }
    }
}

impl Serialize for LineError {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Inner<'a>(&'a str, &'a str);
        impl Serialize for Inner<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("path", self.0)?;
                m.serialize_entry("message", self.1)?;
                m.end()
            }
        }
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("line", &self.line)?;
        if let Some(id) = &self.id {
            m.serialize_entry("id", id)?;
        }
        m.serialize_entry("error", &Inner(&self.path, &self.message))?;
        // decision.md §3: every error of the line, the first being `error`.
        let all: Vec<Inner<'_>> = std::iter::once(Inner(&self.path, &self.message))
            .chain(self.also.iter().map(|(p, m)| Inner(p, m)))
            .collect();
        m.serialize_entry("errors", &all)?;
        m.end()
    }
}

impl Record<'_> {
    /// True for an error record.
    pub fn is_error(&self) -> bool {
        matches!(self, Record::Error(_))
    }
}

/// Decides one line of a JSON Lines input; `None` for a blank line (skipped).
pub fn decide_line<'e>(
    engine: &'e Engine,
    scratch: &mut EngineScratch,
    line: usize,
    text: &str,
    explain: bool,
) -> Option<Record<'e>> {
    if text.trim().is_empty() {
        return None;
    }
    Some(match engine.decide_str(text, scratch, explain) {
        Ok(d) => Record::Decision(Box::new(d)),
        Err(e) => Record::Error(error_record(line, text, e)),
    })
}

fn error_record(line: usize, text: &str, e: crate::subject::ContextError) -> LineError {
    LineError {
        line,
        // The id is read again, leniently, only for the error record.
        id: serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|v| v.get("id").and_then(ContextId::of)),
        path: e.path,
        message: e.message,
        also: e.also,
    }
}

/// Like `decide_line`, but appends the record's JSON line (with its newline) to
/// `out` without building a JSON tree: the batch hot path. Returns whether the
/// record is an error, or `None` for a blank line (nothing written).
///
/// ```
/// # use zt_eval::{Engine, whatif::decide_line_into};
/// let engine = Engine::from_json(r#"{"access_groups": [{"name": "PT", "include": [{"geo": {"country_code": "PT"}}]}]}"#, "c.json")?;
/// let mut scratch = engine.scratch();
/// let mut out = Vec::new();
/// assert_eq!(decide_line_into(&engine, &mut scratch, 1, r#"{"id": 1, "request": {"country": "pt"}}"#, false, &mut out), Some(false));
/// assert_eq!(String::from_utf8_lossy(&out), "{\"id\":1,\"access_groups\":[{\"id\":\"PT\",\"name\":\"PT\"}]}\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decide_line_into(
    engine: &Engine,
    scratch: &mut EngineScratch,
    line: usize,
    text: &str,
    explain: bool,
    out: &mut Vec<u8>,
) -> Option<bool> {
    if text.trim().is_empty() {
        return None;
    }
    let is_error = match engine.prepare_str(text) {
        Ok(prepared) if !explain => {
            engine.write_decision(&prepared, scratch, out);
            false
        }
        Ok(prepared) => {
            let d = engine.decision(&prepared, scratch, true);
            // Serializing a decision into memory cannot fail.
            let _ = serde_json::to_writer(&mut *out, &d);
            false
        }
        Err(e) => {
            let _ = serde_json::to_writer(&mut *out, &error_record(line, text, e));
            true
        }
    };
    out.push(b'\n');
    Some(is_error)
}

/// Decides every line in order, on this thread: one record per non-blank line.
///
/// ```
/// # use zt_eval::{Engine, whatif::{decide_batch, Record}};
/// let engine = Engine::from_json(r#"{"access_groups": [{"name": "PT", "include": [{"geo": {"country_code": "PT"}}]}]}"#, "c.json")?;
/// let lines = ["{\"id\": 1, \"request\": {\"country\": \"PT\"}}", "", "{\"id\": 2, \"request\": {\"ip\": \"10.1.2\"}}"];
/// let records: Vec<_> = decide_batch(&engine, lines.iter().map(|s| s.to_string()), false).collect();
/// assert_eq!(records.len(), 2);
/// let Record::Decision(first) = &records[0] else { panic!() };
/// assert_eq!(first.member_names(), ["PT"]);
/// assert!(records[1].is_error());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decide_batch<'e, I>(
    engine: &'e Engine,
    lines: I,
    explain: bool,
) -> impl Iterator<Item = Record<'e>> + 'e
where
    I: IntoIterator<Item = String>,
    I::IntoIter: 'e,
{
    let mut scratch = engine.scratch();
    lines
        .into_iter()
        .enumerate()
        .filter_map(move |(i, text)| decide_line(engine, &mut scratch, i + 1, &text, explain))
}
