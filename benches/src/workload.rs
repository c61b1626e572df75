//! Benchmark workloads as plain graphs, so every contender (asterism, the
//! reference executor, the hand-written floor, the peers) builds the same
//! DAG from the same description.
//!
//! A [`Graph`] lists its nodes in topological order. Values are numbered:
//! the inputs first, then one value per node. Integer graphs start with
//! `add(x, y)` so that both inputs are read; text graphs read one string.

use asterism_compiler::{CType, CValue, DagBuilder, DagSpec, DataKey, ModuleSignature, Port};
use asterism_runtime::{Module, Registry};

/// What a node computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `a + 1` (wrapping).
    Inc,
    /// `a + b` (wrapping).
    Add,
    /// The wrapping sum of all its inputs (any arity).
    Sum,
    /// Upper-case a string (the original's `Uppercase`, `text -> result`).
    Upper,
    /// Lower-case a string (`Lowercase`).
    Lower,
    /// Trim a string (`Trim`).
    Trim,
}

impl Op {
    /// Whether the op works on strings.
    pub fn is_text(self) -> bool {
        matches!(self, Op::Upper | Op::Lower | Op::Trim)
    }

    /// The module name the specs use.
    pub fn module_name(self, arity: usize) -> String {
        match self {
            Op::Inc => "b.inc".into(),
            Op::Add => "b.add".into(),
            Op::Sum => format!("b.sum{arity}"),
            Op::Upper => "Uppercase".into(),
            Op::Lower => "Lowercase".into(),
            Op::Trim => "Trim".into(),
        }
    }

    /// The integer function, for integer ops.
    #[inline]
    pub fn int(self, args: &[i64]) -> i64 {
        match self {
            Op::Inc => args[0].wrapping_add(1),
            Op::Add => args[0].wrapping_add(args[1]),
            Op::Sum => args.iter().fold(0i64, |a, b| a.wrapping_add(*b)),
            _ => unreachable!("text op on integers"),
        }
    }

    /// The string function, for text ops.
    #[inline]
    pub fn text(self, s: &str) -> String {
        match self {
            Op::Upper => s.to_uppercase(),
            Op::Lower => s.to_lowercase(),
            Op::Trim => s.trim().to_owned(),
            _ => unreachable!("integer op on text"),
        }
    }
}

/// One node: an op over earlier values.
#[derive(Clone, Debug)]
pub struct Node {
    /// What it computes.
    pub op: Op,
    /// The values it reads (indices into inputs-then-nodes).
    pub args: Vec<usize>,
}

/// A workload graph.
#[derive(Clone, Debug)]
pub struct Graph {
    /// `2` (x, y) for integer graphs, `1` (text) for text graphs.
    pub inputs: usize,
    /// Nodes in topological order.
    pub nodes: Vec<Node>,
    /// The values returned.
    pub outputs: Vec<usize>,
    /// Whether values are strings.
    pub text: bool,
}

impl Graph {
    fn ints() -> Graph {
        Graph {
            inputs: 2,
            nodes: Vec::new(),
            outputs: Vec::new(),
            text: false,
        }
    }

    fn push(&mut self, op: Op, args: Vec<usize>) -> usize {
        self.nodes.push(Node { op, args });
        self.inputs + self.nodes.len() - 1
    }

    /// The number of modules.
    pub fn modules(&self) -> usize {
        self.nodes.len()
    }

    /// `x -> add(x, y) -> inc -> ... -> inc`: `n` modules.
    pub fn chain(n: usize) -> Graph {
        let mut g = Graph::ints();
        let mut v = g.push(Op::Add, vec![0, 1]);
        for _ in 1..n {
            v = g.push(Op::Inc, vec![v]);
        }
        g.outputs = vec![v];
        g
    }

