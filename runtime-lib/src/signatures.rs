//! The process-wide type registry: one canonical id per distinct function,
//! struct or array type, so `call_indirect` and GC casts across modules
//! compare plain `u32`s (`vmctx.type_ids[t]` against `VmFuncRef::type_id`
//! or an object header's type id).
//!
//! Types are identified iso-recursively (WebAssembly 3.0, section 3.1.3
//! "type equivalence"): a whole recursion group is the unit. A group's key
//! is its types with every concrete reference rewritten, a reference to a
//! type outside the group to that type's canonical id and one inside it to
//! [`REC_REL`] plus its position, together with finality and supertypes.
//! Equal keys get the same ids in every module of the process, so a type
//! that mentions `(ref $t)` matches another module's exactly when the `$t`s
//! are equivalent too.
//!
//! Types outside a module (host functions, globals and tables the host
//! creates, and the types the store keeps for every function, global and
//! table) use canonical ids in `HeapType::Concrete`.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use waot_abi::meta::{FuncType, GcComposite, HeapType, ModuleMeta, ValType};

/// Marks a group-relative index in a key (canonical ids stay far below).
const REC_REL: u32 = 1 << 31;

/// What a type defines.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Composite {
    /// A function signature.
    Func(FuncType),
    /// A struct or array.
    Gc(GcComposite),
}

/// One type of a group key: the rewritten composite, `final`, and the
/// rewritten supertype.
type SubKey = (Composite, bool, Option<u32>);

/// What the registry remembers of one canonical type.
struct Entry {
    supertype: Option<u32>,
    /// The struct or array definition (concrete references as canonical
    /// ids), `None` for a function type.
    gc: Option<GcComposite>,
}

#[derive(Default)]
struct Registry {
    /// Group key -> canonical id of its first type (the others follow).
    groups: HashMap<Vec<SubKey>, u32>,
    /// Canonical id `i + 1`.
    types: Vec<Entry>,
}

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

impl Registry {
    /// The ids of the group `key` (registering it when new).
    fn intern(&mut self, key: Vec<SubKey>) -> u32 {
        if let Some(&first) = self.groups.get(&key) {
            return first;
        }
        let first = self.types.len() as u32 + 1;
        // Group-relative references resolve now that the ids are known.
        let resolve = |s: u32| match s.checked_sub(REC_REL) {
            Some(rel) => first + rel,
            None => s,
        };
        for (composite, _, sup) in &key {
            self.types.push(Entry {
                supertype: sup.map(resolve),
                gc: match composite {
                    Composite::Func(_) => None,
                    Composite::Gc(c) => Some(c.map_concrete(resolve)),
                },
            });
        }
        self.groups.insert(key, first);
        first
    }

    fn entry(&self, id: u32) -> Option<&Entry> {
        self.types.get(id.wrapping_sub(1) as usize)
    }
}

/// The canonical id of `ty`, a final type without supertype alone in its
/// recursion group whose concrete references are canonical ids (ids start
/// at 1; equal types get equal ids in every module of the process).
pub fn canonical_type_id(ty: &FuncType) -> u32 {
    registry().intern(vec![(Composite::Func(ty.clone()), true, None)])
}

/// The canonical id of every type of `meta`, by type index.
pub fn canonical_module_types(meta: &ModuleMeta<'_>) -> Vec<u32> {
    let mut ids: Vec<u32> = Vec::with_capacity(meta.types.len());
    let mut reg = registry();
    while ids.len() < meta.types.len() {
        let start = ids.len() as u32;
        let info = meta.type_info(start);
        let len = info.rec_group_len.max(1);
        let end = (start + len).min(meta.types.len() as u32);
        // Earlier groups have ids; this group's members are relative.
        let rewrite = |i: u32| {
            if i >= start && i < end {
                REC_REL + (i - start)
            } else {
                ids.get(i as usize).copied().unwrap_or(0)
            }
        };
        let key: Vec<SubKey> = (start..end)
            .map(|t| {
                let info = meta.type_info(t);
                let composite = match meta.gc_type(t) {
                    Some(c) => Composite::Gc(c.map_concrete(rewrite)),
                    None => {
                        Composite::Func(canonical_func_type_with(&meta.types[t as usize], rewrite))
                    }
                };
                (composite, info.is_final, info.supertype.map(rewrite))
            })
            .collect();
        let first = reg.intern(key);
        ids.extend(first..first + (end - start));
    }
    ids
}

