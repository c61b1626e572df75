use asterism_compiler::{CType, CValue, DagBuilder};
use asterism_runtime::{Module, NodeStatus, Program, Registry, RuntimeConfig};

#[test]
fn diamond_runs_and_failure_skips() {
    let mut reg = Registry::with_stdlib();
    reg.register(Module::sync(
        "boom",
        ["a"],
        "out",
        |a: i64| -> Result<i64, String> {
            if a > 0 {
                Err(format!("boom {a}"))
            } else {
                Ok(a)
            }
        },
    ));
    let mut b = DagBuilder::seeded("t", 1);
    let x = b.input("x", CType::Int);
    let y = b.input("y", CType::Int);
    let add = b.module("stdlib.add");
    b.bind(x, add, "a");
    b.bind(y, add, "b");
    let s = b.produce(add, "out", "s", CType::Int);
    let boom = b.module("boom");
    b.bind(x, boom, "a");
    let bo = b.produce(boom, "out", "bo", CType::Int);
    let mul = b.module("stdlib.multiply");
    b.bind(s, mul, "a");
    b.bind(bo, mul, "b");
    let p = b.produce(mul, "out", "p", CType::Int);
    b.output("s", s);
    b.output("p", p);
    let program = Program::load(&b.build(), &reg, &RuntimeConfig::default()).unwrap();
    let xi = program.input("x").unwrap();
    let yi = program.input("y").unwrap();
    let r = program
        .run_sync([(xi, CValue::Int(0)), (yi, CValue::Int(5))])
        .unwrap();
    assert!(r.is_success(), "{:?}", r.problems());
    assert_eq!(r.output_named("p"), Some(&CValue::Int(0)));
    drop(r);
    let r = program
        .run_sync([(xi, CValue::Int(2)), (yi, CValue::Int(5))])
        .unwrap();
    assert_eq!(r.output_named("s"), Some(&CValue::Int(7)));
    assert_eq!(r.output_named("p"), None);
    assert_eq!(r.failed_count(), 1);
    assert_eq!(r.skipped_count(), 1);
    let probs = r.problems();
    assert!(probs.iter().any(|p| p.contains("boom 2")), "{probs:?}");
    let (skipped, upstream) = r.skipped()[0];
    assert!(matches!(r.status(skipped), NodeStatus::Skipped { .. }));
    assert_eq!(r.plan().node_name(upstream), "boom");
    drop(r);
    let reference = Program::load(&b.build(), &reg, &RuntimeConfig::default().reference()).unwrap();
    let r = reference
        .run_sync([(xi, CValue::Int(2)), (yi, CValue::Int(5))])
        .unwrap();
    assert_eq!(r.output_named("s"), Some(&CValue::Int(7)));
    assert_eq!(r.failed_count(), 1);
    assert_eq!(r.skipped_count(), 1);
    let m = program.metrics();
    assert_eq!(m.executions_started, 2);
    assert_eq!(m.pool.hits, 2);
}
