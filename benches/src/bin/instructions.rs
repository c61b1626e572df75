//! Runs one contender on one workload `count` times, for instruction
//! counting under callgrind (`benches/callgrind.sh` runs it with count 0 and
//! with count N and divides the difference by N, so setup cancels out).
//!
//! `instructions CONTENDER WORKLOAD COUNT` with CONTENDER one of `floor`,
//! `asterism`, `asterism-nolatency`, `reference` (with `--features peers`
//! also `dag_exec`, `dag-flow`, `dagrs`, `async_dag`), and WORKLOAD one of
//! `chain50`, `layered50`.

use asterism_benches::contenders::{self, Contender, Runner};
use asterism_benches::workload::Graph;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage =
        "usage: instructions floor|asterism|asterism-nolatency|reference chain50|layered50 COUNT";
    if args.len() != 4 {
        eprintln!("{usage}");
        std::process::exit(1);
    }
    let contender: Box<dyn Contender> = match args[1].as_str() {
        "floor" => Box::new(contenders::FloorContender),
        "asterism" => contenders::builtin().remove(1),
        "asterism-nolatency" => contenders::builtin().remove(3),
        "reference" => contenders::builtin().remove(4),
        #[cfg(feature = "peers")]
        "dag_exec" => asterism_benches::peers::all().remove(0),
        #[cfg(feature = "peers")]
        "dag-flow" => asterism_benches::peers::all().remove(1),
        #[cfg(feature = "peers")]
        "dagrs" => asterism_benches::peers::all().remove(2),
        #[cfg(feature = "peers")]
        "async_dag" => asterism_benches::peers::all().remove(3),
        other => {
            eprintln!("unknown contender `{other}`; {usage}");
            std::process::exit(1);
        }
    };
    let graph = match args[2].as_str() {
        "chain50" => Graph::chain(50),
        "layered50" => Graph::layered(50),
        other => {
            eprintln!("unknown workload `{other}`; {usage}");
            std::process::exit(1);
        }
    };
    let Ok(count) = args[3].parse::<u64>() else {
        eprintln!("COUNT must be a whole number; {usage}");
        std::process::exit(1);
    };
    let mut runner: Box<dyn Runner> = contender.prepare(&graph).unwrap_or_else(|e| {
        eprintln!("cannot prepare: {e}");
        std::process::exit(1);
    });
    // One warm-up run, also for count 0, so lazy setup is in both counts.
    let mut acc = runner.run(-1);
    for i in 0..count {
        acc ^= runner.run(i as i64);
    }
    std::hint::black_box(acc);
}
