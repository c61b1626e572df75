//! The end of a node's run, shared by every loop: completion (rule S3)
//! and the release of its consumers (S5), failure and the skipping of
//! every dependant (S6, S8), and the clean-up of a failed module's
//! partial outputs at the end of a run.

use asterism_compiler::{NodeIx, Plan, UNBOUND_SLOT};

use crate::exec::ctx::RunCounts;
use crate::program::node_table::{NodeOp, NodeTable};
use crate::state::failure::{FailureKind, NodeFailure};
use crate::state::status::{Phase, Transition};
use crate::state::sync::{load_mut, store_mut, AtomicU32, Ordering};
use crate::state::{ExecutionState, Scratch, Shared};

/// `Running -> Completed` through `&mut` (rule S3, exclusive form); with
/// `DATAFLOW`, then the fan-out's pending counts ([`release_fanout`]).
#[inline(always)]
pub(crate) fn complete_mut<const DATAFLOW: bool>(
    table: &NodeTable,
    shared: &mut Shared,
    ready: &mut Vec<NodeIx>,
    generation: u32,
    n: NodeIx,
    op: &NodeOp,
) {
    if shared.status[n.ix()].complete_mut(generation) && DATAFLOW {
        release_fanout(table.fanout(op), &mut shared.pending, ready);
    }
}

/// Rule S5, exclusive form: one plain decrement per fan-out entry; the
/// decrement that reaches zero makes the consumer ready, once.
#[inline(always)]
pub(crate) fn release_fanout(
    fanout: &[NodeIx],
    pending: &mut [AtomicU32],
    ready: &mut Vec<NodeIx>,
) {
    for &c in fanout {
        let count = &mut pending[c.ix()];
        let left = load_mut(count).wrapping_sub(1);
        store_mut(count, left);
        if left == 0 {
            ready.push(c);
        }
    }
}

/// Rule S5, shared form: one atomic decrement per consumer of `slot`; the
/// decrement that reaches zero makes the consumer ready, once. The cold
/// paths' counterpart of [`release_fanout`].
#[inline]
pub(crate) fn publish_slot(
    plan: &Plan,
    shared: &Shared,
    scratch: &mut Scratch,
    slot: asterism_compiler::SlotIx,
) {
    for &c in plan.slot_consumers(slot) {
        // Rule S5: the decrement that reaches zero makes `c` ready, once.
        if shared.pending[c.ix()].fetch_sub(1, Ordering::AcqRel) == 1 {
            scratch.ready.push(c);
        }
    }
}

/// Ends node `n`'s run: publishes its outputs or records its failure and
/// skips its dependants (rules S3, S6, S8).
#[inline]
pub(crate) fn finish(
    plan: &Plan,
    shared: &Shared,
    scratch: &mut Scratch,
    generation: u32,
    n: NodeIx,
    outcome: Result<(), NodeFailure>,
    counts: &mut RunCounts,
) {
    match outcome {
        Ok(()) => complete(plan, shared, scratch, generation, n),
        Err(failure) => fail(plan, shared, scratch, generation, n, failure, counts),
    }
}

/// `Running -> Completed`, then publishes the outputs (rules S3, S5).
#[inline(always)]
pub(crate) fn complete(
    plan: &Plan,
    shared: &Shared,
    scratch: &mut Scratch,
    generation: u32,
    n: NodeIx,
) {
    if shared.status[n.ix()].finish(generation, Phase::Completed) != Transition::Done {
        return;
    }
    for &s in plan.node_outputs(n) {
        if s != UNBOUND_SLOT {
            publish_slot(plan, shared, scratch, s);
        }
    }
}

#[cold]
pub(crate) fn fail(
    plan: &Plan,
    shared: &Shared,
    scratch: &mut Scratch,
    generation: u32,
    n: NodeIx,
    failure: NodeFailure,
    counts: &mut RunCounts,
) {
    let phase = if failure.kind == FailureKind::Timeout {
        counts.timed_out += 1;
        Phase::TimedOut
    } else {
        counts.failed += 1;
        Phase::Failed
    };
    if shared.status[n.ix()].finish(generation, phase) != Transition::Done {
        return;
    }
    // Rule S8: the winner of the transition is the only writer.
    *shared.failures[n.ix()].borrow_mut() = Some(failure);
    scratch.dirty_failures = true;
    scratch.stack.push(n);
    while let Some(x) = scratch.stack.pop() {
        for &s in plan.node_outputs(x) {
            if s == UNBOUND_SLOT {
                continue;
            }
            for &c in plan.slot_consumers(s) {
                if shared.status[c.ix()].skip(generation, n).is_done() {
                    counts.skipped += 1;
                    scratch.stack.push(c);
                }
            }
        }
    }
}

/// Empties the output slots of modules that failed or timed out. A sync
/// module writes straight into its slots, and an async module's outputs are
/// written one by one, so a module that fails after writing some outputs
/// (an error or panic after a write, too few outputs, a mistyped or extra
/// one, a sync module past its timeout) leaves them behind. No consumer read
/// them (consumers of a failed node are skipped); the result must not show
/// them either: a failed node has no outputs, as in the reference executor.
/// Runs only after a failure, once per run, with the state exclusive again.
///
/// The test of whether any node failed is inlined into every caller (in
/// other files since the executor's split, where the whole function was no
/// longer inlined: a call per run); the clean-up itself is out of line.
#[inline(always)]
pub(crate) fn clear_failed_outputs(plan: &Plan, state: &mut ExecutionState) {
    if state.scratch.dirty_failures {
        clear_failed_outputs_now(plan, state);
    }
}

#[inline(never)]
fn clear_failed_outputs_now(plan: &Plan, state: &mut ExecutionState) {
    let shared = &mut state.shared;
    for m in 0..plan.module_count() as u32 {
        let n = NodeIx(m); // modules are nodes 0..module_count
        if matches!(
            shared.status[n.ix()].load().phase(),
            Phase::Failed | Phase::TimedOut
        ) {
            for &s in plan.node_outputs(n) {
                if s != UNBOUND_SLOT {
                    drop(shared.slots[s.ix()].take());
                }
            }
        }
    }
}
