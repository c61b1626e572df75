//! The unwind guard's bookkeeping: the [`Running`] marker, two plain
//! words written around every body, and [`charge_panic`], the landing pad
//! that fails the node whose body panicked. One guard covers a whole loop
//! rather than one per node (`in_order.rs`, `dataflow.rs`).

use asterism_compiler::NodeIx;

use crate::exec::ctx::{ExecCtx, RunCounts};
use crate::exec::latency::{latency_clock, latency_ticks};
use crate::exec::propagate::fail;
use crate::program::node_table::NodeBody;
use crate::state::failure::NodeFailure;
use crate::state::sync::store_mut;
use crate::state::ExecutionState;

/// The node whose body (or transform) is executing, and the clock reading
/// it started at: what the unwind guard of `run_ready` (`dataflow.rs`) needs to charge a
/// panic to the right node. Two plain words, written around every body.
#[derive(Clone, Copy)]
pub(crate) struct Running {
    /// The node's index, or `IDLE_NODE` between bodies.
    node: u32,
    /// The clock reading at its start; 0 for none.
    started: u64,
}

const IDLE_NODE: u32 = u32::MAX;

impl Running {
    pub(crate) const IDLE: Running = Running {
        node: IDLE_NODE,
        started: 0,
    };

    #[inline(always)]
    pub(crate) fn enter(&mut self, n: NodeIx, started: Option<u64>) {
        self.node = n.0;
        self.started = started.unwrap_or(0);
    }

    #[inline(always)]
    pub(crate) fn leave(&mut self) {
        self.node = IDLE_NODE;
    }

    /// The node that was running, if any, and its start; idle afterwards.
    pub(crate) fn take(&mut self) -> Option<(NodeIx, Option<u64>)> {
        let was = std::mem::replace(self, Running::IDLE);
        (was.node != IDLE_NODE)
            .then(|| (NodeIx(was.node), (was.started != 0).then_some(was.started)))
    }
}

/// The landing pad of the unwind guards: fails the node whose body
/// panicked (recording its latency so far) and returns it. A panic with
/// no body running is the executor's own bug and is not swallowed.
#[cold]
pub(crate) fn charge_panic(
    ctx: &ExecCtx<'_>,
    state: &mut ExecutionState,
    generation: u32,
    counts: &mut RunCounts,
    running: &mut Running,
    panic: Box<dyn std::any::Any + Send>,
) -> NodeIx {
    let Some((node, started)) = running.take() else {
        std::panic::resume_unwind(panic);
    };
    let op = ctx.table.op(node);
    if let (true, Some(s), NodeBody::Typed(_) | NodeBody::Raw(_)) =
        (ctx.record_latency, started, &op.body)
    {
        let ticks = latency_clock().now().saturating_sub(s);
        store_mut(
            &mut state.shared.latency_ns[op.module.ix()],
            latency_ticks(ticks),
        );
    }
    let failure = NodeFailure::panic(panic);
    fail(
        ctx.plan,
        &state.shared,
        &mut state.scratch,
        generation,
        node,
        failure,
        counts,
    );
    node
}
