//! The latency chain of a pass: the clock readings around sync bodies.
//!
//! Consecutive sync modules share a read: the one that ends a module's
//! body starts the next one's, so a run of `n` modules costs `n + 1` reads,
//! and a module's latency includes the few nanoseconds of bookkeeping
//! before it. Any other node (a transform, an async module) breaks the
//! chain.
//!
//! Two forms, chosen once per pass:
//!
//! - [`TscChain`]: latencies are recorded and the clock reads the TSC
//!   inline (`clock.rs`), the common case on x86-64. The last reading is a
//!   plain `u64`, always there, so a module's timing is one `rdtsc`, one
//!   subtraction and one store: no test of whether a reading exists, of
//!   whether to record, or of the clock's source.
//! - [`GeneralChain`]: everything else (latency off, another clock
//!   source, the dataflow loop). The last reading is optional and a node
//!   is read only if it is `timed` (the run records latencies or the node
//!   has a timeout).
//!
//! - [`Unclocked`]: no node is timed (the run records no latencies, no
//!   module has a timeout): no reads at all, and no code for them in the
//!   pass.
//!
//! All hand out readings as `Option<u64>` so that the node functions are
//! written once; inlined, [`TscChain`]'s `Some` and [`Unclocked`]'s `None`
//! are known and the tests fold away.

use crate::exec::clock::{tsc, LatencyClock};

/// The reading a body starts at, for a chain kept as an optional reading
/// (see [`LatencyChain::start`]). An untimed node ends the chain: the
/// bodies after it do not read the clock for its sake, and a timed one
/// after it starts from a fresh read rather than from a reading taken
/// before the untimed body ran.
#[inline(always)]
pub(crate) fn start_clock(
    last: &mut Option<u64>,
    timed: bool,
    clock: &LatencyClock,
) -> Option<u64> {
    if !timed {
        *last = None;
        return None;
    }
    Some(last.unwrap_or_else(|| clock.now()))
}

/// The clock readings of one pass.
pub(crate) trait LatencyChain: Sized {
    /// Whether module latencies are stored: always, never, or (`None`) as
    /// the run decides (`ExecCtx::record_latency`).
    const RECORDS: Option<bool>;

    /// A chain at the start of a pass; `at`, a reading just taken, may
    /// serve as the first body's start.
    fn begin(clock: &'static LatencyClock, at: Option<u64>) -> Self;

    /// The reading a sync body starts at: none if the node is not `timed`
    /// (the run records no latencies and it has no timeout), which breaks
    /// the chain; else the previous body's end while the chain is
    /// unbroken, or a fresh read.
    fn start(&mut self, timed: bool) -> Option<u64>;

    /// Ends a body's timing with one read, which also starts the next
    /// body's. Returns the ticks elapsed, saturating (a counter read on
    /// another core can be a little behind).
    fn stop(&mut self, started: Option<u64>) -> Option<u64>;

    /// The last reading, or a fresh one (for the watch).
    fn now(&mut self) -> u64;

    /// Runs a node that keeps the chain as an optional reading (every
    /// kind other than a typed sync module), then takes the chain back.
    fn detour<R>(&mut self, node: impl FnOnce(&mut Option<u64>) -> R) -> R;
}

/// Any clock, recording or not: the last reading is optional.
pub(crate) struct GeneralChain {
    last: Option<u64>,
    clock: &'static LatencyClock,
}

impl LatencyChain for GeneralChain {
    const RECORDS: Option<bool> = None;

    /// No reading yet: with latency off, `at` must not make the first
    /// body timed.
    #[inline]
    fn begin(clock: &'static LatencyClock, _at: Option<u64>) -> Self {
        GeneralChain { last: None, clock }
    }

    #[inline(always)]
    fn start(&mut self, timed: bool) -> Option<u64> {
        start_clock(&mut self.last, timed, self.clock)
    }

    #[inline(always)]
    fn stop(&mut self, started: Option<u64>) -> Option<u64> {
        started.map(|s| {
            let e = self.clock.now();
            self.last = Some(e);
            e.saturating_sub(s)
        })
    }

    #[inline]
    fn now(&mut self) -> u64 {
        self.last.unwrap_or_else(|| self.clock.now())
    }

    #[inline(always)]
    fn detour<R>(&mut self, node: impl FnOnce(&mut Option<u64>) -> R) -> R {
        node(&mut self.last)
    }
}

/// Latencies recorded, the TSC read inline: the last reading is always
/// there. Only for a clock whose [`LatencyClock::is_direct`] holds.
pub(crate) struct TscChain {
    last: u64,
}

impl LatencyChain for TscChain {
    const RECORDS: Option<bool> = Some(true);

    /// Started at `at`, or with one read.
    #[inline]
    fn begin(clock: &'static LatencyClock, at: Option<u64>) -> Self {
        debug_assert!(clock.is_direct(), "the TSC chain needs a direct clock");
        TscChain {
            last: at.unwrap_or_else(tsc),
        }
    }

    #[inline(always)]
    fn start(&mut self, _timed: bool) -> Option<u64> {
        Some(self.last)
    }

    #[inline(always)]
    fn stop(&mut self, started: Option<u64>) -> Option<u64> {
        let e = tsc();
        self.last = e;
        started.map(|s| e.saturating_sub(s))
    }

    #[inline]
    fn now(&mut self) -> u64 {
        self.last
    }

    #[inline(always)]
    fn detour<R>(&mut self, node: impl FnOnce(&mut Option<u64>) -> R) -> R {
        let mut last = Some(self.last);
        let r = node(&mut last);
        // A node that broke the chain (a transform, an async module) left
        // no reading: start again from now.
        self.last = last.unwrap_or_else(tsc);
        r
    }
}

/// No node is timed: the pass reads no clock (only [`LatencyChain::now`]
/// does, for the watch and the run's end).
pub(crate) struct Unclocked {
    clock: &'static LatencyClock,
}

impl LatencyChain for Unclocked {
    const RECORDS: Option<bool> = Some(false);

    #[inline]
    fn begin(clock: &'static LatencyClock, _at: Option<u64>) -> Self {
        Unclocked { clock }
    }

    #[inline(always)]
    fn start(&mut self, timed: bool) -> Option<u64> {
        debug_assert!(!timed, "an unclocked pass has no timed node");
        None
    }

    #[inline(always)]
    fn stop(&mut self, _started: Option<u64>) -> Option<u64> {
        None
    }

    #[inline]
    fn now(&mut self) -> u64 {
        self.clock.now()
    }

    #[inline(always)]
    fn detour<R>(&mut self, node: impl FnOnce(&mut Option<u64>) -> R) -> R {
        node(&mut None)
    }
}
