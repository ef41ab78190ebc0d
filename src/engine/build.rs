//! Config -> Engine: lists into the schemes, groups in topological order, rules and
//! profiles compiled into one program, every problem collected.

use super::code::{Clause, GroupCode, ProfileCode, UnknownInputs};
use super::compiled::{ConfigError, Engine};
use super::validate;
use crate::config::{Config, Problem, Profile, Rule, Severity};
use crate::engine::rules::{Resolve, RuleCompiler, zero_trust_scheme};
use crate::expr::check_expression;
use crate::hash::{TextMap as HashMap, TextSet};
use crate::program::compile::Builder;
use crate::scheme::{FieldId, ListId, Scheme, Type};
use std::path::Path;

struct Resolver<'a> {
    lists: &'a HashMap<String, (ListId, String)>,
    /// group id -> (block, name), filled as groups are compiled
    groups: HashMap<String, (u32, String)>,
    want_kind: &'static str,
}

impl Resolve for Resolver<'_> {
    fn list(&self, id: &str) -> Option<ListId> {
        self.lists
            .get(id)
            .filter(|(_, kind)| kind == self.want_kind)
            .map(|(l, _)| *l)
    }

    fn group_block(&self, id: &str) -> Option<(u32, String)> {
        self.groups.get(id).cloned()
    }
}

fn list_type(kind: &str) -> Type {
    if kind == "IP" { Type::Ip } else { Type::Bytes }
}

impl Engine {
    /// Loads a bundle file or a folder of per-kind files.
    ///
    /// # Errors
    /// Every problem, when any of them is an error.
    pub fn from_path(path: &Path) -> Result<Engine, ConfigError> {
        let (config, problems) = crate::config::load_path(path);
        Engine::from_config(config, problems)
    }

    /// Loads a bundle from JSON text; `file` names it in problems.
    ///
    /// # Errors
    /// Every problem, when any of them is an error.
    pub fn from_json(text: &str, file: &str) -> Result<Engine, ConfigError> {
        let (config, problems) = crate::config::load_str(text, file);
        Engine::from_config(config, problems)
    }

    /// Validates and compiles a configuration read earlier.
    ///
    /// # Errors
    /// Every problem, when any of them is an error.
    pub fn from_config(config: Config, problems: Vec<Problem>) -> Result<Engine, ConfigError> {
        build(config, problems)
    }

    /// Validates the configuration at `path`: every error and warning
    /// (`zt-eval check`).
    pub fn check(path: &Path) -> Vec<Problem> {
        match Engine::from_path(path) {
            Ok(engine) => engine.warnings,
            Err(e) => e.problems,
        }
    }
}

