//! Populations kept in spreadsheets or a warehouse: CSV rows or JSON Lines
//! objects, their columns (or keys) mapped onto context paths by a small
//! mapping file:
//!
//! ```json
//! {"columns": {"Email": "identity.email",
//!              "Groups": {"path": "identity.groups[].name", "split": ";"},
//!              "Department": "identity.saml_attributes.department",
//!              "OS": "device.os.name", "On WARP": "device.facts.warp"},
//!  "unknown": []}
//! ```
//!
//! Paths are checked against the context's own shape when the mapping is
//! read (`subject::validate::mapping_path`); each row is then read as any
//! context is, so a bad cell is an error at its line and column, never a
//! silent default. An empty cell is absent.

use crate::subject::validate::{Leaf, Step, mapping_path};
use serde_json::{Map, Value};

/// One mapped column.
#[derive(Debug, Clone)]
struct Column {
    /// The CSV header or JSON key (a dotted key reaches into nested objects).
    name: String,
    path: String,
    steps: Vec<Step>,
    leaf: Leaf,
    /// Splits a text cell into values (lists, `[]` paths).
    split: Option<String>,
}

/// A mapping file, checked.
#[derive(Debug, Clone)]
pub struct Mapping {
    columns: Vec<Column>,
    unknown: Vec<String>,
    /// `constants`: (path steps, leaf, value) written into every row.
    constants: Vec<(Vec<Step>, Leaf, Value)>,
    /// Where the rows come from, for each context's `sources`.
    source: String,
    /// What the mapping leaves the rows without, in words.
    pub warnings: Vec<String>,
}

