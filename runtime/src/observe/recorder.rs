//! The `metrics` integration (cargo feature `metrics`): counters,
//! histograms and gauges through the `metrics` facade, exported by
//! whichever recorder the service installs (Prometheus, StatsD, ...).
//!
//! | name | kind | labels | what |
//! |---|---|---|---|
//! | `asterism_executions_total` | counter | `pipeline`, `outcome` | executions by outcome (`succeeded`, `failed`, `cancelled`, `deadline_exceeded`, `rejected`) |
//! | `asterism_execution_duration_seconds` | histogram | `pipeline` | every execution's total latency |
//! | `asterism_module_failures_total` | counter | `pipeline`, `module` | module runs that failed (error or panic) |
//! | `asterism_module_timeouts_total` | counter | `pipeline`, `module` | module runs that timed out |
//! | `asterism_module_skips_total` | counter | `pipeline`, `module` | modules skipped because a node upstream failed |
//! | `asterism_module_duration_seconds` | histogram | `pipeline`, `module` | module latencies, from sampled executions |
//! | `asterism_pool_idle_states` | gauge | `pipeline` | states idle in the pool, set at the end of sampled executions |
//! | `asterism_pool_in_use_states` | gauge | `pipeline` | states held by executions or results, likewise |
//!
//! `module` is the module node's name in the spec. Handles are registered
//! once, when the program is bound, so **install the recorder before
//! loading programs**; per execution, recording is a call on a handle,
//! with no key built, no label hashed and nothing allocated. The module
//! walks happen only when they have something to record: failures and
//! skips when the execution had some, latencies and gauges in the
//! executions the latency sampling draws (`latency-sample-every`).

use std::time::Duration;

use ::metrics::{
    counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram, Counter,
    Gauge, Histogram, Unit,
};
use asterism_compiler::{ModuleIx, Plan};

use crate::exec::latency::{latency_clock, TICKS_FLAG};
use crate::observe::observer::Outcome;
use crate::program::pool::StatePool;
use crate::result::{Abort, ExecutionResult};
use crate::state::status::Phase;

/// The outcomes, in the order of [`Handles::executions`].
const OUTCOMES: [Outcome; 5] = [
    Outcome::Succeeded,
    Outcome::Failed,
    Outcome::Aborted(Abort::Cancelled),
    Outcome::Aborted(Abort::DeadlineExceeded),
    Outcome::Rejected,
];

fn outcome_index(o: Outcome) -> usize {
    match o {
        Outcome::Succeeded => 0,
        Outcome::Failed => 1,
        Outcome::Aborted(Abort::Cancelled) => 2,
        Outcome::Aborted(Abort::DeadlineExceeded) => 3,
        Outcome::Rejected => 4,
    }
}

/// One program's registered handles.
pub(crate) struct Handles {
    /// `asterism_executions_total`, indexed as [`OUTCOMES`].
    executions: [Counter; 5],
    execution_latency: Histogram,
    /// Indexed by `ModuleIx`.
    modules: Box<[ModuleHandles]>,
    pool_idle: Gauge,
    pool_in_use: Gauge,
    /// Seconds per tick of the latency clock, to convert a sampled
    /// execution's latency words with one multiplication each.
    secs_per_tick: f64,
}

/// One module's handles.
struct ModuleHandles {
    failures: Counter,
    timeouts: Counter,
    skips: Counter,
    latency: Histogram,
}

impl Handles {
    /// Registers the program's metrics with the recorder installed now.
    pub(crate) fn register(plan: &Plan) -> Handles {
        describe();
        let pipeline = plan.name().to_owned();
        let executions = OUTCOMES.map(|o| {
            counter!("asterism_executions_total", "pipeline" => pipeline.clone(), "outcome" => o.as_str())
        });
        let modules = (0..plan.module_count() as u32)
            .map(ModuleIx)
            .map(|m| {
                let labels = [
                    ("pipeline", pipeline.clone()),
                    ("module", plan.module_name(m).to_owned()),
                ];
                ModuleHandles {
                    failures: counter!("asterism_module_failures_total", &labels),
                    timeouts: counter!("asterism_module_timeouts_total", &labels),
                    skips: counter!("asterism_module_skips_total", &labels),
                    latency: histogram!("asterism_module_duration_seconds", &labels),
                }
            })
            .collect();
        Handles {
            executions,
            execution_latency: histogram!("asterism_execution_duration_seconds", "pipeline" => pipeline.clone()),
            modules,
            pool_idle: gauge!("asterism_pool_idle_states", "pipeline" => pipeline.clone()),
            pool_in_use: gauge!("asterism_pool_in_use_states", "pipeline" => pipeline),
            secs_per_tick: {
                const PROBE: u64 = 1 << 32;
                latency_clock().nanos(PROBE) as f64 / PROBE as f64 / 1e9
            },
        }
    }

