//! Between-node checks of an execution's deadline and cancellation token.
//!
//! While an async module is pending, the driver waits on the token's
//! future and on a timer armed for the deadline (`drive_poll`, `dataflow.rs`).
//! Sync work cannot be interrupted, but it can be stopped between two
//! nodes: the run loops ask the [`Watch`] after every node that has more
//! work after it, so a token cancelled from another thread, or a deadline
//! passed during a slow sync module, stops the run within
//! [`CHECK_EVERY`] of the next node boundary rather than at its end.
//!
//! Neither source is cheap to read: `CancellationToken::is_cancelled` locks
//! the token's mutex (shared by every execution that uses one shutdown
//! token), and the deadline is a tokio `Instant` (so that a paused test
//! clock governs it as it governs the driver's timer), whose clock costs
//! more than a trivial module. So the watch reads them only when the
//! latency clock, whose reading the loop already holds, says
//! [`CHECK_EVERY`] has passed since the last read: per node, one
//! comparison of ticks. The first node after the start is always checked.
//!
//! A run with neither (every `run_sync`, and `run` without options) has no
//! watch at all, and its loops test one `None` per node.
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::exec::clock::LatencyClock;
use crate::exec::run_options::{Abort, RunOptions};

/// How long sync work may go on before the watch reads the token and the
/// deadline's clock again.
pub(crate) const CHECK_EVERY: Duration = Duration::from_micros(2);

/// The checks of one run.
pub(crate) struct Watch<'a> {
    cancel: Option<&'a CancellationToken>,
    deadline: Option<Instant>,
    /// [`CHECK_EVERY`] in latency-clock ticks.
    every_ticks: u64,
    /// The latency-clock reading from which the sources are read again.
    next_read: u64,
}

impl<'a> Watch<'a> {
    /// The checks `options` ask for; `None` if they ask for none.
    pub(crate) fn new(options: &'a RunOptions, clock: &LatencyClock) -> Option<Watch<'a>> {
        if options.cancel.is_none() && options.deadline.is_none() {
            return None;
        }
        Some(Watch {
            cancel: options.cancel.as_ref(),
            deadline: options.deadline,
            every_ticks: clock.ticks_in(CHECK_EVERY),
            next_read: 0,
        })
    }

    /// Whether the run must stop, given the latency clock's reading `now`.
    #[inline]
    pub(crate) fn check(&mut self, now: u64) -> Option<Abort> {
        if now < self.next_read {
            return None;
        }
        self.next_read = now.saturating_add(self.every_ticks);
        if self.cancel.is_some_and(CancellationToken::is_cancelled) {
            return Some(Abort::Cancelled);
        }
        let deadline = self.deadline?;
        (Instant::now() >= deadline).then_some(Abort::DeadlineExceeded)
    }
}

#[cfg(all(test, not(asterism_loom)))]
mod tests {
    use super::*;

    #[test]
    fn no_options_no_watch() {
        assert!(Watch::new(&RunOptions::default(), LatencyClock::get()).is_none());
    }

    #[test]
    fn a_cancelled_token_is_seen_once_the_interval_has_passed() {
        let token = CancellationToken::new();
        let options = RunOptions::with_cancel(token.clone());
        let mut watch = Watch::new(&options, LatencyClock::get()).expect("a token");
        assert_eq!(watch.check(10), None);
        token.cancel();
        let every = watch.every_ticks;
        assert_eq!(
            watch.check(10 + every - 1),
            None,
            "read at most every interval"
        );
        assert_eq!(watch.check(10 + every), Some(Abort::Cancelled));
    }

    #[test]
    fn a_passed_deadline_is_seen_at_the_first_check_then_read_at_intervals() {
        let options = RunOptions {
            deadline: Some(Instant::now() - Duration::from_millis(1)),
            cancel: None,
        };
        let mut watch = Watch::new(&options, LatencyClock::get()).expect("a deadline");
        assert_eq!(watch.check(100), Some(Abort::DeadlineExceeded));
        // Read again only once the interval has passed on the latency clock.
        let every = watch.every_ticks;
        assert!(every > 0);
        assert_eq!(watch.check(100 + every - 1), None);
        assert_eq!(watch.check(100 + every), Some(Abort::DeadlineExceeded));
    }

    #[test]
    fn a_future_deadline_does_not_stop_the_run() {
        let options = RunOptions::with_timeout(Duration::from_secs(3600));
        let mut watch = Watch::new(&options, LatencyClock::get()).expect("a deadline");
        assert_eq!(watch.check(0), None);
    }
}