/// Whether canonical type `sub` is `sup` or declares it as a (transitive)
/// supertype.
pub fn is_subtype(sub: u32, sup: u32) -> bool {
    if sub == sup {
        return true;
    }
    let reg = registry();
    let mut t = sub;
    // A validated supertype is defined before its subtype, so ids strictly
    // decrease along the chain (which also bounds the walk).
    while let Some(Some(s)) = reg.entry(t).map(|e| e.supertype) {
        if s == sup {
            return true;
        }
        if s >= t {
            return false;
        }
        t = s;
    }
    false
}

/// Bytes per element of canonical array type `id` (`None` if it is not an
/// array type).
pub(crate) fn array_elem_size(id: u32) -> Option<u32> {
    match registry().entry(id)?.gc {
        Some(GcComposite::Array(f)) => Some(waot_abi::gc::storage_size(f.storage)),
        _ => None,
    }
}

/// Whether canonical type `id` is a struct or array type (not a function).
fn is_gc_type(id: u32) -> bool {
    registry().entry(id).is_some_and(|e| e.gc.is_some())
}

/// Whether references to `heap` (canonical ids) are of the `any` hierarchy:
/// i31s, structs, arrays and host values converted to `any`.
pub(crate) fn is_any_heap(heap: HeapType) -> bool {
    match heap {
        HeapType::Concrete(id) => is_gc_type(id),
        h => h.is_abstract_any(),
    }
}

/// `ty` of a module whose canonical type ids are `ids`, with its concrete
/// references as canonical ids.
pub fn canonical_val_type(ty: ValType, ids: &[u32]) -> ValType {
    ty.map_concrete(|i| ids.get(i as usize).copied().unwrap_or(0))
}

/// `ty` with every concrete reference `i` rewritten to `map(i)`.
fn canonical_func_type_with(ty: &FuncType, map: impl Fn(u32) -> u32) -> FuncType {
    FuncType {
        params: ty.params.iter().map(|v| v.map_concrete(&map)).collect(),
        results: ty.results.iter().map(|v| v.map_concrete(&map)).collect(),
    }
}

/// [`canonical_val_type`] of every parameter and result.
pub fn canonical_func_type(ty: &FuncType, ids: &[u32]) -> FuncType {
    canonical_func_type_with(ty, |i| ids.get(i as usize).copied().unwrap_or(0))
}

/// Heap subtyping on canonical types (spec section 3.3.2 "matching"):
///
/// ```text
/// any ⊇ eq ⊇ { i31, struct ⊇ concrete structs, array ⊇ concrete arrays } ⊇ none
/// func ⊇ concrete functions ⊇ nofunc
/// extern ⊇ noextern          exn ⊇ noexn
/// ```
///
/// with concrete types ordered by their declared supertypes.
pub(crate) fn heap_matches(sub: HeapType, sup: HeapType) -> bool {
    use HeapType as H;
    let composite = |h: HeapType| match h {
        H::Concrete(id) => registry().entry(id).map(|e| match e.gc {
            None => H::Func,
            Some(GcComposite::Struct(_)) => H::Struct,
            Some(GcComposite::Array(_)) => H::Array,
        }),
        _ => None,
    };
    match sup {
        H::Concrete(y) => match sub {
            H::Concrete(x) => is_subtype(x, y),
            H::None => is_gc_type(y),
            H::NoFunc => !is_gc_type(y),
            _ => false,
        },
        H::Any => is_any_heap(sub),
        H::Eq => matches!(sub, H::Eq | H::I31 | H::Struct | H::Array | H::None) || is_gc_sub(sub),
        H::Struct | H::Array => sub == sup || sub == H::None || composite(sub) == Some(sup),
        H::I31 => matches!(sub, H::I31 | H::None),
        H::Func => matches!(sub, H::Func | H::NoFunc) || composite(sub) == Some(H::Func),
        H::Extern => matches!(sub, H::Extern | H::NoExtern),
        H::Exn => matches!(sub, H::Exn | H::NoExn),
        H::None | H::NoFunc | H::NoExtern | H::NoExn => sub == sup,
    }
}

/// Whether `heap` is a concrete struct or array type.
fn is_gc_sub(heap: HeapType) -> bool {
    matches!(heap, HeapType::Concrete(id) if is_gc_type(id))
}

