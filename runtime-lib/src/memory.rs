//! Linear memories (spec §4.2.8 "memory instances").
//!
//! A 32-bit memory reserves 8 GiB + 64 KiB of address space up front
//! (`PROT_NONE`, `MAP_NORESERVE`): 4 GiB of addressable memory plus 4 GiB of
//! guard, which covers any `u32` address plus `u32` offset plus access size.
//! Generated code therefore never bounds-checks loads and stores; the fault
//! is the check. Only `[0, current_length)` is read-write, growing is an
//! `mprotect`, and the base never moves.

use waot_abi::meta::MemoryType;
use waot_abi::vmctx::VmMemoryDef;
use waot_abi::WASM_PAGE_SIZE;

use crate::sys::{Mmap, Prot};

/// Bytes reserved per 32-bit memory: 4 GiB addressable + 4 GiB guard + one page.
pub const RESERVATION_BYTES: usize = (8 << 30) + WASM_PAGE_SIZE as usize;

/// Largest page count of a 32-bit memory.
pub const MAX_PAGES_32: u64 = 65536;

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
        if ty.memory64 {
            return Err("memory64 is not supported".into());
        }
        if ty.min_pages > MAX_PAGES_32 {
            return Err(format!(
                "memory minimum of {} pages exceeds 65536",
                ty.min_pages
            ));
        }
        let map = Mmap::new(RESERVATION_BYTES, Prot::None)
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
        let max = self.ty.max_pages.unwrap_or(MAX_PAGES_32).min(MAX_PAGES_32);
        if new > max {
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
        let mut m64 = ty(0, None);
        m64.memory64 = true;
        assert!(MemoryData::new(m64).unwrap_err().contains("memory64"));
        assert!(m.check_range(0, 0));
        assert!(!m.check_range(0, 1));
        assert!(!m.check_range(u64::MAX, 2));
    }
}
