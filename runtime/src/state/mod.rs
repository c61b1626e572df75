//! `ExecutionState`: the mutable state of one execution, sized once by the
//! plan, reset in place and pooled.
//!
//! This is the seed's "mutable execution state" with every hash map replaced
//! by a dense array indexed by the plan's indices:
//!
//! | field | indexed by | holds |
//! |---|---|---|
//! | `status` | `NodeIx` | `StatusCell`: generation, phase, failed upstream |
//! | `slots` | `SlotIx` | write-once `Slot<CValue>` (`OnceLock`'s contract, see `slot.rs`) |
//! | `pending` | `NodeIx` | inputs not yet written |
//! | `latency_ns` | `ModuleIx` | the module's run time: raw clock ticks or nanoseconds |
//! | `failures` | `NodeIx` | why a failed or timed-out node failed |
//!
//! plus driver-only scratch (the ready stack, the skip stack and the
//! in-flight async modules), allocated once with the capacity a run can need,
//! and the cells typed async nodes build their futures in, made on a node's
//! first start and kept for every later run of the state.
//!
//! # Protocol
//!
//! The *runner* of a node is whoever wins its `Waiting -> Running`
//! transition. The *driver* is the task that owns the state during a run.
//!
//! - **S0 (exclusive driver).** The driver holds the state by `&mut` for
//!   the whole run (`exec::drive` takes `&mut ExecutionState`), so the
//!   borrow checker proves no other thread can touch it. The driver's hot
//!   path therefore uses the exclusive forms of the operations below
//!   (`StatusCell::start_mut` / `complete_mut`, `Slot::set_mut`, pending
//!   counts through `get_mut`): the same transitions, checked the same way,
//!   as plain loads and stores. One check is left out: a typed module that
//!   the driver started with `start_mut` is completed with `finish_mut`,
//!   which does not look at the phase again, because between the two only
//!   the module's body ran, and it has no access to the status words. (A
//!   typed body is the runtime's own adapter around the user's function:
//!   it is lent the slots mutably, reads its inputs out as owned values,
//!   and writes its one output slot, or the sink past the plan's slots
//!   when nobody reads the output; the user's function sees only its
//!   arguments.) The shared forms (compare-and-swap,
//!   `fetch_sub`) serve the cold paths, raw modules' outputs (written
//!   through `ModuleOutputs` while inputs are borrowed) and any holder of
//!   `&Shared`, and are what the loom models check; rules S2-S8 hold for
//!   both forms.
//! - **S0' (in-order pass).** A run first walks the plan's topological
//!   order. When the walk reaches a node, every node it reads from has
//!   already ended (or the node was skipped, S6), so its inputs are written:
//!   the condition S2 asks of a zero pending count holds without counting,
//!   and the walk neither reads nor decrements pending counts. If an async
//!   module's future is pending, the walk stops right after it, and every
//!   later node that still waits gets its pending count from its unwritten
//!   input slots (those its in-flight or later producers will write) before
//!   the dataflow loop takes over; from then on S2-S5 apply as written.
//! - **S1 (fixed shape).** Every array is sized from the plan when the state
//!   is built and never resized (the future cells' list is sized once, at
//!   the first start of a typed async node); indices from the plan are
//!   always in range.
//! - **S2 (one runner).** A node starts only when its pending count is zero
//!   (or it has no inputs), and only through `StatusCell::start`; the single
//!   winner of that transition is the node's runner.
//! - **S3 (writes before publication).** Only the runner writes the node's
//!   output slots, and it writes them before it moves the node to
//!   `Completed` (AcqRel), then decrements each consumer's pending count.
//! - **S4 (generations).** Every transition names the execution's generation;
//!   a transition naming another generation is refused as `Stale` and
//!   changes nothing. A generation changes only in `reset`.
//! - **S5 (readiness).** A consumer's pending count is decremented once per
//!   input entry, after the slot is written; the decrement that reaches zero
//!   (AcqRel, so it happens after every write to the consumer's inputs) makes
//!   the consumer ready, exactly once.
//! - **S6 (failure propagation).** A node that fails or times out never
//!   writes its remaining slots; its runner moves every transitive dependant
//!   from `Waiting` to `Skipped` naming the failed node, so that no node is
//!   left waiting for a value that will never come and a run always ends.
//! - **S7 (cancellation).** Cancelling moves every non-terminal node to
//!   `Cancelled`; in-flight futures are dropped first, so no runner of this
//!   generation remains.
//! - **S8 (failure details).** A node's failure detail is written only by
//!   the party that moved it to `Failed` or `TimedOut` (so the
//!   `AtomicRefCell` borrow never conflicts), and read only after the run.
//! - **S9 (reset).** `reset` takes `&mut self`: no runner, reader or future
//!   can hold the state. It empties every slot (dropping the values that
//!   own memory; scalars have nothing to drop and are forgotten), copies
//!   the pending counts from the plan, zeroes latencies, clears failures and
//!   scratch, and moves every status cell to `Waiting` in the next
//!   generation. A reset state is indistinguishable from a new one.
//! - **S10 (pool).** A state enters the pool only by value (a `Box` the pool
//!   owns) and only after `reset`; whoever holds the `Box` holds the only
//!   path to it.
//!
//! `docs/correctness.md` lists which test or loom model checks each rule.
//!
//! | file | owns |
//! |---|---|
//! | `mod.rs` | [`ExecutionState`]: the arrays above, the scratch, cancel and reset |
//! | `status.rs` | the status cell: phase, generation, failed upstream; RMW transitions |
//! | `slot.rs` | the write-once slot (rules W1-W3) |
//! | `in_flight.rs` | the in-flight list and the future cells, and dropping them (S7) |
//! | `failure.rs` | a node's failure detail (S8) |
//! | `hot_slot.rs` | the pool's per-shard hot slot (H1-H2) |
//! | `sync.rs` | the loom shim: atomics and `UnsafeCell` (the bottom of the crate) |