/// Reference subtyping on canonical types: `(ref null? a)` matches
/// `(ref null? b)` when nullability allows and `a` is below `b`
/// ([`heap_matches`]). Number and vector types match only themselves.
pub fn val_type_matches(sub: ValType, sup: ValType) -> bool {
    let (Some(a), Some(b)) = (sub.as_ref_type(), sup.as_ref_type()) else {
        return sub == sup;
    };
    (!a.nullable || b.nullable) && heap_matches(a.heap, b.heap)
}

#[cfg(test)]
mod tests {
    use super::*;
    use waot_abi::meta::{FieldType, GcTypeDef, RefType, StorageType, TypeInfo};

    fn concrete(nullable: bool, i: u32) -> ValType {
        ValType::Ref(RefType {
            nullable,
            heap: HeapType::Concrete(i),
        })
    }

    #[test]
    fn equal_types_share_ids() {
        let a = FuncType {
            params: vec![ValType::I32, ValType::F64],
            results: vec![],
        };
        let b = FuncType {
            params: vec![ValType::I32],
            results: vec![ValType::F64],
        };
        let ia = canonical_type_id(&a);
        assert_eq!(canonical_type_id(&a.clone()), ia);
        assert_ne!(canonical_type_id(&b), ia);
        assert_ne!(ia, 0);
    }

