//! Workloads shared by asterism's benchmarks.
//!
//! Each generator builds a [`DagSpec`] in the original's format, with UUIDs
//! from a fixed seed so that every run (and every benchmark) measures the same
//! graph. Build specs outside the timed loop; these functions hash and
//! allocate freely.

#![warn(missing_docs)]

pub mod contenders;
pub mod measure;
#[cfg(feature = "peers")]
pub mod peers;
pub mod pending;
pub mod pending_measure;
pub mod pending_report;
pub mod workload;

use asterism_compiler::{CType, DagBuilder, DagSpec, DataKey, ModuleSignature, Signatures};

/// The seed of every generated spec's UUIDs.
const SEED: u64 = 0x5eed_a57e_0001;

/// The one module the layered specs call: `stdlib.add(a: Int, b: Int) ->
/// (out: Int)`.
///
/// The specs name it `layered.add`, so compiling them also resolves each
/// module name by its short name, as the original's prefixed names require.
pub fn add_signatures() -> Signatures {
    [ModuleSignature::new(
        "stdlib.add",
        [("a", CType::Int), ("b", CType::Int)],
        [("out", CType::Int)],
    )]
    .into_iter()
    .collect()
}

/// A layered spec of `modules` calls of a two-parameter `Int` module (see
/// [`add_signatures`]), `width` calls per layer.
///
/// Layer 0 is `width` user inputs `in0 .. in{width-1}`. Module `j` of layer
/// `k` reads nodes `j` (as `a`) and `(j + 1) % width` (as `b`) of layer
/// `k - 1`, so every node of a full layer is read twice and the graph has
/// `modules * 2` in-edges. The last layer holds what is left (`modules %
/// width` calls, when that is not zero). Every node nothing reads is bound as
/// an output, so the spec compiles; its depth is `modules.div_ceil(width)`.
///
/// # Panics
/// If `width < 2`: a module cannot read one data node as both parameters.
pub fn layered_spec(modules: usize, width: usize) -> DagSpec {
    assert!(width >= 2, "a layer needs at least two nodes, got {width}");
    let mut b = DagBuilder::seeded(format!("layered-{modules}x{width}"), SEED);
    let mut prev: Vec<DataKey> = (0..width)
        .map(|i| b.input(format!("in{i}"), CType::Int))
        .collect();
    let mut read = vec![false; prev.len()];
    let mut built = 0;
    let mut layer = 1;
    while built < modules {
        let calls = width.min(modules - built);
        let mut next = Vec::with_capacity(calls);
        for j in 0..calls {
            let m = b.module("layered.add");
            let (left, right) = (j, (j + 1) % width);
            b.bind(prev[left], m, "a");
            b.bind(prev[right], m, "b");
            read[left] = true;
            read[right] = true;
            next.push(b.produce(m, "out", format!("l{layer}.{j}"), CType::Int));
        }
        bind_unread(&mut b, layer - 1, &prev, &read);
        read = vec![false; next.len()];
        prev = next;
        built += calls;
        layer += 1;
    }
    bind_unread(&mut b, layer - 1, &prev, &read);
    b.build()
}

/// Binds each node of `nodes` (layer `layer`) that nothing reads as an output.
fn bind_unread(b: &mut DagBuilder, layer: usize, nodes: &[DataKey], read: &[bool]) {
    for (j, (&node, &was_read)) in nodes.iter().zip(read).enumerate() {
        if !was_read {
            b.output(format!("l{layer}.{j}"), node);
        }
    }
}