pub(crate) mod failure;
pub(crate) mod hot_slot;
pub(crate) mod in_flight;
pub(crate) mod slot;
pub mod status;
pub(crate) mod sync;

use asterism_compiler::{CValue, NodeIx, Plan};
use atomic_refcell::AtomicRefCell;

use crate::exec::run_options::Abort;
use crate::options::runner::CallOutcome;
use crate::state::failure::NodeFailure;
use crate::state::in_flight::{cancel_in_flight, FutureCells, InFlight};
use crate::state::slot::Slot;
use crate::state::status::{Phase, StatusCell, GENERATION_MASK};
use crate::state::sync::{store_mut, AtomicU32, AtomicU64, Ordering};

/// The part of the state a run shares (`&`) between whoever touches it.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Indexed by NodeIx.
    pub(crate) status: Box<[StatusCell]>,
    /// Indexed by SlotIx, and one more at the end: the sink, where a typed
    /// module whose output nobody reads (`UNBOUND_SLOT`) writes it; the
    /// executor empties it right after. Always empty between nodes.
    pub(crate) slots: Box<[Slot<CValue>]>,
    /// Indexed by NodeIx.
    pub(crate) pending: Box<[AtomicU32]>,
    /// Indexed by ModuleIx; latency words: raw clock ticks or nanoseconds
    /// (`exec::latency::latency_duration` reads them).
    pub(crate) latency_ns: Box<[AtomicU64]>,
    /// Indexed by NodeIx (rule S8).
    pub(crate) failures: Box<[AtomicRefCell<Option<NodeFailure>>]>,
}

/// Driver-only scratch, preallocated so a run never grows it (the future
/// cells are made on a node's first start, then kept).
#[derive(Default)]
pub(crate) struct Scratch {
    /// Nodes whose inputs are all written and that have not started.
    pub(crate) ready: Vec<NodeIx>,
    /// Work list of failure propagation.
    pub(crate) stack: Vec<NodeIx>,
    /// Started async modules whose futures are not finished.
    pub(crate) in_flight: Vec<InFlight>,
    /// Indexed by NodeIx once a typed async node has started (empty
    /// before): the cell its futures are built in, made on its first start
    /// and reused by every later run. Holds a future only while the node is
    /// starting or in flight (`exec/`).
    pub(crate) cells: FutureCells,
    /// Whether any failure detail was written (reset skips clearing them
    /// otherwise).
    pub(crate) dirty_failures: bool,
    /// Counts the driver's polls: a future parked during the current one
    /// was just polled with its waker, and is not polled again before a
    /// later one (`exec/dataflow.rs`).
    pub(crate) driver_polls: u64,
    /// Indexed by ModuleIx once a module with options has run (empty
    /// before, and always for plans without options): what its call did.
    pub(crate) call_outcomes: Vec<Option<CallOutcome>>,
    /// A module with options found the run past its deadline or cancelled
    /// during a blocking wait (`run_sync_with`); every node not done was
    /// cancelled then.
    pub(crate) options_interrupted: Option<Abort>,
}

impl Scratch {
    /// Scratch with the capacity any run of `plan` needs.
    pub(crate) fn for_plan(plan: &Plan) -> Self {
        Scratch {
            ready: Vec::with_capacity(plan.node_count()),
            stack: Vec::with_capacity(plan.node_count()),
            in_flight: Vec::with_capacity(plan.module_count()),
            cells: Vec::new(),
            dirty_failures: false,
            driver_polls: 0,
            call_outcomes: Vec::new(),
            options_interrupted: None,
        }
    }
}

