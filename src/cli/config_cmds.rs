//! `zt-eval eval` (one context -> decision) and `zt-eval check` (every problem of a
//! configuration).

use super::problems::Sources;
use super::{CliError, read_input};
use crate::Format;
use std::io::Write;
use std::path::{Path, PathBuf};
use zt_eval::Engine;
use zt_eval::config::{Problem, Severity};

/// Arguments of `eval`.
#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    /// Configuration: a bundle JSON file or a folder of `<kind>.json` files.
    #[arg(long, value_name = "C")]
    config: PathBuf,
    /// The context JSON (`-` reads stdin).
    #[arg(long, value_name = "X.json")]
    context: PathBuf,
    /// Say why: checked profiles with their deciding atoms, every group rule's result.
    #[arg(long)]
    explain: bool,
    /// Say why for one group, profile or application only (its name or id); implies --explain.
    #[arg(long, value_name = "GROUP|PROFILE|APP")]
    why: Option<String>,
    /// Set `request.url`: which application protects it and what it decides.
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// Set `request.destination` to a private destination, `HOST[:PORT][/PROTOCOL]`
    /// (`10.20.1.5:5432/tcp`, `db.internal:22`): which application protects it.
    #[arg(long, value_name = "HOST[:PORT][/PROTO]", conflicts_with = "url")]
    destination: Option<String>,
    /// Keep the output to these applications (name or id; repeatable).
    #[arg(long = "app", value_name = "NAME|ID")]
    apps: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

/// Arguments of `check`.
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Configuration: a bundle JSON file or a folder of `<kind>.json` files.
    #[arg(long, value_name = "C")]
    config: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Warnings are errors (exit 3), an incomplete configuration included: for CI.
    #[arg(long)]
    strict: bool,
}

impl EvalArgs {
    /// Whether `--format json` was asked for.
    pub fn json(&self) -> bool {
        self.format == Format::Json
    }
}

impl CheckArgs {
    /// Whether `--format json` was asked for.
    pub fn json(&self) -> bool {
        self.format == Format::Json
    }
}

/// Prints problems to stderr in text form, each located in its file with an
/// excerpt of the line.
pub fn report(problems: &[Problem], sources: &mut Sources) {
    let mut problems = problems.to_vec();
    sources.locate(&mut problems);
    for p in &problems {
        anstream::eprint!("{}", super::style::severity(&sources.render(p)));
    }
}

/// Reads a configuration: a bundle, a folder, or a bundle on stdin (`-`);
/// the stdin text is kept to locate problems in.
fn read_config(path: &Path) -> Result<(zt_eval::config::Config, Vec<Problem>, Sources), CliError> {
    if path.as_os_str() == "-" {
        let text = read_input(path)?;
        let (config, problems) = zt_eval::config::load_str(&text, "-");
        return Ok((config, problems, Sources::with_stdin(Some(text))));
    }
    if !path.exists() {
        return Err(CliError::Io(
            format!("cannot read `{}`", path.display()),
            std::io::Error::from(std::io::ErrorKind::NotFound),
        ));
    }
    let (config, problems) = zt_eval::config::load_path(path);
    Ok((config, problems, Sources::default()))
}

/// Loads an engine, printing warnings; errors end the command with exit 3.
pub fn load(path: &Path) -> Result<Engine, CliError> {
    let (config, problems, mut sources) = read_config(path)?;
    match Engine::from_config(config, problems) {
        Ok(e) => {
            report(e.warnings(), &mut sources);
            Ok(e)
        }
        Err(e) => {
            report(&e.problems, &mut sources);
            Err(CliError::Input(e.to_string()))
        }
    }
}

