//! Open-addressing maps from pseudorandom keys, for the million-entry lookups of KKRT
//! PSI without a hasher or an allocation per entry: [`Table`] (a set of `u32` values
//! whose keys the caller keeps, for deduplication) and [`MatchTable`] (the listener's
//! OPRF values, one `u64` per slot, looked up in batches so that the cache misses of a
//! batch overlap).
//!
//! Invariants: capacities are powers of two at least twice the number of entries
//! (load <= 1/2), so linear probing ends; a free slot is 0 in both. Keys must be
//! pseudorandom (AES outputs): the slot is the key's low bits, and a slot keeps a tag
//! of other bits so that most mismatches are settled without the caller's key.

/// A fixed-capacity set of values keyed by 128-bit pseudorandom keys that the caller
/// stores (a slot holds 32 bits of the key as a tag and the value plus one: 8 bytes a
/// slot, so the table of a 2^22-item set is 64 MiB rather than 160).
#[derive(Debug)]
pub(crate) struct Table {
    slots: Vec<u64>,
    mask: usize,
}

impl Table {
    /// A table for up to `n` entries.
    pub(crate) fn with_capacity(n: usize) -> Table {
        let cap = (2 * n).next_power_of_two().max(16);
        Table { slots: vec![0; cap], mask: cap - 1 }
    }

    fn tag(key: u128) -> u64 {
        ((key >> 96) as u64) << 32
    }

    /// Touches the first slot of each key (independent loads, so their cache misses
    /// overlap before [`Table::insert`] probes them one by one).
    pub(crate) fn prefetch(&self, keys: &[u128]) {
        let mut x = 0u64;
        for &k in keys {
            x ^= self.slots[k as usize & self.mask];
        }
        core::hint::black_box(x);
    }

    /// Inserts `value` under `key` unless an entry with this key is present, and then
    /// returns that entry's value; `same(v)` must say whether entry `v`'s key is `key`
    /// (asked only when the tags agree). `value` must be below `u32::MAX` and the table
    /// must not be full (callers size it with [`Table::with_capacity`]).
    pub(crate) fn insert(&mut self, key: u128, value: u32, same: impl Fn(u32) -> bool) -> Option<u32> {
        debug_assert!(value != u32::MAX);
        let tag = Table::tag(key);
        let mut slot = key as usize & self.mask;
        loop {
            match self.slots[slot] {
                0 => {
                    self.slots[slot] = tag | (value as u64 + 1);
                    return None;
                }
                e if e & !0xFFFF_FFFF == tag && same((e as u32) - 1) => return Some((e as u32) - 1),
                _ => slot = (slot + 1) & self.mask,
            }
        }
    }
}

/// Bits of a [`MatchTable`] slot that hold the item index plus one.
const ITEM_BITS: u32 = 23;
/// Lookups gathered before any is resolved.
const GATHER: usize = 32;

/// The listener's values: `value -> item`, with the full value kept per item so that
/// a slot holds only a tag (the value's bits above the slot index) and the item.
#[derive(Debug)]
pub(crate) struct MatchTable {
    slots: Vec<u64>,
    values: Vec<u128>,
    mask: u128,
    shift: u32,
}

impl MatchTable {
    /// A table for the items `0..n` (`n < 2^23 - 1`, i.e. at most `MAX_SET_SIZE`).
    pub(crate) fn new(n: usize) -> MatchTable {
        debug_assert!(n < (1 << ITEM_BITS) - 1);
        let cap = (2 * n).next_power_of_two().max(16);
        MatchTable {
            slots: vec![0; cap],
            values: vec![0; n],
            mask: cap as u128 - 1,
            shift: cap.trailing_zeros(),
        }
    }

    fn tag(&self, value: u128) -> u64 {
        ((value >> self.shift) as u64) << ITEM_BITS
    }

    /// Records `value` as item `item`'s (`item < n`; each item once).
    pub(crate) fn insert(&mut self, value: u128, item: u32) {
        self.values[item as usize] = value;
        let entry = self.tag(value) | (item as u64 + 1);
        let mut slot = (value & self.mask) as usize;
        while self.slots[slot] != 0 {
            slot = (slot + 1) & self.mask as usize;
        }
        self.slots[slot] = entry;
    }

    /// For every `values[k]` equal to an item's value, calls `found(k, item)`.
    pub(crate) fn lookup_batch(&self, values: &[u128], mut found: impl FnMut(usize, u32)) {
        let mut first = [0u64; GATHER];
        for (c, chunk) in values.chunks(GATHER).enumerate() {
            // Independent loads first (no branch on their results), so their cache
            // misses overlap; then the probing, which rarely leaves the first line.
            for (f, v) in first.iter_mut().zip(chunk) {
                *f = self.slots[(v & self.mask) as usize];
            }
            for (k, (&v, &f)) in chunk.iter().zip(&first).enumerate() {
                if f == 0 {
                    continue;
                }
                let tag = self.tag(v);
                let mut slot = (v & self.mask) as usize;
                let mut e = f;
                while e != 0 {
                    if e >> ITEM_BITS == tag >> ITEM_BITS {
                        let item = (e & ((1 << ITEM_BITS) - 1)) as u32 - 1;
                        if self.values[item as usize] == v {
                            found(c * GATHER + k, item);
                        }
                    }
                    slot = (slot + 1) & self.mask as usize;
                    e = self.slots[slot];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_table_finds_exactly_the_inserted_values() {
        let mut t = MatchTable::new(50);
        let value = |i: u128| i.wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835) >> 48;
        for i in 0..50u32 {
            t.insert(value(i as u128), i);
        }
        let queries: Vec<u128> = (0..100u128).map(value).chain([value(7) ^ 1 << 70, value(8) ^ 1]).collect();
        let mut hits = Vec::new();
        t.lookup_batch(&queries, |k, item| hits.push((k, item)));
        let expect: Vec<(usize, u32)> = (0..50).map(|i| (i, i as u32)).collect();
        assert_eq!(hits, expect);
    }

    #[test]
    fn finds_what_was_inserted_and_nothing_else() {
        // Colliding low bits and equal tags on purpose: probing and the caller's
        // comparison must handle them.
        let keys: Vec<u128> = (0..100u128).map(|i| (i << 64) | (i % 3) | ((i % 2) << 96)).collect();
        let mut t = Table::with_capacity(100);
        t.prefetch(&keys);
        for (i, &key) in keys.iter().enumerate() {
            let same = |v: u32| keys[v as usize] == key;
            assert_eq!(t.insert(key, i as u32, same), None);
            assert_eq!(t.insert(key, 1000, same), Some(i as u32));
        }
        for (i, &key) in keys.iter().enumerate() {
            assert_eq!(t.insert(key, 7, |v| keys[v as usize] == key), Some(i as u32));
        }
        assert_eq!(t.insert(5 << 70, 1, |v| keys.get(v as usize) == Some(&(5 << 70))), None);
    }
}
