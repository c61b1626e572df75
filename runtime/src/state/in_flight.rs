//! The in-flight list and the future cells a state keeps (its driver-only
//! scratch): a started async module whose future is not finished
//! ([`InFlight`]), the per-node cells typed async modules build their
//! futures in ([`FutureCells`]), and dropping what will not finish
//! ([`cancel_in_flight`], rule S7: in-flight futures are dropped first).
//! The executor fills them (`exec/future_cells.rs`); the state empties
//! them when it cancels or resets.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;

use asterism_compiler::NodeIx;
use tokio::time::Instant;

use crate::modules::io::{BoxFuture, ModuleError, ModuleOutput};
use crate::modules::typed::FutureCell;
use crate::options::apply::Finished;
use crate::options::runner::CallOutcome;

/// Per node, the cell a typed async node's futures run in, once made.
pub(crate) type FutureCells = Vec<Option<Exclusive<Pin<Box<dyn FutureCell>>>>>;

/// A started async module whose future is not finished.
pub(crate) struct InFlight {
    pub(crate) node: NodeIx,
    /// The latency clock's reading at its start, when the run records
    /// latencies.
    pub(crate) started: Option<u64>,
    pub(crate) deadline: Option<Instant>,
    /// The bound the deadline enforces (its timeout, or `max-pending-ms`),
    /// for the failure's message.
    pub(crate) limit: std::time::Duration,
    /// The driver's poll (`Scratch::driver_polls`) that started it.
    pub(crate) parked_in: u64,
    pub(crate) future: Exclusive<ModuleFutureOf>,
}

/// An in-flight module's future, of either kind.
pub(crate) enum ModuleFutureOf {
    /// A typed module's, kept in the node's cell (`Scratch::cells`): writes
    /// its one value into the output slot.
    Cell,
    /// A raw module's: returns its outputs, checked when stored.
    Raw(BoxFuture<Result<ModuleOutput, ModuleError>>),
    /// A module with options: its policy's call (`options/apply.rs`).
    Optioned(BoxFuture<(Finished, CallOutcome)>),
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

/// Drops the future in node `n`'s cell, if it has one (see `clear_cell`).
#[inline]
pub(crate) fn clear_node_cell(cells: &mut FutureCells, n: NodeIx) {
    if let Some(Some(cell)) = cells.get_mut(n.ix()) {
        clear_cell(cell.get_mut().as_mut());
    }
}

/// Drops the future in a cell that will not finish. A panic from its drop
/// is caught and dropped: the node has failed or is cancelled already.
#[inline]
pub(crate) fn clear_cell(cell: Pin<&mut dyn FutureCell>) {
    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| cell.clear())) {
        let _ = catch_unwind(AssertUnwindSafe(move || drop(panic)));
    }
}

/// Drops every in-flight future, cell or box (a panic while dropping one
/// is caught: the node is cancelled either way), leaving the in-flight
/// list and every cell empty.
pub(crate) fn cancel_in_flight(in_flight: &mut Vec<InFlight>, cells: &mut FutureCells) {
    for flight in in_flight.drain(..) {
        if matches!(flight.future.0, ModuleFutureOf::Cell) {
            clear_node_cell(cells, flight.node);
        }
        let _ = catch_unwind(AssertUnwindSafe(move || drop(flight)));
    }
}
