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
}

impl RunOptions {
    /// Options with a deadline `after` from now.
    pub fn with_timeout(after: Duration) -> Self {
        RunOptions {
            // A deadline past the clock's range is no deadline.
            deadline: Instant::now().checked_add(after),
            cancel: None,
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

    /// Options with a cancellation token.
    pub fn with_cancel(token: CancellationToken) -> Self {
        RunOptions {
            deadline: None,
            cancel: Some(token),
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
