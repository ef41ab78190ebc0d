//! Per application over a population, what Cloudflare's policy tester reports
//! (`access/policy-tests`: approved / blocked counts and the users of each
//! status), so that the two can be compared: approved (allow, bypass, Service
//! Auth), blocked (deny), unknown (zt-eval's third answer, `config.md` §9),
//! and the lines that could not be decided.

use crate::engine::Engine;
use crate::whatif::simulate::{Record, decide_line};
use serde_json::{Value, json};

/// One application over the population.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppSummary {
    /// Its id.
    pub id: Option<String>,
    /// Its name.
    pub name: String,
    /// Contexts it would let in (allow, bypass, Service Auth).
    pub approved: usize,
    /// Contexts it would deny.
    pub blocked: usize,
    /// Contexts whose answer cannot be known offline.
    pub unknown: usize,
    /// The first users of each status (`email`, else the context id), at
    /// most the number asked for each.
    pub users: [Vec<String>; 3],
}

/// The population's summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessSummary {
    /// Contexts decided or not (non-blank lines).
    pub contexts: usize,
    /// Lines that could not be decided (counted apart: percentages are of
    /// the decided contexts).
    pub errors: usize,
    /// The first of those lines' numbers (at most 100), so a person can find them.
    pub error_lines: Vec<usize>,
    /// Per application, input order (those `--app` keeps).
    pub apps: Vec<AppSummary>,
}

const STATUS: [&str; 3] = ["approved", "blocked", "unknown"];

/// Decides every line and counts each application's answers, keeping up to
/// `users` users per status.
pub fn summarize<I, L>(engine: &Engine, lines: I, users: usize) -> AccessSummary
where
    I: IntoIterator<Item = L>,
    L: AsRef<[u8]>,
{
    let mut out = AccessSummary::default();
    let mut scratch = engine.scratch();
    for (i, line) in lines.into_iter().enumerate() {
        let Ok(text) = std::str::from_utf8(line.as_ref()) else {
            out.contexts += 1;
            out.error(i + 1);
            continue;
        };
        let Some(record) = decide_line(engine, &mut scratch, i + 1, text, false) else {
            continue;
        };
        out.contexts += 1;
        let d = match record {
            Record::Decision(d) => d,
            Record::Error(_) => {
                out.error(i + 1);
                continue;
            }
        };
        let who = who(text)
            .or_else(|| d.id.as_ref().map(ToString::to_string))
            .unwrap_or_else(|| format!("line {}", i + 1));
        for (k, a) in d.applications.iter().flatten().enumerate() {
            if out.apps.len() <= k {
                out.apps.push(AppSummary {
                    id: a.app.id.clone(),
                    name: a.app.name.clone(),
                    ..AppSummary::default()
                });
            }
            let Some(s) = out.apps.get_mut(k) else {
                continue;
            };
            let status = match a.result.word() {
                "allow" | "bypass" | "non_identity" => 0,
                "deny" => 1,
                _ => 2,
            };
            match status {
                0 => s.approved += 1,
                1 => s.blocked += 1,
                _ => s.unknown += 1,
            }
            if let Some(list) = s.users.get_mut(status)
                && list.len() < users
            {
                list.push(who.clone());
            }
        }
    }
    out
}

/// The context's email, read leniently from its text.
fn who(text: &str) -> Option<String> {
    let v: Value = serde_json::from_str(text).ok()?;
    v.pointer("/identity/email")?.as_str().map(String::from)
}

fn percent(n: usize, of: usize) -> f64 {
    if of == 0 {
        0.0
    } else {
        (n as f64 * 1000.0 / of as f64).round() / 10.0
    }
}

impl AccessSummary {
    fn error(&mut self, line: usize) {
        self.errors += 1;
        if self.error_lines.len() < crate::whatif::diff::ERROR_LINES_KEPT {
            self.error_lines.push(line);
        }
    }

    /// Contexts decided: the base of the percentages.
    pub fn decided(&self) -> usize {
        self.contexts - self.errors
    }

    /// As JSON: per application its counts, percentages and users.
    pub fn to_json(&self) -> Value {
        let apps: Vec<Value> = self
            .apps
            .iter()
            .map(|a| {
                let mut users = serde_json::Map::new();
                for (status, list) in STATUS.iter().zip(&a.users) {
                    users.insert((*status).into(), json!(list));
                }
                let of = self.decided();
                json!({"id": a.id, "name": a.name,
                       "approved": a.approved, "blocked": a.blocked, "unknown": a.unknown,
                       "percent": {"approved": percent(a.approved, of), "blocked": percent(a.blocked, of),
                                   "unknown": percent(a.unknown, of)},
                       "users": users})
            })
            .collect();
        json!({"contexts": self.contexts, "decided": self.decided(), "errors": self.errors,
               "error_lines": self.error_lines, "applications": apps})
    }

    /// As text: a line per application, then its users.
    pub fn to_text(&self, users: bool) -> String {
        use std::fmt::Write;
        let mut out = format!("{} contexts", self.contexts);
        if self.errors > 0 {
            out.push_str(&crate::whatif::diff::undecided(
                self.errors,
                &self.error_lines,
            ));
            out.push_str(" and are not counted below");
        }
        out.push('\n');
        let of = self.decided();
        let width = self
            .apps
            .iter()
            .map(|a| a.name.chars().count())
            .max()
            .unwrap_or(0);
        for a in &self.apps {
            let _ = writeln!(
                out,
                "  {:<width$}  approved {:>6} ({:>5.1}%)  blocked {:>6} ({:>5.1}%)  unknown {:>6} ({:>5.1}%)",
                a.name,
                a.approved,
                percent(a.approved, of),
                a.blocked,
                percent(a.blocked, of),
                a.unknown,
                percent(a.unknown, of),
            );
            if users {
                for (status, list) in STATUS.iter().zip(&a.users) {
                    if !list.is_empty() {
                        let _ = writeln!(out, "    {status}: {}", list.join(", "));
                    }
                }
            }
        }
        out
    }
}
