//! The dataflow loop: once an async module is pending, ready nodes are
//! run from the ready stack ([`run_ready`]), in-flight futures are polled
//! together ([`poll_in_flight`]), and one timer serves the nearest
//! deadline; [`drive_poll`] is the future's poll, which first tries the
//! walk in order.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::time::{Instant, Sleep};
use tokio_util::sync::WaitForCancellationFuture;

use crate::exec::ctx::{ExecCtx, RunCounts};
use crate::exec::guard::{charge_panic, Running};
use crate::exec::in_order::{run_in_order, switch_to_dataflow, PassEnd};
use crate::exec::latency::{latency_clock, latency_ticks};
use crate::exec::latency_chain::{GeneralChain, LatencyChain};
use crate::exec::node::{run_node, write_outputs};
use crate::exec::optioned::{record_outcome, settle};
use crate::exec::propagate::finish;
use crate::exec::run_options::{Abort, RunOptions};
use crate::exec::watch::Watch;
use crate::modules::module::ModuleError;
use crate::modules::typed::OutputSlot;
use crate::state::failure::NodeFailure;
use crate::state::in_flight::{clear_node_cell, ModuleFutureOf};
use crate::state::sync::Ordering;
use crate::state::ExecutionState;

#[allow(clippy::too_many_arguments)]
#[inline]
pub(crate) fn drive_poll(
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
    // Futures parked from here on were polled with this poll's waker.
    state.scratch.driver_polls = state.scratch.driver_polls.wrapping_add(1);
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
        // The wall clock, read only if a deadline needs it.
        let mut now = None;
        if options
            .deadline
            .is_some_and(|d| d <= *now.get_or_insert_with(Instant::now))
        {
            state.cancel_all();
            return Poll::Ready(Some(Abort::DeadlineExceeded));
        }
        if poll_in_flight(ctx, state, generation, counts, cx, &mut now) {
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
/// parked in the in-flight list. With a `watch`, stops after any node if
/// the token is cancelled or the deadline has passed, and says why.
///
/// One unwind guard covers the whole loop rather than one per node (a guard
/// costs about twenty instructions, as much as a trivial module): before a
/// body runs, the loop notes which node it is, and a panic that lands here
/// fails that node, then the loop resumes with the rest of the ready stack.
pub(crate) fn run_ready(
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

/// Polls every in-flight future once, except those started during this
/// poll of the driver: each was polled then, with the same waker, and was
/// pending; it wakes the driver when it can progress, and polling it again
/// before would be a wasted poll (a third poll per pending module, where a
/// hand-written join polls twice). Its deadline is still checked. Returns
/// whether any finished. `now` is the wall clock, read on first need (a
/// future with a deadline) and kept.
pub(crate) fn poll_in_flight(
    ctx: &ExecCtx<'_>,
    state: &mut ExecutionState,
    generation: u32,
    counts: &mut RunCounts,
    cx: &mut Context<'_>,
    now: &mut Option<Instant>,
) -> bool {
    let ExecutionState {
        shared, scratch, ..
    } = state;
    let mut progressed = false;
    let this_poll = scratch.driver_polls;
    let mut i = 0;
    while i < scratch.in_flight.len() {
        let flight = &mut scratch.in_flight[i];
        let cells = &mut scratch.cells;
        if flight.parked_in == this_poll
            && flight
                .deadline
                .is_none_or(|d| d > *now.get_or_insert_with(Instant::now))
        {
            i += 1;
            continue;
        }
        // What a finished future gives: a raw module's outputs, or nothing
        // more (a typed module's future, or a module with options, wrote
        // its slots).
        let outcomes = &mut scratch.call_outcomes;
        let polled = catch_unwind(AssertUnwindSafe(|| match flight.future.get_mut() {
            ModuleFutureOf::Raw(future) => future
                .as_mut()
                .poll(cx)
                .map(|r| r.map(Some).map_err(NodeFailure::error)),
            ModuleFutureOf::Optioned(future) => future.as_mut().poll(cx).map(|(done, outcome)| {
                let m = ctx.table.op(flight.node).module;
                record_outcome(outcomes, m, outcome, ctx.plan.module_count());
                match settle(ctx, shared, flight.node, done) {
                    // Interrupted cannot happen here (the run's watch ends
                    // the future instead), but would mean nothing written.
                    Some(Ok(())) | None => Ok(None),
                    Some(Err(failure)) => Err(failure),
                }
            }),
            ModuleFutureOf::Cell => {
                let out = ctx.table.op(flight.node).write_to();
                let Some(Some(cell)) = cells.get_mut(flight.node.ix()) else {
                    return Poll::Ready(Err(NodeFailure::error(no_cell())));
                };
                cell.get_mut()
                    .as_mut()
                    .poll_into(cx, OutputSlot(&mut shared.slots[out]))
                    .map(|r| r.map(|()| None).map_err(|e| NodeFailure::error(*e)))
            }
        }));
        let outcome = match polled {
            Ok(Poll::Pending) => match flight.deadline {
                Some(d) if d <= *now.get_or_insert_with(Instant::now) => {
                    Err(NodeFailure::timeout(flight.limit))
                }
                _ => {
                    i += 1;
                    continue;
                }
            },
            // Ready, but at or past its deadline: timed out all the same
            // (a typed future's slot is emptied with the failed outputs).
            Ok(Poll::Ready(Ok(_)))
                if flight
                    .deadline
                    .is_some_and(|d| d <= *now.get_or_insert_with(Instant::now)) =>
            {
                Err(NodeFailure::timeout(flight.limit))
            }
            Ok(Poll::Ready(Ok(output))) => Ok(output),
            Ok(Poll::Ready(Err(failure))) => Err(failure),
            Err(panic) => Err(NodeFailure::panic(panic)),
        };
        let in_cell = matches!(flight.future.get_mut(), ModuleFutureOf::Cell);
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
        if let (true, Some(s)) = (ctx.record_latency, done.started) {
            let ticks = latency_clock().now().saturating_sub(s);
            shared.latency_ns[m.ix()].store(latency_ticks(ticks), Ordering::Relaxed);
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
pub(crate) fn no_cell() -> ModuleError {
    ModuleError::new("an in-flight typed async module has no future cell (an executor bug)")
}
