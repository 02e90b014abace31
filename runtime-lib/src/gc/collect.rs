//! Mark-sweep collection: conservative roots (the thread's stack and the
//! store's words), conservative tracing, and a sweep that rebuilds the free
//! lists and gives empty chunks back to the OS.

use std::arch::asm;

use super::chunk::Chunk;
use super::free_list::FreeLists;
use super::{
    header_flags, header_size, GcHeap, RootVisitor, GRANULE, MARK_BIT, MIN_THRESHOLD_BYTES,
    SCAN_BIT, SIZE_SHIFT,
};
use crate::trap::signals::thread_stack_bounds;

/// Visits the conservative roots with the given visitor; false when they
/// cannot be known (the collection is then skipped).
type StackScan<'a> = dyn FnMut(&mut dyn FnMut(u64)) -> bool + 'a;

impl GcHeap {
    /// Frees every object not reachable from a root: a word of the current
    /// thread's stack (from this call's frame to the stack top, callee-saved
    /// registers included) or a word `extra_roots` passes to its visitor
    /// (the store's globals, table slots, exception payloads and host-held
    /// references). Any word pointing inside an object keeps it alive.
    ///
    /// Does nothing when the thread's stack bounds are unknown (or this runs
    /// on another stack, such as a signal stack): live objects could be
    /// missed.
    pub fn collect(&mut self, extra_roots: &mut dyn FnMut(&mut RootVisitor)) {
        self.collect_from(&mut scan_stack, extra_roots);
    }

    /// Collects as [`collect`](Self::collect) would if the stack held
    /// exactly `stack_words`: the tests' way to state the conservative roots
    /// without the stale words a real stack and registers may hold.
    #[cfg(test)]
    pub(super) fn collect_with_stack_words(
        &mut self,
        stack_words: &[u64],
        extra_roots: &mut dyn FnMut(&mut RootVisitor),
    ) {
        self.collect_from(
            &mut |visit| {
                stack_words.iter().for_each(|&w| visit(w));
                true
            },
            extra_roots,
        );
    }

    /// Collects with the words `scan_stack` visits as conservative roots;
    /// does nothing when it returns false (stack bounds unknown).
    fn collect_from(
        &mut self,
        scan_stack: &mut StackScan,
        extra_roots: &mut dyn FnMut(&mut RootVisitor),
    ) {
        self.allocated_since = 0;
        self.retire_bump_region();
        let mut marker = Marker {
            heap: self,
            stack: Vec::new(),
        };
        if !scan_stack(&mut |word| marker.mark(word)) {
            return;
        }
        extra_roots(&mut |word| marker.mark_exact(word));
        marker.trace();
        self.sweep();
        self.collections += 1;
    }

    /// Frees unmarked objects, clears the marks of the others, rebuilds the
    /// free lists and unmaps the chunks not needed before the next
    /// collection.
    fn sweep(&mut self) {
        self.free.clear();
        let mut kept = Vec::with_capacity(self.chunks.len());
        let mut empty = Vec::new();
        let (mut live, mut normal_live, mut normal_len) = (0, 0, 0);
        for mut chunk in self.chunks.drain(..) {
            if chunk.is_huge() {
                let flags = header_flags(chunk.base());
                // SAFETY: a huge chunk's object is allocated at its base.
                let f = unsafe { flags.read() };
                if f & MARK_BIT != 0 {
                    // SAFETY: as above.
                    unsafe { flags.write(f & !MARK_BIT) };
                    // SAFETY: as above.
                    live += unsafe { header_size(chunk.base()) } as u64;
                    kept.push(chunk);
                } else {
                    self.heap_bytes -= chunk.len() as u64;
                }
                continue;
            }
            let chunk_live = sweep_chunk(&mut chunk, &mut self.free);
            if chunk_live == 0 {
                empty.push(chunk);
            } else {
                live += chunk_live;
                normal_live += chunk_live;
                normal_len += chunk.len() as u64;
                kept.push(chunk);
            }
        }
        self.live_bytes = live;
        self.threshold = (2 * live).max(MIN_THRESHOLD_BYTES);
        // Keep empty chunks while the free space is below what the next
        // cycle may allocate (so a steady allocate-and-drop loop does not map
        // and unmap each cycle); unmap the rest.
        let mut free = normal_len - normal_live;
        for chunk in empty {
            if free < self.threshold {
                free += chunk.len() as u64;
                // SAFETY: the chunk holds no object, and sweeping left it
                // zeroed.
                unsafe { self.free.push(chunk.base(), chunk.len() / GRANULE) };
                kept.push(chunk);
            } else {
                self.heap_bytes -= chunk.len() as u64;
            }
        }
        kept.sort_unstable_by_key(Chunk::base);
        self.chunks = kept;
    }
}

