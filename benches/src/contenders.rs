//! The contenders every workload runs on: the hand-written floor, asterism
//! in its configurations, and the reference executor. Peers live in
//! [`crate::peers`] behind the `peers` feature.

use std::hint::black_box;

use asterism_compiler::{CValue, InputIx, OutputIx};
use asterism_runtime::{Program, RuntimeConfig};

use crate::workload::{fingerprint_ints, fingerprint_texts, texts, Graph, Op};

/// One prepared contender on one workload.
pub trait Runner {
    /// Runs one execution for `seed` and fingerprints its outputs.
    fn run(&mut self, seed: i64) -> u64;
}

/// Builds runners; `Err` says why a contender cannot express a workload.
pub trait Contender {
    /// The name in the report.
    fn name(&self) -> String;
    /// Prepares a runner for `graph` (compile, build, warm: untimed).
    fn prepare(&self, graph: &Graph) -> Result<Box<dyn Runner>, String>;
}

/// The integer inputs of execution `seed`.
#[inline]
pub fn int_inputs(seed: i64) -> (i64, i64) {
    (seed, seed.wrapping_mul(3))
}

/// The text input of execution `seed`.
#[inline]
pub fn text_input(seed: i64) -> &'static str {
    texts()[seed.rem_euclid(4) as usize]
}

/// The fingerprint every contender must produce for `seed`.
pub fn expected(graph: &Graph, seed: i64) -> u64 {
    Floor::new(graph).run(seed)
}

/// The practical limit: the same module functions called directly in
/// topological order, values in a reused `Vec`, arguments in flat arrays.
pub struct Floor {
    ops: Vec<Op>,
    arg_start: Vec<u32>,
    args: Vec<u32>,
    inputs: usize,
    outputs: Vec<u32>,
    ints: Vec<i64>,
    texts: Vec<String>,
    scratch: Vec<i64>,
    text: bool,
}

impl Floor {
    /// Flattens the graph.
    pub fn new(g: &Graph) -> Floor {
        let mut arg_start = vec![0u32];
        let mut args = Vec::new();
        for n in &g.nodes {
            args.extend(n.args.iter().map(|&a| a as u32));
            arg_start.push(args.len() as u32);
        }
        let values = g.inputs + g.nodes.len();
        Floor {
            ops: g.nodes.iter().map(|n| n.op).collect(),
            arg_start,
            args,
            inputs: g.inputs,
            outputs: g.outputs.iter().map(|&o| o as u32).collect(),
            ints: vec![0; values],
            texts: vec![String::new(); if g.text { values } else { 0 }],
            scratch: Vec::with_capacity(g.nodes.iter().map(|n| n.args.len()).max().unwrap_or(0)),
            text: g.text,
        }
    }
}

impl Runner for Floor {
    #[inline(never)]
    fn run(&mut self, seed: i64) -> u64 {
        if self.text {
            self.texts[0] = text_input(seed).to_owned();
            for (i, op) in self.ops.iter().enumerate() {
                let a = self.args[self.arg_start[i] as usize] as usize;
                let v = op.text(&self.texts[a]);
                self.texts[self.inputs + i] = v;
            }
            return fingerprint_texts(
                self.outputs
                    .iter()
                    .map(|&o| self.texts[o as usize].as_str()),
            );
        }
        let (x, y) = int_inputs(seed);
        self.ints[0] = x;
        self.ints[1] = y;
        for (i, op) in self.ops.iter().enumerate() {
            let (s, e) = (self.arg_start[i] as usize, self.arg_start[i + 1] as usize);
            let v = match (op, e - s) {
                (Op::Inc, _) => self.ints[self.args[s] as usize].wrapping_add(1),
                (Op::Add, _) => self.ints[self.args[s] as usize]
                    .wrapping_add(self.ints[self.args[s + 1] as usize]),
                _ => {
                    self.scratch.clear();
                    self.scratch
                        .extend(self.args[s..e].iter().map(|&a| self.ints[a as usize]));
                    op.int(&self.scratch)
                }
            };
            self.ints[self.inputs + i] = v;
        }
        fingerprint_ints(self.outputs.iter().map(|&o| self.ints[o as usize]))
    }
}

/// The hand-written floor as a contender.
pub struct FloorContender;

impl Contender for FloorContender {
    fn name(&self) -> String {
        "floor (direct calls)".into()
    }
    fn prepare(&self, graph: &Graph) -> Result<Box<dyn Runner>, String> {
        Ok(Box::new(Floor::new(graph)))
    }
}

/// How an asterism contender is driven.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drive {
    /// `Program::run_sync` on the calling thread.
    Sync,
    /// `Program::run` inside a current-thread tokio runtime.
    Tokio,
}

/// asterism with a configuration, sync or async modules, a drive.
pub struct Asterism {
    /// Report name.
    pub label: &'static str,
    /// The configuration.
    pub config: RuntimeConfig,
    /// Async modules returning ready futures instead of sync modules.
    pub async_modules: bool,
    /// How to drive it.
    pub drive: Drive,
    /// Every run gets the same inputs (for the cache rows: every call
    /// after the first is a hit).
    pub fixed_inputs: bool,
}