fn build(config: Config, mut problems: Vec<Problem>) -> Result<Engine, ConfigError> {
    validate::duplicates(&config, &mut problems);
    validate::shared_names(&config, &mut problems);
    // Lists get the same ids in every scheme, so `$list` means one thing everywhere.
    let mut device_scheme = Scheme::device();
    let mut ip_scheme = Scheme::ip();
    let mut scheme = zero_trust_scheme();
    let mut lists = HashMap::default();
    for list in &config.lists {
        let ty = list_type(&list.kind);
        for s in [&mut device_scheme, &mut ip_scheme] {
            let _ = s.add_list(&list.id, ty.clone(), list.items.clone());
        }
        if let Ok(id) = scheme.add_list(&list.id, ty, list.items.clone()) {
            lists.insert(list.id.clone(), (id, list.kind.clone()));
        }
        if list.is_incomplete() {
            for s in [&mut device_scheme, &mut ip_scheme, &mut scheme] {
                if let Some(id) = s.list(&list.id) {
                    s.mark_incomplete(id);
                }
            }
        }
    }
    let order = validate::group_order(&config, &mut problems);
    let posture_ids: TextSet<&str> = config.posture_rules.iter().map(|r| r.id.as_str()).collect();
    let group_ids: TextSet<&str> = config.groups.iter().map(|g| g.id.as_str()).collect();

    super::validate_access::access(
        &config,
        &super::validate_access::Known {
            lists: &lists,
            posture: &posture_ids,
            groups: &group_ids,
        },
        &mut problems,
    );
    super::validate_access::directory(&config, &mut problems);
    super::validate_access::same_destinations(&config, &mut problems);

    // Groups are explained rule by rule, by their JSON: no atom labels needed.
    let compiler = RuleCompiler::new(&scheme, false);
    let mut builder = Builder::with_trees(&scheme);
    let mut resolver = Resolver {
        lists: &lists,
        groups: HashMap::default(),
        want_kind: "EMAIL",
    };
    let mut groups: Vec<Option<GroupCode>> = vec![None; config.groups.len()];
    // Every rule compiled below, once per distinct rule (`rule_code.rs`), and
    // every compiled condition's guards (invariant 6).
    let mut codes = super::rule_code::RuleCodes::default();
    for &gi in &order {
        let Some(group) = config.groups.get(gi) else {
            continue;
        };
        let mut rules: [Vec<_>; 3] =
            [&group.include, &group.require, &group.exclude].map(|r| Vec::with_capacity(r.len()));
        for (slot, group_rules) in
            rules
                .iter_mut()
                .zip([&group.include, &group.require, &group.exclude])
        {
            for r in group_rules {
                // Built only for a problem: most rules have none.
                let path = || format!("{}.{}", group.path, r.path);
                if !validate::rule_refs(
                    &r.rule,
                    &path,
                    &group.file,
                    &lists,
                    &posture_ids,
                    &group_ids,
                    &mut problems,
                ) {
                    continue;
                }
                let cond = || {
                    resolver.want_kind = if matches!(r.rule, Rule::IpList(_)) {
                        "IP"
                    } else {
                        "EMAIL"
                    };
                    compiler.rule(&r.rule, &resolver)
                };
                if let Some(code) = codes.rule(&mut builder, &r.rule, cond) {
                    slot.push(code);
                }
            }
        }
        let code = super::rule_code::access_group_code(&mut builder, rules);
        let block = code.block;
        resolver
            .groups
            .insert(group.id.clone(), (block.0, group.name.clone()));
        if let Some(slot) = groups.get_mut(gi) {
            *slot = Some(code);
        }
    }

    let posture_fields = [
        scheme.field("device_posture.checks.passed"),
        scheme.field("device_posture.checks.failed"),
    ];
    // Whether a profile reads posture results (then every result may matter).
    let mut profiles_read_posture = false;
    let mut reads_posture = |cond: &crate::expr::cond::Cond| {
        cond.for_each_field(&mut |f| profiles_read_posture |= posture_fields.contains(&Some(f)));
    };
    let mut regex_bytes = 0usize;
    let device = profiles(
        &mut regex_bytes,
        &config.device_profiles,
        &device_scheme,
        "device_profiles",
        &mut builder,
        &mut codes.guards,
        &mut reads_posture,
        &mut problems,
    );
    let ip = profiles(
        &mut regex_bytes,
        &config.ip_profiles,
        &ip_scheme,
        "ip_profiles",
        &mut builder,
        &mut codes.guards,
        &mut reads_posture,
        &mut problems,
    );
    let mut plain = |rule: &Rule| {
        resolver.want_kind = if matches!(rule, Rule::IpList(_)) {
            "IP"
        } else {
            "EMAIL"
        };
        compiler.rule(rule, &resolver)
    };
    let apps = super::apps::compile(
        &config,
        &compiler,
        &mut plain,
        &mut builder,
        &mut codes,
        &mut problems,
    );
    let defaults: Vec<usize> = config
        .device_profiles
        .iter()
        .enumerate()
        .filter(|(_, p)| p.default)
        .map(|(i, _)| i)
        .collect();
    if let [_, second, ..] = defaults.as_slice()
        && let Some(p) = config.device_profiles.get(*second)
    {
        problems.push(Problem {
            severity: Severity::Error,
            file: p.file.clone(),
            path: p.path.clone(),
            message: format!(
                "more than one default device profile: `{}` is the second",
                p.name
            ),
            expr: None,
            position: None,
        });
    }
    if problems.iter().any(|p| p.severity == Severity::Error) {
        super::validate_access::name_owners(&config, &mut problems);
        return Err(ConfigError { problems });
    }
    let program = builder.finish_indexed(&codes.guards, &codes.reused);
    // It borrows the configuration's rules, which the engine takes below.
    drop(codes);
    // Operands as the finished program reads them best (memos, shared atoms).
    let mut apps = apps;
    let policy_codes = apps.policies.iter_mut().map(|p| &mut p.code);
    for g in groups.iter_mut().flatten().chain(policy_codes) {
        for clause in g.plan.iter_mut().flatten() {
            if let Clause::All(all) = clause {
                for (op, _) in all.iter_mut() {
                    *op = program.resolve(*op);
                }
            }
        }
    }
    apps.gates = super::apps::PolicyGates::new(&apps.policies, &apps.apps, &program);
    let read = program.fields_read(scheme.len());
    let slots = super::slots::Slots::new(&scheme, &read);
    let is_read = |f: Option<FieldId>| f.filter(|f| read.get(f.index()) == Some(&true));
    let unknown_field = is_read(scheme.field(super::rules::UNKNOWN_FIELD));
    // Policies (reusable and inline) read posture results as groups do.
    let policy_rules = config
        .policies
        .iter()
        .chain(
            config
                .applications
                .iter()
                .flat_map(|a| a.policies.iter().filter_map(|e| e.body.as_ref())),
        )
        .flat_map(|p| p.include.iter().chain(&p.require).chain(&p.exclude));
    let ruled: TextSet<&str> = config
        .groups
        .iter()
        .flat_map(|g| g.include.iter().chain(&g.require).chain(&g.exclude))
        .chain(policy_rules)
        .filter_map(|r| match &r.rule {
            Rule::DevicePosture(uid) => Some(uid.as_str()),
            _ => None,
        })
        .collect();
    let inputs = UnknownInputs {
        posture_read: config
            .posture_rules
            .iter()
            .map(|r| profiles_read_posture || ruled.contains(r.id.as_str()))
            .collect(),
        posture_fields: posture_fields.map(is_read),
        unknown_field,
        always: unknown_field.is_some() || program.lists_incomplete.contains(&true),
        group_fields: [
            "identity.groups.id",
            "identity.groups.name",
            "identity.groups.email",
            "identity.github",
        ]
        .iter()
        .filter_map(|n| is_read(scheme.field(n)))
        .collect(),
        token_fields: [
            "request.service_token",
            "request.service_token.id",
            "identity.service_token_uuid",
        ]
        .iter()
        .filter_map(|n| is_read(scheme.field(n)))
        .collect(),
    };
    let groups: Vec<GroupCode> = groups
        .into_iter()
        .map(|g| {
            g.unwrap_or(GroupCode {
                block: crate::program::BlockId(0),
                include: vec![],
                require: vec![],
                exclude: vec![],
                plan: [vec![], vec![], vec![]],
            })
        })
        .collect();
    let gates = super::gate::Gates::new(&groups, &order, &program);
    let mut engine = Engine {
        group_reads: std::sync::OnceLock::new(),
        device_reads: Engine::profile_reads(&program, &device),
        ip_reads: Engine::profile_reads(&program, &ip),
        gates,
        device_default: defaults.first().copied(),
        config,
        warnings: problems,
        program,
        groups,
        order,
        device,
        ip,
        fragments: Default::default(),
        slots,
        inputs,
        posture_plans: Vec::new(),
        posture_index: Default::default(),
        list_index: Default::default(),
        item_sets: Vec::new(),
        group_index: Default::default(),
        token_by_client: Default::default(),
        apps,
    };
    // The first rule of an id, as everywhere (ids are unique here: a
    // repeated one is an error before the engine is built).
    for (i, r) in (0u32..).zip(&engine.config.posture_rules) {
        engine.posture_index.entry(r.id.clone()).or_insert(i);
    }
    for (i, l) in (0u32..).zip(&engine.config.lists) {
        engine.list_index.entry(l.id.clone()).or_insert(i);
    }
    engine.item_sets = std::iter::repeat_with(std::sync::OnceLock::new)
        .take(engine.config.lists.len())
        .collect();
    for (i, t) in (0u32..).zip(&engine.config.service_tokens) {
        if let Some(client) = &t.client_id {
            engine.token_by_client.entry(client.clone()).or_insert(i);
        }
    }
    engine.posture_plans = engine
        .config
        .posture_rules
        .iter()
        .map(super::posture::Plan::of)
        .collect();
    super::validate_access::name_owners(&engine.config, &mut engine.warnings);
    Ok(engine)
}

