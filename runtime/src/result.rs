//! The result of an execution, read straight from its state.
//!
//! [`ExecutionResult`] owns the execution's state until it is dropped, so
//! reading outputs, statuses and latencies copies nothing and allocates
//! nothing; dropping it resets the state and returns it to the pool. An owned,
//! UUID-keyed [`Snapshot`] (the seed's) and the original's status JSON are
//! built only when asked for.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use asterism_compiler::{CValue, ModuleIx, NodeIx, NodeKind, OutputIx, Plan, SlotIx};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use crate::exec::run_options::Abort;
use crate::program::pool::StateGuard;
pub use crate::state::failure::{FailureKind, NodeFailure};
use crate::state::status::Phase;
use crate::state::sync::Ordering;

/// A node's status after an execution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeStatus {
    /// Never started (only seen while a run is going on).
    Waiting,
    /// Started and not finished (only seen while a run is going on).
    Running,
    /// Finished; the module's latency if it was recorded.
    Completed {
        /// How long the module ran (`None` for transforms, when latency
        /// recording is off, or when this execution was not one the
        /// sampling drew: `latency-sample-every`).
        latency: Option<Duration>,
    },
    /// Returned an error or panicked.
    Failed(NodeFailure),
    /// Ran past its timeout.
    TimedOut(NodeFailure),
    /// Not run because `upstream` failed.
    Skipped {
        /// The failed node upstream.
        upstream: NodeIx,
    },
    /// Not finished because the execution was cancelled or ran out of time.
    Cancelled,
}

/// The result of one execution. Dropping it returns the state to the pool.
pub struct ExecutionResult<'p> {
    pub(crate) guard: StateGuard<'p>,
    pub(crate) total: Duration,
    pub(crate) abort: Option<Abort>,
    pub(crate) failed: u32,
    pub(crate) skipped: u32,
}

impl fmt::Debug for ExecutionResult<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExecutionResult")
            .field("total", &self.total)
            .field("abort", &self.abort)
            .field("failed", &self.failed)
            .field("skipped", &self.skipped)
            .finish_non_exhaustive()
    }
}

