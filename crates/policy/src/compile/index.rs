//! A hash index over named records in a byte arena, for the decision path: an
//! open-addressing table of small slots (a tag and the record's offset), so that a
//! lookup is one slot read (neighbours share its cache line) and then one record, which
//! holds the name (to check it) next to everything the decision needs. Slots are 4 bytes
//! while the arena is under 64 MiB, so the table of a 10,000-tenant server stays in cache.

use super::half;
use crate::strmap::{hash, same};

/// Every record starts with its name's length (`u16`); the name is at `name_at`.
#[derive(Debug)]
pub(super) enum RecordIndex {
    /// `tag << 24 | offset / 4` (records are 4-byte aligned), 0 for an empty slot.
    Narrow(Box<[u32]>),
    /// `tag << 32 | offset`, 0 for an empty slot.
    Wide(Box<[u64]>),
}

/// Slots of a table: a power-of-two count, at most half full. Tags (high hash bits,
/// never 0) may repeat: the name decides.
trait Slot: Copy + Eq {
    const EMPTY: Self;
    fn new(tag: u64, at: usize) -> Self;
    /// The record offset, if the slot's tag is `tag`.
    fn offset(self, tag: u64) -> Option<usize>;
    /// The tag of a hash, never 0.
    fn tag(hash: u64) -> u64;
}

impl Slot for u32 {
    const EMPTY: Self = 0;
    fn new(tag: u64, at: usize) -> Self {
        (tag as u32) << 24 | (at / 4) as u32
    }
    #[inline(always)]
    fn offset(self, tag: u64) -> Option<usize> {
        (u64::from(self >> 24) == tag).then_some((self & 0x00ff_ffff) as usize * 4)
    }
    #[inline(always)]
    fn tag(hash: u64) -> u64 {
        (hash >> 56) | 1
    }
}

impl Slot for u64 {
    const EMPTY: Self = 0;
    fn new(tag: u64, at: usize) -> Self {
        tag << 32 | at as u64
    }
    #[inline(always)]
    fn offset(self, tag: u64) -> Option<usize> {
        (self >> 32 == tag).then_some(self as u32 as usize)
    }
    #[inline(always)]
    fn tag(hash: u64) -> u64 {
        (hash >> 32) | 1
    }
}

/// Records a narrow slot can address.
const NARROW_LIMIT: usize = 4 << 24;

impl Default for RecordIndex {
    fn default() -> Self {
        Self::Narrow(Box::new([]))
    }
}

impl RecordIndex {
    /// Indexes the (4-byte aligned) records at the given offsets, named as their records
    /// say.
    pub(super) fn new(offsets: &[u32], records: &[u8], name_at: usize) -> Self {
        if records.len() < NARROW_LIMIT {
            Self::Narrow(build(offsets, records, name_at))
        } else {
            Self::Wide(build(offsets, records, name_at))
        }
    }

    /// The offset of the record named `name`, and the stored name.
    #[inline(always)]
    pub(super) fn find<'r>(
        &self,
        name: &str,
        records: &'r [u8],
        name_at: usize,
    ) -> Option<(usize, &'r [u8])> {
        match self {
            Self::Narrow(slots) => find(slots, name, records, name_at),
            Self::Wide(slots) => find(slots, name, records, name_at),
        }
    }
}

fn build<S: Slot>(offsets: &[u32], records: &[u8], name_at: usize) -> Box<[S]> {
    if offsets.is_empty() {
        return Box::new([]);
    }
    let mut slots = vec![S::EMPTY; (2 * offsets.len()).next_power_of_two()].into_boxed_slice();
    let mask = slots.len() - 1;
    for &at in offsets {
        debug_assert_eq!(at % 4, 0);
        let hash = hash(&String::from_utf8_lossy(name_of(
            records,
            at as usize,
            name_at,
        )));
        let mut i = hash as usize & mask;
        while slots[i] != S::EMPTY {
            i = (i + 1) & mask;
        }
        slots[i] = S::new(S::tag(hash), at as usize);
    }
    slots
}

#[inline(always)]
fn find<'r, S: Slot>(
    slots: &[S],
    name: &str,
    records: &'r [u8],
    name_at: usize,
) -> Option<(usize, &'r [u8])> {
    if slots.is_empty() {
        return None;
    }
    let mask = slots.len() - 1;
    let hash = hash(name);
    let tag = S::tag(hash);
    let mut i = hash as usize & mask;
    loop {
        let slot = slots[i];
        if slot == S::EMPTY {
            return None;
        }
        if let Some(at) = slot.offset(tag) {
            let stored = name_of(records, at, name_at);
            if same(stored, name.as_bytes()) {
                return Some((at, stored));
            }
        }
        i = (i + 1) & mask;
    }
}

#[inline(always)]
fn name_of(records: &[u8], at: usize, name_at: usize) -> &[u8] {
    let len = usize::from(half(records, at));
    &records[at + name_at..at + name_at + len]
}

#[cfg(test)]
mod tests;
