//! [`dagrs`](https://crates.io/crates/dagrs): a flow-based async task graph
//! framework (nodes with `Action`s, bounded tokio channels per edge).
//!
//! The `Graph` is built once (one `DefaultNode` per workload node, one edge
//! per argument); each execution sets the inputs in the graph's `EnvVar`,
//! calls `reset` (dagrs' documented way to run a graph again: it re-creates
//! the edge channels) and `async_start`, and reads the outputs with
//! `get_results`, on a current-thread tokio runtime. A node receives each
//! argument from its producer's channel (or from the `EnvVar`, for inputs)
//! and broadcasts its value to its consumers.

use std::hint::black_box;
use std::marker::PhantomData;
use std::sync::Arc;

use dagrs::async_trait::async_trait;
use dagrs::{
    Action, Content, DefaultNode, EnvVar, Graph as DagrsGraph, InChannels, Node, NodeId, NodeTable,
    OutChannels, Output,
};

use super::{current_thread, Val};
use crate::contenders::{Contender, Runner};
use crate::workload::{Graph, Op};

/// dagrs, on a current-thread tokio runtime.
pub struct Dagrs;

impl Contender for Dagrs {
    fn name(&self) -> String {
        "dagrs (tokio current-thread)".into()
    }

    fn prepare(&self, graph: &Graph) -> Result<Box<dyn Runner>, String> {
        if graph.text {
            Ok(Box::new(DagrsRunner::<String>::new(graph)?))
        } else {
            Ok(Box::new(DagrsRunner::<i64>::new(graph)?))
        }
    }
}

/// The `EnvVar` keys of the inputs.
const INPUTS: [&str; 2] = ["in0", "in1"];

/// Where an argument comes from.
#[derive(Clone, Copy)]
enum Arg {
    /// An input, from the `EnvVar`.
    Input(&'static str),
    /// A node's value, from its channel.
    Node(NodeId),
}

struct Compute<V> {
    op: Op,
    args: Vec<Arg>,
    value: PhantomData<fn() -> V>,
}

#[async_trait]
impl<V: Val> Action for Compute<V> {
    async fn run(
        &self,
        in_channels: &mut InChannels,
        out_channels: &mut OutChannels,
        env: Arc<EnvVar>,
    ) -> Output {
        let mut values: Vec<Arc<V>> = Vec::with_capacity(self.args.len());
        for arg in &self.args {
            let v = match arg {
                Arg::Input(key) => env.get::<Arc<V>>(key),
                Arg::Node(id) => match in_channels.recv_from(id).await {
                    Ok(content) => content.into_inner::<V>(),
                    Err(e) => return Output::error(e),
                },
            };
            match v {
                Some(v) => values.push(v),
                None => return Output::execution_failed("argument of the wrong type"),
            }
        }
        let content = Content::new(V::eval(self.op, values.iter().map(|v| &**v)));
        for sent in out_channels.broadcast(content.clone()).await {
            if let Err(e) = sent {
                return Output::error(e);
            }
        }
        Output::Out(Some(content))
    }
}

struct DagrsRunner<V: Val> {
    graph: DagrsGraph,
    inputs: usize,
    /// The dagrs node of each output.
    outputs: Vec<NodeId>,
    rt: tokio::runtime::Runtime,
    value: PhantomData<fn() -> V>,
}

impl<V: Val> DagrsRunner<V> {
    fn new(graph: &Graph) -> Result<Self, String> {
        if graph.inputs > INPUTS.len() {
            return Err(format!("{} inputs", graph.inputs));
        }
        let mut table = NodeTable::new();
        let mut dg = DagrsGraph::new();
        // The dagrs node of each value (`None` for inputs).
        let mut ids: Vec<Option<NodeId>> = vec![None; graph.inputs];
        for (i, node) in graph.nodes.iter().enumerate() {
            let args = node
                .args
                .iter()
                .map(|&a| match ids[a] {
                    Some(id) => Arg::Node(id),
                    None => Arg::Input(INPUTS[a]),
                })
                .collect();
            let action = Compute::<V> {
                op: node.op,
                args,
                value: PhantomData,
            };
            let n = DefaultNode::with_action(format!("v{}", graph.inputs + i), action, &mut table);
            let id = n.id();
            dg.add_node(n).map_err(|e| e.to_string())?;
            for &a in &node.args {
                if let Some(from) = ids[a] {
                    dg.add_edge(from, [id]).map_err(|e| e.to_string())?;
                }
            }
            ids.push(Some(id));
        }
        let outputs = graph
            .outputs
            .iter()
            .map(|&o| ids[o].ok_or_else(|| "an input is an output".to_owned()))
            .collect::<Result<_, _>>()?;
        Ok(DagrsRunner {
            graph: dg,
            inputs: graph.inputs,
            outputs,
            rt: current_thread()?,
            value: PhantomData,
        })
    }
}

impl<V: Val> Runner for DagrsRunner<V> {
    #[inline(never)]
    fn run(&mut self, seed: i64) -> u64 {
        let (graph, inputs) = (&mut self.graph, self.inputs);
        self.rt.block_on(async move {
            graph.reset().await.expect("dagrs reset");
            let mut env = EnvVar::new(NodeTable::new());
            for (i, key) in INPUTS.iter().enumerate().take(inputs) {
                env.set(key, Arc::new(V::input(seed, i)));
            }
            graph.set_env(env);
            graph.async_start().await.expect("dagrs run");
        });
        let results = self.graph.get_results::<V>();
        let values: Vec<Arc<V>> = self
            .outputs
            .iter()
            .map(|id| {
                results
                    .get(id)
                    .cloned()
                    .flatten()
                    .expect("dagrs output value")
            })
            .collect();
        black_box(V::fingerprint(values.iter().map(|v| &**v)))
    }
}
