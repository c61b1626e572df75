//! Differential test: random DAGs run through the slot runtime (fresh
//! program, a pool of one state reused run after run, concurrent tasks on a
//! two-worker runtime) and through the reference executor (the oracle), and
//! compared node for node, slot for slot, output for output. The reference
//! itself is checked against a direct model of the generated pipeline.
//!
//! A second property: a back edge (an early module made to read the output of
//! one downstream of it) is refused as a `CompileError::Cycle` through it.
//! A fixed regression test pins the bug the first one found: a module that
//! failed after writing some of its outputs left them visible in the slot
//! runtime's result.
//!
//! `PROPTEST_CASES=3000 cargo test -p asterism-runtime --test differential`
//! runs a longer hunt.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::{Once, OnceLock};

use asterism_compiler::{
    CType, CValue, CompileError, DagBuilder, DagSpec, DataKey, InlineTransform, InputIx, ModuleIx,
    ModuleSignature, NodeIx, NodeKind, OutputIx, Plan, Producer, SlotIx,
};
use asterism_runtime::{
    Abort, BoxFuture, ExecutionResult, FailureKind, LoadError, Module, ModuleError, ModuleInputs,
    ModuleOutput, ModuleOutputs, NodeFailure, NodeStatus, Phase, Program, Registry, RuntimeConfig,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use uuid::Uuid;

// ---------------------------------------------------------------------------
// Modules
// ---------------------------------------------------------------------------

/// Per-case module parameters: which values make the failing modules fail.
#[derive(Clone, Copy, Debug)]
struct Params {
    k_fail: i64,
    k_panic: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// sync (a, b) -> a + b
    Add2,
    /// sync (a, b) -> a * 31 - b, xor a constant (not commutative)
    Mix2,
    /// sync (a) -> -a
    Neg,
    /// sync (a) -> error when a is divisible by k_fail
    FailIf,
    /// sync (a) -> panic when a = 1 (mod k_panic); a &str payload for even a
    PanicIf,
    /// async (a, b) -> yields, then a + b + 1
    AsyncAdd,
    /// async (a) -> yields, then an error when a = 1 (mod k_fail)
    AsyncFail,
    /// async (a, b) -> panics when a - b is divisible by k_panic: before the
    /// future exists when it would not yield, else inside it
    AsyncPanic,
    /// sync (a) -> (lo, hi); some values write `lo` and then fail
    Split,
    /// async (a) -> (lo, hi); some values return too few, too many or
    /// mistyped outputs
    AsyncSplit,
}

const ALL_KINDS: [Kind; 10] = [
    Kind::Add2,
    Kind::Mix2,
    Kind::Neg,
    Kind::FailIf,
    Kind::PanicIf,
    Kind::AsyncAdd,
    Kind::AsyncFail,
    Kind::AsyncPanic,
    Kind::Split,
    Kind::AsyncSplit,
];

const STATIC_PANIC: &str = "t.panicif: static payload";

/// What a module does wrong, in the model.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Fail {
    Error(String),
    Panic(String),
}

/// What a two-output module does with its input.
#[derive(Clone, Debug, PartialEq, Eq)]
enum SplitMode {
    /// Writes both outputs.
    Full,
    /// Writes `lo`, then returns an error.
    ErrorAfterLo(String),
    /// Writes `lo`, then panics.
    PanicAfterLo(String),
    /// Writes `lo` only and succeeds.
    OnlyLo,
    /// Returns `lo` and a String for `hi`.
    WrongType,
    /// Returns three values.
    TooMany,
}

fn split(a: i64) -> (CValue, CValue) {
    (
        CValue::Int(a.rem_euclid(1000)),
        CValue::Int(a.div_euclid(1000)),
    )
}

impl Kind {
    /// The sync kind that fails the same way (itself if already sync).
    fn sync_twin(self) -> Kind {
        match self {
            Kind::AsyncAdd => Kind::Add2,
            Kind::AsyncFail => Kind::FailIf,
            Kind::AsyncPanic => Kind::PanicIf,
            Kind::AsyncSplit => Kind::Split,
            sync => sync,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Add2 => "t.add2",
            Kind::Mix2 => "t.mix2",
            Kind::Neg => "t.neg",
            Kind::FailIf => "t.failif",
            Kind::PanicIf => "t.panicif",
            Kind::AsyncAdd => "t.async_add",
            Kind::AsyncFail => "t.async_fail",
            Kind::AsyncPanic => "t.async_panic",
            Kind::Split => "t.split",
            Kind::AsyncSplit => "t.async_split",
        }
    }

    fn arity(self) -> usize {
        match self {
            Kind::Add2 | Kind::Mix2 | Kind::AsyncAdd | Kind::AsyncPanic => 2,
            Kind::Neg
            | Kind::FailIf
            | Kind::PanicIf
            | Kind::AsyncFail
            | Kind::Split
            | Kind::AsyncSplit => 1,
        }
    }

