//! A store's GC objects (WebAssembly 3.0 GC, see `docs/GC.md`): its
//! [`GcHeap`], the roots a collection starts from, allocation of objects of
//! a module's struct and array types, and the `any`/`extern` conversions.
//!
//! The collector finds stack roots itself; everything else that may hold a
//! reference is registered here: reference-typed globals, every table,
//! every instance's element segments, exception payloads, references handed
//! to the host (rooted until the store is dropped) and objects that
//! constant expressions are building during instantiation.

use std::cell::RefCell;
use std::collections::HashSet;
use std::ptr::NonNull;

use waot_abi::gc::{self, ObjectKind};
use waot_abi::meta::{GcComposite, StorageType};
use waot_abi::trap::TrapKind;
use waot_abi::vmctx::ValRaw;

use crate::const_eval::ObjectInit;
use crate::exception::ExnHeap;
use crate::gc::{GcHeap, GcStats, RootVisitor};
use crate::table::TableData;
use crate::Val;

/// How to allocate and fill objects of one struct or array type.
#[derive(Clone, Debug)]
pub(crate) struct GcShape {
    /// Canonical type id (the object header's).
    pub type_id: u32,
    /// Whether objects may hold references (traced by the collector).
    pub has_refs: bool,
    /// Struct fields or array element.
    pub body: ShapeBody,
}

/// The struct- or array-specific part of a [`GcShape`].
#[derive(Clone, Debug)]
pub(crate) enum ShapeBody {
    /// A struct: each field's offset and storage, and the object size.
    Struct {
        fields: Vec<(u32, StorageType)>,
        size: u32,
    },
    /// An array of elements of this storage.
    Array(StorageType),
}

impl GcShape {
    /// The shape of `composite`, whose canonical id is `type_id`.
    pub fn new(composite: &GcComposite, type_id: u32) -> GcShape {
        match composite {
            GcComposite::Struct(fields) => {
                let layout = gc::struct_layout(fields);
                GcShape {
                    type_id,
                    has_refs: gc::fields_hold_refs(fields),
                    body: ShapeBody::Struct {
                        fields: layout
                            .offsets
                            .iter()
                            .zip(fields)
                            .map(|(&o, f)| (o, f.storage))
                            .collect(),
                        size: layout.size,
                    },
                }
            }
            GcComposite::Array(f) => GcShape {
                type_id,
                has_refs: gc::fields_hold_refs(std::slice::from_ref(f)),
                body: ShapeBody::Array(f.storage),
            },
        }
    }

    /// Bytes per element of an array shape (0 for a struct).
    pub fn elem_size(&self) -> u32 {
        match self.body {
            ShapeBody::Array(s) => gc::storage_size(s),
            ShapeBody::Struct { .. } => 0,
        }
    }
}

/// Writes the low `storage_size(storage)` bytes of `val`'s raw form at `p`
/// (packed fields keep the value's low bits).
///
/// # Safety
///
/// `p` must be valid for writes of that many bytes.
pub(crate) unsafe fn write_storage(p: *mut u8, storage: StorageType, val: Val) {
    let raw = val.to_raw();
    // SAFETY: guaranteed by the caller; `raw` has 16 bytes.
    unsafe { std::ptr::copy_nonoverlapping(raw.0.as_ptr(), p, gc::storage_size(storage) as usize) }
}

/// A store's GC heap and its roots (boxed by the store: instances point
/// here).
pub(crate) struct GcStore {
    heap: GcHeap,
    /// Slots of reference-typed globals.
    globals: Vec<*const ValRaw>,
    /// Every table the store holds.
    tables: Vec<*const TableData>,
    /// Every instance's evaluated element segments.
    elems: Vec<*const Vec<Vec<u64>>>,
    /// The store's exception objects.
    exn_heap: *const ExnHeap,
    /// References handed to the host (a `RefCell`: handing out happens
    /// in `&self` getters of the store).
    host_roots: RefCell<HashSet<u64>>,
    /// Objects constant expressions built during the current instantiation.
    temp_roots: Vec<u64>,
}

impl GcStore {
    /// An empty heap whose exception payloads are in `exn_heap`.
    pub fn new(exn_heap: *const ExnHeap) -> GcStore {
        GcStore {
            heap: GcHeap::new(),
            globals: Vec::new(),
            tables: Vec::new(),
            elems: Vec::new(),
            exn_heap,
            host_roots: RefCell::default(),
            temp_roots: Vec::new(),
        }
    }

