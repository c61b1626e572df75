//! The reference executor: the original runtime's design, kept on purpose.
//!
//! State lives in persistent hash maps keyed by UUID (`rpds`), and every
//! status change or data write builds a new map, exactly as the original's
//! `State(moduleStatus: Map[UUID, ..], data: Map[UUID, ..])` does. Nodes
//! run one at a time in topological order, and each module reads its inputs
//! by UUID lookups.
//!
//! It is selected with `mutable = false`, it is the baseline of every
//! benchmark (the seed's "Immutable State" column), and it is the oracle of
//! the differential tests: same modules, same semantics (failures skip their
//! dependants, timeouts start when a module is ready), a different state
//! design. At the end its maps are copied into a fresh, unpooled
//! [`ExecutionState`] so that its results read like the slot runtime's.

use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use asterism_compiler::{CValue, InputIx, NodeIx, NodeKind, Plan, UNBOUND_SLOT};
use rpds::HashTrieMapSync;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::error::RunError;
use crate::exec::{RunCounts, RunOptions};
use crate::modules::module::{ModuleError, ModuleInputs, ModuleOutput, ModuleOutputs};
use crate::program::bound::{fill_inputs, finish_result, ProgramInner};
use crate::program::metrics::Metrics;
use crate::program::node_table::NodeBody;
use crate::program::pool::StateGuard;
use crate::result::{Abort, ExecutionResult, FailureKind, NodeFailure};
use crate::state::status::Phase;
use crate::state::sync::Ordering;
use crate::state::ExecutionState;

/// A node's status in the reference executor's map.
#[derive(Clone, Debug)]
enum RefStatus {
    Unfired,
    Running,
    Fired(Duration),
    Failed(NodeFailure, Duration),
    Skipped(NodeIx),
    Cancelled,
}

/// The original's immutable state: a new pair of maps per update.
#[derive(Clone)]
struct RefState {
    status: HashTrieMapSync<Uuid, RefStatus>,
    data: HashTrieMapSync<Uuid, CValue>,
}

impl RefState {
    fn with_status(&self, uuid: Uuid, s: RefStatus) -> RefState {
        RefState {
            status: self.status.insert(uuid, s),
            data: self.data.clone(),
        }
    }

    fn with_data(&self, uuid: Uuid, v: CValue) -> RefState {
        RefState {
            status: self.status.clone(),
            data: self.data.insert(uuid, v),
        }
    }
}

