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
//! # Map
//!
//! A plan is compiled by `asterism-compiler`; here it is bound to modules
//! ([`program`]), run over a pooled per-execution state ([`state`]) by the
//! executor ([`exec`]), and read back as a [`result`]. A folder is a
//! concept and a file one idea; no two files import each other, directly
//! or around a circle (`tests/layout.rs` checks it). Folders are not
//! strict layers: modules read and write the state's slots, and the
//! executor reads the program's node table.
//!
//! | where | what it owns |
//! |---|---|
//! | [`program`] | [`Program`]: binding, the node table, the state pool and its shards, metrics |
//! | [`reference`](mod@reference) | the original's design (immutable maps): the baseline and the oracle |
//! | [`result`] | [`ExecutionResult`] read in place, statuses, snapshots |
//! | [`exec`] | the executor, one job per file: the walk in order, the dataflow loop, node dispatch, future cells, completion and failure propagation, the unwind guard, latencies, run options, the deadline/cancel watch |
//! | [`state`] | [`ExecutionState`] and its protocol (rules S0-S10), status cells, slots, the in-flight list, the loom shim |
//! | [`modules`] | [`Module`], what a body sees, typed adapters, inputs of one type, [`Registry`], the stdlib |
//! | [`config`], [`error`] | configuration; load, bind, input and run errors |
//! | [`options`] | module call options applied: retry, timeout, backoff, cache (memory, Redis), throttle, concurrency, fallback, onError (resolved at bind into the node table) |
//! | [`observe`] | observability: the [`Observer`] hook, and the `tracing` and `metrics` integrations (cargo features) |
//!
//! The old flat paths (`executor`, `module`, `typed`, `registry`,
//! `stdlib`, `status`, `pool`, `metrics`) still resolve to the same
//! items.
#![warn(missing_docs)]

pub mod config;
pub mod error;
pub mod exec;
#[cfg(all(test, asterism_loom))]
mod loom_models;
pub mod modules;
pub mod observe;
pub mod options;
pub mod program;
pub mod reference;
pub mod result;
pub mod state;

pub use exec as executor;
pub use modules::{branch, module, registry, stdlib, typed};
pub use program::{metrics, pool};
pub use state::status;

pub use config::{
    Config, ConfigError, Limit, RuntimeConfig, DEFAULT_MAX_PENDING_MS, MAX_INITIAL_CAPACITY,
    MAX_POOL_SIZE,
};
pub use error::{BindError, BindErrors, InputError, RunError};
pub use exec::RunOptions;
pub use modules::each::Each;
pub use modules::module::{
    BoxFuture, Module, ModuleError, ModuleInputs, ModuleOutput, ModuleOutputs,
};
pub use modules::registry::Registry;
pub use observe::{ExecutionFinished, ExecutionStarted, ModuleFinished, Observer, Outcome};
pub use program::metrics::MetricsSnapshot;
pub use program::pool::{PoolStats, StatePool};
pub use program::{LoadError, Program};
pub use result::{
    Abort, ExecutionResult, FailureKind, ModuleStatus, NodeFailure, NodeStatus, Snapshot,
};
pub use state::status::Phase;
pub use state::ExecutionState;
pub use tokio_util::sync::CancellationToken;