/// The mutable state of one execution of one plan.
pub struct ExecutionState {
    generation: u32,
    pub(crate) shared: Shared,
    pub(crate) scratch: Scratch,
}

impl std::fmt::Debug for ExecutionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecutionState")
            .field("generation", &self.generation)
            .field("nodes", &self.shared.status.len())
            .field("slots", &self.shared.slots.len())
            .finish()
    }
}

impl ExecutionState {
    /// A fresh state for `plan`, in generation 0.
    pub fn new(plan: &Plan) -> Self {
        let nodes = plan.node_count();
        ExecutionState {
            generation: 0,
            shared: Shared {
                status: (0..nodes).map(|_| StatusCell::new(0)).collect(),
                // One slot past the plan's: the sink (see `Shared::slots`).
                slots: (0..=plan.slot_count()).map(|_| Slot::new()).collect(),
                pending: plan
                    .initial_pending()
                    .iter()
                    .map(|&p| AtomicU32::new(p))
                    .collect(),
                latency_ns: (0..plan.module_count())
                    .map(|_| AtomicU64::new(0))
                    .collect(),
                failures: (0..nodes).map(|_| AtomicRefCell::new(None)).collect(),
            },
            scratch: Scratch::for_plan(plan),
        }
    }

    /// The generation this state is in.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// Node `n`'s phase.
    pub fn phase(&self, n: NodeIx) -> Phase {
        self.shared.status[n.ix()].load().phase()
    }

    /// Whether every node is done (the condition for `reset` after a run).
    pub fn all_terminal(&self) -> bool {
        self.shared
            .status
            .iter()
            .all(|s| s.load().phase().is_terminal())
    }

    /// Whether the state equals a new one in every observable way: no slot
    /// written, every node `Waiting` with its initial pending count, no
    /// latency, no failure, empty scratch. (The future cells are not
    /// looked at: they are reachable only through `&mut`, and a cell holds
    /// a future only while its node is in flight; `reset` asserts them
    /// empty in debug builds.)
    pub fn is_clean(&self, plan: &Plan) -> bool {
        self.shared.slots.iter().all(|s| s.get().is_none())
            && self.shared.status.iter().all(|s| {
                let snap = s.load();
                snap.phase() == Phase::Waiting && snap.generation() == self.generation
            })
            && self
                .shared
                .pending
                .iter()
                .zip(plan.initial_pending())
                .all(|(p, &want)| p.load(Ordering::Relaxed) == want)
            && self
                .shared
                .latency_ns
                .iter()
                .all(|l| l.load(Ordering::Relaxed) == 0)
            && self.shared.failures.iter().all(|f| f.borrow().is_none())
            && self.scratch.ready.is_empty()
            && self.scratch.in_flight.is_empty()
    }

    /// Drops any in-flight futures (a panic while dropping one is caught:
    /// the node is cancelled either way) and cancels every node that is not
    /// done (rule S7).
    pub(crate) fn cancel_all(&mut self) {
        cancel_in_flight(&mut self.scratch.in_flight, &mut self.scratch.cells);
        for cell in self.shared.status.iter() {
            // Refused means the node is already done; Stale cannot happen
            // because this is the state's own generation.
            let _ = cell.cancel(self.generation);
        }
        self.scratch.ready.clear();
    }

    /// Resets the state for the next execution (rule S9).
    pub fn reset(&mut self, plan: &Plan) {
        if !self.scratch.in_flight.is_empty() {
            self.cancel_all();
        }
        debug_assert!(self.scratch.in_flight.is_empty());
        debug_assert!(
            self.scratch
                .cells
                .iter_mut()
                .flatten()
                .all(|c| c.get_mut().is_empty()),
            "a future cell holds a future with nothing in flight"
        );
        self.generation = (self.generation + 1) & GENERATION_MASK;
        let generation = self.generation;
        for cell in self.shared.status.iter_mut() {
            cell.reset(generation);
        }
        for (p, &initial) in self.shared.pending.iter_mut().zip(plan.initial_pending()) {
            store_mut(p, initial);
        }
        for slot in self.shared.slots.iter_mut() {
            // Scalars own no heap memory: their slots skip the out-of-line
            // drop glue.
            slot.clear(|v| !matches!(v, CValue::Int(_) | CValue::Float(_) | CValue::Boolean(_)));
        }
        for l in self.shared.latency_ns.iter_mut() {
            store_mut(l, 0);
        }
        if self.scratch.dirty_failures {
            for f in self.shared.failures.iter_mut() {
                *f.get_mut() = None;
            }
            self.scratch.dirty_failures = false;
        }
        self.scratch.ready.clear();
        self.scratch.stack.clear();
        for o in self.scratch.call_outcomes.iter_mut() {
            *o = None;
        }
        self.scratch.options_interrupted = None;
    }
}
