//! The commands of the binary, one module each, and the error they share.

pub mod batch;
pub mod config_cmds;
pub mod diff;
pub mod expr;
pub mod sample;
pub mod text;

use std::fmt;
use std::io;
use std::path::Path;

/// A failure that ends a command: exit 1 for I/O, 3 for invalid input.
#[derive(Debug)]
pub enum CliError {
    /// A file could not be read or written (exit 1); a broken pipe ends quietly.
    Io(String, io::Error),
    /// The input is invalid (exit 3).
    Input(String),
}

impl CliError {
    /// The process exit code.
    pub fn code(&self) -> u8 {
        match self {
            CliError::Io(..) => 1,
            CliError::Input(_) => 3,
        }
    }

    /// True for a closed stdout (`| head`), which ends quietly with exit 0.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CliError::Io(_, e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Io(what, e) => write!(f, "{what}: {e}"),
            CliError::Input(m) => f.write_str(m),
        }
    }
}

impl From<io::Error> for CliError {
    fn from(e: io::Error) -> CliError {
        CliError::Io("cannot write output".into(), e)
    }
}

/// Reads a file, or stdin for `-`.
pub fn read_input(path: &Path) -> Result<String, CliError> {
    if path.as_os_str() == "-" {
        let mut s = String::new();
        io::Read::read_to_string(&mut io::stdin(), &mut s)
            .map_err(|e| CliError::Io("cannot read standard input".into(), e))?;
        return Ok(s);
    }
    std::fs::read_to_string(path)
        .map_err(|e| CliError::Io(format!("cannot read `{}`", path.display()), e))
}
