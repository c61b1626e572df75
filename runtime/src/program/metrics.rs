//! Counters of a program's executions, read as a [`MetricsSnapshot`].
//!
//! A run counts into locals and adds them here once, at its end: a handful
//! of relaxed atomic adds per execution, none per module, into the calling
//! thread's shard (see `shard.rs`), so threads running executions of
//! one program do not contend for the counters' cache lines. A snapshot
//! sums the shards.

use crate::program::pool::PoolStats;
use crate::program::shard::{self, Padded};
use crate::state::sync::{AtomicU64, Ordering};

/// Live counters of one program, one set per shard.
#[derive(Debug)]
pub(crate) struct Metrics {
    shards: Box<[Padded<Counters>]>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            shards: shard::padded(),
        }
    }
}

/// One shard's counters.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) executions_started: AtomicU64,
    pub(crate) executions_succeeded: AtomicU64,
    pub(crate) executions_failed: AtomicU64,
    pub(crate) executions_aborted: AtomicU64,
    pub(crate) executions_rejected: AtomicU64,
    pub(crate) modules_run: AtomicU64,
    pub(crate) modules_failed: AtomicU64,
    pub(crate) modules_timed_out: AtomicU64,
    pub(crate) nodes_skipped: AtomicU64,
}

impl Metrics {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        if n != 0 {
            counter.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// The calling thread's counters.
    #[inline]
    pub(crate) fn local(&self) -> &Counters {
        &self.shards[shard::current()].0
    }

    pub(crate) fn snapshot(&self, pool: PoolStats) -> MetricsSnapshot {
        let sum = |pick: fn(&Counters) -> &AtomicU64| {
            self.shards
                .iter()
                .map(|s| pick(&s.0).load(Ordering::Relaxed))
                .fold(0u64, u64::wrapping_add)
        };
        MetricsSnapshot {
            executions_started: sum(|c| &c.executions_started),
            executions_succeeded: sum(|c| &c.executions_succeeded),
            executions_failed: sum(|c| &c.executions_failed),
            executions_aborted: sum(|c| &c.executions_aborted),
            executions_rejected: sum(|c| &c.executions_rejected),
            modules_run: sum(|c| &c.modules_run),
            modules_failed: sum(|c| &c.modules_failed),
            modules_timed_out: sum(|c| &c.modules_timed_out),
            nodes_skipped: sum(|c| &c.nodes_skipped),
            pool,
        }
    }
}

/// A point-in-time copy of a program's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MetricsSnapshot {
    /// Executions begun (including those rejected for bad inputs).
    pub executions_started: u64,
    /// Executions in which every node completed.
    pub executions_succeeded: u64,
    /// Executions that ended with a failed, timed-out or skipped node.
    pub executions_failed: u64,
    /// Executions cancelled or past their deadline.
    pub executions_aborted: u64,
    /// Executions refused for bad inputs (nothing ran).
    pub executions_rejected: u64,
    /// Module runs started.
    pub modules_run: u64,
    /// Module and transform runs that failed (error or panic).
    pub modules_failed: u64,
    /// Module runs that timed out.
    pub modules_timed_out: u64,
    /// Nodes skipped because something upstream failed.
    pub nodes_skipped: u64,
    /// The state pool's counters (hits, misses, returns, drops, resets).
    pub pool: PoolStats,
}