    fn outputs(self) -> &'static [&'static str] {
        match self {
            Kind::Split | Kind::AsyncSplit => &["lo", "hi"],
            _ => &["out"],
        }
    }

    /// What a two-output module does with `a`.
    fn split_mode(self, p: Params, a: i64) -> SplitMode {
        let r = a.rem_euclid(p.k_fail);
        match self {
            Kind::Split if r == 2 => {
                SplitMode::ErrorAfterLo(format!("t.split: {a} = 2 mod {}", p.k_fail))
            }
            Kind::Split if r == 3 => SplitMode::OnlyLo,
            Kind::Split if a.rem_euclid(p.k_panic) == 2 => {
                SplitMode::PanicAfterLo(format!("t.split: {a} = 2 mod {}", p.k_panic))
            }
            Kind::AsyncSplit if r == 2 => SplitMode::OnlyLo,
            Kind::AsyncSplit if r == 3 => SplitMode::WrongType,
            Kind::AsyncSplit if a.rem_euclid(p.k_panic) == 2 => SplitMode::TooMany,
            _ => SplitMode::Full,
        }
    }

    /// The node's expected outcome: its output values, or how it fails
    /// (with the runtime's message).
    fn expect(self, p: Params, x: &[i64]) -> Result<Vec<CValue>, (FailureKind, String)> {
        let name = self.name();
        match self {
            Kind::Split | Kind::AsyncSplit => match self.split_mode(p, x[0]) {
                SplitMode::Full => {
                    let (lo, hi) = split(x[0]);
                    Ok(vec![lo, hi])
                }
                SplitMode::ErrorAfterLo(m) => Err((FailureKind::Error, m)),
                SplitMode::PanicAfterLo(m) => Err((FailureKind::Panic, format!("panicked: {m}"))),
                SplitMode::OnlyLo => Err((
                    FailureKind::Error,
                    format!("module `{name}` wrote 1 of its 2 outputs; it must write every output"),
                )),
                SplitMode::WrongType => Err((
                    FailureKind::Error,
                    format!("module `{name}` wrote CString to output `hi`, which is Int"),
                )),
                SplitMode::TooMany => Err((
                    FailureKind::Error,
                    format!("module `{name}` wrote output 2 (`?`) twice, or it has no such output"),
                )),
            },
            _ => match self.eval(p, x) {
                Ok(v) => Ok(vec![CValue::Int(v)]),
                Err(Fail::Error(m)) => Err((FailureKind::Error, m)),
                Err(Fail::Panic(m)) => Err((FailureKind::Panic, format!("panicked: {m}"))),
            },
        }
    }

    /// The module's semantics, shared by its implementation and the model.
    fn eval(self, p: Params, x: &[i64]) -> Result<i64, Fail> {
        match self {
            Kind::Add2 => Ok(x[0].wrapping_add(x[1])),
            Kind::Mix2 => Ok(x[0].wrapping_mul(31).wrapping_sub(x[1]) ^ 0x5bd1),
            Kind::Neg => Ok(x[0].wrapping_neg()),
            Kind::FailIf => {
                if x[0].rem_euclid(p.k_fail) == 0 {
                    Err(Fail::Error(format!(
                        "t.failif: {} is divisible by {}",
                        x[0], p.k_fail
                    )))
                } else {
                    Ok(x[0].wrapping_add(7))
                }
            }
            Kind::PanicIf => {
                if x[0].rem_euclid(p.k_panic) != 1 {
                    Ok(x[0].wrapping_sub(3))
                } else if x[0] % 2 == 0 {
                    Err(Fail::Panic(STATIC_PANIC.to_owned()))
                } else {
                    Err(Fail::Panic(format!(
                        "t.panicif: {} = 1 mod {}",
                        x[0], p.k_panic
                    )))
                }
            }
            Kind::AsyncAdd => Ok(x[0].wrapping_add(x[1]).wrapping_add(1)),
            Kind::AsyncFail => {
                if x[0].rem_euclid(p.k_fail) == 1 {
                    Err(Fail::Error(format!(
                        "t.async_fail: {} = 1 mod {}",
                        x[0], p.k_fail
                    )))
                } else {
                    Ok(x[0].wrapping_mul(5))
                }
            }
            Kind::AsyncPanic => {
                if x[0].wrapping_sub(x[1]).rem_euclid(p.k_panic) == 0 {
                    Err(Fail::Panic(format!(
                        "t.async_panic: {} - {} divisible by {}",
                        x[0], x[1], p.k_panic
                    )))
                } else {
                    Ok(x[0].wrapping_sub(x[1]))
                }
            }
            Kind::Split | Kind::AsyncSplit => unreachable!("two outputs: see split_mode"),
        }
    }

    /// How many times an async module yields before it finishes.
    fn yields(self, x: &[i64]) -> u32 {
        let mixed = x.iter().fold(0i64, |acc, v| acc ^ v);
        mixed.rem_euclid(4) as u32
    }

    fn module(self, p: Params) -> Module {
        let name = self.name();
        match self {
            Kind::Add2 | Kind::Mix2 => {
                Module::sync(name, ["a", "b"], "out", move |a: i64, b: i64| {
                    body(self, p, &[a, b])
                })
            }
            Kind::Neg | Kind::FailIf | Kind::PanicIf => {
                Module::sync(name, ["a"], "out", move |a: i64| body(self, p, &[a]))
            }
            Kind::AsyncAdd => {
                Module::asynchronous(name, ["a", "b"], "out", move |a: i64, b: i64| async move {
                    yield_n(self.yields(&[a, b])).await;
                    body(self, p, &[a, b])
                })
            }
            Kind::AsyncFail => Module::asynchronous(name, ["a"], "out", move |a: i64| async move {
                yield_n(self.yields(&[a])).await;
                body(self, p, &[a])
            }),
            Kind::AsyncPanic => {
                Module::asynchronous(name, ["a", "b"], "out", move |a: i64, b: i64| {
                    let n = self.yields(&[a, b]);
                    if n == 0 {
                        // Panics (if it does) before the future is built.
                        let _ = body(self, p, &[a, b]);
                    }
                    async move {
                        yield_n(n).await;
                        body(self, p, &[a, b])
                    }
                })
            }
            Kind::Split => Module::raw_sync(
                ModuleSignature::new(
                    name,
                    [("a", CType::Int)],
                    [("lo", CType::Int), ("hi", CType::Int)],
                ),
                move |inputs: &ModuleInputs<'_>, outputs: &mut ModuleOutputs<'_>| {
                    let a = inputs.int(0)?;
                    let (lo, hi) = split(a);
                    match self.split_mode(p, a) {
                        SplitMode::Full => {
                            outputs.set(0, lo)?;
                            outputs.set(1, hi)
                        }
                        SplitMode::ErrorAfterLo(m) => {
                            outputs.set(0, lo)?;
                            Err(ModuleError::new(m))
                        }
                        SplitMode::PanicAfterLo(m) => {
                            outputs.set(0, lo)?;
                            std::panic::panic_any(m)
                        }
                        SplitMode::OnlyLo => outputs.set(0, lo),
                        SplitMode::WrongType | SplitMode::TooMany => unreachable!("async only"),
                    }
                },
            ),
            Kind::AsyncSplit => Module::raw_async(
                ModuleSignature::new(
                    name,
                    [("a", CType::Int)],
                    [("lo", CType::Int), ("hi", CType::Int)],
                ),
                move |inputs: &ModuleInputs<'_>| -> BoxFuture<Result<ModuleOutput, ModuleError>> {
                    let a = inputs.int(0);
                    Box::pin(async move {
                        let a = a?;
                        yield_n(self.yields(&[a])).await;
                        let (lo, hi) = split(a);
                        Ok(ModuleOutput::Many(match self.split_mode(p, a) {
                            SplitMode::Full => vec![lo, hi],
                            SplitMode::OnlyLo => vec![lo],
                            SplitMode::WrongType => vec![lo, CValue::String("hi".into())],
                            SplitMode::TooMany => vec![lo, hi.clone(), hi],
                            SplitMode::ErrorAfterLo(_) | SplitMode::PanicAfterLo(_) => {
                                unreachable!("sync only")
                            }
                        }))
                    })
                },
            ),
        }
    }
}

