//! The latency clock: quanta's calibrated clock, read inline.
//!
//! A run of trivial sync modules reads the clock once per module, so the
//! read is on the hot path. `quanta::Clock::raw` is an out-of-line call
//! that matches on the clock's source (TSC, the OS's monotonic clock, or a
//! mock) before reading it: about a dozen instructions around a one
//! instruction read. Where quanta uses the TSC, this clock reads the TSC
//! itself, inline, and leaves everything else (calibration, conversion to
//! nanoseconds, the fallback) to quanta.
//!
//! Whether quanta uses the TSC is not part of its API, so it is observed
//! once, at first use: a quanta reading taken between two TSC readings
//! falls between them only if it *is* a TSC reading. A monotonic-clock
//! reading (nanoseconds) would have to land in a window a few dozen ticks
//! wide, on a different scale, on every try; it is never mistaken for one.
//! When the check fails, or off x86-64, every read goes through quanta.
//!
//! The ticks of both kinds of read are the same ticks quanta converts with
//! [`LatencyClock::nanos`], so readings taken either way compare.

use std::sync::OnceLock;
use std::time::Duration;

#[cfg(not(miri))]
type Source = quanta::Clock;
#[cfg(miri)]
type Source = miri_source::StdClock;

/// Raw ticks, read inline where quanta's source is the TSC.
pub(crate) struct LatencyClock {
    quanta: Source,
    /// quanta reads the TSC: read it here, inline.
    direct: bool,
}

impl LatencyClock {
    /// The process's clock, calibrated at first use.
    #[inline]
    pub(crate) fn get() -> &'static LatencyClock {
        static CLOCK: OnceLock<LatencyClock> = OnceLock::new();
        CLOCK.get_or_init(|| {
            let quanta = Source::new();
            let direct = quanta_reads_the_tsc(&quanta);
            LatencyClock { quanta, direct }
        })
    }

    /// The current reading, in ticks.
    #[inline(always)]
    pub(crate) fn now(&self) -> u64 {
        if self.direct {
            tsc()
        } else {
            self.quanta.raw()
        }
    }

    /// `ticks` (a difference of two readings) in nanoseconds.
    #[inline]
    pub(crate) fn nanos(&self, ticks: u64) -> u64 {
        self.quanta.delta_as_nanos(0, ticks)
    }

    /// How many ticks `d` lasts (for comparing durations with readings
    /// without converting every reading).
    pub(crate) fn ticks_in(&self, d: Duration) -> u64 {
        const PROBE: u64 = 1 << 32;
        let probe_nanos = u128::from(self.nanos(PROBE).max(1));
        u64::try_from(d.as_nanos() * u128::from(PROBE) / probe_nanos).unwrap_or(u64::MAX)
    }

    /// Nanoseconds from reading `start` to reading `end`.
    pub(crate) fn nanos_between(&self, start: u64, end: u64) -> u64 {
        self.quanta.delta_as_nanos(start, end)
    }

    /// Whether reads skip quanta: the TSC, read with [`tsc`].
    #[inline]
    pub(crate) fn is_direct(&self) -> bool {
        self.direct
    }
}

/// The TSC, read inline; only where [`LatencyClock::is_direct`] holds.
#[cfg(all(target_arch = "x86_64", not(miri)))]
#[inline(always)]
pub(crate) fn tsc() -> u64 {
    // SAFETY: `_rdtsc` is `unsafe` only as every intrinsic is; RDTSC exists
    // on every x86-64 processor, takes no operands and touches no memory,
    // so no precondition can be broken.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// The TSC, read inline; only where [`LatencyClock::is_direct`] holds.
#[cfg(not(all(target_arch = "x86_64", not(miri))))]
#[inline(always)]
pub(crate) fn tsc() -> u64 {
    unreachable!("the TSC is read only where `quanta_reads_the_tsc` found one")
}

#[cfg(all(target_arch = "x86_64", not(miri)))]
fn quanta_reads_the_tsc(quanta: &quanta::Clock) -> bool {
    // quanta's OS-clock source counts nanoseconds and converts deltas
    // unchanged; its TSC source scales them.
    if quanta.delta_as_nanos(0, 1 << 32) == 1 << 32 {
        return false;
    }
    // One success is proof; a few tries cover a thread moved to another
    // core between the reads.
    (0..16).any(|_| {
        let before = tsc();
        let reading = quanta.raw();
        let after = tsc();
        before <= reading && reading <= after
    })
}

#[cfg(not(all(target_arch = "x86_64", not(miri))))]
fn quanta_reads_the_tsc(_: &Source) -> bool {
    false
}

/// Miri cannot run quanta (it detects the TSC with inline assembly), so
/// under Miri the ticks are nanoseconds of std's monotonic clock.
#[cfg(miri)]
mod miri_source {
    pub(crate) struct StdClock(std::time::Instant);

    impl StdClock {
        pub(crate) fn new() -> Self {
            StdClock(std::time::Instant::now())
        }

        pub(crate) fn raw(&self) -> u64 {
            u64::try_from(self.0.elapsed().as_nanos()).unwrap_or(u64::MAX)
        }

        pub(crate) fn delta_as_nanos(&self, start: u64, end: u64) -> u64 {
            end.saturating_sub(start)
        }
    }
}

#[cfg(all(test, not(asterism_loom)))]
mod tests {
    use super::*;

    #[test]
    fn readings_advance_and_agree_with_quanta() {
        let clock = LatencyClock::get();
        let a = clock.now();
        let q = clock.quanta.raw();
        let b = clock.now();
        assert!(a <= b, "{a} then {b}");
        if clock.is_direct() {
            // Inline and quanta readings are the same ticks.
            assert!(a <= q && q <= b, "{a} <= {q} <= {b}");
        }
        let t = std::time::Instant::now();
        let start = clock.now();
        while t.elapsed() < Duration::from_millis(2) {}
        let ns = clock.nanos(clock.now() - start);
        let ticks_per_ms = clock.ticks_in(Duration::from_millis(1));
        let back = clock.nanos(ticks_per_ms);
        assert!(
            (999_000..=1_001_000).contains(&back),
            "1 ms -> {ticks_per_ms} ticks -> {back} ns"
        );
        // At least 2 ms passed by `Instant`; the clock must count them
        // (to within a calibration far better than a factor of two).
        assert!(ns >= 1_000_000, "{ns} ns");
    }
}
