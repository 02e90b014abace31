//! The GC heap: where WebAssembly GC structs, arrays and boxes live
//! (`docs/GC.md`, "Heap and collector").
//!
//! One [`GcHeap`] per store. The API:
//!
//! - [`GcHeap::alloc`] returns a zeroed object with its header written, or
//!   `None` at the limit. It never collects: a caller that may collect asks
//!   [`GcHeap::should_collect`] first and runs [`GcHeap::collect`] (and, on
//!   `None`, collects and retries once before reporting out of memory).
//! - [`GcHeap::is_object`] tells heap pointers from host values.
//! - [`GcHeap::collect`] is a non-moving mark-sweep collection. Roots are the
//!   words the caller's `extra_roots` visits plus every word of the current
//!   thread's stack; both are conservative (a word anywhere inside an object
//!   keeps it alive), so callers never register stack roots.
//!
//! Only the stack and `extra_roots` are roots: a reference kept in host heap
//! memory (a `Vec`, a `Box`, a global's storage) must be visited by
//! `extra_roots`, or it dangles after a collection. Typical use:
//!
//! ```ignore
//! if heap.should_collect() {
//!     heap.collect(&mut |visit| store_roots.for_each(|w| visit(w)));
//! }
//! let obj = match heap.alloc(size, type_id, ObjectKind::Struct, true) {
//!     Some(obj) => obj,
//!     None => {
//!         heap.collect(&mut |visit| store_roots.for_each(|w| visit(w)));
//!         heap.alloc(size, type_id, ObjectKind::Struct, true).ok_or(OutOfMemory)?
//!     }
//! };
//! ```
//!
//! # Layout
//!
//! Memory comes from `mmap` in chunks (`chunk`). Normal chunks hold every
//! object up to `LARGE_OBJECT_BYTES`; their size doubles with the heap
//! (from `MIN_CHUNK_BYTES` to `MAX_CHUNK_BYTES`) so a small store maps
//! little and a large one few chunks. A larger object gets a chunk of its
//! own, unmapped as soon as the object dies. Chunks are kept sorted by
//! address: resolving a word is a range check, a binary search over the
//! chunks and a lookup in the chunk's object-start bitmap (one bit per
//! 16-byte granule).
//!
//! An object's flags word (`waot_abi::gc::HEADER_FLAGS`) holds, above the
//! kind bits, the mark bit, whether the object may hold references
//! (`SCAN_BIT`), and its size in granules, so the collector needs no side
//! table to find an object's extent.
//!
//! Free space in normal chunks is kept in segregated free lists
//! (`free_list`); the sweep rebuilds them, coalescing adjacent free space,
//! so fragmentation cannot accumulate across collections. Free memory is
//! kept zeroed (the sweep clears dead objects), which is what makes
//! allocation return zeroed objects cheaply.
//!
//! # Collection
//!
//! Marking uses an explicit stack (no recursion, so chains of any length are
//! fine) and traces objects allocated with `may_hold_refs` conservatively:
//! every aligned word after the header is a potential pointer. Sweeping
//! frees unmarked objects, unmaps huge chunks of dead objects and normal
//! chunks left empty beyond what the next cycle's allocation budget needs.
//! The next collection is due when the bytes allocated since this one exceed
//! `max(MIN_THRESHOLD_BYTES, 2 × live bytes)`: the heap peaks around three
//! times the live data, and marking costs at most half a byte of tracing per
//! byte allocated.
//!
//! Small objects are bump-allocated from a free run taken whole (the largest
//! one), so most allocations are an add and a compare; the run's rest goes
//! back on the free lists when a collection starts or a larger run is needed.

mod chunk;
mod collect;
mod free_list;
#[cfg(test)]
mod tests;

use std::cell::Cell;
use std::marker::PhantomData;
use std::ptr::NonNull;

use waot_abi::gc::{
    allocation_size, header_flags as new_header_flags, ObjectKind, VmGcBump, HEADER_FLAGS,
    HEADER_TYPE_ID, KIND_MASK, OBJECT_ALIGN, SCAN_BIT, SIZE_SHIFT,
};

