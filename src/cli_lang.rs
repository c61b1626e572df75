//! The CLI's `.cst` support: programs in the pipeline language are
//! compiled to a DagSpec on the way in (`check`, `run`), or written out as
//! JSON (`compile --emit dagspec|image`).
//!
//! Signatures come from the standard registry, as for JSON specs; a call
//! of a module it lacks is reported at check time, naming the call.

use std::io::Write as _;
use std::path::Path;

use asterism::compiler::{plain, PipelineImage};
use asterism::lang::{self, BranchLowering, Compiled};
use asterism::{DagSpec, Registry};
use clap::ValueEnum;
use sha2::{Digest, Sha256};

/// Whether a file is a program in the language (by its extension).
pub(crate) fn is_cst(file: &str) -> bool {
    Path::new(file)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("cst"))
}

/// How `branch { ... }` is lowered (`--branch`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum BranchMode {
    /// Conditional transforms: runs on any runtime.
    #[default]
    Transforms,
    /// The original's synthetic `<pipeline>.branch-N` modules.
    Module,
}

impl BranchMode {
    fn lowering(self) -> BranchLowering {
        match self {
            BranchMode::Transforms => BranchLowering::Conditionals,
            BranchMode::Module => BranchLowering::Module,
        }
    }
}

/// `run`'s options for `.cst` programs.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct LangRun {
    /// Run on the program's `@example` inputs.
    pub(crate) example: bool,
    /// How `branch` is lowered.
    pub(crate) branch: BranchMode,
}

/// What `compile --emit` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Emit {
    /// The DagSpec JSON (each module node carries its call options).
    Dagspec,
    /// The original's PipelineImage JSON.
    Image,
}

/// Compiles a `.cst` program (`source`, read from `file`) against the
/// standard modules.
pub(crate) fn compile_source(
    file: &str,
    source: &str,
    branch: BranchMode,
) -> Result<Compiled, String> {
    let name = Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("pipeline")
        .to_owned();
    let options = lang::Options {
        name,
        file: file.to_owned(),
        branch: branch.lowering(),
    };
    let sigs = Registry::with_stdlib().signatures();
    lang::compile_with(source, &sigs, &options)
        .map_err(|d| format!("`{file}` does not compile:\n{d}"))
}

fn read_program(file: &str, limit: u64) -> Result<String, String> {
    crate::cli::read_file(file, "program", limit, "--max-spec-bytes")
}

/// The spec of a `.cst` program.
pub(crate) fn load_spec(file: &str, source: &str, branch: BranchMode) -> Result<DagSpec, String> {
    compile_source(file, source, branch).map(|c| c.spec)
}

/// The program's `@example` inputs as plain JSON (`{"name": "Alice"}`).
pub(crate) fn example_inputs(file: &str, limit: u64, branch: BranchMode) -> Result<String, String> {
    if !is_cst(file) {
        return Err(format!(
            "`--example` needs a `.cst` program with `@example` inputs; `{file}` is not one"
        ));
    }
    let c = compile_source(file, &read_program(file, limit)?, branch)?;
    let obj: serde_json::Map<String, serde_json::Value> = c
        .example_inputs()
        .iter()
        .map(|(n, v)| (n.clone(), plain::encode(v)))
        .collect();
    Ok(serde_json::Value::Object(obj).to_string())
}

/// `asterism compile FILE.cst --emit dagspec|image`.
pub(crate) fn compile(
    file: &str,
    emit: Emit,
    branch: BranchMode,
    limits: crate::cli::Limits,
) -> u8 {
    if !is_cst(file) {
        return crate::cli::fail(&format!(
            "`asterism compile` reads `.cst` programs; `{file}` is not one"
        ));
    }
    let source = match read_program(file, limits.spec) {
        Ok(s) => s,
        Err(e) => return crate::cli::fail(&e),
    };
    let compiled = match compile_source(file, &source, branch) {
        Ok(c) => c,
        Err(e) => return crate::cli::fail(&e),
    };
    let text = match emit {
        Emit::Dagspec => compiled.spec.to_json(),
        Emit::Image => image_json(&compiled, &source),
    };
    match writeln!(std::io::stdout().lock(), "{text}") {
        Ok(()) => 0,
        Err(e) => crate::cli::fail(&format!("cannot write to stdout: {e}")),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The original's `PipelineImage` (the compiler's [`PipelineImage`]: the
/// structural hash of the DagSpec, the module options keyed by module
/// UUID), with `syntacticHash` the SHA-256 of the source text.
pub(crate) fn image_json(c: &Compiled, source: &str) -> String {
    let mut image = PipelineImage::from_spec(c.spec.clone());
    image.syntactic_hash = sha256_hex(source.as_bytes());
    image.to_json()
}
