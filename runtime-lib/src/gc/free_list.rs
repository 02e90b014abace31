//! Segregated free lists of the normal chunks' free blocks.
//!
//! A free block is a run of granules that belongs to no object. Its first
//! word is its size in bytes and its second the address of the next block of
//! its list (0 ends it); every other byte of it is zero, so an object carved
//! from it is zeroed by clearing at most those two words.
//!
//! Blocks of 1 to 31 granules have one exact class each; larger ones share a
//! class per power of two. Allocation takes an exact fit when its class has
//! one, else the head of the smallest non-empty larger class (any block there
//! fits), else the first fitting block of its own power-of-two class. The
//! object is carved from the block's end, and the rest stays a free block.

use super::GRANULE;

/// Classes with exactly one block size (`class + 1` granules).
const EXACT_CLASSES: usize = 31;
/// Enough classes for a free block spanning the largest normal chunk.
const CLASSES: usize = class_of(super::MAX_CHUNK_BYTES / GRANULE) + 1;
const _: () = assert!(CLASSES <= 64, "`nonempty` is a u64");

/// The class of a block of `granules` (at least 1).
const fn class_of(granules: usize) -> usize {
    if granules <= EXACT_CLASSES {
        granules - 1
    } else {
        EXACT_CLASSES + (granules.ilog2() - EXACT_CLASSES.ilog2() - 1) as usize
    }
}

pub(super) struct FreeLists {
    heads: [usize; CLASSES],
    /// Bit `c` set when class `c` has a block.
    nonempty: u64,
}

impl FreeLists {
    pub(super) fn new() -> FreeLists {
        FreeLists {
            heads: [0; CLASSES],
            nonempty: 0,
        }
    }

    /// Forgets every block (the sweep rebuilds the lists).
    pub(super) fn clear(&mut self) {
        *self = FreeLists::new();
    }

    /// Adds the free block `[addr, addr + granules * GRANULE)`, whose bytes
    /// after the first two words are zero.
    ///
    /// # Safety
    /// The block must be mapped memory that no object or other block uses.
    pub(super) unsafe fn push(&mut self, addr: usize, granules: usize) {
        let c = class_of(granules).min(CLASSES - 1);
        let p = addr as *mut u64;
        // SAFETY: the caller gives us the block; a block is at least one
        // granule, i.e. two words.
        unsafe {
            p.write((granules * GRANULE) as u64);
            p.add(1).write(self.heads[c] as u64);
        }
        self.heads[c] = addr;
        self.nonempty |= 1 << c;
    }

    /// A zeroed run of `granules` carved from a free block, or `None` when
    /// no block is large enough.
    pub(super) fn take(&mut self, granules: usize) -> Option<usize> {
        let c = class_of(granules);
        if c < EXACT_CLASSES && self.heads[c] != 0 {
            // SAFETY: the head of a list is a free block.
            return Some(unsafe { self.carve(c, None, self.heads[c], granules) });
        }
        let larger = self.nonempty & !((2u64 << c) - 1);
        if larger != 0 {
            let k = larger.trailing_zeros() as usize;
            // SAFETY: as above.
            return Some(unsafe { self.carve(k, None, self.heads[k], granules) });
        }
        if c >= EXACT_CLASSES {
            let (mut prev, mut block) = (None, self.heads[c]);
            while block != 0 {
                // SAFETY: `block` is on a list, hence a free block.
                let (size, next) = unsafe { read_block(block) };
                if size >= granules * GRANULE {
                    // SAFETY: as above, and `prev` precedes it.
                    return Some(unsafe { self.carve(c, prev, block, granules) });
                }
                (prev, block) = (Some(block), next);
            }
        }
        None
    }

    /// A whole free run of at least `granules`, unlinked and zeroed, as
    /// (address, granules): the head of the largest class when it fits (a
    /// long run to bump-allocate from), else a run carved like [`take`].
    ///
    /// [`take`]: FreeLists::take
    pub(super) fn take_run(&mut self, granules: usize) -> Option<(usize, usize)> {
        if self.nonempty != 0 {
            let k = 63 - self.nonempty.leading_zeros() as usize;
            let block = self.heads[k];
            // SAFETY: the head of a non-empty list is a free block.
            let (size, next) = unsafe { read_block(block) };
            if size >= granules * GRANULE {
                self.heads[k] = next;
                if next == 0 {
                    self.nonempty &= !(1 << k);
                }
                // SAFETY: the block is ours now; clearing its header leaves
                // it all zero.
                unsafe { (block as *mut [u64; 2]).write([0, 0]) };
                return Some((block, size / GRANULE));
            }
        }
        self.take(granules).map(|addr| (addr, granules))
    }

    /// Unlinks `block` (after `prev`, or the head) from class `c` and returns
    /// its last `granules` as a zeroed run, putting the rest back.
    ///
    /// # Safety
    /// `block` must be on list `c`, right after `prev`, and at least
    /// `granules` long.
    unsafe fn carve(
        &mut self,
        c: usize,
        prev: Option<usize>,
        block: usize,
        granules: usize,
    ) -> usize {
        // SAFETY: the caller guarantees `block` and `prev` are free blocks.
        unsafe {
            let (size, next) = read_block(block);
            match prev {
                Some(p) => (p as *mut u64).add(1).write(next as u64),
                None => {
                    self.heads[c] = next;
                    if next == 0 {
                        self.nonempty &= !(1 << c);
                    }
                }
            }
            let rest = size / GRANULE - granules;
            if rest == 0 {
                // The object covers the block header too.
                (block as *mut [u64; 2]).write([0, 0]);
                block
            } else {
                self.push(block, rest);
                block + rest * GRANULE
            }
        }
    }
}

/// The size in bytes and the next block of the free block at `addr`.
///
/// # Safety
/// `addr` must be a free block.
unsafe fn read_block(addr: usize) -> (usize, usize) {
    let p = addr as *const u64;
    // SAFETY: a free block starts with those two words.
    unsafe { (p.read() as usize, p.add(1).read() as usize) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_are_exact_then_powers_of_two() {
        assert_eq!(class_of(1), 0);
        assert_eq!(class_of(31), 30);
        assert_eq!(class_of(32), 31);
        assert_eq!(class_of(63), 31);
        assert_eq!(class_of(64), 32);
    }
}
