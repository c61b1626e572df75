//! Resolution: a module node's [`ModuleCallOptions`] (wire form: optional
//! integers and strings) checked and turned into a [`CallPolicy`] (typed:
//! durations, enums, non-zero counts), once, when a program is bound.
//!
//! Every problem of a node is reported at once, each naming the module node
//! (UUID and name) and saying what to write instead. Suspicious but harmless
//! combinations (backoff without delay, delay without retry, ...) are
//! [`OptionWarning`]s: the policy is still built, the option has no effect.
//!
//! Decisions where the RFCs are silent or unfit for an embedded runtime:
//! - `priority` outside 0..=100 is clamped (the original clamps too) and
//!   warned about;
//! - the backoff cap applies to every strategy (the RFC's `computeDelay`
//!   caps the computed wait whatever the strategy), default 30 s, set with
//!   `backoffCapMs`;
//! - a fallback must name a data node whose type is the module's single
//!   output type; a module with several outputs cannot have one;
//! - streaming options (`batchSize`, `window`, ...) are carried, not
//!   applied: a warning says so.

use std::fmt;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use asterism_compiler::{CType, ModuleCallOptions};
use uuid::Uuid;

/// The backoff cap when `backoffCapMs` is not set (the RFC's 30 s).
pub const DEFAULT_BACKOFF_CAP: Duration = Duration::from_secs(30);

/// More retries than this earn a warning (the original's threshold).
pub const HIGH_RETRY_WARNING: u32 = 10;

/// How the wait grows between attempts (RFC-006).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Backoff {
    /// The same wait every time: `D, D, D, ...`.
    #[default]
    Fixed,
    /// One base delay more each time: `D, 2D, 3D, ...`.
    Linear,
    /// Doubling: `D, 2D, 4D, 8D, ...`.
    Exponential,
}

impl Backoff {
    /// Parses a wire name (`"fixed"`, `"linear"`, `"exponential"`, any case).
    pub fn parse(name: &str) -> Option<Backoff> {
        match name.to_ascii_lowercase().as_str() {
            "fixed" => Some(Backoff::Fixed),
            "linear" => Some(Backoff::Linear),
            "exponential" => Some(Backoff::Exponential),
            _ => None,
        }
    }
}

/// What a failure does once every attempt (and the fallback) is spent
/// (RFC-009).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum OnError {
    /// The module fails; its dependants are skipped (the default).
    #[default]
    Propagate,
    /// The module's value is missing; dependants see no value and may
    /// coalesce it.
    Skip,
    /// As `Skip`, and the error is logged (to stderr) and kept in the result.
    Log,
    /// The consumer gets a value carrying either the output or the error.
    Wrap,
}

impl OnError {
    /// Parses a wire name (`"propagate"` or its alias `"fail"`, `"skip"`,
    /// `"log"`, `"wrap"`, any case).
    pub fn parse(name: &str) -> Option<OnError> {
        match name.to_ascii_lowercase().as_str() {
            "propagate" | "fail" => Some(OnError::Propagate),
            "skip" => Some(OnError::Skip),
            "log" => Some(OnError::Log),
            "wrap" => Some(OnError::Wrap),
            _ => None,
        }
    }
}

/// A throttle rate: at most `count` calls per `per` (a token bucket of
/// `count` tokens refilled at `count / per`, RFC-007).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rate {
    /// Calls admitted per period (and the burst).
    pub count: NonZeroU32,
    /// The period.
    pub per: Duration,
}

/// The cache option: how long a result lives and in which backend.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CacheSpec {
    /// Time to live of an entry.
    pub ttl: Duration,
    /// The backend's name (`"memory"` when not set).
    pub backend: Arc<str>,
}

/// The name of the default cache backend.
pub const MEMORY_BACKEND: &str = "memory";

/// A module node's options, checked and typed. Built once per node when a
/// program is bound; read by the policy runner on every call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallPolicy {
    /// Retries after the first attempt (attempts = retries + 1).
    pub retries: u32,
    /// Time limit of each attempt.
    pub timeout: Option<Duration>,
    /// Base wait between attempts (zero: retry at once).
    pub delay: Duration,
    /// How the wait grows.
    pub backoff: Backoff,
    /// Upper bound of one wait.
    pub backoff_cap: Duration,
    /// The cache, if any.
    pub cache: Option<CacheSpec>,
    /// The throttle, if any (shared by every execution of the program).
    pub throttle: Option<Rate>,
    /// At most this many calls in flight across every execution.
    pub concurrency: Option<NonZeroU32>,
    /// What a failure does.
    pub on_error: OnError,
    /// Run only if a consumer needs the value.
    pub lazy: bool,
    /// 0 (lowest) to 100 (highest); 50 when not set.
    pub priority: u8,
    /// The data node whose value replaces the output when every attempt
    /// failed.
    pub fallback: Option<Uuid>,
}

