//! `zt-eval expr`: one expression -> canonical form and type, or its errors.

use super::{CliError, read_input};
use crate::{Format, Kind};
use std::io::Write;
use std::path::PathBuf;
use zt_eval::Explained;
use zt_eval::Limits;
use zt_eval::diag;
use zt_eval::scheme::Scheme;
use zt_eval::value::Context;
use zt_eval::{Checked, check_expression};

/// Arguments of `expr`.
#[derive(clap::Args, Debug)]
pub struct ExprArgs {
    /// The expression, e.g. 'os.name == "mac"'; `-` reads it from stdin.
    #[arg(required_unless_present = "file", conflicts_with = "file")]
    expression: Option<String>,
    /// Read the expression from this file (`-`: stdin), for long expressions.
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
    /// Built-in scheme to check against.
    #[arg(long, value_enum, default_value = "device")]
    kind: Kind,
    /// A custom scheme (JSON: fields and lists) instead of a built-in one.
    #[arg(long, value_name = "S.json")]
    scheme: Option<PathBuf>,
    /// Evaluate against this flat context (JSON: field name -> value); `-` reads stdin.
    #[arg(long, value_name = "X.json")]
    context: Option<PathBuf>,
    /// With --context: also print the atoms that decided the result.
    #[arg(long, requires = "context")]
    explain: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

impl ExprArgs {
    /// Whether `--format json` was asked for.
    pub fn json(&self) -> bool {
        self.format == Format::Json
    }
}

/// Runs `expr`.
pub fn run(args: ExprArgs, out: &mut impl Write) -> Result<u8, CliError> {
    let scheme = match &args.scheme {
        Some(path) => Scheme::from_json(&read_input(path)?)
            .map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?,
        None if args.kind == Kind::Ip => Scheme::ip(),
        None => Scheme::device(),
    };
    let text = match (&args.expression, &args.file) {
        (Some(e), None) if e == "-" => read_input(std::path::Path::new("-"))?,
        (Some(e), None) => e.clone(),
        (_, Some(path)) => read_input(path)?,
        (None, None) => return Err(CliError::Usage("give an expression or --file".into())),
    };
    // A file's final newline is not part of the expression.
    let src = text.strip_suffix('\n').unwrap_or(&text);
    let src = src.strip_suffix('\r').unwrap_or(src);
    match check_expression(src, &scheme, &Limits::default()) {
        Ok(checked) => {
            let evaluated = match &args.context {
                Some(path) => Some(evaluate(&checked, &scheme, path)?),
                None => None,
            };
            match args.format {
                Format::Json => {
                    let mut v =
                        serde_json::json!({"expression": checked.canonical(), "type": "Bool"});
                    if let (Some(e), Some(obj)) = (&evaluated, v.as_object_mut()) {
                        obj.insert("result".into(), e.result.into());
                        if args.explain {
                            obj.insert("because".into(), e.because.clone().into());
                        }
                    }
                    writeln!(out, "{v}")?;
                }
                Format::Text => {
                    writeln!(out, "{}\n  type: Bool", checked.canonical())?;
                    if let Some(e) = &evaluated {
                        writeln!(out, "  result: {}", e.result)?;
                        if args.explain {
                            for b in &e.because {
                                writeln!(out, "    because {b}")?;
                            }
                        }
                    }
                }
            }
            Ok(0)
        }
        Err(diags) => {
            match args.format {
                Format::Json => {
                    let errors: Vec<_> = diags.iter().map(|d| d.to_json(src)).collect();
                    writeln!(out, "{}", serde_json::json!({ "errors": errors }))?;
                }
                Format::Text => {
                    eprint!("{}", diag::render_all(&diags, src, None));
                }
            }
            Ok(3)
        }
    }
}

fn evaluate(
    checked: &Checked,
    scheme: &Scheme,
    path: &std::path::Path,
) -> Result<Explained, CliError> {
    let text = read_input(path)?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        CliError::Input(format!(
            "{}: invalid JSON at {}:{}: {e}",
            path.display(),
            e.line(),
            e.column()
        ))
    })?;
    let ctx = Context::from_flat_json(scheme, &json)
        .map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?;
    let compiled = checked.compile(scheme);
    let mut scratch = compiled.scratch();
    Ok(compiled.explain(&ctx, &mut scratch))
}
