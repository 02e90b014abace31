//! Linear memories (spec §4.2.8 "memory instances").
//!
//! A 32-bit memory with 64 KiB pages reserves 8 GiB + 64 KiB of address
//! space up front (`PROT_NONE`, `MAP_NORESERVE`): 4 GiB of addressable
//! memory plus 4 GiB of guard, which covers any `u32` address plus `u32`
//! offset plus access size. Generated code therefore never bounds-checks its
//! loads and stores; the fault is the check.
//!
//! A 64-bit memory (memory64) cannot be covered by a guard, so generated
//! code checks every access against `current_length`. It reserves its
//! maximum up front, capped at [`MAX_PAGES_64`] pages (16 GiB); a memory
//! without a declared maximum reserves the whole cap. No guard follows it.
//!
//! A memory with 1-byte pages (custom-page-sizes) can end inside an OS
//! page, so generated code checks its accesses like a 64-bit memory's; it
//! reserves its maximum up front in the same way (at most 4 GiB for a
//! 32-bit one, the 16 GiB cap for a 64-bit one), with no guard.
//!
//! Either way only `[0, current_length)` is read-write (rounded up to whole
//! OS pages for a small-page memory, whose accesses are checked against
//! the exact length), growing is an `mprotect`, and the base never moves
//! (generated code caches it).
//!
//! A shared memory (threads) is the same object, used by several threads
//! (`crate::SharedMemory`): its length is atomic and `grow` takes `&self`,
//! serialized by the memory's lock, so racing grows each take effect once
//! and every thread sees the new length.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use waot_abi::meta::MemoryType;

use waot_abi::vmctx::VmMemoryDef;
use waot_abi::{WASM_PAGE_SIZE, WASM_PAGE_SIZE_LOG2};

use crate::sys::{page_size, round_up, Mmap, Prot};

/// Bytes reserved per 32-bit memory with 64 KiB pages: 4 GiB addressable +
/// 4 GiB guard + one page.
pub const RESERVATION_BYTES: usize = (8 << 30) + WASM_PAGE_SIZE as usize;

/// Largest page count of a 32-bit memory with 64 KiB pages.
pub const MAX_PAGES_32: u64 = 65536;

/// Largest size in bytes (and pages) of a 32-bit memory with 1-byte pages:
/// 4 GiB - 1, the most validation allows (its page count must fit in a
/// `u32`).
pub const MAX_BYTES_32_SMALL_PAGES: u64 = u32::MAX as u64;

/// Largest page count of a 64-bit memory (16 GiB): the runtime's cap, what
/// a 64-bit memory without a declared maximum reserves. The spec allows
/// 2^48 pages; reserving that much address space per memory is not
/// possible, and a stable base is what lets generated code cache it.
pub const MAX_PAGES_64: u64 = 1 << 18;

/// A linear memory. `def` is the first field so `&def` is stable for the
/// memory's lifetime (memories are boxed by the store).
#[derive(Debug)]
#[repr(C)]
pub struct MemoryData {
    /// What generated code reads: base and current length.
    pub def: VmMemoryDef,
    ty: MemoryType,
    map: Mmap,
    /// Serializes `grow` (a shared memory's threads may race to grow it).
    grow_lock: Mutex<()>,
}

// SAFETY: the raw pointer in `def` points into `map`, which this value owns.
unsafe impl Send for MemoryData {}
// SAFETY: a shared memory (threads) is used by several threads at once.
// Its length is atomic and `grow` is serialized by `grow_lock`; the bytes
// are the wasm program's shared memory, which its threads access
// concurrently by design (with atomics where they synchronize), just as
// generated code does.
unsafe impl Sync for MemoryData {}

