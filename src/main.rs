//! `asterism`: check and run pipelines from the command line.
//!
//! - `asterism check FILE`: compile a DagSpec and print a one-screen summary,
//!   or every problem (exit 1).
//! - `asterism run FILE --inputs JSON`: run it once; the declared outputs go
//!   to stdout as one JSON object. Exit 2 if a module failed (the outputs
//!   that were computed are still printed), 1 for a bad spec, bad inputs or
//!   bad arguments.
//!
//! - `asterism dot FILE`: print the pipeline as Graphviz DOT (`--format
//!   mermaid` for a Mermaid flowchart); `run --dot PATH` writes the run's
//!   picture, each node coloured by its status.
//!
//! All know the standard modules (`Registry::with_stdlib`) and the
//! demonstration modules of `asterism::demo` (`demo.flakyLookup`).

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

mod cli;
mod cli_dot;

/// Check and run asterism pipelines (DagSpec JSON, the original's format).
#[derive(Debug, Parser)]
#[command(name = "asterism", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compile a spec and print a summary of the plan, or every problem.
    Check {
        /// The DagSpec JSON file.
        file: String,
    },
    /// Run a spec once and print its declared outputs as JSON.
    Run {
        /// The DagSpec JSON file.
        file: String,
        /// Inputs as plain JSON (`{"x": 5}`), or `@path` to read a file.
        #[arg(long, default_value = "{}")]
        inputs: String,
        /// Print a per-module table (status, latency) on stderr.
        #[arg(long)]
        timings: bool,
        /// How outputs are printed.
        #[arg(long, value_enum, default_value_t = OutputFormat::Plain)]
        format: OutputFormat,
        /// A TOML runtime configuration file.
        #[arg(long)]
        config: Option<String>,
        /// Write a picture of the run to this file: Graphviz DOT, each node
        /// coloured by its status (Mermaid if the path ends in `.mmd`).
        #[arg(long, value_name = "PATH")]
        dot: Option<String>,
    },
    /// Print a picture of a spec: Graphviz DOT, or a Mermaid flowchart.
    Dot {
        /// The DagSpec JSON file.
        file: String,
        /// The picture's format.
        #[arg(long, value_enum, default_value_t = cli_dot::PictureFormat::Dot)]
        format: cli_dot::PictureFormat,
    },
}

/// Output encodings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    /// Plain JSON values (`{"sum": 12}`).
    Plain,
    /// The original's tagged values (`{"sum": {"tag": "CInt", "value": 12}}`).
    Tagged,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let code = match cli.command {
        Command::Check { file } => cli::check(&file),
        Command::Run {
            file,
            inputs,
            timings,
            format,
            config,
            dot,
        } => cli::run(
            &file,
            &inputs,
            timings,
            format,
            config.as_deref(),
            dot.as_deref(),
        ),
        Command::Dot { file, format } => cli_dot::dot(&file, format),
    };
    ExitCode::from(code)
}
