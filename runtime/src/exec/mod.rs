//! The dataflow executor: dependency counting over dense indices.
//!
//! One driver runs one execution. In the dataflow loop, a node whose
//! pending count reaches zero is pushed on the ready stack; the driver pops
//! it and runs it at once:
//!
//! - a **transform** or a **sync module** runs inline: no task, no channel,
//!   no wake-up; completing it decrements its consumers and the loop goes on
//!   with the next ready node (the habits of Taskflow and Bevy, see
//!   `DESIGN.md`);
//! - an **async module** is started and its future polled once at once: a
//!   future that is ready then completes like a sync module; one that is
//!   pending joins the in-flight list (its timeout clock starts now), which
//!   the driver polls together, so independent async modules of one
//!   execution wait at the same time.
//!
//! Typed modules (sync and async) write their one output in place: a sync
//! body is lent the slots and writes its output slot, a typed future is
//! polled with its output slot (`FutureCell::poll_into`). A value
//! returned instead, through memory, and copied into the slot would be
//! read back in 16-byte loads that wait on store forwarding (it was built
//! as a tag byte and a payload); on this path that wait cost more than the
//! instructions around it. A typed async node's futures are built in a
//! cell the state keeps for the node (`Scratch::cells`, made on the node's
//! first start and reused by every later run of the state), so a pooled
//! run allocates nothing for them. A cell holds a future only while its node
//! is being started or is in flight; it empties itself when the future is
//! ready, and the executor clears it when the future will not finish (a
//! timeout, a poll that panicked, a cancelled run: `cancel_in_flight`).
//!
//! Every run starts **in order**: nodes run in a topological order fixed at
//! bind time (see `program/node_table.rs`), with no dependency counting at
//! all, since each node's inputs are written (or it was skipped) by the time
//! the order reaches it. A plan without async modules runs entirely so. A
//! plan with async modules stays in order while every future is ready when
//! first polled; at the first one left pending, the rest of the run switches
//! to the dataflow loop below (pending counts computed from which input
//! slots are written, then the ready stack).
//!
//! The driver holds the execution's state by `&mut` for the whole run
//! (rule S0 of [`crate::state`]), so its hot path uses the exclusive forms
//! of the status, pending and slot operations: plain loads and stores, no
//! atomic read-modify-write. The shared forms remain for the cold paths
//! (failure propagation, async completion, cancellation) and are what the
//! loom models check.
//!
//! With only sync nodes (or async ones ready at once) the whole execution
//! is one in-order pass, finished within the first poll. A failure (error, panic,
//! timeout) marks the node and skips every node downstream of it at once
//! (rule S6 of [`crate::state`]); independent branches go on. The run ends
//! when nothing is ready and nothing is in flight.
//!
//! One timer serves the whole execution: it is armed for the nearest
//! deadline (a module's timeout or the execution's deadline) only while an
//! async module is pending, and reset in place rather than re-created.
//! Between nodes, a run with a deadline or a cancellation token asks its
//! watch whether to stop (`watch.rs`), so sync work is stopped at the
//! next node boundary too.
//!
//! | file | job |
//! |---|---|
//! | `mod.rs` | the entry points: `drive` (async), `run_sync`, `run_sync_with` |
//! | `run_options.rs` | [`RunOptions`] (deadline, cancellation) and [`Abort`] |
//! | `ctx.rs` | what a run is given (`ExecCtx`) and counts (`RunCounts`) |
//! | `in_order.rs` | the walk in order, and the switch to the dataflow loop |
//! | `dataflow.rs` | the dataflow loop: ready stack, in-flight polling, the one timer |
//! | `node.rs` | node dispatch: typed sync inline, everything else out of line |
//! | `future_cells.rs` | typed async futures built in per-node cells; parking a pending future |
//! | `propagate.rs` | completion and release of consumers (S3, S5), failure and skipping (S6, S8), clean-up of failed outputs |
//! | `guard.rs` | the unwind guard's marker and landing pad |
//! | `latency.rs`, `latency_chain.rs`, `clock.rs` | module latencies: the words, the chain of readings, the TSC clock |
//! | `watch.rs` | between-node checks of the deadline and the token |