/// Runs a module's semantics as its implementation: errors are returned,
/// panics are raised (a `&'static str` or a `String` payload).
fn body(kind: Kind, p: Params, x: &[i64]) -> Result<i64, String> {
    match kind.eval(p, x) {
        Ok(v) => Ok(v),
        Err(Fail::Error(m)) => Err(m),
        Err(Fail::Panic(m)) if m == STATIC_PANIC => panic!("t.panicif: static payload"),
        Err(Fail::Panic(m)) => std::panic::panic_any(m),
    }
}

async fn yield_n(n: u32) {
    for _ in 0..n {
        tokio::task::yield_now().await;
    }
}

fn registry(p: Params) -> Registry {
    let mut r = Registry::new();
    for kind in ALL_KINDS {
        r.register(kind.module(p));
    }
    r
}

/// Keeps the expected panics of the `t.*` modules off stderr; every other
/// panic goes to the default hook.
fn quiet_module_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let msg = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
            if !msg.is_some_and(|m| m.starts_with("t.")) {
                default(info);
            }
        }));
    });
}

// ---------------------------------------------------------------------------
// Generated cases
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Field {
    X,
    Y,
    // No field the record lacks: since issue #14 such a FieldAccess is a
    // compile error (`tests/trust_boundary.rs` in the compiler), not a
    // transform that fails at run time.
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::X => "x",
            Field::Y => "y",
        }
    }
}

/// A transform added before a step's module.
#[derive(Clone, Debug)]
enum Pre {
    /// `{x: a, y: b}` (a and b may be the same node), then, if `access`, one
    /// field of it back as an Int; otherwise the record is an output.
    Record {
        a: Index,
        b: Index,
        field: Field,
        access: bool,
    },
    /// An Int constant (a node with no inputs).
    Literal(i64),
}

#[derive(Clone, Debug)]
struct Step {
    pre: Option<Pre>,
    kind: Kind,
    a: Index,
    b: Index,
    /// Whether a data node takes the module's (first) output.
    keep_output: bool,
    /// Whether a data node takes the second output of a two-output module.
    keep_second: bool,
}

#[derive(Clone, Debug)]
struct Case {
    seed: u64,
    inputs: Vec<i64>,
    /// Other values for the same inputs (the first `inputs.len()` are used).
    alt_inputs: Vec<i64>,
    params: Params,
    steps: Vec<Step>,
    multi_thread: bool,
}

fn value() -> impl Strategy<Value = i64> {
    prop_oneof![
        6 => -40i64..40,
        2 => any::<i64>(),
        1 => prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(0), Just(-1)],
    ]
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        4 => Just(Kind::Add2),
        3 => Just(Kind::Mix2),
        3 => Just(Kind::Neg),
        2 => Just(Kind::FailIf),
        1 => Just(Kind::PanicIf),
        3 => Just(Kind::AsyncAdd),
        1 => Just(Kind::AsyncFail),
        1 => Just(Kind::AsyncPanic),
        1 => Just(Kind::Split),
        1 => Just(Kind::AsyncSplit),
    ]
}

fn field() -> impl Strategy<Value = Field> {
    prop_oneof![Just(Field::X), Just(Field::Y)]
}

