//! What the executor is given for a run ([`ExecCtx`]) and what it counts
//! ([`RunCounts`]), shared by every file of the executor.

use asterism_compiler::Plan;

use crate::exec::run_options::RunOptions;
use crate::program::node_table::NodeTable;

/// What the executor needs of a bound program.
pub(crate) struct ExecCtx<'a> {
    pub(crate) plan: &'a Plan,
    /// Per node: body, rows, timeout (built at bind).
    pub(crate) table: &'a NodeTable,
    /// This run records module latencies (the configuration, and this
    /// execution drawn by the sampling).
    pub(crate) record_latency: bool,
    /// The run's deadline and cancellation, for the waits of modules with
    /// options under `run_sync_with` (`None` otherwise: under `run` the
    /// run's watch ends them).
    pub(crate) run_options: Option<&'a RunOptions>,
}

/// Counts of one run, summed into the program's metrics once at the end.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RunCounts {
    pub(crate) modules_run: u64,
    pub(crate) failed: u64,
    pub(crate) timed_out: u64,
    pub(crate) skipped: u64,
}
