//! Runs one contender on one workload `count` times, for instruction
//! counting under callgrind (`benches/callgrind.sh` counts inside
//! `measured` only and divides by the count).
//!
//! `instructions CONTENDER WORKLOAD COUNT` with CONTENDER one of `floor`,
//! `asterism` (the default: latencies sampled in one execution of 64),
//! `asterism-nolatency`, `asterism-every` (latencies recorded in every
//! execution), `asterism-tokio` (sync modules driven
//! by `Program::run` on a current-thread runtime), `asterism-async` (async
//! modules whose futures are ready at once, driven the same way),
//! `asterism-tokio-every` and `asterism-async-every` (those two recording
//! every execution's latencies),
//! `reference` (with `--features peers` also `dag_exec`, `dag-flow`,
//! `dagrs`, `async_dag`), `pending-floor` and `asterism-pending` (modules
//! pending on first poll, completed by a completer task: the hand-written
//! tokio floor and asterism, on a current-thread runtime, see
//! `asterism_benches::pending`), and WORKLOAD one of `chainN`, `fanN` or
//! `layeredN` (`chain1`, `chain5`, `chain50`, `layered50`, ...).
//! The options rows, `options-retry`, `options-permit`, `options-cache`,
//! put one option on every module of the workload (latencies off: compare
//! with `asterism-nolatency`).

use asterism_benches::contenders::{self, Asterism, Contender, Drive, Runner};
use asterism_benches::pending::{self, Completer, PendingRunner, Wait};
use asterism_benches::workload::Graph;
use asterism_runtime::RuntimeConfig;

/// A pending-async runner driven by `block_on` on a current-thread
/// runtime whose completer task runs beside it.
struct Pending<R> {
    rt: tokio::runtime::Runtime,
    runner: R,
}

impl<R: PendingRunner> Runner for Pending<R> {
    fn run(&mut self, seed: i64) -> u64 {
        self.rt.block_on(self.runner.run(seed))
    }
}

/// Prepares a pending-async contender (`floor` or asterism) on `graph`.
fn pending_runner(graph: &Graph, floor: bool) -> Result<Box<dyn Runner>, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let completer = Completer::leak();
    rt.spawn(completer.serve());
    let wait = Wait::Completer(completer);
    Ok(if floor {
        Box::new(Pending {
            rt,
            runner: pending::hand_floor(graph, wait),
        })
    } else {
        Box::new(Pending {
            rt,
            runner: pending::AsterismPending::new(graph, wait, &RuntimeConfig::default())?,
        })
    })
}
use asterism_compiler::ModuleCallOptions;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: instructions floor|asterism|asterism-nolatency|asterism-every|asterism-tokio|asterism-async|asterism-tokio-every|asterism-async-every|reference|pending-floor|asterism-pending chainN|fanN|layeredN COUNT";
    if args.len() != 4 {
        eprintln!("{usage}");
        std::process::exit(1);
    }
    let pending = matches!(args[1].as_str(), "pending-floor" | "asterism-pending");
    let graph_of = |w: &str| {
        let sized = |prefix: &str| {
            w.strip_prefix(prefix)
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|&n| n > 0)
        };
        sized("chain")
            .map(Graph::chain)
            .or_else(|| sized("layered").map(Graph::layered))
    };
    let options_graph = graph_of(&args[2]);
    let with = |label: &'static str, o: ModuleCallOptions| -> Box<dyn Contender> {
        match &options_graph {
            Some(g) => Box::new(Asterism::with_options(label, g, o)),
            None => Box::new(contenders::FloorContender),
        }
    };
    let contender: Box<dyn Contender> = match args[1].as_str() {
        "pending-floor" | "asterism-pending" => Box::new(contenders::FloorContender),
        // The options rows: every module of the workload with one option,
        // latencies off; compare with `asterism-nolatency`.
        "options-retry" => with(
            "retry: 1 (succeeds at once)",
            ModuleCallOptions {
                retry: Some(1),
                ..Default::default()
            },
        ),
        "options-permit" => with(
            "concurrency: 64 (a permit, never waits)",
            ModuleCallOptions {
                concurrency: Some(64),
                ..Default::default()
            },
        ),
        "options-cache" => {
            let mut c = with(
                "cache: 60 s (every call a hit)",
                ModuleCallOptions {
                    cache_ms: Some(60_000),
                    ..Default::default()
                },
            );
            if let Some(g) = &options_graph {
                c = Box::new(Asterism {
                    fixed_inputs: true,
                    ..Asterism::with_options(
                        "cache: 60 s (every call a hit)",
                        g,
                        ModuleCallOptions {
                            cache_ms: Some(60_000),
                            ..Default::default()
                        },
                    )
                });
            }
            c
        }
        "floor" => Box::new(contenders::FloorContender),
        "asterism" => contenders::builtin().remove(1),
        "asterism-nolatency" => contenders::builtin().remove(3),
        "reference" => contenders::builtin().remove(4),
        "asterism-every" => contenders::builtin().remove(5),
        "asterism-tokio" => Box::new(Asterism {
            drive: Drive::Tokio,
            ..Asterism::pooled()
        }),
        "asterism-async" => Box::new(Asterism {
            async_modules: true,
            drive: Drive::Tokio,
            ..Asterism::pooled()
        }),
        // The two above with every execution's latencies recorded (the
        // default before sampling), to compare with older figures.
        "asterism-tokio-every" => Box::new(Asterism {
            drive: Drive::Tokio,
            config: asterism_runtime::RuntimeConfig::default().with_latency_every_execution(),
            ..Asterism::pooled()
        }),
        "asterism-async-every" => Box::new(Asterism {
            async_modules: true,
            drive: Drive::Tokio,
            config: asterism_runtime::RuntimeConfig::default().with_latency_every_execution(),
            ..Asterism::pooled()
        }),
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
    let sized = |prefix: &str| {
        args[2]
            .strip_prefix(prefix)
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|&n| n > 0)
    };
    let graph = if let Some(n) = sized("chain") {
        Graph::chain(n)
    } else if let Some(n) = sized("fan") {
        Graph::fan_out_in(n)
    } else if let Some(n) = sized("layered") {
        Graph::layered(n)
    } else {
        eprintln!("unknown workload `{}`; {usage}", args[2]);
        std::process::exit(1);
    };
    let Ok(count) = args[3].parse::<u64>() else {
        eprintln!("COUNT must be a whole number; {usage}");
        std::process::exit(1);
    };
    let prepared = if pending {
        pending_runner(&graph, args[1] == "pending-floor")
    } else {
        contender.prepare(&graph)
    };
    let mut runner: Box<dyn Runner> = prepared.unwrap_or_else(|e| {
        eprintln!("cannot prepare: {e}");
        std::process::exit(1);
    });
    // One warm-up run, so lazy setup is not counted.
    let acc = runner.run(-1);
    let polls = pending::polls();
    std::hint::black_box(acc ^ measured(runner.as_mut(), count));
    if pending {
        eprintln!(
            "module futures polled {:.2} times per execution",
            (pending::polls() - polls) as f64 / count.max(1) as f64
        );
    }
}

/// The counted part: `benches/callgrind.sh` collects inside this function
/// only (`--toggle-collect`), so setup, calibration and teardown, whose
/// instruction counts can vary, stay out of the figure.
#[inline(never)]
fn measured(runner: &mut dyn Runner, count: u64) -> u64 {
    let mut acc = 0;
    for i in 0..count {
        acc ^= runner.run(i as i64);
    }
    acc
}
