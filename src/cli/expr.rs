//! `zt-eval expr`: one expression -> canonical form and type, or its errors.

use super::{CliError, read_input};
use crate::{Format, Kind};
use std::io::Write;
use std::path::PathBuf;
use zt_eval::diag;
use zt_eval::expression::check_expression;
use zt_eval::parse::Limits;
use zt_eval::scheme::Scheme;

/// Arguments of `expr`.
#[derive(clap::Args, Debug)]
pub struct ExprArgs {
    /// The expression, e.g. 'os.name == "mac"'.
    expression: String,
    /// Built-in scheme to check against.
    #[arg(long, value_enum, default_value = "device")]
    kind: Kind,
    /// A custom scheme (JSON: fields and lists) instead of a built-in one.
    #[arg(long, value_name = "S.json")]
    scheme: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

/// Runs `expr`.
pub fn run(args: ExprArgs, out: &mut impl Write) -> Result<u8, CliError> {
    let scheme = match &args.scheme {
        Some(path) => Scheme::from_json(&read_input(path)?)
            .map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?,
        None if args.kind == Kind::Ip => Scheme::ip(),
        None => Scheme::device(),
    };
    let src = &args.expression;
    match check_expression(src, &scheme, &Limits::default()) {
        Ok(checked) => {
            match args.format {
                Format::Json => {
                    let v = serde_json::json!({"expression": checked.canonical(), "type": "Bool"});
                    writeln!(out, "{v}")?;
                }
                Format::Text => writeln!(out, "{}\n  type: Bool", checked.canonical())?,
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