    /// A module whose types are `(func (param f32 f32 f32))` (an unusual
    /// signature no other test registers) and `(func (param (ref 0)))`.
    fn module_with_ref(first: FuncType) -> ModuleMeta<'static> {
        ModuleMeta {
            types: vec![
                first,
                FuncType {
                    params: vec![concrete(false, 0)],
                    results: vec![],
                },
            ],
            ..Default::default()
        }
    }

    #[test]
    fn references_compare_by_structure_across_modules() {
        let t0 = FuncType {
            params: vec![ValType::F32; 3],
            results: vec![],
        };
        let m1 = canonical_module_types(&module_with_ref(t0.clone()));
        let m2 = canonical_module_types(&module_with_ref(t0.clone()));
        assert_eq!(m1, m2);
        assert_eq!(m1[0], canonical_type_id(&t0));
        let other = FuncType {
            params: vec![ValType::F32; 4],
            results: vec![],
        };
        let m3 = canonical_module_types(&module_with_ref(other));
        assert_ne!(m3[1], m1[1], "(ref $t) differs when $t differs");
    }

    #[test]
    fn recursion_groups_and_supertypes() {
        // (rec (type $a (sub (func (param (ref $b))))) (type $b (func (param (ref $a)))))
        // (type $c (sub $a (func (param (ref $b)))))
        let info = |rec_group, rec_group_len, is_final, supertype| TypeInfo {
            rec_group,
            rec_group_len,
            is_final,
            supertype,
        };
        let meta = ModuleMeta {
            types: vec![
                FuncType {
                    params: vec![concrete(false, 1)],
                    results: vec![ValType::V128, ValType::V128],
                },
                FuncType {
                    params: vec![concrete(false, 0)],
                    results: vec![ValType::V128, ValType::V128],
                },
                FuncType {
                    params: vec![concrete(false, 1)],
                    results: vec![ValType::V128, ValType::V128],
                },
            ],
            type_infos: vec![
                info(0, 2, false, None),
                info(0, 2, true, None),
                info(2, 1, true, Some(0)),
            ],
            ..Default::default()
        };
        let ids = canonical_module_types(&meta);
        assert_eq!(ids, canonical_module_types(&meta));
        assert_eq!(ids[1], ids[0] + 1);
        assert!(is_subtype(ids[2], ids[0]));
        assert!(!is_subtype(ids[0], ids[2]));
        assert!(!is_subtype(ids[1], ids[0]));
        let (a, c) = (concrete(false, ids[0]), concrete(true, ids[2]));
        assert!(val_type_matches(concrete(false, ids[2]), a));
        assert!(!val_type_matches(c, a), "nullable is not below non-null");
        assert!(val_type_matches(c, ValType::FuncRef));
        assert!(!val_type_matches(c, ValType::ExternRef));
        assert!(!val_type_matches(ValType::FuncRef, c));
    }

    fn field(storage: StorageType, mutable: bool) -> FieldType {
        FieldType { storage, mutable }
    }

    fn heap(nullable: bool, heap: HeapType) -> ValType {
        ValType::reference(RefType { nullable, heap })
    }

    /// A module of GC types (by index) after one function type at 0.
    fn gc_module(types: Vec<GcComposite>, type_infos: Vec<TypeInfo>) -> ModuleMeta<'static> {
        ModuleMeta {
            types: vec![FuncType::default(); types.len() + 1],
            gc_types: types
                .into_iter()
                .enumerate()
                .map(|(i, ty)| GcTypeDef {
                    index: i as u32 + 1,
                    ty,
                })
                .collect(),
            type_infos,
            ..Default::default()
        }
    }

    #[test]
    fn structs_and_arrays_canonicalize_by_structure() {
        // 1: (struct (field (mut i8)) (field (ref null 1)))  (self-recursive)
        // 2: (array (mut i8))
        // 3: (struct (field i8) (field (ref null 1)))        (immutable i8)
        let self_ref = StorageType::Val(concrete(true, 1));
        let types = vec![
            GcComposite::Struct(vec![field(StorageType::I8, true), field(self_ref, false)]),
            GcComposite::Array(field(StorageType::I8, true)),
            GcComposite::Struct(vec![field(StorageType::I8, false), field(self_ref, false)]),
        ];
        let a = canonical_module_types(&gc_module(types.clone(), vec![]));
        let b = canonical_module_types(&gc_module(types, vec![]));
        assert_eq!(a, b, "equal definitions share ids across modules");
        assert_ne!(a[1], a[3], "mutability is part of the type");
        assert_ne!(a[1], a[2]);
        assert!(!is_subtype(a[3], a[1]), "no declared supertype");
        assert_eq!(array_elem_size(a[2]), Some(1));
        assert_eq!(array_elem_size(a[1]), None);
        assert_eq!(array_elem_size(a[0]), None);
    }

    #[test]
    fn gc_hierarchy() {
        // 1: (sub (struct (field i32)))  2: (sub 1 (struct (field i32) (field f64)))
        // 3: (array f64)
        let info = |is_final, supertype| TypeInfo {
            rec_group: 0,
            rec_group_len: 1,
            is_final,
            supertype,
        };
        let i32_field = field(StorageType::Val(ValType::I32), false);
        let types = vec![
            GcComposite::Struct(vec![i32_field]),
            GcComposite::Struct(vec![
                i32_field,
                field(StorageType::Val(ValType::F64), false),
            ]),
            GcComposite::Array(field(StorageType::Val(ValType::F64), false)),
        ];
        let infos = vec![
            info(true, None),
            info(false, None),
            info(false, Some(1)),
            info(true, None),
        ];
        let ids = canonical_module_types(&gc_module(types, infos));
        let (func, sup, sub, arr) = (ids[0], ids[1], ids[2], ids[3]);
        use HeapType as H;
        let below = |a: HeapType, b: HeapType| val_type_matches(heap(false, a), heap(true, b));
        assert!(is_subtype(sub, sup) && !is_subtype(sup, sub));
        assert!(below(H::Concrete(sub), H::Concrete(sup)));
        for top in [H::Struct, H::Eq, H::Any] {
            assert!(below(H::Concrete(sub), top));
            assert!(below(H::None, top));
        }
        assert!(below(H::Concrete(arr), H::Array));
        assert!(!below(H::Concrete(arr), H::Struct));
        assert!(!below(H::Concrete(sub), H::Array));
        assert!(below(H::I31, H::Eq) && below(H::I31, H::Any));
        assert!(!below(H::I31, H::Struct) && !below(H::Any, H::Eq));
        assert!(below(H::None, H::Concrete(arr)) && below(H::None, H::I31));
        assert!(!below(H::None, H::Concrete(func)) && !below(H::NoFunc, H::Concrete(sup)));
        assert!(below(H::NoFunc, H::Concrete(func)));
        assert!(below(H::Concrete(func), H::Func));
        assert!(!below(H::Concrete(func), H::Any) && !below(H::Concrete(sup), H::Func));
        assert!(!below(H::Extern, H::Any) && !below(H::Any, H::Extern));
        assert!(below(H::NoExn, H::Exn) && below(H::Exn, H::Exn));
        assert!(
            !val_type_matches(heap(true, H::Concrete(sub)), heap(false, H::Any)),
            "nullable is not below non-null"
        );
        assert!(is_any_heap(H::Concrete(arr)) && !is_any_heap(H::Concrete(func)));
    }
}
