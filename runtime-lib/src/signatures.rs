//! The process-wide type registry: one canonical id per distinct function
//! type, so `call_indirect` across modules compares plain `u32`s
//! (`vmctx.type_ids[t]` against `VmFuncRef::type_id`).
//!
//! Types are identified iso-recursively (WebAssembly 3.0, section 3.1.3
//! "type equivalence"): a whole recursion group is the unit. A group's key
//! is its types with every concrete reference rewritten, a reference to a
//! type outside the group to that type's canonical id and one inside it to
//! [`REC_REL`] plus its position, together with finality and supertypes.
//! Equal keys get the same ids in every module of the process, so a
//! function type that mentions `(ref $t)` matches another module's exactly
//! when the `$t`s are equivalent too.
//!
//! Types outside a module (host functions, globals and tables the host
//! creates, and the types the store keeps for every function, global and
//! table) use canonical ids in `HeapType::Concrete`.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use waot_abi::meta::{FuncType, ModuleMeta, ValType};

/// Marks a group-relative index in a key (canonical ids stay far below).
const REC_REL: u32 = 1 << 31;

/// One type of a group key: the rewritten signature, `final`, and the
/// rewritten supertype.
type SubKey = (FuncType, bool, Option<u32>);

#[derive(Default)]
struct Registry {
    /// Group key -> canonical id of its first type (the others follow).
    groups: HashMap<Vec<SubKey>, u32>,
    /// Canonical supertype of canonical id `i + 1`.
    supertypes: Vec<Option<u32>>,
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
        let first = self.supertypes.len() as u32 + 1;
        for (_, _, sup) in &key {
            // Resolve group-relative supertypes now that the ids are known.
            let sup = sup.map(|s| match s.checked_sub(REC_REL) {
                Some(rel) => first + rel,
                None => s,
            });
            self.supertypes.push(sup);
        }
        self.groups.insert(key, first);
        first
    }
}

/// The canonical id of `ty`, a final type without supertype alone in its
/// recursion group whose concrete references are canonical ids (ids start
/// at 1; equal types get equal ids in every module of the process).
pub fn canonical_type_id(ty: &FuncType) -> u32 {
    registry().intern(vec![(ty.clone(), true, None)])
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
                let ty = &meta.types[t as usize];
                let info = meta.type_info(t);
                let func = FuncType {
                    params: ty.params.iter().map(|v| v.map_concrete(rewrite)).collect(),
                    results: ty.results.iter().map(|v| v.map_concrete(rewrite)).collect(),
                };
                (func, info.is_final, info.supertype.map(rewrite))
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
    while let Some(&Some(s)) = reg.supertypes.get(t.wrapping_sub(1) as usize) {
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

/// `ty` of a module whose canonical type ids are `ids`, with its concrete
/// references as canonical ids.
pub fn canonical_val_type(ty: ValType, ids: &[u32]) -> ValType {
    ty.map_concrete(|i| ids.get(i as usize).copied().unwrap_or(0))
}

/// [`canonical_val_type`] of every parameter and result.
pub fn canonical_func_type(ty: &FuncType, ids: &[u32]) -> FuncType {
    FuncType {
        params: ty
            .params
            .iter()
            .map(|t| canonical_val_type(*t, ids))
            .collect(),
        results: ty
            .results
            .iter()
            .map(|t| canonical_val_type(*t, ids))
            .collect(),
    }
}

/// Reference subtyping on canonical types (spec section 3.3.2 "matching"
/// for the function-references fragment): `(ref null? a)` matches
/// `(ref null? b)` when nullability allows and heap type `a` is below `b`
/// (`nofunc` < concrete < `func`, `noextern` < `extern`, concrete types by
/// declared supertypes). Number and vector types match only themselves.
pub fn val_type_matches(sub: ValType, sup: ValType) -> bool {
    use waot_abi::meta::HeapType as H;
    let (Some(a), Some(b)) = (sub.as_ref_type(), sup.as_ref_type()) else {
        return sub == sup;
    };
    if a.nullable && !b.nullable {
        return false;
    }
    match (a.heap, b.heap) {
        (H::Func | H::Concrete(_) | H::NoFunc, H::Func) => true,
        (H::NoFunc, H::NoFunc | H::Concrete(_)) => true,
        (H::Concrete(x), H::Concrete(y)) => is_subtype(x, y),
        (H::Extern | H::NoExtern, H::Extern) => true,
        (H::NoExtern, H::NoExtern) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use waot_abi::meta::{HeapType, RefType, TypeInfo};

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
}
