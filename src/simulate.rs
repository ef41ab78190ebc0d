//! What-if over many contexts: one record per input line, in input order.

use crate::engine::{Engine, EngineScratch};
use serde_json::{Value, json};

/// The outcome of one input line.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// The decision JSON of `decision.md` §1.
    Decision(Value),
    /// A line that could not be decided (`decision.md` §3).
    Error {
        /// 1-based line number.
        line: usize,
        /// The context's `id`, when it could be read.
        id: Option<Value>,
        /// JSON path of the problem (`$` for malformed JSON).
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// Written without copying the decision: `to_json` is for errors and callers that
/// want a value.
impl serde::Serialize for Record {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Record::Decision(d) => d.serialize(s),
            error => error.to_json().serialize(s),
        }
    }
}

impl Record {
    /// The JSON line written for this record.
    pub fn to_json(&self) -> Value {
        match self {
            Record::Decision(d) => d.clone(),
            Record::Error {
                line,
                id,
                path,
                message,
            } => {
                let mut v = json!({"line": line, "error": {"path": path, "message": message}});
                if let (Some(id), Some(obj)) = (id, v.as_object_mut()) {
                    obj.insert("id".into(), id.clone());
                }
                v
            }
        }
    }

    /// True for an error record.
    pub fn is_error(&self) -> bool {
        matches!(self, Record::Error { .. })
    }
}

/// Decides one line of a JSON Lines input; `None` for a blank line (skipped).
pub fn decide_line(
    engine: &Engine,
    scratch: &mut EngineScratch,
    line: usize,
    text: &str,
    explain: bool,
) -> Option<Record> {
    if text.trim().is_empty() {
        return None;
    }
    Some(match engine.decide_str(text, scratch, explain) {
        Ok(d) => Record::Decision(d.json),
        Err(e) => error_record(line, text, e),
    })
}

fn error_record(line: usize, text: &str, e: crate::subject::SubjectError) -> Record {
    Record::Error {
        line,
        // The id is read again, leniently, only for the error record.
        id: serde_json::from_str::<Value>(text).ok().and_then(|v| {
            v.get("id")
                .filter(|v| v.is_string() || v.is_number())
                .cloned()
        }),
        path: e.path,
        message: e.message,
    }
}

/// Like `decide_line`, but appends the record's JSON line (with its newline) to
/// `out` without building a JSON tree: the batch hot path. Returns whether the
/// record is an error, or `None` for a blank line (nothing written).
///
/// ```
/// # use zt_eval::{Engine, simulate::decide_line_into};
/// let engine = Engine::from_json(r#"{"access_groups": [{"name": "PT", "include": [{"geo": {"country_code": "PT"}}]}]}"#, "c.json")
///     .map_err(|e| e.to_string())?;
/// let mut scratch = engine.scratch();
/// let mut out = Vec::new();
/// assert_eq!(decide_line_into(&engine, &mut scratch, 1, r#"{"id": 1, "request": {"country": "pt"}}"#, false, &mut out), Some(false));
/// assert_eq!(String::from_utf8_lossy(&out), "{\"id\":1,\"access_groups\":[{\"id\":\"PT\",\"name\":\"PT\"}]}\n");
/// # Ok::<(), String>(())
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
            let d = engine.render(&prepared, scratch, true);
            // Serializing a `Value` into memory cannot fail.
            let _ = serde_json::to_writer(&mut *out, &d.json);
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
/// # use zt_eval::{Engine, simulate::decide_batch};
/// let engine = Engine::from_json(r#"{"access_groups": [{"name": "PT", "include": [{"geo": {"country_code": "PT"}}]}]}"#, "c.json")
///     .map_err(|e| e.to_string())?;
/// let lines = ["{\"id\": 1, \"request\": {\"country\": \"PT\"}}", "", "{\"id\": 2, \"request\": {\"ip\": \"10.1.2\"}}"];
/// let records: Vec<_> = decide_batch(&engine, lines.iter().map(|s| s.to_string()), false).collect();
/// assert_eq!(records.len(), 2);
/// assert_eq!(records[0].to_json()["access_groups"][0]["name"], "PT");
/// assert!(records[1].is_error());
/// # Ok::<(), String>(())
/// ```
pub fn decide_batch<'e, I>(
    engine: &'e Engine,
    lines: I,
    explain: bool,
) -> impl Iterator<Item = Record> + 'e
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
