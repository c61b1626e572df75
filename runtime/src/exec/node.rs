//! Node dispatch: running one node once it may start, by kind. The typed
//! sync module's path is inline in [`run_node`]; raw sync modules,
//! transforms and async modules (typed and raw) are out of line in
//! [`run_other`]. Both loops (`in_order.rs`, `dataflow.rs`) call
//! [`run_node`]; what a node's end does is `propagate.rs`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::task::{Context, Poll};

use asterism_compiler::typecheck::conforms;
use asterism_compiler::{NodeIx, UNBOUND_SLOT};

use crate::exec::clock::LatencyClock;
use crate::exec::ctx::{ExecCtx, RunCounts};
use crate::exec::future_cells::{future_cell, park};
use crate::exec::guard::Running;
use crate::exec::latency::{
    async_start_clock, overran, record_ready, record_ticks, stop_clock, timed_out,
};
use crate::exec::latency_chain::{start_clock, LatencyChain};
use crate::exec::propagate::{complete_mut, fail, release_fanout};
use crate::modules::module::{
    AsyncBody, ModuleError, ModuleInputs, ModuleOutput, ModuleOutputs, SyncBody, TypedAsyncBodies,
};
use crate::modules::typed::OutputSlot;
use crate::program::node_table::{NodeBody, NodeOp};
use crate::state::failure::NodeFailure;
use crate::state::in_flight::{clear_cell, ModuleFutureOf};
use crate::state::{Scratch, Shared};

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
pub(crate) fn run_node<const DATAFLOW: bool, C: LatencyChain>(
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
pub(crate) fn run_other<const DATAFLOW: bool>(
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
        NodeBody::Optioned(body) => {
            *clock = None;
            crate::exec::optioned::run_optioned::<DATAFLOW>(
                ctx, shared, scratch, generation, n, op, body, counts, running, cx,
            )
        }
    }
}

/// A raw sync module's run (inside [`run_other`], out of the hot loop).
#[inline]
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_raw<const DATAFLOW: bool>(
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
pub(crate) fn run_transform<const DATAFLOW: bool>(
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
pub(crate) fn run_async<const DATAFLOW: bool>(
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
    let started = async_start_clock(ctx, op, clock, tsc);
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
        Ok(Poll::Pending) => {
            let future = ModuleFutureOf::Raw(future);
            return park(table, scratch, n, op, future, started, tsc);
        }
        Ok(Poll::Ready(Ok(output))) => Ok(output),
        Ok(Poll::Ready(Err(e))) => Err(NodeFailure::error(e)),
        Err(panic) => Err(NodeFailure::panic(panic)),
    };
    let ticks = settle_ready(ctx, shared, n, op, running, started, clock, tsc, future);
    // Ready, but after its timeout: the result is discarded (one rule for
    // sync and async modules).
    let outcome = match outcome {
        Ok(_) if overran(op, ticks) => Err(timed_out(op)),
        other => other,
    };
    match outcome {
        // The common case, one output of the declared type, straight into
        // its slot.
        Ok(ModuleOutput::One(value))
            if op.sig.outputs.len() == 1 && conforms(&value, &op.sig.outputs[0].ty) =>
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
pub(crate) fn run_typed_async<const DATAFLOW: bool>(
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
    let started = async_start_clock(ctx, op, clock, tsc);
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
        Ok(Poll::Pending) => {
            return park(table, scratch, n, op, ModuleFutureOf::Cell, started, tsc)
        }
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
    let ticks = record_ready(ctx, shared, op, started, clock, tsc);
    if op.drops_output() {
        drop(shared.slots[out].take());
    }
    match outcome {
        // Rule S2 made this node the slot's one writer; the future wrote it.
        // Ready after its timeout, it is timed out, and the slot is emptied
        // with the failed outputs at the end of the run, as a sync module's.
        Ok(()) if !overran(op, ticks) => {
            complete_mut::<DATAFLOW>(table, shared, &mut scratch.ready, generation, n, op)
        }
        Ok(()) => fail(
            ctx.plan,
            shared,
            scratch,
            generation,
            n,
            timed_out(op),
            counts,
        ),
        Err(failure) => fail(ctx.plan, shared, scratch, generation, n, failure, counts),
    }
}

/// After a raw module's first poll that was ready: records the latency
/// and drops the future under the running marker. A future that panics in
/// drop fails its node (the loop's guard charges the panic to the running
/// node), as in `poll_in_flight`; it does not take the driver down. (A
/// typed module's cell dropped its future inside the poll, under the
/// poll's guard: it only records the latency, [`record_ready`].)
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn settle_ready<F>(
    ctx: &ExecCtx<'_>,
    shared: &mut Shared,
    n: NodeIx,
    op: &NodeOp,
    running: &mut Running,
    started: Option<u64>,
    clock: &mut Option<u64>,
    tsc: &LatencyClock,
    future: F,
) -> Option<u64> {
    let ticks = record_ready(ctx, shared, op, started, clock, tsc);
    running.enter(n, None);
    drop(future);
    running.leave();
    ticks
}

#[cold]
pub(crate) fn missing_outputs(name: &str, written: usize, expected: usize) -> NodeFailure {
    NodeFailure::error(ModuleError::new(format!(
        "module `{name}` wrote {written} of its {expected} outputs; it must write every output"
    )))
}

#[inline]
pub(crate) fn write_outputs(
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
