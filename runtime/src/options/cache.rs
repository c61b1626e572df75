//! `cache` (RFC-004): a module's outputs kept for a time, keyed by the
//! module's name and its input values.
//!
//! - [`CacheKey`]: the module name and the inputs' tagged JSON (the
//!   original's wire form, so a Redis cache is shared with any replica
//!   that speaks it). Building the key serialises and hashes; that is
//!   allowed here and only here, for modules with `cache`.
//! - [`CacheBackend`]: where entries live. [`MemoryCache`] (the default,
//!   `"memory"`) is a bounded `moka` cache; the Redis backend is behind the
//!   `redis` cargo feature. A service can register its own.
//! - [`SingleFlight`]: concurrent identical calls make one module call;
//!   the others wait for it and share its outcome.
//!
//! Values are [`CachedOutput`]s, `Arc`s: a hit clones a pointer, not the
//! value. Failures are never stored (RFC-004: "failed results are not
//! cached").
//!
//! Time: an entry's expiry is read on tokio's clock (paused in tests), so
//! a TTL is exact; moka also drops the entry after the TTL on its own
//! clock, which frees the memory.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asterism_compiler::CValue;
use tokio::time::Instant;

use crate::modules::module::ModuleOutput;

/// A cached output, shared by every hit.
pub type CachedOutput = Arc<ModuleOutput>;

/// A future a cache backend returns.
pub type CacheFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The key of one module call: the module's name and its input values.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CacheKey(Arc<str>);

impl CacheKey {
    /// The key of calling `module` with `inputs` (in parameter order).
    pub fn new(module: &str, inputs: &[&CValue]) -> CacheKey {
        let json = serde_json::to_string(inputs).expect("a CValue always serialises");
        CacheKey(format!("{module}:{json}").into())
    }

    /// The key as text (what the Redis backend stores under).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A backend that could not answer (the call then runs uncached).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cache backend `{backend}`: {message}")]
pub struct CacheError {
    /// The backend's name.
    pub backend: String,
    /// What went wrong.
    pub message: String,
}

/// Where cached outputs live. Errors are not fatal: the runner counts
/// them and calls the module uncached.
pub trait CacheBackend: Send + Sync + fmt::Debug {
    /// The backend's name, as `cacheBackend` spells it.
    fn name(&self) -> &str;

    /// The entry under `key`, if present and fresh.
    fn get<'a>(
        &'a self,
        key: &'a CacheKey,
    ) -> CacheFuture<'a, Result<Option<CachedOutput>, CacheError>>;

    /// Stores `value` under `key` for `ttl`.
    fn put<'a>(
        &'a self,
        key: &'a CacheKey,
        value: &'a CachedOutput,
        ttl: Duration,
    ) -> CacheFuture<'a, Result<(), CacheError>>;

    /// [`get`](Self::get) without a runtime, blocking the calling thread
    /// (for `run_sync`).
    fn get_blocking(&self, key: &CacheKey) -> Result<Option<CachedOutput>, CacheError>;

    /// [`put`](Self::put) without a runtime, blocking the calling thread.
    fn put_blocking(
        &self,
        key: &CacheKey,
        value: &CachedOutput,
        ttl: Duration,
    ) -> Result<(), CacheError>;
}

/// An in-memory entry.
#[derive(Clone, Debug)]
struct Entry {
    value: CachedOutput,
    expires: Instant,
    ttl: Duration,
}

/// Drops an entry after its own TTL (moka's clock), freeing memory.
struct ByTtl;

impl moka::Expiry<CacheKey, Entry> for ByTtl {
    fn expire_after_create(
        &self,
        _key: &CacheKey,
        value: &Entry,
        _now: std::time::Instant,
    ) -> Option<Duration> {
        Some(value.ttl)
    }
}

/// The default backend: a bounded in-process cache (`moka`), per entry TTL.
#[derive(Clone)]
pub struct MemoryCache {
    entries: moka::sync::Cache<CacheKey, Entry>,
}