    /// The heap's bump region, for `StoreContext::gc_bump` (stable: the
    /// store boxes this `GcStore`).
    pub fn bump_region(&mut self) -> *mut waot_abi::gc::VmGcBump {
        self.heap.bump_region()
    }

    /// Roots the global slot `slot` (which outlives the store's heap,
    /// unless [`GcStore::forget_globals`] removes it).
    pub fn add_global(&mut self, slot: *const ValRaw) {
        self.globals.push(slot);
    }

    /// A mark for [`GcStore::forget_globals`].
    pub fn globals_mark(&self) -> usize {
        self.globals.len()
    }

    /// Unroots the global slots added since `mark` (their memory is freed).
    pub fn forget_globals(&mut self, mark: usize) {
        self.globals.truncate(mark);
    }

    /// Roots every element of `table` (which outlives the store's heap).
    pub fn add_table(&mut self, table: *const TableData) {
        self.tables.push(table);
    }

    /// Roots the element segments `elems` of an instance of this store.
    pub fn add_elems(&mut self, elems: *const Vec<Vec<u64>>) {
        self.elems.push(elems);
    }

    /// Keeps the object `word` refers to (if any) alive until the store is
    /// dropped: it was handed to the host.
    pub fn root_for_host(&self, word: u64) {
        if self.is_object(word) {
            self.host_roots.borrow_mut().insert(word);
        }
    }

    /// Keeps the object `word` refers to (if any) alive until
    /// [`GcStore::end_temp_roots`].
    pub fn root_temp(&mut self, word: u64) {
        if self.is_object(word) {
            self.temp_roots.push(word);
        }
    }

    /// Drops the temporary roots (an instantiation finished).
    pub fn end_temp_roots(&mut self) {
        self.temp_roots.clear();
    }

    /// Whether `word` is an object of this heap (not null, not an `i31`,
    /// not a host value).
    pub fn is_object(&self, word: u64) -> bool {
        word != 0 && word & gc::I31_TAG == 0 && self.heap.is_object(word)
    }

    /// The heap's counters.
    pub fn stats(&self) -> GcStats {
        self.heap.stats()
    }

