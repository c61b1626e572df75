//! The report's section on pending-async workloads: asterism against the
//! hand-written tokio floor ([`crate::pending`]), one execution at a time
//! and 1,000 in flight, on a current-thread and a 2-worker runtime.

use std::time::Duration;

use asterism_runtime::RuntimeConfig;
use tokio::runtime::Runtime;

use crate::measure::{human, AllocReader, Budget};
use crate::pending::{hand_floor, AsterismPending, Completer, Wait};
use crate::pending_measure::{in_flight, one_at_a_time, InFlight, PendingStats};
use crate::workload::Graph;

/// The figures the report's summary quotes.
#[derive(Clone, Debug, Default)]
pub struct Headline {
    /// The worst asterism p50 / floor p50 over one-at-a-time rows, and where.
    pub worst_vs_floor: Option<(f64, String)>,
    /// The most polls per waiting module, and where.
    pub worst_polls: Option<(f64, String)>,
    /// The most driver wake-ups per waiting module, and where.
    pub worst_wakeups: Option<(f64, String)>,
    /// The fewest allocations per execution of asterism, one at a time.
    pub max_allocs: Option<(f64, String)>,
    /// 1,000 in flight, 2 workers / current thread, asterism with the pool
    /// sized for them, per shape.
    pub scaling: Vec<(String, f64)>,
}

fn runtime(workers: usize) -> Runtime {
    let mut b = if workers == 0 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(workers);
        b
    };
    b.enable_all().build().expect("runtime")
}

fn worse(slot: &mut Option<(f64, String)>, v: f64, at: &str) {
    if slot.as_ref().is_none_or(|(w, _)| v > *w) {
        *slot = Some((v, at.to_owned()));
    }
}

fn row(line: &mut dyn FnMut(String), cells: &[&str], s: &PendingStats, vs: Option<f64>) {
    line(format!(
        "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.1} | {:.0} | {} |",
        cells.join(" | "),
        human(s.p50),
        if s.p99 == 0 { "".into() } else { human(s.p99) },
        s.per_sec,
        s.polls_per_module,
        s.wakeups_per_module,
        s.allocs,
        s.bytes,
        vs.map_or(String::new(), |v| format!("{v:.2}x")),
    ));
}

