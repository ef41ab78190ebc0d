//! Configuration problems for people and machines: each located in its file
//! (line and column of the value at its JSON path, found by reading the file
//! again only when there are problems) and shown with an excerpt of the line;
//! as JSON with `kind` and `help` (`cli.md`).

use std::collections::HashMap;
use std::path::Path;
use zt_eval::config::{Problem, Severity};

/// The texts of the files problems name, read once each, and where their
/// lines start (found once each too: a minified file is one line of
/// megabytes, and a broken one can have thousands of problems on it).
#[derive(Default)]
pub struct Sources {
    texts: HashMap<String, Option<String>>,
    line_starts: HashMap<String, Vec<usize>>,
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

    /// Fills in each problem's line and column where its file has its path:
    /// each file read once for all its problems (`json::locate_all`).
    pub fn locate(&mut self, problems: &mut [Problem]) {
        // The problems of each file, found in one pass over them all.
        let mut by_file: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, p) in problems.iter().enumerate() {
            if p.position.is_none() {
                by_file.entry(p.file.clone()).or_default().push(i);
            }
        }
        for (file, indices) in by_file {
            let Some(text) = self.text(&file) else {
                continue;
            };
            // A missing field is located at the object that lacks it: the
            // longest prefix of the path the file has. Each problem's
            // candidates, longest first.
            let candidates: Vec<Vec<&str>> = indices
                .iter()
                .filter_map(|&i| problems.get(i))
                .map(|p| {
                    let mut c: Vec<&str> = zt_eval::json::prefixes(&p.path).collect();
                    c.push(&p.path);
                    c.reverse();
                    c
                })
                .collect();
            let wanted: Vec<&str> = candidates.iter().flatten().copied().collect();
            let found = zt_eval::json::locate_all(text, &wanted);
            let positions: Vec<Option<(usize, usize)>> = candidates
                .iter()
                .map(|c| c.iter().find_map(|at| found.get(*at).copied()))
                .collect();
            for (&i, position) in indices.iter().zip(positions) {
                if let Some(p) = problems.get_mut(i) {
                    p.position = position;
                }
            }
        }
    }

    /// Line `line` (1-based) of a file, without its line break.
    fn line(&mut self, file: &str, line: usize) -> Option<&str> {
        if !self.line_starts.contains_key(file) {
            let starts: Vec<usize> = match self.text(file) {
                Some(text) => std::iter::once(0)
                    .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                    .collect(),
                None => Vec::new(),
            };
            self.line_starts.insert(file.to_string(), starts);
        }
        let starts = self.line_starts.get(file)?;
        let start = *starts.get(line.checked_sub(1)?)?;
        let text = self.texts.get(file)?.as_deref()?;
        // As `str::lines`: no line after a final line break (serde_json puts
        // an error at the end of the text there).
        if start >= text.len() {
            return None;
        }
        let end = starts.get(line).map_or(text.len(), |&next| next - 1);
        let src = text.get(start..end)?;
        Some(src.strip_suffix('\r').unwrap_or(src))
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
        let Some(src) = self.line(&p.file, line) else {
            return out;
        };
        let (lead, excerpt, tail, caret) = excerpt(src, column);
        let width = line.to_string().len();
        let pad = " ".repeat(width);
        let caret = " ".repeat(caret);
        out.push_str(&format!(
            "{pad} |\n{line} | {lead}{excerpt}{tail}\n{pad} | {caret}^\n"
        ));
        out
    }
}

/// A bounded excerpt of `src` around byte column `column` (1-based, as JSON
/// positions are counted): up to 40 characters before it and 60 from it,
/// `…` where the line goes on, and how many characters of the excerpt (and
/// its lead) precede the column, for the caret. Reads only the excerpt, not
/// the line.
fn excerpt(src: &str, column: usize) -> (&'static str, &str, &'static str, usize) {
    let mut at = column.saturating_sub(1).min(src.len());
    while !src.is_char_boundary(at) {
        at -= 1;
    }
    let (before, after) = src.split_at(at);
    let shown_before: usize = before.chars().rev().take(40).map(char::len_utf8).sum();
    let shown_after: usize = after.chars().take(60).map(char::len_utf8).sum();
    let start = at - shown_before;
    let end = at + shown_after;
    let lead = if start > 0 { "…" } else { "" };
    let tail = if end < src.len() { "…" } else { "" };
    let caret = src.get(start..at).map_or(0, |s| s.chars().count()) + usize::from(start > 0);
    (lead, src.get(start..end).unwrap_or_default(), tail, caret)
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

#[cfg(test)]
mod tests {
    use super::{Sources, excerpt};

    #[test]
    fn lines_are_read_as_str_lines_reads_them() {
        let mut s = Sources::with_stdin(Some("{\r\n\"a\": 1\n\n}\n".into()));
        assert_eq!(s.line("-", 1), Some("{"));
        assert_eq!(s.line("-", 2), Some("\"a\": 1"));
        assert_eq!(s.line("-", 3), Some(""));
        assert_eq!(s.line("-", 4), Some("}"));
        // None after the final line break, where serde_json puts an error at
        // the end of the text; none before the first line either.
        assert_eq!(s.line("-", 5), None);
        assert_eq!(s.line("-", 0), None);
        let mut unterminated = Sources::with_stdin(Some("{\n  ".into()));
        assert_eq!(unterminated.line("-", 2), Some("  "));
    }

    #[test]
    fn an_excerpt_is_bounded_and_its_caret_under_the_column() {
        assert_eq!(excerpt(r#"{"a": 1}"#, 7), ("", r#"{"a": 1}"#, "", 6));
        let long = format!("{}X{}", "a".repeat(100), "b".repeat(100));
        let (lead, shown, tail, caret) = excerpt(&long, 101);
        assert_eq!((lead, tail), ("…", "…"));
        assert_eq!(shown.chars().count(), 100);
        assert_eq!(shown.chars().nth(caret - 1), Some('X'));
        // Columns count bytes: the caret stays under the value after
        // characters of several bytes.
        let (_, shown, _, caret) = excerpt(r#"{"é€": "x"}"#, 11);
        assert_eq!(shown.chars().nth(caret), Some('"'));
        assert_eq!(caret, 7);
        // Past the end, or inside a character: clamped, never a panic.
        assert_eq!(excerpt("é", 2).3, 0);
        assert_eq!(excerpt("ab", 99).3, 2);
    }
}
