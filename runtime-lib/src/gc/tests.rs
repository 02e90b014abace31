//! The allocator and the collector, including conservative stack roots.
//!
//! The stack is scanned conservatively, so a test that expects an object to
//! be freed allocates it in a separate frame, keeps only its complement
//! (`!addr`, never a pointer) and states the collection's stack words
//! instead of scanning the real stack. Heaps are boxed, as a store boxes
//! its own: a heap's fields (its bump region) hold addresses inside the
//! heap, which the stack scan would otherwise see as references.

use std::hint::black_box;
use std::ptr::NonNull;

use waot_abi::gc::{ObjectKind, HEADER_FLAGS, HEADER_TYPE_ID, KIND_MASK};

use super::{GcHeap, LARGE_OBJECT_BYTES};

fn no_roots(_: &mut super::RootVisitor) {}

fn read_u32(obj: u64, offset: u64) -> u32 {
    // SAFETY: the tests only read inside objects they allocated.
    unsafe { ((obj + offset) as *const u32).read() }
}

fn read_u64(obj: u64, offset: u64) -> u64 {
    // SAFETY: as above.
    unsafe { ((obj + offset) as *const u64).read() }
}

fn write_u64(obj: u64, offset: u64, value: u64) {
    // SAFETY: the tests only write inside objects they allocated.
    unsafe { ((obj + offset) as *mut u64).write(value) }
}

fn addr(p: NonNull<u8>) -> u64 {
    p.as_ptr() as u64
}

/// Allocates `n` unrooted objects of `size` bytes (filled with ones, so a
/// reuse that skips zeroing shows) and returns their complements.
#[inline(never)]
fn garbage(heap: &mut GcHeap, n: usize, size: u32) -> Vec<u64> {
    (0..n)
        .map(|_| {
            let obj = addr(heap.alloc(size, 7, ObjectKind::Struct, true).unwrap());
            // SAFETY: the object is `size` bytes long.
            unsafe { std::ptr::write_bytes((obj + 8) as *mut u8, 0xff, size as usize - 8) };
            !obj
        })
        .collect()
}

/// Overwrites the dead stack below the caller, where earlier calls may have
/// left copies of pointers the next collection would find.
#[inline(never)]
fn clear_dead_stack() {
    black_box(&mut [0u64; 16 * 1024]);
}

/// Whether the object whose complement is `hidden` is allocated (not
/// inlined, so the caller never holds the object's address).
#[inline(never)]
fn is_live(heap: &GcHeap, hidden: u64) -> bool {
    heap.is_object(!hidden)
}

/// Collects with this thread's stack as the only root; the caller keeps
/// its objects in locals.
fn collect_with_this_stack(heap: &mut GcHeap) {
    clear_dead_stack();
    heap.collect(&mut no_roots);
}

/// Collects with `hidden` (complements of objects) as the only roots. The
/// real stack is not scanned: registers and stack slots may still hold an
/// address from a computation a moment ago (even a fresh thread's stack may
/// be a reused one), which would keep an object the test expects freed.
fn collect_rooted(heap: &mut GcHeap, hidden: &[u64]) {
    heap.collect_with_stack_words(&[], &mut |visit| hidden.iter().for_each(|&h| visit(!h)));
}

fn collect_unrooted(heap: &mut GcHeap) {
    collect_rooted(heap, &[]);
}

#[test]
fn alloc_zeroes_and_writes_the_header() {
    let mut heap = Box::new(GcHeap::new());
    assert_eq!(heap.stats().heap_bytes, 0);
    for (size, kind) in [
        // An empty struct is just a header, rounded up to a granule.
        (8, ObjectKind::Struct),
        (16, ObjectKind::ExternBox),
        (24, ObjectKind::Struct),
        (4096, ObjectKind::Array),
        (LARGE_OBJECT_BYTES as u32 + 8, ObjectKind::Array),
    ] {
        let obj = addr(heap.alloc(size, 42, kind, false).unwrap());
        assert_eq!(obj % 16, 0);
        assert_eq!(read_u32(obj, HEADER_TYPE_ID.into()), 42);
        assert_eq!(read_u32(obj, HEADER_FLAGS.into()) & KIND_MASK, kind as u32);
        assert!((8..size as u64).step_by(8).all(|o| read_u64(obj, o) == 0));
    }
    let stats = heap.stats();
    assert_eq!(
        stats.live_bytes,
        16 + 16 + 32 + 4096 + LARGE_OBJECT_BYTES as u64 + 16
    );
    assert_eq!(stats.allocated_bytes, stats.live_bytes);
    assert!(stats.heap_bytes >= stats.live_bytes);
}

