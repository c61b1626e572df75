//! `Plan`: a compiled pipeline as parallel dense arrays.
//!
//! Every field below says what it is indexed by. Everything a run needs (a
//! node's input slots in parameter order, its output slots, a slot's
//! consumers, the initial pending counts) is a slice of a flat array, so an
//! execution never hashes. The UUID and name tables lead back out to the
//! wire format for results and errors.
//!
//! A plan is immutable, `Send + Sync`, and meant to be shared in an `Arc`.

use std::time::Duration;

use uuid::Uuid;

use crate::ids::{Csr, InputIx, ModuleIx, NodeIx, OutputIx, SlotIx, TransformIx};
use crate::options::ModuleCallOptions;
use crate::signature::ModuleSignature;
use crate::transform::InlineTransform;
use crate::value::CType;

/// Marks a module output that no data node takes (the value is dropped).
pub const UNBOUND_SLOT: SlotIx = SlotIx(u32::MAX);

/// What fills a slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Producer {
    /// The caller, as a user input.
    Input(InputIx),
    /// A module, as its output field at this position.
    Module(ModuleIx, u32),
    /// An inline transform.
    Transform(TransformIx),
}

/// What a node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// A module node.
    Module(ModuleIx),
    /// An inline transform.
    Transform(TransformIx),
}

/// A user input: its name, type and slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputDecl {
    /// The name callers supply it by.
    pub name: String,
    /// Its exact type.
    pub ty: CType,
    /// The slot it fills.
    pub slot: SlotIx,
}

/// A declared output: its name and the slot it reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputDecl {
    /// The declared name.
    pub name: String,
    /// The slot read.
    pub slot: SlotIx,
}

/// A node named for people: UUID and name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NodeRef {
    /// The node's UUID in the spec.
    pub uuid: Uuid,
    /// The node's name (module name or data node name).
    pub name: String,
}

