//! A module with call options, started: the one place the executor meets
//! `options/`. Only nodes whose body is `NodeBody::Optioned` come here
//! (from [`run_other`](crate::exec::node::run_other)'s match), so a plan
//! without options never runs a line of it.
//!
//! - Under `run` (a task context): the policy's future (`OptionedBody::
//!   call_async`) is polled once at once; ready (a cache hit, a first
//!   attempt that succeeded) it settles here, pending it joins the
//!   in-flight list like any async module, and the run's watch ends it at
//!   the deadline or on cancellation (dropping it: a permit it holds is
//!   released, its flight handed on).
//! - Under `run_sync` / `run_sync_with` (no task context): the policy's
//!   blocking form runs on the calling thread; its waits park the thread
//!   and end at the deadline or on cancellation (`run_sync_with`).
//!
//! The call's outcome (attempts, from cache, from fallback, last error) is
//! kept per module in the state (`Scratch::call_outcomes`) for the result.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::task::{Context, Poll};

use asterism_compiler::{CValue, ModuleIx, NodeIx, UNBOUND_SLOT};

use crate::exec::ctx::{ExecCtx, RunCounts};
use crate::exec::guard::Running;
use crate::exec::propagate::{complete_mut, fail};
use crate::exec::run_options::Abort;
use crate::modules::module::{ModuleError, ModuleOutput};
use crate::options::apply::{Finished, OptionedBody};
use crate::options::runner::CallOutcome;
use crate::options::wait::Interrupted;
use crate::program::node_table::NodeOp;
use crate::state::failure::NodeFailure;
use crate::state::in_flight::{Exclusive, InFlight, ModuleFutureOf};
use crate::state::{Scratch, Shared};

/// Starts module node `n`, which has options.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_optioned<const DATAFLOW: bool>(
    ctx: &ExecCtx<'_>,
    shared: &mut Shared,
    scratch: &mut Scratch,
    generation: u32,
    n: NodeIx,
    op: &NodeOp,
    body: &Arc<OptionedBody>,
    counts: &mut RunCounts,
    running: &mut Running,
    cx: Option<&mut Context<'_>>,
) {
    counts.modules_run += 1;
    let slot = |s: asterism_compiler::SlotIx| {
        shared.slots[s.ix()]
            .get()
            .expect("rule S5: every input is written before a node is ready")
    };
    let values: Vec<&CValue> = ctx.table.inputs(op).iter().map(|&s| slot(s)).collect();
    let fallback = body.fallback.and_then(|s| shared.slots[s.ix()].get());
    let (finished, outcome) = match cx {
        Some(cx) => {
            let owned: Vec<CValue> = values.into_iter().cloned().collect();
            running.enter(n, None);
            let mut future = body.call_async(owned, fallback.cloned(), None, None);
            running.leave();
            match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
                Ok(Poll::Pending) => {
                    // No deadline of its own: its attempts have their
                    // timeouts, and the run's deadline ends the whole call.
                    scratch.in_flight.push(InFlight {
                        node: n,
                        started: ctx
                            .record_latency
                            .then(|| crate::exec::latency::latency_clock().now()),
                        deadline: None,
                        limit: std::time::Duration::ZERO,
                        parked_in: scratch.driver_polls,
                        future: Exclusive::new(ModuleFutureOf::Optioned(future)),
                    });
                    return;
                }
                Ok(Poll::Ready(done)) => done,
                Err(panic) => {
                    let failure = NodeFailure::panic(panic);
                    return fail(ctx.plan, shared, scratch, generation, n, failure, counts);
                }
            }
        }
        None => {
            let (deadline, cancel) = ctx
                .run_options
                .map_or((None, None), |o| (o.deadline, o.cancel.as_ref()));
            running.enter(n, None);
            let done = body.call_blocking(&values, fallback, deadline, cancel);
            running.leave();
            done
        }
    };
    record_outcome(
        &mut scratch.call_outcomes,
        op.module,
        outcome,
        ctx.plan.module_count(),
    );
    if let Finished::Aborted(why) = finished {
        // Interrupted (a blocking wait under `run_sync_with`): nothing
        // more starts; every node not done is cancelled, and the run
        // reports the abort (`run_sync_with`).
        for cell in shared.status.iter() {
            let _ = cell.cancel(generation);
        }
        scratch.options_interrupted = Some(match why {
            Interrupted::Deadline => Abort::DeadlineExceeded,
            Interrupted::Cancelled => Abort::Cancelled,
        });
        return;
    }
    match settle(ctx, shared, n, finished) {
        Some(Ok(())) => {
            complete_mut::<DATAFLOW>(ctx.table, shared, &mut scratch.ready, generation, n, op)
        }
        Some(Err(failure)) => fail(ctx.plan, shared, scratch, generation, n, failure, counts),
        None => {}
    }
}

/// Keeps a call's outcome for the result (the table is made on the first
/// call of a state with options: plans without options never have one).
pub(crate) fn record_outcome(
    outcomes: &mut Vec<Option<CallOutcome>>,
    m: ModuleIx,
    outcome: CallOutcome,
    modules: usize,
) {
    if outcomes.is_empty() {
        outcomes.resize_with(modules, || None);
    }
    outcomes[m.ix()] = Some(outcome);
}

/// Writes a settled call's outputs; `None` if the run was interrupted.
pub(crate) fn settle(
    ctx: &ExecCtx<'_>,
    shared: &Shared,
    n: NodeIx,
    finished: Finished,
) -> Option<Result<(), NodeFailure>> {
    Some(match finished {
        Finished::Outputs(out) => write(ctx, shared, n, out),
        Finished::Failed(failure) => Err(failure),
        Finished::Aborted(_) => return None,
    })
}

/// Writes each bound output, checking its type against its data node's
/// (with `onError: wrap`, the wrapped type).
fn write(
    ctx: &ExecCtx<'_>,
    shared: &Shared,
    n: NodeIx,
    out: ModuleOutput,
) -> Result<(), NodeFailure> {
    let values = match out {
        ModuleOutput::One(v) => vec![v],
        ModuleOutput::Many(vs) => vs,
    };
    let slots = ctx.plan.node_outputs(n);
    if values.len() != slots.len() {
        return Err(NodeFailure::error(ModuleError::new(format!(
            "the module gave {} outputs; it has {}",
            values.len(),
            slots.len()
        ))));
    }
    for (&s, v) in slots.iter().zip(values) {
        if s == UNBOUND_SLOT {
            continue;
        }
        let want = ctx.plan.slot_type(s);
        if !v.has_type(want) {
            return Err(NodeFailure::error(ModuleError::new(format!(
                "output `{}`: expected {want}, found {}",
                ctx.plan.slot_name(s),
                v.ctype()
            ))));
        }
        // Rule S2 made this node the slot's one writer.
        let written = shared.slots[s.ix()].set(v);
        debug_assert!(written.is_ok(), "a slot has one producer");
    }
    Ok(())
}