/// Checks and compiles each profile's `match`; returns the custom profiles in the
/// order they are checked: ascending precedence, ties in input order.
/// Compiled regex memory one configuration may use (`README.md`, Limits): 300
/// profiles of `.{65535}` would otherwise take more than a gigabyte.
pub const REGEX_BUDGET: usize = 128 << 20;

#[allow(
    clippy::too_many_arguments,
    reason = "called once per profile kind; a struct would only rename the arguments"
)]
fn profiles(
    regex_bytes: &mut usize,
    list: &[Profile],
    scheme: &Scheme,
    kind: &str,
    builder: &mut Builder<'_>,
    guards: &mut crate::program::guard::KeyGuards,
    reads_posture: &mut impl FnMut(&crate::expr::cond::Cond),
    problems: &mut Vec<Problem>,
) -> Vec<ProfileCode> {
    let mut out: Vec<(f64, ProfileCode)> = Vec::new();
    for (index, p) in list.iter().enumerate() {
        let Some(src) = &p.expr else { continue };
        if p.default {
            continue;
        }
        // Past the regex budget nothing more is compiled: the error is given
        // once, and memory stays near the budget.
        if *regex_bytes > REGEX_BUDGET {
            continue;
        }
        match check_expression(src, scheme, &Default::default()) {
            Ok(checked) => {
                validate::expression_warnings(&checked.expr, src, p, problems);
                *regex_bytes += checked.cond.regex_memory();
                if *regex_bytes > REGEX_BUDGET {
                    problems.push(Problem {
                        severity: Severity::Error,
                        file: p.file.clone(),
                        path: format!("{}.match", p.path),
                        message: format!(
                            "the configuration's regexes need more than the limit of {} MiB compiled, with this profile's; simplify the patterns (each `.{{n}}` or `[…]{{n}}` repeats its automaton n times)",
                            REGEX_BUDGET >> 20
                        ),
                        expr: None,
                        position: None,
                    });
                    continue;
                }
                let block = builder.add_root(&checked.cond);
                guards.add(&checked.cond);
                reads_posture(&checked.cond);
                out.push((
                    p.precedence
                        .map_or(f64::MAX, crate::config::precedence_order),
                    ProfileCode { index, block },
                ));
            }
            Err(diags) => {
                for d in diags.0 {
                    problems.push(Problem {
                        severity: Severity::Error,
                        file: p.file.clone(),
                        path: format!("{}.match", p.path),
                        message: d.message.clone(),
                        expr: Some((src.clone(), d)),
                        position: None,
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.index.cmp(&b.1.index)));
    validate::duplicate_precedence(
        list,
        &out.iter().map(|(_, c)| c.index).collect::<Vec<_>>(),
        kind,
        problems,
    );
    out.into_iter().map(|(_, c)| c).collect()
}