/// The priority of a module without the option (`normal`).
pub const DEFAULT_PRIORITY: u8 = 50;

impl Default for CallPolicy {
    fn default() -> Self {
        CallPolicy {
            retries: 0,
            timeout: None,
            delay: Duration::ZERO,
            backoff: Backoff::Fixed,
            backoff_cap: DEFAULT_BACKOFF_CAP,
            cache: None,
            throttle: None,
            concurrency: None,
            on_error: OnError::Propagate,
            lazy: false,
            priority: DEFAULT_PRIORITY,
            fallback: None,
        }
    }
}

impl CallPolicy {
    /// Attempts at most (retries + 1).
    pub fn max_attempts(&self) -> u32 {
        self.retries.saturating_add(1)
    }

    /// Whether the policy changes nothing about a call (a node with such a
    /// policy can take the plain path).
    pub fn is_plain(&self) -> bool {
        *self == CallPolicy::default()
    }
}

/// The module node an option problem is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleRef {
    /// The node's UUID.
    pub uuid: Uuid,
    /// The module's name.
    pub name: String,
}

impl fmt::Display for ModuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "module `{}` ({})", self.name, self.uuid)
    }
}

/// What is wrong with one option.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OptionProblem {
    /// A count or duration below zero.
    Negative {
        /// The wire name.
        field: &'static str,
        /// The value given.
        value: i64,
    },
    /// A count that must be at least 1 is 0.
    Zero {
        /// The wire name.
        field: &'static str,
    },
    /// A number too large to apply.
    TooLarge {
        /// The wire name.
        field: &'static str,
        /// The value given.
        value: i64,
    },
    /// A backoff strategy we do not know.
    UnknownBackoff(String),
    /// An error strategy we do not know.
    UnknownOnError(String),
    /// `throttleCount` without `throttlePerMs` or the reverse.
    HalfThrottle,
    /// The fallback names no data node of the plan.
    FallbackMissing(Uuid),
    /// The fallback's type is not the module's output type.
    FallbackType {
        /// The module's output type.
        expected: CType,
        /// The fallback node's type.
        found: CType,
    },
    /// The module does not have exactly one output, so no value can stand
    /// in for "the output".
    FallbackNeedsOneOutput(usize),
    /// The cache backend is not registered with the program.
    UnknownCacheBackend(String),
    /// The fallback is a data node computed by the pipeline, not an input.
    FallbackNotInput(Uuid),
    /// `wrap` needs a module with exactly one output.
    WrapNeedsOneOutput(usize),
    /// With `wrap`, the output's data node must have the wrapped type.
    WrapType {
        /// The wrapped type.
        expected: CType,
        /// The output data node's type.
        found: CType,
    },
    /// The output's data node has the wrapped type but `onError` is not
    /// `wrap` (a config overlay changed it).
    WrappedTypeWithoutWrap,
    /// `skip`/`log` need a zero value of the output type; a union has none.
    NoZeroValue(CType),
}

