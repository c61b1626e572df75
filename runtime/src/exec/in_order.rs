//! The walk in order: every run starts by running nodes in the table's
//! topological order, with no pending counts (rule S0' of
//! [`crate::state`]). A plan without async modules runs entirely so; with
//! async modules, the walk stops after the first future left pending and
//! [`switch_to_dataflow`] hands the rest to the dataflow loop.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::task::Context;

use crate::exec::ctx::{ExecCtx, RunCounts};
use crate::exec::guard::{charge_panic, Running};
use crate::exec::latency::latency_clock;
use crate::exec::latency_chain::{GeneralChain, LatencyChain, TscChain, Unclocked};
use crate::exec::node::run_node;
use crate::exec::run_options::Abort;
use crate::exec::watch::Watch;
use crate::state::status::Phase;
use crate::state::sync::store_mut;
use crate::state::ExecutionState;

/// The in-order pass of a plan without async modules, with the latency
/// chain that fits the run and the clock: the TSC chain when the run
/// records latencies and the TSC is read inline (its first body starts at
/// `started`), none when the run records no latencies and no module has a
/// timeout, else the general one. Returns how the pass ended and the
/// clock's last reading.
#[inline(always)]
pub(crate) fn sync_pass<const WATCHED: bool>(
    ctx: &ExecCtx<'_>,
    state: &mut ExecutionState,
    counts: &mut RunCounts,
    watch: Option<&mut Watch<'_>>,
    started: u64,
) -> (PassEnd, u64) {
    let generation = state.generation();
    let clock = latency_clock();
    if ctx.record_latency && clock.is_direct() {
        let mut chain = TscChain::begin(clock, Some(started));
        let end = run_in_order::<false, WATCHED, _>(
            ctx, state, generation, counts, None, watch, &mut chain,
        );
        (end, chain.now())
    } else if !ctx.record_latency && !ctx.table.has_timeouts() {
        let mut chain = Unclocked::begin(clock, None);
        let end = run_in_order::<false, WATCHED, _>(
            ctx, state, generation, counts, None, watch, &mut chain,
        );
        (end, chain.now())
    } else {
        let mut chain = GeneralChain::begin(clock, Some(started));
        let end = run_in_order::<false, WATCHED, _>(
            ctx, state, generation, counts, None, watch, &mut chain,
        );
        (end, chain.now())
    }
}

/// Runs nodes in the table's topological order: a node's inputs are all
/// written, or it was skipped, by the time the order reaches it, so there
/// are no pending counts and no ready stack. A failure skips its
/// dependants as in the dataflow loop, and the order passes over them. The
/// unwind guard works as in `run_ready` (`dataflow.rs`), resuming after the node that
/// panicked.
///
/// For a plan without async modules (`ASYNC = false`) this is the whole
/// run. With async modules (`ASYNC = true`, `cx` given), each future is
/// polled at once; the pass stops after the first one left pending and
/// returns the position to go on from, for [`switch_to_dataflow`]. With a
/// `watch`, the pass stops after any node if the token is cancelled or the
/// deadline has passed; `WATCHED = false` (`run_sync`, no options) compiles
/// the checks out.
pub(crate) fn run_in_order<const ASYNC: bool, const WATCHED: bool, C: LatencyChain>(
    ctx: &ExecCtx<'_>,
    state: &mut ExecutionState,
    generation: u32,
    counts: &mut RunCounts,
    mut cx: Option<&mut Context<'_>>,
    mut watch: Option<&mut Watch<'_>>,
    chain: &mut C,
) -> PassEnd {
    let order = ctx.table.order();
    let mut start = 0;
    let mut running = Running::IDLE;
    loop {
        let pass = catch_unwind(AssertUnwindSafe(|| {
            let ExecutionState {
                shared, scratch, ..
            } = &mut *state;
            let tsc = latency_clock();
            for (i, &n) in order[start..].iter().enumerate() {
                run_node::<false, _>(
                    ctx,
                    shared,
                    scratch,
                    generation,
                    n,
                    counts,
                    &mut running,
                    chain,
                    tsc,
                    cx.as_deref_mut(),
                );
                if ASYNC && !scratch.in_flight.is_empty() {
                    return PassEnd::Pending(start + i + 1);
                }
                // After the last node the run is done, not aborted.
                if !WATCHED {
                    continue;
                }
                if let (Some(w), true) = (watch.as_deref_mut(), start + i + 1 < order.len()) {
                    if let Some(abort) = w.check(chain.now()) {
                        return PassEnd::Aborted(abort);
                    }
                }
            }
            PassEnd::Finished
        }));
        match pass {
            Ok(end) => return end,
            Err(panic) => {
                let node = charge_panic(ctx, state, generation, counts, &mut running, panic);
                // The chain's last reading is the panicked body's start.
                *chain = C::begin(latency_clock(), None);
                // Resume after the node that panicked. Finding it costs a
                // scan of the rest of the order, paid only on a panic,
                // rather than a position kept up to date for every node.
                // (Not found cannot happen; resuming at `start` would then
                // be harmless, as nodes that started refuse to start again.)
                start = order[start..]
                    .iter()
                    .position(|&m| m == node)
                    .map_or(start, |p| start + p + 1);
                if let (true, Some(w), true) = (WATCHED, watch.as_deref_mut(), start < order.len())
                {
                    if let Some(abort) = w.check(chain.now()) {
                        return PassEnd::Aborted(abort);
                    }
                }
            }
        }
    }
}

/// How an in-order pass ended.
pub(crate) enum PassEnd {
    /// Every node is done.
    Finished,
    /// An async module's future is pending; the pass stopped at this
    /// position, right after it.
    Pending(usize),
    /// The watch saw the token cancelled or the deadline passed.
    Aborted(Abort),
}

/// Turns an in-order pass that stopped at position `next` (right after the
/// async module it left pending) into the dataflow loop: every node from
/// `next` on that still waits gets its pending count from its input slots
/// (one per input not yet written), and those with none are made ready,
/// first in order on top. Nodes before `next` are done or in flight, and
/// in-flight ones are consumed only by nodes from `next` on, whose counts
/// their completion then decrements (rule S5).
#[inline]
pub(crate) fn switch_to_dataflow(ctx: &ExecCtx<'_>, state: &mut ExecutionState, next: usize) {
    let ExecutionState {
        shared, scratch, ..
    } = state;
    for &n in ctx.table.order()[next..].iter().rev() {
        if shared.status[n.ix()].load().phase() != Phase::Waiting {
            continue;
        }
        let op = ctx.table.op(n);
        let missing = ctx
            .table
            .inputs(op)
            .iter()
            .filter(|s| shared.slots[s.ix()].get().is_none())
            .count();
        let missing = u32::try_from(missing).expect("a node has fewer than 2^32 inputs");
        store_mut(&mut shared.pending[n.ix()], missing);
        if missing == 0 {
            scratch.ready.push(n);
        }
    }
}
