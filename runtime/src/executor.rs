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
//! bind time (see `node_table.rs`), with no dependency counting at
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

use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::task::{Context, Poll};
use std::time::Duration;

use asterism_compiler::{NodeIx, Plan, UNBOUND_SLOT};
use tokio::time::{Instant, Sleep};
use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};

use crate::clock::LatencyClock;
use crate::latency_chain::{start_clock, GeneralChain, LatencyChain, TscChain, Unclocked};
use crate::module::{
    AsyncBody, BoxFuture, ModuleError, ModuleInputs, ModuleOutput, ModuleOutputs, SyncBody,
    TypedAsyncBodies,
};
use crate::node_table::{NodeBody, NodeOp, NodeTable};
use crate::result::{Abort, FailureKind, NodeFailure};
use crate::state::{ExecutionState, FutureCells, Scratch, Shared};
use crate::status::{Phase, Transition};
use crate::sync::{load_mut, store_mut, AtomicU32, AtomicU64, Ordering};
use crate::typed::{FutureCell, OutputSlot};
use crate::watch::Watch;

/// The clock of sync-module latencies, read as raw ticks in the loop and
/// converted when read.
#[inline]
pub(crate) fn latency_clock() -> &'static LatencyClock {
    LatencyClock::get()
}

/// Per-execution options.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// The whole execution must end by this instant; nodes not done then
    /// are cancelled and the result says the deadline passed.
    pub deadline: Option<Instant>,
    /// Cancelling this token cancels the execution the same way.
    pub cancel: Option<CancellationToken>,
    /// Records this execution's module latencies whatever the sampling
    /// (`latency-sample-every`) draws: a debug request for one execution
    /// in full. (Nothing is recorded when `record-latency` is off.)
    pub record_latency: bool,
}

impl RunOptions {
    /// Options with a deadline `after` from now.
    pub fn with_timeout(after: Duration) -> Self {
        RunOptions {
            // A deadline past the clock's range is no deadline.
            deadline: Instant::now().checked_add(after),
            ..RunOptions::default()
        }
    }

    /// Whether the execution is cancelled or past its deadline now.
    pub(crate) fn aborted(&self) -> Option<Abort> {
        if self
            .cancel
            .as_ref()
            .is_some_and(CancellationToken::is_cancelled)
        {
            return Some(Abort::Cancelled);
        }
        if self.deadline.is_some_and(|d| d <= Instant::now()) {
            return Some(Abort::DeadlineExceeded);
        }
        None
    }

    /// Default options that record this execution's module latencies (see
    /// [`RunOptions::record_latency`]).
    pub fn recording_latency() -> Self {
        RunOptions {
            record_latency: true,
            ..RunOptions::default()
        }
    }

    /// Options with a cancellation token.
    pub fn with_cancel(token: CancellationToken) -> Self {
        RunOptions {
            cancel: Some(token),
            ..RunOptions::default()
        }
    }
}

/// A started async module whose future is not finished.
pub(crate) struct InFlight {
    node: NodeIx,
    started: Instant,
    deadline: Option<Instant>,
    future: Exclusive<ModuleFutureOf>,
}

/// An in-flight module's future, of either kind.
enum ModuleFutureOf {
    /// A typed module's, kept in the node's cell (`Scratch::cells`): writes
    /// its one value into the output slot.
    Cell,
    /// A raw module's: returns its outputs, checked when stored.
    Raw(BoxFuture<Result<ModuleOutput, ModuleError>>),
}

/// A value reachable only through `&mut`: `Sync` whatever `T` is, so that
/// a state holding `Send`-only module futures (and the result that owns the
/// state) can be shared by reference. The idea of the standard library's
/// unstable `std::sync::Exclusive`.
pub(crate) struct Exclusive<T>(T);

impl<T> Exclusive<T> {
    /// Wraps `value`.
    pub(crate) fn new(value: T) -> Self {
        Exclusive(value)
    }

    /// The value, through `&mut` only.
    pub(crate) fn get_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

// SAFETY: `Exclusive` offers no access through `&self`, so a shared
// reference to it, on any thread, can never reach the `T` inside.
unsafe impl<T> Sync for Exclusive<T> {}

/// What the executor needs of a bound program.
pub(crate) struct ExecCtx<'a> {
    pub(crate) plan: &'a Plan,
    /// Per node: body, rows, timeout (built at bind).
    pub(crate) table: &'a NodeTable,
    /// This run records module latencies (the configuration, and this
    /// execution drawn by the sampling).
    pub(crate) record_latency: bool,
}

/// Counts of one run, summed into the program's metrics once at the end.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RunCounts {
    pub(crate) modules_run: u64,
    pub(crate) failed: u64,
    pub(crate) timed_out: u64,
    pub(crate) skipped: u64,
}

/// Rule S5, shared form: one atomic decrement per consumer of `slot`; the
/// decrement that reaches zero makes the consumer ready, once. The cold
/// paths' counterpart of [`release_fanout`].
#[inline]
fn publish_slot(
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
    debug_assert!(ctx.table.in_order());
    let (_, end) = sync_pass::<false>(ctx, state, counts, None, started);
    debug_assert!(state.scratch.in_flight.is_empty());
    clear_failed_outputs(ctx.plan, state);
    end
}