impl std::fmt::Display for NodeRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` ({})", self.name, self.uuid)
    }
}

/// Something that compiles and runs, but deserves a look.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CompileWarning {
    /// A user input that no module, transform or output reads. It stays an
    /// input (callers supply it; its value is unused), as the original runs
    /// such pipelines.
    #[error("input {data} is read by no module, transform or output; its value is unused (connect it or remove it)")]
    UnreadInput {
        /// The data node.
        data: NodeRef,
    },
}

/// A compiled pipeline. Build one with [`compile`](crate::compile).
#[derive(Clone, Debug)]
pub struct Plan {
    pub(crate) name: String,

    // Modules, indexed by ModuleIx.
    pub(crate) module_uuid: Vec<Uuid>,
    /// The spec's name for the module node (`"mydag.Uppercase"`).
    pub(crate) module_name: Vec<String>,
    /// The resolved signature (its `name` is the registered name).
    pub(crate) module_signature: Vec<ModuleSignature>,
    pub(crate) module_timeout: Vec<Option<Duration>>,
    /// The call options of modules that have any (retry, cache, ...).
    pub(crate) module_options: Vec<Option<Box<ModuleCallOptions>>>,

    // Transforms, indexed by TransformIx.
    pub(crate) transform: Vec<InlineTransform>,
    /// The slot a transform fills (the transform's own data node).
    pub(crate) transform_slot: Vec<SlotIx>,

    // Slots, indexed by SlotIx.
    pub(crate) slot_uuid: Vec<Uuid>,
    pub(crate) slot_name: Vec<String>,
    pub(crate) slot_type: Vec<CType>,
    pub(crate) slot_producer: Vec<Producer>,
    /// Row per slot: the nodes that read it, once per input they read it as.
    pub(crate) slot_consumers: Csr<NodeIx>,

    // Nodes (modules, then transforms), indexed by NodeIx.
    /// Row per node: its input slots in parameter (or transform input) order.
    pub(crate) node_inputs: Csr<SlotIx>,
    /// Row per node: its output slots in output order; `UNBOUND_SLOT` where
    /// no data node takes an output.
    pub(crate) node_outputs: Csr<SlotIx>,
    /// Pending input count of each node before a run: its row length in
    /// `node_inputs`.
    pub(crate) initial_pending: Vec<u32>,
    /// Nodes with no inputs, ready as soon as a run starts.
    pub(crate) sources: Vec<NodeIx>,
    /// Every node, each after all the nodes it reads from.
    pub(crate) topo_order: Vec<NodeIx>,
    /// The longest chain of nodes.
    pub(crate) depth: u32,

    // The boundary.
    /// User inputs, sorted by name; indexed by InputIx.
    pub(crate) inputs: Vec<InputDecl>,
    /// Outputs in declared order; indexed by OutputIx.
    pub(crate) outputs: Vec<OutputDecl>,
    /// What compiled but deserves a look (inputs nothing reads).
    pub(crate) warnings: Vec<CompileWarning>,
}

impl Plan {
    /// The pipeline's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The number of module nodes.
    pub fn module_count(&self) -> usize {
        self.module_uuid.len()
    }

    /// The number of transform nodes.
    pub fn transform_count(&self) -> usize {
        self.transform.len()
    }

    /// The number of schedulable nodes (modules and transforms).
    pub fn node_count(&self) -> usize {
        self.module_uuid.len() + self.transform.len()
    }

    /// The number of data slots.
    pub fn slot_count(&self) -> usize {
        self.slot_uuid.len()
    }

    /// What node `n` is.
    #[inline]
    pub fn node_kind(&self, n: NodeIx) -> NodeKind {
        let m = self.module_uuid.len() as u32;
        if n.0 < m {
            NodeKind::Module(ModuleIx(n.0))
        } else {
            NodeKind::Transform(TransformIx(n.0 - m))
        }
    }

    /// The node index of module `m`.
    #[inline]
    pub fn module_node(&self, m: ModuleIx) -> NodeIx {
        NodeIx(m.0)
    }

    /// The node index of transform `t`.
    #[inline]
    pub fn transform_node(&self, t: TransformIx) -> NodeIx {
        NodeIx(self.module_uuid.len() as u32 + t.0)
    }

    /// Module `m`'s UUID.
    pub fn module_uuid(&self, m: ModuleIx) -> Uuid {
        self.module_uuid[m.ix()]
    }

    /// Module `m`'s name in the spec.
    pub fn module_name(&self, m: ModuleIx) -> &str {
        &self.module_name[m.ix()]
    }

    /// Module `m`'s resolved signature.
    pub fn module_signature(&self, m: ModuleIx) -> &ModuleSignature {
        &self.module_signature[m.ix()]
    }

    /// Module `m`'s timeout from the spec (or its signature's default).
    pub fn module_timeout(&self, m: ModuleIx) -> Option<Duration> {
        self.module_timeout[m.ix()]
    }

    /// Module `m`'s call options, if it has any (the spec's `options`
    /// object, or the `PipelineImage`'s `moduleOptions`).
    pub fn module_options(&self, m: ModuleIx) -> Option<&ModuleCallOptions> {
        self.module_options[m.ix()].as_deref()
    }

    /// Whether any module has call options.
    pub fn has_module_options(&self) -> bool {
        self.module_options.iter().any(Option::is_some)
    }

    /// Transform `t`.
    pub fn transform(&self, t: TransformIx) -> &InlineTransform {
        &self.transform[t.ix()]
    }

    /// The slot transform `t` fills.
    pub fn transform_slot(&self, t: TransformIx) -> SlotIx {
        self.transform_slot[t.ix()]
    }

    /// Slot `s`'s data node UUID.
    pub fn slot_uuid(&self, s: SlotIx) -> Uuid {
        self.slot_uuid[s.ix()]
    }

    /// Slot `s`'s data node name.
    pub fn slot_name(&self, s: SlotIx) -> &str {
        &self.slot_name[s.ix()]
    }

    /// Slot `s`'s type.
    pub fn slot_type(&self, s: SlotIx) -> &CType {
        &self.slot_type[s.ix()]
    }

    /// What fills slot `s`.
    pub fn slot_producer(&self, s: SlotIx) -> Producer {
        self.slot_producer[s.ix()]
    }

    /// The nodes that read slot `s` (once per input they read it as).
    #[inline]
    pub fn slot_consumers(&self, s: SlotIx) -> &[NodeIx] {
        self.slot_consumers.row(s.ix())
    }

    /// Node `n`'s input slots, in parameter order.
    #[inline]
    pub fn node_inputs(&self, n: NodeIx) -> &[SlotIx] {
        self.node_inputs.row(n.ix())
    }

    /// Node `n`'s output slots, in output order (`UNBOUND_SLOT` where unused).
    #[inline]
    pub fn node_outputs(&self, n: NodeIx) -> &[SlotIx] {
        self.node_outputs.row(n.ix())
    }

    /// Every node's pending input count before a run, indexed by node.
    pub fn initial_pending(&self) -> &[u32] {
        &self.initial_pending
    }

    /// Nodes ready as soon as a run starts.
    pub fn sources(&self) -> &[NodeIx] {
        &self.sources
    }

    /// Every node in a topological order.
    pub fn topo_order(&self) -> &[NodeIx] {
        &self.topo_order
    }

    /// The longest chain of nodes from an input to an output.
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// User inputs, sorted by name.
    pub fn inputs(&self) -> &[InputDecl] {
        &self.inputs
    }

    /// Declared outputs, in order.
    pub fn outputs(&self) -> &[OutputDecl] {
        &self.outputs
    }

    /// The compile warnings (a pipeline with warnings still runs).
    pub fn warnings(&self) -> &[CompileWarning] {
        &self.warnings
    }

    /// Resolves an input name to a handle, once; keep the handle.
    pub fn input(&self, name: &str) -> Option<InputIx> {
        self.inputs
            .binary_search_by(|d| d.name.as_str().cmp(name))
            .ok()
            .map(|i| InputIx(i as u32))
    }

    /// Resolves an output name to a handle, once; keep the handle.
    pub fn output(&self, name: &str) -> Option<OutputIx> {
        self.outputs
            .iter()
            .position(|d| d.name == name)
            .map(|i| OutputIx(i as u32))
    }

    /// Node `n` named for people.
    pub fn node_ref(&self, n: NodeIx) -> NodeRef {
        match self.node_kind(n) {
            NodeKind::Module(m) => NodeRef {
                uuid: self.module_uuid(m),
                name: self.module_name(m).to_owned(),
            },
            NodeKind::Transform(t) => {
                let s = self.transform_slot(t);
                NodeRef {
                    uuid: self.slot_uuid(s),
                    name: self.slot_name(s).to_owned(),
                }
            }
        }
    }

    /// The UUID of node `n` (a module's, or a transform's data node's).
    pub fn node_uuid(&self, n: NodeIx) -> Uuid {
        match self.node_kind(n) {
            NodeKind::Module(m) => self.module_uuid(m),
            NodeKind::Transform(t) => self.slot_uuid(self.transform_slot(t)),
        }
    }

    /// The name of node `n`.
    pub fn node_name(&self, n: NodeIx) -> &str {
        match self.node_kind(n) {
            NodeKind::Module(m) => self.module_name(m),
            NodeKind::Transform(t) => self.slot_name(self.transform_slot(t)),
        }
    }

    /// Checks the plan's structural invariants; `Err` names the first broken
    /// one. Every plan `compile` returns passes; property tests and fuzz
    /// targets call this.
    pub fn check_invariants(&self) -> Result<(), String> {
        let nodes = self.node_count();
        let slots = self.slot_count();
        let same = |what: &str, len: usize, want: usize| {
            if len == want {
                Ok(())
            } else {
                Err(format!("{what} has {len} entries, expected {want}"))
            }
        };
        same("module_name", self.module_name.len(), self.module_count())?;
        same(
            "module_signature",
            self.module_signature.len(),
            self.module_count(),
        )?;
        same(
            "module_timeout",
            self.module_timeout.len(),
            self.module_count(),
        )?;
        same(
            "module_options",
            self.module_options.len(),
            self.module_count(),
        )?;
        same(
            "transform_slot",
            self.transform_slot.len(),
            self.transform_count(),
        )?;
        same("slot_name", self.slot_name.len(), slots)?;
        same("slot_type", self.slot_type.len(), slots)?;
        same("slot_producer", self.slot_producer.len(), slots)?;
        same("slot_consumers", self.slot_consumers.rows(), slots)?;
        same("node_inputs", self.node_inputs.rows(), nodes)?;
        same("node_outputs", self.node_outputs.rows(), nodes)?;
        same("initial_pending", self.initial_pending.len(), nodes)?;
        same("topo_order", self.topo_order.len(), nodes)?;

        let mut uuids: Vec<Uuid> = self
            .module_uuid
            .iter()
            .chain(&self.slot_uuid)
            .copied()
            .collect();
        uuids.sort();
        if uuids.windows(2).any(|w| w[0] == w[1]) {
            return Err("a UUID names two indices".into());
        }
        for n in 0..nodes {
            let node = NodeIx(n as u32);
            let inputs = self.node_inputs(node);
            if self.initial_pending[n] as usize != inputs.len() {
                return Err(format!(
                    "{node}: pending {} != {} inputs",
                    self.initial_pending[n],
                    inputs.len()
                ));
            }
            for s in inputs.iter().chain(self.node_outputs(node)) {
                if *s != UNBOUND_SLOT && s.ix() >= slots {
                    return Err(format!("{node} refers to {s}, past {slots} slots"));
                }
            }
            if let NodeKind::Module(m) = self.node_kind(node) {
                let sig = &self.module_signature[m.ix()];
                if inputs.len() != sig.params.len()
                    || self.node_outputs(node).len() != sig.outputs.len()
                {
                    return Err(format!("{node}: rows do not match its signature"));
                }
            }
        }
        // Each input entry appears once among its slot's consumers.
        let mut expected: Vec<(u32, u32)> = (0..nodes)
            .flat_map(|n| {
                self.node_inputs(NodeIx(n as u32))
                    .iter()
                    .map(move |s| (s.0, n as u32))
            })
            .collect();
        let mut actual: Vec<(u32, u32)> = (0..slots)
            .flat_map(|s| {
                self.slot_consumers(SlotIx(s as u32))
                    .iter()
                    .map(move |n| (s as u32, n.0))
            })
            .collect();
        expected.sort_unstable();
        actual.sort_unstable();
        if expected != actual {
            return Err("slot_consumers is not the transpose of node_inputs".into());
        }
        // The topological order is a permutation that respects every edge.
        let mut position = vec![u32::MAX; nodes];
        for (i, n) in self.topo_order.iter().enumerate() {
            if n.ix() >= nodes || position[n.ix()] != u32::MAX {
                return Err(format!("topo_order repeats or overruns at {n}"));
            }
            position[n.ix()] = i as u32;
        }
        for n in 0..nodes {
            for &s in self.node_outputs(NodeIx(n as u32)) {
                if s == UNBOUND_SLOT {
                    continue;
                }
                for c in self.slot_consumers(s) {
                    if position[c.ix()] <= position[n] {
                        return Err(format!(
                            "topo_order puts {c} before its producer NodeIx#{n}"
                        ));
                    }
                }
            }
        }
        for (i, d) in self.inputs.iter().enumerate() {
            if self.slot_producer(d.slot) != Producer::Input(InputIx(i as u32)) {
                return Err(format!("input `{}` does not own its slot", d.name));
            }
        }
        if self.inputs.windows(2).any(|w| w[0].name >= w[1].name) {
            return Err("inputs are not sorted by unique name".into());
        }
        for s in &self.sources {
            if self.initial_pending[s.ix()] != 0 {
                return Err(format!("source {s} has inputs"));
            }
        }
        Ok(())
    }
}