impl<'p> ExecutionResult<'p> {
    /// The plan that ran.
    pub fn plan(&self) -> &'p Plan {
        self.guard.plan
    }

    /// A declared output's value; `None` if the node that computes it failed
    /// or was skipped.
    #[inline]
    pub fn output(&self, o: OutputIx) -> Option<&CValue> {
        let slot = self.plan().outputs().get(o.ix())?.slot;
        self.value(slot)
    }

    /// A declared output by name (a scan of the declared outputs; keep an
    /// [`OutputIx`] from [`Plan::output`] on hot paths).
    pub fn output_named(&self, name: &str) -> Option<&CValue> {
        self.output(self.plan().output(name)?)
    }

    /// Every declared output, in order, with its value if computed.
    pub fn outputs(&self) -> impl Iterator<Item = (&str, Option<&CValue>)> + '_ {
        self.plan()
            .outputs()
            .iter()
            .map(move |d| (d.name.as_str(), self.value(d.slot)))
    }

    /// Any data node's value (inputs, module outputs, transform results).
    #[inline]
    pub fn value(&self, s: SlotIx) -> Option<&CValue> {
        // A failed module's partial outputs were emptied at the end of the
        // run (`exec::propagate::clear_failed_outputs`), so a filled slot is a result.
        self.guard.state().shared.slots.get(s.ix())?.get()
    }

    /// Node `n`'s phase.
    pub fn phase(&self, n: NodeIx) -> Phase {
        self.guard.state().phase(n)
    }

    /// Node `n`'s status with its details.
    pub fn status(&self, n: NodeIx) -> NodeStatus {
        let shared = &self.guard.state().shared;
        let snap = shared.status[n.ix()].load();
        let failure = || shared.failures[n.ix()].borrow().clone();
        match snap.phase() {
            Phase::Waiting => NodeStatus::Waiting,
            Phase::Running => NodeStatus::Running,
            Phase::Completed => NodeStatus::Completed {
                latency: match self.plan().node_kind(n) {
                    NodeKind::Module(m) => self.module_latency(m),
                    NodeKind::Transform(_) => None,
                },
            },
            Phase::Failed => NodeStatus::Failed(failure().unwrap_or_else(unknown_failure)),
            Phase::TimedOut => NodeStatus::TimedOut(failure().unwrap_or_else(unknown_failure)),
            Phase::Skipped => NodeStatus::Skipped {
                upstream: snap.upstream().unwrap_or(n),
            },
            Phase::Cancelled => NodeStatus::Cancelled,
        }
    }

    /// Module `m`'s latency, if recorded and the module ran.
    pub fn module_latency(&self, m: ModuleIx) -> Option<Duration> {
        if !self.guard.record_latency {
            return None;
        }
        let phase = self.phase(self.plan().module_node(m));
        matches!(phase, Phase::Completed | Phase::Failed | Phase::TimedOut).then(|| {
            crate::exec::latency::latency_duration(
                self.guard.state().shared.latency_ns[m.ix()].load(Ordering::Relaxed),
            )
        })
    }

    /// Whether this execution recorded module latencies: latency
    /// recording is on and the sampling drew it (`latency-sample-every`),
    /// or it asked with [`RunOptions::record_latency`](crate::RunOptions).
    /// When `false`, every [`module_latency`](Self::module_latency) is
    /// `None`.
    pub fn recorded_latency(&self) -> bool {
        self.guard.record_latency
    }

    /// Module `m`'s raw latency word, if recorded and the module ran
    /// (for the metrics integration, which converts it itself).
    #[cfg(feature = "metrics")]
    pub(crate) fn module_latency_word(&self, m: ModuleIx) -> Option<u64> {
        if !self.guard.record_latency {
            return None;
        }
        let phase = self.phase(self.plan().module_node(m));
        matches!(phase, Phase::Completed | Phase::Failed | Phase::TimedOut)
            .then(|| self.guard.state().shared.latency_ns[m.ix()].load(Ordering::Relaxed))
    }

    /// Node `n`'s failure cell (for observers: borrowed, not cloned).
    pub(crate) fn failure_ref(
        &self,
        n: NodeIx,
    ) -> atomic_refcell::AtomicRef<'_, Option<NodeFailure>> {
        self.guard.state().shared.failures[n.ix()].borrow()
    }

    /// For a skipped node, the failed node upstream that caused it.
    pub(crate) fn skipped_because(&self, n: NodeIx) -> Option<NodeIx> {
        match self.status(n) {
            NodeStatus::Skipped { upstream } => Some(upstream),
            _ => None,
        }
    }

    /// What module `m`'s call options did in this execution: attempts,
    /// whether the value came from the cache or the fallback, the last
    /// error. `None` for a module without options, or one that did not run.
    pub fn call_outcome(&self, m: ModuleIx) -> Option<&crate::options::CallOutcome> {
        self.guard
            .state()
            .scratch
            .call_outcomes
            .get(m.ix())?
            .as_ref()
    }

    /// The whole execution's wall time.
    pub fn total_latency(&self) -> Duration {
        self.total
    }

    /// Whether every node completed.
    pub fn is_success(&self) -> bool {
        self.failed == 0 && self.skipped == 0 && self.abort.is_none()
    }

    /// Why the execution stopped early, if it did.
    pub fn abort(&self) -> Option<Abort> {
        self.abort
    }

    /// Whether the execution was cancelled by its token.
    pub fn is_cancelled(&self) -> bool {
        self.abort == Some(Abort::Cancelled)
    }

    /// Whether the execution ran past its deadline.
    pub fn deadline_exceeded(&self) -> bool {
        self.abort == Some(Abort::DeadlineExceeded)
    }

    /// How many nodes failed or timed out.
    pub fn failed_count(&self) -> usize {
        self.failed as usize
    }

    /// How many nodes were skipped.
    pub fn skipped_count(&self) -> usize {
        self.skipped as usize
    }

    /// Nodes that failed or timed out, with why.
    pub fn failures(&self) -> Vec<(NodeIx, NodeFailure)> {
        (0..self.plan().node_count() as u32)
            .map(NodeIx)
            .filter_map(|n| match self.status(n) {
                NodeStatus::Failed(f) | NodeStatus::TimedOut(f) => Some((n, f)),
                _ => None,
            })
            .collect()
    }

    /// Nodes that were skipped, each with the failed node upstream of it.
    pub fn skipped(&self) -> Vec<(NodeIx, NodeIx)> {
        (0..self.plan().node_count() as u32)
            .map(NodeIx)
            .filter_map(|n| match self.status(n) {
                NodeStatus::Skipped { upstream } => Some((n, upstream)),
                _ => None,
            })
            .collect()
    }

    /// A sentence per failed, timed-out, skipped or cancelled node, naming
    /// nodes by name and UUID.
    pub fn problems(&self) -> Vec<String> {
        let plan = self.plan();
        let mut out = Vec::new();
        for n in (0..plan.node_count() as u32).map(NodeIx) {
            let node = plan.node_ref(n);
            match self.status(n) {
                NodeStatus::Failed(f) => out.push(format!("{node} failed: {f}")),
                NodeStatus::TimedOut(f) => out.push(format!("{node} {f}")),
                NodeStatus::Skipped { upstream } => out.push(format!(
                    "{node} skipped: upstream {} failed",
                    plan.node_ref(upstream)
                )),
                NodeStatus::Cancelled => out.push(format!("{node} cancelled")),
                _ => {}
            }
        }
        if let Some(a) = self.abort {
            out.push(match a {
                Abort::Cancelled => "the execution was cancelled".to_owned(),
                Abort::DeadlineExceeded => "the execution ran past its deadline".to_owned(),
            });
        }
        out
    }

    /// An owned snapshot keyed by UUID: module statuses, every computed data
    /// value, and module latencies.
    pub fn snapshot(&self) -> Snapshot {
        let plan = self.plan();
        let mut module_status = BTreeMap::new();
        let mut latencies = BTreeMap::new();
        for m in (0..plan.module_count() as u32).map(ModuleIx) {
            let uuid = plan.module_uuid(m);
            module_status.insert(uuid, self.module_status(plan.module_node(m)));
            if let Some(l) = self.module_latency(m) {
                latencies.insert(uuid, l);
            }
        }
        let data_values = (0..plan.slot_count() as u32)
            .map(SlotIx)
            .filter_map(|s| self.value(s).map(|v| (plan.slot_uuid(s), v.clone())))
            .collect();
        Snapshot {
            module_status,
            data_values,
            latencies,
            total_latency: self.total,
        }
    }

    fn module_status(&self, n: NodeIx) -> ModuleStatus {
        let plan = self.plan();
        match self.status(n) {
            NodeStatus::Completed { latency } => ModuleStatus::Fired {
                latency: latency.unwrap_or_default(),
                context: None,
            },
            NodeStatus::Failed(f) => ModuleStatus::Failed { error: f.message },
            NodeStatus::TimedOut(_) => ModuleStatus::Timed {
                latency: match plan.node_kind(n) {
                    NodeKind::Module(m) => self.module_latency(m).unwrap_or_default(),
                    NodeKind::Transform(_) => Duration::ZERO,
                },
            },
            NodeStatus::Skipped { upstream } => ModuleStatus::Unfired {
                reason: Some(format!(
                    "skipped: upstream {} failed",
                    plan.node_ref(upstream)
                )),
            },
            NodeStatus::Cancelled => ModuleStatus::Unfired {
                reason: Some("cancelled".to_owned()),
            },
            NodeStatus::Waiting | NodeStatus::Running => ModuleStatus::Unfired { reason: None },
        }
    }

    /// The original's result state as JSON: module statuses by UUID, data
    /// values by UUID (tagged), and the total latency in milliseconds.
    pub fn status_json(&self) -> serde_json::Value {
        self.snapshot().to_json()
    }
}