/// What generated code does for `struct.new` when the bump region has
/// room (`translate/ops/gc.rs`, `allocate_struct`).
fn bump_inline(heap: &mut GcHeap, bytes: usize, type_id: u32) -> Option<u64> {
    let region = heap.bump_region();
    // SAFETY: the region belongs to `heap`, which is not in use meanwhile.
    unsafe {
        let r = &mut *region;
        if r.cursor + bytes > r.end {
            return None;
        }
        let obj = r.cursor;
        r.cursor += bytes;
        (obj as *mut u32).write(type_id);
        (obj as *mut u32).add(1).write(waot_abi::gc::header_flags(
            ObjectKind::Struct,
            true,
            bytes as u32,
        ));
        let granule = (obj - r.base) / 16;
        *r.starts.add(granule / 64) |= 1 << (granule % 64);
        Some(obj as u64)
    }
}

/// 1000 linked 32-byte structs, the first from `alloc`, the rest bumped
/// inline; returns their complements.
#[inline(never)]
fn bumped_list(heap: &mut GcHeap) -> Vec<u64> {
    let first = addr(heap.alloc(32, 3, ObjectKind::Struct, true).unwrap());
    let mut objects = vec![first];
    while objects.len() < 1000 {
        let obj = bump_inline(heap, 32, 3).expect("the region holds 1000 objects");
        write_u64(*objects.last().unwrap(), 8, obj);
        objects.push(obj);
    }
    objects.iter().map(|&o| !o).collect()
}

#[test]
fn objects_bumped_inline_are_like_allocated_ones() {
    let mut heap = Box::new(GcHeap::new());
    let objects = bumped_list(&mut heap);
    assert!(objects.iter().all(|&o| is_live(&heap, o)));
    assert_eq!(heap.stats().live_bytes, 32 * 1000);
    // Reachable from the first, they all survive; then they are garbage.
    collect_rooted(&mut heap, &[objects[0]]);
    assert!(objects.iter().all(|&o| is_live(&heap, o)));
    assert_eq!(heap.stats().live_bytes, 32 * 1000);
    collect_unrooted(&mut heap);
    assert_eq!(heap.stats().live_bytes, 0);
}

#[test]
fn is_object_only_for_object_starts() {
    let mut heap = Box::new(GcHeap::new());
    assert!(!heap.is_object(0));
    let a = addr(heap.alloc(48, 1, ObjectKind::Struct, true).unwrap());
    let b = addr(heap.alloc(16, 1, ObjectKind::Struct, true).unwrap());
    let huge = addr(heap.alloc(1 << 20, 1, ObjectKind::Array, false).unwrap());
    for (obj, size) in [(a, 48), (b, 16), (huge, 1 << 20)] {
        assert!(heap.is_object(obj));
        assert!((8..size).step_by(8).all(|o| !heap.is_object(obj + o)));
    }
    assert!(!heap.is_object(1));
    assert!(!heap.is_object(u64::MAX));
    let local = 0u64;
    assert!(!heap.is_object(&local as *const u64 as u64));
}

#[test]
fn unreachable_objects_are_freed_and_their_memory_zeroed_for_reuse() {
    let mut heap = Box::new(GcHeap::new());
    let dead = garbage(&mut heap, 10_000, 64);
    let huge = garbage(&mut heap, 1, 1 << 20);
    let before = heap.stats();
    assert_eq!(before.live_bytes, 10_000 * 64 + (1 << 20));
    collect_unrooted(&mut heap);
    let stats = heap.stats();
    assert_eq!(stats.collections, 1);
    assert_eq!(stats.live_bytes, 0);
    assert!(dead.iter().chain(&huge).all(|&d| !is_live(&heap, d)));
    assert!(
        stats.heap_bytes <= before.heap_bytes - (1 << 20),
        "the huge chunk is unmapped"
    );
    // The freed memory comes back zeroed.
    for _ in 0..20_000 {
        let obj = addr(heap.alloc(64, 1, ObjectKind::Struct, true).unwrap());
        assert!((8..64).step_by(8).all(|o| read_u64(obj, o) == 0));
    }
}

#[test]
fn a_stack_local_keeps_its_object_alive() {
    let mut heap = Box::new(GcHeap::new());
    let kept = [addr(heap.alloc(32, 5, ObjectKind::Struct, true).unwrap())];
    // Only an interior pointer, as generated code may hold.
    let interior = [addr(heap.alloc(64, 5, ObjectKind::Struct, true).unwrap()) + 40];
    black_box(&kept);
    black_box(&interior);
    collect_with_this_stack(&mut heap);
    black_box(&kept);
    black_box(&interior);
    assert!(heap.is_object(kept[0]));
    assert!(heap.is_object(interior[0] - 40));
    assert_eq!(read_u32(kept[0], HEADER_TYPE_ID.into()), 5);
    assert_eq!(heap.stats().live_bytes, 32 + 64);
}

