//! Pending-async workloads: every module's future is pending when first
//! polled and completes later, as a service's calls do (an RPC, a query).
//!
//! Two ways to wait, each a [`Wait`]:
//! - [`Wait::Completer`]: the future takes a ticket and leaves the driving
//!   task's waker with a [`Completer`], a separate tokio task that wakes
//!   everything queued so far in one batch (woken itself through a
//!   `Notify`); no timer is involved, so what is measured is the executor
//!   and the runtime. Allocation-free once its queues have grown.
//! - [`Wait::Timer`]: the future sleeps on tokio's timer (whose 1 ms wheel
//!   rounds every sleep up to the next tick).
//!
//! The same module futures run under asterism (typed async modules) and
//! under [`HandFloor`], a hand-written tokio driver: nodes grouped into
//! levels (a node's level is one more than its deepest argument's), each
//! level's futures joined by hand (`join!`-style: every unfinished future is
//! polled when the driving task wakes), a level of one future simply
//! awaited. That is what a careful engineer would write for these shapes
//! without a framework.
//!
//! Counters ([`polls`], [`counting_driver`]): polls of module futures, and
//! polls of the driving future (its first poll plus one per wake-up).

use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use asterism_compiler::{CValue, InputIx, OutputIx};
use asterism_runtime::{Module, Program, Registry, RuntimeConfig};
use tokio::sync::Notify;

use crate::contenders::int_inputs;
use crate::workload::{fingerprint_ints, Graph, Op};

/// Polls of module futures (every [`Wait`] future), process-wide.
static POLLS: AtomicU64 = AtomicU64::new(0);

/// Polls of module futures so far, process-wide.
pub fn polls() -> u64 {
    POLLS.load(Ordering::Relaxed)
}

/// A task that completes waiting futures in batches: a future queues its
/// waker and takes a ticket; the completer, woken by a `Notify`, marks
/// every ticket queued so far complete and wakes their wakers.
pub struct Completer {
    queue: Mutex<Queue>,
    /// Tickets below this are complete.
    completed: AtomicU64,
    notify: Notify,
}

struct Queue {
    next: u64,
    wakers: Vec<Waker>,
}

impl Completer {
    /// A completer for the process's lifetime; start its task with
    /// [`Completer::serve`] on the runtime that runs the waiting futures.
    pub fn leak() -> &'static Completer {
        Box::leak(Box::new(Completer {
            queue: Mutex::new(Queue {
                next: 0,
                wakers: Vec::with_capacity(4096),
            }),
            completed: AtomicU64::new(0),
            notify: Notify::new(),
        }))
    }

    /// The completer's task: forever, wait to be notified, then complete
    /// and wake every queued future.
    pub async fn serve(&'static self) {
        let mut batch: Vec<Waker> = Vec::with_capacity(4096);
        loop {
            self.notify.notified().await;
            {
                let mut q = self.queue.lock().expect("completer queue");
                std::mem::swap(&mut q.wakers, &mut batch);
                self.completed.store(q.next, Ordering::Release);
            }
            for w in batch.drain(..) {
                w.wake();
            }
        }
    }

    fn enqueue(&self, waker: &Waker) -> u64 {
        let ticket = {
            let mut q = self.queue.lock().expect("completer queue");
            let t = q.next;
            q.next += 1;
            q.wakers.push(waker.clone());
            t
        };
        self.notify.notify_one();
        ticket
    }
}

/// A module future pending on its first poll, ready with `value` once the
/// completer has passed its ticket. (A poll before that, with the same
/// task's waker, stays pending: the waker queued first still wakes it.)
pub struct Ticketed {
    completer: &'static Completer,
    ticket: Option<u64>,
    value: i64,
}

impl Future for Ticketed {
    type Output = i64;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<i64> {
        POLLS.fetch_add(1, Ordering::Relaxed);
        match self.ticket {
            None => {
                self.ticket = Some(self.completer.enqueue(cx.waker()));
                Poll::Pending
            }
            Some(t) if self.completer.completed.load(Ordering::Acquire) > t => {
                Poll::Ready(self.value)
            }
            Some(_) => Poll::Pending,
        }
    }
}