impl fmt::Debug for MemoryCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryCache")
            .field("entries", &self.entries.entry_count())
            .finish()
    }
}

/// Entries the default memory cache holds at most.
pub const DEFAULT_MEMORY_ENTRIES: u64 = 10_000;

impl Default for MemoryCache {
    fn default() -> Self {
        MemoryCache::new(DEFAULT_MEMORY_ENTRIES)
    }
}

impl MemoryCache {
    /// A cache of at most `max_entries` entries (least useful evicted
    /// first, moka's TinyLFU).
    pub fn new(max_entries: u64) -> MemoryCache {
        MemoryCache {
            entries: moka::sync::Cache::builder()
                .max_capacity(max_entries)
                .expire_after(ByTtl)
                .build(),
        }
    }

    fn lookup(&self, key: &CacheKey) -> Option<CachedOutput> {
        let e = self.entries.get(key)?;
        if Instant::now() >= e.expires {
            self.entries.invalidate(key);
            return None;
        }
        Some(e.value)
    }

    fn store(&self, key: &CacheKey, value: &CachedOutput, ttl: Duration) {
        let expires = Instant::now()
            .checked_add(ttl)
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400 * 365 * 30));
        self.entries.insert(
            key.clone(),
            Entry {
                value: value.clone(),
                expires,
                ttl,
            },
        );
    }
}

impl CacheBackend for MemoryCache {
    fn name(&self) -> &str {
        super::policy::MEMORY_BACKEND
    }
    fn get<'a>(
        &'a self,
        key: &'a CacheKey,
    ) -> CacheFuture<'a, Result<Option<CachedOutput>, CacheError>> {
        let found = self.lookup(key);
        Box::pin(async move { Ok(found) })
    }
    fn put<'a>(
        &'a self,
        key: &'a CacheKey,
        value: &'a CachedOutput,
        ttl: Duration,
    ) -> CacheFuture<'a, Result<(), CacheError>> {
        self.store(key, value, ttl);
        Box::pin(async { Ok(()) })
    }
    fn get_blocking(&self, key: &CacheKey) -> Result<Option<CachedOutput>, CacheError> {
        Ok(self.lookup(key))
    }
    fn put_blocking(
        &self,
        key: &CacheKey,
        value: &CachedOutput,
        ttl: Duration,
    ) -> Result<(), CacheError> {
        self.store(key, value, ttl);
        Ok(())
    }
}

/// Concurrent identical calls share one computation.
///
/// The first caller of a key runs `compute`; callers arriving while it runs
/// wait and get a clone of its value. If the running caller is dropped
/// (its execution cancelled) or `compute` returns `Err` (an interruption
/// that belongs to that caller alone), the next waiter computes instead.
pub struct SingleFlight<V> {
    calls: Mutex<HashMap<CacheKey, Arc<tokio::sync::OnceCell<V>>>>,
}

impl<V> fmt::Debug for SingleFlight<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SingleFlight").finish_non_exhaustive()
    }
}

impl<V> Default for SingleFlight<V> {
    fn default() -> Self {
        SingleFlight {
            calls: Mutex::new(HashMap::new()),
        }
    }
}

