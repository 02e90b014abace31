//! Exception handling: tags and exception objects.
//!
//! A tag is a boxed [`VmTag`] owned by the store; generated code only
//! compares addresses, so an imported tag (the exporter's box) is the same
//! tag in every instance. An exception object is a slab of [`ValRaw`]
//! slots, a [`VmExnHeader`] then the payload, allocated by the `ExnAlloc`
//! builtin from the store's [`ExnHeap`] and filled by generated code; an
//! `exnref` is its address.
//!
//! An object caught by `catch`/`catch_all` before any `exnref` to it
//! existed is freed right away (builtin `ExnRelease`); one that became an
//! `exnref` (`catch_ref`, `catch_all_ref`: the header's `exposed` flag)
//! lives until its store is dropped, since it may be kept in a local,
//! global or table and the runtime does not trace references. A legacy
//! `catch` clause holds its object in the same word (see
//! `VmExnHeader::exposed`) and releases it when the clause is left.
//!
//! Propagation (the compiler's side is `translate/ops/exception.rs`): an
//! exception that leaves a function is stored in
//! `StoreContext::pending_exn`; an exception still pending when wasm
//! returns to the host is the [`TrapKind::UncaughtException`] outcome.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use waot_abi::meta::FuncType;
use waot_abi::trap::TrapKind;
use waot_abi::vmctx::{StoreContext, ValRaw, VmExnHeader, VmTag, VMCTX_STORE};

use crate::signatures::canonical_type_id;
use crate::{Store, Trap};

/// An exception tag in a [`crate::Store`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tag(pub(crate) u32);

struct TagEntry {
    /// The identity generated code compares (never moves).
    vm: Box<VmTag>,
    /// Parameter types, as the host sees them.
    ty: FuncType,
}

/// Where a store's exception objects live, by address.
#[derive(Default)]
pub(crate) struct ExnHeap {
    objects: HashMap<usize, Box<[ValRaw]>>,
}

impl ExnHeap {
    /// A new object of tag `tag` with `len` zeroed payload slots.
    fn alloc(&mut self, tag: *const VmTag, len: u32) -> *mut VmExnHeader {
        let mut slots = vec![ValRaw::default(); len as usize + 1].into_boxed_slice();
        let header = slots.as_mut_ptr().cast::<VmExnHeader>();
        // SAFETY: slot 0 is 16 bytes, 16-aligned: room for the header.
        unsafe {
            header.write(VmExnHeader {
                tag,
                len,
                exposed: 0,
            })
        };
        self.objects.insert(header as usize, slots);
        header
    }

    /// Frees object `exn` of this heap unless wasm holds an `exnref` to it.
    fn release(&mut self, exn: usize) {
        let Some(slots) = self.objects.get(&exn) else {
            return;
        };
        // SAFETY: slot 0 of a live object is its header.
        if unsafe { (*slots.as_ptr().cast::<VmExnHeader>()).exposed } == 0 {
            self.objects.remove(&exn);
        }
    }

    /// Calls `f` with every 8-byte word of every object's payload (GC
    /// roots: a payload value may be a reference).
    pub fn for_each_word(&self, f: &mut dyn FnMut(u64)) {
        for slots in self.objects.values() {
            for slot in &slots[1..] {
                f(u64::from_le_bytes(slot.0[..8].try_into().expect("8 bytes")));
                f(u64::from_le_bytes(slot.0[8..].try_into().expect("8 bytes")));
            }
        }
    }

    /// Number of live objects.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.objects.len()
    }
}

/// A store's tags and exception heap.
#[derive(Default)]
pub(crate) struct Exceptions {
    tags: Vec<TagEntry>,
    /// Boxed: `StoreContext::exn_heap` points to it.
    heap: Box<ExnHeap>,
}

impl Exceptions {
    /// The heap pointer for `StoreContext::exn_heap`.
    pub fn heap_ptr(&mut self) -> usize {
        &mut *self.heap as *mut ExnHeap as usize
    }

    /// A new tag with parameters `ty` whose canonical type id is `type_id`.
    pub fn new_tag(&mut self, ty: FuncType, type_id: u32) -> Tag {
        self.tags.push(TagEntry {
            vm: Box::new(VmTag { type_id, _pad: 0 }),
            ty,
        });
        Tag(self.tags.len() as u32 - 1)
    }

    /// The address generated code compares.
    pub fn tag_ptr(&self, tag: Tag) -> *const VmTag {
        &*self.tags[tag.0 as usize].vm
    }

    /// The tag's canonical type id (for import matching).
    pub fn tag_type_id(&self, tag: Tag) -> u32 {
        self.tags[tag.0 as usize].vm.type_id
    }

    /// The tag's parameter types.
    pub fn tag_type(&self, tag: Tag) -> &FuncType {
        &self.tags[tag.0 as usize].ty
    }
}