type Shape = (&'static str, fn(usize) -> Graph);

/// The in-flight contender whose pool holds a state per execution in
/// flight.
const POOL_SIZED: &str = "asterism (pool size 1,024)";

const SHAPES: [Shape; 3] = [
    ("chain", Graph::chain),
    ("fan-out/in", Graph::fan_out_in),
    ("layered w5", Graph::layered),
];

/// Writes the section through `line`; returns the summary's figures.
pub fn section(quick: bool, allocs: AllocReader, line: &mut dyn FnMut(String)) -> Headline {
    let mut h = Headline::default();
    let config = RuntimeConfig::default();
    let pool_for_in_flight = RuntimeConfig::default().with_pool_size(1_024);
    line("Every module's future is pending when first polled: it leaves the driving task's waker with a completer task (woken by a `Notify`, it completes everything queued so far in one batch), so no timer is involved. The fan-in `sum` is a sync module. `floor (hand tokio)` drives the same futures by hand: levels in topological order, each level's futures joined by hand (`join!`-style), a level of one simply awaited. Polls and wake-ups are per waiting module; wake-ups are the driving task's polls after its first.".into());
    line(String::new());
    line("| runtime | workload | contender | p50 | p99 | exec/s | polls / module | driver wake-ups / module | allocs/exec | bytes/exec | p50 vs floor |".into());
    line("|---|---|---|---|---|---|---|---|---|---|---|".into());
    let one = |modules: usize| {
        let warmup = (2_000 / modules).clamp(3, 50);
        if quick {
            Budget {
                warmup,
                max_iters: 100_000,
                time: Duration::from_millis(30),
                min_iters: 5,
            }
        } else {
            Budget {
                warmup,
                max_iters: 1_000_000,
                time: Duration::from_millis(300),
                min_iters: 20,
            }
        }
    };
    let mut flights: Vec<(String, String, String, PendingStats, Option<f64>)> = Vec::new();
    let mut per_shape_rate: Vec<(String, usize, f64)> = Vec::new();
    for (rt_name, workers) in [("current thread", 0), ("2 workers", 2)] {
        let rt = runtime(workers);
        let completer = Completer::leak();
        rt.spawn(completer.serve());
        let wait = Wait::Completer(completer);
        for (shape, make) in SHAPES {
            for n in [5, 50, 1_000] {
                let g = make(n);
                let label = format!("{shape} {}", g.modules());
                let floor = one_at_a_time(&rt, hand_floor(&g, wait), &g, one(n), allocs);
                let ours = AsterismPending::new(&g, wait, &config)
                    .and_then(|a| one_at_a_time(&rt, a, &g, one(n), allocs));
                let fp50 = floor.as_ref().ok().map(|f| f.p50 as f64);
                for (name, res) in [("floor (hand tokio)", &floor), ("asterism", &ours)] {
                    match res {
                        Ok(s) => {
                            let vs = fp50.map(|f| s.p50 as f64 / f);
                            row(line, &[rt_name, &label, name], s, vs);
                            if name == "asterism" {
                                let at = format!("{label}, {rt_name}");
                                if let Some(v) = vs {
                                    worse(&mut h.worst_vs_floor, v, &at);
                                }
                                worse(&mut h.worst_polls, s.polls_per_module, &at);
                                worse(&mut h.worst_wakeups, s.wakeups_per_module, &at);
                                worse(&mut h.max_allocs, s.allocs, &at);
                            }
                        }
                        Err(e) => line(format!(
                            "| {rt_name} | {label} | {name} — n/a: {e} | | | | | | | | |"
                        )),
                    }
                }
                let load = InFlight {
                    tasks: 1_000,
                    per_task: if n >= 1_000 { 1 } else { 4 },
                    rounds: if quick { 1 } else { 5 },
                };
                let floor = in_flight(&rt, || hand_floor(&g, wait), &g, load, allocs);
                let ours = AsterismPending::new(&g, wait, &config)
                    .and_then(|a| in_flight(&rt, || a.clone(), &g, load, allocs));
                // The pool sized for what is in flight: every execution
                // finds a built state (the default pool holds fewer).
                let sized = AsterismPending::new(&g, wait, &pool_for_in_flight)
                    .and_then(|a| in_flight(&rt, || a.clone(), &g, load, allocs));
                let fp50 = floor.as_ref().ok().map(|f| f.p50 as f64);
                for (name, res) in [
                    ("floor (hand tokio)", floor),
                    ("asterism", ours),
                    (POOL_SIZED, sized),
                ] {
                    match res {
                        Ok(s) => {
                            if name == POOL_SIZED {
                                per_shape_rate.push((label.clone(), workers, s.per_sec));
                            }
                            let vs = fp50.map(|f| s.p50 as f64 / f);
                            flights.push((rt_name.into(), label.clone(), name.into(), s, vs));
                        }
                        Err(e) => line(format!("| {rt_name} | {label}, 1,000 in flight | {name} — n/a: {e} | | | | | | | | |")),
                    }
                }
            }
        }
    }
    line(String::new());
    line(format!("1,000 executions in flight (1,000 tasks, each running its executions one after another: 4 each, 1 at 1,000 modules); p50 is the median round's wall time, allocations include the task spawns. `asterism` has the default pool, which holds fewer states than there are executions in flight, so the others build theirs; `{POOL_SIZED}` holds one per execution in flight:"));
    line(String::new());
    line("| runtime | workload | contender | wall | | exec/s | polls / module | driver wake-ups / module | allocs/exec | bytes/exec | wall vs floor |".into());
    line("|---|---|---|---|---|---|---|---|---|---|---|".into());
    for (rt_name, label, name, s, vs) in &flights {
        row(line, &[rt_name, label, name], s, *vs);
    }
    line(String::new());
    for (label, workers, rate) in &per_shape_rate {
        if *workers == 2 {
            if let Some((_, _, one)) = per_shape_rate
                .iter()
                .find(|(l, w, _)| l == label && *w == 0)
            {
                h.scaling.push((label.clone(), rate / one));
            }
        }
    }
    if !h.scaling.is_empty() {
        line(format!(
            "{POOL_SIZED}, 1,000 in flight, 2 workers / current thread (exec/s): {}.",
            h.scaling
                .iter()
                .map(|(l, r)| format!("{l} {r:.2}x"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        line(String::new());
    }
    timer_rows(quick, allocs, line, &config);
    h
}

/// The same shapes at 5 and 50 modules, each module sleeping on tokio's
/// timer; one execution at a time.
fn timer_rows(
    quick: bool,
    allocs: AllocReader,
    line: &mut dyn FnMut(String),
    config: &RuntimeConfig,
) {
    line("Modules waiting on tokio's timer (`sleep(100 µs)`, rounded up by the timer's 1 ms wheel), one execution at a time:".into());
    line(String::new());
    line("| runtime | workload | contender | p50 | p99 | exec/s | polls / module | driver wake-ups / module | allocs/exec | bytes/exec | p50 vs floor |".into());
    line("|---|---|---|---|---|---|---|---|---|---|---|".into());
    let wait = Wait::Timer(Duration::from_micros(100));
    let budget = Budget {
        warmup: 2,
        max_iters: 10_000,
        time: Duration::from_millis(if quick { 60 } else { 500 }),
        min_iters: if quick { 3 } else { 10 },
    };
    for (rt_name, workers) in [("current thread", 0), ("2 workers", 2)] {
        let rt = runtime(workers);
        for (shape, make) in SHAPES {
            for n in [5, 50] {
                let g = make(n);
                let label = format!("{shape} {}", g.modules());
                let floor = one_at_a_time(&rt, hand_floor(&g, wait), &g, budget, allocs);
                let ours = AsterismPending::new(&g, wait, config)
                    .and_then(|a| one_at_a_time(&rt, a, &g, budget, allocs));
                let fp50 = floor.as_ref().ok().map(|f| f.p50 as f64);
                for (name, res) in [("floor (hand tokio)", floor), ("asterism", ours)] {
                    match res {
                        Ok(s) => row(
                            line,
                            &[rt_name, &label, name],
                            &s,
                            fp50.map(|f| s.p50 as f64 / f),
                        ),
                        Err(e) => line(format!(
                            "| {rt_name} | {label} | {name} — n/a: {e} | | | | | | | | |"
                        )),
                    }
                }
            }
        }
    }
    line(String::new());
}
