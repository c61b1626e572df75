//! The wait before each retry (RFC-005 `delay`, RFC-006 `backoff`).
//!
//! With base delay `D`, the wait between attempt `n` and attempt `n + 1`
//! (`n` from 1) is, before the cap:
//!
//! | attempt | fixed | linear | exponential |
//! |---------|-------|--------|-------------|
//! | 1 -> 2  | D     | D      | D           |
//! | 2 -> 3  | D     | 2D     | 2D          |
//! | 3 -> 4  | D     | 3D     | 4D          |
//! | n -> n+1| D     | n x D  | 2^(n-1) x D |
//!
//! and every wait is at most the cap (30 s unless `backoffCapMs` says
//! otherwise). No wait comes before the first attempt. Arithmetic
//! saturates: a huge retry count reaches the cap, never overflows.
//!
//! No crate fits better than these few lines: `backoff` and
//! `exponential-backoff` add jitter and wall-clock elapsed-time budgets we
//! do not want (the RFC's tables are exact, and the deadline is the run's).

use std::time::Duration;

use super::policy::{Backoff, CallPolicy};

/// The wait between attempt `attempt` and the next (`attempt` counts from
/// 1), capped at `cap`.
pub fn wait_after(backoff: Backoff, base: Duration, attempt: u32, cap: Duration) -> Duration {
    let n = attempt.max(1);
    let raw = match backoff {
        Backoff::Fixed => base,
        Backoff::Linear => base.saturating_mul(n),
        Backoff::Exponential => {
            let shift = n - 1;
            let factor = if shift >= 32 { u32::MAX } else { 1u32 << shift };
            base.saturating_mul(factor)
        }
    };
    raw.min(cap)
}

impl CallPolicy {
    /// The wait between attempt `attempt` (from 1) and the next.
    pub fn wait_after(&self, attempt: u32) -> Duration {
        wait_after(self.backoff, self.delay, attempt, self.backoff_cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    fn row(b: Backoff, base: Duration, n: u32) -> Vec<Duration> {
        (1..=n)
            .map(|a| wait_after(b, base, a, Duration::from_secs(30)))
            .collect()
    }

    #[test]
    fn the_rfc_tables() {
        let secs = |v: &[u64]| {
            v.iter()
                .map(|s| Duration::from_secs(*s))
                .collect::<Vec<_>>()
        };
        assert_eq!(row(Backoff::Fixed, S, 5), secs(&[1, 1, 1, 1, 1]));
        assert_eq!(row(Backoff::Linear, S, 5), secs(&[1, 2, 3, 4, 5]));
        assert_eq!(row(Backoff::Exponential, S, 5), secs(&[1, 2, 4, 8, 16]));
        // RFC-006: "Delays: 1s, 2s, 4s, 8s, 16s, 30s, 30s, 30s, 30s (capped at 30s)".
        assert_eq!(
            row(Backoff::Exponential, S, 9),
            secs(&[1, 2, 4, 8, 16, 30, 30, 30, 30])
        );
        // RFC-006 example: 100 ms base doubles to 1,600 ms.
        let ms = Duration::from_millis(100);
        assert_eq!(
            row(Backoff::Exponential, ms, 5),
            [100, 200, 400, 800, 1600]
                .iter()
                .map(|m| Duration::from_millis(*m))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn the_cap_is_settable_and_applies_to_every_strategy() {
        let cap = Duration::from_millis(2500);
        assert_eq!(wait_after(Backoff::Exponential, S, 3, cap), cap);
        assert_eq!(wait_after(Backoff::Linear, S, 3, cap), cap);
        assert_eq!(wait_after(Backoff::Fixed, 2 * cap, 1, cap), cap);
        assert_eq!(wait_after(Backoff::Exponential, S, u32::MAX, cap), cap);
        assert_eq!(
            wait_after(Backoff::Linear, S, u32::MAX, Duration::MAX),
            S * u32::MAX
        );
        let p = CallPolicy {
            delay: Duration::from_millis(10),
            backoff: Backoff::Linear,
            ..Default::default()
        };
        assert_eq!(p.wait_after(4), Duration::from_millis(40));
        assert_eq!(CallPolicy::default().wait_after(1), Duration::ZERO);
    }
}
