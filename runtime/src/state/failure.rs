//! A node's failure detail: what a failed or timed-out node records
//! (rule S8 of [`crate::state`]: written once, by the party that moved the
//! node to `Failed` or `TimedOut`, read after the run).

use std::any::Any;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::modules::io::ModuleError;

/// Why a node failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FailureKind {
    /// The module (or transform) returned an error.
    Error,
    /// The module (or transform) panicked.
    Panic,
    /// The module ran past its timeout.
    Timeout,
}

/// A node's failure: its kind and a message for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeFailure {
    /// What happened.
    pub kind: FailureKind,
    /// The module's message, the panic's message, or the timeout.
    pub message: String,
}

impl NodeFailure {
    pub(crate) fn error(e: ModuleError) -> Self {
        NodeFailure {
            kind: FailureKind::Error,
            message: e.message().to_owned(),
        }
    }

    pub(crate) fn panic(payload: Box<dyn Any + Send>) -> Self {
        let message = if let Some(s) = payload.downcast_ref::<&str>() {
            (*s).to_owned()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "a panic with a non-string payload".to_owned()
        };
        // The payload's own drop could panic; contain that too.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(payload)));
        NodeFailure {
            kind: FailureKind::Panic,
            message: format!("panicked: {message}"),
        }
    }

    pub(crate) fn timeout(limit: Duration) -> Self {
        NodeFailure {
            kind: FailureKind::Timeout,
            message: format!("timed out after {} ms", limit.as_secs_f64() * 1e3),
        }
    }
}

impl fmt::Display for NodeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
