//! `Program`: a plan bound to module implementations, ready to run many
//! times, from many tasks at once.
//!
//! Binding resolves each module node to its implementation once; afterwards
//! modules are reached by index only. A `Program` is `Send + Sync` and a
//! clone is one reference-count increment.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use asterism_compiler::{CValue, CompileErrors, DagSpec, InputIx, ModuleIx, OutputIx, Plan};

use crate::config::RuntimeConfig;
use crate::error::{BindError, BindErrors, InputError, RunError};
use crate::executor::{self, ExecCtx, RunCounts, RunOptions};
use crate::metrics::{Metrics, MetricsSnapshot};
use crate::node_table::NodeTable;
use crate::observe::{Hooks, Observer};
use crate::pool::{StateGuard, StatePool};
use crate::registry::Registry;
use crate::result::{Abort, ExecutionResult};
use crate::state::ExecutionState;
use crate::sync::Ordering;

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

pub(crate) struct ProgramInner {
    pub(crate) plan: Arc<Plan>,
    /// Per node: body, rows, the timeout in effect (both executors use it).
    pub(crate) table: NodeTable,
    pub(crate) pool: StatePool,
    pub(crate) metrics: Metrics,
    pub(crate) config: RuntimeConfig,
    /// Executions record module latencies one in every `latency_every`
    /// (0: none do).
    latency_every: u64,
    /// The slot executor with nothing watching: runs take the plain path.
    /// Otherwise (the reference executor, or hooks) they take the observed
    /// path, which handles both. One flag, checked once per execution.
    plain: bool,
    /// What watches the executions (an observer, the tracing and metrics
    /// features); `None` when nothing does.
    hooks: Option<Box<Hooks>>,
}

