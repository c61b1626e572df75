//! The executor's node table: per node, in one record, everything the run
//! loop needs to run it and to publish what it wrote.
//!
//! The plan answers the same questions through several arrays (the node's
//! kind from its index, its input row and output row in two CSR tables, the
//! consumers of each output slot in a third, the body and the timeout in two
//! more). Asked once per node per run, those lookups cost more than the
//! trivial modules they serve, so [`NodeTable::build`] answers them once, at
//! bind time:
//!
//! - the body, already matched: typed sync, raw sync, async, or transform;
//! - whether the module has a timeout (then the clock is read around its
//!   body even in a run that records no latencies);
//! - the input row, and for a typed module its one output slot;
//! - the **fan-out**: the consumers of all the node's bound outputs, in
//!   one row, so that completing a node is one loop of pending decrements;
//! - a topological order: every run starts by walking it, with no pending
//!   counts at all; a plan without async modules runs entirely so.

use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use asterism_compiler::{
    ModuleIx, ModuleSignature, NodeIx, NodeKind, Plan, SlotIx, TransformIx, UNBOUND_SLOT,
};

use crate::modules::module::{
    AsyncBody, Body, ModuleError, ModuleInputs, ModuleOutputs, SyncBody, TypedAsyncBodies,
    TypedBodies,
};
use crate::options::apply::OptionedBody;
use crate::options::bind::ProgramOptions;

/// What running a node means.
pub(crate) enum NodeBody {
    /// A typed sync module: one output, returned by value.
    Typed(Arc<TypedBodies>),
    /// A raw sync module, writing through `ModuleOutputs`.
    Raw(Arc<Box<SyncBody>>),
    /// A typed async module: one output, which its future writes in place.
    TypedAsync(Arc<TypedAsyncBodies>),
    /// A raw async module: its outputs are checked when stored.
    Async(Arc<Box<AsyncBody>>),
    /// An inline transform.
    Transform(TransformIx),
    /// A module with call options (retry, cache, ...): its own body inside
    /// its policy. Only nodes with options have this body, so the run loop
    /// reaches `options/` through this one match arm and no other node
    /// pays for it.
    Optioned(Arc<OptionedBody>),
}

impl NodeBody {
    /// The body of a registered module.
    fn of(body: &Body) -> NodeBody {
        match body {
            Body::Typed(b) => NodeBody::Typed(b.clone()),
            Body::Sync(b) => NodeBody::Raw(b.clone()),
            Body::TypedAsync(b) => NodeBody::TypedAsync(b.clone()),
            Body::Async(b) => NodeBody::Async(b.clone()),
        }
    }

    /// A module with options as its plain body (the reference executor
    /// calls modules plainly); `None` for any other body.
    pub(crate) fn plain(&self) -> Option<NodeBody> {
        match self {
            NodeBody::Optioned(o) => Some(NodeBody::of(&o.inner)),
            _ => None,
        }
    }

    /// Runs a sync module's body (typed or raw) writing through `outputs`,
    /// for executors that collect outputs rather than write slots (the
    /// reference executor). Anything else is an error: an async body is
    /// called, a transform applied.
    pub(crate) fn call_sync(
        &self,
        inputs: &ModuleInputs<'_>,
        outputs: &mut ModuleOutputs<'_>,
    ) -> Result<(), ModuleError> {
        match self {
            NodeBody::Typed(body) => {
                (body.with_values)(inputs).and_then(|v| outputs.set_typed(0, v))
            }
            NodeBody::Raw(body) => body(inputs, outputs),
            NodeBody::TypedAsync(_)
            | NodeBody::Async(_)
            | NodeBody::Transform(_)
            | NodeBody::Optioned(_) => Err(ModuleError::new(
                "a node that is not a sync module was called as one (an executor bug)",
            )),
        }
    }
}