/// How the modules of a pending workload wait.
#[derive(Clone, Copy)]
pub enum Wait {
    /// On a [`Completer`] task.
    Completer(&'static Completer),
    /// On tokio's timer, this long.
    Timer(Duration),
}

/// One module's future: waits as `wait` says, then returns `value`.
pub async fn module_future(wait: Wait, value: i64) -> i64 {
    match wait {
        Wait::Completer(c) => {
            Ticketed {
                completer: c,
                ticket: None,
                value,
            }
            .await
        }
        Wait::Timer(d) => {
            let mut sleep = pin!(tokio::time::sleep(d));
            poll_fn(|cx| {
                POLLS.fetch_add(1, Ordering::Relaxed);
                sleep.as_mut().poll(cx)
            })
            .await;
            value
        }
    }
}

/// The graph's modules as typed async modules that wait as `wait` says
/// (its `sum` nodes stay sync: the fan-in point does no I/O).
pub fn registry(graph: &Graph, wait: Wait) -> Registry {
    let mut r = graph.registry(false);
    r.register(Module::asynchronous(
        "b.inc",
        ["a"],
        "out",
        move |a: i64| module_future(wait, a.wrapping_add(1)),
    ));
    r.register(Module::asynchronous(
        "b.add",
        ["a", "b"],
        "out",
        move |a: i64, b: i64| module_future(wait, a.wrapping_add(b)),
    ));
    r
}

/// The modules of `graph` that wait (every node but the sync `sum`s).
pub fn waiting_modules(graph: &Graph) -> usize {
    graph.nodes.iter().filter(|n| n.op != Op::Sum).count()
}

/// Polls of driving futures wrapped by [`CountingDriver`], process-wide.
static DRIVER_POLLS: AtomicU64 = AtomicU64::new(0);

/// Polls of driving futures so far, process-wide.
pub fn driver_polls() -> u64 {
    DRIVER_POLLS.load(Ordering::Relaxed)
}

/// Runs `fut`, counting its polls: one, plus one per wake-up of the task
/// driving it.
pub async fn counting_driver<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    poll_fn(|cx| {
        DRIVER_POLLS.fetch_add(1, Ordering::Relaxed);
        fut.as_mut().poll(cx)
    })
    .await
}

/// One execution of a pending workload, by one contender.
pub trait PendingRunner: Send + 'static {
    /// Runs execution `seed` and fingerprints its outputs.
    fn run(&mut self, seed: i64) -> impl Future<Output = u64> + Send + '_;
}

/// asterism: the program, its inputs and outputs.
pub struct AsterismPending {
    program: Program,
    inputs: [InputIx; 2],
    outputs: Vec<OutputIx>,
}

impl AsterismPending {
    /// Loads `graph` with modules that wait as `wait` says.
    pub fn new(graph: &Graph, wait: Wait, config: &RuntimeConfig) -> Result<Self, String> {
        let program = Program::load(&graph.spec("pending"), &registry(graph, wait), config)
            .map_err(|e| e.to_string())?;
        let inputs = [
            program.input("x").ok_or("no input x")?,
            program.input("y").ok_or("no input y")?,
        ];
        let outputs = (0..graph.outputs.len())
            .map(|k| program.output(&format!("o{k}")).ok_or("missing output"))
            .collect::<Result<_, _>>()?;
        Ok(AsterismPending {
            program,
            inputs,
            outputs,
        })
    }
}

impl Clone for AsterismPending {
    fn clone(&self) -> Self {
        AsterismPending {
            program: self.program.clone(),
            inputs: self.inputs,
            outputs: self.outputs.clone(),
        }
    }
}

impl PendingRunner for AsterismPending {
    async fn run(&mut self, seed: i64) -> u64 {
        let (x, y) = int_inputs(seed);
        let r = self
            .program
            .run([
                (self.inputs[0], CValue::Int(x)),
                (self.inputs[1], CValue::Int(y)),
            ])
            .await
            .expect("valid inputs");
        fingerprint_ints(
            self.outputs
                .iter()
                .map(|o| r.output(*o).and_then(CValue::as_int).unwrap_or(i64::MIN)),
        )
    }
}

/// The hand-written tokio floor: levels joined by hand (see the module
/// docs), values in a reused `Vec`, futures in a reused `Vec`.
pub struct HandFloor<F> {
    wait: Wait,
    make: fn(Wait, i64) -> F,
    /// Nodes in level order.
    order: Vec<u32>,
    /// Where each level starts in `order` (and one past the end).
    level_start: Vec<u32>,
    ops: Vec<Op>,
    args: Vec<Vec<u32>>,
    inputs: usize,
    outputs: Vec<u32>,
    vals: Vec<i64>,
    /// The level's futures and the value each writes.
    futs: Vec<F>,
    targets: Vec<u32>,
    done: Vec<bool>,
}