impl MemoryData {
    /// Reserves and commits a memory of type `ty`.
    pub fn new(ty: MemoryType) -> Result<MemoryData, String> {
        let max = max_pages(ty);
        if ty.min_pages > max {
            return Err(format!(
                "memory minimum of {} pages exceeds {max}",
                ty.min_pages
            ));
        }
        let reserve = if ty.memory64 || has_small_pages(ty) {
            (max << ty.page_size_log2) as usize
        } else {
            RESERVATION_BYTES
        };
        let map = reserve_address_space(reserve)
            .map_err(|e| format!("cannot reserve linear memory: {e}"))?;
        let len = (ty.min_pages << ty.page_size_log2) as usize;
        map.protect(0, round_up(len, page_size()), Prot::ReadWrite)
            .map_err(|e| format!("cannot commit linear memory: {e}"))?;
        Ok(MemoryData {
            def: VmMemoryDef {
                base: map.as_ptr(),
                current_length: AtomicU64::new(len as u64),
            },
            ty,
            map,
            grow_lock: Mutex::new(()),
        })
    }

    /// The memory's type, with `min_pages` updated to the current size (what
    /// import matching compares, spec §4.5.2).
    pub fn current_type(&self) -> MemoryType {
        MemoryType {
            min_pages: self.pages(),
            ..self.ty
        }
    }

    /// Current size in the memory's pages (64 KiB, or 1 byte).
    pub fn pages(&self) -> u64 {
        self.len_bytes() >> self.ty.page_size_log2
    }

    /// Current size in bytes.
    pub fn len_bytes(&self) -> u64 {
        // Acquire: pairs with the release in `grow` (another thread's, for a
        // shared memory).
        self.def.current_length.load(Ordering::Acquire)
    }

    /// First byte.
    pub fn base(&self) -> *mut u8 {
        self.def.base
    }

    /// Whether `addr` is inside this memory's reservation (accessible or guard).
    pub fn reservation_contains(&self, addr: usize) -> bool {
        let base = self.map.as_ptr() as usize;
        addr >= base && addr - base < self.map.len()
    }

    /// The memory's bytes.
    pub fn data_mut(&mut self) -> &mut [u8] {
        // SAFETY: `[base, base + current_length)` is committed read-write and
        // owned by this memory.
        unsafe { std::slice::from_raw_parts_mut(self.def.base, self.len_bytes() as usize) }
    }

    /// `memory.grow`: returns the old size in pages, or `None` when the new
    /// size would exceed the maximum (the memory is then unchanged). Takes
    /// `&self`: threads sharing a memory may grow it at the same time (one
    /// after the other, under the memory's lock).
    pub fn grow(&self, delta_pages: u64) -> Option<u64> {
        let _one_grow_at_a_time = self
            .grow_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let old = self.pages();
        let new = old.checked_add(delta_pages)?;
        if new > max_pages(self.ty) {
            return None;
        }
        let old_len = self.len_bytes() as usize;
        let new_len = (new << self.ty.page_size_log2) as usize;
        // With 1-byte pages the old end may be inside an OS page that is
        // already read-write (and still zero: accesses past the length trap).
        let committed = round_up(old_len, page_size());
        let to_commit = round_up(new_len, page_size()).saturating_sub(committed);
        self.map
            .protect(committed, to_commit, Prot::ReadWrite)
            .ok()?;
        self.def
            .current_length
            .store(new_len as u64, Ordering::Release);
        Some(old)
    }

    /// Checks that `[offset, offset + len)` lies inside the memory.
    pub fn check_range(&self, offset: u64, len: u64) -> bool {
        offset
            .checked_add(len)
            .is_some_and(|end| end <= self.len_bytes())
    }
}

/// Reservations of dropped memories of the usual kind (32-bit, 64 KiB
/// pages), reset to untouched `PROT_NONE` pages and kept for the next such
/// memory. A process that makes and drops many memories (a test suite, a
/// host instantiating per request) then reuses a few address ranges instead
/// of mapping new ones; under qemu-user, which never frees its bookkeeping
/// of the guest ranges it has seen (about 50 MB per reservation), the arm64
/// spec run otherwise grew past 20 GiB.
static SPARE_RESERVATIONS: Mutex<Vec<Mmap>> = Mutex::new(Vec::new());

/// How many spare reservations to keep (address space only, no memory).
const MAX_SPARE_RESERVATIONS: usize = 16;

