//! The checks of `config.md` §8 that need the whole configuration: duplicate ids,
//! unknown references, group cycles, precedence ties, expression lints.

use crate::config::{Config, Problem, Profile, Rule, Severity};
use crate::diag::{Diagnostic, ErrorKind};
use crate::expr::ast::{Expr, ExprKind, LitKind};
use crate::hash::{TextMap as HashMap, TextSet};
use crate::scheme::ListId;

fn push(problems: &mut Vec<Problem>, severity: Severity, file: &str, path: &str, message: String) {
    problems.push(Problem {
        severity,
        file: file.to_string(),
        path: path.to_string(),
        message,
        expr: None,
        position: None,
    });
}

/// Duplicate ids within a kind.
pub fn duplicates(cfg: &Config, problems: &mut Vec<Problem>) {
    let mut check = |kind: &str, items: Vec<(Option<&str>, &str, &str)>| {
        let mut seen: HashMap<&str, &str> = HashMap::default();
        for (id, path, file) in items {
            let Some(id) = id else { continue };
            if let Some(first) = seen.insert(id, path) {
                push(
                    problems,
                    Severity::Error,
                    file,
                    path,
                    format!("duplicate {kind} id `{id}` (first at {first})"),
                );
            }
        }
    };
    check(
        "group",
        cfg.groups
            .iter()
            .map(|g| (Some(g.id.as_str()), g.path.as_str(), g.file.as_str()))
            .collect(),
    );
    check(
        "list",
        cfg.lists
            .iter()
            .map(|l| (Some(l.id.as_str()), l.path.as_str(), l.file.as_str()))
            .collect(),
    );
    check(
        "posture rule",
        cfg.posture_rules
            .iter()
            .map(|r| (Some(r.id.as_str()), r.path.as_str(), r.file.as_str()))
            .collect(),
    );
    check(
        "device profile",
        cfg.device_profiles
            .iter()
            .map(|p| (p.id.as_deref(), p.path.as_str(), p.file.as_str()))
            .collect(),
    );
    check(
        "ip profile",
        cfg.ip_profiles
            .iter()
            .map(|p| (p.id.as_deref(), p.path.as_str(), p.file.as_str()))
            .collect(),
    );
}

/// Access groups, and applications, that share a name: a warning, since a
/// diff, a test's expectation and an explanation name them by name
/// (`decision.md` §4: `"lost": ["Eng"]`), so two groups called `Eng` read
/// as one there (a diff that loses both says `lost group Eng` once).
pub fn shared_names(cfg: &Config, problems: &mut Vec<Problem>) {
    shared_names_of(
        "group",
        cfg.groups.iter().map(|g| {
            (
                g.name.as_str(),
                Some(g.id.as_str()),
                g.path.as_str(),
                g.file.as_str(),
            )
        }),
        problems,
    );
    shared_names_of(
        "application",
        cfg.applications.iter().map(|a| {
            (
                a.name.as_str(),
                a.id.as_deref(),
                a.path.as_str(),
                a.file.as_str(),
            )
        }),
        problems,
    );
}

/// `shared_names` over one kind's (name, id, path, file), in input order.
fn shared_names_of<'c>(
    kind: &str,
    items: impl ExactSizeIterator<Item = (&'c str, Option<&'c str>, &'c str, &'c str)>,
    problems: &mut Vec<Problem>,
) {
    let mut seen: HashMap<&str, (&str, Option<&str>)> =
        HashMap::with_capacity_and_hasher(items.len(), Default::default());
    for (name, id, path, file) in items {
        let Some(&(first, first_id)) = seen.get(name) else {
            seen.insert(name, (path, id));
            continue;
        };
        let first_id = first_id.map(|i| format!(" (`{i}`)")).unwrap_or_default();
        push(
            problems,
            Severity::Warning,
            file,
            path,
            format!(
                "{kind} name `{name}` is also the name of the {kind} at {first}{first_id}: a diff names {kind}s by name, so the two read as one there (a test names them by id)"
            ),
        );
    }
}

/// Group indices with every referenced group before its referrers. Unknown
/// references and cycles (named, in order) are errors.
pub fn group_order(cfg: &Config, problems: &mut Vec<Problem>) -> Vec<usize> {
    let index: HashMap<&str, usize> = cfg
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.id.as_str(), i))
        .collect();
    let refs: Vec<Vec<usize>> = cfg
        .groups
        .iter()
        .map(|g| {
            g.include
                .iter()
                .chain(&g.require)
                .chain(&g.exclude)
                .filter_map(|r| match &r.rule {
                    Rule::Group(id) => index.get(id.as_str()).copied(),
                    _ => None,
                })
                .collect()
        })
        .collect();
    // Iterative depth-first search: 0 unseen, 1 on the stack, 2 done.
    let mut state = vec![0u8; cfg.groups.len()];
    let mut order = Vec::with_capacity(cfg.groups.len());
    for start in 0..cfg.groups.len() {
        if state.get(start) != Some(&0) {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        if let Some(s) = state.get_mut(start) {
            *s = 1;
        }
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let child = refs.get(node).and_then(|r| r.get(*next)).copied();
            *next += 1;
            match child {
                Some(c) if state.get(c) == Some(&0) => {
                    if let Some(s) = state.get_mut(c) {
                        *s = 1;
                    }
                    stack.push((c, 0));
                }
                Some(c) if state.get(c) == Some(&1) => {
                    let from = stack.iter().position(|(n, _)| *n == c).unwrap_or(0);
                    let mut names: Vec<String> = stack
                        .iter()
                        .skip(from)
                        .filter_map(|(n, _)| cfg.groups.get(*n))
                        .map(|g| format!("`{}`", g.name))
                        .collect();
                    names.push(
                        cfg.groups
                            .get(c)
                            .map(|g| format!("`{}`", g.name))
                            .unwrap_or_default(),
                    );
                    if let Some(g) = cfg.groups.get(c) {
                        push(
                            problems,
                            Severity::Error,
                            &g.file,
                            &g.path,
                            format!("group reference cycle: {}", names.join(" -> ")),
                        );
                    }
                    // Break the cycle so the rest can still be ordered and checked.
                    if let Some(s) = state.get_mut(c) {
                        *s = 2;
                    }
                }
                Some(_) => {}
                None => {
                    if let Some(s) = state.get_mut(node) {
                        *s = 2;
                    }
                    order.push(node);
                    stack.pop();
                }
            }
        }
    }
    order
}

