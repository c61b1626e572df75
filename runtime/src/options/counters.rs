//! Per-module counters of applied options, and their snapshot.
//!
//! One [`OptionCounters`] per module node with options, owned by the
//! program (shared by every execution). Only calls that go through the
//! policy runner touch them: a relaxed atomic add per event, no locks. A
//! [`OptionCounts`] is the plain copy a metrics snapshot carries.

use std::sync::atomic::{AtomicU64, Ordering};

/// Live counters of one module's options.
#[derive(Debug, Default)]
pub struct OptionCounters {
    attempts: AtomicU64,
    retries: AtomicU64,
    timeouts: AtomicU64,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    cache_errors: AtomicU64,
    throttle_waits: AtomicU64,
    permit_waits: AtomicU64,
    fallbacks_used: AtomicU64,
    errors_handled: AtomicU64,
}

/// A point-in-time copy of one module's option counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OptionCounts {
    /// Module calls started (first attempts and retries).
    pub attempts: u64,
    /// Attempts after the first.
    pub retries: u64,
    /// Attempts that ran past their timeout.
    pub timeouts: u64,
    /// Calls answered by the cache.
    pub cache_hits: u64,
    /// Cache lookups that found nothing (the module ran).
    pub cache_misses: u64,
    /// Cache lookups or stores that failed (the module ran uncached).
    pub cache_errors: u64,
    /// Attempts that waited for the throttle.
    pub throttle_waits: u64,
    /// Attempts that waited for a concurrency permit.
    pub permit_waits: u64,
    /// Calls whose value came from the fallback.
    pub fallbacks_used: u64,
    /// Calls whose failure `onError` turned into a skip, log or wrap.
    pub errors_handled: u64,
}

/// The events the runner counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    Attempt,
    Retry,
    Timeout,
    CacheHit,
    CacheMiss,
    CacheError,
    ThrottleWait,
    PermitWait,
    Fallback,
    ErrorHandled,
}

impl OptionCounters {
    pub(crate) fn count(&self, e: Event) {
        let c = match e {
            Event::Attempt => &self.attempts,
            Event::Retry => &self.retries,
            Event::Timeout => &self.timeouts,
            Event::CacheHit => &self.cache_hits,
            Event::CacheMiss => &self.cache_misses,
            Event::CacheError => &self.cache_errors,
            Event::ThrottleWait => &self.throttle_waits,
            Event::PermitWait => &self.permit_waits,
            Event::Fallback => &self.fallbacks_used,
            Event::ErrorHandled => &self.errors_handled,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> OptionCounts {
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        OptionCounts {
            attempts: l(&self.attempts),
            retries: l(&self.retries),
            timeouts: l(&self.timeouts),
            cache_hits: l(&self.cache_hits),
            cache_misses: l(&self.cache_misses),
            cache_errors: l(&self.cache_errors),
            throttle_waits: l(&self.throttle_waits),
            permit_waits: l(&self.permit_waits),
            fallbacks_used: l(&self.fallbacks_used),
            errors_handled: l(&self.errors_handled),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_event_counts_into_its_own_counter() {
        let c = OptionCounters::default();
        for e in [
            Event::Attempt,
            Event::Attempt,
            Event::Retry,
            Event::Timeout,
            Event::CacheHit,
            Event::CacheMiss,
            Event::CacheError,
            Event::ThrottleWait,
            Event::PermitWait,
            Event::Fallback,
            Event::ErrorHandled,
        ] {
            c.count(e);
        }
        assert_eq!(
            c.snapshot(),
            OptionCounts {
                attempts: 2,
                retries: 1,
                timeouts: 1,
                cache_hits: 1,
                cache_misses: 1,
                cache_errors: 1,
                throttle_waits: 1,
                permit_waits: 1,
                fallbacks_used: 1,
                errors_handled: 1,
            }
        );
    }
}
