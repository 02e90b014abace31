//! Chunks: the mappings objects live in, and the object-start bitmap that
//! resolves any address to the object containing it.

use std::ptr;

use super::{header_size, GRANULE, LARGE_OBJECT_BYTES};

/// Granules the largest object of a normal chunk spans: an interior address
/// is never further than this from its object's start, which bounds the
/// backwards bitmap search in [`Chunk::object_containing`].
const MAX_SMALL_GRANULES: usize = LARGE_OBJECT_BYTES / GRANULE;

/// One `mmap`ed region. A normal chunk holds objects and free blocks side by
/// side; a huge chunk holds exactly one object, at `base`, and is unmapped
/// when that object dies.
pub(super) struct Chunk {
    base: usize,
    len: usize,
    /// One bit per granule, set at the start of each allocated object.
    /// Empty for a huge chunk.
    starts: Vec<u64>,
}

impl Chunk {
    /// Maps a normal chunk of `len` bytes (a multiple of the page size).
    pub(super) fn map_normal(len: usize) -> Option<Chunk> {
        let base = map(len)?;
        Some(Chunk {
            base,
            len,
            starts: vec![0; (len / GRANULE).div_ceil(64)],
        })
    }

    /// Maps a huge chunk of `len` bytes for one object.
    pub(super) fn map_huge(len: usize) -> Option<Chunk> {
        let base = map(len)?;
        Some(Chunk {
            base,
            len,
            starts: Vec::new(),
        })
    }

    pub(super) fn base(&self) -> usize {
        self.base
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn end(&self) -> usize {
        self.base + self.len
    }

    pub(super) fn is_huge(&self) -> bool {
        self.starts.is_empty()
    }

    /// Whether an allocated object starts at `addr` (inside this chunk).
    pub(super) fn is_start(&self, addr: usize) -> bool {
        let off = addr - self.base;
        if self.is_huge() {
            return off == 0;
        }
        if !off.is_multiple_of(GRANULE) {
            return false;
        }
        let g = off / GRANULE;
        self.starts[g / 64] & (1 << (g % 64)) != 0
    }

    /// The object-start bitmap (one bit per granule), for the bump region:
    /// generated code sets the bits of the objects it allocates.
    pub(super) fn starts_ptr(&mut self) -> *mut u64 {
        self.starts.as_mut_ptr()
    }

    pub(super) fn set_start(&mut self, addr: usize) {
        let g = (addr - self.base) / GRANULE;
        self.starts[g / 64] |= 1 << (g % 64);
    }

    pub(super) fn clear_start(&mut self, addr: usize) {
        let g = (addr - self.base) / GRANULE;
        self.starts[g / 64] &= !(1 << (g % 64));
    }

    /// The start of the allocated object whose bytes include `addr` (inside
    /// this chunk), if any.
    pub(super) fn object_containing(&self, addr: usize) -> Option<usize> {
        let start = if self.is_huge() {
            self.base
        } else {
            let g = (addr - self.base) / GRANULE;
            let lowest = g.saturating_sub(MAX_SMALL_GRANULES - 1);
            // The nearest start bit at or below `g`, word by word.
            let mut w = g / 64;
            let mut bits = self.starts[w] & (u64::MAX >> (63 - g % 64));
            loop {
                if bits != 0 {
                    let s = w * 64 + 63 - bits.leading_zeros() as usize;
                    if s < lowest {
                        return None;
                    }
                    break self.base + s * GRANULE;
                }
                if w == 0 || w * 64 <= lowest {
                    return None;
                }
                w -= 1;
                bits = self.starts[w];
            }
        };
        // SAFETY: `start` is an allocated object of this (mapped) chunk.
        let size = unsafe { header_size(start) };
        (addr < start + size).then_some(start)
    }
}

impl Drop for Chunk {
    fn drop(&mut self) {
        // SAFETY: this chunk owns the mapping; nothing refers to it any more
        // (its objects are dead or the heap is being dropped).
        unsafe { libc::munmap(self.base as *mut libc::c_void, self.len) };
    }
}

/// Maps `len` bytes of zeroed read-write memory.
fn map(len: usize) -> Option<usize> {
    // SAFETY: a fresh anonymous mapping; it aliases nothing.
    let p = unsafe {
        libc::mmap(
            ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    (p != libc::MAP_FAILED).then_some(p as usize)
}
