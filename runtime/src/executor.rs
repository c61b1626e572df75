//! The dataflow executor: dependency counting over dense indices.
//!
//! One driver runs one execution. Inputs fill slots; a node whose pending
//! count reaches zero is pushed on the ready stack; the driver pops it and
//! runs it at once:
//!
//! - a **transform** or a **sync module** runs inline: no task, no channel,
//!   no wake-up; completing it decrements its consumers and the loop goes on
//!   with the next ready node (the habits of Taskflow and Bevy, see
//!   `DESIGN.md`);
//! - an **async module** is started (its clock starts now, when it is ready)
//!   and its future joins the in-flight list, which the driver polls
//!   together, so independent async modules of one execution wait at the
//!   same time.
//!
//! With only sync nodes the whole execution is one pass of a loop over the
//! ready stack, finished within the first poll. A failure (error, panic,
//! timeout) marks the node and skips every node downstream of it at once
//! (rule S6 of [`crate::state`]); independent branches go on. The run ends
//! when nothing is ready and nothing is in flight.
//!
//! One timer serves the whole execution: it is armed for the nearest
//! deadline (a module's timeout or the execution's deadline) only while an
//! async module is pending, and reset in place rather than re-created.

use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::task::{Context, Poll};
use std::time::Duration;

use asterism_compiler::{NodeIx, NodeKind, Plan, UNBOUND_SLOT};
use tokio::time::{Instant, Sleep};
use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};

use crate::module::{Body, BoxFuture, ModuleError, ModuleInputs, ModuleOutput, ModuleOutputs};
use crate::result::{Abort, FailureKind, NodeFailure};
use crate::state::{ExecutionState, Scratch, Shared};
use crate::status::{Phase, Transition};
use crate::sync::Ordering;

/// The clock of sync-module latencies: quanta's, calibrated once per
/// process, read as raw ticks in the loop and converted per module.
pub(crate) fn latency_clock() -> &'static quanta::Clock {
    static CLOCK: std::sync::OnceLock<quanta::Clock> = std::sync::OnceLock::new();
    CLOCK.get_or_init(quanta::Clock::new)
}

/// Per-execution options.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// The whole execution must end by this instant; nodes not done then
    /// are cancelled and the result says the deadline passed.
    pub deadline: Option<Instant>,
    /// Cancelling this token cancels the execution the same way.
    pub cancel: Option<CancellationToken>,
}

impl RunOptions {
    /// Options with a deadline `after` from now.
    pub fn with_timeout(after: Duration) -> Self {
        RunOptions {
            deadline: Some(Instant::now() + after),
            cancel: None,
        }
    }

    /// Options with a cancellation token.
    pub fn with_cancel(token: CancellationToken) -> Self {
        RunOptions {
            deadline: None,
            cancel: Some(token),
        }
    }
}

/// A started async module whose future is not finished.
pub(crate) struct InFlight {
    node: NodeIx,
    started: Instant,
    deadline: Option<Instant>,
    future: Exclusive<BoxFuture<Result<ModuleOutput, ModuleError>>>,
}

/// A value reachable only through `&mut`: `Sync` whatever `T` is, so that
/// a state holding `Send`-only module futures (and the result that owns the
/// state) can be shared by reference. The idea of the standard library's
/// unstable `std::sync::Exclusive`.
pub(crate) struct Exclusive<T>(T);