fn pre() -> impl Strategy<Value = Option<Pre>> {
    prop_oneof![
        6 => Just(None),
        2 => (any::<Index>(), any::<Index>(), field(), prop::bool::weighted(0.8))
            .prop_map(|(a, b, field, access)| Some(Pre::Record { a, b, field, access })),
        1 => value().prop_map(|v| Some(Pre::Literal(v))),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    (
        pre(),
        kind(),
        any::<Index>(),
        any::<Index>(),
        prop::bool::weighted(0.9),
        prop::bool::weighted(0.6),
    )
        .prop_map(|(pre, kind, a, b, keep_output, keep_second)| Step {
            pre,
            kind,
            a,
            b,
            keep_output,
            keep_second,
        })
}

fn params() -> impl Strategy<Value = Params> {
    let k = |lo: i64, hi: i64| prop_oneof![3 => lo..=hi, 1 => Just(1_000_003i64)];
    (k(2, 9), k(3, 11)).prop_map(|(k_fail, k_panic)| Params { k_fail, k_panic })
}

fn case() -> impl Strategy<Value = Case> {
    (
        any::<u64>(),
        prop::collection::vec(value(), 1..=4),
        prop::collection::vec(value(), 4),
        params(),
        prop::collection::vec(step(), 1..=30),
        prop::bool::weighted(0.4),
        prop::bool::weighted(0.4),
    )
        .prop_map(
            |(seed, inputs, alt_inputs, params, mut steps, multi_thread, sync_only)| {
                if sync_only {
                    // No async module: the executor's in-order pass, not
                    // the dataflow loop, runs these.
                    for step in &mut steps {
                        step.kind = step.kind.sync_twin();
                    }
                }
                Case {
                    seed,
                    inputs,
                    alt_inputs,
                    params,
                    steps,
                    multi_thread,
                }
            },
        )
}

// ---------------------------------------------------------------------------
// Building the spec, and the model of what it computes
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Op {
    Module(Kind),
    Record,
    Access(Field),
    Literal(i64),
}

#[derive(Clone, Debug)]
struct MData {
    uuid: Uuid,
    key: DataKey,
    /// The model node that produces it (`None` for user inputs).
    producer: Option<usize>,
    consumers: usize,
}

#[derive(Clone, Debug)]
struct MNode {
    /// The module's UUID, or the transform's data node's.
    uuid: Uuid,
    op: Op,
    /// Model data ids, in parameter order.
    inputs: Vec<usize>,
    /// Model data ids, in output order (`None`: no data node takes it).
    outputs: Vec<Option<usize>>,
}

/// The generated pipeline as the test sees it; nodes are in creation order,
/// which is a topological order.
#[derive(Clone, Debug)]
struct Model {
    data: Vec<MData>,
    nodes: Vec<MNode>,
    inputs: usize,
    params: Params,
}

fn record_type() -> CType {
    CType::product([("x", CType::Int), ("y", CType::Int)])
}

fn build(case: &Case) -> (DagSpec, Model) {
    let mut b = DagBuilder::seeded("differential", case.seed);
    let mut m = Model {
        data: Vec::new(),
        nodes: Vec::new(),
        inputs: case.inputs.len(),
        params: case.params,
    };
    // Model data ids of the Int nodes a module or transform may read.
    let mut ints: Vec<usize> = Vec::new();

    fn add_data(m: &mut Model, b: &DagBuilder, key: DataKey, producer: Option<usize>) -> usize {
        m.data.push(MData {
            uuid: b.data_uuid(key).expect("live key"),
            key,
            producer,
            consumers: 0,
        });
        m.data.len() - 1
    }
    fn add_node(m: &mut Model, uuid: Uuid, op: Op, inputs: Vec<usize>) -> usize {
        for &d in &inputs {
            m.data[d].consumers += 1;
        }
        m.nodes.push(MNode {
            uuid,
            op,
            inputs,
            outputs: Vec::new(),
        });
        m.nodes.len() - 1
    }

    for i in 0..case.inputs.len() {
        let key = b.input(format!("in{i}"), CType::Int);
        let d = add_data(&mut m, &b, key, None);
        ints.push(d);
    }

    for (si, step) in case.steps.iter().enumerate() {
        match &step.pre {
            None => {}
            Some(Pre::Literal(v)) => {
                let key = b.transform(
                    format!("lit{si}"),
                    CType::Int,
                    InlineTransform::Literal {
                        value: CValue::Int(*v),
                    },
                    &[],
                );
                let n = add_node(&mut m, b.data_uuid(key).unwrap(), Op::Literal(*v), vec![]);
                let d = add_data(&mut m, &b, key, Some(n));
                m.nodes[n].outputs = vec![Some(d)];
                ints.push(d);
            }
            Some(Pre::Record {
                a,
                b: bi,
                field,
                access,
            }) => {
                let (da, db) = (ints[a.index(ints.len())], ints[bi.index(ints.len())]);
                let key = b.transform(
                    format!("rec{si}"),
                    record_type(),
                    InlineTransform::RecordBuild {
                        fields: vec!["x".into(), "y".into()],
                    },
                    &[("x", m.data[da].key), ("y", m.data[db].key)],
                );
                let n = add_node(&mut m, b.data_uuid(key).unwrap(), Op::Record, vec![da, db]);
                let rec = add_data(&mut m, &b, key, Some(n));
                m.nodes[n].outputs = vec![Some(rec)];
                if *access {
                    let key = b.transform(
                        format!("fa{si}"),
                        CType::Int,
                        InlineTransform::FieldAccess {
                            field: field.name().to_owned(),
                        },
                        &[("source", m.data[rec].key)],
                    );
                    let n = add_node(
                        &mut m,
                        b.data_uuid(key).unwrap(),
                        Op::Access(*field),
                        vec![rec],
                    );
                    let d = add_data(&mut m, &b, key, Some(n));
                    m.nodes[n].outputs = vec![Some(d)];
                    ints.push(d);
                }
            }
        }

        // A binary module needs two distinct nodes (one data node feeds a
        // module one parameter only).
        let kind = if step.kind.arity() == 2 && ints.len() < 2 {
            Kind::Neg
        } else {
            step.kind
        };
        let pa = step.a.index(ints.len());
        let mut args = vec![ints[pa]];
        if kind.arity() == 2 {
            let mut pb = step.b.index(ints.len());
            if pb == pa {
                pb = (pb + 1) % ints.len();
            }
            args.push(ints[pb]);
        }
        let key = b.module(kind.name());
        for (&d, param) in args.iter().zip(["a", "b"]) {
            b.bind(m.data[d].key, key, param);
        }
        let n = add_node(&mut m, b.module_uuid(key).unwrap(), Op::Module(kind), args);
        for (i, field) in kind.outputs().iter().enumerate() {
            let keep = if i == 0 {
                step.keep_output
            } else {
                step.keep_second
            };
            let out = keep.then(|| {
                let out = b.produce(key, *field, format!("m{si}.{field}"), CType::Int);
                let d = add_data(&mut m, &b, out, Some(n));
                ints.push(d);
                d
            });
            m.nodes[n].outputs.push(out);
        }
    }

    // Every data node nothing reads is a declared output.
    for (i, d) in m.data.iter().enumerate() {
        if d.consumers == 0 {
            b.output(format!("out_{i}"), d.key);
        }
    }
    (b.build(), m)
}

#[derive(Clone, Debug, PartialEq)]
enum Expected {
    Completed,
    Failed(FailureKind, String),
    Skipped,
}

/// What the pipeline must compute for `inputs`: each node's outcome and
/// each data node's value, by model id.
fn evaluate(m: &Model, inputs: &[i64]) -> (Vec<Expected>, Vec<Option<CValue>>) {
    let mut values: Vec<Option<CValue>> = vec![None; m.data.len()];
    for (i, v) in inputs.iter().enumerate().take(m.inputs) {
        values[i] = Some(CValue::Int(*v));
    }
    let mut status = Vec::with_capacity(m.nodes.len());
    for node in &m.nodes {
        let args: Option<Vec<CValue>> = node.inputs.iter().map(|&d| values[d].clone()).collect();
        let Some(args) = args else {
            status.push(Expected::Skipped);
            continue;
        };
        let int = |i: usize| args[i].as_int().expect("an Int node");
        let result: Result<Vec<CValue>, (FailureKind, String)> = match &node.op {
            Op::Literal(v) => Ok(vec![CValue::Int(*v)]),
            Op::Record => Ok(vec![CValue::record([
                ("x", args[0].clone()),
                ("y", args[1].clone()),
            ])]),
            Op::Access(f) => match &args[0] {
                CValue::Product(fields, _) => Ok(vec![fields[f.name()].clone()]),
                other => panic!("model: a record was expected, found {other:?}"),
            },
            Op::Module(kind) => {
                let x: Vec<i64> = (0..args.len()).map(int).collect();
                kind.expect(m.params, &x)
            }
        };
        match result {
            Ok(vs) => {
                for (d, v) in node.outputs.iter().zip(vs) {
                    if let Some(d) = d {
                        values[*d] = Some(v);
                    }
                }
                status.push(Expected::Completed);
            }
            Err((kind, msg)) => status.push(Expected::Failed(kind, msg)),
        }
    }
    (status, values)
}

// ---------------------------------------------------------------------------
// Owned results and their comparison
// ---------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum St {
    Waiting,
    Running,
    Completed,
    Failed(NodeFailure),
    TimedOut(NodeFailure),
    Skipped(NodeIx),
    Cancelled,
}