mod ctx;
mod dataflow;
mod future_cells;
mod guard;
mod in_order;
pub(crate) mod latency;
mod node;
mod optioned;
pub(crate) mod propagate;
pub mod run_options;

pub(crate) mod clock;
pub(crate) mod latency_chain;
pub(crate) mod watch;

pub(crate) use ctx::{ExecCtx, RunCounts};
pub(crate) use latency::latency_clock;
pub use run_options::{Abort, RunOptions};

use std::future::poll_fn;
use std::pin::pin;

use tokio::time::{Instant, Sleep};
use tokio_util::sync::CancellationToken;

use crate::exec::dataflow::drive_poll;
use crate::exec::in_order::{sync_pass, PassEnd};
use crate::exec::propagate::clear_failed_outputs;
use crate::exec::watch::Watch;
use crate::state::ExecutionState;

/// Runs the execution to its end. Returns `Some(abort)` if it was cancelled
/// or ran past its deadline, and the latency clock's reading at the end
/// (`started`, its reading at the start, as for [`run_sync`]).
pub(crate) async fn drive(
    ctx: &ExecCtx<'_>,
    state: &mut ExecutionState,
    options: &RunOptions,
    counts: &mut RunCounts,
    started: u64,
) -> (Option<Abort>, u64) {
    if ctx.table.in_order() {
        return run_sync_with(ctx, state, options, counts, started);
    }
    let mut watch = Watch::new(options, latency_clock());
    let mut timer = pin!(None::<Sleep>);
    let mut cancelled = pin!(options.cancel.as_ref().map(CancellationToken::cancelled));
    let mut armed_for: Option<Instant> = None;
    let mut first = true;
    let abort = poll_fn(|cx| {
        drive_poll(
            ctx,
            state,
            options,
            counts,
            cx,
            timer.as_mut(),
            cancelled.as_mut(),
            &mut armed_for,
            &mut first,
            watch.as_mut(),
        )
    })
    .await;
    clear_failed_outputs(ctx.plan, state);
    (abort, latency_clock().now())
}

/// Runs a plan without async modules to its end, on the calling thread.
/// `started` is the latency clock's reading at the run's start; returns
/// its reading at the end (the last module's end, when latencies are
/// recorded: no read of its own).
pub(crate) fn run_sync(
    ctx: &ExecCtx<'_>,
    state: &mut ExecutionState,
    counts: &mut RunCounts,
    started: u64,
) -> u64 {
    debug_assert!(ctx.table.sync_only());
    let (_, end) = sync_pass::<false>(ctx, state, counts, None, started);
    debug_assert!(state.scratch.in_flight.is_empty());
    clear_failed_outputs(ctx.plan, state);
    end
}

/// Runs a plan without async modules to its end, or until `options`
/// cancel it: checked before the first node and between nodes (a sync
/// body is never interrupted). Returns why it stopped early, if it did.
///
/// `started` and the reading returned are as for [`run_sync`].
pub(crate) fn run_sync_with(
    ctx: &ExecCtx<'_>,
    state: &mut ExecutionState,
    options: &RunOptions,
    counts: &mut RunCounts,
    started: u64,
) -> (Option<Abort>, u64) {
    debug_assert!(ctx.table.sync_only());
    let mut watch = Watch::new(options, latency_clock());
    let (abort, end) = match options.aborted() {
        Some(abort) => (Some(abort), latency_clock().now()),
        None => match sync_pass::<true>(ctx, state, counts, watch.as_mut(), started) {
            (PassEnd::Aborted(abort), end) => (Some(abort), end),
            // A module with options whose wait the deadline or the token
            // ended stopped the pass itself (`optioned.rs`).
            (PassEnd::Finished | PassEnd::Pending(_), end) => {
                (state.scratch.options_interrupted.take(), end)
            }
        },
    };
    if abort.is_some() {
        state.cancel_all();
    }
    clear_failed_outputs(ctx.plan, state);
    (abort, end)
}