#[test]
fn extra_roots_keep_objects_alive() {
    let mut heap = Box::new(GcHeap::new());
    let rooted = garbage(&mut heap, 1, 32)[0];
    let dead = garbage(&mut heap, 1, 32)[0];
    collect_rooted(&mut heap, &[rooted]);
    assert!(is_live(&heap, rooted));
    assert!(!is_live(&heap, dead));
    assert_eq!(heap.stats().live_bytes, 32);
}

/// A linked list of `n` two-word structs, oldest first; returns the
/// complement of the newest.
#[inline(never)]
fn chain(heap: &mut GcHeap, n: usize, nodes: &mut Vec<u64>) -> u64 {
    let mut prev = 0;
    for _ in 0..n {
        let node = addr(heap.alloc(16, 3, ObjectKind::Struct, true).unwrap());
        write_u64(node, 8, prev);
        nodes.push(!node);
        prev = node;
    }
    !prev
}

/// Asserts each node of `chain` points to the one before.
#[inline(never)]
fn check_links(nodes: &[u64]) {
    assert!(nodes.windows(2).all(|w| read_u64(!w[1], 8) == !w[0]));
}

#[test]
fn objects_reachable_through_fields_survive_however_deep() {
    const N: usize = 1_000_000;
    let mut heap = Box::new(GcHeap::new());
    let mut nodes = Vec::with_capacity(N);
    let head = chain(&mut heap, N, &mut nodes);
    collect_rooted(&mut heap, &[head]);
    assert_eq!(heap.stats().live_bytes, 16 * N as u64);
    assert!(nodes.iter().all(|&n| is_live(&heap, n)));
    check_links(&nodes);
    collect_unrooted(&mut heap);
    assert_eq!(heap.stats().live_bytes, 0);
}

/// A struct whose field points 8 bytes into another struct; returns the
/// complements of both.
#[inline(never)]
fn interior_link(heap: &mut GcHeap) -> (u64, u64) {
    let target = addr(heap.alloc(32, 1, ObjectKind::Struct, true).unwrap());
    let holder = addr(heap.alloc(16, 1, ObjectKind::Struct, true).unwrap());
    write_u64(holder, 8, target + 8);
    (!holder, !target)
}

#[test]
fn fields_hold_whole_references_only() {
    // Wasm stores only object starts in fields: a word pointing inside an
    // object is a number, and does not keep that object alive.
    let mut heap = Box::new(GcHeap::new());
    let (holder, target) = interior_link(&mut heap);
    collect_rooted(&mut heap, &[holder]);
    assert!(is_live(&heap, holder));
    assert!(!is_live(&heap, target));
    assert_eq!(heap.stats().live_bytes, 16);
}

#[test]
fn collections_are_due_after_the_threshold() {
    let mut heap = Box::new(GcHeap::new());
    while !heap.should_collect() {
        garbage_one(&mut heap);
    }
    assert!(heap.stats().allocated_bytes > super::MIN_THRESHOLD_BYTES);
    collect_unrooted(&mut heap);
    assert!(!heap.should_collect());
}

/// An `i8` array holding the address `!target`; returns its complement.
#[inline(never)]
fn bytes_pointing_to(heap: &mut GcHeap, target: u64) -> u64 {
    let bytes = addr(heap.alloc(24, 9, ObjectKind::Array, false).unwrap());
    write_u64(bytes, 16, !target);
    !bytes
}

#[test]
fn objects_not_scanned_do_not_keep_others_alive() {
    let mut heap = Box::new(GcHeap::new());
    let target = garbage(&mut heap, 1, 16)[0];
    let hidden = bytes_pointing_to(&mut heap, target);
    collect_rooted(&mut heap, &[hidden]);
    assert!(is_live(&heap, hidden));
    assert!(!is_live(&heap, target));
}

/// Collects while the stack holds only `!hidden + offset`.
fn collect_with_stack_word(heap: &mut GcHeap, hidden: u64, offset: u64) {
    heap.collect_with_stack_words(&[(!hidden).wrapping_add(offset)], &mut no_roots);
}

#[test]
fn huge_objects_live_and_die() {
    const SIZE: u64 = 3 << 20;
    let mut heap = Box::new(GcHeap::new());
    let obj = garbage(&mut heap, 1, SIZE as u32)[0];
    assert!(heap.stats().heap_bytes >= SIZE);
    // A pointer to its last byte keeps it.
    collect_with_stack_word(&mut heap, obj, SIZE - 1);
    assert!(is_live(&heap, obj));
    // One past its end does not.
    collect_with_stack_word(&mut heap, obj, SIZE);
    assert!(!is_live(&heap, obj));
    assert_eq!(heap.stats().heap_bytes, 0);
}

