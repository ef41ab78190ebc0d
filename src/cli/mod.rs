//! The commands of the binary, one module each, and the error they share.

pub mod batch;
pub mod config_cmds;
pub mod coverage;
pub mod diff;
pub mod expr;
pub mod population;
pub mod problems;
pub mod sample;
pub mod style;
pub mod summary;
pub mod test;
pub mod text;
pub mod text_apps;

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
    /// The command line asks for something impossible (exit 2).
    Usage(String),
}

impl CliError {
    /// The process exit code.
    pub fn code(&self) -> u8 {
        match self {
            CliError::Io(..) => 1,
            CliError::Input(_) => 3,
            CliError::Usage(_) => 2,
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
            CliError::Input(m) | CliError::Usage(m) => f.write_str(m),
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

/// Whether two paths name the same existing file (links and `..` included).
pub fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

/// `--output` may not name an input: opening it for writing would truncate
/// the input before it is read.
pub fn check_output(output: Option<&Path>, inputs: &[&Path]) -> Result<(), CliError> {
    let Some(out) = output else { return Ok(()) };
    for input in inputs {
        if same_file(out, input) {
            return Err(CliError::Usage(format!(
                "--output `{}` is an input of this command (`{}`); writing it would destroy it",
                out.display(),
                input.display()
            )));
        }
    }
    Ok(())
}

/// Opens `--output` for writing (buffered), after `check_output`.
///
/// # Errors
/// The file cannot be created.
pub fn create_output(path: &Path) -> Result<std::io::BufWriter<std::fs::File>, CliError> {
    std::fs::File::create(path)
        .map(std::io::BufWriter::new)
        .map_err(|e| CliError::Io(format!("cannot write `{}`", path.display()), e))
}

/// The most worker threads `--threads` accepts.
pub const MAX_THREADS: usize = 512;

/// `--threads N`, 1 to `MAX_THREADS`.
pub fn parse_threads(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=MAX_THREADS).contains(&n) => Ok(n),
        _ => Err(format!(
            "expected a number of threads from 1 to {MAX_THREADS}, found `{s}`"
        )),
    }
}

/// Runs `f` over the lines of a population (`-` is stdin), as bytes without
/// their `\r\n` or `\n`: a line that is not UTF-8 is the reader's to count and
/// name, and the lines before a read error are still given to `f`, whose
/// answer is then dropped for the error.
pub fn with_lines<T>(
    path: &Path,
    f: impl FnOnce(&mut dyn Iterator<Item = Vec<u8>>) -> T,
) -> Result<T, CliError> {
    use std::io::BufRead;
    let input: Box<dyn io::Read> = if path.as_os_str() == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(
            std::fs::File::open(path)
                .map_err(|e| CliError::Io(format!("cannot read `{}`", path.display()), e))?,
        )
    };
    let mut read_error = None;
    let mut lines = io::BufReader::new(input)
        .split(b'\n')
        .map_while(|l| match l {
            Ok(mut l) => {
                if l.last() == Some(&b'\r') {
                    l.pop();
                }
                Some(l)
            }
            Err(e) => {
                read_error = Some(e);
                None
            }
        });
    let answer = f(&mut lines);
    match read_error {
        Some(e) => Err(CliError::Io(format!("cannot read `{}`", path.display()), e)),
        None => Ok(answer),
    }
}