    /// Records one execution's end.
    #[inline]
    pub(crate) fn execution_ended(
        &self,
        plan: &Plan,
        outcome: Outcome,
        total: Duration,
        sampled: bool,
        result: Option<&ExecutionResult<'_>>,
        pool: &StatePool,
    ) {
        self.executions[outcome_index(outcome)].increment(1);
        let Some(result) = result else { return };
        self.execution_latency.record(total.as_secs_f64());
        if result.failed_count() + result.skipped_count() > 0 {
            self.problems(plan, result);
        }
        if sampled {
            self.sampled(result, pool);
        }
    }

    /// Counts the failed, timed-out and skipped modules.
    #[cold]
    fn problems(&self, plan: &Plan, result: &ExecutionResult<'_>) {
        for (m, h) in self.modules.iter().enumerate() {
            match result.phase(plan.module_node(ModuleIx(m as u32))) {
                Phase::Failed => h.failures.increment(1),
                Phase::TimedOut => h.timeouts.increment(1),
                Phase::Skipped => h.skips.increment(1),
                _ => {}
            }
        }
    }

    /// Module latencies and the pool's gauges, from a sampled execution.
    #[cold]
    fn sampled(&self, result: &ExecutionResult<'_>, pool: &StatePool) {
        for (m, h) in self.modules.iter().enumerate() {
            if let Some(word) = result.module_latency_word(ModuleIx(m as u32)) {
                let secs = if word & TICKS_FLAG != 0 {
                    (word & !TICKS_FLAG) as f64 * self.secs_per_tick
                } else {
                    word as f64 / 1e9
                };
                h.latency.record(secs);
            }
        }
        // From the pool's counters alone (no lock): states put in minus
        // states taken out are idle; states handed out and not yet given
        // back are in use. Exact when no other thread is mid-acquire.
        let stats = pool.stats();
        let put_in = stats.prewarmed.wrapping_add(stats.returns);
        let handed_out = stats.hits.wrapping_add(stats.misses);
        let given_back = stats.returns.wrapping_add(stats.drops);
        self.pool_idle.set(put_in.saturating_sub(stats.hits) as f64);
        self.pool_in_use
            .set(handed_out.saturating_sub(given_back) as f64);
    }
}

/// Describes every metric (units and help text) to the recorder.
fn describe() {
    describe_counter!(
        "asterism_executions_total",
        Unit::Count,
        "Executions of a pipeline, by outcome."
    );
    describe_histogram!(
        "asterism_execution_duration_seconds",
        Unit::Seconds,
        "Total latency of each execution."
    );
    describe_counter!(
        "asterism_module_failures_total",
        Unit::Count,
        "Module runs that failed (an error or a panic)."
    );
    describe_counter!(
        "asterism_module_timeouts_total",
        Unit::Count,
        "Module runs that timed out."
    );
    describe_counter!(
        "asterism_module_skips_total",
        Unit::Count,
        "Modules skipped because a node upstream of them failed."
    );
    describe_histogram!(
        "asterism_module_duration_seconds",
        Unit::Seconds,
        "Module latencies, from the executions the latency sampling draws."
    );
    describe_gauge!(
        "asterism_pool_idle_states",
        Unit::Count,
        "Execution states idle in the pool (set at the end of sampled executions)."
    );
    describe_gauge!(
        "asterism_pool_in_use_states",
        Unit::Count,
        "Execution states held by running executions or unread results (set at the end of sampled executions)."
    );
}