/// An execution's result, copied out of the state that holds it.
#[derive(Clone, Debug)]
struct Outcome {
    phases: Vec<Phase>,
    status: Vec<St>,
    values: Vec<Option<CValue>>,
    outputs: Vec<(String, Option<CValue>)>,
    success: bool,
    failed: usize,
    skipped: usize,
    abort: Option<Abort>,
    /// Per module: whether the result gives it a latency.
    timed: Vec<bool>,
}

fn capture(r: &ExecutionResult<'_>) -> Outcome {
    let plan = r.plan();
    let nodes = || (0..plan.node_count() as u32).map(NodeIx);
    Outcome {
        phases: nodes().map(|n| r.phase(n)).collect(),
        status: nodes()
            .map(|n| match r.status(n) {
                NodeStatus::Waiting => St::Waiting,
                NodeStatus::Running => St::Running,
                NodeStatus::Completed { .. } => St::Completed,
                NodeStatus::Failed(f) => St::Failed(f),
                NodeStatus::TimedOut(f) => St::TimedOut(f),
                NodeStatus::Skipped { upstream } => St::Skipped(upstream),
                NodeStatus::Cancelled => St::Cancelled,
            })
            .collect(),
        values: (0..plan.slot_count() as u32)
            .map(|s| r.value(SlotIx(s)).cloned())
            .collect(),
        outputs: plan
            .outputs()
            .iter()
            .enumerate()
            .map(|(i, d)| (d.name.clone(), r.output(OutputIx(i as u32)).cloned()))
            .collect(),
        success: r.is_success(),
        failed: r.failed_count(),
        skipped: r.skipped_count(),
        abort: r.abort(),
        timed: (0..plan.module_count() as u32)
            .map(|m| r.module_latency(ModuleIx(m)).is_some())
            .collect(),
    }
}

/// A run that records latencies gives one to every module that ran
/// (completed, failed or timed out) and to no other; a run that does not
/// record them gives none.
fn check_latencies(plan: &Plan, name: &str, o: &Outcome, recorded: bool) -> Result<(), String> {
    for m in (0..plan.module_count() as u32).map(ModuleIx) {
        let n = plan.module_node(m);
        let ran = matches!(
            o.phases[n.ix()],
            Phase::Completed | Phase::Failed | Phase::TimedOut
        );
        if o.timed[m.ix()] != (recorded && ran) {
            return Err(format!(
                "{}: {name} (latencies recorded: {recorded}) is {:?} and {} a latency",
                describe(plan, n),
                o.phases[n.ix()],
                if o.timed[m.ix()] { "has" } else { "has no" }
            ));
        }
    }
    Ok(())
}

async fn run_once(program: &Program, inputs: &[(InputIx, CValue)]) -> Result<Outcome, String> {
    let result = program
        .run(inputs.iter().cloned())
        .await
        .map_err(|e| format!("the run was refused: {e}"))?;
    Ok(capture(&result))
}

/// `ancestors[n][p]`: node `p` is upstream of node `n`.
fn ancestry(plan: &Plan) -> Vec<Vec<bool>> {
    let count = plan.node_count();
    let mut anc = vec![vec![false; count]; count];
    for &n in plan.topo_order() {
        for &s in plan.node_inputs(n) {
            let p = match plan.slot_producer(s) {
                Producer::Module(m, _) => plan.module_node(m),
                Producer::Transform(t) => plan.transform_node(t),
                Producer::Input(_) => continue,
            };
            let inherited = anc[p.ix()].clone();
            let row = &mut anc[n.ix()];
            row[p.ix()] = true;
            for (r, i) in row.iter_mut().zip(inherited) {
                *r |= i;
            }
        }
    }
    anc
}

fn describe(plan: &Plan, n: NodeIx) -> String {
    let what = match plan.node_kind(n) {
        NodeKind::Module(m) => format!("module {}", plan.module_signature(m).name),
        NodeKind::Transform(t) => format!("transform {}", plan.transform(t).kind()),
    };
    format!("node {} ({what} `{}`)", n.0, plan.node_name(n))
}

fn describe_slot(plan: &Plan, s: SlotIx) -> String {
    format!("slot {} (`{}`)", s.0, plan.slot_name(s))
}

