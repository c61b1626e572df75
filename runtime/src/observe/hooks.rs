//! A program's hooks: its observer and, with the features, its `tracing`
//! span and `metrics` handles, called at an execution's start and end.
//!
//! A program has hooks only when something watches it (an observer, or a
//! feature compiled in); then its executions take the observed path
//! (`Program`'s `run_observed` and `run_sync_observed`), which wraps the
//! plain run between [`Hooks::start`] and [`Hooks::finish`]. A program
//! without hooks never reaches this file.

use std::sync::Arc;
use std::time::Duration;

use asterism_compiler::{ModuleIx, Plan};

use crate::observe::observer::{
    ExecutionFinished, ExecutionStarted, ModuleFinished, Observer, Outcome,
};
use crate::program::pool::StatePool;
use crate::program::shard::{self, Padded, SHARDS};
use crate::result::ExecutionResult;
use crate::state::status::Phase;
use crate::state::sync::{AtomicU64, Ordering};

/// What watches a program's executions.
pub(crate) struct Hooks {
    observer: Option<Arc<dyn Observer>>,
    /// Per shard, the executions numbered so far (see [`Hooks::start`]).
    numbers: Box<[Padded<AtomicU64>]>,
    #[cfg(feature = "metrics")]
    metrics: crate::observe::recorder::Handles,
}

/// One execution being watched: what [`Hooks::start`] hands to
/// [`Hooks::finish`].
pub(crate) struct Watched {
    execution: u64,
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

impl Watched {
    /// The execution's span (entered while the execution runs).
    #[cfg(feature = "tracing")]
    pub(crate) fn span(&self) -> &tracing::Span {
        &self.span
    }
}

impl Hooks {
    /// The hooks of a program of `plan`, or `None` when nothing watches
    /// it (no observer and neither feature): its executions then take the
    /// plain path.
    pub(crate) fn new(plan: &Plan, observer: Option<Arc<dyn Observer>>) -> Option<Box<Hooks>> {
        if observer.is_none() && !cfg!(any(feature = "tracing", feature = "metrics")) {
            return None;
        }
        #[cfg(not(feature = "metrics"))]
        let _ = plan;
        Some(Box::new(Hooks {
            observer,
            numbers: shard::padded(),
            #[cfg(feature = "metrics")]
            metrics: crate::observe::recorder::Handles::register(plan),
        }))
    }

    /// An execution of `plan` starts: numbers it, opens its span and tells
    /// the observer.
    ///
    /// Numbers are `count * SHARDS + shard`, counted in the calling
    /// thread's shard: unique within the program and increasing on each
    /// thread, with no counter shared between threads.
    #[inline]
    pub(crate) fn start(&self, plan: &Plan) -> Watched {
        let s = shard::current();
        let count = self.numbers[s].0.fetch_add(1, Ordering::Relaxed);
        let execution = count.wrapping_mul(SHARDS as u64).wrapping_add(s as u64);
        let watched = Watched {
            execution,
            #[cfg(feature = "tracing")]
            span: crate::observe::trace::execution_span(plan.name(), execution),
        };
        if let Some(o) = &self.observer {
            o.execution_started(&ExecutionStarted {
                pipeline: plan.name(),
                execution,
            });
        }
        watched
    }

    /// The execution ended with `result` (`None`: its inputs were
    /// refused): reports each module, then the execution, to the observer,
    /// the trace and the metrics.
    pub(crate) fn finish(
        &self,
        watched: Watched,
        plan: &Plan,
        result: Option<&ExecutionResult<'_>>,
        pool: &StatePool,
    ) {
        let outcome = result.map_or(Outcome::Rejected, Outcome::of);
        let total = result.map_or(Duration::ZERO, ExecutionResult::total_latency);
        let sampled = result.is_some_and(ExecutionResult::recorded_latency);
        #[cfg(feature = "tracing")]
        let trace_modules =
            crate::observe::trace::execution_ended(&watched.span, outcome, total, sampled);
        #[cfg(not(feature = "tracing"))]
        let trace_modules = false;
        if let (true, Some(r)) = (self.observer.is_some() || trace_modules, result) {
            for m in (0..plan.module_count() as u32).map(ModuleIx) {
                with_module(plan, r, watched.execution, m, |event| {
                    if let Some(o) = &self.observer {
                        o.module_finished(event);
                    }
                    #[cfg(feature = "tracing")]
                    if trace_modules {
                        crate::observe::trace::module_ended(&watched.span, event);
                    }
                });
            }
        }
        #[cfg(feature = "metrics")]
        self.metrics
            .execution_ended(plan, outcome, total, sampled, result, pool);
        #[cfg(not(feature = "metrics"))]
        let _ = pool;
        if let Some(o) = &self.observer {
            o.execution_finished(&ExecutionFinished {
                pipeline: plan.name(),
                execution: watched.execution,
                outcome,
                total,
                sampled,
                result,
            });
        }
    }
}

/// Builds module `m`'s end event from the result and hands it to `f` (the
/// event borrows the failure, which lives under the state's cell).
pub(crate) fn with_module(
    plan: &Plan,
    result: &ExecutionResult<'_>,
    execution: u64,
    m: ModuleIx,
    f: impl FnOnce(&ModuleFinished<'_>),
) {
    let node = plan.module_node(m);
    let phase = result.phase(node);
    let failure =
        matches!(phase, Phase::Failed | Phase::TimedOut).then(|| result.failure_ref(node));
    let skipped_because = match phase {
        Phase::Skipped => result.skipped_because(node).map(|n| plan.node_uuid(n)),
        _ => None,
    };
    f(&ModuleFinished {
        pipeline: plan.name(),
        execution,
        module: m,
        node,
        uuid: plan.module_uuid(m),
        name: plan.module_name(m),
        phase,
        latency: result.module_latency(m),
        failure: failure.as_ref().and_then(|f| (**f).as_ref()),
        skipped_because,
    });
}