/// The in-order pass of a plan without async modules, with the latency
/// chain that fits the run and the clock: the TSC chain when the run
/// records latencies and the TSC is read inline (its first body starts at
/// `started`), none when the run records no latencies and no module has a
/// timeout, else the general one. Returns how the pass ended and the
/// clock's last reading.
#[inline(always)]
fn sync_pass<const WATCHED: bool>(
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
    debug_assert!(ctx.table.in_order());
    let mut watch = Watch::new(options, latency_clock());
    let (abort, end) = match options.aborted() {
        Some(abort) => (Some(abort), latency_clock().now()),
        None => match sync_pass::<true>(ctx, state, counts, watch.as_mut(), started) {
            (PassEnd::Aborted(abort), end) => (Some(abort), end),
            (PassEnd::Finished | PassEnd::Pending(_), end) => (None, end),
        },
    };
    if abort.is_some() {
        state.cancel_all();
    }
    clear_failed_outputs(ctx.plan, state);
    (abort, end)
}

/// Empties the output slots of modules that failed or timed out. A sync
/// module writes straight into its slots, and an async module's outputs are
/// written one by one, so a module that fails after writing some outputs
/// (an error or panic after a write, too few outputs, a mistyped or extra
/// one, a sync module past its timeout) leaves them behind. No consumer read
/// them (consumers of a failed node are skipped); the result must not show
/// them either: a failed node has no outputs, as in the reference executor.
/// Runs only after a failure, once per run, with the state exclusive again.
fn clear_failed_outputs(plan: &Plan, state: &mut ExecutionState) {
    if !state.scratch.dirty_failures {
        return;
    }
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

#[allow(clippy::too_many_arguments)]
fn drive_poll(
    ctx: &ExecCtx<'_>,
    state: &mut ExecutionState,
    options: &RunOptions,
    counts: &mut RunCounts,
    cx: &mut Context<'_>,
    mut timer: Pin<&mut Option<Sleep>>,
    mut cancelled: Pin<&mut Option<WaitForCancellationFuture<'_>>>,
    armed_for: &mut Option<Instant>,
    first: &mut bool,
    mut watch: Option<&mut Watch<'_>>,
) -> Poll<Option<Abort>> {
    let generation = state.generation();
    if std::mem::take(first) {
        // An execution cancelled, or past its deadline, before it starts
        // polls no module's future.
        if let Some(abort) = options.aborted() {
            state.cancel_all();
            return Poll::Ready(Some(abort));
        }
        // Optimistically in order, polling each async module's future at
        // once: while every future is ready when first polled, the run
        // needs no dependency counting at all. (The watch checks
        // cancellation and the deadline between nodes.)
        let mut chain = GeneralChain::begin(latency_clock(), None);
        match run_in_order::<true, true, _>(
            ctx,
            state,
            generation,
            counts,
            Some(cx),
            watch.as_deref_mut(),
            &mut chain,
        ) {
            PassEnd::Finished => return Poll::Ready(None),
            PassEnd::Pending(next) => switch_to_dataflow(ctx, state, next),
            PassEnd::Aborted(abort) => {
                state.cancel_all();
                return Poll::Ready(Some(abort));
            }
        }
    }
    loop {
        if let Some(abort) = run_ready(ctx, state, generation, counts, cx, watch.as_deref_mut()) {
            state.cancel_all();
            return Poll::Ready(Some(abort));
        }
        if state.scratch.in_flight.is_empty() {
            return Poll::Ready(None);
        }
        if let Some(c) = cancelled.as_mut().as_pin_mut() {
            if c.poll(cx).is_ready() {
                state.cancel_all();
                return Poll::Ready(Some(Abort::Cancelled));
            }
        }
        let now = Instant::now();
        if options.deadline.is_some_and(|d| d <= now) {
            state.cancel_all();
            return Poll::Ready(Some(Abort::DeadlineExceeded));
        }
        if poll_in_flight(ctx, state, generation, counts, cx, now) {
            continue;
        }
        let next = state
            .scratch
            .in_flight
            .iter()
            .filter_map(|f| f.deadline)
            .chain(options.deadline)
            .min();
        let Some(next) = next else {
            return Poll::Pending;
        };
        match timer.as_mut().as_pin_mut() {
            Some(sleep) if *armed_for != Some(next) => sleep.reset(next),
            Some(_) => {}
            None => timer.set(Some(tokio::time::sleep_until(next))),
        }
        *armed_for = Some(next);
        let sleep = timer.as_mut().as_pin_mut().expect("armed just above");
        if sleep.poll(cx).is_pending() {
            return Poll::Pending;
        }
        // The nearest deadline has passed: loop to time out what is late.
    }
}

/// The node whose body (or transform) is executing, and the clock reading
/// it started at: what the unwind guard of [`run_ready`] needs to charge a
/// panic to the right node. Two plain words, written around every body.
#[derive(Clone, Copy)]
struct Running {
    /// The node's index, or `IDLE_NODE` between bodies.
    node: u32,
    /// The clock reading at its start; 0 for none.
    started: u64,
}

const IDLE_NODE: u32 = u32::MAX;

impl Running {
    const IDLE: Running = Running {
        node: IDLE_NODE,
        started: 0,
    };

    #[inline(always)]
    fn enter(&mut self, n: NodeIx, started: Option<u64>) {
        self.node = n.0;
        self.started = started.unwrap_or(0);
    }

    #[inline(always)]
    fn leave(&mut self) {
        self.node = IDLE_NODE;
    }

    /// The node that was running, if any, and its start; idle afterwards.
    fn take(&mut self) -> Option<(NodeIx, Option<u64>)> {
        let was = std::mem::replace(self, Running::IDLE);
        (was.node != IDLE_NODE)
            .then(|| (NodeIx(was.node), (was.started != 0).then_some(was.started)))
    }
}

/// Runs ready nodes until none is left; async modules are started and
/// parked in the in-flight list. With a `watch`, stops after any node if
/// the token is cancelled or the deadline has passed, and says why.
///
/// One unwind guard covers the whole loop rather than one per node (a guard
/// costs about twenty instructions, as much as a trivial module): before a
/// body runs, the loop notes which node it is, and a panic that lands here
/// fails that node, then the loop resumes with the rest of the ready stack.
fn run_ready(
    ctx: &ExecCtx<'_>,
    state: &mut ExecutionState,
    generation: u32,
    counts: &mut RunCounts,
    cx: &mut Context<'_>,
    mut watch: Option<&mut Watch<'_>>,
) -> Option<Abort> {
    let mut running = Running::IDLE;
    loop {
        let pass = catch_unwind(AssertUnwindSafe(|| {
            let ExecutionState {
                shared, scratch, ..
            } = &mut *state;
            let tsc = latency_clock();
            let mut chain = GeneralChain::begin(tsc, None);
            while let Some(n) = scratch.ready.pop() {
                run_node::<true, _>(
                    ctx,
                    shared,
                    scratch,
                    generation,
                    n,
                    counts,
                    &mut running,
                    &mut chain,
                    tsc,
                    Some(&mut *cx),
                );
                // With nothing left to run here, the driver's own checks
                // (or the end of the run) follow: a run whose work is done
                // is not reported aborted.
                if let (Some(w), false) = (watch.as_deref_mut(), scratch.ready.is_empty()) {
                    if let Some(abort) = w.check(chain.now()) {
                        return Some(abort);
                    }
                }
            }
            None
        }));
        match pass {
            Ok(abort) => return abort,
            Err(panic) => {
                charge_panic(ctx, state, generation, counts, &mut running, panic);
            }
        }
    }
}

/// Runs nodes in the table's topological order: a node's inputs are all
/// written, or it was skipped, by the time the order reaches it, so there
/// are no pending counts and no ready stack. A failure skips its
/// dependants as in the dataflow loop, and the order passes over them. The
/// unwind guard works as in [`run_ready`], resuming after the node that
/// panicked.
///
/// For a plan without async modules (`ASYNC = false`) this is the whole
/// run. With async modules (`ASYNC = true`, `cx` given), each future is
/// polled at once; the pass stops after the first one left pending and
/// returns the position to go on from, for [`switch_to_dataflow`]. With a
/// `watch`, the pass stops after any node if the token is cancelled or the
/// deadline has passed; `WATCHED = false` (`run_sync`, no options) compiles
/// the checks out.
fn run_in_order<const ASYNC: bool, const WATCHED: bool, C: LatencyChain>(
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
enum PassEnd {
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
fn switch_to_dataflow(ctx: &ExecCtx<'_>, state: &mut ExecutionState, next: usize) {
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

/// The landing pad of the unwind guards: fails the node whose body
/// panicked (recording its latency so far) and returns it. A panic with
/// no body running is the executor's own bug and is not swallowed.
#[cold]
fn charge_panic(
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

/// Runs node `n` if it can start. With `DATAFLOW`, completing it
/// decrements its fan-out's pending counts and pushes the nodes that
/// become ready; without, the caller runs nodes in a topological order
/// and completion only marks the node.
///
/// The path touches the state through `&mut` (rule S0): status words,
/// pending counts and output slots are plain loads and stores, with no
/// atomic read-modify-write. Failures take the shared-access path
/// ([`fail`]), which is cold.
///
/// `clock` is the last latency-clock reading, if the previous node was a
/// sync module: consecutive sync modules share the read that ends one and
/// starts the next, so a module's latency includes the few nanoseconds of
/// bookkeeping before it, and any other node breaks the chain. The clock is
/// quanta's (the TSC, calibrated, when it is invariant; the OS clock
/// otherwise), with the TSC read inline ([`LatencyClock`]): a read costs a
/// few nanoseconds where `clock_gettime` costs 20-40 on a virtual machine.
/// Latencies are kept as raw ticks and converted when read.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn run_node<const DATAFLOW: bool, C: LatencyChain>(
    ctx: &ExecCtx<'_>,
    shared: &mut Shared,
    scratch: &mut Scratch,
    generation: u32,
    n: NodeIx,
    counts: &mut RunCounts,
    running: &mut Running,
    chain: &mut C,
    tsc: &LatencyClock,
    cx: Option<&mut Context<'_>>,
) {
    // Rule S2: only the node's one start runs it.
    let cell = &mut shared.status[n.ix()];
    if !cell.start_mut(generation) {
        return;
    }
    let table = ctx.table;
    let op = table.op(n);
    // The typed path inline, every other kind out of line: a two-way branch
    // instead of a jump table, and a smaller frame for the hot loop.
    let NodeBody::Typed(body) = &op.body else {
        return chain.detour(|clock| {
            run_other::<DATAFLOW>(
                ctx, shared, scratch, generation, n, op, counts, running, clock, tsc, cx,
            )
        });
    };
    counts.modules_run += 1;
    let started = chain.start(ctx.record_latency || op.has_timeout);
    let row = table.inputs(op);
    // Its output slot, or the sink if nobody reads it (emptied below).
    let out = op.write_to();
    running.enter(n, started);
    let result = (body.in_slots)(&mut shared.slots, row, out);
    running.leave();
    if op.drops_output() {
        drop(shared.slots[out].take());
    }
    let ticks = chain.stop(started);
    let record = C::RECORDS.unwrap_or(ctx.record_latency);
    record_ticks(record, &mut shared.latency_ns, op, ticks);
    match result {
        // The body wrote its output (rule S2 made this node the slot's one
        // writer). On a timeout the slot is emptied with the failed
        // outputs at the end of the run (`clear_failed_outputs`); no
        // consumer reads it, as they are skipped.
        Ok(()) if !overran(op, ticks) => {
            cell.finish_mut(generation);
            if DATAFLOW {
                release_fanout(table.fanout(op), &mut shared.pending, &mut scratch.ready);
            }
        }
        other => {
            let failure = match other {
                Ok(()) => NodeFailure::timeout(op.timeout().unwrap_or_default()),
                Err(e) => NodeFailure::error(*e),
            };
            fail(ctx.plan, shared, scratch, generation, n, failure, counts);
        }
    }
}

/// A node other than a typed sync module, started (kept out of line).
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn run_other<const DATAFLOW: bool>(
    ctx: &ExecCtx<'_>,
    shared: &mut Shared,
    scratch: &mut Scratch,
    generation: u32,
    n: NodeIx,
    op: &NodeOp,
    counts: &mut RunCounts,
    running: &mut Running,
    clock: &mut Option<u64>,
    tsc: &LatencyClock,
    cx: Option<&mut Context<'_>>,
) {
    match &op.body {
        NodeBody::Typed(_) => unreachable!("the typed path is run_node's"),
        NodeBody::Raw(body) => run_raw::<DATAFLOW>(
            ctx, shared, scratch, generation, n, op, &**body, counts, running, clock, tsc,
        ),
        NodeBody::Transform(t) => {
            *clock = None;
            run_transform::<DATAFLOW>(ctx, shared, scratch, generation, n, op, *t, counts, running)
        }
        NodeBody::TypedAsync(body) => run_typed_async::<DATAFLOW>(
            ctx, shared, scratch, generation, n, op, body, counts, running, clock, tsc, cx,
        ),
        NodeBody::Async(body) => run_async::<DATAFLOW>(
            ctx, shared, scratch, generation, n, op, &**body, counts, running, clock, tsc, cx,
        ),
    }
}

/// A raw sync module's run (inside [`run_other`], out of the hot loop).
#[inline]
#[allow(clippy::too_many_arguments)]
fn run_raw<const DATAFLOW: bool>(
    ctx: &ExecCtx<'_>,
    shared: &mut Shared,
    scratch: &mut Scratch,
    generation: u32,
    n: NodeIx,
    op: &NodeOp,
    body: &SyncBody,
    counts: &mut RunCounts,
    running: &mut Running,
    clock: &mut Option<u64>,
    tsc: &LatencyClock,
) {
    let table = ctx.table;
    counts.modules_run += 1;
    let started = start_clock(clock, ctx.record_latency || op.has_timeout, tsc);
    let sig = &op.sig;
    let inputs = ModuleInputs::from_slots(&shared.slots, table.inputs(op), sig);
    let mut outputs = ModuleOutputs::to_slots(&shared.slots, ctx.plan.node_outputs(n), sig);
    running.enter(n, started);
    let result = body(&inputs, &mut outputs);
    running.leave();
    let written = outputs.written();
    let ticks = stop_clock(started, clock, tsc);
    record_ticks(ctx.record_latency, &mut shared.latency_ns, op, ticks);
    // Every output some node reads must be there, however the count came
    // out (a module that repeats an output nobody reads must not pass for
    // complete).
    let complete = written == sig.outputs.len()
        && ctx
            .plan
            .node_outputs(n)
            .iter()
            .all(|&s| s == UNBOUND_SLOT || shared.slots[s.ix()].get().is_some());
    match result {
        Ok(()) if complete && !overran(op, ticks) => {
            complete_mut::<DATAFLOW>(table, shared, &mut scratch.ready, generation, n, op);
        }
        other => {
            let failure = match other {
                Ok(()) if !complete => {
                    missing_outputs(sig.name.as_str(), written, sig.outputs.len())
                }
                // A sync module cannot be interrupted; one that
                // overran its timeout is timed out afterwards.
                Ok(()) => NodeFailure::timeout(op.timeout().unwrap_or_default()),
                Err(e) => NodeFailure::error(e),
            };
            fail(ctx.plan, shared, scratch, generation, n, failure, counts);
        }
    }
}

/// An inline transform's run.
#[inline]
#[allow(clippy::too_many_arguments)]
fn run_transform<const DATAFLOW: bool>(
    ctx: &ExecCtx<'_>,
    shared: &mut Shared,
    scratch: &mut Scratch,
    generation: u32,
    n: NodeIx,
    op: &NodeOp,
    t: asterism_compiler::TransformIx,
    counts: &mut RunCounts,
    running: &mut Running,
) {
    let table = ctx.table;
    running.enter(n, None);
    let plan = ctx.plan;
    let row = table.inputs(op);
    let slots = &shared.slots;
    let result = plan.transform(t).apply(
        |i| {
            slots[row[i].ix()]
                .get()
                .expect("rule S5: every input is written before a node is ready")
        },
        plan.slot_type(op.out),
    );
    running.leave();
    match result {
        Ok(value) => {
            // Rule S2 made this node the slot's one writer.
            let written = shared.slots[op.out.ix()].set_mut(value);
            debug_assert!(written.is_ok(), "a slot has one producer");
            complete_mut::<DATAFLOW>(table, shared, &mut scratch.ready, generation, n, op);
        }
        Err(e) => {
            let failure = NodeFailure::error(ModuleError::new(e.0));
            fail(plan, shared, scratch, generation, n, failure, counts);
        }
    }
}

/// An async module's start: its future is polled once at once; a ready one
/// completes here, a pending one joins the in-flight list.
#[inline]
#[allow(clippy::too_many_arguments)]
fn run_async<const DATAFLOW: bool>(
    ctx: &ExecCtx<'_>,
    shared: &mut Shared,
    scratch: &mut Scratch,
    generation: u32,
    n: NodeIx,
    op: &NodeOp,
    body: &AsyncBody,
    counts: &mut RunCounts,
    running: &mut Running,
    clock: &mut Option<u64>,
    tsc: &LatencyClock,
    cx: Option<&mut Context<'_>>,
) {
    let table = ctx.table;
    counts.modules_run += 1;
    let sig = &op.sig;
    let inputs = ModuleInputs::from_slots(&shared.slots, table.inputs(op), sig);
    let started = async_start_clock(ctx, clock, tsc);
    running.enter(n, None);
    let mut future = body(&inputs);
    running.leave();
    // Poll at once: a future that is ready now (a cache hit, a
    // computed value) completes here, with no trip through the
    // in-flight list and no timer. Its own guard, because an
    // unwinding poll would drop the future inside the loop's guard.
    let first = match cx {
        Some(cx) => catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))),
        None => Ok(Poll::Pending),
    };
    let outcome = match first {
        Ok(Poll::Pending) => return park(scratch, n, op, ModuleFutureOf::Raw(future)),
        Ok(Poll::Ready(Ok(output))) => Ok(output),
        Ok(Poll::Ready(Err(e))) => Err(NodeFailure::error(e)),
        Err(panic) => Err(NodeFailure::panic(panic)),
    };
    settle_ready(ctx, shared, n, op, running, started, clock, tsc, future);
    match outcome {
        // The common case, one output of the declared type, straight into
        // its slot.
        Ok(ModuleOutput::One(value))
            if op.sig.outputs.len() == 1 && value.has_type(&op.sig.outputs[0].ty) =>
        {
            if op.out != UNBOUND_SLOT {
                // Rule S2 made this node the slot's one writer.
                let written = shared.slots[op.out.ix()].set_mut(value);
                debug_assert!(written.is_ok(), "a slot has one producer");
            }
            complete_mut::<DATAFLOW>(table, shared, &mut scratch.ready, generation, n, op);
        }
        other => match other.and_then(|output| write_outputs(ctx, shared, n, op.module, output)) {
            Ok(()) => {
                complete_mut::<DATAFLOW>(table, shared, &mut scratch.ready, generation, n, op)
            }
            Err(failure) => fail(ctx.plan, shared, scratch, generation, n, failure, counts),
        },
    }
}

/// A typed async module's start: as [`run_async`], but the future is
/// built in the node's cell and writes its value into the output slot
/// itself (`FutureCell::poll_into`); the value is of the declared type by
/// construction.
#[inline]
#[allow(clippy::too_many_arguments)]
fn run_typed_async<const DATAFLOW: bool>(
    ctx: &ExecCtx<'_>,
    shared: &mut Shared,
    scratch: &mut Scratch,
    generation: u32,
    n: NodeIx,
    op: &NodeOp,
    body: &TypedAsyncBodies,
    counts: &mut RunCounts,
    running: &mut Running,
    clock: &mut Option<u64>,
    tsc: &LatencyClock,
    cx: Option<&mut Context<'_>>,
) {
    let table = ctx.table;
    counts.modules_run += 1;
    let inputs = ModuleInputs::from_slots(&shared.slots, table.inputs(op), &op.sig);
    let started = async_start_clock(ctx, clock, tsc);
    // Under the marker: making the cell (on the node's first start) and
    // starting the future both run the module's code.
    running.enter(n, None);
    let mut cell = future_cell(&mut scratch.cells, ctx.plan, n, body);
    let start = cell.as_mut().start(&inputs);
    running.leave();
    if let Err(e) = start {
        // Nothing started: the cell is empty.
        let failure = NodeFailure::error(*e);
        return fail(ctx.plan, shared, scratch, generation, n, failure, counts);
    }
    // Its output slot, or the sink if nobody reads it (emptied below).
    let out = op.write_to();
    // Polled at once, under its own guard, as in `run_async`. A future
    // that is ready is dropped inside the poll (the cell empties itself).
    let first = match cx {
        Some(cx) => catch_unwind(AssertUnwindSafe(|| {
            cell.as_mut()
                .poll_into(cx, OutputSlot(&mut shared.slots[out]))
        })),
        None => Ok(Poll::Pending),
    };
    let outcome = match first {
        Ok(Poll::Pending) => return park(scratch, n, op, ModuleFutureOf::Cell),
        Ok(Poll::Ready(Ok(()))) => Ok(()),
        Ok(Poll::Ready(Err(e))) => Err(NodeFailure::error(*e)),
        Err(panic) => {
            // A poll that panicked leaves the future in the cell (one whose
            // drop panicked has left it already); a second panic, from its
            // drop, changes nothing (the node fails with the first).
            clear_cell(cell);
            Err(NodeFailure::panic(panic))
        }
    };
    record_ready(ctx, shared, op, started, clock, tsc);
    if op.drops_output() {
        drop(shared.slots[out].take());
    }
    match outcome {
        // Rule S2 made this node the slot's one writer; the future wrote it.
        Ok(()) => complete_mut::<DATAFLOW>(table, shared, &mut scratch.ready, generation, n, op),
        Err(failure) => fail(ctx.plan, shared, scratch, generation, n, failure, counts),
    }
}

/// Node `n`'s future cell, made on its first start in this state (the
/// cells' list is sized then too: a state of a plan without typed async
/// modules never allocates it).
#[inline(always)]
fn future_cell<'a>(
    cells: &'a mut FutureCells,
    plan: &Plan,
    n: NodeIx,
    body: &TypedAsyncBodies,
) -> Pin<&'a mut dyn FutureCell> {
    if cells.len() <= n.ix() {
        size_cells(cells, plan);
    }
    cells[n.ix()]
        .get_or_insert_with(|| Exclusive::new((body.new_cell)()))
        .get_mut()
        .as_mut()
}