pub(crate) async fn run<'p, I>(
    inner: &'p ProgramInner,
    inputs: I,
    earlier: Vec<crate::error::InputError>,
    options: &RunOptions,
) -> Result<ExecutionResult<'p>, RunError>
where
    I: IntoIterator<Item = (InputIx, CValue)>,
{
    let plan: &Plan = &inner.plan;
    let started = crate::exec::latency_clock().now();
    // The original measures every module; it reports the latencies of the
    // executions the sampling draws, as the slot runtime does.
    let record_latency = inner.count_start() | inner.asked_latency(options);
    let mut state = Box::new(ExecutionState::new(plan));
    let mut earlier = earlier;
    if let Err(errors) = fill_inputs(plan, &mut state, inputs, &mut earlier) {
        Metrics::add(&inner.metrics.local().executions_rejected, 1);
        return Err(RunError::inputs(errors));
    }
    let mut st = RefState {
        status: HashTrieMapSync::new_sync(),
        data: HashTrieMapSync::new_sync(),
    };
    for n in plan.topo_order() {
        st = st.with_status(plan.node_uuid(*n), RefStatus::Unfired);
    }
    for decl in plan.inputs() {
        let v = state.shared.slots[decl.slot.ix()]
            .get()
            .expect("filled above")
            .clone();
        st = st.with_data(plan.slot_uuid(decl.slot), v);
    }

    let mut counts = RunCounts::default();
    let mut abort = None;
    for &n in plan.topo_order() {
        // Checked before every node, as the slot runtime checks before the
        // first and between nodes: a run whose work is done is not aborted.
        if abort.is_none() {
            abort = options.aborted();
        }
        if abort.is_some() {
            break;
        }
        let uuid = plan.node_uuid(n);
        // Inputs by UUID lookup, as the original reads its data table.
        let input_uuids: Vec<Uuid> = plan
            .node_inputs(n)
            .iter()
            .map(|s| plan.slot_uuid(*s))
            .collect();
        if let Some(missing) = input_uuids.iter().position(|u| !st.data.contains_key(u)) {
            let slot = plan.node_inputs(n)[missing];
            let cause = upstream_cause(plan, &st, slot);
            st = st.with_status(uuid, RefStatus::Skipped(cause));
            counts.skipped += 1;
            continue;
        }
        // The original hands each module copies of its inputs.
        let owned: Vec<CValue> = input_uuids.iter().map(|u| st.data[u].clone()).collect();
        let values: Vec<&CValue> = owned.iter().collect();
        match plan.node_kind(n) {
            NodeKind::Transform(t) => {
                let slot = plan.transform_slot(t);
                let result = catch_unwind(AssertUnwindSafe(|| {
                    plan.transform(t).apply(|i| values[i], plan.slot_type(slot))
                }));
                let next = match result {
                    Ok(Ok(v)) => st
                        .with_data(plan.slot_uuid(slot), v)
                        .with_status(uuid, RefStatus::Fired(Duration::ZERO)),
                    Ok(Err(e)) => {
                        counts.failed += 1;
                        st.with_status(
                            uuid,
                            RefStatus::Failed(
                                NodeFailure::error(ModuleError::new(e.0)),
                                Duration::ZERO,
                            ),
                        )
                    }
                    Err(p) => {
                        counts.failed += 1;
                        st.with_status(
                            uuid,
                            RefStatus::Failed(NodeFailure::panic(p), Duration::ZERO),
                        )
                    }
                };
                st = next;
            }
            NodeKind::Module(m) => {
                counts.modules_run += 1;
                st = st.with_status(uuid, RefStatus::Running);
                let sig = plan.module_signature(m);
                let op = inner.table.op(plan.module_node(m));
                let timeout = op.timeout();
                let inputs = ModuleInputs::from_values(&values, sig);
                let mut outs: Vec<Option<CValue>> = vec![None; sig.outputs.len()];
                let clock = std::time::Instant::now();
                // The reference executor calls modules plainly: call options
                // are the slot runtime's (`options/`), not the oracle's.
                let plain = op.body.plain();
                let body_of = plain.as_ref().unwrap_or(&op.body);
                let outcome: Result<(), NodeFailure> = match body_of {
                    body @ (NodeBody::Typed(_) | NodeBody::Raw(_) | NodeBody::Transform(_)) => {
                        let mut outputs = ModuleOutputs::collect(&mut outs, sig);
                        let r = catch_unwind(AssertUnwindSafe(|| {
                            body.call_sync(&inputs, &mut outputs)
                        }));
                        match r {
                            Ok(Ok(())) => match timeout {
                                Some(limit) if clock.elapsed() >= limit => {
                                    Err(NodeFailure::timeout(limit))
                                }
                                _ => Ok(()),
                            },
                            Ok(Err(e)) => Err(NodeFailure::error(e)),
                            Err(p) => Err(NodeFailure::panic(p)),
                        }
                    }
                    NodeBody::Optioned(_) => unreachable!("plain() unwrapped it"),
                    NodeBody::Async(_) | NodeBody::TypedAsync(_) => {
                        match catch_unwind(AssertUnwindSafe(|| match body_of {
                            NodeBody::TypedAsync(typed) => (typed.with_values)(&inputs),
                            NodeBody::Async(body) => body(&inputs),
                            _ => unreachable!("matched above"),
                        })) {
                            Err(p) => Err(NodeFailure::panic(p)),
                            Ok(fut) => {
                                match await_module(fut, timeout, inner.table.max_pending(), options)
                                    .await
                                {
                                    Awaited::Done(Ok(output)) => {
                                        let mut outputs = ModuleOutputs::collect(&mut outs, sig);
                                        match output {
                                            ModuleOutput::One(v) => {
                                                outputs.set(0, v).map_err(NodeFailure::error)
                                            }
                                            ModuleOutput::Many(vs) => vs
                                                .into_iter()
                                                .enumerate()
                                                .try_for_each(|(i, v)| outputs.set(i, v))
                                                .map_err(NodeFailure::error),
                                        }
                                    }
                                    Awaited::Done(Err(f)) => Err(f),
                                    Awaited::Aborted(a) => {
                                        abort = Some(a);
                                        st = st.with_status(uuid, RefStatus::Cancelled);
                                        continue;
                                    }
                                }
                            }
                        }
                    }
                };
                let latency = clock.elapsed();
                let outcome = outcome.and_then(|()| {
                    let written = outs.iter().filter(|o| o.is_some()).count();
                    if written < sig.outputs.len() {
                        Err(NodeFailure::error(ModuleError::new(format!(
                            "module `{}` wrote {written} of its {} outputs; it must write every output",
                            sig.name,
                            sig.outputs.len()
                        ))))
                    } else {
                        Ok(())
                    }
                });
                st = match outcome {
                    Ok(()) => {
                        let mut next = st.clone();
                        for (i, &s) in plan.node_outputs(n).iter().enumerate() {
                            if s != UNBOUND_SLOT {
                                let v = outs[i].take().expect("every output written");
                                next = next.with_data(plan.slot_uuid(s), v);
                            }
                        }
                        next.with_status(uuid, RefStatus::Fired(latency))
                    }
                    Err(f) => {
                        if f.kind == FailureKind::Timeout {
                            counts.timed_out += 1;
                        } else {
                            counts.failed += 1;
                        }
                        st.with_status(uuid, RefStatus::Failed(f, latency))
                    }
                };
            }
        }
    }

    copy_into_state(plan, &st, &mut state, record_latency);
    let mut guard = StateGuard::unpooled(state, plan, record_latency);
    guard.finished = true;
    Ok(finish_result(
        inner,
        guard,
        started,
        crate::exec::latency_clock().now(),
        abort,
        counts,
    ))
}

