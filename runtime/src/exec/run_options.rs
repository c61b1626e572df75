//! Per-execution options (a deadline, a cancellation token) and how an
//! execution that stopped early says why ([`Abort`]).

use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Per-execution options.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// The whole execution must end by this instant; nodes not done then
    /// are cancelled and the result says the deadline passed.
    pub deadline: Option<Instant>,
    /// Cancelling this token cancels the execution the same way.
    pub cancel: Option<CancellationToken>,
    /// Records this execution's module latencies whatever the sampling
    /// (`latency-sample-every`) draws: a debug request for one execution
    /// in full. (Nothing is recorded when `record-latency` is off.)
    pub record_latency: bool,
}

impl RunOptions {
    /// Options with a deadline `after` from now.
    pub fn with_timeout(after: Duration) -> Self {
        RunOptions {
            // A deadline past the clock's range is no deadline.
            deadline: Instant::now().checked_add(after),
            ..RunOptions::default()
        }
    }

    /// Whether the execution is cancelled or past its deadline now.
    #[inline]
    pub(crate) fn aborted(&self) -> Option<Abort> {
        if self
            .cancel
            .as_ref()
            .is_some_and(CancellationToken::is_cancelled)
        {
            return Some(Abort::Cancelled);
        }
        if self.deadline.is_some_and(|d| d <= Instant::now()) {
            return Some(Abort::DeadlineExceeded);
        }
        None
    }

    /// Default options that record this execution's module latencies (see
    /// [`RunOptions::record_latency`]).
    pub fn recording_latency() -> Self {
        RunOptions {
            record_latency: true,
            ..RunOptions::default()
        }
    }

    /// Options with a cancellation token.
    pub fn with_cancel(token: CancellationToken) -> Self {
        RunOptions {
            cancel: Some(token),
            ..RunOptions::default()
        }
    }
}

/// Why an execution stopped before every node was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Abort {
    /// Its cancellation token was cancelled.
    Cancelled,
    /// It ran past its deadline.
    DeadlineExceeded,
}