#[cold]
#[inline(never)]
fn size_cells(cells: &mut FutureCells, plan: &Plan) {
    cells.resize_with(plan.node_count(), || None);
}

/// Drops the future in node `n`'s cell, if it has one (see `clear_cell`).
fn clear_node_cell(cells: &mut FutureCells, n: NodeIx) {
    if let Some(Some(cell)) = cells.get_mut(n.ix()) {
        clear_cell(cell.get_mut().as_mut());
    }
}

/// Drops the future in a cell that will not finish. A panic from its drop
/// is caught and dropped: the node has failed or is cancelled already.
fn clear_cell(cell: Pin<&mut dyn FutureCell>) {
    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| cell.clear())) {
        let _ = catch_unwind(AssertUnwindSafe(move || drop(panic)));
    }
}

/// Drops every in-flight future, cell or box (a panic while dropping one
/// is caught: the node is cancelled either way), leaving the in-flight
/// list and every cell empty.
pub(crate) fn cancel_in_flight(scratch: &mut Scratch) {
    for flight in scratch.in_flight.drain(..) {
        if matches!(flight.future.0, ModuleFutureOf::Cell) {
            clear_node_cell(&mut scratch.cells, flight.node);
        }
        let _ = catch_unwind(AssertUnwindSafe(move || drop(flight)));
    }
}

