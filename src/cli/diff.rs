//! `zt-eval diff`: the blast radius of a configuration change over a population.

use super::CliError;
use super::config_cmds::load;
/// `diff`'s output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    /// For people.
    Text,
    /// Stable field names, for programs.
    Json,
    /// A Markdown table and examples, for a pull-request comment.
    Markdown,
}
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `diff`.
#[derive(clap::Args, Debug)]
pub struct DiffArgs {
    /// The configuration before the change.
    #[arg(
        long,
        value_name = "C1",
        required_unless_present = "plan",
        conflicts_with = "plan"
    )]
    before: Option<PathBuf>,
    /// The configuration after the change.
    #[arg(
        long,
        value_name = "C2",
        required_unless_present = "plan",
        conflicts_with = "plan"
    )]
    after: Option<PathBuf>,
    /// A Terraform plan (`terraform show -json PLAN`): before = its prior
    /// state, after = its planned values.
    #[arg(long, value_name = "PLAN.json")]
    plan: Option<PathBuf>,
    /// With --plan: an export holding the resources the plan does not
    /// manage (the same on both sides).
    #[arg(long, value_name = "C", requires = "plan")]
    config: Option<PathBuf>,
    /// The population: contexts, one JSON object per line (`-` reads stdin).
    #[arg(long, value_name = "X.jsonl")]
    contexts: PathBuf,
    /// How many changed contexts to show (`all` for every one).
    #[arg(long, default_value = "20", value_parser = parse_limit)]
    limit: Limit,
    /// Exit with code 4 when anything changed (for CI gates).
    #[arg(long)]
    fail_on_change: bool,
    /// Output format: text, json, or markdown (a summary table and examples,
    /// for a pull-request comment).
    #[arg(long, value_enum, default_value = "text")]
    format: DiffFormat,
    /// Compare these applications only (name or id; repeatable).
    #[arg(long = "app", value_name = "NAME|ID")]
    apps: Vec<String>,
}

/// `--limit N`, or `--limit all` (`None`).
#[derive(Debug, Clone, Copy)]
struct Limit(Option<usize>);

fn parse_limit(s: &str) -> Result<Limit, String> {
    if s == "all" {
        return Ok(Limit(None));
    }
    s.parse()
        .map(|n| Limit(Some(n)))
        .map_err(|_| format!("expected a number or `all`, found `{s}`"))
}

impl DiffArgs {
    /// Whether `--format json` was asked for.
    pub fn json(&self) -> bool {
        self.format == DiffFormat::Json
    }
}

