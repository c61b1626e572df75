//! `Program`: a plan bound to module implementations, ready to run many
//! times, from many tasks at once.
//!
//! Binding resolves each module node to its implementation once; afterwards
//! modules are reached by index only. A `Program` is `Send + Sync` and a
//! clone is one reference-count increment.
//!
//! | file | owns |
//! |---|---|
//! | `mod.rs` | [`Program`]: load, bind, the run entry points, input and output handles |
//! | `bound.rs` | its insides, and writing inputs and building results (shared with the reference executor) |
//! | `node_table.rs` | per node, everything the executor needs, resolved at bind |
//! | `pool.rs`, `shard.rs` | the state pool ([`StatePool`](pool::StatePool)) and per-thread shards |
//! | `metrics.rs` | counters, summed when read |
//! | `observed.rs` | the run entry points' observed path: hooks around either executor, and the reference executor |

pub(crate) mod bound;
pub mod metrics;
pub(crate) mod node_table;
mod observed;
pub mod pool;
pub(crate) mod shard;

use std::sync::Arc;
use std::time::Duration;

use asterism_compiler::{CValue, CompileErrors, DagSpec, InputIx, ModuleIx, OutputIx, Plan};

use crate::config::RuntimeConfig;
use crate::error::{BindError, BindErrors, InputError, RunError};
use crate::exec::{self as executor, ExecCtx, RunCounts, RunOptions};
use crate::modules::module::Body;
use crate::modules::registry::Registry;
use crate::observe::{Hooks, Observer};
use crate::options::bind::ProgramOptions;
use crate::program::bound::{fill_inputs, finish_result, ProgramInner};
use crate::program::metrics::{Metrics, MetricsSnapshot};
use crate::program::node_table::NodeTable;
use crate::program::pool::{StateGuard, StatePool};
use crate::result::ExecutionResult;

/// A problem loading a spec into a program.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The spec does not compile.
    #[error(transparent)]
    Compile(#[from] CompileErrors),
    /// The plan does not bind.
    #[error(transparent)]
    Bind(#[from] BindErrors),
}

/// A plan bound to its modules.
#[derive(Clone)]
pub struct Program {
    pub(crate) inner: Arc<ProgramInner>,
}

impl std::fmt::Debug for Program {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Program")
            .field("name", &self.inner.plan.name())
            .field("modules", &self.inner.plan.module_count())
            .field("transforms", &self.inner.plan.transform_count())
            .finish()
    }
}

impl Program {
    /// Binds a plan to the registry's implementations. Every module node
    /// without an implementation is reported at once.
    pub fn bind(
        plan: impl Into<Arc<Plan>>,
        registry: &Registry,
        config: &RuntimeConfig,
    ) -> Result<Program, BindErrors> {
        Program::bind_observed(plan.into(), registry, config, None)
    }

    /// [`Program::bind`], with an observer that hears every execution's
    /// start, each module's end and the execution's end (see
    /// [`Observer`]). A program without one pays nothing for the hook.
    pub fn bind_with(
        plan: impl Into<Arc<Plan>>,
        registry: &Registry,
        config: &RuntimeConfig,
        observer: Arc<dyn Observer>,
    ) -> Result<Program, BindErrors> {
        Program::bind_observed(plan.into(), registry, config, Some(observer))
    }