/// An async module's latency start: chained like a sync module's, so a
/// future ready at once ends its latency with the read that starts the
/// next module's. The chain is broken here (a pending future's latency is
/// measured from the in-flight list instead).
#[inline(always)]
fn async_start_clock(
    ctx: &ExecCtx<'_>,
    clock: &mut Option<u64>,
    tsc: &LatencyClock,
) -> Option<u64> {
    let started = ctx
        .record_latency
        .then(|| clock.unwrap_or_else(|| tsc.now()));
    *clock = None;
    started
}

/// Parks a started async module whose first poll was pending: its timeout
/// starts now.
fn park(scratch: &mut Scratch, n: NodeIx, op: &NodeOp, future: ModuleFutureOf) {
    let now = Instant::now();
    scratch.in_flight.push(InFlight {
        node: n,
        started: now,
        // A timeout past the clock's range never fires.
        deadline: op.timeout().and_then(|t| now.checked_add(t)),
        future: Exclusive(future),
    });
}

/// After a raw module's first poll that was ready: records the latency
/// and drops the future under the running marker. A future that panics in
/// drop fails its node (the loop's guard charges the panic to the running
/// node), as in `poll_in_flight`; it does not take the driver down. (A
/// typed module's cell dropped its future inside the poll, under the
/// poll's guard: it only records the latency, [`record_ready`].)
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn settle_ready<F>(
    ctx: &ExecCtx<'_>,
    shared: &mut Shared,
    n: NodeIx,
    op: &NodeOp,
    running: &mut Running,
    started: Option<u64>,
    clock: &mut Option<u64>,
    tsc: &LatencyClock,
    future: F,
) {
    record_ready(ctx, shared, op, started, clock, tsc);
    running.enter(n, None);
    drop(future);
    running.leave();
}