/// The marking state: objects marked but not yet traced.
struct Marker<'a> {
    heap: &'a GcHeap,
    stack: Vec<usize>,
}

impl Marker<'_> {
    /// Marks the object `word` points into, if any, and queues it for
    /// tracing. For stack words: generated code may keep only a derived
    /// address (inside an object) live across a call.
    fn mark(&mut self, word: u64) {
        let Ok(addr) = usize::try_from(word) else {
            return;
        };
        let Some(i) = self.heap.chunk_index(addr) else {
            return;
        };
        if let Some(obj) = self.heap.chunks[i].object_containing(addr) {
            self.mark_object(obj);
        }
    }

    /// Marks the object starting at `word`, if any. For words in objects,
    /// globals and tables: wasm stores only whole references there, so a
    /// word that is not an object's start (null, an `i31`, a host value, a
    /// number) points to nothing. Cheaper than [`Marker::mark`], which
    /// matters because tracing visits every word of every live object.
    fn mark_exact(&mut self, word: u64) {
        if word == 0 || !word.is_multiple_of(GRANULE as u64) {
            return;
        }
        let Ok(addr) = usize::try_from(word) else {
            return;
        };
        if self
            .heap
            .chunk_index(addr)
            .is_some_and(|i| self.heap.chunks[i].is_start(addr))
        {
            self.mark_object(addr);
        }
    }

    /// Marks the allocated object `obj` and queues it for tracing if it
    /// may hold references.
    fn mark_object(&mut self, obj: usize) {
        let flags = header_flags(obj);
        // SAFETY: `obj` is an allocated object of the heap.
        let f = unsafe { flags.read() };
        if f & MARK_BIT == 0 {
            // SAFETY: as above; the heap is borrowed mutably by `collect`, so
            // nothing else touches its objects.
            unsafe { flags.write(f | MARK_BIT) };
            if f & SCAN_BIT != 0 {
                self.stack.push(obj);
            }
        }
    }

    /// Marks everything reachable from the queued objects.
    fn trace(&mut self) {
        while let Some(obj) = self.stack.pop() {
            // SAFETY: queued objects are allocated.
            let size = unsafe { header_flags(obj).read() } >> SIZE_SHIFT;
            let end = obj + size as usize * GRANULE;
            // Every word after the header.
            for addr in (obj + 8..end).step_by(8) {
                // SAFETY: inside the allocated object.
                self.mark_exact(unsafe { (addr as *const u64).read() });
            }
        }
    }
}

