//! Runtime configuration, from code or TOML, with defaults that serve most
//! users.
//!
//! ```toml
//! [runtime.state]
//! mutable = true            # false selects the reference executor
//! initial-capacity = 32     # states built ahead of use when a program is bound (<= 1024)
//!
//! [runtime.state.pooling]
//! enabled = true
//! size = 50                 # states kept for reuse (<= 65536)
//!
//! [runtime.modules]
//! record-latency = true
//! latency-sample-every = 64           # 1: every execution records them
//! default-timeout-ms = 30000          # when neither spec nor module gives one
//! timeouts-ms = { "stdlib.divide" = 5 }  # per module name, over the spec's
//! max-pending-ms = 30000              # a pending future with no timeout; "none": unbounded
//!
//! [runtime.modules.options."demo.flakyLookup"]  # call options by module name,
//! retry = 3                                    # over the pipeline's own
//! cacheMs = 60000
//! ```
//!
//! The seed's knobs keep their names. `initial-capacity` sized the seed's hash
//! maps; our states are sized by the plan, so here it is the number of
//! states built ahead of use (at most the pool size), which is what the knob
//! was for: no allocation on the first executions.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A bad configuration.
#[derive(Debug, thiserror::Error)]
#[error("invalid runtime configuration: {0}")]
pub struct ConfigError(String);

/// The whole configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The `[runtime]` table.
    #[serde(default)]
    pub runtime: RuntimeConfig,
}

/// `[runtime]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeConfig {
    /// `[runtime.state]`.
    #[serde(default)]
    pub state: StateConfig,
    /// `[runtime.modules]`.
    #[serde(default)]
    pub modules: ModulesConfig,
}

/// `[runtime.state]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct StateConfig {
    /// `true`: the slot runtime. `false`: the reference executor (the
    /// original's immutable maps), for comparison and testing.
    #[serde(default = "yes")]
    pub mutable: bool,
    /// States built ahead of use when a program is bound (at most the pool
    /// size, and at most [`MAX_INITIAL_CAPACITY`]).
    #[serde(default = "initial_capacity")]
    pub initial_capacity: usize,
    /// `[runtime.state.pooling]`.
    #[serde(default)]
    pub pooling: PoolingConfig,
}

/// `[runtime.state.pooling]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PoolingConfig {
    /// Whether states are reused.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// How many idle states are kept (at most [`MAX_POOL_SIZE`]). The pool
    /// only keeps states executions built; it allocates none for its size.
    #[serde(default = "pool_size")]
    pub size: usize,
}

/// `[runtime.modules]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ModulesConfig {
    /// Whether each module's latency is measured (one clock read per sync
    /// module, from quanta's calibrated TSC clock).
    #[serde(default = "yes")]
    pub record_latency: bool,
    /// With latencies recorded, which executions record them: one in
    /// every `latency-sample-every`, the others none. The default is 64;
    /// 1 records every execution.
    ///
    /// Each module's latency costs a clock read (a few nanoseconds, which
    /// for trivial modules is more than the module), so by default they
    /// are sampled: a service gets latency distributions (and the
    /// `metrics` feature's histograms) from one execution in 64 at a
    /// fraction of the cost. The first execution of a program on each
    /// thread is always drawn, so a single run (the CLI's `--timings`)
    /// shows its timings. One chosen execution can ask for them with
    /// [`RunOptions::record_latency`](crate::RunOptions::record_latency).
    ///
    /// An execution not drawn reports no module latencies:
    /// `ExecutionResult::module_latency` is `None`, `NodeStatus::Completed`
    /// carries `latency: None`, the snapshot's `latencies` map is empty, and
    /// the original's status JSON (which always carries a latency) shows
    /// 0, as with recording off. It still enforces every module's timeout,
    /// and its total latency is always measured.
    ///
    /// Executions are counted per thread (beyond eight threads, some share
    /// a count), rejected ones (bad inputs) included. A fixed one-in-k can
    /// line up with periodic traffic; where that matters, keep k prime to
    /// the period.
    #[serde(default = "sample_every")]
    pub latency_sample_every: NonZeroU32,
    /// Timeout for modules that get none from the spec or their definition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_timeout_ms: Option<u64>,
    /// Timeouts by module name (registered name, or the node's name in the
    /// spec), taking precedence over the spec's `moduleTimeout`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub timeouts_ms: BTreeMap<String, u64>,
    /// Module call options by module name (registered name, or the node's
    /// name in the spec), laid over the pipeline's own options: a service
    /// overrides a pipeline's retry, cache, ... without editing it
    /// (`[runtime.modules.options."demo.flakyLookup"]`, keys in the wire
    /// names: `retry = 3`, `timeoutMs = 500`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, asterism_compiler::ModuleCallOptions>,
    /// How long the future of an async module with no timeout of its own
    /// (none from this config, the spec or the module's definition) may stay
    /// pending before the module is `TimedOut`: 30,000 ms by default, so
    /// that a future that never completes cannot hang a run. `"none"` turns
    /// the bound off. It costs nothing on the ready path: it is armed only
    /// when a future is parked.
    #[serde(default = "max_pending")]
    pub max_pending_ms: Limit,
}