use chunk::Chunk;
use free_list::FreeLists;

/// Allocation unit: every object starts on a granule and spans whole ones.
const GRANULE: usize = OBJECT_ALIGN as usize;
/// Objects above this size get a chunk of their own.
const LARGE_OBJECT_BYTES: usize = 256 * 1024;
/// Smallest normal chunk (unless the limit leaves less); a few large objects
/// fit.
const MIN_CHUNK_BYTES: usize = 1024 * 1024;
/// Largest normal chunk.
const MAX_CHUNK_BYTES: usize = 32 * 1024 * 1024;
/// Largest bump region: generated code allocates from the region without
/// asking whether a collection is due, so this bounds how late one starts.
const MAX_REGION_BYTES: usize = 256 * 1024;
/// Least allocation between two collections.
const MIN_THRESHOLD_BYTES: u64 = 8 * 1024 * 1024;
/// Default [`GcHeap::with_limit`].
const DEFAULT_LIMIT_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// Flags bit: marked by the current collection (clear outside one).
const MARK_BIT: u32 = 1 << 2;
const _: () = assert!(KIND_MASK & (MARK_BIT | SCAN_BIT) == 0 && KIND_MASK < MARK_BIT);
/// Largest object whose granule count fits above [`SIZE_SHIFT`].
const MAX_OBJECT_BYTES: u64 = (u32::MAX >> SIZE_SHIFT) as u64 * GRANULE as u64;

/// What [`GcHeap::collect`]'s `extra_roots` calls with each root word.
pub type RootVisitor<'a> = dyn FnMut(u64) + 'a;

/// Counters of a [`GcHeap`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GcStats {
    /// Collections run so far.
    pub collections: u64,
    /// Bytes of objects not freed: the survivors of the last collection plus
    /// everything allocated since (sizes rounded up to 16).
    pub live_bytes: u64,
    /// Bytes currently mapped for objects (chunks; their object-start
    /// bitmaps add 1/128 of the normal chunks).
    pub heap_bytes: u64,
    /// Bytes ever allocated (sizes rounded up to 16).
    pub allocated_bytes: u64,
}

/// A store's garbage-collected heap. Dropping it unmaps all its memory
/// (each chunk unmaps itself).
pub struct GcHeap {
    /// Every chunk, sorted by address.
    chunks: Vec<Chunk>,
    free: FreeLists,
    limit: u64,
    heap_bytes: u64,
    live_bytes: u64,
    allocated_bytes: u64,
    /// Allocated since the last collection.
    allocated_since: u64,
    /// The bump region: small objects are cut from `[cursor, end)`, part
    /// of a free run taken from the free lists, here and by generated code
    /// (`StoreContext::gc_bump` points to it), so most allocations are an
    /// add and a compare. Its unused rest has no free-block header until
    /// [`GcHeap::retire_bump_region`] gives it one.
    region: VmGcBump,
    /// Where the region's cursor was when the counters last included it.
    region_counted: usize,
    /// Index in `chunks` of the chunk holding the bump region.
    bump_chunk: usize,
    /// [`GcHeap::should_collect`] once `allocated_since` exceeds this.
    threshold: u64,
    collections: u64,
    /// Not `Sync`: a store (and its heap) is used by one thread at a time.
    _not_sync: PhantomData<Cell<()>>,
}

// SAFETY: the only pointer a heap holds, `region.starts`, points into the
// bitmap of one of its own chunks, which move with it; a store (and its
// heap) is used by one thread at a time.
unsafe impl Send for GcHeap {}

impl Default for GcHeap {
    fn default() -> GcHeap {
        GcHeap::new()
    }
}

impl GcHeap {
    /// An empty heap with the default limit (4 GiB); maps nothing yet.
    pub fn new() -> GcHeap {
        GcHeap::with_limit(DEFAULT_LIMIT_BYTES)
    }

