//! `zt-eval population`: contexts assembled from the exports a team has
//! (users, identity records, devices, SCIM) or from a table with a mapping
//! file, as JSON Lines; what could not be completed is reported on stderr
//! (and as JSON with `--report`).

use super::CliError;
use std::io::Write;
use std::path::{Path, PathBuf};
use zt_eval::population::exports::{self, DevicesKind};
use zt_eval::population::table::Mapping;
use zt_eval::population::{Exports, From, Population, Scim, assemble};

/// Arguments of `population`.
#[derive(clap::Args, Debug)]
pub struct PopulationArgs {
    /// `GET …/access/users` as saved (repeatable: one file per page).
    #[arg(long, value_name = "FILE")]
    users: Vec<PathBuf>,
    /// Identity records (`…/access/users/{id}/last_seen_identity`,
    /// `get-identity`): a folder of JSON files, a JSON file, or JSON Lines.
    #[arg(long, value_name = "DIR|FILE")]
    identities: Vec<PathBuf>,
    /// `GET …/devices/physical-devices`, `…/devices/registrations` or the
    /// older `…/devices` as saved (repeatable; each file is told by its items).
    #[arg(long, value_name = "FILE")]
    devices: Vec<PathBuf>,
    /// `GET …/identity_providers/{id}/scim/users` as saved (repeatable).
    #[arg(long, value_name = "FILE", requires = "scim_idp")]
    scim_users: Vec<PathBuf>,
    /// `GET …/identity_providers/{id}/scim/groups` as saved (repeatable).
    #[arg(long, value_name = "FILE", requires = "scim_idp")]
    scim_groups: Vec<PathBuf>,
    /// The identity provider the SCIM files are of (the `{id}` of their URL).
    #[arg(long, value_name = "ID")]
    scim_idp: Option<String>,
    /// A table instead of exports: CSV (`.csv`) or JSON Lines (`.jsonl`).
    #[arg(long, value_name = "FILE", requires = "mapping",
          conflicts_with_all = ["users", "identities", "devices", "scim_users", "scim_groups"])]
    table: Option<PathBuf>,
    /// The table's mapping file: `{"columns": {"Email": "identity.email", …}}`.
    #[arg(long, value_name = "FILE", requires = "table")]
    mapping: Option<PathBuf>,
    /// Write the contexts here instead of stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Also write the report (users, contexts, what each user lacks) as JSON here.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
}

/// Runs `population`.
pub fn run(args: PopulationArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    let mut inputs: Vec<&Path> = Vec::new();
    inputs.extend(args.users.iter().map(PathBuf::as_path));
    inputs.extend(args.identities.iter().map(PathBuf::as_path));
    inputs.extend(args.devices.iter().map(PathBuf::as_path));
    inputs.extend(args.scim_users.iter().map(PathBuf::as_path));
    inputs.extend(args.scim_groups.iter().map(PathBuf::as_path));
    inputs.extend(args.table.iter().map(PathBuf::as_path));
    inputs.extend(args.mapping.iter().map(PathBuf::as_path));
    if inputs.is_empty() {
        return Err(CliError::Usage(
            "nothing to assemble: give exports (--users, --identities, --devices, --scim-users with --scim-groups and --scim-idp) or --table with --mapping".into(),
        ));
    }
    super::check_output(args.output.as_deref(), &inputs)?;
    if let Some(r) = &args.report {
        super::check_output(Some(r), &inputs)?;
    }
    let mut file_out;
    let out: &mut dyn Write = match &args.output {
        Some(p) => {
            file_out = super::create_output(p)?;
            &mut file_out
        }
        None => out,
    };
    let code = match (&args.table, &args.mapping) {
        (Some(table), Some(mapping)) => run_table(table, mapping, out)?,
        _ => {
            let population = assemble(&read_exports(&args)?);
            for ctx in &population.contexts {
                serde_json::to_writer(&mut *out, ctx)
                    .map_err(|e| CliError::Io("cannot write output".into(), e.into()))?;
                out.write_all(b"\n")?;
            }
            report(&population, args.report.as_deref())?;
            for (id, w) in &population.warnings {
                anstream::eprintln!(
                    "{} {id}: {w}",
                    super::style::paint(super::style::WARNING, "warning:")
                );
            }
            for (id, e) in &population.errors {
                anstream::eprintln!(
                    "{} {id}: {e}",
                    super::style::paint(super::style::ERROR, "error:")
                );
            }
            if population.errors.is_empty() { 0 } else { 3 }
        }
    };
    out.flush()?;
    Ok(code)
}

