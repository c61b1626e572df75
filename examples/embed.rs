//! Embedding asterism in a service: register typed modules, build (or load)
//! a pipeline once, resolve input and output handles once, then run it many
//! times, from many tasks at once.
//!
//! `cargo run --release --example embed`

use std::time::Instant;

use asterism::{CType, CValue, DagBuilder, Module, Program, Registry, RuntimeConfig};

/// A scoring pipeline: `score = clamp(price * qty - discount)`, plus an
/// async "lookup" that stands in for a call to another service.
fn build_pipeline() -> asterism::DagSpec {
    let mut b = DagBuilder::new("scoring");
    let price = b.input("price", CType::Int);
    let qty = b.input("qty", CType::Int);
    let discount = b.input("discount", CType::Int);

    let gross = b.module("stdlib.multiply");
    b.bind(price, gross, "a");
    b.bind(qty, gross, "b");
    let gross_v = b.produce(gross, "out", "gross", CType::Int);

    let net = b.module("stdlib.subtract");
    b.bind(gross_v, net, "a");
    b.bind(discount, net, "b");
    let net_v = b.produce(net, "out", "net", CType::Int);

    let clamp = b.module("shop.clamp");
    b.bind(net_v, clamp, "value");
    let score = b.produce(clamp, "out", "score", CType::Int);

    let tier = b.module("shop.tier");
    b.bind(score, tier, "score");
    let tier_v = b.produce(tier, "out", "tier", CType::String);

    b.output("score", score);
    b.output("tier", tier_v);
    b.build()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. Modules are ordinary Rust functions; signatures follow from types.
    let mut registry = Registry::with_stdlib();
    registry.register(Module::sync("shop.clamp", ["value"], "out", |v: i64| {
        v.clamp(0, 1_000)
    }));
    registry.register(Module::asynchronous(
        "shop.tier",
        ["score"],
        "out",
        |score: i64| async move {
            // Stand-in for an I/O call; runs concurrently with other async modules.
            tokio::task::yield_now().await;
            if score >= 500 { "gold" } else { "standard" }.to_owned()
        },
    ));

    // 2. Compile and bind once (this is where names and UUIDs are hashed).
    let program = Program::load(&build_pipeline(), &registry, &RuntimeConfig::default())?;
    let (price, qty, discount) = (
        program.input("price").expect("declared"),
        program.input("qty").expect("declared"),
        program.input("discount").expect("declared"),
    );
    let (score, tier) = (
        program.output("score").expect("declared"),
        program.output("tier").expect("declared"),
    );

    // 3. One execution, read without copying.
    let result = program
        .run([
            (price, CValue::Int(120)),
            (qty, CValue::Int(5)),
            (discount, CValue::Int(30)),
        ])
        .await?;
    println!(
        "score = {:?}, tier = {:?}",
        result.output(score),
        result.output(tier)
    );
    drop(result); // the state goes back to the pool

    // 4. Many executions from many tasks, sharing the program and its pool.
    let started = Instant::now();
    let tasks: Vec<_> = (0..8)
        .map(|task| {
            let program = program.clone();
            tokio::spawn(async move {
                let mut checksum = 0i64;
                for i in 0..10_000i64 {
                    let r = program
                        .run([
                            (price, CValue::Int(i % 300)),
                            (qty, CValue::Int(task + 1)),
                            (discount, CValue::Int(7)),
                        ])
                        .await
                        .expect("valid inputs");
                    checksum += r.output(score).and_then(CValue::as_int).unwrap_or(-1);
                }
                checksum
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await?;
    }
    let elapsed = started.elapsed();
    let m = program.metrics();
    println!(
        "80000 executions in {:.1} ms ({:.2} us each, checksum {total})",
        elapsed.as_secs_f64() * 1e3,
        elapsed.as_secs_f64() * 1e6 / 80_000.0
    );
    println!(
        "executions: {} ok, {} failed; pool: {} hits, {} misses, {} returns, {} drops",
        m.executions_succeeded,
        m.executions_failed,
        m.pool.hits,
        m.pool.misses,
        m.pool.returns,
        m.pool.drops
    );
    Ok(())
}