impl<V: Clone> SingleFlight<V> {
    /// Runs `compute` for `key` unless a call for `key` is running, in
    /// which case waits for it. Returns the value and whether this caller
    /// computed it.
    pub async fn run<E, F, Fut>(&self, key: &CacheKey, compute: F) -> Result<(V, bool), E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let cell = self.lock().entry(key.clone()).or_default().clone();
        let mut led = false;
        let out = cell
            .get_or_try_init(|| {
                led = true;
                compute()
            })
            .await
            .cloned();
        // A finished call is forgotten, so the next caller computes again
        // (the flight joins calls in progress; the backend keeps values).
        // An empty cell (its caller interrupted) stays for the next caller.
        if cell.initialized() {
            let mut calls = self.lock();
            if calls.get(key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
                calls.remove(key);
            }
        }
        out.map(|v| (v, led))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CacheKey, Arc<tokio::sync::OnceCell<V>>>> {
        self.calls.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Keys with a call running or just finished (for tests).
    pub fn in_flight(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn one(v: i64) -> CachedOutput {
        Arc::new(ModuleOutput::One(CValue::Int(v)))
    }

    #[test]
    fn the_key_is_the_module_and_its_inputs() {
        let (a, b) = (CValue::Int(1), CValue::from("x"));
        let k = CacheKey::new("Fetch", &[&a, &b]);
        assert_eq!(
            k.as_str(),
            r#"Fetch:[{"tag":"CInt","value":1},{"tag":"CString","value":"x"}]"#
        );
        assert_ne!(k, CacheKey::new("Fetch", &[&b, &a]));
        assert_ne!(k, CacheKey::new("Other", &[&a, &b]));
        assert_eq!(
            k,
            CacheKey::new("Fetch", &[&CValue::Int(1), &CValue::from("x")])
        );
    }

    #[tokio::test(start_paused = true)]
    async fn memory_hit_miss_and_expiry_on_the_tokio_clock() {
        let c = MemoryCache::new(100);
        let k = CacheKey::new("M", &[&CValue::Int(1)]);
        assert_eq!(c.get(&k).await, Ok(None));
        let v = one(5);
        c.put(&k, &v, Duration::from_secs(60)).await.unwrap();
        let hit = c.get(&k).await.unwrap().unwrap();
        assert!(Arc::ptr_eq(&hit, &v), "a hit shares the value");
        tokio::time::advance(Duration::from_secs(59)).await;
        assert!(c.get_blocking(&k).unwrap().is_some());
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(c.get(&k).await, Ok(None), "expired at the TTL");
    }

    #[test]
    fn memory_is_bounded() {
        let c = MemoryCache::new(10);
        for i in 0..1000 {
            let k = CacheKey::new("M", &[&CValue::Int(i)]);
            c.put_blocking(&k, &one(i), Duration::from_secs(60))
                .unwrap();
        }
        c.entries.run_pending_tasks();
        assert!(c.entries.entry_count() <= 10, "{}", c.entries.entry_count());
    }

    #[tokio::test(start_paused = true)]
    async fn a_hundred_identical_concurrent_calls_compute_once() {
        let flight = Arc::new(SingleFlight::<i64>::default());
        let runs = Arc::new(AtomicU32::new(0));
        let key = CacheKey::new("M", &[]);
        let mut tasks = Vec::new();
        for _ in 0..100 {
            let (flight, runs, key) = (flight.clone(), runs.clone(), key.clone());
            tasks.push(tokio::spawn(async move {
                flight
                    .run::<(), _, _>(&key, || async {
                        runs.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        Ok(42)
                    })
                    .await
                    .unwrap()
            }));
        }
        let mut leaders = 0;
        for t in tasks {
            let (v, led) = t.await.unwrap();
            assert_eq!(v, 42);
            leaders += usize::from(led);
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(leaders, 1);
        assert_eq!(flight.in_flight(), 0, "the finished call is forgotten");
        // The next call computes again (the flight is not a cache).
        let (v, led) = flight
            .run::<(), _, _>(&key, || async { Ok(7) })
            .await
            .unwrap();
        assert_eq!((v, led), (7, true));
    }

    #[tokio::test(start_paused = true)]
    async fn an_interrupted_leader_hands_the_call_to_a_waiter() {
        let flight = Arc::new(SingleFlight::<i64>::default());
        let key = CacheKey::new("M", &[]);
        let leader = {
            let (flight, key) = (flight.clone(), key.clone());
            tokio::spawn(async move {
                flight
                    .run(&key, || async {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        Err::<i64, &str>("deadline")
                    })
                    .await
            })
        };
        tokio::task::yield_now().await;
        let follower = flight.run::<&str, _, _>(&key, || async { Ok(9) });
        assert_eq!(follower.await, Ok((9, true)));
        assert_eq!(leader.await.unwrap(), Err("deadline"));
    }
}