/// Runs `diff`.
pub fn run(args: DiffArgs, out: &mut impl Write) -> Result<u8, CliError> {
    let (mut before, mut after, plan) = match (&args.plan, &args.before, &args.after) {
        (Some(p), _, _) => {
            let (b, a, s) = plan_engines(p, args.config.as_deref())?;
            (b, a, Some(s))
        }
        (None, Some(b), Some(a)) => (load(b)?, load(a)?, None),
        _ => {
            return Err(CliError::Usage(
                "give --before and --after, or --plan".into(),
            ));
        }
    };
    // An application may be in one configuration only; each name must be
    // in one of the two.
    for w in &args.apps {
        let one = [&before, &after]
            .iter()
            .any(|e| e.keep_applications_check(std::slice::from_ref(w)).is_ok());
        if !one {
            return Err(CliError::Usage(format!(
                "--app `{w}`: no application has that name or id, before or after"
            )));
        }
    }
    if !args.apps.is_empty() {
        before.hide_applications_except(&args.apps);
        after.hide_applications_except(&args.apps);
    }
    let keep = args.limit.0.unwrap_or(usize::MAX);
    // Bytes, not text: a line that is not UTF-8 is counted and named, and the
    // rest are still decided.
    let report = super::with_lines(&args.contexts, |lines| {
        zt_eval::whatif::diff(&before, &after, lines, keep)
    })?;
    let limit = keep;
    let plan_line = plan.as_ref().map(|p| p.line(report.changed));
    match args.format {
        DiffFormat::Markdown => {
            if let (Some(l), Some(p)) = (&plan_line, &plan) {
                writeln!(out, "**{l}**\n")?;
                let details = p.details(limit.min(50), "- ");
                if !details.is_empty() {
                    writeln!(
                        out,
                        "<details><summary>resources</summary>\n\n{details}\n</details>\n"
                    )?;
                }
            }
            write!(out, "{}", report.to_markdown(limit))?;
        }
        DiffFormat::Json => {
            let mut doc = report.to_json(limit);
            if let (Some(p), Some(obj)) = (&plan, doc.as_object_mut()) {
                let actions: serde_json::Map<String, serde_json::Value> = p
                    .actions
                    .iter()
                    .map(|(w, n)| ((*w).to_string(), (*n).into()))
                    .collect();
                let resources: Vec<serde_json::Value> = p
                    .resources
                    .iter()
                    .map(|(a, w)| serde_json::json!({"address": a, "action": w}))
                    .collect();
                obj.shift_insert(
                    0,
                    "plan".into(),
                    serde_json::json!({"resources_changed": p.changed, "actions": actions,
                        "resources": resources, "unknown_after_apply": p.after_apply}),
                );
            }
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            )?;
        }
        DiffFormat::Text => {
            if let (Some(l), Some(p)) = (&plan_line, &plan) {
                writeln!(out, "{l}")?;
                write!(out, "{}", p.details(limit.min(20), "  "))?;
            }
            write!(out, "{}", report.to_text(limit))?;
        }
    }
    Ok(if args.fail_on_change && report.changed > 0 {
        4
    } else {
        0
    })
}

