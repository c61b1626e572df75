//! Runtime configuration, from code or TOML, with defaults that serve most
//! users.
//!
//! ```toml
//! [runtime.state]
//! mutable = true            # false selects the reference executor
//! initial-capacity = 32     # states built ahead of use when a program is bound
//!
//! [runtime.state.pooling]
//! enabled = true
//! size = 50                 # states kept for reuse
//!
//! [runtime.modules]
//! record-latency = true
//! latency-sample-every = 1            # 64: one execution in 64 records them
//! default-timeout-ms = 30000          # when neither spec nor module gives one
//! timeouts-ms = { "stdlib.divide" = 5 }  # per module name, over the spec's
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
    /// size).
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
    /// How many idle states are kept.
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
    /// every `latency-sample-every`, the others none. 1, the default, is
    /// every execution.
    ///
    /// Each module's latency costs a clock read (a few nanoseconds, which
    /// for trivial modules is more than the module), so a service that
    /// needs latency distributions rather than every execution's latencies
    /// can sample them. An execution not drawn reports no module latencies
    /// (`module_latency` is `None`; the original's status JSON, which always
    /// carries one, shows 0, as with recording off). It still checks every
    /// module's timeout, and its total latency is always measured.
    ///
    /// Executions are counted per thread (beyond eight threads, some share
    /// a count), rejected ones (bad inputs) included. A fixed one-in-k can
    /// line up with periodic traffic; where that matters, keep k prime to
    /// the period.
    #[serde(default = "every_execution")]
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
}

fn yes() -> bool {
    true
}
fn every_execution() -> NonZeroU32 {
    NonZeroU32::MIN
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
            latency_sample_every: every_execution(),
            default_timeout_ms: None,
            timeouts_ms: BTreeMap::new(),
            options: BTreeMap::new(),
        }
    }
}

impl Config {
    /// Parses TOML; unknown keys are errors (a misspelled knob is a bug).
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
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
        value
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError(e.to_string()))
    }

    /// Writes the configuration as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("the config always serializes")
    }
}

impl RuntimeConfig {
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
    /// thread) rather than in each: see
    /// [`ModulesConfig::latency_sample_every`].
    pub fn with_latency_sampled(mut self, every: NonZeroU32) -> Self {
        self.modules.latency_sample_every = every;
        self
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

    /// Sets the pool size.
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
        assert_eq!(c.runtime.modules.latency_sample_every.get(), 1);
        assert_eq!(Config::from_toml(&c.to_toml()).unwrap(), c);
    }

    #[test]
    fn latency_sampling_parses_round_trips_and_refuses_zero() {
        let c = Config::from_toml("[runtime.modules]\nlatency-sample-every = 64\n").unwrap();
        assert_eq!(c.runtime.modules.latency_sample_every.get(), 64);
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
