//! `asterism`: check and run pipelines from the command line.
//!
//! - `asterism check FILE`: compile a DagSpec (or a PipelineImage) and print
//!   a one-screen summary and any warnings, or every problem (exit 1).
//! - `asterism run FILE --inputs JSON`: run it once; the declared outputs go
//!   to stdout as one JSON object. Exit 2 if a module failed (the outputs
//!   that were computed are still printed), 1 for a bad spec, bad inputs or
//!   bad arguments.
//! - `asterism compile FILE.cst --emit dagspec|image`: a program in the
//!   pipeline language as DagSpec or PipelineImage JSON on stdout.
//! - `asterism dot FILE`: print the pipeline as Graphviz DOT (`--format
//!   mermaid` for a Mermaid flowchart); `run --dot PATH` writes the run's
//!   picture, each node coloured by its status.
//!
//! `check`, `run` and `dot` read DagSpec or PipelineImage JSON or, for a
//! `.cst` file, a program in the pipeline language (`run --example` uses
//! its `@example` inputs). All know the standard modules
//! (`Registry::with_stdlib`) and the demonstration modules of
//! `asterism::demo` (`demo.flakyLookup`). Files are read
//! up to a size limit (spec 256 MiB, inputs 64 MiB, config 1 MiB; raise
//! them with `--max-spec-bytes`, `--max-input-bytes`, `--max-config-bytes`);
//! a UTF-8 byte-order mark before JSON is skipped, and a key given twice in
//! a spec's maps or in the inputs is an error. `run` builds one execution
//! state, for its one run, whatever `initial-capacity` says.

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

mod cli;
mod cli_dot;
mod cli_lang;

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
        /// The DagSpec or PipelineImage JSON file, or a `.cst` program.
        file: String,
        /// How a `.cst` program's `branch` is lowered.
        #[arg(long, value_enum, default_value_t = cli_lang::BranchMode::Transforms)]
        branch: cli_lang::BranchMode,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Run a spec once and print its declared outputs as JSON.
    Run {
        /// The DagSpec or PipelineImage JSON file, or a `.cst` program.
        file: String,
        /// Inputs as plain JSON (`{"x": 5}`), or `@path` to read a file.
        #[arg(long, default_value = "{}", conflicts_with = "example")]
        inputs: String,
        /// Run a `.cst` program on its `@example` inputs.
        #[arg(long)]
        example: bool,
        /// How a `.cst` program's `branch` is lowered.
        #[arg(long, value_enum, default_value_t = cli_lang::BranchMode::Transforms)]
        branch: cli_lang::BranchMode,
        /// Print a per-module table (status, latency) on stderr.
        #[arg(long)]
        timings: bool,
        /// How outputs are printed.
        #[arg(long, value_enum, default_value_t = OutputFormat::Plain)]
        format: OutputFormat,
        /// A TOML runtime configuration file.
        #[arg(long)]
        config: Option<String>,
        /// Refuse record inputs with fields the record does not have (by
        /// default they are ignored, as the original does).
        #[arg(long)]
        strict: bool,
        /// Write a picture of the run to this file: Graphviz DOT, each node
        /// coloured by its status (Mermaid if the path ends in `.mmd`).
        #[arg(long, value_name = "PATH")]
        dot: Option<String>,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Print a picture of a spec: Graphviz DOT, or a Mermaid flowchart.
    Dot {
        /// The DagSpec or PipelineImage JSON file.
        file: String,
        /// The picture's format.
        #[arg(long, value_enum, default_value_t = cli_dot::PictureFormat::Dot)]
        format: cli_dot::PictureFormat,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Compile a `.cst` program and print it as JSON.
    Compile {
        /// The `.cst` program.
        file: String,
        /// What to write: the DagSpec, or the original's PipelineImage.
        #[arg(long, value_enum, default_value_t = cli_lang::Emit::Dagspec)]
        emit: cli_lang::Emit,
        /// How `branch` is lowered.
        #[arg(long, value_enum, default_value_t = cli_lang::BranchMode::Transforms)]
        branch: cli_lang::BranchMode,
        #[command(flatten)]
        limits: LimitArgs,
    },
}

/// How much of each file the CLI reads at most; a larger file is an error.
#[derive(Debug, clap::Args)]
struct LimitArgs {
    /// The most bytes read from the spec file.
    #[arg(long, default_value_t = 256 << 20, value_name = "BYTES")]
    max_spec_bytes: u64,
    /// The most bytes read from an `--inputs @file`.
    #[arg(long, default_value_t = 64 << 20, value_name = "BYTES")]
    max_input_bytes: u64,
    /// The most bytes read from the `--config` file.
    #[arg(long, default_value_t = 1 << 20, value_name = "BYTES")]
    max_config_bytes: u64,
}

impl LimitArgs {
    fn limits(&self) -> cli::Limits {
        cli::Limits {
            spec: self.max_spec_bytes,
            inputs: self.max_input_bytes,
            config: self.max_config_bytes,
        }
    }
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
        Command::Check {
            file,
            branch,
            limits,
        } => cli::check(&file, limits.limits(), branch),
        Command::Run {
            file,
            inputs,
            example,
            branch,
            timings,
            format,
            config,
            strict,
            dot,
            limits,
        } => cli::run(
            &file,
            &inputs,
            timings,
            format,
            config.as_deref(),
            strict,
            dot.as_deref(),
            limits.limits(),
            cli_lang::LangRun { example, branch },
        ),
        Command::Compile {
            file,
            emit,
            branch,
            limits,
        } => cli_lang::compile(&file, emit, branch, limits.limits()),
        Command::Dot {
            file,
            format,
            limits,
        } => cli_dot::dot(&file, format, limits.limits()),
    };
    ExitCode::from(code)
}