/// What a plan changes, for the report's first line.
pub(super) struct PlanSummary {
    changed: usize,
    actions: Vec<(&'static str, usize)>,
    /// (address, action) of each resource the plan changes.
    resources: Vec<(String, &'static str)>,
    /// Rule values known only after apply, made unknown.
    after_apply: Vec<String>,
}

impl PlanSummary {
    fn line(&self, decisions_changed: usize) -> String {
        let detail: Vec<String> = self
            .actions
            .iter()
            .filter(|(w, n)| *n > 0 && *w != "no-op" && *w != "read")
            .map(|(w, n)| format!("{n} {w}"))
            .collect();
        let detail = if detail.is_empty() {
            String::new()
        } else {
            format!(" ({})", detail.join(", "))
        };
        let r = if self.changed == 1 {
            "resource changes"
        } else {
            "resources change"
        };
        if decisions_changed == 0 {
            format!("plan: {} {r}{detail}; no decision changes", self.changed)
        } else {
            format!("plan: {} {r}{detail}", self.changed)
        }
    }

    /// The resources that change, one a line (at most `limit`), and the rule
    /// values made unknown.
    fn details(&self, limit: usize, bullet: &str) -> String {
        let mut out = String::new();
        for (address, action) in self.resources.iter().take(limit) {
            out.push_str(&format!("{bullet}{action:<8} {address}\n"));
        }
        if self.resources.len() > limit {
            out.push_str(&format!(
                "{bullet}… and {} more\n",
                self.resources.len() - limit
            ));
        }
        for v in &self.after_apply {
            out.push_str(&format!(
                "{bullet}unknown  {v}: known only after apply, so the rule is unknown\n"
            ));
        }
        out
    }
}

/// The two engines of a Terraform plan: its prior state and its planned
/// values, each laid over `export` when given (resources the plan does not
/// manage, the same on both sides).
pub(super) fn plan_engines(
    plan: &std::path::Path,
    export: Option<&std::path::Path>,
) -> Result<(zt_eval::Engine, zt_eval::Engine, PlanSummary), CliError> {
    use zt_eval::terraform::{self, Side};
    let name = plan.display().to_string();
    // The text and its tree are dropped once read: a plan's resources are
    // held as instances from here on, not three times over.
    let doc = {
        let text = super::read_input(plan)?;
        let v = zt_eval::json::parse(&text)
            .map_err(|e| CliError::Input(format!("{name}: {}", zt_eval::json::located(&e))))?;
        drop(text);
        if !terraform::is_terraform(&v) {
            return Err(CliError::Input(format!(
                "{name}: not `terraform show -json` output (expected `format_version` with `resource_changes` or `planned_values`)"
            )));
        }
        terraform::read(v).map_err(|problems| {
            CliError::Input(
                problems
                    .iter()
                    .map(|(p, m)| format!("{name}: {p}: {m}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
        })?
    };
    if !doc.plan {
        return Err(CliError::Input(format!(
            "{name}: a state, not a plan: `diff --plan` compares a plan's prior state with its planned values (give a state as --before or --after)"
        )));
    }
    let before = terraform::bundle(&doc, Side::Before);
    let after = terraform::bundle(&doc, Side::After);
    if !after.unresolved.is_empty() {
        return Err(CliError::Input(format!(
            "{name}: known only after apply, and nothing in the plan says what they will be, so the decisions that read them cannot be compared:\n{}",
            after
                .unresolved
                .iter()
                .map(|u| format!("  {u}"))
                .collect::<Vec<_>>()
                .join("\n")
        )));
    }
    for what in &after.unknown_unread {
        anstream::eprintln!(
            "{} {name}: `{what}` is known only after apply; no decision reads it",
            super::style::paint(super::style::WARNING, "warning:")
        );
    }
    for t in before.ignored.iter().chain(&after.ignored) {
        anstream::eprintln!(
            "{} {name}: resources of type `{t}` are not read by zt-eval; ignored",
            super::style::paint(super::style::WARNING, "warning:")
        );
    }
    let mut managed = std::collections::HashSet::new();
    terraform::ids(&before.json, &mut managed);
    terraform::ids(&after.json, &mut managed);
    let engine = |bundle: &zt_eval::terraform::Bundle,
                  side: &str|
     -> Result<zt_eval::Engine, CliError> {
        let label = format!("{name} ({side})");
        let (config, problems) = match export {
            Some(path) => zt_eval::config::load_path_overlay(
                path,
                zt_eval::config::Overlay {
                    bundle: bundle.json.clone(),
                    managed: managed.clone(),
                    file: label.clone(),
                },
            ),
            None if bundle
                .json
                .as_object()
                .is_none_or(serde_json::Map::is_empty) =>
            {
                (zt_eval::config::Config::default(), Vec::new())
            }
            None => zt_eval::config::load_str(&bundle.json.to_string(), &label),
        };
        let mut sources = super::problems::Sources::default();
        match zt_eval::Engine::from_config(config, problems) {
            Ok(e) => {
                super::config_cmds::report(e.warnings(), &mut sources);
                Ok(e)
            }
            Err(e) => {
                super::config_cmds::report(&e.problems, &mut sources);
                // The usual cause: what the plan does not manage.
                let hint = if export.is_none() {
                    format!(
                        "\nhelp: {name} ({side}) refers to resources the plan does not manage (lists, posture rules, …): pass them with --config EXPORT (a bundle, or a folder of the API's exports)"
                    )
                } else {
                    String::new()
                };
                Err(CliError::Input(format!("{e}{hint}")))
            }
        }
    };
    let summary = PlanSummary {
        changed: terraform::changed_resources(&doc),
        actions: terraform::action_counts(&doc),
        resources: terraform::changed(&doc)
            .into_iter()
            .map(|(a, w)| (a.to_string(), w))
            .collect(),
        after_apply: terraform::after_apply_values(&after.json),
    };
    Ok((
        engine(&before, "prior state")?,
        engine(&after, "planned values")?,
        summary,
    ))
}
