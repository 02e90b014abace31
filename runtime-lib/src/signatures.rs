//! The process-wide signature registry: one canonical id per distinct
//! function type, so `call_indirect` across modules compares plain `u32`s
//! (`vmctx.type_ids[t]` against `VmFuncRef::type_id`).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use waot_abi::meta::FuncType;

fn registry() -> &'static Mutex<HashMap<FuncType, u32>> {
    static REGISTRY: OnceLock<Mutex<HashMap<FuncType, u32>>> = OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The canonical id of `ty` (ids start at 1; equal types get equal ids in
/// every module of the process).
pub fn canonical_type_id(ty: &FuncType) -> u32 {
    let mut map = registry().lock().unwrap_or_else(|e| e.into_inner());
    let next = map.len() as u32 + 1;
    *map.entry(ty.clone()).or_insert(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use waot_abi::meta::ValType;

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
}
