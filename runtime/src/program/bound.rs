//! The bound program's insides ([`ProgramInner`]: the plan, the node
//! table, the pool, the metrics, the configuration), and the two steps
//! every run shares whichever executor runs it: writing the inputs
//! ([`fill_inputs`]) and building the result ([`finish_result`]). Both
//! `Program` (`mod.rs`) and the reference executor (`reference.rs`) use
//! them; this file uses neither.

use std::sync::Arc;
use std::time::Duration;

use asterism_compiler::{typecheck, CValue, InputDecl, InputIx, Plan};

use crate::config::RuntimeConfig;
use crate::error::InputError;
use crate::exec::{latency_clock, ExecCtx, RunCounts, RunOptions};
use crate::observe::Hooks;
use crate::options::bind::ProgramOptions;
use crate::program::metrics::Metrics;
use crate::program::node_table::NodeTable;
use crate::program::pool::{StateGuard, StatePool};
use crate::result::{Abort, ExecutionResult};
use crate::state::sync::Ordering;
use crate::state::ExecutionState;

/// A bound program, shared by its clones.
pub(crate) struct ProgramInner {
    pub(crate) plan: Arc<Plan>,
    /// Per node: body, rows, the timeout in effect (both executors use it).
    pub(crate) table: NodeTable,
    /// Module call options and their shared state (limiters, permits,
    /// caches, counters), indexed by module; empty without options.
    pub(crate) options: ProgramOptions,
    pub(crate) pool: StatePool,
    pub(crate) metrics: Metrics,
    pub(crate) config: RuntimeConfig,
    /// Executions record module latencies one in every `latency_every`
    /// (0: none do).
    pub(crate) latency_every: u64,
    /// The slot executor with nothing watching: runs take the plain path.
    /// Otherwise (the reference executor, or hooks) they take the observed
    /// path (`observed.rs`), which handles both. One flag, checked once per
    /// execution, where the choice of executor was checked before hooks
    /// existed.
    pub(crate) plain: bool,
    /// What watches the executions (an observer, the tracing and metrics
    /// features); `None` when nothing does.
    pub(crate) hooks: Option<Box<Hooks>>,
}

impl ProgramInner {
    /// The executor's view of the program, for a run that records module
    /// latencies or not ([`ProgramInner::count_start`] says which).
    #[inline]
    pub(crate) fn ctx(&self, record_latency: bool) -> ExecCtx<'_> {
        ExecCtx {
            plan: &self.plan,
            table: &self.table,
            record_latency,
            run_options: None,
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

/// Writes the inputs into their slots, checking each; on any problem
/// returns them all, after the `earlier` ones (which it takes), and the
/// caller's guard resets the state.
///
/// `earlier` comes by reference: a `Vec` passed by value is three words a
/// caller has just stored, read back here in a 16-byte load that waits on
/// store forwarding, on every run, errors or not.
///
/// `#[inline]`: `Program::fill` inlined it when both were in one file, and
/// a call of its own costs every run a few instructions.
#[inline]
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
        if !typecheck::conforms(&value, &decl.ty) {
            errors.push(mistyped(decl, &value));
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

/// Why an input is not of its type: the wrong type outright, or a wrong
/// part inside (with its path).
#[cold]
fn mistyped(decl: &InputDecl, value: &CValue) -> InputError {
    let found = value.ctype();
    match typecheck::check_value(&decl.name, value, &decl.ty) {
        Err(error) if found == decl.ty => InputError::NotOfItsType {
            name: decl.name.clone(),
            expected: decl.ty.clone(),
            error,
        },
        _ => InputError::Mistyped {
            name: decl.name.clone(),
            expected: decl.ty.clone(),
            found,
        },
    }
}

fn names_input(e: &InputError, name: &str) -> bool {
    matches!(e, InputError::Mistyped { name: n, .. } | InputError::NotOfItsType { name: n, .. } if n == name)
}

#[inline]
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
        total: Duration::from_nanos(latency_clock().nanos_between(started, end)),
        abort,
        failed: (counts.failed + counts.timed_out) as u32,
        skipped: counts.skipped as u32,
    }
}
