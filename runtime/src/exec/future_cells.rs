//! Starting futures in place: the per-node cell a typed async module's
//! futures are built in (made on the node's first start in a state, then
//! reused by every later run), and the parking of a future left pending
//! in the in-flight list (`state/in_flight.rs` owns both lists and their
//! clean-up).

use std::pin::Pin;
use std::time::Duration;

use asterism_compiler::{NodeIx, Plan};
use tokio::time::Instant;

use crate::exec::clock::LatencyClock;
use crate::modules::module::TypedAsyncBodies;
use crate::modules::typed::FutureCell;
use crate::program::node_table::{NodeOp, NodeTable};
use crate::state::in_flight::{Exclusive, FutureCells, InFlight, ModuleFutureOf};
use crate::state::Scratch;

/// Node `n`'s future cell, made on its first start in this state (the
/// cells' list is sized then too: a state of a plan without typed async
/// modules never allocates it).
#[inline(always)]
pub(crate) fn future_cell<'a>(
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
pub(crate) fn size_cells(cells: &mut FutureCells, plan: &Plan) {
    cells.resize_with(plan.node_count(), || None);
}

/// Parks a started async module whose first poll was pending. Its timeout
/// counts from its start, first poll included (`started`, when the clock
/// was read); a module with no timeout of its own is bounded by the
/// program's `max-pending-ms`, from now.
#[inline]
pub(crate) fn park(
    table: &NodeTable,
    scratch: &mut Scratch,
    n: NodeIx,
    op: &NodeOp,
    future: ModuleFutureOf,
    started: Option<u64>,
    tsc: &LatencyClock,
) {
    let now = Instant::now();
    let (begun, limit) = match op.timeout() {
        Some(t) => {
            let spent = started.map_or(0, |s| tsc.nanos(tsc.now().saturating_sub(s)));
            let begun = now.checked_sub(Duration::from_nanos(spent)).unwrap_or(now);
            (begun, Some(t))
        }
        None => (now, table.max_pending()),
    };
    scratch.in_flight.push(InFlight {
        node: n,
        started: begun,
        // A timeout past the clock's range never fires.
        deadline: limit.and_then(|t| begun.checked_add(t)),
        future: Exclusive::new(future),
    });
}
