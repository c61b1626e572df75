//! # asterism-runtime
//!
//! Runs compiled [`Plan`](asterism_compiler::Plan)s: modules, the pooled
//! slot state, the dataflow executor, results, configuration and metrics.
//!
//! ```
//! use asterism_compiler::{CType, CValue, DagBuilder};
//! use asterism_runtime::{Program, Registry, RuntimeConfig};
//!
//! let registry = Registry::with_stdlib();
//! let mut b = DagBuilder::new("sum");
//! let x = b.input("x", CType::Int);
//! let y = b.input("y", CType::Int);
//! let add = b.module("stdlib.add");
//! b.bind(x, add, "a");
//! b.bind(y, add, "b");
//! let sum = b.produce(add, "out", "sum", CType::Int);
//! b.output("sum", sum);
//!
//! let program = Program::load(&b.build(), &registry, &RuntimeConfig::default()).unwrap();
//! let (x, y) = (program.input("x").unwrap(), program.input("y").unwrap());
//! let sum = program.output("sum").unwrap();
//! let result = program.run_sync([(x, CValue::Int(21)), (y, CValue::Int(21))]).unwrap();
//! assert_eq!(result.output(sum), Some(&CValue::Int(42)));
//! ```
//!
//! The pieces, one file each: [`module`] (modules and typed adapters in
//! [`typed`]), [`registry`], [`stdlib`], [`state`] (the state and its
//! protocol), [`status`] (the status cell), [`pool`], [`executor`],
//! [`reference`](mod@reference) (the original's design, the baseline and oracle),
//! [`result`], [`config`], [`metrics`].
#![warn(missing_docs)]

pub mod config;
pub mod error;
pub mod exec;
#[cfg(all(test, asterism_loom))]
mod loom_models;
pub mod modules;
pub mod program;
pub mod reference;
pub mod result;
pub mod state;

pub use exec as executor;
pub use modules::{module, registry, stdlib, typed};
pub use program::{metrics, pool};
pub use state::status;

pub use config::{Config, ConfigError, RuntimeConfig};
pub use error::{BindError, BindErrors, InputError, RunError};
pub use exec::RunOptions;
pub use modules::each::Each;
pub use modules::module::{
    BoxFuture, Module, ModuleError, ModuleInputs, ModuleOutput, ModuleOutputs,
};
pub use modules::registry::Registry;
pub use program::metrics::MetricsSnapshot;
pub use program::pool::{PoolStats, StatePool};
pub use program::{LoadError, Program};
pub use result::{
    Abort, ExecutionResult, FailureKind, ModuleStatus, NodeFailure, NodeStatus, Snapshot,
};
pub use state::status::Phase;
pub use state::ExecutionState;
pub use tokio_util::sync::CancellationToken;