/// One node's record.
pub(crate) struct NodeOp {
    pub(crate) body: NodeBody,
    /// The module (for a transform, unused).
    pub(crate) module: ModuleIx,
    /// The module's signature, here so the loop need not look it up (for a
    /// transform, an empty one). Behind an `Arc` to keep the record small:
    /// the loop reads it only to hand it to `ModuleInputs`.
    pub(crate) sig: Arc<ModuleSignature>,
    /// A timeout to check: the clock is read around a sync body whether or
    /// not the run records latencies.
    pub(crate) has_timeout: bool,
    /// The timeout to check after a sync body, or to arm for an async one,
    /// in nanoseconds (`NO_TIMEOUT`: none). Eight bytes where an
    /// `Option<Duration>` takes sixteen: they keep the record in one cache
    /// line. Read through [`NodeOp::timeout`].
    timeout_nanos: u64,
    /// A typed module's or a transform's output slot (`UNBOUND_SLOT` when
    /// nothing reads a typed module's output).
    pub(crate) out: SlotIx,
    /// The slot a typed module's body writes: `out`, or when that is
    /// `UNBOUND_SLOT` the sink, one past the plan's slots (see
    /// `Shared::slots`), which the executor empties after the write.
    /// Resolved here so the run loop need not.
    write_to: u32,
    inputs: (u32, u32),
    fanout: (u32, u32),
}

const NO_TIMEOUT: u64 = u64::MAX;

/// `timeout` in nanoseconds; one beyond 584 years is capped just below
/// [`NO_TIMEOUT`].
fn timeout_nanos(timeout: Option<Duration>) -> u64 {
    timeout.map_or(NO_TIMEOUT, |d| {
        u64::try_from(d.as_nanos()).map_or(NO_TIMEOUT - 1, |n| n.min(NO_TIMEOUT - 1))
    })
}

impl NodeOp {
    /// The slot a typed module's body writes: its output slot, or the sink
    /// when nobody reads the output ([`NodeOp::drops_output`]).
    #[inline(always)]
    pub(crate) fn write_to(&self) -> usize {
        self.write_to as usize
    }

    /// Nobody reads the typed module's output: its body writes the sink,
    /// which is emptied right after.
    #[inline(always)]
    pub(crate) fn drops_output(&self) -> bool {
        self.out == UNBOUND_SLOT
    }

    /// The node's timeout, if it has one.
    #[inline]
    pub(crate) fn timeout(&self) -> Option<Duration> {
        self.timeout_nanos().map(Duration::from_nanos)
    }

    /// The node's timeout in nanoseconds, if it has one.
    #[inline(always)]
    pub(crate) fn timeout_nanos(&self) -> Option<u64> {
        if self.timeout_nanos == NO_TIMEOUT {
            None
        } else {
            Some(self.timeout_nanos)
        }
    }
}

/// Every node's record, indexed by `NodeIx`, and the rows they point into.
pub(crate) struct NodeTable {
    ops: Box<[NodeOp]>,
    /// Every node in a topological order (the plan's).
    order: Box<[NodeIx]>,
    /// No async module and no module with options: run in `order`, in one
    /// pass, under `run` too.
    in_order: bool,
    /// No async module: `run_sync` can run the plan.
    sync_only: bool,
    /// Some module has a timeout (`NodeOp::has_timeout`).
    has_timeouts: bool,
    /// How long a future of an async module without a timeout may stay
    /// pending (`max-pending-ms`); read only when a future is parked.
    max_pending: Option<Duration>,
    inputs: Box<[SlotIx]>,
    fanout: Box<[NodeIx]>,
}

fn span(range: Range<usize>) -> (u32, u32) {
    let as_u32 = |x: usize| u32::try_from(x).expect("a plan has fewer than 2^32 edges");
    (as_u32(range.start), as_u32(range.end))
}

