//! The reader of one configuration file's JSON values: every problem it finds is
//! recorded with the file and the JSON path, and reading goes on.

use super::model::{Problem, Severity};
use crate::json::tree::{Map, Value};

/// Reads values of one file, collecting problems.
pub struct Reader<'a> {
    pub file: String,
    pub problems: &'a mut Vec<Problem>,
}

impl Reader<'_> {
    pub fn error(&mut self, path: &str, message: String) {
        self.problem(Severity::Error, path, message);
    }

    pub fn warning(&mut self, path: &str, message: String) {
        self.problem(Severity::Warning, path, message);
    }

    pub fn problem(&mut self, severity: Severity, path: &str, message: String) {
        self.problems.push(Problem {
            severity,
            file: self.file.clone(),
            path: path.to_string(),
            message,
            expr: None,
            position: None,
        });
    }

    /// The object at `path`, to move parts out of, or an error.
    pub fn object_mut<'v>(
        &mut self,
        v: &'v mut Value,
        path: &str,
    ) -> Option<&'v mut Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            other => {
                self.object(other, path);
                None
            }
        }
    }

    /// The object at `path`, or an error.
    pub fn object<'v>(&mut self, v: &'v Value, path: &str) -> Option<&'v Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            other => {
                self.error(path, format!("expected an object, found {}", other.kind()));
                None
            }
        }
    }

    /// A required string field.
    pub fn string_in(&mut self, obj: &Map<String, Value>, key: &str, path: &str) -> Option<String> {
        self.string_at(obj, key, &|| path.to_string())
    }

    /// A required string field of the object at `path()`: the path is built
    /// only for an error (reading a large configuration calls this for every
    /// field).
    pub fn string_at(
        &mut self,
        obj: &Map<String, Value>,
        key: &str,
        path: &dyn Fn() -> String,
    ) -> Option<String> {
        let p = || format!("{}{}", path(), path_key(key));
        match obj.get(key) {
            Some(Value::String(s)) => Some(s.clone()),
            None | Some(Value::Null) => {
                self.error(&p(), format!("missing field `{key}`"));
                None
            }
            Some(other) => {
                self.error(&p(), format!("expected a string, found {}", other.kind()));
                None
            }
        }
    }

    /// A profile's or a policy's `precedence`: a number, or absent; `-0` is
    /// read as `0`, the number it equals (`model::precedence_order`).
    ///
    /// # Errors
    /// Another JSON type, reported at its path.
    pub fn precedence(&mut self, obj: &Map<String, Value>, path: &str) -> Result<Option<f64>, ()> {
        match obj.get("precedence") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64().map(super::model::precedence_order)),
            Some(other) => {
                self.error(
                    &format!("{path}.precedence"),
                    format!("expected a number, found {}", other.kind()),
                );
                Err(())
            }
        }
    }

    /// An optional string field.
    pub fn opt_string(
        &mut self,
        obj: &Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Option<String> {
        match obj.get(key) {
            None | Some(Value::Null) => None,
            Some(_) => self.string_in(obj, key, path),
        }
    }

    pub fn string_array(&mut self, v: Option<&Value>, path: &str) -> Option<Vec<String>> {
        let Some(Value::Array(items)) = v else {
            self.error(path, "expected an array of strings".to_string());
            return None;
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item {
                Value::String(s) => out.push(s.clone()),
                other => self.error(
                    &format!("{path}[{i}]"),
                    format!("expected a string, found {}", other.kind()),
                ),
            }
        }
        Some(out)
    }
}

pub use crate::diag::path_key;