/// Frees the unmarked objects of a normal chunk and clears the marks of the
/// others; puts each maximal run of free space on `free`, except when the
/// whole chunk is free. Returns the bytes of the surviving objects.
fn sweep_chunk(chunk: &mut Chunk, free: &mut FreeLists) -> u64 {
    let mut live = 0;
    // Start of the free run being built.
    let mut run = None;
    let mut pos = chunk.base();
    while pos < chunk.end() {
        let size;
        if chunk.is_start(pos) {
            let flags = header_flags(pos);
            // SAFETY: an object starts at `pos`.
            let f = unsafe { flags.read() };
            size = (f >> SIZE_SHIFT) as usize * GRANULE;
            if f & MARK_BIT != 0 {
                // SAFETY: as above.
                unsafe { flags.write(f & !MARK_BIT) };
                live += size as u64;
                if let Some(start) = run.take() {
                    // SAFETY: `[start, pos)` is free and zeroed past its
                    // first block's header.
                    unsafe { free.push(start, (pos - start) / GRANULE) };
                }
            } else {
                chunk.clear_start(pos);
                // SAFETY: the dead object's bytes are ours to reuse; free
                // memory is kept zeroed.
                unsafe { std::ptr::write_bytes(pos as *mut u8, 0, size) };
                run.get_or_insert(pos);
            }
        } else {
            // SAFETY: what is not an object is a free block, which starts
            // with its size; its header is cleared as it joins the run.
            unsafe {
                size = (pos as *const u64).read() as usize;
                (pos as *mut [u64; 2]).write([0, 0]);
            }
            run.get_or_insert(pos);
        }
        debug_assert!(size > 0 && size % GRANULE == 0);
        pos += size;
    }
    if let Some(start) = run.filter(|_| live > 0) {
        // SAFETY: as above.
        unsafe { free.push(start, (pos - start) / GRANULE) };
    }
    live
}

/// Calls `visit` with every word of the current thread's stack from this
/// frame to the stack top, and with the callee-saved registers (which may
/// hold a caller's references). False when the stack's bounds are unknown
/// or do not include this frame.
#[inline(never)]
fn scan_stack(visit: &mut dyn FnMut(u64)) -> bool {
    let mut regs = [0u64; CALLEE_SAVED];
    let sp = spill_callee_saved(&mut regs);
    let (low, high) = thread_stack_bounds();
    if !(low..high).contains(&sp) {
        return false;
    }
    // `regs` is in this frame, so at or above `sp`.
    for addr in (sp & !7..high).step_by(8) {
        // SAFETY: `[sp, high)` is this thread's stack, mapped and readable.
        // Volatile: the bytes are other frames' (possibly uninitialized)
        // slots, read as plain integers.
        visit(unsafe { (addr as *const u64).read_volatile() });
    }
    std::hint::black_box(&regs);
    true
}

#[cfg(target_arch = "x86_64")]
const CALLEE_SAVED: usize = 6;

/// Stores rbx, rbp and r12-r15 in `regs`; returns the stack pointer.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn spill_callee_saved(regs: &mut [u64; CALLEE_SAVED]) -> usize {
    let sp: usize;
    // SAFETY: writes six words to `regs`, which has room for them; reads
    // registers only.
    unsafe {
        asm!(
            "mov [{r}], rbx",
            "mov [{r} + 8], rbp",
            "mov [{r} + 16], r12",
            "mov [{r} + 24], r13",
            "mov [{r} + 32], r14",
            "mov [{r} + 40], r15",
            "mov {sp}, rsp",
            r = in(reg) regs.as_mut_ptr(),
            sp = out(reg) sp,
            options(nostack, preserves_flags),
        );
    }
    sp
}

#[cfg(target_arch = "aarch64")]
const CALLEE_SAVED: usize = 11;

/// Stores x19-x29 in `regs` (d8-d15 never hold pointers); returns the stack
/// pointer.
#[cfg(target_arch = "aarch64")]
#[inline(always)]
fn spill_callee_saved(regs: &mut [u64; CALLEE_SAVED]) -> usize {
    let sp: usize;
    // SAFETY: writes eleven words to `regs`, which has room for them; reads
    // registers only.
    unsafe {
        asm!(
            "stp x19, x20, [{r}]",
            "stp x21, x22, [{r}, #16]",
            "stp x23, x24, [{r}, #32]",
            "stp x25, x26, [{r}, #48]",
            "stp x27, x28, [{r}, #64]",
            "str x29, [{r}, #80]",
            "mov {sp}, sp",
            r = in(reg) regs.as_mut_ptr(),
            sp = out(reg) sp,
            options(nostack, preserves_flags),
        );
    }
    sp
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
compile_error!("the GC's stack scanning supports x86_64 and aarch64 only");