/// Records the latency of an async module whose first poll was ready.
#[inline(always)]
fn record_ready(
    ctx: &ExecCtx<'_>,
    shared: &mut Shared,
    op: &NodeOp,
    started: Option<u64>,
    clock: &mut Option<u64>,
    tsc: &LatencyClock,
) {
    let ticks = stop_clock(started, clock, tsc);
    record_ticks(ctx.record_latency, &mut shared.latency_ns, op, ticks);
}

/// Ends a body's timing: one read, which also starts the next module's
/// (the chain). Returns the ticks elapsed, saturating (a counter read on
/// another core can be a little behind).
#[inline(always)]
fn stop_clock(started: Option<u64>, clock: &mut Option<u64>, tsc: &LatencyClock) -> Option<u64> {
    started.map(|s| {
        let e = tsc.now();
        *clock = Some(e);
        e.saturating_sub(s)
    })
}

/// Stores a module's latency, if recorded, as a tick word.
#[inline(always)]
fn record_ticks(record: bool, latency: &mut [AtomicU64], op: &NodeOp, ticks: Option<u64>) {
    if let (true, Some(t)) = (record, ticks) {
        store_mut(&mut latency[op.module.ix()], latency_ticks(t));
    }
}

/// Bit 63 of a latency word: the rest is raw ticks of [`latency_clock`]
/// (the sync path, which stores ticks and leaves the conversion to the
/// reader); clear, the rest is nanoseconds.
const TICKS_FLAG: u64 = 1 << 63;