/// What must hold of any one finished result, whatever ran it.
fn check_alone(plan: &Plan, anc: &[Vec<bool>], name: &str, o: &Outcome) -> Result<(), String> {
    if let Some(a) = o.abort {
        return Err(format!(
            "{name}: the run aborted ({a:?}) with no deadline or token"
        ));
    }
    let (mut failed, mut skipped) = (0, 0);
    for n in (0..plan.node_count() as u32).map(NodeIx) {
        let (phase, st) = (o.phases[n.ix()], &o.status[n.ix()]);
        let agrees = match st {
            St::Completed => phase == Phase::Completed,
            St::Failed(f) => phase == Phase::Failed && f.kind != FailureKind::Timeout,
            St::TimedOut(f) => phase == Phase::TimedOut && f.kind == FailureKind::Timeout,
            St::Skipped(_) => phase == Phase::Skipped,
            St::Waiting | St::Running | St::Cancelled => false,
        };
        if !agrees {
            return Err(format!(
                "{name}: {} has phase {phase:?} and status {st:?} after a finished run",
                describe(plan, n)
            ));
        }
        match st {
            St::Failed(_) | St::TimedOut(_) => failed += 1,
            St::Skipped(up) => {
                skipped += 1;
                if up.ix() >= plan.node_count() {
                    return Err(format!(
                        "{name}: {} is skipped because of node {}, which does not exist",
                        describe(plan, n),
                        up.0
                    ));
                }
                if !matches!(o.phases[up.ix()], Phase::Failed | Phase::TimedOut) {
                    return Err(format!(
                        "{name}: {} is skipped naming {} as the failed upstream, but that one is {:?}",
                        describe(plan, n),
                        describe(plan, *up),
                        o.phases[up.ix()]
                    ));
                }
                if !anc[n.ix()][up.ix()] {
                    return Err(format!(
                        "{name}: {} is skipped naming {}, which is not upstream of it",
                        describe(plan, n),
                        describe(plan, *up)
                    ));
                }
            }
            _ => {}
        }
    }
    if (o.failed, o.skipped) != (failed, skipped) {
        return Err(format!(
            "{name}: failed_count {} / skipped_count {}, but {failed} nodes failed and {skipped} were skipped",
            o.failed, o.skipped
        ));
    }
    if o.success != (failed == 0 && skipped == 0) {
        return Err(format!(
            "{name}: is_success() is {} with {failed} failed and {skipped} skipped nodes",
            o.success
        ));
    }
    // A slot holds a value exactly when its producer completed.
    for s in (0..plan.slot_count() as u32).map(SlotIx) {
        let should = match plan.slot_producer(s) {
            Producer::Input(_) => true,
            Producer::Module(m, _) => o.phases[plan.module_node(m).ix()] == Phase::Completed,
            Producer::Transform(t) => o.phases[plan.transform_node(t).ix()] == Phase::Completed,
        };
        if o.values[s.ix()].is_some() != should {
            return Err(format!(
                "{name}: {} holds {:?} but its producer's phase says it should {}",
                describe_slot(plan, s),
                o.values[s.ix()],
                if should { "hold a value" } else { "be empty" }
            ));
        }
    }
    for (i, (out_name, v)) in o.outputs.iter().enumerate() {
        let slot = plan.outputs()[i].slot;
        if *v != o.values[slot.ix()] {
            return Err(format!(
                "{name}: output `{out_name}` is {v:?} but its {} holds {:?}",
                describe_slot(plan, slot),
                o.values[slot.ix()]
            ));
        }
    }
    Ok(())
}

/// Compares two results node for node; `a` is the one trusted more.
fn compare(
    plan: &Plan,
    anc: &[Vec<bool>],
    (a_name, a): (&str, &Outcome),
    (b_name, b): (&str, &Outcome),
) -> Result<(), String> {
    check_alone(plan, anc, a_name, a)?;
    check_alone(plan, anc, b_name, b)?;
    for n in (0..plan.node_count() as u32).map(NodeIx) {
        let i = n.ix();
        if a.phases[i] != b.phases[i] {
            return Err(format!(
                "{}: {a_name} says {:?} ({:?}), {b_name} says {:?} ({:?})",
                describe(plan, n),
                a.phases[i],
                a.status[i],
                b.phases[i],
                b.status[i]
            ));
        }
        match (&a.status[i], &b.status[i]) {
            (St::Failed(fa), St::Failed(fb)) | (St::TimedOut(fa), St::TimedOut(fb))
                if fa.kind != fb.kind || fa.message != fb.message =>
            {
                return Err(format!(
                    "{}: {a_name} failed with {:?} {:?}, {b_name} with {:?} {:?}",
                    describe(plan, n),
                    fa.kind,
                    fa.message,
                    fb.kind,
                    fb.message
                ));
            }
            _ => {}
        }
    }
    for s in (0..plan.slot_count() as u32).map(SlotIx) {
        if a.values[s.ix()] != b.values[s.ix()] {
            return Err(format!(
                "{}: {a_name} holds {:?}, {b_name} holds {:?}",
                describe_slot(plan, s),
                a.values[s.ix()],
                b.values[s.ix()]
            ));
        }
    }
    if a.outputs != b.outputs {
        return Err(format!(
            "outputs differ: {a_name} {:?}, {b_name} {:?}",
            a.outputs, b.outputs
        ));
    }
    let counts = |o: &Outcome| (o.success, o.failed, o.skipped);
    if counts(a) != counts(b) {
        return Err(format!(
            "(is_success, failed_count, skipped_count): {a_name} {:?}, {b_name} {:?}",
            counts(a),
            counts(b)
        ));
    }
    Ok(())
}

/// Checks a result against the model's expectations, matched by UUID.
fn check_model(
    plan: &Plan,
    m: &Model,
    inputs: &[i64],
    name: &str,
    o: &Outcome,
) -> Result<(), String> {
    let (expected, values) = evaluate(m, inputs);
    let node_of: HashMap<Uuid, NodeIx> = (0..plan.node_count() as u32)
        .map(NodeIx)
        .map(|n| (plan.node_uuid(n), n))
        .collect();
    let slot_of: HashMap<Uuid, SlotIx> = (0..plan.slot_count() as u32)
        .map(SlotIx)
        .map(|s| (plan.slot_uuid(s), s))
        .collect();
    if node_of.len() != m.nodes.len() || slot_of.len() != m.data.len() {
        return Err(format!(
            "the plan has {} nodes and {} slots, the model {} and {}",
            node_of.len(),
            slot_of.len(),
            m.nodes.len(),
            m.data.len()
        ));
    }
    for (node, want) in m.nodes.iter().zip(&expected) {
        let n = node_of[&node.uuid];
        let got = &o.status[n.ix()];
        let ok = match (want, got) {
            (Expected::Completed, St::Completed) => true,
            (Expected::Skipped, St::Skipped(_)) => true,
            (Expected::Failed(kind, msg), St::Failed(f)) => f.kind == *kind && f.message == *msg,
            _ => false,
        };
        if !ok {
            return Err(format!(
                "{}: the model expects {want:?}, {name} says {got:?}",
                describe(plan, n)
            ));
        }
    }
    for (d, want) in m.data.iter().zip(&values) {
        let s = slot_of[&d.uuid];
        if o.values[s.ix()] != *want {
            return Err(format!(
                "{}: the model expects {want:?}, {name} holds {:?}",
                describe_slot(plan, s),
                o.values[s.ix()]
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The properties
// ---------------------------------------------------------------------------

fn multi_thread_runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a two-worker runtime")
    })
}

fn resolve(program: &Program, values: &[i64]) -> Result<Vec<(InputIx, CValue)>, String> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let name = format!("in{i}");
            program
                .input(&name)
                .map(|ix| (ix, CValue::Int(*v)))
                .ok_or_else(|| format!("the program has no input `{name}`"))
        })
        .collect()
}