    /// An empty heap that never maps more than `max_heap_bytes`.
    pub fn with_limit(max_heap_bytes: u64) -> GcHeap {
        GcHeap {
            chunks: Vec::new(),
            free: FreeLists::new(),
            limit: max_heap_bytes,
            heap_bytes: 0,
            live_bytes: 0,
            allocated_bytes: 0,
            allocated_since: 0,
            region: VmGcBump {
                cursor: 0,
                end: 0,
                starts: std::ptr::null_mut(),
                base: 0,
            },
            region_counted: 0,
            bump_chunk: 0,
            threshold: MIN_THRESHOLD_BYTES,
            collections: 0,
            _not_sync: PhantomData,
        }
    }

    /// A zeroed object of `size` bytes (header included; rounded up to 16)
    /// whose header holds `type_id` and `kind`. `may_hold_refs`: whether the
    /// collector must trace its words (false for, e.g., an `i8` array).
    /// `None` when the limit is reached or the OS refuses memory. Never
    /// collects.
    pub fn alloc(
        &mut self,
        size: u32,
        type_id: u32,
        kind: ObjectKind,
        may_hold_refs: bool,
    ) -> Option<NonNull<u8>> {
        // MAX_OBJECT_BYTES is a multiple of the granule, so a size up to it
        // rounds up to at most it (and never overflows).
        if u64::from(size) > MAX_OBJECT_BYTES {
            return None;
        }
        let bytes = allocation_size(size);
        let flags = new_header_flags(kind, may_hold_refs, bytes);
        let bytes = bytes as usize;
        let addr = if bytes > LARGE_OBJECT_BYTES {
            let addr = self.add_huge_chunk(bytes)?;
            self.count(bytes as u64);
            addr
        } else {
            if self.region.end - self.region.cursor < bytes {
                self.refill_bump_region(bytes)?;
            }
            let addr = self.region.cursor;
            self.region.cursor += bytes;
            self.chunks[self.bump_chunk].set_start(addr);
            addr
        };
        // SAFETY: `addr` is a fresh, zeroed object of `bytes` (at least 16)
        // bytes, 16-byte aligned.
        unsafe {
            (addr as *mut u32)
                .byte_add(HEADER_TYPE_ID as usize)
                .write(type_id);
            (addr as *mut u32)
                .byte_add(HEADER_FLAGS as usize)
                .write(flags);
        }
        NonNull::new(addr as *mut u8)
    }

    /// The bump region generated code allocates from; its address is
    /// stable while the heap does not move (the store boxes it).
    pub fn bump_region(&mut self) -> *mut VmGcBump {
        &mut self.region
    }

    /// Adds `bytes` of new objects to the counters.
    fn count(&mut self, bytes: u64) {
        self.live_bytes += bytes;
        self.allocated_bytes += bytes;
        self.allocated_since += bytes;
    }

    /// Bytes bumped out of the region since the counters last included it.
    fn uncounted(&self) -> u64 {
        (self.region.cursor - self.region_counted) as u64
    }

    /// Whether `word` is the start address of an allocated object of this
    /// heap.
    pub fn is_object(&self, word: u64) -> bool {
        let Ok(addr) = usize::try_from(word) else {
            return false;
        };
        self.chunk_index(addr)
            .is_some_and(|i| self.chunks[i].is_start(addr))
    }

    /// Whether enough has been allocated since the last collection that the
    /// next allocation should collect first.
    pub fn should_collect(&self) -> bool {
        self.allocated_since + self.uncounted() > self.threshold
    }

    /// The heap's counters.
    pub fn stats(&self) -> GcStats {
        GcStats {
            collections: self.collections,
            live_bytes: self.live_bytes + self.uncounted(),
            heap_bytes: self.heap_bytes,
            allocated_bytes: self.allocated_bytes + self.uncounted(),
        }
    }