#[cold]
fn unknown_failure() -> NodeFailure {
    NodeFailure {
        kind: FailureKind::Error,
        message: "failed (no detail recorded)".to_owned(),
    }
}

/// A module's status in the original's JSON (`{"tag":"Fired","latency":ms}`).
///
/// Skipped and cancelled modules are `Unfired` with a `reason`, an extra
/// field the original does not write and ignores when reading.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "tag")]
pub enum ModuleStatus {
    /// Did not run.
    Unfired {
        /// Why not, when it was skipped or cancelled.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Ran and produced its outputs.
    Fired {
        /// How long it ran, in milliseconds on the wire.
        #[serde(with = "millis")]
        latency: Duration,
        /// Extra context (always `null` here).
        context: Option<serde_json::Value>,
    },
    /// Ran past its timeout.
    Timed {
        /// How long it ran, in milliseconds on the wire.
        #[serde(with = "millis")]
        latency: Duration,
    },
    /// Failed.
    Failed {
        /// The message.
        error: String,
    },
}

/// Durations as (fractional) milliseconds.
mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64() * 1e3)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let ms = f64::deserialize(d)?;
        Duration::try_from_secs_f64(ms / 1e3).map_err(serde::de::Error::custom)
    }
}

/// The seed's owned snapshot of an execution.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// Module statuses by module UUID.
    pub module_status: BTreeMap<Uuid, ModuleStatus>,
    /// Every computed data value by data node UUID.
    pub data_values: BTreeMap<Uuid, CValue>,
    /// Module latencies by module UUID (when recorded).
    pub latencies: BTreeMap<Uuid, Duration>,
    /// The execution's wall time.
    pub total_latency: Duration,
}

impl Snapshot {
    /// The original's result-state JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "moduleStatus": self.module_status,
            "data": self.data_values,
            "latency": self.total_latency.as_secs_f64() * 1e3,
        })
    }
}