/// A latency word holding raw clock ticks.
#[inline]
pub(crate) fn latency_ticks(ticks: u64) -> u64 {
    // Deltas are saturating (a counter read on another core can be a little
    // behind), so a tick count is a real duration and never reaches 2^63
    // (a century of a 3 GHz counter).
    ticks | TICKS_FLAG
}

/// A latency word holding nanoseconds.
pub(crate) fn latency_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX) & !TICKS_FLAG
}

/// The duration a latency word holds.
pub(crate) fn latency_duration(word: u64) -> Duration {
    if word & TICKS_FLAG != 0 {
        Duration::from_nanos(latency_clock().nanos(word & !TICKS_FLAG))
    } else {
        Duration::from_nanos(word)
    }
}

/// Whether a sync module that took `ticks` of the latency clock overran
/// its timeout: one comparison when it has none (the common case), the
/// conversion out of line when it has one.
#[inline(always)]
fn overran(op: &NodeOp, ticks: Option<u64>) -> bool {
    // Ticks first: a pass that reads no clock knows they are `None` and
    // drops the test.
    ticks.is_some()
        && op
            .timeout_nanos()
            .is_some_and(|limit| overran_by(limit, ticks))
}

#[cold]
#[inline(never)]
fn overran_by(limit_nanos: u64, ticks: Option<u64>) -> bool {
    ticks.is_some_and(|t| latency_clock().nanos(t) > limit_nanos)
}