/// `bytes` of fresh `PROT_NONE` address space: a spare reservation when
/// one of that size is kept, else a new mapping.
fn reserve_address_space(bytes: usize) -> std::io::Result<Mmap> {
    if round_up(bytes, page_size()) == round_up(RESERVATION_BYTES, page_size()) {
        let spare = SPARE_RESERVATIONS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        if let Some(map) = spare {
            return Ok(map);
        }
    }
    Mmap::new(bytes, Prot::None)
}

impl Drop for MemoryData {
    /// Keeps a usual reservation for reuse (reset first: its pages are
    /// zero and uncommitted again), or unmaps it.
    fn drop(&mut self) {
        if self.map.len() != round_up(RESERVATION_BYTES, page_size()) {
            return;
        }
        let committed = round_up(self.len_bytes() as usize, page_size());
        let mut spare = SPARE_RESERVATIONS
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if spare.len() < MAX_SPARE_RESERVATIONS && self.map.reset(committed).is_ok() {
            spare.push(std::mem::replace(&mut self.map, Mmap::empty()));
        }
    }
}

/// Whether `ty` has pages smaller than 64 KiB (custom-page-sizes), so its
/// length is not always a multiple of the OS page size.
fn has_small_pages(ty: MemoryType) -> bool {
    ty.page_size_log2 < WASM_PAGE_SIZE_LOG2
}

