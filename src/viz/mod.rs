//! Pictures of a pipeline: Graphviz DOT and Mermaid flowcharts of a
//! [`Plan`], plain or coloured by the statuses of one execution.
//!
//! A picture shows every module node (its name in the spec, and its
//! registered name when that differs), every transform node (its kind and
//! parameters, `Project {a, b}`, `Literal 5`), and every data node (`name:
//! Type`), with inputs and declared outputs drawn in shapes and colours of
//! their own and named as such in their labels. Edges run from a data node
//! to the nodes that read it, labelled with the parameter it fills, and from
//! a node to the data nodes it writes.
//!
//! A picture of a run ([`Picture::of_run`]) colours each module and
//! transform by its status (completed, failed, timed out, skipped,
//! cancelled, not run), labels it with its latency when the execution
//! recorded one (latencies are sampled: see `latency-sample-every`), with
//! the cause of a failure, and with the failed node that made a node
//! skipped; data nodes left without a value are drawn dashed.
//!
//! Every name and message is escaped for the format it goes into, so a
//! name may hold quotes, backslashes, newlines or `<>{}|` and the picture
//! still parses. Nothing here runs on an execution's path: a picture is
//! built when asked for, from the plan and the finished result.
//!
//! ```
//! use asterism::viz::{Format, Picture};
//! use asterism::{CType, DagBuilder, Registry};
//!
//! let mut b = DagBuilder::new("neg");
//! let x = b.input("x", CType::Int);
//! let m = b.module("stdlib.negate");
//! b.bind(x, m, "value");
//! let y = b.produce(m, "out", "y", CType::Int);
//! b.output("y", y);
//! let plan = Registry::with_stdlib().compile(&b.build()).unwrap();
//!
//! let dot = Picture::of_plan(&plan).render(Format::Dot);
//! assert!(dot.starts_with("digraph "));
//! assert!(dot.contains("stdlib.negate"));
//! let mermaid = Picture::of_plan(&plan).render(Format::Mermaid);
//! assert!(mermaid.contains("flowchart LR"));
//! ```

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use asterism_compiler::{ModuleIx, NodeIx, NodeKind, Plan, SlotIx};
use asterism_runtime::{Abort, ExecutionResult, NodeStatus};

mod dot;
mod graph;
mod mermaid;

/// The text formats a picture can be written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Graphviz DOT (`dot -Tsvg picture.dot > picture.svg`).
    Dot,
    /// A Mermaid flowchart, for Markdown pages that render Mermaid.
    Mermaid,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Dot => "dot",
            Format::Mermaid => "mermaid",
        })
    }
}

/// A format name that is neither `dot` nor `mermaid`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown picture format `{0}`: use `dot` or `mermaid`")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "dot" | "graphviz" => Ok(Format::Dot),
            "mermaid" => Ok(Format::Mermaid),
            _ => Err(UnknownFormat(s.to_owned())),
        }
    }
}

/// A picture of a pipeline, optionally with one execution's statuses.
///
/// It keeps the plan by reference and, for a run, an owned copy of what it
/// draws (statuses, latencies, which data nodes hold values), so it outlives
/// the [`ExecutionResult`] it was taken from and the state goes back to the
/// pool as usual.
#[derive(Clone, Debug)]
pub struct Picture<'p> {
    plan: &'p Plan,
    run: Option<RunView>,
}

/// What a picture of a run shows of the execution.
#[derive(Clone, Debug)]
pub(crate) struct RunView {
    /// Indexed by `NodeIx`.
    pub(crate) status: Vec<NodeStatus>,
    /// Indexed by `ModuleIx`: the recorded latency (failed and timed-out
    /// modules included), if this execution recorded one.
    pub(crate) module_latency: Vec<Option<Duration>>,
    /// Indexed by `SlotIx`: whether the data node holds a value.
    pub(crate) has_value: Vec<bool>,
    pub(crate) total: Duration,
    pub(crate) abort: Option<Abort>,
    pub(crate) failed: usize,
    pub(crate) skipped: usize,
}

impl<'p> Picture<'p> {
    /// The pipeline's structure, with no statuses.
    pub fn of_plan(plan: &'p Plan) -> Self {
        Picture { plan, run: None }
    }

    /// The pipeline coloured by one execution's statuses and labelled with
    /// its latencies (where recorded) and the causes of failures and skips.
    pub fn of_run(result: &ExecutionResult<'p>) -> Self {
        let plan = result.plan();
        let status = (0..plan.node_count() as u32)
            .map(|n| result.status(NodeIx(n)))
            .collect();
        let module_latency = (0..plan.module_count() as u32)
            .map(|m| result.module_latency(ModuleIx(m)))
            .collect();
        let has_value = (0..plan.slot_count() as u32)
            .map(|s| result.value(SlotIx(s)).is_some())
            .collect();
        Picture {
            plan,
            run: Some(RunView {
                status,
                module_latency,
                has_value,
                total: result.total_latency(),
                abort: result.abort(),
                failed: result.failed_count(),
                skipped: result.skipped_count(),
            }),
        }
    }

    /// The plan drawn.
    pub fn plan(&self) -> &'p Plan {
        self.plan
    }

    /// Whether the picture carries an execution's statuses.
    pub fn has_run(&self) -> bool {
        self.run.is_some()
    }

    /// The picture in `format`.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Dot => self.to_dot(),
            Format::Mermaid => self.to_mermaid(),
        }
    }

    /// The picture as a Graphviz DOT `digraph`.
    pub fn to_dot(&self) -> String {
        dot::write(&graph::Graph::build(self.plan, self.run.as_ref()))
    }

    /// The picture as a Mermaid `flowchart`.
    pub fn to_mermaid(&self) -> String {
        mermaid::write(&graph::Graph::build(self.plan, self.run.as_ref()))
    }
}

/// A status in the words a picture of a run labels nodes with
/// (`"completed"`, `"failed"`, `"timed out"`, `"skipped"`, `"cancelled"`,
/// `"not run"` for a node never started).
pub fn status_word(status: &NodeStatus) -> &'static str {
    graph::Shade::of_status(status).word()
}

/// The module behind node `n`, if it is one (not a transform).
pub(crate) fn module_of(plan: &Plan, n: NodeIx) -> Option<ModuleIx> {
    match plan.node_kind(n) {
        NodeKind::Module(m) => Some(m),
        NodeKind::Transform(_) => None,
    }
}