    /// Collects garbage, starting from every root of the store.
    pub fn collect(&mut self) {
        let GcStore {
            heap,
            globals,
            tables,
            elems,
            exn_heap,
            host_roots,
            temp_roots,
        } = self;
        heap.collect(&mut |visit: &mut RootVisitor<'_>| {
            // SAFETY: registered globals, tables and segment lists outlive
            // the heap (the store owns or keeps alive all of them), and the
            // exception heap is the store's.
            unsafe {
                for &slot in globals.iter() {
                    let raw = &(*slot).0;
                    visit(u64::from_le_bytes(raw[..8].try_into().expect("8 bytes")));
                }
                for &t in tables.iter() {
                    (*t).elements().iter().for_each(|&w| visit(w));
                }
                for &segs in elems.iter() {
                    (*segs).iter().flatten().for_each(|&w| visit(w));
                }
                (**exn_heap).for_each_word(visit);
            }
            host_roots.get_mut().iter().for_each(|&w| visit(w));
            temp_roots.iter().for_each(|&w| visit(w));
        });
    }

    /// A zeroed object of `size` bytes with its header set; collects first
    /// when the heap asks for it, and once more before giving up.
    fn alloc(
        &mut self,
        size: u32,
        type_id: u32,
        kind: ObjectKind,
        refs: bool,
    ) -> Result<NonNull<u8>, TrapKind> {
        if self.heap.should_collect() {
            self.collect();
        }
        if let Some(p) = self.heap.alloc(size, type_id, kind, refs) {
            return Ok(p);
        }
        self.collect();
        self.heap
            .alloc(size, type_id, kind, refs)
            .ok_or(TrapKind::OutOfMemory)
    }

    /// A zeroed struct of `shape`.
    pub fn new_struct(&mut self, shape: &GcShape) -> Result<NonNull<u8>, TrapKind> {
        let ShapeBody::Struct { size, .. } = shape.body else {
            return Err(TrapKind::OutOfMemory);
        };
        self.alloc(size, shape.type_id, ObjectKind::Struct, shape.has_refs)
    }

    /// A zeroed array of `shape` with `len` elements.
    pub fn new_array(&mut self, shape: &GcShape, len: u32) -> Result<NonNull<u8>, TrapKind> {
        let ShapeBody::Array(storage) = shape.body else {
            return Err(TrapKind::OutOfMemory);
        };
        let size = gc::array_size(storage, len).ok_or(TrapKind::OutOfMemory)?;
        let p = self.alloc(size, shape.type_id, ObjectKind::Array, shape.has_refs)?;
        // SAFETY: a fresh array object has its length word at ARRAY_LENGTH.
        unsafe {
            p.as_ptr()
                .add(gc::ARRAY_LENGTH as usize)
                .cast::<u32>()
                .write(len)
        };
        Ok(p)
    }

    /// A new object of `shape` initialized by `init` (whose values have
    /// the field or element types).
    pub fn new_object(&mut self, shape: &GcShape, init: ObjectInit<'_>) -> Result<u64, TrapKind> {
        match &shape.body {
            ShapeBody::Struct { fields, .. } => {
                let p = self.new_struct(shape)?.as_ptr();
                if let ObjectInit::Values(vals) = init {
                    for (&(offset, storage), v) in fields.iter().zip(vals) {
                        // SAFETY: each field lies inside the new struct.
                        unsafe { write_storage(p.add(offset as usize), storage, *v) };
                    }
                }
                Ok(p as u64)
            }
            &ShapeBody::Array(storage) => {
                let len = match init {
                    ObjectInit::Default(len) | ObjectInit::Repeat(_, len) => len,
                    ObjectInit::Values(vals) => {
                        u32::try_from(vals.len()).map_err(|_| TrapKind::OutOfMemory)?
                    }
                };
                let p = self.new_array(shape, len)?.as_ptr();
                let size = gc::storage_size(storage) as usize;
                let elem = |i: usize| {
                    // SAFETY: element `i < len` lies inside the new array.
                    unsafe { p.add(gc::ARRAY_DATA as usize + i * size) }
                };
                match init {
                    ObjectInit::Default(_) => {}
                    ObjectInit::Values(vals) => {
                        for (i, v) in vals.iter().enumerate() {
                            // SAFETY: see `elem`.
                            unsafe { write_storage(elem(i), storage, *v) };
                        }
                    }
                    ObjectInit::Repeat(v, len) => {
                        for i in 0..len as usize {
                            // SAFETY: see `elem`.
                            unsafe { write_storage(elem(i), storage, v) };
                        }
                    }
                }
                Ok(p as u64)
            }
        }
    }

    /// A box of `kind` holding `payload`.
    fn new_box(&mut self, kind: ObjectKind, payload: u64) -> Result<u64, TrapKind> {
        // Boxes hold a reference (an `i31` or a host word that may be an
        // externalized object of another store): traced, to be safe.
        let p = self.alloc(gc::BOX_SIZE, 0, kind, true)?;
        // SAFETY: a box has its payload word at BOX_PAYLOAD.
        unsafe {
            p.as_ptr()
                .add(gc::BOX_PAYLOAD as usize)
                .cast::<u64>()
                .write(payload)
        };
        Ok(p.as_ptr() as u64)
    }

    /// `any.convert_extern` of the raw externref `e`.
    pub fn any_convert_extern(&mut self, e: u64) -> Result<u64, TrapKind> {
        if e == 0 {
            return Ok(0);
        }
        if self.is_object(e) {
            // SAFETY: an object of this heap starts with its header.
            return Ok(match unsafe { object_kind(e) } {
                // SAFETY: a box has its payload at BOX_PAYLOAD.
                ObjectKind::AnyBox => unsafe { box_payload(e) },
                _ => e,
            });
        }
        self.new_box(ObjectKind::ExternBox, e)
    }

    /// `extern.convert_any` of the raw anyref `a`.
    pub fn extern_convert_any(&mut self, a: u64) -> Result<u64, TrapKind> {
        if a == 0 {
            return Ok(0);
        }
        if a & gc::I31_TAG != 0 {
            return self.new_box(ObjectKind::AnyBox, a);
        }
        // SAFETY: a non-null, non-i31 anyref is an object of this heap.
        Ok(match unsafe { object_kind(a) } {
            // SAFETY: as above; boxes have a payload.
            ObjectKind::ExternBox => unsafe { box_payload(a) },
            _ => a,
        })
    }
}

