//! Where values start in a JSON text, for many JSON paths at once: the
//! positions of a file's problems. `json::locate` answers one path by reading
//! the text up to it; asked once per problem, a file of many problems (ten
//! thousand unknown keys) was read ten thousand times. This reads the text
//! once, and descends only into values on the way to a wanted path: each
//! value is taken as the raw text serde_json borrows from the input, whose
//! place in the input is its position.

use serde::Deserialize;
use serde::de::{MapAccess, Visitor};
use serde_json::value::RawValue;
use std::collections::{HashMap, HashSet};
use std::fmt;

/// Where the value at each of `paths` (`$.access_groups[3].include[0]`)
/// starts in `text`: 1-based line and column (in bytes, as serde_json counts
/// them), for the paths the text has, but the root. Nothing for a text that
/// is not JSON.
pub fn locate_all(text: &str, paths: &[&str]) -> HashMap<String, (usize, usize)> {
    let mut found = HashMap::new();
    if paths.is_empty() {
        return found;
    }
    let on_the_way: HashSet<&str> = paths.iter().flat_map(|p| prefixes(p)).collect();
    let walk = Walk {
        text,
        wanted: paths.iter().copied().collect(),
        on_the_way,
        lines: LineStarts::new(text),
    };
    if let Ok(root) = serde_json::from_str::<&RawValue>(text) {
        walk.visit(root, "$".to_string(), &mut found);
    }
    found
}

/// Each shorter path `path` lies under: cut before each `.` and `[`.
/// A key holding one of those characters gives a cut that names nothing,
/// which is never found and so costs nothing.
pub fn prefixes(path: &str) -> impl Iterator<Item = &str> {
    path.char_indices()
        .filter(|&(i, c)| i > 0 && (c == '.' || c == '['))
        .map(move |(i, _)| path.get(..i).unwrap_or_default())
}

struct Walk<'t> {
    text: &'t str,
    wanted: HashSet<&'t str>,
    on_the_way: HashSet<&'t str>,
    lines: LineStarts,
}

impl Walk<'_> {
    fn visit(&self, raw: &RawValue, path: String, found: &mut HashMap<String, (usize, usize)>) {
        let body = raw.get();
        // The root has no position worth showing, as for `json::locate`.
        if path != "$" && self.wanted.contains(path.as_str()) {
            // The raw value is a slice of the text: its address is its place.
            let offset = (body.as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize);
            found.insert(path.clone(), self.lines.position(offset));
        }
        if !self.on_the_way.contains(path.as_str()) {
            return;
        }
        match body.as_bytes().first() {
            Some(b'{') => {
                if let Ok(Entries(entries)) = serde_json::from_str::<Entries>(body) {
                    for (key, value) in entries {
                        let mut p = path.clone();
                        crate::diag::push_path_key(&mut p, &key);
                        self.visit(value, p, found);
                    }
                }
            }
            Some(b'[') => {
                if let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(body) {
                    for (i, item) in items.into_iter().enumerate() {
                        self.visit(item, format!("{path}[{i}]"), found);
                    }
                }
            }
            _ => {}
        }
    }
}

/// An object's entries as raw values, in input order.
struct Entries<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Entries<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<String, &'de RawValue>()? {
                    out.push(entry);
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// Where each line of a text starts, to turn a byte offset into a line and
/// column.
struct LineStarts(Vec<usize>);

impl LineStarts {
    fn new(text: &str) -> LineStarts {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineStarts(starts)
    }

    fn position(&self, offset: usize) -> (usize, usize) {
        let line = self.0.partition_point(|&start| start <= offset).max(1);
        let start = self.0.get(line - 1).copied().unwrap_or(0);
        (line, offset - start + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_path_in_one_reading() {
        let text = "{\"a\": [1,\n  {\"b\": \"x\"}], \"c.d\": {\"e\": null}}";
        let found = locate_all(text, &["$.a[1].b", "$.a[0]", "$.nope", "$[\"c.d\"].e", "$"]);
        assert_eq!(found.get("$.a[1].b"), Some(&(2, 9)));
        assert_eq!(found.get("$.a[0]"), Some(&(1, 8)));
        assert_eq!(found.get("$[\"c.d\"].e"), Some(&(2, 29)));
        assert_eq!(found.get("$"), None);
        assert_eq!(found.get("$.nope"), None);
        assert!(locate_all("{", &["$"]).is_empty());
    }

    /// `json::locate`, one path at a time, and this agree, on one line and
    /// pretty-printed (values that begin a line, indented or not).
    #[test]
    fn agrees_with_locate_path_by_path() {
        let one_line = r#"{"access_groups": [{"id": "g", "include": [{"email": {"email": "a@b.c"}}, {"ip": {"ip": "10.0.0.0/8"}}], "x y": [[1, 2], {"k": true}], "é.[\"": 0}], "lists": []}"#;
        let pretty = crate::json::parse(one_line)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or_default();
        let flush = "[\n1,\n{\n\"a\":\n[\n2\n]\n}\n]";
        for text in [one_line, pretty.as_str(), flush] {
            agrees_on(text);
        }
    }

    fn agrees_on(text: &str) {
        let mut paths = vec!["$".to_string()];
        let mut i = 0;
        while let Some(p) = paths.get(i).cloned() {
            i += 1;
            let Some(v) = crate::json::parse(text).ok() else {
                break;
            };
            let Some(node) = pointer(&v, &p) else {
                continue;
            };
            match node {
                serde_json::Value::Object(o) => {
                    paths.extend(o.keys().map(|k| format!("{p}{}", crate::diag::path_key(k))));
                }
                serde_json::Value::Array(a) => {
                    paths.extend((0..a.len()).map(|j| format!("{p}[{j}]")));
                }
                _ => {}
            }
        }
        let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
        let found = locate_all(text, &refs);
        assert!(paths.len() > 4, "{paths:?}");
        for p in paths.iter().filter(|p| *p != "$") {
            assert_eq!(found.get(p).copied(), crate::json::locate(text, p), "{p}");
        }
    }

    /// The value at a rendered path, by walking the tree.
    fn pointer<'v>(v: &'v serde_json::Value, path: &str) -> Option<&'v serde_json::Value> {
        if path == "$" {
            return Some(v);
        }
        let (parent, last) = match path.rfind(['.', '[']) {
            Some(i) => (path.get(..i)?, path.get(i..)?),
            None => return None,
        };
        let parent = pointer(v, parent)?;
        if let Some(key) = last.strip_prefix('.') {
            return parent.get(key);
        }
        let inner = last.strip_prefix('[')?.strip_suffix(']')?;
        match inner.parse::<usize>() {
            Ok(i) => parent.get(i),
            Err(_) => parent.get(serde_json::from_str::<String>(inner).ok()?.as_str()),
        }
    }
}