/// A problem of one row (or of the mapping, line 0).
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    /// 1-based line of the input (CSV: the header is line 1).
    pub line: u64,
    /// The column the problem is in, when one is.
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.column {
            Some(c) => write!(f, "line {}, column `{c}`: {}", self.line, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

impl Mapping {
    /// Reads a mapping file's JSON.
    ///
    /// # Errors
    /// Every problem, each at its JSON path (`$.columns.Email`).
    pub fn from_json(v: &Value) -> Result<Mapping, Vec<(String, String)>> {
        let mut errors = Vec::new();
        let Some(obj) = v.as_object() else {
            return Err(vec![(
                "$".into(),
                "a mapping is an object with `columns`".into(),
            )]);
        };
        for k in obj.keys() {
            if !["columns", "unknown", "constants"].contains(&k.as_str()) {
                errors.push((
                    format!("$.{k}"),
                    format!("unknown field `{k}`; expected `columns`, `constants` or `unknown`"),
                ));
            }
        }
        let mut columns = Vec::new();
        match obj.get("columns") {
            Some(Value::Object(cols)) if !cols.is_empty() => {
                for (name, target) in cols {
                    let at = format!("$.columns{}", crate::diag::path_key(name));
                    let (path, split) = match target {
                        Value::String(p) => (p.clone(), None),
                        Value::Object(o) => {
                            for k in o
                                .keys()
                                .filter(|k| !["path", "split"].contains(&k.as_str()))
                            {
                                errors.push((
                                    format!("{at}.{k}"),
                                    format!("unknown field `{k}`; expected `path` or `split`"),
                                ));
                            }
                            let split = match o.get("split") {
                                None => None,
                                Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                                Some(_) => {
                                    errors.push((
                                        format!("{at}.split"),
                                        "expected a non-empty string".into(),
                                    ));
                                    None
                                }
                            };
                            match o.get("path") {
                                Some(Value::String(p)) => (p.clone(), split),
                                _ => {
                                    errors.push((
                                        format!("{at}.path"),
                                        "expected a context path string".into(),
                                    ));
                                    continue;
                                }
                            }
                        }
                        _ => {
                            errors.push((
                                at,
                                "expected a context path, or {\"path\", \"split\"}".into(),
                            ));
                            continue;
                        }
                    };
                    match mapping_path(&path) {
                        Ok((steps, leaf)) => {
                            let each = steps.iter().any(|s| matches!(s, Step::Each(_)));
                            if split.is_some() && leaf != Leaf::List && !each {
                                errors.push((
                                    at.clone(),
                                    format!("`split` is for lists: `{path}` holds one value"),
                                ));
                            }
                            columns.push(Column {
                                name: name.clone(),
                                path,
                                steps,
                                leaf,
                                split,
                            });
                        }
                        Err(m) => errors.push((at, m)),
                    }
                }
                let mut seen = std::collections::HashSet::new();
                for c in &columns {
                    if !seen.insert(c.path.as_str())
                        && !c.steps.iter().any(|s| matches!(s, Step::Each(_)))
                    {
                        errors.push((
                            format!("$.columns{}", crate::diag::path_key(&c.name)),
                            format!("two columns write `{}`", c.path),
                        ));
                    }
                }
            }
            _ => errors.push((
                "$.columns".into(),
                "expected an object from column name to context path, with at least one column"
                    .into(),
            )),
        }
        let mut unknown = Vec::new();
        match obj.get("unknown") {
            None => {}
            Some(Value::Array(parts)) => {
                for (i, p) in parts.iter().enumerate() {
                    match p.as_str() {
                        Some(s) if crate::subject::UNKNOWN_PARTS.contains(&s) => {
                            unknown.push(s.to_string())
                        }
                        _ => errors.push((
                            format!("$.unknown[{i}]"),
                            format!(
                                "expected one of {}",
                                crate::subject::UNKNOWN_PARTS.join(", ")
                            ),
                        )),
                    }
                }
            }
            Some(_) => errors.push(("$.unknown".into(), "expected an array".into())),
        }
        let mut constants = Vec::new();
        match obj.get("constants") {
            None => {}
            Some(Value::Object(cs)) => {
                for (path, value) in cs {
                    let at = format!("$.constants{}", crate::diag::path_key(path));
                    match mapping_path(path) {
                        Ok((steps, leaf)) if !steps.iter().any(|s| matches!(s, Step::Each(_))) => {
                            constants.push((steps, leaf, value.clone()));
                        }
                        Ok(_) => errors.push((
                            at,
                            format!("`{path}`: a constant is one value, not a list of objects"),
                        )),
                        Err(m) => errors.push((at, m)),
                    }
                }
            }
            Some(_) => errors.push((
                "$.constants".into(),
                "expected an object from context path to value".into(),
            )),
        }
        // IdP group rules compare the provider too: groups without it match
        // no such rule, which a table's author rarely means.
        let writes = |p: &str| {
            columns.iter().any(|c| c.path.starts_with(p))
                || constants
                    .iter()
                    .any(|(steps, _, _)| path_of(steps).starts_with(p))
        };
        let mut warnings = Vec::new();
        let idp_rules = [
            "identity.groups",
            "identity.saml_attributes",
            "identity.oidc_claims",
        ];
        if let Some(part) = idp_rules.iter().find(|p| writes(p))
            && !writes("identity.idp.id")
        {
            warnings.push(format!(
                "the mapping gives `{part}` but no `identity.idp.id` (a column, or `constants`): IdP rules name their provider, so on these rows every okta, azureAD, gsuite, saml and oidc rule is false"
            ));
        }
        if errors.is_empty() {
            Ok(Mapping {
                columns,
                unknown,
                constants,
                source: String::new(),
                warnings,
            })
        } else {
            Err(errors)
        }
    }

    /// Names the table the rows come from, for each context's `sources`.
    #[must_use]
    pub fn from_source(mut self, file: &str) -> Mapping {
        self.source = file.to_string();
        self
    }

    /// The contexts of a CSV text, one per row (the first row names the
    /// columns): each a context or the row's problem.
    ///
    /// # Errors
    /// A header that lacks a mapped column, or CSV that cannot be read.
    pub fn csv(&self, text: &str) -> Result<Vec<Result<Value, RowError>>, RowError> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| RowError {
                line: 1,
                column: None,
                message: format!("cannot read the header: {e}"),
            })?
            .clone();
        let mut at = Vec::new();
        let mut missing = Vec::new();
        for c in &self.columns {
            match headers.iter().position(|h| h.trim() == c.name) {
                Some(i) => at.push(i),
                None => missing.push(format!(
                    "`{}`{}",
                    c.name,
                    crate::diag::did_you_mean(&c.name, headers.iter())
                        .map(|s| format!(" (did you mean `{s}`?)"))
                        .unwrap_or_default()
                )),
            }
        }
        if !missing.is_empty() {
            return Err(RowError {
                line: 1,
                column: None,
                message: format!("the header has no column {}", missing.join(", ")),
            });
        }
        let mut out = Vec::new();
        for record in reader.records() {
            match record {
                Ok(r) => {
                    let line = r.position().map_or(0, |p| p.line());
                    let cells = at
                        .iter()
                        .map(|&i| r.get(i).map(|s| Value::String(s.to_string())))
                        .collect::<Vec<_>>();
                    out.push(self.row(line, &cells));
                }
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    out.push(Err(RowError {
                        line,
                        column: None,
                        message: format!("cannot read the row: {e}"),
                    }));
                }
            }
        }
        Ok(out)
    }

    /// The contexts of a JSON Lines text, one per non-blank line. A mapped
    /// key that no row has is an error, as a missing CSV column is: a typo
    /// in a mapping must not turn into "no groups" on every row.
    ///
    /// # Errors
    /// A mapped key absent from every row.
    pub fn json_lines(&self, text: &str) -> Result<Vec<Result<Value, RowError>>, RowError> {
        let mut seen = vec![false; self.columns.len()];
        // Every top-level key of the rows, once each, in the order first
        // met (for a did-you-mean): kept through a set, as rows with keys of
        // their own would make a search per key quadratic.
        let mut keys: Vec<String> = Vec::new();
        let mut known = crate::hash::TextSet::default();
        let mut rows = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            // Each line is read once, for the keys it has and for its row.
            let number = i as u64 + 1;
            let v = self.parse_line(number, line);
            if let Ok(v) = &v {
                for (c, s) in self.columns.iter().zip(seen.iter_mut()) {
                    *s |= lookup(v, &c.name).is_some();
                }
                if let Some(o) = v.as_object() {
                    for k in o.keys() {
                        if known.insert(k.clone()) {
                            keys.push(k.clone());
                        }
                    }
                }
            }
            rows.push(v.and_then(|v| self.json_row(number, &v)));
        }
        let missing: Vec<String> = self
            .columns
            .iter()
            .zip(&seen)
            .filter(|(_, s)| !**s)
            .map(|(c, _)| {
                format!(
                    "`{}`{}",
                    c.name,
                    crate::diag::did_you_mean(&c.name, keys.iter().map(String::as_str))
                        .map(|k| format!(" (did you mean `{k}`?)"))
                        .unwrap_or_default()
                )
            })
            .collect();
        if !missing.is_empty() && !rows.is_empty() {
            return Err(RowError {
                line: 0,
                column: None,
                message: format!("no row has the key {}", missing.join(", ")),
            });
        }
        Ok(rows)
    }

    /// The context of one JSON Lines object (`line` for messages): keys are
    /// the mapping's column names, a dotted name reaching into objects.
    ///
    /// # Errors
    /// Malformed JSON, or a value the context cannot hold.
    pub fn json_line(&self, line: u64, text: &str) -> Result<Value, RowError> {
        self.json_row(line, &self.parse_line(line, text)?)
    }

    /// One JSON Lines line's value, or why it is not JSON.
    fn parse_line(&self, line: u64, text: &str) -> Result<Value, RowError> {
        crate::json::parse(text).map_err(|e| RowError {
            line,
            column: None,
            message: format!("malformed JSON at column {}: {}", e.column, e.message),
        })
    }

    /// The context of one JSON Lines object already read.
    fn json_row(&self, line: u64, v: &Value) -> Result<Value, RowError> {
        if !v.is_object() {
            return Err(RowError {
                line,
                column: None,
                message: format!("expected an object, found {}", crate::diag::json_kind(v)),
            });
        }
        let cells: Vec<Option<Value>> = self
            .columns
            .iter()
            .map(|c| lookup(v, &c.name).cloned())
            .collect();
        self.row(line, &cells)
    }

    /// Builds and reads one row's context.
    fn row(&self, line: u64, cells: &[Option<Value>]) -> Result<Value, RowError> {
        let mut ctx = Value::Object(Map::new());
        let err = |c: &Column, message: String| RowError {
            line,
            column: Some(c.name.clone()),
            message,
        };
        for (steps, leaf, value) in &self.constants {
            let items = match value {
                Value::Array(items) if *leaf == Leaf::List => items.clone(),
                other => vec![other.clone()],
            };
            let values = items
                .into_iter()
                .map(|x| typed(*leaf, x))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|message| RowError {
                    line,
                    column: None,
                    message: format!("constant `{}`: {message}", path_of(steps)),
                })?;
            put(&mut ctx, steps, values, *leaf == Leaf::List).map_err(|message| RowError {
                line,
                column: None,
                message,
            })?;
        }
        let mut sources = Map::new();
        for (c, cell) in self.columns.iter().zip(cells) {
            let Some(cell) = cell else { continue };
            let values = values_of(c, cell).map_err(|m| err(c, m))?;
            let Some(values) = values else { continue };
            let label = if self.source.is_empty() {
                format!("column `{}`", c.name)
            } else {
                format!("{} column `{}`", self.source, c.name)
            };
            sources.insert(c.path.clone(), label.into());
            put(&mut ctx, &c.steps, values, c.leaf == Leaf::List).map_err(|m| err(c, m))?;
        }
        // `id` first, as contexts are written; without an `id` column, the
        // email (or the line) names the context.
        if let Value::Object(m) = &mut ctx
            && let Some(id) = m.shift_remove("id")
        {
            m.shift_insert(0, "id".into(), id);
        }
        if let Value::Object(m) = &mut ctx
            && !m.contains_key("id")
        {
            let id = m
                .get("identity")
                .and_then(|i| i.get("email"))
                .cloned()
                .unwrap_or_else(|| format!("line {line}").into());
            m.shift_insert(0, "id".into(), id);
        }
        if !self.unknown.is_empty()
            && let Value::Object(m) = &mut ctx
        {
            m.insert(
                "unknown".into(),
                Value::Array(
                    self.unknown
                        .iter()
                        .map(|s| Value::from(s.as_str()))
                        .collect(),
                ),
            );
        }
        if !sources.is_empty()
            && let Value::Object(m) = &mut ctx
        {
            m.insert("sources".into(), Value::Object(sources));
        }
        // Read as any context is: a bad value is an error at its column.
        crate::subject::Subject::from_json(&ctx).map_err(|e| {
            let column = self
                .columns
                .iter()
                .find(|c| {
                    e.path.starts_with(&json_path_of(&c.steps))
                        || json_path_of(&c.steps).starts_with(&e.path) && e.path != "$"
                })
                .map(|c| c.name.clone());
            RowError {
                line,
                column,
                message: format!("{}: {}", e.path, e.message),
            }
        })?;
        Ok(ctx)
    }
}