impl<T> Exclusive<T> {
    fn get_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

// SAFETY: `Exclusive` offers no access through `&self`, so a shared
// reference to it, on any thread, can never reach the `T` inside.
unsafe impl<T> Sync for Exclusive<T> {}

/// What the executor needs of a bound program, by module index.
pub(crate) struct ExecCtx<'a> {
    pub(crate) plan: &'a Plan,
    /// Indexed by ModuleIx.
    pub(crate) bodies: &'a [Body],
    /// Indexed by ModuleIx.
    pub(crate) timeouts: &'a [Option<Duration>],
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

/// Makes every node fed by filled slots `slots` ready where it can be, and
/// pushes the plan's sources: the start of a run.
pub(crate) fn seed(plan: &Plan, state: &mut ExecutionState) {
    let (shared, scratch) = (&state.shared, &mut state.scratch);
    for decl in plan.inputs() {
        publish_slot(plan, shared, scratch, decl.slot);
    }
    scratch.ready.extend(plan.sources().iter().rev());
}

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
/// or ran past its deadline.
pub(crate) async fn drive(
    ctx: &ExecCtx<'_>,
    state: &mut ExecutionState,
    options: &RunOptions,
    counts: &mut RunCounts,
) -> Option<Abort> {
    let mut timer = pin!(None::<Sleep>);
    let mut cancelled = pin!(options.cancel.as_ref().map(CancellationToken::cancelled));
    let mut armed_for: Option<Instant> = None;
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
        )
    })
    .await;
    clear_failed_outputs(ctx.plan, state);
    abort
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
) -> Poll<Option<Abort>> {
    let generation = state.generation();
    loop {
        run_ready(ctx, state, generation, counts);
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

/// Runs ready nodes until none is left; async modules are started and
/// parked in the in-flight list.
#[inline]
fn run_ready(
    ctx: &ExecCtx<'_>,
    state: &mut ExecutionState,
    generation: u32,
    counts: &mut RunCounts,
) {
    let (shared, scratch) = (&state.shared, &mut state.scratch);
    // One clock read per sync module: consecutive sync modules share the
    // read that ends one and starts the next, so a module's latency includes
    // the few nanoseconds of bookkeeping before it. Any other node breaks
    // the chain. The clock is quanta's (the TSC, calibrated, when it is
    // invariant; the OS clock otherwise): a read costs a few nanoseconds
    // where `clock_gettime` costs 20-40 on a virtual machine.
    let mut clock: Option<u64> = None;
    let tsc = latency_clock();
    while let Some(n) = scratch.ready.pop() {
        // Rule S2: only the winner of Waiting -> Running runs the node.
        if !shared.status[n.ix()].start(generation).is_done() {
            continue;
        }
        match ctx.plan.node_kind(n) {
            NodeKind::Transform(t) => {
                clock = None;
                run_transform(ctx, shared, scratch, generation, n, t, counts);
            }
            NodeKind::Module(m) => {
                counts.modules_run += 1;
                match &ctx.bodies[m.ix()] {
                    Body::Sync(body) => {
                        let timeout = ctx.timeouts[m.ix()];
                        let timed = ctx.record_latency || timeout.is_some();
                        let started = match clock {
                            Some(t) => Some(t),
                            None => timed.then(|| tsc.raw()),
                        };
                        let sig = ctx.plan.module_signature(m);
                        let inputs =
                            ModuleInputs::from_slots(&shared.slots, ctx.plan.node_inputs(n), sig);
                        let mut outputs =
                            ModuleOutputs::to_slots(&shared.slots, ctx.plan.node_outputs(n), sig);
                        let result = catch_unwind(AssertUnwindSafe(|| body(&inputs, &mut outputs)));
                        let ended = started.map(|_| tsc.raw());
                        let elapsed = match (started, ended) {
                            (Some(s), Some(e)) => {
                                Some(Duration::from_nanos(tsc.delta_as_nanos(s, e)))
                            }
                            _ => None,
                        };
                        clock = ended;
                        if let (true, Some(e)) = (ctx.record_latency, elapsed) {
                            shared.latency_ns[m.ix()].store(nanos(e), Ordering::Relaxed);
                        }
                        let written = outputs.written();
                        let overran = match (timeout, elapsed) {
                            (Some(limit), Some(e)) => e > limit,
                            _ => false,
                        };
                        match result {
                            Ok(Ok(())) if written == sig.outputs.len() && !overran => {
                                complete(ctx.plan, shared, scratch, generation, n);
                            }
                            other => {
                                let failure = match other {
                                    Ok(Ok(())) if written < sig.outputs.len() => missing_outputs(
                                        sig.name.as_str(),
                                        written,
                                        sig.outputs.len(),
                                    ),
                                    // A sync module cannot be interrupted; one
                                    // that overran its timeout is timed out
                                    // afterwards.
                                    Ok(Ok(())) => NodeFailure::timeout(timeout.unwrap_or_default()),
                                    Ok(Err(e)) => NodeFailure::error(e),
                                    Err(panic) => NodeFailure::panic(panic),
                                };
                                fail(ctx.plan, shared, scratch, generation, n, failure, counts);
                            }
                        }
                    }
                    Body::Async(body) => {
                        clock = None;
                        let sig = ctx.plan.module_signature(m);
                        let inputs =
                            ModuleInputs::from_slots(&shared.slots, ctx.plan.node_inputs(n), sig);
                        let started = Instant::now();
                        match catch_unwind(AssertUnwindSafe(|| body(&inputs))) {
                            Ok(future) => scratch.in_flight.push(InFlight {
                                node: n,
                                started,
                                deadline: ctx.timeouts[m.ix()].map(|t| started + t),
                                future: Exclusive(future),
                            }),
                            Err(panic) => {
                                let failure = Err(NodeFailure::panic(panic));
                                finish(ctx.plan, shared, scratch, generation, n, failure, counts);
                            }
                        }
                    }
                }
            }
        }
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cold]
fn missing_outputs(name: &str, written: usize, expected: usize) -> NodeFailure {
    NodeFailure::error(ModuleError::new(format!(
        "module `{name}` wrote {written} of its {expected} outputs; it must write every output"
    )))
}

fn run_transform(
    ctx: &ExecCtx<'_>,
    shared: &Shared,
    scratch: &mut Scratch,
    generation: u32,
    n: NodeIx,
    t: asterism_compiler::TransformIx,
    counts: &mut RunCounts,
) {
    let plan = ctx.plan;
    let slot = plan.transform_slot(t);
    let row = plan.node_inputs(n);
    let result = catch_unwind(AssertUnwindSafe(|| {
        plan.transform(t).apply(
            |i| {
                shared.slots[row[i].ix()]
                    .get()
                    .expect("rule S5: every input is written before a node is ready")
            },
            plan.slot_type(slot),
        )
    }));
    let outcome = match result {
        Ok(Ok(value)) => {
            // Rule S2 made this the only writer of the slot.
            let _ = shared.slots[slot.ix()].set(value);
            Ok(())
        }
        Ok(Err(e)) => Err(NodeFailure::error(ModuleError::new(e.0))),
        Err(panic) => Err(NodeFailure::panic(panic)),
    };
    finish(plan, shared, scratch, generation, n, outcome, counts);
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
    let (shared, scratch) = (&state.shared, &mut state.scratch);
    let mut progressed = false;
    let mut i = 0;
    while i < scratch.in_flight.len() {
        let flight = &mut scratch.in_flight[i];
        let polled = catch_unwind(AssertUnwindSafe(|| {
            flight.future.get_mut().as_mut().poll(cx)
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
        let done = scratch.in_flight.swap_remove(i);
        let node = done.node;
        let m = asterism_compiler::ModuleIx(node.0);
        if ctx.record_latency {
            shared.latency_ns[m.ix()].store(nanos(done.started.elapsed()), Ordering::Relaxed);
        }
        // A future that panics in drop must not take the driver down.
        let _ = catch_unwind(AssertUnwindSafe(move || drop(done)));
        progressed = true;
        let outcome = outcome.and_then(|output| write_outputs(ctx, shared, node, m, output));
        finish(ctx.plan, shared, scratch, generation, node, outcome, counts);
    }
    progressed
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