/// A bound in milliseconds, or none: in TOML an integer or `"none"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "LimitRepr", into = "LimitRepr")]
pub enum Limit {
    /// This many milliseconds.
    Millis(u64),
    /// No bound.
    None,
}

impl Limit {
    /// The bound as a duration, if there is one.
    pub fn duration(self) -> Option<Duration> {
        match self {
            Limit::Millis(ms) => Some(Duration::from_millis(ms)),
            Limit::None => None,
        }
    }
}

/// [`Limit`] on the wire.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum LimitRepr {
    Millis(u64),
    Word(String),
}

impl TryFrom<LimitRepr> for Limit {
    type Error = String;
    fn try_from(r: LimitRepr) -> Result<Limit, String> {
        match r {
            LimitRepr::Millis(ms) => Ok(Limit::Millis(ms)),
            LimitRepr::Word(w) if w == "none" => Ok(Limit::None),
            LimitRepr::Word(w) => Err(format!(
                "expected a number of milliseconds or \"none\", not \"{w}\""
            )),
        }
    }
}

impl From<Limit> for LimitRepr {
    fn from(l: Limit) -> LimitRepr {
        match l {
            Limit::Millis(ms) => LimitRepr::Millis(ms),
            Limit::None => LimitRepr::Word("none".to_owned()),
        }
    }
}

/// The default [`ModulesConfig::max_pending_ms`]: 30 s.
pub const DEFAULT_MAX_PENDING_MS: u64 = 30_000;

fn max_pending() -> Limit {
    Limit::Millis(DEFAULT_MAX_PENDING_MS)
}

fn yes() -> bool {
    true
}
/// The default one-in-k of latency sampling.
pub const DEFAULT_LATENCY_SAMPLE_EVERY: NonZeroU32 = NonZeroU32::new(64).unwrap();

fn sample_every() -> NonZeroU32 {
    DEFAULT_LATENCY_SAMPLE_EVERY
}

fn initial_capacity() -> usize {
    32
}
fn pool_size() -> usize {
    50
}

impl Default for StateConfig {
    fn default() -> Self {
        StateConfig {
            mutable: true,
            initial_capacity: initial_capacity(),
            pooling: PoolingConfig::default(),
        }
    }
}

impl Default for PoolingConfig {
    fn default() -> Self {
        PoolingConfig {
            enabled: true,
            size: pool_size(),
        }
    }
}

impl Default for ModulesConfig {
    fn default() -> Self {
        ModulesConfig {
            record_latency: true,
            latency_sample_every: sample_every(),
            default_timeout_ms: None,
            timeouts_ms: BTreeMap::new(),
            options: BTreeMap::new(),
            max_pending_ms: max_pending(),
        }
    }
}

impl Config {
    /// Parses TOML; unknown keys are errors (a misspelled knob is a bug).
    ///
    /// A UTF-8 byte-order mark before the text is skipped. Every knob is
    /// bounded (see [`MAX_POOL_SIZE`], [`MAX_INITIAL_CAPACITY`]); a value
    /// past its bound is an error naming the key.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let value: toml::Table = toml::from_str(text).map_err(|e| ConfigError(e.to_string()))?;
        // serde reads a struct from an array too, field by field, which would
        // bypass the key checks: every section must be a table.
        let mut sections = vec![("runtime", value.get("runtime"))];
        if let Some(rt) = value.get("runtime").and_then(toml::Value::as_table) {
            sections.push(("runtime.state", rt.get("state")));
            sections.push(("runtime.modules", rt.get("modules")));
            if let Some(state) = rt.get("state").and_then(toml::Value::as_table) {
                sections.push(("runtime.state.pooling", state.get("pooling")));
            }
            if let Some(modules) = rt.get("modules").and_then(toml::Value::as_table) {
                sections.push(("runtime.modules.timeouts-ms", modules.get("timeouts-ms")));
            }
        }
        for (path, v) in sections {
            if let Some(v) = v {
                if !v.is_table() {
                    return Err(ConfigError(format!(
                        "`{path}` must be a table, not {}",
                        v.type_str()
                    )));
                }
            }
        }
        let config: Config = value
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError(e.to_string()))?;
        config.runtime.validate()?;
        Ok(config)
    }

    /// Writes the configuration as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("the config always serializes")
    }
}