    /// Makes the bump region at least `bytes` of free memory: the start of
    /// the largest free run (at most [`MAX_REGION_BYTES`] of it, the rest
    /// stays free), or of a new chunk. The old region's rest goes back on
    /// the free lists.
    fn refill_bump_region(&mut self, bytes: usize) -> Option<()> {
        self.retire_bump_region();
        let granules = bytes / GRANULE;
        let (addr, run) = match self.free.take_run(granules) {
            Some(found) => found,
            None => {
                self.add_normal_chunk(bytes)?;
                self.free.take_run(granules)?
            }
        };
        let len = (run * GRANULE).min(bytes.max(MAX_REGION_BYTES));
        if len < run * GRANULE {
            // SAFETY: the run's rest is zeroed free memory nothing else uses.
            unsafe { self.free.push(addr + len, run - len / GRANULE) };
        }
        let i = self.chunk_index(addr).expect("free runs lie in chunks");
        self.bump_chunk = i;
        self.region = VmGcBump {
            cursor: addr,
            end: addr + len,
            starts: self.chunks[i].starts_ptr(),
            base: self.chunks[i].base(),
        };
        self.region_counted = addr;
        Some(())
    }

    /// Counts what was bumped out of the region, gives its unused rest a
    /// free-block header and puts it back on the free lists (so the sweep
    /// can walk over it), and empties it.
    fn retire_bump_region(&mut self) {
        self.count(self.uncounted());
        let VmGcBump { cursor, end, .. } = self.region;
        if cursor < end {
            // SAFETY: the rest of the bump region is zeroed free memory of a
            // normal chunk that no object or list uses.
            unsafe { self.free.push(cursor, (end - cursor) / GRANULE) };
        }
        (self.region.cursor, self.region.end) = (0, 0);
        self.region_counted = 0;
    }

    /// The index of the chunk whose range includes `addr`.
    fn chunk_index(&self, addr: usize) -> Option<usize> {
        let (first, last) = (self.chunks.first()?, self.chunks.last()?);
        if addr < first.base() || addr >= last.end() {
            return None;
        }
        let i = self.chunks.partition_point(|c| c.base() <= addr) - 1;
        (addr < self.chunks[i].end()).then_some(i)
    }

    fn insert_chunk(&mut self, chunk: Chunk) {
        self.heap_bytes += chunk.len() as u64;
        let i = self.chunks.partition_point(|c| c.base() < chunk.base());
        if self.region.cursor < self.region.end && i <= self.bump_chunk {
            self.bump_chunk += 1;
        }
        self.chunks.insert(i, chunk);
    }

    /// Maps a chunk for one object of `bytes` and returns its address.
    fn add_huge_chunk(&mut self, bytes: usize) -> Option<usize> {
        let len = bytes.next_multiple_of(page_size());
        if self.heap_bytes + len as u64 > self.limit {
            return None;
        }
        let chunk = Chunk::map_huge(len)?;
        let base = chunk.base();
        self.insert_chunk(chunk);
        Some(base)
    }

    /// Maps a normal chunk with room for an object of `bytes` and puts it on
    /// the free lists. Its size is the normal chunks' total so far (the heap
    /// doubles), within the chunk size bounds and the limit.
    fn add_normal_chunk(&mut self, bytes: usize) -> Option<()> {
        let page = page_size();
        let normal: usize = self
            .chunks
            .iter()
            .filter(|c| !c.is_huge())
            .map(Chunk::len)
            .sum();
        let room =
            usize::try_from(self.limit.saturating_sub(self.heap_bytes)).unwrap_or(usize::MAX);
        let len = normal
            .next_power_of_two()
            .clamp(MIN_CHUNK_BYTES, MAX_CHUNK_BYTES)
            .min(room / page * page);
        if len < bytes {
            return None;
        }
        let chunk = Chunk::map_normal(len)?;
        let base = chunk.base();
        self.insert_chunk(chunk);
        // SAFETY: the whole fresh (zeroed) chunk is one free block.
        unsafe { self.free.push(base, len / GRANULE) };
        Some(())
    }
}

/// The size in bytes of the allocated object at `addr`, from its header.
///
/// # Safety
/// `addr` must be an allocated object.
unsafe fn header_size(addr: usize) -> usize {
    // SAFETY: the caller guarantees `addr` has a header.
    let flags = unsafe { header_flags(addr).read() };
    (flags >> SIZE_SHIFT) as usize * GRANULE
}

/// The flags word of the object at `addr`.
fn header_flags(addr: usize) -> *mut u32 {
    (addr + HEADER_FLAGS as usize) as *mut u32
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(page).unwrap_or(4096)
}
