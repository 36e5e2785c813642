//! A set of byte-string items in one flat buffer: no allocation per item, so reading
//! and hashing millions of items costs one buffer and one offset table.
//!
//! Invariant: item `i` is `bytes[ends[i - 1]..ends[i]]` (`ends[-1]` = 0); every item is
//! at most [`MAX_ITEM_LEN`] bytes and there are at most [`MAX_SET_SIZE`] items
//! ([`ItemSet::push`] refuses more). Duplicates may be present; each protocol removes
//! them as it prepares the set.

use super::{PsiError, MAX_ITEM_LEN, MAX_SET_SIZE};

/// Items in one buffer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ItemSet {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl ItemSet {
    /// An empty set.
    pub fn new() -> ItemSet {
        ItemSet::default()
    }

    /// Appends an item; refuses one longer than [`MAX_ITEM_LEN`] or a set past
    /// [`MAX_SET_SIZE`].
    pub fn push(&mut self, item: &[u8]) -> Result<(), PsiError> {
        if item.len() > MAX_ITEM_LEN {
            return Err(PsiError::ItemTooLong { len: item.len(), max: MAX_ITEM_LEN });
        }
        if self.ends.len() >= MAX_SET_SIZE {
            return Err(PsiError::SetTooLarge { len: self.ends.len() + 1, max: MAX_SET_SIZE });
        }
        self.bytes.extend_from_slice(item);
        self.ends.push(self.bytes.len());
        Ok(())
    }

    /// Items held (duplicates counted).
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no items.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Item `i` (`i < len()`).
    pub fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }

    /// The items in order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        (0..self.len()).map(move |i| self.get(i))
    }

    /// The items as separate vectors (for the ECDH protocol's API).
    pub fn to_vecs(&self) -> Vec<Vec<u8>> {
        self.iter().map(<[u8]>::to_vec).collect()
    }

    /// A set from separate items, with the limits of [`ItemSet::push`].
    pub fn from_items<I: IntoIterator<Item = T>, T: AsRef<[u8]>>(items: I) -> Result<ItemSet, PsiError> {
        let mut set = ItemSet::new();
        for item in items {
            set.push(item.as_ref())?;
        }
        Ok(set)
    }
}