/// Runs `eval`.
pub fn run_eval(args: EvalArgs, out: &mut impl Write) -> Result<u8, CliError> {
    let engine = load(&args.config)?;
    if args.context.as_os_str() == "-" && args.config.as_os_str() == "-" {
        return Err(CliError::Usage(
            "--config and --context cannot both read stdin (`-`)".into(),
        ));
    }
    let text = read_input(&args.context)?;
    // Strict: a key given twice is an error here as in batch.
    let json = zt_eval::json::parse(&text).map_err(|e| {
        CliError::Input(if e.line == 0 {
            format!("{}: {}", args.context.display(), e.message)
        } else {
            format!(
                "{}: {}: {}",
                args.context.display(),
                e.path,
                zt_eval::json::located(&e)
            )
        })
    })?;
    let mut json = json;
    if let Some(url) = &args.url {
        // Said about the flag, not the file the URL was put in.
        zt_eval::route::normalise(url).map_err(|m| CliError::Input(format!("--url: {m}")))?;
        set_url(&mut json, url)
            .map_err(|m| CliError::Usage(format!("--url: {}: {m}", args.context.display())))?;
    }
    if let Some(dest) = &args.destination {
        let d =
            parse_destination(dest).map_err(|m| CliError::Usage(format!("--destination: {m}")))?;
        set_request(&mut json, "destination", d, "url").map_err(|m| {
            CliError::Usage(format!("--destination: {}: {m}", args.context.display()))
        })?;
    }
    let mut scratch = engine.scratch();
    let explain = args.explain || args.why.is_some();
    // Text explains a default deny by what the allow policies needed, so it
    // always asks for the explanation; it prints the rest only with --explain.
    let ask = explain || args.format == Format::Text;
    let decision = engine.decide(&json, &mut scratch, ask).map_err(|e| {
        let file = args.context.display();
        CliError::Input(
            e.to_string()
                .lines()
                .map(|l| format!("{file}: {l}"))
                .collect::<Vec<_>>()
                .join("\n"),
        )
    })?;
    let mut decision = decision;
    if let Some(want) = &args.why {
        narrow(&mut decision, want)?;
    }
    keep_apps(&mut decision, &args.apps)?;
    for w in &decision.warnings {
        eprintln!("warning: {}: {w}", args.context.display());
    }
    match args.format {
        Format::Json => writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&decision).unwrap_or_default()
        )?,
        Format::Text => write!(
            out,
            "{}",
            super::text::decision(&decision, engine.config(), explain)
        )?,
    }
    Ok(0)
}

/// `HOST[:PORT][/PROTOCOL]` as a `request.destination`: an IP address goes
/// to `ip`, a name to `hostname`.
fn parse_destination(text: &str) -> Result<serde_json::Value, String> {
    let (rest, protocol) = match text.rsplit_once('/') {
        Some((r, p)) => (r, Some(p.to_ascii_lowercase())),
        None => (text, None),
    };
    // `[::1]:22` for an IPv6 address with a port.
    let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
        match inner.split_once(']') {
            Some((h, p)) => (h, p.strip_prefix(':')),
            None => return Err(format!("`{text}`: an unclosed `[`")),
        }
    } else {
        match rest.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h, Some(p)),
            _ => (rest, None),
        }
    };
    if host.is_empty() {
        return Err(format!(
            "`{text}` has no host (expected HOST[:PORT][/PROTOCOL])"
        ));
    }
    let mut d = serde_json::Map::new();
    if host.parse::<std::net::IpAddr>().is_ok() {
        d.insert("ip".into(), host.into());
    } else {
        d.insert("hostname".into(), host.into());
    }
    if let Some(p) = port {
        let n: u16 = p
            .parse()
            .map_err(|_| format!("`{p}` is not a port (0 to 65535)"))?;
        d.insert("port".into(), n.into());
    }
    if let Some(p) = protocol {
        d.insert("protocol".into(), p.into());
    }
    Ok(serde_json::Value::Object(d))
}

/// Sets `request.<key>`; a context that names `request.<other>` is refused
/// (a request is for one of the two).
fn set_request(
    json: &mut serde_json::Value,
    key: &str,
    value: serde_json::Value,
    other: &str,
) -> Result<(), String> {
    if let Some(obj) = json.as_object_mut() {
        let request = obj
            .entry("request")
            .or_insert_with(|| serde_json::Value::Object(Default::default()));
        if let Some(r) = request.as_object_mut() {
            if r.get(other).is_some_and(|d| !d.is_null()) {
                return Err(format!(
                    "the context names `request.{other}`; a request is for a url or a private destination: remove one of the two"
                ));
            }
            r.insert(key.into(), value);
        }
    }
    Ok(())
}

/// Sets `request.url` (dropping a `request.destination`: `--url` says what
/// the request is for).
fn set_url(json: &mut serde_json::Value, url: &str) -> Result<(), String> {
    if let Some(obj) = json.as_object_mut() {
        let request = obj
            .entry("request")
            .or_insert_with(|| serde_json::Value::Object(Default::default()));
        if let Some(r) = request.as_object_mut() {
            // A private destination is another question than a URL: asking
            // both would answer neither.
            if r.get("destination").is_some_and(|d| !d.is_null()) {
                return Err(
                    "the context names a private `request.destination`; --url asks about a URL: remove one of the two".into(),
                );
            }
            r.insert("url".into(), url.into());
        }
    }
    Ok(())
}

