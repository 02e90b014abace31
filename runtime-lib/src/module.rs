//! A compiled module as the runtime sees it: the decoded metadata and the
//! code pointers of its [`ModuleDescriptor`].
//!
//! Creating a [`Module`] registers its code with the trap registry (so
//! faults in it become traps); dropping it unregisters the code.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use waot_abi::meta::{FuncType, ModuleDescriptor, ModuleMeta, ValType};
use waot_abi::ABI_VERSION;

use crate::loader::LoadedObject;
use crate::objects::GcShape;
use crate::signatures::{canonical_func_type, canonical_module_types, canonical_val_type};
use crate::trap::registry::{self, CodeInfo};

/// Why a module could not be made from a descriptor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuntimeError {
    /// The descriptor was written for another ABI version.
    AbiVersion {
        /// Version in the descriptor.
        found: u32,
    },
    /// The metadata blob or the descriptor's tables are inconsistent.
    Corrupt(String),
    /// The object has no symbol of that name.
    MissingSymbol(String),
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuntimeError::AbiVersion { found } => write!(
                f,
                "module was compiled for waot ABI version {found}, this runtime supports {ABI_VERSION}"
            ),
            RuntimeError::Corrupt(msg) => write!(f, "corrupt module: {msg}"),
            RuntimeError::MissingSymbol(name) => write!(f, "object has no symbol `{name}`"),
        }
    }
}

impl std::error::Error for RuntimeError {}

/// A compiled module, ready to be instantiated any number of times.
pub struct Module {
    meta: ModuleMeta<'static>,
    funcs: Vec<*const u8>,
    array_trampolines: Vec<*const u8>,
    host_adapters: Vec<*const u8>,
    type_ids: Vec<u32>,
    /// Allocation shape of each struct and array type, by type index.
    gc_shapes: Vec<Option<GcShape>>,
    code: Arc<CodeInfo>,
    /// Keeps the code and the metadata blob mapped (for loaded objects).
    /// Declared last: dropped after everything that borrows from it.
    _owner: Option<Box<dyn Any + Send + Sync>>,
}

// SAFETY: the raw pointers point at immutable code and data that live as
// long as the module (static, or kept alive by `_owner`).
unsafe impl Send for Module {}
// SAFETY: as above; nothing in a module is mutated after construction.
unsafe impl Sync for Module {}

impl fmt::Debug for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Module")
            .field("name", &self.meta.name)
            .field("funcs", &self.funcs.len())
            .finish_non_exhaustive()
    }
}

impl Module {
    /// Reads a module from its descriptor.
    ///
    /// # Safety
    ///
    /// `desc` must point to a descriptor written by waot-compiler whose code
    /// and metadata stay mapped for as long as the returned module (and any
    /// instance of it) lives — always true for a linked executable; for a
    /// loaded object use [`Module::from_loaded`].
    pub unsafe fn from_descriptor(desc: *const ModuleDescriptor) -> Result<Module, RuntimeError> {
        // SAFETY: the caller guarantees `desc` is valid.
        let d = unsafe { &*desc };
        if d.abi_version != ABI_VERSION {
            return Err(RuntimeError::AbiVersion {
                found: d.abi_version,
            });
        }
        if d.meta.is_null() {
            return Err(RuntimeError::Corrupt("null metadata".into()));
        }
        // SAFETY: the caller guarantees the blob is mapped for the module's life.
        let blob: &'static [u8] = unsafe { std::slice::from_raw_parts(d.meta, d.meta_len) };
        let meta = ModuleMeta::decode(blob).map_err(|e| RuntimeError::Corrupt(e.to_string()))?;
        let counts = meta.vm_counts();
        let (num_defined, num_types) =
            (counts.num_defined_funcs as usize, counts.num_types as usize);
        let num_code = num_defined + 2 * num_types;
        if meta.code_sizes.len() != num_code {
            return Err(RuntimeError::Corrupt(format!(
                "{} code sizes for {num_code} pieces of code",
                meta.code_sizes.len()
            )));
        }
        if meta.funcs.iter().any(|&t| t as usize >= num_types) {
            return Err(RuntimeError::Corrupt("function type out of range".into()));
        }
        // SAFETY: the descriptor's arrays have these lengths (compiler contract).
        let (funcs, array_trampolines, host_adapters) = unsafe {
            (
                read_ptrs(d.funcs, num_code)?,
                read_ptrs(d.array_trampolines, num_types)?,
                read_ptrs(d.host_adapters, num_types)?,
            )
        };
        let type_ids = canonical_module_types(&meta);
        let mut gc_shapes = vec![None; meta.types.len()];
        for def in &meta.gc_types {
            let Some(slot) = gc_shapes.get_mut(def.index as usize) else {
                return Err(RuntimeError::Corrupt("GC type index out of range".into()));
            };
            *slot = Some(GcShape::new(&def.ty, type_ids[def.index as usize]));
        }
        let code = Arc::new(CodeInfo::new(&meta, &funcs));
        registry::register(code.clone());
        Ok(Module {
            meta,
            funcs,
            array_trampolines,
            host_adapters,
            type_ids,
            gc_shapes,
            code,
            _owner: None,
        })
    }