/// Says on stderr what was assembled and what users lack; `--report` as JSON.
fn report(p: &Population, file: Option<&Path>) -> Result<(), CliError> {
    let incomplete = p.gaps.iter().filter(|g| !g.user.is_empty()).count();
    let invalid = if p.errors.is_empty() {
        String::new()
    } else {
        format!("; {} could not be written (below)", p.errors.len())
    };
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    anstream::eprintln!(
        "population: {}, {}; {incomplete} incomplete{invalid}",
        plural(p.users, "user", "users"),
        plural(p.contexts.len(), "context", "contexts")
    );
    for g in &p.gaps {
        for m in &g.missing {
            if g.user.is_empty() {
                anstream::eprintln!("  {m}");
            } else {
                anstream::eprintln!("  {}: {m}", g.user);
            }
        }
    }
    if let Some(path) = file {
        let json = serde_json::json!({
            "users": p.users,
            "contexts": p.contexts.len(),
            "incomplete": p.gaps,
            "errors": p.errors.iter().map(|(id, e)| serde_json::json!({"id": id, "error": e})).collect::<Vec<_>>(),
        });
        std::fs::write(
            path,
            serde_json::to_string_pretty(&json).unwrap_or_default() + "\n",
        )
        .map_err(|e| CliError::Io(format!("cannot write `{}`", path.display()), e))?;
    }
    Ok(())
}

/// Reads one export file as JSON, its problems located in it.
fn read_json(path: &Path) -> Result<(String, serde_json::Value), CliError> {
    let text = super::read_input(path)?;
    let v = zt_eval::json::parse(&text).map_err(|e| {
        CliError::Input(format!(
            "{}: {}",
            path.display(),
            zt_eval::json::located(&e)
        ))
    })?;
    Ok((text, v))
}

/// An export's problem as `file: path, line:col: message`.
fn located(path: &Path, text: &str, e: &exports::ExportError) -> CliError {
    let at = zt_eval::json::locate(text, &e.path)
        .map(|(l, c)| format!(", {l}:{c}"))
        .unwrap_or_default();
    CliError::Input(format!("{}: {}{at}: {}", path.display(), e.path, e.message))
}

fn items_of<T: serde::de::DeserializeOwned>(path: &Path) -> Result<From<T>, CliError> {
    let (text, v) = read_json(path)?;
    let items = exports::items(&v).map_err(|e| located(path, &text, &e))?;
    Ok(From {
        source: path.display().to_string(),
        items,
    })
}

fn read_exports(args: &PopulationArgs) -> Result<Exports, CliError> {
    let mut e = Exports::default();
    for p in &args.users {
        e.users.push(items_of(p)?);
    }
    for p in &args.devices {
        let (text, v) = read_json(p)?;
        match exports::devices_kind(&v).map_err(|err| located(p, &text, &err))? {
            DevicesKind::Registrations => e.registrations.push(From {
                source: p.display().to_string(),
                items: exports::items(&v).map_err(|err| located(p, &text, &err))?,
            }),
            DevicesKind::Devices => e.devices.push(From {
                source: p.display().to_string(),
                items: exports::items(&v).map_err(|err| located(p, &text, &err))?,
            }),
        }
    }
    for p in &args.identities {
        read_records(p, &mut e.records)?;
    }
    if let Some(idp) = &args.scim_idp {
        let mut scim = Scim {
            idp: idp.clone(),
            ..Scim::default()
        };
        for p in &args.scim_users {
            scim.users.push(items_of(p)?);
        }
        for p in &args.scim_groups {
            scim.groups.push(items_of(p)?);
        }
        e.scim = Some(scim);
    }
    Ok(e)
}