    fn bind_observed(
        plan: Arc<Plan>,
        registry: &Registry,
        config: &RuntimeConfig,
        observer: Option<Arc<dyn Observer>>,
    ) -> Result<Program, BindErrors> {
        let mut errors = Vec::new();
        let mut bodies = Vec::with_capacity(plan.module_count());
        let mut timeouts = Vec::with_capacity(plan.module_count());
        for m in (0..plan.module_count() as u32).map(ModuleIx) {
            let sig = plan.module_signature(m);
            let node = plan.node_ref(plan.module_node(m));
            match registry.get(&sig.name) {
                None => errors.push(BindError::Missing {
                    node,
                    module: sig.name.clone(),
                }),
                Some(module)
                    if module.signature.params != sig.params
                        || module.signature.outputs != sig.outputs =>
                {
                    errors.push(BindError::SignatureChanged {
                        node,
                        module: sig.name.clone(),
                    })
                }
                Some(module) => {
                    bodies.push(module.body.clone());
                    let timeout = config
                        .timeout_override(&[sig.name.as_str(), plan.module_name(m)])
                        .or(plan.module_timeout(m))
                        .or(module.signature.default_timeout)
                        .or(config.modules.default_timeout_ms.map(Duration::from_millis));
                    timeouts.push(timeout);
                }
            }
        }
        if !errors.is_empty() {
            return Err(BindErrors(errors));
        }
        // Options are resolved only for plans that have some (the table
        // of a plan without any is empty).
        let options = if plan.has_module_options() || !config.modules.options.is_empty() {
            // Each attempt of an async module with no timeout of its own is
            // bounded by `max-pending-ms`, as a plain pending future is.
            let max_pending = config.modules.max_pending_ms.duration();
            let attempt_timeouts: Vec<Option<Duration>> = timeouts
                .iter()
                .zip(&bodies)
                .map(|(t, b)| match b {
                    Body::Async(_) | Body::TypedAsync(_) => t.or(max_pending),
                    _ => *t,
                })
                .collect();
            match ProgramOptions::bind(
                &plan,
                &config.modules.options,
                registry.cache_backends(),
                &attempt_timeouts,
            ) {
                Ok((options, _warnings)) => options,
                Err(e) => {
                    return Err(BindErrors(
                        e.0.into_iter().map(BindError::Options).collect(),
                    ))
                }
            }
        } else {
            ProgramOptions::default()
        };
        // Calibrate the clock now, not in the first execution.
        let _ = executor::latency_clock();
        let table = NodeTable::build(&plan, &bodies, &timeouts, &options)
            .with_max_pending(config.modules.max_pending_ms.duration());
        // Clamped: code may set any size; TOML is refused past the bounds.
        let (pool_size, prewarm) = config.clamped_pool();
        let pool = StatePool::new(pool_size);
        pool.prewarm(&plan, prewarm);
        let hooks = Hooks::new(&plan, observer);
        Ok(Program {
            inner: Arc::new(ProgramInner {
                plan,
                table,
                options,
                pool,
                metrics: Metrics::default(),
                config: config.clone(),
                latency_every: if config.modules.record_latency {
                    u64::from(config.modules.latency_sample_every.get())
                } else {
                    0
                },
                plain: config.state.mutable && hooks.is_none(),
                hooks,
            }),
        })
    }

    /// Compiles a spec against the registry and binds it. Branch modules of
    /// the original's compiler that the registry does not answer are
    /// rebuilt from the spec ([`crate::modules::branch`]).
    pub fn load(
        spec: &DagSpec,
        registry: &Registry,
        config: &RuntimeConfig,
    ) -> Result<Program, LoadError> {
        // The original's synthetic branch modules are rebuilt from the spec.
        let registry = crate::modules::branch::with_branch_modules(registry, spec);
        let plan = registry.compile(spec)?;
        Ok(Program::bind(plan, &registry, config)?)
    }

    /// [`Program::load`], with an observer (see [`Program::bind_with`]).
    pub fn load_with(
        spec: &DagSpec,
        registry: &Registry,
        config: &RuntimeConfig,
        observer: Arc<dyn Observer>,
    ) -> Result<Program, LoadError> {
        let registry = crate::modules::branch::with_branch_modules(registry, spec);
        let plan = registry.compile(spec)?;
        Ok(Program::bind_with(plan, &registry, config, observer)?)
    }

    /// The compiled plan.
    pub fn plan(&self) -> &Plan {
        &self.inner.plan
    }

    /// The configuration the program was bound with.
    pub fn config(&self) -> &RuntimeConfig {
        &self.inner.config
    }

    /// Whether any module is async (then `run_sync` refuses).
    pub fn has_async_modules(&self) -> bool {
        !self.inner.table.sync_only()
    }

    /// The option counters of every module with call options (attempts,
    /// retries, timeouts, cache hits, misses and errors, throttle and permit
    /// waits, fallbacks), shared by every execution of the program.
    pub fn option_metrics(&self) -> Vec<crate::options::ModuleOptionCounts> {
        self.inner.options.counts()
    }

    /// Resolves an input name to a handle; keep it for per-call use.
    pub fn input(&self, name: &str) -> Option<InputIx> {
        self.inner.plan.input(name)
    }

    /// Resolves an output name to a handle; keep it for per-call use.
    pub fn output(&self, name: &str) -> Option<OutputIx> {
        self.inner.plan.output(name)
    }

    /// The state pool.
    pub fn pool(&self) -> &StatePool {
        &self.inner.pool
    }

    /// The program's counters.
    pub fn metrics(&self) -> MetricsSnapshot {
        self.inner.metrics.snapshot(self.inner.pool.stats())
    }

