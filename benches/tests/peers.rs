//! Every peer computes the floor's outputs on every shape it accepts, and
//! accepts at least one shape.

#![cfg(feature = "peers")]

use asterism_benches::contenders::expected;
use asterism_benches::peers;
use asterism_benches::workload::Graph;

#[test]
fn peers_match_the_floor() {
    let shapes = [
        ("chain(20)", Graph::chain(20)),
        ("layered(50)", Graph::layered(50)),
        ("fan_out_in(20)", Graph::fan_out_in(20)),
        ("diamonds(31)", Graph::diamonds(31)),
        ("text_chain(10)", Graph::text_chain(10)),
    ];
    let all = peers::all();
    assert!(!all.is_empty(), "no peers");
    for peer in all {
        let mut supported = 0;
        for (shape, graph) in &shapes {
            let mut runner = match peer.prepare(graph) {
                Ok(runner) => runner,
                Err(why) => {
                    eprintln!("{}: {shape} not supported: {why}", peer.name());
                    continue;
                }
            };
            supported += 1;
            for seed in 0..20 {
                assert_eq!(
                    runner.run(seed),
                    expected(graph, seed),
                    "{} on {shape}, seed {seed}",
                    peer.name()
                );
            }
        }
        assert!(supported > 0, "{} supports no shape", peer.name());
    }
}