impl fmt::Display for OptionProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionProblem::Negative { field, value } => {
                write!(f, "`{field}` is {value}; write 0 or more")
            }
            OptionProblem::Zero { field } => write!(f, "`{field}` is 0; write 1 or more"),
            OptionProblem::TooLarge { field, value } => {
                write!(f, "`{field}` is {value}, too large; write at most {}", u32::MAX)
            }
            OptionProblem::UnknownBackoff(s) => write!(
                f,
                "`backoff` is \"{s}\"; write \"fixed\", \"linear\" or \"exponential\""
            ),
            OptionProblem::UnknownOnError(s) => write!(
                f,
                "`onError` is \"{s}\"; write \"propagate\", \"skip\", \"log\" or \"wrap\""
            ),
            OptionProblem::HalfThrottle => write!(
                f,
                "`throttleCount` and `throttlePerMs` go together; set both or neither"
            ),
            OptionProblem::FallbackMissing(u) => write!(
                f,
                "`fallback` names {u}, which is no data node of the pipeline; name a data node"
            ),
            OptionProblem::FallbackType { expected, found } => write!(
                f,
                "`fallback` has type {}, the module's output has type {}; give a fallback of the output's type",
                found.tag(),
                expected.tag()
            ),
            OptionProblem::FallbackNeedsOneOutput(n) => write!(
                f,
                "`fallback` needs a module with exactly one output; this one has {n}"
            ),
            OptionProblem::FallbackNotInput(u) => write!(
                f,
                "`fallback` names {u}, a data node the pipeline computes; name a pipeline input (computed fallbacks are not applied yet)"
            ),
            OptionProblem::WrapNeedsOneOutput(n) => write!(
                f,
                "`onError: wrap` needs a module with exactly one output; this one has {n}"
            ),
            OptionProblem::WrapType { expected, found } => write!(
                f,
                "`onError: wrap` gives its consumers a {expected}, but the output's data node is a {found}; declare the node with the wrapped type"
            ),
            OptionProblem::WrappedTypeWithoutWrap => write!(
                f,
                "the output's data node has the wrapped type of `onError: wrap`, but `onError` is not `wrap`; keep `wrap` or retype the node"
            ),
            OptionProblem::NoZeroValue(t) => write!(
                f,
                "`onError: skip`/`log` give consumers the zero value of the output type, and {t} has none; use `propagate`, `wrap` or a fallback"
            ),
            OptionProblem::UnknownCacheBackend(b) => write!(
                f,
                "`cacheBackend` is \"{b}\", which is not registered; register it or write \"memory\""
            ),
        }
    }
}

/// One option problem of one module node.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{module}: {problem}")]
pub struct OptionError {
    /// The node.
    pub module: ModuleRef,
    /// What is wrong.
    pub problem: OptionProblem,
}

/// Every option problem of a module node (never empty).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct OptionErrors(pub Vec<OptionError>);

/// An option that has no effect or is suspicious; the policy is built anyway.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionWarning {
    /// The node.
    pub module: ModuleRef,
    /// What is odd, in words.
    pub message: String,
}

impl fmt::Display for OptionWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.module, self.message)
    }
}

/// What resolution needs to know about the plan around the node.
pub struct ResolveContext<'a> {
    /// The node.
    pub module: ModuleRef,
    /// The module's output types, in output order.
    pub outputs: &'a [CType],
    /// The types of the data nodes bound to the outputs, in output order
    /// (`None`: the output is unbound).
    pub output_nodes: &'a [Option<CType>],
    /// Whether a data node (by UUID) is a pipeline input.
    pub is_input: &'a dyn Fn(Uuid) -> bool,
    /// The type of a data node by UUID, or `None` if the plan has no such
    /// data node.
    pub data_type: &'a dyn Fn(Uuid) -> Option<CType>,
    /// Whether a cache backend of this name exists (`"memory"` always does).
    pub has_backend: &'a dyn Fn(&str) -> bool,
}

/// A resolved policy and its warnings.
pub type Resolved = (CallPolicy, Vec<OptionWarning>);

