//! Observability: an observer hook, and `tracing` and `metrics`
//! integrations behind cargo features, all called at an execution's start
//! and end.
//!
//! - [`Observer`] (always available): a trait a service implements, set
//!   when a program is bound ([`Program::bind_with`](crate::Program::bind_with)).
//!   It hears each execution start, each module's end (status, latency
//!   when sampled, failure), and each execution's end (outcome, total
//!   latency).
//! - `tracing` (feature `tracing`, off by default): a span per execution
//!   at INFO and an event per module at DEBUG (`trace.rs` lists the
//!   fields).
//! - `metrics` (feature `metrics`, off by default): counters, histograms
//!   and gauges through the `metrics` facade (`recorder.rs` lists them).
//!
//! **Zero cost when off.** A program with no observer, built without the
//! features, takes exactly the path it took before this module existed:
//! runs check one flag per execution that they already checked (the slot
//! executor or the reference executor?), and the executor's per-node loop
//! is the same code. `benches/callgrind.sh` gives identical counts. With
//! the features on and nothing listening, an execution pays a numbering
//! (one uncontended atomic add), tracing's cached interest checks, calls
//! on no-op metric handles, and allocates nothing (`tests/alloc.rs`).
//!
//! **What a module's latency is when unsampled.** Per-module latencies are
//! sampled (one execution in 64 per thread by default, the first on each
//! thread always): in the others, [`ModuleFinished::latency`] is `None`,
//! the module histogram gets nothing, and the trace event has no
//! `latency_ns`. The execution's total latency is always measured.

mod hooks;
mod observer;
#[cfg(feature = "metrics")]
mod recorder;
#[cfg(feature = "tracing")]
mod trace;

pub(crate) use hooks::{Hooks, Watched};
pub use observer::{ExecutionFinished, ExecutionStarted, ModuleFinished, Observer, Outcome};