/// `$.identity.groups` for the steps `identity`, `groups[]`, `name`: the part
/// a reader's error path starts with.
fn json_path_of(steps: &[Step]) -> String {
    let mut p = String::from("$");
    for s in steps {
        match s {
            Step::Key(k) => {
                p.push('.');
                p.push_str(k);
            }
            Step::Each(k) => {
                p.push('.');
                p.push_str(k);
                break;
            }
        }
    }
    p
}

/// What one cell writes: one value, or several for lists and `[]` paths;
/// `None` for an empty cell.
fn values_of(c: &Column, cell: &Value) -> Result<Option<Vec<Value>>, String> {
    let many = c.leaf == Leaf::List || c.steps.iter().any(|s| matches!(s, Step::Each(_)));
    let items: Vec<Value> = match cell {
        Value::Null => return Ok(None),
        Value::String(s) if s.trim().is_empty() => return Ok(None),
        Value::String(s) if many => match &c.split {
            Some(sep) => s
                .split(sep.as_str())
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(Value::from)
                .collect(),
            None => vec![Value::from(s.trim())],
        },
        Value::Array(a) if many => a.clone(),
        Value::Array(_) => return Err(format!("a list, but `{}` holds one value", c.path)),
        other => vec![other.clone()],
    };
    items
        .into_iter()
        .map(|v| typed(c.leaf, v))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// A JSON Lines row's value for a column: the key, else a dotted path.
fn lookup<'v>(v: &'v Value, name: &str) -> Option<&'v Value> {
    v.get(name)
        .or_else(|| name.split('.').try_fold(v, |at, k| at.get(k)))
}

