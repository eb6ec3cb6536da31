//! The oscillation detector's memory (LEXUM.md §4), and how a repeat is
//! proven.
//!
//! Every repair cycle's configuration is remembered by a 64-bit key (the
//! first bytes of its digest): constant space per configuration. A key match
//! is only a candidate. It is confirmed by exact equality: the run is
//! re-executed, without effects, observers or hashing, from a kept
//! checkpoint (a *base*) to the candidate cycle μ, and the whole
//! configuration there is compared with the current one. So a crafted hash
//! collision cannot produce a false E005; it can only cost a re-execution.
//!
//! Re-execution needs no effect results: every effect call (failed ones
//! too) raises the next call id, which is part of every fingerprint, so two
//! equal configurations lie in one *epoch* of constant call id, and no
//! effect runs between them. The same holds for yields (the yielded set only
//! grows). The memory is therefore per epoch: a new epoch starts empty, with
//! a base at its first cycle boundary. Within an epoch, further bases are
//! kept at a doubling stride (at most [`MAX_BASES`]), so confirming a repeat
//! re-executes a bounded fraction of the epoch.
//!
//! That table costs memory and time with every repair cycle, so it holds
//! only an epoch's first [`super::Options::table_limit`] repair cycles. Past
//! them the detector switches to Brent's method ([`Brent`]): one saved
//! configuration (collections by their content hash, so that it holds
//! none), replaced at doubling distances, compared with every new one; a
//! match is proven by re-execution. Constant memory and O(1) amortized time per repair cycle,
//! but it notices a loop only some time after the loop closed, at T ≥ t.
//! Determinism gives the exact answer back: λ is the distance to the saved
//! configuration, μ is found by re-executing two replicas λ repair cycles
//! apart from the epoch's first base, and the run is *rewound* to the
//! boundary where Brent's phase began (observers are told, the hash state
//! is put back) and replayed to t, where the loop is handled as the table
//! would have handled it. The report, the trace and the run hash are those
//! of a run that detected the loop at t.

use std::sync::Arc;

use super::repeat::Saved;
use super::Checkpoint;

/// How many bases an epoch keeps (thinned to every other when exceeded).
pub const MAX_BASES: usize = 32;
/// Repair cycles between bases at the start of an epoch.
const FIRST_STRIDE: u64 = 8;
/// The most queued events the bases may hold copies of together (a base
/// copies the queue): past it they are thinned too, so a long queue costs
/// longer re-executions, not memory.
pub const MAX_BASE_EVENTS: usize = 2_000_000;

/// One entry of the oscillation detector's memory, as journaled. Only
/// digests are journaled: they name candidates, and everything else (the
/// equality, which repairs ran in the loop) comes from re-execution, so a
/// forged record can cost time but never change an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DetectorRecord {
    /// The configuration at the repair cycle `cycle` had this digest.
    Fingerprint { cycle: u64, digest: [u8; 32] },
}

impl DetectorRecord {
    /// A fixed binary form: `F`, cycle (u64 LE), digest.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            DetectorRecord::Fingerprint { cycle, digest } => {
                out.push(b'F');
                out.extend_from_slice(&cycle.to_le_bytes());
                out.extend_from_slice(digest);
            }
        }
    }

    pub fn decode(b: &[u8]) -> Option<DetectorRecord> {
        let cycle = u64::from_le_bytes(b.get(1..9)?.try_into().ok()?);
        match (b.first()?, b.len()) {
            (b'F', 41) => Some(DetectorRecord::Fingerprint {
                cycle,
                digest: b[9..41].try_into().ok()?,
            }),
            _ => None,
        }
    }
}

/// Which epoch a configuration belongs to: the next effect call id and the
/// number of yields so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Epoch {
    pub effect: u64,
    pub yields: usize,
    /// External inputs and time decisions so far (live runs: a repeat is
    /// proven only between two of them).
    pub inputs: u64,
}

