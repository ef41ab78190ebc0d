//! A kind's value as the API returns it -> its resources: a bare array, one
//! bare resource, or the envelope `{"success", "errors", "messages", "result",
//! "result_info"}` whose `result` is an array, one object, or (for list items)
//! an array of pages (`config.md` §1).

use super::reader::Reader;
use crate::json::tree::{Map, Value};

/// What `result_info` says about the pages of a kind.
#[derive(Debug, Clone, Copy, Default)]
pub struct Paging {
    /// Resources held, over every page read.
    pub held: u64,
    /// The largest `total_count` any page gave.
    pub total_count: Option<u64>,
    /// The pages read, by their `page` numbers.
    pub pages_seen: u64,
    /// The largest `total_pages` any page gave.
    pub total_pages: Option<u64>,
}

impl Paging {
    /// Adds one envelope's `result_info` and what it held.
    fn add(&mut self, info: Option<&Value>, held: usize) {
        self.held += held as u64;
        let Some(Value::Object(info)) = info else {
            return;
        };
        let num = |k: &str| info.get(k).and_then(Value::as_u64);
        if let Some(t) = num("total_count") {
            self.total_count = Some(self.total_count.map_or(t, |m| m.max(t)));
        }
        if let Some(t) = num("total_pages") {
            self.total_pages = Some(self.total_pages.map_or(t, |m| m.max(t)));
        }
        if num("page").is_some() {
            self.pages_seen += 1;
        }
    }

    /// Why the pages read are not the whole kind, if they are not.
    pub fn missing(&self) -> Option<String> {
        if let Some(total) = self.total_count
            && total > self.held
        {
            return Some(format!(
                "the API says there are {total} and the files hold {}",
                self.held
            ));
        }
        if let Some(pages) = self.total_pages
            && self.total_count.is_none()
            && pages > self.pages_seen
        {
            return Some(format!(
                "the API says there are {pages} pages and the files hold {}",
                self.pages_seen
            ));
        }
        None
    }
}

/// How a kind's value may hold its resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// An array (or one resource where the API returns one).
    Many,
    /// Exactly one object (the organization, the default device profile).
    One,
    /// List items: an array of items, or an array of pages of items.
    Pages,
}

/// Whether an object is an API envelope rather than a resource.
fn is_envelope(obj: &Map<String, Value>) -> bool {
    obj.contains_key("result")
        && (obj.contains_key("success") || obj.contains_key("errors") || obj.len() == 1)
}

impl Reader<'_> {
    /// The resources of a kind's value, each with its JSON path; paging is
    /// added to `paging`. Problems are recorded; `None` when nothing can be read.
    pub fn records<'v>(
        &mut self,
        v: &'v mut Value,
        path: &str,
        expect: Expect,
        paging: &mut Paging,
    ) -> Option<Vec<(&'v mut Value, String)>> {
        let envelope = matches!(&*v, Value::Object(env) if is_envelope(env));
        if envelope {
            let Value::Object(env) = v else {
                return None;
            };
            if env.get("success") == Some(&Value::Bool(false)) {
                let errs = match env.get("errors") {
                    Some(Value::Array(e)) if !e.is_empty() => e
                        .iter()
                        .map(|e| {
                            e.get("message")
                                .and_then(Value::as_str)
                                .map_or_else(|| e.to_string(), str::to_string)
                        })
                        .collect::<Vec<_>>()
                        .join("; "),
                    _ => "none given".into(),
                };
                self.error(
                    path,
                    format!("the API envelope says `\"success\": false` (errors: {errs}): this is a failed request, not a configuration"),
                );
                return None;
            }
            // Read before the body is lent out: its records are moved from.
            let info = env.get("result_info").cloned();
            // `is_envelope` holds: there is a `result`.
            let Some(body) = env.get_mut("result") else {
                return Some(Vec::new());
            };
            let out = self.bodies(body, &format!("{path}.result"), expect)?;
            paging.add(info.as_ref(), out.len());
            return Some(out);
        }
        let out = self.bodies(v, path, expect)?;
        paging.add(None, out.len());
        Some(out)
    }

    fn bodies<'v>(
        &mut self,
        body: &'v mut Value,
        path: &str,
        expect: Expect,
    ) -> Option<Vec<(&'v mut Value, String)>> {
        match (body, expect) {
            (body @ Value::Object(_), Expect::One | Expect::Many) => {
                Some(vec![(body, path.to_string())])
            }
            (Value::Array(items), Expect::Many) => Some(
                items
                    .iter_mut()
                    .enumerate()
                    .map(|(i, v)| {
                        let mut p = String::with_capacity(path.len() + 8);
                        p.push_str(path);
                        crate::diag::push_path_index(&mut p, i);
                        (v, p)
                    })
                    .collect(),
            ),
            (Value::Array(items), Expect::Pages) => {
                let mut out = Vec::new();
                for (i, item) in items.iter_mut().enumerate() {
                    match item {
                        Value::Array(page) => out.extend(
                            page.iter_mut()
                                .enumerate()
                                .map(|(j, v)| (v, format!("{path}[{i}][{j}]"))),
                        ),
                        v => out.push((v, format!("{path}[{i}]"))),
                    }
                }
                Some(out)
            }
            (Value::Null, Expect::Many | Expect::Pages) => Some(Vec::new()),
            (other, _) => {
                let want = match expect {
                    Expect::One => "an object or an API envelope",
                    Expect::Many => "an array, one resource or an API envelope",
                    Expect::Pages => "an array of items (or of pages of items) or an API envelope",
                };
                self.error(path, format!("expected {want}, found {}", other.kind()));
                None
            }
        }
    }
}
