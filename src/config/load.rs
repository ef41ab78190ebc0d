//! Files and folders -> JSON values by kind -> `Config` (`config.md` §1).
//!
//! A bundle is one object keyed by kind; a folder holds `<kind>.json` files or
//! `<kind>/` folders of pages (merged in file-name order), and the endpoints
//! attached to one list or profile as `<key>/<id>.json`. Only regular files
//! are read, each up to a size limit; anything that cannot be read is an
//! error naming the file, never a kind that silently disappears.

use super::envelope::Paging;
use super::model::{ATTACHED, Config, KINDS, Problem, Severity};
use super::reader::Reader;
use crate::json::tree::Value;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Limits on what loading reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadOptions {
    /// The largest file read, in bytes.
    pub max_file_bytes: u64,
}

impl Default for LoadOptions {
    fn default() -> Self {
        // Generous: the largest real export seen is a few MB; 256 MiB stops
        // `/dev/zero` and runaway files, not configurations.
        LoadOptions {
            max_file_bytes: 256 << 20,
        }
    }
}

/// Reads a regular file of at most `limit` bytes as UTF-8.
pub fn read_file(path: &Path, limit: u64) -> Result<String, String> {
    // `metadata` follows links: a dangling or looping link fails here, and a
    // FIFO or device is refused before it is opened (opening a FIFO blocks).
    let meta = std::fs::metadata(path).map_err(|e| {
        if std::fs::symlink_metadata(path).is_ok() {
            format!("cannot read the file: it is a link that leads nowhere readable ({e})")
        } else {
            format!("cannot read the file: {e}")
        }
    })?;
    if !meta.is_file() {
        return Err(if meta.is_dir() {
            "cannot read the file: it is a folder".into()
        } else {
            "cannot read the file: it is not a regular file (a FIFO, socket or device)".into()
        });
    }
    if meta.len() > limit {
        return Err(format!(
            "cannot read the file: it has {} bytes, more than the limit of {limit}",
            meta.len()
        ));
    }
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read the file: {e}"))?;
    let mut bytes = Vec::new();
    // A file that grows while read is still bounded.
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the file: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!(
            "cannot read the file: it has more than the limit of {limit} bytes"
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "cannot read the file: it is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// Values read so far, by kind, then turned into a `Config` at once.
struct Loader {
    problems: Vec<Problem>,
    cfg: Config,
    paging: BTreeMap<&'static str, Paging>,
    /// `(key, id, value, file, path)` of the attached endpoints.
    attached: Vec<(&'static str, String, Value, String, String)>,
    found_kind: bool,
    /// Resources that replace the ones read (`load_path_overlay`).
    overlay: Option<Overlay>,
}

/// Resources managed elsewhere (a Terraform plan's side) laid over an
/// export: the export's resources with a managed id are dropped, then the
/// overlay's are read, as if they had been in the export.
#[derive(Debug, Clone)]
pub struct Overlay {
    /// A bundle (`{kind: [...]}`).
    pub bundle: serde_json::Value,
    /// Every id the overlay manages, on either side of a change.
    pub managed: std::collections::HashSet<String>,
    /// Names the overlay in problems.
    pub file: String,
}

impl Loader {
    fn new() -> Self {
        Loader {
            problems: Vec::new(),
            cfg: Config::default(),
            paging: BTreeMap::new(),
            attached: Vec::new(),
            found_kind: false,
            overlay: None,
        }
    }

    /// Drops the resources the overlay manages and reads the overlay's.
    fn lay_overlay(&mut self) {
        let Some(o) = self.overlay.take() else {
            return;
        };
        let mut bundle = Value::from(o.bundle);
        let m = &o.managed;
        let keep = |id: Option<&String>| id.is_none_or(|i| !m.contains(i));
        let c = &mut self.cfg;
        c.groups.retain(|x| keep(Some(&x.id)));
        c.lists.retain(|x| keep(Some(&x.id)));
        c.posture_rules.retain(|x| keep(Some(&x.id)));
        c.identity_providers.retain(|x| keep(Some(&x.id)));
        c.managed_networks.retain(|x| keep(Some(&x.id)));
        c.service_tokens.retain(|x| keep(Some(&x.id)));
        c.policies.retain(|x| keep(x.id.as_ref()));
        c.applications.retain(|x| keep(x.id.as_ref()));
        c.ip_profiles.retain(|x| keep(x.id.as_ref()));
        let new_default = bundle.get("device_default_profile").is_some();
        c.device_profiles
            .retain(|x| keep(x.id.as_ref()) && !(new_default && x.default));
        if bundle.get("organization").is_some() {
            c.organization = None;
        }
        for kind in KINDS {
            if let Some(value) = bundle.get_mut(kind)
                && !value.is_null()
            {
                self.kind(kind, value, &o.file, &format!("$.{kind}"));
            }
        }
        for key in ATTACHED {
            if let Some(value) = bundle.get(key)
                && !value.is_null()
            {
                self.attached_map(key, value, &o.file, &format!("$.{key}"));
            }
        }
    }

    fn problem(&mut self, severity: Severity, file: &str, path: &str, message: String) {
        self.problems.push(Problem {
            severity,
            file: file.to_string(),
            path: path.to_string(),
            message,
            expr: None,
            position: None,
        });
    }

    /// Parses a file's text, recording a problem if it is not JSON.
    fn parse(&mut self, text: &str, file: &str) -> Option<Value> {
        match crate::json::parse_tree(text) {
            Ok(v) => Some(v),
            Err(e) => {
                let message = if e.line == 0 {
                    e.message
                } else {
                    crate::json::located(&e)
                };
                self.problems.push(Problem {
                    severity: Severity::Error,
                    file: file.to_string(),
                    path: e.path,
                    message,
                    expr: None,
                    position: (e.line > 0).then_some((e.line, e.column)),
                });
                None
            }
        }
    }

    fn read(&mut self, path: &Path, opts: &LoadOptions) -> Option<Value> {
        let file = path.display().to_string();
        match read_file(path, opts.max_file_bytes) {
            Ok(text) => self.parse(&text, &file),
            Err(message) => {
                self.problem(Severity::Error, &file, "$", message);
                None
            }
        }
    }

    /// Reads one kind's value; its rules are moved out of it (`RuleAt::json`).
    fn kind(&mut self, kind: &'static str, v: &mut Value, file: &str, path: &str) {
        self.found_kind = true;
        let mut r = Reader {
            file: file.to_string(),
            problems: &mut self.problems,
        };
        let paging = self.paging.entry(kind).or_default();
        r.kind(&mut self.cfg, kind, v, path, paging);
    }

    /// An attached endpoint's map `{id: value}` (bundle key or `<key>.json`).
    fn attached_map(&mut self, key: &'static str, v: &Value, file: &str, path: &str) {
        self.found_kind = true;
        let Value::Object(map) = v else {
            self.problem(
                Severity::Error,
                file,
                path,
                format!(
                    "expected an object from a list or profile id to what its endpoint returns, found {}",
                    v.kind()
                ),
            );
            return;
        };
        for (id, value) in map {
            let p = format!("{path}{}", crate::diag::path_key(id));
            self.attached
                .push((key, id.clone(), value.clone(), file.to_string(), p));
        }
    }

    fn finish(mut self, what: &str, expected_hint: bool) -> (Config, Vec<Problem>) {
        self.lay_overlay();
        if !self.found_kind && !self.problems.iter().any(|p| p.severity == Severity::Error) {
            let names = KINDS
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let mut hint = if expected_hint {
                " (files named `<kind>.json` or folders `<kind>/` of pages)".to_string()
            } else {
                String::new()
            };
            // One level too high: name the folders below that hold kinds.
            if expected_hint {
                let below = folders_with_kinds(std::path::Path::new(what));
                if !below.is_empty() {
                    hint.push_str(&format!(
                        "; these folders in it hold configuration kinds: {}",
                        below.join(", ")
                    ));
                }
            }
            self.problem(
                Severity::Error,
                what,
                "$",
                format!("no configuration kind found; expected one of {names}{hint}"),
            );
        }
        let attached = std::mem::take(&mut self.attached);
        let mut r = Reader {
            file: String::new(),
            problems: &mut self.problems,
        };
        let targets = super::attach::Targets::new(&self.cfg);
        for (key, id, mut value, file, path) in attached {
            r.file = file;
            r.attach(&mut self.cfg, &targets, key, &id, &mut value, &path);
        }
        for (kind, paging) in &self.paging {
            if let Some(why) = paging.missing() {
                self.problems.push(Problem {
                    severity: Severity::Warning,
                    file: what.to_string(),
                    path: format!("$.{kind}"),
                    message: format!(
                        "the configuration is incomplete: `{kind}` is one page of several ({why}); export every page"
                    ),
                    expr: None,
                position: None,
                });
            }
        }
        super::finish::finish(&mut self.cfg, &mut self.problems);
        (self.cfg, self.problems)
    }
}

fn static_kind(name: &str) -> Option<&'static str> {
    KINDS.iter().copied().find(|k| *k == name)
}

fn static_attached(name: &str) -> Option<&'static str> {
    ATTACHED.iter().copied().find(|k| *k == name)
}

/// A bundle: one object whose keys are resource kinds (and attached endpoints).
pub fn load_bundle(text: &str, file: &str) -> (Config, Vec<Problem>) {
    load_bundle_over(text, file, None)
}

fn load_bundle_over(text: &str, file: &str, overlay: Option<Overlay>) -> (Config, Vec<Problem>) {
    let mut l = Loader::new();
    l.overlay = overlay;
    let Some(mut v) = l.parse(text, file) else {
        return (l.cfg, l.problems);
    };
    // `terraform show -json` (a plan: its planned values; a state: its
    // values), read as the bundle it maps to.
    if v.as_object()
        .is_some_and(|o| crate::terraform::is_terraform_object(|k| o.contains_key(k)))
    {
        // The Terraform reader works on serde_json's tree.
        match crate::terraform::read(v.to_serde()) {
            Ok(doc) => {
                let b = crate::terraform::bundle(&doc, crate::terraform::Side::After);
                if doc.plan {
                    l.problem(
                        Severity::Warning,
                        file,
                        "$",
                        "a Terraform plan: its planned values are read as the configuration (`zt-eval diff --plan` compares them with its prior state)".into(),
                    );
                }
                for t in &b.ignored {
                    l.problem(
                        Severity::Warning,
                        file,
                        "$",
                        format!(
                            "Terraform resources of type `{t}` are not read by zt-eval; ignored"
                        ),
                    );
                }
                for what in &b.unknown_unread {
                    l.problem(
                        Severity::Warning,
                        file,
                        "$",
                        format!("`{what}` is known only after apply; no decision reads it"),
                    );
                }
                for what in &b.unresolved {
                    l.problem(
                        Severity::Error,
                        file,
                        "$",
                        format!("`{what}` is known only after apply and nothing in the plan says what it will be; decisions that read it cannot be made"),
                    );
                }
                l.found_kind = true;
                v = Value::from(b.json);
            }
            Err(problems) => {
                for (path, message) in problems {
                    l.problem(Severity::Error, file, &path, message);
                }
                return (l.cfg, l.problems);
            }
        }
    }
    let Value::Object(obj) = &mut v else {
        l.problem(
            Severity::Error,
            file,
            "$",
            format!(
                "expected an object whose keys are configuration kinds, found {}",
                &v.kind()
            ),
        );
        return (l.cfg, l.problems);
    };
    for key in obj.keys() {
        if static_kind(key).is_none() && static_attached(key).is_none() {
            let hint = crate::diag::did_you_mean(key, KINDS.iter().chain(ATTACHED).copied())
                .map(|k| format!(" (did you mean `{k}`?)"))
                .unwrap_or_default();
            l.found_kind = true;
            l.problem(
                Severity::Error,
                file,
                &format!("${}", crate::diag::path_key(key)),
                format!("unknown resource kind `{key}`{hint}"),
            );
        }
    }
    for kind in KINDS {
        if let Some(value) = obj.get_mut(kind)
            && !value.is_null()
        {
            l.kind(kind, value, file, &format!("$.{kind}"));
        }
    }
    for key in ATTACHED {
        if let Some(value) = obj.get(key)
            && !value.is_null()
        {
            l.attached_map(key, value, file, &format!("$.{key}"));
        }
    }
    l.finish(file, false)
}

/// The entries of a folder, sorted, or an error naming it.
fn entries(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let rd = std::fs::read_dir(dir).map_err(|e| format!("cannot read the folder: {e}"))?;
    let mut out = Vec::new();
    for e in rd {
        out.push(
            e.map_err(|e| format!("cannot read the folder: {e}"))?
                .path(),
        );
    }
    out.sort();
    Ok(out)
}

/// A folder of `<kind>.json` files and `<kind>/` folders of pages.
fn load_folder_over(
    dir: &Path,
    opts: &LoadOptions,
    overlay: Option<Overlay>,
) -> (Config, Vec<Problem>) {
    let mut l = Loader::new();
    l.overlay = overlay;
    let what = dir.display().to_string();
    let list = match entries(dir) {
        Ok(list) => list,
        Err(m) => {
            l.problem(Severity::Error, &what, "$", m);
            return (l.cfg, l.problems);
        }
    };
    // Kinds are read in `KINDS` order whatever the file names' order.
    let mut kinds: Vec<(usize, PathBuf)> = Vec::new();
    for path in list {
        let name = path.file_name().and_then(|s| s.to_str()).unwrap_or("");
        let (stem, json) = match name.strip_suffix(".json") {
            Some(stem) => (stem, true),
            None => (name, false),
        };
        // A dangling link is neither a file nor a folder: `is_dir` is false
        // and reading it reports why.
        let is_dir = path.is_dir();
        let known = static_kind(stem).or_else(|| static_attached(stem));
        match known {
            Some(_) if json != is_dir => {
                let rank = KINDS
                    .iter()
                    .chain(ATTACHED)
                    .position(|k| *k == stem)
                    .unwrap_or(usize::MAX);
                kinds.push((rank, path));
            }
            // Hidden files and notes beside an export are not configuration.
            _ if name.starts_with('.') || name.ends_with(".md") => {}
            // Other folders (contexts, tests) live beside configurations; one
            // named almost like a kind is a typo worth a word.
            _ if is_dir
                && crate::diag::did_you_mean(stem, KINDS.iter().chain(ATTACHED).copied())
                    .is_none() => {}
            _ => {
                let file = path.display().to_string();
                l.problem(
                    Severity::Warning,
                    &file,
                    "$",
                    "not a configuration file (expected `<kind>.json` or a folder `<kind>/` of pages, e.g. `access_groups.json`); ignored".into(),
                );
            }
        }
    }
    kinds.sort();
    for (_, path) in kinds {
        let name = path.file_name().and_then(|s| s.to_str()).unwrap_or("");
        let stem = name.strip_suffix(".json").unwrap_or(name);
        let file = path.display().to_string();
        if path.is_dir() {
            folder_of_pages(&mut l, stem, &path, opts);
            continue;
        }
        let Some(mut v) = l.read(&path, opts) else {
            l.found_kind = true;
            continue;
        };
        if let Some(kind) = static_kind(stem) {
            l.kind(kind, &mut v, &file, "$");
        } else if let Some(key) = static_attached(stem) {
            l.attached_map(key, &v, &file, "$");
        }
    }
    l.finish(&what, true)
}

/// `<kind>/`: pages of one kind in file-name order, or `<key>/<id>.json`: the
/// endpoint attached to one list or profile.
fn folder_of_pages(l: &mut Loader, stem: &str, dir: &Path, opts: &LoadOptions) {
    l.found_kind = true;
    let list = match entries(dir) {
        Ok(list) => list,
        Err(m) => {
            l.problem(Severity::Error, &dir.display().to_string(), "$", m);
            return;
        }
    };
    for path in list {
        let name = path.file_name().and_then(|s| s.to_str()).unwrap_or("");
        let file = path.display().to_string();
        let Some(id) = name.strip_suffix(".json") else {
            if !name.starts_with('.') {
                l.problem(
                    Severity::Warning,
                    &file,
                    "$",
                    "not a JSON page (expected `<name>.json`); ignored".into(),
                );
            }
            continue;
        };
        let Some(mut v) = l.read(&path, opts) else {
            continue;
        };
        if let Some(kind) = static_kind(stem) {
            l.kind(kind, &mut v, &file, "$");
        } else if let Some(key) = static_attached(stem) {
            l.attached.push((key, id.to_string(), v, file, "$".into()));
        }
    }
}

/// Reads a configuration from a bundle file or a folder.
pub fn load_path_with(path: &Path, opts: &LoadOptions) -> (Config, Vec<Problem>) {
    load_path_over(path, opts, None)
}

/// Reads an export (a bundle file or a folder) with `overlay`'s resources
/// laid over it: what a Terraform plan manages replaces what the export
/// has, the rest of the export stays (`zt-eval diff --plan --config`).
pub fn load_path_overlay(path: &Path, overlay: Overlay) -> (Config, Vec<Problem>) {
    load_path_over(path, &LoadOptions::default(), Some(overlay))
}

fn load_path_over(
    path: &Path,
    opts: &LoadOptions,
    overlay: Option<Overlay>,
) -> (Config, Vec<Problem>) {
    if path.is_dir() {
        return load_folder_over(path, opts, overlay);
    }
    let file = path.display().to_string();
    match read_file(path, opts.max_file_bytes) {
        Ok(text) => load_bundle_over(&text, &file, overlay),
        Err(message) => (
            Config::default(),
            vec![Problem {
                severity: Severity::Error,
                file,
                path: "$".into(),
                message,
                expr: None,
                position: None,
            }],
        ),
    }
}

/// Reads a configuration from a bundle file or a folder of per-kind files,
/// with the default limits. Returns the configuration (possibly partial) and
/// every problem found while reading.
pub fn load_path(path: &Path) -> (Config, Vec<Problem>) {
    load_path_with(path, &LoadOptions::default())
}

/// Reads a bundle from JSON text; `file` names it in problems.
pub fn load_str(text: &str, file: &str) -> (Config, Vec<Problem>) {
    load_bundle(text, file)
}

/// The subfolders of `dir` (sorted, at most 10) that hold a `<kind>.json` file.
fn folders_with_kinds(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| {
            KINDS
                .iter()
                .any(|k| e.path().join(format!("{k}.json")).is_file())
        })
        .map(|e| format!("`{}`", e.path().display()))
        .collect();
    out.sort();
    out.truncate(10);
    out
}