/// The largest `[runtime.state.pooling] size`: idle states kept, each the
/// size of one execution's slots. A larger value from TOML is an error; one
/// set in code ([`RuntimeConfig::with_pool_size`]) is clamped to it at bind.
pub const MAX_POOL_SIZE: usize = 1 << 16;

/// The largest `[runtime.state] initial-capacity`: states built when a
/// program is bound, before any execution asks for one. A larger value from
/// TOML is an error; one set in code is clamped to it at bind (and to the
/// pool size, as always).
pub const MAX_INITIAL_CAPACITY: usize = 1 << 10;

impl RuntimeConfig {
    /// Checks every knob against its bound; the error names the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bounded = |key: &str, value: usize, max: usize| {
            if value > max {
                Err(ConfigError(format!(
                    "`{key}` = {value} is above its limit of {max}; use at most {max}"
                )))
            } else {
                Ok(())
            }
        };
        bounded(
            "runtime.state.pooling.size",
            self.state.pooling.size,
            MAX_POOL_SIZE,
        )?;
        bounded(
            "runtime.state.initial-capacity",
            self.state.initial_capacity,
            MAX_INITIAL_CAPACITY,
        )
    }

    /// The pool size and the number of states to prewarm, each clamped to
    /// its bound (code may set any `usize`).
    pub(crate) fn clamped_pool(&self) -> (usize, usize) {
        let size = self.pool_capacity().min(MAX_POOL_SIZE);
        (
            size,
            self.state
                .initial_capacity
                .min(MAX_INITIAL_CAPACITY)
                .min(size),
        )
    }

    /// The pool capacity in effect (0 when pooling is off).
    pub fn pool_capacity(&self) -> usize {
        if self.state.pooling.enabled {
            self.state.pooling.size
        } else {
            0
        }
    }

    /// The configured timeout override for a module, by name.
    pub(crate) fn timeout_override(&self, names: &[&str]) -> Option<Duration> {
        names
            .iter()
            .find_map(|n| self.modules.timeouts_ms.get(*n))
            .map(|&ms| Duration::from_millis(ms))
    }

    /// Turns latency recording off (for the fastest runs).
    pub fn without_latency(mut self) -> Self {
        self.modules.record_latency = false;
        self
    }

    /// Records module latencies in one execution of every `every` (per
    /// thread; 1: every execution): see
    /// [`ModulesConfig::latency_sample_every`].
    pub fn with_latency_sampled(mut self, every: NonZeroU32) -> Self {
        self.modules.latency_sample_every = every;
        self
    }

    /// Records module latencies in every execution (`latency-sample-every
    /// = 1`), rather than the default one in 64.
    pub fn with_latency_every_execution(self) -> Self {
        self.with_latency_sampled(NonZeroU32::MIN)
    }

    /// Turns pooling off.
    pub fn without_pooling(mut self) -> Self {
        self.state.pooling.enabled = false;
        self
    }

    /// Selects the reference executor.
    pub fn reference(mut self) -> Self {
        self.state.mutable = false;
        self
    }

    /// Sets [`ModulesConfig::max_pending_ms`].
    pub fn with_max_pending(mut self, limit: Limit) -> Self {
        self.modules.max_pending_ms = limit;
        self
    }

    /// Sets the pool size. Past [`MAX_POOL_SIZE`] it is clamped to it when
    /// a program is bound (never a panic or an allocation of that size).
    pub fn with_pool_size(mut self, size: usize) -> Self {
        self.state.pooling.size = size;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_toml_gives_the_seeds_defaults() {
        let c = Config::from_toml("").unwrap();
        assert!(c.runtime.state.mutable);
        assert_eq!(c.runtime.state.initial_capacity, 32);
        assert!(c.runtime.state.pooling.enabled);
        assert_eq!(c.runtime.state.pooling.size, 50);
        assert!(c.runtime.modules.record_latency);
        assert_eq!(c.runtime.modules.latency_sample_every.get(), 64);
        assert_eq!(c.runtime, RuntimeConfig::default());
        assert_eq!(Config::from_toml(&c.to_toml()).unwrap(), c);
    }

    #[test]
    fn latency_sampling_parses_round_trips_and_refuses_zero() {
        let c = Config::from_toml("[runtime.modules]\nlatency-sample-every = 1\n").unwrap();
        assert_eq!(c.runtime.modules.latency_sample_every.get(), 1);
        assert_eq!(
            c.runtime,
            RuntimeConfig::default().with_latency_every_execution()
        );
        assert!(c.runtime.modules.record_latency);
        assert_eq!(Config::from_toml(&c.to_toml()).unwrap(), c);
        let err = Config::from_toml("[runtime.modules]\nlatency-sample-every = 0\n").unwrap_err();
        assert!(err.to_string().contains("latency-sample-every"), "{err}");
        assert!(err.to_string().contains("nonzero"), "{err}");
    }

    #[test]
    fn knobs_parse_and_misspellings_are_errors() {
        let c = Config::from_toml(
            "[runtime.state]\nmutable = false\n[runtime.state.pooling]\nsize = 4\n[runtime.modules]\ntimeouts-ms = { \"stdlib.add\" = 5 }\n",
        )
        .unwrap();
        assert!(!c.runtime.state.mutable);
        assert_eq!(c.runtime.pool_capacity(), 4);
        assert_eq!(
            c.runtime.timeout_override(&["x", "stdlib.add"]),
            Some(Duration::from_millis(5))
        );
        let err = Config::from_toml("[runtime.state]\nmutabel = true\n").unwrap_err();
        assert!(err.to_string().contains("mutabel"), "{err}");
        assert!(Config::from_toml("[runtime.state.pooling]\nsize = -1\n").is_err());
    }
}