impl NodeTable {
    /// The table of `plan` with module `m`'s body `bodies[m]` and timeout
    /// `timeouts[m]`.
    pub(crate) fn build(
        plan: &Plan,
        bodies: &[Body],
        timeouts: &[Option<Duration>],
        options: &ProgramOptions,
    ) -> NodeTable {
        let mut ops = Vec::with_capacity(plan.node_count());
        let no_signature = Arc::new(ModuleSignature {
            name: String::new(),
            params: Vec::new(),
            outputs: Vec::new(),
            default_timeout: None,
        });
        let mut inputs = Vec::new();
        let mut fanout = Vec::new();
        let sink = u32::try_from(plan.slot_count()).expect("a plan has fewer than 2^32 slots");
        for n in (0..plan.node_count() as u32).map(NodeIx) {
            let start = inputs.len();
            inputs.extend_from_slice(plan.node_inputs(n));
            let inputs_span = span(start..inputs.len());
            let start = fanout.len();
            for &s in plan.node_outputs(n) {
                if s != UNBOUND_SLOT {
                    fanout.extend_from_slice(plan.slot_consumers(s));
                }
            }
            let fanout_span = span(start..fanout.len());
            let op = match plan.node_kind(n) {
                NodeKind::Module(m) => {
                    let policy = options.shared(m);
                    // With options, the module's own timeout bounds each
                    // attempt (folded into the policy at bind), not the node.
                    let timeout = if policy.is_some() {
                        None
                    } else {
                        timeouts[m.ix()]
                    };
                    let out = plan
                        .node_outputs(n)
                        .first()
                        .copied()
                        .unwrap_or(UNBOUND_SLOT);
                    let body = match policy {
                        None => NodeBody::of(&bodies[m.ix()]),
                        Some(node) => {
                            let fallback = node.policy().fallback.and_then(|u| {
                                plan.inputs()
                                    .iter()
                                    .map(|d| d.slot)
                                    .find(|&s| plan.slot_uuid(s) == u)
                            });
                            NodeBody::Optioned(Arc::new(OptionedBody {
                                node,
                                inner: bodies[m.ix()].clone(),
                                sig: Arc::new(plan.module_signature(m).clone()),
                                fallback,
                            }))
                        }
                    };
                    NodeOp {
                        body,
                        module: m,
                        sig: Arc::new(plan.module_signature(m).clone()),
                        has_timeout: timeout.is_some(),
                        timeout_nanos: timeout_nanos(timeout),
                        out,
                        write_to: if out == UNBOUND_SLOT { sink } else { out.0 },
                        inputs: inputs_span,
                        fanout: fanout_span,
                    }
                }
                NodeKind::Transform(t) => NodeOp {
                    body: NodeBody::Transform(t),
                    module: ModuleIx(0),
                    sig: no_signature.clone(),
                    has_timeout: false,
                    timeout_nanos: NO_TIMEOUT,
                    out: plan.transform_slot(t),
                    write_to: plan.transform_slot(t).0,
                    inputs: inputs_span,
                    fanout: fanout_span,
                },
            };
            ops.push(op);
        }
        let sync_only = !bodies
            .iter()
            .any(|b| matches!(b, Body::Async(..) | Body::TypedAsync(..)));
        // A module with options may wait (backoff, throttle, permit): under
        // `run` it goes through the async loop, never blocking the thread.
        let in_order = sync_only && options.is_empty();
        let has_timeouts = ops.iter().any(|op| op.has_timeout);
        NodeTable {
            ops: ops.into_boxed_slice(),
            order: plan.topo_order().into(),
            in_order,
            sync_only,
            has_timeouts,
            max_pending: None,
            inputs: inputs.into_boxed_slice(),
            fanout: fanout.into_boxed_slice(),
        }
    }

    /// Bounds the pending futures of async modules without a timeout.
    pub(crate) fn with_max_pending(mut self, limit: Option<Duration>) -> NodeTable {
        self.max_pending = limit;
        self
    }

    /// The bound on a pending future with no timeout of its own.
    pub(crate) fn max_pending(&self) -> Option<Duration> {
        self.max_pending
    }

    /// Whether some module has a timeout: then a run that records no
    /// latencies still reads the clock around that module's body.
    #[inline]
    pub(crate) fn has_timeouts(&self) -> bool {
        self.has_timeouts
    }

    /// Every node in a topological order.
    #[inline]
    pub(crate) fn order(&self) -> &[NodeIx] {
        &self.order
    }

    /// Whether the plan has no async module (modules with options
    /// included), so that `run_sync` can run it on the calling thread: one
    /// pass in [`NodeTable::order`], a module with options calling its
    /// policy's blocking form.
    #[inline]
    pub(crate) fn sync_only(&self) -> bool {
        self.sync_only
    }

    /// Whether the plan has no async module and no module with options, so
    /// that one pass in [`NodeTable::order`] runs it under `run` too.
    #[inline]
    pub(crate) fn in_order(&self) -> bool {
        self.in_order
    }