/// `Running -> Completed` through `&mut` (rule S3, exclusive form); with
/// `DATAFLOW`, then the fan-out's pending counts ([`release_fanout`]).
#[inline(always)]
fn complete_mut<const DATAFLOW: bool>(
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
fn release_fanout(fanout: &[NodeIx], pending: &mut [AtomicU32], ready: &mut Vec<NodeIx>) {
    for &c in fanout {
        let count = &mut pending[c.ix()];
        let left = load_mut(count).wrapping_sub(1);
        store_mut(count, left);
        if left == 0 {
            ready.push(c);
        }
    }
}

#[cold]
fn missing_outputs(name: &str, written: usize, expected: usize) -> NodeFailure {
    NodeFailure::error(ModuleError::new(format!(
        "module `{name}` wrote {written} of its {expected} outputs; it must write every output"
    )))
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
fn complete(plan: &Plan, shared: &Shared, scratch: &mut Scratch, generation: u32, n: NodeIx) {
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
fn fail(
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

/// Polls every in-flight future once; returns whether any finished.
fn poll_in_flight(
    ctx: &ExecCtx<'_>,
    state: &mut ExecutionState,
    generation: u32,
    counts: &mut RunCounts,
    cx: &mut Context<'_>,
    now: Instant,
) -> bool {
    let ExecutionState {
        shared, scratch, ..
    } = state;
    let mut progressed = false;
    let mut i = 0;
    while i < scratch.in_flight.len() {
        let flight = &mut scratch.in_flight[i];
        let cells = &mut scratch.cells;
        // What a finished future gives: a raw module's outputs, or nothing
        // more (a typed module's future wrote its slot).
        let polled = catch_unwind(AssertUnwindSafe(|| match flight.future.get_mut() {
            ModuleFutureOf::Raw(future) => future.as_mut().poll(cx).map(|r| r.map(Some)),
            ModuleFutureOf::Cell => {
                let out = ctx.table.op(flight.node).write_to();
                let Some(Some(cell)) = cells.get_mut(flight.node.ix()) else {
                    return Poll::Ready(Err(no_cell()));
                };
                cell.get_mut()
                    .as_mut()
                    .poll_into(cx, OutputSlot(&mut shared.slots[out]))
                    .map(|r| r.map(|()| None).map_err(|e| *e))
            }
        }));
        let outcome = match polled {
            Ok(Poll::Pending) => match flight.deadline {
                Some(d) if d <= now => {
                    let limit = d - flight.started;
                    Err(NodeFailure::timeout(limit))
                }
                _ => {
                    i += 1;
                    continue;
                }
            },
            Ok(Poll::Ready(Ok(output))) => Ok(output),
            Ok(Poll::Ready(Err(e))) => Err(NodeFailure::error(e)),
            Err(panic) => Err(NodeFailure::panic(panic)),
        };
        let in_cell = matches!(flight.future.0, ModuleFutureOf::Cell);
        let op = ctx.table.op(flight.node);
        if in_cell && op.drops_output() {
            // A typed future whose output nobody reads may have written the
            // sink, even if its node failed after (its drop panicked).
            drop(shared.slots[op.write_to()].take());
        }
        let shared = &*shared;
        let done = scratch.in_flight.swap_remove(i);
        let node = done.node;
        if outcome.is_err() && in_cell {
            // A future that timed out or panicked is still in its cell (a
            // ready one emptied it).
            clear_node_cell(&mut scratch.cells, node);
        }
        let m = asterism_compiler::ModuleIx(node.0);
        if ctx.record_latency {
            let latency = latency_nanos(done.started.elapsed());
            shared.latency_ns[m.ix()].store(latency, Ordering::Relaxed);
        }
        // A future that panics in drop fails its node (as one that is
        // ready at once does); it must not take the driver down.
        let dropped = catch_unwind(AssertUnwindSafe(move || drop(done)));
        progressed = true;
        let outcome = match (outcome, dropped) {
            (Ok(Some(output)), Ok(())) => write_outputs(ctx, shared, node, m, output),
            // A typed future wrote its slot.
            (Ok(None), Ok(())) => Ok(()),
            (Ok(_), Err(panic)) => Err(NodeFailure::panic(panic)),
            // Already failed (a timeout, say): that is the node's failure.
            (Err(failure), dropped) => {
                if let Err(panic) = dropped {
                    let _ = catch_unwind(AssertUnwindSafe(move || drop(panic)));
                }
                Err(failure)
            }
        };
        finish(ctx.plan, shared, scratch, generation, node, outcome, counts);
    }
    progressed
}

#[cold]
fn no_cell() -> ModuleError {
    ModuleError::new("an in-flight typed async module has no future cell (an executor bug)")
}

fn write_outputs(
    ctx: &ExecCtx<'_>,
    shared: &Shared,
    node: NodeIx,
    m: asterism_compiler::ModuleIx,
    output: ModuleOutput,
) -> Result<(), NodeFailure> {
    let sig = ctx.plan.module_signature(m);
    let mut outputs = ModuleOutputs::to_slots(&shared.slots, ctx.plan.node_outputs(node), sig);
    match output {
        ModuleOutput::One(v) => outputs.set(0, v).map_err(NodeFailure::error)?,
        ModuleOutput::Many(vs) => {
            for (i, v) in vs.into_iter().enumerate() {
                outputs.set(i, v).map_err(NodeFailure::error)?;
            }
        }
    }
    if outputs.written() < sig.outputs.len() {
        return Err(missing_outputs(
            &sig.name,
            outputs.written(),
            sig.outputs.len(),
        ));
    }
    Ok(())
}

#[cfg(all(test, not(asterism_loom)))]
mod tests {
    use super::*;

    #[test]
    fn latency_words_decode_to_what_was_stored() {
        let d = Duration::from_micros(1234);
        assert_eq!(latency_duration(latency_nanos(d)), d);
        assert_eq!(latency_duration(0), Duration::ZERO);
        let ticks = 987_654;
        let word = latency_ticks(ticks);
        assert_ne!(word, ticks, "a tick word is marked");
        assert_eq!(
            latency_duration(word),
            Duration::from_nanos(latency_clock().nanos(ticks))
        );
        // Nanoseconds past 2^63 saturate below the mark rather than
        // turning into a tick count.
        assert_eq!(latency_nanos(Duration::MAX) & TICKS_FLAG, 0);
    }
}
