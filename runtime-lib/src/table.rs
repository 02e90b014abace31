//! Tables (spec §4.2.7 "table instances").
//!
//! Elements are 8 bytes: a `*const VmFuncRef` for funcref tables or a raw
//! externref (see [`crate::Val`] for its encoding); 0 is null. The storage is
//! a `Vec<u64>`; [`TableData::def`] (what generated code reads) is refreshed
//! whenever the vector may have moved.

use waot_abi::meta::TableType;
use waot_abi::vmctx::VmTableDef;

/// Largest number of elements any table may grow to (protects the host from
/// `table.grow` with huge deltas on tables without a maximum).
pub const MAX_TABLE_ELEMENTS: u64 = 10_000_000;

/// A table; boxed by the store so `&def` is stable.
#[derive(Debug)]
#[repr(C)]
pub struct TableData {
    /// What generated code reads.
    pub def: VmTableDef,
    ty: TableType,
    elements: Vec<u64>,
}

// SAFETY: `def.base` points into `elements`, which this value owns.
unsafe impl Send for TableData {}

impl TableData {
    /// A table of type `ty` with every element set to `init`.
    pub fn new(ty: TableType, init: u64) -> Result<TableData, String> {
        if ty.min > MAX_TABLE_ELEMENTS {
            return Err(format!("table minimum of {} elements is too large", ty.min));
        }
        let mut t = TableData {
            def: VmTableDef {
                base: std::ptr::null_mut(),
                current_elements: 0,
            },
            ty,
            elements: vec![init; ty.min as usize],
        };
        t.sync();
        Ok(t)
    }

    fn sync(&mut self) {
        self.def.base = self.elements.as_mut_ptr();
        self.def.current_elements = self.elements.len() as u64;
    }

    /// The table's type, with `min` updated to the current size.
    pub fn current_type(&self) -> TableType {
        TableType {
            min: self.elements.len() as u64,
            ..self.ty
        }
    }

    /// Current number of elements.
    pub fn size(&self) -> u64 {
        self.elements.len() as u64
    }

    /// The elements.
    pub fn elements(&self) -> &[u64] {
        &self.elements
    }

    /// The elements, mutably (the length cannot change through this).
    pub fn elements_mut(&mut self) -> &mut [u64] {
        &mut self.elements
    }

    /// Element `index`, or `None` out of bounds.
    pub fn get(&self, index: u64) -> Option<u64> {
        self.elements.get(usize::try_from(index).ok()?).copied()
    }

    /// Sets element `index`; false out of bounds.
    pub fn set(&mut self, index: u64, value: u64) -> bool {
        match usize::try_from(index)
            .ok()
            .and_then(|i| self.elements.get_mut(i))
        {
            Some(slot) => {
                *slot = value;
                true
            }
            None => false,
        }
    }

    /// `table.grow`: returns the old size, or `None` past the maximum or on
    /// allocation failure (the table is then unchanged).
    pub fn grow(&mut self, delta: u64, init: u64) -> Option<u64> {
        let old = self.size();
        let new = old.checked_add(delta)?;
        // Whatever the declared maximum (up to 2^64 - 1 for table64), the
        // cap protects the host.
        let max = self.ty.max.unwrap_or(u64::MAX).min(MAX_TABLE_ELEMENTS);
        if new > max {
            return None;
        }
        self.elements.try_reserve(delta as usize).ok()?;
        self.elements.resize(new as usize, init);
        self.sync();
        Some(old)
    }

    /// `table.fill`; false (and no change) when out of bounds.
    pub fn fill(&mut self, dst: u64, value: u64, len: u64) -> bool {
        if !in_bounds(dst, len, self.size()) {
            return false;
        }
        self.elements[dst as usize..(dst + len) as usize].fill(value);
        true
    }
}

/// Whether `[start, start + len)` fits in `size`.
pub fn in_bounds(start: u64, len: u64, size: u64) -> bool {
    start.checked_add(len).is_some_and(|end| end <= size)
}

/// `table.copy` between two (possibly identical) tables with memmove
/// semantics; false when either range is out of bounds.
///
/// # Safety
///
/// `dst` and `src` must be valid tables; they may be the same table.
pub unsafe fn copy(dst: *mut TableData, src: *const TableData, d: u64, s: u64, len: u64) -> bool {
    // SAFETY: the caller guarantees both pointers are valid; we only read
    // sizes here.
    let (dst_size, src_size) = unsafe { ((*dst).size(), (*src).size()) };
    if !in_bounds(d, len, dst_size) || !in_bounds(s, len, src_size) {
        return false;
    }
    // SAFETY: both ranges are in bounds (checked above); `ptr::copy` handles
    // overlap when the tables are the same.
    unsafe {
        let sp = (*src).elements.as_ptr().add(s as usize);
        let dp = (*dst).elements.as_mut_ptr().add(d as usize);
        std::ptr::copy(sp, dp, len as usize);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use waot_abi::meta::ValType;

    fn ty(min: u64, max: Option<u64>) -> TableType {
        TableType {
            element: ValType::FuncRef,
            min,
            max,
            table64: false,
        }
    }

    #[test]
    fn grow_fill_copy() {
        let mut t = TableData::new(ty(2, Some(5)), 0).unwrap();
        assert_eq!(t.def.current_elements, 2);
        assert_eq!(t.grow(2, 7), Some(2));
        assert_eq!(t.def.current_elements, 4);
        assert_eq!(t.def.base, t.elements.as_mut_ptr());
        assert_eq!(t.elements(), &[0, 0, 7, 7]);
        assert_eq!(t.grow(2, 0), None);
        assert!(t.fill(0, 3, 2));
        assert!(!t.fill(3, 3, 2));
        assert!(t.fill(4, 3, 0));
        assert!(!t.fill(5, 3, 0));
        let p: *mut TableData = &mut t;
        // SAFETY: `p` is a valid table; overlapping copy within it.
        assert!(unsafe { copy(p, p, 1, 0, 3) });
        assert_eq!(t.elements(), &[3, 3, 3, 7]);
        // SAFETY: as above.
        assert!(!unsafe { copy(p, p, 2, 0, 3) });
        assert_eq!(t.get(3), Some(7));
        assert_eq!(t.get(4), None);
        assert!(t.set(3, 1));
        assert!(!t.set(9, 1));
    }

    #[test]
    fn unbounded_grow_is_capped() {
        let mut t = TableData::new(ty(0, None), 0).unwrap();
        assert_eq!(t.grow(u32::MAX as u64, 0), None);
        assert_eq!(t.grow(10, 0), Some(0));
    }

    #[test]
    fn table64_grows_to_the_cap() {
        let mut t = TableData::new(
            TableType {
                table64: true,
                ..ty(1, Some(u64::MAX))
            },
            5,
        )
        .unwrap();
        assert_eq!(t.grow(u64::MAX, 0), None);
        assert_eq!(t.grow(MAX_TABLE_ELEMENTS, 0), None);
        assert_eq!(t.grow(1000, 0), Some(1));
        assert_eq!(t.get(0), Some(5));
        assert!(!t.fill(u64::MAX, 1, 2));
    }
}
