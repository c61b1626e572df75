//! What the executor is given for a run ([`ExecCtx`]) and what it counts
//! ([`RunCounts`]), shared by every file of the executor.

use asterism_compiler::Plan;

use crate::program::node_table::NodeTable;

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