    /// `add(x, y)` fans out to `n - 2` incs that fan in to one sum: `n`
    /// modules (at least 3).
    pub fn fan_out_in(n: usize) -> Graph {
        let n = n.max(3);
        let mut g = Graph::ints();
        let src = g.push(Op::Add, vec![0, 1]);
        let mids: Vec<usize> = (0..n - 2).map(|_| g.push(Op::Inc, vec![src])).collect();
        let sink = g.push(Op::Sum, mids);
        g.outputs = vec![sink];
        g
    }

    /// Layers of width 5 (the first is `add(x, y)` and four incs of it);
    /// each later module adds two values of the layer before: `n` modules.
    pub fn layered(n: usize) -> Graph {
        let width = 5;
        let mut g = Graph::ints();
        let src = g.push(Op::Add, vec![0, 1]);
        let mut prev = vec![src];
        prev.extend((1..width.min(n)).map(|_| g.push(Op::Inc, vec![src])));
        let mut built = prev.len();
        while built < n {
            let calls = width.min(n - built);
            let next: Vec<usize> = (0..calls)
                .map(|j| {
                    let (a, b) = (prev[j % prev.len()], prev[(j + 1) % prev.len()]);
                    if a == b {
                        g.push(Op::Inc, vec![a])
                    } else {
                        g.push(Op::Add, vec![a, b])
                    }
                })
                .collect();
            built += calls;
            // Values of `prev` that `next` does not read become outputs.
            let read: Vec<usize> = g.nodes[g.nodes.len() - calls..]
                .iter()
                .flat_map(|n| n.args.clone())
                .collect();
            g.outputs.extend(prev.iter().filter(|v| !read.contains(v)));
            prev = next;
        }
        g.outputs.extend(prev);
        g
    }

    /// Repeated diamonds: `add(x, y)`, then `inc`, `inc` -> `add` per
    /// diamond: `n` modules (rounded to 1 + 3k).
    pub fn diamonds(n: usize) -> Graph {
        let mut g = Graph::ints();
        let mut v = g.push(Op::Add, vec![0, 1]);
        for _ in 0..(n.saturating_sub(1) / 3).max(1) {
            let l = g.push(Op::Inc, vec![v]);
            let r = g.push(Op::Inc, vec![v]);
            v = g.push(Op::Add, vec![l, r]);
        }
        g.outputs = vec![v];
        g
    }

    /// The original's benchmark: a chain of `n` string modules cycling
    /// Uppercase, Lowercase, Trim.
    pub fn text_chain(n: usize) -> Graph {
        let mut g = Graph {
            inputs: 1,
            nodes: Vec::new(),
            outputs: Vec::new(),
            text: true,
        };
        let ops = [Op::Upper, Op::Lower, Op::Trim];
        let mut v = 0;
        for i in 0..n {
            v = g.push(ops[i % 3], vec![v]);
        }
        g.outputs = vec![v];
        g
    }

    /// The original's fan-out benchmark: one text input, `chains` chains of
    /// `depth` string modules, one output per chain.
    pub fn text_fan_out(chains: usize, depth: usize) -> Graph {
        let mut g = Graph {
            inputs: 1,
            nodes: Vec::new(),
            outputs: Vec::new(),
            text: true,
        };
        let ops = [Op::Upper, Op::Lower, Op::Trim];
        for _ in 0..chains {
            let mut v = 0;
            for i in 0..depth {
                v = g.push(ops[i % 3], vec![v]);
            }
            g.outputs.push(v);
        }
        g
    }

    /// The graph as a DagSpec in the original's format (seeded UUIDs).
    pub fn spec(&self, name: &str) -> DagSpec {
        let mut b = DagBuilder::seeded(name, 0xa57e);
        let mut values: Vec<DataKey> = if self.text {
            vec![b.input("text", CType::String)]
        } else {
            vec![b.input("x", CType::Int), b.input("y", CType::Int)]
        };
        let ty = if self.text { CType::String } else { CType::Int };
        for (i, node) in self.nodes.iter().enumerate() {
            let m = b.module(node.op.module_name(node.args.len()));
            for (p, &a) in node.args.iter().enumerate() {
                b.bind(values[a], m, param_name(node.op, p));
            }
            let out = if node.op.is_text() { "result" } else { "out" };
            values.push(b.produce(m, out, format!("v{i}"), ty.clone()));
        }
        for (k, &o) in self.outputs.iter().enumerate() {
            b.output(format!("o{k}"), values[o]);
        }
        b.build()
    }

