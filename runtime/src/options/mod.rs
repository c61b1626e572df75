//! Module call options, applied: retry, timeout, delay, backoff, fallback,
//! cache, throttle, concurrency, onError, lazy and priority (the original's
//! RFC-001 to RFC-011).
//!
//! The options arrive as data ([`ModuleCallOptions`](asterism_compiler::ModuleCallOptions)
//! on a module node). At bind time [`policy::resolve`] checks them and
//! builds a typed [`CallPolicy`]; a node whose policy is not plain gets a
//! [`PolicyNode`]: the policy plus the state every execution of the program
//! shares (its [`Throttle`], [`PermitGate`], cache and [`OptionCounters`]).
//! [`PolicyNode::run`] then applies the options to one call in the order
//! documented in [`runner`].
//!
//! One idea per file:
//! - [`policy`]: resolution and its errors and warnings;
//! - [`bind`]: the per-program table (plan and config options, backends);
//! - [`schedule`]: the wait before each retry (the RFC's tables);
//! - [`wait`]: waits that end on the run's deadline or cancellation;
//! - [`throttle`]: the rate limiter (governor, FIFO);
//! - [`permits`]: the concurrency gate (priority, then FIFO);
//! - [`cache`]: keys, backends (moka in memory), single flight;
//! - `redis` (cargo feature `redis`): the Redis backend;
//! - [`counters`]: per-module counters;
//! - [`values`]: what `onError: skip` and `wrap` give consumers;
//! - [`runner`]: the order, async and blocking.
//!
//! A node without options never reaches this module: its node record's
//! body is not `NodeBody::Optioned`, and only that match arm of the
//! executor (`exec/optioned.rs`) calls in here.
//!
//! Not applied yet: `lazyEval` (a lazy module runs like any other; it
//! wants a per-run "needed" mask), `priority` among modules ready at the
//! same moment of one execution (it orders permit waiters only), fallbacks
//! the pipeline computes (a fallback must be an input), and options in the
//! reference executor (it calls modules plainly).

pub(crate) mod apply;
pub mod bind;
pub mod cache;
pub mod counters;
pub mod permits;
pub mod policy;
#[cfg(feature = "redis")]
pub mod redis;
pub mod runner;
pub mod schedule;
#[cfg(test)]
mod tests;
pub mod throttle;
pub mod values;
pub mod wait;

pub use bind::{CacheBackends, ModuleOptionCounts, ProgramOptions};
pub use cache::{CacheBackend, CacheError, CacheKey, CachedOutput, MemoryCache};
pub use counters::{OptionCounters, OptionCounts};
pub use permits::PermitGate;
pub use policy::{
    resolve, Backoff, CacheSpec, CallPolicy, ModuleRef, OnError, OptionError, OptionErrors,
    OptionProblem, OptionWarning, Rate, ResolveContext,
};
pub use runner::{CallFailure, CallOutcome, PolicyNode, Settled};
pub use throttle::Throttle;
pub use wait::{Bounds, Interrupted};
