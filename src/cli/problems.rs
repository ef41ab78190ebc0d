//! Configuration problems for people and machines: each located in its file
//! (line and column of the value at its JSON path, found by reading the file
//! again only when there are problems) and shown with an excerpt of the line;
//! as JSON with `kind` and `help` (`cli.md`).

use std::collections::HashMap;
use std::path::Path;
use zt_eval::config::{Problem, Severity};

/// The texts of the files problems name, read once each.
#[derive(Default)]
pub struct Sources {
    texts: HashMap<String, Option<String>>,
}

impl Sources {
    /// With the text read from stdin (`-`), when the configuration came from there.
    pub fn with_stdin(text: Option<String>) -> Sources {
        let mut s = Sources::default();
        if let Some(t) = text {
            s.texts.insert("-".into(), Some(t));
        }
        s
    }

    fn text(&mut self, file: &str) -> Option<&str> {
        self.texts
            .entry(file.to_string())
            .or_insert_with(|| {
                zt_eval::config::read_file(
                    Path::new(file),
                    zt_eval::config::LoadOptions::default().max_file_bytes,
                )
                .ok()
            })
            .as_deref()
    }

    /// Fills in each problem's line and column where its file has its path.
    pub fn locate(&mut self, problems: &mut [Problem]) {
        for p in problems.iter_mut().filter(|p| p.position.is_none()) {
            let path = p.path.clone();
            if let Some(text) = self.text(&p.file) {
                // A missing field is located at the object that lacks it: the
                // longest prefix of the path the file has.
                let mut at = path.as_str();
                loop {
                    if let Some(pos) = zt_eval::json::locate(text, at) {
                        p.position = Some(pos);
                        break;
                    }
                    match at.rfind(['.', '[']) {
                        Some(i) if i > 0 => at = &at[..i],
                        _ => break,
                    }
                }
            }
        }
    }

    /// The text rendering, with an excerpt of the line under the location.
    pub fn render(&mut self, p: &Problem) -> String {
        let mut out = p.render();
        if p.expr.is_some() {
            return out;
        }
        let Some((line, column)) = p.position else {
            return out;
        };
        let Some(text) = self.text(&p.file) else {
            return out;
        };
        let Some(src) = text.lines().nth(line.saturating_sub(1)) else {
            return out;
        };
        // A bounded excerpt: a minified file's line can be megabytes long.
        let chars: Vec<char> = src.chars().collect();
        let col = column.saturating_sub(1).min(chars.len());
        let start = col.saturating_sub(40);
        let end = (col + 60).min(chars.len());
        let excerpt: String = chars
            .get(start..end)
            .map(|c| c.iter().collect())
            .unwrap_or_default();
        let lead = if start > 0 { "…" } else { "" };
        let tail = if end < chars.len() { "…" } else { "" };
        let width = line.to_string().len();
        let pad = " ".repeat(width);
        let caret = " ".repeat(col - start + lead.chars().count());
        out.push_str(&format!(
            "{pad} |\n{line} | {lead}{excerpt}{tail}\n{pad} | {caret}^\n"
        ));
        out
    }
}

/// `did you mean …?` and the like, said apart from the message.
fn help(message: &str) -> Option<String> {
    let i = message.find("did you mean")?;
    let rest = &message[i..];
    let end = rest.find('?').map_or(rest.len(), |j| j + 1);
    Some(rest[..end].to_string())
}

/// What kind of problem: an expression's own kind, `json` for malformed JSON
/// or a repeated key, `reference` for an unknown id, else `config`.
fn kind(p: &Problem) -> String {
    if let Some((_, d)) = &p.expr {
        return d.kind.as_str().to_string();
    }
    let m = p.message.as_str();
    if m.starts_with("malformed JSON")
        || m.contains("is given twice")
        || m.contains("file is empty")
    {
        "json".into()
    } else if m.contains("unknown group")
        || m.contains("unknown list")
        || m.contains("unknown posture")
        || m.contains("unknown policy")
        || m.contains("names no ")
    {
        "reference".into()
    } else if p.file.is_empty() || m.starts_with("cannot read") {
        "io".into()
    } else {
        "config".into()
    }
}

/// The JSON of `cli.md`: severity, kind, file, path, line, column, message, help.
pub fn to_json(p: &Problem) -> serde_json::Value {
    let mut v = p.to_json();
    if let Some(obj) = v.as_object_mut() {
        obj.insert("kind".into(), kind(p).into());
        let help = p
            .expr
            .as_ref()
            .and_then(|(_, d)| d.help.clone())
            .or_else(|| help(&p.message));
        obj.insert(
            "help".into(),
            help.map_or(serde_json::Value::Null, Into::into),
        );
        if p.position.is_none() {
            obj.insert("line".into(), serde_json::Value::Null);
            obj.insert("column".into(), serde_json::Value::Null);
        }
    }
    v
}

/// Counts of errors and warnings.
pub fn counts(problems: &[Problem]) -> (usize, usize) {
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    (errors, problems.len() - errors)
}