    /// Reads the module whose descriptor is symbol `descriptor_symbol` of a
    /// loaded object; the module keeps the object mapped.
    pub fn from_loaded(obj: LoadedObject, descriptor_symbol: &str) -> Result<Module, RuntimeError> {
        let desc = obj
            .symbol(descriptor_symbol)
            .ok_or_else(|| RuntimeError::MissingSymbol(descriptor_symbol.to_string()))?;
        // SAFETY: the object was produced by waot-compiler and `obj` keeps
        // it mapped; it is moved into the module below.
        let mut module = unsafe { Module::from_descriptor(desc.cast())? };
        module._owner = Some(Box::new(obj));
        Ok(module)
    }

    /// The decoded metadata.
    pub fn meta(&self) -> &ModuleMeta<'static> {
        &self.meta
    }

    /// Native code of defined function `defined_index`.
    pub(crate) fn func_code(&self, defined_index: u32) -> *const u8 {
        self.funcs[defined_index as usize]
    }

    /// Array-call trampoline of type `type_index`.
    pub(crate) fn array_trampoline(&self, type_index: u32) -> *const u8 {
        self.array_trampolines[type_index as usize]
    }

    /// Host-call adapter of type `type_index`.
    pub(crate) fn host_adapter(&self, type_index: u32) -> *const u8 {
        self.host_adapters[type_index as usize]
    }

    /// Canonical signature id of type `type_index`.
    pub(crate) fn type_id(&self, type_index: u32) -> u32 {
        self.type_ids[type_index as usize]
    }

    /// Allocation shape of struct or array type `type_index`.
    pub(crate) fn gc_shape(&self, type_index: u32) -> Option<&GcShape> {
        self.gc_shapes.get(type_index as usize)?.as_ref()
    }

    /// `ty` (of this module) with canonical ids for its concrete references,
    /// as the store keeps types.
    pub(crate) fn canonical_val_type(&self, ty: ValType) -> ValType {
        canonical_val_type(ty, &self.type_ids)
    }

    /// Function type `type_index` with canonical concrete references.
    pub(crate) fn canonical_func_type(&self, type_index: u32) -> FuncType {
        canonical_func_type(&self.meta.types[type_index as usize], &self.type_ids)
    }
}

impl Drop for Module {
    fn drop(&mut self) {
        registry::unregister(&self.code);
    }
}

/// # Safety
///
/// `p` must be null (only when `n == 0`) or point to `n` pointers.
unsafe fn read_ptrs(p: *const *const u8, n: usize) -> Result<Vec<*const u8>, RuntimeError> {
    if n == 0 {
        return Ok(Vec::new());
    }
    if p.is_null() {
        return Err(RuntimeError::Corrupt("null code table".into()));
    }
    // SAFETY: guaranteed by the caller.
    Ok(unsafe { std::slice::from_raw_parts(p, n) }.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_descriptors() {
        let blob = ModuleMeta::default().encode();
        let mut desc = ModuleDescriptor {
            abi_version: ABI_VERSION + 1,
            _pad: 0,
            meta: blob.as_ptr(),
            meta_len: blob.len(),
            funcs: std::ptr::null(),
            array_trampolines: std::ptr::null(),
            host_adapters: std::ptr::null(),
        };
        // SAFETY: `desc` and `blob` outlive the calls.
        let err = unsafe { Module::from_descriptor(&desc) }.unwrap_err();
        assert!(matches!(err, RuntimeError::AbiVersion { .. }));
        desc.abi_version = ABI_VERSION;
        desc.meta_len -= 1;
        // SAFETY: as above.
        let err = unsafe { Module::from_descriptor(&desc) }.unwrap_err();
        assert!(matches!(err, RuntimeError::Corrupt(_)));
        desc.meta_len += 1;
        // SAFETY: as above.
        let m = unsafe { Module::from_descriptor(&desc) }.unwrap();
        assert!(m.meta().imports.is_empty());
    }
}