#[derive(Default)]
struct Coverage {
    cases: Cell<usize>,
    nodes: Cell<usize>,
    successes: Cell<usize>,
    errors: Cell<usize>,
    panics: Cell<usize>,
    skipped: Cell<usize>,
    async_cases: Cell<usize>,
    multi_thread: Cell<usize>,
}

fn bump(c: &Cell<usize>, by: usize) {
    c.set(c.get() + by);
}

fn check_case(
    case: &Case,
    current: &tokio::runtime::Runtime,
    cov: &Coverage,
) -> Result<(), String> {
    let (spec, model) = build(case);
    let registry = registry(case.params);
    let load = |config: RuntimeConfig| {
        Program::load(&spec, &registry, &config).map_err(|e| format!("the spec does not load: {e}"))
    };
    let reference = load(RuntimeConfig::default().reference())?;
    let fresh = load(RuntimeConfig::default())?;
    // Latencies sampled one run in two: the pooled runs below alternate
    // between recording them and not (then only modules with timeouts
    // read the clock), which must not change what a run computes.
    let pooled = load(
        RuntimeConfig::default()
            .with_pool_size(1)
            .with_latency_sampled(std::num::NonZeroU32::new(2).unwrap()),
    )?;
    let plan = reference.plan();
    plan.check_invariants()?;
    let anc = ancestry(plan);
    let alt = &case.alt_inputs[..case.inputs.len()];

    // The oracle, itself checked against the model.
    let want = current.block_on(run_once(&reference, &resolve(&reference, &case.inputs)?))?;
    check_alone(plan, &anc, "reference", &want)?;
    check_latencies(plan, "reference", &want, true)?;
    check_model(plan, &model, &case.inputs, "reference", &want)?;
    let want_alt = current.block_on(run_once(&reference, &resolve(&reference, alt)?))?;
    check_model(plan, &model, alt, "reference (alt inputs)", &want_alt)?;

    // (a) A fresh program with the default config.
    let got = current.block_on(run_once(&fresh, &resolve(&fresh, &case.inputs)?))?;
    compare(plan, &anc, ("reference", &want), ("slot runtime", &got))?;
    check_latencies(plan, "slot runtime", &got, true)?;

    // (b) One pooled state, reset and reused: A, A, then other inputs.
    let inputs = resolve(&pooled, &case.inputs)?;
    let first = current.block_on(run_once(&pooled, &inputs))?;
    compare(
        plan,
        &anc,
        ("reference", &want),
        ("pool-of-1 run 1", &first),
    )?;
    let second = current.block_on(run_once(&pooled, &inputs))?;
    compare(
        plan,
        &anc,
        ("pool-of-1 run 1", &first),
        ("pool-of-1 run 2", &second),
    )?;
    let third = current.block_on(run_once(&pooled, &resolve(&pooled, alt)?))?;
    compare(
        plan,
        &anc,
        ("reference (alt inputs)", &want_alt),
        ("pool-of-1 run 3 (alt inputs)", &third),
    )?;
    // Sampled one run in two, counted on this thread: runs 1 and 3.
    for (name, run, recorded) in [
        ("pool-of-1 run 1", &first, true),
        ("pool-of-1 run 2", &second, false),
        ("pool-of-1 run 3", &third, true),
    ] {
        check_latencies(plan, name, run, recorded)?;
    }
    let stats = pooled.pool().stats();
    if (stats.hits, stats.misses) != (3, 0) {
        return Err(format!(
            "pool of one: expected 3 hits and no miss over 3 sequential runs, got {stats:?}"
        ));
    }

    // Tasks on a two-worker runtime, several at once on one program.
    if case.multi_thread {
        bump(&cov.multi_thread, 1);
        let rt = multi_thread_runtime();
        let tasks: Vec<_> = (0..4)
            .map(|k| {
                let program = if k % 2 == 0 {
                    fresh.clone()
                } else {
                    pooled.clone()
                };
                let values = if k < 2 { &case.inputs[..] } else { alt };
                let inputs = resolve(&program, values);
                rt.spawn(async move { run_once(&program, &inputs?).await })
            })
            .collect();
        for (k, task) in tasks.into_iter().enumerate() {
            let got = rt
                .block_on(task)
                .map_err(|e| format!("task {k} failed: {e}"))??;
            let oracle = if k < 2 { &want } else { &want_alt };
            let label = format!(
                "{} program, task {k} on 2 workers",
                if k % 2 == 0 { "fresh" } else { "pool-of-1" }
            );
            compare(plan, &anc, ("reference", oracle), (&label, &got))?;
        }
    }

    bump(&cov.cases, 1);
    bump(&cov.nodes, plan.node_count());
    bump(&cov.successes, usize::from(want.success));
    bump(&cov.skipped, usize::from(want.skipped > 0));
    let has = |kind| {
        want.status
            .iter()
            .any(|s| matches!(s, St::Failed(f) if f.kind == kind))
    };
    bump(&cov.errors, usize::from(has(FailureKind::Error)));
    bump(&cov.panics, usize::from(has(FailureKind::Panic)));
    bump(&cov.async_cases, usize::from(fresh.has_async_modules()));
    Ok(())
}

/// A runner of `cases` cases; `PROPTEST_CASES` overrides the count for
/// longer hunts.
fn runner(cases: u32) -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    TestRunner::new(Config {
        cases,
        // No regression files in the source tree; a failure prints its case.
        failure_persistence: None,
        ..Config::default()
    })
}

