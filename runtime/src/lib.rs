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

mod clock;
pub mod config;
pub mod error;
pub mod executor;
mod hot_slot;
mod latency_chain;
#[cfg(all(test, asterism_loom))]
mod loom_models;
pub mod metrics;
pub mod module;
mod node_table;
pub mod options;
pub mod pool;
pub mod program;
pub mod reference;
pub mod registry;
pub mod result;
mod shard;
mod slot;
pub mod state;
pub mod status;
pub mod stdlib;
mod sync;
pub mod typed;
mod watch;

pub use config::{Config, ConfigError, RuntimeConfig};
pub use error::{BindError, BindErrors, InputError, RunError};
pub use executor::RunOptions;
pub use metrics::MetricsSnapshot;
pub use module::{BoxFuture, Module, ModuleError, ModuleInputs, ModuleOutput, ModuleOutputs};
pub use pool::{PoolStats, StatePool};
pub use program::{LoadError, Program};
pub use registry::Registry;
pub use result::{
    Abort, ExecutionResult, FailureKind, ModuleStatus, NodeFailure, NodeStatus, Snapshot,
};
pub use state::ExecutionState;
pub use status::Phase;
pub use tokio_util::sync::CancellationToken;
