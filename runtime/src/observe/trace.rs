//! The `tracing` integration (cargo feature `tracing`): a span per
//! execution at INFO, an event per module at DEBUG, both with the target
//! `asterism`.
//!
//! The span `execution` carries `pipeline` and `execution` (its number)
//! from the start, and `outcome` (`succeeded`, `failed`, `cancelled`,
//! `deadline_exceeded`, `rejected`), `total_latency_ns` and `sampled` from
//! the end. It is entered while the execution runs, so whatever modules
//! log is inside it. Each module's event `module finished` carries
//! `pipeline`, `execution`, `module` (the node's name), `node` (its UUID),
//! `status` (`completed`, `failed`, `timed_out`, `skipped`, `cancelled`,
//! `waiting`), `latency_ns` when the execution was sampled, `error` (the
//! failure's message) and `upstream` (the failed node's UUID, for a
//! skipped module). Fields are values, not formatted strings.
//!
//! With no subscriber interested, each macro costs what tracing's cached
//! callsite interest costs (a load and a branch), the module events are
//! not even walked, and nothing allocates.

use std::time::Duration;

use tracing::field::Empty;
use tracing::{Level, Span};

use crate::observe::observer::{ModuleFinished, Outcome};
use crate::state::status::Phase;

/// The span of one execution (disabled, at the cost of the interest check,
/// when no subscriber wants INFO from `asterism`).
#[inline]
pub(crate) fn execution_span(pipeline: &str, execution: u64) -> Span {
    tracing::info_span!(
        target: "asterism",
        "execution",
        pipeline,
        execution,
        outcome = Empty,
        total_latency_ns = Empty,
        sampled = Empty,
    )
}

/// Records the end on the span; returns whether module events are wanted
/// (a subscriber is interested in DEBUG from `asterism`).
#[inline]
pub(crate) fn execution_ended(
    span: &Span,
    outcome: Outcome,
    total: Duration,
    sampled: bool,
) -> bool {
    if !span.is_disabled() {
        span.record("outcome", outcome.as_str());
        span.record("total_latency_ns", nanos(total));
        span.record("sampled", sampled);
    }
    tracing::enabled!(target: "asterism", Level::DEBUG)
}

/// One module's event, inside the execution's span.
pub(crate) fn module_ended(span: &Span, m: &ModuleFinished<'_>) {
    let status = phase_label(m.phase);
    let latency_ns = m.latency.map(nanos);
    let error = m.failure.map(|f| f.message.as_str());
    let upstream = m.skipped_because.map(tracing::field::display);
    tracing::debug!(
        target: "asterism",
        parent: span,
        pipeline = m.pipeline,
        execution = m.execution,
        module = m.name,
        node = %m.uuid,
        status,
        latency_ns,
        error,
        upstream,
        "module finished"
    );
}

/// A phase's label in traces.
pub(crate) fn phase_label(phase: Phase) -> &'static str {
    match phase {
        Phase::Waiting => "waiting",
        Phase::Running => "running",
        Phase::Completed => "completed",
        Phase::Failed => "failed",
        Phase::TimedOut => "timed_out",
        Phase::Skipped => "skipped",
        Phase::Cancelled => "cancelled",
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}
