//! `zt-eval sample`: a synthetic population for a configuration, as JSON Lines.

use super::CliError;
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `sample`.
#[derive(clap::Args, Debug)]
pub struct SampleArgs {
    /// Configuration: a bundle JSON file or a folder of `<kind>.json` files.
    #[arg(long, value_name = "C")]
    config: PathBuf,
    /// How many contexts.
    #[arg(long, default_value_t = 1000)]
    count: usize,
    /// The same seed gives the same population.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// Runs `sample`.
pub fn run(args: SampleArgs, out: &mut impl Write) -> Result<u8, CliError> {
    let engine = super::config_cmds::load(&args.config)?;
    for ctx in zt_eval::whatif::sample(engine.config(), args.count, args.seed) {
        serde_json::to_writer(&mut *out, &ctx)
            .map_err(|e| CliError::Io("cannot write output".into(), e.into()))?;
        out.write_all(b"\n")?;
    }
    Ok(0)
}
