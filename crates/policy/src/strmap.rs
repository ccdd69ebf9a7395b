//! A read-only string-keyed map for the decision path: one hash, one probe, and a key
//! comparison that does not call `memcmp` (which costs more than the whole comparison
//! for the short names a policy holds).

use std::hash::Hasher;

use rustc_hash::{FxHashMap, FxHasher};

/// Marks a hash shared by several keys: look the key up in `spill`.
const SHARED: u32 = u32::MAX;

/// The hash of a key.
#[inline(always)]
pub(crate) fn hash(key: &str) -> u64 {
    let mut hasher = FxHasher::default();
    hasher.write(key.as_bytes());
    let hash = hasher.finish();
    // Unit tests squeeze the hash (to 16 values, in both halves) so that the
    // shared-hash paths are exercised too.
    if cfg!(test) {
        hash & 0x3_0000_0003
    } else {
        hash
    }
}

/// Whether two byte strings are equal, compared in overlapping words.
#[inline(always)]
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let u64_at = |s: &[u8], at: usize| {
        let mut w = [0; 8];
        w.copy_from_slice(&s[at..at + 8]);
        u64::from_le_bytes(w)
    };
    let u32_at = |s: &[u8], at: usize| {
        let mut w = [0; 4];
        w.copy_from_slice(&s[at..at + 4]);
        u32::from_le_bytes(w)
    };
    match n {
        0 => true,
        1..4 => a.iter().zip(b).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0,
        4..8 => u32_at(a, 0) == u32_at(b, 0) && u32_at(a, n - 4) == u32_at(b, n - 4),
        _ => {
            let mut at = 0;
            while at + 8 < n {
                if u64_at(a, at) != u64_at(b, at) {
                    return false;
                }
                at += 8;
            }
            u64_at(a, n - 8) == u64_at(b, n - 8)
        }
    }
}

/// A read-only map from names to values.
#[derive(Debug)]
pub(crate) struct StrMap<V> {
    /// Key hash → index into `entries`, or [`SHARED`].
    index: FxHashMap<u64, u32>,
    /// Keys whose hash is shared → index into `entries` (almost always empty).
    spill: FxHashMap<Box<str>, u32>,
    entries: Box<[(Box<str>, V)]>,
}

impl<V> Default for StrMap<V> {
    fn default() -> Self {
        Self {
            index: FxHashMap::default(),
            spill: FxHashMap::default(),
            entries: Box::new([]),
        }
    }
}

impl<V> StrMap<V> {
    /// Builds the map; the keys must be distinct.
    pub(crate) fn new(entries: Vec<(Box<str>, V)>) -> Self {
        let mut index = FxHashMap::default();
        index.reserve(entries.len());
        let mut spill = FxHashMap::default();
        for (i, (key, _)) in entries.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(SHARED);
            if let Some(first) = index.insert(hash(key), i) {
                index.insert(hash(key), SHARED);
                if first != SHARED {
                    spill.insert(entries[first as usize].0.clone(), first);
                }
                spill.insert(key.clone(), i);
            }
        }
        Self {
            index,
            spill,
            entries: entries.into(),
        }
    }

    /// The stored key and value for `key`.
    #[inline(always)]
    pub(crate) fn get(&self, key: &str) -> Option<(&str, &V)> {
        if self.entries.is_empty() {
            return None;
        }
        let mut i = *self.index.get(&hash(key))?;
        if i == SHARED {
            i = *self.spill.get(key)?;
        }
        let (stored, value) = &self.entries[i as usize];
        same(stored.as_bytes(), key.as_bytes()).then_some((&**stored, value))
    }

    /// Entries in insertion order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        self.entries.iter().map(|(key, value)| (&**key, value))
    }
}

#[cfg(test)]
mod tests;