/// Builds the hand floor for `graph` with modules that wait as `wait` says.
pub fn hand_floor(
    graph: &Graph,
    wait: Wait,
) -> FloorRunner<impl Future<Output = i64> + Send + 'static> {
    FloorRunner(HandFloor::build(graph, wait, module_future))
}

impl<F: Future<Output = i64> + Send> HandFloor<F> {
    fn build(g: &Graph, wait: Wait, make: fn(Wait, i64) -> F) -> Self {
        let mut depth = vec![0u32; g.inputs + g.nodes.len()];
        for (i, n) in g.nodes.iter().enumerate() {
            depth[g.inputs + i] = 1 + n.args.iter().map(|&a| depth[a]).max().unwrap_or(0);
        }
        let mut order: Vec<u32> = (0..g.nodes.len() as u32).collect();
        order.sort_by_key(|&i| depth[g.inputs + i as usize]);
        let mut level_start = vec![0u32];
        for k in 1..order.len() {
            let (a, b) = (order[k - 1] as usize, order[k] as usize);
            if depth[g.inputs + a] != depth[g.inputs + b] {
                level_start.push(k as u32);
            }
        }
        level_start.push(order.len() as u32);
        let widest = level_start
            .windows(2)
            .map(|w| (w[1] - w[0]) as usize)
            .max()
            .unwrap_or(0);
        HandFloor {
            wait,
            make,
            order,
            level_start,
            ops: g.nodes.iter().map(|n| n.op).collect(),
            args: g
                .nodes
                .iter()
                .map(|n| n.args.iter().map(|&a| a as u32).collect())
                .collect(),
            inputs: g.inputs,
            outputs: g.outputs.iter().map(|&o| o as u32).collect(),
            vals: vec![0; g.inputs + g.nodes.len()],
            futs: Vec::with_capacity(widest),
            targets: Vec::with_capacity(widest),
            done: Vec::with_capacity(widest),
        }
    }
}

impl<F: Future<Output = i64> + Send + 'static> HandFloor<F> {
    fn value(&self, node: usize) -> i64 {
        let a = &self.args[node];
        let v = |k: usize| self.vals[a[k] as usize];
        match self.ops[node] {
            Op::Inc => v(0).wrapping_add(1),
            Op::Add => v(0).wrapping_add(v(1)),
            _ => a
                .iter()
                .fold(0i64, |s, &x| s.wrapping_add(self.vals[x as usize])),
        }
    }
}

/// The floor's runner: a [`HandFloor`] over the futures of
/// [`module_future`].
pub struct FloorRunner<F>(pub HandFloor<F>);

impl<F: Future<Output = i64> + Send + 'static> PendingRunner for FloorRunner<F> {
    async fn run(&mut self, seed: i64) -> u64 {
        let f = &mut self.0;
        let (x, y) = int_inputs(seed);
        f.vals[0] = x;
        f.vals[1] = y;
        let make = f.make;
        for l in 0..f.level_start.len() - 1 {
            let (s, e) = (f.level_start[l] as usize, f.level_start[l + 1] as usize);
            for k in s..e {
                let node = f.order[k] as usize;
                let v = f.value(node);
                if f.ops[node] == Op::Sum {
                    f.vals[f.inputs + node] = v;
                } else {
                    f.futs.push(make(f.wait, v));
                    f.targets.push((f.inputs + node) as u32);
                    f.done.push(false);
                }
            }
            let HandFloor {
                futs,
                targets,
                done,
                vals,
                ..
            } = &mut *f;
            let mut left = futs.len();
            if left > 0 {
                poll_fn(|cx| {
                    for i in 0..futs.len() {
                        if done[i] {
                            continue;
                        }
                        // SAFETY: `futs` is neither pushed to nor moved
                        // until `clear` drops every future in place below,
                        // so each stays at this address while polled.
                        let fut = unsafe { Pin::new_unchecked(&mut futs[i]) };
                        if let Poll::Ready(v) = fut.poll(cx) {
                            vals[targets[i] as usize] = v;
                            done[i] = true;
                            left -= 1;
                        }
                    }
                    if left == 0 {
                        Poll::Ready(())
                    } else {
                        Poll::Pending
                    }
                })
                .await;
            }
            futs.clear();
            targets.clear();
            done.clear();
        }
        fingerprint_ints(f.outputs.iter().map(|&o| f.vals[o as usize]))
    }
}