impl Store {
    /// Creates a tag whose exceptions carry values of `ty.params` (the
    /// results must be empty), like an exported one.
    pub fn new_tag(&mut self, ty: FuncType) -> Result<Tag, String> {
        if !ty.results.is_empty() {
            return Err("a tag's type has no results".into());
        }
        let id = canonical_type_id(&ty);
        Ok(self.exceptions.new_tag(ty, id))
    }

    /// A tag's type (its parameters are the exception's payload).
    pub fn tag_type(&self, tag: Tag) -> FuncType {
        self.exceptions.tag_type(tag).clone()
    }
}

/// After wasm returned to the host: clears the pending exception and, if
/// there was one and `result` is a normal return, makes it the
/// "uncaught exception" outcome.
pub(crate) fn finish_entry(ctx: &mut StoreContext, result: Result<(), Trap>) -> Result<(), Trap> {
    let pending = std::mem::take(&mut ctx.pending_exn);
    if pending != 0 && ctx.exn_heap != 0 {
        // SAFETY: `exn_heap` is the store's heap (set by `Store::new`).
        unsafe { (*(ctx.exn_heap as *mut ExnHeap)).release(pending) };
    }
    match result {
        Ok(()) if pending != 0 => Err(Trap::new(TrapKind::UncaughtException)),
        other => other,
    }
}

/// Builtin `ExnAlloc`: a new exception object, or null (generated code
/// traps with "out of memory").
///
/// # Safety
///
/// Called by generated code with its own VM context, whose store context's
/// `exn_heap` is the store's [`ExnHeap`].
pub(crate) unsafe extern "C" fn exn_alloc(vmctx: *mut u8, tag: *const VmTag, len: u32) -> u64 {
    catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: guaranteed by the caller (see above).
        unsafe { heap(vmctx) }.alloc(tag, len) as u64
    }))
    .unwrap_or(0)
}

/// The heap of the store context of `vmctx`.
///
/// # Safety
///
/// `vmctx` is a live VM context of a store whose `exn_heap` is set.
unsafe fn heap<'a>(vmctx: *mut u8) -> &'a mut ExnHeap {
    // SAFETY: guaranteed by the caller.
    unsafe {
        let ctx = *vmctx.add(VMCTX_STORE as usize).cast::<*mut StoreContext>();
        &mut *((*ctx).exn_heap as *mut ExnHeap)
    }
}

/// Builtin `ExnRelease`: exception `exn` was caught without an `exnref`
/// to it; free it unless one exists.
///
/// # Safety
///
/// As for [`exn_alloc`].
pub(crate) unsafe extern "C" fn exn_release(vmctx: *mut u8, exn: u64) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: guaranteed by the caller.
        unsafe { heap(vmctx) }.release(exn as usize)
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use waot_abi::vmctx::EXN_VALUES;

    #[test]
    fn objects_hold_tag_and_payload_slots() {
        let mut exns = Exceptions::default();
        let t = exns.new_tag(FuncType::default(), 7);
        assert_eq!(exns.tag_type_id(t), 7);
        let tag = exns.tag_ptr(t);
        let obj = exns.heap.alloc(tag, 2);
        // SAFETY: a fresh object with two payload slots.
        unsafe {
            assert_eq!((*obj).tag, tag);
            assert_eq!((*obj).len, 2);
            let slot = obj.cast::<u8>().add(EXN_VALUES as usize + 16);
            slot.cast::<u64>().write(5);
        }
        assert_eq!(obj as usize % 16, 0);
        // Payload words are GC roots.
        let mut words = Vec::new();
        exns.heap.for_each_word(&mut |w| words.push(w));
        assert_eq!(words, [0, 0, 5, 0]);
        // Released unless exposed as an `exnref`.
        let kept = exns.heap.alloc(tag, 0);
        // SAFETY: a live object.
        unsafe { (*kept).exposed = 1 };
        assert_eq!(exns.heap.len(), 2);
        exns.heap.release(obj as usize);
        exns.heap.release(kept as usize);
        exns.heap.release(12345);
        assert_eq!(exns.heap.len(), 1);
    }

    #[test]
    fn pending_exception_becomes_uncaught() {
        let mut ctx = StoreContext::default();
        assert!(finish_entry(&mut ctx, Ok(())).is_ok());
        ctx.pending_exn = 16;
        let trap = finish_entry(&mut ctx, Ok(())).unwrap_err();
        assert_eq!(trap.kind, TrapKind::UncaughtException);
        assert_eq!(ctx.pending_exn, 0);
        ctx.pending_exn = 16;
        let trap = finish_entry(&mut ctx, Err(Trap::new(TrapKind::Unreachable))).unwrap_err();
        assert_eq!(trap.kind, TrapKind::Unreachable);
        assert_eq!(ctx.pending_exn, 0);
    }
}