#[test]
fn slot_runtime_matches_the_reference_executor() {
    quiet_module_panics();
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime");
    let cov = Coverage::default();
    let result = runner(48).run(&case(), |case| {
        check_case(&case, &current, &cov).map_err(TestCaseError::fail)
    });
    eprintln!(
        "differential: {} cases, {} nodes; reference: {} all-success, {} with errors, {} with panics, {} with skips; {} with async modules, {} also on 2 workers",
        cov.cases.get(),
        cov.nodes.get(),
        cov.successes.get(),
        cov.errors.get(),
        cov.panics.get(),
        cov.skipped.get(),
        cov.async_cases.get(),
        cov.multi_thread.get()
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Module nodes upstream of model node `n` (not `n` itself: the wire format
/// gives a data node one nickname per module, so a module cannot both
/// produce and read one node).
fn module_ancestors(m: &Model, n: usize) -> Vec<usize> {
    let mut seen = vec![false; m.nodes.len()];
    let mut stack: Vec<usize> = m.nodes[n]
        .inputs
        .iter()
        .filter_map(|&d| m.data[d].producer)
        .collect();
    while let Some(x) = stack.pop() {
        if std::mem::replace(&mut seen[x], true) {
            continue;
        }
        for &d in &m.nodes[x].inputs {
            if let Some(p) = m.data[d].producer {
                stack.push(p);
            }
        }
    }
    (0..m.nodes.len())
        .filter(|&x| seen[x] && matches!(m.nodes[x].op, Op::Module(_)))
        .collect()
}

fn check_back_edge(case: &Case, b_pick: Index, a_pick: Index, p_pick: Index) -> Result<(), String> {
    let (mut spec, model) = build(case);
    let registry = registry(case.params);
    Program::load(&spec, &registry, &RuntimeConfig::default())
        .map_err(|e| format!("the acyclic spec does not load: {e}"))?;

    // B: a module whose output is a data node and that has a module
    // upstream; A: one of those.
    let eligible: Vec<usize> = (0..model.nodes.len())
        .filter(|&n| {
            matches!(model.nodes[n].op, Op::Module(_))
                && model.nodes[n].outputs.iter().any(Option::is_some)
                && !module_ancestors(&model, n).is_empty()
        })
        .collect();
    if eligible.is_empty() {
        return Ok(());
    }
    let bn = eligible[b_pick.index(eligible.len())];
    let candidates = module_ancestors(&model, bn);
    let an = candidates[a_pick.index(candidates.len())];
    let Op::Module(kind) = model.nodes[an].op else {
        unreachable!("candidates are modules")
    };
    let param = ["a", "b"][p_pick.index(kind.arity())];
    let (a_uuid, b_uuid) = (model.nodes[an].uuid, model.nodes[bn].uuid);
    let b_out = model.data[model.nodes[bn]
        .outputs
        .iter()
        .flatten()
        .copied()
        .next()
        .expect("filtered")]
    .uuid;

    // A's parameter `param` now reads B's output.
    let edge = spec
        .in_edges
        .iter()
        .position(|(d, m)| {
            *m == a_uuid && spec.data[d].nicknames.get(m).map(String::as_str) == Some(param)
        })
        .ok_or_else(|| format!("no in-edge feeds `{param}` of module {a_uuid}"))?;
    let old = spec.in_edges[edge].0;
    spec.data.get_mut(&old).unwrap().nicknames.remove(&a_uuid);
    spec.data
        .get_mut(&b_out)
        .unwrap()
        .nicknames
        .insert(a_uuid, param.to_owned());
    spec.in_edges[edge].0 = b_out;

    let errors = match Program::load(&spec, &registry, &RuntimeConfig::default()) {
        Ok(_) => return Err("a spec with a back edge loaded".to_owned()),
        Err(LoadError::Bind(e)) => return Err(format!("a bind error instead of a cycle: {e}")),
        Err(LoadError::Compile(e)) => e,
    };
    let mut cycles = 0;
    for e in errors.errors() {
        match e {
            CompileError::Cycle { path } => {
                cycles += 1;
                let uuids: Vec<Uuid> = path.iter().map(|r| r.uuid).collect();
                if uuids.len() < 2 || uuids.first() != uuids.last() {
                    return Err(format!("a cycle path that does not close: {e}"));
                }
                if !uuids.contains(&a_uuid) || !uuids.contains(&b_uuid) {
                    return Err(format!(
                        "the cycle does not go through the back edge {b_uuid} -> {a_uuid}: {e}"
                    ));
                }
            }
            other => return Err(format!("an unexpected compile error: {other}")),
        }
    }
    if cycles == 0 {
        return Err(format!("no cycle reported: {errors}"));
    }
    Ok(())
}

#[test]
fn a_back_edge_is_reported_as_a_cycle() {
    let strategy = (case(), any::<Index>(), any::<Index>(), any::<Index>());
    let result = runner(48).run(&strategy, |(case, b, a, p)| {
        check_back_edge(&case, b, a, p).map_err(TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// A module that fails after writing some of its outputs (an error or a
/// panic after a write, too few outputs, a mistyped or extra output) leaves
/// none of them behind: `output` is `None` for a failed node, as the
/// reference executor says.
#[test]
fn a_failed_module_leaves_no_partial_outputs() {
    quiet_module_panics();
    let params = Params {
        k_fail: 6,
        k_panic: 7,
    };
    let registry = registry(params);
    let mut b = DagBuilder::seeded("partial", 1);
    let x = b.input("in0", CType::Int);
    for kind in [Kind::Split, Kind::AsyncSplit] {
        let m = b.module(kind.name());
        b.bind(x, m, "a");
        for field in kind.outputs() {
            let d = b.produce(m, *field, format!("{}.{field}", kind.name()), CType::Int);
            b.output(format!("{}.{field}", kind.name()), d);
        }
    }
    let spec = b.build();
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // 2 and 3: the error/too-few modes (r = 2, 3 mod 6); 9: the panic and
    // too-many modes (2 mod 7); 1: both modules succeed.
    for a in [2i64, 3, 9, 1] {
        for config in [
            RuntimeConfig::default(),
            RuntimeConfig::default().reference(),
        ] {
            let label = if config.state.mutable {
                "slot runtime"
            } else {
                "reference"
            };
            let program = Program::load(&spec, &registry, &config).unwrap();
            let inputs = resolve(&program, &[a]).unwrap();
            let outcome = current.block_on(run_once(&program, &inputs)).unwrap();
            for kind in [Kind::Split, Kind::AsyncSplit] {
                let want = kind.expect(params, &[a]).ok();
                for (i, field) in kind.outputs().iter().enumerate() {
                    let name = format!("{}.{field}", kind.name());
                    let got = &outcome.outputs.iter().find(|(n, _)| *n == name).unwrap().1;
                    let want = want.as_ref().map(|vs| vs[i].clone());
                    assert_eq!(*got, want, "{label}, a = {a}: output `{name}`");
                }
            }
        }
    }
}