    /// Modules implementing the graph's ops: sync, or async returning ready
    /// futures.
    pub fn registry(&self, asynchronous: bool) -> Registry {
        let mut r = Registry::new();
        let mut arities: Vec<usize> = self
            .nodes
            .iter()
            .filter(|n| n.op == Op::Sum)
            .map(|n| n.args.len())
            .collect();
        arities.sort_unstable();
        arities.dedup();
        if asynchronous {
            r.register(Module::asynchronous(
                "b.inc",
                ["a"],
                "out",
                |a: i64| async move { a.wrapping_add(1) },
            ));
            r.register(Module::asynchronous(
                "b.add",
                ["a", "b"],
                "out",
                |a: i64, b: i64| async move { a.wrapping_add(b) },
            ));
        } else {
            r.register(Module::sync("b.inc", ["a"], "out", |a: i64| {
                a.wrapping_add(1)
            }));
            r.register(Module::sync(
                "b.add",
                ["a", "b"],
                "out",
                |a: i64, b: i64| a.wrapping_add(b),
            ));
        }
        for n in arities {
            let sig = ModuleSignature {
                name: Op::Sum.module_name(n),
                params: (0..n)
                    .map(|p| Port::new(format!("p{p}"), CType::Int))
                    .collect(),
                outputs: vec![Port::new("out", CType::Int)],
                default_timeout: None,
            };
            r.register(Module::raw_sync(sig, |inputs, outputs| {
                let mut s = 0i64;
                for i in 0..inputs.len() {
                    s = s.wrapping_add(inputs.int(i)?);
                }
                outputs.set(0, CValue::Int(s))
            }));
        }
        for op in [Op::Upper, Op::Lower, Op::Trim] {
            let sig = asterism_runtime::module::signature(
                &op.module_name(1),
                [("text", CType::String)],
                ("result", CType::String),
            );
            r.register(Module::raw_sync(sig, move |inputs, outputs| {
                outputs.set(0, CValue::String(op.text(inputs.str(0)?)))
            }));
        }
        r
    }

    /// Runs the graph directly: the floor's semantics, allocating freely.
    pub fn eval_ints(&self, x: i64, y: i64) -> Vec<i64> {
        let mut vals = vec![x, y];
        let mut args = Vec::new();
        for n in &self.nodes {
            args.clear();
            args.extend(n.args.iter().map(|&a| vals[a]));
            vals.push(n.op.int(&args));
        }
        vals
    }
}

fn param_name(op: Op, p: usize) -> String {
    match op {
        Op::Inc => "a".into(),
        Op::Add => ["a", "b"][p].into(),
        Op::Sum => format!("p{p}"),
        _ => "text".into(),
    }
}

/// The inputs of execution `seed`: integers, or one of a few texts.
pub fn texts() -> [&'static str; 4] {
    [
        "  Hello World  ",
        "asterism runs DAGs",
        "  MiXeD CaSe ",
        "pipeline",
    ]
}

/// A fingerprint of a run's outputs, equal across contenders iff the
/// outputs are equal (for the values these workloads produce).
pub fn fingerprint_ints(values: impl IntoIterator<Item = i64>) -> u64 {
    values.into_iter().fold(0xcbf2_9ce4_8422_2325u64, |h, v| {
        (h ^ v as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A fingerprint of text outputs.
pub fn fingerprint_texts<'a>(values: impl IntoIterator<Item = &'a str>) -> u64 {
    fingerprint_ints(
        values
            .into_iter()
            .flat_map(|s| s.bytes().map(i64::from).chain([-1])),
    )
}