/// The detector's memory of the current epoch. Persistent structures, so a
/// checkpoint keeps it in O(1).
#[derive(Clone, Default)]
pub(crate) struct Detector {
    /// (key, cycle) of every repair-cycle configuration of this epoch.
    pub table: im::OrdSet<(u64, u64)>,
    /// `None` until the first base is taken.
    pub epoch: Option<Epoch>,
    /// Checkpoints at cycle boundaries of this epoch, oldest first; the
    /// first is the epoch's start. A base at cycle c covers repair cycles
    /// from c + 1 on.
    pub bases: im::Vector<Arc<Checkpoint>>,
    /// Fingerprints recorded in this epoch.
    pub count: u64,
    /// The count at which the next base is taken, and the stride after it.
    pub next_base: u64,
    pub stride: u64,
    /// Brent's phase, once the table is full.
    pub brent: Option<Brent>,
}

/// Brent's cycle finding over an epoch's repair cycles past the table.
#[derive(Clone)]
pub(crate) struct Brent {
    /// The boundary where this phase began, with the run hash's state there:
    /// a loop found in this phase closes after it, so the run rewinds here.
    pub base: Arc<Checkpoint>,
    /// The saved configuration and its cycle.
    pub saved: Option<Arc<Saved>>,
    /// Repair cycles since the saved one, and how many before it moves.
    pub lam: u64,
    pub power: u64,
    /// Repair cycles seen in this phase.
    pub index: u64,
}

impl Brent {
    pub fn starting(base: Checkpoint) -> Brent {
        Brent::starting_at(Arc::new(base))
    }

    pub fn starting_at(base: Arc<Checkpoint>) -> Brent {
        Brent {
            base,
            saved: None,
            lam: 0,
            power: 1,
            index: 0,
        }
    }
}

impl Detector {
    /// A fresh epoch starting at `base`.
    pub fn starting(epoch: Epoch, base: Checkpoint) -> Detector {
        Detector {
            table: im::OrdSet::new(),
            epoch: Some(epoch),
            bases: im::vector![Arc::new(base)],
            count: 0,
            next_base: FIRST_STRIDE,
            stride: FIRST_STRIDE,
            brent: None,
        }
    }

    /// Adds a base, thinning to every other one (the first always stays)
    /// past [`MAX_BASES`] or [`MAX_BASE_EVENTS`].
    pub fn add_base(&mut self, base: Checkpoint) {
        self.bases.push_back(Arc::new(base));
        let events =
            |b: &im::Vector<Arc<Checkpoint>>| -> usize { b.iter().map(|c| c.queued()).sum() };
        while self.bases.len() > MAX_BASES
            || (self.bases.len() > 2 && events(&self.bases) > MAX_BASE_EVENTS)
        {
            self.bases = self.bases.iter().step_by(2).cloned().collect();
            self.stride = self.stride.saturating_mul(2);
        }
        self.next_base = self.count.saturating_add(self.stride);
    }

    /// The latest base that comes before the repair cycle `mu`.
    pub fn base_before(&self, mu: u64) -> Option<&Arc<Checkpoint>> {
        self.bases.iter().rev().find(|b| b.cycle() < mu)
    }

    /// The epoch's first base (what a snapshot stores).
    pub fn first_base(&self) -> Option<&Arc<Checkpoint>> {
        self.bases.front()
    }

    /// Records a fingerprint key for cycle `t`.
    pub fn remember(&mut self, key: u64, t: u64) {
        if self.table.insert((key, t)).is_none() {
            self.count += 1;
        }
    }

    /// The earlier cycles of this epoch whose key is `key`, oldest first.
    pub fn candidates(&self, key: u64, t: u64) -> Vec<u64> {
        self.table
            .range((key, 0)..(key, t))
            .map(|(_, c)| *c)
            .collect()
    }
}

/// The table key of a digest: its first eight bytes, cut to `bits` bits
/// (fewer bits only in tests: they make candidates frequent, and the
/// answers must not change).
pub(crate) fn key_of(digest: &[u8; 32], bits: u32) -> u64 {
    let mut k = [0u8; 8];
    k.copy_from_slice(&digest[..8]);
    let k = u64::from_le_bytes(k);
    if bits >= 64 {
        k
    } else {
        k & ((1u64 << bits) - 1)
    }
}