    /// Runs one execution. Inputs are `(handle, value)` pairs; every input
    /// must be given once, with its exact type, or nothing runs.
    pub async fn run<I>(&self, inputs: I) -> Result<ExecutionResult<'_>, RunError>
    where
        I: IntoIterator<Item = (InputIx, CValue)>,
    {
        self.run_with(inputs, &RunOptions::default()).await
    }

    /// Runs one execution with a deadline or a cancellation token.
    pub async fn run_with<I>(
        &self,
        inputs: I,
        options: &RunOptions,
    ) -> Result<ExecutionResult<'_>, RunError>
    where
        I: IntoIterator<Item = (InputIx, CValue)>,
    {
        self.run_checked(inputs, Vec::new(), options).await
    }

    /// Runs after name resolution, which may already have found problems
    /// (`earlier`); they are reported with the inputs' own, all at once.
    async fn run_checked<I>(
        &self,
        inputs: I,
        earlier: Vec<InputError>,
        options: &RunOptions,
    ) -> Result<ExecutionResult<'_>, RunError>
    where
        I: IntoIterator<Item = (InputIx, CValue)>,
    {
        let inner = &*self.inner;
        if !inner.plain {
            let observed = std::pin::pin!(self.run_observed(inputs, earlier, options));
            return observed::OutOfLine::new(observed).await;
        }
        let mut guard = self.start();
        guard.record_latency |= inner.asked_latency(options);
        let mut earlier = earlier;
        let started = self.fill(&mut guard, &mut inputs.into_iter(), &mut earlier)?;
        let mut counts = RunCounts::default();
        let ctx = inner.ctx(guard.record_latency);
        let (abort, end) =
            executor::drive(&ctx, guard.state_mut(), options, &mut counts, started).await;
        guard.finished = true;
        Ok(finish_result(inner, guard, started, end, abort, counts))
    }

