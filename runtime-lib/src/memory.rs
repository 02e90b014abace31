//! Linear memories (spec §4.2.8 "memory instances").
//!
//! A 32-bit memory reserves 8 GiB + 64 KiB of address space up front
//! (`PROT_NONE`, `MAP_NORESERVE`): 4 GiB of addressable memory plus 4 GiB of
//! guard, which covers any `u32` address plus `u32` offset plus access size.
//! Generated code therefore never bounds-checks its loads and stores; the
//! fault is the check.
//!
//! A 64-bit memory (memory64) cannot be covered by a guard, so generated
//! code checks every access against `current_length`. It reserves its
//! maximum up front, capped at [`MAX_PAGES_64`] pages (16 GiB); a memory
//! without a declared maximum reserves the whole cap. No guard follows it.
//!
//! Either way only `[0, current_length)` is read-write, growing is an
//! `mprotect`, and the base never moves (generated code caches it).

use waot_abi::meta::MemoryType;
use waot_abi::vmctx::VmMemoryDef;
use waot_abi::WASM_PAGE_SIZE;

use crate::sys::{Mmap, Prot};

/// Bytes reserved per 32-bit memory: 4 GiB addressable + 4 GiB guard + one page.
pub const RESERVATION_BYTES: usize = (8 << 30) + WASM_PAGE_SIZE as usize;

/// Largest page count of a 32-bit memory.
pub const MAX_PAGES_32: u64 = 65536;

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
}

// SAFETY: the raw pointer in `def` points into `map`, which this value owns.
unsafe impl Send for MemoryData {}

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
        let reserve = if ty.memory64 {
            (max * WASM_PAGE_SIZE) as usize
        } else {
            RESERVATION_BYTES
        };
        let map = Mmap::new(reserve, Prot::None)
            .map_err(|e| format!("cannot reserve linear memory: {e}"))?;
        let len = (ty.min_pages * WASM_PAGE_SIZE) as usize;
        map.protect(0, len, Prot::ReadWrite)
            .map_err(|e| format!("cannot commit linear memory: {e}"))?;
        Ok(MemoryData {
            def: VmMemoryDef {
                base: map.as_ptr(),
                current_length: len as u64,
            },
            ty,
            map,
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

    /// Current size in pages.
    pub fn pages(&self) -> u64 {
        self.def.current_length / WASM_PAGE_SIZE
    }

    /// Current size in bytes.
    pub fn len_bytes(&self) -> u64 {
        self.def.current_length
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
        unsafe { std::slice::from_raw_parts_mut(self.def.base, self.def.current_length as usize) }
    }

    /// `memory.grow`: returns the old size in pages, or `None` when the new
    /// size would exceed the maximum (the memory is then unchanged).
    pub fn grow(&mut self, delta_pages: u64) -> Option<u64> {
        let old = self.pages();
        let new = old.checked_add(delta_pages)?;
        if new > max_pages(self.ty) {
            return None;
        }
        let old_len = self.def.current_length as usize;
        let new_len = (new * WASM_PAGE_SIZE) as usize;
        self.map
            .protect(old_len, new_len - old_len, Prot::ReadWrite)
            .ok()?;
        self.def.current_length = new_len as u64;
        Some(old)
    }

    /// Checks that `[offset, offset + len)` lies inside the memory.
    pub fn check_range(&self, offset: u64, len: u64) -> bool {
        offset
            .checked_add(len)
            .is_some_and(|end| end <= self.def.current_length)
    }
}

/// The most pages a memory of type `ty` may have here: its declared
/// maximum, capped by the runtime's limit for its address type.
fn max_pages(ty: MemoryType) -> u64 {
    let cap = if ty.memory64 {
        MAX_PAGES_64
    } else {
        MAX_PAGES_32
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
    fn limits() {
        let mut m = MemoryData::new(ty(0, None)).unwrap();
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
        let mut m = MemoryData::new(ty64(0, None)).unwrap();
        assert!(m.reservation_contains(m.base() as usize + (16 << 30) - 1));
        assert_eq!(m.grow(MAX_PAGES_64 + 1), None);
        assert_eq!(m.grow(1 << 47), None);
        assert_eq!(m.grow(u64::MAX), None);
        assert_eq!(m.grow(16), Some(0));
        // A minimum past the cap (valid wasm: up to 2^48 pages) is refused.
        let err = MemoryData::new(ty64(MAX_PAGES_64 + 1, None)).unwrap_err();
        assert!(err.contains("exceeds 262144"), "{err}");
        // A 0-page maximum reserves (next to) nothing and cannot grow.
        let mut empty = MemoryData::new(ty64(0, Some(0))).unwrap();
        assert_eq!(empty.grow(1), None);
        assert_eq!(empty.grow(0), Some(0));
    }
}