/// Checks a rule's references; false when the rule cannot be compiled.
pub fn rule_refs(
    rule: &Rule,
    path: &dyn Fn() -> String,
    file: &str,
    lists: &HashMap<String, (ListId, String)>,
    posture: &TextSet<&str>,
    groups: &TextSet<&str>,
    problems: &mut Vec<Problem>,
) -> bool {
    let mut bad = |p: String, m: String| {
        push(problems, Severity::Error, file, &p, m);
        false
    };
    match rule {
        Rule::EmailList(id) | Rule::IpList(id) => {
            let (want, key) = if matches!(rule, Rule::EmailList(_)) {
                ("EMAIL", "email_list")
            } else {
                ("IP", "ip_list")
            };
            match lists.get(id) {
                None => bad(
                    format!("{}.{key}.id", path()),
                    format!("unknown list `{id}`"),
                ),
                Some((_, kind)) if kind != want => bad(
                    format!("{}.{key}.id", path()),
                    format!("list `{id}` has type `{kind}`; `{key}` needs a list of type `{want}`"),
                ),
                Some(_) => true,
            }
        }
        Rule::DevicePosture(uid) if !posture.contains(uid.as_str()) => bad(
            format!("{}.device_posture.integration_uid", path()),
            format!("unknown posture rule `{uid}`"),
        ),
        Rule::Group(id) if !groups.contains(id.as_str()) => bad(
            format!("{}.group.id", path()),
            format!("unknown group `{id}`"),
        ),
        _ => true,
    }
}

/// Ties in precedence among enabled profiles.
pub fn duplicate_precedence(
    list: &[Profile],
    checked: &[usize],
    kind: &str,
    problems: &mut Vec<Problem>,
) {
    // By value, not a search of those seen: many profiles stay linear.
    let mut seen: crate::hash::TextMap<u64, &str> = crate::hash::TextMap::default();
    for p in checked
        .iter()
        .filter_map(|i| list.get(*i))
        .filter(|p| p.enabled)
    {
        let Some(prec) = p.precedence else { continue };
        let key = crate::config::precedence_order(prec).to_bits();
        if let Some(first) = seen.get(&key) {
            push(
                problems,
                Severity::Warning,
                &p.file,
                &format!("{}.precedence", p.path),
                format!(
                    "{kind}: `{}` has the same precedence {prec} as `{first}`; the earlier one in the input is checked first",
                    p.name
                ),
            );
        }
        seen.entry(key).or_insert(&p.name);
    }
}

/// Lints of a profile's expression: literals with uppercase compared with a
/// lowercased field, and ordering operators on `os.version`.
pub fn expression_warnings(expr: &Expr, src: &str, p: &Profile, problems: &mut Vec<Problem>) {
    let mut warn = |d: Diagnostic| {
        problems.push(Problem {
            severity: Severity::Warning,
            file: p.file.clone(),
            path: format!("{}.match", p.path),
            message: d.message.clone(),
            expr: Some((src.to_string(), d)),
            position: None,
        });
    };
    expr.walk(&mut |e| {
        let ExprKind::Compare { lhs, op, rhs } = &e.kind else {
            return;
        };
        let crate::expr::ast::Base::Field(field) = &lhs.base else {
            return;
        };
        if matches!(
            &*field.name,
            "identity.email" | "identity.groups.email" | "os.name"
        ) {
            let lits = rhs.literals();
            for lit in lits {
                let has_upper = match &lit.kind {
                    LitKind::Str(b) => b.iter().any(u8::is_ascii_uppercase),
                    LitKind::Raw { text, .. } => text.bytes().any(|b| b.is_ascii_uppercase()),
                    _ => false,
                };
                if has_upper && !matches!(op, crate::expr::ast::CmpOp::Matches) {
                    warn(
                        Diagnostic::new(
                            ErrorKind::TypeMismatch,
                            lit.span,
                            format!(
                                "`{}` values are lowercased, so `{lit}` can never match",
                                field.name
                            ),
                        )
                        .with_help("write it in lowercase"),
                    );
                }
            }
        }
        if &*field.name == "os.version" && op.is_ordering() {
            warn(
                Diagnostic::new(
                    ErrorKind::TypeMismatch,
                    e.span,
                    format!(
                        "`{}` on `os.version` compares bytes, not versions (`10.9` > `10.10`)",
                        op.as_str()
                    ),
                )
                .with_help("compare versions with a posture rule of type `os_version`"),
            );
        }
    });
}