/// A path as written in a mapping.
fn path_of(steps: &[Step]) -> String {
    steps
        .iter()
        .map(|s| match s {
            Step::Key(k) => k.clone(),
            Step::Each(k) => format!("{k}[]"),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// A cell as the leaf's JSON type: text as a CSV gives it, and in JSON Lines
/// the same spellings (`"yes"`, `1` for a flag) as well as the type itself;
/// anything else passes to the context reader, which says what is wrong.
fn typed(leaf: Leaf, v: Value) -> Result<Value, String> {
    if leaf == Leaf::Bool
        && let Some(n) = v.as_u64().filter(|n| *n <= 1)
    {
        return Ok(Value::Bool(n == 1));
    }
    let Value::String(s) = &v else { return Ok(v) };
    let t = s.trim();
    match leaf {
        Leaf::Bool => match t.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Ok(Value::Bool(true)),
            "false" | "no" | "0" => Ok(Value::Bool(false)),
            _ => Err(format!(
                "`{t}` is not true or false (true/false, yes/no, 1/0)"
            )),
        },
        Leaf::Number => t
            .parse::<u64>()
            .map(Value::from)
            .or_else(|_| {
                t.parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .ok_or(())
            })
            .map_err(|()| format!("`{t}` is not a number")),
        Leaf::Text | Leaf::List => Ok(Value::from(t)),
    }
}

/// Writes `values` at `steps` in `ctx`.
fn put(ctx: &mut Value, steps: &[Step], values: Vec<Value>, list: bool) -> Result<(), String> {
    let mut at = ctx;
    for (i, step) in steps.iter().enumerate() {
        let last = i + 1 == steps.len();
        match step {
            Step::Key(k) => {
                let Value::Object(m) = at else {
                    return Err("conflicts with another column".into());
                };
                if last {
                    let v = if values.len() == 1 && !list {
                        values.into_iter().next().unwrap_or(Value::Null)
                    } else {
                        Value::Array(values)
                    };
                    m.insert(k.clone(), v);
                    return Ok(());
                }
                at = m
                    .entry(k.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
            }
            Step::Each(k) => {
                let Value::Object(m) = at else {
                    return Err("conflicts with another column".into());
                };
                let list = m
                    .entry(k.clone())
                    .or_insert_with(|| Value::Array(Vec::new()));
                let Value::Array(items) = list else {
                    return Err("conflicts with another column".into());
                };
                while items.len() < values.len() {
                    items.push(Value::Object(Map::new()));
                }
                let rest = steps.get(i + 1..).unwrap_or_default();
                for (item, v) in items.iter_mut().zip(values) {
                    put(item, rest, vec![v], false)?;
                }
                return Ok(());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A row without its `sources` (checked apart).
    fn bare(row: Option<Result<Value, RowError>>) -> Option<Result<Value, RowError>> {
        row.map(|r| {
            r.map(|mut v| {
                if let Value::Object(m) = &mut v {
                    m.shift_remove("sources");
                }
                v
            })
        })
    }

    fn mapping(v: Value) -> Mapping {
        let m = Mapping::from_json(&v);
        assert!(m.is_ok(), "{m:?}");
        m.unwrap_or_else(|_| Mapping {
            columns: Vec::new(),
            unknown: Vec::new(),
            constants: Vec::new(),
            source: String::new(),
            warnings: Vec::new(),
        })
    }

    #[test]
    fn a_csv_row_becomes_a_context() {
        let m = mapping(json!({"columns": {
            "email": "identity.email", "id": "id",
            "groups": {"path": "identity.groups[].name", "split": ";"},
            "dept": "identity.saml_attributes.department",
            "warp": "device.facts.warp", "os": "device.os.name"}}));
        let rows = m
            .csv("id,email,groups,dept,warp,os\nu1,Ana@x.io,eng; ops,R&D,yes,mac\nu2,bo@x.io,,,no,\n")
            .unwrap_or_default();
        assert_eq!(
            bare(rows.first().cloned()),
            Some(Ok(
                json!({"id": "u1", "identity": {"email": "Ana@x.io", "groups": [{"name": "eng"}, {"name": "ops"}],
                      "saml_attributes": {"department": ["R&D"]}},
                      "device": {"facts": {"warp": true}, "os": {"name": "mac"}}})
            ))
        );
        assert_eq!(
            bare(rows.get(1).cloned()),
            Some(Ok(
                json!({"id": "u2", "identity": {"email": "bo@x.io"}, "device": {"facts": {"warp": false}}})
            ))
        );
    }

    #[test]
    fn bad_cells_and_mappings_are_errors() {
        let m = mapping(json!({"columns": {"ip": "request.ip", "warp": "device.facts.warp"}}));
        let rows = m
            .csv("ip,warp\n10.1.2,true\n10.0.0.1,maybe\n")
            .unwrap_or_default();
        assert!(
            matches!(rows.first(), Some(Err(e)) if e.line == 2 && e.column.as_deref() == Some("ip"))
        );
        assert!(
            matches!(rows.get(1), Some(Err(e)) if e.line == 3 && e.column.as_deref() == Some("warp"))
        );
        assert!(m.csv("ipp,warp\n").is_err());
        let bad = Mapping::from_json(&json!({"columns": {"e": "identity.emial"}, "extra": 1}));
        assert_eq!(bad.err().map(|e| e.len()), Some(2));
    }

    #[test]
    fn json_lines_keys_reach_into_objects() {
        let m = mapping(
            json!({"columns": {"user.mail": "identity.email", "teams": "identity.groups[].name"}}),
        );
        let ctx = m.json_line(1, r#"{"user": {"mail": "a@b.c"}, "teams": ["x", "y"]}"#);
        assert_eq!(
            ctx.as_ref()
                .ok()
                .and_then(|c| c.pointer("/sources/identity.email")),
            Some(&json!("column `user.mail`"))
        );
        assert_eq!(
            bare(Some(ctx)).unwrap_or(Ok(Value::Null)),
            Ok(
                json!({"id": "a@b.c", "identity": {"email": "a@b.c", "groups": [{"name": "x"}, {"name": "y"}]}})
            )
        );
    }
}
