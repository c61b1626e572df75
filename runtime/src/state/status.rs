//! The per-node status cell: one atomic word, changed only by
//! read-modify-write transitions that name what they do.
//!
//! The word packs three fields:
//!
//! ```text
//!  63            40 39                     8 7        0
//! +----------------+------------------------+----------+
//! |  generation    |  aux (upstream node)   |  phase   |
//! +----------------+------------------------+----------+
//! ```
//!
//! `generation` is the execution the word belongs to (24 bits, wrapping); a
//! transition that names another generation is refused as
//! [`Transition::Stale`], so a straggler from an earlier execution can never
//! move a cell of a later one. `aux` holds the failed upstream node of a
//! skipped node. The phases and their edges are in [`Phase`].

use std::fmt;

use asterism_compiler::NodeIx;

use crate::state::sync::{AtomicU64, Ordering};

const PHASE_BITS: u32 = 8;
const AUX_BITS: u32 = 32;
const GEN_SHIFT: u32 = PHASE_BITS + AUX_BITS;
const PHASE_MASK: u64 = (1 << PHASE_BITS) - 1;
/// Generations wrap at 2^24.
pub(crate) const GENERATION_MASK: u32 = (1 << 24) - 1;

/// Where a node is in one execution.
///
/// ```text
/// Waiting --start--> Running --finish--> Completed | Failed | TimedOut
///    |                  |
///    +--skip--> Skipped +--cancel--> Cancelled
///    +--cancel--> Cancelled
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Phase {
    /// Not started: waiting for inputs, or ready and not yet started.
    Waiting = 0,
    /// Started and not finished.
    Running = 1,
    /// Finished and wrote its outputs.
    Completed = 2,
    /// Returned an error or panicked.
    Failed = 3,
    /// Ran past its timeout.
    TimedOut = 4,
    /// Never ran because a node upstream of it failed.
    Skipped = 5,
    /// Never finished because the execution was cancelled, dropped, or ran
    /// past its deadline.
    Cancelled = 6,
}

impl Phase {
    fn from_bits(bits: u8) -> Phase {
        match bits {
            0 => Phase::Waiting,
            1 => Phase::Running,
            2 => Phase::Completed,
            3 => Phase::Failed,
            4 => Phase::TimedOut,
            5 => Phase::Skipped,
            _ => Phase::Cancelled,
        }
    }

    /// Whether the node is done for this execution.
    pub fn is_terminal(self) -> bool {
        !matches!(self, Phase::Waiting | Phase::Running)
    }
}

/// A loaded status word.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct StatusSnapshot(u64);

impl StatusSnapshot {
    fn pack(generation: u32, phase: Phase, aux: u32) -> Self {
        StatusSnapshot(
            (u64::from(generation & GENERATION_MASK) << GEN_SHIFT)
                | (u64::from(aux) << PHASE_BITS)
                | phase as u64,
        )
    }

    /// The phase.
    pub fn phase(self) -> Phase {
        Phase::from_bits((self.0 & 0xff) as u8)
    }

    /// The generation the word belongs to.
    pub fn generation(self) -> u32 {
        (self.0 >> GEN_SHIFT) as u32
    }

    /// For a skipped node, the failed upstream node.
    pub fn upstream(self) -> Option<NodeIx> {
        (self.phase() == Phase::Skipped).then_some(NodeIx((self.0 >> PHASE_BITS) as u32))
    }
}

impl fmt::Debug for StatusSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatusSnapshot")
            .field("generation", &self.generation())
            .field("phase", &self.phase())
            .field("upstream", &self.upstream())
            .finish()
    }
}

/// The outcome of a transition.
#[must_use = "a refused transition means another party owns the node"]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    /// The cell moved; the caller now owns the consequences.
    Done,
    /// The cell belongs to another generation (rule S4).
    Stale,
    /// The cell's phase does not allow this move; what it holds now.
    Refused(StatusSnapshot),
}

impl Transition {
    /// Whether the cell moved.
    pub fn is_done(self) -> bool {
        self == Transition::Done
    }
}

/// One node's status word.
#[derive(Debug)]
pub(crate) struct StatusCell(AtomicU64);

impl StatusCell {
    pub(crate) fn new(generation: u32) -> Self {
        StatusCell(AtomicU64::new(
            StatusSnapshot::pack(generation, Phase::Waiting, 0).0,
        ))
    }

    #[inline]
    pub(crate) fn load(&self) -> StatusSnapshot {
        StatusSnapshot(self.0.load(Ordering::Acquire))
    }

    /// The one compare-and-swap loop all transitions share: move from a
    /// phase `allowed` accepts to `to` (with `aux`), in `generation` only.
    #[inline]
    fn transition(
        &self,
        generation: u32,
        allowed: impl Fn(Phase) -> bool,
        to: Phase,
        aux: u32,
    ) -> Transition {
        let mut current = self.0.load(Ordering::Acquire);
        loop {
            let snap = StatusSnapshot(current);
            if snap.generation() != generation & GENERATION_MASK {
                return Transition::Stale;
            }
            if !allowed(snap.phase()) {
                return Transition::Refused(snap);
            }
            let next = StatusSnapshot::pack(generation, to, aux).0;
            match self
                .0
                .compare_exchange_weak(current, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return Transition::Done,
                Err(actual) => current = actual,
            }
        }
    }

    /// `Waiting -> Running`: the caller starts the node (rule S2).
    #[inline]
    pub(crate) fn start(&self, generation: u32) -> Transition {
        self.transition(generation, |p| p == Phase::Waiting, Phase::Running, 0)
    }