/// The most pages a memory of type `ty` may have here: its declared
/// maximum, capped by the runtime's limit for its address type (the same
/// number of bytes whatever the page size, except a 32-bit memory with
/// 1-byte pages, which stops a byte short of 4 GiB).
fn max_pages(ty: MemoryType) -> u64 {
    let cap = match (ty.memory64, has_small_pages(ty)) {
        (true, _) => (MAX_PAGES_64 * WASM_PAGE_SIZE) >> ty.page_size_log2,
        (false, false) => MAX_PAGES_32,
        (false, true) => MAX_BYTES_32_SMALL_PAGES >> ty.page_size_log2,
    };
    ty.max_pages.unwrap_or(cap).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(min: u64, max: Option<u64>) -> MemoryType {
        MemoryType {
            min_pages: min,
            max_pages: max,
            memory64: false,
            shared: false,
            page_size_log2: WASM_PAGE_SIZE_LOG2,
        }
    }

    #[test]
    fn reserve_and_grow() {
        let mut m = MemoryData::new(ty(1, Some(3))).unwrap();
        assert_eq!(m.pages(), 1);
        m.data_mut()[65535] = 9;
        let base = m.base();
        assert_eq!(m.grow(2), Some(1));
        assert_eq!(m.base(), base, "base never moves");
        assert_eq!(m.len_bytes(), 3 * 65536);
        m.data_mut()[3 * 65536 - 1] = 1;
        assert_eq!(m.data_mut()[65535], 9);
        assert_eq!(m.grow(1), None);
        assert_eq!(m.grow(0), Some(3));
        assert!(m.reservation_contains(base as usize + (4 << 30)));
        assert!(!m.reservation_contains(base as usize + RESERVATION_BYTES));
    }

    #[test]
    fn reused_reservations_come_back_zeroed() {
        // More memories than are kept spare, each dirtied before its drop.
        for _ in 0..2 * MAX_SPARE_RESERVATIONS {
            let mut m = MemoryData::new(ty(1, None)).unwrap();
            assert_eq!(m.len_bytes(), WASM_PAGE_SIZE);
            assert!(m.data_mut().iter().all(|&b| b == 0));
            assert_eq!(m.grow(2), Some(1));
            assert!(m.data_mut().iter().all(|&b| b == 0));
            m.data_mut().fill(0xab);
        }
    }

    #[test]
    fn limits() {
        let m = MemoryData::new(ty(0, None)).unwrap();
        assert_eq!(m.grow(65537), None);
        assert_eq!(m.grow(u64::MAX), None);
        assert!(MemoryData::new(ty(65537, None)).is_err());
        assert!(m.check_range(0, 0));
        assert!(!m.check_range(0, 1));
        assert!(!m.check_range(u64::MAX, 2));
    }

    fn ty64(min: u64, max: Option<u64>) -> MemoryType {
        MemoryType {
            memory64: true,
            ..ty(min, max)
        }
    }

    #[test]
    fn memory64_reserves_its_maximum() {
        let mut m = MemoryData::new(ty64(1, Some(3))).unwrap();
        let base = m.base();
        assert!(m.reservation_contains(base as usize + 3 * 65536 - 1));
        assert!(!m.reservation_contains(base as usize + 3 * 65536));
        assert_eq!(m.grow(2), Some(1));
        assert_eq!(m.base(), base);
        m.data_mut()[3 * 65536 - 1] = 1;
        assert_eq!(m.grow(1), None);
        assert!(!m.check_range(3 * 65536 - 1, 2));
        assert!(!m.check_range(u64::MAX, 1));
    }

    #[test]
    fn memory64_cap() {
        // No maximum: the whole cap is reserved, growing stops there.
        let m = MemoryData::new(ty64(0, None)).unwrap();
        assert!(m.reservation_contains(m.base() as usize + (16 << 30) - 1));
        assert_eq!(m.grow(MAX_PAGES_64 + 1), None);
        assert_eq!(m.grow(1 << 47), None);
        assert_eq!(m.grow(u64::MAX), None);
        assert_eq!(m.grow(16), Some(0));
        // A minimum past the cap (valid wasm: up to 2^48 pages) is refused.
        let err = MemoryData::new(ty64(MAX_PAGES_64 + 1, None)).unwrap_err();
        assert!(err.contains("exceeds 262144"), "{err}");
        // A 0-page maximum reserves (next to) nothing and cannot grow.
        let empty = MemoryData::new(ty64(0, Some(0))).unwrap();
        assert_eq!(empty.grow(1), None);
        assert_eq!(empty.grow(0), Some(0));
    }

    fn ty_small(min: u64, max: Option<u64>) -> MemoryType {
        MemoryType {
            page_size_log2: 0,
            ..ty(min, max)
        }
    }

    #[test]
    fn one_byte_pages() {
        let mut m = MemoryData::new(ty_small(3, Some(10_000))).unwrap();
        assert_eq!((m.pages(), m.len_bytes()), (3, 3));
        // Byte by byte across OS page boundaries: every new byte is
        // writable and zero, the memory's length is exact.
        for len in 4..=10_000 {
            assert_eq!(m.grow(1), Some(len - 1));
            assert_eq!(m.pages(), len);
            let data = m.data_mut();
            assert_eq!(data.len() as u64, len);
            assert_eq!(data[len as usize - 1], 0);
            data[len as usize - 1] = 0xff;
        }
        assert_eq!(m.grow(1), None);
        assert!(m.check_range(9_999, 1));
        assert!(!m.check_range(9_999, 2));
        assert_eq!(m.current_type().min_pages, 10_000);
        // The reservation is the maximum (rounded to OS pages), no guard.
        assert!(!m.reservation_contains(m.base() as usize + (1 << 20)));
    }

    #[test]
    fn one_byte_page_caps() {
        // 32-bit: 2^32 - 1 bytes, so the page count fits in a `u32`.
        let m = MemoryData::new(ty_small(0, None)).unwrap();
        assert_eq!(m.grow(1 << 32), None);
        assert_eq!(m.grow(u64::from(u32::MAX)), Some(0));
        assert_eq!(m.grow(1), None);
        // 64-bit: the same 16 GiB cap as with 64 KiB pages.
        let small64 = MemoryType {
            memory64: true,
            ..ty_small(0, None)
        };
        let m = MemoryData::new(small64).unwrap();
        assert_eq!(m.grow(MAX_PAGES_64 * WASM_PAGE_SIZE + 1), None);
        assert_eq!(m.grow(MAX_PAGES_64 * WASM_PAGE_SIZE), Some(0));
    }
}
