//! The Redis cache backend (cargo feature `redis`): a cache shared by every
//! replica of a service.
//!
//! Entries are `SET key value PX ttl`, the key being the [`CacheKey`] under
//! a prefix, the value our tagged JSON (the original's wire form): a
//! single output is its tagged value (a JSON object), several outputs a
//! JSON array of them. Redis expires entries itself.
//!
//! Failure is never fatal: a connection refused, a reset or a slow server
//! (past the operation timeout) is a [`CacheError`], which the runner
//! counts before calling the module uncached; the connection is dropped
//! and made again on the next call. An entry that does not parse (written
//! by something else, or truncated) is a miss.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use asterism_compiler::CValue;
use redis::aio::MultiplexedConnection;

use super::cache::{CacheBackend, CacheError, CacheFuture, CacheKey, CachedOutput};
use crate::modules::module::ModuleOutput;

/// How long one Redis operation may take before it counts as an error.
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_millis(250);

/// A Redis-backed cache.
pub struct RedisCache {
    name: String,
    client: redis::Client,
    prefix: String,
    timeout: Duration,
    conn: tokio::sync::Mutex<Option<MultiplexedConnection>>,
    blocking: std::sync::Mutex<Option<redis::Connection>>,
}

impl fmt::Debug for RedisCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisCache")
            .field("name", &self.name)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisCache {
    /// A backend named `"redis"` for the server at `url`
    /// (`redis://host:port/db`), keys under `asterism:`. Connects lazily: a
    /// server that is down makes cache errors, not a failed load.
    pub fn new(url: &str) -> Result<RedisCache, CacheError> {
        let client = redis::Client::open(url).map_err(|e| CacheError {
            backend: "redis".into(),
            message: format!("bad Redis URL `{url}`: {e}"),
        })?;
        Ok(RedisCache {
            name: "redis".into(),
            client,
            prefix: "asterism:".into(),
            timeout: DEFAULT_OPERATION_TIMEOUT,
            conn: tokio::sync::Mutex::new(None),
            blocking: std::sync::Mutex::new(None),
        })
    }

    /// Renames the backend (as `cacheBackend` refers to it).
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets the key prefix.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Sets how long one operation may take.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The Redis key of a cache key.
    pub fn redis_key(&self, key: &CacheKey) -> String {
        format!("{}{}", self.prefix, key.as_str())
    }

    fn error(&self, e: impl fmt::Display) -> CacheError {
        CacheError {
            backend: self.name.clone(),
            message: e.to_string(),
        }
    }

    async fn query<T: redis::FromRedisValue>(&self, cmd: redis::Cmd) -> Result<T, CacheError> {
        let run = async {
            let mut slot = self.conn.lock().await;
            if slot.is_none() {
                *slot = Some(
                    self.client
                        .get_multiplexed_async_connection()
                        .await
                        .map_err(|e| self.error(e))?,
                );
            }
            let conn = slot.as_mut().expect("just set");
            let out = cmd.query_async::<T>(conn).await;
            if out.is_err() {
                *slot = None;
            }
            out.map_err(|e| self.error(e))
        };
        match tokio::time::timeout(self.timeout, run).await {
            Ok(r) => r,
            Err(_) => {
                if let Ok(mut slot) = self.conn.try_lock() {
                    *slot = None;
                }
                Err(self.error(format!("no answer within {:?}", self.timeout)))
            }
        }
    }

    fn query_blocking<T: redis::FromRedisValue>(&self, cmd: redis::Cmd) -> Result<T, CacheError> {
        let mut slot = self.blocking.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            let conn = self
                .client
                .get_connection_with_timeout(self.timeout)
                .map_err(|e| self.error(e))?;
            conn.set_read_timeout(Some(self.timeout))
                .and_then(|()| conn.set_write_timeout(Some(self.timeout)))
                .map_err(|e| self.error(e))?;
            *slot = Some(conn);
        }
        let out = cmd.query::<T>(slot.as_mut().expect("just set"));
        if out.is_err() {
            *slot = None;
        }
        out.map_err(|e| self.error(e))
    }

    fn get_cmd(&self, key: &CacheKey) -> redis::Cmd {
        let mut c = redis::cmd("GET");
        c.arg(self.redis_key(key));
        c
    }

    fn set_cmd(&self, key: &CacheKey, value: &CachedOutput, ttl: Duration) -> redis::Cmd {
        let mut c = redis::cmd("SET");
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        c.arg(self.redis_key(key))
            .arg(encode(value))
            .arg("PX")
            .arg(ms);
        c
    }
}

/// Our tagged JSON of an output.
pub fn encode(value: &ModuleOutput) -> String {
    let json = match value {
        ModuleOutput::One(v) => serde_json::to_string(v),
        ModuleOutput::Many(vs) => serde_json::to_string(vs),
    };
    json.expect("a CValue always serialises")
}

/// An output from our tagged JSON; `None` if it does not parse.
pub fn decode(text: &str) -> Option<ModuleOutput> {
    if text.trim_start().starts_with('[') {
        serde_json::from_str::<Vec<CValue>>(text)
            .ok()
            .map(ModuleOutput::Many)
    } else {
        serde_json::from_str::<CValue>(text)
            .ok()
            .map(ModuleOutput::One)
    }
}

fn found(text: Option<String>) -> Option<CachedOutput> {
    text.as_deref().and_then(decode).map(Arc::new)
}

impl CacheBackend for RedisCache {
    fn name(&self) -> &str {
        &self.name
    }
    fn get<'a>(
        &'a self,
        key: &'a CacheKey,
    ) -> CacheFuture<'a, Result<Option<CachedOutput>, CacheError>> {
        Box::pin(async move {
            self.query::<Option<String>>(self.get_cmd(key))
                .await
                .map(found)
        })
    }
    fn put<'a>(
        &'a self,
        key: &'a CacheKey,
        value: &'a CachedOutput,
        ttl: Duration,
    ) -> CacheFuture<'a, Result<(), CacheError>> {
        Box::pin(async move { self.query::<()>(self.set_cmd(key, value, ttl)).await })
    }
    fn get_blocking(&self, key: &CacheKey) -> Result<Option<CachedOutput>, CacheError> {
        self.query_blocking::<Option<String>>(self.get_cmd(key))
            .map(found)
    }
    fn put_blocking(
        &self,
        key: &CacheKey,
        value: &CachedOutput,
        ttl: Duration,
    ) -> Result<(), CacheError> {
        self.query_blocking::<()>(self.set_cmd(key, value, ttl))
    }
}
