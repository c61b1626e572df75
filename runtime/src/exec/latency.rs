//! Module latencies: the clock the executor reads ([`latency_clock`]),
//! the timing of a body (a start, a stop that starts the next one, the
//! timeout check of a sync body) and the latency word a state keeps per
//! module (raw clock ticks, converted when read, or nanoseconds).
//!
//! The chain of readings across a pass is `latency_chain.rs`; the clock
//! itself is `clock.rs`.

use std::time::Duration;

use crate::exec::clock::LatencyClock;
use crate::exec::ctx::ExecCtx;
use crate::program::node_table::NodeOp;
use crate::state::failure::NodeFailure;
use crate::state::sync::{store_mut, AtomicU64};
use crate::state::Shared;

/// The clock of sync-module latencies, read as raw ticks in the loop and
/// converted when read.
#[inline]
pub(crate) fn latency_clock() -> &'static LatencyClock {
    LatencyClock::get()
}

/// An async module's clock start: chained like a sync module's, so a
/// future ready at once ends its latency with the read that starts the
/// next module's; read when latencies are recorded or the module has a
/// timeout (its first poll is timed like a sync body). The chain is broken
/// here (a pending future's latency is measured from the in-flight list).
#[inline(always)]
pub(crate) fn async_start_clock(
    ctx: &ExecCtx<'_>,
    op: &NodeOp,
    clock: &mut Option<u64>,
    tsc: &LatencyClock,
) -> Option<u64> {
    let started =
        (ctx.record_latency || op.has_timeout).then(|| clock.unwrap_or_else(|| tsc.now()));
    *clock = None;
    started
}

/// Records the latency of an async module whose first poll was ready;
/// returns the ticks it took (for its timeout), if the clock was read.
#[inline(always)]
pub(crate) fn record_ready(
    ctx: &ExecCtx<'_>,
    shared: &mut Shared,
    op: &NodeOp,
    started: Option<u64>,
    clock: &mut Option<u64>,
    tsc: &LatencyClock,
) -> Option<u64> {
    let ticks = stop_clock(started, clock, tsc);
    record_ticks(ctx.record_latency, &mut shared.latency_ns, op, ticks);
    ticks
}

/// A module that reached its timeout: the failure.
#[cold]
pub(crate) fn timed_out(op: &NodeOp) -> NodeFailure {
    NodeFailure::timeout(op.timeout().unwrap_or_default())
}

/// Ends a body's timing: one read, which also starts the next module's
/// (the chain). Returns the ticks elapsed, saturating (a counter read on
/// another core can be a little behind).
#[inline(always)]
pub(crate) fn stop_clock(
    started: Option<u64>,
    clock: &mut Option<u64>,
    tsc: &LatencyClock,
) -> Option<u64> {
    started.map(|s| {
        let e = tsc.now();
        *clock = Some(e);
        e.saturating_sub(s)
    })
}

/// Stores a module's latency, if recorded, as a tick word.
#[inline(always)]
pub(crate) fn record_ticks(
    record: bool,
    latency: &mut [AtomicU64],
    op: &NodeOp,
    ticks: Option<u64>,
) {
    if let (true, Some(t)) = (record, ticks) {
        store_mut(&mut latency[op.module.ix()], latency_ticks(t));
    }
}

/// Bit 63 of a latency word: the rest is raw ticks of [`latency_clock`]
/// (the sync path, which stores ticks and leaves the conversion to the
/// reader); clear, the rest is nanoseconds.
pub(crate) const TICKS_FLAG: u64 = 1 << 63;

/// A latency word holding raw clock ticks.
#[inline]
pub(crate) fn latency_ticks(ticks: u64) -> u64 {
    // Deltas are saturating (a counter read on another core can be a little
    // behind), so a tick count is a real duration and never reaches 2^63
    // (a century of a 3 GHz counter).
    ticks | TICKS_FLAG
}

/// A latency word holding nanoseconds.
#[inline]
pub(crate) fn latency_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX) & !TICKS_FLAG
}

/// The duration a latency word holds.
pub(crate) fn latency_duration(word: u64) -> Duration {
    if word & TICKS_FLAG != 0 {
        Duration::from_nanos(latency_clock().nanos(word & !TICKS_FLAG))
    } else {
        Duration::from_nanos(word)
    }
}

/// Whether a sync module that took `ticks` of the latency clock overran
/// its timeout: one comparison when it has none (the common case), the
/// conversion out of line when it has one.
#[inline(always)]
pub(crate) fn overran(op: &NodeOp, ticks: Option<u64>) -> bool {
    // Ticks first: a pass that reads no clock knows they are `None` and
    // drops the test.
    ticks.is_some()
        && op
            .timeout_nanos()
            .is_some_and(|limit| overran_by(limit, ticks))
}

#[cold]
#[inline(never)]
pub(crate) fn overran_by(limit_nanos: u64, ticks: Option<u64>) -> bool {
    // Reaching the timeout is overrunning it: a timeout of 0 times every
    // module out, and a pending future is dropped at its deadline too.
    ticks.is_some_and(|t| latency_clock().nanos(t) >= limit_nanos)
}

#[cfg(all(test, not(asterism_loom)))]
mod tests {
    use super::*;

    #[test]
    fn latency_words_decode_to_what_was_stored() {
        let d = Duration::from_micros(1234);
        assert_eq!(latency_duration(latency_nanos(d)), d);
        assert_eq!(latency_duration(0), Duration::ZERO);
        let ticks = 987_654;
        let word = latency_ticks(ticks);
        assert_ne!(word, ticks, "a tick word is marked");
        assert_eq!(
            latency_duration(word),
            Duration::from_nanos(latency_clock().nanos(ticks))
        );
        // Nanoseconds past 2^63 saturate below the mark rather than
        // turning into a tick count.
        assert_eq!(latency_nanos(Duration::MAX) & TICKS_FLAG, 0);
    }
}