impl Asterism {
    /// The default configuration without latencies, with `options` on
    /// every module of the workload (the options rows).
    pub fn with_options(
        label: &'static str,
        graph: &Graph,
        options: asterism_compiler::ModuleCallOptions,
    ) -> Self {
        let mut config = RuntimeConfig::default().without_latency();
        for sig in graph.registry(false).signatures().iter() {
            config
                .modules
                .options
                .insert(sig.name.clone(), options.clone());
        }
        Asterism {
            label,
            config,
            ..Asterism::pooled()
        }
    }

    /// The default: pooled, module latencies sampled in one execution of
    /// 64 (`latency-sample-every`'s default), sync modules, `run_sync`.
    pub fn pooled() -> Self {
        Asterism {
            label: "asterism (pooled)",
            config: RuntimeConfig::default(),
            async_modules: false,
            drive: Drive::Sync,
            fixed_inputs: false,
        }
    }
}

struct AsterismRunner {
    program: Program,
    inputs: Vec<InputIx>,
    outputs: Vec<OutputIx>,
    text: bool,
    rt: Option<tokio::runtime::Runtime>,
    fixed_inputs: bool,
}

impl AsterismRunner {
    #[inline]
    fn fingerprint(&self, r: &asterism_runtime::ExecutionResult<'_>) -> u64 {
        if self.text {
            fingerprint_texts(
                self.outputs
                    .iter()
                    .map(|o| r.output(*o).and_then(CValue::as_str).unwrap_or("<missing>")),
            )
        } else {
            fingerprint_ints(
                self.outputs
                    .iter()
                    .map(|o| r.output(*o).and_then(CValue::as_int).unwrap_or(i64::MIN)),
            )
        }
    }
}

impl Runner for AsterismRunner {
    #[inline(never)]
    fn run(&mut self, seed: i64) -> u64 {
        let seed = if self.fixed_inputs { 0 } else { seed };
        let inputs = move |ins: &[InputIx], text: bool| {
            let (x, y) = int_inputs(seed);
            let first = if text {
                CValue::String(text_input(seed).to_owned())
            } else {
                CValue::Int(x)
            };
            let second = ins.get(1).map(|&i| (i, CValue::Int(y)));
            [(ins[0], first)].into_iter().chain(second)
        };
        match &self.rt {
            None => {
                let r = self
                    .program
                    .run_sync(inputs(&self.inputs, self.text))
                    .expect("valid inputs");
                black_box(self.fingerprint(&r))
            }
            Some(rt) => {
                let program = &self.program;
                let ins = inputs(&self.inputs, self.text);
                rt.block_on(async {
                    let r = program.run(ins).await.expect("valid inputs");
                    black_box(self.fingerprint(&r))
                })
            }
        }
    }
}

impl Contender for Asterism {
    fn name(&self) -> String {
        self.label.to_owned()
    }
    fn prepare(&self, graph: &Graph) -> Result<Box<dyn Runner>, String> {
        let spec = graph.spec("bench");
        let program = Program::load(&spec, &graph.registry(self.async_modules), &self.config)
            .map_err(|e| e.to_string())?;
        let names: &[&str] = if graph.text { &["text"] } else { &["x", "y"] };
        let inputs = names
            .iter()
            .map(|n| program.input(n).expect("declared input"))
            .collect();
        let outputs = (0..graph.outputs.len())
            .map(|k| program.output(&format!("o{k}")).expect("declared output"))
            .collect();
        let rt = match (self.drive, self.async_modules) {
            (Drive::Sync, false) => None,
            _ => Some(
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())?,
            ),
        };
        Ok(Box::new(AsterismRunner {
            program,
            inputs,
            outputs,
            text: graph.text,
            rt,
            fixed_inputs: self.fixed_inputs,
        }))
    }
}

/// Every built-in contender of the main table, in report order.
pub fn builtin() -> Vec<Box<dyn Contender>> {
    vec![
        Box::new(FloorContender),
        Box::new(Asterism::pooled()),
        Box::new(Asterism {
            label: "asterism (no pooling)",
            config: RuntimeConfig::default().without_pooling(),
            ..Asterism::pooled()
        }),
        Box::new(Asterism {
            label: "asterism (no latency)",
            config: RuntimeConfig::default().without_latency(),
            ..Asterism::pooled()
        }),
        Box::new(Asterism {
            label: "reference (immutable maps)",
            config: RuntimeConfig::default().reference(),
            ..Asterism::pooled()
        }),
        Box::new(Asterism {
            label: EVERY_LABEL,
            config: RuntimeConfig::default().with_latency_every_execution(),
            ..Asterism::pooled()
        }),
    ]
}

/// The default configuration's one-in-k of latency sampling (the
/// default contender's).
pub const SAMPLE_EVERY: std::num::NonZeroU32 =
    asterism_runtime::config::DEFAULT_LATENCY_SAMPLE_EVERY;

/// The report name of the contender recording every execution's module
/// latencies (`latency-sample-every = 1`, the default before sampling).
pub const EVERY_LABEL: &str = "asterism (latency every execution)";