#[test]
fn the_limit_returns_none_until_a_collection_frees_memory() {
    let limit = 1 << 20;
    let mut heap = Box::new(GcHeap::with_limit(limit));
    assert!(heap.alloc(2 << 20, 1, ObjectKind::Array, false).is_none());
    let dead = garbage(&mut heap, 1, 4096);
    let mut n = 0;
    while garbage_one(&mut heap) {
        n += 1;
    }
    assert!(n > 100);
    assert!(heap.stats().heap_bytes <= limit);
    assert!(heap.alloc(4096, 1, ObjectKind::Array, false).is_none());
    collect_unrooted(&mut heap);
    assert!(!is_live(&heap, dead[0]));
    assert!(heap.alloc(4096, 1, ObjectKind::Array, false).is_some());
}

#[inline(never)]
fn garbage_one(heap: &mut GcHeap) -> bool {
    heap.alloc(4096, 1, ObjectKind::Array, false).is_some()
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn memory_is_reused_in_a_long_allocation_loop() {
    const TOTAL: u64 = if cfg!(target_arch = "x86_64") {
        10 << 30
    } else {
        1 << 30
    };
    const LIVE: usize = 256;
    let mut heap = Box::new(GcHeap::new());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // Live objects, held where the collector does not look (host memory),
    // so they are passed as extra roots; each remembers its slot.
    let mut live = vec![0u64; LIVE];
    let mut max_heap = 0;
    while heap.stats().allocated_bytes < TOTAL {
        if heap.should_collect() {
            heap.collect(&mut |visit| live.iter().for_each(|&w| visit(w)));
            max_heap = max_heap.max(heap.stats().heap_bytes);
        }
        // Mostly small sizes, some up to 8 KiB (splitting and coalescing
        // free blocks), a few huge (chunks of their own).
        let r = rng.next();
        let size = match r % 4096 {
            0 => 16 + (r >> 8) % (1 << 20),
            1..256 => 16 + (r >> 8) % 8192,
            _ => 16 + (r >> 8) % 256,
        };
        let obj = addr(
            heap.alloc(size as u32 & !7, 1, ObjectKind::Struct, true)
                .unwrap(),
        );
        let slot = (r >> 32) as usize % LIVE;
        let old = live[slot];
        if old != 0 {
            assert_eq!(
                read_u64(old, 8),
                slot as u64 + 1,
                "a live object was reused"
            );
        }
        assert_eq!(read_u64(obj, 8), 0);
        write_u64(obj, 8, slot as u64 + 1);
        live[slot] = obj;
    }
    let stats = heap.stats();
    assert!(stats.collections > 100);
    assert!(max_heap < 64 << 20, "heap grew to {max_heap} bytes");
}

#[test]
fn a_random_graph_survives_many_collections() {
    const ROOTS: usize = 64;
    let mut heap = Box::new(GcHeap::new());
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    // Each node: its serial number at offset 8, then up to 6 links to
    // older nodes. A link to a node freed too early shows as a node that
    // is not an object, or a newer serial (memory reused).
    let mut roots = vec![0u64; ROOTS];
    for serial in 1..=2_000_000u64 {
        if heap.should_collect() {
            heap.collect(&mut |visit| roots.iter().for_each(|&w| visit(w)));
        }
        let r = rng.next();
        let links = r % 7;
        let node = addr(
            heap.alloc(16 + 8 * links as u32, 77, ObjectKind::Struct, true)
                .unwrap(),
        );
        write_u64(node, 8, serial);
        for j in 0..links {
            let target = roots[(rng.next() % ROOTS as u64) as usize];
            write_u64(node, 16 + 8 * j, target);
        }
        roots[(r >> 32) as usize % ROOTS] = node;
    }
    assert!(heap.stats().collections > 0);
    let mut seen = std::collections::HashSet::new();
    let mut stack: Vec<(u64, u64)> = roots.iter().map(|&n| (n, u64::MAX)).collect();
    while let Some((link, parent_serial)) = stack.pop() {
        if link == 0 {
            continue;
        }
        let node = link;
        assert!(heap.is_object(node));
        assert_eq!(read_u32(node, HEADER_TYPE_ID.into()), 77);
        let serial = read_u64(node, 8);
        assert!(
            serial < parent_serial,
            "node {serial} reused under {parent_serial}"
        );
        if seen.insert(node) {
            let size = (read_u32(node, HEADER_FLAGS.into()) >> super::SIZE_SHIFT) as u64 * 16;
            stack.extend((16..size).step_by(8).map(|o| (read_u64(node, o), serial)));
        }
    }
}

#[test]
fn a_heap_moves_between_threads() {
    let mut heap = Box::new(GcHeap::new());
    let obj = garbage(&mut heap, 1, 16)[0];
    let heap = std::thread::spawn(move || {
        clear_dead_stack();
        heap.collect(&mut |visit| visit(!obj));
        heap
    })
    .join()
    .unwrap();
    assert!(is_live(&heap, obj));
    assert_eq!(heap.stats().collections, 1);
}