impl ProgramInner {
    /// The executor's view of the program, for a run that records module
    /// latencies or not ([`ProgramInner::count_start`] says which).
    pub(crate) fn ctx(&self, record_latency: bool) -> ExecCtx<'_> {
        ExecCtx {
            plan: &self.plan,
            table: &self.table,
            record_latency,
        }
    }

    /// Whether `options` ask for this execution's module latencies (and
    /// recording is on at all): [`RunOptions::record_latency`].
    #[inline(always)]
    pub(crate) fn asked_latency(&self, options: &RunOptions) -> bool {
        options.record_latency && self.latency_every != 0
    }

    /// Counts an execution started (in this thread's shard) and says
    /// whether it records module latencies: with sampling, the executions
    /// this thread's shard counts as 0, k, 2k, ... do. The count is the
    /// shard's own, so threads never contend for it, and a thread alone on
    /// its shard records exactly one execution in k.
    #[inline(always)]
    pub(crate) fn count_start(&self) -> bool {
        let n = self
            .metrics
            .local()
            .executions_started
            .fetch_add(1, Ordering::Relaxed);
        match self.latency_every {
            0 => false,
            1 => true,
            k if k.is_power_of_two() => n & (k - 1) == 0,
            k => n % k == 0,
        }
    }
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
        // Calibrate the clock now, not in the first execution.
        let _ = executor::latency_clock();
        let table = NodeTable::build(&plan, &bodies, &timeouts);
        let pool = StatePool::new(config.pool_capacity());
        pool.prewarm(&plan, config.state.initial_capacity);
        let hooks = Hooks::new(&plan, observer);
        Ok(Program {
            inner: Arc::new(ProgramInner {
                plan,
                table,
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

    /// Compiles a spec against the registry and binds it.
    pub fn load(
        spec: &DagSpec,
        registry: &Registry,
        config: &RuntimeConfig,
    ) -> Result<Program, LoadError> {
        let plan = registry.compile(spec)?;
        Ok(Program::bind(plan, registry, config)?)
    }

    /// [`Program::load`], with an observer (see [`Program::bind_with`]).
    pub fn load_with(
        spec: &DagSpec,
        registry: &Registry,
        config: &RuntimeConfig,
        observer: Arc<dyn Observer>,
    ) -> Result<Program, LoadError> {
        let plan = registry.compile(spec)?;
        Ok(Program::bind_with(plan, registry, config, observer)?)
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
        !self.inner.table.in_order()
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
            return self.run_observed(inputs, earlier, options).await;
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

    /// The path of a program that is not plain: the reference executor,
    /// or hooks around either executor (`observe/hooks.rs`).
    async fn run_observed<I>(
        &self,
        inputs: I,
        earlier: Vec<InputError>,
        options: &RunOptions,
    ) -> Result<ExecutionResult<'_>, RunError>
    where
        I: IntoIterator<Item = (InputIx, CValue)>,
    {
        let inner = &*self.inner;
        let Some(hooks) = inner.hooks.as_deref() else {
            return crate::reference::run(inner, inputs, earlier, options).await;
        };
        let watched = hooks.start(&inner.plan);
        let run = async {
            if !inner.config.state.mutable {
                return crate::reference::run(inner, inputs, earlier, options).await;
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
        };
        #[cfg(feature = "tracing")]
        let run = tracing::Instrument::instrument(run, watched.span().clone());
        let result = run.await;
        hooks.finish(watched, &inner.plan, result.as_ref().ok(), &inner.pool);
        result
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
            return self.run_sync_observed(inputs, &RunOptions::default());
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
            return self.run_sync_observed(inputs, options);
        }
        let mut guard = self.start();
        guard.record_latency |= inner.asked_latency(options);
        let started = self.fill(&mut guard, &mut inputs.into_iter(), &mut Vec::new())?;
        let mut counts = RunCounts::default();
        let (abort, end) = executor::run_sync_with(
            &inner.ctx(guard.record_latency),
            guard.state_mut(),
            options,
            &mut counts,
            started,
        );
        guard.finished = true;
        Ok(finish_result(inner, guard, started, end, abort, counts))
    }

    /// [`Program::run_sync_with`] for a program that is not plain (see
    /// [`Program::run_observed`]).
    fn run_sync_observed<I>(
        &self,
        inputs: I,
        options: &RunOptions,
    ) -> Result<ExecutionResult<'_>, RunError>
    where
        I: IntoIterator<Item = (InputIx, CValue)>,
    {
        let inner = &*self.inner;
        let hooks = match inner.hooks.as_deref() {
            Some(hooks) if inner.config.state.mutable => hooks,
            _ => {
                // The reference executor (observed or not, by
                // `run_observed`). With only sync modules the run ends in
                // one poll.
                let mut cx = Context::from_waker(Waker::noop());
                return match pin!(self.run_with(inputs, options)).poll(&mut cx) {
                    Poll::Ready(result) => result,
                    Poll::Pending => Err(RunError::needs_async()),
                };
            }
        };
        let watched = hooks.start(&inner.plan);
        #[cfg(feature = "tracing")]
        let entered = watched.span().enter();
        let run = || {
            let mut guard = self.start();
            guard.record_latency |= inner.asked_latency(options);
            let started = self.fill(&mut guard, &mut inputs.into_iter(), &mut Vec::new())?;
            let mut counts = RunCounts::default();
            let (abort, end) = executor::run_sync_with(
                &inner.ctx(guard.record_latency),
                guard.state_mut(),
                options,
                &mut counts,
                started,
            );
            guard.finished = true;
            Ok(finish_result(inner, guard, started, end, abort, counts))
        };
        let result = run();
        #[cfg(feature = "tracing")]
        drop(entered);
        hooks.finish(watched, &inner.plan, result.as_ref().ok(), &inner.pool);
        result
    }

    /// Decodes plain JSON inputs (`{"x": 5}`) against the input types; every
    /// problem is reported at once.
    pub fn decode_inputs(
        &self,
        json: &serde_json::Value,
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
                Some(ix) => {
                    match asterism_compiler::plain::decode(name, &plan.inputs()[ix.ix()].ty, value)
                    {
                        Ok(v) => out.push((ix, v)),
                        Err(e) => errors.push(InputError::Json(e)),
                    }
                }
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

/// Writes the inputs into their slots, checking each; on any problem
/// returns them all, after the `earlier` ones (which it takes), and the
/// caller's guard resets the state.
///
/// `earlier` comes by reference: a `Vec` passed by value is three words a
/// caller has just stored, read back here in a 16-byte load that waits on
/// store forwarding, on every run, errors or not.
pub(crate) fn fill_inputs<I>(
    plan: &Plan,
    state: &mut ExecutionState,
    inputs: I,
    earlier: &mut Vec<InputError>,
) -> Result<(), Vec<InputError>>
where
    I: IntoIterator<Item = (InputIx, CValue)>,
{
    let mut errors = Vec::new();
    let slots = &mut state.shared.slots;
    // Inputs written, each to its own slot (a second write is refused).
    let mut written = 0;
    for (ix, value) in inputs {
        let Some(decl) = plan.inputs().get(ix.ix()) else {
            errors.push(InputError::Unexpected {
                name: format!("#{}", ix.0),
                known: plan.inputs().iter().map(|d| d.name.clone()).collect(),
            });
            continue;
        };
        if !value.has_type(&decl.ty) {
            errors.push(InputError::Mistyped {
                name: decl.name.clone(),
                expected: decl.ty.clone(),
                found: value.ctype(),
            });
            continue;
        }
        if slots[decl.slot.ix()].set_mut(rebuilt(value)).is_err() {
            errors.push(InputError::Duplicate {
                name: decl.name.clone(),
            });
        } else {
            written += 1;
        }
    }
    if errors.is_empty() && earlier.is_empty() && written == plan.inputs().len() {
        // Every input written once: none is missing.
        return Ok(());
    }
    let mut errors = {
        let mut all = std::mem::take(earlier);
        all.append(&mut errors);
        all
    };
    for decl in plan.inputs() {
        if slots[decl.slot.ix()].get().is_none()
            && !errors.iter().any(|e| names_input(e, &decl.name))
        {
            errors.push(InputError::Missing {
                name: decl.name.clone(),
                ty: decl.ty.clone(),
            });
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// `value` itself, with a scalar rebuilt from its parts rather than
/// moved whole. A caller builds an input just before the call, as a tag
/// byte and a payload; moving it whole reads it back in 16-byte loads that
/// cannot be forwarded from those two stores, and each waits for them to
/// reach the cache (about as long as the rest of a one-node run). Read as
/// a tag and a payload, it forwards.
#[inline(always)]
fn rebuilt(value: CValue) -> CValue {
    // `black_box` keeps the compiler from seeing through the rebuild and
    // turning it back into a whole move.
    let scalar = match &value {
        CValue::Int(i) => CValue::Int(std::hint::black_box(*i)),
        CValue::Float(f) => CValue::Float(std::hint::black_box(*f)),
        CValue::Boolean(b) => CValue::Boolean(std::hint::black_box(*b)),
        _ => return value,
    };
    // A scalar owns nothing: forgetting it skips a call to drop glue.
    std::mem::forget(value);
    scalar
}

fn names_input(e: &InputError, name: &str) -> bool {
    matches!(e, InputError::Mistyped { name: n, .. } if n == name)
}

pub(crate) fn finish_result<'p>(
    inner: &'p ProgramInner,
    guard: StateGuard<'p>,
    started: u64,
    end: u64,
    abort: Option<Abort>,
    counts: RunCounts,
) -> ExecutionResult<'p> {
    let m = inner.metrics.local();
    Metrics::add(&m.modules_run, counts.modules_run);
    Metrics::add(&m.modules_failed, counts.failed);
    Metrics::add(&m.modules_timed_out, counts.timed_out);
    Metrics::add(&m.nodes_skipped, counts.skipped);
    let counter = if abort.is_some() {
        &m.executions_aborted
    } else if counts.failed + counts.timed_out + counts.skipped > 0 {
        &m.executions_failed
    } else {
        &m.executions_succeeded
    };
    Metrics::add(counter, 1);
    ExecutionResult {
        guard,
        total: Duration::from_nanos(executor::latency_clock().nanos_between(started, end)),
        abort,
        failed: (counts.failed + counts.timed_out) as u32,
        skipped: counts.skipped as u32,
    }
}
