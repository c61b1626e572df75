//! # asterism-lang
//!
//! The pipeline language of the original engine, constellation-lang
//! (`.cst` files), compiled to the same [`DagSpec`] the JSON path reads, so
//! the runtime never learns the language:
//!
//! ```text
//! source --lexer--> tokens --parser--> ast --check (Signatures)--> typed --lower--> DagSpec + options
//! ```
//!
//! - [`lexer`]: tokens ([`logos`]); [`parser`]: recursive descent to an
//!   [`ast::Program`], recovering at the next declaration after an error.
//! - the checker (private `check/`): types against [`Signatures`],
//!   operators desugared to stdlib calls as the original does, `with`
//!   clauses checked into
//!   [`ModuleCallOptions`]; it yields
//!   a [`typed::TProgram`].
//! - lowering (private `lower.rs`): module nodes, data nodes and inline
//!   transforms through [`DagBuilder`](asterism_compiler::DagBuilder); each
//!   call's options sit on its module node.
//!
//! Lambdas and `match` (issue #19) are recognised by the parser and
//! reported as not supported yet; they join [`ast::ExprKind`] and
//! [`typed::TKind`] as expression trees (DESIGN: never closures), lowered
//! by the same pass.
//! - [`diag`]: every problem at once, `file:line:col`, the line with a caret,
//!   and a "did you mean" where a near name exists ([`ariadne`]).
//!
//! The crate depends on the compiler only: it never runs anything.
//!
//! ```
//! use asterism_compiler::{CType, ModuleSignature, Signatures};
//! let sigs: Signatures = [ModuleSignature::new(
//!     "stdlib.concat", [("a", CType::String), ("b", CType::String)], [("out", CType::String)],
//! )].into_iter().collect();
//! let program = asterism_lang::compile(
//!     "@example(\"Alice\")\nin name: String\ngreeting = concat(\"Hello, \", name)\nout greeting\n",
//!     &sigs,
//! ).unwrap();
//! assert_eq!(program.spec.modules.len(), 1);
//! assert_eq!(program.examples[0].0, "name");
//!
//! let err = asterism_lang::compile("in name: String\nx = conact(name, name)\nout x\n", &sigs)
//!     .unwrap_err();
//! assert!(err.to_string().contains("did you mean `concat`?"));
//! ```
#![warn(missing_docs)]

pub mod ast;
mod check;
pub mod diag;
pub mod lexer;
mod lower;
pub mod parser;
pub mod typed;
pub mod types;

use std::collections::BTreeMap;

use asterism_compiler::{CType, CValue, DagSpec, ModuleCallOptions, Signatures};
use uuid::Uuid;

pub use diag::{Diagnostic, Diagnostics};
pub use lower::BranchLowering;

/// A compiled program: the spec (each module node carrying its call
/// options) and the `@example` inputs.
#[derive(Clone, Debug, PartialEq)]
pub struct Compiled {
    /// The pipeline.
    pub spec: DagSpec,
    /// Each input's `@example` value (the last one given), in input order.
    pub examples: Vec<(String, CValue)>,
    /// Every declared input and its type, in declaration order.
    pub inputs: Vec<(String, CType)>,
}

impl Compiled {
    /// Inputs to run the program on its examples: each `@example`, and
    /// `None` for an optional input that has none (the original lets an
    /// optional input be left out). Inputs with neither are absent.
    pub fn example_inputs(&self) -> Vec<(String, CValue)> {
        self.inputs
            .iter()
            .filter_map(
                |(name, ty)| match (self.examples.iter().find(|(n, _)| n == name), ty) {
                    (Some((_, v)), _) => Some((name.clone(), v.clone())),
                    (None, CType::Optional(inner)) => {
                        Some((name.clone(), CValue::none((**inner).clone())))
                    }
                    (None, _) => None,
                },
            )
            .collect()
    }

    /// Module UUID -> call options, for the modules that have any (the
    /// `moduleOptions` of the original's `PipelineImage`).
    pub fn module_options(&self) -> BTreeMap<Uuid, ModuleCallOptions> {
        self.spec
            .modules
            .iter()
            .filter(|(_, m)| !m.options.is_empty())
            .map(|(id, m)| (*id, m.options.clone()))
            .collect()
    }
}

/// How to compile: the pipeline's name, the file name used in messages,
/// and how `branch` is lowered.
#[derive(Clone, Debug)]
pub struct Options {
    /// The pipeline's name (the spec's `metadata.name`).
    pub name: String,
    /// The file name shown in diagnostics.
    pub file: String,
    /// How `branch { ... }` is lowered.
    pub branch: BranchLowering,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            name: "pipeline".to_owned(),
            file: "<input>".to_owned(),
            branch: BranchLowering::default(),
        }
    }
}

/// Compiles a program against `signatures` with the default [`Options`].
pub fn compile(source: &str, signatures: &Signatures) -> Result<Compiled, Diagnostics> {
    compile_with(source, signatures, &Options::default())
}

/// Compiles a program: parse, check, lower. Every problem is reported at
/// once (parse errors and type errors together, where the parse recovered).
pub fn compile_with(
    source: &str,
    signatures: &Signatures,
    options: &Options,
) -> Result<Compiled, Diagnostics> {
    let (program, mut diags) = parser::parse(source);
    let mut checker = check::Checker::new(signatures);
    let typed = checker.program(&program, source.len());
    diags.append(&mut checker.diags);
    if !diags.is_empty() {
        return Err(Diagnostics::new(&options.file, source, diags));
    }
    let spec = lower::lower(&typed, &options.name, seed(source), options.branch);
    let inputs = typed
        .decls
        .iter()
        .filter_map(|d| match d {
            typed::TDecl::Input(n, t) => Some((n.clone(), t.to_ctype())),
            typed::TDecl::Assign(..) => None,
        })
        .collect();
    Ok(Compiled {
        spec,
        examples: typed.examples,
        inputs,
    })
}

/// Runs `f` with enough stack for one more level of a recursive pass:
/// the parser, checker and lowering recurse once per level of nesting
/// (capped by [`parser::MAX_DEPTH`]), and a debug build's frames are large,
/// so a deep program gets a fresh stack segment instead of an overflow.
pub(crate) fn with_stack<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(256 * 1024, 4 * 1024 * 1024, f)
}

/// FNV-1a of the source: the builder's seed, so equal sources give equal
/// UUIDs.
fn seed(source: &str) -> u64 {
    source.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