/// Checks `options` and builds the node's [`CallPolicy`], or every problem
/// found.
pub fn resolve(
    options: &ModuleCallOptions,
    cx: &ResolveContext<'_>,
) -> Result<Resolved, OptionErrors> {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let mut warn = |m: String| {
        warnings.push(OptionWarning {
            module: cx.module.clone(),
            message: m,
        })
    };

    let count =
        |field: &'static str, v: Option<i64>, problems: &mut Vec<OptionProblem>| -> Option<u32> {
            let v = v?;
            if v < 0 {
                problems.push(OptionProblem::Negative { field, value: v });
                None
            } else if v > i64::from(u32::MAX) {
                problems.push(OptionProblem::TooLarge { field, value: v });
                None
            } else {
                Some(v as u32)
            }
        };
    let millis = |field: &'static str,
                  v: Option<i64>,
                  problems: &mut Vec<OptionProblem>|
     -> Option<Duration> {
        let v = v?;
        if v < 0 {
            problems.push(OptionProblem::Negative { field, value: v });
            None
        } else {
            Some(Duration::from_millis(v as u64))
        }
    };

    let delay = millis("delayMs", options.delay_ms, &mut problems);
    let mut p = CallPolicy {
        retries: count("retry", options.retry, &mut problems).unwrap_or(0),
        timeout: millis("timeoutMs", options.timeout_ms, &mut problems),
        delay: delay.unwrap_or(Duration::ZERO),
        ..CallPolicy::default()
    };
    if let Some(cap) = millis("backoffCapMs", options.backoff_cap_ms, &mut problems) {
        p.backoff_cap = cap;
    }
    if let Some(b) = &options.backoff {
        match Backoff::parse(b) {
            Some(b) => p.backoff = b,
            None => problems.push(OptionProblem::UnknownBackoff(b.clone())),
        }
        if options.delay_ms.is_none() {
            warn(
                "`backoff` without `delayMs` has no effect (there is no base delay to grow)".into(),
            );
        }
        if options.retry.unwrap_or(0) <= 0 {
            warn("`backoff` without `retry` has no effect".into());
        }
    }
    if options.delay_ms.is_some() && options.retry.unwrap_or(0) <= 0 {
        warn(
            "`delayMs` without `retry` has no effect (the delay is the wait between attempts)"
                .into(),
        );
    }
    if p.retries > HIGH_RETRY_WARNING {
        warn(format!(
            "`retry` is {}; more than {HIGH_RETRY_WARNING} retries often hides a broken service",
            p.retries
        ));
    }

    let backend = options.cache_backend.as_deref();
    if let Some(ttl) = millis("cacheMs", options.cache_ms, &mut problems) {
        let name = backend.unwrap_or(MEMORY_BACKEND);
        if name != MEMORY_BACKEND && !(cx.has_backend)(name) {
            problems.push(OptionProblem::UnknownCacheBackend(name.to_owned()));
        }
        p.cache = Some(CacheSpec {
            ttl,
            backend: Arc::from(name),
        });
    } else if backend.is_some() && options.cache_ms.is_none() {
        warn("`cacheBackend` without `cacheMs` has no effect".into());
    }

    match (options.throttle_count, options.throttle_per_ms) {
        (None, None) => {}
        (Some(_), None) | (None, Some(_)) => problems.push(OptionProblem::HalfThrottle),
        (Some(c), Some(per)) => {
            let c = count("throttleCount", Some(c), &mut problems);
            let per = millis("throttlePerMs", Some(per), &mut problems);
            match (c, per) {
                (Some(0), _) => problems.push(OptionProblem::Zero {
                    field: "throttleCount",
                }),
                (_, Some(d)) if d.is_zero() => problems.push(OptionProblem::Zero {
                    field: "throttlePerMs",
                }),
                (Some(c), Some(per)) => {
                    p.throttle = NonZeroU32::new(c).map(|count| Rate { count, per });
                }
                _ => {}
            }
        }
    }

    if let Some(c) = count("concurrency", options.concurrency, &mut problems) {
        match NonZeroU32::new(c) {
            Some(c) => p.concurrency = Some(c),
            None => problems.push(OptionProblem::Zero {
                field: "concurrency",
            }),
        }
    }

    if let Some(s) = &options.on_error {
        match OnError::parse(s) {
            Some(e) => p.on_error = e,
            None => problems.push(OptionProblem::UnknownOnError(s.clone())),
        }
    }
    p.lazy = options.lazy_eval.unwrap_or(false);
    if let Some(pr) = options.priority {
        let clamped = pr.clamp(0, 100);
        if clamped != pr {
            warn(format!(
                "`priority` is {pr}; clamped to {clamped} (0 to 100)"
            ));
        }
        p.priority = clamped as u8;
    }

    if let Some(fb) = options.fallback {
        if cx.outputs.len() != 1 {
            problems.push(OptionProblem::FallbackNeedsOneOutput(cx.outputs.len()));
        } else {
            match (cx.data_type)(fb) {
                None => problems.push(OptionProblem::FallbackMissing(fb)),
                Some(found) if found != cx.outputs[0] => {
                    problems.push(OptionProblem::FallbackType {
                        expected: cx.outputs[0].clone(),
                        found,
                    })
                }
                Some(_) if !(cx.is_input)(fb) => problems.push(OptionProblem::FallbackNotInput(fb)),
                Some(_) => p.fallback = Some(fb),
            }
        }
    }

    let wrapped: Vec<CType> = cx
        .outputs
        .iter()
        .map(asterism_compiler::wrapped_type)
        .collect();
    let typed_wrapped = cx
        .output_nodes
        .iter()
        .zip(&wrapped)
        .any(|(node, w)| node.as_ref() == Some(w));
    match p.on_error {
        OnError::Wrap if cx.outputs.len() != 1 => {
            problems.push(OptionProblem::WrapNeedsOneOutput(cx.outputs.len()))
        }
        OnError::Wrap => {
            if let Some(Some(found)) = cx.output_nodes.first() {
                if *found != wrapped[0] {
                    problems.push(OptionProblem::WrapType {
                        expected: wrapped[0].clone(),
                        found: found.clone(),
                    });
                }
            }
        }
        _ if typed_wrapped => problems.push(OptionProblem::WrappedTypeWithoutWrap),
        OnError::Skip | OnError::Log if p.fallback.is_none() => {
            if let Some(t) = cx
                .outputs
                .iter()
                .find(|t| super::values::zero_value(t).is_none())
            {
                problems.push(OptionProblem::NoZeroValue(t.clone()));
            }
        }
        _ => {}
    }

    let streaming = options.batch_size.is_some()
        || options.batch_timeout_ms.is_some()
        || options.window.is_some()
        || options.checkpoint_ms.is_some()
        || options.join_strategy.is_some();
    if streaming {
        warn("streaming options (batchSize, batchTimeoutMs, window, checkpointMs, joinStrategy) are carried but not applied".into());
    }

    if problems.is_empty() {
        Ok((p, warnings))
    } else {
        Err(OptionErrors(
            problems
                .into_iter()
                .map(|problem| OptionError {
                    module: cx.module.clone(),
                    problem,
                })
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx_with<'a>(
        outputs: &'a [CType],
        data: &'a dyn Fn(Uuid) -> Option<CType>,
    ) -> ResolveContext<'a> {
        ResolveContext {
            module: ModuleRef {
                uuid: Uuid::from_u128(7),
                name: "Flaky".into(),
            },
            outputs,
            output_nodes: &[],
            data_type: data,
            is_input: &|_| true,
            has_backend: &|n| n == "redis",
        }
    }

    fn resolve_plain(o: ModuleCallOptions) -> Result<Resolved, OptionErrors> {
        let none = |_| None;
        resolve(&o, &cx_with(&[CType::Int], &none))
    }

    #[test]
    fn the_wire_form_becomes_a_typed_policy() {
        let o = ModuleCallOptions {
            retry: Some(3),
            timeout_ms: Some(3000),
            delay_ms: Some(100),
            backoff: Some("Exponential".into()),
            cache_ms: Some(300_000),
            throttle_count: Some(10),
            throttle_per_ms: Some(1000),
            concurrency: Some(2),
            on_error: Some("fail".into()),
            lazy_eval: Some(true),
            priority: Some(75),
            ..Default::default()
        };
        let (p, warnings) = resolve_plain(o).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(p.retries, 3);
        assert_eq!(p.max_attempts(), 4);
        assert_eq!(p.timeout, Some(Duration::from_secs(3)));
        assert_eq!(p.delay, Duration::from_millis(100));
        assert_eq!(p.backoff, Backoff::Exponential);
        assert_eq!(p.backoff_cap, DEFAULT_BACKOFF_CAP);
        assert_eq!(p.cache.as_ref().unwrap().ttl, Duration::from_secs(300));
        assert_eq!(&*p.cache.as_ref().unwrap().backend, MEMORY_BACKEND);
        assert_eq!(p.throttle.unwrap().count.get(), 10);
        assert_eq!(p.concurrency.unwrap().get(), 2);
        assert_eq!(p.on_error, OnError::Propagate);
        assert!(p.lazy);
        assert_eq!(p.priority, 75);
        assert!(!p.is_plain());
        assert!(resolve_plain(ModuleCallOptions::default())
            .unwrap()
            .0
            .is_plain());
    }

    #[test]
    fn nonsense_is_every_problem_at_once_naming_the_module() {
        let o = ModuleCallOptions {
            retry: Some(-1),
            backoff: Some("sideways".into()),
            concurrency: Some(0),
            throttle_count: Some(5),
            on_error: Some("ignore".into()),
            cache_ms: Some(10),
            cache_backend: Some("memcached".into()),
            ..Default::default()
        };
        let errs = resolve_plain(o).unwrap_err();
        let kinds: Vec<_> = errs.0.iter().map(|e| e.problem.clone()).collect();
        assert!(kinds.contains(&OptionProblem::Negative {
            field: "retry",
            value: -1
        }));
        assert!(kinds.contains(&OptionProblem::UnknownBackoff("sideways".into())));
        assert!(kinds.contains(&OptionProblem::Zero {
            field: "concurrency"
        }));
        assert!(kinds.contains(&OptionProblem::HalfThrottle));
        assert!(kinds.contains(&OptionProblem::UnknownOnError("ignore".into())));
        assert!(kinds.contains(&OptionProblem::UnknownCacheBackend("memcached".into())));
        let text = errs.to_string();
        assert!(text.contains("module `Flaky` (00000000-0000-0000-0000-000000000007)"));
        assert!(text.contains("`retry` is -1; write 0 or more"));
    }

    #[test]
    fn harmless_oddities_are_warnings() {
        let (p, w) = resolve_plain(ModuleCallOptions {
            retry: Some(11),
            backoff: Some("linear".into()),
            priority: Some(150),
            cache_backend: Some("redis".into()),
            window: Some("tumbling".into()),
            ..Default::default()
        })
        .unwrap();
        let text: Vec<String> = w.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 5, "{text:?}");
        assert!(text[0].contains("`backoff` without `delayMs`"));
        assert!(text.iter().any(|t| t.contains("more than 10 retries")));
        assert!(text.iter().any(|t| t.contains("clamped to 100")));
        assert!(text
            .iter()
            .any(|t| t.contains("`cacheBackend` without `cacheMs`")));
        assert!(text.iter().any(|t| t.contains("streaming options")));
        assert_eq!(p.priority, 100);
        let (_, w) = resolve_plain(ModuleCallOptions {
            delay_ms: Some(5),
            ..Default::default()
        })
        .unwrap();
        assert!(w[0].message.contains("`delayMs` without `retry`"));
    }

    #[test]
    fn a_fallback_must_be_a_data_node_of_the_output_type() {
        let fb = Uuid::from_u128(9);
        let data = move |u: Uuid| (u == fb).then_some(CType::String);
        let opts = ModuleCallOptions {
            fallback: Some(fb),
            ..Default::default()
        };
        let err = resolve(&opts, &cx_with(&[CType::Int], &data)).unwrap_err();
        assert_eq!(
            err.0[0].problem,
            OptionProblem::FallbackType {
                expected: CType::Int,
                found: CType::String
            }
        );
        assert!(err
            .to_string()
            .contains("give a fallback of the output's type"));
        let (p, _) = resolve(&opts, &cx_with(&[CType::String], &data)).unwrap();
        assert_eq!(p.fallback, Some(fb));
        let missing = ModuleCallOptions {
            fallback: Some(Uuid::from_u128(1)),
            ..Default::default()
        };
        let err = resolve(&missing, &cx_with(&[CType::String], &data)).unwrap_err();
        assert!(matches!(
            err.0[0].problem,
            OptionProblem::FallbackMissing(_)
        ));
        let err = resolve(&opts, &cx_with(&[CType::String, CType::Int], &data)).unwrap_err();
        assert_eq!(err.0[0].problem, OptionProblem::FallbackNeedsOneOutput(2));
        let mut cx = cx_with(&[CType::String], &data);
        cx.is_input = &|_| false;
        let err = resolve(&opts, &cx).unwrap_err();
        assert_eq!(err.0[0].problem, OptionProblem::FallbackNotInput(fb));
    }

    #[test]
    fn wrap_and_skip_need_types_they_can_give() {
        let none = |_| None;
        let wrap = ModuleCallOptions {
            on_error: Some("wrap".into()),
            ..Default::default()
        };
        let mut cx = cx_with(&[CType::Int], &none);
        let typed = [Some(asterism_compiler::wrapped_type(&CType::Int))];
        cx.output_nodes = &typed;
        assert_eq!(resolve(&wrap, &cx).unwrap().0.on_error, OnError::Wrap);
        let plain = [Some(CType::Int)];
        cx.output_nodes = &plain;
        let err = resolve(&wrap, &cx).unwrap_err();
        assert!(matches!(err.0[0].problem, OptionProblem::WrapType { .. }));
        assert!(err
            .to_string()
            .contains("declare the node with the wrapped type"));
        // Typed for wrap, but a config overlay says skip.
        cx.output_nodes = &typed;
        let skip = ModuleCallOptions {
            on_error: Some("skip".into()),
            ..Default::default()
        };
        let err = resolve(&skip, &cx).unwrap_err();
        assert_eq!(err.0[0].problem, OptionProblem::WrappedTypeWithoutWrap);
        // A union has no zero value to skip with.
        let union = [asterism_compiler::wrapped_type(&CType::Int)];
        let cx = cx_with(&union, &none);
        let err = resolve(&skip, &cx).unwrap_err();
        assert!(matches!(err.0[0].problem, OptionProblem::NoZeroValue(_)));
    }
}
