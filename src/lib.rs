//! # asterism
//!
//! A runtime for typed DAG pipelines inside latency-sensitive services: a
//! pipeline is compiled once into dense indices and executed millions of
//! times from pooled, reset-in-place slot state, with no hashing and (for
//! sync modules and scalar values) no heap allocation per execution.
//!
//! This facade re-exports the crates that do the work:
//! [`compiler`] (values, the DagSpec wire format, validation, the Plan),
//! [`runtime`] (modules, state, executor, results, config, metrics) and
//! [`lang`] (the pipeline language, `.cst` text to a DagSpec:
//! `asterism::lang::compile(source, &registry.signatures())`). It adds
//! [`viz`]: pictures of a pipeline (Graphviz DOT, Mermaid), plain or
//! coloured by one execution's statuses.
//!
//! ```
//! use asterism::{CType, CValue, DagBuilder, Program, Registry, RuntimeConfig};
//!
//! let mut b = DagBuilder::new("area");
//! let w = b.input("w", CType::Int);
//! let h = b.input("h", CType::Int);
//! let mul = b.module("stdlib.multiply");
//! b.bind(w, mul, "a");
//! b.bind(h, mul, "b");
//! let area = b.produce(mul, "out", "area", CType::Int);
//! b.output("area", area);
//!
//! let program = Program::load(&b.build(), &Registry::with_stdlib(), &RuntimeConfig::default())?;
//! let (w, h) = (program.input("w").unwrap(), program.input("h").unwrap());
//! let area = program.output("area").unwrap();
//! let result = program.run_sync([(w, CValue::Int(6)), (h, CValue::Int(7))])?;
//! assert_eq!(result.output(area), Some(&CValue::Int(42)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

pub use asterism_compiler as compiler;
pub use asterism_lang as lang;
pub use asterism_runtime as runtime;

pub mod demo;
#[doc(hidden)]
pub mod fuzz_support;
pub mod viz;

pub use asterism_compiler::{
    compile, CType, CValue, CompileError, CompileErrors, DagBuilder, DagSpec, InlineTransform,
    InputIx, ModuleIx, ModuleSignature, NodeIx, OutputIx, Plan, Signatures, SlotIx,
};
pub use asterism_runtime::{
    Abort, BoxFuture, CancellationToken, Config, Each, ExecutionResult, InputError, LoadError,
    MetricsSnapshot, Module, ModuleError, ModuleInputs, ModuleOutput, ModuleOutputs, NodeStatus,
    Phase, Program, Registry, RunError, RunOptions, RuntimeConfig, Snapshot,
};
pub use asterism_runtime::{
    ExecutionFinished, ExecutionStarted, ModuleFinished, Observer, Outcome,
};