/// The kind of the object at `word`.
///
/// # Safety
///
/// `word` must be a live object.
pub(crate) unsafe fn object_kind(word: u64) -> ObjectKind {
    // SAFETY: guaranteed by the caller.
    let flags = unsafe {
        (word as *const u8)
            .add(gc::HEADER_FLAGS as usize)
            .cast::<u32>()
            .read()
    };
    match flags & gc::KIND_MASK {
        0 => ObjectKind::Struct,
        1 => ObjectKind::Array,
        2 => ObjectKind::ExternBox,
        _ => ObjectKind::AnyBox,
    }
}

/// The boxed word of the box at `word`.
///
/// # Safety
///
/// `word` must be a live box object.
pub(crate) unsafe fn box_payload(word: u64) -> u64 {
    // SAFETY: guaranteed by the caller.
    unsafe {
        (word as *const u8)
            .add(gc::BOX_PAYLOAD as usize)
            .cast::<u64>()
            .read()
    }
}

#[cfg(test)]
mod tests {
    use waot_abi::meta::{FieldType, TableType, ValType};

    use super::*;
    use crate::val::{AnyKind, AnyRef};
    use crate::Store;

    fn array_of(storage: StorageType) -> GcShape {
        let ty = GcComposite::Array(FieldType {
            storage,
            mutable: true,
        });
        GcShape::new(&ty, 0)
    }

    fn struct_of(storage: StorageType) -> GcShape {
        let ty = GcComposite::Struct(vec![FieldType {
            storage,
            mutable: true,
        }]);
        GcShape::new(&ty, 0)
    }

    #[test]
    fn conversions_round_trip() {
        let mut store = Store::new();
        // Host value -> any -> extern: the same host value.
        for v in [0, 1, 2, 0x1000, u64::MAX - 1] {
            let any = store.extern_to_any(Some(v)).unwrap();
            assert_eq!(any.unwrap().kind(), AnyKind::Host(v));
            assert_eq!(store.any_to_extern(any).unwrap(), Some(v));
        }
        // i31 -> extern -> any: the same i31.
        let i = AnyRef::i31(0x7fff_fffe);
        let e = store.any_to_extern(Some(i)).unwrap();
        assert_eq!(store.extern_to_any(e).unwrap(), Some(i));
        // Null stays null both ways.
        assert_eq!(store.extern_to_any(None).unwrap(), None);
        assert_eq!(store.any_to_extern(None).unwrap(), None);
        // struct -> extern -> any: the same pointer.
        let s = store
            .gc
            .new_object(&struct_of(StorageType::I8), ObjectInit::Default(0))
            .unwrap();
        assert_eq!(store.gc.extern_convert_any(s), Ok(s));
        assert_eq!(store.gc.any_convert_extern(s), Ok(s));
    }

    #[test]
    fn rooted_objects_survive_collections() {
        let mut store = Store::new();
        let refs = array_of(StorageType::Val(ValType::ExternRef));
        let table = store
            .new_table(
                TableType {
                    element: ValType::ExternRef,
                    min: 1,
                    max: None,
                    table64: false,
                },
                Val::ExternRef(None),
            )
            .unwrap();
        // One object reachable from a table, one from the host, one only
        // through the first (traced).
        let inner = store
            .gc
            .new_object(&array_of(StorageType::I16), ObjectInit::Default(100))
            .unwrap();
        let outer = store
            .gc
            .new_object(
                &refs,
                ObjectInit::Values(&[Val::ExternRef(inner.checked_sub(1))]),
            )
            .unwrap();
        // SAFETY: the store's table.
        unsafe { (*store.table_ptr(table)).set(0, outer) };
        let held = store
            .gc
            .new_object(&struct_of(StorageType::I8), ObjectInit::Default(0))
            .unwrap();
        store.gc.root_for_host(held);
        // Enough garbage for several collections.
        let big = array_of(StorageType::I8);
        for _ in 0..40 {
            store.gc.new_array(&big, 1 << 20).unwrap();
        }
        assert!(store.gc_stats().collections > 0);
        for word in [inner, outer, held] {
            assert!(store.gc.is_object(word));
        }
        // SAFETY: `outer` is alive (checked above), an array of one word.
        let first = unsafe {
            (outer as *const u8)
                .add(gc::ARRAY_DATA as usize)
                .cast::<u64>()
                .read()
        };
        assert_eq!(first, inner);
    }

    #[test]
    fn oversized_arrays_are_out_of_memory() {
        let mut store = Store::new();
        let shape = array_of(StorageType::Val(ValType::V128));
        assert_eq!(
            store.gc.new_array(&shape, u32::MAX),
            Err(TrapKind::OutOfMemory)
        );
    }
}