    /// `Running -> Completed | Failed | TimedOut` (rule S3).
    #[inline]
    pub(crate) fn finish(&self, generation: u32, to: Phase) -> Transition {
        debug_assert!(matches!(
            to,
            Phase::Completed | Phase::Failed | Phase::TimedOut
        ));
        self.transition(generation, |p| p == Phase::Running, to, 0)
    }

    /// `Waiting -> Skipped`, naming the failed upstream node (rule S6).
    pub(crate) fn skip(&self, generation: u32, upstream: NodeIx) -> Transition {
        self.transition(
            generation,
            |p| p == Phase::Waiting,
            Phase::Skipped,
            upstream.0,
        )
    }

    /// `Waiting | Running -> Cancelled` (rule S7).
    pub(crate) fn cancel(&self, generation: u32) -> Transition {
        self.transition(generation, |p| !p.is_terminal(), Phase::Cancelled, 0)
    }

    /// `Waiting -> Running` through `&mut` (rule S2 with exclusive access:
    /// the driver holds the state, so a plain load and store suffice).
    /// Returns whether the node started.
    #[inline]
    pub(crate) fn start_mut(&mut self, generation: u32) -> bool {
        let word = crate::state::sync::load_mut(&mut self.0);
        debug_assert_eq!(
            StatusSnapshot(word).generation(),
            generation & GENERATION_MASK
        );
        if word & PHASE_MASK != Phase::Waiting as u64 {
            return false;
        }
        let running = StatusSnapshot::pack(generation, Phase::Running, 0).0;
        crate::state::sync::store_mut(&mut self.0, running);
        true
    }

    /// `Running -> Completed` through `&mut` (rule S3 with exclusive
    /// access). Returns whether the node was running.
    #[inline]
    pub(crate) fn complete_mut(&mut self, generation: u32) -> bool {
        if crate::state::sync::load_mut(&mut self.0) & PHASE_MASK != Phase::Running as u64 {
            return false;
        }
        let done = StatusSnapshot::pack(generation, Phase::Completed, 0).0;
        crate::state::sync::store_mut(&mut self.0, done);
        true
    }

    /// `Running -> Completed` through `&mut`, for the driver that started
    /// the node with [`StatusCell::start_mut`] and has held `&mut` since:
    /// nothing else can have moved the cell (rule S0), so the phase is not
    /// checked again.
    #[inline]
    pub(crate) fn finish_mut(&mut self, generation: u32) {
        debug_assert_eq!(
            crate::state::sync::load_mut(&mut self.0) & PHASE_MASK,
            Phase::Running as u64
        );
        let done = StatusSnapshot::pack(generation, Phase::Completed, 0).0;
        crate::state::sync::store_mut(&mut self.0, done);
    }

    /// Back to `Waiting` in a new generation; `&mut` proves no one else
    /// holds the cell (rule S9).
    pub(crate) fn reset(&mut self, generation: u32) {
        let word = StatusSnapshot::pack(generation, Phase::Waiting, 0).0;
        crate::state::sync::store_mut(&mut self.0, word);
    }
}

#[cfg(all(test, not(asterism_loom)))]
mod tests {
    use super::*;

    #[test]
    fn transitions_follow_the_phase_graph() {
        let c = StatusCell::new(7);
        assert!(matches!(
            c.finish(7, Phase::Completed),
            Transition::Refused(_)
        ));
        assert_eq!(c.start(7), Transition::Done);
        assert!(matches!(c.start(7), Transition::Refused(s) if s.phase() == Phase::Running));
        assert!(matches!(c.skip(7, NodeIx(1)), Transition::Refused(_)));
        assert_eq!(c.finish(7, Phase::Completed), Transition::Done);
        assert!(matches!(c.cancel(7), Transition::Refused(_)));
        assert_eq!(c.load().phase(), Phase::Completed);
    }

    #[test]
    fn other_generations_are_stale_and_reset_moves_on() {
        let mut c = StatusCell::new(1);
        assert_eq!(c.start(2), Transition::Stale);
        assert_eq!(c.skip(1, NodeIx(42)), Transition::Done);
        assert_eq!(c.load().upstream(), Some(NodeIx(42)));
        c.reset(2);
        assert_eq!(c.load().phase(), Phase::Waiting);
        assert_eq!(c.load().generation(), 2);
        assert_eq!(c.start(1), Transition::Stale);
        assert_eq!(c.start(2), Transition::Done);
    }

    #[test]
    fn exclusive_transitions_follow_the_same_graph() {
        let mut c = StatusCell::new(3);
        assert!(!c.complete_mut(3), "a waiting node cannot complete");
        assert!(c.start_mut(3));
        assert!(!c.start_mut(3), "a running node cannot start again");
        assert!(c.complete_mut(3));
        assert!(!c.complete_mut(3));
        assert_eq!(c.load().phase(), Phase::Completed);
        assert_eq!(c.load().generation(), 3);
        let mut skipped = StatusCell::new(3);
        assert_eq!(skipped.skip(3, NodeIx(0)), Transition::Done);
        assert!(!skipped.start_mut(3), "a skipped node never starts");
    }

    #[test]
    fn finish_mut_completes_a_running_node_in_its_generation() {
        let mut c = StatusCell::new(9);
        assert!(c.start_mut(9));
        c.finish_mut(9);
        assert_eq!(c.load().phase(), Phase::Completed);
        assert_eq!(c.load().generation(), 9);
        assert!(!c.start_mut(9), "a completed node never starts again");
    }

    #[test]
    fn generations_wrap_at_24_bits() {
        let c = StatusCell::new(GENERATION_MASK + 5);
        assert_eq!(c.load().generation(), 4);
        assert_eq!(c.start(4), Transition::Done);
    }
}
