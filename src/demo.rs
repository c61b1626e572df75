//! Demonstration modules the `asterism` CLI knows besides the standard ones,
//! for the examples in `examples/`.
//!
//! - `demo.flakyLookup(key: String) -> value: String`: a stand-in for a call
//!   to another service that fails one call in three (the 1st, 4th, 7th, ...
//!   call made through one registry), and otherwise answers
//!   `"profile of KEY"`. `examples/flaky_options.json` calls it with
//!   `retry`, `cache` and `fallback` (see the README's "Module call options").

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use asterism_runtime::{Module, ModuleError, Registry};

/// The flaky lookup; each value of this function counts its own calls.
pub fn flaky_lookup() -> Module {
    let calls = Arc::new(AtomicU64::new(0));
    Module::sync("demo.flakyLookup", ["key"], "value", move |key: String| {
        let n = calls.fetch_add(1, Ordering::Relaxed) + 1;
        if n % 3 == 1 {
            Err(ModuleError::new(format!(
                "the lookup service failed (call {n})"
            )))
        } else {
            Ok(format!("profile of {key}"))
        }
    })
}

/// The standard modules and the demonstration ones.
pub fn registry() -> Registry {
    let mut r = Registry::with_stdlib();
    r.register(flaky_lookup());
    r
}
