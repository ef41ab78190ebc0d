//! zt-eval: arguments -> read files -> library -> JSON or text -> exit code.
//! The only file (with its `cli/` modules) that does I/O.

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::process::ExitCode;

mod cli;

// A decision allocates its context's strings and slots; glibc's malloc and free
// were a quarter of batch time, mimalloc's thread-local free lists are a fraction.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// What would happen to this user on this device? Evaluates Zero Trust access
/// configuration (Access groups, device and IP profiles, match expressions) offline.
#[derive(Parser, Debug)]
#[command(name = "zt-eval", version, about, long_about = None)]
struct Args {
    #[command(subcommand)]
    command: Command,
    /// Color in text output: `auto` when the output is a terminal and
    /// `NO_COLOR` is unset.
    #[arg(long, value_enum, default_value = "auto", global = true)]
    color: Color,
}

/// When text output has color.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Color {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// For people.
    Text,
    /// Stable field names, for programs.
    Json,
}

/// A format with a JSON Schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SchemaKind {
    /// One context (`eval --context`, a line of `batch`): generated from the
    /// types that read it.
    Context,
    /// One decision (`eval --format json`, a line of `batch`).
    Decision,
    /// A test file (`zt-eval test`): generated from the types that read it.
    Tests,
}

/// Which built-in scheme an expression is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Kind {
    /// Device settings profile `match` fields.
    Device,
    /// IP profile `match` fields (identity only).
    Ip,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Parse and type-check one match expression; print its canonical form, or the errors.
    #[command(
        after_help = "Examples:\n  zt-eval expr 'any(identity.groups.name[*] in {\"developers\" \"admin\"}) and os.name == \"windows\"'\n  zt-eval expr 'identity.email == \"a@b.com\"' --kind ip --format json\n  zt-eval expr 'os.build >= 19045' --scheme scheme.json --context ctx.json\n\nExit codes: 0 valid, 3 invalid expression or context, 1 unreadable file, 2 usage."
    )]
    Expr(cli::expr::ExprArgs),
    /// Decide one context under a configuration: device profile, IP profile, Access groups, posture, applications.
    #[command(
        after_help = "Examples:\n  zt-eval eval --config corpus/examples/acme --context corpus/examples/acme/contexts/alice.json\n  zt-eval eval --config corpus/examples/acme --context corpus/examples/acme/contexts/bob.json --url https://billing.acme.com/admin\n  zt-eval eval --config bundle.json --context ctx.json --explain --format json\n\nExit codes: 0 decided, 3 invalid configuration or context, 1 unreadable file, 2 usage."
    )]
    Eval(cli::config_cmds::EvalArgs),
    /// Validate a configuration: print every error and warning with its file and JSON path.
    #[command(
        after_help = "Examples:\n  zt-eval check --config corpus/examples/acme\n  zt-eval check --config bundle.json --format json\n\nExit codes: 0 no errors (warnings allowed), 3 errors, 1 unreadable file, 2 usage."
    )]
    Check(cli::config_cmds::CheckArgs),
    /// Decide every line of a JSON Lines file: one JSON line out per line in, in order.
    #[command(
        after_help = "Examples:\n  zt-eval batch --config corpus/examples/acme --contexts population.jsonl > decisions.jsonl\n  zt-eval batch --config bundle.json --contexts - --threads 2 --output out.jsonl < population.jsonl\n\nA line that is not a valid context gives an error record in its place\n({\"line\": N, \"id\": …, \"error\": {\"path\": …, \"message\": …}}); every other line is still decided.\nBlank lines are skipped.\n\nExit codes: 0 all decided, 3 some records are errors (all others were written), 1 unreadable file, 2 usage."
    )]
    Batch(cli::batch::BatchArgs),
    /// The blast radius of a change: decide a population under two configurations, show what changed.
    #[command(
        after_help = "Examples:\n  zt-eval diff --before main/ --after branch/ --contexts population.jsonl\n  zt-eval diff --before a.json --after b.json --contexts pop.jsonl --format json --limit 100\n  zt-eval diff --before a.json --after b.json --contexts pop.jsonl --fail-on-change   # CI gate\n\nExit codes: 0 ran (changed or not), 4 something changed and --fail-on-change was given,\n3 invalid configuration, 1 unreadable file, 2 usage."
    )]
    Diff(cli::diff::DiffArgs),
    /// A synthetic population drawn from the values the configuration mentions (and others), as JSON Lines.
    #[command(
        after_help = "Examples:\n  zt-eval sample --config corpus/examples/acme --count 5000 --seed 1 > population.jsonl\n  zt-eval sample --config main/ --count 5000 | zt-eval diff --before main/ --after branch/ --contexts -\n\nThe same configuration, count and seed give the same population."
    )]
    Sample(cli::sample::SampleArgs),
    /// Per Access application over a population: approved / blocked / unknown counts and who, like Cloudflare's policy tester.
    #[command(
        after_help = "Examples:\n  zt-eval summary --config corpus/examples/acme --contexts population.jsonl\n  zt-eval summary --config main/ --contexts pop.jsonl --app Grafana --users 0 --format json\n\nApproved: allow, bypass or Service Auth; blocked: deny; unknown: an input zt-eval cannot know offline.\n\nExit codes: 0 summarized, 3 invalid configuration or some lines could not be decided (the others are counted), 1 unreadable file, 2 usage."
    )]
    Summary(cli::summary::SummaryArgs),
    /// Contexts assembled from exports a team has (users, identity records, devices, SCIM) or from a table, as JSON Lines.
    #[command(
        after_help = "Examples:\n  zt-eval population --users users.json --identities identities/ --devices physical-devices.json --devices registrations.json > population.jsonl\n  zt-eval population --users users.json --scim-users scim-users.json --scim-groups scim-groups.json --scim-idp IDP_ID\n  zt-eval population --table people.csv --mapping mapping.json > population.jsonl\n\nOne context per user and device, each with `sources` (where every part came from) and `unknown`\n(what no source could tell: IdP groups without a groups source are unknown, never empty).\nWhat users lack is reported on stderr (--report FILE: as JSON).\n\nExit codes: 0 assembled, 3 an export could not be read, or some contexts or table rows were invalid (the others were written), 1 unreadable file, 2 usage."
    )]
    Population(cli::population::PopulationArgs),
    /// Run test files of expected decisions (tests.md): ok / FAILED per test, coverage, JUnit for CI.
    #[command(
        after_help = "Examples:\n  zt-eval test corpus/examples/acme/tests/acme.json\n  zt-eval test tests/ --config zero-trust/ --format junit > junit.xml\n  zt-eval test tests/ --coverage --min-coverage 80\n\nExit codes: 0 every test passed, 4 a test failed or coverage is below --min-coverage,\n3 a test or the configuration is invalid, 1 unreadable file, 2 usage."
    )]
    Test(cli::test::TestArgs),
    /// Over a population: the groups, profiles and policies that matched nobody and those that matched everybody.
    #[command(
        after_help = "Examples:\n  zt-eval coverage --config corpus/examples/acme --contexts population.jsonl\n  zt-eval sample --config main/ --count 5000 | zt-eval coverage --config main/ --contexts - --format json\n\nExit codes: 0 done, 3 invalid configuration or some lines could not be decided (the others were counted), 1 unreadable file, 2 usage."
    )]
    Coverage(cli::coverage::CoverageArgs),
    /// The JSON Schema of a format zt-eval reads or writes, on stdout.
    #[command(
        after_help = "Examples:\n  zt-eval schema context > context.schema.json\n  zt-eval schema decision > decision.schema.json"
    )]
    Schema {
        /// The format.
        format: SchemaKind,
    },
    /// Shell completions for bash, zsh, fish, elvish or PowerShell, on stdout.
    #[command(
        after_help = "Examples:\n  zt-eval completions bash > /etc/bash_completion.d/zt-eval\n  zt-eval completions zsh > \"${fpath[1]}/_zt-eval\""
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// The man page (roff), on stdout.
    #[command(after_help = "Example:\n  zt-eval man > /usr/local/share/man/man1/zt-eval.1")]
    Man,
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let json_errors = wants_json(&args.command);
    let choice = match args.color {
        Color::Auto => anstream::ColorChoice::Auto,
        Color::Always => anstream::ColorChoice::Always,
        Color::Never => anstream::ColorChoice::Never,
    };
    // Messages on stderr (`anstream::eprint!`) follow the same choice.
    choice.write_global();
    // Buffered but not locked: `batch` writes from a worker thread. Text for
    // people goes through `anstream`, which keeps or strips color; JSON and
    // populations go straight out (no escape scan on the batch path).
    let text = !json_errors
        && !matches!(
            args.command,
            Command::Batch(_)
                | Command::Sample(_)
                | Command::Population(_)
                | Command::Schema { .. }
                | Command::Completions { .. }
                | Command::Man
        );
    let stdout: Box<dyn Write + Send> = if text {
        Box::new(anstream::AutoStream::new(std::io::stdout(), choice))
    } else {
        Box::new(std::io::stdout())
    };
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout);
    let result = match args.command {
        Command::Expr(a) => cli::expr::run(a, &mut out),
        Command::Eval(a) => cli::config_cmds::run_eval(a, &mut out),
        Command::Check(a) => cli::config_cmds::run_check(a, &mut out),
        Command::Batch(a) => cli::batch::run(a, &mut out),
        Command::Diff(a) => cli::diff::run(a, &mut out),
        Command::Sample(a) => cli::sample::run(a, &mut out),
        Command::Summary(a) => cli::summary::run(a, &mut out),
        Command::Population(a) => cli::population::run(a, &mut out),
        Command::Test(a) => cli::test::run(a, &mut out),
        Command::Coverage(a) => cli::coverage::run(a, &mut out),
        Command::Schema { format } => {
            let schema = match format {
                SchemaKind::Context => zt_eval::subject::json_schema(),
                SchemaKind::Decision => zt_eval::decision::json_schema(),
                SchemaKind::Tests => zt_eval::testing::json_schema(),
            };
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&schema).unwrap_or_default()
            )
            .map(|()| 0)
            .map_err(|e| cli::CliError::Io("cannot write output".into(), e))
        }
        // Generated from the same clap definitions as the parser, so they
        // never drift from the real flags.
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Args::command(), "zt-eval", &mut out);
            Ok(0)
        }
        Command::Man => clap_mangen::Man::new(Args::command())
            .render(&mut out)
            .map(|()| 0)
            .map_err(|e| cli::CliError::Io("cannot write output".into(), e)),
    };
    // Output is never lost silently: a write that fails at the last flush
    // (a full disk) fails the command. A closed pipe (`| head`) is not an error.
    let flushed = out
        .flush()
        .map_err(|e| cli::CliError::Io("cannot write output".into(), e));
    let result = match (result, flushed) {
        (Ok(code), Ok(())) => Ok(code),
        (Ok(_), Err(e)) | (Err(e), _) => Err(e),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        // cli.md: with --format json, errors are JSON on stdout, same exit code.
        Err(e) if json_errors => {
            let kind = match e.code() {
                1 => "io",
                2 => "usage",
                _ => "input",
            };
            let errors: Vec<serde_json::Value> = e
                .to_string()
                .lines()
                .map(|m| serde_json::json!({"kind": kind, "message": m}))
                .collect();
            let _ = writeln!(
                std::io::stdout(),
                "{}",
                serde_json::json!({ "errors": errors })
            );
            ExitCode::from(e.code())
        }
        Err(e) => {
            anstream::eprintln!("{} {e}", cli::style::paint(cli::style::ERROR, "error:"));
            ExitCode::from(e.code())
        }
    }
}

/// Whether the command asked for JSON output (its errors are JSON then too).
fn wants_json(c: &Command) -> bool {
    match c {
        Command::Expr(a) => a.json(),
        Command::Eval(a) => a.json(),
        Command::Check(a) => a.json(),
        Command::Diff(a) => a.json(),
        Command::Summary(a) => a.json(),
        Command::Test(a) => a.json(),
        Command::Coverage(a) => a.json(),
        Command::Batch(_)
        | Command::Sample(_)
        | Command::Population(_)
        | Command::Schema { .. }
        | Command::Completions { .. }
        | Command::Man => false,
    }
}