/// Keeps the applications named (or with the ids) in `want`; an empty `want`
/// keeps all. A name that is no application is a usage error.
pub fn keep_apps(d: &mut zt_eval::Decision<'_>, want: &[String]) -> Result<(), CliError> {
    if want.is_empty() {
        return Ok(());
    }
    let Some(apps) = d.applications.as_mut() else {
        return Err(CliError::Usage(
            "--app: the configuration has no `access_applications`".into(),
        ));
    };
    let hit = |a: &zt_eval::decision::AppOutcome<'_>, w: &str| a.app.is_named(w);
    for w in want {
        if !apps.iter().any(|a| hit(a, w)) {
            return Err(CliError::Usage(format!(
                "--app `{w}`: no application has that name or id{}",
                zt_eval::diag::names_hint(w, apps.iter().map(|a| a.app.name.as_str()))
            )));
        }
    }
    apps.retain(|a| want.iter().any(|w| hit(a, w)));
    Ok(())
}

/// Keeps the explanation of the group or profile named (or with the id)
/// `want`; the rest of the decision stays whole.
fn narrow(d: &mut zt_eval::Decision<'_>, want: &str) -> Result<(), CliError> {
    // Names compare without case; ids exactly.
    let is = |name: &str, id: Option<&str>| name.eq_ignore_ascii_case(want) || id == Some(want);
    let mut names: Vec<String> = Vec::new();
    if let Some(why) = d.access_groups.as_ref().and_then(|g| g.why.as_ref()) {
        names.extend(why.iter().map(|g| g.group.name.clone()));
    }
    for p in [&d.device_profile, &d.ip_profile].into_iter().flatten() {
        names.extend(p.checked.iter().flatten().map(|c| c.profile.name.clone()));
    }
    names.extend(d.applications.iter().flatten().map(|a| a.app.name.clone()));
    let mut found = false;
    if let Some(why) = d.access_groups.as_mut().and_then(|g| g.why.as_mut()) {
        why.retain(|g| is(&g.group.name, Some(&g.group.id)));
        found |= !why.is_empty();
    }
    for p in [&mut d.device_profile, &mut d.ip_profile]
        .into_iter()
        .flatten()
    {
        if let Some(checked) = &mut p.checked {
            let named = checked
                .iter()
                .any(|c| is(&c.profile.name, c.profile.id.as_deref()));
            if named {
                found = true;
            } else {
                p.checked = None;
            }
        }
    }
    if let Some(apps) = &mut d.applications {
        let named = apps.iter().any(|a| is(&a.app.name, a.app.id.as_deref()));
        if named {
            found = true;
            for a in apps.iter_mut() {
                if !is(&a.app.name, a.app.id.as_deref()) {
                    a.why = None;
                }
            }
        }
    }
    if found {
        Ok(())
    } else {
        Err(CliError::Usage(format!(
            "--why `{want}`: no group, profile or application has that name or id{}",
            zt_eval::diag::names_hint(want, names.iter().map(String::as_str))
        )))
    }
}

/// Runs `check`.
pub fn run_check(args: CheckArgs, out: &mut impl Write) -> Result<u8, CliError> {
    let (config, problems, mut sources) = read_config(&args.config)?;
    let mut problems = match Engine::from_config(config, problems) {
        Ok(engine) => engine.warnings().to_vec(),
        Err(e) => e.problems,
    };
    if args.strict {
        for p in &mut problems {
            if p.severity == Severity::Warning {
                p.severity = Severity::Error;
                p.message = format!("{} (--strict)", p.message);
            }
        }
    }
    sources.locate(&mut problems);
    let (errors, warnings) = super::problems::counts(&problems);
    match args.format {
        Format::Json => {
            let v = serde_json::json!({"errors": errors, "warnings": warnings, "problems": problems.iter().map(super::problems::to_json).collect::<Vec<_>>()});
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&v).unwrap_or_default()
            )?;
        }
        Format::Text => {
            report(&problems, &mut sources);
            writeln!(
                out,
                "{}: {errors} error(s), {warnings} warning(s)",
                args.config.display()
            )?;
        }
    }
    Ok(if errors > 0 { 3 } else { 0 })
}
