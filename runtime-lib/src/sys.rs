//! The small OS layer: anonymous mappings and page protection.
//!
//! Everything else in the runtime reaches the kernel through these wrappers
//! (plus `trap::signals` for signal handling), so porting means porting this.

use std::io;
use std::ptr;

/// An anonymous private mapping, unmapped on drop.
#[derive(Debug)]
pub struct Mmap {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: a mapping is plain memory owned by this value; sharing the pointer
// across threads is as safe as sharing a `Box<[u8]>`.
unsafe impl Send for Mmap {}
// SAFETY: see `Send`; all mutation goes through `&mut self` or raw pointers
// whose users uphold their own invariants.
unsafe impl Sync for Mmap {}

/// Page protection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prot {
    /// No access (guard pages, reservations).
    None,
    /// Read only.
    Read,
    /// Read and write.
    ReadWrite,
    /// Read and execute (code).
    ReadExec,
}

impl Prot {
    fn bits(self) -> libc::c_int {
        match self {
            Prot::None => libc::PROT_NONE,
            Prot::Read => libc::PROT_READ,
            Prot::ReadWrite => libc::PROT_READ | libc::PROT_WRITE,
            Prot::ReadExec => libc::PROT_READ | libc::PROT_EXEC,
        }
    }
}

/// The system page size in bytes.
pub fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if n <= 0 {
        4096
    } else {
        n as usize
    }
}

/// Rounds `n` up to a multiple of `align` (a power of two).
pub fn round_up(n: usize, align: usize) -> usize {
    (n + align - 1) & !(align - 1)
}

impl Mmap {
    /// Maps `len` bytes (rounded up to pages) with protection `prot`;
    /// `PROT_NONE` mappings reserve address space without committing memory.
    pub fn new(len: usize, prot: Prot) -> io::Result<Mmap> {
        let len = round_up(len.max(1), page_size());
        let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;
        // SAFETY: a fresh anonymous mapping aliases nothing.
        let ptr = unsafe { libc::mmap(ptr::null_mut(), len, prot.bits(), flags, -1, 0) };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Mmap {
            ptr: ptr.cast(),
            len,
        })
    }

    /// First byte of the mapping.
    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr
    }

    /// Length in bytes (a multiple of the page size).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Changes the protection of `[offset, offset + len)`; both must be
    /// page-aligned and inside the mapping.
    pub fn protect(&self, offset: usize, len: usize, prot: Prot) -> io::Result<()> {
        if len == 0 {
            return Ok(());
        }
        if offset.checked_add(len).is_none_or(|end| end > self.len) {
            return Err(io::Error::from(io::ErrorKind::InvalidInput));
        }
        // SAFETY: the range is inside our own mapping (checked above).
        let r = unsafe { libc::mprotect(self.ptr.add(offset).cast(), len, prot.bits()) };
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

impl Mmap {
    /// Replaces the first `len` bytes (page-aligned, inside the mapping)
    /// with fresh `PROT_NONE` pages: whatever they held is gone and their
    /// memory is given back, as if the mapping had just been made. The
    /// address range stays the same.
    pub fn reset(&self, len: usize) -> io::Result<()> {
        if len == 0 {
            return Ok(());
        }
        if len > self.len {
            return Err(io::Error::from(io::ErrorKind::InvalidInput));
        }
        let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_FIXED;
        // SAFETY: the range is inside our own mapping, which `MAP_FIXED`
        // replaces in place; nobody holds references into it (the caller
        // is done with its contents).
        let p = unsafe { libc::mmap(self.ptr.cast(), len, libc::PROT_NONE, flags, -1, 0) };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// A mapping of nothing, to move a real one out of a value being
    /// dropped; dropping it does nothing.
    pub fn empty() -> Mmap {
        Mmap {
            ptr: ptr::null_mut(),
            len: 0,
        }
    }
}

impl Drop for Mmap {
    fn drop(&mut self) {
        if self.len == 0 {
            return;
        }
        // SAFETY: we own the mapping and nobody uses it after drop.
        unsafe {
            libc::munmap(self.ptr.cast(), self.len);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_protect_unmap() {
        let m = Mmap::new(3 * page_size(), Prot::None).unwrap();
        assert_eq!(m.len(), 3 * page_size());
        m.protect(0, page_size(), Prot::ReadWrite).unwrap();
        // SAFETY: the first page is read-write now.
        unsafe { m.as_ptr().write(7) };
        assert!(m.protect(page_size(), 3 * page_size(), Prot::Read).is_err());
    }
}