/// Identity records from a folder (its `.json` files, by name), a JSON file
/// (a record, its envelope, or an array of them) or JSON Lines.
fn read_records(path: &Path, out: &mut Vec<(String, serde_json::Value)>) -> Result<(), CliError> {
    if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| CliError::Io(format!("cannot read `{}`", path.display()), e))?
            .filter_map(Result::ok)
            .map(|d| d.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json" || x == "jsonl"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(CliError::Input(format!(
                "{}: the folder holds no `.json` identity records",
                path.display()
            )));
        }
        for f in files {
            read_records(&f, out)?;
        }
        return Ok(());
    }
    let text = super::read_input(path)?;
    let mut values = Vec::new();
    match zt_eval::json::parse(&text) {
        Ok(serde_json::Value::Array(items)) => {
            values.extend(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| (format!("{}[{i}]", path.display()), v)),
            );
        }
        Ok(v) => values.push((path.display().to_string(), v)),
        // JSON Lines: one record per line.
        Err(first) => {
            for (i, line) in text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
            {
                let v = zt_eval::json::parse(line).map_err(|e| {
                    CliError::Input(format!(
                        "{}: {}",
                        path.display(),
                        if text.lines().count() > 1 {
                            format!("line {}: {}", i + 1, e.message)
                        } else {
                            zt_eval::json::located(&first)
                        }
                    ))
                })?;
                values.push((format!("{}:{}", path.display(), i + 1), v));
            }
        }
    }
    for (source, v) in values {
        if zt_eval::subject::record::record_of(&v).is_none() {
            return Err(CliError::Input(format!(
                "{source}: not an identity record (an object with `user_uuid` or `devicePosture`, or the API's envelope around one)"
            )));
        }
        out.push((source, v));
    }
    Ok(())
}

/// A table and its mapping: one context per row; a bad row is named on
/// stderr (its line and column) and the others are still written.
fn run_table(table: &Path, mapping: &Path, out: &mut dyn Write) -> Result<u8, CliError> {
    let (mtext, mv) = read_json(mapping)?;
    let m = Mapping::from_json(&mv).map_err(|errors| {
        CliError::Input(
            errors
                .iter()
                .map(|(p, msg)| {
                    let at = zt_eval::json::locate(&mtext, p)
                        .map(|(l, c)| format!(", {l}:{c}"))
                        .unwrap_or_default();
                    format!("{}: {p}{at}: {msg}", mapping.display())
                })
                .collect::<Vec<_>>()
                .join("\n"),
        )
    })?;
    let name = table.display().to_string();
    let m = m.from_source(&name);
    for w in &m.warnings {
        anstream::eprintln!(
            "{} {}: {w}",
            super::style::paint(super::style::WARNING, "warning:"),
            mapping.display()
        );
    }
    let csv = table
        .extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("csv"));
    let jsonl = table.extension().is_some_and(|x| {
        ["jsonl", "ndjson", "json"]
            .iter()
            .any(|j| x.eq_ignore_ascii_case(j))
    });
    let rows: Vec<Result<serde_json::Value, zt_eval::population::table::RowError>> = if csv {
        let text = super::read_input(table)?;
        m.csv(&text)
            .map_err(|e| CliError::Input(format!("{name}: {e}")))?
    } else if jsonl {
        let text = super::read_input(table)?;
        m.json_lines(&text)
            .map_err(|e| CliError::Input(format!("{name}: {}", e.message)))?
    } else {
        return Err(CliError::Usage(format!(
            "--table `{name}`: name a `.csv` or `.jsonl` file, so its format is known"
        )));
    };
    let (mut written, mut bad) = (0usize, 0usize);
    for row in rows {
        match row {
            Ok(ctx) => {
                if let Ok((_, warnings)) = zt_eval::subject::Subject::from_json(&ctx) {
                    let id = ctx.get("id").map(ToString::to_string).unwrap_or_default();
                    for w in warnings {
                        anstream::eprintln!(
                            "{} {name}: context {id}: {w}",
                            super::style::paint(super::style::WARNING, "warning:")
                        );
                    }
                }
                serde_json::to_writer(&mut *out, &ctx)
                    .map_err(|e| CliError::Io("cannot write output".into(), e.into()))?;
                out.write_all(b"\n")?;
                written += 1;
            }
            Err(e) => {
                bad += 1;
                anstream::eprintln!(
                    "{} {name}: {e}",
                    super::style::paint(super::style::ERROR, "error:")
                );
            }
        }
    }
    anstream::eprintln!(
        "population: {written} {} from {name}; {bad} {} could not be read",
        if written == 1 { "context" } else { "contexts" },
        if bad == 1 { "row" } else { "rows" }
    );
    Ok(if bad > 0 { 3 } else { 0 })
}
