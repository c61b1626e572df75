//! Module call options as data: how one call of a module must behave
//! (retry, timeout, delay, backoff, cache, throttle, concurrency, error
//! strategy, lazy evaluation, priority, fallback).
//!
//! The wire form is the original's `ModuleCallOptions`
//! (`modules/core/.../ModuleCallOptions.scala`): camelCase names, every field
//! optional, enum-like fields as strings. It appears in three places:
//!
//! - the original's `PipelineImage` JSON, as `moduleOptions` keyed by module
//!   UUID;
//! - our DagSpec JSON, as an `options` object on a module node (an extension
//!   the original ignores);
//! - [`DagBuilder::options`](crate::DagBuilder::options) in code.
//!
//! Two fields are ours: `fallback` (the UUID of a data node whose value
//! replaces the module's output when every attempt failed; the original's
//! compiler knows it but drops it before storing) and `backoffCapMs` (the
//! cap on a backoff wait, which the original fixes at 30 s).
//!
//! This type only carries the options; checking them against a plan and
//! applying them at run time belong to the compiler's validation and the
//! runtime's call options.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::value::{CType, Structure};

/// The options of one module call, in the original's wire form (plus our
/// `fallback` and `backoffCapMs`). Every field is optional; an empty value
/// means "call the module plainly".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ModuleCallOptions {
    /// Retries after the first attempt fails (`retry: 3` = up to 4 attempts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry: Option<i64>,
    /// Time limit of each attempt, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<i64>,
    /// Base wait before a retry, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<i64>,
    /// How the wait grows between retries: `"fixed"`, `"linear"` or
    /// `"exponential"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backoff: Option<String>,
    /// Upper bound of one backoff wait, in milliseconds (ours; the original
    /// uses 30,000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backoff_cap_ms: Option<i64>,
    /// How long a result stays cached, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_ms: Option<i64>,
    /// The cache backend's name (`"memory"`, `"redis"`, or one a service
    /// registers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_backend: Option<String>,
    /// Throttle: at most this many calls ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throttle_count: Option<i64>,
    /// ... per this many milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throttle_per_ms: Option<i64>,
    /// At most this many calls of the module in flight at once, across every
    /// execution of the program.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<i64>,
    /// What a failure does: `"propagate"` (the original also says
    /// `"fail"`), `"skip"`, `"log"` or `"wrap"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_error: Option<String>,
    /// Run the module only if a consumer needs its value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lazy_eval: Option<bool>,
    /// Scheduling priority, 0 (lowest) to 100 (highest); the language's
    /// `critical`/`high`/`normal`/`low`/`background` map to 100/75/50/25/0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    /// The data node whose value replaces the output when every attempt
    /// failed (ours: the original drops it before storing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback: Option<Uuid>,
    /// Streaming options of the original (RFC-025): carried, not applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<i64>,
    /// Streaming: carried, not applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_timeout_ms: Option<i64>,
    /// Streaming: carried, not applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    /// Streaming: carried, not applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint_ms: Option<i64>,
    /// Streaming: carried, not applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub join_strategy: Option<String>,
}

/// The output type of a module whose `onError` is `wrap`, for output type
/// `t`: `union {value: t, error: String}` (the RFC's `Either<Error, T>`,
/// with named sides). The output's data node must have this type.
pub fn wrapped_type(t: &CType) -> CType {
    CType::Union(Structure::from([
        ("value".to_owned(), t.clone()),
        ("error".to_owned(), CType::String),
    ]))
}

impl ModuleCallOptions {
    /// Whether `onError` is `wrap` (any case): the module's output data node
    /// then has the [`wrapped_type`] of the output.
    pub fn wraps_errors(&self) -> bool {
        self.on_error
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("wrap"))
    }

    /// Whether no option is set (the module is called plainly).
    pub fn is_empty(&self) -> bool {
        *self == ModuleCallOptions::default()
    }

    /// Every option of `over` that is set replaces the one of `self` (a
    /// service's config over a pipeline's own options).
    pub fn overlaid_with(&self, over: &ModuleCallOptions) -> ModuleCallOptions {
        fn pick<T: Clone>(base: &Option<T>, over: &Option<T>) -> Option<T> {
            over.clone().or_else(|| base.clone())
        }
        ModuleCallOptions {
            retry: pick(&self.retry, &over.retry),
            timeout_ms: pick(&self.timeout_ms, &over.timeout_ms),
            delay_ms: pick(&self.delay_ms, &over.delay_ms),
            backoff: pick(&self.backoff, &over.backoff),
            backoff_cap_ms: pick(&self.backoff_cap_ms, &over.backoff_cap_ms),
            cache_ms: pick(&self.cache_ms, &over.cache_ms),
            cache_backend: pick(&self.cache_backend, &over.cache_backend),
            throttle_count: pick(&self.throttle_count, &over.throttle_count),
            throttle_per_ms: pick(&self.throttle_per_ms, &over.throttle_per_ms),
            concurrency: pick(&self.concurrency, &over.concurrency),
            on_error: pick(&self.on_error, &over.on_error),
            lazy_eval: pick(&self.lazy_eval, &over.lazy_eval),
            priority: pick(&self.priority, &over.priority),
            fallback: pick(&self.fallback, &over.fallback),
            batch_size: pick(&self.batch_size, &over.batch_size),
            batch_timeout_ms: pick(&self.batch_timeout_ms, &over.batch_timeout_ms),
            window: pick(&self.window, &over.window),
            checkpoint_ms: pick(&self.checkpoint_ms, &over.checkpoint_ms),
            join_strategy: pick(&self.join_strategy, &over.join_strategy),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_original_wire_names_and_writes_only_what_is_set() {
        let o: ModuleCallOptions = serde_json::from_value(json!({
            "retry": 3, "timeoutMs": 3000, "delayMs": 100, "backoff": "exponential",
            "cacheMs": 300000, "throttleCount": 10, "throttlePerMs": 1000,
            "concurrency": 2, "onError": "skip", "lazyEval": true, "priority": 75
        }))
        .unwrap();
        assert_eq!(o.retry, Some(3));
        assert_eq!(o.backoff.as_deref(), Some("exponential"));
        assert_eq!(o.lazy_eval, Some(true));
        assert!(!o.is_empty());
        let back = serde_json::to_value(&o).unwrap();
        assert_eq!(back["timeoutMs"], 3000);
        assert!(back.get("cacheBackend").is_none());
        assert!(ModuleCallOptions::default().is_empty());
    }

    #[test]
    fn an_overlay_replaces_only_what_it_sets() {
        let base = ModuleCallOptions {
            retry: Some(3),
            timeout_ms: Some(100),
            ..Default::default()
        };
        let over = ModuleCallOptions {
            retry: Some(1),
            ..Default::default()
        };
        let merged = base.overlaid_with(&over);
        assert_eq!(merged.retry, Some(1));
        assert_eq!(merged.timeout_ms, Some(100));
    }
}