/// The failed node behind a missing input.
fn upstream_cause(plan: &Plan, st: &RefState, slot: asterism_compiler::SlotIx) -> NodeIx {
    let producer = match plan.slot_producer(slot) {
        asterism_compiler::Producer::Module(m, _) => plan.module_node(m),
        asterism_compiler::Producer::Transform(t) => plan.transform_node(t),
        asterism_compiler::Producer::Input(_) => unreachable!("inputs are always present"),
    };
    match st.status.get(&plan.node_uuid(producer)) {
        Some(RefStatus::Skipped(cause)) => *cause,
        _ => producer,
    }
}

enum Awaited {
    Done(Result<ModuleOutput, NodeFailure>),
    Aborted(Abort),
}

/// Awaits one module's future under its timeout and the run's deadline and
/// cancellation, catching panics. The timeout counts from the call; a
/// first poll that is ready after it, or a later one at or past it, is a
/// timeout (as in the slot executor). With no timeout, a pending future is
/// bounded by `max_pending` from its first poll.
async fn await_module(
    mut fut: crate::modules::module::BoxFuture<Result<ModuleOutput, ModuleError>>,
    timeout: Option<Duration>,
    max_pending: Option<Duration>,
    options: &RunOptions,
) -> Awaited {
    let started = Instant::now();
    let wall = std::time::Instant::now();
    let limit = timeout.or(max_pending);
    // A timeout past the clock's range never fires.
    let module_deadline = limit.and_then(|t| started.checked_add(t));
    let deadline = [module_deadline, options.deadline]
        .into_iter()
        .flatten()
        .min();
    let mut sleep = pin!(deadline.map(tokio::time::sleep_until));
    let mut cancelled = pin!(options.cancel.as_ref().map(CancellationToken::cancelled));
    let mut first = true;
    poll_fn(|cx| {
        let polled = catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx)));
        let late = match limit {
            // The first poll is timed in real time, as a sync body.
            Some(t) if first => timeout.is_some() && wall.elapsed() >= t,
            Some(_) => module_deadline.is_some_and(|d| d <= Instant::now()),
            None => false,
        };
        first = false;
        match polled {
            Ok(Poll::Ready(Ok(_))) if late => {
                let limit = limit.unwrap_or_default();
                return Poll::Ready(Awaited::Done(Err(NodeFailure::timeout(limit))));
            }
            Ok(Poll::Ready(r)) => return Poll::Ready(Awaited::Done(r.map_err(NodeFailure::error))),
            Err(p) => return Poll::Ready(Awaited::Done(Err(NodeFailure::panic(p)))),
            Ok(Poll::Pending) => {}
        }
        if let Some(c) = cancelled.as_mut().as_pin_mut() {
            if c.poll(cx).is_ready() {
                return Poll::Ready(Awaited::Aborted(Abort::Cancelled));
            }
        }
        if let Some(s) = sleep.as_mut().as_pin_mut() {
            if s.poll(cx).is_ready() {
                let now = Instant::now();
                if options.deadline.is_some_and(|d| d <= now)
                    && module_deadline.is_none_or(|d| d > now)
                {
                    return Poll::Ready(Awaited::Aborted(Abort::DeadlineExceeded));
                }
                let limit = limit.unwrap_or_default();
                return Poll::Ready(Awaited::Done(Err(NodeFailure::timeout(limit))));
            }
        }
        Poll::Pending
    })
    .await
}

/// Writes the final maps into a state so results read the same way.
fn copy_into_state(plan: &Plan, st: &RefState, state: &mut ExecutionState, record_latency: bool) {
    let generation = state.generation();
    for s in (0..plan.slot_count() as u32).map(asterism_compiler::SlotIx) {
        if let Some(v) = st.data.get(&plan.slot_uuid(s)) {
            let _ = state.shared.slots[s.ix()].set(v.clone());
        }
    }
    for n in (0..plan.node_count() as u32).map(NodeIx) {
        let cell = &state.shared.status[n.ix()];
        let latency = match st.status.get(&plan.node_uuid(n)) {
            Some(RefStatus::Fired(l)) => {
                let _ = cell.start(generation);
                let _ = cell.finish(generation, Phase::Completed);
                Some(*l)
            }
            Some(RefStatus::Failed(f, l)) => {
                let _ = cell.start(generation);
                let phase = if f.kind == FailureKind::Timeout {
                    Phase::TimedOut
                } else {
                    Phase::Failed
                };
                let _ = cell.finish(generation, phase);
                *state.shared.failures[n.ix()].borrow_mut() = Some(f.clone());
                state.scratch.dirty_failures = true;
                Some(*l)
            }
            Some(RefStatus::Skipped(cause)) => {
                let _ = cell.skip(generation, *cause);
                None
            }
            Some(RefStatus::Unfired | RefStatus::Running | RefStatus::Cancelled) | None => {
                let _ = cell.cancel(generation);
                None
            }
        };
        if let (true, Some(l), NodeKind::Module(m)) = (record_latency, latency, plan.node_kind(n)) {
            let word = crate::exec::latency::latency_nanos(l);
            state.shared.latency_ns[m.ix()].store(word, Ordering::Relaxed);
        }
    }
}
