//! Shared memories across stores and threads (threads proposal).
//!
//! A store is used by one thread at a time, so wasm threads are one store
//! (and instance) per thread, all importing the same shared memory. A
//! memory declared `shared` lives behind an `Arc` in its store
//! ([`Store::shared_memory`] hands it out as a [`SharedMemory`]); another
//! store on another thread adds it with [`Store::import_shared_memory`]
//! and passes that [`Memory`] as the import. Every instance sees the same
//! bytes at the same native address: the reservation never moves, growing
//! is serialized by the memory's lock and its length is atomic.

use std::sync::Arc;

use crate::memory::MemoryData;
use crate::store::{SharedCell, Slot};
use crate::{Memory, Store};

/// A shared linear memory that any store on any thread can import.
#[derive(Clone)]
pub struct SharedMemory(Arc<SharedCell<MemoryData>>);

// SAFETY: `MemoryData` is `Sync` (atomic length, serialized growth); the
// cell is only read through, except by a store's host API on its own
// thread (`Store::memory_data`), whose view of a shared memory other
// threads may change at any time, as wasm's threads do.
unsafe impl Send for SharedMemory {}
// SAFETY: as above.
unsafe impl Sync for SharedMemory {}

impl std::fmt::Debug for SharedMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // SAFETY: only shared reads (see the `Send` note).
        let m = unsafe { &*self.0.get() };
        f.debug_struct("SharedMemory")
            .field("base", &m.base())
            .field("len_bytes", &m.len_bytes())
            .finish()
    }
}

impl SharedMemory {
    /// Current size in bytes (as grown by any thread).
    pub fn len_bytes(&self) -> u64 {
        // SAFETY: only shared reads (see the `Send` note).
        unsafe { (*self.0.get()).len_bytes() }
    }
}

impl Store {
    /// The shared memory behind `m`, or `None` when `m` is not shared.
    pub fn shared_memory(&self, m: Memory) -> Option<SharedMemory> {
        match &self.memories[m.0 as usize] {
            Slot::Shared(cell) if self.memory_type(m).shared => Some(SharedMemory(cell.clone())),
            _ => None,
        }
    }

    /// Adds a shared memory (of any store) to this store, to be passed as
    /// an import.
    pub fn import_shared_memory(&mut self, m: &SharedMemory) -> Memory {
        self.push_shared_memory(m.0.clone())
    }
}