    /// Node `n`'s record.
    #[inline]
    pub(crate) fn op(&self, n: NodeIx) -> &NodeOp {
        &self.ops[n.ix()]
    }

    /// A node's input slots, in parameter order.
    #[inline]
    pub(crate) fn inputs(&self, op: &NodeOp) -> &[SlotIx] {
        &self.inputs[op.inputs.0 as usize..op.inputs.1 as usize]
    }

    /// The nodes reading a node's outputs, once per input they read.
    #[inline]
    pub(crate) fn fanout(&self, op: &NodeOp) -> &[NodeIx] {
        &self.fanout[op.fanout.0 as usize..op.fanout.1 as usize]
    }
}

#[cfg(all(test, not(asterism_loom)))]
mod tests {
    use super::*;
    use asterism_compiler::{compile, CType, DagBuilder, Signatures};

    use crate::modules::module::Module;

    #[test]
    fn a_record_fits_in_one_cache_line() {
        // The loop reads one record per node; at 10,000 nodes the table's
        // size is what stays in cache or not.
        assert!(
            std::mem::size_of::<NodeOp>() <= 64,
            "{} bytes",
            std::mem::size_of::<NodeOp>()
        );
    }

    #[test]
    fn timeouts_round_trip_through_nanoseconds() {
        assert_eq!(timeout_nanos(None), NO_TIMEOUT);
        for d in [
            Duration::ZERO,
            Duration::from_nanos(1),
            Duration::from_millis(250),
        ] {
            assert_eq!(Duration::from_nanos(timeout_nanos(Some(d))), d);
        }
        assert_eq!(
            timeout_nanos(Some(Duration::MAX)),
            NO_TIMEOUT - 1,
            "capped, still a timeout"
        );
    }

    #[test]
    fn rows_match_the_plan() {
        // x -> twice -> (a); add(a, x) -> (o); twice(a) -> (b): `a` feeds two
        // modules.
        let twice = Module::sync("twice", ["v"], "out", |v: i64| v * 2);
        let add = Module::sync("add", ["l", "r"], "out", |l: i64, r: i64| l + r);
        let sigs: Signatures = [twice.signature().clone(), add.signature().clone()]
            .into_iter()
            .collect();
        let mut b = DagBuilder::seeded("t", 1);
        let x = b.input("x", CType::Int);
        let m1 = b.module("twice");
        b.bind(x, m1, "v");
        let a = b.produce(m1, "out", "a", CType::Int);
        let m2 = b.module("add");
        b.bind(a, m2, "l");
        b.bind(x, m2, "r");
        let out = b.produce(m2, "out", "o", CType::Int);
        b.output("o", out);
        let m3 = b.module("twice");
        b.bind(a, m3, "v");
        let unread = b.produce(m3, "out", "b", CType::Int);
        b.output("b", unread);
        let plan = compile(&b.build(), &sigs).expect("valid");
        let bodies: Vec<Body> = (0..plan.module_count() as u32)
            .map(|m| match plan.module_signature(ModuleIx(m)).name.as_str() {
                "twice" => twice.body.clone(),
                _ => add.body.clone(),
            })
            .collect();
        let table = NodeTable::build(&plan, &bodies, &[None; 3], &ProgramOptions::default());
        for n in (0..plan.node_count() as u32).map(NodeIx) {
            let op = table.op(n);
            assert_eq!(table.inputs(op), plan.node_inputs(n));
            let want: Vec<NodeIx> = plan
                .node_outputs(n)
                .iter()
                .filter(|&&s| s != UNBOUND_SLOT)
                .flat_map(|&s| plan.slot_consumers(s).iter().copied())
                .collect();
            assert_eq!(table.fanout(op), want.as_slice());
            assert!(!op.has_timeout);
            if op.drops_output() {
                assert_eq!(op.write_to(), plan.slot_count(), "the sink");
            } else {
                assert_eq!(op.write_to(), op.out.ix());
            }
            assert!(matches!(op.body, NodeBody::Typed(_)));
        }
        let widest = (0..plan.node_count() as u32)
            .map(|n| table.fanout(table.op(NodeIx(n))).len())
            .max();
        assert_eq!(widest, Some(2), "`a` feeds two modules");
    }
}