    /// The start every mutable-state run shares: the execution counted and
    /// a pooled state. (Then [`Program::fill`]; two calls rather than one
    /// returning both, because a `Result` holding the guard comes back
    /// through memory and is moved again by `?`, in pieces written one way
    /// and read another: each move waits on store forwarding.)
    #[inline(always)]
    fn start(&self) -> StateGuard<'_> {
        let inner = &*self.inner;
        let record_latency = inner.count_start();
        StateGuard::pooled(&inner.pool, &inner.plan, record_latency)
    }

    /// Writes the inputs into the guard's state (or returns every problem
    /// with them; the guard then resets the state). Returns the latency
    /// clock's reading that starts the run.
    ///
    /// The inputs come by reference: moved down by value, a caller's
    /// iterator is copied at every call (a `memcpy` each, for an iterator
    /// over a few values).
    fn fill<I>(
        &self,
        guard: &mut StateGuard<'_>,
        inputs: &mut I,
        earlier: &mut Vec<InputError>,
    ) -> Result<u64, RunError>
    where
        I: Iterator<Item = (InputIx, CValue)>,
    {
        let inner = &*self.inner;
        if let Err(errors) = fill_inputs(&inner.plan, guard.state_mut(), inputs, earlier) {
            Metrics::add(&inner.metrics.local().executions_rejected, 1);
            return Err(RunError::inputs(errors));
        }
        // The total latency counts from here: the run, not the inputs'
        // checks (and with latencies recorded, this reading starts the
        // first module's).
        Ok(executor::latency_clock().now())
    }

    /// Runs with inputs given by name (resolved by a binary search per
    /// input; keep [`InputIx`] handles on hot paths).
    pub async fn run_named<'n, I>(&self, inputs: I) -> Result<ExecutionResult<'_>, RunError>
    where
        I: IntoIterator<Item = (&'n str, CValue)>,
    {
        let (resolved, unknown) = self.resolve_named(inputs);
        self.run_checked(resolved, unknown, &RunOptions::default())
            .await
    }

    /// Runs a program without an async runtime, on the calling thread.
    /// Refuses programs with async modules.
    pub fn run_sync<I>(&self, inputs: I) -> Result<ExecutionResult<'_>, RunError>
    where
        I: IntoIterator<Item = (InputIx, CValue)>,
    {
        if self.has_async_modules() {
            return Err(RunError::needs_async());
        }
        let inner = &*self.inner;
        if !inner.plain {
            return self.run_sync_observed(inputs, None);
        }
        // No future at all: the in-order pass, on this thread.
        let mut guard = self.start();
        let started = self.fill(&mut guard, &mut inputs.into_iter(), &mut Vec::new())?;
        let mut counts = RunCounts::default();
        let end = executor::run_sync(
            &inner.ctx(guard.record_latency),
            guard.state_mut(),
            &mut counts,
            started,
        );
        guard.finished = true;
        Ok(finish_result(inner, guard, started, end, None, counts))
    }

    /// [`Program::run_sync`] with a deadline or a cancellation token. Both
    /// are checked before the first node and between nodes; a sync
    /// module's body is never interrupted, so a run stops at the first node
    /// boundary after the deadline (or the cancellation). Refuses programs
    /// with async modules.
    pub fn run_sync_with<I>(
        &self,
        inputs: I,
        options: &RunOptions,
    ) -> Result<ExecutionResult<'_>, RunError>
    where
        I: IntoIterator<Item = (InputIx, CValue)>,
    {
        if self.has_async_modules() {
            return Err(RunError::needs_async());
        }
        let inner = &*self.inner;
        if !inner.plain {
            return self.run_sync_observed(inputs, Some(options));
        }
        let mut guard = self.start();
        guard.record_latency |= inner.asked_latency(options);
        let started = self.fill(&mut guard, &mut inputs.into_iter(), &mut Vec::new())?;
        let mut counts = RunCounts::default();
        let ctx = ExecCtx {
            run_options: Some(options),
            ..inner.ctx(guard.record_latency)
        };
        let (abort, end) =
            executor::run_sync_with(&ctx, guard.state_mut(), options, &mut counts, started);
        guard.finished = true;
        Ok(finish_result(inner, guard, started, end, abort, counts))
    }

    /// Decodes plain JSON inputs (`{"x": 5}`) against the input types; every
    /// problem is reported at once. Records ignore JSON fields they do not
    /// have, as the original does ([`Program::decode_inputs_strict`] refuses
    /// them).
    pub fn decode_inputs(
        &self,
        json: &serde_json::Value,
    ) -> Result<Vec<(InputIx, CValue)>, RunError> {
        self.decode_inputs_with(json, asterism_compiler::plain::decode)
    }

    /// Like [`Program::decode_inputs`], but a record given a field it does
    /// not have is an error naming the field.
    pub fn decode_inputs_strict(
        &self,
        json: &serde_json::Value,
    ) -> Result<Vec<(InputIx, CValue)>, RunError> {
        self.decode_inputs_with(json, asterism_compiler::plain::decode_strict)
    }

    fn decode_inputs_with(
        &self,
        json: &serde_json::Value,
        decode: fn(
            &str,
            &asterism_compiler::CType,
            &serde_json::Value,
        ) -> Result<CValue, asterism_compiler::plain::PlainJsonError>,
    ) -> Result<Vec<(InputIx, CValue)>, RunError> {
        let plan = &self.inner.plan;
        let Some(obj) = json.as_object() else {
            let kind = match json {
                serde_json::Value::Array(_) => "an array",
                serde_json::Value::String(_) => "a string",
                serde_json::Value::Number(_) => "a number",
                serde_json::Value::Bool(_) => "a boolean",
                _ => "null",
            };
            return Err(RunError::inputs(vec![InputError::NotAnObject(kind)]));
        };
        let mut errors = Vec::new();
        let mut out = Vec::with_capacity(obj.len());
        for (name, value) in obj {
            match plan.input(name) {
                None => errors.push(unexpected(plan, name)),
                Some(ix) => match decode(name, &plan.inputs()[ix.ix()].ty, value) {
                    Ok(v) => out.push((ix, v)),
                    Err(e) => errors.push(InputError::Json(e)),
                },
            }
        }
        for decl in plan.inputs() {
            if !obj.contains_key(&decl.name) {
                errors.push(InputError::Missing {
                    name: decl.name.clone(),
                    ty: decl.ty.clone(),
                });
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(RunError::inputs(errors))
        }
    }

    /// Splits named inputs into resolved ones and unknown names.
    fn resolve_named<'n, I>(&self, inputs: I) -> (Vec<(InputIx, CValue)>, Vec<InputError>)
    where
        I: IntoIterator<Item = (&'n str, CValue)>,
    {
        let plan = &self.inner.plan;
        let mut errors = Vec::new();
        let mut out = Vec::new();
        for (name, value) in inputs {
            match plan.input(name) {
                Some(ix) => out.push((ix, value)),
                None => errors.push(unexpected(plan, name)),
            }
        }
        (out, errors)
    }
}

fn unexpected(plan: &Plan, name: &str) -> InputError {
    InputError::Unexpected {
        name: name.to_owned(),
        known: plan.inputs().iter().map(|d| d.name.clone()).collect(),
    }
}