#[cfg(test)]
mod bounds {
    use super::*;

    #[test]
    fn knobs_past_their_bounds_are_errors_naming_the_key() {
        let err = Config::from_toml("[runtime.state.pooling]\nsize = 9223372036854775807\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("runtime.state.pooling.size"), "{err}");
        assert!(err.contains("65536"), "{err}");
        let err = Config::from_toml(
            "[runtime.state]\ninitial-capacity = 1000000000\n[runtime.state.pooling]\nsize = 1000\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("runtime.state.initial-capacity"), "{err}");
        let at_the_limits = format!(
            "[runtime.state]\ninitial-capacity = {MAX_INITIAL_CAPACITY}\n[runtime.state.pooling]\nsize = {MAX_POOL_SIZE}\n"
        );
        assert!(Config::from_toml(&at_the_limits).is_ok());
    }

    #[test]
    fn code_may_set_any_size_and_it_is_clamped() {
        let c = RuntimeConfig::default().with_pool_size(usize::MAX);
        assert_eq!(c.clamped_pool(), (MAX_POOL_SIZE, 32));
        let mut c = RuntimeConfig::default().with_pool_size(4);
        c.state.initial_capacity = usize::MAX;
        assert_eq!(c.clamped_pool(), (4, 4));
        assert_eq!(
            RuntimeConfig::default().without_pooling().clamped_pool(),
            (0, 0)
        );
    }

    #[test]
    fn max_pending_defaults_to_30_s_takes_none_and_refuses_other_words() {
        let c = Config::from_toml("").unwrap();
        assert_eq!(c.runtime.modules.max_pending_ms, Limit::Millis(30_000));
        let c = Config::from_toml("[runtime.modules]\nmax-pending-ms = \"none\"\n").unwrap();
        assert_eq!(c.runtime.modules.max_pending_ms, Limit::None);
        assert_eq!(Config::from_toml(&c.to_toml()).unwrap(), c);
        let c = Config::from_toml("[runtime.modules]\nmax-pending-ms = 5\n").unwrap();
        assert_eq!(
            c.runtime.modules.max_pending_ms.duration(),
            Some(Duration::from_millis(5))
        );
        let err = Config::from_toml("[runtime.modules]\nmax-pending-ms = \"never\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("max-pending-ms") && err.contains("none"),
            "{err}"
        );
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        let c = Config::from_toml("\u{feff}[runtime.state.pooling]\nsize = 3\n").unwrap();
        assert_eq!(c.runtime.pool_capacity(), 3);
    }
}
